/* systems.h — the registry of information systems (module "systems" of
 * DIR/vigil.db; docs/systems.md): units (the organisation tree, by path
 * "bo-x/cuc-y/phong-z"), systems with their security level and the facts the
 * regulations ask for, hosts, attribution rules, and the activity each
 * system's sources showed per layer (for coverage.h).
 *
 * Systems are JSON documents with a fixed set of snake_case members (the
 * field table in systems.c, documented in docs/systems.md and
 * docs/openapi.yaml); unknown members are refused. Attribution rules
 * are rows (kind, pattern, system, priority), cached in memory sorted by
 * priority and reloaded after every change made through this module.
 *
 * Ownership: a vg_systems borrows its vg_db (the API's connection; close the
 * vg_systems first). json_t results are new references the caller decrefs;
 * input documents are borrowed.
 * Errors: VG_EINVAL (a bad value: vg_systems_errmsg names the field;
 * vg_systems_err_status says 400, 403 or 409 for a name that exists or a
 * unit still in use), VG_ENOTFOUND (no such system/unit/host/rule: 404),
 * VG_ELIMIT (over a limit below), VG_EIO/VG_ENOMEM (SQLite). A failed call
 * changes nothing (each change is one transaction, or part of the caller's).
 * Thread-safety: as the vg_db (one thread at a time: the API lock). */
#ifndef VG_SYSTEMS_H
#define VG_SYSTEMS_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "server/activity.h"
#include "server/api.h"
#include "server/auth.h"
#include "store/db.h"

#define VG_SYSTEMS_MODULE "systems"

#define VG_SYSTEMS_TEXT_MAX 1024     /* bytes of a text member (name, reason, contact fields) */
#define VG_SYSTEMS_NAME_MAX 200      /* bytes of a system or unit display name */
#define VG_SYSTEMS_LIST_MAX 256      /* entries in a list member (public_ips, domains, services, contacts) */
#define VG_SYSTEMS_MAX 10000         /* systems in the registry */
#define VG_SYSTEMS_MAX_UNITS 10000   /* units */
#define VG_SYSTEMS_MAX_HOSTS 100000  /* declared hosts */
#define VG_SYSTEMS_MAX_RULES 10000   /* attribution rules */
#define VG_SYSTEMS_PATTERN_MAX 255   /* bytes of a rule pattern */
#define VG_SYSTEMS_HOURLY_KEEP_H 48  /* hourly counts kept, hours */
#define VG_SYSTEMS_SOURCE_KEEP_D 30  /* a source not seen for this many days is forgotten */

typedef struct vg_systems vg_systems;

/* Migrates the module's tables on db (read-write) and loads the rules.
 * NULL on failure with *err set. */
vg_systems *vg_systems_open(vg_db *db, int *err);
void vg_systems_close(vg_systems *s); /* NULL is a no-op */
/* Why the last call failed (names the member for VG_EINVAL), and the HTTP
 * status that fits it (400, 403, 404, 409, 500). */
const char *vg_systems_errmsg(const vg_systems *s);
int vg_systems_err_status(const vg_systems *s);

/* Called inside the savepoint of every successful create (before NULL),
 * update and delete (after NULL; now_us 0: delete has no clock) of system
 * id with its documents; a non-zero return fails the change (the sharing
 * producers: share/producers.h). NULL fn: none. */
typedef int (*vg_systems_change_fn)(void *ud, int64_t id, const json_t *before, const json_t *after, int64_t now_us);
void vg_systems_set_change_hook(vg_systems *s, vg_systems_change_fn fn, void *ud);

/* Routes under /api/v1: units, systems, systems/{id}/hosts,
 * attribution-rules (docs/openapi.yaml). */
VG_WUR int vg_systems_register_api(vg_systems *s, vg_api *api);
/* Prunes hourly counts older than VG_SYSTEMS_HOURLY_KEEP_H and sources not
 * seen for VG_SYSTEMS_SOURCE_KEEP_D days (at most once a minute). */
VG_WUR int vg_systems_tick(vg_systems *s, int64_t now_us);

/* Every function that takes a principal filters by vg_auth_unit_visible;
 * who == NULL sees everything. */

/* ---- units ---- */
/* Creates unit `path` (vg_auth_unit_valid; its parent path must exist) with
 * display name `name` (UTF-8). VG_EINVAL (409) when it exists. */
VG_WUR int vg_systems_unit_add(vg_systems *s, const char *path, const char *name, int64_t now_us);
VG_WUR int vg_systems_unit_rename(vg_systems *s, const char *path, const char *name);
/* VG_EINVAL (409) while systems or child units use it. */
VG_WUR int vg_systems_unit_delete(vg_systems *s, const char *path);
/* {"units":[{"path","name","parent"}]} in path order. */
VG_WUR int vg_systems_units(vg_systems *s, const vg_principal *who, json_t **out);

/* ---- systems ---- */
/* Creates a system from doc (members as documented; name, unit and level
 * required). *id gets its id. */
VG_WUR int vg_systems_create(vg_systems *s, const json_t *doc, int64_t now_us, int64_t *id);
/* Replaces the members present in patch (JSON merge of the top level). */
VG_WUR int vg_systems_update(vg_systems *s, int64_t id, const json_t *patch, int64_t now_us);
/* Deletes the system with its hosts, rules and activity. */
VG_WUR int vg_systems_delete(vg_systems *s, int64_t id);
/* The document with "id", "created_us", "updated_us". VG_ENOTFOUND also
 * when who may not see it. */
VG_WUR int vg_systems_get(vg_systems *s, const vg_principal *who, int64_t id, json_t **out);

typedef struct vg_systems_filter {
	int level;        /* 0 = any, else 1..5 */
	const char *unit; /* NULL = any; else the unit and its descendants */
} vg_systems_filter;
/* {"systems":[doc...]} by level descending, then name. */
VG_WUR int vg_systems_list(vg_systems *s, const vg_principal *who, const vg_systems_filter *f, json_t **out);
/* The owner unit of a system into unit[VG_AUTH_UNIT_MAX + 1]. */
VG_WUR int vg_systems_unit_of(vg_systems *s, int64_t id, char *unit);

/* ---- hosts ---- */
/* A host of system sys: name (hostname, unique across systems, compared
 * without case) and an optional IP address (ip NULL or ""). Declared hosts
 * attribute their events after the explicit rules. */
VG_WUR int vg_systems_host_add(vg_systems *s, int64_t sys, const char *name, const char *ip, int64_t now_us,
			       int64_t *id);
VG_WUR int vg_systems_host_delete(vg_systems *s, int64_t sys, int64_t host_id);
/* {"hosts":[{"id","name","ip","last_seen_us","events"}]}: last_seen_us from
 * the sources whose host name or address matches (null if never). */
VG_WUR int vg_systems_hosts(vg_systems *s, int64_t sys, json_t **out);

/* ---- attribution ---- */
enum vg_rule_kind {
	VG_RULE_AGENT = 1,     /* "agent_id": glob on the agent id */
	VG_RULE_HOSTNAME,      /* "hostname": glob on the event's host, case-insensitive */
	VG_RULE_CIDR,          /* "cidr": IPv4/IPv6 network (or one address) containing the event's
				* host (when it is an address) or the sender's address */
	VG_RULE_SYSLOG_SOURCE, /* "syslog_source": network containing the sender's address, syslog inputs only */
};
const char *vg_rule_kind_name(int kind); /* NULL for a bad kind */

typedef struct vg_systems_rule {
	int kind;           /* enum vg_rule_kind */
	const char *pattern;
	int64_t system_id;
	int priority;       /* lower first; ties by id; 0..1000000 */
} vg_systems_rule;
VG_WUR int vg_systems_rule_add(vg_systems *s, const vg_systems_rule *r, int64_t now_us, int64_t *id);
VG_WUR int vg_systems_rule_delete(vg_systems *s, int64_t id);
/* The system a rule attributes to (for scoping), VG_ENOTFOUND. */
VG_WUR int vg_systems_rule_system(vg_systems *s, int64_t id, int64_t *system_id);
/* {"rules":[{"id","priority","kind","pattern","system_id","system"}]} in
 * evaluation order. */
VG_WUR int vg_systems_rules(vg_systems *s, const vg_principal *who, json_t **out);

/* The system of a source: the first rule that matches in priority order,
 * then the declared hosts (by name, then address); 0 = unattributed. Uses
 * the in-memory cache; never fails (a cache that could not reload keeps
 * the previous rules). */
int64_t vg_systems_attribute(vg_systems *s, const vg_activity *a);

/* What the ingest saw (activity.h), about once a minute: attributes each
 * source and adds its count to the hourly bucket of (system, layer) of
 * a->last_us, raises the (system, layer) last event time, and keeps the
 * source (host, address, agent) with its system (NULL when unattributed),
 * layers, first/last time and count. One transaction. */
VG_WUR int vg_systems_record_activity(vg_systems *s, const vg_activity *a, size_t n, int64_t now_us);

/* ---- a batch of activity, for the server's drain ----
 * The ingest's drain callback borrows its strings; vg_activity_batch_add
 * (a vg_activity_fn) copies each source into the batch, so the server can
 * drain under the ingest lock and record later under the API lock:
 *   vg_ingest_activity_drain(g, vg_activity_batch_add, batch);   (ingest lock)
 *   vg_systems_record_batch(sys, batch, now_us);                  (API lock)
 * A batch holds at most VG_ACTIVITY_MAX_SOURCES sources (more are counted
 * in vg_activity_batch_dropped and not kept). Not thread-safe. */
typedef struct vg_activity_batch vg_activity_batch;
vg_activity_batch *vg_activity_batch_new(void); /* NULL on ENOMEM */
void vg_activity_batch_free(vg_activity_batch *b); /* NULL is a no-op */
void vg_activity_batch_add(void *batch, const vg_activity *a);
size_t vg_activity_batch_len(const vg_activity_batch *b);
uint64_t vg_activity_batch_dropped(const vg_activity_batch *b);
/* Records the batch (vg_systems_record_activity) and empties it, also on
 * failure (the figures of one interval are then lost, not retried). */
VG_WUR int vg_systems_record_batch(vg_systems *s, vg_activity_batch *b, int64_t now_us);

#endif
