/* event.h — the normalised event every parser fills and every rule reads.
 *
 * An event is the raw record (always kept, borrowed from the reader's buffer)
 * plus a flat list of fields with ECS dotted names ("source.ip",
 * "winlog.event_data.Image"). Names and values are borrowed slices: either into
 * the raw record (zero copy) or into the event's arena (decoded/derived text).
 * A field name may repeat (multi-valued: auditd "type", JSON arrays); a reader
 * of a field sees every value. Numbers/bools/null keep their JSON text ("17",
 * "true") with a type tag.
 *
 * Ownership: a vg_event is reused for record after record by one thread;
 * vg_event_reset() forgets the fields and resets the arena. Nothing in it
 * outlives the next reset. Not thread-safe; one per worker. */
#ifndef VG_EVENT_H
#define VG_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/bytes.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeparse.h"

enum vg_layer {
	VG_LAYER_UNKNOWN = 0,
	VG_LAYER_NETWORK,     /* sensor, firewall, IDS, flow, DNS */
	VG_LAYER_HOST,        /* server and database: OS auth/audit/syslog, DB logs */
	VG_LAYER_APPLICATION, /* web servers, application logs */
	VG_LAYER_ENDPOINT,    /* workstation agents, Windows/Sysmon events */
};

enum vg_vtype { VG_V_STR = 0, VG_V_NUM, VG_V_BOOL, VG_V_NULL };

typedef struct vg_field {
	const char *name;
	const char *val;
	uint32_t hash; /* vg_field_hash(name, name_len) */
	uint16_t name_len;
	uint8_t type; /* enum vg_vtype */
	uint32_t val_len;
} vg_field;

#define VG_TS_NONE INT64_MIN

typedef struct vg_event {
	const char *raw; /* the record as read (event.original); not NUL-terminated */
	size_t raw_len;
	const char *path; /* log.file.path; "-" for stdin */
	uint64_t line;    /* log.file.line, 1-based line of the record's first byte */
	int64_t ts_us;    /* @timestamp, microseconds since the epoch UTC; VG_TS_NONE if unknown */
	int year_hint;    /* year to assume for timestamps without one (RFC 3164) */
	const char *format; /* parser name that produced the fields ("syslog", "raw") */
	uint8_t layer, product, service, category; /* enum vg_layer; logsource.h ids */
	uint32_t nfields;
	uint32_t dropped; /* fields beyond VG_MAX_FIELDS */
	vg_arena *arena;
	/* Parser scratch that survives vg_event_reset (never event data): the
	 * last RFC 3164, CLF and ctime timestamps parsed, as consecutive lines
	 * mostly repeat them. */
	vg_time_cache bsd_time, clf_time, ctime_time;
	vg_field fields[]; /* VG_MAX_FIELDS entries */
} vg_event;

/* FNV-1a over n bytes: for tables built once (rules, atoms). */
static inline uint32_t vg_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* The hash of a field name (vg_field.hash): computed for every field of every
 * event, so it reads at most eight bytes — the first four, the last four —
 * and the length. Equal hashes are always confirmed by comparing names. */
static inline uint32_t vg_field_hash(const char *p, size_t n)
{
	uint32_t a = 0, b = 0;
	if (n >= 4) {
		__builtin_memcpy(&a, p, 4);
		__builtin_memcpy(&b, p + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			a = a << 8 | (unsigned char)p[i];
	}
	return (a * 0x9E3779B1u) ^ (b * 0x85EBCA77u) ^ (uint32_t)n;
}

vg_event *vg_event_new(void); /* NULL on ENOMEM; vg_event_free(NULL) is a no-op */
void vg_event_free(vg_event *ev);
/* Forget fields, reset the arena, and point at a new raw record (format
 * "raw", no timestamp, layer and logsource ids 0; year_hint and the time
 * caches are kept). Inline: it runs once per record, and a parser's failure
 * runs it again. */
static inline void vg_event_reset(vg_event *ev, const char *raw, size_t raw_len, const char *path, uint64_t line)
{
	ev->raw = raw;
	ev->raw_len = raw_len;
	ev->path = path;
	ev->line = line;
	ev->ts_us = VG_TS_NONE;
	ev->format = "raw";
	ev->layer = VG_LAYER_UNKNOWN;
	ev->product = ev->service = ev->category = 0;
	ev->nfields = 0;
	ev->dropped = 0;
	vg_arena_reset(ev->arena);
}

/* Add a field. name and val must stay valid until the next reset (slices of the
 * raw record, static strings, or arena memory). Returns VG_ELIMIT (and counts
 * the drop) when the event is full. Inline: parsers add a dozen fields per
 * record, mostly under literal names whose length and hash then fold to
 * constants. */
static inline int vg_event_add(vg_event *ev, const char *name, size_t name_len, const char *val, size_t val_len,
			       enum vg_vtype type)
{
	if (__builtin_expect(ev->nfields >= VG_MAX_FIELDS || name_len > VG_MAX_FIELD_NAME || val_len > UINT32_MAX, 0)) {
		ev->dropped++;
		return VG_ELIMIT;
	}
	vg_field *f = &ev->fields[ev->nfields++];
	f->name = name;
	f->name_len = (uint16_t)name_len;
	f->hash = vg_field_hash(name, name_len);
	f->val = val;
	f->val_len = (uint32_t)val_len;
	f->type = (uint8_t)type;
	return VG_OK;
}
/* Convenience: NUL-terminated static name, value slice, string type
 * (inline, so the length of a literal name is a constant). */
static inline int vg_event_add_str(vg_event *ev, const char *name, const char *val, size_t val_len)
{
	return vg_event_add(ev, name, __builtin_strlen(name), val, val_len, VG_V_STR);
}
/* Add a field whose value is copied into the arena (for decoded text). */
int vg_event_add_copy(vg_event *ev, const char *name, size_t name_len, const char *val, size_t val_len, enum vg_vtype type);

/* First field named name at index >= *pos; sets *pos past it. NULL when none.
 * Loop: for (size_t i = 0; (f = vg_event_next(ev, n, len, h, &i));)
 * Inline, four hashes a step: matching and correlation look fields up for
 * every hit (a hash match drops to the field-by-field check from there). */
static inline const vg_field *vg_event_next(const vg_event *ev, const char *name, size_t name_len, uint32_t hash,
					    size_t *pos)
{
	const vg_field *f = ev->fields + *pos, *end = ev->fields + ev->nfields;
	for (; end - f >= 4; f += 4)
		if (f[0].hash == hash || f[1].hash == hash || f[2].hash == hash || f[3].hash == hash)
			break;
	for (; f < end; f++) {
		if (f->hash == hash && f->name_len == name_len && vg_bytes_eq(f->name, name, name_len)) {
			*pos = (size_t)(f - ev->fields) + 1;
			return f;
		}
	}
	*pos = ev->nfields;
	return NULL;
}
/* First value of a field by NUL-terminated name, or NULL. */
const vg_field *vg_event_get(const vg_event *ev, const char *name);

const char *vg_layer_name(uint8_t layer); /* "network", "host", "application", "endpoint", "unknown" */

#endif
