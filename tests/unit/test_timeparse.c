/* test_timeparse.c — the timestamp parsers (core/timeparse.c): known values,
 * and the cached variants (vg_time_*_cached, one-entry caches keyed by the
 * stamp's bytes) giving exactly the uncached result over sequences that
 * repeat a stamp, change one byte of it, change the year hint, add
 * fractions and zones, and mix in malformed stamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/timeparse.h"

#define SEC 1000000LL

static void test_known_values(void **state)
{
	(void)state;
	int64_t us = 0;
	/* 2024-06-09 06:06:20 UTC = 1717913180 */
	assert_int_equal(vg_time_bsd("Jun  9 06:06:20 host", 20, 2024, &us), 15);
	assert_true(us == 1717913180 * SEC);
	assert_int_equal(vg_time_clf("09/Jun/2024:13:06:20 +0700]", 27, &us), 26);
	assert_true(us == 1717913180 * SEC);
	assert_int_equal(vg_time_ctime("Sun Jun 09 06:06:20.250000 2024]", 32, &us), 31);
	assert_true(us == 1717913180 * SEC + 250000);
	assert_int_equal(vg_time_bsd("Jun 32 06:06:20", 15, 2024, &us), 0); /* no such day */
}

/* Days beyond their month's end are no dates, in every format; February
 * has 29 days in leap years only, except in BSD stamps, whose year is a guess. */
static void test_month_lengths(void **state)
{
	(void)state;
	int64_t us = 0;
	assert_int_equal(vg_time_bsd("Jun 31 06:06:20", 15, 2024, &us), 0);
	assert_int_equal(vg_time_bsd("Apr 31 06:06:20", 15, 2024, &us), 0);
	assert_int_equal(vg_time_bsd("Feb 30 06:06:20", 15, 2024, &us), 0);
	assert_int_equal(vg_time_bsd("Jul 31 06:06:20", 15, 2024, &us), 15);
	assert_int_equal(vg_time_bsd("Feb 29 06:06:20", 15, 2024, &us), 15);
	assert_int_equal(vg_time_bsd("Feb 29 06:06:20", 15, 2023, &us), 15); /* the guessed year may be wrong */
	vg_time_cache c = {0};
	assert_int_equal(vg_time_bsd_cached(&c, "Nov 31 06:06:20", 15, 2024, &us), 0);
	assert_int_equal(vg_time_clf("31/Jun/2024:13:06:20 +0700", 26, &us), 0);
	assert_int_equal(vg_time_clf("29/Feb/2023:13:06:20 +0700", 26, &us), 0);
	assert_int_equal(vg_time_clf("29/Feb/2024:13:06:20 +0700", 26, &us), 26);
	assert_int_equal(vg_time_clf("29/Feb/1900:13:06:20 +0700", 26, &us), 0);
	assert_int_equal(vg_time_clf("29/Feb/2000:13:06:20 +0700", 26, &us), 26);
	assert_int_equal(vg_time_rfc3339("2023-02-29T10:00:00Z", 20, &us), 0);
	assert_int_equal(vg_time_rfc3339("2023-09-31T10:00:00Z", 20, &us), 0);
	assert_true(vg_time_rfc3339("2024-02-29T10:00:00Z", 20, &us) > 0);
	assert_int_equal(vg_time_ctime("Sat Jun 31 06:06:20 2024", 24, &us), 0);
	assert_int_equal(vg_time_ctime("Sun Dec 31 06:06:20 2024", 24, &us), 24);
}

/* Every stamp of list through one cache, in order, twice: the same return
 * and time as the plain parser each time. */
enum kind { BSD, CLF, CTIME };

static void same(enum kind k, const char *const *list, size_t n, const int *years)
{
	vg_time_cache c;
	memset(&c, 0, sizeof(c));
	size_t ok = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			const char *s = list[i];
			size_t len = strlen(s);
			int64_t a = -1, b = -2;
			size_t ra = 0, rb = 0;
			switch (k) {
			case BSD:
				ra = vg_time_bsd(s, len, years[i], &a);
				rb = vg_time_bsd_cached(&c, s, len, years[i], &b);
				break;
			case CLF:
				ra = vg_time_clf(s, len, &a);
				rb = vg_time_clf_cached(&c, s, len, &b);
				break;
			case CTIME:
				ra = vg_time_ctime(s, len, &a);
				rb = vg_time_ctime_cached(&c, s, len, &b);
				break;
			}
			if (ra != rb || (ra != 0 && a != b))
				fail_msg("'%s': plain %zu/%lld, cached %zu/%lld", s, ra, (long long)a, rb, (long long)b);
			ok += ra != 0;
		}
	assert_true(ok > n); /* most of them parse: the comparison means something */
}

static void test_bsd_cached(void **state)
{
	(void)state;
	static const char *const l[] = {
		"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: x",
		"Jun 14 15:16:01 combo sshd(pam_unix)[19937]: y", /* the same second */
		"Jun 14 15:16:02 combo sshd",                      /* one byte differs */
		"Jun 14 15:16:02.123456 host x",                  /* a fraction */
		"Jun 14 15:16:02,5 host x",
		"Jun 14 15:16:02 host",
		"Jun 14 15:16:02 host", /* the same stamp, another year hint */
		"Jun  9 06:06:20 h",
		"Jun 99 06:06:20 h", /* malformed */
		"Jun  9 06:06:20",   /* exactly 15 bytes */
		"Jun  9 06:06:2",    /* too short */
		"Dec 31 23:59:59 h",
		"Jan  1 00:00:00 h",
		"Feb 29 12:00:00 h", /* valid in 2024 only */
		"Feb 29 12:00:00 h",
		/* the cache holds a minute: other seconds of it, valid or not */
		"Mar  1 10:20:00 h",
		"Mar  1 10:20:59 h",
		"Mar  1 10:20:60 h", /* a leap second */
		"Mar  1 10:20:61 h",
		"Mar  1 10:20:7x h",
		"Mar  1 10:20:-1 h",
		"Mar  1 10:20: 5 h",
		"Mar  1 10:20:05.5 h",
		"Mar  1 10:21:05 h", /* the next minute */
		/* the cache holds the last second too: the same second after a
		 * minute hit, with a fraction, under another year, cut short */
		"Mar  1 10:21:06 h",
		"Mar  1 10:21:06 h",
		"Mar  1 10:21:06.25 h",
		"Mar  1 10:21:06 h",
		"Mar  1 10:21:06 h",
		"Mar  1 10:21:06.",
		"Mar  1 10:21:06",
		"Mar  1 10:21:0",
	};
	static const int y[] = {2005, 2005, 2005, 2005, 2005, 2005, 2006, 2024, 2024, 2024, 2024, 2023, 2024, 2024, 2023,
				2024, 2024, 2024, 2024, 2024, 2024, 2024, 2024, 2024,
				2024, 2024, 2024, 2024, 2025, 2025, 2025, 2025};
	same(BSD, l, sizeof(l) / sizeof(l[0]), y);
}

static void test_clf_cached(void **state)
{
	(void)state;
	static const char *const l[] = {
		"10/Oct/2000:13:55:36 -0700] \"GET",
		"10/Oct/2000:13:55:36 -0700] \"GET", /* repeated */
		"10/Oct/2000:13:55:36 +0000]",       /* same base, another zone */
		"10/Oct/2000:13:55:37 -0700]",
		"10/Oct/2000:13:55:37.250 +0100]",
		"10/Oct/2000:13:55:37]",
		"32/Oct/2000:13:55:37 +0000]", /* malformed */
		"10/Oct/2000:13:55:3",         /* too short */
		"01/Mar/2024:00:00:00 +0700]",
		/* whole stamps cached with their zone: the same time, other zones */
		"01/Mar/2024:00:00:00 +0700 ",
		"01/Mar/2024:00:00:00 -0030]",
		"01/Mar/2024:00:00:00 +07x0]",
		"01/Mar/2024:00:00:00 +0700",  /* 26 bytes: not the whole shape */
		"01/Mar/2024:00:00:01 +0700]",
	};
	same(CLF, l, sizeof(l) / sizeof(l[0]), NULL);
}

static void test_ctime_cached(void **state)
{
	(void)state;
	static const char *const l[] = {
		"Sun Dec 04 04:47:44 2005] [notice]",
		"Sun Dec 04 04:47:44 2005] [error]",
		"Sun Dec 04 04:47:45 2005]",
		"Sun Dec 04 04:47:45.123456 2005]", /* a fraction: not cached */
		"Sun Dec 04 04:47:45 2006]",        /* one byte of the year */
		"Sun Dec 34 04:47:45 2006]",        /* malformed */
		"Sun Dec 04 04:47:45 200",          /* too short */
		"Mon Dec 05 00:00:00 2005",
		/* the cache holds a minute: other seconds of it */
		"Mon Dec 05 00:00:59 2005",
		"Mon Dec 05 00:00:60 2005",
		"Mon Dec 05 00:00:61 2005",
		"Mon Dec 05 00:00:x1 2005",
		"Mon Dec 05 00:01:00 2005",
		/* the cache holds the last second too */
		"Mon Dec 05 00:01:01 2005",
		"Mon Dec 05 00:01:01 2005",
		"Mon Dec 05 00:01:01.5 2005",
		"Mon Dec 05 00:01:01 2005",
		"Mon Dec 05 00:01:01 200",
		"Mon Dec 05 00:01:01 2005",
		"Mon Dec 05 00:01:01 2004",
	};
	same(CTIME, l, sizeof(l) / sizeof(l[0]), NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_bsd_cached),
		cmocka_unit_test(test_month_lengths),
		cmocka_unit_test(test_clf_cached),
		cmocka_unit_test(test_ctime_cached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
