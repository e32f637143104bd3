/* correlate.c — Sigma correlation windows over event time (see correlate.h).
 * Per correlation rule: a table of groups (by keyed SipHash of the group-by
 * values) kept on an LRU list, with the previous hit's group and a small
 * cache of recent ones checked first; per group, a time-sorted array of the
 * events still inside the window (small arrays are recycled). Hits carry
 * their values' lengths, so feeding neither measures nor rehashes them.
 * Chains are fed depth-first, in rule order. */
#include "detect/correlate.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/bytes.h"
#include "core/hashmap.h"
#include "core/limits.h"
#include "detect/correlate_hit.h"

/* Locations an alert carries into a chained correlation: its first and last
 * CHAIN_LOCS/2, so one alert seen as an event stays small. */
#define CHAIN_LOCS 64


/* One distinct value_count value of a group, shared by its events holding it. */
struct val {
	const struct group *g;
	uint64_t hash; /* its entry's hash in the cstate's values table */
	size_t refs, len;
	char s[];
};

/* A hash table of pointers whose hashes the caller computes (keyed
 * SipHash, so log content cannot force collisions) and keeps: lookups
 * probe and compare in the caller, deletion finds an entry by pointer, so
 * neither rehashes. Linear probing, backward-shift deletion, load <= 3/4. */
struct pent {
	uint64_t hash;
	void *p; /* NULL: empty */
};

struct ptab {
	struct pent *e;
	size_t cap, count; /* cap: a power of two */
	uint8_t seed[16];
};

/* One remembered event of a group. */
struct cev {
	int64_t ts;
	struct val *val;   /* value_count: the counted value; NULL when empty/absent */
	vg_corr_loc *locs; /* owned, when nlocs > 1 (a chained alert); else loc */
	vg_corr_loc loc;
	uint32_t nlocs;
	uint32_t pos; /* position in def->rules of the rule the event is for */
};

struct group {
	struct group *prev, *next; /* LRU list: head is the least recently updated */
	uint64_t hash;             /* its entry's hash in the groups table */
	const char **vals;  /* ngroup NUL-terminated values (in this allocation) */
	uint32_t *per_pos;  /* temporal: events in the window per rule position */
	size_t npresent;    /* temporal: positions with per_pos > 0 */
	size_t nvals;       /* value_count: distinct values (in the cstate's values table) */
	struct val *last_val; /* value_count: the previous hit's value (runs repeat one), or NULL */
	const size_t *vlens; /* strlen of each of vals (in this allocation) */
	struct cev *ev;     /* events ev[start .. start+n), sorted by ts */
	size_t start, n, cap;
	int64_t newest;    /* newest event time ever added (for expiry) */
	int64_t win_start; /* lt/eq-style conditions: time the open window began */
	int64_t quiet_until; /* gt/gte: no alert for hits up to this time (after one fired) */
	int quiet;
	uint32_t cslot; /* its slot in the cstate's gcache (fixed by its values) */
	size_t size;    /* bytes allocated for it and its arrays (see group_new) */
};

/* Freed groups kept per correlation for reuse (most groups of a
 * correlation have the same size), so the churn of short-lived groups
 * skips calloc/free. At most GSPARE, so the spares stay small. */
#define GSPARE 16

#define GCACHE 64 /* a power of two */

struct consumer {
	struct cstate *cs;
	size_t pos;
};

/* State of one correlation rule. */
struct cstate {
	size_t idx;
	const vg_corr_def *def;
	const vg_rule_info *info;
	int monotone; /* every condition is gt/gte: can fire as soon as it holds */
	/* Its events may own memory (a counted value, a chained alert's
	 * locations): else releasing them is a no-op (see group_free). */
	int owns;
	int64_t span;
	int64_t clock; /* newest time seen, see advance_clock */
	int has_clock;
	struct ptab groups;  /* by the hash of their values */
	struct ptab values;  /* value_count: struct val, by the hash of group and text */
	struct group *head, *tail;
	size_t ngroups;
	/* The group of the previous hit: hits of one source come in runs, so
	 * comparing its values saves most lookups. NULL once it is freed. */
	struct group *last_g;
	/* Groups by a cheap hash of their values, looked up before the table
	 * when last_g differs (sources interleave); a collision only costs the
	 * table lookup. */
	struct group *gcache[GCACHE];
	struct group *gspare[GSPARE]; /* freed groups for group_new */
	size_t ngspare;
	const char **gname; /* [pos * ngroup + g]: field read from a hit of rules[pos]; NULL: none */
	const char **vname; /* [pos]: value_count field; NULL: none */
	size_t *ghint, *vhint; /* hit_value hints for gname and vname */
	struct evpool *pool; /* the vg_corr's spare event arrays */
	/* What the state depends on (see set_identities): equal identities in
	 * two engines, same correlation, so vg_corr_adopt may move the state. */
	uint8_t ident[VG_RULE_DIGEST_LEN];
};

/* Spare event arrays of the small capacities (POOL_MIN << k), kept when
 * groups grow or go so that new and growing groups skip malloc/realloc.
 * At most POOL_KEEP per capacity, so the pool stays small. */
#define POOL_MIN 4
#define POOL_CLASSES 7 /* capacities 4 .. 256 */
#define POOL_KEEP 32

struct evpool {
	struct cev *spare[POOL_CLASSES][POOL_KEEP];
	size_t n[POOL_CLASSES];
};

struct vg_corr {
	const vg_engine *e;
	size_t nrules;
	struct cstate **cs;      /* per rule index: the state of a live correlation, else NULL */
	struct consumer **cons;  /* per rule index: the correlations that read its hits */
	size_t *ncons;
	struct cstate **order;   /* live correlations, referenced ones before referencing ones */
	size_t norder;
	vg_hashmap *paths;       /* interned copies of event paths */
	const char *last_interned; /* hits of one file come in runs: compare before the lookup */
	/* In vg_corr_feed_batch (in_batch), where a pointer holds one path for
	 * the whole call: the path pointer last interned and its copy, so a run
	 * of hits of one path compares no text. NULL: none. */
	int in_batch;
	const char *batch_raw, *batch_copy;
	vg_corr_loc *locbuf;     /* scratch: an alert's locations (see fire) */
	size_t locbuf_cap;
	char *key;               /* scratch for group keys */
	size_t keycap;
	const char **kv;         /* scratch: a hit's group-by values and lengths */
	size_t *kl;              /* (as many as the largest group-by) */
	struct evpool pool;
	uint64_t evicted;
	uint64_t late;     /* hits dropped as later than the allowance */
	int64_t lateness;  /* < 0: none set (jumps back restart the clock) */
	int64_t last_ts; /* timestamp of the previous hit that had one */
};

static int64_t sat_sub(int64_t a, int64_t b)
{
	return a < INT64_MIN + b ? INT64_MIN : a - b;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* ------------------------------------------------------------------------ */
/* Tables */

#define PTAB_MIN 16

static int ptab_init(struct ptab *t)
{
	if ((t->e = calloc(PTAB_MIN, sizeof(*t->e))) == NULL)
		return VG_ENOMEM;
	t->cap = PTAB_MIN;
	t->count = 0;
	/* A failed getrandom (very old kernel, seccomp) still leaves a seed
	 * that differs between runs (as vg_hashmap does). */
	if (getrandom(t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed)) {
		uint64_t a = (uint64_t)(uintptr_t)t, b = (uint64_t)time(NULL) ^ (uint64_t)clock();
		memcpy(t->seed, &a, 8);
		memcpy(t->seed + 8, &b, 8);
	}
	return VG_OK;
}

static int ptab_grow(struct ptab *t)
{
	if (t->cap > SIZE_MAX / 4 / sizeof(*t->e))
		return VG_ENOMEM;
	size_t ncap = t->cap * 2, mask = ncap - 1;
	struct pent *ne = calloc(ncap, sizeof(*ne));
	if (ne == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->e[i].p == NULL)
			continue;
		size_t j = (size_t)t->e[i].hash & mask;
		while (ne[j].p != NULL)
			j = (j + 1) & mask;
		ne[j] = t->e[i];
	}
	free(t->e);
	t->e = ne;
	t->cap = ncap;
	return VG_OK;
}

/* Add p (not in t) under hash h. VG_ENOMEM leaves t unchanged. */
static int ptab_put(struct ptab *t, uint64_t h, void *p)
{
	if (t->count + 1 > t->cap / 4 * 3) {
		int r = ptab_grow(t);
		if (r != 0)
			return r;
	}
	size_t mask = t->cap - 1, i = (size_t)h & mask;
	while (t->e[i].p != NULL)
		i = (i + 1) & mask;
	t->e[i] = (struct pent){.hash = h, .p = p};
	t->count++;
	return VG_OK;
}

/* Remove p, added under hash h. */
static void ptab_del(struct ptab *t, uint64_t h, const void *p)
{
	size_t mask = t->cap - 1, i = (size_t)h & mask;
	while (t->e[i].p != p) {
		if (t->e[i].p == NULL)
			return; /* never: p is in t */
		i = (i + 1) & mask;
	}
	/* Backward shift: pull later members of the probe run into the hole
	 * when the hole lies between their home slot and where they sit. */
	for (size_t j = i;;) {
		j = (j + 1) & mask;
		if (t->e[j].p == NULL)
			break;
		size_t home = (size_t)t->e[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i] = (struct pent){0};
	t->count--;
}

/* ------------------------------------------------------------------------ */
/* Setup and teardown */

/* The pool class of capacity cap, or POOL_CLASSES when it has none. */
static size_t pool_class(size_t cap)
{
	for (size_t k = 0; k < POOL_CLASSES; k++)
		if (cap == (size_t)POOL_MIN << k)
			return k;
	return POOL_CLASSES;
}

/* An event array of capacity cap (contents undefined), or NULL. */
static struct cev *ev_alloc(struct evpool *p, size_t cap)
{
	size_t k = pool_class(cap);
	if (k < POOL_CLASSES && p->n[k] > 0)
		return p->spare[k][--p->n[k]];
	return malloc(cap * sizeof(struct cev));
}

/* Give back an event array of capacity cap (NULL is a no-op). */
static void ev_release(struct evpool *p, struct cev *ev, size_t cap)
{
	if (ev == NULL)
		return;
	size_t k = pool_class(cap);
	if (k < POOL_CLASSES && p->n[k] < POOL_KEEP)
		p->spare[k][p->n[k]++] = ev;
	else
		free(ev);
}

/* The capacity of a new group's first array: the largest spare one, as
 * groups of one input tend to grow alike and a bigger start saves the
 * copies of growing (it takes no new memory: the spare exists); else
 * POOL_MIN. */
static size_t first_cap(const struct evpool *p)
{
	for (size_t k = POOL_CLASSES; k-- > 0;)
		if (p->n[k] > 0)
			return (size_t)POOL_MIN << k;
	return POOL_MIN;
}

static void pool_free(struct evpool *p)
{
	for (size_t k = 0; k < POOL_CLASSES; k++)
		while (p->n[k] > 0)
			free(p->spare[k][--p->n[k]]);
}

static void cev_release(struct cstate *s, struct group *g, struct cev *v)
{
	if (v->val != NULL && --v->val->refs == 0) {
		if (g->last_val == v->val)
			g->last_val = NULL;
		ptab_del(&s->values, v->val->hash, v->val);
		g->nvals--;
		free(v->val);
	}
	if (g->per_pos != NULL && g->per_pos[v->pos]-- == 1)
		g->npresent--;
	if (v->nlocs > 1)
		free(v->locs);
}

static void drop_front(struct cstate *s, struct group *g)
{
	cev_release(s, g, &g->ev[g->start]);
	g->start++;
	if (--g->n == 0)
		g->start = 0;
}

static void group_clear(struct cstate *s, struct group *g)
{
	if (!s->owns && g->per_pos == NULL) { /* nothing to release */
		g->n = g->start = 0;
		return;
	}
	while (g->n > 0)
		drop_front(s, g);
}

static void lru_unlink(struct cstate *s, struct group *g)
{
	if (g->prev != NULL)
		g->prev->next = g->next;
	else
		s->head = g->next;
	if (g->next != NULL)
		g->next->prev = g->prev;
	else
		s->tail = g->prev;
	g->prev = g->next = NULL;
}

static void lru_append(struct cstate *s, struct group *g)
{
	g->prev = s->tail;
	g->next = NULL;
	if (s->tail != NULL)
		s->tail->next = g;
	else
		s->head = g;
	s->tail = g;
}

/* Unlink g from s and free it. */
static void group_free(struct cstate *s, struct group *g)
{
	if (s->last_g == g)
		s->last_g = NULL;
	if (s->gcache[g->cslot] == g)
		s->gcache[g->cslot] = NULL;
	lru_unlink(s, g);
	ptab_del(&s->groups, g->hash, g);
	s->ngroups--;
	/* g's counts go with it: only the events' values and locations need
	 * releasing (cev_release would also keep the counts). */
	for (size_t i = 0; s->owns && i < g->n; i++) {
		struct cev *v = &g->ev[g->start + i];
		if (v->val != NULL && --v->val->refs == 0) {
			ptab_del(&s->values, v->val->hash, v->val);
			free(v->val);
		}
		if (v->nlocs > 1)
			free(v->locs);
	}
	ev_release(s->pool, g->ev, g->cap);
	if (s->ngspare < GSPARE)
		s->gspare[s->ngspare++] = g;
	else
		free(g);
}

static void cstate_free(struct cstate *s)
{
	if (s == NULL)
		return;
	while (s->head != NULL)
		group_free(s, s->head);
	while (s->ngspare > 0)
		free(s->gspare[--s->ngspare]);
	free(s->groups.e);
	free(s->values.e);
	free(s->gname);
	free(s->vname);
	free(s->ghint);
	free(s->vhint);
	free(s);
}

void vg_corr_free(vg_corr *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nrules; i++) {
		if (c->cs != NULL)
			cstate_free(c->cs[i]);
		if (c->cons != NULL)
			free(c->cons[i]);
	}
	if (c->paths != NULL) {
		size_t pos = 0;
		void *v;
		while (vg_hashmap_next(c->paths, &pos, NULL, NULL, &v))
			free(v);
		vg_hashmap_free(c->paths);
	}
	free(c->cs);
	free(c->cons);
	free(c->ncons);
	free(c->order);
	free(c->key);
	free(c->locbuf);
	free(c->kv);
	free(c->kl);
	pool_free(&c->pool);
	free(c);
}

static struct cstate *cstate_new(vg_corr *c, size_t idx, const vg_corr_def *d)
{
	struct cstate *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->pool = &c->pool;
	s->idx = idx;
	s->def = d;
	s->info = vg_engine_rule(c->e, idx);
	s->span = d->timespan_us > 0 ? d->timespan_us : 0;
	s->monotone = 1;
	s->owns = d->type == VG_CORR_VALUE_COUNT;
	for (size_t p = 0; p < d->nrules; p++)
		if (vg_engine_corr_def(c->e, d->rules[p]) != NULL) /* chained: hits of several locations */
			s->owns = 1;
	for (size_t i = 0; i < d->nconds; i++)
		if (d->conds[i].op != VG_CMP_GT && d->conds[i].op != VG_CMP_GTE)
			s->monotone = 0;
	size_t np = d->nrules > 0 ? d->nrules : 1, ng = d->ngroup > 0 ? d->ngroup : 1;
	int tabs = ptab_init(&s->groups) == 0 && ptab_init(&s->values) == 0;
	s->gname = calloc(np * ng, sizeof(*s->gname));
	s->vname = calloc(np, sizeof(*s->vname));
	s->ghint = calloc(np * ng, sizeof(*s->ghint));
	s->vhint = calloc(np, sizeof(*s->vhint));
	if (!tabs || s->gname == NULL || s->vname == NULL || s->ghint == NULL || s->vhint == NULL) {
		cstate_free(s);
		return NULL;
	}
	for (size_t p = 0; p < d->nrules; p++) {
		for (size_t g = 0; g < d->ngroup; g++)
			s->gname[p * d->ngroup + g] = vg_corr_resolve_name(d, d->group_by[g], p);
		if (d->type == VG_CORR_VALUE_COUNT)
			s->vname[p] = vg_corr_resolve_name(d, d->value_field, p);
	}
	return s;
}

/* Kahn's algorithm over "correlation R is referenced by correlation C":
 * fills c->order; correlations left over sit in (or behind) a cycle and are
 * dropped, so chained feeding always terminates. */
static int order_correlations(vg_corr *c)
{
	size_t n = c->nrules, *indeg = calloc(n ? n : 1, sizeof(*indeg));
	if (indeg == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (c->cs[i] == NULL)
			continue;
		const vg_corr_def *d = c->cs[i]->def;
		for (size_t p = 0; p < d->nrules; p++)
			if (d->rules[p] < n && c->cs[d->rules[p]] != NULL && vg_corr_first_pos(d, d->rules[p]) == p)
				indeg[i]++;
	}
	size_t head = 0;
	for (size_t i = 0; i < n; i++)
		if (c->cs[i] != NULL && indeg[i] == 0)
			c->order[c->norder++] = c->cs[i];
	while (head < c->norder) {
		struct cstate *r = c->order[head++];
		for (size_t i = 0; i < n; i++) {
			if (c->cs[i] == NULL || indeg[i] == 0)
				continue;
			const vg_corr_def *d = c->cs[i]->def;
			size_t p = vg_corr_first_pos(d, r->idx);
			if (p < d->nrules && --indeg[i] == 0)
				c->order[c->norder++] = c->cs[i];
		}
	}
	for (size_t i = 0; i < n; i++)
		if (c->cs[i] != NULL && indeg[i] != 0) {
			cstate_free(c->cs[i]);
			c->cs[i] = NULL;
		}
	free(indeg);
	return VG_OK;
}

/* A correlation's identity: SHA-256 over its own rule digest and, in
 * reference order, the digest of every base rule and the identity of every
 * correlation it reads, so a change anywhere below it changes it. c->order
 * lists referenced correlations first, so theirs are ready. */
static int set_identities(vg_corr *c)
{
	static const char tag[] = "vigil-corr-ident-1";
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	if (h == NULL)
		return VG_ENOMEM;
	int r = VG_OK;
	for (size_t i = 0; i < c->norder && r == VG_OK; i++) {
		struct cstate *s = c->order[i];
		const vg_corr_def *d = s->def;
		unsigned int n = 0;
		int ok = EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(h, tag, sizeof(tag)) == 1 &&
			 EVP_DigestUpdate(h, s->info->digest, VG_RULE_DIGEST_LEN) == 1;
		for (size_t p = 0; ok && p < d->nrules; p++) {
			size_t ref = d->rules[p];
			const vg_rule_info *ri = vg_engine_rule(c->e, ref);
			uint8_t kind = ref < c->nrules && c->cs[ref] != NULL ? 'c' : ri != NULL ? 'b' : '?';
			static const uint8_t none[VG_RULE_DIGEST_LEN];
			const uint8_t *x = kind == 'c' ? c->cs[ref]->ident : kind == 'b' ? ri->digest : none;
			ok = EVP_DigestUpdate(h, &kind, 1) == 1 && EVP_DigestUpdate(h, x, VG_RULE_DIGEST_LEN) == 1;
		}
		if (!ok || EVP_DigestFinal_ex(h, s->ident, &n) != 1 || n != VG_RULE_DIGEST_LEN)
			r = VG_ENOMEM; /* OpenSSL fails here only when it cannot allocate */
	}
	EVP_MD_CTX_free(h);
	return r;
}

vg_corr *vg_corr_new(const vg_engine *e)
{
	vg_corr *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->e = e;
	c->last_ts = VG_TS_NONE;
	c->lateness = -1;
	size_t n = c->nrules = vg_engine_rule_count(e), n1 = n ? n : 1;
	c->cs = calloc(n1, sizeof(*c->cs));
	c->cons = calloc(n1, sizeof(*c->cons));
	c->ncons = calloc(n1, sizeof(*c->ncons));
	c->order = calloc(n1, sizeof(*c->order));
	c->paths = vg_hashmap_new(16);
	if (c->cs == NULL || c->cons == NULL || c->ncons == NULL || c->order == NULL || c->paths == NULL)
		goto err;
	size_t maxng = 1;
	for (size_t i = 0; i < n; i++) {
		const vg_corr_def *d = vg_engine_corr_def(e, i);
		if (d != NULL && (c->cs[i] = cstate_new(c, i, d)) == NULL)
			goto err;
		if (d != NULL && d->ngroup > maxng)
			maxng = d->ngroup;
	}
	c->kv = calloc(maxng, sizeof(*c->kv));
	c->kl = calloc(maxng, sizeof(*c->kl));
	if (c->kv == NULL || c->kl == NULL || order_correlations(c) != 0 || set_identities(c) != 0)
		goto err;
	/* Consumer lists, in correlation index order so output is deterministic. */
	for (size_t i = 0; i < n; i++) {
		if (c->cs[i] == NULL)
			continue;
		const vg_corr_def *d = c->cs[i]->def;
		for (size_t p = 0; p < d->nrules; p++) {
			size_t r = d->rules[p];
			if (r >= n || vg_corr_first_pos(d, r) != p)
				continue;
			struct consumer *nc = realloc(c->cons[r], (c->ncons[r] + 1) * sizeof(*nc));
			if (nc == NULL)
				goto err;
			nc[c->ncons[r]++] = (struct consumer){.cs = c->cs[i], .pos = p};
			c->cons[r] = nc;
		}
	}
	return c;
err:
	vg_corr_free(c);
	return NULL;
}

uint64_t vg_corr_evicted(const vg_corr *c)
{
	return c->evicted;
}

void vg_corr_set_lateness(vg_corr *c, int64_t us)
{
	c->lateness = us < 0 ? -1 : us;
}

uint64_t vg_corr_late(const vg_corr *c)
{
	return c->late;
}

/* ------------------------------------------------------------------------ */
/* Windows */

static int feed_rule(vg_corr *c, const vg_corr_hit *h, int64_t ts, vg_corr_alert_fn cb, void *ud);

static inline uint64_t group_count(const struct cstate *s, const struct group *g)
{
	const vg_corr_def *d = s->def;
	switch (d->type) {
	case VG_CORR_EVENT_COUNT: return g->n;
	case VG_CORR_VALUE_COUNT: return g->nvals;
	case VG_CORR_TEMPORAL: return g->npresent;
	case VG_CORR_TEMPORAL_ORDERED: {
		size_t k = 0;
		for (size_t i = 0; i < g->n && k < d->nrules; i++)
			if (d->rules[g->ev[g->start + i].pos] == d->rules[k])
				k++;
		return k;
	}
	}
	return 0;
}

static inline int holds(const struct cstate *s, uint64_t count)
{
	const vg_corr_def *d = s->def;
	if (d->nconds == 0) /* the engine supplies temporal's default; be safe */
		return count >= d->nrules && count > 0;
	int64_t v = count > INT64_MAX ? INT64_MAX : (int64_t)count;
	for (size_t i = 0; i < d->nconds; i++) {
		int64_t x = d->conds[i].value;
		int ok;
		switch (d->conds[i].op) {
		case VG_CMP_GT: ok = v > x; break;
		case VG_CMP_GTE: ok = v >= x; break;
		case VG_CMP_LT: ok = v < x; break;
		case VG_CMP_LTE: ok = v <= x; break;
		case VG_CMP_EQ: ok = v == x; break;
		default: ok = v != x; break;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* Report the group's window (count already computed), reset the group, then
 * feed the alert to the correlations that reference this one. */
static int fire(vg_corr *c, struct cstate *s, struct group *g, uint64_t count, vg_corr_alert_fn cb, void *ud)
{
	size_t total = 0;
	for (size_t i = 0; i < g->n; i++)
		total += g->ev[g->start + i].nlocs;
	size_t nl = total < VG_MAX_CORR_EVENTS ? total : VG_MAX_CORR_EVENTS, skip = total - nl, k = 0;
	/* c's scratch, not a malloc per alert: a chained fire (feed_rule below)
	 * may reuse it, but only after this one is done with locs */
	if (nl > c->locbuf_cap) {
		vg_corr_loc *nb = realloc(c->locbuf, nl * sizeof(*nb));
		if (nb == NULL)
			return VG_ENOMEM;
		c->locbuf = nb;
		c->locbuf_cap = nl;
	}
	vg_corr_loc *locs = c->locbuf;
	for (size_t i = 0; i < g->n; i++) {
		const struct cev *v = &g->ev[g->start + i];
		const vg_corr_loc *vl = v->nlocs > 1 ? v->locs : &v->loc;
		for (uint32_t j = 0; j < v->nlocs; j++) {
			if (skip > 0)
				skip--;
			else
				locs[k++] = vl[j];
		}
	}
	vg_corr_alert a = {
		.rule_idx = s->idx,
		.rule = s->info,
		.first_us = g->n > 0 ? g->ev[g->start].ts : VG_TS_NONE,
		.last_us = g->n > 0 ? g->ev[g->start + g->n - 1].ts : VG_TS_NONE,
		.count = count,
		.group_names = s->def->group_by,
		.group_values = g->vals,
		.ngroup = s->def->ngroup,
		.locs = locs,
		.nlocs = k,
	};
	group_clear(s, g);
	if (s->monotone) {
		/* One alert per burst per window: the group counts on, but stays
		 * silent until a whole timespan has passed since this alert. */
		g->quiet = 1;
		g->quiet_until = sat_add(a.last_us, s->span);
	}
	if (s->info != NULL && s->info->alert)
		cb(ud, &a);
	int r = VG_OK;
	if (c->ncons[s->idx] > 0) {
		/* The chained event: the alert's first and last locations. */
		vg_corr_loc chain[CHAIN_LOCS];
		size_t nc = 0;
		for (size_t i = 0; i < k; i++)
			if (k <= CHAIN_LOCS || i < CHAIN_LOCS / 2 || i >= k - CHAIN_LOCS / 2)
				chain[nc++] = locs[i];
		vg_corr_hit h = {.rule_idx = s->idx, .ts = a.last_us, .locs = chain, .nlocs = nc,
				 .names = s->def->group_by, .vals = g->vals, .lens = g->vlens, .nf = s->def->ngroup};
		r = feed_rule(c, &h, a.last_us, cb, ud);
	}
	return r;
}

/* lt/eq-style conditions: decide the group's window, then empty it. */
static int close_window(vg_corr *c, struct cstate *s, struct group *g, vg_corr_alert_fn cb, void *ud)
{
	uint64_t count = group_count(s, g);
	if (g->n > 0 && holds(s, count))
		return fire(c, s, g, count, cb, ud);
	group_clear(s, g);
	return VG_OK;
}

/* The clock follows the newest time seen, except that a jump back by more
 * than the timespan restarts it there (see correlate.h). */
/* 1 when ts jumps back by more than the timespan: a new period starts (an
 * older file read after a newer one) and the caller closes the old windows. */
static int advance_clock(struct cstate *s, int64_t ts)
{
	int restart = s->has_clock && ts < sat_sub(s->clock, s->span);
	if (!s->has_clock || ts > s->clock || restart) {
		s->clock = ts;
		s->has_clock = 1;
	}
	return restart;
}

/* Close and drop groups whose newest event is older than limit, walking from
 * the least recently updated and stopping at the first live one (updates come
 * mostly in time order, so that is where the stale are). INT64_MAX closes
 * every group (their period ended). */
static int close_before_slow(vg_corr *c, struct cstate *s, int64_t limit, vg_corr_alert_fn cb, void *ud);

/* Inline: on most hits nothing is stale. */
static inline int close_before(vg_corr *c, struct cstate *s, int64_t limit, vg_corr_alert_fn cb, void *ud)
{
	if (s->head == NULL || s->head->newest >= limit)
		return VG_OK;
	return close_before_slow(c, s, limit, cb, ud);
}

static int close_before_slow(vg_corr *c, struct cstate *s, int64_t limit, vg_corr_alert_fn cb, void *ud)
{
	while (s->head != NULL && s->head->newest < limit) {
		struct group *g = s->head;
		if (!s->monotone && g->n > 0) {
			int r = close_window(c, s, g, cb, ud);
			if (r != 0)
				return r;
		}
		group_free(s, g);
	}
	return VG_OK;
}

/* The group-by values of a hit of rules[pos] and their lengths, into
 * c->kv and c->kl. */
static void group_values(vg_corr *c, struct cstate *s, size_t pos, const vg_corr_hit *h)
{
	size_t ng = s->def->ngroup, len;
	const char **names = s->gname + pos * ng, **kv = c->kv;
	size_t *hints = s->ghint + pos * ng, *kl = c->kl;
	if (ng == 1) { /* the common case, without the loop's setup */
		kv[0] = hit_value(h, names[0], &hints[0], &len);
		kl[0] = len;
		return;
	}
	for (size_t g = 0; g < ng; g++) {
		kv[g] = hit_value(h, names[g], &hints[g], &len);
		kl[g] = len;
	}
}

/* 1 when g is the group of the values in c->kv/kl. */
static inline int group_is(const vg_corr *c, const struct cstate *s, const struct group *g)
{
	const char *const *kv = c->kv;
	const size_t *kl = c->kl;
	size_t ng = s->def->ngroup;
	if (ng == 1)
		return g->vlens[0] == kl[0] && vg_bytes_eq(g->vals[0], kv[0], kl[0]);
	for (size_t i = 0; i < ng; i++)
		if (g->vlens[i] != kl[i] || !vg_bytes_eq(g->vals[i], kv[i], kl[i]))
			return 0;
	return 1;
}

/* The gcache slot of the values in c->kv/kl: a multiplicative hash of
 * their lengths and bytes (unkeyed: it only picks a cache slot). */
static uint32_t values_slot(const vg_corr *c, const struct cstate *s)
{
	const uint64_t k = 0x9e3779b97f4a7c15u;
	uint64_t h = 0;
	for (size_t g = 0; g < s->def->ngroup; g++) {
		const char *p = c->kv[g];
		size_t n = c->kl[g], i = 0;
		uint64_t w;
		h = (h ^ n) * k;
		for (; i + 8 <= n; i += 8) {
			memcpy(&w, p + i, 8);
			h = (h ^ w) * k;
		}
		if (i < n) {
			if (n >= 8) /* the last word, overlapping */
				memcpy(&w, p + n - 8, 8);
			else
				for (w = 0; i < n; i++)
					w = w << 8 | (unsigned char)p[i];
			h = (h ^ w) * k;
		}
	}
	return (uint32_t)(h >> 40) & (GCACHE - 1);
}

/* The groups-table hash of the values in c->kv/kl: keyed SipHash of the
 * value, or with several group-by fields, of every value as "<decimal
 * length>:<bytes>" (so no choice of values can collide). */
static int group_hash(vg_corr *c, const struct cstate *s, uint64_t *hash)
{
	size_t ng = s->def->ngroup, need = 1;
	if (ng == 1) {
		*hash = vg_siphash(s->groups.seed, c->kv[0], c->kl[0]);
		return VG_OK;
	}
	for (size_t g = 0; g < ng; g++)
		need += c->kl[g] + 21;
	if (need > c->keycap) {
		char *nk = realloc(c->key, need);
		if (nk == NULL)
			return VG_ENOMEM;
		c->key = nk;
		c->keycap = need;
	}
	size_t o = 0;
	for (size_t g = 0; g < ng; g++) {
		size_t vl = c->kl[g], t = vl, nd = 0;
		char digits[24];
		do {
			digits[nd++] = (char)('0' + t % 10);
			t /= 10;
		} while (t != 0);
		while (nd > 0)
			c->key[o++] = digits[--nd];
		c->key[o++] = ':';
		memcpy(c->key + o, c->kv[g], vl);
		o += vl;
	}
	*hash = vg_siphash(s->groups.seed, c->key, o);
	return VG_OK;
}

/* The group of the values in c->kv/kl, hashed h, or NULL. */
static struct group *group_find(const vg_corr *c, const struct cstate *s, uint64_t h)
{
	const struct ptab *t = &s->groups;
	size_t mask = t->cap - 1;
	for (size_t i = (size_t)h & mask; t->e[i].p != NULL; i = (i + 1) & mask)
		if (t->e[i].hash == h && group_is(c, s, t->e[i].p))
			return t->e[i].p;
	return NULL;
}

/* A new group holding copies of the values (c->kv/kl). */
static struct group *group_new(const vg_corr *c, struct cstate *s)
{
	size_t ng = s->def->ngroup, np = s->def->nrules;
	int temporal = s->def->type == VG_CORR_TEMPORAL || s->def->type == VG_CORR_TEMPORAL_ORDERED;
	size_t vbytes = 0;
	for (size_t g = 0; g < ng; g++)
		vbytes += c->kl[g] + 1;
	size_t size = sizeof(struct group) + ng * (sizeof(char *) + sizeof(size_t)) +
		      (temporal ? np * sizeof(uint32_t) : 0) + vbytes;
	struct group *g = NULL;
	if (s->ngspare > 0 && s->gspare[s->ngspare - 1]->size >= size) {
		g = s->gspare[--s->ngspare];
		size = g->size;
		memset(g, 0, size);
	} else if ((g = calloc(1, size)) == NULL) {
		return NULL;
	}
	g->size = size;
	char *p = (char *)(g + 1);
	g->vals = (const char **)(void *)p;
	p += ng * sizeof(char *);
	size_t *vlens = (size_t *)(void *)p;
	g->vlens = vlens;
	p += ng * sizeof(size_t);
	if (temporal) {
		g->per_pos = (uint32_t *)(void *)p;
		p += np * sizeof(uint32_t);
	}
	for (size_t i = 0; i < ng; i++) {
		memcpy(p, c->kv[i], c->kl[i]);
		p[c->kl[i]] = '\0';
		g->vals[i] = p;
		vlens[i] = c->kl[i];
		p += c->kl[i] + 1;
	}
	return g;
}

/* intern_path past the previous path: the table, or a new copy. */
static __attribute__((noinline)) const char *intern_path_slow(vg_corr *c, const char *path)
{
	size_t n = strlen(path);
	char *p = vg_hashmap_get(c->paths, path, n);
	if (p == NULL) {
		if ((p = malloc(n + 1)) == NULL)
			return NULL;
		memcpy(p, path, n + 1);
		if (vg_hashmap_put(c->paths, p, n, p) != 0) {
			free(p);
			return NULL;
		}
	}
	c->last_interned = p;
	return p;
}

/* c's copy of path, or NULL on ENOMEM. By content: hits borrow their
 * events' paths, so one address may hold other paths over time; hits of
 * one file come in runs, so the previous copy mostly matches. */
static inline const char *intern_path(vg_corr *c, const char *path)
{
	if (path == c->batch_raw)
		return c->batch_copy;
	const char *last = c->last_interned;
	if (path != last && (last == NULL || strcmp(path, last) != 0) && (last = intern_path_slow(c, path)) == NULL)
		return NULL;
	if (c->in_batch) {
		c->batch_raw = path;
		c->batch_copy = last;
	}
	return last;
}

/* The values-table hash of value v of group g. */
static uint64_t val_hash(const struct cstate *s, const struct group *g, const char *v, size_t len)
{
	return vg_siphash(s->values.seed, v, len) ^ (uint64_t)(uintptr_t)g * 0x9e3779b97f4a7c15u;
}

/* g's struct val of v (hashed h), or NULL. */
static struct val *val_find(const struct cstate *s, const struct group *g, uint64_t h, const char *v, size_t len)
{
	const struct ptab *t = &s->values;
	size_t mask = t->cap - 1;
	for (size_t i = (size_t)h & mask; t->e[i].p != NULL; i = (i + 1) & mask) {
		const struct val *x = t->e[i].p;
		if (t->e[i].hash == h && x->g == g && x->len == len && vg_bytes_eq(x->s, v, len))
			return t->e[i].p;
	}
	return NULL;
}

/* Room for one more event at the end of g's array: evicts the oldest at
 * the bound, then compacts (only when at least half the array is consumed
 * front, so each event is moved O(1) times) or grows (to at most 2 * the
 * bound). VG_ENOMEM leaves g as it was, but for the eviction. */
static __attribute__((noinline)) int make_room(vg_corr *c, struct cstate *s, struct group *g)
{
	if (g->n == VG_MAX_CORR_EVENTS) {
		drop_front(s, g);
		c->evicted++;
	}
	if (g->start + g->n < g->cap)
		return VG_OK;
	if (g->start > 0 && g->start >= g->n) {
		memmove(g->ev, g->ev + g->start, g->n * sizeof(*g->ev));
		g->start = 0;
		return VG_OK;
	}
	size_t ncap = g->cap ? g->cap * 2 : first_cap(s->pool);
	if (ncap > 2 * VG_MAX_CORR_EVENTS)
		ncap = 2 * VG_MAX_CORR_EVENTS;
	struct cev *ne = ev_alloc(s->pool, ncap);
	if (ne == NULL)
		return VG_ENOMEM;
	if (g->n > 0)
		memcpy(ne + g->start, g->ev + g->start, g->n * sizeof(*ne));
	ev_release(s->pool, g->ev, g->cap);
	g->ev = ne;
	g->cap = ncap;
	return VG_OK;
}

/* v's locations from a chained hit (h->nlocs > 1): an owned copy. */
static __attribute__((noinline)) int chain_locs(vg_corr *c, const vg_corr_hit *h, struct cev *v)
{
	size_t nl = h->nlocs;
	if (nl > CHAIN_LOCS)
		nl = CHAIN_LOCS; /* hits carry at most this many (see fire) */
	if ((v->locs = malloc(nl * sizeof(*v->locs))) == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < nl; i++) {
		v->locs[i] = (vg_corr_loc){.path = intern_path(c, h->locs[i].path), .line = h->locs[i].line};
		if (v->locs[i].path == NULL) {
			free(v->locs);
			v->locs = NULL;
			return VG_ENOMEM;
		}
	}
	v->nlocs = (uint32_t)nl;
	return VG_OK;
}

/* value_count: g's struct val for the hit's value, its count taken, into
 * *out (NULL when the value is empty or absent). */
static int count_value(struct cstate *s, struct group *g, size_t pos, const vg_corr_hit *h, struct val **out)
{
	size_t vl;
	const char *val = hit_value(h, s->vname[pos], &s->vhint[pos], &vl);
	if (vl == 0)
		return VG_OK;
	struct val *iv = g->last_val;
	if (iv == NULL || iv->len != vl || !vg_bytes_eq(iv->s, val, vl)) {
		uint64_t vh = val_hash(s, g, val, vl);
		if ((iv = val_find(s, g, vh, val, vl)) == NULL) {
			if ((iv = malloc(sizeof(*iv) + vl + 1)) == NULL)
				return VG_ENOMEM;
			*iv = (struct val){.g = g, .hash = vh, .len = vl};
			memcpy(iv->s, val, vl);
			iv->s[vl] = '\0';
			if (ptab_put(&s->values, vh, iv) != 0) {
				free(iv);
				return VG_ENOMEM;
			}
			g->nvals++;
		}
	}
	iv->refs++;
	g->last_val = iv;
	*out = iv;
	return VG_OK;
}

/* Add the hit to g at its time (late hits go before newer ones). */
static int insert(vg_corr *c, struct cstate *s, struct group *g, size_t pos, const vg_corr_hit *h, int64_t ts)
{
	/* Room first, so a failure below has nothing to undo in g. */
	int r;
	if ((g->n == VG_MAX_CORR_EVENTS || g->start + g->n == g->cap) && (r = make_room(c, s, g)) != 0)
		return r;
	struct cev v = {.ts = ts, .pos = (uint32_t)pos};
	if (h->nlocs == 1) {
		v.loc = (vg_corr_loc){.path = intern_path(c, h->locs[0].path), .line = h->locs[0].line};
		if (v.loc.path == NULL)
			return VG_ENOMEM;
		v.nlocs = 1;
	} else if (h->nlocs > 1 && (r = chain_locs(c, h, &v)) != 0) {
		return r;
	}
	if (s->def->type == VG_CORR_VALUE_COUNT && (r = count_value(s, g, pos, h, &v.val)) != 0) {
		free(v.locs);
		return r;
	}
	size_t i = g->n;
	while (i > 0 && g->ev[g->start + i - 1].ts > ts)
		i--;
	if (i < g->n) /* a late hit; most come in time order */
		memmove(g->ev + g->start + i + 1, g->ev + g->start + i, (g->n - i) * sizeof(*g->ev));
	g->ev[g->start + i] = v;
	if (g->n++ == 0)
		g->win_start = ts;
	if (g->per_pos != NULL && g->per_pos[pos]++ == 0)
		g->npresent++;
	if (ts > g->newest)
		g->newest = ts;
	return VG_OK;
}

/* The group of the values in c->kv/kl, from the cache or the table, or a
 * new one (evicting the least recently updated at the bound), appended to
 * the LRU list. Out of line: the hot path of feed_one stays small. */
static __attribute__((noinline)) int group_get(vg_corr *c, struct cstate *s, int64_t ts, struct group **out)
{
	uint32_t slot = values_slot(c, s);
	uint64_t hash;
	struct group *g = s->gcache[slot];
	if (g != NULL && group_is(c, s, g)) {
		*out = g;
		return VG_OK;
	}
	int r = group_hash(c, s, &hash);
	if (r != 0)
		return r;
	if ((g = group_find(c, s, hash)) != NULL) {
		s->gcache[slot] = g;
		*out = g;
		return VG_OK;
	}
	if (s->ngroups >= VG_MAX_CORR_GROUPS) {
		group_free(s, s->head);
		c->evicted++;
	}
	if ((g = group_new(c, s)) == NULL)
		return VG_ENOMEM;
	g->hash = hash;
	if (ptab_put(&s->groups, hash, g) != 0) {
		free(g);
		return VG_ENOMEM;
	}
	g->newest = ts;
	g->cslot = slot;
	s->gcache[slot] = g;
	s->ngroups++;
	lru_append(s, g);
	*out = g;
	return VG_OK;
}

/* feed_one's clock on a stream (c->lateness >= 0): a hit later than the
 * allowance is dropped (*late; it never restarts the clock), and groups
 * live lateness longer, so a hit within it still finds its group. Out of
 * line: files (the default) take the other way. */
static __attribute__((noinline)) int stream_clock(vg_corr *c, struct cstate *s, int64_t ts, int *late,
						  vg_corr_alert_fn cb, void *ud)
{
	if (s->has_clock && ts < sat_sub(s->clock, c->lateness)) {
		c->late++;
		*late = 1;
		return VG_OK;
	}
	if (!s->has_clock || ts > s->clock) {
		s->clock = ts;
		s->has_clock = 1;
	}
	return close_before(c, s, sat_sub(sat_sub(s->clock, s->span), c->lateness), cb, ud);
}

/* The hit's group (see group_get), into *out. Runs of one source mostly
 * repeat the previous hit's group: with one group-by field (the common
 * case) that compare needs no scratch. */
static inline int hit_group(vg_corr *c, struct cstate *s, size_t pos, const vg_corr_hit *h, int64_t ts,
			    struct group **out)
{
	struct group *g = s->last_g;
	if (s->def->ngroup == 1) {
		size_t len;
		const char *v = hit_value(h, s->gname[pos], &s->ghint[pos], &len);
		if (g != NULL && g->vlens[0] == len && vg_bytes_eq(g->vals[0], v, len)) {
			*out = g;
			return VG_OK;
		}
		c->kv[0] = v;
		c->kl[0] = len;
		return group_get(c, s, ts, out);
	}
	group_values(c, s, pos, h);
	if (g != NULL && group_is(c, s, g)) {
		*out = g;
		return VG_OK;
	}
	return group_get(c, s, ts, out);
}

static int feed_one(vg_corr *c, struct cstate *s, size_t pos, const vg_corr_hit *h, int64_t ts, vg_corr_alert_fn cb, void *ud)
{
	int r = VG_OK;
	if (c->lateness >= 0) {
		int late = 0;
		r = stream_clock(c, s, ts, &late, cb, ud);
		if (late)
			return VG_OK;
	} else {
		r = advance_clock(s, ts) ? close_before(c, s, INT64_MAX, cb, ud) : VG_OK;
		if (r == 0)
			r = close_before(c, s, sat_sub(s->clock, s->span), cb, ud);
	}
	if (r != 0)
		return r;
	struct group *g;
	if ((r = hit_group(c, s, pos, h, ts, &g)) != 0)
		return r;
	if (g != s->tail) { /* most recently updated goes last */
		lru_unlink(s, g);
		lru_append(s, g);
	}
	s->last_g = g;
	if (!s->monotone && g->n > 0 && ts > sat_add(g->win_start, s->span) &&
	    (r = close_window(c, s, g, cb, ud)) != 0)
		return r;
	if ((r = insert(c, s, g, pos, h, ts)) != 0)
		return r;
	if (!s->monotone)
		return VG_OK;
	/* Slide: keep what lies within timespan of the group's newest event. */
	int64_t from = sat_sub(g->ev[g->start + g->n - 1].ts, s->span);
	while (g->n > 0 && g->ev[g->start].ts < from)
		drop_front(s, g);
	if (g->quiet && ts <= g->quiet_until)
		return VG_OK;
	g->quiet = 0;
	uint64_t count = group_count(s, g);
	if (g->n > 0 && holds(s, count))
		return fire(c, s, g, count, cb, ud);
	return VG_OK;
}

static int feed_rule(vg_corr *c, const vg_corr_hit *h, int64_t ts, vg_corr_alert_fn cb, void *ud)
{
	/* (the lists never change once made) */
	const struct consumer *k = c->cons[h->rule_idx];
	for (size_t i = 0, n = c->ncons[h->rule_idx]; i < n; i++) {
		int r = feed_one(c, k[i].cs, k[i].pos, h, ts, cb, ud);
		if (r != 0)
			return r;
	}
	return VG_OK;
}

int vg_corr_feed(vg_corr *c, const vg_corr_hit *hit, vg_corr_alert_fn cb, void *ud)
{
	if (hit == NULL)
		return VG_OK;
	if (hit->rule_idx >= c->nrules)
		return VG_EINVAL;
	int64_t ts = hit->ts;
	if (ts == VG_TS_NONE)
		ts = c->last_ts != VG_TS_NONE ? c->last_ts : 0;
	else
		c->last_ts = ts;
	return feed_rule(c, hit, ts, cb, ud);
}

int vg_corr_feed_batch(vg_corr *c, const vg_corr_hit *const *hits, size_t n, vg_corr_alert_fn cb, void *ud)
{
	int first = VG_OK;
	c->in_batch = 1;
	for (size_t i = 0; i < n; i++) {
		int r = vg_corr_feed(c, hits[i], cb, ud);
		if (first == VG_OK)
			first = r;
	}
	c->in_batch = 0;
	c->batch_raw = c->batch_copy = NULL;
	return first;
}

int vg_corr_flush(vg_corr *c, vg_corr_alert_fn cb, void *ud)
{
	for (size_t i = 0; i < c->norder; i++) {
		struct cstate *s = c->order[i];
		if (s->monotone)
			continue;
		/* Chains only reach correlations later in the order, so this
		 * list is not changed under us. */
		for (struct group *g = s->head; g != NULL; g = g->next) {
			if (g->n == 0)
				continue;
			int r = close_window(c, s, g, cb, ud);
			if (r != 0)
				return r;
		}
	}
	return VG_OK;
}

/* ------------------------------------------------------------------------ */
/* Reload */

/* Interned paths vg_corr_adopt added to dst, removed again if it fails. */
struct added {
	char **p;
	size_t n, cap;
};

/* dst's interned copy of path (by content), made when dst has none. */
static int adopt_path(vg_corr *dst, const char *path, struct added *ad)
{
	size_t n = strlen(path);
	if (vg_hashmap_get(dst->paths, path, n) != NULL)
		return VG_OK;
	if (ad->n == ad->cap) {
		size_t nc = ad->cap ? ad->cap * 2 : 16;
		char **np = realloc(ad->p, nc * sizeof(*np));
		if (np == NULL)
			return VG_ENOMEM;
		ad->p = np;
		ad->cap = nc;
	}
	char *p = malloc(n + 1);
	if (p == NULL)
		return VG_ENOMEM;
	memcpy(p, path, n + 1);
	if (vg_hashmap_put(dst->paths, p, n, p) != 0) {
		free(p);
		return VG_ENOMEM;
	}
	ad->p[ad->n++] = p;
	return VG_OK;
}

/* Every location in t's groups. rewrite 0 (phase 1): give dst a copy of
 * each path (may fail). rewrite 1 (phase 2): point the locations at dst's
 * copies (cannot fail: phase 1 made them all). */
static int adopt_locs(vg_corr *dst, struct cstate *t, struct added *ad, int rewrite)
{
	const char *last = NULL, *last_dst = NULL; /* runs of one path are common */
	for (struct group *g = t->head; g != NULL; g = g->next) {
		for (size_t i = 0; i < g->n; i++) {
			struct cev *v = &g->ev[g->start + i];
			vg_corr_loc *vl = v->nlocs > 1 ? v->locs : &v->loc;
			for (uint32_t j = 0; j < v->nlocs; j++) {
				const char *p = vl[j].path;
				if (p == last) {
					if (rewrite)
						vl[j].path = last_dst;
					continue;
				}
				last = p;
				if (!rewrite) {
					int r = adopt_path(dst, p, ad);
					if (r != 0)
						return r;
					continue;
				}
				last_dst = vg_hashmap_get(dst->paths, p, strlen(p));
				if (last_dst == NULL) /* never: phase 1 interned it */
					last_dst = "-";
				vl[j].path = last_dst;
			}
		}
	}
	return VG_OK;
}

int vg_corr_adopt(vg_corr *dst, vg_corr *src)
{
	if (dst == NULL || src == NULL || dst == src)
		return VG_EINVAL;
	struct cstate **from = calloc(dst->nrules ? dst->nrules : 1, sizeof(*from));
	uint8_t *taken = calloc(src->norder ? src->norder : 1, 1);
	struct added ad = {0};
	int r = VG_ENOMEM, carried = 0;
	if (from == NULL || taken == NULL)
		goto out;
	/* Pair by identity, never by index: rules come and go between the two
	 * engines. Identical duplicates pair up in order. */
	for (size_t i = 0; i < dst->nrules; i++) {
		if (dst->cs[i] == NULL)
			continue;
		for (size_t j = 0; j < src->norder; j++) {
			if (!taken[j] && memcmp(src->order[j]->ident, dst->cs[i]->ident, VG_RULE_DIGEST_LEN) == 0) {
				taken[j] = 1;
				from[i] = src->order[j];
				break;
			}
		}
	}
	/* Phase 1, the only one that allocates: dst's copies of the paths the
	 * carried state points to (src's copies go with src). */
	for (size_t i = 0; i < dst->nrules; i++) {
		if (from[i] != NULL && (r = adopt_locs(dst, from[i], &ad, 0)) != 0) {
			for (size_t k = 0; k < ad.n; k++) {
				vg_hashmap_del(dst->paths, ad.p[k], strlen(ad.p[k]));
				free(ad.p[k]);
			}
			goto out;
		}
	}
	/* Phase 2: move the groups over; nothing here can fail. */
	for (size_t i = 0; i < dst->nrules; i++) {
		struct cstate *s = dst->cs[i], *t = from[i];
		if (t == NULL)
			continue;
		while (s->head != NULL)
			group_free(s, s->head);
		(void)adopt_locs(dst, t, &ad, 1);
		/* s's tables are empty now (its groups are gone): swap */
		struct ptab empty = s->groups;
		s->groups = t->groups;
		t->groups = empty;
		empty = s->values;
		s->values = t->values;
		t->values = empty;
		s->last_g = t->last_g = NULL;
		memcpy(s->gcache, t->gcache, sizeof(s->gcache));
		memset(t->gcache, 0, sizeof(t->gcache));
		s->head = t->head;
		s->tail = t->tail;
		s->ngroups = t->ngroups;
		s->clock = t->clock;
		s->has_clock = t->has_clock;
		t->head = t->tail = NULL;
		t->ngroups = 0;
		t->has_clock = 0;
		carried++;
	}
	dst->evicted += src->evicted;
	dst->late += src->late;
	src->evicted = src->late = 0;
	if (dst->lateness < 0)
		dst->lateness = src->lateness;
	if (dst->last_ts == VG_TS_NONE)
		dst->last_ts = src->last_ts;
	r = carried;
out:
	free(ad.p);
	free(from);
	free(taken);
	return r;
}
