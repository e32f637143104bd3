/* correlate.h — Sigma correlation rules (event_count, value_count, temporal,
 * temporal_ordered) over event time, with group-by, timespan and chaining.
 *
 * Split in two so the parse/match work can run on many threads while
 * correlation state stays single-threaded and ordered:
 *  - vg_corr_hit_make (any thread): when base rule idx matched ev, copy what
 *    the correlations referencing it need (time, location, group-by and
 *    counted values) into arena memory. NULL when no correlation uses idx.
 *  - vg_corr_feed (one thread, in input order): advance the windows and call
 *    cb for each correlation that fires; chained correlations see the alerts
 *    of the correlations they reference.
 * Memory is bounded: at most VG_MAX_CORR_GROUPS groups per rule and
 * VG_MAX_CORR_EVENTS events per group (oldest evicted first, counted).
 * A group that fires is reset, so one burst gives one alert per window. */
#ifndef VG_CORRELATE_H
#define VG_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/event.h"
#include "detect/engine.h"

typedef struct vg_corr vg_corr;
typedef struct vg_corr_hit vg_corr_hit;

typedef struct vg_corr_loc {
	const char *path;
	uint64_t line;
} vg_corr_loc;

typedef struct vg_corr_alert {
	size_t rule_idx;
	const vg_rule_info *rule;
	int64_t first_us, last_us; /* event times of the first and last contributing event */
	uint64_t count;            /* events (event_count, temporal) or distinct values (value_count) */
	const char *const *group_names;  /* Sigma group-by names */
	const char *const *group_values; /* their values ("" when the event lacked the field) */
	size_t ngroup;
	const vg_corr_loc *locs; /* contributing events, oldest first (at most VG_MAX_CORR_EVENTS) */
	size_t nlocs;
} vg_corr_alert;

typedef void (*vg_corr_alert_fn)(void *ud, const vg_corr_alert *a);

/* Any thread. hit lives in arena a; NULL when no correlation references idx. */
vg_corr_hit *vg_corr_hit_make(const vg_engine *e, size_t rule_idx, const vg_event *ev, vg_arena *a);

vg_corr *vg_corr_new(const vg_engine *e); /* NULL on ENOMEM */
void vg_corr_free(vg_corr *c);
/* One thread, hits in input order. The alert passed to cb is valid only during the call. */
VG_WUR int vg_corr_feed(vg_corr *c, const vg_corr_hit *hit, vg_corr_alert_fn cb, void *ud);
/* Evictions because a bound was hit (reported in the scan summary). */
uint64_t vg_corr_evicted(const vg_corr *c);

#endif
