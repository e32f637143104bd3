/* fuzz_parser.h — the body shared by the per-parser fuzz targets: one input
 * is one record, given to each named parser's probe and parse; every field
 * the parser emits is read back in full so a slice pointing outside live
 * memory trips the sanitizer, and out-of-contract results trap. */
#ifndef VG_FUZZ_PARSER_H
#define VG_FUZZ_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "parse/parse.h"

static unsigned vg_fuzz_touch(const vg_event *ev)
{
	unsigned sum = 0;
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const vg_field *f = &ev->fields[i];
		for (size_t k = 0; k < f->name_len; k++)
			sum += (unsigned char)f->name[k];
		for (size_t k = 0; k < f->val_len; k++)
			sum += (unsigned char)f->val[k];
	}
	return sum;
}

/* Run the parsers named in names (NULL-terminated) over data. */
static int vg_fuzz_parsers(const uint8_t *data, size_t size, const char *const *names)
{
	static vg_event *ev; /* reused like a worker's event; reachable, not leaked */
	if (ev == NULL && (ev = vg_event_new()) == NULL)
		return 0;
	const char *s = (const char *)data;
	for (size_t i = 0; names[i] != NULL; i++) {
		const vg_parser *p = vg_parser_find(names[i]);
		if (p == NULL)
			__builtin_trap();
		vg_event_reset(ev, s, size, "fuzz", 1);
		ev->year_hint = 2024;
		int score = p->probe(s, size);
		if (score < 0 || score > 100)
			__builtin_trap();
		int r = p->parse(ev);
		if (r != 0 && r != VG_EPARSE)
			__builtin_trap();
		volatile unsigned sink = vg_fuzz_touch(ev);
		(void)sink;
	}
	return 0;
}

#endif
