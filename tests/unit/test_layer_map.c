/* test_layer_map.c — the source/format -> layer table: real records through
 * the real parsers (syslog auth, UFW firewall via syslog, auditd, Apache,
 * Suricata EVE, Windows/Sysmon JSON) land in the documented layer; the
 * override rows win over the parser's layer, the parser's layer over the
 * fallback rows; fallbacks by input and agent record kind; every row of the
 * table is reachable and names a real layer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/logsource.h"
#include "net/agent_proto.h"
#include "parse/layer_map.h"
#include "parse/parse.h"

static vg_event *ev;

static int setup(void **state)
{
	(void)state;
	ev = vg_event_new();
	return ev == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_event_free(ev);
	return 0;
}

/* parses line with the named parser (falling back as the ingest does) */
static void parse(const char *parser, const char *line)
{
	vg_event_reset(ev, line, strlen(line), "-", 1);
	ev->year_hint = 2025;
	(void)vg_parse_record(vg_parser_find(parser), ev);
}

static void test_real_records(void **state)
{
	(void)state;
	parse("syslog", "<38>Nov 21 10:00:00 web01 sshd[123]: Failed password for root from 203.0.113.9 port 22 ssh2");
	assert_int_equal(vg_layer_assign(ev, "syslog-tcp"), VG_LAYER_HOST);

	parse("syslog", "<4>Nov 21 10:00:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.9 DST=10.0.0.1 "
			"PROTO=TCP SPT=4444 DPT=22");
	assert_int_equal(ev->category, VG_CATEGORY_FIREWALL);
	assert_int_equal(vg_layer_assign(ev, "syslog-udp"), VG_LAYER_NETWORK);

	parse("auditd", "type=EXECVE msg=audit(1700000000.123:42): argc=2 a0=\"ls\" a1=\"-l\"");
	assert_int_equal(vg_layer_assign(ev, "agent"), VG_LAYER_HOST);

	parse("apache_access", "203.0.113.9 - - [21/Nov/2025:10:00:00 +0000] \"GET /index.php HTTP/1.1\" 200 512 "
			       "\"-\" \"curl/8.0\"");
	assert_string_equal(ev->format, "apache_access");
	assert_int_equal(vg_layer_assign(ev, "agent"), VG_LAYER_APPLICATION);

	parse("json", "{\"timestamp\":\"2025-11-21T10:00:00.000000+0000\",\"event_type\":\"alert\","
		      "\"src_ip\":\"203.0.113.9\",\"dest_ip\":\"10.0.0.1\",\"alert\":{\"signature\":\"x\"}}");
	assert_int_equal(ev->product, VG_PRODUCT_SURICATA);
	assert_int_equal(vg_layer_assign(ev, "http"), VG_LAYER_NETWORK);

	parse("json", "{\"@timestamp\":\"2025-11-21T10:00:00Z\",\"winlog\":{\"channel\":"
		      "\"Microsoft-Windows-Sysmon/Operational\",\"event_id\":1,\"provider_name\":"
		      "\"Microsoft-Windows-Sysmon\",\"event_data\":{\"Image\":\"C:\\\\x.exe\"}}}");
	assert_int_equal(ev->product, VG_PRODUCT_WINDOWS);
	assert_int_equal(vg_layer_assign(ev, "agent"), VG_LAYER_ENDPOINT);
}

static void blank(void)
{
	static const char raw[] = "x";
	vg_event_reset(ev, raw, 1, "-", 1);
	ev->format = "raw";
	ev->layer = VG_LAYER_UNKNOWN;
	ev->product = ev->service = ev->category = 0;
}

static void test_order(void **state)
{
	(void)state;
	/* an override row beats the parser's own layer */
	blank();
	ev->layer = VG_LAYER_HOST;
	ev->product = VG_PRODUCT_LINUX;
	ev->category = VG_CATEGORY_FIREWALL;
	assert_int_equal(vg_layer_assign(ev, "syslog-udp"), VG_LAYER_NETWORK);
	ev->category = VG_CATEGORY_DATABASE;
	assert_int_equal(vg_layer_assign(ev, "agent"), VG_LAYER_HOST);
	/* the parser's layer beats the fallback rows */
	blank();
	ev->format = "json";
	ev->layer = VG_LAYER_APPLICATION;
	assert_int_equal(vg_layer_assign(ev, "syslog-tls"), VG_LAYER_APPLICATION);
	assert_int_equal(vg_layer_assign_kind(ev, "agent", VG_AP_KIND_JOURNAL), VG_LAYER_APPLICATION);
	/* fallbacks */
	blank();
	assert_int_equal(vg_layer_assign(ev, "syslog-udp"), VG_LAYER_HOST);
	assert_int_equal(vg_layer_assign(ev, "http"), VG_LAYER_UNKNOWN);
	assert_int_equal(vg_layer_assign(ev, NULL), VG_LAYER_UNKNOWN);
	assert_int_equal(vg_layer_assign_kind(ev, "agent", VG_AP_KIND_JOURNAL), VG_LAYER_HOST);
	assert_int_equal(vg_layer_assign_kind(ev, "agent", VG_AP_KIND_FILE), VG_LAYER_UNKNOWN);
	/* a parser layer out of range is not trusted */
	ev->layer = 9;
	assert_int_equal(vg_layer_assign(ev, "http"), VG_LAYER_UNKNOWN);
	assert_int_equal(vg_layer_assign(NULL, "syslog-udp"), VG_LAYER_HOST);
}

static void test_table(void **state)
{
	(void)state;
	size_t n;
	const vg_layer_row *rows = vg_layer_map_rows(&n);
	assert_true(n >= 15);
	int seen[5] = {0};
	for (size_t i = 0; i < n; i++) {
		const vg_layer_row *r = &rows[i];
		assert_true(r->layer >= VG_LAYER_NETWORK && r->layer <= VG_LAYER_ENDPOINT);
		assert_non_null(r->why);
		seen[r->layer]++;
		/* each row decides an event that has only its key */
		blank();
		const char *input = "http";
		uint8_t kind = 0;
		switch (r->key) {
		case VG_LK_PRODUCT: ev->product = r->id; break;
		case VG_LK_SERVICE: ev->service = r->id; break;
		case VG_LK_CATEGORY: ev->category = r->id; break;
		case VG_LK_FORMAT: ev->format = r->text; break;
		case VG_LK_AGENT_KIND: kind = r->id; break;
		case VG_LK_INPUT: input = "syslog-tcp"; break;
		default: fail_msg("row %zu: bad key %d", i, r->key);
		}
		assert_int_equal(vg_layer_assign_kind(ev, input, kind), r->layer);
	}
	for (int l = VG_LAYER_NETWORK; l <= VG_LAYER_ENDPOINT; l++)
		assert_true(seen[l] > 0);
	assert_int_equal(vg_layer_parse("network"), VG_LAYER_NETWORK);
	assert_int_equal(vg_layer_parse("endpoint"), VG_LAYER_ENDPOINT);
	assert_int_equal(vg_layer_parse("unknown"), VG_LAYER_UNKNOWN);
	assert_int_equal(vg_layer_parse("Network"), VG_LAYER_UNKNOWN);
	assert_int_equal(vg_layer_parse(NULL), VG_LAYER_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_records),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
