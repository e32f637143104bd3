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
 * if the handler answered nothing. A handler may instead write a raw body
 * (PDF, HTML) into c->rs->body with c->rs->content_type: without a status
 * it is sent as 200. A transaction left open by a handler is rolled back.
 * Routing: vg_api_new (before vg_http_start) adds one vg_http prefix route
 * per method (GET POST PUT PATCH DELETE) on "/api/v1/" and dispatches to its
 * own table (VG_API_MAX_ROUTES; exact, then longest prefix, 404/405 + Allow
 * as http.h), so modules do not use up VG_HTTP_MAX_ROUTES; routes registered
 * on the vg_http itself under /api/v1 (POST /api/v1/events) still win.
 * Thread-safety: handlers run on the HTTP threads, serialised by the API
 * lock. */
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
#define VG_API_MAX_BODY (1u << 20)   /* bytes of a JSON request body (413 beyond) */
#define VG_API_MAX_ROUTES 256        /* routes of all modules together */
#define VG_API_MAX_LOGINS 4          /* logins (Argon2, 64 MiB each) at once; 503 beyond */
#define VG_API_PAGE_DEFAULT 100      /* list endpoints: ?limit default */
#define VG_API_PAGE_MAX 1000         /* list endpoints: ?limit maximum */
#define VG_API_SESSION_COOKIE "vigil_session"
#define VG_API_CSRF_HEADER "X-CSRF-Token"

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
/* The auth module the API was opened with (borrowed; use under the lock). */
vg_auth *vg_api_auth(vg_api *a);

/* ---- answering ---- */
/* status with v as the body (steals the reference to v). */
void vg_api_json(vg_api_call *c, int status, json_t *v);
/* {"error":{"status":S,"code":CODE,"message":...}}; code is a stable word
 * ("not_found", "invalid", "conflict", "forbidden"...). */
void vg_api_error(vg_api_call *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Adds a response header (copied); failing that the answer becomes a 500. */
void vg_api_header(vg_api_call *c, const char *name, const char *value);
/* Answers the error status of a VG_E* code r: EINVAL/EPARSE 400 "invalid",
 * ENOTFOUND 404 "not_found", ELIMIT 400 "limit", EUNSUPPORTED 400
 * "unsupported", EIO 503 "unavailable" (+ Retry-After), else 500. */
void vg_api_fail(vg_api_call *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Answers 500 "internal" "WHAT: <vg_err_str(r)> (<vg_db_errmsg(db)>)": a
 * module's call on db failed for a reason of the server's, not the
 * request's (api_core.c). */
void vg_api_db_error(vg_api_call *c, vg_db *db, int r, const char *what);

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
/* 400 naming the first body member not in names (NULL-terminated). */
VG_WUR int vg_api_only(vg_api_call *c, const char *const *names);
/* An integer query argument in [min, max] (def when absent); 400 otherwise. */
VG_WUR int vg_api_query_int(vg_api_call *c, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out);

/* ---- pagination (docs/api.md): ?limit=N&after=CURSOR -> {"items":[...],"next":CURSOR|null} ---- */
/* limit (default VG_API_PAGE_DEFAULT, 1..VG_API_PAGE_MAX) and the text
 * cursor `after` (NULL: first page); 400 on bad values. */
VG_WUR int vg_api_page(vg_api_call *c, size_t *limit, const char **after);
/* The same with an integer cursor (after_id 0: first page). */
VG_WUR int vg_api_page_id(vg_api_call *c, size_t *limit, int64_t *after_id);
/* Answers 200 {"items":items,"next":next} (steals both; next NULL: null). */
void vg_api_page_answer(vg_api_call *c, json_t *items, json_t *next);

/* A time query argument (RFC 3339, e.g. 2026-11-21T10:00:00Z; a date alone
 * is midnight UTC): *has 1 and *us when present; 400 naming it when bad. */
VG_WUR int vg_api_query_time(vg_api_call *c, const char *name, int *has, int64_t *us);
/* Times in answers: RFC 3339 UTC with microseconds ("2026-11-21T10:00:00.000000Z");
 * 0 gives null. A new reference (NULL on ENOMEM). */
json_t *vg_api_time(int64_t us);

/* The address part of an "IP:PORT" / "[v6]:PORT" peer into out. */
void vg_api_peer_ip(const char *peer, char *out, size_t n);

/* ---- internal to api.c / api_core.c ---- */
/* The value of cookie name of the request into out (n bytes with NUL):
 * 1 when present and it fits, else 0. */
int vg_api_cookie(const vg_http_req *rq, const char *name, char *out, size_t n);
/* A route whose handler takes the lock itself (login: Argon2 must not queue
 * threads on the lock beyond VG_API_MAX_LOGINS). */
VG_WUR int vg_api_route_nolock(vg_api *a, const char *method, const char *path, int flags, vg_api_handler h,
			       void *ud);
/* 0 when a login slot was taken (give it back with vg_api_login_done), VG_ELIMIT when all are busy. */
VG_WUR int vg_api_login_slot(vg_api *a);
void vg_api_login_done(vg_api *a);

#endif
