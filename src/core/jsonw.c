/* jsonw.c — streaming JSON writer (see jsonw.h). */
#include "core/jsonw.h"

#include <stdint.h>
#include <string.h>

#include "core/err.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void vg_jsonw_init(vg_jsonw *w, vg_buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->first[0] = 1;
}

/* The rare case of put: growing the output (or an error). Out of line, so
 * the callers' common paths make no call and need no stack frame. */
static __attribute__((noinline, cold)) void put_grow(vg_jsonw *w, const char *p, size_t n)
{
	if (w->err == 0 && vg_buf_append(w->out, p, n) != 0)
		w->err = VG_ENOMEM;
}

static __attribute__((noinline, cold)) void put1_grow(vg_jsonw *w, char c)
{
	put_grow(w, &c, 1);
}

static inline void put(vg_jsonw *w, const char *p, size_t n)
{
	vg_buf *b = w->out;
	if (__builtin_expect(b->cap - b->len >= n && w->err == 0, 1)) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		return;
	}
	put_grow(w, p, n);
}

static inline void put1(vg_jsonw *w, char c)
{
	vg_buf *b = w->out;
	if (__builtin_expect(b->cap > b->len && w->err == 0, 1)) {
		b->data[b->len++] = c;
		return;
	}
	put1_grow(w, c);
}

/* Separator before a key, or before a value of an array or the top. */
static inline void sep_member(vg_jsonw *w)
{
	if (!w->first[w->depth])
		put1(w, ',');
	w->first[w->depth] = 0;
}

/* Separator before a value: none after its key; in an object a value
 * needs one. */
static inline void sep(vg_jsonw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->obj[w->depth]) {
		w->err = VG_EINVAL;
		return;
	}
	sep_member(w);
}

static void begin(vg_jsonw *w, char c)
{
	sep(w);
	if (w->depth + 1 >= VG_JSONW_MAX_DEPTH) {
		w->err = VG_EINVAL;
		return;
	}
	put1(w, c);
	w->first[++w->depth] = 1;
	w->obj[w->depth] = c == '{';
}

static void close_(vg_jsonw *w, char c)
{
	if (w->depth == 0 || w->after_key || w->obj[w->depth] != (c == '}')) {
		w->err = VG_EINVAL;
		return;
	}
	w->depth--;
	put1(w, c);
}

void vg_jsonw_obj_begin(vg_jsonw *w) { begin(w, '{'); }
void vg_jsonw_obj_end(vg_jsonw *w) { close_(w, '}'); }
void vg_jsonw_arr_begin(vg_jsonw *w) { begin(w, '['); }
void vg_jsonw_arr_end(vg_jsonw *w) { close_(w, ']'); }

/* Length of a valid UTF-8 sequence at p (1..4), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t k = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
	if (k == 0 || k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if (k == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
		return 0;
	if (k == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
		return 0;
	return k;
}

typedef uint8_t v16 __attribute__((vector_size(16)));
typedef int8_t s16 __attribute__((vector_size(16)));
typedef uint64_t u64x2 __attribute__((vector_size(16)));

/* The bytes a JSON string cannot carry as they are (controls, '"', '\\')
 * or that must be checked as UTF-8 (>= 0x80). */
static inline int special(unsigned c)
{
	return c - 0x20u >= 0x60u || c == '"' || c == '\\';
}

/* Bit i set if byte i of x is special (a vector compare: SSE2 on x86-64,
 * NEON on arm64, plain code elsewhere). */
static inline unsigned special_mask(v16 x)
{
	/* as signed bytes, those below 0x20 and those >= 0x80 (negative) are
	 * both less than 0x20: one compare */
	v16 m = (v16)((s16)x < 0x20) | (x == '"') | (x == '\\');
#if defined(__SSE2__)
	return (unsigned)_mm_movemask_epi8((__m128i)m);
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* lane k keeps bit k of its byte; the multiply gathers the 8 bits of
	 * a word in its top byte (no two overlap, so no carries) */
	uint64_t l[2];
	const uint64_t bits = 0x8040201008040201ull, ones = 0x0101010101010101ull;
	memcpy(l, &m, 16);
	return (unsigned)(((l[0] & bits) * ones) >> 56) | (unsigned)(((l[1] & bits) * ones) >> 56) << 8;
#else
	unsigned r = 0;
	for (int i = 0; i < 16; i++)
		r |= (unsigned)(m[i] != 0) << i;
	return r;
#endif
}

/* The same for the 16 bytes at p. */
static inline unsigned special16(const unsigned char *p)
{
	v16 x;
	memcpy(&x, p, 16);
	return special_mask(x);
}

/* 1 if none of k[0..n) is special, n <= 16: two words (or halves),
 * overlapping, checked in one vector instead of a loop. */
static inline int plain_short(const char *k, size_t n)
{
	uint64_t a, b;
	if (n >= 8) {
		memcpy(&a, k, 8);
		memcpy(&b, k + n - 8, 8);
	} else if (n >= 4) {
		uint32_t u, v;
		memcpy(&u, k, 4);
		memcpy(&v, k + n - 4, 4);
		a = b = (uint64_t)u << 32 | v;
	} else {
		/* bytes 0, n/2 and n-1 are all of 1 to 3 */
		return n == 0 || !(special((unsigned char)k[0]) | special((unsigned char)k[n / 2]) |
				   special((unsigned char)k[n - 1]));
	}
	return special_mask((v16)(u64x2){a, b}) == 0;
}

/* memcpy(d, k, n) for n <= 16, the same way. */
static inline void copy_short(char *d, const char *k, size_t n)
{
	if (n >= 8) {
		memcpy(d, k, 8);
		memcpy(d + n - 8, k + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, k, 4);
		memcpy(d + n - 4, k + n - 4, 4);
	} else if (n > 0) {
		/* bytes 0, n/2 and n-1 are all of 1 to 3 (no loop: a loop
		 * here becomes a call to memcpy) */
		d[0] = k[0];
		d[n / 2] = k[n / 2];
		d[n - 1] = k[n - 1];
	}
}

/* Writes the escape of special byte u[0] (of u[0..n), n >= 1) at d;
 * *used is set to the input bytes it stands for. Returns the end. */
static inline char *escape_one(char *d, const unsigned char *u, size_t n, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned c = u[0];
	*used = 1;
	if (c >= 0x80) {
		size_t k = utf8_len(u, n);
		if (k > 0) { /* valid UTF-8: as it is */
			copy_short(d, (const char *)u, k);
			*used = k;
			return d + k;
		}
		memcpy(d, "\xEF\xBF\xBD", 3); /* invalid UTF-8 byte */
		return d + 3;
	}
	switch (c) {
	case '"': memcpy(d, "\\\"", 2); return d + 2;
	case '\\': memcpy(d, "\\\\", 2); return d + 2;
	case '\n': memcpy(d, "\\n", 2); return d + 2;
	case '\r': memcpy(d, "\\r", 2); return d + 2;
	case '\t': memcpy(d, "\\t", 2); return d + 2;
	default: {
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		memcpy(d, esc, 6);
		return d + 6;
	}
	}
}

/* The string quoted and escaped. Room for the worst case (6 bytes per
 * input byte, plus 16 of slack) is made first, so the loop writes without
 * checks: 16 bytes a step are stored whole and kept up to the first
 * special byte, which is escaped in place. */
static void quoted(vg_jsonw *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	vg_buf *b = w->out;
	if (w->err != 0)
		return;
	if (n > (SIZE_MAX - 32) / 6) {
		w->err = VG_ENOMEM;
		return;
	}
	size_t worst = 6 * n + 2 + 16;
	if (b->cap - b->len < worst && vg_buf_reserve(b, worst) != 0) {
		w->err = VG_ENOMEM;
		return;
	}
	char *d0 = b->data + b->len, *d = d0;
	*d++ = '"';
	size_t i = 0;
	while (i < n) {
		size_t k;
		if (n - i >= 16) {
			v16 x;
			memcpy(&x, u + i, 16);
			memcpy(d, &x, 16);
			unsigned m = special_mask(x);
			k = m != 0 ? (size_t)__builtin_ctz(m) : 16;
		} else if (n >= 16) {
			/* the tail within the string's last 16 bytes (no byte loop) */
			unsigned m = special16(u + n - 16) >> (i - (n - 16));
			k = m != 0 ? (size_t)__builtin_ctz(m) : n - i;
			copy_short(d, s + i, k);
		} else {
			k = 0;
			while (i + k < n && !special(u[i + k])) {
				d[k] = s[i + k];
				k++;
			}
		}
		i += k;
		d += k;
		if (i < n && k < 16) {
			size_t used;
			d = escape_one(d, u + i, n - i, &used);
			i += used;
		}
	}
	*d++ = '"';
	b->len += (size_t)(d - d0);
}

/* Keys and most values are short and need no escaping: when n <= 16, no
 * byte is special and the room is there, the comma (if any), the quoted
 * string and the colon (colon 1), or the colon and '{' (colon 2), are
 * written with one check and one copy.
 * No call on this path, so its callers need no stack frame. 1 if written,
 * 0 if left to the general path. */
static inline __attribute__((always_inline)) int short_plain(vg_jsonw *w, size_t comma, const char *s, size_t n, size_t colon)
{
	vg_buf *b = w->out;
	size_t need = comma + n + 2 + colon;
	if (n > 16 || w->err != 0 || b->cap - b->len < need || !plain_short(s, n))
		return 0;
	char *d = b->data + b->len;
	d[0] = ',';
	d += comma; /* without a comma, the quote overwrites it */
	d[0] = '"';
	copy_short(d + 1, s, n);
	d[n + 1] = '"';
	if (colon) /* 2: the key of an object ({ opening it) */
		memcpy(d + n + 2, ":{", colon);
	b->len += need;
	return 1;
}

/* 1 if none of s[0..n) is special, n > 16: the masks of all 16-byte
 * steps ORed (no early exit: most strings are plain), the last step
 * overlapping. */
static inline int plain_long(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned m = special16(u + n - 16);
	for (size_t i = 0; i + 16 < n; i += 16)
		m |= special16(u + i);
	return m == 0;
}

int vg_json_plain(const char *s, size_t n)
{
	return n <= 16 ? plain_short(s, n) : plain_long(s, n);
}

/* The general paths, out of line (see short_plain). */
static __attribute__((noinline)) void key_slow(vg_jsonw *w, const char *k, size_t n)
{
	sep_member(w);
	quoted(w, k, n);
	put1(w, ':');
	w->after_key = 1;
}

static __attribute__((noinline)) void str_slow(vg_jsonw *w, const char *s, size_t n)
{
	sep(w);
	quoted(w, s, n);
}

void vg_jsonw_key(vg_jsonw *w, const char *k, size_t n)
{
	if (!w->obj[w->depth] || w->after_key) {
		w->err = VG_EINVAL;
		return;
	}
	if (short_plain(w, !w->first[w->depth], k, n, 1)) {
		w->first[w->depth] = 0;
		w->after_key = 1;
		return;
	}
	key_slow(w, k, n);
}

void vg_jsonw_key_obj(vg_jsonw *w, const char *k, size_t n)
{
	if (w->obj[w->depth] && !w->after_key && w->depth + 1 < VG_JSONW_MAX_DEPTH &&
	    short_plain(w, !w->first[w->depth], k, n, 2)) {
		w->first[w->depth] = 0;
		w->first[++w->depth] = 1;
		w->obj[w->depth] = 1;
		return;
	}
	vg_jsonw_key(w, k, n);
	vg_jsonw_obj_begin(w);
}

void vg_jsonw_str(vg_jsonw *w, const char *s, size_t n)
{
	/* the usual case: a value after its key (no separator) */
	if (w->after_key && short_plain(w, 0, s, n, 0)) {
		w->after_key = 0;
		return;
	}
	str_slow(w, s, n);
}

void vg_jsonw_key_str(vg_jsonw *w, const char *k, size_t kn, const char *s, size_t sn)
{
	/* both short and plain (most fields): one check of the state, one of
	 * the room */
	size_t comma = !w->first[w->depth];
	vg_buf *b = w->out;
	if (kn <= 16 && sn <= 16 && w->obj[w->depth] && !w->after_key && w->err == 0 &&
	    b->cap - b->len >= comma + kn + sn + 5 && plain_short(k, kn) && plain_short(s, sn)) {
		char *d = b->data + b->len;
		d[0] = ',';
		d += comma;
		d[0] = '"';
		copy_short(d + 1, k, kn);
		d += kn + 1;
		memcpy(d, "\":\"", 3);
		copy_short(d + 3, s, sn);
		d[sn + 3] = '"';
		b->len += comma + kn + sn + 5;
		w->first[w->depth] = 0;
		return;
	}
	vg_jsonw_key(w, k, kn);
	vg_jsonw_str(w, s, sn);
}

void vg_jsonw_str_at(vg_jsonw *w, const char *s, size_t n, vg_jsonw_span *at)
{
	sep(w);
	at->off = w->out->len;
	quoted(w, s, n);
	at->len = w->out->len - at->off;
}

void vg_jsonw_again(vg_jsonw *w, const vg_jsonw_span *at)
{
	vg_buf *b = w->out;
	sep(w);
	if (w->err != 0)
		return;
	if (at->off > b->len || at->len > b->len - at->off) {
		w->err = VG_EINVAL; /* not a span of this output */
		return;
	}
	/* reserved before the copy: the source lies in the same buffer */
	if (b->cap - b->len < at->len && vg_buf_reserve(b, at->len) != 0) {
		w->err = VG_ENOMEM;
		return;
	}
	memcpy(b->data + b->len, b->data + at->off, at->len);
	b->len += at->len;
}

/* As printf's "%" PRId64 writes v, without printf (alerts write one
 * number per contributing event). */
void vg_jsonw_int(vg_jsonw *w, int64_t v)
{
	static const char d2[] = "00010203040506070809101112131415161718192021222324"
				 "25262728293031323334353637383940414243444546474849"
				 "50515253545556575859606162636465666768697071727374"
				 "75767778798081828384858687888990919293949596979899";
	char tmp[24];
	size_t i = sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	for (; u >= 100; u /= 100) { /* two digits a step */
		i -= 2;
		memcpy(tmp + i, d2 + 2 * (u % 100), 2);
	}
	if (u >= 10) {
		i -= 2;
		memcpy(tmp + i, d2 + 2 * u, 2);
	} else {
		tmp[--i] = (char)('0' + u);
	}
	if (v < 0)
		tmp[--i] = '-';
	sep(w);
	put(w, tmp + i, sizeof(tmp) - i);
}

void vg_jsonw_raw(vg_jsonw *w, const char *p, size_t n)
{
	sep(w);
	put(w, p, n);
}

void vg_jsonw_bool(vg_jsonw *w, int v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void vg_jsonw_null(vg_jsonw *w)
{
	sep(w);
	put(w, "null", 4);
}

int vg_json_is_number(const char *p, size_t n)
{
	size_t i = 0;
	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (p[i] == '0') {
		i++;
	} else if (p[i] >= '1' && p[i] <= '9') {
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	} else {
		return 0;
	}
	if (i < n && p[i] == '.') {
		size_t d = ++i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i == n;
}

void vg_jsonw_num_text(vg_jsonw *w, const char *p, size_t n)
{
	if (!vg_json_is_number(p, n)) {
		vg_jsonw_str(w, p, n);
		return;
	}
	sep(w);
	put(w, p, n);
}

int vg_jsonw_finish(vg_jsonw *w)
{
	if (w->err == 0 && (w->depth != 0 || w->after_key))
		w->err = VG_EINVAL;
	return w->err;
}
