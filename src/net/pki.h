/* pki.h — vigil's private certificate authority and the key/certificate files
 * of the server and the agents. The server keeps DIR/pki/{ca.key, ca.crt,
 * server.key, server.crt, issued, revoked, tokens, lock}; an agent keeps
 * DIR/{agent.key, agent.crt, ca.crt}. All keys are ECDSA P-256 (browsers and
 * every TLS stack accept it), written with mode 0600 and wiped from memory.
 *
 * Errors: 0 or a negative VG_E* code; functions taking (why, whylen) also
 * write a one-line reason there (may be NULL). Reasons never contain key bytes.
 * Thread-safety: a vg_pki_ca may be shared by threads (signing and revocation
 * checks are locked); file changes are serialised across processes by an
 * flock on DIR/pki/lock. */
#ifndef VG_PKI_H
#define VG_PKI_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"

#define VG_PKI_CA_DAYS      3650         /* CA lifetime */
#define VG_PKI_SERVER_DAYS  825          /* server certificate lifetime */
#define VG_PKI_AGENT_DAYS   825          /* default agent certificate lifetime */
#define VG_PKI_RENEW_DAYS   30           /* reissue the server cert when less is left */
#define VG_PKI_MAX_FILE     (256 * 1024) /* bytes in a key, certificate or CSR we read */
#define VG_PKI_MAX_STATE    (4 << 20)    /* bytes in the issued/revoked/tokens files */
#define VG_PKI_MAX_ID       64           /* bytes in an agent id: [A-Za-z0-9._-] */
#define VG_PKI_MAX_NAMES    32           /* extra names in the server certificate */
#define VG_PKI_SERIAL_HEX   44           /* buffer for a serial in hex (<= 20 bytes) + NUL */

typedef struct vg_pki_ca vg_pki_ca;

/* Creates DIR/pki (0700) with a new CA if DIR/pki/ca.key is absent, else loads
 * the existing one. *out is freed with vg_pki_ca_free. A key file readable by
 * group or others is refused (VG_EINVAL), as ssh refuses loose keys. */
VG_WUR int vg_pki_init_ca(const char *dir, vg_pki_ca **out, char *why, size_t whylen);
void vg_pki_ca_free(vg_pki_ca *ca);

/* DIR/pki; borrowed, valid while ca lives. */
const char *vg_pki_ca_dir(const vg_pki_ca *ca);
/* The CA certificate; borrowed, valid while ca lives, never modified. */
const X509 *vg_pki_ca_cert(const vg_pki_ca *ca);
/* The CA certificate as PEM; caller frees *pem. */
VG_WUR int vg_pki_ca_pem(const vg_pki_ca *ca, char **pem, size_t *len);

/* Ensures DIR/pki/server.{key,crt}: a serverAuth certificate signed by the CA
 * with SANs localhost, 127.0.0.1, ::1, this host's name and names[] (IP
 * literals become IP SANs). An existing certificate is kept if it is ours,
 * matches its key, covers every name and has VG_PKI_RENEW_DAYS left. */
VG_WUR int vg_pki_server_cert(vg_pki_ca *ca, const char *const *names, size_t nnames,
			      char *why, size_t whylen);

/* Verifies the CSR's self-signature and key type (EC P-256/P-384 or Ed25519),
 * then issues a clientAuth certificate with CN=agent_id, a random 128-bit
 * serial and `days` validity (0: VG_PKI_AGENT_DAYS). Nothing of the CSR's
 * subject or extensions is copied. The issue is recorded in DIR/pki/issued.
 * *cert_pem is the caller's (free()); serial gets the serial in hex. */
VG_WUR int vg_pki_sign_csr(vg_pki_ca *ca, const char *csr_pem, size_t csr_len, const char *agent_id,
			   unsigned days, char **cert_pem, char serial[VG_PKI_SERIAL_HEX],
			   char *why, size_t whylen);
/* The same, for callers already holding the DIR/pki lock (vg_pki_lock). */
VG_WUR int vg_pki_sign_csr_locked(vg_pki_ca *ca, const char *csr_pem, size_t csr_len,
				  const char *agent_id, unsigned days, char **cert_pem,
				  char serial[VG_PKI_SERIAL_HEX], char *why, size_t whylen);

/* Adds a serial (hex, any case, colons allowed, as `openssl x509 -serial`
 * prints it) to DIR/pki/revoked: atomic replace + fsync. Idempotent. */
VG_WUR int vg_pki_revoke(vg_pki_ca *ca, const char *serial);
/* Revokes every certificate DIR/pki/issued lists for agent_id; *count gets how
 * many (0 and VG_ENOTFOUND if none was ever issued). */
VG_WUR int vg_pki_revoke_agent(vg_pki_ca *ca, const char *agent_id, size_t *count);
/* 1 if revoked, 0 if not, <0 if the revoked list cannot be read (callers
 * fail closed). Rereads DIR/pki/revoked when it changed on disk, so a
 * revocation by another process takes effect at the next handshake. */
VG_WUR int vg_pki_is_revoked(vg_pki_ca *ca, const char *serial_hex);

/* Serial of a certificate in canonical hex (upper case, whole bytes). */
VG_WUR int vg_pki_cert_serial(const X509 *x, char out[VG_PKI_SERIAL_HEX]);
/* Canonical form of a user-typed serial; VG_EINVAL if it is not hex. */
VG_WUR int vg_pki_serial_norm(const char *in, char out[VG_PKI_SERIAL_HEX]);
/* The subject CN if it is a valid agent id (VG_EINVAL if not, VG_ENOTFOUND
 * if there is no CN). */
VG_WUR int vg_pki_cert_id(const X509 *x, char id[VG_PKI_MAX_ID + 1]);
/* 1 if s is a valid agent id (1..VG_PKI_MAX_ID of [A-Za-z0-9._-]), else 0. */
int vg_pki_id_valid(const char *s, size_t len);

/* Agent side. Creates a new key in DIR/agent.key.pending (0600) and returns a
 * CSR for it in *csr_pem (caller frees); the key never leaves the host. */
VG_WUR int vg_pki_agent_keygen(const char *dir, char **csr_pem, char *why, size_t whylen);
/* Checks that cert_pem is signed by ca_pem (a self-signed CA), is a clientAuth
 * certificate and belongs to the pending key, then installs DIR/ca.crt,
 * DIR/agent.crt and DIR/agent.key (renaming the pending key). */
VG_WUR int vg_pki_agent_store(const char *dir, const char *cert_pem, const char *ca_pem,
			      char *why, size_t whylen);

/* Helpers shared by the net modules. */
/* Loads a PEM private key, refusing files readable by group/others; the file
 * bytes are wiped. *out is the caller's (EVP_PKEY_free). */
VG_WUR int vg_pki_key_load(const char *path, EVP_PKEY **out, char *why, size_t whylen);
/* Reads a whole file of at most max bytes, NUL-terminated; caller frees
 * *data. VG_ENOTFOUND if absent, VG_ELIMIT if larger than max. */
VG_WUR int vg_pki_file_read(const char *path, size_t max, char **data, size_t *len);
/* Atomically replaces path (temp file, fsync, rename, fsync of the directory)
 * with exactly `mode`. */
VG_WUR int vg_pki_file_write(const char *path, const void *data, size_t len, mode_t mode);
/* Takes the exclusive flock on PKIDIR/lock; *fd is released by vg_pki_unlock.
 * Not reentrant: a holder must not take it again (use the _locked variants). */
VG_WUR int vg_pki_lock(const char *pkidir, int *fd);
void vg_pki_unlock(int fd);

#endif
