/* db.h — the server's state database: DIR/vigil.db (SQLite, WAL mode).
 *
 * Schema: versioned by PRAGMA user_version; migrations are a table of SQL
 * scripts in db.c, each applied in its own transaction together with the new
 * user_version, so a crash leaves the schema at one version or the next. A
 * database of a newer version than this build knows is refused.
 * Version 1: `alerts` (id, ts_us, rule_id, rule_title, level, host, source_ip,
 * is_correlation, doc = the alert's JSON document as in alerts.ndjson,
 * without its '\n'), indexed on ts_us and rule_id.
 * Version 2: `schema_modules` (module TEXT PRIMARY KEY, version INTEGER): the
 * schema version of each module that keeps its own tables (auth, audit, ...).
 *
 * Modules: a module (src/server/auth.c, ...) owns its tables and migrates them
 * with vg_db_migrate_module, a table of scripts of its own versioned in
 * schema_modules, with the same one-transaction-per-step rule. It prepares
 * and finalises its own statements on vg_db_sqlite(db), through the shared
 * helpers of a vg_db_mod (below): SQLite codes mapped to VG_E*, the failure
 * written into the module's message buffer, and a change made all or nothing
 * whether or not the caller has a transaction open.
 *
 * Settings: journal_mode=WAL (readers never block the writer),
 * synchronous=FULL (a commit is fsynced: the server commits alerts together
 * with the archive, at most every 100 ms or 1000 events, so one more fsync per
 * batch costs little and an alert committed is as durable as the events),
 * foreign_keys=ON, busy_timeout VG_DB_BUSY_MS.
 *
 * Thread-safety: a vg_db is used by one thread at a time. One writer per
 * database (the server); any number of read-only handles in other processes
 * (`vigil alerts export`) may scan while it writes.
 *
 * Errors: VG_EIO (cannot open/create/write; *why names the SQLite reason),
 * VG_EPARSE (not a database or corrupt), VG_ENOTFOUND (read-only open of a
 * missing database), VG_EUNSUPPORTED (schema newer than this build),
 * VG_ENOMEM. */
#ifndef VG_DB_H
#define VG_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define VG_DB_FILE "vigil.db"
#define VG_DB_BUSY_MS 5000
#define VG_DB_SCHEMA_VERSION 3
#define VG_DB_MODULE_NAME_MAX 64 /* bytes in a module name ([a-z0-9_]) */

typedef struct vg_db vg_db;

typedef struct vg_db_opts {
	int readonly; /* 1: open an existing database for scans only (no migration) */
} vg_db_opts;

/* Opens (creating when not read-only, mode 0600) DIR/vigil.db and migrates it
 * to VG_DB_SCHEMA_VERSION. NULL on failure with *err set and, when why is not
 * NULL, a message (path and reason) in why[0..why_len). */
vg_db *vg_db_open(const char *dir, const vg_db_opts *o, int *err, char *why, size_t why_len);
/* Rolls back an open transaction, finalises, closes. NULL is a no-op. */
void vg_db_close(vg_db *db);

/* The schema version (PRAGMA user_version) of an open database. */
int vg_db_schema_version(vg_db *db);

/* The raw SQLite handle, for modules that keep their own tables (borrowed;
 * valid until vg_db_close; the module finalises its statements before). */
struct sqlite3;
struct sqlite3 *vg_db_sqlite(vg_db *db);

/* Brings the tables of `module` to version n: scripts[v] takes it from
 * version v to v + 1 (append, never edit). Each script runs in its own
 * BEGIN IMMEDIATE transaction together with the version bump in
 * schema_modules, so a crash leaves the module at one version or the next and
 * two processes migrating at once apply each step once. 0 when done (also
 * when already at n); VG_EUNSUPPORTED when the database holds a newer version
 * of the module than n (a newer vigil wrote it); VG_EINVAL for a bad module
 * name ([a-z0-9_], 1..VG_DB_MODULE_NAME_MAX bytes), a read-only handle or an
 * open vg_db_begin batch; VG_EIO etc. when a script fails (vg_db_errmsg says
 * why; the failed step is rolled back). */
VG_WUR int vg_db_migrate_module(vg_db *db, const char *module, const char *const *scripts, size_t n);

/* A module's state: migrates `module` as vg_db_migrate_module, then
 * allocates size zeroed bytes (the module's struct; the caller frees it).
 * NULL on failure with *err set. */
void *vg_db_module_new(vg_db *db, const char *module, const char *const *scripts, size_t n, size_t size, int *err);

/* The schema version of `module` (0 when it never migrated), or a negative
 * VG_E* code. */
int vg_db_module_version(vg_db *db, const char *module);

/* The last SQLite error message of db (borrowed; valid until the next call). */
const char *vg_db_errmsg(vg_db *db);

/* A transaction for a batch of inserts. vg_db_begin when one is already open
 * is a no-op; vg_db_commit without one is a no-op. On a failed commit the
 * batch is rolled back. */
VG_WUR int vg_db_begin(vg_db *db);
VG_WUR int vg_db_commit(vg_db *db);
/* Abandons the open batch (no-op without one). Not VG_WUR: callers on an
 * error path have nothing better to do when it fails (closing the
 * connection rolls back too). */
int vg_db_rollback(vg_db *db);
int vg_db_in_txn(const vg_db *db);

/* ---- a module's own statements ---- */

/* The VG_E* code of a SQLite result code (primary or extended): 0 for OK,
 * ROW and DONE, VG_ENOMEM, VG_EINVAL (a constraint failed), VG_ELIMIT (a
 * string or blob too big), VG_EIO for the rest. */
int vg_db_rc(int rc);

/* What a module's SQL helpers share, embedded in the module's struct and set
 * with a designated initialiser ({.db = db, .msg = m->why, ...}). The module
 * owns the message buffer; tx_own is the helpers' own. */
typedef struct vg_db_mod {
	vg_db *db;
	char *msg; /* the module's message buffer (msg_len bytes); NULL: none (vg_db_errmsg still says why) */
	size_t msg_len;
	const char *prefix;    /* a SQL failure reads "<prefix>: <SQLite message>"; NULL: "<what>: ..." */
	const char *savepoint; /* vg_db_mod_begin's savepoint: [a-z0-9_], at most VG_DB_MODULE_NAME_MAX bytes */
	int eio_only;	       /* every SQL failure is VG_EIO (VG_ENOMEM for memory), not vg_db_rc's code */
	int tx_own;	       /* set by vg_db_mod_begin: the open change is its own BEGIN IMMEDIATE */
} vg_db_mod;

struct sqlite3_stmt;

/* Formats the module's message (when m->msg) and returns r. */
int vg_db_mod_failf(vg_db_mod *m, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A failed SQLite call with result rc: the message "<what>: <SQLite
 * message>" (prefix, see above) and its code, never 0 (VG_EIO for a result
 * code that is not an error, e.g. DONE where a row was due). */
int vg_db_mod_sqlfail(vg_db_mod *m, int rc, const char *what);
/* sqlite3_prepare_v2 of sql on the module's handle; "prepare: ..." on failure. */
VG_WUR int vg_db_mod_prepare(vg_db_mod *m, const char *sql, struct sqlite3_stmt **st);
/* Steps st once (a row is no error: statements that return none, or whose
 * row is not wanted) and finalises it, also on failure ("<what>: ..."). */
int vg_db_mod_step_done(vg_db_mod *m, struct sqlite3_stmt *st, const char *what);
/* Binds s as text (copied), or SQL NULL when s is NULL; SQLite's result. */
int vg_db_bind_text(struct sqlite3_stmt *st, int i, const char *s);
/* sqlite3_exec of sql, no rows; the failure message names the SQL text. */
VG_WUR int vg_db_mod_exec(vg_db_mod *m, const char *sql);

/* A change that is all or nothing: vg_db_mod_begin opens BEGIN IMMEDIATE of
 * its own when no transaction is open (the write lock up front, so a
 * concurrent writer waits on busy_timeout rather than failing mid-way), else
 * the module's savepoint inside the caller's transaction (a vg_db_begin
 * batch, the API's). Not
 * re-entrant: one open change per vg_db_mod. vg_db_mod_end(m, r) commits
 * (or releases) it when r is 0 and returns 0 or the commit's failure; when r
 * is a failure, or the commit failed, it rolls the change back (the caller's
 * transaction stays open) and returns that failure, the module's message
 * untouched by the rollback. */
VG_WUR int vg_db_mod_begin(vg_db_mod *m);
int vg_db_mod_end(vg_db_mod *m, int r);

typedef struct vg_db_alert {
	int64_t id;             /* set by scans; ignored by insert */
	int64_t ts_us;          /* the alert's @timestamp, µs since the epoch UTC */
	const char *rule_id;    /* NULL = SQL NULL, as the four below */
	const char *rule_title;
	const char *level;
	const char *host;
	const char *source_ip;  /* the event's source.ip (often the attacker) */
	int is_correlation;
	const char *doc; /* JSON document, doc_len bytes (no '\n'); required */
	/* The event's origin, as its source's activity (server/activity.h), for
	 * attribution to a system; NULL = SQL NULL. Insert only (scans leave
	 * them NULL). */
	const char *agent_id; /* the sending agent */
	const char *peer_ip;  /* the sender's address */
	const char *input;    /* "agent", "syslog-tcp"... */
	size_t doc_len;
} vg_db_alert;

/* Inserts one alert (prepared statement; strings are copied). Inside the
 * caller's vg_db_begin..vg_db_commit, or its own implicit transaction. */
VG_WUR int vg_db_alert_insert(vg_db *db, const vg_db_alert *a);

typedef struct vg_db_filter {
	int has_from, has_to;
	int64_t from_us, to_us; /* from_us <= ts_us < to_us */
	const char *rule;       /* exact rule id; NULL = any */
	const char *level;      /* exact level; NULL = any */
	const char *host;       /* exact host; NULL = any */
} vg_db_filter;

/* Called per alert in (ts_us, id) order; the strings are borrowed until the
 * callback returns. Non-zero stops the scan, which then returns that value. */
typedef int (*vg_db_alert_fn)(void *ud, const vg_db_alert *a);

/* Alerts matching f (NULL = all). 0, the callback's non-zero value, or a
 * VG_E* code. */
VG_WUR int vg_db_alerts_scan(vg_db *db, const vg_db_filter *f, vg_db_alert_fn fn, void *ud);

#endif
