/* cmd_scan.c — `vigil scan`: offline detection over files, directories and
 * stdin; alerts as NDJSON on stdout or to -o FILE, a summary on stderr. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "detect/rulepack.h"
#include "scan/scan.h"

#define MAX_THREADS 256

static const char help[] =
	"usage: vigil scan [-r RULES]... [-j THREADS] [--format FMT] [-o FILE] PATH...\n"
	"\n"
	"Parse logs, run Sigma rules (and correlation rules) over them, print alerts.\n"
	"PATH is a file (plain or gzip), a directory (read recursively, in sorted\n"
	"order) or - for standard input.\n"
	"\n"
	"  -r, --rules PATH     Sigma rule file or directory (repeatable); default:\n"
	"                       vigil's own rule pack, built into the binary\n"
	"  -j, --threads N      worker threads (default 1); alerts are identical\n"
	"                       and in the same order for every N\n"
	"      --format FMT     skip detection and read every input as FMT\n"
	"  -o, --output FILE    write alerts to FILE (written whole or not at all)\n"
	"  -q, --quiet          no summary on stderr\n"
	"\n"
	"Output: one JSON object per alert per line (ECS field names, event.original,\n"
	"log.file.path, log.file.line, rule{id,title,level,tags}).\n"
	"Exit status: 0 success, 2 usage or I/O error.\n";

static void print_formats(FILE *f)
{
	fprintf(f, "\nformats:\n");
	for (size_t i = 0; vg_parsers[i] != NULL; i++)
		fprintf(f, "  %-14s %s\n", vg_parsers[i]->name, vg_parsers[i]->description);
}

static int parse_threads(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < 1 || v > MAX_THREADS)
		return -1;
	*out = (int)v;
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"rules", required_argument, NULL, 'r'}, {"threads", required_argument, NULL, 'j'},
		{"format", required_argument, NULL, 'F'}, {"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char **rules = calloc((size_t)argc, sizeof(*rules));
	size_t nrules = 0;
	int threads = 1, quiet = 0, c, status = 2;
	const char *format = NULL, *output = NULL;
	char tmp[PATH_MAX] = "";
	FILE *out = stdout;
	vg_engine *e = NULL;
	if (rules == NULL)
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:j:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': rules[nrules++] = optarg; break;
		case 'j':
			if (parse_threads(optarg, &threads) != 0) {
				status = vg_cli_usage_error(&vg_cmd_scan, "-j: '%s' is not a thread count from 1 to %d", optarg, MAX_THREADS);
				goto out;
			}
			break;
		case 'F': format = optarg; break;
		case 'o': output = optarg; break;
		case 'q': quiet = 1; break;
		case 'h':
			fputs(help, stdout);
			print_formats(stdout);
			status = 0;
			goto out;
		default: status = vg_cli_usage_error(&vg_cmd_scan, "invalid option"); goto out;
		}
	}
	if (optind >= argc) {
		status = vg_cli_usage_error(&vg_cmd_scan, "no PATH to scan (use - for standard input)");
		goto out;
	}
	const vg_parser *forced = NULL;
	if (format != NULL && (forced = vg_parser_find(format)) == NULL) {
		status = vg_cli_usage_error(&vg_cmd_scan, "--format: unknown format '%s' (see: vigil help scan)", format);
		goto out;
	}

	vg_reject_log log = {.f = stderr};
	if ((e = vg_engine_new()) == NULL)
		goto oom;
	int rc = 0;
	if (nrules == 0)
		rc = vg_rulepack_load(e, vg_cli_reject, &log);
	for (size_t i = 0; i < nrules && rc == 0; i++) {
		if ((rc = vg_engine_load_path(e, rules[i], vg_cli_reject, &log)) != 0)
			fprintf(stderr, "vigil: %s: cannot read rules: %s\n", rules[i],
				rc == VG_EIO ? strerror(errno) : vg_err_str(rc));
	}
	if (rc == 0 && (rc = vg_engine_compile(e, vg_cli_reject, &log)) != 0)
		fprintf(stderr, "vigil: compiling rules: %s\n", vg_err_str(rc));
	if (rc != 0)
		goto out;

	struct stat ost;
	if (output != NULL && stat(output, &ost) == 0 && !S_ISREG(ost.st_mode)) {
		/* a device, FIFO or socket (/dev/null, /dev/stdout): write to it as is;
		 * renaming a temporary file over it would replace the device */
		if ((out = fopen(output, "w")) == NULL) {
			fprintf(stderr, "vigil: %s: %s\n", output, strerror(errno));
			out = stdout;
			goto out;
		}
		output = NULL;
	} else if (output != NULL) {
		/* write beside the target and rename at the end: never a half-written file */
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", output, (long)getpid()) >= sizeof(tmp) ||
		    (out = fopen(tmp, "w")) == NULL) {
			fprintf(stderr, "vigil: %s: %s\n", output, strerror(errno));
			tmp[0] = '\0';
			out = stdout;
			goto out;
		}
	}
	vg_scan_opts o = {
		.engine = e,
		.paths = (const char *const *)(argv + optind),
		.npaths = (size_t)(argc - optind),
		.format = forced,
		.threads = threads,
		.out = out,
	};
	vg_scan_stats st;
	rc = vg_scan_run(&o, &st);
	if (!quiet)
		vg_scan_print_stats(stderr, &st, vg_engine_loaded(e), vg_engine_rejected(e));
	if (rc != 0) {
		fprintf(stderr, "vigil: scan failed: %s%s%s\n", vg_err_str(rc), rc == VG_EIO ? ": " : "",
			rc == VG_EIO ? strerror(errno) : "");
		goto out;
	}
	if (out != stdout) {
		if (fclose(out) != 0 || (output != NULL && rename(tmp, output) != 0)) {
			fprintf(stderr, "vigil: %s: %s\n", output, strerror(errno));
			out = stdout;
			goto out;
		}
		out = stdout;
		tmp[0] = '\0';
	}
	status = st.file_errors > 0 ? 2 : 0;
	goto out;
oom:
	fprintf(stderr, "vigil: out of memory\n");
out:
	if (out != stdout)
		fclose(out);
	if (tmp[0] != '\0')
		unlink(tmp);
	vg_engine_free(e);
	free(rules);
	return status;
}

const vg_command vg_cmd_scan = {
	.name = "scan",
	.usage = "vigil scan [-r RULES]... [-j THREADS] [--format FMT] [-o FILE] PATH...",
	.run = run,
};
