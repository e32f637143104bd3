/* main.c — `vigil`: dispatch to a subcommand by name (the command table),
 * plus `vigil help [COMMAND]` and `vigil --version`. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const vg_command *const commands[] = {&vg_cmd_scan, &vg_cmd_rules, &vg_cmd_events, &vg_cmd_alerts, &vg_cmd_server, &vg_cmd_agents, &vg_cmd_agent, &vg_cmd_users, &vg_cmd_systems, &vg_cmd_units, &vg_cmd_coverage, &vg_cmd_incidents, &vg_cmd_report, &vg_cmd_roster, &vg_cmd_assessments, &vg_cmd_notify, &vg_cmd_sharing, NULL};

static void print_overview(FILE *f)
{
	fprintf(f, "vigil %s — security monitoring for 4-layer information-security operations\n\n", VG_VERSION);
	fprintf(f, "usage: vigil COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; commands[i] != NULL; i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "  %-8s %s\n", "help", "show help for a command");
	fprintf(f, "\nvigil --version prints the version. See docs/usage.md for details.\n");
}

static const vg_command *find(const char *name)
{
	for (size_t i = 0; commands[i] != NULL; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
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
		const vg_command *c = find(argv[2]);
		if (c == NULL)
			return vg_cli_usage_error(NULL, "unknown command '%s' (try: vigil help)", argv[2]);
		/* the command prints its own detailed help for --help */
		char *hargv[] = {(char *)c->name, "--help", NULL};
		return c->run(2, hargv);
	}
	const vg_command *c = find(cmd);
	if (c == NULL)
		return vg_cli_usage_error(NULL, "unknown command '%s' (try: vigil help)", cmd);
	return c->run(argc - 1, argv + 1);
}
