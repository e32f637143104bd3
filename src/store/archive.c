/* archive.c — the archive writer: open and crash recovery, append into
 * blocks, commit (sync, with or without metadata) and rollback, sealing
 * segments with their index, and retention. The format is in archive_fmt.c;
 * the reader in archive_scan.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hashmap.h"
#include "store/archive.h"
#include "store/archive_int.h"

#define DEF_SEGMENT (64ull << 20)
#define DEF_BLOCK (1u << 20)
#define MIN_BLOCK 4096u
#define MAX_BLOCK (8u << 20)
#define IDX_TMP "idx.tmp"

/* A host seen in a segment, keyed by its name (the entry owns the bytes). */
typedef struct host_ent {
	int64_t max_ts;
	uint16_t len;
	char name[];
} host_ent;

typedef struct seg_info {
	uint64_t seq;
	int64_t first_ts;
	uint64_t bytes; /* segment + index file */
	uint64_t records;
	int64_t min_ts, max_ts;
	int has_meta; /* holds a committed META block */
	int damaged;  /* rebuilt with unreadable blocks */
} seg_info;

struct vg_archive {
	vg_archive_opts o;
	char *root; /* DIR/archive */
	int dirfd, lockfd;
	seg_info *segs; /* sealed segments, oldest first */
	size_t nsegs, capsegs;
	uint64_t next_seq;

	/* the active segment; fd < 0 until its first block is written */
	int fd;
	uint64_t seq;
	int64_t first_ts;
	uint64_t size;      /* bytes written */
	uint64_t committed; /* bytes up to the end of the last commit block */
	int dir_dirty;      /* created since the directory was last fsynced */
	uint64_t act_records;
	int64_t act_min, act_max;
	vg_hashmap *hosts; /* hosts of the active segment (pending ones included) */
	host_ent *last_host;

	/* records since the last commit: in written blocks and in the buffer */
	uint64_t pend_records;
	int64_t pend_min, pend_max;

	/* the block being filled */
	uint8_t *raw;
	size_t raw_len, raw_cap;
	uint32_t count;
	int64_t bmin, bmax;
	uint8_t *out;
	size_t out_cap;
	ZSTD_CCtx *cctx;

	/* the committed metadata: the blob, and its META|COMMIT block (header +
	 * frame) ready to be written again at the start of the next segment */
	int has_meta;
	uint8_t *meta, *meta_blk;
	size_t meta_len, meta_blk_len;
	uint64_t meta_seq; /* the newest segment holding it (kept by retention) */
	int seg_meta;      /* the active segment holds it, committed */

	int broken; /* a rollback failed: the tail on disk is unknown until reopen */
	vg_archive_stats st;
};

static void note(const vg_archive *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const vg_archive *a, const char *fmt, ...)
{
	if (a->o.quiet)
		return;
	va_list ap;
	fprintf(stderr, "vigil: archive %s: ", a->root);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int grow(uint8_t **p, size_t *cap, size_t n)
{
	if (*cap >= n)
		return 0;
	size_t nc = *cap ? *cap : 64 * 1024;
	while (nc < n)
		nc *= 2;
	uint8_t *np = realloc(*p, nc);
	if (np == NULL)
		return VG_ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

/* ---- host tables ---- */

static host_ent *host_note(vg_hashmap *m, const void *h, size_t hl, int64_t ts)
{
	host_ent *e = vg_hashmap_get(m, h, hl);
	if (e == NULL) {
		if ((e = malloc(sizeof(*e) + hl + 1)) == NULL)
			return NULL;
		e->max_ts = ts;
		e->len = (uint16_t)hl;
		memcpy(e->name, h, hl);
		e->name[hl] = '\0';
		if (vg_hashmap_put(m, e->name, hl, e) != 0) {
			free(e);
			return NULL;
		}
	} else if (ts > e->max_ts) {
		e->max_ts = ts;
	}
	return e;
}

static void hosts_free(vg_hashmap *m)
{
	size_t pos = 0, len;
	const void *k;
	void *v;
	while (vg_hashmap_next(m, &pos, &k, &len, &v))
		free(v);
	vg_hashmap_free(m);
}

/* ---- files ---- */

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = pwrite(fd, (const uint8_t *)p + done, n - done, (off_t)(off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return VG_EIO;
		}
		done += (size_t)w;
	}
	return 0;
}

/* Writes seg's index (summary + host table) beside it: temp file, fsync,
 * rename, directory fsync, so an index is whole or absent. *bytes = its size. */
static int write_idx(vg_archive *a, uint64_t seq, int64_t first_ts, uint64_t seg_bytes, uint64_t records, int64_t min_ts,
		     int64_t max_ts, vg_hashmap *hosts, int has_meta, uint64_t *bytes)
{
	size_t n = AR_IDX_HDR + 4, pos = 0, len;
	const void *k;
	void *v;
	while (vg_hashmap_next(hosts, &pos, &k, &len, &v))
		n += 10 + len;
	if (n > AR_MAX_IDX)
		return VG_ELIMIT;
	uint8_t *p = calloc(1, n);
	if (p == NULL)
		return VG_ENOMEM;
	ar_put32(p, AR_IDX_MAGIC);
	ar_put16(p + 4, AR_VERSION);
	ar_put16(p + 6, has_meta ? AR_IDX_FLAG_META : 0);
	ar_put64(p + 8, seg_bytes);
	ar_put64(p + 16, records);
	ar_put64(p + 24, (uint64_t)min_ts);
	ar_put64(p + 32, (uint64_t)max_ts);
	ar_put32(p + 40, (uint32_t)vg_hashmap_count(hosts));
	size_t off = AR_IDX_HDR;
	pos = 0;
	while (vg_hashmap_next(hosts, &pos, &k, &len, &v)) {
		const host_ent *e = v;
		ar_put16(p + off, e->len);
		ar_put64(p + off + 2, (uint64_t)e->max_ts);
		memcpy(p + off + 10, e->name, e->len);
		off += 10 + (size_t)e->len;
	}
	ar_put32(p + off, ar_crc(p, off));
	char name[AR_NAME_MAX];
	ar_seg_name(name, seq, first_ts, "idx");
	int r = VG_EIO, fd = openat(a->dirfd, IDX_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (pwrite_all(fd, p, n, 0) == 0 && fsync(fd) == 0 && renameat(a->dirfd, IDX_TMP, a->dirfd, name) == 0 &&
		    fsync(a->dirfd) == 0)
			r = 0;
		close(fd);
		if (r != 0)
			unlinkat(a->dirfd, IDX_TMP, 0);
	}
	free(p);
	if (r == 0)
		*bytes = n;
	return r;
}

static int push_seg(vg_archive *a, const seg_info *si)
{
	if (a->nsegs == a->capsegs) {
		size_t nc = a->capsegs ? a->capsegs * 2 : 64;
		seg_info *ns = realloc(a->segs, nc * sizeof(*ns));
		if (ns == NULL)
			return VG_ENOMEM;
		a->segs = ns;
		a->capsegs = nc;
	}
	a->segs[a->nsegs++] = *si;
	return 0;
}

/* Decodes a segment to rebuild its summary and index. With cut (the last
 * segment at open), the segment may end in a torn or uncommitted tail: it is
 * kept up to the last commit block before the first bad one and truncated
 * there. Without cut, unreadable blocks are reported and left in place. */
static int rebuild(vg_archive *a, const char *name, int fd, uint64_t size, int cut, seg_info *si)
{
	ar_walk w = {0};
	ar_io io = {0};
	vg_hashmap *hosts = vg_hashmap_new(0);
	const char *why = NULL;
	size_t bad = 0;
	int r = hosts == NULL ? VG_ENOMEM : ar_walk_segment(fd, size, &w);
	if (r != 0)
		goto out;
	/* a segment other than the last was sealed right after a commit: all of
	 * it counts, even when a damaged header hides its commit block */
	size_t nb = cut ? w.ncommitted : w.n;
	uint64_t keep = w.committed_end;
	if (cut) {
		/* validation pass: a commit block counts only if every block before it is good */
		for (size_t i = 0; i < nb; i++) {
			r = ar_block_load(fd, &w.blocks[i], &io, &why);
			if (r == VG_EPARSE) {
				while (i > 0 && !(w.blocks[i - 1].flags & AR_FLAG_COMMIT))
					i--;
				nb = i;
				keep = i > 0 ? w.blocks[i - 1].off + AR_HDR + w.blocks[i - 1].clen : 0;
				r = 0;
				break;
			}
			if (r != 0)
				goto out;
		}
	} else if (w.bad || w.end < size) {
		bad++;
		why = w.bad ? "invalid block header" : "block cut short";
	}
	*si = (seg_info){.seq = si->seq, .first_ts = si->first_ts, .min_ts = INT64_MAX};
	si->max_ts = INT64_MIN;
	for (size_t i = 0; i < nb; i++) {
		const ar_block *b = &w.blocks[i];
		r = ar_block_load(fd, b, &io, &why);
		if (r == VG_EPARSE) {
			bad++;
			r = 0;
			continue;
		}
		if (r != 0)
			goto out;
		if (b->flags & AR_FLAG_META)
			si->has_meta = 1;
		size_t off = 0;
		for (uint32_t k = 0; k < b->count; k++) {
			ar_rec rec;
			ar_rec_next(io.ubuf, &off, &rec);
			if (host_note(hosts, rec.host, rec.host_len, rec.ts) == NULL) {
				r = VG_ENOMEM;
				goto out;
			}
		}
		si->records += b->count;
		if (b->count > 0) {
			si->min_ts = b->min_ts < si->min_ts ? b->min_ts : si->min_ts;
			si->max_ts = b->max_ts > si->max_ts ? b->max_ts : si->max_ts;
		}
	}
	if (cut && keep < size) {
		if (ftruncate(fd, (off_t)keep) != 0 || fsync(fd) != 0) {
			r = VG_EIO;
			goto out;
		}
		note(a, "%s: cut %" PRIu64 " bytes of torn or uncommitted tail at offset %" PRIu64
			", kept %zu blocks (%" PRIu64 " records)",
		     name, size - keep, keep, nb, si->records);
		a->st.recovered_bytes += size - keep;
		size = keep;
	}
	if (bad > 0)
		note(a, "%s: %zu unreadable blocks left in place (%s)", name, bad, why);
	if (si->records == 0)
		si->min_ts = si->max_ts = 0;
	si->bytes = size;
	si->damaged = bad > 0;
	uint64_t ib = 0;
	/* an index with no record says "metadata only", which retention may
	 * delete once superseded: never written for a damaged segment */
	if (si->records > 0 || (si->has_meta && bad == 0)) {
		if (write_idx(a, si->seq, si->first_ts, size, si->records, si->min_ts, si->max_ts, hosts, si->has_meta,
			      &ib) != 0)
			a->st.index_errors++;
		si->bytes += ib;
	}
out:
	ar_walk_free(&w);
	ar_io_free(&io);
	if (hosts != NULL)
		hosts_free(hosts);
	return r;
}

/* Loads the summaries of the existing segments, recovering the last one. */
static int load_segments(vg_archive *a)
{
	ar_seg *v;
	size_t n;
	int r = ar_seg_list(a->dirfd, &v, &n);
	if (r != 0)
		return r;
	unlinkat(a->dirfd, IDX_TMP, 0); /* an index write cut short */
	for (size_t i = 0; i < n && r == 0; i++) {
		char vga[AR_NAME_MAX], idx[AR_NAME_MAX];
		ar_seg_name(vga, v[i].seq, v[i].first_ts, "vga");
		ar_seg_name(idx, v[i].seq, v[i].first_ts, "idx");
		a->next_seq = v[i].seq + 1 > a->next_seq ? v[i].seq + 1 : a->next_seq;
		if (!v[i].has_vga) { /* retention removed the segment, then we stopped */
			unlinkat(a->dirfd, idx, 0);
			continue;
		}
		int last = i == n - 1;
		int fd = openat(a->dirfd, vga, (last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			r = VG_EIO;
			if (fd >= 0)
				close(fd);
			break;
		}
		seg_info si = {.seq = v[i].seq, .first_ts = v[i].first_ts};
		ar_idx ix = {0};
		if (v[i].has_idx && ar_idx_read(a->dirfd, idx, &ix) == 0 && ix.seg_bytes == (uint64_t)st.st_size) {
			/* a valid index matching the file's size: sealed cleanly */
			si.bytes = (uint64_t)st.st_size + ix.len;
			si.records = ix.records;
			si.min_ts = ix.min_ts;
			si.max_ts = ix.max_ts;
			si.has_meta = (ix.flags & AR_IDX_FLAG_META) != 0;
			ar_idx_free(&ix);
		} else {
			ar_idx_free(&ix);
			if (v[i].has_idx)
				unlinkat(a->dirfd, idx, 0);
			r = rebuild(a, vga, fd, (uint64_t)st.st_size, last, &si);
		}
		close(fd);
		if (r == 0 && si.records == 0 && !si.has_meta && (last || st.st_size == 0)) {
			/* nothing committed (a crash before the first sync): drop it.
			 * An older segment with nothing readable is damage, kept for
			 * inspection. */
			if (unlinkat(a->dirfd, vga, 0) != 0 || fsync(a->dirfd) != 0)
				r = VG_EIO;
			unlinkat(a->dirfd, idx, 0);
			continue;
		}
		if (r == 0)
			r = push_seg(a, &si);
	}
	free(v);
	return r;
}

/* ---- metadata ---- */

/* Makes blob[0..len) the current meta, with its block (header b, frame
 * frame[0..b->clen)) for the next segments; copies both. 0 or VG_ENOMEM
 * (nothing changed). */
static int meta_adopt(vg_archive *a, const void *blob, size_t len, const ar_block *b, const uint8_t *frame)
{
	uint8_t *m = malloc(len > 0 ? len : 1), *blk = malloc(AR_HDR + (size_t)b->clen);
	if (m == NULL || blk == NULL) {
		free(m);
		free(blk);
		return VG_ENOMEM;
	}
	if (len > 0)
		memcpy(m, blob, len);
	ar_block_encode(blk, b);
	if (b->clen > 0)
		memcpy(blk + AR_HDR, frame, b->clen);
	free(a->meta);
	free(a->meta_blk);
	a->meta = m;
	a->meta_len = len;
	a->meta_blk = blk;
	a->meta_blk_len = AR_HDR + (size_t)b->clen;
	a->has_meta = 1;
	return 0;
}

/* Loads the last readable META block of segment s. 0, VG_ENOTFOUND (none),
 * VG_EIO, VG_ENOMEM. Every META block is a commit block, so the last one
 * is committed wherever it lies; recovery has already cut the last
 * segment's uncommitted tail. */
static int meta_load(vg_archive *a, const seg_info *s)
{
	char name[AR_NAME_MAX];
	ar_seg_name(name, s->seq, s->first_ts, "vga");
	int fd = openat(a->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return VG_EIO;
	ar_walk w = {0};
	ar_io io = {0};
	struct stat st;
	int r = fstat(fd, &st) != 0 ? VG_EIO : ar_walk_segment(fd, (uint64_t)st.st_size, &w);
	for (size_t j = w.n; r == 0 && j-- > 0;) {
		const ar_block *b = &w.blocks[j];
		if (!(b->flags & AR_FLAG_META))
			continue;
		const char *why;
		r = ar_block_load(fd, b, &io, &why);
		if (r == VG_EPARSE) {
			note(a, "%s: metadata block at offset %" PRIu64 " unreadable (%s); using an older one", name,
			     b->off, why);
			r = 0;
			continue;
		}
		if (r == 0) {
			r = meta_adopt(a, io.ubuf, b->ulen, b, io.cbuf);
			if (r == 0)
				a->meta_seq = s->seq;
			goto out;
		}
	}
	if (r == 0)
		r = VG_ENOTFOUND;
out:
	ar_walk_free(&w);
	ar_io_free(&io);
	close(fd);
	return r;
}

/* The committed meta at open: the last META block of the newest segment that
 * has a readable one (each segment's first commit carries it). */
static int recover_meta(vg_archive *a)
{
	for (size_t i = a->nsegs; i-- > 0;) {
		if (!a->segs[i].has_meta)
			continue;
		int r = meta_load(a, &a->segs[i]);
		if (r != VG_ENOTFOUND)
			return r;
	}
	return 0;
}

int vg_archive_meta(const vg_archive *a, void *buf, size_t cap, size_t *len)
{
	if (!a->has_meta)
		return VG_ENOTFOUND;
	*len = a->meta_len;
	if (cap < a->meta_len)
		return VG_ELIMIT;
	if (a->meta_len > 0)
		memcpy(buf, a->meta, a->meta_len);
	return 0;
}

static int valid_opts(vg_archive_opts *o)
{
	if (o->segment_bytes == 0)
		o->segment_bytes = DEF_SEGMENT;
	if (o->block_bytes == 0)
		o->block_bytes = DEF_BLOCK;
	if (o->zstd_level == 0)
		o->zstd_level = 3;
	if (o->block_bytes < MIN_BLOCK || o->block_bytes > MAX_BLOCK || o->zstd_level < ZSTD_minCLevel() ||
	    o->zstd_level > ZSTD_maxCLevel() || o->max_age_us < 0)
		return VG_EINVAL;
	return 0;
}

vg_archive *vg_archive_open(const char *dir, const vg_archive_opts *o, int *err)
{
	vg_archive *a = calloc(1, sizeof(*a));
	int r = VG_ENOMEM;
	if (a == NULL)
		goto fail;
	a->fd = a->dirfd = a->lockfd = -1;
	if (o != NULL)
		a->o = *o;
	if ((r = valid_opts(&a->o)) != 0)
		goto fail;
	r = VG_ENOMEM;
	size_t dl = strlen(dir);
	if ((a->root = malloc(dl + sizeof("/archive"))) == NULL)
		goto fail;
	memcpy(a->root, dir, dl);
	memcpy(a->root + dl, "/archive", sizeof("/archive"));
	r = VG_EIO;
	if ((mkdir(dir, 0750) != 0 && errno != EEXIST) || (mkdir(a->root, 0750) != 0 && errno != EEXIST))
		goto fail;
	if ((a->dirfd = open(a->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto fail;
	if ((a->lockfd = openat(a->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0 ||
	    flock(a->lockfd, LOCK_EX | LOCK_NB) != 0)
		goto fail;
	r = VG_ENOMEM;
	if ((a->cctx = ZSTD_createCCtx()) == NULL || (a->hosts = vg_hashmap_new(0)) == NULL)
		goto fail;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(a->cctx, ZSTD_c_compressionLevel, a->o.zstd_level))) {
		r = VG_EINVAL;
		goto fail;
	}
	if ((r = load_segments(a)) != 0 || (r = recover_meta(a)) != 0)
		goto fail;
	return a;
fail:
	if (a != NULL) {
		int e = errno;
		a->broken = 1; /* close must not write */
		vg_archive_close(a);
		errno = e;
	}
	*err = r;
	return NULL;
}

/* ---- appending ---- */

static int create_segment(vg_archive *a)
{
	int64_t first = a->count > 0 ? (int64_t)ar_get64(a->raw) : 0;
	char name[AR_NAME_MAX];
	ar_seg_name(name, a->next_seq, first, "vga");
	int fd = openat(a->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return VG_EIO;
	a->fd = fd;
	a->seq = a->next_seq++;
	a->first_ts = first;
	a->size = a->committed = 0;
	a->dir_dirty = 1;
	a->act_records = 0;
	return 0;
}

/* Compresses the buffered records into one block and writes it at the end of
 * the active segment (created on demand). The buffer is emptied on success. */
static int write_block(vg_archive *a, int commit)
{
	int r;
	if (a->fd < 0 && (r = create_segment(a)) != 0)
		return r;
	ar_block b = {.flags = commit ? AR_FLAG_COMMIT : 0, .ulen = (uint32_t)a->raw_len, .count = a->count};
	size_t bound = ZSTD_compressBound(a->raw_len), clen = 0;
	if ((r = grow(&a->out, &a->out_cap, AR_HDR + bound)) != 0)
		return r;
	if (a->count > 0) {
		clen = ZSTD_compress2(a->cctx, a->out + AR_HDR, bound, a->raw, a->raw_len);
		if (ZSTD_isError(clen))
			return VG_ENOMEM;
		b.pcrc = ar_crc(a->out + AR_HDR, clen);
		b.min_ts = a->bmin;
		b.max_ts = a->bmax;
	}
	b.clen = (uint32_t)clen;
	ar_block_encode(a->out, &b);
	if ((r = pwrite_all(a->fd, a->out, AR_HDR + clen, a->size)) != 0)
		return r;
	a->size += AR_HDR + clen;
	a->st.raw_bytes += a->raw_len;
	a->st.stored_bytes += AR_HDR + clen;
	a->st.blocks_written++;
	a->raw_len = 0;
	a->count = 0;
	return 0;
}

static int rollback(vg_archive *a)
{
	a->raw_len = 0;
	a->count = 0;
	a->pend_records = 0;
	if (a->fd < 0)
		return 0;
	/* The file, not a->size, says what is there: a write that failed half way
	 * extended the file without advancing a->size. */
	struct stat st;
	if (fstat(a->fd, &st) != 0) {
		a->broken = 1;
		return VG_EIO;
	}
	if ((uint64_t)st.st_size != a->committed) {
		/* the fsync matters: a commit block whose fsync failed may still be on
		 * disk, and must not come back after a crash */
		if (ftruncate(a->fd, (off_t)a->committed) != 0 || fsync(a->fd) != 0) {
			a->broken = 1;
			return VG_EIO;
		}
		a->size = a->committed;
	}
	return 0;
}

/* Rolls back after a failure, keeping the failure's errno for the caller. */
static int fail_rollback(vg_archive *a, int r)
{
	int e = errno;
	(void)rollback(a);
	errno = e;
	return r;
}

int vg_archive_rollback(vg_archive *a)
{
	return a->broken ? VG_EIO : rollback(a);
}

int vg_archive_append(vg_archive *a, int64_t ts_us, const char *host, const char *doc, size_t len)
{
	if (a->broken)
		return VG_EIO;
	if (host == NULL)
		host = "";
	size_t hl = strnlen(host, VG_ARCHIVE_MAX_HOST + 1);
	if (hl > VG_ARCHIVE_MAX_HOST || len > VG_ARCHIVE_MAX_DOC)
		return VG_ELIMIT;
	if (len == 0 || memchr(doc, '\n', len) != NULL)
		return VG_EINVAL;
	size_t need = AR_REC_HDR + hl + len;
	int r;
	if (a->count > 0 && a->raw_len + need > a->o.block_bytes && (r = write_block(a, 0)) != 0)
		return fail_rollback(a, r);
	if (grow(&a->raw, &a->raw_cap, a->raw_len + need) != 0)
		return fail_rollback(a, VG_ENOMEM);
	host_ent *e = a->last_host;
	if (e != NULL && e->len == hl && memcmp(e->name, host, hl) == 0) {
		if (ts_us > e->max_ts)
			e->max_ts = ts_us;
	} else if ((e = host_note(a->hosts, host, hl, ts_us)) == NULL) {
		return fail_rollback(a, VG_ENOMEM);
	}
	a->last_host = e;
	uint8_t *p = a->raw + a->raw_len;
	ar_put64(p, (uint64_t)ts_us);
	ar_put16(p + 8, (uint16_t)hl);
	ar_put32(p + 10, (uint32_t)len);
	memcpy(p + AR_REC_HDR, host, hl);
	memcpy(p + AR_REC_HDR + hl, doc, len);
	a->raw_len += need;
	if (a->count == 0 || ts_us < a->bmin)
		a->bmin = ts_us;
	if (a->count == 0 || ts_us > a->bmax)
		a->bmax = ts_us;
	a->count++;
	if (a->pend_records == 0 || ts_us < a->pend_min)
		a->pend_min = ts_us;
	if (a->pend_records == 0 || ts_us > a->pend_max)
		a->pend_max = ts_us;
	a->pend_records++;
	return 0;
}

/* Closes the active segment for good: its index goes beside it and the next
 * block starts a new segment. Data is already durable, so a failed index
 * write is only counted (open rebuilds it). */
static int seal(vg_archive *a)
{
	if (a->act_records == 0) /* metadata only */
		a->act_min = a->act_max = 0;
	seg_info si = {.seq = a->seq, .first_ts = a->first_ts, .bytes = a->size, .records = a->act_records,
		       .min_ts = a->act_min, .max_ts = a->act_max};
	si.has_meta = a->seg_meta;
	uint64_t ib = 0;
	if (write_idx(a, a->seq, a->first_ts, a->size, a->act_records, a->act_min, a->act_max, a->hosts, a->seg_meta,
		      &ib) != 0)
		a->st.index_errors++;
	si.bytes += ib;
	close(a->fd);
	a->fd = -1;
	a->seg_meta = 0;
	a->size = a->committed = 0;
	a->act_records = 0;
	hosts_free(a->hosts);
	a->last_host = NULL;
	a->hosts = vg_hashmap_new(0);
	int r = push_seg(a, &si);
	if (a->hosts == NULL && r == 0)
		r = VG_ENOMEM;
	if (r != 0)
		a->broken = 1; /* cannot track the segments any more: reopen */
	return r;
}

/* Writes the commit and fsyncs: the buffered records as the commit block, or,
 * with blk (an encoded META|COMMIT block), the records in a plain block and
 * blk as the commit block, so that a torn write loses the meta with the
 * commit. Rolled back on failure. Does not seal. */
static int commit(vg_archive *a, const uint8_t *blk, size_t blen)
{
	int r = 0;
	if (blk == NULL) {
		r = write_block(a, 1);
	} else {
		if (a->count > 0)
			r = write_block(a, 0);
		else if (a->fd < 0)
			r = create_segment(a);
		if (r == 0 && (r = pwrite_all(a->fd, blk, blen, a->size)) == 0) {
			a->size += blen;
			a->st.stored_bytes += blen;
			a->st.blocks_written++;
		}
	}
	if (r == 0 && fsync(a->fd) != 0)
		r = VG_EIO;
	if (r == 0 && a->dir_dirty && fsync(a->dirfd) != 0)
		r = VG_EIO;
	if (r != 0)
		return fail_rollback(a, r);
	a->committed = a->size;
	a->dir_dirty = 0;
	if (a->pend_records > 0) {
		if (a->act_records == 0 || a->pend_min < a->act_min)
			a->act_min = a->pend_min;
		if (a->act_records == 0 || a->pend_max > a->act_max)
			a->act_max = a->pend_max;
		a->act_records += a->pend_records;
		a->pend_records = 0;
	}
	if (blk != NULL) {
		a->seg_meta = 1;
		a->meta_seq = a->seq;
	}
	a->st.syncs++;
	return 0;
}

static int seal_if_full(vg_archive *a)
{
	if (a->size >= a->o.segment_bytes || vg_hashmap_count(a->hosts) >= VG_ARCHIVE_MAX_SEG_HOSTS)
		return seal(a);
	return 0;
}

int vg_archive_sync(vg_archive *a)
{
	if (a->broken)
		return VG_EIO;
	if (a->count == 0 && (a->fd < 0 || a->size == a->committed))
		return 0;
	/* a segment's first commit carries the current meta: every segment then
	 * holds it, and no segment older than the newest need be kept for it */
	int carry = a->has_meta && !a->seg_meta;
	int r = commit(a, carry ? a->meta_blk : NULL, carry ? a->meta_blk_len : 0);
	return r != 0 ? r : seal_if_full(a);
}

int vg_archive_sync_meta(vg_archive *a, const void *meta, size_t len)
{
	if (a->broken)
		return VG_EIO;
	if (meta == NULL)
		return VG_EINVAL;
	if (len > VG_ARCHIVE_MAX_META)
		return VG_ELIMIT;
	/* unchanged and already in this segment: nothing to write but the records */
	if (a->has_meta && a->seg_meta && len == a->meta_len && (len == 0 || memcmp(meta, a->meta, len) == 0))
		return vg_archive_sync(a);
	ar_block b = {.flags = AR_FLAG_COMMIT | AR_FLAG_META, .ulen = (uint32_t)len};
	size_t bound = len > 0 ? ZSTD_compressBound(len) : 0;
	uint8_t *blk = malloc(AR_HDR + bound), *copy = malloc(len > 0 ? len : 1);
	if (blk == NULL || copy == NULL)
		goto nomem;
	if (len > 0) {
		size_t c = ZSTD_compress2(a->cctx, blk + AR_HDR, bound, meta, len);
		if (ZSTD_isError(c))
			goto nomem;
		b.clen = (uint32_t)c;
		b.pcrc = ar_crc(blk + AR_HDR, c);
		memcpy(copy, meta, len);
	}
	ar_block_encode(blk, &b);
	int r = commit(a, blk, AR_HDR + b.clen);
	if (r != 0) {
		free(blk);
		free(copy);
		return r;
	}
	free(a->meta);
	free(a->meta_blk);
	a->meta = copy;
	a->meta_len = len;
	a->meta_blk = blk;
	a->meta_blk_len = AR_HDR + b.clen;
	a->has_meta = 1;
	return seal_if_full(a);
nomem:
	free(blk);
	free(copy);
	return fail_rollback(a, VG_ENOMEM);
}

/* ---- retention ---- */

static int delete_seg(vg_archive *a, size_t i)
{
	char name[AR_NAME_MAX];
	ar_seg_name(name, a->segs[i].seq, a->segs[i].first_ts, "vga");
	if (unlinkat(a->dirfd, name, 0) != 0 && errno != ENOENT)
		return VG_EIO;
	ar_seg_name(name, a->segs[i].seq, a->segs[i].first_ts, "idx");
	unlinkat(a->dirfd, name, 0);
	memmove(a->segs + i, a->segs + i + 1, (a->nsegs - i - 1) * sizeof(*a->segs));
	a->nsegs--;
	return 0;
}

/* now - age, or INT64_MIN when that is before the representable range */
static int64_t cutoff(int64_t now, int64_t age)
{
	return now < INT64_MIN + age ? INT64_MIN : now - age;
}

/* Whether every host of the segment is past its retention age. The host
 * table comes from the index (rebuilt from the segment if missing). */
static int expired_by_host(vg_archive *a, const seg_info *s, int64_t now, int *out)
{
	char name[AR_NAME_MAX];
	ar_idx ix;
	ar_seg_name(name, s->seq, s->first_ts, "idx");
	int r = ar_idx_read(a->dirfd, name, &ix);
	if (r == VG_ENOTFOUND || r == VG_EPARSE) {
		char vga[AR_NAME_MAX];
		ar_seg_name(vga, s->seq, s->first_ts, "vga");
		int fd = openat(a->dirfd, vga, O_RDONLY | O_CLOEXEC);
		struct stat st;
		seg_info si = *s;
		if (fd < 0 || fstat(fd, &st) != 0)
			r = VG_EIO;
		else
			r = rebuild(a, vga, fd, (uint64_t)st.st_size, 0, &si);
		if (fd >= 0)
			close(fd);
		if (r == 0 && si.records == 0) {
			*out = 0; /* nothing readable: left to size retention */
			return 0;
		}
		if (r == 0)
			r = ar_idx_read(a->dirfd, name, &ix);
	}
	if (r != 0)
		return r == VG_ENOMEM ? r : VG_EIO;
	*out = ix.records > 0;
	size_t pos = 0, hl;
	const char *h;
	int64_t max_ts;
	while (*out && ar_idx_host_next(&ix, &pos, &h, &hl, &max_ts)) {
		char host[VG_ARCHIVE_MAX_HOST + 1];
		memcpy(host, h, hl);
		host[hl] = '\0';
		int64_t age = a->o.max_age_for_host(a->o.ud, host);
		if (age < 0)
			age = a->o.max_age_us;
		if (age == 0 || max_ts >= cutoff(now, age))
			*out = 0;
	}
	ar_idx_free(&ix);
	return 0;
}

/* The sealed segment holding the current meta (none once the active segment
 * has committed it): never deleted, or a crash could lose the meta. */
static int holds_meta(const vg_archive *a, const seg_info *s)
{
	return a->has_meta && !a->seg_meta && s->seq == a->meta_seq;
}

int64_t vg_archive_retain(vg_archive *a, int64_t now_us)
{
	if (a->broken)
		return VG_EIO;
	int64_t freed = 0;
	int r = 0;
	for (size_t i = 0; i < a->nsegs && r == 0;) {
		int expired = 0;
		if (holds_meta(a, &a->segs[i]))
			expired = 0;
		else if (a->segs[i].records == 0 && a->segs[i].has_meta && !a->segs[i].damaged)
			expired = 1; /* superseded metadata and nothing else */
		else if (a->o.max_age_for_host != NULL)
			r = expired_by_host(a, &a->segs[i], now_us, &expired);
		else
			expired = a->o.max_age_us > 0 && a->segs[i].records > 0 &&
				  a->segs[i].max_ts < cutoff(now_us, a->o.max_age_us);
		if (r == 0 && expired) {
			uint64_t b = a->segs[i].bytes;
			if ((r = delete_seg(a, i)) == 0)
				freed += (int64_t)b;
		} else {
			i++;
		}
	}
	if (r == 0 && a->o.max_bytes > 0) {
		vg_archive_stats st;
		vg_archive_stats_get(a, &st);
		uint64_t total = st.bytes;
		for (size_t i = 0; r == 0 && total > a->o.max_bytes && i < a->nsegs;) {
			if (holds_meta(a, &a->segs[i])) {
				i++;
				continue;
			}
			uint64_t b = a->segs[i].bytes;
			if ((r = delete_seg(a, i)) == 0) {
				freed += (int64_t)b;
				total -= b;
			}
		}
	}
	if (freed > 0 && fsync(a->dirfd) != 0 && r == 0)
		r = VG_EIO;
	return r != 0 ? r : freed;
}

void vg_archive_stats_get(const vg_archive *a, vg_archive_stats *st)
{
	*st = a->st;
	st->bytes = st->segments = st->records = 0;
	for (size_t i = 0; i < a->nsegs; i++) {
		st->bytes += a->segs[i].bytes;
		st->records += a->segs[i].records;
	}
	st->segments = a->nsegs;
	if (a->fd >= 0) {
		st->bytes += a->size;
		st->segments++;
		st->records += a->act_records;
	}
	st->pending = a->pend_records;
}

int vg_archive_close(vg_archive *a)
{
	if (a == NULL)
		return 0;
	int r = a->broken ? VG_EIO : vg_archive_sync(a);
	if (a->fd >= 0) {
		if (!a->broken && r == 0 && a->size > 0) {
			(void)seal(a); /* the next open then need not recover it */
		} else {
			if (a->committed == 0 && !a->broken) {
				char name[AR_NAME_MAX];
				ar_seg_name(name, a->seq, a->first_ts, "vga");
				unlinkat(a->dirfd, name, 0);
			}
			close(a->fd);
		}
	}
	if (a->hosts != NULL)
		hosts_free(a->hosts);
	ZSTD_freeCCtx(a->cctx);
	if (a->lockfd >= 0)
		close(a->lockfd);
	if (a->dirfd >= 0)
		close(a->dirfd);
	free(a->raw);
	free(a->out);
	free(a->meta);
	free(a->meta_blk);
	free(a->segs);
	free(a->root);
	free(a);
	return r;
}
