/* test_sigma_yaml.c — the bounded YAML tree loader: structure, PyYAML-style
 * scalar resolution, errors with line:column, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "detect/sigma_yaml.h"

static int parse(vg_arena *a, const char *s, vg_ydoc_list *d, char *err, size_t n)
{
	return vg_yaml_parse(a, s, strlen(s), d, err, n);
}

static void test_structure(void **state)
{
	(void)state;
	vg_arena *a = vg_arena_new(0);
	vg_ydoc_list d;
	char err[256];
	assert_int_equal(parse(a, "title: x\nlist:\n  - a\n  - 'b'\nmap:\n  k: v\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 1);
	const vg_ynode *root = d.docs[0];
	assert_int_equal(root->type, VG_Y_MAP);
	assert_int_equal(root->n, 3);
	assert_string_equal(vg_yaml_str(vg_yaml_get(root, "title")), "x");
	const vg_ynode *l = vg_yaml_get(root, "list");
	assert_int_equal(l->type, VG_Y_SEQ);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->items[1]->str, "b");
	assert_int_equal(l->items[1]->line, 4);
	assert_int_equal(l->items[1]->col, 5);
	assert_string_equal(vg_yaml_str(vg_yaml_get(vg_yaml_get(root, "map"), "k")), "v");
	assert_null(vg_yaml_get(root, "missing"));
	vg_arena_free(a);
}

static void test_scalar_kinds(void **state)
{
	(void)state;
	vg_arena *a = vg_arena_new(0);
	vg_ydoc_list d;
	char err[256];
	assert_int_equal(parse(a,
			       "a: 4688\nb: '4688'\nc: null\nd: ~\ne:\nf: true\ng: no\nh: 0x10\ni: 1.0\nj: 1.5\nk: -7\n"
			       "l: !!str 12\nm: 010\nn: 1_000\no: 09\n",
			       &d, err, sizeof(err)),
			 0);
	const vg_ynode *r = d.docs[0];
	assert_int_equal(vg_yaml_get(r, "a")->kind, VG_YK_INT);
	assert_string_equal(vg_yaml_get(r, "a")->num, "4688");
	assert_int_equal(vg_yaml_get(r, "b")->kind, VG_YK_STR);
	assert_int_equal(vg_yaml_get(r, "c")->kind, VG_YK_NULL);
	assert_int_equal(vg_yaml_get(r, "d")->kind, VG_YK_NULL);
	assert_int_equal(vg_yaml_get(r, "e")->kind, VG_YK_NULL);
	assert_int_equal(vg_yaml_get(r, "f")->kind, VG_YK_BOOL);
	assert_int_equal(vg_yaml_get(r, "f")->bval, 1);
	assert_int_equal(vg_yaml_get(r, "g")->kind, VG_YK_BOOL);
	assert_int_equal(vg_yaml_get(r, "g")->bval, 0);
	assert_string_equal(vg_yaml_get(r, "h")->num, "16");
	assert_int_equal(vg_yaml_get(r, "i")->kind, VG_YK_FLOAT);
	assert_string_equal(vg_yaml_get(r, "i")->num, "1");
	assert_string_equal(vg_yaml_get(r, "j")->num, "1.5");
	assert_string_equal(vg_yaml_get(r, "k")->num, "-7");
	assert_int_equal(vg_yaml_get(r, "l")->kind, VG_YK_STR);
	assert_string_equal(vg_yaml_get(r, "m")->num, "8"); /* YAML 1.1 octal, as PyYAML */
	assert_string_equal(vg_yaml_get(r, "n")->num, "1000");
	assert_int_equal(vg_yaml_get(r, "o")->kind, VG_YK_STR);
	vg_arena_free(a);
}

static void test_multi_document(void **state)
{
	(void)state;
	vg_arena *a = vg_arena_new(0);
	vg_ydoc_list d;
	char err[256];
	assert_int_equal(parse(a, "a: 1\n---\nb: 2\n---\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.docs[2]->kind, VG_YK_NULL);
	vg_arena_free(a);
}

static void test_syntax_error_position(void **state)
{
	(void)state;
	vg_arena *a = vg_arena_new(0);
	vg_ydoc_list d;
	char err[256];
	assert_int_equal(parse(a, "title: x\ndetection:\n  sel: [a, b\n  condition: sel\n", &d, err, sizeof(err)), VG_EPARSE);
	assert_non_null(strstr(err, "line 4:"));
	assert_int_equal(parse(a, "a: b: c\n", &d, err, sizeof(err)), VG_EPARSE);
	assert_string_equal(err, "line 1:5: mapping values are not allowed in this context");
	assert_int_equal(parse(a, "a:\n\t- b\n", &d, err, sizeof(err)), VG_EPARSE);
	assert_non_null(strstr(err, "line 2:1:"));
	vg_arena_free(a);
}

static void test_limits(void **state)
{
	(void)state;
	vg_arena *a = vg_arena_new(0);
	vg_ydoc_list d;
	char err[256], deep[512];
	size_t o = 0;
	for (int i = 0; i < VG_MAX_RULE_DEPTH + 1; i++)
		deep[o++] = '[';
	for (int i = 0; i < VG_MAX_RULE_DEPTH + 1; i++)
		deep[o++] = ']';
	deep[o] = '\0';
	assert_int_equal(parse(a, deep, &d, err, sizeof(err)), VG_ELIMIT);
	assert_string_equal(err, "line 1:17: nesting too deep");
	deep[VG_MAX_RULE_DEPTH] = '\0'; /* exactly the limit: fine */
	memset(deep + VG_MAX_RULE_DEPTH, ']', VG_MAX_RULE_DEPTH);
	deep[2 * VG_MAX_RULE_DEPTH] = '\0';
	assert_int_equal(parse(a, deep, &d, err, sizeof(err)), 0);
	assert_int_equal(parse(a, "a: &x 1\nb: *x\n", &d, err, sizeof(err)), VG_EUNSUPPORTED);
	assert_string_equal(err, "line 2:4: YAML aliases are not supported");
	assert_int_equal(parse(a, "? [a]\n: b\n", &d, err, sizeof(err)), VG_EUNSUPPORTED);
	assert_non_null(strstr(err, "only scalar mapping keys"));
	vg_arena_free(a);
}

static void test_duplicate_keys_last_wins(void **state)
{
	(void)state;
	vg_arena *a = vg_arena_new(0);
	vg_ydoc_list d;
	char err[256];
	assert_int_equal(parse(a, "k: 1\nk: 2\n", &d, err, sizeof(err)), 0);
	assert_string_equal(vg_yaml_get(d.docs[0], "k")->str, "2");
	vg_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_scalar_kinds),
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_syntax_error_position),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_duplicate_keys_last_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
