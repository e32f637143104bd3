/* sigma_compile.h — the compiled engine: logsource groups, literal tables,
 * Hyperscan databases and PCRE2 codes (internal to src/detect).
 *
 * Rules with the same logsource triple form a group. Every distinct atom of a
 * group (same event fields, same test) is one "lit", numbered engine-wide.
 * Lits Hyperscan can find (wildcard patterns with at least one byte, regexes
 * it accepts) are scanned for; the others (null, exists, cidr, numbers,
 * fieldref, regexes Hyperscan refuses, one-byte patterns) are evaluated only
 * when a rule needs them. A hit marks the lit's items and their rules as
 * candidates; rules that could match with no hit at all are evaluated for
 * every event of their group.
 *
 * Databases belong to partitions: the groups sharing a (product, category).
 * A partition has one database per event field and one over the raw record
 * (keywords), so a field is scanned once however many of the event's groups
 * read it. When every raw lit is a wildcard pattern without ^ or \z (see
 * block_safe), the partition also has a block variant of the raw database,
 * reporting every match, with which the matcher scans a block of consecutive
 * records at once (vg_matcher_set_block); it also holds the gates of the
 * partition's fields whose patterns are long enough (gates_of): where it
 * finds none of a field's gate patterns in a record, a value of that field
 * lying inside the record holds none of its lits. An event's (product, service,
 * category) indexes a bucket: the groups whose logsource applies (a bitset,
 * which filters hits of the other groups of a partition) and the partitions
 * to scan.
 *
 * A database is compiled the first time an event needs it (vg_compile_fdb_
 * ready), so rules and fields no event meets cost no Hyperscan time. A
 * pattern Hyperscan refuses stays a scanned lit: it moves to the database's
 * "direct" list and is tested value by value instead, so nothing a rule
 * depends on changes after vg_engine_compile.
 *
 * Ownership: all of it belongs to the engine and is freed by vg_engine_free.
 * Thread-safety: immutable after vg_engine_compile, except (1) databases,
 * each built once by the thread that claims it (an atomic `claimed` flag;
 * threads needing different databases build them at the same time, and a
 * thread waiting for a database another one builds builds the partition's
 * unclaimed ones meanwhile) and published by a release store of its `ready`
 * flag (db and direct are read only after an acquire load; waiters sleep on
 * build_cv under build_lock), and (2) the field-map cache, under map_lock. */
#ifndef VG_SIGMA_COMPILE_H
#define VG_SIGMA_COMPILE_H

#include <hs/hs.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/arena.h"
#include "core/logsource.h"
#include "detect/engine.h"
#include "detect/sigma_load.h"

#define VG_NO_LIT UINT32_MAX

/* Event fields a Sigma field reads under one logsource, or the raw record. */
typedef struct vg_tset {
	uint8_t product, service, category;
	uint8_t raw;          /* keywords: the raw record */
	const char *sigma;    /* the Sigma field name (NULL for raw) */
	const char **names;   /* event field names */
	uint16_t *lens;
	uint32_t *hashes;
	size_t n;
} vg_tset;

/* Fixed-length patterns are compiled without ^ / \z (Hyperscan compiles
 * anchored literals several times slower); the matcher checks the anchors
 * from the reported end offset instead. */
enum { VG_ANCH_START = 1, VG_ANCH_END = 2 };

enum vg_lit_mode {
	VG_LIT_HS,   /* found by Hyperscan exactly */
	VG_LIT_PRE,  /* Hyperscan prefilter hit, confirmed with PCRE2 */
	VG_LIT_LAZY, /* evaluated on demand */
};

typedef struct vg_lit {
	const vg_atom *atom;   /* representative atom */
	const vg_tset *ts;
	const vg_tset *ref_ts; /* FIELDREF: the referenced field */
	pcre2_code *re;        /* RE with mode PRE or LAZY */
	uint32_t group;        /* the group whose rules use it */
	uint8_t mode;          /* enum vg_lit_mode; fixed after compile */
	uint8_t anch;          /* VG_ANCH_*: anchoring checked from the match offset */
	uint32_t hlen;         /* length of a fixed-length pattern's match (with anch) */
	uint8_t fixed;         /* STR (HS mode) with no inner '*': every match is hlen bytes */
	uint32_t items_off, nitems; /* items a hit touches (lit_items) */
} vg_lit;

typedef struct vg_fdb {
	const char *name; /* event field name; NULL: the raw record */
	uint16_t len;
	uint32_t hash;
	uint32_t id;      /* engine-wide number (per-matcher scratch state) */
	uint32_t *lits;   /* lits to scan for (HS and PRE modes) */
	size_t nlits;
	int ready;        /* atomic: db/direct built and published */
	int claimed;      /* atomic: a thread builds it (or has built it) */
	uint32_t part;    /* index of its partition in the engine */
	uint8_t block;    /* a raw database's block variant: every match reported */
	uint64_t gbit;    /* field database f < VG_GATE_MAX of its partition: 1 << f (its gate's bit); else 0 */
	uint64_t gates;   /* block variant: field databases (gbit) whose gates it holds */
	hs_database_t *db;
	uint32_t *direct; /* lits Hyperscan refused: tested value by value */
	size_t ndirect;
} vg_fdb;

typedef struct vg_group {
	uint8_t product, service, category;
	uint32_t part;    /* its partition */
	uint32_t *rules;  /* engine rule indices, ascending */
	size_t nrules;
	uint32_t *always; /* rules evaluated for every event of the group */
	size_t nalways;
	uint32_t lit0, lit1; /* the group's lits: [lit0, lit1) */
} vg_group;

typedef struct vg_part {
	uint8_t product, category;
	uint32_t *groups; /* member groups */
	size_t ngroups;
	vg_fdb *fdbs;     /* per event field */
	size_t nfdbs;
	uint32_t *slots;  /* open-addressing table of fdbs by name hash: index + 1, 0 empty */
	size_t nslots;    /* power of two */
	uint64_t filter[4]; /* bit (name hash >> 24) set for each fdb: most fields skip the table */
	vg_fdb raw;       /* keywords over the raw record (nlits 0: none) */
	/* raw's lits compiled to report every match (no SINGLEMATCH), for one
	 * scan over many records, with the gates of fields (gates); nlits 0:
	 * none, or a raw lit the block scan cannot take (a regex; ^ or \z in
	 * its expression). Built on first use like the others, but only when a
	 * block scan needs it. */
	vg_fdb rawblk;
} vg_part;

/* Field gates (sigma_compile.c): the block database of a partition also
 * reports, with id VG_GATE_ID(nlits, f), where a lit of its field database f
 * (f < VG_GATE_MAX, bit f of rawblk.gates) may hold. */
#define VG_GATE_MAX 64
#define VG_GATE_ID(nlits, f) ((uint32_t)(nlits) + (uint32_t)(f))

typedef struct vg_bucket {
	uint32_t *groups; /* groups that apply, ascending */
	size_t n;
	uint32_t *parts;  /* partitions holding them */
	size_t nparts;
	uint64_t *gmask;  /* groups as a bitset (ngroup_words words) */
} vg_bucket;

struct vg_tmap; /* (logsource, sigma field) → vg_tset cache */

struct vg_engine {
	vg_arena *arena;
	vg_srule **rules;
	size_t nrules, caprules;
	size_t rejected;
	int compiled;

	vg_lit *lits;
	size_t nlits;
	uint32_t *lit_items;  /* CSR: items (gid) per lit */
	uint32_t *item_rule;  /* rule of each item gid */
	size_t nitems;
	vg_group *groups;
	size_t ngroups;
	size_t ngroup_words;
	vg_part *parts;
	size_t nparts;
	size_t nfdb_ids;      /* fdbs numbered 0..nfdb_ids-1 */
	uint16_t *bucket_of; /* [product][service][category] → bucket + 1; 0: no rules */
	vg_bucket *buckets;
	size_t nbuckets;
	pcre2_code **codes;    /* every PCRE2 code, for freeing */
	size_t ncodes;
	size_t hs_fallback;    /* lits Hyperscan could not take (statistics) */
	size_t hs_bytes;       /* size of all databases built or loaded */
	size_t hs_built;       /* databases compiled (atomic) */
	size_t hs_cached;      /* databases loaded from the disk cache (atomic) */

	pthread_mutex_t build_lock; /* with build_cv: waiting for a database another thread builds */
	pthread_cond_t build_cv;
	pthread_mutex_t map_lock;   /* guards tmap after compile (vg_engine_map_field) */
	struct vg_tmap *tmap;
};

#define VG_NPROD ((size_t)VG_PRODUCT__COUNT)
#define VG_NSERV ((size_t)VG_SERVICE__COUNT)
#define VG_NCAT ((size_t)VG_CATEGORY__COUNT)

/* Build groups, lits, partitions and buckets for e->rules (correlations
 * already resolved); databases are left to vg_compile_fdb_ready. Returns 0
 * or VG_ENOMEM / VG_EINVAL. */
VG_WUR int vg_compile_build(vg_engine *e);
void vg_compile_free(vg_engine *e);

/* Make sure d's database exists (any thread); 0 or VG_ENOMEM. */
VG_WUR int vg_compile_fdb_ready(vg_engine *e, vg_fdb *d);
/* Build every database now (tests, tools measuring compile cost). */
VG_WUR int vg_compile_build_all(vg_engine *e);

/* The tset of a Sigma field under a logsource (created on first use);
 * caller holds map_lock after compile. NULL on ENOMEM. */
const vg_tset *vg_compile_tset(vg_engine *e, uint8_t product, uint8_t service, uint8_t category, const char *field);

/* Hyperscan expression text for an STR atom (for tests and the compiler).
 * With anchors == 0 the ^ and \z a fixed-length pattern needs are left out
 * and returned in *anch (VG_ANCH_*), its match length in *hlen. */
size_t vg_compile_hs_expr(const vg_atom *at, int anchors, char *out, size_t cap, uint8_t *anch, uint32_t *hlen);

/* Ablation for tests and benchmarks, after compile and before matching:
 * evaluate every atom directly (no Hyperscan), or run regexes without the
 * PCRE2 JIT. Not thread-safe; 0 or VG_ENOMEM/VG_EINVAL. */
int vg_compile_force_direct(vg_engine *e);
int vg_compile_drop_jit(vg_engine *e);

#endif
