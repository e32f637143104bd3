/* test_assess.c — layer-3 assessments (server/assess.c): calendar months,
 * the schedule from security levels (3-4 yearly, 5 half-yearly, the
 * organisation every two years) with explicit now values, recorded
 * assessments moving the due date, findings through their workflow, and the
 * REST routes over real TLS (unit scoping, field-named errors, roles, audit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/timeparse.h"
#include "net/pki.h"
#include "server/api.h"
#include "server/assess.h"

#define P 600
#define DAY (86400LL * 1000000)
#define PW "a-long-password-123"

/* a date at midnight UTC */
static int64_t D(int y, unsigned m, unsigned d)
{
	return vg_days_from_civil(y, m, d) * DAY;
}

static struct {
	char root[64], ca[P], cert[P], key[P], url[64];
	vg_db *db;
	vg_auth *auth;
	vg_http *srv;
	vg_api *api;
	vg_assess *as;
	char tok_admin[VG_AUTH_TOKEN_BUF], tok_ana[VG_AUTH_TOKEN_BUF], tok_aud[VG_AUTH_TOKEN_BUF];
} fx;

/* ---- the injected systems ---- */

typedef struct tsys {
	int64_t id;
	const char *name, *unit;
	int level;
	int64_t created;
} tsys;

static tsys systems[4];

static int each_system(void *ud, vg_assess_system_fn fn, void *ud2)
{
	(void)ud;
	for (size_t i = 0; i < 4; i++)
		fn(ud2, systems[i].id, systems[i].name, systems[i].unit, systems[i].level, systems[i].created);
	return 0;
}

/* ---- HTTP helpers ---- */
#include "rest_fx_test_util.h"

/* ---- fixture ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void add_user(const char *name, vg_role role, const char *unit, char tok[VG_AUTH_TOKEN_BUF])
{
	const vg_auth_actor cli = {.name = "cli:test"};
	vg_auth_user_new u = {.name = name, .role = role, .unit = unit, .password = PW, .pw_len = strlen(PW)};
	assert_int_equal(vg_auth_user_add(fx.auth, &cli, &u, D(2026, 1, 1), NULL), 0);
	vg_auth_token_new t = {.user = name, .scope = VG_SCOPE_ALL};
	assert_int_equal(vg_auth_token_create(fx.auth, &cli, &t, D(2026, 1, 1), tok, NULL), 0);
}

static int setup(void **state)
{
	(void)state;
	char why[512] = "";
	int err = 0;
	vg_pki_ca *ca;
	systems[0] = (tsys){1, "Cổng thông tin", "hq/web", 3, D(2025, 1, 31)};
	systems[1] = (tsys){2, "Payments", "hq/fin", 5, D(2025, 1, 31)};
	systems[2] = (tsys){3, "Intranet", "hq/web", 2, D(2025, 3, 1)};
	systems[3] = (tsys){4, "HR", "hq/hr", 4, D(2025, 6, 15)};
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_assess_XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	assert_int_equal(vg_pki_init_ca(fx.root, &ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(fx.ca, P, "%s/pki/ca.crt", fx.root);
	snprintf(fx.cert, P, "%s/pki/server.crt", fx.root);
	snprintf(fx.key, P, "%s/pki/server.key", fx.root);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	fx.db = vg_db_open(fx.root, NULL, &err, why, sizeof(why));
	if (fx.db == NULL)
		fail_msg("vg_db_open: %s", why);
	assert_non_null(fx.auth = vg_auth_open(fx.db, NULL, &err));
	add_user("boss", VG_ROLE_ADMIN, NULL, fx.tok_admin);
	add_user("webana", VG_ROLE_ANALYST, "hq/web", fx.tok_ana);
	add_user("minh", VG_ROLE_AUDITOR, NULL, fx.tok_aud);
	assert_non_null(fx.as = vg_assess_open(fx.db, &err));
	fx.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert, .key_path = fx.key}, &err, why,
			     sizeof(why));
	if (fx.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	snprintf(fx.url, sizeof(fx.url), "https://127.0.0.1:%u", vg_http_port(fx.srv));
	assert_non_null(fx.api = vg_api_new(fx.srv, fx.db, fx.auth));
	assert_int_equal(vg_api_register_core(fx.api), 0);
	assert_int_equal(vg_assess_register_api(fx.as, fx.api), 0);
	assert_int_equal(vg_http_start(fx.srv, why, sizeof(why)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_http_free(fx.srv);
	vg_api_free(fx.api);
	vg_assess_close(fx.as);
	vg_auth_close(fx.auth);
	vg_db_close(fx.db);
	curl_global_cleanup();
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- calendar ---- */

static void test_months(void **state)
{
	(void)state;
	assert_int_equal(vg_assess_add_months(D(2025, 1, 31), 1), D(2025, 2, 28));
	assert_int_equal(vg_assess_add_months(D(2027, 8, 31), 6), D(2028, 2, 29)); /* leap year */
	assert_int_equal(vg_assess_add_months(D(2025, 1, 31), 12), D(2026, 1, 31));
	assert_int_equal(vg_assess_add_months(D(2025, 11, 15), 24), D(2027, 11, 15));
	assert_int_equal(vg_assess_add_months(D(2025, 12, 1), 1), D(2026, 1, 1));
	assert_int_equal(vg_assess_add_months(D(2025, 3, 10) + 3600000000LL, 6), D(2025, 9, 10) + 3600000000LL);
	assert_int_equal(vg_assess_interval_months(1), 0);
	assert_int_equal(vg_assess_interval_months(2), 0);
	assert_int_equal(vg_assess_interval_months(3), 12);
	assert_int_equal(vg_assess_interval_months(4), 12);
	assert_int_equal(vg_assess_interval_months(5), 6);
}

/* ---- schedule ---- */

typedef struct due_row {
	int64_t sys, due, last;
	char state[16];
	int64_t open, overdue;
} due_row;

typedef struct dues {
	due_row v[8];
	size_t n;
} dues;

static int take_due(void *ud, const vg_assess_due *d)
{
	dues *x = ud;
	assert_true(x->n < 8);
	due_row *r = &x->v[x->n++];
	r->sys = d->system_id;
	r->due = d->due_us;
	r->last = d->last_us;
	snprintf(r->state, sizeof(r->state), "%s", d->state);
	r->open = d->open_findings;
	r->overdue = d->overdue_findings;
	return 0;
}

static const due_row *due_of(const dues *x, int64_t sys)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].sys == sys)
			return &x->v[i];
	fail_msg("no schedule entry for system %lld", (long long)sys);
	return NULL;
}

static void test_schedule(void **state)
{
	(void)state;
	dues x = {0};
	/* no enumerator: nothing to schedule */
	assert_int_equal(vg_assess_schedule(fx.as, D(2025, 6, 1), take_due, &x), 0);
	assert_int_equal(x.n, 0);
	vg_assess_set_systems(fx.as, each_system, NULL);

	/* 2026-01-10: system 1 (level 3, since 2025-01-31) due 2026-01-31,
	 * 21 days away; system 2 (level 5) was due 2025-07-31; system 3 level
	 * 2: not required; system 4 (level 4, since 2025-06-15) due 2026-06-15;
	 * the organisation from the earliest system: 2027-01-31. */
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_assess_schedule(fx.as, D(2026, 1, 10), take_due, &x), 0);
	assert_int_equal(x.n, 5);
	assert_int_equal(x.v[0].sys, VG_ASSESS_ORG);
	assert_string_equal(due_of(&x, 0)->state, "upcoming");
	assert_int_equal(due_of(&x, 0)->due, D(2027, 1, 31));
	assert_string_equal(due_of(&x, 1)->state, "due_soon");
	assert_int_equal(due_of(&x, 1)->due, D(2026, 1, 31));
	assert_string_equal(due_of(&x, 2)->state, "overdue");
	assert_int_equal(due_of(&x, 2)->due, D(2025, 7, 31));
	assert_string_equal(due_of(&x, 3)->state, "not_required");
	assert_int_equal(due_of(&x, 3)->due, 0);
	assert_string_equal(due_of(&x, 4)->state, "upcoming");
	assert_int_equal(due_of(&x, 4)->due, D(2026, 6, 15));
	/* the boundaries: exactly 30 days ahead is due soon, the due day itself overdue */
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_assess_schedule(fx.as, D(2026, 1, 1), take_due, &x), 0);
	assert_string_equal(due_of(&x, 1)->state, "due_soon");
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_assess_schedule(fx.as, D(2025, 12, 31), take_due, &x), 0);
	assert_string_equal(due_of(&x, 1)->state, "upcoming");
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_assess_schedule(fx.as, D(2026, 1, 31), take_due, &x), 0);
	assert_string_equal(due_of(&x, 1)->state, "overdue");

	/* recording an assessment moves the due date from its date */
	int64_t id = 0;
	const char *field = NULL;
	vg_assess_rec r = {.system_id = 2, .date_us = D(2025, 12, 20), .assessor = "VNCERT team", .summary = "ok"};
	assert_int_equal(vg_assess_record(fx.as, &r, D(2026, 1, 2), &id, &field), 0);
	assert_true(id > 0);
	vg_assess_rec older = {.system_id = 2, .date_us = D(2025, 2, 1), .assessor = "old"};
	assert_int_equal(vg_assess_record(fx.as, &older, D(2026, 1, 2), NULL, &field), 0);
	vg_assess_rec org = {.system_id = VG_ASSESS_ORG, .date_us = D(2025, 11, 1), .assessor = "Bộ TT&TT"};
	assert_int_equal(vg_assess_record(fx.as, &org, D(2026, 1, 2), NULL, &field), 0);
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_assess_schedule(fx.as, D(2026, 1, 10), take_due, &x), 0);
	assert_string_equal(due_of(&x, 2)->state, "upcoming");
	assert_int_equal(due_of(&x, 2)->last, D(2025, 12, 20)); /* the latest, not the last recorded */
	assert_int_equal(due_of(&x, 2)->due, D(2026, 6, 20));
	assert_int_equal(due_of(&x, 0)->due, D(2027, 11, 1));

	/* refusals name the field */
	vg_assess_rec bad[] = {
		{.system_id = 99, .date_us = D(2025, 1, 1), .assessor = "x"},
		{.system_id = 1, .date_us = 0, .assessor = "x"},
		{.system_id = 1, .date_us = D(2025, 1, 1), .assessor = ""},
		{.system_id = 1, .date_us = D(2025, 1, 1), .assessor = "two\nlines"},
	};
	const char *want[] = {"system_id", "date", "assessor", "assessor"};
	int codes[] = {VG_ENOTFOUND, VG_EINVAL, VG_EINVAL, VG_EINVAL};
	for (size_t i = 0; i < 4; i++) {
		field = NULL;
		assert_int_equal(vg_assess_record(fx.as, &bad[i], D(2026, 1, 2), NULL, &field), codes[i]);
		assert_string_equal(field, want[i]);
	}
}

/* ---- findings ---- */

typedef struct frow {
	int64_t id;
	char state[16], owner[64];
	int64_t closed;
	int overdue;
} frow;

typedef struct frows {
	frow v[16];
	size_t n;
} frows;

static int take_finding(void *ud, const vg_assess_finding *f)
{
	frows *x = ud;
	assert_true(x->n < 16);
	frow *r = &x->v[x->n++];
	r->id = f->id;
	snprintf(r->state, sizeof(r->state), "%s", f->state);
	snprintf(r->owner, sizeof(r->owner), "%s", f->owner != NULL ? f->owner : "");
	r->closed = f->closed_us;
	r->overdue = f->overdue;
	return 0;
}

static frow get_finding(int64_t id, int64_t now)
{
	frows x = {0};
	assert_int_equal(vg_assess_finding_get(fx.as, id, now, take_finding, &x), 0);
	assert_int_equal(x.n, 1);
	return x.v[0];
}

static void test_findings(void **state)
{
	(void)state;
	vg_assess_set_systems(fx.as, each_system, NULL);
	const int64_t now = D(2026, 2, 1);
	const char *field;
	int64_t id = 0, id2 = 0;
	struct {
		vg_assess_finding f;
		const char *field;
	} bad[] = {
		{{.system_id = 1, .title = "", .severity = "high"}, "title"},
		{{.system_id = 1, .title = "t", .severity = "severe"}, "severity"},
		{{.system_id = 1, .title = "t", .severity = "low", .state = "done"}, "state"},
		{{.system_id = 1, .title = "t", .severity = "low", .state = "in_progress"}, "owner"},
		{{.system_id = 77, .title = "t", .severity = "low"}, "system_id"},
		{{.system_id = 1, .title = "t", .severity = "low", .assessment_id = 999}, "assessment_id"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		field = NULL;
		assert_int_not_equal(vg_assess_finding_add(fx.as, &bad[i].f, now, NULL, &field), 0);
		assert_non_null(field);
		assert_string_equal(field, bad[i].field);
	}
	vg_assess_finding f = {.system_id = 1,
			       .title = "TLS 1.0 enabled on the portal",
			       .severity = "high",
			       .due_us = D(2026, 3, 1),
			       .description = "Disable TLS 1.0/1.1."};
	assert_int_equal(vg_assess_finding_add(fx.as, &f, now, &id, &field), 0);
	vg_assess_finding g = {.system_id = 1, .title = "Default admin page", .severity = "medium"};
	assert_int_equal(vg_assess_finding_add(fx.as, &g, now, &id2, &field), 0);
	frow r = get_finding(id, now);
	assert_string_equal(r.state, "open");
	assert_false(r.overdue);
	assert_true(get_finding(id, D(2026, 3, 1)).overdue); /* due date reached */

	/* open -> in_progress needs an owner */
	vg_assess_patch p = {.state = "in_progress"};
	field = NULL;
	assert_int_equal(vg_assess_finding_update(fx.as, id, &p, now, &field), VG_EINVAL);
	assert_string_equal(field, "owner");
	p.owner = "Nguyễn Văn An";
	assert_int_equal(vg_assess_finding_update(fx.as, id, &p, now, &field), 0);
	r = get_finding(id, now);
	assert_string_equal(r.state, "in_progress");
	assert_string_equal(r.owner, "Nguyễn Văn An");

	/* the schedule counts open and overdue findings */
	dues x = {0};
	assert_int_equal(vg_assess_schedule(fx.as, D(2026, 3, 2), take_due, &x), 0);
	assert_int_equal(due_of(&x, 1)->open, 2);
	assert_int_equal(due_of(&x, 1)->overdue, 1);

	/* -> closed; closed cannot go to in_progress; reopen is allowed */
	vg_assess_patch close = {.state = "closed", .note = "TLS 1.2+ only since 2026-02-20"};
	assert_int_equal(vg_assess_finding_update(fx.as, id, &close, D(2026, 2, 20), &field), 0);
	r = get_finding(id, D(2026, 3, 5));
	assert_string_equal(r.state, "closed");
	assert_int_equal(r.closed, D(2026, 2, 20));
	assert_false(r.overdue); /* closed findings are never overdue */
	vg_assess_patch back = {.state = "in_progress"};
	field = NULL;
	assert_int_equal(vg_assess_finding_update(fx.as, id, &back, now, &field), VG_EINVAL);
	assert_string_equal(field, "state");
	vg_assess_patch reopen = {.state = "open"};
	assert_int_equal(vg_assess_finding_update(fx.as, id, &reopen, now, &field), 0);
	r = get_finding(id, now);
	assert_string_equal(r.state, "open");
	assert_int_equal(r.closed, 0);
	/* open -> closed directly, due date cleared */
	vg_assess_patch done = {.state = "closed", .has_due = 1, .due_us = 0};
	assert_int_equal(vg_assess_finding_update(fx.as, id2, &done, now, &field), 0);

	/* lists */
	frows l = {0};
	assert_int_equal(vg_assess_finding_list(fx.as, &(vg_assess_filter){.system_id = 1, .state = "closed"}, now,
						take_finding, &l),
			 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, id2);
	memset(&l, 0, sizeof(l));
	assert_int_equal(vg_assess_finding_list(fx.as, &(vg_assess_filter){.system_id = -1, .overdue_only = 1},
						D(2026, 4, 1), take_finding, &l),
			 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, id);
	assert_int_equal(vg_assess_finding_list(fx.as, &(vg_assess_filter){.system_id = -1, .state = "x"}, now,
						take_finding, &l),
			 VG_EINVAL);

	assert_int_equal(vg_assess_finding_delete(fx.as, id2), 0);
	assert_int_equal(vg_assess_finding_delete(fx.as, id2), VG_ENOTFOUND);
	assert_int_equal(vg_assess_finding_update(fx.as, id2, &reopen, now, &field), VG_ENOTFOUND);
}

/* ---- REST ---- */

static json_t *sched_entry(json_t *ans, int64_t sys)
{
	json_t *s = json_object_get(ans, "schedule"), *e;
	size_t i;
	json_array_foreach(s, i, e) if (json_integer_value(json_object_get(e, "system_id")) == sys) return e;
	return NULL;
}

static void test_api(void **state)
{
	(void)state;
	vg_assess_set_systems(fx.as, each_system, NULL);
	vg_api_set_clock(fx.api, D(2026, 3, 10));
	reply r;
	/* an admin sees everything; 2026-03-10: system 1 overdue (due 2026-01-31) */
	request(fx.tok_aud, "GET", "/assessments", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "schedule")), 5);
	assert_string_equal(json_string_value(json_object_get(sched_entry(r.json, 1), "state")), "overdue");
	assert_string_equal(json_string_value(json_object_get(sched_entry(r.json, 1), "due")), "2026-01-31T00:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(sched_entry(r.json, 1), "open_findings")), 1);
	reply_free(&r);
	request(fx.tok_aud, "GET", "/assessments?state=overdue", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "schedule")), 1);
	reply_free(&r);
	request(fx.tok_aud, "GET", "/assessments?state=late", NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(err_msg(r.json), "state"));
	reply_free(&r);

	/* an analyst of hq/web sees the organisation and systems 1 and 3 only */
	request(fx.tok_ana, "GET", "/assessments", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "schedule")), 3);
	assert_null(sched_entry(r.json, 2));
	assert_non_null(sched_entry(r.json, 3));
	reply_free(&r);
	request(fx.tok_ana, "GET", "/assessments?system_id=2", NULL, &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);

	/* record: the analyst for its own system; not for another unit's */
	request(fx.tok_ana, "POST", "/assessments",
		"{\"system_id\":1,\"date\":\"2026-03-01\",\"assessor\":\"SOC lab\",\"summary\":\"2 findings\"}", &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(json_string_value(json_object_get(r.json, "date")), "2026-03-01T00:00:00Z");
	int64_t aid = json_integer_value(json_object_get(r.json, "id"));
	reply_free(&r);
	request(fx.tok_ana, "POST", "/assessments", "{\"system_id\":2,\"date\":\"2026-03-01\",\"assessor\":\"x\"}", &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	request(fx.tok_ana, "POST", "/assessments", "{\"system_id\":0,\"date\":\"2026-03-01\",\"assessor\":\"x\"}", &r);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	request(fx.tok_aud, "POST", "/assessments", "{\"system_id\":1,\"date\":\"2026-03-01\",\"assessor\":\"x\"}", &r);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	struct {
		const char *body, *word;
		long status;
	} bad[] = {
		{"{\"system_id\":42,\"date\":\"2026-03-01\",\"assessor\":\"x\"}", "system_id", 404},
		{"{\"system_id\":1,\"date\":\"March\",\"assessor\":\"x\"}", "date", 400},
		{"{\"system_id\":1,\"date\":\"2027-03-01\",\"assessor\":\"x\"}", "date", 400},
		{"{\"system_id\":1,\"date\":\"2026-03-01\"}", "assessor", 400},
		{"{\"system_id\":-1,\"date\":\"2026-03-01\",\"assessor\":\"x\"}", "system_id", 400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request(fx.tok_admin, "POST", "/assessments", bad[i].body, &r);
		assert_int_equal(r.status, bad[i].status);
		if (strstr(err_msg(r.json), bad[i].word) == NULL)
			fail_msg("case %zu: '%s' does not name %s", i, err_msg(r.json), bad[i].word);
		reply_free(&r);
	}
	assert_int_equal(audit_count("assessment.record"), 1);
	request(fx.tok_ana, "GET", "/assessments?system_id=1", NULL, &r);
	assert_string_equal(json_string_value(json_object_get(sched_entry(r.json, 1), "state")), "upcoming");
	assert_string_equal(json_string_value(json_object_get(sched_entry(r.json, 1), "due")), "2027-03-01T00:00:00Z");
	assert_int_equal(json_array_size(json_object_get(r.json, "schedule")), 1);
	assert_int_equal(json_array_size(json_object_get(r.json, "assessments")), 1);
	reply_free(&r);

	/* findings CRUD */
	char body[512], path[128];
	snprintf(body, sizeof(body),
		 "{\"system_id\":1,\"assessment_id\":%lld,\"title\":\"Weak TLS\",\"severity\":\"high\","
		 "\"due\":\"2026-04-01\"}",
		 (long long)aid);
	request(fx.tok_ana, "POST", "/assessments/findings", body, &r);
	assert_int_equal(r.status, 201);
	int64_t fid = json_integer_value(json_object_get(r.json, "id"));
	assert_string_equal(json_string_value(json_object_get(r.json, "state")), "open");
	reply_free(&r);
	request(fx.tok_ana, "POST", "/assessments/findings", "{\"system_id\":1,\"title\":\"x\",\"severity\":\"huge\"}",
		&r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(err_msg(r.json), "severity"));
	reply_free(&r);
	snprintf(path, sizeof(path), "/assessments/findings/%lld", (long long)fid);
	request(fx.tok_ana, "PATCH", path, "{\"state\":\"in_progress\"}", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(err_msg(r.json), "owner"));
	reply_free(&r);
	request(fx.tok_ana, "PATCH", path, "{\"state\":\"in_progress\",\"owner\":\"lan\"}", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "owner")), "lan");
	reply_free(&r);
	request(fx.tok_ana, "PATCH", path, "{\"state\":\"closed\"}", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "closed")), "2026-03-10T00:00:00Z");
	reply_free(&r);
	request(fx.tok_ana, "PATCH", path, "{\"state\":\"in_progress\"}", &r);
	assert_int_equal(r.status, 409);
	assert_non_null(strstr(err_msg(r.json), "state"));
	reply_free(&r);
	request(fx.tok_ana, "GET", "/assessments/findings?state=closed", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "findings")), 1);
	reply_free(&r);
	/* the admin's finding on system 2 stays invisible to the hq/web analyst */
	request(fx.tok_admin, "POST", "/assessments/findings", "{\"system_id\":2,\"title\":\"PCI gap\",\"severity\":\"low\"}",
		&r);
	assert_int_equal(r.status, 201);
	snprintf(path, sizeof(path), "/assessments/findings/%lld", (long long)json_integer_value(json_object_get(r.json, "id")));
	reply_free(&r);
	request(fx.tok_ana, "GET", path, NULL, &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	request(fx.tok_ana, "DELETE", path, NULL, &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	request(fx.tok_aud, "DELETE", path, NULL, &r);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	request(fx.tok_admin, "DELETE", path, NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	request(fx.tok_admin, "GET", path, NULL, &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	assert_int_equal(audit_count("finding.add"), 2);
	assert_int_equal(audit_count("finding.update"), 2);
	assert_int_equal(audit_count("finding.delete"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_months),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_findings),
		cmocka_unit_test(test_api),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
