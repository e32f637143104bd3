/* taxii.c — the TAXII 2.1 client (taxii.h): one libcurl handle kept alive
 * across requests, a bounded response buffer, the retry loop for
 * 429/5xx/network failures, 413 and max_content_length splitting, and the
 * status resource polled to completion. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "core/buf.h"
#include "share/taxii.h"

struct vg_taxii {
	vg_taxii_opts o;
	CURL *curl;
	char *auth;                     /* "Authorization: Bearer …" or NULL; wiped on free */
	char api_root[VG_TAXII_URL_MAX]; /* ends in '/' */
	char objects_url[VG_TAXII_URL_MAX];
	size_t max_content;              /* from the API root, 0 = not given */
	int discovered;
	/* the current response */
	vg_buf body;
	int overflow;
	long retry_after_ms; /* -1: no Retry-After */
	char errbuf[CURL_ERROR_SIZE];
};

static void say(vg_taxii_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(vg_taxii_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	vg_taxii *t = ud;
	size_t n = size * nmemb;
	if (t->body.len + n > VG_TAXII_MAX_RESPONSE || vg_buf_append(&t->body, p, n) != 0) {
		t->overflow = 1;
		return 0; /* aborts the transfer */
	}
	return n;
}

/* Retry-After: delay-seconds or an HTTP date. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	vg_taxii *t = ud;
	size_t n = size * nmemb;
	static const char k[] = "retry-after:";
	if (n > sizeof(k) - 1 && n < 256 && strncasecmp(p, k, sizeof(k) - 1) == 0) {
		char v[256];
		size_t i = sizeof(k) - 1, j = 0;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < n && p[i] != '\r' && p[i] != '\n' && j < sizeof(v) - 1)
			v[j++] = p[i++];
		v[j] = '\0';
		char *end = NULL;
		errno = 0;
		long s = strtol(v, &end, 10);
		if (j > 0 && end != NULL && *end == '\0' && errno == 0 && s >= 0) {
			t->retry_after_ms = s > 86400 ? 86400000L : s * 1000L;
		} else {
			time_t when = curl_getdate(v, NULL);
			if (when != (time_t)-1) {
				time_t now = time(NULL);
				t->retry_after_ms = when > now ? (long)(when - now) * 1000L : 0;
			}
		}
	}
	return n;
}

static void nap(vg_taxii *t, unsigned ms)
{
	if (t->o.sleep_fn != NULL) {
		t->o.sleep_fn(t->o.sleep_ud, ms);
		return;
	}
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int starts_https(const char *u)
{
	return u != NULL && strncasecmp(u, "https://", 8) == 0;
}

vg_taxii *vg_taxii_new(const vg_taxii_opts *o, int *err, char *why, size_t whylen)
{
	int r = VG_EINVAL;
	vg_taxii *t = NULL;
	if (o == NULL || !starts_https(o->url) || strlen(o->url) >= VG_TAXII_URL_MAX) {
		snprintf(why, whylen, "taxii: url must be an https:// URL (discovery endpoint, e.g. https://host/taxii2/)");
		goto fail;
	}
	if (o->api_root != NULL && (!starts_https(o->api_root) || strlen(o->api_root) >= VG_TAXII_URL_MAX - 2)) {
		snprintf(why, whylen, "taxii: api_root must be an https:// URL");
		goto fail;
	}
	if (o->ca == NULL || o->ca[0] == '\0') {
		snprintf(why, whylen, "taxii: a CA file to verify the server is required");
		goto fail;
	}
	if ((o->cert == NULL) != (o->key == NULL)) {
		snprintf(why, whylen, "taxii: a client certificate needs its key (cert and key together)");
		goto fail;
	}
	if ((o->user == NULL) != (o->password == NULL) || (o->user != NULL && strchr(o->user, ':') != NULL)) {
		snprintf(why, whylen, "taxii: basic authentication needs user (without ':') and password");
		goto fail;
	}
	if (o->bearer != NULL) {
		int ok = o->bearer[0] != '\0' && strlen(o->bearer) < 4096;
		for (const char *p = o->bearer; ok && *p; p++) /* RFC 6750 b64token */
			ok = isalnum((unsigned char)*p) || strchr("-._~+/=", *p) != NULL;
		if (!ok) {
			snprintf(why, whylen, "taxii: the bearer token has characters outside RFC 6750's b64token");
			goto fail;
		}
	}
	r = VG_ENOMEM;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto fail;
	t->o = *o;
	if (t->o.timeout_ms == 0)
		t->o.timeout_ms = VG_TAXII_DEFAULT_TIMEOUT_MS;
	if (t->o.max_attempts == 0)
		t->o.max_attempts = VG_TAXII_DEFAULT_ATTEMPTS;
	if (t->o.backoff_ms == 0)
		t->o.backoff_ms = VG_TAXII_DEFAULT_BACKOFF_MS;
	if (t->o.max_backoff_ms == 0)
		t->o.max_backoff_ms = VG_TAXII_DEFAULT_MAX_BACKOFF_MS;
	if (t->o.poll_ms == 0)
		t->o.poll_ms = VG_TAXII_DEFAULT_POLL_MS;
	if (t->o.max_polls == 0)
		t->o.max_polls = VG_TAXII_DEFAULT_POLLS;
	if (o->bearer != NULL) {
		size_t n = strlen(o->bearer) + 32;
		if ((t->auth = malloc(n)) == NULL)
			goto fail;
		snprintf(t->auth, n, "Authorization: Bearer %s", o->bearer);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (t->curl = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "taxii: libcurl did not initialise");
		goto fail;
	}
	CURL *h = t->curl;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_CAINFO, o->ca);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	if (o->cert != NULL) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, o->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, o->key);
	}
	if (o->user != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, o->password);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)t->o.timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)t->o.timeout_ms * 3);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil/" VG_VERSION);
	return t;
fail:
	vg_taxii_free(t);
	if (err != NULL)
		*err = r;
	return NULL;
}

void vg_taxii_free(vg_taxii *t)
{
	if (t == NULL)
		return;
	if (t->curl != NULL) {
		curl_easy_cleanup(t->curl);
		curl_global_cleanup();
	}
	if (t->auth != NULL) {
		OPENSSL_cleanse(t->auth, strlen(t->auth));
		free(t->auth);
	}
	vg_buf_free(&t->body);
	free(t);
}

const char *vg_taxii_objects_url(const vg_taxii *t)
{
	return t->objects_url;
}

size_t vg_taxii_max_content(const vg_taxii *t)
{
	return t->max_content;
}

/* Failures that no retry will cure: the peer's certificate, our own
 * certificate or CA file, a bad URL. */
static int curl_permanent(CURLcode c)
{
	switch (c) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_LOGIN_DENIED:
		return 1;
	default:
		return 0;
	}
}

static int http_retryable(long code)
{
	return code == 408 || code == 429 || code >= 500;
}

/* A short, printable excerpt of the current body for messages. */
static const char *excerpt(vg_taxii *t, char *out, size_t cap)
{
	size_t n = t->body.len < cap - 1 ? t->body.len : cap - 1, j = 0;
	for (size_t i = 0; i < n; i++)
		out[j++] = (t->body.data[i] >= 0x20 && t->body.data[i] < 0x7f) ? t->body.data[i] : ' ';
	out[j] = '\0';
	return out;
}

static int add_header(struct curl_slist **hl, const char *h)
{
	struct curl_slist *x = curl_slist_append(*hl, h);
	if (x == NULL)
		return 0;
	*hl = x;
	return 1;
}

/* One request, repeated on 429/5xx/network failures. body NULL = GET.
 * Returns 0 with *code set when an HTTP answer that is not to be retried
 * (any status) came back; VG_EIO when attempts ran out or a failure is
 * permanent (res says which). */
static int request(vg_taxii *t, const char *url, const char *body, size_t len, long *code, vg_taxii_result *res)
{
	unsigned backoff = t->o.backoff_ms;
	for (unsigned attempt = 1;; attempt++) {
		struct curl_slist *hl = NULL;
		int ok = add_header(&hl, "Accept: " VG_TAXII_MEDIA);
		if (ok && body != NULL)
			ok = add_header(&hl, "Content-Type: " VG_TAXII_MEDIA) && add_header(&hl, "Expect:");
		if (ok && body != NULL && t->o.keys != NULL) {
			char sig[VG_SHARE_SIG_B64], h1[160], h2[200];
			if (vg_share_sign_b64(t->o.keys, body, len, sig) != 0) {
				curl_slist_free_all(hl);
				say(res, "%.300s: signing the envelope failed", url);
				res->retryable = 0;
				return VG_EIO;
			}
			snprintf(h1, sizeof(h1), "X-Vigil-Signature: %s", sig);
			snprintf(h2, sizeof(h2), "X-Vigil-Key-Id: %.150s", vg_share_key_id(t->o.keys));
			ok = add_header(&hl, "X-Vigil-Signature-Alg: ed25519") && add_header(&hl, h1) &&
			     add_header(&hl, h2);
		}
		if (ok && t->auth != NULL)
			ok = add_header(&hl, t->auth);
		if (!ok) {
			curl_slist_free_all(hl);
			say(res, "out of memory");
			return VG_ENOMEM;
		}
		t->body.len = 0;
		t->overflow = 0;
		t->retry_after_ms = -1;
		t->errbuf[0] = '\0';
		CURL *h = t->curl;
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
		if (body != NULL) {
			curl_easy_setopt(h, CURLOPT_POST, 1L);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		} else {
			curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		}
		CURLcode cc = curl_easy_perform(h);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
		curl_slist_free_all(hl);
		res->requests++;
		long st = 0;
		if (cc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
		res->http = (int)st;
		if (t->overflow) {
			say(res, "%.300s: response larger than %d bytes", url, VG_TAXII_MAX_RESPONSE);
			res->retryable = 0;
			return VG_EIO;
		}
		if (cc != CURLE_OK && curl_permanent(cc)) {
			say(res, "%.300s: %s (%s)", url, t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc),
			    cc == CURLE_PEER_FAILED_VERIFICATION ? "the server's certificate is not trusted by the CA file"
								 : "check the TLS configuration");
			res->retryable = 0;
			return VG_EIO;
		}
		if (cc == CURLE_OK && !http_retryable(st)) {
			*code = st;
			return 0;
		}
		char ex[128];
		if (cc != CURLE_OK)
			say(res, "%.300s: %s", url, t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc));
		else
			say(res, "%.300s: HTTP %ld %.120s", url, st, excerpt(t, ex, sizeof(ex)));
		if (attempt >= t->o.max_attempts) {
			res->retryable = 1;
			size_t n = strlen(res->why);
			snprintf(res->why + n, sizeof(res->why) - n, " (after %u attempts)", attempt);
			return VG_EIO;
		}
		unsigned wait = backoff;
		if (cc == CURLE_OK && t->retry_after_ms >= 0)
			wait = t->retry_after_ms > (long)t->o.max_backoff_ms ? t->o.max_backoff_ms
									     : (unsigned)t->retry_after_ms;
		if (wait > t->o.max_backoff_ms)
			wait = t->o.max_backoff_ms;
		backoff = backoff > t->o.max_backoff_ms / 2 ? t->o.max_backoff_ms : backoff * 2;
		res->retries++;
		nap(t, wait);
	}
}

/* The current body as a JSON object; VG_EPARSE with res->why otherwise. */
static int body_json(vg_taxii *t, const char *url, json_t **out, vg_taxii_result *res)
{
	json_error_t je;
	*out = json_loadb(t->body.data ? t->body.data : "", t->body.len, JSON_REJECT_DUPLICATES, &je);
	if (*out == NULL || !json_is_object(*out)) {
		say(res, "%.300s: answer is not a TAXII JSON object (%s)", url, *out == NULL ? je.text : "not an object");
		json_decref(*out);
		*out = NULL;
		res->retryable = 0;
		return VG_EPARSE;
	}
	return 0;
}

static int http_error(vg_taxii *t, const char *url, long code, vg_taxii_result *res)
{
	char ex[200];
	const char *what = code == 401 ? "not authenticated (credentials refused)"
			   : code == 403 ? "forbidden (no permission for this collection)"
			   : code == 404 ? "not found"
					 : "refused";
	say(res, "%.300s: HTTP %ld %s %.150s", url, code, what, excerpt(t, ex, sizeof(ex)));
	res->retryable = 0;
	return VG_EIO;
}

/* GET url and parse the JSON answer (HTTP 200 expected). */
static int get_json(vg_taxii *t, const char *url, json_t **out, vg_taxii_result *res)
{
	long code = 0;
	int r = request(t, url, NULL, 0, &code, res);
	if (r != 0)
		return r;
	if (code != 200)
		return http_error(t, url, code, res);
	return body_json(t, url, out, res);
}

/* An API root given relative to the discovery URL ("/api1/"): joined to
 * its scheme://host[:port]. Always ends in '/'. */
static int set_api_root(vg_taxii *t, const char *root, vg_taxii_result *res)
{
	char buf[VG_TAXII_URL_MAX];
	if (starts_https(root)) {
		if (snprintf(buf, sizeof(buf), "%s", root) >= (int)sizeof(buf) - 1)
			goto bad;
	} else if (root[0] == '/') {
		const char *hs = t->o.url + 8, *slash = strchr(hs, '/');
		int hl = slash ? (int)(slash - t->o.url) : (int)strlen(t->o.url);
		if (snprintf(buf, sizeof(buf), "%.*s%s", hl, t->o.url, root) >= (int)sizeof(buf) - 1)
			goto bad;
	} else {
		goto bad;
	}
	size_t n = strlen(buf);
	if (buf[n - 1] != '/')
		buf[n++] = '/', buf[n] = '\0';
	memcpy(t->api_root, buf, n + 1);
	return 0;
bad:
	say(res, "%.300s: API root '%.200s' is not an https URL or absolute path", t->o.url, root);
	res->retryable = 0;
	return VG_EPARSE;
}

static int collection_ok(const char *id)
{
	if (id == NULL || id[0] == '\0' || strlen(id) > 128)
		return 0;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return 0;
	return 1;
}

int vg_taxii_discover(vg_taxii *t, vg_taxii_result *res)
{
	json_t *j = NULL;
	int r = 0;
	t->discovered = 0;
	t->objects_url[0] = '\0';
	if (t->o.api_root != NULL) {
		r = set_api_root(t, t->o.api_root, res);
	} else {
		if ((r = get_json(t, t->o.url, &j, res)) != 0)
			return r;
		const char *root = json_string_value(json_object_get(j, "default"));
		if (root == NULL)
			root = json_string_value(json_array_get(json_object_get(j, "api_roots"), 0));
		if (root == NULL) {
			say(res, "%.300s: the discovery answer names no API root", t->o.url);
			res->retryable = 0;
			r = VG_EPARSE;
		} else {
			r = set_api_root(t, root, res);
		}
		json_decref(j);
		j = NULL;
	}
	if (r != 0)
		return r;
	/* the API root: its versions and max_content_length */
	if ((r = get_json(t, t->api_root, &j, res)) != 0)
		return r;
	json_t *mcl = json_object_get(j, "max_content_length");
	t->max_content = json_is_integer(mcl) && json_integer_value(mcl) > 0 ? (size_t)json_integer_value(mcl) : 0;
	int v21 = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "versions"), i, v) v21 |= json_string_value(v) != NULL &&
									 strcmp(json_string_value(v), VG_TAXII_MEDIA) == 0;
	if (!v21 && json_object_get(j, "versions") != NULL) {
		say(res, "%.300s: the API root does not offer %s", t->api_root, VG_TAXII_MEDIA);
		res->retryable = 0;
		json_decref(j);
		return VG_EPARSE;
	}
	json_decref(j);
	j = NULL;
	/* the collection */
	char url[VG_TAXII_URL_MAX + 16];
	snprintf(url, sizeof(url), "%scollections/", t->api_root);
	if ((r = get_json(t, url, &j, res)) != 0)
		return r;
	const char *chosen = NULL;
	json_t *c;
	json_array_foreach(json_object_get(j, "collections"), i, c)
	{
		const char *id = json_string_value(json_object_get(c, "id"));
		int w = json_is_true(json_object_get(c, "can_write"));
		if (id == NULL || (t->o.collection != NULL && strcmp(id, t->o.collection) != 0))
			continue;
		if (!w) {
			if (t->o.collection != NULL) {
				say(res, "%.300s: collection %.100s is not writable (can_write false)", url, id);
				res->retryable = 0;
				json_decref(j);
				return VG_EIO;
			}
			continue;
		}
		chosen = id;
		break;
	}
	if (!collection_ok(chosen)) {
		say(res, "%.300s: %s%.100s", url,
		    t->o.collection ? "no collection " : "no writable collection",
		    t->o.collection ? t->o.collection : "");
		res->retryable = 0;
		json_decref(j);
		return VG_ENOTFOUND;
	}
	int n = snprintf(t->objects_url, sizeof(t->objects_url), "%scollections/%s/objects/", t->api_root, chosen);
	json_decref(j);
	if (n >= (int)sizeof(t->objects_url)) {
		t->objects_url[0] = '\0';
		say(res, "%.300s: collection URL too long", url);
		return VG_EINVAL;
	}
	t->discovered = 1;
	return 0;
}

/* Adds the counts of a final status resource; 1 if it is "complete". */
static int status_take(const json_t *st, vg_taxii_result *res, int final)
{
	const char *s = json_string_value(json_object_get(st, "status"));
	int complete = s != NULL && strcmp(s, "complete") == 0;
	if (complete || final) {
		res->success += (size_t)json_integer_value(json_object_get(st, "success_count"));
		res->failure += (size_t)json_integer_value(json_object_get(st, "failure_count"));
		res->pending += (size_t)json_integer_value(json_object_get(st, "pending_count"));
	}
	return complete;
}

/* The first failure of a status resource, for messages. */
static void status_failure(const json_t *st, char *out, size_t cap)
{
	json_t *f = json_array_get(json_object_get(st, "failures"), 0);
	const char *id = json_string_value(json_object_get(f, "id"));
	const char *m = json_string_value(json_object_get(f, "message"));
	snprintf(out, cap, "%.100s%s%.200s", id ? id : "?", m ? ": " : "", m ? m : "");
}

/* Polls the status resource of one accepted envelope to completion. */
static int poll_status(vg_taxii *t, json_t *st, vg_taxii_result *res)
{
	const char *sid = json_string_value(json_object_get(st, "id"));
	char url[VG_TAXII_URL_MAX + 256];
	if (!collection_ok(sid)) {
		say(res, "%.300s: the status resource has no usable id", t->objects_url);
		res->retryable = 0;
		return VG_EPARSE;
	}
	snprintf(url, sizeof(url), "%sstatus/%s/", t->api_root, sid);
	json_t *cur = json_incref(st);
	int r = 0;
	for (unsigned polls = 0;; polls++) {
		if (status_take(cur, res, 0))
			break;
		if (polls >= t->o.max_polls) {
			status_take(cur, res, 1);
			say(res, "%.300s: still pending after %u polls (%zu pending)", url, polls, res->pending);
			res->retryable = 1;
			r = VG_EIO;
			break;
		}
		nap(t, t->o.poll_ms);
		json_t *nx = NULL;
		res->polls++;
		if ((r = get_json(t, url, &nx, res)) != 0)
			break;
		json_decref(cur);
		cur = nx;
	}
	if (r == 0 && json_integer_value(json_object_get(cur, "failure_count")) > 0) {
		char f[320];
		status_failure(cur, f, sizeof(f));
		say(res, "%.300s: %lld object(s) refused, first %s", url,
		    (long long)json_integer_value(json_object_get(cur, "failure_count")), f);
		res->retryable = 0;
		r = VG_EIO;
	}
	json_decref(cur);
	return r;
}

static int envelope(const json_t *objects, size_t lo, size_t hi, char **out, size_t *len)
{
	json_t *arr = json_array(), *env = NULL;
	int r = arr == NULL ? VG_ENOMEM : 0;
	for (size_t i = lo; r == 0 && i < hi; i++)
		r = json_array_append(arr, json_array_get(objects, i)) == 0 ? 0 : VG_ENOMEM;
	if (r == 0 && (env = json_pack("{s:O}", "objects", arr)) == NULL)
		r = VG_ENOMEM;
	json_decref(arr);
	*out = r == 0 ? json_dumps(env, JSON_COMPACT) : NULL;
	json_decref(env);
	if (r == 0 && *out == NULL)
		r = VG_ENOMEM;
	*len = *out ? strlen(*out) : 0;
	return r;
}

static int send_range(vg_taxii *t, const json_t *objects, size_t lo, size_t hi, int depth, vg_taxii_result *res)
{
	char *body = NULL;
	size_t len = 0;
	int r = envelope(objects, lo, hi, &body, &len);
	if (r != 0) {
		say(res, "out of memory building an envelope");
		return r;
	}
	size_t limit = t->o.max_content ? t->o.max_content : t->max_content ? t->max_content : VG_TAXII_DEFAULT_CONTENT;
	long code = 0;
	int split = 0;
	if (len > limit) {
		split = 1;
	} else {
		r = request(t, t->objects_url, body, len, &code, res);
		if (r == 0 && code == 413)
			split = 1;
	}
	free(body);
	if (r != 0)
		return r;
	if (split) {
		const char *id = json_string_value(json_object_get(json_array_get(objects, lo), "id"));
		if (hi - lo <= 1 || depth >= VG_TAXII_MAX_SPLIT_DEPTH) {
			say(res, "%.300s: object %.100s alone is too large for the server (%zu bytes, %s)",
			    t->objects_url, id ? id : "?", len, code == 413 ? "HTTP 413" : "over max_content_length");
			res->retryable = 0;
			return VG_ELIMIT;
		}
		res->splits++;
		size_t mid = lo + (hi - lo) / 2;
		r = send_range(t, objects, lo, mid, depth + 1, res);
		return r != 0 ? r : send_range(t, objects, mid, hi, depth + 1, res);
	}
	if (code != 202 && code != 200)
		return http_error(t, t->objects_url, code, res);
	json_t *st = NULL;
	if ((r = body_json(t, t->objects_url, &st, res)) != 0)
		return r;
	res->envelopes++;
	r = poll_status(t, st, res);
	json_decref(st);
	return r;
}

int vg_taxii_add(vg_taxii *t, const json_t *objects, vg_taxii_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!json_is_array(objects)) {
		say(res, "taxii: objects must be a JSON array");
		return VG_EINVAL;
	}
	if (json_array_size(objects) == 0)
		return 0;
	int r = 0;
	if (!t->discovered && (r = vg_taxii_discover(t, res)) != 0)
		return r;
	r = send_range(t, objects, 0, json_array_size(objects), 0, res);
	if (r != 0 && (res->http == 404 || res->http == 401 || res->http == 403))
		t->discovered = 0; /* the server changed: discover again next time */
	return r;
}
