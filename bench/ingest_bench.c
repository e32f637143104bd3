/* ingest_bench.c — the server's per-event work on one core, without the
 * network: lines of FILE go through vg_ingest_record as agent records (parse,
 * normalise, Sigma + correlation, archive append + commits, alerts to SQLite),
 * exactly what `vigil server` does per received record.
 *
 *   vigil_ingest_bench DATADIR FILE [RULES...]     (no RULES: the built-in pack)
 *
 * Prints events/s and CPU seconds per million events; run under
 * `valgrind --tool=callgrind` on a small FILE for instruction counts that do
 * not depend on what else the machine is doing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "detect/engine.h"
#include "detect/rulepack.h"
#include "server/ingest.h"
#include "store/db.h"

static double now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_reject(void *ud, const char *path, const char *id, const char *why)
{
	(void)path;
	(void)id;
	(void)why;
	(*(size_t *)ud)++;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s DATADIR FILE [RULES...]\n", argv[0]);
		return 2;
	}
	size_t rejected = 0;
	vg_engine *e = vg_engine_new();
	int r = 0;
	if (argc == 3)
		r = vg_rulepack_load(e, on_reject, &rejected);
	for (int i = 3; i < argc && r == 0; i++)
		r = vg_engine_load_path(e, argv[i], on_reject, &rejected);
	if (r == 0)
		r = vg_engine_compile(e, on_reject, &rejected);
	if (r != 0) {
		fprintf(stderr, "rules: %s\n", vg_err_str(r));
		return 2;
	}
	int err = 0;
	char why[256];
	vg_db *db = vg_db_open(argv[1], NULL, &err, why, sizeof(why));
	vg_archive_opts ao = {.zstd_level = VG_ARCHIVE_SERVER_LEVEL}; /* as vigil server */
	vg_ingest *g = db != NULL ? vg_ingest_new(argv[1], e, &ao, &err) : NULL;
	FILE *f = fopen(argv[2], "r");
	if (g == NULL || f == NULL) {
		fprintf(stderr, "setup failed: %s\n", db == NULL ? why : vg_err_str(err));
		return 2;
	}
	vg_ingest_set_db(g, db);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t seq = 0;
	double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), tw = 0, cw = 0;
	const uint64_t warm = 20000; /* the matcher builds its Hyperscan databases on first use */
	while ((n = getline(&line, &cap, f)) > 0) {
		if (seq == warm) {
			tw = now_s(CLOCK_MONOTONIC);
			cw = now_s(CLOCK_PROCESS_CPUTIME_ID);
		}
		seq++;
		vg_ingest_src s = {
			.input = "agent",
			.peer = "127.0.0.1:40000",
			.path = "/var/log/bench.log",
			.path_len = 18,
			.line = seq,
			.agent_id = "0123456789abcdef",
			.agent_host = "bench-host",
			.seq = seq,
		};
		if (vg_ingest_record(g, line, (size_t)n, &s, 1763726400000000LL + (int64_t)seq) < 0) {
			fprintf(stderr, "ingest failed at line %llu\n", (unsigned long long)seq);
			return 1;
		}
		if (seq % 4096 == 0 && vg_ingest_tick(g, (int64_t)(now_s(CLOCK_MONOTONIC) * 1e6)) != 0)
			return 1;
	}
	if (vg_ingest_sync(g) != 0)
		return 1;
	double t1 = now_s(CLOCK_MONOTONIC), c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	vg_ingest_stats st;
	vg_ingest_stats_get(g, &st);
	printf("ingest: %llu events, %zu rules (%zu rejected), %llu alerts + %llu correlation alerts\n",
	       (unsigned long long)seq, vg_engine_loaded(e), rejected, (unsigned long long)st.alerts,
	       (unsigned long long)st.corr_alerts);
	printf("ingest: %.0f events/s wall, %.2f CPU s per million events (one thread, all events)\n",
	       (double)seq / (t1 - t0), (c1 - c0) * 1e6 / (double)seq);
	if (seq > 2 * warm)
		printf("ingest: %.0f events/s wall, %.2f CPU s per million events (after the first %llu: steady state)\n",
		       (double)(seq - warm) / (t1 - tw), (c1 - cw) * 1e6 / (double)(seq - warm),
		       (unsigned long long)warm);
	printf("reproduce: %s", argv[0]);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	free(line);
	fclose(f);
	(void)vg_ingest_free(g);
	vg_db_close(db);
	vg_engine_free(e);
	return 0;
}
