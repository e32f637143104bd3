/* rulepack.c — loading the embedded rule pack (see rulepack.h). */
#include "detect/rulepack.h"

int vg_rulepack_load(vg_engine *e, vg_reject_fn cb, void *ud)
{
	for (const vg_embedded_file *f = vg_rulepack; f->name != NULL; f++) {
		int rc = vg_engine_load_buffer(e, f->data, f->len, f->name, cb, ud);
		if (rc != 0)
			return rc;
	}
	return 0;
}
