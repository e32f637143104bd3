/* test_newline.c — every newline scanner this CPU runs (SSE2, AVX2) gives
 * the newline offsets a byte loop gives, for every length up to a block and every
 * alignment, and reads nothing past the end (the input ends at a page the
 * test makes inaccessible). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "scan/newline.h"

static void expect_offs(vg_nl_scan_fn scan, const char *p, size_t n)
{
	static uint16_t got[VG_NL_BLOCK + 1], want[VG_NL_BLOCK];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n')
			want[k++] = (uint16_t)i;
	for (size_t i = 0; i <= VG_NL_BLOCK; i++)
		got[i] = 0xa5a5;
	assert_int_equal(scan(p, n, got), k);
	for (size_t i = 0; i < k; i++)
		assert_int_equal(got[i], want[i]);
	/* nothing written past the offsets found */
	for (size_t i = k; i <= VG_NL_BLOCK; i++)
		assert_int_equal(got[i], 0xa5a5);
}

static void test_scanners(void **state)
{
	(void)state;
	vg_nl_scan_fn all[4];
	size_t k = vg_nl_scanners(all, 4);
	assert_true(k >= 1);
	assert_ptr_equal(vg_nl_scanner(), all[k - 1]);

	/* pages for a block and more, then an inaccessible one: data that ends
	 * where the readable pages end */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (VG_NL_BLOCK + 128 + page - 1) / page * page;
	char *map = mmap(NULL, len + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + len, page, PROT_NONE), 0);
	char *end = map + len;

	srand(7);
	for (size_t s = 0; s < k; s++) {
		/* dense, sparse, and no newlines; every length and alignment */
		for (int density = 0; density < 3; density++) {
			for (size_t i = 0; i < len; i++)
				map[i] = density == 2 ? 'x' : (rand() % (density == 0 ? 3 : 100) == 0 ? '\n' : (char)(rand() % 256 | 1));
			for (size_t n = 0; n <= VG_NL_BLOCK; n += n < 200 ? 1 : 61)
				for (size_t a = 0; a < 64; a += 13)
					expect_offs(all[s], end - n - a, n);
			expect_offs(all[s], end - VG_NL_BLOCK, VG_NL_BLOCK);
		}
		/* a newline in every position of a full word, and the '\n' | 0x80 byte */
		for (size_t i = 0; i < 64; i++) {
			memset(map, 0x8a, 128);
			map[i] = '\n';
			expect_offs(all[s], map, 64);
			expect_offs(all[s], map, i + 1);
		}
	}
	munmap(map, len + page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scanners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
