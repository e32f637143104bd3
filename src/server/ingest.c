/* ingest.c — the server's per-message pipeline (see ingest.h): parse, tag,
 * match, correlate, archive, write alerts. Reuses the offline pipeline's
 * pieces (vg_parse_record, the matcher, the correlation plan, alert_json). */
#include "server/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/hashmap.h"
#include "core/event.h"
#include "core/limits.h"
#include "core/timeparse.h"
#include "detect/correlate.h"
#include "parse/layer_map.h"
#include "parse/parse.h"
#include "scan/alert_json.h"
#include "share/outbox.h"
#include "store/archive.h"
#include "store/db.h"

/* An alert waiting for the database (in g->palerts): this header, then the
 * NUL-terminated strings whose len is not 0 (rule id, title, level, host,
 * source ip, agent id, sender address, input; 0 = NULL), then doc_len bytes
 * of the document. */
#define PALERT_STRS 8
struct palert {
	int64_t ts;
	uint32_t len[PALERT_STRS];
	uint32_t doc_len;
	uint8_t is_corr;
};

/* What the ingest knows of one agent's sequence numbers. */
struct agent_seq {
	uint64_t committed; /* highest seq in the archive, durably */
	uint64_t pending;   /* highest seq ingested (committed or not) */
	uint64_t alerted;   /* highest seq whose alerts are in the database, durably */
	int dirty;          /* on the dirty list */
	char id[];
};

#define MAX_AGENTS 100000     /* agents in the sequence map */
#define MAX_PATHS 65536       /* distinct log.file.path strings kept (interned) */
#define ALERT_BUF_SYNC (8 << 20) /* commit early when this much alert text waits */
#define META_MAGIC "vigil-agent-seqs 1\n"
#define MAX_INPUTS 16            /* distinct input names counted */

struct input_count {
	const char *name; /* static, by address */
	uint64_t messages, unparsed, failed;
};

/* One source of the activity map (activity.h); key = the strings joined by '\x1f' + layer. */
struct act {
	int64_t first_us, last_us;
	uint64_t count;
	uint8_t layer;
	uint16_t off[4]; /* offsets of host, source_ip, agent_id, input in key */
	size_t klen;
	char key[];
};

struct vg_ingest {
	vg_hashmap *acts;         /* struct act by key */
	uint64_t acts_dropped;
	vg_buf akey;
	vg_archive *ar;
	vg_hashmap *agents;       /* id -> struct agent_seq */
	struct agent_seq **dirty; /* agents whose pending moved since the last commit */
	size_t ndirty, dirty_cap;
	vg_hashmap *paths;        /* interned path strings (correlation keeps their address) */
	uint64_t generation;
	int suppress;             /* the current record's alerts are already stored */
	vg_alert_part part;       /* the event part of the current record's first alert in out; len 0: none yet */
	int64_t lateness_us;      /* correlation lateness allowance */
	uint64_t sync_events;     /* commit cadence */
	int64_t sync_us;
	vg_buf alerts;            /* alert lines waiting for the commit */
	sqlite3_stmt *seq_upsert;
	vg_buf palerts;           /* alerts for the database, written at the commit (short write lock) */
	vg_db *db;         /* borrowed; NULL: alerts.ndjson only */
	vg_outbox *ob;     /* borrowed, on db; NULL: sharing left to the sharing thread */
	vg_outbox_evsel *evsel; /* the events stream's selection (with ob) */
	vg_buf evdoc;      /* the nested form of a selected event */
	int64_t start_us;  /* wall clock at start: ids of events not from agents */
	uint64_t ev_counter;
	int share_events;  /* some destination selects events: the hot path's only test */
	uint64_t db_pending; /* alerts inserted since the last commit */
	const char *src;   /* the current message's sender */
	const char *src_agent, *src_input; /* ... its agent id (NULL if none) and input */
	int alerts_fd;
	const vg_engine *engine;
	vg_matcher *m;
	vg_corr_plan *plan;
	vg_corr *corr;
	const vg_parser *syslog;
	vg_event *ev;
	vg_arena *hit_arena;
	vg_buf doc, out, meta;
	uint64_t seq;
	uint64_t pending;       /* events appended since the last commit */
	int64_t oldest_mono_us; /* monotonic time of the first uncommitted event; -1 none */
	int64_t last_mono_us;   /* the latest tick */
	vg_ingest_stats st;
	struct input_count inputs[MAX_INPUTS];
	size_t ninputs;
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

/* ---- the agents' sequence map ---- */

static struct agent_seq *agent_get(vg_ingest *g, const char *id, int create)
{
	size_t n = strlen(id);
	struct agent_seq *a = vg_hashmap_get(g->agents, id, n);
	if (a != NULL || !create)
		return a;
	if (vg_hashmap_count(g->agents) >= MAX_AGENTS || n == 0 || n > 64)
		return NULL;
	if ((a = calloc(1, sizeof(*a) + n + 1)) == NULL)
		return NULL;
	memcpy(a->id, id, n + 1);
	if (vg_hashmap_put(g->agents, a->id, n, a) != 0) {
		free(a);
		return NULL;
	}
	return a;
}

static int mark_dirty(vg_ingest *g, struct agent_seq *a)
{
	if (a->dirty)
		return 0;
	if (g->ndirty == g->dirty_cap) {
		size_t cap = g->dirty_cap ? g->dirty_cap * 2 : 16;
		struct agent_seq **d = realloc(g->dirty, cap * sizeof(*d));
		if (d == NULL)
			return VG_ENOMEM;
		g->dirty = d;
		g->dirty_cap = cap;
	}
	g->dirty[g->ndirty++] = a;
	a->dirty = 1;
	return 0;
}

uint64_t vg_ingest_agent_committed(const vg_ingest *g, const char *agent_id)
{
	const struct agent_seq *a = vg_hashmap_get(g->agents, agent_id, strlen(agent_id));
	return a != NULL ? a->committed : 0;
}

uint64_t vg_ingest_agent_pending(const vg_ingest *g, const char *agent_id)
{
	const struct agent_seq *a = vg_hashmap_get(g->agents, agent_id, strlen(agent_id));
	return a != NULL ? a->pending : 0;
}

uint64_t vg_ingest_generation(const vg_ingest *g)
{
	return g->generation;
}

/* The map as archive metadata: META_MAGIC, then "ID SEQ\n" per agent. */
static int meta_encode(const vg_ingest *g, vg_buf *out)
{
	out->len = 0;
	if (vg_buf_append(out, META_MAGIC, strlen(META_MAGIC)) != 0)
		return VG_ENOMEM;
	size_t pos = 0;
	const void *k;
	size_t kl;
	void *v;
	while (vg_hashmap_next(g->agents, &pos, &k, &kl, &v)) {
		const struct agent_seq *a = v;
		uint64_t seq = a->dirty ? a->pending : a->committed;
		if (seq == 0)
			continue;
		char line[96];
		int n = snprintf(line, sizeof(line), "%s %llu\n", a->id, (unsigned long long)seq);
		if (n < 0 || (size_t)n >= sizeof(line) || vg_buf_append(out, line, (size_t)n) != 0)
			return VG_ENOMEM;
	}
	return 0;
}

static int id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-';
}

static int meta_decode(vg_ingest *g, const char *p, size_t n)
{
	size_t ml = strlen(META_MAGIC);
	if (n < ml || memcmp(p, META_MAGIC, ml) != 0)
		return VG_EPARSE;
	size_t i = ml;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		if (nl == NULL)
			return VG_EPARSE;
		size_t e = (size_t)(nl - p), sp = i;
		while (sp < e && p[sp] != ' ')
			sp++;
		if (sp == i || sp - i > 64 || sp == e)
			return VG_EPARSE;
		char id[65];
		memcpy(id, p + i, sp - i);
		id[sp - i] = '\0';
		for (size_t j = 0; id[j]; j++)
			if (!id_char(id[j]))
				return VG_EPARSE;
		uint64_t seq = 0;
		for (size_t j = sp + 1; j < e; j++) {
			if (p[j] < '0' || p[j] > '9' || seq > (UINT64_MAX - 9) / 10)
				return VG_EPARSE;
			seq = seq * 10 + (uint64_t)(p[j] - '0');
		}
		if (sp + 1 == e)
			return VG_EPARSE;
		struct agent_seq *a = agent_get(g, id, 1);
		if (a == NULL)
			return VG_ENOMEM;
		a->committed = a->pending = seq;
		i = e + 1;
	}
	return 0;
}

/* Every agent back to its committed seq (the uncommitted records are gone). */
static void agents_rollback(vg_ingest *g)
{
	for (size_t i = 0; i < g->ndirty; i++) {
		g->dirty[i]->pending = g->dirty[i]->committed;
		g->dirty[i]->dirty = 0;
	}
	g->ndirty = 0;
	g->generation++;
}

/* ---- the state database ---- */

static const char *const ingest_schema[] = {
	"CREATE TABLE agent_alerted (agent_id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;",
};

void vg_ingest_set_db(vg_ingest *g, vg_db *db)
{
	if (g->ar != NULL && vg_ingest_sync(g) != 0)
		fprintf(stderr, "vigil: commit before switching databases failed\n");
	sqlite3_finalize(g->seq_upsert);
	g->seq_upsert = NULL;
	g->db = db;
	if (db == NULL)
		return;
	sqlite3 *s = vg_db_sqlite(db);
	sqlite3_stmt *q = NULL;
	if (vg_db_migrate_module(db, "ingest", ingest_schema, sizeof(ingest_schema) / sizeof(ingest_schema[0])) != 0 ||
	    sqlite3_prepare_v2(s, "SELECT agent_id, seq FROM agent_alerted", -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "vigil: state database: %s (alerts of resent agent records may repeat)\n",
			vg_db_errmsg(db));
		sqlite3_finalize(q);
		return;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(q, 0);
		struct agent_seq *a = id != NULL ? agent_get(g, id, 1) : NULL;
		if (a != NULL)
			a->alerted = (uint64_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(s,
			       "INSERT INTO agent_alerted (agent_id, seq) VALUES (?1, ?2) "
			       "ON CONFLICT(agent_id) DO UPDATE SET seq = excluded.seq",
			       -1, &g->seq_upsert, NULL) != SQLITE_OK)
		g->seq_upsert = NULL;
}

/* The buffered alerts into the open transaction. */
static int insert_alerts(vg_ingest *g)
{
	size_t off = 0;
	while (off + sizeof(struct palert) <= g->palerts.len) {
		struct palert h;
		memcpy(&h, g->palerts.data + off, sizeof(h));
		off += sizeof(h);
		const char *str[PALERT_STRS];
		for (int i = 0; i < PALERT_STRS; i++) {
			str[i] = h.len[i] ? g->palerts.data + off : NULL;
			off += h.len[i];
		}
		vg_db_alert a = {
			.ts_us = h.ts,
			.rule_id = str[0],
			.rule_title = str[1],
			.level = str[2],
			.host = str[3],
			.source_ip = str[4],
			.is_correlation = h.is_corr,
			.doc = g->palerts.data + off,
			.doc_len = h.doc_len,
			.agent_id = str[5],
			.peer_ip = str[6],
			.input = str[7],
		};
		off += h.doc_len;
		int r = vg_db_alert_insert(g->db, &a);
		if (r != 0)
			return r;
	}
	return 0;
}

static const char *field_str(const vg_event *ev, const char *name, char *buf, size_t n);

static int64_t wall_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sharing, inside the commit's transaction: the buffered selected events,
 * then the new alerts (an alert follows the events it is about; the alerts'
 * high-water mark moves with them). */
static int share_commit(vg_ingest *g, int events)
{
	int64_t now = wall_now_us();
	vg_outbox_counts c;
	int rc = 0;
	if (events && (rc = vg_outbox_evsel_flush(g->evsel, now, &c)) == 0)
		g->st.shared += c.queued;
	while (rc == 0 && g->db_pending > 0) {
		if ((rc = vg_outbox_enqueue_alerts(g->ob, now, &c)) != 0)
			break;
		g->st.shared += c.queued;
		if (c.scanned == 0)
			break;
	}
	if (rc != 0)
		fprintf(stderr, "vigil: sharing: selecting into the outbox: %s (%s); the commit is rolled back\n",
			vg_err_str(rc), vg_outbox_errmsg(g->ob));
	return rc;
}

/* Step (1) of a commit: alerts, their outbox items, the selected events and
 * the alerted seqs in one short transaction. */
static int db_commit(vg_ingest *g)
{
	int events = g->evsel != NULL && vg_outbox_evsel_dirty(g->evsel);
	if (g->db == NULL || (g->db_pending == 0 && !events)) {
		g->palerts.len = 0;
		if (g->evsel != NULL)
			vg_outbox_evsel_done(g->evsel, 0); /* no database (detached): nowhere to write them */
		return 0;
	}
	int rc = vg_db_begin(g->db);
	if (rc == 0)
		rc = insert_alerts(g);
	if (rc == 0 && g->ob != NULL)
		rc = share_commit(g, events);
	/* the alerted seqs matter only when alerts (or shared events) were stored */
	for (size_t i = 0; rc == 0 && g->seq_upsert != NULL && i < g->ndirty; i++) {
		struct agent_seq *a = g->dirty[i];
		if (a->pending <= a->alerted)
			continue;
		sqlite3_bind_text(g->seq_upsert, 1, a->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(g->seq_upsert, 2, (sqlite3_int64)a->pending);
		if (sqlite3_step(g->seq_upsert) != SQLITE_DONE)
			rc = VG_EIO;
		sqlite3_reset(g->seq_upsert);
	}
	if (rc == 0)
		rc = vg_db_commit(g->db);
	else if (vg_db_in_txn(g->db))
		(void)vg_db_rollback(g->db);
	if (g->evsel != NULL)
		vg_outbox_evsel_done(g->evsel, rc == 0);
	if (rc != 0) {
		g->st.db_errors += g->db_pending;
	} else {
		for (size_t i = 0; i < g->ndirty; i++)
			if (g->dirty[i]->pending > g->dirty[i]->alerted)
				g->dirty[i]->alerted = g->dirty[i]->pending;
	}
	g->db_pending = 0;
	g->palerts.len = 0;
	return rc;
}

int vg_ingest_set_outbox(vg_ingest *g, vg_outbox *ob)
{
	if (g->ar != NULL && vg_ingest_sync(g) != 0)
		fprintf(stderr, "vigil: commit before switching the sharing outbox failed\n");
	vg_outbox_evsel_free(g->evsel);
	g->evsel = NULL;
	g->share_events = 0;
	g->ob = ob;
	if (ob == NULL)
		return 0;
	if ((g->evsel = vg_outbox_evsel_new(ob)) == NULL)
		return VG_ENOMEM;
	int r = vg_outbox_evsel_refresh(g->evsel);
	g->share_events = vg_outbox_evsel_active(g->evsel);
	return r;
}

/* The current event, if some destination selects it: its nested document
 * buffered for the commit. Only called when the selection is active. */
static void share_event(vg_ingest *g, const char *host, const struct agent_seq *agent, uint64_t seq,
			int64_t now_us)
{
	const vg_event *ev = g->ev;
	char ds[256], oc[64], sys[256], unit[256], cat[VG_SHARE_SUBJECT_CATEGORIES][64];
	vg_share_subject sj = {.host = host, .layer = vg_layer_name(ev->layer)};
	sj.dataset = field_str(ev, "event.dataset", ds, sizeof(ds));
	if (sj.dataset == NULL) /* as vg_share_event_subject: the syslog program */
		sj.dataset = field_str(ev, "process.name", ds, sizeof(ds));
	sj.outcome = field_str(ev, "event.outcome", oc, sizeof(oc));
	sj.system = field_str(ev, "vigil.system", sys, sizeof(sys));
	sj.unit = field_str(ev, "vigil.unit", unit, sizeof(unit));
	for (uint32_t i = 0; i < ev->nfields && sj.ncategories < VG_SHARE_SUBJECT_CATEGORIES; i++) {
		const vg_field *f = &ev->fields[i];
		if (f->name_len != 14 || memcmp(f->name, "event.category", 14) != 0)
			continue;
		size_t l = f->val_len < sizeof(cat[0]) - 1 ? f->val_len : sizeof(cat[0]) - 1;
		memcpy(cat[sj.ncategories], f->val, l);
		cat[sj.ncategories][l] = '\0';
		sj.categories[sj.ncategories] = cat[sj.ncategories];
		sj.ncategories++;
	}
	uint32_t m = vg_outbox_evsel_match(g->evsel, &sj, now_us);
	if (m == 0)
		return;
	char id[VG_OUTBOX_ID_MAX + 1];
	if (agent != NULL)
		snprintf(id, sizeof(id), "event-%s-%llu", agent->id, (unsigned long long)seq);
	else
		snprintf(id, sizeof(id), "event-%llx-%llu", (unsigned long long)g->start_us,
			 (unsigned long long)++g->ev_counter);
	g->evdoc.len = 0;
	int r = vg_event_json_renest(&g->evdoc, g->doc.data, g->doc.len - 1);
	if (r == 0) /* without its '\n' */
		r = vg_outbox_evsel_add(g->evsel, id, host, g->evdoc.data, g->evdoc.len - 1, m, now_us);
	if (r != 0)
		g->st.share_errors++;
}

vg_ingest *vg_ingest_new(const char *dir, const vg_engine *e, const vg_archive_opts *ao_in, int *err)
{
	vg_ingest *g = calloc(1, sizeof(*g));
	int e2 = VG_ENOMEM;
	if (g == NULL)
		goto err;
	g->alerts_fd = -1;
	g->oldest_mono_us = -1;
	g->lateness_us = VG_INGEST_LATENESS_US;
	g->sync_events = VG_INGEST_SYNC_EVENTS;
	g->sync_us = VG_INGEST_SYNC_US;
	g->start_us = wall_now_us();
	g->syslog = vg_parser_find("syslog");
	if ((g->ev = vg_event_new()) == NULL || (g->hit_arena = vg_arena_new(0)) == NULL ||
	    (g->agents = vg_hashmap_new(64)) == NULL || (g->paths = vg_hashmap_new(64)) == NULL ||
	    (g->acts = vg_hashmap_new(64)) == NULL)
		goto err;
	if ((e2 = vg_ingest_set_engine(g, e)) != 0)
		goto err;
	if ((g->ar = vg_archive_open(dir, ao_in, &e2)) == NULL)
		goto err;
	size_t ml = 0;
	e2 = vg_archive_meta(g->ar, NULL, 0, &ml);
	if (e2 == VG_ELIMIT || e2 == 0) {
		char *mb = malloc(ml ? ml : 1);
		if (mb == NULL) {
			e2 = VG_ENOMEM;
			goto err;
		}
		if ((e2 = vg_archive_meta(g->ar, mb, ml, &ml)) == 0)
			e2 = meta_decode(g, mb, ml);
		free(mb);
		if (e2 != 0)
			goto err;
	} else if (e2 != VG_ENOTFOUND) {
		goto err;
	}
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

static void free_values(vg_hashmap *m)
{
	size_t pos = 0;
	const void *k;
	size_t kl;
	void *v;
	while (m != NULL && vg_hashmap_next(m, &pos, &k, &kl, &v))
		free(v);
	vg_hashmap_free(m);
}

int vg_ingest_free(vg_ingest *g)
{
	if (g == NULL)
		return 0;
	int rc = 0;
	if (g->ar != NULL)
		rc = vg_ingest_sync(g);
	else if (g->db != NULL)
		rc = db_commit(g);
	if (g->ar != NULL) {
		int r2 = vg_archive_close(g->ar);
		if (rc == 0)
			rc = r2;
	}
	if (g->alerts_fd >= 0 && close(g->alerts_fd) != 0 && rc == 0)
		rc = VG_EIO;
	sqlite3_finalize(g->seq_upsert);
	vg_matcher_free(g->m);
	vg_corr_plan_free(g->plan);
	vg_corr_free(g->corr);
	vg_event_free(g->ev);
	vg_arena_free(g->hit_arena);
	vg_buf_free(&g->doc);
	vg_buf_free(&g->out);
	vg_buf_free(&g->alerts);
	vg_buf_free(&g->palerts);
	vg_buf_free(&g->meta);
	vg_buf_free(&g->evdoc);
	vg_outbox_evsel_free(g->evsel);
	free_values(g->agents);
	free_values(g->paths);
	free_values(g->acts);
	vg_buf_free(&g->akey);
	free(g->dirty);
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
	vg_corr_set_lateness(corr, g->lateness_us);
	if (g->corr != NULL) {
		int kept = vg_corr_adopt(corr, g->corr);
		if (kept < 0) {
			vg_matcher_free(m);
			vg_corr_plan_free(plan);
			vg_corr_free(corr);
			return kept;
		}
		g->st.corr_kept += (uint64_t)kept;
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

void vg_ingest_set_commit(vg_ingest *g, uint64_t events, int64_t us)
{
	if (events > 0)
		g->sync_events = events;
	if (us > 0)
		g->sync_us = us;
}

void vg_ingest_set_lateness(vg_ingest *g, int64_t us)
{
	g->lateness_us = us;
	vg_corr_set_lateness(g->corr, us);
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

static const char *peer_ip(const char *src, char *buf, size_t n);

/* The alert just appended to g->out at doc_off into the database. host and
 * source_ip: NULL to take them from the current event. The origin (agent,
 * sender, input) is the current message's: a correlation alert's is the
 * event that completed it, as its host is when not grouped by host. */
static void db_alert(vg_ingest *g, size_t doc_off, int64_t ts, const vg_rule_info *rule, const char *host,
		     const char *source_ip)
{
	if (g->db == NULL)
		return;
	char hbuf[VG_ARCHIVE_MAX_HOST + 1], ibuf[256], pbuf[256];
	if (host == NULL) {
		archive_host(g->ev, g->src, hbuf, sizeof(hbuf));
		host = hbuf;
	}
	if (source_ip == NULL)
		source_ip = field_str(g->ev, "source.ip", ibuf, sizeof(ibuf));
	/* buffered: the database's write lock is then held only while the
	 * commit writes them, not for the whole commit interval */
	const char *str[PALERT_STRS] = {nonempty(rule->id), nonempty(rule->title), nonempty(rule->level),
					nonempty(host), source_ip, nonempty(g->src_agent),
					nonempty(peer_ip(g->src, pbuf, sizeof(pbuf))), nonempty(g->src_input)};
	struct palert h = {.ts = ts, .is_corr = (uint8_t)rule->is_correlation,
			   .doc_len = (uint32_t)(g->out.len - doc_off - 1)}; /* without the '\n' */
	for (int i = 0; i < PALERT_STRS; i++)
		h.len[i] = str[i] != NULL ? (uint32_t)strlen(str[i]) + 1 : 0;
	size_t start = g->palerts.len;
	int r = vg_buf_append(&g->palerts, &h, sizeof(h));
	for (int i = 0; i < PALERT_STRS && r == 0; i++)
		if (str[i] != NULL)
			r = vg_buf_append(&g->palerts, str[i], h.len[i]);
	if (r == 0)
		r = vg_buf_append(&g->palerts, g->out.data + doc_off, h.doc_len);
	if (r != 0) {
		g->palerts.len = start;
		g->st.db_errors++;
		return;
	}
	g->db_pending++;
}

static void on_corr(void *ud, const vg_corr_alert *a)
{
	vg_ingest *g = ud;
	if (g->suppress) {
		g->st.alerts_replayed++;
		return;
	}
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
	if (rule->alert && g->suppress) {
		g->st.alerts_replayed++;
	} else if (rule->alert) {
		size_t off = g->out.len;
		/* an event's further alerts copy its first's event part */
		if (vg_alert_json_event(&g->out, g->ev, rule, &g->part) != 0) {
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

/* A stable copy of path (correlation alerts keep the address); past MAX_PATHS
 * distinct paths, fallback. */
static const char *intern_path(vg_ingest *g, const char *p, size_t n, const char *fallback)
{
	char *s = vg_hashmap_get(g->paths, p, n);
	if (s != NULL)
		return s;
	if (vg_hashmap_count(g->paths) >= MAX_PATHS || (s = malloc(n + 1)) == NULL)
		return fallback;
	memcpy(s, p, n);
	s[n] = '\0';
	if (vg_hashmap_put(g->paths, s, n, s) != 0) {
		free(s);
		return fallback;
	}
	return s;
}

/* Counts a message of input; returns its row (NULL past MAX_INPUTS). */
static struct input_count *count_input(vg_ingest *g, const char *input, int unparsed)
{
	size_t i = 0;
	while (i < g->ninputs && g->inputs[i].name != input)
		i++;
	if (i == g->ninputs) {
		if (i == MAX_INPUTS)
			return NULL;
		g->inputs[g->ninputs++].name = input;
	}
	g->inputs[i].messages++;
	g->inputs[i].unparsed += (uint64_t)unparsed;
	return &g->inputs[i];
}

void vg_ingest_inputs(const vg_ingest *g, vg_ingest_input_fn fn, void *ud)
{
	for (size_t i = 0; i < g->ninputs; i++)
		fn(ud, g->inputs[i].name, g->inputs[i].messages, g->inputs[i].unparsed, g->inputs[i].failed);
}

int64_t vg_ingest_retain(vg_ingest *g, int64_t now_us)
{
	return vg_archive_retain(g->ar, now_us);
}

void vg_ingest_archive_stats(const vg_ingest *g, vg_archive_stats *st)
{
	vg_archive_stats_get(g->ar, st);
}

/* the sender's IP of "IP:PORT" / "[v6]:PORT" into buf */
static const char *peer_ip(const char *src, char *buf, size_t n)
{
	size_t l = strlen(src);
	const char *colon = strrchr(src, ':');
	if (colon != NULL)
		l = (size_t)(colon - src);
	if (l >= 2 && src[0] == '[' && src[l - 1] == ']') {
		src++;
		l -= 2;
	}
	if (l >= n)
		l = n - 1;
	memcpy(buf, src, l);
	buf[l] = '\0';
	return buf;
}

static void note_activity(vg_ingest *g, const char *host, const char *src, const char *agent_id, const char *input,
			  uint8_t layer, int64_t now_us)
{
	char ip[64];
	const char *parts[4] = {host, peer_ip(src, ip, sizeof(ip)), agent_id != NULL ? agent_id : "", input};
	uint16_t off[4];
	g->akey.len = 0;
	for (int i = 0; i < 4; i++) {
		off[i] = (uint16_t)g->akey.len;
		if (vg_buf_append(&g->akey, parts[i], strlen(parts[i]) + 1) != 0)
			return;
	}
	if (vg_buf_append(&g->akey, &layer, 1) != 0)
		return;
	struct act *a = vg_hashmap_get(g->acts, g->akey.data, g->akey.len);
	if (a == NULL) {
		if (vg_hashmap_count(g->acts) >= VG_ACTIVITY_MAX_SOURCES ||
		    (a = calloc(1, sizeof(*a) + g->akey.len)) == NULL) {
			g->acts_dropped++;
			return;
		}
		memcpy(a->key, g->akey.data, g->akey.len);
		memcpy(a->off, off, sizeof(off));
		a->klen = g->akey.len;
		a->layer = layer;
		a->first_us = now_us;
		if (vg_hashmap_put(g->acts, a->key, a->klen, a) != 0) {
			free(a);
			g->acts_dropped++;
			return;
		}
	}
	a->last_us = now_us;
	a->count++;
}

uint64_t vg_ingest_activity_drain(vg_ingest *g, vg_activity_fn fn, void *ud)
{
	size_t pos = 0;
	const void *k;
	size_t kl;
	void *v;
	while (vg_hashmap_next(g->acts, &pos, &k, &kl, &v)) {
		const struct act *a = v;
		vg_activity x = {
			.host = a->key + a->off[0],
			.source_ip = a->key + a->off[1],
			.agent_id = a->key + a->off[2],
			.input = a->key + a->off[3],
			.layer = a->layer,
			.first_us = a->first_us,
			.last_us = a->last_us,
			.count = a->count,
		};
		fn(ud, &x);
	}
	free_values(g->acts);
	g->acts = vg_hashmap_new(64);
	uint64_t d = g->acts_dropped;
	g->acts_dropped = 0;
	return d;
}

/* Everything since the last commit is gone: forget it. */
static void lost_uncommitted(vg_ingest *g, uint64_t also)
{
	g->st.last_errno = errno;
	g->st.rollbacks++;
	g->st.archive_errors += g->pending + also;
	g->pending = 0;
	g->oldest_mono_us = -1;
	g->st.db_errors += g->db_pending;
	g->db_pending = 0;
	g->palerts.len = 0;
	g->alerts.len = 0;
	if (g->evsel != NULL)
		vg_outbox_evsel_done(g->evsel, 0); /* agents resend; the rest is lost with the archive's events */
	agents_rollback(g);
}

int vg_ingest_record(vg_ingest *g, const char *msg, size_t len, const vg_ingest_src *s, int64_t now_us)
{
	const char *src = s->peer != NULL ? s->peer : "";
	struct agent_seq *agent = NULL;
	g->suppress = 0;
	if (s->agent_id != NULL) {
		if ((agent = agent_get(g, s->agent_id, 1)) == NULL)
			return VG_ENOMEM;
		if (s->seq <= agent->pending) {
			g->st.duplicates++;
			return VG_INGEST_DUPLICATE;
		}
		if (mark_dirty(g, agent) != 0)
			return VG_ENOMEM;
		g->suppress = s->seq <= agent->alerted;
	}
	/* the first event after a commit: has the sharing configuration moved? */
	if (g->evsel != NULL && g->pending == 0 && vg_outbox_evsel_pending(g->evsel) == 0) {
		if (vg_outbox_evsel_refresh(g->evsel) != 0)
			g->st.share_errors++;
		g->share_events = vg_outbox_evsel_active(g->evsel);
	}
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r' || msg[len - 1] == '\0'))
		len--;
	if (len > VG_MAX_LINE)
		len = VG_MAX_LINE;
	const char *path = s->input;
	if (s->path != NULL)
		path = intern_path(g, s->path, s->path_len, s->input);
	vg_event *ev = g->ev;
	vg_event_reset(ev, msg, len, path, s->line != 0 ? s->line : ++g->seq);
	ev->year_hint = vg_year_of(now_us);
	int unparsed = vg_parse_record(g->syslog, ev) == NULL;
	ev->layer = vg_layer_assign(ev, s->input); /* the source/format -> layer table (parse/layer_map.c) */
	g->st.unparsed += (uint64_t)unparsed;
	if (ev->ts_us == VG_TS_NONE)
		ev->ts_us = s->ts_us != 0 ? s->ts_us : now_us;
	if (src[0] != '\0')
		(void)vg_event_add_copy(ev, "log.source.address", 18, src, strlen(src), VG_V_STR);
	(void)vg_event_add_str(ev, "vigil.input", s->input, strlen(s->input));
	if (agent != NULL) {
		(void)vg_event_add_copy(ev, "agent.id", 8, agent->id, strlen(agent->id), VG_V_STR);
		if (s->agent_host != NULL && s->agent_host[0] != '\0') {
			size_t hl = strlen(s->agent_host);
			(void)vg_event_add_copy(ev, "agent.name", 10, s->agent_host, hl, VG_V_STR);
			if (vg_event_get(ev, "host.name") == NULL)
				(void)vg_event_add_copy(ev, "host.name", 9, s->agent_host, hl, VG_V_STR);
		}
	}
	g->st.messages++;
	struct input_count *ic = count_input(g, s->input, unparsed);

	g->src = src;
	g->src_agent = s->agent_id;
	g->src_input = s->input;
	g->out.len = 0;
	g->part.len = 0;
	vg_arena_reset(g->hit_arena);
	if (vg_matcher_run(g->m, ev, on_match, g) != 0)
		g->st.alert_errors++;
	if (g->out.len > 0 && vg_buf_append(&g->alerts, g->out.data, g->out.len) != 0)
		g->st.alert_errors++;

	g->doc.len = 0;
	int rc = vg_event_json_flat(&g->doc, ev);
	if (rc == 0) {
		char host[VG_ARCHIVE_MAX_HOST + 1];
		archive_host(ev, src, host, sizeof(host));
		if (g->acts != NULL)
			note_activity(g, host, src, s->agent_id, s->input, ev->layer, now_us);
		/* the document ends in '\n'; the archive wants one line without it */
		rc = vg_archive_append(g->ar, ev->ts_us, host, g->doc.data, g->doc.len - 1);
		if (rc == 0 && g->share_events && !g->suppress)
			share_event(g, host, agent, s->seq, now_us);
	}
	if (rc != 0 && ic != NULL)
		ic->failed++; /* (events rolled back with it are in the total only) */
	if (rc == VG_EIO || rc == VG_ENOMEM) {
		/* the append rolled back everything since the last commit */
		lost_uncommitted(g, 1);
		return rc;
	}
	if (rc != 0) {
		/* this record only (too long...): counted, and its seq is still taken */
		g->st.archive_errors++;
	} else if (g->pending++ == 0) {
		g->oldest_mono_us = g->last_mono_us;
	}
	if (agent != NULL)
		agent->pending = s->seq;
	if (g->pending >= g->sync_events || g->alerts.len >= ALERT_BUF_SYNC)
		return vg_ingest_sync(g);
	return 0;
}

int vg_ingest_message(vg_ingest *g, const char *msg, size_t len, const char *src, const char *input, int64_t now_us)
{
	vg_ingest_src s = {.input = input, .peer = src};
	return vg_ingest_record(g, msg, len, &s, now_us);
}

int vg_ingest_sync(vg_ingest *g)
{
	if (g->pending == 0 && g->ndirty == 0 && g->alerts.len == 0 && g->db_pending == 0)
		return 0;
	uint64_t pending = g->pending;
	/* (1) the database: alerts and the seqs whose alerts are stored */
	int rc = db_commit(g);
	if (rc != 0) {
		if (pending > 0 && vg_archive_rollback(g->ar) != 0)
			rc = VG_EIO;
		lost_uncommitted(g, 0);
		return rc;
	}
	/* (2) alerts.ndjson */
	if (g->alerts.len > 0 && write_all(g->alerts_fd, g->alerts.data, g->alerts.len) != 0)
		g->st.alert_errors++;
	g->alerts.len = 0;
	/* (3) the archive, with the agents' seqs as its metadata */
	if (g->ndirty > 0) {
		if ((rc = meta_encode(g, &g->meta)) == 0)
			rc = vg_archive_sync_meta(g->ar, g->meta.data, g->meta.len);
	} else if (pending > 0) {
		rc = vg_archive_sync(g->ar);
	}
	if (rc != 0) {
		if (rc == VG_ENOMEM && vg_archive_rollback(g->ar) != 0)
			rc = VG_EIO;
		lost_uncommitted(g, 0);
		return rc;
	}
	for (size_t i = 0; i < g->ndirty; i++) {
		g->dirty[i]->committed = g->dirty[i]->pending;
		g->dirty[i]->dirty = 0;
	}
	g->ndirty = 0;
	g->pending = 0;
	g->oldest_mono_us = -1;
	return 0;
}

int vg_ingest_tick(vg_ingest *g, int64_t mono_us)
{
	g->last_mono_us = mono_us;
	if ((g->pending > 0 || g->ndirty > 0) && g->oldest_mono_us >= 0 &&
	    mono_us - g->oldest_mono_us >= g->sync_us)
		return vg_ingest_sync(g);
	if (g->ndirty > 0 && g->oldest_mono_us < 0)
		g->oldest_mono_us = mono_us; /* only duplicates or rejected records: commit their seqs soon */
	return 0;
}

void vg_ingest_stats_get(const vg_ingest *g, vg_ingest_stats *st)
{
	*st = g->st;
}
