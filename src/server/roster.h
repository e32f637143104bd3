/* roster.h — the 24/7 watch: shifts of named people (vigil users), who is on
 * duty at a given time, and the gaps where no one is (module "roster" of the
 * state database, table roster_shifts).
 *
 * A shift is [start_us, end_us) with the person's notification channels (an
 * e-mail address and/or a webhook URL). Shifts may overlap: everyone on duty
 * at a time is returned (and notified, see notify.h). Gaps are the parts of
 * a window that no shift covers.
 *
 * REST (vg_roster_register_api): GET /api/v1/roster?from=&to= (shifts that
 * overlap the window, default now .. now + 7 days, and its gaps), POST
 * /api/v1/roster (add a shift; analyst or admin), DELETE /api/v1/roster/{id},
 * GET /api/v1/roster/now. Changes are audited ("roster.add",
 * "roster.delete"). When vg_roster_set_users gave it the auth module, a
 * shift's person must be an existing vigil user.
 *
 * Ownership: the db (and auth) are borrowed and must outlive the roster.
 * Shifts passed in are copied; shifts passed to callbacks are borrowed until
 * the callback returns.
 * Errors: 0 or a negative VG_E* code: VG_EINVAL (invalid shift; *field names
 * the member), VG_ENOTFOUND (no such shift), VG_ELIMIT (a window longer than
 * VG_ROSTER_MAX_WINDOW_US, more than VG_ROSTER_MAX_LIST shifts in one list),
 * VG_EIO/VG_ENOMEM from SQLite (vg_db_errmsg says why).
 * Thread-safety: as the vg_db (one thread at a time; the API lock). */
#ifndef VG_ROSTER_H
#define VG_ROSTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

#define VG_ROSTER_MODULE "roster"
#define VG_ROSTER_PERSON_MAX 64                          /* bytes in a person (a vigil user name) */
#define VG_ROSTER_EMAIL_MAX 254                          /* bytes in an e-mail address (RFC 5321) */
#define VG_ROSTER_URL_MAX 2048                           /* bytes in a webhook URL */
#define VG_ROSTER_NOTE_MAX 1024                          /* bytes in a note */
#define VG_ROSTER_MAX_SHIFT_US (31LL * 86400 * 1000000)  /* longest shift */
#define VG_ROSTER_MAX_WINDOW_US (366LL * 86400 * 1000000) /* longest window of a list or gap query */
#define VG_ROSTER_MAX_LIST 10000                          /* shifts in one list answer */
#define VG_ROSTER_GAP_WINDOW_US (7LL * 86400 * 1000000)   /* default look-ahead for gaps */

typedef struct vg_roster vg_roster;

typedef struct vg_roster_shift {
	int64_t id;            /* set by the module; ignored by vg_roster_add */
	const char *person;    /* required: a vigil user name */
	int64_t start_us;      /* µs since the epoch UTC, start < end */
	int64_t end_us;        /* exclusive */
	const char *email;     /* NULL or "" = none */
	const char *webhook;   /* NULL or "" = none; http:// or https:// */
	const char *note;      /* NULL or "" = none */
	int64_t created_us;    /* set by the module */
	const char *created_by; /* who added it (NULL = unknown) */
} vg_roster_shift;

typedef int (*vg_roster_fn)(void *ud, const vg_roster_shift *s);
typedef int (*vg_roster_gap_fn)(void *ud, int64_t from_us, int64_t to_us);

/* Migrates the module's tables on db (read-write). NULL with *err set. */
vg_roster *vg_roster_open(vg_db *db, int *err);
void vg_roster_close(vg_roster *r);
/* Optional: check that a shift's person is a vigil user (API only). The
 * argument is a vg_auth * (borrowed). */
struct vg_auth;
void vg_roster_set_users(vg_roster *r, struct vg_auth *auth);

/* Validation alone (shared by the API): 0, or VG_EINVAL with *field (may be
 * NULL) set to the offending member ("person", "start", "end", "email",
 * "webhook", "note"). */
VG_WUR int vg_roster_check(const vg_roster_shift *s, const char **field);
/* Channel address checks (also used by notify.c): a plain mailbox
 * local@domain in printable ASCII without spaces, quotes, brackets, commas
 * or semicolons; an http:// or https:// URL without spaces or controls. */
int vg_roster_email_ok(const char *s);
int vg_roster_url_ok(const char *s);
/* Adds a shift (validated as above); *id (may be NULL) gets its id. */
VG_WUR int vg_roster_add(vg_roster *r, const vg_roster_shift *s, int64_t now_us, int64_t *id, const char **field);
VG_WUR int vg_roster_delete(vg_roster *r, int64_t id);
/* One shift by id: fn called once, or VG_ENOTFOUND. */
VG_WUR int vg_roster_get(vg_roster *r, int64_t id, vg_roster_fn fn, void *ud);
/* Shifts overlapping [from_us, to_us), by start then id. Non-zero from fn
 * stops the list, which returns that value. */
VG_WUR int vg_roster_list(vg_roster *r, int64_t from_us, int64_t to_us, vg_roster_fn fn, void *ud);
/* Shifts with start_us <= at_us < end_us, by start then id. */
VG_WUR int vg_roster_on_duty(vg_roster *r, int64_t at_us, vg_roster_fn fn, void *ud);
/* The maximal sub-intervals of [from_us, to_us) that no shift covers, in
 * order. */
VG_WUR int vg_roster_gaps(vg_roster *r, int64_t from_us, int64_t to_us, vg_roster_gap_fn fn, void *ud);

/* Registers the routes above (see api.h). */
struct vg_api;
VG_WUR int vg_roster_register_api(vg_roster *r, struct vg_api *api);

#endif
