/* audit.c — the append-only audit log (see audit.h): its tables and triggers,
 * the bounded append, and the filtered listing for export. */
#include "server/audit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Migration N (1-based) of module "audit". Append, never edit. */
static const char *const audit_migrations[] = {
	/* 1: the log, and the triggers that keep it append-only */
	"CREATE TABLE audit_log ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ts_us INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" actor_ip TEXT,"
	" action TEXT NOT NULL,"
	" object_type TEXT,"
	" object_id TEXT,"
	" details TEXT CHECK (details IS NULL OR (json_valid(details) AND json_type(details) = 'object')));"
	"CREATE INDEX audit_log_ts ON audit_log(ts_us);"
	"CREATE INDEX audit_log_object ON audit_log(object_type, object_id);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
};

int vg_audit_init(vg_db *db)
{
	return vg_db_migrate_module(db, VG_AUDIT_MODULE, audit_migrations,
				    sizeof(audit_migrations) / sizeof(audit_migrations[0]));
}

static int field_ok(const char *s, int required)
{
	if (s == NULL)
		return required ? VG_EINVAL : 0;
	size_t n = strnlen(s, VG_AUDIT_MAX_FIELD + 1);
	if (n > VG_AUDIT_MAX_FIELD)
		return VG_ELIMIT;
	return required && n == 0 ? VG_EINVAL : 0;
}

int vg_audit_record(vg_db *db, const vg_audit_entry *e)
{
	int r;
	if (e == NULL)
		return VG_EINVAL;
	if ((r = field_ok(e->actor, 1)) != 0 || (r = field_ok(e->action, 1)) != 0 ||
	    (r = field_ok(e->actor_ip, 0)) != 0 || (r = field_ok(e->object_type, 0)) != 0 ||
	    (r = field_ok(e->object_id, 0)) != 0)
		return r;
	if (e->details != NULL && strnlen(e->details, VG_AUDIT_MAX_DETAILS + 1) > VG_AUDIT_MAX_DETAILS)
		return VG_ELIMIT;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
		vg_db_sqlite(db),
		"INSERT INTO audit_log (ts_us, actor, actor_ip, action, object_type, object_id, details)"
		" VALUES (?,?,?,?,?,?,?)",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return vg_db_rc(rc);
	if ((rc = sqlite3_bind_int64(st, 1, e->ts_us)) == SQLITE_OK &&
	    (rc = vg_db_bind_text(st, 2, e->actor)) == SQLITE_OK &&
	    (rc = vg_db_bind_text(st, 3, e->actor_ip)) == SQLITE_OK &&
	    (rc = vg_db_bind_text(st, 4, e->action)) == SQLITE_OK &&
	    (rc = vg_db_bind_text(st, 5, e->object_type)) == SQLITE_OK &&
	    (rc = vg_db_bind_text(st, 6, e->object_id)) == SQLITE_OK &&
	    (rc = vg_db_bind_text(st, 7, e->details)) == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return vg_db_rc(rc);
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int vg_audit_list(vg_db *db, const vg_audit_filter *f, vg_audit_fn fn, void *ud)
{
	static const vg_audit_filter none = {0};
	if (f == NULL)
		f = &none;
	int r = vg_db_module_version(db, VG_AUDIT_MODULE);
	if (r < 0)
		return r;
	if (r == 0)
		return VG_ENOTFOUND;
	size_t alen = f->action != NULL ? strlen(f->action) : 0;
	int prefix = alen > 0 && f->action[alen - 1] == '.';
	char sql[512] = "SELECT id, ts_us, actor, actor_ip, action, object_type, object_id, details"
			" FROM audit_log WHERE id > ?";
	if (f->has_from)
		strcat(sql, " AND ts_us >= ?");
	if (f->has_to)
		strcat(sql, " AND ts_us < ?");
	if (f->actor != NULL)
		strcat(sql, " AND actor = ?");
	if (f->action != NULL) /* prefix by range: no LIKE wildcards to escape */
		strcat(sql, prefix ? " AND action >= ? AND substr(action, 1, ?) = ?" : " AND action = ?");
	if (f->object_type != NULL)
		strcat(sql, " AND object_type = ?");
	if (f->object_id != NULL)
		strcat(sql, " AND object_id = ?");
	strcat(sql, " ORDER BY id");
	if (f->limit > 0)
		strcat(sql, " LIMIT ?");
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(vg_db_sqlite(db), sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vg_db_rc(rc);
	int i = 1;
	sqlite3_bind_int64(st, i++, f->after_id);
	if (f->has_from)
		sqlite3_bind_int64(st, i++, f->from_us);
	if (f->has_to)
		sqlite3_bind_int64(st, i++, f->to_us);
	if (f->actor != NULL)
		sqlite3_bind_text(st, i++, f->actor, -1, SQLITE_STATIC);
	if (f->action != NULL) {
		sqlite3_bind_text(st, i++, f->action, -1, SQLITE_STATIC);
		if (prefix) {
			sqlite3_bind_int64(st, i++, (sqlite3_int64)alen);
			sqlite3_bind_text(st, i++, f->action, -1, SQLITE_STATIC);
		}
	}
	if (f->object_type != NULL)
		sqlite3_bind_text(st, i++, f->object_type, -1, SQLITE_STATIC);
	if (f->object_id != NULL)
		sqlite3_bind_text(st, i++, f->object_id, -1, SQLITE_STATIC);
	if (f->limit > 0)
		sqlite3_bind_int64(st, i++,
				   (uint64_t)f->limit > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)f->limit);
	r = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_audit_entry e = {
			.id = sqlite3_column_int64(st, 0),
			.ts_us = sqlite3_column_int64(st, 1),
			.actor = col(st, 2),
			.actor_ip = col(st, 3),
			.action = col(st, 4),
			.object_type = col(st, 5),
			.object_id = col(st, 6),
			.details = col(st, 7),
		};
		if (e.actor == NULL || e.action == NULL) {
			r = VG_ENOMEM; /* NOT NULL columns: only a failed conversion gives NULL */
			break;
		}
		if ((r = fn(ud, &e)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vg_db_rc(rc);
	sqlite3_finalize(st);
	return r;
}
