/* test_sigma_value.c — every modifier of the Sigma modifiers appendix, with
 * positive and negative examples (many from pySigma's tests), wildcard
 * escaping, null / empty / numbers / booleans, keywords, and the load-time
 * rejections of invalid values. Rules run end to end through the engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/sigma_compile.h"
#include "detect/sigma_value.h"
#include "detect/sigma_yaml.h"
#include "sigma_test_util.h"

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define M(det, ...) st_match1(det, "raw", KV(__VA_ARGS__))

static void test_plain_and_case(void **state)
{
	(void)state;
	const char *d = "  sel:\n    F: 'foo'\n  condition: sel";
	assert_int_equal(M(d, "F", "foo"), 1);
	assert_int_equal(M(d, "F", "FoO"), 1); /* case-insensitive by default */
	assert_int_equal(M(d, "F", "foobar"), 0);
	assert_int_equal(M(d, "F", "xfoo"), 0);
	assert_int_equal(M(d, "G", "foo"), 0);
}

static void test_wildcards_and_escaping(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    F: 'foo*'\n  condition: sel", "F", "FOObar"), 1);
	assert_int_equal(M("  sel:\n    F: 'foo*'\n  condition: sel", "F", "xfoo"), 0);
	assert_int_equal(M("  sel:\n    F: 'f?o'\n  condition: sel", "F", "fao"), 1);
	assert_int_equal(M("  sel:\n    F: 'f?o'\n  condition: sel", "F", "fo"), 0);
	assert_int_equal(M("  sel:\n    F: 'f?o'\n  condition: sel", "F", "faao"), 0);
	assert_int_equal(M("  sel:\n    F: 'a*b*c'\n  condition: sel", "F", "aXXbYYc"), 1);
	assert_int_equal(M("  sel:\n    F: 'a*b*c'\n  condition: sel", "F", "aXXcYYb"), 0);
	/* \* and \? are literal; \\ is one backslash; \ before anything else stays */
	assert_int_equal(M("  sel:\n    F: 'a\\*b'\n  condition: sel", "F", "a*b"), 1);
	assert_int_equal(M("  sel:\n    F: 'a\\*b'\n  condition: sel", "F", "axxb"), 0);
	assert_int_equal(M("  sel:\n    F: 'a\\?b'\n  condition: sel", "F", "a?b"), 1);
	assert_int_equal(M("  sel:\n    F: 'a\\?b'\n  condition: sel", "F", "axb"), 0);
	assert_int_equal(M("  sel:\n    F: 'a\\\\b'\n  condition: sel", "F", "a\\b"), 1);
	assert_int_equal(M("  sel:\n    F: 'C:\\Windows\\\\*'\n  condition: sel", "F", "c:\\windows\\system32"), 1);
	assert_int_equal(M("  sel:\n    F: 'C:\\Windows\\*'\n  condition: sel", "F", "C:\\Windows\\System32"), 0);
	assert_int_equal(M("  sel:\n    F: 'C:\\Windows\\*'\n  condition: sel", "F", "C:\\Windows*"), 1);
	assert_int_equal(M("  sel:\n    F: 'C:\\'\n  condition: sel", "F", "C:\\"), 1);
	assert_int_equal(M("  sel:\n    F: '*'\n  condition: sel", "F", ""), 1);
	assert_int_equal(M("  sel:\n    F: '*'\n  condition: sel", "G", "x"), 0);
}

static void test_contains_startswith_endswith(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    F|contains: 'oba'\n  condition: sel", "F", "FOOBAR"), 1);
	assert_int_equal(M("  sel:\n    F|contains: 'oba'\n  condition: sel", "F", "foo"), 0);
	assert_int_equal(M("  sel:\n    F|startswith: 'foo'\n  condition: sel", "F", "foobar"), 1);
	assert_int_equal(M("  sel:\n    F|startswith: 'foo'\n  condition: sel", "F", "xfoobar"), 0);
	assert_int_equal(M("  sel:\n    F|endswith: '\\cmd.exe'\n  condition: sel", "F", "C:\\Windows\\CMD.EXE"), 1);
	assert_int_equal(M("  sel:\n    F|endswith: '\\cmd.exe'\n  condition: sel", "F", "C:\\cmd.exe.bak"), 0);
	/* an endswith literal that also occurs earlier in the value */
	assert_int_equal(M("  sel:\n    F|endswith: 'ab'\n  condition: sel", "F", "abxxab"), 1);
	assert_int_equal(M("  sel:\n    F|startswith: 'ab'\n  condition: sel", "F", "xabab"), 0);
	assert_int_equal(M("  sel:\n    F|contains: ''\n  condition: sel", "F", "anything"), 1);
	/* one-byte and short exact values take other paths in the compiler */
	assert_int_equal(M("  sel:\n    F|contains: '@'\n  condition: sel", "F", "a@b"), 1);
	assert_int_equal(M("  sel:\n    F|contains: '@'\n  condition: sel", "F", "ab"), 0);
	assert_int_equal(M("  sel:\n    F|endswith: '\\'\n  condition: sel", "F", "C:\\"), 1);
	assert_int_equal(M("  sel:\n    F: 'a'\n  condition: sel", "F", "a"), 1);
	assert_int_equal(M("  sel:\n    F: 'a'\n  condition: sel", "F", "aa"), 0);
	assert_int_equal(M("  sel:\n    F: 'abcdefg'\n  condition: sel", "F", "xabcdefg"), 0);
	assert_int_equal(M("  sel:\n    F: 'abcdefg'\n  condition: sel", "F", "abcdefgabcdefg"), 0);
}

static void test_lists_all_and_maps(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    F: [a, b]\n  condition: sel", "F", "b"), 1);
	assert_int_equal(M("  sel:\n    F: [a, b]\n  condition: sel", "F", "c"), 0);
	const char *all = "  sel:\n    F|contains|all: [foo, bar]\n  condition: sel";
	assert_int_equal(M(all, "F", "xbarxfoox"), 1);
	assert_int_equal(M(all, "F", "xfoox"), 0);
	const char *and = "  sel:\n    A: x\n    B: y\n  condition: sel";
	assert_int_equal(M(and, "A", "x", "B", "y"), 1);
	assert_int_equal(M(and, "A", "x", "B", "z"), 0);
	const char *or = "  sel:\n    - A: x\n    - B: y\n  condition: sel";
	assert_int_equal(M(or, "B", "y"), 1);
	assert_int_equal(M(or, "A", "y"), 0);
	/* multi-valued field: any value */
	assert_int_equal(M("  sel:\n    F: two\n  condition: sel", "F", "one", "F", "two"), 1);
}

static void test_cased(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    F|cased: 'Foo'\n  condition: sel", "F", "Foo"), 1);
	assert_int_equal(M("  sel:\n    F|cased: 'Foo'\n  condition: sel", "F", "foo"), 0);
	assert_int_equal(M("  sel:\n    F|contains|cased: 'Bar'\n  condition: sel", "F", "xBarx"), 1);
	assert_int_equal(M("  sel:\n    F|contains|cased: 'Bar'\n  condition: sel", "F", "xbarx"), 0);
}

static void test_re_and_flags(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    F|re: 'fo+b'\n  condition: sel", "F", "xfooobx"), 1);
	assert_int_equal(M("  sel:\n    F|re: 'fo+b'\n  condition: sel", "F", "FOOB"), 0); /* case-sensitive */
	assert_int_equal(M("  sel:\n    F|re|i: 'fo+b'\n  condition: sel", "F", "FOOB"), 1);
	assert_int_equal(M("  sel:\n    F|re: '^b'\n  condition: sel", "F", "a\nb"), 0);
	assert_int_equal(M("  sel:\n    F|re|m: '^b'\n  condition: sel", "F", "a\nb"), 1);
	assert_int_equal(M("  sel:\n    F|re: 'a.b'\n  condition: sel", "F", "a\nb"), 0);
	assert_int_equal(M("  sel:\n    F|re|s: 'a.b'\n  condition: sel", "F", "a\nb"), 1);
	/* Hyperscan refuses back-references: PCRE2 still answers */
	assert_int_equal(M("  sel:\n    F|re: '(ab)\\1'\n  condition: sel", "F", "xabab"), 1);
	assert_int_equal(M("  sel:\n    F|re: '(ab)\\1'\n  condition: sel", "F", "xab"), 0);
	assert_int_equal(M("  sel:\n    F|re: '(?<=a)b'\n  condition: sel", "F", "ab"), 1);
	assert_int_equal(M("  sel:\n    F|re: '(?<=a)b'\n  condition: sel", "F", "cb"), 0);
	/* keyword regex over the raw record */
	assert_int_equal(st_match1("  kw:\n    '|re': 'er+o'\n  condition: kw", "an errrror here", NULL), 1);
	assert_int_equal(st_match1("  kw:\n    '|re': 'er+o'\n  condition: kw", "no", NULL), 0);
}

/* Patterns Hyperscan refuses at compile time are tested value by value. */
static void test_hyperscan_refusals(void **state)
{
	(void)state;
	size_t n = 20000;
	char *det = malloc(n + 128), *val = malloc(2 * n + 16);
	assert_non_null(det);
	assert_non_null(val);
	snprintf(det, n + 128, "  sel:\n    F|contains: '");
	size_t o = strlen(det);
	memset(det + o, 'a', n);
	o += n;
	snprintf(det + o, 64, "'\n  condition: sel");
	memset(val, 'a', n + 2);
	val[0] = 'X';
	val[n + 2] = '\0';
	assert_int_equal(M(det, "F", val), 1);
	val[n] = '\0'; /* one 'a' short */
	assert_int_equal(M(det, "F", val), 0);
	/* the same through the engine's statistics: one pattern tested directly */
	st_rejects rj;
	vg_engine *e;
	size_t cap = n + 256;
	char *yaml = malloc(cap);
	assert_non_null(yaml);
	snprintf(yaml, cap, "title: t\nlogsource:\n  category: antivirus\ndetection:\n%s\n", det);
	e = st_engine(yaml, &rj);
	assert_non_null(e);
	assert_int_equal(vg_compile_build_all(e), 0);
	assert_int_equal(e->hs_fallback, 1);
	st_hits h;
	memset(val, 'a', n);
	val[n] = '\0';
	assert_int_equal(st_run(e, 0, 0, VG_CATEGORY_ANTIVIRUS, "r", KV("F", val), &h), 1);
	vg_engine_free(e);
	free(yaml);
	/* huge bounded repeats go straight to PCRE2 (Hyperscan would take seconds to refuse) */
	for (size_t i = 0; i < 3000; i++)
		memcpy(val + 3 * i, "axb", 3);
	val[9000] = '\0';
	const char *rep = "  sel:\n    F|re: '(a.?b){3000}'\n  condition: sel";
	assert_int_equal(M(rep, "F", val), 1);
	assert_int_equal(M(rep, "F", "axbab"), 0);
	free(det);
	free(val);
}

static void test_base64_family(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    F|base64: 'foobar'\n  condition: sel", "F", "Zm9vYmFy"), 1);
	assert_int_equal(M("  sel:\n    F|base64: 'foobar'\n  condition: sel", "F", "foobar"), 0);
	const char *off = "  sel:\n    F|base64offset|contains: 'foobar'\n  condition: sel";
	assert_int_equal(M(off, "F", "xxZm9vYmFyxx"), 1);
	assert_int_equal(M(off, "F", "xxZvb2Jhcxx"), 1);
	assert_int_equal(M(off, "F", "xxmb29iYXxx"), 1);
	assert_int_equal(M(off, "F", "Zm9vYmF"), 0);
	assert_int_equal(M("  sel:\n    F|wide|base64: 'cmd'\n  condition: sel", "F", "YwBtAGQA"), 1);
	assert_int_equal(M("  sel:\n    F|utf16le|base64: 'cmd'\n  condition: sel", "F", "YwBtAGQA"), 1);
	assert_int_equal(M("  sel:\n    F|utf16be|base64: 'cmd'\n  condition: sel", "F", "AGMAbQBk"), 1);
	assert_int_equal(M("  sel:\n    F|utf16|base64: 'cmd'\n  condition: sel", "F", "//5jAG0AZAA="), 1);
	assert_int_equal(M("  sel:\n    F|utf16|base64: 'cmd'\n  condition: sel", "F", "YwBtAGQA"), 0);
	const char *wide_off = "  sel:\n    F|wide|base64offset|contains: 'ping'\n  condition: sel";
	assert_int_equal(M(wide_off, "F", "powershell -enc cABpAG4AZwAgAA=="), 1);
	assert_int_equal(M(wide_off, "F", "powershell -enc cGluZw=="), 0);
}

static void test_utf16_wildcards_kept(void **state)
{
	(void)state;
	/* wide on "*ab*": wildcards stay wildcards (pySigma test_wide) */
	const char raw_match[] = {'x', 'a', 0, 'b', 0, 'y'};
	vg_engine *e;
	st_rejects rj;
	e = st_engine("title: t\nlogsource:\n  category: antivirus\ndetection:\n  sel:\n    F|wide: '*ab*'\n  condition: sel\n", &rj);
	assert_non_null(e);
	vg_matcher *m = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	vg_event_reset(ev, "r", 1, "-", 1);
	ev->category = VG_CATEGORY_ANTIVIRUS;
	assert_int_equal(vg_event_add_str(ev, "F", raw_match, sizeof(raw_match)), 0);
	st_hits h = {0};
	assert_int_equal(vg_matcher_run(m, ev, st_on_match, &h), 0);
	assert_int_equal(h.n, 1);
	vg_event_free(ev);
	vg_matcher_free(m);
	vg_engine_free(e);
}

static void test_windash(void **state)
{
	(void)state;
	const char *d = "  sel:\n    F|windash|contains: ' -s '\n  condition: sel";
	assert_int_equal(M(d, "F", "ping -s x"), 1);
	assert_int_equal(M(d, "F", "ping /s x"), 1);
	assert_int_equal(M(d, "F", "ping \xe2\x80\x93s x"), 1); /* en dash */
	assert_int_equal(M(d, "F", "ping \xe2\x80\x94s x"), 1); /* em dash */
	assert_int_equal(M(d, "F", "ping \xe2\x80\x95s x"), 1); /* horizontal bar */
	assert_int_equal(M(d, "F", "ping s x"), 0);
	/* a dash inside a word is not a flag: a-b stays a-b */
	const char *w = "  sel:\n    F|windash: 'a-b'\n  condition: sel";
	assert_int_equal(M(w, "F", "a-b"), 1);
	assert_int_equal(M(w, "F", "a/b"), 0);
}

static void test_windash_expansion(void **state)
{
	(void)state;
	vg_arena *a = vg_arena_new(0), *t = vg_arena_new(0);
	vg_ydoc_list d;
	char err[256];
	assert_int_equal(vg_yaml_parse(a, "'-foo /bar'", 11, &d, err, sizeof(err)), 0);
	vg_item it;
	size_t budget = 100000;
	assert_int_equal(vg_value_build(a, t, "F", "windash", d.docs[0], &it, &budget, err, sizeof(err)), 0);
	assert_int_equal(it.nvals, 1);
	assert_int_equal(it.natoms, 25);
	assert_int_equal(budget, 100000 - 25);
	assert_int_equal(it.atoms[0].len, 9);
	assert_memory_equal(it.atoms[0].pat, "-foo -bar", 9);
	assert_memory_equal(it.atoms[1].pat, "/foo -bar", 9);
	assert_memory_equal(it.atoms[2].pat, "\xe2\x80\x93" "foo -bar", 11);
	assert_memory_equal(it.atoms[24].pat, "\xe2\x80\x95" "foo \xe2\x80\x95" "bar", 13);
	budget = 20;
	assert_int_equal(vg_value_build(a, t, "F", "windash", d.docs[0], &it, &budget, err, sizeof(err)), VG_ELIMIT);
	assert_string_equal(err, "more than 100000 values after expansion");
	vg_arena_free(t);
	vg_arena_free(a);
}

static void test_base64offset_variants(void **state)
{
	(void)state;
	vg_arena *a = vg_arena_new(0), *t = vg_arena_new(0);
	vg_ydoc_list d;
	char err[256];
	vg_item it;
	size_t budget = 1000;
	assert_int_equal(vg_yaml_parse(a, "ping", 4, &d, err, sizeof(err)), 0);
	assert_int_equal(vg_value_build(a, t, "F", "base64offset", d.docs[0], &it, &budget, err, sizeof(err)), 0);
	assert_int_equal(it.natoms, 3);
	assert_int_equal(it.atoms[0].len, 5);
	assert_memory_equal(it.atoms[0].pat, "cGluZ", 5);
	assert_int_equal(it.atoms[1].len, 4);
	assert_memory_equal(it.atoms[1].pat, "Bpbm", 4);
	assert_int_equal(it.atoms[2].len, 5);
	assert_memory_equal(it.atoms[2].pat, "waW5n", 5);
	vg_arena_free(t);
	vg_arena_free(a);
}

static void test_exists_null_empty(void **state)
{
	(void)state;
	const char *ex = "  sel:\n    F|exists: true\n  condition: sel";
	assert_int_equal(M(ex, "F", ""), 1);
	assert_int_equal(M(ex, "G", "x"), 0);
	const char *nex = "  sel:\n    F|exists: false\n  condition: sel";
	assert_int_equal(M(nex, "G", "x"), 1);
	assert_int_equal(M(nex, "F", "x"), 0);
	const char *nul = "  sel:\n    F: null\n  condition: sel";
	assert_int_equal(M(nul, "G", "x"), 1);
	assert_int_equal(M(nul, "F", "\x01NULL"), 1);
	assert_int_equal(M(nul, "F", ""), 0);
	assert_int_equal(M(nul, "F", "x"), 0);
	const char *notnul = "  sel:\n    F: null\n  condition: not sel";
	assert_int_equal(M(notnul, "F", "x"), 1);
	assert_int_equal(M(notnul, "G", "x"), 0);
	const char *emp = "  sel:\n    F: ''\n  condition: sel";
	assert_int_equal(M(emp, "F", ""), 1);
	assert_int_equal(M(emp, "F", "x"), 0);
	assert_int_equal(M(emp, "G", ""), 0);
	/* null inside a value list */
	const char *mix = "  sel:\n    F:\n      - null\n      - ''\n  condition: sel";
	assert_int_equal(M(mix, "G", "x"), 1);
	assert_int_equal(M(mix, "F", ""), 1);
	assert_int_equal(M(mix, "F", "x"), 0);
}

static void test_numbers_and_booleans(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    EventID: 4688\n  condition: sel", "EventID", "4688"), 1);
	assert_int_equal(M("  sel:\n    EventID: 4688\n  condition: sel", "EventID", "46880"), 0);
	assert_int_equal(M("  sel:\n    EventID: [1, 4688]\n  condition: sel", "EventID", "1"), 1);
	assert_int_equal(M("  sel:\n    F: 1.0\n  condition: sel", "F", "1"), 1);
	assert_int_equal(M("  sel:\n    F: 0x10\n  condition: sel", "F", "16"), 1);
	assert_int_equal(M("  sel:\n    F: true\n  condition: sel", "F", "True"), 1);
	assert_int_equal(M("  sel:\n    F: true\n  condition: sel", "F", "false"), 0);
	assert_int_equal(M("  sel:\n    F|contains: 46\n  condition: sel", "F", "x4688"), 1);
}

static void test_numeric_compare(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    N|gt: 5\n  condition: sel", "N", "6"), 1);
	assert_int_equal(M("  sel:\n    N|gt: 5\n  condition: sel", "N", "5"), 0);
	assert_int_equal(M("  sel:\n    N|gt: 5\n  condition: sel", "N", "abc"), 0);
	assert_int_equal(M("  sel:\n    N|gte: 5\n  condition: sel", "N", "5"), 1);
	assert_int_equal(M("  sel:\n    N|gte: 5\n  condition: sel", "N", "4.99"), 0);
	assert_int_equal(M("  sel:\n    N|lt: 5\n  condition: sel", "N", "4.5"), 1);
	assert_int_equal(M("  sel:\n    N|lt: 5\n  condition: sel", "N", "5"), 0);
	assert_int_equal(M("  sel:\n    N|lte: 5\n  condition: sel", "N", "5"), 1);
	assert_int_equal(M("  sel:\n    N|lte: 5\n  condition: sel", "N", "6"), 0);
	assert_int_equal(M("  sel:\n    N|lte: -1.5\n  condition: sel", "N", "-2"), 1);
	assert_int_equal(M("  sel:\n    N|gt: 5\n  condition: sel", "M", "9"), 0);
}

static void test_neq(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    F|neq: 'x'\n  condition: sel", "F", "y"), 1);
	assert_int_equal(M("  sel:\n    F|neq: 'x'\n  condition: sel", "F", "X"), 0);
	assert_int_equal(M("  sel:\n    F|neq: 'x'\n  condition: sel", "G", "x"), 1);
	assert_int_equal(M("  sel:\n    F|neq: [a, b]\n  condition: sel", "F", "b"), 0);
	assert_int_equal(M("  sel:\n    F|neq: [a, b]\n  condition: sel", "F", "c"), 1);
	assert_int_equal(M("  sel:\n    N|neq: 5\n  condition: sel", "N", "5"), 0);
	assert_int_equal(M("  sel:\n    N|neq: 5\n  condition: sel", "N", "6"), 1);
}

static void test_cidr(void **state)
{
	(void)state;
	const char *d = "  sel:\n    Ip|cidr: 10.0.0.0/8\n  condition: sel";
	assert_int_equal(M(d, "Ip", "10.1.2.3"), 1);
	assert_int_equal(M(d, "Ip", "11.0.0.1"), 0);
	assert_int_equal(M(d, "Ip", "not-an-ip"), 0);
	const char *l = "  sel:\n    Ip|cidr: ['192.168.0.0/16', '172.16.0.0/12']\n  condition: sel";
	assert_int_equal(M(l, "Ip", "172.31.255.255"), 1);
	assert_int_equal(M(l, "Ip", "172.32.0.0"), 0);
	const char *six = "  sel:\n    Ip|cidr: 'fe80::/10'\n  condition: sel";
	assert_int_equal(M(six, "Ip", "fe80::1"), 1);
	assert_int_equal(M(six, "Ip", "febf::1"), 1);
	assert_int_equal(M(six, "Ip", "2001:db8::1"), 0);
	assert_int_equal(M(six, "Ip", "10.0.0.1"), 0);
	assert_int_equal(M("  sel:\n    Ip|cidr: '::1/128'\n  condition: sel", "Ip", "::1"), 1);
	assert_int_equal(M("  sel:\n    Ip|cidr: 10.1.2.3\n  condition: sel", "Ip", "10.1.2.3"), 1);
}

static void test_fieldref(void **state)
{
	(void)state;
	const char *d = "  sel:\n    A|fieldref: B\n  condition: sel";
	assert_int_equal(M(d, "A", "x", "B", "X"), 1);
	assert_int_equal(M(d, "A", "x", "B", "y"), 0);
	assert_int_equal(M(d, "A", "x"), 0);
	assert_int_equal(M("  sel:\n    A|fieldref|cased: B\n  condition: sel", "A", "x", "B", "X"), 0);
	assert_int_equal(M("  sel:\n    A|fieldref|startswith: B\n  condition: sel", "A", "foobar", "B", "foo"), 1);
	assert_int_equal(M("  sel:\n    A|fieldref|startswith: B\n  condition: sel", "A", "foobar", "B", "bar"), 0);
	assert_int_equal(M("  sel:\n    A|fieldref|endswith: B\n  condition: sel", "A", "foobar", "B", "bar"), 1);
	assert_int_equal(M("  sel:\n    A|fieldref|contains: B\n  condition: sel", "A", "foobar", "B", "oba"), 1);
	assert_int_equal(M("  sel:\n    A|fieldref|contains: B\n  condition: sel", "A", "foobar", "B", "abo"), 0);
	/* used as a filter, as in SigmaHQ's cross-user spawn rule */
	const char *f = "  sel:\n    A: x\n  filter:\n    A|fieldref: B\n  condition: sel and not filter";
	assert_int_equal(M(f, "A", "x", "B", "y"), 1);
	assert_int_equal(M(f, "A", "x", "B", "x"), 0);
}

static void test_time_parts(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    T|hour: 5\n  condition: sel", "T", "2026-04-17T05:24:53Z"), 1);
	assert_int_equal(M("  sel:\n    T|hour: 6\n  condition: sel", "T", "2026-04-17T05:24:53Z"), 0);
	assert_int_equal(M("  sel:\n    T|minute: 24\n  condition: sel", "T", "2026-04-17 05:24:53.079"), 1);
	assert_int_equal(M("  sel:\n    T|day: 17\n  condition: sel", "T", "2026-04-17T05:24:53Z"), 1);
	assert_int_equal(M("  sel:\n    T|week: 16\n  condition: sel", "T", "2026-04-17T05:24:53Z"), 1);
	assert_int_equal(M("  sel:\n    T|week: 53\n  condition: sel", "T", "2021-01-01T00:00:00Z"), 1);
	assert_int_equal(M("  sel:\n    T|month: 4\n  condition: sel", "T", "2026-04-17T05:24:53Z"), 1);
	assert_int_equal(M("  sel:\n    T|year: 2026\n  condition: sel", "T", "2026-04-17T05:24:53Z"), 1);
	assert_int_equal(M("  sel:\n    T|hour|gte: 22\n  condition: sel", "T", "2026-04-17T23:00:00Z"), 1);
	assert_int_equal(M("  sel:\n    T|hour|gte: 22\n  condition: sel", "T", "2026-04-17T21:59:59Z"), 0);
	assert_int_equal(M("  sel:\n    T|hour: 5\n  condition: sel", "T", "not a time"), 0);
}

static void test_expand(void **state)
{
	(void)state;
	assert_int_equal(M("  sel:\n    F|expand: 'a\\%b%'\n  condition: sel", "F", "a%b%"), 1);
	char buf[640];
	assert_string_equal(st_reject1("title: t\nlogsource:\n  category: antivirus\ndetection:\n  sel:\n"
				       "    F|expand: '%Admins%'\n  condition: sel\n",
				       buf, sizeof(buf)),
			    "sel: F|expand: placeholder %Admins% has no values configured");
}

static void test_keywords(void **state)
{
	(void)state;
	const char *kw = "  kw:\n    - 'event::clear'\n    - 'Event::Drop'\n  condition: kw";
	assert_int_equal(st_match1(kw, "mimikatz EVENT::DROP now", NULL), 1);
	assert_int_equal(st_match1(kw, "mimikatz event::list", NULL), 0);
	const char *all = "  kw:\n    '|all':\n      - 'OabVirtualDirectory'\n      - ' -ExternalUrl '\n  condition: kw";
	assert_int_equal(st_match1(all, "Set-OabVirtualDirectory -ExternalUrl http://x", NULL), 1);
	assert_int_equal(st_match1(all, "Set-OabVirtualDirectory", NULL), 0);
	assert_int_equal(st_match1("  kw: 'single*word'\n  condition: kw", "a SINGLE and word", NULL), 1);
	assert_int_equal(st_match1("  kw: 'single*word'\n  condition: kw", "word single", NULL), 0);
	assert_int_equal(st_match1("  kw:\n    - 4688\n  condition: kw", "id=4688 x", NULL), 1);
	/* keywords only look at the raw record, never at fields */
	assert_int_equal(st_match1("  kw:\n    - 'needle'\n  condition: kw", "haystack", KV("F", "needle")), 0);
}

static void test_rejected_values(void **state)
{
	(void)state;
	char buf[640];
	const char *hdr = "title: t\nlogsource:\n  category: antivirus\ndetection:\n  sel:\n";
	char yaml[1024];
#define REJ(body) (snprintf(yaml, sizeof(yaml), "%s%s\n  condition: sel\n", hdr, body), st_reject1(yaml, buf, sizeof(buf)))
	assert_string_equal(REJ("    F|foo: x"), "sel: F|foo: unknown modifier 'foo'");
	assert_string_equal(REJ("    F|re: 'a(b'"),
			    "sel: F|re: invalid regular expression 'a(b': missing closing parenthesis at offset 3");
	assert_string_equal(REJ("    F|cidr: '10.0.0.1/8'"), "sel: F|cidr: invalid cidr '10.0.0.1/8': host bits set");
	assert_string_equal(REJ("    F|cidr: '300.0.0.0/8'"), "sel: F|cidr: invalid cidr '300.0.0.0/8'");
	assert_string_equal(REJ("    F|base64: 'a*b'"),
			    "sel: F|base64: modifier 'base64': base64 encoding of strings with wildcards is not allowed");
	assert_string_equal(REJ("    F|base64|re: 'ab'"), "sel: F|base64|re: modifier 're' only applies to unmodified values");
	assert_string_equal(REJ("    F|i: 'ab'"), "sel: F|i: modifier 'i' only applies after 're'");
	assert_string_equal(REJ("    F|gt: 'abc'"), "sel: F|gt: modifier 'gt' needs a number");
	assert_string_equal(REJ("    F|exists: maybe"), "sel: F|exists: modifier 'exists' needs true or false");
	assert_string_equal(REJ("    F|fieldref: 'a*'"), "sel: F|fieldref: modifier 'fieldref' needs a plain field name");
	assert_string_equal(REJ("    F:\n      k: v"), "sel: F: a map is not a valid value (line 7)");
	assert_string_equal(REJ("    F|contains: null"), "sel: F|contains: modifier 'contains' cannot be applied to a null value");
	assert_string_equal(REJ("    F: ok"), "");
#undef REJ
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_case),
		cmocka_unit_test(test_wildcards_and_escaping),
		cmocka_unit_test(test_contains_startswith_endswith),
		cmocka_unit_test(test_lists_all_and_maps),
		cmocka_unit_test(test_cased),
		cmocka_unit_test(test_re_and_flags),
		cmocka_unit_test(test_hyperscan_refusals),
		cmocka_unit_test(test_base64_family),
		cmocka_unit_test(test_utf16_wildcards_kept),
		cmocka_unit_test(test_windash),
		cmocka_unit_test(test_windash_expansion),
		cmocka_unit_test(test_base64offset_variants),
		cmocka_unit_test(test_exists_null_empty),
		cmocka_unit_test(test_numbers_and_booleans),
		cmocka_unit_test(test_numeric_compare),
		cmocka_unit_test(test_neq),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_fieldref),
		cmocka_unit_test(test_time_parts),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_rejected_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
