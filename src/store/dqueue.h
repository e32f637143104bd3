/* dqueue.h — the agent's durable on-disk queue: events wait here, numbered,
 * until the server has acknowledged them, across crashes of either side.
 * Format, recovery rules and measurements: docs/dqueue.md.
 *
 * Model. vg_dq_push() appends a record to an in-memory batch and gives it the
 * next sequence number (1, 2, 3... strictly increasing, never reused once
 * committed, across restarts). vg_dq_sync() commits the batch: it is written
 * to the current segment file with a commit record, fdatasync'd, and durable
 * when sync returns 0. A commit may carry "meta", an opaque producer
 * checkpoint (e.g. tail offsets) stored atomically with the batch, so that
 * after a crash the producer resumes exactly where the committed records end
 * (vg_dq_meta). A crash, or vg_dq_close() before sync, loses the
 * uncommitted batch and nothing else: reopening yields exactly the
 * committed records, the last committed meta and next seq = last committed
 * seq + 1. The consumer reads committed records with vg_dq_peek() (keeping
 * its own in-flight cursor) and releases them with vg_dq_ack(), which
 * persists the acknowledged seq; records at or below it are never delivered
 * again and segments wholly at or below it are deleted.
 *
 * Producer protocol: push until VG_ELIMIT, then sync and push again; a
 * VG_ELIMIT on a push into an empty batch means the queue is at max_bytes
 * (policy VG_DQ_BLOCK): stop reading inputs until acks make room. VG_EIO
 * from push or sync (disk full, I/O error; errno kept): nothing committed
 * was harmed, the batch is kept, retry sync later.
 *
 * Errors: functions return 0 or a negative VG_E* code (core/err.h).
 * Thread-safety: one producer thread (push, sync, meta) and one consumer
 * thread (peek, ack) may use a queue concurrently; stats from either.
 * Nothing else may run concurrently with open or close. The directory is
 * locked (flock): a second open of it fails with VG_EIO, errno EWOULDBLOCK. */
#ifndef VG_DQUEUE_H
#define VG_DQUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/limits.h"

/* Largest payload of one record: a VG_MAX_RECORD event plus the agent's
 * envelope. Larger pushes fail with VG_EINVAL (a caller bug, not back-pressure). */
#define VG_DQ_MAX_PAYLOAD (VG_MAX_RECORD + 64 * 1024)
/* Largest producer checkpoint stored with a commit. */
#define VG_DQ_MAX_META (64 * 1024)
/* Bytes a record takes on disk besides its payload (see docs/dqueue.md). */
#define VG_DQ_RECORD_OVERHEAD 20
/* Bytes of a segment file's header. */
#define VG_DQ_SEGMENT_HEADER 16

typedef struct vg_dq vg_dq;

enum vg_dq_policy {
	VG_DQ_BLOCK = 0,       /* at max_bytes, push fails with VG_ELIMIT (back-pressure) */
	VG_DQ_DROP_OLDEST = 1, /* at max_bytes, delete the oldest segment, acked or not,
	                          counting its unacked records in stats.dropped */
};

/* Zero fields take the defaults. Designated initialisers, please. */
typedef struct vg_dq_opts {
	uint64_t segment_bytes; /* start a new segment file past this size (16 MiB) */
	uint64_t max_bytes;     /* bound on segment files + batch (1 GiB); >= 2 * segment_bytes */
	size_t batch_bytes;     /* bound on pushed-not-synced bytes held in memory (2 MiB);
	                           a single record larger than this is still accepted into
	                           an empty batch */
	int policy;             /* enum vg_dq_policy */
} vg_dq_opts;

typedef struct vg_dq_stats {
	uint64_t next_seq;        /* seq the next push will get */
	uint64_t committed_seq;   /* highest seq made durable by sync (0: none) */
	uint64_t acked_seq;       /* highest seq acknowledged (0: none) */
	uint64_t floor_seq;       /* seqs <= this are gone: max(acked, last dropped) */
	uint64_t pending_records; /* committed_seq - floor_seq */
	uint64_t batch_records;   /* pushed, not yet synced */
	uint64_t batch_bytes;
	uint64_t disk_bytes;      /* size of all segment files */
	uint64_t segments;        /* segment files */
	uint64_t dropped;         /* records deleted unacked by VG_DQ_DROP_OLDEST, over the
	                             queue's whole life (kept in the ledger) */
	uint64_t corrupt_records; /* committed seqs found unreadable when opening (bad checksum) */
	uint64_t corrupt_bytes;   /* bytes skipped over around them */
	uint64_t truncated_bytes; /* uncommitted tail bytes discarded when opening */
	int ledger_reset;         /* the ledger was unreadable at open and was rebuilt
	                             (acked records may be delivered again) */
} vg_dq_stats;

/* Record visitor for vg_dq_peek. payload is borrowed, valid during the call.
 * Return 0 to continue, > 0 to stop after this record, < 0 to stop before it
 * (peek then returns that value). */
typedef int (*vg_dq_visit_fn)(void *ctx, uint64_t seq, const void *payload, size_t len);

/* Opens (creating if needed, mode 0700) the queue directory dir, scans and
 * checksums every segment, truncates an uncommitted tail and recovers the next
 * seq. opts may be NULL. NULL on failure with *err set (VG_EINVAL bad options,
 * VG_EIO, VG_ENOMEM, VG_EUNSUPPORTED for a newer on-disk format). */
vg_dq *vg_dq_open(const char *dir, const vg_dq_opts *opts, int *err);
/* Closes the queue and releases the directory. The uncommitted batch is
 * discarded, exactly as in a crash. NULL is a no-op. */
void vg_dq_close(vg_dq *q);

/* Appends payload[0..len) to the batch (copied) and stores its seq in *seq
 * (may be NULL). VG_EINVAL: len > VG_DQ_MAX_PAYLOAD. VG_ELIMIT: no room in
 * the batch (sync, then retry) or the queue is at max_bytes under
 * VG_DQ_BLOCK (or under DROP_OLDEST with nothing left to drop). VG_EIO:
 * DROP_OLDEST could not record the drop. On error the record is not queued
 * and no seq is used. */
VG_WUR int vg_dq_push(vg_dq *q, const void *payload, size_t len, uint64_t *seq);
/* Commits the batch, with meta[0..meta_len) as the new producer checkpoint
 * when meta is not NULL (VG_EINVAL past VG_DQ_MAX_META). Durable on return 0.
 * With an empty batch and no meta it does nothing. VG_EIO: nothing of the
 * batch is committed; the batch and the files are as before; retry later. */
VG_WUR int vg_dq_sync(vg_dq *q, const void *meta, size_t meta_len);
/* Copies the last committed meta into buf and its length into *len.
 * VG_ENOTFOUND: no meta was ever committed (or it was lost to corruption).
 * VG_ELIMIT: cap is too small; *len says how much is needed. */
VG_WUR int vg_dq_meta(vg_dq *q, void *buf, size_t cap, size_t *len);

/* Calls fn for committed records with seq > after_seq (and > floor_seq), in
 * order, at most max_records of them and, past the first, at most max_bytes
 * of payload (0: no bound). Reading on from the last seq delivered resumes
 * in place; any other after_seq rescans one segment. VG_EIO on read errors,
 * VG_ENOMEM. */
VG_WUR int vg_dq_peek(vg_dq *q, uint64_t after_seq, size_t max_records, size_t max_bytes,
		      vg_dq_visit_fn fn, void *ctx);
/* Acknowledges every record up to seq: persisted (fdatasync) before return,
 * then segments wholly <= seq are deleted, except the newest. An ack at or
 * below acked_seq is a no-op. VG_EINVAL: seq > committed_seq. VG_EIO: the
 * ledger could not be written; nothing changed. */
VG_WUR int vg_dq_ack(vg_dq *q, uint64_t seq);

void vg_dq_stats_get(vg_dq *q, vg_dq_stats *st);

#endif
