/* test_sigma_diff.c — differential test of the Hyperscan path: the same
 * SigmaHQ rules compiled twice, once as usual and once with every lit forced
 * to direct evaluation (wildcard matcher, PCRE2), must give the same matches
 * on events synthesized from the rules' own patterns (wildcards filled with
 * random text, random case, values cut at either end to probe anchoring).
 * Skipped when VG_CORPUS is unset. */
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

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* A value an STR atom should (or, cut, should not) match. */
static size_t synth(const vg_atom *a, char *out, size_t cap)
{
	static const char filler[] = "abcXYZ019 \\/.-_=:%";
	size_t o = 0;
	for (size_t i = 0; i < a->len && o + 8 < cap; i++) {
		if (a->wild[i] == VG_W_STAR) {
			for (uint32_t k = rnd() % 4; k > 0; k--)
				out[o++] = filler[rnd() % (sizeof(filler) - 1)];
		} else if (a->wild[i] == VG_W_ONE) {
			out[o++] = filler[rnd() % (sizeof(filler) - 1)];
		} else {
			char c = (char)a->pat[i];
			if (!a->cased && (rnd() & 1) && c >= 'a' && c <= 'z')
				c = (char)(c - 32);
			out[o++] = c;
		}
	}
	switch (rnd() % 6) {
	case 0: /* cut the first byte */
		if (o > 1)
			memmove(out, out + 1, --o);
		break;
	case 1: /* cut the last byte */
		if (o > 1)
			o--;
		break;
	case 2: /* pad at the start */
		if (o + 2 < cap) {
			memmove(out + 2, out, o);
			out[0] = 'q';
			out[1] = '\\';
			o += 2;
		}
		break;
	default:
		break;
	}
	return o;
}

struct set {
	size_t n;
	size_t idx[256];
};

static void collect(void *ud, size_t idx, const vg_rule_info *r)
{
	(void)r;
	struct set *s = ud;
	if (s->n < 256)
		s->idx[s->n++] = idx;
}

static void test_hyperscan_equals_direct(void **state)
{
	(void)state;
	const char *corpus = getenv("VG_CORPUS");
	if (corpus == NULL)
		skip();
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/sigma/rules/windows/process_creation", corpus);
	vg_engine *fast = vg_engine_new(), *slow = vg_engine_new();
	assert_int_equal(vg_engine_load_path(fast, dir, NULL, NULL), 0);
	assert_int_equal(vg_engine_load_path(slow, dir, NULL, NULL), 0);
	snprintf(dir, sizeof(dir), "%s/sigma/rules/web", corpus);
	assert_int_equal(vg_engine_load_path(fast, dir, NULL, NULL), 0);
	assert_int_equal(vg_engine_load_path(slow, dir, NULL, NULL), 0);
	assert_int_equal(vg_engine_compile(fast, NULL, NULL), 0);
	assert_int_equal(vg_engine_compile(slow, NULL, NULL), 0);
	assert_int_equal(0, vg_compile_force_direct(slow));
	vg_matcher *mf = vg_matcher_new(fast), *ms = vg_matcher_new(slow);
	vg_event *ev = vg_event_new();
	assert_non_null(mf);
	assert_non_null(ms);
	static char vals[16][512];
	size_t events = 0, matched = 0, total = 0;
	for (int round = 0; round < 4000; round++) {
		/* pick 1-6 STR lits of one group; put a synthesized value in each field */
		const vg_group *g = &fast->groups[rnd() % fast->ngroups];
		if (g->lit1 == g->lit0)
			continue;
		vg_event_reset(ev, "", 0, "-", 1);
		ev->product = g->product;
		ev->service = g->service;
		ev->category = g->category;
		size_t nv = 1 + rnd() % 6, raw_at = 0;
		for (size_t k = 0; k < nv; k++) {
			const vg_lit *l = &fast->lits[g->lit0 + rnd() % (g->lit1 - g->lit0)];
			if (l->atom->kind != VG_ATOM_STR)
				continue;
			size_t n = synth(l->atom, vals[k], sizeof(vals[k]));
			if (l->ts->raw) {
				raw_at = k + 1;
				continue;
			}
			(void)vg_event_add(ev, l->ts->names[0], strlen(l->ts->names[0]), vals[k], n, VG_V_STR);
		}
		if (raw_at)
			vg_event_reset(ev, vals[raw_at - 1], strlen(vals[raw_at - 1]), "-", 1), ev->product = g->product,
				ev->service = g->service, ev->category = g->category;
		struct set a = {0}, b = {0};
		assert_int_equal(vg_matcher_run(mf, ev, collect, &a), 0);
		assert_int_equal(vg_matcher_run(ms, ev, collect, &b), 0);
		if (a.n != b.n || memcmp(a.idx, b.idx, a.n * sizeof(a.idx[0])) != 0) {
			printf("mismatch: hyperscan %zu rules, direct %zu rules\n", a.n, b.n);
			for (uint32_t i = 0; i < ev->nfields; i++)
				printf("  %.*s = %.*s\n", ev->fields[i].name_len, ev->fields[i].name, (int)ev->fields[i].val_len,
				       ev->fields[i].val);
			fail();
		}
		events++;
		matched += a.n != 0;
		total += a.n;
	}
	printf("%zu events, %zu with matches, %zu rule matches: identical\n", events, matched, total);
	assert_true(events > 1000);
	assert_true(matched > 100);
	vg_event_free(ev);
	vg_matcher_free(mf);
	vg_matcher_free(ms);
	vg_engine_free(fast);
	vg_engine_free(slow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hyperscan_equals_direct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
