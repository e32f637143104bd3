/* parse_json_net.c — network sensor JSON: Suricata EVE and Zeek logs. The
 * document's own names are kept (Sigma's Zeek rules use them: "id.orig_h",
 * "query") and ECS copies are added (source.ip, dns.question.name, ...) so
 * generic network rules and the field map read both sensors alike. */
#include <string.h>

#include "core/logsource.h"
#include "parse/parse_json_internal.h"

struct alias {
	uint8_t service; /* 0: any */
	const char *dst, *src;
	int lower;
};

static void add_aliases(vg_event *ev, const struct alias *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].service == 0 || rows[i].service == ev->service)
			(void)vg_json_alias(ev, rows[i].dst, rows[i].src, rows[i].lower);
}

static int field_is(const vg_event *ev, const char *name, const char *val)
{
	const vg_field *f = vg_event_get(ev, name);
	return f != NULL && f->val_len == strlen(val) && memcmp(f->val, val, f->val_len) == 0;
}

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* ---- Suricata EVE ------------------------------------------------------ */

/* Applied whenever the source field exists: an alert carries the app-layer
 * object ("dns", "http", "tls") of its flow too. */
static const struct alias eve_aliases[] = {
	{0, "source.ip", "src_ip", 0},
	{0, "source.port", "src_port", 0},
	{0, "destination.ip", "dest_ip", 0},
	{0, "destination.port", "dest_port", 0},
	{0, "network.transport", "proto", 1},
	{0, "network.protocol", "app_proto", 1},
	{0, "dns.question.name", "dns.rrname", 0},
	{0, "dns.question.name", "dns.queries.rrname", 0},
	{0, "dns.question.type", "dns.rrtype", 0},
	{0, "dns.question.type", "dns.queries.rrtype", 0},
	{0, "dns.answers.data", "dns.answers.rdata", 0},
	{0, "dns.response_code", "dns.rcode", 0},
	{0, "url.original", "http.url", 0},
	{0, "url.domain", "http.hostname", 0},
	{0, "http.request.method", "http.http_method", 0},
	{0, "http.request.referrer", "http.http_refer", 0},
	{0, "user_agent.original", "http.http_user_agent", 0},
	{0, "http.response.status_code", "http.status", 0},
	{0, "tls.client.server_name", "tls.sni", 0},
	{0, "tls.server.subject", "tls.subject", 0},
	{0, "tls.server.issuer", "tls.issuerdn", 0},
	{0, "rule.name", "alert.signature", 0},
	{0, "rule.id", "alert.signature_id", 0},
	{0, "rule.category", "alert.category", 0},
	{0, "event.severity", "alert.severity", 0},
};

int vg_json_eve_match(const json_t *root)
{
	return json_is_string(json_object_get(root, "event_type")) &&
	       (json_object_get(root, "src_ip") != NULL || json_object_get(root, "dest_ip") != NULL ||
		json_object_get(root, "timestamp") != NULL);
}

int vg_json_eve_parse(vg_event *ev, const json_t *root)
{
	int r = vg_json_flatten_root(ev, root);
	if (r != 0)
		return r;
	ev->product = VG_PRODUCT_SURICATA;
	ev->layer = VG_LAYER_NETWORK;
	if (field_is(ev, "event_type", "dns"))
		ev->category = VG_CATEGORY_DNS;
	add_aliases(ev, eve_aliases, N(eve_aliases));
	(void)vg_json_ts(ev, "timestamp");
	return 0;
}

/* ---- Zeek ------------------------------------------------------------- */

struct zeek_path {
	const char *path; /* the log's name, as in "_path" */
	uint8_t service;
};

static const struct zeek_path zeek_paths[] = {
	{"dns", VG_SERVICE_ZEEK_DNS},           {"http", VG_SERVICE_ZEEK_HTTP},
	{"conn", VG_SERVICE_ZEEK_CONN},         {"smb_files", VG_SERVICE_ZEEK_SMB_FILES},
	{"dce_rpc", VG_SERVICE_ZEEK_DCE_RPC},   {"kerberos", VG_SERVICE_ZEEK_KERBEROS},
	{"rdp", VG_SERVICE_ZEEK_RDP},           {"x509", VG_SERVICE_ZEEK_X509},
	{"ssl", VG_SERVICE_ZEEK_SSL},           {"files", VG_SERVICE_ZEEK_FILES},
};

/* Without "_path" (one log per file, the usual JSON output), the keys tell
 * the log apart. First row whose fields all exist wins. */
struct zeek_guess {
	uint8_t service;
	const char *key1, *key2; /* key2 NULL: key1 alone */
};

static const struct zeek_guess zeek_guesses[] = {
	{VG_SERVICE_ZEEK_DNS, "query", "qtype_name"},
	{VG_SERVICE_ZEEK_DNS, "query", "rcode"},
	{VG_SERVICE_ZEEK_HTTP, "method", "uri"},
	{VG_SERVICE_ZEEK_DCE_RPC, "endpoint", "operation"},
	{VG_SERVICE_ZEEK_SMB_FILES, "action", "path"},
	{VG_SERVICE_ZEEK_KERBEROS, "request_type", NULL},
	{VG_SERVICE_ZEEK_RDP, "cookie", NULL},
	{VG_SERVICE_ZEEK_X509, "certificate.subject", NULL},
	{VG_SERVICE_ZEEK_SSL, "server_name", "cipher"},
	{VG_SERVICE_ZEEK_SSL, "version", "cipher"},
	{VG_SERVICE_ZEEK_FILES, "fuid", "mime_type"},
	{VG_SERVICE_ZEEK_FILES, "fuid", "source"},
	{VG_SERVICE_ZEEK_CONN, "conn_state", NULL},
};

static const struct alias zeek_aliases[] = {
	{0, "source.ip", "id.orig_h", 0},
	{0, "source.port", "id.orig_p", 0},
	{0, "destination.ip", "id.resp_h", 0},
	{0, "destination.port", "id.resp_p", 0},
	{0, "network.transport", "proto", 1},
	{VG_SERVICE_ZEEK_DNS, "dns.question.name", "query", 0},
	{VG_SERVICE_ZEEK_DNS, "dns.question.type", "qtype_name", 0},
	{VG_SERVICE_ZEEK_DNS, "dns.answers.data", "answers", 0},
	{VG_SERVICE_ZEEK_DNS, "dns.response_code", "rcode_name", 0},
	{VG_SERVICE_ZEEK_HTTP, "url.original", "uri", 0},
	{VG_SERVICE_ZEEK_HTTP, "url.domain", "host", 0},
	{VG_SERVICE_ZEEK_HTTP, "http.request.method", "method", 0},
	{VG_SERVICE_ZEEK_HTTP, "http.request.referrer", "referrer", 0},
	{VG_SERVICE_ZEEK_HTTP, "user_agent.original", "user_agent", 0},
	{VG_SERVICE_ZEEK_HTTP, "http.response.status_code", "status_code", 0},
};

int vg_json_zeek_match(const json_t *root)
{
	static const char *const keys[] = {"_path", "uid", "id.orig_h", "fuid", "certificate.subject"};
	if (json_object_get(root, "ts") == NULL)
		return 0;
	for (size_t i = 0; i < N(keys); i++)
		if (json_object_get(root, keys[i]) != NULL)
			return 1;
	/* Nested form of the same names ({"id": {"orig_h": ...}}). */
	return json_is_object(json_object_get(root, "id")) || json_is_object(json_object_get(root, "certificate"));
}

static uint8_t zeek_service(const vg_event *ev)
{
	const vg_field *p = vg_event_get(ev, "_path");
	if (p != NULL) {
		for (size_t i = 0; i < N(zeek_paths); i++)
			if (strlen(zeek_paths[i].path) == p->val_len && memcmp(zeek_paths[i].path, p->val, p->val_len) == 0)
				return zeek_paths[i].service;
		return VG_SERVICE_NONE;
	}
	for (size_t i = 0; i < N(zeek_guesses); i++) {
		const struct zeek_guess *g = &zeek_guesses[i];
		if (vg_event_get(ev, g->key1) != NULL && (g->key2 == NULL || vg_event_get(ev, g->key2) != NULL))
			return g->service;
	}
	return VG_SERVICE_NONE;
}

int vg_json_zeek_parse(vg_event *ev, const json_t *root)
{
	int r = vg_json_flatten_root(ev, root);
	if (r != 0)
		return r;
	ev->product = VG_PRODUCT_ZEEK;
	ev->layer = VG_LAYER_NETWORK;
	ev->service = zeek_service(ev);
	if (ev->service == VG_SERVICE_ZEEK_DNS)
		ev->category = VG_CATEGORY_DNS;
	add_aliases(ev, zeek_aliases, N(zeek_aliases));
	(void)vg_json_ts(ev, "ts");
	return 0;
}
