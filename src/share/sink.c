/* sink.c — the sink registration table, dispatch, and the one parser of a
 * destination's configuration (a declarative table of members). */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "net/pki.h"
#include "share/sink.h"

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
	if (why == NULL || n == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

enum { T_STR, T_PATH, T_U64, T_UINT, T_ENUM };

typedef struct member {
	const char *key;
	int type;
	size_t off, size;
	uint64_t min, max;
	const char *const *names; /* T_ENUM */
	const char *help;
} member;

static const char *const sink_names[] = {"syslog", "https", "taxii", NULL};
static const char *const format_names[] = {"json", "cef", NULL};

#define STR(k, f, h) {k, T_STR, offsetof(vg_sink_conf, f), sizeof(((vg_sink_conf *)0)->f), 0, 0, NULL, h}
#define PATH(k, f, h) {k, T_PATH, offsetof(vg_sink_conf, f), sizeof(((vg_sink_conf *)0)->f), 0, 0, NULL, h}
static const member members[] = {
	{"sink", T_ENUM, offsetof(vg_sink_conf, type), 0, 0, 0, sink_names, "syslog | https | taxii (required)"},
	{"format", T_ENUM, offsetof(vg_sink_conf, format), 0, 0, 0, format_names, "syslog payload: json | cef"},
	STR("address", address, "syslog: HOST:PORT of the receiver"),
	STR("url", url, "https: https://HOST[:PORT]/PATH receiving NDJSON batches; taxii: the discovery URL"),
	STR("api_root", api_root, "taxii: API root URL (default: the discovery's default)"),
	STR("collection", collection, "taxii: collection id (default: the first writable one)"),
	STR("organisation", organisation, "taxii: the sharing organisation's name (STIX identity)"),
	STR("server_name", server_name, "syslog: name the receiver's certificate must cover (default HOST)"),
	PATH("ca", ca, "CA certificate file (PEM) that verifies the receiver (required)"),
	PATH("cert", cert, "client certificate (PEM) for mutual TLS"),
	PATH("key", key, "its private key (PEM, mode 0600)"),
	PATH("token_file", token_file, "https: file holding the bearer token"),
	STR("hostname", hostname, "syslog HOSTNAME field (default: this host's name)"),
	{"max_items", T_U64, offsetof(vg_sink_conf, max_items), 0, 1, VG_OUTBOX_MAX_ITEMS_LIMIT, NULL,
	 "outbox bound: unsent items kept"},
	{"batch", T_UINT, offsetof(vg_sink_conf, batch), 0, 1, VG_SINK_MAX_BATCH, NULL, "items per send"},
	{"timeout_ms", T_UINT, offsetof(vg_sink_conf, timeout_ms), 0, 100, 600000, NULL,
	 "connect/handshake/request deadline"},
	{"heartbeat_s", T_UINT, offsetof(vg_sink_conf, heartbeat_s), 0, 5, 86400, NULL, "heartbeat interval"},
};
#define NMEMBERS (sizeof(members) / sizeof(members[0]))

int vg_sink_conf_parse(const char *text, size_t len, vg_sink_conf *c, char *why, size_t whylen)
{
	memset(c, 0, sizeof(*c));
	c->max_items = VG_OUTBOX_DEFAULT_MAX;
	c->batch = VG_SINK_DEFAULT_BATCH;
	c->timeout_ms = VG_SINK_DEFAULT_TIMEOUT_MS;
	c->heartbeat_s = VG_SINK_DEFAULT_HEARTBEAT_S;
	c->type = -1;
	json_error_t je;
	json_t *doc = text ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &je) : NULL;
	int r = VG_EINVAL;
	if (!json_is_object(doc)) {
		say(why, whylen, "destination config: not a JSON object");
		goto out;
	}
	const char *k;
	json_t *v;
	json_object_foreach(doc, k, v) {
		const member *m = NULL;
		for (size_t i = 0; i < NMEMBERS; i++)
			if (strcmp(members[i].key, k) == 0)
				m = &members[i];
		if (m == NULL) {
			say(why, whylen, "destination config: unknown member \"%.64s\"", k);
			goto out;
		}
		char *field = (char *)c + m->off;
		if (m->type == T_STR || m->type == T_PATH) {
			const char *s = json_string_value(v);
			if (s == NULL || json_string_length(v) >= m->size || strlen(s) != json_string_length(v)) {
				say(why, whylen, "destination config: \"%s\" must be a string of at most %zu bytes", k,
				    m->size - 1);
				goto out;
			}
			if (m->type == T_PATH && s[0] != '/' && s[0] != '\0') {
				say(why, whylen, "destination config: \"%s\" must be an absolute path", k);
				goto out;
			}
			memcpy(field, s, json_string_length(v) + 1);
		} else if (m->type == T_ENUM) {
			int idx = -1;
			for (int i = 0; json_is_string(v) && m->names[i] != NULL; i++)
				if (strcmp(m->names[i], json_string_value(v)) == 0)
					idx = i;
			if (idx < 0) {
				say(why, whylen, "destination config: \"%s\": %s", k, m->help);
				goto out;
			}
			*(int *)(void *)field = idx;
		} else {
			json_int_t x = json_is_integer(v) ? json_integer_value(v) : -1;
			if (x < 0 || (uint64_t)x < m->min || (uint64_t)x > m->max) {
				say(why, whylen, "destination config: \"%s\" must be an integer from %llu to %llu", k,
				    (unsigned long long)m->min, (unsigned long long)m->max);
				goto out;
			}
			if (m->type == T_U64)
				*(uint64_t *)(void *)field = (uint64_t)x;
			else
				*(unsigned *)(void *)field = (unsigned)x;
		}
	}
	if (c->type < 0) {
		say(why, whylen, "destination config: \"sink\" is required (syslog or https)");
		goto out;
	}
	if (c->ca[0] == '\0') {
		say(why, whylen, "destination config: \"ca\" is required (the receiver is always verified)");
		goto out;
	}
	if ((c->cert[0] == '\0') != (c->key[0] == '\0')) {
		say(why, whylen, "destination config: \"cert\" and \"key\" go together");
		goto out;
	}
	if (c->type == VG_SINK_SYSLOG) {
		if (c->address[0] == '\0' || strchr(c->address, ':') == NULL) {
			say(why, whylen, "destination config: syslog needs \"address\": HOST:PORT");
			goto out;
		}
		if (c->url[0] || c->token_file[0] || c->api_root[0] || c->collection[0] || c->organisation[0]) {
			say(why, whylen, "destination config: \"url\", \"token_file\", \"api_root\", \"collection\" and "
					 "\"organisation\" are for https/taxii");
			goto out;
		}
	} else {
		const char *sk = sink_names[c->type];
		if (strncmp(c->url, "https://", 8) != 0 || c->url[8] == '\0' || strpbrk(c->url, " \t\r\n") != NULL) {
			say(why, whylen, "destination config: %s needs \"url\": https://HOST[:PORT]/PATH", sk);
			goto out;
		}
		if (c->cert[0] == '\0' && c->token_file[0] == '\0') {
			say(why, whylen, "destination config: %s needs a client certificate (cert, key) or a "
					 "token_file, or both", sk);
			goto out;
		}
		if (c->type != VG_SINK_TAXII && (c->api_root[0] || c->collection[0] || c->organisation[0])) {
			say(why, whylen, "destination config: \"api_root\", \"collection\" and \"organisation\" are for taxii");
			goto out;
		}
		if (c->address[0] || c->format != VG_SINK_JSON || c->server_name[0]) {
			say(why, whylen, "destination config: \"address\", \"format\" and \"server_name\" are for syslog");
			goto out;
		}
	}
	r = 0;
out:
	json_decref(doc);
	return r;
}

json_t *vg_sink_conf_json(const vg_sink_conf *c)
{
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < NMEMBERS; i++) {
		const member *m = &members[i];
		const char *field = (const char *)c + m->off;
		json_t *v = NULL;
		if (m->type == T_STR || m->type == T_PATH) {
			if (field[0] != '\0')
				v = json_string(field);
		} else if (m->type == T_ENUM) {
			if (m->names == format_names && c->type != VG_SINK_SYSLOG)
				continue;
			v = json_string(m->names[*(const int *)(const void *)field]);
		} else if (m->type == T_U64) {
			v = json_integer((json_int_t) * (const uint64_t *)(const void *)field);
		} else {
			v = json_integer(*(const unsigned *)(const void *)field);
		}
		if (v != NULL)
			json_object_set_new(o, m->key, v);
	}
	return o;
}

int vg_sink_read_token(const char *path, char **token, vg_sink_result *res)
{
	char *t = NULL;
	size_t len = 0;
	*token = NULL;
	int r = vg_pki_file_read(path, VG_SINK_TOKEN_MAX, &t, &len);
	if (r != 0) {
		snprintf(res->why, sizeof(res->why), "%.200s: %s", path,
			 r == VG_ELIMIT ? "larger than a token" : vg_err_str(r));
		return r;
	}
	while (len > 0 && isspace((unsigned char)t[len - 1]))
		t[--len] = '\0';
	/* RFC 6750 b64token characters only: nothing that could break the header */
	int ok = len > 0;
	for (size_t i = 0; i < len && ok; i++)
		ok = isalnum((unsigned char)t[i]) || strchr("-._~+/=", t[i]) != NULL;
	if (!ok) {
		snprintf(res->why, sizeof(res->why), "%.200s: not a bearer token (RFC 6750 characters, one line)", path);
		OPENSSL_cleanse(t, len);
		free(t);
		return VG_EINVAL;
	}
	*token = t;
	return 0;
}

const vg_sink_ops *vg_sink_lookup(int type)
{
	static const vg_sink_ops *const table[] = {[VG_SINK_SYSLOG] = &vg_sink_syslog_ops,
						   [VG_SINK_HTTPS] = &vg_sink_https_ops,
						   [VG_SINK_TAXII] = &vg_sink_taxii_ops};
	return type >= 0 && (size_t)type < sizeof(table) / sizeof(table[0]) ? table[type] : NULL;
}

int vg_sink_open(const vg_sink_conf *c, const vg_share_keys *k, vg_sink **out, vg_sink_result *res)
{
	memset(res, 0, sizeof(*res));
	const vg_sink_ops *ops = vg_sink_lookup(c->type);
	if (ops == NULL) {
		snprintf(res->why, sizeof(res->why), "unknown sink type %d", c->type);
		return VG_EINVAL;
	}
	return ops->open(c, k, out, res);
}

int vg_sink_send(vg_sink *s, const vg_outbox_item *items, size_t n, vg_sink_result *res)
{
	memset(res, 0, sizeof(*res));
	return s->ops->send(s, items, n, res);
}

void vg_sink_close(vg_sink *s)
{
	if (s != NULL)
		s->ops->close(s);
}
