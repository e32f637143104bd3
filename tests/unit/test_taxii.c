/* test_taxii.c — the TAXII 2.1 client (share/taxii.h) against the test
 * receiver (tests/taxii_receiver, started as a child process on a free
 * port over HTTPS): discovery and status polling to completion; the same
 * objects sent twice are stored once; 413 splits envelopes and every object
 * arrives exactly once; 429 is retried after Retry-After; 500 once, then
 * success; 401 is not retried; a client certificate where one is required;
 * a server certificate from another CA: nothing is sent and the error says
 * why. Waits go through the client's sleep hook, which records them. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
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

#include "net/pki.h"
#include "share/sign.h"
#include "share/stix.h"
#include "share/taxii.h"

static char root[64]; /* root/ca (ours), root/foreign, root/client */
/* Receivers not yet stopped: a failed assertion leaves its test early, and
 * the group teardown stops them (a live child would hold our stdout). */
static pid_t live[64];
static size_t nlive;
static char receiver_bin[PATH_MAX];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* ---- the receiver as a child process ---- */

typedef struct receiver {
	pid_t pid;
	int port;
	char dir[128], record[160], log[160];
} receiver;

static void msleep(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Starts the receiver with pki = "ca" or "foreign" and extra options
 * (NULL-terminated). */
static void rx_start(receiver *rx, const char *pki, const char *const *extra)
{
	memset(rx, 0, sizeof(*rx));
	snprintf(rx->dir, sizeof(rx->dir), "%s/rx.XXXXXX", root);
	assert_non_null(mkdtemp(rx->dir));
	snprintf(rx->record, sizeof(rx->record), "%s/record", rx->dir);
	snprintf(rx->log, sizeof(rx->log), "%s/log", rx->dir);
	char cert[160], key[160], portf[160];
	snprintf(cert, sizeof(cert), "%s/%s/pki/server.crt", root, pki);
	snprintf(key, sizeof(key), "%s/%s/pki/server.key", root, pki);
	snprintf(portf, sizeof(portf), "%s/port", rx->dir);
	const char *argv[40] = {receiver_bin, "--cert", cert, "--key", key, "--port-file", portf,
				"--record", rx->record, "--log", rx->log};
	size_t n = 11;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 38; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	rx->pid = fork();
	assert_true(rx->pid >= 0);
	if (rx->pid == 0) {
		execv(receiver_bin, (char *const *)argv);
		_exit(127);
	}
	if (nlive < sizeof(live) / sizeof(live[0]))
		live[nlive++] = rx->pid;
	for (int i = 0; i < 1000; i++) { /* waits for the port file, up to ~20 s */
		FILE *f = fopen(portf, "r");
		if (f != NULL) {
			int ok = fscanf(f, "%d", &rx->port) == 1;
			fclose(f);
			if (ok && rx->port > 0)
				return;
		}
		int st;
		if (waitpid(rx->pid, &st, WNOHANG) == rx->pid)
			fail_msg("the receiver %s exited (status %d)", receiver_bin, st);
		msleep(20);
	}
	fail_msg("the receiver did not start");
}

static void rx_stop(receiver *rx)
{
	if (rx->pid > 0) {
		kill(rx->pid, SIGTERM);
		int st = 0;
		waitpid(rx->pid, &st, 0);
		for (size_t i = 0; i < nlive; i++)
			if (live[i] == rx->pid)
				live[i] = 0;
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		rx->pid = 0;
	}
}

/* Lines of a file (0 if it does not exist). */
static size_t lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	size_t n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Lines of the log whose status field is code. */
static size_t log_count(const receiver *rx, int code)
{
	FILE *f = fopen(rx->log, "r");
	if (f == NULL)
		return 0;
	char m[16], url[512];
	int st;
	long no;
	size_t n = 0;
	while (fscanf(f, "%15s %511s %d %ld", m, url, &st, &no) == 4)
		n += st == code;
	fclose(f);
	return n;
}

/* Every object of objs is in the record exactly once (by id). */
static void assert_all_once(const receiver *rx, const json_t *objs)
{
	assert_int_equal(lines(rx->record), json_array_size(objs));
	FILE *f = fopen(rx->record, "r");
	assert_non_null(f);
	char line[65536];
	json_t *seen = json_object();
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *o = json_loads(line, 0, NULL);
		assert_non_null(o);
		const char *id = json_string_value(json_object_get(o, "id"));
		assert_non_null(id);
		if (json_object_get(seen, id) != NULL)
			fail_msg("%s arrived twice", id);
		json_object_set_new(seen, id, json_true());
		json_decref(o);
	}
	fclose(f);
	size_t i;
	json_t *o;
	json_array_foreach(objs, i, o)
	{
		if (json_object_get(seen, json_string_value(json_object_get(o, "id"))) == NULL)
			fail_msg("%s never arrived", json_string_value(json_object_get(o, "id")));
	}
	json_decref(seen);
}

/* ---- the client ---- */

typedef struct waits {
	unsigned ms[256];
	size_t n;
} waits;

static void record_wait(void *ud, unsigned ms)
{
	waits *w = ud;
	if (w->n < 256)
		w->ms[w->n++] = ms;
}

static char ca_file[160], client_cert[160], client_key[160];
static const vg_share_keys *sign_keys; /* set by the test that checks signatures */

static vg_taxii *client(const receiver *rx, waits *w, const char *bearer, int with_cert, char *url, size_t urlcap)
{
	snprintf(url, urlcap, "https://localhost:%d/taxii2/", rx->port);
	vg_taxii_opts o = {
		.url = url,
		.ca = ca_file,
		.bearer = bearer,
		.cert = with_cert ? client_cert : NULL,
		.key = with_cert ? client_key : NULL,
		.timeout_ms = 5000,
		.backoff_ms = 10,
		.poll_ms = 5,
		.sleep_fn = record_wait,
		.sleep_ud = w,
		.keys = sign_keys,
	};
	int err = 0;
	char why[256] = "";
	vg_taxii *t = vg_taxii_new(&o, &err, why, sizeof(why));
	if (t == NULL)
		fail_msg("vg_taxii_new: %s", why);
	return t;
}

/* n alerts as STIX objects (identity shared). */
static json_t *some_objects(size_t nalerts)
{
	vg_stix_ctx c = {.org = "Bo A", .origin = "test"};
	json_t *objs = json_array();
	for (size_t i = 0; i < nalerts; i++) {
		char doc[512], item[32], why[128];
		snprintf(doc, sizeof(doc),
			 "{\"@timestamp\":\"2025-11-21T10:00:%02zuZ\",\"source\":{\"ip\":\"203.0.113.%zu\"},"
			 "\"rule\":{\"id\":\"r-%zu\",\"title\":\"Alert %zu\",\"level\":\"high\"}}",
			 i % 60, i + 1, i, i);
		snprintf(item, sizeof(item), "alert-%zu", i + 1);
		if (vg_stix_alert(&c, item, doc, strlen(doc), objs, why, sizeof(why)) != 0)
			fail_msg("%s", why);
	}
	return objs;
}

static void test_success_with_polling(void **state)
{
	(void)state;
	receiver rx;
	const char *opt[] = {"--pending-polls", "2", NULL};
	rx_start(&rx, "ca", opt);
	waits w = {0};
	char url[128];
	vg_taxii *t = client(&rx, &w, NULL, 0, url, sizeof(url));
	json_t *objs = some_objects(5); /* 1 identity + 5 x (ipv4, indicator, observed-data, sighting) */
	assert_int_equal(json_array_size(objs), 21);
	vg_taxii_result res;
	int r = vg_taxii_add(t, objs, &res);
	if (r != 0)
		fail_msg("add: %s", res.why);
	char want[256];
	snprintf(want, sizeof(want), "https://localhost:%d/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/",
		 rx.port);
	assert_string_equal(vg_taxii_objects_url(t), want);
	assert_int_equal(res.envelopes, 1);
	assert_int_equal(res.polls, 3); /* pending twice, then complete */
	assert_int_equal(res.success, 21);
	assert_int_equal(res.failure, 0);
	assert_int_equal(res.pending, 0);
	assert_int_equal(res.requests, 3 + 1 + 3); /* discovery, api root, collections; POST; polls */
	assert_int_equal(w.n, 3);
	assert_int_equal(w.ms[0], 5);
	assert_all_once(&rx, objs);
	/* sent again (a resend after a lost answer): accepted, stored once */
	r = vg_taxii_add(t, objs, &res);
	assert_int_equal(r, 0);
	assert_int_equal(res.success, 21);
	assert_int_equal(res.requests, 1 + 3); /* already discovered */
	assert_all_once(&rx, objs);
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);
}

/* Every POST is signed: the receiver's copy of each body verifies with the
 * signature it came with, and a changed byte does not. */
static void test_signed_posts(void **state)
{
	(void)state;
	unsigned char pk[VG_SHARE_PSEUDO_KEY] = {1, 2, 3};
	vg_share_keys *keys = NULL;
	assert_int_equal(vg_share_keys_mem(pk, &keys), 0);
	sign_keys = keys;
	receiver rx;
	char bodies[200];
	snprintf(bodies, sizeof(bodies), "%s/bodies", root);
	const char *opt[] = {"--max-objects", "5", "--bodies", bodies, NULL};
	rx_start(&rx, "ca", opt);
	waits w = {0};
	char url[128];
	vg_taxii *t = client(&rx, &w, NULL, 0, url, sizeof(url));
	sign_keys = NULL;
	json_t *objs = some_objects(3);
	vg_taxii_result res;
	int r = vg_taxii_add(t, objs, &res);
	if (r != 0)
		fail_msg("add: %s", res.why);
	assert_all_once(&rx, objs);
	FILE *f = fopen(bodies, "r");
	assert_non_null(f);
	static char sig[256], body[1 << 20];
	size_t posts = 0;
	while (fgets(sig, sizeof(sig), f) != NULL && fgets(body, sizeof(body), f) != NULL) {
		sig[strcspn(sig, "\n")] = '\0';
		size_t len = strcspn(body, "\n");
		assert_string_not_equal(sig, "-");
		assert_int_equal(vg_share_verify_b64(keys, body, len, sig), 1);
		body[len / 2] ^= 1;
		assert_int_equal(vg_share_verify_b64(keys, body, len, sig), 0);
		posts++;
	}
	fclose(f);
	assert_int_equal(posts, res.splits + res.envelopes); /* the 413'd ones too */
	assert_true(posts >= 3);
	json_decref(objs);
	vg_taxii_free(t);
	vg_share_keys_free(keys);
	remove(bodies);
	rx_stop(&rx);
}

static void test_413_split(void **state)
{
	(void)state;
	receiver rx;
	const char *opt[] = {"--max-objects", "4", NULL};
	rx_start(&rx, "ca", opt);
	waits w = {0};
	char url[128];
	vg_taxii *t = client(&rx, &w, NULL, 0, url, sizeof(url));
	json_t *objs = some_objects(6); /* 25 objects */
	vg_taxii_result res;
	int r = vg_taxii_add(t, objs, &res);
	if (r != 0)
		fail_msg("add: %s", res.why);
	assert_true(res.splits >= 3);
	assert_int_equal(res.success, 25);
	assert_true(res.envelopes >= 7); /* 25 objects, at most 4 per envelope */
	assert_int_equal(log_count(&rx, 413), res.splits);
	assert_int_equal(log_count(&rx, 202), res.envelopes);
	assert_all_once(&rx, objs);
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);

	/* max_content_length from the API root: split before sending, no 413 */
	const char *opt2[] = {"--max-content", "3000", NULL};
	rx_start(&rx, "ca", opt2);
	t = client(&rx, &w, NULL, 0, url, sizeof(url));
	objs = some_objects(6);
	r = vg_taxii_add(t, objs, &res);
	if (r != 0)
		fail_msg("add: %s", res.why);
	assert_int_equal(vg_taxii_max_content(t), 3000);
	assert_true(res.splits >= 1);
	assert_int_equal(log_count(&rx, 413), 0);
	assert_all_once(&rx, objs);
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);

	/* one object alone larger than the server accepts: not retryable */
	const char *opt3[] = {"--max-content", "100", NULL};
	rx_start(&rx, "ca", opt3);
	t = client(&rx, &w, NULL, 0, url, sizeof(url));
	objs = some_objects(1);
	r = vg_taxii_add(t, objs, &res);
	assert_int_equal(r, VG_ELIMIT);
	assert_int_equal(res.retryable, 0);
	assert_non_null(strstr(res.why, "too large"));
	assert_int_equal(lines(rx.record), 0);
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);
}

static void test_429_retry_after(void **state)
{
	(void)state;
	receiver rx;
	const char *opt[] = {"--fail-429", "2", "--retry-after", "3", NULL};
	rx_start(&rx, "ca", opt);
	waits w = {0};
	char url[128];
	vg_taxii *t = client(&rx, &w, NULL, 0, url, sizeof(url));
	json_t *objs = some_objects(3);
	vg_taxii_result res;
	int r = vg_taxii_add(t, objs, &res);
	if (r != 0)
		fail_msg("add: %s", res.why);
	assert_int_equal(res.retries, 2);
	assert_int_equal(w.n, 2); /* no status polls: complete at once */
	assert_int_equal(w.ms[0], 3000);
	assert_int_equal(w.ms[1], 3000);
	assert_int_equal(log_count(&rx, 429), 2);
	assert_all_once(&rx, objs);
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);

	/* more 429s than attempts: a retryable failure, nothing stored */
	const char *opt2[] = {"--fail-429", "100", NULL};
	rx_start(&rx, "ca", opt2);
	memset(&w, 0, sizeof(w));
	t = client(&rx, &w, NULL, 0, url, sizeof(url));
	objs = some_objects(1);
	r = vg_taxii_add(t, objs, &res);
	assert_int_equal(r, VG_EIO);
	assert_int_equal(res.retryable, 1);
	assert_int_equal(res.http, 429);
	assert_int_equal(log_count(&rx, 429), VG_TAXII_DEFAULT_ATTEMPTS);
	/* no Retry-After: exponential back-off from backoff_ms */
	assert_int_equal(w.n, VG_TAXII_DEFAULT_ATTEMPTS - 1);
	assert_int_equal(w.ms[0], 10);
	assert_int_equal(w.ms[1], 20);
	assert_int_equal(w.ms[2], 40);
	assert_non_null(strstr(res.why, "429"));
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);
}

static void test_500_then_success(void **state)
{
	(void)state;
	receiver rx;
	const char *opt[] = {"--fail-500", "1", NULL};
	rx_start(&rx, "ca", opt);
	waits w = {0};
	char url[128];
	vg_taxii *t = client(&rx, &w, NULL, 0, url, sizeof(url));
	json_t *objs = some_objects(2);
	vg_taxii_result res;
	int r = vg_taxii_add(t, objs, &res);
	if (r != 0)
		fail_msg("add: %s", res.why);
	assert_int_equal(res.retries, 1);
	assert_int_equal(log_count(&rx, 500), 1);
	assert_int_equal(log_count(&rx, 202), 1);
	assert_all_once(&rx, objs);
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);
}

/* An object the receiver refuses is listed in the status: an error naming it. */
static void test_status_failure(void **state)
{
	(void)state;
	receiver rx;
	const char *opt[] = {"--pending-polls", "1", NULL};
	rx_start(&rx, "ca", opt);
	waits w = {0};
	char url[128];
	vg_taxii *t = client(&rx, &w, NULL, 0, url, sizeof(url));
	json_t *objs = some_objects(1);
	json_array_append_new(objs, json_pack("{s:s,s:s}", "type", "indicator", "id", "bogus--1"));
	vg_taxii_result res;
	int r = vg_taxii_add(t, objs, &res);
	assert_int_equal(r, VG_EIO);
	assert_int_equal(res.retryable, 0);
	assert_int_equal(res.failure, 1);
	assert_int_equal(res.success, json_array_size(objs) - 1);
	assert_int_equal(res.polls, 2);
	assert_non_null(strstr(res.why, "bogus--1"));
	assert_non_null(strstr(res.why, "refused"));
	assert_int_equal(lines(rx.record), json_array_size(objs) - 1);
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);
}

static void test_auth(void **state)
{
	(void)state;
	receiver rx;
	const char *opt[] = {"--token", "right-Token_1", NULL};
	rx_start(&rx, "ca", opt);
	waits w = {0};
	char url[128];
	vg_taxii *t = client(&rx, &w, "wrong-token", 0, url, sizeof(url));
	json_t *objs = some_objects(1);
	vg_taxii_result res;
	int r = vg_taxii_add(t, objs, &res);
	assert_int_equal(r, VG_EIO);
	assert_int_equal(res.http, 401);
	assert_int_equal(res.retryable, 0);
	assert_int_equal(res.requests, 1); /* not retried */
	assert_int_equal(res.retries, 0);
	assert_int_equal(w.n, 0);
	assert_non_null(strstr(res.why, "401"));
	assert_int_equal(log_count(&rx, 401), 1);
	assert_int_equal(lines(rx.record), 0);
	vg_taxii_free(t);
	t = client(&rx, &w, "right-Token_1", 0, url, sizeof(url));
	r = vg_taxii_add(t, objs, &res);
	if (r != 0)
		fail_msg("add: %s", res.why);
	assert_all_once(&rx, objs);
	vg_taxii_free(t);
	rx_stop(&rx);

	/* mutual TLS: without a client certificate 403, with ours accepted */
	char caopt[200];
	snprintf(caopt, sizeof(caopt), "%s", ca_file);
	const char *opt2[] = {"--client-ca", caopt, NULL};
	rx_start(&rx, "ca", opt2);
	t = client(&rx, &w, NULL, 0, url, sizeof(url));
	r = vg_taxii_add(t, objs, &res);
	assert_int_equal(r, VG_EIO);
	assert_int_equal(res.retryable, 0);
	assert_int_equal(res.http, 403);
	vg_taxii_free(t);
	t = client(&rx, &w, NULL, 1, url, sizeof(url));
	r = vg_taxii_add(t, objs, &res);
	if (r != 0)
		fail_msg("add with client certificate: %s", res.why);
	assert_all_once(&rx, objs);
	vg_taxii_free(t);
	json_decref(objs);
	rx_stop(&rx);
}

static void test_wrong_server_certificate(void **state)
{
	(void)state;
	receiver rx;
	rx_start(&rx, "foreign", NULL);
	waits w = {0};
	char url[128];
	vg_taxii *t = client(&rx, &w, NULL, 0, url, sizeof(url));
	json_t *objs = some_objects(2);
	vg_taxii_result res;
	int r = vg_taxii_add(t, objs, &res);
	assert_int_equal(r, VG_EIO);
	assert_int_equal(res.retryable, 0);
	assert_int_equal(res.requests, 1);
	assert_int_equal(w.n, 0);
	assert_non_null(strstr(res.why, url));
	assert_non_null(strstr(res.why, "certificate"));
	assert_int_equal(lines(rx.record), 0);
	assert_int_equal(lines(rx.log), 0); /* not one request reached the server */
	json_decref(objs);
	vg_taxii_free(t);
	rx_stop(&rx);
}

static void test_options(void **state)
{
	(void)state;
	int err = 0;
	char why[256] = "";
	vg_taxii_opts o = {.url = "http://x/taxii2/", .ca = "/ca.crt"};
	assert_null(vg_taxii_new(&o, &err, why, sizeof(why)));
	assert_int_equal(err, VG_EINVAL);
	assert_non_null(strstr(why, "https"));
	o.url = "https://x/taxii2/";
	o.ca = NULL;
	assert_null(vg_taxii_new(&o, &err, why, sizeof(why)));
	assert_non_null(strstr(why, "CA"));
	o.ca = "/ca.crt";
	o.bearer = "bad token\r\nX: y";
	assert_null(vg_taxii_new(&o, &err, why, sizeof(why)));
	assert_non_null(strstr(why, "bearer"));
	o.bearer = NULL;
	o.cert = "/c.crt";
	assert_null(vg_taxii_new(&o, &err, why, sizeof(why)));
	assert_non_null(strstr(why, "key"));
}

static int group_setup(void **state)
{
	(void)state;
	const char *env = getenv("VG_TAXII_RECEIVER");
	if (env != NULL && env[0] != '\0') {
		snprintf(receiver_bin, sizeof(receiver_bin), "%s", env);
	} else {
		/* next to this test executable */
		ssize_t n = readlink("/proc/self/exe", receiver_bin, sizeof(receiver_bin) - 32);
		assert_true(n > 0);
		receiver_bin[n] = '\0';
		char *slash = strrchr(receiver_bin, '/');
		assert_non_null(slash);
		strcpy(slash + 1, "vigil_taxii_receiver");
	}
	if (access(receiver_bin, X_OK) != 0) {
		fprintf(stderr, "test_taxii: the receiver %s is not there (set VG_TAXII_RECEIVER)\n", receiver_bin);
		return -1;
	}
	snprintf(root, sizeof(root), "/tmp/vg_test_taxii.XXXXXX");
	assert_non_null(mkdtemp(root));
	char d[160], why[256] = "";
	const char *names[] = {"ca", "foreign"};
	vg_pki_ca *ours = NULL;
	for (int i = 0; i < 2; i++) {
		snprintf(d, sizeof(d), "%s/%s", root, names[i]);
		assert_int_equal(mkdir(d, 0700), 0);
		vg_pki_ca *ca = NULL;
		if (vg_pki_init_ca(d, &ca, why, sizeof(why)) != 0 || vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)) != 0)
			fail_msg("pki %s: %s", d, why);
		if (i == 0)
			ours = ca;
		else
			vg_pki_ca_free(ca);
	}
	snprintf(ca_file, sizeof(ca_file), "%s/ca/pki/ca.crt", root);
	snprintf(d, sizeof(d), "%s/client", root);
	assert_int_equal(mkdir(d, 0700), 0);
	char *csr = NULL, *cert = NULL, *capem = NULL, serial[VG_PKI_SERIAL_HEX];
	size_t clen = 0;
	assert_int_equal(vg_pki_agent_keygen(d, &csr, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_sign_csr(ours, csr, strlen(csr), "sharer", 0, &cert, serial, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_ca_pem(ours, &capem, &clen), 0);
	assert_int_equal(vg_pki_agent_store(d, cert, capem, why, sizeof(why)), 0);
	free(csr);
	free(cert);
	free(capem);
	vg_pki_ca_free(ours);
	snprintf(client_cert, sizeof(client_cert), "%s/client/agent.crt", root);
	snprintf(client_key, sizeof(client_key), "%s/client/agent.key", root);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < nlive; i++) {
		if (live[i] > 0) {
			kill(live[i], SIGTERM);
			waitpid(live[i], NULL, 0);
		}
	}
	if (root[0] != '\0')
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_success_with_polling),
		cmocka_unit_test(test_signed_posts),
		cmocka_unit_test(test_413_split),
		cmocka_unit_test(test_429_retry_after),
		cmocka_unit_test(test_500_then_success),
		cmocka_unit_test(test_status_failure),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_wrong_server_certificate),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
