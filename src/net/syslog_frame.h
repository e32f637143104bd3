/* syslog_frame.h — splits a syslog TCP/TLS byte stream into messages:
 * RFC 6587 octet counting ("LEN SP MSG", as RFC 5425 requires over TLS) and
 * non-transparent LF framing (rsyslog's and logger's plain TCP default),
 * chosen per stream from its first byte (a digit: octet counting), as rsyslog
 * does. A message longer than the framer's limit, or a malformed length, is a
 * protocol error: the caller closes the connection (the bytes are hostile or
 * the peer is confused; resynchronising would guess).
 * Ownership: the framer copies what it needs; messages handed to the callback
 * are valid only during the call. Not thread-safe: one framer per stream. */
#ifndef VG_SYSLOG_FRAME_H
#define VG_SYSLOG_FRAME_H

#include <stddef.h>

#include "core/err.h"

typedef struct vg_syslog_framer vg_syslog_framer;

/* Called once per complete message (without its LF / length prefix). */
typedef int (*vg_syslog_msg_fn)(void *ud, const char *msg, size_t len);

/* max_msg: the largest message accepted (bytes), e.g. VG_MAX_LINE. */
vg_syslog_framer *vg_syslog_framer_new(size_t max_msg);
void vg_syslog_framer_free(vg_syslog_framer *f); /* NULL is a no-op */

/* Feed the next bytes of the stream. Returns 0, the callback's non-zero
 * return, or VG_ELIMIT (message too long) / VG_EPARSE (bad octet count):
 * after an error the framer refuses further input. */
VG_WUR int vg_syslog_framer_feed(vg_syslog_framer *f, const char *p, size_t n, vg_syslog_msg_fn cb, void *ud);
/* End of stream: an unterminated LF-framed message is delivered; an
 * incomplete octet-counted one is VG_EPARSE (truncated by the peer). */
VG_WUR int vg_syslog_framer_end(vg_syslog_framer *f, vg_syslog_msg_fn cb, void *ud);

#endif
