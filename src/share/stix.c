/* stix.c — conversion of alerts, incidents and declared IPs to STIX 2.1
 * objects (stix.h, docs/stix.md). Pure functions over jansson values: ids
 * are UUIDv5 (SHA-1 from OpenSSL), times come from the items themselves. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/timeparse.h"
#include "share/stix.h"

#define SAY(...) (why != NULL && whylen > 0 ? (void)snprintf(why, whylen, __VA_ARGS__) : (void)0)

void vg_stix_timestamp(int64_t us, char out[VG_STIX_TS_MAX])
{
	int64_t s = us / 1000000, ms = (us % 1000000) / 1000;
	if (us < 0 && us % 1000000 != 0) {
		s--;
		ms = (us - s * 1000000) / 1000;
	}
	time_t t = (time_t)s;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	char tmp[96]; /* the compiler cannot see that the fields are small */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	size_t n = strnlen(tmp, VG_STIX_TS_MAX - 1);
	memcpy(out, tmp, n);
	out[n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int uuid_parse(const char *s, unsigned char b[16])
{
	size_t k = 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return VG_EINVAL;
			continue;
		}
		int h = hexval(s[i]), l = h >= 0 && s[i + 1] != '\0' ? hexval(s[i + 1]) : -1;
		if (l < 0 || k >= 16)
			return VG_EINVAL;
		b[k++] = (unsigned char)(h << 4 | l);
		i++;
	}
	return k == 16 ? 0 : VG_EINVAL;
}

int vg_stix_uuid5(const char *ns, const void *name, size_t len, char out[37])
{
	unsigned char nsb[16], md[SHA_DIGEST_LENGTH];
	if (ns == NULL || strlen(ns) != 36 || uuid_parse(ns, nsb) != 0)
		return VG_EINVAL;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	int ok = mc != NULL && EVP_DigestInit_ex(mc, EVP_sha1(), NULL) == 1 &&
		 EVP_DigestUpdate(mc, nsb, sizeof(nsb)) == 1 && EVP_DigestUpdate(mc, name, len) == 1 &&
		 EVP_DigestFinal_ex(mc, md, NULL) == 1;
	EVP_MD_CTX_free(mc);
	if (!ok)
		return VG_ENOMEM;
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	static const char hx[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[md[i] >> 4];
		out[o++] = hx[md[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* type--uuid5(ns, name) */
static int make_id(const char *ns, const char *type, const char *name, size_t len, char out[VG_STIX_ID_MAX])
{
	char u[37];
	int r = vg_stix_uuid5(ns, name, len, u);
	if (r != 0)
		return r;
	if ((size_t)snprintf(out, VG_STIX_ID_MAX, "%s--%s", type, u) >= VG_STIX_ID_MAX)
		return VG_EINVAL;
	return 0;
}

int vg_stix_id(const vg_stix_ctx *c, const char *type, const char *seed, char out[VG_STIX_ID_MAX])
{
	const char *origin = c != NULL && c->origin != NULL ? c->origin : "";
	size_t n = strlen(type) + strlen(origin) + strlen(seed) + 3;
	char *s = malloc(n);
	if (s == NULL)
		return VG_ENOMEM;
	snprintf(s, n, "%s|%s|%s", type, origin, seed);
	int r = make_id(VG_STIX_NS, type, s, n - 1, out);
	free(s);
	return r;
}

int vg_stix_pattern_escape(vg_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r;
		if ((s[i] == '\\' || s[i] == '\'') && (r = vg_buf_append(b, "\\", 1)) != 0)
			return r;
		if ((r = vg_buf_append(b, s + i, 1)) != 0)
			return r;
	}
	return 0;
}

/* ---- building objects ---- */

/* json_object_set_new that reports allocation failure (val may be NULL). */
static int put(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return VG_ENOMEM;
	return json_object_set_new(o, k, v) == 0 ? 0 : VG_ENOMEM;
}

static int put_str(json_t *o, const char *k, const char *v)
{
	return v == NULL ? 0 : put(o, k, json_string(v));
}

static int put_ts(json_t *o, const char *k, int64_t us)
{
	char ts[VG_STIX_TS_MAX];
	vg_stix_timestamp(us, ts);
	return put(o, k, json_string(ts));
}

/* A new object with type, spec_version, id and (when created_us >= 0, for
 * SDOs/SROs) created/modified and created_by_ref. */
static json_t *obj_new(const char *type, const char *id, int64_t created_us, int64_t modified_us,
		       const char *creator)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	int r = put(o, "type", json_string(type));
	if (r == 0)
		r = put(o, "spec_version", json_string("2.1"));
	if (r == 0)
		r = put(o, "id", json_string(id));
	if (r == 0 && creator != NULL)
		r = put(o, "created_by_ref", json_string(creator));
	if (r == 0 && created_us >= 0)
		r = put_ts(o, "created", created_us);
	if (r == 0 && created_us >= 0)
		r = put_ts(o, "modified", modified_us > created_us ? modified_us : created_us);
	if (r != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Appends o (stolen) to objects unless an object with its id is there. */
static int add_obj(json_t *objects, json_t *o)
{
	if (o == NULL)
		return VG_ENOMEM;
	const char *id = json_string_value(json_object_get(o, "id"));
	size_t i;
	json_t *x;
	json_array_foreach(objects, i, x)
	{
		const char *xid = json_string_value(json_object_get(x, "id"));
		if (id != NULL && xid != NULL && strcmp(id, xid) == 0) {
			json_decref(o);
			return 0;
		}
	}
	return json_array_append_new(objects, o) == 0 ? 0 : VG_ENOMEM;
}

static int identity_id(const vg_stix_ctx *c, char id[VG_STIX_ID_MAX])
{
	return vg_stix_id(c, "identity", c->org, id);
}

int vg_stix_identity(const vg_stix_ctx *c, json_t *objects)
{
	if (c == NULL || c->org == NULL || c->org[0] == '\0')
		return VG_EINVAL;
	char id[VG_STIX_ID_MAX];
	int r = identity_id(c, id);
	if (r != 0)
		return r;
	int64_t t = c->org_created_us > 0 ? c->org_created_us : VG_STIX_EXT_CREATED_US;
	json_t *o = obj_new("identity", id, t, t, NULL);
	if (o == NULL)
		return VG_ENOMEM;
	r = put_str(o, "name", c->org);
	if (r == 0)
		r = put_str(o, "identity_class", "organization");
	if (r == 0 && c->sector != NULL)
		r = put(o, "sectors", json_pack("[s]", c->sector));
	if (r == 0)
		r = put_str(o, "contact_information", c->contact);
	if (r != 0) {
		json_decref(o);
		return r;
	}
	return add_obj(objects, o);
}

int vg_stix_extension_definition(json_t *objects)
{
	json_t *who = obj_new("identity", VG_STIX_EXT_CREATOR, VG_STIX_EXT_CREATED_US, 0, NULL);
	int r = who == NULL ? VG_ENOMEM : 0;
	if (r == 0)
		r = put_str(who, "name", "vigil");
	if (r == 0)
		r = put_str(who, "identity_class", "organization");
	if (r == 0) {
		r = add_obj(objects, who);
		who = NULL;
	}
	json_decref(who);
	if (r != 0)
		return r;
	json_t *o = obj_new("extension-definition", VG_STIX_EXT_ID, VG_STIX_EXT_CREATED_US, 0, VG_STIX_EXT_CREATOR);
	if (o == NULL)
		return VG_ENOMEM;
	r = put_str(o, "name", "vigil incident (Circular 20/2017/TT-BTTTT)");
	if (r == 0)
		r = put_str(o, "description",
			    "Incident report fields of Circular 20/2017/TT-BTTTT (forms 03 and 04) carried by vigil: "
			    "affected systems with their security level, detection, response and closure.");
	if (r == 0)
		r = put_str(o, "schema", VG_STIX_EXT_SCHEMA);
	if (r == 0)
		r = put_str(o, "version", VG_STIX_EXT_VERSION);
	if (r == 0)
		r = put(o, "extension_types", json_pack("[s]", "property-extension"));
	if (r != 0) {
		json_decref(o);
		return r;
	}
	return add_obj(objects, o);
}

/* ---- alerts ---- */

/* A member by dotted path: nested objects, or a flat "a.b.c" key. */
static json_t *get_path(const json_t *doc, const char *path)
{
	json_t *v = json_object_get(doc, path);
	if (v != NULL)
		return v;
	const json_t *cur = doc;
	char part[128];
	const char *p = path;
	while (cur != NULL && json_is_object(cur)) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		json_t *nx = json_object_get(cur, part);
		if (dot == NULL)
			return nx;
		/* a flat remainder under a nested prefix ({"source":{"ip":…}} or {"file":{"hash.sha256":…}}) */
		if (nx != NULL && json_is_object(nx) && json_object_get(nx, dot + 1) != NULL)
			return json_object_get(nx, dot + 1);
		cur = nx;
		p = dot + 1;
	}
	return NULL;
}

static const char *get_str(const json_t *doc, const char *path)
{
	json_t *v = get_path(doc, path);
	const char *s = json_string_value(v);
	if (s == NULL && json_is_array(v)) /* ECS keywords may be arrays: take the first */
		s = json_string_value(json_array_get(v, 0));
	return s != NULL && s[0] != '\0' && strlen(s) <= VG_STIX_MAX_VALUE ? s : NULL;
}

enum obs_kind { OBS_IP, OBS_DOMAIN, OBS_URL, OBS_HASH, OBS_CMDLINE, OBS_USER };

/* Alert fields taken as observables; pattern = part of the indicator. */
static const struct obs_field {
	const char *field;
	int kind;
	int pattern;
	const char *hash_name; /* OBS_HASH: STIX hash algorithm */
} obs_fields[] = {
	{"source.ip", OBS_IP, 1, NULL},
	{"destination.ip", OBS_IP, 0, NULL},
	{"client.ip", OBS_IP, 1, NULL},
	{"server.ip", OBS_IP, 0, NULL},
	{"host.ip", OBS_IP, 0, NULL},
	{"source.domain", OBS_DOMAIN, 1, NULL},
	{"destination.domain", OBS_DOMAIN, 0, NULL},
	{"dns.question.name", OBS_DOMAIN, 1, NULL},
	{"url.domain", OBS_DOMAIN, 0, NULL},
	{"url.full", OBS_URL, 1, NULL},
	{"url.original", OBS_URL, 1, NULL}, /* only when absolute (scheme://) */
	{"file.hash.sha256", OBS_HASH, 1, "SHA-256"},
	{"file.hash.sha1", OBS_HASH, 1, "SHA-1"},
	{"file.hash.md5", OBS_HASH, 1, "MD5"},
	{"process.hash.sha256", OBS_HASH, 1, "SHA-256"},
	{"process.command_line", OBS_CMDLINE, 1, NULL},
	{"user.name", OBS_USER, 0, NULL},
};

typedef struct alert_conv {
	const vg_stix_ctx *c;
	const char *item_id;
	json_t *objects;
	json_t *refs;      /* ids of the SCOs */
	vg_buf pattern;
	size_t nobs, npattern;
	char creator[VG_STIX_ID_MAX];
	int64_t ts_us;
	int have_url;
} alert_conv;

/* An SCO whose id is UUIDv5(STIX namespace, {"prop":value}) — the ID
 * contributing properties of ipv4-addr, ipv6-addr, domain-name, url, and
 * user-account (account_login) — or, for file, {"hashes":{alg:value}}. */
static json_t *sco_new(const char *type, const char *prop, json_t *value, char id[VG_STIX_ID_MAX])
{
	json_t *contrib = json_object();
	if (contrib == NULL || value == NULL || json_object_set(contrib, prop, value) != 0) {
		json_decref(contrib);
		json_decref(value);
		return NULL;
	}
	char *canon = json_dumps(contrib, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(contrib);
	int r = canon != NULL ? make_id(VG_STIX_SCO_NS, type, canon, strlen(canon), id) : VG_ENOMEM;
	free(canon);
	json_t *o = r == 0 ? obj_new(type, id, -1, 0, NULL) : NULL;
	if (o == NULL || json_object_set_new(o, prop, value) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int ip_type(const char *s)
{
	unsigned char b[16];
	if (inet_pton(AF_INET, s, b) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, b) == 1)
		return 6;
	return 0;
}

/* Appends "[type:prop = 'value']" to the pattern (joined by AND). */
static int pattern_add(alert_conv *a, const char *lhs, const char *value)
{
	int r = 0;
	if (a->npattern > 0)
		r = vg_buf_append(&a->pattern, " AND ", 5);
	if (r == 0)
		r = vg_buf_append(&a->pattern, "[", 1);
	if (r == 0)
		r = vg_buf_append(&a->pattern, lhs, strlen(lhs));
	if (r == 0)
		r = vg_buf_append(&a->pattern, " = '", 4);
	if (r == 0)
		r = vg_stix_pattern_escape(&a->pattern, value, strlen(value));
	if (r == 0)
		r = vg_buf_append(&a->pattern, "']", 2);
	if (r == 0)
		a->npattern++;
	return r;
}

static int observe(alert_conv *a, const struct obs_field *f, const char *v)
{
	char id[VG_STIX_ID_MAX], lhs[64];
	json_t *o = NULL;
	switch (f->kind) {
	case OBS_IP: {
		int t = ip_type(v);
		if (t == 0)
			return 0;
		snprintf(lhs, sizeof(lhs), "%s:value", t == 4 ? "ipv4-addr" : "ipv6-addr");
		o = sco_new(t == 4 ? "ipv4-addr" : "ipv6-addr", "value", json_string(v), id);
		break;
	}
	case OBS_DOMAIN:
		if (ip_type(v) != 0 || strchr(v, '.') == NULL || strpbrk(v, " /\\'\"") != NULL)
			return 0;
		snprintf(lhs, sizeof(lhs), "domain-name:value");
		o = sco_new("domain-name", "value", json_string(v), id);
		break;
	case OBS_URL:
		if (a->have_url || strstr(v, "://") == NULL)
			return 0;
		a->have_url = 1;
		snprintf(lhs, sizeof(lhs), "url:value");
		o = sco_new("url", "value", json_string(v), id);
		break;
	case OBS_HASH:
		snprintf(lhs, sizeof(lhs), "file:hashes.'%s'", f->hash_name);
		o = sco_new("file", "hashes", json_pack("{s:s}", f->hash_name, v), id);
		break;
	case OBS_CMDLINE: {
		/* process has no ID contributing properties: vigil namespace, per alert */
		char seed[VG_STIX_ID_MAX + 160];
		snprintf(seed, sizeof(seed), "%s|%s", a->item_id, f->field);
		int r = vg_stix_id(a->c, "process", seed, id);
		if (r != 0)
			return r;
		snprintf(lhs, sizeof(lhs), "process:command_line");
		o = obj_new("process", id, -1, 0, NULL);
		if (o != NULL && put_str(o, "command_line", v) != 0) {
			json_decref(o);
			o = NULL;
		}
		break;
	}
	case OBS_USER:
		snprintf(lhs, sizeof(lhs), "user-account:account_login");
		o = sco_new("user-account", "account_login", json_string(v), id);
		break;
	default:
		return 0;
	}
	if (o == NULL)
		return VG_ENOMEM;
	/* the same observable under two fields: one object, one reference */
	size_t i;
	json_t *x;
	json_array_foreach(a->refs, i, x)
	{
		if (strcmp(json_string_value(x), id) == 0) {
			json_decref(o);
			return 0;
		}
	}
	int r = add_obj(a->objects, o);
	if (r == 0)
		r = json_array_append_new(a->refs, json_string(id)) == 0 ? 0 : VG_ENOMEM;
	if (r == 0 && f->pattern)
		r = pattern_add(a, lhs, v);
	if (r == 0)
		a->nobs++;
	return r;
}

static int64_t doc_time(const json_t *doc)
{
	const char *ts = json_string_value(json_object_get(doc, "@timestamp"));
	int64_t us = 0;
	if (ts != NULL && vg_time_rfc3339(ts, strlen(ts), &us) == strlen(ts))
		return us;
	return -1;
}

static int alert_build(alert_conv *a, const json_t *doc, char *why, size_t whylen)
{
	const vg_stix_ctx *c = a->c;
	json_t *rule = json_object_get(doc, "rule");
	const char *rule_id = json_string_value(json_object_get(rule, "id"));
	if (rule_id == NULL || rule_id[0] == '\0') {
		SAY("%s: alert without rule.id", a->item_id);
		return VG_EPARSE;
	}
	const char *title = json_string_value(json_object_get(rule, "title"));
	const char *level = json_string_value(json_object_get(rule, "level"));
	if (title == NULL || title[0] == '\0')
		title = rule_id;
	a->ts_us = doc_time(doc);
	if (a->ts_us < 0) {
		SAY("%s: alert without a valid @timestamp", a->item_id);
		return VG_EPARSE;
	}
	int r = identity_id(c, a->creator);
	if (r == 0)
		r = vg_stix_identity(c, a->objects);
	for (size_t i = 0; r == 0 && i < sizeof(obs_fields) / sizeof(obs_fields[0]); i++) {
		if (a->nobs >= VG_STIX_MAX_OBSERVABLES)
			break;
		const char *v = get_str(doc, obs_fields[i].field);
		if (v != NULL)
			r = observe(a, &obs_fields[i], v);
	}
	if (r != 0)
		return r;

	char ind[VG_STIX_ID_MAX] = "", od[VG_STIX_ID_MAX] = "", sid[VG_STIX_ID_MAX];
	/* labels: the rule's level and tags */
	json_t *labels = json_array();
	if (labels == NULL)
		return VG_ENOMEM;
	if (level != NULL)
		r = json_array_append_new(labels, json_sprintf("level:%s", level)) == 0 ? 0 : VG_ENOMEM;
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(rule, "tags"), i, t)
	{
		if (r == 0 && json_is_string(t) && json_string_length(t) > 0 && json_string_length(t) <= 256)
			r = json_array_append(labels, t) == 0 ? 0 : VG_ENOMEM;
	}
	if (r == 0 && a->npattern == 0) {
		/* nothing to match on but the rule: a pattern over vigil's own object */
		r = pattern_add(a, "x-vigil-alert:rule_id", rule_id);
	}
	if (r == 0 && (r = vg_buf_append(&a->pattern, "", 1)) == 0)
		a->pattern.len--;
	if (r == 0)
		r = vg_stix_id(c, "indicator", a->item_id, ind);
	if (r == 0) {
		json_t *o = obj_new("indicator", ind, a->ts_us, a->ts_us, a->creator);
		r = o == NULL ? VG_ENOMEM : 0;
		if (r == 0)
			r = put_str(o, "name", title);
		if (r == 0)
			r = put_str(o, "description", json_string_value(json_object_get(rule, "description")));
		if (r == 0)
			r = put(o, "indicator_types", json_pack("[s]", "malicious-activity"));
		if (r == 0)
			r = put_str(o, "pattern", a->pattern.data);
		if (r == 0)
			r = put_str(o, "pattern_type", "stix");
		if (r == 0)
			r = put_ts(o, "valid_from", a->ts_us);
		if (r == 0 && json_array_size(labels) > 0)
			r = put(o, "labels", json_incref(labels));
		if (r == 0)
			r = put(o, "external_references",
				json_pack("[{s:s,s:s}]", "source_name", "vigil", "external_id", rule_id));
		if (r == 0) {
			r = add_obj(a->objects, o);
			o = NULL;
		}
		json_decref(o);
	}
	json_decref(labels);
	if (r == 0 && json_array_size(a->refs) > 0) {
		r = vg_stix_id(c, "observed-data", a->item_id, od);
		json_t *o = r == 0 ? obj_new("observed-data", od, a->ts_us, a->ts_us, a->creator) : NULL;
		r = r != 0 ? r : o == NULL ? VG_ENOMEM : 0;
		if (r == 0)
			r = put_ts(o, "first_observed", a->ts_us);
		if (r == 0)
			r = put_ts(o, "last_observed", a->ts_us);
		if (r == 0)
			r = put(o, "number_observed", json_integer(1));
		if (r == 0)
			r = put(o, "object_refs", json_copy(a->refs));
		if (r == 0) {
			r = add_obj(a->objects, o);
			o = NULL;
		}
		json_decref(o);
	}
	json_int_t count = json_integer_value(get_path(doc, "correlation.count"));
	if (count < 1 || count > 999999999)
		count = 1;
	if (r == 0)
		r = vg_stix_id(c, "sighting", a->item_id, sid);
	if (r == 0) {
		json_t *o = obj_new("sighting", sid, a->ts_us, a->ts_us, a->creator);
		r = o == NULL ? VG_ENOMEM : 0;
		if (r == 0)
			r = put_str(o, "description", title);
		if (r == 0)
			r = put_ts(o, "first_seen", a->ts_us);
		if (r == 0)
			r = put_ts(o, "last_seen", a->ts_us);
		if (r == 0)
			r = put(o, "count", json_integer(count));
		if (r == 0)
			r = put_str(o, "sighting_of_ref", ind);
		if (r == 0 && od[0] != '\0')
			r = put(o, "observed_data_refs", json_pack("[s]", od));
		if (r == 0)
			r = put(o, "where_sighted_refs", json_pack("[s]", a->creator));
		if (r == 0)
			r = put(o, "external_references",
				json_pack("[{s:s,s:s}]", "source_name", "vigil", "external_id", a->item_id));
		if (r == 0) {
			r = add_obj(a->objects, o);
			o = NULL;
		}
		json_decref(o);
	}
	return r;
}

/* The checks and the parse vg_stix_alert and vg_stix_event share: *d gets
 * the document (the caller's reference). */
static int load_doc(const vg_stix_ctx *c, const char *item_id, const char *what, const char *doc, size_t len,
		    const json_t *objects, json_t **d, char *why, size_t whylen)
{
	*d = NULL;
	if (c == NULL || c->org == NULL || c->org[0] == '\0' || item_id == NULL || item_id[0] == '\0' ||
	    !json_is_array(objects)) {
		SAY("stix: organisation name and item id are required");
		return VG_EINVAL;
	}
	json_error_t je;
	json_t *j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		SAY("%s: %s document: %s", item_id, what, j == NULL ? je.text : "not a JSON object");
		json_decref(j);
		return VG_EPARSE;
	}
	*d = j;
	return 0;
}

int vg_stix_alert(const vg_stix_ctx *c, const char *item_id, const char *doc, size_t len, json_t *objects,
		  char *why, size_t whylen)
{
	json_t *d;
	int lr = load_doc(c, item_id, "alert", doc, len, objects, &d, why, whylen);
	if (lr != 0)
		return lr;
	alert_conv a = {.c = c, .item_id = item_id, .objects = objects, .refs = json_array()};
	int r = a.refs != NULL ? alert_build(&a, d, why, whylen) : VG_ENOMEM;
	json_decref(a.refs);
	vg_buf_free(&a.pattern);
	json_decref(d);
	return r;
}

/* ---- raw events ---- */

/* A port as an integer 0..65535 from a JSON number or numeric string; -1. */
static json_int_t port_of(const json_t *v)
{
	json_int_t n = -1;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		long l = strtol(s, &end, 10);
		if (end != s && *end == '\0')
			n = l;
	}
	return n >= 0 && n <= 65535 ? n : -1;
}

/* The id of the ip SCO of doc's field (as observe made it), or "" */
static int ip_ref(const json_t *doc, const char *field, char id[VG_STIX_ID_MAX])
{
	id[0] = '\0';
	const char *v = get_str(doc, field);
	int t = v != NULL ? ip_type(v) : 0;
	if (t == 0)
		return 0;
	json_t *o = sco_new(t == 4 ? "ipv4-addr" : "ipv6-addr", "value", json_string(v), id);
	if (o == NULL)
		return VG_ENOMEM;
	json_decref(o);
	return 0;
}

/* network-traffic between source.ip and destination.ip when the event
 * names a port or a transport; its id from its ID contributing properties. */
static int event_traffic(alert_conv *a, const json_t *doc)
{
	char src[VG_STIX_ID_MAX], dst[VG_STIX_ID_MAX], id[VG_STIX_ID_MAX];
	int r;
	if ((r = ip_ref(doc, "source.ip", src)) != 0 || (r = ip_ref(doc, "destination.ip", dst)) != 0)
		return r;
	json_int_t sp = port_of(get_path(doc, "source.port")), dp = port_of(get_path(doc, "destination.port"));
	const char *proto = get_str(doc, "network.transport");
	if ((src[0] == '\0' && dst[0] == '\0') || (sp < 0 && dp < 0 && proto == NULL))
		return 0;
	char pl[32] = "";
	if (proto != NULL && strlen(proto) < sizeof(pl)) {
		for (size_t i = 0; proto[i]; i++)
			pl[i] = (char)(proto[i] >= 'A' && proto[i] <= 'Z' ? proto[i] + 32 : proto[i]);
	} else {
		const char *ip = get_str(doc, src[0] ? "source.ip" : "destination.ip");
		snprintf(pl, sizeof(pl), "%s", ip != NULL && ip_type(ip) == 6 ? "ipv6" : "ipv4");
	}
	json_t *props = json_object();
	r = props == NULL ? VG_ENOMEM : 0;
	if (r == 0 && src[0])
		r = put_str(props, "src_ref", src);
	if (r == 0 && dst[0])
		r = put_str(props, "dst_ref", dst);
	if (r == 0 && sp >= 0)
		r = put(props, "src_port", json_integer(sp));
	if (r == 0 && dp >= 0)
		r = put(props, "dst_port", json_integer(dp));
	if (r == 0)
		r = put(props, "protocols", json_pack("[s]", pl));
	char *canon = r == 0 ? json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (r == 0 && canon == NULL)
		r = VG_ENOMEM;
	if (r == 0)
		r = make_id(VG_STIX_SCO_NS, "network-traffic", canon, strlen(canon), id);
	free(canon);
	json_t *o = r == 0 ? obj_new("network-traffic", id, -1, 0, NULL) : NULL;
	if (r == 0 && (o == NULL || json_object_update(o, props) != 0))
		r = VG_ENOMEM;
	json_decref(props);
	if (r == 0) {
		r = add_obj(a->objects, o);
		o = NULL;
	}
	json_decref(o);
	if (r == 0)
		r = json_array_append_new(a->refs, json_string(id)) == 0 ? 0 : VG_ENOMEM;
	return r;
}

int vg_stix_event(const vg_stix_ctx *c, const char *item_id, const char *doc, size_t len, json_t *objects,
		  char *why, size_t whylen)
{
	json_t *d;
	int lr = load_doc(c, item_id, "event", doc, len, objects, &d, why, whylen);
	if (lr != 0)
		return lr;
	/* built apart: an event without observables adds nothing to objects */
	alert_conv a = {.c = c, .item_id = item_id, .objects = json_array(), .refs = json_array()};
	int r = a.objects != NULL && a.refs != NULL ? 0 : VG_ENOMEM;
	a.ts_us = doc_time(d);
	if (r == 0 && a.ts_us < 0) {
		SAY("%s: event without a valid @timestamp", item_id);
		r = VG_EPARSE;
	}
	for (size_t i = 0; r == 0 && i < sizeof(obs_fields) / sizeof(obs_fields[0]); i++) {
		if (a.nobs >= VG_STIX_MAX_OBSERVABLES)
			break;
		const char *v = get_str(d, obs_fields[i].field);
		if (v != NULL)
			r = observe(&a, &obs_fields[i], v);
	}
	if (r == 0)
		r = event_traffic(&a, d);
	if (r == 0 && json_array_size(a.refs) == 0) {
		SAY("%s: event without observables has no STIX form", item_id);
		r = VG_EUNSUPPORTED;
	}
	char od[VG_STIX_ID_MAX];
	if (r == 0)
		r = identity_id(c, a.creator);
	if (r == 0)
		r = vg_stix_identity(c, objects);
	if (r == 0)
		r = vg_stix_id(c, "observed-data", item_id, od);
	json_t *o = r == 0 ? obj_new("observed-data", od, a.ts_us, a.ts_us, a.creator) : NULL;
	if (r == 0 && o == NULL)
		r = VG_ENOMEM;
	if (r == 0)
		r = put_ts(o, "first_observed", a.ts_us);
	if (r == 0)
		r = put_ts(o, "last_observed", a.ts_us);
	if (r == 0)
		r = put(o, "number_observed", json_integer(1));
	if (r == 0)
		r = put(o, "object_refs", json_copy(a.refs));
	/* labels: what the event is (its dataset, layer, category, outcome) */
	json_t *labels = r == 0 ? json_array() : NULL;
	static const char *const lab[][2] = {{"event.dataset", "dataset"}, {"vigil.layer", "layer"},
					     {"event.category", "category"}, {"event.outcome", "outcome"},
					     {"event.action", "action"}};
	for (size_t i = 0; labels != NULL && i < sizeof(lab) / sizeof(lab[0]); i++) {
		const char *v = get_str(d, lab[i][0]);
		if (v != NULL && strlen(v) <= 256)
			json_array_append_new(labels, json_sprintf("%s:%s", lab[i][1], v));
	}
	if (r == 0 && labels == NULL)
		r = VG_ENOMEM;
	if (r == 0 && json_array_size(labels) > 0)
		r = put(o, "labels", json_incref(labels));
	json_decref(labels);
	if (r == 0)
		r = put(o, "external_references",
			json_pack("[{s:s,s:s}]", "source_name", "vigil", "external_id", item_id));
	if (r == 0) {
		r = add_obj(objects, o);
		o = NULL;
	}
	json_decref(o);
	size_t i;
	json_t *x;
	json_array_foreach(a.objects, i, x)
	{
		if (r == 0)
			r = add_obj(objects, json_incref(x));
	}
	json_decref(a.objects);
	json_decref(a.refs);
	vg_buf_free(&a.pattern);
	json_decref(d);
	return r;
}

/* ---- systems and their declared IPs ---- */

static int system_seed(const vg_stix_system *s, char *buf, size_t n)
{
	if (s->id > 0)
		snprintf(buf, n, "system-%lld", (long long)s->id);
	else
		snprintf(buf, n, "system-%.200s", s->name);
	return 0;
}

int vg_stix_system_objects(const vg_stix_ctx *c, const vg_stix_system *s, int64_t now_us, json_t *objects,
			   char *why, size_t whylen)
{
	if (c == NULL || c->org == NULL || s == NULL || s->name == NULL || s->name[0] == '\0') {
		SAY("stix: a system needs a name");
		return VG_EINVAL;
	}
	if (s->nips > VG_STIX_MAX_IPS) {
		SAY("system %s: %zu public IPs (at most %d)", s->name, s->nips, VG_STIX_MAX_IPS);
		return VG_ELIMIT;
	}
	for (size_t i = 0; i < s->nips; i++) {
		if (s->ips[i] == NULL || ip_type(s->ips[i]) == 0) {
			SAY("system %s: public_ips[%zu] '%.64s' is not an IP address", s->name, i,
			    s->ips[i] ? s->ips[i] : "");
			return VG_EINVAL;
		}
	}
	char creator[VG_STIX_ID_MAX], inf[VG_STIX_ID_MAX], seed[256];
	int64_t created = s->created_us > 0 ? s->created_us : now_us;
	int64_t modified = s->updated_us > created ? s->updated_us : created;
	system_seed(s, seed, sizeof(seed));
	int r = identity_id(c, creator);
	if (r == 0)
		r = vg_stix_identity(c, objects);
	if (r == 0)
		r = vg_stix_id(c, "infrastructure", seed, inf);
	if (r != 0)
		return r;
	json_t *o = obj_new("infrastructure", inf, created, modified, creator);
	if (o == NULL)
		return VG_ENOMEM;
	r = put_str(o, "name", s->name);
	if (r == 0 && s->unit != NULL && s->unit[0] != '\0')
		r = put(o, "description", json_sprintf("Information system of %s", s->unit));
	if (r == 0 && s->level > 0) {
		json_t *l = json_array();
		r = l == NULL || json_array_append_new(l, json_sprintf("security-level:%d", s->level)) != 0 ? VG_ENOMEM
													     : 0;
		if (r == 0 && s->national)
			r = json_array_append_new(l, json_string("nationally-important")) == 0 ? 0 : VG_ENOMEM;
		r = r == 0 ? put(o, "labels", l) : (json_decref(l), r);
	}
	if (r == 0) {
		r = add_obj(objects, o);
		o = NULL;
	}
	json_decref(o);
	for (size_t i = 0; r == 0 && i < s->nips; i++) {
		char ipid[VG_STIX_ID_MAX], rel[VG_STIX_ID_MAX], rseed[512];
		int t = ip_type(s->ips[i]);
		json_t *ip = sco_new(t == 4 ? "ipv4-addr" : "ipv6-addr", "value", json_string(s->ips[i]), ipid);
		r = add_obj(objects, ip);
		if (r != 0)
			break;
		snprintf(rseed, sizeof(rseed), "%s|%s", seed, ipid);
		if ((r = vg_stix_id(c, "relationship", rseed, rel)) != 0)
			break;
		json_t *ro = obj_new("relationship", rel, created, modified, creator);
		r = ro == NULL ? VG_ENOMEM : 0;
		if (r == 0)
			r = put_str(ro, "relationship_type", "consists-of");
		if (r == 0)
			r = put_str(ro, "source_ref", inf);
		if (r == 0)
			r = put_str(ro, "target_ref", ipid);
		if (r == 0) {
			r = add_obj(objects, ro);
			ro = NULL;
		}
		json_decref(ro);
	}
	return r;
}

/* ---- incidents ---- */

static int ext_str(json_t *e, const char *k, const char *v)
{
	return v != NULL && v[0] != '\0' ? put(e, k, json_string(v)) : 0;
}

static int ext_ts(json_t *e, const char *k, int64_t us)
{
	return us > 0 ? put_ts(e, k, us) : 0;
}

static json_t *incident_ext(const vg_stix_incident *in)
{
	json_t *e = json_object();
	if (e == NULL)
		return NULL;
	int r = put(e, "extension_type", json_string("property-extension"));
	if (r == 0)
		r = put(e, "incident_id", json_integer(in->id));
	if (r == 0)
		r = ext_str(e, "incident_type", in->type);
	if (r == 0)
		r = ext_str(e, "severity", in->severity);
	if (r == 0)
		r = ext_str(e, "state", in->state);
	if (r == 0)
		r = put(e, "serious", json_boolean(in->serious));
	if (r == 0)
		r = put(e, "major_impact", json_boolean(in->major_impact));
	if (r == 0)
		r = put(e, "beyond_capacity", json_boolean(in->beyond_capacity));
	if (r == 0)
		r = ext_ts(e, "detected", in->detected_us);
	if (r == 0)
		r = ext_ts(e, "reported", in->reported_us);
	if (r == 0)
		r = ext_ts(e, "resolved", in->resolved_us);
	if (r == 0)
		r = ext_ts(e, "closed", in->closed_us);
	if (r == 0)
		r = ext_str(e, "detection_method", in->detection_method);
	if (r == 0 && (in->reporter_org != NULL || in->reporter_name != NULL || in->reporter_contact != NULL)) {
		json_t *rep = json_object();
		r = rep == NULL ? VG_ENOMEM : 0;
		if (r == 0)
			r = ext_str(rep, "organisation", in->reporter_org);
		if (r == 0)
			r = ext_str(rep, "name", in->reporter_name);
		if (r == 0)
			r = ext_str(rep, "contact", in->reporter_contact);
		r = r == 0 ? put(e, "reporter", rep) : (json_decref(rep), r);
	}
	if (r == 0)
		r = ext_str(e, "impact", in->impact);
	if (r == 0)
		r = ext_str(e, "cause", in->cause);
	if (r == 0)
		r = ext_str(e, "measures", in->measures);
	if (r == 0)
		r = ext_str(e, "resolution", in->resolution);
	if (r == 0)
		r = ext_str(e, "recommendations", in->recommendations);
	if (r == 0 && in->nsystems > 0) {
		json_t *arr = json_array();
		r = arr == NULL ? VG_ENOMEM : 0;
		for (size_t i = 0; r == 0 && i < in->nsystems; i++) {
			const vg_stix_system *s = &in->systems[i];
			json_t *so = json_object(), *ips = json_array();
			r = so == NULL || ips == NULL ? VG_ENOMEM : 0;
			if (r == 0 && s->id > 0)
				r = put(so, "id", json_integer(s->id));
			if (r == 0)
				r = ext_str(so, "name", s->name);
			if (r == 0 && s->level > 0)
				r = put(so, "security_level", json_integer(s->level));
			if (r == 0)
				r = ext_str(so, "unit", s->unit);
			if (r == 0)
				r = put(so, "nationally_important", json_boolean(s->national));
			for (size_t k = 0; r == 0 && k < s->nips; k++)
				r = json_array_append_new(ips, json_string(s->ips[k])) == 0 ? 0 : VG_ENOMEM;
			if (r == 0) {
				r = put(so, "public_ips", ips);
				ips = NULL;
			}
			if (r == 0) {
				r = json_array_append_new(arr, so) == 0 ? 0 : VG_ENOMEM;
				so = NULL;
			}
			json_decref(so);
			json_decref(ips);
		}
		r = r == 0 ? put(e, "systems", arr) : (json_decref(arr), r);
	}
	if (r != 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

int vg_stix_incident_objects(const vg_stix_ctx *c, const vg_stix_incident *in, json_t *objects, char *why,
			     size_t whylen)
{
	if (c == NULL || c->org == NULL || c->org[0] == '\0' || in == NULL || !json_is_array(objects)) {
		SAY("stix: organisation name required");
		return VG_EINVAL;
	}
	if (in->id <= 0 || in->title == NULL || in->title[0] == '\0' || in->detected_us <= 0) {
		SAY("incident %lld: id, title and detected time are required", (long long)in->id);
		return VG_EINVAL;
	}
	if (in->nsystems > VG_STIX_MAX_SYSTEMS) {
		SAY("incident %lld: %zu systems (at most %d)", (long long)in->id, in->nsystems, VG_STIX_MAX_SYSTEMS);
		return VG_ELIMIT;
	}
	int64_t created = in->created_us > 0 ? in->created_us : in->detected_us;
	int64_t modified = in->updated_us > created ? in->updated_us : created;
	char creator[VG_STIX_ID_MAX], id[VG_STIX_ID_MAX], seed[64];
	snprintf(seed, sizeof(seed), "incident-%lld", (long long)in->id);
	int r = identity_id(c, creator);
	if (r == 0)
		r = vg_stix_identity(c, objects);
	if (r == 0)
		r = vg_stix_extension_definition(objects);
	if (r == 0)
		r = vg_stix_id(c, "incident", seed, id);
	if (r != 0)
		return r;
	json_t *o = obj_new("incident", id, created, modified, creator);
	if (o == NULL)
		return VG_ENOMEM;
	r = put_str(o, "name", in->title);
	if (r == 0 && in->description != NULL && in->description[0] != '\0')
		r = put_str(o, "description", in->description);
	if (r == 0)
		r = put(o, "external_references", json_pack("[{s:s,s:s}]", "source_name", "vigil", "external_id", seed));
	if (r == 0) {
		json_t *ext = incident_ext(in), *exts = json_object();
		r = ext == NULL || exts == NULL || json_object_set_new(exts, VG_STIX_EXT_ID, ext) != 0 ? VG_ENOMEM : 0;
		if (r != 0) {
			json_decref(ext);
			json_decref(exts);
		} else {
			r = put(o, "extensions", exts);
		}
	}
	if (r == 0) {
		r = add_obj(objects, o);
		o = NULL;
	}
	json_decref(o);
	/* the affected systems with their declared IPs, related to the incident */
	for (size_t i = 0; r == 0 && i < in->nsystems; i++) {
		const vg_stix_system *s = &in->systems[i];
		if (s->name == NULL || s->name[0] == '\0')
			continue;
		vg_stix_system tmp = *s;
		if (tmp.created_us <= 0)
			tmp.created_us = created;
		r = vg_stix_system_objects(c, &tmp, modified, objects, why, whylen);
		char inf[VG_STIX_ID_MAX], rel[VG_STIX_ID_MAX], sseed[256], rseed[512];
		system_seed(s, sseed, sizeof(sseed));
		if (r == 0)
			r = vg_stix_id(c, "infrastructure", sseed, inf);
		snprintf(rseed, sizeof(rseed), "%s|%s", seed, sseed);
		if (r == 0)
			r = vg_stix_id(c, "relationship", rseed, rel);
		if (r != 0)
			break;
		json_t *ro = obj_new("relationship", rel, created, modified, creator);
		r = ro == NULL ? VG_ENOMEM : 0;
		if (r == 0)
			r = put_str(ro, "relationship_type", "related-to");
		if (r == 0)
			r = put_str(ro, "source_ref", id);
		if (r == 0)
			r = put_str(ro, "target_ref", inf);
		if (r == 0) {
			r = add_obj(objects, ro);
			ro = NULL;
		}
		json_decref(ro);
	}
	return r;
}

/* ---- the JSON form of incidents and systems ---- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Integer µs, or RFC 3339 text; 0 when absent; -1 when malformed. */
static int64_t jtime(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
	const char *s = json_string_value(v);
	int64_t us = 0;
	if (s != NULL && s[0] != '\0' && vg_time_rfc3339(s, strlen(s), &us) == strlen(s))
		return us;
	return -1;
}

static int jbool(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}

void vg_stix_incident_json_free(vg_stix_incident_store *st)
{
	if (st == NULL)
		return;
	free(st->systems);
	free(st->ips);
	st->systems = NULL;
	st->ips = NULL;
}

/* Fills sys[0..n) from a systems array; ips are stored in ipstore. */
static int systems_from_json(const json_t *arr, vg_stix_system *sys, const char **ipstore, size_t *nip_used,
			     char *why, size_t whylen)
{
	size_t i;
	json_t *so;
	json_array_foreach(arr, i, so)
	{
		vg_stix_system *s = &sys[i];
		memset(s, 0, sizeof(*s));
		if (json_is_integer(so) && json_integer_value(so) > 0) { /* an id alone: named in the extension only */
			s->id = json_integer_value(so);
			continue;
		}
		if (!json_is_object(so)) {
			SAY("systems[%zu]: not an object", i);
			return VG_EINVAL;
		}
		s->id = json_integer_value(json_object_get(so, "id"));
		s->name = jstr(so, "name");
		s->level = (int)json_integer_value(json_object_get(so, "level"));
		s->unit = jstr(so, "unit");
		s->national = jbool(so, "national") || jbool(so, "nationally_important");
		s->created_us = jtime(so, "created_at");
		s->updated_us = jtime(so, "updated_at");
		if (s->created_us < 0 || s->updated_us < 0) {
			SAY("systems[%zu]: created_at/updated_at is not a time", i);
			return VG_EINVAL;
		}
		if (s->level < 0 || s->level > 5) {
			SAY("systems[%zu].level: expected 1-5", i);
			return VG_EINVAL;
		}
		json_t *ips = json_object_get(so, "public_ips");
		s->ips = ipstore + *nip_used;
		size_t k;
		json_t *ip;
		json_array_foreach(ips, k, ip)
		{
			if (!json_is_string(ip)) {
				SAY("systems[%zu].public_ips[%zu]: not a string", i, k);
				return VG_EINVAL;
			}
			ipstore[(*nip_used)++] = json_string_value(ip);
			s->nips++;
		}
	}
	return 0;
}

static size_t count_ips(const json_t *arr)
{
	size_t i, n = 0;
	json_t *so;
	json_array_foreach(arr, i, so) n += json_array_size(json_object_get(so, "public_ips"));
	return n;
}

int vg_stix_incident_from_json(const json_t *doc, vg_stix_incident *in, vg_stix_incident_store *st, char *why,
			       size_t whylen)
{
	memset(in, 0, sizeof(*in));
	memset(st, 0, sizeof(*st));
	if (!json_is_object(doc)) {
		SAY("incident: not a JSON object");
		return VG_EPARSE;
	}
	in->id = json_integer_value(json_object_get(doc, "id"));
	in->title = jstr(doc, "title");
	in->description = jstr(doc, "description");
	in->severity = jstr(doc, "severity");
	in->state = jstr(doc, "state");
	in->type = jstr(doc, "type");
	in->serious = jbool(doc, "serious");
	in->major_impact = jbool(doc, "major_impact");
	in->beyond_capacity = jbool(doc, "beyond_capacity");
	in->detection_method = jstr(doc, "detection_method");
	in->impact = jstr(doc, "impact");
	in->cause = jstr(doc, "cause");
	in->measures = jstr(doc, "measures");
	in->resolution = jstr(doc, "resolution");
	if (in->resolution == NULL)
		in->resolution = jstr(doc, "result");
	in->recommendations = jstr(doc, "recommendations");
	json_t *rep = json_object_get(doc, "reporter");
	if (json_is_object(rep)) {
		in->reporter_org = jstr(rep, "organisation");
		in->reporter_name = jstr(rep, "name");
		in->reporter_contact = jstr(rep, "phone") ? jstr(rep, "phone") : jstr(rep, "email");
	} else {
		in->reporter_name = json_string_value(rep);
		in->reporter_contact = jstr(doc, "reporter_contact");
	}
	static const struct {
		const char *k;
		size_t off;
	} times[] = {
		{"detected_at", offsetof(vg_stix_incident, detected_us)},
		{"created_at", offsetof(vg_stix_incident, created_us)},
		{"updated_at", offsetof(vg_stix_incident, updated_us)},
		{"reported_at", offsetof(vg_stix_incident, reported_us)},
		{"resolved_at", offsetof(vg_stix_incident, resolved_us)},
		{"closed_at", offsetof(vg_stix_incident, closed_us)},
	};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		int64_t t = jtime(doc, times[i].k);
		if (t < 0) {
			SAY("incident %lld: %s is not an RFC 3339 time or µs", (long long)in->id, times[i].k);
			return VG_EINVAL;
		}
		memcpy((char *)in + times[i].off, &t, sizeof(t));
	}
	json_t *sys = json_object_get(doc, "systems");
	size_t ns = json_array_size(sys), nips = count_ips(sys);
	if (ns > VG_STIX_MAX_SYSTEMS || nips > VG_STIX_MAX_IPS) {
		SAY("incident %lld: too many systems or public IPs", (long long)in->id);
		return VG_ELIMIT;
	}
	if (ns > 0) {
		st->systems = calloc(ns, sizeof(*st->systems));
		st->ips = calloc(nips + 1, sizeof(*st->ips));
		if (st->systems == NULL || st->ips == NULL) {
			vg_stix_incident_json_free(st);
			return VG_ENOMEM;
		}
		size_t used = 0;
		int r = systems_from_json(sys, st->systems, st->ips, &used, why, whylen);
		if (r != 0) {
			vg_stix_incident_json_free(st);
			return r;
		}
		in->systems = st->systems;
		in->nsystems = ns;
	}
	return 0;
}

/* ---- outbox items ---- */

static int systems_item(const vg_stix_ctx *c, const json_t *data, int64_t now_us, json_t *objects, char *why,
			size_t whylen)
{
	json_t *arr = json_object_get(data, "systems"), *one = NULL;
	if (arr == NULL) { /* a single system */
		one = json_array();
		if (one == NULL || json_array_append(one, (json_t *)data) != 0) {
			json_decref(one);
			return VG_ENOMEM;
		}
		arr = one;
	}
	size_t ns = json_array_size(arr), nips = count_ips(arr), used = 0;
	int r = 0;
	/* bounded so that one item stays a few thousand objects (add_obj de-duplicates by a scan) */
	if (ns == 0 || ns > VG_STIX_MAX_SYSTEMS || nips > VG_STIX_MAX_IPS) {
		SAY("systems item: %zu systems, %zu IPs (expected 1..%d systems, at most %d IPs: send one item per system)",
		    ns, nips, VG_STIX_MAX_SYSTEMS, VG_STIX_MAX_IPS);
		r = ns == 0 ? VG_EPARSE : VG_ELIMIT;
	}
	vg_stix_system *sys = r == 0 ? calloc(ns, sizeof(*sys)) : NULL;
	const char **ips = r == 0 ? calloc(nips + 1, sizeof(*ips)) : NULL;
	if (r == 0 && (sys == NULL || ips == NULL))
		r = VG_ENOMEM;
	if (r == 0)
		r = systems_from_json(arr, sys, ips, &used, why, whylen);
	for (size_t i = 0; r == 0 && i < ns; i++)
		r = vg_stix_system_objects(c, &sys[i], now_us, objects, why, whylen);
	free(sys);
	free(ips);
	json_decref(one);
	return r;
}

int vg_stix_outbox_item(const vg_stix_ctx *c, const char *payload, size_t len, json_t *objects, char *why,
			size_t whylen)
{
	json_error_t je;
	json_t *p = json_loadb(payload, len, 0, &je);
	const char *id = jstr(p, "id"), *kind = jstr(p, "kind");
	json_t *data = json_object_get(p, "data");
	int r = 0;
	if (p == NULL || id == NULL || kind == NULL || !json_is_object(data)) {
		SAY("outbox item %.64s: %s", id ? id : "?", p == NULL ? je.text : "no id, kind or data");
		json_decref(p);
		return VG_EPARSE;
	}
	int64_t created = jtime(p, "created");
	if (created <= 0)
		created = VG_STIX_EXT_CREATED_US;
	if (strcmp(kind, "alert") == 0) {
		char *doc = json_dumps(data, JSON_COMPACT);
		r = doc == NULL ? VG_ENOMEM : vg_stix_alert(c, id, doc, strlen(doc), objects, why, whylen);
		free(doc);
	} else if (strcmp(kind, "event") == 0) {
		char *doc = json_dumps(data, JSON_COMPACT);
		r = doc == NULL ? VG_ENOMEM : vg_stix_event(c, id, doc, strlen(doc), objects, why, whylen);
		free(doc);
	} else if (strcmp(kind, "incident") == 0) {
		vg_stix_incident in;
		vg_stix_incident_store st;
		r = vg_stix_incident_from_json(data, &in, &st, why, whylen);
		if (r == 0)
			r = vg_stix_incident_objects(c, &in, objects, why, whylen);
		vg_stix_incident_json_free(&st);
	} else if (strcmp(kind, "systems") == 0 || strcmp(kind, "public_ips") == 0 || strcmp(kind, "system") == 0) {
		r = systems_item(c, data, created, objects, why, whylen);
	} else {
		SAY("outbox item %.64s: kind '%.32s' has no STIX form", id, kind);
		r = VG_EUNSUPPORTED;
	}
	json_decref(p);
	return r;
}

int vg_stix_bundle(const json_t *objects, vg_buf *out)
{
	if (!json_is_array(objects))
		return VG_EINVAL;
	vg_buf seed = {0};
	size_t i;
	json_t *o;
	int r = 0;
	json_array_foreach(objects, i, o)
	{
		const char *id = jstr(o, "id"), *m = jstr(o, "modified");
		if (r == 0 && id != NULL)
			r = vg_buf_append(&seed, id, strlen(id));
		if (r == 0 && m != NULL)
			r = vg_buf_append(&seed, m, strlen(m));
		if (r == 0)
			r = vg_buf_append(&seed, "|", 1);
	}
	char bid[VG_STIX_ID_MAX];
	if (r == 0)
		r = make_id(VG_STIX_NS, "bundle", seed.len ? seed.data : "", seed.len, bid);
	vg_buf_free(&seed);
	if (r != 0)
		return r;
	json_t *b = json_pack("{s:s,s:s,s:O}", "type", "bundle", "id", bid, "objects", (json_t *)objects);
	char *s = b != NULL ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	if (s == NULL)
		return VG_ENOMEM;
	r = vg_buf_append(out, s, strlen(s));
	free(s);
	return r;
}
