/* sign.h — the keys of the sharing module, kept in DIR/share (0700): the
 * Ed25519 signing key (signing.key, PKCS#8 PEM, 0600) that signs every payload
 * sent to a destination, and the pseudonymisation key (pseudonym.key, 32
 * random bytes, 0600) of HMAC-SHA256 pseudonyms. Both are generated on first
 * use and never leave the host; the public key is exported as PEM
 * (`vigil sharing pubkey`). What exactly is signed per sink: docs/sharing.md.
 *
 * Ownership: a vg_share_keys owns its keys and wipes them on free.
 * Errors: 0 or a negative VG_E* code; (why, whylen) names the file and reason.
 * A key file readable by group/others is refused (VG_EINVAL).
 * Thread-safety: after load, sign/pseudonym may be called from any thread
 * (each call uses its own OpenSSL context). */
#ifndef VG_SHARE_SIGN_H
#define VG_SHARE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define VG_SHARE_DIR "share"
#define VG_SHARE_SIG_LEN 64     /* bytes of an Ed25519 signature */
#define VG_SHARE_SIG_B64 89     /* its base64 text (88) and a NUL */
#define VG_SHARE_PSEUDO_KEY 32  /* bytes of the pseudonymisation key */
#define VG_SHARE_PSEUDO_HEX 32  /* hex digits of a pseudonym (128 bits) */

typedef struct vg_share_keys vg_share_keys;

/* Loads DIR/share/signing.key and DIR/share/pseudonym.key, creating DIR/share
 * and whichever is missing (create = 1; create = 0 gives VG_ENOTFOUND). */
VG_WUR int vg_share_keys_load(const char *dir, int create, vg_share_keys **out, char *why, size_t whylen);
void vg_share_keys_free(vg_share_keys *k);

/* Ed25519 signature of msg[0..len) as base64 (88 characters + NUL). */
VG_WUR int vg_share_sign_b64(const vg_share_keys *k, const void *msg, size_t len, char out[VG_SHARE_SIG_B64]);
/* 1 if sig_b64 is a valid signature of msg by k's key, 0 if not. */
int vg_share_verify_b64(const vg_share_keys *k, const void *msg, size_t len, const char *sig_b64);
/* The public key as PEM (SubjectPublicKeyInfo); caller frees *pem. */
VG_WUR int vg_share_pubkey_pem(const vg_share_keys *k, char **pem, size_t *len);
/* "sha256:<hex>" of the DER public key: the key id sent with signatures. */
const char *vg_share_key_id(const vg_share_keys *k);

/* HMAC-SHA256(pseudonym key, value) as VG_SHARE_PSEUDO_HEX lower-case hex
 * digits (the first 128 bits) and a NUL. Equal inputs give equal pseudonyms
 * on one installation; without the key they cannot be reversed or linked to
 * another installation's. */
VG_WUR int vg_share_pseudonym(const vg_share_keys *k, const void *value, size_t len,
			      char out[VG_SHARE_PSEUDO_HEX + 1]);
/* For tests: a key set from a given pseudonym key and no signing key file
 * (a fresh signing key in memory). */
VG_WUR int vg_share_keys_mem(const unsigned char pkey[VG_SHARE_PSEUDO_KEY], vg_share_keys **out);

#endif
