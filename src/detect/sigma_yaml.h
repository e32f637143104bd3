/* sigma_yaml.h — libyaml events to a small generic node tree, bounded.
 * The Sigma loader reads rules from this tree instead of libyaml's event
 * stream, so rule logic never sees YAML syntax and every node knows its line.
 *
 * Ownership: every node and string lives in the arena given to
 * vg_yaml_parse; nothing is freed separately. Errors: VG_EPARSE for YAML
 * syntax (message with line:column), VG_ELIMIT for nesting deeper than
 * VG_MAX_RULE_DEPTH or too many documents, VG_EUNSUPPORTED for aliases and
 * non-scalar map keys, VG_ENOMEM. Thread-safe (no shared state). */
#ifndef VG_SIGMA_YAML_H
#define VG_SIGMA_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

enum vg_ytype { VG_Y_SCALAR, VG_Y_SEQ, VG_Y_MAP };

/* What a scalar means under the YAML 1.1 resolution PyYAML (and so pySigma)
 * applies; quoted and !!str scalars are always strings. */
enum vg_ykind { VG_YK_STR, VG_YK_NULL, VG_YK_BOOL, VG_YK_INT, VG_YK_FLOAT };

typedef struct vg_ynode vg_ynode;
struct vg_ynode {
	uint8_t type;   /* enum vg_ytype */
	uint8_t kind;   /* scalars: enum vg_ykind */
	uint8_t bval;   /* VG_YK_BOOL: 0/1 */
	uint32_t line;  /* 1-based */
	uint32_t col;   /* 1-based */
	const char *str; /* scalar text, NUL-terminated (may contain NULs: use len) */
	size_t len;
	const char *num; /* VG_YK_INT/FLOAT: canonical decimal text ("16" for 0x10) */
	vg_ynode **items; /* SEQ: n items; MAP: n values */
	vg_ynode **keys;  /* MAP: n scalar keys, in document order */
	size_t n;
};

typedef struct vg_ydoc_list {
	vg_ynode **docs; /* root node of each document (a scalar "" for an empty one) */
	size_t n;
} vg_ydoc_list;

#define VG_YAML_MAX_DOCS 1024

/* Parse len bytes (no NUL needed). On error, err holds "line L:C: problem". */
VG_WUR int vg_yaml_parse(vg_arena *a, const char *buf, size_t len, vg_ydoc_list *out, char *err, size_t errlen);

/* Value of key in a map, or NULL (last duplicate wins, as in PyYAML). */
const vg_ynode *vg_yaml_get(const vg_ynode *map, const char *key);
/* Scalar text or NULL when node is not a scalar. */
const char *vg_yaml_str(const vg_ynode *node);

#endif
