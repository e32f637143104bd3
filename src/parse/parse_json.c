/* parse_json.c — the "json" parser: one JSON object per record, loaded with
 * jansson, recognised by shape (evtx dump, Winlogbeat, Suricata EVE, Zeek,
 * else generic ECS/JSON) and flattened into dotted field names. Also the
 * flattening, alias and timestamp helpers the shape files share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeparse.h"
#include "parse/parse.h"
#include "parse/parse_json_internal.h"

/* ---- names ------------------------------------------------------------ */

int vg_json_name_set(vg_jname *nb, const char *prefix)
{
	size_t n = strlen(prefix);
	if (n > VG_MAX_FIELD_NAME)
		return VG_ELIMIT;
	memcpy(nb->buf, prefix, n);
	nb->len = n;
	return 0;
}

int vg_json_name_push(vg_jname *nb, const char *key, size_t n)
{
	size_t dot = nb->len > 0;
	if (n > VG_MAX_FIELD_NAME || nb->len + dot + n > VG_MAX_FIELD_NAME)
		return VG_ELIMIT;
	if (dot)
		nb->buf[nb->len++] = '.';
	memcpy(nb->buf + nb->len, key, n);
	nb->len += n;
	return 0;
}

/* The name in nb copied to the arena; NULL (and one drop counted) when the
 * event or the arena is full, so a full event costs no more arena. */
static const char *name_copy(vg_event *ev, const vg_jname *nb)
{
	const char *s = ev->nfields < VG_MAX_FIELDS ? vg_arena_strndup(ev->arena, nb->buf, nb->len) : NULL;
	if (s == NULL)
		ev->dropped++;
	return s;
}

/* ---- values ----------------------------------------------------------- */

/* Shortest "%.Ng" text that reads back as d: JSON keeps "0.1" as 0.1, not
 * 0.10000000000000001. */
static size_t real_text(char *buf, size_t cap, double d)
{
	int n = 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, cap, "%.*g", prec, d);
		if (n > 0 && (size_t)n < cap && strtod(buf, NULL) == d)
			break;
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

void vg_json_add_scalar(vg_event *ev, const char *name, size_t nlen, const json_t *v)
{
	char tmp[40];
	int n;
	switch (json_typeof(v)) {
	case JSON_STRING:
		(void)vg_event_add_copy(ev, name, nlen, json_string_value(v), json_string_length(v), VG_V_STR);
		break;
	case JSON_INTEGER:
		n = snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		(void)vg_event_add_copy(ev, name, nlen, tmp, (size_t)n, VG_V_NUM);
		break;
	case JSON_REAL:
		(void)vg_event_add_copy(ev, name, nlen, tmp, real_text(tmp, sizeof(tmp), json_real_value(v)), VG_V_NUM);
		break;
	case JSON_TRUE:
		(void)vg_event_add(ev, name, nlen, "true", 4, VG_V_BOOL);
		break;
	case JSON_FALSE:
		(void)vg_event_add(ev, name, nlen, "false", 5, VG_V_BOOL);
		break;
	case JSON_NULL:
		(void)vg_event_add(ev, name, nlen, "null", 4, VG_V_NULL);
		break;
	default:
		break;
	}
}

int vg_json_flatten(vg_event *ev, vg_jname *nb, const json_t *v, int depth)
{
	/* depth counts containers: a scalar inside the deepest one is fine. */
	if ((json_is_object(v) || json_is_array(v)) && depth > VG_MAX_JSON_DEPTH)
		return VG_EPARSE;
	if (json_is_object(v)) {
		const char *k;
		size_t kl, base = nb->len;
		json_t *c;
		json_object_keylen_foreach((json_t *)v, k, kl, c) {
			if (vg_json_name_push(nb, k, kl) != 0) {
				ev->dropped++; /* the whole member: its name cannot be formed */
				continue;
			}
			int r = vg_json_flatten(ev, nb, c, depth + 1);
			nb->len = base;
			if (r != 0)
				return r;
		}
		return 0;
	}
	if (json_is_array(v)) {
		const char *name = NULL; /* one arena copy serves every scalar element */
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			if (json_is_object(e) || json_is_array(e)) {
				int r = vg_json_flatten(ev, nb, e, depth + 1);
				if (r != 0)
					return r;
			} else if (name != NULL || (name = name_copy(ev, nb)) != NULL) {
				vg_json_add_scalar(ev, name, nb->len, e);
			}
		}
		return 0;
	}
	const char *name = name_copy(ev, nb);
	if (name != NULL)
		vg_json_add_scalar(ev, name, nb->len, v);
	return 0;
}

int vg_json_flatten_root(vg_event *ev, const json_t *root)
{
	vg_jname nb = {0};
	return vg_json_flatten(ev, &nb, root, 1);
}

/* ---- event helpers ---------------------------------------------------- */

int vg_json_alias(vg_event *ev, const char *dst, const char *src, int lower)
{
	size_t n = strlen(src), pos = 0;
	uint32_t h = vg_field_hash(src, n);
	uint32_t end = ev->nfields; /* not the aliases added below */
	int count = 0;
	const vg_field *f;
	while (pos < end && (f = vg_event_next(ev, src, n, h, &pos)) != NULL && pos <= end) {
		const char *val = f->val;
		if (lower) {
			char *c = vg_arena_strndup(ev->arena, f->val, f->val_len);
			if (c == NULL) {
				ev->dropped++;
				continue;
			}
			for (size_t i = 0; i < f->val_len; i++)
				if (c[i] >= 'A' && c[i] <= 'Z')
					c[i] = (char)(c[i] - 'A' + 'a');
			val = c;
		}
		if (vg_event_add(ev, dst, strlen(dst), val, f->val_len, (enum vg_vtype)f->type) == 0)
			count++;
	}
	return count;
}

/* Epoch seconds (10-12 integer digits, optional fraction) or milliseconds
 * (13 digits): the magnitudes found in logs. */
static int epoch_text(const char *p, size_t n, int64_t *us)
{
	size_t d = 0;
	while (d < n && p[d] >= '0' && p[d] <= '9')
		d++;
	if (d == 13) {
		int64_t ms = 0;
		for (size_t i = 0; i < d; i++)
			ms = ms * 10 + (p[i] - '0');
		*us = ms * 1000;
		return 1;
	}
	return d >= 9 && d <= 12 && vg_time_epoch(p, n, us) > 0;
}

int vg_json_ts(vg_event *ev, const char *name)
{
	if (ev->ts_us != VG_TS_NONE)
		return 0;
	const vg_field *f = vg_event_get(ev, name);
	if (f == NULL)
		return 0;
	int64_t us;
	if ((f->type == VG_V_STR && vg_time_rfc3339(f->val, f->val_len, &us) > 0) ||
	    ((f->type == VG_V_STR || f->type == VG_V_NUM) && epoch_text(f->val, f->val_len, &us))) {
		ev->ts_us = us;
		return 1;
	}
	return 0;
}

/* ---- generic ECS / JSON ----------------------------------------------- */

struct layer_row {
	const char *category; /* ECS event.category value */
	uint8_t layer;
};

static const struct layer_row layers[] = {
	{"network", VG_LAYER_NETWORK},     {"intrusion_detection", VG_LAYER_NETWORK},
	{"process", VG_LAYER_ENDPOINT},    {"file", VG_LAYER_ENDPOINT},
	{"registry", VG_LAYER_ENDPOINT},   {"driver", VG_LAYER_ENDPOINT},
	{"library", VG_LAYER_ENDPOINT},    {"malware", VG_LAYER_ENDPOINT},
	{"authentication", VG_LAYER_HOST}, {"host", VG_LAYER_HOST},
	{"iam", VG_LAYER_HOST},            {"database", VG_LAYER_HOST},
	{"web", VG_LAYER_APPLICATION},
};

static int generic_match(const json_t *root)
{
	(void)root;
	return 1;
}

static int generic_parse(vg_event *ev, const json_t *root)
{
	int r = vg_json_flatten_root(ev, root);
	if (r != 0)
		return r;
	if (!vg_json_ts(ev, "@timestamp") && !vg_json_ts(ev, "timestamp"))
		(void)vg_json_ts(ev, "time");
	/* event.category may be multi-valued: the first known value decides. */
	size_t pos = 0;
	const vg_field *f;
	while (ev->layer == VG_LAYER_UNKNOWN &&
	       (f = vg_event_next(ev, "event.category", 14, vg_field_hash("event.category", 14), &pos)) != NULL)
		for (size_t i = 0; i < sizeof(layers) / sizeof(layers[0]); i++)
			if (strlen(layers[i].category) == f->val_len &&
			    memcmp(layers[i].category, f->val, f->val_len) == 0) {
				ev->layer = layers[i].layer;
				break;
			}
	return 0;
}

/* ---- the parser ------------------------------------------------------- */

struct shape {
	const char *name;
	int (*match)(const json_t *root);
	int (*parse)(vg_event *ev, const json_t *root);
};

/* Tried in order; the first match parses. */
static const struct shape shapes[] = {
	{"evtx", vg_json_evtx_match, vg_json_evtx_parse},
	{"winlogbeat", vg_json_winlogbeat_match, vg_json_winlogbeat_parse},
	{"eve", vg_json_eve_match, vg_json_eve_parse},
	{"zeek", vg_json_zeek_match, vg_json_zeek_parse},
	{"generic", generic_match, generic_parse},
};

/* Nesting depth of p[0..n) (strings honoured) is within VG_MAX_JSON_DEPTH.
 * Checked before jansson allocates a tree, so a hostile "[[[[..." costs one
 * pass and no memory. */
static int depth_ok(const char *p, size_t n)
{
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > VG_MAX_JSON_DEPTH)
				return 0;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 1;
}

/* Offset of the first byte after blanks and a UTF-8 byte-order mark (files
 * written by Windows tools often start with one). */
static size_t skip_lead(const char *p, size_t n)
{
	size_t i = 0;
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

static int json_probe(const char *line, size_t n)
{
	size_t i = skip_lead(line, n);
	/* Also a pretty-printed document's first line, "{" alone. */
	return i < n && line[i] == '{' ? 90 : 0;
}

static int json_parse(vg_event *ev)
{
	const char *p = ev->raw;
	size_t n = ev->raw_len, i = skip_lead(p, n);
	if (i == n || p[i] != '{' || n > VG_MAX_RECORD || !depth_ok(p + i, n - i))
		return VG_EPARSE;

	json_error_t err;
	json_t *root = json_loadb(p + i, n - i, JSON_ALLOW_NUL, &err);
	/* An integer past 64 bits is still valid JSON: keep it as a real. */
	if (root == NULL && json_error_code(&err) == json_error_numeric_overflow)
		root = json_loadb(p + i, n - i, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
	if (root == NULL)
		return VG_EPARSE;
	int r = VG_EPARSE;
	if (json_is_object(root)) {
		for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++)
			if (shapes[k].match(root)) {
				r = shapes[k].parse(ev, root);
				break;
			}
	}
	json_decref(root);
	return r;
}

const vg_parser vg_parser_json = {
	.name = "json",
	.description = "JSON documents: Windows evtx dumps, Winlogbeat, Suricata EVE, Zeek, ECS",
	.framing = VG_FRAME_JSON,
	.probe = json_probe,
	.parse = json_parse,
};
