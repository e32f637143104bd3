/* taxii.h — a TAXII 2.1 client that adds STIX objects to one collection of
 * a receiver (docs/stix.md, "TAXII"): discovery (GET /taxii2/), the API root
 * (max_content_length), the collections (one that can_write), then POST of
 * envelopes {"objects":[…]} to {api-root}collections/{id}/objects/ with
 * Content-Type and Accept application/taxii+json;version=2.1. The answer is
 * a status resource, polled at {api-root}status/{id}/ until "complete".
 *
 * Protocol errors: 413 splits the envelope in halves, recursively, down to
 * one object (an object alone too large is not retryable); envelopes are
 * also split beforehand to fit max_content_length. 429, 5xx and network
 * failures are retried after Retry-After (seconds or HTTP date, capped at
 * max_backoff_ms) or an exponential back-off, at most max_attempts times
 * per request. 401/403/other 4xx, a refused server certificate and objects
 * the status lists as failures are not retryable: they need an operator.
 * With keys set, every POST carries the Ed25519 signature of its exact body
 * (X-Vigil-Signature, base64; X-Vigil-Signature-Alg: ed25519; X-Vigil-Key-Id),
 * as the HTTPS sink does (docs/sharing.md). HTTPS only, no redirects; the server certificate is verified against
 * opts.ca (name and chain); client authentication by certificate, bearer
 * token or basic credentials. Responses are bounded (VG_TAXII_MAX_RESPONSE),
 * and so are polls (max_polls).
 *
 * Delivery: vg_taxii_add returns 0 only when every object was accepted
 * (status success). On failure res says what happened; the caller resends
 * the whole set later (the receiver de-duplicates by id + modified, and
 * STIX ids are deterministic: stix.h).
 * Ownership: the client borrows opts' strings (they must outlive it);
 * objects are borrowed. Errors: 0 or VG_EINVAL (bad options), VG_ENOMEM,
 * VG_EIO (transport/HTTP/protocol failure: res->why names the URL and
 * reason, res->retryable says whether to retry), VG_ELIMIT (an object alone
 * is larger than the server accepts), VG_EPARSE (the server's answer is not
 * TAXII), VG_ENOTFOUND (no such collection, or none that can_write). Thread-safety: a client belongs to one thread. */
#ifndef VG_SHARE_TAXII_H
#define VG_SHARE_TAXII_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "share/sign.h"

#define VG_TAXII_MEDIA "application/taxii+json;version=2.1"
#define VG_TAXII_MAX_RESPONSE (4 << 20)     /* bytes of one response body */
#define VG_TAXII_DEFAULT_CONTENT (10 << 20) /* bytes per POST when the API root names no max */
#define VG_TAXII_URL_MAX 2048
#define VG_TAXII_DEFAULT_TIMEOUT_MS 10000
#define VG_TAXII_DEFAULT_ATTEMPTS 5
#define VG_TAXII_DEFAULT_BACKOFF_MS 500
#define VG_TAXII_DEFAULT_MAX_BACKOFF_MS 60000
#define VG_TAXII_DEFAULT_POLL_MS 1000
#define VG_TAXII_DEFAULT_POLLS 60
#define VG_TAXII_MAX_SPLIT_DEPTH 32 /* halvings of one envelope on 413 */

/* Zero fields take the defaults. Designated initialisers, please. */
typedef struct vg_taxii_opts {
	const char *url;          /* discovery URL, https://host[:port]/taxii2/ (required) */
	const char *api_root;     /* API root URL; NULL = discovery's default, else its first */
	const char *collection;   /* collection id; NULL = the first that can_write */
	const char *ca;           /* CA file that verifies the server (required) */
	const char *cert, *key;   /* client certificate and key (mutual TLS), NULL = none */
	const char *bearer;       /* bearer token, NULL = none */
	const char *user, *password; /* basic authentication, NULL = none */
	const vg_share_keys *keys;   /* signs every POST body (NULL: unsigned) */
	unsigned timeout_ms;      /* per request (connect, then whole request x3) */
	unsigned max_attempts;    /* per request, counting the first */
	unsigned backoff_ms;      /* first back-off without Retry-After; doubles */
	unsigned max_backoff_ms;  /* cap on any wait */
	unsigned poll_ms;         /* between status polls */
	unsigned max_polls;       /* status polls per envelope before giving up (retryable) */
	size_t max_content;       /* bytes per POST; 0 = the API root's max_content_length */
	/* waits go through this when set (tests record them); NULL = nanosleep */
	void (*sleep_fn)(void *ud, unsigned ms);
	void *sleep_ud;
} vg_taxii_opts;

typedef struct vg_taxii_result {
	size_t requests;  /* HTTP requests made (all kinds) */
	size_t retries;   /* requests repeated after 429/5xx/network failures */
	size_t splits;    /* envelopes halved (413 or max_content_length) */
	size_t envelopes; /* envelopes the server accepted (202) */
	size_t polls;     /* status requests */
	size_t success, failure, pending; /* objects, from the final status resources */
	int http;         /* last HTTP status (0: none / transport failure) */
	int retryable;    /* on failure: 1 transient, 0 needs an operator */
	char why[512];    /* on failure: what failed, naming the URL */
} vg_taxii_result;

typedef struct vg_taxii vg_taxii;

/* Checks the options (https URL, CA file named) and makes the client; no
 * network yet. NULL with *err and why on failure. */
vg_taxii *vg_taxii_new(const vg_taxii_opts *o, int *err, char *why, size_t whylen);
void vg_taxii_free(vg_taxii *t);

/* Discovery, API root and collection (done by vg_taxii_add when needed,
 * and again after a failure). res may not be NULL. */
VG_WUR int vg_taxii_discover(vg_taxii *t, vg_taxii_result *res);
/* The collection's objects URL after discovery ("" before). */
const char *vg_taxii_objects_url(const vg_taxii *t);
/* The API root's max_content_length after discovery (0: not given). */
size_t vg_taxii_max_content(const vg_taxii *t);

/* Adds objects (a JSON array of STIX objects) to the collection. res is
 * zeroed first and counts what happened. */
VG_WUR int vg_taxii_add(vg_taxii *t, const json_t *objects, vg_taxii_result *res);

#endif
