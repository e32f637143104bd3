/* sign.c — the sharing module's keys: Ed25519 signing key and the HMAC key of
 * pseudonyms, generated on first use under DIR/share (flock'd so that the
 * server and `vigil sharing` never create two different keys). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "net/pki.h"
#include "share/sign.h"

struct vg_share_keys {
	EVP_PKEY *sk;
	unsigned char pkey[VG_SHARE_PSEUDO_KEY];
	char key_id[80];
};

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
	if (why == NULL || n == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static int set_key_id(vg_share_keys *k)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->sk, &der);
	if (n <= 0)
		return VG_ENOMEM;
	unsigned char md[32];
	unsigned mdl = 0;
	int ok = EVP_Digest(der, (size_t)n, md, &mdl, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (!ok || mdl != 32)
		return VG_ENOMEM;
	memcpy(k->key_id, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(k->key_id + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int gen_signing(const char *path, char *why, size_t whylen)
{
	EVP_PKEY *sk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len = 0;
	int r = VG_ENOMEM;
	if (sk == NULL || b == NULL || !PEM_write_bio_PrivateKey(b, sk, NULL, NULL, 0, NULL, NULL)) {
		say(why, whylen, "%s: cannot generate an Ed25519 key", path);
	} else {
		len = BIO_get_mem_data(b, &data);
		r = vg_pki_file_write(path, data, (size_t)len, 0600);
		if (r != 0)
			say(why, whylen, "%s: cannot write: %s", path, strerror(errno));
	}
	if (data != NULL && len > 0)
		OPENSSL_cleanse(data, (size_t)len);
	BIO_free(b);
	EVP_PKEY_free(sk);
	return r;
}

static int load_pseudo(const char *path, int create, unsigned char key[VG_SHARE_PSEUDO_KEY], char *why,
		       size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT) {
			say(why, whylen, "%s: %s", path, strerror(errno));
			return VG_EIO;
		}
		if (!create) {
			say(why, whylen, "%s: no such file", path);
			return VG_ENOTFOUND;
		}
		if (RAND_priv_bytes(key, VG_SHARE_PSEUDO_KEY) != 1) {
			say(why, whylen, "%s: no randomness", path);
			return VG_EIO;
		}
		if (vg_pki_file_write(path, key, VG_SHARE_PSEUDO_KEY, 0600) != 0) {
			say(why, whylen, "%s: cannot write: %s", path, strerror(errno));
			return VG_EIO;
		}
		return 0;
	}
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) != 0) {
		say(why, whylen, "%s: %s", path, strerror(errno));
		r = VG_EIO;
	} else if ((st.st_mode & 077) != 0) {
		say(why, whylen, "%s: key file is readable by others (mode %o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
		r = VG_EINVAL;
	} else if (st.st_size != VG_SHARE_PSEUDO_KEY || read(fd, key, VG_SHARE_PSEUDO_KEY) != VG_SHARE_PSEUDO_KEY) {
		say(why, whylen, "%s: not a %d-byte key", path, VG_SHARE_PSEUDO_KEY);
		r = VG_EPARSE;
	}
	close(fd);
	return r;
}

int vg_share_keys_load(const char *dir, int create, vg_share_keys **out, char *why, size_t whylen)
{
	*out = NULL;
	char sdir[4096], path[4200];
	if ((size_t)snprintf(sdir, sizeof(sdir), "%s/%s", dir, VG_SHARE_DIR) >= sizeof(sdir)) {
		say(why, whylen, "%s: path too long", dir);
		return VG_EINVAL;
	}
	if (mkdir(sdir, 0700) != 0 && errno != EEXIST) {
		say(why, whylen, "%s: %s", sdir, strerror(errno));
		return errno == ENOENT ? VG_ENOTFOUND : VG_EIO;
	}
	vg_share_keys *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return VG_ENOMEM;
	int lock = -1, r;
	if (create && (r = vg_pki_lock(sdir, &lock)) != 0) {
		say(why, whylen, "%s/lock: %s", sdir, strerror(errno));
		goto err;
	}
	snprintf(path, sizeof(path), "%s/signing.key", sdir);
	if (access(path, F_OK) != 0) {
		if (!create) {
			say(why, whylen, "%s: no signing key yet (it is created when the server starts sharing)", path);
			r = VG_ENOTFOUND;
			goto err;
		}
		if ((r = gen_signing(path, why, whylen)) != 0)
			goto err;
	}
	if ((r = vg_pki_key_load(path, &k->sk, why, whylen)) != 0)
		goto err;
	if (EVP_PKEY_get_base_id(k->sk) != EVP_PKEY_ED25519) {
		say(why, whylen, "%s: not an Ed25519 key", path);
		r = VG_EINVAL;
		goto err;
	}
	snprintf(path, sizeof(path), "%s/pseudonym.key", sdir);
	if ((r = load_pseudo(path, create, k->pkey, why, whylen)) != 0)
		goto err;
	if ((r = set_key_id(k)) != 0)
		goto err;
	if (lock >= 0)
		vg_pki_unlock(lock);
	*out = k;
	return 0;
err:
	if (lock >= 0)
		vg_pki_unlock(lock);
	vg_share_keys_free(k);
	return r;
}

int vg_share_keys_mem(const unsigned char pkey[VG_SHARE_PSEUDO_KEY], vg_share_keys **out)
{
	vg_share_keys *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return VG_ENOMEM;
	memcpy(k->pkey, pkey, VG_SHARE_PSEUDO_KEY);
	k->sk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (k->sk == NULL || set_key_id(k) != 0) {
		vg_share_keys_free(k);
		return VG_ENOMEM;
	}
	*out = k;
	return 0;
}

void vg_share_keys_free(vg_share_keys *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->sk);
	OPENSSL_cleanse(k->pkey, sizeof(k->pkey));
	free(k);
}

int vg_share_sign_b64(const vg_share_keys *k, const void *msg, size_t len, char out[VG_SHARE_SIG_B64])
{
	unsigned char sig[VG_SHARE_SIG_LEN];
	size_t sl = sizeof(sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestSignInit(c, NULL, NULL, NULL, k->sk) == 1 &&
		 EVP_DigestSign(c, sig, &sl, msg, len) == 1 && sl == VG_SHARE_SIG_LEN;
	EVP_MD_CTX_free(c);
	if (!ok)
		return VG_ENOMEM;
	EVP_EncodeBlock((unsigned char *)out, sig, VG_SHARE_SIG_LEN);
	return 0;
}

int vg_share_verify_b64(const vg_share_keys *k, const void *msg, size_t len, const char *sig_b64)
{
	unsigned char sig[VG_SHARE_SIG_LEN + 3];
	if (strlen(sig_b64) != VG_SHARE_SIG_B64 - 1 ||
	    EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, VG_SHARE_SIG_B64 - 1) != VG_SHARE_SIG_LEN + 2)
		return 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k->sk) == 1 &&
		 EVP_DigestVerify(c, sig, VG_SHARE_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

int vg_share_pubkey_pem(const vg_share_keys *k, char **pem, size_t *len)
{
	*pem = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL || !PEM_write_bio_PUBKEY(b, k->sk)) {
		BIO_free(b);
		return VG_ENOMEM;
	}
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *p = malloc((size_t)n + 1);
	if (p == NULL) {
		BIO_free(b);
		return VG_ENOMEM;
	}
	memcpy(p, data, (size_t)n);
	p[n] = '\0';
	BIO_free(b);
	*pem = p;
	*len = (size_t)n;
	return 0;
}

const char *vg_share_key_id(const vg_share_keys *k)
{
	return k->key_id;
}

int vg_share_pseudonym(const vg_share_keys *k, const void *value, size_t len, char out[VG_SHARE_PSEUDO_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned ml = 0;
	if (HMAC(EVP_sha256(), k->pkey, VG_SHARE_PSEUDO_KEY, value, len, md, &ml) == NULL || ml < 16)
		return VG_ENOMEM;
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < VG_SHARE_PSEUDO_HEX / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[VG_SHARE_PSEUDO_HEX] = '\0';
	return 0;
}
