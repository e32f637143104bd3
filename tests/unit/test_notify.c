/* test_notify.c — notifications of the person on duty (server/notify.c)
 * against a tiny SMTP receiver and an HTTP webhook receiver written here, on
 * 127.0.0.1 ephemeral ports, recording what they got: settings validation,
 * new high/critical alerts queued once per channel of everyone on duty,
 * e-mail headers and body, webhook JSON, RFC 2047 subjects, SMTP AUTH,
 * retries with back-off and giving up, no one on duty, the high-water mark
 * on first install, and the REST routes (password never returned nor
 * audited, test messages, outbox). Explicit now values throughout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "net/pki.h"
#include "server/api.h"
#include "server/audit.h"
#include "server/notify.h"
#include "server/roster.h"

#define P 600
#define S 1000000LL
#define H (3600 * S)
#define T0 1795000000000000LL
#define PW "a-long-password-123"
#define SMTP_SECRET "s3cret-smtp-pässword"

/* ---- receivers ---- */

#define RX_MAX 32

typedef struct rx {
	int fd;
	unsigned port;
	int smtp; /* else HTTP */
	pthread_t th;
	pthread_mutex_t mu;
	atomic_int stop;
	atomic_int status;    /* HTTP: the answer's status */
	atomic_int smtp_fail; /* SMTP: answer 451 to the end of DATA */
	char *got[RX_MAX];
	size_t n;
} rx;

static rx smtp_rx, hook_rx;

typedef struct conn {
	int fd;
	char buf[1 << 16];
	size_t len;
} conn;

/* One CRLF- (or LF-) terminated line into out (without it); 0 at EOF. */
static int read_line(conn *c, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			size_t k = (size_t)(nl - c->buf);
			size_t m = k > 0 && c->buf[k - 1] == '\r' ? k - 1 : k;
			if (m >= cap)
				m = cap - 1;
			memcpy(out, c->buf, m);
			out[m] = '\0';
			memmove(c->buf, nl + 1, c->len - k - 1);
			c->len -= k + 1;
			return 1;
		}
		if (c->len == sizeof(c->buf))
			return 0;
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			return 0;
		c->len += (size_t)r;
	}
}

static void say(int fd, const char *s)
{
	size_t n = strlen(s), o = 0;
	while (o < n) {
		ssize_t w = send(fd, s + o, n - o, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		o += (size_t)w;
	}
}

static void record(rx *x, char *s)
{
	pthread_mutex_lock(&x->mu);
	if (x->n < RX_MAX)
		x->got[x->n++] = s;
	else
		free(s);
	pthread_mutex_unlock(&x->mu);
}

static void append(char **acc, size_t *len, const char *s)
{
	size_t k = strlen(s);
	char *p = realloc(*acc, *len + k + 2);
	assert_non_null(p);
	memcpy(p + *len, s, k);
	p[*len + k] = '\n';
	p[*len + k + 1] = '\0';
	*len += k + 1;
	*acc = p;
}

/* Enough SMTP for libcurl: greeting, EHLO (8BITMIME, AUTH PLAIN), AUTH
 * PLAIN, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT. The record:
 * "MAIL ...\nRCPT ...\n[AUTH user:pass\n]\n<message>". */
static void smtp_session(rx *x, int fd)
{
	conn *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->fd = fd;
	char line[4096], *acc = NULL, auth[512] = "";
	size_t len = 0;
	say(fd, "220 rx.test ESMTP\r\n");
	while (read_line(c, line, sizeof(line))) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			say(fd, "250-rx.test\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n");
		} else if (strncasecmp(line, "HELO", 4) == 0) {
			say(fd, "250 rx.test\r\n");
		} else if (strncasecmp(line, "AUTH PLAIN", 10) == 0) {
			/* with the initial response, or after a 334 challenge */
			char cred[4096];
			if (line[10] == ' ')
				snprintf(cred, sizeof(cred), "%s", line + 11);
			else {
				say(fd, "334 \r\n");
				if (!read_line(c, cred, sizeof(cred)))
					break;
			}
			unsigned char dec[4096];
			int n = EVP_DecodeBlock(dec, (const unsigned char *)cred, (int)strlen(cred));
			/* "\0user\0pass" (padding may add NULs at the end) */
			if (n > 1) {
				dec[n] = '\0';
				const char *u = (const char *)dec + 1;
				snprintf(auth, sizeof(auth), "AUTH %.200s:%.200s", u, u + strlen(u) + 1);
			}
			say(fd, "235 ok\r\n");
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			free(acc);
			acc = NULL;
			len = 0;
			append(&acc, &len, line);
			say(fd, "250 ok\r\n");
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			append(&acc, &len, line);
			say(fd, "250 ok\r\n");
		} else if (strcasecmp(line, "DATA") == 0) {
			say(fd, "354 go ahead\r\n");
			if (auth[0])
				append(&acc, &len, auth);
			append(&acc, &len, "");
			while (read_line(c, line, sizeof(line)) && strcmp(line, ".") != 0)
				append(&acc, &len, line[0] == '.' ? line + 1 : line);
			if (atomic_load(&x->smtp_fail)) {
				say(fd, "451 try again later\r\n");
			} else {
				record(x, acc);
				acc = NULL;
				len = 0;
				say(fd, "250 queued\r\n");
			}
		} else if (strcasecmp(line, "QUIT") == 0) {
			say(fd, "221 bye\r\n");
			break;
		} else if (strcasecmp(line, "RSET") == 0 || strcasecmp(line, "NOOP") == 0) {
			say(fd, "250 ok\r\n");
		} else {
			say(fd, "502 not implemented\r\n");
		}
	}
	free(acc);
	free(c);
}

/* One HTTP/1.1 request: "METHOD PATH\nContent-Type\n\n<body>". */
static void http_session(rx *x, int fd)
{
	conn *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->fd = fd;
	char line[4096], req[4096] = "", ctype[256] = "";
	size_t clen = 0;
	if (!read_line(c, req, sizeof(req))) {
		free(c);
		return;
	}
	while (read_line(c, line, sizeof(line)) && line[0] != '\0') {
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			clen = strtoul(line + 15, NULL, 10);
		if (strncasecmp(line, "Content-Type:", 13) == 0)
			snprintf(ctype, sizeof(ctype), "%.200s", line + 14);
	}
	while (c->len < clen && c->len < sizeof(c->buf)) {
		ssize_t r = recv(fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			break;
		c->len += (size_t)r;
	}
	char *out = NULL;
	char *sp = strrchr(req, ' ');
	if (sp != NULL)
		*sp = '\0'; /* drop " HTTP/1.1" */
	assert_true(asprintf(&out, "%s\n%s\n\n%.*s", req, ctype, (int)(clen < c->len ? clen : c->len), c->buf) > 0);
	record(x, out);
	char resp[128];
	snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		 atomic_load(&x->status));
	say(fd, resp);
	free(c);
}

static void *rx_main(void *arg)
{
	rx *x = arg;
	while (!atomic_load(&x->stop)) {
		struct pollfd p = {.fd = x->fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(x->fd, NULL, NULL);
		if (fd < 0)
			continue;
		if (x->smtp)
			smtp_session(x, fd);
		else
			http_session(x, fd);
		close(fd);
	}
	return NULL;
}

static void rx_start(rx *x, int smtp)
{
	memset(x, 0, sizeof(*x));
	x->smtp = smtp;
	atomic_store(&x->status, 200);
	pthread_mutex_init(&x->mu, NULL);
	x->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(x->fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(x->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(x->fd, 16), 0);
	assert_int_equal(getsockname(x->fd, (struct sockaddr *)&a, &al), 0);
	x->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&x->th, NULL, rx_main, x), 0);
}

static void rx_clear(rx *x)
{
	pthread_mutex_lock(&x->mu);
	for (size_t i = 0; i < x->n; i++)
		free(x->got[i]);
	x->n = 0;
	pthread_mutex_unlock(&x->mu);
}

static void rx_stop(rx *x)
{
	atomic_store(&x->stop, 1);
	pthread_join(x->th, NULL);
	close(x->fd);
	rx_clear(x);
	pthread_mutex_destroy(&x->mu);
}

static size_t rx_count(rx *x)
{
	pthread_mutex_lock(&x->mu);
	size_t n = x->n;
	pthread_mutex_unlock(&x->mu);
	return n;
}

/* The recorded message that contains `needle` (NULL if none). */
static const char *rx_find(rx *x, const char *needle)
{
	const char *hit = NULL;
	pthread_mutex_lock(&x->mu);
	for (size_t i = 0; i < x->n && hit == NULL; i++)
		if (strstr(x->got[i], needle) != NULL)
			hit = x->got[i];
	pthread_mutex_unlock(&x->mu);
	return hit;
}

/* ---- fixture ---- */

static struct {
	char root[64], ca[P], cert[P], key[P], url[64];
	vg_db *db;
	vg_auth *auth;
	vg_http *srv;
	vg_api *api;
	vg_notify *nt;
	vg_roster *ro;
	char tok_admin[VG_AUTH_TOKEN_BUF], tok_ana[VG_AUTH_TOKEN_BUF];
	int64_t lan_shift, boss_shift;
} fx;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void add_user(const char *name, vg_role role, char tok[VG_AUTH_TOKEN_BUF])
{
	const vg_auth_actor cli = {.name = "cli:test"};
	vg_auth_user_new u = {.name = name, .role = role, .password = PW, .pw_len = strlen(PW)};
	assert_int_equal(vg_auth_user_add(fx.auth, &cli, &u, T0, NULL), 0);
	vg_auth_token_new t = {.user = name, .scope = VG_SCOPE_ALL};
	assert_int_equal(vg_auth_token_create(fx.auth, &cli, &t, T0, tok, NULL), 0);
}

static void insert_alert(int64_t ts, const char *title, const char *level, const char *host)
{
	char doc[256];
	int n = snprintf(doc, sizeof(doc), "{\"rule\":{\"title\":\"%s\"}}", title);
	vg_db_alert a = {.ts_us = ts,
			 .rule_id = "r-1",
			 .rule_title = title,
			 .level = level,
			 .host = host,
			 .source_ip = "203.0.113.9",
			 .doc = doc,
			 .doc_len = (size_t)n};
	assert_int_equal(vg_db_alert_insert(fx.db, &a), 0);
}

static int64_t last_alert_id(void)
{
	sqlite3 *h = (sqlite3 *)vg_db_sqlite(fx.db);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT MAX(id) FROM alerts", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static int setup(void **state)
{
	(void)state;
	char why[512] = "";
	int err = 0;
	vg_pki_ca *ca;
	rx_start(&smtp_rx, 1);
	rx_start(&hook_rx, 0);
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_notify_XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	assert_int_equal(vg_pki_init_ca(fx.root, &ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(ca, NULL, 0, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(fx.ca, P, "%s/pki/ca.crt", fx.root);
	snprintf(fx.cert, P, "%s/pki/server.crt", fx.root);
	snprintf(fx.key, P, "%s/pki/server.key", fx.root);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	fx.db = vg_db_open(fx.root, NULL, &err, why, sizeof(why));
	if (fx.db == NULL)
		fail_msg("vg_db_open: %s", why);
	assert_non_null(fx.auth = vg_auth_open(fx.db, NULL, &err));
	add_user("boss", VG_ROLE_ADMIN, fx.tok_admin);
	add_user("lan", VG_ROLE_ANALYST, fx.tok_ana);
	/* an alert from before the module existed: never notified */
	insert_alert(T0 - H, "Old alert", "critical", "old-01");
	assert_non_null(fx.nt = vg_notify_open(fx.db, &err));
	assert_non_null(fx.ro = vg_roster_open(fx.db, &err));
	fx.srv = vg_http_new(&(vg_http_opts){.addr = "127.0.0.1:0", .cert_path = fx.cert, .key_path = fx.key}, &err, why,
			     sizeof(why));
	if (fx.srv == NULL)
		fail_msg("vg_http_new: %s", why);
	snprintf(fx.url, sizeof(fx.url), "https://127.0.0.1:%u", vg_http_port(fx.srv));
	assert_non_null(fx.api = vg_api_new(fx.srv, fx.db, fx.auth));
	assert_int_equal(vg_api_register_core(fx.api), 0);
	assert_int_equal(vg_notify_register_api(fx.nt, fx.api), 0);
	assert_int_equal(vg_http_start(fx.srv, why, sizeof(why)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_http_free(fx.srv);
	vg_notify_close(fx.nt);
	vg_api_free(fx.api);
	vg_roster_close(fx.ro);
	vg_auth_close(fx.auth);
	vg_db_close(fx.db);
	curl_global_cleanup();
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	rx_stop(&smtp_rx);
	rx_stop(&hook_rx);
	return 0;
}

/* ---- outbox helpers ---- */

typedef struct orow {
	int64_t id, alert_id, next;
	char channel[16], state[16], address[128], err[256];
	int attempts;
} orow;

typedef struct orows {
	orow v[64];
	size_t n;
} orows;

static int take_item(void *ud, const vg_notify_item *it)
{
	orows *x = ud;
	if (x->n == 64)
		return 0;
	orow *r = &x->v[x->n++];
	r->id = it->id;
	r->alert_id = it->alert_id;
	r->next = it->next_us;
	r->attempts = it->attempts;
	snprintf(r->channel, sizeof(r->channel), "%s", it->channel);
	snprintf(r->state, sizeof(r->state), "%s", it->state);
	snprintf(r->address, sizeof(r->address), "%s", it->address != NULL ? it->address : "");
	snprintf(r->err, sizeof(r->err), "%s", it->last_error != NULL ? it->last_error : "");
	return 0;
}

static orows outbox(const char *state)
{
	orows x;
	memset(&x, 0, sizeof(x));
	assert_int_equal(vg_notify_outbox(fx.nt, state, 64, take_item, &x), 0);
	return x;
}

static size_t tick(int64_t now)
{
	size_t q = 99999;
	assert_int_equal(vg_notify_tick_count(fx.nt, now, &q), 0);
	return q;
}

/* One collect/send/finish round at now; returns the deliveries that worked. */
static size_t deliver(int64_t now)
{
	size_t sent = 0;
	assert_int_equal(vg_notify_run_once(fx.nt, fx.api, now, &sent), 0);
	return sent;
}

static void configure_smtp(void)
{
	const char *field = NULL;
	vg_notify_settings_patch p = {.smtp_host = "127.0.0.1",
				      .has_port = 1,
				      .smtp_port = (int)smtp_rx.port,
				      .smtp_security = "none",
				      .mail_from = "vigil@soc.example.vn",
				      .link_base = "https://vigil.example.vn/",
				      .has_timeout = 1,
				      .timeout_s = 10};
	assert_int_equal(vg_notify_settings_set(fx.nt, &p, &field), 0);
}

static void add_shift(const char *person, int64_t start, int64_t end, const char *email, const char *hook,
		      int64_t *id)
{
	vg_roster_shift s = {.person = person, .start_us = start, .end_us = end, .email = email, .webhook = hook};
	assert_int_equal(vg_roster_add(fx.ro, &s, T0, id, NULL), 0);
}

/* ---- tests ---- */

typedef struct sgot {
	int enabled, port, timeout;
	char level[16], security[16], password[64];
} sgot;

static void take_settings(void *ud, const vg_notify_settings *s)
{
	sgot *g = ud;
	g->enabled = s->enabled;
	g->port = s->smtp_port;
	g->timeout = s->timeout_s;
	snprintf(g->level, sizeof(g->level), "%s", s->min_level);
	snprintf(g->security, sizeof(g->security), "%s", s->smtp_security);
	snprintf(g->password, sizeof(g->password), "%s", s->smtp_password);
}

static void test_settings(void **state)
{
	(void)state;
	sgot g;
	assert_int_equal(vg_notify_settings_get(fx.nt, take_settings, &g), 0);
	assert_int_equal(g.enabled, 1);
	assert_string_equal(g.level, "high");
	assert_string_equal(g.security, "starttls");
	assert_int_equal(g.port, 587);
	struct {
		vg_notify_settings_patch p;
		const char *field;
	} bad[] = {
		{{.min_level = "medium"}, "min_level"},
		{{.smtp_host = "mail host"}, "smtp_host"},
		{{.has_port = 1, .smtp_port = 0}, "smtp_port"},
		{{.smtp_security = "ssl"}, "smtp_security"},
		{{.smtp_password = "a\r\nb"}, "smtp_password"},
		{{.mail_from = "vigil"}, "mail_from"},
		{{.link_base = "javascript:alert(1)"}, "link_base"},
		{{.ca_file = "relative.pem"}, "ca_file"},
		{{.has_timeout = 1, .timeout_s = 1000}, "timeout_s"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *field = NULL;
		assert_int_equal(vg_notify_settings_set(fx.nt, &bad[i].p, &field), VG_EINVAL);
		assert_string_equal(field, bad[i].field);
	}
	/* nothing of the refused changes stuck */
	assert_int_equal(vg_notify_settings_get(fx.nt, take_settings, &g), 0);
	assert_int_equal(g.port, 587);
	configure_smtp();
	assert_int_equal(vg_notify_settings_get(fx.nt, take_settings, &g), 0);
	assert_int_equal(g.port, (int)smtp_rx.port);
	assert_string_equal(g.security, "none");
	assert_string_equal(g.password, "");
}

static void test_no_one_on_duty(void **state)
{
	(void)state;
	/* the pre-install alert is behind the mark */
	assert_int_equal(tick(T0), 0);
	insert_alert(T0, "Port scan", "high", "fw-01");
	int64_t id = last_alert_id();
	assert_int_equal(tick(T0), 1);
	orows o = outbox(NULL);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.v[0].alert_id, id);
	assert_string_equal(o.v[0].channel, "none");
	assert_string_equal(o.v[0].state, "failed");
	assert_string_equal(o.v[0].err, "no one on duty");
	assert_int_equal(deliver(T0), 0); /* nothing to send */
	assert_int_equal(tick(T0), 0);
}

static void test_alert_flow(void **state)
{
	(void)state;
	const int64_t now = T0 + 10 * H;
	add_shift("lan", T0 + 8 * H, T0 + 20 * H, "lan@soc.example.vn", NULL, &fx.lan_shift);
	char hook[128];
	snprintf(hook, sizeof(hook), "http://127.0.0.1:%u/hooks/vigil", hook_rx.port);
	add_shift("boss", T0 + 9 * H, T0 + 11 * H, "boss@soc.example.vn", hook, &fx.boss_shift);
	add_shift("minh", T0 + 20 * H, T0 + 30 * H, "minh@soc.example.vn", NULL, NULL); /* not on duty yet */

	insert_alert(now - S, "Login success", "low", "web-01");
	insert_alert(now - S, "SSH brute force", "high", "web-01");
	int64_t high = last_alert_id();
	insert_alert(now, "Ransomware note", "critical", "db-01");
	int64_t crit = last_alert_id();
	insert_alert(now, "Odd DNS", "medium", "dns-01");
	/* 2 alerts x (lan email, boss email, boss webhook) */
	assert_int_equal(tick(now), 6);
	assert_int_equal(tick(now), 0); /* once */
	assert_int_equal(outbox("pending").n, 6);

	assert_int_equal(deliver(now), 6);
	assert_int_equal(rx_count(&smtp_rx), 4);
	assert_int_equal(rx_count(&hook_rx), 2);
	assert_int_equal(outbox("sent").n, 6);
	assert_int_equal(outbox("pending").n, 0);
	assert_int_equal(deliver(now + H), 0); /* nothing twice */
	assert_int_equal(rx_count(&smtp_rx), 4);

	/* the e-mail to lan about the high alert */
	const char *m = rx_find(&smtp_rx, "Subject: [vigil] HIGH alert: SSH brute force on web-01\n");
	assert_non_null(m);
	m = NULL;
	pthread_mutex_lock(&smtp_rx.mu);
	for (size_t i = 0; i < smtp_rx.n; i++)
		if (strstr(smtp_rx.got[i], "RCPT TO:<lan@soc.example.vn>") && strstr(smtp_rx.got[i], "SSH brute force"))
			m = smtp_rx.got[i];
	pthread_mutex_unlock(&smtp_rx.mu);
	assert_non_null(m);
	assert_non_null(strstr(m, "MAIL FROM:<vigil@soc.example.vn>"));
	assert_non_null(strstr(m, "\nTo: <lan@soc.example.vn>\n"));
	assert_non_null(strstr(m, "\nFrom: vigil <vigil@soc.example.vn>\n"));
	assert_non_null(strstr(m, "\nSubject: [vigil] HIGH alert: SSH brute force on web-01\n"));
	assert_non_null(strstr(m, "Content-Type: text/plain; charset=UTF-8"));
	assert_non_null(strstr(m, "Source IP: 203.0.113.9\n"));
	assert_non_null(strstr(m, "Host:      web-01\n"));
	char want[128];
	snprintf(want, sizeof(want), "Link:      https://vigil.example.vn/alerts/%lld\n", (long long)high);
	assert_non_null(strstr(m, want));
	assert_non_null(strstr(m, "lan is on duty"));
	assert_null(strstr(m, "AUTH ")); /* no user configured: no AUTH */
	assert_non_null(rx_find(&smtp_rx, "Subject: [vigil] CRITICAL alert: Ransomware note on db-01\n"));
	assert_null(rx_find(&smtp_rx, "Login success"));
	assert_null(rx_find(&smtp_rx, "Odd DNS"));
	assert_null(rx_find(&smtp_rx, "minh@"));

	/* the webhook */
	const char *w = rx_find(&hook_rx, "Ransomware note");
	assert_non_null(w);
	assert_non_null(strstr(w, "POST /hooks/vigil\n"));
	assert_non_null(strstr(w, "\napplication/json\n"));
	json_t *j = json_loads(strstr(w, "\n\n") + 2, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "vigil.alert");
	assert_string_equal(json_string_value(json_object_get(j, "person")), "boss");
	json_t *al = json_object_get(j, "alert");
	assert_int_equal(json_integer_value(json_object_get(al, "id")), crit);
	assert_string_equal(json_string_value(json_object_get(al, "level")), "critical");
	assert_string_equal(json_string_value(json_object_get(al, "host")), "db-01");
	snprintf(want, sizeof(want), "https://vigil.example.vn/alerts/%lld", (long long)crit);
	assert_string_equal(json_string_value(json_object_get(j, "link")), want);
	json_decref(j);
	rx_clear(&smtp_rx);
	rx_clear(&hook_rx);
}

static void test_retry_and_give_up(void **state)
{
	(void)state;
	const int64_t now = T0 + 12 * H; /* lan only (boss's shift ended) */
	atomic_store(&smtp_rx.smtp_fail, 1);
	insert_alert(now, "Web shell", "high", "web-02");
	assert_int_equal(tick(now), 1);
	assert_int_equal(deliver(now), 0);
	orows o = outbox("pending");
	assert_int_equal(o.n, 1);
	assert_int_equal(o.v[0].attempts, 1);
	assert_int_equal(o.v[0].next, now + 30 * S);
	assert_non_null(strstr(o.v[0].err, "smtp 127.0.0.1"));
	assert_int_equal(deliver(now + 29 * S), 0); /* not due yet: not even tried */
	assert_int_equal(outbox("pending").v[0].attempts, 1);
	assert_int_equal(deliver(now + 30 * S), 0); /* second failure: 60 s more */
	o = outbox("pending");
	assert_int_equal(o.v[0].attempts, 2);
	assert_int_equal(o.v[0].next, now + 90 * S);
	atomic_store(&smtp_rx.smtp_fail, 0);
	assert_int_equal(deliver(now + 90 * S), 1);
	assert_int_equal(outbox("pending").n, 0);
	assert_non_null(rx_find(&smtp_rx, "Web shell"));
	assert_int_equal(rx_count(&smtp_rx), 1);

	/* a dead webhook: retried with back-off, then given up */
	int64_t sid;
	add_shift("boss", now, now + 48 * H, NULL, "http://127.0.0.1:1/dead", &sid);
	insert_alert(now, "Exfiltration", "critical", "db-02");
	assert_int_equal(tick(now), 2); /* lan's e-mail, boss's webhook */
	int64_t t = now;
	for (int i = 0; i < VG_NOTIFY_MAX_ATTEMPTS; i++) {
		(void)deliver(t);
		orows all = outbox(NULL);
		t = all.v[0].next; /* the newest row: the webhook */
		assert_string_equal(all.v[0].channel, "webhook");
		assert_int_equal(all.v[0].attempts, i + 1);
	}
	o = outbox(NULL);
	assert_string_equal(o.v[0].state, "failed");
	assert_non_null(strstr(o.v[0].err, "webhook:"));
	assert_int_equal(deliver(t + 24 * H), 0);
	assert_int_equal(outbox(NULL).v[0].attempts, VG_NOTIFY_MAX_ATTEMPTS);
	assert_int_equal(vg_roster_delete(fx.ro, sid), 0);
	rx_clear(&smtp_rx);
}

static void test_auth_utf8_min_level(void **state)
{
	(void)state;
	const int64_t now = T0 + 13 * H; /* lan */
	const char *field = NULL;
	vg_notify_settings_patch p = {.smtp_user = "vigil-bot", .smtp_password = SMTP_SECRET, .min_level = "critical"};
	assert_int_equal(vg_notify_settings_set(fx.nt, &p, &field), 0);
	insert_alert(now, "Not critical enough", "high", "web-03");
	insert_alert(now, "Đăng nhập thất bại nhiều lần", "critical", "máy-chủ-01");
	assert_int_equal(tick(now), 1);
	assert_int_equal(deliver(now), 1);
	const char *m = rx_find(&smtp_rx, "RCPT TO:<lan@soc.example.vn>");
	assert_non_null(m);
	assert_non_null(strstr(m, "AUTH vigil-bot:" SMTP_SECRET "\n"));
	/* non-ASCII: an RFC 2047 subject and a base64 body */
	const char *subj = strstr(m, "\nSubject: =?UTF-8?B?");
	assert_non_null(subj);
	assert_non_null(strstr(m, "Content-Transfer-Encoding: base64"));
	/* decode the first encoded word: it starts the subject */
	const char *b = subj + strlen("\nSubject: =?UTF-8?B?");
	const char *e = strstr(b, "?=");
	assert_non_null(e);
	unsigned char dec[256];
	int n = EVP_DecodeBlock(dec, (const unsigned char *)b, (int)(e - b));
	assert_true(n > 0);
	dec[n] = '\0';
	assert_non_null(strstr((char *)dec, "[vigil] CRITICAL alert: "));
	assert_null(rx_find(&smtp_rx, "Not critical"));
	vg_notify_settings_patch back = {.min_level = "high", .smtp_user = "", .smtp_password = ""};
	assert_int_equal(vg_notify_settings_set(fx.nt, &back, &field), 0);
	rx_clear(&smtp_rx);
}

/* ---- REST ---- */
#include "rest_fx_test_util.h"

typedef struct audit_scan {
	int n, leaked;
} audit_scan;

static int scan_audit(void *ud, const vg_audit_entry *e)
{
	audit_scan *a = ud;
	a->n++;
	if (e->details != NULL && strstr(e->details, "hunter2-smtp") != NULL)
		a->leaked = 1;
	return 0;
}

static void test_api(void **state)
{
	(void)state;
	reply r;
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"smtp_host\":\"127.0.0.1\",\"smtp_port\":%u,\"smtp_security\":\"none\",\"smtp_user\":\"bot\","
		 "\"smtp_password\":\"hunter2-smtp\",\"mail_from\":\"vigil@soc.example.vn\"}",
		 smtp_rx.port);
	request(fx.tok_ana, "PUT", "/notify/settings", body, &r);
	assert_int_equal(r.status, 403); /* admins only */
	reply_free(&r);
	request(fx.tok_admin, "PUT", "/notify/settings", body, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "hunter2"));
	assert_true(json_is_true(json_object_get(r.json, "smtp_password_set")));
	assert_null(json_object_get(r.json, "smtp_password"));
	reply_free(&r);
	request(fx.tok_admin, "GET", "/notify/settings", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body.data, "hunter2"));
	assert_string_equal(json_string_value(json_object_get(r.json, "smtp_user")), "bot");
	reply_free(&r);
	struct {
		const char *body, *word;
	} bad[] = {
		{"{\"smtp_port\":70000}", "smtp_port"},
		{"{\"smtp_security\":\"ssl\"}", "smtp_security"},
		{"{\"mail_from\":\"not an address\"}", "mail_from"},
		{"{\"smtp_hots\":\"x\"}", "smtp_hots"},
		{"{\"enabled\":\"yes\"}", "enabled"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request(fx.tok_admin, "PUT", "/notify/settings", bad[i].body, &r);
		assert_int_equal(r.status, 400);
		if (strstr(err_msg(r.json), bad[i].word) == NULL)
			fail_msg("case %zu: '%s' does not name %s", i, err_msg(r.json), bad[i].word);
		reply_free(&r);
	}
	audit_scan as = {0};
	vg_audit_filter f = {.action = "notify.settings"};
	vg_api_lock(fx.api);
	assert_int_equal(vg_audit_list(fx.db, &f, scan_audit, &as), 0);
	vg_api_unlock(fx.api);
	assert_int_equal(as.n, 1);
	assert_false(as.leaked);

	/* a test message to a given address, sent by the next round */
	vg_api_set_clock(fx.api, T0 + 10 * H);
	request(fx.tok_admin, "POST", "/notify/test", "{\"email\":\"ops@soc.example.vn\"}", &r);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "queued")), 1);
	reply_free(&r);
	request(fx.tok_admin, "POST", "/notify/test", "{\"email\":\"ops\"}", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(err_msg(r.json), "email"));
	reply_free(&r);
	request(fx.tok_ana, "POST", "/notify/test", "{}", &r);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	/* nobody on duty at the API's clock and no address: 409 */
	vg_api_set_clock(fx.api, T0 - 100 * H);
	request(fx.tok_admin, "POST", "/notify/test", "{}", &r);
	assert_int_equal(r.status, 409);
	reply_free(&r);
	/* to whoever is on duty at T0 + 10 h: lan and boss */
	vg_api_set_clock(fx.api, T0 + 10 * H);
	request(fx.tok_admin, "POST", "/notify/test", "{}", &r);
	assert_int_equal(r.status, 202);
	reply_free(&r);
	assert_int_equal(deliver(T0 + 10 * H), 4); /* ops; lan; boss by e-mail and webhook */
	assert_non_null(rx_find(&hook_rx, "\"vigil.test\""));
	const char *m = rx_find(&smtp_rx, "RCPT TO:<ops@soc.example.vn>");
	assert_non_null(m);
	assert_non_null(strstr(m, "Subject: [vigil] test notification"));
	assert_non_null(strstr(m, "AUTH bot:hunter2-smtp\n"));
	assert_non_null(rx_find(&smtp_rx, "RCPT TO:<lan@soc.example.vn>"));

	request(fx.tok_ana, "GET", "/notify/outbox?state=sent&limit=2", NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *ob = json_object_get(r.json, "outbox");
	assert_int_equal(json_array_size(ob), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ob, 0), "kind")), "test");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ob, 0), "state")), "sent");
	reply_free(&r);
	request(fx.tok_ana, "GET", "/notify/outbox?state=lost", NULL, &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
	request(fx.tok_ana, "GET", "/notify/outbox?limit=0", NULL, &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
}

/* The sender thread delivers without anyone calling run_once. */
static void test_thread(void **state)
{
	(void)state;
	rx_clear(&smtp_rx);
	assert_int_equal(vg_notify_start(fx.nt, fx.api), 0);
	vg_api_lock(fx.api);
	size_t n = 0;
	int rc = vg_notify_queue_test(fx.nt, "thread@soc.example.vn", NULL, "boss", T0, &n);
	vg_api_unlock(fx.api);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	for (int i = 0; i < 600 && rx_find(&smtp_rx, "thread@soc.example.vn") == NULL; i++)
		usleep(50000);
	assert_non_null(rx_find(&smtp_rx, "RCPT TO:<thread@soc.example.vn>"));

	/* stopping in the middle of a delivery to a peer that never answers:
	 * aborted, back to pending, no attempt counted */
	int hole = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(hole, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(hole, 4), 0);
	assert_int_equal(getsockname(hole, (struct sockaddr *)&a, &al), 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/never", ntohs(a.sin_port));
	vg_api_lock(fx.api);
	rc = vg_notify_queue_test(fx.nt, NULL, url, "boss", T0, &n);
	vg_api_unlock(fx.api);
	assert_int_equal(rc, 0);
	struct pollfd p = {.fd = hole, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 30000), 1); /* the sender has connected */
	vg_notify_stop(fx.nt);
	orows o = outbox(NULL);
	assert_string_equal(o.v[0].address, url);
	assert_string_equal(o.v[0].state, "pending");
	assert_int_equal(o.v[0].attempts, 0);
	close(hole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_no_one_on_duty),
		cmocka_unit_test(test_alert_flow),
		cmocka_unit_test(test_retry_and_give_up),
		cmocka_unit_test(test_auth_utf8_min_level),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_thread),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
