/* test_hashmap.c — SipHash test vectors and the open-addressing table:
 * insert/replace/delete, growth, and deletion in long probe runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/hashmap.h"

static void test_siphash_vectors(void **state)
{
	(void)state;
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* from the SipHash paper's reference vectors (key 00..0f, message 00..n-1) */
	assert_true(vg_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(vg_siphash(key, msg, 1) == 0x74f839c593dc67fdULL);
	assert_true(vg_siphash(key, msg, 8) == 0x93f5f5799a932462ULL);
	assert_true(vg_siphash(key, msg, 15) == 0xa129ca6149be45e5ULL);
}

static void test_basic(void **state)
{
	(void)state;
	vg_hashmap *m = vg_hashmap_new(0);
	assert_non_null(m);
	int a = 1, b = 2;
	assert_null(vg_hashmap_get(m, "x", 1));
	assert_int_equal(vg_hashmap_put(m, "x", 1, &a), 0);
	assert_ptr_equal(vg_hashmap_get(m, "x", 1), &a);
	assert_int_equal(vg_hashmap_put(m, "x", 1, &b), 0); /* replace */
	assert_ptr_equal(vg_hashmap_get(m, "x", 1), &b);
	assert_int_equal(vg_hashmap_count(m), 1);
	/* the empty key and keys with NUL bytes are ordinary keys */
	assert_int_equal(vg_hashmap_put(m, "", 0, &a), 0);
	assert_int_equal(vg_hashmap_put(m, "a\0b", 3, &b), 0);
	assert_ptr_equal(vg_hashmap_get(m, "", 0), &a);
	assert_ptr_equal(vg_hashmap_get(m, "a\0b", 3), &b);
	assert_null(vg_hashmap_get(m, "a", 1));
	assert_ptr_equal(vg_hashmap_del(m, "x", 1), &b);
	assert_null(vg_hashmap_del(m, "x", 1));
	assert_int_equal(vg_hashmap_count(m), 2);
	assert_int_equal(vg_hashmap_put(m, "y", 1, NULL), VG_EINVAL);
	/* iteration sees each entry once */
	size_t pos = 0, seen = 0, len;
	const void *k;
	void *v;
	while (vg_hashmap_next(m, &pos, &k, &len, &v)) {
		assert_ptr_equal(vg_hashmap_get(m, k, len), v);
		seen++;
	}
	assert_int_equal(seen, 2);
	vg_hashmap_free(m);
	vg_hashmap_free(NULL);
}

/* Many keys in and out, checked against a plain array after every step. */
static void test_churn(void **state)
{
	(void)state;
	enum { N = 20000 };
	static char keys[N][16];
	static int present[N];
	vg_hashmap *m = vg_hashmap_new(4);
	assert_non_null(m);
	for (int i = 0; i < N; i++)
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
	size_t count = 0;
	uint32_t x = 12345;
	for (int step = 0; step < 200000; step++) {
		x = x * 1103515245u + 12345u;
		int i = (int)((x >> 8) % N);
		size_t len = strlen(keys[i]);
		if ((x >> 4) & 1) {
			if (!present[i])
				count++;
			assert_int_equal(vg_hashmap_put(m, keys[i], len, keys[i]), 0);
			present[i] = 1;
		} else {
			void *v = vg_hashmap_del(m, keys[i], len);
			assert_ptr_equal(v, present[i] ? keys[i] : NULL);
			if (present[i])
				count--;
			present[i] = 0;
		}
		assert_int_equal(vg_hashmap_count(m), count);
	}
	for (int i = 0; i < N; i++)
		assert_ptr_equal(vg_hashmap_get(m, keys[i], strlen(keys[i])), present[i] ? keys[i] : NULL);
	vg_hashmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_churn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
