/* test_outbox.c — the sharing outbox: alerts selected per destination by
 * policy, numbered 1, 2, 3... in order with stable ids; acknowledgements
 * remove exactly what was acknowledged; history before the first start is
 * not replayed; the bound refuses and counts (seq gaps, stderr); a crash in
 * the middle of an enqueue transaction (a killed child) loses nothing and
 * duplicates nothing; incidents join the caller's transaction; heartbeats
 * follow their interval; destination and policy validation. */
#ifdef VG_WITH_SHARE /* defined once src/share is in vigil_core (see docs/sharing.md) */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "share/outbox.h"
#include "share/sign.h"
#include "store/db.h"

#define NOW 1763719200000000LL

static char dir[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

typedef struct fx {
	vg_db *db;
	vg_share_keys *keys;
	vg_outbox *ob;
} fx;

static void fx_open(fx *f)
{
	int err = 0;
	char why[256] = "";
	f->db = vg_db_open(dir, NULL, &err, why, sizeof(why));
	if (f->db == NULL)
		fail_msg("db: %s", why);
	assert_int_equal(vg_share_keys_load(dir, 1, &f->keys, why, sizeof(why)), 0);
	vg_outbox_opts o = {.origin = "org-test"};
	f->ob = vg_outbox_open(f->db, f->keys, &o, &err, why, sizeof(why));
	if (f->ob == NULL)
		fail_msg("outbox: %s", why);
}

static void fx_close(fx *f)
{
	vg_outbox_close(f->ob);
	vg_share_keys_free(f->keys);
	vg_db_close(f->db);
	memset(f, 0, sizeof(*f));
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vg_test_outbox.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static const char cfg[] = "{\"sink\":\"syslog\",\"address\":\"127.0.0.1:6514\",\"ca\":\"/nonexistent/ca.crt\"}";

static void add_dest(fx *f, const char *name, const char *config, const char *policy)
{
	char why[256] = "";
	if (vg_outbox_dest_add(f->ob, name, config, policy, why, sizeof(why)) != 0)
		fail_msg("dest add %s: %s", name, why);
}

static void add_alert(fx *f, int i, const char *level)
{
	char doc[512];
	snprintf(doc, sizeof(doc),
		 "{\"@timestamp\":\"2025-11-21T10:00:00Z\",\"host\":{\"name\":\"web-%d\"},\"user\":{\"name\":\"u%d\"},"
		 "\"rule\":{\"id\":\"r%d\",\"title\":\"t\",\"level\":\"%s\",\"tags\":[\"attack.t1110\"]}}",
		 i % 3, i, i, level);
	vg_db_alert alert = {.ts_us = NOW + i, .rule_id = "r", .level = level, .host = "web-1", .doc = doc,
			     .doc_len = strlen(doc)};
	assert_int_equal(vg_db_alert_insert(f->db, &alert), 0);
}

static size_t peek(fx *f, const char *dest, vg_outbox_item **items)
{
	size_t n = 0;
	assert_int_equal(vg_outbox_peek(f->ob, dest, 1000, 1 << 24, items, &n), 0);
	return n;
}

static json_t *dest_status(fx *f, const char *name)
{
	json_t *st = NULL, *d;
	size_t i;
	assert_int_equal(vg_outbox_status(f->ob, NOW + 5000000, &st), 0);
	json_array_foreach(json_object_get(st, "destinations"), i, d) {
		if (strcmp(json_string_value(json_object_get(d, "name")), name) == 0) {
			json_incref(d);
			json_decref(st);
			return d;
		}
	}
	json_decref(st);
	fail_msg("no status for %s", name);
	return NULL;
}

static long long status_int(fx *f, const char *name, const char *key)
{
	json_t *d = dest_status(f, name);
	long long v = (long long)json_integer_value(json_object_get(d, key));
	json_decref(d);
	return v;
}

static void test_order_and_ack(void **state)
{
	(void)state;
	fx f;
	int err;
	char why[256];
	/* an alert stored before sharing was set up: never shared */
	f.db = vg_db_open(dir, NULL, &err, why, sizeof(why));
	assert_non_null(f.db);
	add_alert(&f, 0, "low");
	vg_db_close(f.db);
	fx_open(&f);
	add_dest(&f, "all", cfg, NULL);
	add_dest(&f, "high", cfg, "{\"min_level\":\"high\"}");
	for (int i = 1; i <= 6; i++)
		add_alert(&f, i, i % 2 ? "low" : "high");
	vg_outbox_counts c;
	assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
	assert_int_equal(c.scanned, 6);
	assert_int_equal(c.queued, 9);
	assert_int_equal(c.dropped, 0);
	assert_int_equal(c.hwm, 7); /* alert ids 1..7; id 1 was the old one */

	vg_outbox_item *it;
	size_t n = peek(&f, "all", &it);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "alert-%zu", i + 2);
		assert_int_equal(it[i].seq, (int64_t)i + 1);
		assert_string_equal(it[i].item_id, want);
		assert_string_equal(it[i].kind, "alert");
		json_t *p = json_loads(it[i].payload, 0, NULL);
		assert_non_null(p);
		assert_string_equal(json_string_value(json_object_get(p, "id")), want);
		assert_int_equal(json_integer_value(json_object_get(p, "seq")), (json_int_t)i + 1);
		assert_string_equal(json_string_value(json_object_get(p, "origin")), "org-test");
		assert_non_null(json_object_get(json_object_get(p, "data"), "rule"));
		json_decref(p);
	}
	vg_outbox_items_free(it, n);
	n = peek(&f, "high", &it);
	assert_int_equal(n, 3);
	assert_string_equal(it[0].item_id, "alert-3");
	assert_string_equal(it[2].item_id, "alert-7");
	assert_int_equal(it[2].seq, 3);
	vg_outbox_items_free(it, n);

	/* peek honours max and max_bytes (always at least one item) */
	assert_int_equal(vg_outbox_peek(f.ob, "all", 2, 1 << 24, &it, &n), 0);
	assert_int_equal(n, 2);
	vg_outbox_items_free(it, n);
	assert_int_equal(vg_outbox_peek(f.ob, "all", 100, 1, &it, &n), 0);
	assert_int_equal(n, 1);
	vg_outbox_items_free(it, n);

	assert_int_equal(vg_outbox_ack(f.ob, "all", 4, 4, NOW + 1000000), 0);
	n = peek(&f, "all", &it);
	assert_int_equal(n, 2);
	assert_int_equal(it[0].seq, 5);
	assert_string_equal(it[0].item_id, "alert-6");
	vg_outbox_items_free(it, n);
	assert_int_equal(status_int(&f, "all", "backlog"), 2);
	assert_int_equal(status_int(&f, "all", "acked_seq"), 4);
	assert_int_equal(status_int(&f, "all", "last_seq"), 6);
	assert_int_equal(status_int(&f, "all", "sent_1h"), 4);
	assert_int_equal(status_int(&f, "all", "sent_24h"), 4);
	assert_int_equal(status_int(&f, "high", "backlog"), 3);
	assert_int_equal(status_int(&f, "high", "sent_1h"), 0);
	json_t *d = dest_status(&f, "all");
	assert_true(json_is_string(json_object_get(d, "last_success")));
	assert_true(json_real_value(json_object_get(d, "lag_s")) > 4.9);
	assert_string_equal(json_string_value(json_object_get(d, "sink")), "syslog-json");
	json_decref(d);

	/* failures are recorded and cleared by the next success */
	assert_int_equal(vg_outbox_fail(f.ob, "all", "connect: refused", NOW + 2000000), 0);
	assert_int_equal(vg_outbox_fail(f.ob, "all", "connect: refused", NOW + 3000000), 0);
	assert_int_equal(status_int(&f, "all", "failures"), 2);
	assert_int_equal(vg_outbox_fail(f.ob, "nope", "x", NOW), VG_ENOTFOUND);
	assert_int_equal(vg_outbox_ack(f.ob, "all", 6, 2, NOW + 4000000), 0);
	assert_int_equal(status_int(&f, "all", "failures"), 0);
	assert_int_equal(status_int(&f, "all", "backlog"), 0);

	/* nothing new: nothing selected twice */
	assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
	assert_int_equal(c.scanned, 0);
	assert_int_equal(c.queued, 0);
	fx_close(&f);
}

static void test_bound(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	add_dest(&f, "small",
		 "{\"sink\":\"syslog\",\"address\":\"127.0.0.1:6514\",\"ca\":\"/x/ca.crt\",\"max_items\":3}", NULL);
	for (int i = 1; i <= 5; i++)
		add_alert(&f, i, "high");
	/* capture stderr: the refusal must be loud */
	char errpath[96];
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	fflush(stderr);
	int saved = dup(2), fd = open(errpath, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	assert_true(fd >= 0);
	dup2(fd, 2);
	vg_outbox_counts c;
	int r = vg_outbox_enqueue_alerts(f.ob, NOW, &c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(r, 0);
	assert_int_equal(c.queued, 3);
	assert_int_equal(c.dropped, 2);
	char buf[1024] = "";
	FILE *e = fopen(errpath, "r");
	assert_non_null(e);
	size_t got = fread(buf, 1, sizeof(buf) - 1, e);
	buf[got] = '\0';
	fclose(e);
	assert_non_null(strstr(buf, "destination small: OUTBOX FULL"));
	assert_non_null(strstr(buf, "refused 2 item(s); seq 4..5 will never arrive"));
	assert_int_equal(status_int(&f, "small", "dropped"), 2);
	assert_int_equal(status_int(&f, "small", "gaps"), 2);
	assert_int_equal(status_int(&f, "small", "last_seq"), 5);
	assert_int_equal(status_int(&f, "small", "backlog"), 3);
	assert_int_equal(status_int(&f, "small", "max_items"), 3);

	/* room again after an ack: the next item takes the next seq (6) */
	assert_int_equal(vg_outbox_ack(f.ob, "small", 3, 3, NOW), 0);
	add_alert(&f, 6, "high");
	assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
	assert_int_equal(c.queued, 1);
	vg_outbox_item *it;
	size_t n = peek(&f, "small", &it);
	assert_int_equal(n, 1);
	assert_int_equal(it[0].seq, 6);
	assert_string_equal(it[0].item_id, "alert-6");
	vg_outbox_items_free(it, n);
	fx_close(&f);
}

static void test_crash_safety(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	add_dest(&f, "a", cfg, NULL);
	for (int i = 1; i <= 4; i++)
		add_alert(&f, i, "high");
	fx_close(&f);

	/* a child selects the alerts inside a transaction and dies before commit */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fx g;
		fx_open(&g);
		vg_outbox_counts c;
		if (vg_db_begin(g.db) != 0 || vg_outbox_enqueue_alerts(g.ob, NOW, &c) != 0 || c.queued != 4)
			_exit(3);
		_exit(0); /* no commit, no close */
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	fx_open(&f);
	vg_outbox_item *it;
	assert_int_equal(peek(&f, "a", &it), 0);
	vg_outbox_items_free(it, 0);
	vg_outbox_counts c;
	assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
	assert_int_equal(c.scanned, 4); /* the mark did not move either */
	assert_int_equal(c.queued, 4);
	fx_close(&f);

	/* committed items survive a reopen, unacknowledged, and numbering goes on */
	fx_open(&f);
	size_t n = peek(&f, "a", &it);
	assert_int_equal(n, 4);
	assert_int_equal(it[3].seq, 4);
	assert_string_equal(it[3].item_id, "alert-4");
	vg_outbox_items_free(it, n);
	add_alert(&f, 5, "high");
	assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
	n = peek(&f, "a", &it);
	assert_int_equal(n, 5);
	assert_int_equal(it[4].seq, 5);
	vg_outbox_items_free(it, n);
	fx_close(&f);
}

static void test_incident_joins_txn(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	add_dest(&f, "inc", cfg, "{\"streams\":[\"incidents\"],\"min_level\":\"medium\"}");
	add_dest(&f, "alerts-only", cfg, "{\"streams\":[\"alerts\"]}");
	json_t *doc = json_pack("{s:i,s:i,s:s}", "id", 7, "version", 2, "title", "Brute force on web-1");
	vg_share_subject s = {.level = "high", .host = "web-1"};
	vg_outbox_counts c;
	assert_int_equal(vg_db_begin(f.db), 0);
	assert_int_equal(vg_outbox_enqueue(f.ob, VG_SHARE_INCIDENTS, "incident", "incident-7-2", &s, doc, NOW, &c), 0);
	assert_int_equal(c.queued, 1);
	assert_int_equal(vg_db_rollback(f.db), 0);
	vg_outbox_item *it;
	assert_int_equal(peek(&f, "inc", &it), 0); /* rolled back with the caller */
	vg_outbox_items_free(it, 0);
	assert_int_equal(vg_db_begin(f.db), 0);
	assert_int_equal(vg_outbox_enqueue(f.ob, VG_SHARE_INCIDENTS, "incident", "incident-7-2", &s, doc, NOW, &c), 0);
	assert_int_equal(vg_db_commit(f.db), 0);
	size_t n = peek(&f, "inc", &it);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].item_id, "incident-7-2");
	assert_string_equal(it[0].kind, "incident");
	assert_int_equal(it[0].seq, 1); /* the rolled-back seq was not consumed */
	vg_outbox_items_free(it, n);
	assert_int_equal(peek(&f, "alerts-only", &it), 0);
	vg_outbox_items_free(it, 0);
	/* below the minimum level: not selected */
	s.level = "low";
	assert_int_equal(vg_outbox_enqueue(f.ob, VG_SHARE_INCIDENTS, "incident", "incident-8-1", &s, doc, NOW, &c), 0);
	assert_int_equal(c.queued, 0);
	assert_int_equal(vg_outbox_enqueue(f.ob, VG_SHARE_INCIDENTS, "incident", "", &s, doc, NOW, &c), VG_EINVAL);
	json_decref(doc);
	fx_close(&f);
}

static void test_heartbeat(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	add_dest(&f, "hb", "{\"sink\":\"syslog\",\"address\":\"h:1\",\"ca\":\"/c\",\"heartbeat_s\":60}", NULL);
	add_dest(&f, "nohb", cfg, "{\"streams\":[\"alerts\"]}");
	vg_outbox_counts c;
	assert_int_equal(vg_outbox_heartbeat(f.ob, NOW, 0, &c), 0);
	assert_int_equal(c.queued, 1);
	assert_int_equal(vg_outbox_heartbeat(f.ob, NOW + 30000000, 0, &c), 0);
	assert_int_equal(c.queued, 0);
	assert_int_equal(vg_outbox_heartbeat(f.ob, NOW + 61000000, 0, &c), 0);
	assert_int_equal(c.queued, 1);
	vg_outbox_item *it;
	size_t n = peek(&f, "hb", &it);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].kind, "heartbeat");
	assert_string_equal(it[1].item_id, "heartbeat-1763719261");
	json_t *p = json_loads(it[1].payload, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "data"), "backlog")), 1);
	json_decref(p);
	vg_outbox_items_free(it, n);
	assert_int_equal(peek(&f, "nohb", &it), 0);
	vg_outbox_items_free(it, 0);
	fx_close(&f);
}

static void test_dest_validation(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	char why[256];
	assert_int_equal(vg_outbox_dest_add(f.ob, "Bad Name", cfg, NULL, why, sizeof(why)), VG_EINVAL);
	assert_int_equal(vg_outbox_dest_add(f.ob, "x", "{\"sink\":\"ftp\"}", NULL, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "\"sink\""));
	assert_int_equal(vg_outbox_dest_add(f.ob, "x", "{\"sink\":\"https\",\"url\":\"https://h/\",\"ca\":\"/c\"}", NULL,
					    why, sizeof(why)),
			 VG_EINVAL);
	assert_non_null(strstr(why, "token_file"));
	assert_int_equal(vg_outbox_dest_add(f.ob, "x", cfg, "{\"min_level\":\"huge\"}", why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "min_level"));
	assert_int_equal(vg_outbox_dest_add(f.ob, "x", cfg, "{\"colour\":1}", why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "colour"));
	add_dest(&f, "x", cfg, NULL);
	assert_int_equal(vg_outbox_dest_add(f.ob, "x", cfg, NULL, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "exists"));
	assert_int_equal(vg_outbox_policy_set(f.ob, "x", "{\"min_level\":\"critical\"}", why, sizeof(why)), 0);
	assert_int_equal(vg_outbox_policy_set(f.ob, "y", "{}", why, sizeof(why)), VG_ENOTFOUND);
	json_t *l = NULL;
	assert_int_equal(vg_outbox_dests(f.ob, &l), 0);
	assert_int_equal(json_array_size(l), 1);
	json_t *p = json_object_get(json_array_get(l, 0), "policy");
	assert_string_equal(json_string_value(json_object_get(p, "min_level")), "critical");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(l, 0), "config"), "sink")),
			    "syslog");
	json_decref(l);
	/* the new policy is used at the next enqueue */
	add_alert(&f, 1, "high");
	add_alert(&f, 2, "critical");
	vg_outbox_counts c;
	assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
	assert_int_equal(c.queued, 1);
	assert_int_equal(vg_outbox_dest_remove(f.ob, "x"), 0);
	assert_int_equal(vg_outbox_dest_remove(f.ob, "x"), VG_ENOTFOUND);
	vg_outbox_item *it;
	assert_int_equal(peek(&f, "x", &it), 0); /* its items went with it */
	vg_outbox_items_free(it, 0);
	fx_close(&f);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the outbox's own throughput (no timing assertion): alerts selected
 * into two destinations (one redacting), then peeked and acknowledged in
 * batches of 500, as the sender does. */
static void test_rate(void **state)
{
	(void)state;
	enum { N = 20000 };
	fx f;
	fx_open(&f);
	add_dest(&f, "plain", cfg, NULL);
	add_dest(&f, "redacting", cfg, "{\"fields\":{\"user.name\":\"pseudonymise\"},\"internal_ips\":\"pseudonymise\"}");
	assert_int_equal(vg_db_begin(f.db), 0);
	for (int i = 1; i <= N; i++)
		add_alert(&f, i, "high");
	assert_int_equal(vg_db_commit(f.db), 0);
	double t0 = mono();
	vg_outbox_counts c;
	uint64_t queued = 0;
	do {
		assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
		queued += c.queued;
	} while (c.scanned > 0);
	double t1 = mono();
	assert_int_equal(queued, 2 * N);
	uint64_t acked = 0;
	const char *names[] = {"plain", "redacting"};
	for (int d = 0; d < 2; d++) {
		for (;;) {
			vg_outbox_item *it;
			size_t n = 0;
			assert_int_equal(vg_outbox_peek(f.ob, names[d], 500, 1 << 24, &it, &n), 0);
			if (n == 0)
				break;
			assert_int_equal(vg_outbox_ack(f.ob, names[d], it[n - 1].seq, n, NOW), 0);
			acked += n;
			vg_outbox_items_free(it, n);
		}
	}
	double t2 = mono();
	assert_int_equal(acked, 2 * N);
	printf("outbox: %d alerts x 2 destinations: enqueue %.0f alerts/s, peek+ack %.0f items/s\n", N,
	       N / (t1 - t0), 2 * N / (t2 - t1));
	fx_close(&f);
}

/* With no destination the alerts mark jumps to the newest alert in one
 * statement (scanned 0), so a destination added later starts there. */
static void test_no_dest_jumps_mark(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	for (int i = 1; i <= 5; i++)
		add_alert(&f, i, "high");
	vg_outbox_counts c;
	assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
	assert_int_equal(c.scanned, 0);
	assert_int_equal(c.queued, 0);
	assert_int_equal(c.hwm, 5);
	add_dest(&f, "late", cfg, NULL);
	add_alert(&f, 6, "high");
	assert_int_equal(vg_outbox_enqueue_alerts(f.ob, NOW, &c), 0);
	assert_int_equal(c.scanned, 1);
	assert_int_equal(c.queued, 1);
	vg_outbox_item *it;
	size_t n = peek(&f, "late", &it);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].item_id, "alert-6");
	vg_outbox_items_free(it, n);
	fx_close(&f);
}

static const char ssh_doc[] =
	"{\"@timestamp\":\"2026-11-21T10:00:00.000000Z\",\"event\":{\"kind\":\"event\",\"dataset\":\"sshd\","
	"\"category\":[\"authentication\"],\"outcome\":\"failure\"},\"user\":{\"name\":\"root\"},"
	"\"source\":{\"ip\":\"10.1.2.3\"},\"host\":{\"name\":\"srv1\"},\"vigil\":{\"layer\":\"host\"}}";

static void ssh_subject(vg_share_subject *s, const char *dataset)
{
	memset(s, 0, sizeof(*s));
	s->host = "srv1";
	s->layer = "host";
	s->dataset = dataset;
	s->outcome = "failure";
	s->categories[0] = "authentication";
	s->ncategories = 1;
}

/* The events stream: only the destinations whose policy selects the event
 * get it, redacted by their policy, in the caller's transaction, with stable
 * ids; over max_per_second events are counted, not queued; a rollback loses
 * the buffered items but not the throttled count. */
static void test_events(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	vg_outbox_evsel *e = vg_outbox_evsel_new(f.ob);
	assert_non_null(e);
	assert_int_equal(vg_outbox_evsel_refresh(e), 0);
	assert_int_equal(vg_outbox_evsel_active(e), 0); /* nobody selects events */
	add_dest(&f, "alerts", cfg, NULL);
	assert_int_equal(vg_outbox_evsel_refresh(e), 0);
	assert_int_equal(vg_outbox_evsel_active(e), 0);
	add_dest(&f, "ev", cfg,
		 "{\"streams\":[\"events\"],\"events\":{\"layers\":[\"host\"],\"datasets\":[\"sshd\"],"
		 "\"max_per_second\":3},\"fields\":{\"user.name\":\"pseudonymise\"},\"internal_ips\":\"redact\"}");
	assert_int_equal(vg_outbox_evsel_refresh(e), 0); /* the version moved: reloaded */
	assert_int_equal(vg_outbox_evsel_active(e), 1);

	vg_share_subject s;
	ssh_subject(&s, "nginx.access");
	assert_int_equal(vg_outbox_evsel_match(e, &s, NOW), 0); /* another dataset */
	ssh_subject(&s, "sshd");
	s.layer = "network";
	assert_int_equal(vg_outbox_evsel_match(e, &s, NOW), 0); /* another layer */
	ssh_subject(&s, "sshd");
	uint32_t m[5];
	for (int i = 0; i < 5; i++)
		m[i] = vg_outbox_evsel_match(e, &s, NOW + i); /* the same second */
	assert_int_equal(m[0], 1);
	assert_int_equal(m[1], 1);
	assert_int_equal(m[2], 1);
	assert_int_equal(m[3], 0); /* over 3 per second: throttled */
	assert_int_equal(m[4], 0);
	assert_int_equal(vg_outbox_evsel_match(e, &s, NOW + 1000000), 1); /* the next second */
	for (int i = 0; i < 3; i++) {
		char id[32];
		snprintf(id, sizeof(id), "event-a1-%d", i + 1);
		assert_int_equal(vg_outbox_evsel_add(e, id, "srv1", ssh_doc, strlen(ssh_doc), m[i], NOW), 0);
	}
	assert_int_equal(vg_outbox_evsel_pending(e), 3);
	assert_int_equal(vg_outbox_evsel_dirty(e), 1);

	/* a rollback: nothing written, the counts stay to be saved */
	vg_outbox_counts c;
	assert_int_equal(vg_db_begin(f.db), 0);
	assert_int_equal(vg_outbox_evsel_flush(e, NOW, &c), 0);
	assert_int_equal(c.queued, 3);
	assert_int_equal(vg_db_rollback(f.db), 0);
	vg_outbox_evsel_done(e, 0);
	assert_int_equal(vg_outbox_evsel_pending(e), 0);
	vg_outbox_item *it;
	assert_int_equal(peek(&f, "ev", &it), 0);
	assert_int_equal(status_int(&f, "ev", "events_throttled"), 0);

	/* again, committed */
	for (int i = 0; i < 3; i++) {
		char id[32];
		snprintf(id, sizeof(id), "event-a1-%d", i + 1);
		assert_int_equal(vg_outbox_evsel_add(e, id, "srv1", ssh_doc, strlen(ssh_doc), 1, NOW), 0);
	}
	assert_int_equal(vg_db_begin(f.db), 0);
	assert_int_equal(vg_outbox_evsel_flush(e, NOW, &c), 0);
	assert_int_equal(c.scanned, 3);
	assert_int_equal(c.queued, 3);
	assert_int_equal(vg_db_commit(f.db), 0);
	vg_outbox_evsel_done(e, 1);
	assert_int_equal(vg_outbox_evsel_dirty(e), 0);
	size_t n = peek(&f, "ev", &it);
	assert_int_equal(n, 3);
	char pn[64];
	for (size_t i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "event-a1-%zu", i + 1);
		assert_string_equal(it[i].item_id, want);
		assert_string_equal(it[i].kind, "event");
		assert_int_equal(it[i].seq, (int64_t)i + 1);
		json_t *p = json_loads(it[i].payload, 0, NULL);
		assert_non_null(p);
		json_t *d = json_object_get(p, "data");
		const char *user = json_string_value(json_object_get(json_object_get(d, "user"), "name"));
		assert_non_null(user);
		assert_int_equal(strncmp(user, "pn:", 3), 0);
		assert_int_equal(strlen(user), 3 + 32);
		if (i == 0)
			snprintf(pn, sizeof(pn), "%s", user);
		assert_string_equal(user, pn); /* the same user, the same pseudonym */
		assert_string_equal(json_string_value(json_object_get(json_object_get(d, "source"), "ip")),
				    "REDACTED-IP");
		assert_string_equal(json_string_value(json_object_get(json_object_get(d, "event"), "dataset")), "sshd");
		json_decref(p);
	}
	vg_outbox_items_free(it, n);
	assert_int_equal(peek(&f, "alerts", &it), 0); /* the default policy has no events */
	assert_int_equal(status_int(&f, "ev", "events_throttled"), 2);
	assert_int_equal(status_int(&f, "alerts", "events_throttled"), 0);

	/* a policy change between selection and commit: the current policy rules */
	assert_int_equal(vg_outbox_evsel_add(e, "event-a1-9", "srv1", ssh_doc, strlen(ssh_doc), 1, NOW), 0);
	char why[256] = "";
	assert_int_equal(vg_outbox_policy_set(f.ob, "ev", "{\"streams\":[\"alerts\"]}", why, sizeof(why)), 0);
	assert_int_equal(vg_outbox_evsel_refresh(e), 0); /* deferred: an event is buffered */
	assert_int_equal(vg_outbox_evsel_active(e), 1);
	assert_int_equal(vg_outbox_evsel_flush(e, NOW, &c), 0); /* own transaction: done at once */
	assert_int_equal(c.scanned, 1);
	assert_int_equal(c.queued, 0);
	assert_int_equal(vg_outbox_evsel_pending(e), 0);
	assert_int_equal(vg_outbox_evsel_refresh(e), 0);
	assert_int_equal(vg_outbox_evsel_active(e), 0);
	assert_int_equal(status_int(&f, "ev", "backlog"), 3);
	vg_outbox_evsel_free(e);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_safety, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_joins_txn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dest_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_dest_jumps_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
#include <stdio.h>
int main(void)
{
	puts("SKIP: src/share is not built into vigil_core yet (VG_WITH_SHARE)");
	return 0;
}
#endif
