/* test_api_events.c — POST /api/v1/events over real HTTPS (libcurl verifying
 * the private CA) into a recording sink: success, 401/403/503 from the token
 * check, 400 naming the bad line with nothing ingested, 413, 415, sink
 * failures (503 + Retry-After, abort called), concurrent requests never
 * interleaving in the sink, the metrics; and vg_ndjson_check directly. */
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

#include "core/metrics.h"
#include "net/http.h"
#include "net/pki.h"
#include "server/api_events.h"

#define P 600
#define MAX_LINES 1000
#define MAX_BODY (3u << 20)
#define MAX_BATCHES 4096

/* The sink: pending lines become committed lines; each commit is a batch. */
static struct {
	pthread_mutex_t mu; /* the module serialises us; this guards the test's reads */
	vg_buf pending, committed;
	size_t npending, ncommitted, nbatches, aborts, ingest_calls;
	size_t batch_sizes[MAX_BATCHES];
	char batch_first[MAX_BATCHES][32];
	int fail_commit;
	char last_peer[64];
} sink = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int s_auth(void *ud, const char *token, char *who, size_t wholen)
{
	(void)ud;
	if (strcmp(token, "good-token") == 0 || strcmp(token, "b64+/tok==") == 0) {
		snprintf(who, wholen, "ingest-bot");
		return 0;
	}
	if (strcmp(token, "readonly") == 0)
		return VG_EINVAL;
	if (strcmp(token, "backend-down") == 0)
		return VG_EIO;
	return VG_ENOTFOUND;
}

static int s_ingest(void *ud, const char *line, size_t len, const char *peer)
{
	(void)ud;
	/* Widen the window in which unserialised requests would interleave. */
	if (len > 7 && memcmp(line, "{\"req\":", 7) == 0)
		usleep(300);
	pthread_mutex_lock(&sink.mu);
	sink.ingest_calls++;
	snprintf(sink.last_peer, sizeof(sink.last_peer), "%s", peer);
	int r = memmem(line, len, "FAIL_INGEST", 11) != NULL ? VG_EIO : 0;
	if (r == 0 && (vg_buf_append(&sink.pending, line, len) != 0 || vg_buf_append(&sink.pending, "\n", 1) != 0))
		r = VG_ENOMEM;
	if (r == 0)
		sink.npending++;
	pthread_mutex_unlock(&sink.mu);
	return r;
}

static int s_commit(void *ud)
{
	(void)ud;
	pthread_mutex_lock(&sink.mu);
	int r = 0;
	if (sink.fail_commit) {
		r = VG_EIO;
	} else if (sink.npending > 0) {
		if (sink.nbatches < MAX_BATCHES) {
			sink.batch_sizes[sink.nbatches] = sink.npending;
			snprintf(sink.batch_first[sink.nbatches], 32, "%.*s", 31, sink.pending.data);
		}
		sink.nbatches++;
		if (vg_buf_append(&sink.committed, sink.pending.data, sink.pending.len) != 0)
			r = VG_ENOMEM;
		sink.ncommitted += sink.npending;
		sink.pending.len = 0;
		sink.npending = 0;
	}
	pthread_mutex_unlock(&sink.mu);
	return r;
}

static void s_abort(void *ud)
{
	(void)ud;
	pthread_mutex_lock(&sink.mu);
	sink.aborts++;
	sink.pending.len = 0;
	sink.npending = 0;
	pthread_mutex_unlock(&sink.mu);
}

static void sink_reset(void)
{
	pthread_mutex_lock(&sink.mu);
	sink.pending.len = sink.committed.len = 0;
	sink.npending = sink.ncommitted = sink.nbatches = sink.aborts = sink.ingest_calls = 0;
	sink.fail_commit = 0;
	pthread_mutex_unlock(&sink.mu);
}

static struct {
	char root[64], ca[P], cert[P], key[P];
	vg_http *srv;
	vg_metrics *m;
	vg_api_events *ev;
	unsigned port;
} fx;

/* ---- client ---- */

typedef struct reply {
	long status;
	vg_buf body, hdrs;
	CURLcode rc;
} reply;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	return vg_buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

/* headers: NULL-terminated; a NULL array means a good token and NDJSON. */
static void post(const char *const *headers, const char *body, size_t len, reply *out)
{
	static const char *const dflt[] = {"Authorization: Bearer good-token",
					   "Content-Type: application/x-ndjson", NULL};
	char url[P];
	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/api/v1/events", fx.port);
	CURL *c = curl_easy_init();
	/* Small bodies without the 100-continue round trip; large ones wait for
	 * it, so an early answer (413) arrives before the body is sent. */
	struct curl_slist *hl = len < (1u << 20) ? curl_slist_append(NULL, "Expect:") : NULL;
	for (const char *const *h = headers ? headers : dflt; *h != NULL; h++)
		hl = curl_slist_append(hl, *h);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, fx.ca);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	out->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (vg_buf_append(&out->body, "", 1) != 0 || vg_buf_append(&out->hdrs, "", 1) != 0)
		out->rc = CURLE_OUT_OF_MEMORY;
}

static void post_s(const char *const *headers, const char *body, reply *out)
{
	post(headers, body, strlen(body), out);
	assert_int_equal(out->rc, CURLE_OK);
}

static void reply_free(reply *r)
{
	vg_buf_free(&r->body);
	vg_buf_free(&r->hdrs);
}

static int has(const vg_buf *b, const char *s)
{
	return strcasestr(b->data, s) != NULL;
}

/* ---- fixture ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	char why[256] = "";
	vg_pki_ca *ca;
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_apiev_XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	assert_int_equal(vg_pki_init_ca(fx.root, &ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(fx.ca, P, "%s/pki/ca.crt", fx.root);
	snprintf(fx.cert, P, "%s/pki/server.crt", fx.root);
	snprintf(fx.key, P, "%s/pki/server.key", fx.root);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	fx.m = vg_metrics_new();
	int err;
	fx.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert,
					     .key_path = fx.key, .metrics = fx.m, .threads = 3},
			     &err, why, sizeof(why));
	if (fx.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	fx.port = vg_http_port(fx.srv);
	vg_api_events_opts o = {.auth = s_auth, .ingest = s_ingest, .commit = s_commit,
				.abort = s_abort, .metrics = fx.m, .max_lines = MAX_LINES,
				.max_body = MAX_BODY};
	assert_int_equal(vg_api_events_new(&(vg_api_events_opts){.auth = s_auth}, fx.srv, &fx.ev), VG_EINVAL);
	assert_int_equal(vg_api_events_new(&o, fx.srv, &fx.ev), 0);
	assert_int_equal(vg_http_route_metrics(fx.srv, fx.m), 0);
	assert_int_equal(vg_http_start(fx.srv, why, sizeof(why)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_http_free(fx.srv);
	vg_api_events_free(fx.ev);
	vg_metrics_free(fx.m);
	vg_buf_free(&sink.pending);
	vg_buf_free(&sink.committed);
	curl_global_cleanup();
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- tests over HTTPS ---- */

static void test_accepts_batch(void **state)
{
	(void)state;
	sink_reset();
	reply r;
	post_s(NULL, "{\"a\":1}\n\n  \r\n{\"b\":[1,{\"c\":null}]}\r\n{\"big\":18446744073709551615}", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"accepted\":3}\n");
	assert_true(has(&r.hdrs, "\r\nContent-Type: application/json\r\n"));
	assert_true(has(&r.hdrs, "\r\nCache-Control: no-store\r\n"));
	reply_free(&r);
	assert_int_equal(sink.ncommitted, 3);
	assert_int_equal(sink.nbatches, 1);
	assert_int_equal(vg_buf_append(&sink.committed, "", 1), 0);
	sink.committed.len--;
	assert_string_equal(sink.committed.data, "{\"a\":1}\n{\"b\":[1,{\"c\":null}]}\n{\"big\":18446744073709551615}\n");
	assert_int_equal(strncmp(sink.last_peer, "127.0.0.1:", 10), 0);
	/* application/json with parameters, any case; a base64-style token. */
	const char *h[] = {"Authorization: bearer b64+/tok==", "Content-Type: Application/JSON; charset=utf-8", NULL};
	post_s(h, "{\"x\":\"y\"}\n", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"accepted\":1}\n");
	reply_free(&r);
}

static void test_auth_failures(void **state)
{
	(void)state;
	sink_reset();
	reply r;
	const char *none[] = {"Content-Type: application/x-ndjson", NULL};
	post_s(none, "{}", &r);
	assert_int_equal(r.status, 401);
	assert_true(has(&r.hdrs, "\r\nWWW-Authenticate: Bearer realm=\"vigil\"\r\n"));
	assert_non_null(strstr(r.body.data, "\"code\":\"unauthorized\""));
	reply_free(&r);
	const char *garbled[][3] = {
		{"Authorization: Basic Zm9vOmJhcg==", "Content-Type: application/x-ndjson", NULL},
		{"Authorization: Bearer", "Content-Type: application/x-ndjson", NULL},
		{"Authorization: Bearer two tokens", "Content-Type: application/x-ndjson", NULL},
		{"Authorization: Bearer bad\"char", "Content-Type: application/x-ndjson", NULL},
		{"Authorization: Bearer ===", "Content-Type: application/x-ndjson", NULL},
		{"Authorization: Bearer unknown-token", "Content-Type: application/x-ndjson", NULL},
	};
	for (size_t i = 0; i < sizeof(garbled) / sizeof(garbled[0]); i++) {
		post_s(garbled[i], "{}", &r);
		assert_int_equal(r.status, 401);
		assert_true(has(&r.hdrs, "\r\nWWW-Authenticate: Bearer realm=\"vigil\", error=\"invalid_token\"\r\n"));
		reply_free(&r);
	}
	const char *ro[] = {"Authorization: Bearer readonly", "Content-Type: application/x-ndjson", NULL};
	post_s(ro, "{}", &r);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body.data, "{\"error\":{\"status\":403,\"code\":\"forbidden\""));
	reply_free(&r);
	const char *down[] = {"Authorization: Bearer backend-down", "Content-Type: application/x-ndjson", NULL};
	post_s(down, "{}", &r);
	assert_int_equal(r.status, 503);
	assert_true(has(&r.hdrs, "\r\nRetry-After: 5\r\n"));
	reply_free(&r);
	assert_int_equal(sink.ingest_calls, 0);
	/* Auth comes before the media type check: nothing is revealed. */
	const char *both[] = {"Authorization: Bearer nope", "Content-Type: text/plain", NULL};
	post_s(both, "{}", &r);
	assert_int_equal(r.status, 401);
	reply_free(&r);
}

static void expect_400(const char *body, const char *needle)
{
	reply r;
	post_s(NULL, body, &r);
	assert_int_equal(r.status, 400);
	if (strstr(r.body.data, needle) == NULL)
		fail_msg("expected \"%s\" in %s", needle, r.body.data);
	assert_non_null(strstr(r.body.data, "nothing was ingested"));
	reply_free(&r);
}

static void test_invalid_lines_ingest_nothing(void **state)
{
	(void)state;
	sink_reset();
	expect_400("{\"ok\":1}\n{\"ok\":2}\n{\"broken\": }\n{\"ok\":3}\n", "\"line 3: invalid JSON at column");
	expect_400("{\"ok\":1}\n\n[1,2]\n", "\"line 3: not a JSON object;");
	expect_400("{\"ok\":1}\n\"str\"\n", "line 2: not a JSON object");
	expect_400("{\"a\":1,\"a\":2}\n", "line 1: invalid JSON");
	expect_400("{\"a\":1} {\"b\":2}\n", "line 1: invalid JSON");
	char deep[200] = "{\"a\":";
	for (int i = 0; i < 32; i++)
		strcat(deep, "[");
	for (int i = 0; i < 32; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	expect_400(deep, "line 1: nesting deeper than 32");
	deep[strlen(deep) - 1] = '\0'; /* 32 levels would be fine: check the exact limit */
	memmove(deep + 5, deep + 6, strlen(deep + 6) + 1);
	memmove(deep + strlen(deep) - 1, "}", 2);
	reply r;
	post_s(NULL, deep, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	sink_reset();
	expect_400("\n\n \n", "\"code\":\"empty_body\"");
	/* A line longer than VG_MAX_RECORD. */
	size_t n = VG_MAX_RECORD + 20;
	char *big = malloc(n + 32);
	assert_non_null(big);
	strcpy(big, "{\"ok\":1}\n{\"s\":\"");
	size_t k = strlen(big);
	memset(big + k, 'x', n - k);
	strcpy(big + n, "\"}\n");
	expect_400(big, "line 2: line longer than 1048576 bytes");
	free(big);
	assert_int_equal(sink.ingest_calls, 0);
	assert_int_equal(sink.ncommitted, 0);
	/* Invalid UTF-8 and a NUL byte. */
	post(NULL, "{\"a\":\"\xff\"}\n", 11, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body.data, "line 1: invalid JSON"));
	reply_free(&r);
	post(NULL, "{\"a\":1}\n{\"a\":\0}\n", 16, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body.data, "line 2: invalid JSON"));
	reply_free(&r);
	assert_int_equal(sink.ingest_calls, 0);
}

static void test_limits_and_media(void **state)
{
	(void)state;
	sink_reset();
	reply r;
	vg_buf b = {0};
	for (int i = 0; i <= MAX_LINES; i++)
		assert_int_equal(vg_buf_append(&b, "{\"n\":1}\n", 8), 0);
	post(NULL, b.data, b.len, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body.data, "\"code\":\"too_many_events\""));
	assert_non_null(strstr(r.body.data, "line 1001: more than 1000 events"));
	reply_free(&r);
	post(NULL, b.data, b.len - 8, &r); /* exactly MAX_LINES */
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"accepted\":1000}\n");
	reply_free(&r);
	vg_buf_free(&b);
	sink_reset();
	char *big = malloc(MAX_BODY + 1);
	assert_non_null(big);
	memset(big, ' ', MAX_BODY + 1);
	big[0] = '{', big[MAX_BODY] = '}';
	post(NULL, big, MAX_BODY + 1, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body.data, "\"code\":\"body_too_large\""));
	reply_free(&r);
	free(big);
	const char *plain[] = {"Authorization: Bearer good-token", "Content-Type: text/plain", NULL};
	post_s(plain, "{}", &r);
	assert_int_equal(r.status, 415);
	assert_non_null(strstr(r.body.data, "\"code\":\"unsupported_media_type\""));
	reply_free(&r);
	const char *missing[] = {"Authorization: Bearer good-token", "Content-Type:", NULL};
	post_s(missing, "{}", &r);
	assert_int_equal(r.status, 415);
	reply_free(&r);
	const char *gz[] = {"Authorization: Bearer good-token", "Content-Type: application/x-ndjson",
			    "Content-Encoding: gzip", NULL};
	post_s(gz, "{}", &r);
	assert_int_equal(r.status, 415);
	reply_free(&r);
	const char *near[] = {"Authorization: Bearer good-token", "Content-Type: application/x-ndjsonx", NULL};
	post_s(near, "{}", &r);
	assert_int_equal(r.status, 415);
	reply_free(&r);
	assert_int_equal(sink.ingest_calls, 0);
}

static void test_sink_failures(void **state)
{
	(void)state;
	sink_reset();
	reply r;
	post_s(NULL, "{\"a\":1}\n{\"msg\":\"FAIL_INGEST\"}\n{\"a\":3}\n", &r);
	assert_int_equal(r.status, 503);
	assert_true(has(&r.hdrs, "\r\nRetry-After: 5\r\n"));
	assert_non_null(strstr(r.body.data, "\"code\":\"unavailable\""));
	reply_free(&r);
	assert_int_equal(sink.aborts, 1);
	assert_int_equal(sink.ncommitted, 0);
	assert_int_equal(sink.npending, 0);
	sink.fail_commit = 1;
	post_s(NULL, "{\"a\":1}\n", &r);
	assert_int_equal(r.status, 503);
	reply_free(&r);
	assert_int_equal(sink.aborts, 2);
	assert_int_equal(sink.ncommitted, 0);
	sink.fail_commit = 0;
	post_s(NULL, "{\"a\":1}\n", &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(sink.ncommitted, 1);
}

static void test_wrong_method(void **state)
{
	(void)state;
	char url[P];
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/api/v1/events", fx.port);
	CURL *c = curl_easy_init();
	vg_buf h = {0}, b = {0};
	long st = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, fx.ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(c);
	assert_int_equal(st, 405);
	assert_int_equal(vg_buf_append(&h, "", 1), 0);
	assert_true(has(&h, "\r\nAllow: POST\r\n"));
	vg_buf_free(&h);
	vg_buf_free(&b);
}

#define NT 6
#define NR 10
#define NL 5

static void *client(void *arg)
{
	int id = (int)(intptr_t)arg, ok = 0;
	for (int i = 0; i < NR; i++) {
		char body[512] = "";
		for (int l = 0; l < NL; l++) {
			size_t k = strlen(body);
			snprintf(body + k, sizeof(body) - k, "{\"req\":\"%02d-%02d\",\"l\":%d}\n", id, i, l);
		}
		reply r;
		post(NULL, body, strlen(body), &r);
		if (r.rc == CURLE_OK && r.status == 200 && strcmp(r.body.data, "{\"accepted\":5}\n") == 0)
			ok++;
		reply_free(&r);
	}
	return (void *)(intptr_t)ok;
}

static void test_concurrent_batches_do_not_interleave(void **state)
{
	(void)state;
	sink_reset();
	pthread_t t[NT];
	for (int i = 0; i < NT; i++)
		assert_int_equal(pthread_create(&t[i], NULL, client, (void *)(intptr_t)i), 0);
	int ok = 0;
	for (int i = 0; i < NT; i++) {
		void *v;
		pthread_join(t[i], &v);
		ok += (int)(intptr_t)v;
	}
	assert_int_equal(ok, NT * NR);
	assert_int_equal(sink.ncommitted, NT * NR * NL);
	assert_int_equal(sink.nbatches, NT * NR);
	/* Each commit holds one request's five lines, in order. */
	assert_int_equal(vg_buf_append(&sink.committed, "", 1), 0);
	const char *p = sink.committed.data;
	for (size_t b = 0; b < sink.nbatches; b++) {
		assert_int_equal(sink.batch_sizes[b], NL);
		char req[8];
		assert_int_equal(sscanf(p, "{\"req\":\"%5[0-9-]\"", req), 1);
		for (int l = 0; l < NL; l++) {
			char want[64];
			snprintf(want, sizeof(want), "{\"req\":\"%s\",\"l\":%d}\n", req, l);
			assert_int_equal(strncmp(p, want, strlen(want)), 0);
			p += strlen(want);
		}
	}
}

static void test_metrics_counted(void **state)
{
	(void)state;
	sink_reset();
	reply r;
	post_s(NULL, "{\"a\":1}\n{\"a\":2}\n", &r);
	reply_free(&r);
	vg_buf b = {0};
	assert_int_equal(vg_metrics_render(fx.m, &b), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	/* Totals over the whole run (tests run in order): 3+1, 1 (depth 32), 1000, 1, 300, 2. */
	assert_non_null(strstr(b.data, "\nvigil_api_events_accepted_total 1308\n"));
	assert_non_null(strstr(b.data, "\nvigil_api_events_requests_total{result=\"forbidden\"} 1\n"));
	assert_non_null(strstr(b.data, "\nvigil_api_events_requests_total{result=\"unauthorized\"} 8\n"));
	assert_non_null(strstr(b.data, "\nvigil_api_events_requests_total{result=\"unavailable\"} 3\n"));
	assert_non_null(strstr(b.data, "\nvigil_api_events_requests_total{result=\"unsupported_media_type\"} 4\n"));
	vg_buf_free(&b);
}

/* ---- the pure validator ---- */

static int collect(void *ud, size_t lineno, const char *line, size_t len)
{
	vg_buf *b = ud;
	char t[32];
	snprintf(t, sizeof(t), "%zu:", lineno);
	if (vg_buf_append(b, t, strlen(t)) != 0 || vg_buf_append(b, line, len) != 0 ||
	    vg_buf_append(b, "|", 1) != 0)
		return VG_ENOMEM;
	return 0;
}

static void test_ndjson_check(void **state)
{
	(void)state;
	vg_ndjson_err e;
	size_t n = 99;
	vg_buf b = {0};
	const char *in = "\r\n{\"a\":\"x\\\"[[[\"}\r\n\t\n{}\n{\"z\":[]}";
	assert_int_equal(vg_ndjson_check((const uint8_t *)in, strlen(in), 10, collect, &b, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_string_equal(b.data, "2:{\"a\":\"x\\\"[[[\"}|4:{}|5:{\"z\":[]}|");
	vg_buf_free(&b);
	assert_int_equal(vg_ndjson_check(NULL, 0, 10, NULL, NULL, &n, &e), 0);
	assert_int_equal(n, 0);
	in = "{}\n{}\n{}";
	assert_int_equal(vg_ndjson_check((const uint8_t *)in, strlen(in), 2, NULL, NULL, &n, &e), VG_ELIMIT);
	assert_int_equal(e.line, 3);
	in = "{}\nnull\n";
	assert_int_equal(vg_ndjson_check((const uint8_t *)in, strlen(in), 2, NULL, NULL, &n, &e), VG_EPARSE);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.reason, "not a JSON object");
	/* A validated line is handed over only once it passed. */
	b = (vg_buf){0};
	in = "{\"a\":1}\n{\"b\":\n";
	assert_int_equal(vg_ndjson_check((const uint8_t *)in, strlen(in), 5, collect, &b, NULL, &e), VG_EPARSE);
	assert_int_equal(e.line, 2);
	assert_int_equal(b.len, strlen("1:{\"a\":1}|"));
	vg_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndjson_check),
		cmocka_unit_test(test_accepts_batch),
		cmocka_unit_test(test_auth_failures),
		cmocka_unit_test(test_invalid_lines_ingest_nothing),
		cmocka_unit_test(test_limits_and_media),
		cmocka_unit_test(test_sink_failures),
		cmocka_unit_test(test_wrong_method),
		cmocka_unit_test(test_concurrent_batches_do_not_interleave),
		cmocka_unit_test(test_metrics_counted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
