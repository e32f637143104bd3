/* archive_fmt.c — encoding and validated decoding of the archive's files:
 * block headers, record payloads, segment names, header walks, index files.
 * Shared by the writer and the reader (archive_int.h); trusts nothing on disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "store/archive.h"
#include "store/archive_int.h"

void ar_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void ar_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void ar_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t ar_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t ar_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t ar_get64(const uint8_t *p)
{
	return (uint64_t)ar_get32(p) | (uint64_t)ar_get32(p + 4) << 32;
}

uint32_t ar_crc(const void *p, size_t n)
{
	/* zlib's CRC-32 is table/SIMD driven and already linked; payloads are at
	 * most AR_MAX_BLOCK compressed bytes, well inside uInt. */
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

void ar_block_encode(uint8_t out[AR_HDR], const ar_block *b)
{
	ar_put32(out, AR_BLOCK_MAGIC);
	ar_put16(out + 4, AR_VERSION);
	ar_put16(out + 6, (uint16_t)b->flags);
	ar_put32(out + 8, b->ulen);
	ar_put32(out + 12, b->clen);
	ar_put32(out + 16, b->count);
	ar_put32(out + 20, b->pcrc);
	ar_put64(out + 24, (uint64_t)b->min_ts);
	ar_put64(out + 32, (uint64_t)b->max_ts);
	ar_put32(out + 40, ar_crc(out, 40));
}

int ar_block_decode(const uint8_t in[AR_HDR], ar_block *b)
{
	if (ar_get32(in) != AR_BLOCK_MAGIC || ar_get16(in + 4) != AR_VERSION || ar_get32(in + 40) != ar_crc(in, 40))
		return VG_EPARSE;
	b->flags = ar_get16(in + 6);
	b->ulen = ar_get32(in + 8);
	b->clen = ar_get32(in + 12);
	b->count = ar_get32(in + 16);
	b->pcrc = ar_get32(in + 20);
	b->min_ts = (int64_t)ar_get64(in + 24);
	b->max_ts = (int64_t)ar_get64(in + 32);
	if ((b->flags & ~(AR_FLAG_COMMIT | AR_FLAG_META)) != 0 || b->ulen > AR_MAX_BLOCK)
		return VG_EPARSE;
	if (b->flags & AR_FLAG_META) {
		/* metadata is a commit's, never a record block's: it carries the
		 * commit flag itself, so a torn write loses the meta and the commit
		 * together */
		if (!(b->flags & AR_FLAG_COMMIT) || b->count != 0 || b->ulen > VG_ARCHIVE_MAX_META)
			return VG_EPARSE;
		if (b->ulen == 0)
			return b->clen == 0 ? 0 : VG_EPARSE;
		return b->clen != 0 && b->clen <= ZSTD_compressBound(b->ulen) ? 0 : VG_EPARSE;
	}
	/* An empty block is a bare commit marker: no payload at all. */
	if (b->count == 0)
		return b->ulen == 0 && b->clen == 0 ? 0 : VG_EPARSE;
	if (b->ulen / AR_REC_HDR < b->count || b->clen == 0 || b->clen > ZSTD_compressBound(b->ulen) ||
	    b->min_ts > b->max_ts)
		return VG_EPARSE;
	return 0;
}

int ar_payload_check(const uint8_t *p, size_t n, const ar_block *b)
{
	size_t off = 0;
	for (uint32_t i = 0; i < b->count; i++) {
		if (n - off < AR_REC_HDR)
			return VG_EPARSE;
		int64_t ts = (int64_t)ar_get64(p + off);
		size_t hl = ar_get16(p + off + 8), dl = ar_get32(p + off + 10);
		if (ts < b->min_ts || ts > b->max_ts || hl > VG_ARCHIVE_MAX_HOST || dl > VG_ARCHIVE_MAX_DOC)
			return VG_EPARSE;
		off += AR_REC_HDR;
		if (n - off < hl + dl)
			return VG_EPARSE;
		off += hl + dl;
	}
	return off == n ? 0 : VG_EPARSE;
}

void ar_rec_next(const uint8_t *p, size_t *off, ar_rec *r)
{
	const uint8_t *q = p + *off;
	r->ts = (int64_t)ar_get64(q);
	r->host_len = ar_get16(q + 8);
	r->doc_len = ar_get32(q + 10);
	r->host = q + AR_REC_HDR;
	r->doc = r->host + r->host_len;
	*off += AR_REC_HDR + r->host_len + r->doc_len;
}

void ar_seg_name(char out[AR_NAME_MAX], uint64_t seq, int64_t first_ts, const char *ext)
{
	snprintf(out, AR_NAME_MAX, "seg-%012" PRIu64 "-%" PRId64 ".%s", seq, first_ts, ext);
}

/* Strict parse of "seg-<digits>-<[-]digits>.<vga|idx>"; anything else (temp
 * files, the lock, an operator's notes) is not a segment. */
static int parse_name(const char *s, uint64_t *seq, int64_t *ts, int *is_idx)
{
	if (strncmp(s, "seg-", 4) != 0)
		return -1;
	s += 4;
	uint64_t v = 0;
	int nd = 0;
	for (; *s >= '0' && *s <= '9'; s++, nd++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (nd == 0 || *s++ != '-')
		return -1;
	int neg = *s == '-';
	s += neg;
	uint64_t t = 0;
	nd = 0;
	for (; *s >= '0' && *s <= '9'; s++, nd++) {
		if (t > (UINT64_MAX - 9) / 10)
			return -1;
		t = t * 10 + (uint64_t)(*s - '0');
	}
	if (nd == 0 || t > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	if (strcmp(s, ".vga") == 0)
		*is_idx = 0;
	else if (strcmp(s, ".idx") == 0)
		*is_idx = 1;
	else
		return -1;
	*seq = v;
	*ts = neg ? (t == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)t) : (int64_t)t;
	return 0;
}

static int seg_cmp(const void *x, const void *y)
{
	const ar_seg *a = x, *b = y;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	if (a->first_ts != b->first_ts)
		return a->first_ts < b->first_ts ? -1 : 1;
	return a->has_idx - b->has_idx;
}

int ar_seg_list(int dirfd, ar_seg **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	int fd = dup(dirfd);
	if (fd < 0)
		return VG_EIO;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return VG_EIO;
	}
	rewinddir(d);
	/* one entry per file, then sorted and merged: a segment and its index
	 * (same seq and first_ts) become one entry */
	ar_seg *v = NULL;
	size_t len = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		ar_seg s = {0};
		int is_idx;
		if (parse_name(de->d_name, &s.seq, &s.first_ts, &is_idx) != 0) {
			errno = 0;
			continue;
		}
		s.has_idx = is_idx;
		s.has_vga = !is_idx;
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 64;
			ar_seg *nv = realloc(v, nc * sizeof(*v));
			if (nv == NULL) {
				r = VG_ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		v[len++] = s;
		errno = 0;
	}
	if (r == 0 && errno != 0)
		r = VG_EIO;
	closedir(d);
	if (r != 0) {
		free(v);
		return r;
	}
	if (len > 1)
		qsort(v, len, sizeof(*v), seg_cmp);
	size_t m = 0;
	for (size_t i = 0; i < len; i++) {
		if (m > 0 && v[m - 1].seq == v[i].seq && v[m - 1].first_ts == v[i].first_ts) {
			v[m - 1].has_idx |= v[i].has_idx;
			v[m - 1].has_vga |= v[i].has_vga;
		} else {
			v[m++] = v[i];
		}
	}
	*out = v;
	*n = m;
	return 0;
}

/* Full pread: 0, VG_EIO (errno), or VG_EPARSE when the file ends early. */
static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (uint8_t *)p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return VG_EIO;
		if (r == 0)
			return VG_EPARSE;
		got += (size_t)r;
	}
	return 0;
}

int ar_walk_segment(int fd, uint64_t size, ar_walk *w)
{
	w->n = w->ncommitted = 0;
	w->committed_end = w->end = 0;
	w->bad = 0;
	uint64_t off = 0;
	while (size - off >= AR_HDR) {
		uint8_t h[AR_HDR];
		int r = pread_all(fd, h, sizeof(h), off);
		if (r == VG_EPARSE) /* the file shrank under us: a writer's rollback */
			break;
		if (r != 0)
			return r;
		ar_block b;
		if (ar_block_decode(h, &b) != 0) {
			w->bad = 1;
			break;
		}
		if (size - off - AR_HDR < b.clen) /* torn tail, or a writer mid-block */
			break;
		b.off = off;
		if (w->n == w->cap) {
			size_t nc = w->cap ? w->cap * 2 : 256;
			ar_block *nb = realloc(w->blocks, nc * sizeof(*nb));
			if (nb == NULL)
				return VG_ENOMEM;
			w->blocks = nb;
			w->cap = nc;
		}
		w->blocks[w->n++] = b;
		off += AR_HDR + b.clen;
		w->end = off;
		if (b.flags & AR_FLAG_COMMIT) {
			w->ncommitted = w->n;
			w->committed_end = off;
		}
	}
	return 0;
}

void ar_walk_free(ar_walk *w)
{
	free(w->blocks);
	w->blocks = NULL;
	w->n = w->cap = 0;
}

void ar_io_free(ar_io *io)
{
	free(io->cbuf);
	free(io->ubuf);
	ZSTD_freeDCtx(io->dctx);
	memset(io, 0, sizeof(*io));
}

static int reserve(uint8_t **p, size_t *cap, size_t n)
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

int ar_block_load(int fd, const ar_block *b, ar_io *io, const char **why)
{
	*why = NULL;
	if (b->clen == 0) /* a bare commit marker or an empty meta */
		return 0;
	if (io->dctx == NULL && (io->dctx = ZSTD_createDCtx()) == NULL)
		return VG_ENOMEM;
	if (reserve(&io->cbuf, &io->ccap, b->clen) != 0 || reserve(&io->ubuf, &io->ucap, b->ulen) != 0)
		return VG_ENOMEM;
	int r = pread_all(fd, io->cbuf, b->clen, b->off + AR_HDR);
	if (r == VG_EPARSE)
		*why = "block cut short";
	if (r != 0)
		return r;
	io->bytes_read += b->clen;
	if (ar_crc(io->cbuf, b->clen) != b->pcrc) {
		*why = "block checksum mismatch";
		return VG_EPARSE;
	}
	/* single-shot decompression into a buffer of exactly ulen: a frame that
	 * claims or produces more fails instead of allocating */
	size_t got = ZSTD_decompressDCtx(io->dctx, io->ubuf, b->ulen, io->cbuf, b->clen);
	if (ZSTD_isError(got) || got != b->ulen) {
		*why = "block does not decompress to its stated length";
		return VG_EPARSE;
	}
	if (!(b->flags & AR_FLAG_META) && ar_payload_check(io->ubuf, b->ulen, b) != 0) {
		*why = "malformed records in block";
		return VG_EPARSE;
	}
	return 0;
}

int ar_idx_read(int dirfd, const char *name, ar_idx *ix)
{
	memset(ix, 0, sizeof(*ix));
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? VG_ENOTFOUND : VG_EIO;
	struct stat st;
	int r = VG_EIO;
	if (fstat(fd, &st) != 0)
		goto out;
	r = VG_EPARSE;
	if (st.st_size < AR_IDX_HDR + 4 || st.st_size > AR_MAX_IDX)
		goto out;
	ix->len = (size_t)st.st_size;
	r = VG_ENOMEM;
	if ((ix->buf = malloc(ix->len)) == NULL)
		goto out;
	if ((r = pread_all(fd, ix->buf, ix->len, 0)) != 0)
		goto out;
	const uint8_t *p = ix->buf;
	r = VG_EPARSE;
	if (ar_get32(p) != AR_IDX_MAGIC || ar_get16(p + 4) != AR_VERSION ||
	    ar_get32(p + ix->len - 4) != ar_crc(p, ix->len - 4))
		goto out;
	ix->seg_bytes = ar_get64(p + 8);
	ix->records = ar_get64(p + 16);
	ix->min_ts = (int64_t)ar_get64(p + 24);
	ix->max_ts = (int64_t)ar_get64(p + 32);
	ix->flags = ar_get16(p + 6);
	ix->nhosts = ar_get32(p + 40);
	if (ix->min_ts > ix->max_ts)
		goto out;
	/* the host table must fill the file exactly */
	size_t off = AR_IDX_HDR, end = ix->len - 4;
	for (uint32_t i = 0; i < ix->nhosts; i++) {
		if (end - off < 10)
			goto out;
		size_t hl = ar_get16(p + off);
		if (hl > VG_ARCHIVE_MAX_HOST || end - off - 10 < hl)
			goto out;
		off += 10 + hl;
	}
	if (off != end)
		goto out;
	r = 0;
out:
	close(fd);
	if (r != 0)
		ar_idx_free(ix);
	return r;
}

void ar_idx_free(ar_idx *ix)
{
	free(ix->buf);
	memset(ix, 0, sizeof(*ix));
}

int ar_idx_host_next(const ar_idx *ix, size_t *pos, const char **name, size_t *len, int64_t *max_ts)
{
	/* pos 0 = start; ar_idx_read has validated the table's bounds */
	size_t off = *pos == 0 ? AR_IDX_HDR : *pos;
	if (off >= ix->len - 4)
		return 0;
	*len = ar_get16(ix->buf + off);
	*max_ts = (int64_t)ar_get64(ix->buf + off + 2);
	*name = (const char *)ix->buf + off + 10;
	*pos = off + 10 + *len;
	return 1;
}
