/* cli.h — the subcommands and helpers shared by them. Each command is a row:
 * name, usage text and its entry point, which returns the process exit status
 * (0 ok, 1 findings such as rejected rules, 2 usage or I/O error). Which
 * executable runs which command, and the one-line summaries, are main.c's. */
#ifndef VG_CLI_H
#define VG_CLI_H

#include <stdio.h>

#include "detect/engine.h"

/* The data directory of `vigil server` when --data is not given. */
#define VG_DEFAULT_DATA_DIR "/var/lib/vigil"

typedef struct vg_command {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
} vg_command;

extern const vg_command vg_cmd_scan;
extern const vg_command vg_cmd_rules;
extern const vg_command vg_cmd_events;
extern const vg_command vg_cmd_agents;
extern const vg_command vg_cmd_server;
extern const vg_command vg_cmd_alerts;
extern const vg_command vg_cmd_agent;
extern const vg_command vg_cmd_users;
extern const vg_command vg_cmd_systems;
extern const vg_command vg_cmd_units;
extern const vg_command vg_cmd_coverage;
extern const vg_command vg_cmd_incidents;
extern const vg_command vg_cmd_report;
extern const vg_command vg_cmd_roster;
extern const vg_command vg_cmd_assessments;
extern const vg_command vg_cmd_notify;
extern const vg_command vg_cmd_sharing;

/* Print "vigil: <msg>" and the command's usage hint to stderr; returns 2. */
int vg_cli_usage_error(const vg_command *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Counts and prints rule rejections as "path: reason" to f. */
typedef struct vg_reject_log {
	FILE *f;
	size_t count;
} vg_reject_log;
void vg_cli_reject(void *ud, const char *path, const char *rule_id, const char *reason);

#endif
