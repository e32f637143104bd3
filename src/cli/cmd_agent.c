/* cmd_agent.c — `vigil agent`: enrol with a server (once), then ship this
 * host's logs to it (agent/agent.h). Settings: defaults, -c FILE, then flags
 * (agent/agent_config.h, docs/config.md). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent/agent.h"
#include "agent/agent_config.h"
#include "agent/sender.h"
#include "cli/cli.h"

static const char help[] =
	"usage: vigil agent --server HOST:PORT [--enroll TOKEN] [--data DIR] [-c FILE]\n"
	"                   [--tail GLOB]... [--journal] [--hostname NAME] [--start-at-end]\n"
	"\n"
	"Ships this host's logs to `vigil server` over mutual TLS 1.3, durably:\n"
	"lines wait in an on-disk queue (DIR/queue) until the server has stored them.\n"
	"\n"
	"  --server HOST:PORT  the server's agent port (its --listen-agents, default 5515)\n"
	"  --enroll TOKEN      first start: redeem a token from `vigil agents token`\n"
	"                      for this host's certificate (the key never leaves DIR)\n"
	"  --data DIR          certificate, key and queue (default /var/lib/vigil-agent)\n"
	"  -c, --config FILE   YAML settings (keys: `vigil agent --help-config`)\n"
	"  --tail GLOB         follow files matching GLOB (repeatable; replaces the file's list)\n"
	"  --journal           also read the systemd journal\n"
	"  --hostname NAME     the name this host reports (default: gethostname)\n"
	"  --start-at-end      files found at the very first start begin at their end\n"
	"  --help-config       list every setting with its type, default and help\n"
	"  --print-config      print the effective settings as YAML and exit\n"
	"\n"
	"Stops on SIGINT/SIGTERM after committing what it read. Exit status: 0 on a\n"
	"clean stop, 2 on usage, enrolment or start-up errors.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

#define MAX_TAIL_FLAGS 64

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'},  {"enroll", required_argument, NULL, 'e'},
		{"data", required_argument, NULL, 'd'},    {"config", required_argument, NULL, 'c'},
		{"tail", required_argument, NULL, 't'},    {"journal", no_argument, NULL, 'J'},
		{"hostname", required_argument, NULL, 'H'}, {"start-at-end", no_argument, NULL, 'E'},
		{"help-config", no_argument, NULL, 'K'},   {"print-config", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	const char *server = NULL, *token = NULL, *dir = NULL, *cfile = NULL, *hostname = NULL;
	const char *tails[MAX_TAIL_FLAGS];
	size_t ntails = 0;
	int journal = 0, start_at_end = 0, print = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'e': token = optarg; break;
		case 'd': dir = optarg; break;
		case 'c': cfile = optarg; break;
		case 't':
			if (ntails == MAX_TAIL_FLAGS)
				return vg_cli_usage_error(&vg_cmd_agent, "at most %d --tail patterns", MAX_TAIL_FLAGS);
			tails[ntails++] = optarg;
			break;
		case 'J': journal = 1; break;
		case 'H': hostname = optarg; break;
		case 'E': start_at_end = 1; break;
		case 'K': vg_config_help(vg_agent_config_keys, vg_agent_config_nkeys, stdout); return 0;
		case 'P': print = 1; break;
		case 'h': fputs(help, stdout); return 0;
		default: return vg_cli_usage_error(&vg_cmd_agent, "invalid option");
		}
	}
	if (optind != argc)
		return vg_cli_usage_error(&vg_cmd_agent, "unexpected operand '%s'", argv[optind]);

	vg_agent_config cfg;
	char why[512] = "";
	int r = vg_agent_config_load(&cfg, cfile, why, sizeof(why));
	if (r != 0) {
		fprintf(stderr, "vigil agent: %s\n", why[0] ? why : vg_err_str(r));
		return 2;
	}
	const vg_config_key *K = vg_agent_config_keys;
	size_t nk = vg_agent_config_nkeys;
	if ((server != NULL && (r = vg_config_set(K, nk, &cfg, "server", server, "--server", why, sizeof(why))) != 0) ||
	    (dir != NULL && (r = vg_config_set(K, nk, &cfg, "data_dir", dir, "--data", why, sizeof(why))) != 0) ||
	    (hostname != NULL &&
	     (r = vg_config_set(K, nk, &cfg, "hostname", hostname, "--hostname", why, sizeof(why))) != 0) ||
	    (journal && (r = vg_config_set(K, nk, &cfg, "journal.enabled", "true", "--journal", why, sizeof(why))) != 0) ||
	    (ntails > 0 && (r = vg_config_set_list(K, nk, &cfg, "tail", tails, ntails, "--tail", why, sizeof(why))) != 0) ||
	    (r = vg_agent_config_check(&cfg, why, sizeof(why))) != 0) {
		vg_agent_config_free(&cfg);
		return vg_cli_usage_error(&vg_cmd_agent, "%s", why);
	}
	if (print) {
		vg_config_dump(K, nk, &cfg, stdout);
		vg_agent_config_free(&cfg);
		return 0;
	}
	if (mkdir(cfg.data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "vigil agent: %s: %s\n", cfg.data_dir, strerror(errno));
		vg_agent_config_free(&cfg);
		return 2;
	}
	char crt[4096];
	snprintf(crt, sizeof(crt), "%s/agent.crt", cfg.data_dir);
	int enrolled = access(crt, F_OK) == 0;
	if (token != NULL && enrolled) {
		fprintf(stderr, "vigil agent: %s already holds a certificate; --enroll ignored "
				"(remove agent.crt to enrol again)\n", cfg.data_dir);
	} else if (token != NULL) {
		char id[VG_SENDER_ID_BUF] = "";
		r = vg_sender_enroll(cfg.server, cfg.data_dir, token, cfg.hostname, id, sizeof(id), why, sizeof(why));
		if (r != 0) {
			fprintf(stderr, "vigil agent: enrolment with %s failed: %s\n", cfg.server, why[0] ? why : vg_err_str(r));
			vg_agent_config_free(&cfg);
			return 2;
		}
		fprintf(stderr, "vigil agent: enrolled with %s as agent %s\n", cfg.server, id);
	} else if (!enrolled) {
		fprintf(stderr, "vigil agent: %s has no certificate: enrol first with --enroll TOKEN "
				"(from `vigil agents token` on the server)\n", cfg.data_dir);
		vg_agent_config_free(&cfg);
		return 2;
	}
	if (token != NULL)
		OPENSSL_cleanse((void *)token, strlen(token));

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	vg_agent_opts o = {
		.server = cfg.server,
		.dir = cfg.data_dir,
		.hostname = cfg.hostname,
		.tail = (const char *const *)cfg.tail.v,
		.ntail = cfg.tail.n,
		.journal = cfg.journal_enabled,
		.journal_dir = cfg.journal_directory,
		.heartbeat_us = cfg.heartbeat_interval_ms == 0 ? -1 : (int64_t)cfg.heartbeat_interval_ms * 1000,
		.queue_max_bytes = cfg.queue_max_bytes,
		.queue_segment_bytes = cfg.queue_segment_bytes,
		.queue_policy = cfg.queue_policy,
		.batch_events = (size_t)cfg.send_batch_events,
		.batch_bytes = (size_t)cfg.send_batch_bytes,
		.backoff_min_us = (int64_t)cfg.send_backoff_min_ms * 1000,
		.backoff_max_us = (int64_t)cfg.send_backoff_max_ms * 1000,
		.start_at_end = start_at_end,
	};
	r = vg_agent_run(&o, &stop_flag);
	vg_agent_config_free(&cfg);
	return r == 0 ? 0 : 2;
}

const vg_command vg_cmd_agent = {
	.name = "agent",
	.usage = "vigil agent --server HOST:PORT [--enroll TOKEN] [--data DIR] [-c FILE] [--tail GLOB]... [--journal]",
	.run = run,
};
