/* parse_syslog.c — the "syslog" parser: RFC 3164 (BSD) and RFC 5424 lines,
 * optional <PRI>, into host/process/message fields; the per-program
 * structured extraction (sshd, sudo, firewall...) is parse_syslog_apps.c. */
#include <string.h>
#include <time.h>

#include "core/limits.h"
#include "core/logsource.h"
#include "core/timeparse.h"
#include "parse/parse.h"
#include "parse/parse_syslog_apps.h"
#include "parse/parse_util.h"

#define MAX_TAG 128 /* bytes of a 3164 TAG we accept as one (RFC says 32) */

/* "<PRI>": 1-3 digits, value <= 191. Returns PRI or -1 (cursor unchanged). */
static int take_pri(vg_pu_cur *c)
{
	uint64_t v;
	if (vg_pu_left(c) < 3 || c->p[0] != '<')
		return -1;
	size_t d = vg_pu_ndigits(c->p + 1, vg_pu_left(c) - 1);
	if (d == 0 || d > 3 || 1 + d >= vg_pu_left(c) || c->p[1 + d] != '>' || !vg_pu_uint(c->p + 1, d, 191, &v))
		return -1;
	c->p += d + 2;
	return (int)v;
}

static int year_for(const vg_event *ev)
{
	if (ev->year_hint > 0)
		return ev->year_hint;
	/* No hint: the current UTC year (RFC 3164 stamps carry none). */
	return vg_year_of((int64_t)time(NULL) * 1000000);
}

/* A 3164 timestamp ("Jun 14 15:16:01") or an RFC 3339 one as rsyslog writes
 * with its high-precision template, followed by a blank or the end: its
 * length, 0 when there is none. (A slice, not the cursor: the caller's
 * cursor then stays in registers.) */
static size_t take_time(const char *p, size_t left, int year, int64_t *us, vg_time_cache *tc)
{
	size_t n = tc != NULL ? vg_time_bsd_cached(tc, p, left, year, us) : vg_time_bsd(p, left, year, us);
	if (n == 0)
		n = vg_time_rfc3339(p, left, us);
	if (n == 0 || (n < left && p[n] != ' ' && p[n] != '\t'))
		return 0;
	return n;
}

typedef struct tag_parts {
	vg_pu_str name, prog, module, pid;
} tag_parts;

/* "sshd[123]:", "kernel:", "sshd(pam_unix)[19939]:", "/usr/sbin/cron[9]:".
 * 1 and *out set (parts absent empty) when t (a blank-free token) is a TAG
 * followed by ':', else 0 and *out untouched. */
static int split_tag_rest(vg_pu_str t, size_t avail, tag_parts *out);

/* Whether t may be a TAG: the check before split_tag_rest, inline (the
 * first word of most lines is a host name, not a TAG). */
static inline int tag_candidate(vg_pu_str t)
{
	return t.n >= 2 && t.n <= MAX_TAG && t.p[t.n - 1] == ':';
}

/* avail: bytes readable from t.p (t.n or more: the rest of the record). */
static inline int split_tag(vg_pu_str t, size_t avail, tag_parts *out)
{
	return tag_candidate(t) && split_tag_rest(t, avail, out);
}

/* The bytes of a TAG that matter, as bit masks over p[0..n): bad (a control
 * byte, a blank or ':'), '[', '(' and '/'. */
typedef struct tag_bits {
	unsigned bad, lb, lp, slash;
} tag_bits;

#ifdef __SSE2__
/* The masks of the sixteen bytes at p. */
static inline void tag_bits16(const char *p, tag_bits *b)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	/* x <= 0x20 unsigned: min(x, 0x20) == x */
	__m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x);
	__m128i colon = _mm_cmpeq_epi8(x, _mm_set1_epi8(':'));
	b->bad = (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, colon));
	b->lb = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('[')));
	b->lp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('(')));
	b->slash = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')));
}
#endif

/* The masks of p[0..n) with n <= 32 in one sixteen-byte step or two (the
 * second one ending at n, overlapping the first), when the target has SSE2
 * and sixteen bytes are readable: 1, else 0. Two steps cover the long tags
 * of PAM's old style, "sshd(pam_unix)[19939]:". */
static inline int tag_scan32(const char *p, size_t n, size_t avail, tag_bits *b)
{
#ifdef __SSE2__
	if (n <= 32 && avail >= 16) {
		unsigned keep = (unsigned)(((uint64_t)1 << n) - 1);
		tag_bits16(p, b);
		if (n > 16) {
			tag_bits hi;
			unsigned sh = (unsigned)n - 16;
			tag_bits16(p + n - 16, &hi);
			b->bad |= hi.bad << sh;
			b->lb |= hi.lb << sh;
			b->lp |= hi.lp << sh;
			b->slash |= hi.slash << sh;
		}
		b->bad &= keep;
		b->lb &= keep;
		b->lp &= keep;
		b->slash &= keep;
		return 1;
	}
#endif
	(void)p;
	(void)n;
	(void)avail;
	(void)b;
	return 0;
}

/* Flags of the eight bytes of x: high bit of a byte set when the byte is a
 * control byte, a blank or ':' (exact as a whole: the lowest flagged byte is
 * a real one), and in *slash when one may be a '/'. */
static inline uint64_t tag_word(uint64_t x, uint64_t *slash)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t co = x ^ (ones * ':'), sl = x ^ (ones * '/');
	*slash |= ((sl - ones) & ~sl) & highs;
	return (((x - ones * 0x21) & ~x) | ((co - ones) & ~co)) & highs;
}

/* The same for any length, eight bytes at a time; b->lb and b->lp are left 0
 * (the caller looks for '[' and '(' when it needs them). 0 when there is a
 * bad byte. */
static int tag_scan_words(const char *p, size_t n, tag_bits *b)
{
	uint64_t x, slash = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		if (tag_word(x, &slash) != 0)
			return 0;
	}
	if (i < n && n >= 8) {
		/* the rest as one word that overlaps the last one checked */
		memcpy(&x, p + n - 8, 8);
		if (tag_word(x, &slash) != 0)
			return 0;
		i = n;
	}
	for (; i < n; i++) {
		if ((unsigned char)p[i] < 0x21 || p[i] == ':')
			return 0;
		slash |= p[i] == '/';
	}
	b->bad = 0;
	b->lb = 0;
	b->lp = 0;
	b->slash = slash != 0;
	return 1;
}

static inline __attribute__((always_inline)) int split_tag_body(vg_pu_str t, size_t avail, tag_parts *out)
{
	vg_pu_str s = {t.p, t.n - 1};
	tag_bits b;
	/* No control byte, blank or ':' (this runs on every line) */
	int fast = tag_scan32(s.p, s.n, avail, &b);
	if (fast ? b.bad != 0 : !tag_scan_words(s.p, s.n, &b))
		return 0;
	vg_pu_str pid = {0}, module = {0};
	if (s.p[s.n - 1] == ']') {
		/* the first '[' */
		const char *lb = fast ? (b.lb != 0 ? s.p + __builtin_ctz(b.lb) : NULL) : memchr(s.p, '[', s.n);
		if (lb == NULL || lb == s.p)
			return 0;
		pid = (vg_pu_str){lb + 1, (size_t)(s.p + s.n - 1 - (lb + 1))};
		s.n = (size_t)(lb - s.p);
	}
	out->name = s;
	out->pid = pid;
	if (s.n > 2 && s.p[s.n - 1] == ')') {
		/* the first '(' (before the '[' of the pid, if any) */
		const char *lp;
		if (fast) {
			uint64_t lps = b.lp & (((uint64_t)1 << s.n) - 1); /* s.n < 32 here */
			lp = lps != 0 ? s.p + __builtin_ctzll(lps) : NULL;
		} else {
			lp = memchr(s.p, '(', s.n);
		}
		if (lp != NULL && lp != s.p) {
			module = (vg_pu_str){lp + 1, (size_t)(s.p + s.n - 1 - (lp + 1))};
			s.n = (size_t)(lp - s.p);
		}
	}
	out->module = module;
	for (size_t k = s.n; b.slash != 0 && k-- > 0;) {
		if (s.p[k] == '/') {
			/* a trailing '/' keeps the whole name */
			if (k + 1 < s.n) {
				s.p += k + 1;
				s.n -= k + 1;
			}
			break;
		}
	}
	out->prog = s;
	return 1; /* a name cut at '[', '(' or '/' keeps a byte at least */
}

/* Out of line for the probe; parse_3164 inlines the body at its one call
 * (a TAG on every line: no call, and the parts stay in registers). */
static int split_tag_rest(vg_pu_str t, size_t avail, tag_parts *out)
{
	return split_tag_body(t, avail, out);
}

static void add_pri(vg_event *ev, int pri)
{
	if (pri < 0)
		return;
	(void)vg_pu_add_uint(ev, "log.syslog.facility.code", (uint64_t)pri >> 3);
	(void)vg_pu_add_uint(ev, "log.syslog.severity.code", (uint64_t)pri & 7);
}

/* Ends the caller's batch of fields (begun after any PRI fields) with the
 * message, then the per-program fields. */
static inline __attribute__((always_inline)) void finish(vg_event *ev, vg_pu_batch b, vg_pu_str prog,
							 vg_pu_str module, vg_pu_str msg)
{
	if (msg.n != 0)
		vg_pu_batch_str(ev, &b, "message", msg);
	vg_pu_batch_end(ev, b);
	ev->product = VG_PRODUCT_LINUX;
	ev->layer = VG_LAYER_HOST;
	vg_syslog_msg m = {prog, module, msg};
	vg_syslog_apps_apply(ev, &m);
}

/* ---- RFC 3164 ------------------------------------------------------------ */

/* vg_pu_blanks for the blanks around the header's words: mostly one ' '
 * before a word, settled without the loop. */
static inline __attribute__((always_inline)) void blanks(vg_pu_cur *c)
{
	if (vg_pu_left(c) >= 2 && c->p[0] == ' ' && (unsigned char)c->p[1] > ' ') {
		c->p++;
		return;
	}
	vg_pu_blanks(c);
}

static int parse_3164(vg_event *ev, vg_pu_cur c, int pri)
{
	int64_t us;
	tag_parts tp = {0};
	vg_pu_str t, host = {0};

	size_t tn = take_time(c.p, vg_pu_left(&c), year_for(ev), &us, &ev->bsd_time);
	if (tn != 0) {
		ev->ts_us = us;
		c.p += tn;
	} else if (pri < 0) {
		return VG_EPARSE; /* neither PRI nor timestamp: not syslog */
	}
	blanks(&c);

	/* HOSTNAME is absent in messages written to /dev/log and some relays:
	 * a first word that is a TAG ("sshd[1]:") means no hostname. The TAG
	 * is the first or the second word: one place that splits it, for
	 * split_tag_body to be inlined once. */
	for (int w = 0;; w++) {
		vg_pu_cur save = c;
		vg_pu_token(&c, &t);
		if (tag_candidate(t) && split_tag_body(t, (size_t)(c.end - t.p), &tp))
			break;
		if (w == 1) {
			c = save;
			break;
		}
		if (ev->ts_us != VG_TS_NONE)
			host = t;
		else
			c = save;
		blanks(&c);
	}
	blanks(&c);

	add_pri(ev, pri);
	/* the header's fields and the message: one batch (see vg_pu_batch) */
	vg_pu_batch b = vg_pu_batch_begin(ev);
	if (host.n != 0)
		vg_pu_batch_str(ev, &b, "host.hostname", host);
	if (tp.prog.n != 0) {
		vg_pu_batch_str(ev, &b, "process.name", tp.prog);
		if (tp.name.p != tp.prog.p && tp.name.p[0] == '/')
			vg_pu_batch_str(ev, &b, "process.executable",
					(vg_pu_str){tp.name.p, (size_t)(tp.prog.p + tp.prog.n - tp.name.p)});
		/* as vg_pu_add_num: 1..20 digits */
		if (tp.pid.n != 0 && tp.pid.n <= 20 && vg_pu_all_digits(tp.pid.p, tp.pid.n))
			vg_pu_batch_add(ev, &b, VG_PU_LIT("process.pid"), tp.pid.p, (uint32_t)tp.pid.n, VG_V_NUM);
	}
	finish(ev, b, tp.prog, tp.module, vg_pu_rest(&c));
	return 0;
}

/* ---- RFC 5424 ------------------------------------------------------------ */

/* SD-NAME: printable US-ASCII except '=', ' ', ']', '"' (1..32 bytes). */
static size_t sd_name(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && i < 32 && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f && p[i] != '=' && p[i] != ']' && p[i] != '"')
		i++;
	return i;
}

/* Add log.syslog.structured_data.<id>.<name> = value, undoing \" \\ \] escapes. */
static void add_sd_param(vg_event *ev, vg_pu_str id, vg_pu_str name, const char *v, size_t vn, int escaped)
{
	static const char pre[] = "log.syslog.structured_data.";
	size_t fn = sizeof(pre) - 1 + id.n + 1 + name.n;
	if (fn > VG_MAX_FIELD_NAME) {
		ev->dropped++;
		return;
	}
	char *f = vg_arena_alloc(ev->arena, fn);
	if (f == NULL) {
		ev->dropped++;
		return;
	}
	memcpy(f, pre, sizeof(pre) - 1);
	memcpy(f + sizeof(pre) - 1, id.p, id.n);
	f[sizeof(pre) - 1 + id.n] = '.';
	memcpy(f + sizeof(pre) + id.n, name.p, name.n);
	if (!escaped) {
		(void)vg_event_add(ev, f, fn, v, vn, VG_V_STR);
		return;
	}
	char *d = vg_arena_alloc(ev->arena, vn + 1);
	if (d == NULL) {
		ev->dropped++;
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < vn; i++) {
		if (v[i] == '\\' && i + 1 < vn && (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == ']'))
			i++;
		d[k++] = v[i];
	}
	d[k] = '\0';
	(void)vg_event_add(ev, f, fn, d, k, VG_V_STR);
}

/* STRUCTURED-DATA at the cursor: "-" or one or more "[id k="v" ...]".
 * Adds the params; 0 on success with the cursor after the SD. */
static int parse_sd(vg_event *ev, vg_pu_cur *c)
{
	if (vg_pu_lit(c, "-"))
		return 0;
	const char *start = c->p;
	if (vg_pu_left(c) == 0 || c->p[0] != '[')
		return VG_EPARSE;
	while (vg_pu_left(c) != 0 && c->p[0] == '[') {
		c->p++;
		vg_pu_str id = {c->p, sd_name(c->p, vg_pu_left(c))};
		if (id.n == 0)
			return VG_EPARSE;
		c->p += id.n;
		for (;;) {
			if (vg_pu_lit(c, "]"))
				break;
			if (!vg_pu_lit(c, " "))
				return VG_EPARSE;
			vg_pu_str name = {c->p, sd_name(c->p, vg_pu_left(c))};
			if (name.n == 0)
				return VG_EPARSE;
			c->p += name.n;
			if (!vg_pu_lit(c, "=\""))
				return VG_EPARSE;
			const char *v = c->p;
			int escaped = 0;
			while (c->p < c->end && *c->p != '"') {
				if (*c->p == '\\' && c->p + 1 < c->end) {
					escaped = 1;
					c->p++;
				}
				c->p++;
			}
			if (c->p >= c->end)
				return VG_EPARSE;
			add_sd_param(ev, id, name, v, (size_t)(c->p - v), escaped);
			c->p++; /* closing quote */
		}
	}
	(void)vg_event_add_str(ev, "log.syslog.structured_data", start, (size_t)(c->p - start));
	return 0;
}

static int nil(vg_pu_str s)
{
	return s.n == 1 && s.p[0] == '-';
}

/* Out of line: a 5424 line needs a PRI (rare), and the BSD path of
 * syslog_parse then keeps its registers. */
static __attribute__((noinline)) int parse_5424(vg_event *ev, vg_pu_cur c, int pri)
{
	vg_pu_str ver, ts, host, app, procid, msgid;
	int64_t us;
	/* VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD */
	if (!vg_pu_token(&c, &ver) || ver.n > 2 || vg_pu_ndigits(ver.p, ver.n) != ver.n || ver.p[0] == '0' ||
	    !vg_pu_lit(&c, " ") || !vg_pu_token(&c, &ts) || !vg_pu_lit(&c, " ") || !vg_pu_token(&c, &host) ||
	    !vg_pu_lit(&c, " ") || !vg_pu_token(&c, &app) || !vg_pu_lit(&c, " ") || !vg_pu_token(&c, &procid) ||
	    !vg_pu_lit(&c, " ") || !vg_pu_token(&c, &msgid) || !vg_pu_lit(&c, " "))
		return VG_EPARSE;
	if (!nil(ts)) {
		if (vg_time_rfc3339(ts.p, ts.n, &us) != ts.n)
			return VG_EPARSE;
		ev->ts_us = us;
	}
	add_pri(ev, pri);
	(void)vg_event_add_str(ev, "log.syslog.version", ver.p, ver.n);
	if (!nil(host))
		(void)vg_event_add_str(ev, "host.hostname", host.p, host.n);
	vg_pu_str prog = {0}, module = {0};
	if (!nil(app)) {
		(void)vg_event_add_str(ev, "process.name", app.p, app.n);
		prog = app;
	}
	if (!nil(procid) && vg_pu_add_num(ev, "process.pid", procid.p, procid.n) != 0)
		(void)vg_event_add_str(ev, "log.syslog.procid", procid.p, procid.n);
	if (!nil(msgid))
		(void)vg_event_add_str(ev, "log.syslog.msgid", msgid.p, msgid.n);
	if (parse_sd(ev, &c) != 0)
		return VG_EPARSE;
	vg_pu_str msg = {c.p, 0};
	if (vg_pu_lit(&c, " ")) {
		(void)vg_pu_lit(&c, "\xEF\xBB\xBF"); /* BOM: the MSG is UTF-8 */
		msg = vg_pu_rest(&c);
	} else if (vg_pu_left(&c) != 0) {
		return VG_EPARSE;
	}
	finish(ev, vg_pu_batch_begin(ev), prog, module, msg);
	return 0;
}

/* ---- the parser ---------------------------------------------------------- */

static int syslog_parse(vg_event *ev)
{
	/* a line's last byte is mostly text: above '\r', no '\n' or '\r' to drop */
	size_t n = ev->raw_len;
	if (n == 0 || (unsigned char)ev->raw[n - 1] <= '\r')
		n = vg_pu_chomp(ev->raw, n);
	if (n > VG_MAX_LINE)
		n = VG_MAX_LINE;
	vg_pu_cur c = vg_pu_cur_make(ev->raw, n);
	int pri = n != 0 && ev->raw[0] == '<' ? take_pri(&c) : -1; /* most lines have no PRI */
	if (pri >= 0 && vg_pu_left(&c) >= 2 && c.p[0] >= '1' && c.p[0] <= '9') {
		if (parse_5424(ev, c, pri) == 0)
			return 0;
		/* Not 5424 after all: start over as BSD with whatever it added dropped. */
		vg_event_reset(ev, ev->raw, ev->raw_len, ev->path, ev->line);
	}
	return parse_3164(ev, c, pri);
}

/* Cheap and strict: <PRI> and/or a timestamp, then a host/TAG-looking word. */
static int syslog_probe(const char *line, size_t n)
{
	int64_t us;
	vg_pu_str t;
	tag_parts tp;
	vg_pu_cur c = vg_pu_cur_make(line, vg_pu_chomp(line, n));
	int pri = take_pri(&c);
	if (pri >= 0 && vg_pu_left(&c) >= 2 && c.p[0] >= '1' && c.p[0] <= '9' && c.p[1] == ' ')
		return 95;
	int bsd = vg_time_bsd(c.p, vg_pu_left(&c), 2000, &us) != 0;
	size_t tn = take_time(c.p, vg_pu_left(&c), 2000, &us, NULL);
	if (tn == 0)
		return pri >= 0 ? 50 : 0;
	c.p += tn;
	if (vg_pu_blanks(&c) == 0 || !vg_pu_token(&c, &t))
		return pri >= 0 ? 60 : 0;
	int score = pri >= 0 ? 90 : (bsd ? 70 : 40);
	if (split_tag(t, (size_t)(c.end - t.p), &tp))
		return score + 5;
	vg_pu_blanks(&c);
	if (vg_pu_token(&c, &t) && split_tag(t, (size_t)(c.end - t.p), &tp))
		return score + 5;
	return score;
}

const vg_parser vg_parser_syslog = {
	.name = "syslog",
	.description = "syslog lines, RFC 3164 and RFC 5424 (sshd, PAM, sudo, su, cron, useradd, kernel firewall)",
	.framing = VG_FRAME_LINE,
	.probe = syslog_probe,
	.parse = syslog_parse,
};
