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

const char *vg_pu_find(const char *h, size_t n, const char *needle, size_t m)
{
	if (m == 0)
		return h;
	if (n < m)
		return NULL;
	/* memchr for one byte, then compare: much cheaper than memmem's set-up
	 * for the short needles and lines here */
	size_t k = probe_byte(needle, m), last = n - m; /* last candidate start */
	const char *q = h + k, *stop = h + last + k + 1;
	while (q < stop && (q = memchr(q, needle[k], (size_t)(stop - q))) != NULL) {
		if (memcmp(q - k, needle, m) == 0)
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
	size_t k = probe_byte(needle, m);
	size_t len = n - m + 1; /* candidate starts h[0 .. len) */
	while (len > 0) {
		const char *q = memrchr(h + k, needle[k], len);
		if (q == NULL)
			return NULL;
		if (memcmp(q - k, needle, m) == 0)
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

/* Dotted quad, exactly as inet_pton(AF_INET) accepts it (four decimal
 * octets <= 255, no leading zeros, nothing else), without its copy and call:
 * this runs for every address of every auth line. */
int vg_pu_is_ipv4(const char *p, size_t n)
{
	if (n < 7 || n > 15)
		return 0;
	const char *e = p + n;
	for (int o = 0; o < 4; o++) {
		if (o != 0 && (p == e || *p++ != '.'))
			return 0;
		if (p == e)
			return 0;
		unsigned v = (unsigned)(unsigned char)*p - '0';
		if (v > 9)
			return 0;
		p++;
		unsigned d;
		if (p != e && (d = (unsigned)(unsigned char)*p - '0') <= 9) {
			if (v == 0)
				return 0; /* leading zero */
			v = v * 10 + d;
			p++;
			if (p != e && (d = (unsigned)(unsigned char)*p - '0') <= 9) {
				v = v * 10 + d;
				p++;
				if (v > 255)
					return 0;
			}
		}
	}
	return p == e;
}

int vg_pu_is_ip(const char *p, size_t n)
{
	/* a string with a ':' is never a dotted quad, nor one without it IPv6 */
	if (vg_pu_is_ipv4(p, n))
		return 1;
	/* every IPv6 text has two ':' at least ("::"): "1.2.3.4:" (an address
	 * before ": 11: Bye") is settled without inet_pton */
	const char *c1 = n != 0 ? memchr(p, ':', n) : NULL;
	if (c1 == NULL || memchr(c1 + 1, ':', (size_t)(p + n - c1 - 1)) == NULL)
		return 0;
	return pton(AF_INET6, p, n);
}

/* Length of a key, SIZE_MAX when no word can have it as its key (empty, or
 * holding '='): keys are short literals, a loop costs less than calls. */
static size_t key_len(const char *k)
{
	size_t m = 0;
	while (k[m] != '\0' && k[m] != '=')
		m++;
	return k[m] != '\0' || m == 0 ? SIZE_MAX : m;
}

static int same_prefix(const char *p, const char *k, size_t m)
{
	for (size_t i = 0; i < m; i++)
		if (p[i] != k[i])
			return 0;
	return 1;
}

size_t vg_pu_kvs(const char *p, size_t n, const char *const *keys, vg_pu_str *vals, size_t nkeys)
{
	/* Per key its length (SIZE_MAX: no word can have it as its key), and
	 * the set of first bytes, so most words cost one bit test. */
	size_t found = 0, lens[8];
	uint64_t first[4] = {0};
	for (size_t k = 0; k < nkeys; k++) {
		unsigned char c0 = (unsigned char)keys[k][0];
		first[c0 / 64] |= (uint64_t)1 << (c0 % 64);
		if (k < 8)
			lens[k] = key_len(keys[k]);
	}
	for (size_t i = 0; i < n && found < nkeys;) {
		size_t e = i + vg_pu_blank_off(p + i, n - i);
		unsigned char c0 = (unsigned char)p[i];
		/* the key is the text before the word's first '=': key k matches
		 * when its text is followed by '=' */
		if (first[c0 / 64] >> (c0 % 64) & 1) {
			for (size_t k = 0; k < nkeys; k++) {
				size_t m = k < 8 ? lens[k] : key_len(keys[k]);
				if (vals[k].p == NULL && m < e - i && p[i + m] == '=' && same_prefix(p + i, keys[k], m)) {
					vals[k].p = p + i + m + 1;
					vals[k].n = e - (i + m) - 1;
					found++;
					break;
				}
			}
		}
		i = e + 1;
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

size_t vg_pu_chomp(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	return n;
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
