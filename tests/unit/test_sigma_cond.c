/* test_sigma_cond.c — the condition grammar: precedence, parentheses,
 * 'x of' patterns, 'them', errors and limits. Trees are printed as
 * S-expressions so each assertion is one exact string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "detect/sigma_cond.h"

static const char *const idents[] = {"sel", "sel_a", "sel_b", "filter_1", "filter_2", "_hidden", "kw"};
#define NID (sizeof(idents) / sizeof(idents[0]))

static void print(const vg_cond_node *n, char *out, size_t cap)
{
	size_t l = strlen(out);
	switch (n->op) {
	case VG_COND_ID:
		snprintf(out + l, cap - l, "%s", idents[n->ids[0]]);
		return;
	case VG_COND_OF:
		if (n->k == 0)
			snprintf(out + l, cap - l, "(all");
		else
			snprintf(out + l, cap - l, "(%u-of", n->k);
		for (uint32_t i = 0; i < n->n; i++) {
			l = strlen(out);
			snprintf(out + l, cap - l, " %s", idents[n->ids[i]]);
		}
		l = strlen(out);
		snprintf(out + l, cap - l, ")");
		return;
	default:
		snprintf(out + l, cap - l, "(%s", n->op == VG_COND_AND ? "and" : n->op == VG_COND_OR ? "or" : "not");
		for (uint32_t i = 0; i < n->n; i++) {
			l = strlen(out);
			snprintf(out + l, cap - l, " ");
			print(n->kids[i], out, cap);
		}
		l = strlen(out);
		snprintf(out + l, cap - l, ")");
	}
}

/* The tree as text, or "ERR <code>: <message>". */
static const char *tree(const char *cond)
{
	static char out[1024];
	char err[256];
	vg_arena *a = vg_arena_new(0);
	vg_cond_node *root = NULL;
	int r = vg_cond_parse(a, cond, strlen(cond), idents, NID, &root, err, sizeof(err));
	out[0] = '\0';
	if (r != 0)
		snprintf(out, sizeof(out), "ERR %d: %s", r, err);
	else
		print(root, out, sizeof(out));
	vg_arena_free(a);
	return out;
}

static void test_single_and_keywords_case(void **state)
{
	(void)state;
	assert_string_equal(tree("sel"), "sel");
	assert_string_equal(tree("  sel  "), "sel");
	assert_string_equal(tree("sel AND kw"), "(and sel kw)");
	assert_string_equal(tree("NOT sel"), "(not sel)");
}

static void test_precedence(void **state)
{
	(void)state;
	assert_string_equal(tree("sel or kw and filter_1"), "(or sel (and kw filter_1))");
	assert_string_equal(tree("sel and kw or filter_1"), "(or (and sel kw) filter_1)");
	assert_string_equal(tree("not sel and kw"), "(and (not sel) kw)");
	assert_string_equal(tree("not sel or not kw"), "(or (not sel) (not kw))");
	assert_string_equal(tree("not not sel"), "(not (not sel))");
	assert_string_equal(tree("sel and kw and filter_1 or filter_2 or sel_a"),
			    "(or (and sel kw filter_1) filter_2 sel_a)");
}

static void test_parentheses(void **state)
{
	(void)state;
	assert_string_equal(tree("(sel or kw) and filter_1"), "(and (or sel kw) filter_1)");
	assert_string_equal(tree("sel and not (filter_1 or filter_2)"), "(and sel (not (or filter_1 filter_2)))");
	assert_string_equal(tree("((sel))"), "sel");
	assert_string_equal(tree("sel and(kw)"), "(and sel kw)");
}

static void test_of(void **state)
{
	(void)state;
	assert_string_equal(tree("1 of sel*"), "(1-of sel sel_a sel_b)");
	assert_string_equal(tree("all of sel_*"), "(all sel_a sel_b)");
	assert_string_equal(tree("any of filter_*"), "(1-of filter_1 filter_2)");
	assert_string_equal(tree("2 of sel*"), "(2-of sel sel_a sel_b)");
	assert_string_equal(tree("1 of them"), "(1-of sel sel_a sel_b filter_1 filter_2 kw)");
	assert_string_equal(tree("all of them"), "(all sel sel_a sel_b filter_1 filter_2 kw)");
	assert_string_equal(tree("1 of *_*"), "(1-of sel_a sel_b filter_1 filter_2 _hidden)");
	assert_string_equal(tree("1 of kw"), "(1-of kw)");
	/* 'x of' binds tighter than not/and/or */
	assert_string_equal(tree("1 of sel_* and not 1 of filter_*"),
			    "(and (1-of sel_a sel_b) (not (1-of filter_1 filter_2)))");
	assert_string_equal(tree("all of sel_* or kw"), "(or (all sel_a sel_b) kw)");
}

static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(tree("sel and nope"), "ERR -5: unknown search identifier 'nope' at position 8");
	assert_string_equal(tree("1 of nothing*"), "ERR -5: no search identifier matches pattern 'nothing*' at position 5");
	assert_string_equal(tree("(sel"), "ERR -5: expected ')' but found end of condition");
	assert_string_equal(tree("sel)"), "ERR -5: unexpected ')' at position 3");
	assert_string_equal(tree("sel and"), "ERR -5: expected a search identifier but found end of condition");
	assert_string_equal(tree(""), "ERR -5: empty condition");
	assert_string_equal(tree("sel*"), "ERR -5: wildcard identifier outside 'x of' 'sel*' at position 0");
	assert_string_equal(tree("1 sel"), "ERR -5: unknown search identifier '1' at position 0");
	assert_string_equal(tree("all sel"), "ERR -5: expected 'of' but found 'sel' at position 4");
	assert_string_equal(tree("5 of sel*"), "ERR -5: '5 of sel*' needs more identifiers than the 3 it matches");
	assert_string_equal(tree("sel | count() > 5"),
			    "ERR -5: aggregation expressions (Sigma 1 '| count()' syntax) are not supported, use a "
			    "correlation rule; found '|' at position 4");
	assert_string_equal(tree("sel and or kw"), "ERR -5: unexpected keyword 'or' at position 8");
}

static void test_depth_limit(void **state)
{
	(void)state;
	char buf[256];
	size_t o = 0;
	for (int i = 0; i < VG_MAX_RULE_DEPTH; i++)
		buf[o++] = '(';
	memcpy(buf + o, "sel", 3);
	o += 3;
	for (int i = 0; i < VG_MAX_RULE_DEPTH; i++)
		buf[o++] = ')';
	buf[o] = '\0';
	assert_string_equal(tree(buf), "sel");
	memmove(buf + 1, buf, o + 1);
	buf[0] = '(';
	strcat(buf, ")");
	assert_string_equal(tree(buf), "ERR -4: condition nested too deeply at '(' at position 16");
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(vg_cond_glob("sel*", 4, "selection", 9));
	assert_true(vg_cond_glob("*tion", 5, "selection", 9));
	assert_true(vg_cond_glob("s*l*n", 5, "selection", 9));
	assert_false(vg_cond_glob("sel", 3, "selection", 9));
	assert_false(vg_cond_glob("x*", 2, "selection", 9));
	assert_true(vg_cond_glob("*", 1, "", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_and_keywords_case),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_parentheses),
		cmocka_unit_test(test_of),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_glob),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
