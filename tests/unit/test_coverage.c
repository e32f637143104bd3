/* test_coverage.c — 4-layer coverage and the REST API of the systems
 * registry. Part 1 at the C level: states by thresholds (covered / stale /
 * missing / never), the 24-hour counts, the level 3-5 share, gaps and
 * systems to act on sorted by level, unattributed sources, unit scoping,
 * threshold validation. Part 2 through a real HTTPS server (vg_http on
 * port 0 + vg_api + both modules, bearer tokens over libcurl): units,
 * systems, hosts and rules created over the API; 400 naming the field for
 * an invalid level, malformed JSON, 404 for an unknown system, 403 for an
 * auditor or a foreign unit, nothing changed on error, every change
 * audited; GET /coverage per role and unit; thresholds changed over the
 * API. */
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

#include "core/event.h"
#include "net/pki.h"
#include "server/coverage.h"
#include "server/systems.h"

#define T0 1795000000000000LL /* 2026-11-18T11:06:40Z, the fixed clock */
#define MIN 60000000LL
#define HOUR 3600000000LL
#define P 600

static struct {
	char root[64], ca[P], cert[P], key[P];
	vg_db *db;
	vg_auth *auth;
	vg_systems *sys;
	vg_coverage *cov;
	vg_http *srv;
	vg_api *api;
	char url[64];
	char tok_root[VG_AUTH_TOKEN_BUF], tok_ana[VG_AUTH_TOKEN_BUF], tok_aud[VG_AUTH_TOKEN_BUF];
} fx;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void add_user(const char *name, vg_role role, const char *unit, char tok[VG_AUTH_TOKEN_BUF])
{
	const vg_auth_actor cli = {.name = "cli:test"};
	const char *pw = "a-long-test-password-1";
	vg_auth_user_new u = {.name = name, .role = role, .unit = unit, .password = pw, .pw_len = strlen(pw)};
	assert_int_equal(vg_auth_user_add(fx.auth, &cli, &u, T0, NULL), 0);
	vg_auth_token_new t = {.user = name, .scope = VG_SCOPE_ALL};
	assert_int_equal(vg_auth_token_create(fx.auth, &cli, &t, T0, tok, NULL), 0);
}

static int setup(void **state)
{
	(void)state;
	char why[512] = "";
	int err = 0;
	vg_pki_ca *ca;
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_cov_XXXXXX");
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
	assert_non_null(fx.sys = vg_systems_open(fx.db, &err));
	assert_non_null(fx.cov = vg_coverage_open(fx.db, &err));
	add_user("root", VG_ROLE_ADMIN, NULL, fx.tok_root);
	add_user("ana", VG_ROLE_ANALYST, "bo-x/cuc-y", fx.tok_ana);
	add_user("aud", VG_ROLE_AUDITOR, NULL, fx.tok_aud);
	fx.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert, .key_path = fx.key}, &err,
			     why, sizeof(why));
	if (fx.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	snprintf(fx.url, sizeof(fx.url), "https://127.0.0.1:%u", vg_http_port(fx.srv));
	assert_non_null(fx.api = vg_api_new(fx.srv, fx.db, fx.auth));
	vg_api_set_clock(fx.api, T0);
	assert_int_equal(vg_api_register_core(fx.api), 0);
	assert_int_equal(vg_systems_register_api(fx.sys, fx.api), 0);
	assert_int_equal(vg_coverage_register_api(fx.cov, fx.api), 0);
	assert_int_equal(vg_http_start(fx.srv, why, sizeof(why)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_http_free(fx.srv);
	vg_api_free(fx.api);
	vg_coverage_close(fx.cov);
	vg_systems_close(fx.sys);
	vg_auth_close(fx.auth);
	vg_db_close(fx.db);
	curl_global_cleanup();
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- HTTP ---- */

#include "rest_fx_test_util.h"

/* METHOD path with a bearer token and an optional raw JSON body; the
 * status, and the parsed answer in *out (NULL: dropped). */
static long api(const char *tok, const char *method, const char *path, const char *body, json_t **out)
{
	reply r;
	long st = request(tok, method, path, body, &r);
	if (out != NULL) {
		*out = r.json;
		r.json = NULL;
	}
	reply_free(&r);
	return st;
}

/* expects status st and, for errors, a message containing needle */
static void expect(const char *tok, const char *method, const char *path, const char *body, long st, const char *needle)
{
	json_t *a = NULL;
	long got = api(tok, method, path, body, &a);
	const char *msg = json_string_value(json_object_get(json_object_get(a, "error"), "message"));
	if (got != st || (needle != NULL && (msg == NULL || strstr(msg, needle) == NULL)))
		fail_msg("%s %s: %ld \"%s\", want %ld with \"%s\"", method, path, got, msg != NULL ? msg : "",
			 st, needle != NULL ? needle : "");
	json_decref(a);
}

static int64_t post_id(const char *tok, const char *path, const char *body)
{
	json_t *a = NULL;
	long st = api(tok, "POST", path, body, &a);
	if (st != 201)
		fail_msg("POST %s %s: %ld", path, body, st);
	int64_t id = json_integer_value(json_object_get(a, "id"));
	json_decref(a);
	return id;
}

static long long q(const char *sql)
{
	vg_api_lock(fx.api);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(vg_db_sqlite(fx.db), sql, -1, &st, NULL), SQLITE_OK);
	long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	vg_api_unlock(fx.api);
	return v;
}

/* ---- part 1: the C API ---- */

static void test_states(void **state)
{
	(void)state;
	vg_coverage_threshold t = {3600, 86400};
	assert_int_equal(vg_coverage_state_of(&t, 0, T0), VG_COV_MISSING);
	assert_int_equal(vg_coverage_state_of(&t, T0 - 10 * MIN, T0), VG_COV_COVERED);
	assert_int_equal(vg_coverage_state_of(&t, T0 - HOUR, T0), VG_COV_COVERED);
	assert_int_equal(vg_coverage_state_of(&t, T0 - HOUR - 1, T0), VG_COV_STALE);
	assert_int_equal(vg_coverage_state_of(&t, T0 - 24 * HOUR, T0), VG_COV_STALE);
	assert_int_equal(vg_coverage_state_of(&t, T0 - 24 * HOUR - 1, T0), VG_COV_MISSING);
	assert_string_equal(vg_coverage_state_name(VG_COV_STALE), "stale");

	vg_coverage_threshold th[5];
	assert_int_equal(vg_coverage_thresholds(fx.cov, th), 0);
	assert_int_equal(th[VG_LAYER_NETWORK].stale_after_s, VG_COVERAGE_STALE_S);
	assert_int_equal(th[VG_LAYER_ENDPOINT].missing_after_s, VG_COVERAGE_MISSING_S);
	vg_coverage_threshold bad = {7200, 3600};
	assert_int_equal(vg_coverage_set_threshold(fx.cov, VG_LAYER_HOST, &bad), VG_EINVAL);
	assert_non_null(strstr(vg_coverage_errmsg(fx.cov), "host.stale_after_s"));
	bad = (vg_coverage_threshold){10, 3600};
	assert_int_equal(vg_coverage_set_threshold(fx.cov, VG_LAYER_HOST, &bad), VG_EINVAL);
	assert_int_equal(vg_coverage_set_threshold(fx.cov, 0, &t), VG_EINVAL);
	assert_int_equal(vg_coverage_thresholds(fx.cov, th), 0);
	assert_int_equal(th[VG_LAYER_HOST].stale_after_s, VG_COVERAGE_STALE_S);
}

static int64_t mk(const char *json)
{
	json_t *d = json_loads(json, 0, NULL);
	int64_t id = 0;
	assert_non_null(d);
	if (vg_systems_create(fx.sys, d, T0, &id) != 0)
		fail_msg("create: %s", vg_systems_errmsg(fx.sys));
	json_decref(d);
	return id;
}

static json_t *layer_of(json_t *rep, int64_t id, const char *layer)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(rep, "systems"), i, s)
		if (json_integer_value(json_object_get(s, "id")) == id)
			return json_object_get(json_object_get(s, "layers"), layer);
	fail_msg("system %lld not in the report", (long long)id);
	return NULL;
}

static const char *state_of(json_t *rep, int64_t id, const char *layer)
{
	return json_string_value(json_object_get(layer_of(rep, id, layer), "state"));
}

static void test_report(void **state)
{
	(void)state;
	vg_api_lock(fx.api);
	assert_int_equal(vg_systems_unit_add(fx.sys, "ub", "Bộ B", T0), 0);
	assert_int_equal(vg_systems_unit_add(fx.sys, "ub/c1", "Cục 1", T0), 0);
	assert_int_equal(vg_systems_unit_add(fx.sys, "ub/c2", "Cục 2", T0), 0);
	int64_t full = mk("{\"name\":\"Full\",\"unit\":\"ub/c1\",\"level\":4,\"plan_approved\":true}");
	int64_t part = mk("{\"name\":\"Part\",\"unit\":\"ub/c2\",\"level\":5,\"plan_approved\":true}");
	int64_t low = mk("{\"name\":\"Low\",\"unit\":\"ub/c2\",\"level\":2}");
	vg_systems_rule rules[] = {
		{.kind = VG_RULE_HOSTNAME, .pattern = "full-*", .system_id = full},
		{.kind = VG_RULE_HOSTNAME, .pattern = "part-*", .system_id = part},
		{.kind = VG_RULE_HOSTNAME, .pattern = "low-*", .system_id = low},
	};
	int64_t rid;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(vg_systems_rule_add(fx.sys, &rules[i], T0, &rid), 0);
	vg_activity a[] = {
		/* Full: all four layers within the hour */
		{"full-fw", "10.0.0.1", "", "syslog-udp", VG_LAYER_NETWORK, T0 - 5 * MIN, T0 - 2 * MIN, 40},
		{"full-db", "10.0.0.2", "", "agent", VG_LAYER_HOST, T0 - 5 * MIN, T0 - 1 * MIN, 30},
		{"full-web", "10.0.0.3", "", "agent", VG_LAYER_APPLICATION, T0 - 5 * MIN, T0 - 3 * MIN, 20},
		{"full-pc", "10.0.0.4", "", "http", VG_LAYER_ENDPOINT, T0 - 5 * MIN, T0 - 4 * MIN, 10},
		/* Part: network 3 h ago (stale), host 30 h ago (missing), application now */
		{"part-fw", "10.1.0.1", "", "syslog-udp", VG_LAYER_NETWORK, T0 - 3 * HOUR, T0 - 3 * HOUR, 6},
		{"part-db", "10.1.0.2", "", "syslog-tcp", VG_LAYER_HOST, T0 - 30 * HOUR, T0 - 30 * HOUR, 9},
		{"part-web", "10.1.0.3", "", "agent", VG_LAYER_APPLICATION, T0 - MIN, T0 - MIN, 1},
		/* nobody's */
		{"stray", "203.0.113.5", "", "syslog-udp", VG_LAYER_HOST, T0 - MIN, T0 - MIN, 3},
	};
	assert_int_equal(vg_systems_record_activity(fx.sys, a, sizeof(a) / sizeof(a[0]), T0), 0);
	/* a second drain of the same source adds up */
	assert_int_equal(vg_systems_record_activity(fx.sys, a, 1, T0), 0);

	json_t *rep;
	assert_int_equal(vg_coverage_report(fx.cov, NULL, NULL, T0, &rep), 0);
	vg_api_unlock(fx.api);
	assert_string_equal(state_of(rep, full, "network"), "covered");
	assert_int_equal(json_integer_value(json_object_get(layer_of(rep, full, "network"), "events_24h")), 80);
	assert_int_equal(json_integer_value(json_object_get(layer_of(rep, full, "network"), "last_event_us")), T0 - 2 * MIN);
	assert_string_equal(json_string_value(json_object_get(layer_of(rep, full, "network"), "last_event_at")),
			    "2026-11-18T11:04:40.000000Z");
	assert_string_equal(state_of(rep, full, "endpoint"), "covered");
	assert_string_equal(state_of(rep, part, "network"), "stale");
	assert_int_equal(json_integer_value(json_object_get(layer_of(rep, part, "network"), "events_24h")), 6);
	assert_string_equal(state_of(rep, part, "host"), "missing");
	assert_int_equal(json_integer_value(json_object_get(layer_of(rep, part, "host"), "events_24h")), 0);
	assert_string_equal(state_of(rep, part, "application"), "covered");
	assert_string_equal(state_of(rep, part, "endpoint"), "missing");
	assert_true(json_is_null(json_object_get(layer_of(rep, part, "endpoint"), "last_event_us")));
	assert_string_equal(state_of(rep, low, "network"), "missing");

	json_t *sum = json_object_get(rep, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "systems")), 3);
	assert_int_equal(json_integer_value(json_object_get(sum, "level3_5_systems")), 2);
	assert_int_equal(json_integer_value(json_object_get(sum, "level3_5_fully_covered")), 1);
	assert_true(json_real_value(json_object_get(sum, "level3_5_share")) == 0.5);
	/* systems and gaps by level, descending */
	json_t *sys = json_object_get(rep, "systems");
	assert_string_equal(json_string_value(json_object_get(json_array_get(sys, 0), "name")), "Part");
	assert_string_equal(json_string_value(json_object_get(json_array_get(sys, 2), "name")), "Low");
	json_t *gaps = json_object_get(rep, "gaps");
	assert_int_equal(json_array_size(gaps), 3 + 4); /* Part: 3, Low: 4 */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(gaps, 0), "level")), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(gaps, 0), "state")), "stale");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(gaps, 6), "level")), 2);
	/* to act on: Part (missing layers), Low (no plan, missing); not Full */
	json_t *act = json_object_get(rep, "act_on");
	assert_int_equal(json_array_size(act), 2);
	json_t *a0 = json_array_get(act, 0), *a1 = json_array_get(act, 1);
	assert_string_equal(json_string_value(json_object_get(a0, "system")), "Part");
	assert_string_equal(json_string_value(json_array_get(json_object_get(a0, "reasons"), 0)), "missing_layers");
	assert_int_equal(json_array_size(json_object_get(a0, "missing_layers")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(a0, "stale_layers"), 0)), "network");
	assert_string_equal(json_string_value(json_array_get(json_object_get(a1, "reasons"), 0)), "no_approved_plan");
	json_t *un = json_object_get(rep, "unattributed");
	assert_int_equal(json_array_size(un), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(un, 0), "host")), "stray");
	json_decref(rep);

	/* an hour on, Full's layers go stale; a unit-scoped view; a unit filter */
	vg_principal p = {.role = VG_ROLE_ANALYST};
	snprintf(p.unit, sizeof(p.unit), "ub/c1");
	vg_api_lock(fx.api);
	assert_int_equal(vg_coverage_report(fx.cov, &p, NULL, T0 + HOUR, &rep), 0);
	vg_api_unlock(fx.api);
	assert_int_equal(json_array_size(json_object_get(rep, "systems")), 1);
	assert_string_equal(state_of(rep, full, "host"), "stale");
	assert_int_equal(json_array_size(json_object_get(rep, "unattributed")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "summary"), "level3_5_fully_covered")), 0);
	json_decref(rep);
	vg_api_lock(fx.api);
	assert_int_equal(vg_coverage_report(fx.cov, NULL, "ub/c2", T0, &rep), 0);
	vg_api_unlock(fx.api);
	assert_int_equal(json_array_size(json_object_get(rep, "systems")), 2);
	json_decref(rep);
	/* 25 h later the 24-hour counts are empty */
	vg_api_lock(fx.api);
	assert_int_equal(vg_coverage_report(fx.cov, NULL, NULL, T0 + 25 * HOUR, &rep), 0);
	vg_api_unlock(fx.api);
	assert_int_equal(json_integer_value(json_object_get(layer_of(rep, full, "network"), "events_24h")), 0);
	assert_string_equal(state_of(rep, full, "network"), "missing");
	json_decref(rep);
}

/* ---- part 2: the REST API ---- */

static void test_api_registry(void **state)
{
	(void)state;
	const char *R = fx.tok_root, *A = fx.tok_ana, *U = fx.tok_aud;
	expect(R, "POST", "/units", "{\"path\":\"bo-x\",\"name\":\"Bộ X\"}", 201, NULL);
	expect(R, "POST", "/units", "{\"path\":\"bo-x/cuc-y\",\"name\":\"Cục Y\"}", 201, NULL);
	expect(R, "POST", "/units", "{\"path\":\"bo-x/cuc-z\",\"name\":\"Cục Z\"}", 201, NULL);
	expect(R, "POST", "/units", "{\"path\":\"bo-x/cuc-z\",\"name\":\"again\"}", 409, "exists");
	expect(R, "POST", "/units", "{\"path\":\"nope/child\",\"name\":\"x\"}", 400, "parent");
	expect(A, "POST", "/units", "{\"path\":\"bo-x/cuc-q\",\"name\":\"x\"}", 403, NULL);
	expect(R, "PATCH", "/units/bo-x/cuc-z", "{\"name\":\"Cục Zê\"}", 200, NULL);

	long long before = q("SELECT count(*) FROM systems");
	int audits_before = audit_count("system.create");
	expect(R, "POST", "/systems", "{\"name\":\"Hệ thống A\",\"unit\":\"bo-x/cuc-y\",\"level\":7}", 400, "level");
	expect(R, "POST", "/systems", "{\"name\":\"Hệ thống A\",\"unit\":\"bo-x/cuc-y\",\"level\":", 400, NULL);
	expect(R, "POST", "/systems", "[1,2]", 400, NULL);
	expect(R, "POST", "/systems", "{\"name\":\"Hệ thống A\",\"unit\":\"bo-x/cuc-y\",\"level\":3,\"public_ips\":[\"x\"]}",
	       400, "public_ips[0]");
	expect(U, "POST", "/systems", "{\"name\":\"Aud\",\"unit\":\"bo-x/cuc-y\",\"level\":3}", 403, NULL);
	expect(A, "POST", "/systems", "{\"name\":\"Foreign\",\"unit\":\"bo-x/cuc-z\",\"level\":3}", 403, "unit");
	assert_int_equal(q("SELECT count(*) FROM systems"), before);
	assert_int_equal(audit_count("system.create"), audits_before);

	int64_t a = post_id(A, "/systems", "{\"name\":\"Hệ thống A\",\"unit\":\"bo-x/cuc-y\",\"level\":3,"
					   "\"level_reason\":\"Dịch vụ công trực tuyến\"}");
	int64_t b = post_id(R, "/systems", "{\"name\":\"Hệ thống B\",\"unit\":\"bo-x/cuc-z\",\"level\":4,"
					   "\"plan_approved\":true,\"plan_approved_date\":\"2026-01-15\"}");
	assert_int_equal(audit_count("system.create"), audits_before + 2);
	expect(R, "POST", "/systems", "{\"name\":\"Hệ thống B\",\"unit\":\"bo-x\",\"level\":1}", 409, "exists");

	char path[128];
	json_t *d;
	snprintf(path, sizeof(path), "/systems/%lld", (long long)a);
	assert_int_equal(api(A, "GET", path, NULL, &d), 200);
	assert_string_equal(json_string_value(json_object_get(d, "name")), "Hệ thống A");
	assert_string_equal(json_string_value(json_object_get(d, "level_reason")), "Dịch vụ công trực tuyến");
	json_decref(d);
	expect(R, "PATCH", path, "{\"level\":9}", 400, "level");
	expect(R, "PATCH", path, "{\"level\":\"high\"}", 400, "level");
	expect(A, "PATCH", path, "{\"unit\":\"bo-x/cuc-z\"}", 403, "unit");
	expect(U, "PATCH", path, "{\"level\":2}", 403, NULL);
	expect(A, "PATCH", path, "{\"level\":5,\"nationally_important\":true}", 200, NULL);
	assert_int_equal(q("SELECT level FROM systems WHERE name = 'Hệ thống A'"), 5);
	assert_int_equal(audit_count("system.update"), 1);
	expect(R, "GET", "/systems/424242", NULL, 404, "no system 424242");
	expect(R, "PATCH", "/systems/424242", "{\"level\":2}", 404, NULL);
	expect(R, "GET", "/systems/abc", NULL, 404, NULL);

	/* unit scoping: the analyst of cuc-y sees A only */
	snprintf(path, sizeof(path), "/systems/%lld", (long long)b);
	expect(A, "GET", path, NULL, 404, NULL);
	expect(A, "PATCH", path, "{\"level\":1}", 404, NULL);
	assert_int_equal(api(A, "GET", "/systems", NULL, &d), 200);
	assert_int_equal(json_array_size(json_object_get(d, "systems")), 1);
	json_decref(d);
	assert_int_equal(api(U, "GET", "/systems?level=4&unit=bo-x", NULL, &d), 200);
	assert_int_equal(json_array_size(json_object_get(d, "systems")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(d, "systems"), 0), "name")),
			    "Hệ thống B");
	json_decref(d);
	expect(R, "GET", "/systems?level=6", NULL, 400, "level");
	assert_int_equal(api(A, "GET", "/units", NULL, &d), 200);
	assert_int_equal(json_array_size(json_object_get(d, "units")), 1);
	json_decref(d);

	/* hosts and rules */
	snprintf(path, sizeof(path), "/systems/%lld/hosts", (long long)a);
	int64_t h = post_id(A, path, "{\"name\":\"web-a1\",\"ip\":\"10.10.0.5\"}");
	expect(A, "POST", path, "{\"name\":\"web-a1\"}", 409, "belongs");
	expect(A, "POST", path, "{\"name\":\"x\",\"ip\":\"300.1.1.1\"}", 400, "ip");
	assert_int_equal(api(U, "GET", path, NULL, &d), 200);
	assert_int_equal(json_array_size(json_object_get(d, "hosts")), 1);
	json_decref(d);
	char body[256];
	snprintf(body, sizeof(body), "{\"kind\":\"cidr\",\"pattern\":\"10.20.0.0/16\",\"system_id\":%lld,\"priority\":10}",
		 (long long)b);
	expect(A, "POST", "/attribution-rules", body, 404, NULL); /* B is not A's to see */
	int64_t r1 = post_id(R, "/attribution-rules", body);
	snprintf(body, sizeof(body), "{\"kind\":\"agent_id\",\"pattern\":\"agent-a-*\",\"system_id\":%lld}", (long long)a);
	post_id(A, "/attribution-rules", body);
	snprintf(body, sizeof(body), "{\"kind\":\"cidr\",\"pattern\":\"10.20.0.0/99\",\"system_id\":%lld}", (long long)a);
	expect(A, "POST", "/attribution-rules", body, 400, "pattern");
	snprintf(body, sizeof(body), "{\"kind\":\"regex\",\"pattern\":\"x\",\"system_id\":%lld}", (long long)a);
	expect(A, "POST", "/attribution-rules", body, 400, "kind");
	assert_int_equal(api(A, "GET", "/attribution-rules", NULL, &d), 200);
	assert_int_equal(json_array_size(json_object_get(d, "rules")), 1);
	json_decref(d);
	snprintf(path, sizeof(path), "/attribution-rules/%lld", (long long)r1);
	expect(A, "DELETE", path, NULL, 404, NULL);
	assert_int_equal(audit_count("attribution_rule.create"), 2);

	/* activity arrives; coverage per layer through the API */
	vg_activity act[] = {
		{"web-a1", "10.10.0.5", "", "syslog-tcp", VG_LAYER_HOST, T0 - MIN, T0 - MIN, 12},
		{"pc-7", "192.168.1.7", "agent-a-7", "agent", VG_LAYER_ENDPOINT, T0 - MIN, T0 - MIN, 4},
		{"fw-b", "10.20.1.1", "", "syslog-udp", VG_LAYER_NETWORK, T0 - 2 * HOUR, T0 - 2 * HOUR, 5},
		{"who-knows", "198.51.100.1", "", "syslog-udp", VG_LAYER_HOST, T0 - MIN, T0 - MIN, 1},
	};
	vg_api_lock(fx.api);
	assert_int_equal(vg_systems_record_activity(fx.sys, act, 4, T0), 0);
	vg_api_unlock(fx.api);
	json_t *rep;
	assert_int_equal(api(A, "GET", "/coverage", NULL, &rep), 200);
	assert_int_equal(json_array_size(json_object_get(rep, "systems")), 1);
	assert_string_equal(state_of(rep, a, "host"), "covered");
	assert_string_equal(state_of(rep, a, "endpoint"), "covered");
	assert_string_equal(state_of(rep, a, "network"), "missing");
	assert_int_equal(json_array_size(json_object_get(rep, "unattributed")), 0);
	json_decref(rep);
	assert_int_equal(api(U, "GET", "/coverage?unit=bo-x", NULL, &rep), 200);
	assert_int_equal(json_array_size(json_object_get(rep, "systems")), 2);
	assert_string_equal(state_of(rep, b, "network"), "stale");
	json_decref(rep);
	assert_int_equal(api(R, "GET", "/coverage", NULL, &rep), 200);
	json_t *un = json_object_get(rep, "unattributed");
	int found = 0;
	size_t i;
	json_t *e;
	json_array_foreach(un, i, e) found += strcmp(json_string_value(json_object_get(e, "host")), "who-knows") == 0;
	assert_int_equal(found, 1);
	json_decref(rep);
	expect(R, "GET", "/coverage?unit=../x", NULL, 400, "unit");

	/* thresholds: validation changes nothing; a change moves the state */
	expect(U, "PUT", "/coverage/thresholds", "{\"network\":{\"stale_after_s\":60}}", 403, NULL);
	expect(R, "PUT", "/coverage/thresholds", "{\"network\":{\"stale_after_s\":90000}}", 400, "stale_after_s");
	expect(R, "PUT", "/coverage/thresholds", "{\"wan\":{\"stale_after_s\":60}}", 400, "wan");
	expect(R, "PUT", "/coverage/thresholds", "{\"network\":{\"stale\":60}}", 400, "network.stale");
	assert_int_equal(q("SELECT stale_after_s FROM coverage_thresholds WHERE layer = 1"), 3600);
	expect(R, "PUT", "/coverage/thresholds", "{\"network\":{\"stale_after_s\":10800,\"missing_after_s\":172800}}", 200,
	       NULL);
	assert_int_equal(api(U, "GET", "/coverage/thresholds", NULL, &d), 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(d, "thresholds"), "network"),
							    "stale_after_s")),
			 10800);
	json_decref(d);
	assert_int_equal(api(R, "GET", "/coverage?unit=bo-x/cuc-z", NULL, &rep), 200);
	assert_string_equal(state_of(rep, b, "network"), "covered");
	json_decref(rep);
	assert_int_equal(audit_count("coverage.thresholds"), 1);

	/* deletes: host by a writer, system by an admin only */
	snprintf(path, sizeof(path), "/systems/%lld/hosts/%lld", (long long)a, (long long)h);
	expect(U, "DELETE", path, NULL, 403, NULL);
	expect(A, "DELETE", path, NULL, 200, NULL);
	expect(A, "DELETE", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/systems/%lld", (long long)a);
	expect(A, "DELETE", path, NULL, 403, "admin");
	expect(R, "DELETE", "/units/bo-x/cuc-y", NULL, 409, "system");
	expect(R, "DELETE", path, NULL, 200, NULL);
	expect(R, "GET", path, NULL, 404, NULL);
	expect(R, "DELETE", "/units/bo-x/cuc-y", NULL, 200, NULL);
	assert_int_equal(audit_count("system.delete"), 1);
	assert_int_equal(audit_count("unit.delete"), 1);
	assert_int_equal(audit_count("host.delete"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_api_registry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
