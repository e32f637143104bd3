/* api.c — the /api/v1 plumbing of api.h: one vg_http prefix route per method
 * on "/api/v1/" feeds our own route table (so modules are not bound by
 * VG_HTTP_MAX_ROUTES); the pre-check finds the route and authenticates from
 * the headers, the handler parses the JSON body, takes the API lock,
 * authenticates again (the session may have ended while the body arrived)
 * and calls the module's handler. */
#include "server/api.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/limits.h"
#include "core/timeparse.h"
#include "server/audit.h"

#define NOLOCK 0x100 /* internal: the handler takes the lock itself (login) */

typedef struct api_route {
	vg_api *api;
	char method[8];
	char *path; /* full path, with VG_API_PREFIX */
	size_t path_len;
	int prefix, flags;
	vg_api_handler h;
	void *ud;
} api_route;

struct vg_api {
	vg_http *srv;
	vg_db *db;
	vg_auth *auth;
	pthread_mutex_t mu;
	sem_t logins;
	_Atomic int64_t clock_us;
	api_route *routes;
	size_t nroutes;
};

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

/* ---- small helpers ---- */

static int64_t now_of(vg_api *a)
{
	int64_t fixed = atomic_load(&a->clock_us);
	if (fixed != 0)
		return fixed;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool unsafe_method(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

void vg_api_peer_ip(const char *peer, char *out, size_t n)
{
	if (n == 0)
		return;
	out[0] = '\0';
	if (peer == NULL)
		return;
	const char *s = peer, *e;
	if (*s == '[') {
		s++;
		e = strchr(s, ']');
	} else {
		e = strrchr(s, ':');
	}
	size_t k = e != NULL ? (size_t)(e - s) : strlen(s);
	if (k >= n)
		k = n - 1;
	memcpy(out, s, k);
	out[k] = '\0';
}

/* "application/json" with optional parameters, case-insensitive. */
static bool is_json_type(const char *ct)
{
	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strlen("application/json");
	if (strncasecmp(ct, "application/json", n) != 0)
		return false;
	char c = ct[n];
	return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

/* The value of cookie `name` in a Cookie header into out; false when absent
 * or longer than n - 1 bytes. */
static bool cookie_value(const char *hdr, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	const char *p = hdr;
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			const char *v = p + nl + 1;
			size_t vl = len - nl - 1;
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
				v++, vl -= 2;
			if (vl == 0 || vl >= n)
				return false;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

/* A response header; failing that (out of memory) the answer becomes a 500. */
static void set_header(vg_http_resp *rs, const char *name, const char *value)
{
	if (vg_http_resp_header(rs, name, value) != 0)
		vg_http_error(rs, 500, "internal", "out of memory");
}

void vg_api_header(vg_api_call *c, const char *name, const char *value)
{
	set_header(c->rs, name, value);
}

static void answer_error(vg_http_resp *rs, int status, const char *code, const char *msg)
{
	vg_http_error(rs, status, code, "%s", msg);
}

static void unavailable(vg_http_resp *rs, const char *what)
{
	vg_http_error(rs, 503, "unavailable", "%s is unavailable; retry later", what);
	set_header(rs, "Retry-After", "5");
}

/* ---- route table ---- */

static const api_route *find(const vg_api *a, const char *method, const char *path, char *allow, size_t allow_len)
{
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	size_t plen = strlen(path), best = 0;
	bool exact = false, any = false;
	for (size_t i = 0; i < a->nroutes; i++) {
		const api_route *r = &a->routes[i];
		if (!r->prefix && strcmp(r->path, path) == 0)
			exact = true;
		else if (r->prefix && plen >= r->path_len && memcmp(r->path, path, r->path_len) == 0 &&
			 r->path_len > best)
			best = r->path_len;
	}
	allow[0] = '\0';
	for (size_t i = 0; i < a->nroutes; i++) {
		const api_route *r = &a->routes[i];
		bool hit = exact ? (!r->prefix && strcmp(r->path, path) == 0)
				 : (r->prefix && best > 0 && r->path_len == best && memcmp(r->path, path, best) == 0);
		if (!hit)
			continue;
		if (strcmp(r->method, method) == 0)
			return r;
		size_t n = strlen(allow);
		snprintf(allow + n, allow_len - n, "%s%s%s", any ? ", " : "", r->method,
			 strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
		any = true;
	}
	return NULL;
}

/* 1 when the request was answered (404/405). */
static int route_of(vg_api *a, const vg_http_req *rq, vg_http_resp *rs, const api_route **out)
{
	char allow[128];
	*out = find(a, rq->method, rq->path, allow, sizeof(allow));
	if (*out != NULL)
		return 0;
	if (allow[0] == '\0') {
		vg_http_error(rs, 404, "not_found", "no such resource: %s", rq->path);
		return 1;
	}
	vg_http_error(rs, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)", rq->method, allow);
	if (vg_http_resp_header(rs, "Allow", allow) != 0)
		vg_http_error(rs, 500, "internal", "out of memory");
	return 1;
}

/* ---- authentication (under the lock) ---- */

static void unauthorized(vg_http_resp *rs, const char *why, bool bad_credentials)
{
	vg_http_error(rs, 401, "unauthorized", "%s", why);
	set_header(rs, "WWW-Authenticate",
		   bad_credentials ? "Bearer realm=\"vigil\", error=\"invalid_token\"" : "Bearer realm=\"vigil\"");
}

/* Establishes *p from the headers and checks the route's role. 0: go on;
 * 1: answered in rs. Called with the lock held. */
static int authenticate(vg_api *a, const api_route *rt, const vg_http_req *rq, vg_http_resp *rs, int64_t now,
			vg_principal *p)
{
	memset(p, 0, sizeof(*p));
	const char *authz = vg_http_header(rq, "Authorization");
	const char *cookies = vg_http_header(rq, "Cookie");
	char sess[VG_AUTH_SESSION_BUF + 1];
	int r;
	if (authz != NULL) {
		while (*authz == ' ')
			authz++;
		if (strncasecmp(authz, "Bearer ", 7) != 0) {
			unauthorized(rs, "Authorization must be 'Bearer TOKEN'", true);
			return 1;
		}
		const char *t = authz + 7;
		while (*t == ' ')
			t++;
		char tok[VG_AUTH_TOKEN_BUF + 1];
		size_t tl = strcspn(t, " \t");
		if (tl == 0 || tl >= sizeof(tok) || t[tl + strspn(t + tl, " \t")] != '\0') {
			unauthorized(rs, "not a vigil API token", true);
			return 1;
		}
		memcpy(tok, t, tl);
		tok[tl] = '\0';
		r = vg_auth_check_token(a->auth, tok, now, p);
		OPENSSL_cleanse(tok, sizeof(tok));
		if (r == VG_ENOTFOUND) {
			unauthorized(rs, "unknown, expired or revoked API token", true);
			return 1;
		}
		if (r != 0) {
			unavailable(rs, "the token store");
			return 1;
		}
	} else if (cookies != NULL && cookie_value(cookies, VG_API_SESSION_COOKIE, sess, sizeof(sess))) {
		char csrf[VG_AUTH_SESSION_BUF];
		r = vg_auth_session(a->auth, sess, now, p, csrf);
		OPENSSL_cleanse(sess, sizeof(sess));
		if (r == VG_ENOTFOUND) {
			OPENSSL_cleanse(csrf, sizeof(csrf));
			unauthorized(rs, "the session has ended or is unknown; log in again", false);
			return 1;
		}
		if (r != 0) {
			OPENSSL_cleanse(csrf, sizeof(csrf));
			unavailable(rs, "the session store");
			return 1;
		}
		if (unsafe_method(rq->method)) {
			const char *given = vg_http_header(rq, VG_API_CSRF_HEADER);
			bool ok = given != NULL && vg_auth_csrf_equal(csrf, given);
			if (!ok) {
				OPENSSL_cleanse(csrf, sizeof(csrf));
				vg_http_error(rs, 403, "csrf",
					      "%s with a session cookie needs the header " VG_API_CSRF_HEADER
					      " (the csrf value of the login answer)",
					      rq->method);
				return 1;
			}
		}
		OPENSSL_cleanse(csrf, sizeof(csrf));
	} else {
		unauthorized(rs, "authentication required: Authorization: Bearer TOKEN, or log in (POST " VG_API_PREFIX
				 "/login)",
			     false);
		return 1;
	}
	if (p->scope != VG_SCOPE_ALL) {
		vg_http_error(rs, 403, "forbidden", "token %s may only submit events (scope %s)", p->token_id,
			      vg_scope_name(p->scope) ? vg_scope_name(p->scope) : "?");
		set_header(rs, "WWW-Authenticate", "Bearer realm=\"vigil\", error=\"insufficient_scope\"");
		return 1;
	}
	const char *need = NULL;
	if ((rt->flags & VG_API_ADMIN) && !vg_auth_can_admin(p))
		need = "admin";
	else if ((rt->flags & VG_API_WRITE) && !vg_auth_can_write(p))
		need = "admin or analyst";
	else if (!vg_auth_can_read(p))
		need = "a role that may read";
	if (need != NULL) {
		const char *role = vg_role_name(p->role);
		vg_http_error(rs, 403, "forbidden", "%s %s needs the role %s; %s is %s", rq->method, rq->path, need, p->name,
			      role ? role : "?");
		return 1;
	}
	return 0;
}

static bool needs_auth(int flags)
{
	return (flags & (VG_API_READ | VG_API_WRITE | VG_API_ADMIN)) != 0;
}

/* ---- the two vg_http callbacks ---- */

/* Content-Type, Content-Encoding and declared size of a JSON body, from the
 * headers: 1 when answered. */
static int body_checks(const api_route *rt, const vg_http_req *rq, vg_http_resp *rs)
{
	if (rt->flags & VG_API_JSON_BODY) {
		const char *ce = vg_http_header(rq, "Content-Encoding");
		if (ce != NULL && strcasecmp(ce, "identity") != 0) {
			answer_error(rs, 415, "unsupported_media_type", "Content-Encoding is not supported");
			return 1;
		}
		if (!is_json_type(vg_http_header(rq, "Content-Type"))) {
			answer_error(rs, 415, "unsupported_media_type", "the body must be sent as Content-Type: application/json");
			return 1;
		}
		const char *cl = vg_http_header(rq, "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > VG_API_MAX_BODY) {
			vg_http_error(rs, 413, "body_too_large", "request body larger than %u bytes", VG_API_MAX_BODY);
			return 1;
		}
	}
	return 0;
}

static int api_precheck(void *ud, vg_http_req *rq, vg_http_resp *rs)
{
	vg_api *a = ud;
	const api_route *rt;
	if (route_of(a, rq, rs, &rt))
		return 1;
	if (!needs_auth(rt->flags))
		return body_checks(rt, rq, rs);
	vg_principal p;
	pthread_mutex_lock(&a->mu);
	int r = authenticate(a, rt, rq, rs, now_of(a), &p);
	pthread_mutex_unlock(&a->mu);
	if (r != 0)
		return r;
	snprintf(rq->who, sizeof(rq->who), "%s", p.name);
	return body_checks(rt, rq, rs);
}

/* Nesting depth of a JSON text outside strings, stopping past max. */
static bool depth_ok(const char *s, size_t n, int max)
{
	int depth = 0;
	bool in_str = false, esc = false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > max)
				return false;
		} else if (ch == '}' || ch == ']') {
			depth--;
		}
	}
	return true;
}

/* The body as a JSON object, or NULL with rs answered. */
static json_t *parse_body(const vg_http_req *rq, vg_http_resp *rs)
{
	if (rq->body_len > VG_API_MAX_BODY) {
		vg_http_error(rs, 413, "body_too_large", "request body larger than %u bytes", VG_API_MAX_BODY);
		return NULL;
	}
	size_t i = 0;
	while (i < rq->body_len && (rq->body[i] == ' ' || rq->body[i] == '\t' || rq->body[i] == '\r' ||
				    rq->body[i] == '\n'))
		i++;
	if (i == rq->body_len) {
		answer_error(rs, 400, "empty_body", "this request needs a JSON object as its body");
		return NULL;
	}
	if (!depth_ok((const char *)rq->body, rq->body_len, VG_MAX_JSON_DEPTH)) {
		vg_http_error(rs, 400, "invalid_json", "body: JSON nested deeper than %d levels", VG_MAX_JSON_DEPTH);
		return NULL;
	}
	json_error_t e;
	json_t *v = json_loadb((const char *)rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &e);
	if (v == NULL) {
		vg_http_error(rs, 400, "invalid_json", "body: invalid JSON at line %d, column %d: %s", e.line, e.column,
			      e.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		answer_error(rs, 400, "invalid_json", "body: must be a JSON object");
		return NULL;
	}
	return v;
}

static void api_handler(void *ud, const vg_http_req *rq, vg_http_resp *rs)
{
	vg_api *a = ud;
	const api_route *rt;
	if (route_of(a, rq, rs, &rt))
		return;
	vg_api_call c = {
		.rq = rq,
		.rs = rs,
		.api = a,
		.db = a->db,
		.rest = rt->prefix ? rq->path + rt->path_len : "",
		.now_us = now_of(a),
	};
	if ((rt->flags & VG_API_JSON_BODY) && (c.body = parse_body(rq, rs)) == NULL)
		return;
	bool lock = !(rt->flags & NOLOCK);
	if (lock)
		pthread_mutex_lock(&a->mu);
	if (needs_auth(rt->flags)) {
		if (!lock)
			pthread_mutex_lock(&a->mu);
		int r = authenticate(a, rt, rq, rs, c.now_us, &c.who);
		if (!lock)
			pthread_mutex_unlock(&a->mu);
		if (r != 0)
			goto out;
	}
	rs->status = 0;
	rt->h(rt->ud, &c);
	if (lock && vg_db_in_txn(a->db))
		vg_api_rollback(&c); /* a handler that returned mid-transaction changes nothing */
	if (rs->status == 0) {
		if (rs->body.len > 0)
			rs->status = 200;
		else
			vg_http_error(rs, 500, "internal", "the handler of %s %s gave no answer", rq->method, rq->path);
	}
out:
	if (lock)
		pthread_mutex_unlock(&a->mu);
	json_decref(c.body);
	OPENSSL_cleanse(&c.who, sizeof(c.who));
}

/* ---- lifecycle ---- */

vg_api *vg_api_new(vg_http *srv, vg_db *db, vg_auth *auth)
{
	if (srv == NULL || db == NULL || auth == NULL)
		return NULL;
	vg_api *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->srv = srv;
	a->db = db;
	a->auth = auth;
	if ((a->routes = calloc(VG_API_MAX_ROUTES, sizeof(*a->routes))) == NULL) {
		free(a);
		return NULL;
	}
	if (pthread_mutex_init(&a->mu, NULL) != 0) {
		free(a->routes);
		free(a);
		return NULL;
	}
	if (sem_init(&a->logins, 0, VG_API_MAX_LOGINS) != 0) {
		pthread_mutex_destroy(&a->mu);
		free(a->routes);
		free(a);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		vg_http_route_def d = {
			.method = methods[i],
			.path = VG_API_PREFIX "/",
			.prefix = 1,
			.handler = api_handler,
			.precheck = api_precheck,
			.ud = a,
		};
		if (vg_http_route_add(srv, &d) != 0) {
			vg_api_free(a);
			return NULL;
		}
	}
	return a;
}

void vg_api_free(vg_api *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nroutes; i++)
		free(a->routes[i].path);
	free(a->routes);
	sem_destroy(&a->logins);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int vg_api_route(vg_api *a, const char *method, const char *path, int prefix, int flags, vg_api_handler h, void *ud)
{
	if (a == NULL || method == NULL || path == NULL || h == NULL || path[0] != '/')
		return VG_EINVAL;
	bool known = false;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		known = known || strcmp(method, methods[i]) == 0;
	if (!known || (prefix && path[strlen(path) - 1] != '/'))
		return VG_EINVAL;
	size_t n = strlen(VG_API_PREFIX) + strlen(path);
	char *full = malloc(n + 1);
	if (full == NULL)
		return VG_ENOMEM;
	snprintf(full, n + 1, "%s%s", VG_API_PREFIX, path);
	for (size_t i = 0; i < a->nroutes; i++) {
		const api_route *o = &a->routes[i];
		if (strcmp(o->method, method) == 0 && strcmp(o->path, full) == 0 && (o->prefix != 0) == (prefix != 0)) {
			free(full);
			return VG_EINVAL; /* registered twice */
		}
	}
	if (a->nroutes >= VG_API_MAX_ROUTES) {
		free(full);
		return VG_ELIMIT;
	}
	api_route *r = &a->routes[a->nroutes++];
	*r = (api_route){.api = a, .path = full, .path_len = n, .prefix = prefix != 0, .flags = flags, .h = h, .ud = ud};
	snprintf(r->method, sizeof(r->method), "%s", method);
	return 0;
}

void vg_api_lock(vg_api *a)
{
	pthread_mutex_lock(&a->mu);
}

void vg_api_unlock(vg_api *a)
{
	pthread_mutex_unlock(&a->mu);
}

void vg_api_set_clock(vg_api *a, int64_t now_us)
{
	atomic_store(&a->clock_us, now_us);
}

vg_auth *vg_api_auth(vg_api *a)
{
	return a->auth;
}

/* ---- internal, for api_core.c ---- */

int vg_api_route_nolock(vg_api *a, const char *method, const char *path, int flags, vg_api_handler h, void *ud)
{
	return vg_api_route(a, method, path, 0, flags | NOLOCK, h, ud);
}

int vg_api_login_slot(vg_api *a)
{
	return sem_trywait(&a->logins) == 0 ? 0 : VG_ELIMIT;
}

void vg_api_login_done(vg_api *a)
{
	sem_post(&a->logins);
}

/* ---- answering ---- */

void vg_api_json(vg_api_call *c, int status, json_t *v)
{
	vg_http_resp *rs = c->rs;
	if (v == NULL) {
		vg_http_error(rs, 500, "internal", "out of memory building the answer");
		return;
	}
	size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
	rs->body.len = 0;
	if (n == 0 || vg_buf_reserve(&rs->body, n + 1) != 0) {
		json_decref(v);
		vg_http_error(rs, 500, "internal", "could not encode the answer");
		return;
	}
	rs->body.len = json_dumpb(v, rs->body.data, n, JSON_COMPACT);
	json_decref(v);
	if (rs->body.len != n) {
		vg_http_error(rs, 500, "internal", "could not encode the answer");
		return;
	}
	rs->body.data[rs->body.len++] = '\n';
	rs->status = status;
	rs->content_type = "application/json";
}

void vg_api_error(vg_api_call *c, int status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	vg_http_error(c->rs, status, code, "%s", msg);
	if (status == 503)
		set_header(c->rs, "Retry-After", "5");
}

void vg_api_fail(vg_api_call *c, int r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	switch (r) {
	case VG_EINVAL:
	case VG_EPARSE: vg_api_error(c, 400, "invalid", "%s", msg); break;
	case VG_ENOTFOUND: vg_api_error(c, 404, "not_found", "%s", msg); break;
	case VG_ELIMIT: vg_api_error(c, 400, "limit", "%s", msg); break;
	case VG_EUNSUPPORTED: vg_api_error(c, 400, "unsupported", "%s", msg); break;
	case VG_EIO: vg_api_error(c, 503, "unavailable", "%s", msg); break;
	default: vg_api_error(c, 500, "internal", "%s", msg); break;
	}
}

/* ---- transactions and audit ---- */

int vg_api_begin(vg_api_call *c)
{
	return vg_db_begin(c->db);
}

int vg_api_commit(vg_api_call *c)
{
	return vg_db_commit(c->db);
}

void vg_api_rollback(vg_api_call *c)
{
	(void)vg_db_rollback(c->db);
}

int vg_api_audit(vg_api_call *c, const char *action, const char *object_type, const char *object_id, json_t *details)
{
	char ip[VG_AUTH_IP_MAX + 1];
	vg_api_peer_ip(c->rq != NULL ? c->rq->peer : NULL, ip, sizeof(ip));
	char *d = NULL;
	if (details != NULL) {
		if (!json_is_object(details))
			return VG_EINVAL;
		if ((d = json_dumps(details, JSON_COMPACT)) == NULL)
			return VG_ENOMEM;
	}
	vg_audit_entry e = {
		.ts_us = c->now_us,
		.actor = c->who.name[0] != '\0' ? c->who.name : "anonymous",
		.actor_ip = ip[0] != '\0' ? ip : NULL,
		.action = action,
		.object_type = object_type,
		.object_id = object_id,
		.details = d != NULL ? d : "{}",
	};
	int r = vg_audit_record(c->db, &e);
	free(d);
	return r;
}

/* ---- request helpers ---- */

int vg_api_cookie(const vg_http_req *rq, const char *name, char *out, size_t n)
{
	const char *h = vg_http_header(rq, "Cookie");
	return h != NULL && cookie_value(h, name, out, n);
}

int vg_api_query_time(vg_api_call *c, const char *name, int *has, int64_t *us)
{
	const char *s = vg_api_query(c, name);
	*has = 0;
	if (s == NULL)
		return 0;
	size_t n = strlen(s);
	int64_t v = 0;
	bool ok = n > 0 && n <= 64;
	if (ok && n == 10) { /* YYYY-MM-DD */
		unsigned y, m, d;
		char tail;
		ok = sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
		if (ok)
			v = vg_days_from_civil(y, m, d) * 86400LL * 1000000;
	} else if (ok) {
		ok = vg_time_rfc3339(s, n, &v) == n;
	}
	if (!ok) {
		vg_api_error(c, 400, "invalid", "query %s: '%.64s' is not a time (RFC 3339, e.g. 2026-11-21T10:00:00Z)",
			     name, s);
		return VG_EINVAL;
	}
	*has = 1;
	*us = v;
	return 0;
}

json_t *vg_api_time(int64_t us)
{
	if (us == 0)
		return json_null();
	time_t secs = (time_t)(us / 1000000);
	int64_t frac = us % 1000000;
	if (frac < 0)
		frac += 1000000, secs--;
	struct tm tm;
	char t[64];
	if (gmtime_r(&secs, &tm) == NULL)
		return json_null();
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)frac);
	return json_string(t);
}

const char *vg_api_query(const vg_api_call *c, const char *name)
{
	return vg_http_query_arg(c->rq, name);
}

int vg_api_query_int(vg_api_call *c, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out)
{
	const char *s = vg_api_query(c, name);
	*out = def;
	if (s == NULL)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		vg_api_error(c, 400, "invalid", "query %s: '%.64s' is not an integer from %lld to %lld", name, s,
			     (long long)min, (long long)max);
		return VG_EINVAL;
	}
	*out = v;
	return 0;
}

int vg_api_page(vg_api_call *c, size_t *limit, const char **after)
{
	int64_t n;
	int r = vg_api_query_int(c, "limit", 1, VG_API_PAGE_MAX, VG_API_PAGE_DEFAULT, &n);
	if (r != 0)
		return r;
	*limit = (size_t)n;
	if (after != NULL) {
		*after = vg_api_query(c, "after");
		if (*after != NULL && (*after[0] == '\0' || strlen(*after) > 256)) {
			vg_api_error(c, 400, "invalid", "query after: must be the 'next' value of the previous page");
			return VG_EINVAL;
		}
	}
	return 0;
}

int vg_api_page_id(vg_api_call *c, size_t *limit, int64_t *after_id)
{
	int64_t n;
	int r = vg_api_query_int(c, "limit", 1, VG_API_PAGE_MAX, VG_API_PAGE_DEFAULT, &n);
	if (r != 0)
		return r;
	*limit = (size_t)n;
	return vg_api_query_int(c, "after", 0, INT64_MAX, 0, after_id);
}

void vg_api_page_answer(vg_api_call *c, json_t *items, json_t *next)
{
	json_t *o = json_object();
	if (o == NULL || items == NULL || json_object_set_new(o, "items", items) != 0 ||
	    json_object_set_new(o, "next", next != NULL ? next : json_null()) != 0) {
		json_decref(o);
		vg_api_json(c, 500, NULL);
		return;
	}
	vg_api_json(c, 200, o);
}

static json_t *member(vg_api_call *c, const char *name, int required, int *r)
{
	*r = 0;
	json_t *v = c->body != NULL ? json_object_get(c->body, name) : NULL;
	if (v != NULL && !json_is_null(v))
		return v;
	if (required) {
		vg_api_error(c, 400, "invalid", "%s: required", name);
		*r = VG_EINVAL;
	}
	return NULL;
}

int vg_api_str(vg_api_call *c, const char *name, int required, size_t maxlen, const char **out)
{
	int r;
	*out = NULL;
	json_t *v = member(c, name, required, &r);
	if (v == NULL)
		return r;
	if (!json_is_string(v)) {
		vg_api_error(c, 400, "invalid", "%s: must be a string", name);
		return VG_EINVAL;
	}
	if (json_string_length(v) > maxlen) {
		vg_api_error(c, 400, "invalid", "%s: at most %zu bytes", name, maxlen);
		return VG_EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

int vg_api_int(vg_api_call *c, const char *name, int required, int64_t min, int64_t max, int64_t *out)
{
	int r;
	json_t *v = member(c, name, required, &r);
	if (v == NULL)
		return r;
	if (!json_is_integer(v)) {
		vg_api_error(c, 400, "invalid", "%s: must be an integer", name);
		return VG_EINVAL;
	}
	json_int_t x = json_integer_value(v);
	if (x < min || x > max) {
		vg_api_error(c, 400, "invalid", "%s: must be from %lld to %lld", name, (long long)min, (long long)max);
		return VG_EINVAL;
	}
	*out = x;
	return 0;
}

int vg_api_bool(vg_api_call *c, const char *name, int required, int *out)
{
	int r;
	json_t *v = member(c, name, required, &r);
	if (v == NULL)
		return r;
	if (!json_is_boolean(v)) {
		vg_api_error(c, 400, "invalid", "%s: must be true or false", name);
		return VG_EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

int vg_api_only(vg_api_call *c, const char *const *names)
{
	const char *k;
	json_t *v;
	if (c->body == NULL)
		return 0;
	json_object_foreach(c->body, k, v)
	{
		bool ok = false;
		for (size_t i = 0; names[i] != NULL && !ok; i++)
			ok = strcmp(names[i], k) == 0;
		if (!ok) {
			vg_api_error(c, 400, "invalid", "%.64s: unknown member", k);
			return VG_EINVAL;
		}
	}
	return 0;
}
