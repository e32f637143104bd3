/* test_matcher_prune.c — the matcher evaluates a rule only when a hit can make
 * it hold (matcher.c: item polarity and key items). Differential test: random
 * rules (AND/OR/NOT/1 of/all of over selections with plain, contains,
 * startswith, endswith, neq, all, re and exists items) compiled twice, as
 * usual and with every rule evaluated directly for every event
 * (vg_compile_force_direct), must match exactly the same random events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/sigma_compile.h"
#include "sigma_test_util.h"

#define NRULES 400
#define NEVENTS 4000

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const char *const fields[] = {"User", "Image", "CommandLine", "SourceIp"};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
/* short and long words, so that both rare and common patterns occur */
static const char *const words[] = {"a", "ab", "root", "admin", "GET", "200", "alpha", "beta.exe", "gamma/delta",
				    "passwd", "x"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + l, cap - l, fmt, ap);
	va_end(ap);
}

static void selection(char *y, size_t cap, int k)
{
	static const char *const mods[] = {"", "|contains", "|startswith", "|endswith", "|neq", "|contains|all", "|re", "|exists"};
	add(y, cap, "  s%d:\n", k);
	int nitems = 1 + (int)rnd(3);
	for (int i = 0; i < nitems; i++) {
		const char *f = fields[(k + i) % NFIELDS]; /* distinct fields within a selection */
		const char *m = mods[rnd(sizeof(mods) / sizeof(mods[0]))];
		if (strcmp(m, "|exists") == 0) {
			add(y, cap, "    %s|exists: %s\n", f, rnd(2) ? "true" : "false");
			continue;
		}
		if (strcmp(m, "|re") == 0) {
			add(y, cap, "    %s|re: '^%s'\n", f, words[rnd(NWORDS)]);
			continue;
		}
		int nv = 1 + (int)rnd(3);
		add(y, cap, "    %s%s:\n", f, m);
		for (int v = 0; v < nv; v++)
			add(y, cap, "      - '%s'\n", words[rnd(NWORDS)]);
	}
}

static void cond(char *c, size_t cap, int depth)
{
	uint32_t r = depth >= 3 ? 0 : rnd(9);
	switch (r) {
	case 0:
	case 1: add(c, cap, "s%u", rnd(4)); break;
	case 2:
		add(c, cap, "not ");
		cond(c, cap, depth + 1);
		break;
	case 3:
	case 4:
	case 7:
	case 8:
		add(c, cap, "(");
		cond(c, cap, depth + 1);
		add(c, cap, r != 4 ? " and " : " or ");
		cond(c, cap, depth + 1);
		add(c, cap, ")");
		break;
	case 5: add(c, cap, "1 of s*"); break;
	case 6: add(c, cap, "all of s*"); break;
	}
}

static void test_pruning_is_exact(void **state)
{
	(void)state;
	size_t cap = 1 << 20;
	char *y = calloc(1, cap);
	assert_non_null(y);
	for (int r = 0; r < NRULES; r++) {
		char c[512] = "";
		cond(c, sizeof(c), 0);
		add(y, cap, "%stitle: r%d\nid: 00000000-0000-4000-8000-%012d\nlogsource: {product: linux, service: sshd}\n"
			    "detection:\n",
		    r ? "---\n" : "", r, r);
		for (int k = 0; k < 4; k++)
			selection(y, cap, k);
		add(y, cap, "  condition: %s\nlevel: low\n", c);
	}
	st_rejects rj1, rj2;
	vg_engine *fast = st_engine(y, &rj1), *slow = st_engine(y, &rj2);
	assert_non_null(fast);
	assert_non_null(slow);
	assert_true(vg_engine_loaded(fast) > NRULES * 9 / 10);
	assert_int_equal(0, vg_compile_force_direct(slow));

	/* the event field each Sigma field maps to */
	const char *ecs[NFIELDS];
	for (size_t f = 0; f < NFIELDS; f++) {
		size_t n = 0;
		const char *const *t = vg_engine_map_field(fast, 0, fields[f], &n);
		ecs[f] = n > 0 ? t[0] : fields[f];
	}
	size_t total = 0, differ = 0;
	char vals[NFIELDS][64];
	for (int i = 0; i < NEVENTS; i++) {
		const char *kv[2 * NFIELDS + 1];
		size_t k = 0;
		for (size_t f = 0; f < NFIELDS; f++) {
			if (rnd(4) == 0)
				continue; /* absent field */
			/* a word, or a word inside other text */
			const char *w = words[rnd(NWORDS)];
			switch (rnd(4)) {
			case 0: snprintf(vals[f], sizeof(vals[f]), "%s", w); break;
			case 1: snprintf(vals[f], sizeof(vals[f]), "%s %s", w, words[rnd(NWORDS)]); break;
			case 2: snprintf(vals[f], sizeof(vals[f]), "%s/%s", words[rnd(NWORDS)], w); break;
			default: snprintf(vals[f], sizeof(vals[f]), "%s%s%s", words[rnd(NWORDS)], w, words[rnd(NWORDS)]); break;
			}
			kv[k++] = ecs[f];
			kv[k++] = vals[f];
		}
		kv[k] = NULL;
		st_hits a, b;
		size_t na = st_run(fast, VG_PRODUCT_LINUX, VG_SERVICE_SSHD, 0, "raw", kv, &a);
		size_t nb = st_run(slow, VG_PRODUCT_LINUX, VG_SERVICE_SSHD, 0, "raw", kv, &b);
		assert_int_not_equal(na, (size_t)-1);
		if (na != nb || memcmp(a.idx, b.idx, na * sizeof(a.idx[0])) != 0)
			differ++;
		total += nb;
	}
	if (differ != 0)
		fail_msg("%zu of %d events matched differently with pruning", differ, NEVENTS);
	/* meaningful only if rules matched, and not all of them every time */
	assert_true(total > NEVENTS / 2);
	assert_true(total < (size_t)NEVENTS * NRULES / 2);
	vg_engine_free(fast);
	vg_engine_free(slow);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pruning_is_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
