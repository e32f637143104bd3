/* ingest.c — the server's per-message pipeline (see ingest.h): parse, tag,
 * match, correlate, archive, write alerts. Reuses the offline pipeline's
 * pieces (vg_parse_record, the matcher, the correlation plan, alert_json). */
#include "server/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/event.h"
#include "core/limits.h"
#include "core/timeparse.h"
#include "detect/correlate.h"
#include "parse/parse.h"
#include "scan/alert_json.h"
#include "store/archive.h"
#include "store/db.h"

struct vg_ingest {
	vg_archive *ar;
	vg_db *db;         /* borrowed; NULL: alerts.ndjson only */
	uint64_t db_pending; /* alerts inserted since the last commit */
	const char *src;   /* the current message's sender */
	int alerts_fd;
	const vg_engine *engine;
	vg_matcher *m;
	vg_corr_plan *plan;
	vg_corr *corr;
	const vg_parser *syslog;
	vg_event *ev;
	vg_arena *hit_arena;
	vg_buf doc, out;
	uint64_t seq;
	uint64_t pending;       /* events appended since the last commit */
	int64_t oldest_mono_us; /* monotonic time of the first uncommitted event; -1 none */
	int64_t last_mono_us;   /* the latest tick */
	vg_ingest_stats st;
};

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return VG_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int db_commit(vg_ingest *g)
{
	if (g->db == NULL || !vg_db_in_txn(g->db))
		return 0;
	int rc = vg_db_commit(g->db);
	if (rc != 0)
		g->st.db_errors += g->db_pending;
	g->db_pending = 0;
	return rc;
}

void vg_ingest_set_db(vg_ingest *g, vg_db *db)
{
	(void)db_commit(g);
	g->db = db;
}

vg_ingest *vg_ingest_new(const char *dir, const vg_engine *e, int *err)
{
	vg_ingest *g = calloc(1, sizeof(*g));
	int e2 = VG_ENOMEM;
	if (g == NULL)
		goto err;
	g->alerts_fd = -1;
	g->oldest_mono_us = -1;
	g->syslog = vg_parser_find("syslog");
	if ((g->ev = vg_event_new()) == NULL || (g->hit_arena = vg_arena_new(0)) == NULL)
		goto err;
	if ((e2 = vg_ingest_set_engine(g, e)) != 0)
		goto err;
	vg_archive_opts ao = {.quiet = 0};
	if ((g->ar = vg_archive_open(dir, &ao, &e2)) == NULL)
		goto err;
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/alerts.ndjson", dir) >= (int)sizeof(path)) {
		e2 = VG_EINVAL;
		goto err;
	}
	if ((g->alerts_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		e2 = VG_EIO;
		goto err;
	}
	return g;
err:
	if (g != NULL) {
		int saved = errno;
		(void)vg_ingest_free(g);
		errno = saved;
	}
	*err = e2;
	return NULL;
}

int vg_ingest_free(vg_ingest *g)
{
	if (g == NULL)
		return 0;
	int rc = 0;
	if (g->db != NULL)
		rc = db_commit(g);
	if (g->ar != NULL) {
		int r2 = vg_archive_close(g->ar);
		if (rc == 0)
			rc = r2;
	}
	if (g->alerts_fd >= 0 && close(g->alerts_fd) != 0 && rc == 0)
		rc = VG_EIO;
	vg_matcher_free(g->m);
	vg_corr_plan_free(g->plan);
	vg_corr_free(g->corr);
	vg_event_free(g->ev);
	vg_arena_free(g->hit_arena);
	vg_buf_free(&g->doc);
	vg_buf_free(&g->out);
	free(g);
	return rc;
}

int vg_ingest_set_engine(vg_ingest *g, const vg_engine *e)
{
	vg_matcher *m = vg_matcher_new(e);
	vg_corr_plan *plan = vg_corr_plan_new(e);
	vg_corr *corr = vg_corr_new(e);
	if (m == NULL || plan == NULL || corr == NULL) {
		vg_matcher_free(m);
		vg_corr_plan_free(plan);
		vg_corr_free(corr);
		return VG_ENOMEM;
	}
	vg_matcher_free(g->m);
	vg_corr_plan_free(g->plan);
	vg_corr_free(g->corr);
	g->engine = e;
	g->m = m;
	g->plan = plan;
	g->corr = corr;
	return 0;
}

static void archive_host(const vg_event *ev, const char *src, char *host, size_t n);

/* the first value of field name as a C string in buf (cut to n - 1 bytes), or NULL */
static const char *field_str(const vg_event *ev, const char *name, char *buf, size_t n)
{
	const vg_field *f = vg_event_get(ev, name);
	if (f == NULL || f->val_len == 0)
		return NULL;
	size_t l = f->val_len < n - 1 ? f->val_len : n - 1;
	memcpy(buf, f->val, l);
	buf[l] = '\0';
	return buf;
}

static const char *nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The alert just appended to g->out at doc_off into the database. host and
 * source_ip: NULL to take them from the current event. */
static void db_alert(vg_ingest *g, size_t doc_off, int64_t ts, const vg_rule_info *rule, const char *host,
		     const char *source_ip)
{
	if (g->db == NULL)
		return;
	char hbuf[VG_ARCHIVE_MAX_HOST + 1], ibuf[256];
	if (host == NULL) {
		archive_host(g->ev, g->src, hbuf, sizeof(hbuf));
		host = hbuf;
	}
	if (source_ip == NULL)
		source_ip = field_str(g->ev, "source.ip", ibuf, sizeof(ibuf));
	vg_db_alert a = {
		.ts_us = ts,
		.rule_id = nonempty(rule->id),
		.rule_title = nonempty(rule->title),
		.level = nonempty(rule->level),
		.host = nonempty(host),
		.source_ip = source_ip,
		.is_correlation = rule->is_correlation,
		.doc = g->out.data + doc_off,
		.doc_len = g->out.len - doc_off - 1, /* without the '\n' */
	};
	if (vg_db_begin(g->db) != 0 || vg_db_alert_insert(g->db, &a) != 0)
		g->st.db_errors++;
	else
		g->db_pending++;
}

static void on_corr(void *ud, const vg_corr_alert *a)
{
	vg_ingest *g = ud;
	size_t off = g->out.len;
	if (vg_alert_json_corr(&g->out, g->engine, a) != 0) {
		g->st.alert_errors++;
		return;
	}
	g->st.corr_alerts++;
	/* host and source.ip: the group-by values when grouped by them, else the
	 * event that completed the correlation */
	const char *host = NULL, *ip = NULL;
	for (size_t i = 0; i < a->ngroup; i++) {
		if (strcmp(a->group_names[i], "source.ip") == 0)
			ip = nonempty(a->group_values[i]);
		else if (host == NULL &&
			 (strcmp(a->group_names[i], "host.name") == 0 || strcmp(a->group_names[i], "host.hostname") == 0))
			host = nonempty(a->group_values[i]);
	}
	db_alert(g, off, a->last_us != VG_TS_NONE ? a->last_us : g->ev->ts_us, a->rule, host, ip);
}

static void on_match(void *ud, size_t idx, const vg_rule_info *rule)
{
	vg_ingest *g = ud;
	if (rule->alert) {
		size_t off = g->out.len;
		if (vg_alert_json_event(&g->out, g->ev, rule) != 0) {
			g->st.alert_errors++;
		} else {
			g->st.alerts++;
			db_alert(g, off, g->ev->ts_us, rule, NULL, NULL);
		}
	}
	/* correlation state is single-threaded here: feed at once */
	vg_corr_hit *h = vg_corr_plan_hit(g->plan, idx, g->ev, g->hit_arena);
	if (h != NULL && vg_corr_feed(g->corr, h, on_corr, g) != 0)
		g->st.alert_errors++;
}

/* host for the archive index: host.name, host.hostname, else the sender IP */
static void archive_host(const vg_event *ev, const char *src, char *host, size_t n)
{
	const vg_field *f = vg_event_get(ev, "host.name");
	if (f == NULL)
		f = vg_event_get(ev, "host.hostname");
	if (f != NULL && f->val_len > 0) {
		size_t l = f->val_len < n - 1 ? f->val_len : n - 1;
		memcpy(host, f->val, l);
		host[l] = '\0';
		return;
	}
	size_t l = strlen(src);
	const char *colon = strrchr(src, ':');
	if (colon != NULL)
		l = (size_t)(colon - src);
	if (l >= 2 && src[0] == '[' && src[l - 1] == ']') { /* "[v6]:port" */
		src++;
		l -= 2;
	}
	if (l > n - 1)
		l = n - 1;
	memcpy(host, src, l);
	host[l] = '\0';
}

int vg_ingest_message(vg_ingest *g, const char *msg, size_t len, const char *src, const char *input, int64_t now_us)
{
	if (src == NULL)
		src = "";
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r' || msg[len - 1] == '\0'))
		len--;
	if (len > VG_MAX_LINE)
		len = VG_MAX_LINE;
	vg_event *ev = g->ev;
	vg_event_reset(ev, msg, len, input, ++g->seq);
	ev->year_hint = vg_year_of(now_us);
	if (vg_parse_record(g->syslog, ev) == NULL)
		g->st.unparsed++;
	if (ev->ts_us == VG_TS_NONE)
		ev->ts_us = now_us;
	(void)vg_event_add_copy(ev, "log.source.address", 18, src, strlen(src), VG_V_STR);
	(void)vg_event_add_str(ev, "vigil.input", input, strlen(input));
	g->st.messages++;

	g->src = src;
	g->out.len = 0;
	vg_arena_reset(g->hit_arena);
	if (vg_matcher_run(g->m, ev, on_match, g) != 0)
		g->st.alert_errors++;
	if (g->out.len > 0 && write_all(g->alerts_fd, g->out.data, g->out.len) != 0)
		g->st.alert_errors++;

	g->doc.len = 0;
	int rc = vg_event_json(&g->doc, ev);
	if (rc == 0) {
		char host[VG_ARCHIVE_MAX_HOST + 1];
		archive_host(ev, src, host, sizeof(host));
		/* the document ends in '\n'; the archive wants one line without it */
		rc = vg_archive_append(g->ar, ev->ts_us, host, g->doc.data, g->doc.len - 1);
	}
	if (rc == VG_EIO || rc == VG_ENOMEM) {
		/* the append rolled back everything since the last commit */
		g->st.archive_errors += g->pending + 1;
		g->pending = 0;
		g->oldest_mono_us = -1;
		(void)db_commit(g); /* the alerts stay, as in alerts.ndjson */
		return rc;
	}
	if (rc != 0) {
		g->st.archive_errors++;
		return rc;
	}
	if (g->pending++ == 0)
		g->oldest_mono_us = g->last_mono_us;
	if (g->pending >= VG_INGEST_SYNC_EVENTS)
		return vg_ingest_sync(g);
	return 0;
}

int vg_ingest_sync(vg_ingest *g)
{
	int rc = 0;
	if (g->pending > 0) {
		rc = vg_archive_sync(g->ar);
		if (rc != 0)
			g->st.archive_errors += g->pending;
		g->pending = 0;
		g->oldest_mono_us = -1;
	}
	int r2 = db_commit(g);
	return rc != 0 ? rc : r2;
}

int vg_ingest_tick(vg_ingest *g, int64_t mono_us)
{
	g->last_mono_us = mono_us;
	if (g->pending > 0 && g->oldest_mono_us >= 0 && mono_us - g->oldest_mono_us >= VG_INGEST_SYNC_US)
		return vg_ingest_sync(g);
	return 0;
}

void vg_ingest_stats_get(const vg_ingest *g, vg_ingest_stats *st)
{
	*st = g->st;
}
