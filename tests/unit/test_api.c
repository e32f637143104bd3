/* test_api.c — the /api/v1 plumbing (server/api.c, api_core.c) and the CLI
 * client (cli/client.c) over real TLS on loopback: a vg_http on port 0 with
 * a temp CA, vg_auth on a temp vg_db, the core routes and a small test
 * module. Driven by vg_client (bearer tokens) and raw libcurl (cookies,
 * CSRF, content types, oversized bodies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "net/pki.h"
#include "server/api.h"
#include "server/audit.h"

#include "cli/client.h"

#define P 600
#define T0 1795000000000000LL /* 2026-11-19, the fixed clock */
#define PW_ROOT "root-password-123"
#define PW_ANA "analyst-password-123"
#define PW_AUD "auditor-password-123"

static struct {
	char root[64], ca[P], cert[P], key[P];
	vg_db *db;
	vg_auth *auth;
	vg_http *srv;
	vg_api *api;
	unsigned port;
	char url[64];
	char tok_root[VG_AUTH_TOKEN_BUF], tok_ana[VG_AUTH_TOKEN_BUF], tok_aud[VG_AUTH_TOKEN_BUF],
		tok_ingest[VG_AUTH_TOKEN_BUF];
} fx;

/* ---- a test module ---- */

static void h_things_get(void *ud, vg_api_call *c)
{
	(void)ud;
	vg_api_json(c, 200, json_pack("{s:s, s:s, s:s}", "who", c->who.name, "role", vg_role_name(c->who.role), "unit",
				      c->who.unit));
}

static void h_things_post(void *ud, vg_api_call *c)
{
	(void)ud;
	const char *name;
	int64_t n = 0;
	if (vg_api_str(c, "name", 1, 16, &name) != 0 || vg_api_int(c, "n", 0, 1, 10, &n) != 0)
		return;
	json_t *d = json_pack("{s:s}", "name", name);
	if (vg_api_begin(c) != 0 || vg_api_audit(c, "thing.create", "thing", name, d) != 0 || vg_api_commit(c) != 0) {
		json_decref(d);
		vg_api_rollback(c);
		vg_api_error(c, 503, "unavailable", "database");
		return;
	}
	json_decref(d);
	vg_api_json(c, 201, json_pack("{s:s, s:I}", "name", name, "n", (json_int_t)n));
}

/* Audits inside a transaction, then fails without committing: nothing stays. */
static void h_fail(void *ud, vg_api_call *c)
{
	(void)ud;
	if (vg_api_begin(c) != 0 || vg_api_audit(c, "thing.half", "thing", "half", NULL) != 0)
		return;
	vg_api_error(c, 400, "invalid", "half done");
}

static void h_silent(void *ud, vg_api_call *c)
{
	(void)ud, (void)c;
}

static void h_units(void *ud, vg_api_call *c)
{
	(void)ud;
	if (!vg_auth_unit_visible(&c->who, c->rest)) {
		vg_api_error(c, 404, "not_found", "no unit %s", c->rest);
		return;
	}
	vg_api_json(c, 200, json_pack("{s:s}", "unit", c->rest));
}

/* ---- raw libcurl ---- */

typedef struct reply {
	long status;
	vg_buf body, hdrs;
	CURLcode rc;
	json_t *json;
} reply;

static size_t on_bytes(char *p, size_t sz, size_t n, void *ud)
{
	return vg_buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

static void request(const char *method, const char *path, const char *const *headers, const char *body, size_t len,
		    reply *out)
{
	char url[P];
	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", fx.url, path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *hl = NULL;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, fx.ca);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_bytes);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	out->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	assert_int_equal(out->rc, CURLE_OK);
	assert_int_equal(vg_buf_append(&out->body, "", 1), 0);
	assert_int_equal(vg_buf_append(&out->hdrs, "", 1), 0);
	out->json = json_loads(out->body.data, 0, NULL);
}

static void reply_free(reply *r)
{
	vg_buf_free(&r->body);
	vg_buf_free(&r->hdrs);
	json_decref(r->json);
}

static int has_header(const reply *r, const char *line)
{
	return strcasestr(r->hdrs.data, line) != NULL;
}

static const char *err_code(const reply *r)
{
	return json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
}

static const char *err_msg(const reply *r)
{
	const char *m = json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
	return m != NULL ? m : "";
}

/* Header value after "Name: " in the reply, into out. */
static int header_value(const reply *r, const char *name, char *out, size_t n)
{
	char key[128];
	snprintf(key, sizeof(key), "\r\n%s: ", name);
	const char *p = strcasestr(r->hdrs.data, key);
	if (p == NULL)
		return 0;
	p += strlen(key);
	size_t k = strcspn(p, "\r\n");
	if (k >= n)
		return 0;
	memcpy(out, p, k);
	out[k] = '\0';
	return 1;
}

/* ---- vg_client ---- */

static vg_client *client_for(const char *token)
{
	char why[512] = "";
	vg_client *c = vg_client_new(&(vg_client_opts){.server = fx.url, .token = token, .cacert = fx.ca}, why,
				     sizeof(why));
	if (c == NULL)
		fail_msg("vg_client_new: %s", why);
	return c;
}

/* status of METHOD path through vg_client with token; *out may be NULL. */
static long call(const char *token, const char *method, const char *path, json_t *body, json_t **out)
{
	vg_client *c = client_for(token);
	char why[512] = "";
	long st = 0;
	json_t *ans = NULL;
	int r = vg_client_call(c, method, path, body, &st, &ans, why, sizeof(why));
	if (r != 0)
		fail_msg("vg_client_call %s %s: %s", method, path, why);
	vg_client_free(c);
	if (out != NULL)
		*out = ans;
	else
		json_decref(ans);
	return st;
}

/* Audit entries with this action (under the API lock: the db is the API's). */
static int count_cb(void *ud, const vg_audit_entry *e)
{
	(void)e;
	(*(int *)ud)++;
	return 0;
}

static int audit_count(const char *action, const char *object_id)
{
	int n = 0;
	vg_audit_filter f = {.action = action, .object_id = object_id};
	vg_api_lock(fx.api);
	assert_int_equal(vg_audit_list(fx.db, &f, count_cb, &n), 0);
	vg_api_unlock(fx.api);
	return n;
}

/* ---- fixture ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void add_user(const char *name, vg_role role, const char *unit, const char *pw)
{
	const vg_auth_actor cli = {.name = "cli:test"};
	vg_auth_user_new u = {.name = name, .role = role, .unit = unit, .password = pw, .pw_len = strlen(pw)};
	assert_int_equal(vg_auth_user_add(fx.auth, &cli, &u, T0, NULL), 0);
}

static void add_token(const char *user, vg_token_scope scope, char out[VG_AUTH_TOKEN_BUF])
{
	const vg_auth_actor cli = {.name = "cli:test"};
	vg_auth_token_new t = {.user = user, .scope = scope};
	assert_int_equal(vg_auth_token_create(fx.auth, &cli, &t, T0, out, NULL), 0);
}

static int setup(void **state)
{
	(void)state;
	char why[512] = "";
	int err = 0;
	vg_pki_ca *ca;
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_api_XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	assert_int_equal(vg_pki_init_ca(fx.root, &ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(fx.ca, P, "%s/pki/ca.crt", fx.root);
	snprintf(fx.cert, P, "%s/pki/server.crt", fx.root);
	snprintf(fx.key, P, "%s/pki/server.key", fx.root);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	fx.db = vg_db_open(fx.root, NULL, &err, why, sizeof(why));
	if (fx.db == NULL)
		fail_msg("vg_db_open: %s", why);
	assert_non_null(fx.auth = vg_auth_open(fx.db, NULL, &err));
	add_user("root", VG_ROLE_ADMIN, NULL, PW_ROOT);
	add_user("ana", VG_ROLE_ANALYST, "hq/it", PW_ANA);
	add_user("aud", VG_ROLE_AUDITOR, NULL, PW_AUD);
	add_token("root", VG_SCOPE_ALL, fx.tok_root);
	add_token("ana", VG_SCOPE_ALL, fx.tok_ana);
	add_token("aud", VG_SCOPE_ALL, fx.tok_aud);
	add_token("root", VG_SCOPE_INGEST, fx.tok_ingest);

	fx.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert, .key_path = fx.key,
					     .max_body = 8u << 20},
			     &err, why, sizeof(why));
	if (fx.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	fx.port = vg_http_port(fx.srv);
	snprintf(fx.url, sizeof(fx.url), "https://127.0.0.1:%u", fx.port);
	assert_non_null(fx.api = vg_api_new(fx.srv, fx.db, fx.auth));
	vg_api_set_clock(fx.api, T0 + 1000000);
	assert_int_equal(vg_api_register_core(fx.api), 0);
	assert_int_equal(vg_api_route(fx.api, "GET", "/things", 0, VG_API_READ, h_things_get, NULL), 0);
	assert_int_equal(vg_api_route(fx.api, "POST", "/things", 0, VG_API_WRITE | VG_API_JSON_BODY, h_things_post, NULL),
			 0);
	assert_int_equal(vg_api_route(fx.api, "POST", "/things", 0, VG_API_WRITE, h_things_post, NULL), VG_EINVAL);
	assert_int_equal(vg_api_route(fx.api, "POST", "/fail", 0, VG_API_WRITE | VG_API_JSON_BODY, h_fail, NULL), 0);
	assert_int_equal(vg_api_route(fx.api, "POST", "/silent", 0, VG_API_WRITE, h_silent, NULL), 0);
	assert_int_equal(vg_api_route(fx.api, "GET", "/units/", 1, VG_API_READ, h_units, NULL), 0);
	assert_int_equal(vg_api_route(fx.api, "GET", "/units", 1, VG_API_READ, h_units, NULL), VG_EINVAL);
	assert_int_equal(vg_api_route(fx.api, "TRACE", "/x", 0, VG_API_READ, h_units, NULL), VG_EINVAL);
	assert_int_equal(vg_http_start(fx.srv, why, sizeof(why)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_http_free(fx.srv);
	vg_api_free(fx.api);
	vg_auth_close(fx.auth);
	vg_db_close(fx.db);
	curl_global_cleanup();
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- authentication ---- */

static void test_bearer_token(void **state)
{
	(void)state;
	json_t *a;
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/me", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "root");
	assert_string_equal(json_string_value(json_object_get(a, "role")), "admin");
	assert_string_equal(json_string_value(json_object_get(a, "auth")), "token");
	assert_true(json_is_null(json_object_get(a, "unit")));
	json_decref(a);
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/things", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "who")), "ana");
	assert_string_equal(json_string_value(json_object_get(a, "unit")), "hq/it");
	json_decref(a);
}

static void test_unauthenticated(void **state)
{
	(void)state;
	reply r;
	request("GET", "/api/v1/things", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(err_code(&r), "unauthorized");
	assert_true(has_header(&r, "\r\nWWW-Authenticate: Bearer realm=\"vigil\"\r\n"));
	reply_free(&r);
	const char *bad[] = {"Authorization: Bearer vgt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL};
	request("GET", "/api/v1/things", bad, NULL, 0, &r);
	assert_int_equal(r.status, 401);
	assert_true(has_header(&r, "error=\"invalid_token\""));
	reply_free(&r);
	const char *basic[] = {"Authorization: Basic cm9vdDpyb290", NULL};
	request("GET", "/api/v1/things", basic, NULL, 0, &r);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	/* a refused caller never gets its body read: answered from the headers */
	const char *json[] = {"Content-Type: application/json", NULL};
	request("POST", "/api/v1/things", json, "{\"name\":\"x\"}", 12, &r);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	const char *text[] = {"Content-Type: text/plain", NULL}; /* who you are comes first */
	request("POST", "/api/v1/things", text, "x", 1, &r);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	assert_int_equal(audit_count("thing.create", NULL), 0);
	/* vg_client without a token gets the 401 as an answer, not a failure */
	json_t *a;
	assert_int_equal(call(NULL, "GET", "/api/v1/me", NULL, &a), 401);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "code")), "unauthorized");
	json_decref(a);
}

static void test_ingest_token_refused(void **state)
{
	(void)state;
	json_t *a;
	assert_int_equal(call(fx.tok_ingest, "GET", "/api/v1/things", NULL, &a), 403);
	const char *msg = json_string_value(json_object_get(json_object_get(a, "error"), "message"));
	assert_non_null(strstr(msg, "only submit events"));
	json_decref(a);
	assert_int_equal(call(fx.tok_ingest, "GET", "/api/v1/me", NULL, NULL), 403);
}

static void test_roles(void **state)
{
	(void)state;
	json_t *body = json_pack("{s:s}", "name", "t1"), *a;
	/* auditor: reads, never writes */
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/things", NULL, NULL), 200);
	assert_int_equal(call(fx.tok_aud, "POST", "/api/v1/things", body, &a), 403);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(a, "error"), "message")),
			       "admin or analyst"));
	json_decref(a);
	assert_int_equal(audit_count("thing.create", "t1"), 0);
	/* analyst writes; the audit entry names the actor and the peer */
	assert_int_equal(call(fx.tok_ana, "POST", "/api/v1/things", body, &a), 201);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "t1");
	json_decref(a);
	assert_int_equal(audit_count("thing.create", "t1"), 1);
	/* admin-only routes */
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/users", NULL, NULL), 403);
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/users", NULL, NULL), 403);
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/users", NULL, NULL), 200);
	/* the audit log: admin and auditor, not analyst */
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/audit", NULL, NULL), 403);
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/audit", NULL, NULL), 200);
	json_decref(body);
}

static void test_unit_scope(void **state)
{
	(void)state;
	json_t *a;
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/units/hq/it", NULL, NULL), 200);
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/units/hq/it/lab", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "unit")), "hq/it/lab");
	json_decref(a);
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/units/hq/itx", NULL, NULL), 404);
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/units/hq", NULL, NULL), 404);
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/units/hq", NULL, NULL), 200);
}

/* ---- bodies ---- */

static void test_bodies(void **state)
{
	(void)state;
	char auth[128];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", fx.tok_ana);
	const char *json[] = {auth, "Content-Type: application/json; charset=utf-8", NULL};
	const char *text[] = {auth, "Content-Type: text/plain", NULL};
	const char *none[] = {auth, NULL};
	reply r;
	request("POST", "/api/v1/things", json, "{\"name\":", 8, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(err_code(&r), "invalid_json");
	assert_non_null(strstr(err_msg(&r), "line 1"));
	reply_free(&r);
	request("POST", "/api/v1/things", json, "[1]", 3, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(err_msg(&r), "JSON object"));
	reply_free(&r);
	request("POST", "/api/v1/things", json, "{\"name\":\"a\",\"name\":\"b\"}", 23, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(err_msg(&r), "duplicate"));
	reply_free(&r);
	request("POST", "/api/v1/things", json, "", 0, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(err_code(&r), "empty_body");
	reply_free(&r);
	char deep[200] = "{\"name\":\"d\",\"x\":";
	size_t n = strlen(deep);
	for (int i = 0; i < 40; i++)
		deep[n++] = '[';
	for (int i = 0; i < 40; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	request("POST", "/api/v1/things", json, deep, n, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(err_msg(&r), "deeper than 32"));
	reply_free(&r);
	/* members with the wrong type or out of range are named */
	request("POST", "/api/v1/things", json, "{\"name\":7}", 10, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(err_msg(&r), "name: must be a string");
	reply_free(&r);
	request("POST", "/api/v1/things", json, "{\"name\":\"ok\",\"n\":99}", 20, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(err_msg(&r), "n: must be from 1 to 10");
	reply_free(&r);
	request("POST", "/api/v1/things", json, "{\"n\":2}", 7, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(err_msg(&r), "name: required");
	reply_free(&r);
	request("POST", "/api/v1/things", text, "{\"name\":\"x\"}", 12, &r);
	assert_int_equal(r.status, 415);
	assert_string_equal(err_code(&r), "unsupported_media_type");
	reply_free(&r);
	request("POST", "/api/v1/things", none, "{\"name\":\"x\"}", 12, &r);
	assert_int_equal(r.status, 415);
	reply_free(&r);
	/* over VG_API_MAX_BODY (the server allows 8 MiB): 413 before the body */
	size_t big = VG_API_MAX_BODY + 10;
	char *b = malloc(big + 1);
	assert_non_null(b);
	memset(b, ' ', big);
	b[0] = '{', b[big - 1] = '}', b[big] = '\0';
	request("POST", "/api/v1/things", json, b, big, &r);
	assert_int_equal(r.status, 413);
	assert_string_equal(err_code(&r), "body_too_large");
	reply_free(&r);
	free(b);
	assert_int_equal(audit_count("thing.create", "x"), 0);
	assert_int_equal(audit_count("thing.create", "ok"), 0);
	/* and a good one */
	request("POST", "/api/v1/things", json, "{\"name\":\"ok\",\"n\":3}", 19, &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body.data, "{\"name\":\"ok\",\"n\":3}\n");
	assert_true(has_header(&r, "\r\nContent-Type: application/json\r\n"));
	reply_free(&r);
}

static void test_routes_and_handlers(void **state)
{
	(void)state;
	json_t *a;
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/nothing", NULL, &a), 404);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "code")), "not_found");
	json_decref(a);
	reply r;
	char auth[128];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", fx.tok_root);
	const char *h[] = {auth, NULL};
	request("DELETE", "/api/v1/things", h, NULL, 0, &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "\r\nAllow: GET, HEAD, POST\r\n"));
	reply_free(&r);
	/* a handler that answers nothing: 500 */
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/silent", NULL, NULL), 500);
	/* a handler that fails mid-transaction: its audit entry is rolled back */
	json_t *body = json_object();
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/fail", body, NULL), 400);
	json_decref(body);
	assert_int_equal(audit_count("thing.half", NULL), 0);
	/* and the connection is usable afterwards */
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/things", NULL, NULL), 200);
}

/* ---- sessions ---- */

static void login_as(const char *name, const char *pw, reply *r)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"password\":\"%s\"}", name, pw);
	const char *h[] = {"Content-Type: application/json", NULL};
	request("POST", "/api/v1/login", h, body, strlen(body), r);
}

static void test_session_and_csrf(void **state)
{
	(void)state;
	reply r;
	login_as("ana", PW_ANA, &r);
	assert_int_equal(r.status, 200);
	char cookie[256], sess[128];
	assert_true(header_value(&r, "Set-Cookie", cookie, sizeof(cookie)));
	assert_non_null(strstr(cookie, "; HttpOnly"));
	assert_non_null(strstr(cookie, "; Secure"));
	assert_non_null(strstr(cookie, "; SameSite=Strict"));
	assert_non_null(strstr(cookie, "; Path=/api"));
	assert_int_equal(strncmp(cookie, "vigil_session=", 14), 0);
	snprintf(sess, sizeof(sess), "Cookie: theme=dark; %.*s", (int)strcspn(cookie, ";"), cookie);
	char csrf[128], cv[64];
	assert_non_null(json_string_value(json_object_get(r.json, "csrf")));
	snprintf(cv, sizeof(cv), "%s", json_string_value(json_object_get(r.json, "csrf")));
	assert_int_equal(strlen(cv), VG_AUTH_SESSION_LEN);
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", cv);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "user"), "role")), "analyst");
	reply_free(&r);
	assert_int_equal(audit_count("login.ok", "ana"), 1);

	const char *get[] = {sess, NULL};
	request("GET", "/api/v1/me", get, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "auth")), "session");
	assert_string_equal(json_string_value(json_object_get(r.json, "csrf")), cv);
	reply_free(&r);

	/* unsafe methods need the CSRF header */
	const char *post_nocsrf[] = {sess, "Content-Type: application/json", NULL};
	request("POST", "/api/v1/things", post_nocsrf, "{\"name\":\"s1\"}", 13, &r);
	assert_int_equal(r.status, 403);
	assert_string_equal(err_code(&r), "csrf");
	reply_free(&r);
	const char *post_badcsrf[] = {sess, "Content-Type: application/json",
				      "X-CSRF-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL};
	request("POST", "/api/v1/things", post_badcsrf, "{\"name\":\"s1\"}", 13, &r);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	assert_int_equal(audit_count("thing.create", "s1"), 0);
	const char *post[] = {sess, csrf, "Content-Type: application/json", NULL};
	request("POST", "/api/v1/things", post, "{\"name\":\"s1\"}", 13, &r);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	assert_int_equal(audit_count("thing.create", "s1"), 1);

	/* logout needs CSRF too, then the cookie is dead */
	const char *lo_bad[] = {sess, NULL};
	request("POST", "/api/v1/logout", lo_bad, NULL, 0, &r);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	const char *lo[] = {sess, csrf, NULL};
	request("POST", "/api/v1/logout", lo, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_true(header_value(&r, "Set-Cookie", cookie, sizeof(cookie)));
	assert_non_null(strstr(cookie, "Max-Age=0"));
	reply_free(&r);
	request("GET", "/api/v1/me", get, NULL, 0, &r);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	assert_int_equal(audit_count("logout", "ana"), 1);
	/* a bearer caller has no session to end */
	assert_int_equal(call(fx.tok_ana, "POST", "/api/v1/logout", NULL, NULL), 400);
}

static void test_login_failures(void **state)
{
	(void)state;
	reply r;
	const char *json[] = {"Content-Type: application/json", NULL};
	request("POST", "/api/v1/login", json, "{\"name\":\"aud\"}", 14, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(err_msg(&r), "password: required");
	reply_free(&r);
	request("POST", "/api/v1/login", json, "{\"name\":\"aud\",\"password\":\"x\",\"otp\":1}", 37, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(err_msg(&r), "otp: unknown member");
	reply_free(&r);
	/* every slot taken: 503 without touching Argon2 */
	for (int i = 0; i < VG_API_MAX_LOGINS; i++)
		assert_int_equal(vg_api_login_slot(fx.api), 0);
	assert_int_equal(vg_api_login_slot(fx.api), VG_ELIMIT);
	login_as("aud", PW_AUD, &r);
	assert_int_equal(r.status, 503);
	reply_free(&r);
	for (int i = 0; i < VG_API_MAX_LOGINS; i++)
		vg_api_login_done(fx.api);
	/* wrong passwords up to the per-user limit, then 429 with Retry-After */
	for (int i = 0; i < VG_AUTH_LOGIN_MAX_PER_USER; i++) {
		login_as("aud", "wrong-password-xyz", &r);
		assert_int_equal(r.status, 401);
		assert_string_equal(err_code(&r), "invalid_credentials");
		assert_false(has_header(&r, "Set-Cookie"));
		reply_free(&r);
	}
	login_as("aud", PW_AUD, &r);
	assert_int_equal(r.status, 429);
	char ra[32];
	assert_true(header_value(&r, "Retry-After", ra, sizeof(ra)));
	assert_true(atoi(ra) > 0 && atoi(ra) <= 15 * 60);
	reply_free(&r);
	assert_int_equal(audit_count("login.fail", "aud"), VG_AUTH_LOGIN_MAX_PER_USER);
	assert_int_equal(audit_count("login.refused", "aud"), 1);
	/* after the window the right password works again */
	vg_api_set_clock(fx.api, T0 + 1000000 + VG_AUTH_LOGIN_WINDOW_US + 1000000);
	login_as("aud", PW_AUD, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	vg_api_set_clock(fx.api, T0 + 1000000);
}

/* ---- users, tokens, audit ---- */

static void test_users(void **state)
{
	(void)state;
	json_t *a, *b;
	b = json_pack("{s:s, s:s, s:s, s:s}", "name", "bob", "role", "analyst", "unit", "hq/ops", "password",
		      "bob-password-1234");
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/users", b, &a), 201);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "bob");
	assert_string_equal(json_string_value(json_object_get(a, "unit")), "hq/ops");
	assert_null(json_object_get(a, "password"));
	assert_null(json_object_get(a, "pw_hash"));
	json_decref(a);
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/users", b, &a), 409);
	json_decref(a);
	assert_int_equal(call(fx.tok_ana, "POST", "/api/v1/users", b, NULL), 403);
	json_decref(b);
	assert_int_equal(audit_count("user.", "bob"), 1);

	b = json_pack("{s:s, s:s, s:s}", "name", "carl", "role", "boss", "password", "carl-password-1234");
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/users", b, &a), 400);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(a, "error"), "message")), "role"));
	json_decref(a);
	json_decref(b);
	b = json_pack("{s:s, s:s, s:s}", "name", "Carl!", "role", "auditor", "password", "carl-password-1234");
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/users", b, &a), 400);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(a, "error"), "message")), "name"));
	json_decref(a);
	json_decref(b);
	b = json_pack("{s:s, s:s, s:s}", "name", "carl", "role", "auditor", "password", "short");
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/users", b, &a), 400);
	json_decref(a);
	json_decref(b);
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/users/carl", NULL, NULL), 404);

	/* paging: names in order, limit 2 */
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/users?limit=2", NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(a, "items"), 0), "name")),
			    "ana");
	assert_string_equal(json_string_value(json_object_get(a, "next")), "aud");
	json_decref(a);
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/users?limit=2&after=aud", NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 2); /* bob, root */
	assert_true(json_is_null(json_object_get(a, "next")));
	json_decref(a);
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/users?limit=0", NULL, NULL), 400);
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/users?limit=5000", NULL, NULL), 400);

	/* PATCH: several fields in one transaction; a bad one changes nothing */
	b = json_pack("{s:s, s:s}", "role", "auditor", "unit", "bad unit!");
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/bob", b, &a), 400);
	json_decref(a);
	json_decref(b);
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/users/bob", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "role")), "analyst");
	json_decref(a);
	b = json_pack("{s:s, s:n, s:b}", "role", "auditor", "unit", "disabled", 1);
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/bob", b, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "role")), "auditor");
	assert_true(json_is_null(json_object_get(a, "unit")));
	assert_true(json_is_true(json_object_get(a, "disabled")));
	json_decref(a);
	json_decref(b);
	assert_int_equal(audit_count("user.", "bob"), 4);
	b = json_pack("{s:s}", "colour", "red");
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/bob", b, NULL), 400);
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/nobody", b, NULL), 400);
	json_decref(b);
	b = json_pack("{s:b}", "disabled", 0);
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/nobody", b, NULL), 404);
	assert_int_equal(call(fx.tok_aud, "PATCH", "/api/v1/users/bob", b, NULL), 403);
	json_decref(b);
	b = json_pack("{s:s}", "role", "analyst");
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/root", b, NULL), 400); /* no self-demotion */
	json_decref(b);
	/* the display name: set, refused with control characters, cleared with null */
	b = json_pack("{s:s}", "display_name", "Lê Văn Bob");
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/bob", b, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "display_name")), "Lê Văn Bob");
	json_decref(a);
	json_decref(b);
	b = json_pack("{s:s}", "display_name", "bob\n");
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/bob", b, &a), 400);
	const char *msg = json_string_value(json_object_get(json_object_get(a, "error"), "message"));
	assert_non_null(msg);
	assert_non_null(strstr(msg, "display_name"));
	json_decref(a);
	json_decref(b);
	b = json_pack("{s:n}", "display_name");
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/bob", b, &a), 200);
	assert_true(json_is_null(json_object_get(a, "display_name")));
	json_decref(a);
	json_decref(b);
	assert_int_equal(audit_count("user.display_name", "bob"), 2);
	/* a user sees themself, not others */
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/users/ana", NULL, NULL), 200);
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/users/root", NULL, NULL), 403);
}

static void test_tokens(void **state)
{
	(void)state;
	json_t *a, *b = json_pack("{s:s, s:i}", "label", "laptop", "expires_in", 3600);
	/* an auditor makes a token for themself */
	assert_int_equal(call(fx.tok_aud, "POST", "/api/v1/users/aud/tokens", b, &a), 201);
	char tok[VG_AUTH_TOKEN_BUF], id[VG_AUTH_TOKEN_ID_BUF];
	snprintf(tok, sizeof(tok), "%s", json_string_value(json_object_get(a, "token")));
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(a, "id")));
	assert_int_equal(strlen(tok), VG_AUTH_TOKEN_LEN);
	assert_string_equal(json_string_value(json_object_get(a, "scope")), "all");
	assert_non_null(json_string_value(json_object_get(a, "expires")));
	json_decref(a);
	assert_int_equal(call(tok, "GET", "/api/v1/me", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "token_id")), id);
	json_decref(a);
	/* but not for someone else */
	assert_int_equal(call(fx.tok_ana, "POST", "/api/v1/users/root/tokens", b, NULL), 403);
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/users/nobody/tokens", b, NULL), 404);
	json_decref(b);
	b = json_pack("{s:s}", "scope", "everything");
	assert_int_equal(call(fx.tok_root, "POST", "/api/v1/users/aud/tokens", b, NULL), 400);
	json_decref(b);
	/* the list shows it without the secret */
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/users/aud/tokens", NULL, &a), 200);
	json_t *items = json_object_get(a, "items");
	assert_true(json_array_size(items) >= 2);
	int seen = 0;
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *t = json_array_get(items, i);
		assert_null(json_object_get(t, "token"));
		seen += strcmp(json_string_value(json_object_get(t, "id")), id) == 0;
	}
	assert_int_equal(seen, 1);
	json_decref(a);
	/* an analyst cannot revoke the auditor's token; the owner can */
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/tokens/%s", id);
	assert_int_equal(call(fx.tok_ana, "DELETE", path, NULL, NULL), 403);
	assert_int_equal(call(tok, "DELETE", path, NULL, NULL), 200);
	assert_int_equal(call(tok, "GET", "/api/v1/me", NULL, NULL), 401);
	assert_int_equal(call(fx.tok_root, "DELETE", path, NULL, NULL), 404);
	assert_int_equal(call(fx.tok_root, "DELETE", "/api/v1/tokens/nope", NULL, NULL), 404);
	assert_int_equal(audit_count("token.", id), 2);
}

static void test_audit_api(void **state)
{
	(void)state;
	json_t *a;
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/audit?action=user.&limit=1", NULL, &a), 200);
	json_t *items = json_object_get(a, "items");
	assert_int_equal(json_array_size(items), 1);
	json_t *e = json_array_get(items, 0);
	assert_non_null(strstr(json_string_value(json_object_get(e, "action")), "user."));
	assert_true(json_is_object(json_object_get(e, "details")));
	assert_non_null(json_string_value(json_object_get(e, "time")));
	json_int_t next = json_integer_value(json_object_get(a, "next"));
	assert_true(next > 0);
	json_decref(a);
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/audit?action=user.&limit=1&after=%lld", (long long)next);
	assert_int_equal(call(fx.tok_aud, "GET", path, NULL, &a), 200);
	assert_true(json_integer_value(json_object_get(json_array_get(json_object_get(a, "items"), 0), "id")) > next);
	json_decref(a);
	/* the API's own writes are there with actor and address */
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/audit?action=thing.create&actor=ana", NULL, &a), 200);
	items = json_object_get(a, "items");
	assert_true(json_array_size(items) >= 1);
	e = json_array_get(items, 0);
	assert_string_equal(json_string_value(json_object_get(e, "actor")), "ana");
	assert_string_equal(json_string_value(json_object_get(e, "actor_ip")), "127.0.0.1");
	json_decref(a);
	/* time filters */
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/audit?from=2030-01-01T00:00:00Z", NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a, "items")), 0);
	json_decref(a);
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/audit?from=yesterday", NULL, &a), 400);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(a, "error"), "message")), "from"));
	json_decref(a);
}

static void test_session_expiry_and_disabled(void **state)
{
	(void)state;
	reply r;
	login_as("ana", PW_ANA, &r);
	assert_int_equal(r.status, 200);
	char cookie[256], sess[128];
	assert_true(header_value(&r, "Set-Cookie", cookie, sizeof(cookie)));
	snprintf(sess, sizeof(sess), "Cookie: %.*s", (int)strcspn(cookie, ";"), cookie);
	reply_free(&r);
	const char *get[] = {sess, NULL};
	vg_api_set_clock(fx.api, T0 + 1000000 + 29LL * 60 * 1000000); /* idle 29 min: alive */
	request("GET", "/api/v1/things", get, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	vg_api_set_clock(fx.api, T0 + 1000000 + 60LL * 60 * 1000000); /* idle 31 min: ended */
	request("GET", "/api/v1/things", get, NULL, 0, &r);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	vg_api_set_clock(fx.api, T0 + 1000000);
	/* a disabled user's token stops working, and works again when enabled */
	json_t *b = json_pack("{s:b}", "disabled", 1);
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/ana", b, NULL), 200);
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/things", NULL, NULL), 401);
	json_decref(b);
	b = json_pack("{s:b}", "disabled", 0);
	assert_int_equal(call(fx.tok_root, "PATCH", "/api/v1/users/ana", b, NULL), 200);
	assert_int_equal(call(fx.tok_ana, "GET", "/api/v1/things", NULL, NULL), 200);
	json_decref(b);
	/* HEAD is served as GET, without a body */
	char auth[128];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", fx.tok_ana);
	const char *h[] = {auth, NULL};
	memset(&r, 0, sizeof(r));
	CURL *c = curl_easy_init();
	char url[P];
	snprintf(url, sizeof(url), "%s/api/v1/things", fx.url);
	struct curl_slist *hl = curl_slist_append(NULL, h[0]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, fx.ca);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	long st = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	assert_int_equal(st, 200);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}

/* Several clients at once, reading and writing: every request answered
 * right, every write audited once (the sanitizer build checks the locking). */
#define NTHREADS 6
#define NREQ 15

static void *hammer(void *arg)
{
	long k = (long)arg, bad = 0;
	vg_client *c = client_for(k % 2 ? fx.tok_ana : fx.tok_root);
	for (int i = 0; i < NREQ; i++) {
		char name[32], why[256];
		long st = 0;
		json_t *a = NULL;
		snprintf(name, sizeof(name), "c%ld-%d", k, i);
		json_t *b = json_pack("{s:s}", "name", name);
		if (vg_client_call(c, "POST", "/api/v1/things", b, &st, &a, why, sizeof(why)) != 0 || st != 201)
			bad++;
		json_decref(a);
		json_decref(b);
		if (vg_client_call(c, "GET", "/api/v1/me", NULL, &st, &a, why, sizeof(why)) != 0 || st != 200)
			bad++;
		json_decref(a);
	}
	vg_client_free(c);
	return (void *)bad;
}

static void test_concurrent_clients(void **state)
{
	(void)state;
	int before = audit_count("thing.create", NULL);
	pthread_t t[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
	long bad = 0;
	for (int i = 0; i < NTHREADS; i++) {
		void *rv;
		assert_int_equal(pthread_join(t[i], &rv), 0);
		bad += (long)rv;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(audit_count("thing.create", NULL), before + NTHREADS * NREQ);
	assert_int_equal(audit_count("thing.create", "c5-14"), 1);
}

/* ---- the client itself ---- */

static void test_client_errors(void **state)
{
	(void)state;
	char why[512] = "";
	assert_null(vg_client_new(&(vg_client_opts){.server = "http://127.0.0.1:1"}, why, sizeof(why)));
	assert_non_null(strstr(why, "https://"));
	assert_null(vg_client_new(&(vg_client_opts){.server = fx.url, .token = "a b"}, why, sizeof(why)));
	assert_null(vg_client_new(&(vg_client_opts){.server = fx.url, .cacert = "/nonexistent/ca.crt"}, why, sizeof(why)));
	assert_non_null(strstr(why, "/nonexistent/ca.crt"));

	/* nobody listens: VG_EIO naming the URL, never the token */
	vg_client *c = vg_client_new(&(vg_client_opts){.server = "https://127.0.0.1:1", .token = fx.tok_root,
						       .cacert = fx.ca, .timeout_s = 10},
				     why, sizeof(why));
	assert_non_null(c);
	long st;
	json_t *a;
	assert_int_equal(vg_client_call(c, "GET", "/api/v1/me", NULL, &st, &a, why, sizeof(why)), VG_EIO);
	assert_non_null(strstr(why, "https://127.0.0.1:1/api/v1/me"));
	assert_null(strstr(why, fx.tok_root));
	vg_client_free(c);

	/* a server the CA does not vouch for: TLS failure */
	char other[P];
	snprintf(other, sizeof(other), "%s/other", fx.root);
	assert_int_equal(mkdir(other, 0700), 0);
	vg_pki_ca *ca;
	assert_int_equal(vg_pki_init_ca(other, &ca, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(other, sizeof(other), "%s/other/pki/ca.crt", fx.root);
	c = vg_client_new(&(vg_client_opts){.server = fx.url, .token = fx.tok_root, .cacert = other}, why, sizeof(why));
	assert_non_null(c);
	assert_int_equal(vg_client_call(c, "GET", "/api/v1/me", NULL, &st, &a, why, sizeof(why)), VG_EIO);
	assert_non_null(strstr(why, fx.url));
	vg_client_free(c);

	/* CA from --data DIR/pki/ca.crt; raw answers keep their Content-Type */
	c = vg_client_new(&(vg_client_opts){.server = fx.url, .token = fx.tok_root, .data_dir = fx.root}, why,
			  sizeof(why));
	assert_non_null(c);
	vg_buf raw = {0};
	const char *ct;
	assert_int_equal(vg_client_call_raw(c, "GET", "/api/v1/me", NULL, &st, &raw, &ct, why, sizeof(why)), 0);
	assert_int_equal(st, 200);
	assert_non_null(ct);
	assert_string_equal(ct, "application/json");
	assert_true(raw.len > 0 && raw.data[raw.len - 1] == '\n');
	vg_buf_free(&raw);
	vg_client_free(c);
}

static void test_client_token_file(void **state)
{
	(void)state;
	char dir[P], path[P], why[512] = "";
	snprintf(dir, sizeof(dir), "%s/xdg", fx.root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/xdg/vigil", fx.root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/xdg/vigil/token", fx.root);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n# comment\n", fx.tok_ana);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	setenv("XDG_CONFIG_HOME", dir, 1);
	unsetenv("VIGIL_TOKEN");
	assert_null(vg_client_new(&(vg_client_opts){.server = fx.url, .cacert = fx.ca}, why, sizeof(why)));
	assert_non_null(strstr(why, "chmod 600"));
	assert_int_equal(chmod(path, 0600), 0);
	vg_client *c = vg_client_new(&(vg_client_opts){.server = fx.url, .cacert = fx.ca}, why, sizeof(why));
	assert_non_null(c);
	long st;
	json_t *a;
	assert_int_equal(vg_client_call(c, "GET", "/api/v1/me", NULL, &st, &a, why, sizeof(why)), 0);
	assert_int_equal(st, 200);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "ana");
	json_decref(a);
	vg_client_free(c);
	/* $VIGIL_TOKEN wins over the file; --token over both */
	setenv("VIGIL_TOKEN", fx.tok_aud, 1);
	assert_int_equal(call(NULL, "GET", "/api/v1/me", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "aud");
	json_decref(a);
	assert_int_equal(call(fx.tok_root, "GET", "/api/v1/me", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "root");
	json_decref(a);
	unsetenv("VIGIL_TOKEN");
	unsetenv("XDG_CONFIG_HOME");
	/* the option table */
	vg_client_opts o = {0};
	assert_int_equal(vg_client_opt(&o, 0x1001, "https://x"), 1);
	assert_int_equal(vg_client_opt(&o, 0x1004, "/d"), 1);
	assert_int_equal(vg_client_opt(&o, 'x', "y"), 0);
	assert_string_equal(o.server, "https://x");
	assert_string_equal(o.data_dir, "/d");
}

int main(void)
{
	/* tests that write run after the read-only ones; the token file test
	 * sets XDG_CONFIG_HOME, so keep it away from other tests' clients */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer_token),
		cmocka_unit_test(test_unauthenticated),
		cmocka_unit_test(test_ingest_token_refused),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_unit_scope),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_routes_and_handlers),
		cmocka_unit_test(test_session_and_csrf),
		cmocka_unit_test(test_login_failures),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_audit_api),
		cmocka_unit_test(test_session_expiry_and_disabled),
		cmocka_unit_test(test_concurrent_clients),
		cmocka_unit_test(test_client_errors),
		cmocka_unit_test(test_client_token_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
