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
 * Durability: the archive is committed (vg_archive_sync) every
 * VG_INGEST_SYNC_EVENTS events and by vg_ingest_tick once VG_INGEST_SYNC_US has
 * passed since the oldest uncommitted event; alerts are written with write(2)
 * per message (O_APPEND), so they are never half-lines in the file. With a
 * state database attached (vg_ingest_set_db), every alert is also inserted
 * there, in a transaction committed with the archive (same cadence).
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
#include "store/db.h"

#define VG_INGEST_SYNC_EVENTS 1000
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
} vg_ingest_stats;

/* Opens DIR/archive (vg_archive_open) and DIR/alerts.ndjson (append, 0600).
 * NULL on failure with *err set (VG_EIO with errno, VG_ENOMEM). */
vg_ingest *vg_ingest_new(const char *dir, const vg_engine *e, int *err);
/* Commits the archive, closes the files, frees. Returns the commit's result.
 * NULL is a no-op (0). */
int vg_ingest_free(vg_ingest *g);

/* One message: msg[0..len) (a trailing CR/LF/NUL is dropped; at most
 * VG_MAX_LINE bytes are kept, the rest cut), src: "IP:PORT" of the sender
 * (NUL-terminated, NULL = ""), input: a static name such as "syslog-udp"
 * (its address must stay valid for the ingest's life). now_us: receive time
 * (wall clock, µs since the epoch). Returns 0, or VG_ENOMEM/VG_EIO when the
 * event could not be archived (it is counted and lost). */
VG_WUR int vg_ingest_message(vg_ingest *g, const char *msg, size_t len, const char *src, const char *input, int64_t now_us);

/* Call often (every loop round): commits the archive when its oldest
 * uncommitted event is VG_INGEST_SYNC_US old (monotonic mono_us). */
VG_WUR int vg_ingest_tick(vg_ingest *g, int64_t mono_us);
/* Commits now. 0 or VG_EIO/VG_ENOMEM (the uncommitted events are lost). */
VG_WUR int vg_ingest_sync(vg_ingest *g);

/* Switch to another compiled engine (rule reload): new matcher and
 * correlation state (open correlation windows are dropped). On failure the
 * old engine stays in use and the error is returned. */
VG_WUR int vg_ingest_set_engine(vg_ingest *g, const vg_engine *e);

/* Also store alerts in db (borrowed: it must outlive the ingest; NULL
 * detaches). The ingest opens a transaction at the first alert after a commit
 * and commits it in vg_ingest_sync (and so in vg_ingest_tick and
 * vg_ingest_free). */
void vg_ingest_set_db(vg_ingest *g, vg_db *db);

void vg_ingest_stats_get(const vg_ingest *g, vg_ingest_stats *st);

#endif
