/* test_matcher_cache.c — the matcher's value cache (matcher.c) must never
 * change a result: the loghub OpenSSH and Linux samples, parsed as syslog and
 * matched with SigmaHQ's linux rules, our pack and a few rules made to stress
 * the cache (anchors, more lits per value than an entry keeps, one field in
 * two logsources), give the same matches through one long-lived matcher (warm
 * cache) as through a fresh matcher per event (cold cache). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/event.h"
#include "detect/engine.h"
#include "parse/parse.h"
#include "sigma_test_util.h"

extern const vg_parser vg_parser_syslog;

static const char stress_rules[] =
	"title: many lits in one short value\n"
	"id: 7d0c8e51-0000-4000-8000-000000000001\n"
	"logsource: {product: linux, service: sshd}\n"
	"detection:\n"
	"  sel:\n"
	"    event.action|contains: [s, ss, ssh, ssh_, _f, fa, fai, fail, aile, iled, led_, password, invalid]\n"
	"  condition: sel\n"
	"level: low\n"
	"---\n"
	"title: anchored program names\n"
	"id: 7d0c8e51-0000-4000-8000-000000000002\n"
	"logsource: {product: linux, service: sshd}\n"
	"detection:\n"
	"  a:\n"
	"    process.name|startswith: 'ss'\n"
	"  b:\n"
	"    process.name|endswith: 'hd'\n"
	"  c:\n"
	"    user.name|endswith: 'admin'\n"
	"  condition: a and b and not c\n"
	"level: low\n"
	"---\n"
	"title: the same field in another logsource\n"
	"id: 7d0c8e51-0000-4000-8000-000000000003\n"
	"logsource: {product: linux}\n"
	"detection:\n"
	"  sel:\n"
	"    process.name|endswith: ['d', 'ron', 'su']\n"
	"    event.action|startswith: 'ssh_'\n"
	"  condition: sel\n"
	"level: low\n";


/* Every line of path matched warm and cold; returns the number of matches. */
static size_t diff_file(const vg_engine *e, const char *path)
{
	size_t n = 0, total = 0, lines = 0;
	char *buf = st_slurp(path, &n);
	assert_non_null(buf);
	vg_matcher *warm = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	assert_non_null(warm);
	assert_non_null(ev);
	/* twice over the file: the second pass meets every short value again */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n;) {
			const char *nl = memchr(buf + i, '\n', n - i);
			size_t len = (nl != NULL ? (size_t)(nl - buf) : n) - i;
			if (len > 0) {
				vg_event_reset(ev, buf + i, len, path, ++lines);
				ev->year_hint = 2024;
				(void)vg_parser_syslog.parse(ev);
				st_hits hw = {0}, hc = {0};
				vg_matcher *cold = vg_matcher_new(e);
				assert_non_null(cold);
				assert_int_equal(vg_matcher_run(warm, ev, st_on_match, &hw), 0);
				assert_int_equal(vg_matcher_run(cold, ev, st_on_match, &hc), 0);
				vg_matcher_free(cold);
				if (hw.n != hc.n || memcmp(hw.idx, hc.idx, hw.n * sizeof(hw.idx[0])) != 0)
					fail_msg("%s:%zu: warm cache %zu matches, cold %zu: %.*s", path, lines, hw.n, hc.n,
						 (int)len, buf + i);
				total += hw.n;
			}
			i += len + 1;
		}
	}
	vg_event_free(ev);
	vg_matcher_free(warm);
	free(buf);
	return total;
}

static void test_warm_equals_cold(void **state)
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
	assert_int_equal(vg_engine_load_buffer(e, stress_rules, sizeof(stress_rules) - 1, "stress.yml", st_on_reject, &rj), 0);
	assert_int_equal(vg_engine_compile(e, st_on_reject, &rj), 0);
	size_t stress = 0;
	for (size_t i = 0; i < vg_engine_rule_count(e); i++)
		stress += strncmp(vg_engine_rule(e, i)->id, "7d0c8e51-0000-4000-8000-", 24) == 0;
	assert_int_equal(stress, 3); /* all three compiled */

	snprintf(p, sizeof(p), "%s/loghub/OpenSSH_2k.log", corpus);
	size_t ssh = diff_file(e, p);
	snprintf(p, sizeof(p), "%s/loghub/Linux_2k.log", corpus);
	size_t lin = diff_file(e, p);
	/* the comparison means something only if rules matched, many times */
	assert_true(ssh > 2000);
	assert_true(lin > 0);
	vg_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_warm_equals_cold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
