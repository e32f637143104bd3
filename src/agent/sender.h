/* sender.h — the agent's delivery half: takes committed records from the
 * durable queue and ships them to the server over mutual TLS in compressed,
 * sequence-numbered batches (net/agent_proto.h); a record leaves the queue
 * only when the server's ACK says it is durable there.
 *
 * Session: connect (with a deadline), TLS 1.3 with the agent's certificate
 * against the pinned CA, HELLO, WELCOME(acked): everything above acked is
 * (re)sent, in order, with up to VG_SENDER_WINDOW batches unacknowledged.
 * Any failure closes the connection and reconnects after a back-off that
 * doubles from backoff_min to backoff_max (with jitter) and resets once a
 * session delivered something.
 *
 * Also used for enrolment (vg_sender_enroll): a TLS connection without a
 * client certificate, then the exchange of net/enroll.h.
 *
 * Ownership: the queue is borrowed. Thread-safety: vg_sender_run runs on its
 * own thread as the queue's one consumer; *stop is read from any thread. */
#ifndef VG_SENDER_H
#define VG_SENDER_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/dqueue.h"

#define VG_SENDER_WINDOW 32          /* batches in flight (covers the server's 100 ms commit interval at full speed) */
#define VG_SENDER_CONNECT_MS 10000   /* TCP connect + TLS handshake + WELCOME */
#define VG_SENDER_IO_MS 30000        /* a stalled write or silent server */
#define VG_SENDER_ID_BUF 65          /* an agent id and its NUL */

typedef struct vg_sender_opts {
	const char *server;   /* HOST:PORT (a name or an address; [v6]:PORT) */
	const char *dir;      /* the agent's data directory: agent.{key,crt}, ca.crt */
	const char *hostname; /* sent in HELLO */
	size_t batch_events;  /* records per batch (0: 5000) */
	size_t batch_bytes;   /* payload bytes per batch (0: 1 MiB) */
	int64_t backoff_min_us, backoff_max_us; /* 0: 500 ms, 30 s */
} vg_sender_opts;

typedef struct vg_sender_stats {
	uint64_t connects, connect_failures, batches, records, acked_seq;
	int connected;
	char last_error[256];
} vg_sender_stats;

typedef struct vg_sender vg_sender;

/* NULL on ENOMEM or a bad option (*err). */
vg_sender *vg_sender_new(const vg_sender_opts *o, vg_dq *q, int *err);
void vg_sender_free(vg_sender *s);
/* Runs until *stop is set (checked at least every 100 ms). Returns 0. */
int vg_sender_run(vg_sender *s, volatile sig_atomic_t *stop);
/* A snapshot (any thread). */
void vg_sender_stats_get(vg_sender *s, vg_sender_stats *st);

/* Connects to server and enrols with token (net/enroll.h), installing
 * DIR/{agent.key,agent.crt,ca.crt}, reporting hostname (NULL: gethostname).
 * agent_id gets the id the server chose. 0 or a VG_E* code with a reason in
 * why. */
VG_WUR int vg_sender_enroll(const char *server, const char *dir, const char *token, const char *hostname,
			    char *agent_id, size_t idlen, char *why, size_t whylen);

/* Connects a TCP socket to HOST:PORT within timeout_ms (blocking fd
 * returned, CLOEXEC). host gets the host part (for TLS server names).
 * -1 with a reason in why. */
int vg_sender_connect(const char *server, int timeout_ms, char *host, size_t hostlen, char *why, size_t whylen);

#endif
