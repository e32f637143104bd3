/* scan.h — the offline pipeline behind `vigil scan`:
 * read → frame → parse/normalise → match → alert, over files, directories
 * (recursive, sorted) and stdin.
 *
 * With threads > 1 the calling thread and threads - 1 others each read a
 * batch in turn, process it, and commit finished batches strictly in input
 * order, so the alerts and their
 * order are identical for every thread count; correlation runs at commit time
 * in that same order. Alerts go to out as NDJSON. A path that cannot be read
 * is reported on stderr (named) and counted; the others are still scanned.
 * Returns 0, or VG_EIO when writing the output failed / VG_ENOMEM. */
#ifndef VG_SCAN_H
#define VG_SCAN_H

#include <stdint.h>
#include <stdio.h>

#include "detect/engine.h"
#include "parse/parse.h"

#define VG_SCAN_MAX_FORMATS 16

typedef struct vg_scan_opts {
	const vg_engine *engine;
	const char *const *paths; /* files, directories, "-" for stdin */
	size_t npaths;
	const vg_parser *format;  /* forced format, or NULL to detect per file */
	int threads;              /* >= 1 */
	FILE *out;
} vg_scan_opts;

typedef struct vg_scan_stats {
	uint64_t files, file_errors;
	uint64_t events, bytes, unparsed, truncated;
	uint64_t per_format[VG_SCAN_MAX_FORMATS]; /* indexed like vg_parsers */
	uint64_t alerts, corr_alerts, corr_evicted;
	double seconds;       /* the whole scan, wall time */
	double build_seconds; /* of which building Hyperscan databases on first use (rule
	                       * compiling; the slowest worker's share) */
	size_t dbs_compiled, dbs_cached; /* those databases: compiled, loaded from the disk cache */
} vg_scan_stats;

VG_WUR int vg_scan_run(const vg_scan_opts *o, vg_scan_stats *st);
/* The summary, human-readable, as printed to stderr by `vigil scan`. Its
 * "elapsed" and rates exclude build_seconds (printed beside them): the scan's
 * steady state, like rule loading it leaves out rule compiling. */
void vg_scan_print_stats(FILE *f, const vg_scan_stats *st, size_t rules_loaded, size_t rules_rejected);

#endif
