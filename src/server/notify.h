/* notify.h — telling the person on duty about a new high or critical alert:
 * a webhook POST (JSON) and an e-mail over SMTP (module "notify" of the state
 * database: notify_settings, notify_state, notify_outbox).
 *
 * Flow, in three steps so that network I/O never runs under the API lock:
 *  1. vg_notify_tick (under the lock, fast): reads at most
 *     VG_NOTIFY_TICK_ALERTS alerts above its high-water mark, and for each one
 *     at or above the minimum level queues one outbox row per channel of
 *     everyone on duty now (roster.h); no one on duty: a "none" row, failed
 *     with "no one on duty", so the miss is visible. The mark starts at the
 *     newest alert when the module is first installed (no flood of old alerts).
 *     A notification is queued once: (alert, channel, address) is unique.
 *  2. vg_notify_collect (under the lock): leases due rows (pending, or
 *     "sending" whose lease expired after a crash) and copies them with the
 *     settings into a batch owned by the caller.
 *     vg_notify_send (WITHOUT the lock): delivers the batch; touches no
 *     database.
 *     vg_notify_finish (under the lock): records each result: sent, or
 *     retried with back-off (VG_NOTIFY_BACKOFF_US doubling up to
 *     VG_NOTIFY_BACKOFF_MAX_US) until VG_NOTIFY_MAX_ATTEMPTS, then failed.
 *  3. vg_notify_start runs step 2 on a thread of its own about once a second
 *     (and at once after POST /notify/test); vg_notify_run_once does one
 *     round of it synchronously (tests, tools).
 * The server calls vg_notify_tick from its once-a-second tick under
 * vg_api_lock, vg_notify_start after vg_http_start, vg_notify_stop before
 * vg_api_free.
 *
 * Secrets: the SMTP password is stored in the state database (mode 0600;
 * SMTP AUTH needs it in clear), never logged, never returned by the API,
 * never put in the audit log, and wiped from batches when they are freed.
 *
 * REST (vg_notify_register_api): GET/PUT /api/v1/notify/settings (admin),
 * POST /api/v1/notify/test (admin; queues a test message to given addresses
 * or to everyone on duty; 202), GET /api/v1/notify/outbox (?state=, ?limit=).
 *
 * Ownership: db (and the api of vg_notify_start) borrowed, must outlive the
 * module. A batch belongs to the caller until vg_notify_finish frees it.
 * Errors: 0 or a negative VG_E* code: VG_EINVAL (invalid setting, *field
 * names it), VG_EIO/VG_ENOMEM from SQLite or thread creation.
 * Thread-safety: every call but vg_notify_send takes the db: one thread at a
 * time (the API lock); vg_notify_send may run concurrently with them. */
#ifndef VG_NOTIFY_H
#define VG_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

#define VG_NOTIFY_MODULE "notify"
#define VG_NOTIFY_TICK_ALERTS 1000                     /* alerts read per tick */
#define VG_NOTIFY_BATCH 32                             /* outbox rows per send round */
#define VG_NOTIFY_MAX_ATTEMPTS 8                       /* then the row is failed */
#define VG_NOTIFY_BACKOFF_US (30LL * 1000000)          /* after the first failure; doubles */
#define VG_NOTIFY_BACKOFF_MAX_US (3600LL * 1000000)    /* longest wait between attempts */
#define VG_NOTIFY_LEASE_US (300LL * 1000000)           /* a "sending" row is retried after this */
#define VG_NOTIFY_TIMEOUT_S 10                         /* default per-delivery timeout */
#define VG_NOTIFY_MAX_RECIPIENTS 64                    /* on-duty shifts notified per alert */
#define VG_NOTIFY_ERR_MAX 256                          /* bytes of a delivery error */
#define VG_NOTIFY_SECRET_MAX 1024                      /* bytes of the SMTP password */
#define VG_NOTIFY_OUTBOX_LIST_MAX 1000                 /* rows in one outbox answer */

typedef struct vg_notify vg_notify;

/* The delivery settings (strings "" when unset). */
typedef struct vg_notify_settings {
	int enabled;             /* 0: nothing is queued for alerts */
	const char *min_level;   /* "high" (high and critical) or "critical" */
	const char *smtp_host;   /* "" = no e-mail */
	int smtp_port;           /* 1..65535 */
	const char *smtp_security; /* "none", "starttls" (required STARTTLS), "tls" (SMTPS) */
	const char *smtp_user;   /* "" = no AUTH */
	const char *smtp_password;
	const char *mail_from;   /* envelope and From: address */
	const char *link_base;   /* "https://vigil.example" -> links LINK_BASE/alerts/ID; "" = none */
	const char *ca_file;     /* PEM CA bundle for smtps/https peers; "" = the system's */
	int timeout_s;           /* 1..120 */
} vg_notify_settings;

/* A change to the settings: NULL / has_* 0 keep the current value. */
typedef struct vg_notify_settings_patch {
	int has_enabled, enabled;
	const char *min_level, *smtp_host;
	int has_port, smtp_port;
	const char *smtp_security, *smtp_user, *smtp_password, *mail_from, *link_base, *ca_file;
	int has_timeout, timeout_s;
} vg_notify_settings_patch;

vg_notify *vg_notify_open(vg_db *db, int *err);
/* Stops the sender thread if running, then frees. NULL is a no-op. */
void vg_notify_close(vg_notify *n);

/* The current settings, passed to fn (borrowed until it returns). */
typedef void (*vg_notify_settings_fn)(void *ud, const vg_notify_settings *s);
VG_WUR int vg_notify_settings_get(vg_notify *n, vg_notify_settings_fn fn, void *ud);
/* Validates and applies p; VG_EINVAL with *field = the member's name. */
VG_WUR int vg_notify_settings_set(vg_notify *n, const vg_notify_settings_patch *p, const char **field);

/* Step 1 (under the lock). *queued (may be NULL) gets the rows queued. */
VG_WUR int vg_notify_tick(vg_notify *n, int64_t now_us);
VG_WUR int vg_notify_tick_count(vg_notify *n, int64_t now_us, size_t *queued);

/* Queues a test message to email and/or webhook (NULL or "": none); both
 * absent: to every channel of everyone on duty at now_us. *count gets the
 * rows queued (0: no recipient). */
VG_WUR int vg_notify_queue_test(vg_notify *n, const char *email, const char *webhook, const char *by,
				int64_t now_us, size_t *count);

/* Step 2. */
typedef struct vg_notify_batch vg_notify_batch;
/* *out = NULL when nothing is due. */
VG_WUR int vg_notify_collect(vg_notify *n, int64_t now_us, vg_notify_batch **out);
/* Delivers every item; returns the number delivered. No database access. */
size_t vg_notify_send(vg_notify_batch *b);
/* Records the results and frees b (also on error). */
VG_WUR int vg_notify_finish(vg_notify *n, vg_notify_batch *b, int64_t now_us);

struct vg_api;
/* One collect/send/finish round with the API lock held only around the
 * database steps; *sent (may be NULL) gets the deliveries that succeeded. */
VG_WUR int vg_notify_run_once(vg_notify *n, struct vg_api *api, int64_t now_us, size_t *sent);
/* The sender thread (real clock). vg_notify_stop aborts the deliveries in
 * progress (libcurl's progress callback) and puts what was not delivered
 * back to pending without counting an attempt, then joins the thread. */
VG_WUR int vg_notify_start(vg_notify *n, struct vg_api *api);
void vg_notify_stop(vg_notify *n);

/* One outbox row, for lists (strings borrowed until fn returns). */
typedef struct vg_notify_item {
	int64_t id, alert_id; /* alert_id 0 for tests */
	const char *kind, *channel, *person, *address, *subject, *state, *last_error;
	int attempts;
	int64_t next_us, created_us, sent_us;
} vg_notify_item;
typedef int (*vg_notify_item_fn)(void *ud, const vg_notify_item *it);
/* Newest first; state NULL = any; at most limit (<= VG_NOTIFY_OUTBOX_LIST_MAX). */
VG_WUR int vg_notify_outbox(vg_notify *n, const char *state, size_t limit, vg_notify_item_fn fn, void *ud);

VG_WUR int vg_notify_register_api(vg_notify *n, struct vg_api *api);

#endif
