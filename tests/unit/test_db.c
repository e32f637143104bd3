/* test_db.c — the state database: created 0600 in WAL mode, migrations
 * applied once and idempotent across reopen, alert insert in batches and
 * filtered scans in time order with exact counts, read-only opens, and clear
 * errors for a corrupt file, a newer schema and an unusable path; per-module
 * migrations (schema_modules) and the upgrade of a version-1 file. Prints the
 * batched insert rate. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

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
	snprintf(dir, sizeof(dir), "/tmp/vg_test_db.%ld.%s", (long)getpid(), name);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(mkdir(dir, 0700), 0);
	return dir;
}

static void cleanup(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static vg_db *open_rw(const char *d)
{
	int err = 0;
	char why[256] = "";
	vg_db *db = vg_db_open(d, NULL, &err, why, sizeof(why));
	if (db == NULL)
		fail_msg("open %s: %d %s", d, err, why);
	return db;
}

/* a raw query on the file, through a separate connection */
static long long query_int(const char *d, const char *sql)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/" VG_DB_FILE, d);
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void test_create_wal_migrate(void **state)
{
	(void)state;
	const char *d = fresh("create");
	vg_db *db = open_rw(d);
	assert_int_equal(vg_db_schema_version(db), VG_DB_SCHEMA_VERSION);
	char path[512];
	snprintf(path, sizeof(path), "%s/" VG_DB_FILE, d);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(query_int(d, "SELECT count(*) FROM pragma_journal_mode() WHERE journal_mode = 'wal'"), 1);
	vg_db_alert a = {.ts_us = T0, .rule_id = "r1", .doc = "{\"a\":1}", .doc_len = 7};
	assert_int_equal(vg_db_alert_insert(db, &a), 0); /* autocommit */
	vg_db_close(db);
	/* reopen twice: migrations are not re-applied, the data stays */
	for (int i = 0; i < 2; i++) {
		db = open_rw(d);
		assert_int_equal(vg_db_schema_version(db), VG_DB_SCHEMA_VERSION);
		vg_db_close(db);
	}
	assert_int_equal(query_int(d, "SELECT count(*) FROM alerts"), 1);
	assert_int_equal(query_int(d, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'alerts'"),
			 2);
	assert_int_equal(query_int(d, "PRAGMA user_version"), VG_DB_SCHEMA_VERSION);
	cleanup();
}

typedef struct got {
	size_t n;
	int64_t last_ts;
	int ordered;
	char first_doc[64];
} got;

static int collect(void *ud, const vg_db_alert *a)
{
	got *g = ud;
	if (g->n == 0)
		snprintf(g->first_doc, sizeof(g->first_doc), "%.*s", (int)a->doc_len, a->doc);
	if (g->n > 0 && a->ts_us < g->last_ts)
		g->ordered = 0;
	g->last_ts = a->ts_us;
	g->n++;
	return 0;
}

static size_t count(vg_db *db, const vg_db_filter *f)
{
	got g = {.ordered = 1};
	assert_int_equal(vg_db_alerts_scan(db, f, collect, &g), 0);
	assert_true(g.ordered);
	return g.n;
}

static const char *const levels[] = {"low", "medium", "high", "critical"};

static void test_insert_scan_filters(void **state)
{
	(void)state;
	const char *d = fresh("scan");
	vg_db *db = open_rw(d);
	/* 1000 alerts, inserted out of time order: i-th at T0 + (999 - i) s;
	 * rule r<i%5>, level levels[i%4], host h<i%2>, every 10th a correlation */
	char doc[128];
	assert_int_equal(vg_db_begin(db), 0);
	assert_int_equal(vg_db_begin(db), 0); /* nested begin is a no-op */
	for (int i = 0; i < 1000; i++) {
		char rule[8], host[8];
		snprintf(rule, sizeof(rule), "r%d", i % 5);
		snprintf(host, sizeof(host), "h%d", i % 2);
		int n = snprintf(doc, sizeof(doc), "{\"i\":%d}", i);
		vg_db_alert a = {
			.ts_us = T0 + (int64_t)(999 - i) * 1000000,
			.rule_id = rule,
			.rule_title = "title",
			.level = levels[i % 4],
			.host = host,
			.source_ip = i % 3 == 0 ? NULL : "192.0.2.1",
			.is_correlation = i % 10 == 0,
			.doc = doc,
			.doc_len = (size_t)n,
		};
		assert_int_equal(vg_db_alert_insert(db, &a), 0);
	}
	assert_true(vg_db_in_txn(db));
	assert_int_equal(vg_db_commit(db), 0);
	assert_false(vg_db_in_txn(db));
	assert_int_equal(vg_db_commit(db), 0); /* no transaction: no-op */

	assert_int_equal(count(db, NULL), 1000);
	got g = {.ordered = 1};
	assert_int_equal(vg_db_alerts_scan(db, NULL, collect, &g), 0);
	assert_string_equal(g.first_doc, "{\"i\":999}"); /* the earliest */
	vg_db_filter f = {.rule = "r3"};
	assert_int_equal(count(db, &f), 200);
	f = (vg_db_filter){.level = "critical"};
	assert_int_equal(count(db, &f), 250);
	f = (vg_db_filter){.host = "h1", .level = "medium"}; /* i odd and i%4==1 */
	assert_int_equal(count(db, &f), 250);
	f = (vg_db_filter){.rule = "r0", .level = "low"}; /* i%20 == 0 */
	assert_int_equal(count(db, &f), 50);
	/* [T0+100s, T0+200s): 100 alerts */
	f = (vg_db_filter){.has_from = 1, .from_us = T0 + 100000000, .has_to = 1, .to_us = T0 + 200000000};
	assert_int_equal(count(db, &f), 100);
	f = (vg_db_filter){.has_from = 1, .from_us = T0 + 990000000};
	assert_int_equal(count(db, &f), 10);
	f = (vg_db_filter){.has_to = 1, .to_us = T0};
	assert_int_equal(count(db, &f), 0);
	f = (vg_db_filter){.rule = "nosuch"};
	assert_int_equal(count(db, &f), 0);
	assert_int_equal(query_int(d, "SELECT count(*) FROM alerts WHERE is_correlation = 1"), 100);
	assert_int_equal(query_int(d, "SELECT count(*) FROM alerts WHERE source_ip IS NULL"), 334);

	/* a rolled-back batch: closing with an open transaction keeps nothing */
	assert_int_equal(vg_db_begin(db), 0);
	vg_db_alert a = {.ts_us = T0, .doc = "{}", .doc_len = 2};
	assert_int_equal(vg_db_alert_insert(db, &a), 0);
	vg_db_close(db);

	/* read-only: scans work, inserts are refused */
	int err = 0;
	char why[256];
	vg_db_opts ro = {.readonly = 1};
	db = vg_db_open(d, &ro, &err, why, sizeof(why));
	assert_non_null(db);
	assert_int_equal(count(db, NULL), 1000);
	assert_int_equal(vg_db_alert_insert(db, &a), VG_EINVAL);
	assert_int_equal(vg_db_begin(db), VG_EINVAL);
	vg_db_close(db);
	cleanup();
}

static void test_reader_while_writing(void **state)
{
	(void)state;
	const char *d = fresh("concurrent");
	vg_db *w = open_rw(d);
	vg_db_alert a = {.ts_us = T0, .doc = "{}", .doc_len = 2};
	assert_int_equal(vg_db_alert_insert(w, &a), 0);
	assert_int_equal(vg_db_begin(w), 0);
	assert_int_equal(vg_db_alert_insert(w, &a), 0);
	/* WAL: a reader sees the committed alert while the writer's batch is open */
	int err = 0;
	vg_db_opts ro = {.readonly = 1};
	vg_db *r = vg_db_open(d, &ro, &err, NULL, 0);
	assert_non_null(r);
	assert_int_equal(count(r, NULL), 1);
	assert_int_equal(vg_db_commit(w), 0);
	assert_int_equal(count(r, NULL), 2);
	vg_db_close(r);
	vg_db_close(w);
	cleanup();
}

static void test_errors(void **state)
{
	(void)state;
	const char *d = fresh("errors");
	int err = 0;
	char why[256], path[512];
	vg_db_opts ro = {.readonly = 1};

	/* read-only open of a missing database */
	assert_null(vg_db_open(d, &ro, &err, why, sizeof(why)));
	assert_int_equal(err, VG_ENOTFOUND);
	assert_non_null(strstr(why, VG_DB_FILE));

	/* a directory that does not exist (a file in its place) */
	snprintf(path, sizeof(path), "%s/file", d);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_null(vg_db_open(path, NULL, &err, why, sizeof(why)));
	assert_int_equal(err, VG_EIO);
	assert_non_null(strstr(why, "Not a directory"));

	/* vigil.db is a directory */
	snprintf(path, sizeof(path), "%s/" VG_DB_FILE, d);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_null(vg_db_open(d, NULL, &err, why, sizeof(why)));
	assert_int_equal(err, VG_EIO);
	assert_int_equal(rmdir(path), 0);

	/* a file that is not a database */
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 256; i++)
		fputs("this is not an SQLite database\n", fp);
	fclose(fp);
	assert_null(vg_db_open(d, NULL, &err, why, sizeof(why)));
	assert_int_equal(err, VG_EPARSE);
	assert_non_null(strstr(why, "not a database"));
	assert_null(vg_db_open(d, &ro, &err, why, sizeof(why)));
	assert_int_equal(err, VG_EPARSE);
	assert_int_equal(unlink(path), 0);

	/* a schema newer than this build */
	vg_db *db = open_rw(d);
	vg_db_close(db);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_null(vg_db_open(d, NULL, &err, why, sizeof(why)));
	assert_int_equal(err, VG_EUNSUPPORTED);
	assert_non_null(strstr(why, "newer"));
	assert_null(vg_db_open(d, &ro, &err, why, sizeof(why)));
	assert_int_equal(err, VG_EUNSUPPORTED);
	cleanup();
}

static const char *const mod_v2[] = {
	"CREATE TABLE m_a (x INTEGER);",
	"ALTER TABLE m_a ADD COLUMN y TEXT; CREATE TABLE m_b (z INTEGER);",
};

/* Per-module migrations: versions in schema_modules, each step once and
 * atomically, modules independent of each other and of the core schema. */
static void test_module_migrations(void **state)
{
	(void)state;
	const char *d = fresh("modules");
	vg_db *db = open_rw(d);
	assert_int_equal(query_int(d, "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_modules'"), 1);
	assert_int_equal(vg_db_module_version(db, "mod"), 0);
	assert_int_equal(vg_db_migrate_module(db, "mod", mod_v2, 1), 0);
	assert_int_equal(vg_db_module_version(db, "mod"), 1);
	assert_int_equal(vg_db_migrate_module(db, "mod", mod_v2, 2), 0);
	assert_int_equal(vg_db_module_version(db, "mod"), 2);
	assert_int_equal(vg_db_migrate_module(db, "mod", mod_v2, 2), 0); /* again: nothing to do */
	assert_int_equal(query_int(d, "SELECT count(*) FROM pragma_table_info('m_a')"), 2);
	assert_int_equal(query_int(d, "SELECT count(*) FROM sqlite_schema WHERE name = 'm_b'"), 1);
	/* another module, the same script: independent version */
	static const char *const other[] = {"CREATE TABLE o_a (x INTEGER);"};
	assert_int_equal(vg_db_migrate_module(db, "other", other, 1), 0);
	assert_int_equal(vg_db_module_version(db, "other"), 1);
	assert_int_equal(vg_db_module_version(db, "mod"), 2);
	assert_int_equal(vg_db_migrate_module(db, "empty", NULL, 0), 0);

	/* a failing step is rolled back whole and the version stays */
	static const char *const bad[] = {
		"CREATE TABLE m_a (x INTEGER);", "ALTER TABLE m_a ADD COLUMN y TEXT; CREATE TABLE m_b (z INTEGER);",
		"CREATE TABLE m_c (x INTEGER); CREATE TABLE m_b (again INTEGER);", /* m_b exists: fails */
	};
	int r = vg_db_migrate_module(db, "mod", bad, 3);
	assert_true(r < 0);
	assert_non_null(strstr(vg_db_errmsg(db), "m_b"));
	assert_non_null(strstr(vg_db_errmsg(db), "module mod"));
	assert_int_equal(vg_db_module_version(db, "mod"), 2);
	assert_int_equal(query_int(d, "SELECT count(*) FROM sqlite_schema WHERE name = 'm_c'"), 0);

	/* a module newer than the scripts this build knows */
	assert_int_equal(vg_db_migrate_module(db, "mod", mod_v2, 1), VG_EUNSUPPORTED);
	assert_non_null(strstr(vg_db_errmsg(db), "schema version 2"));
	assert_int_equal(vg_db_module_version(db, "mod"), 2);

	/* bad arguments; not inside a batch */
	assert_int_equal(vg_db_migrate_module(db, "", mod_v2, 1), VG_EINVAL);
	assert_int_equal(vg_db_migrate_module(db, "Mod", mod_v2, 1), VG_EINVAL);
	assert_int_equal(vg_db_migrate_module(db, "a;b", mod_v2, 1), VG_EINVAL);
	assert_int_equal(vg_db_migrate_module(db, NULL, mod_v2, 1), VG_EINVAL);
	assert_int_equal(vg_db_migrate_module(db, "x", NULL, 1), VG_EINVAL);
	char longname[VG_DB_MODULE_NAME_MAX + 2];
	memset(longname, 'm', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(vg_db_migrate_module(db, longname, mod_v2, 1), VG_EINVAL);
	longname[VG_DB_MODULE_NAME_MAX] = '\0';
	static const char *const lm[] = {"CREATE TABLE m_long (x INTEGER);"};
	assert_int_equal(vg_db_migrate_module(db, longname, lm, 1), 0);
	static const char *const late[] = {"CREATE TABLE late_t (x INTEGER);"};
	assert_int_equal(vg_db_begin(db), 0);
	assert_int_equal(vg_db_migrate_module(db, "late", late, 1), VG_EINVAL);
	assert_int_equal(vg_db_rollback(db), 0);
	assert_false(vg_db_in_txn(db));
	assert_int_equal(vg_db_rollback(db), 0); /* no batch: no-op */
	assert_int_equal(vg_db_migrate_module(db, "late", late, 1), 0); /* the batch is over */
	assert_non_null(vg_db_sqlite(db));
	vg_db_close(db);

	/* versions persist; a read-only handle reads them but cannot migrate */
	int err = 0;
	vg_db_opts ro = {.readonly = 1};
	db = vg_db_open(d, &ro, &err, NULL, 0);
	assert_non_null(db);
	assert_int_equal(vg_db_module_version(db, "mod"), 2);
	assert_int_equal(vg_db_migrate_module(db, "mod", mod_v2, 2), VG_EINVAL);
	vg_db_close(db);
	assert_int_equal(query_int(d, "SELECT version FROM schema_modules WHERE module = 'other'"), 1);
	cleanup();
}

/* A version-1 database (alerts only, before schema_modules) is upgraded in
 * place and keeps its alerts. */
static void test_upgrade_from_v1(void **state)
{
	(void)state;
	const char *d = fresh("v1");
	char path[512];
	snprintf(path, sizeof(path), "%s/" VG_DB_FILE, d);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
				      "CREATE TABLE alerts (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, rule_id TEXT,"
				      " rule_title TEXT, level TEXT, host TEXT, source_ip TEXT,"
				      " is_correlation INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL);"
				      "CREATE INDEX alerts_ts ON alerts(ts_us);"
				      "CREATE INDEX alerts_rule ON alerts(rule_id, ts_us);"
				      "INSERT INTO alerts (ts_us, doc) VALUES (1, '{}');"
				      "PRAGMA user_version = 1;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	/* read-only opens of the old version still work */
	int err = 0;
	vg_db_opts ro = {.readonly = 1};
	vg_db *db = vg_db_open(d, &ro, &err, NULL, 0);
	assert_non_null(db);
	assert_int_equal(vg_db_schema_version(db), 1);
	assert_int_equal(count(db, NULL), 1);
	vg_db_close(db);
	db = open_rw(d);
	assert_int_equal(vg_db_schema_version(db), VG_DB_SCHEMA_VERSION);
	assert_int_equal(count(db, NULL), 1);
	/* version 3: the alert's origin, NULL in the old row */
	assert_int_equal(query_int(d, "SELECT count(*) FROM alerts WHERE agent_id IS NULL AND peer_ip IS NULL"
				      " AND input IS NULL"),
			 1);
	assert_int_equal(vg_db_migrate_module(db, "mod", mod_v2, 2), 0);
	vg_db_close(db);
	assert_int_equal(query_int(d, "SELECT version FROM schema_modules WHERE module = 'mod'"), 2);
	cleanup();
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The server's pattern: batches of 1000 alerts per transaction, a ~1 KB
 * document each (synchronous=FULL: one fsync per commit). */
static void test_insert_rate(void **state)
{
	(void)state;
	const char *d = fresh("rate");
	vg_db *db = open_rw(d);
	char doc[1024];
	memset(doc, 'x', sizeof(doc));
	memcpy(doc, "{\"pad\":\"", 8);
	memcpy(doc + sizeof(doc) - 2, "\"}", 2);
	enum { N = 50000, BATCH = 1000 };
	double t = now_s();
	for (int i = 0; i < N; i++) {
		if (i % BATCH == 0)
			assert_int_equal(vg_db_begin(db), 0);
		vg_db_alert a = {.ts_us = T0 + i,
				 .rule_id = "be57ed61-fa18-403d-a898-74ba3a94fdb8",
				 .rule_title = "SSH Brute Force From One Source",
				 .level = "medium",
				 .host = "web-1",
				 .source_ip = "203.0.113.9",
				 .doc = doc,
				 .doc_len = sizeof(doc)};
		assert_int_equal(vg_db_alert_insert(db, &a), 0);
		if (i % BATCH == BATCH - 1)
			assert_int_equal(vg_db_commit(db), 0);
	}
	double el = now_s() - t;
	printf("insert rate: %d alerts in %.3f s = %.0f alerts/s (batches of %d, 1 KB documents)\n", N, el, N / el,
	       BATCH);
	vg_db_close(db);
	assert_int_equal(query_int(d, "SELECT count(*) FROM alerts"), N);
	cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_wal_migrate),
		cmocka_unit_test(test_insert_scan_filters),
		cmocka_unit_test(test_reader_while_writing),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_module_migrations),
		cmocka_unit_test(test_upgrade_from_v1),
		cmocka_unit_test(test_insert_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
