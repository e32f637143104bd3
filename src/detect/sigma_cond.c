/* sigma_cond.c — recursive-descent parser for Sigma conditions (see
 * sigma_cond.h). A tokenizer splits on blanks and parentheses; the parser
 * resolves names and 'x of pattern' to identifier indices as it goes. */
#include "detect/sigma_cond.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/limits.h"

enum tok_type { T_END, T_LP, T_RP, T_WORD };

struct tok {
	enum tok_type t;
	const char *p;
	size_t n;
	size_t pos;
};

struct parser {
	vg_arena *a;
	const char *s;
	size_t len, i;
	struct tok cur;
	const char *const *idents;
	size_t nident;
	int depth;
	char *err;
	size_t errlen;
};

static void next(struct parser *ps)
{
	while (ps->i < ps->len && (ps->s[ps->i] == ' ' || ps->s[ps->i] == '\t' || ps->s[ps->i] == '\n' ||
				   ps->s[ps->i] == '\r'))
		ps->i++;
	struct tok *t = &ps->cur;
	t->pos = ps->i;
	t->p = ps->s + ps->i;
	t->n = 0;
	if (ps->i >= ps->len) {
		t->t = T_END;
		return;
	}
	char c = ps->s[ps->i];
	if (c == '(' || c == ')') {
		t->t = c == '(' ? T_LP : T_RP;
		t->n = 1;
		ps->i++;
		return;
	}
	t->t = T_WORD;
	while (ps->i < ps->len) {
		c = ps->s[ps->i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')')
			break;
		ps->i++;
	}
	t->n = (size_t)(t->p + (ps->i - t->pos) - t->p);
}

static int is_kw(const struct tok *t, const char *kw)
{
	return t->t == T_WORD && t->n == strlen(kw) && strncasecmp(t->p, kw, t->n) == 0;
}

static int fail(struct parser *ps, int r, const char *what, const struct tok *t)
{
	if (t->t == T_END) {
		snprintf(ps->err, ps->errlen, "%s end of condition", what);
	} else {
		int w = t->n > 64 ? 64 : (int)t->n;
		snprintf(ps->err, ps->errlen, "%s '%.*s' at position %zu", what, w, t->p, t->pos);
	}
	return r;
}

static int word_fail(struct parser *ps, const char *what, const struct tok *t)
{
	return fail(ps, VG_EPARSE, what, t);
}

int vg_cond_glob(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0, star = (size_t)-1, mark = 0;
	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star = p++;
			mark = i;
		} else if (p < plen && pat[p] == s[i]) {
			p++;
			i++;
		} else if (star != (size_t)-1) {
			p = star + 1;
			i = ++mark;
		} else {
			return 0;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

static vg_cond_node *node_new(struct parser *ps, uint8_t op, uint32_t n)
{
	vg_cond_node *nd = vg_arena_alloc(ps->a, sizeof(*nd));
	if (nd == NULL)
		return NULL;
	memset(nd, 0, sizeof(*nd));
	nd->op = op;
	nd->n = n;
	if (op == VG_COND_ID || op == VG_COND_OF) {
		if ((nd->ids = vg_arena_alloc(ps->a, (n ? n : 1) * sizeof(*nd->ids))) == NULL)
			return NULL;
	} else if ((nd->kids = vg_arena_alloc(ps->a, (n ? n : 1) * sizeof(*nd->kids))) == NULL) {
		return NULL;
	}
	return nd;
}

static int parse_expr(struct parser *ps, vg_cond_node **out);

static int parse_of(struct parser *ps, uint32_t k, vg_cond_node **out)
{
	next(ps); /* past the quantifier */
	if (!is_kw(&ps->cur, "of"))
		return fail(ps, VG_EPARSE, "expected 'of' but found", &ps->cur);
	next(ps);
	if (ps->cur.t != T_WORD)
		return fail(ps, VG_EPARSE, "expected a search identifier pattern or 'them' but found",
			    &ps->cur);
	struct tok target = ps->cur;
	int them = is_kw(&target, "them");
	uint32_t cnt = 0;
	for (size_t i = 0; i < ps->nident; i++) {
		const char *nm = ps->idents[i];
		if (them ? nm[0] != '_' : vg_cond_glob(target.p, target.n, nm, strlen(nm)))
			cnt++;
	}
	if (cnt == 0)
		return word_fail(ps, them ? "no search identifier for" : "no search identifier matches pattern", &target);
	if (k > cnt) {
		int w = target.n > 64 ? 64 : (int)target.n;
		snprintf(ps->err, ps->errlen, "'%u of %.*s' needs more identifiers than the %u it matches", k, w,
			 target.p, cnt);
		return VG_EPARSE;
	}
	vg_cond_node *nd = node_new(ps, VG_COND_OF, cnt);
	if (nd == NULL)
		return VG_ENOMEM;
	nd->k = k;
	cnt = 0;
	for (size_t i = 0; i < ps->nident; i++) {
		const char *nm = ps->idents[i];
		if (them ? nm[0] != '_' : vg_cond_glob(target.p, target.n, nm, strlen(nm)))
			nd->ids[cnt++] = (uint32_t)i;
	}
	next(ps);
	*out = nd;
	return 0;
}

static int parse_primary(struct parser *ps, vg_cond_node **out)
{
	struct tok t = ps->cur;
	if (t.t == T_LP) {
		if (++ps->depth > VG_MAX_RULE_DEPTH)
			return fail(ps, VG_ELIMIT, "condition nested too deeply at", &t);
		next(ps);
		int r = parse_expr(ps, out);
		if (r != 0)
			return r;
		if (ps->cur.t != T_RP)
			return fail(ps, VG_EPARSE, "expected ')' but found", &ps->cur);
		ps->depth--;
		next(ps);
		return 0;
	}
	if (t.t != T_WORD)
		return fail(ps, VG_EPARSE, "expected a search identifier but found", &t);
	if (t.p[0] == '|')
		return word_fail(ps, "aggregation expressions (Sigma 1 '| count()' syntax) are not supported, use a correlation rule; found", &t);
	if (is_kw(&t, "all"))
		return parse_of(ps, 0, out);
	if (is_kw(&t, "any"))
		return parse_of(ps, 1, out);
	if (t.p[0] >= '0' && t.p[0] <= '9') {
		uint32_t k = 0;
		size_t i = 0;
		for (; i < t.n && t.p[i] >= '0' && t.p[i] <= '9' && k < 1000000; i++)
			k = k * 10 + (uint32_t)(t.p[i] - '0');
		if (i == t.n && k > 0) {
			struct parser save = *ps;
			next(ps);
			int of = is_kw(&ps->cur, "of");
			*ps = save;
			if (of)
				return parse_of(ps, k, out);
		}
	}
	if (is_kw(&t, "and") || is_kw(&t, "or") || is_kw(&t, "of") || is_kw(&t, "them"))
		return word_fail(ps, "unexpected keyword", &t);
	if (memchr(t.p, '*', t.n) != NULL)
		return word_fail(ps, "wildcard identifier outside 'x of'", &t);
	for (size_t i = 0; i < ps->nident; i++) {
		if (strlen(ps->idents[i]) == t.n && memcmp(ps->idents[i], t.p, t.n) == 0) {
			vg_cond_node *nd = node_new(ps, VG_COND_ID, 1);
			if (nd == NULL)
				return VG_ENOMEM;
			nd->ids[0] = (uint32_t)i;
			next(ps);
			*out = nd;
			return 0;
		}
	}
	return word_fail(ps, "unknown search identifier", &t);
}

static int parse_not(struct parser *ps, vg_cond_node **out)
{
	if (!is_kw(&ps->cur, "not"))
		return parse_primary(ps, out);
	if (++ps->depth > VG_MAX_RULE_DEPTH)
		return fail(ps, VG_ELIMIT, "condition nested too deeply at", &ps->cur);
	next(ps);
	vg_cond_node *kid;
	int r = parse_not(ps, &kid);
	if (r != 0)
		return r;
	ps->depth--;
	vg_cond_node *nd = node_new(ps, VG_COND_NOT, 1);
	if (nd == NULL)
		return VG_ENOMEM;
	nd->kids[0] = kid;
	*out = nd;
	return 0;
}

/* One level of a left-associative chain: sub ('kw' sub)*, flattened. */
static int parse_chain(struct parser *ps, const char *kw, uint8_t op, int (*sub)(struct parser *, vg_cond_node **),
		       vg_cond_node **out)
{
	vg_cond_node *first;
	int r = sub(ps, &first);
	if (r != 0)
		return r;
	if (!is_kw(&ps->cur, kw)) {
		*out = first;
		return 0;
	}
	vg_cond_node *stack[64];
	size_t n = 0;
	vg_cond_node **kids = stack;
	size_t cap = 64;
	kids[n++] = first;
	while (is_kw(&ps->cur, kw)) {
		next(ps);
		vg_cond_node *k;
		if ((r = sub(ps, &k)) != 0)
			return r;
		if (n == cap) {
			/* Grow in the arena: conditions are bounded by the rule file size. */
			vg_cond_node **nk = vg_arena_alloc(ps->a, cap * 2 * sizeof(*nk));
			if (nk == NULL)
				return VG_ENOMEM;
			memcpy(nk, kids, n * sizeof(*nk));
			kids = nk;
			cap *= 2;
		}
		kids[n++] = k;
	}
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += kids[i]->op == op ? kids[i]->n : 1;
	vg_cond_node *nd = node_new(ps, op, (uint32_t)total);
	if (nd == NULL)
		return VG_ENOMEM;
	total = 0;
	for (size_t i = 0; i < n; i++) {
		if (kids[i]->op == op)
			for (uint32_t j = 0; j < kids[i]->n; j++)
				nd->kids[total++] = kids[i]->kids[j];
		else
			nd->kids[total++] = kids[i];
	}
	*out = nd;
	return 0;
}

static int parse_and(struct parser *ps, vg_cond_node **out)
{
	return parse_chain(ps, "and", VG_COND_AND, parse_not, out);
}

static int parse_expr(struct parser *ps, vg_cond_node **out)
{
	return parse_chain(ps, "or", VG_COND_OR, parse_and, out);
}

int vg_cond_parse(vg_arena *a, const char *text, size_t len, const char *const *idents, size_t nident,
		  vg_cond_node **out, char *err, size_t errlen)
{
	struct parser ps = {.a = a, .s = text, .len = len, .idents = idents, .nident = nident, .err = err,
			    .errlen = errlen};
	if (errlen > 0)
		err[0] = '\0';
	*out = NULL;
	next(&ps);
	if (ps.cur.t == T_END) {
		snprintf(err, errlen, "empty condition");
		return VG_EPARSE;
	}
	vg_cond_node *root;
	int r = parse_expr(&ps, &root);
	if (r == 0 && ps.cur.t != T_END) {
		if (ps.cur.t == T_WORD && ps.cur.p[0] == '|')
			r = word_fail(&ps, "aggregation expressions (Sigma 1 '| count()' syntax) are not supported, use a correlation rule; found", &ps.cur);
		else
			r = fail(&ps, VG_EPARSE, "unexpected", &ps.cur);
	}
	if (r == VG_ENOMEM && errlen > 0)
		snprintf(err, errlen, "out of memory");
	if (r == 0)
		*out = root;
	return r;
}
