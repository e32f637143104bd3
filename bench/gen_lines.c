/* gen_lines.c — the line source of the collection benchmarks (bench/e2e_agents.sh,
 * bench/agent_rss.sh): appends log lines taken from real corpus files to a file an
 * agent tails, as fast as possible or at a fixed rate, with optional marker lines
 * that carry their write time. A bench tool, not part of vigil; compiled on the fly.
 *
 * usage: gen_lines [-n COUNT] [-r RATE] [-d SECONDS] [-m EVERY] [-e TAG] [-a] -o OUT INPUT...
 *   -n COUNT    lines to write in all (0 = no limit: stop after -d; default 0)
 *   -r RATE     lines per second, written in 1 ms ticks (0 = as fast as possible)
 *   -d SECONDS  stop after this long (default: no limit; -n or -d is required)
 *   -m EVERY    every EVERY-th line is a marker: an SQL-injection access-log line whose
 *               query carries vgbench_t=<wall clock µs when written> (0 = none)
 *   -e TAG      the last line is a sentinel, an SQL-injection line carrying vgbench_end=TAG
 *               (counted in COUNT): its alert means every earlier line is committed
 *   -a          append to OUT (default: create or truncate it)
 *   INPUT...    line sources, interleaved in proportion to their line counts (smooth
 *               weighted round robin, deterministic) and read again from the top at EOF
 * Marker and sentinel lines fire the SQL-injection rule of vigil's pack
 * (d3f7f396-885e-4d58-949b-2a8e73ab24f0). On exit, one line on stderr:
 * "gen_lines: LINES lines (MARKERS markers) in SECS s = RATE lines/s, max lag LAG ms". */
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

#define MAX_INPUTS 16
#define BUF_CAP (1u << 20)  /* output buffer; flushed when full and at every tick */
#define LINE_MAX_LEN 65536 /* longer input lines are cut (vigil's VG_MAX_LINE) */

typedef struct input {
	const char *path;
	FILE *f;
	uint64_t lines; /* weight */
	int64_t acc;    /* smooth weighted round robin */
} input;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static _Noreturn void die(const char *what, const char *arg)
{
	fprintf(stderr, "gen_lines: %s%s%s%s%s\n", what, arg ? ": " : "", arg ? arg : "", errno ? ": " : "",
		errno ? strerror(errno) : "");
	exit(1);
}

static int64_t now_us(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		die("bad number for", what);
	return v;
}

static uint64_t count_lines(FILE *f, const char *path)
{
	char b[1 << 16];
	size_t n;
	uint64_t lines = 0;
	while ((n = fread(b, 1, sizeof b, f)) > 0)
		for (char *p = b; (p = memchr(p, '\n', (size_t)(b + n - p))) != NULL; p++)
			lines++;
	if (ferror(f))
		die("cannot read", path);
	rewind(f);
	return lines;
}

typedef struct outbuf {
	int fd;
	const char *path;
	char *b;
	size_t len;
} outbuf;

static void flush_out(outbuf *o)
{
	size_t off = 0;
	while (off < o->len) {
		ssize_t w = write(o->fd, o->b + off, o->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("cannot write", o->path);
		off += (size_t)w;
	}
	o->len = 0;
}

static void put(outbuf *o, const char *s, size_t n)
{
	if (o->len + n > BUF_CAP)
		flush_out(o);
	memcpy(o->b + o->len, s, n);
	o->len += n;
}

/* The next line of the interleaved inputs, with its '\n'. */
static size_t next_line(input *in, size_t nin, char *line, size_t cap)
{
	int64_t total = 0;
	size_t best = 0;
	for (size_t i = 0; i < nin; i++) {
		in[i].acc += (int64_t)in[i].lines;
		total += (int64_t)in[i].lines;
		if (in[i].acc > in[best].acc)
			best = i;
	}
	in[best].acc -= total;
	input *p = &in[best];
	if (fgets(line, (int)cap, p->f) == NULL) {
		rewind(p->f);
		if (fgets(line, (int)cap, p->f) == NULL)
			die("cannot read", p->path);
	}
	size_t n = strlen(line);
	if (n == 0 || line[n - 1] != '\n') { /* over-long line: skip its rest */
		int c;
		while ((c = getc(p->f)) != EOF && c != '\n')
			;
		if (n == cap - 1)
			n--;
		line[n++] = '\n';
	}
	return n;
}

/* An access-log line the SQL-injection rule fires on; KEY=VALUE goes in its query. */
static size_t attack_line(char *line, size_t cap, const char *key, const char *value, uint64_t seq)
{
	time_t t = time(NULL);
	struct tm tm;
	char when[64];
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
	int n = snprintf(line, cap,
			 "203.0.113.%u - - [%s] \"GET /search.php?q=1%%27%%20UNION%%20SELECT%%20null,version()--"
			 "&%s=%s HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n",
			 (unsigned)(seq % 250 + 1), when, key, value);
	if (n < 0 || (size_t)n >= cap)
		die("attack line too long", NULL);
	return (size_t)n;
}

int main(int argc, char **argv)
{
	uint64_t count = 0, rate = 0, every = 0;
	double duration = 0;
	const char *out = NULL, *tag = NULL;
	int opt, append = 0;
	while ((opt = getopt(argc, argv, "n:r:d:m:e:ao:")) != -1) {
		switch (opt) {
		case 'n': count = parse_u64(optarg, "-n"); break;
		case 'r': rate = parse_u64(optarg, "-r"); break;
		case 'd': duration = (double)parse_u64(optarg, "-d"); break;
		case 'm': every = parse_u64(optarg, "-m"); break;
		case 'e': tag = optarg; break;
		case 'a': append = 1; break;
		case 'o': out = optarg; break;
		default: goto usage;
		}
	}
	size_t nin = (size_t)(argc - optind);
	if (out == NULL || nin == 0 || nin > MAX_INPUTS || (count == 0 && duration <= 0) ||
	    (tag != NULL && (count == 0 || strpbrk(tag, " \"&\\%") != NULL)))
		goto usage;

	input in[MAX_INPUTS] = {0};
	for (size_t i = 0; i < nin; i++) {
		in[i].path = argv[optind + (int)i];
		if ((in[i].f = fopen(in[i].path, "r")) == NULL)
			die("cannot open", in[i].path);
		if ((in[i].lines = count_lines(in[i].f, in[i].path)) == 0) {
			errno = 0;
			die("no lines in", in[i].path);
		}
	}
	outbuf o = {.path = out, .b = malloc(BUF_CAP)};
	char *line = malloc(LINE_MAX_LEN + 2);
	if (o.b == NULL || line == NULL)
		die("out of memory", NULL);
	o.fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
	if (o.fd < 0)
		die("cannot open", out);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	uint64_t written = 0, markers = 0;
	int64_t t0 = now_us(CLOCK_MONOTONIC), max_lag = 0;
	int64_t end = duration > 0 ? t0 + (int64_t)(duration * 1e6) : INT64_MAX;
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 1000000};
	while (!stop) {
		int64_t now = now_us(CLOCK_MONOTONIC);
		if (now >= end || (count != 0 && written >= count))
			break;
		uint64_t due = count != 0 ? count : UINT64_MAX;
		if (rate != 0) {
			uint64_t by_now = (uint64_t)((double)(now - t0) * (double)rate / 1e6) + 1;
			if (by_now < due)
				due = by_now;
			/* how far behind the schedule the previous tick left us */
			int64_t lag = (int64_t)((double)(due - written) * 1e6 / (double)rate) - 1000;
			if (lag > max_lag)
				max_lag = lag;
		} else if (due - written > 4096) {
			due = written + 4096;
		}
		for (; written < due; written++) {
			size_t n;
			if (tag != NULL && written + 1 == count) {
				n = attack_line(line, LINE_MAX_LEN, "vgbench_end", tag, written);
			} else if (every != 0 && (written + 1) % every == 0) {
				char t[32];
				snprintf(t, sizeof t, "%" PRId64, now_us(CLOCK_REALTIME));
				n = attack_line(line, LINE_MAX_LEN, "vgbench_t", t, written);
				markers++;
			} else {
				n = next_line(in, nin, line, LINE_MAX_LEN + 2);
			}
			put(&o, line, n);
		}
		if (rate != 0) {
			flush_out(&o);
			nanosleep(&tick, NULL);
		}
	}
	flush_out(&o);
	if (close(o.fd) != 0)
		die("cannot close", out);
	double secs = (double)(now_us(CLOCK_MONOTONIC) - t0) / 1e6;
	fprintf(stderr, "gen_lines: %" PRIu64 " lines (%" PRIu64 " markers) in %.2f s = %.0f lines/s, max lag %.1f ms\n",
		written, markers, secs, secs > 0 ? (double)written / secs : 0.0, (double)max_lag / 1000.0);
	for (size_t i = 0; i < nin; i++)
		fclose(in[i].f);
	free(line);
	free(o.b);
	return 0;
usage:
	fprintf(stderr, "usage: gen_lines [-n COUNT] [-r RATE] [-d SECONDS] [-m EVERY] [-e TAG] [-a] -o OUT INPUT...\n"
			"  (-n or -d is required; -e needs -n)\n");
	return 2;
}
