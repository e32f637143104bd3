/* scan.c — the offline pipeline (see scan.h): input expansion, the ring of
 * batches in input order that every thread reads, processes and commits in
 * turn (each into slots of its own), and the in-order commit. */
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

#define BATCH_RECORDS 8192
#define BATCH_BYTES (1024 * 1024)

enum slot_state { SLOT_FREE, SLOT_BUSY, SLOT_DONE };

typedef struct slot {
	vg_batch batch;
	enum slot_state state;
	vg_buf out;  /* NDJSON alerts of this batch */
	vg_buf hits; /* vg_corr_hit pointers, in event order */
	vg_arena *arena;
	uint64_t events, unparsed, alerts;
	uint64_t per_format[VG_SCAN_MAX_FORMATS];
	int err;
	vg_alert_part part; /* the event part of the current event's first alert in out; len 0: none yet */
} slot;

typedef struct worker {
	int id;
	vg_event *ev;
	vg_matcher *m;
	slot *cur; /* the slot being processed, for the match callback */
	const vg_corr_plan *plan;
	/* The latest correlation hit of the cur slot, made from the record at
	 * ev_hit_raw (records of a batch never share their first byte), or
	 * NULL: set per hit and per batch, never per event, so events without
	 * hits pay nothing. */
	const vg_corr_hit *ev_hit;
	const char *ev_hit_raw;
} worker;

/* Every thread runs the same loop and takes whichever role is free, in this
 * order: commit the oldest finished batch (in input order: output and
 * correlation), or read the next batch into a free slot of its own and
 * process it. A batch is read and processed by one thread, into slots only
 * that thread uses, so its bytes, records, arena and alerts stay in that
 * core's cache; and there is no thread that only hands work around. */
#define SLOTS_PER_THREAD 5 /* with several: slack for uneven batches, so that a thread
                            * seldom waits for the in-order commit of a slow one */

typedef struct pipeline {
	const vg_scan_opts *o;
	slot *slots;               /* worker i's: [i * per_worker, (i + 1) * per_worker) */
	size_t per_worker;
	slot **ring;               /* the batches read, in input order */
	size_t nslots, head, tail, queued; /* head: next to commit; tail: next to fill */
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* a slot changed state, or a role was released */
	int reading, committing;   /* the roles, one thread each */
	int input_done;            /* no more batches will be read */
	worker *workers;
	int nworkers;
	vg_corr *corr;
	vg_corr_plan *plan;
	vg_buf corr_out;
	vg_scan_stats *st;
	int out_err;
	/* input, touched only by the thread reading: */
	vg_buf files;        /* const char* of every file to read, in order */
	size_t next_file;
	vg_reader *r;        /* the file being read, or NULL */
	const char *r_path;
	vg_buf names;        /* char* allocated for directory entries, freed at the end */
} pipeline;

/* The first error wins; the commit role sets it, the read role polls it. */
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
		/* an event's further alerts copy its first's event part */
		if (vg_alert_json_event(&s->out, w->ev, rule, &s->part) != 0)
			s->err = VG_ENOMEM;
		else
			s->alerts++;
	}
	/* an event matching several base rules: their hits share its values */
	const vg_corr_hit *prev = w->ev_hit_raw == w->ev->raw ? w->ev_hit : NULL;
	vg_corr_hit *h = vg_corr_plan_hit_more(w->plan, idx, w->ev, s->arena, prev);
	if (h == NULL)
		return;
	w->ev_hit = h;
	w->ev_hit_raw = w->ev->raw;
	if (vg_buf_append(&s->hits, &h, sizeof(h)) != 0)
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
	w->ev_hit = NULL; /* the previous batch's hits lie in a reset arena */
	/* records of a batch mostly keep its parser: its index, looked up once */
	const vg_parser *last = b->parser;
	size_t last_idx = parser_index(last);
	vg_matcher_set_block(w->m, b->buf, b->len); /* keywords: one scan per batch */
	/* per batch, not per record: resets keep it and parsers only read it */
	w->ev->year_hint = b->year_hint;
	for (size_t i = 0; i < b->nrecs; i++) {
		const vg_record *r = &b->recs[i];
		vg_event_reset(w->ev, b->buf + r->off, r->len, b->path, r->line);
		const vg_parser *used = vg_parse_record(b->parser, w->ev);
		if (used != last) {
			last = used;
			last_idx = parser_index(used);
		}
		s->per_format[last_idx]++;
		s->part.len = 0;
		int rc = vg_matcher_run(w->m, w->ev, on_match, w);
		if (rc != 0 && s->err == 0)
			s->err = rc;
	}
	vg_matcher_set_block(w->m, NULL, 0);
	/* every record is an event; the unparsed ones are those counted as raw
	 * (parser_index of NULL, and of no parser of the table) */
	s->events = b->nrecs;
	s->unparsed = s->per_format[VG_SCAN_MAX_FORMATS - 1];
}

static void on_corr(void *ud, const vg_corr_alert *a)
{
	pipeline *p = ud;
	if (vg_alert_json_corr(&p->corr_out, p->o->engine, a) != 0)
		set_err(&p->out_err, VG_ENOMEM);
	else
		p->st->corr_alerts++;
}

/* The commit role: one thread at a time, slots in input order. */
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
	/* the slot's hits in one call: their alerts follow the slot's own */
	const vg_corr_hit *const *hits = (const vg_corr_hit *const *)(const void *)s->hits.data;
	p->corr_out.len = 0;
	set_err(&p->out_err, vg_corr_feed_batch(p->corr, hits, s->hits.len / sizeof(*hits), on_corr, p));
	if (p->corr_out.len > 0 && fwrite(p->corr_out.data, 1, p->corr_out.len, p->o->out) != p->corr_out.len)
		set_err(&p->out_err, VG_EIO);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's regular files, recursively, in sorted order, appended to
 * p->files. Unreadable directories are reported and counted. */
static int list_dir(pipeline *p, const char *dir, int depth)
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
	size_t first = p->names.len / sizeof(char *), n = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL && rc == 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		size_t dl = strlen(dir), len = dl + strlen(de->d_name) + 2;
		while (dl > 1 && dir[dl - 1] == '/')
			dl--; /* "logs/" + "a" is "logs/a" */
		char *name = malloc(len);
		if (name == NULL || vg_buf_append(&p->names, &name, sizeof(name)) != 0) {
			free(name);
			rc = VG_ENOMEM;
			break;
		}
		snprintf(name, len, "%.*s/%s", (int)dl, dir, de->d_name);
		n++;
	}
	closedir(d);
	if (rc != 0)
		return rc;
	/* p->names may move while recursing: index, do not hold pointers */
	qsort((char **)(void *)p->names.data + first, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *name = ((char **)(void *)p->names.data)[first + i];
		struct stat sb;
		if (lstat(name, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			rc = list_dir(p, name, depth + 1);
		else if (S_ISREG(sb.st_mode) && vg_buf_append(&p->files, &name, sizeof(name)) != 0)
			rc = VG_ENOMEM;
	}
	return rc;
}

/* Read role: the next batch of the input into s. 1: a batch; 0: the input
 * is over; VG_ENOMEM. Files that cannot be opened or read are reported,
 * counted and skipped. */
static int read_batch(pipeline *p, slot *s)
{
	const char **files = (const char **)(void *)p->files.data;
	size_t nfiles = p->files.len / sizeof(*files);
	for (;;) {
		if (get_err(&p->out_err) != 0)
			return 0;
		if (p->r == NULL) {
			if (p->next_file >= nfiles)
				return 0;
			const char *path = files[p->next_file++];
			int err = 0;
			if ((p->r = vg_reader_open(path, p->o->format, &err)) == NULL) {
				fprintf(stderr, "vigil: %s: %s\n", path, err == VG_EIO ? strerror(errno) : vg_err_str(err));
				p->st->file_errors++;
				if (err == VG_ENOMEM)
					return err;
				continue;
			}
			p->r_path = path;
			p->st->files++;
		}
		int rc = vg_reader_next(p->r, &s->batch, BATCH_RECORDS, BATCH_BYTES);
		if (rc > 0) {
			s->batch.path = p->r_path;
			return 1;
		}
		p->st->truncated += vg_reader_truncated(p->r);
		if (rc < 0) {
			fprintf(stderr, "vigil: %s: read error: %s\n", p->r_path,
				rc == VG_EIO ? strerror(errno) : vg_err_str(rc));
			p->st->file_errors++;
		}
		vg_reader_close(p->r);
		p->r = NULL;
		if (rc == VG_ENOMEM)
			return rc;
	}
}

/* The loop every thread runs (see pipeline). */
static int run_worker(pipeline *p, worker *w)
{
	int rc = 0;
	slot *own = p->slots + (size_t)w->id * p->per_worker;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		slot *s = p->queued > 0 ? p->ring[p->head] : NULL;
		if (!p->committing && s != NULL && s->state == SLOT_DONE) {
			p->committing = 1;
			pthread_mutex_unlock(&p->mu);
			commit(p, s);
			pthread_mutex_lock(&p->mu);
			s->state = SLOT_FREE;
			p->head = (p->head + 1) % p->nslots;
			p->queued--;
			p->committing = 0;
			pthread_cond_broadcast(&p->cv);
			continue;
		}
		s = NULL;
		for (size_t i = 0; i < p->per_worker && s == NULL; i++)
			if (own[i].state == SLOT_FREE)
				s = &own[i];
		if (!p->reading && !p->input_done && s != NULL) {
			size_t at = p->tail;
			p->reading = 1;
			s->state = SLOT_BUSY;
			p->ring[at] = s;
			p->tail = (at + 1) % p->nslots;
			p->queued++;
			pthread_mutex_unlock(&p->mu);
			int got = read_batch(p, s);
			pthread_mutex_lock(&p->mu);
			p->reading = 0;
			if (got <= 0) {
				/* nothing was read: the slot goes back (only the reader moves tail) */
				s->state = SLOT_FREE;
				p->tail = at;
				p->queued--;
				p->input_done = 1;
				if (got < 0 && rc == 0)
					rc = got;
				pthread_cond_broadcast(&p->cv);
				continue;
			}
			pthread_cond_broadcast(&p->cv); /* the read role is free */
			pthread_mutex_unlock(&p->mu);
			process(w, s);
			pthread_mutex_lock(&p->mu);
			s->state = SLOT_DONE;
			continue;
		}
		if (p->input_done && !p->reading && !p->committing && p->queued == 0)
			break; /* everything read was committed */
		pthread_cond_wait(&p->cv, &p->mu);
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static void *worker_main(void *arg)
{
	void **a = arg;
	pipeline *p = a[0];
	worker *w = a[1];
	free(arg);
	int rc = run_worker(p, w);
	if (rc != 0)
		set_err(&p->out_err, rc);
	return NULL;
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
	int rc = VG_ENOMEM, sync = 0;
	pthread_t *tids = NULL;
	int started = 0;
	/* one thread: read, process and commit one slot at a time */
	p.per_worker = threads > 1 ? SLOTS_PER_THREAD : 1;
	p.nslots = (size_t)threads * p.per_worker;
	p.slots = calloc(p.nslots, sizeof(*p.slots));
	p.ring = calloc(p.nslots, sizeof(*p.ring));
	p.workers = calloc((size_t)threads, sizeof(*p.workers));
	if (p.slots == NULL || p.ring == NULL || p.workers == NULL || (p.corr = vg_corr_new(o->engine)) == NULL ||
	    (p.plan = vg_corr_plan_new(o->engine)) == NULL)
		goto out;
	if (pthread_mutex_init(&p.mu, NULL) != 0)
		goto out;
	if (pthread_cond_init(&p.cv, NULL) != 0) {
		pthread_mutex_destroy(&p.mu);
		goto out;
	}
	sync = 1;
	for (size_t i = 0; i < p.nslots; i++) {
		vg_batch_init(&p.slots[i].batch);
		if ((p.slots[i].arena = vg_arena_new(0)) == NULL)
			goto out;
	}
	for (int i = 0; i < threads; i++) {
		p.workers[i].id = i;
		p.workers[i].plan = p.plan;
		if ((p.workers[i].ev = vg_event_new()) == NULL || (p.workers[i].m = vg_matcher_new(o->engine)) == NULL)
			goto out;
	}
	/* the input, expanded first: files in command-line order, directories
	 * recursively in sorted order */
	rc = 0;
	for (size_t i = 0; i < o->npaths && rc == 0; i++) {
		struct stat sb;
		const char *path = o->paths[i];
		if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = list_dir(&p, path, 0);
		else if (vg_buf_append(&p.files, &path, sizeof(path)) != 0)
			rc = VG_ENOMEM;
	}
	if (rc != 0)
		goto out;
	if (threads > 1 && (tids = calloc((size_t)threads - 1, sizeof(*tids))) != NULL) {
		for (int i = 1; i < threads; i++) {
			void **arg = malloc(2 * sizeof(void *));
			if (arg == NULL)
				break;
			arg[0] = &p;
			arg[1] = &p.workers[i];
			if (pthread_create(&tids[started], NULL, worker_main, arg) != 0) {
				free(arg);
				break; /* the threads started do the work */
			}
			started++;
		}
	}
	rc = run_worker(&p, &p.workers[0]);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
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
	free(tids);
	if (p.r != NULL)
		vg_reader_close(p.r);
	if (sync) {
		pthread_cond_destroy(&p.cv);
		pthread_mutex_destroy(&p.mu);
	}
	if (p.corr != NULL)
		st->corr_evicted = vg_corr_evicted(p.corr);
	vg_corr_free(p.corr);
	vg_corr_plan_free(p.plan);
	vg_buf_free(&p.corr_out);
	for (size_t i = 0; p.slots != NULL && i < p.nslots; i++) {
		vg_batch_clear(&p.slots[i].batch);
		vg_buf_free(&p.slots[i].out);
		vg_buf_free(&p.slots[i].hits);
		vg_arena_free(p.slots[i].arena);
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
	free(p.slots);
	free(p.ring);
	free(p.workers);
	for (size_t i = 0; i < p.names.len / sizeof(char *); i++)
		free(((char **)(void *)p.names.data)[i]);
	vg_buf_free(&p.names);
	vg_buf_free(&p.files);
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
