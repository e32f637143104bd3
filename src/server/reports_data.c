/* reports_data.c — the data of the periodic reports: alerts aggregated in SQL
 * over the state DB's `alerts` table (filtered by unit through a SQL function
 * that asks the systems module once per host/address), incidents, coverage
 * and changes from the injected sources, all as one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/hashmap.h"
#include "server/reports_int.h"

#define DAY_US INT64_C(86400000000)
#define HOUR_US INT64_C(3600000000)
#define TZ_US ((int64_t)VG_REPORT_TZ_OFFSET_S * 1000000)

typedef struct sysinfo {
	int64_t id;
	int visible;
	char *name;
	char *unit;
	int level;
} sysinfo;

typedef struct hostent_ {
	char *key; /* "host\0ip" */
	size_t klen;
	sysinfo *sys; /* NULL: no system */
} hostent_;

typedef struct ctx {
	vg_reports *r;
	const vg_report_req *q;
	int filtering; /* unit filter or scoped caller */
	vg_hashmap *hosts, *systems;
	int err;
	/* the top rules' ids as stored (the JSON has them repaired as UTF-8),
	 * for the evidence query; NULL for a NULL rule_id */
	char *rid[VG_REPORT_MAX_EVIDENCE];
	size_t nrid;
} ctx;

/* whether objects of unit u pass the request's filters */
static int unit_ok(const ctx *x, const char *u)
{
	if (!x->filtering)
		return 1;
	if (u == NULL || u[0] == '\0')
		return 0;
	if (x->q->who != NULL && !vg_auth_unit_visible(x->q->who, u))
		return 0;
	const char *want = x->q->unit;
	if (want != NULL && want[0] != '\0') {
		size_t n = strlen(want);
		if (strncmp(u, want, n) != 0 || (u[n] != '\0' && u[n] != '/'))
			return 0;
	}
	return 1;
}

static sysinfo *system_info(ctx *x, int64_t id)
{
	if (id <= 0)
		return NULL;
	sysinfo *s = vg_hashmap_get(x->systems, &id, sizeof(id));
	if (s != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	s->id = id;
	json_t *o = NULL;
	int e = 0;
	if (x->r->src.system != NULL)
		o = x->r->src.system(x->r->src.ud, id, &e);
	char idbuf[32];
	snprintf(idbuf, sizeof(idbuf), "#%lld", (long long)id);
	const char *nm = vg_rep_str(o, "name");
	s->name = strdup(nm[0] ? nm : idbuf);
	s->unit = strdup(vg_rep_str(o, "unit"));
	s->level = (int)vg_rep_int(o, "level");
	json_decref(o);
	if (s->name == NULL || s->unit == NULL)
		goto nomem;
	s->visible = unit_ok(x, s->unit);
	if (vg_hashmap_put(x->systems, &s->id, sizeof(s->id), s) != 0)
		goto nomem;
	return s;
nomem:
	if (s != NULL) {
		free(s->name);
		free(s->unit);
		free(s);
	}
	x->err = VG_ENOMEM;
	return NULL;
}

/* The system of an origin (host, address, agent, input: as for activity;
 * NULL strings are ""), cached per origin; NULL for none. */
static sysinfo *system_of(ctx *x, const char *host, const char *ip, const char *agent, const char *input)
{
	if (x->r->src.system_of == NULL)
		return NULL;
	const char *part[4] = {host != NULL ? host : "", ip != NULL ? ip : "", agent != NULL ? agent : "",
			       input != NULL ? input : ""};
	size_t len[4], klen = 0;
	for (int i = 0; i < 4; i++)
		klen += (len[i] = strlen(part[i])) + 1;
	char stack[512];
	char *key = klen <= sizeof(stack) ? stack : malloc(klen);
	if (key == NULL) {
		x->err = VG_ENOMEM;
		return NULL;
	}
	for (size_t i = 0, o = 0; i < 4; o += len[i++] + 1)
		memcpy(key + o, part[i], len[i] + 1); /* NUL-separated: no two origins share a key */
	hostent_ *h = vg_hashmap_get(x->hosts, key, klen);
	if (h == NULL) {
		h = calloc(1, sizeof(*h));
		if (h == NULL || (h->key = malloc(klen)) == NULL) {
			free(h);
			h = NULL;
			x->err = VG_ENOMEM;
		} else {
			memcpy(h->key, key, klen);
			h->klen = klen;
			vg_activity o = {.host = part[0], .source_ip = part[1], .agent_id = part[2], .input = part[3]};
			h->sys = system_info(x, x->r->src.system_of(x->r->src.ud, &o));
			if (vg_hashmap_put(x->hosts, h->key, h->klen, h) != 0) {
				free(h->key);
				free(h);
				h = NULL;
				x->err = VG_ENOMEM;
			}
		}
	}
	if (key != stack)
		free(key);
	return h != NULL ? h->sys : NULL;
}

/* vg_rep_visible(host, peer_ip, agent_id, input): may the reader see an
 * alert of this origin (its system's unit)? */
static void sql_visible(sqlite3_context *sc, int argc, sqlite3_value **argv)
{
	ctx *x = sqlite3_user_data(sc);
	(void)argc;
	if (!x->filtering) {
		sqlite3_result_int(sc, 1);
		return;
	}
	sysinfo *s = system_of(x, (const char *)sqlite3_value_text(argv[0]), (const char *)sqlite3_value_text(argv[1]),
			       (const char *)sqlite3_value_text(argv[2]), (const char *)sqlite3_value_text(argv[3]));
	sqlite3_result_int(sc, s != NULL && s->visible);
}

static void ctx_free(ctx *x)
{
	size_t pos = 0;
	const void *k;
	size_t kl;
	void *v;
	while (x->hosts != NULL && vg_hashmap_next(x->hosts, &pos, &k, &kl, &v)) {
		hostent_ *h = v;
		free(h->key);
		free(h);
	}
	pos = 0;
	while (x->systems != NULL && vg_hashmap_next(x->systems, &pos, &k, &kl, &v)) {
		sysinfo *s = v;
		free(s->name);
		free(s->unit);
		free(s);
	}
	vg_hashmap_free(x->hosts);
	vg_hashmap_free(x->systems);
	for (size_t i = 0; i < x->nrid; i++)
		free(x->rid[i]);
}

/* ---- SQL ---- */

#define WHERE " WHERE ts_us >= ?1 AND ts_us < ?2 AND vg_rep_visible(host, peer_ip, agent_id, input) "
#define JX(path) "(CASE WHEN json_valid(doc) THEN json_extract(doc, '" path "') END)"

typedef struct q_ {
	sqlite3_stmt *st;
	int rc;
} q_;

static int prep(vg_reports *r, const vg_report_period *p, const char *sql, sqlite3_stmt **st, char *why, size_t n)
{
	sqlite3 *db = vg_db_sqlite(r->db);
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		snprintf(why, n, "reports: %s", sqlite3_errmsg(db));
		return VG_EIO;
	}
	sqlite3_bind_int64(*st, 1, p->from_us);
	sqlite3_bind_int64(*st, 2, p->to_us);
	return 0;
}

static int finish(vg_reports *r, sqlite3_stmt *st, int step_rc, char *why, size_t n)
{
	int rc = 0;
	if (step_rc != SQLITE_DONE) {
		snprintf(why, n, "reports: %s", sqlite3_errmsg(vg_db_sqlite(r->db)));
		rc = VG_EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s != NULL ? s : "";
}

/* length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
	if (len == 0 || p[0] > 0xF4 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) || (p[0] == 0xF0 && p[1] < 0x90) ||
	    (p[0] == 0xF4 && p[1] > 0x8F))
		return 0; /* overlong, surrogate, past U+10FFFF */
	return len;
}

/* A JSON string of n bytes of text from the database (logs: hostile), with
 * invalid UTF-8 replaced by U+FFFD. NULL on ENOMEM. */
static json_t *jtextn(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	while (i < n && (k = utf8_seq(u + i, n - i)) != 0)
		i += k;
	if (i == n)
		return json_stringn(s, n);
	vg_buf b = {0};
	int bad = 0;
	for (i = 0; i < n && !bad;) {
		k = utf8_seq(u + i, n - i);
		bad = k ? vg_buf_append(&b, s + i, k) != 0 : vg_buf_append(&b, "\xEF\xBF\xBD", 3) != 0;
		i += k ? k : 1;
	}
	json_t *v = bad ? NULL : json_stringn(b.data != NULL ? b.data : "", b.len);
	vg_buf_free(&b);
	return v;
}

static json_t *jtext(const char *s)
{
	return jtextn(s, strlen(s));
}

static json_t *jcol(sqlite3_stmt *st, int i)
{
	return jtext(col(st, i));
}

static json_t *iso(int64_t us)
{
	if (us == 0)
		return json_null();
	char b[40];
	vg_rep_iso(us, b, sizeof(b));
	return json_string(b);
}

/* set a member, failing on ENOMEM (steals v) */
static int put(json_t *o, const char *k, json_t *v)
{
	return v != NULL && json_object_set_new(o, k, v) == 0 ? 0 : VG_ENOMEM;
}

static int add(json_t *a, json_t *v)
{
	return v != NULL && json_array_append_new(a, v) == 0 ? 0 : VG_ENOMEM;
}

static int summary(vg_reports *r, const vg_report_period *p, json_t *out, char *why, size_t n)
{
	sqlite3_stmt *st;
	int rc = prep(r, p,
		      "SELECT count(*), total(level='critical'), total(level='high'), total(level='medium'),"
		      " total(level='low'), total(level='informational'), total(is_correlation),"
		      " count(DISTINCT host), count(DISTINCT source_ip), count(DISTINCT rule_id) FROM alerts" WHERE,
		      &st, why, n);
	if (rc != 0)
		return rc;
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		json_t *o = json_object();
		static const char *const names[] = {"alerts",       "critical", "high",  "medium",  "low",
						    "informational", "correlations", "hosts", "sources", "rules"};
		for (int i = 0; o != NULL && i < 10; i++)
			if (json_object_set_new(o, names[i], json_integer(sqlite3_column_int64(st, i))) != 0)
				rc = VG_ENOMEM;
		if (rc == 0)
			rc = put(out, "summary", o);
		s = sqlite3_step(st);
	}
	int rc2 = finish(r, st, s, why, n);
	return rc != 0 ? rc : rc2;
}

/* alerts per local day (per hour for a daily report), zeros included */
static int timeline(vg_reports *r, const vg_report_period *p, json_t *out, char *why, size_t n)
{
	int hourly = p->kind == VG_REPORT_DAILY;
	int64_t step = hourly ? HOUR_US : DAY_US;
	size_t nb = (size_t)((p->to_us - p->from_us) / step);
	if (nb == 0 || nb > 400)
		return VG_EINVAL;
	int64_t *counts = calloc(nb, sizeof(*counts));
	if (counts == NULL)
		return VG_ENOMEM;
	sqlite3_stmt *st;
	int rc = prep(r, p, "SELECT (ts_us - ?1) / ?3, count(*) FROM alerts" WHERE "GROUP BY 1", &st, why, n);
	if (rc != 0) {
		free(counts);
		return rc;
	}
	sqlite3_bind_int64(st, 3, step);
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(st, 0);
		if (b >= 0 && (size_t)b < nb)
			counts[b] += sqlite3_column_int64(st, 1);
	}
	rc = finish(r, st, s, why, n);
	json_t *o = json_object(), *labels = json_array(), *vals = json_array();
	if (o == NULL || labels == NULL || vals == NULL)
		rc = VG_ENOMEM;
	for (size_t i = 0; rc == 0 && i < nb; i++) {
		char lb[16];
		int64_t t = p->from_us + (int64_t)i * step;
		if (hourly) {
			snprintf(lb, sizeof(lb), "%02zu:00", i);
		} else {
			int y, m, d;
			int64_t day = (t + TZ_US) / DAY_US;
			vg_rep_civil_from_days(day, &y, &m, &d);
			snprintf(lb, sizeof(lb), "%04d-%02d-%02d", y, m, d);
		}
		if (add(labels, json_string(lb)) != 0 || add(vals, json_integer(counts[i])) != 0)
			rc = VG_ENOMEM;
	}
	free(counts);
	if (rc == 0 && (put(o, "bucket", json_string(hourly ? "hour" : "day")) != 0 ||
			json_object_set(o, "labels", labels) != 0 || json_object_set(o, "counts", vals) != 0))
		rc = VG_ENOMEM;
	json_decref(labels);
	json_decref(vals);
	if (rc == 0)
		return put(out, "timeline", o);
	json_decref(o);
	return rc;
}

/* ATT&CK tags of a rule: techniques (attack.t1110, attack.t1059.001) and
 * tactics (attack.credential_access) */
static int split_tags(const char *tags_json, json_t *techs, json_t *tactics)
{
	json_t *a = json_loads(tags_json, JSON_DECODE_ANY, NULL);
	size_t i;
	json_t *v;
	int rc = 0;
	json_array_foreach(a, i, v)
	{
		const char *t = json_string_value(v);
		if (t == NULL || strncmp(t, "attack.", 7) != 0 || t[7] == '\0')
			continue;
		t += 7;
		if ((t[0] == 't' || t[0] == 'T') && t[1] >= '0' && t[1] <= '9') {
			char up[32];
			size_t k = 0;
			for (; t[k] != '\0' && k + 1 < sizeof(up); k++)
				up[k] = (char)(t[k] >= 'a' && t[k] <= 'z' ? t[k] - 32 : t[k]);
			up[k] = '\0';
			rc = add(techs, jtext(up));
		} else if (!(t[0] == 'g' && t[1] >= '0' && t[1] <= '9') && !(t[0] == 's' && t[1] >= '0' && t[1] <= '9')) {
			rc = add(tactics, json_string(t));
		}
		if (rc != 0)
			break;
	}
	json_decref(a);
	return rc;
}

static int rules(ctx *x, const vg_report_period *p, json_t *out, char *why, size_t n)
{
	vg_reports *r = x->r;
	sqlite3_stmt *st;
	int rc = prep(r, p,
		      "SELECT rule_id, max(rule_title), max(level), count(*), min(ts_us), max(ts_us),"
		      " max(" JX("$.rule.tags") ") FROM alerts" WHERE "GROUP BY rule_id ORDER BY 4 DESC, 2 LIMIT ?3",
		      &st, why, n);
	if (rc != 0)
		return rc;
	sqlite3_bind_int(st, 3, VG_REPORT_TOP);
	json_t *arr = json_array(), *tech = json_object();
	int s = SQLITE_DONE;
	while (rc == 0 && arr != NULL && tech != NULL && (s = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *techs = json_array(), *tactics = json_array();
		json_t *o = json_object();
		if (o == NULL || techs == NULL || tactics == NULL || split_tags(col(st, 6), techs, tactics) != 0 ||
		    put(o, "rule_id", jcol(st, 0)) != 0 || put(o, "title", jcol(st, 1)) != 0 ||
		    put(o, "level", jcol(st, 2)) != 0 ||
		    put(o, "count", json_integer(sqlite3_column_int64(st, 3))) != 0 ||
		    put(o, "first", iso(sqlite3_column_int64(st, 4))) != 0 ||
		    put(o, "last", iso(sqlite3_column_int64(st, 5))) != 0 || json_object_set(o, "techniques", techs) != 0 ||
		    json_object_set(o, "tactics", tactics) != 0) {
			rc = VG_ENOMEM;
		}
		/* techniques table: technique -> count and rule titles */
		size_t i;
		json_t *t;
		json_array_foreach(techs, i, t)
		{
			if (rc != 0)
				break;
			json_t *e = json_object_get(tech, json_string_value(t));
			if (e == NULL) {
				e = json_pack("{s:s, s:I, s:[]}", "id", json_string_value(t), "count", (json_int_t)0, "rules");
				if (e == NULL || json_object_set_new(tech, json_string_value(t), e) != 0) {
					rc = VG_ENOMEM;
					break;
				}
			}
			json_object_set_new(e, "count",
					    json_integer(vg_rep_int(e, "count") + sqlite3_column_int64(st, 3)));
			rc = add(json_object_get(e, "rules"), jcol(st, 1));
		}
		json_decref(techs);
		json_decref(tactics);
		if (rc == 0 && x->nrid < VG_REPORT_MAX_EVIDENCE) {
			const char *raw = (const char *)sqlite3_column_text(st, 0);
			if (raw != NULL && (x->rid[x->nrid] = strdup(raw)) == NULL)
				rc = VG_ENOMEM;
			else
				x->nrid++;
		}
		if (rc == 0)
			rc = add(arr, o);
		else
			json_decref(o);
	}
	if (arr == NULL || tech == NULL)
		rc = VG_ENOMEM, s = SQLITE_DONE;
	int rc2 = rc == 0 ? finish(r, st, s, why, n) : (sqlite3_finalize(st), 0);
	json_t *techarr = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(tech, k, v)
	{
		if (techarr == NULL || json_array_append(techarr, v) != 0)
			rc = VG_ENOMEM;
	}
	json_decref(tech);
	if (rc == 0 && rc2 == 0 && put(out, "rules", arr) == 0 && put(out, "techniques", techarr) == 0)
		return 0;
	return rc != 0 ? rc : rc2 != 0 ? rc2 : VG_ENOMEM;
}

static int objects(ctx *x, const vg_report_period *p, json_t *out, char *why, size_t n)
{
	sqlite3_stmt *st;
	int rc = prep(x->r, p,
		      "SELECT host, dip, svc, count(*), min(ts_us), max(ts_us) FROM (SELECT host, ts_us,"
		      " coalesce(" JX("$.destination.ip") ", " JX("$.\"destination.ip\"") ") AS dip,"
		      " coalesce(" JX("$.service.name") ", " JX("$.destination.port") ", " JX("$.\"destination.port\"") ","
		      " " JX("$.url.domain") ") AS svc FROM alerts" WHERE ")"
		      " GROUP BY host, dip, svc ORDER BY 4 DESC, 1 LIMIT ?3",
		      &st, why, n);
	if (rc != 0)
		return rc;
	sqlite3_bind_int(st, 3, VG_REPORT_MAX_OBJECTS);
	json_t *arr = json_array();
	int s = SQLITE_DONE;
	while (rc == 0 && arr != NULL && (s = sqlite3_step(st)) == SQLITE_ROW) {
		/* a target: its host, and its address where a cidr rule may place it */
		sysinfo *sys = system_of(x, sqlite3_column_text(st, 0) ? col(st, 0) : NULL,
					 sqlite3_column_text(st, 1) ? col(st, 1) : NULL, NULL, NULL);
		json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:I}", "host", jcol(st, 0), "ip", jcol(st, 1), "service",
				      jcol(st, 2), "system", jtext(sys != NULL ? sys->name : ""), "count",
				      (json_int_t)sqlite3_column_int64(st, 3));
		if (o == NULL || put(o, "first", iso(sqlite3_column_int64(st, 4))) != 0 ||
		    put(o, "last", iso(sqlite3_column_int64(st, 5))) != 0 || add(arr, o) != 0)
			rc = VG_ENOMEM;
	}
	if (arr == NULL)
		rc = VG_ENOMEM;
	int rc2 = rc == 0 ? finish(x->r, st, s, why, n) : (sqlite3_finalize(st), 0);
	if (rc == 0 && rc2 == 0)
		return put(out, "objects", arr);
	json_decref(arr);
	return rc != 0 ? rc : rc2;
}

static int sources(vg_reports *r, const vg_report_period *p, json_t *out, char *why, size_t n)
{
	sqlite3_stmt *st;
	int rc = prep(r, p,
		      "SELECT source_ip, count(*), count(DISTINCT rule_id), count(DISTINCT host), min(ts_us), max(ts_us)"
		      " FROM alerts" WHERE "AND source_ip IS NOT NULL AND source_ip != ''"
		      " GROUP BY source_ip ORDER BY 2 DESC, 1 LIMIT ?3",
		      &st, why, n);
	if (rc != 0)
		return rc;
	sqlite3_bind_int(st, 3, VG_REPORT_TOP);
	json_t *arr = json_array();
	int s = SQLITE_DONE;
	while (rc == 0 && arr != NULL && (s = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_pack("{s:o, s:I, s:I, s:I}", "ip", jcol(st, 0), "count",
				      (json_int_t)sqlite3_column_int64(st, 1), "rules",
				      (json_int_t)sqlite3_column_int64(st, 2), "hosts",
				      (json_int_t)sqlite3_column_int64(st, 3));
		if (o == NULL || put(o, "first", iso(sqlite3_column_int64(st, 4))) != 0 ||
		    put(o, "last", iso(sqlite3_column_int64(st, 5))) != 0 || add(arr, o) != 0)
			rc = VG_ENOMEM;
	}
	if (arr == NULL)
		rc = VG_ENOMEM;
	int rc2 = rc == 0 ? finish(r, st, s, why, n) : (sqlite3_finalize(st), 0);
	if (rc == 0 && rc2 == 0)
		return put(out, "sources", arr);
	json_decref(arr);
	return rc != 0 ? rc : rc2;
}

/* the first alert of each of the top rules, with an excerpt of its event */
static int evidence(ctx *x, const vg_report_period *p, json_t *out, char *why, size_t n)
{
	vg_reports *r = x->r;
	json_t *arr = json_array();
	if (arr == NULL)
		return VG_ENOMEM;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < x->nrid; i++) {
		sqlite3_stmt *st;
		if ((rc = prep(r, p,
			       "SELECT id, ts_us, rule_title, host, source_ip, level,"
			       " coalesce(" JX("$.event.original") ", " JX("$.\"event.original\"") ", '')"
			       " FROM alerts" WHERE "AND rule_id IS ?3 ORDER BY ts_us LIMIT 1",
			       &st, why, n)) != 0)
			break;
		if (x->rid[i] != NULL)
			sqlite3_bind_text(st, 3, x->rid[i], -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			const char *ex = col(st, 6);
			size_t el = strlen(ex);
			if (el > VG_REPORT_MAX_EXCERPT) { /* cut at a UTF-8 boundary */
				el = VG_REPORT_MAX_EXCERPT;
				while (el > 0 && ((unsigned char)ex[el] & 0xC0) == 0x80)
					el--;
			}
			json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "alert_id",
					      (json_int_t)sqlite3_column_int64(st, 0), "rule", jcol(st, 2), "host",
					      jcol(st, 3), "source_ip", jcol(st, 4), "level", jcol(st, 5), "excerpt",
					      jtextn(ex, el));
			if (o == NULL || put(o, "time", iso(sqlite3_column_int64(st, 1))) != 0 || add(arr, o) != 0)
				rc = VG_ENOMEM;
			s = sqlite3_step(st);
		}
		int rc2 = finish(r, st, s, why, n);
		if (rc == 0)
			rc = rc2;
	}
	if (rc == 0)
		return put(out, "evidence", arr);
	json_decref(arr);
	return rc;
}

/* ---- incidents, coverage, changes ---- */

static const char *const incident_types[] = {"malware", "intrusion", "encryption", "destruction",
					     "data_theft", "combined", "other"};
#define NTYPES (sizeof(incident_types) / sizeof(incident_types[0]))

/* the report's type of an incident's "type" member (aliases documented) */
static const char *norm_type(const char *t)
{
	char b[32];
	size_t i = 0;
	for (; t[i] != '\0' && i + 1 < sizeof(b); i++)
		b[i] = t[i] == '-' || t[i] == ' ' ? '_' : (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
	b[i] = '\0';
	if (strcmp(b, "ransomware") == 0)
		return "encryption";
	if (strcmp(b, "datatheft") == 0 || strcmp(b, "data_leak") == 0 || strcmp(b, "exfiltration") == 0)
		return "data_theft";
	if (strcmp(b, "defacement") == 0)
		return "destruction";
	for (size_t k = 0; k < NTYPES; k++)
		if (strcmp(b, incident_types[k]) == 0)
			return incident_types[k];
	return "other";
}

static int incident_ok(ctx *x, const json_t *inc)
{
	if (!x->filtering)
		return 1;
	json_t *systems = json_object_get(inc, "systems");
	size_t i;
	json_t *s;
	json_array_foreach(systems, i, s)
	{
		const char *u = json_string_value(json_object_get(s, "unit"));
		if (u == NULL) {
			sysinfo *si = system_info(x, json_is_integer(s) ? json_integer_value(s) : vg_rep_int(s, "id"));
			u = si != NULL ? si->unit : NULL;
		}
		if (u != NULL && unit_ok(x, u))
			return 1;
	}
	return unit_ok(x, json_string_value(json_object_get(inc, "unit")));
}

static int incidents(ctx *x, const vg_report_period *p, json_t *out)
{
	json_t *by_type = json_object(), *by_state = json_object(), *list = json_array();
	int rc = by_type != NULL && by_state != NULL && list != NULL ? 0 : VG_ENOMEM;
	for (size_t k = 0; rc == 0 && k < NTYPES; k++)
		rc = put(by_type, incident_types[k], json_integer(0));
	json_t *src = NULL;
	int available = x->r->src.incidents != NULL;
	if (rc == 0 && available) {
		int e = 0;
		src = x->r->src.incidents(x->r->src.ud, p->from_us, p->to_us, &e);
		if (src == NULL && e != 0)
			rc = e;
	}
	size_t i, total = 0;
	json_t *inc;
	json_array_foreach(src, i, inc)
	{
		if (rc != 0 || total >= VG_REPORT_MAX_ROWS)
			break;
		if (!json_is_object(inc) || !incident_ok(x, inc))
			continue;
		const char *t = norm_type(vg_rep_str(inc, "type"));
		const char *state = vg_rep_str(inc, "state");
		(void)json_object_set_new(by_type, t, json_integer(vg_rep_int(by_type, t) + 1));
		if (state[0] != '\0')
			(void)json_object_set_new(by_state, state, json_integer(vg_rep_int(by_state, state) + 1));
		json_t *o = json_deep_copy(inc);
		if (o == NULL || put(o, "report_type", json_string(t)) != 0 || add(list, o) != 0)
			rc = VG_ENOMEM;
		total++;
	}
	json_decref(src);
	json_t *o = rc == 0 ? json_pack("{s:b, s:I, s:O, s:O, s:O}", "available", available, "total",
					(json_int_t)total, "by_type", by_type, "by_state", by_state, "list", list)
			    : NULL;
	json_decref(by_type);
	json_decref(by_state);
	json_decref(list);
	if (rc != 0)
		return rc;
	return put(out, "incidents", o);
}

static const char *const layer_names[] = {"network", "host", "application", "endpoint"};

/* the state of one layer from a coverage row: layers as an object keyed by
 * layer name ({"network": {"state": ...}} or {"network": "covered"}) or an
 * array of {"layer", "state"} */
static const char *layer_state(const json_t *row, const char *layer)
{
	json_t *layers = json_object_get(row, "layers");
	json_t *v = json_object_get(layers, layer);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_object(v))
		return vg_rep_str(v, "state");
	size_t i;
	json_t *e;
	json_array_foreach(layers, i, e)
	{
		if (strcmp(vg_rep_str(e, "layer"), layer) == 0)
			return vg_rep_str(e, "state");
	}
	return "missing";
}

static int coverage(ctx *x, json_t *out)
{
	json_t *systems = json_array();
	if (systems == NULL)
		return VG_ENOMEM;
	int rc = 0, available = x->r->src.coverage != NULL;
	json_t *src = NULL;
	if (available) {
		int e = 0;
		src = x->r->src.coverage(x->r->src.ud, x->q->now_us, &e);
		if (src == NULL && e != 0)
			rc = e;
	}
	/* the coverage module may answer {"systems": [...]} or the array itself */
	json_t *rows = json_is_array(src) ? src : json_object_get(src, "systems");
	size_t i, high = 0, high_full = 0, full = 0;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		if (rc != 0 || json_array_size(systems) >= VG_REPORT_MAX_ROWS)
			break;
		json_t *sys = json_object_get(row, "system");
		const json_t *info = json_is_object(sys) ? sys : row;
		const char *unit = vg_rep_str(info, "unit");
		if (x->filtering && !unit_ok(x, unit))
			continue;
		const char *name = vg_rep_str(info, "name");
		if (name[0] == '\0')
			name = json_is_string(sys) ? json_string_value(sys) : vg_rep_str(row, "system_name");
		int64_t level = vg_rep_int(info, "level");
		json_t *plan = json_object_get(info, "plan_approved");
		json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:b}", "id",
				      (json_int_t)(vg_rep_int(info, "id") ? vg_rep_int(info, "id")
									  : vg_rep_int(row, "system_id")),
				      "name", name, "unit", unit, "level", (json_int_t)level, "plan_approved",
				      json_is_true(plan));
		json_t *ls = json_object();
		int all = 1;
		for (size_t k = 0; o != NULL && ls != NULL && k < 4; k++) {
			const char *st = layer_state(row, layer_names[k]);
			if (strcmp(st, "covered") != 0)
				all = 0;
			if (put(ls, layer_names[k], json_string(st[0] ? st : "missing")) != 0)
				rc = VG_ENOMEM;
		}
		if (o == NULL || ls == NULL || put(o, "layers", ls) != 0 || put(o, "all_covered", json_boolean(all)) != 0 ||
		    add(systems, o) != 0) {
			rc = VG_ENOMEM;
			break;
		}
		full += all;
		if (level >= 3) {
			high++;
			high_full += all;
		}
	}
	json_decref(src);
	json_t *o = rc == 0 ? json_pack("{s:b, s:I, s:I, s:I, s:I, s:f, s:O}", "available", available, "systems_total",
					(json_int_t)json_array_size(systems), "fully_covered", (json_int_t)full,
					"level3_5_total", (json_int_t)high, "level3_5_covered", (json_int_t)high_full,
					"level3_5_share", high ? (double)high_full / (double)high : 0.0, "systems",
					systems)
			    : NULL;
	json_decref(systems);
	if (rc != 0)
		return rc;
	return put(out, "coverage", o);
}

static int changes(ctx *x, const vg_report_period *p, json_t *out)
{
	json_t *arr = json_array();
	if (arr == NULL)
		return VG_ENOMEM;
	int rc = 0;
	if (x->r->src.changes != NULL) {
		int e = 0;
		json_t *src = x->r->src.changes(x->r->src.ud, p->from_us, p->to_us, &e);
		if (src == NULL && e != 0)
			rc = e;
		size_t i;
		json_t *c;
		json_array_foreach(src, i, c)
		{
			if (rc != 0 || json_array_size(arr) >= VG_REPORT_MAX_ROWS)
				break;
			if (!json_is_object(c) || (x->filtering && !unit_ok(x, vg_rep_str(c, "unit"))))
				continue;
			if (json_array_append(arr, c) != 0)
				rc = VG_ENOMEM;
		}
		json_decref(src);
	}
	if (rc == 0)
		return put(out, "changes", arr);
	json_decref(arr);
	return rc;
}

int vg_rep_collect_periodic(vg_reports *r, const vg_report_req *q, json_t **out, char *why, size_t whylen)
{
	vg_report_period p;
	int rc = vg_report_period_parse(q->kind, q->period, q->now_us, &p, why, whylen);
	if (rc != 0)
		return rc;
	ctx x = {.r = r, .q = q};
	x.filtering = (q->unit != NULL && q->unit[0] != '\0') || (q->who != NULL && q->who->unit[0] != '\0');
	if ((x.hosts = vg_hashmap_new(0)) == NULL || (x.systems = vg_hashmap_new(0)) == NULL) {
		ctx_free(&x);
		return VG_ENOMEM;
	}
	sqlite3 *db = vg_db_sqlite(r->db);
	if (sqlite3_create_function_v2(db, "vg_rep_visible", 4, SQLITE_UTF8, &x, sql_visible, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		ctx_free(&x);
		snprintf(why, whylen, "reports: %s", sqlite3_errmsg(db));
		return VG_EIO;
	}
	json_t *o = json_object(), *per = json_object();
	char b[40], ds[16];
	vg_rep_iso(q->now_us, b, sizeof(b));
	rc = o != NULL && per != NULL ? 0 : VG_ENOMEM;
	if (rc == 0 && (put(o, "kind", json_string(vg_report_kind_name(q->kind))) != 0 ||
			put(per, "label", json_string(p.label)) != 0 || put(per, "from", iso(p.from_us)) != 0 ||
			put(per, "to", iso(p.to_us)) != 0 || put(per, "from_us", json_integer(p.from_us)) != 0 ||
			put(per, "to_us", json_integer(p.to_us)) != 0 ||
			put(per, "timezone", json_string("Asia/Ho_Chi_Minh (UTC+07:00)")) != 0 ||
			json_object_set(o, "period", per) != 0 ||
			put(o, "unit", json_string(q->unit != NULL ? q->unit : "")) != 0 ||
			put(o, "generated_at", json_string(b)) != 0 ||
			put(o, "generated_at_us", json_integer(q->now_us)) != 0))
		rc = VG_ENOMEM;
	if (rc == 0 && q->kind == VG_REPORT_MONTHLY) {
		/* due before the 25th of the month after the period */
		int y, m, d;
		vg_rep_civil_from_days((p.to_us + TZ_US) / DAY_US, &y, &m, &d);
		snprintf(ds, sizeof(ds), "%04d-%02d-%02d", y, m, VG_REPORT_MONTHLY_DUE_DAY);
		rc = put(o, "due_date", json_string(ds));
	}
	if (rc == 0)
		rc = summary(r, &p, o, why, whylen);
	if (rc == 0)
		rc = timeline(r, &p, o, why, whylen);
	if (rc == 0)
		rc = rules(&x, &p, o, why, whylen);
	if (rc == 0 && q->kind <= VG_REPORT_WEEKLY) {
		if ((rc = objects(&x, &p, o, why, whylen)) == 0 && (rc = sources(r, &p, o, why, whylen)) == 0 &&
		    (rc = evidence(&x, &p, o, why, whylen)) == 0)
			rc = changes(&x, &p, o);
	}
	if (rc == 0 && q->kind == VG_REPORT_MONTHLY)
		rc = coverage(&x, o);
	if (rc == 0)
		rc = incidents(&x, &p, o);
	if (rc == 0 && x.err != 0)
		rc = x.err;
	(void)sqlite3_create_function_v2(db, "vg_rep_visible", 4, SQLITE_UTF8, NULL, NULL, NULL, NULL, NULL);
	ctx_free(&x);
	json_decref(per);
	if (rc != 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}
