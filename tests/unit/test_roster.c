/* test_roster.c — the on-duty roster (server/roster.c): shift validation,
 * overlapping shifts all on duty, exclusive ends, gaps in a window, delete;
 * then its REST routes over real TLS on loopback (vg_http + vg_api on a temp
 * database, bearer tokens, a fixed clock): add, field-named 400s, unknown
 * users, roles, /roster/now, gaps, delete and the audit log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "net/pki.h"
#include "server/api.h"
#include "server/roster.h"

#define P 600
#define H (3600LL * 1000000)
#define DAY (24 * H)
#define T0 1795000000000000LL /* 2026-11-18T... */
#define PW "a-long-password-123"

static struct {
	char root[64], ca[P], cert[P], key[P], url[64];
	vg_db *db;
	vg_auth *auth;
	vg_http *srv;
	vg_api *api;
	vg_roster *ro;
	char tok_admin[VG_AUTH_TOKEN_BUF], tok_ana[VG_AUTH_TOKEN_BUF], tok_aud[VG_AUTH_TOKEN_BUF];
} fx;

/* ---- HTTP helpers ---- */
#include "rest_fx_test_util.h"

/* ---- fixture ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void add_user(const char *name, vg_role role, char tok[VG_AUTH_TOKEN_BUF])
{
	const vg_auth_actor cli = {.name = "cli:test"};
	vg_auth_user_new u = {.name = name, .role = role, .password = PW, .pw_len = strlen(PW)};
	assert_int_equal(vg_auth_user_add(fx.auth, &cli, &u, T0, NULL), 0);
	vg_auth_token_new t = {.user = name, .scope = VG_SCOPE_ALL};
	assert_int_equal(vg_auth_token_create(fx.auth, &cli, &t, T0, tok, NULL), 0);
}

static int setup(void **state)
{
	(void)state;
	char why[512] = "";
	int err = 0;
	vg_pki_ca *ca;
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_roster_XXXXXX");
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
	add_user("boss", VG_ROLE_ADMIN, fx.tok_admin);
	add_user("lan", VG_ROLE_ANALYST, fx.tok_ana);
	add_user("minh", VG_ROLE_AUDITOR, fx.tok_aud);
	assert_non_null(fx.ro = vg_roster_open(fx.db, &err));
	vg_roster_set_users(fx.ro, fx.auth);
	fx.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert, .key_path = fx.key}, &err, why,
			     sizeof(why));
	if (fx.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	snprintf(fx.url, sizeof(fx.url), "https://127.0.0.1:%u", vg_http_port(fx.srv));
	assert_non_null(fx.api = vg_api_new(fx.srv, fx.db, fx.auth));
	assert_int_equal(vg_api_register_core(fx.api), 0);
	assert_int_equal(vg_roster_register_api(fx.ro, fx.api), 0);
	assert_int_equal(vg_http_start(fx.srv, why, sizeof(why)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_http_free(fx.srv);
	vg_api_free(fx.api);
	vg_roster_close(fx.ro);
	vg_auth_close(fx.auth);
	vg_db_close(fx.db);
	curl_global_cleanup();
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- collecting ---- */

typedef struct seen {
	char who[8][64];
	int64_t id[8];
	int64_t gap[8][2];
	size_t n;
} seen;

static int take(void *ud, const vg_roster_shift *s)
{
	seen *x = ud;
	assert_true(x->n < 8);
	snprintf(x->who[x->n], 64, "%s", s->person);
	x->id[x->n++] = s->id;
	return 0;
}

static int take_gap(void *ud, int64_t from, int64_t to)
{
	seen *x = ud;
	assert_true(x->n < 8);
	x->gap[x->n][0] = from;
	x->gap[x->n++][1] = to;
	return 0;
}

static int64_t add(const char *person, int64_t start, int64_t end, const char *email)
{
	int64_t id = 0;
	const char *field = NULL;
	vg_roster_shift s = {.person = person, .start_us = start, .end_us = end, .email = email};
	assert_int_equal(vg_roster_add(fx.ro, &s, T0, &id, &field), 0);
	assert_true(id > 0);
	return id;
}

/* ---- model ---- */

static void test_validation(void **state)
{
	(void)state;
	const char *field;
	struct {
		vg_roster_shift s;
		const char *field;
	} bad[] = {
		{{.person = "", .start_us = T0, .end_us = T0 + H}, "person"},
		{{.person = "Bad Name", .start_us = T0, .end_us = T0 + H}, "person"},
		{{.person = "lan", .start_us = 0, .end_us = T0 + H}, "start"},
		{{.person = "lan", .start_us = T0, .end_us = T0}, "end"},
		{{.person = "lan", .start_us = T0 + H, .end_us = T0}, "end"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + 32 * DAY}, "end"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + H, .email = "lan"}, "email"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + H, .email = "lan@x\r\nBcc: y@z"}, "email"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + H, .email = "<lan@x>"}, "email"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + H, .email = "a@b@c"}, "email"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + H, .webhook = "ftp://x/y"}, "webhook"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + H, .webhook = "http://x/a b"}, "webhook"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + H, .webhook = "https://"}, "webhook"},
		{{.person = "lan", .start_us = T0, .end_us = T0 + H, .note = "line\x01"}, "note"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		field = NULL;
		int64_t id = 0;
		assert_int_equal(vg_roster_add(fx.ro, &bad[i].s, T0, &id, &field), VG_EINVAL);
		assert_non_null(field);
		assert_string_equal(field, bad[i].field);
	}
	vg_roster_shift ok = {.person = "lan",
			      .start_us = T0,
			      .end_us = T0 + 31 * DAY,
			      .email = "lan@soc.example.vn",
			      .webhook = "https://hooks.example.vn/vigil?x=1",
			      .note = "ca đêm"};
	assert_int_equal(vg_roster_check(&ok, &field), 0);
	/* nothing of the refused shifts was stored */
	seen x = {0};
	assert_int_equal(vg_roster_list(fx.ro, T0 - DAY, T0 + 40 * DAY, take, &x), 0);
	assert_int_equal(x.n, 0);
}

static void test_on_duty_and_gaps(void **state)
{
	(void)state;
	const int64_t b = T0 + 100 * DAY; /* a day of its own */
	int64_t a = add("lan", b, b + 8 * H, "lan@soc.example.vn");
	int64_t bb = add("boss", b + 6 * H, b + 16 * H, NULL);
	add("minh", b + 20 * H, b + 24 * H, NULL);

	seen x = {0};
	assert_int_equal(vg_roster_on_duty(fx.ro, b + 7 * H, take, &x), 0);
	assert_int_equal(x.n, 2); /* overlap: both on duty */
	assert_string_equal(x.who[0], "lan");
	assert_string_equal(x.who[1], "boss");
	assert_int_equal(x.id[0], a);
	assert_int_equal(x.id[1], bb);

	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_roster_on_duty(fx.ro, b + 16 * H, take, &x), 0);
	assert_int_equal(x.n, 0); /* ends are exclusive */
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_roster_on_duty(fx.ro, b, take, &x), 0);
	assert_int_equal(x.n, 1); /* starts are inclusive */

	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_roster_gaps(fx.ro, b, b + 24 * H, take_gap, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.gap[0][0], b + 16 * H);
	assert_int_equal(x.gap[0][1], b + 20 * H);

	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_roster_gaps(fx.ro, b - 2 * H, b + 26 * H, take_gap, &x), 0);
	assert_int_equal(x.n, 3);
	assert_int_equal(x.gap[0][0], b - 2 * H);
	assert_int_equal(x.gap[0][1], b);
	assert_int_equal(x.gap[1][0], b + 16 * H);
	assert_int_equal(x.gap[2][0], b + 24 * H);
	assert_int_equal(x.gap[2][1], b + 26 * H);

	/* a window inside one shift has no gap; a window with no shift is one */
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_roster_gaps(fx.ro, b + H, b + 2 * H, take_gap, &x), 0);
	assert_int_equal(x.n, 0);
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_roster_gaps(fx.ro, b + 30 * H, b + 40 * H, take_gap, &x), 0);
	assert_int_equal(x.n, 1);

	/* windows are bounded */
	assert_int_equal(vg_roster_list(fx.ro, b, b + 400 * DAY, take, &x), VG_ELIMIT);
	assert_int_equal(vg_roster_list(fx.ro, b, b, take, &x), VG_EINVAL);

	/* delete: gone from duty; twice is not found */
	assert_int_equal(vg_roster_delete(fx.ro, bb), 0);
	assert_int_equal(vg_roster_delete(fx.ro, bb), VG_ENOTFOUND);
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_roster_on_duty(fx.ro, b + 7 * H, take, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(vg_roster_get(fx.ro, bb, take, &x), VG_ENOTFOUND);
}

/* ---- REST ---- */

static void test_api(void **state)
{
	(void)state;
	const int64_t b = T0 + 200 * DAY;
	char body[512], path[128];
	reply r;
	snprintf(body, sizeof(body),
		 "{\"person\":\"lan\",\"start\":%lld,\"end\":%lld,\"email\":\"lan@soc.example.vn\","
		 "\"webhook\":\"https://hooks.example.vn/x\"}",
		 (long long)b, (long long)(b + 12 * H));
	request(fx.tok_ana, "POST", "/roster", body, &r);
	assert_int_equal(r.status, 201);
	int64_t id = json_integer_value(json_object_get(r.json, "id"));
	assert_true(id > 0);
	assert_string_equal(json_string_value(json_object_get(r.json, "person")), "lan");
	assert_string_equal(json_string_value(json_object_get(r.json, "created_by")), "lan");
	reply_free(&r);
	assert_int_equal(audit_count("roster.add"), 1);

	/* RFC 3339 times are accepted too */
	request(fx.tok_admin, "POST", "/roster",
		"{\"person\":\"boss\",\"start\":\"2027-06-07T00:00:00Z\",\"end\":\"2027-06-07T08:00:00+07:00\"}", &r);
	assert_int_equal(r.status, 201);
	assert_int_equal(json_integer_value(json_object_get(r.json, "end_us")) -
				 json_integer_value(json_object_get(r.json, "start_us")),
			 1 * H);
	reply_free(&r);

	/* 400s name the field; nothing is stored */
	struct {
		const char *body, *word;
		long status;
	} bad[] = {
		{"{\"person\":\"lan\",\"start\":\"yesterday\",\"end\":1}", "start", 400},
		{"{\"person\":\"lan\",\"start\":1795000000000000,\"end\":1794000000000000}", "end", 400},
		{"{\"person\":\"lan\",\"start\":1795000000000000,\"end\":1795003600000000,\"email\":\"x y@z\"}", "email", 400},
		{"{\"person\":\"lan\",\"start\":1795000000000000,\"end\":1795003600000000,\"webhook\":\"file:///etc/passwd\"}",
		 "webhook", 400},
		{"{\"person\":\"nobody\",\"start\":1795000000000000,\"end\":1795003600000000}", "person", 400},
		{"{\"start\":1795000000000000,\"end\":1795003600000000}", "person", 400},
		{"{\"person\":5,\"start\":1795000000000000,\"end\":1795003600000000}", "person", 400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request(fx.tok_admin, "POST", "/roster", bad[i].body, &r);
		assert_int_equal(r.status, bad[i].status);
		if (strstr(err_msg(r.json), bad[i].word) == NULL)
			fail_msg("case %zu: '%s' does not name %s", i, err_msg(r.json), bad[i].word);
		reply_free(&r);
	}
	assert_int_equal(audit_count("roster.add"), 2);

	/* an auditor reads but cannot write */
	request(fx.tok_aud, "POST", "/roster", body, &r);
	assert_int_equal(r.status, 403);
	reply_free(&r);

	/* who is on duty now (the API's clock), and the gaps ahead */
	vg_api_set_clock(fx.api, b + 2 * H);
	request(fx.tok_aud, "GET", "/roster/now", NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *on = json_object_get(r.json, "on_duty");
	assert_int_equal(json_array_size(on), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(on, 0), "person")), "lan");
	assert_string_equal(json_string_value(json_object_get(json_array_get(on, 0), "email")), "lan@soc.example.vn");
	assert_true(json_is_true(json_object_get(r.json, "covered")));
	json_t *gaps = json_object_get(r.json, "gaps");
	assert_true(json_array_size(gaps) >= 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(gaps, 0), "from_us")), b + 12 * H);
	reply_free(&r);

	vg_api_set_clock(fx.api, b + 15 * H);
	request(fx.tok_aud, "GET", "/roster/now", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "on_duty")), 0);
	assert_true(json_is_false(json_object_get(r.json, "covered")));
	reply_free(&r);

	/* list a window */
	snprintf(path, sizeof(path), "/roster?from=%lld&to=%lld", (long long)b, (long long)(b + 2 * DAY));
	request(fx.tok_aud, "GET", path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "shifts")), 2);
	assert_int_equal(json_array_size(json_object_get(r.json, "gaps")), 2);
	reply_free(&r);
	request(fx.tok_aud, "GET", "/roster?from=garbage", NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(err_msg(r.json), "from"));
	reply_free(&r);

	/* delete */
	snprintf(path, sizeof(path), "/roster/%lld", (long long)id);
	request(fx.tok_aud, "DELETE", path, NULL, &r);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	request(fx.tok_ana, "DELETE", path, NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	request(fx.tok_ana, "DELETE", path, NULL, &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	request(fx.tok_ana, "GET", "/roster/abc", NULL, &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	assert_int_equal(audit_count("roster.delete"), 1);
	vg_api_set_clock(fx.api, b + 2 * H);
	request(fx.tok_aud, "GET", "/roster/now", NULL, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "on_duty")), 0);
	reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_on_duty_and_gaps),
		cmocka_unit_test(test_api),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
