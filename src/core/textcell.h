/* textcell.h — fixed-width table cells for terminal output of UTF-8 text
 * (Vietnamese names are the norm here): width in columns, not bytes, and
 * cuts only between characters. A column is a code point; combining marks
 * (U+0300..U+036F, as in decomposed Vietnamese) take none. Bytes that are not
 * UTF-8 count one column each and are written as they are.
 * Pure functions over their arguments; thread-safe. */
#ifndef VG_CORE_TEXTCELL_H
#define VG_CORE_TEXTCELL_H

#include <stddef.h>
#include <stdio.h>

/* Columns of s (NUL-terminated). */
size_t vg_text_cols(const char *s);
/* The longest prefix of s (in bytes) that fits in max columns. */
size_t vg_text_fit(const char *s, size_t max);
/* s padded with spaces to width columns; cut to max columns first when max
 * is not 0. NULL prints as "". */
void vg_text_cell(FILE *f, const char *s, size_t width, size_t max);

#endif
