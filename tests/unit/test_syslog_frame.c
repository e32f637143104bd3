/* test_syslog_frame.c — RFC 6587 framing: octet counting and LF framing,
 * split at every byte boundary, limits and malformed lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/syslog_frame.h"

struct got {
	char msgs[16][256];
	size_t n;
};

static int collect(void *ud, const char *m, size_t len)
{
	struct got *g = ud;
	assert_true(g->n < 16 && len < 256);
	memcpy(g->msgs[g->n], m, len);
	g->msgs[g->n][len] = '\0';
	g->n++;
	return 0;
}

/* Feed s in two pieces split at every offset; expect the same messages. */
static void check_all_splits(const char *s, size_t max, const char *const *want, size_t nwant)
{
	size_t n = strlen(s);
	for (size_t cut = 0; cut <= n; cut++) {
		vg_syslog_framer *f = vg_syslog_framer_new(max);
		struct got g = {0};
		assert_int_equal(vg_syslog_framer_feed(f, s, cut, collect, &g), 0);
		assert_int_equal(vg_syslog_framer_feed(f, s + cut, n - cut, collect, &g), 0);
		assert_int_equal(vg_syslog_framer_end(f, collect, &g), 0);
		assert_int_equal(g.n, nwant);
		for (size_t i = 0; i < nwant; i++)
			assert_string_equal(g.msgs[i], want[i]);
		vg_syslog_framer_free(f);
	}
}

static void test_octet(void **s)
{
	(void)s;
	const char *want[] = {"<34>1 2026-11-21T10:00:00Z h app - - - hi", "<13>x", "a b\nc"};
	check_all_splits("41 <34>1 2026-11-21T10:00:00Z h app - - - hi5 <13>x\n5 a b\nc", 1024, want, 3);
}

static void test_lf(void **s)
{
	(void)s;
	const char *want[] = {"<13>Nov 21 10:00:00 h sshd[1]: Failed password", "<13>second", "last no newline"};
	check_all_splits("<13>Nov 21 10:00:00 h sshd[1]: Failed password\r\n\n<13>second\nlast no newline", 1024, want, 3);
}

static void test_limits(void **s)
{
	(void)s;
	struct got g = {0};
	vg_syslog_framer *f = vg_syslog_framer_new(10);
	assert_int_equal(vg_syslog_framer_feed(f, "11 ", 3, collect, &g), VG_ELIMIT);
	assert_int_equal(vg_syslog_framer_feed(f, "1 a", 3, collect, &g), VG_EPARSE); /* stays failed */
	vg_syslog_framer_free(f);

	f = vg_syslog_framer_new(10);
	assert_int_equal(vg_syslog_framer_feed(f, "<1>0123456789", 13, collect, &g), VG_ELIMIT);
	vg_syslog_framer_free(f);

	const char *bad[] = {"1x ", "12345678901 ", "1a 2", "5 abcde0 x"};
	for (size_t i = 0; i < 4; i++) {
		f = vg_syslog_framer_new(1u << 30);
		int r = vg_syslog_framer_feed(f, bad[i], strlen(bad[i]), collect, &g);
		if (r == 0)
			r = vg_syslog_framer_end(f, collect, &g);
		assert_true(r == VG_EPARSE || r == VG_ELIMIT);
		vg_syslog_framer_free(f);
	}
	/* a stream starting with '0' is not octet-counted: LF framing */
	const char *lf[] = {"01 a"};
	check_all_splits("01 a", 100, lf, 1);
	assert_int_equal(g.n, 1); /* "abcde" of the last bad stream came before its error */
	g.n = 0;
	/* truncated octet-counted frame at end of stream */
	f = vg_syslog_framer_new(100);
	assert_int_equal(vg_syslog_framer_feed(f, "10 abc", 6, collect, &g), 0);
	assert_int_equal(vg_syslog_framer_end(f, collect, &g), VG_EPARSE);
	vg_syslog_framer_free(f);
	assert_int_equal(g.n, 0);
}

static int stop_at_two(void *ud, const char *m, size_t len)
{
	(void)m;
	(void)len;
	return ++*(int *)ud == 2 ? 7 : 0;
}

static void test_callback_error(void **s)
{
	(void)s;
	int calls = 0;
	vg_syslog_framer *f = vg_syslog_framer_new(100);
	assert_int_equal(vg_syslog_framer_feed(f, "a\nb\nc\n", 6, stop_at_two, &calls), 7);
	assert_int_equal(calls, 2);
	vg_syslog_framer_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_octet),
		cmocka_unit_test(test_lf),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_callback_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
