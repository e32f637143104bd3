/* agent_config.h — the settings of `vigil agent`: struct vg_agent_config
 * and its key table (names, types, defaults, help: docs/config.md).
 * Precedence: defaults, then the YAML file (-c FILE), then flags
 * (vg_config_set on vg_agent_config_keys), then vg_agent_config_check,
 * which also enforces that `server` is set.
 * Ownership: strings and lists belong to the struct; vg_agent_config_free.
 * Errors: 0 or a negative VG_E* code with one line in why (core/config.h);
 * on error the struct is as before the call. Thread-safety: none needed
 * (plain data; the table is read-only). */
#ifndef VG_AGENT_CONFIG_H
#define VG_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/* queue.policy values, the same numbers as enum vg_dq_policy (store/dqueue.h) */
enum vg_agent_queue_policy {
	VG_AGENT_QUEUE_BLOCK = 0,
	VG_AGENT_QUEUE_DROP_OLDEST = 1,
};

typedef struct vg_agent_config {
	char *server;            /* HOST:PORT of vigil server; "" until set (required) */
	char *data_dir;
	vg_config_list tail;     /* file globs to follow */
	bool journal_enabled;    /* journal.enabled */
	char *journal_directory; /* journal.directory: "" = the system journal */
	uint64_t heartbeat_interval_ms;
	uint64_t queue_max_bytes;
	uint64_t queue_segment_bytes;
	int queue_policy;        /* enum vg_agent_queue_policy */
	int64_t send_batch_events;
	uint64_t send_batch_bytes;
	uint64_t send_backoff_min_ms;
	uint64_t send_backoff_max_ms;
	char *hostname;          /* "" = gethostname() */
} vg_agent_config;

extern const vg_config_key vg_agent_config_keys[];
extern const size_t vg_agent_config_nkeys;

/* Defaults, then the file at path when path is not NULL. On error cfg
 * holds nothing to free (it is zeroed). */
VG_WUR int vg_agent_config_load(vg_agent_config *cfg, const char *path, char *why, size_t whylen);
/* Checks after flags are applied: server set, queue.max_bytes >= 2 *
 * queue.segment_bytes, send.backoff_min <= send.backoff_max, hostname a
 * valid length. VG_EINVAL with why naming the keys. */
VG_WUR int vg_agent_config_check(const vg_agent_config *cfg, char *why, size_t whylen);
void vg_agent_config_free(vg_agent_config *cfg);

#endif
