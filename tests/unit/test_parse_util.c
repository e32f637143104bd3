/* test_parse_util.c — the word-at-a-time scanners of parse/parse_util.h
 * (vg_pu_find2, vg_pu_blank_off) against a byte loop: every length from 0 to
 * 70, the wanted bytes at every offset (inside, at and across the 8- and
 * 16-byte boundaries), with high-bit bytes around them, and slices that end
 * just before a wanted byte (nothing past n may be read as a match). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/parse_util.h"

static size_t naive(const char *p, size_t n, char a, char b)
{
	size_t i = 0;
	while (i < n && p[i] != a && p[i] != b)
		i++;
	return i;
}

static void test_find2_every_offset(void **state)
{
	(void)state;
	char buf[96];
	size_t checked = 0;
	static const char fill[] = {'x', (char)0x80, (char)0xff, (char)0xa0, (char)0x09 ^ 0x80, 'a'};
	for (size_t f = 0; f < sizeof(fill); f++)
		for (size_t n = 0; n <= 70; n++)
			for (size_t at = 0; at <= n + 1 && at < sizeof(buf); at++)
				for (int which = 0; which < 2; which++) {
					memset(buf, fill[f], sizeof(buf));
					buf[at] = which ? '\t' : ' '; /* at == n or n + 1: past the slice */
					size_t want = naive(buf, n, ' ', '\t');
					size_t got = vg_pu_find2(buf, n, ' ', '\t');
					if (got != want)
						fail_msg("fill %02x n %zu at %zu: %zu, want %zu", (unsigned char)fill[f], n, at,
							 got, want);
					assert_int_equal(vg_pu_blank_off(buf, n), want);
					/* another pair, the same answers */
					buf[at] = which ? '"' : '\\';
					assert_int_equal(vg_pu_find2(buf, n, '"', '\\'), naive(buf, n, '"', '\\'));
					checked++;
				}
	assert_true(checked > 30000);
}

/* A slice starting at every alignment of a buffer. */
static void test_find2_alignment(void **state)
{
	(void)state;
	char buf[128];
	for (size_t off = 0; off < 16; off++)
		for (size_t at = 0; at < 64; at++) {
			memset(buf, 'z', sizeof(buf));
			buf[off + at] = ' ';
			assert_int_equal(vg_pu_find2(buf + off, 64, ' ', '\t'), at);
			assert_int_equal(vg_pu_find2(buf + off, at, ' ', '\t'), at); /* ends just before it */
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find2_every_offset),
		cmocka_unit_test(test_find2_alignment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
