/* test_dqueue.c — the durable queue: exact on-disk bytes, round trips, crash
 * recovery (a child that _exits unsynced, a kill -9 loop during pushes, a torn
 * tail cut at every byte, damaged records), segment rollover and deletion,
 * both full-queue policies with exact counts, disk full through RLIMIT_FSIZE,
 * ledger damage, and one producer with one consumer thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/dqueue.h"

#define SEG1 "q-00000000000000000001.vgq"

/* ---- helpers ---- */

struct tdir {
	char base[256];
	char q[300];
};

static void tdir_make(struct tdir *t)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(t->base, sizeof(t->base), "%s/vgdq-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(t->base));
	snprintf(t->q, sizeof(t->q), "%s/queue", t->base);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void tdir_free(struct tdir *t)
{
	nftw(t->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_in(char *out, size_t cap, const struct tdir *t, const char *name)
{
	snprintf(out, cap, "%s/%s", t->q, name);
}

static vg_dq *xopen(const struct tdir *t, const vg_dq_opts *o)
{
	int err = 0;
	vg_dq *q = vg_dq_open(t->q, o, &err);
	if (q == NULL)
		fprintf(stderr, "open %s: %s (%s)\n", t->q, vg_err_str(err), strerror(errno));
	assert_non_null(q);
	return q;
}

/* Payload of seq: its decimal digits, padded with '#' to pad bytes. */
static size_t mkpay(char *out, uint64_t seq, size_t pad)
{
	int n = snprintf(out, 32, "%" PRIu64, seq);
	size_t len = (size_t)n;
	while (len < pad)
		out[len++] = '#';
	return len;
}

static int pay_ok(uint64_t seq, const void *p, size_t len)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%" PRIu64, seq);
	if (len < (size_t)n || memcmp(p, b, (size_t)n) != 0)
		return 0;
	for (size_t i = (size_t)n; i < len; i++)
		if (((const char *)p)[i] != '#')
			return 0;
	return 1;
}

static uint64_t next_seq(vg_dq *q)
{
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	return st.next_seq;
}

static int push_pay(vg_dq *q, size_t pad)
{
	char b[4096];
	uint64_t want = next_seq(q), got = 0;
	int r = vg_dq_push(q, b, mkpay(b, want, pad), &got);
	if (r == 0 && got != want)
		return -100;
	return r;
}

static void push_n(vg_dq *q, int n, size_t pad)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(push_pay(q, pad), 0);
}

struct col {
	size_t n, cap;
	uint64_t *seqs;
	int bad;      /* payload mismatches */
	int stop_at;  /* visitor returns >0 at this count (0: never) */
	int fail_at;  /* visitor returns -77 at this count (0: never) */
};

static int col_fn(void *ctx, uint64_t seq, const void *p, size_t len)
{
	struct col *c = ctx;
	if (c->fail_at && (int)c->n + 1 == c->fail_at)
		return -77;
	if (!pay_ok(seq, p, len))
		c->bad++;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->seqs = realloc(c->seqs, c->cap * sizeof(*c->seqs));
	}
	c->seqs[c->n++] = seq;
	return c->stop_at && (int)c->n == c->stop_at;
}

static void col_reset(struct col *c)
{
	c->n = 0;
	c->bad = 0;
	c->stop_at = c->fail_at = 0;
}

/* Everything deliverable after `after`, which must be exactly lo..hi. */
static void expect_range(vg_dq *q, uint64_t after, uint64_t lo, uint64_t hi)
{
	struct col c = {0};
	assert_int_equal(vg_dq_peek(q, after, SIZE_MAX, 0, col_fn, &c), 0);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.n, hi >= lo ? hi - lo + 1 : 0);
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(c.seqs[i], lo + i);
	free(c.seqs);
}

static uint64_t file_size(const struct tdir *t, const char *name)
{
	char p[400];
	struct stat st;
	path_in(p, sizeof(p), t, name);
	if (stat(p, &st) != 0)
		return UINT64_MAX;
	return (uint64_t)st.st_size;
}

static size_t read_file(const struct tdir *t, const char *name, uint8_t *buf, size_t cap)
{
	char p[400];
	path_in(p, sizeof(p), t, name);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void write_file(const struct tdir *t, const char *name, const uint8_t *buf, size_t n)
{
	char p[400];
	path_in(p, sizeof(p), t, name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
}

static int count_segments(const struct tdir *t)
{
	DIR *d = opendir(t->q);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "q-", 2) == 0;
	closedir(d);
	return n;
}

/* Bitwise CRC-32C, written independently of the queue's table/SSE versions. */
static uint32_t ref_crc32c(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static size_t ref_record(uint8_t *out, unsigned tag, uint64_t seq, const char *p, size_t len)
{
	le32(out, (uint32_t)tag << 24 | (uint32_t)len);
	le32(out + 4, ref_crc32c(p, len));
	le64(out + 8, seq);
	le32(out + 16, ref_crc32c(out, 16));
	memcpy(out + 20, p, len);
	return 20 + len;
}

#define CHILD_CHECK(c)                                                                             \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "child: line %d: %s\n", __LINE__, #c);                     \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

static void wait_child(pid_t pid)
{
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- tests ---- */

static void test_format_bytes(void **state)
{
	(void)state;
	assert_int_equal(ref_crc32c("123456789", 9), 0xE3069283u); /* the CRC-32C check value */
	struct tdir t;
	tdir_make(&t);
	vg_dq *q = xopen(&t, NULL);
	uint64_t seq = 0;
	assert_int_equal(vg_dq_push(q, "abc", 3, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	vg_dq_close(q);

	uint8_t want[128], got[256];
	size_t n = 0;
	memcpy(want, "VQQS", 4);
	le32(want + 4, 1);
	le64(want + 8, 1);
	n = 16;
	n += ref_record(want + n, 0xD7, 1, "abc", 3);
	n += ref_record(want + n, 0xC3, 1, "\1\0\0\0\0\0\0\0", 8); /* commit: the batch began at 1 */
	assert_int_equal(n, 16 + 23 + 28);
	assert_int_equal(read_file(&t, SEG1, got, sizeof(got)), n);
	assert_memory_equal(got, want, n);
	assert_int_equal(file_size(&t, "ledger"), 4096 + 64);
	tdir_free(&t);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq *q = xopen(&t, NULL);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.next_seq, 1);
	assert_int_equal(st.committed_seq, 0);
	expect_range(q, 0, 1, 0);

	push_n(q, 100, 0);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.batch_records, 100);
	assert_int_equal(st.committed_seq, 0);
	expect_range(q, 0, 1, 0); /* not synced: invisible */
	assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.batch_records, 0);
	assert_int_equal(st.committed_seq, 100);
	assert_int_equal(st.pending_records, 100);
	assert_int_equal(st.segments, 1);
	expect_range(q, 0, 1, 100);

	/* limits, resume in place, rescan, visitor stop and abort */
	struct col c = {0};
	assert_int_equal(vg_dq_peek(q, 0, 10, 0, col_fn, &c), 0);
	assert_int_equal(c.n, 10);
	assert_int_equal(c.seqs[9], 10);
	col_reset(&c);
	assert_int_equal(vg_dq_peek(q, 10, 10, 0, col_fn, &c), 0);
	assert_int_equal(c.n, 10);
	assert_int_equal(c.seqs[0], 11);
	col_reset(&c);
	assert_int_equal(vg_dq_peek(q, 5, 3, 0, col_fn, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.seqs[0], 6);
	col_reset(&c);
	/* payloads "10".."99" are 2 bytes: 7 bytes allow 3 records; the first always goes */
	assert_int_equal(vg_dq_peek(q, 9, 100, 7, col_fn, &c), 0);
	assert_int_equal(c.n, 3);
	col_reset(&c);
	assert_int_equal(vg_dq_peek(q, 9, 100, 1, col_fn, &c), 0);
	assert_int_equal(c.n, 1);
	col_reset(&c);
	c.stop_at = 4;
	assert_int_equal(vg_dq_peek(q, 20, 100, 0, col_fn, &c), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.seqs[3], 24);
	col_reset(&c);
	c.fail_at = 3;
	assert_int_equal(vg_dq_peek(q, 24, 100, 0, col_fn, &c), -77);
	assert_int_equal(c.n, 2);
	col_reset(&c);
	assert_int_equal(vg_dq_peek(q, 26, 1, 0, col_fn, &c), 0);
	assert_int_equal(c.seqs[0], 27);
	assert_int_equal(c.bad, 0);
	free(c.seqs);

	/* acks */
	assert_int_equal(vg_dq_ack(q, 101), VG_EINVAL);
	assert_int_equal(vg_dq_ack(q, 50), 0);
	assert_int_equal(vg_dq_ack(q, 10), 0); /* below: no-op */
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.acked_seq, 50);
	assert_int_equal(st.floor_seq, 50);
	assert_int_equal(st.pending_records, 50);
	expect_range(q, 0, 51, 100);
	expect_range(q, 70, 71, 100);

	/* bad arguments */
	static char big[VG_DQ_MAX_PAYLOAD + 1];
	assert_int_equal(vg_dq_push(q, big, sizeof(big), NULL), VG_EINVAL);
	assert_int_equal(vg_dq_push(q, NULL, 1, NULL), VG_EINVAL);
	assert_int_equal(vg_dq_sync(q, big, VG_DQ_MAX_META + 1), VG_EINVAL);
	assert_int_equal(vg_dq_push(q, big, VG_DQ_MAX_PAYLOAD, &st.next_seq), 0);
	assert_int_equal(st.next_seq, 101);
	assert_int_equal(vg_dq_push(q, "x", 1, NULL), 0);
	assert_int_equal(vg_dq_push(q, big, VG_DQ_MAX_PAYLOAD, NULL), VG_ELIMIT); /* batch past 2 MiB */
	assert_int_equal(next_seq(q), 103);
	vg_dq_close(q);
	tdir_free(&t);
}

static void test_reopen(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq *q = xopen(&t, NULL);
	push_n(q, 10, 0);
	assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	push_n(q, 5, 0); /* never synced: gone at close, as in a crash */
	vg_dq_close(q);

	q = xopen(&t, NULL);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.committed_seq, 10);
	assert_int_equal(st.next_seq, 11);
	assert_int_equal(st.truncated_bytes, 0);
	expect_range(q, 0, 1, 10);
	assert_int_equal(vg_dq_ack(q, 4), 0);
	vg_dq_close(q);

	q = xopen(&t, NULL);
	expect_range(q, 0, 5, 10);
	assert_int_equal(push_pay(q, 0), 0);
	assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	expect_range(q, 0, 5, 11);
	assert_int_equal(vg_dq_ack(q, 11), 0);
	vg_dq_close(q);

	/* every segment lost: the ledger still knows the next seq */
	char p[400];
	path_in(p, sizeof(p), &t, SEG1);
	assert_int_equal(unlink(p), 0);
	q = xopen(&t, NULL);
	assert_int_equal(next_seq(q), 12);
	expect_range(q, 0, 1, 0);
	vg_dq_close(q);

	/* the directory is locked while open */
	q = xopen(&t, NULL);
	int err = 0;
	assert_null(vg_dq_open(t.q, NULL, &err));
	assert_int_equal(err, VG_EIO);
	assert_int_equal(errno, EWOULDBLOCK);
	vg_dq_close(q);
	vg_dq_opts bad = {.segment_bytes = 4096, .max_bytes = 4096};
	assert_null(vg_dq_open(t.q, &bad, &err));
	assert_int_equal(err, VG_EINVAL);
	bad = (vg_dq_opts){.policy = 7};
	assert_null(vg_dq_open(t.q, &bad, &err));
	assert_int_equal(err, VG_EINVAL);
	tdir_free(&t);
}

static void test_meta(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq *q = xopen(&t, NULL);
	char b[64];
	size_t len = 0;
	assert_int_equal(vg_dq_meta(q, b, sizeof(b), &len), VG_ENOTFOUND);
	assert_int_equal(vg_dq_sync(q, "m0", 2), 0); /* meta alone, no records */
	vg_dq_close(q);

	q = xopen(&t, NULL);
	assert_int_equal(vg_dq_meta(q, b, sizeof(b), &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(b, "m0", 2);
	push_n(q, 3, 0);
	assert_int_equal(vg_dq_sync(q, "checkpoint-1", 12), 0);
	push_n(q, 3, 0);
	assert_int_equal(vg_dq_sync(q, NULL, 0), 0); /* meta unchanged */
	assert_int_equal(vg_dq_meta(q, b, 4, &len), VG_ELIMIT);
	assert_int_equal(len, 12);
	vg_dq_close(q);

	q = xopen(&t, NULL);
	assert_int_equal(vg_dq_meta(q, b, sizeof(b), &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(b, "checkpoint-1", 12);
	assert_int_equal(vg_dq_sync(q, "", 0), 0); /* empty meta is a meta */
	vg_dq_close(q);
	q = xopen(&t, NULL);
	assert_int_equal(vg_dq_meta(q, b, sizeof(b), &len), 0);
	assert_int_equal(len, 0);
	expect_range(q, 0, 1, 6);
	vg_dq_close(q);
	tdir_free(&t);
}

/* A child pushes and syncs, pushes more, and _exits without closing. */
static void test_crash_child(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vg_dq *q = vg_dq_open(t.q, NULL, NULL);
		CHILD_CHECK(q != NULL);
		for (int b = 0; b < 10; b++) {
			for (int i = 0; i < 100; i++)
				CHILD_CHECK(push_pay(q, 50) == 0);
			char m[32];
			int n = snprintf(m, sizeof(m), "upto=%d", (b + 1) * 100);
			CHILD_CHECK(vg_dq_sync(q, m, (size_t)n) == 0);
		}
		for (int i = 0; i < 7; i++)
			CHILD_CHECK(push_pay(q, 50) == 0);
		_exit(0);
	}
	wait_child(pid);

	vg_dq *q = xopen(&t, NULL);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.committed_seq, 1000);
	assert_int_equal(st.next_seq, 1001);
	expect_range(q, 0, 1, 1000);
	char m[32];
	size_t len;
	assert_int_equal(vg_dq_meta(q, m, sizeof(m), &len), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(m, "upto=1000", 9);
	assert_int_equal(vg_dq_ack(q, 600), 0);
	vg_dq_close(q);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vg_dq *q2 = vg_dq_open(t.q, NULL, NULL);
		CHILD_CHECK(q2 != NULL);
		for (int i = 0; i < 10; i++)
			CHILD_CHECK(push_pay(q2, 50) == 0);
		CHILD_CHECK(vg_dq_sync(q2, NULL, 0) == 0);
		_exit(0);
	}
	wait_child(pid);
	q = xopen(&t, NULL);
	expect_range(q, 0, 601, 1010); /* acked ones never, unacked ones again */
	vg_dq_close(q);
	tdir_free(&t);
}

/* kill -9 at random moments while a child pushes and syncs: every reopen
 * yields a gap-free, duplicate-free run ending at or after the last sync the
 * child reported, whose checkpoint names that run's last seq. */
static void test_kill9_loop(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq_opts o = {.segment_bytes = 8192, .max_bytes = 1 << 30};
	srand(20240301);
	uint64_t acked = 0, total = 0;
	for (int it = 0; it < 25; it++) {
		int pfd[2];
		assert_int_equal(pipe(pfd), 0);
		unsigned seed = (unsigned)rand();
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(pfd[0]);
			vg_dq *q = vg_dq_open(t.q, &o, NULL);
			CHILD_CHECK(q != NULL);
			for (;;) {
				int k = 1 + (int)(rand_r(&seed) % 40);
				for (int i = 0; i < k; i++)
					CHILD_CHECK(push_pay(q, rand_r(&seed) % 120) == 0);
				uint64_t last = next_seq(q) - 1;
				char m[32];
				int n = snprintf(m, sizeof(m), "%" PRIu64, last);
				CHILD_CHECK(vg_dq_sync(q, m, (size_t)n) == 0);
				CHILD_CHECK(write(pfd[1], &last, sizeof(last)) == sizeof(last));
			}
		}
		close(pfd[1]);
		usleep(2000 + (useconds_t)(rand() % 30000));
		kill(pid, SIGKILL);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		uint64_t reported = 0, v;
		while (read(pfd[0], &v, sizeof(v)) == sizeof(v))
			reported = v;
		close(pfd[0]);

		vg_dq *q = xopen(&t, &o);
		vg_dq_stats st;
		vg_dq_stats_get(q, &st);
		assert_true(st.committed_seq >= reported);
		assert_true(st.committed_seq >= total);
		assert_int_equal(st.corrupt_records, 0);
		assert_int_equal(st.next_seq, st.committed_seq + 1);
		expect_range(q, 0, acked + 1, st.committed_seq);
		if (st.committed_seq > 0) {
			char m[32], w[32];
			size_t len;
			assert_int_equal(vg_dq_meta(q, m, sizeof(m), &len), 0);
			int n = snprintf(w, sizeof(w), "%" PRIu64, st.committed_seq);
			assert_int_equal(len, (size_t)n);
			assert_memory_equal(m, w, len);
		}
		total = st.committed_seq;
		if (it % 3 == 2) {
			acked = total / 2 > acked ? total / 2 : acked;
			assert_int_equal(vg_dq_ack(q, acked), 0);
		}
		vg_dq_close(q);
	}
	assert_true(total > 0);
	tdir_free(&t);
}

/* Two syncs; then the file is cut at every byte offset inside the second
 * batch (its record and commit): recovery keeps exactly the first batch. */
static void test_torn_tail(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq *q = xopen(&t, NULL);
	push_n(q, 5, 30);
	assert_int_equal(vg_dq_sync(q, "A", 1), 0);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	uint64_t a_end = st.disk_bytes;
	push_n(q, 1, 30);
	assert_int_equal(vg_dq_sync(q, "B", 1), 0);
	vg_dq_close(q);
	uint8_t img[4096];
	size_t full = read_file(&t, SEG1, img, sizeof(img));
	assert_int_equal(full, a_end + (20 + 30) + (20 + 8 + 1));

	for (size_t cut = a_end; cut < full; cut++) {
		write_file(&t, SEG1, img, cut);
		q = xopen(&t, NULL);
		vg_dq_stats_get(q, &st);
		assert_int_equal(st.committed_seq, 5);
		assert_int_equal(st.next_seq, 6);
		assert_int_equal(st.truncated_bytes, cut - a_end);
		assert_int_equal(st.corrupt_records, 0);
		assert_int_equal(st.corrupt_bytes, 0);
		assert_int_equal(file_size(&t, SEG1), a_end);
		expect_range(q, 0, 1, 5);
		char m[8];
		size_t len;
		assert_int_equal(vg_dq_meta(q, m, sizeof(m), &len), 0);
		assert_int_equal(len, 1);
		assert_int_equal(m[0], 'A');
		vg_dq_close(q);
	}
	/* after the cut the queue carries on */
	q = xopen(&t, NULL);
	push_n(q, 2, 30);
	assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	vg_dq_close(q);
	q = xopen(&t, NULL);
	expect_range(q, 0, 1, 7);
	vg_dq_close(q);

	/* garbage after the last commit: dropped, the commit stands */
	memset(img + full, 0x5a, 100);
	write_file(&t, SEG1, img, full + 100);
	q = xopen(&t, NULL);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.committed_seq, 6);
	assert_int_equal(st.truncated_bytes, 100);
	vg_dq_close(q);

	/* the commit reached the disk but a page of its batch did not: the sync
	 * in flight is undone, not half kept */
	img[a_end + 25] ^= 0xff;
	write_file(&t, SEG1, img, full);
	q = xopen(&t, NULL);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.committed_seq, 5);
	assert_int_equal(st.truncated_bytes, full - a_end);
	assert_int_equal(st.corrupt_records, 0);
	expect_range(q, 0, 1, 5);
	vg_dq_close(q);
	tdir_free(&t);
}

static void write_three_batches(struct tdir *t, uint8_t *img, size_t cap, size_t *len, uint64_t *rec5)
{
	tdir_make(t);
	vg_dq *q = xopen(t, NULL);
	for (int b = 0; b < 3; b++) {
		if (b == 1) {
			vg_dq_stats st;
			vg_dq_stats_get(q, &st);
			*rec5 = st.disk_bytes + (20 + 10); /* record 4 is the batch's first */
		}
		push_n(q, 3, 10);
		assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	}
	vg_dq_close(q);
	*len = read_file(t, SEG1, img, cap);
}

static void test_corrupt_middle(void **state)
{
	(void)state;
	uint8_t img[4096], bad[4096];
	size_t len;
	uint64_t r5 = 0;
	struct tdir t;
	write_three_batches(&t, img, sizeof(img), &len, &r5);
	const size_t rec = 20 + 10;

	static const struct {
		size_t at;         /* offset from record 5's header */
		uint64_t lost, skipped;
	} cases[] = {
		{20 + 3, 1, rec}, /* payload byte: header sound, record stepped over */
		{1, 1, rec},      /* length byte: header checksum fails, resync */
		{9, 1, rec},      /* seq byte */
		{17, 1, rec},     /* header checksum byte */
		{2 * rec + 5, 0, 28}, /* batch 2's commit record: no data lost */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, img, len);
		bad[r5 + cases[i].at] ^= 0x40;
		write_file(&t, SEG1, bad, len);
		vg_dq *q = xopen(&t, NULL);
		vg_dq_stats st;
		vg_dq_stats_get(q, &st);
		assert_int_equal(st.committed_seq, 9);
		assert_int_equal(st.corrupt_records, cases[i].lost);
		assert_int_equal(st.corrupt_bytes, cases[i].skipped);
		assert_int_equal(st.truncated_bytes, 0);
		struct col c = {0};
		assert_int_equal(vg_dq_peek(q, 0, SIZE_MAX, 0, col_fn, &c), 0);
		assert_int_equal(c.bad, 0);
		assert_int_equal(c.n, 9 - cases[i].lost);
		for (size_t k = 0, s = 1; k < c.n; k++, s++) {
			if (cases[i].lost && s == 5)
				s++;
			assert_int_equal(c.seqs[k], s);
		}
		free(c.seqs);
		/* resume in place across the damage */
		c = (struct col){0};
		assert_int_equal(vg_dq_peek(q, 0, 4, 0, col_fn, &c), 0);
		assert_int_equal(vg_dq_peek(q, 4, 1, 0, col_fn, &c), 0);
		assert_int_equal(c.seqs[4], cases[i].lost ? 6 : 5);
		free(c.seqs);
		vg_dq_close(q);
	}
	/* damage inside the newest batch looks like a torn sync: that batch goes */
	memcpy(bad, img, len);
	bad[r5 + 3 * rec + 28 + 22] ^= 1; /* record 8's payload */
	write_file(&t, SEG1, bad, len);
	vg_dq *q = xopen(&t, NULL);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.committed_seq, 6);
	assert_int_equal(st.truncated_bytes, 3 * rec + 28);
	expect_range(q, 0, 1, 6);
	vg_dq_close(q);
	tdir_free(&t);

	/* damage in an older, sealed segment: skipped, counted, the rest delivered */
	tdir_make(&t);
	vg_dq_opts o = {.segment_bytes = 256};
	q = xopen(&t, &o);
	for (int b = 0; b < 6; b++) {
		push_n(q, 2, 40);
		assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	}
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.segments, 3); /* 16 + 2 * (2 * 60 + 28) = 312 >= 256 */
	vg_dq_close(q);
	len = read_file(&t, SEG1, img, sizeof(img));
	assert_int_equal(len, 312);
	img[16 + 60 + 20 + 5] ^= 0x01; /* record 2's payload */
	write_file(&t, SEG1, img, len);
	q = xopen(&t, &o);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.corrupt_records, 1);
	assert_int_equal(st.corrupt_bytes, 60);
	struct col c = {0};
	assert_int_equal(vg_dq_peek(q, 0, SIZE_MAX, 0, col_fn, &c), 0);
	assert_int_equal(c.n, 11);
	assert_int_equal(c.seqs[0], 1);
	assert_int_equal(c.seqs[1], 3);
	assert_int_equal(c.seqs[10], 12);
	free(c.seqs);
	vg_dq_close(q);
	tdir_free(&t);
}

/* The newest segment is lost after an ack recorded how far the queue went:
 * the missing seqs are counted, never reused, and a batch written after the
 * gap is whole (a regression found by fuzz_dqueue). */
static void test_lost_segment(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq_opts o = {.segment_bytes = 256};
	vg_dq *q = xopen(&t, &o);
	for (int b = 0; b < 4; b++) {
		push_n(q, 3, 50); /* 16 + 3 * 70 + 28 = 254, then 492: 2 batches a segment */
		assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	}
	assert_int_equal(vg_dq_ack(q, 2), 0);
	vg_dq_close(q);
	assert_int_equal(count_segments(&t), 2);
	char p[400];
	path_in(p, sizeof(p), &t, "q-00000000000000000007.vgq");
	assert_int_equal(unlink(p), 0);

	q = xopen(&t, &o);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.corrupt_records, 6);
	assert_int_equal(st.next_seq, 13);
	expect_range(q, 0, 3, 6);
	push_n(q, 2, 50);
	assert_int_equal(vg_dq_sync(q, "x", 1), 0);
	vg_dq_close(q);

	q = xopen(&t, &o);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.corrupt_records, 6);
	assert_int_equal(st.truncated_bytes, 0);
	assert_int_equal(st.committed_seq, 14);
	struct col c = {0};
	assert_int_equal(vg_dq_peek(q, 0, SIZE_MAX, 0, col_fn, &c), 0);
	assert_int_equal(c.n, 6);
	assert_int_equal(c.seqs[3], 6);
	assert_int_equal(c.seqs[4], 13);
	assert_int_equal(c.seqs[5], 14);
	free(c.seqs);
	vg_dq_close(q);
	tdir_free(&t);
}

static void test_rollover_and_delete(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq_opts o = {.segment_bytes = 1024};
	vg_dq *q = xopen(&t, &o);
	assert_int_equal(vg_dq_sync(q, "first", 5), 0);
	/* 200-byte payloads, 2 per sync (468 bytes with the commit): 16 + 33 + 3 * 468
	 * = 1453 >= 1024, so the 4th batch starts segment 2; each segment holds 3
	 * batches, and its first commit repeats the checkpoint (5 more bytes) */
	for (int b = 0; b < 20; b++) {
		push_n(q, 2, 200);
		assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	}
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.committed_seq, 40);
	assert_int_equal(st.segments, (uint64_t)count_segments(&t));
	uint64_t nseg = st.segments;
	assert_int_equal(nseg, 7); /* 20 batches, 3 per segment */
	expect_range(q, 0, 1, 40);
	/* segment 1 holds 1..6; 2: 7..12 ... ack 13 deletes the first two */
	assert_int_equal(vg_dq_ack(q, 13), 0);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.segments, nseg - 2);
	assert_int_equal(count_segments(&t), (int)nseg - 2);
	assert_int_equal(file_size(&t, SEG1), UINT64_MAX);
	assert_int_equal(file_size(&t, "q-00000000000000000013.vgq"), 16 + 3 * 468 + 5);
	expect_range(q, 0, 14, 40);
	/* all acked: the newest segment stays, holding the last seq and checkpoint */
	assert_int_equal(vg_dq_ack(q, 40), 0);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(count_segments(&t), 1);
	assert_int_equal(st.disk_bytes, file_size(&t, "q-00000000000000000037.vgq"));
	vg_dq_close(q);

	q = xopen(&t, &o);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.next_seq, 41);
	assert_int_equal(st.acked_seq, 40);
	expect_range(q, 0, 1, 0);
	char m[16];
	size_t len;
	assert_int_equal(vg_dq_meta(q, m, sizeof(m), &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(m, "first", 5);
	vg_dq_close(q);
	tdir_free(&t);
}

/* 100-byte payloads, one per sync (148 bytes with the commit): a segment fills
 * at 7 records (16 + 7 * 148 = 1052 bytes), and 4096 bytes hold 27 records:
 * 3 segments and 6 records (904 bytes), 4060 bytes. */
static void test_block_policy(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq_opts o = {.segment_bytes = 1024, .max_bytes = 4096, .batch_bytes = 1000};
	vg_dq *q = xopen(&t, &o);
	/* the batch bound first: 8 x 120 = 960 fit, the 9th needs a sync */
	push_n(q, 8, 100);
	assert_int_equal(push_pay(q, 100), VG_ELIMIT);
	assert_int_equal(next_seq(q), 9);
	assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	assert_int_equal(vg_dq_ack(q, 8), 0);
	vg_dq_close(q);
	tdir_free(&t);

	tdir_make(&t);
	q = xopen(&t, &o);
	int n = 0, r;
	while ((r = push_pay(q, 100)) == 0) {
		assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
		n++;
	}
	assert_int_equal(r, VG_ELIMIT);
	assert_int_equal(n, 27);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.disk_bytes, 4060);
	assert_int_equal(st.next_seq, 28);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(push_pay(q, 100), VG_ELIMIT);
	/* acks make room: segment 1 (7 records) goes, 7 more fit */
	assert_int_equal(vg_dq_ack(q, 7), 0);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.disk_bytes, 4060 - 1052);
	while ((r = push_pay(q, 100)) == 0) {
		assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
		n++;
	}
	assert_int_equal(r, VG_ELIMIT);
	assert_int_equal(n, 34);
	expect_range(q, 0, 8, 34);
	vg_dq_close(q);
	tdir_free(&t);
}

static void test_drop_policy(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq_opts o = {.segment_bytes = 1024, .max_bytes = 4096, .policy = VG_DQ_DROP_OLDEST};
	vg_dq *q = xopen(&t, &o);
	for (int i = 0; i < 27; i++) {
		assert_int_equal(push_pay(q, 100), 0);
		assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	}
	assert_int_equal(vg_dq_ack(q, 3), 0);
	/* the 28th drops segment 1 (1..7), of which 4 were unacked; then every
	 * 7th push drops the next segment: 11 drops by record 100 */
	for (int i = 27; i < 100; i++) {
		assert_int_equal(push_pay(q, 100), 0);
		assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
		if (i == 27) {
			vg_dq_stats st;
			vg_dq_stats_get(q, &st);
			assert_int_equal(st.dropped, 4);
			assert_int_equal(st.floor_seq, 7);
			assert_int_equal(st.acked_seq, 3);
			assert_int_equal(st.disk_bytes, 3 * 1052);
		}
	}
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.dropped, 77 - 3);
	assert_int_equal(st.floor_seq, 77);
	assert_int_equal(st.disk_bytes, 3 * 1052 + 16 + 2 * 148);
	assert_int_equal(st.segments, 4);
	assert_int_equal(st.pending_records, 23);
	expect_range(q, 0, 78, 100);
	vg_dq_close(q);
	q = xopen(&t, &o); /* the count survives a restart */
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.dropped, 74);
	expect_range(q, 0, 78, 100);
	vg_dq_close(q);
	tdir_free(&t);

	/* nothing to drop but the batch itself: VG_ELIMIT, as under BLOCK */
	tdir_make(&t);
	o = (vg_dq_opts){.segment_bytes = 1024, .max_bytes = 2048, .policy = VG_DQ_DROP_OLDEST};
	q = xopen(&t, &o);
	push_n(q, 17, 100); /* 17 x 120 = 2040 */
	assert_int_equal(push_pay(q, 100), VG_ELIMIT);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.dropped, 0);
	vg_dq_close(q);
	tdir_free(&t);
}

/* Disk full, simulated with RLIMIT_FSIZE in a child: sync fails with VG_EIO,
 * the segment is cut back, the batch is kept, acks still work (the ledger is
 * rewritten in place), and the same sync succeeds once space returns. */
static void test_disk_full(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vg_dq *q = vg_dq_open(t.q, NULL, NULL);
		CHILD_CHECK(q != NULL);
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl;
		CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0);
		struct rlimit lim = {.rlim_cur = 8192, .rlim_max = rl.rlim_max};
		CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
		int r, batches = 0;
		for (;;) {
			for (int i = 0; i < 10; i++)
				CHILD_CHECK(push_pay(q, 70) == 0);
			if ((r = vg_dq_sync(q, "cp", 2)) != 0)
				break;
			batches++;
		}
		CHILD_CHECK(r == VG_EIO);
		CHILD_CHECK(errno == EFBIG);
		/* 16 + n * (10 * 90 + 30) <= 8192 -> 8 batches; the 9th writes 736 bytes */
		CHILD_CHECK(batches == 8);
		vg_dq_stats st;
		vg_dq_stats_get(q, &st);
		CHILD_CHECK(st.committed_seq == 80);
		CHILD_CHECK(st.batch_records == 10);
		CHILD_CHECK(st.disk_bytes == 16 + 8 * 930);
		CHILD_CHECK(file_size(&t, SEG1) == st.disk_bytes); /* partial write cut */
		CHILD_CHECK(vg_dq_sync(q, NULL, 0) == VG_EIO);
		CHILD_CHECK(vg_dq_ack(q, 40) == 0);
		CHILD_CHECK(push_pay(q, 70) == 0); /* the batch keeps growing in memory */
		CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
		CHILD_CHECK(vg_dq_sync(q, "cp2", 3) == 0);
		vg_dq_stats_get(q, &st);
		CHILD_CHECK(st.committed_seq == 91);
		_exit(0);
	}
	wait_child(pid);
	vg_dq *q = xopen(&t, NULL);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.acked_seq, 40);
	assert_int_equal(st.corrupt_records, 0);
	assert_int_equal(st.truncated_bytes, 0);
	expect_range(q, 0, 41, 91);
	char m[8];
	size_t len;
	assert_int_equal(vg_dq_meta(q, m, sizeof(m), &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(m, "cp2", 3);
	vg_dq_close(q);
	tdir_free(&t);
}

static void test_ledger_damage(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq *q = xopen(&t, NULL);
	push_n(q, 20, 0);
	assert_int_equal(vg_dq_sync(q, NULL, 0), 0);
	assert_int_equal(vg_dq_ack(q, 5), 0);
	assert_int_equal(vg_dq_ack(q, 9), 0);
	vg_dq_close(q);
	uint8_t led[8192];
	size_t n = read_file(&t, "ledger", led, sizeof(led));
	assert_int_equal(n, 4160);
	/* which slot is newer depends on the generation; damage the one saying 9 */
	int newer = led[16] == 9 ? 0 : 4096;
	assert_int_equal(led[newer + 16], 9);
	led[newer + 20] ^= 1;
	write_file(&t, "ledger", led, n);
	q = xopen(&t, NULL);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.acked_seq, 5); /* the older slot */
	assert_int_equal(st.ledger_reset, 0);
	expect_range(q, 0, 6, 20);
	vg_dq_close(q);

	/* both slots gone: rebuilt; the seq is recovered from the segments */
	memset(led, 0xee, n);
	write_file(&t, "ledger", led, n);
	q = xopen(&t, NULL);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.ledger_reset, 1);
	assert_int_equal(st.acked_seq, 0);
	assert_int_equal(st.next_seq, 21);
	expect_range(q, 0, 1, 20);
	vg_dq_close(q);
	q = xopen(&t, NULL);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.ledger_reset, 0);
	vg_dq_close(q);

	/* no ledger at all beside segments */
	char p[400];
	path_in(p, sizeof(p), &t, "ledger");
	assert_int_equal(unlink(p), 0);
	q = xopen(&t, NULL);
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.ledger_reset, 1);
	assert_int_equal(st.next_seq, 21);
	vg_dq_close(q);
	tdir_free(&t);
}

/* One producer thread, one consumer thread peeking and acking as they go. */
struct pc {
	vg_dq *q;
	uint64_t n;
	uint64_t seen, delivered;
	int gaps_ok; /* DROP_OLDEST may delete records before the consumer gets them */
	int bad, err;
};

static void *producer(void *arg)
{
	struct pc *pc = arg;
	for (uint64_t i = 0; i < pc->n; i++) {
		int r;
		while ((r = push_pay(pc->q, i % 97)) == VG_ELIMIT)
			if (vg_dq_sync(pc->q, NULL, 0) != 0)
				pc->err++;
		if (r != 0)
			pc->err++;
		if (i % 100 == 99 && vg_dq_sync(pc->q, NULL, 0) != 0)
			pc->err++;
	}
	if (vg_dq_sync(pc->q, NULL, 0) != 0)
		pc->err++;
	return NULL;
}

static int pc_fn(void *ctx, uint64_t seq, const void *p, size_t len)
{
	struct pc *pc = ctx;
	if ((pc->gaps_ok ? seq <= pc->seen : seq != pc->seen + 1) || !pay_ok(seq, p, len))
		pc->bad++;
	pc->seen = seq;
	pc->delivered++;
	return 0;
}

static void *consumer(void *arg)
{
	struct pc *pc = arg;
	while (pc->seen < pc->n && pc->bad == 0) {
		uint64_t before = pc->seen;
		if (vg_dq_peek(pc->q, pc->seen, pc->gaps_ok ? 50 : 250, 0, pc_fn, pc) != 0)
			pc->err++;
		if (pc->seen != before && vg_dq_ack(pc->q, pc->seen) != 0)
			pc->err++;
		if (pc->seen == before || pc->gaps_ok)
			usleep(pc->gaps_ok ? 1000 : 100); /* a slow consumer makes drops likely */
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	struct tdir t;
	tdir_make(&t);
	vg_dq_opts o = {.segment_bytes = 16384, .max_bytes = 65536, .batch_bytes = 8192};
	vg_dq *q = xopen(&t, &o);
	struct pc pc = {.q = q, .n = 20000};
	pthread_t a, b;
	assert_int_equal(pthread_create(&a, NULL, producer, &pc), 0);
	assert_int_equal(pthread_create(&b, NULL, consumer, &pc), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_int_equal(pc.bad, 0);
	assert_int_equal(pc.err, 0);
	assert_int_equal(pc.seen, 20000);
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	assert_int_equal(st.acked_seq, 20000);
	assert_int_equal(st.segments, 1);
	vg_dq_close(q);
	tdir_free(&t);

	/* the same under DROP_OLDEST with a small bound: the producer never waits,
	 * the consumer sees a rising sequence with gaps, and every record is
	 * either delivered or counted as dropped */
	tdir_make(&t);
	o = (vg_dq_opts){.segment_bytes = 4096, .max_bytes = 16384, .batch_bytes = 4096, .policy = VG_DQ_DROP_OLDEST};
	q = xopen(&t, &o);
	pc = (struct pc){.q = q, .n = 20000, .gaps_ok = 1};
	assert_int_equal(pthread_create(&a, NULL, producer, &pc), 0);
	assert_int_equal(pthread_create(&b, NULL, consumer, &pc), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_int_equal(pc.bad, 0);
	assert_int_equal(pc.err, 0);
	assert_int_equal(pc.seen, 20000);
	vg_dq_stats_get(q, &st);
	assert_true(pc.delivered + st.dropped >= 20000);
	assert_true(pc.delivered <= 20000);
	vg_dq_close(q);
	tdir_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_crash_child),
		cmocka_unit_test(test_kill9_loop),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_corrupt_middle),
		cmocka_unit_test(test_lost_segment),
		cmocka_unit_test(test_rollover_and_delete),
		cmocka_unit_test(test_block_policy),
		cmocka_unit_test(test_drop_policy),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_ledger_damage),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
