/* tls.h — TLS 1.3 contexts for vigil's server and agents, and a small
 * connection wrapper over a socket fd (blocking or non-blocking).
 * Server contexts require (or, for enrolment/API endpoints, accept but do not
 * require) a client certificate chaining to vigil's CA and not revoked;
 * client contexts verify the server against the pinned CA and present the
 * agent's certificate. Session resumption is off, so every connection is
 * verified afresh (a revoked agent cannot resume an old session).
 *
 * Errors: 0 or a negative VG_E* code (VG_EIO for a failed handshake or a
 * broken connection); vg_tls_error() then says why, e.g. "TLS handshake
 * failed: certificate verify failed: certificate revoked". Messages carry no
 * key material. Step functions may return VG_TLS_WANT_READ/WANT_WRITE (> 0)
 * on a non-blocking fd: poll for that and call again with the same arguments.
 * Thread-safety: a vg_tls_ctx may be shared by threads once built; a
 * vg_tls_conn belongs to one thread at a time. Sockets are written with
 * MSG_NOSIGNAL, so a peer that resets does not raise SIGPIPE. */
#ifndef VG_TLS_H
#define VG_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "core/err.h"
#include "net/pki.h"

enum { VG_TLS_WANT_READ = 1, VG_TLS_WANT_WRITE = 2 };

enum vg_tls_client_auth {
	VG_TLS_CLIENT_REQUIRED = 0, /* agents: no valid certificate, no connection */
	VG_TLS_CLIENT_OPTIONAL = 1, /* enrolment/API: none is fine, an invalid one is refused */
};

#define VG_TLS_ERRLEN 256

typedef struct vg_tls_ctx vg_tls_ctx;
typedef struct vg_tls_conn vg_tls_conn;

typedef struct vg_tls_server_opts {
	const char *cert_path, *key_path; /* the server's certificate and key (PEM) */
	const char *ca_path;              /* client certificates must chain to this CA */
	int client_auth;                  /* enum vg_tls_client_auth */
	vg_pki_ca *revocation;            /* borrowed, must outlive the ctx; NULL: no check */
} vg_tls_server_opts;

typedef struct vg_tls_client_opts {
	const char *ca_path;              /* the pinned CA; NULL only with .enrolment */
	const char *cert_path, *key_path; /* client certificate and key; NULL: none */
	/* No verification at all during the handshake: only for enrolment, whose
	 * protocol authenticates the server by the token (see enroll.h). */
	bool enrolment;
} vg_tls_client_opts;

VG_WUR int vg_tls_server_new(const vg_tls_server_opts *o, vg_tls_ctx **out, char *why, size_t whylen);
/* Server context from the CA's directory: DIR/pki/server.{crt,key}, DIR/pki/ca.crt,
 * revocation checked against ca (borrowed; must outlive the ctx). */
VG_WUR int vg_tls_server_from_pki(vg_pki_ca *ca, int client_auth, vg_tls_ctx **out, char *why, size_t whylen);
VG_WUR int vg_tls_client_new(const vg_tls_client_opts *o, vg_tls_ctx **out, char *why, size_t whylen);
/* Client context from an enrolled agent's DIR: ca.crt, agent.crt, agent.key. */
VG_WUR int vg_tls_client_from_agent_dir(const char *dir, vg_tls_ctx **out, char *why, size_t whylen);
/* Frees the context; its connections must be freed first. NULL is a no-op. */
void vg_tls_ctx_free(vg_tls_ctx *ctx);

/* Wraps a connected socket (not owned: the caller closes it after
 * vg_tls_conn_free). server_name (client side, may be NULL) is sent as SNI
 * and the server certificate must cover it (DNS name or IP literal). */
VG_WUR int vg_tls_conn_new(vg_tls_ctx *ctx, int fd, const char *server_name, vg_tls_conn **out);
void vg_tls_conn_free(vg_tls_conn *c);

/* One step each: 0 when done, VG_TLS_WANT_READ/WRITE, or <0.
 * read: *got > 0 bytes, or *got == 0 for a clean close (close_notify).
 * write: *put > 0 bytes were taken (maybe fewer than len). len 0: VG_EINVAL.
 * In TLS 1.3 a client's handshake completes before the server has judged
 * its certificate: a refusal reaches the client at its first read (as
 * "tlsv13 alert certificate required", "sslv3 alert certificate revoked"...),
 * so a client should read before it trusts that it was let in. */
VG_WUR int vg_tls_handshake(vg_tls_conn *c);
VG_WUR int vg_tls_read(vg_tls_conn *c, void *buf, size_t len, size_t *got);
VG_WUR int vg_tls_write(vg_tls_conn *c, const void *buf, size_t len, size_t *put);

/* Whole operations with a deadline (timeout_ms < 0: none). They switch the fd
 * to non-blocking for their duration, so a stalled peer cannot hold them past
 * the deadline; a timeout is VG_EIO with "timed out" in vg_tls_error().
 * read_full fails with VG_EIO on a close before len bytes. */
VG_WUR int vg_tls_handshake_wait(vg_tls_conn *c, int timeout_ms);
VG_WUR int vg_tls_read_full(vg_tls_conn *c, void *buf, size_t len, int timeout_ms);
VG_WUR int vg_tls_write_all(vg_tls_conn *c, const void *buf, size_t len, int timeout_ms);

/* Sends close_notify if the connection is healthy (does not wait for the
 * peer's). The fd stays open. */
void vg_tls_shutdown(vg_tls_conn *c);

/* After a handshake: the CN of the peer's verified certificate (the agent id
 * on the server) or NULL if the peer sent none; and its serial in hex.
 * Borrowed, valid until vg_tls_conn_free. */
const char *vg_tls_peer_id(const vg_tls_conn *c);
const char *vg_tls_peer_serial(const vg_tls_conn *c);
/* The peer's leaf certificate, borrowed (NULL if none). */
X509 *vg_tls_peer_cert(const vg_tls_conn *c);
/* The server_name given to vg_tls_conn_new, or NULL. */
const char *vg_tls_server_name(const vg_tls_conn *c);
/* RFC 8446 7.5 exporter: len bytes bound to this session and label. */
VG_WUR int vg_tls_exporter(vg_tls_conn *c, const char *label, unsigned char *out, size_t len);
/* Why the last failing call failed; "" if none. Borrowed. */
const char *vg_tls_error(const vg_tls_conn *c);

#endif
