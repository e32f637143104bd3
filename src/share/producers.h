/* producers.h — the streams of sharing that the server's own modules produce
 * (docs/sharing.md, "Incidents" and "Declared public IPs"): every change of an
 * incident becomes an outbox item "incident-<id>-<version>" (kind
 * "incident"), written inside the incident's own transaction; every change
 * of a system's declared public IPs becomes "public_ips-<system>-<version>"
 * (kind "public_ips"), and a periodic snapshot of every system's list
 * "public_ips-snapshot-<unix s>-<part>"; and, with the heartbeats stream,
 * the monitoring coverage summary "coverage-<unix s>" (kind "coverage",
 * hourly: the service's heartbeat carries only status, backlog and the
 * alerts mark). Only destinations whose policy
 * selects the stream receive them (vg_outbox_enqueue applies the policy).
 *
 * The incidents and systems modules know nothing of sharing: they call a
 * function pointer (vg_incidents_set_change_hook, vg_systems_set_change_hook)
 * inside their transaction; vg_share_incident_hook and vg_share_system_hook
 * are those functions, with the vg_share_producers as ud. A hook's failure
 * fails the change (nothing half-written: an incident version and its outbox
 * items commit together or not at all).
 *
 * Versions are counted per incident (per system) in the table
 * share_versions of this module, in the same transaction, so an id is never
 * reused with other content; only changes that some destination selects
 * use a version number.
 *
 * Ownership: borrows its vg_db (the API's connection, the one incidents and
 * systems use) and the optional vg_systems and vg_incidents (all must outlive
 * it); it owns its keys and its vg_outbox (vg_share_producers_outbox lends
 * them to the API module).
 * Errors: 0 or a negative VG_E* code; failures are also printed on stderr
 * naming the incident or system (the caller sees only its own error).
 * Thread-safety: as the vg_db: under the API lock. */
#ifndef VG_SHARE_PRODUCERS_H
#define VG_SHARE_PRODUCERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "share/outbox.h"
#include "share/sign.h"
#include "store/db.h"

#define VG_SHARE_INC_ALERTS 100         /* linked alerts carried in an incident item (the first ones) */
#define VG_SHARE_INC_TIMELINE 200       /* timeline entries carried (the latest ones) */
#define VG_SHARE_IPS_SNAPSHOT_S 86400   /* default period of the public IP snapshot */
#define VG_SHARE_IPS_PART_BYTES (256 << 10) /* JSON bytes of systems per snapshot item, about */
#define VG_SHARE_COVERAGE_S 3600        /* default period of the coverage item */
#define VG_SHARE_COVERAGE_GAPS 500      /* gaps carried in a coverage item (the most important first) */

struct vg_incidents;
struct vg_systems;
struct vg_coverage;

typedef struct vg_share_producers vg_share_producers;

typedef struct vg_share_producers_opts {
	vg_db *db;                    /* the connection incidents and systems write on (required) */
	const char *dir;              /* data directory: keys in DIR/share (required) */
	const char *origin;           /* installation name in payloads (NULL: host name) */
	struct vg_systems *systems;   /* names, units, IPs of systems (NULL: ids only, no snapshot) */
	int64_t snapshot_s;           /* public IP snapshot period, 0: VG_SHARE_IPS_SNAPSHOT_S */
	struct vg_coverage *coverage; /* the coverage summary item (NULL: none) */
	int64_t coverage_s;           /* its period, 0: VG_SHARE_COVERAGE_S */
} vg_share_producers_opts;

/* Loads (creating) the keys, opens an outbox on o->db and migrates the
 * module's table. NULL with *err and why. */
vg_share_producers *vg_share_producers_open(const vg_share_producers_opts *o, int *err, char *why, size_t whylen);
void vg_share_producers_close(vg_share_producers *p); /* NULL: no-op */

/* Borrowed; valid until close. For the API module (api_share.h). */
vg_outbox *vg_share_producers_outbox(vg_share_producers *p);
const vg_share_keys *vg_share_producers_keys(vg_share_producers *p);

/* The incidents hook (ud = the producers): incident id changed (created,
 * alerts joined, state, fields, comment, attachment, report mark). Builds
 * the incident document and enqueues it for the destinations that select
 * incidents. Must run inside the change's transaction on the producers' db. */
int vg_share_incident_hook(void *ud, struct vg_incidents *inc, int64_t id, int64_t now_us);

/* The systems hook (ud = the producers): system id changed; before is the
 * document before (NULL: created), after the document after (NULL:
 * deleted; now_us 0: the wall clock). Enqueues the system's declared public IPs when they changed
 * (a deletion with IPs sends an empty list with "deleted": true). */
int vg_share_system_hook(void *ud, int64_t id, const json_t *before, const json_t *after, int64_t now_us);

/* The periodic work, for the server's background loop (under the API lock):
 * a snapshot of every system's public IPs when the period has passed since
 * the last one, or when a destination newly selects public_ips; the
 * coverage item when its period has passed (heartbeats stream). *queued
 * (may be NULL) gets the items written. Own transaction (or the caller's). */
VG_WUR int vg_share_producers_tick(vg_share_producers *p, int64_t now_us, uint64_t *queued);

/* The incident document as shared (also for tests and the STIX form:
 * docs/stix.md): new reference in *out. */
VG_WUR int vg_share_incident_doc(vg_share_producers *p, struct vg_incidents *inc, int64_t id, int64_t version,
				 int64_t now_us, json_t **out);

#endif
