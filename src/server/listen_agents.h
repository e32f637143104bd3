/* listen_agents.h — the agent input of `vigil server` (--listen-agents,
 * default 0.0.0.0:5515): mutual TLS 1.3, the protocol of net/agent_proto.h,
 * served by one epoll loop; and enrolment on the same port.
 *
 * A peer that completes the handshake with a valid, unrevoked certificate of
 * our CA is an agent: its first frame must be HELLO (within
 * VG_AGENT_HELLO_MS), answered with WELCOME carrying the highest seq of that
 * agent held durably; then it sends BATCHes. Every record above the seq the
 * ingest already holds goes to vg_ingest_record (input "agent", the agent id
 * from the certificate, the host name from HELLO); the rest are duplicates
 * and skipped. ACK(seq) is sent once the ingest has committed the records up
 * to seq (vg_ingest_agent_committed), never before. If a commit fails
 * (vg_ingest_generation changes) every connection with records ingested but
 * not committed is closed, so its agent reconnects and resends them. A second
 * connection of the same agent replaces the first.
 * A peer without a certificate may only enrol (enroll.h): that exchange runs
 * on a worker thread (at most VG_AGENT_MAX_ENROLLING at once), so it never
 * stalls the loop. A peer with an invalid or revoked certificate fails the
 * handshake. Protocol errors, oversized frames and timeouts close that
 * connection only (with an ERROR frame when the session is up).
 *
 * Ownership: ingest, TLS context and CA are borrowed and must outlive the
 * listener. Thread-safety: one thread polls; the caller serialises the
 * ingest with its other users by holding its lock around vg_agent_listener_poll
 * (the enrolment threads do not touch the ingest). */
#ifndef VG_LISTEN_AGENTS_H
#define VG_LISTEN_AGENTS_H
#include <stdint.h>

#include "core/err.h"
#include "net/pki.h"
#include "net/tls.h"
#include "server/ingest.h"

#define VG_AGENT_DEFAULT_LISTEN "0.0.0.0:5515"
#define VG_AGENT_MAX_CONNS 4096
#define VG_AGENT_HANDSHAKE_MS 10000
#define VG_AGENT_HELLO_MS 10000
#define VG_AGENT_MAX_ENROLLING 4

typedef struct vg_agent_listener vg_agent_listener;

typedef struct vg_agent_listener_stats {
	uint64_t accepted, refused;      /* refused: over the connection limit */
	uint64_t open;                   /* connections open now */
	uint64_t agents_connected;       /* sessions past HELLO now */
	uint64_t handshake_failures;     /* failed or timed out (bad, revoked or no certificate...) */
	uint64_t protocol_errors;        /* connections closed for a bad frame or a timeout */
	uint64_t batches, records, duplicates, acks;
	uint64_t resets;                 /* connections closed because a commit failed */
	uint64_t lost;                   /* sessions closed after VG_AGENT_SILENT_US of silence */
	uint64_t enrolled, enroll_failures;
	uint64_t ingest_errors;
} vg_agent_listener_stats;

/* Binds addr ("IPv4:PORT" or "[IPv6]:PORT"). tls: a server context made with
 * VG_TLS_CLIENT_OPTIONAL (peers without a certificate may enrol) — with
 * VG_TLS_CLIENT_REQUIRED enrolment is impossible on this port. ca: signs
 * enrolled agents' keys (NULL: enrolment refused). NULL on failure with *err:
 * VG_EINVAL (bad address), VG_EIO (errno set), VG_ENOMEM. */
vg_agent_listener *vg_agent_listener_new(const char *addr, vg_ingest *g, vg_tls_ctx *tls, vg_pki_ca *ca,
					 int *err);
/* Limits: connections open at once (0: VG_AGENT_MAX_CONNS; more are
 * accepted and closed), and how long a session may stay silent (no frame;
 * agents send a heartbeat every minute by default) before it is reported
 * lost and closed (0: VG_AGENT_SILENT_US). */
#define VG_AGENT_SILENT_US (300LL * 1000000)
void vg_agent_listener_set_limits(vg_agent_listener *l, size_t max_conns, int64_t silent_us);
/* Closes every connection (waits for running enrolments). NULL is a no-op. */
void vg_agent_listener_free(vg_agent_listener *l);

/* An fd that is readable when vg_agent_listener_poll has work (an epoll fd;
 * add it to an outer poll set). */
int vg_agent_listener_fd(const vg_agent_listener *l);
/* One round: wait up to timeout_ms, serve what is ready (bounded work per
 * connection), then send the ACKs that commits made due and close what a
 * failed commit invalidated. Call after every vg_ingest_sync/tick too (with
 * timeout 0) so ACKs leave promptly. 0, or VG_EIO (epoll failed). */
VG_WUR int vg_agent_listener_poll(vg_agent_listener *l, int timeout_ms);

void vg_agent_listener_stats_get(const vg_agent_listener *l, vg_agent_listener_stats *st);
/* The last refused peer as "PEER: reason", "" if none (borrowed). */
const char *vg_agent_listener_last_failure(const vg_agent_listener *l);

#endif
