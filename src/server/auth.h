/* auth.h — users, roles, unit scoping, API tokens, sessions and login rate
 * limiting (module "auth" of DIR/vigil.db; docs/users.md).
 *
 * Secrets: passwords are stored as Argon2id hashes (t=3, m=64 MiB, p=1,
 * 16-byte salt), API tokens and session ids only as SHA-256; the plaintext
 * of a token or session is returned once, to the caller's buffer. Nothing
 * here logs or audits a secret; password and token buffers handled here are
 * wiped (OPENSSL_cleanse) — the caller wipes its own copies.
 * Audit: every change (users, tokens) and every login attempt, successful or
 * not, is recorded through audit.h in the same transaction as the change.
 *
 * Ownership: a vg_auth borrows its vg_db (close the vg_auth first). Structs
 * filled for the caller (vg_principal, vg_auth_user, vg_auth_token_info) are
 * self-contained copies; list callbacks get entries borrowed until they
 * return.
 * Errors: VG_EINVAL (malformed name, role, unit, weak password; or the
 * name exists), VG_ENOTFOUND (no such user/token/session, wrong password,
 * revoked or expired), VG_ELIMIT (login refused by the rate limiter, or a
 * value over its limit), VG_EIO/VG_ENOMEM (SQLite; vg_auth_errmsg).
 * Thread-safety: as the vg_db (one thread at a time). */
#ifndef VG_AUTH_H
#define VG_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

#define VG_AUTH_MODULE "auth"

#define VG_AUTH_NAME_MAX 64	/* user name: [a-z0-9._@-], starts with a letter or digit */
#define VG_AUTH_DISPLAY_MAX 256 /* display name, bytes (UTF-8, no control characters) */
#define VG_AUTH_UNIT_MAX 255	/* unit path "a/b/c", bytes */
#define VG_AUTH_LABEL_MAX 128	/* token label, bytes */
#define VG_AUTH_PW_MIN 12	/* password length, bytes */
#define VG_AUTH_PW_MAX 1024	/* password length, bytes */
#define VG_AUTH_IP_MAX 64	/* peer address text, bytes */

/* Argon2id parameters of new hashes (existing hashes keep theirs). */
#define VG_AUTH_ARGON2_T 3
#define VG_AUTH_ARGON2_M_KIB (64 * 1024)
#define VG_AUTH_ARGON2_P 1
#define VG_AUTH_SALT_LEN 16
#define VG_AUTH_HASH_LEN 32
#define VG_AUTH_HASH_BUF 128 /* an encoded hash with its NUL */

/* "vgt_" + base64url(32 random bytes); its id is the 8 characters after "vgt_". */
#define VG_AUTH_TOKEN_PREFIX "vgt_"
#define VG_AUTH_TOKEN_LEN 47
#define VG_AUTH_TOKEN_BUF (VG_AUTH_TOKEN_LEN + 1)
#define VG_AUTH_TOKEN_ID_LEN 8
#define VG_AUTH_TOKEN_ID_BUF (VG_AUTH_TOKEN_ID_LEN + 1)
/* session id and CSRF token: base64url(32 random bytes) */
#define VG_AUTH_SESSION_LEN 43
#define VG_AUTH_SESSION_BUF (VG_AUTH_SESSION_LEN + 1)

/* Login rate limits, per 15-minute sliding window: failed attempts. */
#define VG_AUTH_LOGIN_WINDOW_US (15LL * 60 * 1000000)
#define VG_AUTH_LOGIN_MAX_PER_USER 5
#define VG_AUTH_LOGIN_MAX_PER_IP 20

/* Session lifetime defaults. */
#define VG_AUTH_SESSION_IDLE_S (30 * 60)
#define VG_AUTH_SESSION_MAX_S (12 * 3600)

typedef enum vg_role { VG_ROLE_ADMIN = 1, VG_ROLE_ANALYST = 2, VG_ROLE_AUDITOR = 3 } vg_role;
typedef enum vg_token_scope { VG_SCOPE_ALL = 0, VG_SCOPE_INGEST = 1 } vg_token_scope;

/* "admin", "analyst", "auditor" / "all", "ingest"; NULL for a bad value. */
const char *vg_role_name(vg_role r);
const char *vg_scope_name(vg_token_scope s);
/* 0 and *out, or VG_EINVAL. */
VG_WUR int vg_role_parse(const char *s, vg_role *out);
VG_WUR int vg_scope_parse(const char *s, vg_token_scope *out);

/* Who is making a request, as established by a session or a token. */
typedef struct vg_principal {
	int64_t user_id;
	char name[VG_AUTH_NAME_MAX + 1];
	vg_role role;
	char unit[VG_AUTH_UNIT_MAX + 1];     /* "" = all units */
	vg_token_scope scope;		     /* VG_SCOPE_ALL for sessions */
	char token_id[VG_AUTH_TOKEN_ID_BUF]; /* "" for sessions */
} vg_principal;

/* Authorization. Every check is also false for an ingest-scoped token,
 * except vg_auth_can_ingest. */
int vg_auth_can_read(const vg_principal *p);   /* see data at all (then filter with unit_visible) */
int vg_auth_can_write(const vg_principal *p);  /* change data: admin, analyst; auditor never */
int vg_auth_can_admin(const vg_principal *p);  /* users, other users' tokens: admin only */
int vg_auth_can_ingest(const vg_principal *p); /* submit events: admin, analyst, any scope */
/* Whether an object of `unit` (a path "a/b/c"; NULL = assigned to no unit)
 * is visible to p: admins and unscoped users see all; a user scoped to U sees
 * U and its descendants ("U/..."), not "Ux" nor objects without a unit. */
int vg_auth_unit_visible(const vg_principal *p, const char *unit);

/* 1 if s is a valid unit path: segments of [A-Za-z0-9._-] (not "." or "..")
 * joined by single '/', 1..VG_AUTH_UNIT_MAX bytes. */
int vg_auth_unit_valid(const char *s);
/* 1 if s is a valid user name (see VG_AUTH_NAME_MAX). */
int vg_auth_name_valid(const char *s);

typedef struct vg_auth vg_auth;

typedef struct vg_auth_opts {
	int64_t session_idle_s; /* 0 = VG_AUTH_SESSION_IDLE_S */
	int64_t session_max_s;	/* 0 = VG_AUTH_SESSION_MAX_S */
} vg_auth_opts;

/* Migrates modules "audit" and "auth" of db (read-write) and prepares. NULL
 * on failure with *err set. o may be NULL. */
vg_auth *vg_auth_open(vg_db *db, const vg_auth_opts *o, int *err);
void vg_auth_close(vg_auth *a);
/* Why the last call failed (borrowed; valid until the next call). */
const char *vg_auth_errmsg(vg_auth *a);

/* Who makes a change, for the audit log: a user name or "cli:<login>", and
 * the peer address (NULL = local). */
typedef struct vg_auth_actor {
	const char *name;
	const char *ip;
} vg_auth_actor;

/* 0, or VG_EINVAL when pw is shorter than VG_AUTH_PW_MIN bytes, longer than
 * VG_AUTH_PW_MAX, or contains a NUL/newline. */
VG_WUR int vg_auth_password_ok(const char *pw, size_t n);
/* An Argon2id encoded hash of pw into out (at most out_len bytes with NUL). */
VG_WUR int vg_auth_password_hash(const char *pw, size_t n, char *out, size_t out_len);
/* 0 when pw matches the encoded hash, VG_ENOTFOUND when not, VG_EINVAL for a
 * malformed hash. */
VG_WUR int vg_auth_password_verify(const char *encoded, const char *pw, size_t n);

typedef struct vg_auth_user_new {
	const char *name;
	const char *display_name; /* NULL = none */
	vg_role role;
	const char *unit;     /* NULL = all units */
	const char *password; /* pw_len bytes; checked by vg_auth_password_ok */
	size_t pw_len;
} vg_auth_user_new;

typedef struct vg_auth_user {
	int64_t id;
	char name[VG_AUTH_NAME_MAX + 1];
	char display_name[VG_AUTH_DISPLAY_MAX + 1];
	vg_role role;
	char unit[VG_AUTH_UNIT_MAX + 1]; /* "" = all units */
	int disabled;
	int64_t created_us, updated_us, last_login_us; /* last_login_us 0 = never */
} vg_auth_user;

/* Adds a user. VG_EINVAL with vg_auth_errmsg naming the field for a bad
 * name/display name/unit/role/password or an existing name. */
VG_WUR int vg_auth_user_add(vg_auth *a, const vg_auth_actor *who, const vg_auth_user_new *u, int64_t now_us,
			    int64_t *id_out);
VG_WUR int vg_auth_user_get(vg_auth *a, const char *name, vg_auth_user *out);
typedef int (*vg_auth_user_fn)(void *ud, const vg_auth_user *u);
/* Users by name; non-zero from fn stops and is returned. */
VG_WUR int vg_auth_user_list(vg_auth *a, vg_auth_user_fn fn, void *ud);
/* A new password ends every session of the user. */
VG_WUR int vg_auth_user_set_password(vg_auth *a, const vg_auth_actor *who, const char *name, const char *pw,
				     size_t pw_len, int64_t now_us);
VG_WUR int vg_auth_user_set_role(vg_auth *a, const vg_auth_actor *who, const char *name, vg_role role, int64_t now_us);
/* unit NULL = all units. */
VG_WUR int vg_auth_user_set_unit(vg_auth *a, const vg_auth_actor *who, const char *name, const char *unit,
				 int64_t now_us);
/* Disabling ends the user's sessions; their tokens stop working while disabled.
 * Neither this nor set_role removes the last enabled admin (VG_EINVAL). */
VG_WUR int vg_auth_user_set_disabled(vg_auth *a, const vg_auth_actor *who, const char *name, int disabled,
				     int64_t now_us);
/* display NULL or "" clears it; VG_EINVAL for control characters or over
 * VG_AUTH_DISPLAY_MAX bytes. */
VG_WUR int vg_auth_user_set_display_name(vg_auth *a, const vg_auth_actor *who, const char *name, const char *display,
					 int64_t now_us);

typedef struct vg_auth_token_new {
	const char *user;  /* user name */
	const char *label; /* NULL = none */
	vg_token_scope scope;
	int64_t expires_us; /* 0 = never */
} vg_auth_token_new;

typedef struct vg_auth_token_info {
	char id[VG_AUTH_TOKEN_ID_BUF];
	char user[VG_AUTH_NAME_MAX + 1];
	char label[VG_AUTH_LABEL_MAX + 1];
	vg_token_scope scope;
	int64_t created_us, expires_us, last_used_us, revoked_us; /* 0 = never / not */
} vg_auth_token_info;

/* Creates a token for t->user: the plaintext into token_out (shown once,
 * never stored), its id into id_out (may be NULL). */
VG_WUR int vg_auth_token_create(vg_auth *a, const vg_auth_actor *who, const vg_auth_token_new *t, int64_t now_us,
				char token_out[VG_AUTH_TOKEN_BUF], char id_out[VG_AUTH_TOKEN_ID_BUF]);
typedef int (*vg_auth_token_fn)(void *ud, const vg_auth_token_info *t);
/* The tokens of user (NULL = every user), newest first, revoked included. */
VG_WUR int vg_auth_token_list(vg_auth *a, const char *user, vg_auth_token_fn fn, void *ud);
/* VG_ENOTFOUND when no live token has this id. */
VG_WUR int vg_auth_token_revoke(vg_auth *a, const vg_auth_actor *who, const char *id, int64_t now_us);
/* The principal of a presented token. VG_ENOTFOUND for a malformed, unknown,
 * revoked or expired token, or one of a disabled user. Records last use
 * (at most once a minute). */
VG_WUR int vg_auth_check_token(vg_auth *a, const char *token, int64_t now_us, vg_principal *p);

typedef struct vg_auth_login_req {
	const char *name;
	const char *password;
	size_t pw_len;
	const char *peer_ip; /* required for the per-address limit; NULL = "local" */
	int64_t now_us;
} vg_auth_login_req;

typedef struct vg_auth_login_res {
	char session[VG_AUTH_SESSION_BUF]; /* the session id for the cookie (secret) */
	char csrf[VG_AUTH_SESSION_BUF];	   /* the session's CSRF token */
	vg_principal principal;
	int64_t retry_after_us; /* with VG_ELIMIT: when another attempt may succeed */
} vg_auth_login_res;

/* Checks name/password and opens a session. VG_ENOTFOUND for an unknown
 * name, a wrong password or a disabled user (one code for all three);
 * VG_ELIMIT, without checking the password, when the name has had
 * VG_AUTH_LOGIN_MAX_PER_USER failures or the address VG_AUTH_LOGIN_MAX_PER_IP
 * within VG_AUTH_LOGIN_WINDOW_US (res->retry_after_us says for how long). */
VG_WUR int vg_auth_login(vg_auth *a, const vg_auth_login_req *req, vg_auth_login_res *res);
/* The principal of a session id and, when csrf_out is not NULL, its CSRF
 * token. VG_ENOTFOUND for unknown, idle-expired or expired sessions (which
 * are then deleted) and disabled users. Records activity (at most once a
 * minute, so idle expiry is precise to a minute). */
VG_WUR int vg_auth_session(vg_auth *a, const char *session, int64_t now_us, vg_principal *p,
			   char csrf_out[VG_AUTH_SESSION_BUF]);
/* Constant-time comparison of a presented CSRF token with the session's. */
int vg_auth_csrf_equal(const char *expected, const char *presented);
/* Ends a session; VG_ENOTFOUND when there was none. */
VG_WUR int vg_auth_logout(vg_auth *a, const char *session, const char *peer_ip, int64_t now_us);

#endif
