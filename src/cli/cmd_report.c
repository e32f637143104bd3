/* cmd_report.c — `vigil report`: the official documents, fetched from the
 * server's REST API (GET /api/v1/reports/{kind}, GET
 * /api/v1/reports/incident/{id}) and written to a file or standard output. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"

extern const vg_command vg_cmd_report; /* until cli.h lists it */

static const char help[] =
	"usage: vigil report daily|weekly|monthly|semiannual [--period P] [--unit U]\n"
	"                    [--format html|pdf|json] [--lang vi|en] [-o FILE]\n"
	"       vigil report incident ID --form initial|closure [--format html|pdf|json]\n"
	"                    [--lang vi|en] [-o FILE]\n"
	"\n"
	"Periodic reports (Asia/Ho_Chi_Minh calendar, UTC+7):\n"
	"  daily       alerts, attacked objects, techniques, evidence, sources  --period 2026-11-21\n"
	"  weekly      the same for an ISO week                                 --period 2026-W47\n"
	"  monthly     four-layer coverage per system (due before the 25th of\n"
	"              the next month), alerts, incidents                       --period 2026-11\n"
	"  semiannual  incidents by type and how each was handled               --period 2026-H2\n"
	"  Without --period: the last complete period. --unit U: that unit and below.\n"
	"Incident forms (Circular 20/2017/TT-BTTTT):\n"
	"  incident ID --form initial   Mẫu 03, the initial report\n"
	"  incident ID --form closure   Mẫu 04, the closure report\n"
	"\n"
	"  --format F   json (default for a terminal), html or pdf\n"
	"  --lang L     vi (default) or en\n"
	"  -o FILE      write FILE (atomically); default standard output (a PDF is\n"
	"               not written to a terminal)\n"
	"  --server URL, --token T, --cacert FILE, --data DIR: see `vigil incidents --help`\n"
	"\n"
	"Exit status: 0 written, 2 usage, connection or server error.\n";

typedef struct opts {
	vg_client_opts co;
	const char *period, *unit, *format, *lang, *form, *out;
} opts;

/* percent-encodes s into b; 0 or -1 when it does not fit */
static int enc(char *b, size_t n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = strlen(b);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '.' || c == '_' || c == '~' || c == '/';
		if (k + (plain ? 1 : 3) >= n)
			return -1;
		if (plain) {
			b[k++] = (char)c;
		} else {
			b[k++] = '%';
			b[k++] = hex[c >> 4];
			b[k++] = hex[c & 15];
		}
	}
	b[k] = '\0';
	return 0;
}

static int arg(char *b, size_t n, const char *name, const char *v)
{
	if (v == NULL)
		return 0;
	size_t k = strlen(b);
	if (k + strlen(name) + 3 >= n)
		return -1;
	snprintf(b + k, n - k, "%c%s=", strchr(b, '?') != NULL ? '&' : '?', name);
	return enc(b, n, v);
}

/* writes data to path through a temporary file in the same directory */
static int write_file(const char *path, const char *data, size_t len)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	if (tmp == NULL)
		return -1;
	snprintf(tmp, pl + 16, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "vigil: cannot create a temporary file for %s: %s\n", path, strerror(errno));
		free(tmp);
		return -1;
	}
	size_t off = 0;
	int bad = 0;
	while (off < len) {
		ssize_t k = write(fd, data + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			bad = 1;
			break;
		}
		off += (size_t)k;
	}
	if (bad || fsync(fd) != 0) {
		fprintf(stderr, "vigil: cannot write %s: %s\n", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "vigil: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static int fetch(opts *o, const char *path)
{
	char why[512] = "";
	vg_client *c = vg_client_new(&o->co, why, sizeof(why));
	if (c == NULL) {
		fprintf(stderr, "vigil: %s\n", why);
		return 2;
	}
	long st = 0;
	vg_buf out = {0};
	int r = vg_client_call_raw(c, "GET", path, NULL, &st, &out, NULL, why, sizeof(why));
	vg_client_free(c);
	if (r != 0) {
		vg_buf_free(&out);
		fprintf(stderr, "vigil: %s\n", why[0] ? why : vg_err_str(r));
		return 2;
	}
	if (st != 200) {
		json_t *ans = json_loadb(out.data != NULL ? out.data : "", out.len, 0, NULL);
		vg_buf_free(&out);
		int x = vg_client_report(st, ans);
		json_decref(ans);
		return x;
	}
	int x = 0;
	if (o->out != NULL && strcmp(o->out, "-") != 0) {
		x = write_file(o->out, out.data != NULL ? out.data : "", out.len) == 0 ? 0 : 2;
	} else if (out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) {
		fprintf(stderr, "vigil: cannot write the report to standard output: %s\n", strerror(errno));
		x = 2;
	}
	vg_buf_free(&out);
	if (x == 0 && fflush(stdout) != 0)
		x = 2;
	return x;
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"period", required_argument, NULL, 'p'},
		{"unit", required_argument, NULL, 'u'},
		{"format", required_argument, NULL, 'f'},
		{"lang", required_argument, NULL, 'l'},
		{"form", required_argument, NULL, 'F'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		VG_CLIENT_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	opts o = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (vg_client_opt(&o.co, c, optarg))
			continue;
		switch (c) {
		case 'p': o.period = optarg; break;
		case 'u': o.unit = optarg; break;
		case 'f': o.format = optarg; break;
		case 'l': o.lang = optarg; break;
		case 'F': o.form = optarg; break;
		case 'o': o.out = optarg; break;
		case 'h': fputs(help, stdout); return 0;
		default: return vg_cli_usage_error(&vg_cmd_report, "invalid option");
		}
	}
	if (optind >= argc)
		return vg_cli_usage_error(&vg_cmd_report, "missing report kind (daily, weekly, monthly, semiannual, incident)");
	const char *kind = argv[optind];
	if (o.format != NULL && strcmp(o.format, "html") != 0 && strcmp(o.format, "pdf") != 0 &&
	    strcmp(o.format, "json") != 0)
		return vg_cli_usage_error(&vg_cmd_report, "--format: '%s' is not html, pdf or json", o.format);
	if (o.lang != NULL && strcmp(o.lang, "vi") != 0 && strcmp(o.lang, "en") != 0)
		return vg_cli_usage_error(&vg_cmd_report, "--lang: '%s' is not vi or en", o.lang);
	if (o.format == NULL)
		o.format = "json";
	if (strcmp(o.format, "pdf") == 0 && (o.out == NULL || strcmp(o.out, "-") == 0) && isatty(STDOUT_FILENO))
		return vg_cli_usage_error(&vg_cmd_report, "not writing a PDF to a terminal: use -o FILE");
	char path[1024];
	int bad = 0;
	if (strcmp(kind, "incident") == 0) {
		if (optind + 2 != argc)
			return vg_cli_usage_error(&vg_cmd_report, "incident takes one ID");
		const char *id = argv[optind + 1];
		char *end;
		errno = 0;
		long long v = strtoll(id, &end, 10);
		if (errno != 0 || *end != '\0' || v <= 0)
			return vg_cli_usage_error(&vg_cmd_report, "'%s' is not an incident id", id);
		if (o.period != NULL || o.unit != NULL)
			return vg_cli_usage_error(&vg_cmd_report, "--period and --unit are for periodic reports");
		if (o.form == NULL)
			return vg_cli_usage_error(&vg_cmd_report, "incident needs --form initial or --form closure");
		if (strcmp(o.form, "initial") != 0 && strcmp(o.form, "closure") != 0)
			return vg_cli_usage_error(&vg_cmd_report, "--form: '%s' is not initial or closure", o.form);
		snprintf(path, sizeof(path), "/api/v1/reports/incident/%lld", v);
		bad = arg(path, sizeof(path), "form", o.form);
	} else if (strcmp(kind, "daily") == 0 || strcmp(kind, "weekly") == 0 || strcmp(kind, "monthly") == 0 ||
		   strcmp(kind, "semiannual") == 0) {
		if (optind + 1 != argc)
			return vg_cli_usage_error(&vg_cmd_report, "%s takes no operand", kind);
		if (o.form != NULL)
			return vg_cli_usage_error(&vg_cmd_report, "--form is for incident reports");
		snprintf(path, sizeof(path), "/api/v1/reports/%s", kind);
		bad = arg(path, sizeof(path), "period", o.period) != 0 || arg(path, sizeof(path), "unit", o.unit) != 0;
	} else {
		return vg_cli_usage_error(&vg_cmd_report,
					  "unknown report '%s' (daily, weekly, monthly, semiannual, incident)", kind);
	}
	if (bad || arg(path, sizeof(path), "format", o.format) != 0 || arg(path, sizeof(path), "lang", o.lang) != 0)
		return vg_cli_usage_error(&vg_cmd_report, "arguments too long");
	return fetch(&o, path);
}

const vg_command vg_cmd_report = {
	.name = "report",
	.usage = "vigil report daily|weekly|monthly|semiannual [--period P] [--unit U] [--format html|pdf|json]"
		 " [--lang vi|en] [-o FILE] | vigil report incident ID --form initial|closure [--format ...]",
	.run = run,
};
