/* archive_bench.c — throughput of the event archive on realistic documents:
 * log files are read and parsed by vigil's own reader and parsers, each event
 * becomes an ECS JSON document shaped like `vigil scan`'s output (nested
 * fields, @timestamp, event.original, log.file.*, vigil.*; no rule object),
 * and the documents are appended (committing every -s records, as the server
 * commits per agent batch), then exported back, all and over a 1% time slice.
 * A bench tool, not a test; nothing here is timed in CI.
 *
 * build (from the repository root; gcc or clang):
 *   cc -O2 -std=c17 -D_GNU_SOURCE -Isrc bench/archive_bench.c src/core/[a-z]*.c \
 *      src/parse/[a-z]*.c src/scan/reader.c src/store/archive*.c \
 *      -ljansson -lzstd -lz -o /tmp/archive_bench
 * usage: /tmp/archive_bench [-n RECORDS] [-s SYNC_EVERY] [-l ZSTD_LEVEL] [-b BLOCK_BYTES] [-S SEGMENT_BYTES] DIR LOG...
 *   DIR must not exist (it is created, and removed at the end).
 *   e.g. /tmp/archive_bench -n 1000000 /tmp/ab bench/data/corpus-100mb/syslog.log \
 *        bench/data/corpus-100mb/access.log ../shared/corpus/loghub/[A-Z]*.log */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/event.h"
#include "scan/reader.h"
#include "store/archive.h"

typedef struct docs {
	char *buf;
	size_t len, cap;
	size_t *off;
	int64_t *ts;
	char (*host)[64];
	size_t n, capn;
} docs;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "archive_bench: %s\n", what);
	exit(1);
}

/* "2026-04-17T05:24:53.088849Z", as vigil's alerts write it */
static void format_ts(int64_t us, char *buf, size_t n)
{
	time_t secs = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%06ldZ", frac);
}

/* root["a.b.c"] = v, nesting by dots (as alert_json does). */
static void put_path(json_t *root, const char *name, size_t n, json_t *v)
{
	json_t *obj = root;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (name[i] != '.')
			continue;
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(i - start), name + start);
		json_t *next = json_object_get(obj, key);
		if (next == NULL || !json_is_object(next)) {
			next = json_object();
			json_object_set_new(obj, key, next);
		}
		obj = next;
		start = i + 1;
	}
	char key[256];
	snprintf(key, sizeof(key), "%.*s", (int)(n - start), name + start);
	json_object_set_new(obj, key, v);
}

static void add_doc(docs *d, const vg_event *ev, int64_t fallback_ts)
{
	json_t *doc = json_object();
	char ts[40];
	int64_t t = ev->ts_us != VG_TS_NONE ? ev->ts_us : fallback_ts;
	format_ts(t, ts, sizeof(ts));
	json_object_set_new(doc, "@timestamp", json_string(ts));
	const char *host = "unknown";
	size_t hl = 7;
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const vg_field *f = &ev->fields[i];
		json_t *v = f->type == VG_V_STR ? json_stringn_nocheck(f->val, f->val_len) : json_loadb(f->val, f->val_len, JSON_DECODE_ANY, NULL);
		if (v == NULL)
			v = json_stringn_nocheck(f->val, f->val_len);
		put_path(doc, f->name, f->name_len, v);
		if (f->name_len == 9 && memcmp(f->name, "host.name", 9) == 0 && f->val_len < 64) {
			host = f->val;
			hl = f->val_len;
		}
	}
	put_path(doc, "event.kind", 10, json_string("event"));
	put_path(doc, "event.original", 14, json_stringn_nocheck(ev->raw, ev->raw_len));
	put_path(doc, "log.file.path", 13, json_string(ev->path));
	put_path(doc, "log.file.line", 13, json_integer((json_int_t)ev->line));
	put_path(doc, "vigil.format", 12, json_string(ev->format));
	put_path(doc, "vigil.layer", 11, json_string(vg_layer_name(ev->layer)));
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (s == NULL)
		die("out of memory");
	size_t n = strlen(s);
	if (d->len + n > d->cap) {
		d->cap = (d->cap + n) * 2;
		if ((d->buf = realloc(d->buf, d->cap)) == NULL)
			die("out of memory");
	}
	if (d->n == d->capn) {
		d->capn = d->capn ? d->capn * 2 : 65536;
		d->off = realloc(d->off, (d->capn + 1) * sizeof(*d->off));
		d->ts = realloc(d->ts, d->capn * sizeof(*d->ts));
		d->host = realloc(d->host, d->capn * sizeof(*d->host));
		if (d->off == NULL || d->ts == NULL || d->host == NULL)
			die("out of memory");
	}
	memcpy(d->buf + d->len, s, n);
	free(s);
	d->off[d->n] = d->len;
	d->len += n;
	d->off[d->n + 1] = d->len;
	d->ts[d->n] = t;
	snprintf(d->host[d->n], sizeof(d->host[0]), "%.*s", (int)hl, host);
	d->n++;
}

static void load(docs *d, const char *path, size_t max)
{
	int err;
	vg_reader *r = vg_reader_open(path, NULL, &err);
	if (r == NULL) {
		fprintf(stderr, "archive_bench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	vg_event *ev = vg_event_new();
	vg_batch b;
	vg_batch_init(&b);
	while (d->n < max && vg_reader_next(r, &b, 4096, 4 << 20) == 1) {
		for (size_t i = 0; i < b.nrecs && d->n < max; i++) {
			vg_event_reset(ev, b.buf + b.recs[i].off, b.recs[i].len, path, b.recs[i].line);
			ev->year_hint = b.year_hint;
			vg_parse_record(b.parser, ev);
			add_doc(d, ev, 1700000000000000 + (int64_t)d->n * 1000);
		}
	}
	vg_batch_clear(&b);
	vg_event_free(ev);
	vg_reader_close(r);
}

typedef struct sum {
	uint64_t n, bytes;
} sum;

static int count(void *ud, const vg_archive_rec *r)
{
	sum *s = ud;
	s->n++;
	s->bytes += r->doc_len;
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = 1000000, sync_every = 1000;
	vg_archive_opts o = {0};
	int c;
	while ((c = getopt(argc, argv, "n:s:l:b:S:")) != -1) {
		switch (c) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 's': sync_every = strtoull(optarg, NULL, 10); break;
		case 'l': o.zstd_level = atoi(optarg); break;
		case 'b': o.block_bytes = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S': o.segment_bytes = strtoull(optarg, NULL, 10); break;
		default: die("usage: archive_bench [-n N] [-s SYNC_EVERY] [-l LEVEL] [-b BLOCK] [-S SEGMENT] DIR LOG...");
		}
	}
	if (argc - optind < 2 || n == 0 || sync_every == 0)
		die("usage: archive_bench [-n N] [-s SYNC_EVERY] [-l LEVEL] [-b BLOCK] [-S SEGMENT] DIR LOG...");
	const char *dir = argv[optind];
	docs d = {0};
	/* an even share of the documents from every log */
	size_t nlogs = (size_t)(argc - optind - 1);
	for (int i = optind + 1; i < argc; i++)
		load(&d, argv[i], d.n + (n - d.n) / nlogs--);
	if (d.n == 0)
		die("no documents");
	printf("documents: %zu from %d files, %.1f MB, %.0f bytes on average\n", d.n, argc - optind - 1, d.len / 1e6,
	       (double)d.len / (double)d.n);

	int err;
	vg_archive *a = vg_archive_open(dir, &o, &err);
	if (a == NULL)
		die(vg_err_str(err));
	/* the time axis: each document keeps its own time, shifted onto one
	 * increasing line so the 1% slice below is meaningful */
	double t0 = now_s();
	for (size_t i = 0; i < d.n; i++) {
		if (vg_archive_append(a, 1700000000000000 + (int64_t)i * 1000, d.host[i], d.buf + d.off[i],
				      d.off[i + 1] - d.off[i]) != 0)
			die("append failed");
		if ((i + 1) % sync_every == 0 && vg_archive_sync(a) != 0)
			die("sync failed");
	}
	if (vg_archive_sync(a) != 0)
		die("sync failed");
	double t1 = now_s();
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	if (vg_archive_close(a) != 0)
		die("close failed");
	double ta = t1 - t0;
	printf("append+sync every %zu: %.2f s, %.0f records/s, %.1f MB/s of documents; %" PRIu64 " syncs, %" PRIu64
	       " blocks, %" PRIu64 " segments\n",
	       sync_every, ta, (double)d.n / ta, d.len / 1e6 / ta, st.syncs, st.blocks_written, st.segments);
	printf("on disk: %.1f MB, compression %.2fx (document bytes / archive bytes)\n", st.bytes / 1e6,
	       (double)d.len / (double)st.bytes);

	sum s = {0};
	vg_archive_scan_stats ss;
	t0 = now_s();
	if (vg_archive_scan(dir, NULL, count, &s, &ss) != 0 || s.n != d.n)
		die("export all: wrong count");
	t1 = now_s();
	printf("export all: %.2f s, %.0f records/s, %.1f MB/s of documents\n", t1 - t0, (double)s.n / (t1 - t0),
	       s.bytes / 1e6 / (t1 - t0));
	vg_archive_filter f = {.from_us = 1700000000000000 + (int64_t)(d.n / 2) * 1000, .has_from = 1, .has_to = 1};
	f.to_us = f.from_us + (int64_t)(d.n / 100) * 1000;
	s = (sum){0};
	t0 = now_s();
	if (vg_archive_scan(dir, &f, count, &s, &ss) != 0 || s.n != d.n / 100)
		die("export slice: wrong count");
	t1 = now_s();
	printf("export 1%% time slice: %.3f s, %" PRIu64 " records; %" PRIu64 " of %" PRIu64
	       " segments skipped by index, %" PRIu64 " of %" PRIu64 " blocks decompressed\n",
	       t1 - t0, s.n, ss.segments_skipped, ss.segments, ss.blocks_decompressed, ss.blocks);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "archive_bench: could not remove %s\n", dir);
	free(d.buf);
	free(d.off);
	free(d.ts);
	free(d.host);
	return 0;
}
