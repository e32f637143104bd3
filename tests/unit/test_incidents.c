/* test_incidents.c — incidents at the database level, with explicit clocks:
 * grouping of alerts (same rule + system within the window, after it, other
 * system, resolved incidents, high-water mark), types from ATT&CK tags,
 * deadlines under both built-in profiles at their exact boundaries, the
 * workflow state machine, the serious criteria, listing filters and the
 * report data. Then the REST handlers over real TLS on loopback (vg_http on
 * port 0 with a temp CA, vg_api with a fixed clock, raw libcurl): status
 * codes naming the field, 404/409, roles, unit scoping, audit, filters,
 * CSV/JSON export and the profiles under both built-in profiles. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "net/pki.h"
#include "server/api.h"
#include "server/incidents.h"
#include "store/db.h"

#define T0 1763719200000000LL /* 2025-11-21T10:00:00Z */
#define SEC 1000000LL
#define HOUR (3600 * SEC)

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

typedef struct fx {
	char dir[64];
	vg_db *db;
	vg_incidents *inc;
	/* the fake systems registry: host "web*" -> 1, "db*" -> 2, else 0 */
	int level[4], national[4];
} fx;

static int64_t system_of(void *ud, const vg_activity *o)
{
	(void)ud;
	const char *host = o->host;
	if (strncmp(host, "web", 3) == 0)
		return 1;
	if (strncmp(host, "db", 2) == 0)
		return 2;
	return 0;
}

static int system_info(void *ud, int64_t id, int *level, int *national)
{
	fx *f = ud;
	if (id < 1 || id > 3)
		return VG_ENOTFOUND;
	*level = f->level[id];
	*national = f->national[id];
	return 0;
}

static int system_unit(void *ud, int64_t id, char *unit, size_t cap)
{
	(void)ud;
	if (id == 1)
		snprintf(unit, cap, "bo/cuc-a");
	else if (id == 2)
		snprintf(unit, cap, "bo/cuc-b");
	else
		return VG_ENOTFOUND;
	return 0;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vg_test_inc.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	int err = 0;
	char why[256];
	f->db = vg_db_open(f->dir, NULL, &err, why, sizeof(why));
	assert_non_null(f->db);
	f->inc = vg_incidents_open(f->db, &err);
	assert_non_null(f->inc);
	f->level[1] = 3;
	f->level[2] = 2;
	f->level[3] = 1;
	vg_incidents_hooks h = {.system_of = system_of, .system_info = system_info, .system_unit = system_unit, .ud = f};
	vg_incidents_set_hooks(f->inc, &h);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	vg_incidents_close(f->inc);
	vg_db_close(f->db);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int64_t add_alert(fx *f, int64_t ts, const char *rule, const char *level, const char *host, const char *tags)
{
	char doc[512];
	snprintf(doc, sizeof(doc), "{\"@timestamp\":\"x\",\"rule\":{\"id\":\"%s\",\"title\":\"T %s\",\"level\":\"%s\",\"tags\":[%s]}}",
		 rule, rule, level, tags != NULL ? tags : "");
	char title[64];
	snprintf(title, sizeof(title), "T %s", rule);
	vg_db_alert a = {.ts_us = ts,
			 .rule_id = rule,
			 .rule_title = title,
			 .level = level,
			 .host = host,
			 .source_ip = "10.0.0.1",
			 .doc = doc,
			 .doc_len = strlen(doc)};
	assert_int_equal(vg_db_alert_insert(f->db, &a), 0);
	return sqlite3_last_insert_rowid(vg_db_sqlite(f->db));
}

static long long q(fx *f, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(vg_db_sqlite(f->db), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t incident_of_alert(fx *f, int64_t alert)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT incident_id FROM incident_alerts WHERE alert_id = %lld", (long long)alert);
	return q(f, sql);
}

static void tick(fx *f, int64_t now, size_t expect)
{
	size_t n = 99;
	assert_int_equal(vg_incidents_tick_n(f->inc, now, &n), 0);
	assert_int_equal(n, expect);
}

/* ---- grouping ---- */

static void test_grouping(void **state)
{
	fx *f = *state;
	int64_t a1 = add_alert(f, T0, "r1", "medium", "web01", "\"attack.credential_access\"");
	int64_t a2 = add_alert(f, T0 + 59 * 60 * SEC, "r1", "high", "web02", NULL);      /* same system, in window */
	int64_t a3 = add_alert(f, T0 + 10 * SEC, "r1", "low", "db01", NULL);             /* other system */
	int64_t a4 = add_alert(f, T0 + 2 * HOUR, "r1", "low", "web01", NULL);            /* 61 min after a2: new */
	int64_t a5 = add_alert(f, T0 + 20 * SEC, "r2", "critical", "web01", NULL);       /* other rule */
	int64_t a6 = add_alert(f, T0 + 30 * SEC, "r1", "low", "unknown-host", NULL);     /* unattributed */
	int64_t a7 = add_alert(f, T0 + 40 * SEC, "r1", "low", "also-unknown", NULL);
	tick(f, T0 + 3 * HOUR, 7);
	int64_t i1 = incident_of_alert(f, a1);
	assert_int_equal(incident_of_alert(f, a2), i1);
	assert_int_not_equal(incident_of_alert(f, a3), i1);
	assert_int_not_equal(incident_of_alert(f, a4), i1);
	assert_int_not_equal(incident_of_alert(f, a5), i1);
	assert_int_equal(incident_of_alert(f, a6), incident_of_alert(f, a7));
	assert_int_not_equal(incident_of_alert(f, a6), i1);
	assert_int_equal(q(f, "SELECT count(*) FROM incidents"), 5);
	/* the high-water mark: nothing again */
	tick(f, T0 + 3 * HOUR, 0);
	assert_int_equal(q(f, "SELECT count(*) FROM incident_alerts"), 7);

	vg_incident_report_data d;
	assert_int_equal(vg_incidents_get_report_data_at(f->inc, i1, T0 + 3 * HOUR, &d), 0);
	assert_string_equal(d.severity, "high"); /* the highest alert level */
	assert_string_equal(d.state, "new");
	assert_string_equal(d.type, "intrusion");
	assert_string_equal(d.unit, "bo/cuc-a");
	assert_int_equal(d.alerts_total, 2);
	assert_int_equal(d.nalerts, 2);
	assert_int_equal(d.alerts[0].id, a1);
	assert_string_equal(d.alerts[1].host, "web02");
	assert_int_equal(d.first_alert_us, T0);
	assert_int_equal(d.last_alert_us, T0 + 59 * 60 * SEC);
	assert_int_equal(d.detected_us, T0 + 3 * HOUR);
	assert_int_equal(d.nsystems, 1);
	assert_int_equal(d.systems[0].id, 1);
	assert_int_equal(d.systems[0].level, 3);
	assert_string_equal(d.profile, VG_INC_DEFAULT_PROFILE);
	assert_non_null(strstr(d.detection_method, "r1"));
	assert_int_equal(d.ntimeline, 1);
	assert_string_equal(d.timeline[0].action, "created");
	vg_incident_report_data_free(&d);

	/* a resolved incident takes no more alerts: a new one opens */
	assert_int_equal(vg_incidents_transition(f->inc, i1, VG_INC_RESOLVED, "ana", T0 + 3 * HOUR), 0);
	int64_t a8 = add_alert(f, T0 + 60 * 60 * SEC, "r1", "low", "web01", NULL);
	tick(f, T0 + 4 * HOUR, 1);
	assert_int_not_equal(incident_of_alert(f, a8), i1);
}

static void test_window_setting(void **state)
{
	fx *f = *state;
	assert_int_equal(vg_incidents_set_window(f->inc, 0), VG_EINVAL);
	assert_int_equal(vg_incidents_set_window(f->inc, 600), 0);
	int64_t a1 = add_alert(f, T0, "r1", "low", "web01", NULL);
	int64_t a2 = add_alert(f, T0 + 600 * SEC, "r1", "low", "web01", NULL); /* exactly the window: joins */
	int64_t a3 = add_alert(f, T0 + 1201 * SEC, "r1", "low", "web01", NULL); /* 601 s after a2: new */
	tick(f, T0 + HOUR, 3);
	assert_int_equal(incident_of_alert(f, a1), incident_of_alert(f, a2));
	assert_int_not_equal(incident_of_alert(f, a2), incident_of_alert(f, a3));
}

static void test_tick_bounded(void **state)
{
	fx *f = *state;
	assert_int_equal(vg_db_begin(f->db), 0);
	for (int i = 0; i < VG_INC_TICK_ALERTS + 10; i++)
		(void)add_alert(f, T0 + i, "r1", "low", "web01", NULL);
	assert_int_equal(vg_db_commit(f->db), 0);
	tick(f, T0 + HOUR, VG_INC_TICK_ALERTS);
	tick(f, T0 + HOUR, 10);
	tick(f, T0 + HOUR, 0);
	assert_int_equal(q(f, "SELECT count(*) FROM incidents"), 1);
	assert_int_equal(q(f, "SELECT alert_count FROM incidents"), VG_INC_TICK_ALERTS + 10);
}

static void test_types(void **state)
{
	fx *f = *state;
	int64_t a1 = add_alert(f, T0, "ransom", "high", "web01", "\"attack.impact\",\"attack.t1486\"");
	int64_t a2 = add_alert(f, T0, "exfil", "high", "web01", "\"attack.exfiltration\"");
	int64_t a3 = add_alert(f, T0, "c2", "high", "web01", "\"attack.command_and_control\"");
	int64_t a4 = add_alert(f, T0, "wipe", "high", "web01", "\"attack.impact\"");
	int64_t a5 = add_alert(f, T0, "none", "high", "web01", "\"car.2013-05-004\"");
	int64_t a6 = add_alert(f, T0, "soft", "high", "web01", "\"attack.S0154\"");
	int64_t a7 = add_alert(f, T0, "brute", "high", "web01", "\"attack.credential-access\",\"attack.t1110.001\"");
	int64_t a8 = add_alert(f, T0, "exfil2", "high", "web01", "\"Attack.Exfiltration\"");
	tick(f, T0, 8);
	const char *want[] = {"encryption", "data_theft", "malware", "destruction", "other", "malware", "intrusion",
			      "data_theft"};
	int64_t ids[] = {a1, a2, a3, a4, a5, a6, a7, a8};
	for (int i = 0; i < 8; i++) {
		vg_incident_report_data d;
		assert_int_equal(vg_incidents_get_report_data_at(f->inc, incident_of_alert(f, ids[i]), T0, &d), 0);
		assert_string_equal(d.type, want[i]);
		vg_incident_report_data_free(&d);
	}
	/* a second kind of alert in the same incident: combined; other adds nothing */
	int64_t b1 = add_alert(f, T0 + SEC, "mix", "low", "db01", "\"attack.execution\"");
	int64_t b2 = add_alert(f, T0 + 2 * SEC, "mix", "low", "db01", NULL);
	tick(f, T0, 2);
	int64_t i = incident_of_alert(f, b1);
	assert_int_equal(incident_of_alert(f, b2), i);
	vg_incident_report_data d;
	assert_int_equal(vg_incidents_get_report_data_at(f->inc, i, T0, &d), 0);
	assert_string_equal(d.type, "malware");
	vg_incident_report_data_free(&d);
	(void)add_alert(f, T0 + 3 * SEC, "mix", "low", "db01", "\"attack.collection\"");
	tick(f, T0, 1);
	assert_int_equal(vg_incidents_get_report_data_at(f->inc, i, T0, &d), 0);
	assert_string_equal(d.type, "combined");
	vg_incident_report_data_free(&d);
	/* an analyst's type sticks */
	vg_incident_patch p = {.type = VG_INC_INTRUSION};
	assert_int_equal(vg_incidents_update(f->inc, i, &p, "ana", T0), 0);
	(void)add_alert(f, T0 + 4 * SEC, "mix", "low", "db01", "\"attack.t1486\"");
	tick(f, T0, 1);
	assert_int_equal(vg_incidents_get_report_data_at(f->inc, i, T0, &d), 0);
	assert_string_equal(d.type, "intrusion");
	vg_incident_report_data_free(&d);
}

/* ---- deadlines ---- */

static int64_t manual(fx *f, int64_t detected, int64_t system)
{
	int64_t id = 0;
	vg_incident_new n = {.title = "by hand",
			     .type = -1,
			     .detected_us = detected,
			     .systems = system ? &system : NULL,
			     .nsystems = system ? 1 : 0,
			     .actor = "ana"};
	assert_int_equal(vg_incidents_create(f->inc, &n, detected, &id), 0);
	return id;
}

static void expect_dl(fx *f, int64_t id, int64_t now, int which, int64_t due, int st)
{
	vg_inc_deadline d[2];
	assert_int_equal(vg_incidents_deadlines(f->inc, id, now, d), 0);
	assert_int_equal(d[which].kind, which);
	if (d[which].due_us != due || d[which].state != st)
		fail_msg("deadline %d at now=T0%+lldus: due T0%+lld %s, want T0%+lld %s", which,
			 (long long)(now - T0), (long long)(d[which].due_us - (d[which].due_us ? T0 : 0)),
			 vg_inc_deadline_state_name(d[which].state), (long long)(due - (due ? T0 : 0)),
			 vg_inc_deadline_state_name(st));
}

static void test_deadlines_circular20(void **state)
{
	fx *f = *state;
	int64_t id = manual(f, T0, 0);
	int64_t due = T0 + 120 * HOUR; /* 5 days */
	expect_dl(f, id, T0, 0, due, VG_DL_PENDING);
	expect_dl(f, id, due - 24 * HOUR - 1, 0, due, VG_DL_PENDING);
	expect_dl(f, id, due - 24 * HOUR, 0, due, VG_DL_DUE_SOON);
	expect_dl(f, id, due, 0, due, VG_DL_DUE_SOON);
	expect_dl(f, id, due + 1, 0, due, VG_DL_OVERDUE);
	/* closure: counted from the end of the response */
	expect_dl(f, id, due + 1, 1, 0, VG_DL_PENDING);
	int64_t res = T0 + 200 * HOUR;
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_RESOLVED, "ana", res), 0);
	expect_dl(f, id, res, 1, res + 120 * HOUR, VG_DL_PENDING);
	expect_dl(f, id, res + 96 * HOUR, 1, res + 120 * HOUR, VG_DL_DUE_SOON);
	expect_dl(f, id, res + 120 * HOUR + 1, 1, res + 120 * HOUR, VG_DL_OVERDUE);
	/* closing does not move it; a reopen clears it until resolved again */
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_CLOSED, "ana", res + HOUR), 0);
	expect_dl(f, id, res, 1, res + 120 * HOUR, VG_DL_PENDING);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_TRIAGED, "ana", res + 2 * HOUR), 0);
	expect_dl(f, id, res + 500 * HOUR, 1, 0, VG_DL_PENDING);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_RESOLVED, "ana", res + 3 * HOUR), 0);
	expect_dl(f, id, res + 3 * HOUR, 1, res + 123 * HOUR, VG_DL_PENDING);
	/* reported: done, whatever the clock says */
	assert_int_equal(vg_incidents_mark_reported(f->inc, id, VG_INC_REPORT_INITIAL, due + HOUR, "VNCERT",
						    "ana", due + 2 * HOUR),
			 0);
	vg_inc_deadline d[2];
	assert_int_equal(vg_incidents_deadlines(f->inc, id, due + 1000 * HOUR, d), 0);
	assert_int_equal(d[0].state, VG_DL_DONE);
	assert_int_equal(d[0].sent_us, due + HOUR);
	assert_string_equal(d[0].recipient, "VNCERT");
	assert_int_equal(d[1].state, VG_DL_OVERDUE);
	/* bad reports change nothing */
	assert_int_equal(vg_incidents_mark_reported(f->inc, id, 7, T0, "x", "ana", T0), VG_EINVAL);
	assert_int_equal(vg_incidents_mark_reported(f->inc, id, 1, T0, "", "ana", T0), VG_EINVAL);
	assert_int_equal(vg_incidents_mark_reported(f->inc, id, 1, T0 + 10 * HOUR, "x", "ana", T0), VG_EINVAL);
	assert_int_equal(vg_incidents_mark_reported(f->inc, 999, 1, T0, "x", "ana", T0), VG_ENOTFOUND);
	assert_int_equal(q(f, "SELECT count(*) FROM incident_reports"), 1);
}

static void test_deadlines_24h72h(void **state)
{
	fx *f = *state;
	assert_int_equal(vg_incidents_set_active_profile(f->inc, 0, "no-such"), VG_EINVAL);
	assert_int_equal(vg_incidents_set_active_profile(f->inc, 0, "24h-72h"), 0);
	int64_t id = manual(f, T0, 0);
	expect_dl(f, id, T0 - 1, 0, T0 + 24 * HOUR, VG_DL_PENDING);
	expect_dl(f, id, T0, 0, T0 + 24 * HOUR, VG_DL_DUE_SOON);
	expect_dl(f, id, T0 + 24 * HOUR, 0, T0 + 24 * HOUR, VG_DL_DUE_SOON);
	expect_dl(f, id, T0 + 24 * HOUR + 1, 0, T0 + 24 * HOUR, VG_DL_OVERDUE);
	/* the 72-hour report counts from detection, not from resolution */
	expect_dl(f, id, T0 + 48 * HOUR - 1, 1, T0 + 72 * HOUR, VG_DL_PENDING);
	expect_dl(f, id, T0 + 48 * HOUR, 1, T0 + 72 * HOUR, VG_DL_DUE_SOON);
	expect_dl(f, id, T0 + 72 * HOUR + 1, 1, T0 + 72 * HOUR, VG_DL_OVERDUE);
	/* incidents keep the profile they were created under */
	assert_int_equal(vg_incidents_set_active_profile(f->inc, 0, VG_INC_DEFAULT_PROFILE), 0);
	expect_dl(f, id, T0, 0, T0 + 24 * HOUR, VG_DL_DUE_SOON);
	/* a per-system override; PATCH switches an incident's profile */
	assert_int_equal(vg_incidents_set_active_profile(f->inc, 2, "24h-72h"), 0);
	int64_t on2 = manual(f, T0, 2), on1 = manual(f, T0, 1);
	expect_dl(f, on2, T0, 0, T0 + 24 * HOUR, VG_DL_DUE_SOON);
	expect_dl(f, on1, T0, 0, T0 + 120 * HOUR, VG_DL_PENDING);
	vg_incident_patch p = {.type = -1, .profile = "24h-72h"};
	assert_int_equal(vg_incidents_update(f->inc, on1, &p, "ana", T0), 0);
	expect_dl(f, on1, T0, 0, T0 + 24 * HOUR, VG_DL_DUE_SOON);
	p.profile = "nope";
	assert_int_equal(vg_incidents_update(f->inc, on1, &p, "ana", T0), VG_EINVAL);
	assert_int_equal(vg_incidents_set_active_profile(f->inc, 2, NULL), 0);
	assert_int_equal(manual(f, T0, 2) > on1, 1);
	assert_int_equal(q(f, "SELECT count(*) FROM incidents WHERE profile = '24h-72h'"), 3);
	/* an edited profile (data, not code) */
	vg_inc_profile pr = {.name = "custom-48", .title = "48 h", .initial_hours = 48, .closure_hours = 10};
	assert_int_equal(vg_incidents_profile_put(f->inc, &pr), 0);
	pr.initial_hours = 0;
	assert_int_equal(vg_incidents_profile_put(f->inc, &pr), VG_EINVAL);
	snprintf(pr.name, sizeof(pr.name), "Bad Name");
	pr.initial_hours = 5;
	assert_int_equal(vg_incidents_profile_put(f->inc, &pr), VG_EINVAL);
	assert_int_equal(vg_incidents_set_active_profile(f->inc, 0, "custom-48"), 0);
	int64_t c = manual(f, T0, 0);
	expect_dl(f, c, T0, 0, T0 + 48 * HOUR, VG_DL_PENDING);
	expect_dl(f, c, T0, 1, T0 + 10 * HOUR, VG_DL_DUE_SOON);
}

/* ---- workflow ---- */

static void test_state_machine(void **state)
{
	fx *f = *state;
	/* the whole table */
	static const int ok[5][5] = {
		/*            new tri con res clo */
		/* new */ {0, 1, 1, 1, 1},
		/* tri */ {0, 0, 1, 1, 1},
		/* con */ {0, 0, 0, 1, 1},
		/* res */ {0, 1, 0, 0, 1},
		/* clo */ {0, 1, 0, 0, 0},
	};
	for (int a = 0; a < 5; a++)
		for (int b = 0; b < 5; b++)
			if (vg_incident_transition_ok(a, b) != ok[a][b])
				fail_msg("%s -> %s", vg_inc_state_name(a), vg_inc_state_name(b));
	assert_int_equal(vg_incident_transition_ok(-1, 1), 0);
	assert_int_equal(vg_incident_transition_ok(0, 5), 0);
	assert_int_equal(vg_inc_state_parse("contained"), VG_INC_CONTAINED);
	assert_int_equal(vg_inc_state_parse("Contained"), -1);

	int64_t id = manual(f, T0, 0);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_TRIAGED, "ana", T0 + 1), 0);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_NEW, "ana", T0 + 2), VG_EINVAL);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_TRIAGED, "ana", T0 + 2), VG_EINVAL);
	assert_int_equal(vg_incidents_transition(f->inc, id, 9, "ana", T0 + 2), VG_EINVAL);
	assert_int_equal(vg_incidents_transition(f->inc, 4242, VG_INC_CLOSED, "ana", T0 + 2), VG_ENOTFOUND);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_CONTAINED, "bob", T0 + 3), 0);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_RESOLVED, "bob", T0 + 4), 0);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_CONTAINED, "bob", T0 + 5), VG_EINVAL);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_CLOSED, "bob", T0 + 6), 0);
	assert_int_equal(vg_incidents_comment(f->inc, id, "ana", "root cause: weak password", T0 + 7), 0);
	assert_int_equal(vg_incidents_comment(f->inc, id, "ana", "", T0 + 7), VG_EINVAL);
	assert_int_equal(vg_incidents_comment(f->inc, 4242, "ana", "x", T0 + 7), VG_ENOTFOUND);
	vg_incident_patch p = {.type = -1, .assignee = "bob"};
	assert_int_equal(vg_incidents_update(f->inc, id, &p, "ana", T0 + 8), 0);
	assert_int_equal(vg_incidents_attach(f->inc, id, "pcap", "https://evidence.example/1.pcap", "ana", T0 + 9), 0);

	vg_incident_report_data d;
	assert_int_equal(vg_incidents_get_report_data_at(f->inc, id, T0 + 10, &d), 0);
	assert_string_equal(d.state, "closed");
	assert_int_equal(d.resolved_us, T0 + 4);
	assert_int_equal(d.closed_us, T0 + 6);
	assert_string_equal(d.assignee, "bob");
	assert_string_equal(d.reporter, "ana");
	/* an assignment is one entry ("assign"), not also an "update" */
	const char *actions[] = {"created", "transition", "transition", "transition", "transition",
				 "comment", "assign",	  "attachment"};
	assert_int_equal(d.ntimeline, 8);
	for (size_t i = 0; i < d.ntimeline; i++)
		assert_string_equal(d.timeline[i].action, actions[i]);
	assert_string_equal(d.timeline[1].text, "new -> triaged");
	assert_string_equal(d.timeline[2].actor, "bob");
	assert_int_equal(d.timeline[5].ts_us, T0 + 7);
	assert_string_equal(d.timeline[5].text, "root cause: weak password");
	assert_int_equal(d.nattachments, 1);
	assert_string_equal(d.attachments[0].content, "https://evidence.example/1.pcap");
	vg_incident_report_data_free(&d);

	/* reopen from closed */
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_TRIAGED, "ana", T0 + 11), 0);
	assert_int_equal(vg_incidents_get_report_data_at(f->inc, id, T0 + 12, &d), 0);
	assert_string_equal(d.state, "triaged");
	assert_int_equal(d.resolved_us, 0);
	assert_int_equal(d.closed_us, 0);
	assert_string_equal(d.timeline[d.ntimeline - 1].text, "closed -> triaged (reopened)");
	vg_incident_report_data_free(&d);

	/* bad input changes nothing */
	long long before = q(f, "SELECT count(*) FROM incident_timeline");
	vg_incident_new bad = {.title = "", .type = -1};
	assert_int_equal(vg_incidents_create(f->inc, &bad, T0, NULL), VG_EINVAL);
	int64_t nosuch = 99999;
	vg_incident_new bad2 = {.title = "x", .type = -1, .alerts = &nosuch, .nalerts = 1};
	assert_int_equal(vg_incidents_create(f->inc, &bad2, T0, NULL), VG_EINVAL);
	assert_non_null(strstr(vg_incidents_errmsg(f->inc), "alerts"));
	vg_incident_new bad3 = {.title = "x", .type = -1, .severity = "huge"};
	assert_int_equal(vg_incidents_create(f->inc, &bad3, T0, NULL), VG_EINVAL);
	assert_int_equal(q(f, "SELECT count(*) FROM incidents"), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM incident_timeline"), before);
}

/* ---- serious ---- */

static void test_serious(void **state)
{
	fx *f = *state;
	int64_t on1 = manual(f, T0, 1), on2 = manual(f, T0, 2), none = manual(f, T0, 0);
	assert_int_equal(vg_incidents_serious(f->inc, on1), 0); /* level 3 */
	assert_int_equal(vg_incidents_serious(f->inc, none), 0);
	f->level[1] = 4;
	assert_int_equal(vg_incidents_serious(f->inc, on1), 1);
	f->level[1] = 5;
	assert_int_equal(vg_incidents_serious(f->inc, on1), 1);
	f->level[1] = 3;
	f->national[1] = 1;
	assert_int_equal(vg_incidents_serious(f->inc, on1), 1);
	f->national[1] = 0;
	assert_int_equal(vg_incidents_serious(f->inc, on2), 0);
	vg_incident_patch p = {.type = -1, .has_major_impact = 1, .major_impact = 1};
	assert_int_equal(vg_incidents_update(f->inc, on2, &p, "ana", T0), 0);
	assert_int_equal(vg_incidents_serious(f->inc, on2), 1);
	p = (vg_incident_patch){.type = -1, .has_beyond_capacity = 1, .beyond_capacity = 1};
	assert_int_equal(vg_incidents_update(f->inc, none, &p, "ana", T0), 0);
	assert_int_equal(vg_incidents_serious(f->inc, none), 1);
	/* adding a level-4 system to an incident makes it serious */
	int64_t on3 = manual(f, T0, 0);
	f->level[3] = 4;
	int64_t three = 3;
	p = (vg_incident_patch){.type = -1, .add_systems = &three, .nadd_systems = 1};
	assert_int_equal(vg_incidents_update(f->inc, on3, &p, "ana", T0), 0);
	assert_int_equal(vg_incidents_serious(f->inc, on3), 1);
	assert_int_equal(vg_incidents_serious(f->inc, 4242), VG_ENOTFOUND);
	vg_incident_report_data d;
	assert_int_equal(vg_incidents_get_report_data_at(f->inc, on3, T0, &d), 0);
	assert_int_equal(d.serious, 1);
	assert_int_equal(d.nsystems, 1);
	assert_int_equal(d.systems[0].level, 4);
	vg_incident_report_data_free(&d);
}

/* ---- listing ---- */

typedef struct seen {
	int64_t ids[16];
	size_t n;
} seen;

static int collect(void *ud, const vg_inc_summary *s)
{
	seen *x = ud;
	if (x->n < 16)
		x->ids[x->n++] = s->id;
	return 0;
}

static int only_cuc_a(void *ud, const char *unit)
{
	(void)ud;
	return unit != NULL && strcmp(unit, "bo/cuc-a") == 0;
}

static void test_list(void **state)
{
	fx *f = *state;
	int64_t a = manual(f, T0, 1);                   /* initial due T0+120h */
	int64_t b = manual(f, T0 - 200 * HOUR, 2);      /* overdue */
	int64_t c = manual(f, T0 - 100 * HOUR, 0);      /* due_soon */
	f->level[2] = 5;                                /* b serious */
	assert_int_equal(vg_incidents_transition(f->inc, c, VG_INC_CONTAINED, "ana", T0), 0);
	seen x = {0};
	vg_inc_filter fl = {.state = -1, .deadline = VG_DL_OVERDUE, .serious = -1};
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], b);
	x.n = 0;
	fl.deadline = VG_DL_DUE_SOON;
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], c);
	x.n = 0;
	fl = (vg_inc_filter){.state = -1, .deadline = -1, .serious = 1};
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], b);
	x.n = 0;
	fl = (vg_inc_filter){.state = VG_INC_CONTAINED, .deadline = -1, .serious = -1};
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], c);
	x.n = 0;
	fl = (vg_inc_filter){.state = -1, .deadline = -1, .serious = -1, .has_system = 1, .system = 1};
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], a);
	x.n = 0;
	fl.system = 0; /* unattributed */
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], c);
	x.n = 0;
	fl = (vg_inc_filter){.state = -1, .deadline = -1, .serious = -1, .limit = 2};
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 2);
	fl.after_id = x.ids[1];
	x.n = 0;
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], c);
	x.n = 0;
	fl = (vg_inc_filter){.state = -1, .deadline = -1, .serious = -1, .visible = only_cuc_a};
	assert_int_equal(vg_incidents_list(f->inc, &fl, T0, collect, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.ids[0], a);
}

static void test_reopen_db(void **state)
{
	fx *f = *state;
	(void)add_alert(f, T0, "r1", "low", "web01", NULL);
	tick(f, T0, 1);
	/* reopening the module keeps the schema, the profiles and the mark */
	vg_incidents_close(f->inc);
	int err = 0;
	f->inc = vg_incidents_open(f->db, &err);
	assert_non_null(f->inc);
	tick(f, T0, 0);
	assert_int_equal(q(f, "SELECT count(*) FROM incident_profiles WHERE builtin = 1"), 2);
	assert_int_equal(vg_db_module_version(f->db, "incidents"), 1);
}

/* alerts older than the module are history: not grouped */
static void test_history_skipped(void **state)
{
	(void)state;
	fx f = {0};
	snprintf(f.dir, sizeof(f.dir), "/tmp/vg_test_inc_h.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	int err = 0;
	char why[256];
	assert_non_null(f.db = vg_db_open(f.dir, NULL, &err, why, sizeof(why)));
	(void)add_alert(&f, T0, "old", "high", "web01", NULL);
	(void)add_alert(&f, T0, "old", "high", "web01", NULL);
	assert_non_null(f.inc = vg_incidents_open(f.db, &err));
	tick(&f, T0, 0);
	int64_t a = add_alert(&f, T0 + SEC, "new", "high", "web01", NULL);
	tick(&f, T0, 1);
	assert_int_equal(q(&f, "SELECT count(*) FROM incidents"), 1);
	assert_int_equal(incident_of_alert(&f, a), 1);
	vg_incidents_close(f.inc);
	vg_db_close(f.db);
	nftw(f.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the REST API ---- */

#define P 600
#define PW "incident-password-123"
#define API_NOW 1795068000000000LL /* 2026-11-19T06:00:00Z, the API's fixed clock */

static struct {
	char root[64], ca[P], cert[P], key[P], url[64];
	vg_db *db;
	vg_auth *auth;
	vg_http *srv;
	vg_api *api;
	vg_incidents *inc;
	fx sys; /* the fake registry's levels */
	char tok_root[VG_AUTH_TOKEN_BUF], tok_ana[VG_AUTH_TOKEN_BUF], tok_unit[VG_AUTH_TOKEN_BUF],
		tok_aud[VG_AUTH_TOKEN_BUF];
} ax;

#include "rest_test_util.h"

static long req(const char *tok, const char *method, const char *path, const char *body, reply *out)
{
	char url[P];
	snprintf(url, sizeof(url), "%s%s", ax.url, path);
	return rest_call(url, ax.ca, tok, method, body, out);
}

/* status, and for an error that its message contains `word` */
static void expect_err(const char *tok, const char *method, const char *path, const char *body, long status,
		       const char *word)
{
	reply r;
	long st = req(tok, method, path, body, &r);
	const char *msg = json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
	if (st != status || (word != NULL && (msg == NULL || strstr(msg, word) == NULL)))
		fail_msg("%s %s %s: %ld %s, want %ld naming '%s'", method, path, body ? body : "", st, r.body.data,
			 status, word ? word : "");
	reply_free(&r);
}

static const char *jstr(json_t *o, const char *path)
{
	/* "a.b.c" */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *v = o;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k != NULL; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return json_string_value(v);
}

static void add_user(const char *name, vg_role role, const char *unit, char tok[VG_AUTH_TOKEN_BUF])
{
	const vg_auth_actor cli = {.name = "cli:test"};
	vg_auth_user_new u = {.name = name, .role = role, .unit = unit, .password = PW, .pw_len = strlen(PW)};
	assert_int_equal(vg_auth_user_add(ax.auth, &cli, &u, T0, NULL), 0);
	vg_auth_token_new t = {.user = name, .scope = VG_SCOPE_ALL};
	assert_int_equal(vg_auth_token_create(ax.auth, &cli, &t, T0, tok, NULL), 0);
}

/* stands in for the report generator (reports.h) */
static void fake_report(void *ud, struct vg_api_call *c, int64_t id)
{
	vg_api_json(c, 200, json_pack("{s:I, s:s}", "report_for", (json_int_t)id, "tag", (const char *)ud));
}

static int api_setup(void **state)
{
	(void)state;
	char why[512] = "";
	int err = 0;
	vg_pki_ca *ca;
	memset(&ax, 0, sizeof(ax));
	snprintf(ax.root, sizeof(ax.root), "/tmp/vg_inc_api_XXXXXX");
	assert_non_null(mkdtemp(ax.root));
	assert_int_equal(vg_pki_init_ca(ax.root, &ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(ax.ca, P, "%s/pki/ca.crt", ax.root);
	snprintf(ax.cert, P, "%s/pki/server.crt", ax.root);
	snprintf(ax.key, P, "%s/pki/server.key", ax.root);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ax.db = vg_db_open(ax.root, NULL, &err, why, sizeof(why));
	assert_non_null(ax.db);
	assert_non_null(ax.auth = vg_auth_open(ax.db, NULL, &err));
	add_user("root", VG_ROLE_ADMIN, NULL, ax.tok_root);
	add_user("ana", VG_ROLE_ANALYST, NULL, ax.tok_ana);
	add_user("unitana", VG_ROLE_ANALYST, "bo/cuc-a", ax.tok_unit);
	add_user("aud", VG_ROLE_AUDITOR, NULL, ax.tok_aud);
	assert_non_null(ax.inc = vg_incidents_open(ax.db, &err));
	ax.sys.level[1] = 3;
	ax.sys.level[2] = 4;
	vg_incidents_hooks h = {.system_of = system_of, .system_info = system_info, .system_unit = system_unit,
				.ud = &ax.sys};
	vg_incidents_set_hooks(ax.inc, &h);
	vg_incidents_set_report_handler(ax.inc, fake_report, "forms");
	ax.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = ax.cert, .key_path = ax.key,
					     .max_body = 1u << 20},
			     &err, why, sizeof(why));
	if (ax.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	snprintf(ax.url, sizeof(ax.url), "https://127.0.0.1:%u", vg_http_port(ax.srv));
	assert_non_null(ax.api = vg_api_new(ax.srv, ax.db, ax.auth));
	vg_api_set_clock(ax.api, API_NOW);
	assert_int_equal(vg_api_register_core(ax.api), 0);
	assert_int_equal(vg_incidents_register_api(ax.inc, ax.api), 0);
	assert_int_equal(vg_http_start(ax.srv, why, sizeof(why)), 0);
	return 0;
}

static int api_teardown(void **state)
{
	(void)state;
	vg_http_free(ax.srv);
	vg_api_free(ax.api);
	vg_incidents_close(ax.inc);
	vg_auth_close(ax.auth);
	vg_db_close(ax.db);
	curl_global_cleanup();
	nftw(ax.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int audits(const char *action)
{
	return audit_entries(ax.api, ax.db, action);
}

static void test_api_workflow(void **state)
{
	(void)state;
	reply r;
	/* create: bad input names the field and changes nothing */
	expect_err(ax.tok_ana, "POST", "/api/v1/incidents", "{}", 400, "title");
	expect_err(ax.tok_ana, "POST", "/api/v1/incidents", "{\"title\":\"x\",\"type\":\"virus\"}", 400, "type");
	expect_err(ax.tok_ana, "POST", "/api/v1/incidents", "{\"title\":\"x\",\"systems\":[0]}", 400, "systems");
	expect_err(ax.tok_ana, "POST", "/api/v1/incidents", "{\"title\":\"x\",\"alerts\":[77]}", 400, "alerts");
	expect_err(ax.tok_ana, "POST", "/api/v1/incidents", "{\"title\":\"x\",\"detected_at\":\"yesterday\"}", 400,
		   "detected_at");
	expect_err(ax.tok_ana, "POST", "/api/v1/incidents", "{\"title\":", 400, NULL);
	expect_err(ax.tok_aud, "POST", "/api/v1/incidents", "{\"title\":\"x\"}", 403, NULL);
	assert_int_equal(audits("incident.create"), 0);

	assert_int_equal(req(ax.tok_ana, "POST", "/api/v1/incidents",
			     "{\"title\":\"Mã độc trên máy chủ web\",\"type\":\"malware\",\"systems\":[1],"
			     "\"detected_at\":\"2026-11-19T00:00:00Z\"}",
			     &r),
			 201);
	json_int_t id = json_integer_value(json_object_get(r.json, "id"));
	assert_true(id > 0);
	assert_string_equal(jstr(r.json, "title"), "Mã độc trên máy chủ web");
	assert_string_equal(jstr(r.json, "state"), "new");
	assert_string_equal(jstr(r.json, "profile"), "vn-circular-20-2017");
	assert_string_equal(jstr(r.json, "deadlines.initial.due_at"), "2026-11-24T00:00:00.000000Z");
	assert_string_equal(jstr(r.json, "deadlines.initial.state"), "pending");
	assert_true(json_is_null(json_object_get(json_object_get(json_object_get(r.json, "deadlines"), "closure"),
						 "due_at")));
	assert_false(json_is_true(json_object_get(r.json, "serious")));
	assert_string_equal(jstr(r.json, "unit"), "bo/cuc-a");
	reply_free(&r);
	assert_int_equal(audits("incident.create"), 1);

	char path[128], sub[160];
	snprintf(path, sizeof(path), "/api/v1/incidents/%lld", (long long)id);
	expect_err(ax.tok_ana, "GET", "/api/v1/incidents/4242", NULL, 404, NULL);
	expect_err(ax.tok_ana, "GET", "/api/v1/incidents/abc", NULL, 404, NULL);
	char rp[160];
	snprintf(rp, sizeof(rp), "%s/report?form=initial", path);
	assert_int_equal(req(ax.tok_aud, "GET", rp, NULL, &r), 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "report_for")), id);
	assert_string_equal(jstr(r.json, "tag"), "forms");
	reply_free(&r);
	expect_err(ax.tok_aud, "GET", "/api/v1/incidents/4242/report", NULL, 404, NULL);
	expect_err(ax.tok_aud, "GET", "/api/v1/incidents/1/reportx", NULL, 404, NULL);

	/* workflow */
	snprintf(sub, sizeof(sub), "%s/transition", path);
	expect_err(ax.tok_ana, "POST", sub, "{\"to\":\"done\"}", 400, "to");
	expect_err(ax.tok_ana, "POST", sub, "{}", 400, "to");
	expect_err(ax.tok_ana, "POST", sub, "{\"to\":\"new\"}", 409, "new");
	expect_err(ax.tok_aud, "POST", sub, "{\"to\":\"triaged\"}", 403, NULL);
	assert_int_equal(req(ax.tok_ana, "POST", sub, "{\"to\":\"triaged\"}", &r), 200);
	assert_string_equal(jstr(r.json, "state"), "triaged");
	reply_free(&r);
	assert_int_equal(audits("incident.transition"), 1);
	snprintf(sub, sizeof(sub), "%s/comments", path);
	expect_err(ax.tok_ana, "POST", sub, "{\"text\":5}", 400, "text");
	assert_int_equal(req(ax.tok_ana, "POST", sub, "{\"text\":\"isolated the host\"}", &r), 201);
	json_t *tl = json_object_get(r.json, "timeline");
	assert_int_equal(json_array_size(tl), 3);
	assert_string_equal(jstr(json_array_get(tl, 2), "text"), "isolated the host");
	assert_string_equal(jstr(json_array_get(tl, 2), "actor"), "ana");
	reply_free(&r);
	snprintf(sub, sizeof(sub), "%s/attachments", path);
	assert_int_equal(req(ax.tok_ana, "POST", sub, "{\"name\":\"ioc\",\"content\":\"203.0.113.9\"}", &r), 201);
	assert_int_equal(json_array_size(json_object_get(r.json, "attachments")), 1);
	reply_free(&r);

	/* reports mark a deadline done */
	snprintf(sub, sizeof(sub), "%s/reports", path);
	expect_err(ax.tok_ana, "POST", sub, "{\"kind\":\"first\",\"sent_at\":\"2026-11-19T01:00:00Z\",\"recipient\":\"x\"}",
		   400, "kind");
	expect_err(ax.tok_ana, "POST", sub, "{\"kind\":\"initial\",\"sent_at\":\"soon\",\"recipient\":\"x\"}", 400,
		   "sent_at");
	expect_err(ax.tok_ana, "POST", sub, "{\"kind\":\"initial\",\"sent_at\":\"2026-11-19T01:00:00Z\"}", 400,
		   "recipient");
	assert_int_equal(req(ax.tok_ana, "POST", sub,
			     "{\"kind\":\"initial\",\"sent_at\":\"2026-11-19T01:00:00Z\",\"recipient\":\"VNCERT\"}", &r),
			 200);
	assert_string_equal(jstr(r.json, "deadlines.initial.state"), "done");
	assert_string_equal(jstr(r.json, "deadlines.initial.recipient"), "VNCERT");
	reply_free(&r);

	/* PATCH */
	expect_err(ax.tok_ana, "PATCH", path, "{\"colour\":\"red\"}", 400, "colour");
	expect_err(ax.tok_ana, "POST", "/api/v1/incidents", "{\"title\":\"x\",\"state\":\"closed\"}", 400, "state");
	expect_err(ax.tok_ana, "PATCH", path, "{\"major_impact\":\"yes\"}", 400, "major_impact");
	expect_err(ax.tok_ana, "PATCH", path, "{\"severity\":\"awful\"}", 400, "severity");
	expect_err(ax.tok_ana, "PATCH", path, "{\"profile\":\"nope\"}", 400, "profile");
	assert_int_equal(req(ax.tok_ana, "PATCH", path, "{\"major_impact\":true,\"assignee\":\"bob\",\"impact\":\"web down\"}", &r),
			 200);
	assert_true(json_is_true(json_object_get(r.json, "serious")));
	assert_string_equal(jstr(r.json, "assignee"), "bob");
	assert_string_equal(jstr(r.json, "impact"), "web down");
	reply_free(&r);
	assert_int_equal(audits("incident.update"), 1);

	/* unit scoping: the unit analyst sees its unit's incident, not others */
	assert_int_equal(req(ax.tok_unit, "GET", path, NULL, &r), 200);
	reply_free(&r);
	assert_int_equal(req(ax.tok_ana, "POST", "/api/v1/incidents", "{\"title\":\"no system\"}", &r), 201);
	json_int_t other = json_integer_value(json_object_get(r.json, "id"));
	reply_free(&r);
	snprintf(sub, sizeof(sub), "/api/v1/incidents/%lld", (long long)other);
	expect_err(ax.tok_unit, "GET", sub, NULL, 404, NULL);
	expect_err(ax.tok_unit, "POST", "/api/v1/incidents", "{\"title\":\"x\",\"systems\":[2]}", 403, "unit");
	assert_int_equal(req(ax.tok_unit, "GET", "/api/v1/incidents", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	reply_free(&r);
	assert_int_equal(req(ax.tok_aud, "GET", "/api/v1/incidents", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
	reply_free(&r);
}

static void test_api_lists_profiles(void **state)
{
	(void)state;
	reply r;
	/* an old incident: overdue at the fixed clock; a serious one on system 2 */
	assert_int_equal(req(ax.tok_ana, "POST", "/api/v1/incidents",
			     "{\"title\":\"old, \\\"quoted\\\"\",\"detected_at\":\"2026-11-01T00:00:00Z\"}", &r),
			 201);
	json_int_t old = json_integer_value(json_object_get(r.json, "id"));
	reply_free(&r);
	assert_int_equal(req(ax.tok_ana, "POST", "/api/v1/incidents",
			     "{\"title\":\"=cmd|calc\",\"systems\":[2],\"detected_at\":\"2026-11-18T12:00:00Z\"}", &r),
			 201);
	json_int_t ser = json_integer_value(json_object_get(r.json, "id"));
	assert_true(json_is_true(json_object_get(r.json, "serious")));
	reply_free(&r);

	expect_err(ax.tok_ana, "GET", "/api/v1/incidents?deadline=late", NULL, 400, "deadline");
	expect_err(ax.tok_ana, "GET", "/api/v1/incidents?state=open", NULL, 400, "state");
	expect_err(ax.tok_ana, "GET", "/api/v1/incidents?serious=maybe", NULL, 400, "serious");
	expect_err(ax.tok_ana, "GET", "/api/v1/incidents?limit=0", NULL, 400, "limit");
	assert_int_equal(req(ax.tok_ana, "GET", "/api/v1/incidents?deadline=overdue", NULL, &r), 200);
	json_t *arr = json_object_get(r.json, "items");
	assert_int_equal(json_array_size(arr), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "id")), old);
	reply_free(&r);
	assert_int_equal(req(ax.tok_ana, "GET", "/api/v1/incidents?serious=true", NULL, &r), 200);
	arr = json_object_get(r.json, "items");
	assert_int_equal(json_array_size(arr), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "id")), ser);
	reply_free(&r);
	assert_int_equal(req(ax.tok_ana, "GET", "/api/v1/incidents?limit=1", NULL, &r), 200);
	assert_int_equal(strtoll(jstr(r.json, "next"), NULL, 10), old);
	reply_free(&r);

	/* export */
	assert_int_equal(req(ax.tok_aud, "GET", "/api/v1/incidents/export?format=csv", NULL, &r), 200);
	assert_non_null(strcasestr(r.hdrs.data, "Content-Type: text/csv"));
	assert_true(strncmp(r.body.data, "id,title,state,", 15) == 0);
	assert_non_null(strstr(r.body.data, "\"old, \"\"quoted\"\"\""));
	assert_non_null(strstr(r.body.data, ",'=cmd|calc,"));
	assert_non_null(strstr(r.body.data, ",overdue,"));
	int lines = 0;
	for (const char *p = r.body.data; (p = strstr(p, "\r\n")) != NULL; p += 2)
		lines++;
	assert_int_equal(lines, 3);
	reply_free(&r);
	assert_int_equal(req(ax.tok_aud, "GET", "/api/v1/incidents/export?format=json&deadline=overdue", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	reply_free(&r);
	expect_err(ax.tok_aud, "GET", "/api/v1/incidents/export?format=xml", NULL, 400, "format");

	/* profiles */
	assert_int_equal(req(ax.tok_aud, "GET", "/api/v1/profiles", NULL, &r), 200);
	assert_string_equal(jstr(r.json, "active"), "vn-circular-20-2017");
	assert_int_equal(json_array_size(json_object_get(r.json, "profiles")), 2);
	reply_free(&r);
	expect_err(ax.tok_ana, "PUT", "/api/v1/profiles", "{\"active\":\"24h-72h\"}", 403, NULL);
	expect_err(ax.tok_root, "PUT", "/api/v1/profiles", "{\"active\":\"48h\"}", 400, "profile");
	expect_err(ax.tok_root, "PUT", "/api/v1/profiles", "{\"window_s\":0}", 400, "window_s");
	expect_err(ax.tok_root, "PUT", "/api/v1/profiles",
		   "{\"active\":\"24h-72h\",\"profiles\":[{\"name\":\"x\",\"title\":\"x\",\"initial_hours\":1}]}", 400,
		   "closure_hours");
	assert_int_equal(req(ax.tok_aud, "GET", "/api/v1/profiles", NULL, &r), 200);
	assert_string_equal(jstr(r.json, "active"), "vn-circular-20-2017"); /* nothing changed */
	reply_free(&r);
	assert_int_equal(req(ax.tok_root, "PUT", "/api/v1/profiles", "{\"active\":\"24h-72h\",\"window_s\":600}", &r),
			 200);
	assert_string_equal(jstr(r.json, "active"), "24h-72h");
	assert_int_equal(json_integer_value(json_object_get(r.json, "window_s")), 600);
	reply_free(&r);
	assert_int_equal(audits("incident.profiles"), 1);
	assert_int_equal(req(ax.tok_ana, "POST", "/api/v1/incidents",
			     "{\"title\":\"fast\",\"detected_at\":\"2026-11-19T00:00:00Z\"}", &r),
			 201);
	assert_string_equal(jstr(r.json, "profile"), "24h-72h");
	assert_string_equal(jstr(r.json, "deadlines.initial.due_at"), "2026-11-20T00:00:00.000000Z");
	assert_string_equal(jstr(r.json, "deadlines.closure.due_at"), "2026-11-22T00:00:00.000000Z");
	assert_string_equal(jstr(r.json, "deadlines.initial.state"), "due_soon");
	reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grouping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tick_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlines_circular20, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlines_24h72h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serious, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_db, setup, teardown),
		cmocka_unit_test(test_history_skipped),
	};
	const struct CMUnitTest api_tests[] = {
		cmocka_unit_test_setup_teardown(test_api_workflow, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_api_lists_profiles, api_setup, api_teardown),
	};
	int fails = cmocka_run_group_tests(tests, NULL, NULL);
	return fails + cmocka_run_group_tests(api_tests, NULL, NULL);
}
