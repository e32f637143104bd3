/* sink.h — the transports of sharing behind one interface: open, send a
 * batch, close. Sinks are rows of a registration table (vg_sink_lookup):
 *   syslog: RFC 5424 messages over TLS with RFC 5425 octet counting,
 *           payload CEF or JSON, signature in an SD-ELEMENT (sink_syslog.c);
 *   https:  POST of an NDJSON batch, mutual TLS and/or a bearer token,
 *           signature in the X-Vigil-Signature header (sink_https.c);
 *   taxii:  the items as STIX 2.1 objects (share/stix.h) added to a TAXII 2.1
 *           collection, status polled to completion (share/taxii.h, sink_taxii.c).
 * A destination's configuration is a JSON object validated by
 * vg_sink_conf_parse (members in docs/sharing.md).
 *
 * Delivery: send returns 0 only when every item was delivered (https: a 2xx
 * answer; syslog: written to the TLS connection, which has no application
 * acknowledgement, see docs/sharing.md); otherwise res->done says how many
 * leading items were delivered and res->retryable whether the failure is
 * transient (network, timeout, 408/429/5xx) or needs an operator
 * (certificate refused, 4xx, item too large): the sender retries both, the
 * latter at the longest back-off.
 * Ownership: a sink borrows conf and keys (they must outlive it).
 * Thread-safety: a sink belongs to one thread. */
#ifndef VG_SHARE_SINK_H
#define VG_SHARE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "share/outbox.h"
#include "share/sign.h"

#define VG_SINK_PATH_MAX 1024
#define VG_SINK_URL_MAX 2048
#define VG_SINK_DEFAULT_BATCH 100
#define VG_SINK_MAX_BATCH 10000
#define VG_SINK_BATCH_BYTES (4 << 20) /* bytes of payload per batch (at least one item) */
#define VG_SINK_DEFAULT_TIMEOUT_MS 10000
#define VG_SINK_DEFAULT_HEARTBEAT_S 60
#define VG_SINK_TOKEN_MAX 4096        /* bytes of a bearer token file */

enum vg_sink_type { VG_SINK_SYSLOG = 0, VG_SINK_HTTPS = 1, VG_SINK_TAXII = 2 };
enum vg_sink_format { VG_SINK_JSON = 0, VG_SINK_CEF = 1 };

typedef struct vg_sink_conf {
	int type;                         /* enum vg_sink_type */
	int format;                       /* syslog only: enum vg_sink_format */
	char address[256];                /* syslog: HOST:PORT */
	char url[VG_SINK_URL_MAX];        /* https: https://host[:port]/path; taxii: the discovery URL */
	char api_root[VG_SINK_URL_MAX];   /* taxii: API root URL ("" = the discovery's default) */
	char collection[128];             /* taxii: collection id ("" = the first writable) */
	char organisation[256];           /* taxii: the sharing organisation (STIX identity name) */
	char server_name[256];            /* syslog: name the certificate must cover (default HOST) */
	char ca[VG_SINK_PATH_MAX];        /* CA file that verifies the receiver (required) */
	char cert[VG_SINK_PATH_MAX];      /* client certificate (mutual TLS), "" = none */
	char key[VG_SINK_PATH_MAX];       /* its key */
	char token_file[VG_SINK_PATH_MAX]; /* https: file holding the bearer token, "" = none */
	char hostname[256];               /* syslog HOSTNAME field (default: the host name) */
	uint64_t max_items;               /* outbox bound (VG_OUTBOX_DEFAULT_MAX) */
	unsigned batch;                   /* items per send (VG_SINK_DEFAULT_BATCH) */
	unsigned timeout_ms;              /* connect/handshake/request deadline */
	unsigned heartbeat_s;             /* heartbeat interval, 0 = default */
} vg_sink_conf;

/* Parses and validates a configuration (paths must be absolute; files are
 * checked when the sink opens). Unknown members are refused. */
VG_WUR int vg_sink_conf_parse(const char *text, size_t len, vg_sink_conf *c, char *why, size_t whylen);
/* The configuration as JSON (new reference). */
json_t *vg_sink_conf_json(const vg_sink_conf *c);

typedef struct vg_sink vg_sink;

typedef struct vg_sink_result {
	size_t done;   /* leading items delivered */
	int retryable; /* 1 transient, 0 needs an operator */
	int64_t retry_after_ms; /* the receiver's Retry-After (429/503), 0: none; the sender waits at least this */
	char why[512]; /* what failed, naming the peer */
} vg_sink_result;

typedef struct vg_sink_ops {
	const char *name;
	int (*open)(const vg_sink_conf *c, const vg_share_keys *k, vg_sink **out, vg_sink_result *res);
	int (*send)(vg_sink *s, const vg_outbox_item *items, size_t n, vg_sink_result *res);
	void (*close)(vg_sink *s);
} vg_sink_ops;

/* Every sink starts with this member. */
struct vg_sink {
	const vg_sink_ops *ops;
};

const vg_sink_ops *vg_sink_lookup(int type);
extern const vg_sink_ops vg_sink_syslog_ops;
extern const vg_sink_ops vg_sink_https_ops;
extern const vg_sink_ops vg_sink_taxii_ops;

/* The bearer token in path (one line of RFC 6750 characters, at most
 * VG_SINK_TOKEN_MAX bytes) into *token (the caller wipes and frees it);
 * res->why names the file on failure. */
VG_WUR int vg_sink_read_token(const char *path, char **token, vg_sink_result *res);

/* Dispatch helpers. open may connect lazily; send (re)connects as needed. */
VG_WUR int vg_sink_open(const vg_sink_conf *c, const vg_share_keys *k, vg_sink **out, vg_sink_result *res);
VG_WUR int vg_sink_send(vg_sink *s, const vg_outbox_item *items, size_t n, vg_sink_result *res);
void vg_sink_close(vg_sink *s);

#endif
