/* parse_syslog_apps.c — structured ECS fields from the messages of well-known
 * Linux programs (sshd, PAM, sudo, su, cron, shadow-utils, ftpd, kernel
 * firewall logs), as a table {service, extractor} whose row app_find picks
 * by program name.
 * Messages are matched with literal prefixes and bounded scans, no regexes. */
#include "parse/parse_syslog_apps.h"

#include <string.h>

#include "core/logsource.h"

/* An extractor returns 1 when it recognised the message, 0 otherwise. */
typedef int (*app_fn)(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s);

struct app {
	uint8_t service;
	app_fn extract; /* NULL: only the generic PAM extraction */
};

/* ---- shared helpers ---------------------------------------------------- */

static inline __attribute__((always_inline)) void add_slice(vg_event *ev, const char *name, vg_pu_str v)
{
	if (v.n != 0)
		(void)vg_pu_add_slice(ev, name, v);
}

/* add_slice, vg_pu_add_host and tag into the caller's batch b (see
 * vg_pu_batch): an extractor's fields go in as one batch. */
static inline __attribute__((always_inline)) void add_slice_b(vg_event *ev, vg_pu_batch *b, const char *name,
							      vg_pu_str v)
{
	if (v.n != 0)
		vg_pu_batch_str(ev, b, name, v);
}

static inline __attribute__((always_inline)) void add_host_b(vg_event *ev, vg_pu_batch *b, const char *ip_name,
							     const char *domain_name, vg_pu_str v, const char *end)
{
	/* end: of the bytes readable after v (see vg_pu_is_ip_in) */
	if (v.n == 0)
		return;
	if (vg_pu_is_ip_in(v.p, v.n, (size_t)(end - v.p)))
		vg_pu_batch_str(ev, b, ip_name, v);
	else if (domain_name != NULL)
		vg_pu_batch_str(ev, b, domain_name, v);
}

static inline __attribute__((always_inline)) void tag_b(vg_event *ev, vg_pu_batch *b, const char *category,
							const char *action, const char *outcome)
{
	/* literals: the count, the lengths and the names' checks fold */
	if (__builtin_expect(vg_pu_batch_room(b, (category != NULL) + 1u + (outcome != NULL)), 1)) {
		if (category != NULL)
			vg_pu_batch_put(b, VG_PU_LIT("event.category"), category, (uint32_t)__builtin_strlen(category),
					VG_V_STR);
		vg_pu_batch_put(b, VG_PU_LIT("event.action"), action, (uint32_t)__builtin_strlen(action), VG_V_STR);
		if (outcome != NULL)
			vg_pu_batch_put(b, VG_PU_LIT("event.outcome"), outcome, (uint32_t)__builtin_strlen(outcome),
					VG_V_STR);
		if (category != NULL && __builtin_strcmp(category, "authentication") == 0)
			ev->category = VG_CATEGORY_AUTHENTICATION;
		return;
	}
	if (category != NULL) {
		vg_pu_batch_str(ev, b, "event.category", (vg_pu_str){category, __builtin_strlen(category)});
		if (__builtin_strcmp(category, "authentication") == 0)
			ev->category = VG_CATEGORY_AUTHENTICATION;
	}
	vg_pu_batch_str(ev, b, "event.action", (vg_pu_str){action, __builtin_strlen(action)});
	if (outcome != NULL)
		vg_pu_batch_str(ev, b, "event.outcome", (vg_pu_str){outcome, __builtin_strlen(outcome)});
}

/* event.category / event.action / event.outcome (category, outcome optional). */
static inline __attribute__((always_inline)) void tag(vg_event *ev, const char *category, const char *action,
							const char *outcome)
{
	/* always inlined: the callers pass literals, whose lengths and comparison
	 * are then folded at compile time */
	vg_pu_batch b = vg_pu_batch_begin(ev);
	tag_b(ev, &b, category, action, outcome);
	vg_pu_batch_end(ev, b);
}

static inline __attribute__((always_inline)) int str_eq(vg_pu_str s, const char *lit)
{
	return vg_pu_eq(s.p, s.n, lit);
}

/* An address token: "1.2.3.4", "1.2.3.4:" (before ": 11: Bye"), or a name.
 * *is_ip: 1 when the token is known to be an IP address (the ':' case). */
static vg_pu_str addr_token(vg_pu_cur *c, int *is_ip)
{
	vg_pu_str t;
	vg_pu_token(c, &t);
	*is_ip = 0;
	/* a dotted quad and a ':' is no IPv6 address (one ':' only), so the
	 * quad settles the common case with one check */
	if (t.n > 1 && t.p[t.n - 1] == ':' &&
	    (vg_pu_is_ipv4_in(t.p, t.n - 1, (size_t)(c->end - t.p)) ||
	     (!vg_pu_is_ip(t.p, t.n) && vg_pu_is_ip(t.p, t.n - 1)))) {
		t.n--;
		c->p--; /* leave the ':' for the caller */
		*is_ip = 1;
	}
	return t;
}

/* "IP[ port N]..." at the cursor → source.ip / source.domain, source.port
 * (into the batch: the batch given, with them, is returned). */
static vg_pu_batch add_source(vg_event *ev, vg_pu_batch bb, vg_pu_cur *c)
{
	vg_pu_batch *b = &bb;
	int is_ip;
	vg_pu_str ip = addr_token(c, &is_ip);
	if (is_ip)
		vg_pu_batch_str(ev, b, "source.ip", ip);
	else
		add_host_b(ev, b, "source.ip", "source.domain", ip, c->end);
	if (vg_pu_lit(c, " port ")) {
		size_t d = vg_pu_ndigits(c->p, vg_pu_left(c));
		if (d != 0 && d <= 20) /* what vg_pu_add_num checks, already known */
			vg_pu_batch_add(ev, b, VG_PU_LIT("source.port"), c->p, (uint32_t)d, VG_V_NUM);
		c->p += d;
	}
	return bb;
}

/* The last occurrence of the literal lit (3..16 bytes) in h[0..n), NULL
 * when none: vg_pu_rfind's answer. sshd's " from " is looked for on most
 * auth lines, mostly a few dozen bytes before the end: sixteen candidate
 * starts a step from the end, those whose second and last bytes match (two
 * compares) then checked whole. Lines too short for one step go to
 * vg_pu_rfind. */
static inline __attribute__((always_inline)) const char *rfind_lit(const char *h, size_t n, const char *lit)
{
	size_t m = __builtin_strlen(lit);
#ifdef __SSE2__
	if (n >= m + 15) {
		/* candidate starts h[0 .. last]; a step at b covers b .. b + 15 and
		 * reads h[b + 1 .. b + m + 14], inside the slice for b <= last - 15 */
		const size_t last = n - m;
		const __m128i c1 = _mm_set1_epi8(lit[1]), cm = _mm_set1_epi8(lit[m - 1]);
		for (size_t b = last - 15;; b = b >= 16 ? b - 16 : 0) {
			__m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(h + b + 1));
			__m128i xm = _mm_loadu_si128((const __m128i *)(const void *)(h + b + m - 1));
			unsigned hit =
				(unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(x1, c1), _mm_cmpeq_epi8(xm, cm)));
			/* highest start first; the last step (at 0) overlaps the one
			 * before it, whose starts fail again */
			while (hit != 0) {
				unsigned i = 31u - (unsigned)__builtin_clz(hit);
				if (vg_bytes_eq(h + b + i, lit, m))
					return h + b + i;
				hit &= ~(1u << i);
			}
			if (b == 0)
				return NULL;
		}
	}
#endif
	return vg_pu_rfind(h, n, lit, m);
}

/* vg_pu_upto_last with rfind_lit. */
static inline __attribute__((always_inline)) int upto_last(vg_pu_cur *c, const char *lit, vg_pu_str *out)
{
	return vg_pu_upto_at(c, rfind_lit(c->p, vg_pu_left(c), lit), __builtin_strlen(lit), out);
}

/* The first "(uid=" in p[0..n), NULL when none (vg_pu_find's answer): from
 * one '(' to the next, as the names of PAM's session lines (searched twice
 * on each) hold few, most none. */
static const char *find_uid(const char *p, size_t n)
{
	for (size_t i = 0;; i++) {
		i += vg_pu_find2(p + i, n - i, '(', '(');
		if (n - i < 5)
			return NULL;
		if (vg_bytes_eq(p + i, "(uid=", 5))
			return p + i;
	}
}

/* "user(uid=0)" → "user": newer PAM appends the uid to names. */
static vg_pu_str strip_uid(vg_pu_str u)
{
	const char *q = find_uid(u.p, u.n);
	if (q != NULL)
		u.n = (size_t)(q - u.p);
	return u;
}

/* Text between the first pair of single quotes at the cursor: 'bob'. */
static int quoted(vg_pu_cur *c, vg_pu_str *out)
{
	vg_pu_blanks(c);
	return vg_pu_lit(c, "'") && vg_pu_upto(c, "'", out);
}

/* ---- PAM (any program) ------------------------------------------------- */

static inline __attribute__((always_inline)) int svc_is(vg_pu_str svc, const char *a, const char *b)
{
	return str_eq(svc, a) || str_eq(svc, b);
}

/* The words (runs of bytes other than ' ' and '\t') of a slice of 16..126
 * bytes as bit sets, for pam_auth_kvs to walk them with bit scans: start
 * has bit i set where a word starts, end where one ends (one past its last
 * byte); start also has bit 127, past every word. */
typedef struct word_map {
	uint64_t start[2], end[2];
} word_map;

#ifdef __SSE2__
/* The blanks of p[0..n) (n >= 16) as a bit set: sixteen bytes a step, the
 * last one overlapping the one before. */
static inline unsigned blanks16(const char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
							_mm_cmpeq_epi8(x, _mm_set1_epi8('\t'))));
}

static inline void blank_bits(const char *p, size_t n, uint64_t bits[2])
{
	size_t i = 0;
	for (; i + 16 <= n; i += 16)
		bits[i / 64] |= (uint64_t)blanks16(p + i) << (i % 64);
	if (i < n)
		bits[i / 64] |= (uint64_t)(blanks16(p + n - 16) >> (i + 16 - n)) << (i % 64);
}
#else
static inline void blank_bits(const char *p, size_t n, uint64_t bits[2])
{
	for (size_t i = 0; i < n; i++)
		bits[i / 64] |= (uint64_t)(p[i] == ' ' || p[i] == '\t') << (i % 64);
}
#endif

static void word_map_make(const char *p, size_t n, word_map *m)
{
	uint64_t b[2] = {0, 0}, w0, w1;
	blank_bits(p, n, b);
	/* the other bytes, below n */
	w0 = ~b[0] & (n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1);
	w1 = ~b[1] & (n >= 64 ? ((uint64_t)1 << (n - 64)) - 1 : 0);
	/* w shifted up by one: bit i tells whether byte i - 1 is in a word */
	uint64_t u0 = w0 << 1, u1 = w1 << 1 | w0 >> 63;
	m->start[0] = w0 & ~u0;
	m->start[1] = (w1 & ~u1) | (uint64_t)1 << 63;
	m->end[0] = ~w0 & u0;
	m->end[1] = ~w1 & u1;
}

/* The lowest bit of s (not empty), taken out of it. */
static inline __attribute__((always_inline)) size_t take_low(uint64_t s[2])
{
	/* constant indexes: the sets can stay in registers */
	if (s[0] != 0) {
		size_t i = (size_t)__builtin_ctzll(s[0]);
		s[0] &= s[0] - 1;
		return i;
	}
	size_t i = 64 + (size_t)__builtin_ctzll(s[1]);
	s[1] &= s[1] - 1;
	return i;
}

/* The next word of pam_auth_kvs as "key=value" (key: a literal with its
 * '='; the value may be empty): 1 and val set, else 0. */
static inline __attribute__((always_inline)) int pam_kv_word(vg_pu_str s, word_map *m, const char *key,
							     vg_pu_str *val)
{
	size_t i = take_low(m->start), k = __builtin_strlen(key);
	if (i + k > s.n || !vg_bytes_eq(s.p + i, key, k))
		return 0;
	size_t e = take_low(m->end);
	*val = (vg_pu_str){s.p + i + k, e - i - k};
	return 1;
}

/* The next word at or after bit *pos of a blank set B (bits past the
 * slice set, bit 63 among them): 1 with *start its first byte and *pos one
 * past its last, else 0. */
static inline __attribute__((always_inline)) int word64(uint64_t B, size_t *pos, size_t *start)
{
	uint64_t w = ~B >> *pos;
	if (w == 0)
		return 0;
	*start = *pos + (size_t)__builtin_ctzll(w);
	*pos = *start + (size_t)__builtin_ctzll(B >> *start);
	return 1;
}

/* pam_kv_word for word64. (A key holds no blank: a word shorter than the
 * key does not start with it.) */
static inline __attribute__((always_inline)) int kv_word64(vg_pu_str t, uint64_t B, size_t *pos, const char *key,
							   vg_pu_str *val)
{
	size_t i, k = __builtin_strlen(key);
	if (!word64(B, pos, &i) || *pos - i < k || !vg_bytes_eq(t.p + i, key, k))
		return 0;
	*val = (vg_pu_str){t.p + i + k, *pos - i - k};
	return 1;
}

/* pam_auth_kvs after "tty=" (t: 16..63 bytes), with one 64-bit blank set:
 * the value of tty= (none when a blank follows "tty="), then the rest. */
static int pam_auth_tail(vg_pu_str t, vg_pu_str kv[4])
{
	uint64_t b[2] = {0, 0};
	size_t pos = 0, i;
	blank_bits(t.p, t.n, b);
	uint64_t B = b[0] | ~(uint64_t)0 << t.n;
	if ((B & 1) == 0)
		(void)word64(B, &pos, &i);
	if (!kv_word64(t, B, &pos, "ruser=", &kv[1]) || !kv_word64(t, B, &pos, "rhost=", &kv[3]))
		return 0;
	/* no word left, or "user=U" */
	return (~B >> pos) == 0 || kv_word64(t, B, &pos, "user=", &kv[0]);
}

/* Whether p[0..26) (readable) is "logname= uid=0 euid=0 tty=", what a
 * daemon run by root writes (sshd: all its lines): two sixteen-byte
 * compares with SSE2, the second overlapping the first. */
static inline __attribute__((always_inline)) int pam_root_layout(const char *p)
{
	static const char root[] = "logname= uid=0 euid=0 tty=";
	_Static_assert(sizeof(root) - 1 == 26, "26 bytes");
#ifdef __SSE2__
	__m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p),
				   _mm_loadu_si128((const __m128i *)(const void *)root));
	__m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 10)),
				   _mm_loadu_si128((const __m128i *)(const void *)(root + 10)));
	return _mm_movemask_epi8(_mm_and_si128(a, b)) == 0xFFFF;
#else
	return vg_bytes_eq(p, root, 26);
#endif
}

/* The keys of "authentication failure; logname=L uid=N euid=N tty=T ruser=R
 * rhost=H[ user=U]" (s: what follows "; ") as PAM lays them out, word after
 * word: kv = user, ruser, logname, rhost. 0 when s is laid out otherwise or
 * is longer than 126 bytes (the layout takes 38 at least): the caller then
 * looks them up anywhere (vg_pu_kvs), which gives the same values for this
 * layout (each key once; nothing else after rhost but user). */
static int pam_auth_kvs(vg_pu_str s, vg_pu_str kv[4])
{
	/* the root layout: its first words compared at once, the rest mapped
	 * on its own when short */
	const size_t rn = 26;
	word_map m;
	vg_pu_str skip;
	if (s.n < 38 || s.n > 126)
		return 0;
	if (s.n >= rn + 16 && s.n < rn + 64 && pam_root_layout(s.p)) {
		kv[2] = (vg_pu_str){s.p + 8, 0}; /* logname= */
		return pam_auth_tail((vg_pu_str){s.p + rn, s.n - rn}, kv);
	}
	word_map_make(s.p, s.n, &m);
	if (!pam_kv_word(s, &m, "logname=", &kv[2]) || !pam_kv_word(s, &m, "uid=", &skip) ||
	    !pam_kv_word(s, &m, "euid=", &skip) || !pam_kv_word(s, &m, "tty=", &skip) ||
	    !pam_kv_word(s, &m, "ruser=", &kv[1]) || !pam_kv_word(s, &m, "rhost=", &kv[3]))
		return 0;
	/* no word left (only bit 127 of start), or "user=U" */
	return (m.start[0] == 0 && m.start[1] == (uint64_t)1 << 63) || pam_kv_word(s, &m, "user=", &kv[0]);
}

/* The message of a PAM module: the same texts whatever the program, but for
 * su and sudo "user" is whom the session is for, "by"/ruser who asked. */
static inline __attribute__((always_inline)) void pam_body(vg_event *ev, vg_pu_batch *b, vg_pu_str svc,
							   vg_pu_str body)
{
	/* su / sudo: svc_is where it matters (most lines never ask) */
	vg_pu_cur c = vg_pu_cur_make(body.p, body.n);
	vg_pu_str v, user = {0}, ruser = {0}, logname = {0}, rhost = {0};
	size_t d = vg_pu_ndigits(c.p, vg_pu_left(&c));
	int more = d != 0 && vg_pu_prefix(c.p + d, vg_pu_left(&c) - d, " more authentication failure");

	if (vg_pu_lit(&c, "authentication failure; ") || more) {
		static const vg_pu_str keys[] = {{VG_PU_LIT("user")}, {VG_PU_LIT("ruser")}, {VG_PU_LIT("logname")},
						 {VG_PU_LIT("rhost")}};
		vg_pu_str kv[4] = {{0}};
		if (more || !pam_auth_kvs(vg_pu_rest(&c), kv)) {
			memset(kv, 0, sizeof(kv));
			vg_pu_kvs(body.p, body.n, keys, kv, 4);
		}
		user = kv[0];
		ruser = kv[1];
		logname = kv[2];
		rhost = kv[3];
		if (!more && svc_is(svc, "su", "su-l")) {
			tag_b(ev, b, "authentication", "su_failed", "failure");
			add_slice_b(ev, b, "user.name", ruser.n != 0 ? ruser : logname);
			add_slice_b(ev, b, "user.target.name", user);
		} else {
			/* one literal per call: its length is then a constant */
			if (more)
				tag_b(ev, b, "authentication", "pam_more_failures", "failure");
			else
				tag_b(ev, b, "authentication", "pam_auth_failure", "failure");
			add_slice_b(ev, b, "user.name", user);
		}
		add_host_b(ev, b, "source.ip", "source.domain", rhost, c.end);
	} else if (vg_pu_lit(&c, "check pass; user unknown")) {
		tag_b(ev, b, "authentication", "pam_user_unknown", "failure");
	} else if (vg_pu_lit(&c, "session opened for user ")) {
		vg_pu_str by = {0}, by_uid = {0};
		if (vg_pu_upto(&c, " by ", &v)) {
			by = vg_pu_trim(vg_pu_rest(&c));
			const char *q = find_uid(by.p, by.n);
			if (q != NULL) {
				by_uid.p = q + 5;
				by_uid.n = vg_pu_ndigits(by_uid.p, (size_t)(by.p + by.n - by_uid.p));
				by.n = (size_t)(q - by.p); /* strip_uid(by), q found */
			}
		} else {
			v = vg_pu_rest(&c);
		}
		v = strip_uid(v);
		int su = svc_is(svc, "su", "su-l");
		if (su || svc_is(svc, "sudo", "sudo-i")) {
			/* "session opened for user root by alice(uid=1000)": alice became root */
			tag_b(ev, b, "session", su ? "su" : "session_opened", "success");
			add_slice_b(ev, b, "user.name", by);
			add_slice_b(ev, b, "user.id", by_uid);
			add_slice_b(ev, b, "user.target.name", v);
		} else {
			tag_b(ev, b, "session", "session_opened", "success");
			add_slice_b(ev, b, "user.name", v);
		}
	} else if (vg_pu_lit(&c, "session closed for user ")) {
		v = strip_uid(vg_pu_trim(vg_pu_rest(&c)));
		tag_b(ev, b, "session", "session_closed", NULL);
		int target = svc_is(svc, "su", "su-l") || svc_is(svc, "sudo", "sudo-i");
		add_slice_b(ev, b, target ? "user.target.name" : "user.name", v);
	} else if (vg_pu_lit(&c, "password changed for ")) {
		tag_b(ev, b, "iam", "password_changed", "success");
		add_slice_b(ev, b, "user.target.name", vg_pu_trim(vg_pu_rest(&c)));
	}
}

/* pam_body out of line, for sshd's rare "PAM 2 more authentication
 * failures" (pam_generic inlines it: the common path). */
static __attribute__((noinline)) void pam_body_call(vg_event *ev, vg_pu_str svc, vg_pu_str body)
{
	vg_pu_batch b = vg_pu_batch_begin(ev);
	pam_body(ev, &b, svc, body);
	vg_pu_batch_end(ev, b);
}

/* "pam_unix(sshd:auth): <body>" in any program, or the old-style tag
 * "sshd(pam_unix)[pid]: <body>". */
static int pam_generic(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s)
{
	vg_pu_str module, svc = {0}, type = {0}, body;
	if (m->module.n != 0 && vg_pu_prefix(m->module.p, m->module.n, "pam_")) {
		module = m->module;
		svc = m->prog;
		body = s;
	} else if (vg_pu_prefix(s.p, s.n, "pam_")) {
		/* "MODULE(INNER): BODY", neither part holding a ' ': MODULE ends at
		 * the first '(' (no ' ' before it); then the first ' ' must be the
		 * one of "): " (any later "): " would leave a ' ' in INNER). INNER
		 * is "SERVICE[:TYPE]", split at its first ':'. */
		size_t i = vg_pu_find2(s.p, s.n, '(', ' '), k;
		if (i == s.n || s.p[i] != '(')
			return 0;
		k = i + 1 + vg_pu_find2(s.p + i + 1, s.n - i - 1, ' ', ' ');
		if (k == s.n || k < i + 3 || s.p[k - 2] != ')' || s.p[k - 1] != ':')
			return 0;
		module = (vg_pu_str){s.p, i};
		vg_pu_str inner = {s.p + i + 1, k - 2 - (i + 1)};
		size_t colon = vg_pu_find2(inner.p, inner.n, ':', ':');
		svc = inner;
		if (colon < inner.n) {
			svc.n = colon;
			type.p = inner.p + colon + 1;
			type.n = inner.n - colon - 1;
		}
		body = (vg_pu_str){s.p + k + 1, s.n - k - 1};
	} else {
		return 0;
	}
	vg_pu_batch bb = vg_pu_batch_begin(ev), *b = &bb;
	if (module.n != 0)
		vg_pu_batch_str(ev, b, "pam.module", module);
	if (svc.n != 0)
		vg_pu_batch_str(ev, b, "pam.service", svc);
	if (type.n != 0)
		vg_pu_batch_str(ev, b, "pam.type", type);
	pam_body(ev, b, svc, body);
	vg_pu_batch_end(ev, bb);
	return 1;
}

/* ---- sshd --------------------------------------------------------------- */

/* "[authenticating |invalid ]user U IP port N..." or "IP port N..." (into
 * the batch, as add_source) */
static vg_pu_batch ssh_user_addr(vg_event *ev, vg_pu_batch bb, vg_pu_cur *c)
{
	vg_pu_batch *b = &bb;
	if (vg_pu_lit(c, "authenticating user ") || vg_pu_lit(c, "invalid user ") || vg_pu_lit(c, "user ")) {
		/* The user name may contain blanks: the address is the last word
		 * before " port " (or the last word of all). */
		vg_pu_str rest = vg_pu_rest(c), head;
		vg_pu_cur t = vg_pu_cur_make(rest.p, rest.n);
		if (!vg_pu_upto_last(&t, " port ", &head))
			head = rest;
		const char *sp = vg_pu_rfind(head.p, head.n, VG_PU_LIT(" "));
		if (sp == NULL)
			return bb;
		vg_pu_str user = {head.p, (size_t)(sp - head.p)};
		add_slice_b(ev, b, "user.name", user);
		c->p = sp + 1;
	}
	return add_source(ev, bb, c);
}

/* "Accepted|Failed METHOD for [invalid user ]U from IP port N ssh2" (ok:
 * "Accepted"; the cursor after that word and its blank). */
static inline __attribute__((always_inline)) int ssh_auth(vg_event *ev, vg_pu_batch *b, vg_pu_cur c, int ok)
{
	vg_pu_str v, method;
	/* METHOD is one word: the first " for " must be at the first ' '
	 * (an earlier ' ' would be in METHOD) */
	size_t k = vg_pu_find2(c.p, vg_pu_left(&c), ' ', ' ');
	if (!vg_pu_prefix(c.p + k, vg_pu_left(&c) - k, " for "))
		return 0;
	method = (vg_pu_str){c.p, k};
	c.p += k + 5;
	(void)vg_pu_lit(&c, "invalid user ");
	if (!upto_last(&c, " from ", &v))
		return 0;
	if (ok)
		tag_b(ev, b, "authentication", "ssh_login", "success");
	else if (str_eq(method, "password"))
		tag_b(ev, b, "authentication", "ssh_failed_password", "failure");
	else
		tag_b(ev, b, "authentication", "ssh_failed_auth", "failure");
	add_slice_b(ev, b, "user.name", v);
	add_slice_b(ev, b, "ssh.method", method);
	*b = add_source(ev, *b, &c);
	return 1;
}

/* "reverse mapping checking getaddrinfo for HOST [IP] failed - POSSIBLE
 * BREAK-IN ATTEMPT!" and "Address IP maps to HOST, but this does not map
 * back to the address - POSSIBLE BREAK-IN ATTEMPT!" */
static inline __attribute__((always_inline)) void ssh_reverse(vg_event *ev, vg_pu_batch *b, vg_pu_str ip,
							      vg_pu_str host, const char *end)
{
	tag_b(ev, b, "network", "ssh_reverse_mapping_failed", NULL);
	add_host_b(ev, b, "source.ip", NULL, ip, end);
	add_slice_b(ev, b, "source.domain", host);
}

/* The messages are told apart by their first byte first (a jump), then
 * their literal prefix: most lines would fail several prefixes in a row. */
static int app_sshd(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s)
{
	vg_pu_cur c = vg_pu_cur_make(s.p, s.n);
	vg_pu_str v, host, ip;
	vg_pu_batch bb = vg_pu_batch_begin(ev), *b = &bb;
	(void)(vg_pu_lit(&c, "error: ") || vg_pu_lit(&c, "fatal: "));

	switch (vg_pu_left(&c) != 0 ? c.p[0] : '\0') {
	case 'A':
		if (vg_pu_lit(&c, "Accepted ")) {
			if (!ssh_auth(ev, b, c, 1))
				return 0;
		} else if (vg_pu_lit(&c, "Address ")) {
			if (!vg_pu_upto(&c, " maps to ", &ip) || !vg_pu_upto(&c, ", but this does not map back", &host))
				return 0;
			ssh_reverse(ev, b, ip, host, c.end);
		} else {
			return 0;
		}
		break;
	case 'F':
		if (!vg_pu_lit(&c, "Failed ") || !ssh_auth(ev, b, c, 0))
			return 0;
		break;
	case 'I':
		if (!vg_pu_lit(&c, "Invalid user ") || !upto_last(&c, " from ", &v))
			return 0;
		tag_b(ev, b, "authentication", "ssh_invalid_user", "failure");
		add_slice_b(ev, b, "user.name", v);
		*b = add_source(ev, *b, &c);
		break;
	case 'm':
		if (!vg_pu_lit(&c, "maximum authentication attempts exceeded for "))
			return 0;
		(void)vg_pu_lit(&c, "invalid user ");
		if (!upto_last(&c, " from ", &v))
			return 0;
		tag_b(ev, b, "authentication", "ssh_max_auth_exceeded", "failure");
		add_slice_b(ev, b, "user.name", v);
		*b = add_source(ev, *b, &c);
		break;
	case 'D':
		if (vg_pu_lit(&c, "Disconnecting: Too many authentication failures for ")) {
			v = vg_pu_rest(&c);
			const char *q = vg_pu_find(v.p, v.n, VG_PU_LIT(" [preauth]"));
			if (q != NULL)
				v.n = (size_t)(q - v.p);
			tag_b(ev, b, "authentication", "ssh_max_auth_exceeded", "failure");
			add_slice_b(ev, b, "user.name", v);
		} else if (vg_pu_lit(&c, "Disconnecting ")) {
			/* OpenSSH >= 7.x: "Disconnecting authenticating user U IP port N: Too many..." */
			vg_pu_str rest = vg_pu_rest(&c);
			if (vg_pu_find(rest.p, rest.n, VG_PU_LIT("Too many authentication failures")) == NULL)
				return 0;
			tag_b(ev, b, "authentication", "ssh_max_auth_exceeded", "failure");
			*b = ssh_user_addr(ev, *b, &c);
		} else if (vg_pu_lit(&c, "Disconnected from ")) {
			tag_b(ev, b, "network", "ssh_disconnect", NULL);
			*b = ssh_user_addr(ev, *b, &c);
		} else if (vg_pu_lit(&c, "Did not receive identification string from ")) {
			tag_b(ev, b, "network", "ssh_no_identification", NULL);
			*b = add_source(ev, *b, &c);
		} else {
			return 0;
		}
		break;
	case 'R':
		if (!vg_pu_lit(&c, "Received disconnect from "))
			return 0;
		tag_b(ev, b, "network", "ssh_disconnect", NULL);
		*b = add_source(ev, *b, &c);
		break;
	case 'C':
		if (!vg_pu_lit(&c, "Connection closed by "))
			return 0;
		tag_b(ev, b, "network", "ssh_connection_closed", NULL);
		*b = ssh_user_addr(ev, *b, &c);
		break;
	case 'r':
		if (!vg_pu_lit(&c, "reverse mapping checking getaddrinfo for ") || !vg_pu_upto(&c, " [", &host) ||
		    !vg_pu_upto(&c, "]", &ip))
			return 0;
		ssh_reverse(ev, b, ip, host, c.end);
		break;
	case 'P': {
		/* "PAM 2 more authentication failures; logname= ... rhost=IP  user=U" */
		if (!vg_pu_lit(&c, "PAM "))
			return 0;
		vg_pu_str body = vg_pu_rest(&c);
		size_t d = vg_pu_ndigits(body.p, body.n);
		if (d == 0 || !vg_pu_prefix(body.p + d, body.n - d, " more authentication failure"))
			return 0;
		pam_body_call(ev, m->prog, body); /* its own fields */
		return 1;
	}
	default:
		return 0;
	}
	vg_pu_batch_end(ev, bb);
	return 1;
}

/* ---- sudo --------------------------------------------------------------- */

/* "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash -i"
 * "alice : 3 incorrect password attempts ; TTY=... ; COMMAND=..." */
static int app_sudo(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s)
{
	vg_pu_cur c = vg_pu_cur_make(s.p, s.n);
	vg_pu_str user, seg, reason = {0};
	(void)m;
	vg_pu_blanks(&c);
	if (!vg_pu_upto(&c, " : ", &user) || user.n == 0 || memchr(user.p, ' ', user.n) != NULL)
		return 0;
	const size_t first = ev->nfields;
	for (int i = 0; vg_pu_left(&c) != 0; i++) {
		if (vg_pu_prefix(c.p, vg_pu_left(&c), "COMMAND=")) {
			/* The command is last and may itself contain " ; ". */
			c.p += 8;
			add_slice(ev, "process.command_line", vg_pu_rest(&c));
			break;
		}
		if (!vg_pu_upto(&c, " ; ", &seg)) {
			seg = vg_pu_rest(&c);
			c.p = c.end;
		}
		if (vg_pu_prefix(seg.p, seg.n, "TTY="))
			add_slice(ev, "process.tty.name", (vg_pu_str){seg.p + 4, seg.n - 4});
		else if (vg_pu_prefix(seg.p, seg.n, "PWD="))
			add_slice(ev, "process.working_directory", (vg_pu_str){seg.p + 4, seg.n - 4});
		else if (vg_pu_prefix(seg.p, seg.n, "USER="))
			add_slice(ev, "user.effective.name", (vg_pu_str){seg.p + 5, seg.n - 5});
		else if (vg_pu_prefix(seg.p, seg.n, "GROUP="))
			add_slice(ev, "user.effective.group.name", (vg_pu_str){seg.p + 6, seg.n - 6});
		else if (i == 0)
			reason = seg;
	}
	if (ev->nfields == first && reason.n == 0)
		return 0;
	add_slice(ev, "user.name", user);
	if (reason.n == 0)
		tag(ev, "process", "sudo_command", "success");
	else if (vg_pu_find(reason.p, reason.n, VG_PU_LIT("incorrect password attempt")) != NULL)
		tag(ev, "authentication", "sudo_auth_failure", "failure");
	else if (vg_pu_find(reason.p, reason.n, VG_PU_LIT("NOT in sudoers")) != NULL)
		tag(ev, "authentication", "sudo_not_in_sudoers", "failure");
	else if (vg_pu_find(reason.p, reason.n, VG_PU_LIT("command not allowed")) != NULL)
		tag(ev, "process", "sudo_command_denied", "failure");
	else
		tag(ev, NULL, "sudo_failure", "failure");
	return 1;
}

/* ---- su ----------------------------------------------------------------- */

static void su_users(vg_event *ev, vg_pu_str who, vg_pu_str to)
{
	add_slice(ev, "user.name", who);
	add_slice(ev, "user.target.name", to);
}

static int app_su(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s)
{
	vg_pu_cur c = vg_pu_cur_make(s.p, s.n);
	vg_pu_str to, who, tty;
	int ok;
	(void)m;
	if ((ok = vg_pu_lit(&c, "Successful su for ")) || vg_pu_lit(&c, "FAILED su for ")) {
		/* "Successful su for root by alice" */
		if (!vg_pu_upto(&c, " by ", &to))
			return 0;
		tag(ev, "authentication", ok ? "su" : "su_failed", ok ? "success" : "failure");
		su_users(ev, vg_pu_trim(vg_pu_rest(&c)), to);
	} else if (vg_pu_lit(&c, "(to ") || vg_pu_lit(&c, "FAILED SU (to ")) {
		/* util-linux: "(to root) alice on pts/0", "FAILED SU (to root) alice on pts/0" */
		ok = s.p[0] == '(';
		if (!vg_pu_upto(&c, ") ", &to) || !vg_pu_upto_last(&c, " on ", &who))
			return 0;
		tag(ev, "authentication", ok ? "su" : "su_failed", ok ? "success" : "failure");
		su_users(ev, who, to);
		add_slice(ev, "process.tty.name", vg_pu_trim(vg_pu_rest(&c)));
	} else if ((ok = vg_pu_lit(&c, "+ ")) || vg_pu_lit(&c, "- ")) {
		/* shadow-utils sulog style: "+ pts/0 alice:root" */
		vg_pu_str pair;
		if (!vg_pu_token(&c, &tty) || vg_pu_blanks(&c) == 0 || !vg_pu_token(&c, &pair))
			return 0;
		const char *colon = memchr(pair.p, ':', pair.n);
		if (colon == NULL)
			return 0;
		who = (vg_pu_str){pair.p, (size_t)(colon - pair.p)};
		to = (vg_pu_str){colon + 1, pair.n - who.n - 1};
		tag(ev, "authentication", ok ? "su" : "su_failed", ok ? "success" : "failure");
		su_users(ev, who, to);
		add_slice(ev, "process.tty.name", tty);
	} else {
		return 0;
	}
	return 1;
}

/* ---- cron --------------------------------------------------------------- */

/* "(root) CMD (run-parts /etc/cron.hourly)"; other "(user) WORD ..." lines
 * ("REPLACE", "BEGIN EDIT") keep the user only. */
static int app_cron(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s)
{
	vg_pu_cur c = vg_pu_cur_make(s.p, s.n);
	vg_pu_str user;
	(void)m;
	if (!vg_pu_lit(&c, "(") || !vg_pu_upto(&c, ") ", &user) || memchr(user.p, ' ', user.n) != NULL)
		return 0;
	add_slice(ev, "user.name", user);
	if (vg_pu_lit(&c, "CMD (")) {
		vg_pu_str cmd = vg_pu_rest(&c);
		if (cmd.n != 0 && cmd.p[cmd.n - 1] == ')')
			cmd.n--;
		tag(ev, "process", "cron_command", NULL);
		add_slice(ev, "process.command_line", vg_pu_trim(cmd));
	}
	return 1;
}

/* ---- shadow-utils: useradd, groupadd, usermod, userdel, passwd ... ------- */

/* "name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash" */
static void comma_kv(vg_event *ev, vg_pu_cur *c, const char *const map[][2])
{
	while (vg_pu_left(c) != 0) {
		vg_pu_str seg;
		if (!vg_pu_upto(c, ", ", &seg)) {
			seg = vg_pu_rest(c);
			c->p = c->end;
		}
		const char *eq = memchr(seg.p, '=', seg.n);
		if (eq == NULL)
			continue;
		vg_pu_str k = {seg.p, (size_t)(eq - seg.p)}, v = {eq + 1, seg.n - k.n - 1};
		for (size_t i = 0; map[i][0] != NULL; i++)
			if (str_eq(k, map[i][0]))
				add_slice(ev, map[i][1], v);
	}
}

static int app_useradd(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s)
{
	static const char *const user_map[][2] = {
		{"name", "user.target.name"}, {"UID", "user.target.id"}, {"GID", "user.target.group.id"}, {NULL, NULL}};
	static const char *const group_map[][2] = {{"name", "group.name"}, {"GID", "group.id"}, {NULL, NULL}};
	vg_pu_cur c = vg_pu_cur_make(s.p, s.n);
	vg_pu_str a, b;
	(void)m;
	if (vg_pu_lit(&c, "new user: ")) {
		tag(ev, "iam", "user_created", "success");
		comma_kv(ev, &c, user_map);
	} else if (vg_pu_lit(&c, "new group: ")) {
		tag(ev, "iam", "group_created", "success");
		comma_kv(ev, &c, group_map);
	} else if (vg_pu_lit(&c, "delete user ")) {
		if (!quoted(&c, &a))
			return 0;
		tag(ev, "iam", "user_deleted", "success");
		add_slice(ev, "user.target.name", a);
	} else if (vg_pu_lit(&c, "delete group ")) {
		if (!quoted(&c, &a))
			return 0;
		tag(ev, "iam", "group_deleted", "success");
		add_slice(ev, "group.name", a);
	} else if (vg_pu_lit(&c, "add ") || vg_pu_lit(&c, "delete ")) {
		/* "add 'bob' to [shadow ]group 'sudo'", "delete 'bob' from [shadow ]group 'sudo'" */
		int add = s.p[0] == 'a';
		if (!quoted(&c, &a) || !vg_pu_lit(&c, add ? " to " : " from "))
			return 0;
		(void)vg_pu_lit(&c, "shadow ");
		if (!vg_pu_lit(&c, "group") || !quoted(&c, &b))
			return 0;
		tag(ev, "iam", add ? "user_added_to_group" : "user_removed_from_group", "success");
		add_slice(ev, "user.target.name", a);
		add_slice(ev, "group.name", b);
	} else if (vg_pu_lit(&c, "group ")) {
		/* groupdel: "group 'x' removed" */
		if (!quoted(&c, &a) || !vg_pu_lit(&c, " removed"))
			return 0;
		tag(ev, "iam", "group_deleted", "success");
		add_slice(ev, "group.name", a);
	} else if (vg_pu_lit(&c, "change user ")) {
		if (!quoted(&c, &a))
			return 0;
		vg_pu_blanks(&c);
		tag(ev, "iam", vg_pu_eq(c.p, vg_pu_left(&c), "password") ? "password_changed" : "user_modified", "success");
		add_slice(ev, "user.target.name", a);
	} else if (vg_pu_lit(&c, "password changed for ")) {
		tag(ev, "iam", "password_changed", "success");
		add_slice(ev, "user.target.name", vg_pu_trim(vg_pu_rest(&c)));
	} else {
		return 0;
	}
	return 1;
}

/* ---- ftpd --------------------------------------------------------------- */

/* "connection from 24.54.76.216 (host.example.net) at Sun Jul 17 ..." */
static int app_ftpd(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s)
{
	vg_pu_cur c = vg_pu_cur_make(s.p, s.n);
	vg_pu_str ip, host;
	vg_pu_batch bb = vg_pu_batch_begin(ev), *b = &bb;
	(void)m;
	if (!vg_pu_lit(&c, "connection from ") || !vg_pu_token(&c, &ip) || !vg_pu_is_ip_in(ip.p, ip.n, (size_t)(c.end - ip.p)))
		return 0;
	tag_b(ev, b, "network", "ftp_connection", NULL);
	add_slice_b(ev, b, "source.ip", ip);
	if (vg_pu_lit(&c, " (") && vg_pu_upto(&c, ")", &host))
		add_slice_b(ev, b, "source.domain", host);
	vg_pu_batch_end(ev, bb);
	return 1;
}

/* ---- kernel: iptables / nftables / UFW log lines ------------------------ */

/* The value of the KEY= token (blank-delimited) or an empty slice. */
static vg_pu_str fw_val(vg_pu_str s, const char *key)
{
	vg_pu_str v = {0};
	vg_pu_kv(s.p, s.n, key, &v);
	return v;
}

static int app_kernel(vg_event *ev, const vg_syslog_msg *m, vg_pu_str s)
{
	vg_pu_str src, dst, proto, v;
	(void)m;
	if (!vg_pu_kv(s.p, s.n, "SRC", &src) || !vg_pu_kv(s.p, s.n, "DST", &dst) || !vg_pu_kv(s.p, s.n, "PROTO", &proto))
		return 0;
	/* The log prefix is what precedes the first key (IN= normally), after
	 * an optional "[ 1234.567890]" uptime stamp. */
	const char *first = s.p + s.n;
	static const char *const keys[] = {"IN", "OUT", "MAC", "SRC"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		vg_pu_str k;
		if (vg_pu_kv(s.p, s.n, keys[i], &k) && k.p - strlen(keys[i]) - 1 < first)
			first = k.p - strlen(keys[i]) - 1;
	}
	vg_pu_str prefix = {s.p, (size_t)(first - s.p)};
	if (prefix.n != 0 && prefix.p[0] == '[') {
		const char *rb = memchr(prefix.p, ']', prefix.n);
		size_t i = 1;
		while (rb != NULL && prefix.p + i < rb && (prefix.p[i] == ' ' || prefix.p[i] == '.' || (prefix.p[i] >= '0' && prefix.p[i] <= '9')))
			i++;
		if (rb != NULL && prefix.p + i == rb) {
			prefix.n -= (size_t)(rb + 1 - prefix.p);
			prefix.p = rb + 1;
		}
	}
	prefix = vg_pu_trim(prefix);

	ev->layer = VG_LAYER_NETWORK;
	ev->category = VG_CATEGORY_FIREWALL;
	(void)vg_pu_add_lit(ev, "event.category", "network");
	if (vg_pu_prefix(prefix.p, prefix.n, "[UFW ")) {
		if (vg_pu_find(prefix.p, prefix.n, VG_PU_LIT("BLOCK")) != NULL)
			(void)vg_pu_add_lit(ev, "event.action", "block");
		else if (vg_pu_find(prefix.p, prefix.n, VG_PU_LIT("ALLOW")) != NULL)
			(void)vg_pu_add_lit(ev, "event.action", "allow");
		else if (vg_pu_find(prefix.p, prefix.n, VG_PU_LIT("AUDIT")) != NULL)
			(void)vg_pu_add_lit(ev, "event.action", "audit");
		else
			add_slice(ev, "event.action", prefix);
	} else if (prefix.n != 0) {
		add_slice(ev, "event.action", prefix);
	} else {
		(void)vg_pu_add_lit(ev, "event.action", "log");
	}
	(void)vg_pu_add_host(ev, "source.ip", NULL, src.p, src.n);
	(void)vg_pu_add_host(ev, "destination.ip", NULL, dst.p, dst.n);
	v = fw_val(s, "SPT");
	(void)vg_pu_add_num(ev, "source.port", v.p, v.n);
	v = fw_val(s, "DPT");
	(void)vg_pu_add_num(ev, "destination.port", v.p, v.n);
	if (proto.n != 0)
		(void)vg_pu_add_lower(ev, "network.transport", proto.p, proto.n);
	add_slice(ev, "observer.ingress.interface.name", fw_val(s, "IN"));
	add_slice(ev, "observer.egress.interface.name", fw_val(s, "OUT"));
	return 1;
}

/* ---- the table ---------------------------------------------------------- */

enum { A_SSHD, A_FTPD, A_SU, A_SUDO, A_CRON, A_KERNEL, A_VSFTPD, A_USERADD, A_AUTH };

static const struct app apps[] = {
	[A_SSHD] = {VG_SERVICE_SSHD, app_sshd},
	[A_FTPD] = {VG_SERVICE_SYSLOG, app_ftpd},
	[A_SU] = {VG_SERVICE_SU, app_su},
	[A_SUDO] = {VG_SERVICE_SUDO, app_sudo},
	[A_CRON] = {VG_SERVICE_CRON, app_cron},
	[A_KERNEL] = {VG_SERVICE_KERNEL, app_kernel},
	[A_VSFTPD] = {VG_SERVICE_VSFTPD, NULL},
	[A_USERADD] = {VG_SERVICE_USERADD, app_useradd},
	/* polkit's pkexec writes to auth.log; Sigma files its rules under "auth". */
	[A_AUTH] = {VG_SERVICE_AUTH, NULL},
};

/* The row of apps[] of a program name, NULL when none: a switch on the
 * length, then literal compares (this runs on every line; with a constant
 * length, vg_bytes_eq is a load or two and a compare with a constant). */
static inline __attribute__((always_inline)) const struct app *app_find(const char *prog, size_t n)
{
#define IS(s) vg_bytes_eq(prog, (s), sizeof(s) - 1)
	int a = -1;
	switch (n) {
	case 2:
		a = IS("su") ? A_SU : -1;
		break;
	case 4:
		a = IS("sshd") ? A_SSHD : IS("ftpd") ? A_FTPD : IS("CRON") || IS("cron") ? A_CRON : IS("sudo") ? A_SUDO : -1;
		break;
	case 5:
		a = IS("crond") ? A_CRON : -1;
		break;
	case 6:
		a = IS("kernel") ? A_KERNEL : IS("vsftpd") ? A_VSFTPD : IS("passwd") ? A_USERADD : IS("pkexec") ? A_AUTH : -1;
		break;
	case 7:
		a = IS("in.ftpd") ? A_FTPD : IS("useradd") || IS("usermod") || IS("userdel") ? A_USERADD : -1;
		break;
	case 8:
		a = IS("groupadd") || IS("groupmod") || IS("groupdel") || IS("chpasswd") ? A_USERADD : -1;
		break;
	case 9:
		a = IS("sshd-auth") ? A_SSHD : -1;
		break;
	case 12:
		a = IS("sshd-session") ? A_SSHD : -1;
		break;
	}
#undef IS
	return a >= 0 ? &apps[a] : NULL;
}

uint8_t vg_syslog_service(const char *prog, size_t n)
{
	const struct app *a = app_find(prog, n);
	return a != NULL ? a->service : VG_SERVICE_SYSLOG;
}

/* rsyslog/syslogd fold repeats: "message repeated 5 times: [ Failed password ...]". */
static vg_pu_str unwrap_repeated(vg_pu_str s)
{
	vg_pu_cur c = vg_pu_cur_make(s.p, s.n);
	vg_pu_str count;
	if (!vg_pu_lit(&c, "message repeated ") || !vg_pu_upto(&c, " times: [", &count) ||
	    vg_pu_ndigits(count.p, count.n) != count.n || vg_pu_left(&c) == 0 || c.end[-1] != ']')
		return s;
	vg_pu_str inner = {c.p, vg_pu_left(&c) - 1};
	return vg_pu_trim(inner);
}

void vg_syslog_apps_apply(vg_event *ev, const vg_syslog_msg *m)
{
	const struct app *a = app_find(m->prog.p, m->prog.n);
	ev->service = a != NULL ? a->service : VG_SERVICE_SYSLOG;
	vg_pu_str s = unwrap_repeated(m->msg);
	if (pam_generic(ev, m, s))
		return;
	if (a != NULL && a->extract != NULL)
		(void)a->extract(ev, m, s);
}
