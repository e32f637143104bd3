/* cmd_events.c — `vigil events export`: the archived events matching a time
 * range, a host and FIELD=VALUE queries, as NDJSON on stdout; and `vigil
 * events import`: append NDJSON documents (restoring an export) to an archive. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "scan/alert_json.h"
#include "cli/cli_time.h"
#include "core/timeparse.h"
#include "store/archive.h"

#define IMPORT_SYNC_EVERY 65536 /* records per commit on import */
#define MAX_REJECT_LINES 10     /* rejected lines named individually on import */
#define LOOKUP_BUDGET 4096      /* key lookups per query per document */

extern const vg_command vg_cmd_events;

static const char help[] =
	"usage: vigil events export [--data DIR] [--from T] [--to T] [--host H]\n"
	"                           [--query FIELD=VALUE]... [--stats]\n"
	"       vigil events import [--data DIR] FILE.ndjson\n"
	"\n"
	"export: print the archived events that match, one JSON document per line\n"
	"(NDJSON): segments in the order they were written, events in the order they\n"
	"arrived (time order for a source that sends in time order).\n"
	"\n"
	"  --data DIR           the data directory of `vigil server` (default\n"
	"                       " VG_DEFAULT_DATA_DIR "); the archive is DIR/archive\n"
	"  --from T, --to T     events with T_from <= @timestamp < T_to. T is RFC 3339\n"
	"                       (2026-04-17T05:24:53Z, 2026-04-17 10:00:00+07:00, or a\n"
	"                       date: 2026-04-17 = midnight UTC), \"now\", or relative to\n"
	"                       now: -90s, -30m, -24h, -7d, -2w\n"
	"  --host H             events of host H (host.name, as archived)\n"
	"  --query FIELD=VALUE  events whose FIELD (a dotted path such as source.ip or\n"
	"                       user.name, through nested objects or dotted keys)\n"
	"                       equals VALUE: strings exactly, numbers numerically,\n"
	"                       true/false/null; an array matches when an element\n"
	"                       does. Repeat to require several (AND).\n"
	"  --stats              print segments, blocks and records read and skipped\n"
	"                       on stderr\n"
	"\n"
	"import: append NDJSON documents (an export, for instance) to DIR/archive and\n"
	"commit them; FILE - reads standard input. Each document keeps its bytes; its\n"
	"time is \"@timestamp\" (RFC 3339) and its host host.name (or host.hostname).\n"
	"Lines that are not JSON objects with a valid @timestamp are named and\n"
	"skipped. The archive is locked while `vigil server` runs.\n"
	"\n"
	"Exit status: 0 success; 1 import rejected some lines; 2 usage error, or an\n"
	"archive, input or output that could not be read or written (the file and\n"
	"the reason are named; export still prints every readable event).\n";

/* ---- FIELD=VALUE matching on decoded documents ---- */

typedef struct query {
	const char *field, *value;
	size_t field_len;
} query;

static int parse_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0)
		return -1;
	*out = d;
	return 0;
}

static int leaf_eq(const json_t *v, const char *val)
{
	double d;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) == strlen(val) && memcmp(json_string_value(v), val, strlen(val)) == 0;
	case JSON_INTEGER: {
		char *end;
		errno = 0;
		long long n = strtoll(val, &end, 10);
		if (end != val && *end == '\0' && errno == 0)
			return n == json_integer_value(v);
		return parse_number(val, &d) == 0 && d == (double)json_integer_value(v);
	}
	case JSON_REAL: return parse_number(val, &d) == 0 && d == json_real_value(v);
	case JSON_TRUE: return strcmp(val, "true") == 0;
	case JSON_FALSE: return strcmp(val, "false") == 0;
	case JSON_NULL: return strcmp(val, "null") == 0;
	case JSON_ARRAY: {
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e)
			if (leaf_eq(e, val))
				return 1;
		return 0;
	}
	default: return 0;
	}
}

/* path[0..n) names v's target: at each level either a nested key or a key
 * that itself contains dots ({"host.name": …} as well as {"host":{"name": …}}).
 * *budget bounds the lookups a document with many dotted keys can cause. */
static int match_at(const json_t *v, const char *path, size_t n, const char *val, int *budget)
{
	if (n == 0)
		return leaf_eq(v, val);
	if (json_is_array(v)) {
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e)
			if (match_at(e, path, n, val, budget))
				return 1;
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	for (size_t k = 1; k <= n; k++) {
		if (k < n && path[k] != '.')
			continue;
		if (--*budget < 0)
			return 0;
		const json_t *child = json_object_getn(v, path, k);
		if (child != NULL && match_at(child, path + k + (k < n), n - k - (k < n), val, budget))
			return 1;
	}
	return 0;
}

/* The string at a dotted path, or NULL. */
static const json_t *find_string(const json_t *doc, const char *path)
{
	const json_t *v = json_object_get(doc, path);
	if (v != NULL && json_is_string(v))
		return v;
	const char *dot = strchr(path, '.');
	if (dot == NULL)
		return NULL;
	v = json_object_getn(doc, path, (size_t)(dot - path));
	return v != NULL && json_is_object(v) ? find_string(v, dot + 1) : NULL;
}

/* ---- export ---- */

typedef struct export_ctx {
	FILE *out;
	const query *q;
	size_t nq;
	uint64_t exported;
	vg_buf buf;
} export_ctx;

static int emit(void *ud, const vg_archive_rec *r)
{
	export_ctx *x = ud;
	if (x->nq > 0) {
		json_t *doc = json_loadb(r->doc, r->doc_len, 0, NULL);
		int ok = doc != NULL;
		for (size_t i = 0; ok && i < x->nq; i++) {
			int budget = LOOKUP_BUDGET;
			ok = match_at(doc, x->q[i].field, x->q[i].field_len, x->q[i].value, &budget);
		}
		json_decref(doc);
		if (!ok)
			return 0;
	}
	/* the server archives flat documents (cheaper to write); print them as
	 * the nested ECS documents they stand for */
	x->buf.len = 0;
	if (vg_event_json_renest(&x->buf, r->doc, r->doc_len) != 0 ||
	    fwrite(x->buf.data, 1, x->buf.len, x->out) != x->buf.len)
		return 1; /* stops the scan: output failed */
	x->exported++;
	return 0;
}

static void scan_error(void *ud, const char *path, uint64_t offset, const char *reason)
{
	(void)ud;
	fprintf(stderr, "vigil: %s: offset %llu: %s\n", path, (unsigned long long)offset, reason);
}

static void print_archive_error(const char *dir, int r)
{
	if (r == VG_ENOTFOUND)
		fprintf(stderr, "vigil: %s/archive: no archive here (%s)\n", dir, strerror(ENOENT));
	else if (r == VG_EIO)
		fprintf(stderr, "vigil: %s/archive: %s\n", dir, strerror(errno));
	else
		fprintf(stderr, "vigil: %s/archive: %s\n", dir, vg_err_str(r));
}

static int export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},  {"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},    {"host", required_argument, NULL, 'H'},
		{"query", required_argument, NULL, 'q'}, {"stats", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *dir = VG_DEFAULT_DATA_DIR;
	vg_archive_filter f = {.on_error = scan_error};
	int stats = 0, c, status = 2;
	int64_t now = vg_cli_now_us();
	query *q = calloc((size_t)argc, sizeof(*q));
	size_t nq = 0;
	if (q == NULL)
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'f':
		case 't': {
			int64_t *dst = c == 'f' ? &f.from_us : &f.to_us;
			if (vg_cli_time_parse(optarg, now, dst) != 0) {
				status = vg_cli_usage_error(&vg_cmd_events,
							    "--%s: '%s' is not a time (" VG_CLI_TIME_HINT ")",
							    c == 'f' ? "from" : "to", optarg);
				goto out;
			}
			*(c == 'f' ? &f.has_from : &f.has_to) = 1;
			break;
		}
		case 'H': f.host = optarg; break;
		case 'q': {
			const char *eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg) {
				status = vg_cli_usage_error(&vg_cmd_events, "--query: '%s' is not FIELD=VALUE", optarg);
				goto out;
			}
			q[nq++] = (query){.field = optarg, .field_len = (size_t)(eq - optarg), .value = eq + 1};
			break;
		}
		case 's': stats = 1; break;
		case 'h':
			fputs(help, stdout);
			status = 0;
			goto out;
		default: status = vg_cli_usage_error(&vg_cmd_events, "invalid option"); goto out;
		}
	}
	if (optind < argc) {
		status = vg_cli_usage_error(&vg_cmd_events, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (f.has_from && f.has_to && f.from_us >= f.to_us) {
		status = vg_cli_usage_error(&vg_cmd_events, "--from must be before --to");
		goto out;
	}
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	export_ctx x = {.out = stdout, .q = q, .nq = nq};
	vg_archive_scan_stats st;
	int r = vg_archive_scan(dir, &f, emit, &x, &st);
	vg_buf_free(&x.buf);
	if (fflush(stdout) != 0 || ferror(stdout) || r == 1) {
		fprintf(stderr, "vigil: writing to standard output: %s\n", strerror(errno));
		goto out;
	}
	if (stats)
		fprintf(stderr,
			"segments: %llu read, %llu skipped by their index; blocks: %llu, %llu skipped by time, "
			"%llu decompressed; records: %llu decoded, %llu exported; %llu bytes read; errors: %llu\n",
			(unsigned long long)st.segments, (unsigned long long)st.segments_skipped,
			(unsigned long long)st.blocks, (unsigned long long)st.blocks_skipped,
			(unsigned long long)st.blocks_decompressed, (unsigned long long)st.records,
			(unsigned long long)x.exported, (unsigned long long)st.bytes_read, (unsigned long long)st.errors);
	if (r != 0) {
		print_archive_error(dir, r);
		goto out;
	}
	status = st.errors > 0 ? 2 : 0;
out:
	free(q);
	return status;
}

/* ---- import ---- */

/* Reads one line (without '\n') of at most cap bytes into buf. Returns 1 with
 * a line (*too_long when it was longer; the rest is skipped), 0 at the end,
 * -1 on a read error. */
static int read_line(FILE *in, char *buf, size_t cap, size_t *len, int *too_long)
{
	size_t n = 0;
	int ch, any = 0;
	*too_long = 0;
	while ((ch = getc_unlocked(in)) != EOF) {
		any = 1;
		if (ch == '\n')
			break;
		if (n < cap)
			buf[n++] = (char)ch;
		else
			*too_long = 1;
	}
	*len = n;
	if (ferror(in))
		return -1;
	return any ? 1 : 0;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Checks one line; on 0 *ts and host are set. Otherwise *why says why not. */
static int import_doc(const char *p, size_t n, int64_t *ts, char host[VG_ARCHIVE_MAX_HOST + 1], const char **why)
{
	json_error_t e;
	json_t *doc = json_loadb(p, n, 0, &e);
	int r = -1;
	if (doc == NULL || !json_is_object(doc)) {
		*why = "not a JSON object";
		goto out;
	}
	const json_t *t = find_string(doc, "@timestamp");
	size_t tl = t != NULL ? json_string_length(t) : 0;
	if (t == NULL || vg_time_rfc3339(json_string_value(t), tl, ts) != tl || tl == 0) {
		*why = "no valid @timestamp (RFC 3339)";
		goto out;
	}
	const json_t *h = find_string(doc, "host.name");
	if (h == NULL)
		h = find_string(doc, "host.hostname");
	size_t hl = h != NULL ? json_string_length(h) : 0;
	if (hl > VG_ARCHIVE_MAX_HOST || (h != NULL && memchr(json_string_value(h), '\0', hl) != NULL)) {
		*why = "host name longer than 255 bytes or with a NUL";
		goto out;
	}
	memcpy(host, h != NULL ? json_string_value(h) : "", hl);
	host[hl] = '\0';
	r = 0;
out:
	json_decref(doc);
	return r;
}

static int import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = VG_DEFAULT_DATA_DIR;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'h': fputs(help, stdout); return 0;
		default: return vg_cli_usage_error(&vg_cmd_events, "invalid option");
		}
	}
	if (optind + 1 != argc)
		return vg_cli_usage_error(&vg_cmd_events, "import takes one FILE (- for standard input)");
	const char *path = argv[optind];
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (in == NULL) {
		fprintf(stderr, "vigil: %s: %s\n", path, strerror(errno));
		return 2;
	}
	char *line = malloc(VG_ARCHIVE_MAX_DOC);
	int err = 0, status = 2;
	vg_archive *a = NULL;
	if (line == NULL) {
		fprintf(stderr, "vigil: out of memory\n");
		goto out;
	}
	vg_archive_opts o = {0};
	if ((a = vg_archive_open(dir, &o, &err)) == NULL) {
		if (err == VG_EIO && errno == EWOULDBLOCK)
			fprintf(stderr, "vigil: %s/archive: locked by another writer (is vigil server running?)\n", dir);
		else
			print_archive_error(dir, err);
		goto out;
	}
	uint64_t lineno = 0, imported = 0, rejected = 0, committed = 0;
	size_t n;
	int too_long, rl, r = 0;
	while ((rl = read_line(in, line, VG_ARCHIVE_MAX_DOC, &n, &too_long)) == 1) {
		lineno++;
		size_t s = 0;
		while (s < n && is_space(line[s]))
			s++;
		while (n > s && is_space(line[n - 1]))
			n--;
		if (n == s && !too_long)
			continue;
		int64_t ts;
		char host[VG_ARCHIVE_MAX_HOST + 1];
		const char *why = "longer than 1 MiB";
		if (too_long || import_doc(line + s, n - s, &ts, host, &why) != 0) {
			if (rejected++ < MAX_REJECT_LINES)
				fprintf(stderr, "vigil: %s:%llu: %s; skipped\n", path, (unsigned long long)lineno, why);
			continue;
		}
		if ((r = vg_archive_append(a, ts, host, line + s, n - s)) != 0)
			break;
		if (++imported % IMPORT_SYNC_EVERY == 0) {
			if ((r = vg_archive_sync(a)) != 0)
				break;
			committed = imported;
		}
	}
	int read_errno = errno;
	/* a read error keeps what was read before it */
	if (r == 0 && (r = vg_archive_sync(a)) == 0)
		committed = imported;
	if (rl < 0)
		fprintf(stderr, "vigil: %s: %s\n", path, strerror(read_errno));
	if (r != 0) {
		fprintf(stderr, "vigil: %s/archive: %s%s%s; %llu records were committed before\n", dir, vg_err_str(r),
			r == VG_EIO ? ": " : "", r == VG_EIO ? strerror(errno) : "", (unsigned long long)committed);
	}
	fprintf(stderr, "vigil: imported %llu records from %s", (unsigned long long)committed, path);
	if (rejected > 0)
		fprintf(stderr, " (%llu lines rejected)", (unsigned long long)rejected);
	fputc('\n', stderr);
	if (rl >= 0 && r == 0)
		status = rejected > 0 ? 1 : 0;
out:
	if (a != NULL && vg_archive_close(a) != 0 && status != 2) {
		fprintf(stderr, "vigil: %s/archive: %s\n", dir, strerror(errno));
		status = 2;
	}
	free(line);
	if (in != stdin)
		fclose(in);
	return status;
}

static int run(int argc, char **argv)
{
	if (argc < 2)
		return vg_cli_usage_error(&vg_cmd_events, "missing subcommand (export or import)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(help, stdout);
		return 0;
	}
	if (strcmp(argv[1], "export") == 0)
		return export(argc - 1, argv + 1);
	if (strcmp(argv[1], "import") == 0)
		return import(argc - 1, argv + 1);
	return vg_cli_usage_error(&vg_cmd_events, "unknown subcommand '%s' (export or import)", argv[1]);
}

const vg_command vg_cmd_events = {
	.name = "events",
	.usage = "vigil events export [--data DIR] [--from T] [--to T] [--host H] [--query FIELD=VALUE]...",
	.run = run,
};
