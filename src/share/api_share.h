/* api_share.h — sharing configuration over the REST API (docs/sharing.md,
 * "API"; docs/openapi.yaml): destinations and their policies, the public
 * key that verifies our signatures, and a request to send now. The same
 * rules as `vigil sharing` (the validation is the outbox's, sink.h's and
 * policy.h's; nothing is checked twice differently):
 *   GET    /api/v1/sharing/destinations                  read
 *   POST   /api/v1/sharing/destinations                  admin {name, config, policy?}
 *   GET    /api/v1/sharing/destinations/{name}           read  (with its status)
 *   PUT    /api/v1/sharing/destinations/{name}           admin {config, policy?}
 *   DELETE /api/v1/sharing/destinations/{name}           admin (its unsent items go too)
 *   GET    /api/v1/sharing/destinations/{name}/policy    read
 *   PUT    /api/v1/sharing/destinations/{name}/policy    admin (the policy document)
 *   POST   /api/v1/sharing/destinations/{name}/flush     admin (202: the sender is woken)
 *   GET    /api/v1/sharing/pubkey                        read  (JSON, or ?format=pem)
 * Every change is audited (sharing.destination.create|update|delete,
 * sharing.policy.set, sharing.flush) in the change's transaction. A bad
 * value answers 400 naming the member ("config: url: ..."), an existing
 * name 409, an unknown one 404.
 *
 * Ownership: a vg_share_api borrows the outbox (on the API's connection),
 * the keys and the flush callback's ud; free it after the vg_http stopped.
 * Errors: new returns NULL on ENOMEM; register 0 or a negative VG_E* code.
 * Thread-safety: handlers run under the API lock; flush must be callable
 * from an HTTP thread (vg_share_service_wake is). */
#ifndef VG_SHARE_API_SHARE_H
#define VG_SHARE_API_SHARE_H

#include "core/err.h"
#include "server/api.h"
#include "share/outbox.h"
#include "share/sign.h"

typedef struct vg_share_api vg_share_api;

typedef struct vg_share_api_opts {
	vg_outbox *ob;             /* an outbox on the API's vg_db (required) */
	const vg_share_keys *keys; /* whose public key GET /sharing/pubkey shows (required) */
	/* asks the sender to try every destination now, forgetting back-offs
	 * (NULL: the flush route answers 503) */
	void (*flush)(void *ud);
	void *ud;
} vg_share_api_opts;

vg_share_api *vg_share_api_new(const vg_share_api_opts *o);
void vg_share_api_free(vg_share_api *sa); /* NULL: no-op */
/* Registers the routes above on api (before vg_http_start). */
VG_WUR int vg_share_api_register(vg_share_api *sa, vg_api *api);

#endif
