/* parse_util.c — bounded scanning helpers for the text parsers (see
 * parse_util.h). Everything works on (pointer, length) slices so a parser can
 * never run off the end of a record that is not NUL-terminated. */
#include "parse/parse_util.h"

#include <arpa/inet.h>
#include <string.h>

/* Which of the needle's first two bytes to look for with memchr: the second
 * unless it is a blank (the needles here are mostly " word "), as a blank
 * turns up every few bytes of a log line. */
static size_t probe_byte(const char *needle, size_t m)
{
	return m >= 2 && needle[1] != ' ' ? 1 : 0;
}

/* p[0..m) equals k[0..m): a loop for the short needles and keys here costs
 * less than a memcmp call. */
static int same_bytes(const char *p, const char *k, size_t m)
{
	if (m > 16)
		return memcmp(p, k, m) == 0;
	for (size_t i = 0; i < m; i++)
		if (p[i] != k[i])
			return 0;
	return 1;
}

const char *vg_pu_find(const char *h, size_t n, const char *needle, size_t m)
{
	if (m == 0)
		return h;
	if (n < m)
		return NULL;
	/* memchr for one byte, then compare: much cheaper than memmem's set-up
	 * for the short needles and lines here */
	if (m == 1)
		return memchr(h, needle[0], n);
	size_t k = probe_byte(needle, m), last = n - m; /* last candidate start */
	const char *q = h + k, *stop = h + last + k + 1;
	while (q < stop && (q = memchr(q, needle[k], (size_t)(stop - q))) != NULL) {
		/* the needle's other end first: most candidates fail there */
		if (q[m - 1 - k] == needle[m - 1] && same_bytes(q - k, needle, m - 1))
			return q - k;
		q++;
	}
	return NULL;
}

const char *vg_pu_rfind(const char *h, size_t n, const char *needle, size_t m)
{
	if (n < m)
		return NULL;
	if (m == 0)
		return h + n;
	if (m == 1)
		return memrchr(h, needle[0], n);
	size_t k = probe_byte(needle, m);
	size_t len = n - m + 1; /* candidate starts h[0 .. len) */
	while (len > 0) {
		const char *q = memrchr(h + k, needle[k], len);
		if (q == NULL)
			return NULL;
		if (q[m - 1 - k] == needle[m - 1] && same_bytes(q - k, needle, m - 1))
			return q - k;
		len = (size_t)(q - k - h);
	}
	return NULL;
}

int vg_pu_uint(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	if (n == 0 || n > 20 || vg_pu_ndigits(p, n) != n)
		return 0;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (v > max)
		return 0;
	*out = v;
	return 1;
}

/* inet_pton wants a C string: copy the (short) candidate to the stack. */
static int pton(int af, const char *p, size_t n)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char addr[sizeof(struct in6_addr)];
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return inet_pton(af, buf, addr) == 1;
}

/* Whether the n (7..15) bytes of b (the rest of b zeroed) are a dotted quad
 * as inet_pton(AF_INET) accepts it: four decimal octets <= 255, no leading
 * zeros, nothing else. */
#ifdef __SSE2__
/* Bit masks of the digits, dots and '0's (bit i: b[i]) settle everything but
 * the value of three-digit octets. */
static inline __attribute__((always_inline)) int ipv4_check(const unsigned char b[16], size_t n)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)b);
	/* signed compares: bytes >= 0x80 are below '0' */
	__m128i dig = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
	unsigned digit = (unsigned)_mm_movemask_epi8(dig);
	unsigned dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
	unsigned zero = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('0')));
	unsigned d2 = dot & (dot - 1), d3 = d2 & (d2 - 1);
	if ((digit | dot) != (1u << n) - 1 || d3 == 0 || (d3 & (d3 - 1)) != 0)
		return 0; /* a byte that is neither, or not exactly three dots */
	unsigned start = dot << 1 | 1; /* where each octet starts (bit n: after a final dot) */
	if ((start & ~digit) != 0 || (digit & digit >> 1 & digit >> 2 & digit >> 3) != 0)
		return 0; /* an empty octet, or one of four digits or more */
	if ((start & zero & digit >> 1) != 0)
		return 0; /* a leading zero */
	unsigned three = start & digit >> 1 & digit >> 2;
	if (three == 0)
		return 1;
	/* A three-digit octet is above 255 when its digits, compared with
	 * "255" one by one, are first greater: masks of the digits above and
	 * equal to '2' and to '5' settle all of them at once (signed compares:
	 * the bytes compared are digits), combined in vector form (byte i + 1
	 * and i + 2 brought to byte i by byte shifts) with one movemask. */
	__m128i gt2 = _mm_cmpgt_epi8(x, _mm_set1_epi8('2')), eq2 = _mm_cmpeq_epi8(x, _mm_set1_epi8('2'));
	__m128i gt5 = _mm_cmpgt_epi8(x, _mm_set1_epi8('5')), eq5 = _mm_cmpeq_epi8(x, _mm_set1_epi8('5'));
	__m128i next = _mm_or_si128(_mm_srli_si128(gt5, 1), _mm_and_si128(_mm_srli_si128(eq5, 1), _mm_srli_si128(gt5, 2)));
	unsigned above = (unsigned)_mm_movemask_epi8(_mm_or_si128(gt2, _mm_and_si128(eq2, next)));
	return (three & above) == 0;
}
#else
/* Octet by octet; b[n] is a NUL, so no bound checks: the loop stops at the
 * first byte that is not what it expects. */
static inline __attribute__((always_inline)) int ipv4_check(const unsigned char b[16], size_t n)
{
	const unsigned char *s = b;
	for (int o = 0; o < 4; o++) {
		if (o != 0 && *s++ != '.')
			return 0;
		unsigned v = (unsigned)s[0] - '0', d;
		if (v > 9)
			return 0;
		if ((d = (unsigned)s[1] - '0') > 9) {
			s += 1;
			continue;
		}
		if (v == 0)
			return 0; /* leading zero */
		v = v * 10 + d;
		if ((d = (unsigned)s[2] - '0') > 9) {
			s += 2;
			continue;
		}
		if (v * 10 + d > 255)
			return 0;
		s += 3;
	}
	return s == b + n;
}
#endif

/* Without inet_pton's copy and call: this runs for every address of every
 * auth line. The 7..15 bytes go to a zeroed 16-byte buffer (two overlapping
 * loads). Inline in both callers: vg_pu_is_ip then calls nothing for a quad. */
static inline __attribute__((always_inline)) int is_ipv4(const char *p, size_t n)
{
	unsigned char b[16] = {0};
	if (n < 7 || n > 15)
		return 0;
	if (n >= 8) {
		memcpy(b, p, 8);
		memcpy(b + n - 8, p + n - 8, 8);
	} else {
		memcpy(b, p, 4);
		memcpy(b + 3, p + 3, 4);
	}
	return ipv4_check(b, n);
}

int vg_pu_is_ipv4(const char *p, size_t n)
{
	return is_ipv4(p, n);
}

/* Out of line: the common path of vg_pu_is_ip (a quad) then keeps no
 * registers across a call. */
static __attribute__((noinline)) int is_ipv6(const char *p, size_t n)
{
	/* every IPv6 text has two ':' at least ("::"): "1.2.3.4:" (an address
	 * before ": 11: Bye") is settled without inet_pton */
	const char *c1 = n != 0 ? memchr(p, ':', n) : NULL;
	if (c1 == NULL || memchr(c1 + 1, ':', (size_t)(p + n - c1 - 1)) == NULL)
		return 0;
	return pton(AF_INET6, p, n);
}

int vg_pu_is_ip(const char *p, size_t n)
{
	/* a string with a ':' is never a dotted quad, nor one without it IPv6 */
	return is_ipv4(p, n) || is_ipv6(p, n);
}

/* Bit i set when p[base + i] is '=', for base + i < n and i < 16. */
static inline uint32_t eq_bits16(const char *p, size_t n, size_t base)
{
	uint32_t bits = 0;
#ifdef __SSE2__
	if (n >= 16) {
		/* the last block: the slice's last sixteen bytes, shifted */
		size_t at = base + 16 <= n ? base : n - 16;
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + at));
		return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('='))) >> (base - at);
	}
#endif
	for (size_t i = base; i < n && i < base + 16; i++)
		bits |= (uint32_t)(p[i] == '=') << (i - base);
	return bits;
}

/* Try the keys on the '=' at p[eq]: 1 when one (not yet found) is the text
 * before it, at the start of the slice or after a blank. */
static size_t key_before(const char *p, size_t n, size_t eq, const vg_pu_str *keys, vg_pu_str *vals, size_t nkeys)
{
	for (size_t k = 0; k < nkeys; k++) {
		const char *key = keys[k].p;
		size_t m = keys[k].n;
		if (vals[k].p != NULL || m == 0 || m > eq || p[eq - 1] != key[m - 1])
			continue;
		if ((m < eq && p[eq - m - 1] != ' ' && p[eq - m - 1] != '\t') || !same_bytes(p + eq - m, key, m - 1))
			continue;
		vals[k].p = p + eq + 1;
		vals[k].n = vg_pu_blank_off(p + eq + 1, n - eq - 1);
		return 1;
	}
	return 0;
}

size_t vg_pu_kvs(const char *p, size_t n, const vg_pu_str *keys, vg_pu_str *vals, size_t nkeys)
{
	/* A word's key is the text before its first '=': rather than every
	 * word, visit the '=' bytes, and look for each key right before one,
	 * at the start of the slice or after a blank. */
	size_t found = 0;
	uint64_t last[4] = {0}; /* the set of the keys' last bytes */
	for (size_t k = 0; k < nkeys; k++) {
		if (keys[k].n != 0) {
			unsigned char c = (unsigned char)keys[k].p[keys[k].n - 1];
			last[c / 64] |= (uint64_t)1 << (c % 64);
		}
	}
	for (size_t base = 0; base < n && found < nkeys; base += 16) {
		for (uint32_t bits = eq_bits16(p, n, base); bits != 0 && found < nkeys; bits &= bits - 1) {
			size_t eq = base + (size_t)__builtin_ctz(bits);
			unsigned char c = eq != 0 ? (unsigned char)p[eq - 1] : 0;
			if (eq == 0 || (last[c / 64] >> (c % 64) & 1) == 0)
				continue; /* one bit test for most '=' */
			found += key_before(p, n, eq, keys, vals, nkeys);
		}
	}
	return found;
}

int vg_pu_kv(const char *p, size_t n, const char *key, vg_pu_str *val)
{
	size_t m = strlen(key);
	/* visit word starts only: one pass over the text per key */
	for (size_t i = 0; i + m < n;) {
		size_t e = i;
		while (e < n && p[e] != ' ' && p[e] != '\t')
			e++;
		if (e - i > m && p[i + m] == '=' && memcmp(p + i, key, m) == 0) {
			val->p = p + i + m + 1;
			val->n = e - (i + m + 1);
			return 1;
		}
		i = e + 1;
	}
	return 0;
}

vg_pu_str vg_pu_trim(vg_pu_str s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

int vg_pu_add_uint(vg_event *ev, const char *name, uint64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return vg_event_add_copy(ev, name, strlen(name), buf + i, sizeof(buf) - i, VG_V_NUM);
}

int vg_pu_add_lower(vg_event *ev, const char *name, const char *p, size_t n)
{
	char *s = vg_arena_alloc(ev->arena, n + 1);
	if (s == NULL) {
		ev->dropped++;
		return VG_ELIMIT;
	}
	for (size_t i = 0; i < n; i++)
		s[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] + 32) : p[i];
	s[n] = '\0';
	return vg_event_add_str(ev, name, s, n);
}
