/* http.h — vigil's HTTPS server: a small, safe wrapper around libmicrohttpd
 * for the REST API (/api/v1) and /metrics. Always TLS (1.2 or 1.3, AEAD
 * ciphers, ECDHE only: VG_HTTP_TLS_PRIORITIES); there is no plain-HTTP mode.
 *
 * Model. Routes are registered before vg_http_start: exact paths and prefix
 * paths ("/api/v1/systems/" matches /api/v1/systems/{id}); an exact route
 * wins, then the longest prefix. An unknown path gets 404, a known path with
 * another method 405 with Allow (HEAD is routed as GET). A route may have a
 * pre-check that sees the headers before any body byte is read (e.g. to
 * authenticate): if it answers, the body is never read and the connection is
 * closed. The body is buffered in memory up to the route's max_body (default
 * the server's); a larger Content-Length is refused at once with 413 and the
 * connection closed; a chunked body that grows past it has its connection
 * dropped (libmicrohttpd cannot answer in the middle of a body). Then the
 * handler runs with the whole body and fills a vg_http_resp. JSON is the
 * default Content-Type; every response carries X-Content-Type-Options:
 * nosniff and Cache-Control: no-store.
 *
 * Ownership: a vg_http_req and everything it points to is borrowed for the
 * duration of the handler call. The handler owns nothing of vg_http_resp;
 * the server frees the body and headers after sending.
 * Errors: 0 or a negative VG_E* code; vg_http_new also writes a one-line
 * reason (e.g. "127.0.0.1:8443: bind: Address already in use").
 * Thread-safety: handlers and pre-checks run on libmicrohttpd's threads
 * (opts.threads of them), concurrently with each other: whatever they share
 * must be thread-safe. vg_http_route* must not be called after vg_http_start.
 * A handler blocks its thread (and the other connections it serves) while it
 * runs, so it should not wait long. */
#ifndef VG_HTTP_H
#define VG_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/metrics.h"

#define VG_HTTP_DEFAULT_ADDR     "0.0.0.0:8443"
#define VG_HTTP_MAX_BODY         (16u << 20) /* default bytes in one request body */
#define VG_HTTP_MAX_CONNECTIONS  256         /* default connections open at once */
#define VG_HTTP_THREADS          2           /* default worker threads */
#define VG_HTTP_TIMEOUT_S        30          /* default idle seconds before a connection is closed */
#define VG_HTTP_MAX_ROUTES       64
#define VG_HTTP_MAX_RESP_HEADERS 8           /* extra headers in one response */
#define VG_HTTP_MAX_HEADER_VALUE 1024        /* bytes in one extra header value */
#define VG_HTTP_MAX_WHO          128         /* bytes of vg_http_req.who, with NUL */
#define VG_HTTP_MAX_URI          8192        /* bytes in a request target (longer: 414) */
#define VG_HTTP_TLS_PRIORITIES                                                                  \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:" \
	"+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

typedef struct vg_http vg_http;

typedef struct vg_http_req {
	const char *method;  /* "GET", "POST"... */
	const char *path;    /* percent-decoded, without the query */
	const char *query;   /* raw text after '?', or NULL */
	const char *peer;    /* "IP:PORT" or "[v6]:PORT" */
	const uint8_t *body; /* body_len bytes, NUL-terminated for convenience; NULL in pre-checks */
	size_t body_len;
	char who[VG_HTTP_MAX_WHO]; /* free for the pre-check to fill (e.g. the user), "" else */
	void *conn;                /* opaque */
} vg_http_req;

typedef struct vg_http_resp {
	int status;               /* 200 unless set */
	const char *content_type; /* static string; NULL: application/json */
	vg_buf body;
	size_t nheaders;          /* extra headers: use vg_http_resp_header */
	char *headers[VG_HTTP_MAX_RESP_HEADERS][2];
} vg_http_resp;

typedef void (*vg_http_handler)(void *ud, const vg_http_req *rq, vg_http_resp *rs);
/* Returns 0 to go on reading the body, 1 if it filled rs (the answer). */
typedef int (*vg_http_precheck)(void *ud, vg_http_req *rq, vg_http_resp *rs);

/* Zero fields take the defaults above. */
typedef struct vg_http_opts {
	const char *addr;      /* "IP:PORT" or "[v6]:PORT"; port 0: any free port (vg_http_port) */
	const char *cert_path; /* PEM certificate (chain) */
	const char *key_path;  /* PEM private key, refused if group/others may read it */
	size_t max_body;
	unsigned max_connections;
	unsigned threads;
	unsigned timeout_s;
	vg_metrics *metrics;   /* optional: vigil_http_requests_total{code="2xx".."5xx"} */
	void (*log)(void *ud, const char *msg); /* optional: libmicrohttpd's messages */
	void *log_ud;
} vg_http_opts;

typedef struct vg_http_route_def {
	const char *method;        /* required */
	const char *path;          /* required, starts with '/' (copied) */
	int prefix;                /* 1: matches every path starting with `path` */
	vg_http_handler handler;   /* required */
	vg_http_precheck precheck; /* optional */
	void *ud;
	size_t max_body;           /* 0: the server's */
} vg_http_route_def;

/* Binds the listening socket (so address errors show here) and loads the
 * key and certificate. NULL on failure with *err set (VG_EINVAL bad address
 * or options, VG_EIO bind/listen/file failures with errno, VG_ENOMEM) and a
 * reason in why. */
vg_http *vg_http_new(const vg_http_opts *o, int *err, char *why, size_t whylen);
/* Stops if running, closes the socket, wipes the key. NULL is a no-op. */
void vg_http_free(vg_http *srv);

VG_WUR int vg_http_route(vg_http *srv, const char *method, const char *path, vg_http_handler h,
			 void *ud);
VG_WUR int vg_http_route_prefix(vg_http *srv, const char *method, const char *path,
				vg_http_handler h, void *ud);
VG_WUR int vg_http_route_add(vg_http *srv, const vg_http_route_def *def);
/* GET /metrics: renders m (unauthenticated; counts only). */
VG_WUR int vg_http_route_metrics(vg_http *srv, vg_metrics *m);

/* Starts the worker threads. VG_EIO with a reason if libmicrohttpd refuses
 * (e.g. an unusable key). */
VG_WUR int vg_http_start(vg_http *srv, char *why, size_t whylen);
/* Stops accepting, waits for handlers running now, closes connections. */
void vg_http_stop(vg_http *srv);
/* The bound port (useful after port 0). */
unsigned vg_http_port(const vg_http *srv);

/* Request helpers: values are borrowed for the handler call; NULL if absent.
 * Header names are case-insensitive. */
const char *vg_http_header(const vg_http_req *rq, const char *name);
const char *vg_http_query_arg(const vg_http_req *rq, const char *name);

/* Response helpers. Adds a header (copied; VG_ELIMIT past
 * VG_HTTP_MAX_RESP_HEADERS, VG_EINVAL for CR/LF in the name or value). */
VG_WUR int vg_http_resp_header(vg_http_resp *rs, const char *name, const char *value);
/* Replaces the body with {"error":{"status":S,"code":"CODE","message":"..."}}
 * and sets status and Content-Type. Out of memory: an empty body. */
void vg_http_error(vg_http_resp *rs, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
