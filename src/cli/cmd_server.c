/* cmd_server.c — `vigil server`: collect syslog over UDP and TCP, detect,
 * archive, alerts to DIR/alerts.ndjson and the state database DIR/vigil.db
 * (no TLS, agents or HTTP API yet; see docs/server.md). One thread: the epoll loop, the ingest, the signals. */
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
#include "server/ingest.h"
#include "server/listen_syslog.h"
#include "store/db.h"

#define POLL_MS 50 /* a round at least this often: archive commits every 100 ms */

extern const vg_command vg_cmd_server;

static const char help[] =
	"usage: vigil server [--data DIR] [--listen-syslog ADDR:PORT] [-r RULES]...\n"
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

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'}, {"listen-syslog", required_argument, NULL, 'l'},
		{"rules", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char **rules = calloc((size_t)argc + 1, sizeof(*rules));
	size_t nrules = 0;
	const char *dir = VG_DEFAULT_DATA_DIR, *listen = VG_SYSLOG_DEFAULT_LISTEN;
	int c, status = 2, err = 0;
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
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "vigil server: listening for syslog on %s (udp, tcp); data in %s\n", listen, dir);
	status = 0;
	while (!got_stop) {
		if (vg_syslog_listener_poll(l, POLL_MS) != 0) {
			fprintf(stderr, "vigil server: epoll: %s\n", strerror(errno));
			status = 2;
			break;
		}
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
		"udp %llu datagrams, tcp %llu connections (%llu refused, %llu framing errors)\n",
		(unsigned long long)is.messages, (unsigned long long)is.unparsed, (unsigned long long)is.alerts,
		(unsigned long long)is.corr_alerts, (unsigned long long)is.db_errors,
		(unsigned long long)ls.udp_datagrams,
		(unsigned long long)ls.tcp_accepted, (unsigned long long)ls.tcp_refused,
		(unsigned long long)ls.tcp_frame_errors);
out:
	vg_syslog_listener_free(l);
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
	.usage = "vigil server [--data DIR] [--listen-syslog ADDR:PORT] [-r RULES]...",
	.run = run,
};
