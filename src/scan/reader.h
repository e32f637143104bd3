/* reader.h — turns one input (file, gzip file, or stdin) into framed records,
 * a batch at a time.
 *
 * Framing follows the input's parser (parse.h): lines; JSON documents that may
 * span lines; auditd events (consecutive lines sharing a serial). Gzip input is
 * recognised by its magic bytes and read directly. Lines longer than
 * VG_MAX_LINE and records longer than VG_MAX_RECORD are cut (counted in
 * vg_reader_truncated) and never dropped. Empty lines are skipped.
 *
 * Ownership: the reader owns its file; a batch owns its buffers and is reused.
 * Lines are framed where they are read: vg_reader_next reads into the
 * batch's own buffer (only an unfinished last line is copied, into the next
 * batch). A batch's records stay valid until that batch is passed
 * to vg_reader_next again or cleared, whatever other batches are read.
 * Errors: open and read failures return VG_EIO with errno set. Not
 * thread-safe: one reader per thread at a time (batches may be handed on). */
#ifndef VG_READER_H
#define VG_READER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "parse/parse.h"

typedef struct vg_record {
	size_t off;    /* into vg_batch.buf */
	size_t len;
	uint64_t line; /* 1-based line number of the record's first line */
} vg_record;

typedef struct vg_batch {
	char *buf;
	size_t len, cap;
	vg_record *recs;
	size_t nrecs, cap_recs;
	const char *path;         /* as given on the command line; "-" for stdin */
	const vg_parser *parser;  /* detected or forced; NULL = unknown, records stay raw */
	int year_hint;
	uint64_t bytes_in;        /* input bytes this batch consumed (after decompression; blank
	                           * lines and cut tails too: a file's batches add up to its size) */
} vg_batch;

typedef struct vg_reader vg_reader;

/* path "-" is stdin. forced: a parser to use instead of detection (or NULL).
 * NULL on failure with *err set to VG_EIO (errno kept) or VG_ENOMEM. */
vg_reader *vg_reader_open(const char *path, const vg_parser *forced, int *err);
void vg_reader_close(vg_reader *r); /* NULL is a no-op */
const vg_parser *vg_reader_parser(const vg_reader *r);

/* Fill b with the next records (about max_records or max_bytes, whichever
 * first). Returns 1 when b holds records, 0 at end of input, VG_EIO/VG_ENOMEM
 * on failure. */
VG_WUR int vg_reader_next(vg_reader *r, vg_batch *b, size_t max_records, size_t max_bytes);
uint64_t vg_reader_truncated(const vg_reader *r);

void vg_batch_init(vg_batch *b);
void vg_batch_clear(vg_batch *b); /* frees buffers */

#endif
