/* parse_util.c — bounded scanning helpers for the text parsers (see
 * parse_util.h). Everything works on (pointer, length) slices so a parser can
 * never run off the end of a record that is not NUL-terminated. */
#include "parse/parse_util.h"

#include <arpa/inet.h>
#include <string.h>

int vg_pu_upto(vg_pu_cur *c, const char *lit, vg_pu_str *out)
{
	size_t m = strlen(lit);
	const char *q = vg_pu_find(c->p, vg_pu_left(c), lit, m);
	if (q == NULL)
		return 0;
	out->p = c->p;
	out->n = (size_t)(q - c->p);
	c->p = q + m;
	return 1;
}

int vg_pu_upto_last(vg_pu_cur *c, const char *lit, vg_pu_str *out)
{
	size_t m = strlen(lit);
	const char *q = vg_pu_rfind(c->p, vg_pu_left(c), lit, m);
	if (q == NULL)
		return 0;
	out->p = c->p;
	out->n = (size_t)(q - c->p);
	c->p = q + m;
	return 1;
}

int vg_pu_token(vg_pu_cur *c, vg_pu_str *out)
{
	const char *s = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
		c->p++;
	out->p = s;
	out->n = (size_t)(c->p - s);
	return out->n != 0;
}

size_t vg_pu_blanks(vg_pu_cur *c)
{
	const char *s = c->p;
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
	return (size_t)(c->p - s);
}

vg_pu_str vg_pu_rest(const vg_pu_cur *c)
{
	vg_pu_str s = {c->p, vg_pu_left(c)};
	return s;
}

const char *vg_pu_find(const char *h, size_t n, const char *needle, size_t m)
{
	if (m == 0)
		return h;
	if (n < m)
		return NULL;
	return memmem(h, n, needle, m);
}

const char *vg_pu_rfind(const char *h, size_t n, const char *needle, size_t m)
{
	if (n < m)
		return NULL;
	for (size_t i = n - m + 1; i-- > 0;)
		if (h[i] == needle[0] && memcmp(h + i, needle, m) == 0)
			return h + i;
	return NULL;
}

size_t vg_pu_ndigits(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i;
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
	unsigned octets = 0, val = 0, digits = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch >= '0' && ch <= '9') {
			if (digits > 0 && val == 0)
				return 0; /* leading zero */
			val = val * 10 + (ch - '0');
			if (val > 255)
				return 0;
			if (digits++ == 0)
				octets++;
		} else if (ch == '.' && digits > 0 && octets < 4) {
			val = digits = 0;
		} else {
			return 0;
		}
	}
	return octets == 4 && digits > 0;
}

int vg_pu_is_ip(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (memchr(p, ':', n) != NULL)
		return pton(AF_INET6, p, n);
	return vg_pu_is_ipv4(p, n);
}

size_t vg_pu_kvs(const char *p, size_t n, const char *const *keys, vg_pu_str *vals, size_t nkeys)
{
	size_t found = 0;
	for (size_t i = 0; i < n && found < nkeys;) {
		size_t e = i, eq = 0;
		while (e < n && p[e] != ' ' && p[e] != '\t') {
			if (eq == 0 && p[e] == '=')
				eq = e;
			e++;
		}
		if (eq > i) {
			for (size_t k = 0; k < nkeys; k++) {
				if (vals[k].p == NULL && keys[k][0] == p[i] && strlen(keys[k]) == eq - i &&
				    memcmp(p + i, keys[k], eq - i) == 0) {
					vals[k].p = p + eq + 1;
					vals[k].n = e - eq - 1;
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

int vg_pu_add_num_n(vg_event *ev, const char *name, size_t name_len, const char *p, size_t n)
{
	if (n == 0 || n > 20 || vg_pu_ndigits(p, n) != n)
		return VG_EPARSE;
	return vg_event_add(ev, name, name_len, p, n, VG_V_NUM);
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

int vg_pu_add_host(vg_event *ev, const char *ip_name, const char *domain_name, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (vg_pu_is_ip(p, n))
		return vg_event_add_str(ev, ip_name, p, n);
	if (domain_name == NULL)
		return 0;
	return vg_event_add_str(ev, domain_name, p, n);
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
