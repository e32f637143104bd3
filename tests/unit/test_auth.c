/* test_auth.c — users, roles and unit scoping, API tokens, sessions, the
 * login rate limiter and the audit log (src/server/auth.c, audit.c) on a
 * real database in a temporary directory, with explicit clock values. */
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

#include "server/audit.h"
#include "server/auth.h"
#include "store/db.h"

#define T0 1763719200000000LL /* 2025-11-21T10:00:00Z */
#define S 1000000LL

static const char pw_admin[] = "correct horse battery";
static const char pw_ana[] = "analyst-password-1";
static const char pw_aud[] = "auditor-password-1";

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

typedef struct fx {
	char dir[64];
	vg_db *db;
	vg_auth *a;
} fx;

static const vg_auth_actor cli = {.name = "cli:test", .ip = NULL};

static void fx_open(fx *f, const vg_auth_opts *o)
{
	int err = 0;
	char why[256] = "";
	f->db = vg_db_open(f->dir, NULL, &err, why, sizeof(why));
	if (f->db == NULL)
		fail_msg("open %s: %d %s", f->dir, err, why);
	f->a = vg_auth_open(f->db, o, &err);
	if (f->a == NULL)
		fail_msg("auth open: %d %s", err, vg_db_errmsg(f->db));
}

static int setup_opts(void **state, const vg_auth_opts *o)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vg_test_auth.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fx_open(f, o);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_opts(state, NULL);
}

/* sessions: 10 min idle, 1 h absolute */
static int setup_short(void **state)
{
	const vg_auth_opts o = {.session_idle_s = 600, .session_max_s = 3600};
	return setup_opts(state, &o);
}

static int teardown(void **state)
{
	fx *f = *state;
	vg_auth_close(f->a);
	vg_db_close(f->db);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void add_user(fx *f, const char *name, vg_role role, const char *unit, const char *pw)
{
	vg_auth_user_new u = {.name = name, .role = role, .unit = unit, .password = pw, .pw_len = strlen(pw)};
	int64_t id = 0;
	int r = vg_auth_user_add(f->a, &cli, &u, T0, &id);
	if (r != 0)
		fail_msg("add %s: %d %s", name, r, vg_auth_errmsg(f->a));
	assert_true(id > 0);
}

static long long q_int(fx *f, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(vg_db_sqlite(f->db), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int login(fx *f, const char *name, const char *pw, const char *ip, int64_t now, vg_auth_login_res *res)
{
	vg_auth_login_req req = {.name = name, .password = pw, .pw_len = strlen(pw), .peer_ip = ip, .now_us = now};
	return vg_auth_login(f->a, &req, res);
}

/* 1 if the bytes of needle occur in the file at path (absent file: 0) */
static int file_contains(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return 0;
	size_t cap = 1 << 16, len = 0, nl = strlen(needle);
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(fp);
	int found = 0;
	for (size_t i = 0; i + nl <= len && !found; i++)
		found = memcmp(buf + i, needle, nl) == 0;
	free(buf);
	return found;
}

static int db_contains(fx *f, const char *needle)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/" VG_DB_FILE, f->dir);
	int in_db = file_contains(p, needle);
	snprintf(p, sizeof(p), "%s/" VG_DB_FILE "-wal", f->dir);
	return in_db || file_contains(p, needle);
}

/* ---- passwords ---- */

static void test_password_hash(void **state)
{
	fx *f = *state;
	char h1[VG_AUTH_HASH_BUF], h2[VG_AUTH_HASH_BUF];
	assert_int_equal(vg_auth_password_hash(pw_admin, strlen(pw_admin), h1, sizeof(h1)), 0);
	assert_int_equal(vg_auth_password_hash(pw_admin, strlen(pw_admin), h2, sizeof(h2)), 0);
	assert_true(strncmp(h1, "$argon2id$v=19$m=65536,t=3,p=1$", 31) == 0);
	assert_string_not_equal(h1, h2); /* random salts */
	assert_int_equal(vg_auth_password_verify(h1, pw_admin, strlen(pw_admin)), 0);
	assert_int_equal(vg_auth_password_verify(h2, pw_admin, strlen(pw_admin)), 0);
	assert_int_equal(vg_auth_password_verify(h1, "correct horse battery!", 22), VG_ENOTFOUND);
	assert_int_equal(vg_auth_password_verify(h1, pw_admin, strlen(pw_admin) - 1), VG_ENOTFOUND);
	assert_int_equal(vg_auth_password_verify("$argon2i$v=19$m=16,t=1,p=1$x$y", pw_admin, 5), VG_EINVAL);
	assert_int_equal(vg_auth_password_verify("$argon2id$garbage", pw_admin, strlen(pw_admin)), VG_EINVAL);
	char small[16];
	assert_int_equal(vg_auth_password_hash(pw_admin, strlen(pw_admin), small, sizeof(small)), VG_ELIMIT);

	/* weak passwords */
	assert_int_equal(vg_auth_password_ok("elevenchars", 11), VG_EINVAL);
	assert_int_equal(vg_auth_password_ok("twelve chars", 12), 0);
	assert_int_equal(vg_auth_password_ok("twelve\nchars", 12), VG_EINVAL);
	assert_int_equal(vg_auth_password_ok("twelve\0chars", 12), VG_EINVAL);
	static char big[VG_AUTH_PW_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(vg_auth_password_ok(big, VG_AUTH_PW_MAX), 0);
	assert_int_equal(vg_auth_password_ok(big, VG_AUTH_PW_MAX + 1), VG_EINVAL);
	assert_int_equal(vg_auth_password_hash("short", 5, h1, sizeof(h1)), VG_EINVAL);

	vg_auth_user_new u = {.name = "weak", .role = VG_ROLE_ANALYST, .password = "elevenchars", .pw_len = 11};
	assert_int_equal(vg_auth_user_add(f->a, &cli, &u, T0, NULL), VG_EINVAL);
	assert_non_null(strstr(vg_auth_errmsg(f->a), "password"));
	u.password = "weakweakweak";
	u.name = "weakweakweak"; /* the name as password */
	u.pw_len = 12;
	assert_int_equal(vg_auth_user_add(f->a, &cli, &u, T0, NULL), VG_EINVAL);
	vg_auth_user got;
	assert_int_equal(vg_auth_user_get(f->a, "weak", &got), VG_ENOTFOUND);
	assert_int_equal(q_int(f, "SELECT count(*) FROM users"), 0);

	/* the stored hash is Argon2id and the password itself is nowhere */
	add_user(f, "alice", VG_ROLE_ADMIN, NULL, pw_admin);
	assert_int_equal(q_int(f, "SELECT count(*) FROM users WHERE name = 'alice' AND pw_hash LIKE "
				  "'$argon2id$v=19$m=65536,t=3,p=1$%'"),
			 1);
	assert_false(db_contains(f, pw_admin));
	/* a password change: the new one works, the old one does not */
	static const char pw2[] = "another long password";
	assert_int_equal(vg_auth_user_set_password(f->a, &cli, "alice", "short", 5, T0), VG_EINVAL);
	assert_int_equal(vg_auth_user_set_password(f->a, &cli, "nobody", pw2, strlen(pw2), T0), VG_ENOTFOUND);
	assert_int_equal(vg_auth_user_set_password(f->a, &cli, "alice", pw2, strlen(pw2), T0 + S), 0);
	vg_auth_login_res res;
	assert_int_equal(login(f, "alice", pw_admin, "192.0.2.1", T0 + 2 * S, &res), VG_ENOTFOUND);
	assert_int_equal(login(f, "alice", pw2, "192.0.2.1", T0 + 3 * S, &res), 0);
	assert_false(db_contains(f, pw2));
}

/* ---- users, roles, units ---- */

typedef struct names {
	char buf[256];
	int n;
} names;

static int collect_user(void *ud, const vg_auth_user *u)
{
	names *n = ud;
	size_t l = strlen(n->buf);
	snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s:%s:%s%s", n->n ? " " : "", u->name, vg_role_name(u->role),
		 u->unit[0] ? u->unit : "*", u->disabled ? ":off" : "");
	n->n++;
	return 0;
}

static void test_users(void **state)
{
	fx *f = *state;
	add_user(f, "root", VG_ROLE_ADMIN, NULL, pw_admin);
	add_user(f, "ana", VG_ROLE_ANALYST, "bo-tt/cuc-atttt", pw_ana);
	add_user(f, "aud", VG_ROLE_AUDITOR, "bo-tt", pw_aud);
	vg_auth_user_new u = {.name = "ana", .role = VG_ROLE_ANALYST, .password = pw_ana, .pw_len = strlen(pw_ana)};
	assert_int_equal(vg_auth_user_add(f->a, &cli, &u, T0, NULL), VG_EINVAL);
	assert_non_null(strstr(vg_auth_errmsg(f->a), "already exists"));
	const char *bad_names[] = {
		"",    "Ana", "-x",  ".x",
		"a b", "a/b", "ünï", "a2345678901234567890123456789012345678901234567890123456789012345"}; /* 65 */
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		u.name = bad_names[i];
		assert_int_equal(vg_auth_user_add(f->a, &cli, &u, T0, NULL), VG_EINVAL);
		assert_non_null(strstr(vg_auth_errmsg(f->a), "name"));
	}
	assert_true(vg_auth_name_valid("a234567890123456789012345678901234567890123456789012345678901234")); /* 64 */
	assert_true(vg_auth_name_valid("nguyen.van.a@bo-tt_1"));
	u.name = "zed";
	const char *bad_units[] = {"", "/a", "a/", "a//b", "a/./b", "a/../b", "..", "a b", "a\\b"};
	for (size_t i = 0; i < sizeof(bad_units) / sizeof(bad_units[0]); i++) {
		u.unit = bad_units[i];
		assert_int_equal(vg_auth_user_add(f->a, &cli, &u, T0, NULL), VG_EINVAL);
		assert_non_null(strstr(vg_auth_errmsg(f->a), "unit"));
	}
	assert_true(vg_auth_unit_valid("bo-tt/cuc-atttt/phong-1"));
	assert_true(vg_auth_unit_valid("a/.hidden/b..c"));
	u.unit = NULL;
	u.role = (vg_role)7;
	assert_int_equal(vg_auth_user_add(f->a, &cli, &u, T0, NULL), VG_EINVAL);
	u.role = VG_ROLE_AUDITOR;
	u.display_name = "bad\x01name";
	assert_int_equal(vg_auth_user_add(f->a, &cli, &u, T0, NULL), VG_EINVAL);
	u.display_name = "Nguyễn Văn Zed";
	assert_int_equal(vg_auth_user_add(f->a, &cli, &u, T0, NULL), 0);

	vg_auth_user g;
	assert_int_equal(vg_auth_user_get(f->a, "zed", &g), 0);
	assert_string_equal(g.display_name, "Nguyễn Văn Zed");
	assert_int_equal(g.role, VG_ROLE_AUDITOR);
	assert_string_equal(g.unit, "");
	assert_int_equal(g.created_us, T0);
	assert_int_equal(g.last_login_us, 0);
	assert_int_equal(vg_auth_user_get(f->a, "nobody", &g), VG_ENOTFOUND);

	names n = {0};
	assert_int_equal(vg_auth_user_list(f->a, collect_user, &n), 0);
	assert_string_equal(n.buf, "ana:analyst:bo-tt/cuc-atttt aud:auditor:bo-tt root:admin:* zed:auditor:*");

	assert_int_equal(vg_auth_user_set_role(f->a, &cli, "zed", VG_ROLE_ANALYST, T0 + S), 0);
	assert_int_equal(vg_auth_user_set_role(f->a, &cli, "zed", (vg_role)0, T0 + S), VG_EINVAL);
	assert_int_equal(vg_auth_user_set_role(f->a, &cli, "nobody", VG_ROLE_ADMIN, T0 + S), VG_ENOTFOUND);
	assert_int_equal(vg_auth_user_set_unit(f->a, &cli, "zed", "bo-tt/x", T0 + S), 0);
	assert_int_equal(vg_auth_user_set_unit(f->a, &cli, "zed", "bo-tt//x", T0 + S), VG_EINVAL);
	assert_int_equal(vg_auth_user_set_unit(f->a, &cli, "ana", NULL, T0 + S), 0);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "aud", 1, T0 + 2 * S), 0);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "nobody", 1, T0 + 2 * S), VG_ENOTFOUND);
	memset(&n, 0, sizeof(n));
	assert_int_equal(vg_auth_user_list(f->a, collect_user, &n), 0);
	assert_string_equal(n.buf, "ana:analyst:* aud:auditor:bo-tt:off root:admin:* zed:analyst:bo-tt/x");
	assert_int_equal(vg_auth_user_get(f->a, "zed", &g), 0);
	assert_int_equal(g.updated_us, T0 + S);

	/* a disabled user cannot log in, even with the right password */
	vg_auth_login_res res;
	assert_int_equal(login(f, "aud", pw_aud, "192.0.2.9", T0 + 3 * S, &res), VG_ENOTFOUND);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "aud", 0, T0 + 4 * S), 0);
	assert_int_equal(login(f, "aud", pw_aud, "192.0.2.9", T0 + 5 * S, &res), 0);
	assert_int_equal(res.principal.role, VG_ROLE_AUDITOR);
	assert_string_equal(res.principal.unit, "bo-tt");
	/* names are folded to lower case at login */
	assert_int_equal(login(f, "ROOT", pw_admin, "192.0.2.9", T0 + 6 * S, &res), 0);
	assert_string_equal(res.principal.name, "root");
	assert_int_equal(vg_auth_user_get(f->a, "root", &g), 0);
	assert_int_equal(g.last_login_us, T0 + 6 * S);
}

static vg_principal mk(vg_role role, const char *unit, vg_token_scope scope)
{
	vg_principal p = {.user_id = 1, .role = role, .scope = scope};
	snprintf(p.name, sizeof(p.name), "u");
	snprintf(p.unit, sizeof(p.unit), "%s", unit != NULL ? unit : "");
	return p;
}

static void test_authorization(void **state)
{
	(void)state;
	vg_principal admin = mk(VG_ROLE_ADMIN, NULL, VG_SCOPE_ALL);
	vg_principal ana = mk(VG_ROLE_ANALYST, "a/b", VG_SCOPE_ALL);
	vg_principal aud = mk(VG_ROLE_AUDITOR, "a/b", VG_SCOPE_ALL);
	vg_principal aud_all = mk(VG_ROLE_AUDITOR, NULL, VG_SCOPE_ALL);
	vg_principal ingest = mk(VG_ROLE_ADMIN, NULL, VG_SCOPE_INGEST);
	vg_principal aud_ingest = mk(VG_ROLE_AUDITOR, NULL, VG_SCOPE_INGEST);
	vg_principal admin_scoped = mk(VG_ROLE_ADMIN, "a/x", VG_SCOPE_ALL);
	vg_principal norole = mk((vg_role)0, NULL, VG_SCOPE_ALL);

	assert_true(vg_auth_can_read(&admin) && vg_auth_can_write(&admin) && vg_auth_can_admin(&admin));
	assert_true(vg_auth_can_read(&ana) && vg_auth_can_write(&ana));
	assert_false(vg_auth_can_admin(&ana));
	assert_true(vg_auth_can_read(&aud));
	assert_false(vg_auth_can_write(&aud));
	assert_false(vg_auth_can_admin(&aud));
	assert_false(vg_auth_can_write(&aud_all));
	assert_false(vg_auth_can_ingest(&aud));
	assert_false(vg_auth_can_ingest(&aud_ingest));
	/* an ingest token of an admin: event intake and nothing else */
	assert_true(vg_auth_can_ingest(&ingest));
	assert_false(vg_auth_can_read(&ingest));
	assert_false(vg_auth_can_write(&ingest));
	assert_false(vg_auth_can_admin(&ingest));
	assert_true(vg_auth_can_ingest(&ana));
	assert_false(vg_auth_can_read(&norole) || vg_auth_can_write(&norole) || vg_auth_can_ingest(&norole));
	assert_false(vg_auth_can_read(NULL) || vg_auth_can_write(NULL) || vg_auth_can_admin(NULL));

	/* a unit analyst sees "a/b" and below, not "a/bc", "a/x", "a" or no unit */
	assert_true(vg_auth_unit_visible(&ana, "a/b"));
	assert_true(vg_auth_unit_visible(&ana, "a/b/c"));
	assert_true(vg_auth_unit_visible(&ana, "a/b/c/d"));
	assert_false(vg_auth_unit_visible(&ana, "a/bc"));
	assert_false(vg_auth_unit_visible(&ana, "a/x"));
	assert_false(vg_auth_unit_visible(&ana, "a"));
	assert_false(vg_auth_unit_visible(&ana, "b/a/b"));
	assert_false(vg_auth_unit_visible(&ana, NULL));
	assert_true(vg_auth_unit_visible(&aud, "a/b/c"));
	assert_false(vg_auth_unit_visible(&aud, "a/bc"));
	/* unscoped users and admins see everything */
	assert_true(vg_auth_unit_visible(&aud_all, "a/x"));
	assert_true(vg_auth_unit_visible(&aud_all, NULL));
	assert_true(vg_auth_unit_visible(&admin_scoped, "z"));
	assert_true(vg_auth_unit_visible(&admin, NULL));
	assert_false(vg_auth_unit_visible(NULL, "a/b"));

	vg_role r;
	vg_token_scope sc;
	assert_int_equal(vg_role_parse("auditor", &r), 0);
	assert_int_equal(r, VG_ROLE_AUDITOR);
	assert_int_equal(vg_role_parse("Admin", &r), VG_EINVAL);
	assert_int_equal(vg_role_parse(NULL, &r), VG_EINVAL);
	assert_int_equal(vg_scope_parse("ingest", &sc), 0);
	assert_int_equal(sc, VG_SCOPE_INGEST);
	assert_int_equal(vg_scope_parse("read", &sc), VG_EINVAL);
	assert_null(vg_role_name((vg_role)4));
	assert_string_equal(vg_scope_name(VG_SCOPE_ALL), "all");
}

/* ---- API tokens ---- */

typedef struct toks {
	int n, revoked;
	char first_id[VG_AUTH_TOKEN_ID_BUF];
	int64_t last_used;
} toks;

static int collect_tok(void *ud, const vg_auth_token_info *t)
{
	toks *k = ud;
	if (k->n++ == 0) {
		memcpy(k->first_id, t->id, sizeof(t->id));
		k->last_used = t->last_used_us;
	}
	k->revoked += t->revoked_us != 0;
	return 0;
}

static void test_tokens(void **state)
{
	fx *f = *state;
	add_user(f, "ana", VG_ROLE_ANALYST, "a/b", pw_ana);
	add_user(f, "aud", VG_ROLE_AUDITOR, NULL, pw_aud);
	char tok[VG_AUTH_TOKEN_BUF], id[VG_AUTH_TOKEN_ID_BUF], tok2[VG_AUTH_TOKEN_BUF], id2[VG_AUTH_TOKEN_ID_BUF];
	vg_auth_token_new t = {.user = "ana", .label = "laptop", .scope = VG_SCOPE_ALL};
	assert_int_equal(vg_auth_token_create(f->a, &cli, &t, T0, tok, id), 0);
	assert_int_equal(strlen(tok), VG_AUTH_TOKEN_LEN);
	assert_memory_equal(tok, "vgt_", 4);
	assert_int_equal(strspn(tok + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_memory_equal(id, tok + 4, VG_AUTH_TOKEN_ID_LEN);
	assert_int_equal(strlen(id), VG_AUTH_TOKEN_ID_LEN);
	t = (vg_auth_token_new){.user = "ana", .scope = VG_SCOPE_INGEST, .expires_us = T0 + 3600 * S};
	assert_int_equal(vg_auth_token_create(f->a, &cli, &t, T0 + S, tok2, id2), 0);
	assert_string_not_equal(tok, tok2);
	/* only the SHA-256 is stored */
	assert_int_equal(q_int(f, "SELECT count(*) FROM api_tokens WHERE length(hash) = 32 AND typeof(hash) = 'blob'"),
			 2);
	assert_false(db_contains(f, tok + 4 + VG_AUTH_TOKEN_ID_LEN));
	assert_false(db_contains(f, tok2 + 4 + VG_AUTH_TOKEN_ID_LEN));

	vg_principal p;
	assert_int_equal(vg_auth_check_token(f->a, tok, T0 + 2 * S, &p), 0);
	assert_string_equal(p.name, "ana");
	assert_int_equal(p.role, VG_ROLE_ANALYST);
	assert_string_equal(p.unit, "a/b");
	assert_int_equal(p.scope, VG_SCOPE_ALL);
	assert_string_equal(p.token_id, id);
	assert_true(vg_auth_can_write(&p));
	assert_int_equal(vg_auth_check_token(f->a, tok2, T0 + 2 * S, &p), 0);
	assert_int_equal(p.scope, VG_SCOPE_INGEST);
	assert_true(vg_auth_can_ingest(&p));
	assert_false(vg_auth_can_read(&p));

	/* tampered, truncated, foreign: not found */
	char bad[VG_AUTH_TOKEN_BUF];
	memcpy(bad, tok, sizeof(bad));
	bad[VG_AUTH_TOKEN_LEN - 1] = bad[VG_AUTH_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(vg_auth_check_token(f->a, bad, T0 + 2 * S, &p), VG_ENOTFOUND);
	bad[VG_AUTH_TOKEN_LEN - 1] = '\0';
	assert_int_equal(vg_auth_check_token(f->a, bad, T0 + 2 * S, &p), VG_ENOTFOUND);
	memcpy(bad, tok, sizeof(bad));
	bad[0] = 'x';
	assert_int_equal(vg_auth_check_token(f->a, bad, T0 + 2 * S, &p), VG_ENOTFOUND);
	assert_int_equal(vg_auth_check_token(f->a, "", T0, &p), VG_ENOTFOUND);
	assert_int_equal(vg_auth_check_token(f->a, NULL, T0, &p), VG_ENOTFOUND);

	/* expiry: valid until the last microsecond before expires_us */
	assert_int_equal(vg_auth_check_token(f->a, tok2, T0 + 3600 * S - 1, &p), 0);
	assert_int_equal(vg_auth_check_token(f->a, tok2, T0 + 3600 * S, &p), VG_ENOTFOUND);
	assert_non_null(strstr(vg_auth_errmsg(f->a), "expired"));
	t.expires_us = T0; /* in the past */
	assert_int_equal(vg_auth_token_create(f->a, &cli, &t, T0 + S, tok2, id2), VG_EINVAL);
	t = (vg_auth_token_new){.user = "nobody"};
	assert_int_equal(vg_auth_token_create(f->a, &cli, &t, T0, tok2, id2), VG_ENOTFOUND);
	t = (vg_auth_token_new){.user = "ana", .scope = (vg_token_scope)5};
	assert_int_equal(vg_auth_token_create(f->a, &cli, &t, T0, tok2, id2), VG_EINVAL);

	/* a disabled user's tokens stop working, and work again when enabled */
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "ana", 1, T0 + 10 * S), 0);
	assert_int_equal(vg_auth_check_token(f->a, tok, T0 + 11 * S, &p), VG_ENOTFOUND);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "ana", 0, T0 + 12 * S), 0);
	assert_int_equal(vg_auth_check_token(f->a, tok, T0 + 120 * S, &p), 0);

	toks k = {0};
	assert_int_equal(vg_auth_token_list(f->a, "ana", collect_tok, &k), 0);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.first_id, id2); /* newest first: the ingest token */
	k = (toks){0};
	assert_int_equal(vg_auth_token_list(f->a, "aud", collect_tok, &k), 0);
	assert_int_equal(k.n, 0);
	assert_int_equal(vg_auth_token_list(f->a, "nobody", collect_tok, &k), VG_ENOTFOUND);
	assert_int_equal(q_int(f, "SELECT last_used_us FROM api_tokens WHERE name = 'laptop'"), T0 + 120 * S);

	/* revocation */
	assert_int_equal(vg_auth_token_revoke(f->a, &cli, id, T0 + 200 * S), 0);
	assert_int_equal(vg_auth_check_token(f->a, tok, T0 + 201 * S, &p), VG_ENOTFOUND);
	assert_non_null(strstr(vg_auth_errmsg(f->a), "revoked"));
	assert_int_equal(vg_auth_token_revoke(f->a, &cli, id, T0 + 202 * S), VG_ENOTFOUND);
	assert_int_equal(vg_auth_token_revoke(f->a, &cli, "zzzzzzzz", T0 + 202 * S), VG_ENOTFOUND);
	assert_int_equal(vg_auth_token_revoke(f->a, &cli, "short", T0 + 202 * S), VG_ENOTFOUND);
	k = (toks){0};
	assert_int_equal(vg_auth_token_list(f->a, NULL, collect_tok, &k), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.revoked, 1);
}

/* ---- sessions ---- */

static void test_sessions(void **state)
{
	fx *f = *state; /* idle 600 s, absolute 3600 s */
	add_user(f, "ana", VG_ROLE_ANALYST, "a/b", pw_ana);
	vg_auth_login_res res;
	assert_int_equal(login(f, "ana", pw_ana, "192.0.2.1", T0, &res), 0);
	assert_int_equal(strlen(res.session), VG_AUTH_SESSION_LEN);
	assert_int_equal(strlen(res.csrf), VG_AUTH_SESSION_LEN);
	assert_string_not_equal(res.session, res.csrf);
	assert_string_equal(res.principal.name, "ana");
	assert_int_equal(res.principal.scope, VG_SCOPE_ALL);
	assert_false(db_contains(f, res.session)); /* stored hashed */
	assert_int_equal(q_int(f, "SELECT count(*) FROM sessions WHERE length(id_hash) = 32"), 1);

	vg_principal p;
	char csrf[VG_AUTH_SESSION_BUF];
	assert_int_equal(vg_auth_session(f->a, res.session, T0 + 599 * S, &p, csrf), 0);
	assert_string_equal(p.name, "ana");
	assert_string_equal(p.unit, "a/b");
	assert_string_equal(csrf, res.csrf);
	assert_true(vg_auth_csrf_equal(csrf, res.csrf));
	char wrong[VG_AUTH_SESSION_BUF];
	memcpy(wrong, res.csrf, sizeof(wrong));
	wrong[5] ^= 1;
	assert_false(vg_auth_csrf_equal(csrf, wrong));
	assert_false(vg_auth_csrf_equal(csrf, ""));
	assert_false(vg_auth_csrf_equal(csrf, NULL));
	/* activity at 599 s kept it alive; idle from there */
	assert_int_equal(vg_auth_session(f->a, res.session, T0 + 1198 * S, &p, NULL), 0);
	assert_int_equal(vg_auth_session(f->a, res.session, T0 + 1798 * S, &p, NULL), VG_ENOTFOUND);
	assert_non_null(strstr(vg_auth_errmsg(f->a), "expired"));
	/* and it is gone, not just refused */
	assert_int_equal(q_int(f, "SELECT count(*) FROM sessions"), 0);
	assert_int_equal(vg_auth_session(f->a, res.session, T0 + 1799 * S, &p, NULL), VG_ENOTFOUND);

	/* absolute expiry, however active */
	int64_t t1 = T0 + 10000 * S;
	assert_int_equal(login(f, "ana", pw_ana, "192.0.2.1", t1, &res), 0);
	for (int64_t t = t1 + 500 * S; t < t1 + 3600 * S; t += 500 * S)
		assert_int_equal(vg_auth_session(f->a, res.session, t, &p, NULL), 0);
	assert_int_equal(vg_auth_session(f->a, res.session, t1 + 3600 * S - 1, &p, NULL), 0);
	assert_int_equal(vg_auth_session(f->a, res.session, t1 + 3600 * S, &p, NULL), VG_ENOTFOUND);

	/* logout */
	int64_t t2 = T0 + 20000 * S;
	assert_int_equal(login(f, "ana", pw_ana, "192.0.2.1", t2, &res), 0);
	assert_int_equal(vg_auth_logout(f->a, res.session, "192.0.2.1", t2 + S), 0);
	assert_int_equal(vg_auth_session(f->a, res.session, t2 + 2 * S, &p, NULL), VG_ENOTFOUND);
	assert_int_equal(vg_auth_logout(f->a, res.session, "192.0.2.1", t2 + 3 * S), VG_ENOTFOUND);
	assert_int_equal(vg_auth_logout(f->a, "not a session", NULL, t2 + 3 * S), VG_ENOTFOUND);
	assert_int_equal(vg_auth_session(f->a, "x", t2, &p, NULL), VG_ENOTFOUND);

	/* a password change and disabling end the user's sessions */
	vg_auth_login_res r2;
	assert_int_equal(login(f, "ana", pw_ana, "192.0.2.1", t2 + 10 * S, &res), 0);
	assert_int_equal(login(f, "ana", pw_ana, "192.0.2.2", t2 + 11 * S, &r2), 0);
	assert_string_not_equal(res.session, r2.session);
	static const char pw2[] = "a brand new password";
	assert_int_equal(vg_auth_user_set_password(f->a, &cli, "ana", pw2, strlen(pw2), t2 + 12 * S), 0);
	assert_int_equal(vg_auth_session(f->a, res.session, t2 + 13 * S, &p, NULL), VG_ENOTFOUND);
	assert_int_equal(vg_auth_session(f->a, r2.session, t2 + 13 * S, &p, NULL), VG_ENOTFOUND);
	assert_int_equal(login(f, "ana", pw2, "192.0.2.1", t2 + 14 * S, &res), 0);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "ana", 1, t2 + 15 * S), 0);
	assert_int_equal(vg_auth_session(f->a, res.session, t2 + 16 * S, &p, NULL), VG_ENOTFOUND);
	/* a role change applies to the next request of a live session */
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "ana", 0, t2 + 17 * S), 0);
	assert_int_equal(login(f, "ana", pw2, "192.0.2.1", t2 + 18 * S, &res), 0);
	assert_int_equal(vg_auth_user_set_role(f->a, &cli, "ana", VG_ROLE_AUDITOR, t2 + 19 * S), 0);
	assert_int_equal(vg_auth_session(f->a, res.session, t2 + 20 * S, &p, NULL), 0);
	assert_int_equal(p.role, VG_ROLE_AUDITOR);
	assert_false(vg_auth_can_write(&p));
}

/* ---- rate limiting ---- */

static void test_rate_limit(void **state)
{
	fx *f = *state;
	add_user(f, "carol", VG_ROLE_ANALYST, NULL, pw_ana);
	add_user(f, "dave", VG_ROLE_ANALYST, NULL, pw_aud);
	const int64_t W = VG_AUTH_LOGIN_WINDOW_US;
	vg_auth_login_res res;
	for (int i = 0; i < VG_AUTH_LOGIN_MAX_PER_USER; i++)
		assert_int_equal(login(f, "carol", "wrong password!", "198.51.100.1", T0 + i * S, &res), VG_ENOTFOUND);
	/* the sixth attempt is refused before the password is looked at, even
	 * the right one, and from another address */
	assert_int_equal(login(f, "carol", pw_ana, "198.51.100.2", T0 + 10 * S, &res), VG_ELIMIT);
	assert_int_equal(res.retry_after_us, W - 10 * S);
	assert_int_equal(res.session[0], '\0');
	assert_int_equal(login(f, "Carol", pw_ana, "198.51.100.2", T0 + W - 1, &res), VG_ELIMIT);
	assert_int_equal(res.retry_after_us, 1);
	/* refusals are not counted as failures (they do not extend the lockout) */
	assert_int_equal(q_int(f, "SELECT count(*) FROM login_attempts WHERE name = 'carol'"), 5);
	/* other users are not affected */
	assert_int_equal(login(f, "dave", pw_aud, "198.51.100.1", T0 + 20 * S, &res), 0);
	/* the window passes for the first failure: allowed again */
	assert_int_equal(login(f, "carol", pw_ana, "198.51.100.1", T0 + W, &res), 0);
	assert_string_equal(res.principal.name, "carol");
	/* a success resets the per-user count: 4 more failures do not lock */
	int64_t t = T0 + W + S;
	for (int i = 0; i < VG_AUTH_LOGIN_MAX_PER_USER - 1; i++)
		assert_int_equal(login(f, "carol", "wrong password!", "198.51.100.3", t + i * S, &res), VG_ENOTFOUND);
	assert_int_equal(login(f, "carol", pw_ana, "198.51.100.3", t + 10 * S, &res), 0);

	/* per address: 20 failures over many names lock the address for everyone */
	t = T0 + 10 * W;
	for (int i = 0; i < VG_AUTH_LOGIN_MAX_PER_IP; i++) {
		char name[16];
		snprintf(name, sizeof(name), "guess%d", i);
		assert_int_equal(login(f, name, "wrong password!", "203.0.113.66", t + i * S, &res), VG_ENOTFOUND);
	}
	assert_int_equal(login(f, "dave", pw_aud, "203.0.113.66", t + 30 * S, &res), VG_ELIMIT);
	assert_int_equal(res.retry_after_us, W - 30 * S);
	assert_int_equal(login(f, "dave", pw_aud, "203.0.113.67", t + 31 * S, &res), 0);
	assert_int_equal(login(f, "dave", pw_aud, "203.0.113.66", t + W + 5 * S, &res), 0);

	/* an over-long name counts against its first 64 bytes, not a bypass */
	char longname[200];
	memset(longname, 'z', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	t = T0 + 20 * W;
	for (int i = 0; i < VG_AUTH_LOGIN_MAX_PER_USER; i++)
		assert_int_equal(login(f, longname, "wrong password!", NULL, t + i * S, &res), VG_ENOTFOUND);
	assert_int_equal(login(f, longname, "wrong password!", NULL, t + 10 * S, &res), VG_ELIMIT);
	/* old failures are pruned */
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM login_attempts WHERE ts_us < %lld", (long long)(T0 + 19 * W));
	assert_int_equal(q_int(f, sql), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM login_attempts"), VG_AUTH_LOGIN_MAX_PER_USER);
}

/* ---- audit ---- */

typedef struct seen {
	int n;
	char actions[1024];
	int leaked;
	const char *secret[4];
} seen;

static int collect_audit(void *ud, const vg_audit_entry *e)
{
	seen *s = ud;
	size_t l = strlen(s->actions);
	snprintf(s->actions + l, sizeof(s->actions) - l, "%s%s", s->n++ ? " " : "", e->action);
	const char *fields[] = {e->actor, e->actor_ip, e->action, e->object_type, e->object_id, e->details};
	for (size_t i = 0; i < 6; i++)
		for (size_t j = 0; j < 4; j++)
			if (fields[i] != NULL && s->secret[j] != NULL && strstr(fields[i], s->secret[j]) != NULL)
				s->leaked++;
	return 0;
}

static void test_audit(void **state)
{
	fx *f = *state;
	add_user(f, "root", VG_ROLE_ADMIN, NULL, pw_admin);
	add_user(f, "ana", VG_ROLE_ANALYST, "a/b", pw_ana);
	const vg_auth_actor web = {.name = "root", .ip = "192.0.2.10"};
	assert_int_equal(vg_auth_user_set_role(f->a, &web, "ana", VG_ROLE_AUDITOR, T0 + S), 0);
	assert_int_equal(vg_auth_user_set_unit(f->a, &web, "ana", "a/c", T0 + 2 * S), 0);
	static const char pw2[] = "yet another password";
	assert_int_equal(vg_auth_user_set_password(f->a, &web, "ana", pw2, strlen(pw2), T0 + 3 * S), 0);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &web, "ana", 1, T0 + 4 * S), 0);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &web, "ana", 0, T0 + 5 * S), 0);
	char tok[VG_AUTH_TOKEN_BUF], id[VG_AUTH_TOKEN_ID_BUF];
	vg_auth_token_new t = {.user = "ana", .label = "ci", .scope = VG_SCOPE_INGEST};
	assert_int_equal(vg_auth_token_create(f->a, &web, &t, T0 + 6 * S, tok, id), 0);
	assert_int_equal(vg_auth_token_revoke(f->a, &web, id, T0 + 7 * S), 0);
	vg_auth_login_res res;
	assert_int_equal(login(f, "ana", "not the password", "192.0.2.20", T0 + 8 * S, &res), VG_ENOTFOUND);
	assert_int_equal(login(f, "ghost", "not the password", "192.0.2.20", T0 + 9 * S, &res), VG_ENOTFOUND);
	assert_int_equal(login(f, "ana", pw2, "192.0.2.20", T0 + 10 * S, &res), 0);
	char session[VG_AUTH_SESSION_BUF];
	memcpy(session, res.session, sizeof(session));
	assert_int_equal(vg_auth_logout(f->a, session, "192.0.2.20", T0 + 11 * S), 0);

	seen s = {.secret = {pw2, "not the password", tok + 4, session}};
	assert_int_equal(vg_audit_list(f->db, NULL, collect_audit, &s), 0);
	assert_string_equal(s.actions, "user.add user.add user.role user.unit user.password user.disable user.enable"
				       " token.create token.revoke login.fail login.fail login.ok logout");
	assert_int_equal(s.leaked, 0);
	assert_false(db_contains(f, "not the password"));

	/* details and the actor's address */
	assert_int_equal(q_int(f, "SELECT count(*) FROM audit_log WHERE action = 'user.role' AND actor = 'root'"
				  " AND actor_ip = '192.0.2.10' AND object_id = 'ana'"
				  " AND details ->> '$.from' = 'analyst' AND details ->> '$.to' = 'auditor'"),
			 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM audit_log WHERE action = 'login.fail'"
				  " AND details ->> '$.reason' = 'unknown_user' AND object_id = 'ghost'"),
			 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM audit_log WHERE action = 'token.create'"
				  " AND details ->> '$.scope' = 'ingest' AND details ->> '$.user' = 'ana'"),
			 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM audit_log WHERE actor = 'cli:test' AND actor_ip IS NULL"), 2);

	/* filters */
	s = (seen){0};
	vg_audit_filter flt = {.action = "login."};
	assert_int_equal(vg_audit_list(f->db, &flt, collect_audit, &s), 0);
	assert_string_equal(s.actions, "login.fail login.fail login.ok");
	s = (seen){0};
	flt = (vg_audit_filter){.action = "login"}; /* exact: none */
	assert_int_equal(vg_audit_list(f->db, &flt, collect_audit, &s), 0);
	assert_int_equal(s.n, 0);
	s = (seen){0};
	flt = (vg_audit_filter){.object_type = "user",
				.object_id = "ana",
				.has_from = 1,
				.from_us = T0 + 3 * S,
				.has_to = 1,
				.to_us = T0 + 9 * S};
	assert_int_equal(vg_audit_list(f->db, &flt, collect_audit, &s), 0);
	assert_string_equal(s.actions, "user.password user.disable user.enable login.fail");
	s = (seen){0};
	flt = (vg_audit_filter){.actor = "root", .limit = 2, .after_id = 3};
	assert_int_equal(vg_audit_list(f->db, &flt, collect_audit, &s), 0);
	assert_string_equal(s.actions, "user.unit user.password");

	/* append-only: UPDATE and DELETE abort, whoever issues them */
	sqlite3 *h = vg_db_sqlite(f->db);
	long long before = q_int(f, "SELECT count(*) FROM audit_log");
	assert_int_not_equal(sqlite3_exec(h, "UPDATE audit_log SET actor = 'x' WHERE id = 1", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(h), "append-only"));
	assert_int_not_equal(sqlite3_exec(h, "DELETE FROM audit_log WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(h), "append-only"));
	assert_int_not_equal(sqlite3_exec(h, "DELETE FROM audit_log", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(q_int(f, "SELECT count(*) FROM audit_log"), before);
	assert_int_equal(q_int(f, "SELECT count(*) FROM audit_log WHERE actor = 'x'"), 0);

	/* direct records: required fields, JSON object details, bounds */
	vg_audit_entry e = {.ts_us = T0, .actor = "sys", .action = "test.ok", .details = "{\"k\":[1,2]}"};
	assert_int_equal(vg_audit_record(f->db, &e), 0);
	e.details = "not json";
	assert_int_equal(vg_audit_record(f->db, &e), VG_EINVAL);
	e.details = "[1]";
	assert_int_equal(vg_audit_record(f->db, &e), VG_EINVAL);
	e.details = NULL;
	e.action = NULL;
	assert_int_equal(vg_audit_record(f->db, &e), VG_EINVAL);
	e.action = "";
	assert_int_equal(vg_audit_record(f->db, &e), VG_EINVAL);
	char big[VG_AUDIT_MAX_FIELD + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e.action = "x";
	e.object_id = big;
	assert_int_equal(vg_audit_record(f->db, &e), VG_ELIMIT);
	assert_int_equal(q_int(f, "SELECT count(*) FROM audit_log"), before + 1);

	/* an audit entry that cannot be written undoes the change it records */
	assert_int_equal(sqlite3_exec(h,
				      "CREATE TEMP TRIGGER block BEFORE INSERT ON audit_log"
				      " BEGIN SELECT RAISE(ABORT, 'blocked'); END",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_not_equal(vg_auth_user_set_role(f->a, &web, "ana", VG_ROLE_ADMIN, T0 + 20 * S), 0);
	vg_auth_user u;
	assert_int_equal(vg_auth_user_get(f->a, "ana", &u), 0);
	assert_int_equal(u.role, VG_ROLE_AUDITOR);
	vg_auth_user_new nu = {.name = "eve", .role = VG_ROLE_ADMIN, .password = pw_admin, .pw_len = strlen(pw_admin)};
	assert_int_not_equal(vg_auth_user_add(f->a, &web, &nu, T0 + 21 * S, NULL), 0);
	assert_int_equal(vg_auth_user_get(f->a, "eve", &u), VG_ENOTFOUND);
	assert_int_equal(sqlite3_exec(h, "DROP TRIGGER temp.block", NULL, NULL, NULL), SQLITE_OK);
}

/* Changes inside the caller's open batch use a savepoint and commit with it. */
static void test_in_batch_and_reopen(void **state)
{
	fx *f = *state;
	assert_int_equal(vg_db_begin(f->db), 0);
	add_user(f, "ana", VG_ROLE_ANALYST, NULL, pw_ana);
	assert_true(vg_db_in_txn(f->db));
	assert_int_equal(vg_db_commit(f->db), 0);
	assert_int_equal(vg_db_begin(f->db), 0);
	add_user(f, "bob", VG_ROLE_ANALYST, NULL, pw_ana);
	assert_int_equal(vg_db_rollback(f->db), 0);
	vg_auth_user u;
	assert_int_equal(vg_auth_user_get(f->a, "ana", &u), 0);
	assert_int_equal(vg_auth_user_get(f->a, "bob", &u), VG_ENOTFOUND);
	/* reopen: migrations are not re-applied, data stays */
	vg_auth_close(f->a);
	vg_db_close(f->db);
	fx_open(f, NULL);
	assert_int_equal(vg_auth_user_get(f->a, "ana", &u), 0);
	assert_int_equal(vg_db_module_version(f->db, VG_AUTH_MODULE), 1);
	assert_int_equal(vg_db_module_version(f->db, VG_AUDIT_MODULE), 1);
	/* a newer auth schema is refused */
	assert_int_equal(sqlite3_exec(vg_db_sqlite(f->db),
				      "UPDATE schema_modules SET version = 9 WHERE module = 'auth'", NULL, NULL, NULL),
			 SQLITE_OK);
	int err = 0;
	assert_null(vg_auth_open(f->db, NULL, &err));
	assert_int_equal(err, VG_EUNSUPPORTED);
}

/* The last enabled admin can be neither demoted nor disabled (whoever
 * asks: the API's "not yourself" rule does not cover an admin removed by
 * another, nor the CLI); display names are set, cleared and checked. */
static void test_last_admin_and_display_name(void **state)
{
	fx *f = *state;
	static const char pw[] = "a-long-password-123";
	add_user(f, "root", VG_ROLE_ADMIN, NULL, pw);
	add_user(f, "ana", VG_ROLE_ANALYST, NULL, pw);
	assert_int_equal(vg_auth_user_set_role(f->a, &cli, "root", VG_ROLE_ANALYST, T0 + S), VG_EINVAL);
	assert_non_null(strstr(vg_auth_errmsg(f->a), "root is the last enabled admin"));
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "root", 1, T0 + S), VG_EINVAL);
	vg_auth_user g;
	assert_int_equal(vg_auth_user_get(f->a, "root", &g), 0);
	assert_true(g.role == VG_ROLE_ADMIN && !g.disabled && g.updated_us == T0); /* nothing changed */
	/* a disabled second admin does not count */
	add_user(f, "adm2", VG_ROLE_ADMIN, NULL, pw);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "adm2", 1, T0 + S), 0);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "root", 1, T0 + S), VG_EINVAL);
	/* an enabled one does */
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "adm2", 0, T0 + S), 0);
	assert_int_equal(vg_auth_user_set_role(f->a, &cli, "root", VG_ROLE_AUDITOR, T0 + 2 * S), 0);
	assert_int_equal(vg_auth_user_set_disabled(f->a, &cli, "adm2", 1, T0 + 2 * S), VG_EINVAL);
	assert_int_equal(vg_auth_user_set_role(f->a, &cli, "adm2", VG_ROLE_ADMIN, T0 + 2 * S), 0); /* no change: fine */
	assert_int_equal(vg_auth_user_set_role(f->a, &cli, "ana", VG_ROLE_AUDITOR, T0 + 2 * S), 0);  /* not an admin */

	assert_int_equal(vg_auth_user_set_display_name(f->a, &cli, "ana", "Trần Thị Ana", T0 + 3 * S), 0);
	assert_int_equal(vg_auth_user_get(f->a, "ana", &g), 0);
	assert_string_equal(g.display_name, "Trần Thị Ana");
	assert_int_equal(g.updated_us, T0 + 3 * S);
	assert_int_equal(vg_auth_user_set_display_name(f->a, &cli, "ana", "bad\x01", T0 + 4 * S), VG_EINVAL);
	assert_non_null(strstr(vg_auth_errmsg(f->a), "display_name"));
	assert_int_equal(vg_auth_user_set_display_name(f->a, &cli, "nobody", "X", T0 + 4 * S), VG_ENOTFOUND);
	assert_int_equal(vg_auth_user_get(f->a, "ana", &g), 0);
	assert_string_equal(g.display_name, "Trần Thị Ana");
	assert_int_equal(vg_auth_user_set_display_name(f->a, &cli, "ana", "", T0 + 5 * S), 0);
	assert_int_equal(vg_auth_user_get(f->a, "ana", &g), 0);
	assert_string_equal(g.display_name, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_password_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_admin_and_display_name, setup, teardown),
		cmocka_unit_test(test_authorization),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup_short, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_batch_and_reopen, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
