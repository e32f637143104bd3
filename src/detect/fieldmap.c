/* fieldmap.c — the Sigma → ECS field-mapping tables (see fieldmap.h and
 * docs/schema.md). Rows are data: add a row here, never a branch in code. */
#include "detect/fieldmap.h"

#include <string.h>

#include "core/logsource.h"

struct row {
	uint8_t product, service, category; /* 0 = any */
	const char *sigma;
	const char *targets[VG_FIELDMAP_MAX_TARGETS];
};

#define W VG_PRODUCT_WINDOWS
#define L VG_PRODUCT_LINUX

static const struct row rows[] = {
	/* Windows: System fields; everything else is EventData (prefix rule below). */
	{W, 0, 0, "EventID", {"winlog.event_id"}},
	{W, 0, 0, "Channel", {"winlog.channel"}},
	{W, 0, 0, "Provider_Name", {"winlog.provider_name"}},
	{W, 0, 0, "Computer", {"winlog.computer_name"}},
	{W, 0, 0, "Level", {"winlog.level"}},
	{W, 0, 0, "Task", {"winlog.task"}},
	{W, 0, 0, "Keywords", {"winlog.keywords"}},
	{W, 0, 0, "EventRecordID", {"winlog.record_id"}},
	/* Security 4688 names the process fields differently from Sysmon 1. */
	{W, 0, VG_CATEGORY_PROCESS_CREATION, "Image", {"winlog.event_data.Image", "winlog.event_data.NewProcessName"}},
	{W, 0, VG_CATEGORY_PROCESS_CREATION, "ParentImage", {"winlog.event_data.ParentImage", "winlog.event_data.ParentProcessName"}},

	/* Linux process events (auditd EXECVE groups are tagged process_creation). */
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "Image", {"process.executable"}},
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "CommandLine", {"process.command_line"}},
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "ParentImage", {"process.parent.executable"}},
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "ParentCommandLine", {"process.parent.command_line"}},
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "CurrentDirectory", {"process.working_directory"}},
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "User", {"user.name"}},
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "LogonId", {"process.user.id"}},
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "ProcessId", {"process.pid"}},
	{L, 0, VG_CATEGORY_PROCESS_CREATION, "ParentProcessId", {"process.parent.pid"}},
	{L, 0, VG_CATEGORY_FILE_EVENT, "TargetFilename", {"file.path"}},
	{L, 0, VG_CATEGORY_FILE_EVENT, "Image", {"process.executable"}},
	{L, 0, VG_CATEGORY_NETWORK_CONNECTION, "Image", {"process.executable"}},
	{L, 0, VG_CATEGORY_NETWORK_CONNECTION, "DestinationIp", {"destination.ip"}},
	{L, 0, VG_CATEGORY_NETWORK_CONNECTION, "DestinationPort", {"destination.port"}},
	{L, 0, VG_CATEGORY_NETWORK_CONNECTION, "DestinationHostname", {"destination.domain"}},
	{L, 0, VG_CATEGORY_NETWORK_CONNECTION, "Initiated", {"network.initiated"}},

	/* sudo: the target user of "USER=" (CVE-2019-14287 rule). */
	{L, VG_SERVICE_SUDO, 0, "USER", {"user.effective.name"}},

	/* Web server access logs (W3C names of the Sigma taxonomy). */
	{0, 0, VG_CATEGORY_WEBSERVER, "c-ip", {"source.ip"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-method", {"http.request.method"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-uri-query", {"url.original"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-uri-stem", {"url.path"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-uri", {"url.original"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "sc-status", {"http.response.status_code"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-user-agent", {"user_agent.original"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-referer", {"http.request.referrer"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-host", {"url.domain"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "r-dns", {"url.domain"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-username", {"user.name"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-version", {"http.version"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "sc-bytes", {"http.response.body.bytes"}},
	{0, 0, VG_CATEGORY_WEBSERVER, "cs-cookie", {"http.request.cookie"}},

	/* Proxy logs. */
	{0, 0, VG_CATEGORY_PROXY, "c-ip", {"source.ip"}},
	{0, 0, VG_CATEGORY_PROXY, "c-uri", {"url.original"}},
	{0, 0, VG_CATEGORY_PROXY, "c-uri-query", {"url.query"}},
	{0, 0, VG_CATEGORY_PROXY, "c-uri-stem", {"url.path"}},
	{0, 0, VG_CATEGORY_PROXY, "c-uri-extension", {"url.extension"}},
	{0, 0, VG_CATEGORY_PROXY, "c-useragent", {"user_agent.original"}},
	{0, 0, VG_CATEGORY_PROXY, "cs-method", {"http.request.method"}},
	{0, 0, VG_CATEGORY_PROXY, "cs-host", {"url.domain"}},
	{0, 0, VG_CATEGORY_PROXY, "r-dns", {"destination.domain"}},
	{0, 0, VG_CATEGORY_PROXY, "cs-referrer", {"http.request.referrer"}},
	{0, 0, VG_CATEGORY_PROXY, "sc-status", {"http.response.status_code"}},
	{0, 0, VG_CATEGORY_PROXY, "dst_ip", {"destination.ip"}},

	/* DNS (Suricata EVE, Zeek dns.log and any ECS DNS event). */
	{0, 0, VG_CATEGORY_DNS, "query", {"dns.question.name"}},
	{0, 0, VG_CATEGORY_DNS, "record_type", {"dns.question.type"}},
	{0, 0, VG_CATEGORY_DNS, "answer", {"dns.answers.data"}},
	{0, 0, VG_CATEGORY_DNS, "QueryName", {"dns.question.name"}},

	/* Firewalls (kernel iptables/nftables/UFW lines, EVE flow/alert). */
	{0, 0, VG_CATEGORY_FIREWALL, "src_ip", {"source.ip"}},
	{0, 0, VG_CATEGORY_FIREWALL, "dst_ip", {"destination.ip"}},
	{0, 0, VG_CATEGORY_FIREWALL, "src_port", {"source.port"}},
	{0, 0, VG_CATEGORY_FIREWALL, "dst_port", {"destination.port"}},
	{0, 0, VG_CATEGORY_FIREWALL, "action", {"event.action"}},
	{0, 0, VG_CATEGORY_FIREWALL, "protocol", {"network.transport"}},
};

struct prefix_row {
	uint8_t product, service, category;
	const char *prefix;
};

static const struct prefix_row prefixes[] = {
	{W, 0, 0, "winlog.event_data."},
	{L, VG_SERVICE_AUDITD, 0, "auditd."},
};

static int ls_ok(uint8_t want, uint8_t have)
{
	return want == 0 || want == have;
}

void vg_fieldmap_resolve(uint8_t product, uint8_t service, uint8_t category, const char *sigma_field, vg_fieldmap_res *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		if (!ls_ok(r->product, product) || !ls_ok(r->service, service) || !ls_ok(r->category, category))
			continue;
		if (strcmp(r->sigma, sigma_field) != 0)
			continue;
		for (size_t k = 0; k < VG_FIELDMAP_MAX_TARGETS && r->targets[k] != NULL; k++)
			out->names[out->n++] = r->targets[k];
		return;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		const struct prefix_row *p = &prefixes[i];
		if (ls_ok(p->product, product) && ls_ok(p->service, service) && ls_ok(p->category, category)) {
			/* An already-qualified ECS name in a rule is read as is. */
			if (strchr(sigma_field, '.') == NULL)
				out->prefix = p->prefix;
			return;
		}
	}
}
