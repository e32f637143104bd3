/* test_event_flat.c — the archive's flat event documents: for every line of
 * the Loghub corpus (syslog, sshd, Apache) and hand-made events with odd
 * values (escapes, invalid UTF-8, repeated names, non-numeric numbers),
 * re-nesting the flat document gives byte for byte what vg_event_json
 * writes; documents that are not flat are copied unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/event.h"
#include "parse/parse.h"
#include "scan/alert_json.h"

static void check_event(const vg_event *ev)
{
	vg_buf nested = {0}, flat = {0}, back = {0};
	assert_int_equal(vg_event_json(&nested, ev), 0);
	assert_int_equal(vg_event_json_flat(&flat, ev), 0);
	assert_true(flat.len > 0 && flat.data[flat.len - 1] == '\n');
	assert_int_equal(vg_event_json_renest(&back, flat.data, flat.len - 1), 0);
	if (back.len != nested.len || memcmp(back.data, nested.data, nested.len) != 0) {
		fprintf(stderr, "flat:   %.*s\nnested: %.*s\nback:   %.*s\n", (int)flat.len, flat.data, (int)nested.len,
			nested.data, (int)back.len, back.data);
		fail();
	}
	vg_buf_free(&nested);
	vg_buf_free(&flat);
	vg_buf_free(&back);
}

static void test_corpus_lines(void **state)
{
	(void)state;
	const char *corpus = getenv("VG_CORPUS");
	assert_non_null(corpus);
	const char *files[] = {"loghub/OpenSSH_2k.log", "loghub/Linux_2k.log", "loghub/Apache_2k.log"};
	vg_event *ev = vg_event_new();
	size_t total = 0;
	for (size_t fi = 0; fi < 3; fi++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", corpus, files[fi]);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		uint64_t no = 0;
		while ((n = getline(&line, &cap, f)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				n--;
			vg_event_reset(ev, line, (size_t)n, path, ++no);
			ev->year_hint = 2026;
			(void)vg_parse_record(vg_parser_find("syslog"), ev);
			check_event(ev);
			total++;
		}
		free(line);
		fclose(f);
	}
	assert_int_equal(total, 6000);
	vg_event_free(ev);
}

static void test_odd_values(void **state)
{
	(void)state;
	vg_event *ev = vg_event_new();
	static const char raw[] = "quote \" backslash \\ tab \t nl \n ctl \x01 bad \xff utf8 \xc3\xa9 end";
	vg_event_reset(ev, raw, sizeof(raw) - 1, "/var/log/x \"y\".log", 7);
	ev->ts_us = 1763726400123456LL;
	ev->format = "raw";
	assert_int_equal(vg_event_add_str(ev, "message", raw, sizeof(raw) - 1), 0);
	assert_int_equal(vg_event_add_copy(ev, "source.port", 11, "443", 3, VG_V_NUM), 0);
	assert_int_equal(vg_event_add_copy(ev, "x.num", 5, "12abc", 5, VG_V_NUM), 0);
	assert_int_equal(vg_event_add_copy(ev, "x.t", 3, "true", 4, VG_V_BOOL), 0);
	assert_int_equal(vg_event_add_copy(ev, "x.n", 3, "", 0, VG_V_NULL), 0);
	assert_int_equal(vg_event_add_copy(ev, "x", 1, "leaf", 4, VG_V_STR), 0); /* a leaf in the way of x.* */
	assert_int_equal(vg_event_add_copy(ev, "a.b.c.d", 7, "deep", 4, VG_V_STR), 0);
	check_event(ev);
	/* a repeated name: written nested (arrays), copied back unchanged */
	assert_int_equal(vg_event_add_copy(ev, "user.name", 9, "a", 1, VG_V_STR), 0);
	assert_int_equal(vg_event_add_copy(ev, "user.name", 9, "b", 1, VG_V_STR), 0);
	check_event(ev);
	vg_event_free(ev);
}

static void test_not_flat_copied(void **state)
{
	(void)state;
	const char *docs[] = {"{\"a\":{\"b\":1}}", "{\"a\":[1,2]}", "not json", "{}", "{\"a\":\"\\u00e9\"}"};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		vg_buf out = {0};
		assert_int_equal(vg_event_json_renest(&out, docs[i], strlen(docs[i])), 0);
		assert_int_equal(out.len, strlen(docs[i]) + 1);
		assert_memory_equal(out.data, docs[i], strlen(docs[i]));
		vg_buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_lines),
		cmocka_unit_test(test_odd_values),
		cmocka_unit_test(test_not_flat_copied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
