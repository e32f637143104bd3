/* latency_probe.c — follows vigil's DIR/alerts.ndjson for the collection benchmarks:
 * ingest-to-alert latency of the marker lines bench/gen_lines.c writes (now - the
 * vgbench_t=µs they carry), and the moment each sentinel (vgbench_end=TAG) alert
 * appears. A bench tool, not part of vigil; compiled on the fly.
 *
 * usage: latency_probe [-e ENDS] [-d SECONDS] [-w SECONDS] [-t TIMEOUT] ALERTS_FILE
 *   -e ENDS     exit once ENDS distinct sentinel tags have been seen
 *   -d SECONDS  exit after this long (also on SIGINT/SIGTERM)
 *   -w SECONDS  warm-up: markers written in the first SECONDS after the first one
 *               are not counted
 *   -t TIMEOUT  give up (exit 1) after TIMEOUT seconds (default 3600)
 * The file is read from its start (it may not exist yet) every 5 ms; a marker counts
 * once, at its first alert (several rules may fire on it). On exit, key=value lines on
 * stdout: markers, alerts, p50_ms, p90_ms, p99_ms, max_ms, and end_TAG_us (wall clock
 * µs at which TAG's alert was read) for each sentinel. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 2000000
#define MAX_ENDS 64
#define MAX_TAG 64
#define RBUF (1u << 20) /* an alert line longer than this is skipped */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long parse_long(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		fprintf(stderr, "latency_probe: bad number for %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

typedef struct probe {
	int64_t *lat; /* µs */
	size_t nlat;
	int64_t last_t, first_t, warmup_us;
	uint64_t alerts;
	char ends[MAX_ENDS][MAX_TAG];
	int64_t end_at[MAX_ENDS];
	size_t nends;
} probe;

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void on_line(probe *p, const char *s, size_t n, int64_t now)
{
	p->alerts++;
	const char *m = memmem(s, n, "vgbench_t=", 10);
	if (m != NULL) {
		int64_t t = 0;
		for (m += 10; m < s + n && *m >= '0' && *m <= '9'; m++)
			t = t * 10 + (*m - '0');
		if (t > p->last_t) { /* markers are written in order: count each once */
			p->last_t = t;
			if (p->first_t == 0)
				p->first_t = t;
			if (t - p->first_t >= p->warmup_us && p->nlat < MAX_SAMPLES)
				p->lat[p->nlat++] = now - t;
		}
	}
	m = memmem(s, n, "vgbench_end=", 12);
	if (m != NULL) {
		char tag[MAX_TAG];
		size_t k = 0;
		for (m += 12; m < s + n && k + 1 < sizeof tag && *m != ' ' && *m != '"' && *m != '&' && *m != '\\'; m++)
			tag[k++] = *m;
		tag[k] = '\0';
		for (size_t i = 0; i < p->nends; i++)
			if (strcmp(p->ends[i], tag) == 0)
				return;
		if (p->nends < MAX_ENDS) {
			memcpy(p->ends[p->nends], tag, k + 1);
			p->end_at[p->nends++] = now;
		}
	}
}

static double pct(const int64_t *a, size_t n, double q)
{
	if (n == 0)
		return -1;
	size_t i = (size_t)((double)n * q + 0.999999);
	if (i == 0)
		i = 1;
	if (i > n)
		i = n;
	return (double)a[i - 1] / 1000.0;
}

int main(int argc, char **argv)
{
	long ends = 0, duration = 0, warmup = 0, timeout = 3600;
	int opt;
	while ((opt = getopt(argc, argv, "e:d:w:t:")) != -1) {
		switch (opt) {
		case 'e': ends = parse_long(optarg, "-e"); break;
		case 'd': duration = parse_long(optarg, "-d"); break;
		case 'w': warmup = parse_long(optarg, "-w"); break;
		case 't': timeout = parse_long(optarg, "-t"); break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || ends > MAX_ENDS)
		goto usage;
	const char *path = argv[optind];
	probe *p = calloc(1, sizeof *p);
	char *buf = malloc(RBUF);
	if (p == NULL || buf == NULL || (p->lat = malloc(sizeof(int64_t) * MAX_SAMPLES)) == NULL) {
		fprintf(stderr, "latency_probe: out of memory\n");
		return 1;
	}
	p->warmup_us = (int64_t)warmup * 1000000;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	int64_t start = now_us(), stop_at = duration > 0 ? start + (int64_t)duration * 1000000 : INT64_MAX;
	int64_t give_up = start + (int64_t)timeout * 1000000;
	int fd = -1, rc = 0;
	size_t len = 0, skipping = 0;
	struct timespec nap = {.tv_sec = 0, .tv_nsec = 5000000};
	while (!stop && (ends == 0 || (long)p->nends < ends)) {
		int64_t now = now_us();
		if (now >= stop_at)
			break;
		if (now >= give_up) {
			fprintf(stderr, "latency_probe: timed out after %ld s (%zu of %ld sentinels seen)\n", timeout,
				p->nends, ends);
			rc = 1;
			break;
		}
		if (fd < 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			nanosleep(&nap, NULL);
			continue;
		}
		ssize_t r = read(fd, buf + len, RBUF - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("latency_probe: read");
			rc = 1;
			break;
		}
		if (r == 0) {
			nanosleep(&nap, NULL);
			continue;
		}
		now = now_us();
		len += (size_t)r;
		char *s = buf, *nl;
		while ((nl = memchr(s, '\n', len - (size_t)(s - buf))) != NULL) {
			if (!skipping)
				on_line(p, s, (size_t)(nl - s), now);
			skipping = 0;
			s = nl + 1;
		}
		len -= (size_t)(s - buf);
		memmove(buf, s, len);
		if (len == RBUF) { /* an over-long line: drop what we have of it */
			len = 0;
			skipping = 1;
		}
	}
	qsort(p->lat, p->nlat, sizeof p->lat[0], cmp_i64);
	printf("markers=%zu\nalerts=%" PRIu64 "\np50_ms=%.1f\np90_ms=%.1f\np99_ms=%.1f\nmax_ms=%.1f\n", p->nlat, p->alerts,
	       pct(p->lat, p->nlat, 0.50), pct(p->lat, p->nlat, 0.90), pct(p->lat, p->nlat, 0.99),
	       pct(p->lat, p->nlat, 1.0));
	for (size_t i = 0; i < p->nends; i++)
		printf("end_%s_us=%" PRId64 "\n", p->ends[i], p->end_at[i]);
	if (fd >= 0)
		close(fd);
	free(p->lat);
	free(p);
	free(buf);
	return rc;
usage:
	fprintf(stderr, "usage: latency_probe [-e ENDS] [-d SECONDS] [-w SECONDS] [-t TIMEOUT] ALERTS_FILE\n");
	return 2;
}
