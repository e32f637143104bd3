/* parse_apache.c — web server logs: "apache_access" (Apache common, combined
 * and vhost_combined, Nginx's default combined) and "apache_error" (Apache
 * 2.2 and 2.4 error logs, Nginx error logs). Quoted fields are split with
 * their backslash escapes in mind, so scanner garbage cannot shift fields. */
#include <string.h>

#include "core/limits.h"
#include "core/logsource.h"
#include "core/timeparse.h"
#include "parse/parse.h"
#include "parse/parse_util.h"


/* ---- shared -------------------------------------------------------------- */

/* Offset of the first '"' or '\\' in p[0..n), or n: vg_pu_find2 with its
 * two bytes fixed, so that the search's constants are loaded, not built,
 * and the three fields of an access line need no call. */
static inline __attribute__((always_inline)) size_t quote_off(const char *p, size_t n)
{
#ifdef __SSE2__
	if (n >= 16) {
		const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\');
		__m128i x;
		unsigned hit;
		size_t i = 0;
		/* thirty-two bytes a step (user agents run to 100 and more) */
		for (; i + 32 <= n; i += 32) {
			__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
			x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			x = _mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, vb));
			y = _mm_or_si128(_mm_cmpeq_epi8(y, vq), _mm_cmpeq_epi8(y, vb));
			hit = (unsigned)_mm_movemask_epi8(x) | (unsigned)_mm_movemask_epi8(y) << 16;
			if (hit != 0)
				return i + (size_t)__builtin_ctz(hit);
		}
		if (i + 16 <= n) {
			x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			hit = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, vb)));
			if (hit != 0)
				return i + (size_t)__builtin_ctz(hit);
			i += 16;
		}
		if (i == n)
			return n;
		/* the last sixteen bytes, those before i dropped */
		x = _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
		hit = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, vb)));
		hit >>= i + 16 - n;
		return hit != 0 ? i + (size_t)__builtin_ctz(hit) : n;
	}
#endif
	return vg_pu_find2(p, n, '"', '\\');
}

/* The closing quote of a double-quoted field whose text starts at p (just
 * past the opening quote), p <= end: NULL when unterminated. Sets *esc when
 * a backslash escapes a byte of the field (leaves it alone otherwise).
 * Always inlined: the three fields of every access line then share the
 * search's constants and need no call. */
static inline __attribute__((always_inline)) const char *quoted_end(const char *p, const char *end, int *esc)
{
	for (;;) {
		/* to the next quote or backslash */
		p += quote_off(p, (size_t)(end - p));
		if (p >= end)
			return NULL;
		if (*p == '"')
			return p;
		if (p + 1 < end) {
			*esc = 1;
			p++; /* the escaped byte */
		}
		p++;
	}
}

/* A double-quoted field at the cursor; out = the text between the quotes,
 * still escaped; *esc set when it holds a backslash. 0 if unterminated. */
static int take_quoted(vg_pu_cur *c, vg_pu_str *out, int *esc)
{
	if (vg_pu_left(c) == 0 || c->p[0] != '"')
		return 0;
	*esc = 0;
	const char *q = quoted_end(c->p + 1, c->end, esc);
	if (q == NULL)
		return 0;
	out->p = c->p + 1;
	out->n = (size_t)(q - out->p);
	c->p = q + 1;
	return 1;
}

/* Undo \" and \\ (the quoting); other escapes (\xhh, \n) stay as logged, so
 * values stay printable and match what an analyst reads in the file.
 * Out of line: few fields hold a backslash (unescape below). */
static __attribute__((noinline)) vg_pu_str unescape_copy(vg_event *ev, vg_pu_str s)
{
	char *d = vg_arena_alloc(ev->arena, s.n + 1);
	if (d == NULL)
		return s;
	size_t k = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] == '\\' && i + 1 < s.n && (s.p[i + 1] == '"' || s.p[i + 1] == '\\'))
			i++;
		d[k++] = s.p[i];
	}
	d[k] = '\0';
	return (vg_pu_str){d, k};
}

static inline vg_pu_str unescape(vg_event *ev, vg_pu_str s, int esc)
{
	return esc ? unescape_copy(ev, s) : s;
}

/* Add a field: through vg_event_add when b is NULL, else into the batch b
 * (parse_util.h), whose room its parser checked once for all it may add: an
 * access line adds ten fields, and each add is then its stores, not a
 * reload and check of ev->nfields. Always inlined, with b a constant NULL or
 * a local's address, so that the choice and the hash of a literal name fold
 * away. Every value here is a slice of a line of at most VG_MAX_LINE bytes
 * (both parsers check) or an unescaped copy of one: its length fits val_len. */
static inline __attribute__((always_inline)) void put(vg_event *ev, vg_pu_batch *b, const char *name, size_t name_len,
							const char *v, size_t n, enum vg_vtype type)
{
	if (b == NULL)
		(void)vg_event_add(ev, name, name_len, v, (uint32_t)n, type); /* its length check folds */
	else
		vg_pu_batch_put(b, name, name_len, v, (uint32_t)n, type);
}

/* A non-empty string field under a literal name. */
static inline __attribute__((always_inline)) void add_slice_to(vg_event *ev, vg_pu_batch *f, const char *name, vg_pu_str v)
{
	if (v.n != 0)
		put(ev, f, name, __builtin_strlen(name), v.p, v.n, VG_V_STR);
}

static inline __attribute__((always_inline)) void add_slice(vg_event *ev, const char *name, vg_pu_str v)
{
	add_slice_to(ev, NULL, name, v);
}

static int dash(vg_pu_str s)
{
	return s.n == 1 && s.p[0] == '-';
}

/* A byte of an HTTP method as accepted here: A-Z, '-', '_'. */
static inline int method_byte(char ch)
{
	return (unsigned)(unsigned char)ch - 'A' <= 'Z' - 'A' || ch == '-' || ch == '_';
}

/* The last ' ' of r (NULL: none). Most requests end " HTTP/1.1": when the
 * last eight bytes hold no ' ', the one before them is checked first. */
static inline __attribute__((always_inline)) const char *last_space(vg_pu_str r)
{
	if (r.n >= 9 && r.p[r.n - 9] == ' ') {
		uint64_t w, sp = 0x2020202020202020u, ones = 0x0101010101010101u;
		memcpy(&w, r.p + r.n - 8, 8);
		w ^= sp; /* a zero byte where r has a ' ' */
		if (((w - ones) & ~w & 0x8080808080808080u) == 0)
			return r.p + r.n - 9;
	}
	return memrchr(r.p, ' ', r.n);
}

/* vg_pu_find2 of p[0..n) when avail >= n bytes are readable at p: a slice
 * of at most sixteen bytes with sixteen readable (a path or query in the
 * rest of its line) is searched with one load, no loop. */
static inline __attribute__((always_inline)) size_t find2_in(const char *p, size_t n, size_t avail, char a, char b)
{
#ifdef __SSE2__
	if (n <= 16 && avail >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned hit = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(a)), _mm_cmpeq_epi8(x, _mm_set1_epi8(b))));
		hit |= 1u << n; /* n when none of the first n bytes is a or b */
		return (size_t)__builtin_ctz(hit);
	}
#endif
	(void)avail;
	return vg_pu_find2(p, n, a, b);
}

/* "GET /a?b HTTP/1.1" → method, url.original/path/query, http.version.
 * Anything else (scanner garbage, "-") is kept whole as url.original. Adds
 * through f as put does (at most six fields). avail: bytes readable at r.p
 * (r.n at least). */
static inline __attribute__((always_inline)) void add_request(vg_event *ev, vg_pu_batch *f, vg_pu_str r, size_t avail,
							       int set_domain)
{
	vg_pu_str method = {0}, target = r;
	/* A method is 1..32 method bytes followed by the request's first ' ':
	 * the run of method bytes at the start, then a ' '. */
	size_t m = 0, lim = r.n < 33 ? r.n : 33;
	if (r.n > 4 && memcmp(r.p, "GET ", 4) == 0)
		m = 3; /* what the loop finds, in one compare */
	else
		while (m < lim && method_byte(r.p[m]))
			m++;
	if (m != 0 && m <= 32 && m < r.n && r.p[m] == ' ') {
		const char *sp1 = r.p + m, *sp2 = last_space(r);
		method = (vg_pu_str){r.p, m};
		target = (vg_pu_str){sp1 + 1, r.n - m - 1};
		if (sp2 != sp1 && vg_pu_prefix(sp2 + 1, (size_t)(r.p + r.n - sp2 - 1), "HTTP/")) {
			target.n = (size_t)(sp2 - target.p);
			vg_pu_str ver = {sp2 + 6, (size_t)(r.p + r.n - sp2 - 6)};
			add_slice_to(ev, f, "http.version", ver);
		}
	}
	add_slice_to(ev, f, "http.request.method", method);
	add_slice_to(ev, f, "url.original", target);
	if (method.n == 0 || target.n == 0)
		return;
	vg_pu_str path = target;
	size_t scheme = 0;
	if (target.p[0] != '/') {
		/* origin form ("/..."), most targets, needs no scheme compare */
		scheme = vg_pu_prefix(target.p, target.n, "http://") ? 7 : vg_pu_prefix(target.p, target.n, "https://") ? 8 : 0;
		if (scheme == 0)
			return; /* "*", "host:443" (CONNECT): no path */
	}
	if (scheme != 0) {
		/* Absolute form (proxies): the authority is the domain. */
		const char *slash = memchr(target.p + scheme, '/', target.n - scheme);
		vg_pu_str auth = {target.p + scheme, slash ? (size_t)(slash - target.p) - scheme : target.n - scheme};
		if (set_domain)
			add_slice_to(ev, f, "url.domain", auth);
		path.p = auth.p + auth.n;
		path.n = target.n - scheme - auth.n;
	}
	/* The path ends at the first '?' or '#'; the query (after a '?') at the
	 * first '#' after it. */
	size_t left = avail - (size_t)(path.p - r.p); /* readable at path.p */
	size_t i = find2_in(path.p, path.n, left, '?', '#');
	if (i < path.n) {
		if (path.p[i] == '?') {
			vg_pu_str query = {path.p + i + 1, path.n - i - 1};
			query.n = find2_in(query.p, query.n, left - i - 1, '#', '#');
			add_slice_to(ev, f, "url.query", query);
		}
		path.n = i;
	}
	add_slice_to(ev, f, "url.path", path);
}

/* ---- access logs --------------------------------------------------------- */

typedef struct access_parts {
	vg_pu_str vhost, host, user, req, status, bytes, ref, ua;
	size_t host_avail; /* bytes of the record readable from host.p */
	const char *end;   /* the end of the record */
	int req_esc, ref_esc, ua_esc, has_vhost;
	int64_t ts;
} access_parts;

/* " DDD" (status) at p, followed by ' ' or the end e: what follows a
 * request's closing quote. */
static inline __attribute__((always_inline)) int status_follows(const char *p, const char *e)
{
	size_t left = (size_t)(e - p);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (left >= 8) {
		/* " DDD " in the first five bytes of one word: after the xor the
		 * blanks are zero and the digits 0..9 (high nibble 0, and still
		 * so with 6 added, as in vg_pu_digits_word) */
		uint64_t w;
		memcpy(&w, p, 8);
		w = (w ^ 0x2030303020u) & 0xffffffffffu;
		return (w & 0xff000000ffu) == 0 && (w & 0xf0f0f000u) == 0 && ((w + 0x06060600u) & 0xf0f0f000u) == 0;
	}
#endif
	return left >= 4 && p[0] == ' ' && (unsigned)(unsigned char)p[1] - '0' <= 9 &&
	       (unsigned)(unsigned char)p[2] - '0' <= 9 && (unsigned)(unsigned char)p[3] - '0' <= 9 &&
	       (left == 4 || p[4] == ' ');
}

/* Length of the run of ASCII digits at p[0..n), as vg_pu_ndigits: a byte
 * count (mostly under eight digits) in one step of eight bytes. A byte b is
 * a digit when t = b ^ '0' is below 10: bit 7 of (t & 0x7f) + 0x76 (no carry
 * out of the byte) or of t itself is set for every other byte. */
static inline __attribute__((always_inline)) size_t digits_off(const char *p, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n >= 8) {
		uint64_t x, other;
		memcpy(&x, p, 8);
		x ^= 0x3030303030303030u;
		other = (((x & 0x7f7f7f7f7f7f7f7fu) + 0x7676767676767676u) | x) & 0x8080808080808080u;
		if (other != 0)
			return (size_t)__builtin_ctzll(other) / 8;
	}
#endif
	return vg_pu_ndigits(p, n);
}

/* Two and four bytes at p as a little-endian number (one load, one compare
 * for the separators between an access line's fields). */
static inline uint32_t load16(const char *p)
{
	return (uint32_t)(unsigned char)p[0] | (uint32_t)(unsigned char)p[1] << 8;
}
static inline uint32_t load32(const char *p)
{
	return load16(p) | load16(p + 2) << 16;
}

/* Split an access line; 0 when it is not one. Reads only p[0..n). One pass
 * with plain pointers (no cursor in memory): this runs on every line.
 * Inlined in the parser, whose parts then stay in registers. */
static inline __attribute__((always_inline)) int scan_access(const char *p, size_t n, access_parts *a, vg_time_cache *tc)
{
	if (n == 0)
		return 0;
	const char *e = p + n, *q;
	vg_pu_str tok[4];
	size_t k = 0, t;
	/* Most lines: "host - - [", settled with one search and one compare;
	 * the loop below reads them the same way. */
	if (*p != '[' && (t = vg_pu_blank_off(p, n)) != 0 && n - t > 6 && memcmp(p + t, " - - [", 6) == 0) {
		tok[0] = (vg_pu_str){p, t};
		tok[2] = (vg_pu_str){p + t + 3, 1};
		k = 3;
		p += t + 5;
	}
	/* three or four blank-separated words before the '[' of the time */
	while (k < 4 && p < e && *p != '[') {
		if ((t = vg_pu_blank_off(p, (size_t)(e - p))) == 0)
			return 0;
		tok[k++] = (vg_pu_str){p, t};
		p += t;
		if (p == e)
			return 0; /* no blank after the word */
		p++; /* the blank that ended it */
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
	}
	if (k == 3) {
		a->has_vhost = 0;
		a->host = tok[0];
		a->host_avail = (size_t)(e - tok[0].p);
		a->user = tok[2];
	} else if (k == 4) {
		a->has_vhost = 1;
		a->vhost = tok[0];
		a->host = tok[1];
		a->host_avail = (size_t)(e - tok[1].p);
		a->user = tok[3];
	} else {
		return 0;
	}
	if (p == e || *p != '[')
		return 0;
	p++;
	if ((t = tc != NULL ? vg_time_clf_cached(tc, p, (size_t)(e - p), &a->ts) : vg_time_clf(p, (size_t)(e - p), &a->ts)) == 0)
		return 0;
	p += t;
	/* "] \"" and a byte at least (with none, the request could not end) */
	if (e - p < 4 || (load32(p) & 0xffffffu) != ('"' << 16 | ' ' << 8 | ']'))
		return 0;
	const char *open = p + 2;
	a->req_esc = 0;
	if ((q = quoted_end(open + 1, e, &a->req_esc)) == NULL || !status_follows(q + 1, e)) {
		/* Loggers that do not escape quotes: the request ends at the first
		 * '"' followed by " <3-digit status> ". */
		for (p = open + 1;; p = q + 1) {
			if ((q = memchr(p, '"', (size_t)(e - p))) == NULL)
				return 0;
			if (status_follows(q + 1, e))
				break;
		}
		a->req_esc = 0;
	}
	a->req = (vg_pu_str){open + 1, (size_t)(q - open - 1)};
	a->end = e;
	/* q + 1: " DDD" then ' ' or the end */
	a->status = (vg_pu_str){q + 2, 3};
	p = q + 5;
	if (p == e || *p != ' ')
		return 0;
	p++;
	/* bytes: digits or "-", up to a blank or the end (a word with any
	 * other byte is not a byte count) */
	t = digits_off(p, (size_t)(e - p));
	if (t == 0 && p < e && *p == '-')
		t = 1;
	if (t == 0 || (p + t < e && p[t] != ' ' && p[t] != '\t'))
		return 0;
	a->bytes = (vg_pu_str){p, t};
	p += t;
	/* combined: "referrer" "user-agent"; extra trailing fields are ignored. */
	a->ref.n = a->ua.n = 0;
	a->ref_esc = a->ua_esc = 0;
	if (e - p >= 4 && load32(p) == ((uint32_t)'"' << 24 | '-' << 16 | '"' << 8 | ' '))
		q = p + 3; /* " \"-\"": no referrer (many lines), found without a search */
	else if (e - p < 2 || load16(p) != ('"' << 8 | ' ') || (q = quoted_end(p + 2, e, &a->ref_esc)) == NULL)
		return 1;
	a->ref = (vg_pu_str){p + 2, (size_t)(q - p - 2)};
	p = q + 1;
	if (e - p < 2 || load16(p) != ('"' << 8 | ' ') || (q = quoted_end(p + 2, e, &a->ua_esc)) == NULL)
		return 1;
	a->ua = (vg_pu_str){p + 2, (size_t)(q - p - 2)};
	return 1;
}

static int access_probe(const char *line, size_t n)
{
	access_parts a;
	return scan_access(line, vg_pu_chomp(line, n), &a, NULL) ? 90 : 0;
}

/* The fields of a split access line, added through f as put does: at most
 * ACCESS_FIELDS (host, user, port, domain, six of the request, status,
 * bytes, referrer, user agent). */
#define ACCESS_FIELDS 14
static inline __attribute__((always_inline)) void access_fields(vg_event *ev, vg_pu_batch *f, const access_parts *a)
{
	/* as vg_pu_add_host (the host is not empty); the host starts the
	 * record, so the rest of the line is readable past it (a dotted quad is
	 * then checked in place, inline) */
	if (vg_pu_is_ip_in(a->host.p, a->host.n, a->host_avail))
		add_slice_to(ev, f, "source.ip", a->host);
	else
		add_slice_to(ev, f, "source.domain", a->host);
	if (!dash(a->user))
		add_slice_to(ev, f, "user.name", a->user);
	if (a->has_vhost) {
		/* "%v:%p" */
		const char *colon = vg_pu_rfind(a->vhost.p, a->vhost.n, VG_PU_LIT(":"));
		size_t dn = a->vhost.n;
		if (colon != NULL) {
			vg_pu_str port = {colon + 1, (size_t)(a->vhost.p + a->vhost.n - colon - 1)};
			/* a number as vg_pu_add_num would add it */
			if (port.n != 0 && port.n <= 20 && vg_pu_all_digits(port.p, port.n)) {
				put(ev, f, VG_PU_LIT("destination.port"), port.p, port.n, VG_V_NUM);
				dn = (size_t)(colon - a->vhost.p);
			}
		}
		add_slice_to(ev, f, "url.domain", (vg_pu_str){a->vhost.p, dn});
	}
	/* readable past the request: the rest of the line, or (an unescaped
	 * copy) its own bytes */
	vg_pu_str req = unescape(ev, a->req, a->req_esc);
	add_request(ev, f, req, req.p == a->req.p ? (size_t)(a->end - req.p) : req.n, !a->has_vhost);
	/* three digits (scan_access): a number as vg_pu_add_num would add it */
	put(ev, f, VG_PU_LIT("http.response.status_code"), a->status.p, a->status.n, VG_V_NUM);
	/* digits or "-" (scan_access): a number as vg_pu_add_num would add it */
	if (!dash(a->bytes) && a->bytes.n <= 20)
		put(ev, f, VG_PU_LIT("http.response.body.bytes"), a->bytes.p, a->bytes.n, VG_V_NUM);
	if (a->ref.n != 0 && !dash(a->ref))
		add_slice_to(ev, f, "http.request.referrer", unescape(ev, a->ref, a->ref_esc));
	if (a->ua.n != 0 && !dash(a->ua))
		add_slice_to(ev, f, "user_agent.original", unescape(ev, a->ua, a->ua_esc));
}

/* access_fields through vg_event_add: an event without room for all (out of
 * line, so as not to weigh on the parser's inlining). */
static __attribute__((noinline)) void access_fields_checked(vg_event *ev, const access_parts *a)
{
	access_fields(ev, NULL, a);
}

static int access_parse(vg_event *ev)
{
	access_parts a;
	size_t n = vg_pu_chomp(ev->raw, ev->raw_len);
	/* expected to split: else the compiler, counting the early returns of
	 * scan_access, takes the fields' code for cold and calls its helpers */
	if (__builtin_expect(n > VG_MAX_LINE || !scan_access(ev->raw, n, &a, &ev->clf_time), 0))
		return VG_EPARSE;
	ev->ts_us = a.ts;
	ev->layer = VG_LAYER_APPLICATION;
	ev->product = 0;
	ev->service = 0;
	ev->category = VG_CATEGORY_WEBSERVER;
	vg_pu_batch b = vg_pu_batch_begin(ev);
	if (vg_pu_batch_room(&b, ACCESS_FIELDS)) {
		/* room for all: straight in (put) */
		access_fields(ev, &b, &a);
		vg_pu_batch_end(ev, b);
	} else {
		access_fields_checked(ev, &a);
	}
	return 0;
}

const vg_parser vg_parser_apache_access = {
	.name = "apache_access",
	.description = "Apache/Nginx access logs: common, combined, vhost_combined",
	.framing = VG_FRAME_LINE,
	.probe = access_probe,
	.parse = access_parse,
};

/* ---- error logs ---------------------------------------------------------- */

/* "[Wed Oct 11 14:32:52.123456 2017] [": the Apache error log stamp. */
static size_t apache_stamp(const char *p, size_t n, int64_t *us, vg_time_cache *tc)
{
	if (n < 2 || p[0] != '[')
		return 0;
	size_t t = tc != NULL ? vg_time_ctime_cached(tc, p + 1, n - 1, us) : vg_time_ctime(p + 1, n - 1, us);
	if (t == 0 || 1 + t + 2 >= n || p[1 + t] != ']' || p[2 + t] != ' ' || p[3 + t] != '[')
		return 0;
	return 1 + t + 1;
}

/* "2024/01/02 03:04:05 [": the Nginx error log stamp (local time, no zone;
 * read as UTC). */
static size_t nginx_stamp(const char *p, size_t n, int64_t *us)
{
	char iso[19];
	if (n < 22 || p[4] != '/' || p[7] != '/' || p[10] != ' ' || p[19] != ' ' || p[20] != '[')
		return 0;
	memcpy(iso, p, 19);
	iso[4] = iso[7] = '-';
	if (vg_time_rfc3339(iso, sizeof(iso), us) != sizeof(iso))
		return 0;
	return 19;
}

/* "[client 1.2.3.4:5678]" (2.4) or "[client 1.2.3.4]" (2.2). */
static void add_client(vg_event *ev, vg_pu_str a, int with_port)
{
	const char *colon = vg_pu_rfind(a.p, a.n, VG_PU_LIT(":"));
	if (colon != NULL && (with_port || !vg_pu_is_ip(a.p, a.n))) {
		vg_pu_str ip = {a.p, (size_t)(colon - a.p)}, port = {colon + 1, (size_t)(a.p + a.n - colon - 1)};
		if (port.n != 0 && vg_pu_ndigits(port.p, port.n) == port.n && vg_pu_is_ip(ip.p, ip.n)) {
			(void)vg_event_add_str(ev, "source.ip", ip.p, ip.n);
			(void)vg_pu_add_num(ev, "source.port", port.p, port.n);
			return;
		}
	}
	(void)vg_pu_add_host(ev, "source.ip", "source.domain", a.p, a.n);
}

/* "AH00124: msg" → error.code; "..., referer: URL" → http.request.referrer. */
static void add_message(vg_event *ev, vg_pu_str msg)
{
	add_slice(ev, "message", msg);
	if (msg.n >= 8 && msg.p[0] == 'A' && msg.p[1] == 'H' && vg_pu_ndigits(msg.p + 2, 5) == 5 && msg.p[7] == ':')
		(void)vg_event_add_str(ev, "error.code", msg.p, 7);
	const char *r = vg_pu_rfind(msg.p, msg.n, VG_PU_LIT(", referer: "));
	if (r != NULL)
		add_slice(ev, "http.request.referrer", (vg_pu_str){r + 11, (size_t)(msg.p + msg.n - r - 11)});
}

static int apache_error(vg_event *ev, vg_pu_cur c)
{
	vg_pu_str g;
	int v24 = 0;
	/* First group: "[error]" (2.2) or "[core:error]" (2.4). */
	if (!vg_pu_lit(&c, "[") || !vg_pu_upto(&c, "]", &g) || g.n == 0 || g.n > 64 || memchr(g.p, ' ', g.n) != NULL)
		return VG_EPARSE;
	const char *colon = vg_pu_rfind(g.p, g.n, VG_PU_LIT(":"));
	if (colon != NULL) {
		v24 = 1;
		add_slice(ev, "log.logger", (vg_pu_str){g.p, (size_t)(colon - g.p)});
		g = (vg_pu_str){colon + 1, (size_t)(g.p + g.n - colon - 1)};
	}
	add_slice(ev, "log.level", g);
	for (;;) {
		vg_pu_cur save = c;
		vg_pu_blanks(&c);
		if (vg_pu_lit(&c, "[pid ") && vg_pu_upto(&c, "]", &g)) {
			/* "[pid 1234]" or "[pid 1234:tid 5678]" */
			const char *tid = vg_pu_find(g.p, g.n, VG_PU_LIT(":tid "));
			size_t pn = tid != NULL ? (size_t)(tid - g.p) : g.n;
			(void)vg_pu_add_num(ev, "process.pid", g.p, pn);
			if (tid != NULL)
				(void)vg_pu_add_num(ev, "process.thread.id", tid + 5, (size_t)(g.p + g.n - tid - 5));
			v24 = 1;
		} else if (vg_pu_lit(&c, "[client ") && vg_pu_upto(&c, "]", &g)) {
			add_client(ev, g, v24);
		} else {
			c = save;
			break;
		}
	}
	vg_pu_blanks(&c);
	add_message(ev, vg_pu_rest(&c));
	ev->product = VG_PRODUCT_APACHE;
	ev->service = VG_SERVICE_APACHE;
	return 0;
}

/* "[error] 1234#0: *5 msg, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"" */
static int nginx_error(vg_event *ev, vg_pu_cur c)
{
	vg_pu_str level, pid, tid;
	if (!vg_pu_lit(&c, "[") || !vg_pu_upto(&c, "] ", &level) || level.n == 0 || level.n > 16 ||
	    !vg_pu_upto(&c, "#", &pid) || pid.n == 0 || vg_pu_ndigits(pid.p, pid.n) != pid.n || !vg_pu_upto(&c, ": ", &tid) ||
	    tid.n == 0 || vg_pu_ndigits(tid.p, tid.n) != tid.n)
		return VG_EPARSE;
	add_slice(ev, "log.level", level);
	(void)vg_pu_add_num(ev, "process.pid", pid.p, pid.n);
	(void)vg_pu_add_num(ev, "process.thread.id", tid.p, tid.n);
	if (vg_pu_left(&c) > 1 && c.p[0] == '*') {
		/* "*5 ": the connection serial, not part of the message */
		size_t d = vg_pu_ndigits(c.p + 1, vg_pu_left(&c) - 1);
		if (d != 0 && 1 + d < vg_pu_left(&c) && c.p[1 + d] == ' ')
			c.p += d + 2;
	}
	vg_pu_str rest = vg_pu_rest(&c), msg = rest;
	const char *ctx = vg_pu_find(rest.p, rest.n, VG_PU_LIT(", client: "));
	if (ctx != NULL)
		msg.n = (size_t)(ctx - rest.p);
	add_slice(ev, "message", msg);
	ev->product = VG_PRODUCT_NGINX;
	ev->service = VG_SERVICE_NGINX;
	if (ctx == NULL)
		return 0;
	/* ", key: value" pairs; quoted values may contain ", ". */
	c = vg_pu_cur_make(ctx + 2, (size_t)(rest.p + rest.n - ctx - 2));
	while (vg_pu_left(&c) != 0) {
		vg_pu_str key, val;
		int esc = 0;
		if (!vg_pu_upto(&c, ": ", &key))
			break;
		if (vg_pu_left(&c) != 0 && c.p[0] == '"') {
			if (!take_quoted(&c, &val, &esc))
				break;
		} else if (!vg_pu_upto(&c, ", ", &val)) {
			val = vg_pu_rest(&c);
			c.p = c.end;
		} else {
			c.p -= 2;
		}
		if (vg_pu_eq(key.p, key.n, "client")) {
			(void)vg_pu_add_host(ev, "source.ip", "source.domain", val.p, val.n);
		} else if (vg_pu_eq(key.p, key.n, "server")) {
			add_slice(ev, "url.domain", val);
		} else if (vg_pu_eq(key.p, key.n, "request")) {
			vg_pu_str req = unescape(ev, val, esc);
			add_request(ev, NULL, req, req.n, 0);
		} else if (vg_pu_eq(key.p, key.n, "referrer")) {
			add_slice(ev, "http.request.referrer", unescape(ev, val, esc));
		}
		if (!vg_pu_lit(&c, ", "))
			break;
	}
	return 0;
}

static int error_probe(const char *line, size_t n)
{
	int64_t us;
	size_t t;
	n = vg_pu_chomp(line, n);
	if (apache_stamp(line, n, &us, NULL) != 0)
		return 90;
	if ((t = nginx_stamp(line, n, &us)) != 0) {
		const char *rb = memchr(line + t, ']', n - t);
		if (rb != NULL && rb + 2 < line + n && rb[1] == ' ' && rb[2] >= '0' && rb[2] <= '9')
			return 90;
	}
	return 0;
}

static int error_parse(vg_event *ev)
{
	int64_t us;
	size_t t, n = vg_pu_chomp(ev->raw, ev->raw_len);
	if (n > VG_MAX_LINE)
		return VG_EPARSE;
	int r;
	if ((t = apache_stamp(ev->raw, n, &us, &ev->ctime_time)) != 0) {
		vg_pu_cur c = vg_pu_cur_make(ev->raw + t, n - t);
		vg_pu_blanks(&c);
		r = apache_error(ev, c);
	} else if ((t = nginx_stamp(ev->raw, n, &us)) != 0) {
		vg_pu_cur c = vg_pu_cur_make(ev->raw + t + 1, n - t - 1);
		r = nginx_error(ev, c);
	} else {
		return VG_EPARSE;
	}
	if (r != 0)
		return r;
	ev->ts_us = us;
	ev->layer = VG_LAYER_APPLICATION;
	ev->category = 0;
	return 0;
}

const vg_parser vg_parser_apache_error = {
	.name = "apache_error",
	.description = "Apache 2.2/2.4 and Nginx error logs",
	.framing = VG_FRAME_LINE,
	.probe = error_probe,
	.parse = error_parse,
};
