/* ops_main.c — `vigil-ops`: the commands `vigil` hands on (main.c): the
 * server, its API clients and the reports, which need libraries a scan does
 * not (HTTP, PDF, SQLite, password hashing). Invoked as "vigil-ops COMMAND
 * ARGS..." by `vigil COMMAND ARGS...`; it behaves as that command. */
#include <string.h>

#include "cli/cli.h"

static const vg_command *const commands[] = {&vg_cmd_events, &vg_cmd_alerts, &vg_cmd_server, &vg_cmd_agents, &vg_cmd_users, &vg_cmd_systems, &vg_cmd_units, &vg_cmd_coverage, &vg_cmd_incidents, &vg_cmd_report, &vg_cmd_roster, &vg_cmd_assessments, &vg_cmd_notify, &vg_cmd_sharing, NULL};

int main(int argc, char **argv)
{
	for (size_t i = 0; argc >= 2 && commands[i] != NULL; i++)
		if (strcmp(commands[i]->name, argv[1]) == 0)
			return commands[i]->run(argc - 1, argv + 1);
	return vg_cli_usage_error(NULL, "vigil-ops runs the commands of `vigil` (try: vigil help)");
}
