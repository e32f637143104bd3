/* parse_json_internal.h — what the JSON parser's files share: flattening a
 * jansson tree into event fields, field aliases, timestamps, and the entry
 * points of each document shape (parse_json.c dispatches; parse_json_windows.c
 * and parse_json_net.c hold the shapes). Not an API outside src/parse/.
 *
 * Every name and value added is copied into ev->arena (the jansson tree is
 * freed before parse() returns) or is a static string. Adders never fail the
 * parse: a field that does not fit (VG_MAX_FIELDS, VG_MAX_FIELD_NAME, arena
 * cap) is dropped and counted in ev->dropped. Walkers return VG_EPARSE only
 * when nesting passes VG_MAX_JSON_DEPTH (already excluded by parse_json.c's
 * pre-scan, so a defensive check). */
#ifndef VG_PARSE_JSON_INTERNAL_H
#define VG_PARSE_JSON_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "core/event.h"
#include "core/limits.h"

/* A field name being built ("a.b.c"); never longer than VG_MAX_FIELD_NAME. */
typedef struct vg_jname {
	size_t len;
	char buf[VG_MAX_FIELD_NAME + 1];
} vg_jname;

/* Set nb to the NUL-terminated prefix; 0, or VG_ELIMIT when too long. */
int vg_json_name_set(vg_jname *nb, const char *prefix);
/* Append "." (unless nb is empty) and key[0..n); VG_ELIMIT (nb unchanged)
 * when the name would pass VG_MAX_FIELD_NAME. */
int vg_json_name_push(vg_jname *nb, const char *key, size_t n);

/* Add a scalar under name[0..nlen) (static or arena memory): strings as
 * VG_V_STR, integers and reals as VG_V_NUM (integer text, or the shortest
 * text that reads back as the same double), true/false VG_V_BOOL, null
 * VG_V_NULL. Objects and arrays add nothing. */
void vg_json_add_scalar(vg_event *ev, const char *name, size_t nlen, const json_t *v);

/* Flatten v (at nesting depth, root object = 1) under the name in nb:
 * object members as nb.key, array elements as further values of the same
 * name (multi-valued), objects inside arrays flattened member by member. */
int vg_json_flatten(vg_event *ev, vg_jname *nb, const json_t *v, int depth);
/* Flatten every member of the object root under its own key. */
int vg_json_flatten_root(vg_event *ev, const json_t *root);

/* For each value of src add dst (a static name) with the same value (shares
 * the arena copy). lower: an ASCII-lowercased copy instead. Returns how many
 * values were aliased. */
int vg_json_alias(vg_event *ev, const char *dst, const char *src, int lower);
/* Set ev->ts_us from the first value of field name when still unset: text in
 * RFC 3339, or epoch seconds (10-12 digits, optional fraction) or epoch
 * milliseconds (13 digits), as number or string. 1 when set, else 0. */
int vg_json_ts(vg_event *ev, const char *name);

/* Document shapes: match() looks at the top-level keys, parse() fills the
 * event (fields, timestamp, layer, logsource ids); 0 or VG_EPARSE. */
int vg_json_evtx_match(const json_t *root);
int vg_json_evtx_parse(vg_event *ev, const json_t *root);
int vg_json_winlogbeat_match(const json_t *root);
int vg_json_winlogbeat_parse(vg_event *ev, const json_t *root);
int vg_json_eve_match(const json_t *root);
int vg_json_eve_parse(vg_event *ev, const json_t *root);
int vg_json_zeek_match(const json_t *root);
int vg_json_zeek_parse(vg_event *ev, const json_t *root);

#endif
