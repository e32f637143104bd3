/* test_ingest.c — the server's ingest pipeline fed directly: events are
 * parsed, tagged, archived (committed every VG_INGEST_SYNC_EVENTS events or 100 ms of ticks),
 * rule and correlation alerts land in alerts.ndjson, raw and oversized
 * messages are kept, a rule reload swaps engines, and with a state database
 * attached the alerts are stored there, committed with the archive. */
#include <ftw.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/limits.h"
#include "detect/rulepack.h"
#include "scan/alert_json.h"
#include "server/ingest.h"
#include "store/archive.h"
#include "store/db.h"

#define T0 1763719200000000LL /* 2025-11-21T10:00:00Z */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static char dir[256];

static const char *fresh(const char *name)
{
	snprintf(dir, sizeof(dir), "/tmp/vg_test_ingest.%ld.%s", (long)getpid(), name);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(mkdir(dir, 0700), 0);
	return dir;
}

static void cleanup(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static vg_engine *pack_engine(void)
{
	vg_engine *e = vg_engine_new();
	assert_non_null(e);
	assert_int_equal(vg_rulepack_load(e, NULL, NULL), 0);
	assert_int_equal(vg_engine_compile(e, NULL, NULL), 0);
	return e;
}

typedef struct collected {
	vg_buf docs; /* every document, '\n'-terminated */
	size_t n;
	char hosts[16][64];
} collected;

static int collect(void *ud, const vg_archive_rec *r)
{
	collected *c = ud;
	if (c->n < 16)
		snprintf(c->hosts[c->n], sizeof(c->hosts[0]), "%s", r->host);
	c->n++;
	/* the archive holds flat documents; compare the nested ECS form export prints */
	if (vg_event_json_renest(&c->docs, r->doc, r->doc_len) != 0)
		return -1;
	return 0;
}

static void scan_archive(const char *d, collected *c)
{
	vg_buf_free(&c->docs);
	memset(c, 0, sizeof(*c));
	assert_int_equal(vg_archive_scan(d, NULL, collect, c, NULL), 0);
	assert_int_equal(vg_buf_append(&c->docs, "", 1), 0); /* NUL for strstr */
}

static size_t count_in(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *s = calloc(1, 1 << 20);
	assert_non_null(s);
	size_t n = fread(s, 1, (1 << 20) - 1, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void test_events_and_alerts(void **state)
{
	(void)state;
	const char *d = fresh("basic");
	vg_engine *e = pack_engine();
	int err = 0;
	vg_ingest *g = vg_ingest_new(d, e, NULL, &err);
	assert_non_null(g);
	char msg[256];
	/* 12 failures from one address within a minute: one brute-force alert */
	for (int i = 0; i < 12; i++) {
		int n = snprintf(msg, sizeof(msg),
				 "<38>1 2025-11-21T10:00:%02dZ web-1 sshd 4242 - - Failed password for root from "
				 "203.0.113.9 port %d ssh2\n",
				 i, 40000 + i);
		assert_int_equal(vg_ingest_message(g, msg, (size_t)n, "127.0.0.1:5000", "syslog-tcp", T0), 0);
	}
	/* no timestamp, not syslog: a raw event at receive time, host = sender IP */
	static const char junk[] = "just some text\r\n";
	assert_int_equal(vg_ingest_message(g, junk, sizeof(junk) - 1, "[::1]:6000", "syslog-udp", T0), 0);
	vg_ingest_stats st;
	vg_ingest_stats_get(g, &st);
	assert_int_equal(st.messages, 13);
	assert_int_equal(st.unparsed, 1);
	assert_int_equal(st.corr_alerts, 1);
	assert_int_equal(st.archive_errors, 0);
	assert_int_equal(vg_ingest_sync(g), 0);

	collected c = {0};
	scan_archive(d, &c);
	assert_int_equal(c.n, 13);
	assert_string_equal(c.hosts[0], "web-1");
	assert_string_equal(c.hosts[12], "::1");
	const char *docs = c.docs.data;
	assert_int_equal(count_in(docs, "\"kind\":\"event\""), 13);
	assert_int_equal(count_in(docs, "\"rule\""), 0);
	assert_int_equal(count_in(docs, "\"input\":\"syslog-tcp\""), 12);
	assert_int_equal(count_in(docs, "\"address\":\"127.0.0.1:5000\""), 12);
	assert_int_equal(count_in(docs, "\"address\":\"[::1]:6000\""), 1);
	assert_int_equal(count_in(docs, "\"@timestamp\":\"2025-11-21T10:00:00.000000Z\""), 2); /* first + junk */
	assert_non_null(strstr(docs, "\"message\":\"just some text\",")); /* CR LF dropped */
	assert_int_equal(vg_ingest_free(g), 0);

	char path[512];
	snprintf(path, sizeof(path), "%s/alerts.ndjson", d);
	char *alerts = read_file(path);
	assert_int_equal(count_in(alerts, "\n"), 1);
	assert_non_null(strstr(alerts, "SSH Brute Force From One Source"));
	assert_non_null(strstr(alerts, "\"203.0.113.9\""));
	free(alerts);
	vg_buf_free(&c.docs);
	vg_engine_free(e);
	cleanup();
}

static void test_commit_policy(void **state)
{
	(void)state;
	const char *d = fresh("commit");
	vg_engine *e = pack_engine();
	int err = 0;
	vg_ingest *g = vg_ingest_new(d, e, NULL, &err);
	assert_non_null(g);
	collected c = {0};
	static const char m[] = "<13>Nov 21 10:00:00 h app: hello";
	assert_int_equal(vg_ingest_tick(g, 1000000), 0);
	for (int i = 0; i < VG_INGEST_SYNC_EVENTS - 1; i++)
		assert_int_equal(vg_ingest_message(g, m, sizeof(m) - 1, "10.0.0.1:1", "syslog-udp", T0), 0);
	scan_archive(d, &c);
	assert_int_equal(c.n, 0); /* not committed yet */
	assert_int_equal(vg_ingest_message(g, m, sizeof(m) - 1, "10.0.0.1:1", "syslog-udp", T0), 0);
	scan_archive(d, &c);
	assert_int_equal(c.n, VG_INGEST_SYNC_EVENTS); /* the last of them commits */
	assert_int_equal(vg_ingest_message(g, m, sizeof(m) - 1, "10.0.0.1:1", "syslog-udp", T0), 0);
	assert_int_equal(vg_ingest_tick(g, 1000000 + VG_INGEST_SYNC_US - 1), 0);
	scan_archive(d, &c);
	assert_int_equal(c.n, VG_INGEST_SYNC_EVENTS);
	assert_int_equal(vg_ingest_tick(g, 1000000 + VG_INGEST_SYNC_US), 0);
	scan_archive(d, &c);
	assert_int_equal(c.n, VG_INGEST_SYNC_EVENTS + 1); /* 100 ms later */
	assert_int_equal(vg_ingest_free(g), 0);
	vg_buf_free(&c.docs);
	vg_engine_free(e);
	cleanup();
}

static void test_oversized_and_reload(void **state)
{
	(void)state;
	const char *d = fresh("reload");
	vg_engine *e = pack_engine();
	int err = 0;
	vg_ingest *g = vg_ingest_new(d, e, NULL, &err);
	assert_non_null(g);
	size_t big = VG_MAX_LINE + 1000;
	char *m = malloc(big);
	assert_non_null(m);
	memset(m, 'x', big);
	assert_int_equal(vg_ingest_message(g, m, big, "10.0.0.2:9", "syslog-udp", T0), 0);
	free(m);

	static const char rule[] = "title: Hello\nid: 11111111-2222-3333-4444-555555555555\nlevel: low\n"
				   "logsource:\n  product: linux\ndetection:\n  sel:\n    message|contains: hello\n"
				   "  condition: sel\n";
	/* a second rule the same event matches: its alert copies the first's event part */
	static const char rule2[] = "title: Hello again\nid: 11111111-2222-3333-4444-666666666666\nlevel: high\n"
				    "logsource:\n  product: linux\ndetection:\n  sel:\n    message|endswith: world\n"
				    "  condition: sel\n";
	vg_engine *e2 = vg_engine_new();
	assert_non_null(e2);
	assert_int_equal(vg_engine_load_buffer(e2, rule, sizeof(rule) - 1, "hello.yml", NULL, NULL), 0);
	assert_int_equal(vg_engine_load_buffer(e2, rule2, sizeof(rule2) - 1, "hello2.yml", NULL, NULL), 0);
	assert_int_equal(vg_engine_compile(e2, NULL, NULL), 0);
	assert_int_equal(vg_ingest_set_engine(g, e2), 0);
	vg_engine_free(e); /* the ingest no longer uses it */
	static const char hello[] = "<13>Nov 21 10:00:00 h app: hello world";
	assert_int_equal(vg_ingest_message(g, hello, sizeof(hello) - 1, "10.0.0.2:9", "syslog-udp", T0), 0);
	vg_ingest_stats st;
	vg_ingest_stats_get(g, &st);
	assert_int_equal(st.alerts, 2);
	assert_int_equal(vg_ingest_free(g), 0);

	/* two whole documents, the same up to their rule objects */
	char path[512];
	snprintf(path, sizeof(path), "%s/alerts.ndjson", d);
	char *al = read_file(path);
	const char *nl = strchr(al, '\n'), *r1 = strstr(al, ",\"rule\":{");
	assert_non_null(nl);
	assert_true(r1 != NULL && r1 < nl);
	const char *l2 = nl + 1, *r2 = strstr(l2, ",\"rule\":{");
	assert_non_null(r2);
	assert_int_equal(r2 - l2, r1 - al);
	assert_memory_equal(al, l2, (size_t)(r1 - al));
	assert_non_null(strstr(al, "\"kind\":\"alert\""));
	assert_non_null(strstr(r1, "\"id\":\"11111111-2222-3333-4444-555555555555\""));
	assert_non_null(strstr(r2, "\"id\":\"11111111-2222-3333-4444-666666666666\",\"title\":\"Hello again\""));
	assert_int_equal(count_in(al, "\n"), 2);
	free(al);

	collected c = {0};
	scan_archive(d, &c);
	assert_int_equal(c.n, 2);
	/* the oversized message was cut to VG_MAX_LINE bytes (event.original and message) */
	const char *p = strstr(c.docs.data, "\"original\":\"");
	assert_non_null(p);
	p += strlen("\"original\":\"");
	size_t run = strspn(p, "x");
	assert_int_equal(run, VG_MAX_LINE);
	vg_buf_free(&c.docs);
	vg_engine_free(e2);
	cleanup();
}

typedef struct db_got {
	size_t n, corr;
	char host[64], ip[64], rule_id[64];
	vg_buf docs;
} db_got;

static int db_collect(void *ud, const vg_db_alert *a)
{
	db_got *g = ud;
	g->n++;
	g->corr += a->is_correlation != 0;
	if (a->is_correlation) {
		snprintf(g->host, sizeof(g->host), "%s", a->host ? a->host : "(null)");
		snprintf(g->ip, sizeof(g->ip), "%s", a->source_ip ? a->source_ip : "(null)");
		snprintf(g->rule_id, sizeof(g->rule_id), "%s", a->rule_id ? a->rule_id : "(null)");
	}
	if (vg_buf_append(&g->docs, a->doc, a->doc_len) != 0 || vg_buf_append(&g->docs, "\n", 1) != 0)
		return 1;
	return 0;
}

static size_t db_count(const char *d, db_got *g)
{
	vg_buf_free(&g->docs);
	memset(g, 0, sizeof(*g));
	int err = 0;
	vg_db_opts ro = {.readonly = 1};
	vg_db *db = vg_db_open(d, &ro, &err, NULL, 0);
	assert_non_null(db);
	assert_int_equal(vg_db_alerts_scan(db, NULL, db_collect, g), 0);
	vg_db_close(db);
	return g->n;
}

static void test_alerts_in_db(void **state)
{
	(void)state;
	const char *d = fresh("db");
	vg_engine *e = pack_engine();
	int err = 0;
	vg_db *db = vg_db_open(d, NULL, &err, NULL, 0);
	assert_non_null(db);
	vg_ingest *g = vg_ingest_new(d, e, NULL, &err);
	assert_non_null(g);
	vg_ingest_set_db(g, db);
	assert_int_equal(vg_ingest_tick(g, 1000000), 0);
	char msg[256];
	for (int i = 0; i < 12; i++) {
		int n = snprintf(msg, sizeof(msg),
				 "<38>1 2025-11-21T10:00:%02dZ web-1 sshd 4242 - - Failed password for root from "
				 "203.0.113.9 port %d ssh2\n",
				 i, 40000 + i);
		assert_int_equal(vg_ingest_message(g, msg, (size_t)n, "127.0.0.1:5000", "syslog-tcp", T0), 0);
	}
	static const char ua[] = "<38>1 2025-11-21T10:01:00Z web-2 useradd 7 - - new user: name=bob, UID=1001, "
				 "GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0";
	assert_int_equal(vg_ingest_message(g, ua, sizeof(ua) - 1, "127.0.0.1:5001", "syslog-tcp", T0), 0);
	db_got got = {0};
	assert_int_equal(db_count(d, &got), 0); /* not committed yet */
	assert_int_equal(vg_ingest_tick(g, 1000000 + VG_INGEST_SYNC_US), 0);
	assert_int_equal(db_count(d, &got), 2); /* committed with the archive */
	assert_int_equal(got.corr, 1);
	assert_string_equal(got.ip, "203.0.113.9");
	assert_string_equal(got.host, "web-1");
	assert_string_equal(got.rule_id, "be57ed61-fa18-403d-a898-74ba3a94fdb8");
	/* each alert keeps its event's origin for attribution to a system: the
	 * sender's address without the port, and the input */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(vg_db_sqlite(db),
					    "SELECT group_concat(is_correlation || ' ' || coalesce(peer_ip, '-') || ' ' ||"
					    " coalesce(input, '-') || ' ' || coalesce(agent_id, '-'), ';') FROM"
					    " (SELECT * FROM alerts ORDER BY id)",
					    -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "1 127.0.0.1 syslog-tcp -;0 127.0.0.1 syslog-tcp -");
	sqlite3_finalize(q);
	vg_ingest_stats st;
	vg_ingest_stats_get(g, &st);
	assert_int_equal(st.db_errors, 0);
	assert_int_equal(vg_ingest_free(g), 0);
	vg_db_close(db);

	/* the database holds exactly what alerts.ndjson holds */
	char path[512];
	snprintf(path, sizeof(path), "%s/alerts.ndjson", d);
	char *alerts = read_file(path);
	assert_int_equal(db_count(d, &got), 2);
	assert_int_equal(vg_buf_append(&got.docs, "", 1), 0);
	assert_string_equal(got.docs.data, alerts);
	free(alerts);
	vg_buf_free(&got.docs);
	vg_engine_free(e);
	cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_and_alerts),
		cmocka_unit_test(test_commit_policy),
		cmocka_unit_test(test_oversized_and_reload),
		cmocka_unit_test(test_alerts_in_db),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
