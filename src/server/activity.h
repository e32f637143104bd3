/* activity.h — what the ingest saw, per source, for coverage: the server
 * drains these figures from the ingest about once a minute (under the
 * ingest lock) and hands them to the systems registry, which attributes
 * each source to an information system and keeps last-seen times and
 * counts per system and layer.
 *
 * A source is (host, sender IP, agent id, input, layer); the ingest keeps at
 * most VG_ACTIVITY_MAX_SOURCES of them between drains (more are counted in
 * `dropped`). Strings are borrowed for the duration of the callback. */
#ifndef VG_ACTIVITY_H
#define VG_ACTIVITY_H
#include <stdint.h>

#define VG_ACTIVITY_MAX_SOURCES 65536

typedef struct vg_activity {
	const char *host;      /* the event's host (host.name, host.hostname, else the sender IP) */
	const char *source_ip; /* the sender's IP address, "" if none */
	const char *agent_id;  /* the sending agent, "" if not an agent */
	const char *input;     /* "agent", "syslog-udp", "syslog-tcp", "syslog-tls", "http" */
	uint8_t layer;         /* enum vg_layer (core/event.h) */
	int64_t first_us, last_us; /* receive times (wall clock) of the first and last event since the last drain */
	uint64_t count;        /* events since the last drain */
} vg_activity;

typedef void (*vg_activity_fn)(void *ud, const vg_activity *a);

#endif
