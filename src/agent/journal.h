/* journal.h — the agent's systemd-journal input: reads entries with
 * libsystemd and delivers each as one RFC 5424 syslog line, with its cursor
 * as the checkpoint. How it works, guarantees and limits: docs/agent-inputs.md.
 *
 * Line format: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID - - MESSAGE" with
 * PRI = SYSLOG_FACILITY * 8 + PRIORITY (defaults 1 and 6: user.info),
 * TIMESTAMP the entry's realtime clock in UTC with microseconds
 * ("2023-11-14T22:13:20.123456Z"), HOSTNAME _HOSTNAME, APP-NAME
 * SYSLOG_IDENTIFIER or else _COMM, PROCID _PID or else SYSLOG_PID; "-" for
 * what is missing. Header fields are cut to RFC 5424's lengths (255, 48, 128)
 * with bytes outside '!'..'~' replaced by '_'; in MESSAGE, control bytes
 * (newlines included) become spaces; the line is cut to VG_MAX_LINE (and
 * flagged truncated). No MESSAGE: the line ends after "- -".
 *
 * Checkpoint: the cursor of the last entry delivered. Opening with it resumes
 * at the next entry: none skipped, none repeated (an entry vacuumed from the
 * journal meanwhile is gone; reading resumes at the oldest entry after it).
 *
 * Ownership: the reader copies opts strings; line and cursor passed to the
 * callback are borrowed, valid during the call. Errors: 0 or a negative VG_E*
 * code (core/err.h). Not thread-safe, and not usable across fork(): one
 * thread of one process uses a reader. */
#ifndef VG_JOURNAL_H
#define VG_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"

#define VG_JOURNAL_MAX_CURSOR 1024 /* bytes in a cursor (real ones are ~150) */

typedef struct vg_journal vg_journal;

/* Zero fields take the defaults. Designated initialisers, please. */
typedef struct vg_journal_opts {
	const char *dir;    /* a directory of journal files; NULL: the local system journal */
	const char *cursor; /* resume after this entry (a vg_journal_checkpoint); NULL: start */
	int start_at_end;   /* without a cursor: only entries added after the open
	                       (default: from the oldest entry) */
} vg_journal_opts;

typedef struct vg_journal_stats {
	uint64_t entries;   /* entries delivered */
	uint64_t bytes;     /* bytes of lines delivered */
	uint64_t truncated; /* lines cut to VG_MAX_LINE */
} vg_journal_stats;

/* Called for each entry with its syslog line (no '\n') and cursor. Return 0 to
 * accept it, non-zero to refuse it: the poll stops and the same entry is
 * delivered again by the next poll (back-pressure). */
typedef int (*vg_journal_line_fn)(void *ud, const char *line, size_t len, const char *cursor,
				  int truncated);

/* Opens the journal and positions it after opts->cursor. NULL on failure
 * with *err set and a reason in why (may be NULL): VG_ENOTFOUND no journal
 * files (the directory does not exist or holds none; for the system journal,
 * e.g. in a container without journald); VG_EPARSE a malformed cursor;
 * VG_EIO other libsystemd failures (errno set); VG_ENOMEM. */
vg_journal *vg_journal_open(const vg_journal_opts *opts, int *err, char *why, size_t whylen);
/* Closes the journal. NULL is a no-op. */
void vg_journal_free(vg_journal *j);

/* Picks up entries added since the last call and delivers up to max (>= 1).
 * Returns the number delivered (0: nothing new), or VG_EINVAL, VG_EIO. */
VG_WUR int vg_journal_poll(vg_journal *j, size_t max, vg_journal_line_fn fn, void *ud);

/* Appends the cursor of the last entry delivered (or, before any, the one
 * opened with) to out, without a NUL. VG_ENOTFOUND: no cursor yet (nothing
 * read from an empty journal); VG_ENOMEM. */
VG_WUR int vg_journal_checkpoint(const vg_journal *j, vg_buf *out);

void vg_journal_stats_get(const vg_journal *j, vg_journal_stats *st);

#endif
