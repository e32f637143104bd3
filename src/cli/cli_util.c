/* cli_util.c — helpers shared by the commands (cli.h): usage errors and
 * the rule-rejection log. Linked into `vigil` and `vigil-agent`. */
#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"

int vg_cli_usage_error(const vg_command *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vigil: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (c != NULL)
		fprintf(stderr, "usage: %s\n(see: vigil help %s)\n", c->usage, c->name);
	return 2;
}

void vg_cli_reject(void *ud, const char *path, const char *rule_id, const char *reason)
{
	vg_reject_log *log = ud;
	log->count++;
	if (log->f == NULL)
		return;
	if (rule_id != NULL && rule_id[0] != '\0')
		fprintf(log->f, "%s: %s (rule %s)\n", path, reason, rule_id);
	else
		fprintf(log->f, "%s: %s\n", path, reason);
}

