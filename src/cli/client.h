/* client.h — the CLI's HTTPS client of the server's REST API (`vigil
 * systems|coverage|incidents|report ...` are clients of /api/v1).
 *
 * Where and who: --server URL, else $VIGIL_URL, else https://127.0.0.1:8443;
 * --token TOKEN, else $VIGIL_TOKEN, else the first line of
 * $XDG_CONFIG_HOME/vigil/token (~/.config/vigil/token, must not be readable
 * by group/others); the server's CA: --cacert FILE, else $VIGIL_CACERT, else
 * DIR/pki/ca.crt of --data DIR (default /var/lib/vigil) when it exists, else
 * the system's trust store. TLS is always verified (no "insecure" switch).
 *
 * Errors: 0 or a VG_E* code with a one-line reason in why: VG_EIO (cannot
 * connect, TLS failure: names the URL and curl's reason), VG_EPARSE (the
 * answer is not JSON where JSON was expected). An HTTP error status is not a
 * failure of the call: *status and *out carry the server's error document.
 * Tokens never appear in messages. Thread-safety: one client per thread. */
#ifndef VG_CLIENT_H
#define VG_CLIENT_H
#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

#define VG_CLIENT_DEFAULT_URL "https://127.0.0.1:8443"
#define VG_CLIENT_MAX_RESPONSE (256u << 20) /* bytes of one answer (reports, exports) */

typedef struct vg_client vg_client;

typedef struct vg_client_opts {
	const char *server;  /* NULL: as above */
	const char *token;   /* NULL: as above */
	const char *cacert;  /* NULL: as above */
	const char *data_dir; /* NULL: the default data dir, for DIR/pki/ca.crt */
	long timeout_s;      /* 0: 60 */
} vg_client_opts;

vg_client *vg_client_new(const vg_client_opts *o, char *why, size_t whylen);
void vg_client_free(vg_client *c);

/* METHOD path (e.g. "/api/v1/systems?level=3"), with body as JSON (borrowed;
 * NULL: none). *status gets the HTTP status; *out (may be NULL) the parsed
 * JSON answer (caller decrefs; NULL for an empty body). */
VG_WUR int vg_client_call(vg_client *c, const char *method, const char *path, json_t *body, long *status,
			  json_t **out, char *why, size_t whylen);
/* The same, answer kept as bytes (PDF, HTML, NDJSON); *ctype gets the
 * Content-Type (static storage until the next call; may be NULL). */
VG_WUR int vg_client_call_raw(vg_client *c, const char *method, const char *path, json_t *body, long *status,
			      vg_buf *out, const char **ctype, char *why, size_t whylen);

/* Prints the server's error document of a failed call as
 * "vigil: STATUS CODE: message" on stderr; returns the CLI exit status for it
 * (2). */
int vg_client_report(long status, json_t *answer);

/* getopt_long option rows every client command accepts (--server, --token,
 * --cacert, --data) with values 0x1001..0x1004, and the handler: returns 1 if
 * opt was one of them (stored in o), else 0. */
#define VG_CLIENT_LONGOPTS                                                                 \
	{"server", required_argument, NULL, 0x1001}, {"token", required_argument, NULL, 0x1002}, \
		{"cacert", required_argument, NULL, 0x1003}, {"data", required_argument, NULL, 0x1004}
int vg_client_opt(vg_client_opts *o, int opt, const char *arg);

#endif
