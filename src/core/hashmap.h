/* hashmap.h — open-addressing hash table from byte-string keys to pointers.
 *
 * Linear probing with backward-shift deletion (no tombstones, so lookups stay
 * short however many keys come and go). Keys are hashed with SipHash-1-3 under
 * a random per-table key, because keys come from logs (IPs, user names) and a
 * hostile sender must not be able to force collisions.
 *
 * Ownership: keys are borrowed. The caller keeps a key's bytes alive and
 * unchanged while it is in the table (typically the value owns them); values
 * are opaque and never freed by the table. Memory grows with the number of
 * keys (load factor <= 3/4) and is released by vg_hashmap_free.
 * Not thread-safe; a const table may be read by many threads. */
#ifndef VG_HASHMAP_H
#define VG_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct vg_hashmap vg_hashmap;

/* hint: expected number of keys (0 for a small default). NULL on ENOMEM. */
vg_hashmap *vg_hashmap_new(size_t hint);
void vg_hashmap_free(vg_hashmap *m); /* NULL is a no-op */

size_t vg_hashmap_count(const vg_hashmap *m);
/* The value stored under key[0..len), or NULL when absent. */
void *vg_hashmap_get(const vg_hashmap *m, const void *key, size_t len);
/* Insert, or replace the value (and key pointer) of an existing key.
 * val must not be NULL. VG_ENOMEM (table unchanged) when growing fails. */
VG_WUR int vg_hashmap_put(vg_hashmap *m, const void *key, size_t len, void *val);
/* Remove key; returns its value, or NULL when it was absent. */
void *vg_hashmap_del(vg_hashmap *m, const void *key, size_t len);

/* Iterate: size_t pos = 0; while (vg_hashmap_next(m, &pos, &k, &len, &v)) ...
 * Returns 1 with an entry, 0 at the end. Any put or del invalidates pos. */
int vg_hashmap_next(const vg_hashmap *m, size_t *pos, const void **key, size_t *len, void **val);

/* SipHash-2-4 of p[0..n) under a 16-byte key (exposed for tests and for other
 * tables that need a keyed hash). */
uint64_t vg_siphash(const uint8_t key[16], const void *p, size_t n);

#endif
