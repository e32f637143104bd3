/* auth.c — users, API tokens, sessions and the login rate limiter on the
 * state database (see auth.h): the "auth" tables, Argon2id password hashes,
 * SHA-256-only storage of tokens and session ids, and an audit entry in the
 * same transaction as every change. */
#include "server/auth.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "server/audit.h"

/* Migration N (1-based) of module "auth". Append, never edit. */
static const char *const auth_migrations[] = {
	/* 1: users, API tokens, sessions, failed logins */
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" display_name TEXT,"
	" role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'auditor')),"
	" unit TEXT," /* unit scope; NULL = all units */
	" pw_hash TEXT NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created_us INTEGER NOT NULL,"
	" updated_us INTEGER NOT NULL,"
	" last_login_us INTEGER);"
	"CREATE TABLE api_tokens ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id),"
	" name TEXT,"
	" prefix TEXT NOT NULL UNIQUE,"
	" hash BLOB NOT NULL,"
	" scope TEXT NOT NULL CHECK (scope IN ('all', 'ingest')),"
	" created_us INTEGER NOT NULL,"
	" expires_us INTEGER,"
	" last_used_us INTEGER,"
	" revoked_us INTEGER);"
	"CREATE INDEX api_tokens_user ON api_tokens(user_id);"
	"CREATE TABLE sessions ("
	" id_hash BLOB PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id),"
	" csrf TEXT NOT NULL,"
	" created_us INTEGER NOT NULL,"
	" expires_us INTEGER NOT NULL,"
	" last_seen_us INTEGER NOT NULL,"
	" peer_ip TEXT);"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE TABLE login_attempts ("
	" id INTEGER PRIMARY KEY,"
	" ts_us INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" ip TEXT NOT NULL);"
	"CREATE INDEX login_attempts_name ON login_attempts(name, ts_us);"
	"CREATE INDEX login_attempts_ip ON login_attempts(ip, ts_us);"
	"CREATE INDEX login_attempts_ts ON login_attempts(ts_us);",
};

#define TOUCH_EVERY_US (60LL * 1000000) /* last_used / last_seen resolution */

struct vg_auth {
	vg_db *db;
	sqlite3 *h;
	vg_db_mod q; /* statements, messages into why, changes with their audit entry */
	int64_t idle_us, max_us;
	char dummy[VG_AUTH_HASH_BUF]; /* verified against for unknown users: same cost */
	char why[256];
};

const char *vg_auth_errmsg(vg_auth *a)
{
	return a->why;
}

/* ---- names and values ---- */

static const char *const role_names[] = {NULL, "admin", "analyst", "auditor"};

const char *vg_role_name(vg_role r)
{
	return r >= VG_ROLE_ADMIN && r <= VG_ROLE_AUDITOR ? role_names[r] : NULL;
}

const char *vg_scope_name(vg_token_scope s)
{
	return s == VG_SCOPE_ALL ? "all" : s == VG_SCOPE_INGEST ? "ingest" : NULL;
}

int vg_role_parse(const char *s, vg_role *out)
{
	for (int r = VG_ROLE_ADMIN; s != NULL && r <= VG_ROLE_AUDITOR; r++)
		if (strcmp(s, role_names[r]) == 0) {
			*out = (vg_role)r;
			return 0;
		}
	return VG_EINVAL;
}

int vg_scope_parse(const char *s, vg_token_scope *out)
{
	if (s != NULL && strcmp(s, "all") == 0)
		*out = VG_SCOPE_ALL;
	else if (s != NULL && strcmp(s, "ingest") == 0)
		*out = VG_SCOPE_INGEST;
	else
		return VG_EINVAL;
	return 0;
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int vg_auth_name_valid(const char *s)
{
	if (s == NULL || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (n >= VG_AUTH_NAME_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

int vg_auth_unit_valid(const char *s)
{
	if (s == NULL)
		return 0;
	size_t n = 0, seg = 0, dots = 0;
	for (;; n++) {
		char c = s[n];
		if (c == '/' || c == '\0') {
			if (seg == 0 || (seg == dots && seg <= 2)) /* empty, "." or ".." */
				return 0;
			if (c == '\0')
				return 1;
			seg = dots = 0;
			continue;
		}
		if (n >= VG_AUTH_UNIT_MAX || !(is_alnum(c) || c == '.' || c == '_' || c == '-'))
			return 0;
		seg++;
		dots += c == '.';
	}
}

/* Printable text of at most max bytes (UTF-8 passes; control characters do not). */
static int text_ok(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++)
		if (n >= max || (unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return 0;
	return 1;
}

/* Copies src into dst (cap bytes with NUL), control characters as '?',
 * optionally folding A-Z to lower case; returns the bytes of src consumed
 * (less than strlen(src) when it was cut). */
static size_t printable_copy(char *dst, size_t cap, const char *src, int lower)
{
	size_t n = 0;
	for (; src[n] != '\0' && n + 1 < cap; n++) {
		char c = src[n];
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = '?';
		else if (lower && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		dst[n] = c;
	}
	dst[n] = '\0';
	return n;
}

/* ---- authorization ---- */

int vg_auth_can_read(const vg_principal *p)
{
	return p != NULL && p->scope == VG_SCOPE_ALL && vg_role_name(p->role) != NULL;
}

int vg_auth_can_write(const vg_principal *p)
{
	return vg_auth_can_read(p) && (p->role == VG_ROLE_ADMIN || p->role == VG_ROLE_ANALYST);
}

int vg_auth_can_admin(const vg_principal *p)
{
	return vg_auth_can_read(p) && p->role == VG_ROLE_ADMIN;
}

int vg_auth_can_ingest(const vg_principal *p)
{
	return p != NULL && (p->role == VG_ROLE_ADMIN || p->role == VG_ROLE_ANALYST) &&
	       (p->scope == VG_SCOPE_ALL || p->scope == VG_SCOPE_INGEST);
}

int vg_auth_unit_visible(const vg_principal *p, const char *unit)
{
	if (p == NULL)
		return 0;
	if (p->role == VG_ROLE_ADMIN || p->unit[0] == '\0')
		return 1;
	if (unit == NULL)
		return 0;
	size_t n = strlen(p->unit);
	return strncmp(unit, p->unit, n) == 0 && (unit[n] == '\0' || unit[n] == '/');
}

/* ---- secrets ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of n bytes; out holds 4*ceil(n/3) + 1. */
static void b64url_encode(const unsigned char *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64url[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
}

static int b64url_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(is_alnum(s[i]) || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* 43 characters of base64url over 32 random bytes, starting with a letter or
 * digit (so an id taken from it never looks like a command-line option). */
static int random_b64(char out[VG_AUTH_SESSION_BUF])
{
	unsigned char rnd[32];
	do {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return VG_EIO;
		b64url_encode(rnd, sizeof(rnd), out);
	} while (!is_alnum(out[0]));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

static int sha256(const char *s, size_t n, unsigned char out[32])
{
	unsigned int len = 0;
	return EVP_Digest(s, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : VG_EIO;
}

int vg_auth_password_ok(const char *pw, size_t n)
{
	if (pw == NULL || n < VG_AUTH_PW_MIN || n > VG_AUTH_PW_MAX)
		return VG_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (pw[i] == '\0' || pw[i] == '\n' || pw[i] == '\r')
			return VG_EINVAL;
	return 0;
}

static int argon2_map(int rc)
{
	switch (rc) {
	case ARGON2_OK: return 0;
	case ARGON2_VERIFY_MISMATCH: return VG_ENOTFOUND;
	case ARGON2_MEMORY_ALLOCATION_ERROR: return VG_ENOMEM;
	case ARGON2_DECODING_FAIL:
	case ARGON2_DECODING_LENGTH_FAIL:
	case ARGON2_INCORRECT_TYPE: return VG_EINVAL;
	default: return VG_EIO;
	}
}

int vg_auth_password_hash(const char *pw, size_t n, char *out, size_t out_len)
{
	int r = vg_auth_password_ok(pw, n);
	if (r != 0)
		return r;
	if (out_len < argon2_encodedlen(VG_AUTH_ARGON2_T, VG_AUTH_ARGON2_M_KIB, VG_AUTH_ARGON2_P, VG_AUTH_SALT_LEN,
					VG_AUTH_HASH_LEN, Argon2_id) +
			      1)
		return VG_ELIMIT;
	unsigned char salt[VG_AUTH_SALT_LEN];
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return VG_EIO;
	r = argon2_map(argon2id_hash_encoded(VG_AUTH_ARGON2_T, VG_AUTH_ARGON2_M_KIB, VG_AUTH_ARGON2_P, pw, n, salt,
					     sizeof(salt), VG_AUTH_HASH_LEN, out, out_len));
	OPENSSL_cleanse(salt, sizeof(salt));
	return r;
}

int vg_auth_password_verify(const char *encoded, const char *pw, size_t n)
{
	if (encoded == NULL || pw == NULL || n > VG_AUTH_PW_MAX || strncmp(encoded, "$argon2id$", 10) != 0)
		return VG_EINVAL;
	return argon2_map(argon2id_verify(encoded, pw, n));
}

int vg_auth_csrf_equal(const char *expected, const char *presented)
{
	if (expected == NULL || presented == NULL || strnlen(expected, VG_AUTH_SESSION_BUF) != VG_AUTH_SESSION_LEN ||
	    strnlen(presented, VG_AUTH_SESSION_BUF) != VG_AUTH_SESSION_LEN)
		return 0;
	return CRYPTO_memcmp(expected, presented, VG_AUTH_SESSION_LEN) == 0;
}

/* ---- audit ---- */

typedef struct kv {
	const char *k;
	const char *s; /* NULL: the integer i, or null when is_int is 0 */
	int64_t i;
	int is_int;
} kv;

static int audit(vg_auth *a, const vg_auth_actor *who, int64_t now, const char *action, const char *otype,
		 const char *oid, const kv *kvs, size_t n)
{
	vg_buf b = {0};
	vg_jsonw w;
	vg_jsonw_init(&w, &b);
	vg_jsonw_obj_begin(&w);
	for (size_t i = 0; i < n; i++) {
		vg_jsonw_key(&w, kvs[i].k, strlen(kvs[i].k));
		if (kvs[i].s != NULL)
			vg_jsonw_str(&w, kvs[i].s, strlen(kvs[i].s));
		else if (kvs[i].is_int)
			vg_jsonw_int(&w, kvs[i].i);
		else
			vg_jsonw_null(&w);
	}
	vg_jsonw_obj_end(&w);
	int r = vg_jsonw_finish(&w);
	if (r == 0)
		r = vg_buf_append(&b, "", 1);
	if (r != 0) {
		vg_buf_free(&b);
		return vg_db_mod_failf(&a->q, r, "audit %s: %s", action, vg_err_str(r));
	}
	vg_audit_entry e = {
		.ts_us = now,
		.actor = who != NULL && who->name != NULL ? who->name : "system",
		.actor_ip = who != NULL ? who->ip : NULL,
		.action = action,
		.object_type = otype,
		.object_id = oid,
		.details = b.data,
	};
	r = vg_audit_record(a->db, &e);
	vg_buf_free(&b);
	return r == 0 ? 0 : vg_db_mod_failf(&a->q, r, "audit %s: %s (%s)", action, vg_err_str(r), sqlite3_errmsg(a->h));
}

/* ---- open ---- */

vg_auth *vg_auth_open(vg_db *db, const vg_auth_opts *o, int *err)
{
	int r;
	vg_auth *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		*err = VG_ENOMEM;
		return NULL;
	}
	a->db = db;
	a->h = vg_db_sqlite(db);
	/* a change and its audit entry commit together: our own BEGIN IMMEDIATE,
	 * or a savepoint inside the caller's batch */
	a->q = (vg_db_mod){.db = db, .msg = a->why, .msg_len = sizeof(a->why), .savepoint = "vg_auth"};
	a->idle_us = (o != NULL && o->session_idle_s > 0 ? o->session_idle_s : VG_AUTH_SESSION_IDLE_S) * 1000000LL;
	a->max_us = (o != NULL && o->session_max_s > 0 ? o->session_max_s : VG_AUTH_SESSION_MAX_S) * 1000000LL;
	if ((r = vg_audit_init(db)) != 0 ||
	    (r = vg_db_migrate_module(db, VG_AUTH_MODULE, auth_migrations,
				      sizeof(auth_migrations) / sizeof(auth_migrations[0]))) != 0) {
		free(a);
		*err = r;
		return NULL;
	}
	return a;
}

void vg_auth_close(vg_auth *a)
{
	if (a == NULL)
		return;
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

/* ---- users ---- */

#define USER_COLS "id, name, display_name, role, unit, disabled, created_us, updated_us, last_login_us"

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	snprintf(dst, cap, "%s", s != NULL ? s : "");
}

static void user_row(sqlite3_stmt *st, vg_auth_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	copy_col(u->name, sizeof(u->name), st, 1);
	copy_col(u->display_name, sizeof(u->display_name), st, 2);
	if (vg_role_parse((const char *)sqlite3_column_text(st, 3), &u->role) != 0)
		u->role = VG_ROLE_AUDITOR; /* unreachable: CHECK constraint */
	copy_col(u->unit, sizeof(u->unit), st, 4);
	u->disabled = sqlite3_column_int(st, 5) != 0;
	u->created_us = sqlite3_column_int64(st, 6);
	u->updated_us = sqlite3_column_int64(st, 7);
	u->last_login_us = sqlite3_column_int64(st, 8);
}

int vg_auth_user_get(vg_auth *a, const char *name, vg_auth_user *out)
{
	if (!vg_auth_name_valid(name))
		return vg_db_mod_failf(&a->q, VG_ENOTFOUND, "no user '%.64s'", name != NULL ? name : "");
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&a->q, "SELECT " USER_COLS " FROM users WHERE name = ?", &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		user_row(st, out);
	r = rc == SQLITE_ROW	? 0
	    : rc == SQLITE_DONE ? vg_db_mod_failf(&a->q, VG_ENOTFOUND, "no user '%s'", name)
				: vg_db_mod_sqlfail(&a->q, rc, "users");
	sqlite3_finalize(st);
	return r;
}

int vg_auth_user_list(vg_auth *a, vg_auth_user_fn fn, void *ud)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&a->q, "SELECT " USER_COLS " FROM users ORDER BY name", &st), rc;
	if (r != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_auth_user u;
		user_row(st, &u);
		if ((r = fn(ud, &u)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vg_db_mod_sqlfail(&a->q, rc, "users");
	sqlite3_finalize(st);
	return r;
}

static int check_password(vg_auth *a, const char *name, const char *pw, size_t n)
{
	if (vg_auth_password_ok(pw, n) != 0)
		return vg_db_mod_failf(&a->q, VG_EINVAL, "password: %d to %d bytes without newlines required",
				       VG_AUTH_PW_MIN, VG_AUTH_PW_MAX);
	if (n == strlen(name) && memcmp(pw, name, n) == 0)
		return vg_db_mod_failf(&a->q, VG_EINVAL, "password: must not be the user name");
	return 0;
}

int vg_auth_user_add(vg_auth *a, const vg_auth_actor *who, const vg_auth_user_new *u, int64_t now_us, int64_t *id_out)
{
	if (u == NULL || !vg_auth_name_valid(u->name))
		return vg_db_mod_failf(&a->q, VG_EINVAL,
				       "name: 1 to %d characters of a-z 0-9 . _ @ -, starting with a letter or digit",
				       VG_AUTH_NAME_MAX);
	if (u->display_name != NULL && !text_ok(u->display_name, VG_AUTH_DISPLAY_MAX))
		return vg_db_mod_failf(&a->q, VG_EINVAL, "display name: at most %d bytes, no control characters",
				       VG_AUTH_DISPLAY_MAX);
	if (vg_role_name(u->role) == NULL)
		return vg_db_mod_failf(&a->q, VG_EINVAL, "role: admin, analyst or auditor");
	if (u->unit != NULL && !vg_auth_unit_valid(u->unit))
		return vg_db_mod_failf(
			&a->q, VG_EINVAL,
			"unit: a path like ministry/department/unit ([A-Za-z0-9._-] segments, at most %d bytes)",
			VG_AUTH_UNIT_MAX);
	int r = check_password(a, u->name, u->password, u->pw_len);
	if (r != 0)
		return r;
	char hash[VG_AUTH_HASH_BUF];
	if ((r = vg_auth_password_hash(u->password, u->pw_len, hash, sizeof(hash))) != 0)
		return vg_db_mod_failf(&a->q, r, "password hash: %s", vg_err_str(r));
	sqlite3_stmt *st;
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	if ((r = vg_db_mod_prepare(&a->q,
				   "INSERT INTO users (name, display_name, role, unit, pw_hash, created_us, updated_us)"
				   " VALUES (?,?,?,?,?,?,?)",
				   &st)) != 0)
		return vg_db_mod_end(&a->q, r);
	vg_db_bind_text(st, 1, u->name);
	vg_db_bind_text(st, 2, u->display_name);
	vg_db_bind_text(st, 3, vg_role_name(u->role));
	vg_db_bind_text(st, 4, u->unit);
	vg_db_bind_text(st, 5, hash);
	sqlite3_bind_int64(st, 6, now_us);
	sqlite3_bind_int64(st, 7, now_us);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return vg_db_mod_end(&a->q, vg_db_mod_failf(&a->q, VG_EINVAL, "user '%s' already exists", u->name));
	if (rc != SQLITE_DONE)
		return vg_db_mod_end(&a->q, vg_db_mod_sqlfail(&a->q, rc, "users"));
	int64_t id = sqlite3_last_insert_rowid(a->h);
	const kv d[] = {
		{.k = "role", .s = vg_role_name(u->role)},
		{.k = "unit", .s = u->unit},
		{.k = "display_name", .s = u->display_name},
	};
	r = vg_db_mod_end(&a->q, audit(a, who, now_us, "user.add", "user", u->name, d, 3));
	if (r == 0 && id_out != NULL)
		*id_out = id;
	return r;
}

/* An UPDATE of users with ?1 = v, ?2 = iv, ?3 = now_us, ?4 = name (a
 * statement may leave some unused); VG_ENOTFOUND when no row changed. */
static int user_update(vg_auth *a, const char *sql, const char *name, const char *v, int64_t iv, int64_t now_us)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&a->q, sql, &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, v);
	sqlite3_bind_int64(st, 2, iv);
	sqlite3_bind_int64(st, 3, now_us);
	vg_db_bind_text(st, 4, name);
	if ((r = vg_db_mod_step_done(&a->q, st, "users")) != 0)
		return r;
	return sqlite3_changes(a->h) == 1 ? 0 : vg_db_mod_failf(&a->q, VG_ENOTFOUND, "no user '%s'", name);
}

static int end_sessions(vg_auth *a, int64_t user_id, int64_t *n)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&a->q, "DELETE FROM sessions WHERE user_id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, user_id);
	r = vg_db_mod_step_done(&a->q, st, "sessions");
	*n = r == 0 ? sqlite3_changes(a->h) : 0;
	return r;
}

int vg_auth_user_set_password(vg_auth *a, const vg_auth_actor *who, const char *name, const char *pw, size_t pw_len,
			      int64_t now_us)
{
	vg_auth_user u;
	int r = vg_auth_user_get(a, name, &u);
	if (r != 0 || (r = check_password(a, name, pw, pw_len)) != 0)
		return r;
	char hash[VG_AUTH_HASH_BUF];
	if ((r = vg_auth_password_hash(pw, pw_len, hash, sizeof(hash))) != 0)
		return vg_db_mod_failf(&a->q, r, "password hash: %s", vg_err_str(r));
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	int64_t ended = 0;
	if ((r = user_update(a, "UPDATE users SET pw_hash = ?1, updated_us = ?3 WHERE name = ?4", name, hash, 0,
			     now_us)) != 0 ||
	    (r = end_sessions(a, u.id, &ended)) != 0)
		return vg_db_mod_end(&a->q, r);
	const kv d[] = {{.k = "sessions_ended", .i = ended, .is_int = 1}};
	return vg_db_mod_end(&a->q, audit(a, who, now_us, "user.password", "user", name, d, 1));
}

/* VG_EINVAL when u is the only enabled admin (inside the caller's change:
 * the count and the update see the same data). */
static int keep_an_admin(vg_auth *a, const vg_auth_user *u)
{
	if (u->role != VG_ROLE_ADMIN || u->disabled)
		return 0;
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&a->q, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0", &st);
	if (r != 0)
		return r;
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return n > 1 ? 0
		     : vg_db_mod_failf(&a->q, VG_EINVAL,
				       "%s is the last enabled admin: add or enable another admin first", u->name);
}

int vg_auth_user_set_role(vg_auth *a, const vg_auth_actor *who, const char *name, vg_role role, int64_t now_us)
{
	if (vg_role_name(role) == NULL)
		return vg_db_mod_failf(&a->q, VG_EINVAL, "role: admin, analyst or auditor");
	vg_auth_user u;
	int r;
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	if ((r = vg_auth_user_get(a, name, &u)) != 0 || (role != VG_ROLE_ADMIN && (r = keep_an_admin(a, &u)) != 0) ||
	    (r = user_update(a, "UPDATE users SET role = ?1, updated_us = ?3 WHERE name = ?4", name, vg_role_name(role),
			     0, now_us)) != 0)
		return vg_db_mod_end(&a->q, r);
	const kv d[] = {{.k = "from", .s = vg_role_name(u.role)}, {.k = "to", .s = vg_role_name(role)}};
	return vg_db_mod_end(&a->q, audit(a, who, now_us, "user.role", "user", name, d, 2));
}

int vg_auth_user_set_unit(vg_auth *a, const vg_auth_actor *who, const char *name, const char *unit, int64_t now_us)
{
	if (unit != NULL && !vg_auth_unit_valid(unit))
		return vg_db_mod_failf(&a->q, VG_EINVAL, "unit: a path like ministry/department/unit");
	vg_auth_user u;
	int r;
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	if ((r = vg_auth_user_get(a, name, &u)) != 0 ||
	    (r = user_update(a, "UPDATE users SET unit = ?1, updated_us = ?3 WHERE name = ?4", name, unit, 0,
			     now_us)) != 0)
		return vg_db_mod_end(&a->q, r);
	const kv d[] = {{.k = "from", .s = u.unit[0] != '\0' ? u.unit : NULL}, {.k = "to", .s = unit}};
	return vg_db_mod_end(&a->q, audit(a, who, now_us, "user.unit", "user", name, d, 2));
}

int vg_auth_user_set_disabled(vg_auth *a, const vg_auth_actor *who, const char *name, int disabled, int64_t now_us)
{
	vg_auth_user u;
	int r;
	int64_t ended = 0;
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	if ((r = vg_auth_user_get(a, name, &u)) != 0 || (disabled && (r = keep_an_admin(a, &u)) != 0) ||
	    (r = user_update(a, "UPDATE users SET disabled = ?2, updated_us = ?3 WHERE name = ?4", name, NULL,
			     disabled != 0, now_us)) != 0 ||
	    (disabled && (r = end_sessions(a, u.id, &ended)) != 0))
		return vg_db_mod_end(&a->q, r);
	const kv d[] = {{.k = "sessions_ended", .i = ended, .is_int = 1}};
	return vg_db_mod_end(&a->q,
			     audit(a, who, now_us, disabled ? "user.disable" : "user.enable", "user", name, d, 1));
}

int vg_auth_user_set_display_name(vg_auth *a, const vg_auth_actor *who, const char *name, const char *display,
				  int64_t now_us)
{
	if (display != NULL && display[0] == '\0')
		display = NULL;
	if (display != NULL && !text_ok(display, VG_AUTH_DISPLAY_MAX))
		return vg_db_mod_failf(&a->q, VG_EINVAL, "display_name: at most %d bytes, no control characters",
				       VG_AUTH_DISPLAY_MAX);
	vg_auth_user u;
	int r;
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	if ((r = vg_auth_user_get(a, name, &u)) != 0 ||
	    (r = user_update(a, "UPDATE users SET display_name = ?1, updated_us = ?3 WHERE name = ?4", name, display,
			     0, now_us)) != 0)
		return vg_db_mod_end(&a->q, r);
	const kv d[] = {{.k = "from", .s = u.display_name[0] != '\0' ? u.display_name : NULL}, {.k = "to", .s = display}};
	return vg_db_mod_end(&a->q, audit(a, who, now_us, "user.display_name", "user", name, d, 2));
}

/* ---- API tokens ---- */

int vg_auth_token_create(vg_auth *a, const vg_auth_actor *who, const vg_auth_token_new *t, int64_t now_us,
			 char token_out[VG_AUTH_TOKEN_BUF], char id_out[VG_AUTH_TOKEN_ID_BUF])
{
	vg_auth_user u;
	int r;
	if (t == NULL)
		return vg_db_mod_failf(&a->q, VG_EINVAL, "no token");
	if (vg_scope_name(t->scope) == NULL)
		return vg_db_mod_failf(&a->q, VG_EINVAL, "scope: all or ingest");
	if (t->label != NULL && !text_ok(t->label, VG_AUTH_LABEL_MAX))
		return vg_db_mod_failf(&a->q, VG_EINVAL, "token name: at most %d bytes, no control characters",
				       VG_AUTH_LABEL_MAX);
	if (t->expires_us != 0 && t->expires_us <= now_us)
		return vg_db_mod_failf(&a->q, VG_EINVAL, "expiry: in the past");
	if ((r = vg_auth_user_get(a, t->user, &u)) != 0)
		return r;
	char tok[VG_AUTH_TOKEN_BUF], id[VG_AUTH_TOKEN_ID_BUF];
	unsigned char hash[32];
	/* the id is 48 random bits: a collision is retried, never reused */
	for (int attempt = 0;; attempt++) {
		char body[VG_AUTH_SESSION_BUF];
		if ((r = random_b64(body)) != 0)
			return vg_db_mod_failf(&a->q, r, "random: %s", vg_err_str(r));
		memcpy(tok, VG_AUTH_TOKEN_PREFIX, 4);
		memcpy(tok + 4, body, VG_AUTH_SESSION_BUF);
		OPENSSL_cleanse(body, sizeof(body));
		memcpy(id, tok + 4, VG_AUTH_TOKEN_ID_LEN);
		id[VG_AUTH_TOKEN_ID_LEN] = '\0';
		if ((r = sha256(tok, VG_AUTH_TOKEN_LEN, hash)) != 0)
			break;
		sqlite3_stmt *st;
		if ((r = vg_db_mod_begin(&a->q)) != 0)
			break;
		if ((r = vg_db_mod_prepare(
			     &a->q,
			     "INSERT INTO api_tokens (user_id, name, prefix, hash, scope, created_us, expires_us)"
			     " VALUES (?,?,?,?,?,?,?)",
			     &st)) != 0) {
			r = vg_db_mod_end(&a->q, r);
			break;
		}
		sqlite3_bind_int64(st, 1, u.id);
		vg_db_bind_text(st, 2, t->label);
		vg_db_bind_text(st, 3, id);
		sqlite3_bind_blob(st, 4, hash, sizeof(hash), SQLITE_TRANSIENT);
		vg_db_bind_text(st, 5, vg_scope_name(t->scope));
		sqlite3_bind_int64(st, 6, now_us);
		if (t->expires_us != 0)
			sqlite3_bind_int64(st, 7, t->expires_us);
		else
			sqlite3_bind_null(st, 7);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_CONSTRAINT_UNIQUE && attempt < 3) {
			(void)vg_db_mod_end(&a->q, VG_EINVAL);
			continue;
		}
		if (rc != SQLITE_DONE) {
			r = vg_db_mod_end(&a->q, vg_db_mod_sqlfail(&a->q, rc, "api_tokens"));
			break;
		}
		const kv d[] = {
			{.k = "user", .s = u.name},
			{.k = "name", .s = t->label},
			{.k = "scope", .s = vg_scope_name(t->scope)},
			{.k = "expires_us", .i = t->expires_us, .is_int = t->expires_us != 0},
		};
		r = vg_db_mod_end(&a->q, audit(a, who, now_us, "token.create", "token", id, d, 4));
		break;
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	if (r == 0) {
		memcpy(token_out, tok, VG_AUTH_TOKEN_BUF);
		if (id_out != NULL)
			memcpy(id_out, id, VG_AUTH_TOKEN_ID_BUF);
	}
	OPENSSL_cleanse(tok, sizeof(tok));
	return r;
}

int vg_auth_token_list(vg_auth *a, const char *user, vg_auth_token_fn fn, void *ud)
{
	vg_auth_user u;
	int r, rc;
	if (user != NULL && (r = vg_auth_user_get(a, user, &u)) != 0)
		return r;
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(
		     &a->q,
		     "SELECT t.prefix, u.name, t.name, t.scope, t.created_us, t.expires_us, t.last_used_us, "
		     "t.revoked_us"
		     " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE ?1 IS NULL OR u.name = ?1"
		     " ORDER BY t.created_us DESC, t.id DESC",
		     &st)) != 0)
		return r;
	vg_db_bind_text(st, 1, user);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_auth_token_info ti = {0};
		copy_col(ti.id, sizeof(ti.id), st, 0);
		copy_col(ti.user, sizeof(ti.user), st, 1);
		copy_col(ti.label, sizeof(ti.label), st, 2);
		if (vg_scope_parse((const char *)sqlite3_column_text(st, 3), &ti.scope) != 0)
			ti.scope = VG_SCOPE_INGEST; /* unreachable: CHECK constraint */
		ti.created_us = sqlite3_column_int64(st, 4);
		ti.expires_us = sqlite3_column_int64(st, 5);
		ti.last_used_us = sqlite3_column_int64(st, 6);
		ti.revoked_us = sqlite3_column_int64(st, 7);
		if ((r = fn(ud, &ti)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vg_db_mod_sqlfail(&a->q, rc, "api_tokens");
	sqlite3_finalize(st);
	return r;
}

int vg_auth_token_revoke(vg_auth *a, const vg_auth_actor *who, const char *id, int64_t now_us)
{
	if (id == NULL || strnlen(id, VG_AUTH_TOKEN_ID_BUF) != VG_AUTH_TOKEN_ID_LEN ||
	    !b64url_chars(id, VG_AUTH_TOKEN_ID_LEN))
		return vg_db_mod_failf(&a->q, VG_ENOTFOUND, "no token '%.16s'", id != NULL ? id : "");
	int r, rc;
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(&a->q,
				   "SELECT u.name FROM api_tokens t JOIN users u ON u.id = t.user_id"
				   " WHERE t.prefix = ? AND t.revoked_us IS NULL",
				   &st)) != 0)
		return vg_db_mod_end(&a->q, r);
	vg_db_bind_text(st, 1, id);
	char user[VG_AUTH_NAME_MAX + 1] = "";
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		copy_col(user, sizeof(user), st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return vg_db_mod_end(&a->q, vg_db_mod_failf(&a->q, VG_ENOTFOUND, "no live token '%s'", id));
	if (rc != SQLITE_ROW)
		return vg_db_mod_end(&a->q, vg_db_mod_sqlfail(&a->q, rc, "api_tokens"));
	if ((r = vg_db_mod_prepare(&a->q, "UPDATE api_tokens SET revoked_us = ? WHERE prefix = ?", &st)) != 0)
		return vg_db_mod_end(&a->q, r);
	sqlite3_bind_int64(st, 1, now_us);
	vg_db_bind_text(st, 2, id);
	if ((r = vg_db_mod_step_done(&a->q, st, "api_tokens")) != 0)
		return vg_db_mod_end(&a->q, r);
	const kv d[] = {{.k = "user", .s = user}};
	return vg_db_mod_end(&a->q, audit(a, who, now_us, "token.revoke", "token", id, d, 1));
}

static void principal_fill(vg_principal *p, sqlite3_stmt *st, int col)
{
	memset(p, 0, sizeof(*p));
	p->user_id = sqlite3_column_int64(st, col);
	copy_col(p->name, sizeof(p->name), st, col + 1);
	if (vg_role_parse((const char *)sqlite3_column_text(st, col + 2), &p->role) != 0)
		p->role = 0; /* no rights at all */
	copy_col(p->unit, sizeof(p->unit), st, col + 3);
}

int vg_auth_check_token(vg_auth *a, const char *token, int64_t now_us, vg_principal *p)
{
	if (token == NULL || strnlen(token, VG_AUTH_TOKEN_BUF) != VG_AUTH_TOKEN_LEN ||
	    strncmp(token, VG_AUTH_TOKEN_PREFIX, 4) != 0 || !b64url_chars(token + 4, VG_AUTH_TOKEN_LEN - 4))
		return vg_db_mod_failf(&a->q, VG_ENOTFOUND, "not a vigil API token");
	unsigned char hash[32];
	char id[VG_AUTH_TOKEN_ID_BUF];
	memcpy(id, token + 4, VG_AUTH_TOKEN_ID_LEN);
	id[VG_AUTH_TOKEN_ID_LEN] = '\0';
	int r = sha256(token, VG_AUTH_TOKEN_LEN, hash), rc;
	if (r != 0)
		return vg_db_mod_failf(&a->q, r, "sha256");
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(
		     &a->q,
		     "SELECT t.id, t.hash, t.scope, t.expires_us, t.revoked_us, t.last_used_us, u.disabled,"
		     " u.id, u.name, u.role, u.unit FROM api_tokens t JOIN users u ON u.id = t.user_id"
		     " WHERE t.prefix = ?",
		     &st)) != 0)
		return r;
	vg_db_bind_text(st, 1, id);
	int64_t tid = 0, last = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *stored = sqlite3_column_blob(st, 1);
		int match = stored != NULL && sqlite3_column_bytes(st, 1) == (int)sizeof(hash) &&
			    CRYPTO_memcmp(stored, hash, sizeof(hash)) == 0;
		int64_t exp = sqlite3_column_int64(st, 3);
		if (!match)
			r = vg_db_mod_failf(&a->q, VG_ENOTFOUND, "unknown API token %s", id);
		else if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			r = vg_db_mod_failf(&a->q, VG_ENOTFOUND, "API token %s is revoked", id);
		else if (exp != 0 && now_us >= exp)
			r = vg_db_mod_failf(&a->q, VG_ENOTFOUND, "API token %s has expired", id);
		else if (sqlite3_column_int(st, 6) != 0)
			r = vg_db_mod_failf(&a->q, VG_ENOTFOUND, "API token %s: its user is disabled", id);
		else {
			tid = sqlite3_column_int64(st, 0);
			last = sqlite3_column_int64(st, 5);
			principal_fill(p, st, 7);
			if (vg_scope_parse((const char *)sqlite3_column_text(st, 2), &p->scope) != 0)
				p->scope = VG_SCOPE_INGEST;
			memcpy(p->token_id, id, sizeof(id));
		}
	} else {
		r = rc == SQLITE_DONE ? vg_db_mod_failf(&a->q, VG_ENOTFOUND, "unknown API token %s", id)
				      : vg_db_mod_sqlfail(&a->q, rc, "api_tokens");
	}
	sqlite3_finalize(st);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (r == 0 && now_us - last >= TOUCH_EVERY_US &&
	    vg_db_mod_prepare(&a->q, "UPDATE api_tokens SET last_used_us = ? WHERE id = ?", &st) == 0) {
		sqlite3_bind_int64(st, 1, now_us);
		sqlite3_bind_int64(st, 2, tid);
		(void)vg_db_mod_step_done(&a->q, st,
					  "api_tokens"); /* bookkeeping: a busy database does not refuse the request */
	}
	return r;
}

/* ---- login and sessions ---- */

/* When the MAX-th most recent failure of `col` = v since `since` leaves the
 * window: 0 when fewer than max failures. */
static int limit_until(vg_auth *a, const char *sql, const char *v, int64_t since, int max, int64_t *until)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&a->q, sql, &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, v);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int(st, 3, max - 1);
	int rc = sqlite3_step(st);
	*until = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) + VG_AUTH_LOGIN_WINDOW_US : 0;
	r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vg_db_mod_sqlfail(&a->q, rc, "login_attempts");
	sqlite3_finalize(st);
	return r;
}

static int record_failure(vg_auth *a, const char *name, const char *ip, int64_t now)
{
	sqlite3_stmt *st;
	int r;
	if ((r = vg_db_mod_prepare(&a->q, "DELETE FROM login_attempts WHERE ts_us <= ?", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, now - VG_AUTH_LOGIN_WINDOW_US);
	if ((r = vg_db_mod_step_done(&a->q, st, "login_attempts")) != 0 ||
	    (r = vg_db_mod_prepare(&a->q, "INSERT INTO login_attempts (ts_us, name, ip) VALUES (?,?,?)", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, now);
	vg_db_bind_text(st, 2, name);
	vg_db_bind_text(st, 3, ip);
	return vg_db_mod_step_done(&a->q, st, "login_attempts");
}

static int session_open(vg_auth *a, const vg_auth_user *u, const char *ip, int64_t now, vg_auth_login_res *res)
{
	unsigned char hash[32];
	int r;
	if ((r = random_b64(res->session)) != 0 || (r = random_b64(res->csrf)) != 0)
		return vg_db_mod_failf(&a->q, r, "random: %s", vg_err_str(r));
	if ((r = sha256(res->session, VG_AUTH_SESSION_LEN, hash)) != 0)
		return vg_db_mod_failf(&a->q, r, "sha256");
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(&a->q, "DELETE FROM sessions WHERE expires_us <= ?1 OR last_seen_us <= ?1 - ?2",
				   &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, a->idle_us);
	if ((r = vg_db_mod_step_done(&a->q, st, "sessions")) != 0 ||
	    (r = vg_db_mod_prepare(
		     &a->q,
		     "INSERT INTO sessions (id_hash, user_id, csrf, created_us, expires_us, last_seen_us, peer_ip)"
		     " VALUES (?,?,?,?,?,?,?)",
		     &st)) != 0)
		return r;
	sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, u->id);
	vg_db_bind_text(st, 3, res->csrf);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now + a->max_us);
	sqlite3_bind_int64(st, 6, now);
	vg_db_bind_text(st, 7, ip);
	OPENSSL_cleanse(hash, sizeof(hash));
	if ((r = vg_db_mod_step_done(&a->q, st, "sessions")) != 0 ||
	    (r = vg_db_mod_prepare(&a->q, "UPDATE users SET last_login_us = ? WHERE id = ?", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, u->id);
	return vg_db_mod_step_done(&a->q, st, "users");
}

/* The stored hash of a user, or "" when there is none. */
static int user_hash(vg_auth *a, const char *name, char out[VG_AUTH_HASH_BUF])
{
	out[0] = '\0';
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&a->q, "SELECT pw_hash FROM users WHERE name = ?", &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		copy_col(out, VG_AUTH_HASH_BUF, st, 0);
	r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vg_db_mod_sqlfail(&a->q, rc, "users");
	sqlite3_finalize(st);
	return r;
}

int vg_auth_login(vg_auth *a, const vg_auth_login_req *req, vg_auth_login_res *res)
{
	memset(res, 0, sizeof(*res));
	if (req == NULL || req->name == NULL || req->password == NULL)
		return vg_db_mod_failf(&a->q, VG_EINVAL, "login: name and password required");
	/* names are stored in lower case; the limiter keys on what was typed,
	 * folded the same way and cut to the longest valid name */
	char name[VG_AUTH_NAME_MAX + 1], ip[VG_AUTH_IP_MAX + 1];
	size_t n = printable_copy(name, sizeof(name), req->name, 1);
	printable_copy(ip, sizeof(ip), req->peer_ip != NULL ? req->peer_ip : "local", 0);
	const vg_auth_actor who = {.name = name[0] != '\0' ? name : "?", .ip = ip};
	int64_t now = req->now_us, u_until = 0, ip_until = 0;
	int r;
	vg_auth_user u;
	int known = vg_auth_name_valid(name) && req->name[n] == '\0' && vg_auth_user_get(a, name, &u) == 0;
	int64_t since = now - VG_AUTH_LOGIN_WINDOW_US;
	if (known && u.last_login_us > since)
		since = u.last_login_us; /* a success resets the per-user count */
	if ((r = limit_until(a,
			     "SELECT ts_us FROM login_attempts WHERE name = ?1 AND ts_us > ?2"
			     " ORDER BY ts_us DESC LIMIT 1 OFFSET ?3",
			     name, since, VG_AUTH_LOGIN_MAX_PER_USER, &u_until)) != 0 ||
	    (r = limit_until(a,
			     "SELECT ts_us FROM login_attempts WHERE ip = ?1 AND ts_us > ?2"
			     " ORDER BY ts_us DESC LIMIT 1 OFFSET ?3",
			     ip, now - VG_AUTH_LOGIN_WINDOW_US, VG_AUTH_LOGIN_MAX_PER_IP, &ip_until)) != 0)
		return r;
	if (u_until > now || ip_until > now) {
		int64_t until = u_until > ip_until ? u_until : ip_until;
		res->retry_after_us = until - now;
		const kv d[] = {{.k = "reason", .s = u_until > now ? "rate_limited_user" : "rate_limited_ip"},
				{.k = "retry_after_s", .i = (res->retry_after_us + 999999) / 1000000, .is_int = 1}};
		if ((r = vg_db_mod_begin(&a->q)) != 0 ||
		    (r = vg_db_mod_end(&a->q, audit(a, &who, now, "login.refused", "user", name, d, 2))) != 0)
			return r;
		return vg_db_mod_failf(&a->q, VG_ELIMIT, "too many failed logins; retry in %lld s",
				       (long long)((res->retry_after_us + 999999) / 1000000));
	}
	/* an unknown name costs the same Argon2 work as a known one */
	char hash[VG_AUTH_HASH_BUF] = "";
	if (known && (r = user_hash(a, name, hash)) != 0)
		return r;
	if (hash[0] == '\0') {
		if (a->dummy[0] == '\0') {
			char pw[VG_AUTH_SESSION_BUF];
			if ((r = random_b64(pw)) != 0 ||
			    (r = vg_auth_password_hash(pw, VG_AUTH_SESSION_LEN, a->dummy, sizeof(a->dummy))) != 0)
				return vg_db_mod_failf(&a->q, r, "password hash: %s", vg_err_str(r));
			OPENSSL_cleanse(pw, sizeof(pw));
		}
		memcpy(hash, a->dummy, sizeof(hash));
	}
	int v = req->pw_len > VG_AUTH_PW_MAX ? VG_ENOTFOUND : vg_auth_password_verify(hash, req->password, req->pw_len);
	if (v != 0 && v != VG_ENOTFOUND)
		return vg_db_mod_failf(&a->q, v, "password verify: %s", vg_err_str(v));
	const char *reason = !known ? "unknown_user" : v != 0 ? "bad_password" : u.disabled ? "disabled" : NULL;
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	if (reason != NULL) {
		const kv d[] = {{.k = "reason", .s = reason}};
		if ((r = record_failure(a, name, ip, now)) == 0)
			r = audit(a, &who, now, "login.fail", "user", name, d, 1);
		if ((r = vg_db_mod_end(&a->q, r)) != 0)
			return r;
		return vg_db_mod_failf(&a->q, VG_ENOTFOUND,
				       "login failed: unknown user, wrong password or disabled account");
	}
	if ((r = session_open(a, &u, ip, now, res)) == 0)
		r = audit(a, &who, now, "login.ok", "user", name, NULL, 0);
	if ((r = vg_db_mod_end(&a->q, r)) != 0) {
		OPENSSL_cleanse(res, sizeof(*res));
		return r;
	}
	vg_principal *p = &res->principal;
	memset(p, 0, sizeof(*p));
	p->user_id = u.id;
	memcpy(p->name, u.name, sizeof(p->name));
	p->role = u.role;
	memcpy(p->unit, u.unit, sizeof(p->unit));
	p->scope = VG_SCOPE_ALL;
	return 0;
}

static int session_hash(vg_auth *a, const char *session, unsigned char hash[32])
{
	if (session == NULL || strnlen(session, VG_AUTH_SESSION_BUF) != VG_AUTH_SESSION_LEN ||
	    !b64url_chars(session, VG_AUTH_SESSION_LEN))
		return vg_db_mod_failf(&a->q, VG_ENOTFOUND, "not a session id");
	return sha256(session, VG_AUTH_SESSION_LEN, hash) == 0 ? 0 : vg_db_mod_failf(&a->q, VG_EIO, "sha256");
}

static int session_delete(vg_auth *a, const unsigned char hash[32])
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&a->q, "DELETE FROM sessions WHERE id_hash = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
	return vg_db_mod_step_done(&a->q, st, "sessions");
}

int vg_auth_session(vg_auth *a, const char *session, int64_t now_us, vg_principal *p,
		    char csrf_out[VG_AUTH_SESSION_BUF])
{
	unsigned char hash[32];
	int r = session_hash(a, session, hash), rc;
	if (r != 0)
		return r;
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(
		     &a->q,
		     "SELECT s.expires_us, s.last_seen_us, s.csrf, u.disabled, u.id, u.name, u.role, u.unit"
		     " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
		     &st)) != 0)
		return r;
	sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
	int expired = 0;
	int64_t last = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t exp = sqlite3_column_int64(st, 0);
		last = sqlite3_column_int64(st, 1);
		if (now_us >= exp || now_us - last >= a->idle_us) {
			expired = 1;
			r = vg_db_mod_failf(&a->q, VG_ENOTFOUND, "session expired");
		} else if (sqlite3_column_int(st, 3) != 0) {
			r = vg_db_mod_failf(&a->q, VG_ENOTFOUND, "session of a disabled user");
		} else {
			principal_fill(p, st, 4);
			p->scope = VG_SCOPE_ALL;
			if (csrf_out != NULL)
				copy_col(csrf_out, VG_AUTH_SESSION_BUF, st, 2);
		}
	} else {
		r = rc == SQLITE_DONE ? vg_db_mod_failf(&a->q, VG_ENOTFOUND, "no such session")
				      : vg_db_mod_sqlfail(&a->q, rc, "sessions");
	}
	sqlite3_finalize(st);
	if (expired)
		(void)session_delete(a, hash); /* tidying; the answer stands either way */
	else if (r == 0 && now_us - last >= TOUCH_EVERY_US &&
		 vg_db_mod_prepare(&a->q, "UPDATE sessions SET last_seen_us = ? WHERE id_hash = ?", &st) == 0) {
		sqlite3_bind_int64(st, 1, now_us);
		sqlite3_bind_blob(st, 2, hash, sizeof(hash), SQLITE_TRANSIENT);
		(void)vg_db_mod_step_done(&a->q, st, "sessions");
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	return r;
}

int vg_auth_logout(vg_auth *a, const char *session, const char *peer_ip, int64_t now_us)
{
	unsigned char hash[32];
	int r = session_hash(a, session, hash), rc;
	if (r != 0)
		return r;
	if ((r = vg_db_mod_begin(&a->q)) != 0)
		return r;
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(&a->q,
				   "SELECT u.name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
				   &st)) != 0)
		return vg_db_mod_end(&a->q, r);
	sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
	char name[VG_AUTH_NAME_MAX + 1] = "";
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		copy_col(name, sizeof(name), st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		OPENSSL_cleanse(hash, sizeof(hash));
		return vg_db_mod_end(&a->q, rc == SQLITE_DONE ? vg_db_mod_failf(&a->q, VG_ENOTFOUND, "no such session")
							      : vg_db_mod_sqlfail(&a->q, rc, "sessions"));
	}
	r = session_delete(a, hash);
	OPENSSL_cleanse(hash, sizeof(hash));
	const vg_auth_actor who = {.name = name, .ip = peer_ip};
	if (r == 0)
		r = audit(a, &who, now_us, "logout", "user", name, NULL, 0);
	return vg_db_mod_end(&a->q, r);
}
