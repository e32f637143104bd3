/* cmd_alerts.c — `vigil alerts export`: the alerts of the state database
 * (DIR/vigil.db, written by `vigil server`) matching a time range, a rule, a
 * level and a host, as NDJSON on stdout in time order. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_time.h"
#include "store/db.h"


extern const vg_command vg_cmd_alerts;

static const char help[] =
	"usage: vigil alerts export [--data DIR] [--from T] [--to T] [--rule ID]\n"
	"                           [--level L] [--host H]\n"
	"\n"
	"export: print the stored alerts that match, one JSON document per line\n"
	"(NDJSON, the documents as written to DIR/alerts.ndjson), in time order\n"
	"(@timestamp, then the order they were stored).\n"
	"\n"
	"  --data DIR        the data directory of `vigil server` (default\n"
	"                    " VG_DEFAULT_DATA_DIR "); the database is DIR/" VG_DB_FILE "\n"
	"  --from T, --to T  alerts with T_from <= @timestamp < T_to. T is RFC 3339\n"
	"                    (2026-04-17T05:24:53Z, 2026-04-17 10:00:00+07:00, or a\n"
	"                    date: 2026-04-17 = midnight UTC), \"now\", or relative to\n"
	"                    now: -90s, -30m, -24h, -7d, -2w\n"
	"  --rule ID         alerts of the rule with this id (rule.id)\n"
	"  --level L         alerts of this level (informational, low, medium, high,\n"
	"                    critical)\n"
	"  --host H          alerts of host H (host.name or host.hostname, else the\n"
	"                    sender's address; for a correlation grouped by host,\n"
	"                    that host)\n"
	"\n"
	"The database may be read while `vigil server` runs.\n"
	"Exit status: 0 success (also when nothing matches); 2 usage error, or a\n"
	"database or output that could not be read or written (file and reason\n"
	"named).\n";

static int emit(void *ud, const vg_db_alert *a)
{
	FILE *out = ud;
	if (fwrite(a->doc, 1, a->doc_len, out) != a->doc_len || putc('\n', out) == EOF)
		return 1; /* stops the scan: output failed */
	return 0;
}

static int export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},  {"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},    {"rule", required_argument, NULL, 'r'},
		{"level", required_argument, NULL, 'l'}, {"host", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *dir = VG_DEFAULT_DATA_DIR;
	vg_db_filter f = {0};
	int c, err = 0;
	int64_t now = vg_cli_now_us();
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'f':
		case 't': {
			int64_t *dst = c == 'f' ? &f.from_us : &f.to_us;
			if (vg_cli_time_parse(optarg, now, dst) != 0)
				return vg_cli_usage_error(&vg_cmd_alerts,
							  "--%s: '%s' is not a time (" VG_CLI_TIME_HINT ")",
							  c == 'f' ? "from" : "to", optarg);
			*(c == 'f' ? &f.has_from : &f.has_to) = 1;
			break;
		}
		case 'r': f.rule = optarg; break;
		case 'l': f.level = optarg; break;
		case 'H': f.host = optarg; break;
		case 'h': fputs(help, stdout); return 0;
		default: return vg_cli_usage_error(&vg_cmd_alerts, "invalid option");
		}
	}
	if (optind < argc)
		return vg_cli_usage_error(&vg_cmd_alerts, "unexpected argument '%s'", argv[optind]);
	if (f.has_from && f.has_to && f.from_us >= f.to_us)
		return vg_cli_usage_error(&vg_cmd_alerts, "--from must be before --to");
	char why[512];
	vg_db_opts o = {.readonly = 1};
	vg_db *db = vg_db_open(dir, &o, &err, why, sizeof(why));
	if (db == NULL) {
		fprintf(stderr, "vigil: %s%s\n", why,
			err == VG_ENOTFOUND ? " (no state database: has `vigil server` run with this --data?)" : "");
		return 2;
	}
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	int status = 0;
	int r = vg_db_alerts_scan(db, &f, emit, stdout);
	if (fflush(stdout) != 0 || ferror(stdout) || r == 1) {
		fprintf(stderr, "vigil: writing to standard output: %s\n", strerror(errno));
		status = 2;
	} else if (r != 0) {
		fprintf(stderr, "vigil: %s/%s: %s: %s\n", dir, VG_DB_FILE, vg_err_str(r), vg_db_errmsg(db));
		status = 2;
	}
	vg_db_close(db);
	return status;
}

static int run(int argc, char **argv)
{
	if (argc < 2)
		return vg_cli_usage_error(&vg_cmd_alerts, "missing subcommand (export)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(help, stdout);
		return 0;
	}
	if (strcmp(argv[1], "export") == 0)
		return export(argc - 1, argv + 1);
	return vg_cli_usage_error(&vg_cmd_alerts, "unknown subcommand '%s' (export)", argv[1]);
}

const vg_command vg_cmd_alerts = {
	.name = "alerts",
	.usage = "vigil alerts export [--data DIR] [--from T] [--to T] [--rule ID] [--level L] [--host H]",
	.run = run,
};
