/* fuzz_event_doc.c — archived event documents back to ECS (what `vigil
 * events export` does with every record): arbitrary bytes through
 * vg_event_json_renest must give valid output or a copy, never a crash; and
 * for an event built from the input (fields named and valued by its bytes),
 * re-nesting the flat document must equal the nested one. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/event.h"
#include "scan/alert_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vg_buf out = {0};
	if (vg_event_json_renest(&out, (const char *)data, size) != 0)
		__builtin_trap();
	vg_buf_free(&out);

	/* an event: fields "n<i>" with values cut from the input at '\x01' */
	static vg_event *ev;
	if (ev == NULL && (ev = vg_event_new()) == NULL)
		return 0;
	vg_event_reset(ev, (const char *)data, size, "/fuzz", 1);
	ev->format = "raw";
	size_t start = 0, k = 0;
	char names[16][8];
	for (size_t i = 0; i <= size && k < 16; i++) {
		if (i < size && data[i] != 1)
			continue;
		snprintf(names[k], sizeof(names[k]), "a.n%zu", k % 5); /* repeats some names */
		uint8_t type = start < size ? data[start] % 4 : 0;
		if (vg_event_add_copy(ev, names[k], strlen(names[k]), (const char *)data + start, i - start, type) != 0)
			break;
		k++;
		start = i + 1;
	}
	vg_buf nested = {0}, flat = {0}, back = {0};
	if (vg_event_json(&nested, ev) == 0 && vg_event_json_flat(&flat, ev) == 0) {
		if (vg_event_json_renest(&back, flat.data, flat.len - 1) != 0 || back.len != nested.len ||
		    memcmp(back.data, nested.data, nested.len) != 0)
			__builtin_trap();
	}
	vg_buf_free(&nested);
	vg_buf_free(&flat);
	vg_buf_free(&back);
	return 0;
}
