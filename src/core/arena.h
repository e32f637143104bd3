/* arena.h — bump allocator for per-event and per-batch scratch.
 * Memory lives until vg_arena_reset() or vg_arena_free(); individual
 * allocations are never freed. Allocation fails (NULL) past the arena's cap,
 * which bounds what one hostile record can make us allocate.
 * Not thread-safe: one arena per thread. */
#ifndef VG_ARENA_H
#define VG_ARENA_H

#include <stddef.h>

typedef struct vg_arena vg_arena;

/* cap: maximum bytes the arena may hand out between resets (0 = unbounded). */
vg_arena *vg_arena_new(size_t cap);
void vg_arena_free(vg_arena *a); /* NULL is a no-op */
void vg_arena_reset(vg_arena *a); /* keeps the first chunk, drops the rest */

/* 16-byte aligned; NULL when the cap is hit or malloc fails. */
void *vg_arena_alloc(vg_arena *a, size_t n);
/* Copy of p[0..n) with a terminating NUL; NULL on failure. */
char *vg_arena_strndup(vg_arena *a, const char *p, size_t n);
size_t vg_arena_used(const vg_arena *a);

#endif
