/* roster.c — shifts of the 24/7 watch in the state database, who is on duty
 * and the uncovered gaps, and their REST routes. */
#include "server/roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/timeparse.h"
#include "server/api.h"
#include "server/auth.h"

struct vg_roster {
	vg_db *db;
	sqlite3 *h;
	vg_db_mod q;   /* statements; a failure is VG_EIO/VG_ENOMEM (vg_db_errmsg says why) */
	vg_auth *auth; /* optional */
};

static const char *const roster_migrations[] = {
	/* 1: shifts */
	"CREATE TABLE roster_shifts ("
	" id INTEGER PRIMARY KEY,"
	" person TEXT NOT NULL,"
	" start_us INTEGER NOT NULL,"
	" end_us INTEGER NOT NULL CHECK (end_us > start_us),"
	" email TEXT,"
	" webhook TEXT,"
	" note TEXT,"
	" created_us INTEGER NOT NULL,"
	" created_by TEXT);"
	"CREATE INDEX roster_shifts_start ON roster_shifts(start_us);"
	"CREATE INDEX roster_shifts_end ON roster_shifts(end_us);",
};

vg_roster *vg_roster_open(vg_db *db, int *err)
{
	vg_roster *ro = vg_db_module_new(db, VG_ROSTER_MODULE, roster_migrations,
					 sizeof(roster_migrations) / sizeof(roster_migrations[0]), sizeof(*ro), err);
	if (ro == NULL)
		return NULL;
	ro->db = db;
	ro->h = vg_db_sqlite(db);
	ro->q = (vg_db_mod){.db = db, .eio_only = 1};
	return ro;
}

void vg_roster_close(vg_roster *r)
{
	free(r);
}

void vg_roster_set_users(vg_roster *r, struct vg_auth *auth)
{
	r->auth = auth;
}

/* ---- validation ---- */

static int has_ctl_or_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* A mailbox "local@domain": printable ASCII without spaces, quotes, angle
 * brackets, commas or semicolons (it goes into SMTP commands and headers). */
int vg_roster_email_ok(const char *s)
{
	size_t n = strnlen(s, VG_ROSTER_EMAIL_MAX + 1);
	if (n == 0 || n > VG_ROSTER_EMAIL_MAX || has_ctl_or_space(s))
		return 0;
	const char *at = strchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x7f || strchr("<>()[]\\,;:\"", *p) != NULL)
			return 0;
	return 1;
}

int vg_roster_url_ok(const char *s)
{
	size_t n = strnlen(s, VG_ROSTER_URL_MAX + 1);
	if (n > VG_ROSTER_URL_MAX || has_ctl_or_space(s))
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x7f)
			return 0;
	size_t k = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
	return k != 0 && s[k] != '\0' && s[k] != '/';
}

static int text_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n > max)
		return 0;
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

static int set_field(const char **field, const char *name)
{
	if (field != NULL)
		*field = name;
	return VG_EINVAL;
}

int vg_roster_check(const vg_roster_shift *s, const char **field)
{
	if (s->person == NULL || !vg_auth_name_valid(s->person) || strlen(s->person) > VG_ROSTER_PERSON_MAX)
		return set_field(field, "person");
	if (s->start_us <= 0)
		return set_field(field, "start");
	if (s->end_us <= s->start_us || s->end_us - s->start_us > VG_ROSTER_MAX_SHIFT_US)
		return set_field(field, "end");
	if (s->email != NULL && s->email[0] != '\0' && !vg_roster_email_ok(s->email))
		return set_field(field, "email");
	if (s->webhook != NULL && s->webhook[0] != '\0' && !vg_roster_url_ok(s->webhook))
		return set_field(field, "webhook");
	if (s->note != NULL && !text_ok(s->note, VG_ROSTER_NOTE_MAX))
		return set_field(field, "note");
	return 0;
}

/* ---- SQL ---- */

/* "" is stored as NULL */
static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	vg_db_bind_text(st, i, s != NULL && s[0] != '\0' ? s : NULL);
}

int vg_roster_add(vg_roster *r, const vg_roster_shift *s, int64_t now_us, int64_t *id, const char **field)
{
	int rc = vg_roster_check(s, field);
	if (rc != 0)
		return rc;
	sqlite3_stmt *st;
	if ((rc = vg_db_mod_prepare(&r->q,
				    "INSERT INTO roster_shifts (person, start_us, end_us, email, webhook, note, "
				    "created_us, created_by)"
				    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				    &st)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, s->person, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, s->start_us);
	sqlite3_bind_int64(st, 3, s->end_us);
	bind_opt(st, 4, s->email);
	bind_opt(st, 5, s->webhook);
	bind_opt(st, 6, s->note);
	sqlite3_bind_int64(st, 7, now_us);
	bind_opt(st, 8, s->created_by);
	if ((rc = vg_db_mod_step_done(&r->q, st, NULL)) != 0)
		return rc;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(r->h);
	return 0;
}

int vg_roster_delete(vg_roster *r, int64_t id)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&r->q, "DELETE FROM roster_shifts WHERE id = ?", &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = vg_db_mod_step_done(&r->q, st, NULL)) != 0)
		return rc;
	return sqlite3_changes(r->h) > 0 ? 0 : VG_ENOTFOUND;
}

#define SHIFT_COLS "id, person, start_us, end_us, email, webhook, note, created_us, created_by"

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Steps st to the end, calling fn per row; at most `max` rows (0: any). */
static int each_row(vg_db_mod *q, sqlite3_stmt *st, size_t max, vg_roster_fn fn, void *ud, size_t *count)
{
	int rc, r = 0;
	size_t n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (max != 0 && n == max) {
			r = VG_ELIMIT;
			break;
		}
		vg_roster_shift s = {
			.id = sqlite3_column_int64(st, 0),
			.person = col_text(st, 1),
			.start_us = sqlite3_column_int64(st, 2),
			.end_us = sqlite3_column_int64(st, 3),
			.email = col_text(st, 4),
			.webhook = col_text(st, 5),
			.note = col_text(st, 6),
			.created_us = sqlite3_column_int64(st, 7),
			.created_by = col_text(st, 8),
		};
		n++;
		if ((r = fn(ud, &s)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = vg_db_mod_sqlfail(q, rc, NULL);
	sqlite3_finalize(st);
	if (count != NULL)
		*count = n;
	return r;
}

int vg_roster_get(vg_roster *r, int64_t id, vg_roster_fn fn, void *ud)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&r->q, "SELECT " SHIFT_COLS " FROM roster_shifts WHERE id = ?", &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	size_t n = 0;
	rc = each_row(&r->q, st, 1, fn, ud, &n);
	return rc != 0 ? rc : n == 0 ? VG_ENOTFOUND : 0;
}

int vg_roster_list(vg_roster *r, int64_t from_us, int64_t to_us, vg_roster_fn fn, void *ud)
{
	if (to_us <= from_us)
		return VG_EINVAL;
	if (to_us - from_us > VG_ROSTER_MAX_WINDOW_US)
		return VG_ELIMIT;
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&r->q,
				   "SELECT " SHIFT_COLS " FROM roster_shifts WHERE start_us < ? AND end_us > ?"
				   " ORDER BY start_us, id",
				   &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, to_us);
	sqlite3_bind_int64(st, 2, from_us);
	return each_row(&r->q, st, VG_ROSTER_MAX_LIST, fn, ud, NULL);
}

int vg_roster_on_duty(vg_roster *r, int64_t at_us, vg_roster_fn fn, void *ud)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&r->q,
				   "SELECT " SHIFT_COLS " FROM roster_shifts WHERE start_us <= ? AND end_us > ?"
				   " ORDER BY start_us, id",
				   &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, at_us);
	sqlite3_bind_int64(st, 2, at_us);
	return each_row(&r->q, st, VG_ROSTER_MAX_LIST, fn, ud, NULL);
}

typedef struct gap_walk {
	int64_t cursor, to;
	vg_roster_gap_fn fn;
	void *ud;
} gap_walk;

/* Shifts arrive by start: anything between the covered prefix and the next
 * start is a gap. */
static int gap_step(void *ud, const vg_roster_shift *s)
{
	gap_walk *g = ud;
	if (s->start_us > g->cursor) {
		int64_t end = s->start_us < g->to ? s->start_us : g->to;
		int r = g->fn(g->ud, g->cursor, end);
		if (r != 0)
			return r;
	}
	if (s->end_us > g->cursor)
		g->cursor = s->end_us;
	return 0;
}

int vg_roster_gaps(vg_roster *r, int64_t from_us, int64_t to_us, vg_roster_gap_fn fn, void *ud)
{
	gap_walk g = {.cursor = from_us, .to = to_us, .fn = fn, .ud = ud};
	int rc = vg_roster_list(r, from_us, to_us, gap_step, &g);
	if (rc != 0)
		return rc;
	return g.cursor < to_us ? fn(ud, g.cursor, to_us) : 0;
}

/* ---- REST ---- */

static json_t *time_json(int64_t us)
{
	char buf[40];
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static int shift_json(void *ud, const vg_roster_shift *s)
{
	json_t *arr = ud;
	json_t *o = json_object();
	if (o == NULL)
		return VG_ENOMEM;
	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "person", json_string(s->person));
	json_object_set_new(o, "start", time_json(s->start_us));
	json_object_set_new(o, "end", time_json(s->end_us));
	json_object_set_new(o, "start_us", json_integer(s->start_us));
	json_object_set_new(o, "end_us", json_integer(s->end_us));
	json_object_set_new(o, "email", s->email != NULL ? json_string(s->email) : json_null());
	json_object_set_new(o, "webhook", s->webhook != NULL ? json_string(s->webhook) : json_null());
	json_object_set_new(o, "note", s->note != NULL ? json_string(s->note) : json_null());
	json_object_set_new(o, "created", time_json(s->created_us));
	json_object_set_new(o, "created_by", s->created_by != NULL ? json_string(s->created_by) : json_null());
	return json_array_append_new(arr, o) == 0 ? 0 : VG_ENOMEM;
}

static int gap_json(void *ud, int64_t from_us, int64_t to_us)
{
	json_t *o = json_object();
	if (o == NULL)
		return VG_ENOMEM;
	json_object_set_new(o, "from", time_json(from_us));
	json_object_set_new(o, "to", time_json(to_us));
	json_object_set_new(o, "from_us", json_integer(from_us));
	json_object_set_new(o, "to_us", json_integer(to_us));
	json_object_set_new(o, "hours", json_real((double)(to_us - from_us) / 3600e6));
	return json_array_append_new(ud, o) == 0 ? 0 : VG_ENOMEM;
}

/* A time from text: RFC 3339, or an integer of µs since the epoch. */
static int parse_time_text(const char *s, int64_t *us)
{
	size_t n = strlen(s);
	if (n > 0 && n < 64 && vg_time_rfc3339(s, n, us) == n)
		return 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end != s && *end == '\0' && v > 0) {
		*us = v;
		return 0;
	}
	return VG_EINVAL;
}

/* Body member `name`: an RFC 3339 string or integer µs. Answers 400. */
static int body_time(vg_api_call *c, const char *name, int64_t *us)
{
	json_t *v = json_object_get(c->body, name);
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*us = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && parse_time_text(json_string_value(v), us) == 0)
		return 0;
	vg_api_error(c, 400, "invalid", "%s: %s", name,
		     v == NULL ? "required (RFC 3339 time such as 2026-11-21T08:00:00Z)"
			       : "not an RFC 3339 time such as 2026-11-21T08:00:00Z");
	return VG_EINVAL;
}

static int query_time(vg_api_call *c, const char *name, int64_t dflt, int64_t *us)
{
	const char *s = vg_api_query(c, name);
	if (s == NULL) {
		*us = dflt;
		return 0;
	}
	if (parse_time_text(s, us) == 0)
		return 0;
	vg_api_error(c, 400, "invalid", "%s: '%.64s' is not an RFC 3339 time", name, s);
	return VG_EINVAL;
}

static void fail(vg_api_call *c, vg_roster *r, int rc, const char *what)
{
	if (rc == VG_ELIMIT)
		vg_api_error(c, 400, "invalid", "%s: window too long (at most 366 days and %d shifts)", what,
			     VG_ROSTER_MAX_LIST);
	else
		vg_api_db_error(c, r->db, rc, what);
}

static void h_list(void *ud, vg_api_call *c)
{
	vg_roster *r = ud;
	int64_t from, to;
	if (query_time(c, "from", c->now_us, &from) != 0 || query_time(c, "to", from + VG_ROSTER_GAP_WINDOW_US, &to) != 0)
		return;
	if (to <= from) {
		vg_api_error(c, 400, "invalid", "to: must be after from");
		return;
	}
	json_t *shifts = json_array(), *gaps = json_array();
	int rc = shifts == NULL || gaps == NULL ? VG_ENOMEM : vg_roster_list(r, from, to, shift_json, shifts);
	if (rc == 0)
		rc = vg_roster_gaps(r, from, to, gap_json, gaps);
	if (rc != 0) {
		json_decref(shifts);
		json_decref(gaps);
		fail(c, r, rc, "roster");
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "from", time_json(from));
	json_object_set_new(o, "to", time_json(to));
	json_object_set_new(o, "shifts", shifts);
	json_object_set_new(o, "gaps", gaps);
	vg_api_json(c, 200, o);
}

static void h_now(void *ud, vg_api_call *c)
{
	vg_roster *r = ud;
	json_t *arr = json_array();
	int rc = arr == NULL ? VG_ENOMEM : vg_roster_on_duty(r, c->now_us, shift_json, arr);
	if (rc != 0) {
		json_decref(arr);
		fail(c, r, rc, "roster");
		return;
	}
	/* The next uncovered stretch within the default look-ahead, so that the
	 * watch sees a hole before it opens. */
	json_t *gaps = json_array();
	if (gaps == NULL || (rc = vg_roster_gaps(r, c->now_us, c->now_us + VG_ROSTER_GAP_WINDOW_US, gap_json, gaps)) != 0) {
		json_decref(arr);
		json_decref(gaps);
		fail(c, r, rc != 0 ? rc : VG_ENOMEM, "roster");
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "now", time_json(c->now_us));
	json_object_set_new(o, "covered", json_boolean(json_array_size(arr) > 0));
	json_object_set_new(o, "on_duty", arr);
	json_object_set_new(o, "gaps", gaps);
	vg_api_json(c, 200, o);
}

static int body_opt_str(vg_api_call *c, const char *name, size_t max, const char **out)
{
	*out = NULL;
	return vg_api_str(c, name, 0, max, out);
}

static void h_add(void *ud, vg_api_call *c)
{
	vg_roster *r = ud;
	vg_roster_shift s = {.created_by = c->who.name};
	if (vg_api_str(c, "person", 1, VG_ROSTER_PERSON_MAX, &s.person) != 0 || body_time(c, "start", &s.start_us) != 0 ||
	    body_time(c, "end", &s.end_us) != 0 || body_opt_str(c, "email", VG_ROSTER_EMAIL_MAX, &s.email) != 0 ||
	    body_opt_str(c, "webhook", VG_ROSTER_URL_MAX, &s.webhook) != 0 ||
	    body_opt_str(c, "note", VG_ROSTER_NOTE_MAX, &s.note) != 0)
		return;
	const char *field = NULL;
	if (vg_roster_check(&s, &field) != 0) {
		static const struct {
			const char *f, *why;
		} whys[] = {
			{"person", "not a valid user name"},
			{"start", "must be a time after 1970"},
			{"end", "must be after start, and the shift at most 31 days long"},
			{"email", "not a plain e-mail address (local@domain)"},
			{"webhook", "not an http:// or https:// URL without spaces"},
			{"note", "control characters or too long"},
		};
		const char *why = "invalid";
		for (size_t i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
			if (field != NULL && strcmp(whys[i].f, field) == 0)
				why = whys[i].why;
		vg_api_error(c, 400, "invalid", "%s: %s", field != NULL ? field : "shift", why);
		return;
	}
	if (r->auth != NULL) {
		vg_auth_user u;
		int ur = vg_auth_user_get(r->auth, s.person, &u);
		if (ur == VG_ENOTFOUND) {
			vg_api_error(c, 400, "invalid", "person: no vigil user named '%s'", s.person);
			return;
		}
		if (ur != 0) {
			fail(c, r, ur, "users");
			return;
		}
	}
	int64_t id = 0;
	int rc;
	if ((rc = vg_api_begin(c)) != 0) {
		fail(c, r, rc, "begin");
		return;
	}
	rc = vg_roster_add(r, &s, c->now_us, &id, &field);
	char ids[32];
	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	json_t *d = json_pack("{s:s, s:I, s:I}", "person", s.person, "start_us", (json_int_t)s.start_us, "end_us",
			      (json_int_t)s.end_us);
	if (rc == 0)
		rc = vg_api_audit(c, "roster.add", "shift", ids, d);
	json_decref(d);
	if (rc == 0)
		rc = vg_api_commit(c);
	if (rc != 0) {
		vg_api_rollback(c);
		fail(c, r, rc, "roster add");
		return;
	}
	json_t *arr = json_array();
	if (arr != NULL && vg_roster_get(r, id, shift_json, arr) == 0 && json_array_size(arr) == 1)
		vg_api_json(c, 201, json_incref(json_array_get(arr, 0)));
	else
		vg_api_error(c, 500, "internal", "roster: cannot read the new shift back");
	json_decref(arr);
}

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	if (s == NULL || *s < '1' || *s > '9')
		return VG_EINVAL;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0)
		return VG_EINVAL;
	*id = v;
	return 0;
}

static void h_delete(void *ud, vg_api_call *c)
{
	vg_roster *r = ud;
	int64_t id;
	if (parse_id(c->rest, &id) != 0) {
		vg_api_error(c, 404, "not_found", "no shift '%.32s'", c->rest);
		return;
	}
	int rc;
	if ((rc = vg_api_begin(c)) != 0) {
		fail(c, r, rc, "begin");
		return;
	}
	rc = vg_roster_delete(r, id);
	if (rc == 0)
		rc = vg_api_audit(c, "roster.delete", "shift", c->rest, NULL);
	if (rc == 0)
		rc = vg_api_commit(c);
	if (rc != 0) {
		vg_api_rollback(c);
		if (rc == VG_ENOTFOUND)
			vg_api_error(c, 404, "not_found", "no shift %lld", (long long)id);
		else
			fail(c, r, rc, "roster delete");
		return;
	}
	vg_api_json(c, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
}

static void h_get_one(void *ud, vg_api_call *c)
{
	vg_roster *r = ud;
	int64_t id;
	json_t *arr;
	if (parse_id(c->rest, &id) != 0 || (arr = json_array()) == NULL) {
		vg_api_error(c, 404, "not_found", "no shift '%.32s'", c->rest);
		return;
	}
	int rc = vg_roster_get(r, id, shift_json, arr);
	if (rc == 0)
		vg_api_json(c, 200, json_incref(json_array_get(arr, 0)));
	else if (rc == VG_ENOTFOUND)
		vg_api_error(c, 404, "not_found", "no shift %lld", (long long)id);
	else
		fail(c, r, rc, "roster");
	json_decref(arr);
}

int vg_roster_register_api(vg_roster *r, struct vg_api *api)
{
	int rc;
	if ((rc = vg_api_route(api, "GET", "/roster", 0, VG_API_READ, h_list, r)) != 0 ||
	    (rc = vg_api_route(api, "POST", "/roster", 0, VG_API_WRITE | VG_API_JSON_BODY, h_add, r)) != 0 ||
	    (rc = vg_api_route(api, "GET", "/roster/now", 0, VG_API_READ, h_now, r)) != 0 ||
	    (rc = vg_api_route(api, "GET", "/roster/", 1, VG_API_READ, h_get_one, r)) != 0 ||
	    (rc = vg_api_route(api, "DELETE", "/roster/", 1, VG_API_WRITE, h_delete, r)) != 0)
		return rc;
	return 0;
}
