/* fieldmap.h — Sigma taxonomy field names → vigil's ECS event field names.
 *
 * The mapping is a data table (fieldmap.c) keyed by a rule's logsource, the
 * way pySigma's ECS pipelines are: e.g. under category webserver,
 * "cs-uri-query" reads "url.original"; under product windows, "Image" reads
 * "winlog.event_data.Image". The first row whose logsource constraints all
 * hold and whose field matches wins; then the logsource's prefix rule (if any:
 * windows → "winlog.event_data.", auditd → "auditd."); else the name itself.
 * Read-only; thread-safe. */
#ifndef VG_FIELDMAP_H
#define VG_FIELDMAP_H

#include <stddef.h>
#include <stdint.h>

#define VG_FIELDMAP_MAX_TARGETS 4

typedef struct vg_fieldmap_res {
	const char *names[VG_FIELDMAP_MAX_TARGETS]; /* event fields to read (any may match) */
	size_t n;
	const char *prefix; /* when n == 0: read prefix + sigma name; NULL: read the sigma name */
} vg_fieldmap_res;

/* Resolve sigma_field for a rule whose logsource has these ids (logsource.h). */
void vg_fieldmap_resolve(uint8_t product, uint8_t service, uint8_t category, const char *sigma_field, vg_fieldmap_res *out);

#endif
