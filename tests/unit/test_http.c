/* test_http.c — the HTTPS server wrapper against libcurl over real TLS on
 * loopback, verifying the server with the private CA made in a temp dir:
 * routing (exact, prefix, 404, 405 + Allow), headers, query arguments,
 * pre-checks that answer before the body, 413 for declared and chunked
 * oversize bodies, /metrics, TLS policy (wrong CA, TLS 1.1 refused), bind
 * and key-permission errors, concurrent clients. */
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
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/metrics.h"
#include "net/http.h"
#include "net/pki.h"

#define P 600

static struct {
	char root[64], ca[P], cert[P], key[P];
	vg_http *srv;
	vg_metrics *m;
	unsigned port;
	atomic_int guarded_calls;
} fx;

/* ---- a small libcurl client ---- */

typedef struct reply {
	long status;
	vg_buf body, hdrs;
	CURLcode rc;
} reply;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	return vg_buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

typedef struct chunk_src {
	size_t left;
} chunk_src;

static size_t on_read(char *p, size_t sz, size_t n, void *ud)
{
	chunk_src *s = ud;
	size_t k = sz * n < s->left ? sz * n : s->left;
	memset(p, 'x', k);
	s->left -= k;
	return k;
}

/* body == NULL with chunked > 0: a chunked upload of that many bytes. */
static void request_ex(const char *method, const char *path, const char *const *headers,
		       const char *body, size_t len, size_t chunked, const char *cafile, long tls_max,
		       reply *out)
{
	size_t ul = strlen(path) + 64;
	char *url = malloc(ul);
	assert_non_null(url);
	memset(out, 0, sizeof(*out));
	snprintf(url, ul, "https://127.0.0.1:%u%s", fx.port, path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *hl = NULL;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	chunk_src src = {.left = chunked};
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, cafile ? cafile : fx.ca);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else if (chunked > 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &src);
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
	}
	if (tls_max != 0) {
		curl_easy_setopt(c, CURLOPT_SSLVERSION, tls_max);
		curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, "DEFAULT@SECLEVEL=0");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	out->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	free(url);
	assert_int_equal(vg_buf_append(&out->body, "", 1), 0);
	assert_int_equal(vg_buf_append(&out->hdrs, "", 1), 0);
}

static void request(const char *method, const char *path, const char *const *headers,
		    const char *body, reply *out)
{
	request_ex(method, path, headers, body, body ? strlen(body) : 0, 0, NULL, 0, out);
	assert_int_equal(out->rc, CURLE_OK);
}

static void reply_free(reply *r)
{
	vg_buf_free(&r->body);
	vg_buf_free(&r->hdrs);
}

/* ---- handlers ---- */

static void h_hello(void *ud, const vg_http_req *rq, vg_http_resp *rs)
{
	(void)ud;
	const char *who = vg_http_query_arg(rq, "who");
	char t[20000];
	snprintf(t, sizeof(t), "{\"hello\":\"%s\",\"query\":\"%s\",\"agent\":%d}", who ? who : "",
		 rq->query ? rq->query : "", vg_http_header(rq, "user-agent") != NULL);
	assert_int_equal(vg_buf_append(&rs->body, t, strlen(t)), 0);
	assert_int_equal(vg_http_resp_header(rs, "X-Test", "yes"), 0);
	assert_int_equal(vg_http_resp_header(rs, "X-Bad", "a\r\nInjected: 1"), VG_EINVAL);
}

static void h_echo(void *ud, const vg_http_req *rq, vg_http_resp *rs)
{
	(void)ud;
	assert_int_equal(rq->body[rq->body_len], '\0');
	rs->content_type = "text/plain";
	assert_int_equal(vg_buf_append(&rs->body, rq->body, rq->body_len), 0);
}

static void h_path(void *ud, const vg_http_req *rq, vg_http_resp *rs)
{
	char t[512];
	snprintf(t, sizeof(t), "{\"route\":\"%s\",\"path\":\"%s\",\"peer_ok\":%d}", (const char *)ud,
		 rq->path, strncmp(rq->peer, "127.0.0.1:", 10) == 0);
	assert_int_equal(vg_buf_append(&rs->body, t, strlen(t)), 0);
}

static int pre_guard(void *ud, vg_http_req *rq, vg_http_resp *rs)
{
	(void)ud;
	assert_null(rq->body);
	const char *k = vg_http_header(rq, "X-Key");
	if (k == NULL || strcmp(k, "sesame") != 0) {
		vg_http_error(rs, 401, "unauthorized", "no key %s", "given");
		return 1;
	}
	snprintf(rq->who, sizeof(rq->who), "alice");
	return 0;
}

static void h_guarded(void *ud, const vg_http_req *rq, vg_http_resp *rs)
{
	(void)ud;
	atomic_fetch_add(&fx.guarded_calls, 1);
	char t[256];
	snprintf(t, sizeof(t), "{\"who\":\"%s\",\"len\":%zu}", rq->who, rq->body_len);
	assert_int_equal(vg_buf_append(&rs->body, t, strlen(t)), 0);
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
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_http_XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	assert_int_equal(vg_pki_init_ca(fx.root, &ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(fx.ca, P, "%s/pki/ca.crt", fx.root);
	snprintf(fx.cert, P, "%s/pki/server.crt", fx.root);
	snprintf(fx.key, P, "%s/pki/server.key", fx.root);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	fx.m = vg_metrics_new();
	int err = 0;
	fx.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert,
					     .key_path = fx.key, .max_body = 4096, .metrics = fx.m},
			     &err, why, sizeof(why));
	if (fx.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	fx.port = vg_http_port(fx.srv);
	assert_true(fx.port > 0);
	assert_int_equal(vg_http_route(fx.srv, "GET", "/hello", h_hello, NULL), 0);
	assert_int_equal(vg_http_route(fx.srv, "GET", "/hello", h_hello, NULL), VG_EINVAL);
	assert_int_equal(vg_http_route(fx.srv, "POST", "/echo", h_echo, NULL), 0);
	assert_int_equal(vg_http_route(fx.srv, "PUT", "/echo", h_echo, NULL), 0);
	assert_int_equal(vg_http_route_prefix(fx.srv, "GET", "/api/v1/systems/", h_path, "prefix"), 0);
	assert_int_equal(vg_http_route_prefix(fx.srv, "GET", "/api/v1/systems/special/", h_path, "longer"), 0);
	assert_int_equal(vg_http_route(fx.srv, "GET", "/api/v1/systems/list", h_path, "exact"), 0);
	assert_int_equal(vg_http_route(fx.srv, "GET", "relative", h_path, "x"), VG_EINVAL);
	assert_int_equal(vg_http_route_add(fx.srv, &(vg_http_route_def){.method = "POST", .path = "/guarded",
		.handler = h_guarded, .precheck = pre_guard, .max_body = 100}), 0);
	assert_int_equal(vg_http_route_metrics(fx.srv, fx.m), 0);
	assert_int_equal(vg_http_start(fx.srv, why, sizeof(why)), 0);
	assert_int_equal(vg_http_route(fx.srv, "GET", "/late", h_hello, NULL), VG_EINVAL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_http_free(fx.srv);
	vg_metrics_free(fx.m);
	curl_global_cleanup();
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int has_header(const reply *r, const char *line)
{
	return strcasestr(r->hdrs.data, line) != NULL;
}

/* ---- tests ---- */

static void test_get_json_and_headers(void **state)
{
	(void)state;
	reply r;
	request("GET", "/hello?who=bob%20x&z=1", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"hello\":\"bob x\",\"query\":\"who=bob%20x&z=1\",\"agent\":0}");
	assert_true(has_header(&r, "\r\nContent-Type: application/json\r\n"));
	assert_true(has_header(&r, "\r\nX-Content-Type-Options: nosniff\r\n"));
	assert_true(has_header(&r, "\r\nCache-Control: no-store\r\n"));
	assert_true(has_header(&r, "\r\nX-Test: yes\r\n"));
	assert_false(has_header(&r, "Injected"));
	reply_free(&r);
	const char *ua[] = {"User-Agent: t", NULL};
	request("GET", "/hello", ua, NULL, &r);
	assert_string_equal(r.body.data, "{\"hello\":\"\",\"query\":\"\",\"agent\":1}");
	reply_free(&r);
	request("HEAD", "/hello", NULL, NULL, &r); /* HEAD is routed as GET, no body */
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "");
	reply_free(&r);
}

static void test_404_405(void **state)
{
	(void)state;
	reply r;
	request("GET", "/nope", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body.data,
			    "{\"error\":{\"status\":404,\"code\":\"not_found\",\"message\":\"no such resource\"}}\n");
	assert_true(has_header(&r, "\r\nContent-Type: application/json\r\n"));
	reply_free(&r);
	request("DELETE", "/hello", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "\r\nAllow: GET, HEAD\r\n"));
	assert_non_null(strstr(r.body.data, "\"code\":\"method_not_allowed\""));
	reply_free(&r);
	request("GET", "/echo", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "\r\nAllow: POST, PUT\r\n"));
	reply_free(&r);
	request("GET", "/api/v1/system", NULL, NULL, &r); /* shorter than the prefix */
	assert_int_equal(r.status, 404);
	reply_free(&r);
	/* A request target over VG_HTTP_MAX_URI: 414. */
	char *longq = malloc(VG_HTTP_MAX_URI + 64);
	assert_non_null(longq);
	strcpy(longq, "/hello?who=");
	memset(longq + 11, 'q', VG_HTTP_MAX_URI);
	longq[VG_HTTP_MAX_URI + 11] = '\0';
	request("GET", longq, NULL, NULL, &r);
	assert_int_equal(r.status, 414);
	assert_non_null(strstr(r.body.data, "\"code\":\"uri_too_long\""));
	reply_free(&r);
	longq[VG_HTTP_MAX_URI] = '\0'; /* exactly the limit: served, query intact */
	request("GET", longq, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(strlen(r.body.data), 33 + 2 * (VG_HTTP_MAX_URI - 11) + 4);
	reply_free(&r);
	/* Headers past libmicrohttpd's memory: refused by it, after our URI
	 * callback ran (the sanitizer build checks that nothing leaks). */
	size_t hn = 40000;
	char *hdr = malloc(hn + 16);
	assert_non_null(hdr);
	strcpy(hdr, "X-Big: ");
	memset(hdr + 7, 'h', hn);
	hdr[hn + 7] = '\0';
	const char *hv[] = {hdr, NULL};
	request_ex("GET", "/hello", hv, NULL, 0, 0, NULL, 0, &r);
	assert_true(r.rc != CURLE_OK || r.status >= 400);
	reply_free(&r);
	free(hdr);
	free(longq);
	request("GET", "/hello", NULL, NULL, &r); /* and the server goes on */
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void test_prefix_routes(void **state)
{
	(void)state;
	reply r;
	request("GET", "/api/v1/systems/web-01", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data,
			    "{\"route\":\"prefix\",\"path\":\"/api/v1/systems/web-01\",\"peer_ok\":1}");
	reply_free(&r);
	request("GET", "/api/v1/systems/web%2D02", NULL, NULL, &r); /* the path is decoded */
	assert_non_null(strstr(r.body.data, "\"path\":\"/api/v1/systems/web-02\""));
	reply_free(&r);
	request("GET", "/api/v1/systems/list", NULL, NULL, &r);
	assert_non_null(strstr(r.body.data, "\"route\":\"exact\""));
	reply_free(&r);
	request("GET", "/api/v1/systems/special/9", NULL, NULL, &r);
	assert_non_null(strstr(r.body.data, "\"route\":\"longer\""));
	reply_free(&r);
	request("POST", "/api/v1/systems/web-01", NULL, "x", &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "\r\nAllow: GET, HEAD\r\n"));
	reply_free(&r);
}

static void test_body_and_limits(void **state)
{
	(void)state;
	reply r;
	char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[4096] = '\0'; /* exactly max_body: accepted */
	request("POST", "/echo", NULL, big, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(strlen(r.body.data), 4096);
	assert_true(has_header(&r, "\r\nContent-Type: text/plain\r\n"));
	reply_free(&r);
	big[4096] = 'a'; /* one byte more: 413 from the Content-Length, body unread */
	request_ex("POST", "/echo", NULL, big, 4097, 0, NULL, 0, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body.data, "\"code\":\"body_too_large\""));
	assert_true(has_header(&r, "\r\nConnection: close\r\n"));
	reply_free(&r);
	/* Chunked, no Content-Length: refused once it grows past the limit
	 * (413, or the connection is dropped if the response cannot be queued). */
	request_ex("PUT", "/echo", NULL, NULL, 0, 1 << 20, NULL, 0, &r);
	assert_true(r.status == 413 || r.rc != CURLE_OK);
	assert_int_not_equal(r.status, 200);
	reply_free(&r);
	request_ex("PUT", "/echo", NULL, NULL, 0, 3000, NULL, 0, &r); /* chunked, within */
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(strlen(r.body.data), 3000);
	reply_free(&r);
	/* The server still works. */
	request("POST", "/echo", NULL, "ok", &r);
	assert_string_equal(r.body.data, "ok");
	reply_free(&r);
}

static void test_precheck(void **state)
{
	(void)state;
	reply r;
	atomic_store(&fx.guarded_calls, 0);
	request("POST", "/guarded", NULL, "payload", &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body.data,
			    "{\"error\":{\"status\":401,\"code\":\"unauthorized\",\"message\":\"no key given\"}}\n");
	reply_free(&r);
	assert_int_equal(atomic_load(&fx.guarded_calls), 0);
	const char *h[] = {"X-Key: sesame", NULL};
	request("POST", "/guarded", h, "payload", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"who\":\"alice\",\"len\":7}");
	reply_free(&r);
	assert_int_equal(atomic_load(&fx.guarded_calls), 1);
	char big[200];
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	request("POST", "/guarded", h, big, &r); /* the route's own max_body (100) */
	assert_int_equal(r.status, 413);
	reply_free(&r);
	assert_int_equal(atomic_load(&fx.guarded_calls), 1);
}

static void test_metrics_endpoint(void **state)
{
	(void)state;
	reply r;
	request("GET", "/hello", NULL, NULL, &r);
	reply_free(&r);
	request("GET", "/nope", NULL, NULL, &r);
	reply_free(&r);
	request("GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r.body.data, "# TYPE vigil_http_requests_total counter\n"));
	assert_null(strstr(r.body.data, "vigil_http_requests_total{code=\"2xx\"} 0\n"));
	assert_null(strstr(r.body.data, "vigil_http_requests_total{code=\"4xx\"} 0\n"));
	assert_non_null(strstr(r.body.data, "vigil_http_requests_total{code=\"5xx\"} 0\n"));
	reply_free(&r);
}

static void test_tls_policy(void **state)
{
	(void)state;
	char why[256], other[P];
	vg_pki_ca *ca2;
	snprintf(other, sizeof(other), "%s/other", fx.root);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(vg_pki_init_ca(other, &ca2, why, sizeof(why)), 0);
	vg_pki_ca_free(ca2);
	snprintf(other, sizeof(other), "%s/other/pki/ca.crt", fx.root);
	reply r;
	request_ex("GET", "/hello", NULL, NULL, 0, 0, other, 0, &r);
	assert_true(r.rc == CURLE_PEER_FAILED_VERIFICATION || r.rc == CURLE_SSL_CACERT);
	reply_free(&r);
	/* A client that offers at most TLS 1.1 (its own floor lowered) is refused. */
	request_ex("GET", "/hello", NULL, NULL, 0, 0, NULL,
		   CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_1, &r);
	assert_int_not_equal(r.rc, CURLE_OK);
	assert_int_not_equal(r.rc, CURLE_COULDNT_CONNECT);
	reply_free(&r);
	request_ex("GET", "/hello", NULL, NULL, 0, 0, NULL,
		   CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void test_new_errors(void **state)
{
	(void)state;
	char why[256], addr[64], key2[P];
	int err = 0;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", fx.port);
	vg_http *s = vg_http_new(&(vg_http_opts){.addr = addr, .cert_path = fx.cert, .key_path = fx.key},
				 &err, why, sizeof(why));
	assert_null(s);
	assert_int_equal(err, VG_EIO);
	assert_non_null(strstr(why, "bind: Address already in use"));
	assert_non_null(strstr(why, addr));
	const char *bad[] = {"127.0.0.1", "127.0.0.1:99999", "localhost:80", "[::1:80", "1.2.3.4:-1", "::1:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = vg_http_new(&(vg_http_opts){.addr = bad[i], .cert_path = fx.cert, .key_path = fx.key},
				&err, why, sizeof(why));
		assert_null(s);
		assert_int_equal(err, VG_EINVAL);
	}
	s = vg_http_new(&(vg_http_opts){.addr = "[::1]:0", .cert_path = fx.cert, .key_path = fx.key},
			&err, why, sizeof(why));
	if (s != NULL) /* hosts without IPv6 cannot bind ::1 */
		assert_true(vg_http_port(s) > 0);
	vg_http_free(s);
	/* A key readable by others is refused. */
	snprintf(key2, sizeof(key2), "%s/loose.key", fx.root);
	char *k;
	size_t n;
	assert_int_equal(vg_pki_file_read(fx.key, 1 << 20, &k, &n), 0);
	assert_int_equal(vg_pki_file_write(key2, k, n, 0644), 0);
	free(k);
	s = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert, .key_path = key2},
			&err, why, sizeof(why));
	assert_null(s);
	assert_int_equal(err, VG_EINVAL);
	assert_non_null(strstr(why, "readable by group or others"));
	s = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = "/nonexistent", .key_path = fx.key},
			&err, why, sizeof(why));
	assert_null(s);
	assert_non_null(strstr(why, "/nonexistent"));
}

#define NT 6
#define NR 15

static void *client(void *arg)
{
	int id = (int)(intptr_t)arg, ok = 0;
	for (int i = 0; i < NR; i++) {
		char body[64];
		reply r;
		snprintf(body, sizeof(body), "client %d request %d", id, i);
		request_ex("POST", "/echo", NULL, body, strlen(body), 0, NULL, 0, &r);
		if (r.rc == CURLE_OK && r.status == 200 && strcmp(r.body.data, body) == 0)
			ok++;
		reply_free(&r);
	}
	return (void *)(intptr_t)ok;
}

static void test_concurrent(void **state)
{
	(void)state;
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_json_and_headers),
		cmocka_unit_test(test_404_405),
		cmocka_unit_test(test_prefix_routes),
		cmocka_unit_test(test_body_and_limits),
		cmocka_unit_test(test_precheck),
		cmocka_unit_test(test_metrics_endpoint),
		cmocka_unit_test(test_tls_policy),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_concurrent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
