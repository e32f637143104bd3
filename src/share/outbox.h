/* outbox.h — the durable outbox of sharing (module "share" of DIR/vigil.db;
 * docs/sharing.md): destinations, their policies, and per destination the
 * items waiting to be sent, numbered 1, 2, 3... (seq) in the order they were
 * selected, each with a stable id ("alert-<id>", "incident-<id>-<version>",
 * "event-<agent>-<seq>", "heartbeat-<unix s>") so that a receiver can
 * de-duplicate.
 *
 * Durability: an item enters the outbox in one SQLite transaction with what
 * selected it (the alerts high-water mark; or the caller's own transaction
 * for vg_outbox_enqueue: incidents are written together with their outbox
 * items; the server's ingest writes its alerts, their items and the
 * selected raw events in its commit transaction), and leaves it only when vg_outbox_ack records a destination's
 * acknowledgement. After a crash nothing selected is lost and nothing is
 * selected twice. Bound: a destination holds at most max_items unsent items
 * (its config, default VG_OUTBOX_DEFAULT_MAX); beyond that new items are
 * refused, each still consuming its seq (the receiver sees the gap), counted
 * in the destination's "dropped" and reported on stderr and in the status.
 *
 * Payload: the item as stored and sent is one line of compact JSON
 *   {"v":1,"id":…,"seq":…,"kind":…,"origin":…,"created":…,"data":{…}}
 * with the policy's redaction already applied to data.
 *
 * Ownership: a vg_outbox borrows its vg_db and vg_share_keys (both must
 * outlive it). json_t results are new references; items from peek are the
 * caller's (vg_outbox_items_free).
 * Errors: 0 or a negative VG_E* code; VG_ENOTFOUND for an unknown
 * destination; VG_EINVAL for a bad name/config/policy (why says which
 * member); VG_EIO for SQLite errors (why holds its message).
 * Thread-safety: as the vg_db, one thread at a time. The server's ingest,
 * its API producers and the sender each use their own connection and
 * vg_outbox. */
#ifndef VG_SHARE_OUTBOX_H
#define VG_SHARE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "share/policy.h"
#include "share/sign.h"
#include "store/db.h"

#define VG_OUTBOX_MODULE "share"
#define VG_OUTBOX_DEFAULT_MAX 100000     /* unsent items per destination */
#define VG_OUTBOX_MAX_ITEMS_LIMIT 10000000
#define VG_OUTBOX_MAX_PAYLOAD (1 << 20)  /* bytes of one item's JSON; larger data is cut (see .c) */
#define VG_OUTBOX_MAX_DESTS 16           /* destinations */
#define VG_OUTBOX_NAME_MAX 64            /* bytes of a destination name [a-z0-9_-] */
#define VG_OUTBOX_ID_MAX 128             /* bytes of an item id */
#define VG_OUTBOX_ENQUEUE_BATCH 1000     /* alerts selected per vg_outbox_enqueue_alerts call (a short write lock) */

typedef struct vg_outbox vg_outbox;

typedef struct vg_outbox_opts {
	const char *origin; /* this installation's name in payloads (NULL: the host name) */
} vg_outbox_opts;

/* Migrates the module's tables and returns a handle; NULL with *err and why. */
vg_outbox *vg_outbox_open(vg_db *db, const vg_share_keys *keys, const vg_outbox_opts *o, int *err, char *why,
			  size_t whylen);
void vg_outbox_close(vg_outbox *ob);

/* Destinations. config is a sink configuration (sink.h, validated there);
 * policy a policy document (policy.h; NULL = default). A new destination
 * starts at the current alerts high-water mark: history is not replayed. */
VG_WUR int vg_outbox_dest_add(vg_outbox *ob, const char *name, const char *config, const char *policy, char *why,
			      size_t whylen);
/* Removes a destination and its unsent items. */
VG_WUR int vg_outbox_dest_remove(vg_outbox *ob, const char *name);
VG_WUR int vg_outbox_policy_set(vg_outbox *ob, const char *name, const char *policy, char *why, size_t whylen);
/* [{"name","config":{…},"policy":{…canonical…},"enabled"}] */
VG_WUR int vg_outbox_dests(vg_outbox *ob, json_t **out);
/* 1 if the name is a valid destination name, else 0. */
int vg_outbox_name_valid(const char *name);

/* What one enqueue call did. */
typedef struct vg_outbox_counts {
	uint64_t scanned;  /* source items looked at */
	uint64_t queued;   /* items written (sum over destinations) */
	uint64_t dropped;  /* items refused because a destination was full */
	uint64_t bad;      /* source items that could not be read (corrupt doc) */
	int64_t hwm;       /* alerts high-water mark after the call */
} vg_outbox_counts;

/* Selects up to VG_OUTBOX_ENQUEUE_BATCH alerts above the high-water mark,
 * applies each destination's policy and writes the selected ones, all in one
 * transaction with the new mark (joining the caller's vg_db_begin batch when
 * one is open, else its own). Call until c->scanned is 0. With no enabled
 * destination the mark jumps to the newest alert in one statement (no row
 * is read; c->scanned is 0). The server's ingest calls it inside the
 * transaction that inserts its alerts; the sharing thread calls it too, for
 * alerts stored by other paths. */
VG_WUR int vg_outbox_enqueue_alerts(vg_outbox *ob, int64_t now_us, vg_outbox_counts *c);
/* One item of `stream` (VG_SHARE_INCIDENTS, VG_SHARE_EVENTS, ...) for every
 * destination whose policy selects it; doc is borrowed (copied before
 * redaction). Joins the caller's open transaction (so an incident and its
 * outbox items commit together), else runs in its own. */
VG_WUR int vg_outbox_enqueue(vg_outbox *ob, unsigned stream, const char *kind, const char *item_id,
			     const vg_share_subject *s, const json_t *doc, int64_t now_us, vg_outbox_counts *c);
/* A heartbeat item for each destination that selects heartbeats and had
 * none for interval_us: its backlog, dropped count and the alerts mark. */
VG_WUR int vg_outbox_heartbeat(vg_outbox *ob, int64_t now_us, int64_t interval_us, vg_outbox_counts *c);

/* ---- the events stream (selected raw events) ----
 * A vg_outbox_evsel is the ingest's compiled view of the destinations whose
 * policy selects events: the hot path tests vg_outbox_evsel_active (a
 * flag) and, only when set, matches each event (vg_outbox_evsel_match:
 * policy filters and each destination's events.max_per_second over the
 * wall-clock second; events over it are counted as throttled, not queued),
 * buffers the selected ones (vg_outbox_evsel_add) and writes them at the
 * commit inside the caller's transaction (vg_outbox_evsel_flush). The
 * destinations are reloaded when the configuration version (share_state
 * "config_version", bumped by triggers on every change of a destination or a
 * policy, whatever the connection) moved: vg_outbox_evsel_refresh, one
 * SELECT, at each commit. Throttled counts reach share_dest.events_throttled
 * (status "events_throttled") at the next flush that commits; a stderr line
 * per destination says so at most once a minute.
 * Ownership: borrows ob (which must outlive it). Not thread-safe: the
 * ingest's thread. */
#define VG_OUTBOX_EVSEL_MAX_BYTES (64 << 20) /* buffered event bytes; more are refused (counted) */
#define VG_OUTBOX_THROTTLE_SAY_US 60000000LL /* stderr report period of throttled events */

typedef struct vg_outbox_evsel vg_outbox_evsel;

vg_outbox_evsel *vg_outbox_evsel_new(vg_outbox *ob); /* NULL: VG_ENOMEM */
void vg_outbox_evsel_free(vg_outbox_evsel *e);       /* NULL: no-op */
/* Reloads the destinations when the configuration version moved (or on
 * the first call). On failure the previous selection stays. */
VG_WUR int vg_outbox_evsel_refresh(vg_outbox_evsel *e);
/* 1 when some enabled destination selects events. */
int vg_outbox_evsel_active(const vg_outbox_evsel *e);
/* The destinations (bit i: the i-th loaded destination) that select an
 * event with these facts and are under their rate at now_us; counts the
 * throttled ones. */
uint32_t vg_outbox_evsel_match(vg_outbox_evsel *e, const vg_share_subject *s, int64_t now_us);
/* Buffers one selected event: id (the item id), host (the subject's host
 * as matched; NULL: from the document), doc (nested ECS JSON, len bytes,
 * copied), dests (vg_outbox_evsel_match). VG_ELIMIT past
 * VG_OUTBOX_EVSEL_MAX_BYTES (counted as throttled for every dest). */
VG_WUR int vg_outbox_evsel_add(vg_outbox_evsel *e, const char *id, const char *host, const char *doc, size_t len,
			       uint32_t dests, int64_t now_us);
/* Buffered events. */
size_t vg_outbox_evsel_pending(const vg_outbox_evsel *e);
/* 1 when a flush has something to write (events or throttled counts). */
int vg_outbox_evsel_dirty(const vg_outbox_evsel *e);
/* Writes the buffered events (kind "event") to the outbox of the
 * destinations that selected them (matched again against their current
 * policy; redaction as for alerts) and the throttled counts, inside the
 * caller's open transaction (else its own). The buffer is kept until
 * vg_outbox_evsel_done: commit (ok 1: forgets the events and the saved
 * counts) or rollback (ok 0: forgets the events; counts are saved again at
 * the next flush). When the flush ran its own transaction it applies
 * vg_outbox_evsel_done itself. */
VG_WUR int vg_outbox_evsel_flush(vg_outbox_evsel *e, int64_t now_us, vg_outbox_counts *c);
void vg_outbox_evsel_done(vg_outbox_evsel *e, int ok);

typedef struct vg_outbox_item {
	int64_t seq;
	int64_t created_us;
	char item_id[VG_OUTBOX_ID_MAX + 1];
	char kind[32];
	char *payload; /* NUL-terminated JSON line without '\n' */
	size_t len;
} vg_outbox_item;

/* The oldest unsent items of dest (seq order), at most max items and (after
 * the first) max_bytes of payload. *items is the caller's (NULL when *n is 0). */
VG_WUR int vg_outbox_peek(vg_outbox *ob, const char *dest, size_t max, size_t max_bytes, vg_outbox_item **items,
			  size_t *n);
void vg_outbox_items_free(vg_outbox_item *items, size_t n);
/* The destination acknowledged every item up to upto_seq (n of them):
 * deletes them, records the success and counts them as sent, in one
 * transaction. */
VG_WUR int vg_outbox_ack(vg_outbox *ob, const char *dest, int64_t upto_seq, size_t n, int64_t now_us);
/* Records a failed attempt (the message is kept for the status). */
VG_WUR int vg_outbox_fail(vg_outbox *ob, const char *dest, const char *error, int64_t now_us);

/* Per destination: name, sink, backlog, lag_s (age of the oldest unsent
 * item), last_seq, acked_seq, last_success, last_error, last_error_at,
 * failures (consecutive), sent_1h, sent_24h, dropped, gaps (seqs that will
 * never arrive: refused items), events_throttled (selected raw events over
 * events.max_per_second, not queued), max_items; plus the alerts mark:
 * {"alerts_hwm":…,"destinations":[…]}. */
VG_WUR int vg_outbox_status(vg_outbox *ob, int64_t now_us, json_t **out);

/* The last SQLite error (borrowed). */
const char *vg_outbox_errmsg(vg_outbox *ob);

#endif
