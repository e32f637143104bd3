/* fuzz_tail_state.c — libFuzzer target for vg_tail_restore: arbitrary bytes as
 * a checkpoint blob. Restore only parses (no file access), so no files are
 * needed. Whatever the bytes, restore must not crash or leak; a blob it
 * accepts must re-encode to a blob that restores and re-encodes to the very
 * same bytes (the parser and the writer agree). Input flags: byte 0 bit 0
 * recomputes the trailing crc32, so mutations reach the field checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "agent/tail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vg_tail *mk(void)
{
	const char *globs[] = {"/nonexistent/vigil-fuzz/*.log"};
	vg_tail_opts o = {.max_files = VG_TAIL_MAX_FILES};
	int err = 0;
	vg_tail *t = vg_tail_new(globs, 1, &o, &err);
	if (t == NULL)
		abort();
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > VG_TAIL_MAX_CHECKPOINT + 1)
		return 0;
	int fix = data[0] & 1;
	size_t n = size - 1;
	uint8_t *b = malloc(n ? n : 1);
	if (b == NULL)
		return 0;
	memcpy(b, data + 1, n);
	if (fix && n >= 4) {
		uint32_t c = (uint32_t)crc32(0L, b, (uInt)(n - 4));
		for (int i = 0; i < 4; i++)
			b[n - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
	}
	vg_tail *t = mk();
	int r = vg_tail_restore(t, b, n);
	if (r != 0 && r != VG_EPARSE && r != VG_EUNSUPPORTED && r != VG_ELIMIT && r != VG_ENOMEM)
		abort();
	if (r == 0) {
		vg_buf one = {0}, two = {0};
		if (vg_tail_checkpoint(t, &one) != 0)
			abort();
		vg_tail *u = mk();
		if (vg_tail_restore(u, one.data, one.len) != 0 || vg_tail_checkpoint(u, &two) != 0)
			abort();
		if (one.len != two.len || memcmp(one.data, two.data, one.len) != 0)
			abort();
		vg_tail_free(u);
		vg_buf_free(&one);
		vg_buf_free(&two);
	}
	vg_tail_free(t);
	free(b);
	return 0;
}
