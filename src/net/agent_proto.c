/* agent_proto.c — the agent<->server wire codec (see agent_proto.h and
 * docs/protocol.md): varints, frame encoders, the strict frame parser, the
 * zstd BATCH builder and decoder, the stream framer and the record codec.
 * Every read from the wire goes through one bounded reader (struct rd). */
#include "net/agent_proto.h"

#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#define VARINT_MAX 10

/* ---- varints and the bounded reader ---- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static uint64_t zigzag(int64_t v)
{
	uint64_t u = (uint64_t)v;
	return (u << 1) ^ (0 - (u >> 63));
}

static int64_t unzigzag(uint64_t u)
{
	return (int64_t)((u >> 1) ^ (0 - (u & 1)));
}

struct rd {
	const uint8_t *p;
	size_t len, pos;
};

/* Unsigned LEB128: at most 10 bytes, the 10th only 0 or 1 (2^64 - 1 is the
 * largest value), and no overlong form (a final 0 byte after others). */
static int rd_varint(struct rd *r, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < VARINT_MAX; i++) {
		if (r->pos >= r->len)
			return VG_EPARSE;
		uint8_t c = r->p[r->pos++];
		if (i == VARINT_MAX - 1 && c > 1)
			return VG_EPARSE;
		v |= (uint64_t)(c & 0x7f) << (7 * i);
		if ((c & 0x80) == 0) {
			if (c == 0 && i > 0)
				return VG_EPARSE;
			*out = v;
			return 0;
		}
	}
	return VG_EPARSE; /* unreachable: the 10th byte has no continuation bit */
}

static int rd_u8(struct rd *r, uint8_t *out)
{
	if (r->pos >= r->len)
		return VG_EPARSE;
	*out = r->p[r->pos++];
	return 0;
}

/* A string of at most max bytes: VG_ELIMIT past max, VG_EPARSE if the body
 * ends first. */
static int rd_str(struct rd *r, size_t max, vg_ap_str *s)
{
	uint64_t n;
	int rc = rd_varint(r, &n);
	if (rc != 0)
		return rc;
	if (n > max)
		return VG_ELIMIT;
	if (n > r->len - r->pos)
		return VG_EPARSE;
	s->p = (const char *)r->p + r->pos;
	s->len = (size_t)n;
	r->pos += (size_t)n;
	return 0;
}

/* ---- field checks (shared by encoders and the parser) ---- */

static int check_host(const char *p, size_t n, int bad)
{
	if (n == 0)
		return bad;
	if (n > VG_AP_MAX_HOST)
		return VG_ELIMIT;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return bad;
	}
	return 0;
}

static int check_printable(const char *p, size_t n, size_t max, int bad)
{
	if (n == 0)
		return bad;
	if (n > max)
		return VG_ELIMIT;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return bad;
	return 0;
}

/* ---- small frames, built on the stack and appended in one piece ---- */

/* Largest small frame: ERROR with a 512-byte message, HELLO with 253 + 64. */
#define SMALL_FRAME 1024

struct wr {
	uint8_t b[SMALL_FRAME];
	size_t len;
};

static void wr_begin(struct wr *w, uint8_t type)
{
	w->len = 4;
	w->b[w->len++] = type;
}

static void wr_varint(struct wr *w, uint64_t v)
{
	w->len += put_varint(w->b + w->len, v);
}

static void wr_str(struct wr *w, const char *p, size_t n)
{
	wr_varint(w, n);
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int wr_end(struct wr *w, vg_buf *out)
{
	put_be32(w->b, (uint32_t)(w->len - 4));
	return vg_buf_append(out, w->b, w->len);
}

int vg_ap_hello_encode(vg_buf *out, const char *hostname, const char *agent_version)
{
	if (out == NULL || hostname == NULL || agent_version == NULL)
		return VG_EINVAL;
	size_t hl = strnlen(hostname, VG_AP_MAX_HOST + 1), vl = strnlen(agent_version, VG_AP_MAX_AGENT_VERSION + 1);
	int rc;
	if ((rc = check_host(hostname, hl, VG_EINVAL)) != 0 ||
	    (rc = check_printable(agent_version, vl, VG_AP_MAX_AGENT_VERSION, VG_EINVAL)) != 0)
		return rc;
	struct wr w;
	wr_begin(&w, VG_AP_HELLO);
	wr_varint(&w, VG_AP_VERSION);
	wr_str(&w, hostname, hl);
	wr_str(&w, agent_version, vl);
	return wr_end(&w, out);
}

static int seq_frame(vg_buf *out, uint8_t type, uint64_t seq)
{
	if (out == NULL)
		return VG_EINVAL;
	struct wr w;
	wr_begin(&w, type);
	wr_varint(&w, seq);
	return wr_end(&w, out);
}

int vg_ap_welcome_encode(vg_buf *out, uint64_t acked_seq)
{
	return seq_frame(out, VG_AP_WELCOME, acked_seq);
}

int vg_ap_ack_encode(vg_buf *out, uint64_t seq)
{
	return seq_frame(out, VG_AP_ACK, seq);
}

int vg_ap_error_encode(vg_buf *out, const char *message)
{
	if (out == NULL || message == NULL)
		return VG_EINVAL;
	size_t n = strnlen(message, VG_AP_MAX_MSG + 1);
	int rc = check_printable(message, n, VG_AP_MAX_MSG, VG_EINVAL);
	if (rc != 0)
		return rc;
	struct wr w;
	wr_begin(&w, VG_AP_ERROR);
	wr_str(&w, message, n);
	return wr_end(&w, out);
}

/* ---- the frame parser ---- */

int vg_ap_msg_parse(const uint8_t *body, size_t len, vg_ap_msg *m)
{
	if (m == NULL || (body == NULL && len != 0))
		return VG_EINVAL;
	memset(m, 0, sizeof(*m));
	if (len == 0)
		return VG_EPARSE;
	if (len > VG_AP_MAX_FRAME)
		return VG_ELIMIT;
	struct rd r = {body, len, 0};
	int rc;
	if ((rc = rd_u8(&r, &m->type)) != 0)
		return rc;
	switch (m->type) {
	case VG_AP_HELLO:
		if ((rc = rd_varint(&r, &m->version)) != 0)
			return rc;
		/* another version may lay out the rest differently: stop here */
		if (m->version != VG_AP_VERSION)
			return VG_EUNSUPPORTED;
		if ((rc = rd_str(&r, VG_AP_MAX_HOST, &m->hostname)) != 0 ||
		    (rc = check_host(m->hostname.p, m->hostname.len, VG_EPARSE)) != 0 ||
		    (rc = rd_str(&r, VG_AP_MAX_AGENT_VERSION, &m->agent_version)) != 0 ||
		    (rc = check_printable(m->agent_version.p, m->agent_version.len, VG_AP_MAX_AGENT_VERSION,
					  VG_EPARSE)) != 0)
			return rc;
		break;
	case VG_AP_BATCH:
		if ((rc = rd_varint(&r, &m->first_seq)) != 0 || (rc = rd_varint(&r, &m->count)) != 0 ||
		    (rc = rd_varint(&r, &m->raw_len)) != 0)
			return rc;
		if (m->first_seq == 0 || m->count == 0 || m->raw_len == 0)
			return VG_EPARSE;
		if (m->count > VG_AP_MAX_BATCH_RECORDS || m->raw_len > VG_AP_MAX_BATCH_RAW)
			return VG_ELIMIT;
		if (r.pos == r.len)
			return VG_EPARSE; /* no zstd frame */
		m->zdata = r.p + r.pos;
		m->zlen = r.len - r.pos;
		r.pos = r.len;
		break;
	case VG_AP_WELCOME:
	case VG_AP_ACK:
		if ((rc = rd_varint(&r, &m->seq)) != 0)
			return rc;
		break;
	case VG_AP_ERROR:
		if ((rc = rd_str(&r, VG_AP_MAX_MSG, &m->message)) != 0 ||
		    (rc = check_printable(m->message.p, m->message.len, VG_AP_MAX_MSG, VG_EPARSE)) != 0)
			return rc;
		break;
	default:
		return VG_EPARSE;
	}
	return r.pos == r.len ? 0 : VG_EPARSE;
}

/* ---- BATCH builder ---- */

/* A raw buffer above this is released after finish rather than kept. */
#define KEEP_RAW (4u * 1024 * 1024)

struct vg_ap_batch_builder {
	vg_buf raw; /* count x (delta, len, payload) */
	uint64_t first_seq, last_seq;
	size_t count;
	int level;
	ZSTD_CCtx *cctx;
};

vg_ap_batch_builder *vg_ap_batch_builder_new(int zstd_level)
{
	vg_ap_batch_builder *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	if ((b->cctx = ZSTD_createCCtx()) == NULL) {
		free(b);
		return NULL;
	}
	if (zstd_level == 0)
		zstd_level = 1;
	if (zstd_level < ZSTD_minCLevel())
		zstd_level = ZSTD_minCLevel();
	if (zstd_level > ZSTD_maxCLevel())
		zstd_level = ZSTD_maxCLevel();
	b->level = zstd_level;
	return b;
}

void vg_ap_batch_builder_free(vg_ap_batch_builder *b)
{
	if (b == NULL)
		return;
	vg_buf_free(&b->raw);
	ZSTD_freeCCtx(b->cctx);
	free(b);
}

static void builder_reset(vg_ap_batch_builder *b)
{
	if (b->raw.cap > KEEP_RAW)
		vg_buf_free(&b->raw);
	b->raw.len = 0;
	b->count = 0;
	b->first_seq = b->last_seq = 0;
}

int vg_ap_batch_add(vg_ap_batch_builder *b, uint64_t seq, const void *payload, size_t len)
{
	if (b == NULL || seq == 0 || (b->count > 0 && seq <= b->last_seq) || (payload == NULL && len != 0))
		return VG_EINVAL;
	if (b->count >= VG_AP_MAX_BATCH_RECORDS || len > VG_AP_MAX_BATCH_RAW)
		return VG_ELIMIT;
	uint8_t hdr[2 * VARINT_MAX];
	size_t h = put_varint(hdr, b->count > 0 ? seq - b->last_seq : 1);
	h += put_varint(hdr + h, len);
	if (h + len > VG_AP_MAX_BATCH_RAW - b->raw.len)
		return VG_ELIMIT;
	if (vg_buf_reserve(&b->raw, h + len) != 0)
		return VG_ENOMEM;
	memcpy(b->raw.data + b->raw.len, hdr, h);
	if (len != 0)
		memcpy(b->raw.data + b->raw.len + h, payload, len);
	b->raw.len += h + len;
	if (b->count == 0)
		b->first_seq = seq;
	b->last_seq = seq;
	b->count++;
	return 0;
}

size_t vg_ap_batch_records(const vg_ap_batch_builder *b)
{
	return b != NULL ? b->count : 0;
}

size_t vg_ap_batch_raw_bytes(const vg_ap_batch_builder *b)
{
	return b != NULL ? b->raw.len : 0;
}

/* On VG_ENOMEM the batch is kept (retry); on VG_ELIMIT it can never be sent
 * and is reset: the caller rebuilds it from fewer records. */
int vg_ap_batch_finish(vg_ap_batch_builder *b, vg_buf *out)
{
	if (b == NULL || out == NULL || b->count == 0)
		return VG_EINVAL;
	uint8_t hdr[4 + 1 + 3 * VARINT_MAX];
	size_t h = 4;
	hdr[h++] = VG_AP_BATCH;
	h += put_varint(hdr + h, b->first_seq);
	h += put_varint(hdr + h, b->count);
	h += put_varint(hdr + h, b->raw.len);
	/* compress in place into out, never past the frame bound */
	size_t room = VG_AP_MAX_FRAME - (h - 4), bound = ZSTD_compressBound(b->raw.len);
	size_t cap = bound < room ? bound : room;
	if (vg_buf_reserve(out, h + cap) != 0)
		return VG_ENOMEM;
	uint8_t *dst = (uint8_t *)out->data + out->len;
	size_t z = ZSTD_compressCCtx(b->cctx, dst + h, cap, b->raw.data, b->raw.len, b->level);
	if (ZSTD_isError(z)) {
		ZSTD_ErrorCode e = ZSTD_getErrorCode(z);
		if (e == ZSTD_error_memory_allocation)
			return VG_ENOMEM;
		builder_reset(b);
		return e == ZSTD_error_dstSize_tooSmall ? VG_ELIMIT : VG_EINVAL;
	}
	put_be32(hdr, (uint32_t)(h - 4 + z));
	memcpy(dst, hdr, h);
	out->len += h + z;
	builder_reset(b);
	return 0;
}

/* ---- BATCH decoder ---- */

/* A decompression buffer above this is given back when a much smaller batch
 * follows, so one huge batch does not pin its memory for the session. */
#define KEEP_DECODE (4u * 1024 * 1024)

struct vg_ap_batch_decoder {
	ZSTD_DCtx *dctx;
	uint8_t *buf;
	size_t cap;
};

vg_ap_batch_decoder *vg_ap_batch_decoder_new(void)
{
	vg_ap_batch_decoder *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	if ((d->dctx = ZSTD_createDCtx()) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void vg_ap_batch_decoder_free(vg_ap_batch_decoder *d)
{
	if (d == NULL)
		return;
	ZSTD_freeDCtx(d->dctx);
	free(d->buf);
	free(d);
}

/* Walks count records of raw[0..len). With fn NULL it only validates; the
 * caller validates first so fn never sees part of a bad batch. */
static int walk(const uint8_t *raw, size_t len, uint64_t first_seq, uint64_t count, vg_ap_record_fn fn, void *ud)
{
	struct rd r = {raw, len, 0};
	uint64_t seq = first_seq - 1;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t delta, n;
		if (rd_varint(&r, &delta) != 0 || rd_varint(&r, &n) != 0)
			return VG_EPARSE;
		if (delta == 0 || delta > UINT64_MAX - seq || n > r.len - r.pos)
			return VG_EPARSE;
		seq += delta;
		if (fn != NULL) {
			int rc = fn(ud, seq, r.p + r.pos, (size_t)n);
			if (rc != 0)
				return rc;
		}
		r.pos += (size_t)n;
	}
	return r.pos == r.len ? 0 : VG_EPARSE;
}

int vg_ap_batch_decode(vg_ap_batch_decoder *d, const vg_ap_msg *m, vg_ap_record_fn fn, void *ud)
{
	if (d == NULL || m == NULL || m->type != VG_AP_BATCH)
		return VG_EINVAL;
	if (m->first_seq == 0 || m->count == 0 || m->raw_len == 0 || m->zdata == NULL || m->zlen == 0)
		return VG_EPARSE;
	if (m->count > VG_AP_MAX_BATCH_RECORDS || m->raw_len > VG_AP_MAX_BATCH_RAW)
		return VG_ELIMIT;
	size_t raw_len = (size_t)m->raw_len;
	/* exactly one zstd frame, whose declared size (if any) is raw_len */
	unsigned long long fcs = ZSTD_getFrameContentSize(m->zdata, m->zlen);
	if (fcs == ZSTD_CONTENTSIZE_ERROR || (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != m->raw_len))
		return VG_EPARSE;
	size_t fsz = ZSTD_findFrameCompressedSize(m->zdata, m->zlen);
	if (ZSTD_isError(fsz) || fsz != m->zlen)
		return VG_EPARSE;
	if (raw_len > d->cap || (d->cap > KEEP_DECODE && raw_len < d->cap / 4)) {
		free(d->buf); /* nothing to keep: no realloc copy */
		d->cap = 0;
		if ((d->buf = malloc(raw_len)) == NULL)
			return VG_ENOMEM;
		d->cap = raw_len;
	}
	/* the output is bounded by raw_len: a bomb fails with dstSize_tooSmall */
	size_t n = ZSTD_decompressDCtx(d->dctx, d->buf, raw_len, m->zdata, m->zlen);
	if (ZSTD_isError(n))
		return ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation ? VG_ENOMEM : VG_EPARSE;
	if (n != raw_len)
		return VG_EPARSE;
	int rc = walk(d->buf, raw_len, m->first_seq, m->count, NULL, NULL);
	if (rc != 0 || fn == NULL)
		return rc;
	return walk(d->buf, raw_len, m->first_seq, m->count, fn, ud);
}

/* ---- framer ---- */

/* The body buffer starts at this size (or the frame's, if smaller) and
 * doubles as bytes arrive, so a peer that declares 8 MiB and sends nothing
 * costs little. */
#define FRAME_CHUNK (64u * 1024)

enum fr_state { FR_HDR, FR_BODY, FR_READY, FR_FAILED };

struct vg_ap_framer {
	size_t max;
	enum fr_state state;
	int err;
	uint8_t hdr[4];
	size_t hlen;
	uint8_t *body;
	size_t cap, want, got;
};

vg_ap_framer *vg_ap_framer_new(size_t max_frame)
{
	vg_ap_framer *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->max = max_frame != 0 ? max_frame : VG_AP_MAX_FRAME;
	if (f->max > UINT32_MAX)
		f->max = UINT32_MAX;
	return f;
}

void vg_ap_framer_free(vg_ap_framer *f)
{
	if (f == NULL)
		return;
	free(f->body);
	free(f);
}

static int fr_fail(vg_ap_framer *f, int err)
{
	f->state = FR_FAILED;
	f->err = err;
	return err;
}

/* Grows the body buffer toward want, doubling. */
static int fr_grow(vg_ap_framer *f)
{
	size_t nc = f->cap < FRAME_CHUNK / 2 ? FRAME_CHUNK : f->cap * 2;
	if (nc > f->want)
		nc = f->want;
	uint8_t *nb = realloc(f->body, nc);
	if (nb == NULL)
		return fr_fail(f, VG_ENOMEM);
	f->body = nb;
	f->cap = nc;
	return 0;
}

static size_t fr_cap(const vg_ap_framer *f)
{
	switch (f->state) {
	case FR_HDR:
		return 4 - f->hlen;
	case FR_BODY:
		return (f->cap < f->want ? f->cap : f->want) - f->got;
	default:
		return 0;
	}
}

/* *cap is 0 while a whole frame waits for vg_ap_framer_next, and after an
 * error (vg_ap_framer_commit returns it). */
uint8_t *vg_ap_framer_space(vg_ap_framer *f, size_t *cap)
{
	*cap = fr_cap(f);
	if (f->state == FR_BODY)
		return f->body + f->got;
	return f->hdr + (f->state == FR_HDR ? f->hlen : 0);
}

int vg_ap_framer_commit(vg_ap_framer *f, size_t n)
{
	if (f->state == FR_FAILED)
		return f->err;
	if (n > fr_cap(f))
		return VG_EINVAL;
	if (n == 0)
		return 0;
	if (f->state == FR_HDR) {
		f->hlen += n;
		if (f->hlen < 4)
			return 0;
		uint32_t len = (uint32_t)f->hdr[0] << 24 | (uint32_t)f->hdr[1] << 16 | (uint32_t)f->hdr[2] << 8 | f->hdr[3];
		if (len == 0 || len > f->max)
			return fr_fail(f, VG_ELIMIT);
		/* give back a buffer much bigger than this frame needs */
		if (f->cap > FRAME_CHUNK && f->cap / 2 > len) {
			free(f->body);
			f->body = NULL;
			f->cap = 0;
		}
		f->hlen = 0;
		f->want = len;
		f->got = 0;
		f->state = FR_BODY;
		return f->cap == 0 ? fr_grow(f) : 0;
	}
	f->got += n;
	if (f->got == f->want)
		f->state = FR_READY;
	else if (f->got == f->cap)
		return fr_grow(f);
	return 0;
}

int vg_ap_framer_next(vg_ap_framer *f, const uint8_t **body, size_t *len)
{
	if (f->state != FR_READY)
		return 0;
	/* the body stays put until the next header is complete */
	*body = f->body;
	*len = f->want;
	f->state = FR_HDR;
	return 1;
}

/* ---- records ---- */

int vg_ap_record_encode(vg_buf *out, const vg_ap_record *r)
{
	if (out == NULL || r == NULL || r->kind < VG_AP_KIND_FILE || r->kind > VG_AP_KIND_HEARTBEAT ||
	    (r->path.p == NULL && r->path.len != 0) || (r->msg.p == NULL && r->msg.len != 0))
		return VG_EINVAL;
	if (r->path.len > VG_AP_MAX_PATH || r->msg.len > VG_MAX_RECORD)
		return VG_ELIMIT;
	if (r->path.len != 0 && memchr(r->path.p, '\0', r->path.len) != NULL)
		return VG_EINVAL;
	uint8_t a[1 + 3 * VARINT_MAX], c[2 * VARINT_MAX];
	size_t na = 0, nc = 0;
	a[na++] = r->kind;
	na += put_varint(a + na, zigzag(r->ts_us));
	na += put_varint(a + na, r->path.len);
	nc += put_varint(c, r->line);
	nc += put_varint(c + nc, r->msg.len);
	if (vg_buf_reserve(out, na + r->path.len + nc + r->msg.len) != 0)
		return VG_ENOMEM;
	/* room is reserved: these cannot fail, so out never holds half a record */
	int rc = vg_buf_append(out, a, na);
	rc |= vg_buf_append(out, r->path.p, r->path.len);
	rc |= vg_buf_append(out, c, nc);
	rc |= vg_buf_append(out, r->msg.p, r->msg.len);
	return rc;
}

int vg_ap_record_decode(const uint8_t *p, size_t len, vg_ap_record *r)
{
	if (r == NULL || (p == NULL && len != 0))
		return VG_EINVAL;
	memset(r, 0, sizeof(*r));
	struct rd rd = {p, len, 0};
	uint64_t ts;
	int rc;
	if ((rc = rd_u8(&rd, &r->kind)) != 0)
		return rc;
	if (r->kind < VG_AP_KIND_FILE || r->kind > VG_AP_KIND_HEARTBEAT)
		return VG_EPARSE;
	if ((rc = rd_varint(&rd, &ts)) != 0 || (rc = rd_str(&rd, VG_AP_MAX_PATH, &r->path)) != 0)
		return rc;
	r->ts_us = unzigzag(ts);
	if (r->path.len != 0 && memchr(r->path.p, '\0', r->path.len) != NULL)
		return VG_EPARSE;
	if ((rc = rd_varint(&rd, &r->line)) != 0 || (rc = rd_str(&rd, VG_MAX_RECORD, &r->msg)) != 0)
		return rc;
	return rd.pos == rd.len ? 0 : VG_EPARSE;
}
