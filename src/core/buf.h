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

VG_WUR int vg_buf_append(vg_buf *b, const void *p, size_t n);
void vg_buf_free(vg_buf *b);

#endif
