/* reader.c — input framing (see reader.h): a line source over zlib's gzread
 * (which reads plain files transparently), and three framers that copy whole
 * records into a batch buffer. Lines are framed in place where they can be:
 * read into the batch's own buffer (see frame_lines_inplace). */
#include "scan/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/limits.h"
#include "core/timeparse.h"
#include "scan/newline.h"

/* One read is one batch of lines when the batch's record cap is not reached
 * first (scan.c: 8192 records; ~4,000 lines of ~130 bytes fill a read): only
 * the unfinished last line is copied into the next batch. */
#define READ_CHUNK (512 * 1024)
#define DETECT_LINES 20
#define NL_BLOCK VG_NL_BLOCK /* bytes whose newlines are found at a time (frame_lines_inplace) */

struct vg_reader {
	gzFile gz;
	char *buf;
	size_t cap, start, end;
	int eof;
	uint64_t nread;   /* bytes read from the input (after decompression) */
	uint64_t lineno;  /* number of the next line to come */
	int skipping;     /* dropping the tail of an over-long line */
	uint64_t truncated;
	const vg_parser *parser;
	int year_hint;
	/* pushback / resume state */
	size_t prev_start;
	uint64_t prev_lineno;
	int prev_skipping;
	/* JSON: unconsumed rest of a line after a document ended mid-line */
	size_t rest_off, rest_len;
	uint64_t rest_line;
	int have_rest;
	vg_nl_scan_fn nl_scan; /* the newline finder for this CPU */
};

static int fill(vg_reader *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->prev_start = r->prev_start >= r->start ? r->prev_start - r->start : 0;
		r->start = 0;
	}
	while (!r->eof && r->end < r->cap) {
		size_t want = r->cap - r->end;
		if (want > (size_t)INT32_MAX)
			want = INT32_MAX;
		int n = gzread(r->gz, r->buf + r->end, (unsigned)want);
		if (n < 0) {
			int e;
			(void)gzerror(r->gz, &e);
			if (e != Z_ERRNO)
				errno = EILSEQ; /* corrupt compressed data */
			return VG_EIO;
		}
		if (n == 0) {
			r->eof = 1;
			break;
		}
		r->end += (size_t)n;
		r->nread += (size_t)n;
		if ((size_t)n < want)
			break; /* a pipe: hand on what we have */
	}
	return 0;
}

/* Next line (without its newline and a trailing CR): 1 with the slice and
 * line number set, 0 at
 * end, <0 on error. The slice is valid until the next call. */
static inline __attribute__((always_inline)) int next_line(vg_reader *r, const char **p, size_t *n, uint64_t *line)
{
	for (;;) {
		char *s = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(s, '\n', avail);
		if (nl != NULL || (r->eof && avail > 0)) {
			size_t len = nl != NULL ? (size_t)(nl - s) : avail;
			r->prev_start = r->start;
			r->prev_lineno = r->lineno;
			r->prev_skipping = r->skipping;
			r->start += nl != NULL ? len + 1 : len;
			if (r->skipping) {
				/* the tail of an over-long line already handed out */
				r->skipping = 0;
				r->lineno++;
				continue;
			}
			*line = r->lineno++;
			if (len > 0 && s[len - 1] == '\r')
				len--;
			if (len > VG_MAX_LINE) {
				len = VG_MAX_LINE;
				r->truncated++;
			}
			*p = s;
			*n = len;
			return 1;
		}
		if (r->eof)
			return 0;
		if (avail >= VG_MAX_LINE) {
			r->prev_start = r->start;
			r->prev_lineno = r->lineno;
			r->prev_skipping = r->skipping;
			r->start = r->end;
			if (r->skipping)
				continue;
			/* hand out the head now; its tail is skipped up to the newline */
			r->skipping = 1;
			r->truncated++;
			*p = s;
			*n = VG_MAX_LINE;
			*line = r->lineno;
			return 1;
		}
		if (fill(r) != 0)
			return VG_EIO;
	}
}

static void push_back(vg_reader *r)
{
	r->start = r->prev_start;
	r->lineno = r->prev_lineno;
	r->skipping = r->prev_skipping;
}

static int is_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static const vg_parser *detect(vg_reader *r)
{
	const char *lines[DETECT_LINES];
	size_t lens[DETECT_LINES], k = 0, pos = r->start;
	while (k < DETECT_LINES && pos < r->end) {
		char *nl = memchr(r->buf + pos, '\n', r->end - pos);
		size_t len = nl != NULL ? (size_t)(nl - (r->buf + pos)) : r->end - pos;
		if (len > VG_MAX_LINE)
			len = VG_MAX_LINE;
		if (!is_blank(r->buf + pos, len)) {
			lines[k] = r->buf + pos;
			lens[k++] = len;
		}
		if (nl == NULL)
			break;
		pos = (size_t)(nl - r->buf) + 1;
	}
	return k > 0 ? vg_parser_detect(lines, lens, k) : NULL;
}

vg_reader *vg_reader_open(const char *path, const vg_parser *forced, int *err)
{
	vg_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		*err = VG_ENOMEM;
		return NULL;
	}
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto eio;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		goto eio;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		goto eio;
	}
	/* RFC 3164 stamps carry no year: assume the file's modification year. */
	r->year_hint = vg_year_of(S_ISREG(st.st_mode) ? (int64_t)st.st_mtime * 1000000 : (int64_t)time(NULL) * 1000000);
	if ((r->gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		*err = VG_ENOMEM;
		goto fail;
	}
	/* zlib copies a plain file through this buffer for reads shorter than
	 * twice its size and reads straight into ours for longer ones: fill's
	 * reads are longer (at least half of READ_CHUNK) */
	gzbuffer(r->gz, 64 * 1024);
	r->cap = READ_CHUNK + VG_MAX_LINE;
	if ((r->buf = malloc(r->cap)) == NULL) {
		*err = VG_ENOMEM;
		goto fail;
	}
	r->lineno = 1;
	r->nl_scan = vg_nl_scanner();
	if (fill(r) != 0)
		goto eio;
	r->parser = forced != NULL ? forced : detect(r);
	return r;
eio:
	*err = VG_EIO;
fail:
	{
		int e = errno;
		vg_reader_close(r);
		errno = e;
	}
	return NULL;
}

void vg_reader_close(vg_reader *r)
{
	if (r == NULL)
		return;
	if (r->gz != NULL)
		gzclose(r->gz);
	free(r->buf);
	free(r);
}

const vg_parser *vg_reader_parser(const vg_reader *r)
{
	return r->parser;
}

uint64_t vg_reader_truncated(const vg_reader *r)
{
	return r->truncated;
}

void vg_batch_init(vg_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void vg_batch_clear(vg_batch *b)
{
	free(b->buf);
	free(b->recs);
	vg_batch_init(b);
}

static int grow(vg_batch *b, size_t more)
{
	if (b->cap - b->len >= more)
		return 0;
	size_t nc = b->cap ? b->cap : 64 * 1024;
	while (nc - b->len < more)
		nc *= 2;
	char *nb = realloc(b->buf, nc);
	if (nb == NULL)
		return VG_ENOMEM;
	b->buf = nb;
	b->cap = nc;
	return 0;
}

static inline int append(vg_batch *b, const char *p, size_t n)
{
	if (grow(b, n) != 0)
		return VG_ENOMEM;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

/* Records room for at least one more: the capacity doubled. */
static int grow_recs(vg_batch *b)
{
	size_t nc = b->cap_recs ? b->cap_recs * 2 : 1024;
	vg_record *nr = realloc(b->recs, nc * sizeof(*nr));
	if (nr == NULL)
		return VG_ENOMEM;
	b->recs = nr;
	b->cap_recs = nc;
	return 0;
}

static inline int add_record(vg_batch *b, size_t off, uint64_t line)
{
	if (b->nrecs == b->cap_recs && grow_recs(b) != 0)
		return VG_ENOMEM;
	b->recs[b->nrecs++] = (vg_record){.off = off, .len = b->len - off, .line = line};
	return 0;
}

/* The line buf[*start, nl) into recs[*nrecs] unless it is blank (lines
 * counted either way); next: where the line after it starts. 0 when it is too
 * long to frame in place (left for frame_lines). */
static inline __attribute__((always_inline)) int frame_one(const char *buf, size_t *start, size_t nl, size_t next,
							   vg_record *recs, size_t *nrecs, uint64_t *lineno)
{
	const char *s = buf + *start;
	size_t n = nl - *start;
	size_t k = n > 0 && s[n - 1] == '\r' ? n - 1 : n;
	if (k > VG_MAX_LINE)
		return 0;
	/* most lines start above ' ': not blank, settled with one compare */
	if (k != 0 && ((unsigned char)s[0] > ' ' || !((s[0] == ' ' || s[0] == '\t' || s[0] == '\r') && is_blank(s, k))))
		recs[(*nrecs)++] = (vg_record){.off = *start, .len = k, .line = *lineno};
	(*lineno)++;
	*start = next;
	return 1;
}


/* Lines framed where they were read, for a batch that starts empty: the
 * batch's own buffer becomes the read buffer for the batch (what the reader
 * has not framed yet, normally part of a line, is moved into it), the read
 * fills it and the records point into it; then what is left is moved back
 * into the reader's buffer. The bytes are not copied, and a batch's buffer is
 * always its own: written by the read of the thread that then processes it,
 * into memory that thread used before. (A large unframed rest, as the first
 * read of a file leaves, is not copied either: the buffers are exchanged.)
 * Handles whole lines up to VG_MAX_LINE;
 * it stops at anything else (an over-long line, a line longer than the
 * buffer) and leaves it to frame_lines. Returns 1 when the batch holds
 * records, 0 when it holds none (blank lines may have been passed), <0 on
 * error. */
static int frame_lines_inplace(vg_reader *r, vg_batch *b, size_t max_records, size_t max_bytes)
{
	if (r->skipping || b->len != 0 || b->nrecs != 0)
		return 0;
	char *spare = NULL; /* a buffer of the reader's capacity for the reader to keep */
	if (b->cap < r->cap) {
		free(b->buf);
		b->buf = NULL;
		b->cap = 0;
		if ((spare = malloc(r->cap)) == NULL)
			return VG_ENOMEM;
	} else {
		spare = b->buf;
	}
	/* the batch's buffer in, the reader's out; reads stop at the reader's
	 * capacity, so what is left fits back into its buffer */
	char *own = r->buf;
	size_t pending = r->end - r->start;
	if (r->start == 0 && pending >= READ_CHUNK / 4) {
		/* exchanged, not copied */
		own = spare;
	} else {
		memcpy(spare, own + r->start, pending);
		r->buf = spare;
	}
	b->buf = r->buf;
	b->cap = r->cap;
	r->end = pending;
	r->start = r->prev_start = 0;
	int rc = 0;
	if (!r->eof && r->end < r->cap / 2)
		rc = fill(r);
	const char *const buf = r->buf;
	const size_t end = r->end;
	size_t start = 0, nrecs = 0;
	uint64_t lineno = r->lineno;
	vg_record *recs = b->recs;
	/* one compare per line for both the record cap and the room for records */
	size_t lim = b->cap_recs < max_records ? b->cap_recs : max_records;
	const size_t stop = max_bytes < end ? max_bytes : end;
	/* a block's newlines, then its lines; the last line of the input may
	 * have no newline */
	uint16_t offs[NL_BLOCK];
	for (size_t cb = 0; rc == 0 && cb < end && start < stop; cb += NL_BLOCK) {
		size_t cn = end - cb < NL_BLOCK ? end - cb : NL_BLOCK;
		size_t k = r->nl_scan(buf + cb, cn, offs);
		for (size_t i = 0; i < k; i++) {
			if (start >= stop)
				goto done;
			if (nrecs == lim) {
				if (nrecs >= max_records || (rc = grow_recs(b)) != 0)
					goto done;
				recs = b->recs;
				lim = b->cap_recs < max_records ? b->cap_recs : max_records;
			}
			size_t nl = cb + offs[i];
			if (!frame_one(buf, &start, nl, nl + 1, recs, &nrecs, &lineno))
				goto done;
		}
	}
	if (rc == 0 && r->eof && start < stop) {
		if (nrecs == lim && nrecs < max_records && (rc = grow_recs(b)) == 0)
			lim = b->cap_recs < max_records ? b->cap_recs : max_records;
		if (rc == 0 && nrecs < lim)
			(void)frame_one(buf, &start, end, end, b->recs, &nrecs, &lineno);
	}
done:;
	/* the rest back into the reader's buffer; the batch keeps its own */
	size_t rest = end - start;
	memcpy(own, buf + start, rest);
	r->buf = own;
	r->start = r->prev_start = 0;
	r->end = rest;
	r->lineno = r->prev_lineno = lineno;
	r->prev_skipping = 0;
	if (rc != 0)
		return rc;
	b->len = nrecs > 0 ? start : 0;
	b->nrecs = nrecs;
	return nrecs > 0;
}

/* Lines copied one at a time, for a batch frame_lines_inplace framed no
 * record of: it starts at an over-long line or at a line not yet whole in the
 * buffer (a pipe), the read held only blank lines, or the input has ended.
 * Rare, so next_line's cost per line does not matter here. */
static int frame_lines(vg_reader *r, vg_batch *b, size_t max_records, size_t max_bytes)
{
	const char *p;
	size_t n;
	uint64_t line;
	int rc = 0;
	while (b->nrecs < max_records && b->len < max_bytes && (rc = next_line(r, &p, &n, &line)) == 1) {
		if (is_blank(p, n))
			continue;
		size_t off = b->len;
		if (append(b, p, n) != 0 || add_record(b, off, line) != 0)
			return VG_ENOMEM;
	}
	return rc < 0 ? rc : 0;
}

static int frame_audit(vg_reader *r, vg_batch *b, size_t max_records, size_t max_bytes)
{
	const char *p;
	size_t n;
	uint64_t line, first = 0;
	unsigned long long cur = 0, s;
	size_t off = 0, nlines = 0;
	int rc;
	while ((rc = next_line(r, &p, &n, &line)) == 1) {
		if (is_blank(p, n))
			continue;
		int has = vg_audit_serial(p, n, &s) == 0;
		if (nlines > 0 && (!has || s != cur || nlines >= VG_MAX_AUDIT_LINES || b->len - off + n > VG_MAX_RECORD)) {
			if (add_record(b, off, first) != 0)
				return VG_ENOMEM;
			nlines = 0;
			if (b->nrecs >= max_records || b->len >= max_bytes) {
				push_back(r);
				return 0;
			}
		}
		if (nlines == 0) {
			off = b->len;
			first = line;
			cur = has ? s : 0;
		} else if (append(b, "\n", 1) != 0) {
			return VG_ENOMEM;
		}
		if (append(b, p, n) != 0)
			return VG_ENOMEM;
		nlines++;
		if (!has || (n >= 8 && memcmp(p, "type=EOE", 8) == 0)) {
			if (add_record(b, off, first) != 0)
				return VG_ENOMEM;
			nlines = 0;
			if (b->nrecs >= max_records || b->len >= max_bytes)
				return 0;
		}
	}
	if (rc < 0)
		return rc;
	if (nlines > 0 && add_record(b, off, first) != 0)
		return VG_ENOMEM;
	return 0;
}

/* JSON documents: brace depth outside strings. Between documents, whitespace
 * and the '[' ',' ']' of a top-level array are skipped; any other text up to
 * the end of its line becomes a record of its own (it will be a raw event). */
struct jstate {
	int depth, in_str, esc, copying;
	size_t off; /* record start in the batch */
	uint64_t line;
};

static int frame_json(vg_reader *r, vg_batch *b, size_t max_records, size_t max_bytes)
{
	struct jstate j = {0};
	const char *p;
	size_t n;
	uint64_t line;
	int rc = 1;
	for (;;) {
		if (r->have_rest) {
			p = r->buf + r->rest_off;
			n = r->rest_len;
			line = r->rest_line;
			r->have_rest = 0;
		} else {
			if ((rc = next_line(r, &p, &n, &line)) != 1)
				break;
			if (j.depth > 0 && j.copying && append(b, "\n", 1) != 0)
				return VG_ENOMEM;
		}
		size_t i = 0, seg = 0; /* seg: start of the part of this line being copied */
		while (i < n) {
			char c = p[i];
			if (j.depth == 0) {
				if (c == ' ' || c == '\t' || c == '\r' || c == '[' || c == ',' || c == ']') {
					i++;
					continue;
				}
				if (n - i >= 3 && memcmp(p + i, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 byte-order mark */
					i += 3;
					continue;
				}
				if (c != '{') {
					/* not JSON: the rest of the line is one raw record */
					size_t off = b->len;
					if (append(b, p + i, n - i) != 0 || add_record(b, off, line) != 0)
						return VG_ENOMEM;
					i = n;
					break;
				}
				j = (struct jstate){.depth = 0, .copying = 1, .off = b->len, .line = line};
				seg = i;
			}
			if (j.in_str) {
				if (j.esc)
					j.esc = 0;
				else if (c == '\\')
					j.esc = 1;
				else if (c == '"')
					j.in_str = 0;
			} else if (c == '"') {
				j.in_str = 1;
			} else if (c == '{' || c == '[') {
				j.depth++;
			} else if (c == '}' || c == ']') {
				j.depth--;
			}
			i++;
			if (j.depth == 0) {
				/* document complete */
				if (j.copying && append(b, p + seg, i - seg) != 0)
					return VG_ENOMEM;
				if (add_record(b, j.off, j.line) != 0)
					return VG_ENOMEM;
				j.copying = 0;
				if (b->nrecs >= max_records || b->len >= max_bytes) {
					if (i < n) {
						r->have_rest = 1;
						r->rest_off = (size_t)(p + i - r->buf);
						r->rest_len = n - i;
						r->rest_line = line;
					}
					return 0;
				}
				seg = i;
			}
		}
		if (j.depth > 0 && j.copying) {
			if (b->len - j.off + (n - seg) > VG_MAX_RECORD) {
				/* too large: keep what fits as a (raw) record, skip the rest */
				r->truncated++;
				j.copying = 0;
			} else if (append(b, p + seg, n - seg) != 0) {
				return VG_ENOMEM;
			}
		}
	}
	if (rc < 0)
		return rc;
	if (j.depth > 0 && add_record(b, j.off, j.line) != 0) /* unterminated at end of input */
		return VG_ENOMEM;
	return 0;
}

int vg_reader_next(vg_reader *r, vg_batch *b, size_t max_records, size_t max_bytes)
{
	b->len = 0;
	b->nrecs = 0;
	/* input consumed: read, less what waits in the buffer */
	uint64_t before = r->nread - (r->end - r->start);
	b->parser = r->parser;
	b->year_hint = r->year_hint;
	enum vg_framing fr = r->parser != NULL ? r->parser->framing : VG_FRAME_LINE;
	int rc;
	switch (fr) {
	case VG_FRAME_JSON: rc = frame_json(r, b, max_records, max_bytes); break;
	case VG_FRAME_AUDIT: rc = frame_audit(r, b, max_records, max_bytes); break;
	default:
		if ((rc = frame_lines_inplace(r, b, max_records, max_bytes)) == 0)
			rc = frame_lines(r, b, max_records, max_bytes);
		break;
	}
	b->bytes_in = r->nread - (r->end - r->start) - before;
	if (rc < 0)
		return rc;
	return b->nrecs > 0;
}
