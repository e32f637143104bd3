/* sigma_load.c — Sigma YAML documents → vg_srule (see sigma_load.h).
 * Reads metadata, logsource and detection; expands search identifiers into
 * the parsed condition; parses correlation sections. Every rejection names
 * the one thing that is wrong. */
#include "detect/sigma_load.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/logsource.h"
#include "detect/sigma_cond.h"
#include "detect/sigma_yaml.h"

struct lctx {
	vg_arena *keep, *tmp;
	const char *path;
	vg_load_sink *sink;
	char err[512];
	/* items of the rule being built */
	vg_item **items;
	size_t nitems, capitems;
	size_t budget;
};

static int reject(struct lctx *c, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int reject(struct lctx *c, const char *id, const char *fmt, ...)
{
	char reason[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	c->sink->rejected++;
	if (c->sink->reject != NULL)
		c->sink->reject(c->sink->reject_ud, c->path, id ? id : "", reason);
	return 0;
}

static const char *keep_str(struct lctx *c, const char *s)
{
	if (s == NULL)
		return "";
	return vg_arena_strndup(c->keep, s, strlen(s));
}

/* A scalar metadata field as a kept string; "" when absent or not a scalar. */
static const char *meta(struct lctx *c, const vg_ynode *doc, const char *key)
{
	const vg_ynode *n = vg_yaml_get(doc, key);
	if (n == NULL || n->type != VG_Y_SCALAR || n->kind == VG_YK_NULL)
		return "";
	return keep_str(c, n->str);
}

/* ---- multi-document merging (action: global / repeat) ------------------- */

static vg_ynode *merge(vg_arena *a, const vg_ynode *base, const vg_ynode *over)
{
	if (base == NULL || base->type != VG_Y_MAP || over == NULL || over->type != VG_Y_MAP)
		return (vg_ynode *)(uintptr_t)over;
	vg_ynode *m = vg_arena_alloc(a, sizeof(*m));
	size_t cap = base->n + over->n;
	if (m == NULL)
		return NULL;
	*m = *over;
	m->keys = vg_arena_alloc(a, (cap ? cap : 1) * sizeof(*m->keys));
	m->items = vg_arena_alloc(a, (cap ? cap : 1) * sizeof(*m->items));
	if (m->keys == NULL || m->items == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < base->n; i++) {
		const vg_ynode *o = vg_yaml_get(over, base->keys[i]->str);
		vg_ynode *v = base->items[i];
		if (o != NULL && (v = merge(a, base->items[i], o)) == NULL)
			return NULL;
		m->keys[n] = base->keys[i];
		m->items[n++] = v;
	}
	for (size_t i = 0; i < over->n; i++) {
		if (vg_yaml_get(base, over->keys[i]->str) != NULL)
			continue;
		m->keys[n] = over->keys[i];
		m->items[n++] = over->items[i];
	}
	m->n = n;
	return m;
}

/* Drop the action key from a document. */
static vg_ynode *without_action(vg_arena *a, const vg_ynode *doc)
{
	vg_ynode *m = vg_arena_alloc(a, sizeof(*m));
	if (m == NULL)
		return NULL;
	*m = *doc;
	m->keys = vg_arena_alloc(a, (doc->n ? doc->n : 1) * sizeof(*m->keys));
	m->items = vg_arena_alloc(a, (doc->n ? doc->n : 1) * sizeof(*m->items));
	if (m->keys == NULL || m->items == NULL)
		return NULL;
	m->n = 0;
	for (size_t i = 0; i < doc->n; i++) {
		if (strcmp(doc->keys[i]->str, "action") == 0)
			continue;
		m->keys[m->n] = doc->keys[i];
		m->items[m->n++] = doc->items[i];
	}
	return m;
}

/* ---- detection ------------------------------------------------------------ */

static vg_expr *expr_new(struct lctx *c, uint8_t op, uint32_t n)
{
	vg_expr *e = vg_arena_alloc(c->keep, sizeof(*e));
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->op = op;
	e->n = n;
	if (n != 0 && (e->kids = vg_arena_alloc(c->keep, n * sizeof(*e->kids))) == NULL)
		return NULL;
	return e;
}

static int add_item(struct lctx *c, vg_item *it)
{
	if (c->nitems == c->capitems) {
		size_t nc = c->capitems ? c->capitems * 2 : 16;
		vg_item **ni = realloc(c->items, nc * sizeof(*ni));
		if (ni == NULL)
			return VG_ENOMEM;
		c->items = ni;
		c->capitems = nc;
	}
	c->items[c->nitems++] = it;
	return 0;
}

static int item_expr(struct lctx *c, vg_item *it, vg_expr **out)
{
	vg_expr *e = expr_new(c, VG_X_ITEM, 0);
	if (e == NULL)
		return VG_ENOMEM;
	e->item = it;
	*out = e;
	return add_item(c, it);
}

/* r > 0: rejected (reason in c->err); 0 ok; < 0 VG_ENOMEM. */
static int value_err(struct lctx *c, int r, const char *ident, const char *key)
{
	if (r == VG_ENOMEM)
		return r;
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s", c->err);
	snprintf(c->err, sizeof(c->err), "%.64s: %.64s: %.360s", ident, key ? key : "keywords", tmp);
	return 1;
}

static int map_expr(struct lctx *c, const char *ident, const vg_ynode *m, vg_expr **out)
{
	if (m->n == 0) {
		snprintf(c->err, sizeof(c->err), "search identifier '%s' is empty", ident);
		return 1;
	}
	vg_expr *and = m->n > 1 ? expr_new(c, VG_X_AND, (uint32_t)m->n) : NULL;
	if (m->n > 1 && and == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const char *key = m->keys[i]->str;
		const char *bar = strchr(key, '|');
		const char *field = NULL;
		if (bar == NULL || bar > key) {
			size_t fl = bar ? (size_t)(bar - key) : strlen(key);
			if ((field = vg_arena_strndup(c->keep, key, fl)) == NULL)
				return VG_ENOMEM;
		}
		vg_item *it = vg_arena_alloc(c->keep, sizeof(*it));
		if (it == NULL)
			return VG_ENOMEM;
		int r = vg_value_build(c->keep, c->tmp, field, bar ? bar + 1 : "", m->items[i], it, &c->budget, c->err,
				       sizeof(c->err));
		if (r != 0)
			return value_err(c, r, ident, key);
		vg_expr *e;
		if ((r = item_expr(c, it, &e)) != 0)
			return r;
		if (and == NULL) {
			*out = e;
			return 0;
		}
		and->kids[i] = e;
	}
	*out = and;
	return 0;
}

static int ident_expr(struct lctx *c, const char *ident, const vg_ynode *v, vg_expr **out)
{
	int r;
	if (v->type == VG_Y_MAP)
		return map_expr(c, ident, v, out);
	if (v->type == VG_Y_SCALAR) {
		if (v->kind == VG_YK_NULL) {
			snprintf(c->err, sizeof(c->err), "search identifier '%s' is empty", ident);
			return 1;
		}
		vg_item *it = vg_arena_alloc(c->keep, sizeof(*it));
		if (it == NULL)
			return VG_ENOMEM;
		if ((r = vg_value_build_keywords(c->keep, c->tmp, v, it, &c->budget, c->err, sizeof(c->err))) != 0)
			return value_err(c, r, ident, NULL);
		return item_expr(c, it, out);
	}
	/* A list: maps are OR-linked; plain values form one keyword item. */
	size_t nmaps = 0, nscalars = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i]->type == VG_Y_MAP)
			nmaps++;
		else if (v->items[i]->type == VG_Y_SCALAR)
			nscalars++;
		else {
			snprintf(c->err, sizeof(c->err), "search identifier '%s': nested lists are not supported (line %u)",
				 ident, v->items[i]->line);
			return 1;
		}
	}
	size_t nk = nmaps + (nscalars ? 1 : 0);
	if (nk == 0) {
		*out = expr_new(c, VG_X_FALSE, 0);
		return *out ? 0 : VG_ENOMEM;
	}
	vg_expr *or = nk > 1 ? expr_new(c, VG_X_OR, (uint32_t)nk) : NULL;
	if (nk > 1 && or == NULL)
		return VG_ENOMEM;
	size_t k = 0;
	if (nscalars) {
		vg_ynode *seq = vg_arena_alloc(c->tmp, sizeof(*seq));
		if (seq == NULL || (seq->items = vg_arena_alloc(c->tmp, nscalars * sizeof(*seq->items))) == NULL)
			return VG_ENOMEM;
		seq->type = VG_Y_SEQ;
		seq->line = v->line;
		seq->n = 0;
		for (size_t i = 0; i < v->n; i++)
			if (v->items[i]->type == VG_Y_SCALAR)
				seq->items[seq->n++] = v->items[i];
		vg_item *it = vg_arena_alloc(c->keep, sizeof(*it));
		if (it == NULL)
			return VG_ENOMEM;
		if ((r = vg_value_build_keywords(c->keep, c->tmp, seq, it, &c->budget, c->err, sizeof(c->err))) != 0)
			return value_err(c, r, ident, NULL);
		vg_expr *e;
		if ((r = item_expr(c, it, &e)) != 0)
			return r;
		if (or == NULL) {
			*out = e;
			return 0;
		}
		or->kids[k++] = e;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i]->type != VG_Y_MAP)
			continue;
		vg_expr *e;
		if ((r = map_expr(c, ident, v->items[i], &e)) != 0)
			return r;
		if (or == NULL) {
			*out = e;
			return 0;
		}
		or->kids[k++] = e;
	}
	*out = or;
	return 0;
}

static int cond_to_expr(struct lctx *c, const vg_cond_node *cn, vg_expr **idexpr, vg_expr **out)
{
	vg_expr *e;
	int r;
	switch (cn->op) {
	case VG_COND_ID:
		*out = idexpr[cn->ids[0]];
		return 0;
	case VG_COND_OF:
		if (cn->n == 1) {
			*out = idexpr[cn->ids[0]];
			return 0;
		}
		if ((e = expr_new(c, cn->k == 0 ? VG_X_AND : cn->k == 1 ? VG_X_OR : VG_X_ATLEAST, cn->n)) == NULL)
			return VG_ENOMEM;
		e->k = cn->k;
		for (uint32_t i = 0; i < cn->n; i++)
			e->kids[i] = idexpr[cn->ids[i]];
		*out = e;
		return 0;
	default:
		if ((e = expr_new(c, cn->op == VG_COND_AND ? VG_X_AND : cn->op == VG_COND_OR ? VG_X_OR : VG_X_NOT, cn->n)) ==
		    NULL)
			return VG_ENOMEM;
		for (uint32_t i = 0; i < cn->n; i++)
			if ((r = cond_to_expr(c, cn->kids[i], idexpr, &e->kids[i])) != 0)
				return r;
		*out = e;
		return 0;
	}
}

/* r > 0: rejected with c->err. */
static int parse_detection(struct lctx *c, const vg_ynode *det, vg_expr **root)
{
	if (det == NULL) {
		snprintf(c->err, sizeof(c->err), "missing detection");
		return 1;
	}
	if (det->type != VG_Y_MAP) {
		snprintf(c->err, sizeof(c->err), "detection is not a map (line %u)", det->line);
		return 1;
	}
	const vg_ynode *cond = vg_yaml_get(det, "condition");
	if (cond == NULL || (cond->type == VG_Y_SCALAR && cond->kind == VG_YK_NULL)) {
		snprintf(c->err, sizeof(c->err), "detection has no condition");
		return 1;
	}
	const char **names = vg_arena_alloc(c->tmp, (det->n ? det->n : 1) * sizeof(*names));
	vg_expr **exprs = vg_arena_alloc(c->tmp, (det->n ? det->n : 1) * sizeof(*exprs));
	if (names == NULL || exprs == NULL)
		return VG_ENOMEM;
	size_t n = 0;
	int r;
	for (size_t i = 0; i < det->n; i++) {
		const char *k = det->keys[i]->str;
		if (strcmp(k, "condition") == 0 || strcmp(k, "timeframe") == 0)
			continue;
		/* A duplicate key: the last one wins, as in PyYAML. */
		if (vg_yaml_get(det, k) != det->items[i])
			continue;
		names[n] = k;
		if ((r = ident_expr(c, k, det->items[i], &exprs[n])) != 0)
			return r;
		n++;
	}
	const vg_ynode *const *conds = (const vg_ynode *const *)&cond;
	size_t nconds = 1;
	if (cond->type == VG_Y_SEQ) {
		conds = (const vg_ynode *const *)cond->items;
		nconds = cond->n;
		if (nconds == 0) {
			snprintf(c->err, sizeof(c->err), "detection has an empty condition list");
			return 1;
		}
	}
	vg_expr *or = nconds > 1 ? expr_new(c, VG_X_OR, (uint32_t)nconds) : NULL;
	if (nconds > 1 && or == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < nconds; i++) {
		if (conds[i]->type != VG_Y_SCALAR) {
			snprintf(c->err, sizeof(c->err), "condition is not a string (line %u)", conds[i]->line);
			return 1;
		}
		vg_cond_node *cn;
		char cerr[256];
		r = vg_cond_parse(c->tmp, conds[i]->str, conds[i]->len, names, n, &cn, cerr, sizeof(cerr));
		if (r == VG_ENOMEM)
			return r;
		if (r != 0) {
			snprintf(c->err, sizeof(c->err), "condition (line %u): %s", conds[i]->line, cerr);
			return 1;
		}
		vg_expr *e;
		if ((r = cond_to_expr(c, cn, exprs, &e)) != 0)
			return r;
		if (or == NULL) {
			*root = e;
			return 0;
		}
		or->kids[i] = e;
	}
	*root = or;
	return 0;
}

/* ---- correlation ---------------------------------------------------------- */

int vg_sigma_timespan(const char *s, int64_t *us)
{
	int64_t v = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > INT64_MAX / 10 / 1000000 / 604800)
			return VG_EPARSE;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || s[i] == '\0' || s[i + 1] != '\0' || v == 0)
		return VG_EPARSE;
	int64_t unit;
	switch (s[i]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 604800; break;
	default: return VG_EPARSE;
	}
	*us = v * unit * 1000000;
	return 0;
}

/* A scalar or a list of scalars as a kept string array. */
static int str_list(struct lctx *c, const vg_ynode *n, const char ***out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (n == NULL || (n->type == VG_Y_SCALAR && n->kind == VG_YK_NULL))
		return 0;
	size_t cnt = n->type == VG_Y_SEQ ? n->n : 1;
	if (n->type == VG_Y_MAP)
		return 1;
	const char **v = vg_arena_alloc(c->keep, (cnt ? cnt : 1) * sizeof(*v));
	if (v == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		const vg_ynode *e = n->type == VG_Y_SEQ ? n->items[i] : n;
		if (e->type != VG_Y_SCALAR)
			return 1;
		if ((v[i] = keep_str(c, e->str)) == NULL)
			return VG_ENOMEM;
	}
	*out = v;
	*nout = cnt;
	return 0;
}

static int parse_int64(const vg_ynode *n, int64_t *out)
{
	if (n == NULL || n->type != VG_Y_SCALAR || n->kind != VG_YK_INT)
		return -1;
	char *end;
	long long v = strtoll(n->num, &end, 10);
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int parse_corr(struct lctx *c, const vg_ynode *doc, vg_corr_src **out)
{
	static const struct {
		const char *name;
		enum vg_corr_type t;
	} types[] = {{"event_count", VG_CORR_EVENT_COUNT},
		     {"value_count", VG_CORR_VALUE_COUNT},
		     {"temporal", VG_CORR_TEMPORAL},
		     {"temporal_ordered", VG_CORR_TEMPORAL_ORDERED}};
	static const struct {
		const char *name;
		enum vg_cmp op;
	} ops[] = {{"gt", VG_CMP_GT}, {"gte", VG_CMP_GTE}, {"lt", VG_CMP_LT},
		   {"lte", VG_CMP_LTE}, {"eq", VG_CMP_EQ}, {"neq", VG_CMP_NEQ}};
	const vg_ynode *cm = vg_yaml_get(doc, "correlation");
	int r;
	if (cm == NULL || cm->type != VG_Y_MAP) {
		snprintf(c->err, sizeof(c->err), "correlation is not a map");
		return 1;
	}
	vg_corr_src *cs = vg_arena_alloc(c->keep, sizeof(*cs));
	if (cs == NULL)
		return VG_ENOMEM;
	memset(cs, 0, sizeof(*cs));
	const char *type = vg_yaml_str(vg_yaml_get(cm, "type"));
	size_t ti = 0;
	for (; type != NULL && ti < sizeof(types) / sizeof(types[0]); ti++)
		if (strcmp(type, types[ti].name) == 0)
			break;
	if (type == NULL) {
		snprintf(c->err, sizeof(c->err), "correlation has no type");
		return 1;
	}
	if (ti == sizeof(types) / sizeof(types[0])) {
		snprintf(c->err, sizeof(c->err), "correlation type '%.64s' is not supported", type);
		return 1;
	}
	cs->def.type = types[ti].t;
	if ((r = str_list(c, vg_yaml_get(cm, "rules"), &cs->refs, &cs->nrefs)) != 0 || cs->nrefs == 0) {
		if (r < 0)
			return r;
		snprintf(c->err, sizeof(c->err), "correlation needs a list of rules");
		return 1;
	}
	const char **gb;
	size_t ngb;
	if ((r = str_list(c, vg_yaml_get(cm, "group-by"), &gb, &ngb)) != 0) {
		if (r < 0)
			return r;
		snprintf(c->err, sizeof(c->err), "correlation group-by is not a list of field names");
		return 1;
	}
	cs->def.group_by = gb;
	cs->def.ngroup = ngb;
	const char *ts = vg_yaml_str(vg_yaml_get(cm, "timespan"));
	if (ts == NULL) {
		snprintf(c->err, sizeof(c->err), "correlation has no timespan");
		return 1;
	}
	if (vg_sigma_timespan(ts, &cs->def.timespan_us) != 0) {
		snprintf(c->err, sizeof(c->err), "bad timespan '%.32s' (expected a number and s, m, h or d)", ts);
		return 1;
	}
	const vg_ynode *cond = vg_yaml_get(cm, "condition");
	vg_corr_cond *conds = vg_arena_alloc(c->keep, 8 * sizeof(*conds));
	if (conds == NULL)
		return VG_ENOMEM;
	size_t nc = 0;
	if (cond != NULL && cond->type != VG_Y_MAP) {
		snprintf(c->err, sizeof(c->err), "correlation condition is not a map");
		return 1;
	}
	for (size_t i = 0; cond != NULL && i < cond->n; i++) {
		const char *k = cond->keys[i]->str;
		if (strcmp(k, "field") == 0) {
			const vg_ynode *f = cond->items[i];
			if (f->type == VG_Y_SEQ && f->n == 1)
				f = f->items[0];
			if (f->type != VG_Y_SCALAR) {
				snprintf(c->err, sizeof(c->err), "value_count over several fields is not supported");
				return 1;
			}
			cs->def.value_field = keep_str(c, f->str);
			continue;
		}
		size_t oi = 0;
		for (; oi < sizeof(ops) / sizeof(ops[0]); oi++)
			if (strcmp(k, ops[oi].name) == 0)
				break;
		if (oi == sizeof(ops) / sizeof(ops[0])) {
			snprintf(c->err, sizeof(c->err), "unknown correlation condition operator '%.32s'", k);
			return 1;
		}
		if (nc == 8 || parse_int64(cond->items[i], &conds[nc].value) != 0) {
			snprintf(c->err, sizeof(c->err), "correlation condition '%s' needs an integer", k);
			return 1;
		}
		conds[nc++].op = ops[oi].op;
	}
	if (nc == 0) {
		if (cs->def.type == VG_CORR_TEMPORAL || cs->def.type == VG_CORR_TEMPORAL_ORDERED) {
			conds[nc].op = VG_CMP_GTE;
			conds[nc++].value = (int64_t)cs->nrefs;
		} else {
			snprintf(c->err, sizeof(c->err), "correlation %s needs a condition (gt, gte, lt, lte, eq or neq)", type);
			return 1;
		}
	}
	if (cs->def.type == VG_CORR_VALUE_COUNT && cs->def.value_field == NULL) {
		snprintf(c->err, sizeof(c->err), "value_count correlation needs condition.field");
		return 1;
	}
	cs->def.conds = conds;
	cs->def.nconds = nc;
	const vg_ynode *al = vg_yaml_get(cm, "aliases");
	if (al != NULL && al->type == VG_Y_MAP && al->n > 0) {
		cs->aliases = vg_arena_alloc(c->keep, al->n * sizeof(*cs->aliases));
		if (cs->aliases == NULL)
			return VG_ENOMEM;
		for (size_t i = 0; i < al->n; i++) {
			vg_corr_alias_src *a = &cs->aliases[i];
			const vg_ynode *m = al->items[i];
			if (m->type != VG_Y_MAP) {
				snprintf(c->err, sizeof(c->err), "correlation alias '%.64s' is not a map of rule: field",
					 al->keys[i]->str);
				return 1;
			}
			a->name = keep_str(c, al->keys[i]->str);
			a->refs = vg_arena_alloc(c->keep, (m->n ? m->n : 1) * sizeof(*a->refs));
			a->fields = vg_arena_alloc(c->keep, (m->n ? m->n : 1) * sizeof(*a->fields));
			if (a->name == NULL || a->refs == NULL || a->fields == NULL)
				return VG_ENOMEM;
			for (size_t j = 0; j < m->n; j++) {
				if (m->items[j]->type != VG_Y_SCALAR) {
					snprintf(c->err, sizeof(c->err), "correlation alias '%.64s' is not a map of rule: field",
						 a->name);
					return 1;
				}
				a->refs[j] = keep_str(c, m->keys[j]->str);
				a->fields[j] = keep_str(c, m->items[j]->str);
			}
			a->n = m->n;
		}
		cs->naliases = al->n;
	} else if (al != NULL && !(al->type == VG_Y_SCALAR && al->kind == VG_YK_NULL) && al->type != VG_Y_MAP) {
		snprintf(c->err, sizeof(c->err), "correlation aliases is not a map");
		return 1;
	}
	const vg_ynode *gen = vg_yaml_get(doc, "generate");
	if (gen == NULL)
		gen = vg_yaml_get(cm, "generate");
	cs->generate = gen != NULL && gen->type == VG_Y_SCALAR && gen->kind == VG_YK_BOOL && gen->bval;
	*out = cs;
	return 0;
}

/* ---- digest ------------------------------------------------------------------ */

/* Feed a node to the digest: every node tagged with its type (and a scalar's
 * YAML type) and length-prefixed, so distinct trees never encode alike;
 * lines, columns, comments and quoting style are left out, so reformatting a
 * rule keeps its digest. Depth is bounded by the YAML parser. */
static int hash_node(EVP_MD_CTX *h, const vg_ynode *n)
{
	int scalar = n->type == VG_Y_SCALAR;
	uint64_t len = scalar ? n->len : n->n;
	uint8_t hdr[10] = {n->type, scalar ? n->kind : 0};
	for (int i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)(len >> (8 * i));
	if (EVP_DigestUpdate(h, hdr, sizeof(hdr)) != 1)
		return VG_ENOMEM;
	if (scalar)
		return n->len == 0 || EVP_DigestUpdate(h, n->str, n->len) == 1 ? 0 : VG_ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		int r;
		if (n->type == VG_Y_MAP && (r = hash_node(h, n->keys[i])) != 0)
			return r;
		if ((r = hash_node(h, n->items[i])) != 0)
			return r;
	}
	return 0;
}

/* The rule's digest (engine.h): SHA-256 of the merged document. OpenSSL
 * fails here only when it cannot allocate. */
static int doc_digest(const vg_ynode *doc, uint8_t out[VG_RULE_DIGEST_LEN])
{
	static const char tag[] = "vigil-sigma-doc-1";
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned int n = 0;
	int r = VG_ENOMEM;
	if (h != NULL && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(h, tag, sizeof(tag)) == 1 &&
	    (r = hash_node(h, doc)) == 0)
		r = EVP_DigestFinal_ex(h, out, &n) == 1 && n == VG_RULE_DIGEST_LEN ? 0 : VG_ENOMEM;
	EVP_MD_CTX_free(h);
	return r;
}

/* ---- one document ----------------------------------------------------------- */

static int load_doc(struct lctx *c, const vg_ynode *doc)
{
	if (doc->type != VG_Y_MAP)
		return reject(c, "", "document is not a map (line %u)", doc->line);
	const char *id = meta(c, doc, "id");
	if (id == NULL)
		return VG_ENOMEM;
	vg_srule *r = vg_arena_alloc(c->keep, sizeof(*r));
	if (r == NULL)
		return VG_ENOMEM;
	memset(r, 0, sizeof(*r));
	vg_rule_info *in = &r->info;
	in->id = id;
	in->name = meta(c, doc, "name");
	in->title = meta(c, doc, "title");
	in->level = meta(c, doc, "level");
	in->status = meta(c, doc, "status");
	in->description = meta(c, doc, "description");
	in->path = c->path;
	in->alert = 1;
	const vg_ynode *ls = vg_yaml_get(doc, "logsource");
	in->product = meta(c, ls, "product");
	in->service = meta(c, ls, "service");
	in->category = meta(c, ls, "category");
	if (!in->name || !in->title || !in->level || !in->status || !in->description || !in->product || !in->service ||
	    !in->category)
		return VG_ENOMEM;
	const char **tags;
	size_t ntags;
	int rr = str_list(c, vg_yaml_get(doc, "tags"), &tags, &ntags);
	if (rr < 0)
		return rr;
	in->tags = rr == 0 ? tags : NULL;
	in->ntags = rr == 0 ? ntags : 0;
	if ((rr = doc_digest(doc, in->digest)) != 0)
		return rr;
	r->product = vg_product_id(in->product);
	r->service = vg_service_id(in->service);
	r->category = vg_category_id(in->category);

	if (vg_yaml_get(doc, "correlation") != NULL) {
		in->is_correlation = 1;
		if ((rr = parse_corr(c, doc, &r->corr)) < 0)
			return rr;
		if (rr > 0)
			return reject(c, id, "%s", c->err);
		return c->sink->add(c->sink->ud, r);
	}
	if (vg_yaml_get(doc, "detection") == NULL && vg_yaml_get(doc, "filter") != NULL)
		return reject(c, id, "Sigma filter documents (meta filters) are not supported");
	c->nitems = 0;
	c->budget = VG_MAX_RULE_VALUES;
	if ((rr = parse_detection(c, vg_yaml_get(doc, "detection"), &r->root)) < 0)
		return rr;
	if (rr > 0)
		return reject(c, id, "%s", c->err);
	r->nitems = c->nitems;
	r->items = vg_arena_alloc(c->keep, (c->nitems ? c->nitems : 1) * sizeof(*r->items));
	if (r->items == NULL)
		return VG_ENOMEM;
	if (c->nitems != 0)
		memcpy(r->items, c->items, c->nitems * sizeof(*r->items));
	return c->sink->add(c->sink->ud, r);
}

int vg_sigma_load(vg_arena *keep, const char *buf, size_t len, const char *path, vg_load_sink *sink)
{
	struct lctx c = {.keep = keep, .path = path, .sink = sink};
	int r = 0;
	if (len > VG_MAX_RULE_FILE) {
		reject(&c, "", "file too large (%zu bytes, limit %d)", len, VG_MAX_RULE_FILE);
		return 0;
	}
	if ((c.tmp = vg_arena_new(0)) == NULL)
		return VG_ENOMEM;
	vg_ydoc_list docs;
	char yerr[256];
	int yr = vg_yaml_parse(c.tmp, buf, len, &docs, yerr, sizeof(yerr));
	if (yr == VG_ENOMEM) {
		r = yr;
	} else if (yr != 0) {
		reject(&c, "", "%s %s", yr == VG_EPARSE ? "YAML syntax error at" : yr == VG_ELIMIT ? "YAML limit exceeded at" : "unsupported YAML at", yerr);
	} else {
		const vg_ynode *global = NULL, *prev = NULL;
		for (size_t i = 0; i < docs.n && r == 0; i++) {
			const vg_ynode *d = docs.docs[i];
			if (d->type == VG_Y_SCALAR && d->kind == VG_YK_NULL)
				continue; /* an empty document, e.g. after a trailing '---' */
			const char *act = vg_yaml_str(vg_yaml_get(d, "action"));
			if (act != NULL) {
				vg_ynode *body = without_action(c.tmp, d);
				if (body == NULL) {
					r = VG_ENOMEM;
					break;
				}
				if (strcmp(act, "global") == 0) {
					global = global ? merge(c.tmp, global, body) : body;
					if (global == NULL)
						r = VG_ENOMEM;
					continue;
				}
				if (strcmp(act, "reset") == 0) {
					global = NULL;
					continue;
				}
				if (strcmp(act, "repeat") == 0) {
					if (prev == NULL) {
						reject(&c, meta(&c, d, "id"), "action: repeat without a previous rule");
						continue;
					}
					d = merge(c.tmp, prev, body);
				} else {
					reject(&c, meta(&c, d, "id"), "unknown action '%.32s'", act);
					continue;
				}
			} else if (global != NULL) {
				d = merge(c.tmp, global, d);
			}
			if (d == NULL) {
				r = VG_ENOMEM;
				break;
			}
			prev = d;
			r = load_doc(&c, d);
		}
	}
	free(c.items);
	vg_arena_free(c.tmp);
	return r;
}
