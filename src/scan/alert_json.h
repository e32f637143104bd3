/* alert_json.h — alerts as ECS JSON documents, one per line (NDJSON).
 *
 * An event alert is the normalised event with its dotted field names nested
 * ({"source":{"ip":…}}), plus @timestamp, event.original (the raw record),
 * log.file.path/line, vigil.format/layer and a rule object (id, title, level,
 * tags, ...). A correlation alert carries the group-by values (nested by name
 * and in correlation.group_by), the count, the time span and the locations of
 * the contributing events. Invalid UTF-8 in values is replaced by U+FFFD.
 * Appends one line ending in '\n' to out; VG_ENOMEM on failure. Thread-safe
 * (no shared state). */
#ifndef VG_ALERT_JSON_H
#define VG_ALERT_JSON_H

#include "core/buf.h"
#include "core/timefmt.h" /* vg_format_ts, for the users of this header */
#include "core/event.h"
#include "detect/correlate.h"
#include "detect/engine.h"

/* An event matching several rules gets one alert per rule, the same
 * document up to the rule object. part (may be NULL) remembers where the
 * event's first alert lies in out: with part->len == 0 the document is
 * written and *part set ({0, 0} on failure); otherwise part must describe
 * an earlier alert of the same event still unchanged in out, and its event
 * part is copied instead of written again (the same bytes; VG_EINVAL when
 * part does not lie inside out). Callers set part->len = 0 per event. */
typedef struct vg_alert_part {
	size_t off, len;
} vg_alert_part;
VG_WUR int vg_alert_json_event(vg_buf *out, const vg_event *ev, const vg_rule_info *rule, vg_alert_part *part);
/* The event alone, as archived: the same document as an event alert with
 * event.kind "event" and no rule object. */
VG_WUR int vg_event_json(vg_buf *out, const vg_event *ev);
VG_WUR int vg_alert_json_corr(vg_buf *out, const vg_engine *e, const vg_corr_alert *a);

/* The archive's form of the same event, cheaper to write (the server's hot
 * path): one flat object whose keys are the dotted field names in the
 * event's order, {"@timestamp":…,"event.kind":"event",…,"source.ip":…}. An
 * event with a repeated field name is written nested (vg_event_json) instead.
 * vg_event_json_renest turns a flat document back into exactly what
 * vg_event_json writes for the event; any other document (nested, or not
 * JSON we wrote) is copied unchanged. Both append a '\n'. */
VG_WUR int vg_event_json_flat(vg_buf *out, const vg_event *ev);
VG_WUR int vg_event_json_renest(vg_buf *out, const char *doc, size_t len);


#endif
