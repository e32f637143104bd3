/* engine.h — Sigma rules: load, compile once, match events.
 *
 * Lifecycle: vg_engine_new → vg_engine_load_* (any number) → vg_engine_compile
 * → (read-only, shareable by threads) vg_matcher_new per thread →
 * vg_matcher_run per event → frees.
 *
 * Errors: a rule that cannot be loaded or compiled is reported through the
 * vg_reject_fn (file, rule id, specific reason) and skipped; it never stops
 * the others. Load functions return VG_EIO only when the path itself cannot be
 * read; compile returns VG_ENOMEM or a matcher-build failure.
 *
 * Ownership: the engine owns every rule string; vg_rule_info pointers stay
 * valid until vg_engine_free. Thread-safety: load/compile single-threaded;
 * after compile the engine is immutable and any number of matchers (one per
 * thread) may run concurrently. (Hyperscan databases are compiled the first
 * time an event needs them, under an internal lock; a matcher can therefore
 * return VG_ENOMEM from that build.) */
#ifndef VG_ENGINE_H
#define VG_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/event.h"

typedef struct vg_engine vg_engine;
typedef struct vg_matcher vg_matcher;

/* Bytes of a rule's digest (SHA-256). */
#define VG_RULE_DIGEST_LEN 32

typedef struct vg_rule_info {
	const char *id;          /* rule id (UUID) as written; "" when missing */
	const char *name;        /* Sigma "name" (used by correlation references); "" when missing */
	const char *title;
	const char *level;       /* informational|low|medium|high|critical, or "" */
	const char *status;      /* "" when missing */
	const char *description; /* "" when missing */
	const char *const *tags; /* e.g. "attack.t1110"; ntags entries */
	size_t ntags;
	const char *path;        /* file the rule came from */
	const char *product, *service, *category; /* logsource strings as written, "" when absent */
	int is_correlation;      /* 1: a correlation rule (vg_engine_corr_def gives it) */
	int alert;               /* 0: a base rule used only by correlations (generate: false) */
	/* SHA-256 of the rule's YAML document in canonical form (after action:
	 * global/repeat merging; keys, values and scalar types in order, not
	 * lines, comments or quoting): equal digests, equal rule text. Used to
	 * recognise unchanged rules across a reload (vg_corr_adopt). */
	uint8_t digest[VG_RULE_DIGEST_LEN];
} vg_rule_info;

enum vg_corr_type { VG_CORR_EVENT_COUNT, VG_CORR_VALUE_COUNT, VG_CORR_TEMPORAL, VG_CORR_TEMPORAL_ORDERED };
enum vg_cmp { VG_CMP_GT, VG_CMP_GTE, VG_CMP_LT, VG_CMP_LTE, VG_CMP_EQ, VG_CMP_NEQ };

typedef struct vg_corr_cond {
	enum vg_cmp op;
	int64_t value;
} vg_corr_cond;

typedef struct vg_corr_alias {
	const char *name;               /* the alias used in group-by */
	const char *const *rule_fields; /* Sigma field name per referenced rule, in `rules` order */
} vg_corr_alias;

typedef struct vg_corr_def {
	enum vg_corr_type type;
	const size_t *rules; /* engine indices of the referenced rules (base or correlation), in order */
	size_t nrules;
	const char *const *group_by; /* Sigma field names or alias names */
	size_t ngroup;
	int64_t timespan_us;
	const vg_corr_cond *conds; /* all must hold; temporal defaults to gte nrules */
	size_t nconds;
	const char *value_field; /* value_count: the Sigma field whose distinct values are counted */
	const vg_corr_alias *aliases;
	size_t naliases;
} vg_corr_def;

typedef void (*vg_reject_fn)(void *ud, const char *path, const char *rule_id, const char *reason);
typedef void (*vg_match_fn)(void *ud, size_t rule_idx, const vg_rule_info *rule);

vg_engine *vg_engine_new(void);
void vg_engine_free(vg_engine *e); /* NULL is a no-op */

/* A .yml/.yaml file, or a directory searched recursively in sorted order. */
VG_WUR int vg_engine_load_path(vg_engine *e, const char *path, vg_reject_fn cb, void *ud);
/* Rules (one or more YAML documents) from memory; name labels them in reports. */
VG_WUR int vg_engine_load_buffer(vg_engine *e, const char *buf, size_t len, const char *name, vg_reject_fn cb, void *ud);
/* Resolve correlation references, map fields, build the matchers. */
VG_WUR int vg_engine_compile(vg_engine *e, vg_reject_fn cb, void *ud);

size_t vg_engine_loaded(const vg_engine *e);   /* rules accepted (after compile: compiled) */
size_t vg_engine_rejected(const vg_engine *e); /* rules reported through vg_reject_fn */
size_t vg_engine_rule_count(const vg_engine *e); /* valid indices are 0..count-1 */
/* Hyperscan databases so far: compiled, and loaded from the disk cache (hsdb_cache.h). */
void vg_engine_db_counts(const vg_engine *e, size_t *compiled, size_t *cached);
const vg_rule_info *vg_engine_rule(const vg_engine *e, size_t idx);
/* NULL unless rule idx is a correlation rule. */
const vg_corr_def *vg_engine_corr_def(const vg_engine *e, size_t idx);
/* Event field names (ECS) a Sigma field of rule idx reads, after field mapping. */
const char *const *vg_engine_map_field(const vg_engine *e, size_t idx, const char *sigma_field, size_t *n);

vg_matcher *vg_matcher_new(const vg_engine *e); /* NULL on ENOMEM */
void vg_matcher_free(vg_matcher *m);
/* Calls cb once for every non-correlation rule that matches ev, in rule index
 * order (deterministic). Returns 0, or VG_ENOMEM/VG_ELIMIT from the matcher. */
VG_WUR int vg_matcher_run(vg_matcher *m, const vg_event *ev, vg_match_fn cb, void *ud);
/* Declares the events run next to be mostly records of one block, buf[0..len)
 * (a batch of consecutive records), in block order: the raw record of each
 * partition's first such event is then scanned, for keywords, to the block's
 * end at once, and the later records take their hits from that scan instead
 * of a Hyperscan call each (same results). An event whose raw record lies
 * outside the block, or before one already matched, is scanned on its own.
 * The block's bytes must stay unchanged until the next call; NULL, 0 (before
 * the block's memory is reused or freed): no block. */
void vg_matcher_set_block(vg_matcher *m, const char *buf, size_t len);
/* Nanoseconds this matcher has spent in first-use Hyperscan database builds
 * (building, or waiting for another thread's build, plus scratch growth): rule
 * compiling rather than matching, for timers that exclude it. 0 for NULL. */
uint64_t vg_matcher_build_ns(const vg_matcher *m);

#endif
