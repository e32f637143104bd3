/* reports.h — the official documents: periodic monitoring reports (daily,
 * weekly, monthly deployment status, six-monthly summary) and the incident
 * forms of Circular 20/2017/TT-BTTTT (Mẫu 03 initial report, Mẫu 04 closure
 * report), in Vietnamese (default) or English, as HTML, PDF or JSON
 * (docs/reports.md, docs/openapi.yaml).
 *
 * Model. A report is built in two steps: collect (alerts from the state DB's
 * `alerts` table, plus incidents, systems and coverage through the injected
 * vg_reports_src callbacks, filtered by unit) into one JSON object, the
 * report's data; then render that object (vg_reports_render) as its JSON
 * text, an HTML page or a PDF. The JSON format is exactly the data the
 * documents are drawn from. Periods are calendar periods in Asia/Ho_Chi_Minh
 * (UTC+7, no daylight saving): "2026-11-21", "2026-W47" (ISO week),
 * "2026-11", "2026-H2"; the default is the last complete one.
 *
 * Sources. The module reads other modules only through vg_reports_src: each
 * callback returns a new JSON reference (members documented in
 * docs/reports.md, "Data sources"), so it compiles and is tested without
 * them; a NULL callback means "no such data" (sections say so).
 *
 * Ownership: vg_reports borrows db and the callbacks' ud; JSON results are
 * new references for the caller. Errors: VG_EINVAL (bad kind, period, form,
 * format, language: why names it), VG_ENOTFOUND (no such incident, or not
 * visible to the caller), VG_ELIMIT (a document bound), VG_EIO (SQLite, PDF
 * file), VG_ENOMEM, VG_EUNSUPPORTED (PDF fonts missing); why (may be NULL)
 * gets a one-line reason. Thread-safety: one thread at a time on a vg_reports
 * (the API lock); vg_reports_render and the period functions are reentrant. */
#ifndef VG_REPORTS_H
#define VG_REPORTS_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "server/activity.h"
#include "server/auth.h"
#include "store/db.h"

#define VG_REPORT_TZ_OFFSET_S (7 * 3600) /* Asia/Ho_Chi_Minh: UTC+7 all year */
#define VG_REPORT_TOP 20                 /* rows in top lists (rules, sources) */
#define VG_REPORT_MAX_OBJECTS 50         /* attacked objects listed */
#define VG_REPORT_MAX_EVIDENCE 10        /* sample alerts (one per top rule) */
#define VG_REPORT_MAX_EXCERPT 400        /* bytes of an evidence excerpt */
#define VG_REPORT_MAX_ROWS 2000          /* rows taken from a source callback list */
#define VG_REPORT_MONTHLY_DUE_DAY 25     /* monthly report due before this day of the next month */

typedef enum vg_report_kind {
	VG_REPORT_DAILY = 0,
	VG_REPORT_WEEKLY,
	VG_REPORT_MONTHLY,
	VG_REPORT_SEMIANNUAL,
	VG_REPORT_INCIDENT_INITIAL, /* Mẫu 03 */
	VG_REPORT_INCIDENT_CLOSURE, /* Mẫu 04 */
} vg_report_kind;

typedef enum vg_report_format { VG_REPORT_JSON = 0, VG_REPORT_HTML, VG_REPORT_PDF } vg_report_format;

/* "daily", "weekly", "monthly", "semiannual", "initial", "closure";
 * vg_report_kind_parse takes those names (0 or VG_EINVAL). */
const char *vg_report_kind_name(vg_report_kind k);
VG_WUR int vg_report_kind_parse(const char *s, vg_report_kind *out);
/* "json", "html", "pdf" (0 or VG_EINVAL). */
VG_WUR int vg_report_format_parse(const char *s, vg_report_format *out);

typedef struct vg_report_period {
	vg_report_kind kind;
	int64_t from_us, to_us; /* [from, to), UTC µs */
	char label[16];         /* canonical: "2026-11-21", "2026-W47", "2026-11", "2026-H2" */
} vg_report_period;

/* The period of a periodic kind named by text (NULL or "": the last period
 * that ended at or before now_us). VG_EINVAL for a malformed or impossible
 * period, or a text of another kind's form (why says which form is expected). */
VG_WUR int vg_report_period_parse(vg_report_kind kind, const char *text, int64_t now_us, vg_report_period *out,
				  char *why, size_t whylen);

/* What the module reads from the other modules. Each returns a new
 * reference or NULL (then *err: VG_ENOTFOUND or another code; NULL with
 * *err == 0 means "nothing"). */
typedef struct vg_reports_src {
	void *ud;
	/* One incident with everything the forms need (object). */
	json_t *(*incident)(void *ud, int64_t id, int *err);
	/* Incidents detected in [from, to) (array of incident objects). */
	json_t *(*incidents)(void *ud, int64_t from_us, int64_t to_us, int *err);
	/* One system (object: name, unit, level, ...). */
	json_t *(*system)(void *ud, int64_t id, int *err);
	/* The system an alert's origin belongs to (host, sender address, agent
	 * id, input: as for activity; "" when unknown), or a target's (host and
	 * the target's address as source_ip); 0: none. */
	int64_t (*system_of)(void *ud, const vg_activity *origin);
	/* Coverage per system (array of objects: system, layers). */
	json_t *(*coverage)(void *ud, int64_t now_us, int *err);
	/* Changes in [from, to): new systems, coverage changes (array of objects). */
	json_t *(*changes)(void *ud, int64_t from_us, int64_t to_us, int *err);
} vg_reports_src;

/* The sources wired to the server's modules (reports_src.c): incidents.h,
 * systems.h, coverage.h; any may be NULL. m is borrowed by src (keep it
 * alive, e.g. in the server's struct, while the vg_reports is open). */
struct vg_incidents;
struct vg_systems;
struct vg_coverage;
typedef struct vg_reports_modules {
	struct vg_incidents *incidents;
	struct vg_systems *systems;
	struct vg_coverage *coverage;
} vg_reports_modules;
void vg_reports_src_modules(vg_reports_src *src, vg_reports_modules *m);

typedef struct vg_reports_opts {
	const char *organisation; /* reporting organisation (header block); NULL: "" */
	const char *place;        /* place of the date line; NULL: "Hà Nội" */
	const char *recipient;    /* "Kính gửi" of the incident forms; NULL: the national coordinator */
} vg_reports_opts;

typedef struct vg_reports vg_reports;

/* src and opts are copied (their strings and ud are borrowed); either may be
 * NULL. NULL on failure with *err (may be NULL). */
vg_reports *vg_reports_open(vg_db *db, const vg_reports_src *src, const vg_reports_opts *opts, int *err);
void vg_reports_close(vg_reports *r); /* NULL is a no-op */

typedef struct vg_report_req {
	vg_report_kind kind;
	const char *period;     /* periodic kinds: as vg_report_period_parse */
	const char *unit;       /* NULL: every unit the caller sees; else that unit and below */
	const vg_principal *who; /* NULL: no restriction (CLI on the server, tests) */
	int64_t incident_id;    /* incident kinds */
	int64_t now_us;
} vg_report_req;

/* The report's data: an object with "kind", "period" (periodic), "generated_at"
 * and the sections (docs/reports.md). *out is a new reference. */
VG_WUR int vg_reports_collect(vg_reports *r, const vg_report_req *q, json_t **out, char *why, size_t whylen);

/* Renders data from vg_reports_collect in lang ("vi", "en"; NULL: "vi"),
 * appending to out: JSON text, an HTML page, or the PDF's bytes (written to a
 * private temporary file, read back and removed). On failure out is
 * unchanged. */
VG_WUR int vg_reports_render(const vg_reports *r, const json_t *data, const char *lang, vg_report_format f,
			     vg_buf *out, char *why, size_t whylen);

/* Routes (GET, VG_API_READ): /api/v1/reports/{daily|weekly|monthly|semiannual}
 * ?period&unit&format&lang, the forms at /api/v1/reports/incident/{id}
 * ?form&format&lang, and the same at /api/v1/incidents/{id}/report: as a
 * prefix route on /api/v1/incidents/ only when register_incident_route is
 * set, since the incidents module owns that prefix in the server and
 * forwards GET .../report to vg_reports_handle_incident. */
struct vg_api;
struct vg_api_call;
VG_WUR int vg_reports_register_api(vg_reports *r, struct vg_api *api, int register_incident_route);
/* Answers GET .../incidents/{id}/report for a caller that owns the route. */
void vg_reports_handle_incident(vg_reports *r, struct vg_api_call *c, int64_t id);
/* No background work: always 0 (the module interface). */
VG_WUR int vg_reports_tick(vg_reports *r, int64_t now_us);

#endif
