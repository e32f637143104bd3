/* correlate_plan.c — correlation hits (see correlate.h, correlate_hit.h):
 * the plan built once per engine, and the hit copied out of a matching
 * event on any thread, with what the correlations referencing its rule read
 * (all but the event's path, which the hit borrows). */
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "detect/correlate_hit.h"

/* First position of rule idx in d->rules, or d->nrules. A rule listed twice
 * is fed once, as its first position (aliases of that position apply). */
size_t vg_corr_first_pos(const vg_corr_def *d, size_t idx)
{
	for (size_t p = 0; p < d->nrules; p++)
		if (d->rules[p] == idx)
			return p;
	return d->nrules;
}

/* The field a correlation reads for name (a group-by or value field) from a
 * hit of the rule at position pos: an alias's field for that rule, or name.
 * NULL: an alias that names no field for that rule. */
const char *vg_corr_resolve_name(const vg_corr_def *d, const char *name, size_t pos)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < d->naliases; i++) {
		const vg_corr_alias *al = &d->aliases[i];
		if (al->name == NULL || strcmp(al->name, name) != 0)
			continue;
		const char *f = al->rule_fields != NULL ? al->rule_fields[pos] : NULL;
		return f != NULL && f[0] != '\0' ? f : NULL;
	}
	return name;
}

/* An event field name a hit field reads, with its length and vg_field_hash:
 * looked up on every hit. */
struct look {
	const char *name;
	size_t len;
	uint32_t hash;
};

/* A field a hit carries: the Sigma name correlations ask for, and the event
 * fields it reads for the base rule (NULL/0: the name itself). */
struct pfield {
	const char *name;
	const char *const *targets;
	size_t ntargets;
	struct look *look; /* the event field names read, in order (targets, or the name itself) */
	size_t nlook;
	size_t id; /* equal for fields of any rule that read the same look list */
};

struct prule {
	struct pfield *f;
	const char **names; /* f[i].name: every hit of the rule points here */
	size_t nf;
	int used; /* some correlation references the rule */
};

struct vg_corr_plan {
	size_t nrules;
	struct prule *r;
};

static int add_name(struct pfield *f, size_t *n, const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(f[i].name, name) == 0)
			return 0;
	f[(*n)++] = (struct pfield){.name = name};
	return 1;
}

/* Upper bound of the fields a hit of rule idx carries; 0 and *used = 0 when
 * no correlation references idx. A scan of every definition. */
static size_t count_fields(const vg_engine *e, size_t idx, int *used)
{
	size_t nrules = vg_engine_rule_count(e), need = 0;
	*used = 0;
	for (size_t c = 0; c < nrules; c++) {
		const vg_corr_def *d = vg_engine_corr_def(e, c);
		if (d == NULL || vg_corr_first_pos(d, idx) == d->nrules)
			continue;
		*used = 1;
		need += d->ngroup + (d->type == VG_CORR_VALUE_COUNT);
	}
	return need;
}

/* The group-by and counted fields of every correlation reading idx, each
 * once, resolved through idx's field mapping; f has count_fields entries. */
static size_t list_fields(const vg_engine *e, size_t idx, struct pfield *f)
{
	size_t nrules = vg_engine_rule_count(e), nf = 0;
	for (size_t c = 0; c < nrules; c++) {
		const vg_corr_def *d = vg_engine_corr_def(e, c);
		size_t p;
		if (d == NULL || (p = vg_corr_first_pos(d, idx)) == d->nrules)
			continue;
		for (size_t g = 0; g < d->ngroup; g++)
			add_name(f, &nf, vg_corr_resolve_name(d, d->group_by[g], p));
		if (d->type == VG_CORR_VALUE_COUNT)
			add_name(f, &nf, vg_corr_resolve_name(d, d->value_field, p));
	}
	for (size_t i = 0; i < nf; i++)
		f[i].targets = vg_engine_map_field(e, idx, f[i].name, &f[i].ntargets);
	return nf;
}

/* f->look: the names event_field reads, resolved once. */
static int plan_lookups(struct pfield *f)
{
	const char *const *targets = f->targets;
	size_t nt = f->ntargets;
	if (targets == NULL || nt == 0) {
		targets = &f->name;
		nt = 1;
	}
	if ((f->look = calloc(nt, sizeof(*f->look))) == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < nt; i++) {
		if (targets[i] == NULL)
			continue;
		size_t n = strlen(targets[i]);
		f->look[f->nlook++] = (struct look){.name = targets[i], .len = n, .hash = vg_field_hash(targets[i], n)};
	}
	return VG_OK;
}

/* 1 when a and b read the same event fields, so hold the same value for
 * one event. */
static int same_look(const struct pfield *a, const struct pfield *b)
{
	if (a->nlook != b->nlook)
		return 0;
	for (size_t i = 0; i < a->nlook; i++)
		if (a->look[i].len != b->look[i].len || memcmp(a->look[i].name, b->look[i].name, a->look[i].len) != 0)
			return 0;
	return 1;
}

/* Every field's id: that of the first field (of any rule) with the same
 * look list, else a new one. Few rules feed correlations: quadratic is fine. */
static void set_ids(vg_corr_plan *p)
{
	size_t next = 0;
	for (size_t i = 0; i < p->nrules; i++) {
		for (size_t j = 0; j < p->r[i].nf; j++) {
			struct pfield *f = &p->r[i].f[j];
			f->id = SIZE_MAX;
			for (size_t k = 0; k <= i && f->id == SIZE_MAX; k++)
				for (size_t m = 0; m < p->r[k].nf && (k < i || m < j); m++)
					if (same_look(&p->r[k].f[m], f)) {
						f->id = p->r[k].f[m].id;
						break;
					}
			if (f->id == SIZE_MAX)
				f->id = next++;
		}
	}
}

/* The first event field behind one hit field, or NULL. */
static inline const vg_field *event_field(const struct pfield *f, const vg_event *ev)
{
	for (size_t i = 0; i < f->nlook; i++) {
		size_t pos = 0;
		const vg_field *v = vg_event_next(ev, f->look[i].name, f->look[i].len, f->look[i].hash, &pos);
		if (v != NULL)
			return v;
	}
	return NULL;
}

#define HIT_FAST 32 /* hit fields found in one pass and lent (more: looked up twice, never lent) */

/* prev's copy of the value of the field with id (prev a hit of rule pr), or
 * NULL. */
static inline const char *lent(const struct prule *pr, const vg_corr_hit *prev, size_t id, size_t *len)
{
	for (size_t j = 0; j < pr->nf; j++)
		if (pr->f[j].id == id) {
			*len = prev->lens[j];
			return prev->vals[j];
		}
	return NULL;
}

/* The arena memory of a hit of nf fields with vbytes of copied values: the
 * hit, its location, its value and length arrays, then the copies. */
struct hitmem {
	vg_corr_hit h;
	vg_corr_loc loc;
	const char *vals[];
};

/* Inline always: its callers differ in little else. */
static inline __attribute__((always_inline)) struct hitmem *hit_alloc(size_t rule_idx, const struct prule *r,
								      const vg_event *ev, vg_arena *a, size_t vbytes)
{
	size_t nf = r->nf;
	size_t arr = nf * (sizeof(char *) + sizeof(size_t));
	struct hitmem *hm;
	if (vbytes > SIZE_MAX / 2 || (hm = vg_arena_alloc(a, sizeof(*hm) + arr + vbytes)) == NULL)
		return NULL;
	hm->loc = (vg_corr_loc){.path = ev->path != NULL ? ev->path : "-", .line = ev->line};
	hm->h = (vg_corr_hit){.rule_idx = rule_idx, .ts = ev->ts_us, .locs = &hm->loc, .nlocs = 1,
			      .names = r->names, .vals = hm->vals, .lens = (size_t *)(void *)(hm->vals + nf), .nf = nf};
	return hm;
}

/* build_hit for a rule with more than HIT_FAST fields (none of vigil's):
 * every field looked up twice, nothing lent. */
static __attribute__((noinline)) vg_corr_hit *build_hit_big(size_t rule_idx, const struct prule *r,
							     const vg_event *ev, vg_arena *a)
{
	size_t nf = r->nf, vbytes = 0;
	if (nf > VG_MAX_FIELDS)
		return NULL;
	for (size_t i = 0; i < nf; i++) {
		const vg_field *v = event_field(&r->f[i], ev);
		vbytes += (v != NULL ? strnlen(v->val, v->val_len) : 0) + 1;
	}
	struct hitmem *hm = hit_alloc(rule_idx, r, ev, a, vbytes);
	if (hm == NULL)
		return NULL;
	size_t *lens = (size_t *)(void *)(hm->vals + nf);
	char *o = (char *)(lens + nf);
	for (size_t i = 0; i < nf; i++) {
		const vg_field *v = event_field(&r->f[i], ev);
		size_t vl = v != NULL ? strnlen(v->val, v->val_len) : 0;
		if (vl != 0)
			memcpy(o, v->val, vl);
		o[vl] = '\0';
		hm->vals[i] = o;
		lens[i] = vl;
		o += vl + 1;
	}
	return &hm->h;
}

/* 1 when the fields of rule r are the first fields of rule pr (by id): a
 * hit of r then reads the same values as a hit of pr of the same event,
 * at the same positions. */
static inline int fields_prefix(const struct prule *r, const struct prule *pr)
{
	if (r->nf > pr->nf)
		return 0;
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].id != pr->f[i].id)
			return 0;
	return 1;
}

/* A hit of rule r sharing prev's location and value and length arrays
 * (fields_prefix(r, prev's rule)): the common case of an event matching
 * several base rules of one service, which read the same fields. */
static vg_corr_hit *share_hit(size_t rule_idx, const struct prule *r, const vg_event *ev, vg_arena *a,
			      const vg_corr_hit *prev)
{
	vg_corr_hit *h = vg_arena_alloc(a, sizeof(*h));
	if (h == NULL)
		return NULL;
	*h = (vg_corr_hit){.rule_idx = rule_idx, .ts = ev->ts_us, .locs = prev->locs, .nlocs = 1,
			   .names = r->names, .vals = prev->vals, .lens = prev->lens, .nf = r->nf};
	return h;
}

/* build_hit of a rule with one field, for an event's first hit (the
 * common case): one lookup, one copy, no bookkeeping. */
static vg_corr_hit *build_hit_one(size_t rule_idx, const struct prule *r, const vg_event *ev, vg_arena *a)
{
	const vg_field *v = event_field(&r->f[0], ev);
	size_t vl = v != NULL ? strnlen(v->val, v->val_len) : 0;
	struct hitmem *hm = hit_alloc(rule_idx, r, ev, a, vl != 0 ? vl + 1 : 0);
	if (hm == NULL)
		return NULL;
	size_t *lens = (size_t *)(void *)(hm->vals + 1);
	lens[0] = vl;
	if (vl == 0) {
		hm->vals[0] = "";
	} else {
		char *o = (char *)(lens + 1);
		memcpy(o, v->val, vl);
		o[vl] = '\0';
		hm->vals[0] = o;
	}
	return &hm->h;
}

/* Out of line: most rules that match feed no correlation, and their
 * vg_corr_plan_hit returns before this one's setup. prev (rule pr): a hit
 * of the same event in a, or NULL. One allocation for the hit, its arrays,
 * its location and the copies of the values prev does not hold (the names
 * are the plan's, the path the event's); absent values are the literal "". */
static __attribute__((noinline)) vg_corr_hit *build_hit(size_t rule_idx, const struct prule *r, const vg_event *ev,
							 vg_arena *a, const struct prule *pr, const vg_corr_hit *prev)
{
	const struct pfield *f = r->f;
	size_t nf = r->nf, vbytes = 0;
	const char *src[HIT_FAST]; /* the value: prev's copy, or the event's bytes when copy has bit i */
	size_t fl[HIT_FAST];
	uint32_t copy = 0;
	if (prev != NULL && fields_prefix(r, pr))
		return share_hit(rule_idx, r, ev, a, prev);
	if (nf == 1 && prev == NULL)
		return build_hit_one(rule_idx, r, ev, a);
	if (nf > HIT_FAST)
		return build_hit_big(rule_idx, r, ev, a);
	for (size_t i = 0; i < nf; i++) {
		size_t vl = 0;
		const char *s = prev != NULL ? lent(pr, prev, f[i].id, &vl) : NULL;
		if (s == NULL) {
			const vg_field *v = event_field(&f[i], ev);
			s = "";
			if (v != NULL && (vl = strnlen(v->val, v->val_len)) != 0) {
				/* a value ends at its first NUL, as everywhere it is read */
				s = v->val;
				copy |= (uint32_t)1 << i;
				vbytes += vl + 1;
			}
		}
		src[i] = s;
		fl[i] = vl;
	}
	struct hitmem *hm = hit_alloc(rule_idx, r, ev, a, vbytes);
	if (hm == NULL)
		return NULL;
	const char **vals = hm->vals;
	size_t *lens = (size_t *)(void *)(vals + nf);
	char *o = (char *)(lens + nf);
	for (size_t i = 0; i < nf; i++) {
		size_t vl = fl[i];
		lens[i] = vl;
		if (copy >> i & 1) {
			memcpy(o, src[i], vl);
			o[vl] = '\0';
			vals[i] = o;
			o += vl + 1;
		} else {
			vals[i] = src[i];
		}
	}
	return &hm->h;
}

void vg_corr_plan_free(vg_corr_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->r != NULL && i < p->nrules; i++) {
		for (size_t j = 0; p->r[i].f != NULL && j < p->r[i].nf; j++)
			free(p->r[i].f[j].look);
		free(p->r[i].f);
		free(p->r[i].names);
	}
	free(p->r);
	free(p);
}

vg_corr_plan *vg_corr_plan_new(const vg_engine *e)
{
	vg_corr_plan *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->nrules = vg_engine_rule_count(e);
	if ((p->r = calloc(p->nrules ? p->nrules : 1, sizeof(*p->r))) == NULL)
		goto err;
	for (size_t i = 0; i < p->nrules; i++) {
		size_t need = count_fields(e, i, &p->r[i].used);
		if (!p->r[i].used)
			continue;
		if ((p->r[i].f = calloc(need + 1, sizeof(*p->r[i].f))) == NULL)
			goto err;
		p->r[i].nf = list_fields(e, i, p->r[i].f);
		if ((p->r[i].names = calloc(p->r[i].nf + 1, sizeof(*p->r[i].names))) == NULL)
			goto err;
		for (size_t j = 0; j < p->r[i].nf; j++) {
			p->r[i].names[j] = p->r[i].f[j].name;
			if (plan_lookups(&p->r[i].f[j]) != 0)
				goto err;
		}
	}
	set_ids(p);
	return p;
err:
	vg_corr_plan_free(p);
	return NULL;
}

vg_corr_hit *vg_corr_plan_hit(const vg_corr_plan *p, size_t rule_idx, const vg_event *ev, vg_arena *a)
{
	return vg_corr_plan_hit_more(p, rule_idx, ev, a, NULL);
}

vg_corr_hit *vg_corr_plan_hit_more(const vg_corr_plan *p, size_t rule_idx, const vg_event *ev, vg_arena *a,
				   const vg_corr_hit *prev)
{
	if (rule_idx >= p->nrules || !p->r[rule_idx].used)
		return NULL;
	return build_hit(rule_idx, &p->r[rule_idx], ev, a, prev != NULL ? &p->r[prev->rule_idx] : NULL, prev);
}

/* hit_value when the hint misses: addresses first, then text. */
const char *vg_corr_hit_value_search(const vg_corr_hit *h, const char *name, size_t *hint, size_t *len)
{
	size_t i;
	*len = 0;
	if (name == NULL)
		return "";
	for (i = 0; i < h->nf; i++)
		if (h->names[i] == name)
			goto found;
	for (i = 0; i < h->nf; i++)
		if (strcmp(h->names[i], name) == 0)
			goto found;
	return "";
found:
	*hint = i;
	*len = h->lens[i];
	return h->vals[i];
}
