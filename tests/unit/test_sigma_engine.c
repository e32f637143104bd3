/* test_sigma_engine.c — the engine API end to end: rule metadata, logsource
 * selection (registry_event, unknown logsources), callback order, condition
 * semantics, rejections with their reasons, multi-document files,
 * correlation rules, field mapping and directory loading. */
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

#include "core/limits.h"
#include "sigma_test_util.h"

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_rule_info(void **state)
{
	(void)state;
	st_rejects rj;
	vg_engine *e = st_engine("title: Whoami\nid: 0a2b\nname: who\nstatus: test\nlevel: high\ndescription: d\n"
				 "tags:\n  - attack.t1033\n  - attack.discovery\nlogsource:\n  product: windows\n"
				 "  category: process_creation\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n"
				 "  condition: sel\n",
				 &rj);
	assert_non_null(e);
	assert_int_equal(vg_engine_loaded(e), 1);
	assert_int_equal(vg_engine_rejected(e), 0);
	const vg_rule_info *r = vg_engine_rule(e, 0);
	assert_string_equal(r->id, "0a2b");
	assert_string_equal(r->name, "who");
	assert_string_equal(r->title, "Whoami");
	assert_string_equal(r->level, "high");
	assert_string_equal(r->status, "test");
	assert_string_equal(r->description, "d");
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[1], "attack.discovery");
	assert_string_equal(r->path, "test.yml");
	assert_string_equal(r->product, "windows");
	assert_string_equal(r->service, "");
	assert_string_equal(r->category, "process_creation");
	assert_int_equal(r->is_correlation, 0);
	assert_int_equal(r->alert, 1);
	assert_null(vg_engine_rule(e, 1));
	assert_null(vg_engine_corr_def(e, 0));
	st_hits h;
	assert_int_equal(st_run(e, VG_PRODUCT_WINDOWS, VG_SERVICE_SYSMON, VG_CATEGORY_PROCESS_CREATION, "r",
				KV("winlog.event_data.Image", "C:\\Windows\\System32\\whoami.exe"), &h),
			 1);
	/* the field is mapped: the bare Sigma name is not read */
	assert_int_equal(st_run(e, VG_PRODUCT_WINDOWS, VG_SERVICE_SYSMON, VG_CATEGORY_PROCESS_CREATION, "r",
				KV("Image", "C:\\Windows\\System32\\whoami.exe"), &h),
			 0);
	vg_engine_free(e);
}

static const char *ls_rules =
	"title: any\nlogsource:\n  product: windows\ndetection:\n  k: ['needle']\n  condition: k\n"
	"---\ntitle: sysmon\nlogsource:\n  product: windows\n  service: sysmon\ndetection:\n  k: ['needle']\n  condition: k\n"
	"---\ntitle: regev\nlogsource:\n  product: windows\n  category: registry_event\ndetection:\n  k: ['needle']\n  condition: k\n"
	"---\ntitle: regset\nlogsource:\n  product: windows\n  category: registry_set\ndetection:\n  k: ['needle']\n  condition: k\n"
	"---\ntitle: macos\nlogsource:\n  product: macos\ndetection:\n  k: ['needle']\n  condition: k\n"
	"---\ntitle: nols\ndetection:\n  k: ['needle']\n  condition: k\n"
	"---\ntitle: linux\nlogsource:\n  product: linux\ndetection:\n  k: ['needle']\n  condition: k\n";

static void test_logsource_selection(void **state)
{
	(void)state;
	st_rejects rj;
	vg_engine *e = st_engine(ls_rules, &rj);
	assert_non_null(e);
	assert_int_equal(vg_engine_loaded(e), 7);
	st_hits h;
	/* registry_set event: any(0), regev(2) via the registry_event special case, regset(3), nols(5) */
	assert_int_equal(st_run(e, VG_PRODUCT_WINDOWS, VG_SERVICE_SYSMON, VG_CATEGORY_REGISTRY_SET, "a needle", NULL, &h), 5);
	assert_int_equal(h.idx[0], 0);
	assert_int_equal(h.idx[1], 1);
	assert_int_equal(h.idx[2], 2);
	assert_int_equal(h.idx[3], 3);
	assert_int_equal(h.idx[4], 5);
	/* registry_add: regev but not regset; security channel: not sysmon */
	assert_int_equal(st_run(e, VG_PRODUCT_WINDOWS, VG_SERVICE_SECURITY, VG_CATEGORY_REGISTRY_ADD, "needle", NULL, &h), 3);
	assert_int_equal(h.idx[0], 0);
	assert_int_equal(h.idx[1], 2);
	assert_int_equal(h.idx[2], 5);
	/* registry_event itself */
	assert_int_equal(st_run(e, VG_PRODUCT_WINDOWS, 0, VG_CATEGORY_REGISTRY_EVENT, "needle", NULL, &h), 3);
	/* a process_creation event meets neither registry rule */
	assert_int_equal(st_run(e, VG_PRODUCT_WINDOWS, 0, VG_CATEGORY_PROCESS_CREATION, "needle", NULL, &h), 2);
	/* linux: linux + nols; macos is unknown to vigil and never applies */
	assert_int_equal(st_run(e, VG_PRODUCT_LINUX, VG_SERVICE_SSHD, 0, "needle", NULL, &h), 2);
	assert_int_equal(h.idx[0], 5);
	assert_int_equal(h.idx[1], 6);
	/* an event without logsource meets only rules without one */
	assert_int_equal(st_run(e, 0, 0, 0, "needle", NULL, &h), 1);
	assert_int_equal(h.idx[0], 5);
	/* ids out of range: nothing, no crash */
	assert_int_equal(st_run(e, 200, 0, 0, "needle", NULL, &h), 0);
	assert_int_equal(st_run(e, VG_PRODUCT_WINDOWS, 0, 0, "no match", NULL, &h), 0);
	vg_engine_free(e);
}

static void test_condition_semantics(void **state)
{
	(void)state;
	const char *yaml =
		"title: c0\nlogsource:\n  category: antivirus\ndetection:\n  sel_a:\n    A: 1\n  sel_b:\n    B: 1\n"
		"  filter:\n    C: 1\n  condition: 1 of sel_* and not filter\n"
		"---\ntitle: c1\nlogsource:\n  category: antivirus\ndetection:\n  sel_a:\n    A: 1\n  sel_b:\n    B: 1\n"
		"  condition: all of them\n"
		"---\ntitle: c2\nlogsource:\n  category: antivirus\ndetection:\n  x:\n    A: 1\n  y:\n    B: 1\n  z:\n    C: 1\n"
		"  condition: 2 of them\n"
		"---\ntitle: c3\nlogsource:\n  category: antivirus\ndetection:\n  x:\n    A: 1\n  y:\n    C: 1\n"
		"  condition:\n    - x\n    - y\n"
		"---\ntitle: c4\nlogsource:\n  category: antivirus\ndetection:\n  x:\n    A: 1\n  _y:\n    B: 1\n"
		"  condition: all of them\n"
		"---\ntitle: c5\nlogsource:\n  category: antivirus\ndetection:\n  x:\n    A: 1\n  condition: not x\n";
	st_rejects rj;
	vg_engine *e = st_engine(yaml, &rj);
	assert_non_null(e);
	assert_int_equal(vg_engine_loaded(e), 6);
	st_hits h;
	uint8_t av = VG_CATEGORY_ANTIVIRUS;
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("A", "1"), &h), 3); /* c0 c3 c4 */
	assert_int_equal(h.idx[0], 0);
	assert_int_equal(h.idx[1], 3);
	assert_int_equal(h.idx[2], 4);
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("A", "1", "C", "1"), &h), 3); /* c2 c3 c4 */
	assert_int_equal(h.idx[0], 2);
	assert_int_equal(h.idx[1], 3);
	assert_int_equal(h.idx[2], 4);
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("A", "1", "B", "1"), &h), 5); /* all but c5 */
	assert_int_equal(h.idx[0], 0);
	assert_int_equal(h.idx[1], 1);
	assert_int_equal(h.idx[2], 2);
	assert_int_equal(h.idx[3], 3);
	assert_int_equal(h.idx[4], 4);
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("B", "1"), &h), 2); /* c0 c5 */
	assert_int_equal(h.idx[0], 0);
	assert_int_equal(h.idx[1], 5);
	vg_engine_free(e);
}

static void test_rejections(void **state)
{
	(void)state;
	char buf[640];
	assert_string_equal(st_reject1("title: t\nlogsource:\n  product: linux\n", buf, sizeof(buf)), "missing detection");
	assert_string_equal(st_reject1("title: t\ndetection: 5\n", buf, sizeof(buf)), "detection is not a map (line 2)");
	assert_string_equal(st_reject1("title: t\ndetection:\n  sel:\n    A: 1\n", buf, sizeof(buf)),
			    "detection has no condition");
	assert_string_equal(st_reject1("title: t\ndetection:\n  sel:\n    A: 1\n  condition: sel and other\n", buf, sizeof(buf)),
			    "condition (line 5): unknown search identifier 'other' at position 8");
	assert_string_equal(st_reject1("title: t\ndetection:\n  sel:\n    A: 1\n  condition: sel | count() > 5\n", buf, sizeof(buf)),
			    "condition (line 5): aggregation expressions (Sigma 1 '| count()' syntax) are not supported, use "
			    "a correlation rule; found '|' at position 4");
	assert_string_equal(st_reject1("title: t\ndetection:\n  sel:\n  condition: sel\n", buf, sizeof(buf)),
			    "search identifier 'sel' is empty");
	assert_string_equal(st_reject1("title: t\ndetection:\n  sel:\n    - [a]\n  condition: sel\n", buf, sizeof(buf)),
			    "search identifier 'sel': nested lists are not supported (line 4)");
	assert_string_equal(st_reject1("title: t\ndetection:\n  sel: [a\n  condition: sel\n", buf, sizeof(buf)),
			    "YAML syntax error at line 4:12: did not find expected ',' or ']' while parsing a flow sequence");
	assert_string_equal(st_reject1("- a\n- b\n", buf, sizeof(buf)), "document is not a map (line 1)");
	assert_string_equal(st_reject1("title: f\nfilter:\n  rules: [x]\n", buf, sizeof(buf)),
			    "Sigma filter documents (meta filters) are not supported");
	assert_string_equal(st_reject1("action: frobnicate\ntitle: t\n", buf, sizeof(buf)), "unknown action 'frobnicate'");
	/* the rule id is reported with the reason */
	st_rejects rj;
	vg_engine *e = st_engine("title: t\nid: abc-123\ndetection:\n  condition: x\n", &rj);
	assert_non_null(e);
	assert_int_equal(rj.n, 1);
	assert_string_equal(rj.last_id, "abc-123");
	assert_string_equal(rj.last, "condition (line 4): unknown search identifier 'x' at position 0");
	assert_int_equal(vg_engine_rejected(e), 1);
	assert_int_equal(vg_engine_loaded(e), 0);
	vg_engine_free(e);
}

static void test_limits(void **state)
{
	(void)state;
	char buf[640];
	/* nesting deeper than VG_MAX_RULE_DEPTH */
	char deep[512] = "title: t\ndetection:\n  sel:\n    A: ";
	for (int i = 0; i < VG_MAX_RULE_DEPTH; i++)
		strcat(deep, "[");
	for (int i = 0; i < VG_MAX_RULE_DEPTH; i++)
		strcat(deep, "]");
	strcat(deep, "\n  condition: sel\n");
	assert_string_equal(st_reject1(deep, buf, sizeof(buf)), "YAML limit exceeded at line 4:21: nesting too deep");
	assert_string_equal(st_reject1("a: &x 1\nb: *x\n", buf, sizeof(buf)),
			    "unsupported YAML at line 2:4: YAML aliases are not supported");
	/* file too large */
	size_t big = VG_MAX_RULE_FILE + 1;
	char *huge = malloc(big + 1);
	assert_non_null(huge);
	memset(huge, '#', big);
	huge[big] = '\0';
	assert_string_equal(st_reject1(huge, buf, sizeof(buf)), "file too large (1048577 bytes, limit 1048576)");
	free(huge);
	/* too many values after expansion */
	char many[4096] = "title: t\nlogsource:\n  category: antivirus\ndetection:\n  sel:\n    F|windash: '";
	for (int i = 0; i < 8; i++)
		strcat(many, " -a");
	strcat(many, "'\n  condition: sel\n");
	assert_string_equal(st_reject1(many, buf, sizeof(buf)), "sel: F|windash: more than 100000 values after expansion");
}

static void test_multi_document_actions(void **state)
{
	(void)state;
	const char *yaml = "action: global\ntitle: base\nlogsource:\n  category: antivirus\ndetection:\n"
			   "  filter:\n    F: bad\n  condition: sel and not filter\nlevel: low\n"
			   "---\nid: r1\ndetection:\n  sel:\n    A: 1\n"
			   "---\nid: r2\nlevel: high\ndetection:\n  sel:\n    B: 1\n"
			   "---\naction: repeat\nid: r3\ndetection:\n  sel:\n    C: 1\n"
			   "---\naction: reset\n"
			   "---\nid: r4\ntitle: alone\nlogsource:\n  category: antivirus\ndetection:\n  sel:\n    D: 1\n"
			   "  condition: sel\n";
	st_rejects rj;
	vg_engine *e = st_engine(yaml, &rj);
	assert_non_null(e);
	assert_int_equal(rj.n, 0);
	assert_int_equal(vg_engine_loaded(e), 4);
	assert_string_equal(vg_engine_rule(e, 0)->title, "base");
	assert_string_equal(vg_engine_rule(e, 0)->level, "low");
	assert_string_equal(vg_engine_rule(e, 1)->level, "high");
	assert_string_equal(vg_engine_rule(e, 2)->id, "r3");
	assert_string_equal(vg_engine_rule(e, 2)->level, "high"); /* repeat: the previous rule, changed */
	assert_string_equal(vg_engine_rule(e, 3)->level, "");     /* reset: no global part */
	st_hits h;
	uint8_t av = VG_CATEGORY_ANTIVIRUS;
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("A", "1"), &h), 1);
	assert_int_equal(h.idx[0], 0);
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("A", "1", "F", "bad"), &h), 0);
	/* repeat deep-merges into the previous rule: r3's sel is {B: 1, C: 1} */
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("C", "1"), &h), 0);
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("B", "1", "C", "1"), &h), 2);
	assert_int_equal(h.idx[0], 1);
	assert_int_equal(h.idx[1], 2);
	assert_int_equal(st_run(e, 0, 0, av, "r", KV("D", "1"), &h), 1);
	assert_int_equal(h.idx[0], 3);
	vg_engine_free(e);
}

static const char *corr_yaml =
	"title: failed login\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\nname: failed_login\nlogsource:\n"
	"  product: windows\n  service: security\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n"
	"---\ntitle: ok login\nid: ok-id\nname: ok_login\nlogsource:\n  product: windows\n  service: security\n"
	"detection:\n  sel:\n    EventID: 4624\n  condition: sel\n"
	"---\ntitle: unrelated\nid: un-id\nlogsource:\n  product: windows\n  service: security\n"
	"detection:\n  sel:\n    EventID: 1102\n  condition: sel\n"
	"---\ntitle: Many failed logins\nid: c1\nlevel: high\ncorrelation:\n  type: event_count\n  rules:\n"
	"    - 5638f7c0-ac70-491d-8465-2a65075e0d86\n  group-by:\n    - TargetUserName\n    - IpAddress\n"
	"  timespan: 5m\n  condition:\n    gt: 10\n    lte: 100\n"
	"---\ntitle: Users per host\nid: c2\ncorrelation:\n  type: value_count\n  rules: [failed_login]\n"
	"  group-by: [IpAddress]\n  timespan: 1h\n  condition:\n    field: TargetUserName\n    gte: 3\n"
	"---\ntitle: brute then success\nid: c3\nname: chain\ncorrelation:\n  type: temporal_ordered\n"
	"  rules: [c1, ok_login]\n  group-by: [user]\n  timespan: 1d\n  aliases:\n    user:\n"
	"      c1: TargetUserName\n      ok_login: TargetUserName\n";

static void test_correlation(void **state)
{
	(void)state;
	st_rejects rj;
	vg_engine *e = st_engine(corr_yaml, &rj);
	assert_non_null(e);
	assert_int_equal(rj.n, 0);
	assert_int_equal(vg_engine_rule_count(e), 6);
	assert_int_equal(vg_engine_rule(e, 0)->alert, 0); /* used by correlations, generate defaults to false */
	assert_int_equal(vg_engine_rule(e, 1)->alert, 0);
	assert_int_equal(vg_engine_rule(e, 2)->alert, 1);
	assert_int_equal(vg_engine_rule(e, 3)->alert, 0); /* c1 is chained into c3 */
	assert_int_equal(vg_engine_rule(e, 5)->alert, 1);
	assert_int_equal(vg_engine_rule(e, 3)->is_correlation, 1);
	assert_string_equal(vg_engine_rule(e, 3)->level, "high");

	const vg_corr_def *c1 = vg_engine_corr_def(e, 3);
	assert_non_null(c1);
	assert_int_equal(c1->type, VG_CORR_EVENT_COUNT);
	assert_int_equal(c1->nrules, 1);
	assert_int_equal(c1->rules[0], 0);
	assert_int_equal(c1->ngroup, 2);
	assert_string_equal(c1->group_by[1], "IpAddress");
	assert_int_equal(c1->timespan_us, 300LL * 1000000);
	assert_int_equal(c1->nconds, 2);
	assert_int_equal(c1->conds[0].op, VG_CMP_GT);
	assert_int_equal(c1->conds[0].value, 10);
	assert_int_equal(c1->conds[1].op, VG_CMP_LTE);
	assert_int_equal(c1->conds[1].value, 100);
	assert_null(c1->value_field);

	const vg_corr_def *c2 = vg_engine_corr_def(e, 4);
	assert_int_equal(c2->type, VG_CORR_VALUE_COUNT);
	assert_int_equal(c2->rules[0], 0);
	assert_string_equal(c2->value_field, "TargetUserName");
	assert_int_equal(c2->timespan_us, 3600LL * 1000000);
	assert_int_equal(c2->conds[0].op, VG_CMP_GTE);
	assert_int_equal(c2->conds[0].value, 3);

	const vg_corr_def *c3 = vg_engine_corr_def(e, 5);
	assert_int_equal(c3->type, VG_CORR_TEMPORAL_ORDERED);
	assert_int_equal(c3->nrules, 2);
	assert_int_equal(c3->rules[0], 3);
	assert_int_equal(c3->rules[1], 1);
	assert_int_equal(c3->timespan_us, 86400LL * 1000000);
	assert_int_equal(c3->nconds, 1); /* temporal default: all referenced rules */
	assert_int_equal(c3->conds[0].op, VG_CMP_GTE);
	assert_int_equal(c3->conds[0].value, 2);
	assert_int_equal(c3->naliases, 1);
	assert_string_equal(c3->aliases[0].name, "user");
	assert_string_equal(c3->aliases[0].rule_fields[0], "TargetUserName");
	assert_string_equal(c3->aliases[0].rule_fields[1], "TargetUserName");

	/* field mapping: base rule and correlations (through their first base rule) */
	size_t n;
	const char *const *names = vg_engine_map_field(e, 0, "TargetUserName", &n);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "winlog.event_data.TargetUserName");
	names = vg_engine_map_field(e, 5, "IpAddress", &n);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "winlog.event_data.IpAddress");
	names = vg_engine_map_field(e, 0, "EventID", &n);
	assert_string_equal(names[0], "winlog.event_id");
	assert_null(vg_engine_map_field(e, 99, "x", &n));
	assert_int_equal(n, 0);

	/* correlations never reach the match callback; base rules still do */
	st_hits h;
	assert_int_equal(st_run(e, VG_PRODUCT_WINDOWS, VG_SERVICE_SECURITY, 0, "r", KV("winlog.event_id", "4625"), &h), 1);
	assert_int_equal(h.idx[0], 0);
	vg_engine_free(e);
}

static void test_correlation_generate_and_errors(void **state)
{
	(void)state;
	const char *base = "title: b\nname: base\nlogsource:\n  product: linux\ndetection:\n  k: [x]\n  condition: k\n";
	char yaml[2048], buf[640];
	snprintf(yaml, sizeof(yaml), "%s---\ntitle: c\ngenerate: true\ncorrelation:\n  type: event_count\n  rules: [base]\n"
		 "  timespan: 10s\n  condition:\n    gte: 2\n", base);
	st_rejects rj;
	vg_engine *e = st_engine(yaml, &rj);
	assert_non_null(e);
	assert_int_equal(vg_engine_rule(e, 0)->alert, 1);
	assert_int_equal(vg_engine_corr_def(e, 1)->ngroup, 0);
	vg_engine_free(e);

#define CORR(body) (snprintf(yaml, sizeof(yaml), "%s---\ntitle: c\nid: cid\ncorrelation:\n%s", base, body), \
		     st_reject1(yaml, buf, sizeof(buf)))
	assert_string_equal(CORR("  type: event_count\n  rules: [nope]\n  timespan: 1m\n  condition:\n    gt: 1\n"),
			    "correlation references unknown rule 'nope'");
	assert_string_equal(CORR("  type: event_count\n  rules: [base]\n  timespan: 1x\n  condition:\n    gt: 1\n"),
			    "bad timespan '1x' (expected a number and s, m, h or d)");
	assert_string_equal(CORR("  type: event_count\n  rules: [base]\n  condition:\n    gt: 1\n"), "correlation has no timespan");
	assert_string_equal(CORR("  type: event_count\n  rules: [base]\n  timespan: 1m\n"),
			    "correlation event_count needs a condition (gt, gte, lt, lte, eq or neq)");
	assert_string_equal(CORR("  type: value_count\n  rules: [base]\n  timespan: 1m\n  condition:\n    gt: 1\n"),
			    "value_count correlation needs condition.field");
	assert_string_equal(CORR("  type: value_sum\n  rules: [base]\n  timespan: 1m\n"),
			    "correlation type 'value_sum' is not supported");
	assert_string_equal(CORR("  type: event_count\n  timespan: 1m\n  condition:\n    gt: 1\n"),
			    "correlation needs a list of rules");
	assert_string_equal(CORR("  type: event_count\n  rules: [base]\n  timespan: 1m\n  condition:\n    gt: many\n"),
			    "correlation condition 'gt' needs an integer");
	assert_string_equal(CORR("  type: event_count\n  rules: [base]\n  timespan: 1m\n  condition:\n    about: 1\n"),
			    "unknown correlation condition operator 'about'");
#undef CORR
	/* a cycle, and a correlation on top of a rejected one */
	snprintf(yaml, sizeof(yaml),
		 "%s---\ntitle: a\nname: ca\ncorrelation:\n  type: temporal\n  rules: [base, cb]\n  timespan: 1m\n"
		 "---\ntitle: b\nname: cb\ncorrelation:\n  type: temporal\n  rules: [ca]\n  timespan: 1m\n"
		 "---\ntitle: c\nname: cc\ncorrelation:\n  type: temporal\n  rules: [cb]\n  timespan: 1m\n",
		 base);
	e = st_engine(yaml, &rj);
	assert_non_null(e);
	assert_int_equal(rj.n, 3);
	assert_string_equal(rj.all, "correlation references form a cycle\ncorrelation references form a cycle\n"
				    "correlation references rejected rule 'cb'\n");
	assert_int_equal(vg_engine_loaded(e), 1);
	assert_int_equal(vg_engine_rule(e, 0)->alert, 1);
	vg_engine_free(e);
}

static void test_map_field(void **state)
{
	(void)state;
	st_rejects rj;
	vg_engine *e = st_engine("title: w\nlogsource:\n  category: webserver\ndetection:\n  s:\n    cs-uri-query|contains: x\n"
				 "  condition: s\n---\ntitle: a\nlogsource:\n  product: linux\n  service: auditd\n"
				 "detection:\n  s:\n    type: EXECVE\n  condition: s\n",
				 &rj);
	assert_non_null(e);
	size_t n;
	const char *const *names = vg_engine_map_field(e, 0, "c-ip", &n);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "source.ip");
	names = vg_engine_map_field(e, 0, "custom.field", &n);
	assert_string_equal(names[0], "custom.field");
	names = vg_engine_map_field(e, 1, "type", &n);
	assert_string_equal(names[0], "auditd.type");
	st_hits h;
	assert_int_equal(st_run(e, 0, 0, VG_CATEGORY_WEBSERVER, "r", KV("url.original", "/?a=x"), &h), 1);
	assert_int_equal(st_run(e, VG_PRODUCT_LINUX, VG_SERVICE_AUDITD, 0, "r", KV("auditd.type", "execve"), &h), 1);
	vg_engine_free(e);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_path(void **state)
{
	(void)state;
	char dir[] = "/tmp/vg_sigma_test_XXXXXX", p[512];
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/b.yml", dir);
	write_file(p, "title: B\ndetection:\n  k: [x]\n  condition: k\n");
	snprintf(p, sizeof(p), "%s/a.yaml", dir);
	write_file(p, "title: A\ndetection:\n  k: [x]\n  condition: k\n");
	snprintf(p, sizeof(p), "%s/sub/c.yml", dir);
	write_file(p, "title: C\ndetection:\n  k: [x]\n  condition: nope\n");
	snprintf(p, sizeof(p), "%s/notes.txt", dir);
	write_file(p, "not a rule");
	snprintf(p, sizeof(p), "%s/.hidden.yml", dir);
	write_file(p, "title: H\ndetection:\n  k: [x]\n  condition: k\n");
	vg_engine *e = vg_engine_new();
	st_rejects rj;
	memset(&rj, 0, sizeof(rj));
	assert_int_equal(vg_engine_load_path(e, dir, st_on_reject, &rj), 0);
	assert_int_equal(vg_engine_load_path(e, "/nonexistent/vg", st_on_reject, &rj), VG_EIO);
	assert_int_equal(vg_engine_compile(e, st_on_reject, &rj), 0);
	assert_int_equal(vg_engine_load_path(e, dir, st_on_reject, &rj), VG_EINVAL); /* after compile */
	assert_int_equal(vg_engine_loaded(e), 2);
	assert_int_equal(vg_engine_rejected(e), 1);
	assert_string_equal(vg_engine_rule(e, 0)->title, "A");
	assert_string_equal(vg_engine_rule(e, 1)->title, "B");
	snprintf(p, sizeof(p), "%s/a.yaml", dir);
	assert_string_equal(vg_engine_rule(e, 0)->path, p);
	vg_engine_free(e);
	const char *names[] = {"b.yml", "a.yaml", "sub/c.yml", "notes.txt", ".hidden.yml", "sub", ""};
	for (size_t i = 0; names[i][0]; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		assert_int_equal(remove(p), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_lifecycle_errors(void **state)
{
	(void)state;
	vg_engine_free(NULL);
	vg_matcher_free(NULL);
	vg_engine *e = vg_engine_new();
	assert_null(vg_matcher_new(e)); /* not compiled */
	assert_int_equal(vg_engine_compile(e, NULL, NULL), 0);
	assert_int_equal(vg_engine_compile(e, NULL, NULL), VG_EINVAL);
	assert_int_equal(vg_engine_rule_count(e), 0);
	vg_matcher *m = vg_matcher_new(e);
	assert_non_null(m);
	vg_event *ev = vg_event_new();
	vg_event_reset(ev, "x", 1, "-", 1);
	st_hits h = {0};
	assert_int_equal(vg_matcher_run(m, ev, st_on_match, &h), 0);
	assert_int_equal(h.n, 0);
	vg_event_free(ev);
	vg_matcher_free(m);
	vg_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_info),
		cmocka_unit_test(test_logsource_selection),
		cmocka_unit_test(test_condition_semantics),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_multi_document_actions),
		cmocka_unit_test(test_correlation),
		cmocka_unit_test(test_correlation_generate_and_errors),
		cmocka_unit_test(test_map_field),
		cmocka_unit_test(test_load_path),
		cmocka_unit_test(test_lifecycle_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
