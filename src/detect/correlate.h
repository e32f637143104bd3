/* correlate.h — Sigma correlation rules (event_count, value_count, temporal,
 * temporal_ordered) over event time, with group-by, timespan and chaining.
 *
 * Split in two so the parse/match work can run on many threads while
 * correlation state stays single-threaded and ordered:
 *  - vg_corr_plan_hit (any thread, through a plan built once after compile):
 *    when base rule idx matched ev, copy what the correlations referencing it
 *    need (time, location, group-by and counted values) into arena memory.
 *    NULL when no correlation uses idx. vg_corr_plan_hit_more: the same for
 *    an event's further base rules, sharing the copies its previous hit made.
 *  - vg_corr_feed (one thread, in input order): advance the windows and call
 *    cb for each correlation that fires; chained correlations see the alerts
 *    of the correlations they reference. vg_corr_feed_batch: a run of hits
 *    made before the call, in one call.
 * Memory is bounded: at most VG_MAX_CORR_GROUPS groups per rule and
 * VG_MAX_CORR_EVENTS events per group (oldest evicted first, counted).
 * A group that fires is reset and then stays silent for one timespan, so a
 * burst gives one alert per window, however long it lasts.
 *
 * Semantics (docs/correlation.md has the long form):
 *  - Windows slide over event time: a group's window is the events within
 *    timespan (inclusive) of its newest event. A hit without a timestamp
 *    takes the timestamp of the previous hit fed (0 before any).
 *  - Out of order: a late hit is inserted at its time; it counts if it lies
 *    within timespan of the group's newest event, else it is dropped. Groups
 *    expire once their newest event is more than timespan behind the newest
 *    time seen by that correlation; a jump back in time by more than the
 *    timespan (e.g. an older file fed after a newer one) restarts that clock
 *    so the older events still correlate among themselves. A live stream
 *    sets a lateness allowance instead (vg_corr_set_lateness).
 *  - gt/gte conditions fire as soon as they hold. Conditions that can only be
 *    decided when a window ends (lt, lte, eq, neq) use windows opened by a
 *    group's first event and are decided when a later hit falls past the end,
 *    when the group expires, or by vg_corr_flush at the end of input.
 *  - value_count counts distinct non-empty values; temporal counts distinct
 *    referenced rules seen; temporal_ordered counts how many of the rules
 *    occurred in the given order (greedy, earliest first).
 *  - A hit whose event lacks a group-by field groups under "" for it (as the
 *    alert shows); rules that must not group absent values filter them.
 *  - cb is called only for correlations whose rule->alert is set; every
 *    firing correlation also feeds the correlations that reference it, as an
 *    event at its last_us carrying its group-by values and (the first and
 *    last 32 of) its locations. Correlations in a reference cycle are ignored. */
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
	uint64_t count;            /* events (event_count), distinct values (value_count), rules seen (temporal*) */
	const char *const *group_names;  /* Sigma group-by names */
	const char *const *group_values; /* their values ("" when the event lacked the field) */
	size_t ngroup;
	const vg_corr_loc *locs; /* contributing events, oldest first (at most VG_MAX_CORR_EVENTS) */
	size_t nlocs;
} vg_corr_alert;

typedef void (*vg_corr_alert_fn)(void *ud, const vg_corr_alert *a);

/* A plan, built once after vg_engine_compile, holds what every rule's hits
 * carry, with field mappings resolved, so making a hit scans nothing and
 * takes no lock. A plan is immutable: any number of threads may use one.
 * vg_corr_plan_new returns NULL on ENOMEM. vg_corr_plan_hit (any thread): the
 * hit lives in arena a and borrows ev->path, which must stay valid and
 * unchanged until the hit is fed; NULL when no correlation references idx
 * (or, rarely, when arena a is exhausted: the hit is then lost). */
typedef struct vg_corr_plan vg_corr_plan;
vg_corr_plan *vg_corr_plan_new(const vg_engine *e);
void vg_corr_plan_free(vg_corr_plan *p); /* NULL is a no-op */
vg_corr_hit *vg_corr_plan_hit(const vg_corr_plan *p, size_t rule_idx, const vg_event *ev, vg_arena *a);
/* The same, for a further base rule ev matched: prev (NULL: none) is a hit
 * vg_corr_plan_hit(_more) made with p from this same ev into this same arena a;
 * the new hit shares prev's copies of the values both read, so an event
 * matching several base rules looks each field up and copies it once. */
vg_corr_hit *vg_corr_plan_hit_more(const vg_corr_plan *p, size_t rule_idx, const vg_event *ev, vg_arena *a,
				   const vg_corr_hit *prev);

vg_corr *vg_corr_new(const vg_engine *e); /* NULL on ENOMEM */
void vg_corr_free(vg_corr *c);             /* NULL is a no-op */
/* One thread, hits in input order. The alert passed to cb is valid only during
 * the call. A NULL hit is a no-op. The path strings of hits (the events'
 * ev->path) are copied once per distinct path (by content) and kept while c
 * lives. VG_ENOMEM (that hit is lost, the state stays
 * consistent) or VG_EINVAL (a hit made with another engine). */
VG_WUR int vg_corr_feed(vg_corr *c, const vg_corr_hit *hit, vg_corr_alert_fn cb, void *ud);
/* vg_corr_feed of hits[0..n), in order, all made before this call: as each
 * hit's path is unchanged from its making until it is fed, one pointer holds
 * one path for the whole call, so paths are compared by pointer only. Every
 * hit is fed; returns the first error (0 when none). */
VG_WUR int vg_corr_feed_batch(vg_corr *c, const vg_corr_hit *const *hits, size_t n, vg_corr_alert_fn cb, void *ud);
/* End of input: decide the open windows of lt/lte/eq/neq correlations
 * (referenced correlations first, so chains see their alerts); those windows
 * are then empty and feeding may continue. 0 or VG_ENOMEM. */
VG_WUR int vg_corr_flush(vg_corr *c, vg_corr_alert_fn cb, void *ud);
/* Evictions because a bound was hit (reported in the scan summary). */
uint64_t vg_corr_evicted(const vg_corr *c);

/* Lateness allowance for a live stream (vigil server), in microseconds of
 * event time; set before feeding. us >= 0: a hit more than us behind the
 * newest time its correlation has seen is dropped and counted
 * (vg_corr_late), never restarting the clock, and groups are kept for
 * timespan + us after their newest event, so a hit within the allowance
 * still finds its group and counts if it lies within timespan of the
 * group's newest event (lt/lte/eq/neq windows are decided that much
 * later). us < 0 (the default, for files): no allowance; a jump back by
 * more than the timespan restarts the clock (see above). */
void vg_corr_set_lateness(vg_corr *c, int64_t us);
uint64_t vg_corr_late(const vg_corr *c); /* hits dropped as too late */

/* Rule reload (vigil server, SIGHUP): dst is made for the new engine, src
 * holds the state of the old one. Moves the state of every correlation of
 * src that is unchanged in dst (open groups and their events, windows,
 * counts, the silence after an alert, its clock) into dst, replacing what
 * dst held for it; the eviction and late counts, the time of the last
 * timestamped hit and (unless dst has its own) the lateness come along.
 * Unchanged is decided by content, never by position: the same rule digest
 * (engine.h: same id, same document) and, recursively, the same digest for
 * every base rule and correlation it references; rules may be added,
 * removed or reordered around it. Identical duplicates pair up in order.
 * The state of changed or removed correlations stays in src, undecided,
 * and goes with it; carried correlations are left empty in src, which stays
 * valid. Carried state holds dst's own copies of paths, so src and its
 * engine may be freed right after. Returns the number of correlations
 * carried (>= 0), VG_ENOMEM (dst and src unchanged) or VG_EINVAL (NULL, or
 * dst == src). Same thread as the feeding of both. */
VG_WUR int vg_corr_adopt(vg_corr *dst, vg_corr *src);

#endif
