/* parse_registry.c — the parser table, format detection and the per-record
 * fallback that guarantees every record becomes an event. */
#include "parse/parse.h"

#include <string.h>

extern const vg_parser vg_parser_json;
extern const vg_parser vg_parser_auditd;
extern const vg_parser vg_parser_apache_access;
extern const vg_parser vg_parser_apache_error;
extern const vg_parser vg_parser_syslog;

/* Order breaks ties in detection: the more specific formats first. */
const vg_parser *const vg_parsers[] = {
	&vg_parser_json,
	&vg_parser_auditd,
	&vg_parser_apache_access,
	&vg_parser_apache_error,
	&vg_parser_syslog,
	NULL,
};

const vg_parser *vg_parser_find(const char *name)
{
	for (size_t i = 0; vg_parsers[i] != NULL; i++)
		if (strcmp(vg_parsers[i]->name, name) == 0)
			return vg_parsers[i];
	return NULL;
}

const vg_parser *vg_parser_detect(const char *const *lines, const size_t *lens, size_t n)
{
	const vg_parser *best = NULL;
	long best_score = 0;
	for (size_t i = 0; vg_parsers[i] != NULL; i++) {
		long score = 0;
		for (size_t k = 0; k < n; k++)
			score += vg_parsers[i]->probe(lines[k], lens[k]);
		if (score > best_score) {
			best = vg_parsers[i];
			best_score = score;
		}
	}
	return best;
}

static void make_raw(vg_event *ev)
{
	/* Reset drops anything a failed parser half-added. */
	vg_event_reset(ev, ev->raw, ev->raw_len, ev->path, ev->line);
	size_t n = ev->raw_len;
	while (n > 0 && (ev->raw[n - 1] == '\n' || ev->raw[n - 1] == '\r'))
		n--;
	(void)vg_event_add_str(ev, "message", ev->raw, n);
	ev->format = "raw";
}

/* After p (NULL: none) failed on the record: the other parsers whose probe
 * accepts it, then "raw". */
const vg_parser *vg_parse_fallback(const vg_parser *p, vg_event *ev)
{
	/* as the record was read: parsers leave these alone (a reset keeps them) */
	const char *raw = ev->raw;
	size_t len = ev->raw_len;
	const char *path = ev->path;
	uint64_t line = ev->line;
	int year = ev->year_hint;

	for (size_t i = 0; vg_parsers[i] != NULL; i++) {
		const vg_parser *q = vg_parsers[i];
		/* a JSON document on one line is a record too (agents, HTTP, syslog payloads) */
		int framing_ok = q->framing == VG_FRAME_LINE || (q->framing == VG_FRAME_JSON && len > 0 && raw[0] == '{');
		if (q == p || !framing_ok || q->probe(raw, len) < 50)
			continue;
		vg_event_reset(ev, raw, len, path, line);
		ev->year_hint = year;
		if (q->parse(ev) == 0) {
			ev->format = q->name;
			return q;
		}
	}
	vg_event_reset(ev, raw, len, path, line);
	ev->year_hint = year;
	make_raw(ev);
	return NULL;
}
