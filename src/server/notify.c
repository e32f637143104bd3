/* notify.c — notifications of the person on duty: the outbox filled from new
 * high/critical alerts, delivery by webhook and SMTP through libcurl outside
 * the API lock, retries with back-off, the sender thread and the REST
 * routes. */
#include "server/notify.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "server/api.h"
#include "server/roster.h"

struct vg_notify {
	vg_db *db;
	sqlite3 *h;
	vg_db_mod q; /* statements; a failure is VG_EIO/VG_ENOMEM (vg_db_errmsg says why) */
	vg_roster *roster;
	/* sender thread */
	pthread_t thread;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, wake;
	atomic_int cancel; /* set by vg_notify_stop: abandon the round in progress */
	struct vg_api *api;
};

static const char *const notify_migrations[] = {
	/* 1: settings, high-water mark, outbox */
	"CREATE TABLE notify_settings ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" enabled INTEGER NOT NULL DEFAULT 1,"
	" min_level TEXT NOT NULL DEFAULT 'high' CHECK (min_level IN ('high', 'critical')),"
	" smtp_host TEXT NOT NULL DEFAULT '',"
	" smtp_port INTEGER NOT NULL DEFAULT 587,"
	" smtp_security TEXT NOT NULL DEFAULT 'starttls' CHECK (smtp_security IN ('none', 'starttls', 'tls')),"
	" smtp_user TEXT NOT NULL DEFAULT '',"
	" smtp_password TEXT NOT NULL DEFAULT '',"
	" mail_from TEXT NOT NULL DEFAULT '',"
	" link_base TEXT NOT NULL DEFAULT '',"
	" ca_file TEXT NOT NULL DEFAULT '',"
	" timeout_s INTEGER NOT NULL DEFAULT 10);"
	"INSERT INTO notify_settings (id) VALUES (1);"
	"CREATE TABLE notify_state ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" last_alert_id INTEGER NOT NULL);"
	/* start at the newest alert: only alerts from now on are notified */
	"INSERT INTO notify_state VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM alerts));"
	"CREATE TABLE notify_outbox ("
	" id INTEGER PRIMARY KEY,"
	" alert_id INTEGER," /* NULL for test messages */
	" kind TEXT NOT NULL CHECK (kind IN ('alert', 'test')),"
	" channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'none')),"
	" person TEXT,"
	" address TEXT,"
	" subject TEXT,"
	" body TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_us INTEGER NOT NULL,"
	" created_us INTEGER NOT NULL,"
	" sent_us INTEGER,"
	" last_error TEXT);"
	"CREATE UNIQUE INDEX notify_outbox_once ON notify_outbox(alert_id, channel, address)"
	" WHERE alert_id IS NOT NULL;"
	"CREATE INDEX notify_outbox_due ON notify_outbox(state, next_us);",
};

/* ---- open / close ---- */

vg_notify *vg_notify_open(vg_db *db, int *err)
{
	vg_notify *n = vg_db_module_new(db, VG_NOTIFY_MODULE, notify_migrations,
					sizeof(notify_migrations) / sizeof(notify_migrations[0]), sizeof(*n), err);
	if (n == NULL)
		return NULL;
	n->db = db;
	n->h = vg_db_sqlite(db);
	n->q = (vg_db_mod){.db = db, .eio_only = 1};
	if ((n->roster = vg_roster_open(db, err)) == NULL) {
		free(n);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		vg_roster_close(n->roster);
		free(n);
		*err = VG_ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	return n;
}

void vg_notify_close(vg_notify *n)
{
	if (n == NULL)
		return;
	vg_notify_stop(n);
	vg_roster_close(n->roster);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	curl_global_cleanup();
	free(n);
}

/* ---- SQL helpers ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s != NULL ? s : "";
}

/* ---- settings ---- */

#define SETTINGS_COLS                                                                                       \
	"enabled, min_level, smtp_host, smtp_port, smtp_security, smtp_user, smtp_password, mail_from, link_base," \
	" ca_file, timeout_s"

int vg_notify_settings_get(vg_notify *n, vg_notify_settings_fn fn, void *ud)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&n->q, "SELECT " SETTINGS_COLS " FROM notify_settings WHERE id = 1", &st);
	if (rc != 0)
		return rc;
	int sr = sqlite3_step(st);
	if (sr == SQLITE_ROW) {
		vg_notify_settings s = {
			.enabled = sqlite3_column_int(st, 0),
			.min_level = col_text(st, 1),
			.smtp_host = col_text(st, 2),
			.smtp_port = sqlite3_column_int(st, 3),
			.smtp_security = col_text(st, 4),
			.smtp_user = col_text(st, 5),
			.smtp_password = col_text(st, 6),
			.mail_from = col_text(st, 7),
			.link_base = col_text(st, 8),
			.ca_file = col_text(st, 9),
			.timeout_s = sqlite3_column_int(st, 10),
		};
		fn(ud, &s);
	}
	sqlite3_finalize(st);
	return sr == SQLITE_ROW ? 0 : sr == SQLITE_DONE ? VG_ENOTFOUND : vg_db_mod_sqlfail(&n->q, sr, NULL);
}

static int printable(const char *s, size_t max)
{
	if (strnlen(s, max + 1) > max)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int host_ok(const char *s)
{
	size_t n = strnlen(s, 254);
	if (n == 0 || n > 253)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr(".-:[]", *s) != NULL))
			return 0;
	return 1;
}

static int set_field(const char **field, const char *name)
{
	if (field != NULL)
		*field = name;
	return VG_EINVAL;
}

int vg_notify_settings_set(vg_notify *n, const vg_notify_settings_patch *p, const char **field)
{
	if (p->min_level != NULL && strcmp(p->min_level, "high") != 0 && strcmp(p->min_level, "critical") != 0)
		return set_field(field, "min_level");
	if (p->smtp_host != NULL && p->smtp_host[0] != '\0' && !host_ok(p->smtp_host))
		return set_field(field, "smtp_host");
	if (p->has_port && (p->smtp_port < 1 || p->smtp_port > 65535))
		return set_field(field, "smtp_port");
	if (p->smtp_security != NULL && strcmp(p->smtp_security, "none") != 0 &&
	    strcmp(p->smtp_security, "starttls") != 0 && strcmp(p->smtp_security, "tls") != 0)
		return set_field(field, "smtp_security");
	if (p->smtp_user != NULL && !printable(p->smtp_user, 256))
		return set_field(field, "smtp_user");
	if (p->smtp_password != NULL && !printable(p->smtp_password, VG_NOTIFY_SECRET_MAX))
		return set_field(field, "smtp_password");
	if (p->mail_from != NULL && p->mail_from[0] != '\0' && !vg_roster_email_ok(p->mail_from))
		return set_field(field, "mail_from");
	if (p->link_base != NULL && p->link_base[0] != '\0' && !vg_roster_url_ok(p->link_base))
		return set_field(field, "link_base");
	if (p->ca_file != NULL && p->ca_file[0] != '\0' && (p->ca_file[0] != '/' || !printable(p->ca_file, 4096)))
		return set_field(field, "ca_file");
	if (p->has_timeout && (p->timeout_s < 1 || p->timeout_s > 120))
		return set_field(field, "timeout_s");
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(&n->q,
				   "UPDATE notify_settings SET"
				   " enabled = CASE WHEN ?1 THEN ?2 ELSE enabled END,"
				   " min_level = COALESCE(?3, min_level), smtp_host = COALESCE(?4, smtp_host),"
				   " smtp_port = CASE WHEN ?5 THEN ?6 ELSE smtp_port END,"
				   " smtp_security = COALESCE(?7, smtp_security), smtp_user = COALESCE(?8, smtp_user),"
				   " smtp_password = COALESCE(?9, smtp_password), mail_from = COALESCE(?10, mail_from),"
				   " link_base = COALESCE(?11, link_base), ca_file = COALESCE(?12, ca_file),"
				   " timeout_s = CASE WHEN ?13 THEN ?14 ELSE timeout_s END"
				   " WHERE id = 1",
				   &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int(st, 1, p->has_enabled != 0);
	sqlite3_bind_int(st, 2, p->enabled != 0);
	vg_db_bind_text(st, 3, p->min_level);
	vg_db_bind_text(st, 4, p->smtp_host);
	sqlite3_bind_int(st, 5, p->has_port != 0);
	sqlite3_bind_int(st, 6, p->smtp_port);
	vg_db_bind_text(st, 7, p->smtp_security);
	vg_db_bind_text(st, 8, p->smtp_user);
	vg_db_bind_text(st, 9, p->smtp_password);
	vg_db_bind_text(st, 10, p->mail_from);
	vg_db_bind_text(st, 11, p->link_base);
	vg_db_bind_text(st, 12, p->ca_file);
	sqlite3_bind_int(st, 13, p->has_timeout != 0);
	sqlite3_bind_int(st, 14, p->timeout_s);
	return vg_db_mod_step_done(&n->q, st, NULL);
}

/* A private copy of the settings (the batch and the tick keep one). */
typedef struct settings_copy {
	int enabled, smtp_port, timeout_s, ok;
	char *min_level, *smtp_host, *smtp_security, *smtp_user, *smtp_password, *mail_from, *link_base, *ca_file;
} settings_copy;

static char *dup_or_null(const char *s, int *ok)
{
	char *d = strdup(s != NULL ? s : "");
	if (d == NULL)
		*ok = 0;
	return d;
}

static void settings_take(void *ud, const vg_notify_settings *s)
{
	settings_copy *c = ud;
	c->ok = 1;
	c->enabled = s->enabled;
	c->smtp_port = s->smtp_port;
	c->timeout_s = s->timeout_s;
	c->min_level = dup_or_null(s->min_level, &c->ok);
	c->smtp_host = dup_or_null(s->smtp_host, &c->ok);
	c->smtp_security = dup_or_null(s->smtp_security, &c->ok);
	c->smtp_user = dup_or_null(s->smtp_user, &c->ok);
	c->smtp_password = dup_or_null(s->smtp_password, &c->ok);
	c->mail_from = dup_or_null(s->mail_from, &c->ok);
	c->link_base = dup_or_null(s->link_base, &c->ok);
	c->ca_file = dup_or_null(s->ca_file, &c->ok);
}

static void settings_drop(settings_copy *c)
{
	if (c->smtp_password != NULL)
		OPENSSL_cleanse(c->smtp_password, strlen(c->smtp_password));
	free(c->min_level);
	free(c->smtp_host);
	free(c->smtp_security);
	free(c->smtp_user);
	free(c->smtp_password);
	free(c->mail_from);
	free(c->link_base);
	free(c->ca_file);
	memset(c, 0, sizeof(*c));
}

static int settings_load(vg_notify *n, settings_copy *c)
{
	memset(c, 0, sizeof(*c));
	int rc = vg_notify_settings_get(n, settings_take, c);
	if (rc == 0 && !c->ok)
		rc = VG_ENOMEM;
	if (rc != 0)
		settings_drop(c);
	return rc;
}

/* ---- composing messages ---- */

static void fmt_time(int64_t us, char *buf, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "?");
}

/* A copy of s fit for a header or one line: control characters become
 * spaces; cut at max bytes on a UTF-8 boundary. */
static void one_line(char *dst, size_t cap, const char *s, size_t max)
{
	size_t i = 0;
	if (max >= cap)
		max = cap - 1;
	for (; s != NULL && s[i] != '\0' && i < max; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	while (i > 0 && s != NULL && s[i] != '\0' && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--; /* do not cut a character in two */
	dst[i] = '\0';
}

static void upper(char *dst, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s != NULL && s[i] != '\0' && i + 1 < cap; i++)
		dst[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
	dst[i] = '\0';
}

typedef struct alert_row {
	int64_t id, ts_us;
	const char *rule_id, *rule_title, *level, *host, *source_ip;
} alert_row;

typedef struct message {
	char subject[640];
	char *text;    /* e-mail body */
	char *json;    /* webhook body */
} message;

static void message_free(message *m)
{
	free(m->text);
	free(m->json);
	memset(m, 0, sizeof(*m));
}

static int compose_alert(const alert_row *a, const settings_copy *s, const char *person, message *m)
{
	char title[256], host[256], lvl[32], when[40], link[2300] = "";
	one_line(title, sizeof(title), a->rule_title != NULL ? a->rule_title : a->rule_id, 200);
	one_line(host, sizeof(host), a->host, 200);
	upper(lvl, sizeof(lvl), a->level);
	fmt_time(a->ts_us, when, sizeof(when));
	if (s->link_base[0] != '\0') {
		size_t k = strlen(s->link_base);
		snprintf(link, sizeof(link), "%.*s/alerts/%lld", (int)(k > 0 && s->link_base[k - 1] == '/' ? k - 1 : k),
			 s->link_base, (long long)a->id);
	}
	snprintf(m->subject, sizeof(m->subject), "[vigil] %s alert: %s%s%s", lvl, title[0] ? title : "(untitled)",
		 host[0] ? " on " : "", host);
	char rid[256], src[128];
	one_line(rid, sizeof(rid), a->rule_id, 200);
	one_line(src, sizeof(src), a->source_ip, 100);
	char *text = NULL;
	if (asprintf(&text,
		     "A new %s alert needs attention.\n\n"
		     "Rule:      %s%s%s%s\n"
		     "Level:     %s\n"
		     "Time:      %s\n"
		     "Host:      %s\n"
		     "Source IP: %s\n"
		     "Alert id:  %lld\n"
		     "%s%s%s"
		     "\nYou receive this because %s is on duty in the vigil roster.\n",
		     lvl, title, rid[0] ? " (" : "", rid, rid[0] ? ")" : "", a->level != NULL ? a->level : "",
		     when, host[0] ? host : "-", src[0] ? src : "-", (long long)a->id, link[0] ? "Link:      " : "",
		     link, link[0] ? "\n" : "", person) < 0)
		return VG_ENOMEM;
	json_t *al = json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "id", (json_int_t)a->id, "time", when,
			       "rule_id", a->rule_id, "rule_title", a->rule_title, "level", a->level, "host", a->host,
			       "source_ip", a->source_ip);
	json_t *o = al == NULL ? NULL
			       : json_pack("{s:s, s:o, s:s?, s:s, s:s}", "type", "vigil.alert", "alert", al, "link",
					   link[0] ? link : NULL, "person", person, "summary", m->subject);
	m->json = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (m->json == NULL) {
		free(text);
		return VG_ENOMEM;
	}
	m->text = text;
	return 0;
}

/* ---- step 1: queue ---- */

typedef struct recipient {
	char *person, *email, *webhook;
} recipient;

typedef struct recipients {
	recipient v[VG_NOTIFY_MAX_RECIPIENTS];
	size_t n;
	int err;
} recipients;

static int take_recipient(void *ud, const vg_roster_shift *s)
{
	recipients *r = ud;
	if (r->n == VG_NOTIFY_MAX_RECIPIENTS)
		return 0; /* more overlapping shifts than that: the first ones */
	recipient *x = &r->v[r->n];
	x->person = strdup(s->person);
	x->email = s->email != NULL && s->email[0] ? strdup(s->email) : NULL;
	x->webhook = s->webhook != NULL && s->webhook[0] ? strdup(s->webhook) : NULL;
	r->n++;
	if (x->person == NULL || (s->email != NULL && s->email[0] && x->email == NULL) ||
	    (s->webhook != NULL && s->webhook[0] && x->webhook == NULL))
		return VG_ENOMEM;
	return 0;
}

static void recipients_free(recipients *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].person);
		free(r->v[i].email);
		free(r->v[i].webhook);
	}
	r->n = 0;
}

/* Inserts one outbox row; INSERT OR IGNORE keeps an alert's notification to
 * one address unique. *added += rows inserted. */
static int enqueue(vg_notify *n, int64_t alert_id, const char *kind, const char *channel, const char *person,
		   const char *address, const char *subject, const char *body, const char *state, const char *error,
		   int64_t now_us, size_t *added)
{
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(
		&n->q,
		"INSERT OR IGNORE INTO notify_outbox (alert_id, kind, channel, person, address, subject, body, state,"
		" attempts, next_us, created_us, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
		&st);
	if (rc != 0)
		return rc;
	if (alert_id > 0)
		sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, channel, -1, SQLITE_STATIC);
	vg_db_bind_text(st, 4, person);
	vg_db_bind_text(st, 5, address);
	vg_db_bind_text(st, 6, subject);
	sqlite3_bind_text(st, 7, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, now_us);
	sqlite3_bind_int64(st, 10, now_us);
	vg_db_bind_text(st, 11, error);
	if ((rc = vg_db_mod_step_done(&n->q, st, NULL)) != 0)
		return rc;
	*added += (size_t)sqlite3_changes(n->h);
	return 0;
}

static int level_wanted(const char *level, const char *min)
{
	if (level == NULL)
		return 0;
	if (strcasecmp(level, "critical") == 0)
		return 1;
	return strcasecmp(level, "high") == 0 && strcmp(min, "high") == 0;
}

static int queue_alert(vg_notify *n, const alert_row *a, const settings_copy *s, const recipients *rs, int64_t now_us,
		       size_t *added)
{
	int rc = 0;
	size_t before = *added;
	int any_channel = 0;
	for (size_t i = 0; i < rs->n && rc == 0; i++) {
		const recipient *p = &rs->v[i];
		message m = {0};
		if (p->email == NULL && p->webhook == NULL)
			continue;
		any_channel = 1;
		if ((rc = compose_alert(a, s, p->person, &m)) != 0)
			break;
		if (p->email != NULL)
			rc = s->smtp_host[0] != '\0'
				     ? enqueue(n, a->id, "alert", "email", p->person, p->email, m.subject, m.text, "pending",
					       NULL, now_us, added)
				     : enqueue(n, a->id, "alert", "email", p->person, p->email, m.subject, m.text, "failed",
					       "SMTP is not configured (notify settings: smtp_host)", now_us, added);
		if (rc == 0 && p->webhook != NULL)
			rc = enqueue(n, a->id, "alert", "webhook", p->person, p->webhook, m.subject, m.json, "pending", NULL,
				     now_us, added);
		message_free(&m);
	}
	if (rc == 0 && *added == before && !any_channel) {
		char subject[300];
		snprintf(subject, sizeof(subject), "alert %lld not notified", (long long)a->id);
		rc = enqueue(n, a->id, "alert", "none", NULL, NULL, subject, "{}", "failed",
			     rs->n == 0 ? "no one on duty" : "no one on duty has a channel (email or webhook)", now_us, added);
	}
	return rc;
}

static void wake(vg_notify *n)
{
	pthread_mutex_lock(&n->mu);
	n->wake = 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

int vg_notify_tick_count(vg_notify *n, int64_t now_us, size_t *queued)
{
	settings_copy s;
	recipients rs = {0};
	sqlite3_stmt *st = NULL;
	size_t added = 0;
	int64_t mark = 0, last;
	int rc = settings_load(n, &s);
	if (rc != 0)
		return rc;
	if ((rc = vg_db_begin(n->db)) != 0)
		goto out_nodb;
	if ((rc = vg_db_mod_prepare(&n->q, "SELECT last_alert_id FROM notify_state WHERE id = 1", &st)) != 0)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		mark = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	last = mark;
	if ((rc = vg_roster_on_duty(n->roster, now_us, take_recipient, &rs)) != 0)
		goto out;
	if ((rc = vg_db_mod_prepare(
		     &n->q,
		     "SELECT id, ts_us, rule_id, rule_title, level, host, source_ip FROM alerts WHERE id > ?"
		     " ORDER BY id LIMIT ?",
		     &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, mark);
	sqlite3_bind_int64(st, 2, VG_NOTIFY_TICK_ALERTS);
	int sr;
	while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
		alert_row a = {
			.id = sqlite3_column_int64(st, 0),
			.ts_us = sqlite3_column_int64(st, 1),
			.rule_id = (const char *)sqlite3_column_text(st, 2),
			.rule_title = (const char *)sqlite3_column_text(st, 3),
			.level = (const char *)sqlite3_column_text(st, 4),
			.host = (const char *)sqlite3_column_text(st, 5),
			.source_ip = (const char *)sqlite3_column_text(st, 6),
		};
		last = a.id;
		if (s.enabled && level_wanted(a.level, s.min_level) && (rc = queue_alert(n, &a, &s, &rs, now_us, &added)) != 0)
			goto out;
	}
	if (sr != SQLITE_DONE) {
		rc = vg_db_mod_sqlfail(&n->q, sr, NULL);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (last != mark) {
		if ((rc = vg_db_mod_prepare(&n->q, "UPDATE notify_state SET last_alert_id = ? WHERE id = 1", &st)) != 0)
			goto out;
		sqlite3_bind_int64(st, 1, last);
		rc = vg_db_mod_step_done(&n->q, st, NULL);
		st = NULL;
		if (rc != 0)
			goto out;
	}
	rc = vg_db_commit(n->db);
out:
	sqlite3_finalize(st);
	if (rc != 0)
		vg_db_rollback(n->db);
out_nodb:
	recipients_free(&rs);
	settings_drop(&s);
	if (rc == 0 && queued != NULL)
		*queued = added;
	if (rc == 0 && added > 0)
		wake(n);
	return rc;
}

int vg_notify_tick(vg_notify *n, int64_t now_us)
{
	return vg_notify_tick_count(n, now_us, NULL);
}

int vg_notify_queue_test(vg_notify *n, const char *email, const char *webhook, const char *by, int64_t now_us,
			 size_t *count)
{
	recipients rs = {0};
	size_t added = 0;
	int rc = 0;
	*count = 0;
	if (email != NULL && email[0] != '\0' && !vg_roster_email_ok(email))
		return VG_EINVAL;
	if (webhook != NULL && webhook[0] != '\0' && !vg_roster_url_ok(webhook))
		return VG_EINVAL;
	if ((email == NULL || email[0] == '\0') && (webhook == NULL || webhook[0] == '\0')) {
		if ((rc = vg_roster_on_duty(n->roster, now_us, take_recipient, &rs)) != 0) {
			recipients_free(&rs);
			return rc;
		}
	} else {
		rs.v[0].person = strdup(by != NULL ? by : "admin");
		rs.v[0].email = email != NULL && email[0] ? strdup(email) : NULL;
		rs.v[0].webhook = webhook != NULL && webhook[0] ? strdup(webhook) : NULL;
		rs.n = 1;
		if (rs.v[0].person == NULL) {
			recipients_free(&rs);
			return VG_ENOMEM;
		}
	}
	char when[40];
	fmt_time(now_us, when, sizeof(when));
	for (size_t i = 0; i < rs.n && rc == 0; i++) {
		const recipient *p = &rs.v[i];
		char subject[160], *text = NULL, *json = NULL;
		snprintf(subject, sizeof(subject), "[vigil] test notification");
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?}", "type", "vigil.test", "time", when, "person", p->person,
				      "requested_by", by);
		json = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (json == NULL ||
		    asprintf(&text,
			     "This is a test notification from vigil, sent at %s%s%s.\n"
			     "If you read this, alerts will reach %s the same way.\n",
			     when, by != NULL ? " at the request of " : "", by != NULL ? by : "", p->person) < 0) {
			free(json);
			rc = VG_ENOMEM;
			break;
		}
		if (p->email != NULL)
			rc = enqueue(n, 0, "test", "email", p->person, p->email, subject, text, "pending", NULL, now_us, &added);
		if (rc == 0 && p->webhook != NULL)
			rc = enqueue(n, 0, "test", "webhook", p->person, p->webhook, subject, json, "pending", NULL, now_us,
				     &added);
		free(text);
		free(json);
	}
	recipients_free(&rs);
	if (rc == 0) {
		*count = added;
		if (added > 0)
			wake(n);
	}
	return rc;
}

/* ---- step 2: collect, send, finish ---- */

typedef struct send_item {
	int64_t id;
	int webhook;  /* else e-mail */
	char *address, *subject, *body;
	int ok;
	int skipped; /* not tried (shutting down): back to pending, no attempt counted */
	char err[VG_NOTIFY_ERR_MAX];
} send_item;

struct vg_notify_batch {
	settings_copy s;
	atomic_int *cancel;
	send_item v[VG_NOTIFY_BATCH];
	size_t n;
};

static void batch_free(vg_notify_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].address);
		free(b->v[i].subject);
		free(b->v[i].body);
	}
	settings_drop(&b->s);
	free(b);
}

int vg_notify_collect(vg_notify *n, int64_t now_us, vg_notify_batch **out)
{
	*out = NULL;
	vg_notify_batch *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return VG_ENOMEM;
	sqlite3_stmt *st = NULL, *up = NULL;
	int rc = settings_load(n, &b->s);
	if (rc != 0) {
		free(b);
		return rc;
	}
	if ((rc = vg_db_begin(n->db)) != 0)
		goto fail_nodb;
	if ((rc = vg_db_mod_prepare(
		     &n->q,
		     "SELECT id, channel, address, subject, body FROM notify_outbox"
		     " WHERE state IN ('pending', 'sending') AND next_us <= ? ORDER BY next_us, id LIMIT ?",
		     &st)) != 0 ||
	    (rc = vg_db_mod_prepare(&n->q, "UPDATE notify_outbox SET state = 'sending', next_us = ? WHERE id = ?",
				    &up)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, now_us);
	sqlite3_bind_int64(st, 2, VG_NOTIFY_BATCH);
	int sr;
	while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
		send_item *it = &b->v[b->n++];
		it->id = sqlite3_column_int64(st, 0);
		it->webhook = strcmp(col_text(st, 1), "webhook") == 0;
		it->address = strdup(col_text(st, 2));
		it->subject = strdup(col_text(st, 3));
		it->body = strdup(col_text(st, 4));
		if (it->address == NULL || it->subject == NULL || it->body == NULL) {
			rc = VG_ENOMEM;
			goto fail;
		}
	}
	if (sr != SQLITE_DONE) {
		rc = vg_db_mod_sqlfail(&n->q, sr, NULL);
		goto fail;
	}
	for (size_t i = 0; i < b->n; i++) {
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, now_us + VG_NOTIFY_LEASE_US);
		sqlite3_bind_int64(up, 2, b->v[i].id);
		if ((sr = sqlite3_step(up)) != SQLITE_DONE) {
			rc = vg_db_mod_sqlfail(&n->q, sr, NULL);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	st = up = NULL;
	if ((rc = vg_db_commit(n->db)) != 0)
		goto fail_nodb;
	if (b->n == 0) {
		batch_free(b);
		return 0;
	}
	b->cancel = &n->cancel;
	*out = b;
	return 0;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	vg_db_rollback(n->db);
fail_nodb:
	batch_free(b);
	return rc;
}

static size_t discard(char *p, size_t sz, size_t nm, void *ud)
{
	(void)p;
	size_t *total = ud;
	*total += sz * nm;
	return *total > 65536 ? 0 : sz * nm; /* a webhook's answer is not read; stop a flood */
}

/* Aborts a transfer in progress when the server shuts down. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	atomic_int *cancel = ud;
	return cancel != NULL && atomic_load(cancel) != 0;
}

static void curl_common(CURL *h, const vg_notify_batch *b, char *errbuf)
{
	const settings_copy *s = &b->s;
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, b->cancel);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)(s->timeout_s > 0 ? s->timeout_s : VG_NOTIFY_TIMEOUT_S));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)(s->timeout_s > 0 ? s->timeout_s : VG_NOTIFY_TIMEOUT_S));
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file != NULL && s->ca_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
}

static void send_webhook(const vg_notify_batch *b, send_item *it)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	size_t total = 0;
	CURL *h = curl_easy_init();
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	if (h == NULL || hd == NULL) {
		snprintf(it->err, sizeof(it->err), "out of memory");
		goto out;
	}
	curl_common(h, b, errbuf);
	curl_easy_setopt(h, CURLOPT_URL, it->address);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil-notify/1");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(it->body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &total);
	CURLcode cr = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cr != CURLE_OK && !(cr == CURLE_WRITE_ERROR && status >= 200 && status < 300))
		snprintf(it->err, sizeof(it->err), "webhook: %s", errbuf[0] ? errbuf : curl_easy_strerror(cr));
	else if (status < 200 || status > 299)
		snprintf(it->err, sizeof(it->err), "webhook: HTTP status %ld", status);
	else
		it->ok = 1;
out:
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
}

/* RFC 2047 for a non-ASCII subject: base64 encoded words of at most 45
 * bytes of UTF-8 each (not splitting characters), folded. */
static char *encode_subject(const char *s)
{
	int ascii = 1;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
	if (ascii)
		return strdup(s);
	size_t len = strlen(s), cap = len * 2 + 64, o = 0;
	char *out = malloc(cap);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t k = len - i < 45 ? len - i : 45;
		while (k > 0 && i + k < len && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--;
		if (k == 0)
			k = len - i < 45 ? len - i : 45;
		unsigned char b64[64];
		int m = EVP_EncodeBlock(b64, (const unsigned char *)s + i, (int)k);
		o += (size_t)snprintf(out + o, cap - o, "%s=?UTF-8?B?%.*s?=", i > 0 ? "\r\n " : "", m, b64);
		i += k;
	}
	return out;
}

typedef struct upload {
	const char *p;
	size_t left;
} upload;

static size_t on_upload(char *dst, size_t sz, size_t nm, void *ud)
{
	upload *u = ud;
	size_t k = sz * nm < u->left ? sz * nm : u->left;
	memcpy(dst, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* The whole message: headers, then the body with CRLF line ends; an ASCII
 * body goes as 7bit, anything else as base64. */
static char *compose_mail(const settings_copy *s, const send_item *it)
{
	char date[64], *subj = encode_subject(it->subject);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	const char *dom = strchr(s->mail_from, '@');
	int ascii = 1;
	for (const char *p = it->body; *p; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
	size_t blen = strlen(it->body);
	char *body = malloc(blen * 2 + 4);
	if (subj == NULL || body == NULL) {
		free(subj);
		free(body);
		return NULL;
	}
	size_t o = 0;
	if (ascii) {
		for (size_t i = 0; i < blen; i++) {
			if (it->body[i] == '\n' && (i == 0 || it->body[i - 1] != '\r'))
				body[o++] = '\r';
			body[o++] = it->body[i];
		}
	} else {
		for (size_t i = 0; i < blen; i += 57) {
			int m = EVP_EncodeBlock((unsigned char *)body + o, (const unsigned char *)it->body + i,
						(int)(blen - i < 57 ? blen - i : 57));
			o += (size_t)m;
			body[o++] = '\r';
			body[o++] = '\n';
		}
	}
	body[o] = '\0';
	char *msg = NULL;
	int r = asprintf(&msg,
			 "Date: %s\r\n"
			 "From: vigil <%s>\r\n"
			 "To: <%s>\r\n"
			 "Subject: %s\r\n"
			 "Message-ID: <vigil.%lld.%lld@%s>\r\n"
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=UTF-8\r\n"
			 "Content-Transfer-Encoding: %s\r\n"
			 "Auto-Submitted: auto-generated\r\n"
			 "\r\n"
			 "%s",
			 date, s->mail_from, it->address, subj, (long long)it->id, (long long)t,
			 dom != NULL ? dom + 1 : "vigil.invalid", ascii ? "7bit" : "base64", body);
	free(subj);
	free(body);
	return r < 0 ? NULL : msg;
}

static void send_mail(const vg_notify_batch *b, send_item *it)
{
	const settings_copy *s = &b->s;
	char errbuf[CURL_ERROR_SIZE] = "", url[400], from[300], to[300];
	if (s->smtp_host[0] == '\0' || s->mail_from[0] == '\0') {
		snprintf(it->err, sizeof(it->err), "SMTP is not configured (notify settings: smtp_host, mail_from)");
		return;
	}
	int v6 = strchr(s->smtp_host, ':') != NULL && s->smtp_host[0] != '[';
	snprintf(url, sizeof(url), "%s://%s%s%s:%d/vigil", strcmp(s->smtp_security, "tls") == 0 ? "smtps" : "smtp",
		 v6 ? "[" : "", s->smtp_host, v6 ? "]" : "", s->smtp_port);
	snprintf(from, sizeof(from), "<%s>", s->mail_from);
	snprintf(to, sizeof(to), "<%s>", it->address);
	char *msg = compose_mail(s, it);
	CURL *h = curl_easy_init();
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	if (msg == NULL || h == NULL || rcpt == NULL) {
		snprintf(it->err, sizeof(it->err), "out of memory");
		goto out;
	}
	upload u = {.p = msg, .left = strlen(msg)};
	curl_common(h, b, errbuf);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL,
			 (long)(strcmp(s->smtp_security, "starttls") == 0 ? CURLUSESSL_ALL : CURLUSESSL_NONE));
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	if (s->smtp_user[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->smtp_password);
	}
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	CURLcode cr = curl_easy_perform(h);
	if (cr != CURLE_OK)
		snprintf(it->err, sizeof(it->err), "smtp %s:%d: %s", s->smtp_host, s->smtp_port,
			 errbuf[0] ? errbuf : curl_easy_strerror(cr));
	else
		it->ok = 1;
out:
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	free(msg);
}

size_t vg_notify_send(vg_notify_batch *b)
{
	size_t ok = 0;
	if (b == NULL)
		return 0;
	for (size_t i = 0; i < b->n; i++) {
		send_item *it = &b->v[i];
		it->ok = 0;
		it->err[0] = '\0';
		if (b->cancel != NULL && atomic_load(b->cancel)) {
			it->skipped = 1;
			continue;
		}
		if (it->webhook)
			send_webhook(b, it);
		else
			send_mail(b, it);
		if (!it->ok && b->cancel != NULL && atomic_load(b->cancel))
			it->skipped = 1; /* aborted by the shutdown, not the peer's fault */
		ok += (size_t)it->ok;
	}
	return ok;
}

int vg_notify_finish(vg_notify *n, vg_notify_batch *b, int64_t now_us)
{
	if (b == NULL)
		return 0;
	sqlite3_stmt *st = NULL;
	int rc;
	if ((rc = vg_db_begin(n->db)) != 0)
		goto out_nodb;
	if ((rc = vg_db_mod_prepare(
		     &n->q,
		     "UPDATE notify_outbox SET attempts = attempts + CASE WHEN ?8 THEN 0 ELSE 1 END,"
		     " state = CASE WHEN ?8 THEN 'pending' WHEN ?1 THEN 'sent' WHEN attempts + 1 >= ?2 THEN 'failed'"
		     " ELSE 'pending' END,"
		     " sent_us = CASE WHEN ?1 AND NOT ?8 THEN ?3 ELSE NULL END,"
		     " next_us = CASE WHEN ?8 THEN ?3 WHEN ?1 THEN next_us"
		     "  ELSE ?3 + MIN(?4 << MIN(attempts, 20), ?5) END,"
		     " last_error = CASE WHEN ?8 THEN last_error ELSE ?6 END WHERE id = ?7",
		     &st)) != 0)
		goto out;
	for (size_t i = 0; i < b->n; i++) {
		const send_item *it = &b->v[i];
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, it->ok);
		sqlite3_bind_int(st, 2, VG_NOTIFY_MAX_ATTEMPTS);
		sqlite3_bind_int64(st, 3, now_us);
		sqlite3_bind_int64(st, 4, VG_NOTIFY_BACKOFF_US);
		sqlite3_bind_int64(st, 5, VG_NOTIFY_BACKOFF_MAX_US);
		vg_db_bind_text(st, 6, it->ok ? NULL : it->err);
		sqlite3_bind_int64(st, 7, it->id);
		sqlite3_bind_int(st, 8, it->skipped);
		int sr = sqlite3_step(st);
		if (sr != SQLITE_DONE) {
			rc = vg_db_mod_sqlfail(&n->q, sr, NULL);
			goto out;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = vg_db_commit(n->db);
out:
	sqlite3_finalize(st);
	if (rc != 0)
		vg_db_rollback(n->db);
out_nodb:
	batch_free(b);
	return rc;
}

int vg_notify_run_once(vg_notify *n, struct vg_api *api, int64_t now_us, size_t *sent)
{
	vg_notify_batch *b = NULL;
	vg_api_lock(api);
	int rc = vg_notify_collect(n, now_us, &b);
	vg_api_unlock(api);
	if (sent != NULL)
		*sent = 0;
	if (rc != 0 || b == NULL)
		return rc;
	size_t ok = vg_notify_send(b);
	vg_api_lock(api);
	rc = vg_notify_finish(n, b, now_us);
	vg_api_unlock(api);
	if (sent != NULL)
		*sent = ok;
	return rc;
}

static int64_t real_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *sender_main(void *arg)
{
	vg_notify *n = arg;
	for (;;) {
		pthread_mutex_lock(&n->mu);
		int stop = n->stop;
		pthread_mutex_unlock(&n->mu);
		if (stop)
			break;
		size_t sent;
		/* A failure (disk, memory) is retried on the next round; rows stay
		 * in the outbox. */
		int rc = vg_notify_run_once(n, n->api, real_now_us(), &sent);
		(void)rc;
		pthread_mutex_lock(&n->mu);
		if (!n->stop && !n->wake) {
			struct timespec dl;
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += 1;
			pthread_cond_timedwait(&n->cv, &n->mu, &dl);
		}
		n->wake = 0;
		pthread_mutex_unlock(&n->mu);
	}
	return NULL;
}

int vg_notify_start(vg_notify *n, struct vg_api *api)
{
	if (n->running)
		return VG_EINVAL;
	n->api = api;
	n->stop = 0;
	atomic_store(&n->cancel, 0);
	if (pthread_create(&n->thread, NULL, sender_main, n) != 0)
		return VG_EIO;
	n->running = 1;
	return 0;
}

void vg_notify_stop(vg_notify *n)
{
	if (n == NULL || !n->running)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = 1;
	atomic_store(&n->cancel, 1);
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->thread, NULL);
	n->running = 0;
	atomic_store(&n->cancel, 0); /* vg_notify_run_once works again */
}

/* ---- outbox ---- */

int vg_notify_outbox(vg_notify *n, const char *state, size_t limit, vg_notify_item_fn fn, void *ud)
{
	if (limit == 0 || limit > VG_NOTIFY_OUTBOX_LIST_MAX)
		limit = VG_NOTIFY_OUTBOX_LIST_MAX;
	sqlite3_stmt *st;
	int rc = vg_db_mod_prepare(
		&n->q,
		"SELECT id, alert_id, kind, channel, person, address, subject, state, last_error, attempts, next_us,"
		" created_us, sent_us FROM notify_outbox WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2",
		&st);
	if (rc != 0)
		return rc;
	vg_db_bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	int sr;
	while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
		vg_notify_item it = {
			.id = sqlite3_column_int64(st, 0),
			.alert_id = sqlite3_column_int64(st, 1),
			.kind = col_text(st, 2),
			.channel = col_text(st, 3),
			.person = (const char *)sqlite3_column_text(st, 4),
			.address = (const char *)sqlite3_column_text(st, 5),
			.subject = (const char *)sqlite3_column_text(st, 6),
			.state = col_text(st, 7),
			.last_error = (const char *)sqlite3_column_text(st, 8),
			.attempts = sqlite3_column_int(st, 9),
			.next_us = sqlite3_column_int64(st, 10),
			.created_us = sqlite3_column_int64(st, 11),
			.sent_us = sqlite3_column_int64(st, 12),
		};
		if ((rc = fn(ud, &it)) != 0)
			break;
	}
	if (rc == 0 && sr != SQLITE_DONE && sr != SQLITE_ROW)
		rc = vg_db_mod_sqlfail(&n->q, sr, NULL);
	sqlite3_finalize(st);
	return rc;
}

/* ---- REST ---- */

static json_t *time_json(int64_t us)
{
	char buf[40];
	if (us <= 0)
		return json_null();
	fmt_time(us, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *str_json(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void settings_json(void *ud, const vg_notify_settings *s)
{
	json_t **out = ud;
	/* the password itself never leaves the server */
	*out = json_pack("{s:b, s:s, s:s, s:i, s:s, s:s, s:b, s:s, s:s, s:s, s:i}", "enabled", s->enabled, "min_level",
			 s->min_level, "smtp_host", s->smtp_host, "smtp_port", s->smtp_port, "smtp_security",
			 s->smtp_security, "smtp_user", s->smtp_user, "smtp_password_set", s->smtp_password[0] != '\0',
			 "mail_from", s->mail_from, "link_base", s->link_base, "ca_file", s->ca_file, "timeout_s",
			 s->timeout_s);
}

static void h_settings_get(void *ud, vg_api_call *c)
{
	vg_notify *n = ud;
	json_t *o = NULL;
	int rc = vg_notify_settings_get(n, settings_json, &o);
	if (rc != 0 || o == NULL) {
		json_decref(o);
		vg_api_db_error(c, n->db, rc != 0 ? rc : VG_ENOMEM, "notify settings");
		return;
	}
	vg_api_json(c, 200, o);
}

static int present(json_t *body, const char *name)
{
	json_t *v = json_object_get(body, name);
	return v != NULL && !json_is_null(v);
}

static void h_settings_put(void *ud, vg_api_call *c)
{
	static const char *const known[] = {"enabled",	 "min_level", "smtp_host", "smtp_port",
					    "smtp_security", "smtp_user", "smtp_password", "mail_from",
					    "link_base",	 "ca_file",	"timeout_s"};
	vg_notify *n = ud;
	const char *key;
	json_t *val;
	json_object_foreach(c->body, key, val)
	{
		size_t i = 0;
		while (i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], key) != 0)
			i++;
		if (i == sizeof(known) / sizeof(known[0])) {
			vg_api_error(c, 400, "invalid", "%.64s: unknown setting", key);
			return;
		}
	}
	vg_notify_settings_patch p = {0};
	int64_t port = 0, tmo = 0;
	p.has_enabled = present(c->body, "enabled");
	p.has_port = present(c->body, "smtp_port");
	p.has_timeout = present(c->body, "timeout_s");
	if (vg_api_bool(c, "enabled", 0, &p.enabled) != 0 || vg_api_str(c, "min_level", 0, 16, &p.min_level) != 0 ||
	    vg_api_str(c, "smtp_host", 0, 253, &p.smtp_host) != 0 || vg_api_int(c, "smtp_port", 0, 1, 65535, &port) != 0 ||
	    vg_api_str(c, "smtp_security", 0, 16, &p.smtp_security) != 0 ||
	    vg_api_str(c, "smtp_user", 0, 256, &p.smtp_user) != 0 ||
	    vg_api_str(c, "smtp_password", 0, VG_NOTIFY_SECRET_MAX, &p.smtp_password) != 0 ||
	    vg_api_str(c, "mail_from", 0, 254, &p.mail_from) != 0 || vg_api_str(c, "link_base", 0, 2048, &p.link_base) != 0 ||
	    vg_api_str(c, "ca_file", 0, 4096, &p.ca_file) != 0 || vg_api_int(c, "timeout_s", 0, 1, 120, &tmo) != 0)
		return;
	p.smtp_port = (int)port;
	p.timeout_s = (int)tmo;
	static const struct {
		const char *f, *why;
	} whys[] = {
		{"min_level", "must be high or critical"},
		{"smtp_host", "not a host name or address"},
		{"smtp_port", "must be 1..65535"},
		{"smtp_security", "must be none, starttls or tls"},
		{"smtp_user", "control characters or too long"},
		{"smtp_password", "control characters or too long"},
		{"mail_from", "not a plain e-mail address"},
		{"link_base", "not an http:// or https:// URL"},
		{"ca_file", "must be an absolute path"},
		{"timeout_s", "must be 1..120"},
	};
	int rc;
	const char *field = NULL;
	if ((rc = vg_api_begin(c)) != 0) {
		vg_api_db_error(c, n->db, rc, "begin");
		return;
	}
	rc = vg_notify_settings_set(n, &p, &field);
	if (rc == 0) {
		/* names of what changed, never values (the password) */
		json_t *changed = json_array();
		json_object_foreach(c->body, key, val) json_array_append_new(changed, json_string(key));
		json_t *d = json_pack("{s:o}", "changed", changed);
		rc = vg_api_audit(c, "notify.settings", "notify", "settings", d);
		json_decref(d);
		if (rc == 0)
			rc = vg_api_commit(c);
		if (rc == 0) {
			h_settings_get(n, c);
			return;
		}
		field = NULL;
	}
	vg_api_rollback(c);
	if (field != NULL) {
		const char *why = "invalid";
		for (size_t i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
			if (strcmp(whys[i].f, field) == 0)
				why = whys[i].why;
		vg_api_error(c, 400, "invalid", "%s: %s", field, why);
	} else {
		vg_api_db_error(c, n->db, rc, "notify settings");
	}
}

static void h_test(void *ud, vg_api_call *c)
{
	vg_notify *n = ud;
	const char *email = NULL, *webhook = NULL;
	if (vg_api_str(c, "email", 0, VG_ROSTER_EMAIL_MAX, &email) != 0 ||
	    vg_api_str(c, "webhook", 0, VG_ROSTER_URL_MAX, &webhook) != 0)
		return;
	if (email != NULL && email[0] != '\0' && !vg_roster_email_ok(email)) {
		vg_api_error(c, 400, "invalid", "email: not a plain e-mail address (local@domain)");
		return;
	}
	if (webhook != NULL && webhook[0] != '\0' && !vg_roster_url_ok(webhook)) {
		vg_api_error(c, 400, "invalid", "webhook: not an http:// or https:// URL without spaces");
		return;
	}
	int rc;
	size_t count = 0;
	if ((rc = vg_api_begin(c)) != 0) {
		vg_api_db_error(c, n->db, rc, "begin");
		return;
	}
	rc = vg_notify_queue_test(n, email, webhook, c->who.name, c->now_us, &count);
	if (rc == 0 && count == 0) {
		vg_api_rollback(c);
		vg_api_error(c, 409, "conflict", "email: no address given and no one on duty has a channel");
		return;
	}
	if (rc == 0) {
		json_t *d = json_pack("{s:I, s:b, s:b}", "queued", (json_int_t)count, "email", email != NULL && email[0],
				      "webhook", webhook != NULL && webhook[0]);
		rc = vg_api_audit(c, "notify.test", "notify", "test", d);
		json_decref(d);
	}
	if (rc == 0)
		rc = vg_api_commit(c);
	if (rc != 0) {
		vg_api_rollback(c);
		vg_api_db_error(c, n->db, rc, "notify test");
		return;
	}
	vg_api_json(c, 202, json_pack("{s:I}", "queued", (json_int_t)count));
}

static int item_json(void *ud, const vg_notify_item *it)
{
	json_t *o = json_object();
	if (o == NULL)
		return VG_ENOMEM;
	json_object_set_new(o, "id", json_integer(it->id));
	json_object_set_new(o, "alert_id", it->alert_id > 0 ? json_integer(it->alert_id) : json_null());
	json_object_set_new(o, "kind", str_json(it->kind));
	json_object_set_new(o, "channel", str_json(it->channel));
	json_object_set_new(o, "person", str_json(it->person));
	json_object_set_new(o, "address", str_json(it->address));
	json_object_set_new(o, "subject", str_json(it->subject));
	json_object_set_new(o, "state", str_json(it->state));
	json_object_set_new(o, "attempts", json_integer(it->attempts));
	json_object_set_new(o, "next_attempt",
			    strcmp(it->state, "pending") == 0 || strcmp(it->state, "sending") == 0 ? time_json(it->next_us)
												   : json_null());
	json_object_set_new(o, "created", time_json(it->created_us));
	json_object_set_new(o, "sent", time_json(it->sent_us));
	json_object_set_new(o, "last_error", str_json(it->last_error));
	return json_array_append_new(ud, o) == 0 ? 0 : VG_ENOMEM;
}

static void h_outbox(void *ud, vg_api_call *c)
{
	vg_notify *n = ud;
	const char *state = vg_api_query(c, "state"), *lim = vg_api_query(c, "limit");
	long limit = 100;
	if (state != NULL && strcmp(state, "pending") != 0 && strcmp(state, "sending") != 0 &&
	    strcmp(state, "sent") != 0 && strcmp(state, "failed") != 0) {
		vg_api_error(c, 400, "invalid", "state: must be pending, sending, sent or failed");
		return;
	}
	if (lim != NULL) {
		char *end;
		limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit < 1 || limit > VG_NOTIFY_OUTBOX_LIST_MAX) {
			vg_api_error(c, 400, "invalid", "limit: must be 1..%d", VG_NOTIFY_OUTBOX_LIST_MAX);
			return;
		}
	}
	json_t *arr = json_array();
	int rc = arr == NULL ? VG_ENOMEM : vg_notify_outbox(n, state, (size_t)limit, item_json, arr);
	if (rc != 0) {
		json_decref(arr);
		vg_api_db_error(c, n->db, rc, "outbox");
		return;
	}
	vg_api_json(c, 200, json_pack("{s:o}", "outbox", arr));
}

int vg_notify_register_api(vg_notify *n, struct vg_api *api)
{
	int rc;
	if ((rc = vg_api_route(api, "GET", "/notify/settings", 0, VG_API_ADMIN, h_settings_get, n)) != 0 ||
	    (rc = vg_api_route(api, "PUT", "/notify/settings", 0, VG_API_ADMIN | VG_API_JSON_BODY, h_settings_put, n)) !=
		    0 ||
	    (rc = vg_api_route(api, "POST", "/notify/test", 0, VG_API_ADMIN | VG_API_JSON_BODY, h_test, n)) != 0 ||
	    (rc = vg_api_route(api, "GET", "/notify/outbox", 0, VG_API_READ, h_outbox, n)) != 0)
		return rc;
	return 0;
}
