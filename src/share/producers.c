/* producers.c — incidents and declared public IPs into the sharing outbox:
 * the hooks the incidents and systems modules call inside their own
 * transactions, the shared incident document, and the periodic public IP
 * snapshot. The contract is in producers.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "scan/alert_json.h"
#include "server/coverage.h"
#include "server/incidents.h"
#include "server/systems.h"
#include "share/producers.h"

#define MODULE "share_producers"

static const char *const schema[] = {
	/* version 1 */
	"CREATE TABLE share_versions("
	" kind TEXT NOT NULL," /* 'incident' | 'system' */
	" obj INTEGER NOT NULL,"
	" version INTEGER NOT NULL,"
	" PRIMARY KEY(kind, obj)) WITHOUT ROWID;"
	"CREATE TABLE share_producer_state(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
};

struct vg_share_producers {
	vg_db *db;
	sqlite3 *sql;
	vg_share_keys *keys;
	vg_outbox *ob;
	struct vg_systems *systems;
	struct vg_coverage *coverage;
	int64_t snapshot_us, coverage_us;
};

vg_share_producers *vg_share_producers_open(const vg_share_producers_opts *o, int *err, char *why, size_t whylen)
{
	*err = VG_EINVAL;
	if (o == NULL || o->db == NULL || o->dir == NULL)
		return NULL;
	vg_share_producers *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		*err = VG_ENOMEM;
		return NULL;
	}
	p->db = o->db;
	p->sql = vg_db_sqlite(o->db);
	p->systems = o->systems;
	p->snapshot_us = (o->snapshot_s > 0 ? o->snapshot_s : VG_SHARE_IPS_SNAPSHOT_S) * 1000000;
	p->coverage = o->coverage;
	p->coverage_us = (o->coverage_s > 0 ? o->coverage_s : VG_SHARE_COVERAGE_S) * 1000000;
	int r;
	if ((r = vg_share_keys_load(o->dir, 1, &p->keys, why, whylen)) != 0)
		goto fail;
	vg_outbox_opts oo = {.origin = o->origin};
	if ((p->ob = vg_outbox_open(o->db, p->keys, &oo, &r, why, whylen)) == NULL)
		goto fail;
	if ((r = vg_db_migrate_module(o->db, MODULE, schema, sizeof(schema) / sizeof(schema[0]))) != 0) {
		snprintf(why, whylen, "sharing producer tables: %s",
			 r == VG_EUNSUPPORTED ? "written by a newer vigil" : vg_db_errmsg(o->db));
		goto fail;
	}
	*err = 0;
	return p;
fail:
	vg_share_producers_close(p);
	*err = r;
	return NULL;
}

void vg_share_producers_close(vg_share_producers *p)
{
	if (p == NULL)
		return;
	vg_outbox_close(p->ob);
	vg_share_keys_free(p->keys);
	free(p);
}

vg_outbox *vg_share_producers_outbox(vg_share_producers *p)
{
	return p->ob;
}

const vg_share_keys *vg_share_producers_keys(vg_share_producers *p)
{
	return p->keys;
}

/* ---- small helpers ---- */

static json_t *ts_json(int64_t us)
{
	if (us == 0)
		return json_null();
	char b[40];
	vg_format_ts(us, b, sizeof(b));
	return json_string(b);
}

static json_t *str_or_null(const char *s)
{
	return s != NULL && s[0] ? json_string(s) : json_null();
}

/* The enabled destinations whose policy selects stream (its name in the
 * canonical policy's "streams"), as a sorted comma-separated list into
 * names (may be NULL); *n gets how many. A cheap test before building a
 * document nobody will receive. */
static int selecting(vg_share_producers *p, const char *stream, size_t *n, char *names, size_t cap)
{
	json_t *l = NULL, *d, *s;
	size_t i, k, used = 0;
	*n = 0;
	if (names != NULL && cap > 0)
		names[0] = '\0';
	int r = vg_outbox_dests(p->ob, &l);
	if (r != 0)
		return r;
	json_array_foreach(l, i, d) {
		if (!json_is_true(json_object_get(d, "enabled")))
			continue;
		json_array_foreach(json_object_get(json_object_get(d, "policy"), "streams"), k, s) {
			if (json_is_string(s) && strcmp(json_string_value(s), stream) == 0) {
				const char *name = json_string_value(json_object_get(d, "name"));
				(*n)++;
				if (names != NULL && name != NULL && used < cap)
					used += (size_t)snprintf(names + used, cap - used, "%s%s,", used ? "" : ",", name);
				break;
			}
		}
	}
	json_decref(l);
	return 0;
}

/* The next version of (kind, obj), counted in the caller's transaction. */
static int bump(vg_share_producers *p, const char *kind, int64_t obj, int64_t *version)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(p->sql,
			       "INSERT INTO share_versions(kind, obj, version) VALUES(?1, ?2, 1) "
			       "ON CONFLICT(kind, obj) DO UPDATE SET version = version + 1 RETURNING version",
			       -1, &st, NULL) != SQLITE_OK)
		return VG_EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, obj);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int64(st, 0);
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_NOMEM ? VG_ENOMEM : VG_EIO;
}

static int state_get(vg_share_producers *p, const char *key, char *out, size_t cap)
{
	sqlite3_stmt *st;
	out[0] = '\0';
	if (sqlite3_prepare_v2(p->sql, "SELECT value FROM share_producer_state WHERE key = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return VG_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : VG_EIO;
}

static int state_set(vg_share_producers *p, const char *key, const char *value)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(p->sql,
			       "INSERT INTO share_producer_state(key, value) VALUES(?1, ?2) "
			       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			       -1, &st, NULL) != SQLITE_OK)
		return VG_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : VG_EIO;
}

/* A system as the public IP stream and the STIX form carry it (docs/stix.md):
 * {id, name, level, unit, nationally_important, public_ips, updated_at}. */
static json_t *system_entry(int64_t id, const json_t *doc, int64_t updated_us)
{
	json_t *ips = json_object_get(doc, "public_ips");
	json_t *lv = json_object_get(doc, "level");
	return json_pack("{s:I,s:o,s:o,s:o,s:b,s:o,s:o}", "id", (json_int_t)id, "name",
			 str_or_null(json_string_value(json_object_get(doc, "name"))), "level",
			 json_is_integer(lv) ? json_integer(json_integer_value(lv)) : json_null(), "unit",
			 str_or_null(json_string_value(json_object_get(doc, "unit"))), "nationally_important",
			 json_is_true(json_object_get(doc, "nationally_important")), "public_ips",
			 json_is_array(ips) ? json_deep_copy(ips) : json_array(), "updated_at", ts_json(updated_us));
}

/* ---- incidents ---- */

static json_t *deadline_json(const vg_inc_deadline *d)
{
	return json_pack("{s:s,s:o,s:s,s:o,s:o}", "kind", vg_inc_report_kind_name(d->kind), "due_at", ts_json(d->due_us),
			 "state", vg_inc_deadline_state_name(d->state), "sent_at", ts_json(d->sent_us), "recipient",
			 d->sent_us ? json_string(d->recipient) : json_null());
}

/* The affected systems, named from the registry when there is one. */
static json_t *inc_systems(vg_share_producers *p, const vg_incident_report_data *d)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < d->nsystems; i++) {
		const vg_incident_system_ref *s = &d->systems[i];
		json_t *doc = NULL, *e;
		if (p->systems != NULL && vg_systems_get(p->systems, NULL, s->id, &doc) == 0) {
			e = system_entry(s->id, doc, json_integer_value(json_object_get(doc, "updated_us")));
		} else {
			e = json_pack("{s:I,s:o,s:b}", "id", (json_int_t)s->id, "level",
				      s->level ? json_integer(s->level) : json_null(), "nationally_important", s->national);
		}
		json_decref(doc);
		if (e == NULL || json_array_append_new(a, e) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int vg_share_incident_doc(vg_share_producers *p, struct vg_incidents *inc, int64_t id, int64_t version,
			  int64_t now_us, json_t **out)
{
	*out = NULL;
	vg_incident_report_data d;
	int r = vg_incidents_get_report_data_at(inc, id, now_us, &d);
	if (r != 0) {
		vg_incident_report_data_free(&d);
		return r;
	}
	json_t *o = json_object(), *a;
	int bad = o == NULL;
#define PUT(k, v) (bad |= json_object_set_new(o, k, v) != 0)
	PUT("id", json_integer(d.id));
	PUT("version", json_integer(version));
	PUT("title", json_string(d.title));
	PUT("description", json_string(d.description));
	PUT("state", json_string(d.state));
	PUT("type", json_string(d.type));
	PUT("severity", json_string(d.severity));
	PUT("serious", json_boolean(d.serious));
	PUT("major_impact", json_boolean(d.major_impact));
	PUT("beyond_capacity", json_boolean(d.beyond_capacity));
	PUT("impact", json_string(d.impact));
	PUT("resolution", json_string(d.resolution));
	PUT("reporter", json_string(d.reporter));
	PUT("reporter_contact", json_string(d.reporter_contact));
	PUT("assignee", str_or_null(d.assignee));
	PUT("unit", str_or_null(d.unit));
	PUT("detection_method", json_string(d.detection_method));
	PUT("profile", json_string(d.profile));
	PUT("detected_at", ts_json(d.detected_us));
	PUT("first_alert_at", ts_json(d.first_alert_us));
	PUT("last_alert_at", ts_json(d.last_alert_us));
	PUT("created_at", ts_json(d.created_us));
	PUT("updated_at", ts_json(d.updated_us));
	PUT("reported_at", ts_json(d.deadlines[0].sent_us));
	PUT("resolved_at", ts_json(d.resolved_us));
	PUT("closed_at", ts_json(d.closed_us));
	PUT("deadlines", json_pack("{s:o,s:o}", "initial", deadline_json(&d.deadlines[0]), "closure",
				   deadline_json(&d.deadlines[1])));
	PUT("systems", inc_systems(p, &d));
	PUT("alert_count", json_integer((json_int_t)d.alerts_total));
	/* the alerts themselves travel in the alerts stream: here their ids
	 * ("alert-<id>" items) and what the centre needs to read the incident */
	a = json_array();
	for (size_t i = 0; a != NULL && i < d.nalerts && i < VG_SHARE_INC_ALERTS; i++) {
		const vg_incident_alert_ref *x = &d.alerts[i];
		bad |= json_array_append_new(a, json_pack("{s:I,s:o,s:s,s:s,s:s,s:o,s:o}", "id", (json_int_t)x->id, "ts",
							  ts_json(x->ts_us), "rule_id", x->rule_id, "rule_title",
							  x->rule_title, "level", x->level, "host", str_or_null(x->host),
							  "source_ip", str_or_null(x->source_ip))) != 0;
	}
	PUT("alerts", a);
	a = json_array();
	size_t first = d.ntimeline > VG_SHARE_INC_TIMELINE ? d.ntimeline - VG_SHARE_INC_TIMELINE : 0;
	for (size_t i = first; a != NULL && i < d.ntimeline; i++) {
		const vg_incident_timeline_entry *t = &d.timeline[i];
		bad |= json_array_append_new(a, json_pack("{s:o,s:s,s:s,s:s}", "ts", ts_json(t->ts_us), "actor", t->actor,
							  "action", t->action, "text", t->text)) != 0;
	}
	PUT("timeline", a);
	/* evidence stays here: its names say what exists, the centre asks for it */
	a = json_array();
	for (size_t i = 0; a != NULL && i < d.nattachments; i++) {
		const vg_incident_attachment *t = &d.attachments[i];
		bad |= json_array_append_new(a, json_pack("{s:o,s:s,s:s}", "ts", ts_json(t->ts_us), "added_by",
							  t->added_by, "name", t->name)) != 0;
	}
	PUT("attachments", a);
#undef PUT
	vg_incident_report_data_free(&d);
	if (bad) {
		json_decref(o);
		return VG_ENOMEM;
	}
	*out = o;
	return 0;
}

int vg_share_incident_hook(void *ud, struct vg_incidents *inc, int64_t id, int64_t now_us)
{
	vg_share_producers *p = ud;
	size_t n = 0;
	int64_t version = 0;
	json_t *doc = NULL;
	int r = selecting(p, "incidents", &n, NULL, 0);
	if (r != 0 || n == 0)
		goto out;
	if ((r = bump(p, "incident", id, &version)) != 0 ||
	    (r = vg_share_incident_doc(p, inc, id, version, now_us, &doc)) != 0)
		goto out;
	json_t *sys0 = json_array_get(json_object_get(doc, "systems"), 0);
	vg_share_subject s = {
		.level = json_string_value(json_object_get(doc, "severity")),
		.system = json_string_value(json_object_get(sys0, "name")),
		.unit = json_string_value(json_object_get(doc, "unit")),
	};
	char item[VG_OUTBOX_ID_MAX + 1];
	snprintf(item, sizeof(item), "incident-%lld-%lld", (long long)id, (long long)version);
	vg_outbox_counts c;
	r = vg_outbox_enqueue(p->ob, VG_SHARE_INCIDENTS, "incident", item, &s, doc, now_us, &c);
out:
	json_decref(doc);
	if (r != 0)
		fprintf(stderr, "vigil: sharing: incident %lld: not queued, the change is refused: %s (%s)\n",
			(long long)id, vg_err_str(r), vg_outbox_errmsg(p->ob));
	return r;
}

/* ---- declared public IPs ---- */

static const json_t *ips_of(const json_t *doc)
{
	const json_t *a = json_object_get(doc, "public_ips");
	return json_is_array(a) ? a : NULL;
}

int vg_share_system_hook(void *ud, int64_t id, const json_t *before, const json_t *after, int64_t now_us)
{
	vg_share_producers *p = ud;
	const json_t *b = ips_of(before), *a = ips_of(after);
	if (now_us == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	size_t nb = json_array_size(b), na = json_array_size(a);
	if ((nb == 0 && na == 0) || (b != NULL && a != NULL && json_equal((json_t *)b, (json_t *)a)))
		return 0; /* the declared list did not change */
	size_t n = 0;
	int64_t version = 0;
	json_t *data = NULL;
	int r = selecting(p, "public_ips", &n, NULL, 0);
	if (r != 0 || n == 0)
		goto out;
	if ((r = bump(p, "system", id, &version)) != 0)
		goto out;
	data = system_entry(id, after != NULL ? after : before, now_us);
	if (data == NULL || json_object_set_new(data, "change", json_string(before == NULL  ? "created"
									     : after == NULL ? "deleted"
											     : "updated")) != 0) {
		r = VG_ENOMEM;
		goto out;
	}
	if (after == NULL && (json_object_set_new(data, "public_ips", json_array()) != 0 ||
			      json_object_set_new(data, "deleted", json_true()) != 0)) {
		r = VG_ENOMEM;
		goto out;
	}
	char item[VG_OUTBOX_ID_MAX + 1];
	snprintf(item, sizeof(item), "public_ips-%lld-%lld", (long long)id, (long long)version);
	vg_share_subject s = {0};
	vg_outbox_counts c;
	r = vg_outbox_enqueue(p->ob, VG_SHARE_PUBLIC_IPS, "public_ips", item, &s, data, now_us, &c);
out:
	json_decref(data);
	if (r != 0)
		fprintf(stderr, "vigil: sharing: system %lld: public IPs not queued, the change is refused: %s (%s)\n",
			(long long)id, vg_err_str(r), vg_outbox_errmsg(p->ob));
	return r;
}

/* 1 if a name of the ",a,b," list now is missing from the list before. */
static int newcomer(const char *now, const char *before)
{
	for (const char *q = now; *q == ',' && q[1] != '\0';) {
		const char *e = strchr(q + 1, ',');
		if (e == NULL)
			break;
		char one[VG_OUTBOX_NAME_MAX + 3];
		size_t len = (size_t)(e - q) + 1;
		if (len < sizeof(one)) {
			memcpy(one, q, len);
			one[len] = '\0';
			if (strstr(before, one) == NULL)
				return 1;
		}
		q = e;
	}
	return 0;
}

/* Splits the systems into parts of about VG_SHARE_IPS_PART_BYTES and
 * enqueues them as one snapshot. */
static int snapshot(vg_share_producers *p, json_t *systems, int64_t now_us, uint64_t *queued)
{
	json_t *parts = json_array(), *cur = NULL, *e;
	size_t i, bytes = 0;
	int r = parts != NULL ? 0 : VG_ENOMEM;
	json_array_foreach(systems, i, e) {
		if (r != 0)
			break;
		json_t *x = system_entry(json_integer_value(json_object_get(e, "id")), e,
					 json_integer_value(json_object_get(e, "updated_us")));
		char *t = x != NULL ? json_dumps(x, JSON_COMPACT) : NULL;
		size_t len = t != NULL ? strlen(t) : 0;
		free(t);
		if (t == NULL) {
			json_decref(x);
			r = VG_ENOMEM;
			break;
		}
		if (cur == NULL || (bytes > 0 && bytes + len > VG_SHARE_IPS_PART_BYTES)) {
			if ((cur = json_array()) == NULL || json_array_append_new(parts, cur) != 0) {
				json_decref(x);
				r = VG_ENOMEM;
				break;
			}
			bytes = 0;
		}
		bytes += len;
		if (json_array_append_new(cur, x) != 0)
			r = VG_ENOMEM;
	}
	size_t np = json_array_size(parts);
	for (i = 0; r == 0 && i < np; i++) {
		json_t *data = json_pack("{s:b,s:o,s:I,s:I,s:O}", "snapshot", 1, "taken_at", ts_json(now_us), "part",
					 (json_int_t)(i + 1), "parts", (json_int_t)np, "systems", json_array_get(parts, i));
		char item[VG_OUTBOX_ID_MAX + 1];
		snprintf(item, sizeof(item), "public_ips-snapshot-%lld-%zu", (long long)(now_us / 1000000), i + 1);
		vg_share_subject s = {0};
		vg_outbox_counts c;
		r = data != NULL ? vg_outbox_enqueue(p->ob, VG_SHARE_PUBLIC_IPS, "public_ips", item, &s, data, now_us, &c)
				 : VG_ENOMEM;
		json_decref(data);
		if (r == 0 && queued != NULL)
			*queued += c.queued;
	}
	json_decref(parts);
	return r;
}

static int ips_tick(vg_share_producers *p, int64_t now_us, uint64_t *queued)
{
	if (p->systems == NULL)
		return 0;
	char names[VG_OUTBOX_MAX_DESTS * (VG_OUTBOX_NAME_MAX + 1) + 2], before[sizeof(names)], last[32];
	size_t n = 0;
	int r = selecting(p, "public_ips", &n, names, sizeof(names));
	if (r != 0 || n == 0)
		return r;
	if ((r = state_get(p, "ips_snapshot_us", last, sizeof(last))) != 0 ||
	    (r = state_get(p, "ips_snapshot_dests", before, sizeof(before))) != 0)
		return r;
	long long last_us = strtoll(last, NULL, 10);
	if (now_us - last_us < p->snapshot_us && !newcomer(names, before))
		return 0;
	json_t *list = NULL;
	if ((r = vg_systems_list(p->systems, NULL, NULL, &list)) != 0) {
		fprintf(stderr, "vigil: sharing: public IP snapshot: %s\n", vg_systems_errmsg(p->systems));
		return r;
	}
	int own = !vg_db_in_txn(p->db);
	if (own && (r = vg_db_begin(p->db)) != 0) {
		json_decref(list);
		return r;
	}
	json_t *systems = json_object_get(list, "systems");
	/* no systems: nothing to declare (an empty snapshot has no STIX form) */
	if (json_array_size(systems) > 0)
		r = snapshot(p, systems, now_us, queued);
	json_decref(list);
	snprintf(last, sizeof(last), "%lld", (long long)now_us);
	if (r == 0 && (r = state_set(p, "ips_snapshot_us", last)) == 0)
		r = state_set(p, "ips_snapshot_dests", names);
	if (own) {
		if (r == 0)
			r = vg_db_commit(p->db);
		else
			(void)vg_db_rollback(p->db);
	}
	if (r != 0)
		fprintf(stderr, "vigil: sharing: public IP snapshot: %s (%s)\n", vg_err_str(r), vg_outbox_errmsg(p->ob));
	return r;
}

/* ---- coverage ---- */

/* The coverage item's data: what the centre needs to tell "quiet" from
 * "not monitored" (the summary and the gaps), not the sources (internal
 * hosts and addresses) nor every system's detail. */
static json_t *coverage_data(const json_t *rep)
{
	json_t *gaps = json_array(), *g;
	size_t i;
	json_array_foreach(json_object_get(rep, "gaps"), i, g) {
		if (gaps == NULL || i >= VG_SHARE_COVERAGE_GAPS)
			break;
		json_t *e = json_pack("{s:O*,s:O*,s:O*,s:O*,s:O*,s:O*}", "system_id", json_object_get(g, "system_id"),
				      "system", json_object_get(g, "system"), "unit", json_object_get(g, "unit"), "level",
				      json_object_get(g, "level"), "layer", json_object_get(g, "layer"), "state",
				      json_object_get(g, "state"));
		if (e == NULL || json_array_append_new(gaps, e) != 0) {
			json_decref(gaps);
			return NULL;
		}
	}
	if (gaps == NULL)
		return NULL;
	return json_pack("{s:O*,s:O*,s:o,s:I}", "generated_at", json_object_get(rep, "generated_at"), "summary",
			 json_object_get(rep, "summary"), "gaps", gaps, "gaps_total",
			 (json_int_t)json_array_size(json_object_get(rep, "gaps")));
}

static int coverage_tick(vg_share_producers *p, int64_t now_us, uint64_t *queued)
{
	if (p->coverage == NULL)
		return 0;
	char last[32];
	size_t n = 0;
	int r = selecting(p, "heartbeats", &n, NULL, 0);
	if (r != 0 || n == 0 || (r = state_get(p, "coverage_us", last, sizeof(last))) != 0)
		return r;
	if (last[0] != '\0' && now_us - strtoll(last, NULL, 10) < p->coverage_us)
		return 0;
	json_t *rep = NULL, *data = NULL;
	if ((r = vg_coverage_report(p->coverage, NULL, NULL, now_us, &rep)) != 0) {
		fprintf(stderr, "vigil: sharing: coverage: %s\n", vg_coverage_errmsg(p->coverage));
		return r;
	}
	data = coverage_data(rep);
	json_decref(rep);
	if (data == NULL)
		return VG_ENOMEM;
	int own = !vg_db_in_txn(p->db);
	if (own && (r = vg_db_begin(p->db)) != 0) {
		json_decref(data);
		return r;
	}
	char item[VG_OUTBOX_ID_MAX + 1];
	snprintf(item, sizeof(item), "coverage-%lld", (long long)(now_us / 1000000));
	vg_share_subject s = {0};
	vg_outbox_counts c;
	r = vg_outbox_enqueue(p->ob, VG_SHARE_HEARTBEATS, "coverage", item, &s, data, now_us, &c);
	json_decref(data);
	snprintf(last, sizeof(last), "%lld", (long long)now_us);
	if (r == 0)
		r = state_set(p, "coverage_us", last);
	if (own) {
		if (r == 0)
			r = vg_db_commit(p->db);
		else
			(void)vg_db_rollback(p->db);
	}
	if (r != 0)
		fprintf(stderr, "vigil: sharing: coverage item: %s (%s)\n", vg_err_str(r), vg_outbox_errmsg(p->ob));
	else if (queued != NULL)
		*queued += c.queued;
	return r;
}

int vg_share_producers_tick(vg_share_producers *p, int64_t now_us, uint64_t *queued)
{
	uint64_t q1 = 0;
	if (queued != NULL)
		*queued = 0;
	int r = ips_tick(p, now_us, &q1);
	int r2 = coverage_tick(p, now_us, queued);
	if (queued != NULL)
		*queued += q1;
	return r != 0 ? r : r2;
}
