/* parse_json_windows.c — Windows events as JSON: evtx dumps ({"Event":
 * {"System", "EventData" | "UserData"}}, XML turned into "#attributes" and
 * "#text") and Winlogbeat documents (a "winlog" object). Both become
 * Winlogbeat's field names, so Sigma's Windows fields map one way. */
#include <stdio.h>
#include <string.h>

#include "core/logsource.h"
#include "core/timeparse.h"
#include "parse/parse_json_internal.h"
#include "parse/winlog_map.h"

/* ---- shared tail: logsource ids ---------------------------------------- */

/* Event id from its text: 1..10 digits, else -1. */
static long event_id_of(const vg_field *f)
{
	if (f == NULL || f->val_len == 0 || f->val_len > 10)
		return -1;
	long v = 0;
	for (size_t i = 0; i < f->val_len; i++) {
		if (f->val[i] < '0' || f->val[i] > '9')
			return -1;
		v = v * 10 + (f->val[i] - '0');
	}
	return v;
}

/* Defender and a few other providers name data items with spaces ("Threat
 * Name"); SigmaHQ's rules write them without (ThreatName), as its evtx
 * checker does. Renames winlog.event_data.* fields in place. */
static void squeeze_data_names(vg_event *ev)
{
	static const char pre[] = "winlog.event_data.";
	const size_t plen = sizeof(pre) - 1;
	for (uint32_t i = 0; i < ev->nfields; i++) {
		vg_field *f = &ev->fields[i];
		if (f->name_len <= plen || memcmp(f->name, pre, plen) != 0 ||
		    memchr(f->name + plen, ' ', f->name_len - plen) == NULL)
			continue;
		char *n = vg_arena_alloc(ev->arena, f->name_len);
		if (n == NULL)
			continue; /* keeps the spaced name */
		size_t k = 0;
		for (size_t j = 0; j < f->name_len; j++)
			if (f->name[j] != ' ')
				n[k++] = f->name[j];
		f->name = n;
		f->name_len = (uint16_t)k;
		f->hash = vg_field_hash(n, k);
	}
}

static void windows_finish(vg_event *ev)
{
	squeeze_data_names(ev);
	const vg_field *ch = vg_event_get(ev, "winlog.channel");
	const vg_field *pv = vg_event_get(ev, "winlog.provider_name");
	const vg_field *et = vg_event_get(ev, "winlog.event_data.EventType");
	const char *prov = pv != NULL ? pv->val : NULL;
	size_t plen = pv != NULL ? pv->val_len : 0;
	ev->product = VG_PRODUCT_WINDOWS;
	ev->layer = VG_LAYER_ENDPOINT;
	ev->service = vg_winlog_service(ch != NULL ? ch->val : NULL, ch != NULL ? ch->val_len : 0, prov, plen);
	ev->category = vg_winlog_category(ev->service, prov, plen, event_id_of(vg_event_get(ev, "winlog.event_id")),
					  et != NULL ? et->val : NULL, et != NULL ? et->val_len : 0);
}

/* ---- evtx dump --------------------------------------------------------- */

/* XML text of an element: {"#text": v, "#attributes": ...} is v. */
static const json_t *text_of(const json_t *v)
{
	if (json_is_object(v)) {
		const json_t *t = json_object_get(v, "#text");
		if (t != NULL)
			return t;
	}
	return v;
}

/* Attribute attr of System's child elem: "elem": {"#attributes": {attr}},
 * or evtx_dump's --separate-json-attributes form "elem_attributes": {attr}. */
static const json_t *attr_of(const json_t *sys, const char *elem, const char *attr)
{
	const json_t *a = json_object_get(json_object_get(sys, elem), "#attributes");
	if (a == NULL) {
		char key[64];
		if ((size_t)snprintf(key, sizeof(key), "%s_attributes", elem) < sizeof(key))
			a = json_object_get(sys, key);
	}
	return json_object_get(a, attr);
}

struct sys_row {
	const char *elem, *attr; /* attr NULL: the element's text */
	const char *name;
};

/* Winlogbeat's names for the System element; order is emission order. */
static const struct sys_row sys_rows[] = {
	{"EventID", NULL, "winlog.event_id"},
	{"EventID", NULL, "event.code"},
	{"Channel", NULL, "winlog.channel"},
	{"Provider", "Name", "winlog.provider_name"},
	{"Provider", "Guid", "winlog.provider_guid"},
	{"Computer", NULL, "winlog.computer_name"},
	{"Computer", NULL, "host.name"},
	{"EventRecordID", NULL, "winlog.record_id"},
	{"Level", NULL, "winlog.level"},
	{"Task", NULL, "winlog.task"},
	{"Opcode", NULL, "winlog.opcode"},
	{"Keywords", NULL, "winlog.keywords"},
	{"Version", NULL, "winlog.version"},
	{"Execution", "ProcessID", "winlog.process.pid"},
	{"Execution", "ThreadID", "winlog.process.thread.id"},
	{"Security", "UserID", "winlog.user.identifier"},
	{"Correlation", "ActivityID", "winlog.activity_id"},
	{"Correlation", "RelatedActivityID", "winlog.related_activity_id"},
};

/* Names of XML attributes that are not data ("xmlns", "xmlns:auto-ns2"). */
static int is_xmlns(const char *k, size_t n)
{
	return n >= 5 && memcmp(k, "xmlns", 5) == 0;
}

/* winlog.event_data.<key> = v's scalars (arrays: each element). */
static void add_data(vg_event *ev, const char *key, size_t klen, const json_t *v, int depth)
{
	vg_jname nb;
	if ((json_is_array(v) && depth > VG_MAX_JSON_DEPTH) || vg_json_name_set(&nb, "winlog.event_data") != 0 ||
	    vg_json_name_push(&nb, key, klen) != 0) {
		ev->dropped++;
		return;
	}
	/* Scalars only: a structured value under a data name would be a
	 * document no dumper writes; its leaves are still reached by leaves(). */
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			if (!json_is_object(e) && !json_is_array(e))
				(void)vg_json_flatten(ev, &nb, e, depth + 1);
		}
	} else if (!json_is_object(v)) {
		(void)vg_json_flatten(ev, &nb, v, depth);
	}
}

/* UserData (and EventData members other than Data): every leaf becomes
 * winlog.event_data.<leaf name>, since Sigma rules name them bare. "#text"
 * takes its element's name; attributes are leaves too, bar xmlns. */
static int leaves(vg_event *ev, const json_t *obj, const char *elem, size_t elen, int depth)
{
	if (depth > VG_MAX_JSON_DEPTH)
		return VG_EPARSE;
	const char *k;
	size_t kl;
	json_t *v;
	json_object_keylen_foreach((json_t *)obj, k, kl, v) {
		int r = 0;
		if (kl == 11 && memcmp(k, "#attributes", 11) == 0) {
			if (!json_is_object(v))
				continue;
			const char *ak;
			size_t al;
			json_t *av;
			json_object_keylen_foreach(v, ak, al, av) {
				if (!is_xmlns(ak, al))
					add_data(ev, ak, al, av, depth + 2);
			}
		} else if (kl == 5 && memcmp(k, "#text", 5) == 0) {
			if (elem != NULL)
				add_data(ev, elem, elen, v, depth + 1);
		} else if (json_is_object(v)) {
			r = leaves(ev, v, k, kl, depth + 1);
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				if (json_is_object(e) && (r = leaves(ev, e, k, kl, depth + 2)) != 0)
					break;
			}
			add_data(ev, k, kl, v, depth + 1); /* its scalar elements */
		} else {
			add_data(ev, k, kl, v, depth + 1);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

/* One <Data> element: named ({"#attributes": {"Name": n}, "#text": v}) gives
 * winlog.event_data.<n> (empty text when it has none); unnamed gives
 * winlog.event_data.Data. */
static void data_item(vg_event *ev, const json_t *d, int depth)
{
	if ((json_is_object(d) || json_is_array(d)) && depth > VG_MAX_JSON_DEPTH)
		return;
	if (json_is_object(d)) {
		const json_t *name = json_object_get(json_object_get(d, "#attributes"), "Name");
		const json_t *text = json_object_get(d, "#text");
		if (json_is_string(name)) {
			json_t *empty = NULL;
			if (text == NULL)
				text = empty = json_string("");
			if (text != NULL)
				add_data(ev, json_string_value(name), json_string_length(name), text, depth + 1);
			json_decref(empty);
		} else if (text != NULL) {
			add_data(ev, "Data", 4, text, depth + 1);
		}
	} else if (json_is_array(d)) {
		size_t i;
		json_t *e;
		json_array_foreach(d, i, e) {
			data_item(ev, e, depth + 1);
		}
	} else {
		add_data(ev, "Data", 4, d, depth);
	}
}

static int event_data(vg_event *ev, const json_t *ed, int depth)
{
	if (!json_is_object(ed)) {
		if (json_is_string(ed) || json_is_array(ed))
			data_item(ev, ed, depth);
		return 0;
	}
	const char *k;
	size_t kl;
	json_t *v;
	json_object_keylen_foreach((json_t *)ed, k, kl, v) {
		if (kl == 4 && memcmp(k, "Data", 4) == 0) {
			data_item(ev, v, depth + 1);
		} else if (kl == 11 && memcmp(k, "#attributes", 11) == 0) {
			continue; /* EventData's own attributes (Name of a template) */
		} else if (json_is_object(v)) {
			int r = leaves(ev, v, k, kl, depth + 1);
			if (r != 0)
				return r;
		} else {
			add_data(ev, k, kl, v, depth + 1);
		}
	}
	return 0;
}

int vg_json_evtx_match(const json_t *root)
{
	return json_is_object(json_object_get(json_object_get(root, "Event"), "System"));
}

int vg_json_evtx_parse(vg_event *ev, const json_t *root)
{
	const json_t *evt = json_object_get(root, "Event");
	const json_t *sys = json_object_get(evt, "System");
	for (size_t i = 0; i < sizeof(sys_rows) / sizeof(sys_rows[0]); i++) {
		const struct sys_row *r = &sys_rows[i];
		const json_t *v = r->attr != NULL ? attr_of(sys, r->elem, r->attr) : text_of(json_object_get(sys, r->elem));
		if (v != NULL && !json_is_null(v))
			vg_json_add_scalar(ev, r->name, strlen(r->name), v);
	}
	const json_t *t = attr_of(sys, "TimeCreated", "SystemTime");
	int64_t us;
	if (json_is_string(t) && vg_time_rfc3339(json_string_value(t), json_string_length(t), &us) > 0)
		ev->ts_us = us;

	int r = 0;
	const json_t *ed = json_object_get(evt, "EventData");
	const json_t *ud = json_object_get(evt, "UserData");
	if (ed != NULL)
		r = event_data(ev, ed, 3);
	if (r == 0 && json_is_object(ud))
		r = leaves(ev, ud, NULL, 0, 3);
	if (r != 0)
		return r;
	windows_finish(ev);
	return 0;
}

/* ---- Winlogbeat -------------------------------------------------------- */

int vg_json_winlogbeat_match(const json_t *root)
{
	return json_is_object(json_object_get(root, "winlog"));
}

int vg_json_winlogbeat_parse(vg_event *ev, const json_t *root)
{
	int r = vg_json_flatten_root(ev, root);
	if (r != 0)
		return r;
	/* Older shippers leave out the ECS copies rules may read. */
	if (vg_event_get(ev, "event.code") == NULL)
		(void)vg_json_alias(ev, "event.code", "winlog.event_id", 0);
	if (vg_event_get(ev, "host.name") == NULL)
		(void)vg_json_alias(ev, "host.name", "winlog.computer_name", 0);
	(void)vg_json_ts(ev, "@timestamp");
	windows_finish(ev);
	return 0;
}
