/* enroll.h — agent enrolment: one-time tokens, the wire messages, and both
 * ends of the protocol (docs/security.md, "Enrolment"). A token is
 * "<id>.<secret>" in base64url; the server stores only SHA-256(secret) and an
 * expiry in DIR/pki/tokens. Before the agent reveals the secret, the server
 * proves it knows the hash with an HMAC bound to the TLS session (exporter)
 * and to the CA certificate it sends, so the agent can pin that CA without
 * trusting on first use, and a man in the middle learns nothing usable.
 *
 * Errors: 0 or a negative VG_E* code; (why, whylen) get a one-line reason.
 * Token refusals (unknown, wrong secret, used, expired) are VG_ENOTFOUND.
 * Thread-safety: token and redeem functions may run concurrently in threads
 * and processes (flock on DIR/pki/lock); a token is redeemed at most once. */
#ifndef VG_ENROLL_H
#define VG_ENROLL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "net/pki.h"
#include "net/tls.h"

#define VG_ENROLL_VERSION    1
#define VG_ENROLL_MAX_FRAME  (64 * 1024) /* bytes in one frame body (after the 4-byte length) */
#define VG_ENROLL_MAX_PEM    (16 * 1024) /* bytes in a certificate or CSR field */
#define VG_ENROLL_MAX_MSG    512         /* bytes in an error message field */
#define VG_ENROLL_MAX_HOST   253         /* bytes in the agent's host name field */
#define VG_ENROLL_MAX_TOKENS 10000       /* outstanding tokens in DIR/pki/tokens */
#define VG_ENROLL_TTL        (24 * 3600) /* default token lifetime, seconds */
#define VG_ENROLL_TIMEOUT_MS 15000       /* a whole enrolment exchange, each side */
#define VG_ENROLL_ID_LEN     8           /* base64url characters of a token id */
#define VG_ENROLL_SECRET     32          /* bytes of a token secret */
#define VG_ENROLL_TOKEN_BUF  64          /* "<8>.<43>" + NUL, rounded up */
#define VG_ENROLL_EXPORTER   "EXPORTER-vigil-enroll-v1"

enum vg_enroll_type {
	VG_ENROLL_HELLO = 1,     /* agent: TOKEN_ID [HOSTNAME] */
	VG_ENROLL_CHALLENGE = 2, /* server: CA_CERT PROOF */
	VG_ENROLL_REQUEST = 3,   /* agent: SECRET CSR */
	VG_ENROLL_RESULT = 4,    /* server: AGENT_ID CERT */
	VG_ENROLL_ERROR = 5,     /* server: MESSAGE */
};

enum vg_enroll_tag {
	VG_ENROLL_F_TOKEN_ID = 1, /* VG_ENROLL_ID_LEN base64url characters */
	VG_ENROLL_F_HOSTNAME = 2, /* 1..253 of [A-Za-z0-9._-] */
	VG_ENROLL_F_CA_CERT = 3,  /* PEM */
	VG_ENROLL_F_PROOF = 4,    /* 32 bytes */
	VG_ENROLL_F_SECRET = 5,   /* 32 bytes */
	VG_ENROLL_F_CSR = 6,      /* PEM */
	VG_ENROLL_F_AGENT_ID = 7, /* vg_pki_id_valid */
	VG_ENROLL_F_CERT = 8,     /* PEM */
	VG_ENROLL_F_MESSAGE = 9,  /* 1..512 printable ASCII */
	VG_ENROLL_F_COUNT
};

/* A field is a slice of the parsed body (p == NULL: absent); not NUL-terminated. */
typedef struct vg_enroll_field {
	const uint8_t *p;
	size_t len;
} vg_enroll_field;

typedef struct vg_enroll_msg {
	uint8_t type;
	vg_enroll_field f[VG_ENROLL_F_COUNT];
} vg_enroll_msg;

/* Parses one frame body: version, type, then fields as tag(1) len(2, big
 * endian) value, tags strictly ascending. Only the fields of the type are
 * allowed, all of its required ones must be there, each value is checked for
 * length and alphabet. Slices borrow body. VG_EPARSE on any violation,
 * VG_EUNSUPPORTED for another version, VG_ELIMIT above VG_ENROLL_MAX_FRAME. */
VG_WUR int vg_enroll_msg_parse(const uint8_t *body, size_t len, vg_enroll_msg *m);
/* Encodes m as a whole frame (4-byte big-endian body length, then the body)
 * into out[cap]; *len gets the frame size. Fields are not validated here. */
VG_WUR int vg_enroll_msg_encode(const vg_enroll_msg *m, uint8_t *out, size_t cap, size_t *len);

/* Creates a token valid for ttl seconds from now (0: VG_ENROLL_TTL) and
 * records SHA-256 of its secret in DIR/pki/tokens (0600, atomic replace),
 * dropping expired ones. token gets "<id>.<secret>"; the caller prints it and
 * wipes it (OPENSSL_cleanse). VG_ELIMIT beyond VG_ENROLL_MAX_TOKENS. */
VG_WUR int vg_enroll_token_new(const char *dir, long ttl, time_t now, char token[VG_ENROLL_TOKEN_BUF]);
/* Splits a token; VG_EINVAL if malformed. */
VG_WUR int vg_enroll_token_parse(const char *token, char id[VG_ENROLL_ID_LEN + 1],
				 uint8_t secret[VG_ENROLL_SECRET]);
/* The stored hash of a live token (no lock: the file is replaced atomically). */
VG_WUR int vg_enroll_token_lookup(const char *dir, const char *id, time_t now, uint8_t hash[32]);

typedef struct vg_enroll_result {
	char agent_id[VG_PKI_MAX_ID + 1]; /* chosen by the server: 16 hex digits */
	char serial[VG_PKI_SERIAL_HEX];   /* of the issued certificate */
	char hostname[VG_ENROLL_MAX_HOST + 1]; /* as the agent claimed it; "" if none */
	char *cert_pem;                   /* owned; vg_enroll_result_clear frees */
} vg_enroll_result;
void vg_enroll_result_clear(vg_enroll_result *res);

/* Checks the secret against the token's hash and expiry, signs the CSR and
 * consumes the token, all under the lock: the token is used up exactly when a
 * certificate is returned. A wrong secret or a bad CSR leaves it live. */
VG_WUR int vg_enroll_redeem(vg_pki_ca *ca, const char *id, const uint8_t secret[VG_ENROLL_SECRET],
			    const char *csr_pem, size_t csr_len, time_t now, vg_enroll_result *res,
			    char *why, size_t whylen);

/* Server side of one enrolment over an accepted connection (handshake done
 * or not). On success res holds the new agent. The peer is told only a
 * generic reason for a refused token. If the certificate was issued but could
 * not be sent, the call fails yet res->cert_pem is set, so the caller can
 * record (or revoke) it; res is cleared on every other failure. */
VG_WUR int vg_enroll_serve(vg_tls_conn *c, vg_pki_ca *ca, vg_enroll_result *res, char *why, size_t whylen);

/* Agent side, over a connection from a context made with .enrolment = true
 * (the server name given to vg_tls_conn_new, if any, must be covered by the
 * server certificate). Creates the key, authenticates the server by the token,
 * sends the CSR, checks and installs DIR/{agent.key,agent.crt,ca.crt}. The
 * secret is sent only after the server's proof checked out. hostname is the
 * name the agent reports (NULL or "": gethostname). */
VG_WUR int vg_enroll_agent(vg_tls_conn *c, const char *dir, const char *token, const char *hostname,
			   char agent_id[VG_PKI_MAX_ID + 1], char *why, size_t whylen);

#endif
