/* sigma_compile.c — groups, lits, partitions, the logsource bucket table and
 * the Hyperscan databases, which are compiled on first use (see
 * sigma_compile.h). A pattern Hyperscan refuses is tested directly, never
 * dropped and never a reason to reject a rule. */
#include "detect/sigma_compile.h"
#include "detect/hsdb_cache.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/fieldmap.h"

/* ---- (logsource, field) → tset cache --------------------------------------- */

struct tmap_ent {
	uint32_t hash;
	vg_tset *ts;
};

struct vg_tmap {
	struct tmap_ent *t;
	size_t cap, n;
};

static uint32_t tkey_hash(uint8_t p, uint8_t s, uint8_t c, const char *field)
{
	uint32_t h = vg_hash(field ? field : "", field ? strlen(field) : 0);
	h ^= (uint32_t)p * 0x9e3779b1u ^ (uint32_t)s * 0x85ebca6bu ^ (uint32_t)c * 0xc2b2ae35u ^ (field ? 0 : 0x5bd1e995u);
	return h ? h : 1;
}

static int tkey_eq(const vg_tset *ts, uint8_t p, uint8_t s, uint8_t c, const char *field)
{
	if (field == NULL || ts->raw)
		return field == NULL && ts->raw;
	return ts->product == p && ts->service == s && ts->category == c && strcmp(ts->sigma, field) == 0;
}

static int tmap_put(struct vg_tmap *m, uint32_t h, vg_tset *ts)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		struct tmap_ent *nt = calloc(nc, sizeof(*nt));
		if (nt == NULL)
			return VG_ENOMEM;
		for (size_t i = 0; i < m->cap; i++) {
			if (m->t[i].hash == 0)
				continue;
			size_t j = m->t[i].hash & (nc - 1);
			while (nt[j].hash != 0)
				j = (j + 1) & (nc - 1);
			nt[j] = m->t[i];
		}
		free(m->t);
		m->t = nt;
		m->cap = nc;
	}
	size_t j = h & (m->cap - 1);
	while (m->t[j].hash != 0)
		j = (j + 1) & (m->cap - 1);
	m->t[j].hash = h;
	m->t[j].ts = ts;
	m->n++;
	return 0;
}

const vg_tset *vg_compile_tset(vg_engine *e, uint8_t p, uint8_t s, uint8_t c, const char *field)
{
	if (e->tmap == NULL && (e->tmap = calloc(1, sizeof(*e->tmap))) == NULL)
		return NULL;
	struct vg_tmap *m = e->tmap;
	uint32_t h = tkey_hash(p, s, c, field);
	if (m->cap != 0)
		for (size_t j = h & (m->cap - 1); m->t[j].hash != 0; j = (j + 1) & (m->cap - 1))
			if (m->t[j].hash == h && tkey_eq(m->t[j].ts, p, s, c, field))
				return m->t[j].ts;
	vg_tset *ts = vg_arena_alloc(e->arena, sizeof(*ts));
	if (ts == NULL)
		return NULL;
	memset(ts, 0, sizeof(*ts));
	ts->product = p;
	ts->service = s;
	ts->category = c;
	if (field == NULL) {
		ts->raw = 1;
	} else {
		vg_fieldmap_res res;
		vg_fieldmap_resolve(p, s, c, field, &res);
		size_t n = res.n ? res.n : 1;
		ts->names = vg_arena_alloc(e->arena, n * sizeof(*ts->names));
		ts->lens = vg_arena_alloc(e->arena, n * sizeof(*ts->lens));
		ts->hashes = vg_arena_alloc(e->arena, n * sizeof(*ts->hashes));
		ts->sigma = vg_arena_strndup(e->arena, field, strlen(field));
		if (ts->names == NULL || ts->lens == NULL || ts->hashes == NULL || ts->sigma == NULL)
			return NULL;
		if (res.n != 0) {
			for (size_t i = 0; i < res.n; i++)
				ts->names[i] = res.names[i];
		} else if (res.prefix != NULL) {
			size_t pl = strlen(res.prefix), fl = strlen(field);
			char *nm = vg_arena_alloc(e->arena, pl + fl + 1);
			if (nm == NULL)
				return NULL;
			memcpy(nm, res.prefix, pl);
			memcpy(nm + pl, field, fl + 1);
			ts->names[0] = nm;
		} else {
			ts->names[0] = ts->sigma;
		}
		ts->n = n;
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(ts->names[i]);
			ts->lens[i] = (uint16_t)(l > UINT16_MAX ? UINT16_MAX : l);
			ts->hashes[i] = vg_field_hash(ts->names[i], l);
		}
	}
	if (tmap_put(m, h, ts) != 0)
		return NULL;
	return ts;
}

/* ---- Hyperscan expressions --------------------------------------------------- */

static int is_alnum(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Shape of an STR pattern: the span between leading/trailing stars, whether
 * it is fixed-length (no star inside), and which ends are anchored. */
static void pat_shape(const vg_atom *at, size_t *b, size_t *e, int *fixed, uint8_t *anch)
{
	*b = 0;
	*e = at->len;
	*anch = (uint8_t)((!(at->len > 0 && at->wild[0] == VG_W_STAR) ? VG_ANCH_START : 0) |
			  (!(at->len > 0 && at->wild[at->len - 1] == VG_W_STAR) ? VG_ANCH_END : 0));
	while (*b < *e && at->wild[*b] == VG_W_STAR)
		(*b)++;
	while (*e > *b && at->wild[*e - 1] == VG_W_STAR)
		(*e)--;
	*fixed = 1;
	for (size_t i = *b; i < *e; i++)
		*fixed &= at->wild[i] != VG_W_STAR;
}

size_t vg_compile_hs_expr(const vg_atom *at, int anchors, char *out, size_t cap, uint8_t *anch, uint32_t *hlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t b, e, o = 0;
	int fixed;
	uint8_t shape;
	pat_shape(at, &b, &e, &fixed, &shape);
	int anchor_start = (shape & VG_ANCH_START) != 0, anchor_end = (shape & VG_ANCH_END) != 0;
	*anch = 0;
	*hlen = (uint32_t)(e - b);
	if (!anchors && fixed) {
		*anch = shape;
		anchor_start = anchor_end = 0;
	}
	if (cap < 4 * at->len + 8)
		return 0;
	if (anchor_start)
		out[o++] = '^';
	for (size_t i = b; i < e; i++) {
		if (at->wild[i] == VG_W_STAR) {
			if (i > b && at->wild[i - 1] == VG_W_STAR)
				continue;
			out[o++] = '.';
			out[o++] = '*';
		} else if (at->wild[i] == VG_W_ONE) {
			out[o++] = '.';
		} else if (is_alnum(at->pat[i])) {
			out[o++] = (char)at->pat[i];
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[at->pat[i] >> 4];
			out[o++] = hex[at->pat[i] & 15];
		}
	}
	if (anchor_end) {
		out[o++] = '\\';
		out[o++] = 'z';
	}
	out[o] = '\0';
	return o;
}

static unsigned re_hs_flags(uint32_t re_flags)
{
	unsigned f = HS_FLAG_SINGLEMATCH;
	if (re_flags & PCRE2_CASELESS)
		f |= HS_FLAG_CASELESS;
	if (re_flags & PCRE2_MULTILINE)
		f |= HS_FLAG_MULTILINE;
	if (re_flags & PCRE2_DOTALL)
		f |= HS_FLAG_DOTALL;
	return f;
}

/* ---- growable vectors ---------------------------------------------------------- */

#define VEC_PUSH(vec, n, cap, val)                                                          \
	do {                                                                                \
		if ((n) == (cap)) {                                                         \
			size_t nc__ = (cap) ? (cap) * 2 : 16;                               \
			void *nv__ = realloc((vec), nc__ * sizeof(*(vec)));                 \
			if (nv__ == NULL) {                                                 \
				r = VG_ENOMEM;                                              \
				goto out;                                                   \
			}                                                                   \
			(vec) = nv__;                                                       \
			(cap) = nc__;                                                       \
		}                                                                           \
		(vec)[(n)++] = (val);                                                       \
	} while (0)

/* ---- lit dedup --------------------------------------------------------------------- */

struct litkey {
	uint32_t hash;
	uint32_t lit;
};

struct dedup {
	struct litkey *t;
	size_t cap, n;
};

static uint32_t atom_hash(const vg_atom *a, const vg_tset *ts, const vg_tset *rts)
{
	uint32_t h = vg_hash((const char *)a->pat, a->pat ? a->len : 0);
	if (a->wild != NULL)
		h ^= vg_hash((const char *)a->wild, a->len) * 31u;
	h ^= (uint32_t)(uintptr_t)ts * 2654435761u ^ (uint32_t)(uintptr_t)rts * 40503u;
	h ^= (uint32_t)a->kind << 24 ^ (uint32_t)a->cased << 20 ^ (uint32_t)a->op << 16 ^ (uint32_t)a->unit << 12 ^
	     a->re_flags;
	return h ? h : 1;
}

static int atom_eq(const vg_lit *l, const vg_atom *a, const vg_tset *ts, const vg_tset *rts)
{
	const vg_atom *b = l->atom;
	if (l->ts != ts || l->ref_ts != rts || a->kind != b->kind || a->cased != b->cased || a->op != b->op ||
	    a->unit != b->unit || a->re_flags != b->re_flags || a->len != b->len || a->num != b->num ||
	    a->family != b->family || a->prefix != b->prefix || memcmp(a->net, b->net, sizeof(a->net)) != 0)
		return 0;
	if (a->len != 0 && (a->pat == NULL) != (b->pat == NULL))
		return 0;
	if (a->len != 0 && a->pat != NULL && memcmp(a->pat, b->pat, a->len) != 0)
		return 0;
	if ((a->wild == NULL) != (b->wild == NULL))
		return 0;
	return a->wild == NULL || a->len == 0 || memcmp(a->wild, b->wild, a->len) == 0;
}

static int dedup_grow(struct dedup *d)
{
	size_t nc = d->cap ? d->cap * 2 : 1024;
	struct litkey *nt = calloc(nc, sizeof(*nt));
	if (nt == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < d->cap; i++) {
		if (d->t[i].hash == 0)
			continue;
		size_t j = d->t[i].hash & (nc - 1);
		while (nt[j].hash != 0)
			j = (j + 1) & (nc - 1);
		nt[j] = d->t[i];
	}
	free(d->t);
	d->t = nt;
	d->cap = nc;
	return 0;
}

/* ---- lit modes and database build ------------------------------------------------ */

struct hsent {
	uint32_t fdb; /* UINT32_MAX: raw */
	uint32_t lit;
};

/* Exact values shorter than this keep ^ and \z in Hyperscan: unanchored,
 * "1" would report every '1' of every value. */
#define VG_SHORT_EXACT 4
/* Non-exact patterns this short are evaluated directly (see choose_mode). */
#define VG_SHORT_LAZY 2

/* Bounded repeats above this count make Hyperscan compile for seconds (it
 * takes ~9 s to give up on "(a.?b){3000}"): such regexes go to PCRE2 only. */
#define VG_HS_MAX_REPEAT 200

static int big_repeat(const vg_atom *a)
{
	for (size_t i = 0; i + 1 < a->len; i++) {
		if (a->pat[i] != '{' || (i > 0 && a->pat[i - 1] == '\\'))
			continue;
		unsigned long v = 0;
		for (size_t k = i + 1; k < a->len && a->pat[k] >= '0' && a->pat[k] <= '9'; k++) {
			v = v * 10 + (unsigned long)(a->pat[k] - '0');
			if (v > VG_HS_MAX_REPEAT)
				return 1;
		}
		/* the upper bound of {m,n} */
		size_t k = i + 1;
		while (k < a->len && a->pat[k] >= '0' && a->pat[k] <= '9')
			k++;
		if (k < a->len && a->pat[k] == ',') {
			v = 0;
			for (k++; k < a->len && a->pat[k] >= '0' && a->pat[k] <= '9'; k++) {
				v = v * 10 + (unsigned long)(a->pat[k] - '0');
				if (v > VG_HS_MAX_REPEAT)
					return 1;
			}
		}
	}
	return 0;
}

static int choose_mode(vg_lit *l)
{
	const vg_atom *a = l->atom;
	if (a->kind == VG_ATOM_STR) {
		if (vg_value_min_len(a) == 0)
			return VG_LIT_LAZY;
		/* A one- or two-byte contains/startswith/endswith is cheaper to test
		 * directly, when its rule is a candidate, than to find: each such
		 * pattern slows every Hyperscan scan of the database. */
		size_t b, e;
		int fixed;
		uint8_t anch;
		pat_shape(a, &b, &e, &fixed, &anch);
		if (fixed && e - b <= VG_SHORT_LAZY && anch != (VG_ANCH_START | VG_ANCH_END))
			return VG_LIT_LAZY;
		return VG_LIT_HS;
	}
	if (a->kind != VG_ATOM_RE || memchr(a->pat, 0, a->len) != NULL || big_repeat(a))
		return VG_LIT_LAZY;
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *err = NULL;
	unsigned f = re_hs_flags(a->re_flags);
	if (hs_expression_info((const char *)a->pat, f, &info, &err) == HS_SUCCESS) {
		free(info);
		return VG_LIT_HS;
	}
	hs_free_compile_error(err);
	err = NULL;
	if (hs_expression_info((const char *)a->pat, f | HS_FLAG_PREFILTER, &info, &err) == HS_SUCCESS) {
		free(info);
		return VG_LIT_PRE;
	}
	hs_free_compile_error(err);
	return VG_LIT_LAZY;
}

/* Every one of the n ids a is among the m ids b. */
static int ids_among(const uint32_t *a, size_t n, const unsigned *b, size_t m)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < m && b[j] != a[i])
			j++;
		if (j == m)
			return 0;
	}
	return n <= m;
}

/* ---- field gates ------------------------------------------------------------------ */

/* The gate of a field database: its lits, in a form that holds wherever
 * the lit holds in a value lying inside a raw record, compiled into the
 * partition's block database (ids VG_GATE_ID(nlits, field index)). When the
 * block scan reports none of them in a record, no value of that field lying
 * inside the record can hold one of its lits: its Hyperscan scan is skipped
 * (matcher.c). A lit's gate is its pattern without what ties it to the
 * value's ends or surroundings (^, \z; a regex's ^ $ \b \B \A \z \Z \G),
 * matching a superset of the places it matches; a regex's, narrowed further
 * to its most telling part (gate_narrow). */
struct gates {
	uint32_t *lits, *ids;
	size_t n;
};

/* Regex p (n bytes) without its assertions into out (n + 1 bytes), or 0
 * when it has a construct this does not know to be free of context (a
 * lookaround, a back reference, extended syntax, \Q...\E, a verb). */
static size_t gate_re(const char *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\') {
			if (i + 1 >= n)
				return 0;
			char d = p[++i];
			if (d != '\0' && strchr("bBAzZG", d) != NULL)
				continue;
			if ((d != '\0' && strchr("QEkgKRXc", d) != NULL) || (d >= '1' && d <= '9'))
				return 0;
			out[o++] = c;
			out[o++] = d;
			if (d != '\0' && strchr("xopPNu", d) != NULL && i + 1 < n && p[i + 1] == '{') {
				while (i + 1 < n && p[i + 1] != '}')
					out[o++] = p[++i];
				if (i + 1 >= n)
					return 0;
				out[o++] = p[++i];
			}
		} else if (c == '^' || c == '$') {
			continue;
		} else if (c == '[') { /* a class: copied as it is */
			out[o++] = p[i++];
			if (i < n && p[i] == '^')
				out[o++] = p[i++];
			if (i < n && p[i] == ']')
				out[o++] = p[i++];
			for (; i < n && p[i] != ']'; i++) {
				if (p[i] == '\\' || (p[i] == '[' && i + 1 < n && strchr(":.=", p[i + 1]) != NULL))
					return 0; /* keep it simple: such classes are rare */
				out[o++] = p[i];
			}
			if (i >= n)
				return 0;
			out[o++] = ']';
		} else if (c == '(' && i + 1 < n && (p[i + 1] == '?' || p[i + 1] == '*')) {
			/* only (?: and option settings such as (?i) or (?i: */
			size_t k = i + 2;
			if (p[i + 1] == '*')
				return 0;
			while (k < n && p[k] != '\0' && strchr("imsn-", p[k]) != NULL)
				k++;
			if (k >= n || (p[k] != ':' && p[k] != ')'))
				return 0;
			memcpy(out + o, p + i, k + 1 - i);
			o += k + 1 - i;
			i = k;
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return o;
}

/* The end of the regex element (atom, no quantifier) at p[i] of p (n bytes,
 * free of what gate_re refuses), or 0 when it is not one this knows: a
 * quantifier or '|' or ')' there, an unbalanced group. */
static size_t re_elem_end(const char *p, size_t n, size_t i)
{
	char c = p[i];
	if (c == '\\') {
		if (i + 1 >= n)
			return 0;
		char d = p[i + 1];
		size_t k = i + 2, max = 0;
		if (d != '\0' && strchr("xopPNu", d) != NULL && k < n && p[k] == '{') {
			while (k < n && p[k] != '}')
				k++;
			return k < n ? k + 1 : 0;
		}
		if (d == 'p' || d == 'P')
			return k < n ? k + 1 : 0; /* \pL */
		if (d == 'x' || d == '0')
			max = 2;
		for (; max > 0 && k < n && (d == 'x' ? isxdigit((unsigned char)p[k]) : p[k] >= '0' && p[k] <= '7'); max--)
			k++;
		return k;
	}
	if (c == '[') { /* as gate_re copied it: no escapes inside */
		size_t k = i + 1;
		if (k < n && p[k] == '^')
			k++;
		if (k < n && p[k] == ']')
			k++;
		while (k < n && p[k] != ']')
			k++;
		return k < n ? k + 1 : 0;
	}
	if (c == '(') {
		size_t depth = 0, k = i;
		while (k < n) {
			if (p[k] == '\\' || p[k] == '[') {
				size_t e = re_elem_end(p, n, k);
				if (e == 0)
					return 0;
				k = e;
				continue;
			}
			if (p[k] == '(')
				depth++;
			else if (p[k] == ')' && --depth == 0)
				return k + 1;
			k++;
		}
		return 0;
	}
	if (c == '*' || c == '+' || c == '?' || c == '{' || c == '|' || c == ')')
		return 0;
	size_t k = i + 1; /* a UTF-8 character is one element: its bytes whole */
	while ((unsigned char)c >= 0xc0 && k < n && ((unsigned char)p[k] & 0xc0) == 0x80)
		k++;
	return k;
}

/* The quantifier at p[i]: its end (i: none) and its least count (*min;
 * 1 when none); SIZE_MAX when it is not one this knows. */
static size_t re_quant(const char *p, size_t n, size_t i, unsigned long *min)
{
	size_t k = i;
	*min = 1;
	if (i >= n)
		return i;
	if (p[i] == '*' || p[i] == '?') {
		*min = 0;
		k = i + 1;
	} else if (p[i] == '+') {
		k = i + 1;
	} else if (p[i] == '{') {
		char *e;
		if (i + 1 >= n || p[i + 1] < '0' || p[i + 1] > '9')
			return SIZE_MAX;
		*min = strtoul(p + i + 1, &e, 10);
		k = (size_t)(e - p);
		if (k < n && p[k] == ',')
			for (k++; k < n && p[k] >= '0' && p[k] <= '9'; k++)
				;
		if (k >= n || p[k] != '}')
			return SIZE_MAX;
		k++;
	} else {
		return i;
	}
	if (k < n && (p[k] == '?' || p[k] == '+')) /* lazy, possessive */
		k++;
	return k;
}

/* The end of an option setting ("(?i)") at p[i], or 0. */
static size_t re_opts_end(const char *p, size_t n, size_t i)
{
	size_t k = i + 2;
	if (k >= n || p[i] != '(' || p[i + 1] != '?')
		return 0;
	while (k < n && p[k] != '\0' && strchr("imsn-", p[k]) != NULL)
		k++;
	return k < n && p[k] == ')' ? k + 1 : 0;
}

/* Narrow a regex gate (buf, n bytes, from gate_re) to the part of it that
 * needs the longest match: the regex is a sequence of elements, and a match
 * of the whole holds a match of any run of them that none may skip (x+ and
 * x{2,5} taken as x and x{2}), so such a run is a gate as well. A pattern
 * that only says little of its bytes (SQL injection: a quote, "or", any
 * word, "=") costs the block scan of every record much more than its most
 * telling part does; the gate opens a little more often. Leading option
 * settings ((?i)) are kept; a top-level '|' or a construct not known here
 * leaves buf as it is. Returns the new length. */
static size_t gate_narrow(char *buf, size_t n, unsigned flags)
{
	size_t pre = 0, i, best_s = 0, best_n = 0, run_s = 0;
	unsigned best_w = 0;
	char *out = malloc(2 * n + 2), *cand = malloc(2 * n + 2);
	size_t on = 0; /* the elements, quantifiers reduced, into out; runs apart */
	if (out == NULL || cand == NULL)
		goto keep;
	for (size_t k; (k = re_opts_end(buf, n, pre)) != 0;)
		pre = k;
	for (i = pre; i <= n; ) {
		size_t e = i < n ? re_elem_end(buf, n, i) : 0, q = e;
		unsigned long min = 0;
		if (i < n && (e == 0 || re_opts_end(buf, n, i) != 0))
			goto keep; /* ... or an option setting ((?i)) past the start */
		if (i < n && (q = re_quant(buf, n, e, &min)) == SIZE_MAX)
			goto keep;
		if (i < n && min > 0) {
			memcpy(out + on, buf + i, e - i);
			on += e - i;
			if (e < n && buf[e] == '{')
				on += (size_t)sprintf(out + on, "{%lu}", min);
		}
		if (i >= n || min == 0) { /* a run ends: out[run_s, on) */
			if (on > run_s) {
				hs_expr_info_t *info = NULL;
				hs_compile_error_t *err = NULL;
				memcpy(cand, buf, pre);
				memcpy(cand + pre, out + run_s, on - run_s);
				cand[pre + on - run_s] = '\0';
				if (hs_expression_info(cand, flags, &info, &err) == HS_SUCCESS) {
					if (info->min_width > best_w) {
						best_w = info->min_width;
						best_s = run_s;
						best_n = on - run_s;
					}
					free(info);
				} else if (err != NULL) {
					hs_free_compile_error(err);
				}
			}
			run_s = on;
		}
		if (i >= n)
			break;
		i = q;
	}
	if (best_w == 0 || pre + best_n > n)
		goto keep;
	memcpy(buf + pre, out + best_s, best_n);
	n = pre + best_n;
	buf[n] = '\0';
keep:
	free(out);
	free(cand);
	return n;
}

/* l's gate expression (*buf, malloc'd; NULL on ENOMEM) and its flags: 0, or
 * -1 when it has none that Hyperscan takes and that needs a byte. */
static int gate_expr(const vg_lit *l, char **buf, unsigned *flags)
{
	const vg_atom *a = l->atom;
	size_t n;
	*buf = NULL;
	if (a->kind == VG_ATOM_STR && l->mode == VG_LIT_HS) {
		size_t cap = 4 * a->len + 8, s = 0;
		uint8_t anch;
		uint32_t hlen;
		if ((*buf = malloc(cap)) == NULL)
			return -1;
		/* other bytes are written as \xHH: ^ and \z here are anchors */
		n = vg_compile_hs_expr(a, 0, *buf, cap, &anch, &hlen);
		if (n > 0 && (*buf)[0] == '^')
			s = 1;
		if (n >= s + 2 && (*buf)[n - 2] == '\\' && (*buf)[n - 1] == 'z')
			n -= 2;
		memmove(*buf, *buf + s, n - s);
		(*buf)[n - s] = '\0';
		*flags = HS_FLAG_DOTALL | (a->cased ? 0 : HS_FLAG_CASELESS);
		return 0; /* the lit's own expression less its anchors: it has a byte */
	} else if (a->kind == VG_ATOM_RE && l->mode != VG_LIT_LAZY) {
		if ((*buf = malloc(a->len + 1)) == NULL)
			return -1;
		n = gate_re((const char *)a->pat, a->len, *buf);
		*flags = (re_hs_flags(a->re_flags) & ~(unsigned)HS_FLAG_SINGLEMATCH) |
			 (l->mode == VG_LIT_PRE ? HS_FLAG_PREFILTER : 0);
		if (n != 0)
			n = gate_narrow(*buf, n, *flags);
	} else {
		return -1;
	}
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *err = NULL;
	if (n == 0 || hs_expression_info(*buf, *flags, &info, &err) != HS_SUCCESS) {
		if (err != NULL)
			hs_free_compile_error(err);
		free(*buf);
		*buf = malloc(1); /* not NULL: no ENOMEM */
		return -1;
	}
	int ok = info->min_width > 0;
	free(info);
	return ok ? 0 : -1;
}

/* The longest run of plain bytes in an STR pattern. */
static size_t lit_run(const vg_atom *a)
{
	size_t best = 0, run = 0;
	for (size_t i = 0; i < a->len; i++) {
		run = a->wild[i] == VG_W_LIT ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* d takes a gate: every lit has one, no pattern's plain bytes are shorter
 * than VG_GATE_MINLEN, and at most a quarter of its patterns are anchored. A
 * short pattern ("GET", "200") occurs in most records, so its gate seldom
 * closes, and it slows the block scan of every record. Anchored ones (exact
 * values, ".php" at the end) match anywhere in the record as gates; their
 * fields hold values that recur (methods, status codes, program names: the
 * value cache takes them) or that the parser made up (event.action: never
 * inside the record, so never skipped). */
#define VG_GATE_MINLEN 4

static int gate_ok(const vg_engine *e, const vg_fdb *d)
{
	size_t anch = 0;
	if (d->nlits == 0)
		return 0;
	for (size_t i = 0; i < d->nlits; i++) {
		const vg_lit *l = &e->lits[d->lits[i]];
		char *buf;
		unsigned fl;
		if (l->atom->kind == VG_ATOM_STR && lit_run(l->atom) < VG_GATE_MINLEN)
			return 0;
		if (l->atom->kind == VG_ATOM_STR) {
			size_t b, end;
			int fixed;
			uint8_t shape;
			pat_shape(l->atom, &b, &end, &fixed, &shape);
			anch += shape != 0;
			if (anch * 4 > d->nlits)
				return 0;
		}
		int r = gate_expr(l, &buf, &fl);
		free(buf);
		if (r != 0)
			return 0;
	}
	return 1;
}

/* The gates of p's field databases (the first VG_GATE_MAX), into g and
 * p->rawblk.gates. */
static int gates_of(const vg_engine *e, vg_part *p, struct gates *g)
{
	size_t cnt = 0;
	uint64_t mask = 0;
	g->lits = g->ids = NULL;
	g->n = 0;
	for (size_t f = 0; f < p->nfdbs && f < VG_GATE_MAX; f++)
		if (gate_ok(e, &p->fdbs[f])) {
			mask |= (uint64_t)1 << f;
			cnt += p->fdbs[f].nlits;
		}
	if (cnt != 0 && ((g->lits = malloc(cnt * sizeof(*g->lits))) == NULL ||
			 (g->ids = malloc(cnt * sizeof(*g->ids))) == NULL)) {
		free(g->lits);
		g->lits = NULL;
		return VG_ENOMEM;
	}
	for (size_t f = 0; f < p->nfdbs && f < VG_GATE_MAX; f++)
		for (size_t i = 0; (mask >> f & 1) && i < p->fdbs[f].nlits; i++) {
			g->lits[g->n] = p->fdbs[f].lits[i];
			g->ids[g->n++] = VG_GATE_ID(e->nlits, f);
		}
	p->rawblk.gates = mask;
	return 0;
}

/* Compile one database from the lits listed (block: to report every match).
 * A pattern Hyperscan refuses is left out and listed in *direct, to be
 * tested value by value. Writes nothing shared but the statistics (added
 * atomically): several threads may build different databases at once. */
static int build_db(vg_engine *e, const uint32_t *lits, size_t n, int block, const struct gates *g,
		    hs_database_t **out, uint32_t **direct, size_t *ndirect)
{
	*out = NULL;
	*direct = NULL;
	*ndirect = 0;
	size_t ng = g != NULL ? g->n : 0, nt = n + ng;
	const char **exprs = calloc(nt ? nt : 1, sizeof(*exprs));
	unsigned *flags = calloc(nt ? nt : 1, sizeof(*flags));
	unsigned *ids = calloc(nt ? nt : 1, sizeof(*ids));
	char **bufs = calloc(nt ? nt : 1, sizeof(*bufs));
	uint32_t *dl = calloc(nt ? nt : 1, sizeof(*dl));
	int r = 0;
	size_t m = 0, nd = 0;
	if (exprs == NULL || flags == NULL || ids == NULL || bufs == NULL || dl == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ng; i++) {
		if (gate_expr(&e->lits[g->lits[i]], &bufs[m], &flags[m]) != 0) {
			r = bufs[m] == NULL ? VG_ENOMEM : VG_EINVAL; /* gates_of tested every one */
			goto out;
		}
		exprs[m] = bufs[m];
		ids[m++] = g->ids[i];
	}
	for (size_t i = 0; i < n; i++) {
		const vg_lit *l = &e->lits[lits[i]];
		const vg_atom *a = l->atom;
		if (a->kind == VG_ATOM_STR) {
			size_t cap = 4 * a->len + 8;
			uint8_t anch;
			uint32_t hlen;
			if ((bufs[m] = malloc(cap)) == NULL) {
				r = VG_ENOMEM;
				goto out;
			}
			vg_compile_hs_expr(a, l->anch == 0, bufs[m], cap, &anch, &hlen);
			exprs[m] = bufs[m];
			/* An anchored pattern needs every match: the first may sit
			 * elsewhere; so does a block scan: each record's. */
			flags[m] = HS_FLAG_DOTALL | (l->anch || block ? 0 : HS_FLAG_SINGLEMATCH) |
				   (a->cased ? 0 : HS_FLAG_CASELESS);
		} else {
			exprs[m] = (const char *)a->pat;
			flags[m] = re_hs_flags(a->re_flags) | (l->mode == VG_LIT_PRE ? HS_FLAG_PREFILTER : 0);
		}
		ids[m++] = lits[i];
	}
	/* The same patterns compiled by an earlier run: from the disk cache. */
	vg_hsdb_key key;
	int keyed = m > 0 && vg_hsdb_key_of(exprs, flags, ids, m, HS_MODE_BLOCK, &key) == 0;
	uint32_t *cached_direct = NULL;
	if (keyed && (*out = vg_hsdb_cache_get(&key, &cached_direct, &nd)) != NULL &&
	    !ids_among(cached_direct, nd, ids, m)) {
		hs_free_database(*out); /* cannot be ours: compile */
		*out = NULL;
		free(cached_direct);
		nd = 0;
	}
	if (*out != NULL) {
		free(dl);
		dl = cached_direct;
		__atomic_fetch_add(&e->hs_cached, 1, __ATOMIC_RELAXED);
		m = 0;
	}
	while (m > 0) {
		hs_compile_error_t *err = NULL;
		hs_database_t *db = NULL;
		if (hs_compile_multi(exprs, flags, ids, (unsigned)m, HS_MODE_BLOCK, NULL, &db, &err) == HS_SUCCESS) {
			*out = db;
			__atomic_fetch_add(&e->hs_built, 1, __ATOMIC_RELAXED);
			if (keyed)
				vg_hsdb_cache_put(&key, db, dl, nd);
			break;
		}
		int bad = err != NULL ? err->expression : -1;
		hs_free_compile_error(err);
		if (bad < 0 || (size_t)bad >= m) {
			/* Not attributable to one pattern: test them all directly. */
			for (size_t i = 0; i < m; i++)
				dl[nd++] = ids[i];
			break;
		}
		dl[nd++] = ids[bad];
		exprs[bad] = exprs[m - 1];
		flags[bad] = flags[m - 1];
		ids[bad] = ids[m - 1];
		m--;
	}
	if (*out != NULL) {
		size_t sz = 0;
		if (hs_database_size(*out, &sz) == HS_SUCCESS)
			__atomic_fetch_add(&e->hs_bytes, sz, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&e->hs_fallback, nd, __ATOMIC_RELAXED);
	if (nd != 0) {
		*direct = dl;
		*ndirect = nd;
		dl = NULL;
	}
out:
	if (bufs != NULL)
		for (size_t i = 0; i < nt; i++)
			free(bufs[i]);
	free(bufs);
	free(exprs);
	free(flags);
	free(ids);
	free(dl);
	return r;
}

static int fdb_slot_build(vg_part *p)
{
	size_t cap = 8;
	while (cap < p->nfdbs * 2)
		cap *= 2;
	if ((p->slots = calloc(cap, sizeof(*p->slots))) == NULL)
		return VG_ENOMEM;
	p->nslots = cap;
	for (size_t i = 0; i < p->nfdbs; i++) {
		uint32_t h8 = p->fdbs[i].hash >> 24;
		p->filter[h8 / 64] |= (uint64_t)1 << (h8 % 64);
		size_t j = p->fdbs[i].hash & (cap - 1);
		while (p->slots[j] != 0)
			j = (j + 1) & (cap - 1);
		p->slots[j] = (uint32_t)i + 1;
	}
	return 0;
}

/* ---- three-valued reachability: can the rule hold with no Hyperscan hit? ------- */

enum { TV_F = 0, TV_T = 1, TV_U = 2 };

static int tv_item(const vg_engine *e, const vg_item *it)
{
	int res = it->all ? TV_T : TV_F;
	uint32_t a0 = 0;
	if (it->nvals == 0)
		res = TV_F;
	for (uint32_t v = 0; v < it->nvals; v++) {
		int vr = TV_F;
		for (uint32_t a = a0; a < it->val_end[v]; a++) {
			const vg_lit *l = &e->lits[it->atoms[a].lit];
			if (l->mode == VG_LIT_LAZY)
				vr = TV_U;
		}
		a0 = it->val_end[v];
		if (it->all) {
			if (vr == TV_F)
				res = TV_F;
			else if (vr == TV_U && res == TV_T)
				res = TV_U;
		} else if (vr == TV_U) {
			res = TV_U;
		}
	}
	if (it->neg)
		res = res == TV_U ? TV_U : res == TV_T ? TV_F : TV_T;
	return res;
}

static int tv_expr(const vg_engine *e, const vg_expr *x)
{
	int cnt_t = 0, cnt_u = 0;
	switch (x->op) {
	case VG_X_ITEM: return tv_item(e, x->item);
	case VG_X_FALSE: return TV_F;
	case VG_X_NOT: {
		int v = tv_expr(e, x->kids[0]);
		return v == TV_U ? TV_U : v == TV_T ? TV_F : TV_T;
	}
	default: break;
	}
	for (uint32_t i = 0; i < x->n; i++) {
		int v = tv_expr(e, x->kids[i]);
		cnt_t += v == TV_T;
		cnt_u += v == TV_U;
	}
	uint32_t need = x->op == VG_X_AND ? x->n : x->op == VG_X_OR ? 1 : x->k;
	if ((uint32_t)cnt_t >= need)
		return TV_T;
	if ((uint32_t)(cnt_t + cnt_u) < need)
		return TV_F;
	return TV_U;
}

/* Which items have lazy atoms, and which rules of the group need evaluating
 * for every event (computed again when a build turns lits lazy). */
static void group_lazy_info(vg_engine *e, vg_group *g)
{
	size_t n = 0;
	for (size_t ri = 0; ri < g->nrules; ri++) {
		vg_srule *rule = e->rules[g->rules[ri]];
		for (size_t ii = 0; ii < rule->nitems; ii++) {
			vg_item *it = rule->items[ii];
			it->has_lazy = 0;
			for (uint32_t ai = 0; ai < it->natoms; ai++)
				it->has_lazy |= e->lits[it->atoms[ai].lit].mode == VG_LIT_LAZY;
		}
		if (tv_expr(e, rule->root) != TV_F)
			g->always[n++] = g->rules[ri];
	}
	g->nalways = n;
}

/* ---- groups, partitions, buckets ------------------------------------------------------- */

static int group_applies(const vg_group *g, size_t p, size_t s, size_t c)
{
	if (g->product != 0 && g->product != p)
		return 0;
	if (g->service != 0 && g->service != s)
		return 0;
	if (g->category == 0 || g->category == c)
		return 1;
	return g->category == VG_CATEGORY_REGISTRY_EVENT &&
	       (c == VG_CATEGORY_REGISTRY_ADD || c == VG_CATEGORY_REGISTRY_DELETE || c == VG_CATEGORY_REGISTRY_SET ||
		c == VG_CATEGORY_REGISTRY_RENAME);
}

static int build_buckets(vg_engine *e)
{
	size_t total = VG_NPROD * VG_NSERV * VG_NCAT;
	uint32_t *tmp = malloc((e->ngroups ? e->ngroups : 1) * sizeof(*tmp));
	uint32_t *ptmp = malloc((e->nparts ? e->nparts : 1) * sizeof(*ptmp));
	int r = 0;
	size_t capb = 0;
	e->ngroup_words = (e->ngroups + 63) / 64 + 1;
	if ((e->bucket_of = calloc(total, sizeof(*e->bucket_of))) == NULL || tmp == NULL || ptmp == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	for (size_t p = 0; p < VG_NPROD; p++)
		for (size_t s = 0; s < VG_NSERV; s++)
			for (size_t c = 0; c < VG_NCAT; c++) {
				size_t n = 0;
				for (size_t g = 0; g < e->ngroups; g++)
					if (group_applies(&e->groups[g], p, s, c))
						tmp[n++] = (uint32_t)g;
				if (n == 0)
					continue;
				size_t b = 0;
				for (; b < e->nbuckets; b++)
					if (e->buckets[b].n == n && memcmp(e->buckets[b].groups, tmp, n * sizeof(*tmp)) == 0)
						break;
				if (b == e->nbuckets) {
					if (e->nbuckets >= UINT16_MAX - 1) {
						r = VG_EINVAL;
						goto out;
					}
					size_t np = 0;
					for (size_t i = 0; i < n; i++) {
						uint32_t part = e->groups[tmp[i]].part;
						size_t k = 0;
						while (k < np && ptmp[k] != part)
							k++;
						if (k == np)
							ptmp[np++] = part;
					}
					vg_bucket nb = {.n = n,
							.nparts = np,
							.groups = vg_arena_alloc(e->arena, n * sizeof(*tmp)),
							.parts = vg_arena_alloc(e->arena, np * sizeof(*ptmp)),
							.gmask = vg_arena_alloc(e->arena, e->ngroup_words * sizeof(uint64_t))};
					if (nb.groups == NULL || nb.parts == NULL || nb.gmask == NULL) {
						r = VG_ENOMEM;
						goto out;
					}
					memcpy(nb.groups, tmp, n * sizeof(*tmp));
					memcpy(nb.parts, ptmp, np * sizeof(*ptmp));
					memset(nb.gmask, 0, e->ngroup_words * sizeof(uint64_t));
					for (size_t i = 0; i < n; i++)
						nb.gmask[tmp[i] / 64] |= (uint64_t)1 << (tmp[i] % 64);
					VEC_PUSH(e->buckets, e->nbuckets, capb, nb);
				}
				e->bucket_of[(p * VG_NSERV + s) * VG_NCAT + c] = (uint16_t)(b + 1);
			}
out:
	free(tmp);
	free(ptmp);
	return r;
}

static int build_parts(vg_engine *e)
{
	int r = 0;
	size_t capp = 0;
	for (size_t gi = 0; gi < e->ngroups; gi++) {
		vg_group *g = &e->groups[gi];
		size_t pi = 0;
		for (; pi < e->nparts; pi++)
			if (e->parts[pi].product == g->product && e->parts[pi].category == g->category)
				break;
		if (pi == e->nparts) {
			vg_part np = {.product = g->product, .category = g->category};
			VEC_PUSH(e->parts, e->nparts, capp, np);
		}
		g->part = (uint32_t)pi;
		e->parts[pi].ngroups++;
	}
	for (size_t pi = 0; pi < e->nparts; pi++) {
		vg_part *p = &e->parts[pi];
		if ((p->groups = vg_arena_alloc(e->arena, p->ngroups * sizeof(*p->groups))) == NULL)
			return VG_ENOMEM;
		p->ngroups = 0;
	}
	for (size_t gi = 0; gi < e->ngroups; gi++) {
		vg_part *p = &e->parts[e->groups[gi].part];
		p->groups[p->ngroups++] = (uint32_t)gi;
	}
out:
	return r;
}

static int cmp_rule_ls(const void *a, const void *b, void *arg)
{
	vg_srule *const *rules = arg;
	const vg_srule *x = rules[*(const uint32_t *)a], *y = rules[*(const uint32_t *)b];
	uint32_t kx = (uint32_t)x->product << 16 | (uint32_t)x->service << 8 | x->category;
	uint32_t ky = (uint32_t)y->product << 16 | (uint32_t)y->service << 8 | y->category;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int compile_re(vg_engine *e, vg_lit *l)
{
	int ec;
	PCRE2_SIZE eo;
	size_t capc = e->ncodes;
	l->re = pcre2_compile(l->atom->pat, l->atom->len, l->atom->re_flags, &ec, &eo, NULL);
	if (l->re == NULL)
		return VG_EINVAL; /* validated at load: cannot happen */
	(void)pcre2_jit_compile(l->re, PCRE2_JIT_COMPLETE);
	pcre2_code **nc = realloc(e->codes, (capc + 1) * sizeof(*nc));
	if (nc == NULL) {
		pcre2_code_free(l->re);
		l->re = NULL;
		return VG_ENOMEM;
	}
	e->codes = nc;
	e->codes[e->ncodes++] = l->re;
	return 0;
}

/* Anchors a fixed-length pattern leaves to the matcher (see VG_ANCH_*). */
static void lit_shape(vg_lit *l)
{
	size_t b, e;
	int fixed;
	uint8_t anch;
	pat_shape(l->atom, &b, &e, &fixed, &anch);
	l->hlen = (uint32_t)(e - b);
	l->fixed = (uint8_t)fixed;
	l->anch = fixed ? anch : 0;
	if (l->anch == (VG_ANCH_START | VG_ANCH_END) && l->hlen < VG_SHORT_EXACT)
		l->anch = 0; /* short exact values keep ^ and \z in the expression */
}

/* The group's distinct atoms become lits; each atom learns its lit. */
static int build_group(vg_engine *e, uint32_t gi, size_t *caplits, struct dedup *dd)
{
	vg_group *g = &e->groups[gi];
	int r = 0;
	g->lit0 = (uint32_t)e->nlits;
	dd->n = 0;
	if (dd->cap)
		memset(dd->t, 0, dd->cap * sizeof(*dd->t));
	for (size_t ri = 0; ri < g->nrules; ri++) {
		vg_srule *rule = e->rules[g->rules[ri]];
		for (size_t ii = 0; ii < rule->nitems; ii++) {
			vg_item *it = rule->items[ii];
			const vg_tset *ts = vg_compile_tset(e, g->product, g->service, g->category, it->field);
			if (ts == NULL)
				return VG_ENOMEM;
			for (uint32_t ai = 0; ai < it->natoms; ai++) {
				vg_atom *a = &it->atoms[ai];
				const vg_tset *rts = NULL;
				if (a->kind == VG_ATOM_FIELDREF &&
				    (rts = vg_compile_tset(e, g->product, g->service, g->category, (const char *)a->pat)) == NULL)
					return VG_ENOMEM;
				if ((dd->n + 1) * 2 > dd->cap && (r = dedup_grow(dd)) != 0)
					return r;
				uint32_t h = atom_hash(a, ts, rts);
				size_t j = h & (dd->cap - 1);
				for (; dd->t[j].hash != 0; j = (j + 1) & (dd->cap - 1))
					if (dd->t[j].hash == h && atom_eq(&e->lits[dd->t[j].lit], a, ts, rts))
						break;
				if (dd->t[j].hash != 0) {
					a->lit = dd->t[j].lit;
					continue;
				}
				vg_lit nl = {.atom = a, .ts = ts, .ref_ts = rts, .group = gi};
				nl.mode = (uint8_t)choose_mode(&nl);
				if (nl.mode != VG_LIT_LAZY && a->kind == VG_ATOM_STR)
					lit_shape(&nl);
				/* Every regex gets its code now: a database may refuse it later. */
				if (a->kind == VG_ATOM_RE && (r = compile_re(e, &nl)) != 0)
					return r;
				a->lit = (uint32_t)e->nlits;
				dd->t[j].hash = h;
				dd->t[j].lit = a->lit;
				dd->n++;
				VEC_PUSH(e->lits, e->nlits, *caplits, nl);
			}
		}
	}
	g->lit1 = (uint32_t)e->nlits;
out:
	return r;
}

/* Items per hit lit (CSR), each item's rule, and the lazy/always data. */
static int build_index(vg_engine *e)
{
	int r = 0;
	uint32_t *cnt = calloc(e->nlits + 1, sizeof(*cnt));
	uint32_t *last = malloc((e->nlits ? e->nlits : 1) * sizeof(*last));
	size_t total = 0, nitems = 0;
	if (cnt == NULL || last == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	for (size_t gi = 0; gi < e->ngroups; gi++)
		for (size_t ri = 0; ri < e->groups[gi].nrules; ri++)
			nitems += e->rules[e->groups[gi].rules[ri]]->nitems;
	if ((e->item_rule = malloc((nitems ? nitems : 1) * sizeof(*e->item_rule))) == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	e->nitems = nitems;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t gid = 0;
		memset(last, 0xff, (e->nlits ? e->nlits : 1) * sizeof(*last));
		for (size_t gi = 0; gi < e->ngroups; gi++) {
			vg_group *g = &e->groups[gi];
			for (size_t ri = 0; ri < g->nrules; ri++) {
				uint32_t rid = g->rules[ri];
				vg_srule *rule = e->rules[rid];
				for (size_t ii = 0; ii < rule->nitems; ii++, gid++) {
					vg_item *it = rule->items[ii];
					it->gid = gid;
					e->item_rule[gid] = rid;
					/* every lit may turn lazy later: index them all */
					for (uint32_t ai = 0; ai < it->natoms; ai++) {
						uint32_t lit = it->atoms[ai].lit;
						vg_lit *l = &e->lits[lit];
						if (last[lit] == gid)
							continue;
						last[lit] = gid;
						if (pass == 0)
							cnt[lit]++;
						else
							e->lit_items[l->items_off + l->nitems++] = gid;
					}
				}
			}
		}
		if (pass == 0) {
			for (size_t i = 0; i < e->nlits; i++) {
				e->lits[i].items_off = (uint32_t)total;
				e->lits[i].nitems = 0;
				total += cnt[i];
			}
			if ((e->lit_items = malloc((total ? total : 1) * sizeof(*e->lit_items))) == NULL) {
				r = VG_ENOMEM;
				goto out;
			}
		}
	}
	for (size_t gi = 0; gi < e->ngroups; gi++) {
		vg_group *g = &e->groups[gi];
		if ((g->always = vg_arena_alloc(e->arena, (g->nrules ? g->nrules : 1) * sizeof(*g->always))) == NULL) {
			r = VG_ENOMEM;
			goto out;
		}
		group_lazy_info(e, g);
	}
out:
	free(cnt);
	free(last);
	return r;
}

/* A block scan runs over many records at once: a match it reports may start
 * in the record before. A lit of fixed length tells from its end where it
 * started (and checks its anchors there, as always); a lit with an inner '*'
 * has no fixed start, and the matcher scans a record on its own when such a
 * lit may hold (see matcher.c). Neither works for a regex or for a pattern
 * whose expression keeps ^ or \z (those would hold at the block's ends
 * only): d's lits are all of the first two kinds. */
static int block_safe(const vg_engine *e, const vg_fdb *d)
{
	for (size_t i = 0; i < d->nlits; i++) {
		const vg_lit *l = &e->lits[d->lits[i]];
		size_t b, end;
		int fixed;
		uint8_t shape;
		if (l->atom->kind != VG_ATOM_STR || l->mode != VG_LIT_HS)
			return 0;
		pat_shape(l->atom, &b, &end, &fixed, &shape);
		if (l->fixed ? l->anch != shape : shape != 0)
			return 0;
	}
	return 1;
}

/* The event fields of one partition and the lits each is scanned for (its
 * databases are compiled later, on first use). */
static int build_part(vg_engine *e, vg_part *p)
{
	struct hsent {
		uint32_t fdb; /* UINT32_MAX: raw */
		uint32_t lit;
	} *ents = NULL;
	size_t nents = 0, capents = 0, nf = 0, capf = 0;
	const char **fnames = NULL;
	int r = 0;
	for (size_t k = 0; k < p->ngroups; k++) {
		const vg_group *g = &e->groups[p->groups[k]];
		for (uint32_t li = g->lit0; li < g->lit1; li++) {
			const vg_lit *l = &e->lits[li];
			if (l->mode == VG_LIT_LAZY)
				continue;
			if (l->ts->raw) {
				struct hsent he = {UINT32_MAX, li};
				VEC_PUSH(ents, nents, capents, he);
				continue;
			}
			for (size_t t = 0; t < l->ts->n; t++) {
				size_t f = 0;
				for (; f < nf; f++)
					if (strcmp(fnames[f], l->ts->names[t]) == 0)
						break;
				if (f == nf)
					VEC_PUSH(fnames, nf, capf, l->ts->names[t]);
				struct hsent he = {(uint32_t)f, li};
				VEC_PUSH(ents, nents, capents, he);
			}
		}
	}
	if (nf != 0 && (p->fdbs = calloc(nf, sizeof(*p->fdbs))) == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	p->nfdbs = nf;
	for (size_t f = 0; f <= nf; f++) {
		vg_fdb *d = f == nf ? &p->raw : &p->fdbs[f];
		uint32_t want = f == nf ? UINT32_MAX : (uint32_t)f;
		size_t cnt = 0;
		for (size_t i = 0; i < nents; i++)
			cnt += ents[i].fdb == want;
		d->id = (uint32_t)e->nfdb_ids++;
		d->part = (uint32_t)(p - e->parts);
		if (f < nf) {
			size_t len = strlen(fnames[f]);
			d->name = fnames[f];
			d->len = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
			d->hash = vg_field_hash(fnames[f], len);
			d->gbit = f < VG_GATE_MAX ? (uint64_t)1 << f : 0;
		}
		if (cnt == 0)
			continue;
		if ((d->lits = malloc(cnt * sizeof(*d->lits))) == NULL) {
			r = VG_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nents; i++)
			if (ents[i].fdb == want)
				d->lits[d->nlits++] = ents[i].lit;
	}
	p->rawblk.id = (uint32_t)e->nfdb_ids++;
	p->rawblk.part = p->raw.part;
	p->rawblk.block = 1;
	if (p->raw.nlits != 0 && block_safe(e, &p->raw)) {
		if ((p->rawblk.lits = malloc(p->raw.nlits * sizeof(*p->rawblk.lits))) == NULL) {
			r = VG_ENOMEM;
			goto out;
		}
		memcpy(p->rawblk.lits, p->raw.lits, p->raw.nlits * sizeof(*p->rawblk.lits));
		p->rawblk.nlits = p->raw.nlits;
	}
	r = fdb_slot_build(p);
out:
	free(ents);
	free(fnames);
	return r;
}

/* Builds d, which this thread has claimed, and publishes it; on failure
 * the claim is dropped (whoever needs d next tries again and sees the error). */
static int build_claimed(vg_engine *e, vg_fdb *d)
{
	struct gates g = {0};
	int r = d->block && d->nlits != 0 ? gates_of(e, &e->parts[d->part], &g) : 0;
	if (r == 0 && d->nlits != 0)
		r = build_db(e, d->lits, d->nlits, d->block, d->block ? &g : NULL, &d->db, &d->direct, &d->ndirect);
	free(g.lits);
	free(g.ids);
	pthread_mutex_lock(&e->build_lock);
	if (r == 0)
		__atomic_store_n(&d->ready, 1, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&d->claimed, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&e->build_cv);
	pthread_mutex_unlock(&e->build_lock);
	return r;
}

static int claim(vg_fdb *d)
{
	int zero = 0;
	return !__atomic_load_n(&d->claimed, __ATOMIC_RELAXED) &&
	       __atomic_compare_exchange_n(&d->claimed, &zero, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

int vg_compile_fdb_ready(vg_engine *e, vg_fdb *d)
{
	for (;;) {
		if (__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE))
			return 0;
		if (claim(d))
			return build_claimed(e, d);
		/* Another thread builds d. Rather than idle, build the databases
		 * of d's partition nobody has claimed yet: an event that needs d
		 * is likely to need its neighbours next. Errors there are left
		 * to whoever needs that database (the claim is dropped). */
		vg_part *p = &e->parts[d->part];
		for (size_t f = 0; f <= p->nfdbs && !__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE); f++) {
			vg_fdb *x = f == p->nfdbs ? &p->raw : &p->fdbs[f];
			if (!__atomic_load_n(&x->ready, __ATOMIC_ACQUIRE) && claim(x))
				(void)build_claimed(e, x);
		}
		pthread_mutex_lock(&e->build_lock);
		while (!__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE) && __atomic_load_n(&d->claimed, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&e->build_cv, &e->build_lock);
		pthread_mutex_unlock(&e->build_lock);
	}
}

int vg_compile_build_all(vg_engine *e)
{
	int r = 0;
	for (size_t pi = 0; pi < e->nparts && r == 0; pi++) {
		vg_part *p = &e->parts[pi];
		for (size_t f = 0; f < p->nfdbs && r == 0; f++)
			r = vg_compile_fdb_ready(e, &p->fdbs[f]);
		if (r == 0)
			r = vg_compile_fdb_ready(e, &p->raw);
		if (r == 0)
			r = vg_compile_fdb_ready(e, &p->rawblk);
	}
	return r;
}

int vg_compile_build(vg_engine *e)
{
	int r = 0;
	uint32_t *order = malloc((e->nrules ? e->nrules : 1) * sizeof(*order));
	size_t n = 0, caplits = 0, capg = 0;
	struct dedup dd = {0};
	if (order == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < e->nrules; i++) {
		vg_srule *rl = e->rules[i];
		for (size_t ii = 0; ii < rl->nitems; ii++)
			for (uint32_t ai = 0; ai < rl->items[ii]->natoms; ai++)
				rl->items[ii]->atoms[ai].lit = VG_NO_LIT;
		if (rl->info.is_correlation || rl->product == VG_LS_UNKNOWN || rl->service == VG_LS_UNKNOWN ||
		    rl->category == VG_LS_UNKNOWN)
			continue; /* never meets an event */
		order[n++] = (uint32_t)i;
	}
	qsort_r(order, n, sizeof(*order), cmp_rule_ls, e->rules);
	for (size_t i = 0; i < n;) {
		const vg_srule *a = e->rules[order[i]];
		size_t j = i + 1;
		while (j < n && e->rules[order[j]]->product == a->product && e->rules[order[j]]->service == a->service &&
		       e->rules[order[j]]->category == a->category)
			j++;
		vg_group g = {.product = a->product, .service = a->service, .category = a->category, .nrules = j - i};
		if ((g.rules = vg_arena_alloc(e->arena, (j - i) * sizeof(*g.rules))) == NULL) {
			r = VG_ENOMEM;
			goto out;
		}
		memcpy(g.rules, order + i, (j - i) * sizeof(*g.rules));
		VEC_PUSH(e->groups, e->ngroups, capg, g);
		i = j;
	}
	for (size_t gi = 0; gi < e->ngroups; gi++)
		if ((r = build_group(e, (uint32_t)gi, &caplits, &dd)) != 0)
			goto out;
	if ((r = build_parts(e)) != 0 || (r = build_buckets(e)) != 0 || (r = build_index(e)) != 0)
		goto out;
	for (size_t pi = 0; pi < e->nparts; pi++)
		if ((r = build_part(e, &e->parts[pi])) != 0)
			goto out;
out:
	free(dd.t);
	free(order);
	return r;
}

void vg_compile_free(vg_engine *e)
{
	for (size_t pi = 0; pi < e->nparts; pi++) {
		vg_part *p = &e->parts[pi];
		for (size_t f = 0; f <= p->nfdbs; f++) {
			vg_fdb *d = f == p->nfdbs ? &p->raw : &p->fdbs[f];
			hs_free_database(d->db);
			free(d->lits);
			free(d->direct);
		}
		hs_free_database(p->rawblk.db);
		free(p->rawblk.lits);
		free(p->rawblk.direct);
		free(p->fdbs);
		free(p->slots);
	}
	for (size_t i = 0; i < e->ncodes; i++)
		pcre2_code_free(e->codes[i]);
	free(e->codes);
	free(e->groups);
	free(e->parts);
	free(e->lits);
	free(e->lit_items);
	free(e->item_rule);
	free(e->buckets);
	free(e->bucket_of);
	if (e->tmap != NULL)
		free(e->tmap->t);
	free(e->tmap);
}

/* ---- ablation: what Hyperscan and the JIT buy ------------------------------ */

int vg_compile_force_direct(vg_engine *e)
{
	for (size_t i = 0; i < e->nlits; i++) {
		vg_lit *l = &e->lits[i];
		if (l->atom->kind == VG_ATOM_RE && l->re == NULL) {
			int ec;
			PCRE2_SIZE eo;
			pcre2_code **nc = realloc(e->codes, (e->ncodes + 1) * sizeof(*nc));
			if (nc == NULL)
				return VG_ENOMEM;
			e->codes = nc;
			l->re = pcre2_compile(l->atom->pat, l->atom->len, l->atom->re_flags, &ec, &eo, NULL);
			if (l->re == NULL)
				return VG_EINVAL;
			(void)pcre2_jit_compile(l->re, PCRE2_JIT_COMPLETE);
			e->codes[e->ncodes++] = l->re;
		}
		l->mode = VG_LIT_LAZY;
	}
	for (size_t p = 0; p < e->nparts; p++) {
		for (size_t f = 0; f < e->parts[p].nfdbs; f++)
			e->parts[p].fdbs[f].nlits = 0; /* nothing left to scan for */
		e->parts[p].raw.nlits = 0;
		e->parts[p].rawblk.nlits = 0;
	}
	for (size_t g = 0; g < e->ngroups; g++) {
		vg_group *gr = &e->groups[g];
		for (size_t r = 0; r < gr->nrules; r++) {
			vg_srule *rl = e->rules[gr->rules[r]];
			for (size_t k = 0; k < rl->nitems; k++)
				rl->items[k]->has_lazy = 1;
			gr->always[r] = gr->rules[r];
		}
		gr->nalways = gr->nrules;
	}
	return 0;
}

int vg_compile_drop_jit(vg_engine *e)
{
	for (size_t i = 0; i < e->nlits; i++) {
		vg_lit *l = &e->lits[i];
		if (l->re == NULL)
			continue;
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *plain = pcre2_compile(l->atom->pat, l->atom->len, l->atom->re_flags, &ec, &eo, NULL);
		if (plain == NULL)
			return VG_EINVAL;
		for (size_t k = 0; k < e->ncodes; k++)
			if (e->codes[k] == l->re)
				e->codes[k] = plain;
		pcre2_code_free(l->re);
		l->re = plain;
	}
	return 0;
}
