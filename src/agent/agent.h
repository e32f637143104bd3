/* agent.h — `vigil agent`: reads the host's logs (tailed files, the systemd
 * journal) and its own status heartbeat into the durable queue, and runs the
 * sender that ships the queue to the server (agent/sender.h).
 *
 * Exactly-once, end to end: each input line becomes one queued record; the
 * inputs' read positions are committed with the records that contain them
 * (vg_dq_sync meta), so after a crash the agent resumes right after the last
 * committed line; the server acknowledges only what it holds durably and
 * skips seqs it already has.
 * Back-pressure: when the queue reaches queue_max_bytes, policy "block" stops
 * reading inputs (they wait on disk, in the log files) until acknowledgements
 * free room; "drop_oldest" deletes the oldest queued segment and counts its
 * records as dropped (stats and heartbeat).
 *
 * Thread-safety: vg_agent_run blocks the calling thread (it starts one sender
 * thread) until *stop is set; then it commits what it read and returns. */
#ifndef VG_AGENT_H
#define VG_AGENT_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct vg_agent_opts {
	const char *server;         /* HOST:PORT of the server's agent port */
	const char *dir;            /* data directory: certificate, queue (DIR/queue) */
	const char *hostname;       /* NULL/"": gethostname() */
	const char *const *tail;    /* glob patterns */
	size_t ntail;
	int journal;                /* read the systemd journal */
	const char *journal_dir;    /* NULL/"": the local system journal */
	int64_t heartbeat_us;       /* 0: 60 s; < 0: none */
	uint64_t queue_max_bytes;   /* 0: 1 GiB */
	uint64_t queue_segment_bytes; /* 0: 16 MiB */
	int queue_policy;           /* enum vg_dq_policy */
	size_t batch_events, batch_bytes;
	int64_t backoff_min_us, backoff_max_us;
	int start_at_end;           /* files found at the first start begin at their end */
} vg_agent_opts;

/* Runs until *stop. 0 on a clean stop, or a VG_E* code when it cannot start
 * (a message on stderr names the cause: no certificate, queue locked...). */
VG_WUR int vg_agent_run(const vg_agent_opts *o, volatile sig_atomic_t *stop);

#endif
