/* archive_scan.c — the archive reader behind `vigil events export`: walks
 * segments in order, skips whole segments by their index and blocks by their
 * header's time range, and decodes only what may match. Needs no lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/archive.h"
#include "store/archive_int.h"

typedef struct scan_ctx {
	const vg_archive_filter *f;
	int (*cb)(void *ud, const vg_archive_rec *r);
	void *ud;
	vg_archive_scan_stats *st;
	const char *root;
	int dirfd;
	size_t host_len;
	ar_walk w;
	ar_io io;
} scan_ctx;

static void report(scan_ctx *c, const char *name, uint64_t off, const char *why)
{
	c->st->errors++;
	if (c->f->on_error == NULL)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", c->root, name);
	c->f->on_error(c->ud, path, off, why);
}

/* Whether [lo, hi] meets the filter's [from, to). */
static int overlaps(const vg_archive_filter *f, int64_t lo, int64_t hi)
{
	return !(f->has_from && hi < f->from_us) && !(f->has_to && lo >= f->to_us);
}

/* Whether the index rules the whole segment out. */
static int idx_skips(const scan_ctx *c, const ar_idx *ix)
{
	if (ix->records == 0 || !overlaps(c->f, ix->min_ts, ix->max_ts))
		return 1;
	if (c->f->host == NULL)
		return 0;
	size_t pos = 0, hl;
	const char *h;
	int64_t max_ts;
	while (ar_idx_host_next(ix, &pos, &h, &hl, &max_ts))
		if (hl == c->host_len && memcmp(h, c->f->host, hl) == 0)
			return 0;
	return 1;
}

static int scan_block(scan_ctx *c, int fd, const char *name, const ar_block *b)
{
	const vg_archive_filter *f = c->f;
	c->st->blocks++;
	if (b->count == 0) /* a commit marker or the writer's metadata: no records */
		return 0;
	if (!overlaps(f, b->min_ts, b->max_ts)) {
		c->st->blocks_skipped++;
		return 0;
	}
	const char *why;
	int r = ar_block_load(fd, b, &c->io, &why);
	if (r == VG_EPARSE || r == VG_EIO) {
		report(c, name, b->off, r == VG_EIO ? strerror(errno) : why);
		return 0;
	}
	if (r != 0)
		return r;
	c->st->blocks_decompressed++;
	size_t off = 0;
	for (uint32_t i = 0; i < b->count; i++) {
		ar_rec rec;
		ar_rec_next(c->io.ubuf, &off, &rec);
		c->st->records++;
		if ((f->has_from && rec.ts < f->from_us) || (f->has_to && rec.ts >= f->to_us))
			continue;
		if (f->host != NULL && (rec.host_len != c->host_len || memcmp(rec.host, f->host, c->host_len) != 0))
			continue;
		char host[VG_ARCHIVE_MAX_HOST + 1];
		memcpy(host, rec.host, rec.host_len);
		host[rec.host_len] = '\0';
		vg_archive_rec out = {.ts_us = rec.ts, .host = host, .doc = (const char *)rec.doc, .doc_len = rec.doc_len};
		c->st->records_matched++;
		if ((r = c->cb(c->ud, &out)) != 0)
			return r;
	}
	return 0;
}

static int scan_segment(scan_ctx *c, const ar_seg *s, int last)
{
	char name[AR_NAME_MAX];
	ar_seg_name(name, s->seq, s->first_ts, "vga");
	int fd = openat(c->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) /* ENOENT: retention deleted it after the listing */
			report(c, name, 0, strerror(errno));
		return 0;
	}
	c->st->segments++;
	struct stat st;
	int r = 0, sealed = 0;
	if (fstat(fd, &st) != 0) {
		report(c, name, 0, strerror(errno));
		goto out;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (s->has_idx) {
		char iname[AR_NAME_MAX];
		ar_idx ix;
		ar_seg_name(iname, s->seq, s->first_ts, "idx");
		if ((r = ar_idx_read(c->dirfd, iname, &ix)) == VG_ENOMEM)
			goto out;
		r = 0;
		if (ix.buf != NULL && ix.seg_bytes == size) {
			sealed = 1;
			int skip = idx_skips(c, &ix);
			ar_idx_free(&ix);
			if (skip) {
				c->st->segments_skipped++;
				goto out;
			}
		}
		ar_idx_free(&ix);
	}
	if ((r = ar_walk_segment(fd, size, &c->w)) != 0) {
		if (r == VG_EIO) {
			report(c, name, 0, strerror(errno));
			r = 0;
		}
		goto out;
	}
	c->io.bytes_read += (uint64_t)c->w.n * AR_HDR;
	if (c->w.bad)
		report(c, name, c->w.end, "invalid block header; rest of segment skipped");
	else if (sealed && c->w.end < size)
		report(c, name, c->w.end, "segment cut short");
	/* Blocks after the last commit belong to a batch not yet committed; only
	 * the last segment can have them (a segment is sealed right after a
	 * commit), and a sealed one counts whole even when a damaged header hides
	 * its commit block. */
	size_t nb = sealed || !last ? c->w.n : c->w.ncommitted;
	for (size_t i = 0; i < nb && r == 0; i++)
		r = scan_block(c, fd, name, &c->w.blocks[i]);
out:
	close(fd);
	return r;
}

int vg_archive_scan(const char *dir, const vg_archive_filter *f, int (*cb)(void *ud, const vg_archive_rec *r), void *ud,
		    vg_archive_scan_stats *st)
{
	static const vg_archive_filter all;
	vg_archive_scan_stats local;
	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	scan_ctx c = {.f = f != NULL ? f : &all, .cb = cb, .ud = ud, .st = st, .dirfd = -1};
	if (c.f->host != NULL && (c.host_len = strlen(c.f->host)) > VG_ARCHIVE_MAX_HOST)
		return 0; /* no record can have it */
	size_t dl = strlen(dir);
	char *root = malloc(dl + sizeof("/archive"));
	if (root == NULL)
		return VG_ENOMEM;
	memcpy(root, dir, dl);
	memcpy(root + dl, "/archive", sizeof("/archive"));
	c.root = root;
	int r;
	if ((c.dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = errno == ENOENT ? VG_ENOTFOUND : VG_EIO;
		free(root);
		return r;
	}
	ar_seg *v;
	size_t n;
	if ((r = ar_seg_list(c.dirfd, &v, &n)) == 0) {
		for (size_t i = 0; i < n && r == 0; i++)
			if (v[i].has_vga)
				r = scan_segment(&c, &v[i], i == n - 1);
		free(v);
	}
	st->bytes_read = c.io.bytes_read;
	ar_walk_free(&c.w);
	ar_io_free(&c.io);
	close(c.dirfd);
	free(root);
	return r;
}
