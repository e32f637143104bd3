/* fuzz_condition.c — libFuzzer target for the Sigma condition parser: one
 * input is one condition string, parsed against a fixed set of search
 * identifiers; a parsed tree is walked in full and must only reference
 * identifiers that exist. */
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "detect/sigma_cond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const idents[] = {"selection", "sel_a", "sel_b", "filter_main_1", "filter_opt", "_hidden",
				     "keywords", "a", "b.c", "x|y"};
#define NID (sizeof(idents) / sizeof(idents[0]))

static unsigned walk(const vg_cond_node *n, int depth)
{
	unsigned sum = n->op;
	if (depth > 200)
		__builtin_trap();
	if (n->op == VG_COND_ID || n->op == VG_COND_OF) {
		for (uint32_t i = 0; i < n->n; i++) {
			if (n->ids[i] >= NID)
				__builtin_trap();
			sum += n->ids[i];
		}
		if (n->op == VG_COND_OF && n->k > n->n)
			__builtin_trap();
		return sum;
	}
	if (n->n == 0 || (n->op == VG_COND_NOT && n->n != 1))
		__builtin_trap();
	for (uint32_t i = 0; i < n->n; i++)
		sum += walk(n->kids[i], depth + 1);
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vg_arena *a = vg_arena_new(0);
	char err[256];
	vg_cond_node *root = NULL;
	if (a == NULL)
		return 0;
	int r = vg_cond_parse(a, (const char *)data, size, idents, NID, &root, err, sizeof(err));
	if (r == 0) {
		volatile unsigned sink = walk(root, 0);
		(void)sink;
	} else if (err[0] == '\0') {
		__builtin_trap(); /* every failure explains itself */
	}
	vg_arena_free(a);
	return 0;
}
