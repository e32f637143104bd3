/* reports_src.c — the reports' data sources wired to the server's modules:
 * incidents (incidents.h), the systems registry (systems.h) and coverage
 * (coverage.h), turned into the JSON members docs/reports.md documents.
 * The only file of the reports module that knows those modules. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/coverage.h"
#include "server/incidents.h"
#include "server/reports_int.h"
#include "server/systems.h"

static json_t *ts(int64_t us)
{
	if (us == 0)
		return json_null();
	char b[40];
	vg_rep_iso(us, b, sizeof(b));
	return json_string(b);
}

static json_t *deadlines(const vg_inc_deadline d[2])
{
	json_t *a = json_array();
	for (int i = 0; a != NULL && i < 2; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:o, s:s}", "kind", vg_inc_report_kind_name(d[i].kind),
						   "due", ts(d[i].due_us), "state", vg_inc_deadline_state_name(d[i].state),
						   "sent", ts(d[i].sent_us), "recipient", d[i].recipient));
	return a;
}

/* An object or NULL when any member failed (ENOMEM). */
static json_t *incident_json(const vg_incident_report_data *d)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
			      " s:o, s:o, s:o, s:o, s:I}",
			      "id", (json_int_t)d->id, "title", d->title, "description", d->description, "state", d->state,
			      "type", d->type, "severity", d->severity, "serious", d->serious, "major_impact",
			      d->major_impact, "beyond_capacity", d->beyond_capacity, "impact", d->impact, "resolution",
			      d->resolution, "reporter", d->reporter, "reporter_contact", d->reporter_contact, "assignee",
			      d->assignee, "unit", d->unit, "detection_method", d->detection_method, "profile", d->profile,
			      "detected_at", ts(d->detected_us), "resolved_at", ts(d->resolved_us), "closed_at",
			      ts(d->closed_us), "deadlines", deadlines(d->deadlines), "alert_count",
			      (json_int_t)d->alerts_total);
	json_t *sys = json_array(), *al = json_array(), *tl = json_array(), *at = json_array();
	int bad = o == NULL || sys == NULL || al == NULL || tl == NULL || at == NULL;
	for (size_t i = 0; !bad && i < d->nsystems; i++)
		bad = json_array_append_new(sys, json_pack("{s:I, s:i, s:b}", "id", (json_int_t)d->systems[i].id, "level",
							   d->systems[i].level, "nationally_important",
							   d->systems[i].national)) != 0;
	for (size_t i = 0; !bad && i < d->nalerts; i++) {
		const vg_incident_alert_ref *r = &d->alerts[i];
		bad = json_array_append_new(al, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id,
							  "ts", ts(r->ts_us), "rule_id", r->rule_id, "rule_title",
							  r->rule_title, "level", r->level, "host", r->host, "source_ip",
							  r->source_ip)) != 0;
	}
	for (size_t i = 0; !bad && i < d->ntimeline; i++)
		bad = json_array_append_new(tl, json_pack("{s:o, s:s, s:s, s:s}", "ts", ts(d->timeline[i].ts_us), "actor",
							  d->timeline[i].actor, "action", d->timeline[i].action, "text",
							  d->timeline[i].text)) != 0;
	for (size_t i = 0; !bad && i < d->nattachments; i++)
		bad = json_array_append_new(at, json_pack("{s:o, s:s, s:s, s:s}", "ts", ts(d->attachments[i].ts_us),
							  "added_by", d->attachments[i].added_by, "name",
							  d->attachments[i].name, "content", d->attachments[i].content)) != 0;
	if (!bad)
		bad = json_object_set_new(o, "systems", sys) != 0 || json_object_set_new(o, "alerts", al) != 0 ||
		      json_object_set_new(o, "timeline", tl) != 0 || json_object_set_new(o, "attachments", at) != 0;
	else {
		json_decref(sys);
		json_decref(al);
		json_decref(tl);
		json_decref(at);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *src_incident(void *ud, int64_t id, int *err)
{
	vg_reports_modules *m = ud;
	if (m->incidents == NULL) {
		*err = VG_EUNSUPPORTED;
		return NULL;
	}
	vg_incident_report_data d;
	int r = vg_incidents_get_report_data(m->incidents, id, &d);
	json_t *o = r == 0 ? incident_json(&d) : NULL;
	vg_incident_report_data_free(&d);
	*err = r != 0 ? r : o == NULL ? VG_ENOMEM : 0;
	return o;
}

typedef struct list_ctx {
	int64_t from, to;
	json_t *arr;
} list_ctx;

static int list_cb(void *ud, const vg_inc_summary *s)
{
	list_ctx *x = ud;
	if (s->detected_us < x->from || s->detected_us >= x->to)
		return 0;
	json_t *sys = json_array();
	for (const char *p = s->systems; sys != NULL && *p != '\0';) {
		long long id = 0;
		while (*p >= '0' && *p <= '9')
			id = id * 10 + (*p++ - '0');
		if (id > 0 && json_array_append_new(sys, json_pack("{s:I}", "id", (json_int_t)id)) != 0)
			break;
		while (*p != '\0' && (*p < '0' || *p > '9'))
			p++;
	}
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:I, s:o}", "id",
			      (json_int_t)s->id, "title", s->title, "state", s->state, "type", s->type, "severity",
			      s->severity, "assignee", s->assignee, "unit", s->unit, "serious", s->serious, "detected_at",
			      ts(s->detected_us), "resolved_at", ts(s->resolved_us), "closed_at", ts(s->closed_us),
			      "deadlines", deadlines(s->deadlines), "alert_count", (json_int_t)s->alert_count, "systems",
			      sys);
	return o != NULL && json_array_append_new(x->arr, o) == 0 ? 0 : VG_ENOMEM;
}

static json_t *src_incidents(void *ud, int64_t from_us, int64_t to_us, int *err)
{
	vg_reports_modules *m = ud;
	*err = 0;
	if (m->incidents == NULL)
		return NULL;
	list_ctx x = {.from = from_us, .to = to_us, .arr = json_array()};
	if (x.arr == NULL) {
		*err = VG_ENOMEM;
		return NULL;
	}
	vg_inc_filter f = {.state = -1, .deadline = -1, .serious = -1};
	/* deadline states as of now (a period that has not ended yet must not
	 * make pending deadlines look overdue) */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	int r = vg_incidents_list(m->incidents, &f, now < to_us ? now : to_us, list_cb, &x);
	if (r != 0) {
		json_decref(x.arr);
		*err = r;
		return NULL;
	}
	return x.arr;
}

static json_t *src_system(void *ud, int64_t id, int *err)
{
	vg_reports_modules *m = ud;
	json_t *o = NULL;
	*err = m->systems != NULL ? vg_systems_get(m->systems, NULL, id, &o) : VG_ENOTFOUND;
	return *err == 0 ? o : NULL;
}

static int64_t src_system_of(void *ud, const vg_activity *origin)
{
	vg_reports_modules *m = ud;
	return m->systems != NULL ? vg_systems_attribute(m->systems, origin) : 0;
}

static json_t *src_coverage(void *ud, int64_t now_us, int *err)
{
	vg_reports_modules *m = ud;
	json_t *o = NULL;
	*err = 0;
	if (m->coverage == NULL)
		return NULL;
	*err = vg_coverage_report(m->coverage, NULL, NULL, now_us, &o);
	return *err == 0 ? o : NULL;
}

/* systems added to the registry in [from, to) */
static json_t *src_changes(void *ud, int64_t from_us, int64_t to_us, int *err)
{
	vg_reports_modules *m = ud;
	json_t *all = NULL;
	*err = 0;
	if (m->systems == NULL)
		return NULL;
	if ((*err = vg_systems_list(m->systems, NULL, NULL, &all)) != 0)
		return NULL;
	json_t *out = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(all, "systems"), i, s)
	{
		int64_t created = vg_rep_int(s, "created_us");
		if (out == NULL || created < from_us || created >= to_us)
			continue;
		if (json_array_append_new(out, json_pack("{s:o, s:s, s:s, s:I, s:s}", "time", ts(created), "system",
							 vg_rep_str(s, "name"), "unit", vg_rep_str(s, "unit"), "level",
							 (json_int_t)vg_rep_int(s, "level"), "type", "system_added")) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	json_decref(all);
	if (out == NULL)
		*err = VG_ENOMEM;
	return out;
}

void vg_reports_src_modules(vg_reports_src *src, vg_reports_modules *m)
{
	*src = (vg_reports_src){
		.ud = m,
		.incident = src_incident,
		.incidents = src_incidents,
		.system = src_system,
		.system_of = src_system_of,
		.coverage = src_coverage,
		.changes = src_changes,
	};
}
