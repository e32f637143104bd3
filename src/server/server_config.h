/* server_config.h — the settings of `vigil server`: struct vg_server_config
 * and its key table (names, types, defaults, help: docs/config.md).
 * Precedence: defaults, then the YAML file (-c FILE), then flags
 * (vg_config_set on vg_server_config_keys), then vg_server_config_check.
 * Ownership: strings and lists belong to the struct; vg_server_config_free.
 * Errors: 0 or a negative VG_E* code with one line in why (core/config.h);
 * on error the struct is as before the call. Thread-safety: none needed
 * (plain data; the table is read-only). */
#ifndef VG_SERVER_CONFIG_H
#define VG_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

typedef struct vg_server_config {
	char *data_dir;            /* data_dir */
	char *listen_agents;       /* listen.agents */
	char *listen_syslog;       /* listen.syslog: UDP and TCP on one port */
	char *listen_syslog_tls;   /* listen.syslog_tls: "" = off */
	char *listen_api;          /* listen.api */
	bool syslog_tls_require_client_cert;
	vg_config_list rules_paths; /* rules.paths */
	bool rules_builtin;
	uint64_t archive_segment_bytes;
	uint64_t archive_max_age_ms;            /* 0 = keep forever */
	uint64_t archive_max_bytes;             /* 0 = no cap */
	uint64_t archive_retention_interval_ms;
	uint64_t ingest_sync_interval_ms;
	int64_t ingest_sync_events;
	uint64_t correlation_lateness_ms;
	uint64_t coverage_activity_interval_ms;
	char *organisation_name;   /* organisation.name */
	char *organisation_place;  /* organisation.place */
	int64_t agents_max_connections;
	uint64_t agents_heartbeat_timeout_ms;
	uint64_t api_max_body;
	int64_t api_threads;
	vg_config_list tls_server_names;
} vg_server_config;

extern const vg_config_key vg_server_config_keys[];
extern const size_t vg_server_config_nkeys;

/* Defaults, then the file at path when path is not NULL. On error cfg
 * holds nothing to free (it is zeroed). */
VG_WUR int vg_server_config_load(vg_server_config *cfg, const char *path, char *why, size_t whylen);
/* Checks between keys, after flags are applied: VG_EINVAL with why naming
 * the keys (e.g. two listeners on one address and protocol). */
VG_WUR int vg_server_config_check(const vg_server_config *cfg, char *why, size_t whylen);
void vg_server_config_free(vg_server_config *cfg);

#endif
