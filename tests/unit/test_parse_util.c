/* test_parse_util.c — the word-at-a-time scanners of parse/parse_util.h
 * (vg_pu_find2, vg_pu_blank_off) against a byte loop: every length from 0 to
 * 70, the wanted bytes at every offset (inside, at and across the 8- and
 * 16-byte boundaries), with high-bit bytes around them, and slices that end
 * just before a wanted byte (nothing past n may be read as a match); and the
 * fast paths of vg_pu_is_ipv4, vg_pu_is_ip, vg_pu_all_digits, vg_pu_kvs,
 * vg_pu_find/rfind and vg_pu_upto against plain references (inet_pton, a
 * byte loop, a word-by-word loop, a byte-by-byte search) on
 * random and tricky inputs, each in an exact-size heap copy so that a read
 * past the slice shows under ASan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "parse/parse_util.h"

static size_t naive(const char *p, size_t n, char a, char b)
{
	size_t i = 0;
	while (i < n && p[i] != a && p[i] != b)
		i++;
	return i;
}

static void test_find2_every_offset(void **state)
{
	(void)state;
	char buf[96];
	size_t checked = 0;
	static const char fill[] = {'x', (char)0x80, (char)0xff, (char)0xa0, (char)0x09 ^ 0x80, 'a'};
	for (size_t f = 0; f < sizeof(fill); f++)
		for (size_t n = 0; n <= 70; n++)
			for (size_t at = 0; at <= n + 1 && at < sizeof(buf); at++)
				for (int which = 0; which < 2; which++) {
					memset(buf, fill[f], sizeof(buf));
					buf[at] = which ? '\t' : ' '; /* at == n or n + 1: past the slice */
					size_t want = naive(buf, n, ' ', '\t');
					size_t got = vg_pu_find2(buf, n, ' ', '\t');
					if (got != want)
						fail_msg("fill %02x n %zu at %zu: %zu, want %zu", (unsigned char)fill[f], n, at,
							 got, want);
					assert_int_equal(vg_pu_blank_off(buf, n), want);
					/* another pair, the same answers */
					buf[at] = which ? '"' : '\\';
					assert_int_equal(vg_pu_find2(buf, n, '"', '\\'), naive(buf, n, '"', '\\'));
					checked++;
				}
	assert_true(checked > 30000);
}

/* A slice starting at every alignment of a buffer. */
static void test_find2_alignment(void **state)
{
	(void)state;
	char buf[128];
	for (size_t off = 0; off < 16; off++)
		for (size_t at = 0; at < 64; at++) {
			memset(buf, 'z', sizeof(buf));
			buf[off + at] = ' ';
			assert_int_equal(vg_pu_find2(buf + off, 64, ' ', '\t'), at);
			assert_int_equal(vg_pu_find2(buf + off, at, ' ', '\t'), at); /* ends just before it */
		}
}

/* A deterministic generator (tests must not depend on the run). */
static uint32_t rnd(uint32_t *st)
{
	*st = *st * 1103515245u + 12345u;
	return *st >> 8;
}

static int ref_ipv4(const char *p, size_t n)
{
	char buf[32];
	unsigned char addr[4];
	if (n >= sizeof(buf) || memchr(p, '\0', n) != NULL)
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1;
}

static int ipv4_heap(const char *p, size_t n)
{
	char *h = malloc(n != 0 ? n : 1);
	assert_non_null(h);
	memcpy(h, p, n);
	int r = vg_pu_is_ipv4(h, n);
	/* vg_pu_is_ip: a quad, or what inet_pton(AF_INET6) takes */
	char buf[64];
	unsigned char a6[16];
	int v6 = 0;
	if (n < sizeof(buf)) {
		memcpy(buf, p, n);
		buf[n] = '\0';
		v6 = memchr(p, '\0', n) == NULL && inet_pton(AF_INET6, buf, a6) == 1;
	}
	assert_int_equal(vg_pu_is_ip(h, n), r || v6);
	free(h);
	return r;
}

static void test_is_ipv4(void **state)
{
	(void)state;
	static const char *const cases[] = {
		"1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04",
		"1.2.3.0", "10.20.30.40", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
		"1.2.3.4:", "1234.1.1.1", "1.2.3.1234", "199.199.199.199", "249.250.251.252", "300.1.1.1",
		"1.2.3.a", "::1", "1.2.3.4/8", "100.100.100.10", "9.9.9.99", "1.1.1.1\0", "255.255.255.2555"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);
		assert_int_equal(ipv4_heap(cases[i], n), ref_ipv4(cases[i], n));
	}
	assert_int_equal(ipv4_heap("1.1.1.1\0", 8), 0); /* a NUL inside the slice */
	/* every octet text of one to three digits ("0".."999", "00".."099",
	 * "000".."099": the 255 bound and leading zeros), in each place */
	for (int place = 0; place < 4; place++)
		for (int width = 1; width <= 3; width++)
			for (int v = 0; v < (width == 1 ? 10 : width == 2 ? 100 : 1000); v++) {
				char oct[4], addr[24];
				snprintf(oct, sizeof(oct), "%0*d", width, v);
				snprintf(addr, sizeof(addr), "%s.%s.%s.%s", place == 0 ? oct : "251", place == 1 ? oct : "25",
					 place == 2 ? oct : "199", place == 3 ? oct : "7");
				assert_int_equal(ipv4_heap(addr, strlen(addr)), ref_ipv4(addr, strlen(addr)));
			}
	uint32_t st = 7;
	char buf[20];
	size_t yes = 0;
	for (int it = 0; it < 300000; it++) {
		size_t n = rnd(&st) % 18;
		for (size_t i = 0; i < n; i++) {
			uint32_t r = rnd(&st) % 16;
			buf[i] = r < 10 ? (char)('0' + (r < 3 ? r : rnd(&st) % 10)) : r < 14 ? '.' : r == 14 ? ':' : 'a';
		}
		int want = ref_ipv4(buf, n);
		if (ipv4_heap(buf, n) != want)
			fail_msg("is_ipv4(\"%.*s\") != %d", (int)n, buf, want);
		yes += (size_t)want;
	}
	assert_true(yes > 100); /* the generator does make addresses */
}

/* The word-by-word definition of vg_pu_kvs. */
static size_t ref_kvs(const char *p, size_t n, const vg_pu_str *keys, vg_pu_str *vals, size_t nkeys)
{
	size_t found = 0;
	for (size_t i = 0; i < n && found < nkeys;) {
		size_t e = i;
		while (e < n && p[e] != ' ' && p[e] != '\t')
			e++;
		const char *eq = memchr(p + i, '=', e - i);
		for (size_t k = 0; eq != NULL && k < nkeys; k++) {
			if (vals[k].p == NULL && (size_t)(eq - (p + i)) == keys[k].n && memcmp(p + i, keys[k].p, keys[k].n) == 0) {
				vals[k].p = eq + 1;
				vals[k].n = (size_t)(p + e - eq - 1);
				found++;
				break;
			}
		}
		i = e + 1;
	}
	return found;
}

static void test_kvs(void **state)
{
	(void)state;
	static const vg_pu_str keys[] = {{VG_PU_LIT("user")}, {VG_PU_LIT("ruser")}, {VG_PU_LIT("a")},
					 {VG_PU_LIT("user")}, {VG_PU_LIT("rhost")}};
	static const char alpha[] = "user=  \t=ahost";
	uint32_t st = 11;
	char buf[80];
	size_t hits = 0;
	for (int it = 0; it < 200000; it++) {
		size_t n = rnd(&st) % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = alpha[rnd(&st) % (sizeof(alpha) - 1)];
		if (n > 6 && rnd(&st) % 2) /* plant a pair */
			memcpy(buf + rnd(&st) % (n - 5), rnd(&st) % 2 ? "user=" : "rhost", 5);
		char *h = malloc(n != 0 ? n : 1);
		assert_non_null(h);
		memcpy(h, buf, n);
		vg_pu_str got[5] = {{0}}, want[5] = {{0}};
		size_t fg = vg_pu_kvs(h, n, keys, got, 5), fw = ref_kvs(h, n, keys, want, 5);
		assert_int_equal(fg, fw);
		for (size_t k = 0; k < 5; k++) {
			assert_ptr_equal(got[k].p, want[k].p);
			assert_int_equal(got[k].n, want[k].n);
		}
		hits += fw;
		free(h);
	}
	assert_true(hits > 1000);
	/* a PAM body */
	const char *b = "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root";
	vg_pu_str v[5] = {{0}};
	assert_int_equal(vg_pu_kvs(b, strlen(b), keys, v, 5), 3);
	assert_int_equal(v[0].n, 4);
	assert_memory_equal(v[0].p, "root", 4);
	assert_int_equal(v[1].n, 0);
	assert_non_null(v[1].p);
	assert_int_equal(v[4].n, 7);
	assert_null(v[3].p); /* only one "user=" */
}

static const char *ref_find(const char *h, size_t n, const char *nd, size_t m, int last)
{
	const char *r = NULL;
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(h + i, nd, m) == 0) {
			r = h + i;
			if (!last)
				break;
		}
	return r;
}

/* Haystacks to 159 bytes: the sixteen-start steps of vg_pu_find/rfind
 * (from n - m >= 15), their overlapping last step and the byte loops below
 * it; needles planted at random places so that long ones occur too. */
static void test_find_rfind(void **state)
{
	(void)state;
	static const char *const needles[] = {"a", " ", "ab", " a", "a ", "aba", " for ", "(uid=", "b  a", " from ",
					      "for (uid=a", "b for (uid=ab aba", "authentication failures (uid="};
	const size_t nn = sizeof(needles) / sizeof(needles[0]);
	uint32_t st = 3;
	char buf[160];
	for (int it = 0; it < 100000; it++) {
		size_t n = rnd(&st) % (it % 2 ? sizeof(buf) : 64);
		for (size_t i = 0; i < n; i++)
			buf[i] = "ab (uid=for"[rnd(&st) % 11];
		for (int plant = (int)(rnd(&st) % 3); plant > 0; plant--) {
			const char *nd = needles[rnd(&st) % nn];
			size_t m = strlen(nd);
			if (m <= n)
				memcpy(buf + rnd(&st) % (n - m + 1), nd, m);
		}
		char *h = malloc(n != 0 ? n : 1);
		assert_non_null(h);
		memcpy(h, buf, n);
		for (size_t k = 0; k < nn; k++) {
			size_t m = strlen(needles[k]);
			assert_ptr_equal(vg_pu_find(h, n, needles[k], m), ref_find(h, n, needles[k], m, 0));
			assert_ptr_equal(vg_pu_rfind(h, n, needles[k], m), ref_find(h, n, needles[k], m, 1));
		}
		free(h);
	}
}

/* vg_pu_all_digits (words of eight and four bytes, overlapping) against a
 * byte loop: every length to 24, one byte at every offset replaced by each
 * neighbour of the digits' range and by bytes whose high nibble is 3. */
static void test_all_digits(void **state)
{
	(void)state;
	static const char odd[] = {'/', ':', '0' - 16, '9' + 16, ';', '?', (char)0xb0, (char)0xb9, '\0', ' '};
	for (size_t n = 0; n <= 24; n++) {
		char *h = malloc(n != 0 ? n : 1);
		assert_non_null(h);
		for (size_t i = 0; i < n; i++)
			h[i] = (char)('0' + (i * 7) % 10);
		assert_true(vg_pu_all_digits(h, n));
		for (size_t at = 0; at < n; at++)
			for (size_t k = 0; k < sizeof(odd); k++) {
				char keep = h[at];
				h[at] = odd[k];
				if (vg_pu_all_digits(h, n))
					fail_msg("n %zu: byte %02x at %zu taken for a digit", n, (unsigned char)odd[k], at);
				h[at] = keep;
			}
		free(h);
	}
}

/* vg_pu_upto with a one-byte literal (an inline scan) against vg_pu_find. */
static void test_upto_one_byte(void **state)
{
	(void)state;
	uint32_t st = 11;
	char buf[80];
	for (int it = 0; it < 20000; it++) {
		size_t n = rnd(&st) % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = "ab ])"[rnd(&st) % 5];
		char *h = malloc(n != 0 ? n : 1);
		assert_non_null(h);
		memcpy(h, buf, n);
		vg_pu_cur c = vg_pu_cur_make(h, n);
		vg_pu_str out = {0};
		const char *q = vg_pu_find(h, n, "]", 1);
		assert_int_equal(vg_pu_upto(&c, "]", &out), q != NULL);
		if (q != NULL) {
			assert_ptr_equal(out.p, h);
			assert_int_equal(out.n, (size_t)(q - h));
			assert_ptr_equal(c.p, q + 1);
		} else {
			assert_ptr_equal(c.p, h);
		}
		free(h);
	}
}

static void test_lit_prefix(void **state)
{
	(void)state;
	vg_pu_cur c = vg_pu_cur_make("Failed password", 15);
	assert_false(vg_pu_lit(&c, "Accepted "));
	assert_false(vg_pu_lit(&c, "Failed passwords"));
	assert_true(vg_pu_lit(&c, ""));
	assert_true(vg_pu_lit(&c, "Failed "));
	assert_int_equal(vg_pu_left(&c), 8);
	assert_true(vg_pu_prefix("pam_unix", 8, "pam_"));
	assert_false(vg_pu_prefix("Pam_unix", 8, "pam_"));
	assert_false(vg_pu_prefix("pa", 2, "pam_"));
	assert_true(vg_pu_prefix("", 0, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find2_every_offset),
		cmocka_unit_test(test_find2_alignment),
		cmocka_unit_test(test_is_ipv4),
		cmocka_unit_test(test_kvs),
		cmocka_unit_test(test_find_rfind),
		cmocka_unit_test(test_all_digits),
		cmocka_unit_test(test_upto_one_byte),
		cmocka_unit_test(test_lit_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
