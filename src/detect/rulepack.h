/* rulepack.h — vigil's own Sigma rule pack (rules/ in the source tree),
 * compiled into the binary so that `vigil scan` works with no install and no
 * configuration. The table is generated at build time (cmake/embed.cmake).
 * Read-only; thread-safe. */
#ifndef VG_RULEPACK_H
#define VG_RULEPACK_H

#include <stddef.h>

#include "detect/engine.h"

typedef struct vg_embedded_file {
	const char *name; /* "rules/linux/ssh_bruteforce.yml" */
	const char *data;
	size_t len;
} vg_embedded_file;

/* Terminated by an entry whose name is NULL. */
extern const vg_embedded_file vg_rulepack[];

/* Load every rule of the pack into e (rejections through cb, as load_buffer). */
VG_WUR int vg_rulepack_load(vg_engine *e, vg_reject_fn cb, void *ud);

#endif
