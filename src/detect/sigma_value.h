/* sigma_value.h — Sigma values and modifiers → match atoms.
 *
 * A detection item "field|mod1|mod2: values" becomes a vg_item: values linked
 * by OR (AND with |all), each value an OR of atoms (modifiers like windash or
 * base64offset expand one value into several), optionally negated (|neq).
 * An atom is one primitive test: a wildcard pattern over the whole value,
 * a regex, a CIDR, a numeric or timestamp-part comparison, exists, null or a
 * field reference. Modifiers come from one registration table
 * (vg_value_modifiers) applied left to right with pySigma's semantics.
 *
 * Ownership: atoms and items are allocated in the `keep` arena; scratch work
 * uses `tmp`. Errors: VG_EPARSE / VG_EUNSUPPORTED / VG_ELIMIT with a reason in
 * err ("unknown modifier 'x'", "invalid regular expression ..."), VG_ENOMEM.
 * The per-value match helpers are pure and thread-safe. */
#ifndef VG_SIGMA_VALUE_H
#define VG_SIGMA_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "detect/sigma_yaml.h"

enum vg_atom_kind {
	VG_ATOM_STR,      /* wildcard pattern matched against the whole value */
	VG_ATOM_RE,       /* PCRE2 search (unanchored) */
	VG_ATOM_CIDR,     /* value parses as an IP inside the network */
	VG_ATOM_CMP,      /* value parses as a number; compare with num */
	VG_ATOM_EXISTS,   /* field present (op = 1) or absent (op = 0) */
	VG_ATOM_NULL,     /* field absent or only null-typed values */
	VG_ATOM_FIELDREF, /* value compared with another field's values */
	VG_ATOM_TIME,     /* a part (unit) of a timestamp value compared with num */
};

enum vg_wild { VG_W_LIT = 0, VG_W_STAR = 1, VG_W_ONE = 2 };
enum vg_time_unit { VG_TU_MINUTE, VG_TU_HOUR, VG_TU_DAY, VG_TU_WEEK, VG_TU_MONTH, VG_TU_YEAR };
/* FIELDREF modes (bit flags): contains = both. */
enum { VG_FR_START = 1, VG_FR_END = 2 };

typedef struct vg_atom {
	uint8_t kind;   /* enum vg_atom_kind */
	uint8_t cased;  /* STR/FIELDREF: case-sensitive compare */
	uint8_t op;     /* CMP/TIME: enum vg_cmp; EXISTS: wanted; FIELDREF: VG_FR_* */
	uint8_t unit;   /* TIME: enum vg_time_unit */
	uint8_t family; /* CIDR: 4 or 6 */
	uint8_t prefix; /* CIDR: prefix length */
	uint8_t net[16];
	uint32_t re_flags;         /* RE: PCRE2 compile options */
	const unsigned char *pat;  /* STR: pattern bytes; RE: regex; FIELDREF: field */
	const uint8_t *wild;       /* STR: enum vg_wild per byte of pat */
	size_t len;
	double num;                /* CMP/TIME */
	uint32_t lit;              /* filled by the compiler */
} vg_atom;

typedef struct vg_item {
	const char *field; /* Sigma field name; NULL: keyword over the raw record */
	uint8_t all;       /* values AND-linked */
	uint8_t neg;       /* |neq: the item is negated */
	uint32_t nvals;
	const uint32_t *val_end; /* value i holds atoms [val_end[i-1], val_end[i]) */
	vg_atom *atoms;
	uint32_t natoms;
	uint32_t gid;      /* filled by the compiler: engine-wide item number */
	uint8_t has_lazy;  /* filled by the compiler: an atom is evaluated lazily */
} vg_item;

typedef struct vg_modifier {
	const char *name;
	const char *doc; /* one line for docs/rules.md */
} vg_modifier;

/* The registration table (NULL-terminated by name). */
extern const vg_modifier vg_value_modifiers[];

/* Build one item. field: Sigma field or NULL for keywords; mods: the modifier
 * chain without the leading '|' ("contains|all"), may be ""; val: the YAML
 * value (scalar or sequence of scalars). *budget counts the atoms the rule may
 * still create (VG_MAX_RULE_VALUES); exceeding it is VG_ELIMIT. */
VG_WUR int vg_value_build(vg_arena *keep, vg_arena *tmp, const char *field, const char *mods, const vg_ynode *val,
			  vg_item *out, size_t *budget, char *err, size_t errlen);

/* A keyword item from plain values (a YAML list or scalar under an identifier). */
VG_WUR int vg_value_build_keywords(vg_arena *keep, vg_arena *tmp, const vg_ynode *val, vg_item *out, size_t *budget,
				   char *err, size_t errlen);

/* Per-value tests (match time; pure). */
int vg_value_wild_match(const vg_atom *at, const char *v, size_t n);
int vg_value_cidr_match(const vg_atom *at, const char *v, size_t n);
int vg_value_cmp_match(const vg_atom *at, const char *v, size_t n);
int vg_value_time_match(const vg_atom *at, const char *v, size_t n);
int vg_value_cmp(int op, double a, double b); /* a <op> b */

/* Number of literal/'?' bytes an STR pattern needs (0: matches the empty value). */
size_t vg_value_min_len(const vg_atom *at);

#endif
