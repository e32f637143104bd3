/* cmd_rules.c — `vigil rules check PATH...`: load and compile Sigma rules,
 * print one line per rejected rule ("path: reason") and a summary. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "detect/rulepack.h"

static const char help[] =
	"usage: vigil rules check [PATH...]\n"
	"\n"
	"Load and compile Sigma rules from files and directories (recursive) exactly\n"
	"as `vigil scan` would. Prints one line per rejected rule, \"path: reason\",\n"
	"then a summary line with the loaded and rejected counts. Without PATH,\n"
	"checks vigil's built-in rule pack.\n"
	"Exit status: 0 all rules load, 1 some were rejected, 2 usage or I/O error.\n";

static int check(int argc, char **argv)
{
	vg_engine *e = vg_engine_new();
	if (e == NULL) {
		fprintf(stderr, "vigil: out of memory\n");
		return 2;
	}
	vg_reject_log log = {.f = stdout};
	int rc = 0, io = 0;
	if (argc == 0)
		rc = vg_rulepack_load(e, vg_cli_reject, &log);
	for (int i = 0; i < argc && rc != VG_ENOMEM; i++) {
		rc = vg_engine_load_path(e, argv[i], vg_cli_reject, &log);
		if (rc != 0) {
			fprintf(stderr, "vigil: %s: %s\n", argv[i], rc == VG_EIO ? strerror(errno) : vg_err_str(rc));
			io = 1;
		}
	}
	if (rc != VG_ENOMEM && (rc = vg_engine_compile(e, vg_cli_reject, &log)) != 0) {
		fprintf(stderr, "vigil: compiling rules: %s\n", vg_err_str(rc));
		io = 1;
	}
	printf("%zu rules loaded, %zu rejected\n", vg_engine_loaded(e), vg_engine_rejected(e));
	size_t rejected = vg_engine_rejected(e);
	vg_engine_free(e);
	if (io || rc == VG_ENOMEM)
		return 2;
	return rejected > 0 ? 1 : 0;
}

static int run(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(help, stdout);
		return 0;
	}
	if (argc < 2)
		return vg_cli_usage_error(&vg_cmd_rules, "missing subcommand (check)");
	if (strcmp(argv[1], "check") == 0) {
		for (int i = 2; i < argc; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				fputs(help, stdout);
				return 0;
			}
		return check(argc - 2, argv + 2);
	}
	return vg_cli_usage_error(&vg_cmd_rules, "unknown subcommand '%s'", argv[1]);
}

const vg_command vg_cmd_rules = {
	.name = "rules",
	.usage = "vigil rules check [PATH...]",
	.run = run,
};
