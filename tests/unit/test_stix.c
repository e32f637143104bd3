/* test_stix.c — STIX 2.1 output of share/stix.h checked exactly: UUIDv5
 * against RFC 4122 / STIX vectors, the id form "type--uuid", spec_version,
 * created/modified timestamps with millisecond precision, deterministic ids
 * (same item -> same objects; another item or installation -> other ids),
 * pattern escaping of quotes and backslashes, the incident extension and
 * its definition, declared IPs as infrastructure + ipv4-addr, bundles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "share/stix.h"

#define TS 1763719200123456LL /* 2025-11-21T10:00:00.123456Z */

static const vg_stix_ctx ctx = {.org = "Bo A", .origin = "site-1", .sector = "government"};

/* type--xxxxxxxx-xxxx-5xxx-[89ab]xxx-xxxxxxxxxxxx (5: UUIDv5) or any version. */
static int id_ok(const char *id, const char *type, int want_v5)
{
	size_t tl = strlen(type);
	if (id == NULL || strncmp(id, type, tl) != 0 || strncmp(id + tl, "--", 2) != 0)
		return 0;
	const char *u = id + tl + 2;
	if (strlen(u) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdef", u[i])) {
			return 0;
		}
	}
	if (want_v5 && u[14] != '5')
		return 0;
	return strchr("89ab", u[19]) != NULL;
}

/* YYYY-MM-DDTHH:MM:SS.sssZ */
static int ts_ok(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	}
	return 1;
}

static json_t *find_type(const json_t *objs, const char *type, size_t nth)
{
	size_t i;
	json_t *o;
	json_array_foreach(objs, i, o)
	{
		if (strcmp(json_string_value(json_object_get(o, "type")), type) == 0 && nth-- == 0)
			return o;
	}
	return NULL;
}

static size_t count_type(const json_t *objs, const char *type)
{
	size_t n = 0;
	while (find_type(objs, type, n) != NULL)
		n++;
	return n;
}

static const char *sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Every object: spec_version 2.1, id of its type; SDO/SROs: created/modified. */
static void check_common(const json_t *objs)
{
	size_t i;
	json_t *o;
	json_array_foreach(objs, i, o)
	{
		const char *type = sget(o, "type");
		assert_non_null(type);
		assert_string_equal(sget(o, "spec_version"), "2.1");
		if (!id_ok(sget(o, "id"), type, 0))
			fail_msg("bad id %s for type %s", sget(o, "id"), type);
		int sco = strcmp(type, "ipv4-addr") == 0 || strcmp(type, "ipv6-addr") == 0 ||
			  strcmp(type, "url") == 0 || strcmp(type, "domain-name") == 0 || strcmp(type, "process") == 0 ||
			  strcmp(type, "file") == 0 || strcmp(type, "user-account") == 0 ||
			  strcmp(type, "network-traffic") == 0;
		if (sco) {
			assert_null(json_object_get(o, "created"));
		} else {
			if (!ts_ok(sget(o, "created")) || !ts_ok(sget(o, "modified")))
				fail_msg("%s: created/modified %s / %s", sget(o, "id"), sget(o, "created"),
					 sget(o, "modified"));
			assert_true(strcmp(sget(o, "modified"), sget(o, "created")) >= 0);
		}
	}
}

static void test_uuid5_vectors(void **state)
{
	(void)state;
	char u[37];
	/* RFC 4122 / Python's documented example */
	assert_int_equal(vg_stix_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org", 10, u), 0);
	assert_string_equal(u, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
	assert_int_equal(vg_stix_uuid5(VG_STIX_SCO_NS, "{\"value\":\"203.0.113.9\"}", 23, u), 0);
	assert_string_equal(u, "39090fdc-366e-571f-ab5b-d05e2918f88f");
	assert_int_equal(vg_stix_uuid5("not-a-uuid", "x", 1, u), VG_EINVAL);
	assert_int_equal(vg_stix_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430cZ", "x", 1, u), VG_EINVAL);
}

static void test_timestamp(void **state)
{
	(void)state;
	char ts[VG_STIX_TS_MAX];
	vg_stix_timestamp(TS, ts);
	assert_string_equal(ts, "2025-11-21T10:00:00.123Z");
	vg_stix_timestamp(0, ts);
	assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
	vg_stix_timestamp(VG_STIX_EXT_CREATED_US, ts);
	assert_string_equal(ts, "2026-01-01T00:00:00.000Z");
}

static void test_pattern_escape(void **state)
{
	(void)state;
	vg_buf b = {0};
	const char *in = "it's C:\\tmp\\'x'";
	assert_int_equal(vg_stix_pattern_escape(&b, in, strlen(in)), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_string_equal(b.data, "it\\'s C:\\\\tmp\\\\\\'x\\'");
	vg_buf_free(&b);
}

static const char alert_doc[] =
	"{\"@timestamp\":\"2025-11-21T10:00:00.123456Z\",\"host\":{\"name\":\"web1\",\"ip\":\"10.0.0.5\"},"
	"\"source\":{\"ip\":\"203.0.113.9\"},\"destination\":{\"ip\":\"2001:db8::1\"},"
	"\"url\":{\"full\":\"http://x.example/a'b\\\\c\",\"original\":\"/a'b\"},"
	"\"process\":{\"command_line\":\"sh -c 'id'\"},\"user\":{\"name\":\"alice\"},"
	"\"event\":{\"original\":\"raw\"},"
	"\"rule\":{\"id\":\"r-1\",\"title\":\"Web shell\",\"level\":\"high\",\"tags\":[\"attack.t1505\"]}}";

static json_t *convert(const vg_stix_ctx *c, const char *item, const char *doc)
{
	json_t *objs = json_array();
	char why[256] = "";
	int r = vg_stix_alert(c, item, doc, strlen(doc), objs, why, sizeof(why));
	if (r != 0)
		fail_msg("vg_stix_alert: %d %s", r, why);
	check_common(objs);
	return objs;
}

static void test_alert(void **state)
{
	(void)state;
	json_t *objs = convert(&ctx, "alert-42", alert_doc);
	assert_int_equal(count_type(objs, "identity"), 1);
	assert_int_equal(count_type(objs, "indicator"), 1);
	assert_int_equal(count_type(objs, "sighting"), 1);
	assert_int_equal(count_type(objs, "observed-data"), 1);
	assert_int_equal(count_type(objs, "ipv4-addr"), 2); /* source and host */
	assert_int_equal(count_type(objs, "ipv6-addr"), 1);
	assert_int_equal(count_type(objs, "url"), 1);
	assert_int_equal(count_type(objs, "process"), 1);
	assert_int_equal(count_type(objs, "user-account"), 1);

	json_t *idn = find_type(objs, "identity", 0), *ind = find_type(objs, "indicator", 0);
	json_t *sig = find_type(objs, "sighting", 0), *od = find_type(objs, "observed-data", 0);
	assert_string_equal(sget(idn, "name"), "Bo A");
	assert_string_equal(sget(idn, "identity_class"), "organization");
	/* the SCO id of an ipv4-addr is the STIX-namespace UUIDv5 of {"value":…} */
	json_t *ip = find_type(objs, "ipv4-addr", 0);
	assert_string_equal(sget(ip, "value"), "203.0.113.9");
	assert_string_equal(sget(ip, "id"), "ipv4-addr--39090fdc-366e-571f-ab5b-d05e2918f88f");
	assert_string_equal(sget(find_type(objs, "ipv6-addr", 0), "id"),
			    "ipv6-addr--6469e3a9-b053-5e34-a025-9396ae051d26");
	/* indicator: the pattern with quotes and backslashes escaped, in field order */
	assert_string_equal(sget(ind, "pattern"), "[ipv4-addr:value = '203.0.113.9'] AND "
						  "[url:value = 'http://x.example/a\\'b\\\\c'] AND "
						  "[process:command_line = 'sh -c \\'id\\'']");
	assert_string_equal(sget(ind, "pattern_type"), "stix");
	assert_string_equal(sget(ind, "valid_from"), "2025-11-21T10:00:00.123Z");
	assert_string_equal(sget(ind, "created"), "2025-11-21T10:00:00.123Z");
	assert_string_equal(sget(ind, "name"), "Web shell");
	assert_string_equal(json_string_value(json_array_get(json_object_get(ind, "labels"), 0)), "level:high");
	assert_string_equal(json_string_value(json_array_get(json_object_get(ind, "labels"), 1)), "attack.t1505");
	assert_string_equal(sget(ind, "created_by_ref"), sget(idn, "id"));
	assert_true(id_ok(sget(ind, "id"), "indicator", 1));
	/* sighting of the indicator, with the observed-data, where: the organisation */
	assert_string_equal(sget(sig, "sighting_of_ref"), sget(ind, "id"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(sig, "observed_data_refs"), 0)),
			    sget(od, "id"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(sig, "where_sighted_refs"), 0)),
			    sget(idn, "id"));
	assert_int_equal(json_integer_value(json_object_get(sig, "count")), 1);
	assert_string_equal(sget(sig, "first_seen"), "2025-11-21T10:00:00.123Z");
	/* observed-data refers to every observable, each once */
	assert_int_equal(json_array_size(json_object_get(od, "object_refs")), 6);
	assert_int_equal(json_integer_value(json_object_get(od, "number_observed")), 1);
	assert_string_equal(sget(od, "first_observed"), "2025-11-21T10:00:00.123Z");
	json_decref(objs);
}

static void test_alert_deterministic(void **state)
{
	(void)state;
	json_t *a = convert(&ctx, "alert-42", alert_doc), *b = convert(&ctx, "alert-42", alert_doc);
	char *sa = json_dumps(a, JSON_COMPACT), *sb = json_dumps(b, JSON_COMPACT);
	assert_string_equal(sa, sb);
	/* another item: other SDO ids, same SCO ids */
	json_t *c = convert(&ctx, "alert-43", alert_doc);
	assert_string_not_equal(sget(find_type(a, "sighting", 0), "id"), sget(find_type(c, "sighting", 0), "id"));
	assert_string_not_equal(sget(find_type(a, "indicator", 0), "id"), sget(find_type(c, "indicator", 0), "id"));
	assert_string_equal(sget(find_type(a, "ipv4-addr", 0), "id"), sget(find_type(c, "ipv4-addr", 0), "id"));
	assert_string_equal(sget(find_type(a, "identity", 0), "id"), sget(find_type(c, "identity", 0), "id"));
	/* another installation: other SDO ids */
	vg_stix_ctx other = ctx;
	other.origin = "site-2";
	json_t *d = convert(&other, "alert-42", alert_doc);
	assert_string_not_equal(sget(find_type(a, "sighting", 0), "id"), sget(find_type(d, "sighting", 0), "id"));
	/* the id is UUIDv5(VG_STIX_NS, "sighting|site-1|alert-42") */
	char want[VG_STIX_ID_MAX];
	assert_int_equal(vg_stix_id(&ctx, "sighting", "alert-42", want), 0);
	assert_string_equal(sget(find_type(a, "sighting", 0), "id"), want);
	char u[37];
	assert_int_equal(vg_stix_uuid5(VG_STIX_NS, "sighting|site-1|alert-42", 24, u), 0);
	assert_string_equal(want + strlen("sighting--"), u);
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
}

static void test_alert_without_observables(void **state)
{
	(void)state;
	const char *doc = "{\"@timestamp\":\"2025-11-21T10:00:00Z\",\"host\":{\"name\":\"db1\"},"
			  "\"correlation\":{\"type\":\"event_count\",\"count\":7},"
			  "\"rule\":{\"id\":\"it's\\\\r\",\"title\":\"Brute force\",\"level\":\"medium\"}}";
	json_t *objs = convert(&ctx, "alert-7", doc);
	assert_int_equal(json_array_size(objs), 3); /* identity, indicator, sighting */
	json_t *ind = find_type(objs, "indicator", 0), *sig = find_type(objs, "sighting", 0);
	assert_string_equal(sget(ind, "pattern"), "[x-vigil-alert:rule_id = 'it\\'s\\\\r']");
	assert_null(json_object_get(sig, "observed_data_refs"));
	assert_int_equal(json_integer_value(json_object_get(sig, "count")), 7);
	json_decref(objs);
}

static void test_alert_errors(void **state)
{
	(void)state;
	json_t *objs = json_array();
	char why[256] = "";
	assert_int_equal(vg_stix_alert(&ctx, "alert-1", "{nope", 5, objs, why, sizeof(why)), VG_EPARSE);
	assert_non_null(strstr(why, "alert-1"));
	const char *norule = "{\"@timestamp\":\"2025-11-21T10:00:00Z\"}";
	assert_int_equal(vg_stix_alert(&ctx, "alert-2", norule, strlen(norule), objs, why, sizeof(why)), VG_EPARSE);
	assert_non_null(strstr(why, "rule.id"));
	const char *nots = "{\"rule\":{\"id\":\"x\"}}";
	assert_int_equal(vg_stix_alert(&ctx, "alert-3", nots, strlen(nots), objs, why, sizeof(why)), VG_EPARSE);
	assert_non_null(strstr(why, "@timestamp"));
	vg_stix_ctx noorg = {.org = NULL};
	assert_int_equal(vg_stix_alert(&noorg, "alert-4", alert_doc, strlen(alert_doc), objs, why, sizeof(why)),
			 VG_EINVAL);
	json_decref(objs);
}

static const char *ips1[] = {"198.51.100.7", "2001:db8::7"};

static vg_stix_incident sample_incident(vg_stix_system *sys)
{
	memset(sys, 0, sizeof(*sys));
	sys->id = 3;
	sys->name = "Cổng dịch vụ công";
	sys->level = 3;
	sys->unit = "bo-a/cuc-x";
	sys->national = 1;
	sys->ips = ips1;
	sys->nips = 2;
	vg_stix_incident in = {
		.id = 12,
		.title = "Ransomware on the file server",
		.description = "Files encrypted",
		.severity = "high",
		.state = "contained",
		.type = "encryption",
		.serious = 1,
		.detected_us = TS,
		.created_us = TS + 1000,
		.updated_us = TS + 60000000,
		.reported_us = TS + 3600000000LL,
		.detection_method = "rule r-1: Web shell",
		.reporter_org = "Bo A",
		.reporter_name = "Nguyen Van A",
		.reporter_contact = "+84 24 0000",
		.measures = "isolated the host",
		.systems = sys,
		.nsystems = 1,
	};
	return in;
}

static void test_incident(void **state)
{
	(void)state;
	vg_stix_system sys;
	vg_stix_incident in = sample_incident(&sys);
	json_t *objs = json_array();
	char why[256] = "";
	assert_int_equal(vg_stix_incident_objects(&ctx, &in, objs, why, sizeof(why)), 0);
	check_common(objs);
	json_t *inc = find_type(objs, "incident", 0);
	assert_non_null(inc);
	assert_string_equal(sget(inc, "name"), in.title);
	assert_string_equal(sget(inc, "created"), "2025-11-21T10:00:00.124Z");
	assert_string_equal(sget(inc, "modified"), "2025-11-21T10:01:00.123Z");
	json_t *ext = json_object_get(json_object_get(inc, "extensions"), VG_STIX_EXT_ID);
	assert_non_null(ext);
	assert_string_equal(sget(ext, "extension_type"), "property-extension");
	assert_int_equal(json_integer_value(json_object_get(ext, "incident_id")), 12);
	assert_string_equal(sget(ext, "incident_type"), "encryption");
	assert_string_equal(sget(ext, "severity"), "high");
	assert_string_equal(sget(ext, "state"), "contained");
	assert_true(json_is_true(json_object_get(ext, "serious")));
	assert_string_equal(sget(ext, "detected"), "2025-11-21T10:00:00.123Z");
	assert_string_equal(sget(ext, "reported"), "2025-11-21T11:00:00.123Z");
	assert_null(json_object_get(ext, "resolved"));
	assert_string_equal(sget(json_object_get(ext, "reporter"), "name"), "Nguyen Van A");
	json_t *s0 = json_array_get(json_object_get(ext, "systems"), 0);
	assert_string_equal(sget(s0, "name"), "Cổng dịch vụ công");
	assert_int_equal(json_integer_value(json_object_get(s0, "security_level")), 3);
	assert_int_equal(json_array_size(json_object_get(s0, "public_ips")), 2);
	/* the extension definition and its creator are in the set */
	json_t *def = find_type(objs, "extension-definition", 0);
	assert_string_equal(sget(def, "id"), VG_STIX_EXT_ID);
	assert_string_equal(sget(def, "created_by_ref"), VG_STIX_EXT_CREATOR);
	assert_string_equal(sget(def, "schema"), VG_STIX_EXT_SCHEMA);
	assert_string_equal(sget(def, "version"), VG_STIX_EXT_VERSION);
	assert_string_equal(json_string_value(json_array_get(json_object_get(def, "extension_types"), 0)),
			    "property-extension");
	assert_int_equal(count_type(objs, "identity"), 2); /* the organisation and vigil */
	/* the system: infrastructure consisting of its IPs, related to the incident */
	json_t *inf = find_type(objs, "infrastructure", 0);
	assert_string_equal(sget(inf, "name"), "Cổng dịch vụ công");
	assert_int_equal(count_type(objs, "ipv4-addr"), 1);
	assert_int_equal(count_type(objs, "ipv6-addr"), 1);
	assert_int_equal(count_type(objs, "relationship"), 3);
	int consists = 0, related = 0;
	for (size_t i = 0; i < 3; i++) {
		json_t *rel = find_type(objs, "relationship", i);
		if (strcmp(sget(rel, "relationship_type"), "consists-of") == 0) {
			assert_string_equal(sget(rel, "source_ref"), sget(inf, "id"));
			consists++;
		} else {
			assert_string_equal(sget(rel, "relationship_type"), "related-to");
			assert_string_equal(sget(rel, "source_ref"), sget(inc, "id"));
			assert_string_equal(sget(rel, "target_ref"), sget(inf, "id"));
			related++;
		}
	}
	assert_int_equal(consists, 2);
	assert_int_equal(related, 1);

	/* a new version: same id, newer modified */
	json_t *objs2 = json_array();
	in.updated_us += 1000000;
	in.state = "resolved";
	assert_int_equal(vg_stix_incident_objects(&ctx, &in, objs2, why, sizeof(why)), 0);
	json_t *inc2 = find_type(objs2, "incident", 0);
	assert_string_equal(sget(inc2, "id"), sget(inc, "id"));
	assert_string_equal(sget(inc2, "created"), sget(inc, "created"));
	assert_true(strcmp(sget(inc2, "modified"), sget(inc, "modified")) > 0);
	json_decref(objs);
	json_decref(objs2);

	/* required members */
	in.title = NULL;
	json_t *objs3 = json_array();
	assert_int_equal(vg_stix_incident_objects(&ctx, &in, objs3, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "incident 12"));
	json_decref(objs3);
}

static void test_system_ips(void **state)
{
	(void)state;
	const char *bad[] = {"198.51.100.7", "300.1.1.1"};
	vg_stix_system s = {.id = 5, .name = "Portal", .ips = bad, .nips = 2, .created_us = TS};
	json_t *objs = json_array();
	char why[256] = "";
	assert_int_equal(vg_stix_system_objects(&ctx, &s, TS, objs, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "public_ips[1]"));
	assert_int_equal(json_array_size(objs), 0);
	s.nips = 1;
	assert_int_equal(vg_stix_system_objects(&ctx, &s, TS, objs, why, sizeof(why)), 0);
	check_common(objs);
	/* bounded */
	static const char *many[VG_STIX_MAX_IPS + 1];
	for (size_t i = 0; i <= VG_STIX_MAX_IPS; i++)
		many[i] = "192.0.2.1";
	vg_stix_system big = {.id = 6, .name = "Big", .ips = many, .nips = VG_STIX_MAX_IPS + 1};
	assert_int_equal(vg_stix_system_objects(&ctx, &big, TS, objs, why, sizeof(why)), VG_ELIMIT);
	assert_non_null(strstr(why, "Big"));
	json_t *ip = find_type(objs, "ipv4-addr", 0);
	char want[37];
	const char *canon = "{\"value\":\"198.51.100.7\"}";
	assert_int_equal(vg_stix_uuid5(VG_STIX_SCO_NS, canon, strlen(canon), want), 0);
	assert_string_equal(sget(ip, "id") + strlen("ipv4-addr--"), want);
	json_decref(objs);
}

static void test_outbox_item_and_bundle(void **state)
{
	(void)state;
	char why[256] = "";
	json_t *objs = json_array();
	const char *inc = "{\"v\":1,\"id\":\"incident-12-3\",\"seq\":9,\"kind\":\"incident\",\"origin\":\"site-1\","
			  "\"created\":\"2025-11-21T10:00:00Z\",\"data\":{\"id\":12,\"title\":\"T\","
			  "\"detected_at\":\"2025-11-21T09:00:00Z\",\"updated_at\":1763719200000000,"
			  "\"systems\":[7,{\"id\":3,\"name\":\"S\",\"level\":2,\"public_ips\":[\"192.0.2.1\"]}]}}";
	assert_int_equal(vg_stix_outbox_item(&ctx, inc, strlen(inc), objs, why, sizeof(why)), 0);
	json_t *o = find_type(objs, "incident", 0);
	assert_string_equal(sget(o, "created"), "2025-11-21T09:00:00.000Z");
	assert_string_equal(sget(o, "modified"), "2025-11-21T10:00:00.000Z");
	assert_int_equal(count_type(objs, "infrastructure"), 1); /* the bare id 7 has no name */
	json_t *ext = json_object_get(json_object_get(o, "extensions"), VG_STIX_EXT_ID);
	assert_int_equal(json_array_size(json_object_get(ext, "systems")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(ext, "systems"), 0), "id")), 7);
	const char *bad = "{\"v\":1,\"id\":\"incident-1-1\",\"kind\":\"incident\",\"data\":{\"id\":1,\"title\":\"T\","
			  "\"detected_at\":\"yesterday\"}}";
	assert_int_equal(vg_stix_outbox_item(&ctx, bad, strlen(bad), objs, why, sizeof(why)), VG_EINVAL);
	assert_non_null(strstr(why, "detected_at"));
	const char *hb = "{\"v\":1,\"id\":\"heartbeat-1\",\"kind\":\"heartbeat\",\"data\":{}}";
	assert_int_equal(vg_stix_outbox_item(&ctx, hb, strlen(hb), objs, why, sizeof(why)), VG_EUNSUPPORTED);

	vg_buf b = {0};
	assert_int_equal(vg_stix_bundle(objs, &b), 0);
	json_t *bj = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(bj);
	assert_string_equal(sget(bj, "type"), "bundle");
	assert_true(id_ok(sget(bj, "id"), "bundle", 1));
	assert_int_equal(json_array_size(json_object_get(bj, "objects")), json_array_size(objs));
	/* the same objects give the same bundle */
	vg_buf b2 = {0};
	assert_int_equal(vg_stix_bundle(objs, &b2), 0);
	assert_int_equal(b.len, b2.len);
	assert_memory_equal(b.data, b2.data, b.len);
	vg_buf_free(&b);
	vg_buf_free(&b2);
	json_decref(bj);
	json_decref(objs);
}

static const char event_doc[] =
	"{\"@timestamp\":\"2025-11-21T10:00:00.123456Z\",\"event\":{\"kind\":\"event\",\"dataset\":\"sshd\","
	"\"category\":[\"authentication\"],\"outcome\":\"failure\",\"action\":\"ssh_login\"},"
	"\"user\":{\"name\":\"root\"},\"source\":{\"ip\":\"203.0.113.5\",\"port\":50022},"
	"\"destination\":{\"ip\":\"10.0.0.2\",\"port\":\"22\"},\"network\":{\"transport\":\"TCP\"},"
	"\"host\":{\"name\":\"srv1\"},\"vigil\":{\"layer\":\"host\"}}";

static const json_t *by_value(const json_t *objs, const char *type, const char *prop, const char *v)
{
	for (size_t n = 0;; n++) {
		const json_t *o = find_type(objs, type, n);
		if (o == NULL || strcmp(sget(o, prop), v) == 0)
			return o;
	}
}

/* A raw event: observed-data over its SCOs (no indicator, no sighting),
 * network-traffic with its STIX id from its ID contributing properties,
 * labels from its facts, deterministic. */
static void test_event(void **state)
{
	(void)state;
	char why[256] = "";
	json_t *objs = json_array();
	assert_int_equal(vg_stix_event(&ctx, "event-a1-7", event_doc, strlen(event_doc), objs, why, sizeof(why)), 0);
	check_common(objs);
	assert_int_equal(count_type(objs, "identity"), 1);
	assert_int_equal(count_type(objs, "observed-data"), 1);
	assert_int_equal(count_type(objs, "indicator"), 0);
	assert_int_equal(count_type(objs, "sighting"), 0);
	assert_int_equal(count_type(objs, "ipv4-addr"), 2);
	assert_int_equal(count_type(objs, "user-account"), 1);
	assert_int_equal(count_type(objs, "network-traffic"), 1);
	assert_int_equal(json_array_size(objs), 6);
	const json_t *src = by_value(objs, "ipv4-addr", "value", "203.0.113.5");
	const json_t *dst = by_value(objs, "ipv4-addr", "value", "10.0.0.2");
	assert_non_null(src);
	assert_non_null(dst);
	const json_t *ua = find_type(objs, "user-account", 0);
	assert_string_equal(sget(ua, "account_login"), "root");
	const json_t *nt = find_type(objs, "network-traffic", 0);
	assert_string_equal(sget(nt, "src_ref"), sget(src, "id"));
	assert_string_equal(sget(nt, "dst_ref"), sget(dst, "id"));
	assert_int_equal(json_integer_value(json_object_get(nt, "src_port")), 50022);
	assert_int_equal(json_integer_value(json_object_get(nt, "dst_port")), 22); /* "22" as text too */
	assert_string_equal(json_string_value(json_array_get(json_object_get(nt, "protocols"), 0)), "tcp");
	/* its id: UUIDv5 in the STIX SCO namespace over the contributing properties */
	char seed[512], uuid[37], want[VG_STIX_ID_MAX];
	snprintf(seed, sizeof(seed),
		 "{\"dst_port\":22,\"dst_ref\":\"%s\",\"protocols\":[\"tcp\"],\"src_port\":50022,\"src_ref\":\"%s\"}",
		 sget(dst, "id"), sget(src, "id"));
	assert_int_equal(vg_stix_uuid5(VG_STIX_SCO_NS, seed, strlen(seed), uuid), 0);
	snprintf(want, sizeof(want), "network-traffic--%s", uuid);
	assert_string_equal(sget(nt, "id"), want);

	const json_t *od = find_type(objs, "observed-data", 0);
	assert_string_equal(sget(od, "first_observed"), "2025-11-21T10:00:00.123Z");
	assert_string_equal(sget(od, "last_observed"), "2025-11-21T10:00:00.123Z");
	assert_int_equal(json_integer_value(json_object_get(od, "number_observed")), 1);
	assert_string_equal(sget(od, "created_by_ref"), sget(find_type(objs, "identity", 0), "id"));
	json_t *refs = json_object_get(od, "object_refs");
	assert_int_equal(json_array_size(refs), 4);
	size_t i;
	json_t *x;
	json_array_foreach(refs, i, x)
	{
		int found = 0;
		size_t k;
		json_t *y;
		json_array_foreach(objs, k, y) found |= strcmp(sget(y, "id"), json_string_value(x)) == 0;
		assert_true(found);
	}
	json_t *labels = json_object_get(od, "labels");
	char *ls = json_dumps(labels, JSON_COMPACT);
	assert_string_equal(ls, "[\"dataset:sshd\",\"layer:host\",\"category:authentication\",\"outcome:failure\","
				"\"action:ssh_login\"]");
	free(ls);
	assert_string_equal(sget(json_array_get(json_object_get(od, "external_references"), 0), "external_id"),
			    "event-a1-7");

	/* the same event again: the same objects; another item: another observed-data */
	json_t *again = json_array();
	assert_int_equal(vg_stix_event(&ctx, "event-a1-7", event_doc, strlen(event_doc), again, why, sizeof(why)), 0);
	assert_true(json_equal(objs, again));
	json_decref(again);
	json_t *other = json_array();
	assert_int_equal(vg_stix_event(&ctx, "event-a1-8", event_doc, strlen(event_doc), other, why, sizeof(why)), 0);
	assert_string_not_equal(sget(find_type(other, "observed-data", 0), "id"), sget(od, "id"));
	assert_string_equal(sget(find_type(other, "network-traffic", 0), "id"), want); /* SCOs: by content */
	json_decref(other);

	/* through the outbox item form */
	char item[2048];
	snprintf(item, sizeof(item),
		 "{\"v\":1,\"id\":\"event-a1-7\",\"seq\":3,\"kind\":\"event\",\"origin\":\"site-1\","
		 "\"created\":\"2025-11-21T10:00:01Z\",\"data\":%s}",
		 event_doc);
	json_t *via = json_array();
	assert_int_equal(vg_stix_outbox_item(&ctx, item, strlen(item), via, why, sizeof(why)), 0);
	assert_true(json_equal(objs, via));
	json_decref(via);

	/* without observables: no STIX form, nothing added */
	const char *bare = "{\"@timestamp\":\"2025-11-21T10:00:00Z\",\"message\":\"hello\",\"host\":{\"name\":\"h\"}}";
	size_t before = json_array_size(objs);
	assert_int_equal(vg_stix_event(&ctx, "event-x-1", bare, strlen(bare), objs, why, sizeof(why)),
			 VG_EUNSUPPORTED);
	assert_int_equal(json_array_size(objs), before);
	assert_non_null(strstr(why, "event-x-1"));
	const char *nots = "{\"source\":{\"ip\":\"203.0.113.5\"}}";
	assert_int_equal(vg_stix_event(&ctx, "event-x-2", nots, strlen(nots), objs, why, sizeof(why)), VG_EPARSE);
	assert_non_null(strstr(why, "@timestamp"));
	json_decref(objs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid5_vectors),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_pattern_escape),
		cmocka_unit_test(test_alert),
		cmocka_unit_test(test_alert_deterministic),
		cmocka_unit_test(test_alert_without_observables),
		cmocka_unit_test(test_alert_errors),
		cmocka_unit_test(test_incident),
		cmocka_unit_test(test_system_ips),
		cmocka_unit_test(test_outbox_item_and_bundle),
		cmocka_unit_test(test_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
