/* test_tls.c — real TLS 1.3 handshakes over socketpairs and loopback TCP:
 * a valid agent is let in and named; no certificate, a self-signed one, one
 * from another CA and a revoked one are refused; the agent refuses a server
 * it cannot verify; openssl s_client (TLS 1.2 and 1.3) and s_server act as
 * outside peers; non-blocking steps, deadlines, and the handshake cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "net/pki.h"
#include "net/tls.h"

#define P 512

/* ---- fixture: a server CA, agents good/revoked/foreign, a self-signed one ---- */

static char ca_file[P + 32], other_ca_file[P + 32];

static struct {
	char root[64];
	char srv[P], pki[P], a1[P], a3[P], other[P], a2[P], self[P];
	vg_pki_ca *ca, *ca2;
	char a3_serial[VG_PKI_SERIAL_HEX];
} fx;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void path(char *out, const char *dir, const char *file)
{
	snprintf(out, P + 32, "%s/%s", dir, file);
}

/* Enrols an agent directory by hand: key + CSR there, signed by ca. */
static void make_agent(vg_pki_ca *ca, const char *dir, const char *id, char serial[VG_PKI_SERIAL_HEX])
{
	char why[256] = "", *csr, *cert, *ca_pem, s[VG_PKI_SERIAL_HEX];
	size_t len;
	assert_int_equal(vg_pki_agent_keygen(dir, &csr, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_sign_csr(ca, csr, strlen(csr), id, 0, &cert, serial ? serial : s, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_ca_pem(ca, &ca_pem, &len), 0);
	assert_int_equal(vg_pki_agent_store(dir, cert, ca_pem, why, sizeof(why)), 0);
	free(csr);
	free(cert);
	free(ca_pem);
}

/* A self-signed client certificate with a well-formed agent CN. */
static void make_self_signed(const char *dir)
{
	char p[P + 32];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	assert_non_null(k);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_NAME *nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"agent-one", -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, "clientAuth");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	mkdir(dir, 0700);
	BIO *b = BIO_new(BIO_s_mem());
	char *d;
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	long n = BIO_get_mem_data(b, &d);
	path(p, dir, "agent.key");
	assert_int_equal(vg_pki_file_write(p, d, (size_t)n, 0600), 0);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &d);
	path(p, dir, "agent.crt");
	assert_int_equal(vg_pki_file_write(p, d, (size_t)n, 0644), 0);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int setup(void **state)
{
	(void)state;
	char why[256] = "";
	snprintf(fx.root, sizeof(fx.root), "/tmp/vg_tls_XXXXXX");
	assert_non_null(mkdtemp(fx.root));
	snprintf(fx.srv, P, "%s/srv", fx.root);
	snprintf(fx.pki, P, "%s/srv/pki", fx.root);
	snprintf(fx.a1, P, "%s/a1", fx.root);
	snprintf(fx.a3, P, "%s/a3", fx.root);
	snprintf(fx.other, P, "%s/other", fx.root);
	snprintf(fx.a2, P, "%s/a2", fx.root);
	snprintf(fx.self, P, "%s/self", fx.root);
	assert_int_equal(vg_pki_init_ca(fx.srv, &fx.ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(fx.ca, NULL, 0, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_init_ca(fx.other, &fx.ca2, why, sizeof(why)), 0);
	make_agent(fx.ca, fx.a1, "agent-one", NULL);
	make_agent(fx.ca, fx.a3, "agent-three", fx.a3_serial);
	make_agent(fx.ca2, fx.a2, "agent-one", NULL); /* same name, foreign CA */
	make_self_signed(fx.self);
	path(ca_file, fx.pki, "ca.crt");
	snprintf(other_ca_file, sizeof(other_ca_file), "%s/pki/ca.crt", fx.other);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_pki_ca_free(fx.ca);
	vg_pki_ca_free(fx.ca2);
	nftw(fx.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static vg_tls_ctx *server_ctx(int auth)
{
	vg_tls_ctx *t = NULL;
	char why[256] = "";
	assert_int_equal(vg_tls_server_from_pki(fx.ca, auth, &t, why, sizeof(why)), 0);
	return t;
}

/* Client presenting DIR/agent.{crt,key} (dir NULL: none), pinning ca_dir/ca.crt. */
static vg_tls_ctx *client_ctx(const char *dir, const char *pinned)
{
	char c[P + 32], k[P + 32], why[256] = "";
	vg_tls_ctx *t = NULL;
	if (dir) {
		path(c, dir, "agent.crt");
		path(k, dir, "agent.key");
	}
	vg_tls_client_opts o = {.ca_path = pinned, .cert_path = dir ? c : NULL, .key_path = dir ? k : NULL};
	assert_int_equal(vg_tls_client_new(&o, &t, why, sizeof(why)), 0);
	return t;
}


/* ---- one exchange: server sends "srv1", client answers "cli1" ---------------- */

typedef struct side {
	vg_tls_ctx *ctx;
	int fd;
	int rc;
	char err[VG_TLS_ERRLEN];
	char peer[VG_PKI_MAX_ID + 1];
	char serial[VG_PKI_SERIAL_HEX];
	int listen_fd; /* TCP: accept first */
} side;

static void *server_run(void *arg)
{
	side *s = arg;
	vg_tls_conn *c = NULL;
	char buf[4];
	if (s->listen_fd >= 0)
		s->fd = accept(s->listen_fd, NULL, NULL);
	s->rc = vg_tls_conn_new(s->ctx, s->fd, NULL, &c);
	if (s->rc == 0)
		s->rc = vg_tls_handshake_wait(c, 5000);
	if (s->rc == 0) {
		snprintf(s->peer, sizeof(s->peer), "%s", vg_tls_peer_id(c) ? vg_tls_peer_id(c) : "(none)");
		snprintf(s->serial, sizeof(s->serial), "%s", vg_tls_peer_serial(c) ? vg_tls_peer_serial(c) : "");
		if ((s->rc = vg_tls_write_all(c, "srv1", 4, 5000)) == 0 &&
		    (s->rc = vg_tls_read_full(c, buf, 4, 5000)) == 0 && memcmp(buf, "cli1", 4) != 0)
			s->rc = -100;
		if (s->rc == 0)
			vg_tls_shutdown(c);
	}
	if (c) {
		snprintf(s->err, sizeof(s->err), "%s", vg_tls_error(c));
		vg_tls_conn_free(c);
	}
	close(s->fd);
	return NULL;
}

static int client_run(side *s, const char *name)
{
	vg_tls_conn *c = NULL;
	char buf[4];
	s->rc = vg_tls_conn_new(s->ctx, s->fd, name, &c);
	if (s->rc == 0)
		s->rc = vg_tls_handshake_wait(c, 5000);
	/* TLS 1.3: a refused client certificate shows at the first read */
	if (s->rc == 0 && (s->rc = vg_tls_read_full(c, buf, 4, 5000)) == 0) {
		if (memcmp(buf, "srv1", 4) != 0)
			s->rc = -100;
		else
			s->rc = vg_tls_write_all(c, "cli1", 4, 5000);
	}
	if (c) {
		if (s->rc == 0)
			vg_tls_shutdown(c);
		snprintf(s->err, sizeof(s->err), "%s", vg_tls_error(c));
		vg_tls_conn_free(c);
	}
	close(s->fd);
	return s->rc;
}

/* Runs one exchange over a socketpair. */
static void exchange(vg_tls_ctx *sctx, vg_tls_ctx *cctx, const char *name, side *srv, side *cli)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(srv, 0, sizeof(*srv));
	memset(cli, 0, sizeof(*cli));
	*srv = (side){.ctx = sctx, .fd = sv[1], .listen_fd = -1};
	*cli = (side){.ctx = cctx, .fd = sv[0], .listen_fd = -1};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, server_run, srv), 0);
	client_run(cli, name);
	pthread_join(th, NULL);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_valid_agent(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED), *c = client_ctx(fx.a1, ca_file);
	side srv, cli;
	exchange(s, c, "localhost", &srv, &cli);
	assert_int_equal(cli.rc, 0);
	assert_int_equal(srv.rc, 0);
	assert_string_equal(srv.peer, "agent-one");
	assert_string_equal(srv.err, "");
	/* and by IP literal, which the certificate also covers */
	exchange(s, c, "127.0.0.1", &srv, &cli);
	assert_int_equal(cli.rc, 0);
	assert_int_equal(srv.rc, 0);
	/* from the agent's directory, as `vigil agent` will do it */
	vg_tls_ctx *c2 = NULL;
	char why[256] = "";
	assert_int_equal(vg_tls_client_from_agent_dir(fx.a3, &c2, why, sizeof(why)), 0);
	exchange(s, c2, NULL, &srv, &cli);
	assert_int_equal(srv.rc, 0);
	assert_string_equal(srv.peer, "agent-three");
	assert_string_equal(srv.serial, fx.a3_serial);
	vg_tls_ctx_free(c2);
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

static void test_no_cert_refused(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED), *c = client_ctx(NULL, ca_file);
	side srv, cli;
	exchange(s, c, "localhost", &srv, &cli);
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err, "TLS handshake failed: peer did not return a certificate");
	assert_int_equal(cli.rc, VG_EIO);
	assert_string_equal(cli.err, "TLS read failed: tlsv13 alert certificate required");
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

static void test_self_signed_refused(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED), *c = client_ctx(fx.self, ca_file);
	side srv, cli;
	exchange(s, c, "localhost", &srv, &cli);
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err, "TLS handshake failed: certificate verify failed: self-signed certificate");
	assert_int_equal(cli.rc, VG_EIO);
	assert_string_equal(cli.err, "TLS read failed: tlsv1 alert unknown ca");
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

static void test_other_ca_refused(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED), *c = client_ctx(fx.a2, ca_file);
	side srv, cli;
	exchange(s, c, "localhost", &srv, &cli);
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err,
			    "TLS handshake failed: certificate verify failed: unable to get local issuer certificate");
	assert_int_equal(cli.rc, VG_EIO);
	assert_string_equal(cli.err, "TLS read failed: tlsv1 alert unknown ca");
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

static void test_revoked_refused(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED), *c = client_ctx(fx.a3, ca_file);
	side srv, cli;
	exchange(s, c, "localhost", &srv, &cli);
	assert_int_equal(srv.rc, 0); /* let in before the revocation ... */
	assert_int_equal(vg_pki_revoke(fx.ca, fx.a3_serial), 0);
	exchange(s, c, "localhost", &srv, &cli); /* ... refused after, same server context */
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err, "TLS handshake failed: certificate verify failed: certificate revoked");
	assert_int_equal(cli.rc, VG_EIO);
	assert_string_equal(cli.err, "TLS read failed: sslv3 alert certificate revoked");
	/* others are unaffected */
	vg_tls_ctx *c1 = client_ctx(fx.a1, ca_file);
	exchange(s, c1, "localhost", &srv, &cli);
	assert_int_equal(srv.rc, 0);
	assert_string_equal(srv.peer, "agent-one");
	vg_tls_ctx_free(c1);
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

static void test_optional_mode(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_OPTIONAL);
	vg_tls_ctx *none = client_ctx(NULL, ca_file), *good = client_ctx(fx.a1, ca_file),
		   *self = client_ctx(fx.self, ca_file);
	side srv, cli;
	exchange(s, none, "localhost", &srv, &cli);
	assert_int_equal(srv.rc, 0);
	assert_int_equal(cli.rc, 0);
	assert_string_equal(srv.peer, "(none)");
	exchange(s, good, "localhost", &srv, &cli);
	assert_int_equal(srv.rc, 0);
	assert_string_equal(srv.peer, "agent-one");
	/* optional is not "anything goes": a bad certificate is still refused */
	exchange(s, self, "localhost", &srv, &cli);
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err, "TLS handshake failed: certificate verify failed: self-signed certificate");
	vg_tls_ctx_free(none);
	vg_tls_ctx_free(good);
	vg_tls_ctx_free(self);
	vg_tls_ctx_free(s);
}

static void test_client_verifies_server(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED);
	vg_tls_ctx *wrong = client_ctx(fx.a1, other_ca_file), *c = client_ctx(fx.a1, ca_file);
	side srv, cli;
	exchange(s, wrong, "localhost", &srv, &cli);
	assert_int_equal(cli.rc, VG_EIO);
	assert_string_equal(cli.err,
			    "TLS handshake failed: certificate verify failed: unable to get local issuer certificate");
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err, "TLS handshake failed: tlsv1 alert unknown ca");
	exchange(s, c, "elsewhere.example", &srv, &cli);
	assert_int_equal(cli.rc, VG_EIO);
	assert_string_equal(cli.err, "TLS handshake failed: certificate verify failed: hostname mismatch");
	exchange(s, c, "10.9.9.9", &srv, &cli);
	assert_int_equal(cli.rc, VG_EIO);
	assert_string_equal(cli.err, "TLS handshake failed: certificate verify failed: IP address mismatch");
	/* the agent's certificate cannot serve as a server's */
	char why[256] = "", crt[P + 32], key[P + 32];
	path(crt, fx.a1, "agent.crt");
	path(key, fx.a1, "agent.key");
	vg_tls_server_opts o = {.cert_path = crt, .key_path = key, .ca_path = ca_file};
	vg_tls_ctx *fake = NULL;
	assert_int_equal(vg_tls_server_new(&o, &fake, why, sizeof(why)), 0);
	exchange(fake, c, NULL, &srv, &cli);
	assert_int_equal(cli.rc, VG_EIO);
	assert_string_equal(cli.err, "TLS handshake failed: certificate verify failed: unsuitable certificate purpose");
	vg_tls_ctx_free(fake);
	vg_tls_ctx_free(wrong);
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

static void test_ctx_errors(void **state)
{
	(void)state;
	char why[256] = "", crt[P + 32], key[P + 32], key3[P + 32];
	vg_tls_ctx *t = (vg_tls_ctx *)1;
	path(crt, fx.a1, "agent.crt");
	path(key, fx.a1, "agent.key");
	path(key3, fx.a3, "agent.key");
	vg_tls_client_opts mismatched = {.ca_path = ca_file, .cert_path = crt, .key_path = key3};
	assert_int_equal(vg_tls_client_new(&mismatched, &t, why, sizeof(why)), VG_EINVAL);
	assert_null(t);
	assert_non_null(strstr(why, "does not match the key"));
	vg_tls_client_opts noca = {.cert_path = crt, .key_path = key};
	assert_int_equal(vg_tls_client_new(&noca, &t, why, sizeof(why)), VG_EINVAL);
	vg_tls_client_opts both = {.ca_path = ca_file, .enrolment = true};
	assert_int_equal(vg_tls_client_new(&both, &t, why, sizeof(why)), VG_EINVAL);
	chmod(key, 0644);
	vg_tls_client_opts loose = {.ca_path = ca_file, .cert_path = crt, .key_path = key};
	assert_int_equal(vg_tls_client_new(&loose, &t, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "accessible by group or others"));
	chmod(key, 0600);
	vg_tls_server_opts so = {.cert_path = crt, .key_path = key, .ca_path = "/nonexistent/ca.crt"};
	assert_int_equal(vg_tls_server_new(&so, &t, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "/nonexistent/ca.crt: cannot load CA certificate"));
	vg_tls_ctx_free(NULL);
	vg_tls_conn_free(NULL);
}

/* Both ends non-blocking in one thread: steps return WANT_READ until the
 * other side has moved, and everything completes by alternating. */
static void test_nonblocking_steps(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED), *c = client_ctx(fx.a1, ca_file);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	vg_tls_conn *cc, *sc;
	assert_int_equal(vg_tls_conn_new(c, sv[0], "localhost", &cc), 0);
	assert_int_equal(vg_tls_conn_new(s, sv[1], NULL, &sc), 0);
	assert_int_equal(vg_tls_handshake(sc), VG_TLS_WANT_READ); /* nothing sent yet */
	int rc = 1, rs = 1, rounds = 0, wants = 0;
	while ((rc != 0 || rs != 0) && rounds++ < 20) {
		rc = vg_tls_handshake(cc);
		rs = vg_tls_handshake(sc);
		assert_true(rc >= 0 && rs >= 0);
		wants += (rc == VG_TLS_WANT_READ) + (rs == VG_TLS_WANT_READ);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(rs, 0);
	assert_true(wants >= 2);
	assert_string_equal(vg_tls_peer_id(sc), "agent-one");
	char buf[16];
	size_t n;
	assert_int_equal(vg_tls_read(sc, buf, sizeof(buf), &n), VG_TLS_WANT_READ);
	assert_int_equal(n, 0);
	assert_int_equal(vg_tls_write(cc, "hello", 5, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(vg_tls_read(sc, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	/* both sides derive the same exporter value, different per label */
	unsigned char e1[32], e2[32], e3[32];
	assert_int_equal(vg_tls_exporter(cc, "EXPORTER-test", e1, 32), 0);
	assert_int_equal(vg_tls_exporter(sc, "EXPORTER-test", e2, 32), 0);
	assert_int_equal(vg_tls_exporter(sc, "EXPORTER-other", e3, 32), 0);
	assert_memory_equal(e1, e2, 32);
	assert_memory_not_equal(e1, e3, 32);
	/* close_notify reads as a clean end of stream */
	vg_tls_shutdown(cc);
	assert_int_equal(vg_tls_read(sc, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);
	vg_tls_conn_free(cc);
	vg_tls_conn_free(sc);
	close(sv[0]);
	close(sv[1]);
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A silent peer cannot hold a blocking-mode caller past its deadline, and a
 * vanished peer is an error, not a SIGPIPE. */
static void test_deadline_and_reset(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vg_tls_conn *sc;
	assert_int_equal(vg_tls_conn_new(s, sv[1], NULL, &sc), 0);
	long long t0 = ms_now();
	assert_int_equal(vg_tls_handshake_wait(sc, 200), VG_EIO);
	long long dt = ms_now() - t0;
	assert_true(dt >= 190 && dt < 2000);
	assert_string_equal(vg_tls_error(sc), "TLS handshake failed: timed out");
	assert_int_equal(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0); /* mode restored */
	vg_tls_conn_free(sc);

	/* the client goes away mid-handshake */
	vg_tls_ctx *c = client_ctx(fx.a1, ca_file);
	vg_tls_conn *cc;
	assert_int_equal(vg_tls_conn_new(c, sv[0], NULL, &cc), 0);
	close(sv[1]);
	assert_int_equal(vg_tls_handshake_wait(cc, 1000), VG_EIO);
	assert_string_equal(vg_tls_error(cc), "TLS handshake failed: Broken pipe");
	vg_tls_conn_free(cc);
	close(sv[0]);
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

/* ---- openssl as the outside peer --------------------------------------------- */

static int listen_tcp(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void run_cmd(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t k = fread(out, 1, n - 1, p);
	out[k] = '\0';
	pclose(p);
}

/* s_client against our server; returns the server's side. */
static void s_client(vg_tls_ctx *sctx, const char *args, const char *input, side *srv, char *out, size_t n)
{
	int port, lfd = listen_tcp(&port);
	*srv = (side){.ctx = sctx, .fd = -1, .listen_fd = lfd};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, server_run, srv), 0);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "printf '%s' | timeout 20 openssl s_client -connect 127.0.0.1:%d %s 2>&1", input,
		 port, args);
	run_cmd(cmd, out, n);
	pthread_join(th, NULL);
	close(lfd);
}

static void test_openssl_s_client(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED);
	side srv;
	char out[16384], args[2048];
	/* TLS 1.2 is refused */
	snprintf(args, sizeof(args), "-tls1_2 -cert %s/agent.crt -key %s/agent.key -CAfile %s", fx.a1, fx.a1,
		 ca_file);
	s_client(s, args, "", &srv, out, sizeof(out));
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err, "TLS handshake failed: unsupported protocol");
	assert_non_null(strstr(out, "alert protocol version"));

	/* TLS 1.3 with the agent's certificate: in, and named */
	snprintf(args, sizeof(args),
		 "-tls1_3 -quiet -verify_return_error -verify_hostname localhost -cert %s/agent.crt -key %s/agent.key "
		 "-CAfile %s",
		 fx.a1, fx.a1, ca_file);
	s_client(s, args, "cli1", &srv, out, sizeof(out));
	assert_int_equal(srv.rc, 0);
	assert_string_equal(srv.peer, "agent-one");
	assert_non_null(strstr(out, "srv1"));

	/* no certificate, and a self-signed one; -ign_eof and no input, so that
	 * s_client waits for the server's verdict (the alert) instead of racing it */
	snprintf(args, sizeof(args), "-tls1_3 -ign_eof -CAfile %s", ca_file);
	s_client(s, args, "", &srv, out, sizeof(out));
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err, "TLS handshake failed: peer did not return a certificate");
	assert_non_null(strstr(out, "alert certificate required"));
	snprintf(args, sizeof(args), "-tls1_3 -ign_eof -cert %s/agent.crt -key %s/agent.key -CAfile %s", fx.self,
		 fx.self, ca_file);
	s_client(s, args, "", &srv, out, sizeof(out));
	assert_int_equal(srv.rc, VG_EIO);
	assert_string_equal(srv.err, "TLS handshake failed: certificate verify failed: self-signed certificate");
	assert_non_null(strstr(out, "alert unknown ca"));
	vg_tls_ctx_free(s);
}

static void test_openssl_s_server(void **state)
{
	(void)state;
	int port, lfd = listen_tcp(&port);
	close(lfd); /* a free port for s_server */
	char a[32], crt[P + 32], key[P + 32];
	snprintf(a, sizeof(a), "127.0.0.1:%d", port);
	path(crt, fx.pki, "server.crt");
	path(key, fx.pki, "server.key");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0), dup2(nul, 1), dup2(nul, 2);
		execlp("openssl", "openssl", "s_server", "-accept", a, "-cert", crt, "-key", key, "-CAfile", ca_file,
		       "-Verify", "1", "-verify_return_error", "-tls1_3", "-rev", "-naccept", "1", (char *)NULL);
		_exit(127);
	}
	vg_tls_ctx *c = client_ctx(fx.a1, ca_file);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = -1;
	for (int i = 0; i < 100; i++) { /* until s_server listens */
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(50000);
	}
	assert_true(fd >= 0);
	vg_tls_conn *cc;
	char buf[6];
	assert_int_equal(vg_tls_conn_new(c, fd, "localhost", &cc), 0);
	assert_int_equal(vg_tls_handshake_wait(cc, 5000), 0);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	assert_string_equal(vg_tls_peer_id(cc), host); /* the server certificate's CN */
	assert_int_equal(vg_tls_write_all(cc, "hello\n", 6, 5000), 0);
	assert_int_equal(vg_tls_read_full(cc, buf, 6, 5000), 0);
	assert_memory_equal(buf, "olleh\n", 6); /* s_server -rev: it verified us and answered */
	vg_tls_shutdown(cc);
	vg_tls_conn_free(cc);
	close(fd);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	vg_tls_ctx_free(c);
}

/* The cost of a full mutual-TLS handshake (both ends, ECDSA P-256, one
 * revocation lookup), measured over a socketpair with the server in a thread. */
static void test_handshake_time(void **state)
{
	(void)state;
	vg_tls_ctx *s = server_ctx(VG_TLS_CLIENT_REQUIRED), *c = client_ctx(fx.a1, ca_file);
	side srv, cli;
	const int n = 50;
	exchange(s, c, "localhost", &srv, &cli); /* warm-up */
	struct timespec c0, c1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	long long t0 = ms_now();
	for (int i = 0; i < n; i++) {
		exchange(s, c, "localhost", &srv, &cli);
		assert_int_equal(srv.rc, 0);
		assert_int_equal(cli.rc, 0);
	}
	double per = (double)(ms_now() - t0) / n;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	double cpu = ((double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6) / n;
	printf("handshake: %d mutual-TLS 1.3 handshakes + 1 round trip: %.2f ms wall, %.2f ms CPU (both ends) each\n",
	       n, per, cpu);
	assert_true(per < 1000);
	vg_tls_ctx_free(c);
	vg_tls_ctx_free(s);
}

int main(void)
{
	signal(SIGPIPE, SIG_DFL); /* prove the wrapper never raises it */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_agent),
		cmocka_unit_test(test_no_cert_refused),
		cmocka_unit_test(test_self_signed_refused),
		cmocka_unit_test(test_other_ca_refused),
		cmocka_unit_test(test_revoked_refused),
		cmocka_unit_test(test_optional_mode),
		cmocka_unit_test(test_client_verifies_server),
		cmocka_unit_test(test_ctx_errors),
		cmocka_unit_test(test_nonblocking_steps),
		cmocka_unit_test(test_deadline_and_reset),
		cmocka_unit_test(test_openssl_s_client),
		cmocka_unit_test(test_openssl_s_server),
		cmocka_unit_test(test_handshake_time),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
