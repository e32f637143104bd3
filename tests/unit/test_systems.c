/* test_systems.c — the systems registry at the C API level on a real state
 * database: the unit tree (parents required, conflicts, Vietnamese names,
 * scoping), system documents (defaults, every validation naming its field,
 * nothing changed on error, merge updates, filters, unit scoping, cascade
 * delete), attribution rules (each kind, IPv4/IPv6 CIDR, priority order,
 * declared hosts after the rules, cache reload and re-attribution of known
 * sources on change) and activity recording (per system/layer last time,
 * hourly buckets, unattributed sources, host last seen, pruning). */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/event.h"
#include "server/systems.h"

#define T0 1763719200000000LL /* 2025-11-21T10:00:00Z */
#define HOUR 3600000000LL

static char dir[64];
static vg_db *db;
static vg_systems *sy;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vg_test_systems.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	int err = 0;
	db = vg_db_open(dir, NULL, &err, NULL, 0);
	if (db == NULL)
		return -1;
	sy = vg_systems_open(db, &err);
	return sy == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_systems_close(sy);
	vg_db_close(db);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static long long q(const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(vg_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
	long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static void expect_err(int r, int code, int status, const char *needle)
{
	if (r != code || vg_systems_err_status(sy) != status || strstr(vg_systems_errmsg(sy), needle) == NULL)
		fail_msg("got %d/%d \"%s\", want %d/%d containing \"%s\"", r, vg_systems_err_status(sy),
			 vg_systems_errmsg(sy), code, status, needle);
}

static vg_principal scoped(const char *unit)
{
	vg_principal p = {.user_id = 7, .role = VG_ROLE_ANALYST};
	snprintf(p.name, sizeof(p.name), "an");
	snprintf(p.unit, sizeof(p.unit), "%s", unit);
	return p;
}

static int64_t mk(const char *json)
{
	json_error_t e;
	json_t *d = json_loads(json, 0, &e);
	if (d == NULL)
		fail_msg("bad test JSON: %s", e.text);
	int64_t id = 0;
	int r = vg_systems_create(sy, d, T0, &id);
	json_decref(d);
	if (r != 0)
		fail_msg("create %s: %s", json, vg_systems_errmsg(sy));
	return id;
}

static int try_create(const char *json)
{
	json_t *d = json_loads(json, 0, NULL);
	assert_non_null(d);
	int64_t id = 0;
	int r = vg_systems_create(sy, d, T0, &id);
	json_decref(d);
	return r;
}

static int try_update(int64_t id, const char *json)
{
	json_t *d = json_loads(json, 0, NULL);
	assert_non_null(d);
	int r = vg_systems_update(sy, id, d, T0 + 1);
	json_decref(d);
	return r;
}

static void test_units(void **state)
{
	(void)state;
	assert_int_equal(vg_systems_unit_add(sy, "bo-x", "Bộ X", T0), 0);
	assert_int_equal(vg_systems_unit_add(sy, "bo-x/cuc-y", "Cục Y", T0), 0);
	assert_int_equal(vg_systems_unit_add(sy, "bo-x/cuc-z", "Cục Z", T0), 0);
	assert_int_equal(vg_systems_unit_add(sy, "bo-x/cuc-y/phong-1", "Phòng An toàn thông tin", T0), 0);
	expect_err(vg_systems_unit_add(sy, "bo-q/cuc-1", "Q", T0), VG_EINVAL, 400, "parent unit 'bo-q'");
	expect_err(vg_systems_unit_add(sy, "bo-x", "again", T0), VG_EINVAL, 409, "exists");
	expect_err(vg_systems_unit_add(sy, "bo-x/../y", "bad", T0), VG_EINVAL, 400, "path:");
	expect_err(vg_systems_unit_add(sy, "bo-w", "", T0), VG_EINVAL, 400, "name:");
	expect_err(vg_systems_unit_add(sy, "bo-w", "tab\there", T0), VG_EINVAL, 400, "name:");
	assert_int_equal(q("SELECT count(*) FROM units"), 4);

	json_t *u;
	assert_int_equal(vg_systems_units(sy, NULL, &u), 0);
	json_t *arr = json_object_get(u, "units");
	assert_int_equal(json_array_size(arr), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "name")), "Bộ X");
	assert_true(json_is_null(json_object_get(json_array_get(arr, 0), "parent")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "parent")), "bo-x");
	json_decref(u);
	vg_principal p = scoped("bo-x/cuc-y");
	assert_int_equal(vg_systems_units(sy, &p, &u), 0);
	assert_int_equal(json_array_size(json_object_get(u, "units")), 2);
	json_decref(u);

	assert_int_equal(vg_systems_unit_rename(sy, "bo-x/cuc-z", "Cục Z mới"), 0);
	assert_int_equal(vg_systems_unit_rename(sy, "bo-none", "x"), VG_ENOTFOUND);
	expect_err(vg_systems_unit_delete(sy, "bo-x"), VG_EINVAL, 409, "child unit");
	assert_int_equal(vg_systems_unit_delete(sy, "bo-x/cuc-y/phong-1"), 0);
	assert_int_equal(vg_systems_unit_delete(sy, "bo-x/cuc-y/phong-1"), VG_ENOTFOUND);
}

static void test_system_docs(void **state)
{
	(void)state;
	int64_t a = mk("{\"name\":\"Cổng thông tin điện tử\",\"unit\":\"bo-x/cuc-y\",\"level\":3,"
		       "\"level_reason\":\"Hệ thống phục vụ người dân\",\"public_ips\":[\"203.0.113.10\",\"2001:db8::10\"],"
		       "\"domains\":[\"portal.example.vn\"],\"services\":[\"https/443\"],"
		       "\"layer1_contact\":{\"unit\":\"Phòng CNTT\",\"name\":\"Nguyễn Văn A\",\"phone\":\"+84 24 1234\","
		       "\"email\":\"a@example.vn\"},\"layer2_provider\":{\"name\":\"SOC Việt\",\"email\":\"soc@example.vn\"},"
		       "\"national_centre\":{\"state\":\"pending\",\"since\":\"2025-10-01\"},"
		       "\"contacts\":[{\"role\":\"owner\",\"name\":\"Trần B\"}]}");
	assert_true(a > 0);
	json_t *d;
	assert_int_equal(vg_systems_get(sy, NULL, a, &d), 0);
	assert_string_equal(json_string_value(json_object_get(d, "name")), "Cổng thông tin điện tử");
	assert_int_equal(json_integer_value(json_object_get(d, "level")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "id")), a);
	assert_true(json_is_false(json_object_get(d, "plan_approved")));
	assert_true(json_is_null(json_object_get(d, "plan_approved_date")));
	assert_true(json_is_false(json_object_get(d, "nationally_important")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "national_centre"), "state")), "pending");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "public_ips"), 1)), "2001:db8::10");
	json_decref(d);

	/* every refusal names its field and changes nothing */
	long long before = q("SELECT count(*) FROM systems");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":7}"), VG_EINVAL, 400, "level:");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":\"3\"}"), VG_EINVAL, 400, "level:");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\"}"), VG_EINVAL, 400, "level: required");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-nope\",\"level\":2}"), VG_EINVAL, 400, "unknown unit");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":2,\"colour\":1}"), VG_EINVAL, 400,
		   "colour: unknown member");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":2,\"public_ips\":[\"1.2.3.4\",\"1.2.3\"]}"),
		   VG_EINVAL, 400, "public_ips[1]");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":2,\"domains\":[\"a b\"]}"), VG_EINVAL, 400,
		   "domains[0]");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":2,\"plan_approved_date\":\"2025-02-30\"}"),
		   VG_EINVAL, 400, "plan_approved_date");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":2,\"national_centre\":{\"state\":\"yes\"}}"),
		   VG_EINVAL, 400, "national_centre.state");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":2,\"layer1_contact\":{\"fax\":\"1\"}}"),
		   VG_EINVAL, 400, "layer1_contact.fax");
	expect_err(try_create("{\"name\":\"X\",\"unit\":\"bo-x\",\"level\":2,\"contacts\":[{\"email\":\"nobody\"}]}"),
		   VG_EINVAL, 400, "contacts[0].email");
	expect_err(try_create("{\"name\":\"Cổng thông tin điện tử\",\"unit\":\"bo-x\",\"level\":2}"), VG_EINVAL, 409,
		   "exists");
	assert_int_equal(q("SELECT count(*) FROM systems"), before);
}

static int64_t id_of(const char *name)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT id FROM systems WHERE name = '%s'", name);
	return q(sql);
}

static void test_update_list_delete(void **state)
{
	(void)state;
	int64_t mail = mk("{\"name\":\"Mail\",\"unit\":\"bo-x/cuc-z\",\"level\":2}");
	expect_err(try_create("{\"name\":\"MAIL\",\"unit\":\"bo-x\",\"level\":2}"), VG_EINVAL, 409, "exists");
	int64_t erp = mk("{\"name\":\"ERP\",\"unit\":\"bo-x\",\"level\":5,\"nationally_important\":true}");

	/* merge update: only the members given change */
	assert_int_equal(try_update(mail, "{\"level\":4,\"plan_approved\":true,\"plan_approved_date\":\"2025-06-30\"}"), 0);
	json_t *d;
	assert_int_equal(vg_systems_get(sy, NULL, mail, &d), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "level")), 4);
	assert_string_equal(json_string_value(json_object_get(d, "unit")), "bo-x/cuc-z");
	assert_true(json_is_true(json_object_get(d, "plan_approved")));
	assert_int_equal(json_integer_value(json_object_get(d, "updated_us")), T0 + 1);
	/* a GET answer can be sent back as it is */
	assert_int_equal(vg_systems_update(sy, mail, d, T0 + 2), 0);
	json_decref(d);
	expect_err(try_update(mail, "{\"level\":0}"), VG_EINVAL, 400, "level:");
	expect_err(try_update(mail, "{\"name\":\"erp\"}"), VG_EINVAL, 409, "exists");
	assert_int_equal(q("SELECT level FROM systems WHERE name = 'Mail'"), 4);
	expect_err(try_update(999, "{\"level\":1}"), VG_ENOTFOUND, 404, "no system 999");

	/* list: level descending, filters, scoping */
	json_t *l;
	assert_int_equal(vg_systems_list(sy, NULL, NULL, &l), 0);
	json_t *arr = json_object_get(l, "systems");
	assert_int_equal(json_array_size(arr), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "name")), "ERP");
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "name")), "Mail");
	json_decref(l);
	vg_systems_filter f = {.level = 3};
	assert_int_equal(vg_systems_list(sy, NULL, &f, &l), 0);
	assert_int_equal(json_array_size(json_object_get(l, "systems")), 1);
	json_decref(l);
	f = (vg_systems_filter){.unit = "bo-x/cuc-y"};
	assert_int_equal(vg_systems_list(sy, NULL, &f, &l), 0);
	assert_int_equal(json_array_size(json_object_get(l, "systems")), 1);
	json_decref(l);
	f = (vg_systems_filter){.unit = "bo-x"};
	assert_int_equal(vg_systems_list(sy, NULL, &f, &l), 0);
	assert_int_equal(json_array_size(json_object_get(l, "systems")), 3);
	json_decref(l);
	vg_principal p = scoped("bo-x/cuc-z");
	assert_int_equal(vg_systems_list(sy, &p, NULL, &l), 0);
	arr = json_object_get(l, "systems");
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "name")), "Mail");
	json_decref(l);
	assert_int_equal(vg_systems_get(sy, &p, erp, &d), VG_ENOTFOUND);
	p = scoped("bo-x/cuc");
	assert_int_equal(vg_systems_get(sy, &p, mail, &d), VG_ENOTFOUND);

	/* delete cascades to hosts and rules */
	int64_t hid = 0, rid = 0;
	assert_int_equal(vg_systems_host_add(sy, erp, "erp-db", "10.5.0.1", T0, &hid), 0);
	vg_systems_rule r = {.kind = VG_RULE_HOSTNAME, .pattern = "erp-*", .system_id = erp, .priority = 5};
	assert_int_equal(vg_systems_rule_add(sy, &r, T0, &rid), 0);
	expect_err(vg_systems_unit_delete(sy, "bo-x/cuc-z"), VG_EINVAL, 409, "1 system");
	assert_int_equal(vg_systems_delete(sy, erp), 0);
	assert_int_equal(vg_systems_delete(sy, erp), VG_ENOTFOUND);
	assert_int_equal(q("SELECT count(*) FROM hosts"), 0);
	assert_int_equal(q("SELECT count(*) FROM attribution_rules"), 0);
	vg_activity a = {.host = "erp-web", .source_ip = "", .agent_id = "", .input = "agent"};
	assert_int_equal(vg_systems_attribute(sy, &a), 0);
}

static int64_t rule(int kind, const char *pat, int64_t sys, int prio)
{
	vg_systems_rule r = {.kind = kind, .pattern = pat, .system_id = sys, .priority = prio};
	int64_t id = 0;
	if (vg_systems_rule_add(sy, &r, T0, &id) != 0)
		fail_msg("rule %s: %s", pat, vg_systems_errmsg(sy));
	return id;
}

static int64_t who(const char *host, const char *ip, const char *agent, const char *input)
{
	vg_activity a = {.host = host, .source_ip = ip, .agent_id = agent, .input = input};
	return vg_systems_attribute(sy, &a);
}

static void test_attribution(void **state)
{
	(void)state;
	int64_t A = id_of("Cổng thông tin điện tử"), B = id_of("Mail");
	assert_true(A > 0 && B > 0);
	rule(VG_RULE_AGENT, "agent-a*", A, 10);
	rule(VG_RULE_HOSTNAME, "*.b.example", B, 20);
	rule(VG_RULE_CIDR, "10.1.0.0/16", A, 30);
	rule(VG_RULE_CIDR, "2001:db8:b::/48", B, 30);
	rule(VG_RULE_SYSLOG_SOURCE, "192.0.2.0/25", B, 40);
	int64_t hid = 0;
	assert_int_equal(vg_systems_host_add(sy, A, "db01", "10.9.9.9", T0, &hid), 0);

	assert_int_equal(who("x", "", "agent-a7", "agent"), A);
	assert_int_equal(who("MX1.B.Example", "", "", "syslog-tcp"), B);       /* glob, case-insensitive */
	assert_int_equal(who("mx1.b.example", "", "agent-a1", "agent"), A);   /* priority 10 before 20 */
	assert_int_equal(who("10.1.200.3", "172.16.0.1", "", "http"), A);     /* host is an address */
	assert_int_equal(who("web", "10.1.0.9", "", "syslog-udp"), A);        /* sender address */
	assert_int_equal(who("web", "10.2.0.9", "", "syslog-udp"), 0);
	assert_int_equal(who("web", "2001:db8:b:1::5", "", "syslog-tls"), B); /* IPv6 */
	assert_int_equal(who("web", "2001:db8:c::5", "", "syslog-tls"), 0);
	assert_int_equal(who("web", "::ffff:10.1.2.3", "", "syslog-udp"), A); /* v4-mapped */
	assert_int_equal(who("web", "192.0.2.100", "", "syslog-udp"), B);
	assert_int_equal(who("web", "192.0.2.200", "", "syslog-udp"), 0);    /* outside /25 */
	assert_int_equal(who("web", "192.0.2.100", "", "agent"), 0);         /* syslog inputs only */
	assert_int_equal(who("DB01", "", "", "agent"), A);                   /* declared host by name */
	assert_int_equal(who("other", "10.9.9.9", "", "http"), A);           /* declared host by address */

	/* refusals */
	vg_systems_rule bad = {.kind = VG_RULE_CIDR, .pattern = "10.0.0.0/33", .system_id = A};
	int64_t id;
	expect_err(vg_systems_rule_add(sy, &bad, T0, &id), VG_EINVAL, 400, "pattern:");
	bad = (vg_systems_rule){.kind = VG_RULE_SYSLOG_SOURCE, .pattern = "host.example", .system_id = A};
	expect_err(vg_systems_rule_add(sy, &bad, T0, &id), VG_EINVAL, 400, "pattern:");
	bad = (vg_systems_rule){.kind = 9, .pattern = "x", .system_id = A};
	expect_err(vg_systems_rule_add(sy, &bad, T0, &id), VG_EINVAL, 400, "kind:");
	bad = (vg_systems_rule){.kind = VG_RULE_HOSTNAME, .pattern = "x", .system_id = 4242};
	expect_err(vg_systems_rule_add(sy, &bad, T0, &id), VG_ENOTFOUND, 404, "no system 4242");
	bad = (vg_systems_rule){.kind = VG_RULE_HOSTNAME, .pattern = "x", .system_id = A, .priority = -1};
	expect_err(vg_systems_rule_add(sy, &bad, T0, &id), VG_EINVAL, 400, "priority:");
	expect_err(vg_systems_host_add(sy, B, "db01", "", T0, &id), VG_EINVAL, 409, "belongs");
	expect_err(vg_systems_host_add(sy, B, "bad host", "", T0, &id), VG_EINVAL, 400, "name:");
	expect_err(vg_systems_host_add(sy, B, "ok", "10.1", T0, &id), VG_EINVAL, 400, "ip:");
	assert_int_equal(q("SELECT count(*) FROM attribution_rules"), 5);

	/* listing in evaluation order, scoped */
	json_t *l;
	assert_int_equal(vg_systems_rules(sy, NULL, &l), 0);
	json_t *arr = json_object_get(l, "rules");
	assert_int_equal(json_array_size(arr), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "kind")), "agent_id");
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 4), "kind")), "syslog_source");
	json_decref(l);
	vg_principal p = scoped("bo-x/cuc-z");
	assert_int_equal(vg_systems_rules(sy, &p, &l), 0);
	assert_int_equal(json_array_size(json_object_get(l, "rules")), 3);
	json_decref(l);
}

static void test_activity(void **state)
{
	(void)state;
	int64_t A = id_of("Cổng thông tin điện tử"), B = id_of("Mail");
	vg_activity acts[] = {
		{.host = "db01", .source_ip = "10.9.9.9", .agent_id = "", .input = "syslog-tcp", .layer = VG_LAYER_HOST,
		 .first_us = T0, .last_us = T0 + 10, .count = 5},
		{.host = "ids1", .source_ip = "10.1.0.2", .agent_id = "", .input = "http", .layer = VG_LAYER_NETWORK,
		 .first_us = T0, .last_us = T0 + 20, .count = 7},
		{.host = "mx1.b.example", .source_ip = "", .agent_id = "", .input = "syslog-udp",
		 .layer = VG_LAYER_APPLICATION, .first_us = T0, .last_us = T0 + 30, .count = 2},
		{.host = "stray", .source_ip = "198.51.100.7", .agent_id = "", .input = "syslog-udp",
		 .layer = VG_LAYER_HOST, .first_us = T0, .last_us = T0 + 40, .count = 3},
	};
	assert_int_equal(vg_systems_record_activity(sy, acts, 4, T0 + 60000000), 0);
	/* an hour later, more from db01 */
	acts[0].first_us = T0 + HOUR;
	acts[0].last_us = T0 + HOUR + 5;
	acts[0].count = 4;
	assert_int_equal(vg_systems_record_activity(sy, acts, 1, T0 + HOUR + 60000000), 0);

	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT last_us FROM activity_layers WHERE system_id = %lld AND layer = %d",
		 (long long)A, VG_LAYER_HOST);
	assert_int_equal(q(sql), T0 + HOUR + 5);
	snprintf(sql, sizeof(sql), "SELECT sum(count) FROM activity_hourly WHERE system_id = %lld AND layer = %d",
		 (long long)A, VG_LAYER_HOST);
	assert_int_equal(q(sql), 9);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM activity_hourly WHERE system_id = %lld", (long long)A);
	assert_int_equal(q(sql), 3); /* host x 2 hours, network x 1 */
	snprintf(sql, sizeof(sql), "SELECT count FROM activity_sources WHERE host = 'mx1.b.example' AND system_id = %lld",
		 (long long)B);
	assert_int_equal(q(sql), 2);
	assert_int_equal(q("SELECT count(*) FROM activity_sources WHERE system_id IS NULL AND host = 'stray'"), 1);
	assert_int_equal(q("SELECT count FROM activity_sources WHERE host = 'db01'"), 9);

	/* declared host: last seen */
	json_t *h;
	assert_int_equal(vg_systems_hosts(sy, A, &h), 0);
	json_t *h0 = json_array_get(json_object_get(h, "hosts"), 0);
	assert_string_equal(json_string_value(json_object_get(h0, "name")), "db01");
	assert_int_equal(json_integer_value(json_object_get(h0, "last_seen_us")), T0 + HOUR + 5);
	assert_int_equal(json_integer_value(json_object_get(h0, "events")), 9);
	json_decref(h);
	assert_int_equal(vg_systems_hosts(sy, 4242, &h), VG_ENOTFOUND);

	/* a new rule re-attributes the known source; deleting it makes it a gap again */
	int64_t rid = rule(VG_RULE_CIDR, "198.51.100.0/24", B, 50);
	assert_int_equal(q("SELECT count(*) FROM activity_sources WHERE system_id IS NULL"), 0);
	int64_t sys;
	assert_int_equal(vg_systems_rule_system(sy, rid, &sys), 0);
	assert_int_equal(sys, B);
	assert_int_equal(vg_systems_rule_delete(sy, rid), 0);
	assert_int_equal(vg_systems_rule_delete(sy, rid), VG_ENOTFOUND);
	assert_int_equal(q("SELECT count(*) FROM activity_sources WHERE system_id IS NULL"), 1);
	assert_int_equal(who("stray", "198.51.100.7", "", "syslog-udp"), 0);

	/* pruning: hourly buckets after 48 h, sources after 30 days */
	assert_int_equal(vg_systems_tick(sy, T0 + 49 * HOUR), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM activity_hourly WHERE system_id = %lld", (long long)A);
	assert_int_equal(q(sql), 1);
	assert_int_equal(vg_systems_tick(sy, T0 + 31 * 24 * HOUR), 0);
	assert_int_equal(q("SELECT count(*) FROM activity_sources"), 0);
	assert_int_equal(q("SELECT count(*) FROM activity_hourly"), 0);
	/* the last-event times stay (coverage says "missing" by age) */
	assert_true(q("SELECT count(*) FROM activity_layers") >= 3);
}

static void test_batch(void **state)
{
	(void)state;
	/* the batch copies the drain's borrowed strings */
	vg_activity_batch *b = vg_activity_batch_new();
	assert_non_null(b);
	char host[16], ip[16];
	for (int i = 0; i < 100; i++) {
		snprintf(host, sizeof(host), "batch-%d", i % 10);
		snprintf(ip, sizeof(ip), "10.77.0.%d", i % 10);
		vg_activity a = {.host = host, .source_ip = ip, .agent_id = NULL, .input = "syslog-udp",
				 .layer = VG_LAYER_HOST, .first_us = T0, .last_us = T0 + i, .count = 1};
		vg_activity_batch_add(b, &a);
		memset(host, 'x', sizeof(host) - 1); /* the caller's buffer changes */
	}
	assert_int_equal(vg_activity_batch_len(b), 100);
	assert_int_equal(vg_activity_batch_dropped(b), 0);
	assert_int_equal(vg_systems_record_batch(sy, b, T0), 0);
	assert_int_equal(vg_activity_batch_len(b), 0);
	assert_int_equal(q("SELECT count(*) FROM activity_sources WHERE host LIKE 'batch-%'"), 10);
	assert_int_equal(q("SELECT sum(count) FROM activity_sources WHERE host LIKE 'batch-%'"), 100);
	assert_int_equal(q("SELECT max(last_us) FROM activity_sources WHERE host = 'batch-9'"), T0 + 99);
	assert_int_equal(q("SELECT count(*) FROM activity_sources WHERE host LIKE 'xxx%'"), 0);
	assert_int_equal(vg_systems_record_batch(sy, b, T0), 0); /* empty: nothing */
	vg_activity_batch_free(b);
	vg_activity_batch_free(NULL);
}

static void test_reopen(void **state)
{
	(void)state;
	/* the migration is idempotent and the rules come back from the table */
	vg_systems_close(sy);
	int err = 0;
	sy = vg_systems_open(db, &err);
	assert_non_null(sy);
	assert_int_equal(vg_db_module_version(db, VG_SYSTEMS_MODULE), 1);
	assert_int_equal(who("x", "", "agent-a7", "agent"), id_of("Cổng thông tin điện tử"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_system_docs),
		cmocka_unit_test(test_update_list_delete),
		cmocka_unit_test(test_attribution),
		cmocka_unit_test(test_activity),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_reopen),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
