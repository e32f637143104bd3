/* db.c — DIR/vigil.db (see db.h): open with the settings and migrations, the
 * alert insert on prepared statements kept for the server's hot path, and
 * filtered scans in time order. */
#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Migration N (1-based) brings user_version N-1 to N. Append, never edit. */
static const char *const migrations[] = {
	/* 1: alerts */
	"CREATE TABLE alerts ("
	" id INTEGER PRIMARY KEY,"
	" ts_us INTEGER NOT NULL,"
	" rule_id TEXT,"
	" rule_title TEXT,"
	" level TEXT,"
	" host TEXT,"
	" source_ip TEXT,"
	" is_correlation INTEGER NOT NULL DEFAULT 0,"
	" doc TEXT NOT NULL);"
	"CREATE INDEX alerts_ts ON alerts(ts_us);"
	"CREATE INDEX alerts_rule ON alerts(rule_id, ts_us);",
	/* 2: per-module schema versions (vg_db_migrate_module) */
	"CREATE TABLE schema_modules ("
	" module TEXT PRIMARY KEY,"
	" version INTEGER NOT NULL CHECK (version >= 0));",
	/* 3: where an alert's event came from, to attribute it to a system as
	 * its source's activity is (NULL in older rows) */
	"ALTER TABLE alerts ADD COLUMN agent_id TEXT;"
	"ALTER TABLE alerts ADD COLUMN peer_ip TEXT;"
	"ALTER TABLE alerts ADD COLUMN input TEXT;",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == VG_DB_SCHEMA_VERSION,
	       "VG_DB_SCHEMA_VERSION is the number of migrations");

struct vg_db {
	sqlite3 *h;
	sqlite3_stmt *ins, *begin, *commit, *rollback;
	int in_txn;
	char why[256]; /* a failed module migration's SQLite message (a ROLLBACK clears SQLite's own) */
};

int vg_db_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW: return 0;
	case SQLITE_NOMEM: return VG_ENOMEM;
	case SQLITE_CONSTRAINT: return VG_EINVAL;
	case SQLITE_TOOBIG: return VG_ELIMIT;
	default: return VG_EIO;
	}
}

/* The database's own calls: a file that is not a database (or a damaged
 * one) is a parse error, and a failed constraint of its own tables is I/O. */
static int map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: return VG_EPARSE;
	case SQLITE_CONSTRAINT: return VG_EIO;
	default: return vg_db_rc(rc);
	}
}

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
	if (why == NULL || n == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static int exec(vg_db *db, const char *sql)
{
	return map_rc(sqlite3_exec(db->h, sql, NULL, NULL, NULL));
}

static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : map_rc(rc);
}

static int user_version(vg_db *db, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return map_rc(rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : map_rc(rc);
}

/* One transaction per migration; BEGIN IMMEDIATE takes the write lock before
 * the version is re-read, so two processes migrating at once apply each step
 * once. */
static int migrate(vg_db *db)
{
	const int n = (int)(sizeof(migrations) / sizeof(migrations[0]));
	for (;;) {
		int v = 0, r;
		if ((r = exec(db, "BEGIN IMMEDIATE")) != 0)
			return r;
		if ((r = user_version(db, &v)) != 0)
			goto fail;
		if (v > n) {
			r = VG_EUNSUPPORTED;
			goto fail;
		}
		if (v == n)
			return exec(db, "COMMIT");
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if ((r = exec(db, migrations[v])) != 0 || (r = exec(db, pragma)) != 0 || (r = exec(db, "COMMIT")) != 0)
			goto fail;
		continue;
	fail:
		(void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
}

static int prepare(vg_db *db, const char *sql, sqlite3_stmt **st)
{
	return map_rc(sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL));
}

vg_db *vg_db_open(const char *dir, const vg_db_opts *o, int *err, char *why, size_t why_len)
{
	int ro = o != NULL && o->readonly, r = VG_ENOMEM;
	char path[4096];
	vg_db *db = calloc(1, sizeof(*db));
	if (db == NULL) {
		say(why, why_len, "out of memory");
		goto err;
	}
	if (snprintf(path, sizeof(path), "%s/%s", dir, VG_DB_FILE) >= (int)sizeof(path)) {
		r = VG_EINVAL;
		say(why, why_len, "%s: path too long", dir);
		goto err;
	}
	if (ro) {
		if (access(path, F_OK) != 0) {
			r = errno == ENOENT ? VG_ENOTFOUND : VG_EIO;
			say(why, why_len, "%s: %s", path, strerror(errno));
			goto err;
		}
	} else {
		/* create it ourselves for the mode: SQLite gives its -wal and -shm
		 * files the database file's permissions. Only when it does not exist
		 * (O_EXCL): closing any descriptor of an existing database file would
		 * drop the POSIX locks this process's other connections hold on it,
		 * and another process could then delete the WAL under them. */
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			close(fd);
		} else if (errno != EEXIST) {
			r = VG_EIO;
			say(why, why_len, "%s: %s", path, strerror(errno));
			goto err;
		}
	}
	int flags = (ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
	int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	if (rc != SQLITE_OK)
		goto sqlerr;
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, VG_DB_BUSY_MS);
	/* the first read: a file that is not a database fails here */
	if ((rc = sqlite3_exec(db->h, "PRAGMA foreign_keys = ON; SELECT count(*) FROM sqlite_schema", NULL, NULL,
			       NULL)) != SQLITE_OK)
		goto sqlerr;
	if (!ro) {
		sqlite3_stmt *st;
		if ((rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &st, NULL)) != SQLITE_OK)
			goto sqlerr;
		rc = sqlite3_step(st);
		int wal = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			goto sqlerr;
		if (!wal) {
			r = VG_EIO;
			say(why, why_len, "%s: cannot switch to WAL mode", path);
			goto err;
		}
		if ((rc = sqlite3_exec(db->h, "PRAGMA synchronous = FULL", NULL, NULL, NULL)) != SQLITE_OK)
			goto sqlerr;
		if ((r = migrate(db)) != 0) {
			if (r == VG_EUNSUPPORTED)
				say(why, why_len, "%s: schema newer than this vigil (version > %d)", path,
				    VG_DB_SCHEMA_VERSION);
			else
				say(why, why_len, "%s: migration failed: %s", path, sqlite3_errmsg(db->h));
			goto err;
		}
		if ((r = prepare(db, "INSERT INTO alerts (ts_us, rule_id, rule_title, level, host, source_ip,"
				     " is_correlation, doc, agent_id, peer_ip, input) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
				 &db->ins)) != 0 ||
		    (r = prepare(db, "BEGIN IMMEDIATE", &db->begin)) != 0 ||
		    (r = prepare(db, "COMMIT", &db->commit)) != 0 || (r = prepare(db, "ROLLBACK", &db->rollback)) != 0) {
			say(why, why_len, "%s: %s", path, sqlite3_errmsg(db->h));
			goto err;
		}
	} else {
		int v = 0;
		if ((r = user_version(db, &v)) != 0) {
			say(why, why_len, "%s: %s", path, sqlite3_errmsg(db->h));
			goto err;
		}
		if (v > VG_DB_SCHEMA_VERSION || v < 1) {
			r = v < 1 ? VG_EPARSE : VG_EUNSUPPORTED;
			say(why, why_len, "%s: schema version %d, this vigil reads 1 to %d", path, v,
			    VG_DB_SCHEMA_VERSION);
			goto err;
		}
	}
	return db;
sqlerr:
	r = map_rc(rc);
	say(why, why_len, "%s: %s", path, db->h != NULL ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
err:
	vg_db_close(db);
	*err = r;
	return NULL;
}

void vg_db_close(vg_db *db)
{
	if (db == NULL)
		return;
	if (db->in_txn && db->rollback != NULL)
		(void)step_reset(db->rollback);
	sqlite3_finalize(db->ins);
	sqlite3_finalize(db->begin);
	sqlite3_finalize(db->commit);
	sqlite3_finalize(db->rollback);
	sqlite3_close(db->h); /* the last connection checkpoints and removes the WAL */
	free(db);
}

sqlite3 *vg_db_sqlite(vg_db *db)
{
	return db->h;
}

static int module_name_ok(const char *m)
{
	size_t n = 0;
	if (m == NULL)
		return 0;
	for (; m[n] != '\0'; n++)
		if (!((m[n] >= 'a' && m[n] <= 'z') || (m[n] >= '0' && m[n] <= '9') || m[n] == '_') ||
		    n >= VG_DB_MODULE_NAME_MAX)
			return 0;
	return n > 0;
}

/* The module's version inside the caller's transaction: 0 when absent. */
static int module_version(vg_db *db, const char *module, int64_t *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->h, "SELECT version FROM schema_modules WHERE module = ?", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return map_rc(rc);
	sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
	*v = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : map_rc(rc);
}

static int module_set_version(vg_db *db, const char *module, int64_t v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->h,
				    "INSERT INTO schema_modules (module, version) VALUES (?, ?)"
				    " ON CONFLICT (module) DO UPDATE SET version = excluded.version",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return map_rc(rc);
	sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return map_rc(rc);
}

int vg_db_migrate_module(vg_db *db, const char *module, const char *const *scripts, size_t n)
{
	if (!module_name_ok(module) || (scripts == NULL && n != 0) || n > INT_MAX)
		return VG_EINVAL;
	db->why[0] = '\0';
	if (db->begin == NULL || db->in_txn || !sqlite3_get_autocommit(db->h))
		return VG_EINVAL; /* read-only, or inside someone's transaction */
	for (;;) {
		int64_t v = 0;
		int r;
		if ((r = exec(db, "BEGIN IMMEDIATE")) != 0)
			return r;
		if ((r = module_version(db, module, &v)) != 0)
			goto fail;
		if (v < 0 || (uint64_t)v > n) {
			r = VG_EUNSUPPORTED;
			goto fail;
		}
		if ((uint64_t)v == n)
			return exec(db, "COMMIT");
		if (scripts[v] == NULL) {
			r = VG_EINVAL;
			goto fail;
		}
		if ((r = exec(db, scripts[v])) != 0 || (r = module_set_version(db, module, v + 1)) != 0 ||
		    (r = exec(db, "COMMIT")) != 0)
			goto fail;
		continue;
	fail:
		if (r == VG_EUNSUPPORTED)
			snprintf(db->why, sizeof(db->why), "module %s: schema version %lld, this vigil knows 0 to %zu",
				 module, (long long)v, n);
		else
			snprintf(db->why, sizeof(db->why), "module %s: migration to version %lld: %s", module,
				 (long long)v + 1, sqlite3_errmsg(db->h));
		if (!sqlite3_get_autocommit(db->h))
			(void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
}

void *vg_db_module_new(vg_db *db, const char *module, const char *const *scripts, size_t n, size_t size, int *err)
{
	int r = vg_db_migrate_module(db, module, scripts, n);
	void *m = r == 0 ? calloc(1, size) : NULL;
	if (m == NULL)
		*err = r != 0 ? r : VG_ENOMEM;
	return m;
}

int vg_db_module_version(vg_db *db, const char *module)
{
	if (!module_name_ok(module))
		return VG_EINVAL;
	int64_t v = 0;
	int r = module_version(db, module, &v);
	if (r != 0)
		return r;
	return v > INT_MAX ? VG_EUNSUPPORTED : (int)v;
}

int vg_db_schema_version(vg_db *db)
{
	int v = -1;
	return user_version(db, &v) == 0 ? v : -1;
}

const char *vg_db_errmsg(vg_db *db)
{
	if (db->why[0] != '\0' && sqlite3_errcode(db->h) == SQLITE_OK)
		return db->why;
	return sqlite3_errmsg(db->h);
}

int vg_db_in_txn(const vg_db *db)
{
	return db->in_txn;
}

int vg_db_begin(vg_db *db)
{
	if (db->in_txn)
		return 0;
	if (db->begin == NULL)
		return VG_EINVAL; /* read-only */
	int r = step_reset(db->begin);
	if (r == 0)
		db->in_txn = 1;
	return r;
}

int vg_db_commit(vg_db *db)
{
	if (!db->in_txn)
		return 0;
	int r = step_reset(db->commit);
	if (r != 0 && !sqlite3_get_autocommit(db->h))
		(void)step_reset(db->rollback);
	db->in_txn = 0;
	return r;
}

int vg_db_rollback(vg_db *db)
{
	if (!db->in_txn)
		return 0;
	int r = step_reset(db->rollback);
	db->in_txn = 0;
	return r;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int vg_db_alert_insert(vg_db *db, const vg_db_alert *a)
{
	sqlite3_stmt *st = db->ins;
	if (st == NULL || a->doc == NULL)
		return VG_EINVAL;
	if (a->doc_len > INT_MAX)
		return VG_ELIMIT;
	int rc;
	if ((rc = sqlite3_bind_int64(st, 1, a->ts_us)) != SQLITE_OK || (rc = bind_text(st, 2, a->rule_id)) != SQLITE_OK ||
	    (rc = bind_text(st, 3, a->rule_title)) != SQLITE_OK || (rc = bind_text(st, 4, a->level)) != SQLITE_OK ||
	    (rc = bind_text(st, 5, a->host)) != SQLITE_OK || (rc = bind_text(st, 6, a->source_ip)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 7, a->is_correlation != 0)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 8, a->doc, (int)a->doc_len, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = bind_text(st, 9, a->agent_id)) != SQLITE_OK || (rc = bind_text(st, 10, a->peer_ip)) != SQLITE_OK ||
	    (rc = bind_text(st, 11, a->input)) != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		return map_rc(rc);
	}
	int r = step_reset(st);
	sqlite3_clear_bindings(st); /* the bound strings are the caller's */
	return r;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int vg_db_alerts_scan(vg_db *db, const vg_db_filter *f, vg_db_alert_fn fn, void *ud)
{
	static const vg_db_filter none = {0};
	if (f == NULL)
		f = &none;
	char sql[512] = "SELECT id, ts_us, rule_id, rule_title, level, host, source_ip, is_correlation, doc"
			" FROM alerts WHERE 1";
	if (f->has_from)
		strcat(sql, " AND ts_us >= ?");
	if (f->has_to)
		strcat(sql, " AND ts_us < ?");
	if (f->rule != NULL)
		strcat(sql, " AND rule_id = ?");
	if (f->level != NULL)
		strcat(sql, " AND level = ?");
	if (f->host != NULL)
		strcat(sql, " AND host = ?");
	strcat(sql, " ORDER BY ts_us, id");
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return map_rc(rc);
	int i = 1;
	if (f->has_from)
		sqlite3_bind_int64(st, i++, f->from_us);
	if (f->has_to)
		sqlite3_bind_int64(st, i++, f->to_us);
	if (f->rule != NULL)
		sqlite3_bind_text(st, i++, f->rule, -1, SQLITE_STATIC);
	if (f->level != NULL)
		sqlite3_bind_text(st, i++, f->level, -1, SQLITE_STATIC);
	if (f->host != NULL)
		sqlite3_bind_text(st, i++, f->host, -1, SQLITE_STATIC);
	int r = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_db_alert a = {
			.id = sqlite3_column_int64(st, 0),
			.ts_us = sqlite3_column_int64(st, 1),
			.rule_id = col_text(st, 2),
			.rule_title = col_text(st, 3),
			.level = col_text(st, 4),
			.host = col_text(st, 5),
			.source_ip = col_text(st, 6),
			.is_correlation = sqlite3_column_int(st, 7),
			.doc = col_text(st, 8),
		};
		a.doc_len = (size_t)sqlite3_column_bytes(st, 8);
		if (a.doc == NULL) {
			r = VG_ENOMEM;
			break;
		}
		if ((r = fn(ud, &a)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = map_rc(rc);
	sqlite3_finalize(st);
	return r;
}

/* ---- a module's own statements ---- */

int vg_db_mod_failf(vg_db_mod *m, int r, const char *fmt, ...)
{
	if (m->msg != NULL && m->msg_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m->msg, m->msg_len, fmt, ap);
		va_end(ap);
	}
	return r;
}

int vg_db_mod_sqlfail(vg_db_mod *m, int rc, const char *what)
{
	int r = vg_db_rc(rc);
	if (m->eio_only || r == 0)
		r = r == VG_ENOMEM ? VG_ENOMEM : VG_EIO;
	const char *w = m->prefix != NULL ? m->prefix : what != NULL ? what : "database";
	return vg_db_mod_failf(m, r, "%s: %s", w, sqlite3_errmsg(m->db->h));
}

int vg_db_mod_prepare(vg_db_mod *m, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(m->db->h, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : vg_db_mod_sqlfail(m, rc, "prepare");
}

int vg_db_mod_step_done(vg_db_mod *m, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : vg_db_mod_sqlfail(m, rc, what);
	sqlite3_finalize(st);
	return r;
}

int vg_db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

int vg_db_mod_exec(vg_db_mod *m, const char *sql)
{
	int rc = sqlite3_exec(m->db->h, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : vg_db_mod_sqlfail(m, rc, sql);
}

int vg_db_mod_begin(vg_db_mod *m)
{
	char sql[VG_DB_MODULE_NAME_MAX + 16];
	m->tx_own = sqlite3_get_autocommit(m->db->h) != 0;
	if (m->tx_own)
		return vg_db_mod_exec(m, "BEGIN IMMEDIATE");
	if (!module_name_ok(m->savepoint))
		return vg_db_mod_failf(m, VG_EINVAL, "savepoint name: '%.64s'", m->savepoint ? m->savepoint : "");
	snprintf(sql, sizeof(sql), "SAVEPOINT %s", m->savepoint);
	return vg_db_mod_exec(m, sql);
}

int vg_db_mod_end(vg_db_mod *m, int r)
{
	char sql[2 * VG_DB_MODULE_NAME_MAX + 32]; /* the name was checked by vg_db_mod_begin */
	if (r == 0) {
		if (!m->tx_own)
			snprintf(sql, sizeof(sql), "RELEASE %s", m->savepoint);
		if ((r = vg_db_mod_exec(m, m->tx_own ? "COMMIT" : sql)) == 0)
			return 0;
	}
	if (m->tx_own) {
		if (!sqlite3_get_autocommit(m->db->h))
			(void)sqlite3_exec(m->db->h, "ROLLBACK", NULL, NULL, NULL);
	} else {
		snprintf(sql, sizeof(sql), "ROLLBACK TO %s; RELEASE %s", m->savepoint, m->savepoint);
		(void)sqlite3_exec(m->db->h, sql, NULL, NULL, NULL);
	}
	return r;
}
