/* agent_config.c — the key table of `vigil agent` (see agent_config.h).
 * Names are contracts (config files, docs/config.md); keep rows of one
 * section together so that dumps nest. */
#include "agent/agent_config.h"

#include <stdio.h>
#include <string.h>

#define F(x) offsetof(vg_agent_config, x)
#define KIB 1024ll
#define MIB (1024ll * 1024)
#define GIB (1024ll * 1024 * 1024)
#define TIB (1024ll * GIB)
#define SEC 1000ll
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
#define MAX_HOSTNAME 253 /* VG_AP_MAX_HOST, what the agent protocol carries */

static const char *const queue_policies[] = {"block", "drop_oldest", NULL};

const vg_config_key vg_agent_config_keys[] = {
	{.name = "server", .type = VG_CFG_HOSTPORT, .def = "", .offset = F(server), .flags = VG_CFG_OPTIONAL,
	 .help = "HOST:PORT of the vigil server's agent listener (required)"},
	{.name = "data_dir", .type = VG_CFG_PATH, .def = "/var/lib/vigil-agent", .offset = F(data_dir),
	 .help = "state directory (queue, keys, tail offsets), created 0700 if missing"},
	{.name = "tail", .type = VG_CFG_LIST, .def = "", .offset = F(tail),
	 .help = "log files to follow, as globs (e.g. /var/log/*.log)"},
	{.name = "journal.enabled", .type = VG_CFG_BOOL, .def = "false", .offset = F(journal_enabled),
	 .help = "read the systemd journal"},
	{.name = "journal.directory", .type = VG_CFG_PATH, .def = "", .offset = F(journal_directory),
	 .flags = VG_CFG_OPTIONAL, .help = "journal directory to read; \"\" = the system journal"},
	{.name = "heartbeat_interval", .type = VG_CFG_DURATION, .def = "60s", .offset = F(heartbeat_interval_ms),
	 .min = SEC, .max = HOUR, .help = "send a heartbeat this often when idle"},
	{.name = "queue.max_bytes", .type = VG_CFG_BYTES, .def = "1GiB", .offset = F(queue_max_bytes), .min = MIB,
	 .max = 64 * TIB, .help = "disk the queue of unsent events may use (at least 2 segments)"},
	{.name = "queue.segment_bytes", .type = VG_CFG_BYTES, .def = "16MiB", .offset = F(queue_segment_bytes),
	 .min = 64 * KIB, .max = GIB, .help = "size of one queue segment file"},
	{.name = "queue.policy", .type = VG_CFG_ENUM, .def = "block", .offset = F(queue_policy),
	 .words = queue_policies,
	 .help = "when the queue is full: block (stop reading inputs) or drop_oldest (lose the oldest events)"},
	{.name = "send.batch_events", .type = VG_CFG_INT, .def = "5000", .offset = F(send_batch_events), .min = 1,
	 .max = 100000 /* VG_AP_MAX_BATCH_RECORDS */, .help = "most events sent in one batch"},
	{.name = "send.batch_bytes", .type = VG_CFG_BYTES, .def = "1MiB", .offset = F(send_batch_bytes),
	 .min = 4 * KIB, .max = 32 * MIB /* VG_AP_MAX_BATCH_RAW */,
	 .help = "most bytes of events (before compression) sent in one batch"},
	{.name = "send.backoff_min", .type = VG_CFG_DURATION, .def = "500ms", .offset = F(send_backoff_min_ms),
	 .min = 1, .max = HOUR, .help = "first wait before reconnecting after a failure"},
	{.name = "send.backoff_max", .type = VG_CFG_DURATION, .def = "30s", .offset = F(send_backoff_max_ms),
	 .min = 1, .max = DAY, .help = "longest wait between reconnection attempts (the wait doubles up to it)"},
	{.name = "hostname", .type = VG_CFG_STRING, .def = "", .offset = F(hostname), .flags = VG_CFG_OPTIONAL,
	 .help = "host name reported for this agent's events; \"\" = gethostname()"},
};
const size_t vg_agent_config_nkeys = sizeof(vg_agent_config_keys) / sizeof(vg_agent_config_keys[0]);

int vg_agent_config_load(vg_agent_config *cfg, const char *path, char *why, size_t whylen)
{
	vg_agent_config c;
	memset(&c, 0, sizeof(c));
	int r = vg_config_defaults(vg_agent_config_keys, vg_agent_config_nkeys, &c, why, whylen);
	if (r == 0 && path != NULL)
		r = vg_config_load_yaml(vg_agent_config_keys, vg_agent_config_nkeys, &c, path, why, whylen);
	if (r != 0) {
		vg_config_free(vg_agent_config_keys, vg_agent_config_nkeys, &c);
		memset(cfg, 0, sizeof(*cfg));
		return r;
	}
	*cfg = c;
	return 0;
}

int vg_agent_config_check(const vg_agent_config *cfg, char *why, size_t whylen)
{
	if (cfg->server == NULL || cfg->server[0] == '\0') {
		snprintf(why, whylen, "server: required (HOST:PORT of the vigil server; in the config file or a flag)");
		return VG_EINVAL;
	}
	if (cfg->queue_max_bytes / 2 < cfg->queue_segment_bytes) {
		snprintf(why, whylen, "queue.max_bytes must be at least twice queue.segment_bytes");
		return VG_EINVAL;
	}
	if (cfg->send_backoff_min_ms > cfg->send_backoff_max_ms) {
		snprintf(why, whylen, "send.backoff_min must not be greater than send.backoff_max");
		return VG_EINVAL;
	}
	if (cfg->hostname != NULL && strlen(cfg->hostname) > MAX_HOSTNAME) {
		snprintf(why, whylen, "hostname: longer than %d bytes", MAX_HOSTNAME);
		return VG_EINVAL;
	}
	return 0;
}

void vg_agent_config_free(vg_agent_config *cfg)
{
	if (cfg == NULL)
		return;
	vg_config_free(vg_agent_config_keys, vg_agent_config_nkeys, cfg);
}
