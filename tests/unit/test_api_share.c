/* test_api_share.c — the sharing configuration API (share/api_share.c) over
 * real TLS on loopback: a vg_http on port 0 with a temp CA, vg_auth and the
 * sharing outbox on a temp vg_db, driven by vg_client (bearer tokens) and
 * raw libcurl (the PEM answer). Checks roles, validation errors naming the
 * member, audit entries, and that what the API stores is what the outbox
 * (and so the CLI and the sender) sees. */
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

#include "cli/client.h"
#include "net/pki.h"
#include "server/api.h"
#include "share/api_share.h"
#include "share/outbox.h"
#include "share/sign.h"

#define P 600
#define T0 1795000000000000LL
#define BASE "/api/v1/sharing/destinations"

static const char cfg_json[] = "{\"sink\":\"syslog\",\"format\":\"cef\",\"address\":\"soc.example:6514\","
			       "\"ca\":\"/etc/vigil/nmc-ca.pem\"}";

static struct {
	char root[64], ca[P], cert[P], key[P];
	vg_db *db;
	vg_auth *auth;
	vg_http *srv;
	vg_api *api;
	vg_share_keys *keys;
	vg_outbox *ob;
	vg_share_api *sa;
	int flushes;
	char url[64];
	char tok_root[VG_AUTH_TOKEN_BUF], tok_ana[VG_AUTH_TOKEN_BUF], tok_aud[VG_AUTH_TOKEN_BUF];
} fx;

static void on_flush(void *ud)
{
	(*(int *)ud)++;
}

/* ---- helpers ---- */

#include "rest_fx_test_util.h"

static long call(const char *token, const char *method, const char *path, const char *body, json_t **out)
{
	char why[512] = "";
	vg_client *c = vg_client_new(&(vg_client_opts){.server = fx.url, .token = token, .cacert = fx.ca}, why,
				     sizeof(why));
	if (c == NULL)
		fail_msg("vg_client_new: %s", why);
	json_t *b = NULL;
	if (body != NULL && (b = json_loads(body, 0, NULL)) == NULL)
		fail_msg("test body is not JSON: %s", body);
	long st = 0;
	json_t *ans = NULL;
	if (vg_client_call(c, method, path, b, &st, &ans, why, sizeof(why)) != 0)
		fail_msg("vg_client_call %s %s: %s", method, path, why);
	vg_client_free(c);
	json_decref(b);
	if (out != NULL)
		*out = ans;
	else
		json_decref(ans);
	return st;
}

/* status of a call whose error message must start with prefix. */
static void refused(const char *token, const char *method, const char *path, const char *body, long want,
		    const char *prefix)
{
	json_t *a = NULL;
	long st = call(token, method, path, body, &a);
	if (st != want || strncmp(err_msg(a), prefix, strlen(prefix)) != 0)
		fail_msg("%s %s %s: %ld '%s', want %ld '%s...'", method, path, body ? body : "", st, err_msg(a), want,
			 prefix);
	json_decref(a);
}

static void add_dest(const char *name, const char *policy)
{
	char body[2048];
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"config\":%s%s%s}", name, cfg_json, policy ? ",\"policy\":" : "",
		 policy ? policy : "");
	json_t *a = NULL;
	long st = call(fx.tok_root, "POST", BASE, body, &a);
	if (st != 201)
		fail_msg("create %s: %ld %s", name, st, err_msg(a));
	json_decref(a);
}

/* ---- fixture ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void add_user(const char *name, vg_role role, const char *pw, char tok[VG_AUTH_TOKEN_BUF])
{
	const vg_auth_actor cli = {.name = "cli:test"};
	vg_auth_user_new u = {.name = name, .role = role, .password = pw, .pw_len = strlen(pw)};
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
	memset(&fx, 0, sizeof(fx));
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_apishare_XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	assert_int_equal(vg_pki_init_ca(fx.root, &ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(fx.ca, P, "%s/pki/ca.crt", fx.root);
	snprintf(fx.cert, P, "%s/pki/server.crt", fx.root);
	snprintf(fx.key, P, "%s/pki/server.key", fx.root);
	fx.db = vg_db_open(fx.root, NULL, &err, why, sizeof(why));
	if (fx.db == NULL)
		fail_msg("vg_db_open: %s", why);
	assert_non_null(fx.auth = vg_auth_open(fx.db, NULL, &err));
	add_user("root", VG_ROLE_ADMIN, "root-password-123", fx.tok_root);
	add_user("ana", VG_ROLE_ANALYST, "analyst-password-123", fx.tok_ana);
	add_user("aud", VG_ROLE_AUDITOR, "auditor-password-123", fx.tok_aud);
	if (vg_share_keys_load(fx.root, 1, &fx.keys, why, sizeof(why)) != 0)
		fail_msg("keys: %s", why);
	if ((fx.ob = vg_outbox_open(fx.db, fx.keys, NULL, &err, why, sizeof(why))) == NULL)
		fail_msg("outbox: %s", why);

	fx.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert, .key_path = fx.key},
			     &err, why, sizeof(why));
	if (fx.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	snprintf(fx.url, sizeof(fx.url), "https://127.0.0.1:%u", vg_http_port(fx.srv));
	assert_non_null(fx.api = vg_api_new(fx.srv, fx.db, fx.auth));
	vg_api_set_clock(fx.api, T0 + 1000000);
	assert_int_equal(vg_api_register_core(fx.api), 0);
	assert_null(vg_share_api_new(&(vg_share_api_opts){.ob = fx.ob}));
	fx.sa = vg_share_api_new(
		&(vg_share_api_opts){.ob = fx.ob, .keys = fx.keys, .flush = on_flush, .ud = &fx.flushes});
	assert_non_null(fx.sa);
	assert_int_equal(vg_share_api_register(fx.sa, fx.api), 0);
	assert_int_equal(vg_http_start(fx.srv, why, sizeof(why)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_http_free(fx.srv);
	vg_api_free(fx.api);
	vg_share_api_free(fx.sa);
	vg_outbox_close(fx.ob);
	vg_share_keys_free(fx.keys);
	vg_auth_close(fx.auth);
	vg_db_close(fx.db);
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- tests ---- */

static void test_create_list_get(void **state)
{
	(void)state;
	json_t *a = NULL;
	assert_int_equal(call(fx.tok_aud, "GET", BASE, NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a, "destinations")), 0);
	json_decref(a);
	char body[2048];
	snprintf(body, sizeof(body),
		 "{\"name\":\"nmc\",\"config\":%s,\"policy\":{\"streams\":[\"alerts\",\"incidents\"],\"min_level\":\"medium\"}}",
		 cfg_json);
	assert_int_equal(call(fx.tok_root, "POST", BASE, body, &a), 201);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "nmc");
	json_t *c = json_object_get(a, "config");
	assert_string_equal(json_string_value(json_object_get(c, "address")), "soc.example:6514");
	assert_string_equal(json_string_value(json_object_get(c, "format")), "cef");
	assert_int_equal(json_integer_value(json_object_get(c, "batch")), 100); /* canonical: defaults filled in */
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "policy"), "min_level")), "medium");
	json_t *st = json_object_get(a, "status");
	assert_int_equal(json_integer_value(json_object_get(st, "backlog")), 0);
	assert_string_equal(json_string_value(json_object_get(st, "sink")), "syslog-cef");
	json_decref(a);
	/* a destination without a policy gets the default one */
	add_dest("regional", NULL);

	/* any role reads */
	assert_int_equal(call(fx.tok_ana, "GET", BASE, NULL, &a), 200);
	json_t *l = json_object_get(a, "destinations");
	assert_int_equal(json_array_size(l), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "name")), "nmc");
	assert_non_null(json_object_get(json_array_get(l, 1), "status"));
	json_decref(a);
	assert_int_equal(call(fx.tok_aud, "GET", BASE "/regional/policy", NULL, &a), 200);
	json_t *streams = json_object_get(a, "streams");
	assert_int_equal(json_array_size(streams), 3);
	assert_string_equal(json_string_value(json_array_get(streams, 0)), "alerts");
	json_decref(a);
	assert_int_equal(call(fx.tok_aud, "GET", BASE "/nmc", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "nmc");
	json_decref(a);

	/* the outbox (the CLI, the sender) sees exactly that */
	json_t *dl = NULL;
	vg_api_lock(fx.api);
	assert_int_equal(vg_outbox_dests(fx.ob, &dl), 0);
	vg_api_unlock(fx.api);
	assert_int_equal(json_array_size(dl), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(dl, 0), "policy"), "min_level")),
			    "medium");
	json_decref(dl);
	assert_int_equal(audit_count("sharing.destination.create"), 2);
	refused(fx.tok_aud, "GET", BASE "/nosuch", NULL, 404, "destination 'nosuch'");
	refused(fx.tok_aud, "GET", BASE "/NoSuch", NULL, 404, "no such destination");
	refused(fx.tok_aud, "GET", BASE "/nmc/other", NULL, 404, "no such resource");
	refused(NULL, "GET", BASE, NULL, 401, "");
}

static void test_validation(void **state)
{
	(void)state;
	char body[2048];
	snprintf(body, sizeof(body), "{\"name\":\"nmc\",\"config\":%s}", cfg_json);
	refused(fx.tok_ana, "POST", BASE, body, 403, "");
	refused(fx.tok_aud, "POST", BASE, body, 403, "");
	refused(fx.tok_root, "POST", BASE, "{\"name\":\"nmc\"}", 400, "config: required");
	refused(fx.tok_root, "POST", BASE, "{\"name\":\"nmc\",\"config\":\"syslog\"}", 400, "config: must be a JSON object");
	refused(fx.tok_root, "POST", BASE, "{\"name\":\"nmc\",\"config\":{\"sink\":\"carrier-pigeon\"}}", 400, "config: ");
	refused(fx.tok_root, "POST", BASE,
		"{\"name\":\"nmc\",\"config\":{\"sink\":\"syslog\",\"address\":\"a:1\",\"ca\":\"/ca\",\"colour\":1}}", 400,
		"config: ");
	json_t *a = NULL;
	assert_int_equal(call(fx.tok_root, "POST", BASE,
			      "{\"name\":\"nmc\",\"config\":{\"sink\":\"syslog\",\"address\":\"a:1\",\"ca\":\"/ca\","
			      "\"colour\":1}}",
			      &a),
			 400);
	assert_string_equal(err_msg(a), "config: unknown member \"colour\""); /* the member is named */
	json_decref(a);
	snprintf(body, sizeof(body), "{\"name\":\"nmc\",\"config\":%s,\"policy\":{\"streams\":[\"gossip\"]}}", cfg_json);
	assert_int_equal(call(fx.tok_root, "POST", BASE, body, &a), 400);
	assert_memory_equal(err_msg(a), "policy: ", 8);
	assert_non_null(strstr(err_msg(a), "\"streams\""));
	assert_null(strstr(err_msg(a), "policy: policy"));
	json_decref(a);
	snprintf(body, sizeof(body), "{\"name\":\"NMC!\",\"config\":%s}", cfg_json);
	refused(fx.tok_root, "POST", BASE, body, 400, "name: ");
	snprintf(body, sizeof(body), "{\"name\":\"nmc\",\"config\":%s,\"enabled\":true}", cfg_json);
	refused(fx.tok_root, "POST", BASE, body, 400, "enabled: unknown member");
	assert_int_equal(audit_count("sharing.destination.create"), 0);
	add_dest("nmc", NULL);
	snprintf(body, sizeof(body), "{\"name\":\"nmc\",\"config\":%s}", cfg_json);
	refused(fx.tok_root, "POST", BASE, body, 409, "name: destination 'nmc' exists");
	/* the bound on destinations */
	for (int i = 1; i < VG_OUTBOX_MAX_DESTS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "d%02d", i);
		add_dest(name, NULL);
	}
	snprintf(body, sizeof(body), "{\"name\":\"one-too-many\",\"config\":%s}", cfg_json);
	refused(fx.tok_root, "POST", BASE, body, 400, "destination 'one-too-many': at most 16");
	assert_int_equal(audit_count("sharing.destination.create"), VG_OUTBOX_MAX_DESTS);
}

static void test_put(void **state)
{
	(void)state;
	add_dest("nmc", NULL);
	json_t *a = NULL;
	const char *https = "{\"config\":{\"sink\":\"https\",\"url\":\"https://soc.example/in\",\"ca\":\"/etc/ca.pem\","
			    "\"token_file\":\"/etc/vigil/token\",\"batch\":500},"
			    "\"policy\":{\"streams\":[\"incidents\",\"public_ips\"]}}";
	refused(fx.tok_ana, "PUT", BASE "/nmc", https, 403, "");
	assert_int_equal(call(fx.tok_root, "PUT", BASE "/nmc", https, &a), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "config"), "url")),
			    "https://soc.example/in");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "config"), "batch")), 500);
	assert_int_equal(json_array_size(json_object_get(json_object_get(a, "policy"), "streams")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "status"), "sink")), "https");
	json_decref(a);
	/* HTTPS without a certificate or token: the sink's own rule */
	refused(fx.tok_root, "PUT", BASE "/nmc",
		"{\"config\":{\"sink\":\"https\",\"url\":\"https://soc.example/in\",\"ca\":\"/etc/ca.pem\"}}", 400,
		"config: ");
	refused(fx.tok_root, "PUT", BASE "/nmc", "{\"policy\":{}}", 400, "config: required");
	refused(fx.tok_root, "PUT", BASE "/nosuch", https, 404, "destination 'nosuch'");
	/* a refused policy leaves the configuration as it was too */
	refused(fx.tok_root, "PUT", BASE "/nmc",
		"{\"config\":{\"sink\":\"syslog\",\"address\":\"b:2\",\"ca\":\"/ca\"},\"policy\":{\"min_level\":\"huge\"}}",
		400, "policy: ");
	assert_int_equal(call(fx.tok_aud, "GET", BASE "/nmc", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "config"), "sink")), "https");
	json_decref(a);
	assert_int_equal(audit_count("sharing.destination.update"), 1);

	/* the policy alone */
	refused(fx.tok_ana, "PUT", BASE "/nmc/policy", "{\"streams\":[\"alerts\"]}", 403, "");
	assert_int_equal(call(fx.tok_root, "PUT", BASE "/nmc/policy",
			      "{\"streams\":[\"alerts\"],\"min_level\":\"high\",\"units\":[\"bo-x\"],"
			      "\"fields\":{\"user.name\":\"pseudonymise\"},\"internal_ips\":\"redact\"}",
			      &a),
			 200);
	assert_string_equal(json_string_value(json_object_get(a, "min_level")), "high");
	assert_string_equal(json_string_value(json_object_get(a, "internal_ips")), "redact");
	json_decref(a);
	assert_int_equal(call(fx.tok_aud, "GET", BASE "/nmc/policy", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "fields"), "user.name")),
			    "pseudonymise");
	json_decref(a);
	refused(fx.tok_root, "PUT", BASE "/nmc/policy", "{\"fields\":{\"user.name\":\"shred\"}}", 400, "policy: ");
	refused(fx.tok_root, "PUT", BASE "/nosuch/policy", "{\"streams\":[\"alerts\"]}", 404, "destination 'nosuch'");
	assert_int_equal(audit_count("sharing.policy.set"), 1);
	/* the stored policy is what the outbox applies */
	json_t *dl = NULL;
	vg_api_lock(fx.api);
	assert_int_equal(vg_outbox_dests(fx.ob, &dl), 0);
	vg_api_unlock(fx.api);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(dl, 0), "policy"), "min_level")),
			    "high");
	json_decref(dl);
}

static void test_delete(void **state)
{
	(void)state;
	add_dest("nmc", "{\"streams\":[\"incidents\"]}");
	add_dest("keep", "{\"streams\":[\"incidents\"]}");
	json_t *doc = json_pack("{s:i,s:s}", "id", 1, "title", "t");
	vg_outbox_counts oc;
	vg_api_lock(fx.api);
	assert_int_equal(vg_outbox_enqueue(fx.ob, VG_SHARE_INCIDENTS, "incident", "incident-1-1", &(vg_share_subject){0},
					   doc, T0, &oc),
			 0);
	vg_api_unlock(fx.api);
	json_decref(doc);
	assert_int_equal(oc.queued, 2);
	refused(fx.tok_ana, "DELETE", BASE "/nmc", NULL, 403, "");
	json_t *a = NULL;
	assert_int_equal(call(fx.tok_root, "DELETE", BASE "/nmc", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "deleted")), "nmc");
	assert_int_equal(json_integer_value(json_object_get(a, "discarded")), 1);
	json_decref(a);
	refused(fx.tok_aud, "GET", BASE "/nmc", NULL, 404, "");
	refused(fx.tok_root, "DELETE", BASE "/nmc", NULL, 404, "destination 'nmc'");
	refused(fx.tok_root, "DELETE", BASE "/keep/policy", NULL, 404, "no such resource");
	assert_int_equal(audit_count("sharing.destination.delete"), 1);
	/* the other destination keeps its item */
	vg_outbox_item *it = NULL;
	size_t n = 0;
	vg_api_lock(fx.api);
	assert_int_equal(vg_outbox_peek(fx.ob, "keep", 10, 1 << 20, &it, &n), 0);
	vg_api_unlock(fx.api);
	assert_int_equal(n, 1);
	vg_outbox_items_free(it, n);
}

static void test_flush(void **state)
{
	(void)state;
	add_dest("nmc", NULL);
	refused(fx.tok_ana, "POST", BASE "/nmc/flush", NULL, 403, "");
	assert_int_equal(fx.flushes, 0);
	json_t *a = NULL;
	assert_int_equal(call(fx.tok_root, "POST", BASE "/nmc/flush", NULL, &a), 202);
	assert_string_equal(json_string_value(json_object_get(a, "destination")), "nmc");
	assert_true(json_is_true(json_object_get(a, "requested")));
	assert_non_null(json_object_get(json_object_get(a, "status"), "backlog"));
	json_decref(a);
	assert_int_equal(fx.flushes, 1);
	refused(fx.tok_root, "POST", BASE "/nosuch/flush", NULL, 404, "destination 'nosuch'");
	refused(fx.tok_root, "POST", BASE "/nmc/now", NULL, 404, "no such resource");
	assert_int_equal(fx.flushes, 1);
	assert_int_equal(audit_count("sharing.flush"), 1);
}

/* ---- the public key ---- */

static long raw_get(const char *path, const char *token, vg_buf *body, char *ctype, size_t cap)
{
	char url[P], auth[VG_AUTH_TOKEN_BUF + 32];
	snprintf(url, sizeof(url), "%s%s", fx.url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *hl = curl_slist_append(NULL, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, fx.ca);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	long st = 0;
	char *ct = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(ctype, cap, "%s", ct ? ct : "");
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	assert_int_equal(vg_buf_append(body, "", 1), 0);
	return st;
}

static void test_pubkey(void **state)
{
	(void)state;
	char *pem = NULL;
	size_t len = 0;
	assert_int_equal(vg_share_pubkey_pem(fx.keys, &pem, &len), 0);
	json_t *a = NULL;
	assert_int_equal(call(fx.tok_aud, "GET", "/api/v1/sharing/pubkey", NULL, &a), 200);
	assert_string_equal(json_string_value(json_object_get(a, "algorithm")), "ed25519");
	assert_string_equal(json_string_value(json_object_get(a, "key_id")), vg_share_key_id(fx.keys));
	assert_string_equal(json_string_value(json_object_get(a, "pem")), pem);
	json_decref(a);
	vg_buf b = {0};
	char ct[128];
	assert_int_equal(raw_get("/api/v1/sharing/pubkey?format=pem", fx.tok_ana, &b, ct, sizeof(ct)), 200);
	assert_string_equal(ct, "application/x-pem-file");
	assert_string_equal(b.data, pem);
	assert_memory_equal(b.data, "-----BEGIN PUBLIC KEY-----", 26);
	vg_buf_free(&b);
	free(pem);
	refused(fx.tok_aud, "GET", "/api/v1/sharing/pubkey?format=der", NULL, 400, "format: ");
	refused(NULL, "GET", "/api/v1/sharing/pubkey", NULL, 401, "");
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_list_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pubkey, setup, teardown),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
