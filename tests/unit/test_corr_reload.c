/* test_corr_reload.c — vg_corr_adopt: correlation state survives a rule
 * reload for unchanged rules (same content, whatever the position), and only
 * for them. Engines are built from rule texts, events go through the matcher
 * and the plan as in `vigil server`; the old engine is freed right after the
 * adoption, so ASan sees any pointer into it or into the old state. */
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
#define MAX_GOT 32
#define MAX_LOCS 16

typedef struct got {
	char title[64];
	uint64_t count;
	char vals[2][64];
	size_t ngroup, nlocs;
	uint64_t lines[MAX_LOCS];
	char paths[MAX_LOCS][16];
	int64_t first, last;
} got;

/* One engine generation and the state built on it. */
typedef struct rig {
	vg_engine *e;
	vg_matcher *m;
	vg_corr_plan *plan;
	vg_corr *c;
	vg_event *ev;
	vg_arena *a;
	const vg_corr_hit *hits[16];
	size_t nhits;
	got got[MAX_GOT];
	size_t ngot;
	char *paths[2]; /* event paths live as long as the rig, as in the server */
} rig;

static void on_reject(void *ud, const char *path, const char *rule_id, const char *reason)
{
	(void)ud;
	fprintf(stderr, "rejected %s %s: %s\n", path, rule_id, reason);
}

static void on_alert(void *ud, const vg_corr_alert *a)
{
	rig *x = ud;
	assert_true(x->ngot < MAX_GOT);
	got *g = &x->got[x->ngot++];
	memset(g, 0, sizeof(*g));
	snprintf(g->title, sizeof(g->title), "%s", a->rule->title);
	g->count = a->count;
	g->ngroup = a->ngroup;
	for (size_t i = 0; i < a->ngroup && i < 2; i++)
		snprintf(g->vals[i], sizeof(g->vals[i]), "%s", a->group_values[i]);
	g->nlocs = a->nlocs;
	for (size_t i = 0; i < a->nlocs && i < MAX_LOCS; i++) {
		g->lines[i] = a->locs[i].line;
		snprintf(g->paths[i], sizeof(g->paths[i]), "%s", a->locs[i].path); /* ASan: still alive? */
	}
	g->first = a->first_us;
	g->last = a->last_us;
}

static void on_match(void *ud, size_t idx, const vg_rule_info *rule)
{
	(void)rule;
	rig *x = ud;
	const vg_corr_hit *h = vg_corr_plan_hit(x->plan, idx, x->ev, x->a);
	if (h != NULL && x->nhits < 16)
		x->hits[x->nhits++] = h;
}

/* An engine from rule texts, one buffer each, in the order given. */
static vg_engine *engine_of(const char *const *docs, size_t n)
{
	vg_engine *e = vg_engine_new();
	assert_non_null(e);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "rules/%zu.yml", i);
		assert_int_equal(vg_engine_load_buffer(e, docs[i], strlen(docs[i]), name, on_reject, NULL), 0);
	}
	assert_int_equal(vg_engine_compile(e, on_reject, NULL), 0);
	assert_int_equal(vg_engine_rejected(e), 0);
	assert_int_equal(vg_engine_rule_count(e), n);
	return e;
}

static void rig_engine(rig *x, const char *const *docs, size_t n)
{
	x->e = engine_of(docs, n);
	x->m = vg_matcher_new(x->e);
	x->plan = vg_corr_plan_new(x->e);
	x->c = vg_corr_new(x->e);
	assert_non_null(x->m);
	assert_non_null(x->plan);
	assert_non_null(x->c);
}

static void rig_drop_engine(rig *x)
{
	vg_corr_free(x->c);
	vg_corr_plan_free(x->plan);
	vg_matcher_free(x->m);
	vg_engine_free(x->e);
}

static rig *rig_new(const char *const *docs, size_t n)
{
	rig *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	rig_engine(x, docs, n);
	x->ev = vg_event_new();
	x->a = vg_arena_new(0);
	x->paths[0] = strdup("a.log");
	x->paths[1] = strdup("b.log");
	assert_true(x->ev && x->a && x->paths[0] && x->paths[1]);
	return x;
}

/* SIGHUP: a new engine from docs; the state moves over, the old engine and
 * state are freed at once. Returns what vg_corr_adopt returned. */
static int rig_reload(rig *x, const char *const *docs, size_t n)
{
	rig old = *x;
	rig_engine(x, docs, n);
	int r = vg_corr_adopt(x->c, old.c);
	rig_drop_engine(&old);
	return r;
}

static void rig_free(rig *x)
{
	rig_drop_engine(x);
	vg_event_free(x->ev);
	vg_arena_free(x->a);
	free(x->paths[0]);
	free(x->paths[1]);
	free(x);
}

/* One sshd event from file (0: a.log, 1: b.log) at line, time ts, with
 * (name, value) pairs, NULL-terminated. */
static void feed_file(rig *x, int file, uint64_t line, int64_t ts, ...)
{
	static const char raw[] = "test record";
	vg_event_reset(x->ev, raw, sizeof(raw) - 1, x->paths[file], line);
	x->ev->ts_us = ts;
	x->ev->format = "syslog";
	x->ev->layer = VG_LAYER_HOST;
	x->ev->product = VG_PRODUCT_LINUX;
	x->ev->service = VG_SERVICE_SSHD;
	va_list ap;
	va_start(ap, ts);
	const char *k;
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		assert_int_equal(vg_event_add_str(x->ev, k, v, strlen(v)), 0);
	}
	va_end(ap);
	x->nhits = 0;
	vg_arena_reset(x->a);
	assert_int_equal(vg_matcher_run(x->m, x->ev, on_match, x), 0);
	for (size_t i = 0; i < x->nhits; i++)
		assert_int_equal(vg_corr_feed(x->c, x->hits[i], on_alert, x), 0);
}

#define FAIL(ip, user) "event.action", "ssh_failed_password", "source.ip", ip, "user.name", user, NULL
#define OK(ip, user) "event.action", "ssh_login", "source.ip", ip, "user.name", user, NULL

static size_t count_title(const rig *x, const char *title)
{
	size_t n = 0;
	for (size_t i = 0; i < x->ngot; i++)
		n += strcmp(x->got[i].title, title) == 0;
	return n;
}

/* ---- rule texts ------------------------------------------------------------ */

static const char r_fail[] = "title: ssh failed\n"
			     "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000001\n"
			     "name: ssh_failed\n"
			     "logsource: {product: linux, service: sshd}\n"
			     "detection:\n"
			     "  sel: {event.action: ssh_failed_password}\n"
			     "  condition: sel\n";
/* The same rule, matching the same events, written differently: content
 * changed, so whatever reads it starts afresh. */
static const char r_fail_changed[] = "title: ssh failed\n"
				     "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000001\n"
				     "name: ssh_failed\n"
				     "logsource: {product: linux, service: sshd}\n"
				     "detection:\n"
				     "  sel: {event.action: [ssh_failed_password, ssh_failed_publickey]}\n"
				     "  condition: sel\n";
static const char r_ok[] = "title: ssh ok\n"
			   "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000002\n"
			   "name: ssh_ok\n"
			   "logsource: {product: linux, service: sshd}\n"
			   "detection:\n"
			   "  sel: {event.action: ssh_login}\n"
			   "  condition: sel\n";
static const char r_brute[] = "title: brute\n"
			      "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000010\n"
			      "name: brute\n"
			      "correlation:\n"
			      "  type: event_count\n"
			      "  rules: [ssh_failed]\n"
			      "  group-by: [source.ip]\n"
			      "  timespan: 60s\n"
			      "  condition: {gte: 5}\n"
			      "level: high\n";
/* Same content, other layout (block map, comment, quoting): unchanged. */
static const char r_brute_relaid[] = "# reformatted by an editor\n"
				     "title: 'brute'\n"
				     "id: \"5e0b7f6c-1a2b-4c3d-8e9f-000000000010\"\n"
				     "name: brute\n"
				     "correlation:\n"
				     "    type: event_count\n"
				     "    rules:\n"
				     "      - ssh_failed\n"
				     "    group-by:\n"
				     "      - source.ip\n"
				     "    timespan: 60s\n"
				     "    condition:\n"
				     "        gte: 5\n"
				     "level: high\n";
static const char r_brute_span[] = "title: brute\n"
				   "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000010\n"
				   "name: brute\n"
				   "correlation:\n"
				   "  type: event_count\n"
				   "  rules: [ssh_failed]\n"
				   "  group-by: [source.ip]\n"
				   "  timespan: 61s\n"
				   "  condition: {gte: 5}\n"
				   "level: high\n";
static const char r_brute_gte4[] = "title: brute\n"
				   "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000010\n"
				   "name: brute\n"
				   "correlation:\n"
				   "  type: event_count\n"
				   "  rules: [ssh_failed]\n"
				   "  group-by: [source.ip]\n"
				   "  timespan: 60s\n"
				   "  condition: {gte: 4}\n"
				   "level: high\n";
static const char r_both[] = "title: fail and ok\n"
			     "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000011\n"
			     "correlation:\n"
			     "  type: temporal\n"
			     "  rules: [ssh_failed, ssh_ok]\n"
			     "  group-by: [user.name]\n"
			     "  timespan: 2m\n";
/* Chained on brute: a success after a brute force from the same source. */
static const char r_chain[] = "title: success after brute\n"
			      "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000012\n"
			      "correlation:\n"
			      "  type: temporal_ordered\n"
			      "  rules: [brute, ssh_ok]\n"
			      "  group-by: [source.ip]\n"
			      "  timespan: 10m\n";
static const char r_sudo[] = "title: sudo\n"
			     "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000020\n"
			     "name: sudo\n"
			     "logsource: {product: linux, service: sudo}\n"
			     "detection:\n"
			     "  sel: {event.action: sudo}\n"
			     "  condition: sel\n";
static const char r_sudo_count[] = "title: many sudo\n"
				   "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000021\n"
				   "correlation:\n"
				   "  type: event_count\n"
				   "  rules: [sudo]\n"
				   "  group-by: [user.name]\n"
				   "  timespan: 60s\n"
				   "  condition: {gte: 2}\n";

static const char *const gen_a[] = {r_fail, r_ok, r_brute, r_both};
/* The same rules plus unrelated ones, in another order, brute relaid. */
static const char *const gen_b[] = {r_sudo, r_both, r_ok, r_sudo_count, r_brute_relaid, r_fail};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the scenario ------------------------------------------------------- */

static void before(rig *x)
{
	feed_file(x, 0, 1, S(100), FAIL("10.0.0.1", "alice"));
	feed_file(x, 0, 2, S(110), FAIL("10.0.0.1", "alice"));
	feed_file(x, 0, 3, S(120), FAIL("10.0.0.2", "bob"));
	feed_file(x, 0, 4, S(130), FAIL("10.0.0.1", "alice"));
	feed_file(x, 0, 5, S(135), FAIL("10.0.0.1", "carol"));
}

static void middle(rig *x)
{
	feed_file(x, 1, 6, S(140), OK("10.0.0.9", "alice"));  /* fail and ok: alice */
	feed_file(x, 1, 7, S(150), FAIL("10.0.0.1", "dave")); /* brute: 10.0.0.1, 5 */
}

static void after(rig *x)
{
	/* brute is silent until 150 + 60 s; its group counts on meanwhile */
	for (int i = 0; i < 5; i++)
		feed_file(x, 1, 8 + (uint64_t)i, S(160) + S(i), FAIL("10.0.0.1", "erin"));
	feed_file(x, 1, 13, S(211), FAIL("10.0.0.1", "erin")); /* 160..164 and 211 */
}

static void check_alerts(const rig *x)
{
	assert_int_equal(x->ngot, 3);
	const got *g = &x->got[0];
	assert_string_equal(g->title, "fail and ok");
	assert_int_equal(g->count, 2);
	assert_string_equal(g->vals[0], "alice");
	assert_true(g->first == S(100) && g->last == S(140));
	assert_int_equal(g->nlocs, 4);
	static const uint64_t l0[] = {1, 2, 4, 6};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(g->lines[i], l0[i]);
	assert_string_equal(g->paths[0], "a.log");
	assert_string_equal(g->paths[3], "b.log");

	g = &x->got[1];
	assert_string_equal(g->title, "brute");
	assert_int_equal(g->count, 5);
	assert_string_equal(g->vals[0], "10.0.0.1");
	assert_true(g->first == S(100) && g->last == S(150));
	static const uint64_t l1[] = {1, 2, 4, 5, 7};
	assert_int_equal(g->nlocs, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(g->lines[i], l1[i]);
	assert_string_equal(g->paths[3], "a.log");
	assert_string_equal(g->paths[4], "b.log");

	g = &x->got[2]; /* after the silence; without it, line 12 would have fired */
	assert_string_equal(g->title, "brute");
	assert_int_equal(g->count, 6);
	assert_true(g->first == S(160) && g->last == S(211));
	assert_int_equal(g->lines[0], 8);
	assert_int_equal(g->lines[5], 13);
}

/* Reloading (twice, with rules added, reordered and relaid) changes nothing:
 * alerts are those of a run without reload, field for field. */
static void test_unchanged_rules_keep_state(void **state)
{
	(void)state;
	rig *ref = rig_new(gen_a, N(gen_a));
	before(ref);
	middle(ref);
	after(ref);
	check_alerts(ref);

	rig *x = rig_new(gen_a, N(gen_a));
	before(x);
	assert_int_equal(x->ngot, 0); /* below every threshold */
	assert_int_equal(rig_reload(x, gen_b, N(gen_b)), 2);
	middle(x);
	assert_int_equal(x->ngot, 2);
	/* back to the first set, in the brute's silence: it is carried too */
	assert_int_equal(rig_reload(x, gen_a, N(gen_a)), 2);
	after(x);
	check_alerts(x);
	assert_int_equal(x->ngot, ref->ngot);
	for (size_t i = 0; i < ref->ngot; i++)
		assert_memory_equal(&x->got[i], &ref->got[i], sizeof(got));
	rig_free(ref);
	rig_free(x);
}

/* A changed timespan or threshold: that correlation starts afresh, the
 * other keeps its state. */
static void test_changed_correlation_starts_fresh(void **state)
{
	(void)state;
	const char *const *gens[] = {(const char *const[]){r_fail, r_ok, r_brute_span, r_both},
				     (const char *const[]){r_fail, r_ok, r_brute_gte4, r_both}};
	for (size_t k = 0; k < 2; k++) {
		rig *x = rig_new(gen_a, N(gen_a));
		before(x);
		assert_int_equal(rig_reload(x, gens[k], 4), 1);
		middle(x);
		assert_int_equal(count_title(x, "fail and ok"), 1); /* carried */
		assert_int_equal(count_title(x, "brute"), 0);       /* one event since the reload */
		assert_string_equal(x->got[0].paths[0], "a.log");
		/* the fresh brute counts from the reload on */
		feed_file(x, 1, 8, S(151), FAIL("10.0.0.1", "x"));
		feed_file(x, 1, 9, S(152), FAIL("10.0.0.1", "x"));
		feed_file(x, 1, 10, S(153), FAIL("10.0.0.1", "x"));
		assert_int_equal(count_title(x, "brute"), k == 1); /* gte 4: 7..10 */
		feed_file(x, 1, 11, S(154), FAIL("10.0.0.1", "x"));
		assert_int_equal(count_title(x, "brute"), 1);
		assert_int_equal(x->got[x->ngot - 1].lines[0], 7);
		rig_free(x);
	}
}

/* A changed base rule: every correlation reading it starts afresh, even
 * though their own text is the same. */
static void test_changed_base_rule(void **state)
{
	(void)state;
	static const char *const gen[] = {r_fail_changed, r_ok, r_brute, r_both};
	rig *x = rig_new(gen_a, N(gen_a));
	before(x);
	assert_int_equal(rig_reload(x, gen, N(gen)), 0);
	middle(x);
	assert_int_equal(x->ngot, 0);
	rig_free(x);
	/* A changed base rule the correlations do not read changes nothing. */
	static const char *const gen1[] = {r_fail, r_ok, r_brute, r_both, r_sudo};
	static const char *const gen2[] = {r_fail, r_ok, r_brute, r_both, r_sudo_count,
					   "title: sudo\n"
					   "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000020\n"
					   "name: sudo\n"
					   "logsource: {product: linux, service: sudo}\n"
					   "detection:\n"
					   "  sel: {event.action: [sudo, su]}\n"
					   "  condition: sel\n"};
	x = rig_new(gen1, N(gen1));
	before(x);
	assert_int_equal(rig_reload(x, gen2, N(gen2)), 2);
	middle(x);
	assert_int_equal(x->ngot, 2);
	rig_free(x);
}

/* Chains: the referencing correlation is carried with what it references,
 * and starts afresh when anything below it changed. */
static void test_chain(void **state)
{
	(void)state;
	static const char *const gen[] = {r_fail, r_ok, r_brute, r_chain};
	static const char *const gen_same[] = {r_chain, r_brute_relaid, r_ok, r_fail, r_sudo};
	static const char *const gen_changed[] = {r_chain, r_brute_gte4, r_ok, r_fail};
	for (int changed = 0; changed < 2; changed++) {
		rig *x = rig_new(gen, N(gen));
		before(x);
		feed_file(x, 0, 6, S(140), FAIL("10.0.0.1", "z")); /* brute fires (no alert: referenced) */
		assert_int_equal(x->ngot, 0);
		assert_int_equal(rig_reload(x, changed ? gen_changed : gen_same, changed ? N(gen_changed) : N(gen_same)), changed ? 0 : 2);
		feed_file(x, 1, 7, S(150), OK("10.0.0.1", "root"));
		assert_int_equal(count_title(x, "success after brute"), !changed);
		if (!changed) {
			const got *g = &x->got[0];
			assert_int_equal(g->nlocs, 6); /* the five failures, then the success */
			assert_int_equal(g->lines[0], 1);
			assert_int_equal(g->lines[5], 7);
			assert_string_equal(g->paths[4], "a.log");
			assert_string_equal(g->paths[5], "b.log");
			assert_true(g->first == S(140) && g->last == S(150));
		}
		rig_free(x);
	}
}

/* A removed correlation's state is dropped: adding it back later does not
 * bring the old windows back. */
static void test_removed_rule_dropped(void **state)
{
	(void)state;
	static const char *const without[] = {r_fail, r_ok, r_brute};
	rig *x = rig_new(gen_a, N(gen_a));
	before(x);
	assert_int_equal(rig_reload(x, without, N(without)), 1);
	assert_int_equal(rig_reload(x, gen_a, N(gen_a)), 1);
	middle(x);
	assert_int_equal(count_title(x, "fail and ok"), 0);
	assert_int_equal(count_title(x, "brute"), 1);
	/* and the revived correlation works from here on */
	feed_file(x, 1, 8, S(155), FAIL("10.0.0.5", "zed"));
	feed_file(x, 1, 9, S(156), OK("10.0.0.5", "zed"));
	assert_int_equal(count_title(x, "fail and ok"), 1);
	rig_free(x);
}

/* Bounds hold across a reload: the carried groups count against the group
 * limit of the new state, and the eviction count carries on. */
static void test_bounds_after_reload(void **state)
{
	(void)state;
	static const char pairs[] = "title: pairs\n"
				    "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000030\n"
				    "correlation:\n"
				    "  type: event_count\n"
				    "  rules: [ssh_failed]\n"
				    "  group-by: [source.ip]\n"
				    "  timespan: 1h\n"
				    "  condition: {gte: 2}\n";
	static const char *const gen[] = {r_fail, pairs};
	static const char *const gen2[] = {pairs, r_ok, r_fail};
	rig *x = rig_new(gen, N(gen));
	char ip[32];
	for (int i = 0; i < VG_MAX_CORR_GROUPS + 5; i++) {
		snprintf(ip, sizeof(ip), "g%d", i);
		feed_file(x, 0, (uint64_t)i + 1, S(100), FAIL(ip, "a"));
	}
	assert_int_equal(vg_corr_evicted(x->c), 5);
	assert_int_equal(rig_reload(x, gen2, N(gen2)), 1);
	assert_int_equal(vg_corr_evicted(x->c), 5);
	for (int i = 0; i < 5; i++) { /* new groups: g5..g9, the least recent, go */
		snprintf(ip, sizeof(ip), "n%d", i);
		feed_file(x, 1, (uint64_t)i + 1, S(101), FAIL(ip, "a"));
	}
	assert_int_equal(x->ngot, 0);
	assert_int_equal(vg_corr_evicted(x->c), 10);
	feed_file(x, 1, 10, S(102), FAIL("g5", "a")); /* evicted: starts over (evicting g10) */
	assert_int_equal(x->ngot, 0);
	feed_file(x, 1, 11, S(102), FAIL("g20", "a")); /* carried: pairs with its old event */
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].vals[0], "g20");
	assert_string_equal(x->got[0].paths[0], "a.log");
	assert_string_equal(x->got[0].paths[1], "b.log");
	rig_free(x);
}

/* value_count state moves with its groups: each group keeps its own
 * distinct values across the reload, and groups created after it (in the
 * new state's tables) count apart from the carried ones. */
static void test_values_after_reload(void **state)
{
	(void)state;
	static const char spray[] = "title: spray\n"
				    "id: 5e0b7f6c-1a2b-4c3d-8e9f-000000000031\n"
				    "correlation:\n"
				    "  type: value_count\n"
				    "  rules: [ssh_failed]\n"
				    "  group-by: [source.ip]\n"
				    "  timespan: 1h\n"
				    "  condition: {field: user.name, gte: 3}\n";
	static const char *const gen[] = {r_fail, spray};
	static const char *const gen2[] = {r_ok, spray, r_fail};
	rig *x = rig_new(gen, N(gen));
	feed_file(x, 0, 1, S(100), FAIL("10.1.0.1", "alice"));
	feed_file(x, 0, 2, S(101), FAIL("10.1.0.2", "alice"));
	feed_file(x, 0, 3, S(102), FAIL("10.1.0.1", "bob"));
	feed_file(x, 0, 4, S(103), FAIL("10.1.0.2", "alice"));
	assert_int_equal(rig_reload(x, gen2, N(gen2)), 1);
	feed_file(x, 1, 1, S(104), FAIL("10.1.0.3", "carol")); /* a new group */
	feed_file(x, 1, 2, S(105), FAIL("10.1.0.2", "bob"));
	assert_int_equal(x->ngot, 0);
	feed_file(x, 1, 3, S(106), FAIL("10.1.0.1", "carol"));
	assert_int_equal(x->ngot, 1);
	assert_string_equal(x->got[0].vals[0], "10.1.0.1");
	assert_int_equal(x->got[0].count, 3);
	assert_int_equal(x->got[0].nlocs, 3);
	assert_string_equal(x->got[0].paths[0], "a.log");
	assert_string_equal(x->got[0].paths[2], "b.log");
	feed_file(x, 1, 4, S(107), FAIL("10.1.0.3", "dave"));
	feed_file(x, 1, 5, S(108), FAIL("10.1.0.2", "carol"));
	assert_int_equal(x->ngot, 2);
	assert_string_equal(x->got[1].vals[0], "10.1.0.2");
	assert_int_equal(x->got[1].count, 3);
	assert_int_equal(x->got[1].nlocs, 4);
	rig_free(x);
}

/* The clocks and the lateness allowance come along: after the reload a hit
 * is late or not exactly as before it. */
static void test_clock_and_lateness_carried(void **state)
{
	(void)state;
	rig *x = rig_new(gen_a, N(gen_a));
	vg_corr_set_lateness(x->c, S(300));
	for (int i = 0; i < 4; i++)
		feed_file(x, 0, (uint64_t)i + 1, S(1000) + S(i), FAIL("10.0.0.1", "u"));
	feed_file(x, 0, 5, S(1100), FAIL("10.0.0.2", "v")); /* the clocks: 1100 */
	assert_int_equal(rig_reload(x, gen_b, N(gen_b)), 2);
	/* 90 s late, within the allowance: its group was kept for it */
	feed_file(x, 1, 6, S(1010), FAIL("10.0.0.1", "u"));
	assert_int_equal(count_title(x, "brute"), 1);
	assert_true(x->got[0].first == S(1000) && x->got[0].last == S(1010));
	/* 350 s behind the carried clocks: dropped by both correlations (with
	 * fresh clocks, at 1010, it would have counted) */
	feed_file(x, 1, 7, S(750), FAIL("10.0.0.3", "w"));
	assert_int_equal(vg_corr_late(x->c), 2);
	rig_free(x);
}

/* A rule file mixing every node and scalar type, an action: global merge,
 * and values of several KB. */
static char *pinned_rules(size_t *len)
{
	static char desc[3001], ref[6001];
	for (size_t i = 0; i < 3000; i++)
		desc[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < 6000; i++)
		ref[i] = (char)('A' + i % 26);
	size_t cap = 16384;
	char *s = malloc(cap);
	assert_non_null(s);
	int n = snprintf(s, cap,
			 "action: global\n"
			 "logsource: {product: linux, service: auth}\n"
			 "tags: [attack.t1110, attack.credential_access]\n"
			 "---\n"
			 "title: pinned one\n"
			 "id: 0b8f2a34-9d3e-4c1e-8a55-7f00c1d2e3f4\n"
			 "status: test\n"
			 "description: '%s'\n"
			 "references: [\"%s\", short]\n"
			 "level: high\n"
			 "falsepositives: [~, 1, 2.5, true, 'quoted', \"\", 0x1f]\n"
			 "detection:\n"
			 "  sel:\n"
			 "    process.name|contains: [sshd, 'x y']\n"
			 "    EventID: 4625\n"
			 "  filter: {user: root}\n"
			 "  condition: sel and not filter\n"
			 "---\n"
			 "title: pinned two\n"
			 "detection:\n"
			 "  keywords: [\"Failed password\", 'Invalid user']\n"
			 "  condition: keywords\n",
			 desc, ref);
	assert_true(n > 0 && (size_t)n < cap);
	*len = (size_t)n;
	return s;
}

/* The digest's exact bytes: digests recognise unchanged rules across reloads
 * and runs, so however the encoder is written, its byte stream must not
 * change (values pinned from the encoder of 7be833f). */
static void test_digest_pinned(void **state)
{
	(void)state;
	static const char *const want[] = {
		"e33c4e01027f9285eb4dbcad7552bf041fd115089d4ff20eda0404e656fa6d84",
		"f2b0ad1a874784ce25d888e6fd3c5e955414bcea6a743cd715268200a4d1c4c7",
	};
	size_t len;
	char *text = pinned_rules(&len);
	vg_engine *e = vg_engine_new();
	assert_non_null(e);
	assert_int_equal(vg_engine_load_buffer(e, text, len, "pinned.yml", on_reject, NULL), 0);
	assert_int_equal(vg_engine_rejected(e), 0);
	assert_int_equal(vg_engine_rule_count(e), 2);
	for (size_t i = 0; i < 2; i++) {
		char hex[2 * VG_RULE_DIGEST_LEN + 1];
		for (size_t k = 0; k < VG_RULE_DIGEST_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02x", vg_engine_rule(e, i)->digest[k]);
		assert_string_equal(hex, want[i]);
	}
	vg_engine_free(e);
	free(text);
}

/* The digest: layout does not count, content does. */
static void test_digest(void **state)
{
	(void)state;
	static const char *const one[] = {r_fail, r_ok, r_brute};
	static const char *const two[] = {r_brute_relaid, r_fail, r_ok};
	static const char *const three[] = {r_brute_span, r_fail_changed, r_ok};
	vg_engine *a = engine_of(one, 3), *b = engine_of(two, 3), *c = engine_of(three, 3);
	const vg_rule_info *brute_a = vg_engine_rule(a, 2), *brute_b = vg_engine_rule(b, 0), *brute_c = vg_engine_rule(c, 0);
	assert_string_equal(brute_a->title, "brute");
	assert_string_equal(brute_b->title, "brute");
	assert_memory_equal(brute_a->digest, brute_b->digest, VG_RULE_DIGEST_LEN);
	assert_memory_not_equal(brute_a->digest, brute_c->digest, VG_RULE_DIGEST_LEN);
	assert_memory_equal(vg_engine_rule(a, 0)->digest, vg_engine_rule(b, 1)->digest, VG_RULE_DIGEST_LEN);
	assert_memory_not_equal(vg_engine_rule(a, 0)->digest, vg_engine_rule(c, 1)->digest, VG_RULE_DIGEST_LEN);
	assert_memory_not_equal(vg_engine_rule(a, 0)->digest, vg_engine_rule(a, 1)->digest, VG_RULE_DIGEST_LEN);
	/* a quoted number is a string, not the same rule */
	static const char q1[] = "title: t\nlogsource: {product: linux}\ndetection:\n  sel: {x: 1}\n  condition: sel\n";
	static const char q2[] = "title: t\nlogsource: {product: linux}\ndetection:\n  sel: {x: '1'}\n  condition: sel\n";
	vg_engine *d = engine_of((const char *const[]){q1, q2}, 2);
	assert_memory_not_equal(vg_engine_rule(d, 0)->digest, vg_engine_rule(d, 1)->digest, VG_RULE_DIGEST_LEN);
	vg_engine_free(a);
	vg_engine_free(b);
	vg_engine_free(c);
	vg_engine_free(d);
}

/* Identical duplicates pair up one to one; misuse is refused. */
static void test_duplicates_and_misuse(void **state)
{
	(void)state;
	static const char *const gen[] = {r_fail, r_brute, r_brute};
	static const char *const gen1[] = {r_fail, r_brute};
	rig *x = rig_new(gen, N(gen));
	before(x);
	assert_int_equal(rig_reload(x, gen1, N(gen1)), 1);
	assert_int_equal(rig_reload(x, gen, N(gen)), 1); /* one had state to give */
	middle(x);
	assert_int_equal(count_title(x, "brute"), 1);
	assert_int_equal(vg_corr_adopt(x->c, x->c), VG_EINVAL);
	assert_int_equal(vg_corr_adopt(NULL, x->c), VG_EINVAL);
	rig_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unchanged_rules_keep_state),
		cmocka_unit_test(test_changed_correlation_starts_fresh),
		cmocka_unit_test(test_changed_base_rule),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_removed_rule_dropped),
		cmocka_unit_test(test_bounds_after_reload),
		cmocka_unit_test(test_values_after_reload),
		cmocka_unit_test(test_clock_and_lateness_carried),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_digest_pinned),
		cmocka_unit_test(test_duplicates_and_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
