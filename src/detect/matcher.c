/* matcher.c — per-thread matching (vg_matcher_*, engine.h). For one event:
 * look up its bucket, scan each field value and the raw record once per
 * partition database (building it on first use), then evaluate only the
 * candidate rules in index order: "always" rules, and rules whose hit item can
 * make them hold (a rule that cannot hold unless one of a set of its items is
 * hit, a cover, marks itself only from its rarest cover: "a and (b or c)"
 * from a alone, or from b and c; a hit that can only lower a condition marks
 * nothing; see fill_lmark for what a hit of each item costs). Lazy lits are
 * computed at most once per event. No allocation per event. Values recur
 * (program names, actions, methods, user agents): what a database reports for
 * one is remembered per matcher (direct-mapped, keyed by database and bytes),
 * so a repeated value costs a hash and a compare, not a scan; an entry hit
 * since it came in survives one miss of its slot, so values seen once (query
 * strings) evict recurring ones less. The raw record (time stamp, pid) never
 * recurs: it is scanned uncached or, inside a block (vg_matcher_set_block),
 * taken from one scan of the block per partition (a Hyperscan call costs ~600
 * instructions before its first byte). That scan also holds field gates
 * (sigma_compile.c): a field value lying inside its record, where the scan
 * found none of the field's patterns (URLs, messages: mostly), is not
 * scanned at all; the raw record is therefore taken before the fields.
 * Field names are mostly the parsers' string literals, the same pointers
 * event after event: the field database of such a name is remembered per
 * matcher and partition by pointer, in a slot picked by the name's hash, so
 * a field costs one probe and no name compare. A rule's condition runs as a
 * flat program built per matcher (fill_prog), whose leaves read the hit
 * marks and lit states directly. */
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bytes.h"
#include "detect/engine.h"
#include "detect/sigma_compile.h"

enum { ST_UNKNOWN = 0, ST_TRUE = 1, ST_FALSE = 2, ST_MAYBE = 3 };

/* PCRE2 backtracking steps per value (the library default is 10 million). */
#define VG_RE_MATCH_LIMIT 1000000

/* The value cache: a value whose scan reports at most VC_MAXHITS lits (after
 * anchor checks) is remembered, direct-mapped, in one of two tables: short
 * values (names, actions, methods) and longer ones (user agents, paths). A
 * value over 64 bytes is hashed by its length and first and last 32 bytes
 * (where user agents and URLs differ); a hit still compares all of them. */
#define VC_SHORT 40
#define VC_SHORT_SLOTS 4096 /* powers of two */
#define VC_LONG 192
#define VC_LONG_SLOTS 512
#define VC_MAXHITS 6

typedef struct vc_ent {
	uint32_t fdb1;  /* fdb id + 1; 0: empty */
	uint16_t len;
	uint8_t nhits;  /* VC_MAXHITS + 1 while recording: too many to keep */
	uint8_t ref;    /* hit since it was stored or last spared (hs_value) */
	uint32_t hits[VC_MAXHITS];
	char *val;      /* the table's bytes for this slot */
} vc_ent;

/* The field cache: (partition, name pointer, length) → field database, for
 * names in read-only memory only (a pointer into the raw record or an arena
 * may hold other bytes in the next event; a read-only one cannot). */
#define FC_SLOTS 512 /* a power of two */

typedef struct fc_ent {
	const char *name;
	vg_fdb *d;        /* NULL: nothing to scan for in this field */
	uint32_t part;    /* UINT32_MAX: empty */
	uint16_t len;
} fc_ent;

/* The partition map, per matcher and partition (pm_new at the partition's
 * first event): one slot per field name hash byte (the partition's filter,
 * f->hash >> 24), so that a field costs one probe. A slot of the field
 * databases with that byte answers for the read-only name pointer it first
 * met with its database built; other names take fdb_lookup (pm_miss). */
#define PM_SLOTS 256

typedef struct pm_ent {
	const char *name; /* NULL: no field database to scan has this byte; pm_open: no name yet */
	vg_fdb *d;        /* name's database, ready (fdb_prepare) */
	size_t len;
} pm_ent;

static const char pm_open[1]; /* a slot's name no field has */

typedef struct vc_tab {
	vc_ent *ents;
	char *bytes;
	size_t mask, maxlen;
} vc_tab;

/* The block scan: per partition, every (end, lit) its raw block database
 * reports from the block offset `from` (the first record scanned with it) to
 * the block's end, in end order. Records after it take their hits from here,
 * a cursor moving forward. Past BLK_MAXHITS hits the scan stops and the
 * partition's records of this block are scanned one by one. */
#define BLK_MAXHITS (1u << 16)

typedef struct blk_hit {
	uint32_t end; /* from `from`, exclusive */
	uint32_t lit;
} blk_hit;

typedef struct blk_part {
	blk_hit *hits;
	size_t n, cap;
	size_t cur;     /* first hit no record has passed */
	size_t from;    /* block offset the scan started at */
	size_t done;    /* block offset the last record that took hits ended at */
	uint32_t epoch; /* == blk_epoch: scanned (or tried) in this block */
	uint8_t ok;     /* the hits are all the block's from `from` on */
	uint8_t sorted; /* while recording: ends came in order */
} blk_part;

/* What a hit of an item does: NM_NO marks it (imark) and makes its rule a
 * candidate; NM_IMARK (a hit cannot make the rule hold) only marks it, so
 * that eval_item may trust imark; NM_UNTRACKED does nothing, and eval_item
 * tests its lits instead: the items of one atom (as cheap to test as imark)
 * or with a short pattern (hit by most events: marking costs more than the
 * tests of the rare evaluations). */
enum { NM_NO = 0, NM_IMARK = 1, NM_UNTRACKED = 2 };
#define NM_SHORT 4 /* a pattern this short is hit by most events ("GET", "200") */

/* A bucket's "always" rules as candidate words, to OR in at once. */
typedef struct aw_ent {
	size_t w;
	uint64_t bits;
} aw_ent;

/* What a hit of a lit needs, next to each other (lit_wanted, lit_hit_inline):
 * hits replayed from the value cache read nothing of the lit itself. */
typedef struct lit_hot {
	uint32_t mark, imark; /* how many of its items are NM_NO, NM_IMARK */
	uint32_t items_off;   /* its items' run in lmark (vg_lit.items_off) */
	uint32_t group;       /* vg_lit.group */
	uint8_t hit;          /* the state a hit sets: ST_MAYBE (prefilter lit) or ST_TRUE */
} lit_hot;

/* A rule's condition as a program (fill_prog): its nodes in preorder, each
 * kid after its parent, NOTs folded into `neg`. Leaves are tested from what
 * the scans left (xn_leaf) without the item: an item whose lits Hyperscan
 * finds exactly and that lit_hit marks holds exactly when its imark is this
 * event's (XN_MARK); an item of one lit holds when the lit does (XN_LIT,
 * XN_LITHS); the rest take eval_item (XN_ITEM). */
enum { XN_AND, XN_OR, XN_ATLEAST, XN_MARK, XN_LITHS, XN_LIT, XN_ITEM, XN_CONST };

typedef struct xnode {
	uint8_t op;    /* XN_* */
	uint8_t neg;   /* the result is negated */
	uint32_t a;    /* AND, OR, ATLEAST: kids; MARK, ITEM: item gid; LIT*: lit */
	uint32_t k;    /* ATLEAST: kids that must hold */
	uint32_t size; /* nodes of the subtree, this one included */
} xnode;

struct vg_matcher {
	const vg_engine *e;
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	pcre2_match_context *mc; /* bounds backtracking on hostile values */
	pcre2_jit_stack *js;
	uint8_t *st;        /* per lit: ST_* for this event */
	uint32_t *touched;  /* lits whose st is not ST_UNKNOWN */
	size_t ntouched;
	uint32_t *imark;    /* per item not NM_UNTRACKED: == epoch when a lit of it was hit in this event */
	uint32_t epoch;     /* this event's number (never 0; wraps with a reset of imark) */
	uint8_t *nomark;    /* per item: NM_* (see item_polarity, fill_lmark) */
	uint32_t *lmark;    /* lit_items reordered per lit: NM_NO items, then NM_IMARK ones, then NM_UNTRACKED */
	lit_hot *lh;        /* per lit */
	uint64_t *cand;     /* candidate rules */
	size_t cmin, cmax;  /* candidate words in use: [cmin, cmax) */
	aw_ent *aw;         /* per bucket b, aw[aw_off[b], aw_off[b + 1]): its groups' always rules (fill_always) */
	size_t *aw_off;
	const vg_event *ev;
	size_t scan_len;        /* length of the value being scanned */
	const uint64_t *gmask;  /* groups of the event's bucket */
	uint8_t *fready;        /* per fdb id: built, and the scratch fits it */
	uint64_t build_ns;      /* time spent in first-use database builds (and waiting for them) */
	vc_tab vcs, vcl;        /* the value cache: short and long values */
	vc_ent *rec;            /* the entry the current scan records into, or NULL */
	fc_ent *fc;             /* the field cache */
	uintptr_t ro_lo, ro_hi; /* read-only memory holding this file's literals (0, 0: unknown) */
	const char *blk;        /* vg_matcher_set_block's block, or NULL */
	size_t blk_len;
	uint32_t blk_epoch;     /* counts blocks: blk_part states of older ones are stale */
	blk_part *bp;           /* per partition */
	uint64_t closed;        /* field databases (gbit) whose gates the block scan found closed for this record (gate_skip) */
	pm_ent **pm;            /* per partition: its map, or NULL before its first event */
	xnode *xn;              /* every rule's program (fill_prog) */
	uint32_t *xroot;        /* per rule: its program's first node in xn */
	const vg_item **gitem;  /* per item gid: the item (XN_ITEM) */
};

/* Polarity of each item in its rule's condition: bit 0 where a hit can only
 * raise the condition (an even number of NOTs, |neq included), bit 1 where it
 * can only lower it. AND, OR and "n of" are monotone, so a rule that is not in
 * its group's "always" list (false when none of its items is hit, whatever its
 * lazy items say) stays false when only lowering items are hit: such hits
 * need not make the rule a candidate. */
static void item_polarity(const vg_expr *x, unsigned odd, uint8_t *pol, size_t nitems)
{
	switch (x->op) {
	case VG_X_ITEM:
		if (x->item != NULL && x->item->gid < nitems)
			pol[x->item->gid] |= (odd ^ (x->item->neg != 0)) ? 2 : 1;
		return;
	case VG_X_NOT: odd ^= 1; /* fall through */
	default:
		for (uint32_t i = 0; i < x->n; i++)
			item_polarity(x->kids[i], odd, pol, nitems);
	}
}

/* How rarely an item is likely hit: its shortest pattern (short patterns,
 * "GET", "200", hit most events). */
static size_t item_rarity(const vg_item *it)
{
	size_t r = SIZE_MAX;
	for (uint32_t a = 0; a < it->natoms; a++) {
		const vg_atom *at = &it->atoms[a];
		size_t l = at->kind == VG_ATOM_STR || at->kind == VG_ATOM_RE ? at->len : 0;
		if (l < r)
			r = l;
	}
	return it->natoms != 0 ? r : 0;
}

/* A cover of x: items of which one is hit whenever x holds (each one not
 * negated and never evaluated lazily, so it holds only when hit). An item is
 * its own cover; AND takes its rarest kid's; OR and "n of" (n >= 1) the union
 * of all their kids' (each must have one); NOT has none. The rarity of a
 * cover is that of its commonest item. Returns -1 when x has no cover. */
static long long cover_rarity(const vg_expr *x, size_t nitems)
{
	long long best = -1, r;
	switch (x->op) {
	case VG_X_ITEM:
		if (x->item == NULL || x->item->neg || x->item->has_lazy || x->item->gid >= nitems)
			return -1;
		return (long long)item_rarity(x->item);
	case VG_X_AND:
		for (uint32_t i = 0; i < x->n; i++)
			if ((r = cover_rarity(x->kids[i], nitems)) > best)
				best = r;
		return best;
	case VG_X_ATLEAST:
		if (x->k == 0)
			return -1;
		/* fall through */
	case VG_X_OR:
		for (uint32_t i = 0; i < x->n; i++) {
			if ((r = cover_rarity(x->kids[i], nitems)) < 0)
				return -1;
			if (best < 0 || r < best)
				best = r;
		}
		return best;
	default: return -1;
	}
}

/* Flags (incover[gid] = 1) the items of the cover cover_rarity rated. */
static void cover_collect(const vg_expr *x, size_t nitems, uint8_t *incover)
{
	switch (x->op) {
	case VG_X_ITEM: incover[x->item->gid] = 1; return;
	case VG_X_AND: {
		const vg_expr *best = NULL;
		long long br = -1, r;
		for (uint32_t i = 0; i < x->n; i++)
			if ((r = cover_rarity(x->kids[i], nitems)) > br) {
				br = r;
				best = x->kids[i];
			}
		cover_collect(best, nitems, incover);
		return;
	}
	default: /* OR, ATLEAST: every kid */
		for (uint32_t i = 0; i < x->n; i++)
			cover_collect(x->kids[i], nitems, incover);
	}
}

/* nomark[gid] = 1: a hit of item gid need not make its rule a candidate,
 * because either the hit can only lower the condition (item_polarity) or the
 * rule has a cover (cover_rarity) without this item: whenever the rule
 * holds, an item of its cover was hit and marked it. Rules in an "always"
 * list are candidates anyway. Lazy-ness is fixed once the engine is compiled. */
static int fill_nomark(const vg_engine *e, uint8_t *nomark)
{
	uint8_t *incover = calloc(e->nitems ? e->nitems : 1, 1);
	if (incover == NULL)
		return VG_ENOMEM;
	for (size_t gi = 0; gi < e->ngroups; gi++) {
		const vg_group *g = &e->groups[gi];
		for (size_t ri = 0; ri < g->nrules; ri++) {
			const vg_srule *rl = e->rules[g->rules[ri]];
			if (rl->root != NULL)
				item_polarity(rl->root, 0, nomark, e->nitems);
		}
	}
	for (size_t i = 0; i < e->nitems; i++)
		nomark[i] = nomark[i] == 2;
	for (size_t gi = 0; gi < e->ngroups; gi++) {
		const vg_group *g = &e->groups[gi];
		for (size_t ri = 0; ri < g->nrules; ri++) {
			const vg_srule *rl = e->rules[g->rules[ri]];
			if (rl->root == NULL || cover_rarity(rl->root, e->nitems) < 0)
				continue;
			cover_collect(rl->root, e->nitems, incover);
			for (size_t k = 0; k < rl->nitems; k++)
				if (rl->items[k]->gid < e->nitems && !incover[rl->items[k]->gid])
					nomark[rl->items[k]->gid] = 1;
		}
	}
	free(incover);
	return 0;
}

/* Per bucket, the candidate words its groups' always rules set (m->aw):
 * one OR per word for each event instead of a mark per rule. */
static int fill_always(vg_matcher *m)
{
	const vg_engine *e = m->e;
	size_t nw = (e->nrules + 63) / 64 + 1, n = 0, cap = 1;
	uint64_t *words = calloc(nw, sizeof(*words));
	if (words == NULL)
		return VG_ENOMEM;
	for (size_t bi = 0; bi < e->nbuckets; bi++) {
		const vg_bucket *b = &e->buckets[bi];
		for (size_t gi = 0; gi < b->n; gi++) {
			const vg_group *g = &e->groups[b->groups[gi]];
			for (size_t i = 0; i < g->nalways; i++)
				words[g->always[i] / 64] |= (uint64_t)1 << (g->always[i] % 64);
		}
		for (size_t w = 0; w < nw; w++) {
			if (words[w] == 0)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				aw_ent *na = realloc(m->aw, nc * sizeof(*na));
				if (na == NULL) {
					free(words);
					return VG_ENOMEM;
				}
				m->aw = na;
				cap = nc;
			}
			m->aw[n++] = (aw_ent){.w = w, .bits = words[w]};
			words[w] = 0;
		}
		m->aw_off[bi + 1] = n;
	}
	free(words);
	return 0;
}

/* Per lit, its items grouped by what a hit does to them (NM_*), each group
 * in lit_items order. A lit hit by most events (the short patterns of access
 * logs, "GET", "200") mostly has items whose hit cannot make their rule hold:
 * sorted out here, they cost no test per hit. */
static void fill_lmark(vg_matcher *m)
{
	const vg_engine *e = m->e;
	for (size_t gi = 0; gi < e->ngroups; gi++) { /* fill_nomark's 1 is NM_IMARK */
		const vg_group *g = &e->groups[gi];
		for (size_t ri = 0; ri < g->nrules; ri++) {
			const vg_srule *rl = e->rules[g->rules[ri]];
			for (size_t k = 0; k < rl->nitems; k++) {
				const vg_item *it = rl->items[k];
				if (it->gid < e->nitems && m->nomark[it->gid] == NM_IMARK &&
				    (it->natoms <= 1 || item_rarity(it) <= NM_SHORT))
					m->nomark[it->gid] = NM_UNTRACKED;
			}
		}
	}
	for (size_t id = 0; id < e->nlits; id++) {
		const vg_lit *l = &e->lits[id];
		const uint32_t *is = e->lit_items + l->items_off;
		uint32_t *out = m->lmark + l->items_off, k = 0;
		for (uint8_t kind = NM_NO; kind <= NM_UNTRACKED; kind++) {
			for (uint32_t i = 0; i < l->nitems; i++)
				if (m->nomark[is[i]] == kind)
					out[k++] = is[i];
			if (kind == NM_NO)
				m->lh[id].mark = k;
			else if (kind == NM_IMARK)
				m->lh[id].imark = k - m->lh[id].mark;
		}
		m->lh[id].items_off = l->items_off;
		m->lh[id].group = l->group;
		m->lh[id].hit = l->mode == VG_LIT_PRE ? ST_MAYBE : ST_TRUE;
	}
}

/* Nodes x's program takes (prog_emit). */
static size_t prog_size(const vg_expr *x)
{
	size_t n = 1;
	while (x->op == VG_X_NOT && x->n != 0)
		x = x->kids[0];
	if (x->op == VG_X_AND || x->op == VG_X_OR || x->op == VG_X_ATLEAST)
		for (uint32_t i = 0; i < x->n; i++)
			n += prog_size(x->kids[i]);
	return n;
}

/* The leaf testing item it (xnode's op; *arg its operand). XN_MARK: every
 * atom is a lit Hyperscan finds exactly (a hit sets ST_TRUE and marks the
 * item), none is lazy, and one value of them must hold: the item holds when
 * a lit of it was hit. */
static uint8_t leaf_op(const vg_matcher *m, const vg_item *it, uint32_t *arg)
{
	const vg_lit *lits = m->e->lits;
	const uint32_t na = it->nvals != 0 ? it->val_end[it->nvals - 1] : 0;
	*arg = it->gid;
	if (na != it->natoms || (it->all && it->nvals > 1))
		return XN_ITEM;
	if (na == 0)
		return XN_CONST; /* no atom: never holds */
	if (na == 1) {
		*arg = it->atoms[0].lit;
		return lits[*arg].mode == VG_LIT_HS ? XN_LITHS : XN_LIT;
	}
	if (it->has_lazy || m->nomark[it->gid] == NM_UNTRACKED)
		return XN_ITEM;
	for (uint32_t a = 0; a < na; a++)
		if (lits[it->atoms[a].lit].mode != VG_LIT_HS)
			return XN_ITEM;
	return XN_MARK;
}

/* x's program (prog_size nodes) from xn[at]; returns the node after it. */
static uint32_t prog_emit(vg_matcher *m, const vg_expr *x, uint8_t neg, uint32_t at)
{
	while (x->op == VG_X_NOT && x->n != 0) {
		neg ^= 1;
		x = x->kids[0];
	}
	xnode *n = &m->xn[at];
	*n = (xnode){.op = XN_CONST, .neg = neg, .size = 1}; /* VG_X_FALSE, a NOT of nothing */
	if (x->op == VG_X_AND || x->op == VG_X_OR || x->op == VG_X_ATLEAST) {
		uint32_t end = at + 1;
		n->op = x->op == VG_X_AND ? XN_AND : x->op == VG_X_OR ? XN_OR : XN_ATLEAST;
		n->a = x->n;
		n->k = x->k;
		for (uint32_t i = 0; i < x->n; i++)
			end = prog_emit(m, x->kids[i], 0, end);
		m->xn[at].size = end - at;
		return end;
	}
	if (x->op == VG_X_ITEM && x->item != NULL) {
		n->op = leaf_op(m, x->item, &n->a);
		if (n->op == XN_ITEM)
			m->gitem[x->item->gid] = x->item;
		else
			n->neg ^= x->item->neg; /* eval_item's own negation */
	}
	return at + 1;
}

/* Every grouped rule's program (the rules vg_matcher_run may evaluate);
 * xn[0], false, for the others. After fill_lmark (XN_MARK needs nomark). */
static int fill_prog(vg_matcher *m)
{
	const vg_engine *e = m->e;
	size_t total = 1;
	for (size_t gi = 0; gi < e->ngroups; gi++)
		for (size_t ri = 0; ri < e->groups[gi].nrules; ri++) {
			const vg_srule *rl = e->rules[e->groups[gi].rules[ri]];
			if (rl->root != NULL)
				total += prog_size(rl->root);
		}
	if (total > UINT32_MAX)
		return VG_ENOMEM;
	m->xn = malloc(total * sizeof(*m->xn));
	m->xroot = calloc(e->nrules ? e->nrules : 1, sizeof(*m->xroot));
	m->gitem = calloc(e->nitems ? e->nitems : 1, sizeof(*m->gitem));
	if (m->xn == NULL || m->xroot == NULL || m->gitem == NULL)
		return VG_ENOMEM;
	m->xn[0] = (xnode){.op = XN_CONST, .size = 1};
	uint32_t at = 1;
	for (size_t gi = 0; gi < e->ngroups; gi++)
		for (size_t ri = 0; ri < e->groups[gi].nrules; ri++) {
			uint32_t rid = e->groups[gi].rules[ri];
			const vg_srule *rl = e->rules[rid];
			if (rl->root != NULL) {
				m->xroot[rid] = at;
				at = prog_emit(m, rl->root, 0, at);
			}
		}
	return 0;
}

static int vc_init(vc_tab *t, size_t slots, size_t maxlen)
{
	t->ents = calloc(slots, sizeof(*t->ents));
	t->bytes = malloc(slots * maxlen);
	if (t->ents == NULL || t->bytes == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < slots; i++)
		t->ents[i].val = t->bytes + i * maxlen;
	t->mask = slots - 1;
	t->maxlen = maxlen;
	return 0;
}

struct ro_find {
	uintptr_t addr, lo, hi;
};

static int ro_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct ro_find *f = arg;
	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = (uintptr_t)info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (ph->p_type == PT_LOAD && !(ph->p_flags & PF_W) && f->addr >= lo && f->addr < hi) {
			f->lo = lo;
			f->hi = hi;
			return 1;
		}
	}
	return 0;
}

/* The read-only segment holding this file's string literals, and so the
 * parsers' field names (linked into the same object); [0, 0) if not found. */
static void ro_span(uintptr_t *lo, uintptr_t *hi)
{
	static const char probe[] = "vigil";
	struct ro_find f = {.addr = (uintptr_t)probe};
	(void)dl_iterate_phdr(ro_segment, &f);
	*lo = f.lo;
	*hi = f.hi;
}

vg_matcher *vg_matcher_new(const vg_engine *e)
{
	if (e == NULL || !e->compiled)
		return NULL;
	vg_matcher *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->e = e;
	size_t nl = e->nlits ? e->nlits : 1, nw = (e->nrules + 63) / 64 + 1;
	m->st = calloc(nl, 1);
	m->touched = malloc(nl * sizeof(*m->touched));
	m->cand = calloc(nw, sizeof(*m->cand));
	m->imark = calloc(e->nitems ? e->nitems : 1, sizeof(*m->imark));
	m->fready = calloc(e->nfdb_ids ? e->nfdb_ids : 1, 1);
	m->fc = calloc(FC_SLOTS, sizeof(*m->fc));
	m->nomark = calloc(e->nitems ? e->nitems : 1, 1);
	size_t nli = 1; /* lit_items' length: the end of its last lit's run */
	for (size_t i = 0; i < e->nlits; i++)
		if (e->lits[i].items_off + (size_t)e->lits[i].nitems > nli)
			nli = e->lits[i].items_off + (size_t)e->lits[i].nitems;
	m->lmark = malloc(nli * sizeof(*m->lmark));
	m->lh = calloc(nl, sizeof(*m->lh));
	m->bp = calloc(e->nparts ? e->nparts : 1, sizeof(*m->bp));
	m->pm = calloc(e->nparts ? e->nparts : 1, sizeof(*m->pm));
	m->aw_off = calloc(e->nbuckets + 1, sizeof(*m->aw_off));
	m->aw = malloc(sizeof(*m->aw)); /* never NULL: aw + 0 */
	m->md = pcre2_match_data_create(1, NULL);
	m->js = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if ((m->mc = pcre2_match_context_create(NULL)) != NULL) {
		pcre2_set_match_limit(m->mc, VG_RE_MATCH_LIMIT);
		pcre2_set_depth_limit(m->mc, VG_RE_MATCH_LIMIT / 10);
		if (m->js != NULL)
			pcre2_jit_stack_assign(m->mc, NULL, m->js);
	}
	if (vc_init(&m->vcs, VC_SHORT_SLOTS, VC_SHORT) != 0 || vc_init(&m->vcl, VC_LONG_SLOTS, VC_LONG) != 0 ||
	    m->st == NULL || m->touched == NULL || m->cand == NULL || m->md == NULL || m->mc == NULL || m->js == NULL ||
	    m->imark == NULL || m->fc == NULL || m->fready == NULL ||
	    m->nomark == NULL || m->lmark == NULL || m->lh == NULL || m->bp == NULL || m->pm == NULL) {
		vg_matcher_free(m);
		return NULL;
	}
	if (m->aw_off == NULL || m->aw == NULL || fill_always(m) != 0 || fill_nomark(e, m->nomark) != 0) {
		vg_matcher_free(m);
		return NULL;
	}
	fill_lmark(m);
	if (fill_prog(m) != 0) {
		vg_matcher_free(m);
		return NULL;
	}
	m->cmin = SIZE_MAX;
	m->epoch = 1;
	for (size_t i = 0; i < FC_SLOTS; i++)
		m->fc[i].part = UINT32_MAX; /* empty: no partition has this index */
	ro_span(&m->ro_lo, &m->ro_hi);
	return m;
}

void vg_matcher_free(vg_matcher *m)
{
	if (m == NULL)
		return;
	hs_free_scratch(m->scratch);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	pcre2_jit_stack_free(m->js);
	free(m->st);
	free(m->touched);
	free(m->cand);
	free(m->imark);
	free(m->fc);
	free(m->fready);
	free(m->vcs.ents);
	free(m->vcs.bytes);
	free(m->vcl.ents);
	free(m->vcl.bytes);
	free(m->nomark);
	free(m->lmark);
	free(m->lh);
	if (m->bp != NULL)
		for (size_t i = 0; i < m->e->nparts; i++)
			free(m->bp[i].hits);
	free(m->bp);
	if (m->pm != NULL)
		for (size_t i = 0; i < m->e->nparts; i++)
			free(m->pm[i]);
	free(m->pm);
	free(m->aw);
	free(m->aw_off);
	free(m->xn);
	free(m->xroot);
	free(m->gitem);
	free(m);
}

static inline void mark_rule(vg_matcher *m, uint32_t rid)
{
	size_t w = rid / 64;
	m->cand[w] |= (uint64_t)1 << (rid % 64);
	if (w < m->cmin)
		m->cmin = w;
	if (w + 1 > m->cmax)
		m->cmax = w + 1;
}

/* Lit id holds for this event (st: ST_TRUE, or ST_MAYBE for a prefilter hit).
 * Inline in the per-field loop, where most hits come from the value cache;
 * lit_hit elsewhere. */
static inline __attribute__((always_inline)) void lit_hit_inline(vg_matcher *m, uint32_t id, uint8_t st)
{
	const lit_hot nc = m->lh[id];
	m->st[id] = st;
	m->touched[m->ntouched++] = id;
	const uint32_t *is = m->lmark + nc.items_off;
	for (uint32_t i = 0; i < nc.mark; i++) {
		uint32_t gid = is[i];
		if (m->imark[gid] == m->epoch)
			continue;
		m->imark[gid] = m->epoch;
		mark_rule(m, m->e->item_rule[gid]);
	}
	for (uint32_t i = nc.mark; i < nc.mark + nc.imark; i++)
		m->imark[is[i]] = m->epoch;
}

static void lit_hit(vg_matcher *m, uint32_t id, uint8_t st)
{
	lit_hit_inline(m, id, st);
}

static inline int lit_wanted(const vg_matcher *m, uint32_t id)
{
	const uint32_t g = m->lh[id].group;
	/* not yet known, and of a group that applies to the event */
	return m->st[id] == ST_UNKNOWN && (m->gmask[g / 64] >> (g % 64) & 1);
}

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	(void)from;
	(void)flags;
	vg_matcher *m = ctx;
	const vg_lit *l = &m->e->lits[id];
	if (m->rec == NULL && !lit_wanted(m, id))
		return 0;
	if (((l->anch & VG_ANCH_START) && to != l->hlen) || ((l->anch & VG_ANCH_END) && to != m->scan_len))
		return 0;
	if (m->rec != NULL) {
		/* every lit the value holds, wanted by this event or not: a later
		 * event with the same value may have another bucket */
		vc_ent *c = m->rec;
		int seen = 0;
		for (uint8_t i = 0; i < c->nhits && i < VC_MAXHITS && !seen; i++)
			seen = c->hits[i] == id;
		if (!seen && c->nhits <= VC_MAXHITS) {
			if (c->nhits < VC_MAXHITS)
				c->hits[c->nhits] = id;
			c->nhits++;
		}
		if (!lit_wanted(m, id))
			return 0;
	}
	lit_hit(m, id, l->mode == VG_LIT_PRE ? ST_MAYBE : ST_TRUE);
	return 0;
}

/* ---- lazy lits ------------------------------------------------------------------ */

static inline unsigned char lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

static int bytes_eq(const char *a, const char *b, size_t n, int cased)
{
	if (cased)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return 0;
	return 1;
}

static int contains(const char *h, size_t hn, const char *nd, size_t nn, int cased)
{
	if (nn == 0)
		return 1;
	for (size_t i = 0; i + nn <= hn; i++)
		if (bytes_eq(h + i, nd, nn, cased))
			return 1;
	return 0;
}

static int fieldref_pair(const vg_atom *a, const vg_field *x, const vg_field *y)
{
	switch (a->op & (VG_FR_START | VG_FR_END)) {
	case VG_FR_START:
		return y->val_len <= x->val_len && bytes_eq(x->val, y->val, y->val_len, a->cased);
	case VG_FR_END:
		return y->val_len <= x->val_len && bytes_eq(x->val + x->val_len - y->val_len, y->val, y->val_len, a->cased);
	case VG_FR_START | VG_FR_END:
		return contains(x->val, x->val_len, y->val, y->val_len, a->cased);
	default:
		return x->val_len == y->val_len && bytes_eq(x->val, y->val, x->val_len, a->cased);
	}
}

static int re_match(vg_matcher *m, const vg_lit *l, const char *v, size_t n)
{
	/* Hitting the limit counts as no match: one hostile value cannot stall the scan. */
	return pcre2_match(l->re, (PCRE2_SPTR)v, n, 0, 0, m->md, m->mc) >= 0;
}

static int value_test(vg_matcher *m, const vg_lit *l, const char *v, size_t n)
{
	const vg_atom *a = l->atom;
	switch (a->kind) {
	case VG_ATOM_STR: return vg_value_wild_match(a, v, n);
	case VG_ATOM_RE: return l->re != NULL && re_match(m, l, v, n);
	case VG_ATOM_CIDR: return vg_value_cidr_match(a, v, n);
	case VG_ATOM_CMP: return vg_value_cmp_match(a, v, n);
	case VG_ATOM_TIME: return vg_value_time_match(a, v, n);
	default: return 0;
	}
}

static int eval_lazy(vg_matcher *m, const vg_lit *l)
{
	const vg_event *ev = m->ev;
	const vg_tset *ts = l->ts;
	const vg_atom *a = l->atom;
	const vg_field *f;
	if (ts->raw)
		return ev->raw != NULL && value_test(m, l, ev->raw, ev->raw_len);
	switch (a->kind) {
	case VG_ATOM_EXISTS:
	case VG_ATOM_NULL:
		/* decided by the first field present (exists) or not null (null) */
		for (size_t k = 0; k < ts->n; k++)
			for (size_t pos = 0; (f = vg_event_next(ev, ts->names[k], ts->lens[k], ts->hashes[k], &pos));) {
				if (a->kind == VG_ATOM_EXISTS)
					return a->op != 0;
				if (f->type != VG_V_NULL)
					return 0;
			}
		return a->kind == VG_ATOM_EXISTS ? a->op == 0 : 1;
	case VG_ATOM_FIELDREF: {
		const vg_tset *rs = l->ref_ts;
		for (size_t k = 0; k < ts->n; k++)
			for (size_t pos = 0; (f = vg_event_next(ev, ts->names[k], ts->lens[k], ts->hashes[k], &pos));)
				for (size_t j = 0; j < rs->n; j++) {
					const vg_field *g;
					for (size_t p2 = 0; (g = vg_event_next(ev, rs->names[j], rs->lens[j], rs->hashes[j], &p2));)
						if (fieldref_pair(a, f, g))
							return 1;
				}
		return 0;
	}
	default:
		for (size_t k = 0; k < ts->n; k++)
			for (size_t pos = 0; (f = vg_event_next(ev, ts->names[k], ts->lens[k], ts->hashes[k], &pos));)
				if (value_test(m, l, f->val, f->val_len))
					return 1;
		return 0;
	}
}

/* Lit id of a lazy or prefilter mode, not decided yet (state s): decide it. */
static __attribute__((noinline)) int lit_decide(vg_matcher *m, uint32_t id, uint8_t s)
{
	const vg_lit *l = &m->e->lits[id];
	if (s == ST_UNKNOWN && l->mode != VG_LIT_LAZY)
		return 0; /* Hyperscan saw no hit */
	int v = eval_lazy(m, l);
	if (s == ST_UNKNOWN)
		m->touched[m->ntouched++] = id;
	m->st[id] = v ? ST_TRUE : ST_FALSE;
	return v;
}

static inline int lit_true(vg_matcher *m, uint32_t id)
{
	uint8_t s = m->st[id];
	if (s == ST_TRUE)
		return 1;
	if (s == ST_FALSE)
		return 0;
	return lit_decide(m, id, s);
}

static __attribute__((noinline)) int eval_item(vg_matcher *m, const vg_item *it)
{
	int res = 0;
	uint32_t a0 = 0;
	/* imark is not kept for NM_UNTRACKED items (fill_lmark) */
	if (!it->has_lazy && m->nomark[it->gid] != NM_UNTRACKED && m->imark[it->gid] != m->epoch)
		return it->neg; /* none of its values can hold */
	if (!it->all) { /* any value: any atom of any value */
		const uint32_t na = it->nvals != 0 ? it->val_end[it->nvals - 1] : 0;
		for (uint32_t a = 0; a < na; a++)
			if (lit_true(m, it->atoms[a].lit))
				return !it->neg;
		return it->neg;
	}
	for (uint32_t v = 0; v < it->nvals; v++) { /* every value: an atom of each */
		int vr = 0;
		for (uint32_t a = a0; a < it->val_end[v] && !vr; a++)
			vr = lit_true(m, it->atoms[a].lit);
		a0 = it->val_end[v];
		if (!vr)
			return it->neg;
		res = 1;
	}
	return it->neg ? !res : res;
}

static int xn_eval(vg_matcher *m, const xnode *x);

/* A node of a program: leaves without a call but for lazy lits and general
 * items. */
static inline int xn_leaf(vg_matcher *m, const xnode *x)
{
	switch (x->op) {
	case XN_MARK: return (m->imark[x->a] == m->epoch) ^ x->neg;
	case XN_LITHS: return (m->st[x->a] == ST_TRUE) ^ x->neg; /* never ST_MAYBE nor decided lazily */
	case XN_LIT: return lit_true(m, x->a) ^ x->neg;
	case XN_ITEM: return eval_item(m, m->gitem[x->a]) ^ x->neg;
	case XN_CONST: return x->neg;
	default: return xn_eval(m, x);
	}
}

/* A node: inline in vg_matcher_run's rule loop (no call for a rule of
 * leaves), through xn_eval below it. */
static inline __attribute__((always_inline)) int xn_node(vg_matcher *m, const xnode *x)
{
	const xnode *k = x + 1;
	uint32_t i;
	switch (x->op) {
	case XN_AND:
		for (i = 0; i < x->a; i++, k += k->size)
			if (!xn_leaf(m, k))
				return x->neg;
		return !x->neg;
	case XN_OR:
		for (i = 0; i < x->a; i++, k += k->size)
			if (xn_leaf(m, k))
				return !x->neg;
		return x->neg;
	case XN_ATLEAST: {
		uint32_t got = 0;
		for (i = 0; i < x->a && got < x->k; i++, k += k->size) {
			got += (uint32_t)xn_leaf(m, k);
			if (got + (x->a - i - 1) < x->k)
				return x->neg;
		}
		return (got >= x->k) ^ x->neg;
	}
	default: return xn_leaf(m, x);
	}
}

static __attribute__((noinline)) int xn_eval(vg_matcher *m, const xnode *x)
{
	return xn_node(m, x);
}

/* f's field database in p (whose filter f passed), or NULL. */
static vg_fdb *fdb_find(const vg_part *p, const vg_field *f)
{
	size_t mask = p->nslots - 1;
	for (size_t j = f->hash & mask;; j = (j + 1) & mask) {
		uint32_t s = p->slots[j];
		if (s == 0)
			return NULL;
		vg_fdb *d = &p->fdbs[s - 1];
		if (d->hash == f->hash && d->len == f->name_len && vg_bytes_eq(d->name, f->name, f->name_len))
			return d;
	}
}

/* The field database to scan f with in partition pi (p), or NULL: past the
 * partition's filter, through the field cache when f's name is read-only. */
static inline vg_fdb *fdb_lookup(vg_matcher *m, const vg_part *p, uint32_t pi, const vg_field *f)
{
	uint32_t h8 = f->hash >> 24;
	if (!(p->filter[h8 / 64] >> (h8 % 64) & 1))
		return NULL;
	fc_ent *c = &m->fc[((f->hash >> 12) ^ pi * 0x9Fu) & (FC_SLOTS - 1)];
	if (c->name == f->name && c->len == f->name_len && c->part == pi)
		return c->d;
	vg_fdb *d = fdb_find(p, f);
	if (d != NULL && d->nlits == 0)
		d = NULL;
	if ((uintptr_t)f->name - m->ro_lo < m->ro_hi - m->ro_lo) {
		c->name = f->name;
		c->len = f->name_len;
		c->part = pi;
		c->d = d;
	}
	return d;
}

/* d's database is built and this matcher's scratch fits it (first use). */
static __attribute__((noinline)) int fdb_prepare(vg_matcher *m, vg_fdb *d)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = vg_compile_fdb_ready((vg_engine *)(uintptr_t)m->e, d); /* built on first use, under a lock */
	if (r == 0 && d->db != NULL && hs_alloc_scratch(d->db, &m->scratch) != HS_SUCCESS)
		r = VG_ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m->build_ns += (uint64_t)((int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
	if (r != 0)
		return r;
	m->fready[d->id] = 1;
	return 0;
}

uint64_t vg_matcher_build_ns(const vg_matcher *m)
{
	return m != NULL ? m->build_ns : 0;
}

static inline uint64_t vc_hash(uint32_t fdb, const char *v, size_t n)
{
	/* fixed-size loads only (an overlapping last word), no byte loop */
	uint64_t h = (uint64_t)fdb * 0x9E3779B97F4A7C15u ^ n, w;
	if (n > 64) { /* long values (user agents, URLs) differ within their first or last 32 bytes */
		for (size_t i = 0; i < 32; i += 8) {
			uint64_t w2;
			memcpy(&w, v + i, 8);
			memcpy(&w2, v + n - 32 + i, 8);
			h = (h ^ w) * 0xFF51AFD7ED558CCDu;
			h = (h ^ w2) * 0xFF51AFD7ED558CCDu;
		}
	} else if (n >= 8) {
		size_t i = 0;
		for (; i + 16 <= n; i += 16) { /* two words a turn: less loop control */
			uint64_t w2;
			memcpy(&w, v + i, 8);
			memcpy(&w2, v + i + 8, 8);
			h = (h ^ w) * 0xFF51AFD7ED558CCDu;
			h = (h ^ w2) * 0xFF51AFD7ED558CCDu;
		}
		if (i + 8 <= n) {
			memcpy(&w, v + i, 8);
			h = (h ^ w) * 0xFF51AFD7ED558CCDu;
		}
		if (n % 8 != 0) {
			memcpy(&w, v + n - 8, 8);
			h = (h ^ w) * 0xFF51AFD7ED558CCDu;
		}
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, v, 4);
		memcpy(&b, v + n - 4, 4);
		h = (h ^ ((uint64_t)a << 32 | b)) * 0xFF51AFD7ED558CCDu;
	} else if (n > 0) {
		w = (uint64_t)(unsigned char)v[0] << 16 | (uint64_t)(unsigned char)v[n / 2] << 8 | (unsigned char)v[n - 1];
		h = (h ^ w) * 0xFF51AFD7ED558CCDu;
	}
	return h ^ h >> 29;
}

/* Hyperscan over one value, recording into the cache entry c (or NULL). */
static __attribute__((noinline)) int hs_value_scan(vg_matcher *m, vg_fdb *d, const char *v, size_t n, vc_ent *c)
{
	if (c != NULL) {
		c->fdb1 = 0;
		c->nhits = 0;
		c->ref = 0;
		m->rec = c;
	}
	m->scan_len = n;
	hs_error_t hr = hs_scan(d->db, v, (unsigned)n, 0, m->scratch, on_hit, m);
	m->rec = NULL;
	if (hr != HS_SUCCESS)
		return VG_EINVAL;
	if (c != NULL && c->nhits <= VC_MAXHITS) {
		c->fdb1 = d->id + 1;
		c->len = (uint16_t)n;
		memcpy(c->val, v, n);
	}
	return 0;
}

/* Hyperscan over a field's value, through the value cache when the value is
 * short (the raw record, with its time stamp, never recurs: raw_scan).
 * Inline: a cache hit, most values, then costs no call. */
static inline int hs_value(vg_matcher *m, vg_fdb *d, const char *v, size_t n)
{
	vc_ent *c = NULL;
	vc_tab *t = n <= VC_SHORT ? &m->vcs : n <= VC_LONG ? &m->vcl : NULL;
	if (t != NULL) {
		c = &t->ents[vc_hash(d->id, v, n) & t->mask];
		/* long values (user agents, paths): libc's vector compare */
		if (c->fdb1 == d->id + 1 && c->len == n &&
		    (n <= 32 ? vg_bytes_eq(c->val, v, n) : memcmp(c->val, v, n) == 0)) {
			for (uint8_t i = 0; i < c->nhits; i++)
				if (lit_wanted(m, c->hits[i]))
					lit_hit_inline(m, c->hits[i], m->lh[c->hits[i]].hit);
			c->ref = 1;
			return 0;
		}
		if (c->ref) { /* spared: a value hit since it came in outlives one miss */
			c->ref = 0;
			c = NULL;
		}
	}
	return hs_value_scan(m, d, v, n, c);
}

/* d's lits that Hyperscan cannot take, tested one by one. */
static __attribute__((noinline)) void direct_lits(vg_matcher *m, vg_fdb *d, const char *v, size_t n)
{
	for (size_t i = 0; i < d->ndirect; i++) {
		uint32_t id = d->direct[i];
		if (lit_wanted(m, id) && value_test(m, &m->e->lits[id], v, n))
			lit_hit(m, id, ST_TRUE);
	}
}

/* Scan a field's value for d's lits (d ready; skip_db: not with its database,
 * whose lits the block scan's gate says cannot hold; gate_skip). */
static inline int fdb_scan(vg_matcher *m, vg_fdb *d, const char *v, size_t n, int skip_db)
{
	int r;
	if (!skip_db && d->db != NULL && (r = hs_value(m, d, v, n)) != 0)
		return r;
	if (d->ndirect != 0)
		direct_lits(m, d, v, n);
	return 0;
}

/* p's map (partition pi), slots open where a field database has lits. */
static __attribute__((noinline)) pm_ent *pm_new(vg_matcher *m, const vg_part *p, uint32_t pi)
{
	pm_ent *pm = calloc(PM_SLOTS, sizeof(*pm));
	if (pm == NULL)
		return NULL;
	for (size_t i = 0; i < p->nfdbs; i++)
		if (p->fdbs[i].nlits != 0)
			pm[p->fdbs[i].hash >> 24].name = pm_open;
	m->pm[pi] = pm;
	return pm;
}

/* f's database in partition pi (p) when its slot c does not know f's name
 * (NULL: none), through fdb_lookup; built now if f has a value to scan
 * (*r: an error). The slot takes a read-only name of its own with a ready
 * database. */
static __attribute__((noinline)) vg_fdb *pm_miss(vg_matcher *m, const vg_part *p, uint32_t pi, pm_ent *c,
						 const vg_field *f, int *r)
{
	vg_fdb *d = fdb_lookup(m, p, pi, f);
	if (d == NULL)
		return NULL;
	if (!m->fready[d->id]) {
		if (f->val_len == 0)
			return NULL; /* built when a value needs it */
		if ((*r = fdb_prepare(m, d)) != 0)
			return NULL;
	}
	if (c->name == pm_open && (uintptr_t)f->name - m->ro_lo < m->ro_hi - m->ro_lo) {
		c->name = f->name;
		c->len = f->name_len;
		c->d = d;
	}
	return d;
}

void vg_matcher_set_block(vg_matcher *m, const char *buf, size_t len)
{
	m->blk = len != 0 && len <= UINT32_MAX ? buf : NULL;
	m->blk_len = m->blk != NULL ? len : 0;
	if (++m->blk_epoch == 0) { /* wrapped: no state may look current */
		for (size_t i = 0; i < m->e->nparts; i++)
			m->bp[i].epoch = 0;
		m->blk_epoch = 1;
	}
}

static int on_block_hit(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
			void *ctx)
{
	(void)from;
	(void)flags;
	blk_part *bp = ctx;
	if (bp->n == bp->cap) {
		size_t nc = bp->cap != 0 ? bp->cap * 2 : 256;
		blk_hit *nh = nc <= BLK_MAXHITS ? realloc(bp->hits, nc * sizeof(*nh)) : NULL;
		if (nh == NULL)
			return 1; /* too many (or no memory): stop, scan record by record */
		bp->hits = nh;
		bp->cap = nc;
	}
	if (bp->n != 0 && to < bp->hits[bp->n - 1].end)
		bp->sorted = 0;
	bp->hits[bp->n++] = (blk_hit){.end = (uint32_t)to, .lit = id};
	return 0;
}

static int cmp_hit_end(const void *a, const void *b)
{
	uint32_t x = ((const blk_hit *)a)->end, y = ((const blk_hit *)b)->end;
	return x < y ? -1 : x > y;
}

/* Scan the block from offset `from` to its end with p's block database. */
static __attribute__((noinline)) int block_scan(vg_matcher *m, const vg_part *p, blk_part *bp, size_t from)
{
	vg_fdb *bd = (vg_fdb *)(uintptr_t)&p->rawblk;
	int r;
	if (!m->fready[bd->id] && (r = fdb_prepare(m, bd)) != 0)
		return r;
	/* the block database must hold every lit the record database scans for */
	if (bd->db == NULL || bd->ndirect != 0 || p->raw.ndirect != 0)
		return 0;
	bp->n = bp->cur = 0;
	bp->from = bp->done = from;
	bp->sorted = 1;
	hs_error_t hr = hs_scan(bd->db, m->blk + from, (unsigned)(m->blk_len - from), 0, m->scratch, on_block_hit, bp);
	if (hr == HS_SCAN_TERMINATED)
		return 0;
	if (hr != HS_SUCCESS)
		return VG_EINVAL;
	if (!bp->sorted)
		qsort(bp->hits, bp->n, sizeof(*bp->hits), cmp_hit_end);
	bp->ok = 1;
	return 0;
}

/* The raw record v (n bytes, at block offset s) takes p's lits from the
 * block scan, which runs at the partition's first record of the block.
 * Returns 1 when done, 0 when v must be scanned on its own (v lies before
 * the scan or before the last record served, the scan stopped, or a lit
 * without a fixed length has a match ending in v: whether it starts in v
 * only a scan of v tells), or an error. A match of a fixed-length lit
 * ending in v is v's when it starts in v; its anchors are checked as
 * on_hit does, from offsets made relative to v. */
static int block_take(vg_matcher *m, const vg_part *p, uint32_t pi, size_t s, size_t n)
{
	blk_part *bp = &m->bp[pi];
	int r;
	if (bp->epoch != m->blk_epoch) {
		bp->epoch = m->blk_epoch;
		bp->ok = 0;
		if ((r = block_scan(m, p, bp, s)) != 0)
			return r;
	}
	if (!bp->ok || s < bp->done)
		return 0;
	const vg_lit *lits = m->e->lits;
	const blk_hit *h = bp->hits; /* NULL while nothing was hit */
	const uint32_t nlits = (uint32_t)m->e->nlits;
	size_t i = bp->cur, rs = s - bp->from, re = rs + n;
	uint64_t open = 0;
	int alone = 0;
	while (i < bp->n && h[i].end <= rs)
		i++;
	for (; i < bp->n && h[i].end <= re; i++) {
		uint32_t id = h[i].lit, to = (uint32_t)(h[i].end - rs);
		if (id >= nlits) { /* a field's gate (VG_GATE_ID) */
			open |= (uint64_t)1 << (id - nlits);
			continue;
		}
		const vg_lit *l = &lits[id];
		if (!lit_wanted(m, id))
			continue;
		if (!l->fixed) {
			alone = 1;
			continue;
		}
		if (to < l->hlen || ((l->anch & VG_ANCH_START) && to != l->hlen) || ((l->anch & VG_ANCH_END) && to != n))
			continue;
		lit_hit(m, id, ST_TRUE); /* exact: a block database has no prefilter lit */
	}
	bp->cur = i;
	bp->done = s + n;
	m->closed = p->rawblk.gates & ~open;
	return !alone;
}

/* Scan the raw record v (n bytes) for p's raw lits: from the block scan when
 * v lies in the block and p has a block database, else on its own. */
static int raw_scan(vg_matcher *m, const vg_part *p, uint32_t pi, const char *v, size_t n)
{
	vg_fdb *d = (vg_fdb *)(uintptr_t)&p->raw;
	size_t s = (size_t)((uintptr_t)v - (uintptr_t)m->blk);
	int r;
	if (!m->fready[d->id] && (r = fdb_prepare(m, d)) != 0)
		return r;
	m->scan_len = n;
	if (d->db != NULL) {
		r = m->blk != NULL && p->rawblk.nlits != 0 && s < m->blk_len && n <= m->blk_len - s
			    ? block_take(m, p, pi, s, n)
			    : 0;
		if (r == 0)
			r = hs_value_scan(m, d, v, n, NULL);
		if (r < 0)
			return r;
	}
	if (d->ndirect != 0)
		direct_lits(m, d, v, n);
	return 0;
}

/* The gate of f's database d (sigma_compile.c) says none of d's lits holds
 * in f's value: the block scan served this record and found none of the
 * gate's patterns in it (closed), and the value's bytes lie inside the
 * record, where each match of a lit in the value is one of its gate. */
static inline int gate_skip(uint64_t closed, const vg_fdb *d, const vg_field *f, uintptr_t raw, size_t raw_len)
{
	/* off wraps to a huge value when the value starts before the record */
	size_t off = (uintptr_t)f->val - raw;
	return (closed & d->gbit) != 0 && off <= raw_len && off + f->val_len <= raw_len;
}

/* Scan ev's fields with partition pi's (p) field databases; m->closed: the
 * gates raw_scan found closed. */
static __attribute__((noinline)) int scan_fields(vg_matcher *m, const vg_part *p, uint32_t pi, const vg_event *ev)
{
	pm_ent *pm = m->pm[pi];
	if (pm == NULL && (pm = pm_new(m, p, pi)) == NULL)
		return VG_ENOMEM;
	const uintptr_t raw = (uintptr_t)ev->raw;
	const size_t raw_len = ev->raw_len;
	const uint64_t closed = m->closed;
	int r = 0;
	for (const vg_field *f = ev->fields, *fend = ev->fields + ev->nfields; f < fend; f++) {
		pm_ent *c = &pm[f->hash >> 24];
		vg_fdb *d;
		if (c->name == NULL)
			continue; /* most fields */
		if (c->name == f->name && c->len == f->name_len) {
			d = c->d;
		} else if ((d = pm_miss(m, p, pi, c, f, &r)) == NULL) {
			if (r != 0)
				return r;
			continue;
		}
		if (f->val_len == 0)
			continue;
		int skip = 0; /* the gate's test only where it is closed: nothing of it computed ahead */
		if (__builtin_expect((closed & d->gbit) != 0, 0))
			skip = gate_skip(closed, d, f, raw, raw_len);
		if ((r = fdb_scan(m, d, f->val, f->val_len, skip)) != 0)
			return r;
	}
	return 0;
}

static void reset_event(vg_matcher *m)
{
	for (size_t i = 0; i < m->ntouched; i++)
		m->st[m->touched[i]] = ST_UNKNOWN;
	m->ntouched = 0;
	if (++m->epoch == 0) {
		memset(m->imark, 0, (m->e->nitems ? m->e->nitems : 1) * sizeof(*m->imark));
		m->epoch = 1;
	}
	m->ev = NULL;
}

int vg_matcher_run(vg_matcher *m, const vg_event *ev, vg_match_fn cb, void *ud)
{
	const vg_engine *e = m->e;
	if (ev->product >= VG_NPROD || ev->service >= VG_NSERV || ev->category >= VG_NCAT || e->bucket_of == NULL)
		return 0;
	uint16_t bi = e->bucket_of[((size_t)ev->product * VG_NSERV + ev->service) * VG_NCAT + ev->category];
	if (bi == 0)
		return 0;
	const vg_bucket *b = &e->buckets[bi - 1];
	int r = 0;
	m->ev = ev;
	m->gmask = b->gmask;
	for (size_t pi = 0; pi < b->nparts && r == 0; pi++) {
		const uint32_t pidx = b->parts[pi];
		const vg_part *p = &e->parts[pidx];
		m->closed = 0; /* raw_scan sets it when the block scan serves the record */
		if (p->raw.nlits != 0 && ev->raw != NULL && ev->raw_len != 0 && ev->raw_len <= UINT32_MAX)
			r = raw_scan(m, p, pidx, ev->raw, ev->raw_len);
		if (r == 0 && p->nfdbs != 0)
			r = scan_fields(m, p, pidx, ev);
	}
	const aw_ent *aw = m->aw + m->aw_off[bi - 1], *awend = m->aw + m->aw_off[bi];
	if (aw != awend) { /* in word order */
		if (aw->w < m->cmin)
			m->cmin = aw->w;
		if (awend[-1].w + 1 > m->cmax)
			m->cmax = awend[-1].w + 1;
		for (; aw < awend; aw++)
			m->cand[aw->w] |= aw->bits;
	}
	for (size_t w = m->cmin; w < m->cmax; w++) {
		uint64_t bits = m->cand[w];
		m->cand[w] = 0;
		while (bits != 0 && r == 0) {
			uint32_t rid = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
			bits &= bits - 1;
			if (xn_node(m, m->xn + m->xroot[rid]))
				cb(ud, rid, &e->rules[rid]->info);
		}
	}
	m->cmin = SIZE_MAX;
	m->cmax = 0;
	reset_event(m);
	return r;
}
