/* test_alert_json.c — alert documents: dotted names nested, repeated names as
 * arrays, a leaf in the way of deeper names, numbers, invalid UTF-8 and
 * control characters, reserved names, and the rule object; every document is
 * checked by parsing it back with jansson. An event's further alert, its
 * event part copied (vg_alert_json_event given the first's part), is byte
 * for byte the document written afresh. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/jsonw.h"
#include "scan/alert_json.h"

static const char *const tags[] = {"attack.t1110", "attack.credential-access"};
static const vg_rule_info rule = {
	.id = "r-1", .name = "", .title = "T \"q\"", .level = "high", .status = "", .description = "",
	.tags = tags, .ntags = 2, .path = "rules/x.yml", .product = "", .service = "", .category = "", .alert = 1,
};

static json_t *render(vg_event *ev)
{
	vg_buf out = {0};
	assert_int_equal(vg_alert_json_event(&out, ev, &rule, NULL), 0);
	assert_true(out.len > 0 && out.data[out.len - 1] == '\n');
	assert_null(memchr(out.data, '\n', out.len - 1)); /* one line */
	json_error_t err;
	json_t *doc = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL)
		fail_msg("invalid JSON: %s in %.*s", err.text, (int)out.len, out.data);
	vg_buf_free(&out);
	return doc;
}

static const char *str_at(json_t *doc, const char *path)
{
	json_t *v = doc;
	char key[128];
	while (v != NULL && *path) {
		const char *dot = strchr(path, '/');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (dot != NULL);
	}
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_nesting(void **state)
{
	(void)state;
	vg_event *ev = vg_event_new();
	const char raw[] = "raw line";
	vg_event_reset(ev, raw, sizeof(raw) - 1, "/var/log/x.log", 42);
	ev->ts_us = 1763719200123456LL;
	ev->format = "syslog";
	ev->layer = VG_LAYER_HOST;
	vg_event_add_str(ev, "source.ip", "1.2.3.4", 7);
	vg_event_add(ev, "source.port", 11, "22", 2, VG_V_NUM);
	vg_event_add_str(ev, "user.name", "root", 4);
	vg_event_add_str(ev, "auditd.type", "SYSCALL", 7);
	vg_event_add_str(ev, "auditd.type", "EXECVE", 6);
	vg_event_add_str(ev, "url", "/a", 2);         /* leaf ... */
	vg_event_add_str(ev, "url.path", "/b", 2);    /* ... in the way of url.path */
	vg_event_add(ev, "n.bad", 5, "007", 3, VG_V_NUM); /* not a JSON number */
	vg_event_add(ev, "n.ok", 4, "-1.5e3", 6, VG_V_NUM);
	vg_event_add(ev, "b", 1, "true", 4, VG_V_BOOL);
	vg_event_add(ev, "z", 1, "null", 4, VG_V_NULL);
	vg_event_add_str(ev, "bin", "a\xff\x01\"\\b", 6);
	vg_event_add_str(ev, "event.kind", "event", 5);   /* reserved: the alert's wins */
	vg_event_add_str(ev, "rule.name", "suricata", 8); /* reserved: the rule object wins */
	json_t *doc = render(ev);
	assert_string_equal(str_at(doc, "@timestamp"), "2025-11-21T10:00:00.123456Z");
	assert_string_equal(str_at(doc, "source/ip"), "1.2.3.4");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "source"), "port")), 22);
	json_t *types = json_object_get(json_object_get(doc, "auditd"), "type");
	assert_true(json_is_array(types) && json_array_size(types) == 2);
	assert_string_equal(json_string_value(json_array_get(types, 1)), "EXECVE");
	assert_string_equal(str_at(doc, "url"), "/a");
	assert_string_equal(json_string_value(json_object_get(doc, "url.path")), "/b");
	assert_string_equal(str_at(doc, "n/bad"), "007");
	assert_true(json_is_real(json_object_get(json_object_get(doc, "n"), "ok")));
	assert_true(json_is_true(json_object_get(doc, "b")));
	assert_true(json_is_null(json_object_get(doc, "z")));
	assert_string_equal(str_at(doc, "bin"), "a\xEF\xBF\xBD\x01\"\\b");
	assert_string_equal(str_at(doc, "event/kind"), "alert");
	assert_string_equal(str_at(doc, "event/original"), "raw line");
	assert_string_equal(str_at(doc, "log/file/path"), "/var/log/x.log");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(doc, "log"), "file"), "line")), 42);
	assert_string_equal(str_at(doc, "vigil/layer"), "host");
	assert_string_equal(str_at(doc, "rule/title"), "T \"q\"");
	assert_null(json_object_get(json_object_get(doc, "rule"), "name"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "rule"), "tags")), 2);
	json_decref(doc);
	vg_event_free(ev);
}

static void test_again(void **state)
{
	(void)state;
	static const char *const tags2[] = {"attack.t1190"};
	const vg_rule_info rule2 = {
		.id = "r-2", .name = "second", .title = "Two \\ \u00e9", .level = "low", .status = "", .description = "",
		.tags = tags2, .ntags = 1, .path = "rules/y.yml", .product = "", .service = "", .category = "", .alert = 1,
	};
	vg_event *ev = vg_event_new();
	const char raw[] = "GET /a?b=\"x\" HTTP/1.1";
	vg_event_reset(ev, raw, sizeof(raw) - 1, "/var/log/access.log", 7);
	ev->ts_us = 1763719200000000LL;
	ev->format = "apache_access";
	vg_event_add_str(ev, "url.original", "/a?b=\"x\"", 8);
	vg_event_add_str(ev, "http.request.method", "GET", 3);
	vg_event_add(ev, "http.response.status_code", 25, "200", 3, VG_V_NUM);
	vg_buf fresh = {0}, out = {0};
	assert_int_equal(vg_alert_json_event(&fresh, ev, &rule, NULL), 0);
	assert_int_equal(vg_alert_json_event(&fresh, ev, &rule2, NULL), 0);
	assert_int_equal(vg_alert_json_event(&fresh, ev, &rule2, NULL), 0);
	/* the first alert, then two copies: the buffer grows under them */
	vg_alert_part part = {0, 0}; /* a new event: written afresh */
	assert_int_equal(vg_alert_json_event(&out, ev, &rule, &part), 0);
	assert_int_equal(part.off, 0);
	assert_true(part.len > 0 && part.len < out.len);
	assert_int_equal(vg_alert_json_event(&out, ev, &rule2, &part), 0);
	assert_int_equal(vg_alert_json_event(&out, ev, &rule2, &part), 0);
	assert_int_equal(out.len, fresh.len);
	assert_memory_equal(out.data, fresh.data, fresh.len);
	/* a part that is not in the buffer: refused, nothing written */
	vg_alert_part bad = {out.len, 1};
	assert_int_equal(vg_alert_json_event(&out, ev, &rule2, &bad), VG_EINVAL);
	bad = (vg_alert_part){0, out.len + 1};
	assert_int_equal(vg_alert_json_event(&out, ev, &rule2, &bad), VG_EINVAL);
	assert_int_equal(out.len, fresh.len);
	vg_buf_free(&fresh);
	vg_buf_free(&out);
	vg_event_free(ev);
}

static void test_no_timestamp_and_sorting(void **state)
{
	(void)state;
	vg_event *ev = vg_event_new();
	vg_event_reset(ev, "x", 1, "-", 1);
	/* interleaved siblings and a name sorting between "a" and "a.b" */
	vg_event_add_str(ev, "a.b", "1", 1);
	vg_event_add_str(ev, "a-b", "2", 1);
	vg_event_add_str(ev, "a.c", "3", 1);
	vg_event_add_str(ev, "a.b.c", "4", 1); /* leaf a.b in the way */
	vg_event_add_str(ev, "a.b.d.e", "5", 1); /* ... of two deeper names: no second "b" */
	vg_event_add_str(ev, "a.b.f", "6", 1);
	json_t *doc = render(ev);
	assert_null(json_object_get(doc, "@timestamp"));
	assert_string_equal(str_at(doc, "a/b"), "1");
	assert_string_equal(str_at(doc, "a/c"), "3");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "a"), "b.c")), "4");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "a"), "b.d.e")), "5");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "a"), "b.f")), "6");
	assert_string_equal(str_at(doc, "a-b"), "2");
	json_decref(doc);
	vg_event_free(ev);
}

static void test_number_grammar(void **state)
{
	(void)state;
	const char *ok[] = {"0", "-0", "12", "1.5", "1e9", "-2.5E-3"};
	const char *bad[] = {"", "-", "01", "1.", ".5", "1e", "0x1f", "1 ", "+1", "NaN"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		assert_true(vg_json_is_number(ok[i], strlen(ok[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_false(vg_json_is_number(bad[i], strlen(bad[i])));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_again),
		cmocka_unit_test(test_no_timestamp_and_sorting),
		cmocka_unit_test(test_number_grammar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
