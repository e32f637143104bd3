/* archive.h — the event archive: every normalised event, appended to
 * zstd-compressed segment files under DIR/archive, with a time index,
 * retention by age and size, and a reader for export. Format: docs/archive.md.
 *
 * Writer (vg_archive_*): one process at a time holds DIR/archive/LOCK; a
 * second open fails with VG_EIO and errno EWOULDBLOCK. Not thread-safe: one
 * thread appends, syncs and retains.
 * Durability is transactional: vg_archive_sync() is the commit. When it
 * returns 0, every record appended before it is on stable storage and will be
 * read back exactly once. Records appended after the last successful sync are
 * not committed: a crash, a failed append or sync, or vg_archive_rollback()
 * discards all of them (never part of them), so a sender that resends an
 * unacknowledged batch never finds it counted twice. After VG_EIO (disk full,
 * I/O error) the archive stays usable: re-append the batch and sync again.
 * A segment is sealed (and its index written) at the first sync after it
 * passes segment_bytes; segments are read and deleted whole.
 * Metadata: vg_archive_sync_meta() commits an opaque blob (the server's
 * per-agent sequence map) in the same commit as the records, so after a crash
 * the meta and the records are both those of the last durable commit. The
 * archive keeps it across reopen, sealing and retention; readers never see it.
 *
 * Reader (vg_archive_scan): needs no lock and may run while a writer appends;
 * it sees committed records only. Reentrant. */
#ifndef VG_ARCHIVE_H
#define VG_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define VG_ARCHIVE_MAX_HOST 255          /* bytes in a record's host name */
#define VG_ARCHIVE_MAX_DOC (1024 * 1024) /* bytes in one document (= VG_MAX_RECORD) */
#define VG_ARCHIVE_MAX_SEG_HOSTS 65536   /* distinct hosts before a segment is sealed early */
#define VG_ARCHIVE_MAX_META (4 * 1024 * 1024) /* bytes of committed metadata */

typedef struct vg_archive vg_archive;

/* The level the server writes with: it compresses every event it receives,
 * so speed over ratio (zstd's negative "fast" levels; docs/archive.md). */
#define VG_ARCHIVE_SERVER_LEVEL (-1)

typedef struct vg_archive_opts {
	uint64_t segment_bytes; /* seal at the first sync past this size; 0 = 64 MiB */
	uint32_t block_bytes;   /* uncompressed bytes per block, 4 KiB..8 MiB; 0 = 1 MiB */
	int zstd_level;         /* 0 = 3; zstd's range (negative = faster) */
	int64_t max_age_us;     /* retention: delete segments whose newest event is older; 0 = keep */
	uint64_t max_bytes;     /* retention: delete oldest segments beyond this total; 0 = no cap */
	/* Retention per host (information-system security levels): the maximum age
	 * of host's events in microseconds, 0 to keep them forever, or negative for
	 * max_age_us. A segment is deleted by age only when every host in it has
	 * expired. NULL = max_age_us for every host. */
	int64_t (*max_age_for_host)(void *ud, const char *host);
	void *ud;
	int quiet; /* 1: recovery notes are only counted, not printed on stderr */
} vg_archive_opts;

typedef struct vg_archive_stats {
	uint64_t bytes;           /* segment and index files on disk */
	uint64_t segments;        /* including the one being written */
	uint64_t records;         /* committed records in the archive */
	uint64_t pending;         /* records appended since the last commit */
	uint64_t raw_bytes;       /* record bytes compressed by this handle */
	uint64_t stored_bytes;    /* block bytes written by this handle (headers included) */
	uint64_t blocks_written;  /* by this handle */
	uint64_t syncs;           /* successful commits by this handle */
	uint64_t recovered_bytes; /* torn or uncommitted tail bytes cut off at open */
	uint64_t index_errors;    /* segment indexes that could not be written (rebuilt at open) */
} vg_archive_stats;

/* Opens (creating DIR and DIR/archive, mode 0750, if missing) and recovers the
 * archive: the last segment's torn or uncommitted tail is cut off (noted once
 * on stderr), the meta of the last durable commit is loaded (vg_archive_meta)
 * and new records go to a new segment. o may be NULL (defaults).
 * NULL on failure with *err = VG_EIO (errno set), VG_EINVAL (bad option),
 * VG_ENOMEM. */
vg_archive *vg_archive_open(const char *dir, const vg_archive_opts *o, int *err);

/* Appends one record. host: NUL-terminated, at most VG_ARCHIVE_MAX_HOST
 * bytes (NULL = ""); doc[0..len): one JSON document on one line, copied.
 * VG_ELIMIT (too long), VG_EINVAL (empty doc or a newline in it) reject this
 * record only. VG_EIO/VG_ENOMEM: writing a full block failed and everything
 * since the last commit was rolled back. */
VG_WUR int vg_archive_append(vg_archive *a, int64_t ts_us, const char *host, const char *doc, size_t len);
/* Commit: writes the partial block, fsyncs the segment (and the directory when
 * a segment was created). 0 = durable. VG_EIO/VG_ENOMEM = rolled back. */
VG_WUR int vg_archive_sync(vg_archive *a);
/* Commit with metadata: as vg_archive_sync, and meta[0..len) becomes the
 * archive's committed metadata in the same commit (atomically: after a crash,
 * vg_archive_meta returns the meta of the last durable commit, never a newer
 * or torn one). An opaque blob, copied; len 0 stores an empty meta. A meta
 * equal to the current one costs a plain sync. VG_EINVAL (meta NULL) and
 * VG_ELIMIT (len > VG_ARCHIVE_MAX_META) reject the call and change nothing;
 * VG_EIO/VG_ENOMEM roll back as vg_archive_sync and keep the previous meta.
 * A plain vg_archive_sync keeps the current meta. */
VG_WUR int vg_archive_sync_meta(vg_archive *a, const void *meta, size_t len);
/* Copies the last committed meta (recovered at open, or set by the last
 * successful vg_archive_sync_meta) into buf[0..cap) and sets *len. 0;
 * VG_ENOTFOUND if none was ever committed; VG_ELIMIT with *len = the size
 * needed when cap is too small (buf untouched). */
VG_WUR int vg_archive_meta(const vg_archive *a, void *buf, size_t cap, size_t *len);
/* Discards every record appended since the last commit. VG_EIO if the tail
 * could not be cut off (the handle then refuses all writes; reopen). */
VG_WUR int vg_archive_rollback(vg_archive *a);
/* Deletes whole sealed segments past the age limits, then oldest first until
 * the archive fits max_bytes; never the segment holding the current meta
 * (sealed segments holding only superseded meta and no record go too). Returns the bytes freed (>= 0) or VG_EIO/VG_ENOMEM. */
VG_WUR int64_t vg_archive_retain(vg_archive *a, int64_t now_us);
void vg_archive_stats_get(const vg_archive *a, vg_archive_stats *st);
/* Commits pending records (as vg_archive_sync), seals the segment, frees a.
 * Returns the commit's result; a is freed in every case. NULL is a no-op. */
int vg_archive_close(vg_archive *a);

/* ---- reading ---- */

typedef struct vg_archive_rec {
	int64_t ts_us;
	const char *host; /* NUL-terminated */
	const char *doc;  /* not NUL-terminated; one line */
	size_t doc_len;
} vg_archive_rec; /* borrowed: valid during the callback only */

typedef struct vg_archive_filter {
	int64_t from_us, to_us; /* records with from_us <= ts < to_us ... */
	int has_from, has_to;   /* ... when set; otherwise that end is open */
	const char *host;       /* exact host match; NULL = any */
	/* Called for every block or segment that cannot be read (corrupt, I/O
	 * error); the scan goes on with the next one. May be NULL. */
	void (*on_error)(void *ud, const char *path, uint64_t offset, const char *reason);
} vg_archive_filter;

typedef struct vg_archive_scan_stats {
	uint64_t segments, segments_skipped; /* skipped whole through their index */
	uint64_t blocks, blocks_skipped;     /* skipped by their header's time range */
	uint64_t blocks_decompressed;
	uint64_t records, records_matched;   /* decoded; passed the filter */
	uint64_t errors;                     /* on_error calls */
	uint64_t bytes_read;
} vg_archive_scan_stats;

/* Calls cb for every committed record of DIR/archive that passes f (NULL =
 * all): segments in the order they were written, records in append order.
 * A non-zero return from cb stops the scan and is returned. Otherwise 0,
 * VG_ENOTFOUND (no DIR/archive), VG_EIO (directory unreadable), VG_ENOMEM.
 * st may be NULL. */
VG_WUR int vg_archive_scan(const char *dir, const vg_archive_filter *f, int (*cb)(void *ud, const vg_archive_rec *r),
			   void *ud, vg_archive_scan_stats *st);

#endif
