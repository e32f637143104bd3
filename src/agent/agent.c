/* agent.c — the agent's read side and run loop (see agent.h). */
#include "agent/agent.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/journal.h"
#include "agent/sender.h"
#include "agent/tail.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "net/agent_proto.h"
#include "core/timefmt.h"
#include "store/dqueue.h"

#define POLL_LINES 4096          /* lines read per input per round */
#define SYNC_US 200000           /* commit the queue batch at least this often */
#define IDLE_US 100000           /* sleep when no input had anything */
#define META_MAGIC "VGAM"        /* checkpoint: magic, version, tail blob, journal cursor */
#define META_VERSION 1

typedef struct agent {
	const vg_agent_opts *o;
	char host[256];
	vg_dq *q;
	vg_tail *tail;
	vg_journal *journal;
	vg_sender *sender;
	vg_buf rec, meta, tmp;
	uint8_t *saved; /* the checkpoint read at start */
	int full;       /* the last push found the batch or the queue full */
	int blocked;    /* the queue is at its bound (policy block) */
	uint64_t heartbeats;
	int64_t last_sync, last_heartbeat;
} agent;

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void put_u32(vg_buf *b, uint32_t v, int *err)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	if (vg_buf_append(b, x, 4) != 0)
		*err = VG_ENOMEM;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The checkpoint of every input as of the last record pushed. */
static int build_meta(agent *a)
{
	int err = 0;
	a->meta.len = 0;
	if (vg_buf_append(&a->meta, META_MAGIC, 4) != 0 || vg_buf_append(&a->meta, &(uint8_t){META_VERSION}, 1) != 0)
		return VG_ENOMEM;
	a->tmp.len = 0;
	if (a->tail != NULL && (err = vg_tail_checkpoint(a->tail, &a->tmp)) != 0)
		return err;
	put_u32(&a->meta, (uint32_t)a->tmp.len, &err);
	if (err == 0 && vg_buf_append(&a->meta, a->tmp.data, a->tmp.len) != 0)
		err = VG_ENOMEM;
	a->tmp.len = 0;
	if (err == 0 && a->journal != NULL && (err = vg_journal_checkpoint(a->journal, &a->tmp)) == VG_ENOTFOUND) {
		err = 0; /* nothing delivered from the journal yet: no cursor */
		a->tmp.len = 0;
	}
	if (err != 0)
		return err;
	put_u32(&a->meta, (uint32_t)a->tmp.len, &err);
	if (err == 0 && vg_buf_append(&a->meta, a->tmp.data, a->tmp.len) != 0)
		err = VG_ENOMEM;
	return err;
}

/* The queue's last committed checkpoint: the tail blob and the journal
 * cursor (NUL-terminated) as slices of a->saved. */
static int load_meta(agent *a, const uint8_t **tail, size_t *tl, char **cursor)
{
	size_t len = 0;
	*tail = NULL;
	*tl = 0;
	*cursor = NULL;
	if ((a->saved = malloc(VG_DQ_MAX_META + 1)) == NULL)
		return VG_ENOMEM;
	uint8_t *buf = a->saved;
	int r = vg_dq_meta(a->q, buf, VG_DQ_MAX_META, &len);
	if (r == VG_ENOTFOUND)
		return 0; /* first start */
	if (r != 0)
		goto out;
	r = VG_EPARSE;
	if (len < 13 || memcmp(buf, META_MAGIC, 4) != 0 || buf[4] != META_VERSION)
		goto out;
	uint32_t l1 = get_u32(buf + 5);
	if ((size_t)l1 > len - 13)
		goto out;
	uint32_t l2 = get_u32(buf + 9 + l1);
	if ((size_t)l1 + l2 + 13 != len || l2 > VG_JOURNAL_MAX_CURSOR || memchr(buf + 13 + l1, 0, l2) != NULL)
		goto out;
	r = 0;
	*tail = buf + 9;
	*tl = l1;
	if (l2 > 0) {
		memmove(buf + 13 + l1 - 1, buf + 13 + l1, l2); /* NUL-terminate in place */
		buf[12 + l1 + l2] = '\0';
		*cursor = (char *)buf + 12 + l1;
	}
out:
	if (r != 0)
		fprintf(stderr, "vigil agent: %s/queue: the saved read positions are unusable (%s)\n", a->o->dir,
			vg_err_str(r));
	return r;
}

/* Commits the queue batch with the inputs' positions. */
static int commit(agent *a)
{
	int r = build_meta(a);
	if (r == 0)
		r = vg_dq_sync(a->q, a->meta.data, a->meta.len);
	if (r != 0) {
		static int64_t said;
		if (mono_us() - said > 10000000) {
			fprintf(stderr, "vigil agent: %s/queue: commit failed: %s%s%s (retrying)\n", a->o->dir,
				vg_err_str(r), r == VG_EIO ? ": " : "", r == VG_EIO ? strerror(errno) : "");
			said = mono_us();
		}
		return r;
	}
	a->last_sync = mono_us();
	return 0;
}

/* One record into the queue; 0, or 1 when it must wait (batch or queue full). */
static int push(agent *a, uint8_t kind, int64_t ts, const char *path, uint64_t line, const char *msg, size_t len)
{
	vg_ap_record r = {
		.kind = kind,
		.ts_us = ts,
		.path = {path, strlen(path)},
		.line = line,
		.msg = {msg, len},
	};
	a->rec.len = 0;
	if (vg_ap_record_encode(&a->rec, &r) != 0)
		return 0; /* beyond the record bounds: cannot happen for cut lines; skip */
	int rc = vg_dq_push(a->q, a->rec.data, a->rec.len, NULL);
	if (rc == 0)
		return 0;
	a->full = 1;
	return 1;
}

static int on_line(void *ud, const char *path, uint64_t line_no, const char *line, size_t len, int truncated)
{
	(void)truncated;
	return push(ud, VG_AP_KIND_FILE, 0, path, line_no, line, len);
}

static int on_journal(void *ud, const char *line, size_t len, const char *cursor, int truncated)
{
	(void)cursor;
	(void)truncated;
	return push(ud, VG_AP_KIND_JOURNAL, 0, "journal", 0, line, len);
}

static void heartbeat(agent *a)
{
	vg_dq_stats qs;
	vg_sender_stats ss;
	vg_tail_stats ts = {0};
	vg_dq_stats_get(a->q, &qs);
	vg_sender_stats_get(a->sender, &ss);
	if (a->tail != NULL)
		vg_tail_stats_get(a->tail, &ts);
	char tsbuf[40];
	vg_format_ts(wall_us(), tsbuf, sizeof(tsbuf));
	vg_buf b = {0};
	vg_jsonw w;
	vg_jsonw_init(&w, &b);
	vg_jsonw_obj_begin(&w);
#define KEY(k) vg_jsonw_key(&w, k, sizeof(k) - 1)
	KEY("@timestamp");
	vg_jsonw_str(&w, tsbuf, strlen(tsbuf));
	KEY("event");
	vg_jsonw_obj_begin(&w);
	KEY("kind");
	vg_jsonw_str(&w, "state", 5);
	KEY("module");
	vg_jsonw_str(&w, "vigil", 5);
	KEY("dataset");
	vg_jsonw_str(&w, "vigil.agent.heartbeat", 21);
	vg_jsonw_obj_end(&w);
	KEY("host");
	vg_jsonw_obj_begin(&w);
	KEY("name");
	vg_jsonw_str(&w, a->host, strlen(a->host));
	vg_jsonw_obj_end(&w);
	KEY("vigil");
	vg_jsonw_obj_begin(&w);
	KEY("agent");
	vg_jsonw_obj_begin(&w);
	KEY("version");
	vg_jsonw_str(&w, VG_VERSION, strlen(VG_VERSION));
	KEY("connected");
	vg_jsonw_bool(&w, ss.connected);
	KEY("acked_seq");
	vg_jsonw_int(&w, (int64_t)ss.acked_seq);
	KEY("queue_records");
	vg_jsonw_int(&w, (int64_t)qs.pending_records);
	KEY("queue_bytes");
	vg_jsonw_int(&w, (int64_t)qs.disk_bytes);
	KEY("dropped");
	vg_jsonw_int(&w, (int64_t)qs.dropped);
	KEY("files");
	vg_jsonw_int(&w, (int64_t)ts.files_open);
	KEY("lines");
	vg_jsonw_int(&w, (int64_t)ts.lines);
	KEY("blocked");
	vg_jsonw_bool(&w, a->blocked);
	vg_jsonw_obj_end(&w);
	vg_jsonw_obj_end(&w);
	vg_jsonw_obj_end(&w);
#undef KEY
	if (vg_jsonw_finish(&w) == 0 && push(a, VG_AP_KIND_HEARTBEAT, wall_us(), "heartbeat", 0, b.data, b.len) == 0)
		a->heartbeats++;
	vg_buf_free(&b);
}

struct sender_arg {
	vg_sender *s;
	volatile sig_atomic_t *stop;
};

static void *sender_main(void *p)
{
	struct sender_arg *sa = p;
	(void)vg_sender_run(sa->s, sa->stop);
	return NULL;
}

static int open_inputs(agent *a)
{
	const vg_agent_opts *o = a->o;
	const uint8_t *tail_blob;
	size_t tl;
	char *cursor;
	int err = load_meta(a, &tail_blob, &tl, &cursor);
	if (err != 0)
		return err;
	if (o->ntail > 0) {
		vg_tail_opts to = {.start_at_end = o->start_at_end};
		if ((a->tail = vg_tail_new(o->tail, o->ntail, &to, &err)) == NULL) {
			fprintf(stderr, "vigil agent: --tail: %s\n", vg_err_str(err));
			return err;
		}
		if (tl > 0 && (err = vg_tail_restore(a->tail, tail_blob, tl)) != 0) {
			fprintf(stderr, "vigil agent: %s/queue: saved file positions unusable: %s\n", o->dir,
				vg_err_str(err));
			return err;
		}
	}
	if (o->journal) {
		char why[256] = "";
		vg_journal_opts jo = {
			.dir = o->journal_dir != NULL && o->journal_dir[0] ? o->journal_dir : NULL,
			.cursor = cursor,
			.start_at_end = o->start_at_end,
		};
		if ((a->journal = vg_journal_open(&jo, &err, why, sizeof(why))) == NULL) {
			fprintf(stderr, "vigil agent: journal: %s\n", why[0] ? why : vg_err_str(err));
			return err;
		}
	}
	return 0;
}

int vg_agent_run(const vg_agent_opts *o, volatile sig_atomic_t *stop)
{
	agent a = {.o = o};
	int r = 0;
	pthread_t tid;
	int started = 0;
	volatile sig_atomic_t sender_stop = 0;
	if (o->hostname != NULL && o->hostname[0])
		snprintf(a.host, sizeof(a.host), "%s", o->hostname);
	else if (gethostname(a.host, sizeof(a.host) - 1) != 0 || a.host[0] == '\0')
		snprintf(a.host, sizeof(a.host), "unknown");
	char qdir[4096];
	if (snprintf(qdir, sizeof(qdir), "%s/queue", o->dir) >= (int)sizeof(qdir))
		return VG_EINVAL;
	vg_dq_opts qo = {
		.max_bytes = o->queue_max_bytes,
		.segment_bytes = o->queue_segment_bytes,
		.policy = o->queue_policy,
	};
	if ((a.q = vg_dq_open(qdir, &qo, &r)) == NULL) {
		fprintf(stderr, "vigil agent: %s: %s%s%s\n", qdir, vg_err_str(r), r == VG_EIO ? ": " : "",
			r == VG_EIO ? (errno == EWOULDBLOCK ? "another agent uses this directory" : strerror(errno)) : "");
		return r;
	}
	if ((r = open_inputs(&a)) != 0)
		goto out;
	vg_sender_opts so = {
		.server = o->server,
		.dir = o->dir,
		.hostname = a.host,
		.batch_events = o->batch_events,
		.batch_bytes = o->batch_bytes,
		.backoff_min_us = o->backoff_min_us,
		.backoff_max_us = o->backoff_max_us,
	};
	if ((a.sender = vg_sender_new(&so, a.q, &r)) == NULL)
		goto out;
	struct sender_arg sa = {a.sender, &sender_stop};
	if (pthread_create(&tid, NULL, sender_main, &sa) != 0) {
		r = VG_ENOMEM;
		goto out;
	}
	started = 1;
	int64_t hb = o->heartbeat_us == 0 ? 60000000 : o->heartbeat_us;
	a.last_sync = a.last_heartbeat = mono_us();
	if (hb > 0)
		a.last_heartbeat -= hb; /* one at start */
	fprintf(stderr, "vigil agent: %s: %zu file pattern(s)%s, sending to %s\n", a.host, o->ntail,
		a.journal != NULL ? ", the journal" : "", o->server);
	while (!*stop) {
		int got = 0;
		a.full = 0;
		if (a.tail != NULL) {
			int n = vg_tail_poll(a.tail, POLL_LINES, on_line, &a);
			if (n > 0)
				got += n;
		}
		if (a.journal != NULL && !a.full) {
			int n = vg_journal_poll(a.journal, POLL_LINES, on_journal, &a);
			if (n > 0)
				got += n;
		}
		int64_t now = mono_us();
		if (hb > 0 && now - a.last_heartbeat >= hb && !a.full) {
			heartbeat(&a);
			a.last_heartbeat = now;
		}
		vg_dq_stats qs;
		vg_dq_stats_get(a.q, &qs);
		/* full with an empty batch: the queue is at its bound (a full batch
		 * is not: committing it makes room at once) */
		a.blocked = a.full && qs.batch_records == 0;
		if (qs.batch_records > 0 && (a.full || now - a.last_sync >= SYNC_US))
			(void)commit(&a);
		if (got == 0 || a.blocked) {
			struct timespec ts = {0, (long)IDLE_US * 1000};
			nanosleep(&ts, NULL);
		}
	}
	r = 0;
out:
	if (started && commit(&a) != 0)
		fprintf(stderr, "vigil agent: the last lines read are not committed; they are read again at the next start\n");
	sender_stop = 1;
	if (started)
		pthread_join(tid, NULL);
	vg_sender_free(a.sender);
	vg_tail_free(a.tail);
	vg_journal_free(a.journal);
	vg_dq_close(a.q);
	vg_buf_free(&a.rec);
	vg_buf_free(&a.meta);
	vg_buf_free(&a.tmp);
	free(a.saved);
	return r;
}
