/* scan.c — the offline pipeline (see scan.h): input expansion, the batch
 * ring shared by the reader and the workers, and the in-order commit. */
#include "scan/scan.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "detect/correlate.h"
#include "scan/alert_json.h"
#include "scan/reader.h"

#define BATCH_RECORDS 4096
#define BATCH_BYTES (1024 * 1024)

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

typedef struct slot {
	vg_batch batch;
	enum slot_state state;
	vg_buf out;  /* NDJSON alerts of this batch */
	vg_buf hits; /* vg_corr_hit pointers, in event order */
	vg_arena *arena;
	uint64_t events, unparsed, alerts;
	uint64_t per_format[VG_SCAN_MAX_FORMATS];
	int err;
} slot;

typedef struct worker {
	vg_event *ev;
	vg_matcher *m;
	slot *cur; /* the slot being processed, for the match callback */
	const vg_corr_plan *plan;
} worker;

typedef struct pipeline {
	const vg_scan_opts *o;
	slot *ring;
	size_t nslots, head, tail; /* head: next to commit; tail: next to fill */
	size_t next_work;          /* next queued slot for a worker */
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv, free_cv;
	int stop;
	int reading_done;     /* no more slots will be queued */
	pthread_t committer;  /* with threads > 1: commits in order, off the reader */
	int has_committer;
	worker *workers;
	pthread_t *tids;
	vg_corr *corr;
	vg_corr_plan *plan;
	vg_buf corr_out;
	vg_scan_stats *st;
	int out_err;
	vg_buf paths; /* char* of every expanded path: correlation state may cite them until the end */
} pipeline;

/* The first error wins; the committer sets it, the reader polls it. */
static void set_err(int *slot_err, int e)
{
	int zero = 0;
	if (e != 0)
		__atomic_compare_exchange_n(slot_err, &zero, e, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static int get_err(const int *slot_err)
{
	return __atomic_load_n(slot_err, __ATOMIC_RELAXED);
}

static size_t parser_index(const vg_parser *p)
{
	for (size_t i = 0; vg_parsers[i] != NULL && i < VG_SCAN_MAX_FORMATS - 1; i++)
		if (vg_parsers[i] == p)
			return i;
	return VG_SCAN_MAX_FORMATS - 1; /* raw */
}

static void on_match(void *ud, size_t idx, const vg_rule_info *rule)
{
	worker *w = ud;
	slot *s = w->cur;
	if (rule->alert) {
		if (vg_alert_json_event(&s->out, w->ev, rule) != 0)
			s->err = VG_ENOMEM;
		else
			s->alerts++;
	}
	vg_corr_hit *h = vg_corr_plan_hit(w->plan, idx, w->ev, s->arena);
	if (h != NULL && vg_buf_append(&s->hits, &h, sizeof(h)) != 0)
		s->err = VG_ENOMEM;
}

static void process(worker *w, slot *s)
{
	vg_batch *b = &s->batch;
	s->out.len = s->hits.len = 0;
	vg_arena_reset(s->arena);
	s->events = s->unparsed = s->alerts = 0;
	memset(s->per_format, 0, sizeof(s->per_format));
	s->err = 0;
	w->cur = s;
	/* records of a batch mostly keep its parser: its index, looked up once */
	const vg_parser *last = b->parser;
	size_t last_idx = parser_index(last);
	for (size_t i = 0; i < b->nrecs; i++) {
		const vg_record *r = &b->recs[i];
		vg_event_reset(w->ev, b->buf + r->off, r->len, b->path, r->line);
		w->ev->year_hint = b->year_hint;
		const vg_parser *used = vg_parse_record(b->parser, w->ev);
		s->events++;
		if (used != last) {
			last = used;
			last_idx = parser_index(used);
		}
		s->per_format[last_idx]++;
		if (used == NULL)
			s->unparsed++;
		int rc = vg_matcher_run(w->m, w->ev, on_match, w);
		if (rc != 0 && s->err == 0)
			s->err = rc;
	}
}

static void *worker_main(void *arg)
{
	pipeline *p = ((void **)arg)[0];
	worker *w = ((void **)arg)[1];
	free(arg);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		/* Slots are queued and taken in ring order, so the state of the
		 * next slot alone says whether there is work (head == tail is
		 * ambiguous: the ring may be empty or full). */
		while (!p->stop && p->ring[p->next_work].state != SLOT_QUEUED)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->ring[p->next_work].state != SLOT_QUEUED)
			break;
		slot *s = &p->ring[p->next_work];
		s->state = SLOT_BUSY;
		p->next_work = (p->next_work + 1) % p->nslots;
		pthread_mutex_unlock(&p->mu);
		process(w, s);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void on_corr(void *ud, const vg_corr_alert *a)
{
	pipeline *p = ud;
	if (vg_alert_json_corr(&p->corr_out, p->o->engine, a) != 0)
		set_err(&p->out_err, VG_ENOMEM);
	else
		p->st->corr_alerts++;
}

/* Runs on the reader thread, in input order. */
static void commit(pipeline *p, slot *s)
{
	vg_scan_stats *st = p->st;
	st->events += s->events;
	st->unparsed += s->unparsed;
	st->alerts += s->alerts;
	st->bytes += s->batch.bytes_in;
	for (size_t i = 0; i < VG_SCAN_MAX_FORMATS; i++)
		st->per_format[i] += s->per_format[i];
	set_err(&p->out_err, s->err);
	if (s->out.len > 0 && fwrite(s->out.data, 1, s->out.len, p->o->out) != s->out.len)
		set_err(&p->out_err, VG_EIO);
	vg_corr_hit **hits = (vg_corr_hit **)(void *)s->hits.data;
	size_t nh = s->hits.len / sizeof(*hits);
	for (size_t i = 0; i < nh; i++) {
		p->corr_out.len = 0;
		set_err(&p->out_err, vg_corr_feed(p->corr, hits[i], on_corr, p));
		if (p->corr_out.len > 0 && fwrite(p->corr_out.data, 1, p->corr_out.len, p->o->out) != p->corr_out.len)
			set_err(&p->out_err, VG_EIO);
	}
}

/* Single-threaded: commit the slot just processed and free it. */
static void commit_head(pipeline *p)
{
	slot *s = &p->ring[p->head];
	commit(p, s);
	s->state = SLOT_FREE;
	p->head = (p->head + 1) % p->nslots;
}

/* With threads > 1 a committer thread takes the slots in ring order as the
 * workers finish them, so the reader only reads: commit work (output and
 * correlation) no longer delays the reading. */
static void *committer_main(void *arg)
{
	pipeline *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		slot *s = &p->ring[p->head];
		while (s->state != SLOT_DONE && !(p->reading_done && s->state == SLOT_FREE))
			pthread_cond_wait(&p->done_cv, &p->mu);
		if (s->state != SLOT_DONE)
			break; /* reading is over and nothing is in flight */
		pthread_mutex_unlock(&p->mu);
		commit(p, s);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_FREE;
		p->head = (p->head + 1) % p->nslots;
		pthread_cond_broadcast(&p->free_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Reader side, threads > 1: wait until the slot at tail is free. */
static void wait_free(pipeline *p, slot *s)
{
	pthread_mutex_lock(&p->mu);
	while (s->state != SLOT_FREE)
		pthread_cond_wait(&p->free_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Every batch read so far is committed (the correlation state then cites no
 * path the caller may free). */
static void drain(pipeline *p)
{
	if (!p->has_committer) {
		while (p->ring[p->head].state != SLOT_FREE)
			commit_head(p);
		return;
	}
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->nslots; i++)
		while (p->ring[i].state != SLOT_FREE)
			pthread_cond_wait(&p->free_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* End of reading: let the committer finish and stop. */
static void stop_committer(pipeline *p)
{
	if (!p->has_committer)
		return;
	pthread_mutex_lock(&p->mu);
	p->reading_done = 1;
	pthread_cond_broadcast(&p->done_cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->committer, NULL);
	p->has_committer = 0;
}

static int scan_file(pipeline *p, const char *path)
{
	int err = 0;
	vg_reader *r = vg_reader_open(path, p->o->format, &err);
	if (r == NULL) {
		fprintf(stderr, "vigil: %s: %s\n", path, err == VG_EIO ? strerror(errno) : vg_err_str(err));
		p->st->file_errors++;
		return err == VG_ENOMEM ? err : 0;
	}
	p->st->files++;
	int rc;
	for (;;) {
		slot *s = &p->ring[p->tail];
		if (p->has_committer)
			wait_free(p, s);
		rc = vg_reader_next(r, &s->batch, BATCH_RECORDS, BATCH_BYTES);
		if (rc <= 0)
			break;
		s->batch.path = path;
		if (p->tids == NULL) {
			process(&p->workers[0], s);
			s->state = SLOT_DONE;
			p->tail = (p->tail + 1) % p->nslots;
			commit_head(p);
		} else {
			pthread_mutex_lock(&p->mu);
			s->state = SLOT_QUEUED;
			p->tail = (p->tail + 1) % p->nslots;
			pthread_cond_signal(&p->work_cv);
			pthread_mutex_unlock(&p->mu);
		}
		if (get_err(&p->out_err) != 0)
			break;
	}
	p->st->truncated += vg_reader_truncated(r);
	if (rc < 0) {
		fprintf(stderr, "vigil: %s: read error: %s\n", path, rc == VG_EIO ? strerror(errno) : vg_err_str(rc));
		p->st->file_errors++;
	}
	vg_reader_close(r);
	return rc == VG_ENOMEM ? rc : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's regular files, recursively, in sorted order. */
static int scan_dir(pipeline *p, const char *dir, int depth)
{
	if (depth > 64) {
		fprintf(stderr, "vigil: %s: directory nesting too deep\n", dir);
		p->st->file_errors++;
		return 0;
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "vigil: %s: %s\n", dir, strerror(errno));
		p->st->file_errors++;
		return 0;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn == NULL) {
				rc = VG_ENOMEM;
				break;
			}
			names = nn;
		}
		size_t dl = strlen(dir), len = dl + strlen(de->d_name) + 2;
		while (dl > 1 && dir[dl - 1] == '/')
			dl--; /* "logs/" + "a" is "logs/a" */
		if ((names[n] = malloc(len)) == NULL) {
			rc = VG_ENOMEM;
			break;
		}
		snprintf(names[n++], len, "%.*s/%s", (int)dl, dir, de->d_name);
	}
	closedir(d);
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;
		if (lstat(names[i], &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = scan_dir(p, names[i], depth + 1);
		else if (S_ISREG(st.st_mode))
			rc = scan_file(p, names[i]);
	}
	/* the names stay alive until the scan ends (p->paths frees them) */
	if (vg_buf_append(&p->paths, names, n * sizeof(*names)) != 0) {
		drain(p);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		rc = VG_ENOMEM;
	}
	free(names);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vg_scan_run(const vg_scan_opts *o, vg_scan_stats *st)
{
	memset(st, 0, sizeof(*st));
	double t0 = now_s();
	pipeline p = {.o = o, .st = st};
	int threads = o->threads < 1 ? 1 : o->threads;
	int rc = VG_ENOMEM;
	/* One thread reads, processes and commits one slot at a time. Several:
	 * slack for uneven batches, so that a worker seldom waits for the
	 * in-order commit of a slow one. */
	p.nslots = threads > 1 ? (size_t)threads * 4 + 2 : 1;
	p.ring = calloc(p.nslots, sizeof(*p.ring));
	p.workers = calloc((size_t)threads, sizeof(*p.workers));
	if (p.ring == NULL || p.workers == NULL || (p.corr = vg_corr_new(o->engine)) == NULL ||
	    (p.plan = vg_corr_plan_new(o->engine)) == NULL)
		goto out;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work_cv, NULL);
	pthread_cond_init(&p.done_cv, NULL);
	pthread_cond_init(&p.free_cv, NULL);
	for (size_t i = 0; i < p.nslots; i++) {
		vg_batch_init(&p.ring[i].batch);
		if ((p.ring[i].arena = vg_arena_new(0)) == NULL)
			goto out;
	}
	for (int i = 0; i < threads; i++) {
		p.workers[i].plan = p.plan;
		if ((p.workers[i].ev = vg_event_new()) == NULL || (p.workers[i].m = vg_matcher_new(o->engine)) == NULL)
			goto out;
	}
	if (threads > 1) {
		if ((p.tids = calloc((size_t)threads, sizeof(*p.tids))) == NULL)
			goto out;
		for (int i = 0; i < threads; i++) {
			void **arg = malloc(2 * sizeof(void *));
			if (arg == NULL)
				goto out; /* started threads are stopped below */
			arg[0] = &p;
			arg[1] = &p.workers[i];
			if (pthread_create(&p.tids[i], NULL, worker_main, arg) != 0) {
				free(arg);
				goto out;
			}
		}
		if (pthread_create(&p.committer, NULL, committer_main, &p) != 0)
			goto out;
		p.has_committer = 1;
	}
	rc = 0;
	for (size_t i = 0; i < o->npaths && rc == 0 && get_err(&p.out_err) == 0; i++) {
		struct stat sb;
		if (strcmp(o->paths[i], "-") != 0 && stat(o->paths[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = scan_dir(&p, o->paths[i], 0);
		else
			rc = scan_file(&p, o->paths[i]);
	}
	stop_committer(&p);
	drain(&p);
	/* windows still open at the end of input are decided now */
	p.corr_out.len = 0;
	if (rc == 0 && p.out_err == 0 && (rc = vg_corr_flush(p.corr, on_corr, &p)) == 0 && p.corr_out.len > 0 &&
	    fwrite(p.corr_out.data, 1, p.corr_out.len, o->out) != p.corr_out.len)
		rc = VG_EIO;
	if (rc == 0)
		rc = p.out_err;
	if (fflush(o->out) != 0 && rc == 0)
		rc = VG_EIO;
out:
	stop_committer(&p); /* it drains what the workers still finish */
	if (p.tids != NULL) {
		pthread_mutex_lock(&p.mu);
		p.stop = 1;
		pthread_cond_broadcast(&p.work_cv);
		pthread_mutex_unlock(&p.mu);
		for (int i = 0; i < threads; i++)
			if (p.tids[i] != 0)
				pthread_join(p.tids[i], NULL);
		free(p.tids);
	}
	if (p.corr != NULL)
		st->corr_evicted = vg_corr_evicted(p.corr);
	vg_corr_free(p.corr);
	vg_corr_plan_free(p.plan);
	vg_buf_free(&p.corr_out);
	for (size_t i = 0; p.ring != NULL && i < p.nslots; i++) {
		vg_batch_clear(&p.ring[i].batch);
		vg_buf_free(&p.ring[i].out);
		vg_buf_free(&p.ring[i].hits);
		vg_arena_free(p.ring[i].arena);
	}
	for (int i = 0; p.workers != NULL && i < threads; i++) {
		/* builds serialise on the engine's lock: the slowest worker's share is
		 * wall time no worker matched in (a lower bound of it) */
		double b = (double)vg_matcher_build_ns(p.workers[i].m) / 1e9;
		if (b > st->build_seconds)
			st->build_seconds = b;
		vg_event_free(p.workers[i].ev);
		vg_matcher_free(p.workers[i].m);
	}
	vg_engine_db_counts(o->engine, &st->dbs_compiled, &st->dbs_cached);
	free(p.ring);
	free(p.workers);
	for (size_t i = 0; i < p.paths.len / sizeof(char *); i++)
		free(((char **)(void *)p.paths.data)[i]);
	vg_buf_free(&p.paths);
	st->seconds = now_s() - t0;
	return rc;
}

void vg_scan_print_stats(FILE *f, const vg_scan_stats *st, size_t rules_loaded, size_t rules_rejected)
{
	double secs = st->seconds - st->build_seconds;
	if (secs <= 0)
		secs = 1e-9;
	fprintf(f, "vigil scan: %llu files (%llu unreadable), %llu events, %.1f MB\n", (unsigned long long)st->files,
		(unsigned long long)st->file_errors, (unsigned long long)st->events, (double)st->bytes / 1e6);
	fprintf(f, "  formats:");
	for (size_t i = 0; vg_parsers[i] != NULL && i < VG_SCAN_MAX_FORMATS - 1; i++)
		if (st->per_format[i] > 0)
			fprintf(f, " %s=%llu", vg_parsers[i]->name, (unsigned long long)st->per_format[i]);
	fprintf(f, " raw=%llu\n", (unsigned long long)st->per_format[VG_SCAN_MAX_FORMATS - 1]);
	fprintf(f, "  unparsed lines: %llu, truncated: %llu\n", (unsigned long long)st->unparsed,
		(unsigned long long)st->truncated);
	fprintf(f, "  rules: %zu loaded, %zu rejected\n", rules_loaded, rules_rejected);
	fprintf(f, "  alerts: %llu (%llu from correlation rules; %llu correlation evictions)\n",
		(unsigned long long)(st->alerts + st->corr_alerts), (unsigned long long)st->corr_alerts,
		(unsigned long long)st->corr_evicted);
	fprintf(f,
		"  elapsed: %.3f s, %.0f events/s, %.1f MB/s (+ %.3f s building rule databases on first use: %zu "
		"compiled, %zu from the cache)\n",
		secs, (double)st->events / secs, (double)st->bytes / 1e6 / secs, st->build_seconds, st->dbs_compiled,
		st->dbs_cached);
}
