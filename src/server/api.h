/* api.h — the plumbing every REST handler under /api/v1 shares: who is
 * calling (authentication), may they (authorization), the JSON body, the
 * state database, JSON answers and errors, the audit log. Modules (systems,
 * coverage, incidents, reports...) register their routes through
 * vg_api_route; the wrapper does everything before and after the handler.
 *
 * Authentication: `Authorization: Bearer TOKEN` (API tokens of auth.h), or
 * the session cookie `vigil_session` (POST /api/v1/login); with a session,
 * unsafe methods (POST/PUT/PATCH/DELETE) also need the header
 * `X-CSRF-Token` equal to the session's CSRF token. Tokens of scope
 * "ingest" are refused everywhere but the event intake.
 * Authorization per route (flags): VG_API_READ (any role; the handler still
 * filters by unit with vg_auth_unit_visible), VG_API_WRITE (admin, analyst),
 * VG_API_ADMIN (admin). Refusals: 401 (no or bad credentials, with
 * WWW-Authenticate), 403 (role, CSRF), before the handler runs.
 * Body: for routes with VG_API_JSON_BODY the body must be a JSON object
 * (415 for another Content-Type, 400 naming the problem for malformed JSON,
 * deeper than VG_MAX_JSON_DEPTH, or not an object); call->body holds it.
 * Database: handlers run with call->db, the API's own connection, under the
 * API's lock (one handler at a time touches it; handlers are short). A
 * handler that writes wraps its changes and their audit entries in
 * vg_api_begin/vg_api_commit so that a failure changes nothing.
 *
 * Errors: handlers answer with vg_api_json / vg_api_error (from http.h's
 * error shape {"error":{"status","code","message"}}); the wrapper answers 500
 * if the handler answered nothing. Thread-safety: handlers run on the HTTP
 * threads, serialised by the API lock. */
#ifndef VG_API_H
#define VG_API_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "net/http.h"
#include "server/auth.h"
#include "store/db.h"

#define VG_API_PREFIX "/api/v1"

enum vg_api_flags {
	VG_API_PUBLIC = 0x0,    /* no authentication (login, health) */
	VG_API_READ = 0x1,      /* authenticated, any role */
	VG_API_WRITE = 0x2,     /* admin or analyst */
	VG_API_ADMIN = 0x4,     /* admin */
	VG_API_JSON_BODY = 0x8, /* the body must be a JSON object: call->body */
};

typedef struct vg_api vg_api;

typedef struct vg_api_call {
	const vg_http_req *rq;
	vg_http_resp *rs;
	vg_api *api;
	vg_db *db;           /* the API's connection (under the API lock) */
	vg_principal who;    /* the caller (zeroed for VG_API_PUBLIC routes) */
	json_t *body;        /* VG_API_JSON_BODY: the parsed object (borrowed) */
	const char *rest;    /* prefix routes: the path after the prefix ("" if none) */
	int64_t now_us;      /* the request's time (wall clock; tests may fix it) */
} vg_api_call;

typedef void (*vg_api_handler)(void *ud, vg_api_call *c);

/* Opens the API context on db (borrowed, used only under the lock; the
 * caller keeps it open until vg_api_free) with auth (borrowed, on the same
 * db). NULL on ENOMEM. */
vg_api *vg_api_new(vg_http *srv, vg_db *db, vg_auth *auth);
void vg_api_free(vg_api *a);
/* Registers METHOD VG_API_PREFIX path (prefix: path ends in '/' and the
 * rest is in call->rest) before vg_http_start. */
VG_WUR int vg_api_route(vg_api *a, const char *method, const char *path, int prefix, int flags, vg_api_handler h,
			void *ud);
/* Registers the API's own routes: POST /login, POST /logout, GET /me,
 * users and tokens (admin), GET /audit (admin, auditor). */
VG_WUR int vg_api_register_core(vg_api *a);

/* The lock around the database, for code outside handlers (the server's
 * background jobs) that uses the same connection. */
void vg_api_lock(vg_api *a);
void vg_api_unlock(vg_api *a);
/* For tests: a fixed clock (0: the real one). */
void vg_api_set_clock(vg_api *a, int64_t now_us);

/* ---- answering ---- */
/* status with v as the body (steals the reference to v). */
void vg_api_json(vg_api_call *c, int status, json_t *v);
/* {"error":{"status":S,"code":CODE,"message":...}}; code is a stable word
 * ("not_found", "invalid", "conflict", "forbidden"...). */
void vg_api_error(vg_api_call *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- transactions and audit ---- */
VG_WUR int vg_api_begin(vg_api_call *c);
VG_WUR int vg_api_commit(vg_api_call *c);
void vg_api_rollback(vg_api_call *c);
/* An audit entry by the caller (actor = who.name, actor_ip = peer IP):
 * action such as "system.create", object type/id, details (a JSON object,
 * borrowed; NULL = {}). Inside the caller's transaction. */
VG_WUR int vg_api_audit(vg_api_call *c, const char *action, const char *object_type, const char *object_id,
			json_t *details);

/* ---- request helpers ---- */
/* A query argument, NULL when absent. */
const char *vg_api_query(const vg_api_call *c, const char *name);
/* Body members with type checks; on a wrong type or a missing required one
 * they answer 400 naming the member and return VG_EINVAL. */
VG_WUR int vg_api_str(vg_api_call *c, const char *name, int required, size_t maxlen, const char **out);
VG_WUR int vg_api_int(vg_api_call *c, const char *name, int required, int64_t min, int64_t max, int64_t *out);
VG_WUR int vg_api_bool(vg_api_call *c, const char *name, int required, int *out);

#endif
