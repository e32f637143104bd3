/* test_textcell.c — table cells of UTF-8 text (core/textcell.c): columns
 * counted per character (precomposed and decomposed Vietnamese), padding to
 * a width, cutting only between characters (a combining mark stays with its
 * letter), and malformed bytes counted one column each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/textcell.h"

static char *cell(const char *s, size_t width, size_t max)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	vg_text_cell(f, s, width, max);
	fclose(f);
	return buf;
}

static void test_columns(void **state)
{
	(void)state;
	assert_int_equal(vg_text_cols(""), 0);
	assert_int_equal(vg_text_cols("abc"), 3);
	assert_int_equal(vg_text_cols("Cổng dịch vụ công"), 17); /* precomposed: 17 characters */
	assert_int_equal(vg_text_cols("Co\xcc\x82\xcc\x89ng"), 4); /* o + U+0302 + U+0309: one column */
	assert_int_equal(vg_text_cols("a\xff" "b"), 3);               /* a stray byte: one column */
	assert_int_equal(vg_text_cols("\xe1\xbb"), 2);                /* a cut sequence: byte by byte */
}

static void test_cells(void **state)
{
	(void)state;
	assert_string_equal(cell("Cổng", 6, 0), "Cổng  ");
	assert_string_equal(cell(NULL, 3, 0), "   ");
	assert_string_equal(cell("abcdef", 3, 0), "abcdef"); /* no max: never cut */
	assert_string_equal(cell("Nguyễn Văn An", 8, 8), "Nguyễn V");
	assert_string_equal(cell("Nguyễn Văn An", 20, 5), "Nguyễ               ");
	/* the mark stays with its letter when the cut falls after it */
	assert_string_equal(cell("Co\xcc\x82ng", 0, 2), "Co\xcc\x82");
	assert_int_equal(vg_text_fit("Cổng", 2), 4); /* 'C' + 3 bytes of 'ổ' */
	assert_int_equal(vg_text_fit("Cổng", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_cells),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
