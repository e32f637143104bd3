/* enroll.c — enrolment tokens (DIR/pki/tokens), the framed TLV messages and
 * the two ends of the exchange HELLO → CHALLENGE → REQUEST → RESULT/ERROR.
 * Every message from the wire goes through vg_enroll_msg_parse first. */
#include "net/enroll.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "core/buf.h"

#define PATH_BUF 4096
#define FRAME_CAP (VG_ENROLL_MAX_FRAME + 4)

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

/* ---- base64url (RFC 4648 §5, no padding) ------------------------------------ */

static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64u_val(unsigned char c)
{
	const char *p = c ? strchr(b64u, c) : NULL;
	return p ? (int)(p - b64u) : -1;
}

static size_t b64u_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64u[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = b64u[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

/* Decodes exactly n output bytes from exactly the canonical number of
 * characters; leftover bits must be zero, so each token has one spelling. */
static int b64u_decode(const char *in, size_t inlen, uint8_t *out, size_t n)
{
	if (inlen != (n * 8 + 5) / 6)
		return VG_EINVAL;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < inlen; i++) {
		int v = b64u_val((unsigned char)in[i]);
		if (v < 0)
			return VG_EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return VG_EINVAL;
	return 0;
}

/* ---- messages --------------------------------------------------------------- */

enum field_kind { K_B64ID, K_HOST, K_PEM, K_RAW32, K_AGENT_ID, K_TEXT };

static const struct {
	enum field_kind kind;
	size_t max;
} field_rules[VG_ENROLL_F_COUNT] = {
	[VG_ENROLL_F_TOKEN_ID] = {K_B64ID, VG_ENROLL_ID_LEN},
	[VG_ENROLL_F_HOSTNAME] = {K_HOST, VG_ENROLL_MAX_HOST},
	[VG_ENROLL_F_CA_CERT] = {K_PEM, VG_ENROLL_MAX_PEM},
	[VG_ENROLL_F_PROOF] = {K_RAW32, 32},
	[VG_ENROLL_F_SECRET] = {K_RAW32, VG_ENROLL_SECRET},
	[VG_ENROLL_F_CSR] = {K_PEM, VG_ENROLL_MAX_PEM},
	[VG_ENROLL_F_AGENT_ID] = {K_AGENT_ID, VG_PKI_MAX_ID},
	[VG_ENROLL_F_CERT] = {K_PEM, VG_ENROLL_MAX_PEM},
	[VG_ENROLL_F_MESSAGE] = {K_TEXT, VG_ENROLL_MAX_MSG},
};

#define BIT(t) (1u << (t))
static const struct {
	unsigned required, allowed;
} type_rules[] = {
	[VG_ENROLL_HELLO] = {BIT(VG_ENROLL_F_TOKEN_ID), BIT(VG_ENROLL_F_TOKEN_ID) | BIT(VG_ENROLL_F_HOSTNAME)},
	[VG_ENROLL_CHALLENGE] = {BIT(VG_ENROLL_F_CA_CERT) | BIT(VG_ENROLL_F_PROOF),
				 BIT(VG_ENROLL_F_CA_CERT) | BIT(VG_ENROLL_F_PROOF)},
	[VG_ENROLL_REQUEST] = {BIT(VG_ENROLL_F_SECRET) | BIT(VG_ENROLL_F_CSR),
			       BIT(VG_ENROLL_F_SECRET) | BIT(VG_ENROLL_F_CSR)},
	[VG_ENROLL_RESULT] = {BIT(VG_ENROLL_F_AGENT_ID) | BIT(VG_ENROLL_F_CERT),
			      BIT(VG_ENROLL_F_AGENT_ID) | BIT(VG_ENROLL_F_CERT)},
	[VG_ENROLL_ERROR] = {BIT(VG_ENROLL_F_MESSAGE), BIT(VG_ENROLL_F_MESSAGE)},
};

static bool field_ok(int tag, const uint8_t *p, size_t n)
{
	if (n == 0 || n > field_rules[tag].max)
		return false;
	switch (field_rules[tag].kind) {
	case K_B64ID:
		if (n != VG_ENROLL_ID_LEN)
			return false;
		for (size_t i = 0; i < n; i++)
			if (b64u_val(p[i]) < 0)
				return false;
		return true;
	case K_HOST:
		for (size_t i = 0; i < n; i++)
			if (!isalnum(p[i]) && p[i] != '.' && p[i] != '-' && p[i] != '_')
				return false;
		return true;
	case K_PEM:
		if (n < 11 || memcmp(p, "-----BEGIN ", 11) != 0)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!(p[i] >= 0x20 && p[i] < 0x7f) && p[i] != '\n' && p[i] != '\r')
				return false;
		return true;
	case K_RAW32:
		return n == 32;
	case K_AGENT_ID:
		return vg_pki_id_valid((const char *)p, n);
	case K_TEXT:
		/* shown to a person: no control characters, no terminal escapes */
		for (size_t i = 0; i < n; i++)
			if (p[i] < 0x20 || p[i] >= 0x7f)
				return false;
		return true;
	}
	return false;
}

int vg_enroll_msg_parse(const uint8_t *body, size_t len, vg_enroll_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len > VG_ENROLL_MAX_FRAME)
		return VG_ELIMIT;
	if (len < 2)
		return VG_EPARSE;
	if (body[0] != VG_ENROLL_VERSION)
		return VG_EUNSUPPORTED;
	uint8_t type = body[1];
	if (type < VG_ENROLL_HELLO || type > VG_ENROLL_ERROR)
		return VG_EPARSE;
	unsigned seen = 0;
	int last = 0;
	size_t off = 2;
	while (off < len) {
		if (len - off < 3)
			return VG_EPARSE;
		int tag = body[off];
		size_t n = (size_t)body[off + 1] << 8 | body[off + 2];
		off += 3;
		/* ascending tags: one encoding per message, no duplicates */
		if (tag <= last || tag >= VG_ENROLL_F_COUNT || !(type_rules[type].allowed & BIT(tag)))
			return VG_EPARSE;
		if (n > len - off || !field_ok(tag, body + off, n))
			return VG_EPARSE;
		m->f[tag].p = body + off;
		m->f[tag].len = n;
		seen |= BIT(tag);
		last = tag;
		off += n;
	}
	if ((seen & type_rules[type].required) != type_rules[type].required) {
		memset(m, 0, sizeof(*m));
		return VG_EPARSE;
	}
	m->type = type;
	return 0;
}

int vg_enroll_msg_encode(const vg_enroll_msg *m, uint8_t *out, size_t cap, size_t *len)
{
	size_t off = 4;
	if (cap < 6)
		return VG_ELIMIT;
	out[off++] = VG_ENROLL_VERSION;
	out[off++] = m->type;
	for (int t = 1; t < VG_ENROLL_F_COUNT; t++) {
		const vg_enroll_field *f = &m->f[t];
		if (f->p == NULL)
			continue;
		if (f->len > 0xffff || cap - off < 3 || cap - off - 3 < f->len)
			return VG_ELIMIT;
		out[off++] = (uint8_t)t;
		out[off++] = (uint8_t)(f->len >> 8);
		out[off++] = (uint8_t)f->len;
		memcpy(out + off, f->p, f->len);
		off += f->len;
	}
	size_t body = off - 4;
	if (body > VG_ENROLL_MAX_FRAME)
		return VG_ELIMIT;
	out[0] = (uint8_t)(body >> 24);
	out[1] = (uint8_t)(body >> 16);
	out[2] = (uint8_t)(body >> 8);
	out[3] = (uint8_t)body;
	*len = off;
	return 0;
}

/* ---- token store ------------------------------------------------------------ */

typedef struct tok {
	char id[VG_ENROLL_ID_LEN + 1];
	uint8_t hash[32];
	long long expires;
} tok;

static int tokens_path(const char *pkidir, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/tokens", pkidir);
	return k < 0 || (size_t)k >= n ? VG_ELIMIT : 0;
}

static int hex_decode(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)s[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return VG_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Lines "<id> <sha256 hex> <expiry unix>"; '#' comments. Our own file, but a
 * line that does not parse fails the whole load rather than being skipped. */
static int tokens_load(const char *pkidir, tok **out, size_t *nout)
{
	char p[PATH_BUF], *data = NULL;
	size_t len, n = 0;
	tok *v = NULL;
	int r;
	*out = NULL;
	*nout = 0;
	if ((r = tokens_path(pkidir, p, sizeof(p))) != 0)
		return r;
	r = vg_pki_file_read(p, VG_PKI_MAX_STATE, &data, &len);
	if (r == VG_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += data[i] == '\n';
	if ((v = calloc(lines, sizeof(*v))) == NULL) {
		free(data);
		return VG_ENOMEM;
	}
	for (char *line = data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		char id[VG_ENROLL_ID_LEN + 2], hex[66];
		long long exp;
		int used = 0;
		if (sscanf(line, "%9s %65s %lld%n", id, hex, &exp, &used) != 3 || line[used] != '\0' ||
		    strlen(id) != VG_ENROLL_ID_LEN || strlen(hex) != 64 || hex_decode(hex, 32, v[n].hash) != 0) {
			r = VG_EPARSE;
			break;
		}
		memcpy(v[n].id, id, sizeof(v[n].id));
		v[n].expires = exp;
		n++;
	}
	OPENSSL_cleanse(data, len);
	free(data);
	if (r != 0) {
		free(v);
		return r;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* Writes the live tokens (expired ones are dropped here). */
static int tokens_save(const char *pkidir, const tok *v, size_t n, time_t now)
{
	char p[PATH_BUF], line[128];
	vg_buf b = {0};
	static const char head[] = "# vigil enrolment tokens: id sha256(secret) expiry (unix time)\n";
	int r = tokens_path(pkidir, p, sizeof(p));
	if (r == 0)
		r = vg_buf_append(&b, head, sizeof(head) - 1);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (v[i].expires <= (long long)now)
			continue;
		int k = snprintf(line, sizeof(line), "%s ", v[i].id);
		for (int j = 0; j < 32; j++)
			k += snprintf(line + k, sizeof(line) - (size_t)k, "%02x", v[i].hash[j]);
		k += snprintf(line + k, sizeof(line) - (size_t)k, " %lld\n", v[i].expires);
		r = vg_buf_append(&b, line, (size_t)k);
	}
	if (r == 0)
		r = vg_pki_file_write(p, b.data, b.len, 0600);
	vg_buf_free(&b);
	return r;
}

static int pki_dir(const char *dir, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/pki", dir);
	return k < 0 || (size_t)k >= n ? VG_ELIMIT : 0;
}

int vg_enroll_token_new(const char *dir, long ttl, time_t now, char token[VG_ENROLL_TOKEN_BUF])
{
	uint8_t idb[6], secret[VG_ENROLL_SECRET];
	char pd[PATH_BUF];
	tok *v = NULL;
	size_t n = 0;
	int r, lk = -1;
	token[0] = '\0';
	if (ttl < 0)
		return VG_EINVAL;
	if ((r = pki_dir(dir, pd, sizeof(pd))) != 0)
		return r;
	if (RAND_bytes(idb, sizeof(idb)) != 1 || RAND_bytes(secret, sizeof(secret)) != 1)
		return VG_EIO;
	if ((r = vg_pki_lock(pd, &lk)) != 0)
		goto out;
	if ((r = tokens_load(pd, &v, &n)) != 0)
		goto out;
	size_t live = 0;
	for (size_t i = 0; i < n; i++)
		live += v[i].expires > (long long)now;
	if (live >= VG_ENROLL_MAX_TOKENS) {
		r = VG_ELIMIT;
		goto out;
	}
	tok *nv = realloc(v, (n + 1) * sizeof(*v));
	if (nv == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	v = nv;
	b64u_encode(idb, sizeof(idb), v[n].id);
	if (EVP_Digest(secret, sizeof(secret), v[n].hash, NULL, EVP_sha256(), NULL) != 1) {
		r = VG_ENOMEM;
		goto out;
	}
	v[n].expires = (long long)now + (ttl ? ttl : VG_ENROLL_TTL);
	if ((r = tokens_save(pd, v, n + 1, now)) != 0)
		goto out;
	memcpy(token, v[n].id, VG_ENROLL_ID_LEN);
	token[VG_ENROLL_ID_LEN] = '.';
	b64u_encode(secret, sizeof(secret), token + VG_ENROLL_ID_LEN + 1);
out:
	vg_pki_unlock(lk);
	OPENSSL_cleanse(secret, sizeof(secret));
	free(v);
	return r;
}

int vg_enroll_token_parse(const char *token, char id[VG_ENROLL_ID_LEN + 1], uint8_t secret[VG_ENROLL_SECRET])
{
	size_t n = strnlen(token, VG_ENROLL_TOKEN_BUF);
	const char *dot = memchr(token, '.', n);
	if (dot == NULL || dot - token != VG_ENROLL_ID_LEN)
		return VG_EINVAL;
	for (int i = 0; i < VG_ENROLL_ID_LEN; i++)
		if (b64u_val((unsigned char)token[i]) < 0)
			return VG_EINVAL;
	if (b64u_decode(dot + 1, n - VG_ENROLL_ID_LEN - 1, secret, VG_ENROLL_SECRET) != 0) {
		OPENSSL_cleanse(secret, VG_ENROLL_SECRET);
		return VG_EINVAL;
	}
	memcpy(id, token, VG_ENROLL_ID_LEN);
	id[VG_ENROLL_ID_LEN] = '\0';
	return 0;
}

/* Index of the token with this id, or -1. */
static long tok_find(const tok *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return (long)i;
	return -1;
}

static int token_lookup(const char *pkidir, const char *id, time_t now, uint8_t hash[32])
{
	tok *v;
	size_t n;
	int r;
	if ((r = tokens_load(pkidir, &v, &n)) != 0)
		return r;
	long i = tok_find(v, n, id);
	if (i < 0 || v[i].expires <= (long long)now)
		r = VG_ENOTFOUND;
	else
		memcpy(hash, v[i].hash, 32);
	OPENSSL_cleanse(v, n * sizeof(*v));
	free(v);
	return r;
}

int vg_enroll_token_lookup(const char *dir, const char *id, time_t now, uint8_t hash[32])
{
	char pd[PATH_BUF];
	int r = pki_dir(dir, pd, sizeof(pd));
	return r ? r : token_lookup(pd, id, now, hash);
}

void vg_enroll_result_clear(vg_enroll_result *res)
{
	free(res->cert_pem);
	memset(res, 0, sizeof(*res));
}

int vg_enroll_redeem(vg_pki_ca *ca, const char *id, const uint8_t secret[VG_ENROLL_SECRET], const char *csr_pem,
		     size_t csr_len, time_t now, vg_enroll_result *res, char *why, size_t whylen)
{
	const char *pd = vg_pki_ca_dir(ca);
	uint8_t h[32], idb[8];
	tok *v = NULL;
	size_t n = 0;
	int r, lk = -1;
	memset(res, 0, sizeof(*res));
	if (EVP_Digest(secret, VG_ENROLL_SECRET, h, NULL, EVP_sha256(), NULL) != 1)
		return VG_ENOMEM;
	if ((r = vg_pki_lock(pd, &lk)) != 0) {
		say(why, whylen, "cannot lock %s", pd);
		goto out;
	}
	if ((r = tokens_load(pd, &v, &n)) != 0) {
		say(why, whylen, "cannot read the token list: %s", vg_err_str(r));
		goto out;
	}
	long i = tok_find(v, n, id);
	r = VG_ENOTFOUND;
	if (i < 0) {
		say(why, whylen, "unknown or already used token");
		goto out;
	}
	if (CRYPTO_memcmp(v[i].hash, h, sizeof(h)) != 0) {
		say(why, whylen, "wrong token secret");
		goto out;
	}
	if (v[i].expires <= (long long)now) {
		say(why, whylen, "token expired");
		(void)tokens_save(pd, v, n, now); /* drop it and its expired peers */
		goto out;
	}
	if (RAND_bytes(idb, sizeof(idb)) != 1) {
		r = VG_EIO;
		goto out;
	}
	for (int k = 0; k < 8; k++)
		snprintf(res->agent_id + 2 * k, 3, "%02x", idb[k]);
	if ((r = vg_pki_sign_csr_locked(ca, csr_pem, csr_len, res->agent_id, 0, &res->cert_pem, res->serial, why,
					whylen)) != 0)
		goto out;
	v[i].expires = 0; /* consumed: tokens_save drops it */
	if ((r = tokens_save(pd, v, n, now)) != 0) {
		/* not recorded as used, so not handed out: the token stays live */
		say(why, whylen, "cannot update the token list: %s", vg_err_str(r));
		goto out;
	}
out:
	vg_pki_unlock(lk);
	OPENSSL_cleanse(h, sizeof(h));
	if (v != NULL)
		OPENSSL_cleanse(v, n * sizeof(*v));
	free(v);
	if (r != 0)
		vg_enroll_result_clear(res);
	return r;
}

/* ---- protocol --------------------------------------------------------------- */

/* HMAC-SHA256 keyed with the token hash over the session exporter, the CA
 * certificate and the token id: only someone who knows the hash, at the far
 * end of this very TLS session, can produce it for this CA. */
static int server_proof(vg_tls_conn *c, const uint8_t hash[32], const X509 *ca, const char *id, uint8_t out[32])
{
	static const char label[] = "vigil-enroll-v1 server proof";
	uint8_t msg[sizeof(label) + 32 + 32 + VG_ENROLL_ID_LEN];
	unsigned char *der = NULL;
	unsigned int ml = 32;
	int dn = i2d_X509(ca, &der);
	int r = VG_EINVAL;
	if (dn <= 0)
		return r;
	memcpy(msg, label, sizeof(label)); /* with its NUL as a separator */
	if (vg_tls_exporter(c, VG_ENROLL_EXPORTER, msg + sizeof(label), 32) == 0 &&
	    EVP_Digest(der, (size_t)dn, msg + sizeof(label) + 32, NULL, EVP_sha256(), NULL) == 1) {
		memcpy(msg + sizeof(label) + 64, id, VG_ENROLL_ID_LEN);
		if (HMAC(EVP_sha256(), hash, 32, msg, sizeof(msg), out, &ml) != NULL && ml == 32)
			r = 0;
	}
	OPENSSL_free(der);
	return r;
}

typedef struct session {
	vg_tls_conn *c;
	long long deadline_ms;
	uint8_t *in;  /* last frame body read */
	size_t inlen;
	uint8_t *out; /* frame being written */
} session;

static int left_ms(const session *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long l = s->deadline_ms - ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	return l > 0 ? (int)l : 0;
}

static int session_open(session *s, vg_tls_conn *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->c = c;
	s->deadline_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + VG_ENROLL_TIMEOUT_MS;
	s->in = malloc(VG_ENROLL_MAX_FRAME);
	s->out = malloc(FRAME_CAP);
	s->inlen = 0;
	return s->in && s->out ? 0 : VG_ENOMEM;
}

static void session_close(session *s)
{
	/* frames may have held the token secret */
	if (s->in)
		OPENSSL_cleanse(s->in, VG_ENROLL_MAX_FRAME);
	if (s->out)
		OPENSSL_cleanse(s->out, FRAME_CAP);
	free(s->in);
	free(s->out);
}

static int send_msg(session *s, const vg_enroll_msg *m)
{
	size_t n;
	int r = vg_enroll_msg_encode(m, s->out, FRAME_CAP, &n);
	return r ? r : vg_tls_write_all(s->c, s->out, n, left_ms(s));
}

static int recv_msg(session *s, vg_enroll_msg *m)
{
	uint8_t hdr[4];
	int r = vg_tls_read_full(s->c, hdr, 4, left_ms(s));
	if (r != 0)
		return r;
	size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (n > VG_ENROLL_MAX_FRAME)
		return VG_ELIMIT; /* refuse before reading: the length is the peer's word */
	if (n < 2)
		return VG_EPARSE;
	if ((r = vg_tls_read_full(s->c, s->in, n, left_ms(s))) != 0)
		return r;
	s->inlen = n;
	return vg_enroll_msg_parse(s->in, n, m);
}

static void set_str(vg_enroll_msg *m, int tag, const char *s)
{
	m->f[tag].p = (const uint8_t *)s;
	m->f[tag].len = strlen(s);
}

static void send_error(session *s, const char *text)
{
	vg_enroll_msg m = {.type = VG_ENROLL_ERROR};
	set_str(&m, VG_ENROLL_F_MESSAGE, text);
	(void)send_msg(s, &m);
}

static const char *io_reason(session *s, int r)
{
	if (r == VG_EIO)
		return vg_tls_error(s->c);
	if (r == VG_ELIMIT)
		return "frame larger than 64 KiB";
	if (r == VG_EPARSE || r == VG_EUNSUPPORTED)
		return "malformed message";
	return vg_err_str(r);
}

int vg_enroll_serve(vg_tls_conn *c, vg_pki_ca *ca, vg_enroll_result *res, char *why, size_t whylen)
{
	session s = {0};
	vg_enroll_msg m;
	char id[VG_ENROLL_ID_LEN + 1], host[VG_ENROLL_MAX_HOST + 1] = "", *ca_pem = NULL, *csr = NULL;
	uint8_t hash[32], proof[32], secret[VG_ENROLL_SECRET];
	size_t ca_len;
	int r;
	memset(res, 0, sizeof(*res));
	if ((r = session_open(&s, c)) != 0)
		goto out;
	if ((r = vg_tls_handshake_wait(c, left_ms(&s))) != 0) {
		say(why, whylen, "%s", vg_tls_error(c));
		goto out;
	}
	if ((r = recv_msg(&s, &m)) != 0 || m.type != VG_ENROLL_HELLO) {
		say(why, whylen, "enrolment hello: %s", r ? io_reason(&s, r) : "unexpected message");
		r = r ? r : VG_EPARSE;
		goto out;
	}
	memcpy(id, m.f[VG_ENROLL_F_TOKEN_ID].p, VG_ENROLL_ID_LEN);
	id[VG_ENROLL_ID_LEN] = '\0';
	if (m.f[VG_ENROLL_F_HOSTNAME].p != NULL) {
		memcpy(host, m.f[VG_ENROLL_F_HOSTNAME].p, m.f[VG_ENROLL_F_HOSTNAME].len);
		host[m.f[VG_ENROLL_F_HOSTNAME].len] = '\0';
	}
	if ((r = token_lookup(vg_pki_ca_dir(ca), id, time(NULL), hash)) != 0) {
		say(why, whylen, "token %s: %s", id, r == VG_ENOTFOUND ? "unknown, used or expired" : vg_err_str(r));
		send_error(&s, "enrolment refused: unknown, used or expired token");
		goto out;
	}
	if ((r = vg_pki_ca_pem(ca, &ca_pem, &ca_len)) != 0 ||
	    (r = server_proof(c, hash, vg_pki_ca_cert(ca), id, proof)) != 0) {
		say(why, whylen, "cannot build the challenge");
		goto out;
	}
	m = (vg_enroll_msg){.type = VG_ENROLL_CHALLENGE};
	m.f[VG_ENROLL_F_CA_CERT] = (vg_enroll_field){(const uint8_t *)ca_pem, ca_len};
	m.f[VG_ENROLL_F_PROOF] = (vg_enroll_field){proof, sizeof(proof)};
	if ((r = send_msg(&s, &m)) != 0 || (r = recv_msg(&s, &m)) != 0 || m.type != VG_ENROLL_REQUEST) {
		say(why, whylen, "enrolment request: %s", r ? io_reason(&s, r) : "unexpected message");
		r = r ? r : VG_EPARSE;
		goto out;
	}
	memcpy(secret, m.f[VG_ENROLL_F_SECRET].p, sizeof(secret));
	size_t csr_len = m.f[VG_ENROLL_F_CSR].len;
	if ((csr = malloc(csr_len + 1)) == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	memcpy(csr, m.f[VG_ENROLL_F_CSR].p, csr_len);
	csr[csr_len] = '\0';
	if ((r = vg_enroll_redeem(ca, id, secret, csr, csr_len, time(NULL), res, why, whylen)) != 0) {
		/* the agent hears no more than that its token is not good */
		send_error(&s, r == VG_ENOTFOUND ? "enrolment refused: unknown, used or expired token"
						 : "enrolment refused: certificate request not accepted");
		goto out;
	}
	snprintf(res->hostname, sizeof(res->hostname), "%s", host);
	m = (vg_enroll_msg){.type = VG_ENROLL_RESULT};
	set_str(&m, VG_ENROLL_F_AGENT_ID, res->agent_id);
	set_str(&m, VG_ENROLL_F_CERT, res->cert_pem);
	if ((r = send_msg(&s, &m)) != 0) {
		/* issued but not delivered: the agent enrols again with a new token;
		 * the caller still records (and may revoke) this certificate */
		say(why, whylen, "sending the certificate: %s", io_reason(&s, r));
		goto out;
	}
	vg_tls_shutdown(c);
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(secret, sizeof(secret));
	free(ca_pem);
	free(csr);
	session_close(&s);
	if (r != 0 && res->cert_pem == NULL)
		vg_enroll_result_clear(res);
	return r;
}

/* The server's TLS certificate must chain to the CA it just proved, and
 * cover the name the agent dialled, or later mutual-TLS connections would
 * fail: better to learn that now. */
static int check_server_cert(vg_tls_conn *c, X509 *ca, char *why, size_t whylen)
{
	X509 *leaf = vg_tls_peer_cert(c);
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	const char *name = vg_tls_server_name(c);
	int r = VG_ENOMEM;
	if (leaf == NULL) {
		say(why, whylen, "the server sent no certificate");
		r = VG_EINVAL;
		goto out;
	}
	if (st == NULL || sc == NULL || !X509_STORE_add_cert(st, ca) || !X509_STORE_CTX_init(sc, st, leaf, NULL) ||
	    !X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_SSL_SERVER))
		goto out;
	if (name != NULL) {
		X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(sc);
		unsigned char ip[16];
		bool lit = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
		if ((lit ? X509_VERIFY_PARAM_set1_ip_asc(p, name) : X509_VERIFY_PARAM_set1_host(p, name, 0)) != 1)
			goto out;
	}
	if (X509_verify_cert(sc) != 1) {
		say(why, whylen, "server certificate not accepted: %s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
		r = VG_EINVAL;
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(sc);
	X509_STORE_free(st);
	return r;
}

/* 0 if the certificate's CN is id. */
static int cert_names(const char *pem, size_t len, const char *id)
{
	char cn[VG_PKI_MAX_ID + 1];
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	int r = x ? vg_pki_cert_id(x, cn) : VG_EPARSE;
	BIO_free(b);
	X509_free(x);
	ERR_clear_error();
	return r == 0 && strcmp(cn, id) == 0 ? 0 : VG_EINVAL;
}

int vg_enroll_agent(vg_tls_conn *c, const char *dir, const char *token, const char *hostname,
		    char agent_id[VG_PKI_MAX_ID + 1], char *why, size_t whylen)
{
	session s = {0};
	vg_enroll_msg m;
	char id[VG_ENROLL_ID_LEN + 1], host[256] = "", *csr = NULL, *ca_pem = NULL, *cert = NULL;
	uint8_t secret[VG_ENROLL_SECRET], hash[32], proof[32];
	X509 *ca = NULL;
	int r;
	agent_id[0] = '\0';
	if ((r = vg_enroll_token_parse(token, id, secret)) != 0) {
		say(why, whylen, "malformed token (expected <id>.<secret> as `vigil agents token` prints it)");
		return r;
	}
	if ((r = session_open(&s, c)) != 0)
		goto out;
	if (EVP_Digest(secret, sizeof(secret), hash, NULL, EVP_sha256(), NULL) != 1) {
		r = VG_ENOMEM;
		goto out;
	}
	if ((r = vg_pki_agent_keygen(dir, &csr, why, whylen)) != 0)
		goto out;
	if ((r = vg_tls_handshake_wait(c, left_ms(&s))) != 0) {
		say(why, whylen, "%s", vg_tls_error(c));
		goto out;
	}
	m = (vg_enroll_msg){.type = VG_ENROLL_HELLO};
	m.f[VG_ENROLL_F_TOKEN_ID] = (vg_enroll_field){(const uint8_t *)id, VG_ENROLL_ID_LEN};
	if (hostname != NULL && hostname[0])
		snprintf(host, sizeof(host), "%s", hostname);
	else if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	if (host[0] &&
	    field_ok(VG_ENROLL_F_HOSTNAME, (const uint8_t *)host, strlen(host)))
		set_str(&m, VG_ENROLL_F_HOSTNAME, host);
	if ((r = send_msg(&s, &m)) != 0 || (r = recv_msg(&s, &m)) != 0) {
		say(why, whylen, "enrolment: %s", io_reason(&s, r));
		goto out;
	}
	if (m.type == VG_ENROLL_ERROR) {
		say(why, whylen, "server: %.*s", (int)m.f[VG_ENROLL_F_MESSAGE].len, m.f[VG_ENROLL_F_MESSAGE].p);
		r = VG_ENOTFOUND;
		goto out;
	}
	if (m.type != VG_ENROLL_CHALLENGE) {
		say(why, whylen, "enrolment: unexpected message from the server");
		r = VG_EPARSE;
		goto out;
	}
	size_t cl = m.f[VG_ENROLL_F_CA_CERT].len;
	if ((ca_pem = malloc(cl + 1)) == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	memcpy(ca_pem, m.f[VG_ENROLL_F_CA_CERT].p, cl);
	ca_pem[cl] = '\0';
	BIO *b = BIO_new_mem_buf(ca_pem, (int)cl);
	ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	r = VG_EINVAL;
	if (ca == NULL || server_proof(c, hash, ca, id, proof) != 0 ||
	    CRYPTO_memcmp(proof, m.f[VG_ENROLL_F_PROOF].p, sizeof(proof)) != 0) {
		/* never send the secret to a server that could not prove it knows the token */
		say(why, whylen, "the server did not prove it issued this token: wrong server, wrong token, "
				 "or someone in between");
		goto out;
	}
	if ((r = check_server_cert(c, ca, why, whylen)) != 0)
		goto out;
	m = (vg_enroll_msg){.type = VG_ENROLL_REQUEST};
	m.f[VG_ENROLL_F_SECRET] = (vg_enroll_field){secret, sizeof(secret)};
	set_str(&m, VG_ENROLL_F_CSR, csr);
	if ((r = send_msg(&s, &m)) != 0 || (r = recv_msg(&s, &m)) != 0) {
		say(why, whylen, "enrolment: %s", io_reason(&s, r));
		goto out;
	}
	if (m.type == VG_ENROLL_ERROR) {
		say(why, whylen, "server: %.*s", (int)m.f[VG_ENROLL_F_MESSAGE].len, m.f[VG_ENROLL_F_MESSAGE].p);
		r = VG_ENOTFOUND;
		goto out;
	}
	if (m.type != VG_ENROLL_RESULT) {
		say(why, whylen, "enrolment: unexpected message from the server");
		r = VG_EPARSE;
		goto out;
	}
	size_t il = m.f[VG_ENROLL_F_AGENT_ID].len, kl = m.f[VG_ENROLL_F_CERT].len;
	if ((cert = malloc(kl + 1)) == NULL) {
		r = VG_ENOMEM;
		goto out;
	}
	memcpy(cert, m.f[VG_ENROLL_F_CERT].p, kl);
	cert[kl] = '\0';
	memcpy(agent_id, m.f[VG_ENROLL_F_AGENT_ID].p, il);
	agent_id[il] = '\0';
	if ((r = cert_names(cert, kl, agent_id)) != 0) {
		say(why, whylen, "the certificate the server sent is not for agent %s", agent_id);
		agent_id[0] = '\0';
		goto out;
	}
	if ((r = vg_pki_agent_store(dir, cert, ca_pem, why, whylen)) != 0) {
		agent_id[0] = '\0';
		goto out;
	}
	vg_tls_shutdown(c);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(hash, sizeof(hash));
	X509_free(ca);
	free(csr);
	free(ca_pem);
	free(cert);
	session_close(&s);
	return r;
}
