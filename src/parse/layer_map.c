/* layer_map.c — the source/format -> layer table and its lookup. The rows
 * are data: to move a source to another layer, edit a row (and
 * docs/systems.md), not the parsers. */
#include <string.h>

#include "core/logsource.h"
#include "net/agent_proto.h"
#include "parse/layer_map.h"

#define ROW_ID(k, v, l, w) {.key = (k), .id = (v), .layer = (l), .why = (w)}

static const vg_layer_row rows[] = {
	/* network: sensors, IDS, flows, firewalls, DNS */
	ROW_ID(VG_LK_PRODUCT, VG_PRODUCT_ZEEK, VG_LAYER_NETWORK, "Zeek network sensor logs"),
	ROW_ID(VG_LK_PRODUCT, VG_PRODUCT_SURICATA, VG_LAYER_NETWORK, "Suricata IDS/flow (EVE JSON)"),
	ROW_ID(VG_LK_CATEGORY, VG_CATEGORY_FIREWALL, VG_LAYER_NETWORK, "firewall logs (iptables/UFW/nftables...)"),
	ROW_ID(VG_LK_CATEGORY, VG_CATEGORY_DNS, VG_LAYER_NETWORK, "DNS server/sensor logs"),
	ROW_ID(VG_LK_CATEGORY, VG_CATEGORY_PROXY, VG_LAYER_NETWORK, "proxy logs"),
	ROW_ID(VG_LK_SERVICE, VG_SERVICE_DNS_SERVER, VG_LAYER_NETWORK, "Windows DNS server"),
	/* endpoint: workstation agents, Windows/Sysmon */
	ROW_ID(VG_LK_PRODUCT, VG_PRODUCT_WINDOWS, VG_LAYER_ENDPOINT, "Windows event logs, Sysmon"),
	ROW_ID(VG_LK_CATEGORY, VG_CATEGORY_ANTIVIRUS, VG_LAYER_ENDPOINT, "antivirus/EDR detections"),
	/* application: web servers, application logs */
	ROW_ID(VG_LK_CATEGORY, VG_CATEGORY_WEBSERVER, VG_LAYER_APPLICATION, "web server access logs"),
	ROW_ID(VG_LK_PRODUCT, VG_PRODUCT_APACHE, VG_LAYER_APPLICATION, "Apache httpd"),
	ROW_ID(VG_LK_PRODUCT, VG_PRODUCT_NGINX, VG_LAYER_APPLICATION, "nginx"),
	ROW_ID(VG_LK_CATEGORY, VG_CATEGORY_APPLICATION, VG_LAYER_APPLICATION, "application logs"),
	{.key = VG_LK_FORMAT, .text = "apache_access", .layer = VG_LAYER_APPLICATION, .why = "Apache/nginx access log format"},
	{.key = VG_LK_FORMAT, .text = "apache_error", .layer = VG_LAYER_APPLICATION, .why = "Apache error log format"},
	/* server and database: OS auth/audit/syslog, DB logs, FIM */
	ROW_ID(VG_LK_CATEGORY, VG_CATEGORY_DATABASE, VG_LAYER_HOST, "database server logs"),
	{.key = VG_LK_FORMAT, .text = "auditd", .layer = VG_LAYER_HOST, .why = "Linux audit (auditd), FIM watches"},
	ROW_ID(VG_LK_PRODUCT, VG_PRODUCT_LINUX, VG_LAYER_HOST, "Linux syslog, auth, sudo, cron, kernel"),
	/* fallbacks, after the parser's own layer */
	{.key = VG_LK_AGENT_KIND, .fallback = 1, .id = VG_AP_KIND_JOURNAL, .layer = VG_LAYER_HOST,
	 .why = "systemd journal entries shipped by an agent"},
	{.key = VG_LK_INPUT, .fallback = 1, .text = "syslog-", .layer = VG_LAYER_HOST,
	 .why = "unparsed lines received over syslog"},
};

const vg_layer_row *vg_layer_map_rows(size_t *n)
{
	*n = sizeof(rows) / sizeof(rows[0]);
	return rows;
}

static int row_match(const vg_layer_row *r, const vg_event *ev, const char *input, uint8_t kind)
{
	switch (r->key) {
	case VG_LK_PRODUCT: return ev != NULL && ev->product != 0 && ev->product == r->id;
	case VG_LK_SERVICE: return ev != NULL && ev->service != 0 && ev->service == r->id;
	case VG_LK_CATEGORY: return ev != NULL && ev->category != 0 && ev->category == r->id;
	case VG_LK_FORMAT: return ev != NULL && ev->format != NULL && strcmp(ev->format, r->text) == 0;
	case VG_LK_AGENT_KIND: return kind != 0 && kind == r->id;
	case VG_LK_INPUT: return input != NULL && strncmp(input, r->text, strlen(r->text)) == 0;
	default: return 0;
	}
}

uint8_t vg_layer_assign_kind(const vg_event *ev, const char *input, uint8_t agent_kind)
{
	const size_t n = sizeof(rows) / sizeof(rows[0]);
	for (size_t i = 0; i < n; i++)
		if (!rows[i].fallback && row_match(&rows[i], ev, input, agent_kind))
			return rows[i].layer;
	if (ev != NULL && ev->layer != VG_LAYER_UNKNOWN && ev->layer <= VG_LAYER_ENDPOINT)
		return ev->layer;
	for (size_t i = 0; i < n; i++)
		if (rows[i].fallback && row_match(&rows[i], ev, input, agent_kind))
			return rows[i].layer;
	return VG_LAYER_UNKNOWN;
}

uint8_t vg_layer_assign(const vg_event *ev, const char *input)
{
	return vg_layer_assign_kind(ev, input, 0);
}

uint8_t vg_layer_parse(const char *name)
{
	if (name == NULL)
		return VG_LAYER_UNKNOWN;
	for (uint8_t l = VG_LAYER_NETWORK; l <= VG_LAYER_ENDPOINT; l++)
		if (strcmp(name, vg_layer_name(l)) == 0)
			return l;
	return VG_LAYER_UNKNOWN;
}
