/* buf.h — a growable byte buffer for building output.
 * The caller owns the struct; vg_buf_free releases the memory. Appends fail
 * with VG_ENOMEM and leave the contents unchanged. Not thread-safe. */
#ifndef VG_BUF_H
#define VG_BUF_H

#include <stddef.h>

#include "core/err.h"

typedef struct vg_buf {
	char *data;
	size_t len, cap;
} vg_buf;

/* Grows b to hold n more bytes; 0 or VG_ENOMEM. */
VG_WUR int vg_buf_reserve(vg_buf *b, size_t n);

/* Inline: most appends are a few bytes into room that is already there. */
static inline VG_WUR int vg_buf_append(vg_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n && vg_buf_reserve(b, n) != 0)
		return VG_ENOMEM;
	if (n != 0)
		__builtin_memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}
void vg_buf_free(vg_buf *b);

#endif
