/* test_share_https.c — the HTTPS sink end to end (outbox -> sender -> sink ->
 * a small HTTPS receiver written here with OpenSSL, on loopback): NDJSON
 * batches in seq order whose X-Vigil-Signature verifies over the body;
 * mutual TLS (a receiver requiring a client certificate gets one; without
 * one it answers 403 and nothing leaves the outbox); a bearer token (right:
 * delivered; wrong: 401, not retryable, error in the status); 413 splits a
 * batch; 429 and 500 are retried and everything arrives once; a receiver
 * that dies with a batch received but unacknowledged gets the same bytes
 * again (same ids and seqs) and nothing is lost; a receiver
 * whose certificate is not from the configured CA receives nothing and the
 * error says why. */
#ifdef VG_WITH_SHARE /* defined once src/share is in vigil_core (see docs/sharing.md) */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "net/pki.h"
#include "share/outbox.h"
#include "share/sender.h"
#include "share/service.h"
#include "share/sign.h"
#include "store/db.h"

#define NOW 1763719200000000LL
#define TOKEN "s3cret-Token_1"

static char root[64];      /* the PKIs: root/ca (ours), root/foreign, root/client */
static char dir[128];      /* the data directory of one test */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* ---- the receiver ---- */

typedef struct receiver {
	int lfd, port, stop;
	pthread_t th;
	SSL_CTX *ctx;
	int require_cert, require_token;
	int raw; /* a syslog-TLS receiver: every byte read goes to accepted */
	int codes[16]; /* answers of the first requests (0 or absent: 200; -1: close, no answer) */
	char *bodies[4]; /* the first requests' bodies */
	size_t split_above; /* answer 413 to batches of more items than this (0: never) */
	pthread_mutex_t mu;
	size_t requests, handshakes_failed;
	vg_buf accepted; /* bodies answered 2xx, concatenated */
	const vg_share_keys *keys;
	size_t bad_signatures;
} receiver;

static int ssl_read_all(SSL *s, char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		int r = SSL_read(s, p + got, (int)(n - got));
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static const char *header(const char *head, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
			return p + 3 + n + strspn(p + 3 + n, " ");
	return NULL;
}

static void answer(SSL *s, int code)
{
	char out[128];
	int n = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Length: 4\r\n\r\nnope", code);
	if (code == 200)
		n = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	SSL_write(s, out, n);
}

static void serve(receiver *rc, SSL *s)
{
	for (;;) {
		char head[16384];
		size_t hl = 0;
		while (hl < sizeof(head) - 1) {
			int r = SSL_read(s, head + hl, 1);
			if (r <= 0)
				return;
			hl++;
			if (hl >= 4 && memcmp(head + hl - 4, "\r\n\r\n", 4) == 0)
				break;
		}
		head[hl] = '\0';
		const char *cl = header(head, "Content-Length");
		size_t len = cl ? strtoul(cl, NULL, 10) : 0;
		char *body = malloc(len + 1);
		if (body == NULL || ssl_read_all(s, body, len) != 0) {
			free(body);
			return;
		}
		body[len] = '\0';
		pthread_mutex_lock(&rc->mu);
		size_t idx = rc->requests++;
		const char *auth = header(head, "Authorization");
		const char *sig = header(head, "X-Vigil-Signature");
		const char *items = header(head, "X-Vigil-Items");
		int code = idx < 16 && rc->codes[idx] ? rc->codes[idx] : 200;
		if (rc->require_token && (auth == NULL || strncmp(auth, "Bearer " TOKEN "\r\n", 9 + strlen(TOKEN)) != 0))
			code = 401;
		if (rc->require_cert && SSL_get0_peer_certificate(s) == NULL)
			code = 403;
		if (code == 200 && rc->split_above && items && strtoul(items, NULL, 10) > rc->split_above)
			code = 413;
		char sigb[VG_SHARE_SIG_B64] = "";
		if (sig != NULL)
			snprintf(sigb, sizeof(sigb), "%.*s", (int)strcspn(sig, "\r"), sig);
		if (!vg_share_verify_b64(rc->keys, body, len, sigb))
			rc->bad_signatures++;
		if (code == 200 && vg_buf_append(&rc->accepted, body, len) != 0)
			code = 500;
		if (idx < 4)
			rc->bodies[idx] = strdup(body);
		pthread_mutex_unlock(&rc->mu);
		free(body);
		if (code == -1)
			return; /* dies with the batch received but not acknowledged */
		answer(s, code);
	}
}

static void *receiver_main(void *ud)
{
	receiver *rc = ud;
	while (!__atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = {.fd = rc->lfd, .events = POLLIN};
		if (poll(&p, 1, 50) != 1)
			continue;
		int fd = accept(rc->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct timeval tv = {.tv_sec = 5};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		SSL *s = SSL_new(rc->ctx);
		SSL_set_fd(s, fd);
		if (SSL_accept(s) == 1 && rc->raw) {
			char b[65536];
			int r;
			while ((r = SSL_read(s, b, sizeof(b))) > 0) {
				pthread_mutex_lock(&rc->mu);
				if (vg_buf_append(&rc->accepted, b, (size_t)r) != 0)
					abort();
				pthread_mutex_unlock(&rc->mu);
			}
		} else if (SSL_get_state(s) == TLS_ST_OK) {
			serve(rc, s);
			SSL_shutdown(s);
		} else {
			pthread_mutex_lock(&rc->mu);
			rc->handshakes_failed++;
			pthread_mutex_unlock(&rc->mu);
		}
		SSL_free(s);
		close(fd);
	}
	return NULL;
}

/* pki: the directory whose pki/server.{crt,key} the receiver presents. */
static void receiver_start(receiver *rc, const char *pki, const vg_share_keys *keys)
{
	char crt[256], key[256], ca[256];
	snprintf(crt, sizeof(crt), "%s/pki/server.crt", pki);
	snprintf(key, sizeof(key), "%s/pki/server.key", pki);
	snprintf(ca, sizeof(ca), "%s/ca/pki/ca.crt", root);
	rc->keys = keys;
	pthread_mutex_init(&rc->mu, NULL);
	rc->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(rc->ctx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(rc->ctx, crt), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(rc->ctx, key, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_load_verify_locations(rc->ctx, ca, NULL), 1);
	SSL_CTX_set_verify(rc->ctx, SSL_VERIFY_PEER, NULL); /* a certificate is asked for, checked if sent */
	rc->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(rc->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(rc->lfd, 16), 0);
	socklen_t al = sizeof(a);
	getsockname(rc->lfd, (struct sockaddr *)&a, &al);
	rc->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&rc->th, NULL, receiver_main, rc), 0);
}

static void receiver_stop(receiver *rc)
{
	__atomic_store_n(&rc->stop, 1, __ATOMIC_RELEASE);
	pthread_join(rc->th, NULL);
	close(rc->lfd);
	SSL_CTX_free(rc->ctx);
	vg_buf_free(&rc->accepted);
	for (int i = 0; i < 4; i++)
		free(rc->bodies[i]);
	pthread_mutex_destroy(&rc->mu);
}

/* ---- the sending side ---- */

typedef struct fx {
	vg_db *db;
	vg_share_keys *keys;
	vg_outbox *ob;
	vg_share_sender *snd;
} fx;

static int group_setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/vg_test_share_https.XXXXXX");
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
	/* our client certificate, issued by "ca" */
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
	char tok[200];
	snprintf(tok, sizeof(tok), "%s/token", root);
	assert_int_equal(vg_pki_file_write(tok, TOKEN "\n", strlen(TOKEN) + 1, 0600), 0);
	snprintf(tok, sizeof(tok), "%s/badtoken", root);
	assert_int_equal(vg_pki_file_write(tok, "wrong-token\n", 12, 0600), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void fx_open(fx *f)
{
	static int n;
	snprintf(dir, sizeof(dir), "%s/data%d", root, ++n);
	assert_int_equal(mkdir(dir, 0700), 0);
	int err = 0;
	char why[256] = "";
	f->db = vg_db_open(dir, NULL, &err, why, sizeof(why));
	assert_non_null(f->db);
	assert_int_equal(vg_share_keys_load(dir, 1, &f->keys, why, sizeof(why)), 0);
	f->ob = vg_outbox_open(f->db, f->keys, NULL, &err, why, sizeof(why));
	assert_non_null(f->ob);
	f->snd = vg_share_sender_new(f->ob, f->keys, &err);
	assert_non_null(f->snd);
}

static void fx_close(fx *f)
{
	vg_share_sender_free(f->snd);
	vg_outbox_close(f->ob);
	vg_share_keys_free(f->keys);
	vg_db_close(f->db);
}

/* a destination "d" to the receiver; auth: "cert", "token", "badtoken", "both" */
static void add_dest(fx *f, int port, const char *auth, unsigned batch)
{
	char cfg[2048], why[256] = "";
	int n = snprintf(cfg, sizeof(cfg),
			 "{\"sink\":\"https\",\"url\":\"https://127.0.0.1:%d/ingest\",\"ca\":\"%s/ca/pki/ca.crt\","
			 "\"batch\":%u,\"timeout_ms\":5000",
			 port, root, batch);
	if (strcmp(auth, "cert") == 0 || strcmp(auth, "both") == 0)
		n += snprintf(cfg + n, sizeof(cfg) - (size_t)n,
			      ",\"cert\":\"%s/client/agent.crt\",\"key\":\"%s/client/agent.key\"", root, root);
	if (strcmp(auth, "token") == 0 || strcmp(auth, "both") == 0)
		n += snprintf(cfg + n, sizeof(cfg) - (size_t)n, ",\"token_file\":\"%s/token\"", root);
	if (strcmp(auth, "badtoken") == 0)
		n += snprintf(cfg + n, sizeof(cfg) - (size_t)n, ",\"token_file\":\"%s/badtoken\"", root);
	snprintf(cfg + n, sizeof(cfg) - (size_t)n, "}");
	if (vg_outbox_dest_add(f->ob, "d", cfg, "{\"streams\":[\"alerts\"]}", why, sizeof(why)) != 0)
		fail_msg("dest: %s", why);
}

static void add_alerts(fx *f, int from, int to)
{
	for (int i = from; i <= to; i++) {
		char doc[256];
		snprintf(doc, sizeof(doc), "{\"n\":%d,\"rule\":{\"id\":\"r\",\"level\":\"high\"}}", i);
		vg_db_alert a = {.ts_us = NOW + i, .level = "high", .doc = doc, .doc_len = strlen(doc)};
		assert_int_equal(vg_db_alert_insert(f->db, &a), 0);
	}
	/* VG_OUTBOX_ENQUEUE_BATCH alerts per call */
	uint64_t queued = 0;
	for (int k = 0; k < 1000 && queued < (uint64_t)(to - from + 1); k++) {
		vg_outbox_counts c;
		assert_int_equal(vg_outbox_enqueue_alerts(f->ob, NOW, &c), 0);
		assert_true(c.queued <= VG_OUTBOX_ENQUEUE_BATCH);
		queued += c.queued;
	}
	assert_int_equal(queued, (uint64_t)(to - from + 1));
}

static void run(fx *f, vg_share_sender_stats *st)
{
	assert_int_equal(vg_share_sender_run(f->snd, NOW, 10 * 1000000LL, 0, st), 0);
}

static json_t *status(fx *f)
{
	json_t *s = NULL;
	assert_int_equal(vg_outbox_status(f->ob, NOW, &s), 0);
	json_t *d = json_incref(json_array_get(json_object_get(s, "destinations"), 0));
	json_decref(s);
	return d;
}

static long long st_int(fx *f, const char *key)
{
	json_t *d = status(f);
	long long v = (long long)json_integer_value(json_object_get(d, key));
	json_decref(d);
	return v;
}

/* The ids of the accepted NDJSON lines must be alert-FIRST..LAST in order,
 * each once, with seq 1..n. */
static void expect_ids(receiver *rc, int first, int last)
{
	pthread_mutex_lock(&rc->mu);
	int want = first, seq = 1;
	const char *p = rc->accepted.data, *end = p + rc->accepted.len;
	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		json_t *j = json_loadb(p, (size_t)(nl - p), 0, NULL);
		assert_non_null(j);
		char id[32];
		snprintf(id, sizeof(id), "alert-%d", want);
		assert_string_equal(json_string_value(json_object_get(j, "id")), id);
		assert_int_equal(json_integer_value(json_object_get(j, "seq")), seq);
		json_decref(j);
		want++;
		seq++;
		p = nl + 1;
	}
	pthread_mutex_unlock(&rc->mu);
	assert_int_equal(want, last + 1);
}

static void test_mutual_tls(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	receiver rc = {.require_cert = 1};
	char pki[128];
	snprintf(pki, sizeof(pki), "%s/ca", root);
	receiver_start(&rc, pki, f.keys);
	add_dest(&f, rc.port, "cert", 4);
	add_alerts(&f, 1, 10);
	vg_share_sender_stats st;
	run(&f, &st);
	assert_int_equal(st.sent, 10);
	assert_int_equal(st.failures, 0);
	expect_ids(&rc, 1, 10);
	receiver_stop(&rc); /* joins: the counts below are final */
	assert_int_equal(rc.requests, 3); /* 4 + 4 + 2 on one kept-alive connection */
	assert_int_equal(rc.bad_signatures, 0);
	fx_close(&f);
}

static void test_ids_and_signatures(void **state)
{
	(void)state;
	fx f;
	fx_open(&f);
	receiver rc = {.require_token = 1};
	char pki[128];
	snprintf(pki, sizeof(pki), "%s/ca", root);
	receiver_start(&rc, pki, f.keys);
	add_dest(&f, rc.port, "token", 3);
	add_alerts(&f, 1, 7);
	vg_share_sender_stats st;
	run(&f, &st);
	assert_int_equal(st.sent, 7);
	expect_ids(&rc, 1, 7);
	assert_int_equal(rc.bad_signatures, 0);
	assert_int_equal(st_int(&f, "backlog"), 0);
	assert_int_equal(st_int(&f, "acked_seq"), 7);
	assert_int_equal(st_int(&f, "sent_1h"), 7);
	receiver_stop(&rc);
	fx_close(&f);
}

static void test_refusals(void **state)
{
	(void)state;
	char pki[128];
	snprintf(pki, sizeof(pki), "%s/ca", root);
	/* no client certificate where one is required: 403, nothing leaves */
	fx f;
	fx_open(&f);
	receiver rc = {.require_cert = 1};
	receiver_start(&rc, pki, f.keys);
	add_dest(&f, rc.port, "token", 10);
	add_alerts(&f, 1, 3);
	vg_share_sender_stats st;
	run(&f, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st_int(&f, "backlog"), 3);
	json_t *d = status(&f);
	assert_non_null(strstr(json_string_value(json_object_get(d, "last_error")), "HTTP 403"));
	json_decref(d);
	receiver_stop(&rc);
	fx_close(&f);

	/* a wrong token: 401, not retryable (the longest back-off) */
	fx_open(&f);
	receiver r2 = {.require_token = 1};
	receiver_start(&r2, pki, f.keys);
	add_dest(&f, r2.port, "badtoken", 10);
	add_alerts(&f, 1, 2);
	run(&f, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.pending, 1);
	assert_true(st.next_us >= NOW + (VG_SENDER_BACKOFF_MAX_MS - 5000) * 1000LL);
	d = status(&f);
	assert_non_null(strstr(json_string_value(json_object_get(d, "last_error")), "HTTP 401"));
	json_decref(d);
	/* backed off: the next run does not try */
	run(&f, &st);
	receiver_stop(&r2);
	assert_int_equal(r2.requests, 1);
	fx_close(&f);
}

static void test_split_and_retry(void **state)
{
	(void)state;
	char pki[128];
	snprintf(pki, sizeof(pki), "%s/ca", root);
	fx f;
	fx_open(&f);
	receiver rc = {.split_above = 2, .codes = {429, 500}};
	receiver_start(&rc, pki, f.keys);
	add_dest(&f, rc.port, "both", 5);
	add_alerts(&f, 1, 9);
	vg_share_sender_stats st;
	run(&f, &st); /* 429 */
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.failures, 1);
	assert_true(st.next_us > NOW && st.next_us <= NOW + 2 * VG_SENDER_BACKOFF_MIN_MS * 1000LL);
	json_t *d = status(&f);
	assert_non_null(strstr(json_string_value(json_object_get(d, "last_error")), "HTTP 429"));
	json_decref(d);
	vg_share_sender_wake(f.snd);
	run(&f, &st); /* 500 */
	assert_int_equal(st.sent, 0);
	assert_int_equal(st_int(&f, "failures"), 2);
	vg_share_sender_wake(f.snd);
	run(&f, &st); /* 413 splits 5 -> 2 + 3 -> 2 + 1 + 2 ... until all pass */
	assert_int_equal(st.sent, 9);
	assert_int_equal(st_int(&f, "backlog"), 0);
	assert_int_equal(st_int(&f, "failures"), 0);
	expect_ids(&rc, 1, 9);
	receiver_stop(&rc);
	assert_true(rc.requests > 6);
	assert_int_equal(rc.bad_signatures, 0);
	fx_close(&f);
}

static void test_receiver_dies(void **state)
{
	(void)state;
	char pki[128];
	snprintf(pki, sizeof(pki), "%s/ca", root);
	fx f;
	fx_open(&f);
	receiver rc = {.codes = {200, -1}};
	receiver_start(&rc, pki, f.keys);
	add_dest(&f, rc.port, "token", 3);
	add_alerts(&f, 1, 8);
	vg_share_sender_stats st;
	run(&f, &st); /* batch 1 acknowledged; the receiver dies with batch 2 */
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st_int(&f, "backlog"), 5);
	assert_int_equal(st_int(&f, "acked_seq"), 3);
	vg_share_sender_wake(f.snd);
	run(&f, &st);
	assert_int_equal(st.sent, 5);
	expect_ids(&rc, 1, 8); /* nothing lost, each once among the acknowledged */
	pthread_mutex_lock(&rc.mu);
	assert_non_null(rc.bodies[1]);
	assert_non_null(rc.bodies[2]);
	/* the resent batch is the same bytes: same ids, same seqs, same signature */
	assert_string_equal(rc.bodies[1], rc.bodies[2]);
	pthread_mutex_unlock(&rc.mu);
	receiver_stop(&rc);
	assert_int_equal(rc.bad_signatures, 0);
	fx_close(&f);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses the octet-counted frames in the receiver's bytes; verifies each
 * MSG's signature and the id/seq order; returns the number of frames. */
static size_t syslog_frames(receiver *rc, const vg_share_keys *k)
{
	pthread_mutex_lock(&rc->mu);
	size_t n = 0, off = 0;
	while (off < rc->accepted.len) {
		char *end = NULL;
		unsigned long len = strtoul(rc->accepted.data + off, &end, 10);
		if (end == NULL || *end != ' ' || (size_t)(end + 1 - rc->accepted.data) + len > rc->accepted.len)
			break; /* incomplete: more bytes to come */
		char *msg = end + 1, *fin = msg + len;
		char want[64];
		snprintf(want, sizeof(want), "[vigil@32473 id=\"alert-%zu\" seq=\"%zu\"] ", n + 1, n + 1);
		char *ids = memmem(msg, len, want, strlen(want));
		assert_non_null(ids);
		char *m = ids + strlen(want), *sig = memmem(msg, len, "sig=\"", 5);
		assert_non_null(sig);
		char sigb[VG_SHARE_SIG_B64];
		memcpy(sigb, sig + 5, VG_SHARE_SIG_B64 - 1);
		sigb[VG_SHARE_SIG_B64 - 1] = '\0';
		if (!vg_share_verify_b64(k, m, (size_t)(fin - m), sigb))
			rc->bad_signatures++;
		n++;
		off = (size_t)(fin - rc->accepted.data);
	}
	pthread_mutex_unlock(&rc->mu);
	return n;
}

/* The syslog sink through the sender to a TLS receiver written here: every
 * frame is octet-counted, in order, signed; prints the throughput. */
static void test_syslog_sink(void **state)
{
	(void)state;
	enum { N = 3000 };
	char pki[128], cfg[2048], why[256] = "";
	snprintf(pki, sizeof(pki), "%s/ca", root);
	fx f;
	fx_open(&f);
	receiver rc = {.raw = 1, .require_cert = 1};
	receiver_start(&rc, pki, f.keys);
	snprintf(cfg, sizeof(cfg),
		 "{\"sink\":\"syslog\",\"format\":\"cef\",\"address\":\"127.0.0.1:%d\",\"ca\":\"%s/ca/pki/ca.crt\","
		 "\"cert\":\"%s/client/agent.crt\",\"key\":\"%s/client/agent.key\",\"batch\":500}",
		 rc.port, root, root, root);
	if (vg_outbox_dest_add(f.ob, "d", cfg, "{\"streams\":[\"alerts\"]}", why, sizeof(why)) != 0)
		fail_msg("dest: %s", why);
	assert_int_equal(vg_db_begin(f.db), 0);
	add_alerts(&f, 1, N);
	assert_int_equal(vg_db_commit(f.db), 0);
	vg_share_sender_stats st;
	double t0 = mono();
	run(&f, &st);
	double t1 = mono(); /* written to the connection (syslog has no acknowledgement) */
	assert_int_equal(st.sent, N);
	for (int i = 0; i < 600 && syslog_frames(&rc, f.keys) < N; i++)
		usleep(20000);
	assert_int_equal(syslog_frames(&rc, f.keys), N);
	assert_int_equal(rc.bad_signatures, 0);
	printf("syslog-TLS sink (CEF, batch 500): %d items in %.3f s: %.0f items/s\n", N, t1 - t0, N / (t1 - t0));
	fx_close(&f); /* closes the connection: the receiver's read ends */
	receiver_stop(&rc);
}

/* The same measurement for the HTTPS sink. */
static void test_https_rate(void **state)
{
	(void)state;
	enum { N = 3000 };
	char pki[128];
	snprintf(pki, sizeof(pki), "%s/ca", root);
	fx f;
	fx_open(&f);
	receiver rc = {0};
	receiver_start(&rc, pki, f.keys);
	add_dest(&f, rc.port, "both", 500);
	assert_int_equal(vg_db_begin(f.db), 0);
	add_alerts(&f, 1, N);
	assert_int_equal(vg_db_commit(f.db), 0);
	vg_share_sender_stats st;
	double t0 = mono();
	run(&f, &st);
	double t1 = mono();
	assert_int_equal(st.sent, N);
	expect_ids(&rc, 1, N);
	printf("HTTPS sink (NDJSON, batch 500): %d items in %.3f s: %.0f items/s\n", N, t1 - t0, N / (t1 - t0));
	receiver_stop(&rc);
	assert_int_equal(rc.bad_signatures, 0);
	fx_close(&f);
}

static void test_wrong_server_cert(void **state)
{
	(void)state;
	char pki[128];
	snprintf(pki, sizeof(pki), "%s/foreign", root);
	fx f;
	fx_open(&f);
	receiver rc = {0};
	receiver_start(&rc, pki, f.keys);
	add_dest(&f, rc.port, "both", 5);
	add_alerts(&f, 1, 3);
	vg_share_sender_stats st;
	run(&f, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.failures, 1);
	assert_true(st.next_us >= NOW + (VG_SENDER_BACKOFF_MAX_MS - 5000) * 1000LL); /* needs an operator */
	json_t *d = status(&f);
	const char *e = json_string_value(json_object_get(d, "last_error"));
	assert_non_null(e);
	if (strstr(e, "certificate") == NULL && strstr(e, "SSL") == NULL)
		fail_msg("error does not name the certificate: %s", e);
	assert_int_equal(json_integer_value(json_object_get(d, "backlog")), 3);
	json_decref(d);
	pthread_mutex_lock(&rc.mu);
	assert_int_equal(rc.accepted.len, 0);
	pthread_mutex_unlock(&rc.mu);
	receiver_stop(&rc);
	assert_int_equal(rc.requests, 0);
	assert_true(rc.handshakes_failed >= 1);
	fx_close(&f);
}

static size_t accepted_lines(receiver *rc)
{
	pthread_mutex_lock(&rc->mu);
	size_t n = 0;
	for (size_t i = 0; i < rc->accepted.len; i++)
		n += rc->accepted.data[i] == '\n';
	pthread_mutex_unlock(&rc->mu);
	return n;
}

/* The server's sharing thread: alerts committed by another connection reach
 * the receiver in order without any explicit call, the status snapshot
 * shows them sent, and the sender lock keeps a second sender out. */
static void test_service(void **state)
{
	(void)state;
	char pki[128], why[256] = "";
	snprintf(pki, sizeof(pki), "%s/ca", root);
	fx f;
	fx_open(&f);
	receiver rc = {0};
	receiver_start(&rc, pki, f.keys);
	add_dest(&f, rc.port, "cert", 50);
	/* queued before the service starts (which would otherwise race this
	 * thread for them): the service sends what is in the outbox */
	add_alerts(&f, 1, 120);
	vg_share_service *svc = NULL, *second = NULL;
	vg_share_service_opts o = {.dir = dir, .origin = "org-svc", .poll_ms = 50};
	assert_int_equal(vg_share_service_start(&o, &svc, why, sizeof(why)), 0);
	assert_int_equal(vg_share_service_start(&o, &second, why, sizeof(why)), VG_EIO);
	assert_non_null(strstr(why, "sender.lock"));
	int lock = -1;
	assert_int_equal(vg_share_sender_lock(dir, &lock), VG_EIO);
	for (int i = 121; i <= 200; i++) {
		char doc[128];
		snprintf(doc, sizeof(doc), "{\"n\":%d,\"rule\":{\"level\":\"high\"}}", i);
		vg_db_alert a = {.ts_us = NOW + i, .level = "high", .doc = doc, .doc_len = strlen(doc)};
		assert_int_equal(vg_db_alert_insert(f.db, &a), 0);
	}
	vg_share_service_wake(svc);
	/* not a timing assertion: a generous bound against a hang */
	for (int i = 0; i < 600 && accepted_lines(&rc) < 200; i++)
		usleep(50000);
	expect_ids(&rc, 1, 200);
	json_t *st = NULL;
	for (int i = 0; i < 600; i++) {
		json_decref(st);
		st = vg_share_service_status(svc);
		json_t *d = json_array_get(json_object_get(st, "destinations"), 0);
		if (d != NULL && json_integer_value(json_object_get(d, "backlog")) == 0 &&
		    json_integer_value(json_object_get(d, "sent_1h")) == 200)
			break;
		usleep(50000);
	}
	json_t *d = json_array_get(json_object_get(st, "destinations"), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "backlog")), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "sent_1h")), 200);
	assert_true(json_integer_value(json_object_get(st, "rounds")) >= 1);
	assert_true(json_is_null(json_object_get(st, "loop_error")));
	json_decref(st);
	vg_share_service_stop(svc);
	assert_int_equal(vg_share_sender_lock(dir, &lock), 0); /* released */
	close(lock);
	receiver_stop(&rc);
	assert_int_equal(rc.bad_signatures, 0);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutual_tls),
		cmocka_unit_test(test_ids_and_signatures),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_split_and_retry),
		cmocka_unit_test(test_receiver_dies),
		cmocka_unit_test(test_wrong_server_cert),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_syslog_sink),
		cmocka_unit_test(test_https_rate),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
#else
#include <stdio.h>
int main(void)
{
	puts("SKIP: src/share is not built into vigil_core yet (VG_WITH_SHARE)");
	return 0;
}
#endif
