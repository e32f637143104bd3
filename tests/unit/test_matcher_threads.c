/* test_matcher_threads.c — Hyperscan databases are built on first use by
 * whichever thread needs them, several at a time (sigma_compile.c: claimed,
 * built, published; a waiting thread builds its partition's unclaimed
 * databases meanwhile). Four threads, each with its own matcher on one fresh
 * engine, released together and starting at different places of the loghub
 * OpenSSH, Linux and Apache samples (so they need the same and different
 * databases at the same moment), must give for every line exactly the
 * matches that one thread gives on an engine of its own. */
#include <pthread.h>
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

#define NTHREADS 4
#define MAXLINES 8192
#define MAXHITS 16

static void on_reject(void *ud, const char *path, const char *id, const char *reason)
{
	(void)ud;
	(void)path;
	(void)id;
	(void)reason;
}

typedef struct line {
	const char *s;
	size_t len;
} line;

typedef struct result {
	uint16_t n;
	uint32_t idx[MAXHITS];
} result;

typedef struct job {
	const vg_engine *e;
	const line *lines;
	size_t nlines, start;
	result *res; /* per line */
	pthread_barrier_t *go;
	int rc;
} job;

static void on_match(void *ud, size_t idx, const vg_rule_info *r)
{
	(void)r;
	result *x = ud;
	if (x->n < MAXHITS)
		x->idx[x->n] = (uint32_t)idx;
	x->n++;
}

static void *run(void *arg)
{
	job *j = arg;
	vg_matcher *m = vg_matcher_new(j->e);
	vg_event *ev = vg_event_new();
	if (j->go != NULL)
		pthread_barrier_wait(j->go);
	j->rc = m == NULL || ev == NULL ? -1 : 0;
	for (size_t k = 0; k < j->nlines && j->rc == 0; k++) {
		size_t i = (j->start + k) % j->nlines;
		vg_event_reset(ev, j->lines[i].s, j->lines[i].len, "t.log", i + 1);
		ev->year_hint = 2024;
		(void)vg_parse_record(NULL, ev);
		j->res[i].n = 0;
		j->rc = vg_matcher_run(m, ev, on_match, &j->res[i]);
	}
	vg_event_free(ev);
	vg_matcher_free(m);
	return NULL;
}

static vg_engine *engine(const char *corpus, const char *src)
{
	char p[4096];
	vg_engine *e = vg_engine_new();
	assert_non_null(e);
	static const char *const dirs[] = {"linux", "web", "network"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/sigma/rules/%s", corpus, dirs[i]);
		assert_int_equal(vg_engine_load_path(e, p, on_reject, NULL), 0);
	}
	snprintf(p, sizeof(p), "%s/rules", src);
	assert_int_equal(vg_engine_load_path(e, p, on_reject, NULL), 0);
	assert_int_equal(vg_engine_compile(e, on_reject, NULL), 0);
	return e;
}

static size_t add_file(const char *path, char **bufs, size_t nb, line *lines, size_t n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	size_t len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	bufs[nb] = buf;
	for (size_t i = 0; i < len && n < MAXLINES;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t l = (nl != NULL ? (size_t)(nl - buf) : len) - i;
		if (l > 0)
			lines[n++] = (line){buf + i, l};
		i += l + 1;
	}
	return n;
}

static void test_concurrent_builds_same_matches(void **state)
{
	(void)state;
	const char *corpus = getenv("VG_CORPUS"), *src = getenv("VG_SOURCE_DIR");
	if (corpus == NULL || src == NULL)
		skip();
	static const char *const files[] = {"OpenSSH_2k.log", "Linux_2k.log", "Apache_2k.log"};
	char *bufs[3];
	line *lines = calloc(MAXLINES, sizeof(*lines));
	assert_non_null(lines);
	size_t n = 0;
	char p[4096];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/loghub/%s", corpus, files[i]);
		n = add_file(p, bufs, i, lines, n);
	}
	assert_true(n > 5000);

	/* reference: one thread, an engine of its own */
	vg_engine *ref_e = engine(corpus, src);
	job ref = {.e = ref_e, .lines = lines, .nlines = n, .res = calloc(n, sizeof(result))};
	assert_non_null(ref.res);
	run(&ref);
	assert_int_equal(ref.rc, 0);
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += ref.res[i].n;
	assert_true(total > 2000); /* the comparison means something */

	/* four threads on one fresh engine, released at once, from different places */
	for (int round = 0; round < 3; round++) {
		vg_engine *e = engine(corpus, src);
		pthread_barrier_t go;
		assert_int_equal(pthread_barrier_init(&go, NULL, NTHREADS), 0);
		job jobs[NTHREADS];
		pthread_t t[NTHREADS];
		for (int k = 0; k < NTHREADS; k++) {
			jobs[k] = (job){.e = e, .lines = lines, .nlines = n, .start = (size_t)k * n / NTHREADS + (size_t)round,
					.res = calloc(n, sizeof(result)), .go = &go};
			assert_non_null(jobs[k].res);
			assert_int_equal(pthread_create(&t[k], NULL, run, &jobs[k]), 0);
		}
		for (int k = 0; k < NTHREADS; k++) {
			pthread_join(t[k], NULL);
			assert_int_equal(jobs[k].rc, 0);
			for (size_t i = 0; i < n; i++)
				if (jobs[k].res[i].n != ref.res[i].n ||
				    memcmp(jobs[k].res[i].idx, ref.res[i].idx,
					   (ref.res[i].n < MAXHITS ? ref.res[i].n : MAXHITS) * sizeof(uint32_t)) != 0)
					fail_msg("round %d thread %d line %zu: %u matches, one thread alone %u: %.*s", round, k,
						 i + 1, jobs[k].res[i].n, ref.res[i].n, (int)lines[i].len, lines[i].s);
			free(jobs[k].res);
		}
		pthread_barrier_destroy(&go);
		vg_engine_free(e);
	}
	free(ref.res);
	vg_engine_free(ref_e);
	for (size_t i = 0; i < 3; i++)
		free(bufs[i]);
	free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_builds_same_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
