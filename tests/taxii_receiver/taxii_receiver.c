/* taxii_receiver.c — a small TAXII 2.1 server for vigil's tests (not part of
 * vigil): libmicrohttpd over HTTPS, one API root (/api1/) with one
 * collection, POST of objects (stored, de-duplicated by id + modified),
 * status resources that stay "pending" for a given number of polls, and
 * switchable misbehaviour (413 above N objects or bytes, 429 for the first
 * K POSTs, 500 for the next M, bearer/basic authentication, client
 * certificates). Every new object is appended as one JSON line to the
 * --record file, every request as one line to the --log file:
 *   METHOD PATH STATUS NOBJECTS
 * The port actually bound (--port 0: any free one) is written to --port-file
 * (temp + rename) once the server listens. SIGTERM/SIGINT stop it.
 * Usage: vigil_taxii_receiver --cert F --key F --port-file F --record F
 *        [--log F] [--port N] [--token T] [--basic USER:PASS] [--client-ca F]
 *        [--max-objects N] [--max-content N] [--fail-429 K] [--retry-after S]
 *        [--fail-500 M] [--pending-polls P] [--bodies F]
 * --bodies F: for every object POST, two lines: the X-Vigil-Signature header
 * ("-" when absent) and the exact body (compact JSON is one line). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#define MEDIA "application/taxii+json;version=2.1"
#define COLLECTION "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
#define MAX_BODY (32 << 20)
#define MAX_STATUS 100000
#define MAX_SEEN 1000000

typedef struct status_res {
	char id[40];
	json_t *successes, *failures; /* arrays of {id, version[, message]} */
	unsigned polls_left;
} status_res;

static struct {
	const char *cert, *key, *port_file, *record, *log, *token, *basic, *client_ca, *bodies;
	unsigned port;
	long max_objects, max_content, fail_429, retry_after, fail_500, pending_polls;
	char *basic_header; /* "Basic base64(user:pass)" */
	FILE *rec, *logf, *bodf;
	long posts;         /* object POSTs seen */
	status_res *status;
	size_t nstatus;
	char **seen;        /* "id|modified" of stored objects */
	size_t nseen, capseen;
} g;

static volatile sig_atomic_t stop;

static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *b = malloc(1 << 20);
	size_t n = b ? fread(b, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (b != NULL)
		b[n] = '\0';
	return b;
}

typedef struct conn {
	char *body;
	size_t len, cap;
	int too_big;
} conn;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, json_t *j, const char *url, long nobj)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : strdup("");
	json_decref(j);
	if (s == NULL)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", MEDIA);
	if (code == 429 && g.retry_after >= 0) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%ld", g.retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (code == 401)
		MHD_add_response_header(r, "WWW-Authenticate", g.basic ? "Basic realm=\"taxii\"" : "Bearer");
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	if (g.logf != NULL) {
		const char *m = nobj >= 0 ? "POST" : "GET";
		fprintf(g.logf, "%s %s %u %ld\n", m, url, code, nobj < 0 ? 0 : nobj);
		fflush(g.logf);
	}
	return ret;
}

static json_t *error_doc(const char *title)
{
	return json_pack("{s:s}", "title", title);
}

static int seen_has(const char *key)
{
	for (size_t i = 0; i < g.nseen; i++)
		if (strcmp(g.seen[i], key) == 0)
			return 1;
	return 0;
}

static int seen_add(const char *key)
{
	if (g.nseen == g.capseen) {
		size_t nc = g.capseen ? g.capseen * 2 : 256;
		if (nc > MAX_SEEN)
			return -1;
		char **n = realloc(g.seen, nc * sizeof(*n));
		if (n == NULL)
			return -1;
		g.seen = n;
		g.capseen = nc;
	}
	g.seen[g.nseen] = strdup(key);
	return g.seen[g.nseen++] ? 0 : -1;
}

static int client_cert_ok(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return 0;
	gnutls_session_t s = (gnutls_session_t)ci->tls_session;
	unsigned st = 0;
	unsigned n = 0;
	if (gnutls_certificate_get_peers(s, &n) == NULL || n == 0)
		return 0;
	return gnutls_certificate_verify_peers2(s, &st) == 0 && st == 0;
}

static int authorised(struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (g.token != NULL) {
		if (a == NULL || strncmp(a, "Bearer ", 7) != 0 || strcmp(a + 7, g.token) != 0)
			return 0;
	}
	if (g.basic_header != NULL && (a == NULL || strcmp(a, g.basic_header) != 0))
		return 0;
	return 1;
}

/* The status resource: "pending" (all objects in pendings) until polled
 * pending_polls times, then "complete" with successes and failures. */
static json_t *status_json(const status_res *s)
{
	size_t ns = json_array_size(s->successes), nf = json_array_size(s->failures);
	int done = s->polls_left == 0;
	json_t *j = json_pack("{s:s,s:s,s:i}", "id", s->id, "status", done ? "complete" : "pending", "total_count",
			      (int)(ns + nf));
	if (j == NULL)
		return NULL;
	if (done) {
		json_object_set_new(j, "success_count", json_integer((json_int_t)ns));
		json_object_set(j, "successes", s->successes);
		json_object_set_new(j, "failure_count", json_integer((json_int_t)nf));
		json_object_set(j, "failures", s->failures);
		json_object_set_new(j, "pending_count", json_integer(0));
	} else {
		json_t *p = json_deep_copy(s->successes);
		json_array_extend(p, s->failures);
		json_object_set_new(j, "success_count", json_integer(0));
		json_object_set_new(j, "failure_count", json_integer(0));
		json_object_set_new(j, "pending_count", json_integer((json_int_t)(ns + nf)));
		json_object_set_new(j, "pendings", p);
	}
	return j;
}

static enum MHD_Result post_objects(struct MHD_Connection *c, const char *url, conn *cx)
{
	g.posts++;
	if (g.bodf != NULL && !cx->too_big) {
		const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vigil-Signature");
		fprintf(g.bodf, "%s\n%.*s\n", sig ? sig : "-", (int)cx->len, cx->body ? cx->body : "");
		fflush(g.bodf);
	}
	json_error_t je;
	json_t *env = cx->too_big ? NULL : json_loadb(cx->body ? cx->body : "", cx->len, 0, &je);
	json_t *objs = json_object_get(env, "objects");
	long n = (long)json_array_size(objs);
	if (cx->too_big || (g.max_content > 0 && (long)cx->len > g.max_content)) {
		json_decref(env);
		return answer(c, 413, error_doc("envelope larger than max_content_length"), url, n);
	}
	if (g.posts <= g.fail_429) {
		json_decref(env);
		return answer(c, 429, error_doc("too many requests"), url, n);
	}
	if (g.posts <= g.fail_429 + g.fail_500) {
		json_decref(env);
		return answer(c, 500, error_doc("internal error (on purpose)"), url, n);
	}
	if (env == NULL || !json_is_array(objs)) {
		json_decref(env);
		return answer(c, 400, error_doc("not an envelope"), url, 0);
	}
	if (g.max_objects > 0 && n > g.max_objects) {
		json_decref(env);
		return answer(c, 413, error_doc("too many objects"), url, n);
	}
	if (g.nstatus >= MAX_STATUS) {
		json_decref(env);
		return answer(c, 500, error_doc("status table full"), url, n);
	}
	status_res *s = &g.status[g.nstatus];
	snprintf(s->id, sizeof(s->id), "00000000-0000-4000-8000-%012zu", g.nstatus + 1);
	s->successes = json_array();
	s->failures = json_array();
	s->polls_left = (unsigned)g.pending_polls;
	g.nstatus++;
	size_t i;
	json_t *o;
	json_array_foreach(objs, i, o)
	{
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *mod = json_string_value(json_object_get(o, "modified"));
		size_t tl = type ? strlen(type) : 0;
		if (id == NULL || type == NULL || strncmp(id, type, tl) != 0 || strncmp(id + tl, "--", 2) != 0) {
			json_array_append_new(s->failures, json_pack("{s:s,s:s}", "id", id ? id : "", "message",
								     "id is not type--uuid"));
			continue;
		}
		char key[512];
		snprintf(key, sizeof(key), "%s|%s", id, mod ? mod : "");
		if (!seen_has(key)) {
			if (seen_add(key) != 0) {
				json_array_append_new(s->failures, json_pack("{s:s,s:s}", "id", id, "message", "full"));
				continue;
			}
			char *line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
			if (line != NULL && g.rec != NULL) {
				fprintf(g.rec, "%s\n", line);
				fflush(g.rec);
			}
			free(line);
		}
		json_array_append_new(s->successes, json_pack("{s:s,s:s}", "id", id, "version", mod ? mod : ""));
	}
	json_decref(env);
	return answer(c, 202, status_json(s), url, n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **ptr)
{
	(void)cls;
	(void)version;
	conn *cx = *ptr;
	if (cx == NULL) {
		cx = calloc(1, sizeof(*cx));
		if (cx == NULL)
			return MHD_NO;
		*ptr = cx;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		if (cx->len + n > MAX_BODY) {
			cx->too_big = 1;
		} else if (!cx->too_big) {
			if (cx->len + n + 1 > cx->cap) {
				size_t nc = (cx->len + n + 1) * 2;
				char *b = realloc(cx->body, nc);
				if (b == NULL)
					return MHD_NO;
				cx->body = b;
				cx->cap = nc;
			}
			memcpy(cx->body + cx->len, upload, n);
			cx->len += n;
			cx->body[cx->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	int post = strcmp(method, "POST") == 0;
	long nobj = post ? 0 : -1;
	if (g.client_ca != NULL && !client_cert_ok(c))
		return answer(c, 403, error_doc("client certificate required"), url, nobj);
	if (!authorised(c))
		return answer(c, 401, error_doc("unauthorized"), url, nobj);
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	if (accept == NULL || strstr(accept, "application/taxii+json") == NULL)
		return answer(c, 406, error_doc("Accept must be " MEDIA), url, nobj);
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	if (!post && strcmp(url, "/taxii2/") == 0) {
		char root[300];
		snprintf(root, sizeof(root), "https://%.250s/api1/", host ? host : "localhost");
		return answer(c, 200,
			      json_pack("{s:s,s:s,s:[s]}", "title", "vigil test TAXII server", "default", root,
					"api_roots", root),
			      url, nobj);
	}
	if (!post && strcmp(url, "/api1/") == 0) {
		json_t *j = json_pack("{s:s,s:[s]}", "title", "api1", "versions", MEDIA);
		if (g.max_content > 0)
			json_object_set_new(j, "max_content_length", json_integer(g.max_content));
		return answer(c, 200, j, url, nobj);
	}
	if (!post && strcmp(url, "/api1/collections/") == 0) {
		return answer(c, 200,
			      json_pack("{s:[{s:s,s:s,s:b,s:b,s:[s]}]}", "collections", "id", COLLECTION, "title",
					"shared", "can_read", 1, "can_write", 1, "media_types",
					"application/stix+json;version=2.1"),
			      url, nobj);
	}
	if (post && strcmp(url, "/api1/collections/" COLLECTION "/objects/") == 0) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		if (ct == NULL || strstr(ct, "application/taxii+json") == NULL)
			return answer(c, 415, error_doc("Content-Type must be " MEDIA), url, nobj);
		return post_objects(c, url, cx);
	}
	if (!post && strncmp(url, "/api1/status/", 13) == 0) {
		for (size_t i = 0; i < g.nstatus; i++) {
			size_t il = strlen(g.status[i].id);
			if (strncmp(url + 13, g.status[i].id, il) == 0 && strcmp(url + 13 + il, "/") == 0) {
				status_res *s = &g.status[i];
				json_t *j = status_json(s);
				if (s->polls_left > 0)
					s->polls_left--;
				return answer(c, 200, j, url, nobj);
			}
		}
	}
	return answer(c, 404, error_doc("not found"), url, nobj);
}

static void on_done(void *cls, struct MHD_Connection *c, void **ptr, enum MHD_RequestTerminationCode tc)
{
	(void)cls;
	(void)c;
	(void)tc;
	conn *cx = *ptr;
	if (cx != NULL) {
		free(cx->body);
		free(cx);
		*ptr = NULL;
	}
}

static long num(const char *s, const char *what)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		fprintf(stderr, "taxii_receiver: %s: '%s' is not a number\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	g.retry_after = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "taxii_receiver: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--cert") == 0)
			g.cert = v;
		else if (strcmp(a, "--key") == 0)
			g.key = v;
		else if (strcmp(a, "--port-file") == 0)
			g.port_file = v;
		else if (strcmp(a, "--record") == 0)
			g.record = v;
		else if (strcmp(a, "--log") == 0)
			g.log = v;
		else if (strcmp(a, "--port") == 0)
			g.port = (unsigned)num(v, a);
		else if (strcmp(a, "--token") == 0)
			g.token = v;
		else if (strcmp(a, "--basic") == 0)
			g.basic = v;
		else if (strcmp(a, "--bodies") == 0)
			g.bodies = v;
		else if (strcmp(a, "--client-ca") == 0)
			g.client_ca = v;
		else if (strcmp(a, "--max-objects") == 0)
			g.max_objects = num(v, a);
		else if (strcmp(a, "--max-content") == 0)
			g.max_content = num(v, a);
		else if (strcmp(a, "--fail-429") == 0)
			g.fail_429 = num(v, a);
		else if (strcmp(a, "--retry-after") == 0)
			g.retry_after = num(v, a);
		else if (strcmp(a, "--fail-500") == 0)
			g.fail_500 = num(v, a);
		else if (strcmp(a, "--pending-polls") == 0)
			g.pending_polls = num(v, a);
		else {
			fprintf(stderr, "taxii_receiver: unknown option %s\n", a);
			return 2;
		}
	}
	if (g.cert == NULL || g.key == NULL || g.port_file == NULL || g.record == NULL) {
		fprintf(stderr, "taxii_receiver: --cert, --key, --port-file and --record are required\n");
		return 2;
	}
	if (g.basic != NULL) {
		size_t n = strlen(g.basic);
		unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
		g.basic_header = malloc(4 * ((n + 2) / 3) + 8);
		if (b64 == NULL || g.basic_header == NULL)
			return 1;
		EVP_EncodeBlock(b64, (const unsigned char *)g.basic, (int)n);
		sprintf(g.basic_header, "Basic %s", b64);
		free(b64);
	}
	char *cert = slurp(g.cert), *key = slurp(g.key), *ca = g.client_ca ? slurp(g.client_ca) : NULL;
	if (cert == NULL || key == NULL || (g.client_ca != NULL && ca == NULL)) {
		fprintf(stderr, "taxii_receiver: cannot read the certificate, key or client CA\n");
		return 1;
	}
	g.rec = fopen(g.record, "a");
	g.logf = g.log ? fopen(g.log, "a") : NULL;
	g.bodf = g.bodies ? fopen(g.bodies, "a") : NULL;
	g.status = calloc(MAX_STATUS, sizeof(*g.status));
	if (g.rec == NULL || (g.log != NULL && g.logf == NULL) || (g.bodies != NULL && g.bodf == NULL) ||
	    g.status == NULL) {
		fprintf(stderr, "taxii_receiver: cannot open the record/log file: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	struct MHD_Daemon *d;
	if (ca != NULL)
		d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
				     (uint16_t)g.port, NULL, NULL, on_request, NULL, MHD_OPTION_HTTPS_MEM_KEY, key,
				     MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_TRUST, ca,
				     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
	else
		d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
				     (uint16_t)g.port, NULL, NULL, on_request, NULL, MHD_OPTION_HTTPS_MEM_KEY, key,
				     MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
				     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "taxii_receiver: the HTTPS server did not start\n");
		return 1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", g.port_file);
	FILE *pf = fopen(tmp, "w");
	if (di == NULL || pf == NULL || fprintf(pf, "%u\n", (unsigned)di->port) < 0 || fclose(pf) != 0 ||
	    rename(tmp, g.port_file) != 0) {
		fprintf(stderr, "taxii_receiver: cannot write the port file\n");
		MHD_stop_daemon(d);
		return 1;
	}
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	fclose(g.rec);
	if (g.logf)
		fclose(g.logf);
	if (g.bodf)
		fclose(g.bodf);
	for (size_t i = 0; i < g.nstatus; i++) {
		json_decref(g.status[i].successes);
		json_decref(g.status[i].failures);
	}
	free(g.status);
	for (size_t i = 0; i < g.nseen; i++)
		free(g.seen[i]);
	free(g.seen);
	free(g.basic_header);
	free(cert);
	free(key);
	free(ca);
	return 0;
}
