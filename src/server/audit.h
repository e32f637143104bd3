/* audit.h — the audit log: who changed what, when and from where (module
 * "audit" of DIR/vigil.db, table audit_log).
 *
 * Append-only: there is no update or delete call, and SQLite triggers abort
 * any UPDATE or DELETE of audit_log ("audit_log is append-only"), whoever
 * issues it. That guards against mistakes and against code paths that should
 * not touch the log; it is not tamper-proofing against someone who can write
 * the database file itself.
 * Entries never hold secrets (passwords, tokens, session ids): callers put
 * names, ids and outcomes in `details`, a JSON object.
 *
 * Ownership: entries passed in are copied; entries passed to a list callback
 * are borrowed until it returns.
 * Errors: VG_EINVAL (a required field missing, details not a JSON object),
 * VG_ELIMIT (a field longer than its limit below), VG_EIO/VG_ENOMEM from
 * SQLite (vg_db_errmsg says why).
 * Thread-safety: as the vg_db (one thread at a time). */
#ifndef VG_AUDIT_H
#define VG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

#define VG_AUDIT_MODULE "audit"
#define VG_AUDIT_MAX_FIELD 256		 /* bytes in actor, actor_ip, action, object_type, object_id */
#define VG_AUDIT_MAX_DETAILS (64 * 1024) /* bytes in details */

/* Creates or migrates the audit tables; call once after vg_db_open (read-write). */
VG_WUR int vg_audit_init(vg_db *db);

typedef struct vg_audit_entry {
	int64_t id;		 /* set by vg_audit_list; ignored by vg_audit_record */
	int64_t ts_us;		 /* µs since the epoch UTC */
	const char *actor;	 /* required: a user name, or "cli:<login>" for the local CLI */
	const char *actor_ip;	 /* NULL = not over the network */
	const char *action;	 /* required: "user.add", "login.fail", ... (docs/users.md) */
	const char *object_type; /* NULL, or "user", "token", "session" */
	const char *object_id;	 /* NULL, or the user name / token id */
	const char *details;	 /* NULL, or a JSON object */
} vg_audit_entry;

/* Appends one entry, inside the caller's transaction if one is open (so a
 * change and its entry commit together). */
VG_WUR int vg_audit_record(vg_db *db, const vg_audit_entry *e);

typedef struct vg_audit_filter {
	int has_from, has_to;
	int64_t from_us, to_us;	 /* from_us <= ts_us < to_us */
	const char *actor;	 /* exact; NULL = any */
	const char *action;	 /* exact, or a prefix ending in '.' ("login." = every login.*); NULL = any */
	const char *object_type; /* exact; NULL = any */
	const char *object_id;	 /* exact; NULL = any */
	int64_t after_id;	 /* only entries with id > after_id (paging); 0 = from the start */
	size_t limit;		 /* at most this many; 0 = no limit */
} vg_audit_filter;

/* Non-zero stops the list, which then returns that value. */
typedef int (*vg_audit_fn)(void *ud, const vg_audit_entry *e);

/* Entries matching f (NULL = all) in the order they were recorded (id). 0,
 * the callback's non-zero value, or a VG_E* code. Works on read-only handles
 * of a database where the module exists; VG_ENOTFOUND when it does not. */
VG_WUR int vg_audit_list(vg_db *db, const vg_audit_filter *f, vg_audit_fn fn, void *ud);

#endif
