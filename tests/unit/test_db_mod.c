/* test_db_mod.c — the SQL helpers modules share (db.h, vg_db_mod): result
 * codes mapped to VG_E*, failures written as "<what>: <SQLite message>" or
 * with the module's prefix, statements finalised, and the all-or-nothing
 * change: its own BEGIN IMMEDIATE alone (the write lock up front), a
 * savepoint inside the caller's batch that rolls back only its own part, a
 * savepoint-only module that stays deferred, and a failed COMMIT rolled back;
 * vg_db_module_new migrating before it allocates. */
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
#include <sqlite3.h>

#include "store/db.h"

static const char *const scripts[] = {
	"CREATE TABLE kv (k TEXT UNIQUE, v INTEGER CHECK (v >= 0));"
	"CREATE TABLE parent (id INTEGER PRIMARY KEY);"
	"CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);",
};

typedef struct fx {
	char dir[64];
	vg_db *db;
	char why[128];
	vg_db_mod q;
} fx;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vg_test_db_mod.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	int err = 0;
	char why[256] = "";
	f->db = vg_db_open(f->dir, NULL, &err, why, sizeof(why));
	if (f->db == NULL)
		fail_msg("open %s: %d %s", f->dir, err, why);
	assert_int_equal(vg_db_migrate_module(f->db, "dbmod", scripts, 1), 0);
	f->q = (vg_db_mod){.db = f->db, .msg = f->why, .msg_len = sizeof(f->why), .savepoint = "vg_dbmod"};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	vg_db_close(f->db);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A second connection to the same file, with no busy wait. */
static sqlite3 *other(const fx *f)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/" VG_DB_FILE, f->dir);
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return h;
}

static long long count(fx *f, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(vg_db_mod_prepare(&f->q, sql, &st), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int put(fx *f, const char *k, long long v)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&f->q, "INSERT INTO kv (k, v) VALUES (?, ?)", &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, k);
	sqlite3_bind_int64(st, 2, v);
	return vg_db_mod_step_done(&f->q, st, "kv");
}

static void test_rc(void **state)
{
	(void)state;
	assert_int_equal(vg_db_rc(SQLITE_OK), 0);
	assert_int_equal(vg_db_rc(SQLITE_ROW), 0);
	assert_int_equal(vg_db_rc(SQLITE_DONE), 0);
	assert_int_equal(vg_db_rc(SQLITE_NOMEM), VG_ENOMEM);
	assert_int_equal(vg_db_rc(SQLITE_CONSTRAINT_UNIQUE), VG_EINVAL);
	assert_int_equal(vg_db_rc(SQLITE_CONSTRAINT_CHECK), VG_EINVAL);
	assert_int_equal(vg_db_rc(SQLITE_TOOBIG), VG_ELIMIT);
	assert_int_equal(vg_db_rc(SQLITE_BUSY), VG_EIO);
	assert_int_equal(vg_db_rc(SQLITE_IOERR_WRITE), VG_EIO);
	assert_int_equal(vg_db_rc(SQLITE_CORRUPT), VG_EIO);
}

static void test_messages_and_codes(void **state)
{
	fx *f = *state;
	sqlite3_stmt *st = (sqlite3_stmt *)&st;
	assert_int_equal(vg_db_mod_prepare(&f->q, "SELECT * FROM nope", &st), VG_EIO);
	assert_null(st);
	assert_string_equal(f->why, "prepare: no such table: nope");

	assert_int_equal(put(f, "a", 1), 0);
	assert_int_equal(put(f, "a", 2), VG_EINVAL);
	assert_string_equal(f->why, "kv: UNIQUE constraint failed: kv.k");
	assert_int_equal(put(f, "b", -1), VG_EINVAL);
	assert_string_equal(f->why, "kv: CHECK constraint failed: v >= 0");
	assert_int_equal(vg_db_mod_exec(&f->q, "DELETE FROM nope"), VG_EIO);
	assert_string_equal(f->why, "DELETE FROM nope: no such table: nope");

	/* a module that reports every database failure alike */
	f->q.prefix = "database";
	f->q.eio_only = 1;
	assert_int_equal(put(f, "a", 3), VG_EIO);
	assert_string_equal(f->why, "database: UNIQUE constraint failed: kv.k");
	assert_int_equal(vg_db_mod_prepare(&f->q, "SELEKT 1", &st), VG_EIO);
	assert_string_equal(f->why, "database: near \"SELEKT\": syntax error");

	/* DONE where a row was due is still a failure */
	assert_int_equal(vg_db_mod_sqlfail(&f->q, SQLITE_DONE, "x"), VG_EIO);

	/* no buffer: codes only (vg_db_errmsg keeps SQLite's message) */
	f->q.msg = NULL;
	strcpy(f->why, "kept");
	assert_int_equal(put(f, "a", 4), VG_EIO);
	assert_string_equal(f->why, "kept");
	assert_string_equal(vg_db_errmsg(f->db), "UNIQUE constraint failed: kv.k");

	/* a short buffer is cut, never overrun */
	char small[8];
	f->q.msg = small;
	f->q.msg_len = sizeof(small);
	assert_int_equal(vg_db_mod_failf(&f->q, VG_ENOTFOUND, "no user '%s'", "somebody"), VG_ENOTFOUND);
	assert_string_equal(small, "no user");
	assert_int_equal(count(f, "SELECT count(*) FROM kv"), 1);
}

static void test_bind_null(void **state)
{
	fx *f = *state;
	assert_int_equal(put(f, NULL, 5), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM kv WHERE k IS NULL AND v = 5"), 1);
}

static void test_own_transaction(void **state)
{
	fx *f = *state;
	sqlite3 *h = vg_db_sqlite(f->db), *o = other(f);
	assert_int_equal(vg_db_mod_begin(&f->q), 0);
	assert_int_equal(f->q.tx_own, 1);
	assert_int_equal(sqlite3_get_autocommit(h), 0);
	/* BEGIN IMMEDIATE: the write lock is taken before the first write */
	assert_int_equal(sqlite3_exec(o, "INSERT INTO kv (k, v) VALUES ('o', 0)", NULL, NULL, NULL), SQLITE_BUSY);
	assert_int_equal(put(f, "a", 1), 0);
	assert_int_equal(vg_db_mod_end(&f->q, 0), 0);
	assert_int_equal(sqlite3_get_autocommit(h), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kv WHERE k = 'a'"), 1);

	/* a failure rolls everything back and keeps its own message */
	assert_int_equal(vg_db_mod_begin(&f->q), 0);
	assert_int_equal(put(f, "b", 1), 0);
	assert_int_equal(put(f, "a", 1), VG_EINVAL);
	assert_int_equal(vg_db_mod_end(&f->q, VG_EINVAL), VG_EINVAL);
	assert_string_equal(f->why, "kv: UNIQUE constraint failed: kv.k");
	assert_int_equal(sqlite3_get_autocommit(h), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kv"), 1);
	assert_int_equal(sqlite3_exec(o, "INSERT INTO kv (k, v) VALUES ('o', 0)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(o);
}

static void test_failed_commit(void **state)
{
	fx *f = *state;
	assert_int_equal(vg_db_mod_begin(&f->q), 0);
	assert_int_equal(vg_db_mod_exec(&f->q, "INSERT INTO child (pid) VALUES (42)"), 0);
	/* the deferred foreign key fails at COMMIT: rolled back, named */
	assert_int_equal(vg_db_mod_end(&f->q, 0), VG_EINVAL);
	assert_string_equal(f->why, "COMMIT: FOREIGN KEY constraint failed");
	assert_int_equal(sqlite3_get_autocommit(vg_db_sqlite(f->db)), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM child"), 0);
}

static void test_savepoint_in_batch(void **state)
{
	fx *f = *state;
	sqlite3 *h = vg_db_sqlite(f->db);
	assert_int_equal(vg_db_begin(f->db), 0);
	assert_int_equal(put(f, "batch", 1), 0);
	assert_int_equal(vg_db_mod_begin(&f->q), 0);
	assert_int_equal(f->q.tx_own, 0);
	assert_int_equal(put(f, "undone", 1), 0);
	assert_int_equal(vg_db_mod_end(&f->q, VG_ENOTFOUND), VG_ENOTFOUND);
	/* only the module's part is gone; the caller's batch is still open */
	assert_int_equal(vg_db_in_txn(f->db), 1);
	assert_int_equal(sqlite3_get_autocommit(h), 0);
	assert_int_equal(vg_db_mod_begin(&f->q), 0);
	assert_int_equal(put(f, "kept", 1), 0);
	assert_int_equal(vg_db_mod_end(&f->q, 0), 0);
	assert_int_equal(sqlite3_get_autocommit(h), 0);
	assert_int_equal(vg_db_commit(f->db), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM kv WHERE k IN ('batch', 'kept')"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM kv WHERE k = 'undone'"), 0);

	/* the caller's rollback also undoes a released savepoint */
	assert_int_equal(vg_db_begin(f->db), 0);
	assert_int_equal(vg_db_mod_begin(&f->q), 0);
	assert_int_equal(put(f, "late", 1), 0);
	assert_int_equal(vg_db_mod_end(&f->q, 0), 0);
	assert_int_equal(vg_db_rollback(f->db), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM kv WHERE k = 'late'"), 0);
}

/* a savepoint name that is not a plain word is refused, not run */
static void test_savepoint_name(void **state)
{
	fx *f = *state;
	/* inside a batch, where begin takes the module's savepoint */
	assert_int_equal(vg_db_begin(f->db), 0);
	f->q.savepoint = "x; DROP TABLE kv";
	assert_int_equal(vg_db_mod_begin(&f->q), VG_EINVAL);
	assert_non_null(strstr(f->why, "savepoint name"));
	assert_int_equal(vg_db_rollback(f->db), 0);
	assert_int_equal(sqlite3_get_autocommit(vg_db_sqlite(f->db)), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM sqlite_master WHERE name = 'kv'"), 1); /* not dropped */
}

static void test_module_new(void **state)
{
	fx *f = *state;
	static const char *const two[] = {"CREATE TABLE two (x INTEGER);"};
	int err = 0;
	long long *p = vg_db_module_new(f->db, "dbmod2", two, 1, 4 * sizeof(long long), &err);
	if (p == NULL)
		fail_msg("module_new: %d %s", err, vg_db_errmsg(f->db));
	assert_true(p[0] == 0 && p[3] == 0);
	free(p);
	assert_int_equal(vg_db_module_version(f->db, "dbmod2"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM two"), 0);
	/* the database holds a newer version of the module than this caller knows */
	err = 0;
	assert_null(vg_db_module_new(f->db, "dbmod2", two, 0, 16, &err));
	assert_int_equal(err, VG_EUNSUPPORTED);
	err = 0;
	assert_null(vg_db_module_new(f->db, "Bad-Name", two, 1, 16, &err));
	assert_int_equal(err, VG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rc),
		cmocka_unit_test_setup_teardown(test_messages_and_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_savepoint_in_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_savepoint_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_new, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
