/* sigma_load.h — Sigma rule documents → loaded rules (vg_srule).
 *
 * A loaded rule is its metadata (vg_rule_info), its logsource ids and its
 * detection as an expression tree whose leaves are vg_items (sigma_value.h):
 * identifiers are expanded into the condition, so nothing is looked up by
 * name after loading. Correlation documents keep their references unresolved
 * (names/ids) until the engine compiles.
 *
 * Multi-document files: each document is a rule; `action: global` documents
 * are deep-merged into the following ones, `action: reset` drops the global
 * part, `action: repeat` re-uses the previous rule with overrides (Sigma 1
 * collections).
 *
 * Ownership: everything a vg_srule points to is in the `keep` arena; YAML
 * scratch is freed before returning. Rejections go to the reject callback
 * with a specific reason; only VG_ENOMEM is returned as an error.
 * Thread-safe (no shared state). */
#ifndef VG_SIGMA_LOAD_H
#define VG_SIGMA_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "detect/engine.h"
#include "detect/sigma_value.h"

enum vg_expr_op { VG_X_AND, VG_X_OR, VG_X_NOT, VG_X_ITEM, VG_X_ATLEAST, VG_X_FALSE };

typedef struct vg_expr vg_expr;
struct vg_expr {
	uint8_t op;    /* enum vg_expr_op */
	uint32_t k;    /* ATLEAST: children that must hold */
	uint32_t n;    /* AND/OR/NOT/ATLEAST: children */
	vg_expr **kids;
	vg_item *item; /* ITEM */
};

typedef struct vg_corr_alias_src {
	const char *name;
	const char **refs;   /* rule names (or ids) as written under the alias */
	const char **fields; /* field per entry */
	size_t n;
} vg_corr_alias_src;

typedef struct vg_corr_src {
	vg_corr_def def;   /* rules/aliases filled when the engine compiles */
	const char **refs; /* referenced rules as written (name or id) */
	size_t nrefs;
	vg_corr_alias_src *aliases;
	size_t naliases;
	int generate;      /* generate: true — referenced rules also alert */
} vg_corr_src;

typedef struct vg_srule {
	vg_rule_info info;
	uint8_t product, service, category; /* logsource.h ids (VG_LS_UNKNOWN: never applies) */
	vg_expr *root;    /* NULL for correlations */
	vg_item **items;  /* every item of the detection, once */
	size_t nitems;
	vg_corr_src *corr; /* correlations only */
} vg_srule;

typedef struct vg_load_sink {
	/* Take a loaded rule (it lives in keep); return VG_ENOMEM to stop. */
	int (*add)(void *ud, vg_srule *r);
	vg_reject_fn reject;
	void *reject_ud;
	void *ud;
	size_t rejected; /* incremented for each rejection */
} vg_load_sink;

/* Load every document of buf. path labels rejections and is stored in the
 * rules (must live as long as keep). Returns 0 or VG_ENOMEM. */
VG_WUR int vg_sigma_load(vg_arena *keep, const char *buf, size_t len, const char *path, vg_load_sink *sink);

/* Parse a correlation timespan ("30s", "5m", "1h", "2d", "1w"); 0 or VG_EPARSE. */
VG_WUR int vg_sigma_timespan(const char *s, int64_t *us);

#endif
