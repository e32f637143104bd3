/* arena.c — chunked bump allocator (see arena.h). */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct vg_arena {
	struct chunk *head; /* current chunk; first chunk is at the end of the list */
	size_t cap, used;
};

#define FIRST_CHUNK 8192

static struct chunk *chunk_new(size_t size)
{
	struct chunk *c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

vg_arena *vg_arena_new(size_t cap)
{
	vg_arena *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->cap = cap;
	if ((a->head = chunk_new(FIRST_CHUNK)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void vg_arena_free(vg_arena *a)
{
	if (a == NULL)
		return;
	struct chunk *c = a->head;
	while (c != NULL) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
	free(a);
}

/* Reset with the chunks added since the last reset: freed. Out of line, as
 * most resets (one per event) find the first chunk alone and then save no
 * registers. */
static __attribute__((noinline)) void reset_chunks(vg_arena *a)
{
	while (a->head->next != NULL) {
		struct chunk *n = a->head->next;
		free(a->head);
		a->head = n;
	}
	a->head->used = 0;
	a->used = 0;
}

void vg_arena_reset(vg_arena *a)
{
	struct chunk *c = a->head;
	if (c->next != NULL) {
		reset_chunks(a);
		return;
	}
	c->used = 0;
	a->used = 0;
}

void *vg_arena_alloc(vg_arena *a, size_t n)
{
	if (n > SIZE_MAX - 32)
		return NULL;
	size_t need = (n + 15) & ~(size_t)15;
	if (need == 0)
		need = 16;
	if (a->cap != 0 && (need > a->cap || a->used > a->cap - need))
		return NULL;
	struct chunk *c = a->head;
	if (c->size - c->used < need) {
		size_t sz = c->size * 2;
		if (sz < need)
			sz = need;
		struct chunk *nc = chunk_new(sz);
		if (nc == NULL)
			return NULL;
		nc->next = c;
		a->head = c = nc;
	}
	void *p = c->data + c->used;
	c->used += need;
	a->used += need;
	return p;
}

char *vg_arena_strndup(vg_arena *a, const char *p, size_t n)
{
	char *s = vg_arena_alloc(a, n + 1);
	if (s == NULL)
		return NULL;
	if (n != 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

size_t vg_arena_used(const vg_arena *a)
{
	return a->used;
}
