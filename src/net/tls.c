/* tls.c — TLS 1.3 server/client contexts over OpenSSL and a connection wrapper
 * with one-step and deadline-bounded operations. The socket BIO is our own so
 * writes use MSG_NOSIGNAL; the verify callback adds the revocation check. */
#include "net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct vg_tls_ctx {
	SSL_CTX *ssl;
	BIO_METHOD *bio; /* per context, so there is no global to set up or leak */
	vg_pki_ca *revocation;
	bool server;
};

struct vg_tls_conn {
	vg_tls_ctx *ctx;
	SSL *ssl;
	int fd;
	bool failed;      /* a fatal error happened: no close_notify, no more I/O */
	bool handshaken;
	char *server_name;
	char peer_id[VG_PKI_MAX_ID + 1];
	char peer_serial[VG_PKI_SERIAL_HEX];
	char err[VG_TLS_ERRLEN];
};

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
	unsigned long e = ERR_peek_last_error();
	if (why != NULL && n > 0) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(why, n, fmt, ap);
		va_end(ap);
		const char *rs = e ? ERR_reason_error_string(e) : NULL;
		if (rs != NULL && k >= 0 && (size_t)k < n)
			snprintf(why + k, n - (size_t)k, ": %s", rs);
	}
	ERR_clear_error();
}

/* ---- socket BIO ------------------------------------------------------------- */

static int bio_fd(BIO *b)
{
	return (int)(intptr_t)BIO_get_data(b);
}

static int bio_write(BIO *b, const char *buf, int len)
{
	ssize_t n;
	BIO_clear_retry_flags(b);
	do
		n = send(bio_fd(b), buf, (size_t)len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
	ssize_t n;
	BIO_clear_retry_flags(b);
	do
		n = recv(bio_fd(b), buf, (size_t)len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1; /* unbuffered */
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = bio_fd(b);
		return bio_fd(b);
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *bio_method(void)
{
	/* a fixed type index: BIO_get_new_index() hands out only 127 in a process */
	BIO_METHOD *m = BIO_meth_new(0xff | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "vigil socket");
	if (m == NULL)
		return NULL;
	if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* ---- contexts --------------------------------------------------------------- */

/* Runs after OpenSSL's own checks for each certificate of the chain; adds the
 * revocation check for the peer's leaf. Fails closed if the list is unreadable. */
static int verify_cb(int ok, X509_STORE_CTX *sc)
{
	if (!ok || X509_STORE_CTX_get_error_depth(sc) != 0)
		return ok;
	SSL *ssl = X509_STORE_CTX_get_ex_data(sc, SSL_get_ex_data_X509_STORE_CTX_idx());
	vg_tls_ctx *t = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	X509 *x = X509_STORE_CTX_get_current_cert(sc);
	char serial[VG_PKI_SERIAL_HEX], id[VG_PKI_MAX_ID + 1];
	if (t == NULL || x == NULL)
		return 0;
	if (t->server && vg_pki_cert_id(x, id) != 0) { /* our CA always sets a valid CN */
		X509_STORE_CTX_set_error(sc, X509_V_ERR_SUBJECT_NAME_EMPTY);
		return 0;
	}
	if (t->revocation == NULL)
		return 1;
	int r = vg_pki_cert_serial(x, serial);
	if (r == 0)
		r = vg_pki_is_revoked(t->revocation, serial);
	if (r == 0)
		return 1;
	X509_STORE_CTX_set_error(sc, r > 0 ? X509_V_ERR_CERT_REVOKED : X509_V_ERR_UNABLE_TO_GET_CRL);
	return 0;
}

static int ctx_common(vg_tls_ctx *t, bool server, char *why, size_t whylen)
{
	t->server = server;
	t->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	t->bio = bio_method();
	if (t->ssl == NULL || t->bio == NULL) {
		say(why, whylen, "TLS context creation failed");
		return VG_ENOMEM;
	}
	SSL_CTX_set_app_data(t->ssl, t);
	/* TLS 1.3 only; no resumption, so every connection is verified afresh */
	if (!SSL_CTX_set_min_proto_version(t->ssl, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(t->ssl, TLS1_3_VERSION)) {
		say(why, whylen, "TLS 1.3 not available");
		return VG_EUNSUPPORTED;
	}
	SSL_CTX_set_options(t->ssl, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(t->ssl, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(t->ssl, 0);
	/* the peer pins our CA, so only the leaf goes on the wire */
	SSL_CTX_set_mode(t->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
					 SSL_MODE_NO_AUTO_CHAIN);
	return 0;
}

static int ctx_key_cert(vg_tls_ctx *t, const char *cert, const char *key, char *why, size_t whylen)
{
	EVP_PKEY *k = NULL;
	int r;
	if ((r = vg_pki_key_load(key, &k, why, whylen)) != 0)
		return r;
	if (SSL_CTX_use_certificate_chain_file(t->ssl, cert) != 1) {
		say(why, whylen, "%s: cannot load certificate", cert);
		r = VG_EINVAL;
	} else if (SSL_CTX_use_PrivateKey(t->ssl, k) != 1 || SSL_CTX_check_private_key(t->ssl) != 1) {
		say(why, whylen, "%s does not match the key %s", cert, key);
		r = VG_EINVAL;
	}
	EVP_PKEY_free(k);
	return r;
}

static int ctx_ca(vg_tls_ctx *t, const char *ca, char *why, size_t whylen)
{
	/* only our CA: the system trust store is never consulted */
	if (SSL_CTX_load_verify_locations(t->ssl, ca, NULL) != 1) {
		say(why, whylen, "%s: cannot load CA certificate", ca);
		return VG_EINVAL;
	}
	X509_VERIFY_PARAM *p = SSL_CTX_get0_param(t->ssl);
	X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_X509_STRICT);
	X509_VERIFY_PARAM_set_purpose(p, t->server ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
	return 0;
}

int vg_tls_server_new(const vg_tls_server_opts *o, vg_tls_ctx **out, char *why, size_t whylen)
{
	int r;
	*out = NULL;
	if (o->cert_path == NULL || o->key_path == NULL || o->ca_path == NULL ||
	    (o->client_auth != VG_TLS_CLIENT_REQUIRED && o->client_auth != VG_TLS_CLIENT_OPTIONAL)) {
		say(why, whylen, "server TLS needs a certificate, a key and a CA");
		return VG_EINVAL;
	}
	vg_tls_ctx *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return VG_ENOMEM;
	t->revocation = o->revocation;
	if ((r = ctx_common(t, true, why, whylen)) != 0 ||
	    (r = ctx_key_cert(t, o->cert_path, o->key_path, why, whylen)) != 0 ||
	    (r = ctx_ca(t, o->ca_path, why, whylen)) != 0)
		goto err;
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_path);
	if (names == NULL) {
		say(why, whylen, "%s: no CA name", o->ca_path);
		r = VG_EINVAL;
		goto err;
	}
	SSL_CTX_set_client_CA_list(t->ssl, names); /* tells clients which CA we accept */
	int mode = SSL_VERIFY_PEER;
	if (o->client_auth == VG_TLS_CLIENT_REQUIRED)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(t->ssl, mode, verify_cb);
	*out = t;
	return 0;
err:
	vg_tls_ctx_free(t);
	return r;
}

static int path_in(char *out, size_t n, const char *dir, const char *file)
{
	int k = snprintf(out, n, "%s/%s", dir, file);
	return k < 0 || (size_t)k >= n ? VG_ELIMIT : 0;
}

int vg_tls_server_from_pki(vg_pki_ca *ca, int client_auth, vg_tls_ctx **out, char *why, size_t whylen)
{
	char c[4096], k[4096], a[4096];
	const char *d = vg_pki_ca_dir(ca);
	int r;
	if ((r = path_in(c, sizeof(c), d, "server.crt")) != 0 || (r = path_in(k, sizeof(k), d, "server.key")) != 0 ||
	    (r = path_in(a, sizeof(a), d, "ca.crt")) != 0)
		return r;
	vg_tls_server_opts o = {.cert_path = c, .key_path = k, .ca_path = a, .client_auth = client_auth,
				.revocation = ca};
	return vg_tls_server_new(&o, out, why, whylen);
}

int vg_tls_client_new(const vg_tls_client_opts *o, vg_tls_ctx **out, char *why, size_t whylen)
{
	int r;
	*out = NULL;
	if ((o->ca_path == NULL) != o->enrolment || (o->cert_path == NULL) != (o->key_path == NULL)) {
		say(why, whylen, "client TLS needs a pinned CA (or enrolment mode) and a certificate with its key");
		return VG_EINVAL;
	}
	vg_tls_ctx *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return VG_ENOMEM;
	if ((r = ctx_common(t, false, why, whylen)) != 0)
		goto err;
	if (o->cert_path != NULL && (r = ctx_key_cert(t, o->cert_path, o->key_path, why, whylen)) != 0)
		goto err;
	if (o->enrolment) {
		SSL_CTX_set_verify(t->ssl, SSL_VERIFY_NONE, NULL);
	} else {
		if ((r = ctx_ca(t, o->ca_path, why, whylen)) != 0)
			goto err;
		SSL_CTX_set_verify(t->ssl, SSL_VERIFY_PEER, verify_cb);
	}
	*out = t;
	return 0;
err:
	vg_tls_ctx_free(t);
	return r;
}

int vg_tls_client_from_agent_dir(const char *dir, vg_tls_ctx **out, char *why, size_t whylen)
{
	char c[4096], k[4096], a[4096];
	int r;
	if ((r = path_in(c, sizeof(c), dir, "agent.crt")) != 0 || (r = path_in(k, sizeof(k), dir, "agent.key")) != 0 ||
	    (r = path_in(a, sizeof(a), dir, "ca.crt")) != 0)
		return r;
	vg_tls_client_opts o = {.ca_path = a, .cert_path = c, .key_path = k};
	return vg_tls_client_new(&o, out, why, whylen);
}

void vg_tls_ctx_free(vg_tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ssl);
	BIO_meth_free(t->bio);
	free(t);
}

/* ---- connections ------------------------------------------------------------ */

int vg_tls_conn_new(vg_tls_ctx *t, int fd, const char *server_name, vg_tls_conn **out)
{
	*out = NULL;
	vg_tls_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return VG_ENOMEM;
	c->ctx = t;
	c->fd = fd;
	BIO *b = NULL;
	int r = VG_ENOMEM;
	if ((c->ssl = SSL_new(t->ssl)) == NULL || (b = BIO_new(t->bio)) == NULL)
		goto err;
	BIO_set_data(b, (void *)(intptr_t)fd);
	SSL_set_bio(c->ssl, b, b); /* the SSL owns b from here */
	if (t->server) {
		SSL_set_accept_state(c->ssl);
	} else {
		SSL_set_connect_state(c->ssl);
		if (server_name != NULL) {
			unsigned char ip[16];
			bool lit = inet_pton(AF_INET, server_name, ip) == 1 || inet_pton(AF_INET6, server_name, ip) == 1;
			X509_VERIFY_PARAM *p = SSL_get0_param(c->ssl);
			r = VG_EINVAL;
			if ((c->server_name = strdup(server_name)) == NULL) {
				r = VG_ENOMEM;
				goto err;
			}
			/* SNI carries host names only (RFC 6066 3) */
			if (lit ? X509_VERIFY_PARAM_set1_ip_asc(p, server_name) != 1
				: (SSL_set_tlsext_host_name(c->ssl, server_name) != 1 ||
				   X509_VERIFY_PARAM_set1_host(p, server_name, 0) != 1))
				goto err;
			X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		}
	}
	*out = c;
	return 0;
err:
	ERR_clear_error();
	vg_tls_conn_free(c);
	return r;
}

void vg_tls_conn_free(vg_tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	free(c->server_name);
	free(c);
}

/* Turns an OpenSSL failure into a code and a message. */
static int fail(vg_tls_conn *c, int ret, const char *what)
{
	int e = SSL_get_error(c->ssl, ret);
	int sys = errno;
	if (e == SSL_ERROR_WANT_READ)
		return VG_TLS_WANT_READ;
	if (e == SSL_ERROR_WANT_WRITE)
		return VG_TLS_WANT_WRITE;
	c->failed = true;
	if (e == SSL_ERROR_ZERO_RETURN) {
		snprintf(c->err, sizeof(c->err), "%s failed: connection closed by peer", what);
		ERR_clear_error();
		return VG_EIO;
	}
	unsigned long le = ERR_peek_last_error();
	long v = SSL_get_verify_result(c->ssl);
	const char *rs = le ? ERR_reason_error_string(le) : NULL;
	if (e == SSL_ERROR_SSL && ERR_GET_REASON(le) == SSL_R_CERTIFICATE_VERIFY_FAILED && v != X509_V_OK)
		snprintf(c->err, sizeof(c->err), "%s failed: certificate verify failed: %s", what,
			 X509_verify_cert_error_string(v));
	else if (e == SSL_ERROR_SSL)
		snprintf(c->err, sizeof(c->err), "%s failed: %s", what, rs ? rs : "protocol error");
	else if (e == SSL_ERROR_SYSCALL && le == 0 && sys != 0)
		snprintf(c->err, sizeof(c->err), "%s failed: %s", what, strerror(sys));
	else if (e == SSL_ERROR_SYSCALL && le == 0)
		snprintf(c->err, sizeof(c->err), "%s failed: connection closed by peer", what);
	else
		snprintf(c->err, sizeof(c->err), "%s failed: %s", what, rs ? rs : "TLS error");
	ERR_clear_error();
	return VG_EIO;
}

static void record_peer(vg_tls_conn *c)
{
	X509 *x = SSL_get0_peer_certificate(c->ssl);
	c->peer_id[0] = c->peer_serial[0] = '\0';
	/* enrolment clients see an unverified certificate: it is no identity */
	if (x == NULL || SSL_get_verify_result(c->ssl) != X509_V_OK ||
	    SSL_get_verify_mode(c->ssl) == SSL_VERIFY_NONE)
		return;
	if (vg_pki_cert_id(x, c->peer_id) != 0)
		c->peer_id[0] = '\0';
	if (vg_pki_cert_serial(x, c->peer_serial) != 0)
		c->peer_serial[0] = '\0';
}

int vg_tls_handshake(vg_tls_conn *c)
{
	if (c->failed)
		return VG_EIO;
	if (c->handshaken)
		return 0;
	ERR_clear_error();
	errno = 0;
	int ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->handshaken = true;
		c->err[0] = '\0';
		record_peer(c);
		return 0;
	}
	return fail(c, ret, "TLS handshake");
}

int vg_tls_read(vg_tls_conn *c, void *buf, size_t len, size_t *got)
{
	*got = 0;
	if (c->failed)
		return VG_EIO;
	if (len == 0)
		return VG_EINVAL; /* 0 bytes read means end of stream */
	ERR_clear_error();
	errno = 0;
	int ret = SSL_read_ex(c->ssl, buf, len, got);
	if (ret == 1)
		return 0;
	if (SSL_get_error(c->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		return 0; /* close_notify: a clean end of stream */
	}
	/* in TLS 1.3 a client learns that the server refused its certificate here,
	 * at its first read, because its own handshake finished first */
	return fail(c, ret, "TLS read");
}

int vg_tls_write(vg_tls_conn *c, const void *buf, size_t len, size_t *put)
{
	*put = 0;
	if (c->failed)
		return VG_EIO;
	if (len == 0)
		return VG_EINVAL;
	ERR_clear_error();
	errno = 0;
	int ret = SSL_write_ex(c->ssl, buf, len, put);
	if (ret == 1)
		return 0;
	return fail(c, ret, "TLS write");
}

/* ---- deadline-bounded operations --------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the direction want asks for; VG_EIO on timeout. */
static int wait_fd(vg_tls_conn *c, int want, long long deadline, const char *what)
{
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			long long l = deadline - now_ms();
			if (l <= 0)
				break;
			left = l > 1000000 ? 1000000 : (int)l;
		}
		struct pollfd p = {.fd = c->fd, .events = want == VG_TLS_WANT_READ ? POLLIN : POLLOUT};
		int n = poll(&p, 1, left);
		if (n > 0)
			return 0; /* readable, writable, or an error the next step reports */
		if (n < 0 && errno != EINTR) {
			snprintf(c->err, sizeof(c->err), "%s failed: poll: %s", what, strerror(errno));
			c->failed = true;
			return VG_EIO;
		}
	}
	snprintf(c->err, sizeof(c->err), "%s failed: timed out", what);
	c->failed = true;
	errno = ETIMEDOUT;
	return VG_EIO;
}

typedef struct op {
	int kind; /* 0 handshake, 1 read, 2 write */
	unsigned char *rbuf;
	const unsigned char *wbuf;
	size_t len;
} op;

static int run(vg_tls_conn *c, const op *o, int timeout_ms)
{
	static const char *const what[] = {"TLS handshake", "TLS read", "TLS write"};
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int fl = fcntl(c->fd, F_GETFL);
	if (fl < 0 || ((fl & O_NONBLOCK) == 0 && fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) != 0)) {
		snprintf(c->err, sizeof(c->err), "%s failed: fcntl: %s", what[o->kind], strerror(errno));
		return VG_EIO;
	}
	size_t done = 0;
	int r = 0;
	for (;;) {
		size_t n = 0;
		if (o->kind == 0)
			r = vg_tls_handshake(c);
		else if (o->kind == 1)
			r = vg_tls_read(c, o->rbuf + done, o->len - done, &n);
		else
			r = vg_tls_write(c, o->wbuf + done, o->len - done, &n);
		if (r < 0)
			break;
		if (r == 0) {
			if (o->kind == 1 && n == 0) {
				snprintf(c->err, sizeof(c->err), "TLS read failed: connection closed by peer");
				c->failed = true;
				r = VG_EIO;
				break;
			}
			done += n;
			if (o->kind == 0 || done == o->len)
				break;
			continue;
		}
		if ((r = wait_fd(c, r, deadline, what[o->kind])) != 0)
			break;
	}
	if ((fl & O_NONBLOCK) == 0)
		(void)fcntl(c->fd, F_SETFL, fl);
	return r;
}

int vg_tls_handshake_wait(vg_tls_conn *c, int timeout_ms)
{
	op o = {.kind = 0};
	return run(c, &o, timeout_ms);
}

int vg_tls_read_full(vg_tls_conn *c, void *buf, size_t len, int timeout_ms)
{
	if (len == 0)
		return 0;
	op o = {.kind = 1, .rbuf = buf, .len = len};
	return run(c, &o, timeout_ms);
}

int vg_tls_write_all(vg_tls_conn *c, const void *buf, size_t len, int timeout_ms)
{
	if (len == 0)
		return 0;
	op o = {.kind = 2, .wbuf = buf, .len = len};
	return run(c, &o, timeout_ms);
}

void vg_tls_shutdown(vg_tls_conn *c)
{
	if (c == NULL || c->failed || !c->handshaken)
		return;
	ERR_clear_error();
	(void)SSL_shutdown(c->ssl); /* one call: our close_notify; the peer's is not awaited */
	ERR_clear_error();
}

/* ---- accessors -------------------------------------------------------------- */

const char *vg_tls_peer_id(const vg_tls_conn *c)
{
	return c->handshaken && c->peer_id[0] ? c->peer_id : NULL;
}

const char *vg_tls_peer_serial(const vg_tls_conn *c)
{
	return c->handshaken && c->peer_serial[0] ? c->peer_serial : NULL;
}

X509 *vg_tls_peer_cert(const vg_tls_conn *c)
{
	return c->handshaken ? SSL_get0_peer_certificate(c->ssl) : NULL;
}

const char *vg_tls_server_name(const vg_tls_conn *c)
{
	return c->server_name;
}

int vg_tls_exporter(vg_tls_conn *c, const char *label, unsigned char *out, size_t len)
{
	if (!c->handshaken || c->failed)
		return VG_EINVAL;
	if (SSL_export_keying_material(c->ssl, out, len, label, strlen(label), NULL, 0, 0) != 1) {
		ERR_clear_error();
		return VG_EINVAL;
	}
	return 0;
}

const char *vg_tls_error(const vg_tls_conn *c)
{
	return c->err;
}
