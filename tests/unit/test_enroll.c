/* test_enroll.c — enrolment tokens (format, hashed storage, 0600, expiry,
 * single use even under concurrent redemption) and the protocol end to end
 * over real TLS: an agent enrols, then connects with mutual TLS; used,
 * expired and wrong tokens are refused; a server that does not know the
 * token never receives the secret; the message parser's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "net/enroll.h"
#include "net/pki.h"
#include "net/tls.h"

#define P 512

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

typedef struct fixture {
	char root[64], srv[P], pki[P], agent[P];
	vg_pki_ca *ca;
} fixture;

static void fx_open(fixture *f)
{
	char why[256] = "";
	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/vg_enroll_XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->srv, P, "%s/srv", f->root);
	snprintf(f->pki, P, "%s/srv/pki", f->root);
	snprintf(f->agent, P, "%s/agent", f->root);
	assert_int_equal(vg_pki_init_ca(f->srv, &f->ca, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_server_cert(f->ca, NULL, 0, why, sizeof(why)), 0);
}

static void fx_close(fixture *f)
{
	vg_pki_ca_free(f->ca);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *dir, const char *file)
{
	char p[P + 32], *data;
	size_t len;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (vg_pki_file_read(p, 1 << 20, &data, &len) != 0)
		return NULL;
	return data;
}

static unsigned mode_of(const char *dir, const char *file)
{
	char p[P + 32];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return stat(p, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0xffff;
}

static char *agent_csr(const char *dir)
{
	char *csr, why[256] = "";
	assert_int_equal(vg_pki_agent_keygen(dir, &csr, why, sizeof(why)), 0);
	return csr;
}

/* ---- tokens ----------------------------------------------------------------- */

static void test_token_format_and_storage(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	char tok[VG_ENROLL_TOKEN_BUF], id[VG_ENROLL_ID_LEN + 1];
	uint8_t secret[VG_ENROLL_SECRET], h[32], stored[32];
	time_t now = 1700000000;
	assert_int_equal(vg_enroll_token_new(f.srv, 0, now, tok), 0);
	assert_int_equal(strlen(tok), 8 + 1 + 43);
	assert_int_equal(tok[8], '.');
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), strlen(tok));
	assert_int_equal(vg_enroll_token_parse(tok, id, secret), 0);
	assert_memory_equal(id, tok, 8);
	assert_int_equal(mode_of(f.pki, "tokens"), 0600);

	/* the file holds SHA-256(secret) and the expiry, never the secret */
	char *file = slurp(f.pki, "tokens");
	assert_null(strstr(file, tok + 9));
	EVP_Digest(secret, sizeof(secret), h, NULL, EVP_sha256(), NULL);
	char line[128];
	int k = snprintf(line, sizeof(line), "%s ", id);
	for (int i = 0; i < 32; i++)
		k += snprintf(line + k, sizeof(line) - (size_t)k, "%02x", h[i]);
	snprintf(line + k, sizeof(line) - (size_t)k, " %lld\n", (long long)now + 24 * 3600);
	assert_non_null(strstr(file, line));
	free(file);
	assert_int_equal(vg_enroll_token_lookup(f.srv, id, now, stored), 0);
	assert_memory_equal(stored, h, 32);
	assert_int_equal(vg_enroll_token_lookup(f.srv, id, now + 24 * 3600, stored), VG_ENOTFOUND);
	assert_int_equal(vg_enroll_token_lookup(f.srv, "AAAAAAAA", now, stored), VG_ENOTFOUND);

	/* two tokens differ; creating one drops the expired ones */
	char tok2[VG_ENROLL_TOKEN_BUF];
	assert_int_equal(vg_enroll_token_new(f.srv, 60, now + 24 * 3600, tok2), 0);
	assert_string_not_equal(tok, tok2);
	file = slurp(f.pki, "tokens");
	assert_null(strstr(file, id));
	free(file);
	assert_int_equal(vg_enroll_token_new(f.srv, -1, now, tok2), VG_EINVAL);
	fx_close(&f);
}

static void test_token_parse_rejects(void **state)
{
	(void)state;
	char id[VG_ENROLL_ID_LEN + 1];
	uint8_t s[VG_ENROLL_SECRET];
	const char *good = "AbCd-_12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	assert_int_equal(vg_enroll_token_parse(good, id, s), 0);
	assert_string_equal(id, "AbCd-_12");
	const char *bad[] = {
		"",
		"AbCd-_12",                                              /* no secret */
		"AbCd-_12AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",    /* no dot */
		"AbCd-_1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",    /* short id */
		"AbCd+_12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* '+' is not base64url */
		"AbCd-_12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",    /* 42 characters */
		"AbCd-_12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* 44 characters */
		"AbCd-_12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",   /* stray low bits */
		"AbCd-_12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",   /* padding */
		"AbCd-_12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", /* trailing junk */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(vg_enroll_token_parse(bad[i], id, s), VG_EINVAL);
}

static void test_redeem(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	char tok[VG_ENROLL_TOKEN_BUF], id[VG_ENROLL_ID_LEN + 1], why[256] = "";
	uint8_t secret[VG_ENROLL_SECRET], wrong[VG_ENROLL_SECRET];
	vg_enroll_result res;
	time_t now = time(NULL);
	char *csr = agent_csr(f.agent);
	assert_int_equal(vg_enroll_token_new(f.srv, 3600, now, tok), 0);
	assert_int_equal(vg_enroll_token_parse(tok, id, secret), 0);

	/* wrong secret: refused, token stays live */
	memcpy(wrong, secret, sizeof(wrong));
	wrong[0] ^= 1;
	assert_int_equal(vg_enroll_redeem(f.ca, id, wrong, csr, strlen(csr), now, &res, why, sizeof(why)), VG_ENOTFOUND);
	assert_string_equal(why, "wrong token secret");
	assert_null(res.cert_pem);
	/* a bad CSR: refused, token stays live */
	assert_int_equal(vg_enroll_redeem(f.ca, id, secret, "junk", 4, now, &res, why, sizeof(why)), VG_EPARSE);

	assert_int_equal(vg_enroll_redeem(f.ca, id, secret, csr, strlen(csr), now, &res, why, sizeof(why)), 0);
	assert_non_null(res.cert_pem);
	assert_int_equal(strlen(res.agent_id), 16);
	assert_int_equal(strspn(res.agent_id, "0123456789abcdef"), 16);
	assert_true(strlen(res.serial) >= 16);
	char *issued = slurp(f.pki, "issued");
	assert_non_null(strstr(issued, res.agent_id));
	free(issued);
	vg_enroll_result_clear(&res);

	/* used once: gone */
	assert_int_equal(vg_enroll_redeem(f.ca, id, secret, csr, strlen(csr), now, &res, why, sizeof(why)), VG_ENOTFOUND);
	assert_string_equal(why, "unknown or already used token");
	assert_null(res.cert_pem);

	/* expired: refused and dropped from the file */
	assert_int_equal(vg_enroll_token_new(f.srv, 60, now, tok), 0);
	assert_int_equal(vg_enroll_token_parse(tok, id, secret), 0);
	assert_int_equal(vg_enroll_redeem(f.ca, id, secret, csr, strlen(csr), now + 60, &res, why, sizeof(why)),
			 VG_ENOTFOUND);
	assert_string_equal(why, "token expired");
	char *file = slurp(f.pki, "tokens");
	assert_null(strstr(file, id));
	free(file);
	free(csr);
	fx_close(&f);
}

typedef struct racer {
	fixture *f;
	const char *id;
	const uint8_t *secret;
	char *csr;
	int rc;
	pthread_barrier_t *go;
} racer;

static void *race(void *arg)
{
	racer *r = arg;
	vg_enroll_result res;
	pthread_barrier_wait(r->go);
	r->rc = vg_enroll_redeem(r->f->ca, r->id, r->secret, r->csr, strlen(r->csr), time(NULL), &res, NULL, 0);
	vg_enroll_result_clear(&res);
	return NULL;
}

static void test_redeem_concurrent_single_use(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	enum { N = 8 };
	char tok[VG_ENROLL_TOKEN_BUF], id[VG_ENROLL_ID_LEN + 1], dirs[N][P + 8];
	uint8_t secret[VG_ENROLL_SECRET];
	assert_int_equal(vg_enroll_token_new(f.srv, 0, time(NULL), tok), 0);
	assert_int_equal(vg_enroll_token_parse(tok, id, secret), 0);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, N);
	racer r[N];
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s/a%d", f.root, i);
		r[i] = (racer){.f = &f, .id = id, .secret = secret, .csr = agent_csr(dirs[i]), .go = &go};
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	int ok = 0, refused = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ok += r[i].rc == 0;
		refused += r[i].rc == VG_ENOTFOUND;
		free(r[i].csr);
	}
	assert_int_equal(ok, 1);
	assert_int_equal(refused, N - 1);
	pthread_barrier_destroy(&go);
	fx_close(&f);
}

/* ---- protocol over TLS ------------------------------------------------------ */

typedef struct server {
	fixture *f;
	int fd;
	int rc;
	char why[256];
	vg_enroll_result res;
} server;

static void *serve(void *arg)
{
	server *s = arg;
	vg_tls_ctx *t = NULL;
	vg_tls_conn *c = NULL;
	char why[256] = "";
	s->rc = vg_tls_server_from_pki(s->f->ca, VG_TLS_CLIENT_OPTIONAL, &t, why, sizeof(why));
	if (s->rc == 0)
		s->rc = vg_tls_conn_new(t, s->fd, NULL, &c);
	if (s->rc == 0)
		s->rc = vg_enroll_serve(c, s->f->ca, &s->res, s->why, sizeof(s->why));
	vg_tls_conn_free(c);
	vg_tls_ctx_free(t);
	close(s->fd);
	return NULL;
}

/* One enrolment: server thread + agent here; returns the agent's rc. */
/* the name the agent reports (NULL: gethostname) */
static const char *enrol_host;

static int enrol(fixture *f, const char *token, const char *name, server *s, char *agent_id, char *why)
{
	int sv[2];
	vg_tls_ctx *t = NULL;
	vg_tls_conn *c = NULL;
	vg_tls_client_opts o = {.enrolment = true};
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->fd = sv[1];
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, serve, s), 0);
	assert_int_equal(vg_tls_client_new(&o, &t, why, 256), 0);
	assert_int_equal(vg_tls_conn_new(t, sv[0], name, &c), 0);
	int rc = vg_enroll_agent(c, f->agent, token, enrol_host, agent_id, why, 256);
	vg_tls_conn_free(c);
	close(sv[0]);
	pthread_join(th, NULL);
	vg_tls_ctx_free(t);
	return rc;
}

/* After enrolment: a mutual-TLS connection from the agent's directory. */
static int connect_agent(fixture *f, char peer[256])
{
	int sv[2];
	vg_tls_ctx *st = NULL, *ct = NULL;
	vg_tls_conn *sc = NULL, *cc = NULL;
	char why[256] = "";
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(vg_tls_server_from_pki(f->ca, VG_TLS_CLIENT_REQUIRED, &st, why, sizeof(why)), 0);
	assert_int_equal(vg_tls_client_from_agent_dir(f->agent, &ct, why, sizeof(why)), 0);
	assert_int_equal(vg_tls_conn_new(st, sv[1], NULL, &sc), 0);
	assert_int_equal(vg_tls_conn_new(ct, sv[0], "localhost", &cc), 0);
	int rc = 1, rs = 1;
	for (int i = 0; i < 20 && (rc > 0 || rs > 0); i++) {
		if (rc > 0)
			rc = vg_tls_handshake(cc);
		if (rs > 0)
			rs = vg_tls_handshake(sc);
	}
	if (rs == 0)
		snprintf(peer, 256, "%s", vg_tls_peer_id(sc));
	else
		snprintf(peer, 256, "%s", vg_tls_error(sc));
	vg_tls_conn_free(sc);
	vg_tls_conn_free(cc);
	vg_tls_ctx_free(st);
	vg_tls_ctx_free(ct);
	close(sv[0]);
	close(sv[1]);
	return rs;
}

/* The name given with --hostname is the one the server records and logs. */
static void test_protocol_enrol_reports_given_hostname(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	char tok[VG_ENROLL_TOKEN_BUF], agent_id[VG_PKI_MAX_ID + 1], why[256] = "";
	server s;
	assert_int_equal(vg_enroll_token_new(f.srv, 0, time(NULL), tok), 0);
	enrol_host = "web-01.so-tttt.example.vn";
	assert_int_equal(enrol(&f, tok, "localhost", &s, agent_id, why), 0);
	enrol_host = NULL;
	assert_int_equal(s.rc, 0);
	assert_string_equal(s.res.hostname, "web-01.so-tttt.example.vn");
	vg_enroll_result_clear(&s.res);
	fx_close(&f);
}

static void test_protocol_enrol_then_connect(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	char tok[VG_ENROLL_TOKEN_BUF], agent_id[VG_PKI_MAX_ID + 1], why[256] = "", peer[256];
	server s;
	assert_int_equal(vg_enroll_token_new(f.srv, 0, time(NULL), tok), 0);
	assert_int_equal(enrol(&f, tok, "localhost", &s, agent_id, why), 0);
	assert_int_equal(s.rc, 0);
	assert_string_equal(agent_id, s.res.agent_id);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	assert_string_equal(s.res.hostname, host);
	/* the agent pinned the server's CA and holds its own key (0600) */
	char *pinned = slurp(f.agent, "ca.crt"), *ca_pem;
	size_t len;
	assert_int_equal(vg_pki_ca_pem(f.ca, &ca_pem, &len), 0);
	assert_string_equal(pinned, ca_pem);
	free(pinned);
	free(ca_pem);
	assert_int_equal(mode_of(f.agent, "agent.key"), 0600);
	char *crt = slurp(f.agent, "agent.crt");
	assert_string_equal(crt, s.res.cert_pem);
	free(crt);

	/* mutual TLS with the new identity */
	assert_int_equal(connect_agent(&f, peer), 0);
	assert_string_equal(peer, agent_id);

	/* revoked by id (`vigil agents revoke ID`): refused */
	size_t count = 0;
	assert_int_equal(vg_pki_revoke_agent(f.ca, agent_id, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(connect_agent(&f, peer), VG_EIO);
	assert_string_equal(peer, "TLS handshake failed: certificate verify failed: certificate revoked");

	/* the token was used: a second enrolment with it is refused */
	vg_enroll_result_clear(&s.res);
	assert_int_equal(enrol(&f, tok, "localhost", &s, agent_id, why), VG_ENOTFOUND);
	assert_string_equal(why, "server: enrolment refused: unknown, used or expired token");
	assert_int_equal(s.rc, VG_ENOTFOUND);
	assert_string_equal(agent_id, "");
	vg_enroll_result_clear(&s.res);
	fx_close(&f);
}

static void test_protocol_refusals(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	char tok[VG_ENROLL_TOKEN_BUF], agent_id[VG_PKI_MAX_ID + 1], why[256] = "";
	server s;
	time_t now = time(NULL);

	/* expired */
	assert_int_equal(vg_enroll_token_new(f.srv, 60, now - 61, tok), 0);
	assert_int_equal(enrol(&f, tok, "localhost", &s, agent_id, why), VG_ENOTFOUND);
	assert_string_equal(why, "server: enrolment refused: unknown, used or expired token");
	assert_int_equal(s.rc, VG_ENOTFOUND);

	/* unknown id */
	assert_int_equal(enrol(&f, "AAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "localhost", &s, agent_id, why),
			 VG_ENOTFOUND);
	assert_int_equal(s.rc, VG_ENOTFOUND);

	/* right id, wrong secret: the server's proof does not check out for the
	 * agent, which stops before sending anything secret; token stays live */
	assert_int_equal(vg_enroll_token_new(f.srv, 0, now, tok), 0);
	char bad[VG_ENROLL_TOKEN_BUF];
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	assert_int_equal(enrol(&f, bad, "localhost", &s, agent_id, why), VG_EINVAL);
	assert_non_null(strstr(why, "the server did not prove it issued this token"));
	assert_int_equal(s.rc, VG_EIO); /* the agent hung up */
	uint8_t h[32];
	char id[VG_ENROLL_ID_LEN + 1];
	memcpy(id, tok, 8);
	id[8] = '\0';
	assert_int_equal(vg_enroll_token_lookup(f.srv, id, now, h), 0);

	/* the name the agent dialled is not in the server certificate: caught at
	 * enrolment, before the secret is sent; token still live */
	assert_int_equal(enrol(&f, tok, "vigil.elsewhere.example", &s, agent_id, why), VG_EINVAL);
	assert_string_equal(why, "server certificate not accepted: hostname mismatch");
	assert_int_equal(vg_enroll_token_lookup(f.srv, id, now, h), 0);

	/* malformed token: nothing is even sent */
	assert_int_equal(enrol(&f, "nonsense", "localhost", &s, agent_id, why), VG_EINVAL);
	assert_non_null(strstr(why, "malformed token"));

	/* and the good one still works */
	assert_int_equal(enrol(&f, tok, "127.0.0.1", &s, agent_id, why), 0);
	assert_int_equal(s.rc, 0);
	vg_enroll_result_clear(&s.res);
	fx_close(&f);
}

/* A server that does not know the token (a man in the middle with its own
 * CA) answers HELLO with a made-up proof. The agent must hang up without
 * ever sending a REQUEST. */
typedef struct rogue {
	fixture *g;
	int fd;
	int saw_request, frames;
} rogue;

static void *rogue_run(void *arg)
{
	rogue *r = arg;
	vg_tls_ctx *t = NULL;
	vg_tls_conn *c = NULL;
	char why[256];
	uint8_t hdr[4], body[VG_ENROLL_MAX_FRAME], proof[32], frame[VG_ENROLL_MAX_FRAME + 4];
	char *ca_pem;
	size_t len, n;
	vg_enroll_msg m;
	if (vg_tls_server_from_pki(r->g->ca, VG_TLS_CLIENT_OPTIONAL, &t, why, sizeof(why)) != 0 ||
	    vg_tls_conn_new(t, r->fd, NULL, &c) != 0 || vg_tls_handshake_wait(c, 5000) != 0)
		goto out;
	RAND_bytes(proof, sizeof(proof));
	if (vg_pki_ca_pem(r->g->ca, &ca_pem, &len) != 0)
		goto out;
	while (vg_tls_read_full(c, hdr, 4, 5000) == 0) {
		n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
		if (n > sizeof(body) || vg_tls_read_full(c, body, n, 5000) != 0 || vg_enroll_msg_parse(body, n, &m) != 0)
			break;
		r->frames++;
		if (m.type == VG_ENROLL_REQUEST)
			r->saw_request = 1;
		if (m.type == VG_ENROLL_HELLO) {
			vg_enroll_msg ch = {.type = VG_ENROLL_CHALLENGE};
			ch.f[VG_ENROLL_F_CA_CERT] = (vg_enroll_field){(const uint8_t *)ca_pem, len};
			ch.f[VG_ENROLL_F_PROOF] = (vg_enroll_field){proof, 32};
			if (vg_enroll_msg_encode(&ch, frame, sizeof(frame), &n) != 0 ||
			    vg_tls_write_all(c, frame, n, 5000) != 0)
				break;
		}
	}
	free(ca_pem);
out:
	vg_tls_conn_free(c);
	vg_tls_ctx_free(t);
	close(r->fd);
	return NULL;
}

static void test_protocol_rogue_server(void **state)
{
	(void)state;
	fixture f, g;
	fx_open(&f);
	fx_open(&g);
	char tok[VG_ENROLL_TOKEN_BUF], agent_id[VG_PKI_MAX_ID + 1], why[256] = "";
	assert_int_equal(vg_enroll_token_new(f.srv, 0, time(NULL), tok), 0);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rogue r = {.g = &g, .fd = sv[1]};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, rogue_run, &r), 0);
	vg_tls_ctx *t = NULL;
	vg_tls_conn *c = NULL;
	vg_tls_client_opts o = {.enrolment = true};
	assert_int_equal(vg_tls_client_new(&o, &t, why, sizeof(why)), 0);
	assert_int_equal(vg_tls_conn_new(t, sv[0], "localhost", &c), 0);
	assert_int_equal(vg_enroll_agent(c, f.agent, tok, NULL, agent_id, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "the server did not prove it issued this token"));
	vg_tls_conn_free(c);
	close(sv[0]);
	pthread_join(th, NULL);
	assert_int_equal(r.frames, 1); /* HELLO only */
	assert_int_equal(r.saw_request, 0);
	assert_int_equal(mode_of(f.agent, "agent.crt"), 0xffff);
	vg_tls_ctx_free(t);
	fx_close(&f);
	fx_close(&g);
}

/* A peer that announces a frame over the limit is cut off before the server
 * reads (or allocates) it. */
static void test_protocol_oversized_frame(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	server s = {.f = &f, .fd = sv[1]};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, serve, &s), 0);
	vg_tls_ctx *t = NULL;
	vg_tls_conn *c = NULL;
	char why[256];
	vg_tls_client_opts o = {.enrolment = true};
	assert_int_equal(vg_tls_client_new(&o, &t, why, sizeof(why)), 0);
	assert_int_equal(vg_tls_conn_new(t, sv[0], NULL, &c), 0);
	assert_int_equal(vg_tls_handshake_wait(c, 5000), 0);
	const uint8_t hdr[4] = {0x00, 0x01, 0x00, 0x01}; /* 65537 */
	assert_int_equal(vg_tls_write_all(c, hdr, 4, 5000), 0);
	pthread_join(th, NULL);
	assert_int_equal(s.rc, VG_ELIMIT);
	assert_string_equal(s.why, "enrolment hello: frame larger than 64 KiB");
	vg_tls_conn_free(c);
	close(sv[0]);
	vg_tls_ctx_free(t);
	fx_close(&f);
}

/* ---- message parser --------------------------------------------------------- */

static size_t frame(uint8_t *out, const char *spec, size_t n)
{
	memcpy(out, spec, n);
	return n;
}
#define FRAME(lit) frame(buf, lit, sizeof(lit) - 1)

static void test_msg_parse(void **state)
{
	(void)state;
	vg_enroll_msg m, back;
	uint8_t buf[VG_ENROLL_MAX_FRAME + 16], enc[VG_ENROLL_MAX_FRAME + 16];
	size_t n, en;

	/* a HELLO round trip */
	m = (vg_enroll_msg){.type = VG_ENROLL_HELLO};
	m.f[VG_ENROLL_F_TOKEN_ID] = (vg_enroll_field){(const uint8_t *)"AbCd-_12", 8};
	m.f[VG_ENROLL_F_HOSTNAME] = (vg_enroll_field){(const uint8_t *)"web-01.example", 14};
	assert_int_equal(vg_enroll_msg_encode(&m, enc, sizeof(enc), &en), 0);
	assert_int_equal(en, 4 + 2 + 3 + 8 + 3 + 14);
	static const uint8_t expect[] = {0, 0, 0, 30, 1, 1, 1, 0, 8, 'A', 'b', 'C', 'd', '-', '_', '1', '2', 2, 0, 14};
	assert_memory_equal(enc, expect, sizeof(expect));
	assert_int_equal(vg_enroll_msg_parse(enc + 4, en - 4, &back), 0);
	assert_int_equal(back.type, VG_ENROLL_HELLO);
	assert_int_equal(back.f[VG_ENROLL_F_HOSTNAME].len, 14);
	assert_memory_equal(back.f[VG_ENROLL_F_HOSTNAME].p, "web-01.example", 14);
	assert_null(back.f[VG_ENROLL_F_CSR].p);
	/* hostname is optional; token id is not */
	n = FRAME("\x01\x01\x01\x00\x08" "AbCd-_12");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), 0);
	n = FRAME("\x01\x01\x02\x00\x03" "web");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE);
	assert_int_equal(back.type, 0);

	/* framing faults */
	assert_int_equal(vg_enroll_msg_parse(buf, 0, &back), VG_EPARSE);
	assert_int_equal(vg_enroll_msg_parse((const uint8_t *)"\x01", 1, &back), VG_EPARSE);
	assert_int_equal(vg_enroll_msg_parse((const uint8_t *)"\x02\x01", 2, &back), VG_EUNSUPPORTED);
	assert_int_equal(vg_enroll_msg_parse((const uint8_t *)"\x01\x06", 2, &back), VG_EPARSE); /* type */
	assert_int_equal(vg_enroll_msg_parse((const uint8_t *)"\x01\x00", 2, &back), VG_EPARSE);
	n = FRAME("\x01\x01\x01\x00\x09" "AbCd-_12"); /* length past the end */
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE);
	n = FRAME("\x01\x01\x01\x00"); /* truncated field header */
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE);
	n = FRAME("\x01\x01\x01\x00\x08" "AbCd-_12" "\x01\x00\x08" "AbCd-_12"); /* duplicate */
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE);
	n = FRAME("\x01\x01\x02\x00\x01" "w" "\x01\x00\x08" "AbCd-_12"); /* descending */
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE);
	n = FRAME("\x01\x01\x01\x00\x08" "AbCd-_12" "\x05\x00\x20" "0123456789abcdef0123456789abcdef");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* SECRET not allowed in HELLO */
	n = FRAME("\x01\x01\x01\x00\x08" "AbCd-_12" "\x0a\x00\x01" "x");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* unknown tag */
	n = FRAME("\x01\x01\x01\x00\x08" "AbCd+_12");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* id alphabet */
	n = FRAME("\x01\x01\x01\x00\x08" "AbCd-_12" "\x02\x00\x04" "a b!");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* host alphabet */
	n = FRAME("\x01\x01\x01\x00\x08" "AbCd-_12" "\x02\x00\x00");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* empty field */

	/* per-type contents */
	n = FRAME("\x01\x05\x09\x00\x05" "hello");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), 0);
	n = FRAME("\x01\x05\x09\x00\x05" "he\x1b[m");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* terminal escape */
	n = FRAME("\x01\x04\x07\x00\x03" "a/b" "\x08\x00\x10" "-----BEGIN CERT-");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* agent id alphabet */
	n = FRAME("\x01\x04\x07\x00\x03" "a.b" "\x08\x00\x10" "-----BEGIN CERT-");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), 0);
	n = FRAME("\x01\x04\x07\x00\x03" "a.b" "\x08\x00\x10" "-----BEGIN CERT\x01");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* PEM alphabet */
	n = FRAME("\x01\x04\x07\x00\x03" "a.b" "\x08\x00\x10" "MIIBbegin CERT--");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* not PEM */
	n = FRAME("\x01\x02\x03\x00\x0b" "-----BEGIN " "\x04\x00\x1f" "0123456789abcdef0123456789abcde");
	assert_int_equal(vg_enroll_msg_parse(buf, n, &back), VG_EPARSE); /* 31-byte proof */

	/* the size limit, in both directions */
	memset(buf, 'A', sizeof(buf));
	assert_int_equal(vg_enroll_msg_parse(buf, VG_ENROLL_MAX_FRAME + 1, &back), VG_ELIMIT);
	static uint8_t big[VG_ENROLL_MAX_PEM + 1];
	memcpy(big, "-----BEGIN ", 11);
	memset(big + 11, 'A', sizeof(big) - 11);
	m = (vg_enroll_msg){.type = VG_ENROLL_RESULT};
	m.f[VG_ENROLL_F_AGENT_ID] = (vg_enroll_field){(const uint8_t *)"a1", 2};
	m.f[VG_ENROLL_F_CERT] = (vg_enroll_field){big, sizeof(big)};
	assert_int_equal(vg_enroll_msg_encode(&m, enc, sizeof(enc), &en), 0);
	assert_int_equal(vg_enroll_msg_parse(enc + 4, en - 4, &back), VG_EPARSE); /* PEM over 16 KiB */
	m.f[VG_ENROLL_F_CERT].len = VG_ENROLL_MAX_PEM;
	assert_int_equal(vg_enroll_msg_encode(&m, enc, sizeof(enc), &en), 0);
	assert_int_equal(vg_enroll_msg_parse(enc + 4, en - 4, &back), 0);
	assert_int_equal(vg_enroll_msg_encode(&m, enc, 100, &en), VG_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_format_and_storage),
		cmocka_unit_test(test_protocol_enrol_reports_given_hostname),
		cmocka_unit_test(test_token_parse_rejects),
		cmocka_unit_test(test_redeem),
		cmocka_unit_test(test_redeem_concurrent_single_use),
		cmocka_unit_test(test_protocol_enrol_then_connect),
		cmocka_unit_test(test_protocol_refusals),
		cmocka_unit_test(test_protocol_rogue_server),
		cmocka_unit_test(test_protocol_oversized_frame),
		cmocka_unit_test(test_msg_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
