/* outbox.c — the sharing outbox in SQLite: schema, destinations and
 * policies, selection of alerts (and other streams) into per-destination
 * numbered items, acknowledgements and the status of each destination. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "scan/alert_json.h"
#include "share/outbox.h"
#include "share/sink.h"

static const char *const schema[] = {
	/* version 1 */
	"CREATE TABLE share_dest("
	" name TEXT PRIMARY KEY,"
	" config TEXT NOT NULL,"
	" enabled INTEGER NOT NULL DEFAULT 1,"
	" next_seq INTEGER NOT NULL DEFAULT 1,"  /* the seq the next item gets */
	" sent_seq INTEGER NOT NULL DEFAULT 0,"  /* highest acknowledged seq */
	" created_us INTEGER NOT NULL,"
	" last_success_us INTEGER,"
	" last_error TEXT,"
	" last_error_us INTEGER,"
	" failures INTEGER NOT NULL DEFAULT 0,"  /* consecutive failed attempts */
	" dropped INTEGER NOT NULL DEFAULT 0,"   /* items refused (outbox full): seq gaps */
	" last_drop_us INTEGER,"
	" last_heartbeat_us INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE share_policy("
	" dest TEXT PRIMARY KEY REFERENCES share_dest(name) ON DELETE CASCADE,"
	" policy TEXT NOT NULL,"
	" updated_us INTEGER NOT NULL);"
	"CREATE TABLE share_outbox("
	" dest TEXT NOT NULL REFERENCES share_dest(name) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" item_id TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" created_us INTEGER NOT NULL,"
	" payload TEXT NOT NULL,"
	" PRIMARY KEY(dest, seq)) WITHOUT ROWID;"
	"CREATE TABLE share_sent("
	" dest TEXT NOT NULL REFERENCES share_dest(name) ON DELETE CASCADE,"
	" minute INTEGER NOT NULL,"
	" n INTEGER NOT NULL,"
	" PRIMARY KEY(dest, minute)) WITHOUT ROWID;"
	"CREATE TABLE share_state(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	/* sharing starts now: the alerts already stored are not replayed */
	"INSERT INTO share_state SELECT 'alerts_hwm', COALESCE(MAX(id), 0) FROM alerts;",
	/* version 2: the events stream's throttled count, and a configuration
	 * version that every change of a destination or a policy bumps (the
	 * ingest reloads its event selection when it moves), whatever the path */
	"ALTER TABLE share_dest ADD COLUMN events_throttled INTEGER NOT NULL DEFAULT 0;"
	"INSERT OR IGNORE INTO share_state(key, value) VALUES('config_version', 1);"
	"CREATE TRIGGER share_dest_ins AFTER INSERT ON share_dest BEGIN"
	" UPDATE share_state SET value = value + 1 WHERE key = 'config_version'; END;"
	"CREATE TRIGGER share_dest_del AFTER DELETE ON share_dest BEGIN"
	" UPDATE share_state SET value = value + 1 WHERE key = 'config_version'; END;"
	"CREATE TRIGGER share_dest_upd AFTER UPDATE OF config, enabled ON share_dest BEGIN"
	" UPDATE share_state SET value = value + 1 WHERE key = 'config_version'; END;"
	"CREATE TRIGGER share_policy_ins AFTER INSERT ON share_policy BEGIN"
	" UPDATE share_state SET value = value + 1 WHERE key = 'config_version'; END;"
	"CREATE TRIGGER share_policy_upd AFTER UPDATE ON share_policy BEGIN"
	" UPDATE share_state SET value = value + 1 WHERE key = 'config_version'; END;",
};

struct vg_outbox {
	vg_db *db;
	sqlite3 *sql;
	const vg_share_keys *keys;
	char origin[256];
};

/* A destination as one enqueue call sees it. */
typedef struct dest_rt {
	char name[VG_OUTBOX_NAME_MAX + 1];
	vg_share_policy *pol;
	int64_t next_seq, backlog, first_drop;
	uint64_t max_items, dropped;
	int64_t hb_us, last_hb;
} dest_rt;

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
	if (why == NULL || n == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

const char *vg_outbox_errmsg(vg_outbox *ob)
{
	return sqlite3_errmsg(ob->sql);
}

static int sqerr(int rc)
{
	return rc == SQLITE_NOMEM ? VG_ENOMEM : VG_EIO;
}

static int prep(vg_outbox *ob, const char *q, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(ob->sql, q, -1, st, NULL) == SQLITE_OK ? 0 : sqerr(sqlite3_errcode(ob->sql));
}

/* Steps a statement that returns no row; finalises it. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqerr(rc);
}

static void text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Joins the caller's transaction or opens one (*own = 1). */
static int txn_begin(vg_outbox *ob, int *own)
{
	/* a transaction opened with raw SQL (a module's BEGIN) is joined too */
	*own = !vg_db_in_txn(ob->db) && sqlite3_get_autocommit(ob->sql);
	return *own ? vg_db_begin(ob->db) : 0;
}

static int txn_end(vg_outbox *ob, int own, int r)
{
	if (!own)
		return r;
	if (r != 0) {
		vg_db_rollback(ob->db);
		return r;
	}
	return vg_db_commit(ob->db);
}

int vg_outbox_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > VG_OUTBOX_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

vg_outbox *vg_outbox_open(vg_db *db, const vg_share_keys *keys, const vg_outbox_opts *o, int *err, char *why,
			  size_t whylen)
{
	vg_outbox *ob = calloc(1, sizeof(*ob));
	if (ob == NULL) {
		*err = VG_ENOMEM;
		return NULL;
	}
	ob->db = db;
	ob->sql = vg_db_sqlite(db);
	ob->keys = keys;
	if (o != NULL && o->origin != NULL)
		snprintf(ob->origin, sizeof(ob->origin), "%s", o->origin);
	else if (gethostname(ob->origin, sizeof(ob->origin) - 1) != 0)
		strcpy(ob->origin, "localhost");
	int r = vg_db_migrate_module(db, VG_OUTBOX_MODULE, schema, sizeof(schema) / sizeof(schema[0]));
	if (r != 0) {
		say(why, whylen, "sharing tables: %s", r == VG_EUNSUPPORTED ? "written by a newer vigil" : vg_db_errmsg(db));
		free(ob);
		*err = r;
		return NULL;
	}
	*err = 0;
	return ob;
}

void vg_outbox_close(vg_outbox *ob)
{
	free(ob);
}

/* ---- destinations ---- */

int vg_outbox_dest_add(vg_outbox *ob, const char *name, const char *config, const char *policy, char *why,
		       size_t whylen)
{
	if (!vg_outbox_name_valid(name)) {
		say(why, whylen, "destination name must be 1..%d of [a-z0-9_-]", VG_OUTBOX_NAME_MAX);
		return VG_EINVAL;
	}
	vg_sink_conf *c = malloc(sizeof(*c));
	if (c == NULL)
		return VG_ENOMEM;
	int r = vg_sink_conf_parse(config, strlen(config), c, why, whylen);
	json_t *cj = r == 0 ? vg_sink_conf_json(c) : NULL;
	free(c);
	if (r != 0)
		return r;
	char *ctext = cj ? json_dumps(cj, JSON_COMPACT) : NULL;
	json_decref(cj);
	vg_share_policy *p = NULL;
	char *ptext = NULL;
	if (ctext == NULL)
		return VG_ENOMEM;
	if ((r = vg_share_policy_parse(policy, policy ? strlen(policy) : 0, &p, why, whylen)) != 0) {
		free(ctext);
		return r;
	}
	json_t *pj = vg_share_policy_json(p);
	vg_share_policy_free(p);
	ptext = pj ? json_dumps(pj, JSON_COMPACT) : NULL;
	json_decref(pj);
	if (ptext == NULL) {
		free(ctext);
		return VG_ENOMEM;
	}
	int own;
	sqlite3_stmt *st = NULL;
	if ((r = txn_begin(ob, &own)) != 0)
		goto out;
	if ((r = prep(ob, "SELECT COUNT(*), SUM(name = ?1) FROM share_dest", &st)) != 0)
		goto end;
	text(st, 1, name);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = VG_EIO;
	} else if (sqlite3_column_int(st, 1) > 0) {
		say(why, whylen, "destination '%s' exists", name);
		r = VG_EINVAL;
	} else if (sqlite3_column_int(st, 0) >= VG_OUTBOX_MAX_DESTS) {
		say(why, whylen, "at most %d destinations", VG_OUTBOX_MAX_DESTS);
		r = VG_ELIMIT;
	}
	sqlite3_finalize(st);
	if (r != 0)
		goto end;
	int64_t now = 0;
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	if ((r = prep(ob, "INSERT INTO share_dest(name, config, created_us) VALUES(?1, ?2, ?3)", &st)) != 0)
		goto end;
	text(st, 1, name);
	text(st, 2, ctext);
	sqlite3_bind_int64(st, 3, now);
	if ((r = run(st)) != 0)
		goto end;
	if ((r = prep(ob, "INSERT INTO share_policy(dest, policy, updated_us) VALUES(?1, ?2, ?3)", &st)) != 0)
		goto end;
	text(st, 1, name);
	text(st, 2, ptext);
	sqlite3_bind_int64(st, 3, now);
	r = run(st);
end:
	if (r == VG_EIO)
		say(why, whylen, "%s", sqlite3_errmsg(ob->sql));
	r = txn_end(ob, own, r);
out:
	free(ctext);
	free(ptext);
	return r;
}

int vg_outbox_dest_remove(vg_outbox *ob, const char *name)
{
	sqlite3_stmt *st;
	int r = prep(ob, "DELETE FROM share_dest WHERE name = ?1", &st);
	if (r != 0)
		return r;
	text(st, 1, name);
	if ((r = run(st)) != 0)
		return r;
	return sqlite3_changes(ob->sql) == 1 ? 0 : VG_ENOTFOUND;
}

int vg_outbox_policy_set(vg_outbox *ob, const char *name, const char *policy, char *why, size_t whylen)
{
	vg_share_policy *p = NULL;
	int r = vg_share_policy_parse(policy, policy ? strlen(policy) : 0, &p, why, whylen);
	if (r != 0)
		return r;
	json_t *pj = vg_share_policy_json(p);
	vg_share_policy_free(p);
	char *ptext = pj ? json_dumps(pj, JSON_COMPACT) : NULL;
	json_decref(pj);
	if (ptext == NULL)
		return VG_ENOMEM;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	sqlite3_stmt *st;
	if ((r = prep(ob,
		      "INSERT INTO share_policy(dest, policy, updated_us) SELECT name, ?2, ?3 FROM share_dest "
		      "WHERE name = ?1 ON CONFLICT(dest) DO UPDATE SET policy = excluded.policy, "
		      "updated_us = excluded.updated_us",
		      &st)) == 0) {
		text(st, 1, name);
		text(st, 2, ptext);
		sqlite3_bind_int64(st, 3, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
		if ((r = run(st)) == 0 && sqlite3_changes(ob->sql) != 1) {
			say(why, whylen, "no destination '%s'", name);
			r = VG_ENOTFOUND;
		}
	}
	free(ptext);
	return r;
}

int vg_outbox_dests(vg_outbox *ob, json_t **out)
{
	*out = NULL;
	sqlite3_stmt *st;
	int r = prep(ob,
		     "SELECT d.name, d.config, p.policy, d.enabled FROM share_dest d "
		     "LEFT JOIN share_policy p ON p.dest = d.name ORDER BY d.name",
		     &st);
	if (r != 0)
		return r;
	json_t *a = json_array();
	int rc;
	while (a != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *pt = (const char *)sqlite3_column_text(st, 2);
		json_t *c = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		json_t *p = pt ? json_loads(pt, 0, NULL) : NULL;
		if (p == NULL) {
			vg_share_policy *dp = NULL;
			if (vg_share_policy_parse(NULL, 0, &dp, NULL, 0) == 0)
				p = vg_share_policy_json(dp);
			vg_share_policy_free(dp);
		}
		json_array_append_new(a, json_pack("{s:s,s:o*,s:o*,s:b}", "name", (const char *)sqlite3_column_text(st, 0),
						   "config", c, "policy", p, "enabled", sqlite3_column_int(st, 3)));
	}
	sqlite3_finalize(st);
	if (a == NULL)
		return VG_ENOMEM;
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return sqerr(rc);
	}
	*out = a;
	return 0;
}

/* ---- producing ---- */

static void dests_free(dest_rt *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vg_share_policy_free(d[i].pol);
}

/* The enabled destinations with their policies and backlogs (inside the
 * enqueue transaction, so the counts are exact). A destination whose stored
 * policy no longer parses selects nothing and says so. */
static int dests_load(vg_outbox *ob, dest_rt *d, size_t *n)
{
	*n = 0;
	sqlite3_stmt *st;
	int r = prep(ob,
		     "SELECT d.name, d.config, p.policy, d.next_seq, d.last_heartbeat_us, "
		     "(SELECT COUNT(*) FROM share_outbox o WHERE o.dest = d.name) "
		     "FROM share_dest d LEFT JOIN share_policy p ON p.dest = d.name WHERE d.enabled = 1 "
		     "ORDER BY d.name",
		     &st);
	if (r != 0)
		return r;
	vg_sink_conf *c = malloc(sizeof(*c));
	if (c == NULL) {
		sqlite3_finalize(st);
		return VG_ENOMEM;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < VG_OUTBOX_MAX_DESTS) {
		dest_rt *x = &d[*n];
		memset(x, 0, sizeof(*x));
		snprintf(x->name, sizeof(x->name), "%s", (const char *)sqlite3_column_text(st, 0));
		const char *ct = (const char *)sqlite3_column_text(st, 1);
		const char *pt = (const char *)sqlite3_column_text(st, 2);
		char why[256] = "";
		if (vg_sink_conf_parse(ct, strlen(ct), c, why, sizeof(why)) != 0 ||
		    vg_share_policy_parse(pt, pt ? strlen(pt) : 0, &x->pol, why, sizeof(why)) != 0) {
			fprintf(stderr, "vigil: sharing: destination %s: stored settings refused (%s): it selects nothing\n",
				x->name, why);
			continue;
		}
		x->max_items = c->max_items;
		x->hb_us = (int64_t)(c->heartbeat_s ? c->heartbeat_s : VG_SINK_DEFAULT_HEARTBEAT_S) * 1000000;
		x->next_seq = sqlite3_column_int64(st, 3);
		x->last_hb = sqlite3_column_int64(st, 4);
		x->backlog = sqlite3_column_int64(st, 5);
		(*n)++;
	}
	free(c);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		dests_free(d, *n);
		*n = 0;
		return sqerr(rc);
	}
	return 0;
}

/* Writes the new next_seq and drop counts, and says loudly what was refused. */
static int dests_save(vg_outbox *ob, dest_rt *d, size_t n, int64_t now_us)
{
	sqlite3_stmt *st;
	int r = prep(ob,
		     "UPDATE share_dest SET next_seq = ?2, dropped = dropped + ?3, "
		     "last_drop_us = CASE WHEN ?3 > 0 THEN ?4 ELSE last_drop_us END WHERE name = ?1",
		     &st);
	if (r != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		sqlite3_reset(st);
		text(st, 1, d[i].name);
		sqlite3_bind_int64(st, 2, d[i].next_seq);
		sqlite3_bind_int64(st, 3, (int64_t)d[i].dropped);
		sqlite3_bind_int64(st, 4, now_us);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = sqerr(sqlite3_errcode(ob->sql));
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n && r == 0; i++)
		if (d[i].dropped > 0)
			fprintf(stderr,
				"vigil: sharing: destination %s: OUTBOX FULL (%llu unsent items, max_items %llu): "
				"refused %llu item(s); seq %lld..%lld will never arrive\n",
				d[i].name, (unsigned long long)d[i].backlog, (unsigned long long)d[i].max_items,
				(unsigned long long)d[i].dropped, (long long)d[i].first_drop,
				(long long)d[i].next_seq - 1);
	return r;
}

/* Serialises the envelope of one item and inserts it (or counts it as
 * refused). data is borrowed. */
static int put_item(vg_outbox *ob, sqlite3_stmt *ins, dest_rt *d, const char *kind, const char *item_id,
		    json_t *data, int64_t now_us, vg_outbox_counts *c)
{
	int64_t seq = d->next_seq++;
	if ((uint64_t)d->backlog >= d->max_items) {
		if (d->dropped++ == 0)
			d->first_drop = seq;
		c->dropped++;
		return 0;
	}
	char ts[40];
	vg_format_ts(now_us, ts, sizeof(ts));
	json_t *env = json_pack("{s:i,s:s,s:I,s:s,s:s,s:s,s:O}", "v", 1, "id", item_id, "seq", (json_int_t)seq, "kind",
				kind, "origin", ob->origin, "created", ts, "data", data);
	if (env == NULL)
		return VG_ENOMEM;
	char *p = json_dumps(env, JSON_COMPACT);
	if (p != NULL && strlen(p) > VG_OUTBOX_MAX_PAYLOAD) {
		/* an item too large for any receiver is replaced by a stub: the id and
		 * the fact remain, the receiver can ask for the rest */
		free(p);
		json_object_set_new(env, "data", json_pack("{s:b,s:s}", "truncated", 1, "reason", "payload too large"));
		p = json_dumps(env, JSON_COMPACT);
	}
	json_decref(env);
	if (p == NULL)
		return VG_ENOMEM;
	sqlite3_reset(ins);
	text(ins, 1, d->name);
	sqlite3_bind_int64(ins, 2, seq);
	text(ins, 3, item_id);
	text(ins, 4, kind);
	sqlite3_bind_int64(ins, 5, now_us);
	sqlite3_bind_text(ins, 6, p, -1, free);
	if (sqlite3_step(ins) != SQLITE_DONE)
		return sqerr(sqlite3_errcode(ob->sql));
	d->backlog++;
	c->queued++;
	return 0;
}

/* Offers one document to one destination: its policy's redaction on a copy. */
static int offer_one(vg_outbox *ob, sqlite3_stmt *ins, dest_rt *d, const char *kind, const char *item_id,
		     const json_t *doc, int64_t now_us, vg_outbox_counts *c)
{
	json_t *copy = json_deep_copy(doc);
	int r = copy ? vg_share_policy_apply(d->pol, ob->keys, copy) : VG_ENOMEM;
	if (r == 0)
		r = put_item(ob, ins, d, kind, item_id, copy, now_us, c);
	json_decref(copy);
	return r;
}

/* Offers one document to every destination. */
static int offer(vg_outbox *ob, sqlite3_stmt *ins, dest_rt *d, size_t nd, unsigned stream, const char *kind,
		 const char *item_id, const vg_share_subject *s, const json_t *doc, int64_t now_us,
		 vg_outbox_counts *c)
{
	for (size_t i = 0; i < nd; i++) {
		if (!vg_share_policy_match(d[i].pol, stream, s))
			continue;
		int r = offer_one(ob, ins, &d[i], kind, item_id, doc, now_us, c);
		if (r != 0)
			return r;
	}
	return 0;
}

static const char ins_sql[] =
	"INSERT INTO share_outbox(dest, seq, item_id, kind, created_us, payload) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";

int vg_outbox_enqueue_alerts(vg_outbox *ob, int64_t now_us, vg_outbox_counts *c)
{
	memset(c, 0, sizeof(*c));
	dest_rt d[VG_OUTBOX_MAX_DESTS];
	size_t nd = 0;
	sqlite3_stmt *sel = NULL, *ins = NULL, *st = NULL;
	int own, r;
	if ((r = txn_begin(ob, &own)) != 0)
		return r;
	if ((r = prep(ob, "SELECT value FROM share_state WHERE key = 'alerts_hwm'", &st)) != 0)
		goto end;
	c->hwm = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if ((r = dests_load(ob, d, &nd)) != 0)
		goto end;
	if (nd == 0) {
		/* nobody to share with: the mark follows the newest alert (one
		 * index lookup, no row read), so a destination added later starts
		 * there and the ingest's commit stays cheap */
		if ((r = prep(ob, "SELECT COALESCE(MAX(id), 0) FROM alerts", &st)) != 0)
			goto end;
		int64_t max = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_finalize(st);
		if (max > c->hwm) {
			if ((r = prep(ob, "UPDATE share_state SET value = ?1 WHERE key = 'alerts_hwm'", &st)) != 0)
				goto end;
			sqlite3_bind_int64(st, 1, max);
			if ((r = run(st)) != 0)
				goto end;
			c->hwm = max;
		}
		goto end;
	}
	if ((r = prep(ob, ins_sql, &ins)) != 0 ||
	    (r = prep(ob, "SELECT id, host, doc FROM alerts WHERE id > ?1 ORDER BY id LIMIT ?2", &sel)) != 0)
		goto end;
	sqlite3_bind_int64(sel, 1, c->hwm);
	sqlite3_bind_int(sel, 2, VG_OUTBOX_ENQUEUE_BATCH);
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(sel, 0);
		c->scanned++;
		c->hwm = id;
		const char *doc = (const char *)sqlite3_column_blob(sel, 2);
		json_t *j = doc ? json_loadb(doc, (size_t)sqlite3_column_bytes(sel, 2), 0, NULL) : NULL;
		if (!json_is_object(j)) {
			json_decref(j);
			c->bad++;
			fprintf(stderr, "vigil: sharing: alert %lld: its document is not JSON; not shared\n", (long long)id);
			continue;
		}
		vg_share_subject s;
		vg_share_alert_subject(j, (const char *)sqlite3_column_text(sel, 1), &s);
		char item[VG_OUTBOX_ID_MAX + 1];
		snprintf(item, sizeof(item), "alert-%lld", (long long)id);
		r = offer(ob, ins, d, nd, VG_SHARE_ALERTS, "alert", item, &s, j, now_us, c);
		json_decref(j);
		if (r != 0)
			goto end;
	}
	if (rc != SQLITE_DONE) {
		r = sqerr(rc);
		goto end;
	}
	if (c->scanned > 0) {
		if ((r = prep(ob, "UPDATE share_state SET value = ?1 WHERE key = 'alerts_hwm'", &st)) != 0)
			goto end;
		sqlite3_bind_int64(st, 1, c->hwm);
		if ((r = run(st)) != 0 || (r = dests_save(ob, d, nd, now_us)) != 0)
			goto end;
	}
end:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	dests_free(d, nd);
	return txn_end(ob, own, r);
}

int vg_outbox_enqueue(vg_outbox *ob, unsigned stream, const char *kind, const char *item_id,
		      const vg_share_subject *s, const json_t *doc, int64_t now_us, vg_outbox_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (kind == NULL || strlen(kind) >= sizeof(((vg_outbox_item *)0)->kind) || item_id == NULL ||
	    strlen(item_id) == 0 || strlen(item_id) > VG_OUTBOX_ID_MAX || doc == NULL)
		return VG_EINVAL;
	dest_rt d[VG_OUTBOX_MAX_DESTS];
	size_t nd = 0;
	sqlite3_stmt *ins = NULL;
	int own, r;
	if ((r = txn_begin(ob, &own)) != 0)
		return r;
	if ((r = dests_load(ob, d, &nd)) != 0 || (r = prep(ob, ins_sql, &ins)) != 0)
		goto end;
	c->scanned = 1;
	if ((r = offer(ob, ins, d, nd, stream, kind, item_id, s, doc, now_us, c)) == 0)
		r = dests_save(ob, d, nd, now_us);
end:
	sqlite3_finalize(ins);
	dests_free(d, nd);
	return txn_end(ob, own, r);
}

int vg_outbox_heartbeat(vg_outbox *ob, int64_t now_us, int64_t interval_us, vg_outbox_counts *c)
{
	memset(c, 0, sizeof(*c));
	dest_rt d[VG_OUTBOX_MAX_DESTS];
	size_t nd = 0;
	sqlite3_stmt *ins = NULL, *st = NULL;
	int own, r;
	if ((r = txn_begin(ob, &own)) != 0)
		return r;
	if ((r = dests_load(ob, d, &nd)) != 0 || (r = prep(ob, ins_sql, &ins)) != 0)
		goto end;
	if ((r = prep(ob, "SELECT value FROM share_state WHERE key = 'alerts_hwm'", &st)) != 0)
		goto end;
	int64_t hwm = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if ((r = prep(ob, "UPDATE share_dest SET last_heartbeat_us = ?2 WHERE name = ?1", &st)) != 0)
		goto end;
	for (size_t i = 0; i < nd; i++) {
		int64_t iv = interval_us > 0 ? interval_us : d[i].hb_us;
		if (!(vg_share_policy_streams(d[i].pol) & VG_SHARE_HEARTBEATS) || now_us - d[i].last_hb < iv)
			continue;
		char item[VG_OUTBOX_ID_MAX + 1];
		snprintf(item, sizeof(item), "heartbeat-%lld", (long long)(now_us / 1000000));
		/* its own seq lets the receiver spot gaps even when no alert flows */
		json_t *data = json_pack("{s:s,s:I,s:I}", "status", "alive", "backlog", (json_int_t)d[i].backlog,
					 "alerts_hwm", (json_int_t)hwm);
		r = data ? put_item(ob, ins, &d[i], "heartbeat", item, data, now_us, c) : VG_ENOMEM;
		json_decref(data);
		if (r != 0)
			break;
		sqlite3_reset(st);
		text(st, 1, d[i].name);
		sqlite3_bind_int64(st, 2, now_us);
		if (sqlite3_step(st) != SQLITE_DONE) {
			r = sqerr(sqlite3_errcode(ob->sql));
			break;
		}
	}
	sqlite3_finalize(st);
	if (r == 0)
		r = dests_save(ob, d, nd, now_us);
end:
	sqlite3_finalize(ins);
	dests_free(d, nd);
	return txn_end(ob, own, r);
}

/* ---- the events stream ---- */

struct evdest {
	char name[VG_OUTBOX_NAME_MAX + 1];
	vg_share_policy *pol;
	unsigned rate;         /* events.max_per_second */
	int64_t sec;           /* the second being counted */
	unsigned used;         /* events selected in it */
	uint64_t unsaved;      /* throttled, not yet in share_dest */
	uint64_t saving;       /* throttled, written by the flush awaiting vg_outbox_evsel_done */
	uint64_t to_say;       /* throttled since the last stderr line */
	int64_t said_us;
};

/* One buffered event: this header, then id, host and doc, each NUL-ended. */
struct evhdr {
	uint32_t dests;
	uint32_t id_len, host_len, doc_len;
};

struct vg_outbox_evsel {
	vg_outbox *ob;
	sqlite3_stmt *ver;
	int64_t version;
	int loaded;
	struct evdest d[VG_OUTBOX_MAX_DESTS];
	size_t nd;
	vg_buf buf;
	size_t n;
	int64_t last_now_us;
};

vg_outbox_evsel *vg_outbox_evsel_new(vg_outbox *ob)
{
	vg_outbox_evsel *e = calloc(1, sizeof(*e));
	if (e != NULL)
		e->ob = ob;
	return e;
}

static void evsel_clear(vg_outbox_evsel *e)
{
	for (size_t i = 0; i < e->nd; i++)
		vg_share_policy_free(e->d[i].pol);
	e->nd = 0;
}

void vg_outbox_evsel_free(vg_outbox_evsel *e)
{
	if (e == NULL)
		return;
	evsel_clear(e);
	sqlite3_finalize(e->ver);
	vg_buf_free(&e->buf);
	free(e);
}

int vg_outbox_evsel_active(const vg_outbox_evsel *e)
{
	return e != NULL && e->nd > 0;
}

size_t vg_outbox_evsel_pending(const vg_outbox_evsel *e)
{
	return e->n;
}

int vg_outbox_evsel_dirty(const vg_outbox_evsel *e)
{
	if (e->n > 0)
		return 1;
	for (size_t i = 0; i < e->nd; i++)
		if (e->d[i].unsaved > 0)
			return 1;
	return 0;
}

int vg_outbox_evsel_refresh(vg_outbox_evsel *e)
{
	if (e->n > 0)
		return 0; /* buffered events name destinations by index: reload after their commit */
	if (e->ver == NULL && prep(e->ob, "SELECT value FROM share_state WHERE key = 'config_version'", &e->ver) != 0)
		return sqerr(sqlite3_errcode(e->ob->sql));
	int rc = sqlite3_step(e->ver);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(e->ver, 0) : 0;
	sqlite3_reset(e->ver);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqerr(rc);
	if (e->loaded && v == e->version)
		return 0;
	dest_rt d[VG_OUTBOX_MAX_DESTS];
	size_t nd = 0;
	int r = dests_load(e->ob, d, &nd);
	if (r != 0)
		return r;
	struct evdest nw[VG_OUTBOX_MAX_DESTS];
	size_t n = 0;
	for (size_t i = 0; i < nd; i++) {
		if (!(vg_share_policy_streams(d[i].pol) & VG_SHARE_EVENTS))
			continue;
		struct evdest *x = &nw[n++];
		memset(x, 0, sizeof(*x));
		memcpy(x->name, d[i].name, sizeof(x->name));
		x->pol = d[i].pol;
		d[i].pol = NULL;
		x->rate = vg_share_policy_event_rate(x->pol);
		for (size_t j = 0; j < e->nd; j++) { /* the counts of a destination still there carry over */
			if (strcmp(e->d[j].name, x->name) == 0) {
				x->sec = e->d[j].sec;
				x->used = e->d[j].used;
				x->unsaved = e->d[j].unsaved + e->d[j].saving;
				x->to_say = e->d[j].to_say;
				x->said_us = e->d[j].said_us;
			}
		}
	}
	dests_free(d, nd);
	evsel_clear(e);
	memcpy(e->d, nw, n * sizeof(nw[0]));
	e->nd = n;
	e->version = v;
	e->loaded = 1;
	return 0;
}

static void throttle_say(struct evdest *x, int64_t now_us, int force)
{
	if (x->to_say == 0 || (!force && x->said_us != 0 && now_us - x->said_us < VG_OUTBOX_THROTTLE_SAY_US))
		return;
	fprintf(stderr,
		"vigil: sharing: destination %s: %llu selected event(s) over events.max_per_second %u were not "
		"shared (events_throttled)\n",
		x->name, (unsigned long long)x->to_say, x->rate);
	x->to_say = 0;
	x->said_us = now_us;
}

static void throttle(struct evdest *x, int64_t now_us)
{
	x->unsaved++;
	x->to_say++;
	throttle_say(x, now_us, 0);
}

uint32_t vg_outbox_evsel_match(vg_outbox_evsel *e, const vg_share_subject *s, int64_t now_us)
{
	uint32_t m = 0;
	int64_t sec = now_us / 1000000;
	for (size_t i = 0; i < e->nd; i++) {
		struct evdest *x = &e->d[i];
		if (!vg_share_policy_match(x->pol, VG_SHARE_EVENTS, s))
			continue;
		if (x->sec != sec) {
			x->sec = sec;
			x->used = 0;
		}
		if (x->used >= x->rate) {
			throttle(x, now_us);
			continue;
		}
		x->used++;
		m |= 1u << i;
	}
	return m;
}

int vg_outbox_evsel_add(vg_outbox_evsel *e, const char *id, const char *host, const char *doc, size_t len,
			uint32_t dests, int64_t now_us)
{
	if (dests == 0)
		return 0;
	size_t il = strlen(id), hl = host != NULL ? strlen(host) : 0;
	if (il == 0 || il > VG_OUTBOX_ID_MAX || len > UINT32_MAX || hl > UINT32_MAX)
		return VG_EINVAL;
	struct evhdr h = {.dests = dests, .id_len = (uint32_t)il, .host_len = host ? (uint32_t)hl + 1 : 0,
			  .doc_len = (uint32_t)len};
	size_t need = sizeof(h) + il + 1 + h.host_len + len + 1;
	if (e->buf.len + need > VG_OUTBOX_EVSEL_MAX_BYTES) {
		for (size_t i = 0; i < e->nd; i++)
			if (dests & (1u << i))
				throttle(&e->d[i], now_us);
		return VG_ELIMIT;
	}
	size_t start = e->buf.len;
	int r = vg_buf_append(&e->buf, &h, sizeof(h));
	if (r == 0)
		r = vg_buf_append(&e->buf, id, il + 1);
	if (r == 0 && host != NULL)
		r = vg_buf_append(&e->buf, host, hl + 1);
	if (r == 0)
		r = vg_buf_append(&e->buf, doc, len);
	if (r == 0)
		r = vg_buf_append(&e->buf, "", 1);
	if (r != 0) {
		e->buf.len = start;
		return VG_ENOMEM;
	}
	e->n++;
	return 0;
}

int vg_outbox_evsel_flush(vg_outbox_evsel *e, int64_t now_us, vg_outbox_counts *c)
{
	memset(c, 0, sizeof(*c));
	int any = e->n > 0;
	for (size_t i = 0; i < e->nd && !any; i++)
		any = e->d[i].unsaved > 0;
	e->last_now_us = now_us;
	if (!any)
		return 0;
	vg_outbox *ob = e->ob;
	dest_rt d[VG_OUTBOX_MAX_DESTS];
	size_t nd = 0;
	int map[VG_OUTBOX_MAX_DESTS];
	sqlite3_stmt *ins = NULL, *st = NULL;
	int own, r;
	if ((r = txn_begin(ob, &own)) != 0)
		return r;
	if ((r = dests_load(ob, d, &nd)) != 0 || (r = prep(ob, ins_sql, &ins)) != 0)
		goto end;
	for (size_t i = 0; i < e->nd; i++) {
		map[i] = -1;
		for (size_t j = 0; j < nd; j++)
			if (strcmp(e->d[i].name, d[j].name) == 0)
				map[i] = (int)j;
	}
	size_t off = 0;
	while (off + sizeof(struct evhdr) <= e->buf.len) {
		struct evhdr h;
		memcpy(&h, e->buf.data + off, sizeof(h));
		const char *id = e->buf.data + off + sizeof(h);
		const char *host = h.host_len ? id + h.id_len + 1 : NULL;
		const char *doc = id + h.id_len + 1 + h.host_len;
		off += sizeof(h) + h.id_len + 1 + h.host_len + h.doc_len + 1;
		c->scanned++;
		json_t *j = json_loadb(doc, h.doc_len, 0, NULL);
		if (!json_is_object(j)) {
			json_decref(j);
			c->bad++;
			fprintf(stderr, "vigil: sharing: event %s: its document is not JSON; not shared\n", id);
			continue;
		}
		vg_share_subject s;
		vg_share_event_subject(j, host, &s);
		for (size_t i = 0; i < e->nd && r == 0; i++) {
			/* selected then, and still selected by the current policy */
			if (!(h.dests & (1u << i)) || map[i] < 0 || !vg_share_policy_match(d[map[i]].pol, VG_SHARE_EVENTS, &s))
				continue;
			r = offer_one(ob, ins, &d[map[i]], "event", id, j, now_us, c);
		}
		json_decref(j);
		if (r != 0)
			goto end;
	}
	if ((r = dests_save(ob, d, nd, now_us)) != 0)
		goto end;
	if ((r = prep(ob, "UPDATE share_dest SET events_throttled = events_throttled + ?2 WHERE name = ?1", &st)) != 0)
		goto end;
	for (size_t i = 0; i < e->nd && r == 0; i++) {
		if (e->d[i].unsaved == 0)
			continue;
		sqlite3_reset(st);
		text(st, 1, e->d[i].name);
		sqlite3_bind_int64(st, 2, (int64_t)e->d[i].unsaved);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = sqerr(sqlite3_errcode(ob->sql));
		e->d[i].saving += e->d[i].unsaved;
		e->d[i].unsaved = 0;
	}
	sqlite3_finalize(st);
end:
	sqlite3_finalize(ins);
	dests_free(d, nd);
	r = txn_end(ob, own, r);
	if (own)
		vg_outbox_evsel_done(e, r == 0);
	return r;
}

void vg_outbox_evsel_done(vg_outbox_evsel *e, int ok)
{
	e->buf.len = 0;
	e->n = 0;
	for (size_t i = 0; i < e->nd; i++) {
		if (!ok)
			e->d[i].unsaved += e->d[i].saving;
		e->d[i].saving = 0;
		throttle_say(&e->d[i], e->last_now_us, 0);
	}
}

/* ---- consuming ---- */

void vg_outbox_items_free(vg_outbox_item *items, size_t n)
{
	if (items == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(items[i].payload);
	free(items);
}

int vg_outbox_peek(vg_outbox *ob, const char *dest, size_t max, size_t max_bytes, vg_outbox_item **items,
		   size_t *n)
{
	*items = NULL;
	*n = 0;
	if (max == 0)
		return VG_EINVAL;
	sqlite3_stmt *st;
	int r = prep(ob,
		     "SELECT seq, created_us, item_id, kind, payload FROM share_outbox WHERE dest = ?1 "
		     "ORDER BY seq LIMIT ?2",
		     &st);
	if (r != 0)
		return r;
	text(st, 1, dest);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	vg_outbox_item *v = calloc(max < 1024 ? max : 1024, sizeof(*v));
	size_t cap = max < 1024 ? max : 1024, bytes = 0;
	int rc = SQLITE_NOMEM;
	while (v != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(st, 4);
		if (*n > 0 && bytes + len > max_bytes)
			break;
		if (*n == cap) {
			vg_outbox_item *nv = realloc(v, 2 * cap * sizeof(*v));
			if (nv == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
			cap *= 2;
		}
		vg_outbox_item *it = &v[*n];
		memset(it, 0, sizeof(*it));
		it->seq = sqlite3_column_int64(st, 0);
		it->created_us = sqlite3_column_int64(st, 1);
		snprintf(it->item_id, sizeof(it->item_id), "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(it->kind, sizeof(it->kind), "%s", (const char *)sqlite3_column_text(st, 3));
		it->payload = malloc(len + 1);
		if (it->payload == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		memcpy(it->payload, sqlite3_column_text(st, 4), len);
		it->payload[len] = '\0';
		it->len = len;
		bytes += len;
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		vg_outbox_items_free(v, *n);
		*n = 0;
		return sqerr(rc);
	}
	if (*n == 0) {
		free(v);
		v = NULL;
	}
	*items = v;
	return 0;
}

int vg_outbox_ack(vg_outbox *ob, const char *dest, int64_t upto_seq, size_t n, int64_t now_us)
{
	int own, r;
	sqlite3_stmt *st;
	int64_t minute = now_us / 60000000;
	if ((r = txn_begin(ob, &own)) != 0)
		return r;
	if ((r = prep(ob, "DELETE FROM share_outbox WHERE dest = ?1 AND seq <= ?2", &st)) != 0)
		goto end;
	text(st, 1, dest);
	sqlite3_bind_int64(st, 2, upto_seq);
	if ((r = run(st)) != 0)
		goto end;
	if ((r = prep(ob,
		      "UPDATE share_dest SET sent_seq = MAX(sent_seq, ?2), last_success_us = ?3, failures = 0 "
		      "WHERE name = ?1",
		      &st)) != 0)
		goto end;
	text(st, 1, dest);
	sqlite3_bind_int64(st, 2, upto_seq);
	sqlite3_bind_int64(st, 3, now_us);
	if ((r = run(st)) != 0)
		goto end;
	if (sqlite3_changes(ob->sql) != 1) {
		r = VG_ENOTFOUND;
		goto end;
	}
	if ((r = prep(ob,
		      "INSERT INTO share_sent(dest, minute, n) VALUES(?1, ?2, ?3) "
		      "ON CONFLICT(dest, minute) DO UPDATE SET n = n + excluded.n",
		      &st)) != 0)
		goto end;
	text(st, 1, dest);
	sqlite3_bind_int64(st, 2, minute);
	sqlite3_bind_int64(st, 3, (int64_t)n);
	if ((r = run(st)) != 0)
		goto end;
	if ((r = prep(ob, "DELETE FROM share_sent WHERE dest = ?1 AND minute <= ?2", &st)) != 0)
		goto end;
	text(st, 1, dest);
	sqlite3_bind_int64(st, 2, minute - 24 * 60);
	r = run(st);
end:
	return txn_end(ob, own, r);
}

int vg_outbox_fail(vg_outbox *ob, const char *dest, const char *error, int64_t now_us)
{
	sqlite3_stmt *st;
	int r = prep(ob,
		     "UPDATE share_dest SET last_error = ?2, last_error_us = ?3, failures = failures + 1 "
		     "WHERE name = ?1",
		     &st);
	if (r != 0)
		return r;
	text(st, 1, dest);
	text(st, 2, error);
	sqlite3_bind_int64(st, 3, now_us);
	if ((r = run(st)) != 0)
		return r;
	return sqlite3_changes(ob->sql) == 1 ? 0 : VG_ENOTFOUND;
}

/* ---- status ---- */

static json_t *ts_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	char ts[40];
	vg_format_ts(sqlite3_column_int64(st, col), ts, sizeof(ts));
	return json_string(ts);
}

int vg_outbox_status(vg_outbox *ob, int64_t now_us, json_t **out)
{
	*out = NULL;
	int64_t minute = now_us / 60000000;
	sqlite3_stmt *st;
	int r = prep(ob,
		     "SELECT d.name, d.config, d.next_seq - 1, d.sent_seq, d.last_success_us, d.last_error, "
		     "d.last_error_us, d.failures, d.dropped, d.last_drop_us, d.enabled, "
		     "(SELECT COUNT(*) FROM share_outbox o WHERE o.dest = d.name), "
		     "(SELECT MIN(created_us) FROM share_outbox o WHERE o.dest = d.name), "
		     "(SELECT COALESCE(SUM(n), 0) FROM share_sent s WHERE s.dest = d.name AND s.minute > ?1 - 60), "
		     "(SELECT COALESCE(SUM(n), 0) FROM share_sent s WHERE s.dest = d.name AND s.minute > ?1 - 1440), "
		     "(SELECT value FROM share_state WHERE key = 'alerts_hwm'), d.events_throttled "
		     "FROM share_dest d ORDER BY d.name",
		     &st);
	if (r != 0)
		return r;
	sqlite3_bind_int64(st, 1, minute);
	json_t *a = json_array(), *o = json_object();
	json_int_t hwm = 0;
	int rc = SQLITE_NOMEM;
	vg_sink_conf *c = malloc(sizeof(*c));
	while (a != NULL && o != NULL && c != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ct = (const char *)sqlite3_column_text(st, 1);
		const char *sink = "?", *peer = "";
		if (vg_sink_conf_parse(ct, strlen(ct), c, NULL, 0) == 0) {
			sink = c->type == VG_SINK_HTTPS   ? "https"
			       : c->type == VG_SINK_TAXII ? "taxii"
			       : c->format == VG_SINK_CEF ? "syslog-cef"
							  : "syslog-json";
			peer = c->type == VG_SINK_SYSLOG ? c->address : c->url;
		}
		json_t *lag = sqlite3_column_type(st, 12) == SQLITE_NULL
				      ? json_real(0)
				      : json_real((double)(now_us - sqlite3_column_int64(st, 12)) / 1e6);
		json_t *e = json_pack("{s:s,s:s,s:s,s:b,s:I,s:o,s:I,s:I,s:o,s:s?,s:o,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I}",
				      "name", (const char *)sqlite3_column_text(st, 0), "sink", sink, "peer", peer,
				      "enabled", sqlite3_column_int(st, 10), "backlog",
				      (json_int_t)sqlite3_column_int64(st, 11), "lag_s", lag, "last_seq",
				      (json_int_t)sqlite3_column_int64(st, 2), "acked_seq",
				      (json_int_t)sqlite3_column_int64(st, 3), "last_success", ts_or_null(st, 4),
				      "last_error", (const char *)sqlite3_column_text(st, 5), "last_error_at",
				      ts_or_null(st, 6), "failures", (json_int_t)sqlite3_column_int64(st, 7),
				      "sent_1h", (json_int_t)sqlite3_column_int64(st, 13), "sent_24h",
				      (json_int_t)sqlite3_column_int64(st, 14), "dropped",
				      (json_int_t)sqlite3_column_int64(st, 8), "gaps",
				      (json_int_t)sqlite3_column_int64(st, 8), "last_drop_at", ts_or_null(st, 9),
				      "max_items", (json_int_t)(c->max_items), "events_throttled",
				      (json_int_t)sqlite3_column_int64(st, 16));
		if (e == NULL || json_array_append_new(a, e) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		hwm = sqlite3_column_int64(st, 15);
	}
	free(c);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		json_decref(o);
		return sqerr(rc);
	}
	if (json_array_size(a) == 0 && prep(ob, "SELECT value FROM share_state WHERE key = 'alerts_hwm'", &st) == 0) {
		if (sqlite3_step(st) == SQLITE_ROW)
			hwm = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	json_object_set_new(o, "alerts_hwm", json_integer(hwm));
	json_object_set_new(o, "destinations", a);
	*out = o;
	return 0;
}
