/* test_hsdb_cache.c — compiled Hyperscan databases on disk (hsdb_cache.h):
 * a second engine with the same rules loads every database instead of
 * compiling it and matches the same; damaged or truncated entries are
 * misses that get replaced; other patterns, flags or ids are other keys; the
 * directory stays within its bounds; a directory others may write, or an
 * empty VIGIL_CACHE_DIR, means no cache. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/hsdb_cache.h"
#include "sigma_test_util.h"

static char dir[64];
static char hsdir[128];

static const char RULES[] = "title: keywords\n"
			    "id: 11111111-1111-4111-8111-111111111111\n"
			    "logsource: {product: linux}\n"
			    "detection:\n"
			    "  keywords: ['rm -rf /var/log', 'history -c', 'chmod 777 *tmp']\n"
			    "  condition: keywords\n"
			    "---\n"
			    "title: field\n"
			    "id: 22222222-2222-4222-8222-222222222222\n"
			    "logsource: {product: linux}\n"
			    "detection:\n"
			    "  sel: {process.name|endswith: [sshd, sudo], user.name|re: '^adm[0-9]+$'}\n"
			    "  condition: sel\n";

/* The rule indices an engine of RULES matches for three events, as one number. */
static unsigned hits_of(const vg_engine *e)
{
	st_hits h;
	unsigned v = 0;
	const char *kv1[] = {"process.name", "/usr/sbin/sshd", "user.name", "adm7", NULL};
	const char *kv2[] = {"process.name", "cron", "user.name", "adm7", NULL};
	v += (unsigned)st_run(e, VG_PRODUCT_LINUX, VG_LS_ANY, VG_LS_ANY, "x history -c y", kv1, &h);
	v = v * 10 + (h.n > 0 ? (unsigned)h.idx[0] + 1 : 0);
	v = v * 10 + (unsigned)st_run(e, VG_PRODUCT_LINUX, VG_LS_ANY, VG_LS_ANY, "chmod 777 /tmp/x", kv2, &h);
	v = v * 10 + (unsigned)st_run(e, VG_PRODUCT_LINUX, VG_LS_ANY, VG_LS_ANY, "nothing here", kv1, &h);
	return v;
}

/* Engine of RULES (plus extra text), used once; its database counts. */
static unsigned run_engine(const char *extra, size_t *compiled, size_t *cached)
{
	char yaml[4096];
	snprintf(yaml, sizeof(yaml), "%s%s", RULES, extra);
	st_rejects rj;
	vg_engine *e = st_engine(yaml, &rj);
	assert_non_null(e);
	assert_int_equal(rj.n, 0);
	unsigned v = hits_of(e);
	vg_engine_db_counts(e, compiled, cached);
	vg_engine_free(e);
	return v;
}

static size_t count_entries(void)
{
	DIR *d = opendir(hsdir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		n += l > 5 && strcmp(de->d_name + l - 5, ".hsdb") == 0;
	}
	closedir(d);
	return n;
}

/* Apply fn to every entry file. */
static void each_entry(void (*fn)(const char *path))
{
	DIR *d = opendir(hsdir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 5 && strcmp(de->d_name + l - 5, ".hsdb") == 0) {
			char p[512];
			snprintf(p, sizeof(p), "%s/%s", hsdir, de->d_name);
			fn(p);
		}
	}
	closedir(d);
}

static void flip_last_byte(const char *p)
{
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	off_t end = lseek(fd, 0, SEEK_END);
	unsigned char c;
	assert_int_equal(pread(fd, &c, 1, end - 1), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, end - 1), 1);
	close(fd);
}

static void truncate_to_10(const char *p)
{
	assert_int_equal(truncate(p, 10), 0);
}

static void test_api_roundtrip(void **state)
{
	(void)state;
	assert_string_equal(vg_hsdb_cache_dir(), hsdir);
	const char *ex[] = {"abc", "d.*e"};
	unsigned fl[] = {HS_FLAG_SINGLEMATCH, HS_FLAG_DOTALL}, ids[] = {3, 9};
	hs_database_t *db = NULL;
	hs_compile_error_t *err = NULL;
	assert_int_equal(hs_compile_multi(ex, fl, ids, 2, HS_MODE_BLOCK, NULL, &db, &err), HS_SUCCESS);
	vg_hsdb_key k, k2;
	assert_int_equal(vg_hsdb_key_of(ex, fl, ids, 2, HS_MODE_BLOCK, &k), 0);
	uint32_t *extra = NULL;
	size_t nextra = 7;
	assert_null(vg_hsdb_cache_get(&k, &extra, &nextra));
	assert_int_equal(nextra, 0);
	uint32_t set_aside[] = {12, 40};
	vg_hsdb_cache_put(&k, db, set_aside, 2);
	hs_free_database(db);
	hs_database_t *got = vg_hsdb_cache_get(&k, &extra, &nextra);
	assert_non_null(got);
	assert_int_equal(nextra, 2);
	assert_int_equal(extra[0], 12);
	assert_int_equal(extra[1], 40);
	free(extra);
	/* the loaded database matches */
	hs_scratch_t *sc = NULL;
	assert_int_equal(hs_alloc_scratch(got, &sc), HS_SUCCESS);
	assert_int_equal(hs_scan(got, "xxdzzzexx", 9, 0, sc, NULL, NULL), HS_SUCCESS);
	hs_free_scratch(sc);
	hs_free_database(got);
	/* any difference is another key */
	unsigned fl2[] = {HS_FLAG_SINGLEMATCH, HS_FLAG_DOTALL | HS_FLAG_CASELESS}, ids2[] = {3, 10};
	const char *ex2[] = {"abc", "d.*f"};
	assert_int_equal(vg_hsdb_key_of(ex, fl2, ids, 2, HS_MODE_BLOCK, &k2), 0);
	assert_memory_not_equal(k.d, k2.d, sizeof(k.d));
	assert_int_equal(vg_hsdb_key_of(ex, fl, ids2, 2, HS_MODE_BLOCK, &k2), 0);
	assert_memory_not_equal(k.d, k2.d, sizeof(k.d));
	assert_int_equal(vg_hsdb_key_of(ex2, fl, ids, 2, HS_MODE_BLOCK, &k2), 0);
	assert_memory_not_equal(k.d, k2.d, sizeof(k.d));
	assert_int_equal(vg_hsdb_key_of(ex, fl, ids, 1, HS_MODE_BLOCK, &k2), 0);
	assert_memory_not_equal(k.d, k2.d, sizeof(k.d));
	assert_int_equal(vg_hsdb_key_of(ex, fl, ids, 2, HS_MODE_BLOCK, &k2), 0);
	assert_memory_equal(k.d, k2.d, sizeof(k.d));
}

static void test_engine_reuses_and_repairs(void **state)
{
	(void)state;
	size_t c1, h1, c2, h2;
	unsigned v1 = run_engine("", &c1, &h1);
	assert_true(c1 >= 2); /* a raw (keyword) and a field database at least */
	assert_int_equal(h1, 0);
	assert_int_equal(v1, 2111); /* both rules, rule 0 first; the keyword rule; the field rule */
	size_t entries = count_entries();
	assert_true(entries >= c1);

	unsigned v2 = run_engine("", &c2, &h2);
	assert_int_equal(v2, v1);
	assert_int_equal(c2, 0);
	assert_int_equal(h2, c1);

	/* damaged entries: compiled again, same matches, rewritten */
	each_entry(flip_last_byte);
	v2 = run_engine("", &c2, &h2);
	assert_int_equal(v2, v1);
	assert_int_equal(c2, c1);
	assert_int_equal(h2, 0);
	v2 = run_engine("", &c2, &h2);
	assert_int_equal(c2, 0);
	assert_int_equal(h2, c1);

	each_entry(truncate_to_10);
	v2 = run_engine("", &c2, &h2);
	assert_int_equal(v2, v1);
	assert_int_equal(c2, c1);
	assert_int_equal(h2, 0);
	assert_int_equal(count_entries(), entries);
}

static void test_prune(void **state)
{
	(void)state;
	/* more old files than the bound, and a stale temporary file */
	for (int i = 0; i < VG_HSDB_CACHE_MAX_FILES + 10; i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/old%05d.hsdb", hsdir, i);
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs("x", f);
		fclose(f);
		struct timespec ts[2] = {{.tv_sec = 946684800 + i}, {.tv_sec = 946684800 + i}};
		assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	}
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s/.tmp.abcdef", hsdir);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fclose(f);
	struct timespec ts[2] = {{.tv_sec = 946684800}, {.tv_sec = 946684800}};
	assert_int_equal(utimensat(AT_FDCWD, tmp, ts, 0), 0);

	/* a new rule: its database is compiled and written, then the directory pruned */
	size_t c, h;
	run_engine("---\ntitle: more\nid: 33333333-3333-4333-8333-333333333333\nlogsource: {product: linux}\n"
		   "detection:\n  keywords: ['another keyword']\n  condition: keywords\n",
		   &c, &h);
	assert_true(c >= 1);
	assert_int_equal(count_entries(), VG_HSDB_CACHE_MAX_FILES);
	assert_int_equal(access(tmp, F_OK), -1);
	char first[512];
	snprintf(first, sizeof(first), "%s/old00000.hsdb", hsdir);
	assert_int_equal(access(first, F_OK), -1); /* the oldest went */
	/* the newest (the real entries) stayed */
	run_engine("", &c, &h);
	assert_int_equal(c, 0);
}

/* In a child (the directory is resolved once per process, so this runs
 * before the parent uses the cache): exit 0 when VIGIL_CACHE_DIR=value
 * means no cache. */
static int child_cache_off(const char *value)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("VIGIL_CACHE_DIR", value, 1);
		_exit(vg_hsdb_cache_dir() == NULL ? 0 : 1);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_off_and_unsafe(void **state)
{
	(void)state;
	assert_int_equal(child_cache_off(""), 0);
	char open_dir[128], p[256];
	snprintf(open_dir, sizeof(open_dir), "%s/shared", dir);
	snprintf(p, sizeof(p), "%s/hyperscan", open_dir);
	assert_int_equal(mkdir(open_dir, 0700), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chmod(p, 0777), 0); /* others may write: refused */
	assert_int_equal(child_cache_off(open_dir), 0);
	assert_int_equal(chmod(p, 0700), 0);
	assert_int_equal(child_cache_off(open_dir), 1);
}

static void rm_rf(const char *path)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vg_hsdb_XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(hsdir, sizeof(hsdir), "%s/hyperscan", dir);
	setenv("VIGIL_CACHE_DIR", dir, 1);
	const struct CMUnitTest tests[] = {
		/* first: children inherit the directory once the parent resolved it */
		cmocka_unit_test(test_off_and_unsafe),
		cmocka_unit_test(test_api_roundtrip),
		cmocka_unit_test(test_engine_reuses_and_repairs),
		cmocka_unit_test(test_prune),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	rm_rf(dir);
	return r;
}
