/* archive_int.h — the event archive's on-disk format (docs/archive.md), shared
 * by the writer (archive.c) and the reader (archive_scan.c); implemented in
 * archive_fmt.c. Internal to src/store: nothing here is a public API.
 * Every length read from disk is validated before use. */
#ifndef VG_ARCHIVE_INT_H
#define VG_ARCHIVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "core/err.h"

#define AR_BLOCK_MAGIC 0x42414756u /* "VGAB" */
#define AR_IDX_MAGIC 0x49414756u   /* "VGAI" */
#define AR_VERSION 1
#define AR_FLAG_COMMIT 1u
#define AR_FLAG_META 2u            /* payload = the committed metadata; always with COMMIT */
#define AR_IDX_FLAG_META 1u        /* index flags: the segment holds a META block */
#define AR_HDR 44                  /* block header bytes */
#define AR_REC_HDR 14              /* ts i64, host_len u16, doc_len u32 */
#define AR_IDX_HDR 48
#define AR_MAX_BLOCK (16u << 20)   /* uncompressed payload bytes a reader accepts */
#define AR_MAX_IDX (64u << 20)     /* index file bytes a reader accepts */
#define AR_NAME_MAX 64

/* A record block has count > 0; a bare commit marker count = ulen = clen = 0;
 * a META block (flags META|COMMIT) count = 0 and ulen = the blob's length. */
typedef struct ar_block {
	uint64_t off; /* of the header in the segment file */
	uint32_t flags, ulen, clen, count, pcrc;
	int64_t min_ts, max_ts;
} ar_block;

void ar_put16(uint8_t *p, uint16_t v);
void ar_put32(uint8_t *p, uint32_t v);
void ar_put64(uint8_t *p, uint64_t v);
uint16_t ar_get16(const uint8_t *p);
uint32_t ar_get32(const uint8_t *p);
uint64_t ar_get64(const uint8_t *p);
uint32_t ar_crc(const void *p, size_t n);

void ar_block_encode(uint8_t out[AR_HDR], const ar_block *b);
/* Validates magic, version, flags, header CRC and the lengths (not pcrc,
 * which needs the payload). 0 or VG_EPARSE. b->off is left alone. */
int ar_block_decode(const uint8_t in[AR_HDR], ar_block *b);

typedef struct ar_rec {
	int64_t ts;
	const uint8_t *host, *doc;
	uint16_t host_len;
	uint32_t doc_len;
} ar_rec;

/* Checks that p[0..n) holds exactly b->count well-formed records with
 * timestamps inside [b->min_ts, b->max_ts]. 0 or VG_EPARSE. */
int ar_payload_check(const uint8_t *p, size_t n, const ar_block *b);
/* Decodes the record at *off of a checked payload and advances *off. */
void ar_rec_next(const uint8_t *p, size_t *off, ar_rec *r);

/* Segment files: seg-<seq>-<first_ts>.vga and its index seg-<seq>-<first_ts>.idx. */
typedef struct ar_seg {
	uint64_t seq;
	int64_t first_ts;
	int has_vga, has_idx;
} ar_seg;
void ar_seg_name(char out[AR_NAME_MAX], uint64_t seq, int64_t first_ts, const char *ext);
/* Lists the segments of dirfd sorted by seq (*out: caller frees). Entries with
 * an index but no segment file have has_vga = 0. 0, VG_EIO, VG_ENOMEM. */
int ar_seg_list(int dirfd, ar_seg **out, size_t *n);

/* The headers of a segment, read one after another without the payloads. */
typedef struct ar_walk {
	ar_block *blocks;
	size_t n, cap;
	size_t ncommitted;      /* blocks up to the last commit block */
	uint64_t committed_end; /* file offset just past it */
	uint64_t end;           /* offset just past the last good header's block */
	int bad;                /* the walk stopped at an invalid header (not EOF or a short tail) */
} ar_walk;
/* Walks fd (size bytes). 0, VG_EIO (errno), VG_ENOMEM. */
int ar_walk_segment(int fd, uint64_t size, ar_walk *w);
void ar_walk_free(ar_walk *w);

/* Reading payloads: buffers and a decompression context reused block to block. */
typedef struct ar_io {
	uint8_t *cbuf, *ubuf;
	size_t ccap, ucap;
	ZSTD_DCtx *dctx;
	uint64_t bytes_read;
} ar_io;
void ar_io_free(ar_io *io);
/* Reads, CRC-checks, decompresses and checks the payload of b; on 0 the
 * records (or a META block's blob) are io->ubuf[0..b->ulen) and the
 * compressed bytes io->cbuf[0..b->clen) (nothing is read when clen is 0). VG_EPARSE with *why set (corrupt),
 * VG_EIO (errno), VG_ENOMEM. */
int ar_block_load(int fd, const ar_block *b, ar_io *io, const char **why);

/* A segment's index: summary and host table (docs/archive.md). */
typedef struct ar_idx {
	uint64_t seg_bytes, records;
	int64_t min_ts, max_ts;
	uint32_t nhosts;
	uint16_t flags; /* AR_IDX_FLAG_*; 0 in indexes written before META blocks existed */
	uint8_t *buf; /* the whole file */
	size_t len;
} ar_idx;
/* 0, VG_ENOTFOUND, VG_EPARSE (invalid), VG_EIO, VG_ENOMEM. */
int ar_idx_read(int dirfd, const char *name, ar_idx *ix);
void ar_idx_free(ar_idx *ix);
/* Iterate the hosts: size_t pos = 0; while (ar_idx_host_next(ix, &pos, ...)). */
int ar_idx_host_next(const ar_idx *ix, size_t *pos, const char **name, size_t *len, int64_t *max_ts);

#endif
