/* server_config.c — the key table of `vigil server` (see server_config.h).
 * Names are contracts (config files, docs/config.md); keep rows of one
 * section together so that dumps nest. */
#include "server/server_config.h"

#include <stdio.h>
#include <string.h>

#define F(x) offsetof(vg_server_config, x)
#define KIB 1024ll
#define MIB (1024ll * 1024)
#define GIB (1024ll * 1024 * 1024)
#define SEC 1000ll
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

const vg_config_key vg_server_config_keys[] = {
	{.name = "data_dir", .type = VG_CFG_PATH, .def = "/var/lib/vigil", .offset = F(data_dir),
	 .help = "state directory (archive, database, keys), created 0700 if missing"},
	{.name = "listen.agents", .type = VG_CFG_ADDR, .def = "0.0.0.0:5515", .offset = F(listen_agents),
	 .help = "address for agent connections (TLS, TCP)"},
	{.name = "listen.syslog", .type = VG_CFG_ADDR, .def = "0.0.0.0:5514", .offset = F(listen_syslog),
	 .help = "address for plain syslog, UDP and TCP on the same port"},
	{.name = "listen.syslog_tls", .type = VG_CFG_ADDR, .def = "", .offset = F(listen_syslog_tls),
	 .flags = VG_CFG_OPTIONAL, .help = "address for syslog over TLS (RFC 5425); \"\" = off"},
	{.name = "listen.api", .type = VG_CFG_ADDR, .def = "0.0.0.0:8443", .offset = F(listen_api),
	 .help = "address of the HTTPS API"},
	{.name = "syslog.tls_require_client_cert", .type = VG_CFG_BOOL, .def = "false",
	 .offset = F(syslog_tls_require_client_cert),
	 .help = "refuse syslog TLS clients without a certificate signed by the server's CA"},
	{.name = "rules.paths", .type = VG_CFG_LIST, .def = "", .offset = F(rules_paths),
	 .help = "Sigma rule files or directories to load, besides the built-in pack"},
	{.name = "rules.builtin", .type = VG_CFG_BOOL, .def = "true", .offset = F(rules_builtin),
	 .help = "load the built-in rule pack"},
	{.name = "archive.segment_bytes", .type = VG_CFG_BYTES, .def = "64MiB", .offset = F(archive_segment_bytes),
	 .min = MIB, .max = GIB, .help = "seal an archive segment file past this size"},
	{.name = "archive.max_age", .type = VG_CFG_DURATION, .def = "0", .offset = F(archive_max_age_ms),
	 .help = "delete archived events older than this; 0 = keep forever"},
	{.name = "archive.max_bytes", .type = VG_CFG_BYTES, .def = "0", .offset = F(archive_max_bytes),
	 .help = "delete the oldest archive segments beyond this total size; 0 = no cap"},
	{.name = "archive.retention_interval", .type = VG_CFG_DURATION, .def = "1h",
	 .offset = F(archive_retention_interval_ms), .min = SEC, .max = DAY,
	 .help = "how often retention (max_age, max_bytes) is applied"},
	{.name = "ingest.sync_interval", .type = VG_CFG_DURATION, .def = "100ms", .offset = F(ingest_sync_interval_ms),
	 .min = 1, .max = MIN, .help = "commit (fsync) ingested events at least this often"},
	{.name = "ingest.sync_events", .type = VG_CFG_INT, .def = "50000", .offset = F(ingest_sync_events), .min = 1,
	 .max = 1000000, .help = "commit as soon as this many events are pending"},
	{.name = "correlation.lateness", .type = VG_CFG_DURATION, .def = "5m", .offset = F(correlation_lateness_ms),
	 .min = 0, .max = 7 * DAY,
	 .help = "how late in event time an event may arrive and still count in correlations"},
	{.name = "coverage.activity_interval", .type = VG_CFG_DURATION, .def = "1m",
	 .offset = F(coverage_activity_interval_ms), .min = SEC, .max = HOUR,
	 .help = "how often the sources seen by the ingest are recorded for coverage"},
	{.name = "organisation.name", .type = VG_CFG_STRING, .def = "", .offset = F(organisation_name), .flags = VG_CFG_OPTIONAL,
	 .help = "the reporting organisation, printed on incident forms and reports"},
	{.name = "organisation.place", .type = VG_CFG_STRING, .def = "Hà Nội", .offset = F(organisation_place),
	 .help = "the place on the date line of official documents"},
	{.name = "agents.max_connections", .type = VG_CFG_INT, .def = "4096", .offset = F(agents_max_connections),
	 .min = 1, .max = 1000000, .help = "agent connections served at once; more are refused"},
	{.name = "agents.heartbeat_timeout", .type = VG_CFG_DURATION, .def = "5m",
	 .offset = F(agents_heartbeat_timeout_ms), .min = SEC, .max = DAY,
	 .help = "an agent silent for this long is reported as lost"},
	{.name = "api.max_body", .type = VG_CFG_BYTES, .def = "16MiB", .offset = F(api_max_body), .min = KIB,
	 .max = GIB, .help = "largest HTTP request body the API accepts"},
	{.name = "api.threads", .type = VG_CFG_INT, .def = "4", .offset = F(api_threads), .min = 2, .max = 64,
	 .help = "worker threads of the HTTPS API"},
	{.name = "tls.server_names", .type = VG_CFG_LIST, .def = "", .offset = F(tls_server_names),
	 .help = "extra DNS names or IP addresses for the server certificate"},
};
const size_t vg_server_config_nkeys = sizeof(vg_server_config_keys) / sizeof(vg_server_config_keys[0]);

int vg_server_config_load(vg_server_config *cfg, const char *path, char *why, size_t whylen)
{
	vg_server_config c;
	memset(&c, 0, sizeof(c));
	int r = vg_config_defaults(vg_server_config_keys, vg_server_config_nkeys, &c, why, whylen);
	if (r == 0 && path != NULL)
		r = vg_config_load_yaml(vg_server_config_keys, vg_server_config_nkeys, &c, path, why, whylen);
	if (r != 0) {
		vg_config_free(vg_server_config_keys, vg_server_config_nkeys, &c);
		memset(cfg, 0, sizeof(*cfg));
		return r;
	}
	*cfg = c;
	return 0;
}

/* Host part and port of a valid ADDR:PORT ("[::1]:80" -> "[::1]", "80"). */
static void split(const char *a, char *host, size_t cap, const char **port)
{
	const char *c = strrchr(a, ':');
	size_t n = (size_t)(c - a);
	snprintf(host, cap, "%.*s", (int)n, a);
	*port = c + 1;
}

/* Two TCP listeners collide on the same port when the hosts are equal or
 * one is the wildcard of the other's family. */
static bool collide(const char *a, const char *b)
{
	char ha[64], hb[64];
	const char *pa, *pb;
	if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0')
		return false;
	split(a, ha, sizeof(ha), &pa);
	split(b, hb, sizeof(hb), &pb);
	if (strcmp(pa, pb) != 0)
		return false;
	bool v6a = ha[0] == '[', v6b = hb[0] == '[';
	if (strcmp(ha, hb) == 0)
		return true;
	if (v6a != v6b)
		return false;
	const char *any = v6a ? "[::]" : "0.0.0.0";
	return strcmp(ha, any) == 0 || strcmp(hb, any) == 0;
}

int vg_server_config_check(const vg_server_config *cfg, char *why, size_t whylen)
{
	const struct {
		const char *name, *addr;
	} tcp[] = {
		{"listen.agents", cfg->listen_agents},
		{"listen.syslog", cfg->listen_syslog},
		{"listen.syslog_tls", cfg->listen_syslog_tls},
		{"listen.api", cfg->listen_api},
	};
	size_t n = sizeof(tcp) / sizeof(tcp[0]);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (collide(tcp[i].addr, tcp[j].addr)) {
				snprintf(why, whylen, "%s (%s) and %s (%s) would listen on the same TCP port",
					 tcp[i].name, tcp[i].addr, tcp[j].name, tcp[j].addr);
				return VG_EINVAL;
			}
		}
	}
	if (cfg->syslog_tls_require_client_cert &&
	    (cfg->listen_syslog_tls == NULL || cfg->listen_syslog_tls[0] == '\0')) {
		snprintf(why, whylen, "syslog.tls_require_client_cert needs listen.syslog_tls");
		return VG_EINVAL;
	}
	return 0;
}

void vg_server_config_free(vg_server_config *cfg)
{
	if (cfg == NULL)
		return;
	vg_config_free(vg_server_config_keys, vg_server_config_nkeys, cfg);
}
