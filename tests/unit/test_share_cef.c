/* test_share_cef.c — the wire formats of sharing: CEF escaping (header: \ and
 * |, newlines flattened; extension: \ and =, CR/LF as \r \n), the CEF line of
 * an alert and of a heartbeat, and the RFC 5424/5425 syslog frame: the
 * octet count is exact, the header fields and SD-ELEMENTs are as documented,
 * SD-PARAM values are escaped, and the signature covers exactly MSG. */
#ifdef VG_WITH_SHARE /* defined once src/share is in vigil_core (see docs/sharing.md) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "share/format.h"
#include "share/sink.h"

static const unsigned char KEY[VG_SHARE_PSEUDO_KEY] = {1};

static char *esc(int header, const char *s)
{
	vg_buf b = {0};
	assert_int_equal(header ? vg_cef_header_escape(&b, s, strlen(s)) : vg_cef_ext_escape(&b, s, strlen(s)), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	return b.data;
}

static void test_escaping(void **state)
{
	(void)state;
	char *s = esc(1, "a|b\\c\nd\re=f");
	assert_string_equal(s, "a\\|b\\\\c d e=f");
	free(s);
	s = esc(0, "a|b\\c\nd\re=f");
	assert_string_equal(s, "a|b\\\\c\\nd\\re\\=f");
	free(s);
	s = esc(0, "");
	assert_string_equal(s, "");
	free(s);
	s = esc(1, "plain");
	assert_string_equal(s, "plain");
	free(s);
}

static const char alert[] =
	"{\"v\":1,\"id\":\"alert-42\",\"seq\":7,\"kind\":\"alert\",\"origin\":\"org-a\",\"created\":\"2026-11-21T10:00:00.000000Z\","
	"\"data\":{\"@timestamp\":\"2026-11-21T09:59:59.5Z\",\"message\":\"a=b\\nc\",\"host\":{\"name\":\"web-1\"},"
	"\"source\":{\"ip\":\"203.0.113.9\"},\"user\":{\"name\":\"pn:00ff\"},"
	"\"rule\":{\"id\":\"r|1\",\"title\":\"SSH brute\\\\force\",\"level\":\"high\",\"tags\":[\"attack.t1110\",\"x\"]}}}";

static void test_cef_line(void **state)
{
	(void)state;
	vg_buf b = {0};
	assert_int_equal(vg_share_cef(&b, alert, strlen(alert)), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_string_equal(b.data, "CEF:0|Vigil|vigil|" VG_VERSION "|r\\|1|SSH brute\\\\force|8|externalId=alert-42 cn1=7 "
				    "cn1Label=seq cat=alert dvchost=org-a shost=web-1 src=203.0.113.9 suser=pn:00ff "
				    "cs1=high cs1Label=level cs2=attack.t1110,x cs2Label=tags "
				    "cs3=2026-11-21T09:59:59.5Z cs3Label=eventTime msg=a\\=b\\nc");
	vg_buf_free(&b);
	const char hb[] = "{\"v\":1,\"id\":\"heartbeat-9\",\"seq\":8,\"kind\":\"heartbeat\",\"origin\":\"o\","
			  "\"created\":\"x\",\"data\":{\"status\":\"alive\"}}";
	assert_int_equal(vg_share_cef(&b, hb, strlen(hb)), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_string_equal(b.data, "CEF:0|Vigil|vigil|" VG_VERSION "|vigil:heartbeat|heartbeat|0|externalId=heartbeat-9 "
				    "cn1=8 cn1Label=seq cat=heartbeat dvchost=o");
	vg_buf_free(&b);
	assert_int_equal(vg_share_cef(&b, "{\"id\":1}", 8), VG_EPARSE);
	assert_int_equal(vg_share_cef(&b, "not json", 8), VG_EPARSE);
	vg_buf_free(&b);
}

static void check_frame(const vg_share_keys *k, int format, const char *want_msg_prefix)
{
	vg_outbox_item it = {.seq = 7, .created_us = 1763719200000000LL, .payload = (char *)alert, .len = strlen(alert)};
	snprintf(it.item_id, sizeof(it.item_id), "alert-42\"]x");
	snprintf(it.kind, sizeof(it.kind), "alert");
	vg_buf b = {0};
	assert_int_equal(vg_share_syslog_frame(&b, &it, format, "host one", k), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	char *sp = strchr(b.data, ' ');
	assert_non_null(sp);
	assert_int_equal(strtoul(b.data, NULL, 10), strlen(sp + 1)); /* RFC 5425 octet count */
	const char head[] = "<131>1 2025-11-21T10:00:00.000000Z host_one vigil - alert [vigilsig@32473 alg=\"ed25519\" keyid=\"";
	assert_memory_equal(sp + 1, head, sizeof(head) - 1);
	assert_non_null(strstr(b.data, vg_share_key_id(k)));
	const char *ids = strstr(b.data, "][vigil@32473 id=\"alert-42\\\"\\]x\" seq=\"7\"] ");
	assert_non_null(ids);
	const char *msg = strstr(ids, "\"] ") + 3;
	assert_memory_equal(msg, want_msg_prefix, strlen(want_msg_prefix));
	const char *sig = strstr(b.data, "sig=\"") + 5;
	char sigb[VG_SHARE_SIG_B64];
	memcpy(sigb, sig, VG_SHARE_SIG_B64 - 1);
	sigb[VG_SHARE_SIG_B64 - 1] = '\0';
	assert_int_equal(sig[VG_SHARE_SIG_B64 - 1], '"');
	assert_true(vg_share_verify_b64(k, msg, strlen(msg), sigb));
	assert_false(vg_share_verify_b64(k, msg, strlen(msg) - 1, sigb));
	if (format == VG_SINK_JSON)
		assert_string_equal(msg, alert);
	vg_buf_free(&b);
}

static void test_syslog_frame(void **state)
{
	(void)state;
	vg_share_keys *k = NULL;
	assert_int_equal(vg_share_keys_mem(KEY, &k), 0);
	check_frame(k, VG_SINK_JSON, "{\"v\":1,\"id\":\"alert-42\"");
	check_frame(k, VG_SINK_CEF, "CEF:0|Vigil|vigil|");
	vg_share_keys_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_cef_line),
		cmocka_unit_test(test_syslog_frame),
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
