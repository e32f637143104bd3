/* policy.c — parsing, matching and applying a destination's sharing policy
 * (filters on the item's facts, then redaction of the payload). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "share/policy.h"

enum field_action { ACT_REMOVE, ACT_REDACT, ACT_PSEUDO };
enum ip_mode { IP_KEEP, IP_REDACT, IP_PSEUDO };

typedef struct field_rule {
	char *path;
	int action;
} field_rule;

struct vg_share_policy {
	unsigned streams;
	int min_rank;
	json_t *hosts, *systems, *units, *tags; /* arrays of strings, NULL = any */
	field_rule fields[VG_SHARE_POLICY_MAX_FIELDS];
	size_t nfields;
	int ip_mode;
	/* the "events" selection */
	int has_events;            /* the member was given: shown in the canonical form */
	unsigned ev_layers;        /* bit per layer_names entry; 0 = any */
	unsigned ev_outcomes;      /* bit per outcome_names entry; 0 = any */
	json_t *ev_datasets, *ev_categories; /* NULL = any */
	unsigned ev_rate;
};

static const char *const stream_names[] = {"alerts", "incidents", "events", "heartbeats", "public_ips"};
static const char *const level_names[] = {"informational", "low", "medium", "high", "critical"};
static const char *const action_names[] = {"remove", "redact", "pseudonymise"};
static const char *const ip_names[] = {"keep", "redact", "pseudonymise"};
/* the names of enum vg_layer (vg_layer_name), in its order */
static const char *const layer_names[] = {"unknown", "network", "host", "application", "endpoint"};
static const char *const outcome_names[] = {"success", "failure", "unknown"};
/* ECS 8 event.category allowed values */
static const char *const category_names[] = {"api", "authentication", "configuration", "database", "driver",
					      "email", "file", "host", "iam", "intrusion_detection", "library",
					      "malware", "network", "package", "process", "registry", "session",
					      "threat", "vulnerability", "web"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define VG_LAYER_HOST_IDX 2 /* layer_names[2] */

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

static int index_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

unsigned vg_share_stream_bit(const char *name)
{
	int i = index_of(stream_names, 5, name);
	return i < 0 ? 0 : 1u << i;
}

int vg_share_level_rank(const char *level)
{
	return level == NULL ? -1 : index_of(level_names, 5, level);
}

void vg_share_policy_free(vg_share_policy *p)
{
	if (p == NULL)
		return;
	json_decref(p->hosts);
	json_decref(p->systems);
	json_decref(p->units);
	json_decref(p->tags);
	json_decref(p->ev_datasets);
	json_decref(p->ev_categories);
	for (size_t i = 0; i < p->nfields; i++)
		free(p->fields[i].path);
	free(p);
}

/* A list member: an array of 1..MAX non-empty strings of at most MAX_NAME bytes. */
static int parse_list(json_t *v, const char *name, json_t **out, char *why, size_t whylen)
{
	if (!json_is_array(v) || json_array_size(v) > VG_SHARE_POLICY_MAX_LIST) {
		say(why, whylen, "policy: \"%s\" must be an array of at most %d strings", name,
		    VG_SHARE_POLICY_MAX_LIST);
		return VG_EINVAL;
	}
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > VG_SHARE_POLICY_MAX_NAME) {
			say(why, whylen, "policy: \"%s\"[%zu] must be a non-empty string of at most %d bytes", name, i,
			    VG_SHARE_POLICY_MAX_NAME);
			return VG_EINVAL;
		}
	}
	*out = json_array_size(v) ? json_incref(v) : NULL;
	return 0;
}

static int parse_fields(vg_share_policy *p, json_t *v, char *why, size_t whylen)
{
	if (!json_is_object(v) || json_object_size(v) > VG_SHARE_POLICY_MAX_FIELDS) {
		say(why, whylen, "policy: \"fields\" must be an object of at most %d field: action members",
		    VG_SHARE_POLICY_MAX_FIELDS);
		return VG_EINVAL;
	}
	const char *k;
	json_t *a;
	json_object_foreach(v, k, a) {
		size_t kl = strlen(k), dots = 0;
		for (size_t i = 0; i < kl; i++)
			dots += k[i] == '.';
		if (kl == 0 || kl > VG_SHARE_POLICY_MAX_NAME || dots >= VG_SHARE_POLICY_MAX_DEPTH || k[0] == '.' ||
		    k[kl - 1] == '.' || strstr(k, "..") != NULL) {
			say(why, whylen, "policy: fields: \"%.64s\" is not a dotted field path (at most %d parts)", k,
			    VG_SHARE_POLICY_MAX_DEPTH);
			return VG_EINVAL;
		}
		int act = json_is_string(a) ? index_of(action_names, 3, json_string_value(a)) : -1;
		if (act < 0) {
			say(why, whylen, "policy: fields: \"%.64s\": action must be remove, redact or pseudonymise", k);
			return VG_EINVAL;
		}
		if ((p->fields[p->nfields].path = strdup(k)) == NULL)
			return VG_ENOMEM;
		p->fields[p->nfields++].action = act;
	}
	return 0;
}

/* A list of names from a fixed set as a bit mask ("events.layers"...). */
static int parse_names(json_t *v, const char *name, const char *const *names, size_t nn, unsigned *out, char *why,
		       size_t whylen)
{
	*out = 0;
	size_t i;
	json_t *e;
	if (!json_is_array(v) || json_array_size(v) > VG_SHARE_POLICY_MAX_LIST)
		goto bad;
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);
		int k = s != NULL ? index_of(names, nn, s) : -1;
		if (k < 0 && s != NULL && names == layer_names && strcmp(s, "server") == 0)
			k = VG_LAYER_HOST_IDX; /* the name of the host layer */
		if (k < 0)
			goto bad;
		*out |= 1u << k;
	}
	return 0;
bad:;
	char list[256] = "";
	size_t off = 0;
	for (size_t k = 0; k < nn && off < sizeof(list); k++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", k ? ", " : "", names[k]);
	say(why, whylen, "policy: \"events.%s\" must be an array of %s", name, list);
	return VG_EINVAL;
}

static int parse_events(vg_share_policy *p, json_t *v, char *why, size_t whylen)
{
	if (!json_is_object(v)) {
		say(why, whylen, "policy: \"events\" must be an object (layers, datasets, categories, outcomes, "
				 "max_per_second)");
		return VG_EINVAL;
	}
	p->has_events = 1;
	const char *k;
	json_t *e;
	int r;
	json_object_foreach(v, k, e) {
		if (strcmp(k, "layers") == 0) {
			if ((r = parse_names(e, k, layer_names, NELEM(layer_names), &p->ev_layers, why, whylen)) != 0)
				return r;
		} else if (strcmp(k, "outcomes") == 0) {
			if ((r = parse_names(e, k, outcome_names, NELEM(outcome_names), &p->ev_outcomes, why, whylen)) !=
			    0)
				return r;
		} else if (strcmp(k, "categories") == 0) {
			unsigned bits;
			if ((r = parse_names(e, k, category_names, NELEM(category_names), &bits, why, whylen)) != 0)
				return r;
			if (json_array_size(e) > 0) {
				json_decref(p->ev_categories);
				p->ev_categories = json_incref(e);
			}
		} else if (strcmp(k, "datasets") == 0) {
			if ((r = parse_list(e, "events.datasets", &p->ev_datasets, why, whylen)) != 0)
				return r;
		} else if (strcmp(k, "max_per_second") == 0) {
			json_int_t n = json_is_integer(e) ? json_integer_value(e) : 0;
			if (n < 1 || n > VG_SHARE_EVENTS_MAX_RATE) {
				say(why, whylen, "policy: \"events.max_per_second\" must be an integer 1..%d",
				    VG_SHARE_EVENTS_MAX_RATE);
				return VG_EINVAL;
			}
			p->ev_rate = (unsigned)n;
		} else {
			say(why, whylen,
			    "policy: \"events\": unknown member \"%.64s\" (layers, datasets, categories, outcomes, "
			    "max_per_second)",
			    k);
			return VG_EINVAL;
		}
	}
	return 0;
}

int vg_share_policy_parse(const char *text, size_t len, vg_share_policy **out, char *why, size_t whylen)
{
	*out = NULL;
	vg_share_policy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return VG_ENOMEM;
	p->streams = VG_SHARE_ALERTS | VG_SHARE_INCIDENTS | VG_SHARE_HEARTBEATS;
	p->ev_rate = VG_SHARE_EVENTS_DEFAULT_RATE;
	if (text == NULL || len == 0) {
		*out = p;
		return 0;
	}
	int r = VG_EINVAL;
	json_t *doc = NULL;
	if (len > VG_SHARE_POLICY_MAX_BYTES) {
		say(why, whylen, "policy: %zu bytes, more than %d", len, VG_SHARE_POLICY_MAX_BYTES);
		r = VG_ELIMIT;
		goto err;
	}
	json_error_t je;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc)) {
		say(why, whylen, "policy: not a JSON object (line %d: %s)", je.line, doc ? "not an object" : je.text);
		r = VG_EPARSE;
		goto err;
	}
	const char *k;
	json_t *v;
	json_object_foreach(doc, k, v) {
		if (strcmp(k, "streams") == 0) {
			size_t i;
			json_t *e;
			if (!json_is_array(v))
				goto bad_streams;
			p->streams = 0;
			json_array_foreach(v, i, e) {
				unsigned b = json_is_string(e) ? vg_share_stream_bit(json_string_value(e)) : 0;
				if (b == 0)
					goto bad_streams;
				p->streams |= b;
			}
		} else if (strcmp(k, "min_level") == 0) {
			p->min_rank = json_is_string(v) ? vg_share_level_rank(json_string_value(v)) : -1;
			if (p->min_rank < 0) {
				say(why, whylen,
				    "policy: \"min_level\" must be informational, low, medium, high or critical");
				goto err;
			}
		} else if (strcmp(k, "hosts") == 0) {
			if ((r = parse_list(v, k, &p->hosts, why, whylen)) != 0)
				goto err;
		} else if (strcmp(k, "systems") == 0) {
			if ((r = parse_list(v, k, &p->systems, why, whylen)) != 0)
				goto err;
		} else if (strcmp(k, "units") == 0) {
			if ((r = parse_list(v, k, &p->units, why, whylen)) != 0)
				goto err;
		} else if (strcmp(k, "tags") == 0) {
			if ((r = parse_list(v, k, &p->tags, why, whylen)) != 0)
				goto err;
		} else if (strcmp(k, "fields") == 0) {
			if ((r = parse_fields(p, v, why, whylen)) != 0)
				goto err;
		} else if (strcmp(k, "events") == 0) {
			if ((r = parse_events(p, v, why, whylen)) != 0)
				goto err;
		} else if (strcmp(k, "internal_ips") == 0) {
			p->ip_mode = json_is_string(v) ? index_of(ip_names, 3, json_string_value(v)) : -1;
			if (p->ip_mode < 0) {
				say(why, whylen, "policy: \"internal_ips\" must be keep, redact or pseudonymise");
				r = VG_EINVAL;
				goto err;
			}
		} else {
			say(why, whylen,
			    "policy: unknown member \"%.64s\" (streams, min_level, hosts, systems, units, tags, events, "
			    "fields, internal_ips)",
			    k);
			r = VG_EINVAL;
			goto err;
		}
		r = VG_EINVAL;
	}
	json_decref(doc);
	*out = p;
	return 0;
bad_streams:
	say(why, whylen, "policy: \"streams\" must be an array of alerts, incidents, events, heartbeats, public_ips");
	r = VG_EINVAL;
err:
	json_decref(doc);
	vg_share_policy_free(p);
	return r;
}

json_t *vg_share_policy_json(const vg_share_policy *p)
{
	json_t *o = json_object(), *s = json_array(), *f = json_object();
	if (o == NULL || s == NULL || f == NULL) {
		json_decref(o);
		json_decref(s);
		json_decref(f);
		return NULL;
	}
	for (int i = 0; i < 5; i++)
		if (p->streams & (1u << i))
			json_array_append_new(s, json_string(stream_names[i]));
	json_object_set_new(o, "streams", s);
	json_object_set_new(o, "min_level", json_string(level_names[p->min_rank]));
	json_object_set_new(o, "hosts", p->hosts ? json_incref(p->hosts) : json_array());
	json_object_set_new(o, "systems", p->systems ? json_incref(p->systems) : json_array());
	json_object_set_new(o, "units", p->units ? json_incref(p->units) : json_array());
	json_object_set_new(o, "tags", p->tags ? json_incref(p->tags) : json_array());
	for (size_t i = 0; i < p->nfields; i++)
		json_object_set_new(f, p->fields[i].path, json_string(action_names[p->fields[i].action]));
	json_object_set_new(o, "fields", f);
	json_object_set_new(o, "internal_ips", json_string(ip_names[p->ip_mode]));
	if (p->has_events || (p->streams & VG_SHARE_EVENTS)) {
		json_t *ev = json_object(), *l = json_array(), *oc = json_array();
		for (size_t i = 0; l != NULL && i < NELEM(layer_names); i++)
			if (p->ev_layers & (1u << i))
				json_array_append_new(l, json_string(layer_names[i]));
		for (size_t i = 0; oc != NULL && i < NELEM(outcome_names); i++)
			if (p->ev_outcomes & (1u << i))
				json_array_append_new(oc, json_string(outcome_names[i]));
		if (ev == NULL || l == NULL || oc == NULL) {
			json_decref(ev);
			json_decref(l);
			json_decref(oc);
			json_decref(o);
			return NULL;
		}
		json_object_set_new(ev, "layers", l);
		json_object_set_new(ev, "datasets", p->ev_datasets ? json_incref(p->ev_datasets) : json_array());
		json_object_set_new(ev, "categories", p->ev_categories ? json_incref(p->ev_categories) : json_array());
		json_object_set_new(ev, "outcomes", oc);
		json_object_set_new(ev, "max_per_second", json_integer(p->ev_rate));
		json_object_set_new(o, "events", ev);
	}
	return o;
}

unsigned vg_share_policy_event_rate(const vg_share_policy *p)
{
	return p->ev_rate;
}

unsigned vg_share_policy_streams(const vg_share_policy *p)
{
	return p->streams;
}

static int in_list(const json_t *list, const char *s, int prefix)
{
	if (list == NULL)
		return 1;
	if (s == NULL)
		return 0;
	size_t i, sl = strlen(s);
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *v = json_string_value(e);
		size_t vl = json_string_length(e);
		if (strcmp(v, s) == 0)
			return 1;
		if (prefix && sl > vl && memcmp(s, v, vl) == 0 && s[vl] == '/')
			return 1;
	}
	return 0;
}

/* An event: hosts/systems/units and the "events" selection; no level, no tags. */
static int event_match(const vg_share_policy *p, const vg_share_subject *s)
{
	if (p->ev_layers != 0) {
		int k = s->layer != NULL ? index_of(layer_names, NELEM(layer_names), s->layer) : -1;
		if (k < 0 || !(p->ev_layers & (1u << k)))
			return 0;
	}
	if (p->ev_outcomes != 0) {
		int k = s->outcome != NULL ? index_of(outcome_names, NELEM(outcome_names), s->outcome) : -1;
		if (k < 0 || !(p->ev_outcomes & (1u << k)))
			return 0;
	}
	if (p->ev_datasets != NULL && !in_list(p->ev_datasets, s->dataset, 0))
		return 0;
	if (p->ev_categories != NULL) {
		size_t i = 0;
		while (i < s->ncategories && !in_list(p->ev_categories, s->categories[i], 0))
			i++;
		if (i == s->ncategories)
			return 0;
	}
	return in_list(p->hosts, s->host, 0) && in_list(p->systems, s->system, 0) && in_list(p->units, s->unit, 1);
}

int vg_share_policy_match(const vg_share_policy *p, unsigned stream, const vg_share_subject *s)
{
	if ((p->streams & stream) == 0)
		return 0;
	if (stream == VG_SHARE_HEARTBEATS || stream == VG_SHARE_PUBLIC_IPS)
		return 1; /* status and inventory are not filtered by level or tags */
	if (stream == VG_SHARE_EVENTS)
		return event_match(p, s);
	if (p->min_rank > 0 && vg_share_level_rank(s->level) < p->min_rank)
		return 0;
	if (!in_list(p->hosts, s->host, 0) || !in_list(p->systems, s->system, 0) || !in_list(p->units, s->unit, 1))
		return 0;
	if (p->tags != NULL) {
		size_t i;
		json_t *t;
		if (!json_is_array(s->tags))
			return 0;
		json_array_foreach(s->tags, i, t) {
			if (json_is_string(t) && in_list(p->tags, json_string_value(t), 0))
				return 1;
		}
		return 0;
	}
	return 1;
}

static const char *str_at(const json_t *doc, const char *a, const char *b)
{
	const json_t *o = json_object_get(doc, a);
	return json_string_value(json_object_get(o, b));
}

void vg_share_alert_subject(const json_t *doc, const char *host_col, vg_share_subject *s)
{
	memset(s, 0, sizeof(*s));
	s->level = str_at(doc, "rule", "level");
	s->host = host_col != NULL ? host_col : str_at(doc, "host", "name");
	s->system = str_at(doc, "vigil", "system");
	s->unit = str_at(doc, "vigil", "unit");
	s->tags = json_object_get(json_object_get(doc, "rule"), "tags");
}

void vg_share_event_subject(const json_t *doc, const char *host_col, vg_share_subject *s)
{
	memset(s, 0, sizeof(*s));
	s->host = host_col != NULL ? host_col : str_at(doc, "host", "name");
	if (s->host == NULL)
		s->host = str_at(doc, "host", "hostname");
	s->system = str_at(doc, "vigil", "system");
	s->unit = str_at(doc, "vigil", "unit");
	s->layer = str_at(doc, "vigil", "layer");
	s->dataset = str_at(doc, "event", "dataset");
	if (s->dataset == NULL) /* syslog programs have no dataset: the program is one */
		s->dataset = str_at(doc, "process", "name");
	s->outcome = str_at(doc, "event", "outcome");
	const json_t *c = json_object_get(json_object_get(doc, "event"), "category");
	if (json_is_string(c)) {
		s->categories[s->ncategories++] = json_string_value(c);
	} else if (json_is_array(c)) {
		size_t i;
		const json_t *e;
		json_array_foreach(c, i, e) {
			if (s->ncategories < VG_SHARE_SUBJECT_CATEGORIES && json_is_string(e))
				s->categories[s->ncategories++] = json_string_value(e);
		}
	}
}

/* The pseudonym replacing v ("pn:" + hex), or NULL for values that are not
 * scalars (objects are removed instead: a pseudonym of a structure means
 * nothing). */
static json_t *pseudo_value(const vg_share_keys *k, const char *prefix, const json_t *v)
{
	char tmp[64], out[VG_SHARE_PSEUDO_HEX + 8];
	const char *s;
	size_t n;
	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
	} else if (json_is_integer(v)) {
		n = (size_t)snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = tmp;
	} else if (json_is_real(v)) {
		n = (size_t)snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
		s = tmp;
	} else if (json_is_boolean(v) || json_is_null(v)) {
		return json_deep_copy(v);
	} else {
		return NULL;
	}
	size_t pl = strlen(prefix);
	memcpy(out, prefix, pl);
	if (vg_share_pseudonym(k, s, n, out + pl) != 0)
		return NULL;
	return json_string(out);
}

static int apply_field(json_t *obj, const char *path, int action, const vg_share_keys *k)
{
	const char *dot = strchr(path, '.');
	if (!json_is_object(obj))
		return 0;
	if (dot != NULL) {
		char key[VG_SHARE_POLICY_MAX_NAME + 1];
		size_t kl = (size_t)(dot - path);
		memcpy(key, path, kl);
		key[kl] = '\0';
		json_t *child = json_object_get(obj, key);
		if (json_is_array(child)) { /* a path through an array applies to each element */
			size_t i;
			json_t *e;
			json_array_foreach(child, i, e) {
				int r = apply_field(e, dot + 1, action, k);
				if (r != 0)
					return r;
			}
			return 0;
		}
		return apply_field(child, dot + 1, action, k);
	}
	json_t *v = json_object_get(obj, path);
	if (v == NULL)
		return 0;
	if (action == ACT_REMOVE)
		return json_object_del(obj, path) == 0 ? 0 : VG_ENOMEM;
	if (action == ACT_REDACT)
		return json_object_set_new(obj, path, json_string("REDACTED")) == 0 ? 0 : VG_ENOMEM;
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			json_t *n = pseudo_value(k, "pn:", e);
			if (n == NULL || json_array_set_new(v, i, n) != 0)
				return json_array_set_new(v, i, json_string("REDACTED")) == 0 ? 0 : VG_ENOMEM;
		}
		return 0;
	}
	json_t *n = pseudo_value(k, "pn:", v);
	if (n == NULL)
		return json_object_del(obj, path) == 0 ? 0 : VG_ENOMEM;
	return json_object_set_new(obj, path, n) == 0 ? 0 : VG_ENOMEM;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses a dotted quad at s[0..n); its length in *len, or 0. */
static size_t parse_quad(const char *s, size_t n, unsigned char q[4])
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
		unsigned v = 0, d = 0;
		while (i < n && is_digit(s[i]) && d < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
			d++;
		}
		if (d == 0 || d > 3 || v > 255)
			return 0;
		q[part] = (unsigned char)v;
	}
	if (i < n && (is_digit(s[i]) || (s[i] == '.' && i + 1 < n && is_digit(s[i + 1]))))
		return 0;
	return i;
}

static int rfc1918(const unsigned char q[4])
{
	return q[0] == 10 || (q[0] == 172 && (q[1] & 0xf0) == 16) || (q[0] == 192 && q[1] == 168);
}

static int ip_replacement(const vg_share_policy *p, const vg_share_keys *k, const char *ip, size_t n, vg_buf *out)
{
	if (p->ip_mode == IP_REDACT)
		return vg_buf_append(out, "REDACTED-IP", 11);
	char ps[VG_SHARE_PSEUDO_HEX + 1];
	int r;
	if ((r = vg_share_pseudonym(k, ip, n, ps)) != 0)
		return r;
	if ((r = vg_buf_append(out, "ip:", 3)) != 0)
		return r;
	return vg_buf_append(out, ps, VG_SHARE_PSEUDO_HEX);
}

/* The string with internal addresses replaced, or NULL (unchanged / error in *r). */
static json_t *scrub_string(const vg_share_policy *p, const vg_share_keys *k, const char *s, size_t n, int *r)
{
	vg_buf b = {0};
	size_t last = 0;
	int changed = 0;
	*r = 0;
	if (n >= 2 && n < 64 && memchr(s, ':', n) != NULL) { /* an IPv6 ULA as the whole value */
		char tmp[64];
		unsigned char a6[16];
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET6, tmp, a6) == 1 && (a6[0] & 0xfe) == 0xfc) {
			if ((*r = ip_replacement(p, k, s, n, &b)) != 0)
				goto out;
			last = n;
			changed = 1;
		}
	}
	for (size_t i = 0; !changed && i < n; i++) {
		if (!is_digit(s[i]) || (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '.')))
			continue;
		unsigned char q[4];
		size_t ql = parse_quad(s + i, n - i, q);
		if (ql == 0 || !rfc1918(q))
			continue;
		if ((*r = vg_buf_append(&b, s + last, i - last)) != 0 ||
		    (*r = ip_replacement(p, k, s + i, ql, &b)) != 0)
			goto out;
		last = i + ql;
		i += ql - 1;
	}
	if (last == 0)
		goto out;
	if ((*r = vg_buf_append(&b, s + last, n - last)) != 0)
		goto out;
	json_t *v = json_stringn(b.data, b.len);
	vg_buf_free(&b);
	if (v == NULL)
		*r = VG_ENOMEM;
	return v;
out:
	vg_buf_free(&b);
	return NULL;
}

static int scrub(const vg_share_policy *p, const vg_share_keys *k, json_t *v, int depth)
{
	if (depth > 128)
		return VG_ELIMIT;
	int r = 0;
	if (json_is_object(v)) {
		const char *key;
		json_t *e;
		json_object_foreach(v, key, e) {
			if (json_is_string(e)) {
				json_t *n = scrub_string(p, k, json_string_value(e), json_string_length(e), &r);
				if (n != NULL && json_object_set_new(v, key, n) != 0)
					r = VG_ENOMEM;
			} else {
				r = scrub(p, k, e, depth + 1);
			}
			if (r != 0)
				return r;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			if (json_is_string(e)) {
				json_t *n = scrub_string(p, k, json_string_value(e), json_string_length(e), &r);
				if (n != NULL && json_array_set_new(v, i, n) != 0)
					r = VG_ENOMEM;
			} else {
				r = scrub(p, k, e, depth + 1);
			}
			if (r != 0)
				return r;
		}
	}
	return r;
}

int vg_share_policy_apply(const vg_share_policy *p, const vg_share_keys *k, json_t *doc)
{
	int r;
	for (size_t i = 0; i < p->nfields; i++)
		if ((r = apply_field(doc, p->fields[i].path, p->fields[i].action, k)) != 0)
			return r;
	if (p->ip_mode != IP_KEEP)
		return scrub(p, k, doc, 0);
	return 0;
}
