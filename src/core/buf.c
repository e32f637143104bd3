/* buf.c — growable byte buffer (see buf.h). */
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

int vg_buf_append(vg_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc - b->len < n)
			nc *= 2;
		char *nd = realloc(b->data, nc);
		if (nd == NULL)
			return VG_ENOMEM;
		b->data = nd;
		b->cap = nc;
	}
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void vg_buf_free(vg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
