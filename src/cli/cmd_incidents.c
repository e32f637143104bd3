/* cmd_incidents.c — `vigil incidents ...`: a client of /api/v1/incidents and
 * /api/v1/profiles (see docs/incidents.md): list, show, create, update,
 * assign, comment, transition, report, attach, export, profiles. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/cli_time.h"
#include "cli/client.h"
#include "core/buf.h"

extern const vg_command vg_cmd_incidents;

static const char help[] =
	"usage: vigil incidents list [--state S] [--system ID] [--deadline D] [--serious]\n"
	"                            [--limit N] [--after ID] [--json]\n"
	"       vigil incidents show ID [--json]\n"
	"       vigil incidents create --title T [--description D] [--type T] [--severity S]\n"
	"                            [--system ID]... [--alert ID]... [--detected TIME]\n"
	"       vigil incidents update ID [--title T] [--description D] [--type T] [--severity S]\n"
	"                            [--impact TEXT] [--resolution TEXT] [--major-impact yes|no]\n"
	"                            [--beyond-capacity yes|no] [--profile P] [--system ID]...\n"
	"                            [--reporter NAME] [--reporter-contact TEXT]\n"
	"       vigil incidents assign ID USER|-\n"
	"       vigil incidents comment ID TEXT\n"
	"       vigil incidents transition ID new|triaged|contained|resolved|closed\n"
	"       vigil incidents report ID initial|closure --to RECIPIENT [--sent TIME]\n"
	"       vigil incidents attach ID NAME CONTENT\n"
	"       vigil incidents export [--format csv|json] [-o FILE] [list filters]\n"
	"       vigil incidents profiles [--set NAME [--system ID]] [--window SECONDS] [--json]\n"
	"\n"
	"Incidents are opened by the server from alerts (same rule, same system,\n"
	"within the grouping window) or by hand (create). Workflow: new -> triaged ->\n"
	"contained -> resolved -> closed, forward only; resolved/closed -> triaged\n"
	"reopens. Each incident has two reporting deadlines from its regulatory\n"
	"profile: initial and closure, each pending, due_soon (within 24 h),\n"
	"overdue or done (report marks one sent). --deadline filters on either.\n"
	"Types: malware, intrusion, encryption, destruction, data_theft, combined,\n"
	"other. Severity: informational, low, medium, high, critical.\n"
	"TIME: " VG_CLI_TIME_HINT ". assign ID - unassigns.\n"
	"profiles: show the profiles and the active one; --set (admin) selects the\n"
	"  organisation's profile, or with --system one system's; --window sets the\n"
	"  grouping window in seconds.\n"
	"\n"
	"  --server URL  --token TOKEN  --cacert FILE  --data DIR   (see `vigil help`)\n"
	"\n"
	"Exit status: 0 success; 2 usage error, an error answer from the server\n"
	"(printed), or no connection.\n";

enum {
	O_STATE = 0x100, O_SYSTEM, O_DEADLINE, O_SERIOUS, O_LIMIT, O_AFTER, O_JSON, O_TITLE, O_DESC, O_TYPE,
	O_SEVERITY, O_ALERT, O_DETECTED, O_IMPACT, O_RESOLUTION, O_MAJOR, O_BEYOND, O_PROFILE, O_REPORTER,
	O_CONTACT, O_TO, O_SENT, O_FORMAT, O_OUT, O_SET, O_WINDOW, O_HELP
};

#define MAX_IDS 64

typedef struct opts {
	vg_client_opts co;
	const char *state, *deadline, *title, *desc, *type, *severity, *detected, *impact, *resolution, *major,
		*beyond, *profile, *reporter, *contact, *to, *sent, *format, *out, *set, *window, *limit, *after;
	int serious, json;
	long long systems[MAX_IDS], alerts[MAX_IDS];
	size_t nsystems, nalerts;
	char **operands;
	int noperands;
} opts;

static int id_arg(const char *what, const char *s, long long *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || x < 0) {
		vg_cli_usage_error(&vg_cmd_incidents, "%s: '%s' is not an id", what, s);
		return -1;
	}
	*v = x;
	return 0;
}

/* A filter word: letters, digits, '_' and '-' only (goes into a URL). */
static int word_ok(const char *what, const char *s)
{
	if (s[0] == '\0' || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s)) {
		vg_cli_usage_error(&vg_cmd_incidents, "%s: '%s' is not a valid value", what, s);
		return -1;
	}
	return 0;
}

/* 0, 1 after --help (printed), 2 on a usage error. */
static int parse(int argc, char **argv, opts *o)
{
	static const struct option lo[] = {
		VG_CLIENT_LONGOPTS,
		{"state", required_argument, NULL, O_STATE},
		{"system", required_argument, NULL, O_SYSTEM},
		{"deadline", required_argument, NULL, O_DEADLINE},
		{"serious", no_argument, NULL, O_SERIOUS},
		{"limit", required_argument, NULL, O_LIMIT},
		{"after", required_argument, NULL, O_AFTER},
		{"json", no_argument, NULL, O_JSON},
		{"title", required_argument, NULL, O_TITLE},
		{"description", required_argument, NULL, O_DESC},
		{"type", required_argument, NULL, O_TYPE},
		{"severity", required_argument, NULL, O_SEVERITY},
		{"alert", required_argument, NULL, O_ALERT},
		{"detected", required_argument, NULL, O_DETECTED},
		{"impact", required_argument, NULL, O_IMPACT},
		{"resolution", required_argument, NULL, O_RESOLUTION},
		{"major-impact", required_argument, NULL, O_MAJOR},
		{"beyond-capacity", required_argument, NULL, O_BEYOND},
		{"profile", required_argument, NULL, O_PROFILE},
		{"reporter", required_argument, NULL, O_REPORTER},
		{"reporter-contact", required_argument, NULL, O_CONTACT},
		{"to", required_argument, NULL, O_TO},
		{"sent", required_argument, NULL, O_SENT},
		{"format", required_argument, NULL, O_FORMAT},
		{"output", required_argument, NULL, O_OUT},
		{"set", required_argument, NULL, O_SET},
		{"window", required_argument, NULL, O_WINDOW},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c;
	long long v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
		if (vg_client_opt(&o->co, c, optarg))
			continue;
		switch (c) {
		case O_STATE: o->state = optarg; break;
		case O_DEADLINE: o->deadline = optarg; break;
		case O_SERIOUS: o->serious = 1; break;
		case O_LIMIT: o->limit = optarg; break;
		case O_AFTER: o->after = optarg; break;
		case O_JSON: o->json = 1; break;
		case O_TITLE: o->title = optarg; break;
		case O_DESC: o->desc = optarg; break;
		case O_TYPE: o->type = optarg; break;
		case O_SEVERITY: o->severity = optarg; break;
		case O_DETECTED: o->detected = optarg; break;
		case O_IMPACT: o->impact = optarg; break;
		case O_RESOLUTION: o->resolution = optarg; break;
		case O_MAJOR: o->major = optarg; break;
		case O_BEYOND: o->beyond = optarg; break;
		case O_PROFILE: o->profile = optarg; break;
		case O_REPORTER: o->reporter = optarg; break;
		case O_CONTACT: o->contact = optarg; break;
		case O_TO: o->to = optarg; break;
		case O_SENT: o->sent = optarg; break;
		case O_FORMAT: o->format = optarg; break;
		case 'o':
		case O_OUT: o->out = optarg; break;
		case O_SET: o->set = optarg; break;
		case O_WINDOW: o->window = optarg; break;
		case O_SYSTEM:
		case O_ALERT:
			if (id_arg(c == O_SYSTEM ? "--system" : "--alert", optarg, &v) != 0)
				return 2;
			if ((c == O_SYSTEM ? o->nsystems : o->nalerts) >= MAX_IDS)
				return vg_cli_usage_error(&vg_cmd_incidents, "at most %d ids per option", MAX_IDS);
			if (c == O_SYSTEM)
				o->systems[o->nsystems++] = v;
			else
				o->alerts[o->nalerts++] = v;
			break;
		case 'h':
		case O_HELP: fputs(help, stdout); return 1;
		default: return vg_cli_usage_error(&vg_cmd_incidents, "invalid option");
		}
	}
	o->operands = argv + optind;
	o->noperands = argc - optind;
	return 0;
}

/* ---- calling and printing ---- */

/* One API call; prints the error answer. 0 and *out, or the exit status. */
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

static const char *s_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "-";
}

static void print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s != NULL) {
		puts(s);
		free(s);
	}
}

/* "2026-11-24T00:00:00Z overdue" from a deadline object */
static void deadline_text(json_t *inc, const char *kind, char *buf, size_t n)
{
	json_t *d = json_object_get(json_object_get(inc, "deadlines"), kind);
	const char *due = json_string_value(json_object_get(d, "due_at"));
	char day[20] = "-";
	if (due != NULL)
		snprintf(day, sizeof(day), "%.16s", due);
	snprintf(buf, n, "%s %s", day, s_of(d, "state"));
}

static void print_row(json_t *inc)
{
	char a[64], b[64];
	deadline_text(inc, "initial", a, sizeof(a));
	deadline_text(inc, "closure", b, sizeof(b));
	printf("%-6lld %-9s %-8s %-11s %-3s %-28s %-28s %s\n", (long long)json_integer_value(json_object_get(inc, "id")),
	       s_of(inc, "state"), s_of(inc, "severity"), s_of(inc, "type"),
	       json_is_true(json_object_get(inc, "serious")) ? "yes" : "no", a, b, s_of(inc, "title"));
}

static void print_incident(json_t *inc)
{
	char a[64], b[64];
	deadline_text(inc, "initial", a, sizeof(a));
	deadline_text(inc, "closure", b, sizeof(b));
	printf("Incident %lld: %s\n", (long long)json_integer_value(json_object_get(inc, "id")), s_of(inc, "title"));
	printf("  state      %s\n  type       %s\n  severity   %s\n  serious    %s\n", s_of(inc, "state"),
	       s_of(inc, "type"), s_of(inc, "severity"), json_is_true(json_object_get(inc, "serious")) ? "yes" : "no");
	printf("  assignee   %s\n  unit       %s\n  profile    %s\n", s_of(inc, "assignee"), s_of(inc, "unit"),
	       s_of(inc, "profile"));
	printf("  detected   %s (%s)\n", s_of(inc, "detected_at"), s_of(inc, "detection_method"));
	printf("  initial    %s\n  closure    %s\n", a, b);
	printf("  alerts     %lld\n", (long long)json_integer_value(json_object_get(inc, "alert_count")));
	size_t i;
	json_t *e;
	printf("  systems   ");
	json_array_foreach(json_object_get(inc, "systems"), i, e)
		printf(" %lld", (long long)json_integer_value(json_object_get(e, "id")));
	printf("\n");
	const char *desc = s_of(inc, "description");
	if (desc[0] != '\0' && strcmp(desc, "-") != 0)
		printf("\n%s\n", desc);
	printf("\nTimeline:\n");
	json_array_foreach(json_object_get(inc, "timeline"), i, e)
		printf("  %s  %-10s %-10s %s\n", s_of(e, "ts"), s_of(e, "actor"), s_of(e, "action"), s_of(e, "text"));
}

static int need_id(opts *o, long long *id, int operands)
{
	if (o->noperands != operands)
		return vg_cli_usage_error(&vg_cmd_incidents, "expected %d operand(s), got %d", operands, o->noperands);
	return id_arg("ID", o->operands[0], id) != 0 ? 2 : 0;
}

/* Appends the list filters to a query string. */
static int filters(opts *o, char *q, size_t n)
{
	size_t len = strlen(q);
	if ((o->state && word_ok("--state", o->state)) || (o->deadline && word_ok("--deadline", o->deadline)) ||
	    (o->format && word_ok("--format", o->format)))
		return 2;
	long long v;
	if ((o->limit && id_arg("--limit", o->limit, &v)) || (o->after && id_arg("--after", o->after, &v)))
		return 2;
#define ADD(k, val)                                                                          \
	if (val != NULL)                                                                     \
		len += (size_t)snprintf(q + len, len < n ? n - len : 0, "%s%s=%s", strchr(q, '?') ? "&" : "?", k, val)
	ADD("state", o->state);
	ADD("deadline", o->deadline);
	ADD("limit", o->limit);
	ADD("after", o->after);
	ADD("format", o->format);
#undef ADD
	if (o->nsystems > 0)
		len += (size_t)snprintf(q + len, len < n ? n - len : 0, "%ssystem=%lld", strchr(q, '?') ? "&" : "?",
					o->systems[0]);
	if (o->serious)
		len += (size_t)snprintf(q + len, len < n ? n - len : 0, "%sserious=true", strchr(q, '?') ? "&" : "?");
	return len < n ? 0 : vg_cli_usage_error(&vg_cmd_incidents, "filters too long");
}

static int cmd_list(opts *o)
{
	char q[512] = "/api/v1/incidents";
	int r;
	if (o->noperands != 0)
		return vg_cli_usage_error(&vg_cmd_incidents, "list takes no operand");
	if ((r = filters(o, q, sizeof(q))) != 0)
		return r;
	json_t *ans;
	if ((r = call(o, "GET", q, NULL, &ans)) != 0)
		return r;
	if (o->json) {
		print_json(json_object_get(ans, "items"));
	} else {
		printf("%-6s %-9s %-8s %-11s %-3s %-28s %-28s %s\n", "ID", "STATE", "SEVERITY", "TYPE", "SER",
		       "INITIAL REPORT", "CLOSURE REPORT", "TITLE");
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(ans, "items"), i, e)
			print_row(e);
		const char *next = json_string_value(json_object_get(ans, "next"));
		if (next != NULL)
			fprintf(stderr, "(more: --after %s)\n", next);
	}
	json_decref(ans);
	return 0;
}

static int show_answer(opts *o, json_t *ans)
{
	if (o->json)
		print_json(ans);
	else
		print_incident(ans);
	json_decref(ans);
	return 0;
}

static int cmd_show(opts *o)
{
	long long id;
	int r;
	if ((r = need_id(o, &id, 1)) != 0)
		return r;
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/incidents/%lld", id);
	json_t *ans;
	return (r = call(o, "GET", path, NULL, &ans)) != 0 ? r : show_answer(o, ans);
}

static int set_time(json_t *body, const char *key, const char *opt, const char *s)
{
	int64_t us;
	if (vg_cli_time_parse(s, vg_cli_now_us(), &us) != 0)
		return vg_cli_usage_error(&vg_cmd_incidents, "%s: '%s' is not a time (%s)", opt, s, VG_CLI_TIME_HINT);
	char buf[40];
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(body, key, json_string(buf));
	return 0;
}

static int yes_no(json_t *body, const char *key, const char *opt, const char *s)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
		json_object_set_new(body, key, json_true());
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		json_object_set_new(body, key, json_false());
	else
		return vg_cli_usage_error(&vg_cmd_incidents, "%s: yes or no", opt);
	return 0;
}

static json_t *ids(const long long *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

/* The fields shared by create and update. */
static void fields(opts *o, json_t *b)
{
	const struct {
		const char *k, *v;
	} f[] = {{"title", o->title},	  {"description", o->desc},	  {"type", o->type},
		 {"severity", o->severity}, {"impact", o->impact},	  {"resolution", o->resolution},
		 {"profile", o->profile},   {"reporter", o->reporter}, {"reporter_contact", o->contact}};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].v != NULL)
			json_object_set_new(b, f[i].k, json_string(f[i].v));
	if (o->nsystems > 0)
		json_object_set_new(b, "systems", ids(o->systems, o->nsystems));
}

static int cmd_create(opts *o)
{
	int r;
	if (o->noperands != 0)
		return vg_cli_usage_error(&vg_cmd_incidents, "create takes no operand (use --title)");
	if (o->title == NULL)
		return vg_cli_usage_error(&vg_cmd_incidents, "create: --title is required");
	json_t *b = json_object();
	fields(o, b);
	if (o->nalerts > 0)
		json_object_set_new(b, "alerts", ids(o->alerts, o->nalerts));
	if (o->detected != NULL && (r = set_time(b, "detected_at", "--detected", o->detected)) != 0) {
		json_decref(b);
		return r;
	}
	json_t *ans;
	r = call(o, "POST", "/api/v1/incidents", b, &ans);
	json_decref(b);
	return r != 0 ? r : show_answer(o, ans);
}

static int post_one(opts *o, long long id, const char *method, const char *action, json_t *b)
{
	char path[96];
	snprintf(path, sizeof(path), "/api/v1/incidents/%lld%s%s", id, action[0] ? "/" : "", action);
	json_t *ans;
	int r = call(o, method, path, b, &ans);
	json_decref(b);
	return r != 0 ? r : show_answer(o, ans);
}

static int cmd_update(opts *o)
{
	long long id;
	int r;
	if ((r = need_id(o, &id, 1)) != 0)
		return r;
	json_t *b = json_object();
	fields(o, b);
	if ((o->major && (r = yes_no(b, "major_impact", "--major-impact", o->major)) != 0) ||
	    (o->beyond && (r = yes_no(b, "beyond_capacity", "--beyond-capacity", o->beyond)) != 0)) {
		json_decref(b);
		return r;
	}
	if (json_object_size(b) == 0) {
		json_decref(b);
		return vg_cli_usage_error(&vg_cmd_incidents, "update: nothing to change");
	}
	return post_one(o, id, "PATCH", "", b);
}

static int cmd_assign(opts *o)
{
	long long id;
	int r;
	if ((r = need_id(o, &id, 2)) != 0)
		return r;
	const char *who = o->operands[1];
	json_t *b = json_object();
	json_object_set_new(b, "assignee", strcmp(who, "-") == 0 ? json_null() : json_string(who));
	return post_one(o, id, "PATCH", "", b);
}

static int cmd_text(opts *o, const char *action, const char *key)
{
	long long id;
	int r;
	if ((r = need_id(o, &id, 2)) != 0)
		return r;
	json_t *b = json_object();
	json_object_set_new(b, key, json_string(o->operands[1]));
	return post_one(o, id, "POST", action, b);
}

static int cmd_report(opts *o)
{
	long long id;
	int r;
	if ((r = need_id(o, &id, 2)) != 0)
		return r;
	if (o->to == NULL)
		return vg_cli_usage_error(&vg_cmd_incidents, "report: --to RECIPIENT is required");
	json_t *b = json_object();
	json_object_set_new(b, "kind", json_string(o->operands[1]));
	json_object_set_new(b, "recipient", json_string(o->to));
	if ((r = set_time(b, "sent_at", "--sent", o->sent != NULL ? o->sent : "now")) != 0) {
		json_decref(b);
		return r;
	}
	return post_one(o, id, "POST", "reports", b);
}

static int cmd_attach(opts *o)
{
	long long id;
	int r;
	if ((r = need_id(o, &id, 3)) != 0)
		return r;
	json_t *b = json_object();
	json_object_set_new(b, "name", json_string(o->operands[1]));
	json_object_set_new(b, "content", json_string(o->operands[2]));
	return post_one(o, id, "POST", "attachments", b);
}

/* Writes data to path through a temp file and rename: never half a file. */
static int write_file(const char *path, const char *data, size_t len)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	if (tmp == NULL)
		return -1;
	snprintf(tmp, n, "%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "vigil: %s: %s\n", path, strerror(errno));
		free(tmp);
		return -1;
	}
	FILE *f = fdopen(fd, "w");
	int ok = f != NULL && fwrite(data, 1, len, f) == len;
	ok = (f != NULL && fflush(f) == 0 && fsync(fileno(f)) == 0) && ok;
	if (f != NULL)
		ok = fclose(f) == 0 && ok;
	else
		close(fd);
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "vigil: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static int cmd_export(opts *o)
{
	char q[512] = "/api/v1/incidents/export";
	int r;
	if (o->noperands != 0)
		return vg_cli_usage_error(&vg_cmd_incidents, "export takes no operand");
	if (o->format == NULL)
		o->format = "csv";
	o->limit = NULL;
	if ((r = filters(o, q, sizeof(q))) != 0)
		return r;
	char why[512] = "";
	vg_client *c = vg_client_new(&o->co, why, sizeof(why));
	if (c == NULL) {
		fprintf(stderr, "vigil: %s\n", why);
		return 2;
	}
	long st = 0;
	vg_buf out = {0};
	r = vg_client_call_raw(c, "GET", q, NULL, &st, &out, NULL, why, sizeof(why));
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
	if (o->out != NULL)
		x = write_file(o->out, out.data != NULL ? out.data : "", out.len) == 0 ? 0 : 2;
	else if (out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len)
		x = 2;
	vg_buf_free(&out);
	return x;
}

static int cmd_profiles(opts *o)
{
	int r;
	json_t *ans = NULL;
	if (o->noperands != 0)
		return vg_cli_usage_error(&vg_cmd_incidents, "profiles takes no operand");
	if (o->set != NULL || o->window != NULL) {
		json_t *b = json_object();
		if (o->set != NULL)
			json_object_set_new(b, "active", strcmp(o->set, "-") == 0 ? json_null() : json_string(o->set));
		if (o->nsystems > 0)
			json_object_set_new(b, "system_id", json_integer(o->systems[0]));
		if (o->window != NULL) {
			long long w;
			if (id_arg("--window", o->window, &w) != 0) {
				json_decref(b);
				return 2;
			}
			json_object_set_new(b, "window_s", json_integer(w));
		}
		r = call(o, "PUT", "/api/v1/profiles", b, &ans);
		json_decref(b);
	} else {
		r = call(o, "GET", "/api/v1/profiles", NULL, &ans);
	}
	if (r != 0)
		return r;
	if (o->json) {
		print_json(ans);
	} else {
		const char *active = s_of(ans, "active");
		printf("active profile: %s; grouping window: %lld s\n", active,
		       (long long)json_integer_value(json_object_get(ans, "window_s")));
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(ans, "profiles"), i, e)
			printf("%s %-22s initial %4lld h after detection, closure %4lld h after %-9s  %s\n",
			       strcmp(s_of(e, "name"), active) == 0 ? "*" : " ", s_of(e, "name"),
			       (long long)json_integer_value(json_object_get(e, "initial_hours")),
			       (long long)json_integer_value(json_object_get(e, "closure_hours")), s_of(e, "closure_from"),
			       s_of(e, "title"));
	}
	json_decref(ans);
	return 0;
}

static int run(int argc, char **argv)
{
	if (argc < 2)
		return vg_cli_usage_error(&vg_cmd_incidents, "missing subcommand (list, show, create, update, assign, comment,"
							     " transition, report, attach, export, profiles)");
	const char *s = argv[1];
	if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0 || strcmp(s, "help") == 0) {
		fputs(help, stdout);
		return 0;
	}
	opts o = {0};
	int r = parse(argc - 1, argv + 1, &o);
	if (r != 0)
		return r == 1 ? 0 : r;
	if (strcmp(s, "list") == 0)
		return cmd_list(&o);
	if (strcmp(s, "show") == 0)
		return cmd_show(&o);
	if (strcmp(s, "create") == 0)
		return cmd_create(&o);
	if (strcmp(s, "update") == 0)
		return cmd_update(&o);
	if (strcmp(s, "assign") == 0)
		return cmd_assign(&o);
	if (strcmp(s, "comment") == 0)
		return cmd_text(&o, "comments", "text");
	if (strcmp(s, "transition") == 0)
		return cmd_text(&o, "transition", "to");
	if (strcmp(s, "report") == 0)
		return cmd_report(&o);
	if (strcmp(s, "attach") == 0)
		return cmd_attach(&o);
	if (strcmp(s, "export") == 0)
		return cmd_export(&o);
	if (strcmp(s, "profiles") == 0)
		return cmd_profiles(&o);
	return vg_cli_usage_error(&vg_cmd_incidents, "unknown subcommand '%s'", s);
}

const vg_command vg_cmd_incidents = {
	.name = "incidents",
	.usage = "vigil incidents list [--state S] [--deadline D] [--serious] | show ID | create --title T |"
		 " update ID ... | assign ID USER | comment ID TEXT | transition ID STATE |"
		 " report ID initial|closure --to R | attach ID NAME CONTENT | export [--format csv|json] |"
		 " profiles [--set NAME]",
	.run = run,
};
