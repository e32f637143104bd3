/* test_jsonw.c — the JSON writer's string and key escaping against a
 * byte-by-byte reference, for every position of every special byte in
 * strings of many lengths (the writer scans 8 bytes at a time; the edges are
 * where it breaks); integers against printf; repeated strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/jsonw.h"

/* the reference: what a JSON string of s must look like (ASCII inputs only) */
static void reference(const unsigned char *s, size_t n, vg_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	out->len = 0;
	assert_int_equal(vg_buf_append(out, "\"", 1), 0);
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		const char *p = (const char *)&s[i];
		size_t l = 1;
		if (c == '"')
			p = "\\\"", l = 2;
		else if (c == '\\')
			p = "\\\\", l = 2;
		else if (c == '\n')
			p = "\\n", l = 2;
		else if (c == '\r')
			p = "\\r", l = 2;
		else if (c == '\t')
			p = "\\t", l = 2;
		else if (c < 0x20)
			p = esc, l = 6;
		else if (c >= 0x80)
			p = "\xEF\xBF\xBD", l = 3; /* a lone high byte is invalid UTF-8 */
		assert_int_equal(vg_buf_append(out, p, l), 0);
	}
	assert_int_equal(vg_buf_append(out, "\"", 1), 0);
}

static void test_escaping_every_position(void **state)
{
	(void)state;
	static const unsigned char specials[] = {'"', '\\', '\n', 0x01, 0x1f, 0x7f, 0x80, 0xff, ' ', '~'};
	unsigned char s[40];
	vg_buf got = {0}, want = {0};
	for (size_t n = 0; n <= sizeof(s); n++) {
		for (size_t pos = 0; pos < n; pos++) {
			for (size_t k = 0; k < sizeof(specials); k++) {
				for (size_t i = 0; i < n; i++)
					s[i] = (unsigned char)('a' + i % 26);
				s[pos] = specials[k];
				got.len = 0;
				vg_jsonw w;
				vg_jsonw_init(&w, &got);
				vg_jsonw_str(&w, (const char *)s, n);
				assert_int_equal(vg_jsonw_finish(&w), 0);
				reference(s, n, &want);
				assert_int_equal(got.len, want.len);
				assert_memory_equal(got.data, want.data, want.len);
			}
		}
	}
	vg_buf_free(&got);
	vg_buf_free(&want);
}

/* keys take a fast path when nothing needs escaping: same bytes either way */
static void test_keys(void **state)
{
	(void)state;
	static const char *const keys[] = {"source.ip", "a\"b", "tab\tkey", "x\\y", "", "\x01", "é",
					   "a.very.long.key.name.that.goes.past.sixty.four.bytes.of.length.xyz"};
	vg_buf got = {0}, want = {0};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		got.len = 0;
		vg_jsonw w;
		vg_jsonw_init(&w, &got);
		vg_jsonw_obj_begin(&w);
		vg_jsonw_key(&w, keys[i], strlen(keys[i]));
		vg_jsonw_null(&w);
		vg_jsonw_obj_end(&w);
		assert_int_equal(vg_jsonw_finish(&w), 0);
		want.len = 0;
		vg_jsonw_init(&w, &want);
		vg_jsonw_str(&w, keys[i], strlen(keys[i]));
		assert_int_equal(vg_jsonw_finish(&w), 0);
		/* {"key":null} == "{" + quoted key + ":null}" */
		assert_int_equal(got.len, want.len + 7);
		assert_memory_equal(got.data + 1, want.data, want.len);
		assert_memory_equal(got.data + 1 + want.len, ":null}", 6);
	}
	vg_buf_free(&got);
	vg_buf_free(&want);
}

/* keys of up to 16 bytes are checked and copied as overlapping words: every
 * special byte at every position of every such length */
static void test_keys_every_position(void **state)
{
	(void)state;
	static const unsigned char specials[] = {'"', '\\', '\n', 0x01, 0x1f, 0x7f, 0x80, 0xff, ' ', '~'};
	unsigned char k[24];
	vg_buf got = {0}, want = {0};
	for (size_t n = 0; n <= sizeof(k); n++) {
		for (size_t pos = 0; pos <= n; pos++) {
			for (size_t j = 0; j < sizeof(specials); j++) {
				for (size_t i = 0; i < n; i++)
					k[i] = (unsigned char)('a' + i % 26);
				if (pos < n)
					k[pos] = specials[j];
				got.len = 0;
				vg_jsonw w;
				vg_jsonw_init(&w, &got);
				vg_jsonw_obj_begin(&w);
				vg_jsonw_key(&w, (const char *)k, n);
				vg_jsonw_null(&w);
				vg_jsonw_obj_end(&w);
				assert_int_equal(vg_jsonw_finish(&w), 0);
				reference(k, n, &want);
				assert_int_equal(got.len, want.len + 7);
				assert_memory_equal(got.data + 1, want.data, want.len);
				assert_memory_equal(got.data + 1 + want.len, ":null}", 6);
			}
		}
	}
	vg_buf_free(&got);
	vg_buf_free(&want);
}

/* The fused calls write what the calls they stand for write, as the first
 * member and after others, for keys and values of every length to 40 with
 * a special byte anywhere (or none); vg_jsonw_raw places a fragment as a
 * value; vg_json_plain says when a string needs no escaping. */
static void fused_doc(vg_buf *out, int fused, int kind, const char *k, size_t kn, const char *v, size_t vn, int first)
{
	vg_jsonw w;
	out->len = 0;
	vg_jsonw_init(&w, out);
	vg_jsonw_obj_begin(&w);
	if (!first) {
		vg_jsonw_key(&w, "a", 1);
		vg_jsonw_int(&w, 1);
	}
	if (kind == 0 && fused) {
		vg_jsonw_key_str(&w, k, kn, v, vn);
	} else if (kind == 0) {
		vg_jsonw_key(&w, k, kn);
		vg_jsonw_str(&w, v, vn);
	} else {
		if (fused) {
			vg_jsonw_key_obj(&w, k, kn);
		} else {
			vg_jsonw_key(&w, k, kn);
			vg_jsonw_obj_begin(&w);
		}
		vg_jsonw_key(&w, v, vn);
		vg_jsonw_null(&w);
		vg_jsonw_obj_end(&w);
	}
	vg_jsonw_key(&w, "z", 1);
	vg_jsonw_raw(&w, "[1,{\"b\":2}]", 11);
	vg_jsonw_obj_end(&w);
	assert_int_equal(vg_jsonw_finish(&w), 0);
}

static void test_fused_calls(void **state)
{
	(void)state;
	static const char specials[] = {'"', '\\', '\n', 0x01, (char)0x80, '~'};
	char k[40], v[40];
	vg_buf got = {0}, want = {0};
	for (size_t n = 0; n <= sizeof(k); n++) {
		for (size_t pos = 0; pos <= n; pos++) {
			for (size_t j = 0; j < sizeof(specials); j++) {
				for (size_t i = 0; i < n; i++) {
					k[i] = (char)('a' + i % 26);
					v[i] = (char)('A' + (i * 7) % 26);
				}
				if (pos < n)
					k[pos] = v[n - 1 - pos] = specials[j];
				assert_int_equal(vg_json_plain(k, n), pos == n || specials[j] == '~');
				for (int kind = 0; kind < 2; kind++) {
					for (int first = 0; first < 2; first++) {
						fused_doc(&got, 1, kind, k, n, v, n, first);
						fused_doc(&want, 0, kind, k, n, v, n, first);
						assert_int_equal(got.len, want.len);
						assert_memory_equal(got.data, want.data, want.len);
						/* the key and the value lengths apart */
						fused_doc(&got, 1, kind, k, n, v, n / 2, first);
						fused_doc(&want, 0, kind, k, n, v, n / 2, first);
						assert_int_equal(got.len, want.len);
						assert_memory_equal(got.data, want.data, want.len);
					}
				}
			}
		}
	}
	fused_doc(&got, 1, 0, "k", 1, "v", 1, 1);
	const char expect[] = "{\"k\":\"v\",\"z\":[1,{\"b\":2}]}";
	assert_int_equal(got.len, sizeof(expect) - 1);
	assert_memory_equal(got.data, expect, sizeof(expect) - 1);
	vg_buf_free(&got);
	vg_buf_free(&want);
}

/* integers as printf writes them, at every digit-count edge */
static void test_ints(void **state)
{
	(void)state;
	int64_t v[64];
	size_t n = 0;
	v[n++] = 0;
	v[n++] = INT64_MIN;
	v[n++] = INT64_MAX;
	for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10) {
		v[n++] = p;
		v[n++] = p - 1;
		v[n++] = -p;
	}
	for (size_t i = 0; i < n; i++) {
		char want[32];
		vg_buf got = {0};
		vg_jsonw w;
		vg_jsonw_init(&w, &got);
		vg_jsonw_int(&w, v[i]);
		assert_int_equal(vg_jsonw_finish(&w), 0);
		int wl = snprintf(want, sizeof(want), "%lld", (long long)v[i]);
		assert_int_equal(got.len, (size_t)wl);
		assert_memory_equal(got.data, want, (size_t)wl);
		vg_buf_free(&got);
	}
}

/* a string written once and repeated gives what writing it each time gives */
static void test_again(void **state)
{
	(void)state;
	const char *s = "/var/log/a \"b\"\t\x01\xff.log";
	vg_buf got = {0}, want = {0};
	vg_jsonw w;
	vg_jsonw_span at;
	vg_jsonw_init(&w, &got);
	vg_jsonw_arr_begin(&w);
	vg_jsonw_str_at(&w, s, strlen(s), &at);
	vg_jsonw_obj_begin(&w);
	vg_jsonw_key(&w, "p", 1);
	vg_jsonw_again(&w, &at);
	vg_jsonw_obj_end(&w);
	for (int i = 0; i < 100; i++) /* past the buffer's first capacity */
		vg_jsonw_again(&w, &at);
	vg_jsonw_arr_end(&w);
	assert_int_equal(vg_jsonw_finish(&w), 0);
	vg_jsonw_init(&w, &want);
	vg_jsonw_arr_begin(&w);
	vg_jsonw_str(&w, s, strlen(s));
	vg_jsonw_obj_begin(&w);
	vg_jsonw_key(&w, "p", 1);
	vg_jsonw_str(&w, s, strlen(s));
	vg_jsonw_obj_end(&w);
	for (int i = 0; i < 100; i++)
		vg_jsonw_str(&w, s, strlen(s));
	vg_jsonw_arr_end(&w);
	assert_int_equal(vg_jsonw_finish(&w), 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);

	/* a span that is not in the output is an error, not a read past it */
	got.len = 0;
	vg_jsonw_init(&w, &got);
	vg_jsonw_arr_begin(&w);
	at = (vg_jsonw_span){.off = 1, .len = 1000};
	vg_jsonw_again(&w, &at);
	vg_jsonw_arr_end(&w);
	assert_int_equal(vg_jsonw_finish(&w), VG_EINVAL);
	vg_buf_free(&got);
	vg_buf_free(&want);
}

/* Misuse is an error, never invalid JSON: a value in an object without
 * its key, a key in an array or at the top, a close that does not match. */
static void test_misuse(void **state)
{
	(void)state;
	vg_buf out = {0};
	vg_jsonw w;
	for (int c = 0; c < 5; c++) {
		out.len = 0;
		vg_jsonw_init(&w, &out);
		switch (c) {
		case 0: /* {"a":1,"x"} */
			vg_jsonw_obj_begin(&w);
			vg_jsonw_key(&w, "a", 1);
			vg_jsonw_int(&w, 1);
			vg_jsonw_str(&w, "x", 1);
			vg_jsonw_obj_end(&w);
			break;
		case 1: /* {{}} */
			vg_jsonw_obj_begin(&w);
			vg_jsonw_obj_begin(&w);
			vg_jsonw_obj_end(&w);
			vg_jsonw_obj_end(&w);
			break;
		case 2: /* ["k":1] */
			vg_jsonw_arr_begin(&w);
			vg_jsonw_key(&w, "k", 1);
			vg_jsonw_int(&w, 1);
			vg_jsonw_arr_end(&w);
			break;
		case 3: /* "k": at the top */
			vg_jsonw_key(&w, "k", 1);
			break;
		case 4: /* [} */
			vg_jsonw_arr_begin(&w);
			vg_jsonw_obj_end(&w);
			break;
		}
		assert_int_equal(vg_jsonw_finish(&w), VG_EINVAL);
	}
	/* and the same calls used rightly: {"a":[1,{"b":"x"}]} */
	out.len = 0;
	vg_jsonw_init(&w, &out);
	vg_jsonw_obj_begin(&w);
	vg_jsonw_key(&w, "a", 1);
	vg_jsonw_arr_begin(&w);
	vg_jsonw_int(&w, 1);
	vg_jsonw_obj_begin(&w);
	vg_jsonw_key(&w, "b", 1);
	vg_jsonw_str(&w, "x", 1);
	vg_jsonw_obj_end(&w);
	vg_jsonw_arr_end(&w);
	vg_jsonw_obj_end(&w);
	assert_int_equal(vg_jsonw_finish(&w), 0);
	assert_int_equal(out.len, strlen("{\"a\":[1,{\"b\":\"x\"}]}"));
	assert_memory_equal(out.data, "{\"a\":[1,{\"b\":\"x\"}]}", out.len);
	vg_buf_free(&out);
}

static void test_valid_utf8_kept(void **state)
{
	(void)state;
	const char *s = "Độc lập - Tự do - Hạnh phúc, a long line of ASCII after it";
	vg_buf got = {0};
	vg_jsonw w;
	vg_jsonw_init(&w, &got);
	vg_jsonw_str(&w, s, strlen(s));
	assert_int_equal(vg_jsonw_finish(&w), 0);
	assert_int_equal(got.len, strlen(s) + 2);
	assert_memory_equal(got.data + 1, s, strlen(s));
	vg_buf_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping_every_position),
		cmocka_unit_test(test_valid_utf8_kept),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_keys_every_position),
		cmocka_unit_test(test_fused_calls),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
