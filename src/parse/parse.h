/* parse.h — the parser registration table and format detection.
 *
 * A parser turns one record (ev->raw, set by vg_event_reset) into ECS fields,
 * a timestamp, a layer and logsource ids (docs/schema.md lists what each
 * parser emits). Records are framed by the reader according to the parser's
 * framing: one line, one JSON document (may span lines), or one auditd event
 * (consecutive lines sharing an audit serial).
 *
 * parse() returns 0 when the record is in its format, VG_EPARSE when it is not
 * (the caller then keeps the record as a message-only "raw" event, never
 * drops it). A parser must never read outside ev->raw[0..raw_len), must not
 * assume NUL termination, and must bound its work by the limits of limits.h.
 * It must not change ev->raw, raw_len, path, line or year_hint: when it
 * fails, the next parser tried (vg_parse_record) reads them as they were.
 * Parsers are stateless and thread-safe; all state is in the event. */
#ifndef VG_PARSE_H
#define VG_PARSE_H

#include <stddef.h>

#include "core/event.h"

enum vg_framing {
	VG_FRAME_LINE = 0, /* one line is one record */
	VG_FRAME_JSON,     /* one JSON document is one record; documents may span lines */
	VG_FRAME_AUDIT,    /* consecutive auditd lines with the same serial are one record */
};

typedef struct vg_parser {
	const char *name;        /* "syslog", "apache_access", ... (the --format value) */
	const char *description; /* one line for `vigil help scan` */
	enum vg_framing framing;
	/* Confidence 0..100 that this line (first lines of a file) is in this format. */
	int (*probe)(const char *line, size_t n);
	int (*parse)(vg_event *ev);
} vg_parser;

/* NULL-terminated registration table, in detection-preference order. */
extern const vg_parser *const vg_parsers[];

/* The parser with this name, or NULL. */
const vg_parser *vg_parser_find(const char *name);

/* Best parser for a sample of a file's first lines (each without its newline),
 * or NULL when none scores. Thread-safe. */
const vg_parser *vg_parser_detect(const char *const *lines, const size_t *lens, size_t n);

/* After p (NULL: none) failed on the record: the rest of vg_parse_record. */
const vg_parser *vg_parse_fallback(const vg_parser *p, vg_event *ev);

/* Parse ev->raw with p; on VG_EPARSE, try the other line-framed parsers (and
 * the JSON ones, for a line that starts with '{') whose probe accepts the
 * line; if none does, make it a raw event whose only field is "message".
 * Always leaves a usable event; returns the parser used or NULL for raw.
 * Inline: it runs once per record, and the record's parser mostly succeeds
 * (the fallback is out of line). */
static inline const vg_parser *vg_parse_record(const vg_parser *p, vg_event *ev)
{
	if (__builtin_expect(p != NULL, 1) && __builtin_expect(p->parse(ev) == 0, 1)) {
		ev->format = p->name;
		return p;
	}
	return vg_parse_fallback(p, ev);
}

/* auditd framing: the serial number of "msg=audit(SECS.MS:SERIAL)" in a line.
 * 0 on success, VG_EPARSE when the line has none. */
int vg_audit_serial(const char *line, size_t n, unsigned long long *serial);

#endif
