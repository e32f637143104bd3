/* test_matcher_block.c — the keyword block scan (vg_matcher_set_block,
 * matcher.c) must never change a result: records concatenated as the reader
 * lays out a batch (no separator between them) give the same matches through
 * a matcher told about the block as through one that is not. Covers keywords
 * hit several times in one record and in many records, matches straddling two
 * records (of fixed and of variable length), a multi-line record, records
 * outside the block or met out of order, more hits than the scan keeps, a
 * partition whose keywords include a regex (no block database), field
 * gates (a field's value scan skipped when the block scan finds none of its
 * patterns in the record: anchored patterns, regexes with assertions;
 * values holding them, values only the gate holds; beside a field of exact
 * values, which takes no gate), and the loghub
 * Linux and OpenSSH samples with SigmaHQ's linux rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/event.h"
#include "core/logsource.h"
#include "detect/engine.h"
#include "detect/sigma_compile.h"
#include "parse/parse.h"
#include "sigma_test_util.h"

extern const vg_parser vg_parser_syslog;

static const char rules[] =
	"title: plain keyword\n"
	"id: 5b1c0000-0000-4000-8000-000000000001\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  keywords: [needle]\n"
	"  condition: keywords\n"
	"---\n"
	"title: keyword with an inner star\n"
	"id: 5b1c0000-0000-4000-8000-000000000002\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  keywords: ['wget *; chmod']\n"
	"  condition: keywords\n"
	"---\n"
	"title: keyword with a question mark\n"
	"id: 5b1c0000-0000-4000-8000-000000000003\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  keywords: ['foo?bar']\n"
	"  condition: keywords\n"
	"---\n"
	"title: keyword hit everywhere\n"
	"id: 5b1c0000-0000-4000-8000-000000000004\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  keywords: [aaa]\n"
	"  condition: keywords\n"
	"---\n"
	"title: two keywords, both\n"
	"id: 5b1c0000-0000-4000-8000-000000000005\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  k1: [needle]\n"
	"  k2: [two]\n"
	"  condition: k1 and not k2\n"
	"---\n"
	"title: regex keyword in another partition\n"
	"id: 5b1c0000-0000-4000-8000-000000000006\n"
	"logsource: {product: linux, category: process_creation}\n"
	"detection:\n"
	"  re:\n"
	"    '|re': 'ne+dle'\n"
	"  plain: [chmod]\n"
	"  condition: re or plain\n";


/* Records laid out as a batch: bytes back to back, offsets and lengths. */
typedef struct block {
	char *buf;
	size_t len, cap;
	size_t *off, *rlen;
	size_t n, capn;
} block;

static void block_add(block *b, const char *rec, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		assert_non_null(b->buf = realloc(b->buf, b->cap));
	}
	if (b->n == b->capn) {
		b->capn = b->capn * 2 + 64;
		assert_non_null(b->off = realloc(b->off, b->capn * sizeof(*b->off)));
		assert_non_null(b->rlen = realloc(b->rlen, b->capn * sizeof(*b->rlen)));
	}
	memcpy(b->buf + b->len, rec, n);
	b->off[b->n] = b->len;
	b->rlen[b->n++] = n;
	b->len += n;
}

static void block_free(block *b)
{
	free(b->buf);
	free(b->off);
	free(b->rlen);
}

/* One event of raw text (parsed as syslog, or linux process_creation) through
 * both matchers; returns the number of matches. */
static size_t run_one(vg_matcher *blk, vg_matcher *plain, vg_event *ev, const char *raw, size_t n, int syslog)
{
	st_hits hb = {0}, hp = {0};
	vg_event_reset(ev, raw, n, "-", 1);
	if (syslog) {
		ev->year_hint = 2024;
		(void)vg_parser_syslog.parse(ev);
	} else {
		ev->product = VG_PRODUCT_LINUX;
		ev->category = VG_CATEGORY_PROCESS_CREATION;
	}
	assert_int_equal(vg_matcher_run(blk, ev, st_on_match, &hb), 0);
	assert_int_equal(vg_matcher_run(plain, ev, st_on_match, &hp), 0);
	if (hb.n != hp.n || memcmp(hb.idx, hp.idx, hb.n * sizeof(hb.idx[0])) != 0)
		fail_msg("block scan %zu matches, record scan %zu: %.*s", hb.n, hp.n, (int)n, raw);
	return hb.n;
}

/* Every record of b in order (then the first again: before the cursor), and
 * one outside the block; the block matcher knows the block. */
static size_t run_block(vg_matcher *blk, vg_matcher *plain, vg_event *ev, const block *b, int syslog)
{
	size_t total = 0;
	vg_matcher_set_block(blk, b->buf, b->len);
	for (size_t i = 0; i < b->n; i++)
		total += run_one(blk, plain, ev, b->buf + b->off[i], b->rlen[i], syslog);
	if (b->n != 0)
		total += run_one(blk, plain, ev, b->buf + b->off[0], b->rlen[0], syslog);
	static const char outside[] = "needle outside the block, wget a; chmod b";
	total += run_one(blk, plain, ev, outside, sizeof(outside) - 1, syslog);
	vg_matcher_set_block(blk, NULL, 0);
	return total;
}

/* The matches of one record of b, through a fresh plain matcher. */
static size_t matches_of(const vg_engine *e, const char *raw, size_t n)
{
	vg_matcher *m = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	assert_non_null(m);
	assert_non_null(ev);
	size_t k = run_one(m, m, ev, raw, n, 0);
	vg_event_free(ev);
	vg_matcher_free(m);
	return k;
}

static void test_synthetic(void **state)
{
	(void)state;
	st_rejects rj = {0};
	vg_engine *e = vg_engine_new();
	assert_non_null(e);
	assert_int_equal(vg_engine_load_buffer(e, rules, sizeof(rules) - 1, "block.yml", st_on_reject, &rj), 0);
	assert_int_equal(vg_engine_compile(e, st_on_reject, &rj), 0);
	assert_int_equal(rj.n, 0);
	assert_int_equal(vg_engine_rule_count(e), 6);
	/* one partition scans blocks, the regex one does not */
	int with = 0, without = 0;
	for (size_t i = 0; i < e->nparts; i++) {
		with += e->parts[i].rawblk.nlits != 0;
		without += e->parts[i].raw.nlits != 0 && e->parts[i].rawblk.nlits == 0;
	}
	assert_int_equal(with, 1);
	assert_int_equal(without, 1);

	static const char *const recs[] = {
		"x needle y needle", /* twice in one record */
		"nothing here",
		"it ends with nee",  /* "needle" across two records: neither holds it */
		"dle and starts here",
		"wget http://a/b",   /* "wget *; chmod" across two records */
		"; chmod +x b",
		"wget x; chmod +x y",
		"line one\nNEEDLE two", /* multi-line, other case */
		"fooXbar and fooYbar",
		"needle",
		"foo",
		"Zbar",
	};
	block b = {0};
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		block_add(&b, recs[i], strlen(recs[i]));
	/* what the records hold on their own */
	assert_int_equal(matches_of(e, recs[0], strlen(recs[0])), 3); /* plain, k1 and not k2, regex */
	assert_int_equal(matches_of(e, recs[3], strlen(recs[3])), 0);
	assert_int_equal(matches_of(e, recs[5], strlen(recs[5])), 1); /* chmod only */
	assert_int_equal(matches_of(e, recs[6], strlen(recs[6])), 2); /* inner star, chmod */
	assert_int_equal(matches_of(e, recs[7], strlen(recs[7])), 1); /* plain (caseless) only */

	vg_matcher *blk = vg_matcher_new(e), *plain = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	assert_non_null(blk);
	assert_non_null(plain);
	assert_non_null(ev);
	size_t total = run_block(blk, plain, ev, &b, 0);
	assert_true(total >= 10);
	/* the same matcher, another block: state of the last one is gone */
	block b2 = {0};
	for (size_t i = sizeof(recs) / sizeof(recs[0]); i-- > 0;)
		block_add(&b2, recs[i], strlen(recs[i]));
	assert_int_equal(run_block(blk, plain, ev, &b2, 0), total - 3 + 0); /* run again: "Zbar", not recs[0] */

	/* "aaa" ends ~200,000 times in this block: more hits than a scan keeps */
	block big = {0};
	char line[1024];
	memset(line, 'a', sizeof(line));
	for (int i = 0; i < 200; i++) {
		block_add(&big, line, sizeof(line));
		block_add(&big, "needle", 6);
		block_add(&big, "bbb", 3);
	}
	assert_true(run_block(blk, plain, ev, &big, 0) > 200 * 4);

	vg_event_free(ev);
	vg_matcher_free(blk);
	vg_matcher_free(plain);
	block_free(&b);
	block_free(&b2);
	block_free(&big);
	vg_engine_free(e);
}

static const char gate_rules[] =
	"title: keyword (the partition's block database)\n"
	"id: 5b1c0000-0000-4000-8000-000000000011\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  keywords: [kwneedle]\n"
	"  condition: keywords\n"
	"---\n"
	"title: message contains\n"
	"id: 5b1c0000-0000-4000-8000-000000000012\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  sel:\n"
	"    message|contains: 'gate needle'\n"
	"  condition: sel\n"
	"---\n"
	"title: message ends with\n"
	"id: 5b1c0000-0000-4000-8000-000000000013\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  sel:\n"
	"    message|endswith: 'tail end'\n"
	"  condition: sel\n"
	"---\n"
	"title: message regex with assertions\n"
	"id: 5b1c0000-0000-4000-8000-000000000014\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  sel:\n"
	"    message|re: '^start\\b.*\\bword$'\n"
	"  other:\n"
	"    message|re: '(?i)[^a]bcde\\B'\n"
	"  condition: sel or other\n"
	"---\n"
	"title: message regex narrowed as a gate\n"
	"id: 5b1c0000-0000-4000-8000-000000000016\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  sel:\n"
	"    message|re: '(?i)(?:''|%27)\\s*(?:or|and)\\s+\\w+\\s*(?:=|like)'\n"
	"  other:\n"
	"    message|re: '(?:\\$|%24)\\{(?:\\s|%20)*jndi'\n"
	"  condition: sel or other\n"
	"---\n"
	"title: program exactly\n"
	"id: 5b1c0000-0000-4000-8000-000000000015\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  sel:\n"
	"    process.name: myprog\n"
	"  condition: sel\n";

/* Field gates: every record through a block matcher and a plain one. */
static void test_gates(void **state)
{
	(void)state;
	st_rejects rj = {0};
	vg_engine *e = vg_engine_new();
	assert_non_null(e);
	assert_int_equal(vg_engine_load_buffer(e, gate_rules, sizeof(gate_rules) - 1, "gates.yml", st_on_reject, &rj),
			 0);
	assert_int_equal(vg_engine_compile(e, st_on_reject, &rj), 0);
	assert_int_equal(rj.n, 0);
	static const char *const recs[] = {
		"Mar  1 00:00:00 host myprog[1]: a gate needle here",
		"Mar  1 00:00:00 host other[2]: ends with the tail end",
		"Mar  1 00:00:00 host other[2]: the tail end is not the end",
		"Mar  1 00:00:00 host other[2]: start the word",
		"Mar  1 00:00:00 host other[2]: xstart the word",
		"Mar  1 00:00:00 host other[2]: startx the word",
		"Mar  1 00:00:00 host other[2]: start the wordy",
		"Mar  1 00:00:00 host other[2]: abcdex",
		"Mar  1 00:00:00 host other[2]: ZBCDEx",
		"Mar  1 00:00:00 host other[2]: zbcde",
		"Mar  1 00:00:00 host myprogram[3]: nothing",
		"Mar  1 00:00:00 host myprog: nothing",
		"Mar  1 00:00:00 host other[4]: nothing at all",
		"Mar  1 00:00:00 host other[4]: kwneedle, gate needle elsewhere: tail end",
		"Mar  1 00:00:00 host other[5]: gate needle",
		"Mar  1 00:00:00 host other[5]: gate needl",
		"Mar  1 00:00:00 host other[6]: id=1' OR 1=1",
		"Mar  1 00:00:00 host other[6]: id=1 OR 1=1",
		"Mar  1 00:00:00 host other[6]: ${ jndi:ldap",
		"Mar  1 00:00:00 host other[6]: { jndi:ldap",
	};
	block b = {0};
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		block_add(&b, recs[i], strlen(recs[i]));
	vg_matcher *blk = vg_matcher_new(e), *plain = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	assert_non_null(blk);
	assert_non_null(plain);
	assert_non_null(ev);
	/* needle + myprog, tail end, start..word, ZBCDEx, myprog, kwneedle + needle + tail end, needle,
	 * quote or, ${ jndi (their gates narrowed: "or", "jndi" hold alone too) */
	assert_int_equal(run_block(blk, plain, ev, &b, 1), 12 + 2); /* + recs[0] again */
	/* the fields' gates are in the block database */
	uint64_t gates = 0;
	for (size_t i = 0; i < e->nparts; i++)
		gates |= e->parts[i].rawblk.gates;
	assert_true(gates != 0);
	vg_event_free(ev);
	vg_matcher_free(blk);
	vg_matcher_free(plain);
	block_free(&b);
	vg_engine_free(e);
}

/* path's lines as blocks of at most 512 records; returns the matches. */
static size_t diff_file(vg_matcher *blk, vg_matcher *plain, vg_event *ev, const char *path)
{
	size_t n = 0, total = 0;
	char *buf = st_slurp(path, &n);
	assert_non_null(buf);
	block b = {0};
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t len = (nl != NULL ? (size_t)(nl - buf) : n) - i;
		if (len > 0 && buf[i + len - 1] == '\r')
			block_add(&b, buf + i, len - 1);
		else if (len > 0)
			block_add(&b, buf + i, len);
		i += len + 1;
		if (b.n == 512 || i >= n) {
			total += run_block(blk, plain, ev, &b, 1);
			b.n = b.len = 0;
		}
	}
	block_free(&b);
	free(buf);
	return total;
}

static void test_loghub(void **state)
{
	(void)state;
	const char *corpus = getenv("VG_CORPUS"), *src = getenv("VG_SOURCE_DIR");
	if (corpus == NULL || src == NULL)
		skip();
	char p[4096];
	st_rejects rj = {0};
	vg_engine *e = vg_engine_new();
	assert_non_null(e);
	snprintf(p, sizeof(p), "%s/sigma/rules/linux", corpus);
	assert_int_equal(vg_engine_load_path(e, p, st_on_reject, &rj), 0);
	snprintf(p, sizeof(p), "%s/rules", src);
	assert_int_equal(vg_engine_load_path(e, p, st_on_reject, &rj), 0);
	assert_int_equal(vg_engine_load_buffer(e, rules, sizeof(rules) - 1, "block.yml", st_on_reject, &rj), 0);
	assert_int_equal(vg_engine_compile(e, st_on_reject, &rj), 0);
	vg_matcher *blk = vg_matcher_new(e), *plain = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	assert_non_null(blk);
	assert_non_null(plain);
	assert_non_null(ev);
	snprintf(p, sizeof(p), "%s/loghub/OpenSSH_2k.log", corpus);
	size_t ssh = diff_file(blk, plain, ev, p);
	snprintf(p, sizeof(p), "%s/loghub/Linux_2k.log", corpus);
	size_t lin = diff_file(blk, plain, ev, p);
	assert_true(ssh > 2000);
	assert_true(lin > 0);
	vg_event_free(ev);
	vg_matcher_free(blk);
	vg_matcher_free(plain);
	vg_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_gates),
		cmocka_unit_test(test_loghub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
