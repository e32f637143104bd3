/* bytes.h — byte-range equality for the hot paths (event field names,
 * matcher cache entries): short ranges compared a word at a time, inline,
 * where a libc call would cost more than the compare. Pure; thread-safe. */
#ifndef VG_CORE_BYTES_H
#define VG_CORE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* 1 if a[0..n) == b[0..n), else 0. */
static inline int vg_bytes_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return 0;
		}
		memcpy(&x, a + n - 8, 8); /* the last word, overlapping */
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		uint32_t u, v, w, z;
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		memcpy(&w, a + n - 4, 4);
		memcpy(&z, b + n - 4, 4);
		return u == v && w == z;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

#endif
