/* assess.h — layer 3 of the 4-layer model: the periodic security assessment
 * of each information system, its schedule, and the findings tracked to
 * closure (module "assess" of the state database: tables assessments and
 * assess_findings).
 *
 * Schedule: a system of security level 3 or 4 is assessed every 12 months,
 * level 5 every 6 months (levels 1-2: not required); the whole organisation
 * (system id 0) every 24 months. The next due date is the last recorded
 * assessment plus the interval (calendar months, UTC, the day clamped to the
 * month's end), or the system's creation plus the interval when it was never
 * assessed (for the organisation: the earliest system's creation). States
 * at a time `now`: overdue (now >= due), due_soon (due - now <= 30 days),
 * upcoming, not_required. Findings: open -> in_progress (needs an owner) ->
 * closed; open -> closed; a closed finding may be reopened (-> open); a
 * finding not closed past its due date is overdue.
 *
 * Systems come from an injected enumerator (the systems module), so this
 * module depends on nothing but the database; without one (or with no
 * systems) only the organisation's own assessments are known.
 *
 * REST (vg_assess_register_api): GET /api/v1/assessments (schedule with
 * states, and the recorded assessments; ?system_id=, ?state=), POST
 * /api/v1/assessments (record one), GET/POST /api/v1/assessments/findings,
 * GET/PATCH/DELETE /api/v1/assessments/findings/{id}. Readers see the systems
 * of their units (vg_auth_unit_visible) and the organisation's entries;
 * writes need the analyst or admin role; changes are audited
 * ("assessment.record", "finding.add", "finding.update", "finding.delete").
 *
 * Ownership: db borrowed; records passed in are copied; records passed to
 * callbacks are borrowed until the callback returns.
 * Errors: 0 or a negative VG_E* code: VG_EINVAL (invalid record or state
 * change, *field names the member), VG_ENOTFOUND (no such system, assessment
 * or finding), VG_ELIMIT (more than VG_ASSESS_MAX_SYSTEMS systems),
 * VG_EIO/VG_ENOMEM from SQLite.
 * Thread-safety: as the vg_db (the API lock). */
#ifndef VG_ASSESS_H
#define VG_ASSESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

#define VG_ASSESS_MODULE "assess"
#define VG_ASSESS_DUE_SOON_US (30LL * 86400 * 1000000) /* "due_soon" window */
#define VG_ASSESS_MONTHS_L34 12                         /* levels 3 and 4 */
#define VG_ASSESS_MONTHS_L5 6                           /* level 5 */
#define VG_ASSESS_MONTHS_ORG 24                         /* the whole organisation */
#define VG_ASSESS_MAX_SYSTEMS 100000                    /* systems in one schedule */
#define VG_ASSESS_TEXT_MAX 4096                         /* bytes in a summary, description or note */
#define VG_ASSESS_NAME_MAX 256                          /* bytes in a title, assessor or owner */
#define VG_ASSESS_MAX_LIST 10000                        /* rows in one list answer */
#define VG_ASSESS_ORG 0                                 /* system id of the whole organisation */

typedef struct vg_assess vg_assess;

/* The systems enumerator: calls fn(ud2, ...) once per system; returns 0 or a
 * VG_E* code. created_us is the system's creation time. */
typedef void (*vg_assess_system_fn)(void *ud2, int64_t id, const char *name, const char *unit, int level,
				    int64_t created_us);
typedef int (*vg_assess_systems_each)(void *ud, vg_assess_system_fn fn, void *ud2);

vg_assess *vg_assess_open(vg_db *db, int *err);
void vg_assess_close(vg_assess *a);
/* Sets (or clears, with NULL) the systems enumerator; ud borrowed. */
void vg_assess_set_systems(vg_assess *a, vg_assess_systems_each each, void *ud);

/* Months between assessments for a level: 12, 6, or 0 (not required). */
int vg_assess_interval_months(int level);
/* t plus `months` calendar months (UTC; the day clamped to the month end). */
int64_t vg_assess_add_months(int64_t t_us, int months);

/* ---- schedule ---- */
typedef struct vg_assess_due {
	int64_t system_id;      /* VG_ASSESS_ORG: the organisation */
	const char *name;       /* system name ("organisation" for the org) */
	const char *unit;       /* NULL for the organisation or no unit */
	int level;              /* 0 for the organisation */
	int interval_months;    /* 0: not required */
	int64_t last_us;        /* last assessment's date; 0 = never */
	int64_t last_id;        /* its id; 0 = never */
	int64_t base_us;        /* last_us, or the creation the schedule counts from */
	int64_t due_us;         /* 0 when not required */
	const char *state;      /* "overdue", "due_soon", "upcoming", "not_required" */
	int64_t open_findings;  /* not closed */
	int64_t overdue_findings;
} vg_assess_due;
typedef int (*vg_assess_due_fn)(void *ud, const vg_assess_due *d);

/* The organisation's entry first, then systems by id. */
VG_WUR int vg_assess_schedule(vg_assess *a, int64_t now_us, vg_assess_due_fn fn, void *ud);

/* ---- assessments ---- */
typedef struct vg_assess_rec {
	int64_t id;             /* set by the module */
	int64_t system_id;      /* VG_ASSESS_ORG or a known system */
	int64_t date_us;        /* when it was carried out (> 0) */
	const char *assessor;   /* required: who (organisation or person) */
	const char *summary;    /* NULL = none */
	int64_t created_us;
	const char *created_by;
} vg_assess_rec;
typedef int (*vg_assess_rec_fn)(void *ud, const vg_assess_rec *r);

/* Records an assessment; VG_ENOTFOUND (*field = "system_id") for a system
 * the enumerator does not know. */
VG_WUR int vg_assess_record(vg_assess *a, const vg_assess_rec *r, int64_t now_us, int64_t *id, const char **field);
/* Newest first; system_id < 0: all. At most VG_ASSESS_MAX_LIST. */
VG_WUR int vg_assess_list(vg_assess *a, int64_t system_id, vg_assess_rec_fn fn, void *ud);

/* ---- findings ---- */
typedef struct vg_assess_finding {
	int64_t id;             /* set by the module */
	int64_t system_id;      /* VG_ASSESS_ORG or a known system */
	int64_t assessment_id;  /* 0 = none; else an assessment of the same system */
	const char *title;      /* required */
	const char *severity;   /* "low", "medium", "high", "critical" */
	const char *state;      /* add: NULL = "open" */
	const char *owner;      /* NULL = unassigned */
	int64_t due_us;         /* 0 = no due date */
	const char *description;
	const char *note;       /* latest progress note */
	int64_t created_us, updated_us, closed_us; /* set by the module; closed_us 0 = not closed */
	const char *created_by;
	int overdue;            /* computed by lists: not closed and due_us <= now */
} vg_assess_finding;
typedef int (*vg_assess_finding_fn)(void *ud, const vg_assess_finding *f);

/* A change: members NULL / has_* 0 stay as they are. */
typedef struct vg_assess_patch {
	const char *state, *owner, *title, *severity, *description, *note;
	int has_due;
	int64_t due_us;        /* 0 clears it */
} vg_assess_patch;

VG_WUR int vg_assess_finding_add(vg_assess *a, const vg_assess_finding *f, int64_t now_us, int64_t *id,
				 const char **field);
/* Applies p; an invalid state change is VG_EINVAL with *field = "state". */
VG_WUR int vg_assess_finding_update(vg_assess *a, int64_t id, const vg_assess_patch *p, int64_t now_us,
				    const char **field);
VG_WUR int vg_assess_finding_delete(vg_assess *a, int64_t id);
VG_WUR int vg_assess_finding_get(vg_assess *a, int64_t id, int64_t now_us, vg_assess_finding_fn fn, void *ud);

typedef struct vg_assess_filter {
	int64_t system_id;      /* < 0: any */
	const char *state;      /* NULL: any; "open" / "in_progress" / "closed" */
	int overdue_only;
} vg_assess_filter;
/* By due date (none last), then id. */
VG_WUR int vg_assess_finding_list(vg_assess *a, const vg_assess_filter *f, int64_t now_us,
				  vg_assess_finding_fn fn, void *ud);

struct vg_api;
VG_WUR int vg_assess_register_api(vg_assess *a, struct vg_api *api);

#endif
