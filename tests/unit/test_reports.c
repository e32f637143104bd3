/* test_reports.c — the reports module on a temporary state DB with known
 * alerts and fake incident/system/coverage sources: period arithmetic in
 * UTC+7 (ISO weeks, 53-week years, bad periods), the JSON data (counts,
 * techniques, sources, unit scoping), every report kind rendered as PDF in
 * Vietnamese and English and read back with pdftotext (exact accented
 * strings, table counts), HTML, and the REST routes over real HTTPS. */
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

#include <curl/curl.h>

#include "net/http.h"
#include "net/pki.h"
#include "server/api.h"
#include "server/coverage.h"
#include "server/incidents.h"
#include "server/systems.h"
#include "server/auth.h"
#include "server/reports.h"
#include "store/db.h"

#define P 600
/* 2026-11-21 12:00 +07:00 (a Saturday of ISO week 47) */
#define NOW (INT64_C(1795237200) * 1000000)
#define H (INT64_C(3600) * 1000000)
#define D (24 * H)
/* 2026-11-16 00:00 +07:00: Monday of week 47 */
#define W47 (INT64_C(1794762000) * 1000000)

static struct {
	char root[64];
	vg_db *db;
	vg_reports *rep;
	int fail_incident;
} fx;

/* ---- fake sources ---- */

static json_t *src_system(void *ud, int64_t id, int *err)
{
	(void)ud;
	*err = 0;
	if (id == 1)
		return json_pack("{s:I, s:s, s:s, s:i, s:[s], s:[s], s:[s], s:{s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s, s:n},"
				 " s:b}",
				 "id", (json_int_t)1, "name", "Cổng thông tin điện tử", "unit", "bo-a/cuc-x", "level", 3,
				 "public_ips", "203.0.113.10", "domains", "congtt.example.vn", "services", "HTTPS",
				 "layer1_contact", "unit", "Phòng Công nghệ thông tin", "name", "Nguyễn Văn An", "phone",
				 "0901234567", "email", "an@example.vn", "layer2_provider", "name", "Công ty Giám sát Bình Minh",
				 "national_centre", "state", "connected", "since", "nationally_important", 0);
	if (id == 2)
		return json_pack("{s:I, s:s, s:s, s:i}", "id", (json_int_t)2, "name", "Hệ thống thư điện tử", "unit", "bo-b",
				 "level", 2);
	*err = VG_ENOTFOUND;
	return NULL;
}

static int64_t src_system_of(void *ud, const vg_activity *o)
{
	(void)ud;
	if (strcmp(o->host, "web01") == 0)
		return 1;
	if (strcmp(o->host, "mail01") == 0)
		return 2;
	return 0;
}

/* shaped like incidents_api.c's incident JSON */
static json_t *src_incident(void *ud, int64_t id, int *err)
{
	(void)ud;
	*err = 0;
	if (fx.fail_incident || id != 7) {
		*err = VG_ENOTFOUND;
		return NULL;
	}
	return json_pack(
		"{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
		" s:[{s:I, s:i, s:b}], s:[{s:I, s:s, s:s, s:s, s:s, s:s, s:s}, {s:I, s:s, s:s, s:s, s:s, s:s, s:s}],"
		" s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}], s:[{s:s, s:s}]}",
		"id", (json_int_t)7, "title", "Dò mật khẩu SSH trên máy chủ web", "description",
		"Nhiều lần đăng nhập thất bại từ một địa chỉ nước ngoài, sau đó đăng nhập thành công.", "state", "resolved",
		"type", "intrusion", "severity", "high", "serious", 1, "impact", "Lộ mật khẩu một tài khoản quản trị.",
		"resolution", "Đã khóa tài khoản, đổi mật khẩu và chặn địa chỉ nguồn.", "reporter", "Trần Thị Bình",
		"reporter_contact", "0912345678, binh@example.vn", "detection_method", "rule ssh-brute: SSH brute force",
		"detected_at", "2026-11-20T01:00:00Z", "resolved_at", "2026-11-20T09:30:00Z", "unit", "bo-a/cuc-x",
		"assignee", "binh", "systems", "id", (json_int_t)1, "level", 3, "national", 0, "alerts", "id",
		(json_int_t)1, "ts", "2026-11-20T00:55:00Z", "rule_id", "ssh-brute", "rule_title", "SSH brute force",
		"level", "high", "host", "web01", "source_ip", "198.51.100.7", "id", (json_int_t)2, "ts",
		"2026-11-20T00:58:00Z", "rule_id", "ssh-login", "rule_title", "Đăng nhập SSH sau dò mật khẩu", "level",
		"critical", "host", "web01", "source_ip", "198.51.100.7", "timeline", "ts", "2026-11-20T01:00:00Z", "actor",
		"vigil", "action", "created", "text", "Tạo sự cố từ cảnh báo", "ts", "2026-11-20T02:00:00Z", "actor",
		"binh", "action", "transition", "text", "Cô lập máy chủ web01 khỏi mạng", "ts", "2026-11-20T09:30:00Z",
		"actor", "binh", "action", "transition", "text", "Khôi phục dịch vụ sau khi đổi mật khẩu", "attachments",
		"name", "auth.log", "content", "https://files.example.vn/auth.log");
}

static json_t *inc_row(int64_t id, const char *title, const char *type, const char *state, int64_t sys,
		       const char *unit, const char *detected)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:[{s:I}]}", "id", (json_int_t)id, "title", title, "type", type,
			 "state", state, "unit", unit, "detected_at", detected, "systems", "id", (json_int_t)sys);
}

static json_t *src_incidents(void *ud, int64_t from, int64_t to, int *err)
{
	(void)ud;
	*err = 0;
	json_t *a = json_array();
	/* all in 2026-H2 and in November; the filter by time is the source's */
	if (to - from > 0) {
		json_array_append_new(a, inc_row(5, "Mã độc trên máy trạm", "malware", "closed", 1, "bo-a/cuc-x",
						 "2026-11-18T03:00:00Z"));
		json_array_append_new(a, inc_row(7, "Dò mật khẩu SSH trên máy chủ web", "intrusion", "resolved", 1,
						 "bo-a/cuc-x", "2026-11-20T01:00:00Z"));
		json_array_append_new(a, inc_row(9, "Mã hóa dữ liệu máy chủ thư", "ransomware", "new", 2, "bo-b",
						 "2026-11-19T05:00:00Z"));
	}
	return a;
}

static json_t *src_coverage(void *ud, int64_t now, int *err)
{
	(void)ud, (void)now;
	*err = 0;
	return json_pack("{s:[{s:I, s:s, s:s, s:i, s:b, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}},"
			 " {s:I, s:s, s:s, s:i, s:b, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}]}",
			 "systems", "id", (json_int_t)1, "name", "Cổng thông tin điện tử", "unit", "bo-a/cuc-x", "level", 3,
			 "plan_approved", 1, "layers", "network", "state", "covered", "host", "state", "covered",
			 "application", "state", "covered", "endpoint", "state", "covered", "id", (json_int_t)2, "name",
			 "Hệ thống thư điện tử", "unit", "bo-b", "level", 4, "plan_approved", 0, "layers", "network",
			 "state", "covered", "host", "state", "stale", "application", "state", "missing", "endpoint",
			 "state", "missing");
}

static json_t *src_changes(void *ud, int64_t from, int64_t to, int *err)
{
	(void)ud, (void)from, (void)to;
	*err = 0;
	return json_pack("[{s:s, s:s, s:s, s:s}]", "time", "2026-11-17T02:00:00Z", "system", "Cổng thông tin điện tử",
			 "unit", "bo-a/cuc-x", "description", "Thêm hệ thống mới vào danh mục giám sát");
}

/* ---- fixture ---- */

static void alert(int64_t ts, const char *rule, const char *title, const char *level, const char *host, const char *ip,
		  const char *tags, const char *extra)
{
	char doc[2048];
	snprintf(doc, sizeof(doc), "{\"rule\":{\"id\":\"%s\",\"title\":\"%s\",\"level\":\"%s\",\"tags\":%s}%s%s}", rule,
		 title, level, tags, extra[0] ? "," : "", extra);
	vg_db_alert a = {.ts_us = ts, .rule_id = rule, .rule_title = title, .level = level, .host = host,
			 .source_ip = ip, .doc = doc, .doc_len = strlen(doc)};
	assert_int_equal(vg_db_alert_insert(fx.db, &a), 0);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	char why[512] = "";
	int err = 0;
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_reports_XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	fx.db = vg_db_open(fx.root, NULL, &err, why, sizeof(why));
	if (fx.db == NULL)
		fail_msg("vg_db_open: %s", why);
	const vg_reports_src src = {.system = src_system, .system_of = src_system_of, .incident = src_incident,
				    .incidents = src_incidents, .coverage = src_coverage, .changes = src_changes};
	const vg_reports_opts o = {.organisation = "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"};
	assert_non_null(fx.rep = vg_reports_open(fx.db, &src, &o, &err));
	/* week 47: 30 SSH brute force on web01 from 198.51.100.7 (Monday..),
	 * 5 logins after it, 4 phishing mails on mail01 from 192.0.2.55, 1 on
	 * an unattributed host; one alert the week before and one after */
	const char *ssh_tags = "[\"attack.credential_access\",\"attack.t1110\",\"attack.t1110.001\"]";
	assert_int_equal(vg_db_begin(fx.db), 0);
	for (int i = 0; i < 30; i++)
		alert(W47 + 2 * H + i * 60000000LL, "ssh-brute", "SSH brute force", "high", "web01", "198.51.100.7", ssh_tags,
		      "\"destination\":{\"ip\":\"203.0.113.10\",\"port\":22},\"event\":{\"original\":\"Failed password for "
		      "root from 198.51.100.7 port 4242 ssh2\"}");
	for (int i = 0; i < 5; i++)
		alert(W47 + 3 * H + i * 60000000LL, "ssh-login", "Đăng nhập SSH sau dò mật khẩu", "critical", "web01",
		      "198.51.100.7", "[\"attack.initial_access\",\"attack.t1078\"]",
		      "\"destination\":{\"ip\":\"203.0.113.10\",\"port\":22}");
	for (int i = 0; i < 4; i++)
		alert(W47 + 2 * D + i * H, "mail-phish", "Thư lừa đảo có tệp đính kèm", "medium", "mail01", "192.0.2.55",
		      "[\"attack.t1566.001\"]", "\"service\":{\"name\":\"smtp\"}");
	alert(W47 + 4 * D, "port-scan", "Port scan", "low", "printer7", "192.0.2.99", "[]", "");
	alert(W47 - H, "ssh-brute", "SSH brute force", "high", "web01", "198.51.100.8", ssh_tags, "");
	alert(W47 + 7 * D, "ssh-brute", "SSH brute force", "high", "web01", "198.51.100.9", ssh_tags, "");
	assert_int_equal(vg_db_commit(fx.db), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_reports_close(fx.rep);
	vg_db_close(fx.db);
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- periods ---- */

static void period_is(vg_report_kind k, const char *text, int64_t now, const char *label, int64_t from, int64_t to)
{
	vg_report_period p;
	char why[256] = "";
	int r = vg_report_period_parse(k, text, now, &p, why, sizeof(why));
	if (r != 0)
		fail_msg("%s: %s", text ? text : "(default)", why);
	assert_string_equal(p.label, label);
	assert_int_equal(p.from_us, from);
	assert_int_equal(p.to_us, to);
}

static void test_periods(void **state)
{
	(void)state;
	period_is(VG_REPORT_WEEKLY, "2026-W47", 0, "2026-W47", W47, W47 + 7 * D);
	period_is(VG_REPORT_DAILY, "2026-11-21", 0, "2026-11-21", W47 + 5 * D, W47 + 6 * D);
	/* 2026-11-01 00:00 +07:00 = 2026-10-31T17:00Z */
	period_is(VG_REPORT_MONTHLY, "2026-11", 0, "2026-11", INT64_C(1793466000) * 1000000,
		  INT64_C(1796058000) * 1000000);
	/* 2026-07-01 00:00 +07:00 .. 2027-01-01 00:00 +07:00 */
	period_is(VG_REPORT_SEMIANNUAL, "2026-H2", 0, "2026-H2", INT64_C(1782838800) * 1000000,
		  INT64_C(1798736400) * 1000000);
	/* defaults: the last complete period before 2026-11-21 12:00 +07 */
	period_is(VG_REPORT_DAILY, NULL, NOW, "2026-11-20", W47 + 4 * D, W47 + 5 * D);
	period_is(VG_REPORT_WEEKLY, "", NOW, "2026-W46", W47 - 7 * D, W47);
	period_is(VG_REPORT_MONTHLY, NULL, NOW, "2026-10", INT64_C(1790787600) * 1000000, INT64_C(1793466000) * 1000000);
	period_is(VG_REPORT_SEMIANNUAL, NULL, NOW, "2026-H1", INT64_C(1767200400) * 1000000,
		  INT64_C(1782838800) * 1000000);
	/* 23:30 UTC on the 20th is already the 21st in Hà Nội */
	period_is(VG_REPORT_DAILY, NULL, W47 + 5 * D + 30 * 60000000LL, "2026-11-20", W47 + 4 * D, W47 + 5 * D);
	/* 2026 has 53 ISO weeks (1 January is a Thursday); 2027 has 52 */
	period_is(VG_REPORT_WEEKLY, "2026-W53", 0, "2026-W53", W47 + 6 * 7 * D, W47 + 7 * 7 * D);
	/* on Friday 2027-01-01 the last complete week is 2026-W52 */
	period_is(VG_REPORT_WEEKLY, NULL, INT64_C(1798779600) * 1000000, "2026-W52", W47 + 5 * 7 * D, W47 + 6 * 7 * D);
	/* ISO week 1 of 2027 starts on 2027-01-04 */
	period_is(VG_REPORT_WEEKLY, "2027-W01", 0, "2027-W01", W47 + 7 * 7 * D, W47 + 8 * 7 * D);

	static const struct {
		vg_report_kind k;
		const char *t;
	} bad[] = {
		{VG_REPORT_WEEKLY, "2027-W53"}, {VG_REPORT_WEEKLY, "2026-W00"}, {VG_REPORT_WEEKLY, "2026-11"},
		{VG_REPORT_MONTHLY, "2026-13"},  {VG_REPORT_MONTHLY, "2026-W47"}, {VG_REPORT_DAILY, "2026-02-29"},
		{VG_REPORT_DAILY, "2026-11-31"}, {VG_REPORT_DAILY, "2026-1-5"},   {VG_REPORT_SEMIANNUAL, "2026-H3"},
		{VG_REPORT_SEMIANNUAL, "1969-H1"}, {VG_REPORT_MONTHLY, "２０２６-11"}, {VG_REPORT_DAILY, "2026-11-21x"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vg_report_period p;
		char why[256] = "";
		assert_int_equal(vg_report_period_parse(bad[i].k, bad[i].t, NOW, &p, why, sizeof(why)), VG_EINVAL);
		assert_non_null(strstr(why, "expected"));
	}
	period_is(VG_REPORT_DAILY, "2028-02-29", 0, "2028-02-29", INT64_C(1835370000) * 1000000,
		  INT64_C(1835456400) * 1000000);
}

/* ---- data ---- */

static json_t *collect(vg_report_kind k, const char *period, const char *unit, const vg_principal *who)
{
	json_t *o = NULL;
	char why[256] = "";
	vg_report_req q = {.kind = k, .period = period, .unit = unit, .who = who, .now_us = NOW, .incident_id = 7};
	int r = vg_reports_collect(fx.rep, &q, &o, why, sizeof(why));
	if (r != 0)
		fail_msg("collect: %s (%s)", why, vg_err_str(r));
	return o;
}

static int64_t path_int(const json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

static void test_weekly_data(void **state)
{
	(void)state;
	json_t *o = collect(VG_REPORT_WEEKLY, "2026-W47", NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "weekly");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "period"), "from")),
			    "2026-11-16T00:00:00+07:00");
	assert_int_equal(path_int(o, "summary", "alerts"), 40);
	assert_int_equal(path_int(o, "summary", "high"), 30);
	assert_int_equal(path_int(o, "summary", "critical"), 5);
	assert_int_equal(path_int(o, "summary", "medium"), 4);
	assert_int_equal(path_int(o, "summary", "low"), 1);
	assert_int_equal(path_int(o, "summary", "hosts"), 3);
	assert_int_equal(path_int(o, "summary", "sources"), 3);
	/* per day: Monday 35, Wednesday 4, Friday 1 */
	json_t *counts = json_object_get(json_object_get(o, "timeline"), "counts");
	assert_int_equal(json_array_size(counts), 7);
	assert_int_equal(json_integer_value(json_array_get(counts, 0)), 35);
	assert_int_equal(json_integer_value(json_array_get(counts, 2)), 4);
	assert_int_equal(json_integer_value(json_array_get(counts, 4)), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(o, "timeline"), "labels"), 0)),
			    "2026-11-16");
	/* rules: by count; techniques from attack.tNNNN tags */
	json_t *rules = json_object_get(o, "rules");
	assert_int_equal(json_array_size(rules), 4);
	json_t *r0 = json_array_get(rules, 0);
	assert_string_equal(json_string_value(json_object_get(r0, "rule_id")), "ssh-brute");
	assert_int_equal(json_integer_value(json_object_get(r0, "count")), 30);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r0, "techniques"), 0)), "T1110");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r0, "techniques"), 1)), "T1110.001");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r0, "tactics"), 0)), "credential_access");
	assert_int_equal(json_array_size(json_object_get(o, "techniques")), 4); /* T1110, T1110.001, T1078, T1566.001 */
	/* attacked objects: web01 203.0.113.10:22 (35), mail01 smtp (4), printer7 */
	json_t *obj = json_object_get(o, "objects");
	assert_int_equal(json_array_size(obj), 3);
	json_t *o0 = json_array_get(obj, 0);
	assert_string_equal(json_string_value(json_object_get(o0, "host")), "web01");
	assert_string_equal(json_string_value(json_object_get(o0, "ip")), "203.0.113.10");
	assert_string_equal(json_string_value(json_object_get(o0, "service")), "22");
	assert_string_equal(json_string_value(json_object_get(o0, "system")), "Cổng thông tin điện tử");
	assert_int_equal(json_integer_value(json_object_get(o0, "count")), 35);
	assert_string_equal(json_string_value(json_object_get(json_array_get(obj, 1), "service")), "smtp");
	/* sources */
	json_t *src = json_object_get(o, "sources");
	assert_int_equal(json_array_size(src), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(src, 0), "ip")), "198.51.100.7");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(src, 0), "count")), 35);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(src, 0), "rules")), 2);
	/* evidence: the first alert of each rule, with its event text */
	json_t *ev = json_object_get(o, "evidence");
	assert_int_equal(json_array_size(ev), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "excerpt")),
			    "Failed password for root from 198.51.100.7 port 4242 ssh2");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "time")), "2026-11-16T02:00:00+07:00");
	/* incidents and changes from the sources */
	assert_int_equal(path_int(o, "incidents", "total"), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(o, "incidents"), "by_type"),
							   "encryption")),
			 1);
	assert_int_equal(json_array_size(json_object_get(o, "changes")), 1);
	json_decref(o);
}

static void test_unit_scoping(void **state)
{
	(void)state;
	/* --unit bo-a: only web01 (system 1, bo-a/cuc-x) */
	json_t *o = collect(VG_REPORT_WEEKLY, "2026-W47", "bo-a", NULL);
	assert_int_equal(path_int(o, "summary", "alerts"), 35);
	assert_int_equal(json_array_size(json_object_get(o, "sources")), 1);
	assert_int_equal(path_int(o, "incidents", "total"), 2);
	assert_int_equal(json_array_size(json_object_get(o, "changes")), 1);
	json_decref(o);
	/* "bo" is not a prefix unit of "bo-a" or "bo-b" */
	o = collect(VG_REPORT_WEEKLY, "2026-W47", "bo", NULL);
	assert_int_equal(path_int(o, "summary", "alerts"), 0);
	assert_int_equal(path_int(o, "incidents", "total"), 0);
	json_decref(o);
	/* an analyst scoped to bo-b sees mail01 only, whatever unit he asks */
	vg_principal who = {.role = VG_ROLE_ANALYST};
	snprintf(who.unit, sizeof(who.unit), "bo-b");
	o = collect(VG_REPORT_WEEKLY, "2026-W47", NULL, &who);
	assert_int_equal(path_int(o, "summary", "alerts"), 4);
	assert_int_equal(path_int(o, "incidents", "total"), 1);
	assert_int_equal(json_array_size(json_object_get(o, "changes")), 0);
	json_decref(o);
	o = collect(VG_REPORT_MONTHLY, "2026-11", NULL, &who);
	assert_int_equal(path_int(o, "coverage", "systems_total"), 1);
	json_decref(o);
	o = collect(VG_REPORT_WEEKLY, "2026-W47", "bo-a", &who);
	assert_int_equal(path_int(o, "summary", "alerts"), 0);
	json_decref(o);
	/* the incident of bo-a is not found for him */
	json_t *out = NULL;
	char why[256];
	vg_report_req q = {.kind = VG_REPORT_INCIDENT_INITIAL, .incident_id = 7, .who = &who, .now_us = NOW};
	assert_int_equal(vg_reports_collect(fx.rep, &q, &out, why, sizeof(why)), VG_ENOTFOUND);
	assert_null(out);
	q.incident_id = 8;
	q.who = NULL;
	assert_int_equal(vg_reports_collect(fx.rep, &q, &out, why, sizeof(why)), VG_ENOTFOUND);
	/* bad unit path */
	vg_report_req q2 = {.kind = VG_REPORT_DAILY, .unit = "../x", .now_us = NOW};
	assert_int_equal(vg_reports_collect(fx.rep, &q2, &out, why, sizeof(why)), VG_EINVAL);
}

static void test_monthly_semiannual_data(void **state)
{
	(void)state;
	json_t *o = collect(VG_REPORT_MONTHLY, "2026-11", NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "due_date")), "2026-12-25");
	assert_int_equal(path_int(o, "summary", "alerts"), 42); /* the weeks before and after are still November */
	assert_int_equal(path_int(o, "coverage", "systems_total"), 2);
	assert_int_equal(path_int(o, "coverage", "fully_covered"), 1);
	assert_int_equal(path_int(o, "coverage", "level3_5_total"), 2);
	assert_int_equal(path_int(o, "coverage", "level3_5_covered"), 1);
	json_t *s2 = json_array_get(json_object_get(json_object_get(o, "coverage"), "systems"), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s2, "layers"), "host")), "stale");
	json_decref(o);
	o = collect(VG_REPORT_SEMIANNUAL, "2026-H2", NULL, NULL);
	json_t *bt = json_object_get(json_object_get(o, "incidents"), "by_type");
	assert_int_equal(json_integer_value(json_object_get(bt, "malware")), 1);
	assert_int_equal(json_integer_value(json_object_get(bt, "intrusion")), 1);
	assert_int_equal(json_integer_value(json_object_get(bt, "encryption")), 1);
	assert_int_equal(json_integer_value(json_object_get(bt, "other")), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "timeline"), "counts")), 184);
	json_decref(o);
}

/* ---- documents ---- */

/* renders data as PDF and returns pdftotext's text (caller frees) */
static char *pdf_text(const json_t *data, const char *lang, int layout)
{
	vg_buf b = {0};
	char why[256] = "", path[P], cmd[2 * P];
	int r = vg_reports_render(fx.rep, data, lang, VG_REPORT_PDF, &b, why, sizeof(why));
	if (r != 0)
		fail_msg("render: %s (%s)", why, vg_err_str(r));
	assert_true(b.len > 1000);
	assert_memory_equal(b.data, "%PDF-", 5);
	snprintf(path, sizeof(path), "%s/r.pdf", fx.root);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
	assert_int_equal(fclose(f), 0);
	vg_buf_free(&b);
	const char *keep = getenv("VG_REPORTS_KEEP");
	if (keep != NULL) {
		snprintf(cmd, sizeof(cmd), "cp %s %s/%s-%s.pdf", path, keep, json_string_value(json_object_get(data, "kind")),
			 lang);
		if (system(cmd) != 0)
			fail_msg("cannot keep the PDF");
	}
	snprintf(cmd, sizeof(cmd), "pdftotext %s %s -", layout ? "-layout" : "", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	vg_buf t = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		assert_int_equal(vg_buf_append(&t, chunk, n), 0);
	assert_int_equal(pclose(p), 0);
	assert_int_equal(vg_buf_append(&t, "", 1), 0);
	unlink(path);
	if (!layout) { /* lines wrap where the page says: compare text with runs of white space as one space */
		char *w = t.data;
		for (const char *q = t.data; *q != '\0'; q++) {
			int sp = *q == ' ' || *q == '\n' || *q == '\t' || *q == '\f';
			if (sp && w > t.data && w[-1] == ' ')
				continue;
			*w++ = sp ? ' ' : *q;
		}
		*w = '\0';
	}
	return t.data;
}

static void has(const char *text, const char *s)
{
	if (strstr(text, s) == NULL)
	{
		fprintf(stderr, "not in the PDF text: \"%s\"\n---\n%s\n---\n", s, text);
		fail();
	}
}

static size_t count(const char *text, const char *s)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, s)) != NULL; p += strlen(s))
		n++;
	return n;
}

static void test_weekly_pdf(void **state)
{
	(void)state;
	json_t *o = collect(VG_REPORT_WEEKLY, "2026-W47", NULL, NULL);
	char *t = pdf_text(o, "vi", 0);
	has(t, "BÁO CÁO GIÁM SÁT AN TOÀN THÔNG TIN HẰNG TUẦN");
	has(t, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
	has(t, "Độc lập - Tự do - Hạnh phúc");
	has(t, "SỞ THÔNG TIN VÀ TRUYỀN THÔNG");
	has(t, "Hà Nội, ngày 21 tháng 11 năm 2026");
	has(t, "Kỳ báo cáo:");
	has(t, "16/11/2026 00:00");
	has(t, "ĐỐI TƯỢNG BỊ TẤN CÔNG");
	has(t, "KỸ THUẬT TẤN CÔNG");
	has(t, "NGUỒN TẤN CÔNG");
	has(t, "BẰNG CHỨNG");
	has(t, "THAY ĐỔI TRONG KỲ");
	has(t, "Thêm hệ thống mới vào danh mục giám sát");
	has(t, "Cổng thông tin điện tử");
	has(t, "Đăng nhập SSH sau dò mật khẩu");
	has(t, "Thư lừa đảo có tệp đính kèm");
	has(t, "Failed password for root from 198.51.100.7");
	has(t, "T1110.001");
	has(t, "Số cảnh báo theo ngày");
	has(t, "NGƯỜI LẬP BÁO CÁO");
	has(t, "Trang 1/");
	/* the attacking source row and the rule counts */
	assert_true(count(t, "198.51.100.7") >= 2);
	has(t, "Nghiêm trọng");
	free(t);
	t = pdf_text(o, "vi", 1);
	/* -layout keeps a row on one line: the top source with 35 alerts, 2 rules */
	int found = 0;
	for (char *line = strtok(t, "\n"); line != NULL; line = strtok(NULL, "\n"))
		if (strstr(line, "198.51.100.7") != NULL && strstr(line, " 35 ") != NULL && strstr(line, " 2 ") != NULL)
			found = 1;
	assert_true(found);
	free(t);
	t = pdf_text(o, "en", 0);
	has(t, "WEEKLY SECURITY MONITORING REPORT");
	has(t, "SOCIALIST REPUBLIC OF VIET NAM");
	has(t, "ATTACKED OBJECTS");
	has(t, "ATTACKING SOURCES");
	has(t, "Page 1 of");
	has(t, "Hà Nội, 21 November 2026");
	assert_null(strstr(t, "BÁO CÁO"));
	free(t);
	json_decref(o);
}

static void test_daily_monthly_semiannual_pdf(void **state)
{
	(void)state;
	json_t *o = collect(VG_REPORT_DAILY, "2026-11-16", NULL, NULL);
	assert_int_equal(path_int(o, "summary", "alerts"), 35);
	char *t = pdf_text(o, "vi", 0);
	has(t, "BÁO CÁO GIÁM SÁT AN TOÀN THÔNG TIN HẰNG NGÀY");
	has(t, "Số cảnh báo theo giờ");
	free(t);
	json_decref(o);

	o = collect(VG_REPORT_MONTHLY, "2026-11", NULL, NULL);
	t = pdf_text(o, "vi", 0);
	has(t, "BÁO CÁO TÌNH HÌNH TRIỂN KHAI GIÁM SÁT AN TOÀN THÔNG TIN HẰNG THÁNG");
	has(t, "TÌNH HÌNH GIÁM SÁT 4 LỚP");
	has(t, "Hệ thống thông tin");
	has(t, "Máy chủ và CSDL");
	has(t, "Chưa giám sát");
	has(t, "Gián đoạn");
	has(t, "trước ngày 25/12/2026");
	has(t, "1/2 (50%)");
	has(t, "Hệ thống thư điện tử");
	free(t);
	t = pdf_text(o, "en", 0);
	has(t, "MONTHLY MONITORING DEPLOYMENT STATUS REPORT");
	has(t, "before 2026-12-25");
	has(t, "Server and database");
	free(t);
	json_decref(o);

	o = collect(VG_REPORT_SEMIANNUAL, "2026-H2", NULL, NULL);
	t = pdf_text(o, "vi", 0);
	has(t, "BÁO CÁO TỔNG HỢP SỰ CỐ AN TOÀN THÔNG TIN MẠNG 6 THÁNG");
	has(t, "Số sự cố theo loại");
	has(t, "Mã độc");
	has(t, "Xâm nhập");
	has(t, "Mã hóa dữ liệu (mã độc tống tiền)");
	has(t, "Đánh cắp dữ liệu");
	has(t, "Tấn công tổng hợp");
	has(t, "Tình hình xử lý sự cố");
	has(t, "Mã hóa dữ liệu máy chủ thư");
	has(t, "Đã đóng");
	has(t, "Đã xử lý xong");
	free(t);
	t = pdf_text(o, "en", 0);
	has(t, "SIX-MONTHLY CYBERSECURITY INCIDENT SUMMARY");
	has(t, "Data theft");
	has(t, "Encryption (ransomware)");
	free(t);
	json_decref(o);
}

static void test_incident_forms(void **state)
{
	(void)state;
	json_t *o = collect(VG_REPORT_INCIDENT_INITIAL, NULL, NULL, NULL);
	/* the system was completed from the systems source */
	json_t *sys = json_array_get(json_object_get(json_object_get(o, "incident"), "systems"), 0);
	assert_string_equal(json_string_value(json_object_get(sys, "name")), "Cổng thông tin điện tử");
	char *t = pdf_text(o, "vi", 0);
	has(t, "Mẫu 03");
	has(t, "Thông tư số 20/2017/TT-BTTTT");
	has(t, "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG");
	has(t, "Kính gửi:");
	has(t, "THÔNG TIN TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ");
	has(t, "Trần Thị Bình");
	has(t, "0912345678, binh@example.vn");
	has(t, "Tên hệ thống thông tin:");
	has(t, "Cổng thông tin điện tử");
	has(t, "Cấp độ 3");
	has(t, "203.0.113.10");
	has(t, "congtt.example.vn");
	has(t, "Phòng Công nghệ thông tin; Nguyễn Văn An; 0901234567; an@example.vn");
	has(t, "Công ty Giám sát Bình Minh");
	has(t, "Đã kết nối");
	has(t, "Dò mật khẩu SSH trên máy chủ web");
	has(t, "Nhiều lần đăng nhập thất bại từ một địa chỉ nước ngoài");
	has(t, "THỜI GIAN VÀ PHƯƠNG THỨC PHÁT HIỆN");
	has(t, "20/11/2026 08:00"); /* 01:00Z in Hà Nội */
	has(t, "rule ssh-brute: SSH brute force");
	has(t, "TÌNH TRẠNG HIỆN TẠI");
	has(t, "Đã xử lý xong");
	has(t, "Sự cố nghiêm trọng:");
	has(t, "TÀI LIỆU ĐÍNH KÈM");
	has(t, "auth.log: https://files.example.vn/auth.log");
	has(t, "NGƯỜI BÁO CÁO");
	free(t);
	t = pdf_text(o, "en", 0);
	has(t, "Form 03");
	has(t, "INITIAL CYBERSECURITY INCIDENT REPORT");
	has(t, "Security level:");
	has(t, "2026-11-20 08:00");
	free(t);
	json_decref(o);

	o = collect(VG_REPORT_INCIDENT_CLOSURE, NULL, NULL, NULL);
	t = pdf_text(o, "vi", 0);
	has(t, "Mẫu 04");
	has(t, "BÁO CÁO KẾT THÚC ỨNG CỨU SỰ CỐ AN TOÀN THÔNG TIN MẠNG");
	has(t, "TÓM TẮT SỰ CỐ");
	has(t, "NGUYÊN NHÂN");
	has(t, "(chưa có thông tin)"); /* no cause given */
	has(t, "Lộ mật khẩu một tài khoản quản trị.");
	has(t, "CÁC HOẠT ĐỘNG ỨNG CỨU ĐÃ THỰC HIỆN");
	has(t, "Cô lập máy chủ web01 khỏi mạng");
	has(t, "Khôi phục dịch vụ sau khi đổi mật khẩu");
	has(t, "KẾT QUẢ ỨNG CỨU");
	has(t, "Đã khóa tài khoản, đổi mật khẩu và chặn địa chỉ nguồn.");
	has(t, "KIẾN NGHỊ, ĐỀ XUẤT");
	has(t, "20/11/2026 16:30"); /* resolved 09:30Z */
	free(t);
	t = pdf_text(o, "en", 0);
	has(t, "CYBERSECURITY INCIDENT RESPONSE CLOSURE REPORT");
	has(t, "RESPONSE ACTIONS");
	has(t, "RECOMMENDATIONS");
	free(t);
	json_decref(o);
}

static void test_html_json(void **state)
{
	(void)state;
	json_t *o = collect(VG_REPORT_WEEKLY, "2026-W47", NULL, NULL);
	vg_buf b = {0};
	char why[256];
	assert_int_equal(vg_reports_render(fx.rep, o, "vi", VG_REPORT_HTML, &b, why, sizeof(why)), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_non_null(strstr(b.data, "<html lang=\"vi\""));
	assert_non_null(strstr(b.data, "BÁO CÁO GIÁM SÁT AN TOÀN THÔNG TIN HẰNG TUẦN"));
	assert_non_null(strstr(b.data, "<svg"));
	assert_null(strstr(b.data, "<script"));
	b.len = 0;
	assert_int_equal(vg_reports_render(fx.rep, o, "en", VG_REPORT_JSON, &b, why, sizeof(why)), 0);
	json_t *back = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(back, o));
	json_decref(back);
	size_t before = b.len;
	assert_int_equal(vg_reports_render(fx.rep, o, "fr", VG_REPORT_HTML, &b, why, sizeof(why)), VG_EINVAL);
	assert_int_equal(b.len, before);
	assert_non_null(strstr(why, "'fr'"));
	vg_buf_free(&b);
	json_decref(o);
	/* hostile text in the data: control characters and markup are safe */
	json_t *bad = collect(VG_REPORT_INCIDENT_INITIAL, NULL, NULL, NULL);
	json_object_set_new(json_object_get(bad, "incident"), "title", json_string("<script>x</script>\x01"));
	b = (vg_buf){0};
	assert_int_equal(vg_reports_render(fx.rep, bad, "vi", VG_REPORT_HTML, &b, why, sizeof(why)), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_null(strstr(b.data, "<script>x"));
	assert_non_null(strstr(b.data, "&lt;script&gt;x"));
	vg_buf_free(&b);
	json_decref(bad);
}


/* ---- the sources wired to the real modules (reports_src.c) ---- */

static int64_t hook_system_of(void *ud, const vg_activity *o)
{
	return vg_systems_attribute(ud, o);
}

static int hook_system_unit(void *ud, int64_t id, char *unit, size_t cap)
{
	char u[VG_AUTH_UNIT_MAX + 1];
	int r = vg_systems_unit_of(ud, id, u);
	if (r == 0)
		snprintf(unit, cap, "%s", u);
	return r;
}

static void test_wired_modules(void **state)
{
	(void)state;
	int err = 0;
	vg_systems *sys = vg_systems_open(fx.db, &err);
	assert_non_null(sys);
	vg_coverage *cov = vg_coverage_open(fx.db, &err);
	assert_non_null(cov);
	vg_incidents *inc = vg_incidents_open(fx.db, &err);
	assert_non_null(inc);
	assert_int_equal(vg_systems_unit_add(sys, "bo-a", "Bộ A", W47), 0);
	assert_int_equal(vg_systems_unit_add(sys, "bo-a/cuc-x", "Cục X", W47), 0);
	json_t *doc = json_pack("{s:s, s:s, s:i, s:[s], s:[s], s:{s:s, s:s}}", "name", "Cổng dịch vụ công", "unit",
				"bo-a/cuc-x", "level", 4, "public_ips", "203.0.113.10", "domains", "dichvucong.example.vn",
				"layer1_contact", "unit", "Trung tâm CNTT", "name", "Lê Văn Cường");
	int64_t sid = 0, hid = 0;
	if (vg_systems_create(sys, doc, W47 + H, &sid) != 0)
		fail_msg("create: %s", vg_systems_errmsg(sys));
	json_decref(doc);
	assert_int_equal(vg_systems_host_add(sys, sid, "web01", NULL, W47 + H, &hid), 0);
	vg_incidents_hooks hk = {.system_of = hook_system_of, .system_unit = hook_system_unit, .ud = sys};
	vg_incidents_set_hooks(inc, &hk);
	/* the incidents module starts after the alerts already there: new ones */
	for (int i = 0; i < 3; i++)
		alert(W47 + 5 * D + i * 60000000LL, "web-sqli", "SQL injection", "high", "web01", "198.51.100.7",
		      "[\"attack.initial_access\",\"attack.t1190\"]", "");
	assert_int_equal(vg_incidents_tick(inc, W47 + 5 * D + H), 0);

	vg_reports_modules m = {.incidents = inc, .systems = sys, .coverage = cov};
	vg_reports_src src;
	vg_reports_src_modules(&src, &m);
	vg_reports *rep = vg_reports_open(fx.db, &src, NULL, &err);
	assert_non_null(rep);
	json_t *o = NULL;
	char why[256] = "";
	vg_report_req q = {.kind = VG_REPORT_WEEKLY, .period = "2026-W47", .unit = "bo-a", .now_us = NOW};
	if (vg_reports_collect(rep, &q, &o, why, sizeof(why)) != 0)
		fail_msg("collect: %s", why);
	assert_int_equal(path_int(o, "summary", "alerts"), 38); /* web01 only */
	assert_int_equal(path_int(o, "incidents", "total"), 1); /* web-sqli on web01 */
	json_t *ch = json_object_get(o, "changes");
	assert_int_equal(json_array_size(ch), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ch, 0), "system")), "Cổng dịch vụ công");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(o, "objects"), 0), "system")),
			    "Cổng dịch vụ công");
	int64_t iid = json_integer_value(
		json_object_get(json_array_get(json_object_get(json_object_get(o, "incidents"), "list"), 0), "id"));
	json_decref(o);
	q = (vg_report_req){.kind = VG_REPORT_MONTHLY, .period = "2026-11", .now_us = NOW};
	assert_int_equal(vg_reports_collect(rep, &q, &o, why, sizeof(why)), 0);
	assert_int_equal(path_int(o, "coverage", "systems_total"), 1);
	assert_int_equal(path_int(o, "coverage", "level3_5_total"), 1);
	json_decref(o);
	q = (vg_report_req){.kind = VG_REPORT_INCIDENT_INITIAL, .incident_id = iid, .now_us = NOW};
	if (vg_reports_collect(rep, &q, &o, why, sizeof(why)) != 0)
		fail_msg("collect incident %lld: %s", (long long)iid, why);
	vg_reports *keep = fx.rep;
	fx.rep = rep;
	char *t = pdf_text(o, "vi", 0);
	fx.rep = keep;
	has(t, "Mẫu 03");
	has(t, "Cổng dịch vụ công");
	has(t, "Cấp độ 4");
	has(t, "dichvucong.example.vn");
	has(t, "Trung tâm CNTT; Lê Văn Cường");
	has(t, "198.51.100.7");
	free(t);
	json_decref(o);
	vg_reports_close(rep);
	vg_incidents_close(inc);
	vg_coverage_close(cov);
	vg_systems_close(sys);
}

/* An alert belongs to the system its event came from (host, agent, syslog
 * sender), as that source's activity does, never to the system of its
 * source.ip, which is usually the attacker: here an internal attacker in
 * another system's network, whose cidr rule comes first. */
static int64_t incident_system(const char *rule)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(vg_db_sqlite(fx.db), "SELECT group_system FROM incidents WHERE group_rule = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
	int64_t sys = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return sys;
}

static void test_attribution_by_origin(void **state)
{
	(void)state;
	int err = 0;
	vg_systems *sys = vg_systems_open(fx.db, &err);
	assert_non_null(sys);
	vg_incidents *inc = vg_incidents_open(fx.db, &err);
	assert_non_null(inc);
	assert_int_equal(vg_systems_unit_add(sys, "bo-c", "Bộ C", W47), 0);
	int64_t lan = 0, dbs = 0, rid = 0;
	json_t *d1 = json_pack("{s:s, s:s, s:i}", "name", "Mạng văn phòng", "unit", "bo-c", "level", 2);
	json_t *d2 = json_pack("{s:s, s:s, s:i}", "name", "Cơ sở dữ liệu dân cư", "unit", "bo-c", "level", 4);
	assert_int_equal(vg_systems_create(sys, d1, W47, &lan), 0);
	assert_int_equal(vg_systems_create(sys, d2, W47, &dbs), 0);
	json_decref(d1);
	json_decref(d2);
	const vg_systems_rule rules[] = {
		{.kind = VG_RULE_CIDR, .pattern = "10.20.0.0/16", .system_id = lan, .priority = 1},
		{.kind = VG_RULE_HOSTNAME, .pattern = "db01", .system_id = dbs, .priority = 2},
		{.kind = VG_RULE_AGENT, .pattern = "ag-7", .system_id = dbs, .priority = 3},
		{.kind = VG_RULE_SYSLOG_SOURCE, .pattern = "192.0.2.0/24", .system_id = dbs, .priority = 4},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		assert_int_equal(vg_systems_rule_add(sys, &rules[i], W47, &rid), 0);
	vg_incidents_hooks hk = {.system_of = hook_system_of, .system_unit = hook_system_unit, .ud = sys};
	vg_incidents_set_hooks(inc, &hk);
	const char *doc = "{}";
	const vg_db_alert a[] = {
		/* by host name: db01 attacked from 10.20.3.4 */
		{.ts_us = W47 + D, .rule_id = "by-host", .host = "db01", .source_ip = "10.20.3.4"},
		/* by agent: a host name no rule knows */
		{.ts_us = W47 + D, .rule_id = "by-agent", .host = "srv-unnamed", .source_ip = "10.20.3.4",
		 .agent_id = "ag-7", .input = "agent"},
		/* by syslog sender: no host name, the sender's address as host */
		{.ts_us = W47 + D, .rule_id = "by-sender", .host = "192.0.2.77", .source_ip = "10.20.9.9",
		 .peer_ip = "192.0.2.77", .input = "syslog-tcp"},
		/* the same sender over plain HTTP intake is no syslog source */
		{.ts_us = W47 + D, .rule_id = "not-syslog", .host = "192.0.2.78", .source_ip = "10.20.9.9",
		 .peer_ip = "192.0.2.78", .input = "http"},
		/* a host inside the cidr rule's network is that network's */
		{.ts_us = W47 + D, .rule_id = "by-cidr", .host = "10.20.0.5", .source_ip = "203.0.113.9"},
	};
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		vg_db_alert x = a[i];
		x.level = "high";
		x.rule_title = x.rule_id;
		x.doc = doc;
		x.doc_len = strlen(doc);
		assert_int_equal(vg_db_alert_insert(fx.db, &x), 0);
	}
	assert_int_equal(vg_incidents_tick(inc, W47 + D + H), 0);
	assert_int_equal(incident_system("by-host"), dbs);
	assert_int_equal(incident_system("by-agent"), dbs);
	assert_int_equal(incident_system("by-sender"), dbs);
	assert_int_equal(incident_system("not-syslog"), 0);
	assert_int_equal(incident_system("by-cidr"), lan);
	vg_incidents_close(inc);
	vg_systems_close(sys);
}

/* text from hostile logs: invalid UTF-8 and control characters in the
 * columns and the document never fail a report */
static void test_hostile_text(void **state)
{
	(void)state;
	const char *doc = "{\"rule\":{\"tags\":[\"attack.t1190\"]},\"event\":{\"original\":\"GET /\\u0001<b>\\u00e9\"}}";
	vg_db_alert a = {.ts_us = W47 + 6 * D + H, .rule_id = "r\xff", .rule_title = "Ti\xc3tle \xe2\x82", .level = "high",
			 .host = "bad\xff\xc0host", .source_ip = "1.2.3.4", .doc = doc, .doc_len = strlen(doc)};
	assert_int_equal(vg_db_alert_insert(fx.db, &a), 0);
	json_t *o = collect(VG_REPORT_DAILY, "2026-11-22", NULL, NULL);
	assert_int_equal(path_int(o, "summary", "alerts"), 1);
	json_t *ob = json_array_get(json_object_get(o, "objects"), 0);
	assert_string_equal(json_string_value(json_object_get(ob, "host")), "bad\xef\xbf\xbd\xef\xbf\xbdhost");
	json_t *r0 = json_array_get(json_object_get(o, "rules"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "title")), "Ti\xef\xbf\xbdtle \xef\xbf\xbd\xef\xbf\xbd"); /* one U+FFFD per bad byte */
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(o, "evidence"), 0), "excerpt")),
			    "GET /\x01<b>\xc3\xa9");
	char *t = pdf_text(o, "vi", 0);
	has(t, "bad\xef\xbf\xbd\xef\xbf\xbdhost");
	has(t, "GET /\xef\xbf\xbd<b>é");
	free(t);
	json_decref(o);
}

/* ---- REST over HTTPS ---- */

static struct {
	char ca[P], url[128], tok_admin[VG_AUTH_TOKEN_BUF], tok_b[VG_AUTH_TOKEN_BUF];
	vg_http *srv;
	vg_api *api;
	vg_auth *auth;
} ax;

typedef struct reply {
	long status;
	vg_buf body, hdrs;
} reply;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	return vg_buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

static reply get(const char *path, const char *tok)
{
	reply out = {0};
	char url[1024], auth[256];
	snprintf(url, sizeof(url), "%s%s", ax.url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	CURL *c = curl_easy_init();
	struct curl_slist *hl = curl_slist_append(NULL, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ax.ca);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out.hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	assert_int_equal(vg_buf_append(&out.body, "", 1), 0);
	assert_int_equal(vg_buf_append(&out.hdrs, "", 1), 0);
	out.body.len--;
	return out;
}

static void reply_free(reply *r)
{
	vg_buf_free(&r->body);
	vg_buf_free(&r->hdrs);
}

static void add_user(const char *name, vg_role role, const char *unit, char tok[VG_AUTH_TOKEN_BUF])
{
	const vg_auth_actor cli = {.name = "cli:test"};
	const char *pw = "correct horse battery staple";
	vg_auth_user_new u = {.name = name, .role = role, .unit = unit, .password = pw, .pw_len = strlen(pw)};
	assert_int_equal(vg_auth_user_add(ax.auth, &cli, &u, NOW, NULL), 0);
	vg_auth_token_new t = {.user = name, .scope = VG_SCOPE_ALL};
	assert_int_equal(vg_auth_token_create(ax.auth, &cli, &t, NOW, tok, NULL), 0);
}

static void test_api(void **state)
{
	(void)state;
	char why[512] = "";
	int err = 0;
	vg_pki_ca *ca;
	assert_int_equal(vg_pki_init_ca(fx.root, &ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	char cert[P], key[P];
	snprintf(ax.ca, P, "%s/pki/ca.crt", fx.root);
	snprintf(cert, P, "%s/pki/server.crt", fx.root);
	snprintf(key, P, "%s/pki/server.key", fx.root);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	assert_non_null(ax.auth = vg_auth_open(fx.db, NULL, &err));
	add_user("root", VG_ROLE_ADMIN, NULL, ax.tok_admin);
	add_user("bob", VG_ROLE_AUDITOR, "bo-b", ax.tok_b);
	ax.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = cert, .key_path = key}, &err, why,
			     sizeof(why));
	if (ax.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	snprintf(ax.url, sizeof(ax.url), "https://127.0.0.1:%u/api/v1", vg_http_port(ax.srv));
	assert_non_null(ax.api = vg_api_new(ax.srv, fx.db, ax.auth));
	vg_api_set_clock(ax.api, NOW);
	assert_int_equal(vg_reports_register_api(fx.rep, ax.api, 1), 0);
	assert_int_equal(vg_http_start(ax.srv, why, sizeof(why)), 0);

	reply r = get("/reports/weekly?period=2026-W47&format=json", ax.tok_admin);
	assert_int_equal(r.status, 200);
	json_t *o = json_loads(r.body.data, 0, NULL);
	assert_non_null(o);
	assert_int_equal(path_int(o, "summary", "alerts"), 40);
	json_decref(o);
	reply_free(&r);

	/* default period: W46 has one alert */
	r = get("/reports/weekly", ax.tok_admin);
	assert_int_equal(r.status, 200);
	o = json_loads(r.body.data, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "period"), "label")), "2026-W46");
	assert_int_equal(path_int(o, "summary", "alerts"), 1);
	json_decref(o);
	reply_free(&r);

	r = get("/reports/weekly?period=2026-W47&format=pdf&lang=vi", ax.tok_admin);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body.data, "%PDF-", 5);
	assert_non_null(strcasestr(r.hdrs.data, "content-type: application/pdf"));
	assert_non_null(strstr(r.hdrs.data, "filename=\"weekly-2026-W47.pdf\""));
	reply_free(&r);

	r = get("/reports/monthly?period=2026-11&format=html&lang=en", ax.tok_admin);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.hdrs.data, "content-type: text/html"));
	assert_non_null(strstr(r.body.data, "MONTHLY MONITORING DEPLOYMENT STATUS REPORT"));
	reply_free(&r);

	/* the scoped auditor: bo-b only */
	r = get("/reports/weekly?period=2026-W47", ax.tok_b);
	assert_int_equal(r.status, 200);
	o = json_loads(r.body.data, 0, NULL);
	assert_int_equal(path_int(o, "summary", "alerts"), 4);
	json_decref(o);
	reply_free(&r);
	r = get("/incidents/7/report?form=initial&format=html", ax.tok_b);
	assert_int_equal(r.status, 404);
	reply_free(&r);

	r = get("/reports/incident/7?form=initial&format=json", ax.tok_admin);
	assert_int_equal(r.status, 200);
	o = json_loads(r.body.data, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "initial");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "incident"), "title")),
			    "Dò mật khẩu SSH trên máy chủ web");
	json_decref(o);
	reply_free(&r);
	r = get("/reports/incident/7?format=pdf", ax.tok_b);
	assert_int_equal(r.status, 404);
	reply_free(&r);

	r = get("/incidents/7/report?form=closure&format=pdf&lang=en", ax.tok_admin);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body.data, "%PDF-", 5);
	assert_non_null(strstr(r.hdrs.data, "incident-7-closure.pdf"));
	reply_free(&r);

	/* bad input: 400 naming the argument, 404 for unknown kinds, 401 */
	static const struct {
		const char *path;
		long status;
		const char *msg;
	} bad[] = {
		{"/reports/weekly?period=2026-13", 400, "expected YYYY-Www"},
		{"/reports/monthly?period=2026-W47", 400, "expected YYYY-MM"},
		{"/reports/weekly?format=docx", 400, "format 'docx'"},
		{"/reports/weekly?lang=fr", 400, "lang 'fr'"},
		{"/reports/weekly?unit=..%2Fx", 400, "unit"},
		{"/reports/yearly", 404, "no report 'yearly'"},
		{"/reports/initial", 404, "no report"},
		{"/incidents/7/report?form=final", 400, "form 'final'"},
		{"/incidents/99/report", 404, "not found"},
		{"/incidents/7/reportx", 404, "no such"},
		{"/incidents/x/report", 404, "no such"},
		{"/reports/incident/7x", 404, "no such"},
		{"/reports/incident/", 404, "no such"},
		{"/reports/incident/0", 404, "no such"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = get(bad[i].path, ax.tok_admin);
		if (r.status != bad[i].status || strstr(r.body.data, bad[i].msg) == NULL)
			fail_msg("%s: %ld %s", bad[i].path, r.status, r.body.data);
		reply_free(&r);
	}
	r = get("/reports/weekly", "vgt_nope");
	assert_int_equal(r.status, 401);
	reply_free(&r);

	vg_http_free(ax.srv);
	vg_api_free(ax.api);
	vg_auth_close(ax.auth);
	curl_global_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_periods),
		cmocka_unit_test_setup_teardown(test_weekly_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_scoping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monthly_semiannual_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weekly_pdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daily_monthly_semiannual_pdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wired_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attribution_by_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
