/* sigma_cond.h — the Sigma condition grammar, parsed once into a tree.
 *
 *   expr    := and ('or' and)*            precedence: or < and < not < of < ()
 *   and     := not ('and' not)*
 *   not     := 'not' not | primary
 *   primary := '(' expr ')' | quant 'of' target | IDENT
 *   quant   := '1' | 'any' | 'all' | N     target := 'them' | IDENT-PATTERN
 *
 * Identifiers resolve against the rule's search identifiers while parsing, so
 * the tree holds indices, never names. 'them' leaves out identifiers that
 * start with '_'; patterns use '*' wildcards. Keywords are case-insensitive.
 *
 * Ownership: nodes live in the arena. Errors: VG_EPARSE (syntax, unknown
 * identifier, pattern matching nothing, deprecated '|' aggregations) and
 * VG_ELIMIT (nesting deeper than VG_MAX_RULE_DEPTH), with a message in err.
 * Thread-safe. */
#ifndef VG_SIGMA_COND_H
#define VG_SIGMA_COND_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

enum vg_cond_op { VG_COND_AND, VG_COND_OR, VG_COND_NOT, VG_COND_ID, VG_COND_OF };

typedef struct vg_cond_node vg_cond_node;
struct vg_cond_node {
	uint8_t op;            /* enum vg_cond_op */
	uint32_t k;            /* OF: identifiers that must hold; 0 = all of them */
	uint32_t n;            /* AND/OR/NOT: children; ID: 1; OF: identifiers */
	vg_cond_node **kids;   /* AND/OR/NOT */
	uint32_t *ids;         /* ID/OF: indices into the identifier list */
};

/* Parse text[0..len) against nident search identifier names. */
VG_WUR int vg_cond_parse(vg_arena *a, const char *text, size_t len, const char *const *idents, size_t nident,
			 vg_cond_node **out, char *err, size_t errlen);

/* Glob with '*' only (condition patterns); exported for tests. */
int vg_cond_glob(const char *pat, size_t plen, const char *s, size_t slen);

#endif
