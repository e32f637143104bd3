/* winlog_map.h — Windows event-log channels, providers and event ids to the
 * Sigma logsource ids of logsource.h. The rows are data in winlog_map.c (the
 * channel names pySigma's windows_logsource_mapping uses); add a row there,
 * never a branch in code. Read-only tables; thread-safe. */
#ifndef VG_WINLOG_MAP_H
#define VG_WINLOG_MAP_H

#include <stddef.h>
#include <stdint.h>

/* Service of a channel name (compared case-insensitively, as Windows does),
 * e.g. "Microsoft-Windows-Sysmon/Operational" → VG_SERVICE_SYSMON. When the
 * channel is not known (a forwarded-events channel), the provider name is
 * tried ("Microsoft-Windows-Sysmon" → SYSMON). Either may be NULL/empty.
 * VG_SERVICE_NONE when neither is known. */
uint8_t vg_winlog_service(const char *channel, size_t channel_len, const char *provider, size_t provider_len);

/* Category of an event: service from vg_winlog_service, provider name (may be
 * NULL), event id, and Sysmon's EventData.EventType (may be NULL; tells
 * registry_add from registry_delete for event 12). VG_CATEGORY_NONE when no
 * row matches. */
uint8_t vg_winlog_category(uint8_t service, const char *provider, size_t provider_len, long event_id,
			   const char *event_type, size_t event_type_len);

#endif
