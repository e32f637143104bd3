/* sink_syslog.c — the syslog-over-TLS sink: RFC 5424 messages, octet-counted
 * per RFC 5425, on one kept-alive TLS connection verified against the
 * configured CA (and presenting a client certificate when configured). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/sender.h"
#include "core/buf.h"
#include "net/tls.h"
#include "share/format.h"
#include "share/sink.h"

typedef struct syslog_sink {
	vg_sink base;
	const vg_sink_conf *c;
	const vg_share_keys *k;
	vg_tls_ctx *ctx;
	vg_tls_conn *conn;
	int fd;
	vg_buf out;
} syslog_sink;

static void disconnect(syslog_sink *s)
{
	if (s->conn != NULL) {
		vg_tls_shutdown(s->conn);
		vg_tls_conn_free(s->conn);
		s->conn = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* 1 if the connection is still usable: nothing but TLS housekeeping (session
 * tickets) has arrived and the peer has not closed it. */
static int alive(syslog_sink *s, int wait_ms)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	if (poll(&p, 1, wait_ms) == 0)
		return 1;
	for (int i = 0; i < 16; i++) {
		char b[512];
		size_t got = 0;
		int r = vg_tls_read(s->conn, b, sizeof(b), &got);
		if (r == VG_TLS_WANT_READ || r == VG_TLS_WANT_WRITE)
			return 1;
		if (r < 0 || got == 0)
			return 0;
		/* a syslog receiver says nothing: ignore stray bytes */
	}
	return 1;
}

static int connect_peer(syslog_sink *s, vg_sink_result *res)
{
	char host[256];
	s->fd = vg_sender_connect(s->c->address, (int)s->c->timeout_ms, host, sizeof(host), res->why, sizeof(res->why));
	if (s->fd < 0) {
		res->retryable = 1;
		return VG_EIO;
	}
	const char *name = s->c->server_name[0] ? s->c->server_name : host;
	int r = vg_tls_conn_new(s->ctx, s->fd, name, &s->conn);
	if (r != 0) {
		snprintf(res->why, sizeof(res->why), "%s: %s", s->c->address, vg_err_str(r));
		disconnect(s);
		return r;
	}
	if ((r = vg_tls_handshake_wait(s->conn, (int)s->c->timeout_ms)) != 0) {
		const char *e = vg_tls_error(s->conn);
		snprintf(res->why, sizeof(res->why), "%s: %s", s->c->address, e);
		/* a certificate problem needs an operator; a reset or timeout does not */
		res->retryable = strstr(e, "certificate") == NULL && strstr(e, "verify") == NULL;
		disconnect(s);
		return VG_EIO;
	}
	/* TLS 1.3: a receiver refusing our certificate says so after our
	 * handshake completed; give it a moment to, before trusting the link */
	if (!alive(s, 200)) {
		snprintf(res->why, sizeof(res->why), "%s: refused after the handshake: %s", s->c->address,
			 vg_tls_error(s->conn)[0] ? vg_tls_error(s->conn) : "connection closed");
		res->retryable = strstr(res->why, "certificate") == NULL;
		disconnect(s);
		return VG_EIO;
	}
	return 0;
}

static int s_open(const vg_sink_conf *c, const vg_share_keys *k, vg_sink **out, vg_sink_result *res)
{
	syslog_sink *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return VG_ENOMEM;
	s->base.ops = &vg_sink_syslog_ops;
	s->c = c;
	s->k = k;
	s->fd = -1;
	vg_tls_client_opts o = {.ca_path = c->ca,
				.cert_path = c->cert[0] ? c->cert : NULL,
				.key_path = c->key[0] ? c->key : NULL};
	int r = vg_tls_client_new(&o, &s->ctx, res->why, sizeof(res->why));
	if (r != 0) {
		res->retryable = 0;
		free(s);
		return r;
	}
	*out = &s->base;
	return 0;
}

static int s_send(vg_sink *base, const vg_outbox_item *items, size_t n, vg_sink_result *res)
{
	syslog_sink *s = (syslog_sink *)base;
	int r;
	if (s->conn != NULL && !alive(s, 0))
		disconnect(s);
	if (s->conn == NULL && (r = connect_peer(s, res)) != 0)
		return r;
	s->out.len = 0;
	for (size_t i = 0; i < n; i++) {
		if ((r = vg_share_syslog_frame(&s->out, &items[i], s->c->format, s->c->hostname, s->k)) != 0) {
			snprintf(res->why, sizeof(res->why), "item %s: cannot format: %s", items[i].item_id, vg_err_str(r));
			res->retryable = 0;
			return r;
		}
	}
	if ((r = vg_tls_write_all(s->conn, s->out.data, s->out.len, (int)s->c->timeout_ms)) != 0) {
		snprintf(res->why, sizeof(res->why), "%s: %s", s->c->address, vg_tls_error(s->conn));
		res->retryable = 1;
		disconnect(s);
		return VG_EIO;
	}
	res->done = n;
	return 0;
}

static void s_close(vg_sink *base)
{
	syslog_sink *s = (syslog_sink *)base;
	disconnect(s);
	vg_tls_ctx_free(s->ctx);
	vg_buf_free(&s->out);
	free(s);
}

const vg_sink_ops vg_sink_syslog_ops = {.name = "syslog", .open = s_open, .send = s_send, .close = s_close};
