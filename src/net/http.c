/* http.c — the HTTPS server wrapper (see http.h): our own listening socket
 * (clear bind errors, port 0), libmicrohttpd with GnuTLS for the protocol,
 * a route table, bounded body buffering and JSON error responses. */
#include "net/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/jsonw.h"
#include "net/pki.h"

#define PEER_LEN (INET6_ADDRSTRLEN + 8)

typedef struct route {
	char method[16];
	char *path;
	size_t path_len;
	vg_http_route_def def;
} route;

struct vg_http {
	int fd;            /* listening socket until MHD owns it */
	unsigned port;
	char addr[PEER_LEN];
	struct MHD_Daemon *d;
	char *key, *cert;
	size_t key_len;
	size_t max_body;
	unsigned max_conn, threads, timeout_s;
	route routes[VG_HTTP_MAX_ROUTES];
	size_t nroutes;
	vg_mseries *by_class[6]; /* index status / 100 */
	void (*log)(void *ud, const char *msg);
	void *log_ud;
};

/* One request's state, from the URI callback to the completion callback. */
typedef struct reqctx {
	bool started, answered, too_big, uri_too_long;
	char *uri; /* raw request target, copied */
	const route *rt;
	size_t max_body;
	vg_buf body;
	vg_http_req rq;
	char peer[PEER_LEN];
} reqctx;

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

/* ---- responses ------------------------------------------------------------- */

static void resp_clear(vg_http_resp *rs)
{
	vg_buf_free(&rs->body);
	for (size_t i = 0; i < rs->nheaders; i++) {
		free(rs->headers[i][0]);
		free(rs->headers[i][1]);
	}
	rs->nheaders = 0;
}

static bool header_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n')
			return false;
	return true;
}

int vg_http_resp_header(vg_http_resp *rs, const char *name, const char *value)
{
	if (rs == NULL || name == NULL || value == NULL || !header_text_ok(name, 64) ||
	    strchr(name, ':') != NULL || !header_text_ok(value, VG_HTTP_MAX_HEADER_VALUE))
		return VG_EINVAL;
	if (rs->nheaders >= VG_HTTP_MAX_RESP_HEADERS)
		return VG_ELIMIT;
	char *n = strdup(name), *v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return VG_ENOMEM;
	}
	rs->headers[rs->nheaders][0] = n;
	rs->headers[rs->nheaders][1] = v;
	rs->nheaders++;
	return 0;
}

void vg_http_error(vg_http_resp *rs, int status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (k < 0)
		msg[0] = '\0';
	rs->status = status;
	rs->content_type = "application/json";
	rs->body.len = 0;
	vg_jsonw w;
	vg_jsonw_init(&w, &rs->body);
	vg_jsonw_obj_begin(&w);
	vg_jsonw_key(&w, "error", 5);
	vg_jsonw_obj_begin(&w);
	vg_jsonw_key(&w, "status", 6);
	vg_jsonw_int(&w, status);
	vg_jsonw_key(&w, "code", 4);
	vg_jsonw_str(&w, code, strlen(code));
	vg_jsonw_key(&w, "message", 7);
	vg_jsonw_str(&w, msg, strlen(msg));
	vg_jsonw_obj_end(&w);
	vg_jsonw_obj_end(&w);
	if (vg_jsonw_finish(&w) != 0 || vg_buf_append(&rs->body, "\n", 1) != 0)
		rs->body.len = 0;
}

/* Hands rs to libmicrohttpd: the body buffer moves into the response. */
static enum MHD_Result send_resp(vg_http *srv, struct MHD_Connection *c, vg_http_resp *rs,
				 bool close_conn)
{
	struct MHD_Response *mr;
	if (rs->status < 100 || rs->status > 599)
		vg_http_error(rs, 500, "internal", "handler produced an invalid status");
	if (rs->body.len > 0) {
		mr = MHD_create_response_from_buffer_with_free_callback(rs->body.len, rs->body.data, free);
		if (mr != NULL)
			rs->body.data = NULL, rs->body.len = rs->body.cap = 0;
	} else {
		mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (mr == NULL) {
		resp_clear(rs);
		return MHD_NO;
	}
	bool ok = MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
					  rs->content_type ? rs->content_type : "application/json") == MHD_YES &&
		  MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff") == MHD_YES &&
		  MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES;
	for (size_t i = 0; ok && i < rs->nheaders; i++)
		ok = MHD_add_response_header(mr, rs->headers[i][0], rs->headers[i][1]) == MHD_YES;
	if (ok && close_conn)
		ok = MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
	enum MHD_Result r = ok ? MHD_queue_response(c, (unsigned)rs->status, mr) : MHD_NO;
	MHD_destroy_response(mr);
	if (r == MHD_YES)
		vg_metric_inc(srv->by_class[rs->status / 100]);
	resp_clear(rs);
	return r;
}

/* ---- routes -------------------------------------------------------------- */

int vg_http_route_add(vg_http *srv, const vg_http_route_def *def)
{
	if (srv == NULL || def == NULL || def->method == NULL || def->path == NULL ||
	    def->handler == NULL || def->path[0] != '/' || srv->d != NULL)
		return VG_EINVAL;
	size_t ml = strlen(def->method);
	if (ml == 0 || ml >= sizeof(srv->routes[0].method))
		return VG_EINVAL;
	for (size_t i = 0; i < srv->nroutes; i++) {
		const route *o = &srv->routes[i];
		if (strcmp(o->method, def->method) == 0 && strcmp(o->path, def->path) == 0 &&
		    (o->def.prefix != 0) == (def->prefix != 0))
			return VG_EINVAL; /* registered twice */
	}
	if (srv->nroutes >= VG_HTTP_MAX_ROUTES)
		return VG_ELIMIT;
	route *r = &srv->routes[srv->nroutes];
	if ((r->path = strdup(def->path)) == NULL)
		return VG_ENOMEM;
	memcpy(r->method, def->method, ml + 1);
	r->path_len = strlen(def->path);
	r->def = *def;
	r->def.path = r->path;
	r->def.method = r->method;
	srv->nroutes++;
	return 0;
}

int vg_http_route(vg_http *srv, const char *method, const char *path, vg_http_handler h, void *ud)
{
	return vg_http_route_add(srv, &(vg_http_route_def){.method = method, .path = path, .handler = h, .ud = ud});
}

int vg_http_route_prefix(vg_http *srv, const char *method, const char *path, vg_http_handler h,
			 void *ud)
{
	return vg_http_route_add(srv, &(vg_http_route_def){
		.method = method, .path = path, .prefix = 1, .handler = h, .ud = ud});
}

static void metrics_handler(void *ud, const vg_http_req *rq, vg_http_resp *rs)
{
	(void)rq;
	if (vg_metrics_render(ud, &rs->body) != 0) {
		vg_http_error(rs, 500, "internal", "out of memory rendering metrics");
		return;
	}
	rs->status = 200;
	rs->content_type = VG_METRICS_CONTENT_TYPE;
}

int vg_http_route_metrics(vg_http *srv, vg_metrics *m)
{
	if (m == NULL)
		return VG_EINVAL;
	return vg_http_route(srv, "GET", "/metrics", metrics_handler, m);
}

/* Exact routes first, then the longest matching prefix; *allow lists the
 * methods of the winning path when the method does not match. */
static const route *find_route(const vg_http *srv, const char *method, const char *path,
			       char *allow, size_t allow_len)
{
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	size_t plen = strlen(path), best = 0;
	bool exact = false, any = false;
	for (size_t i = 0; i < srv->nroutes; i++) {
		const route *r = &srv->routes[i];
		if (!r->def.prefix && strcmp(r->path, path) == 0)
			exact = true;
		else if (r->def.prefix && plen >= r->path_len && memcmp(r->path, path, r->path_len) == 0 &&
			 r->path_len > best)
			best = r->path_len;
	}
	allow[0] = '\0';
	for (size_t i = 0; i < srv->nroutes; i++) {
		const route *r = &srv->routes[i];
		bool hit = exact ? (!r->def.prefix && strcmp(r->path, path) == 0)
				 : (r->def.prefix && best > 0 && r->path_len == best &&
				    memcmp(r->path, path, best) == 0);
		if (!hit)
			continue;
		if (strcmp(r->method, method) == 0)
			return r;
		size_t n = strlen(allow);
		snprintf(allow + n, allow_len - n, "%s%s", any ? ", " : "", r->method);
		if (strcmp(r->method, "GET") == 0) {
			n = strlen(allow);
			snprintf(allow + n, allow_len - n, ", HEAD");
		}
		any = true;
	}
	return NULL;
}

/* ---- request helpers -------------------------------------------------------- */

const char *vg_http_header(const vg_http_req *rq, const char *name)
{
	if (rq == NULL || rq->conn == NULL || name == NULL)
		return NULL;
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *vg_http_query_arg(const vg_http_req *rq, const char *name)
{
	if (rq == NULL || rq->conn == NULL || name == NULL)
		return NULL;
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

static void format_peer(const struct sockaddr *sa, char out[PEER_LEN])
{
	char ip[INET6_ADDRSTRLEN];
	snprintf(out, PEER_LEN, "?");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		if (inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip)) != NULL)
			snprintf(out, PEER_LEN, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip)) != NULL)
			snprintf(out, PEER_LEN, "[%s]:%u", ip, ntohs(s6->sin6_port));
	}
}

/* ---- libmicrohttpd callbacks ------------------------------------------------ */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls, (void)c;
	reqctx *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	size_t n = strnlen(uri, VG_HTTP_MAX_URI + 1);
	if (n > VG_HTTP_MAX_URI)
		x->uri_too_long = true;
	else if ((x->uri = strdup(uri)) == NULL) {
		free(x);
		return NULL;
	}
	return x;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	reqctx *x = *con_cls;
	if (x == NULL)
		return;
	vg_buf_free(&x->body);
	free(x->uri);
	free(x);
	*con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	vg_http *srv = cls;
	if (srv->log == NULL)
		return;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	srv->log(srv->log_ud, msg);
}

/* A request that announces a body we will not read must end its connection. */
static bool has_body(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	return te != NULL || (cl != NULL && strcmp(cl, "0") != 0);
}

static enum MHD_Result answer_now(vg_http *srv, reqctx *x, struct MHD_Connection *c, vg_http_resp *rs)
{
	x->answered = true;
	return send_resp(srv, c, rs, has_body(c));
}

static enum MHD_Result first_call(vg_http *srv, reqctx *x, struct MHD_Connection *c,
				  const char *url, const char *method)
{
	vg_http_resp rs = {.status = 200};
	x->started = true;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	format_peer(ci != NULL ? ci->client_addr : NULL, x->peer);
	x->rq.method = method;
	x->rq.path = url;
	x->rq.peer = x->peer;
	x->rq.conn = c;
	if (x->uri != NULL) {
		char *q = strchr(x->uri, '?');
		x->rq.query = q != NULL ? q + 1 : NULL;
	}
	if (x->uri_too_long) {
		vg_http_error(&rs, 414, "uri_too_long", "request target longer than %d bytes",
			      VG_HTTP_MAX_URI);
		return answer_now(srv, x, c, &rs);
	}
	char allow[256];
	x->rt = find_route(srv, method, url, allow, sizeof(allow));
	if (x->rt == NULL && allow[0] == '\0') {
		vg_http_error(&rs, 404, "not_found", "no such resource");
		return answer_now(srv, x, c, &rs);
	}
	if (x->rt == NULL) {
		vg_http_error(&rs, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)",
			      method, allow);
		if (vg_http_resp_header(&rs, "Allow", allow) != 0)
			vg_http_error(&rs, 500, "internal", "out of memory");
		return answer_now(srv, x, c, &rs);
	}
	x->max_body = x->rt->def.max_body ? x->rt->def.max_body : srv->max_body;
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (cl[0] < '0' || cl[0] > '9' || *end != '\0' || errno != 0 || n > x->max_body) {
			vg_http_error(&rs, 413, "body_too_large", "request body larger than %zu bytes",
				      x->max_body);
			return answer_now(srv, x, c, &rs);
		}
	}
	if (x->rt->def.precheck != NULL && x->rt->def.precheck(x->rt->def.ud, &x->rq, &rs) != 0)
		return answer_now(srv, x, c, &rs);
	resp_clear(&rs);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	vg_http *srv = cls;
	reqctx *x = *con_cls;
	if (x == NULL) { /* the URI callback ran out of memory */
		if ((x = calloc(1, sizeof(*x))) == NULL)
			return MHD_NO;
		*con_cls = x;
	}
	if (!x->started)
		return first_call(srv, x, c, url, method);
	if (x->answered) { /* answered early: drop whatever body still arrives */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (n > x->max_body - x->body.len) {
			vg_http_resp rs = {0};
			vg_http_error(&rs, 413, "body_too_large", "request body larger than %zu bytes",
				      x->max_body);
			x->answered = true;
			vg_buf_free(&x->body);
			/* Queuing may be refused mid-body: then drop the connection. */
			return send_resp(srv, c, &rs, true);
		}
		if (vg_buf_append(&x->body, upload_data, n) != 0)
			return MHD_NO;
		return MHD_YES;
	}
	/* The whole body is here. */
	if (vg_buf_append(&x->body, "", 1) != 0)
		return MHD_NO;
	x->body.len--;
	x->rq.body = (const uint8_t *)x->body.data;
	x->rq.body_len = x->body.len;
	vg_http_resp rs = {.status = 200};
	x->rt->def.handler(x->rt->def.ud, &x->rq, &rs);
	x->answered = true;
	return send_resp(srv, c, &rs, false);
}

/* ---- lifecycle ------------------------------------------------------------ */

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (e == NULL || e[1] != ':' || (size_t)(e - s - 1) >= sizeof(host))
			return VG_EINVAL;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = '\0';
		port = e + 2;
	} else {
		const char *e = strrchr(s, ':');
		if (e == NULL || (size_t)(e - s) >= sizeof(host))
			return VG_EINVAL;
		memcpy(host, s, (size_t)(e - s));
		host[e - s] = '\0';
		port = e + 1;
	}
	char *end;
	errno = 0;
	long p = strtol(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 || p < 0 || p > 65535)
		return VG_EINVAL;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (s[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*sl = sizeof(*s4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*sl = sizeof(*s6);
		return 0;
	}
	return VG_EINVAL;
}

static int load_pem(const char *path, bool secret, char **out, size_t *len, char *why, size_t wl)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		say(why, wl, "%s: %s", path, strerror(errno));
		return VG_EIO;
	}
	if (secret && (st.st_mode & 077) != 0) {
		say(why, wl, "%s: private key readable by group or others (chmod 600)", path);
		return VG_EINVAL;
	}
	int r = vg_pki_file_read(path, VG_PKI_MAX_FILE, out, len);
	if (r != 0)
		say(why, wl, "%s: %s", path, r == VG_EIO ? strerror(errno) : vg_err_str(r));
	return r;
}

static int reg_metrics(vg_http *srv, vg_metrics *m)
{
	static const char *const lbl[] = {"code"};
	static const char *const cls[] = {NULL, "1xx", "2xx", "3xx", "4xx", "5xx"};
	vg_mfamily *f;
	int r = vg_metrics_family(m, VG_METRIC_COUNTER, "vigil_http_requests_total",
				  "HTTP API responses sent, by status class", lbl, 1, &f);
	for (int i = 1; r == 0 && i < 6; i++)
		r = vg_metrics_series(f, &cls[i], &srv->by_class[i]);
	return r;
}

vg_http *vg_http_new(const vg_http_opts *o, int *err, char *why, size_t whylen)
{
	int r = VG_EINVAL, e;
	vg_http *srv = NULL;
	say(why, whylen, "invalid options");
	if (o == NULL || o->cert_path == NULL || o->key_path == NULL)
		goto fail;
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		r = VG_ENOMEM;
		goto fail;
	}
	srv->fd = -1;
	srv->max_body = o->max_body ? o->max_body : VG_HTTP_MAX_BODY;
	srv->max_conn = o->max_connections ? o->max_connections : VG_HTTP_MAX_CONNECTIONS;
	srv->threads = o->threads ? o->threads : VG_HTTP_THREADS;
	srv->timeout_s = o->timeout_s ? o->timeout_s : VG_HTTP_TIMEOUT_S;
	srv->log = o->log;
	srv->log_ud = o->log_ud;
	if (srv->threads > 64 || srv->max_conn < srv->threads) {
		say(why, whylen, "threads must be 1..64 and at most max_connections");
		goto fail;
	}
	if (o->metrics != NULL && (r = reg_metrics(srv, o->metrics)) != 0) {
		say(why, whylen, "metrics: %s", vg_err_str(r));
		goto fail;
	}
	size_t clen;
	if ((r = load_pem(o->key_path, true, &srv->key, &srv->key_len, why, whylen)) != 0 ||
	    (r = load_pem(o->cert_path, false, &srv->cert, &clen, why, whylen)) != 0)
		goto fail;

	const char *addr = o->addr ? o->addr : VG_HTTP_DEFAULT_ADDR;
	struct sockaddr_storage ss;
	socklen_t sl;
	if ((r = parse_addr(addr, &ss, &sl)) != 0) {
		say(why, whylen, "%s: not an IP:PORT or [IPv6]:PORT address", addr);
		goto fail;
	}
	r = VG_EIO;
	srv->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (srv->fd < 0 || setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(srv->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)) {
		say(why, whylen, "%s: socket: %s", addr, strerror(errno));
		goto fail;
	}
	if (bind(srv->fd, (struct sockaddr *)&ss, sl) != 0) {
		say(why, whylen, "%s: bind: %s%s", addr, strerror(errno),
		    errno == EADDRINUSE ? " (another process listens on this port)" : "");
		goto fail;
	}
	if (listen(srv->fd, 128) != 0) {
		say(why, whylen, "%s: listen: %s", addr, strerror(errno));
		goto fail;
	}
	sl = sizeof(ss);
	if (getsockname(srv->fd, (struct sockaddr *)&ss, &sl) != 0) {
		say(why, whylen, "%s: getsockname: %s", addr, strerror(errno));
		goto fail;
	}
	format_peer((struct sockaddr *)&ss, srv->addr);
	srv->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	say(why, whylen, "ok");
	return srv;
fail:
	e = errno;
	vg_http_free(srv);
	errno = e;
	if (err != NULL)
		*err = r;
	return NULL;
}

int vg_http_start(vg_http *srv, char *why, size_t whylen)
{
	if (srv == NULL || srv->d != NULL || srv->fd < 0) {
		say(why, whylen, "server already started or stopped");
		return VG_EINVAL;
	}
	unsigned flags = MHD_USE_TLS | MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	srv->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_log, srv, /* first, so that it gets every message */
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->fd,
		MHD_OPTION_HTTPS_MEM_KEY, srv->key,
		MHD_OPTION_HTTPS_MEM_CERT, srv->cert,
		MHD_OPTION_HTTPS_PRIORITIES, VG_HTTP_TLS_PRIORITIES,
		MHD_OPTION_THREAD_POOL_SIZE, srv->threads,
		MHD_OPTION_CONNECTION_LIMIT, srv->max_conn,
		MHD_OPTION_CONNECTION_TIMEOUT, srv->timeout_s,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, srv,
		MHD_OPTION_END);
	if (srv->d == NULL) {
		say(why, whylen, "%s: the HTTPS server did not start (unusable key or certificate?)",
		    srv->addr);
		return VG_EIO;
	}
	return 0;
}

void vg_http_stop(vg_http *srv)
{
	if (srv == NULL || srv->d == NULL)
		return;
	MHD_stop_daemon(srv->d); /* closes the listening socket too */
	srv->d = NULL;
	srv->fd = -1;
}

unsigned vg_http_port(const vg_http *srv)
{
	return srv != NULL ? srv->port : 0;
}

void vg_http_free(vg_http *srv)
{
	if (srv == NULL)
		return;
	vg_http_stop(srv);
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->key != NULL) {
		explicit_bzero(srv->key, srv->key_len);
		free(srv->key);
	}
	free(srv->cert);
	for (size_t i = 0; i < srv->nroutes; i++)
		free(srv->routes[i].path);
	free(srv);
}
