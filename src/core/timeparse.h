/* timeparse.h — the timestamp shapes found in logs, to microseconds UTC.
 * Each parser reads exactly n bytes (no NUL needed), returns the number of
 * bytes consumed (> 0) with *us set, or 0 when the text is not in that shape.
 * Pure functions, thread-safe (the cached variants: as safe as their cache). */
#ifndef VG_TIMEPARSE_H
#define VG_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t vg_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Year of a timestamp (for RFC 3164 year hints). */
int vg_year_of(int64_t us);

/* RFC 3339 / ISO 8601: "2026-04-17T05:24:53.088849Z", "+07:00" offsets,
 * ' ' instead of 'T', missing zone = UTC. */
size_t vg_time_rfc3339(const char *p, size_t n, int64_t *us);
/* The one-entry caches of vg_time_*_cached: the last stamp parsed (and for
 * RFC 3164 and ctime stamps its minute too), as consecutive lines mostly
 * repeat the second and nearly always the minute. A cache belongs to its
 * caller (one per thread, e.g. in the event); it starts zeroed. Each cached
 * function returns what the plain one returns for the same arguments: a
 * stamp is taken from the cache only when the bytes that decide the plain
 * parser's result equal those of a stamp it accepted. The hit is inline
 * (once per line); the rest, vg_time_*_cache_miss, is out of line. */
typedef struct vg_time_cache {
	uint64_t k0, k1, k2, k3; /* the stamp's bytes (words may overlap) */
	int64_t us;              /* the stamp's time (CLF base entries: of its first 20 bytes) */
	int64_t minute;          /* RFC 3164, ctime: the time of second 0 of its minute */
	int year;
	uint32_t len; /* bytes the stamp took (CLF: whole stamps) */
	int ok;       /* an entry is held (CLF: which kind) */
} vg_time_cache;

/* RFC 3164: "Jun 14 15:16:01" / "Jun  9 06:06:20" (no year: year given). */
size_t vg_time_bsd(const char *p, size_t n, int year, int64_t *us);
/* Common Log Format: "10/Oct/2000:13:55:36 -0700". */
size_t vg_time_clf(const char *p, size_t n, int64_t *us);
/* ctime-like, as Apache error logs: "Sun Dec 04 04:47:44 2005" or
 * "Sun Dec 04 04:47:44.123456 2005". */
size_t vg_time_ctime(const char *p, size_t n, int64_t *us);

size_t vg_time_bsd_cache_miss(vg_time_cache *c, const char *p, size_t n, int year, int64_t *us);
size_t vg_time_clf_cache_miss(vg_time_cache *c, const char *p, size_t n, int64_t *us);
size_t vg_time_ctime_cache_miss(vg_time_cache *c, const char *p, size_t n, int64_t *us);

static inline uint64_t vg_time_word(const char *p)
{
	uint64_t w;
	__builtin_memcpy(&w, p, 8);
	return w;
}

/* vg_time_bsd through c. A hit: the stamp's 15 bytes (k0 = [0, 8), k1 =
 * [7, 15)) and the year are those of the last one, and a blank follows (no
 * fraction then; other stamps go the long way). */
static inline size_t vg_time_bsd_cached(vg_time_cache *c, const char *p, size_t n, int year, int64_t *us)
{
	if (n > 15 && p[15] == ' ' && c->ok && c->k0 == vg_time_word(p) && c->k1 == vg_time_word(p + 7) &&
	    c->year == year) {
		*us = c->us;
		return 15;
	}
	return vg_time_bsd_cache_miss(c, p, n, year, us);
}

/* vg_time_clf through c. A hit: a whole stamp as Apache writes it, with its
 * zone and one byte more ("10/Oct/2000:13:55:36 -0700]"), whose 27 bytes
 * (k0..k2 = [0, 24), k3 = [19, 27)) are those of the last one cached whole
 * (ok == 2; what vg_time_clf reads of a stamp with a blank at [20] and 27
 * bytes at least is in those bytes). Other shapes: see the miss. */
static inline size_t vg_time_clf_cached(vg_time_cache *c, const char *p, size_t n, int64_t *us)
{
	if (n >= 27 && c->ok == 2 && c->k0 == vg_time_word(p) && c->k1 == vg_time_word(p + 8) &&
	    c->k2 == vg_time_word(p + 16) && c->k3 == vg_time_word(p + 19)) {
		*us = c->us;
		return c->len;
	}
	return vg_time_clf_cache_miss(c, p, n, us);
}

/* vg_time_ctime through c. A hit: the 24 bytes (k0, k1, k3) are those of
 * the last stamp cached, which had no fraction (its 24 bytes alone decided
 * the result). */
static inline size_t vg_time_ctime_cached(vg_time_cache *c, const char *p, size_t n, int64_t *us)
{
	if (n >= 24 && c->ok && c->k0 == vg_time_word(p) && c->k1 == vg_time_word(p + 8) &&
	    c->k3 == vg_time_word(p + 16)) {
		*us = c->us;
		return 24;
	}
	return vg_time_ctime_cache_miss(c, p, n, us);
}

/* Seconds with optional fraction since the epoch: "1364481363.243". */
size_t vg_time_epoch(const char *p, size_t n, int64_t *us);

#endif
