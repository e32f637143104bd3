/* cmd_systems.c — `vigil systems ...`, `vigil units ...` and `vigil
 * coverage`: clients of /api/v1/systems, /units, /attribution-rules and
 * /coverage (docs/systems.md). Text tables by default, the server's JSON
 * with --json. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "core/textcell.h"

extern const vg_command vg_cmd_systems;
extern const vg_command vg_cmd_units;
extern const vg_command vg_cmd_coverage;

#define MAX_LIST 64

static const char systems_help[] =
	"usage: vigil systems list [--level N] [--unit U] [--json]\n"
	"       vigil systems show ID [--json]\n"
	"       vigil systems add --name N --unit U --level 1..5 [document options]\n"
	"       vigil systems set ID [document options]\n"
	"       vigil systems delete ID\n"
	"       vigil systems hosts ID [--json]\n"
	"       vigil systems host-add ID NAME [IP]\n"
	"       vigil systems host-delete ID HOST_ID\n"
	"       vigil systems rules [--json]\n"
	"       vigil systems rule-add --kind agent_id|hostname|cidr|syslog_source --pattern P\n"
	"                              --system ID [--priority N]\n"
	"       vigil systems rule-delete RULE_ID\n"
	"\n"
	"Document options (add, set): --name N, --unit U, --level 1..5, --reason TEXT,\n"
	"  --plan-approved DATE (YYYY-MM-DD; 'no' clears), --nationally-important yes|no,\n"
	"  --public-ip IP, --domain D, --service S (repeatable: replace the list),\n"
	"  --file FILE (a JSON object with any members of the system document;\n"
	"  options override it). Members: docs/systems.md.\n"
	"Attribution rules assign the sources of events to systems, lowest priority\n"
	"first (default 100); the hosts of a system count after the rules.\n"
	"\n"
	"  --server URL  --token TOKEN  --cacert FILE  --data DIR   (see `vigil help`)\n"
	"\n"
	"Exit status: 0 success; 2 usage error, an error answer from the server\n"
	"(printed), or no connection.\n";

static const char units_help[] =
	"usage: vigil units list [--json]\n"
	"       vigil units add PATH NAME\n"
	"       vigil units rename PATH NAME\n"
	"       vigil units delete PATH\n"
	"\n"
	"Units form the organisation tree (ministry -> department -> unit), named by\n"
	"paths such as bo-x/cuc-y/phong-z; a unit's parent must exist first. NAME is\n"
	"the display name (UTF-8, Vietnamese welcome). Changing units needs the admin\n"
	"role; a unit with systems or child units cannot be deleted.\n"
	"\n"
	"  --server URL  --token TOKEN  --cacert FILE  --data DIR   (see `vigil help`)\n"
	"\n"
	"Exit status: 0 success; 2 usage error, an error answer, or no connection.\n";

static const char coverage_help[] =
	"usage: vigil coverage [--unit U] [--json] [--check]\n"
	"       vigil coverage thresholds [LAYER STALE_S MISSING_S] [--json]\n"
	"\n"
	"Coverage of the four layers (network, host, application, endpoint) per\n"
	"system: covered (an event within the stale threshold), stale, missing\n"
	"(nothing within the missing threshold, or never); the share of level 3-5\n"
	"systems with all four covered; the gaps; the systems to act on (no approved\n"
	"plan, missing layers); sources that belong to no system.\n"
	"--check: exit 1 when a level 3-5 system is not fully covered.\n"
	"thresholds: print them, or set one layer's (seconds; admin).\n"
	"\n"
	"  --server URL  --token TOKEN  --cacert FILE  --data DIR   (see `vigil help`)\n"
	"\n"
	"Exit status: 0 success (1 with --check and a gap); 2 usage error, an error\n"
	"answer, or no connection.\n";

enum {
	O_JSON = 0x100, O_LEVEL, O_UNIT, O_NAME, O_REASON, O_PLAN, O_NAT, O_IP, O_DOMAIN, O_SERVICE, O_FILE, O_KIND,
	O_PATTERN, O_SYSTEM, O_PRIORITY, O_CHECK, O_HELP
};

typedef struct opts {
	vg_client_opts co;
	const vg_command *cmd;
	int json, check;
	const char *level, *unit, *name, *reason, *plan, *nat, *file, *kind, *pattern, *system, *priority;
	const char *ips[MAX_LIST], *domains[MAX_LIST], *services[MAX_LIST];
	size_t nips, ndomains, nservices;
	char **operands;
	int noperands;
} opts;

static int add_list(opts *o, const char **v, size_t *n, const char *what, const char *s)
{
	if (*n >= MAX_LIST)
		return vg_cli_usage_error(o->cmd, "%s: at most %d values", what, MAX_LIST);
	v[(*n)++] = s;
	return 0;
}

/* 0, 1 after --help (printed), 2 on a usage error. */
static int parse(int argc, char **argv, opts *o, const char *help)
{
	static const struct option lo[] = {
		VG_CLIENT_LONGOPTS,
		{"json", no_argument, NULL, O_JSON},
		{"level", required_argument, NULL, O_LEVEL},
		{"unit", required_argument, NULL, O_UNIT},
		{"name", required_argument, NULL, O_NAME},
		{"reason", required_argument, NULL, O_REASON},
		{"plan-approved", required_argument, NULL, O_PLAN},
		{"nationally-important", required_argument, NULL, O_NAT},
		{"public-ip", required_argument, NULL, O_IP},
		{"domain", required_argument, NULL, O_DOMAIN},
		{"service", required_argument, NULL, O_SERVICE},
		{"file", required_argument, NULL, O_FILE},
		{"kind", required_argument, NULL, O_KIND},
		{"pattern", required_argument, NULL, O_PATTERN},
		{"system", required_argument, NULL, O_SYSTEM},
		{"priority", required_argument, NULL, O_PRIORITY},
		{"check", no_argument, NULL, O_CHECK},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (vg_client_opt(&o->co, c, optarg))
			continue;
		int r = 0;
		switch (c) {
		case O_JSON: o->json = 1; break;
		case O_CHECK: o->check = 1; break;
		case O_LEVEL: o->level = optarg; break;
		case O_UNIT: o->unit = optarg; break;
		case O_NAME: o->name = optarg; break;
		case O_REASON: o->reason = optarg; break;
		case O_PLAN: o->plan = optarg; break;
		case O_NAT: o->nat = optarg; break;
		case O_IP: r = add_list(o, o->ips, &o->nips, "--public-ip", optarg); break;
		case O_DOMAIN: r = add_list(o, o->domains, &o->ndomains, "--domain", optarg); break;
		case O_SERVICE: r = add_list(o, o->services, &o->nservices, "--service", optarg); break;
		case O_FILE: o->file = optarg; break;
		case O_KIND: o->kind = optarg; break;
		case O_PATTERN: o->pattern = optarg; break;
		case O_SYSTEM: o->system = optarg; break;
		case O_PRIORITY: o->priority = optarg; break;
		case 'h':
		case O_HELP: fputs(help, stdout); return 1;
		default: return vg_cli_usage_error(o->cmd, "invalid option");
		}
		if (r != 0)
			return r;
	}
	o->operands = argv + optind;
	o->noperands = argc - optind;
	return 0;
}

/* A positive id operand. */
static int id_arg(const opts *o, const char *what, const char *s, long long *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || x <= 0)
		return vg_cli_usage_error(o->cmd, "%s: '%s' is not an id", what, s);
	*v = x;
	return 0;
}

/* Letters, digits and the unit path characters only (goes into a URL). */
static int url_safe(const opts *o, const char *what, const char *s)
{
	if (s[0] == '\0' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") != strlen(s))
		return vg_cli_usage_error(o->cmd, "%s: '%s' is not a valid value", what, s);
	return 0;
}

/* METHOD path with body (borrowed); prints the answer as JSON when o->json
 * and show is NULL, else calls show. Returns the exit status. */
static int request(const opts *o, const char *method, const char *path, json_t *body, json_t **keep)
{
	char why[512] = "";
	vg_client *cl = vg_client_new(&o->co, why, sizeof(why));
	if (cl == NULL) {
		fprintf(stderr, "vigil: %s\n", why);
		return 2;
	}
	long st = 0;
	json_t *ans = NULL;
	int r = vg_client_call(cl, method, path, body, &st, &ans, why, sizeof(why));
	vg_client_free(cl);
	if (r != 0) {
		fprintf(stderr, "vigil: %s\n", why);
		return 2;
	}
	if (st < 200 || st > 299) {
		int rc = vg_client_report(st, ans);
		json_decref(ans);
		return rc;
	}
	if (keep != NULL)
		*keep = ans;
	else
		json_decref(ans);
	return 0;
}

static void print_json(const json_t *v)
{
	char *t = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (t != NULL)
		puts(t);
	free(t);
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "";
}

static void when(int64_t us, char out[32])
{
	if (us <= 0) {
		snprintf(out, 32, "never");
		return;
	}
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%d %H:%MZ", &tm) == 0)
		snprintf(out, 32, "?");
}

/* ---- systems ---- */

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The document the options describe (over --file). NULL after a usage error (printed). */
static json_t *doc_from_opts(const opts *o)
{
	json_t *d;
	if (o->file != NULL) {
		json_error_t e;
		d = json_load_file(o->file, JSON_REJECT_DUPLICATES, &e);
		if (d == NULL || !json_is_object(d)) {
			vg_cli_usage_error(o->cmd, "%s:%d: %s", o->file, e.line, d == NULL ? e.text : "not a JSON object");
			json_decref(d);
			return NULL;
		}
	} else {
		d = json_object();
	}
	if (o->name != NULL)
		json_object_set_new(d, "name", json_string(o->name));
	if (o->unit != NULL)
		json_object_set_new(d, "unit", json_string(o->unit));
	if (o->level != NULL) {
		char *end;
		long v = strtol(o->level, &end, 10);
		/* out-of-range values go to the server, which names the field */
		json_object_set_new(d, "level", *end == '\0' && end != o->level ? json_integer(v) : json_string(o->level));
	}
	if (o->reason != NULL)
		json_object_set_new(d, "level_reason", json_string(o->reason));
	if (o->plan != NULL) {
		int no = strcmp(o->plan, "no") == 0;
		json_object_set_new(d, "plan_approved", json_boolean(!no));
		json_object_set_new(d, "plan_approved_date", no ? json_null() : json_string(o->plan));
	}
	if (o->nat != NULL) {
		if (strcmp(o->nat, "yes") != 0 && strcmp(o->nat, "no") != 0) {
			vg_cli_usage_error(o->cmd, "--nationally-important: yes or no");
			json_decref(d);
			return NULL;
		}
		json_object_set_new(d, "nationally_important", json_boolean(strcmp(o->nat, "yes") == 0));
	}
	if (o->nips > 0)
		json_object_set_new(d, "public_ips", strings(o->ips, o->nips));
	if (o->ndomains > 0)
		json_object_set_new(d, "domains", strings(o->domains, o->ndomains));
	if (o->nservices > 0)
		json_object_set_new(d, "services", strings(o->services, o->nservices));
	return d;
}

static void show_value(const json_t *v)
{
	if (json_is_string(v)) {
		fputs(json_string_value(v), stdout);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			if (i > 0)
				fputs(", ", stdout);
			show_value(e);
		}
	} else if (json_is_object(v)) {
		const char *k;
		json_t *e;
		int first = 1;
		json_object_foreach((json_t *)v, k, e) {
			printf("%s%s=", first ? "" : "; ", k);
			show_value(e);
			first = 0;
		}
	} else {
		char *t = json_dumps(v, JSON_ENCODE_ANY);
		fputs(t != NULL ? t : "?", stdout);
		free(t);
	}
}

static void show_system(const json_t *d)
{
	static const char *const order[] = {"id", "name", "unit", "level", "level_reason", "plan_approved",
					    "plan_approved_date", "nationally_important", "national_centre",
					    "public_ips", "domains", "services", "layer1_contact", "layer2_provider",
					    "contacts", "description", NULL};
	for (size_t i = 0; order[i] != NULL; i++) {
		json_t *v = json_object_get(d, order[i]);
		if (v == NULL)
			continue;
		printf("%-21s ", order[i]);
		show_value(v);
		putchar('\n');
	}
}

static int systems_run(opts *o, const char *sub)
{
	char path[512];
	long long id, id2;
	json_t *ans = NULL;
	int r;
	if (strcmp(sub, "list") == 0) {
		if (o->noperands != 0)
			return vg_cli_usage_error(o->cmd, "list takes no operand");
		size_t n = (size_t)snprintf(path, sizeof(path), "/api/v1/systems");
		if (o->level != NULL && (r = url_safe(o, "--level", o->level)) != 0)
			return r;
		if (o->unit != NULL && (r = url_safe(o, "--unit", o->unit)) != 0)
			return r;
		if (o->level != NULL)
			n += (size_t)snprintf(path + n, sizeof(path) - n, "?level=%s", o->level);
		if (o->unit != NULL)
			snprintf(path + n, sizeof(path) - n, "%cunit=%s", o->level != NULL ? '&' : '?', o->unit);
		if ((r = request(o, "GET", path, NULL, &ans)) != 0)
			return r;
		if (o->json) {
			print_json(ans);
		} else {
			printf("%-6s %-5s %-4s %-26s %s\n", "ID", "LEVEL", "PLAN", "UNIT", "NAME");
			size_t i;
			json_t *s;
			json_array_foreach(json_object_get(ans, "systems"), i, s)
				printf("%-6lld %-5lld %-4s %-26s %s\n", (long long)json_integer_value(json_object_get(s, "id")),
				       (long long)json_integer_value(json_object_get(s, "level")),
				       json_is_true(json_object_get(s, "plan_approved")) ? "yes" : "no", str(s, "unit"),
				       str(s, "name"));
		}
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "show") == 0 || strcmp(sub, "hosts") == 0 || strcmp(sub, "delete") == 0) {
		if (o->noperands != 1)
			return vg_cli_usage_error(o->cmd, "%s takes one system ID", sub);
		if ((r = id_arg(o, "ID", o->operands[0], &id)) != 0)
			return r;
		int hosts = strcmp(sub, "hosts") == 0, del = strcmp(sub, "delete") == 0;
		snprintf(path, sizeof(path), "/api/v1/systems/%lld%s", id, hosts ? "/hosts" : "");
		if ((r = request(o, del ? "DELETE" : "GET", path, NULL, &ans)) != 0)
			return r;
		if (del)
			printf("deleted system %lld\n", id);
		else if (o->json)
			print_json(ans);
		else if (!hosts)
			show_system(ans);
		else {
			printf("%-6s %-32s %-40s %s\n", "ID", "NAME", "IP", "LAST SEEN");
			size_t i;
			json_t *h;
			json_array_foreach(json_object_get(ans, "hosts"), i, h) {
				char w[32];
				when(json_integer_value(json_object_get(h, "last_seen_us")), w);
				printf("%-6lld %-32s %-40s %s\n", (long long)json_integer_value(json_object_get(h, "id")),
				       str(h, "name"), str(h, "ip"), w);
			}
		}
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "add") == 0 || strcmp(sub, "set") == 0) {
		int add = sub[0] == 'a';
		if (o->noperands != (add ? 0 : 1))
			return vg_cli_usage_error(o->cmd, add ? "add takes options only" : "set takes one system ID");
		if (!add && (r = id_arg(o, "ID", o->operands[0], &id)) != 0)
			return r;
		json_t *d = doc_from_opts(o);
		if (d == NULL)
			return 2;
		if (!add && json_object_size(d) == 0) {
			json_decref(d);
			return vg_cli_usage_error(o->cmd, "set: nothing to change");
		}
		if (add)
			snprintf(path, sizeof(path), "/api/v1/systems");
		else
			snprintf(path, sizeof(path), "/api/v1/systems/%lld", id);
		r = request(o, add ? "POST" : "PATCH", path, d, &ans);
		json_decref(d);
		if (r != 0)
			return r;
		if (o->json)
			print_json(ans);
		else
			printf("%s system %lld: %s\n", add ? "created" : "updated",
			       (long long)json_integer_value(json_object_get(ans, "id")), str(ans, "name"));
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "host-add") == 0) {
		if (o->noperands < 2 || o->noperands > 3)
			return vg_cli_usage_error(o->cmd, "host-add takes ID NAME [IP]");
		if ((r = id_arg(o, "ID", o->operands[0], &id)) != 0)
			return r;
		json_t *b = json_pack("{s:s}", "name", o->operands[1]);
		if (o->noperands == 3)
			json_object_set_new(b, "ip", json_string(o->operands[2]));
		snprintf(path, sizeof(path), "/api/v1/systems/%lld/hosts", id);
		r = request(o, "POST", path, b, &ans);
		json_decref(b);
		if (r == 0)
			printf("added host %lld (%s) to system %lld\n", (long long)json_integer_value(json_object_get(ans, "id")),
			       o->operands[1], id);
		json_decref(ans);
		return r;
	}
	if (strcmp(sub, "host-delete") == 0) {
		if (o->noperands != 2)
			return vg_cli_usage_error(o->cmd, "host-delete takes ID HOST_ID");
		if ((r = id_arg(o, "ID", o->operands[0], &id)) != 0 || (r = id_arg(o, "HOST_ID", o->operands[1], &id2)) != 0)
			return r;
		snprintf(path, sizeof(path), "/api/v1/systems/%lld/hosts/%lld", id, id2);
		if ((r = request(o, "DELETE", path, NULL, NULL)) == 0)
			printf("deleted host %lld\n", id2);
		return r;
	}
	if (strcmp(sub, "rules") == 0) {
		if ((r = request(o, "GET", "/api/v1/attribution-rules", NULL, &ans)) != 0)
			return r;
		if (o->json) {
			print_json(ans);
		} else {
			printf("%-6s %-8s %-14s %-32s %s\n", "ID", "PRIORITY", "KIND", "PATTERN", "SYSTEM");
			size_t i;
			json_t *x;
			json_array_foreach(json_object_get(ans, "rules"), i, x)
				printf("%-6lld %-8lld %-14s %-32s %lld %s\n",
				       (long long)json_integer_value(json_object_get(x, "id")),
				       (long long)json_integer_value(json_object_get(x, "priority")), str(x, "kind"),
				       str(x, "pattern"), (long long)json_integer_value(json_object_get(x, "system_id")),
				       str(x, "system"));
		}
		json_decref(ans);
		return 0;
	}
	if (strcmp(sub, "rule-add") == 0) {
		if (o->kind == NULL || o->pattern == NULL || o->system == NULL)
			return vg_cli_usage_error(o->cmd, "rule-add needs --kind, --pattern and --system");
		if ((r = id_arg(o, "--system", o->system, &id)) != 0)
			return r;
		json_t *b = json_pack("{s:s,s:s,s:I}", "kind", o->kind, "pattern", o->pattern, "system_id", (json_int_t)id);
		if (o->priority != NULL) {
			char *end;
			long long p = strtoll(o->priority, &end, 10);
			if (*end != '\0' || end == o->priority) {
				json_decref(b);
				return vg_cli_usage_error(o->cmd, "--priority: '%s' is not a number", o->priority);
			}
			json_object_set_new(b, "priority", json_integer(p));
		}
		r = request(o, "POST", "/api/v1/attribution-rules", b, &ans);
		json_decref(b);
		if (r == 0)
			printf("added rule %lld\n", (long long)json_integer_value(json_object_get(ans, "id")));
		json_decref(ans);
		return r;
	}
	if (strcmp(sub, "rule-delete") == 0) {
		if (o->noperands != 1)
			return vg_cli_usage_error(o->cmd, "rule-delete takes one RULE_ID");
		if ((r = id_arg(o, "RULE_ID", o->operands[0], &id)) != 0)
			return r;
		snprintf(path, sizeof(path), "/api/v1/attribution-rules/%lld", id);
		if ((r = request(o, "DELETE", path, NULL, NULL)) == 0)
			printf("deleted rule %lld\n", id);
		return r;
	}
	return vg_cli_usage_error(o->cmd, "unknown subcommand '%s'", sub);
}

/* argv[1] is the subcommand; options may come before or after it. */
static int dispatch(int argc, char **argv, const vg_command *cmd, const char *help,
		    int (*fn)(opts *o, const char *sub), const char *dflt)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		fputs(help, stdout);
		return 0;
	}
	const char *sub = dflt;
	if (argc >= 2 && argv[1][0] != '-') {
		sub = argv[1];
		argc--;
		argv++;
	}
	if (sub == NULL)
		return vg_cli_usage_error(cmd, "missing subcommand");
	opts o = {.cmd = cmd};
	int r = parse(argc, argv, &o, help);
	if (r != 0)
		return r == 1 ? 0 : r;
	return fn(&o, sub);
}

static int systems_main(int argc, char **argv)
{
	return dispatch(argc, argv, &vg_cmd_systems, systems_help, systems_run, NULL);
}

const vg_command vg_cmd_systems = {
	.name = "systems",
	.usage = "vigil systems list|show|add|set|delete|hosts|host-add|host-delete|rules|rule-add|rule-delete ...",
	.run = systems_main,
};

/* ---- units ---- */

static int units_run(opts *o, const char *sub)
{
	char path[512];
	json_t *ans = NULL;
	int r;
	if (strcmp(sub, "list") == 0) {
		if ((r = request(o, "GET", "/api/v1/units", NULL, &ans)) != 0)
			return r;
		if (o->json) {
			print_json(ans);
		} else {
			size_t i;
			json_t *u;
			json_array_foreach(json_object_get(ans, "units"), i, u) {
				const char *p = str(u, "path");
				int depth = 0;
				for (const char *c = p; *c != '\0'; c++)
					depth += *c == '/';
				printf("%*s%-*s %s\n", depth * 2, "", 40 - depth * 2, p, str(u, "name"));
			}
		}
		json_decref(ans);
		return 0;
	}
	int add = strcmp(sub, "add") == 0, ren = strcmp(sub, "rename") == 0, del = strcmp(sub, "delete") == 0;
	if (!add && !ren && !del)
		return vg_cli_usage_error(o->cmd, "unknown subcommand '%s' (list, add, rename, delete)", sub);
	if (o->noperands != (del ? 1 : 2))
		return vg_cli_usage_error(o->cmd, del ? "delete takes PATH" : "%s takes PATH NAME", sub);
	const char *unit = o->operands[0];
	if ((r = url_safe(o, "PATH", unit)) != 0)
		return r;
	json_t *b = del ? NULL : json_pack("{s:s}", "name", o->operands[1]);
	if (add) {
		json_object_set_new(b, "path", json_string(unit));
		snprintf(path, sizeof(path), "/api/v1/units");
	} else {
		snprintf(path, sizeof(path), "/api/v1/units/%s", unit);
	}
	r = request(o, add ? "POST" : ren ? "PATCH" : "DELETE", path, b, NULL);
	json_decref(b);
	if (r == 0)
		printf("%s unit %s\n", add ? "created" : ren ? "renamed" : "deleted", unit);
	return r;
}

static int units_main(int argc, char **argv)
{
	return dispatch(argc, argv, &vg_cmd_units, units_help, units_run, NULL);
}

const vg_command vg_cmd_units = {
	.name = "units",
	.usage = "vigil units list|add PATH NAME|rename PATH NAME|delete PATH",
	.run = units_main,
};

/* ---- coverage ---- */

static const char *const layers[] = {"network", "host", "application", "endpoint"};

static int thresholds_run(opts *o)
{
	json_t *ans = NULL;
	int r;
	if (o->noperands == 3) {
		char *e1, *e2;
		long long st = strtoll(o->operands[1], &e1, 10), mi = strtoll(o->operands[2], &e2, 10);
		if (*e1 != '\0' || *e2 != '\0' || e1 == o->operands[1] || e2 == o->operands[2])
			return vg_cli_usage_error(o->cmd, "thresholds LAYER STALE_S MISSING_S: seconds are numbers");
		json_t *b = json_pack("{s:{s:I,s:I}}", o->operands[0], "stale_after_s", (json_int_t)st, "missing_after_s",
				      (json_int_t)mi);
		r = request(o, "PUT", "/api/v1/coverage/thresholds", b, &ans);
		json_decref(b);
	} else if (o->noperands == 0) {
		r = request(o, "GET", "/api/v1/coverage/thresholds", NULL, &ans);
	} else {
		return vg_cli_usage_error(o->cmd, "thresholds takes nothing or LAYER STALE_S MISSING_S");
	}
	if (r != 0)
		return r;
	if (o->json) {
		print_json(ans);
	} else {
		printf("%-12s %-14s %s\n", "LAYER", "STALE AFTER S", "MISSING AFTER S");
		for (size_t i = 0; i < 4; i++) {
			json_t *t = json_object_get(json_object_get(ans, "thresholds"), layers[i]);
			printf("%-12s %-14lld %lld\n", layers[i], (long long)json_integer_value(json_object_get(t, "stale_after_s")),
			       (long long)json_integer_value(json_object_get(t, "missing_after_s")));
		}
	}
	json_decref(ans);
	return 0;
}

static int coverage_run(opts *o, const char *sub)
{
	if (strcmp(sub, "thresholds") == 0)
		return thresholds_run(o);
	if (strcmp(sub, "show") != 0)
		return vg_cli_usage_error(o->cmd, "unknown subcommand '%s' (thresholds)", sub);
	if (o->noperands != 0)
		return vg_cli_usage_error(o->cmd, "coverage takes no operand");
	char path[512] = "/api/v1/coverage";
	int r;
	if (o->unit != NULL) {
		if ((r = url_safe(o, "--unit", o->unit)) != 0)
			return r;
		snprintf(path, sizeof(path), "/api/v1/coverage?unit=%s", o->unit);
	}
	json_t *ans = NULL;
	if ((r = request(o, "GET", path, NULL, &ans)) != 0)
		return r;
	json_t *sum = json_object_get(ans, "summary");
	int64_t n35 = json_integer_value(json_object_get(sum, "level3_5_systems")),
		full = json_integer_value(json_object_get(sum, "level3_5_fully_covered"));
	if (o->json) {
		print_json(ans);
	} else {
		printf("%-5s %-32s %-12s %-12s %-12s %-12s\n", "LEVEL", "SYSTEM", "NETWORK", "HOST", "APPLICATION",
		       "ENDPOINT");
		size_t i;
		json_t *s;
		json_array_foreach(json_object_get(ans, "systems"), i, s) {
			printf("%-5lld ", (long long)json_integer_value(json_object_get(s, "level")));
			vg_text_cell(stdout, str(s, "name"), 32, 0); /* columns, not bytes: Vietnamese names */
			for (size_t l = 0; l < 4; l++) {
				json_t *x = json_object_get(json_object_get(s, "layers"), layers[l]);
				char cell[32];
				snprintf(cell, sizeof(cell), "%s/%lld", str(x, "state"),
					 (long long)json_integer_value(json_object_get(x, "events_24h")));
				printf(" %-12s", cell);
			}
			putchar('\n');
		}
		printf("\nlevel 3-5 systems fully covered: %lld of %lld\n", (long long)full, (long long)n35);
		json_t *act = json_object_get(ans, "act_on");
		if (json_array_size(act) > 0) {
			printf("\nto act on:\n");
			json_array_foreach(act, i, s) {
				printf("  level %lld  %s:", (long long)json_integer_value(json_object_get(s, "level")), str(s, "system"));
				if (!json_is_true(json_object_get(s, "plan_approved")))
					printf(" no approved security plan;");
				if (json_array_size(json_object_get(s, "missing_layers")) > 0) {
					printf(" missing ");
					show_value(json_object_get(s, "missing_layers"));
				}
				putchar('\n');
			}
		}
		json_t *un = json_object_get(ans, "unattributed");
		if (json_array_size(un) > 0) {
			printf("\nsources of no system:\n");
			json_array_foreach(un, i, s) {
				char w[32];
				when(json_integer_value(json_object_get(s, "last_event_us")), w);
				printf("  %-32s %-40s %-10s %s\n", str(s, "host"), str(s, "source_ip"), str(s, "input"), w);
			}
		}
	}
	json_decref(ans);
	return o->check && full < n35 ? 1 : 0;
}

static int coverage_main(int argc, char **argv)
{
	return dispatch(argc, argv, &vg_cmd_coverage, coverage_help, coverage_run, "show");
}

const vg_command vg_cmd_coverage = {
	.name = "coverage",
	.usage = "vigil coverage [--unit U] [--json] [--check] | vigil coverage thresholds [LAYER STALE_S MISSING_S]",
	.run = coverage_main,
};
