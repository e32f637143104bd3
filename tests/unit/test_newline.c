/* test_newline.c — every newline scanner this CPU runs (SSE2, AVX2) gives
 * the bits a byte loop gives, for every length up to a block and every
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

static void expect_bits(vg_nl_scan_fn scan, const char *p, size_t n)
{
	uint64_t got[VG_NL_BLOCK / 64 + 1], want[VG_NL_BLOCK / 64 + 1];
	size_t words = (n + 63) / 64;
	memset(got, 0xa5, sizeof(got));
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < n; i++)
		want[i / 64] |= (uint64_t)(p[i] == '\n') << (i % 64);
	scan(p, n, got);
	for (size_t w = 0; w < words; w++)
		assert_true(got[w] == want[w]);
	/* nothing written past the words the length needs */
	assert_true(got[words] == 0xa5a5a5a5a5a5a5a5ull);
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
					expect_bits(all[s], end - n - a, n);
			expect_bits(all[s], end - VG_NL_BLOCK, VG_NL_BLOCK);
		}
		/* a newline in every position of a full word, and the '\n' | 0x80 byte */
		for (size_t i = 0; i < 64; i++) {
			memset(map, 0x8a, 128);
			map[i] = '\n';
			expect_bits(all[s], map, 64);
			expect_bits(all[s], map, i + 1);
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
