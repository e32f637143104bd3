/* pki.c — the server's private CA (create/load, server and agent certificates,
 * revocation list) and the agent's key and CSR. Files are replaced atomically
 * and fsync'd; private keys go through wiped buffers and are written 0600. */
#include "net/pki.h"

#include "core/buf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define PATH_BUF 4096

struct vg_pki_ca {
	char *dir; /* DIR/pki */
	EVP_PKEY *key;
	X509 *cert;
	pthread_mutex_t mu; /* guards the cached revoked list below */
	char (*revoked)[VG_PKI_SERIAL_HEX];
	size_t nrevoked;
	bool rev_cached;
	struct stat rev_st; /* identity of the file the cache came from; st_ino 0 = absent */
};

/* Writes a reason; appends the innermost OpenSSL reason if there is one, so
 * "CSR signature invalid: bad signature" says what the library saw. */
static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
	unsigned long e = ERR_peek_last_error();
	if (why == NULL || n == 0) {
		ERR_clear_error();
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(why, n, fmt, ap);
	va_end(ap);
	if (e != 0 && k >= 0 && (size_t)k < n) {
		const char *rs = ERR_reason_error_string(e);
		if (rs != NULL)
			snprintf(why + k, n - (size_t)k, ": %s", rs);
	}
	ERR_clear_error();
}

static int join(char *out, size_t n, const char *a, const char *b)
{
	int k = snprintf(out, n, "%s/%s", a, b);
	return (k < 0 || (size_t)k >= n) ? VG_ELIMIT : 0;
}

/* ---- files ---------------------------------------------------------------- */

static int read_fd(int fd, size_t max, char **data, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return VG_EIO;
	if (!S_ISREG(st.st_mode))
		return VG_EINVAL;
	if ((unsigned long long)st.st_size > max)
		return VG_ELIMIT;
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *p = malloc(cap + 1);
	if (p == NULL)
		return VG_ENOMEM;
	for (;;) {
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			OPENSSL_clear_free(p, cap + 1);
			return VG_EIO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) { /* grew while we read: past the size we checked */
			OPENSSL_clear_free(p, cap + 1);
			return VG_ELIMIT;
		}
	}
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
}

int vg_pki_file_read(const char *path, size_t max, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? VG_ENOTFOUND : VG_EIO;
	int r = read_fd(fd, max, data, len);
	close(fd);
	return r;
}

static int fsync_parent(const char *path)
{
	char d[PATH_BUF];
	size_t n = strlen(path);
	if (n >= sizeof(d))
		return VG_ELIMIT;
	memcpy(d, path, n + 1);
	char *slash = strrchr(d, '/');
	if (slash == NULL)
		strcpy(d, ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return VG_EIO;
	int r = fsync(fd) == 0 ? 0 : VG_EIO;
	close(fd);
	return r;
}

int vg_pki_file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_BUF];
	int k = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (k < 0 || (size_t)k >= sizeof(tmp))
		return VG_ELIMIT;
	int fd = mkostemp(tmp, O_CLOEXEC); /* created 0600: never briefly world-readable */
	if (fd < 0)
		return VG_EIO;
	const char *p = data;
	size_t off = 0;
	int r = 0;
	if (fchmod(fd, mode) != 0)
		r = VG_EIO;
	while (r == 0 && off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			r = VG_EIO;
		else
			off += (size_t)w;
	}
	if (r == 0 && fsync(fd) != 0)
		r = VG_EIO;
	if (close(fd) != 0 && r == 0)
		r = VG_EIO;
	if (r == 0 && rename(tmp, path) != 0)
		r = VG_EIO;
	if (r != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return r;
	}
	return fsync_parent(path);
}

int vg_pki_lock(const char *pkidir, int *fd)
{
	char p[PATH_BUF];
	int r;
	if ((r = join(p, sizeof(p), pkidir, "lock")) != 0)
		return r;
	int f = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return VG_EIO;
	while (flock(f, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(f);
			return VG_EIO;
		}
	}
	*fd = f;
	return 0;
}

void vg_pki_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the only descriptor releases the flock */
}

/* ---- keys and PEM ----------------------------------------------------------- */

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1; /* our keys are unencrypted; never prompt on a terminal */
}

int vg_pki_key_load(const char *path, EVP_PKEY **out, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		say(why, whylen, "%s: %s", path, strerror(e));
		return e == ENOENT ? VG_ENOTFOUND : VG_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		say(why, whylen, "%s: private key is accessible by group or others (mode %03o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return VG_EINVAL;
	}
	char *data = NULL;
	size_t len = 0;
	int r = read_fd(fd, VG_PKI_MAX_FILE, &data, &len);
	close(fd);
	if (r != 0) {
		say(why, whylen, "%s: cannot read key: %s", path, vg_err_str(r));
		return r;
	}
	BIO *b = BIO_new_mem_buf(data, (int)len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
	BIO_free(b);
	OPENSSL_clear_free(data, len + 1);
	if (k == NULL) {
		say(why, whylen, "%s: not a PEM private key", path);
		return VG_EPARSE;
	}
	*out = k;
	return 0;
}

/* The key as PKCS#8 PEM through a wiping memory BIO, written with mode 0600. */
static int key_save(const char *path, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_secmem());
	if (b == NULL)
		return VG_ENOMEM;
	int r = VG_ENOMEM;
	char *p;
	if (PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1) {
		long n = BIO_get_mem_data(b, &p);
		r = n > 0 ? vg_pki_file_write(path, p, (size_t)n, 0600) : VG_ENOMEM;
	}
	BIO_free(b); /* secmem BIO clears its buffer */
	return r;
}

static int bio_to_str(BIO *b, char **out, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	if (n <= 0)
		return VG_ENOMEM;
	char *s = malloc((size_t)n + 1);
	if (s == NULL)
		return VG_ENOMEM;
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	*out = s;
	if (len != NULL)
		*len = (size_t)n;
	return 0;
}

static int cert_to_pem(const X509 *x, char **out, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL)
		return VG_ENOMEM;
	int r = PEM_write_bio_X509(b, x) == 1 ? bio_to_str(b, out, len) : VG_ENOMEM;
	BIO_free(b);
	return r;
}

static int cert_save(const char *path, const X509 *x)
{
	char *pem;
	size_t len;
	int r = cert_to_pem(x, &pem, &len);
	if (r == 0) {
		r = vg_pki_file_write(path, pem, len, 0644);
		free(pem);
	}
	return r;
}

static X509 *cert_parse(const char *pem, size_t len)
{
	if (len > VG_PKI_MAX_FILE || len > INT_MAX)
		return NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;
	BIO_free(b);
	return x;
}

static int cert_load(const char *path, X509 **out)
{
	char *pem;
	size_t len;
	int r = vg_pki_file_read(path, VG_PKI_MAX_FILE, &pem, &len);
	if (r != 0)
		return r;
	*out = cert_parse(pem, len);
	free(pem);
	return *out ? 0 : VG_EPARSE;
}

static EVP_PKEY *keygen(void)
{
	return EVP_EC_gen("P-256");
}

/* ---- serials and names ------------------------------------------------------ */

int vg_pki_serial_norm(const char *in, char out[VG_PKI_SERIAL_HEX])
{
	char digits[VG_PKI_SERIAL_HEX];
	size_t n = 0;
	bool lead = true;
	for (const char *s = in; *s; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s))
			return VG_EINVAL;
		if (lead && *s == '0')
			continue;
		lead = false;
		if (n >= 40) /* RFC 5280: at most 20 octets */
			return VG_EINVAL;
		digits[n++] = (char)toupper((unsigned char)*s);
	}
	if (n == 0)
		return VG_EINVAL; /* zero is not a valid serial */
	size_t o = 0;
	if (n % 2)
		out[o++] = '0'; /* whole bytes, as openssl prints them */
	memcpy(out + o, digits, n);
	out[o + n] = '\0';
	return 0;
}

int vg_pki_cert_serial(const X509 *x, char out[VG_PKI_SERIAL_HEX])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (h == NULL)
		return VG_ENOMEM;
	int r = vg_pki_serial_norm(h, out);
	OPENSSL_free(h);
	return r;
}

int vg_pki_id_valid(const char *s, size_t len)
{
	if (len == 0 || len > VG_PKI_MAX_ID)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

int vg_pki_cert_id(const X509 *x, char id[VG_PKI_MAX_ID + 1])
{
	const X509_NAME *nm = X509_get_subject_name(x);
	int i = nm ? X509_NAME_get_index_by_NID(nm, NID_commonName, -1) : -1;
	if (i < 0)
		return VG_ENOTFOUND;
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i));
	int n = ASN1_STRING_length(s);
	const unsigned char *d = ASN1_STRING_get0_data(s);
	if (n <= 0 || !vg_pki_id_valid((const char *)d, (size_t)n))
		return VG_EINVAL;
	memcpy(id, d, (size_t)n);
	id[n] = '\0';
	return 0;
}

static bool dns_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '.' && c != '-')
			return false;
	}
	return true;
}

static bool is_ip(const char *s)
{
	unsigned char b[16];
	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* ---- certificate building --------------------------------------------------- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (e == NULL)
		return VG_ENOMEM;
	int ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : VG_ENOMEM;
}

/* SANs are built as structures, never as a "DNS:a,IP:b" string, so a name can
 * not inject further entries. */
static int add_sans(X509 *x, const char *const *names, size_t n)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	if (gens == NULL)
		return VG_ENOMEM;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		unsigned char ip[16];
		int iplen = 0;
		if (inet_pton(AF_INET, names[i], ip) == 1)
			iplen = 4;
		else if (inet_pton(AF_INET6, names[i], ip) == 1)
			iplen = 16;
		ASN1_STRING *s = ASN1_STRING_type_new(iplen ? V_ASN1_OCTET_STRING : V_ASN1_IA5STRING);
		if (g == NULL || s == NULL ||
		    !ASN1_STRING_set(s, iplen ? (const void *)ip : names[i], iplen ? iplen : (int)strlen(names[i]))) {
			GENERAL_NAME_free(g);
			ASN1_STRING_free(s);
			r = VG_ENOMEM;
			break;
		}
		GENERAL_NAME_set0_value(g, iplen ? GEN_IPADD : GEN_DNS, s);
		if (!sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			r = VG_ENOMEM;
		}
	}
	if (r == 0 && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) != 1)
		r = VG_ENOMEM;
	GENERAL_NAMES_free(gens);
	return r;
}

static int rand_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int r = VG_ENOMEM;
	if (bn == NULL)
		return r;
	/* 128 random bits; zero is not a valid serial, so draw again (p = 2^-128) */
	do {
		if (!BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY))
			goto out;
	} while (BN_is_zero(bn));
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		r = 0;
out:
	BN_free(bn);
	return r;
}

typedef struct cert_spec {
	const char *cn;
	EVP_PKEY *pub;               /* subject key */
	long days;
	bool ca;
	const char *eku;             /* "serverAuth" / "clientAuth" / NULL */
	const char *const *sans;
	size_t nsans;
} cert_spec;

/* issuer == NULL: self-signed with signer's key. */
static int build_cert(const cert_spec *sp, X509 *issuer, EVP_PKEY *signer, X509 **out)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	int r = VG_ENOMEM;
	if (x == NULL || nm == NULL)
		goto out;
	if (!X509_set_version(x, 2) || (r = rand_serial(x)) != 0)
		goto fail;
	r = VG_ENOMEM;
	if (!X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)"vigil", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)sp->cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, nm) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm) ||
	    !X509_set_pubkey(x, sp->pub) ||
	    /* five minutes back: a peer whose clock is slightly behind still accepts it */
	    !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)sp->days, 0, NULL))
		goto fail;
	X509 *iss = issuer ? issuer : x;
	if (sp->ca) {
		if ((r = add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) != 0 ||
		    (r = add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign")) != 0)
			goto fail;
	} else {
		if ((r = add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE")) != 0 ||
		    (r = add_ext(x, iss, NID_key_usage, "critical,digitalSignature")) != 0 ||
		    (r = add_ext(x, iss, NID_ext_key_usage, sp->eku)) != 0)
			goto fail;
	}
	if ((r = add_ext(x, iss, NID_subject_key_identifier, "hash")) != 0 ||
	    (r = add_ext(x, iss, NID_authority_key_identifier, "keyid:always")) != 0)
		goto fail;
	if (sp->nsans > 0 && (r = add_sans(x, sp->sans, sp->nsans)) != 0)
		goto fail;
	/* Ed25519 signers take no digest; our CA is EC, signed with SHA-256 */
	if (X509_sign(x, signer, EVP_PKEY_is_a(signer, "ED25519") ? NULL : EVP_sha256()) <= 0) {
		r = VG_ENOMEM;
		goto fail;
	}
	X509_NAME_free(nm);
	*out = x;
	return 0;
fail:
	if (r == 0)
		r = VG_ENOMEM;
out:
	X509_NAME_free(nm);
	X509_free(x);
	return r;
}

/* ---- CA --------------------------------------------------------------------- */

static int ca_create(vg_pki_ca *ca, const char *keyp, const char *crtp, char *why, size_t whylen)
{
	unsigned char rnd[4];
	char cn[64];
	int r;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		say(why, whylen, "no randomness");
		return VG_EIO;
	}
	/* A per-installation CA name: a certificate from another vigil's CA then
	 * fails as "unknown issuer" rather than as a signature mismatch. */
	snprintf(cn, sizeof(cn), "vigil CA %02X%02X%02X%02X", rnd[0], rnd[1], rnd[2], rnd[3]);
	if ((ca->key = keygen()) == NULL) {
		say(why, whylen, "CA key generation failed");
		return VG_ENOMEM;
	}
	cert_spec sp = {.cn = cn, .pub = ca->key, .days = VG_PKI_CA_DAYS, .ca = true};
	if ((r = build_cert(&sp, NULL, ca->key, &ca->cert)) != 0) {
		say(why, whylen, "CA certificate creation failed");
		return r;
	}
	/* the key first: a certificate without its key would be useless */
	if ((r = key_save(keyp, ca->key)) != 0 || (r = cert_save(crtp, ca->cert)) != 0) {
		say(why, whylen, "cannot write %s: %s", r == 0 ? crtp : keyp, strerror(errno));
		return r;
	}
	return 0;
}

static int ca_load(vg_pki_ca *ca, const char *keyp, const char *crtp, char *why, size_t whylen)
{
	int r;
	if ((r = vg_pki_key_load(keyp, &ca->key, why, whylen)) != 0)
		return r;
	if ((r = cert_load(crtp, &ca->cert)) != 0) {
		say(why, whylen, "%s: %s", crtp, vg_err_str(r));
		return r;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1 || X509_check_ca(ca->cert) == 0) {
		say(why, whylen, "%s is not the CA certificate of %s", crtp, keyp);
		return VG_EINVAL;
	}
	return 0;
}

int vg_pki_init_ca(const char *dir, vg_pki_ca **out, char *why, size_t whylen)
{
	char keyp[PATH_BUF], crtp[PATH_BUF];
	int r, lk = -1;
	*out = NULL;
	vg_pki_ca *ca = calloc(1, sizeof(*ca));
	if (ca == NULL)
		return VG_ENOMEM;
	pthread_mutex_init(&ca->mu, NULL);
	size_t n = strlen(dir) + sizeof("/pki");
	if ((ca->dir = malloc(n)) == NULL) {
		r = VG_ENOMEM;
		goto err;
	}
	snprintf(ca->dir, n, "%s/pki", dir);
	if ((r = join(keyp, sizeof(keyp), ca->dir, "ca.key")) != 0 ||
	    (r = join(crtp, sizeof(crtp), ca->dir, "ca.crt")) != 0) {
		say(why, whylen, "path too long: %s", dir);
		goto err;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		say(why, whylen, "cannot create %s: %s", dir, strerror(errno));
		r = VG_EIO;
		goto err;
	}
	if (mkdir(ca->dir, 0700) != 0 && errno != EEXIST) {
		say(why, whylen, "cannot create %s: %s", ca->dir, strerror(errno));
		r = VG_EIO;
		goto err;
	}
	/* two servers started at once on one DIR must not create two CAs */
	if ((r = vg_pki_lock(ca->dir, &lk)) != 0) {
		say(why, whylen, "cannot lock %s: %s", ca->dir, strerror(errno));
		goto err;
	}
	if (access(keyp, F_OK) == 0)
		r = ca_load(ca, keyp, crtp, why, whylen);
	else if (errno == ENOENT)
		r = ca_create(ca, keyp, crtp, why, whylen);
	else {
		say(why, whylen, "%s: %s", keyp, strerror(errno));
		r = VG_EIO;
	}
	vg_pki_unlock(lk);
	if (r != 0)
		goto err;
	*out = ca;
	return 0;
err:
	vg_pki_ca_free(ca);
	return r;
}

void vg_pki_ca_free(vg_pki_ca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->key); /* OpenSSL wipes key material on free */
	X509_free(ca->cert);
	free(ca->revoked);
	free(ca->dir);
	pthread_mutex_destroy(&ca->mu);
	free(ca);
}

const char *vg_pki_ca_dir(const vg_pki_ca *ca)
{
	return ca->dir;
}

const X509 *vg_pki_ca_cert(const vg_pki_ca *ca)
{
	return ca->cert;
}

int vg_pki_ca_pem(const vg_pki_ca *ca, char **pem, size_t *len)
{
	return cert_to_pem(ca->cert, pem, len);
}

/* ---- server certificate ------------------------------------------------------ */

static bool server_cert_usable(const vg_pki_ca *ca, X509 *x, EVP_PKEY *k, const char *const *names, size_t n)
{
	if (X509_verify(x, X509_get0_pubkey(ca->cert)) != 1 || X509_check_private_key(x, k) != 1) {
		ERR_clear_error();
		return false;
	}
	time_t renew = time(NULL) + (time_t)VG_PKI_RENEW_DAYS * 86400;
	if (X509_cmp_time(X509_get0_notAfter(x), &renew) <= 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		int ok = is_ip(names[i]) ? X509_check_ip_asc(x, names[i], 0)
					 : X509_check_host(x, names[i], 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL);
		if (ok != 1)
			return false;
	}
	return true;
}

int vg_pki_server_cert(vg_pki_ca *ca, const char *const *names, size_t nnames, char *why, size_t whylen)
{
	const char *all[VG_PKI_MAX_NAMES + 4];
	size_t n = 0;
	char host[256] = "";
	if (nnames > VG_PKI_MAX_NAMES) {
		say(why, whylen, "more than %d server names", VG_PKI_MAX_NAMES);
		return VG_ELIMIT;
	}
	all[n++] = "localhost";
	all[n++] = "127.0.0.1";
	all[n++] = "::1";
	if (gethostname(host, sizeof(host) - 1) == 0 && dns_name_valid(host))
		all[n++] = host;
	for (size_t i = 0; i < nnames; i++) {
		if (!is_ip(names[i]) && !dns_name_valid(names[i])) {
			say(why, whylen, "not a host name or IP address: \"%.80s\"", names[i]);
			return VG_EINVAL;
		}
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			dup |= strcasecmp(all[j], names[i]) == 0;
		if (!dup)
			all[n++] = names[i];
	}

	char keyp[PATH_BUF], crtp[PATH_BUF];
	int r, lk = -1;
	if ((r = join(keyp, sizeof(keyp), ca->dir, "server.key")) != 0 ||
	    (r = join(crtp, sizeof(crtp), ca->dir, "server.crt")) != 0)
		return r;
	if ((r = vg_pki_lock(ca->dir, &lk)) != 0) {
		say(why, whylen, "cannot lock %s: %s", ca->dir, strerror(errno));
		return r;
	}
	X509 *old = NULL, *x = NULL;
	EVP_PKEY *oldk = NULL, *k = NULL;
	if (cert_load(crtp, &old) == 0 && vg_pki_key_load(keyp, &oldk, NULL, 0) == 0 &&
	    server_cert_usable(ca, old, oldk, all, n)) {
		r = 0;
		goto out;
	}
	ERR_clear_error();
	if ((k = keygen()) == NULL) {
		say(why, whylen, "server key generation failed");
		r = VG_ENOMEM;
		goto out;
	}
	/* X.520 caps a CN at 64 characters; the SANs carry the full name anyway */
	cert_spec sp = {.cn = host[0] && strlen(host) <= 64 ? host : "vigil server", .pub = k, .days = VG_PKI_SERVER_DAYS,
			.eku = "serverAuth", .sans = all, .nsans = n};
	if ((r = build_cert(&sp, ca->cert, ca->key, &x)) != 0) {
		say(why, whylen, "server certificate creation failed");
		goto out;
	}
	if ((r = key_save(keyp, k)) != 0 || (r = cert_save(crtp, x)) != 0)
		say(why, whylen, "cannot write the server certificate in %s: %s", ca->dir, strerror(errno));
out:
	vg_pki_unlock(lk);
	X509_free(old);
	X509_free(x);
	EVP_PKEY_free(oldk);
	EVP_PKEY_free(k);
	return r;
}

/* ---- agent certificates ----------------------------------------------------- */

static int csr_key_ok(EVP_PKEY *pk)
{
	if (EVP_PKEY_is_a(pk, "ED25519"))
		return 1;
	if (EVP_PKEY_is_a(pk, "EC")) {
		char g[64];
		size_t gl = 0;
		if (EVP_PKEY_get_group_name(pk, g, sizeof(g), &gl) == 1 &&
		    (strcmp(g, "prime256v1") == 0 || strcmp(g, "P-256") == 0 ||
		     strcmp(g, "secp384r1") == 0 || strcmp(g, "P-384") == 0))
			return 1;
	}
	return 0;
}

static int issued_append(vg_pki_ca *ca, const char *serial, const char *id, const X509 *x)
{
	char p[PATH_BUF], line[256];
	int r;
	if ((r = join(p, sizeof(p), ca->dir, "issued")) != 0)
		return r;
	struct tm tm;
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		return VG_EINVAL;
	int k = snprintf(line, sizeof(line), "%s %s %lld %lld\n", serial, id, (long long)timegm(&tm),
			 (long long)time(NULL));
	if (k < 0 || (size_t)k >= sizeof(line))
		return VG_ELIMIT;
	int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return VG_EIO;
	/* one write() of one line under the lock; a torn tail is skipped on read */
	r = write(fd, line, (size_t)k) == k && fsync(fd) == 0 ? 0 : VG_EIO;
	close(fd);
	return r;
}

int vg_pki_sign_csr_locked(vg_pki_ca *ca, const char *csr_pem, size_t csr_len, const char *agent_id,
			   unsigned days, char **cert_pem, char serial[VG_PKI_SERIAL_HEX], char *why,
			   size_t whylen)
{
	X509_REQ *req = NULL;
	X509 *x = NULL;
	int r;
	*cert_pem = NULL;
	if (agent_id == NULL || !vg_pki_id_valid(agent_id, strlen(agent_id))) {
		say(why, whylen, "invalid agent id");
		return VG_EINVAL;
	}
	if (csr_len > VG_PKI_MAX_FILE || csr_len > INT_MAX) {
		say(why, whylen, "CSR larger than %d bytes", VG_PKI_MAX_FILE);
		return VG_ELIMIT;
	}
	BIO *b = BIO_new_mem_buf(csr_pem, (int)csr_len);
	if (b != NULL)
		req = PEM_read_bio_X509_REQ(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (req == NULL) {
		say(why, whylen, "not a PEM certificate request");
		return VG_EPARSE;
	}
	EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
	if (pub == NULL || !csr_key_ok(pub)) {
		say(why, whylen, "CSR key type not accepted (EC P-256/P-384 or Ed25519 only)");
		r = VG_EUNSUPPORTED;
		goto out;
	}
	/* the self-signature proves the requester holds the private key */
	if (X509_REQ_verify(req, pub) != 1) {
		say(why, whylen, "CSR signature invalid");
		r = VG_EINVAL;
		goto out;
	}
	cert_spec sp = {.cn = agent_id, .pub = pub, .days = days ? (long)days : VG_PKI_AGENT_DAYS,
			.eku = "clientAuth"};
	if ((r = build_cert(&sp, ca->cert, ca->key, &x)) != 0) {
		say(why, whylen, "certificate creation failed");
		goto out;
	}
	if ((r = vg_pki_cert_serial(x, serial)) != 0 || (r = issued_append(ca, serial, agent_id, x)) != 0) {
		say(why, whylen, "cannot record the certificate in %s/issued: %s", ca->dir, strerror(errno));
		goto out;
	}
	r = cert_to_pem(x, cert_pem, NULL);
out:
	X509_REQ_free(req);
	X509_free(x);
	return r;
}

int vg_pki_sign_csr(vg_pki_ca *ca, const char *csr_pem, size_t csr_len, const char *agent_id, unsigned days,
		    char **cert_pem, char serial[VG_PKI_SERIAL_HEX], char *why, size_t whylen)
{
	int lk, r;
	*cert_pem = NULL;
	if ((r = vg_pki_lock(ca->dir, &lk)) != 0) {
		say(why, whylen, "cannot lock %s: %s", ca->dir, strerror(errno));
		return r;
	}
	r = vg_pki_sign_csr_locked(ca, csr_pem, csr_len, agent_id, days, cert_pem, serial, why, whylen);
	vg_pki_unlock(lk);
	return r;
}

/* ---- revocation ------------------------------------------------------------- */

static int ser_cmp(const void *a, const void *b)
{
	const char *x = a, *y = b;
	size_t lx = strlen(x), ly = strlen(y);
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* Parses the revoked file: one serial per line, '#' comments. Any other
 * line is an error: the list must be trusted whole or not at all. */
static int revoked_parse(char *data, char (**out)[VG_PKI_SERIAL_HEX], size_t *nout)
{
	char (*v)[VG_PKI_SERIAL_HEX] = NULL;
	size_t n = 0, cap = 0;
	for (char *line = data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		char s[VG_PKI_SERIAL_HEX];
		if (vg_pki_serial_norm(line, s) != 0) {
			free(v);
			return VG_EPARSE;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			void *nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				return VG_ENOMEM;
			}
			v = nv;
		}
		memcpy(v[n++], s, sizeof(s));
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), ser_cmp);
	*out = v;
	*nout = n;
	return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Brings the cache up to date with the file. Called with ca->mu held. */
static int revoked_refresh(vg_pki_ca *ca)
{
	char p[PATH_BUF];
	int r;
	if ((r = join(p, sizeof(p), ca->dir, "revoked")) != 0)
		return r;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return VG_EIO;
	struct stat st;
	memset(&st, 0, sizeof(st));
	if (fd >= 0 && fstat(fd, &st) != 0) {
		close(fd);
		return VG_EIO;
	}
	if (ca->rev_cached && same_file(&st, &ca->rev_st)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	char (*v)[VG_PKI_SERIAL_HEX] = NULL;
	size_t n = 0;
	if (fd >= 0) {
		char *data;
		size_t len;
		r = read_fd(fd, VG_PKI_MAX_STATE, &data, &len);
		close(fd);
		if (r != 0)
			return r;
		r = revoked_parse(data, &v, &n);
		free(data);
		if (r != 0)
			return r;
	}
	free(ca->revoked);
	ca->revoked = v;
	ca->nrevoked = n;
	ca->rev_st = st;
	ca->rev_cached = true;
	return 0;
}

int vg_pki_is_revoked(vg_pki_ca *ca, const char *serial_hex)
{
	char s[VG_PKI_SERIAL_HEX];
	if (vg_pki_serial_norm(serial_hex, s) != 0)
		return VG_EINVAL;
	pthread_mutex_lock(&ca->mu);
	int r = revoked_refresh(ca);
	if (r == 0)
		r = ca->nrevoked && bsearch(s, ca->revoked, ca->nrevoked, sizeof(*ca->revoked), ser_cmp) != NULL;
	pthread_mutex_unlock(&ca->mu);
	return r;
}

/* Adds serials to the file; called with the DIR/pki lock held. */
static int revoke_locked(vg_pki_ca *ca, const char (*add)[VG_PKI_SERIAL_HEX], size_t nadd)
{
	int r;
	pthread_mutex_lock(&ca->mu);
	if ((r = revoked_refresh(ca)) != 0) /* start from the file, not a stale cache */
		goto out;
	size_t n = ca->nrevoked;
	char (*v)[VG_PKI_SERIAL_HEX] = malloc((n + nadd) * sizeof(*v));
	if (v == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	if (n)
		memcpy(v, ca->revoked, n * sizeof(*v));
	size_t added = 0;
	for (size_t i = 0; i < nadd; i++) {
		bool have = false;
		for (size_t j = 0; j < n + added && !have; j++)
			have = strcmp(v[j], add[i]) == 0;
		if (!have)
			memcpy(v[n + added++], add[i], sizeof(*v));
	}
	if (added == 0) {
		free(v);
		goto out;
	}
	n += added;
	qsort(v, n, sizeof(*v), ser_cmp);
	vg_buf b = {0};
	static const char head[] = "# vigil: serials of revoked certificates, one per line\n";
	r = vg_buf_append(&b, head, sizeof(head) - 1);
	for (size_t i = 0; i < n && r == 0; i++)
		if ((r = vg_buf_append(&b, v[i], strlen(v[i]))) == 0)
			r = vg_buf_append(&b, "\n", 1);
	char p[PATH_BUF];
	if (r == 0 && (r = join(p, sizeof(p), ca->dir, "revoked")) == 0)
		r = vg_pki_file_write(p, b.data, b.len, 0644);
	vg_buf_free(&b);
	free(v);
	if (r == 0) {
		ca->rev_cached = false; /* reread what is now on disk at the next check */
		r = revoked_refresh(ca);
	}
out:
	pthread_mutex_unlock(&ca->mu);
	return r;
}

int vg_pki_revoke(vg_pki_ca *ca, const char *serial)
{
	char s[1][VG_PKI_SERIAL_HEX];
	int r, lk;
	if ((r = vg_pki_serial_norm(serial, s[0])) != 0)
		return r;
	if ((r = vg_pki_lock(ca->dir, &lk)) != 0)
		return r;
	r = revoke_locked(ca, (const char(*)[VG_PKI_SERIAL_HEX])s, 1);
	vg_pki_unlock(lk);
	return r;
}

int vg_pki_revoke_agent(vg_pki_ca *ca, const char *agent_id, size_t *count)
{
	char p[PATH_BUF];
	char *data = NULL;
	size_t len, n = 0, cap = 0;
	char (*v)[VG_PKI_SERIAL_HEX] = NULL;
	int r, lk;
	*count = 0;
	if (!vg_pki_id_valid(agent_id, strlen(agent_id)))
		return VG_EINVAL;
	if ((r = join(p, sizeof(p), ca->dir, "issued")) != 0)
		return r;
	if ((r = vg_pki_lock(ca->dir, &lk)) != 0)
		return r;
	r = vg_pki_file_read(p, VG_PKI_MAX_STATE, &data, &len);
	if (r == VG_ENOTFOUND)
		goto out;
	if (r != 0)
		goto out;
	for (char *line = data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next == NULL)
			break; /* a torn last line was never a completed issue */
		*next++ = '\0';
		char ser[VG_PKI_SERIAL_HEX + 1], id[VG_PKI_MAX_ID + 2];
		if (sscanf(line, "%44s %65s", ser, id) != 2 || strcmp(id, agent_id) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			void *nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				r = VG_ENOMEM;
				goto out;
			}
			v = nv;
		}
		if (vg_pki_serial_norm(ser, v[n]) == 0)
			n++;
	}
	if (n == 0)
		r = VG_ENOTFOUND;
	else if ((r = revoke_locked(ca, (const char(*)[VG_PKI_SERIAL_HEX])v, n)) == 0)
		*count = n;
out:
	vg_pki_unlock(lk);
	free(data);
	free(v);
	return r;
}

/* ---- agent side ------------------------------------------------------------- */

int vg_pki_agent_keygen(const char *dir, char **csr_pem, char *why, size_t whylen)
{
	char keyp[PATH_BUF], host[256] = "";
	int r;
	*csr_pem = NULL;
	if ((r = join(keyp, sizeof(keyp), dir, "agent.key.pending")) != 0)
		return r;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		say(why, whylen, "cannot create %s: %s", dir, strerror(errno));
		return VG_EIO;
	}
	EVP_PKEY *k = keygen();
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	r = VG_ENOMEM;
	if (k == NULL || req == NULL || nm == NULL || b == NULL)
		goto out;
	/* the server ignores the subject and names the agent itself; the host name
	 * only helps a human reading the CSR */
	if (gethostname(host, sizeof(host) - 1) != 0 || !dns_name_valid(host) || strlen(host) > 64)
		strcpy(host, "vigil-agent");
	if (!X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)host, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, nm) || !X509_REQ_set_pubkey(req, k) ||
	    X509_REQ_sign(req, k, EVP_sha256()) <= 0 || PEM_write_bio_X509_REQ(b, req) != 1)
		goto out;
	if ((r = key_save(keyp, k)) != 0) {
		say(why, whylen, "cannot write %s: %s", keyp, strerror(errno));
		goto out;
	}
	r = bio_to_str(b, csr_pem, NULL);
out:
	if (r == VG_ENOMEM)
		say(why, whylen, "agent key or CSR creation failed");
	BIO_free(b);
	X509_NAME_free(nm);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return r;
}

int vg_pki_agent_store(const char *dir, const char *cert_pem, const char *ca_pem, char *why, size_t whylen)
{
	char pend[PATH_BUF], keyp[PATH_BUF], crtp[PATH_BUF], cap[PATH_BUF];
	int r;
	if ((r = join(pend, sizeof(pend), dir, "agent.key.pending")) != 0 ||
	    (r = join(keyp, sizeof(keyp), dir, "agent.key")) != 0 ||
	    (r = join(crtp, sizeof(crtp), dir, "agent.crt")) != 0 || (r = join(cap, sizeof(cap), dir, "ca.crt")) != 0)
		return r;
	X509 *x = cert_parse(cert_pem, strlen(cert_pem));
	X509 *ca = cert_parse(ca_pem, strlen(ca_pem));
	EVP_PKEY *k = NULL;
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	r = VG_EPARSE;
	if (x == NULL || ca == NULL) {
		say(why, whylen, "%s is not a PEM certificate", x == NULL ? "agent certificate" : "CA certificate");
		goto out;
	}
	r = VG_ENOMEM;
	if (st == NULL || sc == NULL)
		goto out;
	r = VG_EINVAL;
	if (X509_check_ca(ca) == 0 || X509_self_signed(ca, 1) != 1) {
		say(why, whylen, "the CA certificate is not a self-signed CA");
		goto out;
	}
	if (!X509_STORE_add_cert(st, ca) || !X509_STORE_CTX_init(sc, st, x, NULL) ||
	    !X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_SSL_CLIENT)) {
		r = VG_ENOMEM;
		goto out;
	}
	if (X509_verify_cert(sc) != 1) {
		say(why, whylen, "agent certificate does not verify against the CA: %s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
		goto out;
	}
	if ((r = vg_pki_key_load(pend, &k, why, whylen)) != 0)
		goto out;
	if (X509_check_private_key(x, k) != 1) {
		say(why, whylen, "agent certificate is not for the key in %s", pend);
		r = VG_EINVAL;
		goto out;
	}
	if ((r = vg_pki_file_write(cap, ca_pem, strlen(ca_pem), 0644)) != 0 ||
	    (r = vg_pki_file_write(crtp, cert_pem, strlen(cert_pem), 0644)) != 0) {
		say(why, whylen, "cannot write in %s: %s", dir, strerror(errno));
		goto out;
	}
	if (rename(pend, keyp) != 0 || fsync_parent(keyp) != 0) {
		say(why, whylen, "cannot install %s: %s", keyp, strerror(errno));
		r = VG_EIO;
		goto out;
	}
	r = 0;
out:
	X509_STORE_CTX_free(sc);
	X509_STORE_free(st);
	EVP_PKEY_free(k);
	X509_free(x);
	X509_free(ca);
	return r;
}
