/* cmd_server.c — `vigil server`: collect syslog over UDP, TCP and TLS, detect,
 * archive, alerts to DIR/alerts.ndjson and the state database DIR/vigil.db
 * (no agents or HTTP API yet; see docs/server.md). One thread: the epoll loop, the ingest, the signals. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "detect/rulepack.h"
#include "net/pki.h"
#include "net/tls.h"
#include "server/ingest.h"
#include "server/listen_syslog.h"
#include "store/db.h"

#define POLL_MS 50 /* a round at least this often: archive commits every 100 ms */
#define TLS_FAIL_LOG_US (10 * 1000000) /* failed TLS handshakes: one line per 10 s at most */

extern const vg_command vg_cmd_server;

static const char help[] =
	"usage: vigil server [--data DIR] [--listen-syslog ADDR:PORT]\n"
	"                    [--listen-syslog-tls ADDR:PORT [--syslog-tls-require-client-cert]]\n"
	"                    [-r RULES]...\n"
	"\n"
	"Receive syslog, parse and normalise every message, run the Sigma rules and\n"
	"correlation rules over it, append it to the event archive (DIR/archive,\n"
	"read with `vigil events export`) and append alerts to DIR/alerts.ndjson\n"
	"and the state database DIR/vigil.db (SQLite; `vigil alerts export`).\n"
	"\n"
	"  --data DIR                 state directory, created 0700 if missing\n"
	"                             (default " VG_DEFAULT_DATA_DIR ")\n"
	"  --listen-syslog ADDR:PORT  syslog over UDP and TCP on the same port (TCP:\n"
	"                             LF or RFC 6587 octet-counted framing); IPv6 as\n"
	"                             [ADDR]:PORT (default " VG_SYSLOG_DEFAULT_LISTEN ")\n"
	"  --listen-syslog-tls ADDR:PORT\n"
	"                             also syslog over TLS 1.3 (RFC 5425, octet-counted\n"
	"                             or LF framing); off by default. The server's CA\n"
	"                             and certificate are created in DIR/pki if missing;\n"
	"                             senders trust DIR/pki/ca.crt\n"
	"  --syslog-tls-require-client-cert\n"
	"                             refuse TLS senders without a certificate from\n"
	"                             vigil's CA (default: optional; one presented must\n"
	"                             be valid and not revoked)\n"
	"  -r, --rules PATH           Sigma rule file or directory (repeatable);\n"
	"                             default: the built-in rule pack\n"
	"\n"
	"Signals: SIGTERM/SIGINT commit the archive and exit 0; SIGHUP reloads the\n"
	"rules (on failure the old rules stay in use). See docs/server.md.\n"
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

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A compiled engine from the rule paths (or the built-in pack), or NULL with
 * the reason printed. */
static vg_engine *load_rules(const char *const *rules, size_t nrules)
{
	vg_reject_log log = {.f = stderr};
	vg_engine *e = vg_engine_new();
	if (e == NULL) {
		fprintf(stderr, "vigil server: out of memory\n");
		return NULL;
	}
	int rc = 0;
	if (nrules == 0)
		rc = vg_rulepack_load(e, vg_cli_reject, &log);
	for (size_t i = 0; i < nrules && rc == 0; i++)
		if ((rc = vg_engine_load_path(e, rules[i], vg_cli_reject, &log)) != 0)
			fprintf(stderr, "vigil server: %s: cannot read rules: %s\n", rules[i],
				rc == VG_EIO ? strerror(errno) : vg_err_str(rc));
	if (rc == 0 && (rc = vg_engine_compile(e, vg_cli_reject, &log)) != 0)
		fprintf(stderr, "vigil server: compiling rules: %s\n", vg_err_str(rc));
	if (rc != 0) {
		vg_engine_free(e);
		return NULL;
	}
	fprintf(stderr, "vigil server: %zu rules loaded, %zu rejected\n", vg_engine_loaded(e), vg_engine_rejected(e));
	return e;
}

/* mkdir -p, mode 0700 for what it creates */
static int make_dir(const char *dir)
{
	struct stat st;
	char tmp[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, dir, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		tmp[i] = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* The TLS input: DIR/pki's CA (created if missing), a server certificate
 * for localhost, this host's name and the listen address (issued or renewed
 * when needed), a server context and the listening socket. 0, or -1 with the
 * reason printed and *status set. */
static int setup_tls(const char *dir, const char *addr, int client_auth, vg_syslog_listener *l,
		     vg_pki_ca **ca, vg_tls_ctx **tls, int *status)
{
	char why[512], host[64] = "";
	const char *names[1];
	size_t nnames = 0;
	/* a specific listen address also goes into the certificate; wildcards do not */
	const char *h = addr[0] == '[' ? addr + 1 : addr;
	const char *end = addr[0] == '[' ? strchr(h, ']') : strrchr(h, ':');
	if (end != NULL && (size_t)(end - h) < sizeof(host)) {
		memcpy(host, h, (size_t)(end - h));
		host[end - h] = '\0';
	}
	if (host[0] != '\0' && strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0)
		names[nnames++] = host;
	int r = vg_pki_init_ca(dir, ca, why, sizeof(why));
	if (r == 0)
		r = vg_pki_server_cert(*ca, names, nnames, why, sizeof(why));
	if (r == 0)
		r = vg_tls_server_from_pki(*ca, client_auth, tls, why, sizeof(why));
	if (r != 0) {
		fprintf(stderr, "vigil server: TLS: %s\n", why);
		return -1;
	}
	if ((r = vg_syslog_listener_add_tls(l, addr, *tls)) != 0) {
		if (r == VG_EINVAL)
			*status = vg_cli_usage_error(&vg_cmd_server, "--listen-syslog-tls: '%s' is not ADDR:PORT", addr);
		else
			fprintf(stderr, "vigil server: listen on %s: %s\n", addr, strerror(errno));
		return -1;
	}
	return 0;
}

/* Says why TLS handshakes fail (a sender on TLS 1.2, without the CA...), at
 * most once per TLS_FAIL_LOG_US so that a scan cannot flood stderr. */
static void log_tls_failures(const vg_syslog_listener *l, uint64_t *logged, int64_t *at)
{
	vg_syslog_listener_stats st;
	vg_syslog_listener_stats_get(l, &st);
	int64_t now = mono_us();
	if (st.tls_handshake_failures == *logged || (*at != 0 && now - *at < TLS_FAIL_LOG_US))
		return;
	fprintf(stderr, "vigil server: TLS input: %s (%llu failed handshakes since the last report)\n",
		vg_syslog_listener_tls_failure(l), (unsigned long long)(st.tls_handshake_failures - *logged));
	*logged = st.tls_handshake_failures;
	*at = now;
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'}, {"listen-syslog", required_argument, NULL, 'l'},
		{"rules", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
		{"listen-syslog-tls", required_argument, NULL, 't'},
		{"syslog-tls-require-client-cert", no_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	const char **rules = calloc((size_t)argc + 1, sizeof(*rules));
	size_t nrules = 0;
	const char *dir = VG_DEFAULT_DATA_DIR, *listen = VG_SYSLOG_DEFAULT_LISTEN, *listen_tls = NULL;
	int c, status = 2, err = 0, client_auth = VG_TLS_CLIENT_OPTIONAL;
	vg_pki_ca *ca = NULL;
	vg_tls_ctx *tls = NULL;
	vg_engine *e = NULL;
	vg_ingest *g = NULL;
	vg_db *db = NULL;
	vg_syslog_listener *l = NULL;
	if (rules == NULL)
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'l': listen = optarg; break;
		case 'r': rules[nrules++] = optarg; break;
		case 't': listen_tls = optarg; break;
		case 'C': client_auth = VG_TLS_CLIENT_REQUIRED; break;
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
	if (client_auth == VG_TLS_CLIENT_REQUIRED && listen_tls == NULL) {
		status = vg_cli_usage_error(&vg_cmd_server, "--syslog-tls-require-client-cert needs --listen-syslog-tls");
		goto out;
	}
	if (make_dir(dir) != 0) {
		fprintf(stderr, "vigil server: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	if ((e = load_rules(rules, nrules)) == NULL)
		goto out;
	char why[512];
	if ((db = vg_db_open(dir, NULL, &err, why, sizeof(why))) == NULL) {
		fprintf(stderr, "vigil server: state database: %s\n", why);
		goto out;
	}
	if ((g = vg_ingest_new(dir, e, &err)) == NULL) {
		fprintf(stderr, "vigil server: %s: %s\n", dir, err == VG_EIO ? strerror(errno) : vg_err_str(err));
		goto out;
	}
	vg_ingest_set_db(g, db);
	if ((l = vg_syslog_listener_new(listen, g, &err)) == NULL) {
		if (err == VG_EINVAL)
			status = vg_cli_usage_error(&vg_cmd_server, "--listen-syslog: '%s' is not ADDR:PORT", listen);
		else
			fprintf(stderr, "vigil server: listen on %s: %s\n", listen,
				err == VG_EIO ? strerror(errno) : vg_err_str(err));
		goto out;
	}
	if (listen_tls != NULL && setup_tls(dir, listen_tls, client_auth, l, &ca, &tls, &status) != 0)
		goto out;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (listen_tls != NULL)
		fprintf(stderr, "vigil server: listening for syslog over TLS on %s (client certificate %s)\n",
			listen_tls, client_auth == VG_TLS_CLIENT_REQUIRED ? "required" : "optional");
	fprintf(stderr, "vigil server: listening for syslog on %s (udp, tcp); data in %s\n", listen, dir);
	status = 0;
	uint64_t tls_failed_logged = 0;
	int64_t tls_failed_at = 0;
	while (!got_stop) {
		if (vg_syslog_listener_poll(l, POLL_MS) != 0) {
			fprintf(stderr, "vigil server: epoll: %s\n", strerror(errno));
			status = 2;
			break;
		}
		if (listen_tls != NULL)
			log_tls_failures(l, &tls_failed_logged, &tls_failed_at);
		int rc = vg_ingest_tick(g, mono_us());
		if (rc != 0)
			fprintf(stderr, "vigil server: archive or database commit failed: %s (events or alerts lost)\n",
				rc == VG_EIO ? strerror(errno) : vg_err_str(rc));
		if (got_hup) {
			got_hup = 0;
			fprintf(stderr, "vigil server: SIGHUP: reloading rules\n");
			vg_engine *ne = load_rules(rules, nrules);
			if (ne == NULL || vg_ingest_set_engine(g, ne) != 0) {
				fprintf(stderr, "vigil server: reload failed; keeping the current rules\n");
				vg_engine_free(ne);
			} else {
				vg_engine_free(e);
				e = ne;
			}
		}
	}
	vg_syslog_listener_stats ls;
	vg_syslog_listener_stats_get(l, &ls);
	vg_syslog_listener_free(l); /* delivers the open connections' last lines */
	l = NULL;
	vg_ingest_stats is;
	vg_ingest_stats_get(g, &is);
	fprintf(stderr,
		"vigil server: stopping: %llu events (%llu unparsed), %llu alerts, %llu correlation alerts "
		"(%llu not stored in the database); "
		"udp %llu datagrams, tcp %llu connections (%llu refused, %llu framing errors); "
		"tls %llu connections (%llu handshakes failed, %llu of them timed out; %llu TLS errors)\n",
		(unsigned long long)is.messages, (unsigned long long)is.unparsed, (unsigned long long)is.alerts,
		(unsigned long long)is.corr_alerts, (unsigned long long)is.db_errors,
		(unsigned long long)ls.udp_datagrams,
		(unsigned long long)ls.tcp_accepted, (unsigned long long)ls.tcp_refused,
		(unsigned long long)ls.tcp_frame_errors, (unsigned long long)ls.tls_accepted,
		(unsigned long long)ls.tls_handshake_failures, (unsigned long long)ls.tls_handshake_timeouts,
		(unsigned long long)ls.tls_errors);
out:
	vg_syslog_listener_free(l);
	vg_tls_ctx_free(tls); /* after its connections */
	vg_pki_ca_free(ca);   /* after the context that checks revocation with it */
	if (g != NULL) {
		int rc = vg_ingest_free(g);
		if (rc != 0) {
			fprintf(stderr, "vigil server: final archive commit failed: %s\n", vg_err_str(rc));
			status = 2;
		}
	}
	vg_db_close(db);
	vg_engine_free(e);
	free(rules);
	return status;
}

const vg_command vg_cmd_server = {
	.name = "server",
	.summary = "collect syslog, detect, archive events and alerts",
	.usage = "vigil server [--data DIR] [--listen-syslog ADDR:PORT] [--listen-syslog-tls ADDR:PORT] [-r RULES]...",
	.run = run,
};
