/* client.c — the CLI's HTTPS client of /api/v1 (client.h): libcurl with
 * the server's CA, verification always on, TLS 1.2+, https only, no
 * redirects, answers bounded by VG_CLIENT_MAX_RESPONSE. The token lives in
 * the client (wiped on free) and in no message. */
#include "cli/client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#define TOKEN_MAX 512    /* bytes of a bearer token */
#define URL_MAX 2048     /* bytes of the server URL */
#define DEFAULT_DATA_DIR "/var/lib/vigil"

struct vg_client {
	CURL *curl;
	char url[URL_MAX];  /* without a trailing '/' */
	char token[TOKEN_MAX + 1];
	char cacert[4096];  /* "" = the system's trust store */
	long timeout_s;
	char ctype[128];
	vg_buf body;
	bool too_big;
};

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
	if (why == NULL || n == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool token_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= ' ' || (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

/* The first line of $XDG_CONFIG_HOME/vigil/token (or ~/.config/...) into
 * out. 0 (out "" when there is no file), or VG_EINVAL/VG_EIO with why. */
static int token_file(char *out, size_t outlen, char *why, size_t whylen)
{
	char path[4096];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	out[0] = '\0';
	if (xdg != NULL && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/vigil/token", xdg);
	else if (home != NULL && home[0] != '\0')
		snprintf(path, sizeof(path), "%s/.config/vigil/token", home);
	else
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		say(why, whylen, "%s: %s", path, strerror(errno));
		return VG_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		say(why, whylen, "%s: not a regular file", path);
		return VG_EINVAL;
	}
	if (st.st_mode & 077) {
		close(fd);
		say(why, whylen, "%s: readable by group or others; run chmod 600 %s", path, path);
		return VG_EINVAL;
	}
	char buf[TOKEN_MAX + 2];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		say(why, whylen, "%s: %s", path, strerror(errno));
		return VG_EIO;
	}
	buf[n] = '\0';
	size_t k = strcspn(buf, "\r\n");
	while (k > 0 && (buf[k - 1] == ' ' || buf[k - 1] == '\t'))
		k--;
	buf[k] = '\0';
	if (k == 0 || k >= outlen || !token_ok(buf)) {
		explicit_bzero(buf, sizeof(buf));
		say(why, whylen, "%s: the first line is not an API token", path);
		return VG_EINVAL;
	}
	memcpy(out, buf, k + 1);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

vg_client *vg_client_new(const vg_client_opts *o, char *why, size_t whylen)
{
	static const vg_client_opts none = {0};
	if (o == NULL)
		o = &none;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		say(why, whylen, "libcurl: %s", curl_easy_strerror(curl_init_rc));
		return NULL;
	}
	vg_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		say(why, whylen, "out of memory");
		return NULL;
	}
	const char *url = o->server != NULL ? o->server : getenv("VIGIL_URL");
	if (url == NULL || url[0] == '\0')
		url = VG_CLIENT_DEFAULT_URL;
	size_t ul = strlen(url);
	while (ul > 0 && url[ul - 1] == '/')
		ul--;
	if (strncasecmp(url, "https://", 8) != 0 || ul <= 8 || ul >= sizeof(c->url) || strpbrk(url, " \t\r\n") != NULL) {
		say(why, whylen, "server '%.200s': must be an https:// URL (e.g. %s)", url, VG_CLIENT_DEFAULT_URL);
		goto err;
	}
	memcpy(c->url, url, ul);
	c->url[ul] = '\0';

	const char *tok = o->token != NULL ? o->token : getenv("VIGIL_TOKEN");
	if (tok != NULL && tok[0] != '\0') {
		if (!token_ok(tok)) {
			say(why, whylen, "the API token is malformed (at most %d printable characters)", TOKEN_MAX);
			goto err;
		}
		snprintf(c->token, sizeof(c->token), "%s", tok);
	} else if (token_file(c->token, sizeof(c->token), why, whylen) != 0) {
		goto err;
	}

	const char *ca = o->cacert != NULL ? o->cacert : getenv("VIGIL_CACERT");
	if (ca != NULL && ca[0] != '\0') {
		if (access(ca, R_OK) != 0) {
			say(why, whylen, "CA certificate %.3000s: %s", ca, strerror(errno));
			goto err;
		}
		snprintf(c->cacert, sizeof(c->cacert), "%s", ca);
	} else {
		char p[sizeof(c->cacert)];
		snprintf(p, sizeof(p), "%s/pki/ca.crt", o->data_dir != NULL ? o->data_dir : DEFAULT_DATA_DIR);
		if (access(p, R_OK) == 0)
			memcpy(c->cacert, p, sizeof(p));
	}
	c->timeout_s = o->timeout_s > 0 ? o->timeout_s : 60;
	if ((c->curl = curl_easy_init()) == NULL) {
		say(why, whylen, "libcurl: cannot create a handle");
		goto err;
	}
	return c;
err:
	vg_client_free(c);
	return NULL;
}

void vg_client_free(vg_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	vg_buf_free(&c->body);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	vg_client *c = ud;
	size_t k = sz * n;
	if (k > VG_CLIENT_MAX_RESPONSE - c->body.len) {
		c->too_big = true;
		return 0;
	}
	return vg_buf_append(&c->body, p, k) == 0 ? k : 0;
}

/* Strips the query from path for messages (it may name things, never secrets,
 * but keeps messages short). */
static void url_for_msg(const vg_client *c, const char *path, char *out, size_t n)
{
	size_t pl = strcspn(path, "?");
	snprintf(out, n, "%s%.*s", c->url, (int)(pl > 1024 ? 1024 : pl), path);
}

int vg_client_call_raw(vg_client *c, const char *method, const char *path, json_t *body, long *status, vg_buf *out,
		       const char **ctype, char *why, size_t whylen)
{
	*status = 0;
	if (ctype != NULL)
		*ctype = NULL;
	if (c == NULL || method == NULL || path == NULL || path[0] != '/' || strpbrk(path, " \r\n\t") != NULL) {
		say(why, whylen, "bad request path '%.200s'", path != NULL ? path : "(null)");
		return VG_EINVAL;
	}
	char where[URL_MAX + 1100];
	url_for_msg(c, path, where, sizeof(where));
	size_t ul = strlen(c->url) + strlen(path) + 1;
	char *url = malloc(ul);
	char *payload = NULL;
	if (url == NULL) {
		say(why, whylen, "%s: out of memory", where);
		return VG_ENOMEM;
	}
	snprintf(url, ul, "%s%s", c->url, path);
	if (body != NULL && (payload = json_dumps(body, JSON_COMPACT)) == NULL) {
		free(url);
		say(why, whylen, "%s: cannot encode the request body", where);
		return VG_EINVAL;
	}
	struct curl_slist *hl = NULL, *t;
	char auth[TOKEN_MAX + 32];
	bool ok = (t = curl_slist_append(hl, "Accept: application/json")) != NULL && (hl = t) != NULL;
	if (ok && payload != NULL)
		ok = (t = curl_slist_append(hl, "Content-Type: application/json")) != NULL && (hl = t) != NULL;
	if (ok && c->token[0] != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		ok = (t = curl_slist_append(hl, auth)) != NULL && (hl = t) != NULL;
		explicit_bzero(auth, sizeof(auth));
	}
	if (!ok) {
		curl_slist_free_all(hl);
		free(url);
		free(payload);
		say(why, whylen, "%s: out of memory", where);
		return VG_ENOMEM;
	}
	CURL *h = c->curl;
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_reset(h);
	c->body.len = 0;
	c->too_big = false;
	c->ctype[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->cacert[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (payload != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)VG_CLIENT_MAX_RESPONSE);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout_s < 10 ? c->timeout_s : 10L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil/" VG_VERSION);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hl);
	free(url);
	if (payload != NULL) {
		explicit_bzero(payload, strlen(payload)); /* may hold a password */
		free(payload);
	}
	if (c->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		say(why, whylen, "%s: the answer is larger than %u bytes", where, VG_CLIENT_MAX_RESPONSE);
		return VG_ELIMIT;
	}
	if (rc != CURLE_OK) {
		say(why, whylen, "%s: %s", where, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		return VG_EIO;
	}
	long code = 0;
	char *ct = NULL;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		snprintf(c->ctype, sizeof(c->ctype), "%s", ct);
	*status = code;
	if (ctype != NULL)
		*ctype = c->ctype[0] != '\0' ? c->ctype : NULL;
	if (out != NULL) {
		out->len = 0;
		if (vg_buf_append(out, c->body.data, c->body.len) != 0) {
			say(why, whylen, "%s: out of memory", where);
			return VG_ENOMEM;
		}
	}
	return 0;
}

int vg_client_call(vg_client *c, const char *method, const char *path, json_t *body, long *status, json_t **out,
		   char *why, size_t whylen)
{
	if (out != NULL)
		*out = NULL;
	const char *ct;
	int r = vg_client_call_raw(c, method, path, body, status, NULL, &ct, why, whylen);
	if (r != 0)
		return r;
	size_t i = 0;
	while (i < c->body.len && (c->body.data[i] == ' ' || c->body.data[i] == '\n' || c->body.data[i] == '\r' ||
				   c->body.data[i] == '\t'))
		i++;
	if (i == c->body.len)
		return 0;
	json_error_t e;
	json_t *v = json_loadb(c->body.data, c->body.len, 0, &e);
	if (v == NULL) {
		char where[URL_MAX + 1100];
		url_for_msg(c, path, where, sizeof(where));
		say(why, whylen, "%s: HTTP %ld: the answer is not JSON (%s; Content-Type %s)", where, *status, e.text,
		    ct != NULL ? ct : "none");
		return VG_EPARSE;
	}
	if (out != NULL)
		*out = v;
	else
		json_decref(v);
	return 0;
}

int vg_client_report(long status, json_t *answer)
{
	json_t *err = json_object_get(answer, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	if (code != NULL || msg != NULL)
		fprintf(stderr, "vigil: %ld %s: %s\n", status, code != NULL ? code : "error", msg != NULL ? msg : "");
	else
		fprintf(stderr, "vigil: %ld: the server answered without an error document\n", status);
	if (status == 401)
		fprintf(stderr, "vigil: give an API token with --token, $VIGIL_TOKEN or ~/.config/vigil/token "
				"(`vigil users token NAME` makes one)\n");
	return 2;
}

int vg_client_opt(vg_client_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 0x1001: o->server = arg; return 1;
	case 0x1002: o->token = arg; return 1;
	case 0x1003: o->cacert = arg; return 1;
	case 0x1004: o->data_dir = arg; return 1;
	default: return 0;
	}
}
