/* test_pki.c — the private CA: creation and reload, file modes, the server
 * certificate's SANs and reuse, CSR checks, agent certificates, revocation
 * (persisted, seen across handles, fail-closed) and the agent's key store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "net/pki.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *mktemp_dir(void)
{
	char *d = strdup("/tmp/vg_pki_XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static unsigned mode_of(const char *dir, const char *file)
{
	char p[4096];
	struct stat st;
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, file) >= sizeof(p))
		return 0xffff;
	if (stat(p, &st) != 0)
		return 0xffff;
	return (unsigned)(st.st_mode & 07777);
}

static X509 *load_cert(const char *dir, const char *file)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static X509 *parse_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static char *slurp(const char *dir, const char *file)
{
	char p[4096], *data;
	size_t len;
	assert_true((size_t)snprintf(p, sizeof(p), "%s/%s", dir, file) < sizeof(p));
	assert_int_equal(vg_pki_file_read(p, 1 << 20, &data, &len), 0);
	return data;
}

/* Days and seconds between notBefore and notAfter. */
static void lifetime(const X509 *x, int *days, int *secs)
{
	assert_int_equal(ASN1_TIME_diff(days, secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
}

static int verifies(X509 *leaf, X509 *ca, int purpose)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	X509_STORE_add_cert(st, ca);
	X509_STORE_CTX_init(sc, st, leaf, NULL);
	X509_STORE_CTX_set_purpose(sc, purpose);
	int ok = X509_verify_cert(sc);
	X509_STORE_CTX_free(sc);
	X509_STORE_free(st);
	ERR_clear_error();
	return ok;
}

static void test_ca_create_and_reload(void **state)
{
	(void)state;
	char *d = mktemp_dir(), pk[4096], why[256] = "";
	vg_pki_ca *ca = NULL, *ca2 = NULL;
	assert_int_equal(vg_pki_init_ca(d, &ca, why, sizeof(why)), 0);
	snprintf(pk, sizeof(pk), "%s/pki", d);
	assert_string_equal(vg_pki_ca_dir(ca), pk);
	assert_int_equal(mode_of(d, "pki"), 0700);
	assert_int_equal(mode_of(pk, "ca.key"), 0600);
	assert_int_equal(mode_of(pk, "ca.crt"), 0644);

	X509 *x = load_cert(pk, "ca.crt");
	assert_int_equal(X509_cmp(x, vg_pki_ca_cert(ca)), 0);
	assert_int_not_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_self_signed(x, 1), 1);
	int days, secs;
	lifetime(x, &days, &secs);
	assert_int_equal(days, 3650); /* ten years, from five minutes back */
	assert_int_equal(secs, 300);
	EVP_PKEY *pub = X509_get0_pubkey(x);
	assert_true(EVP_PKEY_is_a(pub, "EC"));
	char g[32];
	assert_int_equal(EVP_PKEY_get_group_name(pub, g, sizeof(g), NULL), 1);
	assert_string_equal(g, "prime256v1");
	/* the private key file holds a key, the certificate file none */
	char *key = slurp(pk, "ca.key"), *crt = slurp(pk, "ca.crt");
	assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----"));
	assert_null(strstr(crt, "PRIVATE"));
	free(key);
	free(crt);

	/* a second start loads the same CA */
	assert_int_equal(vg_pki_init_ca(d, &ca2, why, sizeof(why)), 0);
	assert_int_equal(X509_cmp(vg_pki_ca_cert(ca2), x), 0);
	char *pem;
	size_t len;
	assert_int_equal(vg_pki_ca_pem(ca2, &pem, &len), 0);
	assert_int_equal(strlen(pem), len);
	X509 *y = parse_cert(pem);
	assert_int_equal(X509_cmp(y, x), 0);
	X509_free(y);
	free(pem);
	X509_free(x);
	vg_pki_ca_free(ca);
	vg_pki_ca_free(ca2);
	vg_pki_ca_free(NULL);
	rm_rf(d);
	free(d);
}

static void test_ca_key_mode_refused(void **state)
{
	(void)state;
	char *d = mktemp_dir(), p[4096], why[256] = "";
	vg_pki_ca *ca = NULL;
	assert_int_equal(vg_pki_init_ca(d, &ca, why, sizeof(why)), 0);
	vg_pki_ca_free(ca);
	snprintf(p, sizeof(p), "%s/pki/ca.key", d);
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(vg_pki_init_ca(d, &ca, why, sizeof(why)), VG_EINVAL);
	assert_null(ca);
	assert_non_null(strstr(why, "mode 640"));
	assert_non_null(strstr(why, "chmod 600"));
	rm_rf(d);
	free(d);
}

static void test_server_cert(void **state)
{
	(void)state;
	char *d = mktemp_dir(), pk[4096], why[256] = "";
	vg_pki_ca *ca = NULL;
	assert_int_equal(vg_pki_init_ca(d, &ca, why, sizeof(why)), 0);
	snprintf(pk, sizeof(pk), "%s/pki", d);
	const char *names[] = {"vigil.example.org", "10.1.2.3", "LOCALHOST"};
	assert_int_equal(vg_pki_server_cert(ca, names, 3, why, sizeof(why)), 0);
	assert_int_equal(mode_of(pk, "server.key"), 0600);
	assert_int_equal(mode_of(pk, "server.crt"), 0644);
	X509 *x = load_cert(pk, "server.crt");
	X509 *cax = load_cert(pk, "ca.crt");
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
	assert_int_equal(X509_check_host(x, "vigil.example.org", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "10.1.2.3", 0), 1);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	assert_int_equal(X509_check_host(x, host, 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "other.example.org", 0, 0, NULL), 0);
	assert_int_equal(X509_check_ip_asc(x, "10.1.2.4", 0), 0);
	/* a server certificate, not a client one, and signed by our CA */
	assert_int_equal(verifies(x, cax, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_equal(verifies(x, cax, X509_PURPOSE_SSL_CLIENT), 0);
	int days, secs;
	lifetime(x, &days, &secs);
	assert_int_equal(days, VG_PKI_SERVER_DAYS);
	char s1[VG_PKI_SERIAL_HEX], s2[VG_PKI_SERIAL_HEX];
	assert_int_equal(vg_pki_cert_serial(x, s1), 0);
	X509_free(x);

	/* same names: kept; a new name: reissued */
	assert_int_equal(vg_pki_server_cert(ca, names, 2, why, sizeof(why)), 0);
	x = load_cert(pk, "server.crt");
	assert_int_equal(vg_pki_cert_serial(x, s2), 0);
	assert_string_equal(s1, s2);
	X509_free(x);
	const char *more[] = {"vigil.example.org", "siem.example.org"};
	assert_int_equal(vg_pki_server_cert(ca, more, 2, why, sizeof(why)), 0);
	x = load_cert(pk, "server.crt");
	assert_int_equal(vg_pki_cert_serial(x, s2), 0);
	assert_string_not_equal(s1, s2);
	assert_int_equal(X509_check_host(x, "siem.example.org", 0, 0, NULL), 1);
	X509_free(x);

	/* names cannot smuggle in further SANs or junk */
	const char *bad[] = {"a.example,DNS:evil.example"};
	assert_int_equal(vg_pki_server_cert(ca, bad, 1, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "not a host name"));
	X509_free(cax);
	vg_pki_ca_free(ca);
	rm_rf(d);
	free(d);
}

/* A CA plus an agent key/CSR in d/agent. */
typedef struct fixture {
	char *dir, agent[512], pki[512];
	vg_pki_ca *ca;
	char *csr;
} fixture;

static void fx_open(fixture *f)
{
	char why[256] = "";
	memset(f, 0, sizeof(*f));
	f->dir = mktemp_dir();
	assert_int_equal(vg_pki_init_ca(f->dir, &f->ca, why, sizeof(why)), 0);
	snprintf(f->agent, sizeof(f->agent), "%s/agent", f->dir);
	snprintf(f->pki, sizeof(f->pki), "%s/pki", f->dir);
	assert_int_equal(vg_pki_agent_keygen(f->agent, &f->csr, why, sizeof(why)), 0);
}

static void fx_close(fixture *f)
{
	free(f->csr);
	vg_pki_ca_free(f->ca);
	rm_rf(f->dir);
	free(f->dir);
}

static void test_keygen_and_sign(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	char why[256] = "", serial[VG_PKI_SERIAL_HEX], *cert = NULL;
	assert_int_equal(mode_of(f.agent, "agent.key.pending"), 0600);
	assert_int_equal(mode_of(f.dir, "agent"), 0700);
	assert_non_null(strstr(f.csr, "-----BEGIN CERTIFICATE REQUEST-----"));
	assert_null(strstr(f.csr, "PRIVATE"));

	assert_int_equal(vg_pki_sign_csr(f.ca, f.csr, strlen(f.csr), "0123abcd", 0, &cert, serial, why, sizeof(why)), 0);
	X509 *x = parse_cert(cert);
	char cn[VG_PKI_MAX_ID + 1];
	assert_int_equal(vg_pki_cert_id(x, cn), 0);
	assert_string_equal(cn, "0123abcd");
	assert_int_equal(verifies(x, (X509 *)vg_pki_ca_cert(f.ca), X509_PURPOSE_SSL_CLIENT), 1);
	assert_int_equal(verifies(x, (X509 *)vg_pki_ca_cert(f.ca), X509_PURPOSE_SSL_SERVER), 0);
	int days, secs;
	lifetime(x, &days, &secs);
	assert_int_equal(days, VG_PKI_AGENT_DAYS);
	/* 128 random bits: 16 bytes or fewer, the serial we were told */
	char s2[VG_PKI_SERIAL_HEX];
	assert_int_equal(vg_pki_cert_serial(x, s2), 0);
	assert_string_equal(serial, s2);
	assert_true(strlen(serial) <= 32 && strlen(serial) >= 16);
	/* the issue is recorded */
	char *issued = slurp(f.pki, "issued");
	char expect[128];
	snprintf(expect, sizeof(expect), "%s 0123abcd ", serial);
	assert_non_null(strstr(issued, expect));
	free(issued);
	X509_free(x);
	free(cert);

	/* explicit validity; two certificates never share a serial */
	char serial2[VG_PKI_SERIAL_HEX];
	assert_int_equal(vg_pki_sign_csr(f.ca, f.csr, strlen(f.csr), "agent-2", 7, &cert, serial2, why, sizeof(why)), 0);
	x = parse_cert(cert);
	lifetime(x, &days, &secs);
	assert_int_equal(days, 7);
	assert_string_not_equal(serial, serial2);
	X509_free(x);
	free(cert);
	fx_close(&f);
}

static char *csr_with_key(EVP_PKEY *k)
{
	X509_REQ *req = X509_REQ_new();
	X509_REQ_set_pubkey(req, k);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(b, req);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = strndup(p, (size_t)n);
	BIO_free(b);
	X509_REQ_free(req);
	return s;
}

static void test_sign_rejects(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	char why[256] = "", serial[VG_PKI_SERIAL_HEX], *cert = (char *)1;

	/* a CSR whose signature does not match its content */
	BIO *b = BIO_new_mem_buf(f.csr, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	BIO_free(b);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	X509_REQ_free(req);
	der[n - 8] ^= 0x01; /* inside the signature value */
	const unsigned char *q = der;
	req = d2i_X509_REQ(NULL, &q, n);
	assert_non_null(req);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(b, req);
	char *pp;
	long pl = BIO_get_mem_data(b, &pp);
	assert_int_equal(vg_pki_sign_csr(f.ca, pp, (size_t)pl, "x1", 0, &cert, serial, why, sizeof(why)), VG_EINVAL);
	assert_null(cert);
	assert_non_null(strstr(why, "CSR signature invalid"));
	BIO_free(b);
	X509_REQ_free(req);
	OPENSSL_free(der);

	assert_int_equal(vg_pki_sign_csr(f.ca, "garbage", 7, "x1", 0, &cert, serial, why, sizeof(why)), VG_EPARSE);
	assert_int_equal(vg_pki_sign_csr(f.ca, f.csr, strlen(f.csr), "a b", 0, &cert, serial, why, sizeof(why)),
			 VG_EINVAL);
	assert_int_equal(vg_pki_sign_csr(f.ca, f.csr, strlen(f.csr), "", 0, &cert, serial, why, sizeof(why)),
			 VG_EINVAL);
	char longid[VG_PKI_MAX_ID + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(vg_pki_sign_csr(f.ca, f.csr, strlen(f.csr), longid, 0, &cert, serial, why, sizeof(why)),
			 VG_EINVAL);

	/* RSA keys are not accepted; Ed25519 is */
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	char *rcsr = csr_with_key(rsa);
	assert_int_equal(vg_pki_sign_csr(f.ca, rcsr, strlen(rcsr), "x1", 0, &cert, serial, why, sizeof(why)),
			 VG_EUNSUPPORTED);
	free(rcsr);
	EVP_PKEY_free(rsa);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509_REQ *er = X509_REQ_new();
	X509_REQ_set_pubkey(er, ed);
	assert_true(X509_REQ_sign(er, ed, NULL) > 0);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(b, er);
	pl = BIO_get_mem_data(b, &pp);
	assert_int_equal(vg_pki_sign_csr(f.ca, pp, (size_t)pl, "ed1", 0, &cert, serial, why, sizeof(why)), 0);
	free(cert);
	BIO_free(b);
	X509_REQ_free(er);
	EVP_PKEY_free(ed);
	fx_close(&f);
}

static void test_serial_norm(void **state)
{
	(void)state;
	char s[VG_PKI_SERIAL_HEX];
	assert_int_equal(vg_pki_serial_norm("0a:bC", s), 0);
	assert_string_equal(s, "0ABC");
	assert_int_equal(vg_pki_serial_norm("000ABC", s), 0);
	assert_string_equal(s, "0ABC");
	assert_int_equal(vg_pki_serial_norm("7f", s), 0);
	assert_string_equal(s, "7F");
	assert_int_equal(vg_pki_serial_norm("", s), VG_EINVAL);
	assert_int_equal(vg_pki_serial_norm("00", s), VG_EINVAL);
	assert_int_equal(vg_pki_serial_norm("xyz", s), VG_EINVAL);
	assert_int_equal(vg_pki_serial_norm("12 34", s), VG_EINVAL);
	assert_int_equal(vg_pki_serial_norm("1234567890123456789012345678901234567890", s), 0);
	assert_int_equal(vg_pki_serial_norm("11234567890123456789012345678901234567890", s), VG_EINVAL);
	assert_int_equal(vg_pki_id_valid("a.b_c-D9", 8), 1);
	assert_int_equal(vg_pki_id_valid("a/b", 3), 0);
	assert_int_equal(vg_pki_id_valid("a\nb", 3), 0);
}

static void test_revoke(void **state)
{
	(void)state;
	fixture f;
	fx_open(&f);
	char why[256] = "", s1[VG_PKI_SERIAL_HEX], s2[VG_PKI_SERIAL_HEX], *c1, *c2;
	assert_int_equal(vg_pki_sign_csr(f.ca, f.csr, strlen(f.csr), "one", 0, &c1, s1, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_sign_csr(f.ca, f.csr, strlen(f.csr), "two", 0, &c2, s2, why, sizeof(why)), 0);
	free(c1);
	free(c2);
	assert_int_equal(vg_pki_is_revoked(f.ca, s1), 0);
	assert_int_equal(vg_pki_is_revoked(f.ca, s2), 0);

	/* as `openssl x509 -serial` or a person might type it */
	char typed[VG_PKI_SERIAL_HEX * 2] = "";
	for (size_t i = 0; s1[i]; i++) {
		size_t k = strlen(typed);
		typed[k] = (char)(s1[i] | 0x20); /* lower case (digits unchanged) */
		if (i % 2 == 1 && s1[i + 1])
			typed[++k] = ':';
	}
	assert_int_equal(vg_pki_revoke(f.ca, typed), 0);
	assert_int_equal(vg_pki_is_revoked(f.ca, s1), 1);
	assert_int_equal(vg_pki_is_revoked(f.ca, s2), 0);
	assert_int_equal(vg_pki_revoke(f.ca, s1), 0); /* idempotent */
	char *list = slurp(f.pki, "revoked");
	char line[64];
	snprintf(line, sizeof(line), "\n%s\n", s1);
	assert_non_null(strstr(list, line));
	assert_ptr_equal(strstr(list, line), strrchr(list, '\n') - strlen(s1) - 1); /* once, last */
	free(list);
	assert_int_equal(mode_of(f.pki, "revoked"), 0644);

	/* another handle (another process, a restart) sees it, and a revocation
	 * through that handle reaches the first one at its next check */
	vg_pki_ca *other = NULL;
	assert_int_equal(vg_pki_init_ca(f.dir, &other, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_is_revoked(other, s1), 1);
	size_t count = 0;
	assert_int_equal(vg_pki_revoke_agent(other, "two", &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(vg_pki_is_revoked(f.ca, s2), 1);
	assert_int_equal(vg_pki_revoke_agent(other, "nobody", &count), VG_ENOTFOUND);
	assert_int_equal(count, 0);
	assert_int_equal(vg_pki_revoke(other, "not-hex"), VG_EINVAL);
	vg_pki_ca_free(other);

	/* an unreadable list fails closed */
	char p[4096];
	snprintf(p, sizeof(p), "%s/revoked", f.pki);
	assert_int_equal(vg_pki_file_write(p, "zz top\n", 7, 0644), 0);
	assert_true(vg_pki_is_revoked(f.ca, s2) < 0);
	assert_true(vg_pki_is_revoked(f.ca, "01") < 0);
	assert_int_equal(vg_pki_revoke(f.ca, "01"), VG_EPARSE);
	fx_close(&f);
}

static void test_agent_store(void **state)
{
	(void)state;
	fixture f, g;
	fx_open(&f);
	fx_open(&g);
	char why[256] = "", serial[VG_PKI_SERIAL_HEX], *cert, *other, *ca_pem, *gca_pem;
	size_t len;
	assert_int_equal(vg_pki_sign_csr(f.ca, f.csr, strlen(f.csr), "a1", 0, &cert, serial, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_sign_csr(f.ca, g.csr, strlen(g.csr), "a2", 0, &other, serial, why, sizeof(why)), 0);
	assert_int_equal(vg_pki_ca_pem(f.ca, &ca_pem, &len), 0);
	assert_int_equal(vg_pki_ca_pem(g.ca, &gca_pem, &len), 0);

	/* signed by another CA than the one offered */
	assert_int_equal(vg_pki_agent_store(f.agent, cert, gca_pem, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "does not verify"));
	/* a certificate for someone else's key */
	assert_int_equal(vg_pki_agent_store(f.agent, other, ca_pem, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "not for the key"));
	/* a leaf offered as the CA */
	assert_int_equal(vg_pki_agent_store(f.agent, cert, cert, why, sizeof(why)), VG_EINVAL);
	assert_int_equal(vg_pki_agent_store(f.agent, "junk", ca_pem, why, sizeof(why)), VG_EPARSE);
	assert_int_equal(mode_of(f.agent, "agent.crt"), 0xffff);

	assert_int_equal(vg_pki_agent_store(f.agent, cert, ca_pem, why, sizeof(why)), 0);
	assert_int_equal(mode_of(f.agent, "agent.key"), 0600);
	assert_int_equal(mode_of(f.agent, "agent.crt"), 0644);
	assert_int_equal(mode_of(f.agent, "ca.crt"), 0644);
	assert_int_equal(mode_of(f.agent, "agent.key.pending"), 0xffff);
	char kp[4096];
	EVP_PKEY *k = NULL;
	snprintf(kp, sizeof(kp), "%s/agent.key", f.agent);
	assert_int_equal(vg_pki_key_load(kp, &k, why, sizeof(why)), 0);
	X509 *x = parse_cert(cert);
	assert_int_equal(X509_check_private_key(x, k), 1);
	X509_free(x);
	EVP_PKEY_free(k);
	free(cert);
	free(other);
	free(ca_pem);
	free(gca_pem);
	fx_close(&f);
	fx_close(&g);
}

static void test_file_write_atomic(void **state)
{
	(void)state;
	char *d = mktemp_dir(), p[4096], *data;
	size_t len;
	snprintf(p, sizeof(p), "%s/f", d);
	mode_t old = umask(0);
	assert_int_equal(vg_pki_file_write(p, "one", 3, 0600), 0);
	assert_int_equal(mode_of(d, "f"), 0600);
	assert_int_equal(vg_pki_file_write(p, "two!", 4, 0644), 0);
	umask(old);
	assert_int_equal(mode_of(d, "f"), 0644);
	assert_int_equal(vg_pki_file_read(p, 100, &data, &len), 0);
	assert_int_equal(len, 4);
	assert_string_equal(data, "two!");
	free(data);
	assert_int_equal(vg_pki_file_read(p, 3, &data, &len), VG_ELIMIT);
	snprintf(p, sizeof(p), "%s/absent", d);
	assert_int_equal(vg_pki_file_read(p, 3, &data, &len), VG_ENOTFOUND);
	/* no temporary file is left behind */
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", d);
	assert_int_equal(system(cmd), 0);
	rm_rf(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_create_and_reload),
		cmocka_unit_test(test_ca_key_mode_refused),
		cmocka_unit_test(test_server_cert),
		cmocka_unit_test(test_keygen_and_sign),
		cmocka_unit_test(test_sign_rejects),
		cmocka_unit_test(test_serial_norm),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_agent_store),
		cmocka_unit_test(test_file_write_atomic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
