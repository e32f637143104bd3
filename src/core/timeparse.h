/* timeparse.h — the timestamp shapes found in logs, to microseconds UTC.
 * Each parser reads exactly n bytes (no NUL needed), returns the number of
 * bytes consumed (> 0) with *us set, or 0 when the text is not in that shape.
 * Pure functions; thread-safe. */
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
/* RFC 3164: "Jun 14 15:16:01" / "Jun  9 06:06:20" (no year: year given). */
size_t vg_time_bsd(const char *p, size_t n, int year, int64_t *us);
/* vg_time_bsd through a one-entry cache of the minute of the last stamp
 * parsed (and its year): consecutive syslog lines mostly share it. The
 * cache belongs to its caller (one per thread, e.g. in the event); it starts
 * zeroed. Same result as vg_time_bsd. */
typedef struct vg_time_cache {
	uint64_t k0, k1, k2, k3; /* the stamp's bytes (words may overlap) */
	int64_t us;              /* its time (what it covers: see each parser) */
	int year;
	uint32_t len;            /* bytes the stamp took (CLF: whole stamps) */
	int ok;                  /* an entry is held (CLF: which kind) */
} vg_time_cache;
size_t vg_time_bsd_cached(vg_time_cache *c, const char *p, size_t n, int year, int64_t *us);
/* Common Log Format: "10/Oct/2000:13:55:36 -0700". */
size_t vg_time_clf(const char *p, size_t n, int64_t *us);
/* vg_time_clf through a cache of the last stamp: whole (with its zone) in
 * the usual shape, else its first 20 bytes (date and time of day); the
 * same result. */
size_t vg_time_clf_cached(vg_time_cache *c, const char *p, size_t n, int64_t *us);
/* ctime-like, as Apache error logs: "Sun Dec 04 04:47:44 2005" or
 * "Sun Dec 04 04:47:44.123456 2005". */
size_t vg_time_ctime(const char *p, size_t n, int64_t *us);
/* vg_time_ctime through a cache of the minute of the last stamp without a
 * fraction; the same result. */
size_t vg_time_ctime_cached(vg_time_cache *c, const char *p, size_t n, int64_t *us);
/* Seconds with optional fraction since the epoch: "1364481363.243". */
size_t vg_time_epoch(const char *p, size_t n, int64_t *us);

#endif
