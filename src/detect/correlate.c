/* correlate.c — Sigma correlation windows over event time (see correlate.h).
 * Per correlation rule: a hash table of groups (key: the length-prefixed
 * group-by values) kept on an LRU list; per group, a time-sorted array of the
 * events still inside the window. Chains are fed depth-first, in rule order. */
#include "detect/correlate.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/limits.h"

/* Locations an alert carries into a chained correlation: its first and last
 * CHAIN_LOCS/2, so one alert seen as an event stays small. */
#define CHAIN_LOCS 64

struct vg_corr_hit {
	size_t rule_idx;
	int64_t ts; /* VG_TS_NONE when the event had none */
	const vg_corr_loc *locs;
	size_t nlocs;
	const char *const *names; /* Sigma field names (engine strings) */
	const char *const *vals;  /* their values; "" when absent */
	size_t nf;
};

/* One distinct value_count value, shared by the events of a group holding it. */
struct val {
	size_t refs, len;
	char s[];
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
	const char *key;           /* length-prefixed values (in this allocation) */
	size_t keylen;
	const char **vals;  /* ngroup NUL-terminated values (in this allocation) */
	uint32_t *per_pos;  /* temporal: events in the window per rule position */
	size_t npresent;    /* temporal: positions with per_pos > 0 */
	vg_hashmap *values; /* value_count: value text -> struct val */
	struct val *last_val; /* value_count: the previous hit's value (runs repeat one), or NULL */
	struct cev *ev;     /* events ev[start .. start+n), sorted by ts */
	size_t start, n, cap;
	int64_t newest;    /* newest event time ever added (for expiry) */
	int64_t win_start; /* lt/eq-style conditions: time the open window began */
	int64_t quiet_until; /* gt/gte: no alert for hits up to this time (after one fired) */
	int quiet;
};

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
	int64_t span;
	int64_t clock; /* newest time seen, see advance_clock */
	int has_clock;
	vg_hashmap *groups;
	struct group *head, *tail;
	size_t ngroups;
	/* The group of the previous hit: hits of one source come in runs, so
	 * comparing its key saves most table lookups. NULL once it is freed. */
	struct group *last_g;
	const char **gname; /* [pos * ngroup + g]: field read from a hit of rules[pos]; NULL: none */
	const char **vname; /* [pos]: value_count field; NULL: none */
	/* What the state depends on (see set_identities): equal identities in
	 * two engines, same correlation, so vg_corr_adopt may move the state. */
	uint8_t ident[VG_RULE_DIGEST_LEN];
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
	char *key;               /* scratch for group keys */
	size_t keycap;
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

/* First position of rule idx in d->rules, or d->nrules. A rule listed twice
 * is fed once, as its first position (aliases of that position apply). */
static size_t first_pos(const vg_corr_def *d, size_t idx)
{
	for (size_t p = 0; p < d->nrules; p++)
		if (d->rules[p] == idx)
			return p;
	return d->nrules;
}

/* The field a correlation reads for name (a group-by or value field) from a
 * hit of the rule at position pos: an alias's field for that rule, or name.
 * NULL: an alias that names no field for that rule. */
static const char *resolve_name(const vg_corr_def *d, const char *name, size_t pos)
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

/* ------------------------------------------------------------------------ */
/* Hits (any thread) */

/* A field a hit carries: the Sigma name correlations ask for, and the event
 * fields it reads for the base rule (NULL/0: the name itself). */
struct pfield {
	const char *name;
	const char *const *targets;
	size_t ntargets;
	/* the event field names read, in order (targets, or the name itself),
	 * with their lengths and vg_field_hash: looked up on every hit */
	const char **look;
	size_t *look_len;
	uint32_t *look_hash;
	size_t nlook;
};

struct prule {
	struct pfield *f;
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
		if (d == NULL || first_pos(d, idx) == d->nrules)
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
		if (d == NULL || (p = first_pos(d, idx)) == d->nrules)
			continue;
		for (size_t g = 0; g < d->ngroup; g++)
			add_name(f, &nf, resolve_name(d, d->group_by[g], p));
		if (d->type == VG_CORR_VALUE_COUNT)
			add_name(f, &nf, resolve_name(d, d->value_field, p));
	}
	for (size_t i = 0; i < nf; i++)
		f[i].targets = vg_engine_map_field(e, idx, f[i].name, &f[i].ntargets);
	return nf;
}

/* f->look*: the names event_field reads, resolved once. */
static int plan_lookups(struct pfield *f)
{
	const char *const *targets = f->targets;
	size_t nt = f->ntargets;
	if (targets == NULL || nt == 0) {
		targets = &f->name;
		nt = 1;
	}
	f->look = calloc(nt, sizeof(*f->look));
	f->look_len = calloc(nt, sizeof(*f->look_len));
	f->look_hash = calloc(nt, sizeof(*f->look_hash));
	if (f->look == NULL || f->look_len == NULL || f->look_hash == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < nt; i++) {
		if (targets[i] == NULL)
			continue;
		size_t n = strlen(targets[i]);
		f->look[f->nlook] = targets[i];
		f->look_len[f->nlook] = n;
		f->look_hash[f->nlook++] = vg_field_hash(targets[i], n);
	}
	return VG_OK;
}

/* The first event field behind one hit field, or NULL. */
static const vg_field *event_field(const struct pfield *f, const vg_event *ev)
{
	for (size_t i = 0; i < f->nlook; i++) {
		size_t pos = 0;
		const vg_field *v = vg_event_next(ev, f->look[i], f->look_len[i], f->look_hash[i], &pos);
		if (v != NULL)
			return v;
	}
	return NULL;
}

#define HIT_FAST 16 /* hit fields found in one pass (more: looked up twice) */

static vg_corr_hit *build_hit(size_t rule_idx, const struct pfield *f, size_t nf, const vg_event *ev, vg_arena *a)
{
	/* one allocation for the hit, its name and value arrays, its location,
	 * the path's copy and the values' copies */
	const char *path = ev->path != NULL ? ev->path : "-";
	size_t pl = strlen(path), vbytes = 0;
	const vg_field *fv[HIT_FAST];
	struct hitmem {
		vg_corr_hit h;
		vg_corr_loc loc;
		const char *arr[];
	} *hm;
	if (nf > VG_MAX_FIELDS)
		return NULL;
	for (size_t i = 0; i < nf; i++) {
		const vg_field *v = event_field(&f[i], ev);
		if (i < HIT_FAST)
			fv[i] = v;
		vbytes += v != NULL ? (size_t)v->val_len + 1 : 0;
	}
	size_t arr = (2 * nf + 2) * sizeof(char *);
	if (vbytes > SIZE_MAX / 2 || pl > SIZE_MAX / 4 ||
	    (hm = vg_arena_alloc(a, sizeof(*hm) + arr + pl + 1 + vbytes)) == NULL)
		return NULL;
	vg_corr_hit *h = &hm->h;
	vg_corr_loc *loc = &hm->loc;
	const char **names = hm->arr, **vals = hm->arr + nf + 1;
	char *o = (char *)hm + sizeof(*hm) + arr;
	memcpy(o, path, pl + 1);
	loc->path = o;
	o += pl + 1;
	for (size_t i = 0; i < nf; i++) {
		const vg_field *v = i < HIT_FAST ? fv[i] : event_field(&f[i], ev);
		names[i] = f[i].name;
		if (v == NULL) {
			vals[i] = "";
			continue;
		}
		memcpy(o, v->val, v->val_len);
		o[v->val_len] = '\0';
		vals[i] = o;
		o += v->val_len + 1;
	}
	loc->line = ev->line;
	*h = (vg_corr_hit){.rule_idx = rule_idx, .ts = ev->ts_us, .locs = loc, .nlocs = 1,
			   .names = names, .vals = vals, .nf = nf};
	return h;
}

void vg_corr_plan_free(vg_corr_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->r != NULL && i < p->nrules; i++) {
		for (size_t j = 0; p->r[i].f != NULL && j < p->r[i].nf; j++) {
			free(p->r[i].f[j].look);
			free(p->r[i].f[j].look_len);
			free(p->r[i].f[j].look_hash);
		}
		free(p->r[i].f);
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
		for (size_t j = 0; j < p->r[i].nf; j++)
			if (plan_lookups(&p->r[i].f[j]) != 0)
				goto err;
	}
	return p;
err:
	vg_corr_plan_free(p);
	return NULL;
}

vg_corr_hit *vg_corr_plan_hit(const vg_corr_plan *p, size_t rule_idx, const vg_event *ev, vg_arena *a)
{
	if (rule_idx >= p->nrules || !p->r[rule_idx].used)
		return NULL;
	return build_hit(rule_idx, p->r[rule_idx].f, p->r[rule_idx].nf, ev, a);
}

static const char *hit_value(const vg_corr_hit *h, const char *name)
{
	if (name == NULL)
		return "";
	/* hits name fields with the engine's strings, the same pointers as ours
	 * (most often): compare addresses before text */
	for (size_t i = 0; i < h->nf; i++)
		if (h->names[i] == name)
			return h->vals[i];
	for (size_t i = 0; i < h->nf; i++)
		if (strcmp(h->names[i], name) == 0)
			return h->vals[i];
	return "";
}

/* ------------------------------------------------------------------------ */
/* Setup and teardown */

static void cev_release(struct group *g, struct cev *v)
{
	if (v->val != NULL && --v->val->refs == 0) {
		if (g->last_val == v->val)
			g->last_val = NULL;
		vg_hashmap_del(g->values, v->val->s, v->val->len);
		free(v->val);
	}
	if (g->per_pos != NULL && g->per_pos[v->pos]-- == 1)
		g->npresent--;
	free(v->locs);
}

static void drop_front(struct group *g)
{
	cev_release(g, &g->ev[g->start]);
	g->start++;
	if (--g->n == 0)
		g->start = 0;
}

static void group_clear(struct group *g)
{
	while (g->n > 0)
		drop_front(g);
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
	lru_unlink(s, g);
	vg_hashmap_del(s->groups, g->key, g->keylen);
	s->ngroups--;
	group_clear(g);
	vg_hashmap_free(g->values);
	free(g->ev);
	free(g);
}

static void cstate_free(struct cstate *s)
{
	if (s == NULL)
		return;
	while (s->head != NULL)
		group_free(s, s->head);
	vg_hashmap_free(s->groups);
	free(s->gname);
	free(s->vname);
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
	free(c);
}

static struct cstate *cstate_new(const vg_engine *e, size_t idx, const vg_corr_def *d)
{
	struct cstate *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->idx = idx;
	s->def = d;
	s->info = vg_engine_rule(e, idx);
	s->span = d->timespan_us > 0 ? d->timespan_us : 0;
	s->monotone = 1;
	for (size_t i = 0; i < d->nconds; i++)
		if (d->conds[i].op != VG_CMP_GT && d->conds[i].op != VG_CMP_GTE)
			s->monotone = 0;
	size_t np = d->nrules > 0 ? d->nrules : 1, ng = d->ngroup > 0 ? d->ngroup : 1;
	s->groups = vg_hashmap_new(0);
	s->gname = calloc(np * ng, sizeof(*s->gname));
	s->vname = calloc(np, sizeof(*s->vname));
	if (s->groups == NULL || s->gname == NULL || s->vname == NULL) {
		cstate_free(s);
		return NULL;
	}
	for (size_t p = 0; p < d->nrules; p++) {
		for (size_t g = 0; g < d->ngroup; g++)
			s->gname[p * d->ngroup + g] = resolve_name(d, d->group_by[g], p);
		if (d->type == VG_CORR_VALUE_COUNT)
			s->vname[p] = resolve_name(d, d->value_field, p);
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
			if (d->rules[p] < n && c->cs[d->rules[p]] != NULL && first_pos(d, d->rules[p]) == p)
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
			size_t p = first_pos(d, r->idx);
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
	for (size_t i = 0; i < n; i++) {
		const vg_corr_def *d = vg_engine_corr_def(e, i);
		if (d != NULL && (c->cs[i] = cstate_new(e, i, d)) == NULL)
			goto err;
	}
	if (order_correlations(c) != 0 || set_identities(c) != 0)
		goto err;
	/* Consumer lists, in correlation index order so output is deterministic. */
	for (size_t i = 0; i < n; i++) {
		if (c->cs[i] == NULL)
			continue;
		const vg_corr_def *d = c->cs[i]->def;
		for (size_t p = 0; p < d->nrules; p++) {
			size_t r = d->rules[p];
			if (r >= n || first_pos(d, r) != p)
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

static uint64_t group_count(const struct cstate *s, const struct group *g)
{
	const vg_corr_def *d = s->def;
	switch (d->type) {
	case VG_CORR_EVENT_COUNT: return g->n;
	case VG_CORR_VALUE_COUNT: return g->values != NULL ? vg_hashmap_count(g->values) : 0;
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

static int holds(const struct cstate *s, uint64_t count)
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
	vg_corr_loc *locs = malloc((nl ? nl : 1) * sizeof(*locs));
	if (locs == NULL)
		return VG_ENOMEM;
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
	group_clear(g);
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
				 .names = s->def->group_by, .vals = g->vals, .nf = s->def->ngroup};
		r = feed_rule(c, &h, a.last_us, cb, ud);
	}
	free(locs);
	return r;
}

/* lt/eq-style conditions: decide the group's window, then empty it. */
static int close_window(vg_corr *c, struct cstate *s, struct group *g, vg_corr_alert_fn cb, void *ud)
{
	uint64_t count = group_count(s, g);
	if (g->n > 0 && holds(s, count))
		return fire(c, s, g, count, cb, ud);
	group_clear(g);
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

/* The key of the group a hit of rules[pos] belongs to: every value as
 * "<decimal length>:<bytes>", so no choice of values can collide. */
#define KEY_FAST 8 /* group-by fields looked up once (more: twice) */

static int build_key(vg_corr *c, const struct cstate *s, size_t pos, const vg_corr_hit *h, size_t *len)
{
	size_t ng = s->def->ngroup, need = 1;
	const char *vs[KEY_FAST];
	size_t vls[KEY_FAST];
	for (size_t g = 0; g < ng; g++) {
		const char *v = hit_value(h, s->gname[pos * ng + g]);
		size_t vl = strlen(v);
		if (g < KEY_FAST) {
			vs[g] = v;
			vls[g] = vl;
		}
		need += vl + 21;
	}
	if (need > c->keycap) {
		char *nk = realloc(c->key, need);
		if (nk == NULL)
			return VG_ENOMEM;
		c->key = nk;
		c->keycap = need;
	}
	size_t o = 0;
	for (size_t g = 0; g < ng; g++) {
		const char *v = g < KEY_FAST ? vs[g] : hit_value(h, s->gname[pos * ng + g]);
		size_t vl = g < KEY_FAST ? vls[g] : strlen(v), t = vl, nd = 0;
		char digits[24];
		do {
			digits[nd++] = (char)('0' + t % 10);
			t /= 10;
		} while (t != 0);
		while (nd > 0)
			c->key[o++] = digits[--nd];
		c->key[o++] = ':';
		memcpy(c->key + o, v, vl);
		o += vl;
	}
	*len = o;
	return VG_OK;
}

/* A new group holding copies of the key and of the values. */
static struct group *group_new(const vg_corr *c, const struct cstate *s, size_t pos, const vg_corr_hit *h, size_t keylen)
{
	size_t ng = s->def->ngroup, np = s->def->nrules;
	int temporal = s->def->type == VG_CORR_TEMPORAL || s->def->type == VG_CORR_TEMPORAL_ORDERED;
	size_t vbytes = 0;
	for (size_t g = 0; g < ng; g++)
		vbytes += strlen(hit_value(h, s->gname[pos * ng + g])) + 1;
	size_t size = sizeof(struct group) + ng * sizeof(char *) + (temporal ? np * sizeof(uint32_t) : 0) + keylen + vbytes;
	struct group *g = calloc(1, size);
	if (g == NULL)
		return NULL;
	char *p = (char *)(g + 1);
	g->vals = (const char **)(void *)p;
	p += ng * sizeof(char *);
	if (temporal) {
		g->per_pos = (uint32_t *)(void *)p;
		p += np * sizeof(uint32_t);
	}
	memcpy(p, c->key, keylen);
	g->key = p;
	g->keylen = keylen;
	p += keylen;
	for (size_t i = 0; i < ng; i++) {
		const char *v = hit_value(h, s->gname[pos * ng + i]);
		size_t vl = strlen(v);
		memcpy(p, v, vl + 1);
		g->vals[i] = p;
		p += vl + 1;
	}
	return g;
}

static const char *intern_path(vg_corr *c, const char *path)
{
	/* By content: hit paths are arena copies, so one address serves many
	 * paths once the arena is reset. */
	if (c->last_interned != NULL && strcmp(path, c->last_interned) == 0)
		return c->last_interned;
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

/* Add the hit to g at its time (late hits go before newer ones). */
static int insert(vg_corr *c, struct cstate *s, struct group *g, size_t pos, const vg_corr_hit *h, int64_t ts)
{
	/* Room first, so a failure below has nothing to undo in g. */
	if (g->n == VG_MAX_CORR_EVENTS) {
		drop_front(g);
		c->evicted++;
	}
	/* Compact only when at least half the array is consumed front, so each
	 * event is moved O(1) times; the array is at most 2 * the bound. */
	if (g->start + g->n == g->cap) {
		if (g->start > 0 && g->start >= g->n) {
			memmove(g->ev, g->ev + g->start, g->n * sizeof(*g->ev));
			g->start = 0;
		} else {
			size_t ncap = g->cap ? g->cap * 2 : 4;
			if (ncap > 2 * VG_MAX_CORR_EVENTS)
				ncap = 2 * VG_MAX_CORR_EVENTS;
			struct cev *ne = realloc(g->ev, ncap * sizeof(*ne));
			if (ne == NULL)
				return VG_ENOMEM;
			g->ev = ne;
			g->cap = ncap;
		}
	}
	struct cev v = {.ts = ts, .pos = (uint32_t)pos};
	size_t nl = h->nlocs;
	if (nl > CHAIN_LOCS)
		nl = CHAIN_LOCS; /* hits carry at most this many (see fire) */
	if (nl > 1 && (v.locs = malloc(nl * sizeof(*v.locs))) == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < nl; i++) {
		vg_corr_loc l = {.path = intern_path(c, h->locs[i].path), .line = h->locs[i].line};
		if (l.path == NULL) {
			free(v.locs);
			return VG_ENOMEM;
		}
		if (nl > 1)
			v.locs[i] = l;
		else
			v.loc = l;
	}
	v.nlocs = (uint32_t)nl;
	if (s->def->type == VG_CORR_VALUE_COUNT) {
		const char *val = hit_value(h, s->vname[pos]);
		size_t vl = strlen(val);
		if (vl > 0) {
			if (g->values == NULL && (g->values = vg_hashmap_new(0)) == NULL)
				goto nomem;
			struct val *iv = g->last_val;
			if (iv == NULL || iv->len != vl || memcmp(iv->s, val, vl) != 0)
				iv = vg_hashmap_get(g->values, val, vl);
			if (iv == NULL) {
				if ((iv = malloc(sizeof(*iv) + vl + 1)) == NULL)
					goto nomem;
				iv->refs = 0;
				iv->len = vl;
				memcpy(iv->s, val, vl + 1);
				if (vg_hashmap_put(g->values, iv->s, vl, iv) != 0) {
					free(iv);
					goto nomem;
				}
			}
			iv->refs++;
			v.val = iv;
			g->last_val = iv;
		}
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
nomem:
	free(v.locs);
	return VG_ENOMEM;
}

static int feed_one(vg_corr *c, struct cstate *s, size_t pos, const vg_corr_hit *h, int64_t ts, vg_corr_alert_fn cb, void *ud)
{
	int r = VG_OK;
	if (c->lateness >= 0) {
		/* A stream: a hit later than the allowance is dropped (never
		 * restarts the clock), and groups live lateness longer, so a
		 * hit within it still finds its group. */
		if (s->has_clock && ts < sat_sub(s->clock, c->lateness)) {
			c->late++;
			return VG_OK;
		}
		if (!s->has_clock || ts > s->clock) {
			s->clock = ts;
			s->has_clock = 1;
		}
		r = close_before(c, s, sat_sub(sat_sub(s->clock, s->span), c->lateness), cb, ud);
	} else {
		r = advance_clock(s, ts) ? close_before(c, s, INT64_MAX, cb, ud) : VG_OK;
		if (r == 0)
			r = close_before(c, s, sat_sub(s->clock, s->span), cb, ud);
	}
	size_t keylen;
	if (r != 0 || (r = build_key(c, s, pos, h, &keylen)) != 0)
		return r;
	struct group *g = s->last_g;
	if (g == NULL || g->keylen != keylen || memcmp(g->key, c->key, keylen) != 0)
		g = vg_hashmap_get(s->groups, c->key, keylen);
	if (g == NULL) {
		if (s->ngroups >= VG_MAX_CORR_GROUPS) {
			group_free(s, s->head);
			c->evicted++;
		}
		if ((g = group_new(c, s, pos, h, keylen)) == NULL)
			return VG_ENOMEM;
		if (vg_hashmap_put(s->groups, g->key, g->keylen, g) != 0) {
			free(g);
			return VG_ENOMEM;
		}
		g->newest = ts;
		s->ngroups++;
	} else {
		lru_unlink(s, g);
	}
	lru_append(s, g);
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
		drop_front(g);
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
	for (size_t i = 0; i < c->ncons[h->rule_idx]; i++) {
		const struct consumer *k = &c->cons[h->rule_idx][i];
		int r = feed_one(c, k->cs, k->pos, h, ts, cb, ud);
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
		vg_hashmap *empty = s->groups;
		s->groups = t->groups;
		t->groups = empty;
		s->last_g = t->last_g = NULL;
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
