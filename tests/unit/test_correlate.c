/* test_correlate.c — Sigma correlation semantics through the public API:
 * rules loaded from YAML text, events built by hand, run through the matcher,
 * vg_corr_plan_hit and vg_corr_feed exactly as `vigil scan` does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/event.h"
#include "core/limits.h"
#include "core/logsource.h"
#include "detect/correlate.h"
#include "detect/engine.h"

#define S(x) ((int64_t)(x) * 1000000)
#define MAX_GOT 64

typedef struct got {
	char title[64];
	uint64_t count;
	size_t ngroup;
	char names[4][32], vals[4][64];
	size_t nlocs;
	uint64_t lines[16]; /* first 16 locations */
	char paths[16][32];
	int64_t first, last;
} got;

typedef struct ctx {
	vg_engine *e;
	vg_matcher *m;
	vg_corr *c;
	vg_event *ev;
	vg_arena *a;
	const vg_corr_hit *hits[16];
	size_t nhits;
	got got[MAX_GOT];
	size_t ngot;
	uint8_t category; /* nonzero: events are of this category, no product/service */
	vg_corr_plan *plan; /* hits are made through it, as `vigil scan` does */
	int batch;          /* feed an event's hits with vg_corr_feed_batch (as `vigil scan`), else one by one */
} ctx;

static void on_reject(void *ud, const char *path, const char *rule_id, const char *reason)
{
	(void)ud;
	fprintf(stderr, "rejected %s %s: %s\n", path, rule_id, reason);
}

static void on_alert(void *ud, const vg_corr_alert *a)
{
	ctx *x = ud;
	assert_true(x->ngot < MAX_GOT);
	got *g = &x->got[x->ngot++];
	memset(g, 0, sizeof(*g));
	snprintf(g->title, sizeof(g->title), "%s", a->rule->title);
	g->count = a->count;
	g->ngroup = a->ngroup;
	for (size_t i = 0; i < a->ngroup && i < 4; i++) {
		snprintf(g->names[i], sizeof(g->names[i]), "%s", a->group_names[i]);
		snprintf(g->vals[i], sizeof(g->vals[i]), "%s", a->group_values[i]);
	}
	g->nlocs = a->nlocs;
	for (size_t i = 0; i < a->nlocs && i < 16; i++) {
		g->lines[i] = a->locs[i].line;
		snprintf(g->paths[i], sizeof(g->paths[i]), "%s", a->locs[i].path);
	}
	g->first = a->first_us;
	g->last = a->last_us;
}

static void on_match(void *ud, size_t idx, const vg_rule_info *rule)
{
	(void)rule;
	ctx *x = ud;
	/* an event's further hits share the values its previous one copied,
	 * as in `vigil scan` */
	const vg_corr_hit *prev = x->nhits > 0 ? x->hits[x->nhits - 1] : NULL;
	const vg_corr_hit *h = vg_corr_plan_hit_more(x->plan, idx, x->ev, x->a, prev);
	if (h != NULL && x->nhits < 16)
		x->hits[x->nhits++] = h;
}

static ctx *ctx_new(const char *yaml)
{
	ctx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->e = vg_engine_new();
	assert_non_null(x->e);
	assert_int_equal(vg_engine_load_buffer(x->e, yaml, strlen(yaml), "test.yml", on_reject, NULL), 0);
	assert_int_equal(vg_engine_compile(x->e, on_reject, NULL), 0);
	assert_int_equal(vg_engine_rejected(x->e), 0);
	x->m = vg_matcher_new(x->e);
	x->c = vg_corr_new(x->e);
	x->plan = vg_corr_plan_new(x->e);
	assert_non_null(x->plan);
	x->ev = vg_event_new();
	x->a = vg_arena_new(0);
	assert_non_null(x->m);
	assert_non_null(x->c);
	assert_non_null(x->ev);
	assert_non_null(x->a);
	return x;
}

static void ctx_free(ctx *x)
{
	vg_corr_plan_free(x->plan);
	vg_corr_free(x->c);
	vg_matcher_free(x->m);
	vg_engine_free(x->e);
	vg_event_free(x->ev);
	vg_arena_free(x->a);
	free(x);
}

/* One sshd event at line `line`, time ts (VG_TS_NONE: none), with the given
 * (name, value) pairs, NULL-terminated; matched, hits fed in order. */
static void feed_path(ctx *x, const char *path, uint64_t line, int64_t ts, ...)
{
	static const char raw[] = "test record";
	vg_event_reset(x->ev, raw, sizeof(raw) - 1, path, line);
	x->ev->ts_us = ts;
	x->ev->format = "syslog";
	x->ev->layer = VG_LAYER_HOST;
	x->ev->product = VG_PRODUCT_LINUX;
	x->ev->service = VG_SERVICE_SSHD;
	if (x->category != 0) {
		x->ev->product = x->ev->service = 0;
		x->ev->category = x->category;
	}
	va_list ap;
	va_start(ap, ts);
	const char *n;
	while ((n = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		assert_int_equal(vg_event_add_str(x->ev, n, v, strlen(v)), 0);
	}
	va_end(ap);
	x->nhits = 0;
	vg_arena_reset(x->a);
	assert_int_equal(vg_matcher_run(x->m, x->ev, on_match, x), 0);
	if (x->batch)
		assert_int_equal(vg_corr_feed_batch(x->c, x->hits, x->nhits, on_alert, x), 0);
	else
		for (size_t i = 0; i < x->nhits; i++)
			assert_int_equal(vg_corr_feed(x->c, x->hits[i], on_alert, x), 0);
}

#define feed(x, line, ts, ...) feed_path(x, "auth.log", line, ts, __VA_ARGS__, NULL)

static size_t count_title(const ctx *x, const char *title)
{
	size_t n = 0;
	for (size_t i = 0; i < x->ngot; i++)
		n += strcmp(x->got[i].title, title) == 0;
	return n;
}

/* Base rules shared by the tests: failed and accepted ssh logins. */
#define BASE_RULES                                                             \
	"title: ssh failed\n"                                                  \
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a01\n"                           \
	"name: ssh_failed\n"                                                   \
	"logsource: {product: linux, service: sshd}\n"                         \
	"detection:\n"                                                         \
	"  sel: {event.action: ssh_failed_password}\n"                         \
	"  condition: sel\n"                                                   \
	"---\n"                                                                \
	"title: ssh ok\n"                                                      \
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a02\n"                           \
	"name: ssh_ok\n"                                                       \
	"logsource: {product: linux, service: sshd}\n"                         \
	"detection:\n"                                                         \
	"  sel: {event.action: ssh_login}\n"                                   \
	"  condition: sel\n"                                                   \
	"---\n"

#define FAIL(ip, user) "event.action", "ssh_failed_password", "source.ip", ip, "user.name", user
#define OK(ip, user) "event.action", "ssh_login", "source.ip", ip, "user.name", user

static const char event_count_yaml[] = BASE_RULES
	"title: brute\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a10\n"
	"correlation:\n"
	"  type: event_count\n"
	"  rules: [ssh_failed]\n"
	"  group-by: [source.ip]\n"
	"  timespan: 60s\n"
	"  condition: {gte: 3}\n"
	"level: high\n";

static void test_event_count_boundary(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml);
	feed(x, 1, S(1000), FAIL("10.0.0.1", "root"));
	feed(x, 2, S(1010), FAIL("10.0.0.1", "root"));
	assert_int_equal(x->ngot, 0); /* N-1: nothing */
	feed(x, 3, S(1060), FAIL("10.0.0.1", "root")); /* exactly timespan after the first: inside */
	assert_int_equal(x->ngot, 1);                   /* N: one alert */
	got *g = &x->got[0];
	assert_string_equal(g->title, "brute");
	assert_int_equal(g->count, 3);
	assert_int_equal(g->ngroup, 1);
	assert_string_equal(g->names[0], "source.ip");
	assert_string_equal(g->vals[0], "10.0.0.1");
	assert_int_equal(g->nlocs, 3);
	assert_int_equal(g->lines[0], 1);
	assert_int_equal(g->lines[2], 3);
	assert_true(g->first == S(1000) && g->last == S(1060));
	/* The group was reset and stays silent for a timespan after its alert:
	 * the burst goes on, but one burst is one alert per window. */
	feed(x, 4, S(1061), FAIL("10.0.0.1", "root"));
	feed(x, 5, S(1062), FAIL("10.0.0.1", "root"));
	feed(x, 6, S(1063), FAIL("10.0.0.1", "root"));
	feed(x, 7, S(1120), FAIL("10.0.0.1", "root")); /* alert time + timespan: still silent */
	assert_int_equal(x->ngot, 1);
	/* An accepted login is no failure. */
	feed(x, 8, S(1121), OK("10.0.0.1", "root"));
	assert_int_equal(x->ngot, 1);
	/* Past the silence, the window (events since 1061) holds 5. */
	feed(x, 9, S(1121), FAIL("10.0.0.1", "root"));
	assert_int_equal(x->ngot, 2);
	assert_int_equal(x->got[1].count, 5);
	assert_int_equal(x->got[1].lines[0], 4);
	assert_int_equal(x->got[1].lines[4], 9);
	/* After this second alert, a new burst after a pause alerts at once. */
	feed(x, 10, S(1300), FAIL("10.0.0.1", "root"));
	feed(x, 11, S(1301), FAIL("10.0.0.1", "root"));
	feed(x, 12, S(1302), FAIL("10.0.0.1", "root"));
	assert_int_equal(x->ngot, 3);
	ctx_free(x);
}

static void test_window_expiry(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml);
	/* Three failures, but never three within 60 s of each other. */
	feed(x, 1, S(0), FAIL("10.0.0.2", "a"));
	feed(x, 2, S(50), FAIL("10.0.0.2", "a"));
	feed(x, 3, S(61), FAIL("10.0.0.2", "a")); /* 61 s after the first: it left */
	assert_int_equal(x->ngot, 0);
	feed(x, 4, S(200), FAIL("10.0.0.2", "a")); /* the old ones expired */
	feed(x, 5, S(201), FAIL("10.0.0.2", "a"));
	assert_int_equal(x->ngot, 0);
	feed(x, 6, S(202), FAIL("10.0.0.2", "a"));
	assert_int_equal(x->ngot, 1);
	assert_int_equal(x->got[0].nlocs, 3);
	assert_int_equal(x->got[0].lines[0], 4);
	/* Expiry by another group's clock: after a long silence, the lone old
	 * event of 10.0.0.3 must not pair with new ones. */
	feed(x, 7, S(300), FAIL("10.0.0.3", "a"));
	feed(x, 8, S(301), FAIL("10.0.0.3", "a"));
	feed(x, 9, S(5000), FAIL("10.0.0.4", "a"));
	feed(x, 10, S(5001), FAIL("10.0.0.3", "a"));
	assert_int_equal(x->ngot, 1);
	/* The group of the previous hit expires and the very next hit has its
	 * key: a new group, counting from 1 (the old one is freed, not reused). */
	feed(x, 11, S(9000), FAIL("10.0.0.5", "a"));
	feed(x, 12, S(9001), FAIL("10.0.0.5", "a"));
	feed(x, 13, S(20000), FAIL("10.0.0.5", "a"));
	feed(x, 14, S(20001), FAIL("10.0.0.5", "a"));
	assert_int_equal(x->ngot, 1);
	feed(x, 15, S(20002), FAIL("10.0.0.5", "a"));
	assert_int_equal(x->ngot, 2);
	assert_int_equal(x->got[1].nlocs, 3);
	assert_int_equal(x->got[1].lines[0], 13);
	ctx_free(x);
}

static void test_group_separation(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml);
	feed(x, 1, S(10), FAIL("192.0.2.1", "a"));
	feed(x, 2, S(11), FAIL("192.0.2.2", "a"));
	feed(x, 3, S(12), FAIL("192.0.2.1", "a"));
	feed(x, 4, S(13), FAIL("192.0.2.2", "a"));
	feed(x, 5, S(14), FAIL("192.0.2.3", "a"));
	assert_int_equal(x->ngot, 0);
	feed(x, 6, S(15), FAIL("192.0.2.2", "a"));
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].vals[0], "192.0.2.2");
	assert_int_equal(x->got[0].lines[0], 2);
	assert_int_equal(x->got[0].lines[1], 4);
	assert_int_equal(x->got[0].lines[2], 6);
	/* An event without the group-by field groups under "". */
	feed(x, 7, S(16), "event.action", "ssh_failed_password", NULL);
	feed(x, 8, S(17), "event.action", "ssh_failed_password", NULL);
	feed(x, 9, S(18), "event.action", "ssh_failed_password", NULL);
	assert_int_equal(x->ngot, 2);
	assert_string_equal(x->got[1].vals[0], "");
	ctx_free(x);
}

/* Length-prefixed keys: ("ab","c") and ("a","bc") are different groups. */
static void test_group_key_unambiguous(void **state)
{
	(void)state;
	ctx *x = ctx_new(BASE_RULES
			 "title: two keys\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a11\n"
			 "correlation:\n"
			 "  type: event_count\n"
			 "  rules: [ssh_failed]\n"
			 "  group-by: [source.ip, user.name]\n"
			 "  timespan: 1m\n"
			 "  condition: {gte: 2}\n");
	feed(x, 1, S(1), FAIL("ab", "c"));
	feed(x, 2, S(2), FAIL("a", "bc"));
	feed(x, 3, S(3), FAIL("1:a", ""));
	feed(x, 4, S(4), FAIL("1", "a0:"));
	assert_int_equal(x->ngot, 0);
	feed(x, 5, S(5), FAIL("a", "bc"));
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].vals[0], "a");
	assert_string_equal(x->got[0].vals[1], "bc");
	ctx_free(x);
}

static void test_value_count(void **state)
{
	(void)state;
	ctx *x = ctx_new(BASE_RULES
			 "title: spray\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a12\n"
			 "correlation:\n"
			 "  type: value_count\n"
			 "  rules: [ssh_failed]\n"
			 "  group-by: [source.ip]\n"
			 "  timespan: 10m\n"
			 "  condition: {field: user.name, gte: 3}\n");
	feed(x, 1, S(100), FAIL("198.51.100.7", "alice"));
	feed(x, 2, S(101), FAIL("198.51.100.7", "alice"));
	feed(x, 3, S(102), FAIL("198.51.100.7", "bob"));
	feed(x, 4, S(103), FAIL("198.51.100.7", "bob"));
	feed(x, 5, S(104), FAIL("198.51.100.7", ""));                                /* empty: not a value */
	feed(x, 6, S(105), "event.action", "ssh_failed_password", "source.ip", "198.51.100.7", NULL); /* absent */
	feed(x, 7, S(106), FAIL("198.51.100.8", "carol")); /* other group */
	assert_int_equal(x->ngot, 0);
	feed(x, 8, S(107), FAIL("198.51.100.7", "carol"));
	assert_int_equal(x->ngot, 1);
	assert_int_equal(x->got[0].count, 3);
	assert_string_equal(x->got[0].vals[0], "198.51.100.7");
	assert_int_equal(x->got[0].nlocs, 7); /* every event of the window */
	/* Values leave with their events: alice at 900 s is alone again. */
	feed(x, 9, S(900), FAIL("198.51.100.7", "alice"));
	feed(x, 10, S(1600), FAIL("198.51.100.7", "bob"));
	feed(x, 11, S(1601), FAIL("198.51.100.7", "bob"));
	assert_int_equal(x->ngot, 1);
	ctx_free(x);
}

static const char temporal_yaml[] = BASE_RULES
	"title: fail and ok\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a13\n"
	"correlation:\n"
	"  type: temporal\n"
	"  rules: [ssh_failed, ssh_ok]\n"
	"  group-by: [user.name]\n"
	"  timespan: 1m\n"
	"---\n"
	"title: fail then ok\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a14\n"
	"correlation:\n"
	"  type: temporal_ordered\n"
	"  rules: [ssh_failed, ssh_ok]\n"
	"  group-by: [user.name]\n"
	"  timespan: 1m\n";

static void test_temporal(void **state)
{
	(void)state;
	ctx *x = ctx_new(temporal_yaml);
	/* ok before fail: temporal fires, temporal_ordered does not */
	feed(x, 1, S(10), OK("10.1.1.1", "alice"));
	feed(x, 2, S(20), FAIL("10.1.1.1", "alice"));
	assert_int_equal(count_title(x, "fail and ok"), 1);
	assert_int_equal(count_title(x, "fail then ok"), 0);
	assert_int_equal(x->got[0].count, 2);
	assert_string_equal(x->got[0].vals[0], "alice");
	/* fail then ok (ordered groups still hold the ok at 10 s before the fail) */
	feed(x, 3, S(30), OK("10.1.1.1", "alice"));
	assert_int_equal(count_title(x, "fail then ok"), 1);
	/* too far apart: nothing */
	feed(x, 4, S(200), FAIL("10.1.1.1", "bob"));
	feed(x, 5, S(261), OK("10.1.1.1", "bob"));
	/* different users: nothing */
	feed(x, 6, S(300), FAIL("10.1.1.1", "carol"));
	feed(x, 7, S(301), OK("10.1.1.1", "dave"));
	assert_int_equal(count_title(x, "fail and ok"), 1);
	assert_int_equal(count_title(x, "fail then ok"), 1);
	/* order violated within the window, then satisfied */
	feed(x, 8, S(400), OK("10.1.1.1", "erin"));
	assert_int_equal(count_title(x, "fail then ok"), 1);
	feed(x, 9, S(401), FAIL("10.1.1.1", "erin"));
	assert_int_equal(count_title(x, "fail then ok"), 1);
	feed(x, 10, S(402), OK("10.1.1.1", "erin"));
	assert_int_equal(count_title(x, "fail then ok"), 2);
	ctx_free(x);
}

/* The specification's example: many failures, then a success (a chain). */
static const char chain_yaml[] = BASE_RULES
	"title: many failures\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a15\n"
	"name: many_failed\n"
	"correlation:\n"
	"  type: event_count\n"
	"  rules: [ssh_failed]\n"
	"  group-by: [source.ip]\n"
	"  timespan: 10m\n"
	"  condition: {gte: 3}\n"
	"---\n"
	"title: success after failures\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a16\n"
	"correlation:\n"
	"  type: temporal_ordered\n"
	"  rules: [many_failed, ssh_ok]\n"
	"  group-by: [source.ip]\n"
	"  timespan: 10m\n"
	"level: high\n";

static void test_chain(void **state)
{
	(void)state;
	ctx *x = ctx_new(chain_yaml);
	/* success without failures */
	feed(x, 1, S(0), OK("203.0.113.9", "root"));
	/* failures from two sources, success from the brute-forcer */
	feed(x, 2, S(10), FAIL("203.0.113.5", "root"));
	feed(x, 3, S(11), FAIL("203.0.113.5", "admin"));
	feed(x, 4, S(12), FAIL("203.0.113.6", "root"));
	feed(x, 5, S(13), FAIL("203.0.113.5", "test"));
	feed(x, 6, S(14), OK("203.0.113.6", "root"));
	assert_int_equal(count_title(x, "success after failures"), 0);
	feed(x, 7, S(15), OK("203.0.113.5", "test"));
	assert_int_equal(count_title(x, "success after failures"), 1);
	/* the referenced correlation feeds the chain but does not alert itself
	 * (Sigma: referenced rules are not generated on their own) */
	assert_int_equal(count_title(x, "many failures"), 0);
	const got *g = &x->got[x->ngot - 1];
	assert_string_equal(g->vals[0], "203.0.113.5");
	assert_int_equal(g->count, 2);
	/* the chained alert's locations: the failures, then the success */
	assert_int_equal(g->nlocs, 4);
	assert_int_equal(g->lines[0], 2);
	assert_int_equal(g->lines[1], 3);
	assert_int_equal(g->lines[2], 5);
	assert_int_equal(g->lines[3], 7);
	assert_true(g->first == S(13) && g->last == S(15));
	ctx_free(x);
}

/* Aliases: the same address as source in one rule and destination in the other. */
static void test_aliases(void **state)
{
	(void)state;
	ctx *x = ctx_new(BASE_RULES
			 "title: fail then ok on the same address\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a17\n"
			 "correlation:\n"
			 "  type: temporal\n"
			 "  rules: [ssh_failed, ssh_ok]\n"
			 "  group-by: [addr]\n"
			 "  timespan: 1m\n"
			 "  aliases:\n"
			 "    addr:\n"
			 "      ssh_failed: source.ip\n"
			 "      ssh_ok: destination.ip\n");
	feed(x, 1, S(1), FAIL("10.9.9.9", "a"));
	feed(x, 2, S(2), "event.action", "ssh_login", "source.ip", "10.9.9.9", "destination.ip", "10.0.0.1", NULL);
	assert_int_equal(x->ngot, 0);
	feed(x, 3, S(3), "event.action", "ssh_login", "source.ip", "10.0.0.1", "destination.ip", "10.9.9.9", NULL);
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].names[0], "addr");
	assert_string_equal(x->got[0].vals[0], "10.9.9.9");
	assert_int_equal(x->got[0].lines[0], 1);
	assert_int_equal(x->got[0].lines[1], 3);
	ctx_free(x);
}

static void test_out_of_order(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml);
	/* Slightly out of order: still one window, reported oldest first. */
	feed(x, 1, S(110), FAIL("10.7.7.7", "a"));
	feed(x, 2, S(100), FAIL("10.7.7.7", "a"));
	feed(x, 3, S(120), FAIL("10.7.7.7", "a"));
	assert_int_equal(x->ngot, 1);
	assert_true(x->got[0].first == S(100) && x->got[0].last == S(120));
	assert_int_equal(x->got[0].lines[0], 2);
	assert_int_equal(x->got[0].lines[1], 1);
	/* Too late: more than timespan before the group's newest event. */
	feed(x, 4, S(500), FAIL("10.7.7.8", "a"));
	feed(x, 5, S(501), FAIL("10.7.7.8", "a"));
	feed(x, 6, S(400), FAIL("10.7.7.8", "a"));
	assert_int_equal(x->ngot, 1);
	/* A jump back in time (an older file after a newer one) restarts the
	 * clock: older events still correlate among themselves. */
	feed_path(x, "old.log", 1, S(10), FAIL("10.7.7.9", "a"), NULL);
	feed_path(x, "old.log", 2, S(11), FAIL("10.7.7.9", "a"), NULL);
	feed_path(x, "old.log", 3, S(12), FAIL("10.7.7.9", "a"), NULL);
	assert_int_equal(x->ngot, 2);
	assert_string_equal(x->got[1].vals[0], "10.7.7.9");
	/* ... and the groups of the newer period were closed by that jump: the
	 * same source in the older file starts afresh instead of being "too
	 * late" against its newer events (10.7.7.8's newest is at 501 s). */
	feed_path(x, "old.log", 4, S(13), FAIL("10.7.7.8", "a"), NULL);
	feed_path(x, "old.log", 5, S(14), FAIL("10.7.7.8", "a"), NULL);
	feed_path(x, "old.log", 6, S(15), FAIL("10.7.7.8", "a"), NULL);
	assert_int_equal(x->ngot, 3);
	assert_string_equal(x->got[2].vals[0], "10.7.7.8");
	assert_true(x->got[2].first == S(13) && x->got[2].last == S(15));
	/* Events without a timestamp take the previous hit's. */
	feed(x, 7, S(700), FAIL("10.7.7.10", "a"));
	feed(x, 8, VG_TS_NONE, FAIL("10.7.7.10", "a"));
	feed(x, 9, VG_TS_NONE, FAIL("10.7.7.10", "a"));
	assert_int_equal(x->ngot, 4);
	assert_true(x->got[3].first == S(700) && x->got[3].last == S(700));
	ctx_free(x);
}

/* Conditions decided at the end of a window (lt, eq), and vg_corr_flush. */
static void test_window_end_conditions(void **state)
{
	(void)state;
	ctx *x = ctx_new(BASE_RULES
			 "title: exactly two\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a18\n"
			 "correlation:\n"
			 "  type: event_count\n"
			 "  rules: [ssh_failed]\n"
			 "  group-by: [source.ip]\n"
			 "  timespan: 1m\n"
			 "  condition: {eq: 2}\n");
	feed(x, 1, S(0), FAIL("10.5.5.1", "a"));
	feed(x, 2, S(10), FAIL("10.5.5.1", "a"));
	feed(x, 3, S(10), FAIL("10.5.5.2", "a"));
	feed(x, 4, S(11), FAIL("10.5.5.2", "a"));
	feed(x, 5, S(12), FAIL("10.5.5.2", "a"));
	assert_int_equal(x->ngot, 0); /* windows still open */
	feed(x, 6, S(61), FAIL("10.5.5.1", "a")); /* closes 10.5.5.1's first window */
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].vals[0], "10.5.5.1");
	assert_int_equal(x->got[0].count, 2);
	feed(x, 7, S(62), FAIL("10.5.5.1", "a"));
	assert_int_equal(vg_corr_flush(x->c, on_alert, x), 0);
	assert_int_equal(x->ngot, 2); /* 10.5.5.1's second window; 10.5.5.2 had 3 */
	assert_int_equal(x->got[1].lines[0], 6);
	assert_int_equal(vg_corr_flush(x->c, on_alert, x), 0); /* nothing left */
	assert_int_equal(x->ngot, 2);
	ctx_free(x);
}

static void test_group_bound(void **state)
{
	(void)state;
	ctx *x = ctx_new(BASE_RULES
			 "title: pairs\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a19\n"
			 "correlation:\n"
			 "  type: event_count\n"
			 "  rules: [ssh_failed]\n"
			 "  group-by: [source.ip]\n"
			 "  timespan: 1h\n"
			 "  condition: {gte: 2}\n");
	char ip[32];
	for (int i = 0; i < VG_MAX_CORR_GROUPS + 10; i++) {
		snprintf(ip, sizeof(ip), "g%d", i);
		feed(x, (uint64_t)i + 1, S(100), FAIL(ip, "a"));
	}
	assert_int_equal(x->ngot, 0);
	assert_int_equal(vg_corr_evicted(x->c), 10); /* the 10 least recently updated */
	feed(x, 1000000, S(101), FAIL("g0", "a"));  /* evicted: starts over */
	assert_int_equal(x->ngot, 0);
	assert_int_equal(vg_corr_evicted(x->c), 11); /* making room for it evicted g10 */
	feed(x, 1000001, S(101), FAIL("g20", "a")); /* still there */
	assert_int_equal(x->ngot, 1);
	ctx_free(x);
}

/* Many groups updated in turn (more than the recent-group cache holds), so
 * lookups go through the cache and the table, and groups expire and are
 * removed from it: every group still counts only its own events and values. */
static void test_interleaved_groups(void **state)
{
	(void)state;
	ctx *x = ctx_new(BASE_RULES
			 "title: brute\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a1c\n"
			 "correlation:\n"
			 "  type: event_count\n"
			 "  rules: [ssh_failed]\n"
			 "  group-by: [source.ip]\n"
			 "  timespan: 60s\n"
			 "  condition: {gte: 3}\n"
			 "---\n"
			 "title: spray\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a1d\n"
			 "correlation:\n"
			 "  type: value_count\n"
			 "  rules: [ssh_failed]\n"
			 "  group-by: [source.ip]\n"
			 "  timespan: 60s\n"
			 "  condition: {field: user.name, gte: 3}\n");
	enum { NG = 40 };
	static const char *const users[] = {"alice", "bob", "alice"};
	char ip[32];
	uint64_t line = 1;
	/* Three rounds: every group reaches 3 events but only 2 user names. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < NG; i++) {
			snprintf(ip, sizeof(ip), "203.0.113.%d", i);
			feed(x, line++, S(100 + round), FAIL(ip, users[round]));
		}
	}
	assert_int_equal(x->ngot, NG);
	assert_int_equal(count_title(x, "brute"), NG);
	for (int i = 0; i < NG; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", i);
		assert_string_equal(x->got[i].vals[0], ip);
		assert_int_equal(x->got[i].count, 3);
		assert_int_equal(x->got[i].nlocs, 3);
		assert_int_equal(x->got[i].lines[0], (uint64_t)i + 1);
		assert_int_equal(x->got[i].lines[2], (uint64_t)(2 * NG + i + 1));
	}
	/* Values are per group: a third name for every other group only. */
	x->ngot = 0;
	for (int i = 0; i < NG; i += 2) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", i);
		feed(x, line++, S(110), FAIL(ip, "carol"));
	}
	assert_int_equal(count_title(x, "spray"), NG / 2);
	assert_int_equal(count_title(x, "brute"), 0); /* silent after its alert */
	/* Past the window every group expires; fresh ones start from zero,
	 * whatever table slots the old ones held. */
	x->ngot = 0;
	for (int round = 0; round < 2; round++) {
		for (int i = NG - 1; i >= 0; i--) {
			snprintf(ip, sizeof(ip), "203.0.113.%d", i);
			feed(x, line++, S(1000 + round), FAIL(ip, round ? "dave" : "erin"));
		}
	}
	assert_int_equal(x->ngot, 0);
	snprintf(ip, sizeof(ip), "203.0.113.%d", 7);
	feed(x, line++, S(1002), FAIL(ip, "frank"));
	assert_int_equal(x->ngot, 2);
	assert_string_equal(x->got[0].title, "brute");
	assert_string_equal(x->got[1].title, "spray");
	assert_string_equal(x->got[1].vals[0], ip);
	assert_int_equal(x->got[1].count, 3);
	ctx_free(x);
}

/* A value ends at its first NUL byte, as the alert shows it: values that
 * differ only after one group together. */
static void test_value_with_nul(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml);
	static const char raw[] = "test record";
	static const char *const ips[] = {"10.9.9.9\0a", "10.9.9.9\0bb", "10.9.9.9"};
	static const size_t lens[] = {10, 11, 8};
	for (size_t i = 0; i < 3; i++) {
		vg_event_reset(x->ev, raw, sizeof(raw) - 1, "auth.log", i + 1);
		x->ev->ts_us = S(100 + (int64_t)i);
		x->ev->format = "syslog";
		x->ev->layer = VG_LAYER_HOST;
		x->ev->product = VG_PRODUCT_LINUX;
		x->ev->service = VG_SERVICE_SSHD;
		assert_int_equal(vg_event_add_str(x->ev, "event.action", "ssh_failed_password", 19), 0);
		assert_int_equal(vg_event_add_str(x->ev, "source.ip", ips[i], lens[i]), 0);
		x->nhits = 0;
		vg_arena_reset(x->a);
		assert_int_equal(vg_matcher_run(x->m, x->ev, on_match, x), 0);
		for (size_t k = 0; k < x->nhits; k++)
			assert_int_equal(vg_corr_feed(x->c, x->hits[k], on_alert, x), 0);
	}
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].vals[0], "10.9.9.9");
	assert_int_equal(x->got[0].count, 3);
	ctx_free(x);
}

/* A hit borrows its event's path until it is fed; the correlation keeps
 * its own copy by content, so one buffer holding other paths later is no
 * confusion. */
static void test_path_buffer_reused(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml);
	char path[32];
	snprintf(path, sizeof(path), "first.log");
	feed_path(x, path, 1, S(100), FAIL("10.0.0.7", "root"), NULL);
	snprintf(path, sizeof(path), "second.log");
	feed_path(x, path, 2, S(101), FAIL("10.0.0.7", "root"), NULL);
	snprintf(path, sizeof(path), "first.log");
	feed_path(x, path, 3, S(102), FAIL("10.0.0.7", "root"), NULL);
	snprintf(path, sizeof(path), "overwritten");
	assert_int_equal(x->ngot, 1);
	assert_int_equal(x->got[0].nlocs, 3);
	assert_string_equal(x->got[0].paths[0], "first.log");
	assert_string_equal(x->got[0].paths[1], "second.log");
	assert_string_equal(x->got[0].paths[2], "first.log");
	ctx_free(x);
}

/* The group-by field at every position of events of up to 13 fields (the
 * plan scans field hashes four at a time), and a repeated name: the first
 * value counts, as everywhere a field is read. */
static void test_group_field_position(void **state)
{
	(void)state;
	static const char raw[] = "test record";
	static const char *const fill[] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9"};
	for (size_t k = 0; k <= 10; k++) {
		ctx *x = ctx_new(event_count_yaml);
		char ip[32];
		snprintf(ip, sizeof(ip), "10.0.1.%zu", k);
		for (size_t i = 0; i < 3; i++) {
			vg_event_reset(x->ev, raw, sizeof(raw) - 1, "auth.log", i + 1);
			x->ev->ts_us = S(100 + (int64_t)i);
			x->ev->format = "syslog";
			x->ev->layer = VG_LAYER_HOST;
			x->ev->product = VG_PRODUCT_LINUX;
			x->ev->service = VG_SERVICE_SSHD;
			assert_int_equal(vg_event_add_str(x->ev, "event.action", "ssh_failed_password", 19), 0);
			for (size_t f = 0; f < k; f++)
				assert_int_equal(vg_event_add_str(x->ev, fill[f], "x", 1), 0);
			assert_int_equal(vg_event_add_str(x->ev, "source.ip", ip, strlen(ip)), 0);
			assert_int_equal(vg_event_add_str(x->ev, "source.ip", "192.0.2.1", 9), 0);
			x->nhits = 0;
			vg_arena_reset(x->a);
			assert_int_equal(vg_matcher_run(x->m, x->ev, on_match, x), 0);
			for (size_t h = 0; h < x->nhits; h++)
				assert_int_equal(vg_corr_feed(x->c, x->hits[h], on_alert, x), 0);
		}
		assert_int_equal(x->ngot, 1);
		assert_string_equal(x->got[0].vals[0], ip);
		ctx_free(x);
	}
}

static void test_event_bound(void **state)
{
	(void)state;
	ctx *x = ctx_new(BASE_RULES
			 "title: huge\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a1a\n"
			 "correlation:\n"
			 "  type: event_count\n"
			 "  rules: [ssh_failed]\n"
			 "  group-by: [source.ip]\n"
			 "  timespan: 1d\n"
			 "  condition: {gte: 10000}\n");
	for (int i = 0; i < VG_MAX_CORR_EVENTS - 1; i++)
		feed(x, (uint64_t)i + 1, S(1000) + i, FAIL("10.2.2.2", "a"));
	assert_int_equal(x->ngot, 0);
	assert_int_equal(vg_corr_evicted(x->c), 0);
	feed(x, VG_MAX_CORR_EVENTS, S(1000) + VG_MAX_CORR_EVENTS, FAIL("10.2.2.2", "a"));
	assert_int_equal(x->ngot, 1);
	assert_int_equal(x->got[0].nlocs, VG_MAX_CORR_EVENTS);
	/* A higher threshold can never be met: the group holds at most
	 * VG_MAX_CORR_EVENTS events, the oldest leave, and each is counted. */
	ctx_free(x);
	x = ctx_new(BASE_RULES
		    "title: huger\n"
		    "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a1b\n"
		    "correlation:\n"
		    "  type: event_count\n"
		    "  rules: [ssh_failed]\n"
		    "  group-by: [source.ip]\n"
		    "  timespan: 1d\n"
		    "  condition: {gt: 10000}\n");
	for (int i = 0; i < VG_MAX_CORR_EVENTS + 5; i++)
		feed(x, (uint64_t)i + 1, S(1000) + i, FAIL("10.2.2.2", "a"));
	assert_int_equal(x->ngot, 0);
	assert_int_equal(vg_corr_evicted(x->c), 5);
	ctx_free(x);
}

/* Group-by names are Sigma names, read through the rule's field mapping:
 * under category webserver, c-ip is the event's source.ip. */
static void test_field_mapping(void **state)
{
	(void)state;
	ctx *x = ctx_new("title: login post\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a1c\n"
			 "name: login_post\n"
			 "logsource: {category: webserver}\n"
			 "detection:\n"
			 "  sel: {cs-method: POST, cs-uri-stem: /login}\n"
			 "  condition: sel\n"
			 "---\n"
			 "title: web brute\n"
			 "id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a1d\n"
			 "correlation:\n"
			 "  type: event_count\n"
			 "  rules: [login_post]\n"
			 "  group-by: [c-ip]\n"
			 "  timespan: 1m\n"
			 "  condition: {gte: 2}\n");
	x->category = VG_CATEGORY_WEBSERVER;
	feed(x, 1, S(1), "source.ip", "192.0.2.50", "http.request.method", "POST", "url.path", "/login");
	feed(x, 2, S(2), "source.ip", "192.0.2.51", "http.request.method", "POST", "url.path", "/login");
	feed(x, 3, S(3), "source.ip", "192.0.2.50", "http.request.method", "GET", "url.path", "/login");
	assert_int_equal(x->ngot, 0);
	feed(x, 4, S(4), "source.ip", "192.0.2.50", "http.request.method", "POST", "url.path", "/login");
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].names[0], "c-ip");
	assert_string_equal(x->got[0].vals[0], "192.0.2.50");
	ctx_free(x);
}

/* Paths are told apart by content: hits are remade in one arena, reset per
 * event, so two files' path copies share an address (a cache by address
 * once labelled every line with the first file). */
static void test_paths_by_content(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml);
	feed_path(x, "x1.log", 1, S(1), FAIL("10.3.3.3", "a"), NULL);
	feed_path(x, "x2.log", 2, S(2), FAIL("10.3.3.3", "a"), NULL);
	feed_path(x, "x1.log", 3, S(3), FAIL("10.3.3.3", "a"), NULL);
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].paths[0], "x1.log");
	assert_string_equal(x->got[0].paths[1], "x2.log");
	assert_string_equal(x->got[0].paths[2], "x1.log");
	ctx_free(x);
}

/* The lateness allowance of a live stream (vg_corr_set_lateness): a late
 * hit within it meets the events of its window even after the clock moved
 * past the group, a later one is dropped and counted, and neither restarts
 * the clock (without the allowance, both do something else: see the
 * second half). */
static void lateness_scenario(ctx *x)
{
	feed(x, 1, S(1000), FAIL("10.4.4.1", "a"));
	feed(x, 2, S(1001), FAIL("10.4.4.1", "a"));
	feed(x, 3, S(1100), FAIL("10.4.4.2", "a"));
	feed(x, 4, S(1101), FAIL("10.4.4.2", "a"));
	feed(x, 5, S(1010), FAIL("10.4.4.1", "a")); /* 91 s late, its group 99 s stale */
	feed(x, 6, S(700), FAIL("10.4.4.2", "a"));  /* 401 s late */
	feed(x, 7, S(1102), FAIL("10.4.4.2", "a"));
}

static void test_lateness(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml); /* gte 3 in 60 s by source.ip */
	vg_corr_set_lateness(x->c, S(300));
	lateness_scenario(x);
	assert_int_equal(x->ngot, 2);
	assert_string_equal(x->got[0].vals[0], "10.4.4.1");
	assert_true(x->got[0].first == S(1000) && x->got[0].last == S(1010));
	assert_int_equal(x->got[0].lines[2], 5);
	assert_string_equal(x->got[1].vals[0], "10.4.4.2"); /* kept through the 401 s late hit */
	assert_true(x->got[1].first == S(1100) && x->got[1].last == S(1102));
	assert_int_equal(x->got[1].nlocs, 3);
	assert_int_equal(vg_corr_late(x->c), 1);
	ctx_free(x);
	/* No allowance (files): the stale group had expired, and the jump back
	 * restarted the clock, closing 10.4.4.2's group. */
	x = ctx_new(event_count_yaml);
	lateness_scenario(x);
	assert_int_equal(x->ngot, 0);
	assert_int_equal(vg_corr_late(x->c), 0);
	ctx_free(x);
}

/* Hits through the plan carry group-by values of several fields and
 * aliases resolved per referenced rule. */
static const char plan_yaml[] = BASE_RULES
	"title: spray\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a1e\n"
	"correlation:\n"
	"  type: value_count\n"
	"  rules: [ssh_failed]\n"
	"  group-by: [source.ip, host.hostname]\n"
	"  timespan: 10m\n"
	"  condition: {field: user.name, gte: 3}\n"
	"---\n"
	"title: aliased\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a1f\n"
	"correlation:\n"
	"  type: temporal\n"
	"  rules: [ssh_failed, ssh_ok]\n"
	"  group-by: [addr]\n"
	"  timespan: 1m\n"
	"  aliases:\n"
	"    addr:\n"
	"      ssh_failed: source.ip\n"
	"      ssh_ok: destination.ip\n";

static void plan_scenario(ctx *x)
{
	feed(x, 1, S(1), FAIL("10.1.2.3", "a"), "host.hostname", "h1");
	feed(x, 2, S(2), FAIL("10.1.2.3", "b"), "host.hostname", "h1");
	feed(x, 3, S(3), FAIL("10.1.2.3", "c"), "host.hostname", "h2");
	feed(x, 4, S(4), FAIL("10.1.2.3", "c"), "host.hostname", "h1");
	feed(x, 5, S(5), "event.action", "ssh_login", "destination.ip", "10.1.2.3", NULL);
}

static void test_plan_hits(void **state)
{
	(void)state;
	ctx *x = ctx_new(plan_yaml);
	plan_scenario(x);
	assert_int_equal(x->ngot, 2);
	assert_string_equal(x->got[0].title, "spray"); /* lines 1, 2, 4: host h1 */
	assert_string_equal(x->got[0].vals[0], "10.1.2.3");
	assert_string_equal(x->got[0].vals[1], "h1");
	assert_int_equal(x->got[0].lines[2], 4);
	assert_string_equal(x->got[1].title, "aliased"); /* the ok at line 5 meets the fails */
	assert_string_equal(x->got[1].vals[0], "10.1.2.3");
	assert_null(vg_corr_plan_hit(x->plan, vg_engine_rule_count(x->e), x->ev, x->a));
	vg_corr_plan_free(NULL);
	ctx_free(x);
}

/* One event matching three base rules whose correlations read overlapping
 * fields (source.ip by two, user.name counted by one and grouped by
 * another, host.hostname by one): each hit after the first shares the
 * copies of the values it has in common with the one before (a wrong share
 * shows as a wrong group value); fed hit by hit and as a batch, the same
 * alerts. */
static const char shared_yaml[] = BASE_RULES
	"title: any ssh auth\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a03\n"
	"name: ssh_any\n"
	"logsource: {product: linux, service: sshd}\n"
	"detection:\n"
	"  sel: {event.action|startswith: ssh_}\n"
	"  condition: sel\n"
	"---\n"
	"title: root\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a04\n"
	"name: ssh_root\n"
	"logsource: {product: linux, service: sshd}\n"
	"detection:\n"
	"  sel: {user.name: root}\n"
	"  condition: sel\n"
	"---\n"
	"title: users per source\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a21\n"
	"correlation: {type: value_count, rules: [ssh_failed], group-by: [source.ip], timespan: 10m,\n"
	"  condition: {field: user.name, gte: 2}}\n"
	"---\n"
	"title: per host and user\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a22\n"
	"correlation: {type: event_count, rules: [ssh_any], group-by: [host.hostname, user.name], timespan: 10m,\n"
	"  condition: {gte: 2}}\n"
	"---\n"
	"title: root per source\n"
	"id: 7c1d52b5-0c0e-4e47-9f1a-2a4a4c3f0a23\n"
	"correlation: {type: event_count, rules: [ssh_root], group-by: [source.ip], timespan: 10m,\n"
	"  condition: {gte: 2}}\n";

static void shared_scenario(ctx *x)
{
	feed(x, 1, S(1), FAIL("10.0.0.1", "root"), "host.hostname", "h1");
	assert_int_equal(x->nhits, 3);
	feed(x, 2, S(2), FAIL("10.0.0.1", "admin"), "host.hostname", "h1");
	feed(x, 3, S(3), OK("10.0.0.2", "root"), "host.hostname", "h2");
	feed(x, 4, S(4), FAIL("10.0.0.1", "root"), "host.hostname", "h1");
}

static void test_hits_of_one_event(void **state)
{
	(void)state;
	ctx *x = ctx_new(shared_yaml), *y = ctx_new(shared_yaml);
	y->batch = 1;
	shared_scenario(x);
	shared_scenario(y);
	assert_int_equal(x->ngot, 3);
	assert_string_equal(x->got[0].title, "users per source"); /* root, admin from 10.0.0.1 */
	assert_string_equal(x->got[0].vals[0], "10.0.0.1");
	assert_int_equal(x->got[0].lines[1], 2);
	assert_string_equal(x->got[1].title, "per host and user"); /* h1 root: lines 1, 4 */
	assert_string_equal(x->got[1].vals[0], "h1");
	assert_string_equal(x->got[1].vals[1], "root");
	assert_string_equal(x->got[2].title, "root per source"); /* 10.0.0.1 root: lines 1, 4 */
	assert_string_equal(x->got[2].vals[0], "10.0.0.1");
	assert_int_equal(x->got[2].lines[0], 1);
	assert_int_equal(x->got[2].lines[1], 4);
	assert_int_equal(y->ngot, x->ngot);
	for (size_t i = 0; i < x->ngot; i++) {
		const got *a = &x->got[i], *b = &y->got[i];
		assert_string_equal(a->title, b->title);
		assert_int_equal(a->count, b->count);
		assert_int_equal(a->ngroup, b->ngroup);
		for (size_t k = 0; k < a->ngroup && k < 4; k++)
			assert_string_equal(a->vals[k], b->vals[k]);
		assert_int_equal(a->nlocs, b->nlocs);
		for (size_t k = 0; k < a->nlocs && k < 16; k++) {
			assert_int_equal(a->lines[k], b->lines[k]);
			assert_string_equal(a->paths[k], b->paths[k]);
		}
	}
	ctx_free(x);
	ctx_free(y);
}

/* A rule no correlation references makes no hit. */
static void test_no_hit_for_unreferenced(void **state)
{
	(void)state;
	ctx *x = ctx_new(event_count_yaml);
	feed(x, 1, S(1), OK("10.0.0.1", "a"));
	assert_int_equal(x->nhits, 0); /* ssh_ok matched, but nothing reads it */
	feed(x, 2, S(2), FAIL("10.0.0.1", "a"));
	assert_int_equal(x->nhits, 1);
	assert_int_equal(vg_corr_feed(x->c, NULL, on_alert, x), 0);
	ctx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_count_boundary),
		cmocka_unit_test(test_window_expiry),
		cmocka_unit_test(test_group_separation),
		cmocka_unit_test(test_group_key_unambiguous),
		cmocka_unit_test(test_value_count),
		cmocka_unit_test(test_temporal),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_window_end_conditions),
		cmocka_unit_test(test_group_bound),
		cmocka_unit_test(test_event_bound),
		cmocka_unit_test(test_interleaved_groups),
		cmocka_unit_test(test_value_with_nul),
		cmocka_unit_test(test_field_mapping),
		cmocka_unit_test(test_plan_hits),
		cmocka_unit_test(test_path_buffer_reused),
		cmocka_unit_test(test_group_field_position),
		cmocka_unit_test(test_hits_of_one_event),
		cmocka_unit_test(test_no_hit_for_unreferenced),
		cmocka_unit_test(test_paths_by_content),
		cmocka_unit_test(test_lateness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
