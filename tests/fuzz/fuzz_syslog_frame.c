/* fuzz_syslog_frame.c — the syslog stream framer on arbitrary bytes, fed in
 * pieces whose sizes come from the input itself; every message handed out
 * must lie within the limit. */
#include <stdint.h>
#include <stdlib.h>

#include "net/syslog_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *ud, const char *m, size_t len)
{
	(void)m;
	if (len > *(size_t *)ud)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = 64;
	vg_syslog_framer *f = vg_syslog_framer_new(max);
	if (f == NULL || size == 0) {
		vg_syslog_framer_free(f);
		return 0;
	}
	size_t step = (size_t)data[0] % 17 + 1, i = 1;
	int r = 0;
	while (i < size && r == 0) {
		size_t n = size - i < step ? size - i : step;
		r = vg_syslog_framer_feed(f, (const char *)data + i, n, check, &max);
		i += n;
	}
	if (r == 0 && vg_syslog_framer_end(f, check, &max) != 0)
		r = 1; /* a truncated frame: fine, nothing to check */
	vg_syslog_framer_free(f);
	return 0;
}
