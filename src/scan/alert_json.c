/* alert_json.c — alert documents (see alert_json.h), built with jansson so
 * escaping and nesting are never done by hand. */
#include "scan/alert_json.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/limits.h"
#include "core/timeparse.h"

void vg_format_ts(int64_t us, char *buf, size_t n)
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* civil_from_days */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, n, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%06" PRId64 "Z", y, m, d, (int)(rem / 3600),
		 (int)(rem / 60 % 60), (int)(rem % 60), frac);
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t k = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
	if (k == 0 || k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if (k == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
		return 0;
	if (k == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
		return 0;
	return k;
}

/* A JSON string of p[0..n), invalid UTF-8 bytes replaced by U+FFFD. */
static json_t *jstr(const char *p, size_t n)
{
	json_t *s = json_stringn(p, n);
	if (s != NULL)
		return s;
	size_t cap = n * 3 + 1;
	char *tmp = malloc(cap), *o = tmp;
	if (tmp == NULL)
		return NULL;
	const unsigned char *u = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		size_t k = u[i] == 0 ? 0 : utf8_len(u + i, n - i);
		if (k == 0) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		} else {
			memcpy(o, u + i, k);
			o += k;
			i += k;
		}
	}
	s = json_stringn(tmp, (size_t)(o - tmp));
	free(tmp);
	return s;
}

/* Set root[dotted.name] = v (steals v). An existing leaf at the name becomes
 * an array of values; a leaf in the way of a deeper name keeps the dotted
 * remainder as one key. */
static void put(json_t *root, const char *name, size_t len, json_t *v)
{
	if (v == NULL)
		return;
	json_t *obj = root;
	char key[VG_MAX_FIELD_NAME + 1];
	size_t start = 0;
	for (;;) {
		const char *dot = memchr(name + start, '.', len - start);
		size_t end = dot != NULL ? (size_t)(dot - name) : len;
		size_t kl = end - start;
		if (kl > VG_MAX_FIELD_NAME)
			kl = VG_MAX_FIELD_NAME;
		memcpy(key, name + start, kl);
		key[kl] = '\0';
		json_t *cur = json_object_get(obj, key);
		if (dot == NULL || (cur != NULL && !json_is_object(cur)) || kl == 0) {
			if (dot != NULL && cur != NULL) {
				/* leaf in the way: keep the rest of the name as one key */
				size_t rl = len - start;
				if (rl > VG_MAX_FIELD_NAME)
					rl = VG_MAX_FIELD_NAME;
				memcpy(key, name + start, rl);
				key[rl] = '\0';
				cur = json_object_get(obj, key);
			}
			if (cur == NULL) {
				json_object_set_new(obj, key, v);
			} else if (json_is_array(cur)) {
				json_array_append_new(cur, v);
			} else if (json_is_object(cur)) {
				json_decref(v); /* an object already holds deeper names; the leaf loses */
			} else {
				json_t *arr = json_array();
				json_array_append(arr, cur);
				json_array_append_new(arr, v);
				json_object_set_new(obj, key, arr);
			}
			return;
		}
		if (cur == NULL) {
			cur = json_object();
			json_object_set_new(obj, key, cur);
		}
		obj = cur;
		start = end + 1;
	}
}

static void put_s(json_t *root, const char *name, const char *v)
{
	put(root, name, strlen(name), jstr(v, strlen(v)));
}

static json_t *rule_obj(const vg_rule_info *r)
{
	json_t *o = json_object(), *tags = json_array();
	json_object_set_new(o, "id", jstr(r->id, strlen(r->id)));
	json_object_set_new(o, "title", jstr(r->title, strlen(r->title)));
	json_object_set_new(o, "level", jstr(r->level, strlen(r->level)));
	for (size_t i = 0; i < r->ntags; i++)
		json_array_append_new(tags, jstr(r->tags[i], strlen(r->tags[i])));
	json_object_set_new(o, "tags", tags);
	if (r->name[0] != '\0')
		json_object_set_new(o, "name", jstr(r->name, strlen(r->name)));
	json_object_set_new(o, "path", jstr(r->path, strlen(r->path)));
	return o;
}

static int dump(vg_buf *out, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (s == NULL)
		return VG_ENOMEM;
	int r = vg_buf_append(out, s, strlen(s));
	if (r == 0)
		r = vg_buf_append(out, "\n", 1);
	free(s);
	return r;
}

/* Event alerts are written directly with the streaming writer (the hot path:
 * one per matching event). Fields are sorted by name with '.' below every
 * other byte, so the fields of one object are adjacent and can be nested in
 * one pass; repeated names become arrays. */

struct ent {
	const char *name, *val;
	uint32_t name_len, val_len, idx;
	uint8_t type;
};

static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	for (size_t i = 0; i < n; i++) {
		unsigned ca = (unsigned char)a[i], cb = (unsigned char)b[i];
		if (ca == cb)
			continue;
		ca = ca == '.' ? 0 : ca + 1;
		cb = cb == '.' ? 0 : cb + 1;
		return ca < cb ? -1 : 1;
	}
	return an < bn ? -1 : an > bn;
}

static int ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	int c = name_cmp(a->name, a->name_len, b->name, b->name_len);
	return c != 0 ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* Names the alert sets itself; an event field of the same name is not copied. */
static int reserved(const char *n, size_t len)
{
	static const char *const names[] = {"@timestamp", "event.kind", "event.original", "log.file.path",
					    "log.file.line", "vigil.format", "vigil.layer"};
	if ((len == 4 || (len > 4 && n[4] == '.')) && memcmp(n, "rule", 4) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], n, len) == 0)
			return 1;
	return 0;
}

static void write_value(vg_jsonw *w, const struct ent *e)
{
	switch (e->type) {
	case VG_V_NULL: vg_jsonw_null(w); break;
	case VG_V_BOOL: vg_jsonw_bool(w, e->val_len == 4 && memcmp(e->val, "true", 4) == 0); break;
	case VG_V_NUM: vg_jsonw_num_text(w, e->val, e->val_len); break;
	default: vg_jsonw_str(w, e->val, e->val_len); break;
	}
}

#define MAX_SEGS 32

/* Split name at dots: offsets of segment starts and lengths. */
static size_t segments(const struct ent *e, uint32_t *off, uint32_t *len)
{
	size_t n = 0;
	uint32_t start = 0;
	for (uint32_t i = 0; i <= e->name_len; i++) {
		if (i == e->name_len || (e->name[i] == '.' && n < MAX_SEGS - 1)) {
			off[n] = start;
			len[n++] = i - start;
			start = i + 1;
		}
	}
	return n;
}

static void write_fields(vg_jsonw *w, struct ent *ents, size_t n)
{
	/* the open objects below the root: their keys */
	const char *open_key[MAX_SEGS];
	uint32_t open_len[MAX_SEGS];
	size_t depth = 0;
	/* last key written at each depth, to catch a leaf in the way of an object */
	const char *last_key[MAX_SEGS + 1] = {0};
	uint32_t last_len[MAX_SEGS + 1] = {0};
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && ents[j].name_len == ents[i].name_len && memcmp(ents[j].name, ents[i].name, ents[i].name_len) == 0)
			j++;
		uint32_t off[MAX_SEGS], len[MAX_SEGS];
		size_t ns = segments(&ents[i], off, len), k = 0;
		const char *nm = ents[i].name;
		while (k < depth && k + 1 < ns && open_len[k] == len[k] && memcmp(open_key[k], nm + off[k], len[k]) == 0)
			k++;
		while (depth > k) {
			vg_jsonw_obj_end(w);
			depth--;
		}
		size_t s = k;
		for (; s + 1 < ns; s++) {
			if (last_key[depth] != NULL && last_len[depth] == len[s] && memcmp(last_key[depth], nm + off[s], len[s]) == 0)
				break; /* a leaf of this name was written: keep the rest dotted */
			vg_jsonw_key(w, nm + off[s], len[s]);
			last_key[depth] = nm + off[s];
			last_len[depth] = len[s];
			vg_jsonw_obj_begin(w);
			open_key[depth] = nm + off[s];
			open_len[depth] = len[s];
			depth++;
			last_key[depth] = NULL;
		}
		/* the leaf: the remaining segments as one key */
		vg_jsonw_key(w, nm + off[s], ents[i].name_len - off[s]);
		last_key[depth] = nm + off[s];
		last_len[depth] = ents[i].name_len - off[s];
		if (j - i > 1)
			vg_jsonw_arr_begin(w);
		for (size_t v = i; v < j; v++)
			write_value(w, &ents[v]);
		if (j - i > 1)
			vg_jsonw_arr_end(w);
		i = j;
	}
	while (depth > 0) {
		vg_jsonw_obj_end(w);
		depth--;
	}
}

static void write_rule(vg_jsonw *w, const vg_rule_info *r)
{
	vg_jsonw_key(w, "rule", 4);
	vg_jsonw_obj_begin(w);
	vg_jsonw_key(w, "id", 2);
	vg_jsonw_str(w, r->id, strlen(r->id));
	vg_jsonw_key(w, "title", 5);
	vg_jsonw_str(w, r->title, strlen(r->title));
	vg_jsonw_key(w, "level", 5);
	vg_jsonw_str(w, r->level, strlen(r->level));
	vg_jsonw_key(w, "tags", 4);
	vg_jsonw_arr_begin(w);
	for (size_t i = 0; i < r->ntags; i++)
		vg_jsonw_str(w, r->tags[i], strlen(r->tags[i]));
	vg_jsonw_arr_end(w);
	if (r->name[0] != '\0') {
		vg_jsonw_key(w, "name", 4);
		vg_jsonw_str(w, r->name, strlen(r->name));
	}
	vg_jsonw_key(w, "path", 4);
	vg_jsonw_str(w, r->path, strlen(r->path));
	vg_jsonw_obj_end(w);
}

int vg_alert_json_event(vg_buf *out, const vg_event *ev, const vg_rule_info *rule)
{
	struct ent ents[VG_MAX_FIELDS + 8];
	size_t n = 0;
	char ts[40], line[24];
	const char *layer = vg_layer_name(ev->layer);
#define SYN(nm, v, vl, t) ents[n] = (struct ent){nm, v, (uint32_t)strlen(nm), (uint32_t)(vl), (uint32_t)n, t}, n++
	if (ev->ts_us != VG_TS_NONE) {
		vg_format_ts(ev->ts_us, ts, sizeof(ts));
		SYN("@timestamp", ts, strlen(ts), VG_V_STR);
	}
	SYN("event.kind", "alert", 5, VG_V_STR);
	SYN("event.original", ev->raw, ev->raw_len, VG_V_STR);
	SYN("log.file.path", ev->path, strlen(ev->path), VG_V_STR);
	snprintf(line, sizeof(line), "%llu", (unsigned long long)ev->line);
	SYN("log.file.line", line, strlen(line), VG_V_NUM);
	SYN("vigil.format", ev->format, strlen(ev->format), VG_V_STR);
	SYN("vigil.layer", layer, strlen(layer), VG_V_STR);
#undef SYN
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const vg_field *f = &ev->fields[i];
		if (f->name_len == 0 || reserved(f->name, f->name_len))
			continue;
		ents[n] = (struct ent){f->name, f->val, f->name_len, f->val_len, (uint32_t)n, f->type};
		n++;
	}
	qsort(ents, n, sizeof(ents[0]), ent_cmp);
	size_t start = out->len;
	vg_jsonw w;
	vg_jsonw_init(&w, out);
	vg_jsonw_obj_begin(&w);
	write_fields(&w, ents, n);
	write_rule(&w, rule);
	vg_jsonw_obj_end(&w);
	int r = vg_jsonw_finish(&w);
	if (r == 0)
		r = vg_buf_append(out, "\n", 1);
	if (r != 0)
		out->len = start; /* nothing half-written */
	return r;
}

static const char *corr_type_name(enum vg_corr_type t)
{
	switch (t) {
	case VG_CORR_EVENT_COUNT: return "event_count";
	case VG_CORR_VALUE_COUNT: return "value_count";
	case VG_CORR_TEMPORAL: return "temporal";
	default: return "temporal_ordered";
	}
}

int vg_alert_json_corr(vg_buf *out, const vg_engine *e, const vg_corr_alert *a)
{
	json_t *doc = json_object(), *corr = json_object(), *gb = json_object(), *evs = json_array();
	if (doc == NULL || corr == NULL || gb == NULL || evs == NULL) {
		json_decref(doc);
		json_decref(corr);
		json_decref(gb);
		json_decref(evs);
		return VG_ENOMEM;
	}
	char ts[40];
	if (a->last_us != VG_TS_NONE) {
		vg_format_ts(a->last_us, ts, sizeof(ts));
		put_s(doc, "@timestamp", ts);
		put_s(doc, "event.end", ts);
	}
	if (a->first_us != VG_TS_NONE) {
		vg_format_ts(a->first_us, ts, sizeof(ts));
		put_s(doc, "event.start", ts);
	}
	for (size_t i = 0; i < a->ngroup; i++) {
		put_s(doc, a->group_names[i], a->group_values[i]);
		json_object_set_new(gb, a->group_names[i], jstr(a->group_values[i], strlen(a->group_values[i])));
	}
	put_s(doc, "event.kind", "alert");
	if (a->nlocs > 0) {
		put_s(doc, "log.file.path", a->locs[a->nlocs - 1].path);
		put(doc, "log.file.line", 13, json_integer((json_int_t)a->locs[a->nlocs - 1].line));
	}
	const vg_corr_def *def = vg_engine_corr_def(e, a->rule_idx);
	json_object_set_new(corr, "type", json_string(def != NULL ? corr_type_name(def->type) : "event_count"));
	json_object_set_new(corr, "count", json_integer((json_int_t)a->count));
	json_object_set_new(corr, "group_by", gb);
	for (size_t i = 0; i < a->nlocs; i++) {
		json_t *loc = json_object();
		json_object_set_new(loc, "path", jstr(a->locs[i].path, strlen(a->locs[i].path)));
		json_object_set_new(loc, "line", json_integer((json_int_t)a->locs[i].line));
		json_array_append_new(evs, loc);
	}
	json_object_set_new(corr, "events", evs);
	json_object_set_new(doc, "correlation", corr);
	json_object_set_new(doc, "rule", rule_obj(a->rule));
	return dump(out, doc);
}
