/* format.h — how an outbox item is written on the wire: CEF (with the CEF
 * escaping rules) and RFC 5424 syslog messages framed per RFC 5425, with the
 * Ed25519 signature in an SD-ELEMENT. Exact bytes: docs/sharing.md.
 *
 * CEF escaping: in header fields '\' and '|' are escaped with '\', and
 * newlines become a space (the header may not contain them); in extension
 * values '\' and '=' are escaped, CR and LF become \r and \n. Extension keys
 * are fixed by us and need no escaping.
 * Errors: VG_ENOMEM; VG_EPARSE if a payload is not an outbox item.
 * Thread-safety: no state. */
#ifndef VG_SHARE_FORMAT_H
#define VG_SHARE_FORMAT_H

#include <stddef.h>

#include "core/buf.h"
#include "share/outbox.h"
#include "share/sign.h"

#define VG_SYSLOG_PEN "32473" /* the SD-ID enterprise number (RFC 5612 example range) */

VG_WUR int vg_cef_header_escape(vg_buf *b, const char *s, size_t n);
VG_WUR int vg_cef_ext_escape(vg_buf *b, const char *s, size_t n);
/* The CEF line of an outbox item (no trailing newline). */
VG_WUR int vg_share_cef(vg_buf *out, const char *payload, size_t len);

/* Appends one octet-counted RFC 5424 message for item to out:
 *   LEN SP <PRI>1 TIMESTAMP HOSTNAME vigil - KIND
 *   [vigilsig@32473 alg="ed25519" keyid="sha256:…" sig="BASE64"]
 *   [vigil@32473 id="…" seq="…"] SP MSG
 * MSG is the JSON payload or its CEF line (format: enum vg_sink_format);
 * the signature covers exactly the MSG bytes. */
VG_WUR int vg_share_syslog_frame(vg_buf *out, const vg_outbox_item *it, int format, const char *hostname,
				 const vg_share_keys *k);

#endif
