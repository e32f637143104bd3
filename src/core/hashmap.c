/* hashmap.c — open-addressing table with keyed SipHash (see hashmap.h).
 * SipHash-2-4 is written here from the published algorithm (Aumasson and
 * Bernstein, 2012) and checked against its test vectors in test_hashmap.c. */
#include "core/hashmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct slot {
	const void *key; /* NULL: empty slot */
	void *val;
	uint64_t hash;
	size_t len;
};

struct vg_hashmap {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t count;
	uint8_t seed[16];
};

#define MIN_CAP 8

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load64_le(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v)); /* one load, not eight */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = rotl(v1, 13);                                             \
		v1 ^= v0;                                                      \
		v0 = rotl(v0, 32);                                             \
		v2 += v3;                                                      \
		v3 = rotl(v3, 16);                                             \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = rotl(v3, 21);                                             \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = rotl(v1, 17);                                             \
		v1 ^= v2;                                                      \
		v2 = rotl(v2, 32);                                             \
	} while (0)

/* SipHash-c-d: c compression rounds per 8-byte block, d to finalise; the
 * tail read with at most two loads instead of a byte loop. Inline, so each
 * caller gets its rounds unrolled. */
static inline __attribute__((always_inline)) uint64_t sip(const uint8_t key[16], const void *data, size_t n, int c,
							   int d)
{
	const uint8_t *p = data;
	uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	size_t full = n & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = load64_le(p + i);
		v3 ^= m;
		for (int r = 0; r < c; r++)
			SIPROUND;
		v0 ^= m;
	}
	/* last block: the remaining bytes, and the length's low byte on top */
	uint64_t b = (uint64_t)n << 56;
	size_t left = n & 7;
	if (left >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, p + full, 4);
		memcpy(&hi, p + full + left - 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		lo = __builtin_bswap32(lo);
		hi = __builtin_bswap32(hi);
#endif
		b |= (uint64_t)lo | (uint64_t)hi << (8 * (left - 4));
	} else {
		for (size_t i = 0; i < left; i++)
			b |= (uint64_t)p[full + i] << (8 * i);
	}
	v3 ^= b;
	for (int r = 0; r < c; r++)
		SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	for (int r = 0; r < d; r++)
		SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t vg_siphash(const uint8_t key[16], const void *data, size_t n)
{
	return sip(key, data, n, 2, 4);
}

/* The tables' own hash: SipHash-1-3, the variant Python and Rust use for
 * their hash tables. Still keyed by the per-table random seed, so flooding a
 * table needs the seed; about half the rounds of SipHash-2-4, and tables are
 * hit for every correlation hit and value. */
static uint64_t table_hash(const uint8_t key[16], const void *data, size_t n)
{
	return sip(key, data, n, 1, 3);
}

vg_hashmap *vg_hashmap_new(size_t hint)
{
	vg_hashmap *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	size_t cap = MIN_CAP;
	while (cap < SIZE_MAX / 8 && cap / 4 * 3 < hint)
		cap *= 2;
	if ((m->slots = calloc(cap, sizeof(*m->slots))) == NULL) {
		free(m);
		return NULL;
	}
	m->cap = cap;
	/* A failed getrandom (very old kernel, seccomp) still leaves a per-table
	 * seed that differs between runs; collisions then need more guessing. */
	if (getrandom(m->seed, sizeof(m->seed), GRND_NONBLOCK) != (ssize_t)sizeof(m->seed)) {
		uint64_t a = (uint64_t)(uintptr_t)m, t = (uint64_t)time(NULL) ^ (uint64_t)clock();
		memcpy(m->seed, &a, 8);
		memcpy(m->seed + 8, &t, 8);
	}
	return m;
}

void vg_hashmap_free(vg_hashmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

size_t vg_hashmap_count(const vg_hashmap *m)
{
	return m->count;
}

/* Index of key's slot, or of the empty slot where it would go. */
static size_t find(const vg_hashmap *m, const void *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1, i = (size_t)h & mask;
	for (;;) {
		const struct slot *s = &m->slots[i];
		if (s->key == NULL || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return i;
		i = (i + 1) & mask;
	}
}

static int grow(vg_hashmap *m)
{
	if (m->cap > SIZE_MAX / 2 / sizeof(struct slot))
		return VG_ENOMEM;
	size_t ncap = m->cap * 2;
	struct slot *ns = calloc(ncap, sizeof(*ns));
	if (ns == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		const struct slot *s = &m->slots[i];
		if (s->key == NULL)
			continue;
		size_t j = (size_t)s->hash & (ncap - 1);
		while (ns[j].key != NULL)
			j = (j + 1) & (ncap - 1);
		ns[j] = *s;
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return VG_OK;
}

void *vg_hashmap_get(const vg_hashmap *m, const void *key, size_t len)
{
	uint64_t h = table_hash(m->seed, key, len);
	const struct slot *s = &m->slots[find(m, key, len, h)];
	return s->key != NULL ? s->val : NULL;
}

int vg_hashmap_put(vg_hashmap *m, const void *key, size_t len, void *val)
{
	if (key == NULL || val == NULL)
		return VG_EINVAL;
	uint64_t h = table_hash(m->seed, key, len);
	size_t i = find(m, key, len, h);
	if (m->slots[i].key == NULL) {
		if ((m->count + 1) > m->cap / 4 * 3) {
			int r = grow(m);
			if (r != 0)
				return r;
			i = find(m, key, len, h);
		}
		m->count++;
	}
	m->slots[i] = (struct slot){.key = key, .val = val, .hash = h, .len = len};
	return VG_OK;
}

void *vg_hashmap_del(vg_hashmap *m, const void *key, size_t len)
{
	uint64_t h = table_hash(m->seed, key, len);
	size_t mask = m->cap - 1, i = find(m, key, len, h);
	if (m->slots[i].key == NULL)
		return NULL;
	void *val = m->slots[i].val;
	/* Backward shift: pull later members of the probe run into the hole when
	 * the hole lies between their home slot and where they sit now. */
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (m->slots[j].key == NULL)
			break;
		size_t home = (size_t)m->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i] = (struct slot){0};
	m->count--;
	return val;
}

int vg_hashmap_next(const vg_hashmap *m, size_t *pos, const void **key, size_t *len, void **val)
{
	for (size_t i = *pos; i < m->cap; i++) {
		const struct slot *s = &m->slots[i];
		if (s->key == NULL)
			continue;
		*pos = i + 1;
		if (key != NULL)
			*key = s->key;
		if (len != NULL)
			*len = s->len;
		if (val != NULL)
			*val = s->val;
		return 1;
	}
	*pos = m->cap;
	return 0;
}
