/* sigma_value.c — Sigma value parsing, the modifier table and the per-value
 * tests (see sigma_value.h). Semantics follow pySigma's sigma/modifiers.py and
 * sigma/types.py: backslash escaping of wildcards, base64offset's three
 * variants, windash's five dash characters, UTF-16 before base64, and so on. */
#include "detect/sigma_value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/limits.h"
#include "core/timeparse.h"
#include "detect/engine.h"

/* Working value types while modifiers apply. */
enum vt { VT_STR, VT_NUM, VT_BOOL, VT_NULL, VT_RE, VT_CIDR, VT_CMP, VT_EXISTS, VT_FIELDREF, VT_TIME };
static const char *const vt_names[] = {"string", "number", "boolean", "null", "regular expression", "cidr",
				       "comparison", "exists", "field reference", "timestamp part"};

struct wv {
	uint8_t t, cased, op, unit, bval, fr, family, prefix;
	unsigned char *b; /* STR pattern bytes; RE regex; FIELDREF field name */
	uint8_t *w;       /* STR: enum vg_wild per byte */
	size_t n;
	const char *orig; /* scalar as written (for |re) */
	size_t orig_len;
	const char *num_txt;
	double num;
	uint32_t reflags;
	uint8_t net[16];
};

struct vvec {
	struct wv *v;
	size_t n, cap;
};

struct mctx {
	vg_arena *tmp;
	struct vvec *vals;
	int napplied; /* value modifiers applied before the current one */
	int keyword;
	size_t *budget;
	char *err;
	size_t errlen;
	const char *mod;
};

typedef int (*mod_fn)(struct mctx *c);

static int errf(struct mctx *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(struct mctx *c, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int type_err(struct mctx *c, const struct wv *v)
{
	const char *tn = v->t < sizeof(vt_names) / sizeof(vt_names[0]) ? vt_names[v->t] : "other";
	return errf(c, VG_EPARSE, "modifier '%s' cannot be applied to a %s value", c->mod ? c->mod : "", tn);
}

static int vec_push(struct vvec *vv, const struct wv *w)
{
	if (vv->n == vv->cap) {
		size_t nc = vv->cap ? vv->cap * 2 : 4;
		struct wv *nv = realloc(vv->v, nc * sizeof(*nv));
		if (nv == NULL)
			return VG_ENOMEM;
		vv->v = nv;
		vv->cap = nc;
	}
	vv->v[vv->n++] = *w;
	return 0;
}

static int str_alloc(vg_arena *a, struct wv *v, size_t n)
{
	v->b = vg_arena_alloc(a, n + 1);
	v->w = vg_arena_alloc(a, n + 1);
	if (v->b == NULL || v->w == NULL)
		return VG_ENOMEM;
	v->n = n;
	v->b[n] = 0;
	return 0;
}

/* pySigma's SigmaString: '*' and '?' are wildcards; a backslash escapes '*',
 * '?' and itself; before any other character (or at the end) it is literal. */
static int parse_sstr(vg_arena *a, const char *s, size_t n, struct wv *v)
{
	int r = str_alloc(a, v, n);
	if (r != 0)
		return r;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\\') {
			if (i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
				v->b[o] = (unsigned char)s[++i];
				v->w[o++] = VG_W_LIT;
			} else {
				v->b[o] = '\\';
				v->w[o++] = VG_W_LIT;
			}
		} else if (ch == '*' || ch == '?') {
			v->b[o] = (unsigned char)ch;
			v->w[o++] = ch == '*' ? VG_W_STAR : VG_W_ONE;
		} else {
			v->b[o] = (unsigned char)ch;
			v->w[o++] = VG_W_LIT;
		}
	}
	v->n = o;
	v->b[o] = 0;
	return 0;
}

static int set_literal(vg_arena *a, struct wv *v, const void *p, size_t n)
{
	int r = str_alloc(a, v, n);
	if (r != 0)
		return r;
	if (n != 0)
		memcpy(v->b, p, n);
	memset(v->w, VG_W_LIT, n);
	v->t = VT_STR;
	return 0;
}

/* Numbers and booleans take part in string modifiers as their text. */
static int to_str(struct mctx *c, struct wv *v)
{
	if (v->t == VT_STR)
		return 0;
	if (v->t == VT_NUM)
		return set_literal(c->tmp, v, v->num_txt, strlen(v->num_txt));
	if (v->t == VT_BOOL)
		return set_literal(c->tmp, v, v->bval ? "true" : "false", v->bval ? 4 : 5);
	return type_err(c, v);
}

static int has_wild(const struct wv *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->w[i] != VG_W_LIT)
			return 1;
	return 0;
}

static int add_wild(struct mctx *c, struct wv *v, int front, int back)
{
	int pre = front && !(v->n > 0 && v->w[0] == VG_W_STAR);
	int post = back && !(v->n > 0 && v->w[v->n - 1] == VG_W_STAR);
	if (!pre && !post)
		return 0;
	if (pre && post && v->n == 0)
		post = 0; /* '' becomes '*', as in pySigma */
	struct wv nv = *v;
	int r = str_alloc(c->tmp, &nv, v->n + (size_t)pre + (size_t)post);
	if (r != 0)
		return r;
	size_t o = 0;
	if (pre) {
		nv.b[o] = '*';
		nv.w[o++] = VG_W_STAR;
	}
	if (v->n != 0) {
		memcpy(nv.b + o, v->b, v->n);
		memcpy(nv.w + o, v->w, v->n);
	}
	o += v->n;
	if (post) {
		nv.b[o] = '*';
		nv.w[o++] = VG_W_STAR;
	}
	*v = nv;
	return 0;
}

static int mod_position(struct mctx *c, int front, int back)
{
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		int r;
		if (v->t == VT_RE)
			continue; /* regexes search anywhere already: .* around them changes nothing */
		if (v->t == VT_FIELDREF) {
			v->fr |= (uint8_t)((front ? VG_FR_END : 0) | (back ? VG_FR_START : 0));
			continue;
		}
		if ((r = to_str(c, v)) != 0 || (r = add_wild(c, v, front, back)) != 0)
			return r;
	}
	return 0;
}

static int mod_contains(struct mctx *c)
{
	return mod_position(c, 1, 1);
}

static int mod_startswith(struct mctx *c)
{
	return mod_position(c, 0, 1);
}

static int mod_endswith(struct mctx *c)
{
	return mod_position(c, 1, 0);
}

static int mod_list(struct mctx *c)
{
	(void)c; /* all / neq change how the item links its values; see vg_value_build */
	return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t x = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[x >> 18];
		out[o++] = b64[(x >> 12) & 63];
		out[o++] = b64[(x >> 6) & 63];
		out[o++] = b64[x & 63];
	}
	if (i < n) {
		uint32_t x = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64[x >> 18];
		out[o++] = b64[(x >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(x >> 6) & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

static int need_plain_str(struct mctx *c, struct wv *v)
{
	int r = to_str(c, v);
	if (r != 0)
		return r;
	if (has_wild(v))
		return errf(c, VG_EPARSE, "modifier '%s': base64 encoding of strings with wildcards is not allowed", c->mod);
	return 0;
}

static int mod_base64(struct mctx *c)
{
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		int r = need_plain_str(c, v);
		if (r != 0)
			return r;
		char *enc = vg_arena_alloc(c->tmp, (v->n + 2) / 3 * 4 + 1);
		if (enc == NULL)
			return VG_ENOMEM;
		size_t en = b64_encode(v->b, v->n, enc);
		if ((r = set_literal(c->tmp, v, enc, en)) != 0)
			return r;
	}
	return 0;
}

/* pySigma: for i in 0..2, b64encode(i spaces + data)[start[i] : end[(len + i) % 3]]. */
static int mod_base64offset(struct mctx *c)
{
	static const size_t start[3] = {0, 2, 3};
	static const size_t cut[3] = {0, 3, 2}; /* characters dropped at the end */
	struct vvec out = {0};
	int r = 0;
	for (size_t i = 0; i < c->vals->n && r == 0; i++) {
		struct wv v = c->vals->v[i];
		if ((r = need_plain_str(c, &v)) != 0)
			break;
		if (*c->budget < 2) {
			r = errf(c, VG_ELIMIT, "more than %d values after expansion", VG_MAX_RULE_VALUES);
			break;
		}
		*c->budget -= 2;
		for (size_t k = 0; k < 3 && r == 0; k++) {
			unsigned char *in = vg_arena_alloc(c->tmp, v.n + 3);
			char *enc = vg_arena_alloc(c->tmp, (v.n + 5) / 3 * 4 + 1);
			if (in == NULL || enc == NULL) {
				r = VG_ENOMEM;
				break;
			}
			memset(in, ' ', k);
			if (v.n != 0)
				memcpy(in + k, v.b, v.n);
			size_t en = b64_encode(in, v.n + k, enc);
			size_t s = start[k], e = en - cut[(v.n + k) % 3];
			if (e < s || e > en)
				e = s;
			struct wv nv = v;
			if ((r = set_literal(c->tmp, &nv, enc + s, e - s)) == 0)
				r = vec_push(&out, &nv);
		}
	}
	if (r != 0) {
		free(out.v);
		return r;
	}
	free(c->vals->v);
	*c->vals = out;
	return 0;
}

/* Next code point of a UTF-8 literal run; invalid bytes stand for themselves. */
static uint32_t utf8_next(const unsigned char *b, const uint8_t *w, size_t n, size_t *i)
{
	unsigned char c0 = b[*i];
	size_t need = c0 >= 0xf0 && c0 < 0xf8 ? 3 : c0 >= 0xe0 && c0 < 0xf0 ? 2 : c0 >= 0xc0 && c0 < 0xe0 ? 1 : 0;
	if (need == 0) {
		(*i)++;
		return c0;
	}
	uint32_t cp = c0 & (0x3fu >> need);
	for (size_t k = 1; k <= need; k++) {
		if (*i + k >= n || w[*i + k] != VG_W_LIT || (b[*i + k] & 0xc0) != 0x80) {
			(*i)++;
			return c0;
		}
		cp = cp << 6 | (b[*i + k] & 0x3f);
	}
	*i += need + 1;
	return cp;
}

static int utf16(struct mctx *c, int be, int bom)
{
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		int r = to_str(c, v);
		if (r != 0)
			return r;
		struct wv nv = *v;
		if ((r = str_alloc(c->tmp, &nv, v->n * 4 + 2)) != 0)
			return r;
		size_t o = 0;
		if (bom) {
			nv.b[o] = be ? 0xfe : 0xff;
			nv.w[o++] = VG_W_LIT;
			nv.b[o] = be ? 0xff : 0xfe;
			nv.w[o++] = VG_W_LIT;
		}
		for (size_t j = 0; j < v->n;) {
			if (v->w[j] != VG_W_LIT) {
				nv.b[o] = v->b[j];
				nv.w[o++] = v->w[j++];
				continue;
			}
			uint32_t cp = utf8_next(v->b, v->w, v->n, &j);
			uint16_t units[2];
			size_t nu = 1;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				units[0] = (uint16_t)(0xd800 | (cp >> 10));
				units[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
				nu = 2;
			} else {
				units[0] = (uint16_t)cp;
			}
			for (size_t u = 0; u < nu; u++) {
				nv.b[o] = (unsigned char)(be ? units[u] >> 8 : units[u] & 0xff);
				nv.w[o++] = VG_W_LIT;
				nv.b[o] = (unsigned char)(be ? units[u] & 0xff : units[u] >> 8);
				nv.w[o++] = VG_W_LIT;
			}
		}
		nv.n = o;
		*v = nv;
	}
	return 0;
}

static int mod_utf16le(struct mctx *c)
{
	return utf16(c, 0, 0);
}

static int mod_utf16be(struct mctx *c)
{
	return utf16(c, 1, 0);
}

static int mod_utf16(struct mctx *c)
{
	return utf16(c, 0, 1);
}

static int is_word(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
	       ch >= 0x80;
}

/* pySigma replaces \B[-/]\b: a dash or slash not preceded by a word character
 * and followed by one, with each of - / en-dash em-dash horizontal-bar. */
static int mod_windash(struct mctx *c)
{
	static const char *const dash[5] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95"};
	static const size_t dlen[5] = {1, 1, 3, 3, 3};
	struct vvec out = {0};
	int r = 0;
	for (size_t i = 0; i < c->vals->n && r == 0; i++) {
		struct wv v = c->vals->v[i];
		if ((r = to_str(c, &v)) != 0)
			break;
		size_t pos[64], k = 0;
		for (size_t j = 0; j < v.n; j++) {
			if (v.w[j] != VG_W_LIT || (v.b[j] != '-' && v.b[j] != '/'))
				continue;
			int prev_word = j > 0 && v.w[j - 1] == VG_W_LIT && is_word(v.b[j - 1]);
			int next_word = j + 1 < v.n && v.w[j + 1] == VG_W_LIT && is_word(v.b[j + 1]);
			if (!prev_word && next_word) {
				if (k == 64) {
					r = errf(c, VG_ELIMIT, "more than %d values after expansion", VG_MAX_RULE_VALUES);
					break;
				}
				pos[k++] = j;
			}
		}
		if (r != 0)
			break;
		size_t total = 1;
		for (size_t j = 0; j < k; j++) {
			total *= 5;
			if (total > *c->budget) {
				r = errf(c, VG_ELIMIT, "more than %d values after expansion", VG_MAX_RULE_VALUES);
				break;
			}
		}
		if (r != 0)
			break;
		*c->budget -= total - 1;
		for (size_t combo = 0; combo < total && r == 0; combo++) {
			struct wv nv = v;
			if ((r = str_alloc(c->tmp, &nv, v.n + 2 * k)) != 0)
				break;
			size_t o = 0, q = combo, p = 0;
			for (size_t j = 0; j < v.n; j++) {
				if (p < k && pos[p] == j) {
					size_t d = q % 5;
					q /= 5;
					p++;
					memcpy(nv.b + o, dash[d], dlen[d]);
					memset(nv.w + o, VG_W_LIT, dlen[d]);
					o += dlen[d];
				} else {
					nv.b[o] = v.b[j];
					nv.w[o++] = v.w[j];
				}
			}
			nv.n = o;
			r = vec_push(&out, &nv);
		}
	}
	if (r != 0) {
		free(out.v);
		return r;
	}
	free(c->vals->v);
	*c->vals = out;
	return 0;
}

static int mod_re(struct mctx *c)
{
	if (c->napplied != 0)
		return errf(c, VG_EPARSE, "modifier 're' only applies to unmodified values");
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		if (v->t == VT_NUM) {
			v->orig = v->num_txt;
			v->orig_len = strlen(v->num_txt);
		} else if (v->t != VT_STR) {
			return type_err(c, v);
		}
		v->t = VT_RE;
		v->b = (unsigned char *)(uintptr_t)v->orig;
		v->n = v->orig_len;
		v->w = NULL;
		v->reflags = 0;
	}
	return 0;
}

static int re_flag(struct mctx *c, uint32_t flag)
{
	for (size_t i = 0; i < c->vals->n; i++) {
		if (c->vals->v[i].t != VT_RE)
			return errf(c, VG_EPARSE, "modifier '%s' only applies after 're'", c->mod);
		c->vals->v[i].reflags |= flag;
	}
	return 0;
}

static int mod_re_i(struct mctx *c)
{
	return re_flag(c, PCRE2_CASELESS);
}

static int mod_re_m(struct mctx *c)
{
	return re_flag(c, PCRE2_MULTILINE);
}

static int mod_re_s(struct mctx *c)
{
	return re_flag(c, PCRE2_DOTALL);
}

static int mod_cased(struct mctx *c)
{
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		int r;
		if (v->t == VT_FIELDREF) {
			v->cased = 1;
			continue;
		}
		if ((r = to_str(c, v)) != 0)
			return r;
		v->cased = 1;
	}
	return 0;
}

/* Strict like Python's ip_network(): host bits must be zero. */
static int parse_cidr(const char *s, size_t n, struct wv *v)
{
	char buf[64];
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *slash = strchr(buf, '/');
	long plen = -1;
	if (slash != NULL) {
		*slash = '\0';
		char *end;
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		errno = 0;
		plen = strtol(slash + 1, &end, 10);
		if (*end != '\0' || errno != 0)
			return -1;
	}
	memset(v->net, 0, sizeof(v->net));
	if (inet_pton(AF_INET, buf, v->net) == 1) {
		v->family = 4;
		if (plen < 0)
			plen = 32;
		if (plen > 32)
			return -1;
	} else if (inet_pton(AF_INET6, buf, v->net) == 1) {
		v->family = 6;
		if (plen < 0)
			plen = 128;
		if (plen > 128)
			return -1;
	} else {
		return -1;
	}
	v->prefix = (uint8_t)plen;
	size_t bytes = v->family == 4 ? 4 : 16;
	for (size_t bit = (size_t)plen; bit < bytes * 8; bit++)
		if (v->net[bit / 8] & (0x80 >> (bit % 8)))
			return -2;
	return 0;
}

static int mod_cidr(struct mctx *c)
{
	if (c->napplied != 0)
		return errf(c, VG_EPARSE, "modifier 'cidr' only applies to unmodified values");
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		if (v->t != VT_STR)
			return type_err(c, v);
		int p = parse_cidr(v->orig, v->orig_len, v);
		if (p != 0)
			return errf(c, VG_EPARSE, "invalid cidr '%.*s'%s", (int)(v->orig_len > 64 ? 64 : v->orig_len),
				    v->orig, p == -2 ? ": host bits set" : "");
		v->t = VT_CIDR;
	}
	return 0;
}

static int mod_exists(struct mctx *c)
{
	if (c->keyword)
		return errf(c, VG_EPARSE, "modifier 'exists' needs a field");
	if (c->napplied != 0)
		return errf(c, VG_EPARSE, "modifier 'exists' only applies to unmodified values");
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		if (v->t == VT_STR && (v->orig_len == 4 || v->orig_len == 5) &&
		    (strncasecmp(v->orig, "true", 4) == 0 || strncasecmp(v->orig, "false", 5) == 0)) {
			v->bval = v->orig_len == 4;
		} else if (v->t != VT_BOOL) {
			return errf(c, VG_EPARSE, "modifier 'exists' needs true or false");
		}
		v->t = VT_EXISTS;
		v->op = v->bval;
	}
	return 0;
}

static int is_wordc(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

/* Placeholders %name% (not after a backslash) need configured values, which
 * vigil does not have: the spec says such a rule must be rejected. */
static int mod_expand(struct mctx *c)
{
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		int r = to_str(c, v);
		if (r != 0)
			return r;
		for (size_t j = 0; j < v->n; j++) {
			if (v->w[j] != VG_W_LIT || v->b[j] != '%' || (j > 0 && v->b[j - 1] == '\\' && v->w[j - 1] == VG_W_LIT))
				continue;
			size_t e = j + 1;
			while (e < v->n && v->w[e] == VG_W_LIT && is_wordc(v->b[e]))
				e++;
			if (e > j + 1 && e < v->n && v->w[e] == VG_W_LIT && v->b[e] == '%')
				return errf(c, VG_EUNSUPPORTED, "placeholder %%%.*s%% has no values configured",
					    (int)(e - j - 1 > 64 ? 64 : e - j - 1), (const char *)v->b + j + 1);
		}
		size_t o = 0;
		for (size_t j = 0; j < v->n; j++) {
			if (v->w[j] == VG_W_LIT && v->b[j] == '\\' && j + 1 < v->n && v->w[j + 1] == VG_W_LIT &&
			    v->b[j + 1] == '%')
				continue;
			v->b[o] = v->b[j];
			v->w[o++] = v->w[j];
		}
		v->n = o;
	}
	return 0;
}

static int mod_fieldref(struct mctx *c)
{
	if (c->keyword)
		return errf(c, VG_EPARSE, "modifier 'fieldref' needs a field");
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		int r = to_str(c, v);
		if (r != 0)
			return r;
		if (has_wild(v) || v->n == 0)
			return errf(c, VG_EPARSE, "modifier 'fieldref' needs a plain field name");
		v->t = VT_FIELDREF;
		v->fr = 0;
	}
	return 0;
}

static int parse_num(const char *s, size_t n, double *out)
{
	char buf[64];
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (*end != '\0' || errno != 0 || isnan(d))
		return 0;
	*out = d;
	return 1;
}

static int cmp_mod(struct mctx *c, uint8_t op)
{
	if (c->keyword)
		return errf(c, VG_EPARSE, "modifier '%s' needs a field", c->mod);
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		if (v->t == VT_TIME) {
			v->op = op;
			continue;
		}
		if (v->t == VT_STR && parse_num(v->orig, v->orig_len, &v->num))
			v->t = VT_NUM;
		if (v->t != VT_NUM)
			return errf(c, VG_EPARSE, "modifier '%s' needs a number", c->mod);
		v->t = VT_CMP;
		v->op = op;
	}
	return 0;
}

static int mod_lt(struct mctx *c)
{
	return cmp_mod(c, VG_CMP_LT);
}

static int mod_lte(struct mctx *c)
{
	return cmp_mod(c, VG_CMP_LTE);
}

static int mod_gt(struct mctx *c)
{
	return cmp_mod(c, VG_CMP_GT);
}

static int mod_gte(struct mctx *c)
{
	return cmp_mod(c, VG_CMP_GTE);
}

static int time_mod(struct mctx *c, uint8_t unit)
{
	if (c->keyword)
		return errf(c, VG_EPARSE, "modifier '%s' needs a field", c->mod);
	for (size_t i = 0; i < c->vals->n; i++) {
		struct wv *v = &c->vals->v[i];
		if (v->t == VT_STR && parse_num(v->orig, v->orig_len, &v->num))
			v->t = VT_NUM;
		if (v->t != VT_NUM)
			return errf(c, VG_EPARSE, "modifier '%s' needs a number", c->mod);
		v->t = VT_TIME;
		v->unit = unit;
		v->op = VG_CMP_EQ;
	}
	return 0;
}

static int mod_minute(struct mctx *c)
{
	return time_mod(c, VG_TU_MINUTE);
}

static int mod_hour(struct mctx *c)
{
	return time_mod(c, VG_TU_HOUR);
}

static int mod_day(struct mctx *c)
{
	return time_mod(c, VG_TU_DAY);
}

static int mod_week(struct mctx *c)
{
	return time_mod(c, VG_TU_WEEK);
}

static int mod_month(struct mctx *c)
{
	return time_mod(c, VG_TU_MONTH);
}

static int mod_year(struct mctx *c)
{
	return time_mod(c, VG_TU_YEAR);
}

struct mod_row {
	const char *name;
	mod_fn fn;
	uint8_t list; /* 1: all, 2: neq (item-level, not per value) */
};

/* Keep in step with vg_value_modifiers (same order) and docs/rules.md. */
static const struct mod_row rows[] = {
	{"contains", mod_contains, 0},
	{"startswith", mod_startswith, 0},
	{"endswith", mod_endswith, 0},
	{"all", mod_list, 1},
	{"neq", mod_list, 2},
	{"exists", mod_exists, 0},
	{"cased", mod_cased, 0},
	{"windash", mod_windash, 0},
	{"re", mod_re, 0},
	{"i", mod_re_i, 0},
	{"ignorecase", mod_re_i, 0},
	{"m", mod_re_m, 0},
	{"multiline", mod_re_m, 0},
	{"s", mod_re_s, 0},
	{"dotall", mod_re_s, 0},
	{"base64", mod_base64, 0},
	{"base64offset", mod_base64offset, 0},
	{"utf16le", mod_utf16le, 0},
	{"wide", mod_utf16le, 0},
	{"utf16be", mod_utf16be, 0},
	{"utf16", mod_utf16, 0},
	{"lt", mod_lt, 0},
	{"lte", mod_lte, 0},
	{"gt", mod_gt, 0},
	{"gte", mod_gte, 0},
	{"minute", mod_minute, 0},
	{"hour", mod_hour, 0},
	{"day", mod_day, 0},
	{"week", mod_week, 0},
	{"month", mod_month, 0},
	{"year", mod_year, 0},
	{"cidr", mod_cidr, 0},
	{"expand", mod_expand, 0},
	{"fieldref", mod_fieldref, 0},
};

const vg_modifier vg_value_modifiers[] = {
	{"contains", "value anywhere in the field (wildcards around it)"},
	{"startswith", "value at the start of the field"},
	{"endswith", "value at the end of the field"},
	{"all", "values of the list AND-linked instead of OR"},
	{"neq", "the item is negated: the field differs from every value"},
	{"exists", "true: the field is present; false: absent"},
	{"cased", "case-sensitive match"},
	{"windash", "each -,/ before a word expands to - / en-dash em-dash horizontal-bar"},
	{"re", "PCRE2 regular expression, unanchored search, case-sensitive"},
	{"i", "regex flag: case-insensitive"},
	{"ignorecase", "regex flag: case-insensitive"},
	{"m", "regex flag: multi-line ^ and $"},
	{"multiline", "regex flag: multi-line ^ and $"},
	{"s", "regex flag: dot matches newline"},
	{"dotall", "regex flag: dot matches newline"},
	{"base64", "value base64-encoded (no wildcards allowed)"},
	{"base64offset", "the three base64 encodings of value at offsets 0, 1, 2"},
	{"utf16le", "value encoded as UTF-16LE"},
	{"wide", "alias of utf16le"},
	{"utf16be", "value encoded as UTF-16BE"},
	{"utf16", "value encoded as UTF-16LE with a byte order mark"},
	{"lt", "numeric field < value"},
	{"lte", "numeric field <= value"},
	{"gt", "numeric field > value"},
	{"gte", "numeric field >= value"},
	{"minute", "minute (0-59) of a timestamp field equals value"},
	{"hour", "hour (0-23) of a timestamp field equals value"},
	{"day", "day of month (1-31) of a timestamp field equals value"},
	{"week", "ISO week (1-53) of a timestamp field equals value"},
	{"month", "month (1-12) of a timestamp field equals value"},
	{"year", "year of a timestamp field equals value"},
	{"cidr", "field is an IPv4/IPv6 address inside the network"},
	{"expand", "placeholders %name%: rejected, vigil has no placeholder values"},
	{"fieldref", "value names another field; compare the two fields"},
	{NULL, NULL},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const struct mod_row *mod_find(const char *s, size_t n)
{
	for (size_t i = 0; i < NROWS; i++)
		if (strlen(rows[i].name) == n && memcmp(rows[i].name, s, n) == 0)
			return &rows[i];
	return NULL;
}

static int init_wv(vg_arena *tmp, const vg_ynode *nd, struct wv *v)
{
	memset(v, 0, sizeof(*v));
	v->orig = nd->str;
	v->orig_len = nd->len;
	switch (nd->kind) {
	case VG_YK_NULL:
		v->t = VT_NULL;
		return 0;
	case VG_YK_BOOL:
		v->t = VT_BOOL;
		v->bval = nd->bval;
		return 0;
	case VG_YK_INT:
	case VG_YK_FLOAT:
		v->t = VT_NUM;
		v->num_txt = nd->num;
		v->num = strtod(nd->num, NULL);
		return 0;
	default:
		v->t = VT_STR;
		return parse_sstr(tmp, nd->str, nd->len, v);
	}
}

struct avec {
	vg_atom *a;
	size_t n, cap;
};

static int avec_push(struct avec *av, const vg_atom *at)
{
	if (av->n == av->cap) {
		size_t nc = av->cap ? av->cap * 2 : 8;
		vg_atom *na = realloc(av->a, nc * sizeof(*na));
		if (na == NULL)
			return VG_ENOMEM;
		av->a = na;
		av->cap = nc;
	}
	av->a[av->n++] = *at;
	return 0;
}

static int str_atom(vg_arena *keep, vg_atom *at, const struct wv *v)
{
	unsigned char *b = vg_arena_alloc(keep, v->n + 1);
	uint8_t *w = vg_arena_alloc(keep, v->n + 1);
	if (b == NULL || w == NULL)
		return VG_ENOMEM;
	if (v->n != 0) {
		memcpy(b, v->b, v->n);
		memcpy(w, v->w, v->n);
	}
	b[v->n] = 0;
	at->pat = b;
	at->wild = w;
	at->len = v->n;
	return 0;
}

static int finalize(struct mctx *c, vg_arena *keep, struct wv *v, struct avec *av)
{
	vg_atom at;
	int r;
	memset(&at, 0, sizeof(at));
	switch (v->t) {
	case VT_NUM:
	case VT_BOOL:
		if ((r = to_str(c, v)) != 0)
			return r;
		/* fall through */
	case VT_STR:
		if (c->keyword && (r = add_wild(c, v, 1, 1)) != 0)
			return r;
		at.kind = VG_ATOM_STR;
		at.cased = v->cased;
		if ((r = str_atom(keep, &at, v)) != 0)
			return r;
		break;
	case VT_NULL:
		if (c->keyword)
			return errf(c, VG_EPARSE, "null is not a keyword");
		at.kind = VG_ATOM_NULL;
		break;
	case VT_RE: {
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)v->b, v->n, v->reflags, &ec, &eo, NULL);
		if (re == NULL) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			return errf(c, VG_EPARSE, "invalid regular expression '%.*s': %s at offset %zu",
				    (int)(v->n > 80 ? 80 : v->n), (const char *)v->b, (const char *)msg, (size_t)eo);
		}
		pcre2_code_free(re);
		at.kind = VG_ATOM_RE;
		at.re_flags = v->reflags;
		unsigned char *p = vg_arena_alloc(keep, v->n + 1);
		if (p == NULL)
			return VG_ENOMEM;
		memcpy(p, v->b, v->n);
		p[v->n] = 0;
		at.pat = p;
		at.len = v->n;
		break;
	}
	case VT_CIDR:
		at.kind = VG_ATOM_CIDR;
		at.family = v->family;
		at.prefix = v->prefix;
		memcpy(at.net, v->net, sizeof(at.net));
		break;
	case VT_CMP:
	case VT_TIME:
		at.kind = v->t == VT_CMP ? VG_ATOM_CMP : VG_ATOM_TIME;
		at.op = v->op;
		at.unit = v->unit;
		at.num = v->num;
		break;
	case VT_EXISTS:
		at.kind = VG_ATOM_EXISTS;
		at.op = v->op;
		break;
	case VT_FIELDREF:
		at.kind = VG_ATOM_FIELDREF;
		at.op = v->fr;
		at.cased = v->cased;
		if ((r = str_atom(keep, &at, v)) != 0)
			return r;
		at.wild = NULL;
		break;
	default:
		return type_err(c, v);
	}
	if (c->keyword && at.kind != VG_ATOM_STR && at.kind != VG_ATOM_RE)
		return errf(c, VG_EPARSE, "a %s value needs a field", v->t < sizeof(vt_names) / sizeof(vt_names[0]) ? vt_names[v->t] : "other");
	return avec_push(av, &at);
}

static int build(vg_arena *keep, vg_arena *tmp, const char *field, const char *mods, const vg_ynode *val,
		 vg_item *out, size_t *budget, char *err, size_t errlen)
{
	const struct mod_row *chain[32];
	size_t nchain = 0;
	struct mctx c = {.tmp = tmp, .keyword = field == NULL, .budget = budget, .err = err, .errlen = errlen};
	memset(out, 0, sizeof(*out));
	out->field = field;
	for (const char *p = mods; p != NULL && *p != '\0';) {
		const char *e = strchr(p, '|');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const struct mod_row *m = mod_find(p, n);
		if (m == NULL)
			return errf(&c, VG_EPARSE, "unknown modifier '%.*s'", (int)(n > 64 ? 64 : n), p);
		if (nchain == sizeof(chain) / sizeof(chain[0]))
			return errf(&c, VG_ELIMIT, "too many modifiers");
		chain[nchain++] = m;
		if (m->list == 1)
			out->all = 1;
		else if (m->list == 2)
			out->neg = 1;
		p = e ? e + 1 : NULL;
	}
	const vg_ynode *const *vals;
	size_t nvals;
	if (val->type == VG_Y_SEQ) {
		vals = (const vg_ynode *const *)val->items;
		nvals = val->n;
	} else if (val->type == VG_Y_SCALAR) {
		vals = &val;
		nvals = 1;
	} else {
		return errf(&c, VG_EPARSE, "a map is not a valid value (line %u)", val->line);
	}
	uint32_t *ends = vg_arena_alloc(keep, (nvals ? nvals : 1) * sizeof(*ends));
	if (ends == NULL)
		return VG_ENOMEM;
	struct avec av = {0};
	struct vvec vv = {0};
	int r = 0;
	c.vals = &vv;
	for (size_t i = 0; i < nvals && r == 0; i++) {
		const vg_ynode *nd = vals[i];
		if (nd->type != VG_Y_SCALAR) {
			r = errf(&c, VG_EPARSE, "nested lists or maps are not valid values (line %u)", nd->line);
			break;
		}
		if (*budget == 0) {
			r = errf(&c, VG_ELIMIT, "more than %d values after expansion", VG_MAX_RULE_VALUES);
			break;
		}
		(*budget)--;
		struct wv w;
		vv.n = 0;
		if ((r = init_wv(tmp, nd, &w)) != 0 || (r = vec_push(&vv, &w)) != 0)
			break;
		c.napplied = 0;
		for (size_t k = 0; k < nchain && r == 0; k++) {
			c.mod = chain[k]->name;
			r = chain[k]->fn(&c);
			if (!chain[k]->list)
				c.napplied++;
		}
		for (size_t k = 0; k < vv.n && r == 0; k++)
			r = finalize(&c, keep, &vv.v[k], &av);
		ends[i] = (uint32_t)av.n;
	}
	free(vv.v);
	if (r == 0) {
		out->nvals = (uint32_t)nvals;
		out->val_end = ends;
		out->natoms = (uint32_t)av.n;
		out->atoms = vg_arena_alloc(keep, (av.n ? av.n : 1) * sizeof(*out->atoms));
		if (out->atoms == NULL)
			r = VG_ENOMEM;
		else if (av.n != 0)
			memcpy(out->atoms, av.a, av.n * sizeof(*out->atoms));
	}
	free(av.a);
	if (r == VG_ENOMEM)
		snprintf(err, errlen, "out of memory");
	return r;
}

int vg_value_build(vg_arena *keep, vg_arena *tmp, const char *field, const char *mods, const vg_ynode *val,
		   vg_item *out, size_t *budget, char *err, size_t errlen)
{
	return build(keep, tmp, field, mods, val, out, budget, err, errlen);
}

int vg_value_build_keywords(vg_arena *keep, vg_arena *tmp, const vg_ynode *val, vg_item *out, size_t *budget,
			    char *err, size_t errlen)
{
	return build(keep, tmp, NULL, "", val, out, budget, err, errlen);
}

/* ---- per-value tests ---------------------------------------------------- */

static inline unsigned char lc(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch | 0x20) : ch;
}

int vg_value_wild_match(const vg_atom *at, const char *v, size_t n)
{
	const unsigned char *p = at->pat, *s = (const unsigned char *)v;
	const uint8_t *w = at->wild;
	size_t pl = at->len, pi = 0, si = 0, star = (size_t)-1, mark = 0;
	int cs = at->cased;
	while (si < n) {
		if (pi < pl && w[pi] == VG_W_STAR) {
			star = pi++;
			mark = si;
		} else if (pi < pl && (w[pi] == VG_W_ONE || (cs ? p[pi] == s[si] : lc(p[pi]) == lc(s[si])))) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return 0;
		}
	}
	while (pi < pl && w[pi] == VG_W_STAR)
		pi++;
	return pi == pl;
}

size_t vg_value_min_len(const vg_atom *at)
{
	size_t k = 0;
	for (size_t i = 0; i < at->len; i++)
		k += at->wild[i] != VG_W_STAR;
	return k;
}

int vg_value_cidr_match(const vg_atom *at, const char *v, size_t n)
{
	char buf[64];
	unsigned char addr[16];
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (inet_pton(at->family == 4 ? AF_INET : AF_INET6, buf, addr) != 1)
		return 0;
	size_t full = at->prefix / 8, rem = at->prefix % 8;
	if (memcmp(addr, at->net, full) != 0)
		return 0;
	if (rem != 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - rem));
		if ((addr[full] & mask) != at->net[full])
			return 0;
	}
	return 1;
}

int vg_value_cmp(int op, double a, double b)
{
	switch (op) {
	case VG_CMP_GT: return a > b;
	case VG_CMP_GTE: return a >= b;
	case VG_CMP_LT: return a < b;
	case VG_CMP_LTE: return a <= b;
	case VG_CMP_EQ: return a == b;
	case VG_CMP_NEQ: return a != b;
	default: return 0;
	}
}

int vg_value_cmp_match(const vg_atom *at, const char *v, size_t n)
{
	double d;
	return parse_num(v, n, &d) && vg_value_cmp(at->op, d, at->num);
}

/* Civil date from days since the epoch (proleptic Gregorian). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int iso_weeks(int64_t y)
{
	/* A year has 53 ISO weeks when Jan 1 is a Thursday, or a Wednesday in a leap year. */
	int64_t jan1 = vg_days_from_civil(y, 1, 1);
	int wd = (int)(((jan1 % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday (4) */
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return wd == 4 || (leap && wd == 3) ? 53 : 52;
}

int vg_value_time_match(const vg_atom *at, const char *v, size_t n)
{
	int64_t us;
	if (vg_time_rfc3339(v, n, &us) == 0 && vg_time_epoch(v, n, &us) != n)
		return 0;
	int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t sod = secs - days * 86400;
	int64_t y;
	unsigned m, d;
	civil(days, &y, &m, &d);
	double part;
	switch (at->unit) {
	case VG_TU_MINUTE: part = (double)(sod / 60 % 60); break;
	case VG_TU_HOUR: part = (double)(sod / 3600); break;
	case VG_TU_DAY: part = d; break;
	case VG_TU_MONTH: part = m; break;
	case VG_TU_YEAR: part = (double)y; break;
	default: {
		int wd = (int)(((days % 7) + 7 + 3) % 7) + 1; /* Monday = 1 */
		int64_t ord = days - vg_days_from_civil(y, 1, 1) + 1;
		int64_t wk = (ord - wd + 10) / 7;
		if (wk < 1)
			wk = iso_weeks(y - 1);
		else if (wk > iso_weeks(y))
			wk = 1;
		part = (double)wk;
	}
	}
	return vg_value_cmp(at->op, part, at->num);
}
