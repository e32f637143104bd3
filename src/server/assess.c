/* assess.c — layer-3 assessments: the schedule from each system's security
 * level, recorded assessments, findings tracked to closure, and their REST
 * routes. */
#include "server/assess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/timeparse.h"
#include "server/api.h"

struct vg_assess {
	vg_db *db;
	sqlite3 *h;
	vg_db_mod q; /* statements; a failure is VG_EIO/VG_ENOMEM (vg_db_errmsg says why) */
	vg_assess_systems_each each;
	void *each_ud;
};

static const char *const assess_migrations[] = {
	/* 1: assessments and findings */
	"CREATE TABLE assessments ("
	" id INTEGER PRIMARY KEY,"
	" system_id INTEGER NOT NULL," /* 0 = the whole organisation */
	" date_us INTEGER NOT NULL,"
	" assessor TEXT NOT NULL,"
	" summary TEXT,"
	" created_us INTEGER NOT NULL,"
	" created_by TEXT);"
	"CREATE INDEX assessments_system ON assessments(system_id, date_us);"
	"CREATE TABLE assess_findings ("
	" id INTEGER PRIMARY KEY,"
	" system_id INTEGER NOT NULL,"
	" assessment_id INTEGER REFERENCES assessments(id),"
	" title TEXT NOT NULL,"
	" severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),"
	" state TEXT NOT NULL CHECK (state IN ('open', 'in_progress', 'closed')),"
	" owner TEXT,"
	" due_us INTEGER,"
	" description TEXT,"
	" note TEXT,"
	" created_us INTEGER NOT NULL,"
	" updated_us INTEGER NOT NULL,"
	" closed_us INTEGER,"
	" created_by TEXT);"
	"CREATE INDEX assess_findings_system ON assess_findings(system_id, state);",
};

vg_assess *vg_assess_open(vg_db *db, int *err)
{
	vg_assess *a = vg_db_module_new(db, VG_ASSESS_MODULE, assess_migrations,
					sizeof(assess_migrations) / sizeof(assess_migrations[0]), sizeof(*a), err);
	if (a == NULL)
		return NULL;
	a->db = db;
	a->h = vg_db_sqlite(db);
	a->q = (vg_db_mod){.db = db, .eio_only = 1};
	return a;
}

void vg_assess_close(vg_assess *a)
{
	free(a);
}

void vg_assess_set_systems(vg_assess *a, vg_assess_systems_each each, void *ud)
{
	a->each = each;
	a->each_ud = ud;
}

int vg_assess_interval_months(int level)
{
	return level == 5 ? VG_ASSESS_MONTHS_L5 : level == 3 || level == 4 ? VG_ASSESS_MONTHS_L34 : 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int64_t vg_assess_add_months(int64_t t_us, int months)
{
	const int64_t day_us = 86400LL * 1000000;
	int64_t days = t_us >= 0 ? t_us / day_us : -((-t_us + day_us - 1) / day_us);
	int64_t rem = t_us - days * day_us;
	/* civil date of `days` (Howard Hinnant's algorithm) */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	int64_t mi = (m - 1) + months;
	y += mi >= 0 ? mi / 12 : -((-mi + 11) / 12);
	mi -= (mi >= 0 ? mi / 12 : -((-mi + 11) / 12)) * 12;
	m = mi + 1;
	int dim = days_in_month(y, (int)m);
	if (d > dim)
		d = dim;
	return vg_days_from_civil(y, (unsigned)m, (unsigned)d) * day_us + rem;
}

/* ---- SQL helpers ---- */

/* "" is stored as NULL */
static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	vg_db_bind_text(st, i, s != NULL && s[0] != '\0' ? s : NULL);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int set_field(const char **field, const char *name, int rc)
{
	if (field != NULL)
		*field = name;
	return rc;
}

/* UTF-8 is passed through; control characters other than tab and newline
 * are refused. */
static int text_ok(const char *s, size_t max, int required)
{
	if (s == NULL || s[0] == '\0')
		return !required;
	if (strnlen(s, max + 1) > max)
		return 0;
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f)
			return 0;
	return 1;
}

static int one_line_ok(const char *s, size_t max, int required)
{
	return text_ok(s, max, required) && (s == NULL || strchr(s, '\n') == NULL);
}

/* ---- systems ---- */

typedef struct sys_row {
	int64_t id, created_us;
	char *name, *unit;
	int level;
} sys_row;

typedef struct sys_list {
	sys_row *v;
	size_t n, cap;
	int err;
} sys_list;

static void sys_collect(void *ud, int64_t id, const char *name, const char *unit, int level, int64_t created_us)
{
	sys_list *l = ud;
	if (l->err != 0)
		return;
	if (l->n == VG_ASSESS_MAX_SYSTEMS) {
		l->err = VG_ELIMIT;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		sys_row *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			l->err = VG_ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	sys_row *s = &l->v[l->n];
	s->id = id;
	s->created_us = created_us;
	s->level = level;
	s->name = strdup(name != NULL ? name : "");
	s->unit = unit != NULL && unit[0] != '\0' ? strdup(unit) : NULL;
	if (s->name == NULL || (unit != NULL && unit[0] != '\0' && s->unit == NULL)) {
		free(s->name);
		free(s->unit);
		l->err = VG_ENOMEM;
		return;
	}
	l->n++;
}

static void sys_free(sys_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].unit);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int sys_cmp(const void *x, const void *y)
{
	const sys_row *a = x, *b = y;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int sys_load(vg_assess *a, sys_list *l)
{
	memset(l, 0, sizeof(*l));
	if (a->each == NULL)
		return 0;
	int rc = a->each(a->each_ud, sys_collect, l);
	if (rc == 0)
		rc = l->err;
	if (rc != 0) {
		sys_free(l);
		return rc;
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), sys_cmp);
	return 0;
}

static const sys_row *sys_find(const sys_list *l, int64_t id)
{
	sys_row key = {.id = id};
	return l->n > 0 ? bsearch(&key, l->v, l->n, sizeof(*l->v), sys_cmp) : NULL;
}

/* 0 when id is the organisation or a known system, else VG_ENOTFOUND. */
static int sys_exists(vg_assess *a, int64_t id)
{
	if (id == VG_ASSESS_ORG)
		return 0;
	if (id < 0)
		return VG_ENOTFOUND;
	sys_list l;
	int rc = sys_load(a, &l);
	if (rc != 0)
		return rc;
	rc = sys_find(&l, id) != NULL ? 0 : VG_ENOTFOUND;
	sys_free(&l);
	return rc;
}

/* ---- schedule ---- */

typedef struct sched_q {
	sqlite3_stmt *last, *counts;
} sched_q;

static int sched_entry(vg_assess *a, sched_q *q, int64_t now_us, int64_t sys_id, const char *name, const char *unit,
		       int level, int months, int64_t created_us, vg_assess_due_fn fn, void *ud)
{
	vg_assess_due d = {
		.system_id = sys_id, .name = name, .unit = unit, .level = level, .interval_months = months};
	int rc;
	sqlite3_reset(q->last);
	sqlite3_bind_int64(q->last, 1, sys_id);
	if ((rc = sqlite3_step(q->last)) == SQLITE_ROW) {
		d.last_id = sqlite3_column_int64(q->last, 0);
		d.last_us = sqlite3_column_int64(q->last, 1);
	} else if (rc != SQLITE_DONE) {
		return vg_db_mod_sqlfail(&a->q, rc, NULL);
	}
	sqlite3_reset(q->counts);
	sqlite3_bind_int64(q->counts, 1, now_us);
	sqlite3_bind_int64(q->counts, 2, sys_id);
	if ((rc = sqlite3_step(q->counts)) != SQLITE_ROW)
		return vg_db_mod_sqlfail(&a->q, rc, NULL);
	d.open_findings = sqlite3_column_int64(q->counts, 0);
	d.overdue_findings = sqlite3_column_int64(q->counts, 1);
	d.base_us = d.last_us != 0 ? d.last_us : created_us;
	if (months == 0) {
		d.state = "not_required";
	} else {
		d.due_us = vg_assess_add_months(d.base_us, months);
		d.state = now_us >= d.due_us ? "overdue" : d.due_us - now_us <= VG_ASSESS_DUE_SOON_US ? "due_soon" : "upcoming";
	}
	return fn(ud, &d);
}

int vg_assess_schedule(vg_assess *a, int64_t now_us, vg_assess_due_fn fn, void *ud)
{
	sys_list l;
	sched_q q = {0};
	int rc = sys_load(a, &l);
	if (rc != 0)
		return rc;
	if ((rc = vg_db_mod_prepare(
		     &a->q,
		     "SELECT id, date_us FROM assessments WHERE system_id = ? ORDER BY date_us DESC, id DESC LIMIT 1",
		     &q.last)) != 0 ||
	    (rc = vg_db_mod_prepare(
		     &a->q,
		     "SELECT COUNT(*), COALESCE(SUM(due_us IS NOT NULL AND due_us <= ?1), 0) FROM assess_findings"
		     " WHERE system_id = ?2 AND state != 'closed'",
		     &q.counts)) != 0)
		goto out;
	/* The organisation: from its last assessment, else the earliest system. */
	int64_t org_base = 0;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].created_us > 0 && (org_base == 0 || l.v[i].created_us < org_base))
			org_base = l.v[i].created_us;
	sqlite3_bind_int64(q.last, 1, VG_ASSESS_ORG);
	int sr = sqlite3_step(q.last);
	int org_known = sr == SQLITE_ROW;
	if (sr != SQLITE_ROW && sr != SQLITE_DONE) {
		rc = vg_db_mod_sqlfail(&a->q, sr, NULL);
		goto out;
	}
	if (org_known || org_base != 0) {
		if ((rc = sched_entry(a, &q, now_us, VG_ASSESS_ORG, "organisation", NULL, 0, VG_ASSESS_MONTHS_ORG, org_base,
				      fn, ud)) != 0)
			goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const sys_row *s = &l.v[i];
		if ((rc = sched_entry(a, &q, now_us, s->id, s->name, s->unit, s->level, vg_assess_interval_months(s->level),
				      s->created_us, fn, ud)) != 0)
			goto out;
	}
out:
	sqlite3_finalize(q.last);
	sqlite3_finalize(q.counts);
	sys_free(&l);
	return rc;
}

/* ---- assessments ---- */

int vg_assess_record(vg_assess *a, const vg_assess_rec *r, int64_t now_us, int64_t *id, const char **field)
{
	int rc;
	if (r->system_id < 0)
		return set_field(field, "system_id", VG_EINVAL);
	if (r->date_us <= 0)
		return set_field(field, "date", VG_EINVAL);
	if (!one_line_ok(r->assessor, VG_ASSESS_NAME_MAX, 1))
		return set_field(field, "assessor", VG_EINVAL);
	if (!text_ok(r->summary, VG_ASSESS_TEXT_MAX, 0))
		return set_field(field, "summary", VG_EINVAL);
	if ((rc = sys_exists(a, r->system_id)) != 0)
		return rc == VG_ENOTFOUND ? set_field(field, "system_id", rc) : rc;
	sqlite3_stmt *st;
	if ((rc = vg_db_mod_prepare(
		     &a->q,
		     "INSERT INTO assessments (system_id, date_us, assessor, summary, created_us, created_by)"
		     " VALUES (?, ?, ?, ?, ?, ?)",
		     &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, r->system_id);
	sqlite3_bind_int64(st, 2, r->date_us);
	sqlite3_bind_text(st, 3, r->assessor, -1, SQLITE_TRANSIENT);
	bind_opt(st, 4, r->summary);
	sqlite3_bind_int64(st, 5, now_us);
	bind_opt(st, 6, r->created_by);
	if ((rc = vg_db_mod_step_done(&a->q, st, NULL)) != 0)
		return rc;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(a->h);
	return 0;
}

int vg_assess_list(vg_assess *a, int64_t system_id, vg_assess_rec_fn fn, void *ud)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(
		&a->q,
		"SELECT id, system_id, date_us, assessor, summary, created_us, created_by FROM assessments"
		" WHERE ?1 < 0 OR system_id = ?1 ORDER BY date_us DESC, id DESC LIMIT ?2",
		&st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, system_id);
	sqlite3_bind_int64(st, 2, VG_ASSESS_MAX_LIST);
	int sr;
	rc = 0;
	while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
		vg_assess_rec r = {
			.id = sqlite3_column_int64(st, 0),
			.system_id = sqlite3_column_int64(st, 1),
			.date_us = sqlite3_column_int64(st, 2),
			.assessor = col_text(st, 3),
			.summary = col_text(st, 4),
			.created_us = sqlite3_column_int64(st, 5),
			.created_by = col_text(st, 6),
		};
		if ((rc = fn(ud, &r)) != 0)
			break;
	}
	if (rc == 0 && sr != SQLITE_DONE)
		rc = vg_db_mod_sqlfail(&a->q, sr, NULL);
	sqlite3_finalize(st);
	return rc;
}

/* ---- findings ---- */

static int severity_ok(const char *s)
{
	return s != NULL && (strcmp(s, "low") == 0 || strcmp(s, "medium") == 0 || strcmp(s, "high") == 0 ||
			     strcmp(s, "critical") == 0);
}

static int state_ok(const char *s)
{
	return s != NULL && (strcmp(s, "open") == 0 || strcmp(s, "in_progress") == 0 || strcmp(s, "closed") == 0);
}

/* open -> in_progress -> closed, open -> closed, in_progress -> open,
 * closed -> open (reopen); staying is allowed. */
static int transition_ok(const char *from, const char *to)
{
	if (strcmp(from, to) == 0)
		return 1;
	if (strcmp(to, "open") == 0)
		return 1;
	if (strcmp(to, "in_progress") == 0)
		return strcmp(from, "open") == 0;
	return strcmp(from, "closed") != 0; /* to closed */
}

static int assessment_of(vg_assess *a, int64_t assessment_id, int64_t *system_id)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&a->q, "SELECT system_id FROM assessments WHERE id = ?", &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, assessment_id);
	int sr = sqlite3_step(st);
	if (sr == SQLITE_ROW)
		*system_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return sr == SQLITE_ROW ? 0 : sr == SQLITE_DONE ? VG_ENOTFOUND : vg_db_mod_sqlfail(&a->q, sr, NULL);
}

int vg_assess_finding_add(vg_assess *a, const vg_assess_finding *f, int64_t now_us, int64_t *id, const char **field)
{
	int rc;
	const char *state = f->state != NULL ? f->state : "open";
	if (f->system_id < 0)
		return set_field(field, "system_id", VG_EINVAL);
	if (!one_line_ok(f->title, VG_ASSESS_NAME_MAX, 1))
		return set_field(field, "title", VG_EINVAL);
	if (!severity_ok(f->severity))
		return set_field(field, "severity", VG_EINVAL);
	if (!state_ok(state))
		return set_field(field, "state", VG_EINVAL);
	if (!one_line_ok(f->owner, VG_ASSESS_NAME_MAX, 0))
		return set_field(field, "owner", VG_EINVAL);
	if (strcmp(state, "in_progress") == 0 && (f->owner == NULL || f->owner[0] == '\0'))
		return set_field(field, "owner", VG_EINVAL);
	if (f->due_us < 0)
		return set_field(field, "due", VG_EINVAL);
	if (!text_ok(f->description, VG_ASSESS_TEXT_MAX, 0))
		return set_field(field, "description", VG_EINVAL);
	if (!text_ok(f->note, VG_ASSESS_TEXT_MAX, 0))
		return set_field(field, "note", VG_EINVAL);
	if (f->assessment_id != 0) {
		int64_t sid = -1;
		rc = f->assessment_id > 0 ? assessment_of(a, f->assessment_id, &sid) : VG_ENOTFOUND;
		if (rc != 0)
			return rc == VG_ENOTFOUND ? set_field(field, "assessment_id", rc) : rc;
		if (sid != f->system_id)
			return set_field(field, "assessment_id", VG_EINVAL);
	}
	if ((rc = sys_exists(a, f->system_id)) != 0)
		return rc == VG_ENOTFOUND ? set_field(field, "system_id", rc) : rc;
	sqlite3_stmt *st;
	if ((rc = vg_db_mod_prepare(
		     &a->q,
		     "INSERT INTO assess_findings (system_id, assessment_id, title, severity, state, owner, due_us,"
		     " description, note, created_us, updated_us, closed_us, created_by)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		     &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, f->system_id);
	if (f->assessment_id > 0)
		sqlite3_bind_int64(st, 2, f->assessment_id);
	sqlite3_bind_text(st, 3, f->title, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, f->severity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, state, -1, SQLITE_TRANSIENT);
	bind_opt(st, 6, f->owner);
	if (f->due_us > 0)
		sqlite3_bind_int64(st, 7, f->due_us);
	bind_opt(st, 8, f->description);
	bind_opt(st, 9, f->note);
	sqlite3_bind_int64(st, 10, now_us);
	sqlite3_bind_int64(st, 11, now_us);
	if (strcmp(state, "closed") == 0)
		sqlite3_bind_int64(st, 12, now_us);
	bind_opt(st, 13, f->created_by);
	if ((rc = vg_db_mod_step_done(&a->q, st, NULL)) != 0)
		return rc;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(a->h);
	return 0;
}

int vg_assess_finding_update(vg_assess *a, int64_t id, const vg_assess_patch *p, int64_t now_us, const char **field)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&a->q, "SELECT state, owner FROM assess_findings WHERE id = ?", &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	int sr = sqlite3_step(st);
	if (sr != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sr == SQLITE_DONE ? VG_ENOTFOUND : vg_db_mod_sqlfail(&a->q, sr, NULL);
	}
	char cur[16], owner_set;
	snprintf(cur, sizeof(cur), "%s", col_text(st, 0) != NULL ? col_text(st, 0) : "open");
	owner_set = col_text(st, 1) != NULL && col_text(st, 1)[0] != '\0';
	sqlite3_finalize(st);

	if (p->state != NULL && (!state_ok(p->state) || !transition_ok(cur, p->state)))
		return set_field(field, "state", VG_EINVAL);
	if (p->owner != NULL && !one_line_ok(p->owner, VG_ASSESS_NAME_MAX, 0))
		return set_field(field, "owner", VG_EINVAL);
	if (p->title != NULL && !one_line_ok(p->title, VG_ASSESS_NAME_MAX, 1))
		return set_field(field, "title", VG_EINVAL);
	if (p->severity != NULL && !severity_ok(p->severity))
		return set_field(field, "severity", VG_EINVAL);
	if (p->description != NULL && !text_ok(p->description, VG_ASSESS_TEXT_MAX, 0))
		return set_field(field, "description", VG_EINVAL);
	if (p->note != NULL && !text_ok(p->note, VG_ASSESS_TEXT_MAX, 0))
		return set_field(field, "note", VG_EINVAL);
	if (p->has_due && p->due_us < 0)
		return set_field(field, "due", VG_EINVAL);
	const char *to = p->state != NULL ? p->state : cur;
	int will_have_owner = p->owner != NULL ? p->owner[0] != '\0' : owner_set;
	if (strcmp(to, "in_progress") == 0 && !will_have_owner)
		return set_field(field, "owner", VG_EINVAL);

	if ((rc = vg_db_mod_prepare(
		     &a->q,
		     "UPDATE assess_findings SET"
		     " state = COALESCE(?1, state),"
		     " owner = CASE WHEN ?2 IS NULL THEN owner WHEN ?2 = '' THEN NULL ELSE ?2 END,"
		     " title = COALESCE(?3, title),"
		     " severity = COALESCE(?4, severity),"
		     " description = CASE WHEN ?5 IS NULL THEN description WHEN ?5 = '' THEN NULL ELSE ?5 END,"
		     " note = CASE WHEN ?6 IS NULL THEN note WHEN ?6 = '' THEN NULL ELSE ?6 END,"
		     " due_us = CASE WHEN ?7 = 0 THEN due_us WHEN ?8 = 0 THEN NULL ELSE ?8 END,"
		     " closed_us = CASE WHEN ?1 IS NULL OR ?1 = state THEN closed_us"
		     "  WHEN ?1 = 'closed' THEN ?9 ELSE NULL END,"
		     " updated_us = ?9"
		     " WHERE id = ?10",
		     &st)) != 0)
		return rc;
	if (p->state != NULL)
		sqlite3_bind_text(st, 1, p->state, -1, SQLITE_TRANSIENT);
	if (p->owner != NULL)
		sqlite3_bind_text(st, 2, p->owner, -1, SQLITE_TRANSIENT);
	if (p->title != NULL)
		sqlite3_bind_text(st, 3, p->title, -1, SQLITE_TRANSIENT);
	if (p->severity != NULL)
		sqlite3_bind_text(st, 4, p->severity, -1, SQLITE_TRANSIENT);
	if (p->description != NULL)
		sqlite3_bind_text(st, 5, p->description, -1, SQLITE_TRANSIENT);
	if (p->note != NULL)
		sqlite3_bind_text(st, 6, p->note, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 7, p->has_due != 0);
	sqlite3_bind_int64(st, 8, p->due_us);
	sqlite3_bind_int64(st, 9, now_us);
	sqlite3_bind_int64(st, 10, id);
	return vg_db_mod_step_done(&a->q, st, NULL);
}

int vg_assess_finding_delete(vg_assess *a, int64_t id)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&a->q, "DELETE FROM assess_findings WHERE id = ?", &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = vg_db_mod_step_done(&a->q, st, NULL)) != 0)
		return rc;
	return sqlite3_changes(a->h) > 0 ? 0 : VG_ENOTFOUND;
}

#define FINDING_COLS                                                                                    \
	"id, system_id, assessment_id, title, severity, state, owner, due_us, description, note, created_us," \
	" updated_us, closed_us, created_by"

static int finding_rows(vg_assess *a, sqlite3_stmt *st, int64_t now_us, vg_assess_finding_fn fn, void *ud,
			size_t *count)
{
	int sr, rc = 0;
	size_t n = 0;
	while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == VG_ASSESS_MAX_LIST) {
			rc = VG_ELIMIT;
			break;
		}
		vg_assess_finding f = {
			.id = sqlite3_column_int64(st, 0),
			.system_id = sqlite3_column_int64(st, 1),
			.assessment_id = sqlite3_column_int64(st, 2),
			.title = col_text(st, 3),
			.severity = col_text(st, 4),
			.state = col_text(st, 5),
			.owner = col_text(st, 6),
			.due_us = sqlite3_column_int64(st, 7),
			.description = col_text(st, 8),
			.note = col_text(st, 9),
			.created_us = sqlite3_column_int64(st, 10),
			.updated_us = sqlite3_column_int64(st, 11),
			.closed_us = sqlite3_column_int64(st, 12),
			.created_by = col_text(st, 13),
		};
		f.overdue = f.state != NULL && strcmp(f.state, "closed") != 0 && f.due_us > 0 && f.due_us <= now_us;
		n++;
		if ((rc = fn(ud, &f)) != 0)
			break;
	}
	if (rc == 0 && sr != SQLITE_DONE && sr != SQLITE_ROW)
		rc = vg_db_mod_sqlfail(&a->q, sr, NULL);
	sqlite3_finalize(st);
	if (count != NULL)
		*count = n;
	return rc;
}

int vg_assess_finding_get(vg_assess *a, int64_t id, int64_t now_us, vg_assess_finding_fn fn, void *ud)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&a->q, "SELECT " FINDING_COLS " FROM assess_findings WHERE id = ?", &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	size_t n = 0;
	rc = finding_rows(a, st, now_us, fn, ud, &n);
	return rc != 0 ? rc : n == 0 ? VG_ENOTFOUND : 0;
}

int vg_assess_finding_list(vg_assess *a, const vg_assess_filter *f, int64_t now_us, vg_assess_finding_fn fn, void *ud)
{
	if (f != NULL && f->state != NULL && !state_ok(f->state))
		return VG_EINVAL;
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&a->q,
				   "SELECT " FINDING_COLS " FROM assess_findings"
				   " WHERE (?1 < 0 OR system_id = ?1) AND (?2 IS NULL OR state = ?2)"
				   " AND (?3 = 0 OR (state != 'closed' AND due_us IS NOT NULL AND due_us <= ?4))"
				   " ORDER BY due_us IS NULL, due_us, id",
				   &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, f != NULL ? f->system_id : -1);
	if (f != NULL && f->state != NULL)
		sqlite3_bind_text(st, 2, f->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, f != NULL && f->overdue_only);
	sqlite3_bind_int64(st, 4, now_us);
	return finding_rows(a, st, now_us, fn, ud, NULL);
}

/* ---- REST ---- */

static json_t *time_json(int64_t us)
{
	char buf[40];
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (us <= 0 || gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static json_t *str_json(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static int parse_time_text(const char *s, int64_t *us)
{
	size_t n = strlen(s);
	if (n > 0 && n < 64 && vg_time_rfc3339(s, n, us) == n)
		return 0;
	/* a bare date means its midnight UTC */
	if (n == 10 && s[4] == '-' && s[7] == '-') {
		char full[32];
		snprintf(full, sizeof(full), "%sT00:00:00Z", s);
		if (vg_time_rfc3339(full, strlen(full), us) == strlen(full))
			return 0;
	}
	return VG_EINVAL;
}

/* An optional/required body time: RFC 3339, a date, or integer µs; null
 * (when allowed) = 0. Answers 400 naming the member. */
static int body_time(vg_api_call *c, const char *name, int required, int *present, int64_t *us)
{
	json_t *v = json_object_get(c->body, name);
	if (present != NULL)
		*present = v != NULL;
	if (v == NULL && !required) {
		*us = 0;
		return 0;
	}
	if (json_is_null(v) && !required) {
		*us = 0;
		return 0;
	}
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*us = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && parse_time_text(json_string_value(v), us) == 0)
		return 0;
	vg_api_error(c, 400, "invalid", "%s: %s", name,
		     v == NULL ? "required (a date such as 2026-11-21 or an RFC 3339 time)"
			       : "not a date such as 2026-11-21 or an RFC 3339 time");
	return VG_EINVAL;
}

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return VG_EINVAL;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0)
		return VG_EINVAL;
	*id = v;
	return 0;
}

static void fail(vg_api_call *c, vg_assess *a, int rc, const char *what)
{
	if (rc == VG_ELIMIT)
		vg_api_error(c, 400, "invalid", "%s: too many rows; narrow the query", what);
	else
		vg_api_db_error(c, a->db, rc, what);
}

static void field_error(vg_api_call *c, int rc, const char *field)
{
	static const struct {
		const char *f, *why;
	} whys[] = {
		{"system_id", "not a known system (0 = the whole organisation)"},
		{"date", "must be a date after 1970"},
		{"assessor", "required, one line, at most 256 bytes"},
		{"summary", "control characters or longer than 4096 bytes"},
		{"title", "required, one line, at most 256 bytes"},
		{"severity", "must be low, medium, high or critical"},
		{"state", "not a valid state change (open -> in_progress -> closed, open -> closed, reopen -> open)"},
		{"owner", "required to start work (in_progress); one line, at most 256 bytes"},
		{"due", "not a valid date"},
		{"description", "control characters or longer than 4096 bytes"},
		{"note", "control characters or longer than 4096 bytes"},
		{"assessment_id", "not an assessment of this system"},
	};
	const char *why = "invalid";
	for (size_t i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
		if (field != NULL && strcmp(whys[i].f, field) == 0)
			why = whys[i].why;
	if (rc == VG_ENOTFOUND && field != NULL)
		vg_api_error(c, 404, "not_found", "%s: %s", field, why);
	else if (field != NULL && strcmp(field, "state") == 0)
		vg_api_error(c, 409, "conflict", "state: %s", why);
	else
		vg_api_error(c, 400, "invalid", "%s: %s", field != NULL ? field : "body", why);
}

/* The units of the systems, for the caller's visibility; the organisation
 * (id 0) is visible to every reader. */
static int visible(const vg_api_call *c, const sys_list *l, int64_t system_id)
{
	if (system_id == VG_ASSESS_ORG)
		return 1;
	const sys_row *s = sys_find(l, system_id);
	return vg_auth_unit_visible(&c->who, s != NULL ? s->unit : NULL);
}

typedef struct sched_ctx {
	vg_api_call *c;
	json_t *arr;
	const char *state;
} sched_ctx;

static int due_json(void *ud, const vg_assess_due *d)
{
	sched_ctx *x = ud;
	if (d->system_id != VG_ASSESS_ORG && !vg_auth_unit_visible(&x->c->who, d->unit))
		return 0;
	if (x->state != NULL && strcmp(x->state, d->state) != 0)
		return 0;
	json_t *o = json_object();
	if (o == NULL)
		return VG_ENOMEM;
	json_object_set_new(o, "system_id", json_integer(d->system_id));
	json_object_set_new(o, "scope", json_string(d->system_id == VG_ASSESS_ORG ? "organisation" : "system"));
	json_object_set_new(o, "name", str_json(d->name));
	json_object_set_new(o, "unit", str_json(d->unit));
	json_object_set_new(o, "level", d->level > 0 ? json_integer(d->level) : json_null());
	json_object_set_new(o, "interval_months", json_integer(d->interval_months));
	json_object_set_new(o, "last_assessment", time_json(d->last_us));
	json_object_set_new(o, "last_assessment_id", d->last_id > 0 ? json_integer(d->last_id) : json_null());
	json_object_set_new(o, "counted_from", time_json(d->base_us));
	json_object_set_new(o, "due", time_json(d->due_us));
	json_object_set_new(o, "due_us", d->due_us > 0 ? json_integer(d->due_us) : json_null());
	json_object_set_new(o, "days_left", d->due_us > 0 ? json_integer((d->due_us - x->c->now_us) / (86400LL * 1000000))
							  : json_null());
	json_object_set_new(o, "state", json_string(d->state));
	json_object_set_new(o, "open_findings", json_integer(d->open_findings));
	json_object_set_new(o, "overdue_findings", json_integer(d->overdue_findings));
	return json_array_append_new(x->arr, o) == 0 ? 0 : VG_ENOMEM;
}

typedef struct rec_ctx {
	vg_api_call *c;
	const sys_list *sys;
	json_t *arr;
} rec_ctx;

static json_t *rec_obj(const vg_assess_rec *r)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "system_id", json_integer(r->system_id));
	json_object_set_new(o, "date", time_json(r->date_us));
	json_object_set_new(o, "date_us", json_integer(r->date_us));
	json_object_set_new(o, "assessor", str_json(r->assessor));
	json_object_set_new(o, "summary", str_json(r->summary));
	json_object_set_new(o, "created", time_json(r->created_us));
	json_object_set_new(o, "created_by", str_json(r->created_by));
	return o;
}

static int rec_json(void *ud, const vg_assess_rec *r)
{
	rec_ctx *x = ud;
	if (!visible(x->c, x->sys, r->system_id))
		return 0;
	json_t *o = rec_obj(r);
	return o != NULL && json_array_append_new(x->arr, o) == 0 ? 0 : VG_ENOMEM;
}

static int query_id(vg_api_call *c, const char *name, int64_t *id)
{
	const char *s = vg_api_query(c, name);
	*id = -1;
	if (s == NULL)
		return 0;
	if (parse_id(s, id) == 0)
		return 0;
	vg_api_error(c, 400, "invalid", "%s: '%.32s' is not a system id", name, s);
	return VG_EINVAL;
}

static void h_schedule(void *ud, vg_api_call *c)
{
	vg_assess *a = ud;
	int64_t sid;
	const char *state = vg_api_query(c, "state");
	if (query_id(c, "system_id", &sid) != 0)
		return;
	if (state != NULL && strcmp(state, "overdue") != 0 && strcmp(state, "due_soon") != 0 &&
	    strcmp(state, "upcoming") != 0 && strcmp(state, "not_required") != 0) {
		vg_api_error(c, 400, "invalid", "state: must be overdue, due_soon, upcoming or not_required");
		return;
	}
	sys_list l;
	int rc = sys_load(a, &l);
	if (rc != 0) {
		fail(c, a, rc, "systems");
		return;
	}
	if (sid > 0 && (sys_find(&l, sid) == NULL || !visible(c, &l, sid))) {
		sys_free(&l);
		vg_api_error(c, 404, "not_found", "system_id: no system %lld", (long long)sid);
		return;
	}
	json_t *sched = json_array(), *recs = json_array();
	sched_ctx sx = {.c = c, .arr = sched, .state = state};
	rec_ctx rx = {.c = c, .sys = &l, .arr = recs};
	rc = sched == NULL || recs == NULL ? VG_ENOMEM : vg_assess_schedule(a, c->now_us, due_json, &sx);
	if (rc == 0)
		rc = vg_assess_list(a, sid, rec_json, &rx);
	sys_free(&l);
	if (rc != 0) {
		json_decref(sched);
		json_decref(recs);
		fail(c, a, rc, "assessments");
		return;
	}
	if (sid >= 0) { /* only that system's schedule entry */
		size_t i = 0;
		while (i < json_array_size(sched)) {
			json_t *id = json_object_get(json_array_get(sched, i), "system_id");
			if (json_integer_value(id) != sid)
				json_array_remove(sched, i);
			else
				i++;
		}
	}
	json_t *o = json_object();
	json_object_set_new(o, "now", time_json(c->now_us));
	json_object_set_new(o, "schedule", sched);
	json_object_set_new(o, "assessments", recs);
	vg_api_json(c, 200, o);
}

/* Write access to a system's data: its unit must be visible. */
static int may_write(vg_api_call *c, vg_assess *a, int64_t system_id)
{
	if (system_id == VG_ASSESS_ORG)
		return c->who.unit[0] == '\0' || vg_auth_can_admin(&c->who) ? 0 : VG_EINVAL;
	sys_list l;
	int rc = sys_load(a, &l);
	if (rc != 0)
		return rc;
	const sys_row *s = sys_find(&l, system_id);
	rc = s == NULL ? 0 /* the module answers not found */ : vg_auth_unit_visible(&c->who, s->unit) ? 0 : VG_ENOTFOUND;
	sys_free(&l);
	return rc;
}

static int write_denied(vg_api_call *c, vg_assess *a, int64_t system_id)
{
	int rc = may_write(c, a, system_id);
	if (rc == 0)
		return 0;
	if (rc == VG_ENOTFOUND)
		vg_api_error(c, 404, "not_found", "system_id: no system %lld", (long long)system_id);
	else if (rc == VG_EINVAL)
		vg_api_error(c, 403, "forbidden", "system_id: the organisation's assessments need an unscoped user");
	else
		fail(c, a, rc, "systems");
	return 1;
}

static void h_record(void *ud, vg_api_call *c)
{
	vg_assess *a = ud;
	vg_assess_rec r = {.created_by = c->who.name};
	int64_t sid;
	if (vg_api_int(c, "system_id", 1, 0, INT64_MAX, &sid) != 0 || body_time(c, "date", 1, NULL, &r.date_us) != 0 ||
	    vg_api_str(c, "assessor", 1, VG_ASSESS_NAME_MAX, &r.assessor) != 0 ||
	    vg_api_str(c, "summary", 0, VG_ASSESS_TEXT_MAX, &r.summary) != 0)
		return;
	r.system_id = sid;
	if (r.date_us > c->now_us + 86400LL * 1000000) {
		vg_api_error(c, 400, "invalid", "date: an assessment cannot be recorded in the future");
		return;
	}
	if (write_denied(c, a, sid))
		return;
	int rc;
	const char *field = NULL;
	int64_t id = 0;
	if ((rc = vg_api_begin(c)) != 0) {
		fail(c, a, rc, "begin");
		return;
	}
	rc = vg_assess_record(a, &r, c->now_us, &id, &field);
	if (rc == 0) {
		char ids[32];
		snprintf(ids, sizeof(ids), "%lld", (long long)id);
		json_t *d = json_pack("{s:I, s:I}", "system_id", (json_int_t)sid, "date_us", (json_int_t)r.date_us);
		rc = vg_api_audit(c, "assessment.record", "assessment", ids, d);
		json_decref(d);
		if (rc == 0)
			rc = vg_api_commit(c);
		if (rc != 0) {
			vg_api_rollback(c);
			fail(c, a, rc, "assessment");
			return;
		}
		r.id = id;
		r.created_us = c->now_us;
		vg_api_json(c, 201, rec_obj(&r));
		return;
	}
	vg_api_rollback(c);
	if (field != NULL)
		field_error(c, rc, field);
	else
		fail(c, a, rc, "assessment");
}

static json_t *finding_obj(const vg_assess_finding *f)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "system_id", json_integer(f->system_id));
	json_object_set_new(o, "assessment_id", f->assessment_id > 0 ? json_integer(f->assessment_id) : json_null());
	json_object_set_new(o, "title", str_json(f->title));
	json_object_set_new(o, "severity", str_json(f->severity));
	json_object_set_new(o, "state", str_json(f->state));
	json_object_set_new(o, "owner", str_json(f->owner));
	json_object_set_new(o, "due", time_json(f->due_us));
	json_object_set_new(o, "overdue", json_boolean(f->overdue));
	json_object_set_new(o, "description", str_json(f->description));
	json_object_set_new(o, "note", str_json(f->note));
	json_object_set_new(o, "created", time_json(f->created_us));
	json_object_set_new(o, "updated", time_json(f->updated_us));
	json_object_set_new(o, "closed", time_json(f->closed_us));
	json_object_set_new(o, "created_by", str_json(f->created_by));
	return o;
}

typedef struct find_ctx {
	vg_api_call *c;
	const sys_list *sys;
	json_t *arr;
} find_ctx;

static int finding_json(void *ud, const vg_assess_finding *f)
{
	find_ctx *x = ud;
	if (x->sys != NULL && !visible(x->c, x->sys, f->system_id))
		return 0;
	json_t *o = finding_obj(f);
	return o != NULL && json_array_append_new(x->arr, o) == 0 ? 0 : VG_ENOMEM;
}

static void h_findings(void *ud, vg_api_call *c)
{
	vg_assess *a = ud;
	vg_assess_filter f = {.state = vg_api_query(c, "state")};
	const char *ov = vg_api_query(c, "overdue");
	if (query_id(c, "system_id", &f.system_id) != 0)
		return;
	if (f.state != NULL && !state_ok(f.state)) {
		vg_api_error(c, 400, "invalid", "state: must be open, in_progress or closed");
		return;
	}
	f.overdue_only = ov != NULL && (strcmp(ov, "1") == 0 || strcmp(ov, "true") == 0);
	sys_list l;
	int rc = sys_load(a, &l);
	if (rc != 0) {
		fail(c, a, rc, "systems");
		return;
	}
	json_t *arr = json_array();
	find_ctx x = {.c = c, .sys = &l, .arr = arr};
	rc = arr == NULL ? VG_ENOMEM : vg_assess_finding_list(a, &f, c->now_us, finding_json, &x);
	sys_free(&l);
	if (rc != 0) {
		json_decref(arr);
		fail(c, a, rc, "findings");
		return;
	}
	vg_api_json(c, 200, json_pack("{s:o}", "findings", arr));
}

/* Reads the finding back (after a change) and answers with it. */
static void answer_finding(vg_api_call *c, vg_assess *a, int64_t id, int status)
{
	json_t *arr = json_array();
	find_ctx x = {.c = c, .arr = arr};
	if (arr != NULL && vg_assess_finding_get(a, id, c->now_us, finding_json, &x) == 0 && json_array_size(arr) == 1)
		vg_api_json(c, status, json_incref(json_array_get(arr, 0)));
	else
		vg_api_error(c, 500, "internal", "finding %lld: cannot read it back", (long long)id);
	json_decref(arr);
}

static void h_finding_add(void *ud, vg_api_call *c)
{
	vg_assess *a = ud;
	vg_assess_finding f = {.created_by = c->who.name};
	int64_t aid = 0;
	if (vg_api_int(c, "system_id", 1, 0, INT64_MAX, &f.system_id) != 0 ||
	    vg_api_int(c, "assessment_id", 0, 0, INT64_MAX, &aid) != 0 ||
	    vg_api_str(c, "title", 1, VG_ASSESS_NAME_MAX, &f.title) != 0 ||
	    vg_api_str(c, "severity", 1, 16, &f.severity) != 0 || vg_api_str(c, "state", 0, 16, &f.state) != 0 ||
	    vg_api_str(c, "owner", 0, VG_ASSESS_NAME_MAX, &f.owner) != 0 ||
	    body_time(c, "due", 0, NULL, &f.due_us) != 0 ||
	    vg_api_str(c, "description", 0, VG_ASSESS_TEXT_MAX, &f.description) != 0 ||
	    vg_api_str(c, "note", 0, VG_ASSESS_TEXT_MAX, &f.note) != 0)
		return;
	f.assessment_id = aid;
	if (write_denied(c, a, f.system_id))
		return;
	int rc;
	const char *field = NULL;
	int64_t id = 0;
	if ((rc = vg_api_begin(c)) != 0) {
		fail(c, a, rc, "begin");
		return;
	}
	rc = vg_assess_finding_add(a, &f, c->now_us, &id, &field);
	if (rc == 0) {
		char ids[32];
		snprintf(ids, sizeof(ids), "%lld", (long long)id);
		json_t *d = json_pack("{s:I, s:s}", "system_id", (json_int_t)f.system_id, "severity", f.severity);
		rc = vg_api_audit(c, "finding.add", "finding", ids, d);
		json_decref(d);
		if (rc == 0)
			rc = vg_api_commit(c);
		if (rc == 0) {
			answer_finding(c, a, id, 201);
			return;
		}
		field = NULL;
	}
	vg_api_rollback(c);
	if (field != NULL)
		field_error(c, rc, field);
	else
		fail(c, a, rc, "finding");
}

/* The finding's system, for visibility; VG_ENOTFOUND when there is none. */
static int finding_system(vg_assess *a, int64_t id, int64_t *sid)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&a->q, "SELECT system_id FROM assess_findings WHERE id = ?", &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	int sr = sqlite3_step(st);
	if (sr == SQLITE_ROW)
		*sid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return sr == SQLITE_ROW ? 0 : sr == SQLITE_DONE ? VG_ENOTFOUND : vg_db_mod_sqlfail(&a->q, sr, NULL);
}

/* The {id} of a finding route that the caller may see; answers 404. */
static int finding_target(vg_api_call *c, vg_assess *a, int64_t *id)
{
	int64_t sid = 0;
	int rc = parse_id(c->rest, id);
	if (rc == 0)
		rc = finding_system(a, *id, &sid);
	if (rc == 0) {
		sys_list l;
		if ((rc = sys_load(a, &l)) != 0) {
			fail(c, a, rc, "systems");
			return rc;
		}
		rc = visible(c, &l, sid) ? 0 : VG_ENOTFOUND;
		sys_free(&l);
	}
	if (rc == VG_EINVAL || rc == VG_ENOTFOUND)
		vg_api_error(c, 404, "not_found", "no finding '%.32s'", c->rest);
	else if (rc != 0)
		fail(c, a, rc, "finding");
	return rc;
}

static void h_finding_get(void *ud, vg_api_call *c)
{
	vg_assess *a = ud;
	int64_t id;
	if (finding_target(c, a, &id) == 0)
		answer_finding(c, a, id, 200);
}

static void h_finding_patch(void *ud, vg_api_call *c)
{
	vg_assess *a = ud;
	int64_t id;
	vg_assess_patch p = {0};
	if (finding_target(c, a, &id) != 0)
		return;
	if (vg_api_str(c, "state", 0, 16, &p.state) != 0 || vg_api_str(c, "owner", 0, VG_ASSESS_NAME_MAX, &p.owner) != 0 ||
	    vg_api_str(c, "title", 0, VG_ASSESS_NAME_MAX, &p.title) != 0 ||
	    vg_api_str(c, "severity", 0, 16, &p.severity) != 0 ||
	    vg_api_str(c, "description", 0, VG_ASSESS_TEXT_MAX, &p.description) != 0 ||
	    vg_api_str(c, "note", 0, VG_ASSESS_TEXT_MAX, &p.note) != 0 ||
	    body_time(c, "due", 0, &p.has_due, &p.due_us) != 0)
		return;
	int rc;
	const char *field = NULL;
	if ((rc = vg_api_begin(c)) != 0) {
		fail(c, a, rc, "begin");
		return;
	}
	rc = vg_assess_finding_update(a, id, &p, c->now_us, &field);
	if (rc == 0) {
		json_t *d = json_object();
		const char *keys[] = {"state", "owner", "title", "severity", "description", "note"};
		const char *vals[] = {p.state, p.owner, p.title, p.severity, NULL, NULL};
		for (size_t i = 0; i < 4; i++)
			if (vals[i] != NULL)
				json_object_set_new(d, keys[i], json_string(vals[i]));
		if (p.has_due)
			json_object_set_new(d, "due_us", json_integer(p.due_us));
		rc = vg_api_audit(c, "finding.update", "finding", c->rest, d);
		json_decref(d);
		if (rc == 0)
			rc = vg_api_commit(c);
		if (rc == 0) {
			answer_finding(c, a, id, 200);
			return;
		}
		field = NULL;
	}
	vg_api_rollback(c);
	if (field != NULL)
		field_error(c, rc, field);
	else
		fail(c, a, rc, "finding");
}

static void h_finding_delete(void *ud, vg_api_call *c)
{
	vg_assess *a = ud;
	int64_t id;
	if (finding_target(c, a, &id) != 0)
		return;
	int rc;
	if ((rc = vg_api_begin(c)) != 0) {
		fail(c, a, rc, "begin");
		return;
	}
	rc = vg_assess_finding_delete(a, id);
	if (rc == 0)
		rc = vg_api_audit(c, "finding.delete", "finding", c->rest, NULL);
	if (rc == 0)
		rc = vg_api_commit(c);
	if (rc != 0) {
		vg_api_rollback(c);
		fail(c, a, rc, "finding");
		return;
	}
	vg_api_json(c, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
}

int vg_assess_register_api(vg_assess *a, struct vg_api *api)
{
	int rc;
	if ((rc = vg_api_route(api, "GET", "/assessments", 0, VG_API_READ, h_schedule, a)) != 0 ||
	    (rc = vg_api_route(api, "POST", "/assessments", 0, VG_API_WRITE | VG_API_JSON_BODY, h_record, a)) != 0 ||
	    (rc = vg_api_route(api, "GET", "/assessments/findings", 0, VG_API_READ, h_findings, a)) != 0 ||
	    (rc = vg_api_route(api, "POST", "/assessments/findings", 0, VG_API_WRITE | VG_API_JSON_BODY, h_finding_add,
			       a)) != 0 ||
	    (rc = vg_api_route(api, "GET", "/assessments/findings/", 1, VG_API_READ, h_finding_get, a)) != 0 ||
	    (rc = vg_api_route(api, "PATCH", "/assessments/findings/", 1, VG_API_WRITE | VG_API_JSON_BODY,
			       h_finding_patch, a)) != 0 ||
	    (rc = vg_api_route(api, "DELETE", "/assessments/findings/", 1, VG_API_WRITE, h_finding_delete, a)) != 0)
		return rc;
	return 0;
}
