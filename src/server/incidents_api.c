/* incidents_api.c — the REST face of incidents.h under /api/v1: listing,
 * export, create, show, patch, workflow, comments, reports, attachments and
 * the regulatory profiles. Paths and shapes: docs/openapi.yaml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/timeparse.h"
#include "scan/alert_json.h"
#include "server/api.h"
#include "server/incidents.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define EXPORT_MAX 100000
#define ID_LIST_MAX 1000

/* ---- JSON helpers ---- */

static json_t *ts_json(int64_t us)
{
	if (us == 0)
		return json_null();
	char b[40];
	vg_format_ts(us, b, sizeof(b));
	return json_string(b);
}

static json_t *deadline_json(const vg_inc_deadline *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(vg_inc_report_kind_name(d->kind)));
	json_object_set_new(o, "due_at", ts_json(d->due_us));
	json_object_set_new(o, "state", json_string(vg_inc_deadline_state_name(d->state)));
	json_object_set_new(o, "sent_at", ts_json(d->sent_us));
	json_object_set_new(o, "recipient", d->sent_us ? json_string(d->recipient) : json_null());
	return o;
}

static json_t *deadlines_json(const vg_inc_deadline d[2])
{
	json_t *o = json_object();
	json_object_set_new(o, "initial", deadline_json(&d[0]));
	json_object_set_new(o, "closure", deadline_json(&d[1]));
	return o;
}

static json_t *str_or_null(const char *s)
{
	return s != NULL && s[0] ? json_string(s) : json_null();
}

static json_t *systems_json(const char *csv)
{
	json_t *a = json_array();
	for (const char *p = csv; p != NULL && *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		json_array_append_new(a, json_integer(v));
		p = *end == ',' ? end + 1 : end;
	}
	return a;
}

static json_t *summary_json(const vg_inc_summary *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "title", json_string(s->title));
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "type", json_string(s->type));
	json_object_set_new(o, "severity", json_string(s->severity));
	json_object_set_new(o, "serious", json_boolean(s->serious));
	json_object_set_new(o, "major_impact", json_boolean(s->major_impact));
	json_object_set_new(o, "beyond_capacity", json_boolean(s->beyond_capacity));
	json_object_set_new(o, "assignee", str_or_null(s->assignee));
	json_object_set_new(o, "unit", str_or_null(s->unit));
	json_object_set_new(o, "systems", systems_json(s->systems));
	json_object_set_new(o, "profile", json_string(s->profile));
	json_object_set_new(o, "alert_count", json_integer(s->alert_count));
	json_object_set_new(o, "detected_at", ts_json(s->detected_us));
	json_object_set_new(o, "created_at", ts_json(s->created_us));
	json_object_set_new(o, "updated_at", ts_json(s->updated_us));
	json_object_set_new(o, "resolved_at", ts_json(s->resolved_us));
	json_object_set_new(o, "closed_at", ts_json(s->closed_us));
	json_object_set_new(o, "deadlines", deadlines_json(s->deadlines));
	return o;
}

static json_t *incident_json(const vg_incident_report_data *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(d->id));
	json_object_set_new(o, "title", json_string(d->title));
	json_object_set_new(o, "description", json_string(d->description));
	json_object_set_new(o, "state", json_string(d->state));
	json_object_set_new(o, "type", json_string(d->type));
	json_object_set_new(o, "severity", json_string(d->severity));
	json_object_set_new(o, "serious", json_boolean(d->serious));
	json_object_set_new(o, "major_impact", json_boolean(d->major_impact));
	json_object_set_new(o, "beyond_capacity", json_boolean(d->beyond_capacity));
	json_object_set_new(o, "impact", json_string(d->impact));
	json_object_set_new(o, "resolution", json_string(d->resolution));
	json_object_set_new(o, "reporter", json_string(d->reporter));
	json_object_set_new(o, "reporter_contact", json_string(d->reporter_contact));
	json_object_set_new(o, "assignee", str_or_null(d->assignee));
	json_object_set_new(o, "unit", str_or_null(d->unit));
	json_object_set_new(o, "detection_method", json_string(d->detection_method));
	json_object_set_new(o, "profile", json_string(d->profile));
	json_object_set_new(o, "detected_at", ts_json(d->detected_us));
	json_object_set_new(o, "first_alert_at", ts_json(d->first_alert_us));
	json_object_set_new(o, "last_alert_at", ts_json(d->last_alert_us));
	json_object_set_new(o, "created_at", ts_json(d->created_us));
	json_object_set_new(o, "updated_at", ts_json(d->updated_us));
	json_object_set_new(o, "resolved_at", ts_json(d->resolved_us));
	json_object_set_new(o, "closed_at", ts_json(d->closed_us));
	json_object_set_new(o, "deadlines", deadlines_json(d->deadlines));
	json_t *a = json_array();
	for (size_t i = 0; i < d->nsystems; i++) {
		json_t *s = json_object();
		json_object_set_new(s, "id", json_integer(d->systems[i].id));
		json_object_set_new(s, "level", d->systems[i].level ? json_integer(d->systems[i].level) : json_null());
		json_object_set_new(s, "national", json_boolean(d->systems[i].national));
		json_array_append_new(a, s);
	}
	json_object_set_new(o, "systems", a);
	json_object_set_new(o, "alert_count", json_integer((json_int_t)d->alerts_total));
	a = json_array();
	for (size_t i = 0; i < d->nalerts; i++) {
		const vg_incident_alert_ref *r = &d->alerts[i];
		json_t *s = json_object();
		json_object_set_new(s, "id", json_integer(r->id));
		json_object_set_new(s, "ts", ts_json(r->ts_us));
		json_object_set_new(s, "rule_id", json_string(r->rule_id));
		json_object_set_new(s, "rule_title", json_string(r->rule_title));
		json_object_set_new(s, "level", json_string(r->level));
		json_object_set_new(s, "host", json_string(r->host));
		json_object_set_new(s, "source_ip", json_string(r->source_ip));
		json_array_append_new(a, s);
	}
	json_object_set_new(o, "alerts", a);
	a = json_array();
	for (size_t i = 0; i < d->ntimeline; i++) {
		json_t *s = json_object();
		json_object_set_new(s, "ts", ts_json(d->timeline[i].ts_us));
		json_object_set_new(s, "actor", json_string(d->timeline[i].actor));
		json_object_set_new(s, "action", json_string(d->timeline[i].action));
		json_object_set_new(s, "text", json_string(d->timeline[i].text));
		json_array_append_new(a, s);
	}
	json_object_set_new(o, "timeline", a);
	a = json_array();
	for (size_t i = 0; i < d->nattachments; i++) {
		json_t *s = json_object();
		json_object_set_new(s, "ts", ts_json(d->attachments[i].ts_us));
		json_object_set_new(s, "added_by", json_string(d->attachments[i].added_by));
		json_object_set_new(s, "name", json_string(d->attachments[i].name));
		json_object_set_new(s, "content", json_string(d->attachments[i].content));
		json_array_append_new(a, s);
	}
	json_object_set_new(o, "attachments", a);
	return o;
}

/* ---- errors ---- */

/* Answers the failure r of an incidents.h call (message names the field). */
static void answer_err(vg_api_call *c, vg_incidents *inc, int r)
{
	const char *why = vg_incidents_errmsg(inc);
	switch (r) {
	case VG_EINVAL: vg_api_error(c, 400, "invalid", "%s", why[0] ? why : vg_err_str(r)); break;
	case VG_ELIMIT: vg_api_error(c, 400, "limit", "%s", why[0] ? why : vg_err_str(r)); break;
	case VG_ENOTFOUND: vg_api_error(c, 404, "not_found", "%s", why[0] ? why : "not found"); break;
	default: vg_api_error(c, 503, "unavailable", "incidents: %s", why[0] ? why : vg_err_str(r)); break;
	}
}

/* Refuses body members outside `known` (NULL-terminated): 0, or answered 400. */
static int only_members(vg_api_call *c, const char *const *known)
{
	const char *key;
	json_t *val;
	json_object_foreach(c->body, key, val)
	{
		size_t i = 0;
		while (known[i] != NULL && strcmp(known[i], key) != 0)
			i++;
		if (known[i] == NULL) {
			vg_api_error(c, 400, "invalid", "%s: not a member of this request", key);
			return VG_EINVAL;
		}
	}
	return 0;
}

/* Parses a decimal id in [1, INT64_MAX]; 0 when s is not one. */
static int64_t parse_id(const char *s, size_t n)
{
	if (n == 0 || n > 18)
		return 0;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int parse_ts(vg_api_call *c, const char *field, const char *s, int64_t *us)
{
	size_t n = strlen(s);
	if (n == 0 || vg_time_rfc3339(s, n, us) != n) {
		vg_api_error(c, 400, "invalid", "%s: not an RFC 3339 time", field);
		return VG_EINVAL;
	}
	return 0;
}

/* Fetches an incident visible to the caller: 0, or answered 404 / 500. */
static int visible(vg_api_call *c, vg_incidents *inc, int64_t id)
{
	char unit[512];
	int r = vg_incidents_unit(inc, id, unit, sizeof(unit));
	if (r == 0 && !vg_auth_unit_visible(&c->who, unit[0] ? unit : NULL))
		r = VG_ENOTFOUND;
	if (r == VG_ENOTFOUND)
		vg_api_error(c, 404, "not_found", "no incident %lld", (long long)id);
	else if (r != 0)
		answer_err(c, inc, r);
	return r;
}

static void answer_incident(vg_api_call *c, vg_incidents *inc, int64_t id, int status)
{
	vg_incident_report_data d;
	int r = vg_incidents_get_report_data_at(inc, id, c->now_us, &d);
	if (r != 0) {
		answer_err(c, inc, r);
		return;
	}
	vg_api_json(c, status, incident_json(&d));
	vg_incident_report_data_free(&d);
}

/* A JSON array of positive integer ids in body member name (absent = none). */
static int id_array(vg_api_call *c, const char *name, int64_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	json_t *a = json_object_get(c->body, name);
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > ID_LIST_MAX) {
		vg_api_error(c, 400, "invalid", "%s: must be an array of at most %d ids", name, ID_LIST_MAX);
		return VG_EINVAL;
	}
	size_t cnt = json_array_size(a);
	int64_t *v = calloc(cnt + 1, sizeof(*v));
	if (v == NULL) {
		vg_api_error(c, 500, "internal", "out of memory");
		return VG_ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		json_t *e = json_array_get(a, i);
		if (!json_is_integer(e) || json_integer_value(e) <= 0) {
			free(v);
			vg_api_error(c, 400, "invalid", "%s[%zu]: must be a positive integer", name, i);
			return VG_EINVAL;
		}
		v[i] = json_integer_value(e);
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Runs the change fn inside a transaction with its audit entry. */
static int audited(vg_api_call *c, vg_incidents *inc, int r, const char *action, int64_t id, json_t *details)
{
	char oid[32];
	snprintf(oid, sizeof(oid), "%lld", (long long)id);
	if (r != 0) {
		vg_api_rollback(c);
		answer_err(c, inc, r);
		return r;
	}
	if ((r = vg_api_audit(c, action, "incident", oid, details)) != 0 || (r = vg_api_commit(c)) != 0) {
		vg_api_rollback(c);
		vg_api_error(c, 500, "internal", "incidents: cannot record the change");
	}
	return r;
}

/* ---- list and export ---- */

typedef struct list_ctx {
	json_t *arr;
	vg_buf *csv;
	int64_t last;
	int err;
} list_ctx;

static int unit_visible_cb(void *ud, const char *unit)
{
	return vg_auth_unit_visible((const vg_principal *)ud, unit);
}

/* Parses the list filters of the query; 0, or answered 400. */
static int parse_filter(vg_api_call *c, vg_inc_filter *f)
{
	*f = (vg_inc_filter){.state = -1, .deadline = -1, .serious = -1, .visible = unit_visible_cb,
			     .visible_ud = &c->who};
	const char *v;
	if ((v = vg_api_query(c, "state")) != NULL && (f->state = vg_inc_state_parse(v)) < 0) {
		vg_api_error(c, 400, "invalid", "state: one of new, triaged, contained, resolved, closed");
		return VG_EINVAL;
	}
	if ((v = vg_api_query(c, "deadline")) != NULL && (f->deadline = vg_inc_deadline_state_parse(v)) < 0) {
		vg_api_error(c, 400, "invalid", "deadline: one of pending, due_soon, overdue, done");
		return VG_EINVAL;
	}
	if ((v = vg_api_query(c, "serious")) != NULL) {
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			f->serious = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			f->serious = 0;
		else {
			vg_api_error(c, 400, "invalid", "serious: true or false");
			return VG_EINVAL;
		}
	}
	if ((v = vg_api_query(c, "system")) != NULL) {
		f->has_system = 1;
		if (strcmp(v, "0") != 0 && (f->system = parse_id(v, strlen(v))) == 0) {
			vg_api_error(c, 400, "invalid", "system: not a system id");
			return VG_EINVAL;
		}
	}
	if ((v = vg_api_query(c, "after")) != NULL && strcmp(v, "0") != 0 &&
	    (f->after_id = parse_id(v, strlen(v))) == 0) {
		vg_api_error(c, 400, "invalid", "after: not an incident id");
		return VG_EINVAL;
	}
	return 0;
}

static int list_cb(void *ud, const vg_inc_summary *s)
{
	list_ctx *x = ud;
	x->last = s->id;
	if (json_array_append_new(x->arr, summary_json(s)) != 0)
		return VG_ENOMEM;
	return 0;
}

static void h_list(void *ud, vg_api_call *c)
{
	vg_incidents *inc = ud;
	vg_inc_filter f;
	if (parse_filter(c, &f) != 0)
		return;
	f.limit = LIST_DEFAULT;
	const char *v = vg_api_query(c, "limit");
	if (v != NULL) {
		int64_t n = parse_id(v, strlen(v));
		if (n < 1 || n > LIST_MAX) {
			vg_api_error(c, 400, "invalid", "limit: 1..%d", LIST_MAX);
			return;
		}
		f.limit = (size_t)n;
	}
	list_ctx x = {.arr = json_array()};
	int r = vg_incidents_list(inc, &f, c->now_us, list_cb, &x);
	if (r != 0) {
		json_decref(x.arr);
		answer_err(c, inc, r);
		return;
	}
	json_t *o = json_object();
	size_t n = json_array_size(x.arr);
	char next[32];
	snprintf(next, sizeof(next), "%lld", (long long)x.last);
	json_object_set_new(o, "items", x.arr);
	json_object_set_new(o, "next", n == f.limit ? json_string(next) : json_null());
	vg_api_json(c, 200, o);
}

/* One CSV field: quoted when needed; a leading =+-@ is defused with a ' so
 * spreadsheets do not run it as a formula. */
static int csv_field(vg_buf *b, const char *s, int last)
{
	int r = 0;
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		r = vg_buf_append(b, "\"", 1);
	if (r == 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@'))
		r = vg_buf_append(b, "'", 1);
	for (const char *p = s; r == 0 && *p; p++)
		r = *p == '"' ? vg_buf_append(b, "\"\"", 2) : vg_buf_append(b, p, 1);
	if (r == 0 && quote)
		r = vg_buf_append(b, "\"", 1);
	if (r == 0)
		r = vg_buf_append(b, last ? "\r\n" : ",", last ? 2 : 1);
	return r;
}

static const char csv_header[] =
	"id,title,state,type,severity,serious,assignee,unit,systems,profile,alert_count,detected_at,resolved_at,"
	"initial_due,initial_state,initial_sent_at,initial_recipient,closure_due,closure_state,closure_sent_at,"
	"closure_recipient\r\n";

static int csv_cb(void *ud, const vg_inc_summary *s)
{
	list_ctx *x = ud;
	char ts[6][40], id[32], cnt[32];
	int64_t t[6] = {s->detected_us,		  s->resolved_us,	 s->deadlines[0].due_us,
			s->deadlines[0].sent_us, s->deadlines[1].due_us, s->deadlines[1].sent_us};
	for (int i = 0; i < 6; i++) {
		ts[i][0] = '\0';
		if (t[i] != 0)
			vg_format_ts(t[i], ts[i], sizeof(ts[i]));
	}
	snprintf(id, sizeof(id), "%lld", (long long)s->id);
	snprintf(cnt, sizeof(cnt), "%lld", (long long)s->alert_count);
	const char *f[] = {id,
			   s->title,
			   s->state,
			   s->type,
			   s->severity,
			   s->serious ? "true" : "false",
			   s->assignee,
			   s->unit,
			   s->systems,
			   s->profile,
			   cnt,
			   ts[0],
			   ts[1],
			   ts[2],
			   vg_inc_deadline_state_name(s->deadlines[0].state),
			   ts[3],
			   s->deadlines[0].sent_us ? s->deadlines[0].recipient : "",
			   ts[4],
			   vg_inc_deadline_state_name(s->deadlines[1].state),
			   ts[5],
			   s->deadlines[1].sent_us ? s->deadlines[1].recipient : ""};
	size_t n = sizeof(f) / sizeof(f[0]);
	for (size_t i = 0; i < n; i++) {
		int r = csv_field(x->csv, f[i], i + 1 == n);
		if (r != 0)
			return r;
	}
	return 0;
}

static void h_export(vg_api_call *c, vg_incidents *inc)
{
	vg_inc_filter f;
	if (parse_filter(c, &f) != 0)
		return;
	f.limit = EXPORT_MAX;
	const char *fmt = vg_api_query(c, "format");
	if (fmt == NULL || strcmp(fmt, "json") == 0) {
		list_ctx x = {.arr = json_array()};
		int r = vg_incidents_list(inc, &f, c->now_us, list_cb, &x);
		if (r != 0) {
			json_decref(x.arr);
			answer_err(c, inc, r);
			return;
		}
		json_t *o = json_object();
		json_object_set_new(o, "generated_at", ts_json(c->now_us));
		json_object_set_new(o, "items", x.arr);
		vg_api_json(c, 200, o);
		return;
	}
	if (strcmp(fmt, "csv") != 0) {
		vg_api_error(c, 400, "invalid", "format: csv or json");
		return;
	}
	vg_buf b = {0};
	list_ctx x = {.csv = &b};
	int r = vg_buf_append(&b, csv_header, sizeof(csv_header) - 1);
	if (r == 0)
		r = vg_incidents_list(inc, &f, c->now_us, csv_cb, &x);
	if (r != 0) {
		vg_buf_free(&b);
		answer_err(c, inc, r);
		return;
	}
	c->rs->status = 200;
	c->rs->content_type = "text/csv; charset=utf-8";
	vg_buf_free(&c->rs->body);
	c->rs->body = b;
}

/* ---- create ---- */

static void h_create(void *ud, vg_api_call *c)
{
	vg_incidents *inc = ud;
	const char *title, *desc, *type, *sev, *det, *method;
	int64_t *systems = NULL, *alerts = NULL;
	size_t ns = 0, na = 0;
	int64_t detected = 0;
	static const char *const known[] = {"title",   "description", "type",	  "severity", "detected_at",
					    "detection_method", "systems", "alerts", NULL};
	if (only_members(c, known) != 0)
		return;
	if (vg_api_str(c, "title", 1, VG_INC_TITLE_MAX, &title) != 0 ||
	    vg_api_str(c, "description", 0, VG_INC_TEXT_MAX, &desc) != 0 ||
	    vg_api_str(c, "type", 0, 32, &type) != 0 || vg_api_str(c, "severity", 0, 32, &sev) != 0 ||
	    vg_api_str(c, "detected_at", 0, 64, &det) != 0 ||
	    vg_api_str(c, "detection_method", 0, VG_INC_TITLE_MAX, &method) != 0)
		return;
	int t = -1;
	if (type != NULL && (t = vg_inc_type_parse(type)) < 0) {
		vg_api_error(c, 400, "invalid",
			     "type: one of malware, intrusion, encryption, destruction, data_theft, combined, other");
		return;
	}
	if (det != NULL && parse_ts(c, "detected_at", det, &detected) != 0)
		return;
	if (id_array(c, "systems", &systems, &ns) != 0)
		return;
	if (id_array(c, "alerts", &alerts, &na) != 0) {
		free(systems);
		return;
	}
	if (ns == 0 && !vg_auth_unit_visible(&c->who, NULL)) {
		free(systems);
		free(alerts);
		vg_api_error(c, 400, "invalid", "systems: a unit-scoped user names at least one system");
		return;
	}
	vg_incident_new n = {.title = title,
			     .description = desc,
			     .type = t,
			     .severity = sev,
			     .systems = systems,
			     .nsystems = ns,
			     .alerts = alerts,
			     .nalerts = na,
			     .detected_us = detected,
			     .detection_method = method,
			     .actor = c->who.name};
	int64_t id = 0;
	int r = vg_api_begin(c);
	if (r != 0) {
		vg_api_error(c, 500, "internal", "incidents: cannot begin");
	} else {
		r = vg_incidents_create(inc, &n, c->now_us, &id);
		if (r == 0) {
			/* a unit-scoped creator must be able to see what it made */
			char unit[512];
			if ((r = vg_incidents_unit(inc, id, unit, sizeof(unit))) == 0 &&
			    !vg_auth_unit_visible(&c->who, unit[0] ? unit : NULL)) {
				vg_api_rollback(c);
				vg_api_error(c, 403, "forbidden", "systems: outside your unit");
				free(systems);
				free(alerts);
				return;
			}
		}
		json_t *d = json_pack("{s:s}", "title", title);
		r = audited(c, inc, r, "incident.create", id, d);
		json_decref(d);
	}
	free(systems);
	free(alerts);
	if (r == 0)
		answer_incident(c, inc, id, 201);
}

/* ---- one incident ---- */

static void h_patch(vg_api_call *c, vg_incidents *inc, int64_t id)
{
	static const char *const known[] = {"title",	  "description",  "severity",	     "impact",
					    "resolution", "reporter",	  "reporter_contact", "profile",
					    "type",	  "assignee",	  "major_impact",     "beyond_capacity",
					    "systems",	  NULL};
	vg_incident_patch p = {.type = -1};
	const char *type;
	int b;
	if (only_members(c, known) != 0)
		return;
	if (vg_api_str(c, "title", 0, VG_INC_TITLE_MAX, &p.title) != 0 ||
	    vg_api_str(c, "description", 0, VG_INC_TEXT_MAX, &p.description) != 0 ||
	    vg_api_str(c, "severity", 0, 32, &p.severity) != 0 ||
	    vg_api_str(c, "impact", 0, VG_INC_TEXT_MAX, &p.impact) != 0 ||
	    vg_api_str(c, "resolution", 0, VG_INC_TEXT_MAX, &p.resolution) != 0 ||
	    vg_api_str(c, "reporter", 0, VG_INC_NAME_MAX, &p.reporter) != 0 ||
	    vg_api_str(c, "reporter_contact", 0, VG_INC_TITLE_MAX, &p.reporter_contact) != 0 ||
	    vg_api_str(c, "profile", 0, VG_INC_NAME_MAX, &p.profile) != 0 ||
	    vg_api_str(c, "type", 0, 32, &type) != 0)
		return;
	json_t *as = json_object_get(c->body, "assignee");
	if (json_is_null(as))
		p.assignee = "";
	else if (as != NULL && vg_api_str(c, "assignee", 0, VG_INC_NAME_MAX, &p.assignee) != 0)
		return;
	if (type != NULL && (p.type = vg_inc_type_parse(type)) < 0) {
		vg_api_error(c, 400, "invalid",
			     "type: one of malware, intrusion, encryption, destruction, data_theft, combined, other");
		return;
	}
	if (json_object_get(c->body, "major_impact") != NULL) {
		if (vg_api_bool(c, "major_impact", 1, &b) != 0)
			return;
		p.has_major_impact = 1;
		p.major_impact = b;
	}
	if (json_object_get(c->body, "beyond_capacity") != NULL) {
		if (vg_api_bool(c, "beyond_capacity", 1, &b) != 0)
			return;
		p.has_beyond_capacity = 1;
		p.beyond_capacity = b;
	}
	int64_t *systems = NULL;
	if (id_array(c, "systems", &systems, &p.nadd_systems) != 0)
		return;
	p.add_systems = systems;
	int r = vg_api_begin(c);
	if (r != 0) {
		free(systems);
		vg_api_error(c, 500, "internal", "incidents: cannot begin");
		return;
	}
	r = vg_incidents_update(inc, id, &p, c->who.name, c->now_us);
	free(systems);
	if (audited(c, inc, r, "incident.update", id, c->body) == 0)
		answer_incident(c, inc, id, 200);
}

static void h_transition(vg_api_call *c, vg_incidents *inc, int64_t id)
{
	const char *to;
	static const char *const known[] = {"to", NULL};
	if (only_members(c, known) != 0 || vg_api_str(c, "to", 1, 32, &to) != 0)
		return;
	int s = vg_inc_state_parse(to);
	if (s < 0) {
		vg_api_error(c, 400, "invalid", "to: one of new, triaged, contained, resolved, closed");
		return;
	}
	vg_incident_report_data d;
	int r = vg_incidents_get_report_data_at(inc, id, c->now_us, &d);
	if (r != 0) {
		answer_err(c, inc, r);
		return;
	}
	int from = vg_inc_state_parse(d.state);
	vg_incident_report_data_free(&d);
	if (!vg_incident_transition_ok(from, s)) {
		vg_api_error(c, 409, "conflict", "to: cannot move from %s to %s", vg_inc_state_name(from), to);
		return;
	}
	if (vg_api_begin(c) != 0) {
		vg_api_error(c, 500, "internal", "incidents: cannot begin");
		return;
	}
	r = vg_incidents_transition(inc, id, s, c->who.name, c->now_us);
	json_t *det = json_pack("{s:s,s:s}", "from", vg_inc_state_name(from), "to", to);
	r = audited(c, inc, r, "incident.transition", id, det);
	json_decref(det);
	if (r == 0)
		answer_incident(c, inc, id, 200);
}

static void h_comment(vg_api_call *c, vg_incidents *inc, int64_t id)
{
	const char *text;
	static const char *const known[] = {"text", NULL};
	if (only_members(c, known) != 0 || vg_api_str(c, "text", 1, VG_INC_TEXT_MAX, &text) != 0)
		return;
	if (vg_api_begin(c) != 0) {
		vg_api_error(c, 500, "internal", "incidents: cannot begin");
		return;
	}
	int r = vg_incidents_comment(inc, id, c->who.name, text, c->now_us);
	if (audited(c, inc, r, "incident.comment", id, NULL) == 0)
		answer_incident(c, inc, id, 201);
}

static void h_attach(vg_api_call *c, vg_incidents *inc, int64_t id)
{
	const char *name, *content;
	static const char *const known[] = {"name", "content", NULL};
	if (only_members(c, known) != 0)
		return;
	if (vg_api_str(c, "name", 1, VG_INC_NAME_MAX, &name) != 0 ||
	    vg_api_str(c, "content", 1, VG_INC_TEXT_MAX, &content) != 0)
		return;
	if (vg_api_begin(c) != 0) {
		vg_api_error(c, 500, "internal", "incidents: cannot begin");
		return;
	}
	int r = vg_incidents_attach(inc, id, name, content, c->who.name, c->now_us);
	json_t *det = json_pack("{s:s}", "name", name);
	r = audited(c, inc, r, "incident.attach", id, det);
	json_decref(det);
	if (r == 0)
		answer_incident(c, inc, id, 201);
}

static void h_report(vg_api_call *c, vg_incidents *inc, int64_t id)
{
	const char *kind, *sent, *recipient;
	static const char *const known[] = {"kind", "sent_at", "recipient", NULL};
	if (only_members(c, known) != 0)
		return;
	if (vg_api_str(c, "kind", 1, 16, &kind) != 0 || vg_api_str(c, "sent_at", 1, 64, &sent) != 0 ||
	    vg_api_str(c, "recipient", 1, VG_INC_NAME_MAX, &recipient) != 0)
		return;
	int k = vg_inc_report_kind_parse(kind);
	if (k < 0) {
		vg_api_error(c, 400, "invalid", "kind: initial or closure");
		return;
	}
	int64_t sent_us;
	if (parse_ts(c, "sent_at", sent, &sent_us) != 0)
		return;
	if (vg_api_begin(c) != 0) {
		vg_api_error(c, 500, "internal", "incidents: cannot begin");
		return;
	}
	int r = vg_incidents_mark_reported(inc, id, k, sent_us, recipient, c->who.name, c->now_us);
	json_t *det = json_pack("{s:s,s:s,s:s}", "kind", kind, "sent_at", sent, "recipient", recipient);
	r = audited(c, inc, r, "incident.report", id, det);
	json_decref(det);
	if (r == 0)
		answer_incident(c, inc, id, 200);
}

/* GET|PATCH|POST /incidents/{id}[/action] and GET /incidents/export. */
static void h_one(void *ud, vg_api_call *c)
{
	vg_incidents *inc = ud;
	const char *rest = c->rest, *slash = strchr(rest, '/');
	const char *method = c->rq->method;
	size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	const char *action = slash != NULL ? slash + 1 : "";
	if (strcmp(method, "GET") == 0 && strcmp(rest, "export") == 0) {
		h_export(c, inc);
		return;
	}
	int64_t id = parse_id(rest, n);
	if (id == 0) {
		vg_api_error(c, 404, "not_found", "no such incident path");
		return;
	}
	if (visible(c, inc, id) != 0)
		return;
	void *rud;
	vg_incidents_report_fn rfn;
	if (strcmp(method, "GET") == 0 && action[0] == '\0')
		answer_incident(c, inc, id, 200);
	else if (strcmp(method, "GET") == 0 && strcmp(action, "report") == 0 &&
		 (rfn = vg_incidents_report_handler(inc, &rud)) != NULL)
		rfn(rud, c, id);
	else if (strcmp(method, "PATCH") == 0 && action[0] == '\0')
		h_patch(c, inc, id);
	else if (strcmp(method, "POST") == 0 && strcmp(action, "transition") == 0)
		h_transition(c, inc, id);
	else if (strcmp(method, "POST") == 0 && strcmp(action, "comments") == 0)
		h_comment(c, inc, id);
	else if (strcmp(method, "POST") == 0 && strcmp(action, "reports") == 0)
		h_report(c, inc, id);
	else if (strcmp(method, "POST") == 0 && strcmp(action, "attachments") == 0)
		h_attach(c, inc, id);
	else
		vg_api_error(c, 404, "not_found", "no such incident path");
}

/* ---- profiles ---- */

static json_t *profile_json(const vg_inc_profile *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "title", json_string(p->title));
	json_object_set_new(o, "initial_hours", json_integer(p->initial_hours));
	json_object_set_new(o, "closure_hours", json_integer(p->closure_hours));
	json_object_set_new(o, "closure_from", json_string(p->closure_from_resolved ? "resolved" : "detection"));
	json_object_set_new(o, "builtin", json_boolean(p->builtin));
	return o;
}

static int profile_cb(void *ud, const vg_inc_profile *p)
{
	return json_array_append_new(ud, profile_json(p)) == 0 ? 0 : VG_ENOMEM;
}

static void answer_profiles(vg_api_call *c, vg_incidents *inc)
{
	char active[VG_INC_NAME_MAX + 1];
	int64_t window_s;
	json_t *arr = json_array();
	int r = vg_incidents_settings(inc, active, sizeof(active), &window_s);
	if (r == 0)
		r = vg_incidents_profile_list(inc, profile_cb, arr);
	if (r != 0) {
		json_decref(arr);
		answer_err(c, inc, r);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "active", json_string(active));
	json_object_set_new(o, "window_s", json_integer(window_s));
	json_object_set_new(o, "profiles", arr);
	vg_api_json(c, 200, o);
}

static void h_profiles_get(void *ud, vg_api_call *c)
{
	answer_profiles(c, ud);
}

/* One profile object of PUT /profiles: 0, or answered 400. */
static int profile_from_json(vg_api_call *c, json_t *o, size_t i, vg_inc_profile *p)
{
	memset(p, 0, sizeof(*p));
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *title = json_string_value(json_object_get(o, "title"));
	const char *from = json_string_value(json_object_get(o, "closure_from"));
	json_t *ih = json_object_get(o, "initial_hours"), *ch = json_object_get(o, "closure_hours");
	const char *bad = NULL;
	if (!json_is_object(o))
		bad = "";
	else if (name == NULL || strlen(name) > VG_INC_NAME_MAX)
		bad = ".name";
	else if (title == NULL || strlen(title) > VG_INC_TITLE_MAX)
		bad = ".title";
	else if (!json_is_integer(ih))
		bad = ".initial_hours";
	else if (!json_is_integer(ch))
		bad = ".closure_hours";
	else if (from == NULL || (strcmp(from, "resolved") != 0 && strcmp(from, "detection") != 0))
		bad = ".closure_from";
	if (bad != NULL) {
		vg_api_error(c, 400, "invalid",
			     "profiles[%zu]%s: a profile is {name, title, initial_hours, closure_hours,"
			     " closure_from: resolved|detection}",
			     i, bad);
		return VG_EINVAL;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->title, sizeof(p->title), "%s", title);
	p->initial_hours = json_integer_value(ih);
	p->closure_hours = json_integer_value(ch);
	p->closure_from_resolved = strcmp(from, "resolved") == 0;
	return 0;
}

static void h_profiles_put(void *ud, vg_api_call *c)
{
	vg_incidents *inc = ud;
	int64_t window_s = 0, system_id = 0;
	const char *active = NULL;
	json_t *act = json_object_get(c->body, "active");
	json_t *profiles = json_object_get(c->body, "profiles");
	static const char *const known[] = {"active", "system_id", "window_s", "profiles", NULL};
	if (only_members(c, known) != 0)
		return;
	if (vg_api_int(c, "window_s", 0, 1, VG_INC_WINDOW_MAX_S, &window_s) != 0 ||
	    vg_api_int(c, "system_id", 0, 0, INT64_MAX, &system_id) != 0)
		return;
	if (act != NULL && !json_is_null(act) && vg_api_str(c, "active", 0, VG_INC_NAME_MAX, &active) != 0)
		return;
	if (json_is_null(act) && system_id == 0) {
		vg_api_error(c, 400, "invalid", "active: null only removes a system's override (system_id)");
		return;
	}
	if (profiles != NULL && (!json_is_array(profiles) || json_array_size(profiles) > 100)) {
		vg_api_error(c, 400, "invalid", "profiles: must be an array of at most 100 profiles");
		return;
	}
	if (act == NULL && profiles == NULL && window_s == 0) {
		vg_api_error(c, 400, "invalid", "active, window_s or profiles: nothing to change");
		return;
	}
	if (vg_api_begin(c) != 0) {
		vg_api_error(c, 500, "internal", "incidents: cannot begin");
		return;
	}
	int r = 0;
	size_t i;
	json_t *e;
	json_array_foreach(profiles, i, e)
	{
		vg_inc_profile p;
		if (profile_from_json(c, e, i, &p) != 0) {
			vg_api_rollback(c);
			return;
		}
		if ((r = vg_incidents_profile_put(inc, &p)) != 0)
			break;
	}
	if (r == 0 && window_s != 0)
		r = vg_incidents_set_window(inc, window_s);
	if (r == 0 && act != NULL)
		r = vg_incidents_set_active_profile(inc, system_id, active);
	if (r != 0) {
		vg_api_rollback(c);
		answer_err(c, inc, r);
		return;
	}
	if (vg_api_audit(c, "incident.profiles", "profiles", active != NULL ? active : "", c->body) != 0 ||
	    vg_api_commit(c) != 0) {
		vg_api_rollback(c);
		vg_api_error(c, 500, "internal", "incidents: cannot record the change");
		return;
	}
	answer_profiles(c, inc);
}

VG_WUR int vg_incidents_register_api(vg_incidents *inc, struct vg_api *api)
{
	int r;
	if ((r = vg_api_route(api, "GET", "/incidents", 0, VG_API_READ, h_list, inc)) != 0 ||
	    (r = vg_api_route(api, "POST", "/incidents", 0, VG_API_WRITE | VG_API_JSON_BODY, h_create, inc)) != 0 ||
	    (r = vg_api_route(api, "GET", "/incidents/", 1, VG_API_READ, h_one, inc)) != 0 ||
	    (r = vg_api_route(api, "PATCH", "/incidents/", 1, VG_API_WRITE | VG_API_JSON_BODY, h_one, inc)) != 0 ||
	    (r = vg_api_route(api, "POST", "/incidents/", 1, VG_API_WRITE | VG_API_JSON_BODY, h_one, inc)) != 0 ||
	    (r = vg_api_route(api, "GET", "/profiles", 0, VG_API_READ, h_profiles_get, inc)) != 0 ||
	    (r = vg_api_route(api, "PUT", "/profiles", 0, VG_API_ADMIN | VG_API_JSON_BODY, h_profiles_put, inc)) != 0)
		return r;
	return 0;
}
