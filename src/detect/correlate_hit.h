/* correlate_hit.h — internal to the correlation module (correlate.c, the
 * windows; correlate_plan.c, the hits): what a hit carries and the lookups
 * both halves share. Not an API: use correlate.h.
 *
 * A hit lives in the arena the caller of vg_corr_plan_hit gave and borrows
 * its event's path; a further hit of the same event (vg_corr_plan_hit_more)
 * may share its previous hit's location and value arrays, which lie in the
 * same arena. Names are the engine's strings (compared by pointer first),
 * values are NUL-terminated with their lengths. */
#ifndef VG_CORRELATE_HIT_H
#define VG_CORRELATE_HIT_H

#include <stddef.h>
#include <stdint.h>

#include "detect/correlate.h"

struct vg_corr_hit {
	size_t rule_idx;
	int64_t ts; /* VG_TS_NONE when the event had none */
	const vg_corr_loc *locs;
	size_t nlocs;
	const char *const *names; /* Sigma field names (engine strings) */
	const char *const *vals;  /* their values; "" when absent */
	const size_t *lens;       /* strlen of each value */
	size_t nf;
};

/* First position of rule idx in d->rules, or d->nrules. */
size_t vg_corr_first_pos(const vg_corr_def *d, size_t idx);
/* The field a correlation reads for name from a hit of the rule at position
 * pos (an alias's field for that rule, or name); NULL: none. */
const char *vg_corr_resolve_name(const vg_corr_def *d, const char *name, size_t pos);
/* hit_value when the hint misses. */
const char *vg_corr_hit_value_search(const vg_corr_hit *h, const char *name, size_t *hint, size_t *len);

/* The value of field name in h and its length ("" and 0 when h lacks it).
 * *hint is where it was in the previous hit read for the same purpose:
 * hits of one rule list their fields in one order (names are the engine's
 * strings, the same pointers as ours), so the search is mostly skipped. */
static inline const char *hit_value(const vg_corr_hit *h, const char *name, size_t *hint, size_t *len)
{
	size_t i = *hint;
	if (i < h->nf && h->names[i] == name) {
		*len = h->lens[i];
		return h->vals[i];
	}
	return vg_corr_hit_value_search(h, name, hint, len);
}

#endif
