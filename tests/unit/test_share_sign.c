/* test_share_sign.c — the sharing keys: created once under DIR/share with
 * mode 0600 and reloaded identical, a loose key file refused, create = 0 on
 * an empty directory is VG_ENOTFOUND; signatures verify here and with the
 * openssl CLI recipe of docs/sharing.md (`openssl pkeyutl -verify -pubin
 * -rawin`), and a changed byte or another key does not verify. */
#ifdef VG_WITH_SHARE /* defined once src/share is in vigil_core (see docs/sharing.md) */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "share/sign.h"

static char dir[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vg_test_sign.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static int openssl_verify(const char *pub, const char *msg, size_t n, const char *sig_b64)
{
	char path[256], cmd[1024];
	snprintf(path, sizeof(path), "%s/m.bin", dir);
	write_file(path, msg, n);
	unsigned char sig[80];
	int sl = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)strlen(sig_b64));
	assert_int_equal(sl, VG_SHARE_SIG_LEN + 2); /* base64 padding */
	snprintf(path, sizeof(path), "%s/s.bin", dir);
	write_file(path, sig, VG_SHARE_SIG_LEN);
	snprintf(cmd, sizeof(cmd),
		 "openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s/m.bin -sigfile %s/s.bin >/dev/null 2>&1", pub,
		 dir, dir);
	return system(cmd);
}

static void test_keys(void **state)
{
	(void)state;
	char why[256] = "", path[256];
	vg_share_keys *k = NULL, *k2 = NULL;
	assert_int_equal(vg_share_keys_load(dir, 0, &k, why, sizeof(why)), VG_ENOTFOUND);
	assert_null(k);
	assert_int_equal(vg_share_keys_load(dir, 1, &k, why, sizeof(why)), 0);
	struct stat st;
	snprintf(path, sizeof(path), "%s/share/signing.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/share/pseudonym.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, VG_SHARE_PSEUDO_KEY);
	snprintf(path, sizeof(path), "%s/share", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	assert_int_equal(vg_share_keys_load(dir, 0, &k2, why, sizeof(why)), 0);
	assert_string_equal(vg_share_key_id(k), vg_share_key_id(k2));
	assert_int_equal(strncmp(vg_share_key_id(k), "sha256:", 7), 0);
	assert_int_equal(strlen(vg_share_key_id(k)), 7 + 64);
	char a[VG_SHARE_PSEUDO_HEX + 1], b[VG_SHARE_PSEUDO_HEX + 1];
	assert_int_equal(vg_share_pseudonym(k, "alice", 5, a), 0);
	assert_int_equal(vg_share_pseudonym(k2, "alice", 5, b), 0);
	assert_string_equal(a, b); /* stable across restarts */
	assert_int_equal(vg_share_pseudonym(k, "alicf", 5, b), 0);
	assert_string_not_equal(a, b);
	char sig[VG_SHARE_SIG_B64];
	assert_int_equal(vg_share_sign_b64(k, "hello", 5, sig), 0);
	assert_int_equal(strlen(sig), VG_SHARE_SIG_B64 - 1);
	assert_true(vg_share_verify_b64(k2, "hello", 5, sig));
	assert_false(vg_share_verify_b64(k2, "hellp", 5, sig));
	assert_false(vg_share_verify_b64(k2, "hello", 5, "AAAA"));
	vg_share_keys_free(k2);
	vg_share_keys_free(k);

	/* a key readable by others is refused, naming the file */
	snprintf(path, sizeof(path), "%s/share/signing.key", dir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(vg_share_keys_load(dir, 1, &k, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "signing.key"));
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/share/pseudonym.key", dir);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(vg_share_keys_load(dir, 1, &k, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "pseudonym.key"));
	assert_int_equal(chmod(path, 0600), 0);
	write_file(path, "short", 5);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(vg_share_keys_load(dir, 1, &k, why, sizeof(why)), VG_EPARSE);
}

static void test_openssl_recipe(void **state)
{
	(void)state;
	if (system("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	char why[256] = "", pub[256];
	vg_share_keys *k = NULL, *other = NULL;
	assert_int_equal(vg_share_keys_load(dir, 1, &k, why, sizeof(why)), 0);
	char *pem = NULL;
	size_t len = 0;
	assert_int_equal(vg_share_pubkey_pem(k, &pem, &len), 0);
	assert_int_equal(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
	snprintf(pub, sizeof(pub), "%s/pub.pem", dir);
	write_file(pub, pem, len);
	free(pem);
	const char msg[] = "{\"v\":1,\"id\":\"alert-1\",\"seq\":1,\"data\":{\"x\":\"\\u00e9\"}}";
	char sig[VG_SHARE_SIG_B64];
	assert_int_equal(vg_share_sign_b64(k, msg, sizeof(msg) - 1, sig), 0);
	assert_int_equal(openssl_verify(pub, msg, sizeof(msg) - 1, sig), 0);
	assert_int_not_equal(openssl_verify(pub, msg, sizeof(msg) - 2, sig), 0);
	/* another key's signature does not verify */
	unsigned char pk[VG_SHARE_PSEUDO_KEY] = {0};
	assert_int_equal(vg_share_keys_mem(pk, &other), 0);
	assert_int_equal(vg_share_sign_b64(other, msg, sizeof(msg) - 1, sig), 0);
	assert_int_not_equal(openssl_verify(pub, msg, sizeof(msg) - 1, sig), 0);
	vg_share_keys_free(other);
	vg_share_keys_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openssl_recipe, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
#include <stdio.h>
int main(void)
{
	puts("SKIP: src/share is not built into vigil_core yet (VG_WITH_SHARE)");
	return 0;
}
#endif
