/* test_metrics.c — the Prometheus registry: exact exposition text (HELP/TYPE,
 * label escaping, number formats, callbacks), idempotent and refused
 * registrations, and lock-free updates from several threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>

#include "core/metrics.h"

static char *render(vg_metrics *m)
{
	vg_buf b = {0};
	assert_int_equal(vg_metrics_render(m, &b), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	return b.data;
}

static double depth_cb(void *ud)
{
	return (double)*(int *)ud;
}

static void test_render_exact(void **state)
{
	(void)state;
	vg_metrics *m = vg_metrics_new();
	assert_non_null(m);
	vg_mseries *c, *g, *a, *b;
	vg_mfamily *f;
	static const char *const lbl[] = {"code", "path"};
	assert_int_equal(vg_metrics_counter(m, "vigil_events_total", "Events seen.\nAll of them \\o/", &c), 0);
	assert_int_equal(vg_metrics_family(m, VG_METRIC_COUNTER, "vigil_http_total", "Requests.", lbl, 2, &f), 0);
	const char *v1[] = {"200", "/a\"b\\c\nd"}, *v2[] = {"404", ""};
	assert_int_equal(vg_metrics_series(f, v1, &a), 0);
	assert_int_equal(vg_metrics_series(f, v2, &b), 0);
	assert_int_equal(vg_metrics_gauge(m, "vigil_temp", "A gauge.", &g), 0);
	int depth = 7;
	assert_int_equal(vg_metrics_gauge_fn(m, "vigil_queue_depth", "Queue depth.", depth_cb, &depth), 0);
	/* A family without series is not rendered. */
	assert_int_equal(vg_metrics_family(m, VG_METRIC_GAUGE, "vigil_empty", "x", NULL, 0, &f), 0);

	vg_metric_add(c, 41);
	vg_metric_inc(c);
	vg_metric_inc(a);
	vg_metric_add(b, 3);
	vg_metric_set(g, 1.5);
	vg_metric_gauge_add(g, -4);
	vg_metric_set(c, 99);    /* wrong kind: ignored */
	vg_metric_inc(g);        /* wrong kind: ignored */
	vg_metric_inc(NULL);     /* no registry: no-op */
	depth = 12;

	char *t = render(m);
	assert_string_equal(t,
		"# HELP vigil_events_total Events seen.\\nAll of them \\\\o/\n"
		"# TYPE vigil_events_total counter\n"
		"vigil_events_total 42\n"
		"# HELP vigil_http_total Requests.\n"
		"# TYPE vigil_http_total counter\n"
		"vigil_http_total{code=\"200\",path=\"/a\\\"b\\\\c\\nd\"} 1\n"
		"vigil_http_total{code=\"404\",path=\"\"} 3\n"
		"# HELP vigil_temp A gauge.\n"
		"# TYPE vigil_temp gauge\n"
		"vigil_temp -2.5\n"
		"# HELP vigil_queue_depth Queue depth.\n"
		"# TYPE vigil_queue_depth gauge\n"
		"vigil_queue_depth 12\n");
	free(t);

	vg_metric_set(g, NAN);
	t = render(m);
	assert_non_null(strstr(t, "\nvigil_temp NaN\n"));
	free(t);
	vg_metric_set(g, -INFINITY);
	t = render(m);
	assert_non_null(strstr(t, "\nvigil_temp -Inf\n"));
	free(t);
	vg_metric_set(g, 1e300);
	t = render(m);
	assert_non_null(strstr(t, "\nvigil_temp 1.0000000000000001e+300\n"));
	free(t);
	assert_true(vg_metric_value(c) == 42.0);
	vg_metrics_free(m);
}

static void test_registration_rules(void **state)
{
	(void)state;
	vg_metrics *m = vg_metrics_new();
	vg_mseries *s1, *s2;
	vg_mfamily *f1, *f2;
	static const char *const l1[] = {"a"}, *const l2[] = {"b"}, *const dup[] = {"a", "a"};
	static const char *const res[] = {"__reserved"};
	assert_int_equal(vg_metrics_counter(m, "x_total", "h", &s1), 0);
	assert_int_equal(vg_metrics_counter(m, "x_total", "h", &s2), 0);
	assert_ptr_equal(s1, s2); /* same registration: same series */
	assert_int_equal(vg_metrics_gauge(m, "x_total", "h", &s2), VG_EINVAL);
	assert_int_equal(vg_metrics_counter(m, "1bad", "h", &s2), VG_EINVAL);
	assert_int_equal(vg_metrics_counter(m, "bad-name", "h", &s2), VG_EINVAL);
	assert_int_equal(vg_metrics_counter(m, "", "h", &s2), VG_EINVAL);
	assert_int_equal(vg_metrics_counter(m, "ns:ok_total", "h", &s2), 0);
	assert_int_equal(vg_metrics_family(m, VG_METRIC_COUNTER, "y", "h", l1, 1, &f1), 0);
	assert_int_equal(vg_metrics_family(m, VG_METRIC_COUNTER, "y", "h", l2, 1, &f2), VG_EINVAL);
	assert_int_equal(vg_metrics_family(m, VG_METRIC_COUNTER, "z", "h", dup, 2, &f2), VG_EINVAL);
	assert_int_equal(vg_metrics_family(m, VG_METRIC_COUNTER, "z", "h", res, 1, &f2), VG_EINVAL);
	assert_int_equal(vg_metrics_family(m, 7, "z", "h", NULL, 0, &f2), VG_EINVAL);
	assert_int_equal(vg_metrics_series(f1, NULL, &s1), VG_EINVAL);
	const char *v[] = {"v"};
	assert_int_equal(vg_metrics_series(f1, v, &s1), 0);
	assert_int_equal(vg_metrics_series(f1, v, &s2), 0);
	assert_ptr_equal(s1, s2);
	int x = 0;
	assert_int_equal(vg_metrics_series_fn(f1, v, depth_cb, &x, &s2), VG_EINVAL); /* counter */
	char big[VG_METRICS_MAX_VALUE + 2];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *bv[] = {big};
	assert_int_equal(vg_metrics_series(f1, bv, &s2), VG_ELIMIT);
	vg_metrics_free(m);
	vg_metrics_free(NULL);
}

#define THREADS 4
#define PER 100000

static void *bump(void *arg)
{
	vg_mseries **s = arg;
	for (int i = 0; i < PER; i++) {
		vg_metric_inc(s[0]);
		vg_metric_gauge_add(s[1], 1.0);
	}
	return NULL;
}

static void test_concurrent_updates(void **state)
{
	(void)state;
	vg_metrics *m = vg_metrics_new();
	vg_mseries *s[2];
	assert_int_equal(vg_metrics_counter(m, "c_total", "c", &s[0]), 0);
	assert_int_equal(vg_metrics_gauge(m, "g", "g", &s[1]), 0);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, bump, s), 0);
	for (int i = 0; i < 20; i++) { /* render while others update */
		char *x = render(m);
		free(x);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	char *x = render(m);
	assert_non_null(strstr(x, "\nc_total 400000\n"));
	assert_non_null(strstr(x, "\ng 400000\n"));
	free(x);
	vg_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_exact),
		cmocka_unit_test(test_registration_rules),
		cmocka_unit_test(test_concurrent_updates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
