/* syslog_frame.c — RFC 6587 stream framing (see syslog_frame.h). One state
 * machine over the bytes; a message that arrives whole in one feed is passed
 * on without a copy, a split one is reassembled in a bounded buffer. */
#include "net/syslog_frame.h"

#include <stdlib.h>
#include <string.h>

enum mode { MODE_UNKNOWN, MODE_OCTET, MODE_LF, MODE_FAILED };

struct vg_syslog_framer {
	enum mode mode;
	size_t max;
	/* octet counting: parsing the length (want == 0) or the body */
	size_t want, ndigits;
	char *buf; /* partial message, grown on demand up to max */
	size_t len, cap;
};

vg_syslog_framer *vg_syslog_framer_new(size_t max_msg)
{
	vg_syslog_framer *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->max = max_msg;
	return f;
}

void vg_syslog_framer_free(vg_syslog_framer *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}

static int fail(vg_syslog_framer *f, int err)
{
	f->mode = MODE_FAILED;
	return err;
}

/* Room for `need` bytes in the partial-message buffer (need <= max). */
static int reserve(vg_syslog_framer *f, size_t need)
{
	if (need <= f->cap)
		return 0;
	size_t nc = f->cap ? f->cap : 1024;
	while (nc < need)
		nc *= 2;
	if (nc > f->max)
		nc = f->max;
	char *nb = realloc(f->buf, nc);
	if (nb == NULL)
		return fail(f, VG_ENOMEM);
	f->buf = nb;
	f->cap = nc;
	return 0;
}

static int feed_lf(vg_syslog_framer *f, const char *p, size_t n, vg_syslog_msg_fn cb, void *ud)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl != NULL ? (size_t)(nl - p) : n;
		if (f->len + take > f->max)
			return fail(f, VG_ELIMIT);
		if ((nl == NULL || f->len > 0) && reserve(f, f->len + take) != 0)
			return VG_ENOMEM;
		if (nl != NULL) {
			const char *msg = p;
			size_t mlen = take;
			if (f->len > 0) {
				memcpy(f->buf + f->len, p, take);
				msg = f->buf;
				mlen = f->len + take;
				f->len = 0;
			}
			if (mlen > 0 && msg[mlen - 1] == '\r')
				mlen--;
			if (mlen > 0) {
				int r = cb(ud, msg, mlen);
				if (r != 0)
					return r;
			}
			p += take + 1;
			n -= take + 1;
		} else {
			memcpy(f->buf + f->len, p, take);
			f->len += take;
			return 0;
		}
	}
	return 0;
}

static int feed_octet(vg_syslog_framer *f, const char *p, size_t n, vg_syslog_msg_fn cb, void *ud)
{
	while (n > 0) {
		if (f->want == 0) {
			/* MSG-LEN = NONZERO-DIGIT *DIGIT, then one SP */
			char c = *p;
			if (f->ndigits == 0 && (c == '\n' || c == '\r')) {
				/* some senders end octet-counted frames with LF too */
				p++;
				n--;
				continue;
			}
			if (c == ' ' && f->ndigits > 0) {
				if (f->len == 0)
					return fail(f, VG_EPARSE); /* "0 " or leading zero below */
				f->want = f->len;
				f->len = 0;
				f->ndigits = 0;
				p++;
				n--;
				continue;
			}
			if (c < '0' || c > '9' || (f->ndigits == 0 && c == '0') || f->ndigits >= 10)
				return fail(f, VG_EPARSE);
			f->len = f->len * 10 + (size_t)(c - '0');
			f->ndigits++;
			if (f->len > f->max)
				return fail(f, VG_ELIMIT);
			p++;
			n--;
			continue;
		}
		size_t need = f->want - f->len; /* f->len: body bytes buffered so far */
		int r;
		if (f->len == 0 && n >= need) {
			r = cb(ud, p, need); /* whole message in this feed: no copy */
			p += need;
			n -= need;
		} else {
			size_t take = n < need ? n : need;
			if (reserve(f, f->len + take) != 0)
				return VG_ENOMEM;
			memcpy(f->buf + f->len, p, take);
			f->len += take;
			p += take;
			n -= take;
			if (f->len < f->want)
				return 0;
			r = cb(ud, f->buf, f->len);
		}
		f->want = 0;
		f->len = 0;
		if (r != 0)
			return r;
	}
	return 0;
}

int vg_syslog_framer_feed(vg_syslog_framer *f, const char *p, size_t n, vg_syslog_msg_fn cb, void *ud)
{
	if (f->mode == MODE_FAILED)
		return VG_EPARSE;
	if (n == 0)
		return 0;
	if (f->mode == MODE_UNKNOWN)
		f->mode = (p[0] >= '1' && p[0] <= '9') ? MODE_OCTET : MODE_LF;
	return f->mode == MODE_OCTET ? feed_octet(f, p, n, cb, ud) : feed_lf(f, p, n, cb, ud);
}

int vg_syslog_framer_end(vg_syslog_framer *f, vg_syslog_msg_fn cb, void *ud)
{
	if (f->mode == MODE_FAILED)
		return VG_EPARSE;
	if (f->mode == MODE_OCTET)
		return (f->want != 0 || f->ndigits != 0) ? fail(f, VG_EPARSE) : 0;
	if (f->len > 0) {
		size_t mlen = f->len;
		f->len = 0;
		if (f->buf[mlen - 1] == '\r')
			mlen--;
		return mlen > 0 ? cb(ud, f->buf, mlen) : 0;
	}
	return 0;
}
