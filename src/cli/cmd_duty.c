/* cmd_duty.c — `vigil roster ...`, `vigil assessments ...` and `vigil notify
 * ...`: clients of /api/v1/roster, /api/v1/assessments and /api/v1/notify
 * (see docs/operations.md): the 24/7 watch, layer-3 assessments and their
 * findings, and the notification of the person on duty. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/cli_time.h"
#include "cli/client.h"
#include "core/textcell.h"

extern const vg_command vg_cmd_roster;
extern const vg_command vg_cmd_assessments;
extern const vg_command vg_cmd_notify;

static const char roster_help[] =
	"usage: vigil roster [list] [--from TIME] [--to TIME] [--json]\n"
	"       vigil roster now [--json]\n"
	"       vigil roster add USER --start TIME --end TIME [--email ADDR] [--webhook URL] [--note TEXT]\n"
	"       vigil roster delete ID\n"
	"\n"
	"The 24/7 watch: shifts of vigil users. list shows the shifts overlapping\n"
	"the window (default: now to 7 days ahead) and its gaps (no one on duty);\n"
	"now shows who is on duty and the next gaps. Overlapping shifts are\n"
	"allowed: everyone on duty is notified of new high and critical alerts by\n"
	"e-mail and/or webhook (see `vigil notify`).\n"
	"TIME: " VG_CLI_TIME_HINT ".\n"
	"\n"
	"  --server URL  --token TOKEN  --cacert FILE  --data DIR   (see `vigil help`)\n"
	"\n"
	"Exit status: 0 success; 1 `now` with no one on duty; 2 usage error, an\n"
	"error answer from the server (printed), or no connection.\n";

static const char assess_help[] =
	"usage: vigil assessments [schedule] [--system ID] [--state S] [--json]\n"
	"       vigil assessments record --system ID --date DATE --assessor NAME [--summary TEXT]\n"
	"       vigil assessments findings [--system ID] [--state S] [--overdue] [--json]\n"
	"       vigil assessments finding-add --system ID --title T --severity S [--assessment ID]\n"
	"                            [--owner NAME] [--due DATE] [--description TEXT]\n"
	"       vigil assessments finding-update ID [--state S] [--owner NAME] [--due DATE|-]\n"
	"                            [--note TEXT] [--title T] [--severity S] [--description TEXT]\n"
	"       vigil assessments finding-show ID | finding-delete ID\n"
	"\n"
	"Layer-3 assessments: systems of level 3-4 are assessed yearly, level 5\n"
	"every 6 months, the whole organisation (--system 0) every 2 years, counted\n"
	"from the last assessment or the system's creation. Schedule states:\n"
	"overdue, due_soon (30 days), upcoming, not_required. Findings: open ->\n"
	"in_progress (needs --owner) -> closed; closed -> open reopens.\n"
	"Severity: low, medium, high, critical. DATE: " VG_CLI_TIME_HINT ".\n"
	"\n"
	"  --server URL  --token TOKEN  --cacert FILE  --data DIR   (see `vigil help`)\n"
	"\n"
	"Exit status: 0 success; 1 `schedule` with an overdue entry; 2 usage error,\n"
	"an error answer from the server (printed), or no connection.\n";

static const char notify_help[] =
	"usage: vigil notify settings [--smtp-host H] [--smtp-port N] [--smtp-security none|starttls|tls]\n"
	"                            [--smtp-user U] [--smtp-password-stdin] [--mail-from ADDR]\n"
	"                            [--link-base URL] [--min-level high|critical] [--enable|--disable]\n"
	"                            [--ca-file FILE] [--timeout SECONDS]\n"
	"       vigil notify test [--email ADDR] [--webhook URL]\n"
	"       vigil notify outbox [--state pending|sending|sent|failed] [--limit N] [--json]\n"
	"\n"
	"settings (admin): without options, shows the settings (never the\n"
	"  password); with options, changes them. The SMTP password is read from\n"
	"  the first line of standard input (--smtp-password-stdin; empty clears).\n"
	"test (admin): queues a test message to ADDR/URL, or to everyone on duty.\n"
	"outbox: the deliveries, newest first, with attempts and the last error.\n"
	"\n"
	"  --server URL  --token TOKEN  --cacert FILE  --data DIR   (see `vigil help`)\n"
	"\n"
	"Exit status: 0 success; 2 usage error, an error answer from the server\n"
	"(printed), or no connection.\n";

enum {
	O_FROM = 0x100, O_TO, O_JSON, O_START, O_END, O_EMAIL, O_WEBHOOK, O_NOTE, O_SYSTEM, O_STATE, O_DATE,
	O_ASSESSOR, O_SUMMARY, O_OVERDUE, O_TITLE, O_SEVERITY, O_ASSESSMENT, O_OWNER, O_DUE, O_DESC, O_HOST,
	O_PORT, O_SECURITY, O_USER, O_PWSTDIN, O_MAILFROM, O_LINK, O_MINLEVEL, O_ENABLE, O_DISABLE, O_CAFILE,
	O_TIMEOUT, O_LIMIT, O_HELP
};

typedef struct opts {
	const vg_command *cmd;
	vg_client_opts co;
	const char *from, *to, *start, *end, *email, *webhook, *note, *system, *state, *date, *assessor, *summary,
		*title, *severity, *assessment, *owner, *due, *desc, *host, *port, *security, *user, *mailfrom, *link,
		*minlevel, *cafile, *timeout, *limit;
	int json, overdue, pwstdin, enable, disable, nset;
	char **operands;
	int noperands;
} opts;

/* 0, 1 after --help (printed), 2 on a usage error. */
static int parse(int argc, char **argv, opts *o, const char *help)
{
	static const struct option lo[] = {
		VG_CLIENT_LONGOPTS,
		{"from", required_argument, NULL, O_FROM},
		{"to", required_argument, NULL, O_TO},
		{"json", no_argument, NULL, O_JSON},
		{"start", required_argument, NULL, O_START},
		{"end", required_argument, NULL, O_END},
		{"email", required_argument, NULL, O_EMAIL},
		{"webhook", required_argument, NULL, O_WEBHOOK},
		{"note", required_argument, NULL, O_NOTE},
		{"system", required_argument, NULL, O_SYSTEM},
		{"state", required_argument, NULL, O_STATE},
		{"date", required_argument, NULL, O_DATE},
		{"assessor", required_argument, NULL, O_ASSESSOR},
		{"summary", required_argument, NULL, O_SUMMARY},
		{"overdue", no_argument, NULL, O_OVERDUE},
		{"title", required_argument, NULL, O_TITLE},
		{"severity", required_argument, NULL, O_SEVERITY},
		{"assessment", required_argument, NULL, O_ASSESSMENT},
		{"owner", required_argument, NULL, O_OWNER},
		{"due", required_argument, NULL, O_DUE},
		{"description", required_argument, NULL, O_DESC},
		{"smtp-host", required_argument, NULL, O_HOST},
		{"smtp-port", required_argument, NULL, O_PORT},
		{"smtp-security", required_argument, NULL, O_SECURITY},
		{"smtp-user", required_argument, NULL, O_USER},
		{"smtp-password-stdin", no_argument, NULL, O_PWSTDIN},
		{"mail-from", required_argument, NULL, O_MAILFROM},
		{"link-base", required_argument, NULL, O_LINK},
		{"min-level", required_argument, NULL, O_MINLEVEL},
		{"enable", no_argument, NULL, O_ENABLE},
		{"disable", no_argument, NULL, O_DISABLE},
		{"ca-file", required_argument, NULL, O_CAFILE},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"limit", required_argument, NULL, O_LIMIT},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (vg_client_opt(&o->co, c, optarg))
			continue;
		if (c >= O_HOST && c <= O_TIMEOUT)
			o->nset++;
		switch (c) {
		case O_FROM: o->from = optarg; break;
		case O_TO: o->to = optarg; break;
		case O_JSON: o->json = 1; break;
		case O_START: o->start = optarg; break;
		case O_END: o->end = optarg; break;
		case O_EMAIL: o->email = optarg; break;
		case O_WEBHOOK: o->webhook = optarg; break;
		case O_NOTE: o->note = optarg; break;
		case O_SYSTEM: o->system = optarg; break;
		case O_STATE: o->state = optarg; break;
		case O_DATE: o->date = optarg; break;
		case O_ASSESSOR: o->assessor = optarg; break;
		case O_SUMMARY: o->summary = optarg; break;
		case O_OVERDUE: o->overdue = 1; break;
		case O_TITLE: o->title = optarg; break;
		case O_SEVERITY: o->severity = optarg; break;
		case O_ASSESSMENT: o->assessment = optarg; break;
		case O_OWNER: o->owner = optarg; break;
		case O_DUE: o->due = optarg; break;
		case O_DESC: o->desc = optarg; break;
		case O_HOST: o->host = optarg; break;
		case O_PORT: o->port = optarg; break;
		case O_SECURITY: o->security = optarg; break;
		case O_USER: o->user = optarg; break;
		case O_PWSTDIN: o->pwstdin = 1; break;
		case O_MAILFROM: o->mailfrom = optarg; break;
		case O_LINK: o->link = optarg; break;
		case O_MINLEVEL: o->minlevel = optarg; break;
		case O_ENABLE: o->enable = 1; break;
		case O_DISABLE: o->disable = 1; break;
		case O_CAFILE: o->cafile = optarg; break;
		case O_TIMEOUT: o->timeout = optarg; break;
		case O_LIMIT: o->limit = optarg; break;
		case 'h':
		case O_HELP: fputs(help, stdout); return 1;
		default: return vg_cli_usage_error(o->cmd, "invalid option");
		}
	}
	o->operands = argv + optind;
	o->noperands = argc - optind;
	return 0;
}

/* ---- helpers ---- */

static int call(opts *o, const char *method, const char *path, json_t *body, json_t **out)
{
	char why[512] = "";
	vg_client *c = vg_client_new(&o->co, why, sizeof(why));
	if (c == NULL) {
		fprintf(stderr, "vigil: %s\n", why);
		return 2;
	}
	long st = 0;
	json_t *ans = NULL;
	int r = vg_client_call(c, method, path, body, &st, &ans, why, sizeof(why));
	vg_client_free(c);
	if (r != 0) {
		fprintf(stderr, "vigil: %s\n", why[0] ? why : vg_err_str(r));
		return 2;
	}
	if (st < 200 || st > 299) {
		int x = vg_client_report(st, ans);
		json_decref(ans);
		return x;
	}
	*out = ans;
	return 0;
}

static void print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s != NULL) {
		puts(s);
		free(s);
	}
}

static const char *s_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "-";
}

static int time_arg(const opts *o, const char *what, const char *s, long long *us)
{
	int64_t v;
	if (vg_cli_time_parse(s, vg_cli_now_us(), &v) != 0 || v <= 0) {
		vg_cli_usage_error(o->cmd, "%s: '%s' is not a time (" VG_CLI_TIME_HINT ")", what, s);
		return -1;
	}
	*us = v;
	return 0;
}

static int id_arg(const opts *o, const char *what, const char *s, long long *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || x < 0) {
		vg_cli_usage_error(o->cmd, "%s: '%s' is not an id", what, s);
		return -1;
	}
	*v = x;
	return 0;
}

/* A query word: letters, digits, '_' and '-' only (goes into a URL). */
static int word_ok(const opts *o, const char *what, const char *s)
{
	if (s[0] == '\0' || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s)) {
		vg_cli_usage_error(o->cmd, "%s: '%s' is not a valid value", what, s);
		return -1;
	}
	return 0;
}

static void set_str(json_t *b, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(b, k, json_string(v));
}

/* ---- roster ---- */

static void print_shifts(json_t *arr)
{
	size_t i;
	json_t *s;
	json_array_foreach(arr, i, s)
	{
		printf("%-6lld %-20s %-20s %-20s %s%s%s\n", (long long)json_integer_value(json_object_get(s, "id")),
		       s_of(s, "person"), s_of(s, "start"), s_of(s, "end"), s_of(s, "email"),
		       json_is_string(json_object_get(s, "webhook")) ? " " : "",
		       json_is_string(json_object_get(s, "webhook")) ? s_of(s, "webhook") : "");
	}
}

static void print_gaps(json_t *arr)
{
	size_t i;
	json_t *g;
	json_array_foreach(arr, i, g)
	{
		printf("gap: %s .. %s (%.1f h without anyone on duty)\n", s_of(g, "from"), s_of(g, "to"),
		       json_number_value(json_object_get(g, "hours")));
	}
}

static int roster_run(int argc, char **argv)
{
	opts o = {.cmd = &vg_cmd_roster};
	int r = parse(argc, argv, &o, roster_help);
	if (r != 0)
		return r == 1 ? 0 : r;
	const char *sub = o.noperands > 0 ? o.operands[0] : "list";
	json_t *ans = NULL;
	if (strcmp(sub, "list") == 0) {
		char path[256] = "/api/v1/roster";
		long long f = 0, t = 0;
		if ((o.from != NULL && time_arg(&o, "--from", o.from, &f) != 0) ||
		    (o.to != NULL && time_arg(&o, "--to", o.to, &t) != 0))
			return 2;
		size_t n = strlen(path);
		if (f > 0)
			n += (size_t)snprintf(path + n, sizeof(path) - n, "%cfrom=%lld", '?', f);
		if (t > 0)
			snprintf(path + n, sizeof(path) - n, "%cto=%lld", f > 0 ? '&' : '?', t);
		if ((r = call(&o, "GET", path, NULL, &ans)) != 0)
			return r;
		if (o.json)
			print_json(ans);
		else {
			printf("shifts %s .. %s\n", s_of(ans, "from"), s_of(ans, "to"));
			print_shifts(json_object_get(ans, "shifts"));
			print_gaps(json_object_get(ans, "gaps"));
		}
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "now") == 0) {
		if ((r = call(&o, "GET", "/api/v1/roster/now", NULL, &ans)) != 0)
			return r;
		int covered = json_is_true(json_object_get(ans, "covered"));
		if (o.json)
			print_json(ans);
		else {
			if (!covered)
				printf("no one is on duty now (%s)\n", s_of(ans, "now"));
			print_shifts(json_object_get(ans, "on_duty"));
			print_gaps(json_object_get(ans, "gaps"));
		}
		json_decref(ans);
		return covered ? 0 : 1;
	}
	if (strcmp(sub, "add") == 0) {
		long long s, e;
		if (o.noperands != 2)
			return vg_cli_usage_error(&vg_cmd_roster, "add takes one USER");
		if (o.start == NULL || o.end == NULL)
			return vg_cli_usage_error(&vg_cmd_roster, "add needs --start and --end");
		if (time_arg(&o, "--start", o.start, &s) != 0 || time_arg(&o, "--end", o.end, &e) != 0)
			return 2;
		json_t *b = json_pack("{s:s, s:I, s:I}", "person", o.operands[1], "start", (json_int_t)s, "end", (json_int_t)e);
		set_str(b, "email", o.email);
		set_str(b, "webhook", o.webhook);
		set_str(b, "note", o.note);
		r = call(&o, "POST", "/api/v1/roster", b, &ans);
		json_decref(b);
		if (r != 0)
			return r;
		if (o.json)
			print_json(ans);
		else
			printf("shift %lld: %s %s .. %s\n", (long long)json_integer_value(json_object_get(ans, "id")),
			       s_of(ans, "person"), s_of(ans, "start"), s_of(ans, "end"));
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "delete") == 0) {
		long long id;
		char path[64];
		if (o.noperands != 2)
			return vg_cli_usage_error(&vg_cmd_roster, "delete takes one ID");
		if (id_arg(&o, "ID", o.operands[1], &id) != 0)
			return 2;
		snprintf(path, sizeof(path), "/api/v1/roster/%lld", id);
		if ((r = call(&o, "DELETE", path, NULL, &ans)) != 0)
			return r;
		printf("shift %lld deleted\n", id);
		json_decref(ans);
		return 0;
	}
	return vg_cli_usage_error(&vg_cmd_roster, "unknown subcommand '%s'", sub);
}

/* ---- assessments ---- */

static void print_findings(json_t *arr)
{
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		printf("%-6lld sys %-4lld %-8s %-11s %-20s %s%s  %s\n", (long long)json_integer_value(json_object_get(f, "id")),
		       (long long)json_integer_value(json_object_get(f, "system_id")), s_of(f, "severity"),
		       s_of(f, "state"), s_of(f, "due"), json_is_true(json_object_get(f, "overdue")) ? "OVERDUE " : "",
		       s_of(f, "owner"), s_of(f, "title"));
	}
}

/* The body of finding-add/finding-update from the options. */
static int finding_body(opts *o, json_t *b)
{
	long long v;
	if (o->system != NULL) {
		if (id_arg(o, "--system", o->system, &v) != 0)
			return -1;
		json_object_set_new(b, "system_id", json_integer(v));
	}
	if (o->assessment != NULL) {
		if (id_arg(o, "--assessment", o->assessment, &v) != 0)
			return -1;
		json_object_set_new(b, "assessment_id", json_integer(v));
	}
	if (o->due != NULL) {
		if (strcmp(o->due, "-") == 0)
			json_object_set_new(b, "due", json_null());
		else if (time_arg(o, "--due", o->due, &v) != 0)
			return -1;
		else
			json_object_set_new(b, "due", json_integer(v));
	}
	set_str(b, "title", o->title);
	set_str(b, "severity", o->severity);
	set_str(b, "state", o->state);
	set_str(b, "owner", o->owner);
	set_str(b, "description", o->desc);
	set_str(b, "note", o->note);
	return 0;
}

static int assess_run(int argc, char **argv)
{
	opts o = {.cmd = &vg_cmd_assessments};
	int r = parse(argc, argv, &o, assess_help);
	if (r != 0)
		return r == 1 ? 0 : r;
	const char *sub = o.noperands > 0 ? o.operands[0] : "schedule";
	json_t *ans = NULL;
	long long v;
	char path[256];
	if (strcmp(sub, "schedule") == 0 || strcmp(sub, "findings") == 0) {
		int sched = strcmp(sub, "schedule") == 0;
		size_t n = (size_t)snprintf(path, sizeof(path), "/api/v1/assessments%s", sched ? "" : "/findings");
		char sep = '?';
		if (o.system != NULL) {
			if (id_arg(&o, "--system", o.system, &v) != 0)
				return 2;
			n += (size_t)snprintf(path + n, sizeof(path) - n, "%csystem_id=%lld", sep, v);
			sep = '&';
		}
		if (o.state != NULL) {
			if (word_ok(&o, "--state", o.state) != 0)
				return 2;
			n += (size_t)snprintf(path + n, sizeof(path) - n, "%cstate=%s", sep, o.state);
			sep = '&';
		}
		if (!sched && o.overdue)
			snprintf(path + n, sizeof(path) - n, "%coverdue=1", sep);
		if ((r = call(&o, "GET", path, NULL, &ans)) != 0)
			return r;
		int overdue = 0;
		if (sched) {
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(ans, "schedule"), i, e)
			{
				overdue |= strcmp(s_of(e, "state"), "overdue") == 0;
				if (o.json)
					continue;
				char level[8] = "-";
				if (json_is_integer(json_object_get(e, "level")))
					snprintf(level, sizeof(level), "%lld",
						 (long long)json_integer_value(json_object_get(e, "level")));
				printf("%-5lld ", (long long)json_integer_value(json_object_get(e, "system_id")));
				vg_text_cell(stdout, s_of(e, "name"), 30, 30); /* never cut inside a character */
				printf(" level %-2s every %2lld months  last %-20s due %-20s %-12s"
				       " open findings %lld (%lld overdue)\n",
				       level,
				       (long long)json_integer_value(json_object_get(e, "interval_months")),
				       s_of(e, "last_assessment"), s_of(e, "due"), s_of(e, "state"),
				       (long long)json_integer_value(json_object_get(e, "open_findings")),
				       (long long)json_integer_value(json_object_get(e, "overdue_findings")));
			}
		} else if (!o.json) {
			print_findings(json_object_get(ans, "findings"));
		}
		if (o.json)
			print_json(ans);
		json_decref(ans);
		return overdue ? 1 : 0;
	}
	if (strcmp(sub, "record") == 0) {
		long long d;
		if (o.system == NULL || o.date == NULL || o.assessor == NULL)
			return vg_cli_usage_error(&vg_cmd_assessments, "record needs --system, --date and --assessor");
		if (id_arg(&o, "--system", o.system, &v) != 0 || time_arg(&o, "--date", o.date, &d) != 0)
			return 2;
		json_t *b = json_pack("{s:I, s:I, s:s}", "system_id", (json_int_t)v, "date", (json_int_t)d, "assessor",
				      o.assessor);
		set_str(b, "summary", o.summary);
		r = call(&o, "POST", "/api/v1/assessments", b, &ans);
		json_decref(b);
		if (r != 0)
			return r;
		if (o.json)
			print_json(ans);
		else
			printf("assessment %lld of system %lld on %s recorded\n",
			       (long long)json_integer_value(json_object_get(ans, "id")), v, s_of(ans, "date"));
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "finding-add") == 0 || strcmp(sub, "finding-update") == 0) {
		int add = strcmp(sub, "finding-add") == 0;
		if (add && (o.system == NULL || o.title == NULL || o.severity == NULL))
			return vg_cli_usage_error(&vg_cmd_assessments, "finding-add needs --system, --title and --severity");
		if (!add && (o.noperands != 2 || id_arg(&o, "ID", o.operands[1], &v) != 0))
			return o.noperands != 2 ? vg_cli_usage_error(&vg_cmd_assessments, "finding-update takes one ID") : 2;
		if (!add && o.system != NULL)
			return vg_cli_usage_error(&vg_cmd_assessments, "a finding cannot move to another system");
		json_t *b = json_object();
		if (finding_body(&o, b) != 0) {
			json_decref(b);
			return 2;
		}
		if (add)
			snprintf(path, sizeof(path), "/api/v1/assessments/findings");
		else
			snprintf(path, sizeof(path), "/api/v1/assessments/findings/%lld", v);
		r = call(&o, add ? "POST" : "PATCH", path, b, &ans);
		json_decref(b);
		if (r != 0)
			return r;
		if (o.json)
			print_json(ans);
		else {
			json_t *one = json_pack("[O]", ans);
			print_findings(one);
			json_decref(one);
		}
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "finding-show") == 0 || strcmp(sub, "finding-delete") == 0) {
		int del = strcmp(sub, "finding-delete") == 0;
		if (o.noperands != 2)
			return vg_cli_usage_error(&vg_cmd_assessments, "%s takes one ID", sub);
		if (id_arg(&o, "ID", o.operands[1], &v) != 0)
			return 2;
		snprintf(path, sizeof(path), "/api/v1/assessments/findings/%lld", v);
		if ((r = call(&o, del ? "DELETE" : "GET", path, NULL, &ans)) != 0)
			return r;
		if (del)
			printf("finding %lld deleted\n", v);
		else
			print_json(ans);
		json_decref(ans);
		return 0;
	}
	return vg_cli_usage_error(&vg_cmd_assessments, "unknown subcommand '%s'", sub);
}

/* ---- notify ---- */

static int notify_settings(opts *o)
{
	json_t *ans = NULL;
	int r;
	if (o->nset == 0) {
		if ((r = call(o, "GET", "/api/v1/notify/settings", NULL, &ans)) != 0)
			return r;
		print_json(ans);
		json_decref(ans);
		return 0;
	}
	if (o->enable && o->disable)
		return vg_cli_usage_error(&vg_cmd_notify, "--enable and --disable together");
	json_t *b = json_object();
	set_str(b, "smtp_host", o->host);
	set_str(b, "smtp_security", o->security);
	set_str(b, "smtp_user", o->user);
	set_str(b, "mail_from", o->mailfrom);
	set_str(b, "link_base", o->link);
	set_str(b, "min_level", o->minlevel);
	set_str(b, "ca_file", o->cafile);
	if (o->enable || o->disable)
		json_object_set_new(b, "enabled", json_boolean(o->enable));
	const char *nums[2][2] = {{"smtp_port", o->port}, {"timeout_s", o->timeout}};
	for (size_t i = 0; i < 2; i++) {
		if (nums[i][1] == NULL)
			continue;
		char *end;
		long v = strtol(nums[i][1], &end, 10);
		if (*nums[i][1] == '\0' || *end != '\0' || v < 0 || v > 65535) {
			json_decref(b);
			return vg_cli_usage_error(&vg_cmd_notify, "%s: '%s' is not a number", nums[i][0], nums[i][1]);
		}
		json_object_set_new(b, nums[i][0], json_integer(v));
	}
	if (o->pwstdin) {
		char pw[1100];
		if (fgets(pw, sizeof(pw), stdin) == NULL)
			pw[0] = '\0';
		pw[strcspn(pw, "\r\n")] = '\0';
		json_object_set_new(b, "smtp_password", json_string(pw));
		OPENSSL_cleanse(pw, sizeof(pw));
	}
	r = call(o, "PUT", "/api/v1/notify/settings", b, &ans);
	json_decref(b); /* jansson keeps its own copy of the password; freed here */
	if (r != 0)
		return r;
	print_json(ans);
	json_decref(ans);
	return 0;
}

static int notify_run(int argc, char **argv)
{
	opts o = {.cmd = &vg_cmd_notify};
	int r = parse(argc, argv, &o, notify_help);
	if (r != 0)
		return r == 1 ? 0 : r;
	if (o.noperands < 1)
		return vg_cli_usage_error(&vg_cmd_notify, "settings, test or outbox?");
	const char *sub = o.operands[0];
	json_t *ans = NULL;
	if (o.noperands != 1)
		return vg_cli_usage_error(&vg_cmd_notify, "%s takes no operand", sub);
	if (strcmp(sub, "settings") == 0)
		return notify_settings(&o);
	if (strcmp(sub, "test") == 0) {
		json_t *b = json_object();
		set_str(b, "email", o.email);
		set_str(b, "webhook", o.webhook);
		r = call(&o, "POST", "/api/v1/notify/test", b, &ans);
		json_decref(b);
		if (r != 0)
			return r;
		printf("%lld test message(s) queued\n", (long long)json_integer_value(json_object_get(ans, "queued")));
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "outbox") == 0) {
		char path[128];
		size_t n = (size_t)snprintf(path, sizeof(path), "/api/v1/notify/outbox");
		if (o.state != NULL) {
			if (word_ok(&o, "--state", o.state) != 0)
				return 2;
			n += (size_t)snprintf(path + n, sizeof(path) - n, "?state=%s", o.state);
		}
		if (o.limit != NULL) {
			long long v;
			if (id_arg(&o, "--limit", o.limit, &v) != 0)
				return 2;
			snprintf(path + n, sizeof(path) - n, "%climit=%lld", o.state != NULL ? '&' : '?', v);
		}
		if ((r = call(&o, "GET", path, NULL, &ans)) != 0)
			return r;
		if (o.json)
			print_json(ans);
		else {
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(ans, "outbox"), i, e)
			{
				printf("%-6lld %-5s %-7s %-8s ", (long long)json_integer_value(json_object_get(e, "id")),
				       s_of(e, "kind"), s_of(e, "channel"), s_of(e, "state"));
				vg_text_cell(stdout, s_of(e, "address"), 30, 30);
				printf(" attempts %lld  %s%s%s\n",
				       (long long)json_integer_value(json_object_get(e, "attempts")), s_of(e, "subject"),
				       json_is_string(json_object_get(e, "last_error")) ? "  error: " : "",
				       json_is_string(json_object_get(e, "last_error")) ? s_of(e, "last_error") : "");
			}
		}
		json_decref(ans);
		return 0;
	}
	return vg_cli_usage_error(&vg_cmd_notify, "unknown subcommand '%s'", sub);
}

const vg_command vg_cmd_roster = {
	.name = "roster",
	.usage = roster_help,
	.run = roster_run,
};

const vg_command vg_cmd_assessments = {
	.name = "assessments",
	.usage = assess_help,
	.run = assess_run,
};

const vg_command vg_cmd_notify = {
	.name = "notify",
	.usage = notify_help,
	.run = notify_run,
};
