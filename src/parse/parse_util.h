/* parse_util.h — small bounded scanning helpers shared by the text parsers
 * (syslog and its applications, Apache/Nginx, auditd): a cursor over a byte
 * slice, literal/token matching, strict integers, IP validation, and a few
 * "add this kind of value" shortcuts onto an event.
 *
 * Contract: every function reads only inside the slice it is given and never
 * needs NUL termination. The scanners are pure and thread-safe; the vg_pu_add_*
 * helpers write to the event (and its arena) they are handed and return the
 * vg_event_add codes (0 or VG_ELIMIT; a dropped field is counted on the event);
 * the vg_pu_batch_* ones add fields as vg_event_add would (see vg_pu_batch). */
#ifndef VG_PARSE_UTIL_H
#define VG_PARSE_UTIL_H

#include <stddef.h>
#include <string.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/bytes.h"
#include "core/event.h"

/* A borrowed slice. */
typedef struct vg_pu_str {
	const char *p;
	size_t n;
} vg_pu_str;

/* A read position inside [p, end). */
typedef struct vg_pu_cur {
	const char *p;
	const char *end;
} vg_pu_cur;

static inline vg_pu_cur vg_pu_cur_make(const char *p, size_t n)
{
	vg_pu_cur c = {p, p != NULL ? p + n : p}; /* an empty slice may be {NULL, 0} */
	return c;
}

static inline size_t vg_pu_left(const vg_pu_cur *c)
{
	return (size_t)(c->end - c->p);
}

/* Consume the NUL-terminated literal lit if the cursor is at it: 1, else 0. */
static inline __attribute__((always_inline)) int vg_pu_lit(vg_pu_cur *c, const char *lit)
{
	/* always inlined so that strlen of a literal and lit[0] fold to
	 * constants: most calls are rejected by the first byte, without memcmp */
	size_t m = strlen(lit);
	if (vg_pu_left(c) < m || (m != 0 && c->p[0] != lit[0]) || !vg_bytes_eq(c->p, lit, m))
		return 0;
	c->p += m;
	return 1;
}
/* A string literal as (pointer, length) arguments: vg_pu_find(p, n, VG_PU_LIT("x")). */
#define VG_PU_LIT(s) (s), (sizeof(s) - 1)

/* Memory search within bounds; NULL when absent (m == 0 matches at h). */
const char *vg_pu_find(const char *h, size_t n, const char *needle, size_t m);
const char *vg_pu_rfind(const char *h, size_t n, const char *needle, size_t m);

/* Offset of the first byte equal to a or b in p[0..n), or n. Sixteen bytes
 * a step with SSE2, else eight; the rest of the slice in one more step that
 * overlaps bytes already checked (loads stay inside the slice): tokens and
 * quoted fields are scanned on every line, and most are short. */
static inline size_t vg_pu_find2(const char *p, size_t n, char a, char b)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0;
#ifdef __SSE2__
	if (n >= 16) {
		const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
		__m128i x;
		unsigned hit;
		for (; i + 16 <= n; i += 16) {
			x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			hit = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
			if (hit != 0)
				return i + (size_t)__builtin_ctz(hit);
		}
		if (i == n)
			return n;
		/* the last sixteen bytes, those before i dropped */
		x = _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
		hit = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
		hit >>= i + 16 - n;
		return hit != 0 ? i + (size_t)__builtin_ctz(hit) : n;
	}
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n >= 8) {
		uint64_t x, xa, xb, hit;
		for (;; i += 8) {
			/* the last step overlaps: a flagged byte there is past i, as
			 * the lowest flagged byte of a word is always a real one */
			size_t at = i + 8 <= n ? i : n - 8;
			memcpy(&x, p + at, 8);
			xa = x ^ (ones * (unsigned char)a);
			xb = x ^ (ones * (unsigned char)b);
			hit = (((xa - ones) & ~xa) | ((xb - ones) & ~xb)) & highs;
			if (hit != 0)
				return at + (size_t)__builtin_ctzll(hit) / 8;
			if (i + 8 >= n)
				return n;
		}
	}
#else
	(void)ones;
	(void)highs;
#endif
	while (i < n && p[i] != a && p[i] != b)
		i++;
	return i;
}

/* out = text before the first (or, for _last, the last) occurrence of lit;
 * the cursor moves past lit. 0 (cursor unchanged) when lit does not occur.
 * (Inline so that the length of a literal is a constant.) vg_pu_upto_at:
 * the same for an occurrence q (NULL: none) of m bytes already found. */
static inline int vg_pu_upto_at(vg_pu_cur *c, const char *q, size_t m, vg_pu_str *out)
{
	if (q == NULL)
		return 0;
	out->p = c->p;
	out->n = (size_t)(q - c->p);
	c->p = q + m;
	return 1;
}
static inline __attribute__((always_inline)) int vg_pu_upto(vg_pu_cur *c, const char *lit, vg_pu_str *out)
{
	size_t m = strlen(lit), left = vg_pu_left(c);
	if (m == 1) {
		/* one byte ("]", ")"), mostly a few bytes on: an inline scan
		 * costs less than the call */
		size_t k = vg_pu_find2(c->p, left, lit[0], lit[0]);
		return vg_pu_upto_at(c, k < left ? c->p + k : NULL, 1, out);
	}
	return vg_pu_upto_at(c, vg_pu_find(c->p, left, lit, m), m, out);
}
static inline __attribute__((always_inline)) int vg_pu_upto_last(vg_pu_cur *c, const char *lit, vg_pu_str *out)
{
	size_t m = strlen(lit);
	return vg_pu_upto_at(c, vg_pu_rfind(c->p, vg_pu_left(c), lit, m), m, out);
}

/* Offset of the first blank (' ', '\t') in p[0..n), or n. */
static inline __attribute__((always_inline)) size_t vg_pu_blank_off(const char *p, size_t n)
{
	return vg_pu_find2(p, n, ' ', '\t');
}

/* A run of at least one non-blank byte (blank: ' ', '\t'); does not skip
 * what follows. 0 when the cursor is at a blank or at the end. */
static inline __attribute__((always_inline)) int vg_pu_token(vg_pu_cur *c, vg_pu_str *out)
{
	size_t k = vg_pu_blank_off(c->p, vg_pu_left(c));
	out->p = c->p;
	out->n = k;
	c->p += k;
	return k != 0;
}
/* Skip blanks; returns how many were skipped. */
static inline __attribute__((always_inline)) size_t vg_pu_blanks(vg_pu_cur *c)
{
	const char *s = c->p;
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
	return (size_t)(c->p - s);
}
/* The rest of the slice. */
static inline vg_pu_str vg_pu_rest(const vg_pu_cur *c)
{
	vg_pu_str s = {c->p, vg_pu_left(c)};
	return s;
}
/* p[0..n) equals / starts with the NUL-terminated lit. */
static inline int vg_pu_eq(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	return n == m && memcmp(p, lit, m) == 0;
}
static inline int vg_pu_prefix(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	return n >= m && memcmp(p, lit, m) == 0;
}
/* Length of the run of ASCII digits at p. Most runs are empty (a test
 * whether text starts with a number: one compare) or short numbers (pids,
 * ports: eight bytes a step). A byte b is a digit when t = b ^ '0' is below
 * 10: bit 7 of (t & 0x7f) + 0x76 (no carry out of the byte) or of t itself
 * is set for every other byte. */
static inline size_t vg_pu_ndigits(const char *p, size_t n)
{
	size_t i = 0;
	if (n == 0 || (unsigned)(unsigned char)p[0] - '0' > 9)
		return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n >= 8) {
		uint64_t x, other;
		memcpy(&x, p, 8);
		x ^= 0x3030303030303030u;
		other = (((x & 0x7f7f7f7f7f7f7f7fu) + 0x7676767676767676u) | x) & 0x8080808080808080u;
		if (other != 0)
			return (size_t)__builtin_ctzll(other) / 8;
		i = 8;
	}
#endif
	while (i < n && (unsigned)(unsigned char)p[i] - '0' <= 9)
		i++;
	return i;
}
/* Whether the eight bytes of x are all ASCII digits: their high nibbles are
 * all 3 and adding 6 to each keeps them so (no carry across bytes then). */
static inline int vg_pu_digits_word(uint64_t x)
{
	const uint64_t hi = 0xF0F0F0F0F0F0F0F0u, d = 0x3030303030303030u;
	return (x & hi) == d && ((x + 0x0606060606060606u) & hi) == d;
}
/* Whether p[0..n) is all ASCII digits (1 for n == 0): a word at a time, the
 * last one overlapping, for the numbers (pids, ports) of every line. */
static inline int vg_pu_all_digits(const char *p, size_t n)
{
	uint64_t x;
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8) {
			memcpy(&x, p + i, 8);
			if (!vg_pu_digits_word(x))
				return 0;
		}
		memcpy(&x, p + n - 8, 8);
		return vg_pu_digits_word(x);
	}
	if (n >= 4) {
		uint32_t u, v;
		memcpy(&u, p, 4);
		memcpy(&v, p + n - 4, 4);
		return vg_pu_digits_word((uint64_t)u << 32 | v);
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned)(unsigned char)p[i] - '0' > 9)
			return 0;
	return 1;
}
/* p[0..n) is 1..20 digits whose value is <= max: 1 and *out set, else 0. */
int vg_pu_uint(const char *p, size_t n, uint64_t max, uint64_t *out);
/* Whole slice is a textual IPv4 / IPv6 address (inet_pton rules). */
int vg_pu_is_ipv4(const char *p, size_t n);
int vg_pu_is_ip(const char *p, size_t n);
/* vg_pu_is_ipv4 / vg_pu_is_ip of p[0..n) for a slice with avail >= n bytes
 * readable at p (the rest of a record): with SSE2 and sixteen bytes
 * readable, a dotted quad is checked in place, inline (no copy, no call:
 * the addresses of every auth line), by the rules vg_pu_is_ipv4 applies.
 * VG_PU_QUAD_NO: no quad, and no IPv6 text either (fewer than two ':'). */
enum { VG_PU_QUAD_NO = 0, VG_PU_QUAD_YES = 1, VG_PU_QUAD_ASK = 2 /* no quad; ask vg_pu_is_ip */ };
static inline __attribute__((always_inline)) int vg_pu_quad_in(const char *p, size_t n, size_t avail)
{
#ifdef __SSE2__
	if (n >= 7 && n <= 15 && avail >= 16) {
		const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		const unsigned keep = (1u << n) - 1;
		const __m128i t = _mm_sub_epi8(x, _mm_set1_epi8('0'));
		unsigned digit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t)) & keep;
		unsigned dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.'))) & keep;
		unsigned d3 = dot & (dot - 1);
		d3 &= d3 - 1;
		if ((digit | dot) != keep || d3 == 0 || (d3 & (d3 - 1)) != 0) {
			/* a byte that is neither, or not exactly three dots */
			unsigned colon = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(':'))) & keep;
			return (colon & (colon - 1)) != 0 ? VG_PU_QUAD_ASK : VG_PU_QUAD_NO;
		}
		/* digits and dots only from here: no IPv6 text */
		unsigned start = dot << 1 | 1; /* where each octet starts (bit n: after a final dot) */
		unsigned two = digit & digit >> 1; /* where two digits in a row start */
		if ((start & ~digit) != 0 || (two & two >> 2) != 0)
			return VG_PU_QUAD_NO; /* an empty octet, or one of four digits or more */
		unsigned zero = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('0'))) & keep;
		if ((start & zero & digit >> 1) != 0)
			return VG_PU_QUAD_NO; /* a leading zero */
		unsigned three = start & two >> 1;
		if (three == 0)
			return VG_PU_QUAD_YES;
		/* a three-digit octet is above 255 when its digits, compared with
		 * "255" one by one, are first greater (signed compares: digits) */
		__m128i gt2 = _mm_cmpgt_epi8(x, _mm_set1_epi8('2')), eq2 = _mm_cmpeq_epi8(x, _mm_set1_epi8('2'));
		__m128i gt5 = _mm_cmpgt_epi8(x, _mm_set1_epi8('5')), eq5 = _mm_cmpeq_epi8(x, _mm_set1_epi8('5'));
		__m128i next =
			_mm_or_si128(_mm_srli_si128(gt5, 1), _mm_and_si128(_mm_srli_si128(eq5, 1), _mm_srli_si128(gt5, 2)));
		unsigned above = (unsigned)_mm_movemask_epi8(_mm_or_si128(gt2, _mm_and_si128(eq2, next)));
		return (three & above) == 0 ? VG_PU_QUAD_YES : VG_PU_QUAD_NO;
	}
#endif
	(void)avail;
	return VG_PU_QUAD_ASK;
}
static inline __attribute__((always_inline)) int vg_pu_is_ipv4_in(const char *p, size_t n, size_t avail)
{
	int q = vg_pu_quad_in(p, n, avail);
	return q == VG_PU_QUAD_ASK ? vg_pu_is_ipv4(p, n) : q;
}
static inline __attribute__((always_inline)) int vg_pu_is_ip_in(const char *p, size_t n, size_t avail)
{
	int q = vg_pu_quad_in(p, n, avail);
	return q == VG_PU_QUAD_ASK ? vg_pu_is_ip(p, n) : q;
}
/* Value of a blank-separated "key=value" pair in p[0..n): the key must start
 * the slice or follow a blank; the value runs to the next blank (may be
 * empty). 1 and *val set when found, else 0. */
int vg_pu_kv(const char *p, size_t n, const char *key, vg_pu_str *val);
/* Several keys in one pass: vals[k] (zero-initialised by the caller) gets the
 * first value of keys[k] (as vg_pu_kv would find it); returns how many keys
 * were found. Keys are non-empty and hold no blank and no '='. */
size_t vg_pu_kvs(const char *p, size_t n, const vg_pu_str *keys, vg_pu_str *vals, size_t nkeys);
/* n without trailing '\r' / '\n' bytes (inline: once per record). */
static inline size_t vg_pu_chomp(const char *p, size_t n)
{
	/* a line's last byte is mostly text: above '\r', nothing to drop */
	if (n != 0 && (unsigned char)p[n - 1] > '\r')
		return n;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	return n;
}
/* Drop blanks at both ends of s. */
vg_pu_str vg_pu_trim(vg_pu_str s);

/* Add name = p[0..n) as a number when it is 1..20 digits; VG_EPARSE (nothing
 * added) otherwise. (Inline so that a literal name's length is a constant.) */
static inline __attribute__((always_inline)) int vg_pu_add_num_n(vg_event *ev, const char *name, size_t name_len,
								 const char *p, size_t n)
{
	if (n == 0 || n > 20 || !vg_pu_all_digits(p, n))
		return VG_EPARSE;
	return vg_event_add(ev, name, name_len, p, n, VG_V_NUM);
}
static inline __attribute__((always_inline)) int vg_pu_add_num(vg_event *ev, const char *name, const char *p, size_t n)
{
	return vg_pu_add_num_n(ev, name, __builtin_strlen(name), p, n);
}
/* Add a number computed here (its text goes to the arena). */
int vg_pu_add_uint(vg_event *ev, const char *name, uint64_t v);
/* Add p[0..n) as ip_name when it is an IP address, else as domain_name
 * (nothing for an empty value or domain_name == NULL). */
static inline int vg_pu_add_host(vg_event *ev, const char *ip_name, const char *domain_name, const char *p, size_t n)
{
	/* inline: the field names are literals, their hashes then constants */
	if (n == 0)
		return 0;
	if (vg_pu_is_ip(p, n))
		return vg_event_add_str(ev, ip_name, p, n);
	if (domain_name == NULL)
		return 0;
	return vg_event_add_str(ev, domain_name, p, n);
}
/* Add the slice v of a line-framed record as a string field. The line
 * parsers cut records to VG_MAX_LINE bytes, so the length fits the field's
 * 32 bits and vg_event_add's check of that folds away. */
_Static_assert(VG_MAX_LINE <= UINT32_MAX, "a line's slices have 32-bit lengths");
static inline __attribute__((always_inline)) int vg_pu_add_slice(vg_event *ev, const char *name, vg_pu_str v)
{
	return vg_event_add_str(ev, name, v.p, (uint32_t)v.n);
}
/* Add a static string value (event.action, event.outcome, ...). Inline: the
 * lengths of literal names and values are then constants. */
static inline __attribute__((always_inline)) int vg_pu_add_lit(vg_event *ev, const char *name, const char *lit)
{
	return vg_event_add_str(ev, name, lit, __builtin_strlen(lit));
}
/* Several fields added in a row (a syslog header, event.category/action/
 * outcome): the same fields, in the same order, and the same drops as that
 * many vg_event_add calls, but the event's count is read and written once
 * per batch, not once per field (the next free slot stays in a register),
 * and a field's hash, name length and type go in with one eight-byte store
 * (constants for a literal name). Between vg_pu_batch_begin and
 * vg_pu_batch_end, add nothing to the event by other means. */
typedef struct vg_pu_batch {
	vg_field *f, *end; /* the next free slot; one past the last one */
} vg_pu_batch;
_Static_assert(offsetof(vg_field, name_len) == offsetof(vg_field, hash) + 4 &&
		       offsetof(vg_field, type) == offsetof(vg_field, hash) + 6 &&
		       offsetof(vg_field, val_len) >= offsetof(vg_field, hash) + 8,
	       "hash, name_len and type fill one eight-byte word of vg_field");
static inline __attribute__((always_inline)) vg_pu_batch vg_pu_batch_begin(vg_event *ev)
{
	return (vg_pu_batch){ev->fields + ev->nfields, ev->fields + VG_MAX_FIELDS};
}
/* Whether k more fields fit in b: then vg_pu_batch_put may add them. */
static inline __attribute__((always_inline)) int vg_pu_batch_room(const vg_pu_batch *b, size_t k)
{
	return (size_t)(b->end - b->f) >= k;
}
/* Add a field that fits (vg_pu_batch_room), its name at most
 * VG_MAX_FIELD_NAME bytes. */
static inline __attribute__((always_inline)) void vg_pu_batch_put(vg_pu_batch *b, const char *name, size_t name_len,
								  const char *val, uint32_t val_len, enum vg_vtype type)
{
	struct {
		uint32_t hash;
		uint16_t name_len;
		uint8_t type, pad;
	} meta = {vg_field_hash(name, name_len), (uint16_t)name_len, (uint8_t)type, 0};
	b->f->name = name;
	b->f->val = val;
	b->f->val_len = val_len;
	memcpy((char *)b->f + offsetof(vg_field, hash), &meta, sizeof(meta));
	b->f++;
}
/* vg_event_add of a value slice of a line (32-bit length, see vg_pu_add_slice). */
static inline __attribute__((always_inline)) void vg_pu_batch_add(vg_event *ev, vg_pu_batch *b, const char *name,
								  size_t name_len, const char *val, uint32_t val_len,
								  enum vg_vtype type)
{
	if (__builtin_expect(b->f >= b->end || name_len > VG_MAX_FIELD_NAME, 0)) {
		ev->dropped++;
		return;
	}
	vg_pu_batch_put(b, name, name_len, val, val_len, type);
}
/* The same with a NUL-terminated (literal) name, string type. */
static inline __attribute__((always_inline)) void vg_pu_batch_str(vg_event *ev, vg_pu_batch *b, const char *name,
								  vg_pu_str v)
{
	vg_pu_batch_add(ev, b, name, __builtin_strlen(name), v.p, (uint32_t)v.n, VG_V_STR);
}
static inline __attribute__((always_inline)) void vg_pu_batch_end(vg_event *ev, vg_pu_batch b)
{
	ev->nfields = (uint32_t)(b.f - ev->fields);
}
/* Add an ASCII-lowercased copy of p[0..n) (arena). */
int vg_pu_add_lower(vg_event *ev, const char *name, const char *p, size_t n);

#endif
