/* ingest.h — the server's ingest pipeline: one received message in, one
 * normalised event out, matched against the Sigma rules and correlations,
 * appended to the event archive, alerts appended to DIR/alerts.ndjson.
 *
 * Each message is parsed on its own (the syslog parser first, then format
 * detection as vg_parse_record does; unparsable text is kept as a raw event).
 * The event gets two fields: log.source.address (the sender, "IP:PORT") and
 * vigil.input (the input's name, e.g. "syslog-tcp"); log.file.path is the
 * input name and log.file.line a per-process message sequence number. An event
 * without a timestamp takes the receive time. The archive host is the
 * event's host.name, else host.hostname, else the sender's IP.
 *
 * Durability: a commit (vg_ingest_sync) happens every VG_INGEST_SYNC_EVENTS
 * events and from vg_ingest_tick once VG_INGEST_SYNC_US has passed since the
 * oldest uncommitted event. A commit is, in order: (1) the state database
 * transaction (alerts; with vg_ingest_set_outbox their sharing outbox items
 * and the selected raw events; and each agent's highest seq whose alerts
 * and shared events are stored);
 * (2) the alert lines appended to alerts.ndjson (one write(2), O_APPEND);
 * (3) the archive commit carrying each agent's highest archived seq as its
 * metadata. So after a crash an agent resends from the archive's seq (its
 * events are archived exactly once) and the alerts of records at or below
 * the database's seq are not raised twice. A failure in (1) or (3) rolls
 * the uncommitted events back and bumps vg_ingest_generation.
 *
 * Ownership: the engine is borrowed and must outlive the ingest (or the next
 * vg_ingest_set_engine). Not thread-safe: one thread feeds one ingest. No
 * allocation per message on the path (buffers and the event are reused; the
 * database insert reuses a prepared statement, SQLite's page cache aside). */
#ifndef VG_INGEST_H
#define VG_INGEST_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "detect/engine.h"
#include "server/activity.h"
#include "store/archive.h"
#include "store/db.h"

#define VG_INGEST_SYNC_EVENTS 50000
struct vg_outbox;
#define VG_INGEST_SYNC_US 100000 /* 100 ms */

typedef struct vg_ingest vg_ingest;

typedef struct vg_ingest_stats {
	uint64_t messages;       /* events ingested */
	uint64_t unparsed;       /* kept as raw events */
	uint64_t alerts;         /* rule alerts written */
	uint64_t corr_alerts;    /* correlation alerts written */
	uint64_t archive_errors; /* events the archive refused or lost (rolled back) */
	uint64_t alert_errors;   /* alert lines that could not be built or written */
	uint64_t db_errors;      /* alerts the state database refused or lost (rolled back) */
	uint64_t duplicates;     /* agent records skipped: their seq was already held */
	uint64_t alerts_replayed; /* alerts not raised again: resent records whose alerts are stored */
	uint64_t corr_kept;      /* correlations whose state survived engine switches */
	uint64_t rollbacks;      /* failed commits or appends (vg_ingest_generation) */
	int last_errno;          /* errno of the last rollback's failure (0: none/unknown) */
	uint64_t shared;         /* sharing outbox items written by the ingest's commits (alerts and events) */
	uint64_t share_errors;   /* events that could not be offered to sharing (counted, not fatal) */
} vg_ingest_stats;

/* Opens DIR/archive (vg_archive_open) and DIR/alerts.ndjson (append, 0600),
 * and recovers the agents' sequence map from the archive's commit metadata.
 * NULL on failure with *err set (VG_EIO with errno, VG_ENOMEM, VG_EPARSE for
 * unreadable metadata). */
vg_ingest *vg_ingest_new(const char *dir, const vg_engine *e, const struct vg_archive_opts *ao, int *err);
/* Commits the archive, closes the files, frees. Returns the commit's result.
 * NULL is a no-op (0). */
int vg_ingest_free(vg_ingest *g);

/* Where a message came from. */
typedef struct vg_ingest_src {
	const char *input;      /* static name such as "syslog-udp", "agent", "http" */
	const char *peer;       /* "IP:PORT" of the sender; NULL = "" */
	const char *path;       /* log.file.path (path_len bytes, copied); NULL = input */
	size_t path_len;
	uint64_t line;          /* log.file.line; 0 = the ingest's own message counter */
	const char *agent_id;   /* the sending agent (its certificate's id); NULL: not an agent */
	const char *agent_host; /* the agent's host name: host.name of events that have none */
	uint64_t seq;           /* the agent's record sequence number (with agent_id; >= 1) */
	int64_t ts_us;          /* time the sender stated (0 = none): used when the record has none */
} vg_ingest_src;

/* One message: msg[0..len) (a trailing CR/LF/NUL is dropped; at most
 * VG_MAX_LINE bytes are kept, the rest cut). now_us: receive time (wall
 * clock, µs since the epoch). Returns 0, VG_INGEST_DUPLICATE (> 0) for an
 * agent record whose seq the ingest already holds (skipped), or VG_ENOMEM /
 * VG_EIO when the event could not be archived: then everything since the
 * last commit was rolled back (vg_ingest_generation changes). */
#define VG_INGEST_DUPLICATE 1
VG_WUR int vg_ingest_record(vg_ingest *g, const char *msg, size_t len, const vg_ingest_src *s, int64_t now_us);
/* vg_ingest_record for inputs without agent data. */
VG_WUR int vg_ingest_message(vg_ingest *g, const char *msg, size_t len, const char *src, const char *input, int64_t now_us);

/* An agent's sequence numbers: the highest seq durably archived (what may be
 * acknowledged) and the highest seq ingested (committed or not). 0 = none. */
uint64_t vg_ingest_agent_committed(const vg_ingest *g, const char *agent_id);
uint64_t vg_ingest_agent_pending(const vg_ingest *g, const char *agent_id);
/* Counts rollbacks (failed commits or appends): when it changes, records
 * ingested since the last commit are gone and their senders must resend. */
uint64_t vg_ingest_generation(const vg_ingest *g);

/* Call often (every loop round): commits the archive when its oldest
 * uncommitted event is VG_INGEST_SYNC_US old (monotonic mono_us). */
VG_WUR int vg_ingest_tick(vg_ingest *g, int64_t mono_us);
/* Commits now. 0 or VG_EIO/VG_ENOMEM (the uncommitted events are lost). */
VG_WUR int vg_ingest_sync(vg_ingest *g);

/* Switch to another compiled engine (rule reload): new matcher; the
 * correlation state of every correlation rule unchanged in e (same rule and
 * same referenced rules, by content) is carried over, the rest starts empty.
 * Call between messages: nothing ingested is lost. On failure the old engine
 * stays in use and the error is returned. */
VG_WUR int vg_ingest_set_engine(vg_ingest *g, const vg_engine *e);

/* Correlation lateness allowance in event time (vg_corr_set_lateness):
 * applied now and to every engine switched to later. The default is
 * VG_INGEST_LATENESS_US; < 0: none (a jump back in time restarts windows). */
#define VG_INGEST_LATENESS_US (300LL * 1000000) /* 5 minutes */
void vg_ingest_set_lateness(vg_ingest *g, int64_t us);
/* Commit cadence: at events pending, or us after the oldest uncommitted
 * event (defaults VG_INGEST_SYNC_EVENTS, VG_INGEST_SYNC_US; 0 keeps one). */
void vg_ingest_set_commit(vg_ingest *g, uint64_t events, int64_t us);

/* Also store alerts in db (borrowed: it must outlive the ingest; NULL
 * detaches). The ingest opens a transaction at the first alert after a commit
 * and commits it in vg_ingest_sync (and so in vg_ingest_tick and
 * vg_ingest_free). */
void vg_ingest_set_db(vg_ingest *g, vg_db *db);

/* Sharing (docs/sharing.md): ob is an outbox on the same vg_db as
 * vg_ingest_set_db (borrowed; it must outlive the ingest; NULL detaches).
 * Then each commit's database transaction also selects the new alerts into
 * the outbox (vg_outbox_enqueue_alerts) and writes the raw events that some
 * destination's policy selects (the events stream: vg_outbox_evsel), with
 * the agents' alerted seqs: a resent agent record is neither alerted nor
 * shared twice, and a failure rolls the whole transaction back. An event's
 * item id is "event-<agent_id>-<seq>" for agent records, else
 * "event-<start µs hex>-<n>" (start: this ingest's creation, wall clock).
 * When no destination selects events the per-event cost is a flag test;
 * the selection is reloaded when the sharing configuration version moves
 * (checked before the first event after each commit). Returns 0 or the
 * error of the first load (sharing of events then waits for a reload). */
VG_WUR int vg_ingest_set_outbox(vg_ingest *g, struct vg_outbox *ob);

/* Applies the archive's retention (vg_archive_retain): bytes freed or a VG_E* code. */
int64_t vg_ingest_retain(vg_ingest *g, int64_t now_us);
/* The archive's figures (bytes on disk, records...). */
void vg_ingest_archive_stats(const vg_ingest *g, struct vg_archive_stats *st);

/* Per input name ("syslog-udp", "agent"...): messages received, of which
 * unparsed (kept as raw events), and failed (the archive refused the record
 * itself; events rolled back by a failed commit are only in
 * vg_ingest_stats.archive_errors). Calls fn for each input seen. */
typedef void (*vg_ingest_input_fn)(void *ud, const char *input, uint64_t messages, uint64_t unparsed, uint64_t failed);
void vg_ingest_inputs(const vg_ingest *g, vg_ingest_input_fn fn, void *ud);

/* Calls fn for every source seen since the last drain (activity.h), then
 * forgets them; returns how many sources were dropped for lack of room. */
uint64_t vg_ingest_activity_drain(vg_ingest *g, vg_activity_fn fn, void *ud);

void vg_ingest_stats_get(const vg_ingest *g, vg_ingest_stats *st);

#endif
