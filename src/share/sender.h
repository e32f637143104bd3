/* sender.h — the sending loop of sharing: per destination, the outbox items
 * in seq order, in batches, through the destination's sink; an item leaves
 * the outbox (vg_outbox_ack) only after its sink reported it delivered, so a
 * failure at any point means a resend with the same id and seq (receivers
 * de-duplicate by id). Failures are recorded (vg_outbox_fail) and retried
 * with exponential back-off: VG_SENDER_BACKOFF_MIN_MS doubling up to
 * VG_SENDER_BACKOFF_MAX_MS; a failure that needs an operator (certificate
 * refused, 4xx) waits the maximum at once. Destinations are independent: one
 * that is down never delays another.
 *
 * One sender per data directory: vg_share_sender_lock takes DIR/share/sender.lock
 * (flock), so `vigil sharing flush` and the server never send at once.
 * Ownership: the sender borrows its outbox and keys; it owns its sinks.
 * Errors: 0 or a negative VG_E* code (only for the outbox's own failures;
 * a sink's failure is a destination's state, not an error of the run).
 * Thread-safety: one thread (the outbox's connection). */
#ifndef VG_SHARE_SENDER_H
#define VG_SHARE_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "share/outbox.h"
#include "share/sign.h"

#define VG_SENDER_BACKOFF_MIN_MS 1000
#define VG_SENDER_BACKOFF_MAX_MS 300000

typedef struct vg_share_sender vg_share_sender;

typedef struct vg_share_sender_stats {
	uint64_t sent;      /* items delivered in this run */
	uint64_t failures;  /* failed sends in this run */
	size_t pending;     /* destinations that still have a backlog */
	int64_t next_us;    /* when the earliest backed-off destination is due (0: none) */
} vg_share_sender_stats;

vg_share_sender *vg_share_sender_new(vg_outbox *ob, const vg_share_keys *k, int *err);
void vg_share_sender_free(vg_share_sender *s);

/* One pass over the destinations that are due at now_us: sends their
 * backlog batch by batch until it is empty, a send fails, or budget_us has
 * passed. The destination list and configurations are reread each pass
 * (a changed configuration reopens its sink). Failures are also printed on
 * stderr when verbose. */
VG_WUR int vg_share_sender_run(vg_share_sender *s, int64_t now_us, int64_t budget_us, int verbose,
			       vg_share_sender_stats *st);
/* Forgets the back-off of every destination (the next run tries at once). */
void vg_share_sender_wake(vg_share_sender *s);

/* Takes the exclusive sender lock of DIR (non-blocking): 0, VG_EIO with
 * errno EWOULDBLOCK when another process holds it. Release with close(*fd). */
VG_WUR int vg_share_sender_lock(const char *dir, int *fd);

#endif
