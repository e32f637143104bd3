/* test_sigma_regression.c — SigmaHQ's regression data: for every case whose
 * rule is in the corpus rule set, scanning the case's events with the whole
 * rule set must produce that rule's alert match_count times (>= 1 when no
 * count is given). The bar is 98% of applicable cases; every failure is
 * printed with its rule, file and the count seen. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "detect/engine.h"
#include "parse/parse.h"
#include "scan/reader.h"

struct kase {
	char dir[1024];
	char rule_id[64];
	long match_count; /* -1: at least one */
};

static struct kase *cases;
static size_t ncases, capcases;

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\'' || s[n - 1] == '"'))
		s[--n] = '\0';
}

static void read_info(const char *dir)
{
	char path[4096], line[1024];
	snprintf(path, sizeof(path), "%s/info.yml", dir);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	struct kase k = {.match_count = -1};
	snprintf(k.dir, sizeof(k.dir), "%s", dir);
	int in_meta = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "rule_metadata:", 14) == 0)
			in_meta = 1;
		else if (line[0] != ' ')
			in_meta = 0;
		char *p = strstr(line, "- id:");
		if (in_meta && p != NULL && k.rule_id[0] == '\0') {
			p += 5;
			while (*p == ' ' || *p == '\'' || *p == '"')
				p++;
			snprintf(k.rule_id, sizeof(k.rule_id), "%s", p);
			trim(k.rule_id);
		}
		if ((p = strstr(line, "match_count:")) != NULL)
			k.match_count = strtol(p + 12, NULL, 10);
	}
	fclose(f);
	if (ncases == capcases) {
		capcases = capcases ? capcases * 2 : 64;
		cases = realloc(cases, capcases * sizeof(*cases));
		assert_non_null(cases);
	}
	cases[ncases++] = k;
}

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk(p);
		else if (strcmp(de->d_name, "info.yml") == 0)
			read_info(dir);
	}
	closedir(d);
}

static void quiet_reject(void *ud, const char *path, const char *id, const char *reason)
{
	(void)path;
	(void)id;
	(void)reason;
	(*(size_t *)ud)++;
}

struct count_ctx {
	size_t want;
	size_t hits;
};

static void on_match(void *ud, size_t idx, const vg_rule_info *r)
{
	struct count_ctx *c = ud;
	if (idx == c->want)
		c->hits++;
	(void)r;
}

/* Matches of rule idx over every JSON document of every .json file in dir. */
static size_t count_matches(const vg_engine *e, vg_matcher *m, vg_event *ev, size_t idx, const char *dir, size_t *events)
{
	struct count_ctx c = {.want = idx};
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	const vg_parser *json = vg_parser_find("json");
	assert_non_null(json);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		int err = 0;
		vg_reader *r = vg_reader_open(p, json, &err);
		assert_non_null(r);
		vg_batch b;
		vg_batch_init(&b);
		int rc;
		while ((rc = vg_reader_next(r, &b, 1024, 1 << 20)) == 1) {
			for (size_t i = 0; i < b.nrecs; i++) {
				vg_event_reset(ev, b.buf + b.recs[i].off, b.recs[i].len, p, b.recs[i].line);
				vg_parse_record(json, ev);
				(*events)++;
				assert_int_equal(vg_matcher_run(m, ev, on_match, &c), 0);
			}
		}
		assert_int_equal(rc, 0);
		vg_batch_clear(&b);
		vg_reader_close(r);
	}
	closedir(d);
	(void)e;
	return c.hits;
}

static void test_regression(void **state)
{
	(void)state;
	const char *corpus = getenv("VG_CORPUS");
	assert_non_null(corpus);
	char p[4096];
	snprintf(p, sizeof(p), "%s/sigma/regression", corpus);
	walk(p);
	assert_true(ncases >= 100);

	vg_engine *e = vg_engine_new();
	size_t rejected = 0;
	const char *sets[] = {"rules", "rules-emerging-threats", "rules-threat-hunting"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/sigma/%s", corpus, sets[i]);
		assert_int_equal(vg_engine_load_path(e, p, quiet_reject, &rejected), 0);
	}
	assert_int_equal(vg_engine_compile(e, quiet_reject, &rejected), 0);
	vg_matcher *m = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	assert_non_null(m);
	assert_non_null(ev);

	size_t applicable = 0, passed = 0;
	for (size_t k = 0; k < ncases; k++) {
		size_t idx = SIZE_MAX;
		for (size_t i = 0; i < vg_engine_rule_count(e); i++)
			if (strcmp(vg_engine_rule(e, i)->id, cases[k].rule_id) == 0) {
				idx = i;
				break;
			}
		if (idx == SIZE_MAX) {
			printf("n/a   %s: rule %s not loaded\n", cases[k].dir, cases[k].rule_id);
			continue;
		}
		applicable++;
		size_t events = 0;
		size_t got = count_matches(e, m, ev, idx, cases[k].dir, &events);
		int ok = cases[k].match_count < 0 ? got >= 1 : got == (size_t)cases[k].match_count;
		if (ok)
			passed++;
		else
			printf("FAIL  %s: rule %s (%s) matched %zu of %zu events, expected %ld\n", cases[k].dir,
			       cases[k].rule_id, vg_engine_rule(e, idx)->title, got, events, cases[k].match_count);
	}
	printf("sigma regression: %zu/%zu applicable cases pass (%.1f%%), %zu cases, %zu rules rejected\n", passed,
	       applicable, applicable ? 100.0 * (double)passed / (double)applicable : 0.0, ncases, rejected);
	assert_true(applicable >= 100);
	assert_true(passed * 100 >= applicable * 98);
	vg_event_free(ev);
	vg_matcher_free(m);
	vg_engine_free(e);
	free(cases);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_regression)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
