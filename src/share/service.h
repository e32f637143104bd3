/* service.h — sharing as a server component: one thread that, every
 * poll_ms or when woken, selects new alerts into the outbox, adds due
 * heartbeats, and runs the sender; and a snapshot of the status for the API
 * and the metrics. It opens its own connection to DIR/vigil.db (so the
 * ingest's connection is never shared across threads), creates the keys
 * under DIR/share on first start, and holds DIR/share/sender.lock for its
 * lifetime (`vigil sharing flush` is then refused).
 *
 * Ownership: the caller owns the service (vg_share_service_stop frees it);
 * status snapshots are new references.
 * Errors: start returns 0 or a negative VG_E* code with why (VG_EIO with
 * errno EWOULDBLOCK when another sender holds the lock). Errors of the
 * running loop are printed on stderr and retried at the next round.
 * Thread-safety: wake and status may be called from any thread. */
#ifndef VG_SHARE_SERVICE_H
#define VG_SHARE_SERVICE_H

#include <stddef.h>

#include <jansson.h>

#include "core/err.h"

#define VG_SHARE_POLL_MS 200 /* default round interval */

typedef struct vg_share_service vg_share_service;

typedef struct vg_share_service_opts {
	const char *dir;    /* the server's data directory (required) */
	const char *origin; /* installation name in payloads (NULL: host name) */
	int poll_ms;        /* 0: VG_SHARE_POLL_MS */
} vg_share_service_opts;

VG_WUR int vg_share_service_start(const vg_share_service_opts *o, vg_share_service **out, char *why,
				  size_t whylen);
/* Runs a round now (e.g. after the ingest committed alerts). */
void vg_share_service_wake(vg_share_service *s);
/* The same, and the round first forgets every destination's back-off
 * (vg_share_sender_wake): POST /api/v1/sharing/destinations/{name}/flush. */
void vg_share_service_flush(vg_share_service *s);
/* The status of the last round (vg_outbox_status's object plus "rounds" and
 * "loop_error"), or NULL before the first round. */
json_t *vg_share_service_status(vg_share_service *s);
/* Stops the thread (finishing its current send), closes, frees. NULL: no-op. */
void vg_share_service_stop(vg_share_service *s);

#endif
