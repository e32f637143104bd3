/* incidents.c — the incident model: tables, grouping of alerts, workflow,
 * profiles and deadlines, serious flag, report data. The REST handlers are
 * in incidents_api.c; the contract is in incidents.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "core/limits.h"
#include "server/incidents.h"

#define MODULE "incidents"
#define US_PER_HOUR (3600LL * 1000000)

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE incident_profiles ("
	" name TEXT PRIMARY KEY,"
	" title TEXT NOT NULL,"
	" initial_hours INTEGER NOT NULL CHECK (initial_hours > 0),"
	" closure_hours INTEGER NOT NULL CHECK (closure_hours > 0),"
	" closure_from TEXT NOT NULL CHECK (closure_from IN ('detection','resolved')),"
	" builtin INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO incident_profiles VALUES"
	" ('vn-circular-20-2017','Circular 20/2017/TT-BTTTT: initial report (Mẫu 03) within 5 days of detection,"
	" closure report (Mẫu 04) within 5 days after the response ends',120,120,'resolved',1),"
	" ('24h-72h','24-hour initial notice, 72-hour report (from detection)',24,72,'detection',1);"
	"CREATE TABLE incident_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO incident_settings VALUES ('profile','vn-circular-20-2017'),('window_s','3600'),"
	/* alerts from before the module existed are history, not new incidents */
	" ('hwm', (SELECT CAST(coalesce(max(id), 0) AS TEXT) FROM alerts));"
	"CREATE TABLE incident_system_profiles ("
	" system_id INTEGER PRIMARY KEY,"
	" profile TEXT NOT NULL REFERENCES incident_profiles(name) ON UPDATE CASCADE);"
	"CREATE TABLE incident_type_map ("
	" tag TEXT PRIMARY KEY,"
	" type TEXT NOT NULL CHECK (type IN ('malware','intrusion','encryption','destruction','data_theft','other')),"
	" priority INTEGER NOT NULL);"
	"INSERT INTO incident_type_map VALUES"
	" ('attack.t1486','encryption',50),('ransomware','encryption',50),"
	" ('attack.t1485','destruction',40),('attack.t1561','destruction',40),('attack.t1490','destruction',40),"
	" ('attack.impact','destruction',35),"
	" ('attack.exfiltration','data_theft',30),('attack.collection','data_theft',30),"
	" ('attack.command_and_control','malware',20),('attack.execution','malware',20),"
	" ('attack.persistence','malware',20),('attack.defense_evasion','malware',20),('malware','malware',20),"
	" ('attack.s0*','malware',20),"
	" ('attack.initial_access','intrusion',10),('attack.credential_access','intrusion',10),"
	" ('attack.privilege_escalation','intrusion',10),('attack.lateral_movement','intrusion',10),"
	" ('attack.discovery','intrusion',10),('attack.reconnaissance','intrusion',10),"
	" ('attack.resource_development','intrusion',10);"
	"CREATE TABLE incidents ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" title TEXT NOT NULL,"
	" description TEXT NOT NULL DEFAULT '',"
	" state TEXT NOT NULL CHECK (state IN ('new','triaged','contained','resolved','closed')),"
	" type TEXT NOT NULL,"
	" type_manual INTEGER NOT NULL DEFAULT 0,"
	" severity TEXT NOT NULL,"
	" sev_rank INTEGER NOT NULL,"
	" assignee TEXT,"
	" unit TEXT,"
	" profile TEXT NOT NULL REFERENCES incident_profiles(name) ON UPDATE CASCADE,"
	" group_rule TEXT,"
	" group_system INTEGER,"
	" detection_method TEXT NOT NULL,"
	" detected_us INTEGER NOT NULL,"
	" first_alert_us INTEGER,"
	" last_alert_us INTEGER,"
	" alert_count INTEGER NOT NULL DEFAULT 0,"
	" created_us INTEGER NOT NULL,"
	" updated_us INTEGER NOT NULL,"
	" resolved_us INTEGER,"
	" closed_us INTEGER,"
	" created_by TEXT NOT NULL,"
	" reporter TEXT,"
	" reporter_contact TEXT,"
	" major_impact INTEGER NOT NULL DEFAULT 0,"
	" beyond_capacity INTEGER NOT NULL DEFAULT 0,"
	" impact TEXT NOT NULL DEFAULT '',"
	" resolution TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX incidents_group ON incidents(group_rule, group_system, last_alert_us);"
	"CREATE INDEX incidents_state ON incidents(state);"
	"CREATE TABLE incident_alerts ("
	" incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	" alert_id INTEGER NOT NULL,"
	" PRIMARY KEY (incident_id, alert_id));"
	"CREATE INDEX incident_alerts_alert ON incident_alerts(alert_id);"
	"CREATE TABLE incident_systems ("
	" incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	" system_id INTEGER NOT NULL,"
	" PRIMARY KEY (incident_id, system_id));"
	"CREATE INDEX incident_systems_system ON incident_systems(system_id);"
	"CREATE TABLE incident_timeline ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	" ts_us INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" text TEXT NOT NULL);"
	"CREATE INDEX incident_timeline_inc ON incident_timeline(incident_id, id);"
	"CREATE TABLE incident_attachments ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	" ts_us INTEGER NOT NULL,"
	" added_by TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" content TEXT NOT NULL);"
	"CREATE TABLE incident_reports ("
	" incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	" kind TEXT NOT NULL CHECK (kind IN ('initial','closure')),"
	" sent_us INTEGER NOT NULL,"
	" recipient TEXT NOT NULL,"
	" recorded_by TEXT NOT NULL,"
	" recorded_us INTEGER NOT NULL,"
	" PRIMARY KEY (incident_id, kind));",
};

typedef struct type_rule {
	char *tag; /* lower case; a trailing '*' matches a prefix */
	int type, priority;
} type_rule;

struct vg_incidents {
	vg_db *db;
	sqlite3 *h;
	vg_incidents_hooks hooks;
	vg_incidents_report_fn report_fn;
	void *report_ud;
	type_rule *map;
	size_t nmap;
	vg_db_mod q; /* statements, messages into why, changes all or nothing */
	char why[512];
	/* called inside the transaction of every change (sharing: producers.h) */
	int (*change_fn)(void *ud, vg_incidents *inc, int64_t id, int64_t now_us);
	void *change_ud;
};

/* ---- names ---- */

static const char *const state_names[] = {"new", "triaged", "contained", "resolved", "closed"};
static const char *const type_names[] = {"malware",    "intrusion", "encryption", "destruction",
					 "data_theft", "combined",  "other"};
static const char *const dl_names[] = {"pending", "due_soon", "overdue", "done"};
static const char *const kind_names[] = {"initial", "closure"};
static const char *const sev_names[] = {"informational", "low", "medium", "high", "critical"};

static int lookup(const char *const *names, int n, const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *vg_inc_state_name(int s) { return s >= 0 && s < VG_INC_NSTATES ? state_names[s] : NULL; }
int vg_inc_state_parse(const char *s) { return lookup(state_names, VG_INC_NSTATES, s); }
const char *vg_inc_type_name(int t) { return t >= 0 && t < VG_INC_NTYPES ? type_names[t] : NULL; }
int vg_inc_type_parse(const char *s) { return lookup(type_names, VG_INC_NTYPES, s); }
const char *vg_inc_deadline_state_name(int s) { return s >= 0 && s < VG_DL_NSTATES ? dl_names[s] : NULL; }
int vg_inc_deadline_state_parse(const char *s) { return lookup(dl_names, VG_DL_NSTATES, s); }
const char *vg_inc_report_kind_name(int k) { return k >= 0 && k < 2 ? kind_names[k] : NULL; }
int vg_inc_report_kind_parse(const char *s) { return lookup(kind_names, 2, s); }

/* Severity rank of an alert level; unknown levels count as medium. */
static int sev_rank(const char *level)
{
	int r = lookup(sev_names, 5, level);
	return r < 0 ? 2 : r;
}

int vg_incident_transition_ok(int from, int to)
{
	if (from < 0 || from >= VG_INC_NSTATES || to < 0 || to >= VG_INC_NSTATES)
		return 0;
	if (to > from)
		return 1;
	/* reopen: the response was not over after all */
	return to == VG_INC_TRIAGED && (from == VG_INC_RESOLVED || from == VG_INC_CLOSED);
}

/* ---- errors and SQL helpers ---- */

const char *vg_incidents_errmsg(vg_incidents *inc)
{
	return inc->why;
}

static int text_ok(vg_incidents *inc, const char *field, const char *s, size_t max)
{
	if (s == NULL)
		return 0;
	size_t n = strlen(s);
	if (n > max)
		return vg_db_mod_failf(&inc->q, VG_ELIMIT, "%s: longer than %zu bytes", field, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			return vg_db_mod_failf(&inc->q, VG_EINVAL, "%s: control character", field);
	return 0;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- settings ---- */

static int setting_get(vg_incidents *inc, const char *key, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT value FROM incident_settings WHERE key = ?", &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	else
		r = rc == SQLITE_DONE ? vg_db_mod_failf(&inc->q, VG_ENOTFOUND, "setting %s missing", key)
				      : vg_db_mod_sqlfail(&inc->q, rc, "setting");
	sqlite3_finalize(st);
	return r;
}

static int setting_int(vg_incidents *inc, const char *key, int64_t *v)
{
	char buf[64];
	int r = setting_get(inc, key, buf, sizeof(buf));
	if (r == 0)
		*v = strtoll(buf, NULL, 10);
	return r;
}

static int setting_set(vg_incidents *inc, const char *key, const char *v)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "INSERT OR REPLACE INTO incident_settings(key, value) VALUES (?, ?)", &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, key);
	vg_db_bind_text(st, 2, v);
	return vg_db_mod_step_done(&inc->q, st, "setting");
}

VG_WUR int vg_incidents_set_window(vg_incidents *inc, int64_t window_s)
{
	if (window_s < 1 || window_s > VG_INC_WINDOW_MAX_S)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "window_s: must be 1..%d", VG_INC_WINDOW_MAX_S);
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)window_s);
	return setting_set(inc, "window_s", buf);
}

static int profile_exists(vg_incidents *inc, const char *name)
{
	vg_inc_profile p;
	int r = vg_incidents_profile_get(inc, name, &p);
	if (r == VG_ENOTFOUND)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "profile: unknown profile '%s'", name);
	return r;
}

VG_WUR int vg_incidents_set_active_profile(vg_incidents *inc, int64_t system_id, const char *name)
{
	int r;
	if (system_id < 0)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "system: must be >= 0");
	if (name != NULL && (r = profile_exists(inc, name)) != 0)
		return r;
	if (system_id == 0) {
		if (name == NULL)
			return vg_db_mod_failf(&inc->q, VG_EINVAL, "profile: the organisation needs one");
		return setting_set(inc, "profile", name);
	}
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(
		     &inc->q,
		     name != NULL ? "INSERT OR REPLACE INTO incident_system_profiles(system_id, profile) VALUES (?, ?)"
				  : "DELETE FROM incident_system_profiles WHERE system_id = ?",
		     &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, system_id);
	if (name != NULL)
		vg_db_bind_text(st, 2, name);
	return vg_db_mod_step_done(&inc->q, st, "system profile");
}

/* The profile for a new incident on system_id (0: the organisation's). */
static int active_profile(vg_incidents *inc, int64_t system_id, char *out, size_t cap)
{
	if (system_id != 0) {
		sqlite3_stmt *st;
		int r = vg_db_mod_prepare(&inc->q, "SELECT profile FROM incident_system_profiles WHERE system_id = ?",
					  &st);
		if (r != 0)
			return r;
		sqlite3_bind_int64(st, 1, system_id);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_DONE)
			return vg_db_mod_sqlfail(&inc->q, rc, "system profile");
	}
	return setting_get(inc, "profile", out, cap);
}

/* ---- profiles ---- */

static int profile_name_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	if (n == 0 || n > VG_INC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

VG_WUR int vg_incidents_profile_put(vg_incidents *inc, const vg_inc_profile *p)
{
	int r;
	if (!profile_name_ok(p->name))
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "name: 1..%d characters of [a-z0-9._-]", VG_INC_NAME_MAX);
	if ((r = text_ok(inc, "title", p->title, VG_INC_TITLE_MAX)) != 0)
		return r;
	if (p->initial_hours < 1 || p->initial_hours > VG_INC_PROFILE_HOURS_MAX)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "initial_hours: must be 1..%d", VG_INC_PROFILE_HOURS_MAX);
	if (p->closure_hours < 1 || p->closure_hours > VG_INC_PROFILE_HOURS_MAX)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "closure_hours: must be 1..%d", VG_INC_PROFILE_HOURS_MAX);
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(
		     &inc->q,
		     "INSERT INTO incident_profiles(name, title, initial_hours, closure_hours, closure_from, builtin)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, 0) ON CONFLICT(name) DO UPDATE SET title = ?2,"
		     " initial_hours = ?3, closure_hours = ?4, closure_from = ?5",
		     &st)) != 0)
		return r;
	vg_db_bind_text(st, 1, p->name);
	vg_db_bind_text(st, 2, p->title);
	sqlite3_bind_int64(st, 3, p->initial_hours);
	sqlite3_bind_int64(st, 4, p->closure_hours);
	vg_db_bind_text(st, 5, p->closure_from_resolved ? "resolved" : "detection");
	return vg_db_mod_step_done(&inc->q, st, "profile");
}

static void profile_row(sqlite3_stmt *st, vg_inc_profile *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(out->title, sizeof(out->title), "%s", (const char *)sqlite3_column_text(st, 1));
	out->initial_hours = sqlite3_column_int64(st, 2);
	out->closure_hours = sqlite3_column_int64(st, 3);
	out->closure_from_resolved = strcmp((const char *)sqlite3_column_text(st, 4), "resolved") == 0;
	out->builtin = sqlite3_column_int(st, 5);
}

#define PROFILE_COLS "name, title, initial_hours, closure_hours, closure_from, builtin"

VG_WUR int vg_incidents_profile_get(vg_incidents *inc, const char *name, vg_inc_profile *out)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT " PROFILE_COLS " FROM incident_profiles WHERE name = ?", &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		profile_row(st, out);
	else
		r = rc == SQLITE_DONE ? vg_db_mod_failf(&inc->q, VG_ENOTFOUND, "no profile '%s'", name ? name : "")
				      : vg_db_mod_sqlfail(&inc->q, rc, "profile");
	sqlite3_finalize(st);
	return r;
}

VG_WUR int vg_incidents_profile_list(vg_incidents *inc, int (*fn)(void *ud, const vg_inc_profile *p), void *ud)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT " PROFILE_COLS " FROM incident_profiles ORDER BY name", &st);
	if (r != 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_inc_profile p;
		profile_row(st, &p);
		if ((r = fn(ud, &p)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vg_db_mod_sqlfail(&inc->q, rc, "profiles");
	sqlite3_finalize(st);
	return r;
}

VG_WUR int vg_incidents_settings(vg_incidents *inc, char *profile, size_t cap, int64_t *window_s)
{
	int r = setting_get(inc, "profile", profile, cap);
	return r != 0 ? r : setting_int(inc, "window_s", window_s);
}

/* ---- type mapping ---- */

static int load_map(vg_incidents *inc)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q,
				  "SELECT tag, type, priority FROM incident_type_map ORDER BY priority DESC, tag", &st);
	if (r != 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		type_rule *m = realloc(inc->map, (inc->nmap + 1) * sizeof(*m));
		if (m == NULL) {
			r = VG_ENOMEM;
			break;
		}
		inc->map = m;
		type_rule *t = &m[inc->nmap];
		t->tag = strdup((const char *)sqlite3_column_text(st, 0));
		t->type = vg_inc_type_parse((const char *)sqlite3_column_text(st, 1));
		t->priority = sqlite3_column_int(st, 2);
		if (t->tag == NULL) {
			r = VG_ENOMEM;
			break;
		}
		if (t->type < 0)
			t->type = VG_INC_OTHER;
		inc->nmap++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vg_db_mod_sqlfail(&inc->q, rc, "type map");
	sqlite3_finalize(st);
	return r;
}

/* Case-insensitive, '-' and '_' alike (Sigma writes attack.credential-access
 * since 2024, attack.credential_access before). */
static int tag_char(char c)
{
	c = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
	return c == '-' ? '_' : c;
}

static int tag_match(const char *pat, const char *tag)
{
	for (;; pat++, tag++) {
		if (pat[0] == '*' && pat[1] == '\0')
			return 1;
		if (tag_char(*pat) != tag_char(*tag))
			return 0;
		if (*pat == '\0')
			return 1;
	}
}

/* The type of one alert: the highest-priority mapped tag of rule.tags. */
static int type_of_doc(vg_incidents *inc, const char *doc, size_t len)
{
	json_t *root = json_loadb(doc, len, 0, NULL);
	int best = -1, best_pri = -1;
	json_t *tags = json_object_get(json_object_get(root, "rule"), "tags");
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t)
	{
		const char *s = json_string_value(t);
		if (s == NULL)
			continue;
		for (size_t k = 0; k < inc->nmap; k++)
			if (inc->map[k].priority > best_pri && tag_match(inc->map[k].tag, s)) {
				best = inc->map[k].type;
				best_pri = inc->map[k].priority;
			}
	}
	json_decref(root);
	return best < 0 ? VG_INC_OTHER : best;
}

/* ---- open / close ---- */

vg_incidents *vg_incidents_open(vg_db *db, int *err)
{
	int r = VG_ENOMEM;
	vg_incidents *inc = calloc(1, sizeof(*inc));
	if (inc == NULL)
		goto err;
	inc->db = db;
	inc->h = vg_db_sqlite(db);
	/* a change is all or nothing: our own transaction, or a savepoint inside
	 * the caller's (the API handler's, with its audit entry) */
	inc->q = (vg_db_mod){.db = db, .msg = inc->why, .msg_len = sizeof(inc->why), .savepoint = "vg_incidents"};
	if ((r = vg_db_migrate_module(db, MODULE, migrations, sizeof(migrations) / sizeof(migrations[0]))) != 0 ||
	    (r = load_map(inc)) != 0)
		goto err;
	return inc;
err:
	vg_incidents_close(inc);
	if (err != NULL)
		*err = r;
	return NULL;
}

void vg_incidents_close(vg_incidents *inc)
{
	if (inc == NULL)
		return;
	for (size_t i = 0; i < inc->nmap; i++)
		free(inc->map[i].tag);
	free(inc->map);
	free(inc);
}

void vg_incidents_set_hooks(vg_incidents *inc, const vg_incidents_hooks *h)
{
	if (h != NULL)
		inc->hooks = *h;
	else
		memset(&inc->hooks, 0, sizeof(inc->hooks));
}

void vg_incidents_set_report_handler(vg_incidents *inc, vg_incidents_report_fn fn, void *ud)
{
	inc->report_fn = fn;
	inc->report_ud = ud;
}

vg_incidents_report_fn vg_incidents_report_handler(vg_incidents *inc, void **ud)
{
	*ud = inc->report_ud;
	return inc->report_fn;
}

void vg_incidents_set_change_hook(vg_incidents *inc, int (*fn)(void *ud, vg_incidents *inc, int64_t id, int64_t now_us),
				  void *ud)
{
	inc->change_fn = fn;
	inc->change_ud = ud;
}

/* The change hook for incident id (inside the transaction). */
static int changed(vg_incidents *inc, int64_t id, int64_t now)
{
	if (inc->change_fn == NULL)
		return 0;
	int r = inc->change_fn(inc->change_ud, inc, id, now);
	return r == 0 ? 0
		      : vg_db_mod_failf(&inc->q, r, "incident %lld: sharing could not record the change",
					(long long)id);
}

/* The hook for every incident that alerts (from, to] joined. */
static int changed_alerts(vg_incidents *inc, int64_t from, int64_t to, int64_t now)
{
	if (inc->change_fn == NULL)
		return 0;
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(
		&inc->q,
		"SELECT DISTINCT incident_id FROM incident_alerts WHERE alert_id > ? AND alert_id <= ?"
		" ORDER BY incident_id",
		&st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *v = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (v == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			ids = v;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	r = rc == SQLITE_DONE ? 0 : vg_db_mod_sqlfail(&inc->q, rc, "incident alerts");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = changed(inc, ids[i], now);
	free(ids);
	return r;
}

/* ---- building blocks (inside a transaction) ---- */

static int timeline_add(vg_incidents *inc, int64_t id, int64_t ts, const char *actor, const char *action,
			const char *text)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(
		&inc->q, "INSERT INTO incident_timeline(incident_id, ts_us, actor, action, text) VALUES (?,?,?,?,?)",
		&st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, ts);
	vg_db_bind_text(st, 3, actor != NULL ? actor : "vigil");
	vg_db_bind_text(st, 4, action);
	vg_db_bind_text(st, 5, text != NULL ? text : "");
	return vg_db_mod_step_done(&inc->q, st, "timeline");
}

static int system_add(vg_incidents *inc, int64_t id, int64_t system_id)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q,
				  "INSERT OR IGNORE INTO incident_systems(incident_id, system_id) VALUES (?, ?)", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, system_id);
	if ((r = vg_db_mod_step_done(&inc->q, st, "incident system")) != 0)
		return r;
	/* the first system with a unit gives the incident its unit */
	char unit[512]; /* >= VG_AUTH_UNIT_MAX + 1 */
	if (inc->hooks.system_unit == NULL || inc->hooks.system_unit(inc->hooks.ud, system_id, unit, sizeof(unit)) != 0)
		return 0;
	if ((r = vg_db_mod_prepare(&inc->q, "UPDATE incidents SET unit = ? WHERE id = ? AND unit IS NULL", &st)) != 0)
		return r;
	vg_db_bind_text(st, 1, unit);
	sqlite3_bind_int64(st, 2, id);
	return vg_db_mod_step_done(&inc->q, st, "incident unit");
}

/* 0 if incident id exists, with its state in *state (may be NULL). */
static int incident_state(vg_incidents *inc, int64_t id, int *state)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT state FROM incidents WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (state != NULL)
			*state = vg_inc_state_parse((const char *)sqlite3_column_text(st, 0));
	} else {
		r = rc == SQLITE_DONE ? vg_db_mod_failf(&inc->q, VG_ENOTFOUND, "no incident %lld", (long long)id)
				      : vg_db_mod_sqlfail(&inc->q, rc, "incident");
	}
	sqlite3_finalize(st);
	return r;
}

typedef struct alert_row {
	int64_t id, ts;
	const char *rule_id, *rule_title, *level, *host, *source_ip;
	const char *agent_id, *peer_ip, *input; /* the event's origin (NULL in rows older than them) */
	int is_correlation;
	const char *doc;
	size_t doc_len;
} alert_row;

/* Links an alert to an incident and folds it into its summary fields. */
static int link_alert(vg_incidents *inc, int64_t id, const alert_row *a, int type, int64_t now)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "INSERT OR IGNORE INTO incident_alerts(incident_id, alert_id) VALUES (?, ?)",
				  &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, a->id);
	if ((r = vg_db_mod_step_done(&inc->q, st, "incident alert")) != 0)
		return r;
	if (sqlite3_changes(inc->h) == 0)
		return 0;
	int rank = sev_rank(a->level);
	if ((r = vg_db_mod_prepare(
		     &inc->q,
		     "UPDATE incidents SET alert_count = alert_count + 1,"
		     " first_alert_us = min(coalesce(first_alert_us, ?2), ?2),"
		     " last_alert_us = max(coalesce(last_alert_us, ?2), ?2),"
		     " severity = CASE WHEN ?3 > sev_rank THEN ?4 ELSE severity END,"
		     " sev_rank = max(sev_rank, ?3),"
		     " type = CASE WHEN type_manual THEN type WHEN type = ?5 THEN type WHEN ?5 = 'other' THEN type"
		     "  WHEN type = 'other' THEN ?5 ELSE 'combined' END,"
		     " updated_us = ?6 WHERE id = ?1",
		     &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, a->ts);
	sqlite3_bind_int(st, 3, rank);
	vg_db_bind_text(st, 4, sev_names[rank]);
	vg_db_bind_text(st, 5, vg_inc_type_name(type));
	sqlite3_bind_int64(st, 6, now);
	return vg_db_mod_step_done(&inc->q, st, "incident update");
}

/* Inserts the incident row; *id gets its id. */
static int insert_incident(vg_incidents *inc, const char *title, const char *description, int type, int type_manual,
			   const char *severity, const char *profile, const char *group_rule, int64_t group_system,
			   const char *method, int64_t detected, const char *actor, int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(
		&inc->q,
		"INSERT INTO incidents(title, description, state, type, type_manual, severity, sev_rank, profile,"
		" group_rule, group_system, detection_method, detected_us, created_us, updated_us, created_by)"
		" VALUES (?,?,'new',?,?,?,?,?,?,?,?,?,?,?,?)",
		&st);
	if (r != 0)
		return r;
	int rank = severity != NULL ? lookup(sev_names, 5, severity) : 0;
	if (rank < 0)
		rank = 2;
	vg_db_bind_text(st, 1, title);
	vg_db_bind_text(st, 2, description != NULL ? description : "");
	vg_db_bind_text(st, 3, vg_inc_type_name(type));
	sqlite3_bind_int(st, 4, type_manual);
	vg_db_bind_text(st, 5, sev_names[rank]);
	sqlite3_bind_int(st, 6, rank);
	vg_db_bind_text(st, 7, profile);
	vg_db_bind_text(st, 8, group_rule);
	if (group_rule != NULL)
		sqlite3_bind_int64(st, 9, group_system);
	else
		sqlite3_bind_null(st, 9);
	vg_db_bind_text(st, 10, method);
	sqlite3_bind_int64(st, 11, detected);
	sqlite3_bind_int64(st, 12, now);
	sqlite3_bind_int64(st, 13, now);
	vg_db_bind_text(st, 14, actor != NULL ? actor : "vigil");
	if ((r = vg_db_mod_step_done(&inc->q, st, "incident insert")) != 0)
		return r;
	*id = sqlite3_last_insert_rowid(inc->h);
	return 0;
}

/* ---- grouping ---- */

static int group_alert(vg_incidents *inc, const alert_row *a, int64_t window_us, int64_t now)
{
	const char *rule = a->rule_id != NULL ? a->rule_id : "";
	int64_t sys = 0;
	if (inc->hooks.system_of != NULL) {
		/* where the event came from, as its source's activity: source.ip
		 * is usually the attacker's, not the system's */
		vg_activity o = {.host = a->host != NULL ? a->host : "",
				 .source_ip = a->peer_ip != NULL ? a->peer_ip : "",
				 .agent_id = a->agent_id != NULL ? a->agent_id : "",
				 .input = a->input != NULL ? a->input : ""};
		sys = inc->hooks.system_of(inc->hooks.ud, &o);
		if (sys < 0)
			sys = 0;
	}
	int type = type_of_doc(inc, a->doc, a->doc_len);
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q,
				  "SELECT id FROM incidents WHERE group_rule = ? AND group_system = ?"
				  " AND state IN ('new','triaged','contained') AND last_alert_us >= ?"
				  " ORDER BY last_alert_us DESC, id DESC LIMIT 1",
				  &st);
	if (r != 0)
		return r;
	vg_db_bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, sys);
	sqlite3_bind_int64(st, 3, a->ts - window_us);
	int64_t id = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vg_db_mod_sqlfail(&inc->q, rc, "incident lookup");
	if (id == 0) {
		char profile[VG_INC_NAME_MAX + 1], method[VG_INC_TITLE_MAX + 64];
		const char *title = a->rule_title != NULL && a->rule_title[0] ? a->rule_title : rule;
		snprintf(method, sizeof(method), "%s %s: %s", a->is_correlation ? "correlation rule" : "rule",
			 rule, a->rule_title != NULL ? a->rule_title : "");
		if ((r = active_profile(inc, sys, profile, sizeof(profile))) != 0 ||
		    (r = insert_incident(inc, title[0] ? title : "alert", NULL, type, 0, "informational", profile, rule,
					 sys, method, now, "vigil", now, &id)) != 0 ||
		    (r = timeline_add(inc, id, now, "vigil", "created", method)) != 0 ||
		    (sys != 0 && (r = system_add(inc, id, sys)) != 0))
			return r;
	}
	return link_alert(inc, id, a, type, now);
}

VG_WUR int vg_incidents_tick_n(vg_incidents *inc, int64_t now_us, size_t *processed)
{
	int64_t hwm, window_s;
	size_t n = 0;
	int r;
	if (processed != NULL)
		*processed = 0;
	if ((r = vg_db_mod_begin(&inc->q)) != 0)
		return r;
	if ((r = setting_int(inc, "hwm", &hwm)) != 0 || (r = setting_int(inc, "window_s", &window_s)) != 0)
		return vg_db_mod_end(&inc->q, r);
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(&inc->q,
				   "SELECT id, ts_us, rule_id, rule_title, level, host, source_ip, is_correlation, doc,"
				   " agent_id, peer_ip, input FROM alerts WHERE id > ? ORDER BY id LIMIT ?",
				   &st)) != 0)
		return vg_db_mod_end(&inc->q, r);
	sqlite3_bind_int64(st, 1, hwm);
	sqlite3_bind_int(st, 2, VG_INC_TICK_ALERTS);
	int rc;
	int64_t last = hwm;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		alert_row a = {
			.id = sqlite3_column_int64(st, 0),
			.ts = sqlite3_column_int64(st, 1),
			.rule_id = (const char *)sqlite3_column_text(st, 2),
			.rule_title = (const char *)sqlite3_column_text(st, 3),
			.level = (const char *)sqlite3_column_text(st, 4),
			.host = (const char *)sqlite3_column_text(st, 5),
			.source_ip = (const char *)sqlite3_column_text(st, 6),
			.is_correlation = sqlite3_column_int(st, 7),
			.doc = (const char *)sqlite3_column_text(st, 8),
			.doc_len = (size_t)sqlite3_column_bytes(st, 8),
			.agent_id = (const char *)sqlite3_column_text(st, 9),
			.peer_ip = (const char *)sqlite3_column_text(st, 10),
			.input = (const char *)sqlite3_column_text(st, 11),
		};
		if (a.doc == NULL)
			a.doc = "";
		if ((r = group_alert(inc, &a, window_s * 1000000, now_us)) != 0)
			break;
		last = a.id;
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vg_db_mod_sqlfail(&inc->q, rc, "alerts");
	sqlite3_finalize(st);
	if (r == 0 && last != hwm)
		r = changed_alerts(inc, hwm, last, now_us);
	if (r == 0 && last != hwm) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)last);
		r = setting_set(inc, "hwm", buf);
	}
	if ((r = vg_db_mod_end(&inc->q, r)) == 0 && processed != NULL)
		*processed = n;
	return r;
}

VG_WUR int vg_incidents_tick(vg_incidents *inc, int64_t now_us)
{
	return vg_incidents_tick_n(inc, now_us, NULL);
}

/* ---- changes ---- */

static int alert_exists(vg_incidents *inc, int64_t aid, alert_row *a, sqlite3_stmt **keep)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT id, ts_us, level, doc FROM alerts WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, aid);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? vg_db_mod_failf(&inc->q, VG_EINVAL, "alerts: no alert %lld", (long long)aid)
					 : vg_db_mod_sqlfail(&inc->q, rc, "alert");
	}
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->ts = sqlite3_column_int64(st, 1);
	a->level = (const char *)sqlite3_column_text(st, 2);
	a->doc = (const char *)sqlite3_column_text(st, 3);
	a->doc_len = (size_t)sqlite3_column_bytes(st, 3);
	if (a->doc == NULL)
		a->doc = "";
	*keep = st;
	return 0;
}

VG_WUR int vg_incidents_create(vg_incidents *inc, const vg_incident_new *n, int64_t now_us, int64_t *id)
{
	int r;
	if (n->title == NULL || n->title[0] == '\0')
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "title: required");
	if ((r = text_ok(inc, "title", n->title, VG_INC_TITLE_MAX)) != 0 ||
	    (r = text_ok(inc, "description", n->description, VG_INC_TEXT_MAX)) != 0 ||
	    (r = text_ok(inc, "detection_method", n->detection_method, VG_INC_TITLE_MAX)) != 0)
		return r;
	if (n->type < -1 || n->type >= VG_INC_NTYPES)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "type: unknown");
	if (n->severity != NULL && lookup(sev_names, 5, n->severity) < 0)
		return vg_db_mod_failf(&inc->q, VG_EINVAL,
				       "severity: one of informational, low, medium, high, critical");
	if (n->nsystems > 1000 || n->nalerts > 10000)
		return vg_db_mod_failf(&inc->q, VG_ELIMIT, "too many systems or alerts");
	for (size_t i = 0; i < n->nsystems; i++)
		if (n->systems[i] <= 0)
			return vg_db_mod_failf(&inc->q, VG_EINVAL, "systems: ids are > 0");
	if ((r = vg_db_mod_begin(&inc->q)) != 0)
		return r;
	char profile[VG_INC_NAME_MAX + 1];
	int64_t nid = 0;
	int64_t detected = n->detected_us != 0 ? n->detected_us : now_us;
	int type = n->type < 0 ? VG_INC_OTHER : n->type;
	if ((r = active_profile(inc, n->nsystems > 0 ? n->systems[0] : 0, profile, sizeof(profile))) == 0 &&
	    (r = insert_incident(inc, n->title, n->description, type, n->type >= 0, n->severity ? n->severity : "medium",
				 profile, NULL, 0, n->detection_method ? n->detection_method : "manual", detected,
				 n->actor, now_us, &nid)) == 0)
		r = timeline_add(inc, nid, now_us, n->actor, "created", "created by hand");
	for (size_t i = 0; r == 0 && i < n->nsystems; i++)
		r = system_add(inc, nid, n->systems[i]);
	for (size_t i = 0; r == 0 && i < n->nalerts; i++) {
		alert_row a;
		sqlite3_stmt *st = NULL;
		if ((r = alert_exists(inc, n->alerts[i], &a, &st)) == 0) {
			int t = n->type >= 0 ? type : type_of_doc(inc, a.doc, a.doc_len);
			r = link_alert(inc, nid, &a, t, now_us);
			sqlite3_finalize(st);
		}
	}
	if (r == 0)
		r = changed(inc, nid, now_us);
	if ((r = vg_db_mod_end(&inc->q, r)) == 0 && id != NULL)
		*id = nid;
	return r;
}

VG_WUR int vg_incidents_transition(vg_incidents *inc, int64_t id, int to, const char *actor, int64_t now_us)
{
	int from, r;
	if (vg_inc_state_name(to) == NULL)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "to: unknown state");
	if ((r = incident_state(inc, id, &from)) != 0)
		return r;
	if (!vg_incident_transition_ok(from, to))
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "to: cannot move from %s to %s", vg_inc_state_name(from),
				       vg_inc_state_name(to));
	if ((r = vg_db_mod_begin(&inc->q)) != 0)
		return r;
	sqlite3_stmt *st;
	/* resolved_us = when the response ended; a reopen clears it (and
	 * closed_us), so a closure deadline counts from the final resolution */
	if ((r = vg_db_mod_prepare(
		     &inc->q,
		     "UPDATE incidents SET state = ?2, updated_us = ?3,"
		     " resolved_us = CASE WHEN ?4 < 3 THEN NULL WHEN resolved_us IS NULL THEN ?3 ELSE resolved_us END,"
		     " closed_us = CASE WHEN ?4 = 4 THEN ?3 ELSE NULL END WHERE id = ?1",
		     &st)) == 0) {
		sqlite3_bind_int64(st, 1, id);
		vg_db_bind_text(st, 2, vg_inc_state_name(to));
		sqlite3_bind_int64(st, 3, now_us);
		sqlite3_bind_int(st, 4, to);
		r = vg_db_mod_step_done(&inc->q, st, "transition");
	}
	char text[64];
	snprintf(text, sizeof(text), "%s -> %s%s", vg_inc_state_name(from), vg_inc_state_name(to),
		 to < from ? " (reopened)" : "");
	if (r == 0)
		r = timeline_add(inc, id, now_us, actor, "transition", text);
	if (r == 0)
		r = changed(inc, id, now_us);
	return vg_db_mod_end(&inc->q, r);
}

VG_WUR int vg_incidents_comment(vg_incidents *inc, int64_t id, const char *actor, const char *text, int64_t now_us)
{
	int r;
	if (text == NULL || text[0] == '\0')
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "text: required");
	if ((r = text_ok(inc, "text", text, VG_INC_TEXT_MAX)) != 0 || (r = incident_state(inc, id, NULL)) != 0)
		return r;
	if ((r = vg_db_mod_begin(&inc->q)) != 0)
		return r;
	r = timeline_add(inc, id, now_us, actor, "comment", text);
	sqlite3_stmt *st;
	if (r == 0 && (r = vg_db_mod_prepare(&inc->q, "UPDATE incidents SET updated_us = ? WHERE id = ?", &st)) == 0) {
		sqlite3_bind_int64(st, 1, now_us);
		sqlite3_bind_int64(st, 2, id);
		r = vg_db_mod_step_done(&inc->q, st, "incident");
	}
	if (r == 0)
		r = changed(inc, id, now_us);
	return vg_db_mod_end(&inc->q, r);
}

VG_WUR int vg_incidents_attach(vg_incidents *inc, int64_t id, const char *name, const char *content,
			       const char *actor, int64_t now_us)
{
	int r;
	if (name == NULL || name[0] == '\0')
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "name: required");
	if (content == NULL || content[0] == '\0')
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "content: required");
	if ((r = text_ok(inc, "name", name, VG_INC_NAME_MAX)) != 0 ||
	    (r = text_ok(inc, "content", content, VG_INC_TEXT_MAX)) != 0 || (r = incident_state(inc, id, NULL)) != 0)
		return r;
	if ((r = vg_db_mod_begin(&inc->q)) != 0)
		return r;
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(
		     &inc->q,
		     "INSERT INTO incident_attachments(incident_id, ts_us, added_by, name, content) VALUES (?,?,?,?,?)",
		     &st)) == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, now_us);
		vg_db_bind_text(st, 3, actor ? actor : "vigil");
		vg_db_bind_text(st, 4, name);
		vg_db_bind_text(st, 5, content);
		r = vg_db_mod_step_done(&inc->q, st, "attachment");
	}
	if (r == 0)
		r = timeline_add(inc, id, now_us, actor, "attachment", name);
	if (r == 0)
		r = changed(inc, id, now_us);
	return vg_db_mod_end(&inc->q, r);
}

VG_WUR int vg_incidents_mark_reported(vg_incidents *inc, int64_t id, int kind, int64_t sent_us, const char *recipient,
				      const char *actor, int64_t now_us)
{
	int r;
	if (vg_inc_report_kind_name(kind) == NULL)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "kind: initial or closure");
	if (recipient == NULL || recipient[0] == '\0')
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "recipient: required");
	if (sent_us <= 0)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "sent_at: required");
	if (sent_us > now_us + 300LL * 1000000)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "sent_at: in the future");
	if ((r = text_ok(inc, "recipient", recipient, VG_INC_NAME_MAX)) != 0 || (r = incident_state(inc, id, NULL)) != 0)
		return r;
	if ((r = vg_db_mod_begin(&inc->q)) != 0)
		return r;
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(
		     &inc->q,
		     "INSERT OR REPLACE INTO incident_reports(incident_id, kind, sent_us, recipient, recorded_by,"
		     " recorded_us) VALUES (?,?,?,?,?,?)",
		     &st)) == 0) {
		sqlite3_bind_int64(st, 1, id);
		vg_db_bind_text(st, 2, vg_inc_report_kind_name(kind));
		sqlite3_bind_int64(st, 3, sent_us);
		vg_db_bind_text(st, 4, recipient);
		vg_db_bind_text(st, 5, actor ? actor : "vigil");
		sqlite3_bind_int64(st, 6, now_us);
		r = vg_db_mod_step_done(&inc->q, st, "report");
	}
	char text[VG_INC_NAME_MAX + 64];
	snprintf(text, sizeof(text), "%s report sent to %s", vg_inc_report_kind_name(kind), recipient);
	if (r == 0)
		r = timeline_add(inc, id, now_us, actor, "report", text);
	if (r == 0)
		r = changed(inc, id, now_us);
	return vg_db_mod_end(&inc->q, r);
}

/* One "SET col = ?" of a patch. */
static int set_col(vg_incidents *inc, int64_t id, const char *sql, const char *s, int64_t v, int is_int)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, sql, &st);
	if (r != 0)
		return r;
	if (is_int)
		sqlite3_bind_int64(st, 1, v);
	else if (s != NULL && s[0] == '\0' && strstr(sql, "assignee") != NULL)
		sqlite3_bind_null(st, 1);
	else
		vg_db_bind_text(st, 1, s);
	sqlite3_bind_int64(st, 2, id);
	return vg_db_mod_step_done(&inc->q, st, "update");
}

VG_WUR int vg_incidents_update(vg_incidents *inc, int64_t id, const vg_incident_patch *p, const char *actor,
			       int64_t now_us)
{
	int r;
	if (p->title != NULL && p->title[0] == '\0')
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "title: must not be empty");
	if ((r = text_ok(inc, "title", p->title, VG_INC_TITLE_MAX)) != 0 ||
	    (r = text_ok(inc, "description", p->description, VG_INC_TEXT_MAX)) != 0 ||
	    (r = text_ok(inc, "impact", p->impact, VG_INC_TEXT_MAX)) != 0 ||
	    (r = text_ok(inc, "resolution", p->resolution, VG_INC_TEXT_MAX)) != 0 ||
	    (r = text_ok(inc, "reporter", p->reporter, VG_INC_NAME_MAX)) != 0 ||
	    (r = text_ok(inc, "reporter_contact", p->reporter_contact, VG_INC_TITLE_MAX)) != 0 ||
	    (r = text_ok(inc, "assignee", p->assignee, VG_INC_NAME_MAX)) != 0)
		return r;
	if (p->type < -1 || p->type >= VG_INC_NTYPES)
		return vg_db_mod_failf(&inc->q, VG_EINVAL, "type: unknown");
	if (p->severity != NULL && lookup(sev_names, 5, p->severity) < 0)
		return vg_db_mod_failf(&inc->q, VG_EINVAL,
				       "severity: one of informational, low, medium, high, critical");
	for (size_t i = 0; i < p->nadd_systems; i++)
		if (p->add_systems[i] <= 0)
			return vg_db_mod_failf(&inc->q, VG_EINVAL, "systems: ids are > 0");
	if (p->profile != NULL && (r = profile_exists(inc, p->profile)) != 0)
		return r;
	if ((r = incident_state(inc, id, NULL)) != 0 || (r = vg_db_mod_begin(&inc->q)) != 0)
		return r;
	char text[512] = "";
	size_t tl = 0;
#define NOTE(name)                                                                                   \
	do {                                                                                         \
		if (tl < sizeof(text))                                                               \
			tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%s%s", tl ? ", " : "", name); \
	} while (0)
#define SETS(field, col)                                                                                       \
	if (r == 0 && p->field != NULL) {                                                                      \
		r = set_col(inc, id, "UPDATE incidents SET " col " = ? WHERE id = ?", p->field, 0, 0);         \
		NOTE(#field);                                                                                  \
	}
	SETS(title, "title")
	SETS(description, "description")
	SETS(impact, "impact")
	SETS(resolution, "resolution")
	SETS(reporter, "reporter")
	SETS(reporter_contact, "reporter_contact")
	SETS(profile, "profile")
#undef SETS
	/* the assignee gets its own timeline entry ("assigned to ...") below */
	if (r == 0 && p->assignee != NULL)
		r = set_col(inc, id, "UPDATE incidents SET assignee = ? WHERE id = ?", p->assignee, 0, 0);
	if (r == 0 && p->severity != NULL) {
		r = set_col(inc, id, "UPDATE incidents SET severity = ?, sev_rank = -1 WHERE id = ?", p->severity, 0, 0);
		if (r == 0)
			r = set_col(inc, id, "UPDATE incidents SET sev_rank = ? WHERE id = ?", NULL,
				    lookup(sev_names, 5, p->severity), 1);
		NOTE("severity");
	}
	if (r == 0 && p->type >= 0) {
		r = set_col(inc, id, "UPDATE incidents SET type = ?, type_manual = 1 WHERE id = ?",
			    vg_inc_type_name(p->type), 0, 0);
		NOTE("type");
	}
	if (r == 0 && p->has_major_impact) {
		r = set_col(inc, id, "UPDATE incidents SET major_impact = ? WHERE id = ?", NULL, p->major_impact != 0, 1);
		NOTE("major_impact");
	}
	if (r == 0 && p->has_beyond_capacity) {
		r = set_col(inc, id, "UPDATE incidents SET beyond_capacity = ? WHERE id = ?", NULL,
			    p->beyond_capacity != 0, 1);
		NOTE("beyond_capacity");
	}
	for (size_t i = 0; r == 0 && i < p->nadd_systems; i++)
		r = system_add(inc, id, p->add_systems[i]);
	if (p->nadd_systems > 0)
		NOTE("systems");
#undef NOTE
	if (r == 0)
		r = set_col(inc, id, "UPDATE incidents SET updated_us = ? WHERE id = ?", NULL, now_us, 1);
	if (r == 0 && p->assignee != NULL) {
		char t[VG_INC_NAME_MAX + 32];
		snprintf(t, sizeof(t), p->assignee[0] ? "assigned to %s" : "unassigned%s", p->assignee);
		r = timeline_add(inc, id, now_us, actor, "assign", t);
	}
	if (r == 0 && tl > 0)
		r = timeline_add(inc, id, now_us, actor, "update", text);
	if (r == 0)
		r = changed(inc, id, now_us);
	return vg_db_mod_end(&inc->q, r);
}

/* ---- deadlines and the serious flag ---- */

typedef struct dl_input {
	int64_t detected, resolved;
	int64_t initial_h, closure_h;
	int closure_from_resolved;
	int64_t sent[2];
	const char *recipient[2];
} dl_input;

static void compute_deadline(const dl_input *in, int kind, int64_t now, vg_inc_deadline *d)
{
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	if (kind == VG_INC_REPORT_INITIAL)
		d->due_us = in->detected + in->initial_h * US_PER_HOUR;
	else if (!in->closure_from_resolved)
		d->due_us = in->detected + in->closure_h * US_PER_HOUR;
	else
		d->due_us = in->resolved != 0 ? in->resolved + in->closure_h * US_PER_HOUR : 0;
	d->sent_us = in->sent[kind];
	if (in->recipient[kind] != NULL)
		snprintf(d->recipient, sizeof(d->recipient), "%s", in->recipient[kind]);
	if (d->sent_us != 0)
		d->state = VG_DL_DONE;
	else if (d->due_us == 0)
		d->state = VG_DL_PENDING;
	else if (now > d->due_us)
		d->state = VG_DL_OVERDUE;
	else if (d->due_us - now <= VG_INC_DUE_SOON_US)
		d->state = VG_DL_DUE_SOON;
	else
		d->state = VG_DL_PENDING;
}

static int deadlines_of(vg_incidents *inc, int64_t id, int64_t detected, int64_t resolved, const char *profile,
			int64_t now, vg_inc_deadline out[2])
{
	vg_inc_profile p;
	int r = vg_incidents_profile_get(inc, profile, &p);
	if (r != 0)
		return r;
	dl_input in = {.detected = detected,
		       .resolved = resolved,
		       .initial_h = p.initial_hours,
		       .closure_h = p.closure_hours,
		       .closure_from_resolved = p.closure_from_resolved};
	sqlite3_stmt *st;
	if ((r = vg_db_mod_prepare(
		     &inc->q, "SELECT kind, sent_us, recipient FROM incident_reports WHERE incident_id = ?", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	char rec[2][VG_INC_NAME_MAX + 1] = {"", ""};
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = vg_inc_report_kind_parse((const char *)sqlite3_column_text(st, 0));
		if (k < 0)
			continue;
		in.sent[k] = sqlite3_column_int64(st, 1);
		snprintf(rec[k], sizeof(rec[k]), "%s", (const char *)sqlite3_column_text(st, 2));
		in.recipient[k] = rec[k];
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vg_db_mod_sqlfail(&inc->q, rc, "reports");
	compute_deadline(&in, VG_INC_REPORT_INITIAL, now, &out[0]);
	compute_deadline(&in, VG_INC_REPORT_CLOSURE, now, &out[1]);
	return 0;
}

VG_WUR int vg_incidents_deadlines(vg_incidents *inc, int64_t id, int64_t now_us, vg_inc_deadline out[2])
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT detected_us, resolved_us, profile FROM incidents WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		char profile[VG_INC_NAME_MAX + 1];
		snprintf(profile, sizeof(profile), "%s", (const char *)sqlite3_column_text(st, 2));
		int64_t det = sqlite3_column_int64(st, 0), res = sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
		return deadlines_of(inc, id, det, res, profile, now_us, out);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? vg_db_mod_failf(&inc->q, VG_ENOTFOUND, "no incident %lld", (long long)id)
				 : vg_db_mod_sqlfail(&inc->q, rc, "incident");
}

/* Whether one of the incident's systems is level 4-5 or national. */
static int systems_serious(vg_incidents *inc, int64_t id)
{
	if (inc->hooks.system_info == NULL)
		return 0;
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT system_id FROM incident_systems WHERE incident_id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int serious = 0;
	while (!serious && sqlite3_step(st) == SQLITE_ROW) {
		int level = 0, national = 0;
		if (inc->hooks.system_info(inc->hooks.ud, sqlite3_column_int64(st, 0), &level, &national) == 0)
			serious = level >= 4 || national;
	}
	sqlite3_finalize(st);
	return serious;
}

int vg_incidents_serious(vg_incidents *inc, int64_t id)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT major_impact, beyond_capacity FROM incidents WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	int flags = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) || sqlite3_column_int(st, 1) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? vg_db_mod_failf(&inc->q, VG_ENOTFOUND, "no incident %lld", (long long)id)
					 : vg_db_mod_sqlfail(&inc->q, rc, "incident");
	return flags ? 1 : systems_serious(inc, id);
}

VG_WUR int vg_incidents_unit(vg_incidents *inc, int64_t id, char *unit, size_t cap)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(&inc->q, "SELECT coalesce(unit, '') FROM incidents WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(unit, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	else
		r = rc == SQLITE_DONE ? vg_db_mod_failf(&inc->q, VG_ENOTFOUND, "no incident %lld", (long long)id)
				      : vg_db_mod_sqlfail(&inc->q, rc, "incident");
	sqlite3_finalize(st);
	return r;
}

/* ---- listing ---- */

static const char *col_str(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s != NULL ? s : "";
}

VG_WUR int vg_incidents_list(vg_incidents *inc, const vg_inc_filter *f, int64_t now_us, vg_inc_list_fn fn, void *ud)
{
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(
		&inc->q,
		"SELECT i.id, title, state, type, severity, coalesce(assignee,''), unit, profile,"
		" (SELECT coalesce(group_concat(system_id, ','), '') FROM"
		"   (SELECT system_id FROM incident_systems s WHERE s.incident_id = i.id ORDER BY system_id)),"
		" detected_us, created_us, updated_us, coalesce(resolved_us, 0), coalesce(closed_us, 0), alert_count,"
		" major_impact, beyond_capacity"
		" FROM incidents i WHERE i.id > ?1 AND (?2 IS NULL OR state = ?2)"
		" AND (?3 IS NULL OR (?3 = 0 AND NOT EXISTS"
		"   (SELECT 1 FROM incident_systems s WHERE s.incident_id = i.id))"
		"  OR EXISTS (SELECT 1 FROM incident_systems s WHERE s.incident_id = i.id AND s.system_id = ?3))"
		" ORDER BY i.id",
		&st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, f->after_id);
	vg_db_bind_text(st, 2, f->state >= 0 ? vg_inc_state_name(f->state) : NULL);
	if (f->has_system)
		sqlite3_bind_int64(st, 3, f->system);
	size_t n = 0;
	int rc = SQLITE_DONE;
	while ((f->limit == 0 || n < f->limit) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *unit = (const char *)sqlite3_column_text(st, 6);
		if (f->visible != NULL && !f->visible(f->visible_ud, unit))
			continue;
		vg_inc_summary s = {
			.id = sqlite3_column_int64(st, 0),
			.title = col_str(st, 1),
			.state = col_str(st, 2),
			.type = col_str(st, 3),
			.severity = col_str(st, 4),
			.assignee = col_str(st, 5),
			.unit = unit != NULL ? unit : "",
			.profile = col_str(st, 7),
			.systems = col_str(st, 8),
			.detected_us = sqlite3_column_int64(st, 9),
			.created_us = sqlite3_column_int64(st, 10),
			.updated_us = sqlite3_column_int64(st, 11),
			.resolved_us = sqlite3_column_int64(st, 12),
			.closed_us = sqlite3_column_int64(st, 13),
			.alert_count = sqlite3_column_int64(st, 14),
			.major_impact = sqlite3_column_int(st, 15),
			.beyond_capacity = sqlite3_column_int(st, 16),
		};
		if ((r = deadlines_of(inc, s.id, s.detected_us, s.resolved_us, s.profile, now_us, s.deadlines)) != 0)
			break;
		s.serious = s.major_impact || s.beyond_capacity;
		if (!s.serious && (s.serious = systems_serious(inc, s.id)) < 0) {
			r = s.serious;
			break;
		}
		if (f->deadline >= 0 && s.deadlines[0].state != f->deadline && s.deadlines[1].state != f->deadline)
			continue;
		if (f->serious >= 0 && s.serious != (f->serious != 0))
			continue;
		n++;
		if ((r = fn(ud, &s)) != 0)
			break;
	}
	if (r == 0 && (f->limit == 0 || n < f->limit) && rc != SQLITE_DONE)
		r = vg_db_mod_sqlfail(&inc->q, rc, "incidents");
	sqlite3_finalize(st);
	return r;
}

/* ---- report data ---- */

static char *dup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

void vg_incident_report_data_free(vg_incident_report_data *d)
{
	if (d == NULL)
		return;
	char **strs[] = {&d->title,  &d->description, &d->state, &d->type, &d->severity, &d->reporter,
			 &d->reporter_contact, &d->assignee, &d->unit, &d->detection_method, &d->impact,
			 &d->resolution, &d->profile};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < d->nalerts; i++) {
		vg_incident_alert_ref *a = &d->alerts[i];
		free(a->rule_id);
		free(a->rule_title);
		free(a->level);
		free(a->host);
		free(a->source_ip);
	}
	free(d->alerts);
	for (size_t i = 0; i < d->ntimeline; i++) {
		free(d->timeline[i].actor);
		free(d->timeline[i].action);
		free(d->timeline[i].text);
	}
	free(d->timeline);
	for (size_t i = 0; i < d->nattachments; i++) {
		free(d->attachments[i].added_by);
		free(d->attachments[i].name);
		free(d->attachments[i].content);
	}
	free(d->attachments);
	free(d->systems);
	memset(d, 0, sizeof(*d));
}

/* Grows *arr (of elem bytes) to hold n + 1 entries; the new one zeroed. */
static void *grow(void *arr, size_t n, size_t elem)
{
	char *p = realloc(arr, (n + 1) * elem);
	if (p != NULL)
		memset(p + n * elem, 0, elem);
	return p;
}

static int load_children(vg_incidents *inc, int64_t id, vg_incident_report_data *d)
{
	sqlite3_stmt *st;
	int r, rc;
	/* systems */
	if ((r = vg_db_mod_prepare(&inc->q,
				   "SELECT system_id FROM incident_systems WHERE incident_id = ? ORDER BY system_id",
				   &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_incident_system_ref *s = grow(d->systems, d->nsystems, sizeof(*s));
		if (s == NULL) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
		d->systems = s;
		s = &s[d->nsystems++];
		s->id = sqlite3_column_int64(st, 0);
		if (inc->hooks.system_info != NULL)
			(void)inc->hooks.system_info(inc->hooks.ud, s->id, &s->level, &s->national);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vg_db_mod_sqlfail(&inc->q, rc, "systems");
	/* alerts (the table may have lost old ones to retention: LEFT JOIN) */
	if ((r = vg_db_mod_prepare(
		     &inc->q,
		     "SELECT l.alert_id, coalesce(a.ts_us, 0), a.rule_id, a.rule_title, a.level, a.host, a.source_ip"
		     " FROM incident_alerts l LEFT JOIN alerts a ON a.id = l.alert_id WHERE l.incident_id = ?"
		     " ORDER BY a.ts_us, l.alert_id LIMIT ?",
		     &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, VG_INC_REPORT_ALERTS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_incident_alert_ref *a = grow(d->alerts, d->nalerts, sizeof(*a));
		if (a == NULL) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
		d->alerts = a;
		a = &a[d->nalerts++];
		a->id = sqlite3_column_int64(st, 0);
		a->ts_us = sqlite3_column_int64(st, 1);
		a->rule_id = dup(col_str(st, 2));
		a->rule_title = dup(col_str(st, 3));
		a->level = dup(col_str(st, 4));
		a->host = dup(col_str(st, 5));
		a->source_ip = dup(col_str(st, 6));
		if (!a->rule_id || !a->rule_title || !a->level || !a->host || !a->source_ip) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vg_db_mod_sqlfail(&inc->q, rc, "alerts");
	/* timeline */
	if ((r = vg_db_mod_prepare(
		     &inc->q,
		     "SELECT ts_us, actor, action, text FROM incident_timeline WHERE incident_id = ? ORDER BY id",
		     &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_incident_timeline_entry *t = grow(d->timeline, d->ntimeline, sizeof(*t));
		if (t == NULL) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
		d->timeline = t;
		t = &t[d->ntimeline++];
		t->ts_us = sqlite3_column_int64(st, 0);
		t->actor = dup(col_str(st, 1));
		t->action = dup(col_str(st, 2));
		t->text = dup(col_str(st, 3));
		if (!t->actor || !t->action || !t->text) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vg_db_mod_sqlfail(&inc->q, rc, "timeline");
	/* attachments */
	if ((r = vg_db_mod_prepare(&inc->q,
				   "SELECT ts_us, added_by, name, content FROM incident_attachments"
				   " WHERE incident_id = ? ORDER BY id",
				   &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_incident_attachment *t = grow(d->attachments, d->nattachments, sizeof(*t));
		if (t == NULL) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
		d->attachments = t;
		t = &t[d->nattachments++];
		t->ts_us = sqlite3_column_int64(st, 0);
		t->added_by = dup(col_str(st, 1));
		t->name = dup(col_str(st, 2));
		t->content = dup(col_str(st, 3));
		if (!t->added_by || !t->name || !t->content) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : vg_db_mod_sqlfail(&inc->q, rc, "attachments");
}

VG_WUR int vg_incidents_get_report_data_at(vg_incidents *inc, int64_t id, int64_t now_us,
					   vg_incident_report_data *d)
{
	memset(d, 0, sizeof(*d));
	sqlite3_stmt *st;
	int r = vg_db_mod_prepare(
		&inc->q,
		"SELECT title, description, state, type, severity, coalesce(reporter, created_by),"
		" coalesce(reporter_contact, ''), coalesce(assignee, ''), coalesce(unit, ''), detection_method,"
		" impact, resolution, profile, detected_us, coalesce(first_alert_us, 0), coalesce(last_alert_us, 0),"
		" created_us, updated_us, coalesce(resolved_us, 0), coalesce(closed_us, 0), major_impact,"
		" beyond_capacity, alert_count FROM incidents WHERE id = ?",
		&st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? vg_db_mod_failf(&inc->q, VG_ENOTFOUND, "no incident %lld", (long long)id)
					 : vg_db_mod_sqlfail(&inc->q, rc, "incident");
	}
	d->id = id;
	char **strs[] = {&d->title,    &d->description, &d->state,   &d->type,  &d->severity,
			 &d->reporter, &d->reporter_contact, &d->assignee, &d->unit, &d->detection_method,
			 &d->impact,   &d->resolution,  &d->profile};
	for (int i = 0; i < 13; i++)
		if ((*strs[i] = dup(col_str(st, i))) == NULL)
			r = VG_ENOMEM;
	d->detected_us = sqlite3_column_int64(st, 13);
	d->first_alert_us = sqlite3_column_int64(st, 14);
	d->last_alert_us = sqlite3_column_int64(st, 15);
	d->created_us = sqlite3_column_int64(st, 16);
	d->updated_us = sqlite3_column_int64(st, 17);
	d->resolved_us = sqlite3_column_int64(st, 18);
	d->closed_us = sqlite3_column_int64(st, 19);
	d->major_impact = sqlite3_column_int(st, 20);
	d->beyond_capacity = sqlite3_column_int(st, 21);
	d->alerts_total = (size_t)sqlite3_column_int64(st, 22);
	sqlite3_finalize(st);
	if (r == 0)
		r = deadlines_of(inc, id, d->detected_us, d->resolved_us, d->profile, now_us, d->deadlines);
	if (r == 0)
		r = load_children(inc, id, d);
	if (r == 0) {
		int s = d->major_impact || d->beyond_capacity ? 1 : systems_serious(inc, id);
		if (s < 0)
			r = s;
		d->serious = s > 0;
	}
	if (r != 0)
		vg_incident_report_data_free(d);
	return r;
}

VG_WUR int vg_incidents_get_report_data(vg_incidents *inc, int64_t id, vg_incident_report_data *out)
{
	return vg_incidents_get_report_data_at(inc, id, wall_us(), out);
}
