/* fuzz_json.c — libFuzzer target for the "json" parser: any bytes as one
 * record. Checks that parse() never reads outside the record, never leaks,
 * and leaves an event whose fields are all readable and within the limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "parse/parse.h"

extern const vg_parser vg_parser_json;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vg_event *ev;
	if (ev == NULL && (ev = vg_event_new()) == NULL)
		abort();
	/* An exact-size copy, so ASan sees any read past the record. */
	char *raw = malloc(size ? size : 1);
	if (raw == NULL)
		abort();
	memcpy(raw, data, size);
	(void)vg_parser_json.probe(raw, size);
	vg_event_reset(ev, raw, size, "fuzz", 1);
	int r = vg_parser_json.parse(ev);
	if (r != 0 && r != VG_EPARSE)
		abort();
	if (ev->nfields > VG_MAX_FIELDS)
		abort();
	volatile unsigned sink = 0;
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const vg_field *f = &ev->fields[i];
		if (f->name_len > VG_MAX_FIELD_NAME || f->hash != vg_field_hash(f->name, f->name_len))
			abort();
		for (uint32_t k = 0; k < f->val_len; k++)
			sink += (unsigned char)f->val[k];
	}
	(void)sink;
	free(raw);
	return 0;
}
