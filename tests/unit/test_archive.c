/* test_archive.c — the event archive: append/sync/reopen/scan round trips,
 * time and host skipping, crash recovery (torn tails cut at every byte,
 * uncommitted batches after a crash), rollback, disk full (RLIMIT_FSIZE and a
 * 1 MiB tmpfs), retention by age, per host and by size, a 200,000-record
 * stream exported back exactly once, in order, and the committed metadata
 * (vg_archive_sync_meta): atomic with its records across torn writes and
 * crashes, kept through sealing and retention, never shown to readers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/archive.h"

#define SEC 1000000LL

static char base[256];

/* ---- helpers ---- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void rm_rf(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory for one test, on tmpfs when there is one (fsync is cheap). */
static const char *fresh(const char *name)
{
	static char p[512];
	snprintf(p, sizeof(p), "%s/%s", base, name);
	rm_rf(p);
	return p;
}

/* Fixed-size documents: {"seq":N,"pad":"xxx"} padded to len bytes. */
static size_t make_doc(char *buf, size_t len, long seq)
{
	int n = snprintf(buf, len + 1, "{\"seq\":%08ld,\"pad\":\"", seq);
	size_t i = (size_t)n;
	for (; i < len - 2; i++)
		buf[i] = (char)('a' + (seq + (long)i) % 7);
	buf[i++] = '"';
	buf[i++] = '}';
	buf[i] = '\0';
	return len;
}

/* Hard-to-compress documents (for filling disks). */
static size_t make_noise_doc(char *buf, size_t len, long seq)
{
	uint64_t x = (uint64_t)seq * 0x9E3779B97F4A7C15ull + 1;
	int n = snprintf(buf, len + 1, "{\"seq\":%08ld,\"pad\":\"", seq);
	size_t i = (size_t)n;
	for (; i < len - 2; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = "0123456789abcdef"[x & 15];
	}
	buf[i++] = '"';
	buf[i++] = '}';
	buf[i] = '\0';
	return len;
}

static long doc_seq(const char *doc, size_t len)
{
	assert_true(len > 16);
	assert_memory_equal(doc, "{\"seq\":", 7);
	return strtol(doc + 7, NULL, 10);
}

typedef struct got {
	size_t n, cap;
	long *seq;
	int64_t *ts;
	char (*host)[32];
} got;

static int collect(void *ud, const vg_archive_rec *r)
{
	got *g = ud;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->seq = realloc(g->seq, g->cap * sizeof(*g->seq));
		g->ts = realloc(g->ts, g->cap * sizeof(*g->ts));
		g->host = realloc(g->host, g->cap * sizeof(*g->host));
		assert_non_null(g->seq);
		assert_non_null(g->ts);
		assert_non_null(g->host);
	}
	assert_int_equal(memchr(r->doc, '\n', r->doc_len), NULL);
	g->seq[g->n] = doc_seq(r->doc, r->doc_len);
	g->ts[g->n] = r->ts_us;
	snprintf(g->host[g->n], sizeof(g->host[0]), "%s", r->host);
	g->n++;
	return 0;
}

static void got_free(got *g)
{
	free(g->seq);
	free(g->ts);
	free(g->host);
	memset(g, 0, sizeof(*g));
}

static got scan(const char *dir, const vg_archive_filter *f, vg_archive_scan_stats *st)
{
	got g = {0};
	assert_int_equal(vg_archive_scan(dir, f, collect, &g, st), 0);
	return g;
}

/* Asserts that g holds exactly the sequence numbers lo..hi-1, in order. */
static void assert_seq_range(const got *g, long lo, long hi)
{
	assert_int_equal(g->n, (size_t)(hi - lo));
	for (size_t i = 0; i < g->n; i++)
		if (g->seq[i] != lo + (long)i)
			fail_msg("record %zu: seq %ld, expected %ld", i, g->seq[i], lo + (long)i);
}

static vg_archive *open_ok(const char *dir, const vg_archive_opts *o)
{
	int err = 0;
	vg_archive *a = vg_archive_open(dir, o, &err);
	if (a == NULL)
		fail_msg("open %s: %s (%s)", dir, vg_err_str(err), strerror(errno));
	return a;
}

/* Appends records lo..hi-1: ts = ts0 + seq * step, host from hostf. */
static void append_range(vg_archive *a, long lo, long hi, int64_t ts0, int64_t step, size_t doclen,
			 const char *(*hostf)(long))
{
	char doc[4096];
	for (long i = lo; i < hi; i++) {
		size_t n = make_doc(doc, doclen, i);
		assert_int_equal(vg_archive_append(a, ts0 + i * step, hostf ? hostf(i) : "h0", doc, n), 0);
	}
}

static const char *host3(long i)
{
	static const char *h[] = {"h0", "h1", "h2"};
	return h[i % 3];
}

static uint64_t file_size(const char *dir, const char *suffix)
{
	/* total size of DIR/archive/seg-* files ending in suffix */
	char path[1024];
	snprintf(path, sizeof(path), "%s/archive", dir);
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	uint64_t total = 0;
	struct dirent *de;
	size_t sl = strlen(suffix);
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (strncmp(de->d_name, "seg-", 4) != 0 || nl < sl || strcmp(de->d_name + nl - sl, suffix) != 0)
			continue;
		struct stat sb;
		snprintf(path, sizeof(path), "%s/archive/%s", dir, de->d_name);
		assert_int_equal(stat(path, &sb), 0);
		total += (uint64_t)sb.st_size;
	}
	closedir(d);
	return total;
}

/* The one segment file of dir (path into buf); fails unless exactly one. */
static void only_segment(const char *dir, char *buf, size_t n)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "ls %s/archive/seg-*.vga", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(buf, (int)n, p));
	buf[strcspn(buf, "\n")] = '\0';
	char extra[512];
	assert_null(fgets(extra, sizeof(extra), p));
	pclose(p);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc((size_t)len + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* ---- tests ---- */

static void test_roundtrip(void **state)
{
	(void)state;
	const char *dir = fresh("roundtrip");
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	append_range(a, 0, 1000, 1700000000 * SEC, 1000, 120, host3);
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.pending, 1000);
	assert_int_equal(st.records, 0);
	assert_int_equal(vg_archive_sync(a), 0);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.records, 1000);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.raw_bytes, 1000 * (14 + 2 + 120));
	assert_int_equal(vg_archive_close(a), 0);

	a = open_ok(dir, &o);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.records, 1000);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.recovered_bytes, 0);
	assert_int_equal(st.bytes, file_size(dir, ".vga") + file_size(dir, ".idx"));
	append_range(a, 1000, 1500, 1700000000 * SEC, 1000, 120, host3);
	assert_int_equal(vg_archive_sync(a), 0);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 2); /* appends after reopen go to a new segment */
	assert_int_equal(st.records, 1500);
	assert_int_equal(vg_archive_close(a), 0);

	vg_archive_scan_stats ss;
	got g = scan(dir, NULL, &ss);
	assert_seq_range(&g, 0, 1500);
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.ts[i], 1700000000 * SEC + (int64_t)i * 1000);
		assert_string_equal(g.host[i], host3((long)i));
	}
	assert_int_equal(ss.segments, 2);
	assert_int_equal(ss.records_matched, 1500);
	assert_int_equal(ss.errors, 0);
	got_free(&g);

	/* exact bytes of a document */
	char want[200];
	make_doc(want, 120, 777);
	vg_archive_filter f = {.from_us = 1700000000 * SEC + 777000, .to_us = 1700000000 * SEC + 777001,
			       .has_from = 1, .has_to = 1};
	g = scan(dir, &f, &ss);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.seq[0], 777);
	got_free(&g);

	vg_archive_filter fh = {.host = "h1"};
	g = scan(dir, &fh, &ss);
	assert_int_equal(g.n, 500);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.seq[i], 1 + 3 * (long)i);
	got_free(&g);
	fh.host = "nosuch";
	g = scan(dir, &fh, &ss);
	assert_int_equal(g.n, 0);
	assert_int_equal(ss.segments_skipped, 2); /* both indexes lack the host */
	assert_int_equal(ss.blocks_decompressed, 0);
	got_free(&g);
	rm_rf(dir);
}

static int check_doc(void *ud, const vg_archive_rec *r)
{
	const char *want = ud;
	assert_int_equal(r->doc_len, strlen(want));
	assert_memory_equal(r->doc, want, r->doc_len);
	return 0;
}

static void test_limits(void **state)
{
	(void)state;
	const char *dir = fresh("limits");
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	char *big = malloc(VG_ARCHIVE_MAX_DOC + 2);
	assert_non_null(big);
	memset(big, 'x', VG_ARCHIVE_MAX_DOC + 1);
	big[VG_ARCHIVE_MAX_DOC + 1] = '\0';
	assert_int_equal(vg_archive_append(a, 1, "h", big, VG_ARCHIVE_MAX_DOC + 1), VG_ELIMIT);
	assert_int_equal(vg_archive_append(a, 1, "h", "{\"a\":\n1}", 8), VG_EINVAL);
	assert_int_equal(vg_archive_append(a, 1, "h", "", 0), VG_EINVAL);
	char host[VG_ARCHIVE_MAX_HOST + 2];
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	assert_int_equal(vg_archive_append(a, 1, host, "{}", 2), VG_ELIMIT);
	host[VG_ARCHIVE_MAX_HOST] = '\0';
	assert_int_equal(vg_archive_append(a, 1, host, "{}", 2), 0);
	assert_int_equal(vg_archive_append(a, 2, NULL, "{}", 2), 0);
	big[VG_ARCHIVE_MAX_DOC] = '\0';
	assert_int_equal(vg_archive_append(a, 3, "h", big, VG_ARCHIVE_MAX_DOC), 0); /* larger than a block */
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.pending, 3);
	assert_int_equal(vg_archive_close(a), 0);

	vg_archive_filter f = {.from_us = 3, .has_from = 1};
	vg_archive_scan_stats ss;
	assert_int_equal(vg_archive_scan(dir, &f, check_doc, big, &ss), 0);
	assert_int_equal(ss.records_matched, 1);
	f = (vg_archive_filter){.host = ""};
	assert_int_equal(vg_archive_scan(dir, &f, check_doc, "{}", &ss), 0);
	assert_int_equal(ss.records_matched, 1);
	f.host = host;
	assert_int_equal(vg_archive_scan(dir, &f, check_doc, "{}", &ss), 0);
	assert_int_equal(ss.records_matched, 1);
	free(big);

	int err = 0;
	vg_archive_opts bad = {.block_bytes = 100};
	assert_null(vg_archive_open(dir, &bad, &err));
	assert_int_equal(err, VG_EINVAL);
	bad = (vg_archive_opts){.zstd_level = 1000};
	assert_null(vg_archive_open(dir, &bad, &err));
	assert_int_equal(err, VG_EINVAL);
	rm_rf(dir);
}

static void test_time_skip(void **state)
{
	(void)state;
	const char *dir = fresh("timeskip");
	/* 14 + 2 + 186 = 202-byte records: exactly 20 per 4 KiB block */
	vg_archive_opts o = {.block_bytes = 4096, .quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	append_range(a, 0, 2000, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_close(a), 0);

	vg_archive_filter f = {.from_us = 500 * SEC, .to_us = 700 * SEC, .has_from = 1, .has_to = 1};
	vg_archive_scan_stats ss;
	got g = scan(dir, &f, &ss);
	assert_seq_range(&g, 500, 700);
	assert_int_equal(ss.blocks, 100);
	assert_int_equal(ss.blocks_decompressed, 10); /* blocks 25..34 */
	assert_int_equal(ss.blocks_skipped, 90);
	assert_int_equal(ss.records, 200);
	got_free(&g);
	/* open ends */
	f = (vg_archive_filter){.to_us = 30 * SEC, .has_to = 1};
	g = scan(dir, &f, &ss);
	assert_seq_range(&g, 0, 30);
	assert_int_equal(ss.blocks_decompressed, 2);
	got_free(&g);
	f = (vg_archive_filter){.from_us = 1990 * SEC, .has_from = 1};
	g = scan(dir, &f, &ss);
	assert_seq_range(&g, 1990, 2000);
	assert_int_equal(ss.blocks_decompressed, 1);
	got_free(&g);
	rm_rf(dir);

	/* segment skipping through the index: a segment per sync */
	dir = fresh("segskip");
	o = (vg_archive_opts){.segment_bytes = 1, .quiet = 1};
	a = open_ok(dir, &o);
	for (long k = 0; k < 10; k++) {
		append_range(a, k * 100, k * 100 + 100, 0, SEC, 100, NULL);
		if (k == 7)
			assert_int_equal(vg_archive_append(a, 750 * SEC, "rare", "{\"seq\":99999999,\"x\":1}", 23), 0);
		assert_int_equal(vg_archive_sync(a), 0);
	}
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 10);
	assert_int_equal(vg_archive_close(a), 0);
	f = (vg_archive_filter){.from_us = 300 * SEC, .to_us = 500 * SEC, .has_from = 1, .has_to = 1};
	g = scan(dir, &f, &ss);
	assert_seq_range(&g, 300, 500);
	assert_int_equal(ss.segments, 10);
	assert_int_equal(ss.segments_skipped, 8);
	got_free(&g);
	f = (vg_archive_filter){.host = "rare"};
	g = scan(dir, &f, &ss);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.seq[0], 99999999);
	assert_int_equal(ss.segments_skipped, 9);
	got_free(&g);
	rm_rf(dir);
}

static void test_stop(void **state)
{
	(void)state;
	assert_int_equal(vg_archive_scan("/nonexistent/vigil", NULL, collect, NULL, NULL), VG_ENOTFOUND);
}

/* Builds 3 committed batches of 30 records (a 20-record block and a
 * 10-record commit block each); returns the segment's bytes and the offset
 * where the third batch starts. */
static uint8_t *three_batches(const char *dir, size_t *n, size_t *third)
{
	vg_archive_opts o = {.block_bytes = 4096, .quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	vg_archive_stats st;
	for (long k = 0; k < 3; k++) {
		append_range(a, k * 30, k * 30 + 30, 0, SEC, 186, NULL);
		assert_int_equal(vg_archive_sync(a), 0);
		if (k == 1) {
			vg_archive_stats_get(a, &st);
			*third = st.bytes;
		}
	}
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.blocks_written, 6);
	assert_int_equal(vg_archive_close(a), 0);
	char path[512];
	only_segment(dir, path, sizeof(path));
	return slurp(path, n);
}

/* Writes seg as the only segment of dir (no index: as after a crash), opens,
 * and checks what recovery kept. */
static void reopen_expect(const char *dir, const uint8_t *seg, size_t len, size_t keep, long records)
{
	char path[512];
	rm_rf(dir);
	snprintf(path, sizeof(path), "%s/archive", dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/archive/seg-000000000001-0.vga", dir);
	spit(path, seg, len);
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	if (st.records != (uint64_t)records)
		fail_msg("length %zu: %" PRIu64 " records kept, expected %ld", len, st.records, records);
	assert_int_equal(st.recovered_bytes, len - keep);
	assert_int_equal(vg_archive_close(a), 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((size_t)sb.st_size, keep);
	/* recovery indexed the segment under its own name, and nothing else */
	assert_int_equal(file_size(dir, ".idx") > 0, records > 0);
	snprintf(path, sizeof(path), "%s/archive/seg-000000000001-0.idx", dir);
	assert_int_equal(stat(path, &sb) == 0, records > 0);
}

static void test_torn_tail(void **state)
{
	(void)state;
	const char *dir = fresh("torn");
	size_t len, third;
	uint8_t *seg = three_batches(dir, &len, &third);
	assert_true(third > 0 && third < len);
	/* a clean copy keeps everything */
	reopen_expect(dir, seg, len, len, 90);
	got g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 0, 90);
	got_free(&g);
	/* cut at every byte of the last batch: exactly the first two batches remain */
	for (size_t cut = third; cut < len; cut++)
		reopen_expect(dir, seg, cut, third, 60);
	/* garbage in any byte of the last batch: likewise */
	uint8_t *bad = malloc(len + 64);
	assert_non_null(bad);
	for (size_t i = third; i < len; i++) {
		memcpy(bad, seg, len);
		bad[i] ^= 0x5a;
		reopen_expect(dir, bad, len, third, 60);
	}
	/* garbage appended after the last complete block */
	memcpy(bad, seg, len);
	for (size_t k = 1; k <= 64; k++) {
		bad[len + k - 1] = (uint8_t)(k * 37);
		reopen_expect(dir, bad, len + k, len, 90);
	}
	/* after recovery, new records go to a new segment and everything reads back once */
	reopen_expect(dir, seg, len - 1, third, 60);
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	append_range(a, 60, 70, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_close(a), 0);
	g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 0, 70);
	got_free(&g);
	free(bad);
	free(seg);
	rm_rf(dir);
}

/* A child appends and dies without closing: what it synced must survive, what it did not must vanish. */
static void test_crash_uncommitted(void **state)
{
	(void)state;
	const char *dir = fresh("crash");
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vg_archive_opts o = {.block_bytes = 4096, .quiet = 1};
		int err;
		vg_archive *a = vg_archive_open(dir, &o, &err);
		char doc[256];
		for (long i = 0; i < 300; i++) {
			size_t n = make_doc(doc, 186, i);
			if (a == NULL || vg_archive_append(a, i * SEC, "h", doc, n) != 0)
				_exit(2);
			if (i == 99 && vg_archive_sync(a) != 0)
				_exit(3);
		}
		_exit(0); /* 10 blocks of the second batch are on disk, uncommitted */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	uint64_t before = file_size(dir, ".vga");
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.records, 100);
	assert_true(st.recovered_bytes > 0);
	assert_int_equal(file_size(dir, ".vga"), before - st.recovered_bytes);
	assert_int_equal(vg_archive_close(a), 0);
	got g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 0, 100);
	got_free(&g);
	rm_rf(dir);

	/* nothing ever committed: the segment disappears */
	dir = fresh("crash0");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vg_archive_opts oc = {.block_bytes = 4096, .quiet = 1};
		int err;
		vg_archive *ac = vg_archive_open(dir, &oc, &err);
		char doc[256];
		for (long i = 0; i < 100; i++) {
			size_t n = make_doc(doc, 186, i);
			if (ac == NULL || vg_archive_append(ac, i * SEC, "h", doc, n) != 0)
				_exit(2);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(file_size(dir, ".vga") > 0);
	a = open_ok(dir, &o);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.segments, 0);
	assert_int_equal(vg_archive_close(a), 0);
	assert_int_equal(file_size(dir, ".vga"), 0);
	rm_rf(dir);
}

static void test_rollback_and_reader(void **state)
{
	(void)state;
	const char *dir = fresh("rollback");
	vg_archive_opts o = {.block_bytes = 4096, .quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	append_range(a, 0, 50, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_sync(a), 0);
	append_range(a, 50, 100, 0, SEC, 186, NULL); /* two blocks written, uncommitted */
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.pending, 50);
	/* a reader sees committed records only */
	got g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 0, 50);
	got_free(&g);
	/* a second writer is refused */
	int err = 0;
	errno = 0;
	assert_null(vg_archive_open(dir, &o, &err));
	assert_int_equal(err, VG_EIO);
	assert_int_equal(errno, EWOULDBLOCK);

	assert_int_equal(vg_archive_rollback(a), 0);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.records, 50);
	append_range(a, 100, 110, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_close(a), 0);
	g = scan(dir, NULL, NULL);
	assert_int_equal(g.n, 60);
	for (size_t i = 0; i < 60; i++)
		assert_int_equal(g.seq[i], i < 50 ? (long)i : 100 + (long)i - 50);
	got_free(&g);
	rm_rf(dir);
}

static int last_error_calls;
static void on_error(void *ud, const char *path, uint64_t off, const char *why)
{
	(void)ud;
	assert_non_null(strstr(path, "/archive/seg-"));
	assert_true(off > 0);
	assert_non_null(why);
	last_error_calls++;
}

static void test_corrupt_sealed(void **state)
{
	(void)state;
	const char *dir = fresh("corrupt");
	size_t len, third;
	uint8_t *seg = three_batches(dir, &len, &third);
	free(seg);
	char path[512];
	only_segment(dir, path, sizeof(path));
	/* damage the payload of the second block (the first batch's commit block) */
	seg = slurp(path, &len);
	size_t b1 = 44 + (size_t)(seg[12] | seg[13] << 8 | seg[14] << 16);
	seg[b1 + 44 + 3] ^= 0xff;
	spit(path, seg, len);
	vg_archive_filter f = {.on_error = on_error}; /* errors counted in last_error_calls */
	got g = {0};
	last_error_calls = 0;
	vg_archive_scan_stats ss;
	assert_int_equal(vg_archive_scan(dir, &f, collect, &g, &ss), 0);
	assert_int_equal(ss.errors, 1);
	assert_int_equal(last_error_calls, 1);
	assert_int_equal(g.n, 80); /* 90 minus the 10 of the damaged block */
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.seq[i], i < 20 ? (long)i : (long)i + 10);
	got_free(&g);
	/* the segment is sealed (its index matches): reopening leaves it alone */
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	assert_int_equal(vg_archive_close(a), 0);
	size_t len2;
	uint8_t *again = slurp(path, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(again, seg, len);
	free(again);
	/* a damaged header: the rest of the segment is unreadable, reported */
	seg[b1 + 1] ^= 0xff;
	spit(path, seg, len);
	g = (got){0};
	assert_int_equal(vg_archive_scan(dir, &f, collect, &g, &ss), 0);
	assert_int_equal(ss.errors, 1);
	assert_seq_range(&g, 0, 20);
	got_free(&g);
	free(seg);
	rm_rf(dir);
}

static int stop_after_5(void *ud, const vg_archive_rec *r)
{
	(void)r;
	int *n = ud;
	return ++*n == 5 ? 7 : 0;
}

static void test_callback_stop(void **state)
{
	(void)state;
	const char *dir = fresh("stop");
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	append_range(a, 0, 20, 0, SEC, 50, NULL);
	assert_int_equal(vg_archive_close(a), 0);
	int n = 0;
	assert_int_equal(vg_archive_scan(dir, NULL, stop_after_5, &n, NULL), 7);
	assert_int_equal(n, 5);
	rm_rf(dir);
}

#define CHILD_CHECK(c)                                                                   \
	do {                                                                             \
		if (!(c)) {                                                              \
			fprintf(stderr, "child check failed, line %d: %s\n", __LINE__, #c); \
			_exit(1);                                                        \
		}                                                                        \
	} while (0)

/* Appends noise records lo..hi-1 and syncs; returns the first failure. */
static int child_batch(vg_archive *a, long lo, long hi)
{
	char doc[1100];
	for (long i = lo; i < hi; i++) {
		size_t n = make_noise_doc(doc, 1000, i);
		int r = vg_archive_append(a, i * SEC, "h", doc, n);
		if (r != 0)
			return r;
	}
	return vg_archive_sync(a);
}

static void child_expect(const char *dir, long n)
{
	got g = {0};
	CHILD_CHECK(vg_archive_scan(dir, NULL, collect, &g, NULL) == 0);
	CHILD_CHECK(g.n == (size_t)n);
	for (size_t i = 0; i < g.n; i++)
		CHILD_CHECK(g.seq[i] == (long)i);
	got_free(&g);
}

/* Disk full through RLIMIT_FSIZE: the failed batch leaves no trace and a retry works. */
static void test_disk_full_rlimit(void **state)
{
	(void)state;
	const char *dir = fresh("efbig");
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		vg_archive_opts o = {.block_bytes = 8192, .quiet = 1};
		int err;
		vg_archive *a = vg_archive_open(dir, &o, &err);
		CHILD_CHECK(a != NULL);
		CHILD_CHECK(child_batch(a, 0, 100) == 0);
		vg_archive_stats st;
		vg_archive_stats_get(a, &st);
		uint64_t committed = st.bytes;
		struct rlimit old, lim;
		CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
		lim = old;
		lim.rlim_cur = committed + 20000; /* room for a few blocks of the batch, not all */
		CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
		errno = 0;
		CHILD_CHECK(child_batch(a, 100, 300) == VG_EIO);
		CHILD_CHECK(errno == EFBIG);
		vg_archive_stats_get(a, &st);
		CHILD_CHECK(st.pending == 0);
		CHILD_CHECK(st.records == 100);
		CHILD_CHECK(file_size(dir, ".vga") == committed);
		child_expect(dir, 100);
		CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
		CHILD_CHECK(child_batch(a, 100, 300) == 0);
		CHILD_CHECK(vg_archive_close(a) == 0);
		child_expect(dir, 300);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	got g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 0, 300);
	got_free(&g);
	rm_rf(dir);
}

/* Disk full for real: a 1 MiB tmpfs in a private mount namespace (root only). */
static void test_disk_full_tmpfs(void **state)
{
	(void)state;
	char mnt[512];
	snprintf(mnt, sizeof(mnt), "%s/tmpfs", base);
	rm_rf(mnt);
	assert_int_equal(mkdir(mnt, 0700), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0)
			_exit(77);
		/* a filler file to delete when the disk is full */
		char filler[600];
		snprintf(filler, sizeof(filler), "%s/filler", mnt);
		int fd = open(filler, O_WRONLY | O_CREAT, 0600);
		char z[4096] = {1};
		for (int i = 0; i < 64; i++)
			CHILD_CHECK(write(fd, z, sizeof(z)) == (ssize_t)sizeof(z));
		close(fd);
		char adir[600];
		snprintf(adir, sizeof(adir), "%s/data", mnt);
		vg_archive_opts o = {.block_bytes = 16384, .quiet = 1};
		int err;
		vg_archive *a = vg_archive_open(adir, &o, &err);
		CHILD_CHECK(a != NULL);
		long n = 0;
		int r = 0;
		while ((r = child_batch(a, n, n + 50)) == 0)
			n += 50;
		CHILD_CHECK(r == VG_EIO);
		CHILD_CHECK(errno == ENOSPC);
		CHILD_CHECK(n >= 500); /* ~750 KiB of 1 KiB noise documents fitted */
		vg_archive_stats st;
		vg_archive_stats_get(a, &st);
		CHILD_CHECK(st.records == (uint64_t)n && st.pending == 0);
		CHILD_CHECK(file_size(adir, ".vga") == st.bytes);
		child_expect(adir, n);
		CHILD_CHECK(unlink(filler) == 0);
		CHILD_CHECK(child_batch(a, n, n + 50) == 0);
		CHILD_CHECK(vg_archive_close(a) == 0);
		child_expect(adir, n + 50);
		fprintf(stderr, "tmpfs: %ld records fitted before ENOSPC\n", n);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	rmdir(mnt);
	if (WEXITSTATUS(status) == 77) {
		fprintf(stderr, "test_disk_full_tmpfs: SKIPPED: cannot mount a tmpfs here (needs root and mount namespaces)\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

static const char *host_for_retention(long i)
{
	/* segment k = records k*20..k*20+19 */
	long k = i / 20;
	if (k == 1 && i % 2)
		return "keep";
	return k == 2 ? "short" : "a";
}

static int64_t age_for(void *ud, const char *host)
{
	int *calls = ud;
	++*calls;
	if (strcmp(host, "keep") == 0)
		return 0;
	if (strcmp(host, "short") == 0)
		return 50 * SEC;
	return -1;
}

static void test_retention(void **state)
{
	(void)state;
	const char *dir = fresh("retain");
	vg_archive_opts o = {.segment_bytes = 1, .quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	/* 5 segments; segment k holds ts k*100s .. k*100s+95s */
	for (long k = 0; k < 5; k++) {
		char doc[256];
		for (long i = k * 20; i < k * 20 + 20; i++) {
			size_t n = make_doc(doc, 100, i);
			assert_int_equal(vg_archive_append(a, k * 100 * SEC + (i % 20) * 5 * SEC, host_for_retention(i), doc, n),
					 0);
		}
		assert_int_equal(vg_archive_sync(a), 0);
	}
	assert_int_equal(vg_archive_close(a), 0);
	uint64_t total = file_size(dir, ".vga") + file_size(dir, ".idx");

	/* by age: at 350 s with 100 s kept, segments 0 (max 95 s) and 1 (max 195 s) go */
	o.max_age_us = 100 * SEC;
	a = open_ok(dir, &o);
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 5);
	assert_int_equal(st.bytes, total);
	assert_int_equal(vg_archive_retain(a, 190 * SEC), 0); /* cutoff 90 s: segment 0 ends at 95 s */
	int64_t freed = vg_archive_retain(a, 350 * SEC);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 3);
	assert_int_equal(st.records, 60);
	assert_int_equal((uint64_t)freed, total - st.bytes);
	assert_int_equal(st.bytes, file_size(dir, ".vga") + file_size(dir, ".idx"));
	assert_int_equal(vg_archive_close(a), 0);
	got g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 40, 100);
	got_free(&g);
	rm_rf(dir);

	/* per host: "keep" forever, "short" 50 s, others the default 250 s */
	dir = fresh("retain_host");
	o = (vg_archive_opts){.segment_bytes = 1, .quiet = 1};
	a = open_ok(dir, &o);
	for (long k = 0; k < 4; k++) {
		char doc[256];
		for (long i = k * 20; i < k * 20 + 20; i++) {
			size_t n = make_doc(doc, 100, i);
			assert_int_equal(vg_archive_append(a, k * 100 * SEC + (i % 20) * 5 * SEC, host_for_retention(i), doc, n),
					 0);
		}
		assert_int_equal(vg_archive_sync(a), 0);
	}
	assert_int_equal(vg_archive_close(a), 0);
	int calls = 0;
	o = (vg_archive_opts){.max_age_us = 250 * SEC, .max_age_for_host = age_for, .ud = &calls, .quiet = 1};
	a = open_ok(dir, &o);
	/* at 400 s: segment 0 (a, 95 s < 150 s) expired; 1 has "keep"; 2 ("short",
	 * 295 s < 350 s) expired; 3 (a, 395 s) kept */
	assert_true(vg_archive_retain(a, 400 * SEC) > 0);
	assert_true(calls >= 4);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 2);
	assert_int_equal(vg_archive_close(a), 0);
	g = scan(dir, NULL, NULL);
	assert_int_equal(g.n, 40);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(g.seq[i], i < 20 ? 20 + (long)i : 60 + (long)i - 20);
	got_free(&g);
	rm_rf(dir);

	/* by size: oldest first, never the active segment */
	dir = fresh("retain_size");
	o = (vg_archive_opts){.segment_bytes = 1, .quiet = 1};
	a = open_ok(dir, &o);
	uint64_t seg[6], prev = 0;
	for (long k = 0; k < 6; k++) {
		append_range(a, k * 20, k * 20 + 20, 0, SEC, 100, NULL);
		assert_int_equal(vg_archive_sync(a), 0);
		vg_archive_stats_get(a, &st);
		seg[k] = st.bytes - prev;
		prev = st.bytes;
	}
	uint64_t all = st.bytes;
	assert_int_equal(vg_archive_close(a), 0);
	o.max_bytes = all - 1;
	a = open_ok(dir, &o);
	assert_int_equal(vg_archive_retain(a, 0), (int64_t)seg[0]);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 5);
	assert_int_equal(st.bytes, all - seg[0]);
	assert_int_equal(vg_archive_close(a), 0);
	o = (vg_archive_opts){.max_bytes = 1, .quiet = 1};
	a = open_ok(dir, &o);
	append_range(a, 120, 130, 0, SEC, 100, NULL);
	assert_int_equal(vg_archive_sync(a), 0); /* active, not sealed */
	assert_int_equal(vg_archive_retain(a, 0), (int64_t)(all - seg[0]));
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.records, 10);
	assert_int_equal(vg_archive_close(a), 0);
	g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 120, 130);
	got_free(&g);
	rm_rf(dir);
}

static void test_stream_200k(void **state)
{
	(void)state;
	const char *dir = fresh("stream");
	vg_archive_opts o = {.segment_bytes = 2 << 20, .quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	char doc[512];
	const long N = 200000;
	for (long i = 0; i < N; i++) {
		int n = snprintf(doc, sizeof(doc),
				 "{\"seq\":%08ld,\"@timestamp\":\"%ld\",\"host\":{\"name\":\"web-%02ld\"},"
				 "\"event\":{\"original\":\"sshd[%ld]: Failed password for root from 10.0.%ld.%ld port %ld\"}}",
				 i, i, i % 17, 1000 + i % 9000, (i / 256) % 256, i % 256, 1024 + i % 60000);
		char host[16];
		snprintf(host, sizeof(host), "web-%02ld", i % 17);
		assert_int_equal(vg_archive_append(a, 1700000000 * SEC + i * 1000, host, doc, (size_t)n), 0);
		if (i % 1000 == 999)
			assert_int_equal(vg_archive_sync(a), 0);
	}
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.records, (uint64_t)N);
	assert_true(st.segments >= 2);
	assert_int_equal(vg_archive_close(a), 0);
	a = open_ok(dir, &o);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.records, (uint64_t)N);
	assert_int_equal(vg_archive_close(a), 0);
	vg_archive_scan_stats ss;
	got g = scan(dir, NULL, &ss);
	assert_seq_range(&g, 0, N);
	for (long i = 0; i < N; i++)
		assert_int_equal(g.ts[i], 1700000000 * SEC + i * 1000);
	assert_int_equal(ss.errors, 0);
	got_free(&g);
	rm_rf(dir);
}


/* ---- committed metadata ---- */

/* A meta blob for "everything up to seq hi": some text, then bytes that do
 * not compress away, so the META block has a real frame. */
static size_t make_meta(uint8_t *buf, size_t len, long hi)
{
	int n = snprintf((char *)buf, len, "agents hi=%ld;", hi);
	uint64_t x = (uint64_t)hi * 0x9E3779B97F4A7C15ull + 7;
	for (size_t i = (size_t)n; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)(i % 3 == 0 ? x : 'a' + i % 5);
	}
	return len;
}

static void assert_meta(const vg_archive *a, const uint8_t *want, size_t n)
{
	static uint8_t buf[8192];
	size_t len = 0;
	int r = vg_archive_meta(a, buf, sizeof(buf), &len);
	if (r != 0)
		fail_msg("vg_archive_meta: %s", vg_err_str(r));
	assert_int_equal(len, n);
	if (n > 0)
		assert_memory_equal(buf, want, n);
}

/* Opens dir, checks its meta, closes. */
static void reopen_meta(const char *dir, const uint8_t *want, size_t n)
{
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	assert_meta(a, want, n);
	assert_int_equal(vg_archive_close(a), 0);
}

static void test_meta_roundtrip(void **state)
{
	(void)state;
	const char *dir = fresh("meta");
	vg_archive_opts o = {.block_bytes = 4096, .quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	uint8_t buf[64], m1[700], m2[300];
	size_t len = 99;
	assert_int_equal(vg_archive_meta(a, buf, sizeof(buf), &len), VG_ENOTFOUND);
	assert_int_equal(vg_archive_sync_meta(a, NULL, 0), VG_EINVAL);
	assert_int_equal(vg_archive_sync_meta(a, m1, VG_ARCHIVE_MAX_META + 1), VG_ELIMIT);
	assert_int_equal(vg_archive_meta(a, buf, sizeof(buf), &len), VG_ENOTFOUND);

	append_range(a, 0, 50, 0, SEC, 186, NULL);
	make_meta(m1, sizeof(m1), 49);
	assert_int_equal(vg_archive_sync_meta(a, m1, sizeof(m1)), 0);
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.records, 50);
	assert_int_equal(st.pending, 0);
	assert_meta(a, m1, sizeof(m1));
	/* too small a buffer: the size needed, buf untouched */
	memset(buf, 0x33, sizeof(buf));
	assert_int_equal(vg_archive_meta(a, buf, sizeof(buf), &len), VG_ELIMIT);
	assert_int_equal(len, sizeof(m1));
	assert_int_equal(buf[0], 0x33);
	/* a rejected call changes nothing, not even the pending records */
	append_range(a, 50, 60, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_sync_meta(a, m2, VG_ARCHIVE_MAX_META + 1), VG_ELIMIT);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.pending, 10);
	/* a plain sync keeps the meta */
	assert_int_equal(vg_archive_sync(a), 0);
	assert_meta(a, m1, sizeof(m1));
	/* the same meta again writes no META block */
	vg_archive_stats_get(a, &st);
	uint64_t blocks = st.blocks_written;
	append_range(a, 60, 70, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_sync_meta(a, m1, sizeof(m1)), 0);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.blocks_written, blocks + 1);
	assert_int_equal(vg_archive_close(a), 0);
	reopen_meta(dir, m1, sizeof(m1));

	/* a new meta in a new segment, with no record: still committed */
	a = open_ok(dir, &o);
	make_meta(m2, sizeof(m2), 69);
	assert_int_equal(vg_archive_sync_meta(a, m2, sizeof(m2)), 0);
	assert_meta(a, m2, sizeof(m2));
	assert_int_equal(vg_archive_close(a), 0);
	reopen_meta(dir, m2, sizeof(m2));
	/* an empty meta is a meta */
	a = open_ok(dir, &o);
	assert_int_equal(vg_archive_sync_meta(a, m2, 0), 0);
	assert_int_equal(vg_archive_meta(a, NULL, 0, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(vg_archive_close(a), 0);
	a = open_ok(dir, &o);
	len = 99;
	assert_int_equal(vg_archive_meta(a, NULL, 0, &len), 0);
	assert_int_equal(len, 0);
	/* the largest meta */
	uint8_t *big = malloc(VG_ARCHIVE_MAX_META);
	assert_non_null(big);
	for (size_t i = 0; i < VG_ARCHIVE_MAX_META; i++)
		big[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(vg_archive_sync_meta(a, big, VG_ARCHIVE_MAX_META), 0);
	assert_int_equal(vg_archive_close(a), 0);
	a = open_ok(dir, &o);
	uint8_t *back = malloc(VG_ARCHIVE_MAX_META);
	assert_non_null(back);
	assert_int_equal(vg_archive_meta(a, back, VG_ARCHIVE_MAX_META, &len), 0);
	assert_int_equal(len, VG_ARCHIVE_MAX_META);
	assert_memory_equal(back, big, len);
	assert_int_equal(vg_archive_close(a), 0);
	free(back);
	free(big);

	/* readers never see the meta: exactly the 70 records, no error */
	vg_archive_scan_stats ss;
	got g = scan(dir, NULL, &ss);
	assert_seq_range(&g, 0, 70);
	assert_int_equal(ss.records, 70);
	assert_int_equal(ss.errors, 0);
	got_free(&g);
	rm_rf(dir);

	/* an archive written without meta (as before META blocks existed) reads
	 * as before, has none, and takes one */
	dir = fresh("meta_old");
	a = open_ok(dir, &o);
	append_range(a, 0, 30, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_close(a), 0);
	a = open_ok(dir, &o);
	assert_int_equal(vg_archive_meta(a, buf, sizeof(buf), &len), VG_ENOTFOUND);
	append_range(a, 30, 40, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_sync_meta(a, "x", 1), 0);
	assert_int_equal(vg_archive_close(a), 0);
	reopen_meta(dir, (const uint8_t *)"x", 1);
	g = scan(dir, NULL, &ss);
	assert_seq_range(&g, 0, 40);
	assert_int_equal(ss.errors, 0);
	got_free(&g);
	rm_rf(dir);
}

/* Two committed batches with their metas (A: records 0..29, B: 30..59); cut
 * or damage the segment anywhere in B's commit: recovery gives A's records
 * with A's meta, or B's with B's, never a mix. */
static void test_meta_torn(void **state)
{
	(void)state;
	const char *dir = fresh("meta_torn");
	uint8_t ma[400], mb[400];
	make_meta(ma, sizeof(ma), 29);
	make_meta(mb, sizeof(mb), 59);
	vg_archive_opts o = {.block_bytes = 4096, .quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	append_range(a, 0, 30, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_sync_meta(a, ma, sizeof(ma)), 0);
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	size_t second = st.bytes;
	append_range(a, 30, 60, 0, SEC, 186, NULL);
	assert_int_equal(vg_archive_sync_meta(a, mb, sizeof(mb)), 0);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.blocks_written, 6); /* per batch: 20 records, 10 records, META */
	assert_int_equal(vg_archive_close(a), 0);
	char path[512];
	only_segment(dir, path, sizeof(path));
	size_t len;
	uint8_t *seg = slurp(path, &len);
	assert_true(second > 0 && second < len);

	reopen_expect(dir, seg, len, len, 60);
	reopen_meta(dir, mb, sizeof(mb));
	for (size_t cut = second; cut < len; cut++) {
		reopen_expect(dir, seg, cut, second, 30);
		reopen_meta(dir, ma, sizeof(ma));
	}
	uint8_t *bad = malloc(len);
	assert_non_null(bad);
	for (size_t i = second; i < len; i++) {
		memcpy(bad, seg, len);
		bad[i] ^= 0x5a;
		reopen_expect(dir, bad, len, second, 30);
		reopen_meta(dir, ma, sizeof(ma));
	}
	got g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 0, 30);
	got_free(&g);
	free(bad);
	free(seg);
	rm_rf(dir);
}

/* A child commits two batches with metas, writes a third without committing
 * and dies: the second meta and its records survive, nothing of the third. */
static void test_meta_crash(void **state)
{
	(void)state;
	const char *dir = fresh("meta_crash");
	uint8_t m[2][500];
	make_meta(m[0], sizeof(m[0]), 99);
	make_meta(m[1], sizeof(m[1]), 199);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vg_archive_opts o = {.block_bytes = 4096, .quiet = 1};
		int err;
		vg_archive *a = vg_archive_open(dir, &o, &err);
		char doc[256];
		for (long i = 0; i < 300; i++) {
			size_t n = make_doc(doc, 186, i);
			if (a == NULL || vg_archive_append(a, i * SEC, "h", doc, n) != 0)
				_exit(2);
			if ((i == 99 || i == 199) && vg_archive_sync_meta(a, m[i / 100], sizeof(m[0])) != 0)
				_exit(3);
		}
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	vg_archive_opts o = {.quiet = 1};
	vg_archive *a = open_ok(dir, &o);
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.records, 200);
	assert_true(st.recovered_bytes > 0);
	assert_meta(a, m[1], sizeof(m[1]));
	assert_int_equal(vg_archive_close(a), 0);
	got g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 0, 200);
	got_free(&g);
	rm_rf(dir);
}

/* Every segment's first commit carries the meta, so it survives sealing and
 * retention deleting every older segment; a sealed segment holding the
 * current meta is never deleted. */
static void test_meta_retention(void **state)
{
	(void)state;
	const char *dir = fresh("meta_retain");
	uint8_t m1[300], m2[300];
	make_meta(m1, sizeof(m1), 19);
	make_meta(m2, sizeof(m2), 79);
	vg_archive_opts o = {.segment_bytes = 1, .quiet = 1}; /* a segment per commit */
	vg_archive *a = open_ok(dir, &o);
	append_range(a, 0, 20, 0, SEC, 100, NULL);
	assert_int_equal(vg_archive_sync_meta(a, m1, sizeof(m1)), 0);
	for (long k = 1; k < 4; k++) { /* plain syncs: the meta rides along */
		append_range(a, k * 20, k * 20 + 20, 0, SEC, 100, NULL);
		assert_int_equal(vg_archive_sync(a), 0);
	}
	vg_archive_stats st;
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 4);
	assert_int_equal(vg_archive_close(a), 0);
	/* size retention to nothing: all but the newest sealed segment go */
	o.max_bytes = 1;
	a = open_ok(dir, &o);
	assert_meta(a, m1, sizeof(m1));
	assert_true(vg_archive_retain(a, 0) > 0);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.records, 20);
	assert_int_equal(vg_archive_retain(a, 0), 0);
	assert_int_equal(vg_archive_close(a), 0);
	reopen_meta(dir, m1, sizeof(m1));
	got g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 60, 80);
	got_free(&g);

	/* a new meta, then a plain sync in the active segment: the sealed
	 * holder is no longer needed, and age retention takes everything old */
	o = (vg_archive_opts){.max_age_us = 10 * SEC, .quiet = 1};
	a = open_ok(dir, &o);
	assert_int_equal(vg_archive_retain(a, 1000 * SEC), 0); /* expired, but holds the meta */
	append_range(a, 80, 100, 0, SEC, 100, NULL);
	assert_int_equal(vg_archive_sync_meta(a, m2, sizeof(m2)), 0);
	assert_true(vg_archive_retain(a, 1000 * SEC) > 0);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.records, 20);
	assert_int_equal(vg_archive_close(a), 0);
	reopen_meta(dir, m2, sizeof(m2));
	g = scan(dir, NULL, NULL);
	assert_seq_range(&g, 80, 100);
	got_free(&g);

	/* segments holding only superseded metas are deleted by any retention
	 * call; the newest stays */
	o = (vg_archive_opts){.quiet = 1};
	for (long k = 0; k < 3; k++) {
		a = open_ok(dir, &o);
		make_meta(m1, sizeof(m1), 1000 + k);
		assert_int_equal(vg_archive_sync_meta(a, m1, sizeof(m1)), 0);
		assert_int_equal(vg_archive_close(a), 0);
	}
	a = open_ok(dir, &o);
	assert_meta(a, m1, sizeof(m1));
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 4);
	assert_true(vg_archive_retain(a, 0) > 0);
	vg_archive_stats_get(a, &st);
	assert_int_equal(st.segments, 2); /* the records' segment and the meta's */
	assert_int_equal(vg_archive_close(a), 0);
	reopen_meta(dir, m1, sizeof(m1));
	vg_archive_scan_stats ss;
	g = scan(dir, NULL, &ss);
	assert_seq_range(&g, 80, 100);
	assert_int_equal(ss.errors, 0);
	got_free(&g);
	rm_rf(dir);
}

int main(void)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base, sizeof(base), "%s/vg_test_archive_%ld", tmp, (long)getpid());
	if (mkdir(base, 0700) != 0) {
		perror(base);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_time_skip),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_crash_uncommitted),
		cmocka_unit_test(test_rollback_and_reader),
		cmocka_unit_test(test_corrupt_sealed),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_disk_full_rlimit),
		cmocka_unit_test(test_disk_full_tmpfs),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_stream_200k),
		cmocka_unit_test(test_meta_roundtrip),
		cmocka_unit_test(test_meta_torn),
		cmocka_unit_test(test_meta_crash),
		cmocka_unit_test(test_meta_retention),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	rm_rf(base);
	return r;
}
