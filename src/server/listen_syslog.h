/* listen_syslog.h — the syslog input of `vigil server`: one UDP socket and
 * one TCP listening socket on the same ADDR:PORT, and optionally a TLS
 * listening socket (RFC 5425) on another, served by one epoll loop.
 *
 * UDP: one datagram is one message. TCP: each connection has its own
 * vg_syslog_framer (LF or RFC 6587 octet counting, chosen per stream), with
 * messages up to VG_MAX_LINE bytes; a framing error (oversized message, bad
 * octet count) closes that connection only. At most VG_SYSLOG_MAX_CONNS
 * connections are open: further ones are accepted and closed at once, and
 * counted. Every message goes to vg_ingest_message with the sender's
 * "IP:PORT" and the input name "syslog-udp", "syslog-tcp" or "syslog-tls".
 *
 * TLS: the handshake is driven by epoll events (non-blocking), bounded by
 * VG_SYSLOG_TLS_HANDSHAKE_MS; a failed or late handshake closes that
 * connection only and is counted. Decrypted bytes go to the same framer as
 * TCP (RFC 5425 octet counting; LF framing is accepted too). TLS and TCP
 * connections share the VG_SYSLOG_MAX_CONNS limit.
 *
 * Ownership: the ingest is borrowed. Not thread-safe: one thread polls. */
#ifndef VG_LISTEN_SYSLOG_H
#define VG_LISTEN_SYSLOG_H
#include <stdint.h>

#include "core/err.h"
#include "net/tls.h"
#include "server/ingest.h"

#define VG_SYSLOG_DEFAULT_LISTEN "0.0.0.0:5514"
#define VG_SYSLOG_MAX_CONNS 1024
#define VG_SYSLOG_TLS_HANDSHAKE_MS 10000 /* a TLS handshake must end within this */

typedef struct vg_syslog_listener vg_syslog_listener;

typedef struct vg_syslog_listener_stats {
	uint64_t udp_datagrams;
	uint64_t tcp_accepted;
	uint64_t tcp_refused;      /* accepted and closed: VG_SYSLOG_MAX_CONNS reached */
	uint64_t tcp_frame_errors; /* connections closed for a framing error */
	uint64_t tcp_open;         /* connections open now (TCP and TLS) */
	uint64_t tls_accepted;
	uint64_t tls_handshakes;         /* completed */
	uint64_t tls_handshake_failures; /* failed or timed out (connection closed) */
	uint64_t tls_handshake_timeouts; /* of which timed out */
	uint64_t tls_errors;             /* connections closed for a TLS error after the handshake */
	uint64_t ingest_errors;    /* messages vg_ingest_message failed on */
} vg_syslog_listener_stats;

/* Parses addr ("IPv4:PORT" or "[IPv6]:PORT", numeric) and binds both
 * sockets. NULL on failure with *err: VG_EINVAL (bad address), VG_EIO (errno
 * set: bind/listen failed, e.g. EADDRINUSE), VG_ENOMEM. */
vg_syslog_listener *vg_syslog_listener_new(const char *addr, vg_ingest *g, int *err);
/* Adds the TLS input: binds a TCP listening socket on addr (same syntax)
 * whose connections are served through ctx (a server context; borrowed, it
 * must outlive l). Once per listener. 0, VG_EINVAL (bad address, or already
 * added), VG_EIO (errno set: bind/listen failed). */
VG_WUR int vg_syslog_listener_add_tls(vg_syslog_listener *l, const char *addr, vg_tls_ctx *ctx);
/* Closes every socket (open TCP connections deliver their unterminated
 * last LF-framed line first). NULL is a no-op. */
void vg_syslog_listener_free(vg_syslog_listener *l);

/* An fd readable when vg_syslog_listener_poll has work (its epoll fd: add
 * it to an outer poll set and call poll with timeout 0 when it is ready). */
int vg_syslog_listener_fd(const vg_syslog_listener *l);

/* One round: wait up to timeout_ms for traffic, then serve what is ready
 * (bounded work per round). Returns 0 (also when a signal interrupted the
 * wait) or VG_EIO (epoll failed). */
VG_WUR int vg_syslog_listener_poll(vg_syslog_listener *l, int timeout_ms);

/* The last failed TLS handshake as "PEER: reason" (e.g. "127.0.0.1:4711: TLS
 * handshake failed: unsupported protocol"), "" if none. Borrowed, valid until
 * the next vg_syslog_listener_poll. */
const char *vg_syslog_listener_tls_failure(const vg_syslog_listener *l);

void vg_syslog_listener_stats_get(const vg_syslog_listener *l, vg_syslog_listener_stats *st);

#endif
