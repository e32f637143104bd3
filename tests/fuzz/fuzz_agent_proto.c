/* fuzz_agent_proto.c — the agent protocol on arbitrary bytes: a stream fed
 * through the framer in pieces whose sizes come from the input, every frame
 * parsed, every BATCH decoded and every record payload decoded. What parses
 * must re-encode to the same bytes (the encoding is canonical), and no frame
 * or record may pass a bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/agent_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_FRAME 65536

static void check(int ok)
{
	if (!ok)
		abort();
}

struct walk {
	uint64_t first, last;
	uint64_t n;
	vg_buf re;
};

static int on_record(void *ud, uint64_t seq, const uint8_t *p, size_t len)
{
	struct walk *w = ud;
	check(seq > w->last && seq >= w->first);
	w->last = seq;
	w->n++;
	vg_ap_record r;
	if (vg_ap_record_decode(p, len, &r) != 0)
		return 0;
	check(r.kind >= VG_AP_KIND_FILE && r.kind <= VG_AP_KIND_HEARTBEAT);
	check(r.path.len <= VG_AP_MAX_PATH && r.msg.len <= VG_MAX_RECORD);
	w->re.len = 0;
	if (vg_ap_record_encode(&w->re, &r) == 0)
		check(w->re.len == len && memcmp(w->re.data, p, len) == 0);
	return 0;
}

/* Re-encodes a parsed small frame and compares it with the body. */
static void reencode(const vg_ap_msg *m, const uint8_t *body, size_t len)
{
	vg_buf b = {0};
	char s1[VG_AP_MAX_MSG + 1], s2[VG_AP_MAX_AGENT_VERSION + 1];
	int rc = VG_EINVAL;
	switch (m->type) {
	case VG_AP_HELLO:
		check(m->hostname.len <= VG_AP_MAX_HOST && m->agent_version.len <= VG_AP_MAX_AGENT_VERSION);
		memcpy(s1, m->hostname.p, m->hostname.len);
		s1[m->hostname.len] = '\0';
		memcpy(s2, m->agent_version.p, m->agent_version.len);
		s2[m->agent_version.len] = '\0';
		rc = vg_ap_hello_encode(&b, s1, s2);
		break;
	case VG_AP_WELCOME:
		rc = vg_ap_welcome_encode(&b, m->seq);
		break;
	case VG_AP_ACK:
		rc = vg_ap_ack_encode(&b, m->seq);
		break;
	case VG_AP_ERROR:
		check(m->message.len <= VG_AP_MAX_MSG);
		memcpy(s1, m->message.p, m->message.len);
		s1[m->message.len] = '\0';
		rc = vg_ap_error_encode(&b, s1);
		break;
	default:
		abort();
	}
	check(rc == 0 && b.len == len + 4 && memcmp(b.data + 4, body, len) == 0);
	vg_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	vg_ap_framer *f = vg_ap_framer_new(FUZZ_MAX_FRAME);
	vg_ap_batch_decoder *d = vg_ap_batch_decoder_new();
	if (f == NULL || d == NULL)
		goto out;
	/* the first byte picks the read size: 1..64, or all at once */
	size_t step = data[0] >= 0xc0 ? size : (size_t)data[0] % 64 + 1, i = 1;
	struct walk w = {0};
	while (i < size) {
		size_t cap;
		uint8_t *dst = vg_ap_framer_space(f, &cap);
		if (cap == 0)
			break; /* failed */
		size_t n = size - i < step ? size - i : step;
		if (n > cap)
			n = cap;
		memcpy(dst, data + i, n);
		i += n;
		if (vg_ap_framer_commit(f, n) != 0)
			break;
		const uint8_t *body;
		size_t len;
		while (vg_ap_framer_next(f, &body, &len) == 1) {
			check(len >= 1 && len <= FUZZ_MAX_FRAME);
			vg_ap_msg m;
			if (vg_ap_msg_parse(body, len, &m) != 0)
				continue;
			if (m.type != VG_AP_BATCH) {
				reencode(&m, body, len);
				continue;
			}
			check(m.first_seq >= 1 && m.count >= 1 && m.count <= VG_AP_MAX_BATCH_RECORDS);
			check(m.raw_len >= 1 && m.raw_len <= VG_AP_MAX_BATCH_RAW && m.zlen >= 1);
			w.first = m.first_seq;
			w.last = 0;
			w.n = 0;
			int rc = vg_ap_batch_decode(d, &m, on_record, &w);
			check(rc == 0 ? w.n == m.count : w.n == 0);
		}
	}
	vg_buf_free(&w.re);
out:
	vg_ap_batch_decoder_free(d);
	vg_ap_framer_free(f);
	return 0;
}
