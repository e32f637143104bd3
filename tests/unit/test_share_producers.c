/* test_share_producers.c — the incident and public IP streams of sharing
 * (share/producers.c) on a temp data directory: the incidents and systems
 * modules with their change hooks set to the producers, destinations with
 * different policies, and the outbox items they receive (ids, versions,
 * order, filters, redaction, atomicity with the change, snapshots); and
 * the server ingest's own streams: alerts and selected raw events written
 * in its commit transaction (ids, resent records, rate bound, policy
 * changes without a restart). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/engine.h"
#include "detect/rulepack.h"
#include "server/coverage.h"
#include "server/ingest.h"
#include "server/incidents.h"
#include "server/systems.h"
#include "share/outbox.h"
#include "share/producers.h"
#include "store/db.h"

/* The hook setters (incidents.c, systems.c); declared here until the
 * module headers carry them. */
void vg_incidents_set_change_hook(vg_incidents *inc, int (*fn)(void *ud, vg_incidents *inc, int64_t id, int64_t now_us),
				  void *ud);
void vg_systems_set_change_hook(vg_systems *s,
				int (*fn)(void *ud, int64_t id, const json_t *before, const json_t *after, int64_t now_us),
				void *ud);

#define T0 1795000000000000LL /* 2026-11-19 */
#define SEC 1000000LL

static const char cfg[] = "{\"sink\":\"https\",\"url\":\"https://127.0.0.1:9/in\",\"ca\":\"/nonexistent/ca.pem\","
			  "\"token_file\":\"/nonexistent/token\"}";

typedef struct fx {
	char dir[64];
	vg_db *db;
	vg_systems *sys;
	vg_coverage *cov;
	vg_incidents *inc;
	vg_share_producers *p;
	vg_outbox *ob;
	int fail_next; /* the failing hook wrapper's switch */
} fx;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* The incidents module's view of the registry, as the server wires it. */
static int inc_system_unit(void *ud, int64_t id, char *unit, size_t cap)
{
	return cap > VG_AUTH_UNIT_MAX ? vg_systems_unit_of(ud, id, unit) : VG_ELIMIT;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	char why[512] = "";
	int err = 0;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vg_shprod_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->db = vg_db_open(f->dir, NULL, &err, why, sizeof(why));
	if (f->db == NULL)
		fail_msg("vg_db_open: %s", why);
	assert_non_null(f->sys = vg_systems_open(f->db, &err));
	assert_non_null(f->cov = vg_coverage_open(f->db, &err));
	assert_non_null(f->inc = vg_incidents_open(f->db, &err));
	vg_incidents_set_hooks(f->inc, &(vg_incidents_hooks){.system_unit = inc_system_unit, .ud = f->sys});
	vg_share_producers_opts o = {.db = f->db, .dir = f->dir, .origin = "org-test", .systems = f->sys,
				     .snapshot_s = 3600, .coverage = f->cov};
	f->p = vg_share_producers_open(&o, &err, why, sizeof(why));
	if (f->p == NULL)
		fail_msg("vg_share_producers_open: %s", why);
	f->ob = vg_share_producers_outbox(f->p);
	assert_non_null(vg_share_producers_keys(f->p));
	vg_incidents_set_change_hook(f->inc, vg_share_incident_hook, f->p);
	vg_systems_set_change_hook(f->sys, vg_share_system_hook, f->p);
	assert_int_equal(vg_systems_unit_add(f->sys, "bo-x", "Bo X", T0), 0);
	assert_int_equal(vg_systems_unit_add(f->sys, "bo-y", "Bo Y", T0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	vg_share_producers_close(f->p);
	vg_incidents_close(f->inc);
	vg_coverage_close(f->cov);
	vg_systems_close(f->sys);
	vg_db_close(f->db);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void dest(fx *f, const char *name, const char *policy)
{
	char why[512] = "";
	int r = vg_outbox_dest_add(f->ob, name, cfg, policy, why, sizeof(why));
	if (r != 0)
		fail_msg("dest add %s: %s", name, why);
}

/* The unsent items of dest, parsed; *n gets how many (max 64). */
typedef struct items {
	vg_outbox_item *v;
	size_t n;
	json_t *j[64];
} items;

static void items_get(fx *f, const char *d, items *it)
{
	memset(it, 0, sizeof(*it));
	assert_int_equal(vg_outbox_peek(f->ob, d, 64, 64u << 20, &it->v, &it->n), 0);
	for (size_t i = 0; i < it->n; i++) {
		it->j[i] = json_loads(it->v[i].payload, 0, NULL);
		assert_non_null(it->j[i]);
	}
}

static void items_free(items *it)
{
	for (size_t i = 0; i < it->n; i++)
		json_decref(it->j[i]);
	vg_outbox_items_free(it->v, it->n);
}

static json_t *data_of(items *it, size_t i)
{
	return json_object_get(it->j[i], "data");
}

static const char *dstr(items *it, size_t i, const char *k)
{
	return json_string_value(json_object_get(data_of(it, i), k));
}

/* The API path: the change inside the caller's vg_db transaction. */
static void begin(fx *f)
{
	assert_int_equal(vg_db_begin(f->db), 0);
}

static void commit(fx *f)
{
	assert_int_equal(vg_db_commit(f->db), 0);
}

static int64_t add_system(fx *f, const char *name, const char *unit, const char *ips)
{
	char text[20000];
	snprintf(text, sizeof(text), "{\"name\":\"%s\",\"unit\":\"%s\",\"level\":3,\"public_ips\":%s}", name, unit, ips);
	json_t *doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	int64_t id = 0;
	begin(f);
	int r = vg_systems_create(f->sys, doc, T0, &id);
	if (r != 0)
		fail_msg("system %s: %s", name, vg_systems_errmsg(f->sys));
	commit(f);
	json_decref(doc);
	return id;
}

static int64_t new_incident(fx *f, const char *title, const char *severity, int64_t system, int64_t now)
{
	int64_t id = 0;
	vg_incident_new n = {.title = title, .severity = severity, .type = VG_INC_INTRUSION, .actor = "ana",
			     .systems = system ? &system : NULL, .nsystems = system ? 1 : 0};
	begin(f);
	int r = vg_incidents_create(f->inc, &n, now, &id);
	if (r != 0)
		fail_msg("incident: %s", vg_incidents_errmsg(f->inc));
	commit(f);
	return id;
}

static int64_t version_of(fx *f, const char *kind, int64_t obj)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(vg_db_sqlite(f->db),
					    "SELECT version FROM share_versions WHERE kind = ?1 AND obj = ?2", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, obj);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return v;
}

/* ---- incidents ---- */

static void test_incident_versions(void **state)
{
	fx *f = *state;
	dest(f, "nmc", "{\"streams\":[\"incidents\"]}");
	dest(f, "alerts-only", "{\"streams\":[\"alerts\"]}");
	int64_t s1 = add_system(f, "Portal", "bo-x", "[\"203.0.113.10\",\"2001:db8::10\"]");
	int64_t id = new_incident(f, "Brute force on the portal", "high", s1, T0 + SEC);
	begin(f);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_TRIAGED, "ana", T0 + 2 * SEC), 0);
	commit(f);
	begin(f);
	assert_int_equal(vg_incidents_comment(f->inc, id, "ana", "blocked at the firewall", T0 + 3 * SEC), 0);
	commit(f);
	vg_incident_patch pa = {.type = -1, .impact = "portal slow for 10 minutes", .has_major_impact = 1,
				.major_impact = 1};
	begin(f);
	assert_int_equal(vg_incidents_update(f->inc, id, &pa, "ana", T0 + 4 * SEC), 0);
	assert_int_equal(vg_incidents_mark_reported(f->inc, id, VG_INC_REPORT_INITIAL, T0 + 4 * SEC, "NCSC", "ana",
						   T0 + 5 * SEC),
			 0);
	assert_int_equal(vg_incidents_attach(f->inc, id, "firewall.log", "https://files.example/fw.log", "ana",
					     T0 + 6 * SEC),
			 0);
	commit(f);

	items it;
	items_get(f, "nmc", &it);
	assert_int_equal(it.n, 6);
	char want[64];
	for (size_t i = 0; i < it.n; i++) {
		snprintf(want, sizeof(want), "incident-%lld-%zu", (long long)id, i + 1);
		assert_string_equal(it.v[i].item_id, want);
		assert_string_equal(it.v[i].kind, "incident");
		assert_int_equal(it.v[i].seq, (int64_t)i + 1);
		assert_int_equal(json_integer_value(json_object_get(data_of(&it, i), "version")), (json_int_t)i + 1);
		assert_string_equal(json_string_value(json_object_get(it.j[i], "origin")), "org-test");
	}
	/* each version carries the state as of its change */
	assert_string_equal(dstr(&it, 0, "state"), "new");
	assert_string_equal(dstr(&it, 0, "title"), "Brute force on the portal");
	assert_string_equal(dstr(&it, 0, "severity"), "high");
	assert_string_equal(dstr(&it, 0, "type"), "intrusion");
	assert_string_equal(dstr(&it, 0, "unit"), "bo-x");
	assert_true(json_is_null(json_object_get(data_of(&it, 0), "reported_at")));
	json_t *sys = json_array_get(json_object_get(data_of(&it, 0), "systems"), 0);
	assert_int_equal(json_integer_value(json_object_get(sys, "id")), s1);
	assert_string_equal(json_string_value(json_object_get(sys, "name")), "Portal");
	assert_int_equal(json_array_size(json_object_get(sys, "public_ips")), 2);
	assert_string_equal(dstr(&it, 1, "state"), "triaged");
	json_t *tl = json_object_get(data_of(&it, 2), "timeline");
	assert_string_equal(json_string_value(json_object_get(json_array_get(tl, json_array_size(tl) - 1), "text")),
			    "blocked at the firewall");
	assert_string_equal(dstr(&it, 3, "impact"), "portal slow for 10 minutes");
	assert_true(json_is_true(json_object_get(data_of(&it, 3), "major_impact")));
	assert_non_null(dstr(&it, 4, "reported_at"));
	json_t *att = json_array_get(json_object_get(data_of(&it, 5), "attachments"), 0);
	assert_string_equal(json_string_value(json_object_get(att, "name")), "firewall.log");
	assert_null(json_object_get(att, "content")); /* evidence stays local */
	items_free(&it);

	items_get(f, "alerts-only", &it);
	assert_int_equal(it.n, 0);
	items_free(&it);
	assert_int_equal(version_of(f, "incident", id), 6);
}

static void test_incident_filters_and_redaction(void **state)
{
	fx *f = *state;
	dest(f, "high", "{\"streams\":[\"incidents\"],\"min_level\":\"high\"}");
	dest(f, "unit-y", "{\"streams\":[\"incidents\"],\"units\":[\"bo-y\"]}");
	dest(f, "redacting", "{\"streams\":[\"incidents\"],\"fields\":{\"timeline\":\"remove\",\"reporter\":\"pseudonymise\"}}");
	int64_t sx = add_system(f, "Mail", "bo-x", "[]");
	int64_t id = new_incident(f, "Phishing wave", "medium", sx, T0 + SEC);
	items it;
	items_get(f, "high", &it);
	assert_int_equal(it.n, 0); /* medium < high */
	items_free(&it);
	items_get(f, "unit-y", &it);
	assert_int_equal(it.n, 0); /* bo-x is not under bo-y */
	items_free(&it);
	items_get(f, "redacting", &it);
	assert_int_equal(it.n, 1);
	assert_null(json_object_get(data_of(&it, 0), "timeline"));
	assert_non_null(dstr(&it, 0, "reporter"));
	assert_memory_equal(dstr(&it, 0, "reporter"), "pn:", 3);
	assert_string_equal(dstr(&it, 0, "title"), "Phishing wave");
	items_free(&it);

	vg_incident_patch pa = {.type = -1, .severity = "critical"};
	begin(f);
	assert_int_equal(vg_incidents_update(f->inc, id, &pa, "ana", T0 + 2 * SEC), 0);
	commit(f);
	items_get(f, "high", &it);
	assert_int_equal(it.n, 1);
	char want[64];
	snprintf(want, sizeof(want), "incident-%lld-2", (long long)id); /* version 2: the first was filtered out */
	assert_string_equal(it.v[0].item_id, want);
	assert_int_equal(it.v[0].seq, 1);
	items_free(&it);
}

static void test_incident_tick(void **state)
{
	fx *f = *state;
	dest(f, "nmc", "{\"streams\":[\"incidents\"]}");
	for (int i = 0; i < 3; i++) {
		char doc[256];
		int n = snprintf(doc, sizeof(doc), "{\"rule\":{\"id\":\"r-1\",\"title\":\"SSH brute force\",\"level\":\"%s\"}}",
				 i == 2 ? "critical" : "medium");
		vg_db_alert a = {.ts_us = T0 + i * SEC, .rule_id = "r-1", .rule_title = "SSH brute force",
				 .level = i == 2 ? "critical" : "medium", .host = "web1", .doc = doc, .doc_len = (size_t)n};
		assert_int_equal(vg_db_alert_insert(f->db, &a), 0);
		if (i == 0 || i == 2) {
			/* the server runs the tick inside a vg_db transaction (see the H19 wiring) */
			begin(f);
			assert_int_equal(vg_incidents_tick(f->inc, T0 + (i + 10) * SEC), 0);
			commit(f);
		}
	}
	items it;
	items_get(f, "nmc", &it);
	assert_int_equal(it.n, 2); /* one version per tick that changed the incident */
	assert_string_equal(it.v[0].item_id, "incident-1-1");
	assert_string_equal(it.v[1].item_id, "incident-1-2");
	assert_int_equal(json_integer_value(json_object_get(data_of(&it, 0), "alert_count")), 1);
	assert_int_equal(json_integer_value(json_object_get(data_of(&it, 1), "alert_count")), 3);
	assert_string_equal(dstr(&it, 1, "severity"), "critical");
	json_t *al = json_object_get(data_of(&it, 1), "alerts");
	assert_int_equal(json_array_size(al), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(al, 0), "host")), "web1");
	items_free(&it);
	/* a tick with nothing new changes nothing */
	begin(f);
	assert_int_equal(vg_incidents_tick(f->inc, T0 + 20 * SEC), 0);
	commit(f);
	items_get(f, "nmc", &it);
	assert_int_equal(it.n, 2);
	items_free(&it);
}

static int failing_inc(void *ud, vg_incidents *inc, int64_t id, int64_t now_us)
{
	fx *f = ud;
	if (f->fail_next)
		return VG_EIO;
	return vg_share_incident_hook(f->p, inc, id, now_us);
}

static int failing_sys(void *ud, int64_t id, const json_t *before, const json_t *after, int64_t now_us)
{
	fx *f = ud;
	if (f->fail_next)
		return VG_EIO;
	return vg_share_system_hook(f->p, id, before, after, now_us);
}

/* A hook that fails fails the change: the incident (the system) and its
 * outbox items commit together or not at all. */
static void test_hook_failure_is_atomic(void **state)
{
	fx *f = *state;
	dest(f, "nmc", "{\"streams\":[\"incidents\",\"public_ips\"]}");
	vg_incidents_set_change_hook(f->inc, failing_inc, f);
	vg_systems_set_change_hook(f->sys, failing_sys, f);
	int64_t s1 = add_system(f, "DNS", "bo-x", "[\"198.51.100.1\"]");
	int64_t id = new_incident(f, "DNS amplification", "high", s1, T0 + SEC);
	f->fail_next = 1;
	begin(f);
	assert_int_equal(vg_incidents_transition(f->inc, id, VG_INC_CONTAINED, "ana", T0 + 2 * SEC), VG_EIO);
	assert_non_null(strstr(vg_incidents_errmsg(f->inc), "sharing"));
	(void)vg_db_rollback(f->db);
	json_t *patch = json_pack("{s:[s]}", "public_ips", "198.51.100.2");
	begin(f);
	assert_int_equal(vg_systems_update(f->sys, s1, patch, T0 + 3 * SEC), VG_EIO);
	(void)vg_db_rollback(f->db);
	f->fail_next = 0;
	/* nothing of the refused changes stayed */
	vg_incident_report_data d;
	assert_int_equal(vg_incidents_get_report_data(f->inc, id, &d), 0);
	assert_string_equal(d.state, "new");
	vg_incident_report_data_free(&d);
	json_t *doc = NULL;
	assert_int_equal(vg_systems_get(f->sys, NULL, s1, &doc), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "public_ips"), 0)), "198.51.100.1");
	json_decref(doc);
	items it;
	items_get(f, "nmc", &it);
	assert_int_equal(it.n, 2); /* the system's creation and the incident's */
	assert_string_equal(it.v[0].kind, "public_ips");
	assert_string_equal(it.v[1].kind, "incident");
	items_free(&it);
	/* and the next accepted change takes the next version */
	begin(f);
	assert_int_equal(vg_systems_update(f->sys, s1, patch, T0 + 4 * SEC), 0);
	commit(f);
	json_decref(patch);
	items_get(f, "nmc", &it);
	assert_int_equal(it.n, 3);
	char want[64];
	snprintf(want, sizeof(want), "public_ips-%lld-2", (long long)s1);
	assert_string_equal(it.v[2].item_id, want);
	items_free(&it);
}

static void test_no_destination_no_version(void **state)
{
	fx *f = *state;
	int64_t id = new_incident(f, "Quiet", "low", 0, T0 + SEC);
	int64_t s1 = add_system(f, "Web", "bo-x", "[\"192.0.2.1\"]");
	assert_int_equal(version_of(f, "incident", id), 0);
	assert_int_equal(version_of(f, "system", s1), 0);
	dest(f, "nmc", NULL); /* the default policy: alerts, incidents, heartbeats */
	begin(f);
	assert_int_equal(vg_incidents_comment(f->inc, id, "ana", "first shared change", T0 + 2 * SEC), 0);
	commit(f);
	items it;
	items_get(f, "nmc", &it);
	assert_int_equal(it.n, 1);
	char want[64];
	snprintf(want, sizeof(want), "incident-%lld-1", (long long)id);
	assert_string_equal(it.v[0].item_id, want);
	items_free(&it);
	/* public_ips is not in the default policy */
	json_t *patch = json_pack("{s:[]}", "public_ips");
	begin(f);
	assert_int_equal(vg_systems_update(f->sys, s1, patch, T0 + 3 * SEC), 0);
	commit(f);
	json_decref(patch);
	assert_int_equal(version_of(f, "system", s1), 0);
}

/* ---- declared public IPs ---- */

static void test_public_ip_changes(void **state)
{
	fx *f = *state;
	dest(f, "nmc", "{\"streams\":[\"public_ips\"],\"min_level\":\"critical\",\"hosts\":[\"nowhere\"]}");
	int64_t s1 = add_system(f, "Portal", "bo-x", "[\"203.0.113.10\"]");
	add_system(f, "Intranet", "bo-x", "[]"); /* nothing declared: nothing to share */
	json_t *p1 = json_pack("{s:s}", "description", "renamed nothing, IPs unchanged");
	json_t *p2 = json_pack("{s:[s,s]}", "public_ips", "203.0.113.10", "203.0.113.11");
	begin(f);
	assert_int_equal(vg_systems_update(f->sys, s1, p1, T0 + SEC), 0);
	assert_int_equal(vg_systems_update(f->sys, s1, p2, T0 + 2 * SEC), 0);
	assert_int_equal(vg_systems_delete(f->sys, s1), 0);
	commit(f);
	json_decref(p1);
	json_decref(p2);
	items it;
	items_get(f, "nmc", &it);
	/* not filtered by level or host: inventory is not an alert */
	assert_int_equal(it.n, 3);
	char want[64];
	for (size_t i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "public_ips-%lld-%zu", (long long)s1, i + 1);
		assert_string_equal(it.v[i].item_id, want);
		assert_string_equal(it.v[i].kind, "public_ips");
		assert_int_equal(json_integer_value(json_object_get(data_of(&it, i), "id")), s1);
		assert_string_equal(dstr(&it, i, "name"), "Portal");
		assert_string_equal(dstr(&it, i, "unit"), "bo-x");
	}
	assert_string_equal(dstr(&it, 0, "change"), "created");
	assert_int_equal(json_array_size(json_object_get(data_of(&it, 0), "public_ips")), 1);
	assert_string_equal(dstr(&it, 1, "change"), "updated");
	assert_int_equal(json_array_size(json_object_get(data_of(&it, 1), "public_ips")), 2);
	assert_string_equal(dstr(&it, 2, "change"), "deleted");
	assert_true(json_is_true(json_object_get(data_of(&it, 2), "deleted")));
	assert_int_equal(json_array_size(json_object_get(data_of(&it, 2), "public_ips")), 0);
	items_free(&it);
}

static size_t count_kind(fx *f, const char *d, const char *prefix)
{
	items it;
	items_get(f, d, &it);
	size_t n = 0;
	for (size_t i = 0; i < it.n; i++)
		n += strncmp(it.v[i].item_id, prefix, strlen(prefix)) == 0;
	items_free(&it);
	return n;
}

static void test_snapshot(void **state)
{
	fx *f = *state;
	uint64_t q = 99;
	/* no destination selects public_ips: no snapshot, none recorded */
	assert_int_equal(vg_share_producers_tick(f->p, T0, &q), 0);
	assert_int_equal(q, 0);
	add_system(f, "Portal", "bo-x", "[\"203.0.113.10\"]");
	add_system(f, "Mail", "bo-y", "[]");
	dest(f, "nmc", "{\"streams\":[\"public_ips\"]}");
	dest(f, "other", "{\"streams\":[\"alerts\"]}");
	assert_int_equal(vg_share_producers_tick(f->p, T0 + SEC, &q), 0);
	assert_int_equal(q, 1);
	items it;
	items_get(f, "nmc", &it);
	assert_int_equal(it.n, 1);
	char want[64];
	snprintf(want, sizeof(want), "public_ips-snapshot-%lld-1", (long long)((T0 + SEC) / SEC));
	assert_string_equal(it.v[0].item_id, want);
	json_t *d = data_of(&it, 0);
	assert_true(json_is_true(json_object_get(d, "snapshot")));
	assert_int_equal(json_integer_value(json_object_get(d, "parts")), 1);
	assert_int_equal(json_array_size(json_object_get(d, "systems")), 2); /* every system, also without IPs */
	items_free(&it);
	assert_int_equal(count_kind(f, "other", "public_ips"), 0);
	/* within the period: nothing */
	assert_int_equal(vg_share_producers_tick(f->p, T0 + 1800 * SEC, &q), 0);
	assert_int_equal(q, 0);
	/* a destination newly selecting public_ips gets one at once (so does nmc) */
	dest(f, "late", "{\"streams\":[\"public_ips\"]}");
	assert_int_equal(vg_share_producers_tick(f->p, T0 + 1801 * SEC, &q), 0);
	assert_int_equal(q, 2);
	assert_int_equal(count_kind(f, "late", "public_ips-snapshot-"), 1);
	assert_int_equal(vg_share_producers_tick(f->p, T0 + 1802 * SEC, &q), 0);
	assert_int_equal(q, 0);
	/* the period passed */
	assert_int_equal(vg_share_producers_tick(f->p, T0 + 5402 * SEC, &q), 0);
	assert_int_equal(q, 2);
	assert_int_equal(count_kind(f, "nmc", "public_ips-snapshot-"), 3);
}

/* A large registry is split into parts that each stay far below the
 * item limit. */
static void test_snapshot_parts(void **state)
{
	fx *f = *state;
	dest(f, "nmc", "{\"streams\":[\"public_ips\"]}");
	char ips[16384];
	for (int s = 0; s < 40; s++) {
		size_t used = 0;
		used += (size_t)snprintf(ips + used, sizeof(ips) - used, "[");
		for (int i = 0; i < 250; i++)
			used += (size_t)snprintf(ips + used, sizeof(ips) - used, "%s\"2001:db8:aaaa:bbbb:cccc:%x::%x\"",
						 i ? "," : "", s, i + 1);
		snprintf(ips + used, sizeof(ips) - used, "]");
		char name[32];
		snprintf(name, sizeof(name), "sys-%02d", s);
		add_system(f, name, "bo-x", ips);
	}
	uint64_t q = 0;
	size_t before = count_kind(f, "nmc", "public_ips-");
	assert_int_equal(before, 40); /* one per created system */
	assert_int_equal(vg_share_producers_tick(f->p, T0 + SEC, &q), 0);
	assert_true(q >= 2);
	items it;
	items_get(f, "nmc", &it);
	size_t systems = 0, parts = 0;
	for (size_t i = 40; i < it.n; i++) {
		json_t *d = data_of(&it, i);
		assert_true(it.v[i].len < VG_OUTBOX_MAX_PAYLOAD / 2);
		assert_int_equal(json_integer_value(json_object_get(d, "part")), (json_int_t)(i - 39));
		parts = (size_t)json_integer_value(json_object_get(d, "parts"));
		systems += json_array_size(json_object_get(d, "systems"));
	}
	assert_int_equal(parts, it.n - 40);
	assert_int_equal(systems, 40);
	items_free(&it);
}

/* ---- coverage ---- */

static void test_coverage_item(void **state)
{
	fx *f = *state;
	uint64_t q = 0;
	add_system(f, "Portal", "bo-x", "[]");
	dest(f, "nmc", "{\"streams\":[\"heartbeats\"]}");
	dest(f, "alerts", "{\"streams\":[\"alerts\"]}");
	assert_int_equal(vg_share_producers_tick(f->p, T0, &q), 0);
	assert_int_equal(q, 1);
	items it;
	items_get(f, "nmc", &it);
	assert_int_equal(it.n, 1);
	char want[64];
	snprintf(want, sizeof(want), "coverage-%lld", (long long)(T0 / SEC));
	assert_string_equal(it.v[0].item_id, want);
	assert_string_equal(it.v[0].kind, "coverage");
	json_t *d = data_of(&it, 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "summary"), "systems")), 1);
	/* a system that never sent anything: every layer is a gap */
	assert_int_equal(json_integer_value(json_object_get(d, "gaps_total")), 4);
	json_t *g = json_array_get(json_object_get(d, "gaps"), 0);
	assert_string_equal(json_string_value(json_object_get(g, "system")), "Portal");
	assert_string_equal(json_string_value(json_object_get(g, "state")), "missing");
	assert_null(json_object_get(d, "unattributed")); /* internal sources stay here */
	items_free(&it);
	assert_int_equal(count_kind(f, "alerts", "coverage-"), 0);
	assert_int_equal(vg_share_producers_tick(f->p, T0 + 1800 * SEC, &q), 0);
	assert_int_equal(q, 0);
	assert_int_equal(vg_share_producers_tick(f->p, T0 + 3600 * SEC, &q), 0);
	assert_int_equal(q, 1);
	assert_int_equal(count_kind(f, "nmc", "coverage-"), 2);
}

/* One syslog line through the ingest, as agent a1's record seq (seq 0: a
 * syslog input, no agent). */
static int feed(vg_ingest *g, const char *line, uint64_t seq, int64_t now)
{
	vg_ingest_src s = {.input = seq ? "agent" : "syslog-tcp", .peer = "127.0.0.1:7000"};
	if (seq) {
		s.agent_id = "a1";
		s.agent_host = "web-1";
		s.seq = seq;
	}
	return vg_ingest_record(g, line, strlen(line), &s, now);
}

static void ssh_fail(char *buf, size_t n, int i)
{
	/* one source address per line: the SSH correlation rules stay quiet */
	snprintf(buf, n,
		 "<38>1 2026-11-19T10:00:%02dZ web-1 sshd 4242 - - Failed password for user%d from 198.51.100.%d "
		 "port %d ssh2",
		 i % 60, i, i % 250 + 1, 40000 + i);
}

/* The ingest's commit writes the selected raw events and the alerts to the
 * outbox in its own transaction: stable ids, resent agent records not
 * twice, the rate bound counted, policy changes seen without a restart. */
static void test_ingest_streams(void **state)
{
	fx *f = *state;
	dest(f, "ev",
	     "{\"streams\":[\"alerts\",\"events\"],\"events\":{\"layers\":[\"host\"],\"datasets\":[\"sshd\"],"
	     "\"max_per_second\":4},\"fields\":{\"user.name\":\"redact\"}}");
	dest(f, "al", "{\"streams\":[\"alerts\"]}");
	vg_engine *e = vg_engine_new();
	assert_non_null(e);
	assert_int_equal(vg_rulepack_load(e, NULL, NULL), 0);
	assert_int_equal(vg_engine_compile(e, NULL, NULL), 0);
	int err = 0;
	vg_ingest *g = vg_ingest_new(f->dir, e, NULL, &err);
	assert_non_null(g);
	vg_ingest_set_db(g, f->db);
	assert_int_equal(vg_ingest_set_outbox(g, f->ob), 0);

	char line[512];
	for (int i = 1; i <= 3; i++) {
		ssh_fail(line, sizeof(line), i);
		assert_int_equal(feed(g, line, (uint64_t)i, T0), 0);
	}
	assert_int_equal(feed(g, "<78>1 2026-11-19T10:00:04Z web-1 CRON 77 - - (root) CMD (true)", 4, T0), 0);
	assert_int_equal(feed(g,
			      "<86>1 2026-11-19T10:00:05Z web-1 useradd 77 - - new user: name=u9, UID=2009, GID=100, "
			      "home=/home/u9, shell=/bin/bash, from=/dev/pts/0",
			      5, T0),
			 0);
	assert_int_equal(vg_ingest_sync(g), 0);
	vg_ingest_stats st;
	vg_ingest_stats_get(g, &st);
	assert_int_equal(st.alerts, 1);
	assert_int_equal(st.shared, 5); /* ev: 3 events + the alert; al: the alert */

	items it;
	items_get(f, "ev", &it);
	assert_int_equal(it.n, 4);
	for (size_t i = 0; i < 3; i++) {
		char want[32];
		snprintf(want, sizeof(want), "event-a1-%zu", i + 1);
		assert_string_equal(it.v[i].item_id, want);
		assert_string_equal(it.v[i].kind, "event");
		assert_int_equal(it.v[i].seq, (int64_t)i + 1);
		json_t *d = data_of(&it, i);
		assert_string_equal(json_string_value(json_object_get(json_object_get(d, "user"), "name")), "REDACTED");
		assert_string_equal(json_string_value(json_object_get(json_object_get(d, "vigil"), "layer")), "host");
		assert_string_equal(json_string_value(json_object_get(json_object_get(d, "agent"), "id")), "a1");
		assert_non_null(strstr(json_string_value(json_object_get(json_object_get(d, "event"), "original")),
				       "Failed password for user"));
	}
	/* the alert after the events it is about, in the same commit */
	assert_string_equal(it.v[3].kind, "alert");
	assert_int_equal(strncmp(it.v[3].item_id, "alert-", 6), 0);
	char alert_id[VG_OUTBOX_ID_MAX + 1];
	snprintf(alert_id, sizeof(alert_id), "%s", it.v[3].item_id);
	items_free(&it);
	items_get(f, "al", &it);
	assert_int_equal(it.n, 1);
	assert_string_equal(it.v[0].item_id, alert_id);
	items_free(&it);

	/* a resent record is not ingested (nor shared) twice */
	ssh_fail(line, sizeof(line), 2);
	assert_int_equal(feed(g, line, 2, T0), VG_INGEST_DUPLICATE);
	assert_int_equal(vg_ingest_sync(g), 0);

	/* syslog events: event-<start hex>-<n>; 6 in one second, 4 pass */
	for (int i = 10; i < 16; i++) {
		ssh_fail(line, sizeof(line), i);
		assert_int_equal(feed(g, line, 0, T0 + 10 * SEC), 0);
	}
	assert_int_equal(vg_ingest_sync(g), 0);
	items_get(f, "ev", &it);
	assert_int_equal(it.n, 8);
	for (size_t i = 4; i < 8; i++) {
		unsigned long long hex = 0, n = 0;
		assert_int_equal(sscanf(it.v[i].item_id, "event-%llx-%llu", &hex, &n), 2);
		assert_true(hex > 0);
		assert_int_equal(n, i - 3);
		assert_int_equal(it.v[i].seq, (int64_t)i + 1);
		assert_non_null(strstr(json_string_value(json_object_get(
					       json_object_get(data_of(&it, i), "event"), "original")),
				       i == 4 ? "port 40010" : i == 7 ? "port 40013" : "port"));
	}
	items_free(&it);
	json_t *stj = NULL;
	assert_int_equal(vg_outbox_status(f->ob, T0 + 11 * SEC, &stj), 0);
	size_t k;
	json_t *x;
	json_array_foreach(json_object_get(stj, "destinations"), k, x)
	{
		long long want = strcmp(json_string_value(json_object_get(x, "name")), "ev") == 0 ? 2 : 0;
		assert_int_equal(json_integer_value(json_object_get(x, "events_throttled")), want);
	}
	json_decref(stj);

	/* the policy changes while the ingest runs: seen at the next commit */
	char why[256] = "";
	assert_int_equal(vg_outbox_policy_set(f->ob, "ev", "{\"streams\":[\"alerts\"]}", why, sizeof(why)), 0);
	ssh_fail(line, sizeof(line), 30);
	assert_int_equal(feed(g, line, 6, T0 + 20 * SEC), 0);
	assert_int_equal(vg_ingest_sync(g), 0);
	items_get(f, "ev", &it);
	assert_int_equal(it.n, 8);
	items_free(&it);
	/* and back: events again, the agent's next record by its seq */
	assert_int_equal(vg_outbox_policy_set(f->ob, "ev", "{\"streams\":[\"events\"]}", why, sizeof(why)), 0);
	ssh_fail(line, sizeof(line), 31);
	assert_int_equal(feed(g, line, 7, T0 + 21 * SEC), 0);
	assert_int_equal(vg_ingest_sync(g), 0);
	items_get(f, "ev", &it);
	assert_int_equal(it.n, 9);
	assert_string_equal(it.v[8].item_id, "event-a1-7");
	items_free(&it);

	assert_int_equal(vg_ingest_free(g), 0);
	vg_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_incident_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_filters_and_redaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook_failure_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_destination_no_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_public_ip_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coverage_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingest_streams, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
