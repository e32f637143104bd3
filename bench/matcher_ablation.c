/* matcher_ablation.c — what the Hyperscan pre-filter and the PCRE2 JIT buy:
 * the same events matched against the same rules with each switched off.
 *
 *   build/vigil_matcher_ablation [-r RULES]... FILE...
 *
 * Each FILE's records are read once into memory, an engine is compiled for
 * every mode (databases built before timing), and then, in ABL_ROUNDS
 * interleaved rounds (default 5), every mode parses every event once and
 * parses and matches it once (the two modes without Hyperscan, ~100x
 * slower, in the first round only). Printed per mode, medians over its rounds:
 * ns/event of matching alone (the difference), events/s of parse+match, and
 * matches (identical across modes and rounds, or the program fails). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/engine.h"
#include "detect/rulepack.h"
#include "detect/sigma_compile.h"
#include "scan/reader.h"

struct rec {
	const char *raw;
	size_t len;
	const vg_parser *p;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* sorts v */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void count(void *ud, size_t idx, const vg_rule_info *r)
{
	(void)idx;
	(void)r;
	(*(size_t *)ud)++;
}

static void quiet(void *ud, const char *path, const char *id, const char *reason)
{
	(void)ud;
	(void)id;
	fprintf(stderr, "rejected: %s: %s\n", path, reason);
}

static vg_engine *engine(char **rules, int nrules, int mode)
{
	vg_engine *e = vg_engine_new();
	int rc = 0;
	if (nrules == 0)
		rc = vg_rulepack_load(e, quiet, NULL);
	for (int i = 0; i < nrules && rc == 0; i++)
		rc = vg_engine_load_path(e, rules[i], quiet, NULL);
	if (rc != 0 || vg_engine_compile(e, quiet, NULL) != 0 || vg_compile_build_all(e) != 0) {
		fprintf(stderr, "cannot load rules\n");
		exit(2);
	}
	if (((mode & 1) && vg_compile_force_direct(e) != 0) || ((mode & 2) && vg_compile_drop_jit(e) != 0)) {
		fprintf(stderr, "ablation failed\n");
		exit(2);
	}
	return e;
}

int main(int argc, char **argv)
{
	char **rules = calloc((size_t)argc, sizeof(*rules));
	int nrules = 0, i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			rules[nrules++] = argv[++i];
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-r RULES]... FILE...\n", argv[0]);
		return 2;
	}
	/* records of every file, kept in memory */
	struct rec *recs = NULL;
	size_t n = 0, cap = 0, bytes = 0;
	for (; i < argc; i++) {
		int err;
		vg_reader *r = vg_reader_open(argv[i], NULL, &err);
		if (r == NULL) {
			perror(argv[i]);
			return 2;
		}
		vg_batch b;
		vg_batch_init(&b);
		while (vg_reader_next(r, &b, 4096, 1 << 20) == 1) {
			for (size_t k = 0; k < b.nrecs; k++) {
				if (n == cap) {
					cap = cap ? cap * 2 : 65536;
					recs = realloc(recs, cap * sizeof(*recs));
				}
				char *copy = malloc(b.recs[k].len);
				memcpy(copy, b.buf + b.recs[k].off, b.recs[k].len);
				recs[n++] = (struct rec){copy, b.recs[k].len, b.parser};
				bytes += b.recs[k].len;
			}
		}
		vg_batch_clear(&b);
		vg_reader_close(r);
	}
	static const char *const names[] = {"Hyperscan + PCRE2-JIT (shipped)", "no Hyperscan, PCRE2-JIT",
					    "Hyperscan, PCRE2 without JIT", "no Hyperscan, no JIT"};
	printf("%zu events, %.1f MB, rules: %s\n", n, (double)bytes / 1e6, nrules ? "given with -r" : "built-in pack");
	/* every mode's engine and matcher at once, timed in interleaved rounds
	 * (each round: every mode once) and reported as medians, so that a slow
	 * spell of a shared machine hits every mode alike */
	enum { MODES = 4 };
	int rounds = getenv("ABL_ROUNDS") != NULL ? atoi(getenv("ABL_ROUNDS")) : 5;
	if (rounds < 1 || rounds > 100)
		rounds = 5;
	vg_engine *e[MODES];
	vg_matcher *m[MODES];
	double *t_parse = calloc((size_t)rounds * MODES, sizeof(double));
	double *t_all = calloc((size_t)rounds * MODES, sizeof(double));
	size_t matches[MODES] = {0};
	vg_event *ev = vg_event_new();
	if (t_parse == NULL || t_all == NULL || ev == NULL)
		return 2;
	for (int mode = 0; mode < MODES; mode++)
		if ((m[mode] = vg_matcher_new(e[mode] = engine(rules, nrules, mode))) == NULL)
			return 2;
	/* the modes without Hyperscan are ~100x slower, far beyond any noise:
	 * they run in the first round only */
	static const int slow[MODES] = {0, 1, 0, 1};
	for (int round = 0; round < rounds; round++) {
		for (int mode = 0; mode < MODES; mode++) {
			if (round > 0 && slow[mode])
				continue;
			size_t got = 0;
			for (int pass = 0; pass < 2; pass++) {
				double t0 = now();
				for (size_t k = 0; k < n; k++) {
					vg_event_reset(ev, recs[k].raw, recs[k].len, "bench", k + 1);
					vg_parse_record(recs[k].p, ev);
					if (pass == 1 && vg_matcher_run(m[mode], ev, count, &got) != 0)
						return 2;
				}
				(pass == 0 ? t_parse : t_all)[round * MODES + mode] = now() - t0;
			}
			if (round == 0)
				matches[mode] = got;
			if (got != matches[0] || got != matches[mode]) {
				fprintf(stderr, "mode %d, round %d: %zu matches, shipped matcher %zu\n", mode, round, got,
					matches[0]);
				return 1;
			}
		}
	}
	printf("%d interleaved rounds, medians (the modes without Hyperscan: one round)\n", rounds);
	printf("| matcher | ns/event (match only) | events/s (parse+match) | matches | slowdown |\n|---|--:|--:|--:|--:|\n");
	double base = 0;
	for (int mode = 0; mode < MODES; mode++) {
		double ns[100], all[100];
		int nr = slow[mode] ? 1 : rounds;
		for (int round = 0; round < nr; round++) {
			double tp = t_parse[round * MODES + mode], ta = t_all[round * MODES + mode];
			ns[round] = (ta - tp) * 1e9 / (double)n;
			all[round] = ta;
		}
		double ns_med = median(ns, nr), all_med = median(all, nr);
		if (mode == 0)
			base = ns_med;
		printf("| %s | %.0f | %.0f | %zu | %.1fx |\n", names[mode], ns_med, (double)n / all_med, matches[mode],
		       ns_med / base);
		vg_matcher_free(m[mode]);
		vg_engine_free(e[mode]);
	}
	free(t_parse);
	free(t_all);
	vg_event_free(ev);
	for (size_t k = 0; k < n; k++)
		free((void *)recs[k].raw);
	free(recs);
	free(rules);
	return 0;
}
