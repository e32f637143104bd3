/* api_core.c — the API's own routes (vg_api_register_core): login/logout
 * with the session cookie, /me, users and tokens, the audit log. Changes go
 * through auth.c, which records them in the audit log in the same
 * transaction; several changes of one PATCH share one transaction. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "server/api.h"
#include "server/audit.h"

/* ---- JSON views ---- */

static json_t *str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *user_json(const vg_auth_user *u)
{
	return json_pack("{s:I, s:s, s:o, s:s, s:o, s:b, s:o, s:o, s:o}", "id", (json_int_t)u->id, "name", u->name,
			 "display_name", str_or_null(u->display_name), "role", vg_role_name(u->role) ? vg_role_name(u->role) : "?",
			 "unit", str_or_null(u->unit), "disabled", u->disabled, "created", vg_api_time(u->created_us),
			 "updated", vg_api_time(u->updated_us), "last_login", vg_api_time(u->last_login_us));
}

static json_t *token_json(const vg_auth_token_info *t)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "id", t->id, "user", t->user, "label",
			 str_or_null(t->label), "scope", vg_scope_name(t->scope) ? vg_scope_name(t->scope) : "?", "created",
			 vg_api_time(t->created_us), "expires", vg_api_time(t->expires_us), "last_used",
			 vg_api_time(t->last_used_us), "revoked", vg_api_time(t->revoked_us));
}

static vg_auth_actor actor_of(const vg_api_call *c, char *ip, size_t n)
{
	vg_api_peer_ip(c->rq->peer, ip, n);
	return (vg_auth_actor){.name = c->who.name, .ip = ip};
}

/* Wipes a secret member of the body in place (jansson frees without wiping). */
static void wipe_member(vg_api_call *c, const char *name)
{
	json_t *v = c->body != NULL ? json_object_get(c->body, name) : NULL;
	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
}

static void wipe_request_body(vg_api_call *c)
{
	if (c->rq->body != NULL)
		OPENSSL_cleanse((void *)c->rq->body, c->rq->body_len);
}

/* An auth.c failure as an answer. */
static void auth_fail(vg_api_call *c, int r, const char *what)
{
	const char *msg = vg_auth_errmsg(vg_api_auth(c->api));
	vg_api_fail(c, r, "%s: %s", what, msg != NULL && msg[0] != '\0' ? msg : vg_err_str(r));
}

static bool is_self(const vg_api_call *c, const char *name)
{
	return strcmp(c->who.name, name) == 0;
}

/* ---- login, logout, me ---- */

static void login(void *ud, vg_api_call *c)
{
	(void)ud;
	static const char *const members[] = {"name", "password", NULL};
	const char *name, *pw;
	if (vg_api_only(c, members) != 0 || vg_api_str(c, "name", 1, VG_AUTH_NAME_MAX * 4, &name) != 0 ||
	    vg_api_str(c, "password", 1, VG_AUTH_PW_MAX + 1, &pw) != 0) {
		wipe_member(c, "password");
		wipe_request_body(c);
		return;
	}
	if (vg_api_login_slot(c->api) != 0) {
		wipe_member(c, "password");
		wipe_request_body(c);
		vg_api_error(c, 503, "unavailable", "too many logins in progress; retry in a few seconds");
		return;
	}
	char ip[VG_AUTH_IP_MAX + 1];
	vg_api_peer_ip(c->rq->peer, ip, sizeof(ip));
	vg_auth_login_req req = {
		.name = name,
		.password = pw,
		.pw_len = json_string_length(json_object_get(c->body, "password")),
		.peer_ip = ip,
		.now_us = c->now_us,
	};
	vg_auth_login_res res;
	vg_api_lock(c->api);
	int r = vg_auth_login(vg_api_auth(c->api), &req, &res);
	vg_api_unlock(c->api);
	vg_api_login_done(c->api);
	wipe_member(c, "password");
	wipe_request_body(c);
	if (r == VG_ELIMIT) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%lld", (long long)((res.retry_after_us + 999999) / 1000000));
		vg_api_error(c, 429, "rate_limited", "too many failed logins; retry in %s s", ra);
		vg_api_header(c, "Retry-After", ra);
		return;
	}
	if (r == VG_ENOTFOUND || r == VG_EINVAL) {
		vg_api_error(c, 401, "invalid_credentials", "wrong name or password, or the account is disabled");
		vg_api_header(c, "WWW-Authenticate", "Bearer realm=\"vigil\"");
		return;
	}
	if (r != 0) {
		vg_api_error(c, 503, "unavailable", "login failed: %s", vg_err_str(r));
		return;
	}
	char cookie[VG_AUTH_SESSION_BUF + 128];
	snprintf(cookie, sizeof(cookie), "%s=%s; HttpOnly; Secure; SameSite=Strict; Path=/api", VG_API_SESSION_COOKIE,
		 res.session);
	const vg_principal *p = &res.principal;
	json_t *ans = json_pack("{s:{s:s, s:s, s:o}, s:s}", "user", "name", p->name, "role",
				vg_role_name(p->role) ? vg_role_name(p->role) : "?", "unit", str_or_null(p->unit), "csrf",
				res.csrf);
	if (vg_http_resp_header(c->rs, "Set-Cookie", cookie) != 0) {
		json_decref(ans);
		ans = NULL;
	}
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(&res, sizeof(res));
	vg_api_json(c, 200, ans);
}

static void logout(void *ud, vg_api_call *c)
{
	(void)ud;
	char sess[VG_AUTH_SESSION_BUF + 1];
	if (c->who.token_id[0] != '\0' ||
	    !vg_api_cookie(c->rq, VG_API_SESSION_COOKIE, sess, sizeof(sess))) {
		vg_api_error(c, 400, "invalid", "logout ends a session; revoke an API token with DELETE " VG_API_PREFIX
			     "/tokens/{id}");
		return;
	}
	char ip[VG_AUTH_IP_MAX + 1];
	vg_api_peer_ip(c->rq->peer, ip, sizeof(ip));
	int r = vg_auth_logout(vg_api_auth(c->api), sess, ip, c->now_us);
	OPENSSL_cleanse(sess, sizeof(sess));
	if (r != 0 && r != VG_ENOTFOUND) {
		auth_fail(c, r, "logout");
		return;
	}
	if (vg_http_resp_header(c->rs, "Set-Cookie",
				VG_API_SESSION_COOKIE "=; HttpOnly; Secure; SameSite=Strict; Path=/api; Max-Age=0") != 0) {
		vg_api_json(c, 500, NULL);
		return;
	}
	vg_api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

static void me(void *ud, vg_api_call *c)
{
	(void)ud;
	vg_auth_user u;
	int r = vg_auth_user_get(vg_api_auth(c->api), c->who.name, &u);
	if (r != 0) {
		auth_fail(c, r, c->who.name);
		return;
	}
	json_t *o = user_json(&u);
	if (o != NULL && c->who.token_id[0] != '\0') {
		(void)json_object_set_new(o, "auth", json_string("token"));
		(void)json_object_set_new(o, "token_id", json_string(c->who.token_id));
	} else if (o != NULL) {
		/* a page reloaded keeps the cookie but lost the CSRF value */
		char sess[VG_AUTH_SESSION_BUF + 1], csrf[VG_AUTH_SESSION_BUF];
		vg_principal p;
		(void)json_object_set_new(o, "auth", json_string("session"));
		if (vg_api_cookie(c->rq, VG_API_SESSION_COOKIE, sess, sizeof(sess)) &&
		    vg_auth_session(vg_api_auth(c->api), sess, c->now_us, &p, csrf) == 0)
			(void)json_object_set_new(o, "csrf", json_string(csrf));
		OPENSSL_cleanse(sess, sizeof(sess));
		OPENSSL_cleanse(csrf, sizeof(csrf));
	}
	vg_api_json(c, 200, o);
}

/* ---- users ---- */

typedef struct user_page {
	json_t *items;
	const char *after;
	size_t limit, n;
	char last[VG_AUTH_NAME_MAX + 1];
	bool more;
} user_page;

static int collect_user(void *ud, const vg_auth_user *u)
{
	user_page *pg = ud;
	if (pg->after != NULL && strcmp(u->name, pg->after) <= 0)
		return 0;
	if (pg->n == pg->limit) {
		pg->more = true;
		return 1;
	}
	json_t *o = user_json(u);
	if (o == NULL || json_array_append_new(pg->items, o) != 0)
		return VG_ENOMEM;
	snprintf(pg->last, sizeof(pg->last), "%s", u->name);
	pg->n++;
	return 0;
}

static void users_list(void *ud, vg_api_call *c)
{
	(void)ud;
	user_page pg = {.items = json_array()};
	if (pg.items == NULL) {
		vg_api_json(c, 500, NULL);
		return;
	}
	if (vg_api_page(c, &pg.limit, &pg.after) != 0) {
		json_decref(pg.items);
		return;
	}
	int r = vg_auth_user_list(vg_api_auth(c->api), collect_user, &pg);
	if (r < 0) {
		json_decref(pg.items);
		auth_fail(c, r, "users");
		return;
	}
	vg_api_page_answer(c, pg.items, pg.more ? json_string(pg.last) : NULL);
}

static int role_member(vg_api_call *c, int required, vg_role *out, int *given)
{
	const char *s;
	int r = vg_api_str(c, "role", required, 16, &s);
	*given = s != NULL;
	if (r != 0 || s == NULL)
		return r;
	if (vg_role_parse(s, out) != 0) {
		vg_api_error(c, 400, "invalid", "role: '%s' is not admin, analyst or auditor", s);
		return VG_EINVAL;
	}
	return 0;
}

static void user_create(void *ud, vg_api_call *c)
{
	(void)ud;
	static const char *const members[] = {"name", "display_name", "role", "unit", "password", NULL};
	const char *name, *display, *unit, *pw;
	vg_role role;
	int given;
	if (vg_api_only(c, members) != 0 || vg_api_str(c, "name", 1, VG_AUTH_NAME_MAX, &name) != 0 ||
	    vg_api_str(c, "display_name", 0, VG_AUTH_DISPLAY_MAX, &display) != 0 || role_member(c, 1, &role, &given) != 0 ||
	    vg_api_str(c, "unit", 0, VG_AUTH_UNIT_MAX, &unit) != 0 ||
	    vg_api_str(c, "password", 1, VG_AUTH_PW_MAX, &pw) != 0)
		goto out;
	if (!vg_auth_name_valid(name)) {
		vg_api_error(c, 400, "invalid", "name: '%s' is not a valid user name ([a-z0-9._@-], up to %d)", name,
			     VG_AUTH_NAME_MAX);
		goto out;
	}
	if (unit != NULL && !vg_auth_unit_valid(unit)) {
		vg_api_error(c, 400, "invalid", "unit: '%s' is not a unit path (a/b/c)", unit);
		goto out;
	}
	vg_auth_user old;
	int r = vg_auth_user_get(vg_api_auth(c->api), name, &old);
	if (r == 0) {
		vg_api_error(c, 409, "conflict", "user %s exists", name);
		goto out;
	}
	if (r != VG_ENOTFOUND) {
		auth_fail(c, r, name);
		goto out;
	}
	char ip[VG_AUTH_IP_MAX + 1];
	vg_auth_actor who = actor_of(c, ip, sizeof(ip));
	vg_auth_user_new u = {
		.name = name,
		.display_name = display,
		.role = role,
		.unit = unit,
		.password = pw,
		.pw_len = json_string_length(json_object_get(c->body, "password")),
	};
	int64_t id;
	if ((r = vg_auth_user_add(vg_api_auth(c->api), &who, &u, c->now_us, &id)) != 0) {
		auth_fail(c, r, "user");
		goto out;
	}
	vg_auth_user nu;
	if ((r = vg_auth_user_get(vg_api_auth(c->api), name, &nu)) != 0) {
		auth_fail(c, r, name);
		goto out;
	}
	vg_api_json(c, 201, user_json(&nu));
out:
	wipe_member(c, "password");
	wipe_request_body(c);
}

/* "name" or "name/tokens" of the rest of /users/...: the name into out, 1
 * with "/tokens", 0 without, -1 (answered 404) for anything else. */
static int user_path(vg_api_call *c, char out[VG_AUTH_NAME_MAX + 1])
{
	const char *s = c->rest, *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	int tokens = 0;
	if (slash != NULL) {
		if (strcmp(slash, "/tokens") != 0)
			goto nf;
		tokens = 1;
	}
	if (n == 0 || n > VG_AUTH_NAME_MAX)
		goto nf;
	memcpy(out, s, n);
	out[n] = '\0';
	if (!vg_auth_name_valid(out))
		goto nf;
	return tokens;
nf:
	vg_api_error(c, 404, "not_found", "no such resource: %s", c->rq->path);
	return -1;
}

typedef struct token_page {
	json_t *items;
	const char *find; /* token id to look up instead */
	vg_auth_token_info found;
	bool hit;
} token_page;

static int collect_token(void *ud, const vg_auth_token_info *t)
{
	token_page *pg = ud;
	if (pg->find != NULL) {
		if (strcmp(t->id, pg->find) != 0)
			return 0;
		pg->found = *t;
		pg->hit = true;
		return 1;
	}
	json_t *o = token_json(t);
	return o != NULL && json_array_append_new(pg->items, o) == 0 ? 0 : VG_ENOMEM;
}

static void user_get(void *ud, vg_api_call *c)
{
	(void)ud;
	char name[VG_AUTH_NAME_MAX + 1];
	int tokens = user_path(c, name);
	if (tokens < 0)
		return;
	if (!vg_auth_can_admin(&c->who) && !is_self(c, name)) {
		vg_api_error(c, 403, "forbidden", "only an admin may see other users");
		return;
	}
	vg_auth_user u;
	int r = vg_auth_user_get(vg_api_auth(c->api), name, &u);
	if (r != 0) {
		if (r == VG_ENOTFOUND)
			vg_api_error(c, 404, "not_found", "no user %s", name);
		else
			auth_fail(c, r, name);
		return;
	}
	if (!tokens) {
		vg_api_json(c, 200, user_json(&u));
		return;
	}
	token_page pg = {.items = json_array()};
	if (pg.items == NULL) {
		vg_api_json(c, 500, NULL);
		return;
	}
	if ((r = vg_auth_token_list(vg_api_auth(c->api), name, collect_token, &pg)) < 0) {
		json_decref(pg.items);
		auth_fail(c, r, "tokens");
		return;
	}
	vg_api_page_answer(c, pg.items, NULL);
}

static void user_patch(void *ud, vg_api_call *c)
{
	(void)ud;
	static const char *const members[] = {"role", "unit", "disabled", "password", "display_name", NULL};
	char name[VG_AUTH_NAME_MAX + 1];
	vg_auth *au = vg_api_auth(c->api);
	const char *pw = NULL, *display = NULL;
	vg_role role;
	int role_given, disabled = -1, r;
	if (user_path(c, name) != 0) {
		if (c->rs->status == 0)
			vg_api_error(c, 404, "not_found", "no such resource: %s", c->rq->path);
		goto out;
	}
	if (vg_api_only(c, members) != 0 || role_member(c, 0, &role, &role_given) != 0 ||
	    vg_api_bool(c, "disabled", 0, &disabled) != 0 || vg_api_str(c, "password", 0, VG_AUTH_PW_MAX, &pw) != 0 ||
	    vg_api_str(c, "display_name", 0, VG_AUTH_DISPLAY_MAX, &display) != 0)
		goto out;
	json_t *dj = json_object_get(c->body, "display_name"); /* null or "": cleared */
	json_t *unit = json_object_get(c->body, "unit");
	if (unit != NULL && !json_is_null(unit) &&
	    (!json_is_string(unit) || json_string_length(unit) > VG_AUTH_UNIT_MAX ||
	     (json_string_length(unit) > 0 && !vg_auth_unit_valid(json_string_value(unit))))) {
		vg_api_error(c, 400, "invalid", "unit: must be a unit path (a/b/c), or null or \"\" for all units");
		goto out;
	}
	if (json_object_size(c->body) == 0) {
		vg_api_error(c, 400, "invalid", "nothing to change: give role, unit, disabled, password or display_name");
		goto out;
	}
	if (is_self(c, name) && ((role_given && role != VG_ROLE_ADMIN) || disabled == 1)) {
		vg_api_error(c, 400, "invalid", "an admin cannot demote or disable themself (ask another admin)");
		goto out;
	}
	vg_auth_user u;
	if ((r = vg_auth_user_get(au, name, &u)) != 0) {
		if (r == VG_ENOTFOUND)
			vg_api_error(c, 404, "not_found", "no user %s", name);
		else
			auth_fail(c, r, name);
		goto out;
	}
	char ip[VG_AUTH_IP_MAX + 1];
	vg_auth_actor who = actor_of(c, ip, sizeof(ip));
	if ((r = vg_api_begin(c)) != 0) {
		vg_api_fail(c, r, "database: %s", vg_err_str(r));
		goto out;
	}
	const char *what = NULL;
	if (r == 0 && role_given && role != u.role && (r = vg_auth_user_set_role(au, &who, name, role, c->now_us)) != 0)
		what = "role";
	if (r == 0 && unit != NULL) {
		const char *nu = json_is_string(unit) && json_string_length(unit) > 0 ? json_string_value(unit) : NULL;
		if (strcmp(nu != NULL ? nu : "", u.unit) != 0 && (r = vg_auth_user_set_unit(au, &who, name, nu, c->now_us)) != 0)
			what = "unit";
	}
	if (r == 0 && disabled >= 0 && disabled != u.disabled &&
	    (r = vg_auth_user_set_disabled(au, &who, name, disabled, c->now_us)) != 0)
		what = "disabled";
	if (r == 0 && dj != NULL && strcmp(display != NULL ? display : "", u.display_name) != 0 &&
	    (r = vg_auth_user_set_display_name(au, &who, name, display, c->now_us)) != 0)
		what = "display_name";
	if (r == 0 && pw != NULL &&
	    (r = vg_auth_user_set_password(au, &who, name, pw, json_string_length(json_object_get(c->body, "password")),
					   c->now_us)) != 0)
		what = "password";
	if (r == 0 && (r = vg_api_commit(c)) != 0)
		what = "commit";
	if (r != 0) {
		vg_api_rollback(c);
		auth_fail(c, r, what);
		goto out;
	}
	if ((r = vg_auth_user_get(au, name, &u)) != 0) {
		auth_fail(c, r, name);
		goto out;
	}
	vg_api_json(c, 200, user_json(&u));
out:
	wipe_member(c, "password");
	wipe_request_body(c);
}

/* ---- tokens ---- */

static void token_create(void *ud, vg_api_call *c)
{
	(void)ud;
	static const char *const members[] = {"label", "scope", "expires_in", NULL};
	char name[VG_AUTH_NAME_MAX + 1];
	int tokens = user_path(c, name);
	if (tokens < 0)
		return;
	if (tokens == 0) {
		vg_api_error(c, 405, "method_not_allowed", "POST %s: create users with POST " VG_API_PREFIX "/users",
			     c->rq->path);
		return;
	}
	if (!vg_auth_can_admin(&c->who) && !is_self(c, name)) {
		vg_api_error(c, 403, "forbidden", "only an admin may create tokens for other users");
		return;
	}
	const char *label, *scope;
	int64_t ttl = 0;
	vg_token_scope sc = VG_SCOPE_ALL;
	if (vg_api_only(c, members) != 0 || vg_api_str(c, "label", 0, VG_AUTH_LABEL_MAX, &label) != 0 ||
	    vg_api_str(c, "scope", 0, 16, &scope) != 0 || vg_api_int(c, "expires_in", 0, 60, 10LL * 366 * 86400, &ttl) != 0)
		return;
	if (scope != NULL && vg_scope_parse(scope, &sc) != 0) {
		vg_api_error(c, 400, "invalid", "scope: '%s' is not all or ingest", scope);
		return;
	}
	vg_auth_user u;
	int r = vg_auth_user_get(vg_api_auth(c->api), name, &u);
	if (r != 0) {
		if (r == VG_ENOTFOUND)
			vg_api_error(c, 404, "not_found", "no user %s", name);
		else
			auth_fail(c, r, name);
		return;
	}
	char ip[VG_AUTH_IP_MAX + 1];
	vg_auth_actor who = actor_of(c, ip, sizeof(ip));
	vg_auth_token_new t = {
		.user = name,
		.label = label,
		.scope = sc,
		.expires_us = ttl > 0 ? c->now_us + ttl * 1000000 : 0,
	};
	char tok[VG_AUTH_TOKEN_BUF], id[VG_AUTH_TOKEN_ID_BUF];
	if ((r = vg_auth_token_create(vg_api_auth(c->api), &who, &t, c->now_us, tok, id)) != 0) {
		auth_fail(c, r, "token");
		return;
	}
	vg_api_json(c, 201,
		    json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "token", tok, "id", id, "user", name, "label",
			      str_or_null(label), "scope", vg_scope_name(sc), "expires", vg_api_time(t.expires_us)));
	OPENSSL_cleanse(tok, sizeof(tok));
}

static void token_revoke(void *ud, vg_api_call *c)
{
	(void)ud;
	const char *id = c->rest;
	if (strlen(id) != VG_AUTH_TOKEN_ID_LEN || strchr(id, '/') != NULL) {
		vg_api_error(c, 404, "not_found", "no such token: %.64s", id);
		return;
	}
	token_page pg = {.find = id};
	int r = vg_auth_token_list(vg_api_auth(c->api), NULL, collect_token, &pg);
	if (r < 0) {
		auth_fail(c, r, "tokens");
		return;
	}
	if (!pg.hit || pg.found.revoked_us != 0) {
		vg_api_error(c, 404, "not_found", "no live token %s", id);
		return;
	}
	if (!vg_auth_can_admin(&c->who) && !is_self(c, pg.found.user)) {
		vg_api_error(c, 403, "forbidden", "only an admin may revoke other users' tokens");
		return;
	}
	char ip[VG_AUTH_IP_MAX + 1];
	vg_auth_actor who = actor_of(c, ip, sizeof(ip));
	if ((r = vg_auth_token_revoke(vg_api_auth(c->api), &who, id, c->now_us)) != 0) {
		auth_fail(c, r, id);
		return;
	}
	vg_api_json(c, 200, json_pack("{s:s, s:b}", "id", id, "revoked", 1));
}

/* ---- errors ---- */

void vg_api_db_error(vg_api_call *c, vg_db *db, int r, const char *what)
{
	vg_api_error(c, 500, "internal", "%s: %s (%s)", what, vg_err_str(r), vg_db_errmsg(db));
}

/* ---- audit ---- */

typedef struct audit_page {
	json_t *items;
	size_t limit, n;
	int64_t last;
	bool more;
} audit_page;

static int collect_audit(void *ud, const vg_audit_entry *e)
{
	audit_page *pg = ud;
	if (pg->n == pg->limit) {
		pg->more = true;
		return 1;
	}
	json_t *details = NULL;
	if (e->details != NULL)
		details = json_loads(e->details, 0, NULL);
	json_t *o = json_pack("{s:I, s:o, s:s, s:o, s:s, s:o, s:o, s:o}", "id", (json_int_t)e->id, "time",
			      vg_api_time(e->ts_us), "actor", e->actor, "actor_ip", str_or_null(e->actor_ip), "action",
			      e->action, "object_type", str_or_null(e->object_type), "object_id", str_or_null(e->object_id),
			      "details", details != NULL ? details : json_object());
	if (o == NULL || json_array_append_new(pg->items, o) != 0)
		return VG_ENOMEM;
	pg->last = e->id;
	pg->n++;
	return 0;
}

static void audit_list(void *ud, vg_api_call *c)
{
	(void)ud;
	if (c->who.role != VG_ROLE_ADMIN && c->who.role != VG_ROLE_AUDITOR) {
		vg_api_error(c, 403, "forbidden", "the audit log is for admins and auditors");
		return;
	}
	vg_audit_filter f = {0};
	audit_page pg = {0};
	int64_t after;
	if (vg_api_page_id(c, &pg.limit, &after) != 0 ||
	    vg_api_query_time(c, "from", &f.has_from, &f.from_us) != 0 ||
	    vg_api_query_time(c, "to", &f.has_to, &f.to_us) != 0)
		return;
	f.after_id = after;
	f.actor = vg_api_query(c, "actor");
	f.action = vg_api_query(c, "action");
	f.object_type = vg_api_query(c, "object_type");
	f.object_id = vg_api_query(c, "object_id");
	f.limit = pg.limit + 1;
	if ((pg.items = json_array()) == NULL) {
		vg_api_json(c, 500, NULL);
		return;
	}
	int r = vg_audit_list(c->db, &f, collect_audit, &pg);
	if (r < 0) {
		json_decref(pg.items);
		vg_api_fail(c, r, "audit log: %s", vg_db_errmsg(c->db));
		return;
	}
	vg_api_page_answer(c, pg.items, pg.more ? json_integer(pg.last) : NULL);
}

/* ---- registration ---- */

int vg_api_register_core(vg_api *a)
{
	int r;
	if ((r = vg_api_route_nolock(a, "POST", "/login", VG_API_PUBLIC | VG_API_JSON_BODY, login, NULL)) != 0 ||
	    (r = vg_api_route(a, "POST", "/logout", 0, VG_API_READ, logout, NULL)) != 0 ||
	    (r = vg_api_route(a, "GET", "/me", 0, VG_API_READ, me, NULL)) != 0 ||
	    (r = vg_api_route(a, "GET", "/users", 0, VG_API_ADMIN, users_list, NULL)) != 0 ||
	    (r = vg_api_route(a, "POST", "/users", 0, VG_API_ADMIN | VG_API_JSON_BODY, user_create, NULL)) != 0 ||
	    (r = vg_api_route(a, "GET", "/users/", 1, VG_API_READ, user_get, NULL)) != 0 ||
	    (r = vg_api_route(a, "PATCH", "/users/", 1, VG_API_ADMIN | VG_API_JSON_BODY, user_patch, NULL)) != 0 ||
	    (r = vg_api_route(a, "POST", "/users/", 1, VG_API_READ | VG_API_JSON_BODY, token_create, NULL)) != 0 ||
	    (r = vg_api_route(a, "DELETE", "/tokens/", 1, VG_API_READ, token_revoke, NULL)) != 0 ||
	    (r = vg_api_route(a, "GET", "/audit", 0, VG_API_READ, audit_list, NULL)) != 0)
		return r;
	return 0;
}
