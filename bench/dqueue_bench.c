/* dqueue_bench.c — throughput and memory of the agent's durable queue: push +
 * sync in batches (each batch fdatasync'd), reopen (the recovery scan), peek +
 * ack, and a producer and a consumer thread together; then peak RSS.
 *
 * Build: cc -O2 -D_GNU_SOURCE -Isrc bench/dqueue_bench.c src/store/dqueue.c \
 *          src/core/err.c -lpthread -o dqueue_bench
 * Usage: dqueue_bench [DIR [RECORDS [RECORD_BYTES [BATCH]]]]
 *        (defaults: ./dqueue-bench.d 200000 200 1000; DIR is emptied first and
 *        should be on the disk the agent will use: fdatasync cost is the point) */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "store/dqueue.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	char p[4096];
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static void die(const char *what, int r)
{
	fprintf(stderr, "dqueue_bench: %s: %s\n", what, vg_err_str(r));
	exit(1);
}

/* A log-line-like payload, different per record so nothing compresses away. */
static void fill(char *p, size_t n, uint64_t seq)
{
	int k = snprintf(p, n, "<38>Mar  1 12:00:00 host sshd[%llu]: Accepted publickey for user%llu from 10.0.%llu.%llu ",
			 (unsigned long long)seq, (unsigned long long)(seq % 977),
			 (unsigned long long)(seq / 256 % 256), (unsigned long long)(seq % 256));
	for (size_t i = (size_t)k; i < n; i++)
		p[i] = (char)('a' + (seq + i) % 26);
}

struct sum {
	uint64_t n, bytes;
};

static int count(void *ctx, uint64_t seq, const void *p, size_t len)
{
	struct sum *s = ctx;
	(void)seq;
	(void)p;
	s->n++;
	s->bytes += len;
	return 0;
}

struct pc {
	vg_dq *q;
	uint64_t n;
	size_t rec, batch;
	uint64_t seen;
};

static void *consumer(void *arg)
{
	struct pc *pc = arg;
	while (pc->seen < pc->n) {
		struct sum s = {0};
		int r = vg_dq_peek(pc->q, pc->seen, pc->batch, 0, count, &s);
		if (r != 0)
			die("peek", r);
		if (s.n == 0) {
			usleep(200);
			continue;
		}
		pc->seen += s.n;
		if ((r = vg_dq_ack(pc->q, pc->seen)) != 0)
			die("ack", r);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "dqueue-bench.d";
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 200000;
	size_t rec = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 200;
	size_t batch = argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 1000;
	if (n == 0 || rec == 0 || rec > 65536 || batch == 0) {
		fprintf(stderr, "usage: dqueue_bench [DIR [RECORDS [RECORD_BYTES [BATCH]]]]\n");
		return 2;
	}
	char *buf = malloc(rec);
	if (buf == NULL)
		return 1;
	empty_dir(dir);
	int r;
	vg_dq *q = vg_dq_open(dir, NULL, &r);
	if (q == NULL)
		die("open", r);
	double mb = (double)n * (double)rec / 1e6;
	printf("dqueue_bench: %llu records x %zu bytes, batches of %zu, in %s\n", (unsigned long long)n, rec, batch, dir);

	/* 1. push + sync */
	double t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		fill(buf, rec, i + 1);
		if ((r = vg_dq_push(q, buf, rec, NULL)) != 0)
			die("push", r);
		if ((i + 1) % batch == 0 || i + 1 == n)
			if ((r = vg_dq_sync(q, NULL, 0)) != 0)
				die("sync", r);
	}
	double dt = now() - t0;
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	printf("push+sync   %9.0f records/s  %7.1f MB/s  %6.0f syncs/s  (%.2f s, %llu segments, %.1f MB on disk)\n",
	       (double)n / dt, mb / dt, (double)((n + batch - 1) / batch) / dt, dt,
	       (unsigned long long)st.segments, (double)st.disk_bytes / 1e6);
	vg_dq_close(q);

	/* 2. reopen: every segment scanned and checksummed */
	t0 = now();
	if ((q = vg_dq_open(dir, NULL, &r)) == NULL)
		die("reopen", r);
	dt = now() - t0;
	vg_dq_stats_get(q, &st);
	printf("reopen      %9.0f records/s  %7.1f MB/s  (%.3f s)\n", (double)n / dt,
	       (double)st.disk_bytes / 1e6 / dt, dt);

	/* 3. peek + ack, as the sender does per acknowledged batch */
	t0 = now();
	uint64_t seen = 0;
	while (seen < n) {
		struct sum s = {0};
		if ((r = vg_dq_peek(q, seen, batch, 0, count, &s)) != 0)
			die("peek", r);
		if (s.n == 0)
			die("peek", VG_ENOTFOUND);
		seen += s.n;
		if ((r = vg_dq_ack(q, seen)) != 0)
			die("ack", r);
	}
	dt = now() - t0;
	printf("peek+ack    %9.0f records/s  %7.1f MB/s  (%.2f s)\n", (double)n / dt, mb / dt, dt);
	vg_dq_close(q);

	/* 4. both at once: a producer and a consumer thread */
	empty_dir(dir);
	if ((q = vg_dq_open(dir, NULL, &r)) == NULL)
		die("open", r);
	struct pc pc = {.q = q, .n = n, .rec = rec, .batch = batch};
	pthread_t th;
	t0 = now();
	if (pthread_create(&th, NULL, consumer, &pc) != 0)
		return 1;
	for (uint64_t i = 0; i < n; i++) {
		fill(buf, rec, i + 1);
		if ((r = vg_dq_push(q, buf, rec, NULL)) != 0)
			die("push", r);
		if ((i + 1) % batch == 0 || i + 1 == n)
			if ((r = vg_dq_sync(q, NULL, 0)) != 0)
				die("sync", r);
	}
	pthread_join(th, NULL);
	dt = now() - t0;
	printf("concurrent  %9.0f records/s  %7.1f MB/s  (%.2f s, producer + consumer threads)\n", (double)n / dt,
	       mb / dt, dt);
	vg_dq_close(q);
	empty_dir(dir);
	rmdir(dir);
	free(buf);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS    %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	return 0;
}
