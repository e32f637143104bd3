/* test_agent_proto.c — the agent<->server wire codec: round trips of every
 * frame type, batches and records; every rejection path; the framer fed
 * byte by byte and in random chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "net/agent_proto.h"

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint32_t be32(const char *p)
{
	const uint8_t *u = (const uint8_t *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Checks out holds exactly one frame and returns its body. */
static const uint8_t *one_frame(const vg_buf *out, size_t *len)
{
	assert_true(out->len > 4);
	*len = be32(out->data);
	assert_int_equal(*len + 4, out->len);
	return (const uint8_t *)out->data + 4;
}

static int parse_buf(const vg_buf *out, vg_ap_msg *m)
{
	size_t len;
	const uint8_t *body = one_frame(out, &len);
	return vg_ap_msg_parse(body, len, m);
}

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

static int parse_bytes(const void *p, size_t n)
{
	vg_ap_msg m;
	return vg_ap_msg_parse(p, n, &m);
}

/* ---- small frames ---- */

static void test_seq_frames(void **s)
{
	(void)s;
	const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, (uint64_t)1 << 35, (uint64_t)1 << 63, UINT64_MAX};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		vg_buf b = {0};
		vg_ap_msg m;
		assert_int_equal(vg_ap_welcome_encode(&b, vals[i]), 0);
		assert_int_equal(parse_buf(&b, &m), 0);
		assert_int_equal(m.type, VG_AP_WELCOME);
		assert_true(m.seq == vals[i]);
		b.len = 0;
		assert_int_equal(vg_ap_ack_encode(&b, vals[i]), 0);
		assert_int_equal(parse_buf(&b, &m), 0);
		assert_int_equal(m.type, VG_AP_ACK);
		assert_true(m.seq == vals[i]);
		vg_buf_free(&b);
	}
	/* exact bytes: ACK 300 = LEB128 ac 02 */
	vg_buf b = {0};
	assert_int_equal(vg_ap_ack_encode(&b, 300), 0);
	const uint8_t want[] = {0, 0, 0, 3, VG_AP_ACK, 0xac, 0x02};
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	/* UINT64_MAX is ten bytes, the last 0x01 */
	b.len = 0;
	assert_int_equal(vg_ap_welcome_encode(&b, UINT64_MAX), 0);
	assert_int_equal(b.len, 4 + 1 + 10);
	assert_int_equal((uint8_t)b.data[14], 0x01);
	vg_buf_free(&b);
}

static void test_varint_rejects(void **s)
{
	(void)s;
	/* overlong: 0 as two bytes, 1 as three */
	const uint8_t o1[] = {VG_AP_ACK, 0x80, 0x00};
	const uint8_t o2[] = {VG_AP_ACK, 0x81, 0x80, 0x00};
	assert_int_equal(parse_bytes(o1, sizeof(o1)), VG_EPARSE);
	assert_int_equal(parse_bytes(o2, sizeof(o2)), VG_EPARSE);
	/* a single 0 byte is fine */
	const uint8_t z[] = {VG_AP_ACK, 0x00};
	assert_int_equal(parse_bytes(z, sizeof(z)), 0);
	/* truncated */
	const uint8_t t[] = {VG_AP_ACK, 0x80};
	assert_int_equal(parse_bytes(t, sizeof(t)), VG_EPARSE);
	const uint8_t t0[] = {VG_AP_ACK};
	assert_int_equal(parse_bytes(t0, sizeof(t0)), VG_EPARSE);
	/* 2^64 - 1 is the largest; 2^64 and 11-byte varints are rejected */
	uint8_t v[12] = {VG_AP_ACK};
	memset(v + 1, 0xff, 9);
	v[10] = 0x01;
	vg_ap_msg m;
	assert_int_equal(vg_ap_msg_parse(v, 11, &m), 0);
	assert_true(m.seq == UINT64_MAX);
	v[10] = 0x02;
	assert_int_equal(parse_bytes(v, 11), VG_EPARSE);
	v[10] = 0x81;
	v[11] = 0x00;
	assert_int_equal(parse_bytes(v, 12), VG_EPARSE);
	v[11] = 0x01;
	assert_int_equal(parse_bytes(v, 12), VG_EPARSE);
}

static void test_hello(void **s)
{
	(void)s;
	vg_buf b = {0};
	vg_ap_msg m;
	assert_int_equal(vg_ap_hello_encode(&b, "web-01.example_org", "vigil 0.4.0 (x86_64)"), 0);
	assert_int_equal(parse_buf(&b, &m), 0);
	assert_int_equal(m.type, VG_AP_HELLO);
	assert_true(m.version == VG_AP_VERSION);
	assert_int_equal(m.hostname.len, strlen("web-01.example_org"));
	assert_memory_equal(m.hostname.p, "web-01.example_org", m.hostname.len);
	assert_int_equal(m.agent_version.len, strlen("vigil 0.4.0 (x86_64)"));
	assert_memory_equal(m.agent_version.p, "vigil 0.4.0 (x86_64)", m.agent_version.len);

	/* every proper prefix of the body is truncated; one more byte is trailing */
	size_t len;
	const uint8_t *body = one_frame(&b, &len);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(parse_bytes(body, i), VG_EPARSE);
	uint8_t ext[512];
	memcpy(ext, body, len);
	ext[len] = 0;
	assert_int_equal(parse_bytes(ext, len + 1), VG_EPARSE);

	/* host names at and past the bound */
	char host[VG_AP_MAX_HOST + 2];
	memset(host, 'h', sizeof(host));
	host[VG_AP_MAX_HOST] = '\0';
	b.len = 0;
	assert_int_equal(vg_ap_hello_encode(&b, host, "1"), 0);
	assert_int_equal(parse_buf(&b, &m), 0);
	assert_int_equal(m.hostname.len, VG_AP_MAX_HOST);
	host[VG_AP_MAX_HOST] = 'h';
	host[VG_AP_MAX_HOST + 1] = '\0';
	b.len = 0;
	assert_int_equal(vg_ap_hello_encode(&b, host, "1"), VG_ELIMIT);
	assert_int_equal(b.len, 0);
	const char *bad_hosts[] = {"", "a b", "host/x", "h\xc3\xa9", "h:1", "a\n"};
	for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++)
		assert_int_equal(vg_ap_hello_encode(&b, bad_hosts[i], "1"), VG_EINVAL);
	char ver[VG_AP_MAX_AGENT_VERSION + 2];
	memset(ver, 'v', sizeof(ver));
	ver[VG_AP_MAX_AGENT_VERSION] = '\0';
	assert_int_equal(vg_ap_hello_encode(&b, "h", ver), 0);
	b.len = 0;
	ver[VG_AP_MAX_AGENT_VERSION] = 'v';
	ver[VG_AP_MAX_AGENT_VERSION + 1] = '\0';
	assert_int_equal(vg_ap_hello_encode(&b, "h", ver), VG_ELIMIT);
	assert_int_equal(vg_ap_hello_encode(&b, "h", ""), VG_EINVAL);
	assert_int_equal(vg_ap_hello_encode(&b, "h", "1\t2"), VG_EINVAL);
	assert_int_equal(vg_ap_hello_encode(&b, "h", "\x7f"), VG_EINVAL);
	assert_int_equal(b.len, 0);
	vg_buf_free(&b);

	/* hand-made bodies: the parser checks what the encoder would refuse */
	const uint8_t bad_host[] = {VG_AP_HELLO, 1, 3, 'a', ' ', 'b', 1, '1'};
	const uint8_t empty_host[] = {VG_AP_HELLO, 1, 0, 1, '1'};
	const uint8_t empty_ver[] = {VG_AP_HELLO, 1, 1, 'h', 0};
	const uint8_t ctl_ver[] = {VG_AP_HELLO, 1, 1, 'h', 1, 0x07};
	const uint8_t long_str[] = {VG_AP_HELLO, 1, 0xfe, 0x01, 'h'}; /* 254 > 253 */
	const uint8_t long_ver[] = {VG_AP_HELLO, 1, 1, 'h', 65, 'v'};
	const uint8_t v2[] = {VG_AP_HELLO, 2, 1, 'h', 1, '1'};
	const uint8_t v0[] = {VG_AP_HELLO, 0};
	const uint8_t vbig[] = {VG_AP_HELLO, 0x81, 0x01};
	assert_int_equal(parse_bytes(bad_host, sizeof(bad_host)), VG_EPARSE);
	assert_int_equal(parse_bytes(empty_host, sizeof(empty_host)), VG_EPARSE);
	assert_int_equal(parse_bytes(empty_ver, sizeof(empty_ver)), VG_EPARSE);
	assert_int_equal(parse_bytes(ctl_ver, sizeof(ctl_ver)), VG_EPARSE);
	assert_int_equal(parse_bytes(long_str, sizeof(long_str)), VG_ELIMIT);
	assert_int_equal(parse_bytes(long_ver, sizeof(long_ver)), VG_ELIMIT);
	assert_int_equal(vg_ap_msg_parse(v2, sizeof(v2), &m), VG_EUNSUPPORTED);
	assert_true(m.version == 2);
	assert_int_equal(parse_bytes(v0, sizeof(v0)), VG_EUNSUPPORTED);
	assert_int_equal(parse_bytes(vbig, sizeof(vbig)), VG_EUNSUPPORTED);
}

static void test_error_frame(void **s)
{
	(void)s;
	vg_buf b = {0};
	vg_ap_msg m;
	assert_int_equal(vg_ap_error_encode(&b, "unknown agent certificate"), 0);
	assert_int_equal(parse_buf(&b, &m), 0);
	assert_int_equal(m.type, VG_AP_ERROR);
	assert_int_equal(m.message.len, strlen("unknown agent certificate"));
	assert_memory_equal(m.message.p, "unknown agent certificate", m.message.len);

	char msg[VG_AP_MAX_MSG + 2];
	memset(msg, '~', sizeof(msg));
	msg[VG_AP_MAX_MSG] = '\0';
	b.len = 0;
	assert_int_equal(vg_ap_error_encode(&b, msg), 0);
	assert_int_equal(parse_buf(&b, &m), 0);
	assert_int_equal(m.message.len, VG_AP_MAX_MSG);
	msg[VG_AP_MAX_MSG] = '~';
	msg[VG_AP_MAX_MSG + 1] = '\0';
	b.len = 0;
	assert_int_equal(vg_ap_error_encode(&b, msg), VG_ELIMIT);
	assert_int_equal(vg_ap_error_encode(&b, ""), VG_EINVAL);
	assert_int_equal(vg_ap_error_encode(&b, "bad\r\n"), VG_EINVAL);
	assert_int_equal(b.len, 0);
	vg_buf_free(&b);

	const uint8_t empty[] = {VG_AP_ERROR, 0};
	const uint8_t ctl[] = {VG_AP_ERROR, 2, 'a', 0};
	const uint8_t longm[] = {VG_AP_ERROR, 0x81, 0x04, 'x'}; /* 513 */
	const uint8_t trail[] = {VG_AP_ERROR, 1, 'a', 'b'};
	const uint8_t trunc[] = {VG_AP_ERROR, 3, 'a', 'b'};
	assert_int_equal(parse_bytes(empty, sizeof(empty)), VG_EPARSE);
	assert_int_equal(parse_bytes(ctl, sizeof(ctl)), VG_EPARSE);
	assert_int_equal(parse_bytes(longm, sizeof(longm)), VG_ELIMIT);
	assert_int_equal(parse_bytes(trail, sizeof(trail)), VG_EPARSE);
	assert_int_equal(parse_bytes(trunc, sizeof(trunc)), VG_EPARSE);
}

static void test_parse_envelope(void **s)
{
	(void)s;
	assert_int_equal(parse_bytes("", 0), VG_EPARSE);
	const uint8_t types[] = {0, 6, 7, 0x80, 0xff};
	for (size_t i = 0; i < sizeof(types); i++) {
		uint8_t body[] = {types[i], 1};
		assert_int_equal(parse_bytes(body, sizeof(body)), VG_EPARSE);
	}
	/* trailing bytes after ACK / WELCOME */
	const uint8_t ack_trail[] = {VG_AP_ACK, 5, 0};
	const uint8_t wel_trail[] = {VG_AP_WELCOME, 5, 5};
	assert_int_equal(parse_bytes(ack_trail, sizeof(ack_trail)), VG_EPARSE);
	assert_int_equal(parse_bytes(wel_trail, sizeof(wel_trail)), VG_EPARSE);
	/* a body above the frame bound */
	uint8_t *big = calloc(1, (size_t)VG_AP_MAX_FRAME + 1);
	assert_non_null(big);
	big[0] = VG_AP_ERROR;
	assert_int_equal(parse_bytes(big, (size_t)VG_AP_MAX_FRAME + 1), VG_ELIMIT);
	free(big);
}

/* ---- batches ---- */

struct rec {
	uint64_t seq;
	size_t len;
	uint8_t *p;
};

struct got {
	struct rec *r;
	size_t n, cap;
	int stop_at; /* return 7 from the callback at this index (-1: never) */
};

static int collect(void *ud, uint64_t seq, const uint8_t *payload, size_t len)
{
	struct got *g = ud;
	if ((int)g->n == g->stop_at)
		return 7;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->r = realloc(g->r, g->cap * sizeof(*g->r));
		assert_non_null(g->r);
	}
	g->r[g->n].seq = seq;
	g->r[g->n].len = len;
	g->r[g->n].p = malloc(len + 1);
	assert_non_null(g->r[g->n].p);
	if (len != 0)
		memcpy(g->r[g->n].p, payload, len);
	g->n++;
	return 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->r[i].p);
	free(g->r);
	memset(g, 0, sizeof(*g));
	g->stop_at = -1;
}

/* Payload of record i: deterministic, length len. */
static void fill(uint8_t *p, size_t len, uint64_t seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i);
}

/* Builds a batch of n records with seqs seqs[i] and payload lengths lens[i],
 * round-trips it and checks every record. */
static void roundtrip(const uint64_t *seqs, const size_t *lens, size_t n, int level)
{
	vg_ap_batch_builder *b = vg_ap_batch_builder_new(level);
	assert_non_null(b);
	size_t maxlen = 0, raw = 0;
	for (size_t i = 0; i < n; i++)
		maxlen = lens[i] > maxlen ? lens[i] : maxlen;
	uint8_t *p = malloc(maxlen + 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		fill(p, lens[i], seqs[i]);
		assert_int_equal(vg_ap_batch_add(b, seqs[i], p, lens[i]), 0);
		raw += lens[i] + 2;
	}
	assert_int_equal(vg_ap_batch_records(b), n);
	assert_true(vg_ap_batch_raw_bytes(b) >= raw);
	vg_buf out = {0};
	assert_int_equal(vg_ap_batch_finish(b, &out), 0);
	assert_int_equal(vg_ap_batch_records(b), 0);
	assert_int_equal(vg_ap_batch_raw_bytes(b), 0);
	vg_ap_msg m;
	assert_int_equal(parse_buf(&out, &m), 0);
	assert_int_equal(m.type, VG_AP_BATCH);
	assert_true(m.first_seq == seqs[0]);
	assert_true(m.count == n);
	vg_ap_batch_decoder *d = vg_ap_batch_decoder_new();
	assert_non_null(d);
	struct got g = {.stop_at = -1};
	assert_int_equal(vg_ap_batch_decode(d, &m, collect, &g), 0);
	assert_int_equal(g.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(g.r[i].seq == seqs[i]);
		assert_int_equal(g.r[i].len, lens[i]);
		fill(p, lens[i], seqs[i]);
		assert_memory_equal(g.r[i].p, p, lens[i]);
	}
	got_free(&g);
	/* the decoder is reusable, and a non-zero return stops the walk */
	g.stop_at = (int)(n / 2);
	assert_int_equal(vg_ap_batch_decode(d, &m, collect, &g), 7);
	assert_int_equal(g.n, n / 2);
	got_free(&g);
	/* the builder is reusable after finish */
	assert_int_equal(vg_ap_batch_add(b, 1, "x", 1), 0);
	out.len = 0;
	assert_int_equal(vg_ap_batch_finish(b, &out), 0);
	assert_int_equal(parse_buf(&out, &m), 0);
	assert_int_equal(vg_ap_batch_decode(d, &m, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_true(g.r[0].seq == 1);
	got_free(&g);
	vg_ap_batch_decoder_free(d);
	vg_ap_batch_builder_free(b);
	vg_buf_free(&out);
	free(p);
}

static void test_batch_roundtrip(void **s)
{
	(void)s;
	/* one record, empty payload */
	uint64_t s1[] = {1};
	size_t l1[] = {0};
	roundtrip(s1, l1, 1, 0);
	/* gapless */
	uint64_t s2[10];
	size_t l2[10];
	for (size_t i = 0; i < 10; i++) {
		s2[i] = 1000 + i;
		l2[i] = i * 37;
	}
	roundtrip(s2, l2, 10, 3);
	/* gaps, huge deltas, the top of the seq space */
	uint64_t s3[] = {5, 6, 200, 70000, (uint64_t)1 << 40, UINT64_MAX - 1, UINT64_MAX};
	size_t l3[] = {1, 300, 0, 70000, 5, 6, 7};
	roundtrip(s3, l3, 7, -5);
	/* a big record: the largest payload the queue holds */
	uint64_t s4[] = {42, 43};
	size_t l4[] = {VG_MAX_RECORD + 64 * 1024, 10};
	roundtrip(s4, l4, 2, 19);
}

static void test_batch_bounds(void **s)
{
	(void)s;
	vg_ap_batch_builder *b = vg_ap_batch_builder_new(1);
	assert_non_null(b);
	/* seq order */
	assert_int_equal(vg_ap_batch_add(b, 0, "a", 1), VG_EINVAL);
	vg_buf out = {0};
	assert_int_equal(vg_ap_batch_finish(b, &out), VG_EINVAL);
	assert_int_equal(vg_ap_batch_add(b, 10, "a", 1), 0);
	assert_int_equal(vg_ap_batch_add(b, 10, "a", 1), VG_EINVAL);
	assert_int_equal(vg_ap_batch_add(b, 9, "a", 1), VG_EINVAL);
	assert_int_equal(vg_ap_batch_records(b), 1);
	assert_int_equal(vg_ap_batch_finish(b, &out), 0);

	/* VG_AP_MAX_BATCH_RECORDS records, then one too many */
	for (uint64_t i = 1; i <= VG_AP_MAX_BATCH_RECORDS; i++)
		assert_int_equal(vg_ap_batch_add(b, i, "r", 1), 0);
	assert_int_equal(vg_ap_batch_add(b, VG_AP_MAX_BATCH_RECORDS + 1, "r", 1), VG_ELIMIT);
	assert_int_equal(vg_ap_batch_records(b), VG_AP_MAX_BATCH_RECORDS);
	out.len = 0;
	assert_int_equal(vg_ap_batch_finish(b, &out), 0);
	vg_ap_msg m;
	assert_int_equal(parse_buf(&out, &m), 0);
	assert_true(m.count == VG_AP_MAX_BATCH_RECORDS);
	assert_true(m.raw_len == 3 * (uint64_t)VG_AP_MAX_BATCH_RECORDS);
	vg_ap_batch_decoder *d = vg_ap_batch_decoder_new();
	struct got g = {.stop_at = -1};
	assert_int_equal(vg_ap_batch_decode(d, &m, collect, &g), 0);
	assert_int_equal(g.n, VG_AP_MAX_BATCH_RECORDS);
	assert_true(g.r[VG_AP_MAX_BATCH_RECORDS - 1].seq == VG_AP_MAX_BATCH_RECORDS);
	got_free(&g);

	/* raw bytes up to VG_AP_MAX_BATCH_RAW (compressible), then one too many */
	size_t chunk = 1024 * 1024;
	uint8_t *p = calloc(1, chunk);
	assert_non_null(p);
	uint64_t seq = 1;
	while (vg_ap_batch_raw_bytes(b) + chunk + 8 <= VG_AP_MAX_BATCH_RAW)
		assert_int_equal(vg_ap_batch_add(b, seq++, p, chunk), 0);
	size_t left = VG_AP_MAX_BATCH_RAW - vg_ap_batch_raw_bytes(b);
	assert_int_equal(vg_ap_batch_add(b, seq, p, left - 3), VG_ELIMIT); /* 1 + 3 varint bytes: one over */
	assert_int_equal(vg_ap_batch_add(b, seq++, p, left - 4), 0);
	assert_int_equal(vg_ap_batch_raw_bytes(b), VG_AP_MAX_BATCH_RAW);
	assert_int_equal(vg_ap_batch_add(b, seq, p, 0), VG_ELIMIT);
	out.len = 0;
	assert_int_equal(vg_ap_batch_finish(b, &out), 0);
	assert_true(out.len < VG_AP_MAX_FRAME);
	assert_int_equal(parse_buf(&out, &m), 0);
	assert_true(m.raw_len == VG_AP_MAX_BATCH_RAW);
	assert_int_equal(vg_ap_batch_decode(d, &m, collect, &g), 0);
	assert_true(g.n == seq - 1);
	assert_int_equal(g.r[g.n - 1].len, left - 4);
	got_free(&g);
	free(p);

	/* incompressible bytes past VG_AP_MAX_FRAME: VG_ELIMIT, builder reset, out untouched */
	size_t big = (size_t)VG_AP_MAX_FRAME + 1024;
	p = malloc(big);
	assert_non_null(p);
	for (size_t i = 0; i + 8 <= big; i += 8) {
		uint64_t v = rng();
		memcpy(p + i, &v, 8);
	}
	assert_int_equal(vg_ap_batch_add(b, 1, p, big), 0);
	out.len = 0;
	assert_int_equal(vg_ap_batch_finish(b, &out), VG_ELIMIT);
	assert_int_equal(out.len, 0);
	assert_int_equal(vg_ap_batch_records(b), 0);
	/* just under the bound still goes */
	assert_int_equal(vg_ap_batch_add(b, 1, p, (size_t)VG_AP_MAX_FRAME - 64 * 1024), 0);
	assert_int_equal(vg_ap_batch_finish(b, &out), 0);
	assert_int_equal(parse_buf(&out, &m), 0);
	assert_int_equal(vg_ap_batch_decode(d, &m, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_memory_equal(g.r[0].p, p, (size_t)VG_AP_MAX_FRAME - 64 * 1024);
	got_free(&g);
	free(p);
	vg_buf_free(&out);
	vg_ap_batch_decoder_free(d);
	vg_ap_batch_builder_free(b);
}

/* One zstd frame without the content size in its header. */
static size_t compress_nosize(uint8_t *dst, size_t cap, const void *src, size_t n)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	assert_non_null(c);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0)));
	ZSTD_inBuffer in = {src, n, 0};
	ZSTD_outBuffer o = {dst, cap, 0};
	assert_int_equal(ZSTD_compressStream2(c, &o, &in, ZSTD_e_end), 0);
	ZSTD_freeCCtx(c);
	assert_true(ZSTD_getFrameContentSize(dst, o.pos) == ZSTD_CONTENTSIZE_UNKNOWN);
	return o.pos;
}

/* A BATCH body from hand-made parts: raw is compressed with the content size
 * in the frame header when with_size, else streamed without it. */
static size_t make_batch(uint8_t *body, size_t cap, uint64_t first_seq, uint64_t count, uint64_t raw_len,
			 const void *raw, size_t rawn, int with_size)
{
	size_t n = 0;
	body[n++] = VG_AP_BATCH;
	n += put_varint(body + n, first_seq);
	n += put_varint(body + n, count);
	n += put_varint(body + n, raw_len);
	size_t z = with_size ? ZSTD_compress(body + n, cap - n, raw, rawn, 1) : compress_nosize(body + n, cap - n, raw, rawn);
	assert_false(ZSTD_isError(z));
	return n + z;
}

static int decode_body(vg_ap_batch_decoder *d, const uint8_t *body, size_t len, struct got *g)
{
	vg_ap_msg m;
	int rc = vg_ap_msg_parse(body, len, &m);
	if (rc != 0)
		return rc;
	return vg_ap_batch_decode(d, &m, collect, g);
}

static void test_batch_rejects(void **s)
{
	(void)s;
	vg_ap_batch_decoder *d = vg_ap_batch_decoder_new();
	assert_non_null(d);
	size_t cap = 1 << 16;
	uint8_t *body = malloc(cap);
	assert_non_null(body);
	struct got g = {.stop_at = -1};
	/* raw: (delta 1, len 2, "ab"), (delta 3, len 1, "c") */
	const uint8_t raw[] = {1, 2, 'a', 'b', 3, 1, 'c'};
	size_t n;

	/* valid, both with and without a content size; first record's seq is
	 * first_seq - 1 + delta */
	for (int ws = 0; ws < 2; ws++) {
		n = make_batch(body, cap, 10, 2, sizeof(raw), raw, sizeof(raw), ws);
		assert_int_equal(decode_body(d, body, n, &g), 0);
		assert_int_equal(g.n, 2);
		assert_true(g.r[0].seq == 10 && g.r[1].seq == 13);
		assert_memory_equal(g.r[1].p, "c", 1);
		got_free(&g);
	}
	const uint8_t raw_gap[] = {5, 0};
	n = make_batch(body, cap, 10, 1, sizeof(raw_gap), raw_gap, sizeof(raw_gap), 1);
	assert_int_equal(decode_body(d, body, n, &g), 0);
	assert_true(g.n == 1 && g.r[0].seq == 14);
	got_free(&g);

	/* count mismatch, both ways */
	n = make_batch(body, cap, 10, 3, sizeof(raw), raw, sizeof(raw), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	n = make_batch(body, cap, 10, 1, sizeof(raw), raw, sizeof(raw), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	/* delta 0 (seq not increasing), first or later */
	const uint8_t raw_d0[] = {1, 0, 0, 0};
	n = make_batch(body, cap, 10, 2, sizeof(raw_d0), raw_d0, sizeof(raw_d0), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	const uint8_t raw_d00[] = {0, 0};
	n = make_batch(body, cap, 10, 1, sizeof(raw_d00), raw_d00, sizeof(raw_d00), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	/* seq overflow past 2^64 - 1 */
	const uint8_t raw_ovf[] = {1, 0, 1, 0};
	n = make_batch(body, cap, UINT64_MAX, 2, sizeof(raw_ovf), raw_ovf, sizeof(raw_ovf), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	n = make_batch(body, cap, UINT64_MAX, 1, 2, raw_ovf, 2, 1);
	assert_int_equal(decode_body(d, body, n, &g), 0);
	assert_true(g.n == 1 && g.r[0].seq == UINT64_MAX);
	got_free(&g);
	/* a payload longer than what is left; an overlong varint inside */
	const uint8_t raw_long[] = {1, 5, 'a'};
	n = make_batch(body, cap, 1, 1, sizeof(raw_long), raw_long, sizeof(raw_long), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	const uint8_t raw_over[] = {0x81, 0x00, 0};
	n = make_batch(body, cap, 1, 1, sizeof(raw_over), raw_over, sizeof(raw_over), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	/* raw_len disagrees with the zstd frame's content size */
	n = make_batch(body, cap, 10, 2, sizeof(raw) + 1, raw, sizeof(raw), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	n = make_batch(body, cap, 10, 2, sizeof(raw) - 1, raw, sizeof(raw), 1);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	/* ... or, without a content size, with what it decompresses to */
	n = make_batch(body, cap, 10, 2, sizeof(raw) + 1, raw, sizeof(raw), 0);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	n = make_batch(body, cap, 10, 2, sizeof(raw) - 1, raw, sizeof(raw), 0);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	/* two frames that together are exactly the batch: still one frame only */
	n = make_batch(body, cap, 10, 2, sizeof(raw), raw, 4, 0);
	n += compress_nosize(body + n, cap - n, raw + 4, sizeof(raw) - 4);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	assert_int_equal(g.n, 0); /* fn never saw any of these */

	/* a bomb: 16 MiB of zeros declared as 100 bytes, content size hidden */
	size_t bomb = 16u * 1024 * 1024;
	uint8_t *zeros = calloc(1, bomb);
	assert_non_null(zeros);
	n = make_batch(body, cap, 1, 1, 100, zeros, bomb, 0);
	assert_true(n < 4096);
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	free(zeros);

	/* corrupted or truncated zstd, two frames, no frame */
	uint8_t big[4000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i % 7 == 0 ? rng() : 'a');
	const size_t rawn = 2 + 2 + sizeof(big) - 4;
	uint8_t *rb = malloc(rawn);
	assert_non_null(rb);
	rb[0] = 1;
	rb[1] = (uint8_t)((sizeof(big) - 4) | 0x80);
	rb[2] = (uint8_t)((sizeof(big) - 4) >> 7);
	memcpy(rb + 3, big, sizeof(big) - 4);
	n = make_batch(body, cap, 1, 1, rawn - 1, rb, rawn - 1, 1);
	assert_int_equal(decode_body(d, body, n, &g), 0);
	got_free(&g);
	size_t hdr = 1 + 1 + 1 + 2; /* type, first_seq, count, raw_len */
	for (size_t off = hdr; off < n; off += 7) {
		uint8_t *c = malloc(n);
		assert_non_null(c);
		memcpy(c, body, n);
		c[off] ^= 0x5a;
		int rc = decode_body(d, c, n, &g);
		/* a flip in a literal may still decode to a valid batch of the
		 * same shape; anything else must be rejected, never crash */
		assert_true(rc == 0 || rc == VG_EPARSE);
		got_free(&g);
		free(c);
	}
	body[hdr] ^= 0xff; /* the magic number */
	assert_int_equal(decode_body(d, body, n, &g), VG_EPARSE);
	body[hdr] ^= 0xff;
	for (size_t cut = hdr + 1; cut < n; cut += 13)
		assert_int_equal(decode_body(d, body, cut, &g), VG_EPARSE);
	assert_int_equal(decode_body(d, body, hdr, &g), VG_EPARSE); /* no frame at all */
	size_t zl = n - hdr;
	memcpy(body + n, body + hdr, zl); /* a second frame */
	assert_int_equal(decode_body(d, body, n + zl, &g), VG_EPARSE);
	assert_int_equal(g.n, 0);
	free(rb);

	/* header fields */
	const uint8_t f0[] = {VG_AP_BATCH, 0, 1, 2, 0x28};
	const uint8_t c0[] = {VG_AP_BATCH, 1, 0, 2, 0x28};
	const uint8_t r0[] = {VG_AP_BATCH, 1, 1, 0, 0x28};
	const uint8_t cbig[] = {VG_AP_BATCH, 1, 0xa1, 0x8d, 0x06, 2, 0x28};   /* 100001 */
	const uint8_t rbig[] = {VG_AP_BATCH, 1, 1, 0x81, 0x80, 0x80, 0x10, 0x28}; /* 2^25 + 1 */
	const uint8_t nz[] = {VG_AP_BATCH, 1, 1, 2};
	assert_int_equal(parse_bytes(f0, sizeof(f0)), VG_EPARSE);
	assert_int_equal(parse_bytes(c0, sizeof(c0)), VG_EPARSE);
	assert_int_equal(parse_bytes(r0, sizeof(r0)), VG_EPARSE);
	assert_int_equal(parse_bytes(cbig, sizeof(cbig)), VG_ELIMIT);
	assert_int_equal(parse_bytes(rbig, sizeof(rbig)), VG_ELIMIT);
	assert_int_equal(parse_bytes(nz, sizeof(nz)), VG_EPARSE);
	/* decode refuses what is not a BATCH */
	vg_ap_msg m = {.type = VG_AP_ACK};
	assert_int_equal(vg_ap_batch_decode(d, &m, collect, &g), VG_EINVAL);

	free(body);
	vg_ap_batch_decoder_free(d);
}

/* ---- framer ---- */

struct stream {
	vg_buf bytes;              /* the frames, back to back */
	size_t off[64], len[64], n; /* their bodies */
};

static void stream_add(struct stream *st, size_t before)
{
	assert_true(st->n < 64);
	st->off[st->n] = before + 4;
	st->len[st->n] = st->bytes.len - before - 4;
	st->n++;
}

static void make_stream(struct stream *st)
{
	memset(st, 0, sizeof(*st));
	vg_buf *b = &st->bytes;
	size_t at = b->len;
	assert_int_equal(vg_ap_hello_encode(b, "agent-1", "0.4.0"), 0);
	stream_add(st, at);
	at = b->len;
	assert_int_equal(vg_ap_welcome_encode(b, 12345), 0);
	stream_add(st, at);
	vg_ap_batch_builder *bb = vg_ap_batch_builder_new(1);
	assert_non_null(bb);
	uint8_t *p = malloc(300000);
	assert_non_null(p);
	for (size_t i = 0; i < 300000; i++)
		p[i] = (uint8_t)rng();
	for (int k = 0; k < 6; k++) {
		/* small, then one of ~300 KB (past the framer's first chunk), then small */
		size_t len = k == 2 ? 300000 : (size_t)k * 100 + 1;
		assert_int_equal(vg_ap_batch_add(bb, (uint64_t)k + 1, p, len), 0);
		at = b->len;
		assert_int_equal(vg_ap_batch_finish(bb, b), 0);
		stream_add(st, at);
		at = b->len;
		assert_int_equal(vg_ap_ack_encode(b, (uint64_t)k + 1), 0);
		stream_add(st, at);
	}
	at = b->len;
	assert_int_equal(vg_ap_error_encode(b, "bye"), 0);
	stream_add(st, at);
	free(p);
	vg_ap_batch_builder_free(bb);
}

/* Feeds the stream in chunks of chunk() bytes; checks every frame. */
static void feed_stream(const struct stream *st, size_t (*chunk)(void))
{
	vg_ap_framer *f = vg_ap_framer_new(0);
	assert_non_null(f);
	size_t pos = 0, k = 0;
	while (pos < st->bytes.len) {
		size_t cap;
		uint8_t *dst = vg_ap_framer_space(f, &cap);
		assert_true(cap > 0);
		size_t n = chunk();
		if (n > cap)
			n = cap;
		if (n > st->bytes.len - pos)
			n = st->bytes.len - pos;
		memcpy(dst, st->bytes.data + pos, n);
		pos += n;
		assert_int_equal(vg_ap_framer_commit(f, n), 0);
		const uint8_t *body;
		size_t len;
		while (vg_ap_framer_next(f, &body, &len) == 1) {
			assert_true(k < st->n);
			assert_int_equal(len, st->len[k]);
			assert_memory_equal(body, st->bytes.data + st->off[k], len);
			vg_ap_msg m;
			assert_int_equal(vg_ap_msg_parse(body, len, &m), 0);
			k++;
		}
	}
	assert_int_equal(k, st->n);
	vg_ap_framer_free(f);
}

static size_t chunk_one(void)
{
	return 1;
}

static size_t chunk_random(void)
{
	switch (rng() % 4) {
	case 0:
		return (size_t)(rng() % 5);
	case 1:
		return (size_t)(rng() % 100);
	case 2:
		return (size_t)(rng() % 70000);
	default:
		return SIZE_MAX;
	}
}

static size_t chunk_all(void)
{
	return SIZE_MAX;
}

static void test_framer_stream(void **s)
{
	(void)s;
	struct stream st;
	make_stream(&st);
	feed_stream(&st, chunk_one);
	feed_stream(&st, chunk_all);
	for (int i = 0; i < 20; i++)
		feed_stream(&st, chunk_random);
	vg_buf_free(&st.bytes);
}

static int feed_bytes(vg_ap_framer *f, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t cap;
		uint8_t *dst = vg_ap_framer_space(f, &cap);
		if (cap == 0)
			return vg_ap_framer_commit(f, 0);
		size_t k = n < cap ? n : cap;
		memcpy(dst, p, k);
		int rc = vg_ap_framer_commit(f, k);
		if (rc != 0)
			return rc;
		p += k;
		n -= k;
	}
	return 0;
}

static void test_framer_limits(void **s)
{
	(void)s;
	const uint8_t zero[] = {0, 0, 0, 0};
	const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff};
	const uint8_t over[] = {0x00, 0x80, 0x00, 0x01}; /* VG_AP_MAX_FRAME + 1 */
	const uint8_t *bad[] = {zero, huge, over};
	for (size_t i = 0; i < 3; i++) {
		vg_ap_framer *f = vg_ap_framer_new(0);
		assert_int_equal(feed_bytes(f, bad[i], 4), VG_ELIMIT);
		/* it stays failed: no more space, commit repeats the error */
		size_t cap = 1;
		(void)vg_ap_framer_space(f, &cap);
		assert_int_equal(cap, 0);
		assert_int_equal(vg_ap_framer_commit(f, 0), VG_ELIMIT);
		const uint8_t *body;
		size_t len;
		assert_int_equal(vg_ap_framer_next(f, &body, &len), 0);
		vg_ap_framer_free(f);
	}
	/* a custom bound: exactly max is fine, max + 1 is not */
	vg_ap_framer *f = vg_ap_framer_new(10);
	uint8_t fr[14] = {0, 0, 0, 10, VG_AP_ERROR, 8, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
	assert_int_equal(feed_bytes(f, fr, sizeof(fr)), 0);
	const uint8_t *body;
	size_t len;
	assert_int_equal(vg_ap_framer_next(f, &body, &len), 1);
	assert_int_equal(len, 10);
	assert_int_equal(vg_ap_framer_next(f, &body, &len), 0);
	fr[3] = 11;
	assert_int_equal(feed_bytes(f, fr, 4), VG_ELIMIT);
	vg_ap_framer_free(f);

	/* committing more than the space offered; a waiting frame blocks input */
	f = vg_ap_framer_new(0);
	size_t cap;
	assert_non_null(vg_ap_framer_space(f, &cap));
	assert_int_equal(cap, 4);
	assert_int_equal(vg_ap_framer_commit(f, 5), VG_EINVAL);
	const uint8_t ack[] = {0, 0, 0, 2, VG_AP_ACK, 9};
	assert_int_equal(feed_bytes(f, ack, sizeof(ack)), 0);
	(void)vg_ap_framer_space(f, &cap);
	assert_int_equal(cap, 0);
	assert_int_equal(vg_ap_framer_commit(f, 1), VG_EINVAL);
	assert_int_equal(vg_ap_framer_next(f, &body, &len), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(body, ack + 4, 2);
	(void)vg_ap_framer_space(f, &cap);
	assert_int_equal(cap, 4);
	/* a declared 8 MiB frame does not need 8 MiB before its bytes arrive */
	const uint8_t max[] = {0x00, 0x80, 0x00, 0x00};
	assert_int_equal(feed_bytes(f, max, 4), 0);
	(void)vg_ap_framer_space(f, &cap);
	assert_true(cap > 0 && cap < (size_t)VG_AP_MAX_FRAME);
	vg_ap_framer_free(f);
	vg_ap_framer_free(NULL);
}

/* ---- records ---- */

static void rec_roundtrip(const vg_ap_record *r)
{
	vg_buf b = {0};
	assert_int_equal(vg_ap_record_encode(&b, r), 0);
	vg_ap_record d;
	assert_int_equal(vg_ap_record_decode((const uint8_t *)b.data, b.len, &d), 0);
	assert_int_equal(d.kind, r->kind);
	assert_true(d.ts_us == r->ts_us);
	assert_true(d.line == r->line);
	assert_int_equal(d.path.len, r->path.len);
	assert_int_equal(d.msg.len, r->msg.len);
	if (r->path.len)
		assert_memory_equal(d.path.p, r->path.p, r->path.len);
	if (r->msg.len)
		assert_memory_equal(d.msg.p, r->msg.p, r->msg.len);
	/* every proper prefix is rejected, one byte more too */
	for (size_t i = 0; i < b.len && i < 64; i++)
		assert_int_not_equal(vg_ap_record_decode((const uint8_t *)b.data, i, &d), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_int_equal(vg_ap_record_decode((const uint8_t *)b.data, b.len, &d), VG_EPARSE);
	vg_buf_free(&b);
}

static void test_records(void **s)
{
	(void)s;
	const int64_t ts[] = {0, 1, -1, 1763726400123456, -1763726400123456, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		vg_ap_record r = {.kind = VG_AP_KIND_FILE, .ts_us = ts[i], .path = {"/var/log/auth.log", 17},
				  .line = i * 1000, .msg = {"Nov 21 sshd[1]: Failed password", 31}};
		rec_roundtrip(&r);
	}
	vg_ap_record j = {.kind = VG_AP_KIND_JOURNAL, .path = {"journal", 7}, .line = UINT64_MAX, .msg = {"", 0}};
	rec_roundtrip(&j);
	vg_ap_record h = {.kind = VG_AP_KIND_HEARTBEAT, .path = {NULL, 0}, .msg = {"{\"q\":0}", 7}};
	rec_roundtrip(&h);
	/* zigzag is the wire form: -1 is one byte 0x01 */
	vg_buf b = {0};
	vg_ap_record z = {.kind = VG_AP_KIND_FILE, .ts_us = -1};
	assert_int_equal(vg_ap_record_encode(&b, &z), 0);
	const uint8_t want[] = {VG_AP_KIND_FILE, 0x01, 0, 0, 0};
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));

	/* bounds: path 4096 and msg VG_MAX_RECORD are fine, one more is not */
	char *big = malloc(VG_MAX_RECORD + 1);
	assert_non_null(big);
	memset(big, 'p', VG_MAX_RECORD + 1);
	vg_ap_record r = {.kind = VG_AP_KIND_FILE, .path = {big, VG_AP_MAX_PATH}, .msg = {big, VG_MAX_RECORD}};
	rec_roundtrip(&r);
	b.len = 0;
	r.path.len++;
	assert_int_equal(vg_ap_record_encode(&b, &r), VG_ELIMIT);
	r.path.len--;
	r.msg.len++;
	assert_int_equal(vg_ap_record_encode(&b, &r), VG_ELIMIT);
	r.msg.len--;
	assert_int_equal(b.len, 0);
	r.kind = 0;
	assert_int_equal(vg_ap_record_encode(&b, &r), VG_EINVAL);
	r.kind = 4;
	assert_int_equal(vg_ap_record_encode(&b, &r), VG_EINVAL);
	vg_ap_record nul = {.kind = VG_AP_KIND_FILE, .path = {"a\0b", 3}};
	assert_int_equal(vg_ap_record_encode(&b, &nul), VG_EINVAL);
	assert_int_equal(b.len, 0);

	/* hand-made payloads */
	vg_ap_record d;
	const uint8_t k0[] = {0, 0, 0, 0, 0};
	const uint8_t k4[] = {4, 0, 0, 0, 0};
	const uint8_t plong[] = {1, 0, 0x81, 0x20, 'x'}; /* path 4097 */
	const uint8_t pnul[] = {1, 0, 2, 'a', 0, 0, 0};
	const uint8_t mlong[] = {1, 0, 0, 0, 0x81, 0x80, 0x40, 'x'}; /* 2^20 + 1 */
	const uint8_t trunc[] = {1, 0, 5, 'a', 'b'};
	const uint8_t over[] = {1, 0x80, 0x00, 0, 0, 0};
	assert_int_equal(vg_ap_record_decode(k0, sizeof(k0), &d), VG_EPARSE);
	assert_int_equal(vg_ap_record_decode(k4, sizeof(k4), &d), VG_EPARSE);
	assert_int_equal(vg_ap_record_decode(plong, sizeof(plong), &d), VG_ELIMIT);
	assert_int_equal(vg_ap_record_decode(pnul, sizeof(pnul), &d), VG_EPARSE);
	assert_int_equal(vg_ap_record_decode(mlong, sizeof(mlong), &d), VG_ELIMIT);
	assert_int_equal(vg_ap_record_decode(trunc, sizeof(trunc), &d), VG_EPARSE);
	assert_int_equal(vg_ap_record_decode(over, sizeof(over), &d), VG_EPARSE);
	assert_int_equal(vg_ap_record_decode(k0, 0, &d), VG_EPARSE);
	free(big);
	vg_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_frames),      cmocka_unit_test(test_varint_rejects),
		cmocka_unit_test(test_hello),           cmocka_unit_test(test_error_frame),
		cmocka_unit_test(test_parse_envelope),  cmocka_unit_test(test_batch_roundtrip),
		cmocka_unit_test(test_batch_bounds),    cmocka_unit_test(test_batch_rejects),
		cmocka_unit_test(test_framer_stream),   cmocka_unit_test(test_framer_limits),
		cmocka_unit_test(test_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
