/* tail.h — the agent's file input: follows the files matched by glob patterns,
 * line by line, across rename rotation, copy-truncate and agent restarts.
 * How it works, guarantees and limits: docs/agent-inputs.md.
 *
 * Model. A file is identified by (st_dev, st_ino) plus a fingerprint (a hash
 * of its first up to VG_TAIL_FP_BYTES bytes), so a reused inode is not taken
 * for the old file. For each file the tail keeps one position: the byte after
 * the last line delivered (or skipped, for the rest of an over-long line).
 * vg_tail_poll() delivers complete lines past that position and moves it only
 * when the callback accepts a line, so vg_tail_checkpoint() always describes
 * exactly "everything up to the last line delivered". Committing that blob
 * with the records (vg_dq_sync meta) and handing it to vg_tail_restore() after
 * a crash resumes with no line skipped and none repeated.
 *
 * Ownership: the tail copies globs and paths; line and path passed to the
 * callback are borrowed, valid during the call. Errors: 0 or a negative VG_E*
 * code (core/err.h). Files that cannot be opened or read are reported once
 * through opts.log (stderr when NULL) and retried, never fatal. Not
 * thread-safe: one thread uses a tail at a time. */
#ifndef VG_TAIL_H
#define VG_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"

#define VG_TAIL_MAX_GLOBS 64        /* patterns per tail */
#define VG_TAIL_MAX_FILES 4096      /* hard bound on opts.max_files */
#define VG_TAIL_DEF_FILES 1024      /* default opts.max_files */
#define VG_TAIL_FP_BYTES 256        /* bytes of a file's head in its fingerprint */
#define VG_TAIL_READ_BYTES (64 * 1024) /* pread(2) size per file per round, past one whole line */
/* Largest checkpoint blob: leaves room in VG_DQ_MAX_META for other inputs. */
#define VG_TAIL_MAX_CHECKPOINT (60 * 1024)

typedef struct vg_tail vg_tail;

/* Zero fields take the defaults. Designated initialisers, please. */
typedef struct vg_tail_opts {
	int start_at_end;     /* files found by the first scan of a tail that was not
	                         restored start at their end (default: beginning).
	                         Files appearing later always start at 0. */
	unsigned max_files;   /* files followed at once, rotated ones included (1024) */
	int scan_interval_ms; /* glob re-evaluation period (1000); < 0: at every poll */
	int rotate_wait_ms;   /* a file no longer under any matched name is kept open
	                         this long after that was noticed, for late writes,
	                         then closed at its end (5000); deleted files and
	                         < 0: closed at their end */
	void (*log)(void *ud, const char *msg); /* optional: warnings (stderr if NULL) */
	void *log_ud;
} vg_tail_opts;

typedef struct vg_tail_stats {
	uint64_t files_open;      /* files currently followed */
	uint64_t lines;           /* lines delivered */
	uint64_t bytes;           /* bytes consumed (lines, newlines, skipped tails) */
	uint64_t rotations;       /* files that left their matched name (rename, delete) */
	uint64_t truncations;     /* files found truncated or rewritten: restarted at 0 */
	uint64_t truncated_lines; /* lines longer than VG_MAX_LINE, delivered cut */
	uint64_t lost_files;      /* restored files found nowhere: anything past their saved
	                             position was not read (often nothing: deleted when done) */
	uint64_t skipped_files;   /* matched files not followed: max_files reached */
	uint64_t errors;          /* open/read failures (reported once per file) */
} vg_tail_stats;

/* Called for each complete line, without its '\n' (a '\r' before it is kept).
 * line_no is the 1-based line number in the file, counted from where reading
 * began (the start, or its end under start_at_end) and from 1 again after a
 * truncation; it continues across restarts.
 * truncated: the line was longer than VG_MAX_LINE and is cut to it; the rest
 * is skipped. Return 0 to accept the line, non-zero to refuse it: the poll
 * stops and the line is delivered again by the next poll (back-pressure). */
typedef int (*vg_tail_line_fn)(void *ud, const char *path, uint64_t line_no, const char *line,
			       size_t len, int truncated);

/* Creates a tail over nglobs glob(3) patterns (1..VG_TAIL_MAX_GLOBS). Touches
 * no file: the first poll scans. opts may be NULL. NULL on failure with *err
 * set (VG_EINVAL bad arguments, VG_ENOMEM). */
vg_tail *vg_tail_new(const char *const *globs, size_t nglobs, const vg_tail_opts *opts, int *err);
/* Closes every file. NULL is a no-op. */
void vg_tail_free(vg_tail *t);

/* Loads positions from a blob made by vg_tail_checkpoint. Only parses and
 * validates (no file access); the next poll finds each file again: under its
 * name, or, if that name now holds another file (rotated while the agent was
 * down), in the same directory by (dev, ino) and fingerprint; it finishes it
 * from the saved position, then reads the new file from 0. Must come before
 * the first poll (else VG_EINVAL). VG_EPARSE: damaged or malformed blob
 * (nothing changed); VG_EUNSUPPORTED: a newer format; VG_ELIMIT: more files
 * than max_files; VG_ENOMEM. */
VG_WUR int vg_tail_restore(vg_tail *t, const void *blob, size_t len);

/* Re-evaluates the globs when due, then delivers up to max_lines (>= 1) lines
 * from all files, oldest rotated files first. Returns the number delivered
 * (0: nothing new), or VG_EINVAL, VG_ENOMEM. Per-file failures are reported
 * and counted, not returned. */
VG_WUR int vg_tail_poll(vg_tail *t, size_t max_lines, vg_tail_line_fn fn, void *ud);

/* Appends to out the positions of all files as of the last line delivered
 * (versioned, checksummed, at most VG_TAIL_MAX_CHECKPOINT bytes; VG_ELIMIT
 * beyond, with out unchanged). VG_ENOMEM. */
VG_WUR int vg_tail_checkpoint(const vg_tail *t, vg_buf *out);

void vg_tail_stats_get(const vg_tail *t, vg_tail_stats *st);

#endif
