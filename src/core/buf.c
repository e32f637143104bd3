/* buf.c — growable byte buffer (see buf.h). */
#include "core/buf.h"

#include <stdlib.h>
#include <stdint.h>

int vg_buf_reserve(vg_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return 0;
	size_t nc = b->cap ? b->cap : 4096;
	while (nc - b->len < n) {
		if (nc > SIZE_MAX / 2)
			return VG_ENOMEM;
		nc *= 2;
	}
	char *nd = realloc(b->data, nc);
	if (nd == NULL)
		return VG_ENOMEM;
	b->data = nd;
	b->cap = nc;
	return 0;
}

void vg_buf_free(vg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
