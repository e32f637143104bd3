/* cmd_agents.c — `vigil agents token|revoke`: the server-side half of agent
 * enrolment, run on the server's host against its data directory: one-time
 * enrolment tokens, and revocation of an agent's certificates. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "net/enroll.h"
#include "net/pki.h"

static const char help[] =
	"usage: vigil agents token [--data DIR | --server URL] [--ttl SECONDS]\n"
	"       vigil agents revoke [--data DIR | --server URL] AGENT_ID\n"
	"\n"
	"token: print a one-time enrolment token for `vigil agent --enroll TOKEN`.\n"
	"  Only a hash of its secret is stored (DIR/pki/tokens, mode 0600); it can\n"
	"  be redeemed once, before it expires (--ttl, default 86400 s). Creates the\n"
	"  server's private CA (DIR/pki) if it does not exist yet.\n"
	"revoke: revoke every certificate issued to AGENT_ID (DIR/pki/revoked);\n"
	"  the agent is refused at its next TLS handshake.\n"
	"\n"
	"  --data DIR   on the server's host: act on its data directory directly\n"
	"               (default " VG_DEFAULT_DATA_DIR ")\n"
	"  --server URL elsewhere: ask the server's API (an admin token: --token,\n"
	"               $VIGIL_TOKEN or ~/.config/vigil/token; its CA: --cacert or\n"
	"               $VIGIL_CACERT); $VIGIL_URL also selects the API\n"
	"\n"
	"Exit status: 0 success, 2 usage error, unknown agent, or I/O error.\n";

/* Options shared by both subcommands; *rest gets the first operand index. */
static vg_client_opts copts;
static int use_api, data_given;

static int options(int argc, char **argv, const char **dir, long *ttl)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},
		{"ttl", required_argument, NULL, 't'},
		{"server", required_argument, NULL, 0x1001},
		{"token", required_argument, NULL, 0x1002},
		{"cacert", required_argument, NULL, 0x1003},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			*dir = optarg;
			data_given = 1;
			break;
		case 0x1001:
		case 0x1002:
		case 0x1003:
			(void)vg_client_opt(&copts, c, optarg);
			use_api |= c == 0x1001;
			break;
		case 't': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (ttl == NULL || errno != 0 || *end != '\0' || end == optarg || v < 60 || v > 30L * 86400)
				return vg_cli_usage_error(&vg_cmd_agents, "--ttl: '%s' is not a number of seconds from 60 to 2592000",
							  optarg);
			*ttl = v;
			break;
		}
		case 'h': fputs(help, stdout); return 1;
		default: return vg_cli_usage_error(&vg_cmd_agents, "invalid option");
		}
	}
	if (!data_given && getenv("VIGIL_URL") != NULL)
		use_api = 1;
	if (use_api && data_given)
		return vg_cli_usage_error(&vg_cmd_agents, "--data and --server exclude each other");
	return 0;
}

/* METHOD path with body through the API; prints the answer's field `key`
 * (token) or a summary. Exit status. */
static int via_api(const char *method, const char *path, json_t *body, const char *key)
{
	char why[512] = "";
	vg_client *cl = vg_client_new(&copts, why, sizeof(why));
	if (cl == NULL) {
		fprintf(stderr, "vigil: %s\n", why);
		json_decref(body);
		return 2;
	}
	long status = 0;
	json_t *ans = NULL;
	int r = vg_client_call(cl, method, path, body, &status, &ans, why, sizeof(why));
	json_decref(body);
	vg_client_free(cl);
	if (r != 0) {
		fprintf(stderr, "vigil: %s\n", why);
		return 2;
	}
	if (status < 200 || status > 299) {
		int rc = vg_client_report(status, ans);
		json_decref(ans);
		return rc;
	}
	json_t *v = json_object_get(ans, key);
	if (json_is_string(v))
		printf("%s\n", json_string_value(v));
	else if (json_is_integer(v))
		printf("revoked %lld certificate(s) of agent %s\n", (long long)json_integer_value(v),
		       json_string_value(json_object_get(ans, "agent")));
	json_decref(ans);
	return fflush(stdout) == 0 ? 0 : 2;
}

static int token(int argc, char **argv)
{
	const char *dir = VG_DEFAULT_DATA_DIR;
	long ttl = VG_ENROLL_TTL;
	int r = options(argc, argv, &dir, &ttl);
	if (r != 0)
		return r == 1 ? 0 : r;
	if (optind != argc)
		return vg_cli_usage_error(&vg_cmd_agents, "token takes no operand");
	if (use_api)
		return via_api("POST", "/api/v1/agents/tokens", json_pack("{s:I}", "ttl", (json_int_t)ttl), "token");
	char why[256] = "";
	vg_pki_ca *ca = NULL;
	if ((r = vg_pki_init_ca(dir, &ca, why, sizeof(why))) != 0) {
		fprintf(stderr, "vigil: %s/pki: %s\n", dir, why[0] ? why : vg_err_str(r));
		return 2;
	}
	vg_pki_ca_free(ca);
	char tok[VG_ENROLL_TOKEN_BUF];
	if ((r = vg_enroll_token_new(dir, ttl, time(NULL), tok)) != 0) {
		fprintf(stderr, "vigil: %s/pki/tokens: %s\n", dir, vg_err_str(r));
		return 2;
	}
	printf("%s\n", tok);
	OPENSSL_cleanse(tok, sizeof(tok));
	return fflush(stdout) == 0 ? 0 : 2;
}

static int revoke(int argc, char **argv)
{
	const char *dir = VG_DEFAULT_DATA_DIR;
	int r = options(argc, argv, &dir, NULL);
	if (r != 0)
		return r == 1 ? 0 : r;
	if (optind + 1 != argc)
		return vg_cli_usage_error(&vg_cmd_agents, "revoke takes one AGENT_ID");
	const char *id = argv[optind];
	if (!vg_pki_id_valid(id, strlen(id)))
		return vg_cli_usage_error(&vg_cmd_agents, "'%s' is not an agent id ([A-Za-z0-9._-], at most %d bytes)", id,
					  VG_PKI_MAX_ID);
	if (use_api) {
		char path[160];
		snprintf(path, sizeof(path), "/api/v1/agents/%s/revoke", id);
		return via_api("POST", path, json_object(), "revoked");
	}
	char why[256] = "";
	vg_pki_ca *ca = NULL;
	if ((r = vg_pki_init_ca(dir, &ca, why, sizeof(why))) != 0) {
		fprintf(stderr, "vigil: %s/pki: %s\n", dir, why[0] ? why : vg_err_str(r));
		return 2;
	}
	size_t count = 0;
	r = vg_pki_revoke_agent(ca, id, &count);
	vg_pki_ca_free(ca);
	if (r == VG_ENOTFOUND) {
		fprintf(stderr, "vigil: no certificate was issued to agent '%s' (%s/pki/issued)\n", id, dir);
		return 2;
	}
	if (r != 0) {
		fprintf(stderr, "vigil: %s/pki/revoked: %s\n", dir, vg_err_str(r));
		return 2;
	}
	printf("revoked %zu certificate%s of agent %s\n", count, count == 1 ? "" : "s", id);
	return 0;
}

static int run(int argc, char **argv)
{
	if (argc < 2)
		return vg_cli_usage_error(&vg_cmd_agents, "missing subcommand (token or revoke)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(help, stdout);
		return 0;
	}
	if (strcmp(argv[1], "token") == 0)
		return token(argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return revoke(argc - 1, argv + 1);
	return vg_cli_usage_error(&vg_cmd_agents, "unknown subcommand '%s' (token or revoke)", argv[1]);
}

const vg_command vg_cmd_agents = {
	.name = "agents",
	.usage = "vigil agents token [--data DIR] [--ttl SECONDS] | vigil agents revoke [--data DIR] AGENT_ID",
	.run = run,
};
