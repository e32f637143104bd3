/* incidents.h — security incidents (R9): alerts grouped into incidents, the
 * response workflow, and the legal reporting deadlines computed from a
 * regulatory profile kept as data. Full description: docs/incidents.md.
 *
 * Model. An incident is created by hand (vg_incidents_create, POST
 * /api/v1/incidents) or by vg_incidents_tick from the `alerts` table: alerts
 * with the same rule id (event or correlation rule) attributed to the same
 * system (hooks.system_of; 0 = unattributed) join the open incident (state
 * new, triaged or contained) whose last alert is at most window_s older,
 * else they open a new one. Workflow: new -> triaged -> contained ->
 * resolved -> closed, forward moves only (skipping steps is allowed), plus
 * "reopen": resolved|closed -> triaged. Every change is a timeline entry.
 * Deadlines: each incident follows a profile (the organisation's active one,
 * or a per-system override, copied when the incident is created; PATCH can
 * change it). A profile gives the initial report (hours from detection) and
 * the closure report (hours from detection or from resolution). A deadline's
 * state at time now: done (the report is marked sent), overdue (now > due),
 * due_soon (due - now <= 24 h), pending (otherwise, or not yet started: a
 * closure due counted from resolution before the incident is resolved).
 * Serious: an affected system of level 4-5 or nationally important
 * (hooks.system_info), or major_impact, or beyond_capacity.
 *
 * Ownership: a vg_incidents borrows its vg_db (close it first). Structs
 * filled for the caller are self-contained; free them with their _free.
 * Errors: VG_EINVAL (bad argument, unknown state/type/profile, illegal
 * transition: check with vg_incident_transition_ok first), VG_ENOTFOUND (no
 * such incident), VG_ELIMIT (a text over its limit), VG_EIO/VG_ENOMEM
 * (SQLite; vg_db_errmsg). On error nothing is changed.
 * Thread-safety: as the vg_db (one thread at a time; the server calls tick
 * and the API handlers under the API lock). */
#ifndef VG_INCIDENTS_H
#define VG_INCIDENTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "server/activity.h"
#include "store/db.h"

#define VG_INC_TICK_ALERTS 1000      /* alerts processed per tick at most (a short write lock) */
#define VG_INC_WINDOW_DEFAULT_S 3600 /* grouping window */
#define VG_INC_WINDOW_MAX_S (30 * 86400)
#define VG_INC_TITLE_MAX 512
#define VG_INC_TEXT_MAX 65536 /* description, comment, impact, resolution, attachment */
#define VG_INC_NAME_MAX 128   /* assignee, recipient, profile name, attachment name */
#define VG_INC_PROFILE_HOURS_MAX (366 * 24)
#define VG_INC_DUE_SOON_US (24LL * 3600 * 1000000) /* due_soon when this close */
#define VG_INC_DEFAULT_PROFILE "vn-circular-20-2017"

typedef struct vg_incidents vg_incidents;
struct vg_api;

enum vg_inc_state {
	VG_INC_NEW = 0,
	VG_INC_TRIAGED,
	VG_INC_CONTAINED,
	VG_INC_RESOLVED,
	VG_INC_CLOSED,
	VG_INC_NSTATES
};

/* The types the 6-monthly report counts. */
enum vg_inc_type {
	VG_INC_MALWARE = 0,
	VG_INC_INTRUSION,
	VG_INC_ENCRYPTION, /* encryption / ransomware */
	VG_INC_DESTRUCTION,
	VG_INC_DATA_THEFT,
	VG_INC_COMBINED,
	VG_INC_OTHER,
	VG_INC_NTYPES
};

enum vg_inc_deadline_state {
	VG_DL_PENDING = 0,
	VG_DL_DUE_SOON,
	VG_DL_OVERDUE,
	VG_DL_DONE,
	VG_DL_NSTATES
};

enum vg_inc_report_kind { VG_INC_REPORT_INITIAL = 0, VG_INC_REPORT_CLOSURE = 1 };

/* Names: "new", "triaged", ...; "malware", "intrusion", "encryption",
 * "destruction", "data_theft", "combined", "other"; "pending", "due_soon",
 * "overdue", "done"; "initial", "closure". Static strings; NULL when out of
 * range. The _parse functions return the value or -1. */
const char *vg_inc_state_name(int s);
int vg_inc_state_parse(const char *s);
const char *vg_inc_type_name(int t);
int vg_inc_type_parse(const char *s);
const char *vg_inc_deadline_state_name(int s);
int vg_inc_deadline_state_parse(const char *s);
const char *vg_inc_report_kind_name(int k);
int vg_inc_report_kind_parse(const char *s);
/* 1 if the workflow allows from -> to (see above), else 0. */
int vg_incident_transition_ok(int from, int to);

/* Injected lookups into the systems registry (all optional; ud is theirs).
 * system_of: the system of an alert's origin, as for its source's activity
 * (host, sender address, agent id, input; strings never NULL, "" when
 * unknown; the event's source.ip is not part of it: it is usually the
 * attacker's), 0 = unattributed. system_info: 0 and *level (1-5), *national (0/1), or
 * VG_ENOTFOUND. system_unit: 0 and the owner unit path in unit[0..cap), or
 * VG_ENOTFOUND (cap >= 256 = VG_AUTH_UNIT_MAX + 1); incidents take the unit
 * of their first system, for unit scoping (vg_auth_unit_visible). */
typedef struct vg_incidents_hooks {
	int64_t (*system_of)(void *ud, const vg_activity *origin);
	int (*system_info)(void *ud, int64_t system_id, int *level, int *national);
	int (*system_unit)(void *ud, int64_t system_id, char *unit, size_t cap);
	void *ud;
} vg_incidents_hooks;

/* Migrates module "incidents" (seeding the two built-in profiles) and
 * prepares. NULL with *err on failure. */
vg_incidents *vg_incidents_open(vg_db *db, int *err);
void vg_incidents_close(vg_incidents *inc);
void vg_incidents_set_hooks(vg_incidents *inc, const vg_incidents_hooks *h);
/* Called inside the transaction of every successful change of incident id
 * (create, alerts joined by tick, transition, update, comment, attachment,
 * report mark), after the change; a non-zero return fails the change (the
 * sharing producers: share/producers.h). NULL fn: none. */
typedef int (*vg_incidents_change_fn)(void *ud, vg_incidents *inc, int64_t id, int64_t now_us);
void vg_incidents_set_change_hook(vg_incidents *inc, vg_incidents_change_fn fn, void *ud);
/* Routes under /api/v1 (see docs/openapi.yaml). */
VG_WUR int vg_incidents_register_api(vg_incidents *inc, struct vg_api *api);
/* Groups alerts with id > the high-water mark (kept in the module's table),
 * at most VG_INC_TICK_ALERTS per call, in one transaction. *processed (may
 * be NULL) gets how many. Detection time of a new incident = now_us. */
VG_WUR int vg_incidents_tick(vg_incidents *inc, int64_t now_us);
VG_WUR int vg_incidents_tick_n(vg_incidents *inc, int64_t now_us, size_t *processed);

/* GET /api/v1/incidents/{id}/report belongs to the report generator
 * (reports.h): this module owns the /incidents/ prefix, checks that the
 * incident exists and is visible to the caller, then forwards to fn. Without
 * a handler that path answers 404. */
struct vg_api_call;
typedef void (*vg_incidents_report_fn)(void *ud, struct vg_api_call *c, int64_t id);
void vg_incidents_set_report_handler(vg_incidents *inc, vg_incidents_report_fn fn, void *ud);
/* (for incidents_api.c) the handler set above; NULL when none. */
vg_incidents_report_fn vg_incidents_report_handler(vg_incidents *inc, void **ud);

/* ---- settings ---- */
/* Grouping window in seconds (1..VG_INC_WINDOW_MAX_S). */
VG_WUR int vg_incidents_set_window(vg_incidents *inc, int64_t window_s);
/* The active profile of the organisation (system_id 0) or of one system
 * (NULL name: remove the system's override). VG_EINVAL: unknown profile. */
VG_WUR int vg_incidents_set_active_profile(vg_incidents *inc, int64_t system_id, const char *name);

typedef struct vg_inc_profile {
	char name[VG_INC_NAME_MAX + 1];
	char title[VG_INC_TITLE_MAX + 1];
	int64_t initial_hours;  /* initial report: hours after detection */
	int64_t closure_hours;  /* closure report: hours after closure_from */
	int closure_from_resolved; /* 1: from resolution; 0: from detection */
	int builtin;
} vg_inc_profile;
/* Creates or replaces a profile (name [a-z0-9._-]); VG_EINVAL for bad values. */
VG_WUR int vg_incidents_profile_put(vg_incidents *inc, const vg_inc_profile *p);
VG_WUR int vg_incidents_profile_get(vg_incidents *inc, const char *name, vg_inc_profile *out);

/* Every profile, by name; non-zero from fn stops and is returned. */
VG_WUR int vg_incidents_profile_list(vg_incidents *inc, int (*fn)(void *ud, const vg_inc_profile *p), void *ud);
/* The organisation's active profile and the grouping window. */
VG_WUR int vg_incidents_settings(vg_incidents *inc, char *profile, size_t cap, int64_t *window_s);

/* ---- incidents ---- */
typedef struct vg_incident_new {
	const char *title;        /* required */
	const char *description;  /* NULL = "" */
	int type;                 /* enum vg_inc_type; -1 = other */
	const char *severity;     /* informational|low|medium|high|critical; NULL = medium */
	const int64_t *systems;   /* affected systems (may be NULL) */
	size_t nsystems;
	const int64_t *alerts;    /* alert ids to link (must exist) */
	size_t nalerts;
	int64_t detected_us;      /* 0 = now */
	const char *detection_method; /* NULL = "manual" */
	const char *actor;        /* who creates it (timeline, reporter) */
} vg_incident_new;
VG_WUR int vg_incidents_create(vg_incidents *inc, const vg_incident_new *n, int64_t now_us, int64_t *id);

/* Workflow move by actor; VG_EINVAL when not vg_incident_transition_ok. */
VG_WUR int vg_incidents_transition(vg_incidents *inc, int64_t id, int to, const char *actor, int64_t now_us);
VG_WUR int vg_incidents_comment(vg_incidents *inc, int64_t id, const char *actor, const char *text, int64_t now_us);
/* Marks a report sent (kind enum vg_inc_report_kind) at sent_us to recipient. */
VG_WUR int vg_incidents_mark_reported(vg_incidents *inc, int64_t id, int kind, int64_t sent_us, const char *recipient,
				      const char *actor, int64_t now_us);

typedef struct vg_inc_deadline {
	int kind;        /* enum vg_inc_report_kind */
	int64_t due_us;  /* 0 = not started yet (closure before resolution) */
	int state;       /* enum vg_inc_deadline_state at the given now */
	int64_t sent_us; /* done: when the report was sent, else 0 */
	char recipient[VG_INC_NAME_MAX + 1];
} vg_inc_deadline;
/* Both deadlines of an incident at now_us (out[0] initial, out[1] closure). */
VG_WUR int vg_incidents_deadlines(vg_incidents *inc, int64_t id, int64_t now_us, vg_inc_deadline out[2]);
/* 1 serious, 0 not, or a negative VG_E* code. */
int vg_incidents_serious(vg_incidents *inc, int64_t id);

/* Changes of fields by actor: NULL pointers / has_* = 0 leave a field as it
 * is. add_systems are added to the affected systems. One timeline entry. */
typedef struct vg_incident_patch {
	const char *title, *description, *severity, *impact, *resolution;
	const char *reporter, *reporter_contact, *profile;
	const char *assignee; /* "" = unassign */
	int type;             /* -1 = unchanged */
	int has_major_impact, major_impact;
	int has_beyond_capacity, beyond_capacity;
	const int64_t *add_systems;
	size_t nadd_systems;
} vg_incident_patch;
VG_WUR int vg_incidents_update(vg_incidents *inc, int64_t id, const vg_incident_patch *p, const char *actor,
			       int64_t now_us);
/* Evidence: a text or a URL, under a name. */
VG_WUR int vg_incidents_attach(vg_incidents *inc, int64_t id, const char *name, const char *content,
			       const char *actor, int64_t now_us);

/* Listing. Filters: -1 / 0 = any. A deadline filter matches an incident
 * with either deadline in that state. */
typedef struct vg_inc_filter {
	int state;           /* enum vg_inc_state, -1 any */
	int has_system;
	int64_t system;      /* affected system (0 = unattributed incidents) */
	int deadline;        /* enum vg_inc_deadline_state, -1 any */
	int serious;         /* 1 serious only, 0 not serious only, -1 any */
	int64_t after_id;    /* ids > after_id (paging), 0 = from the first */
	size_t limit;        /* rows delivered at most, 0 = no bound */
	/* unit scoping: incidents whose unit (NULL = none) is not visible are
	 * skipped; NULL = all visible */
	int (*visible)(void *ud, const char *unit);
	void *visible_ud;
} vg_inc_filter;

typedef struct vg_inc_summary {
	int64_t id;
	const char *title, *state, *type, *severity, *assignee, *unit, *profile; /* borrowed; "" none */
	const char *systems; /* comma-separated ids, "" none */
	int64_t detected_us, created_us, updated_us, resolved_us, closed_us;
	int64_t alert_count;
	int serious, major_impact, beyond_capacity;
	vg_inc_deadline deadlines[2];
} vg_inc_summary;
/* Calls fn per matching incident in id order (strings borrowed until it
 * returns); non-zero from fn stops and is returned. */
typedef int (*vg_inc_list_fn)(void *ud, const vg_inc_summary *s);
VG_WUR int vg_incidents_list(vg_incidents *inc, const vg_inc_filter *f, int64_t now_us, vg_inc_list_fn fn, void *ud);

/* The unit of an incident (into unit[0..cap), "" = none); VG_ENOTFOUND. */
VG_WUR int vg_incidents_unit(vg_incidents *inc, int64_t id, char *unit, size_t cap);
/* The last error's reason (borrowed; until the next call). */
const char *vg_incidents_errmsg(vg_incidents *inc);

/* ---- what the report forms (Mẫu 03 / Mẫu 04) need for one incident ---- */
typedef struct vg_incident_system_ref {
	int64_t id;
	int level;    /* 1-5; 0 when the registry does not know it */
	int national; /* nationally important */
} vg_incident_system_ref;

typedef struct vg_incident_alert_ref {
	int64_t id, ts_us;
	char *rule_id, *rule_title, *level, *host, *source_ip; /* "" when absent */
} vg_incident_alert_ref;

typedef struct vg_incident_timeline_entry {
	int64_t ts_us;
	char *actor;  /* user name, or "vigil" for automatic entries */
	char *action; /* created, alert, transition, comment, assign, update, report, attachment */
	char *text;   /* human-readable detail */
} vg_incident_timeline_entry;

typedef struct vg_incident_attachment {
	int64_t ts_us;
	char *added_by, *name, *content; /* content: text or a URL */
} vg_incident_attachment;

typedef struct vg_incident_report_data {
	int64_t id;
	char *title, *description;
	char *state;    /* vg_inc_state_name */
	char *type;     /* vg_inc_type_name */
	char *severity; /* highest alert level, or as set */
	char *reporter, *reporter_contact; /* who reports (creator unless set) */
	char *assignee; /* "" when none */
	char *unit;     /* owner unit of the first system; "" when none */
	char *detection_method; /* "rule RULE_ID: TITLE" or as entered */
	char *impact, *resolution; /* analyst's texts ("" when none) */
	char *profile;
	int64_t detected_us, first_alert_us, last_alert_us; /* 0 when none */
	int64_t created_us, updated_us, resolved_us, closed_us; /* 0 when never */
	int major_impact, beyond_capacity, serious;
	vg_inc_deadline deadlines[2]; /* at the now_us given */
	vg_incident_system_ref *systems;
	size_t nsystems;
	vg_incident_alert_ref *alerts; /* oldest first, at most VG_INC_REPORT_ALERTS */
	size_t nalerts;
	size_t alerts_total; /* linked alerts in all */
	vg_incident_timeline_entry *timeline; /* oldest first */
	size_t ntimeline;
	vg_incident_attachment *attachments;
	size_t nattachments;
} vg_incident_report_data;
#define VG_INC_REPORT_ALERTS 1000

/* Fills out (zeroed first) for incident id as of now (deadline states).
 * VG_ENOTFOUND, VG_ENOMEM, VG_EIO. Free with vg_incident_report_data_free
 * (also on error: then a no-op). */
VG_WUR int vg_incidents_get_report_data_at(vg_incidents *inc, int64_t id, int64_t now_us,
					   vg_incident_report_data *out);
/* The same at the current wall-clock time. */
VG_WUR int vg_incidents_get_report_data(vg_incidents *inc, int64_t id, vg_incident_report_data *out);
void vg_incident_report_data_free(vg_incident_report_data *d);

#endif
