/* jsonw.c — streaming JSON writer (see jsonw.h). */
#include "core/jsonw.h"

#include <stdint.h>
#include <string.h>

#include "core/err.h"

void vg_jsonw_init(vg_jsonw *w, vg_buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->first[0] = 1;
}

static inline void put(vg_jsonw *w, const char *p, size_t n)
{
	vg_buf *b = w->out;
	if (__builtin_expect(b->cap - b->len >= n && w->err == 0, 1)) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		return;
	}
	if (w->err == 0 && vg_buf_append(b, p, n) != 0)
		w->err = VG_ENOMEM;
}

static inline void put1(vg_jsonw *w, char c)
{
	vg_buf *b = w->out;
	if (__builtin_expect(b->cap > b->len && w->err == 0, 1)) {
		b->data[b->len++] = c;
		return;
	}
	put(w, &c, 1);
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

/* The bytes a JSON string cannot carry as they are (controls, '"', '\\')
 * or that must be checked as UTF-8 (>= 0x80). */
typedef uint8_t v16 __attribute__((vector_size(16)));

static inline int special(unsigned c)
{
	return c - 0x20u >= 0x60u || c == '"' || c == '\\';
}

/* 1 if none of the 8 bytes of x is special (SWAR: a byte < 0x20, >= 0x80,
 * '"' or '\\' sets its high bit in m; borrows only run upwards from a byte
 * that is special itself, so the answer is exact). */
static inline int plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	uint64_t m = x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b);
	return (m & highs) == 0;
}

static void quoted(vg_jsonw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	/* room for the common case (nothing to escape) in one go */
	if (w->err == 0 && w->out->cap - w->out->len < n + 2 && vg_buf_reserve(w->out, n + 2) != 0)
		w->err = VG_ENOMEM;
	put1(w, '"');
	size_t run = 0; /* start of the pending run of bytes that need no escape */
	for (size_t i = 0; i < n;) {
		/* 16 bytes at a time while none is special (vector compare: SSE2 on
		 * x86-64, NEON on arm64, plain code elsewhere) */
		while (i + 16 <= n) {
			v16 x, m;
			memcpy(&x, u + i, 16);
			m = ((v16)(x - (v16){0}) - 0x20 >= 0x60) | (x == '"') | (x == '\\');
			uint64_t lanes[2];
			memcpy(lanes, &m, 16);
			if ((lanes[0] | lanes[1]) != 0)
				break;
			i += 16;
		}
		/* then 8 */
		while (i + 8 <= n) {
			uint64_t x;
			memcpy(&x, u + i, 8);
			if (!plain8(x))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		unsigned c = u[i];
		if (!special(c)) {
			i++;
			continue;
		}
		size_t k = c >= 0x80 ? utf8_len(u + i, n - i) : 0;
		if (k > 0) {
			i += k;
			continue;
		}
		put(w, s + run, i - run);
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		switch (c) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default:
			if (c < 0x20)
				put(w, esc, 6);
			else
				put(w, "\xEF\xBF\xBD", 3); /* invalid UTF-8 byte */
		}
		run = ++i;
	}
	put(w, s + run, n - run);
	put1(w, '"');
}

/* 1 if none of k[0..n) is special, n <= 16: two words (or halves),
 * overlapping, instead of a loop. */
static inline int plain_short(const char *k, size_t n)
{
	uint64_t x, y;
	uint32_t u, v;
	if (n >= 8) {
		memcpy(&x, k, 8);
		memcpy(&y, k + n - 8, 8);
		return plain8(x) && plain8(y);
	}
	if (n >= 4) {
		memcpy(&u, k, 4);
		memcpy(&v, k + n - 4, 4);
		return plain8((uint64_t)u << 32 | v);
	}
	for (size_t i = 0; i < n; i++)
		if (special((unsigned char)k[i]))
			return 0;
	return 1;
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
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = k[i];
	}
}

void vg_jsonw_key(vg_jsonw *w, const char *k, size_t n)
{
	if (!w->obj[w->depth] || w->after_key) {
		w->err = VG_EINVAL;
		return;
	}
	sep_member(w);
	/* keys are mostly short names that need no escaping: one check, one copy */
	vg_buf *b = w->out;
	if (n <= 16 && w->err == 0 && plain_short(k, n) && (b->cap - b->len >= n + 3 || vg_buf_reserve(b, n + 3) == 0)) {
		char *d = b->data + b->len;
		d[0] = '"';
		copy_short(d + 1, k, n);
		d[n + 1] = '"';
		d[n + 2] = ':';
		b->len += n + 3;
		w->after_key = 1;
		return;
	}
	quoted(w, k, n);
	put1(w, ':');
	w->after_key = 1;
}

void vg_jsonw_str(vg_jsonw *w, const char *s, size_t n)
{
	sep(w);
	quoted(w, s, n);
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
