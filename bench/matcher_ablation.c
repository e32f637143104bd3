/* matcher_ablation.c — what the Hyperscan pre-filter and the PCRE2 JIT buy:
 * the same events matched against the same rules with each switched off.
 *
 *   build/vigil_matcher_ablation [-r RULES]... FILE...
 *
 * Each FILE's records are parsed once into memory-resident batches, then for
 * every mode a fresh engine is compiled (databases built before timing) and
 * every event is matched; printed: ns/event of matching alone, events/s and
 * matches (identical across modes, or the program fails). */
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
	printf("| matcher | ns/event (match only) | events/s (parse+match) | matches | slowdown |\n|---|--:|--:|--:|--:|\n");
	vg_event *ev = vg_event_new();
	double base = 0;
	size_t base_matches = 0;
	for (int mode = 0; mode < 4; mode++) {
		vg_engine *e = engine(rules, nrules, mode);
		vg_matcher *m = vg_matcher_new(e);
		double t_parse = 0, t_all = 0;
		size_t matches = 0;
		for (int pass = 0; pass < 2; pass++) {
			double t0 = now();
			for (size_t k = 0; k < n; k++) {
				vg_event_reset(ev, recs[k].raw, recs[k].len, "bench", k + 1);
				vg_parse_record(recs[k].p, ev);
				if (pass == 1 && vg_matcher_run(m, ev, count, &matches) != 0)
					return 2;
			}
			*(pass == 0 ? &t_parse : &t_all) = now() - t0;
		}
		double ns = (t_all - t_parse) * 1e9 / (double)n;
		if (mode == 0) {
			base = ns;
			base_matches = matches;
		} else if (matches != base_matches) {
			fprintf(stderr, "mode %d: %zu matches, shipped matcher %zu\n", mode, matches, base_matches);
			return 1;
		}
		printf("| %s | %.0f | %.0f | %zu | %.1fx |\n", names[mode], ns, (double)n / t_all, matches, ns / base);
		vg_matcher_free(m);
		vg_engine_free(e);
	}
	vg_event_free(ev);
	for (size_t k = 0; k < n; k++)
		free((void *)recs[k].raw);
	free(recs);
	free(rules);
	return 0;
}
