/* coverage.h — 4-layer monitoring coverage of the information systems
 * (module "coverage" of DIR/vigil.db; docs/systems.md): per system x layer
 * the last event time, the events of the last 24 h and a state, from the
 * activity that systems.h records; the share of level 3-5 systems with all
 * four layers covered; the gaps; the systems to act on; the sources that
 * belong to no system.
 *
 * States: "covered" (an event within stale_after_s), "stale" (the last one
 * older than stale_after_s), "missing" (older than missing_after_s, or
 * never). Thresholds per layer in the table coverage_thresholds (defaults
 * VG_COVERAGE_STALE_S / VG_COVERAGE_MISSING_S), changed through the API.
 *
 * Needs the tables of systems.h: open vg_systems first on the same db.
 * Ownership: borrows its vg_db; json results are new references.
 * Errors: VG_EINVAL (bad threshold: vg_coverage_errmsg names it),
 * VG_EIO/VG_ENOMEM (SQLite). Thread-safety: as the vg_db (the API lock). */
#ifndef VG_COVERAGE_H
#define VG_COVERAGE_H
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "server/api.h"
#include "server/auth.h"
#include "store/db.h"

#define VG_COVERAGE_MODULE "coverage"
#define VG_COVERAGE_STALE_S 3600        /* default: stale after 1 h without events */
#define VG_COVERAGE_MISSING_S 86400     /* default: missing after 24 h (or never) */
#define VG_COVERAGE_MIN_S 60            /* thresholds are 60 s .. 90 days */
#define VG_COVERAGE_MAX_S (90 * 86400)
#define VG_COVERAGE_MAX_UNATTRIBUTED 1000 /* sources listed as unattributed, most recent first */

enum vg_coverage_state { VG_COV_COVERED = 0, VG_COV_STALE = 1, VG_COV_MISSING = 2 };
const char *vg_coverage_state_name(int st); /* "covered", "stale", "missing" */

typedef struct vg_coverage_threshold {
	int64_t stale_after_s, missing_after_s;
} vg_coverage_threshold;

/* The state of a layer whose last event was at last_us (0 = never). */
int vg_coverage_state_of(const vg_coverage_threshold *t, int64_t last_us, int64_t now_us);

typedef struct vg_coverage vg_coverage;

vg_coverage *vg_coverage_open(vg_db *db, int *err);
void vg_coverage_close(vg_coverage *c); /* NULL is a no-op */
const char *vg_coverage_errmsg(const vg_coverage *c);

/* GET /api/v1/coverage, GET and PUT /api/v1/coverage/thresholds. */
VG_WUR int vg_coverage_register_api(vg_coverage *c, vg_api *api);

/* The thresholds of layers 1..4 into t[1..4] (t[0] unused). */
VG_WUR int vg_coverage_thresholds(vg_coverage *c, vg_coverage_threshold t[5]);
/* Sets one layer's thresholds: VG_COVERAGE_MIN_S <= stale < missing <=
 * VG_COVERAGE_MAX_S, else VG_EINVAL. */
VG_WUR int vg_coverage_set_threshold(vg_coverage *c, uint8_t layer, const vg_coverage_threshold *t);

/* The coverage document (docs/systems.md) at now_us for what who may see
 * (NULL: all), restricted to unit and its descendants when unit is not
 * NULL: {"generated_us","thresholds","summary","systems","gaps","act_on",
 * "unattributed"}. */
VG_WUR int vg_coverage_report(vg_coverage *c, const vg_principal *who, const char *unit, int64_t now_us,
			      json_t **out);

#endif
