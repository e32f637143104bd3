/* reports_int.h — what the reports_*.c files share: the module struct, the
 * time and JSON helpers, the document builders. Not a public API. */
#ifndef VG_REPORTS_INT_H
#define VG_REPORTS_INT_H
#include <stdint.h>

#include "report/doc.h"
#include "server/reports.h"

struct vg_reports {
	vg_db *db;
	vg_reports_src src;
	char *organisation, *place, *recipient;
};

/* Local (UTC+7) calendar helpers. */
int64_t vg_rep_days_from_civil(int y, int m, int d);
void vg_rep_civil_from_days(int64_t z, int *y, int *m, int *d);
/* "21/11/2026 14:05" (vi) or "2026-11-21 14:05" (en), local time; "" for 0. */
void vg_rep_fmt_time(int64_t us, const char *lang, char *buf, size_t n);
void vg_rep_fmt_date(int64_t us, const char *lang, char *buf, size_t n);
/* ISO 8601 with the +07:00 offset, for JSON. */
void vg_rep_iso(int64_t us, char *buf, size_t n);

/* JSON reading that tolerates absent members and wrong types. */
const char *vg_rep_str(const json_t *o, const char *key);      /* "" when absent */
int64_t vg_rep_int(const json_t *o, const char *key);          /* 0 when absent */
/* A time member: integer µs or an ISO string, formatted for lang in buf. */
const char *vg_rep_time(const json_t *o, const char *key, const char *lang, char *buf, size_t n);

/* Builds the document of report data (any kind). */
VG_WUR int vg_rep_doc_periodic(const vg_reports *r, const json_t *data, const char *lang, vg_doc **out, char *why,
			       size_t whylen);
VG_WUR int vg_rep_doc_form(const vg_reports *r, const json_t *data, const char *lang, vg_doc **out, char *why,
			   size_t whylen);
/* Collects the data of a periodic report. */
VG_WUR int vg_rep_collect_periodic(vg_reports *r, const vg_report_req *q, json_t **out, char *why, size_t whylen);

/* A document being written: appends are no-ops after the first failure,
 * whose code stays in rc (so builders read as a sequence of calls). */
typedef struct vg_rep_w {
	vg_doc *d;
	int rc;
	int en; /* 1: English */
} vg_rep_w;

static inline const char *vg_rep_tr(const vg_rep_w *w, const char *vi, const char *en)
{
	return w->en ? en : vi;
}
void vg_rep_h(vg_rep_w *w, int level, const char *text);
void vg_rep_p(vg_rep_w *w, const char *text, unsigned flags);
void vg_rep_kv(vg_rep_w *w, const char *label, const char *value);
void vg_rep_kvi(vg_rep_w *w, const char *label, int64_t value);
void vg_rep_table(vg_rep_w *w, size_t ncols, const char *const header[]);
void vg_rep_row(vg_rep_w *w, const char *const cells[]);
/* The header block (organisation and number; nation, motto, place and date)
 * of both document families. */
void vg_rep_header(vg_rep_w *w, const vg_reports *r, const char *number, int64_t now_us);
/* "Hà Nội, ngày 21 tháng 11 năm 2026" / "Hà Nội, 21 November 2026" */
void vg_rep_place_date(const vg_rep_w *w, const vg_reports *r, int64_t now_us, char *buf, size_t n);
/* Labels of incident types, states and alert levels ("" stays ""). */
const char *vg_rep_type_label(const vg_rep_w *w, const char *type);
const char *vg_rep_state_label(const vg_rep_w *w, const char *state);
const char *vg_rep_level_label(const vg_rep_w *w, const char *level);
/* An ISO time member ("2026-11-21T14:05:00+07:00" or µs) for display. */
const char *vg_rep_when(const vg_rep_w *w, const json_t *o, const char *key, char *buf, size_t n);

#endif
