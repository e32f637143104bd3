/* sink_https.c — the HTTPS sink: one POST of an NDJSON batch per send, with
 * the Ed25519 signature of the body in X-Vigil-Signature, a bearer token
 * and/or a client certificate; 413 splits the batch, 408/429/5xx are
 * retried, other answers need an operator. One libcurl handle keeps the
 * connection alive between batches. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "core/buf.h"
#include "net/pki.h"
#include "share/sink.h"

#define ANSWER_MAX 1024 /* bytes of a response body kept for the error message */

typedef struct https_sink {
	vg_sink base;
	const vg_sink_conf *c;
	const vg_share_keys *k;
	CURL *curl;
	char *auth; /* "Authorization: Bearer …" or NULL; wiped on close */
	vg_buf body;
	char answer[ANSWER_MAX + 1];
	size_t alen;
} https_sink;

static size_t on_answer(char *p, size_t size, size_t nmemb, void *ud)
{
	https_sink *s = ud;
	size_t n = size * nmemb, room = ANSWER_MAX - s->alen;
	memcpy(s->answer + s->alen, p, n < room ? n : room);
	s->alen += n < room ? n : room;
	s->answer[s->alen] = '\0';
	return n;
}

static int load_token(https_sink *s, vg_sink_result *res)
{
	char *t = NULL;
	int r = vg_sink_read_token(s->c->token_file, &t, res);
	if (r != 0)
		return r;
	size_t len = strlen(t), n = len + 32;
	s->auth = malloc(n);
	if (s->auth != NULL)
		snprintf(s->auth, n, "Authorization: Bearer %s", t);
	OPENSSL_cleanse(t, len);
	free(t);
	return s->auth ? 0 : VG_ENOMEM;
}

static void h_close(vg_sink *base)
{
	https_sink *s = (https_sink *)base;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	if (s->auth != NULL) {
		OPENSSL_cleanse(s->auth, strlen(s->auth));
		free(s->auth);
	}
	vg_buf_free(&s->body);
	free(s);
}

static int h_open(const vg_sink_conf *c, const vg_share_keys *k, vg_sink **out, vg_sink_result *res)
{
	https_sink *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return VG_ENOMEM;
	s->base.ops = &vg_sink_https_ops;
	s->c = c;
	s->k = k;
	int r;
	if (c->token_file[0] && (r = load_token(s, res)) != 0) {
		h_close(&s->base);
		return r;
	}
	if ((s->curl = curl_easy_init()) == NULL) {
		h_close(&s->base);
		return VG_ENOMEM;
	}
	CURL *h = s->curl;
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	if (c->cert[0]) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms * 3);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil/" VG_VERSION);
	*out = &s->base;
	return 0;
}

/* One POST of items[0..n); splits on 413. */
static int post(https_sink *s, const vg_outbox_item *items, size_t n, vg_sink_result *res)
{
	int r;
	s->body.len = 0;
	for (size_t i = 0; i < n; i++)
		if (vg_buf_append(&s->body, items[i].payload, items[i].len) != 0 || vg_buf_append(&s->body, "\n", 1) != 0)
			return VG_ENOMEM;
	char sig[VG_SHARE_SIG_B64], h1[VG_SHARE_SIG_B64 + 32], h2[128], h3[64];
	if ((r = vg_share_sign_b64(s->k, s->body.data, s->body.len, sig)) != 0)
		return r;
	snprintf(h1, sizeof(h1), "X-Vigil-Signature: %s", sig);
	snprintf(h2, sizeof(h2), "X-Vigil-Key-Id: %s", vg_share_key_id(s->k));
	snprintf(h3, sizeof(h3), "X-Vigil-Items: %zu", n);
	struct curl_slist *hl = NULL, *t;
	const char *hs[] = {"Content-Type: application/x-ndjson", "X-Vigil-Signature-Alg: ed25519", h1, h2, h3,
			    "Expect:", s->auth};
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		if (hs[i] == NULL)
			continue;
		if ((t = curl_slist_append(hl, hs[i])) == NULL) {
			curl_slist_free_all(hl);
			return VG_ENOMEM;
		}
		hl = t;
	}
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, s->body.data);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body.len);
	s->alen = 0;
	s->answer[0] = '\0';
	CURLcode cc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	if (cc != CURLE_OK) {
		snprintf(res->why, sizeof(res->why), "%.200s: %s", s->c->url, curl_easy_strerror(cc));
		res->retryable = !(cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
				   cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_ISSUER_ERROR ||
				   cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT);
		return VG_EIO;
	}
	long code = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300) {
		res->done += n;
		return 0;
	}
	if (code == 413 && n > 1) {
		size_t half = n / 2;
		if ((r = post(s, items, half, res)) != 0)
			return r;
		return post(s, items + half, n - half, res);
	}
	for (size_t i = 0; i < s->alen; i++)
		if ((unsigned char)s->answer[i] < 32)
			s->answer[i] = ' ';
	snprintf(res->why, sizeof(res->why), "%.200s: HTTP %ld%s%.200s", s->c->url, code, s->alen ? ": " : "", s->answer);
	res->retryable = code == 408 || code == 429 || code >= 500;
	/* Retry-After in seconds (RFC 9110 also allows a date; seconds is what
	 * rate limiters send), capped at an hour */
	curl_off_t ra = 0;
	if ((code == 429 || code == 503) && curl_easy_getinfo(s->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		res->retry_after_ms = (int64_t)(ra > 3600 ? 3600 : ra) * 1000;
	return VG_EIO;
}

static int h_send(vg_sink *base, const vg_outbox_item *items, size_t n, vg_sink_result *res)
{
	return post((https_sink *)base, items, n, res);
}

const vg_sink_ops vg_sink_https_ops = {.name = "https", .open = h_open, .send = h_send, .close = h_close};
