/* textcell.c — see textcell.h. */
#include "core/textcell.h"

#include <string.h>

/* Length of the UTF-8 sequence at s (1 for a byte that does not start a
 * well-formed one) and whether it is a combining mark (0 columns). */
static size_t seq(const unsigned char *s, int *zero)
{
	*zero = 0;
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 1;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 1;
	if (n == 2) {
		unsigned cp = (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
		*zero = cp >= 0x300 && cp <= 0x36F;
	}
	return n;
}

size_t vg_text_fit(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, cols = 0;
	while (p[i] != '\0') {
		int zero;
		size_t n = seq(p + i, &zero);
		if (!zero && cols == max)
			break;
		cols += !zero;
		i += n;
	}
	return i;
}

/* Columns of s[0..n). */
static size_t cols_of(const char *s, size_t n)
{
	size_t i = 0, cols = 0;
	while (i < n) {
		int zero;
		i += seq((const unsigned char *)s + i, &zero);
		cols += !zero;
	}
	return cols;
}

size_t vg_text_cols(const char *s)
{
	return cols_of(s, strlen(s));
}

void vg_text_cell(FILE *f, const char *s, size_t width, size_t max)
{
	if (s == NULL)
		s = "";
	size_t n = max != 0 ? vg_text_fit(s, max) : strlen(s);
	fwrite(s, 1, n, f);
	for (size_t cols = cols_of(s, n); cols < width; cols++)
		fputc(' ', f);
}
