/* listen_syslog.h — the syslog input of `vigil server`: one UDP socket and
 * one TCP listening socket on the same ADDR:PORT, served by an epoll loop.
 *
 * UDP: one datagram is one message. TCP: each connection has its own
 * vg_syslog_framer (LF or RFC 6587 octet counting, chosen per stream), with
 * messages up to VG_MAX_LINE bytes; a framing error (oversized message, bad
 * octet count) closes that connection only. At most VG_SYSLOG_MAX_CONNS
 * connections are open: further ones are accepted and closed at once, and
 * counted. Every message goes to vg_ingest_message with the sender's
 * "IP:PORT" and the input name "syslog-udp" or "syslog-tcp".
 *
 * Ownership: the ingest is borrowed. Not thread-safe: one thread polls. */
#ifndef VG_LISTEN_SYSLOG_H
#define VG_LISTEN_SYSLOG_H
#include <stdint.h>

#include "core/err.h"
#include "server/ingest.h"

#define VG_SYSLOG_DEFAULT_LISTEN "0.0.0.0:5514"
#define VG_SYSLOG_MAX_CONNS 1024

typedef struct vg_syslog_listener vg_syslog_listener;

typedef struct vg_syslog_listener_stats {
	uint64_t udp_datagrams;
	uint64_t tcp_accepted;
	uint64_t tcp_refused;      /* accepted and closed: VG_SYSLOG_MAX_CONNS reached */
	uint64_t tcp_frame_errors; /* connections closed for a framing error */
	uint64_t tcp_open;         /* connections open now */
	uint64_t ingest_errors;    /* messages vg_ingest_message failed on */
} vg_syslog_listener_stats;

/* Parses addr ("IPv4:PORT" or "[IPv6]:PORT", numeric) and binds both
 * sockets. NULL on failure with *err: VG_EINVAL (bad address), VG_EIO (errno
 * set: bind/listen failed, e.g. EADDRINUSE), VG_ENOMEM. */
vg_syslog_listener *vg_syslog_listener_new(const char *addr, vg_ingest *g, int *err);
/* Closes every socket (open TCP connections deliver their unterminated
 * last LF-framed line first). NULL is a no-op. */
void vg_syslog_listener_free(vg_syslog_listener *l);

/* One round: wait up to timeout_ms for traffic, then serve what is ready
 * (bounded work per round). Returns 0 (also when a signal interrupted the
 * wait) or VG_EIO (epoll failed). */
VG_WUR int vg_syslog_listener_poll(vg_syslog_listener *l, int timeout_ms);

void vg_syslog_listener_stats_get(const vg_syslog_listener *l, vg_syslog_listener_stats *st);

#endif
