/* api_events.h — POST /api/v1/events: NDJSON event intake over the HTTPS API.
 * One JSON object per line (blank lines ignored); the request is all or
 * nothing: every line is validated first, and only if all are valid are
 * they handed to the sink and committed; the response (200 {"accepted":N})
 * is sent after the commit returned 0. Authentication (Authorization:
 * Bearer TOKEN) and the Content-Type check happen before the body is read.
 * Statuses: 401 (no/garbled/unknown token, with WWW-Authenticate), 403 (token
 * without the ingest right), 415 (Content-Type not application/x-ndjson or
 * application/json, or a Content-Encoding), 413 (body > max_body or more than
 * max_lines events), 400 (an invalid line: the message names its number and
 * reason; also an empty body), 503 + Retry-After (sink or auth backend failed).
 *
 * Ownership: the sink callbacks and their ud are borrowed and must outlive
 * the vg_api_events, which must outlive the server it is registered with.
 * Errors: 0 or a negative VG_E* code.
 * Thread-safety: the handler runs on the HTTP server's threads. auth may be
 * called concurrently from several threads. ingest/commit/abort are called
 * under the module's mutex: one request's ingest calls then its commit (or
 * abort) run as one unit, never interleaved with another request's. */
#ifndef VG_API_EVENTS_H
#define VG_API_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/metrics.h"
#include "net/http.h"

#define VG_API_EVENTS_PATH      "/api/v1/events"
#define VG_API_EVENTS_MAX_LINES 100000       /* events in one request */
#define VG_API_EVENTS_MAX_TOKEN 512          /* bytes in a bearer token */
#define VG_API_EVENTS_RETRY_S   5            /* Retry-After on 503 */

typedef struct vg_api_events vg_api_events;

typedef struct vg_api_events_opts {
	/* 0: ok (who gets a name for logs); VG_ENOTFOUND: unknown token (401);
	 * VG_EINVAL: no ingest right (403); anything else: 503. Required. */
	int (*auth)(void *ud, const char *token, char *who, size_t wholen);
	/* One valid line (no newline), len <= VG_MAX_RECORD; >= 0 taken, < 0 (a
	 * VG_E* code) failed: the request gets 503 and abort is called. Required. */
	int (*ingest)(void *ud, const char *line, size_t len, const char *peer);
	/* Makes the ingested lines durable; 0 or a VG_E* code. Required. */
	int (*commit)(void *ud);
	/* Discards lines ingested since the last commit, after an ingest or
	 * commit failure. Optional. */
	void (*abort)(void *ud);
	void *ud;
	vg_metrics *metrics; /* optional: vigil_api_events_* counters */
	size_t max_lines;    /* 0: VG_API_EVENTS_MAX_LINES */
	size_t max_body;     /* 0: the server's */
} vg_api_events_opts;

/* Registers POST VG_API_EVENTS_PATH on srv (before vg_http_start). *out is
 * freed with vg_api_events_free after the server is stopped. */
VG_WUR int vg_api_events_new(const vg_api_events_opts *o, vg_http *srv, vg_api_events **out);
void vg_api_events_free(vg_api_events *e);

/* ---- the NDJSON validation, pure (fuzzed on its own) ---- */

typedef struct vg_ndjson_err {
	size_t line;       /* 1-based line number of the first bad line (0: none) */
	char reason[160];  /* e.g. "not a JSON object", "nesting deeper than 32" */
} vg_ndjson_err;

/* Called for each non-blank line, in order; a non-zero return stops the walk
 * and is returned. */
typedef int (*vg_ndjson_fn)(void *ud, size_t lineno, const char *line, size_t len);

/* Checks body[0..len): lines split on LF (a CR before it is dropped),
 * whitespace-only lines skipped; each line at most VG_MAX_RECORD bytes, a
 * JSON object (jansson, duplicate keys rejected), nesting at most
 * VG_MAX_JSON_DEPTH. Stops at the first bad line: VG_EPARSE with err filled.
 * More than max_lines non-blank lines: VG_ELIMIT (err->line is the first
 * line past the limit). fn (may be NULL) is called for each line only after
 * the line was validated. *nlines (may be NULL) gets the count of non-blank
 * lines seen. VG_ENOMEM. */
VG_WUR int vg_ndjson_check(const uint8_t *body, size_t len, size_t max_lines, vg_ndjson_fn fn,
			   void *ud, size_t *nlines, vg_ndjson_err *err);

#endif
