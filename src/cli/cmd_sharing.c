/* cmd_sharing.c — `vigil sharing ...`: sharing with the national monitoring
 * centre, run on the server's host against its data directory: the public
 * key that verifies our signatures, destinations and their policies, the
 * status of each destination, and a one-shot flush of the outbox.
 * Until the .c files of src/share are part of vigil_core (CMakeLists.txt, with the
 * definition VG_WITH_SHARE), this file compiles to nothing, so that the
 * `vigil` binary keeps linking. */
#ifdef VG_WITH_SHARE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "net/pki.h"
#include "share/outbox.h"
#include "share/sender.h"
#include "share/sign.h"
#include "store/db.h"

extern const vg_command vg_cmd_sharing;

static const char help[] =
	"usage: vigil sharing pubkey [--data DIR]\n"
	"       vigil sharing status [--data DIR] [--json]\n"
	"       vigil sharing dest add [--data DIR] NAME CONFIG [POLICY]\n"
	"       vigil sharing dest list|remove [--data DIR] [NAME]\n"
	"       vigil sharing policy show|set [--data DIR] NAME [POLICY]\n"
	"       vigil sharing flush [--data DIR] [--timeout SECONDS]\n"
	"\n"
	"pubkey: print the Ed25519 public key (PEM) that verifies every payload this\n"
	"  installation shares (created with the key, DIR/share/signing.key, if absent).\n"
	"status: per destination: backlog, lag (age of the oldest unsent item), last\n"
	"  success, last error, items sent in the last hour and day, dropped items (seq gaps),\n"
	"  selected raw events not shared because of events.max_per_second.\n"
	"dest add: a destination; CONFIG is a JSON object or @FILE (docs/sharing.md), e.g.\n"
	"  '{\"sink\":\"syslog\",\"format\":\"cef\",\"address\":\"soc.example:6514\",\"ca\":\"/etc/vigil/nmc-ca.pem\"}'.\n"
	"  Sharing starts with the alerts stored from now on.\n"
	"policy set: replace a destination's sharing policy (JSON or @FILE).\n"
	"flush: select new alerts into the outbox and send every backlog now (not while\n"
	"  the server is sending: one sender per data directory).\n"
	"\n"
	"  --data DIR   the data directory of `vigil server` (default " VG_DEFAULT_DATA_DIR ")\n"
	"\n"
	"Exit status: 0 success; 1 flush left items unsent; 2 usage error or failure.\n";

typedef struct ctx {
	const char *dir;
	int json;
	long timeout;
	vg_db *db;
	vg_share_keys *keys;
	vg_outbox *ob;
} ctx;

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int options(int argc, char **argv, ctx *c)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (o) {
		case 'd': c->dir = optarg; break;
		case 'j': c->json = 1; break;
		case 't': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || v < 1 || v > 86400)
				return vg_cli_usage_error(&vg_cmd_sharing, "--timeout: '%s' is not 1..86400 seconds", optarg);
			c->timeout = v;
			break;
		}
		case 'h': fputs(help, stdout); return 1;
		default: return vg_cli_usage_error(&vg_cmd_sharing, "invalid option");
		}
	}
	return 0;
}

static void done(ctx *c)
{
	vg_outbox_close(c->ob);
	vg_share_keys_free(c->keys);
	vg_db_close(c->db);
}

/* Opens the database, the keys (created when absent) and the outbox. */
static int open_all(ctx *c)
{
	char why[512] = "";
	int err = 0;
	if ((c->db = vg_db_open(c->dir, NULL, &err, why, sizeof(why))) == NULL) {
		fprintf(stderr, "vigil: %s\n", why[0] ? why : vg_err_str(err));
		return 2;
	}
	if ((err = vg_share_keys_load(c->dir, 1, &c->keys, why, sizeof(why))) != 0) {
		fprintf(stderr, "vigil: %s\n", why[0] ? why : vg_err_str(err));
		done(c);
		return 2;
	}
	if ((c->ob = vg_outbox_open(c->db, c->keys, NULL, &err, why, sizeof(why))) == NULL) {
		fprintf(stderr, "vigil: %s: %s\n", c->dir, why[0] ? why : vg_err_str(err));
		done(c);
		return 2;
	}
	return 0;
}

/* An argument that is JSON text or @FILE; caller frees. */
static char *json_arg(const char *a, const char *what)
{
	if (a[0] != '@')
		return strdup(a);
	char *data = NULL;
	size_t len = 0;
	int r = vg_pki_file_read(a + 1, VG_SHARE_POLICY_MAX_BYTES, &data, &len);
	if (r != 0) {
		fprintf(stderr, "vigil: %s: %s: %s\n", what, a + 1, r == VG_ELIMIT ? "too large" : vg_err_str(r));
		return NULL;
	}
	return data;
}

static int cmd_pubkey(ctx *c)
{
	char why[512] = "";
	int r = vg_share_keys_load(c->dir, 1, &c->keys, why, sizeof(why));
	if (r != 0) {
		fprintf(stderr, "vigil: %s\n", why[0] ? why : vg_err_str(r));
		return 2;
	}
	char *pem = NULL;
	size_t len = 0;
	if ((r = vg_share_pubkey_pem(c->keys, &pem, &len)) == 0) {
		fwrite(pem, 1, len, stdout);
		free(pem);
	}
	vg_share_keys_free(c->keys);
	c->keys = NULL;
	return r == 0 ? 0 : 2;
}

static void print_ts(const char *label, json_t *v)
{
	printf("  %-14s %s\n", label, json_is_string(v) ? json_string_value(v) : "never");
}

static int cmd_status(ctx *c)
{
	int r = open_all(c);
	if (r != 0)
		return r;
	json_t *st = NULL;
	if ((r = vg_outbox_status(c->ob, now_us(), &st)) != 0) {
		fprintf(stderr, "vigil: sharing status: %s (%s)\n", vg_err_str(r), vg_outbox_errmsg(c->ob));
		done(c);
		return 2;
	}
	if (c->json) {
		char *s = json_dumps(st, JSON_INDENT(2));
		if (s)
			puts(s);
		free(s);
	} else {
		size_t i;
		json_t *d, *a = json_object_get(st, "destinations");
		printf("alerts high-water mark: %lld\n", (long long)json_integer_value(json_object_get(st, "alerts_hwm")));
		if (json_array_size(a) == 0)
			printf("no destinations (vigil sharing dest add ...)\n");
		json_array_foreach(a, i, d) {
			printf("%s (%s %s)%s\n", json_string_value(json_object_get(d, "name")),
			       json_string_value(json_object_get(d, "sink")), json_string_value(json_object_get(d, "peer")),
			       json_is_true(json_object_get(d, "enabled")) ? "" : " DISABLED");
			printf("  %-14s %lld items (max %lld)\n", "backlog",
			       (long long)json_integer_value(json_object_get(d, "backlog")),
			       (long long)json_integer_value(json_object_get(d, "max_items")));
			printf("  %-14s %.1f s\n", "lag", json_number_value(json_object_get(d, "lag_s")));
			printf("  %-14s %lld (acknowledged %lld)\n", "last seq",
			       (long long)json_integer_value(json_object_get(d, "last_seq")),
			       (long long)json_integer_value(json_object_get(d, "acked_seq")));
			print_ts("last success", json_object_get(d, "last_success"));
			json_t *le = json_object_get(d, "last_error");
			if (json_is_string(le))
				printf("  %-14s %s: %s (%lld consecutive failures)\n", "last error",
				       json_string_value(json_object_get(d, "last_error_at")), json_string_value(le),
				       (long long)json_integer_value(json_object_get(d, "failures")));
			printf("  %-14s %lld in the last hour, %lld in the last day\n", "sent",
			       (long long)json_integer_value(json_object_get(d, "sent_1h")),
			       (long long)json_integer_value(json_object_get(d, "sent_24h")));
			long long dropped = (long long)json_integer_value(json_object_get(d, "dropped"));
			printf("  %-14s %lld%s\n", "dropped/gaps", dropped, dropped ? "  (OUTBOX WAS FULL)" : "");
			long long thr = (long long)json_integer_value(json_object_get(d, "events_throttled"));
			printf("  %-14s %lld%s\n", "events over rate", thr,
			       thr ? "  (selected raw events over events.max_per_second, not shared)" : "");
		}
	}
	json_decref(st);
	done(c);
	return 0;
}

static int cmd_dest(ctx *c, int argc, char **argv)
{
	if (optind >= argc)
		return vg_cli_usage_error(&vg_cmd_sharing, "dest: add, list or remove?");
	const char *sub = argv[optind++];
	int nargs = argc - optind;
	if (strcmp(sub, "list") == 0 ? nargs != 0
	    : strcmp(sub, "remove") == 0 ? nargs != 1
	    : strcmp(sub, "add") == 0    ? (nargs < 2 || nargs > 3)
					 : 1)
		return vg_cli_usage_error(&vg_cmd_sharing, "dest %s: wrong operands", sub);
	int r = open_all(c);
	if (r != 0)
		return r;
	char why[512] = "";
	if (strcmp(sub, "list") == 0) {
		json_t *l = NULL;
		if ((r = vg_outbox_dests(c->ob, &l)) == 0) {
			char *s = json_dumps(l, JSON_INDENT(2));
			if (s)
				puts(s);
			free(s);
			json_decref(l);
		}
	} else if (strcmp(sub, "remove") == 0) {
		r = vg_outbox_dest_remove(c->ob, argv[optind]);
		snprintf(why, sizeof(why), "%s", r == VG_ENOTFOUND ? "no such destination" : vg_outbox_errmsg(c->ob));
	} else {
		char *cfg = json_arg(argv[optind + 1], "config");
		char *pol = nargs == 3 ? json_arg(argv[optind + 2], "policy") : NULL;
		if (cfg == NULL || (nargs == 3 && pol == NULL))
			r = VG_EINVAL;
		else
			r = vg_outbox_dest_add(c->ob, argv[optind], cfg, pol, why, sizeof(why));
		free(cfg);
		free(pol);
	}
	if (r != 0)
		fprintf(stderr, "vigil: sharing dest %s: %s\n", sub, why[0] ? why : vg_err_str(r));
	done(c);
	return r == 0 ? 0 : 2;
}

static int cmd_policy(ctx *c, int argc, char **argv)
{
	if (optind >= argc)
		return vg_cli_usage_error(&vg_cmd_sharing, "policy: show or set?");
	const char *sub = argv[optind++];
	int show = strcmp(sub, "show") == 0;
	if (!(show && argc - optind == 1) && !(strcmp(sub, "set") == 0 && argc - optind == 2))
		return vg_cli_usage_error(&vg_cmd_sharing, "policy %s: wrong operands", sub);
	int r = open_all(c);
	if (r != 0)
		return r;
	char why[512] = "";
	const char *name = argv[optind];
	if (show) {
		json_t *l = NULL, *e, *found = NULL;
		size_t i;
		if ((r = vg_outbox_dests(c->ob, &l)) == 0) {
			json_array_foreach(l, i, e) {
				if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
					found = json_object_get(e, "policy");
			}
			char *s = found ? json_dumps(found, JSON_INDENT(2)) : NULL;
			if (s)
				puts(s);
			else
				r = VG_ENOTFOUND, snprintf(why, sizeof(why), "no destination '%s'", name);
			free(s);
			json_decref(l);
		}
	} else {
		char *pol = json_arg(argv[optind + 1], "policy");
		r = pol ? vg_outbox_policy_set(c->ob, name, pol, why, sizeof(why)) : VG_EINVAL;
		free(pol);
	}
	if (r != 0)
		fprintf(stderr, "vigil: sharing policy %s: %s\n", sub, why[0] ? why : vg_err_str(r));
	done(c);
	return r == 0 ? 0 : 2;
}

static int cmd_flush(ctx *c)
{
	int r = open_all(c), lock = -1;
	if (r != 0)
		return r;
	if (vg_share_sender_lock(c->dir, &lock) != 0) {
		fprintf(stderr, "vigil: sharing flush: %s/share/sender.lock: %s\n", c->dir,
			errno == EWOULDBLOCK ? "another sender (the server?) is running" : strerror(errno));
		done(c);
		return 2;
	}
	vg_outbox_counts oc;
	uint64_t queued = 0, dropped = 0;
	do {
		if ((r = vg_outbox_enqueue_alerts(c->ob, now_us(), &oc)) != 0) {
			fprintf(stderr, "vigil: sharing flush: outbox: %s (%s)\n", vg_err_str(r), vg_outbox_errmsg(c->ob));
			goto out;
		}
		queued += oc.queued;
		dropped += oc.dropped;
	} while (oc.scanned > 0);
	int err = 0;
	vg_share_sender *s = vg_share_sender_new(c->ob, c->keys, &err);
	if (s == NULL) {
		r = err;
		goto out;
	}
	vg_share_sender_stats st;
	r = vg_share_sender_run(s, now_us(), c->timeout * 1000000, 1, &st);
	vg_share_sender_free(s);
	if (r != 0) {
		fprintf(stderr, "vigil: sharing flush: outbox: %s (%s)\n", vg_err_str(r), vg_outbox_errmsg(c->ob));
		goto out;
	}
	printf("queued %llu, sent %llu, dropped %llu, destinations with a backlog %zu\n", (unsigned long long)queued,
	       (unsigned long long)st.sent, (unsigned long long)dropped, st.pending);
	r = st.pending > 0 || st.failures > 0 ? 1 : 0;
out:
	close(lock);
	done(c);
	return r < 0 ? 2 : r;
}

static int run(int argc, char **argv)
{
	ctx c = {.dir = VG_DEFAULT_DATA_DIR, .timeout = 60};
	if (argc < 2)
		return vg_cli_usage_error(&vg_cmd_sharing, "which subcommand? (pubkey, status, dest, policy, flush)");
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(help, stdout);
		return 0;
	}
	int r = options(argc - 1, argv + 1, &c);
	if (r != 0)
		return r == 1 ? 0 : r;
	optind += 1; /* index into argv, not argv + 1 */
	if (strcmp(sub, "pubkey") == 0 || strcmp(sub, "status") == 0 || strcmp(sub, "flush") == 0) {
		if (optind != argc)
			return vg_cli_usage_error(&vg_cmd_sharing, "%s takes no operand", sub);
		return sub[0] == 'p' ? cmd_pubkey(&c) : sub[0] == 's' ? cmd_status(&c) : cmd_flush(&c);
	}
	if (strcmp(sub, "dest") == 0)
		return cmd_dest(&c, argc, argv);
	if (strcmp(sub, "policy") == 0)
		return cmd_policy(&c, argc, argv);
	return vg_cli_usage_error(&vg_cmd_sharing, "unknown subcommand '%s'", sub);
}

const vg_command vg_cmd_sharing = {
	.name = "sharing",
	.usage = "vigil sharing pubkey|status|flush [--data DIR] | vigil sharing dest add|list|remove ... | "
		 "vigil sharing policy show|set ...",
	.run = run,
};
#else
typedef int vg_cmd_sharing_not_built; /* ISO C: no empty translation unit */
#endif
