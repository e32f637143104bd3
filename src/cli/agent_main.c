/* agent_main.c — `vigil-agent`: the agent alone, linked with only what it
 * uses (-Wl,--as-needed), so that a host runs a small process: `vigil
 * agent ARGS...` executes it as `vigil-agent ARGS...` from the directory
 * `vigil` is in (main.c), with the same arguments and behaviour. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	char *name = "agent";
	argv[0] = name;
	return vg_cmd_agent.run(argc, argv);
}
