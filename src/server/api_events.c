/* api_events.c — POST /api/v1/events (see api_events.h): bearer-token check
 * and Content-Type check before the body, then all-or-nothing NDJSON
 * validation, then the sink's ingest/commit under one lock. */
#include "server/api_events.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/jsonw.h"

enum { R_ACCEPTED, R_UNAUTHORIZED, R_FORBIDDEN, R_MEDIA, R_INVALID, R_TOO_LARGE, R_UNAVAILABLE, R_N };
static const char *const result_names[R_N] = {
	"accepted", "unauthorized", "forbidden", "unsupported_media_type", "invalid", "too_large",
	"unavailable",
};

struct vg_api_events {
	vg_api_events_opts o;
	pthread_mutex_t sink_mu;
	vg_mseries *requests[R_N], *events, *bytes;
};

/* ---- NDJSON validation -------------------------------------------------- */

/* Splits on LF, drops a CR before it, skips blank lines, numbers lines from 1. */
static int walk_lines(const uint8_t *body, size_t len, vg_ndjson_fn fn, void *ud)
{
	size_t lineno = 0, pos = 0;
	while (pos < len) {
		const uint8_t *nl = memchr(body + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - body) : len, n = end - pos;
		lineno++;
		if (n > 0 && body[pos + n - 1] == '\r')
			n--;
		bool blank = true;
		for (size_t i = 0; i < n && blank; i++)
			blank = body[pos + i] == ' ' || body[pos + i] == '\t' || body[pos + i] == '\r';
		if (!blank) {
			int r = fn(ud, lineno, (const char *)body + pos, n);
			if (r != 0)
				return r;
		}
		pos = end + 1;
	}
	return 0;
}

/* Nesting depth of a JSON text, outside strings; stops counting past max. */
static bool depth_ok(const char *p, size_t n, int max)
{
	int depth = 0;
	bool in_str = false, esc = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

typedef struct check_ctx {
	size_t max_lines, n;
	vg_ndjson_fn fn;
	void *ud;
	vg_ndjson_err *err;
} check_ctx;

static int bad(check_ctx *k, size_t lineno, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(check_ctx *k, size_t lineno, int code, const char *fmt, ...)
{
	va_list ap;
	k->err->line = lineno;
	va_start(ap, fmt);
	vsnprintf(k->err->reason, sizeof(k->err->reason), fmt, ap);
	va_end(ap);
	return code;
}

static int check_line(void *ud, size_t lineno, const char *line, size_t len)
{
	check_ctx *k = ud;
	if (++k->n > k->max_lines)
		return bad(k, lineno, VG_ELIMIT, "more than %zu events in one request", k->max_lines);
	if (len > VG_MAX_RECORD)
		return bad(k, lineno, VG_EPARSE, "line longer than %d bytes", VG_MAX_RECORD);
	if (!depth_ok(line, len, VG_MAX_JSON_DEPTH))
		return bad(k, lineno, VG_EPARSE, "nesting deeper than %d", VG_MAX_JSON_DEPTH);
	json_error_t je;
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &je);
	if (j == NULL) {
		if (json_error_code(&je) == json_error_out_of_memory)
			return bad(k, lineno, VG_ENOMEM, "out of memory");
		return bad(k, lineno, VG_EPARSE, "invalid JSON at column %d: %s", je.column, je.text);
	}
	bool obj = json_is_object(j);
	json_decref(j);
	if (!obj)
		return bad(k, lineno, VG_EPARSE, "not a JSON object");
	return k->fn != NULL ? k->fn(k->ud, lineno, line, len) : 0;
}

int vg_ndjson_check(const uint8_t *body, size_t len, size_t max_lines, vg_ndjson_fn fn, void *ud,
		    size_t *nlines, vg_ndjson_err *err)
{
	vg_ndjson_err dummy;
	if (err == NULL)
		err = &dummy;
	err->line = 0;
	err->reason[0] = '\0';
	if (body == NULL && len > 0)
		return VG_EINVAL;
	check_ctx k = {.max_lines = max_lines, .fn = fn, .ud = ud, .err = err};
	int r = len > 0 ? walk_lines(body, len, check_line, &k) : 0;
	if (nlines != NULL)
		*nlines = k.n > max_lines ? max_lines : k.n;
	return r;
}

/* ---- the HTTP side --------------------------------------------------------- */

static void count(vg_api_events *e, int result)
{
	vg_metric_inc(e->requests[result]);
}

static void unavailable(vg_api_events *e, vg_http_resp *rs, const char *what)
{
	char ra[16];
	snprintf(ra, sizeof(ra), "%d", VG_API_EVENTS_RETRY_S);
	vg_http_error(rs, 503, "unavailable", "%s; retry later", what);
	if (vg_http_resp_header(rs, "Retry-After", ra) != 0)
		rs->body.len = 0;
	count(e, R_UNAVAILABLE);
}

static void unauthorized(vg_api_events *e, vg_http_resp *rs, const char *challenge, const char *msg)
{
	vg_http_error(rs, 401, "unauthorized", "%s", msg);
	if (vg_http_resp_header(rs, "WWW-Authenticate", challenge) != 0)
		rs->body.len = 0;
	count(e, R_UNAUTHORIZED);
}

/* "Bearer" SP token68 (RFC 6750 2.1); the scheme is case-insensitive. */
static bool bearer_token(const char *h, char *tok, size_t cap)
{
	if (h == NULL || strncasecmp(h, "Bearer", 6) != 0 || h[6] != ' ')
		return false;
	const char *p = h + 7;
	while (*p == ' ')
		p++;
	size_t n = 0;
	while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t')
		n++;
	size_t end = n;
	while (p[end] == ' ' || p[end] == '\t')
		end++;
	if (n == 0 || n >= cap || p[end] != '\0')
		return false;
	size_t eq = n;
	while (eq > 0 && p[eq - 1] == '=')
		eq--;
	if (eq == 0)
		return false;
	for (size_t i = 0; i < eq; i++) {
		char c = p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
			return false;
	}
	memcpy(tok, p, n);
	tok[n] = '\0';
	return true;
}

/* The media type before any parameter, compared case-insensitively. */
static bool media_ok(const char *ct)
{
	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, "; \t");
	return (n == 20 && strncasecmp(ct, "application/x-ndjson", n) == 0) ||
	       (n == 16 && strncasecmp(ct, "application/json", n) == 0);
}

static int precheck(void *ud, vg_http_req *rq, vg_http_resp *rs)
{
	vg_api_events *e = ud;
	char tok[VG_API_EVENTS_MAX_TOKEN + 1];
	const char *h = vg_http_header(rq, "Authorization");
	if (h == NULL) {
		unauthorized(e, rs, "Bearer realm=\"vigil\"", "missing Authorization: Bearer token");
		return 1;
	}
	if (!bearer_token(h, tok, sizeof(tok))) {
		unauthorized(e, rs, "Bearer realm=\"vigil\", error=\"invalid_token\"",
			     "malformed Authorization header (expected: Bearer TOKEN)");
		return 1;
	}
	char who[VG_HTTP_MAX_WHO] = "";
	int r = e->o.auth(e->o.ud, tok, who, sizeof(who));
	explicit_bzero(tok, sizeof(tok));
	if (r == VG_ENOTFOUND) {
		unauthorized(e, rs, "Bearer realm=\"vigil\", error=\"invalid_token\"",
			     "unknown, expired or revoked token");
		return 1;
	}
	if (r == VG_EINVAL) {
		vg_http_error(rs, 403, "forbidden", "this token may not ingest events");
		if (vg_http_resp_header(rs, "WWW-Authenticate",
					"Bearer realm=\"vigil\", error=\"insufficient_scope\"") != 0)
			rs->body.len = 0;
		count(e, R_FORBIDDEN);
		return 1;
	}
	if (r != 0) {
		unavailable(e, rs, "the token check failed");
		return 1;
	}
	who[sizeof(who) - 1] = '\0';
	memcpy(rq->who, who, sizeof(rq->who));
	const char *ce = vg_http_header(rq, "Content-Encoding");
	if (ce != NULL && strcasecmp(ce, "identity") != 0) {
		vg_http_error(rs, 415, "unsupported_media_type", "Content-Encoding %.64s is not supported", ce);
		count(e, R_MEDIA);
		return 1;
	}
	if (!media_ok(vg_http_header(rq, "Content-Type"))) {
		vg_http_error(rs, 415, "unsupported_media_type",
			      "Content-Type must be application/x-ndjson or application/json");
		count(e, R_MEDIA);
		return 1;
	}
	return 0;
}

typedef struct feed_ctx {
	vg_api_events *e;
	const char *peer;
} feed_ctx;

static int feed_line(void *ud, size_t lineno, const char *line, size_t len)
{
	(void)lineno;
	feed_ctx *f = ud;
	int r = f->e->o.ingest(f->e->o.ud, line, len, f->peer);
	return r < 0 ? r : 0; /* > 0: taken with a note (e.g. a duplicate) */
}

static void handle(void *ud, const vg_http_req *rq, vg_http_resp *rs)
{
	vg_api_events *e = ud;
	vg_ndjson_err err;
	size_t n = 0;
	int r = vg_ndjson_check(rq->body, rq->body_len, e->o.max_lines, NULL, NULL, &n, &err);
	if (r == VG_EPARSE) {
		vg_http_error(rs, 400, "invalid_event", "line %zu: %s; nothing was ingested", err.line,
			      err.reason);
		count(e, R_INVALID);
		return;
	}
	if (r == VG_ELIMIT) {
		vg_http_error(rs, 413, "too_many_events", "line %zu: %s; nothing was ingested",
			      err.line, err.reason);
		count(e, R_TOO_LARGE);
		return;
	}
	if (r != 0) {
		unavailable(e, rs, "out of memory");
		return;
	}
	if (n == 0) {
		vg_http_error(rs, 400, "empty_body", "the body holds no events; nothing was ingested");
		count(e, R_INVALID);
		return;
	}
	feed_ctx f = {.e = e, .peer = rq->peer};
	pthread_mutex_lock(&e->sink_mu);
	r = walk_lines(rq->body, rq->body_len, feed_line, &f);
	if (r == 0)
		r = e->o.commit(e->o.ud);
	if (r != 0 && e->o.abort != NULL)
		e->o.abort(e->o.ud);
	pthread_mutex_unlock(&e->sink_mu);
	if (r != 0) {
		unavailable(e, rs, "the events could not be stored");
		return;
	}
	vg_metric_add(e->events, n);
	vg_metric_add(e->bytes, rq->body_len);
	count(e, R_ACCEPTED);
	rs->status = 200;
	vg_jsonw w;
	vg_jsonw_init(&w, &rs->body);
	vg_jsonw_obj_begin(&w);
	vg_jsonw_key(&w, "accepted", 8);
	vg_jsonw_int(&w, (int64_t)n);
	vg_jsonw_obj_end(&w);
	if (vg_jsonw_finish(&w) != 0 || vg_buf_append(&rs->body, "\n", 1) != 0)
		rs->body.len = 0; /* committed anyway: an empty 200 still says so */
}

static int reg_metrics(vg_api_events *e, vg_metrics *m)
{
	static const char *const lbl[] = {"result"};
	vg_mfamily *f;
	int r = vg_metrics_family(m, VG_METRIC_COUNTER, "vigil_api_events_requests_total",
				  "POST /api/v1/events requests, by result", lbl, 1, &f);
	for (int i = 0; r == 0 && i < R_N; i++)
		r = vg_metrics_series(f, &result_names[i], &e->requests[i]);
	if (r == 0)
		r = vg_metrics_counter(m, "vigil_api_events_accepted_total",
				       "events accepted and committed through the HTTP API", &e->events);
	if (r == 0)
		r = vg_metrics_counter(m, "vigil_api_events_accepted_bytes_total",
				       "request body bytes of accepted event batches", &e->bytes);
	return r;
}

int vg_api_events_new(const vg_api_events_opts *o, vg_http *srv, vg_api_events **out)
{
	if (o == NULL || srv == NULL || out == NULL || o->auth == NULL || o->ingest == NULL ||
	    o->commit == NULL)
		return VG_EINVAL;
	vg_api_events *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return VG_ENOMEM;
	e->o = *o;
	if (e->o.max_lines == 0)
		e->o.max_lines = VG_API_EVENTS_MAX_LINES;
	if (pthread_mutex_init(&e->sink_mu, NULL) != 0) {
		free(e);
		return VG_ENOMEM;
	}
	int r = o->metrics != NULL ? reg_metrics(e, o->metrics) : 0;
	if (r == 0)
		r = vg_http_route_add(srv, &(vg_http_route_def){
						   .method = "POST",
						   .path = VG_API_EVENTS_PATH,
						   .handler = handle,
						   .precheck = precheck,
						   .ud = e,
						   .max_body = o->max_body,
					   });
	if (r != 0) {
		vg_api_events_free(e);
		return r;
	}
	*out = e;
	return 0;
}

void vg_api_events_free(vg_api_events *e)
{
	if (e == NULL)
		return;
	pthread_mutex_destroy(&e->sink_mu);
	free(e);
}
