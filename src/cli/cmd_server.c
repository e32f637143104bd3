/* cmd_server.c — `vigil server`: settings from defaults, -c FILE and flags
 * (server/server_config.h), then the daemon (server/server.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "server/server.h"
#include "server/server_config.h"

static const char help[] =
	"usage: vigil server [-c FILE] [--data DIR] [--listen-agents ADDR:PORT]\n"
	"                    [--listen-syslog ADDR:PORT] [--listen-syslog-tls ADDR:PORT\n"
	"                    [--syslog-tls-require-client-cert]] [--listen-api ADDR:PORT]\n"
	"                    [-r RULES]...\n"
	"\n"
	"Receive events from agents (mutual TLS), syslog (UDP, TCP, TLS) and the\n"
	"HTTPS API (POST /api/v1/events); parse and normalise each, run the Sigma\n"
	"and correlation rules, append it to the event archive (DIR/archive, read\n"
	"with `vigil events export`); alerts go to DIR/alerts.ndjson and the state\n"
	"database DIR/vigil.db (`vigil alerts export`). Zero configuration: the\n"
	"data directory, its database and a private CA (DIR/pki) are created.\n"
	"\n"
	"  -c, --config FILE          YAML settings; flags override them\n"
	"  --data DIR                 state directory (default " VG_DEFAULT_DATA_DIR ")\n"
	"  --listen-agents ADDR:PORT  agents, mutual TLS 1.3, and their enrolment\n"
	"                             (default 0.0.0.0:5515)\n"
	"  --listen-syslog ADDR:PORT  syslog over UDP and TCP on the same port, LF or\n"
	"                             RFC 6587 octet counting (default 0.0.0.0:5514)\n"
	"  --listen-syslog-tls ADDR:PORT\n"
	"                             syslog over TLS (RFC 5425); off by default\n"
	"  --syslog-tls-require-client-cert\n"
	"                             refuse TLS syslog senders without a certificate\n"
	"                             of vigil's CA (default: optional)\n"
	"  --listen-api ADDR:PORT     the HTTPS API and /metrics (default 0.0.0.0:8443)\n"
	"  -r, --rules PATH           Sigma rule file or directory (repeatable); replaces\n"
	"                             the built-in rule pack\n"
	"  --help-config              every setting with its type, default and help\n"
	"  --print-config             the effective settings as YAML, then exit\n"
	"\n"
	"IPv6 addresses as [ADDR]:PORT. Signals: SIGTERM/SIGINT commit and exit 0;\n"
	"SIGHUP reloads the rules, keeping the state of unchanged correlation rules\n"
	"(on failure the old rules stay). See docs/server.md and docs/config.md.\n"
	"Exit status: 0 stopped by a signal; 2 usage error, or state, rules or\n"
	"sockets that could not be set up.\n";

static volatile sig_atomic_t got_stop, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

struct flag_key {
	int opt;
	const char *key, *flag;
};

static const struct flag_key flag_keys[] = {
	{'d', "data_dir", "--data"},
	{'a', "listen.agents", "--listen-agents"},
	{'l', "listen.syslog", "--listen-syslog"},
	{'t', "listen.syslog_tls", "--listen-syslog-tls"},
	{'A', "listen.api", "--listen-api"},
};

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"data", required_argument, NULL, 'd'},
		{"listen-agents", required_argument, NULL, 'a'},
		{"listen-syslog", required_argument, NULL, 'l'},
		{"listen-syslog-tls", required_argument, NULL, 't'},
		{"listen-api", required_argument, NULL, 'A'},
		{"syslog-tls-require-client-cert", no_argument, NULL, 'C'},
		{"rules", required_argument, NULL, 'r'},
		{"help-config", no_argument, NULL, 'K'},
		{"print-config", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char **rules = calloc((size_t)argc + 1, sizeof(*rules));
	const char *vals[sizeof(flag_keys) / sizeof(flag_keys[0])] = {0};
	const char *cfile = NULL;
	size_t nrules = 0;
	int c, require_cert = 0, print = 0, status = 2;
	vg_server_config cfg;
	int loaded = 0;
	char why[512] = "";
	if (rules == NULL)
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:r:h", longopts, NULL)) != -1) {
		size_t i = 0;
		while (i < sizeof(flag_keys) / sizeof(flag_keys[0]) && flag_keys[i].opt != c)
			i++;
		if (i < sizeof(flag_keys) / sizeof(flag_keys[0])) {
			vals[i] = optarg;
			continue;
		}
		switch (c) {
		case 'c': cfile = optarg; break;
		case 'C': require_cert = 1; break;
		case 'r': rules[nrules++] = optarg; break;
		case 'K':
			vg_config_help(vg_server_config_keys, vg_server_config_nkeys, stdout);
			status = 0;
			goto out;
		case 'P': print = 1; break;
		case 'h':
			fputs(help, stdout);
			status = 0;
			goto out;
		default: status = vg_cli_usage_error(&vg_cmd_server, "invalid option"); goto out;
		}
	}
	if (optind < argc) {
		status = vg_cli_usage_error(&vg_cmd_server, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	int r = vg_server_config_load(&cfg, cfile, why, sizeof(why));
	if (r != 0) {
		fprintf(stderr, "vigil server: %s\n", why[0] ? why : vg_err_str(r));
		goto out;
	}
	loaded = 1;
	const vg_config_key *K = vg_server_config_keys;
	size_t nk = vg_server_config_nkeys;
	for (size_t i = 0; i < sizeof(flag_keys) / sizeof(flag_keys[0]) && r == 0; i++)
		if (vals[i] != NULL)
			r = vg_config_set(K, nk, &cfg, flag_keys[i].key, vals[i], flag_keys[i].flag, why, sizeof(why));
	if (r == 0 && require_cert)
		r = vg_config_set(K, nk, &cfg, "syslog.tls_require_client_cert", "true",
				  "--syslog-tls-require-client-cert", why, sizeof(why));
	if (r == 0 && nrules > 0 &&
	    (r = vg_config_set_list(K, nk, &cfg, "rules.paths", rules, nrules, "--rules", why, sizeof(why))) == 0)
		r = vg_config_set(K, nk, &cfg, "rules.builtin", "false", "--rules", why, sizeof(why));
	if (r == 0 && cfg.syslog_tls_require_client_cert && cfg.listen_syslog_tls[0] == '\0') {
		snprintf(why, sizeof(why), "--syslog-tls-require-client-cert needs --listen-syslog-tls");
		r = VG_EINVAL;
	}
	if (r == 0)
		r = vg_server_config_check(&cfg, why, sizeof(why));
	if (r != 0) {
		status = vg_cli_usage_error(&vg_cmd_server, "%s", why);
		goto out;
	}
	if (print) {
		vg_config_dump(K, nk, &cfg, stdout);
		status = 0;
		goto out;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	status = vg_server_run(&cfg, &got_stop, &got_hup);
out:
	if (loaded)
		vg_server_config_free(&cfg);
	free(rules);
	return status;
}

const vg_command vg_cmd_server = {
	.name = "server",
	.usage = "vigil server [-c FILE] [--data DIR] [--listen-agents ADDR:PORT] [--listen-syslog ADDR:PORT] "
		 "[--listen-syslog-tls ADDR:PORT] [--listen-api ADDR:PORT] [-r RULES]...",
	.run = run,
};
