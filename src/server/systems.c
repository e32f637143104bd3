/* systems.c — the information systems registry: tables, document
 * validation (one field table drives defaults, checks and merging), the
 * attribution rule cache and activity recording. The REST handlers are in
 * the second half of the file. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/event.h"
#include "server/systems.h"

#define HOUR_US 3600000000LL

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE units ("
	" path TEXT PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" created_us INTEGER NOT NULL);"
	"CREATE TABLE systems ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" unit TEXT NOT NULL REFERENCES units(path),"
	" level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),"
	" plan_approved INTEGER NOT NULL DEFAULT 0,"
	" nationally_important INTEGER NOT NULL DEFAULT 0,"
	" doc TEXT NOT NULL CHECK (json_valid(doc)),"
	" created_us INTEGER NOT NULL,"
	" updated_us INTEGER NOT NULL);"
	"CREATE INDEX systems_unit ON systems(unit);"
	"CREATE TABLE hosts ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" ip TEXT NOT NULL DEFAULT '',"
	" created_us INTEGER NOT NULL);"
	"CREATE INDEX hosts_system ON hosts(system_id);"
	"CREATE TABLE attribution_rules ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" priority INTEGER NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('agent_id','hostname','cidr','syslog_source')),"
	" pattern TEXT NOT NULL,"
	" system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,"
	" created_us INTEGER NOT NULL);"
	"CREATE INDEX attribution_rules_system ON attribution_rules(system_id);"
	"CREATE TABLE activity_layers ("
	" system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,"
	" layer INTEGER NOT NULL,"
	" last_us INTEGER NOT NULL,"
	" PRIMARY KEY (system_id, layer)) WITHOUT ROWID;"
	"CREATE TABLE activity_hourly ("
	" system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,"
	" layer INTEGER NOT NULL,"
	" hour INTEGER NOT NULL,"
	" count INTEGER NOT NULL,"
	" PRIMARY KEY (system_id, layer, hour)) WITHOUT ROWID;"
	"CREATE INDEX activity_hourly_hour ON activity_hourly(hour);"
	"CREATE TABLE activity_sources ("
	" host TEXT NOT NULL,"
	" source_ip TEXT NOT NULL,"
	" agent_id TEXT NOT NULL,"
	" system_id INTEGER REFERENCES systems(id) ON DELETE SET NULL,"
	" input TEXT NOT NULL,"
	" layers INTEGER NOT NULL,"
	" first_us INTEGER NOT NULL,"
	" last_us INTEGER NOT NULL,"
	" count INTEGER NOT NULL,"
	" PRIMARY KEY (host, source_ip, agent_id));"
	"CREATE INDEX activity_sources_system ON activity_sources(system_id);",
};

/* A cached rule; declared hosts are cached as rules after the explicit ones. */
struct rule {
	int64_t id, sys;
	int kind, prio;
	int exact; /* a declared host: case-insensitive equality, not a glob */
	int family, bits;
	unsigned char net[16];
	char pattern[VG_SYSTEMS_PATTERN_MAX + 1];
};

struct vg_systems {
	vg_db *db;
	sqlite3 *sq;
	vg_db_mod q; /* statements and their failures ("database: ...") into err */
	char err[512];
	int status;
	int dirty; /* reload the rule cache before the next attribution */
	struct rule *rules;
	size_t nrules;
	int64_t pruned_us;
	/* called inside the savepoint of every change of a system (sharing: producers.h) */
	int (*change_fn)(void *ud, int64_t id, const json_t *before, const json_t *after, int64_t now_us);
	void *change_ud;
};

static int fail(vg_systems *s, int status, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(vg_systems *s, int status, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->status = status;
	return r;
}

const char *vg_systems_errmsg(const vg_systems *s)
{
	return s->err;
}

int vg_systems_err_status(const vg_systems *s)
{
	return s->status;
}

static int visible(const vg_principal *who, const char *unit)
{
	return who == NULL || vg_auth_unit_visible(who, unit);
}

/* ---- SQLite helpers: db.h's, with the HTTP status of a database failure ---- */

static int db_status(vg_systems *s, int r)
{
	if (r != 0)
		s->status = 500;
	return r;
}

static int sqlfail(vg_systems *s, int rc)
{
	return db_status(s, vg_db_mod_sqlfail(&s->q, rc, NULL));
}

static int prep(vg_systems *s, const char *sql, sqlite3_stmt **st)
{
	return db_status(s, vg_db_mod_prepare(&s->q, sql, st));
}

/* Steps a statement once (a row is no error) and finalises it. */
static int run(vg_systems *s, sqlite3_stmt *st)
{
	return db_status(s, vg_db_mod_step_done(&s->q, st, NULL));
}

/* A savepoint works inside the caller's transaction (the API's) and alone. */
static int sp_begin(vg_systems *s)
{
	return db_status(s, vg_db_mod_begin(&s->q));
}

static int sp_end(vg_systems *s, int r)
{
	return r != 0 ? vg_db_mod_end(&s->q, r) : db_status(s, vg_db_mod_end(&s->q, 0));
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t != NULL ? (const char *)t : "";
}

static int64_t count_rows(vg_systems *s, const char *sql, int64_t *n)
{
	sqlite3_stmt *st;
	int r = prep(s, sql, &st);
	if (r != 0)
		return r;
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqlfail(s, rc);
}

/* ---- lifecycle ---- */

vg_systems *vg_systems_open(vg_db *db, int *err)
{
	int r = vg_db_migrate_module(db, VG_SYSTEMS_MODULE, migrations, sizeof(migrations) / sizeof(migrations[0]));
	if (r != 0) {
		*err = r;
		return NULL;
	}
	vg_systems *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		*err = VG_ENOMEM;
		return NULL;
	}
	s->db = db;
	s->sq = vg_db_sqlite(db);
	s->q = (vg_db_mod){.db = db,
			   .msg = s->err,
			   .msg_len = sizeof(s->err),
			   .prefix = "database",
			   .savepoint = "vg_systems",
			   .eio_only = 1};
	s->dirty = 1;
	s->status = 500;
	return s;
}

void vg_systems_close(vg_systems *s)
{
	if (s == NULL)
		return;
	free(s->rules);
	free(s);
}

/* ---- values ---- */

/* UTF-8 text (jansson checked the encoding) without control characters. */
static int text_ok(const char *t, size_t max)
{
	size_t n = strnlen(t, max + 1);
	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			return 0;
	return 1;
}

/* An address into a 16-byte buffer (IPv4-mapped IPv6 becomes IPv4). */
static int parse_ip(const char *t, int *family, unsigned char out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, t, out) == 1) {
		*family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, t, out) != 1)
		return 0;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(out, mapped, 12) == 0) {
		memmove(out, out + 12, 4);
		memset(out + 4, 0, 12);
		*family = AF_INET;
		return 1;
	}
	*family = AF_INET6;
	return 1;
}

/* "ADDR" or "ADDR/BITS". */
static int parse_cidr(const char *t, int *family, unsigned char net[16], int *bits)
{
	char a[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(t, '/');
	size_t n = slash != NULL ? (size_t)(slash - t) : strlen(t);
	if (n == 0 || n >= INET6_ADDRSTRLEN)
		return 0;
	memcpy(a, t, n);
	a[n] = '\0';
	if (!parse_ip(a, family, net))
		return 0;
	int max = *family == AF_INET ? 32 : 128;
	*bits = max;
	if (slash != NULL) {
		const char *p = slash + 1;
		if (*p == '\0' || strlen(p) > 3)
			return 0;
		int v = 0;
		for (; *p != '\0'; p++) {
			if (!isdigit((unsigned char)*p))
				return 0;
			v = v * 10 + (*p - '0');
		}
		if (v > max)
			return 0;
		*bits = v;
	}
	return 1;
}

static int in_net(const struct rule *r, const char *ip)
{
	int fam;
	unsigned char a[16];
	if (ip == NULL || ip[0] == '\0' || !parse_ip(ip, &fam, a) || fam != r->family)
		return 0;
	int full = r->bits / 8, rest = r->bits % 8;
	if (memcmp(a, r->net, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (r->net[full] & mask);
}

/* "YYYY-MM-DD" with a real day. */
static int date_ok(const char *t)
{
	if (strlen(t) != 10 || t[4] != '-' || t[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)t[i]))
			return 0;
	int y = atoi(t), m = atoi(t + 5), d = atoi(t + 8);
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

static int domain_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '*' && c != '_')
			return 0;
	}
	return t[0] != '.' && t[0] != '-';
}

/* ---- the system document ---- */

enum ftype { F_NAME, F_TEXT, F_UNIT, F_LEVEL, F_BOOL, F_DATE, F_IPS, F_DOMAINS, F_STRLIST, F_OBJ, F_OBJLIST };

static const char *const contact_keys[] = {"unit", "name", "phone", "email", NULL};
static const char *const provider_keys[] = {"name", "contact_name", "phone", "email", NULL};
static const char *const contacts_keys[] = {"role", "name", "phone", "email", NULL};
static const char *const nc_keys[] = {"state", "since", NULL};

struct field {
	const char *name;
	int type;
	int required;
	const char *const *keys; /* F_OBJ, F_OBJLIST: the members allowed */
	const char *dflt;        /* JSON text of the default */
};

/* The members of a system document: one row drives the default, the check
 * and the merge (docs/systems.md describes each). */
static const struct field fields[] = {
	{"name", F_NAME, 1, NULL, NULL},
	{"description", F_TEXT, 0, NULL, "\"\""},
	{"unit", F_UNIT, 1, NULL, NULL},
	{"level", F_LEVEL, 1, NULL, NULL},
	{"level_reason", F_TEXT, 0, NULL, "\"\""},
	{"plan_approved", F_BOOL, 0, NULL, "false"},
	{"plan_approved_date", F_DATE, 0, NULL, "null"},
	{"public_ips", F_IPS, 0, NULL, "[]"},
	{"domains", F_DOMAINS, 0, NULL, "[]"},
	{"services", F_STRLIST, 0, NULL, "[]"},
	{"layer1_contact", F_OBJ, 0, contact_keys, "{}"},
	{"layer2_provider", F_OBJ, 0, provider_keys, "{}"},
	{"national_centre", F_OBJ, 0, nc_keys, "{\"state\":\"not_connected\",\"since\":null}"},
	{"nationally_important", F_BOOL, 0, NULL, "false"},
	{"contacts", F_OBJLIST, 0, contacts_keys, "[]"},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int key_allowed(const char *const *keys, const char *k)
{
	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], k) == 0)
			return 1;
	return 0;
}

static int check_obj(vg_systems *s, const struct field *f, const char *where, json_t *v)
{
	if (!json_is_object(v))
		return fail(s, 400, VG_EINVAL, "%s: must be an object", where);
	const char *k;
	json_t *m;
	json_object_foreach(v, k, m) {
		if (!key_allowed(f->keys, k))
			return fail(s, 400, VG_EINVAL, "%s.%s: unknown member", where, k);
		if (f->keys == nc_keys && strcmp(k, "state") == 0) {
			const char *t = json_string_value(m);
			if (t == NULL || (strcmp(t, "connected") != 0 && strcmp(t, "not_connected") != 0 &&
					  strcmp(t, "pending") != 0))
				return fail(s, 400, VG_EINVAL, "%s.state: must be connected, not_connected or pending",
					    where);
			continue;
		}
		if (f->keys == nc_keys && strcmp(k, "since") == 0) {
			if (!json_is_null(m) && (!json_is_string(m) || !date_ok(json_string_value(m))))
				return fail(s, 400, VG_EINVAL, "%s.since: must be a date YYYY-MM-DD or null", where);
			continue;
		}
		if (!json_is_string(m) || !text_ok(json_string_value(m), VG_SYSTEMS_TEXT_MAX))
			return fail(s, 400, VG_EINVAL, "%s.%s: must be text of at most %d bytes", where, k,
				    VG_SYSTEMS_TEXT_MAX);
		if (strcmp(k, "email") == 0 && json_string_length(m) > 0 && strchr(json_string_value(m), '@') == NULL)
			return fail(s, 400, VG_EINVAL, "%s.email: '%s' is not an e-mail address", where,
				    json_string_value(m));
	}
	if (f->keys == nc_keys && json_object_get(v, "state") == NULL)
		return fail(s, 400, VG_EINVAL, "%s.state: required", where);
	return 0;
}

static int unit_exists(vg_systems *s, const char *path, int *yes)
{
	sqlite3_stmt *st;
	int r = prep(s, "SELECT 1 FROM units WHERE path = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sqlfail(s, rc);
}

static int check_field(vg_systems *s, const struct field *f, json_t *v)
{
	const char *n = f->name;
	switch (f->type) {
	case F_NAME:
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    !text_ok(json_string_value(v), VG_SYSTEMS_NAME_MAX))
			return fail(s, 400, VG_EINVAL, "%s: must be non-empty text of at most %d bytes", n,
				    VG_SYSTEMS_NAME_MAX);
		return 0;
	case F_TEXT:
		if (!json_is_string(v) || !text_ok(json_string_value(v), VG_SYSTEMS_TEXT_MAX))
			return fail(s, 400, VG_EINVAL, "%s: must be text of at most %d bytes", n, VG_SYSTEMS_TEXT_MAX);
		return 0;
	case F_UNIT: {
		const char *t = json_string_value(v);
		if (t == NULL || !vg_auth_unit_valid(t))
			return fail(s, 400, VG_EINVAL, "%s: must be a unit path such as \"bo-x/cuc-y\"", n);
		int yes, r = unit_exists(s, t, &yes);
		if (r != 0)
			return r;
		return yes ? 0 : fail(s, 400, VG_EINVAL, "%s: unknown unit '%s'", n, t);
	}
	case F_LEVEL:
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5)
			return fail(s, 400, VG_EINVAL, "%s: must be an integer from 1 to 5", n);
		return 0;
	case F_BOOL:
		return json_is_boolean(v) ? 0 : fail(s, 400, VG_EINVAL, "%s: must be true or false", n);
	case F_DATE:
		if (!json_is_null(v) && (!json_is_string(v) || !date_ok(json_string_value(v))))
			return fail(s, 400, VG_EINVAL, "%s: must be a date YYYY-MM-DD or null", n);
		return 0;
	case F_IPS:
	case F_DOMAINS:
	case F_STRLIST:
	case F_OBJLIST: {
		if (!json_is_array(v))
			return fail(s, 400, VG_EINVAL, "%s: must be an array", n);
		if (json_array_size(v) > VG_SYSTEMS_LIST_MAX)
			return fail(s, 400, VG_ELIMIT, "%s: more than %d entries", n, VG_SYSTEMS_LIST_MAX);
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			char where[64];
			snprintf(where, sizeof(where), "%s[%zu]", n, i);
			if (f->type == F_OBJLIST) {
				int r = check_obj(s, f, where, e);
				if (r != 0)
					return r;
				continue;
			}
			const char *t = json_string_value(e);
			int fam, bits;
			unsigned char a[16];
			if (t == NULL || !text_ok(t, VG_SYSTEMS_NAME_MAX) || t[0] == '\0')
				return fail(s, 400, VG_EINVAL, "%s: must be non-empty text", where);
			if (f->type == F_IPS && !parse_cidr(t, &fam, a, &bits))
				return fail(s, 400, VG_EINVAL, "%s: '%s' is not an IPv4/IPv6 address or network", where, t);
			if (f->type == F_DOMAINS && !domain_ok(t))
				return fail(s, 400, VG_EINVAL, "%s: '%s' is not a domain name", where, t);
		}
		return 0;
	}
	case F_OBJ: return check_obj(s, f, n, v);
	default: return fail(s, 500, VG_EINVAL, "%s: bad field type", n);
	}
}

static const struct field *field_of(const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

/* The full document from `in` over `base` (NULL: the defaults). Read-only
 * members (id, created_us, updated_us) in `in` are ignored, so that a GET
 * answer can be sent back. */
static int build_doc(vg_systems *s, const json_t *in, const json_t *base, json_t **out)
{
	*out = NULL;
	if (!json_is_object(in))
		return fail(s, 400, VG_EINVAL, "the body must be a JSON object");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)in, k, v) {
		if (field_of(k) == NULL && strcmp(k, "id") != 0 && strcmp(k, "created_us") != 0 &&
		    strcmp(k, "updated_us") != 0)
			return fail(s, 400, VG_EINVAL, "%s: unknown member", k);
	}
	json_t *doc = json_object();
	if (doc == NULL)
		return fail(s, 500, VG_ENOMEM, "out of memory");
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		json_t *val = json_object_get(in, f->name);
		if (val == NULL && base != NULL)
			val = json_object_get(base, f->name);
		json_t *own = NULL;
		if (val == NULL) {
			if (f->required) {
				json_decref(doc);
				return fail(s, 400, VG_EINVAL, "%s: required", f->name);
			}
			own = json_loads(f->dflt, JSON_DECODE_ANY, NULL);
			val = own;
		}
		int r = val != NULL ? check_field(s, f, val) : fail(s, 500, VG_ENOMEM, "out of memory");
		if (r == 0 && json_object_set(doc, f->name, val) != 0)
			r = fail(s, 500, VG_ENOMEM, "out of memory");
		json_decref(own);
		if (r != 0) {
			json_decref(doc);
			return r;
		}
	}
	*out = doc;
	return 0;
}

/* Writes doc as system id (0: insert; *id gets the new one). */
static int store_doc(vg_systems *s, int64_t *id, json_t *doc, int64_t now_us)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		return fail(s, 500, VG_ENOMEM, "out of memory");
	const char *name = json_string_value(json_object_get(doc, "name"));
	sqlite3_stmt *st;
	int r = prep(s,
		     *id == 0 ? "INSERT INTO systems (name, unit, level, plan_approved, nationally_important, doc,"
				" created_us, updated_us, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, NULL)"
			      : "UPDATE systems SET name = ?1, unit = ?2, level = ?3, plan_approved = ?4,"
				" nationally_important = ?5, doc = ?6, updated_us = ?7 WHERE id = ?8",
		     &st);
	if (r != 0) {
		free(text);
		return r;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(doc, "unit")), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(doc, "level")));
	sqlite3_bind_int(st, 4, json_is_true(json_object_get(doc, "plan_approved")));
	sqlite3_bind_int(st, 5, json_is_true(json_object_get(doc, "nationally_important")));
	sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now_us);
	if (*id != 0)
		sqlite3_bind_int64(st, 8, *id);
	int rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		r = fail(s, 409, VG_EINVAL, "name: a system named '%s' exists", name);
	else if (rc != SQLITE_DONE)
		r = sqlfail(s, rc);
	else if (*id == 0)
		*id = sqlite3_last_insert_rowid(s->sq);
	sqlite3_finalize(st);
	free(text);
	return r;
}

/* The stored document of id with its read-only members; VG_ENOTFOUND. */
static int load_doc(vg_systems *s, int64_t id, json_t **out)
{
	*out = NULL;
	sqlite3_stmt *st;
	int r = prep(s, "SELECT doc, created_us, updated_us FROM systems WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		json_t *doc = json_loads(col_text(st, 0), 0, NULL);
		if (doc == NULL || json_object_set_new(doc, "id", json_integer(id)) != 0 ||
		    json_object_set_new(doc, "created_us", json_integer(sqlite3_column_int64(st, 1))) != 0 ||
		    json_object_set_new(doc, "updated_us", json_integer(sqlite3_column_int64(st, 2))) != 0) {
			json_decref(doc);
			r = fail(s, 500, VG_EIO, "system %lld: stored document unreadable", (long long)id);
		} else {
			*out = doc;
		}
	} else if (rc == SQLITE_DONE) {
		r = fail(s, 404, VG_ENOTFOUND, "no system %lld", (long long)id);
	} else {
		r = sqlfail(s, rc);
	}
	sqlite3_finalize(st);
	return r;
}

void vg_systems_set_change_hook(vg_systems *s,
				int (*fn)(void *ud, int64_t id, const json_t *before, const json_t *after, int64_t now_us),
				void *ud)
{
	s->change_fn = fn;
	s->change_ud = ud;
}

static int changed(vg_systems *s, int64_t id, const json_t *before, const json_t *after, int64_t now_us)
{
	if (s->change_fn == NULL)
		return 0;
	int r = s->change_fn(s->change_ud, id, before, after, now_us);
	return r == 0 ? 0 : fail(s, 500, r, "system %lld: sharing could not record the change", (long long)id);
}

int vg_systems_create(vg_systems *s, const json_t *in, int64_t now_us, int64_t *id)
{
	int64_t n;
	int r = count_rows(s, "SELECT count(*) FROM systems", &n);
	if (r != 0)
		return r;
	if (n >= VG_SYSTEMS_MAX)
		return fail(s, 400, VG_ELIMIT, "the registry holds %d systems already", VG_SYSTEMS_MAX);
	json_t *doc;
	if ((r = build_doc(s, in, NULL, &doc)) != 0)
		return r;
	int64_t nid = 0;
	if ((r = sp_begin(s)) == 0) {
		if ((r = store_doc(s, &nid, doc, now_us)) == 0)
			r = changed(s, nid, NULL, doc, now_us);
		r = sp_end(s, r);
	}
	json_decref(doc);
	if (r == 0)
		*id = nid;
	return r;
}

int vg_systems_update(vg_systems *s, int64_t id, const json_t *patch, int64_t now_us)
{
	json_t *base, *doc;
	int r = load_doc(s, id, &base);
	if (r != 0)
		return r;
	r = build_doc(s, patch, base, &doc);
	if (r != 0) {
		json_decref(base);
		return r;
	}
	if ((r = sp_begin(s)) == 0) {
		if ((r = store_doc(s, &id, doc, now_us)) == 0)
			r = changed(s, id, base, doc, now_us);
		r = sp_end(s, r);
	}
	json_decref(base);
	json_decref(doc);
	return r;
}

int vg_systems_delete(vg_systems *s, int64_t id)
{
	sqlite3_stmt *st;
	json_t *before = NULL;
	int r = s->change_fn != NULL ? load_doc(s, id, &before) : 0;
	if (r != 0)
		return r;
	if ((r = prep(s, "DELETE FROM systems WHERE id = ?", &st)) != 0) {
		json_decref(before);
		return r;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((r = sp_begin(s)) != 0) {
		sqlite3_finalize(st);
		json_decref(before);
		return r;
	}
	r = run(s, st);
	if (r == 0 && sqlite3_changes(s->sq) == 0)
		r = fail(s, 404, VG_ENOTFOUND, "no system %lld", (long long)id);
	if (r == 0)
		r = changed(s, id, before, NULL, 0); /* 0: the hook's clock */
	json_decref(before);
	s->dirty = 1;
	return sp_end(s, r);
}

int vg_systems_get(vg_systems *s, const vg_principal *who, int64_t id, json_t **out)
{
	json_t *doc;
	int r = load_doc(s, id, &doc);
	if (r != 0)
		return r;
	if (!visible(who, json_string_value(json_object_get(doc, "unit")))) {
		json_decref(doc);
		return fail(s, 404, VG_ENOTFOUND, "no system %lld", (long long)id);
	}
	*out = doc;
	return 0;
}

int vg_systems_unit_of(vg_systems *s, int64_t id, char *unit)
{
	sqlite3_stmt *st;
	int r = prep(s, "SELECT unit FROM systems WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(unit, VG_AUTH_UNIT_MAX + 1, "%s", col_text(st, 0));
	else
		r = rc == SQLITE_DONE ? fail(s, 404, VG_ENOTFOUND, "no system %lld", (long long)id) : sqlfail(s, rc);
	sqlite3_finalize(st);
	return r;
}

/* unit is U itself or below it */
static int under(const char *unit, const char *top)
{
	size_t n = strlen(top);
	return strncmp(unit, top, n) == 0 && (unit[n] == '\0' || unit[n] == '/');
}

int vg_systems_list(vg_systems *s, const vg_principal *who, const vg_systems_filter *f, json_t **out)
{
	*out = NULL;
	sqlite3_stmt *st;
	int r = prep(s,
		     "SELECT id, doc, created_us, updated_us, unit FROM systems WHERE ?1 = 0 OR level = ?1"
		     " ORDER BY level DESC, name, id",
		     &st);
	if (r != 0)
		return r;
	sqlite3_bind_int(st, 1, f != NULL ? f->level : 0);
	json_t *arr = json_array();
	int rc;
	while (arr != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *unit = col_text(st, 4);
		if (!visible(who, unit) || (f != NULL && f->unit != NULL && !under(unit, f->unit)))
			continue;
		json_t *doc = json_loads(col_text(st, 1), 0, NULL);
		if (doc == NULL)
			continue;
		json_object_set_new(doc, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(doc, "created_us", json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(doc, "updated_us", json_integer(sqlite3_column_int64(st, 3)));
		json_array_append_new(arr, doc);
	}
	sqlite3_finalize(st);
	if (arr == NULL)
		return fail(s, 500, VG_ENOMEM, "out of memory");
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return sqlfail(s, rc);
	}
	*out = json_pack("{s:o}", "systems", arr);
	return *out != NULL ? 0 : fail(s, 500, VG_ENOMEM, "out of memory");
}

/* ---- units ---- */

static int unit_args(vg_systems *s, const char *path, const char *name)
{
	if (path == NULL || !vg_auth_unit_valid(path))
		return fail(s, 400, VG_EINVAL, "path: '%s' is not a unit path (segments of [A-Za-z0-9._-] joined by '/')",
			    path != NULL ? path : "");
	if (name == NULL || name[0] == '\0' || !text_ok(name, VG_SYSTEMS_NAME_MAX))
		return fail(s, 400, VG_EINVAL, "name: must be non-empty text of at most %d bytes", VG_SYSTEMS_NAME_MAX);
	return 0;
}

int vg_systems_unit_add(vg_systems *s, const char *path, const char *name, int64_t now_us)
{
	int r = unit_args(s, path, name), yes;
	if (r != 0)
		return r;
	int64_t n;
	if ((r = count_rows(s, "SELECT count(*) FROM units", &n)) != 0)
		return r;
	if (n >= VG_SYSTEMS_MAX_UNITS)
		return fail(s, 400, VG_ELIMIT, "there are %d units already", VG_SYSTEMS_MAX_UNITS);
	const char *slash = strrchr(path, '/');
	if (slash != NULL) {
		char parent[VG_AUTH_UNIT_MAX + 1];
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
		if ((r = unit_exists(s, parent, &yes)) != 0)
			return r;
		if (!yes)
			return fail(s, 400, VG_EINVAL, "path: the parent unit '%s' does not exist", parent);
	}
	sqlite3_stmt *st;
	if ((r = prep(s, "INSERT INTO units (path, name, created_us) VALUES (?, ?, ?)", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_us);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return fail(s, 409, VG_EINVAL, "path: the unit '%s' exists", path);
	return rc == SQLITE_DONE ? 0 : sqlfail(s, rc);
}

int vg_systems_unit_rename(vg_systems *s, const char *path, const char *name)
{
	int r = unit_args(s, path, name);
	sqlite3_stmt *st;
	if (r != 0 || (r = prep(s, "UPDATE units SET name = ? WHERE path = ?", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	if ((r = run(s, st)) == 0 && sqlite3_changes(s->sq) == 0)
		r = fail(s, 404, VG_ENOTFOUND, "no unit '%s'", path);
	return r;
}

int vg_systems_unit_delete(vg_systems *s, const char *path)
{
	if (path == NULL || !vg_auth_unit_valid(path))
		return fail(s, 400, VG_EINVAL, "path: not a unit path");
	sqlite3_stmt *st;
	int r = prep(s,
		     "SELECT (SELECT count(*) FROM units WHERE path = ?1),"
		     " (SELECT count(*) FROM units WHERE substr(path, 1, length(?1) + 1) = ?1 || '/'),"
		     " (SELECT count(*) FROM systems WHERE unit = ?1)",
		     &st);
	if (r != 0)
		return r;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t here = sqlite3_column_int64(st, 0), kids = sqlite3_column_int64(st, 1),
		syst = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sqlfail(s, rc);
	if (here == 0)
		return fail(s, 404, VG_ENOTFOUND, "no unit '%s'", path);
	if (kids > 0 || syst > 0)
		return fail(s, 409, VG_EINVAL, "unit '%s' still has %lld child unit(s) and %lld system(s)", path,
			    (long long)kids, (long long)syst);
	if ((r = prep(s, "DELETE FROM units WHERE path = ?", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	return run(s, st);
}

int vg_systems_units(vg_systems *s, const vg_principal *who, json_t **out)
{
	*out = NULL;
	sqlite3_stmt *st;
	int r = prep(s, "SELECT path, name FROM units ORDER BY path", &st);
	if (r != 0)
		return r;
	json_t *arr = json_array();
	int rc;
	while (arr != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = col_text(st, 0);
		if (!visible(who, path))
			continue;
		const char *slash = strrchr(path, '/');
		json_t *parent = slash != NULL ? json_stringn(path, (size_t)(slash - path)) : json_null();
		json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", "path", path, "name", col_text(st, 1), "parent",
						     parent));
	}
	sqlite3_finalize(st);
	if (arr == NULL)
		return fail(s, 500, VG_ENOMEM, "out of memory");
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return sqlfail(s, rc);
	}
	*out = json_pack("{s:o}", "units", arr);
	return 0;
}

/* ---- rule cache and attribution ---- */

const char *vg_rule_kind_name(int kind)
{
	switch (kind) {
	case VG_RULE_AGENT: return "agent_id";
	case VG_RULE_HOSTNAME: return "hostname";
	case VG_RULE_CIDR: return "cidr";
	case VG_RULE_SYSLOG_SOURCE: return "syslog_source";
	default: return NULL;
	}
}

static int rule_kind(const char *t)
{
	for (int k = VG_RULE_AGENT; k <= VG_RULE_SYSLOG_SOURCE; k++)
		if (strcmp(t, vg_rule_kind_name(k)) == 0)
			return k;
	return 0;
}

/* Fills the parsed part of r from its kind and pattern; 0 if malformed. */
static int rule_compile(struct rule *r)
{
	if (r->kind == VG_RULE_CIDR || r->kind == VG_RULE_SYSLOG_SOURCE)
		return parse_cidr(r->pattern, &r->family, r->net, &r->bits);
	if (r->pattern[0] == '\0')
		return 0;
	for (const char *p = r->pattern; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int reload(vg_systems *s)
{
	int64_t nr, nh;
	int r;
	if ((r = count_rows(s, "SELECT count(*) FROM attribution_rules", &nr)) != 0 ||
	    (r = count_rows(s, "SELECT count(*) FROM hosts", &nh)) != 0)
		return r;
	size_t cap = (size_t)(nr + nh * 2);
	struct rule *v = calloc(cap != 0 ? cap : 1, sizeof(*v));
	if (v == NULL)
		return fail(s, 500, VG_ENOMEM, "out of memory");
	size_t n = 0;
	sqlite3_stmt *st;
	if ((r = prep(s, "SELECT id, system_id, kind, priority, pattern FROM attribution_rules ORDER BY priority, id",
		      &st)) != 0) {
		free(v);
		return r;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < cap) {
		struct rule *x = &v[n];
		x->id = sqlite3_column_int64(st, 0);
		x->sys = sqlite3_column_int64(st, 1);
		x->kind = rule_kind(col_text(st, 2));
		x->prio = sqlite3_column_int(st, 3);
		snprintf(x->pattern, sizeof(x->pattern), "%s", col_text(st, 4));
		if (x->kind != 0 && rule_compile(x))
			n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		free(v);
		return sqlfail(s, rc);
	}
	/* declared hosts: names first, then addresses */
	for (int pass = 0; pass < 2; pass++) {
		if ((r = prep(s, "SELECT id, system_id, name, ip FROM hosts ORDER BY id", &st)) != 0) {
			free(v);
			return r;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < cap) {
			struct rule *x = &v[n];
			memset(x, 0, sizeof(*x));
			x->sys = sqlite3_column_int64(st, 1);
			x->exact = 1;
			x->prio = pass == 0 ? 0x7ffffffe : 0x7fffffff;
			x->kind = pass == 0 ? VG_RULE_HOSTNAME : VG_RULE_CIDR;
			snprintf(x->pattern, sizeof(x->pattern), "%s", col_text(st, pass == 0 ? 2 : 3));
			if (x->pattern[0] != '\0' && rule_compile(x))
				n++;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			free(v);
			return sqlfail(s, rc);
		}
	}
	free(s->rules);
	s->rules = v;
	s->nrules = n;
	s->dirty = 0;
	return 0;
}

static int rule_match(const struct rule *r, const vg_activity *a)
{
	const char *host = a->host != NULL ? a->host : "";
	const char *src = a->source_ip != NULL ? a->source_ip : "";
	switch (r->kind) {
	case VG_RULE_AGENT:
		return a->agent_id != NULL && a->agent_id[0] != '\0' && fnmatch(r->pattern, a->agent_id, 0) == 0;
	case VG_RULE_HOSTNAME:
		if (host[0] == '\0')
			return 0;
		return r->exact ? strcasecmp(r->pattern, host) == 0 : fnmatch(r->pattern, host, FNM_CASEFOLD) == 0;
	case VG_RULE_CIDR: return in_net(r, host) || in_net(r, src);
	case VG_RULE_SYSLOG_SOURCE:
		return a->input != NULL && strncmp(a->input, "syslog", 6) == 0 && in_net(r, src);
	default: return 0;
	}
}

int64_t vg_systems_attribute(vg_systems *s, const vg_activity *a)
{
	if (s->dirty)
		(void)reload(s); /* on failure the previous rules stay */
	for (size_t i = 0; i < s->nrules; i++)
		if (rule_match(&s->rules[i], a))
			return s->rules[i].sys;
	return 0;
}

/* After a rule or host change: the known sources follow the new rules. */
static int reattribute(vg_systems *s)
{
	int r = reload(s);
	sqlite3_stmt *sel, *upd;
	if (r != 0 || (r = prep(s, "SELECT rowid, host, source_ip, agent_id, input FROM activity_sources", &sel)) != 0)
		return r;
	if ((r = prep(s, "UPDATE activity_sources SET system_id = ? WHERE rowid = ?", &upd)) != 0) {
		sqlite3_finalize(sel);
		return r;
	}
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		vg_activity a = {.host = col_text(sel, 1),
				 .source_ip = col_text(sel, 2),
				 .agent_id = col_text(sel, 3),
				 .input = col_text(sel, 4)};
		int64_t sys = vg_systems_attribute(s, &a);
		if (sys != 0)
			sqlite3_bind_int64(upd, 1, sys);
		else
			sqlite3_bind_null(upd, 1);
		sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
		int u = sqlite3_step(upd);
		sqlite3_reset(upd);
		if (u != SQLITE_DONE) {
			rc = u;
			break;
		}
	}
	r = rc == SQLITE_DONE ? 0 : sqlfail(s, rc);
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	s->dirty = 1; /* the caller's transaction may still roll back */
	return r;
}

static int system_exists(vg_systems *s, int64_t id)
{
	char unit[VG_AUTH_UNIT_MAX + 1];
	return vg_systems_unit_of(s, id, unit);
}

int vg_systems_rule_add(vg_systems *s, const vg_systems_rule *in, int64_t now_us, int64_t *id)
{
	struct rule x = {.kind = in->kind};
	const char *kn = vg_rule_kind_name(in->kind);
	if (kn == NULL)
		return fail(s, 400, VG_EINVAL, "kind: must be agent_id, hostname, cidr or syslog_source");
	if (in->pattern == NULL || strlen(in->pattern) > VG_SYSTEMS_PATTERN_MAX)
		return fail(s, 400, VG_EINVAL, "pattern: required, at most %d bytes", VG_SYSTEMS_PATTERN_MAX);
	snprintf(x.pattern, sizeof(x.pattern), "%s", in->pattern);
	if (!rule_compile(&x))
		return fail(s, 400, VG_EINVAL, "pattern: '%s' is not a valid %s pattern%s", in->pattern, kn,
			    in->kind == VG_RULE_CIDR || in->kind == VG_RULE_SYSLOG_SOURCE ? " (ADDRESS or ADDRESS/BITS)"
											    : "");
	if (in->priority < 0 || in->priority > 1000000)
		return fail(s, 400, VG_EINVAL, "priority: must be an integer from 0 to 1000000");
	int r = system_exists(s, in->system_id);
	if (r != 0)
		return r;
	int64_t n;
	if ((r = count_rows(s, "SELECT count(*) FROM attribution_rules", &n)) != 0)
		return r;
	if (n >= VG_SYSTEMS_MAX_RULES)
		return fail(s, 400, VG_ELIMIT, "there are %d attribution rules already", VG_SYSTEMS_MAX_RULES);
	sqlite3_stmt *st;
	if ((r = prep(s,
		      "INSERT INTO attribution_rules (priority, kind, pattern, system_id, created_us)"
		      " VALUES (?, ?, ?, ?, ?)",
		      &st)) != 0)
		return r;
	sqlite3_bind_int(st, 1, in->priority);
	sqlite3_bind_text(st, 2, kn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->pattern, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, in->system_id);
	sqlite3_bind_int64(st, 5, now_us);
	if ((r = sp_begin(s)) != 0) {
		sqlite3_finalize(st);
		return r;
	}
	r = run(s, st);
	int64_t nid = sqlite3_last_insert_rowid(s->sq);
	if (r == 0)
		r = reattribute(s);
	if ((r = sp_end(s, r)) == 0)
		*id = nid;
	s->dirty = 1;
	return r;
}

int vg_systems_rule_system(vg_systems *s, int64_t id, int64_t *system_id)
{
	sqlite3_stmt *st;
	int r = prep(s, "SELECT system_id FROM attribution_rules WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*system_id = sqlite3_column_int64(st, 0);
	else
		r = rc == SQLITE_DONE ? fail(s, 404, VG_ENOTFOUND, "no attribution rule %lld", (long long)id)
				      : sqlfail(s, rc);
	sqlite3_finalize(st);
	return r;
}

int vg_systems_rule_delete(vg_systems *s, int64_t id)
{
	sqlite3_stmt *st;
	int r = prep(s, "DELETE FROM attribution_rules WHERE id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if ((r = sp_begin(s)) != 0) {
		sqlite3_finalize(st);
		return r;
	}
	r = run(s, st);
	if (r == 0 && sqlite3_changes(s->sq) == 0)
		r = fail(s, 404, VG_ENOTFOUND, "no attribution rule %lld", (long long)id);
	if (r == 0)
		r = reattribute(s);
	s->dirty = 1;
	return sp_end(s, r);
}

int vg_systems_rules(vg_systems *s, const vg_principal *who, json_t **out)
{
	*out = NULL;
	sqlite3_stmt *st;
	int r = prep(s,
		     "SELECT r.id, r.priority, r.kind, r.pattern, r.system_id, s.name, s.unit"
		     " FROM attribution_rules r JOIN systems s ON s.id = r.system_id ORDER BY r.priority, r.id",
		     &st);
	if (r != 0)
		return r;
	json_t *arr = json_array();
	int rc;
	while (arr != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!visible(who, col_text(st, 6)))
			continue;
		json_array_append_new(arr, json_pack("{s:I,s:i,s:s,s:s,s:I,s:s}", "id",
						     (json_int_t)sqlite3_column_int64(st, 0), "priority",
						     sqlite3_column_int(st, 1), "kind", col_text(st, 2), "pattern",
						     col_text(st, 3), "system_id", (json_int_t)sqlite3_column_int64(st, 4),
						     "system", col_text(st, 5)));
	}
	sqlite3_finalize(st);
	if (arr == NULL)
		return fail(s, 500, VG_ENOMEM, "out of memory");
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return sqlfail(s, rc);
	}
	*out = json_pack("{s:o}", "rules", arr);
	return 0;
}

/* ---- hosts ---- */

static int hostname_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > VG_SYSTEMS_PATTERN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_' && c != ':')
			return 0;
	}
	return 1;
}

int vg_systems_host_add(vg_systems *s, int64_t sys, const char *name, const char *ip, int64_t now_us, int64_t *id)
{
	int fam;
	unsigned char a[16];
	if (name == NULL || !hostname_ok(name))
		return fail(s, 400, VG_EINVAL, "name: '%s' is not a host name ([A-Za-z0-9._:-], at most %d bytes)",
			    name != NULL ? name : "", VG_SYSTEMS_PATTERN_MAX);
	if (ip != NULL && ip[0] != '\0' && !parse_ip(ip, &fam, a))
		return fail(s, 400, VG_EINVAL, "ip: '%s' is not an IPv4 or IPv6 address", ip);
	int r = system_exists(s, sys);
	if (r != 0)
		return r;
	int64_t n;
	if ((r = count_rows(s, "SELECT count(*) FROM hosts", &n)) != 0)
		return r;
	if (n >= VG_SYSTEMS_MAX_HOSTS)
		return fail(s, 400, VG_ELIMIT, "there are %d hosts already", VG_SYSTEMS_MAX_HOSTS);
	sqlite3_stmt *st;
	if ((r = prep(s, "INSERT INTO hosts (system_id, name, ip, created_us) VALUES (?, ?, ?, ?)", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, sys);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ip != NULL ? ip : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_us);
	if ((r = sp_begin(s)) != 0) {
		sqlite3_finalize(st);
		return r;
	}
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		r = fail(s, 409, VG_EINVAL, "name: the host '%s' belongs to a system already", name);
	else if (rc != SQLITE_DONE)
		r = sqlfail(s, rc);
	int64_t nid = sqlite3_last_insert_rowid(s->sq);
	if (r == 0)
		r = reattribute(s);
	if ((r = sp_end(s, r)) == 0)
		*id = nid;
	s->dirty = 1;
	return r;
}

int vg_systems_host_delete(vg_systems *s, int64_t sys, int64_t host_id)
{
	sqlite3_stmt *st;
	int r = prep(s, "DELETE FROM hosts WHERE id = ? AND system_id = ?", &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_int64(st, 2, sys);
	if ((r = sp_begin(s)) != 0) {
		sqlite3_finalize(st);
		return r;
	}
	r = run(s, st);
	if (r == 0 && sqlite3_changes(s->sq) == 0)
		r = fail(s, 404, VG_ENOTFOUND, "no host %lld in system %lld", (long long)host_id, (long long)sys);
	if (r == 0)
		r = reattribute(s);
	s->dirty = 1;
	return sp_end(s, r);
}

int vg_systems_hosts(vg_systems *s, int64_t sys, json_t **out)
{
	*out = NULL;
	int r = system_exists(s, sys);
	sqlite3_stmt *st;
	if (r != 0 ||
	    (r = prep(s,
		      "SELECT h.id, h.name, h.ip,"
		      " (SELECT max(last_us) FROM activity_sources a WHERE a.host = h.name COLLATE NOCASE"
		      "   OR (h.ip <> '' AND (a.source_ip = h.ip OR a.host = h.ip))),"
		      " (SELECT total(count) FROM activity_sources a WHERE a.host = h.name COLLATE NOCASE"
		      "   OR (h.ip <> '' AND (a.source_ip = h.ip OR a.host = h.ip)))"
		      " FROM hosts h WHERE h.system_id = ? ORDER BY h.name",
		      &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, sys);
	json_t *arr = json_array();
	int rc;
	while (arr != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *seen = sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null()
									   : json_integer(sqlite3_column_int64(st, 3));
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:o,s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
						     "name", col_text(st, 1), "ip", col_text(st, 2), "last_seen_us", seen,
						     "events", (json_int_t)sqlite3_column_double(st, 4)));
	}
	sqlite3_finalize(st);
	if (arr == NULL)
		return fail(s, 500, VG_ENOMEM, "out of memory");
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return sqlfail(s, rc);
	}
	*out = json_pack("{s:I,s:o}", "system_id", (json_int_t)sys, "hosts", arr);
	return 0;
}

/* ---- activity ---- */

int vg_systems_record_activity(vg_systems *s, const vg_activity *a, size_t n, int64_t now_us)
{
	(void)now_us;
	static const char *const sql[] = {
		"INSERT INTO activity_layers (system_id, layer, last_us) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (system_id, layer) DO UPDATE SET last_us = max(last_us, excluded.last_us)",
		"INSERT INTO activity_hourly (system_id, layer, hour, count) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (system_id, layer, hour) DO UPDATE SET count = count + excluded.count",
		"INSERT INTO activity_sources (host, source_ip, agent_id, system_id, input, layers, first_us, last_us,"
		" count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT (host, source_ip, agent_id) DO UPDATE SET system_id = excluded.system_id,"
		" input = excluded.input, layers = layers | excluded.layers, first_us = min(first_us, excluded.first_us),"
		" last_us = max(last_us, excluded.last_us), count = count + excluded.count",
	};
	sqlite3_stmt *st[3] = {NULL, NULL, NULL};
	int r = 0;
	for (int i = 0; i < 3 && r == 0; i++)
		r = prep(s, sql[i], &st[i]);
	if (r == 0)
		r = sp_begin(s);
	if (r != 0) {
		for (int i = 0; i < 3; i++)
			sqlite3_finalize(st[i]);
		return r;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		const vg_activity *x = &a[i];
		int64_t sys = vg_systems_attribute(s, x);
		int64_t last = x->last_us, first = x->first_us != 0 ? x->first_us : x->last_us;
		int rc = SQLITE_DONE;
		if (sys != 0 && x->layer >= VG_LAYER_NETWORK && x->layer <= VG_LAYER_ENDPOINT) {
			sqlite3_bind_int64(st[0], 1, sys);
			sqlite3_bind_int(st[0], 2, x->layer);
			sqlite3_bind_int64(st[0], 3, last);
			rc = sqlite3_step(st[0]);
			sqlite3_reset(st[0]);
			if (rc == SQLITE_DONE) {
				sqlite3_bind_int64(st[1], 1, sys);
				sqlite3_bind_int(st[1], 2, x->layer);
				sqlite3_bind_int64(st[1], 3, last / HOUR_US);
				sqlite3_bind_int64(st[1], 4, (int64_t)x->count);
				rc = sqlite3_step(st[1]);
				sqlite3_reset(st[1]);
			}
		}
		if (rc == SQLITE_DONE) {
			sqlite3_bind_text(st[2], 1, x->host != NULL ? x->host : "", -1, SQLITE_STATIC);
			sqlite3_bind_text(st[2], 2, x->source_ip != NULL ? x->source_ip : "", -1, SQLITE_STATIC);
			sqlite3_bind_text(st[2], 3, x->agent_id != NULL ? x->agent_id : "", -1, SQLITE_STATIC);
			if (sys != 0)
				sqlite3_bind_int64(st[2], 4, sys);
			else
				sqlite3_bind_null(st[2], 4);
			sqlite3_bind_text(st[2], 5, x->input != NULL ? x->input : "", -1, SQLITE_STATIC);
			sqlite3_bind_int(st[2], 6, 1 << (x->layer <= VG_LAYER_ENDPOINT ? x->layer : 0));
			sqlite3_bind_int64(st[2], 7, first);
			sqlite3_bind_int64(st[2], 8, last);
			sqlite3_bind_int64(st[2], 9, (int64_t)x->count);
			rc = sqlite3_step(st[2]);
			sqlite3_reset(st[2]);
		}
		if (rc != SQLITE_DONE)
			r = sqlfail(s, rc);
	}
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(st[i]);
	return sp_end(s, r);
}

/* ---- activity batches ---- */

struct vg_activity_batch {
	vg_activity *v;
	char **strs; /* 4 per entry: host, source_ip, agent_id, input */
	size_t n, cap;
	uint64_t dropped;
};

vg_activity_batch *vg_activity_batch_new(void)
{
	return calloc(1, sizeof(vg_activity_batch));
}

static void batch_clear(vg_activity_batch *b)
{
	for (size_t i = 0; i < b->n * 4; i++)
		free(b->strs[i]);
	b->n = 0;
	b->dropped = 0;
}

void vg_activity_batch_free(vg_activity_batch *b)
{
	if (b == NULL)
		return;
	batch_clear(b);
	free(b->v);
	free(b->strs);
	free(b);
}

void vg_activity_batch_add(void *batch, const vg_activity *a)
{
	vg_activity_batch *b = batch;
	if (b->n >= VG_ACTIVITY_MAX_SOURCES) {
		b->dropped++;
		return;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap != 0 ? b->cap * 2 : 64;
		vg_activity *v = realloc(b->v, cap * sizeof(*v));
		if (v == NULL) {
			b->dropped++;
			return;
		}
		b->v = v;
		char **st = realloc(b->strs, cap * 4 * sizeof(*st));
		if (st == NULL) {
			b->dropped++;
			return;
		}
		b->strs = st;
		b->cap = cap;
	}
	const char *src[4] = {a->host, a->source_ip, a->agent_id, a->input};
	char **dst = b->strs + b->n * 4;
	for (int i = 0; i < 4; i++) {
		dst[i] = strdup(src[i] != NULL ? src[i] : "");
		if (dst[i] == NULL) {
			for (int j = 0; j < i; j++)
				free(dst[j]);
			b->dropped++;
			return;
		}
	}
	vg_activity *x = &b->v[b->n++];
	*x = *a;
	x->host = dst[0];
	x->source_ip = dst[1];
	x->agent_id = dst[2];
	x->input = dst[3];
}

size_t vg_activity_batch_len(const vg_activity_batch *b)
{
	return b->n;
}

uint64_t vg_activity_batch_dropped(const vg_activity_batch *b)
{
	return b->dropped;
}

int vg_systems_record_batch(vg_systems *s, vg_activity_batch *b, int64_t now_us)
{
	int r = b->n > 0 ? vg_systems_record_activity(s, b->v, b->n, now_us) : 0;
	batch_clear(b);
	return r;
}

int vg_systems_tick(vg_systems *s, int64_t now_us)
{
	if (now_us - s->pruned_us < 60 * 1000000LL && s->pruned_us != 0)
		return 0;
	s->pruned_us = now_us;
	sqlite3_stmt *a, *b;
	int r = prep(s, "DELETE FROM activity_hourly WHERE hour < ?", &a);
	if (r != 0)
		return r;
	sqlite3_bind_int64(a, 1, now_us / HOUR_US - VG_SYSTEMS_HOURLY_KEEP_H);
	if ((r = run(s, a)) != 0 || (r = prep(s, "DELETE FROM activity_sources WHERE last_us < ?", &b)) != 0)
		return r;
	sqlite3_bind_int64(b, 1, now_us - VG_SYSTEMS_SOURCE_KEEP_D * 86400LL * 1000000);
	return run(s, b);
}


/* ==== REST handlers (docs/openapi.yaml) ==== */

static void answer_err(vg_api_call *c, vg_systems *s, int r)
{
	int st = r == VG_ENOTFOUND ? 404 : r == VG_ENOMEM || r == VG_EIO ? 500 : vg_systems_err_status(s);
	if (st < 400 || st > 599)
		st = 400;
	const char *code = st == 404 ? "not_found" : st == 409 ? "conflict" : st == 403 ? "forbidden"
						     : st >= 500 ? "internal" : "invalid";
	vg_api_error(c, st, code, "%s", s->err[0] != '\0' ? s->err : vg_err_str(r));
}

static int begin(vg_api_call *c)
{
	if (vg_api_begin(c) == 0)
		return 0;
	vg_api_error(c, 500, "internal", "cannot start a transaction");
	return -1;
}

/* Audits, commits and answers a change (details and answer are stolen);
 * on any failure rolls back and answers the error. */
static void end(vg_api_call *c, vg_systems *s, int r, const char *action, const char *otype, const char *oid,
		json_t *details, int status, json_t *answer)
{
	if (r == 0) {
		int a = vg_api_audit(c, action, otype, oid, details);
		if (a != 0)
			r = fail(s, 500, a, "audit log: %s", vg_err_str(a));
	}
	json_decref(details);
	if (r == 0 && vg_api_commit(c) != 0)
		r = fail(s, 500, VG_EIO, "commit failed: %s", vg_db_errmsg(c->db));
	if (r != 0) {
		vg_api_rollback(c);
		json_decref(answer);
		s->dirty = 1;
		answer_err(c, s, r);
		return;
	}
	vg_api_json(c, status, answer != NULL ? answer : json_object());
}

/* A positive decimal id of at most 18 digits, the whole of [p, p+n). */
static int parse_id(const char *p, size_t n, int64_t *out)
{
	if (n == 0 || n > 18)
		return 0;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return v > 0;
}

/* rest = "ID" or "ID/WORD" or "ID/WORD/ID2": 1, 2 or 3 parts, 0 if malformed. */
static int split_rest(const char *rest, int64_t *id, const char **word, size_t *wlen, int64_t *id2)
{
	const char *a = strchr(rest, '/');
	if (!parse_id(rest, a != NULL ? (size_t)(a - rest) : strlen(rest), id))
		return 0;
	if (a == NULL)
		return 1;
	const char *w = a + 1, *b = strchr(w, '/');
	*word = w;
	*wlen = b != NULL ? (size_t)(b - w) : strlen(w);
	if (b == NULL)
		return *wlen > 0 ? 2 : 0;
	return parse_id(b + 1, strlen(b + 1), id2) ? 3 : 0;
}

static int is_word(const char *w, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(w, want, n) == 0;
}

static void id_text(int64_t id, char out[24])
{
	snprintf(out, 24, "%lld", (long long)id);
}

/* ---- units ---- */

static void h_units_get(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	json_t *out;
	int r = vg_systems_units(s, &c->who, &out);
	if (r != 0)
		answer_err(c, s, r);
	else
		vg_api_json(c, 200, out);
}

static void h_units_post(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	const char *path, *name;
	if (vg_api_str(c, "path", 1, VG_AUTH_UNIT_MAX, &path) != 0 || vg_api_str(c, "name", 1, VG_SYSTEMS_NAME_MAX, &name) != 0)
		return;
	if (begin(c) != 0)
		return;
	s->err[0] = '\0';
	int r = vg_systems_unit_add(s, path, name, c->now_us);
	end(c, s, r, "unit.create", "unit", path, json_pack("{s:s}", "name", name), 201,
	    json_pack("{s:s,s:s}", "path", path, "name", name));
}

static void h_units_patch(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	const char *name;
	if (vg_api_str(c, "name", 1, VG_SYSTEMS_NAME_MAX, &name) != 0 || begin(c) != 0)
		return;
	s->err[0] = '\0';
	int r = vg_systems_unit_rename(s, c->rest, name);
	end(c, s, r, "unit.update", "unit", c->rest, json_pack("{s:s}", "name", name), 200,
	    json_pack("{s:s,s:s}", "path", c->rest, "name", name));
}

static void h_units_delete(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	if (begin(c) != 0)
		return;
	s->err[0] = '\0';
	int r = vg_systems_unit_delete(s, c->rest);
	end(c, s, r, "unit.delete", "unit", c->rest, NULL, 200, json_pack("{s:s}", "deleted", c->rest));
}

/* ---- systems ---- */

static void h_systems_get(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	vg_systems_filter f = {0};
	const char *lv = vg_api_query(c, "level");
	if (lv != NULL) {
		if (strlen(lv) != 1 || lv[0] < '1' || lv[0] > '5') {
			vg_api_error(c, 400, "invalid", "level: must be an integer from 1 to 5");
			return;
		}
		f.level = lv[0] - '0';
	}
	f.unit = vg_api_query(c, "unit");
	if (f.unit != NULL && !vg_auth_unit_valid(f.unit)) {
		vg_api_error(c, 400, "invalid", "unit: not a unit path");
		return;
	}
	json_t *out;
	int r = vg_systems_list(s, &c->who, &f, &out);
	if (r != 0)
		answer_err(c, s, r);
	else
		vg_api_json(c, 200, out);
}

static void h_systems_post(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	const char *unit = json_string_value(json_object_get(c->body, "unit"));
	if (unit != NULL && !vg_auth_unit_visible(&c->who, unit)) {
		vg_api_error(c, 403, "forbidden", "unit: '%s' is outside your unit", unit);
		return;
	}
	if (begin(c) != 0)
		return;
	s->err[0] = '\0';
	int64_t id = 0;
	json_t *doc = NULL;
	int r = vg_systems_create(s, c->body, c->now_us, &id);
	if (r == 0)
		r = vg_systems_get(s, NULL, id, &doc);
	char ids[24];
	id_text(id, ids);
	end(c, s, r, "system.create", "system", ids,
	    r == 0 ? json_pack("{s:O,s:O,s:O}", "name", json_object_get(doc, "name"), "unit",
			       json_object_get(doc, "unit"), "level", json_object_get(doc, "level"))
		   : NULL,
	    201, doc);
}

static void h_system_get(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	int64_t id, id2;
	const char *w = NULL;
	size_t wl = 0;
	int parts = split_rest(c->rest, &id, &w, &wl, &id2);
	json_t *doc = NULL, *out = NULL;
	if (parts == 0 || (parts == 2 && !is_word(w, wl, "hosts")) || parts == 3) {
		vg_api_error(c, 404, "not_found", "no such resource: %s", c->rq->path);
		return;
	}
	s->err[0] = '\0';
	int r = vg_systems_get(s, &c->who, id, &doc);
	if (r == 0 && parts == 2) {
		json_decref(doc);
		r = vg_systems_hosts(s, id, &out);
		doc = out;
	}
	if (r != 0)
		answer_err(c, s, r);
	else
		vg_api_json(c, 200, doc);
}

static void h_system_patch(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	int64_t id, id2;
	const char *w = NULL;
	size_t wl = 0;
	if (split_rest(c->rest, &id, &w, &wl, &id2) != 1) {
		vg_api_error(c, 404, "not_found", "no such resource: %s", c->rq->path);
		return;
	}
	s->err[0] = '\0';
	json_t *doc = NULL;
	int r = vg_systems_get(s, &c->who, id, &doc);
	json_decref(doc);
	if (r != 0) {
		answer_err(c, s, r);
		return;
	}
	const char *unit = json_string_value(json_object_get(c->body, "unit"));
	if (unit != NULL && !vg_auth_unit_visible(&c->who, unit)) {
		vg_api_error(c, 403, "forbidden", "unit: '%s' is outside your unit", unit);
		return;
	}
	if (begin(c) != 0)
		return;
	doc = NULL;
	r = vg_systems_update(s, id, c->body, c->now_us);
	if (r == 0)
		r = vg_systems_get(s, NULL, id, &doc);
	char ids[24];
	id_text(id, ids);
	end(c, s, r, "system.update", "system", ids, json_incref(c->body), 200, doc);
}

static void h_system_delete(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	int64_t id, id2 = 0;
	const char *w = NULL;
	size_t wl = 0;
	int parts = split_rest(c->rest, &id, &w, &wl, &id2);
	if (parts == 0 || parts == 2 || (parts == 3 && !is_word(w, wl, "hosts"))) {
		vg_api_error(c, 404, "not_found", "no such resource: %s", c->rq->path);
		return;
	}
	s->err[0] = '\0';
	json_t *doc = NULL;
	int r = vg_systems_get(s, &c->who, id, &doc);
	if (r != 0) {
		answer_err(c, s, r);
		return;
	}
	json_t *details = json_pack("{s:O}", "name", json_object_get(doc, "name"));
	json_decref(doc);
	if (parts == 1 && !vg_auth_can_admin(&c->who)) {
		json_decref(details);
		vg_api_error(c, 403, "forbidden", "deleting a system needs the admin role");
		return;
	}
	if (begin(c) != 0) {
		json_decref(details);
		return;
	}
	char ids[24];
	if (parts == 1) {
		id_text(id, ids);
		r = vg_systems_delete(s, id);
		end(c, s, r, "system.delete", "system", ids, details, 200, json_pack("{s:I}", "deleted", (json_int_t)id));
		return;
	}
	id_text(id2, ids);
	json_object_set_new(details, "system_id", json_integer(id));
	r = vg_systems_host_delete(s, id, id2);
	end(c, s, r, "host.delete", "host", ids, details, 200, json_pack("{s:I}", "deleted", (json_int_t)id2));
}

static void h_system_post(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	int64_t id, id2;
	const char *w = NULL;
	size_t wl = 0;
	if (split_rest(c->rest, &id, &w, &wl, &id2) != 2 || !is_word(w, wl, "hosts")) {
		vg_api_error(c, 404, "not_found", "no such resource: %s", c->rq->path);
		return;
	}
	const char *name, *ip = NULL;
	if (vg_api_str(c, "name", 1, VG_SYSTEMS_PATTERN_MAX, &name) != 0 || vg_api_str(c, "ip", 0, 64, &ip) != 0)
		return;
	s->err[0] = '\0';
	json_t *doc = NULL;
	int r = vg_systems_get(s, &c->who, id, &doc);
	json_decref(doc);
	if (r != 0) {
		answer_err(c, s, r);
		return;
	}
	if (begin(c) != 0)
		return;
	int64_t hid = 0;
	r = vg_systems_host_add(s, id, name, ip, c->now_us, &hid);
	char ids[24];
	id_text(hid, ids);
	end(c, s, r, "host.create", "host", ids,
	    json_pack("{s:I,s:s,s:s}", "system_id", (json_int_t)id, "name", name, "ip", ip != NULL ? ip : ""), 201,
	    json_pack("{s:I,s:I,s:s,s:s}", "id", (json_int_t)hid, "system_id", (json_int_t)id, "name", name, "ip",
		      ip != NULL ? ip : ""));
}

/* ---- attribution rules ---- */

static void h_rules_get(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	json_t *out;
	int r = vg_systems_rules(s, &c->who, &out);
	if (r != 0)
		answer_err(c, s, r);
	else
		vg_api_json(c, 200, out);
}

/* 0 when system id exists and the caller may see it; else answered. */
static int system_visible(vg_api_call *c, vg_systems *s, int64_t id)
{
	char unit[VG_AUTH_UNIT_MAX + 1];
	int r = vg_systems_unit_of(s, id, unit);
	if (r == 0 && !vg_auth_unit_visible(&c->who, unit))
		r = fail(s, 404, VG_ENOTFOUND, "no system %lld", (long long)id);
	if (r != 0)
		answer_err(c, s, r);
	return r;
}

static void h_rules_post(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	const char *kind, *pattern;
	int64_t sys, prio = 100;
	if (vg_api_str(c, "kind", 1, 32, &kind) != 0 || vg_api_str(c, "pattern", 1, VG_SYSTEMS_PATTERN_MAX, &pattern) != 0 ||
	    vg_api_int(c, "system_id", 1, 1, INT64_MAX, &sys) != 0 || vg_api_int(c, "priority", 0, 0, 1000000, &prio) != 0)
		return;
	vg_systems_rule rl = {.kind = rule_kind(kind), .pattern = pattern, .system_id = sys, .priority = (int)prio};
	s->err[0] = '\0';
	if (system_visible(c, s, sys) != 0 || begin(c) != 0)
		return;
	int64_t id = 0;
	int r = vg_systems_rule_add(s, &rl, c->now_us, &id);
	char ids[24];
	id_text(id, ids);
	json_t *row = json_pack("{s:I,s:I,s:s,s:s,s:I}", "id", (json_int_t)id, "priority", (json_int_t)prio, "kind", kind,
				"pattern", pattern, "system_id", (json_int_t)sys);
	end(c, s, r, "attribution_rule.create", "attribution_rule", ids, json_incref(row), 201, row);
}

static void h_rules_delete(void *ud, vg_api_call *c)
{
	vg_systems *s = ud;
	int64_t id, sys;
	if (!parse_id(c->rest, strlen(c->rest), &id)) {
		vg_api_error(c, 404, "not_found", "no such resource: %s", c->rq->path);
		return;
	}
	s->err[0] = '\0';
	int r = vg_systems_rule_system(s, id, &sys);
	if (r != 0) {
		answer_err(c, s, r);
		return;
	}
	if (system_visible(c, s, sys) != 0 || begin(c) != 0)
		return;
	r = vg_systems_rule_delete(s, id);
	char ids[24];
	id_text(id, ids);
	end(c, s, r, "attribution_rule.delete", "attribution_rule", ids, json_pack("{s:I}", "system_id", (json_int_t)sys),
	    200, json_pack("{s:I}", "deleted", (json_int_t)id));
}

int vg_systems_register_api(vg_systems *s, vg_api *api)
{
	static const struct {
		const char *method, *path;
		int prefix, flags;
		vg_api_handler h;
	} routes[] = {
		{"GET", "/units", 0, VG_API_READ, h_units_get},
		{"POST", "/units", 0, VG_API_ADMIN | VG_API_JSON_BODY, h_units_post},
		{"PATCH", "/units/", 1, VG_API_ADMIN | VG_API_JSON_BODY, h_units_patch},
		{"DELETE", "/units/", 1, VG_API_ADMIN, h_units_delete},
		{"GET", "/systems", 0, VG_API_READ, h_systems_get},
		{"POST", "/systems", 0, VG_API_WRITE | VG_API_JSON_BODY, h_systems_post},
		{"GET", "/systems/", 1, VG_API_READ, h_system_get},
		{"PATCH", "/systems/", 1, VG_API_WRITE | VG_API_JSON_BODY, h_system_patch},
		{"DELETE", "/systems/", 1, VG_API_WRITE, h_system_delete},
		{"POST", "/systems/", 1, VG_API_WRITE | VG_API_JSON_BODY, h_system_post},
		{"GET", "/attribution-rules", 0, VG_API_READ, h_rules_get},
		{"POST", "/attribution-rules", 0, VG_API_WRITE | VG_API_JSON_BODY, h_rules_post},
		{"DELETE", "/attribution-rules/", 1, VG_API_WRITE, h_rules_delete},
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		int r = vg_api_route(api, routes[i].method, routes[i].path, routes[i].prefix, routes[i].flags, routes[i].h, s);
		if (r != 0)
			return r;
	}
	return 0;
}
