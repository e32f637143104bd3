/* agent_proto.h — the wire protocol between `vigil agent` and `vigil server`
 * (port --listen-agents, mutual TLS 1.3), and the agent's record encoding.
 * Long form with byte layouts: docs/protocol.md.
 *
 * Frames: a 4-byte big-endian body length (1..VG_AP_MAX_FRAME), then the body:
 * one type byte, then the type's fields. Integers inside bodies are unsigned
 * LEB128 varints (at most 10 bytes, no overlong encodings: a varint's last
 * byte is never 0 unless it is the only byte); strings are a varint length
 * and the bytes (not NUL-terminated on the wire).
 *
 *   agent -> server
 *     HELLO     proto version (=1), hostname, agent version string
 *     BATCH     first_seq, count, raw_len, zstd frame of the raw bytes:
 *               count x (seq delta varint, payload length varint, payload).
 *               The first record's delta is relative to first_seq - 1 (so it is
 *               1 for a gapless batch), later ones to the previous record; a
 *               delta is >= 1 (seqs strictly increase; gaps are allowed: the
 *               agent's queue may have dropped records). Payloads are
 *               encoded records (below), opaque to the frame layer.
 *   server -> agent
 *     WELCOME   acked_seq: the highest seq of this agent the server holds
 *               durably (0: none); the agent resends everything above it.
 *     ACK       seq: every record of this agent up to seq is durable.
 *     ERROR     a message (1..512 printable ASCII bytes); the server closes.
 *
 * Records (the payload of one queued event):
 *     kind u8 (enum vg_ap_kind), ts_us (zigzag varint, 0 = unknown), path
 *     string (file path, journal, "heartbeat"), line number varint (1-based,
 *     0 = none), message string (the raw line as read, <= VG_MAX_RECORD).
 *
 * Bounds (untrusted input on both sides): frame body <= VG_AP_MAX_FRAME,
 * decompressed batch <= VG_AP_MAX_BATCH_RAW bytes and VG_AP_MAX_BATCH_RECORDS
 * records, hostname <= 253 bytes of [A-Za-z0-9._-], version <= 64 printable
 * bytes, path <= 4096 bytes. Every violation is VG_EPARSE (VG_ELIMIT for a
 * size bound) and the connection is to be closed.
 *
 * Ownership: decoded strings are slices borrowing the input (or the
 * decoder's buffer, valid until its next call). Thread-safety: none shared;
 * a vg_ap_batch_decoder or vg_ap_framer belongs to one thread. */
#ifndef VG_AGENT_PROTO_H
#define VG_AGENT_PROTO_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"

#define VG_AP_VERSION            1
#define VG_AP_MAX_FRAME          (8 * 1024 * 1024)  /* bytes in one frame body */
#define VG_AP_MAX_BATCH_RAW      (32 * 1024 * 1024) /* decompressed bytes of one batch */
#define VG_AP_MAX_BATCH_RECORDS  100000             /* records in one batch */
#define VG_AP_MAX_HOST           253
#define VG_AP_MAX_AGENT_VERSION  64
#define VG_AP_MAX_PATH           4096
#define VG_AP_MAX_MSG            512
#define VG_AP_DEFAULT_PORT       5515

enum vg_ap_type {
	VG_AP_HELLO = 1,
	VG_AP_BATCH = 2,
	VG_AP_WELCOME = 3,
	VG_AP_ACK = 4,
	VG_AP_ERROR = 5,
};

enum vg_ap_kind {
	VG_AP_KIND_FILE = 1,      /* a line of a tailed file */
	VG_AP_KIND_JOURNAL = 2,   /* a systemd journal entry, as an RFC 5424 line */
	VG_AP_KIND_HEARTBEAT = 3, /* the agent's status, a JSON document */
};

typedef struct vg_ap_str {
	const char *p; /* not NUL-terminated */
	size_t len;
} vg_ap_str;

/* One decoded frame. Which members are set depends on type. */
typedef struct vg_ap_msg {
	uint8_t type;
	/* HELLO */
	uint64_t version;
	vg_ap_str hostname, agent_version;
	/* BATCH: the compressed part is left for vg_ap_batch_decode */
	uint64_t first_seq, count, raw_len;
	const uint8_t *zdata;
	size_t zlen;
	/* WELCOME (acked_seq), ACK (seq) */
	uint64_t seq;
	/* ERROR */
	vg_ap_str message;
} vg_ap_msg;

/* ---- frame encoders: each appends one whole frame (length + body) to out ---- */
VG_WUR int vg_ap_hello_encode(vg_buf *out, const char *hostname, const char *agent_version);
VG_WUR int vg_ap_welcome_encode(vg_buf *out, uint64_t acked_seq);
VG_WUR int vg_ap_ack_encode(vg_buf *out, uint64_t seq);
VG_WUR int vg_ap_error_encode(vg_buf *out, const char *message);

/* Builds a BATCH frame: add records in seq order, then finish. The builder
 * owns its buffers; reuse it after finish (it is reset). zstd_level 0 = 1. */
typedef struct vg_ap_batch_builder vg_ap_batch_builder;
vg_ap_batch_builder *vg_ap_batch_builder_new(int zstd_level); /* NULL on ENOMEM */
void vg_ap_batch_builder_free(vg_ap_batch_builder *b);       /* NULL is a no-op */
/* VG_EINVAL: seq not above the previous one (or 0); VG_ELIMIT: the batch would
 * pass VG_AP_MAX_BATCH_RAW or VG_AP_MAX_BATCH_RECORDS (finish it first). */
VG_WUR int vg_ap_batch_add(vg_ap_batch_builder *b, uint64_t seq, const void *payload, size_t len);
size_t vg_ap_batch_records(const vg_ap_batch_builder *b);
size_t vg_ap_batch_raw_bytes(const vg_ap_batch_builder *b);
/* Appends the BATCH frame to out and resets b. VG_EINVAL if b is empty;
 * VG_ELIMIT if the compressed frame would pass VG_AP_MAX_FRAME. */
VG_WUR int vg_ap_batch_finish(vg_ap_batch_builder *b, vg_buf *out);

/* ---- decoding ---- */
/* Parses one frame body (without the 4-byte length) into m; slices borrow
 * body. Checks every field as documented. VG_EPARSE / VG_ELIMIT /
 * VG_EUNSUPPORTED (HELLO with another protocol version). */
VG_WUR int vg_ap_msg_parse(const uint8_t *body, size_t len, vg_ap_msg *m);

/* Decompresses and walks a parsed BATCH: calls fn for every record in order.
 * The whole batch is validated (sizes, count, seq order, exact fill of
 * raw_len) before the first call, so fn never sees part of a bad batch.
 * payload borrows the decoder's buffer (valid during the call). A non-zero
 * return from fn stops the walk and is returned. */
typedef struct vg_ap_batch_decoder vg_ap_batch_decoder;
typedef int (*vg_ap_record_fn)(void *ud, uint64_t seq, const uint8_t *payload, size_t len);
vg_ap_batch_decoder *vg_ap_batch_decoder_new(void); /* NULL on ENOMEM */
void vg_ap_batch_decoder_free(vg_ap_batch_decoder *d);
VG_WUR int vg_ap_batch_decode(vg_ap_batch_decoder *d, const vg_ap_msg *m, vg_ap_record_fn fn, void *ud);

/* Incremental framing for a non-blocking stream: feed bytes as they arrive,
 * take whole frame bodies out. A declared length of 0 or above max_frame is
 * VG_ELIMIT (close the connection). Memory held is at most one frame. */
typedef struct vg_ap_framer vg_ap_framer;
vg_ap_framer *vg_ap_framer_new(size_t max_frame); /* 0 = VG_AP_MAX_FRAME; NULL on ENOMEM */
void vg_ap_framer_free(vg_ap_framer *f);
/* How many bytes the framer wants next and where to put them: read up to
 * *cap bytes into the returned pointer, then call vg_ap_framer_commit(n). */
uint8_t *vg_ap_framer_space(vg_ap_framer *f, size_t *cap);
VG_WUR int vg_ap_framer_commit(vg_ap_framer *f, size_t n);
/* 1 and (*body, *len) when a whole frame is ready (borrowed until the next
 * call on f), 0 when more bytes are needed. */
int vg_ap_framer_next(vg_ap_framer *f, const uint8_t **body, size_t *len);

/* ---- records ---- */
typedef struct vg_ap_record {
	uint8_t kind;     /* enum vg_ap_kind */
	int64_t ts_us;    /* 0 = unknown */
	vg_ap_str path;
	uint64_t line;    /* 0 = none */
	vg_ap_str msg;
} vg_ap_record;
/* Appends the encoding of r to out (VG_ELIMIT past the bounds above). */
VG_WUR int vg_ap_record_encode(vg_buf *out, const vg_ap_record *r);
/* Decodes one whole payload; slices borrow p. VG_EPARSE/VG_ELIMIT. */
VG_WUR int vg_ap_record_decode(const uint8_t *p, size_t len, vg_ap_record *r);

#endif
