/* coverage.c — the coverage document computed from the systems registry's
 * activity tables, the per-layer thresholds and their REST handlers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/event.h"
#include "parse/layer_map.h"
#include "server/coverage.h"

#define HOUR_US 3600000000LL
#define NLAYERS 4

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE coverage_thresholds ("
	" layer INTEGER PRIMARY KEY CHECK (layer BETWEEN 1 AND 4),"
	" stale_after_s INTEGER NOT NULL,"
	" missing_after_s INTEGER NOT NULL,"
	" CHECK (stale_after_s < missing_after_s));"
	"INSERT INTO coverage_thresholds VALUES (1, 3600, 86400), (2, 3600, 86400), (3, 3600, 86400),"
	" (4, 3600, 86400);",
};

struct vg_coverage {
	vg_db *db;
	vg_db_mod q; /* statements and their failures ("database: ...") into err */
	char err[256];
};

const char *vg_coverage_state_name(int st)
{
	switch (st) {
	case VG_COV_COVERED: return "covered";
	case VG_COV_STALE: return "stale";
	default: return "missing";
	}
}

int vg_coverage_state_of(const vg_coverage_threshold *t, int64_t last_us, int64_t now_us)
{
	if (last_us <= 0)
		return VG_COV_MISSING;
	int64_t age = now_us - last_us;
	if (age > t->missing_after_s * 1000000)
		return VG_COV_MISSING;
	if (age > t->stale_after_s * 1000000)
		return VG_COV_STALE;
	return VG_COV_COVERED;
}

const char *vg_coverage_errmsg(const vg_coverage *c)
{
	return c->err;
}

vg_coverage *vg_coverage_open(vg_db *db, int *err)
{
	int r = vg_db_migrate_module(db, VG_COVERAGE_MODULE, migrations, sizeof(migrations) / sizeof(migrations[0]));
	if (r != 0) {
		*err = r;
		return NULL;
	}
	vg_coverage *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		*err = VG_ENOMEM;
		return NULL;
	}
	c->db = db;
	c->q = (vg_db_mod){.db = db, .msg = c->err, .msg_len = sizeof(c->err), .prefix = "database", .eio_only = 1};
	return c;
}

void vg_coverage_close(vg_coverage *c)
{
	free(c);
}

int vg_coverage_thresholds(vg_coverage *c, vg_coverage_threshold t[5])
{
	for (int l = 0; l < 5; l++)
		t[l] = (vg_coverage_threshold){VG_COVERAGE_STALE_S, VG_COVERAGE_MISSING_S};
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&c->q, "SELECT layer, stale_after_s, missing_after_s FROM coverage_thresholds", &st);
	if (r != 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int l = sqlite3_column_int(st, 0);
		if (l >= 1 && l <= NLAYERS)
			t[l] = (vg_coverage_threshold){sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)};
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : vg_db_mod_sqlfail(&c->q, rc, NULL);
}

int vg_coverage_set_threshold(vg_coverage *c, uint8_t layer, const vg_coverage_threshold *t)
{
	if (layer < 1 || layer > NLAYERS)
		return vg_db_mod_failf(&c->q, VG_EINVAL, "layer: must be network, host, application or endpoint");
	const char *ln = vg_layer_name(layer);
	if (t->stale_after_s < VG_COVERAGE_MIN_S || t->stale_after_s > VG_COVERAGE_MAX_S ||
	    t->missing_after_s < VG_COVERAGE_MIN_S || t->missing_after_s > VG_COVERAGE_MAX_S)
		return vg_db_mod_failf(&c->q, VG_EINVAL, "%s: thresholds must be from %d to %d seconds", ln,
				       VG_COVERAGE_MIN_S, VG_COVERAGE_MAX_S);
	if (t->stale_after_s >= t->missing_after_s)
		return vg_db_mod_failf(&c->q, VG_EINVAL, "%s.stale_after_s: must be less than missing_after_s", ln);
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(
		&c->q, "UPDATE coverage_thresholds SET stale_after_s = ?, missing_after_s = ? WHERE layer = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, t->stale_after_s);
	sqlite3_bind_int64(st, 2, t->missing_after_s);
	sqlite3_bind_int(st, 3, layer);
	return vg_db_mod_step_done(&c->q, st, NULL);
}

/* ---- the report ---- */

static json_t *iso_time(int64_t us)
{
	if (us <= 0)
		return json_null();
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char b[32], full[48];
	if (gmtime_r(&t, &tm) == NULL || strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return json_null();
	snprintf(full, sizeof(full), "%s.%06dZ", b, (int)(us % 1000000));
	return json_string(full);
}

static json_t *thresholds_json(const vg_coverage_threshold t[5])
{
	json_t *o = json_object();
	for (uint8_t l = 1; l <= NLAYERS && o != NULL; l++)
		json_object_set_new(o, vg_layer_name(l),
				    json_pack("{s:I,s:I}", "stale_after_s", (json_int_t)t[l].stale_after_s,
					      "missing_after_s", (json_int_t)t[l].missing_after_s));
	return o;
}

static int visible(const vg_principal *who, const char *unit)
{
	return who == NULL || vg_auth_unit_visible(who, unit);
}

static int under(const char *unit, const char *top)
{
	size_t n = strlen(top);
	return strncmp(unit, top, n) == 0 && (unit[n] == '\0' || unit[n] == '/');
}

struct layer_fig {
	int64_t last_us, events;
};

/* last event and 24-hour count of each layer of system id */
static int layer_figures(vg_coverage *c, sqlite3_stmt *last, sqlite3_stmt *hourly, int64_t id, int64_t now_us,
			 struct layer_fig f[5])
{
	memset(f, 0, 5 * sizeof(*f));
	int rc;
	sqlite3_bind_int64(last, 1, id);
	while ((rc = sqlite3_step(last)) == SQLITE_ROW) {
		int l = sqlite3_column_int(last, 0);
		if (l >= 1 && l <= NLAYERS)
			f[l].last_us = sqlite3_column_int64(last, 1);
	}
	sqlite3_reset(last);
	if (rc != SQLITE_DONE)
		return vg_db_mod_sqlfail(&c->q, rc, NULL);
	sqlite3_bind_int64(hourly, 1, id);
	sqlite3_bind_int64(hourly, 2, now_us / HOUR_US - 23);
	while ((rc = sqlite3_step(hourly)) == SQLITE_ROW) {
		int l = sqlite3_column_int(hourly, 0);
		if (l >= 1 && l <= NLAYERS)
			f[l].events = sqlite3_column_int64(hourly, 1);
	}
	sqlite3_reset(hourly);
	return rc == SQLITE_DONE ? 0 : vg_db_mod_sqlfail(&c->q, rc, NULL);
}

static int unattributed(vg_coverage *c, json_t *arr)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(
		&c->q,
		"SELECT host, source_ip, agent_id, input, layers, first_us, last_us, count FROM activity_sources"
		" WHERE system_id IS NULL ORDER BY last_us DESC LIMIT ?",
		&st);
	if (r != 0)
		return r;
	sqlite3_bind_int(st, 1, VG_COVERAGE_MAX_UNATTRIBUTED);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *layers = json_array();
		int mask = sqlite3_column_int(st, 4);
		for (uint8_t l = 0; l <= NLAYERS; l++)
			if (mask & (1 << l))
				json_array_append_new(layers, json_string(vg_layer_name(l)));
		json_array_append_new(
			arr, json_pack("{s:s,s:s,s:s,s:s,s:o,s:I,s:I,s:o,s:I}", "host", sqlite3_column_text(st, 0),
				       "source_ip", sqlite3_column_text(st, 1), "agent_id", sqlite3_column_text(st, 2),
				       "input", sqlite3_column_text(st, 3), "layers", layers, "first_event_us",
				       (json_int_t)sqlite3_column_int64(st, 5), "last_event_us",
				       (json_int_t)sqlite3_column_int64(st, 6), "last_event_at",
				       iso_time(sqlite3_column_int64(st, 6)), "events",
				       (json_int_t)sqlite3_column_int64(st, 7)));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : vg_db_mod_sqlfail(&c->q, rc, NULL);
}

int vg_coverage_report(vg_coverage *c, const vg_principal *who, const char *unit, int64_t now_us, json_t **out)
{
	*out = NULL;
	vg_coverage_threshold th[5];
	int r = vg_coverage_thresholds(c, th);
	if (r != 0)
		return r;
	sqlite3_stmt *sys = NULL, *last = NULL, *hourly = NULL;
	if ((r = vg_db_mod_prepare(&c->q,
				   "SELECT id, name, unit, level, plan_approved, nationally_important FROM systems"
				   " ORDER BY level DESC, name, id",
				   &sys)) != 0 ||
	    (r = vg_db_mod_prepare(&c->q, "SELECT layer, last_us FROM activity_layers WHERE system_id = ?", &last)) !=
		    0 ||
	    (r = vg_db_mod_prepare(
		     &c->q,
		     "SELECT layer, sum(count) FROM activity_hourly WHERE system_id = ? AND hour >= ? GROUP BY layer",
		     &hourly)) != 0) {
		sqlite3_finalize(sys);
		sqlite3_finalize(last);
		return r;
	}
	json_t *doc = json_object(), *systems = json_array(), *gaps = json_array(), *act = json_array(),
	       *orphans = json_array(), *per_layer = json_object();
	int64_t nsys = 0, n35 = 0, full35 = 0, counts[5][3];
	memset(counts, 0, sizeof(counts));
	int rc;
	while ((rc = sqlite3_step(sys)) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(sys, 2);
		if (u == NULL || !visible(who, u) || (unit != NULL && !under(u, unit)))
			continue;
		int64_t id = sqlite3_column_int64(sys, 0);
		const char *name = (const char *)sqlite3_column_text(sys, 1);
		int level = sqlite3_column_int(sys, 3), plan = sqlite3_column_int(sys, 4);
		struct layer_fig f[5];
		if ((r = layer_figures(c, last, hourly, id, now_us, f)) != 0)
			break;
		json_t *layers = json_object(), *missing = json_array(), *stale = json_array();
		int covered = 0;
		for (uint8_t l = 1; l <= NLAYERS; l++) {
			int st = vg_coverage_state_of(&th[l], f[l].last_us, now_us);
			counts[l][st]++;
			covered += st == VG_COV_COVERED;
			json_object_set_new(layers, vg_layer_name(l),
					    json_pack("{s:s,s:o,s:o,s:I}", "state", vg_coverage_state_name(st),
						      "last_event_us",
						      f[l].last_us > 0 ? json_integer(f[l].last_us) : json_null(),
						      "last_event_at", iso_time(f[l].last_us), "events_24h",
						      (json_int_t)f[l].events));
			if (st != VG_COV_COVERED) {
				json_array_append_new(gaps, json_pack("{s:I,s:s,s:s,s:i,s:s,s:s,s:o}", "system_id",
								      (json_int_t)id, "system", name, "unit", u, "level",
								      level, "layer", vg_layer_name(l), "state",
								      vg_coverage_state_name(st), "last_event_us",
								      f[l].last_us > 0 ? json_integer(f[l].last_us)
										       : json_null()));
				json_array_append_new(st == VG_COV_MISSING ? missing : stale,
						      json_string(vg_layer_name(l)));
			}
		}
		nsys++;
		if (level >= 3) {
			n35++;
			full35 += covered == NLAYERS;
		}
		if (!plan || json_array_size(missing) > 0) {
			json_t *reasons = json_array();
			if (!plan)
				json_array_append_new(reasons, json_string("no_approved_plan"));
			if (json_array_size(missing) > 0)
				json_array_append_new(reasons, json_string("missing_layers"));
			json_array_append_new(act, json_pack("{s:I,s:s,s:s,s:i,s:b,s:o,s:O,s:O}", "system_id",
							     (json_int_t)id, "system", name, "unit", u, "level", level,
							     "plan_approved", plan, "reasons", reasons, "missing_layers",
							     missing, "stale_layers", stale));
		}
		json_array_append_new(systems,
				      json_pack("{s:I,s:s,s:s,s:i,s:b,s:b,s:o,s:i,s:b}", "id", (json_int_t)id, "name",
						name, "unit", u, "level", level, "plan_approved", plan,
						"nationally_important", sqlite3_column_int(sys, 5), "layers", layers,
						"covered_layers", covered, "fully_covered", covered == NLAYERS));
		json_decref(missing);
		json_decref(stale);
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = vg_db_mod_sqlfail(&c->q, rc, NULL);
	sqlite3_finalize(sys);
	sqlite3_finalize(last);
	sqlite3_finalize(hourly);
	/* sources of no system have no unit: only for those who see everything */
	if (r == 0 && unit == NULL && (who == NULL || who->role == VG_ROLE_ADMIN || who->unit[0] == '\0'))
		r = unattributed(c, orphans);
	for (uint8_t l = 1; l <= NLAYERS; l++)
		json_object_set_new(per_layer, vg_layer_name(l),
				    json_pack("{s:I,s:I,s:I}", "covered", (json_int_t)counts[l][0], "stale",
					      (json_int_t)counts[l][1], "missing", (json_int_t)counts[l][2]));
	json_t *summary = json_pack("{s:I,s:I,s:I,s:o,s:o}", "systems", (json_int_t)nsys, "level3_5_systems",
				    (json_int_t)n35, "level3_5_fully_covered", (json_int_t)full35, "level3_5_share",
				    n35 > 0 ? json_real((double)full35 / (double)n35) : json_null(), "layers", per_layer);
	per_layer = NULL;
	if (r == 0 && (doc == NULL || systems == NULL || gaps == NULL || act == NULL || orphans == NULL ||
		       summary == NULL))
		r = vg_db_mod_failf(&c->q, VG_ENOMEM, "out of memory");
	if (r == 0) {
		json_object_set_new(doc, "generated_us", json_integer(now_us));
		json_object_set_new(doc, "generated_at", iso_time(now_us));
		json_object_set_new(doc, "unit", unit != NULL ? json_string(unit) : json_null());
		json_object_set_new(doc, "thresholds", thresholds_json(th));
		json_object_set_new(doc, "summary", summary);
		json_object_set_new(doc, "systems", systems);
		json_object_set_new(doc, "gaps", gaps);
		json_object_set_new(doc, "act_on", act);
		json_object_set_new(doc, "unattributed", orphans);
		*out = doc;
		return 0;
	}
	json_decref(per_layer);
	json_decref(summary);
	json_decref(doc);
	json_decref(systems);
	json_decref(gaps);
	json_decref(act);
	json_decref(orphans);
	return r;
}

/* ==== REST handlers ==== */

static void h_coverage(void *ud, vg_api_call *c)
{
	vg_coverage *cv = ud;
	const char *unit = vg_api_query(c, "unit");
	if (unit != NULL && !vg_auth_unit_valid(unit)) {
		vg_api_error(c, 400, "invalid", "unit: not a unit path");
		return;
	}
	json_t *out;
	int r = vg_coverage_report(cv, &c->who, unit, c->now_us, &out);
	if (r != 0)
		vg_api_error(c, 500, "internal", "%s", cv->err);
	else
		vg_api_json(c, 200, out);
}

static void h_thresholds_get(void *ud, vg_api_call *c)
{
	vg_coverage *cv = ud;
	vg_coverage_threshold t[5];
	if (vg_coverage_thresholds(cv, t) != 0) {
		vg_api_error(c, 500, "internal", "%s", cv->err);
		return;
	}
	vg_api_json(c, 200, json_pack("{s:o}", "thresholds", thresholds_json(t)));
}

/* {"network":{"stale_after_s":N,"missing_after_s":M}, ...}: the layers and
 * members given change, all or nothing. */
static void h_thresholds_put(void *ud, vg_api_call *c)
{
	vg_coverage *cv = ud;
	vg_coverage_threshold t[5];
	if (vg_coverage_thresholds(cv, t) != 0) {
		vg_api_error(c, 500, "internal", "%s", cv->err);
		return;
	}
	int changed[5] = {0};
	const char *k;
	json_t *v;
	json_object_foreach(c->body, k, v) {
		uint8_t l = vg_layer_parse(k);
		if (l == VG_LAYER_UNKNOWN) {
			vg_api_error(c, 400, "invalid", "%s: not a layer (network, host, application, endpoint)", k);
			return;
		}
		if (!json_is_object(v)) {
			vg_api_error(c, 400, "invalid", "%s: must be an object", k);
			return;
		}
		const char *m;
		json_t *x;
		json_object_foreach(v, m, x) {
			int64_t *dst = strcmp(m, "stale_after_s") == 0     ? &t[l].stale_after_s
				       : strcmp(m, "missing_after_s") == 0 ? &t[l].missing_after_s
									   : NULL;
			if (dst == NULL) {
				vg_api_error(c, 400, "invalid", "%s.%s: unknown member", k, m);
				return;
			}
			if (!json_is_integer(x)) {
				vg_api_error(c, 400, "invalid", "%s.%s: must be an integer number of seconds", k, m);
				return;
			}
			*dst = json_integer_value(x);
		}
		changed[l] = 1;
	}
	if (vg_api_begin(c) != 0) {
		vg_api_error(c, 500, "internal", "cannot start a transaction");
		return;
	}
	int r = 0;
	for (uint8_t l = 1; l <= NLAYERS && r == 0; l++)
		if (changed[l])
			r = vg_coverage_set_threshold(cv, l, &t[l]);
	json_t *now = thresholds_json(t);
	if (r == 0 && (r = vg_api_audit(c, "coverage.thresholds", "coverage_thresholds", "all", now)) != 0)
		vg_db_mod_failf(&cv->q, r, "audit log: %s", vg_err_str(r));
	if (r == 0 && vg_api_commit(c) != 0)
		r = vg_db_mod_failf(&cv->q, VG_EIO, "commit failed");
	if (r != 0) {
		vg_api_rollback(c);
		json_decref(now);
		vg_api_error(c, r == VG_EINVAL ? 400 : 500, r == VG_EINVAL ? "invalid" : "internal", "%s", cv->err);
		return;
	}
	vg_api_json(c, 200, json_pack("{s:o}", "thresholds", now));
}

int vg_coverage_register_api(vg_coverage *cv, vg_api *api)
{
	int r;
	if ((r = vg_api_route(api, "GET", "/coverage", 0, VG_API_READ, h_coverage, cv)) != 0 ||
	    (r = vg_api_route(api, "GET", "/coverage/thresholds", 0, VG_API_READ, h_thresholds_get, cv)) != 0 ||
	    (r = vg_api_route(api, "PUT", "/coverage/thresholds", 0, VG_API_ADMIN | VG_API_JSON_BODY, h_thresholds_put,
			      cv)) != 0 ||
	    (r = vg_api_route(api, "PATCH", "/coverage/thresholds", 0, VG_API_ADMIN | VG_API_JSON_BODY,
			      h_thresholds_put, cv)) != 0)
		return r;
	return 0;
}
