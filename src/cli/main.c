/* main.c — `vigil`: dispatch to a subcommand by name, plus `vigil help
 * [COMMAND]` and `vigil --version`.
 *
 * `vigil` itself runs only the offline commands (scan, rules), so that it
 * links only the libraries they use: a scan starts in ~10 ms less than with
 * the HTTP, PDF, SQLite and TLS-server libraries loaded. Every other command
 * is run by an executable next to this one, with the same arguments:
 * `vigil-agent` (the agent alone) and `vigil-ops` (the server, its clients
 * and the reports). Their exit statuses and messages are the command's own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

typedef struct entry {
	const char *name;
	const char *summary;
	const vg_command *cmd; /* run here, or */
	const char *exe;       /* run by this executable next to `vigil`, */
	int only;              /* which runs this command only (not given its name) */
} entry;

static const entry commands[] = {
	{"scan", "offline: parse logs, run Sigma rules, print alerts as NDJSON", &vg_cmd_scan, NULL, 0},
	{"rules", "check Sigma rules: report every rule that cannot be loaded, and why", &vg_cmd_rules, NULL, 0},
	{"events", "export archived events (time range, host, FIELD=VALUE) as NDJSON", NULL, "vigil-ops", 0},
	{"alerts", "export stored alerts (time range, rule, level, host) as NDJSON", NULL, "vigil-ops", 0},
	{"server", "collect from agents, syslog and the API; detect; archive events and alerts", NULL, "vigil-ops", 0},
	{"agents", "agent enrolment on the server: one-time tokens, certificate revocation", NULL, "vigil-ops", 0},
	{"agent", "ship this host's logs to vigil server (enrol, tail, journal)", NULL, "vigil-agent", 1},
	{"users", "console users and API tokens: add, list, passwd, disable, token, revoke-token", NULL, "vigil-ops", 0},
	{"systems", "information systems: list, show, add, set, delete, hosts, attribution rules", NULL, "vigil-ops", 0},
	{"units", "the organisation tree: list, add, rename, delete units", NULL, "vigil-ops", 0},
	{"coverage", "4-layer monitoring coverage per system, gaps, thresholds", NULL, "vigil-ops", 0},
	{"incidents", "incidents and their reporting deadlines: list, show, create, update, transition, report, export", NULL, "vigil-ops", 0},
	{"report", "official reports: daily/weekly monitoring, monthly coverage, six-monthly incidents, Mẫu 03/04", NULL, "vigil-ops", 0},
	{"roster", "the 24/7 on-duty roster: shifts, who is on duty, gaps", NULL, "vigil-ops", 0},
	{"assessments", "layer-3 assessment schedule and findings", NULL, "vigil-ops", 0},
	{"notify", "notifications of the person on duty: settings, test, outbox", NULL, "vigil-ops", 0},
	{"sharing", "share alerts with the national monitoring centre (keys, destinations, status)", NULL, "vigil-ops", 0},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_overview(FILE *f)
{
	fprintf(f, "vigil %s — security monitoring for 4-layer information-security operations\n\n", VG_VERSION);
	fprintf(f, "usage: vigil COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-8s %s\n", "help", "show help for a command");
	fprintf(f, "\nvigil --version prints the version. See docs/usage.md for details.\n");
}

static const entry *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Run c->exe, found next to this executable, as "EXE COMMAND ARGS...", or
 * "EXE ARGS..." when it runs this command only. Returns only on failure,
 * with 2. */
static int run_sibling(const entry *c, int argc, char **argv)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
	size_t el = strlen(c->exe);
	if (slash == NULL || (size_t)(slash + 1 - path) + el >= sizeof(path)) {
		fprintf(stderr, "vigil: %s: cannot locate this executable's directory to run %s\n", c->name, c->exe);
		return 2;
	}
	memcpy(slash + 1, c->exe, el + 1);
	char **av = calloc((size_t)argc + 2, sizeof(*av));
	if (av == NULL) {
		fprintf(stderr, "vigil: %s: out of memory\n", c->name);
		return 2;
	}
	int k = 0;
	av[k++] = (char *)c->exe;
	for (int i = c->only ? 1 : 0; i < argc; i++)
		av[k++] = argv[i];
	execv(path, av);
	fprintf(stderr, "vigil: %s: cannot run %s: %s (it is installed next to vigil)\n", c->name, path, strerror(errno));
	free(av);
	return 2;
}

/* argv[0] is the command's name */
static int run(const entry *c, int argc, char **argv)
{
	return c->cmd != NULL ? c->cmd->run(argc, argv) : run_sibling(c, argc, argv);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_overview(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("vigil %s\n", VG_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc < 3 || strcmp(cmd, "help") != 0) {
			print_overview(stdout);
			return 0;
		}
		const entry *c = find(argv[2]);
		if (c == NULL)
			return vg_cli_usage_error(NULL, "unknown command '%s' (try: vigil help)", argv[2]);
		/* the command prints its own detailed help for --help */
		char *hargv[] = {(char *)c->name, "--help", NULL};
		return run(c, 2, hargv);
	}
	const entry *c = find(cmd);
	if (c == NULL)
		return vg_cli_usage_error(NULL, "unknown command '%s' (try: vigil help)", cmd);
	return run(c, argc - 1, argv + 1);
}
