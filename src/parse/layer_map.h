/* layer_map.h — which of the four monitoring layers an event belongs to,
 * decided by a table of data rows (docs/systems.md lists it): the event's
 * Sigma logsource ids (core/logsource.h), the parser's format (ev->format),
 * the agent record kind and the input it came in on.
 *
 * Order: the "override" rows are tried first, in table order (first match
 * wins); then the parser's own ev->layer when it set one; then the
 * "fallback" rows (agent record kind, input). VG_LAYER_UNKNOWN when nothing
 * applies. The table is read-only static data; every function is pure and
 * thread-safe. */
#ifndef VG_LAYER_MAP_H
#define VG_LAYER_MAP_H
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

enum vg_layer_key {
	VG_LK_PRODUCT = 1,  /* ev->product == id */
	VG_LK_SERVICE,      /* ev->service == id */
	VG_LK_CATEGORY,     /* ev->category == id */
	VG_LK_FORMAT,       /* strcmp(ev->format, text) == 0 */
	VG_LK_AGENT_KIND,   /* the agent record kind (net/agent_proto.h enum vg_ap_kind) == id */
	VG_LK_INPUT,        /* the input name starts with text ("syslog-" matches syslog-udp/tcp/tls) */
};

typedef struct vg_layer_row {
	uint8_t key;      /* enum vg_layer_key */
	uint8_t fallback; /* 1: tried only after the parser's own layer */
	uint8_t id;       /* for the id keys */
	const char *text; /* for FORMAT and INPUT */
	uint8_t layer;    /* enum vg_layer */
	const char *why;  /* one line for the documentation */
} vg_layer_row;

/* The table (static storage), *n rows. */
const vg_layer_row *vg_layer_map_rows(size_t *n);

/* The layer of ev received on input ("agent", "syslog-udp", "syslog-tcp",
 * "syslog-tls", "http"; NULL = unknown). */
uint8_t vg_layer_assign(const vg_event *ev, const char *input);
/* The same with the agent record kind (0 = not an agent record). */
uint8_t vg_layer_assign_kind(const vg_event *ev, const char *input, uint8_t agent_kind);

/* The layer of a name ("network", "host", "application", "endpoint"),
 * VG_LAYER_UNKNOWN for anything else. */
uint8_t vg_layer_parse(const char *name);

#endif
