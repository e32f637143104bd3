/* test_share_policy.c — sharing policies: parsing with clear refusals,
 * filtering by stream, level, host, system, unit (and its sub-units) and
 * tags, and redaction: remove, redact, HMAC-SHA256 pseudonyms (stable per
 * key, different across keys), through arrays, and RFC 1918 / ULA addresses
 * inside any string, public addresses untouched. */
#ifdef VG_WITH_SHARE /* defined once src/share is in vigil_core (see docs/sharing.md) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "share/policy.h"
#include "share/sign.h"

static const unsigned char KEY[VG_SHARE_PSEUDO_KEY] = "0123456789abcdef0123456789abcdef";

static vg_share_policy *parse(const char *text)
{
	vg_share_policy *p = NULL;
	char why[256] = "";
	int r = vg_share_policy_parse(text, text ? strlen(text) : 0, &p, why, sizeof(why));
	if (r != 0)
		fail_msg("policy %s: %s", text, why);
	return p;
}

static void refused(const char *text, const char *needle)
{
	vg_share_policy *p = NULL;
	char why[256] = "";
	assert_true(vg_share_policy_parse(text, strlen(text), &p, why, sizeof(why)) < 0);
	assert_null(p);
	if (strstr(why, needle) == NULL)
		fail_msg("refusal of %s says '%s', not '%s'", text, why, needle);
}

static void test_parse(void **state)
{
	(void)state;
	vg_share_policy *p = parse(NULL);
	assert_int_equal(vg_share_policy_streams(p), VG_SHARE_ALERTS | VG_SHARE_INCIDENTS | VG_SHARE_HEARTBEATS);
	vg_share_policy_free(p);
	p = parse("{\"streams\":[\"events\",\"public_ips\"],\"min_level\":\"high\",\"fields\":{\"a.b\":\"remove\"},"
		  "\"internal_ips\":\"redact\"}");
	assert_int_equal(vg_share_policy_streams(p), VG_SHARE_EVENTS | VG_SHARE_PUBLIC_IPS);
	json_t *j = vg_share_policy_json(p);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"streams\":[\"events\",\"public_ips\"],\"min_level\":\"high\",\"hosts\":[],"
			       "\"systems\":[],\"units\":[],\"tags\":[],\"fields\":{\"a.b\":\"remove\"},"
			       "\"internal_ips\":\"redact\",\"events\":{\"layers\":[],\"datasets\":[],\"categories\":[],"
			       "\"outcomes\":[],\"max_per_second\":100}}");
	/* the canonical form parses to the same policy */
	vg_share_policy *q = parse(s);
	json_t *j2 = vg_share_policy_json(q);
	assert_true(json_equal(j, j2));
	json_decref(j2);
	vg_share_policy_free(q);
	free(s);
	json_decref(j);
	vg_share_policy_free(p);

	refused("[1]", "not a JSON object");
	refused("{\"streams\":[\"alerts\",\"videos\"]}", "\"streams\"");
	refused("{\"min_level\":\"severe\"}", "min_level");
	refused("{\"hosts\":\"web-1\"}", "\"hosts\" must be an array");
	refused("{\"tags\":[\"\"]}", "\"tags\"[0]");
	refused("{\"fields\":{\"a..b\":\"remove\"}}", "not a dotted field path");
	refused("{\"fields\":{\"user.name\":\"encrypt\"}}", "remove, redact or pseudonymise");
	refused("{\"internal_ips\":\"hide\"}", "internal_ips");
	refused("{\"min_level\":\"low\",\"min_level\":\"high\"}", "not a JSON object");
	refused("{\"colour\":\"blue\"}", "unknown member \"colour\"");
	char big[VG_SHARE_POLICY_MAX_LIST * 8 + 64];
	size_t n = (size_t)snprintf(big, sizeof(big), "{\"hosts\":[");
	for (int i = 0; i <= VG_SHARE_POLICY_MAX_LIST; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"h%d\"", i ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "]}");
	refused(big, "at most 256");
}

static void test_match(void **state)
{
	(void)state;
	vg_share_policy *p = parse("{\"min_level\":\"medium\",\"units\":[\"bo-x/cuc-y\"],\"tags\":[\"attack.t1110\","
				   "\"attack.t1078\"]}");
	json_t *tags = json_pack("[s,s]", "attack.credential_access", "attack.t1110");
	json_t *other = json_pack("[s]", "attack.t1059");
	vg_share_subject s = {.level = "high", .host = "web-1", .unit = "bo-x/cuc-y/phong-z", .tags = tags};
	assert_true(vg_share_policy_match(p, VG_SHARE_ALERTS, &s));
	assert_false(vg_share_policy_match(p, VG_SHARE_EVENTS, &s)); /* stream not selected */
	s.level = "low";
	assert_false(vg_share_policy_match(p, VG_SHARE_ALERTS, &s));
	s.level = NULL;
	assert_false(vg_share_policy_match(p, VG_SHARE_ALERTS, &s)); /* unknown level is below any minimum */
	s.level = "medium";
	assert_true(vg_share_policy_match(p, VG_SHARE_ALERTS, &s));
	s.unit = "bo-x/cuc-yz";
	assert_false(vg_share_policy_match(p, VG_SHARE_ALERTS, &s)); /* a prefix, not a sub-unit */
	s.unit = "bo-x/cuc-y";
	assert_true(vg_share_policy_match(p, VG_SHARE_ALERTS, &s));
	s.unit = NULL;
	assert_false(vg_share_policy_match(p, VG_SHARE_ALERTS, &s));
	s.unit = "bo-x/cuc-y";
	s.tags = other;
	assert_false(vg_share_policy_match(p, VG_SHARE_ALERTS, &s));
	s.tags = NULL;
	assert_false(vg_share_policy_match(p, VG_SHARE_ALERTS, &s));
	/* heartbeats ignore level and tag filters */
	assert_true(vg_share_policy_match(p, VG_SHARE_HEARTBEATS, &s));
	vg_share_policy_free(p);

	p = parse("{\"hosts\":[\"web-1\",\"db-1\"],\"systems\":[\"portal\"]}");
	vg_share_subject t = {.level = "informational", .host = "db-1", .system = "portal"};
	assert_true(vg_share_policy_match(p, VG_SHARE_ALERTS, &t));
	t.host = "mail-1";
	assert_false(vg_share_policy_match(p, VG_SHARE_ALERTS, &t));
	t.host = "web-1";
	t.system = "hr";
	assert_false(vg_share_policy_match(p, VG_SHARE_ALERTS, &t));
	vg_share_policy_free(p);

	/* the subject of an alert document */
	json_t *doc = json_loads("{\"host\":{\"name\":\"h1\"},\"rule\":{\"level\":\"critical\",\"tags\":[\"x\"]},"
				 "\"vigil\":{\"system\":\"portal\",\"unit\":\"a/b\"}}",
				 0, NULL);
	vg_share_subject u;
	vg_share_alert_subject(doc, NULL, &u);
	assert_string_equal(u.level, "critical");
	assert_string_equal(u.host, "h1");
	assert_string_equal(u.system, "portal");
	assert_string_equal(u.unit, "a/b");
	assert_int_equal(json_array_size(u.tags), 1);
	vg_share_alert_subject(doc, "col-host", &u);
	assert_string_equal(u.host, "col-host");
	json_decref(doc);
	json_decref(tags);
	json_decref(other);
}

static void expect_pseudo(const char *value, const char *prefix, const char *got)
{
	unsigned char md[32];
	unsigned ml = 0;
	HMAC(EVP_sha256(), KEY, VG_SHARE_PSEUDO_KEY, (const unsigned char *)value, strlen(value), md, &ml);
	char want[64];
	size_t n = (size_t)snprintf(want, sizeof(want), "%s", prefix);
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%02x", md[i]);
	assert_string_equal(got, want);
}

static const char *at(json_t *doc, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(doc, a), b));
}

static void test_apply(void **state)
{
	(void)state;
	vg_share_keys *k = NULL;
	assert_int_equal(vg_share_keys_mem(KEY, &k), 0);
	vg_share_policy *p = parse("{\"fields\":{\"user.name\":\"pseudonymise\",\"event.original\":\"remove\","
				   "\"host.ip\":\"redact\",\"related.user\":\"pseudonymise\",\"process.pid\":\"pseudonymise\","
				   "\"hits.who\":\"pseudonymise\",\"nothere.x\":\"remove\"},\"internal_ips\":\"redact\"}");
	json_t *doc = json_loads(
		"{\"user\":{\"name\":\"alice\"},\"event\":{\"original\":\"raw alice 10.0.0.1\",\"kind\":\"alert\"},"
		"\"host\":{\"ip\":\"192.168.3.4\",\"name\":\"web-1\"},\"related\":{\"user\":[\"alice\",\"bob\"]},"
		"\"process\":{\"pid\":4242},\"hits\":[{\"who\":\"carol\"},{\"who\":\"dave\"}],"
		"\"source\":{\"ip\":\"10.1.2.3\"},\"destination\":{\"ip\":\"8.8.8.8\"},"
		"\"message\":\"from 192.168.0.1:22 via 172.31.255.255, 172.32.0.1, 10.1.2.3.4, 110.1.2.3 and 8.8.4.4\","
		"\"ula\":\"fd12:3456::1\",\"gua\":\"2001:db8::1\",\"list\":[\"10.9.9.9\",\"1.1.1.1\"]}",
		0, NULL);
	assert_non_null(doc);
	assert_int_equal(vg_share_policy_apply(p, k, doc), 0);
	expect_pseudo("alice", "pn:", at(doc, "user", "name"));
	assert_null(json_object_get(json_object_get(doc, "event"), "original"));
	assert_string_equal(at(doc, "event", "kind"), "alert");
	assert_string_equal(at(doc, "host", "ip"), "REDACTED");
	json_t *ru = json_object_get(json_object_get(doc, "related"), "user");
	expect_pseudo("alice", "pn:", json_string_value(json_array_get(ru, 0)));
	expect_pseudo("bob", "pn:", json_string_value(json_array_get(ru, 1)));
	expect_pseudo("4242", "pn:", at(doc, "process", "pid"));
	json_t *hits = json_object_get(doc, "hits");
	expect_pseudo("carol", "pn:", json_string_value(json_object_get(json_array_get(hits, 0), "who")));
	expect_pseudo("dave", "pn:", json_string_value(json_object_get(json_array_get(hits, 1), "who")));
	assert_string_equal(at(doc, "source", "ip"), "REDACTED-IP");
	assert_string_equal(at(doc, "destination", "ip"), "8.8.8.8");
	assert_string_equal(json_string_value(json_object_get(doc, "message")),
			    "from REDACTED-IP:22 via REDACTED-IP, 172.32.0.1, 10.1.2.3.4, 110.1.2.3 and 8.8.4.4");
	assert_string_equal(json_string_value(json_object_get(doc, "ula")), "REDACTED-IP");
	assert_string_equal(json_string_value(json_object_get(doc, "gua")), "2001:db8::1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "list"), 0)), "REDACTED-IP");
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "list"), 1)), "1.1.1.1");
	json_decref(doc);
	vg_share_policy_free(p);

	/* pseudonymised addresses: the same address, the same pseudonym */
	p = parse("{\"internal_ips\":\"pseudonymise\"}");
	doc = json_loads("{\"a\":\"10.1.2.3\",\"b\":\"seen 10.1.2.3 twice\"}", 0, NULL);
	assert_int_equal(vg_share_policy_apply(p, k, doc), 0);
	expect_pseudo("10.1.2.3", "ip:", json_string_value(json_object_get(doc, "a")));
	char want[80];
	snprintf(want, sizeof(want), "seen %s twice", json_string_value(json_object_get(doc, "a")));
	assert_string_equal(json_string_value(json_object_get(doc, "b")), want);
	json_decref(doc);

	/* another installation's key gives other pseudonyms */
	unsigned char key2[VG_SHARE_PSEUDO_KEY];
	memcpy(key2, KEY, sizeof(key2));
	key2[0] ^= 1;
	vg_share_keys *k2 = NULL;
	assert_int_equal(vg_share_keys_mem(key2, &k2), 0);
	char a[VG_SHARE_PSEUDO_HEX + 1], b[VG_SHARE_PSEUDO_HEX + 1];
	assert_int_equal(vg_share_pseudonym(k, "alice", 5, a), 0);
	assert_int_equal(vg_share_pseudonym(k2, "alice", 5, b), 0);
	assert_string_not_equal(a, b);
	vg_share_keys_free(k2);
	vg_share_policy_free(p);

	/* keep: nothing changes */
	p = parse("{}");
	doc = json_loads("{\"source\":{\"ip\":\"10.1.2.3\"}}", 0, NULL);
	assert_int_equal(vg_share_policy_apply(p, k, doc), 0);
	assert_string_equal(at(doc, "source", "ip"), "10.1.2.3");
	json_decref(doc);
	vg_share_policy_free(p);
	vg_share_keys_free(k);
}

/* The events selection: parsed, refused naming the member, canonical form,
 * matched on layer, dataset, category, outcome and host; min_level and tags
 * do not apply to events. */
static void test_events(void **state)
{
	(void)state;
	vg_share_policy *p = parse(
		"{\"streams\":[\"alerts\",\"events\"],\"min_level\":\"high\",\"tags\":[\"attack.t1110\"],"
		"\"hosts\":[\"srv1\",\"srv2\"],\"events\":{\"max_per_second\":7,\"outcomes\":[\"failure\"],"
		"\"layers\":[\"server\",\"network\"],\"datasets\":[\"sshd\"],\"categories\":[\"authentication\"]}}");
	assert_int_equal(vg_share_policy_event_rate(p), 7);
	json_t *j = vg_share_policy_json(p);
	char *s = json_dumps(json_object_get(j, "events"), JSON_COMPACT);
	/* "server" is the host layer; layers in their fixed order */
	assert_string_equal(s, "{\"layers\":[\"network\",\"host\"],\"datasets\":[\"sshd\"],"
			       "\"categories\":[\"authentication\"],\"outcomes\":[\"failure\"],\"max_per_second\":7}");
	free(s);
	s = json_dumps(j, JSON_COMPACT);
	vg_share_policy *q = parse(s);
	json_t *j2 = vg_share_policy_json(q);
	assert_true(json_equal(j, j2));
	json_decref(j2);
	vg_share_policy_free(q);
	free(s);
	json_decref(j);

	vg_share_subject ev = {.host = "srv1", .layer = "host", .dataset = "sshd", .outcome = "failure",
			       .categories = {"session", "authentication"}, .ncategories = 2};
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &ev), 1); /* no level, no tags: still */
	vg_share_subject x = ev;
	x.layer = "endpoint";
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &x), 0);
	x = ev;
	x.layer = NULL;
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &x), 0);
	x = ev;
	x.dataset = "sudo";
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &x), 0);
	x = ev;
	x.outcome = "success";
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &x), 0);
	x = ev;
	x.ncategories = 1; /* only "session" */
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &x), 0);
	x = ev;
	x.host = "srv3"; /* hosts apply to events */
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &x), 0);
	x = ev;
	x.layer = "network";
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &x), 1);
	/* the alert filters still hold for alerts */
	vg_share_subject al = {.host = "srv1", .level = "medium"};
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_ALERTS, &al), 0);
	vg_share_policy_free(p);

	/* events selected with an empty selection: every event, default rate */
	p = parse("{\"streams\":[\"events\"]}");
	assert_int_equal(vg_share_policy_event_rate(p), VG_SHARE_EVENTS_DEFAULT_RATE);
	vg_share_subject bare = {0};
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &bare), 1);
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_ALERTS, &bare), 0);
	vg_share_policy_free(p);
	/* without the stream, no event */
	p = parse("{\"events\":{\"layers\":[\"host\"]}}");
	assert_int_equal(vg_share_policy_match(p, VG_SHARE_EVENTS, &ev), 0);
	j = vg_share_policy_json(p); /* the member given is kept */
	assert_non_null(json_object_get(j, "events"));
	json_decref(j);
	vg_share_policy_free(p);
	/* no events member in the canonical form of a policy without events */
	p = parse(NULL);
	j = vg_share_policy_json(p);
	assert_null(json_object_get(j, "events"));
	json_decref(j);
	vg_share_policy_free(p);

	refused("{\"events\":[]}", "\"events\" must be an object");
	refused("{\"events\":{\"colour\":1}}", "\"events\": unknown member \"colour\"");
	refused("{\"events\":{\"layers\":[\"cloud\"]}}", "\"events.layers\" must be an array of");
	refused("{\"events\":{\"layers\":\"host\"}}", "\"events.layers\"");
	refused("{\"events\":{\"outcomes\":[\"maybe\"]}}", "\"events.outcomes\"");
	refused("{\"events\":{\"categories\":[\"authentication\",\"weather\"]}}", "\"events.categories\"");
	refused("{\"events\":{\"datasets\":[\"\"]}}", "\"events.datasets\"[0]");
	refused("{\"events\":{\"max_per_second\":0}}", "\"events.max_per_second\" must be an integer 1..10000");
	refused("{\"events\":{\"max_per_second\":10001}}", "events.max_per_second");
	refused("{\"events\":{\"max_per_second\":\"5\"}}", "events.max_per_second");
}

/* vg_share_event_subject reads the facts of a nested event document. */
static void test_event_subject(void **state)
{
	(void)state;
	json_t *d = json_loads("{\"event\":{\"dataset\":\"sshd\",\"outcome\":\"failure\",\"category\":[\"authentication\","
			       "\"session\"]},\"host\":{\"hostname\":\"h1\"},\"vigil\":{\"layer\":\"host\",\"unit\":\"a/b\"}}",
			       0, NULL);
	assert_non_null(d);
	vg_share_subject s;
	vg_share_event_subject(d, NULL, &s);
	assert_string_equal(s.dataset, "sshd");
	assert_string_equal(s.outcome, "failure");
	assert_string_equal(s.layer, "host");
	assert_string_equal(s.host, "h1");
	assert_string_equal(s.unit, "a/b");
	assert_null(s.system);
	assert_int_equal(s.ncategories, 2);
	assert_string_equal(s.categories[1], "session");
	vg_share_event_subject(d, "10.0.0.1", &s);
	assert_string_equal(s.host, "10.0.0.1");
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_event_subject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
#include <stdio.h>
int main(void)
{
	puts("SKIP: src/share is not built into vigil_core yet (VG_WITH_SHARE)");
	return 0;
}
#endif
