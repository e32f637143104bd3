/* test_parse_json.c — the "json" parser: every evtx regression document of
 * SigmaHQ's corpus, chosen Windows/EVE/Zeek/Winlogbeat/ECS documents with
 * their exact fields, and the limits (depth, field count, arena). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/logsource.h"
#include "parse/parse.h"

extern const vg_parser vg_parser_json;

static int parse(vg_event *ev, const char *doc, size_t n)
{
	vg_event_reset(ev, doc, n, "test", 1);
	return vg_parser_json.parse(ev);
}

static int parse_s(vg_event *ev, const char *doc)
{
	return parse(ev, doc, strlen(doc));
}

/* Number of values of a field. */
static size_t nvals(const vg_event *ev, const char *name)
{
	size_t n = strlen(name), pos = 0, count = 0;
	while (vg_event_next(ev, name, n, vg_field_hash(name, n), &pos) != NULL)
		count++;
	return count;
}

/* The k-th value of name equals val with type t. */
static void expect_nth(const vg_event *ev, const char *name, size_t k, const char *val, int t)
{
	size_t n = strlen(name), pos = 0;
	const vg_field *f = NULL;
	for (size_t i = 0; i <= k; i++) {
		f = vg_event_next(ev, name, n, vg_field_hash(name, n), &pos);
		if (f == NULL)
			fail_msg("field %s has no value #%zu", name, k);
	}
	if (f->val_len != strlen(val) || memcmp(f->val, val, f->val_len) != 0)
		fail_msg("field %s: got '%.*s', want '%s'", name, (int)f->val_len, f->val, val);
	assert_int_equal(f->type, t);
}

static void expect(const vg_event *ev, const char *name, const char *val)
{
	expect_nth(ev, name, 0, val, VG_V_STR);
	assert_int_equal(nvals(ev, name), 1);
}

static void expect_num(const vg_event *ev, const char *name, const char *val)
{
	expect_nth(ev, name, 0, val, VG_V_NUM);
	assert_int_equal(nvals(ev, name), 1);
}

static int setup(void **state)
{
	*state = vg_event_new();
	return *state == NULL;
}

static int teardown(void **state)
{
	vg_event_free(*state);
	return 0;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);
			assert_non_null(nb);
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		if (r == 0)
			break;
		len += r;
	}
	fclose(f);
	*n = len;
	return buf;
}

static char *corpus_path(const char *rel)
{
	const char *root = getenv("VG_CORPUS");
	if (root == NULL)
		root = "/work/shared/corpus";
	size_t n = strlen(root) + strlen(rel) + 2;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s/%s", root, rel);
	return p;
}

/* The k-th JSON document of a file holding several one after another:
 * brace depth, strings honoured. */
static int nth_doc(const char *buf, size_t n, size_t k, size_t *off, size_t *len)
{
	size_t i = 0, doc = 0;
	while (i < n) {
		while (i < n && buf[i] != '{')
			i++;
		if (i == n)
			return 0;
		size_t start = i;
		int depth = 0, in_str = 0;
		for (; i < n; i++) {
			char c = buf[i];
			if (in_str) {
				if (c == '\\')
					i++;
				else if (c == '"')
					in_str = 0;
			} else if (c == '"') {
				in_str = 1;
			} else if (c == '{') {
				depth++;
			} else if (c == '}' && --depth == 0) {
				i++;
				break;
			}
		}
		if (depth != 0)
			return 0;
		if (doc++ == k) {
			*off = start;
			*len = i - start;
			return 1;
		}
	}
	return 0;
}

/* Parse document k of a corpus file into ev; the buffer is returned for
 * the caller to free once done with ev. */
static char *parse_corpus(vg_event *ev, const char *rel, size_t k)
{
	char *path = corpus_path(rel);
	size_t n, off, len;
	char *buf = slurp(path, &n);
	if (buf == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	assert_true(nth_doc(buf, n, k, &off, &len));
	assert_int_equal(parse(ev, buf + off, len), 0);
	return buf;
}

/* ---- the whole regression corpus ---------------------------------------- */

static struct {
	vg_event *ev;
	size_t files, docs;
	size_t per_service[VG_SERVICE__COUNT];
	int failed;
} walk;

/* The Sigma category named by a directory of the path, if any (rules are
 * filed as .../windows/process_creation/..., .../registry/registry_set/...). */
static uint8_t category_of_path(const char *path)
{
	uint8_t found = 0;
	char comp[256];
	const char *p = path;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n < sizeof(comp)) {
			memcpy(comp, p, n);
			comp[n] = '\0';
			uint8_t id = vg_category_id(comp);
			if (id != VG_LS_ANY && id != VG_LS_UNKNOWN)
				found = id;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return found;
}

static int check_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t len = strlen(path);
	if (type != FTW_F || len < 5 || strcmp(path + len - 5, ".json") != 0)
		return 0;
	size_t n, off, dlen;
	char *buf = slurp(path, &n);
	if (buf == NULL)
		return -1;
	walk.files++;
	uint8_t want_cat = category_of_path(path);
	for (size_t k = 0; nth_doc(buf, n, k, &off, &dlen); k++) {
		vg_event *ev = walk.ev;
		walk.docs++;
		int r = parse(ev, buf + off, dlen);
		int ok = r == 0 && ev->product == VG_PRODUCT_WINDOWS && ev->layer == VG_LAYER_ENDPOINT &&
			 ev->service != VG_SERVICE_NONE && vg_event_get(ev, "winlog.event_id") != NULL &&
			 vg_event_get(ev, "winlog.channel") != NULL && ev->ts_us != VG_TS_NONE && ev->dropped == 0;
		if (ok && ev->service == VG_SERVICE_SYSMON && ev->category == VG_CATEGORY_NONE)
			ok = 0;
		if (ok && want_cat != 0) {
			if (want_cat == VG_CATEGORY_REGISTRY_EVENT)
				ok = ev->category == VG_CATEGORY_REGISTRY_ADD || ev->category == VG_CATEGORY_REGISTRY_DELETE ||
				     ev->category == VG_CATEGORY_REGISTRY_SET || ev->category == VG_CATEGORY_REGISTRY_RENAME;
			else
				ok = ev->category == want_cat;
		}
		if (!ok) {
			fprintf(stderr, "%s doc %zu: r=%d product=%u service=%u category=%u (want %u)\n", path, k, r,
				ev->product, ev->service, ev->category, want_cat);
			walk.failed++;
		}
		walk.per_service[ev->service]++;
	}
	free(buf);
	return 0;
}

static void test_regression_corpus(void **state)
{
	memset(&walk, 0, sizeof(walk));
	walk.ev = *state;
	char *root = corpus_path("sigma/regression");
	assert_int_equal(nftw(root, check_file, 16, FTW_PHYS), 0);
	free(root);
	assert_int_equal(walk.failed, 0);
	assert_int_equal(walk.files, 116);
	assert_int_equal(walk.docs, 134);
	assert_int_equal(walk.per_service[VG_SERVICE_SYSMON], 130);
	assert_int_equal(walk.per_service[VG_SERVICE_SECURITY], 2);
	assert_int_equal(walk.per_service[VG_SERVICE_WINDEFEND], 1);
	assert_int_equal(walk.per_service[VG_SERVICE_WMI], 1);
}

/* ---- chosen evtx documents ---------------------------------------------- */

static void test_evtx_sysmon_process_creation(void **state)
{
	vg_event *ev = *state;
	char *buf = parse_corpus(ev, "sigma/regression/rules-emerging-threats/2026/Exploits/CVE-2026-33829/"
				     "proc_creation_win_exploit_cve_2026_33829/7c3a5b1d-9e2f-4a8c-b5d7-1e0f3c6a9b2d.json", 0);
	assert_int_equal(ev->product, VG_PRODUCT_WINDOWS);
	assert_int_equal(ev->service, VG_SERVICE_SYSMON);
	assert_int_equal(ev->category, VG_CATEGORY_PROCESS_CREATION);
	assert_int_equal(ev->layer, VG_LAYER_ENDPOINT);
	assert_int_equal(ev->ts_us, 1776679235646624LL);
	expect_num(ev, "winlog.event_id", "1");
	expect_num(ev, "event.code", "1");
	expect(ev, "winlog.channel", "Microsoft-Windows-Sysmon/Operational");
	expect(ev, "winlog.provider_name", "Microsoft-Windows-Sysmon");
	expect(ev, "winlog.provider_guid", "5770385F-C22A-43E0-BF4C-06F5698FFBD9");
	expect(ev, "winlog.computer_name", "swachchhanda");
	expect(ev, "host.name", "swachchhanda");
	expect_num(ev, "winlog.record_id", "86918");
	expect_num(ev, "winlog.level", "4");
	expect_num(ev, "winlog.task", "1");
	expect_num(ev, "winlog.opcode", "0");
	expect(ev, "winlog.keywords", "0x8000000000000000");
	expect_num(ev, "winlog.process.pid", "3208");
	expect_num(ev, "winlog.process.thread.id", "1724");
	expect(ev, "winlog.user.identifier", "S-1-5-18");
	expect(ev, "winlog.event_data.Image",
	       "C:\\Program Files\\WindowsApps\\Microsoft.ScreenSketch_11.2601.12.0_arm64__8wekyb3d8bbwe\\SnippingTool\\SnippingTool.exe");
	expect(ev, "winlog.event_data.CommandLine",
	       "\"C:\\Program Files\\WindowsApps\\Microsoft.ScreenSketch_11.2601.12.0_arm64__8wekyb3d8bbwe\\SnippingTool\\"
	       "SnippingTool.exe\" ms-screensketch:edit?&filePath=%%5C%%5C172.16.137.159%%5Cshare");
	expect(ev, "winlog.event_data.ParentImage", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe");
	expect_num(ev, "winlog.event_data.ProcessId", "6180");
	expect(ev, "winlog.event_data.IntegrityLevel", "Medium");
	assert_null(vg_event_get(ev, "winlog.activity_id")); /* "Correlation": null */
	/* 16 System fields (Correlation is null) + 23 EventData members. */
	assert_int_equal(ev->nfields, 16 + 23);
	assert_int_equal(ev->dropped, 0);
	free(buf);

	/* The second document of the same file. */
	buf = parse_corpus(ev, "sigma/regression/rules-emerging-threats/2026/Exploits/CVE-2026-33829/"
			       "proc_creation_win_exploit_cve_2026_33829/7c3a5b1d-9e2f-4a8c-b5d7-1e0f3c6a9b2d.json", 1);
	expect_num(ev, "winlog.record_id", "86921");
	expect_num(ev, "winlog.event_data.ProcessId", "16492");
	free(buf);
}

static void test_evtx_userdata(void **state)
{
	vg_event *ev = *state;
	char *buf = parse_corpus(ev, "sigma/regression/rules/windows/builtin/wmi/win_wmi_activity_nteventlogfile_cleareventlog/"
				     "d4f1a2b3-7c8e-4d5f-b6a9-1e0c2d3f4e5b.json", 0);
	assert_int_equal(ev->service, VG_SERVICE_WMI);
	assert_int_equal(ev->category, VG_CATEGORY_NONE);
	assert_int_equal(ev->ts_us, 1782957927438557LL);
	expect_num(ev, "winlog.event_id", "5858");
	expect(ev, "winlog.activity_id", "8E521E2B-7C26-0001-417F-9C8E267CDB01");
	expect(ev, "winlog.event_data.Operation",
	       "Start IWbemServices::ExecMethod - ROOT\\CIMV2 : \\\\SWACHCHHANDA\\ROOT\\CIMV2:Win32_NTEventlogFile.Name=\""
	       "C:\\\\WINDOWS\\\\System32\\\\Winevt\\\\Logs\\\\System.evtx\"::cleareventlog");
	expect(ev, "winlog.event_data.ClientMachine", "SWACHCHHANDA");
	expect(ev, "winlog.event_data.User", "swachchhanda\\xodih");
	expect_num(ev, "winlog.event_data.ClientProcessId", "25920");
	expect(ev, "winlog.event_data.ResultCode", "0x80041003");
	/* The wrapper element's xmlns is not data. */
	assert_null(vg_event_get(ev, "winlog.event_data.xmlns"));
	assert_int_equal(ev->nfields, 17 + 8); /* System with activity id + UserData leaves */
	free(buf);
}

static void test_evtx_security_and_defender(void **state)
{
	vg_event *ev = *state;
	char *buf = parse_corpus(ev, "sigma/regression/rules/windows/builtin/security/win_security_explicit_credential_local_logon/"
				     "e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62.json", 0);
	assert_int_equal(ev->service, VG_SERVICE_SECURITY);
	assert_int_equal(ev->category, VG_CATEGORY_NONE);
	expect_num(ev, "winlog.event_id", "4648");
	expect(ev, "winlog.event_data.ProcessId", "0x378");
	expect(ev, "winlog.event_data.TargetUserName", "testuser");
	assert_null(vg_event_get(ev, "winlog.user.identifier")); /* "Security": null */
	free(buf);

	buf = parse_corpus(ev, "sigma/regression/rules-emerging-threats/2026/Exploits/RedSun/"
			       "win_defender_exploit_redsun_tiering_engine_detected_as_eicar/a7c3e5f2-8b1d-4e9a-b6c2-3d7f5e8a9b4c.json", 0);
	assert_int_equal(ev->service, VG_SERVICE_WINDEFEND);
	expect_num(ev, "winlog.event_id", "1119");
	/* Spaces dropped from data names, as SigmaHQ's rules write them. */
	expect(ev, "winlog.event_data.ThreatName", "Tool:Win32/EICAR_Test_File");
	expect(ev, "winlog.event_data.ActionName", "Quarantine");
	expect(ev, "winlog.event_data.SourceName", "Real-Time Protection");
	assert_null(vg_event_get(ev, "winlog.event_data.Threat Name"));
	free(buf);

	buf = parse_corpus(ev, "sigma/regression/rules/windows/registry/registry_delete/registry_delete_runmru/"
			       "3a9b8c1e-5b2e-4f7a-9d1c-2a7f3b6e1c55.json", 0);
	assert_int_equal(ev->service, VG_SERVICE_SYSMON);
	expect_num(ev, "winlog.event_id", "12");
	assert_int_equal(ev->category, VG_CATEGORY_REGISTRY_DELETE);
	free(buf);
}

/* EventID as {"#text", "#attributes": {"Qualifiers"}}, named Data items
 * (one without text), Binary, provider-based fallbacks. */
static void test_evtx_text_forms(void **state)
{
	vg_event *ev = *state;
	static const char doc[] =
		"{\"Event\":{\"#attributes\":{\"xmlns\":\"http://schemas.microsoft.com/win/2004/08/events/event\"},"
		"\"System\":{\"Provider\":{\"#attributes\":{\"Name\":\"Service Control Manager\","
		"\"Guid\":\"{555908d1-a6d7-4695-8e1e-26931d2012f4}\",\"EventSourceName\":\"Service Control Manager\"}},"
		"\"EventID\":{\"#attributes\":{\"Qualifiers\":16384},\"#text\":7045},\"Channel\":\"System\","
		"\"Computer\":\"WS01\",\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2024-01-02T03:04:05.5Z\"}}},"
		"\"EventData\":{\"Data\":[{\"#attributes\":{\"Name\":\"ServiceName\"},\"#text\":\"evil\"},"
		"{\"#attributes\":{\"Name\":\"ImagePath\"},\"#text\":\"C:\\\\evil.exe\"},"
		"{\"#attributes\":{\"Name\":\"StartType\"}}],\"Binary\":\"00FF\"}}}";
	assert_int_equal(parse_s(ev, doc), 0);
	assert_int_equal(ev->service, VG_SERVICE_SYSTEM);
	assert_int_equal(ev->category, VG_CATEGORY_NONE);
	assert_int_equal(ev->ts_us, 1704164645500000LL);
	expect_num(ev, "winlog.event_id", "7045");
	expect_num(ev, "event.code", "7045");
	expect(ev, "winlog.provider_name", "Service Control Manager");
	expect(ev, "winlog.event_data.ServiceName", "evil");
	expect(ev, "winlog.event_data.ImagePath", "C:\\evil.exe");
	expect(ev, "winlog.event_data.StartType", "");
	expect(ev, "winlog.event_data.Binary", "00FF");
	assert_int_equal(ev->nfields, 7 + 4);

	/* Unnamed Data items (classic channels): multi-valued winlog.event_data.Data. */
	static const char classic[] =
		"{\"Event\":{\"System\":{\"Provider\":{\"#attributes\":{\"Name\":\"PowerShell\"}},\"EventID\":"
		"{\"#attributes\":{\"Qualifiers\":0},\"#text\":\"400\"},\"Channel\":\"Windows PowerShell\"},"
		"\"EventData\":{\"Data\":[\"Available\",\"None\",\"\\tNewEngineState=Available\"]}}}";
	assert_int_equal(parse_s(ev, classic), 0);
	assert_int_equal(ev->service, VG_SERVICE_POWERSHELL_CLASSIC);
	assert_int_equal(ev->category, VG_CATEGORY_PS_CLASSIC_START);
	expect(ev, "winlog.event_id", "400");
	assert_int_equal(nvals(ev, "winlog.event_data.Data"), 3);
	expect_nth(ev, "winlog.event_data.Data", 0, "Available", VG_V_STR);
	expect_nth(ev, "winlog.event_data.Data", 2, "\tNewEngineState=Available", VG_V_STR);
	assert_int_equal(ev->ts_us, VG_TS_NONE);

	/* Data as {"#text": [...]} (evtx_dump for several unnamed items). */
	static const char text_array[] =
		"{\"Event\":{\"System\":{\"EventID\":600,\"Channel\":\"Windows PowerShell\"},"
		"\"EventData\":{\"Data\":{\"#text\":[\"Registry\",\"Started\"]}}}}";
	assert_int_equal(parse_s(ev, text_array), 0);
	assert_int_equal(ev->category, VG_CATEGORY_PS_CLASSIC_PROVIDER_START);
	assert_int_equal(nvals(ev, "winlog.event_data.Data"), 2);
	expect_nth(ev, "winlog.event_data.Data", 1, "Started", VG_V_STR);

	/* Forwarded events: the provider names the service; separate attribute
	 * objects (evtx_dump --separate-json-attributes); Sysmon 12 CreateKey. */
	static const char fwd[] =
		"{\"Event\":{\"System\":{\"Provider_attributes\":{\"Name\":\"Microsoft-Windows-Sysmon\"},"
		"\"EventID\":12,\"Channel\":\"ForwardedEvents\",\"TimeCreated_attributes\":{\"SystemTime\":"
		"\"2024-01-02T03:04:05.5Z\"}},\"EventData\":{\"EventType\":\"CreateKey\",\"TargetObject\":\"HKLM\\\\X\"}}}";
	assert_int_equal(parse_s(ev, fwd), 0);
	assert_int_equal(ev->service, VG_SERVICE_SYSMON);
	assert_int_equal(ev->category, VG_CATEGORY_REGISTRY_ADD);
	expect(ev, "winlog.provider_name", "Microsoft-Windows-Sysmon");
	expect(ev, "winlog.event_data.TargetObject", "HKLM\\X");
	assert_int_equal(ev->ts_us, 1704164645500000LL);

	/* Unknown channel and provider: still Windows, no service. */
	assert_int_equal(parse_s(ev, "{\"Event\":{\"System\":{\"EventID\":1,\"Channel\":\"Custom/Log\"}}}"), 0);
	assert_int_equal(ev->product, VG_PRODUCT_WINDOWS);
	assert_int_equal(ev->service, VG_SERVICE_NONE);
	assert_int_equal(ev->category, VG_CATEGORY_NONE);
	assert_int_equal(ev->nfields, 3);
}

static void test_winlogbeat(void **state)
{
	vg_event *ev = *state;
	static const char doc[] =
		"{\"@timestamp\":\"2019-05-24T14:23:14.123Z\",\"event\":{\"kind\":\"event\",\"action\":\"Process Creation\"},"
		"\"winlog\":{\"channel\":\"Security\",\"event_id\":4688,\"provider_name\":\"Microsoft-Windows-Security-Auditing\","
		"\"computer_name\":\"WIN-1\",\"record_id\":\"1234\",\"event_data\":{\"NewProcessName\":"
		"\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"CommandLine\":\"cmd.exe /c whoami\",\"SubjectUserName\":\"bob\"},"
		"\"process\":{\"pid\":4,\"thread\":{\"id\":68}}},\"message\":\"A new process has been created.\"}";
	assert_int_equal(parse_s(ev, doc), 0);
	assert_int_equal(ev->product, VG_PRODUCT_WINDOWS);
	assert_int_equal(ev->layer, VG_LAYER_ENDPOINT);
	assert_int_equal(ev->service, VG_SERVICE_SECURITY);
	assert_int_equal(ev->category, VG_CATEGORY_PROCESS_CREATION);
	assert_int_equal(ev->ts_us, 1558707794123000LL);
	expect_num(ev, "winlog.event_id", "4688");
	expect_num(ev, "event.code", "4688");
	expect(ev, "host.name", "WIN-1");
	expect(ev, "winlog.channel", "Security");
	expect(ev, "winlog.record_id", "1234");
	expect(ev, "winlog.event_data.CommandLine", "cmd.exe /c whoami");
	expect(ev, "winlog.event_data.NewProcessName", "C:\\Windows\\System32\\cmd.exe");
	expect_num(ev, "winlog.process.thread.id", "68");
	expect(ev, "event.action", "Process Creation");
	expect(ev, "message", "A new process has been created.");
	assert_int_equal(ev->nfields, 14 + 2); /* the document's + event.code, host.name */

	/* Defender through Winlogbeat: spaced data names squeezed too; the
	 * shipper's own event.code is not duplicated. */
	static const char def[] =
		"{\"winlog\":{\"channel\":\"Microsoft-Windows-Windows Defender/Operational\",\"event_id\":\"1116\","
		"\"event_data\":{\"Threat Name\":\"Virus:DOS/EICAR_Test_File\"}},\"event\":{\"code\":\"1116\"}}";
	assert_int_equal(parse_s(ev, def), 0);
	assert_int_equal(ev->service, VG_SERVICE_WINDEFEND);
	expect(ev, "winlog.event_data.ThreatName", "Virus:DOS/EICAR_Test_File");
	expect(ev, "event.code", "1116");
	assert_int_equal(ev->ts_us, VG_TS_NONE);
	assert_int_equal(ev->nfields, 4);
}

/* ---- Suricata EVE ------------------------------------------------------- */

static void test_eve_dns(void **state)
{
	vg_event *ev = *state;
	static const char doc[] =
		"{\"timestamp\":\"2017-02-07T12:12:12.123456+0100\",\"flow_id\":1234,\"in_iface\":\"eth0\","
		"\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\",\"src_port\":53000,\"dest_ip\":\"8.8.8.8\",\"dest_port\":53,"
		"\"proto\":\"UDP\",\"dns\":{\"type\":\"query\",\"id\":16000,\"rrname\":\"evil.example.com\",\"rrtype\":\"A\",\"tx_id\":0}}";
	assert_int_equal(parse_s(ev, doc), 0);
	assert_int_equal(ev->product, VG_PRODUCT_SURICATA);
	assert_int_equal(ev->layer, VG_LAYER_NETWORK);
	assert_int_equal(ev->service, VG_SERVICE_NONE);
	assert_int_equal(ev->category, VG_CATEGORY_DNS);
	assert_int_equal(ev->ts_us, 1486465932123456LL);
	expect(ev, "src_ip", "10.0.0.1");
	expect(ev, "dns.rrname", "evil.example.com");
	expect(ev, "source.ip", "10.0.0.1");
	expect_num(ev, "source.port", "53000");
	expect(ev, "destination.ip", "8.8.8.8");
	expect_num(ev, "destination.port", "53");
	expect(ev, "network.transport", "udp");
	expect(ev, "proto", "UDP");
	expect(ev, "dns.question.name", "evil.example.com");
	expect(ev, "dns.question.type", "A");
	assert_int_equal(ev->nfields, 14 + 7);

	/* EVE v3: queries array. */
	static const char v3[] =
		"{\"timestamp\":\"2024-03-01T00:00:00Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
		"\"dns\":{\"version\":3,\"type\":\"request\",\"queries\":[{\"rrname\":\"a.example\",\"rrtype\":\"A\"},"
		"{\"rrname\":\"b.example\",\"rrtype\":\"AAAA\"}]}}";
	assert_int_equal(parse_s(ev, v3), 0);
	assert_int_equal(ev->ts_us, 1709251200000000LL);
	assert_int_equal(nvals(ev, "dns.queries.rrname"), 2);
	assert_int_equal(nvals(ev, "dns.question.name"), 2);
	expect_nth(ev, "dns.question.name", 0, "a.example", VG_V_STR);
	expect_nth(ev, "dns.question.name", 1, "b.example", VG_V_STR);
	expect_nth(ev, "dns.question.type", 1, "AAAA", VG_V_STR);
}

static void test_eve_http_alert(void **state)
{
	vg_event *ev = *state;
	static const char http[] =
		"{\"timestamp\":\"2024-03-01T00:00:00.000000+0000\",\"event_type\":\"http\",\"src_ip\":\"10.0.0.5\","
		"\"src_port\":49152,\"dest_ip\":\"93.184.216.34\",\"dest_port\":80,\"proto\":\"TCP\",\"tx_id\":0,"
		"\"http\":{\"hostname\":\"www.example.com\",\"url\":\"/index.php?id=1'--\",\"http_user_agent\":\"curl/8.0\","
		"\"http_content_type\":\"text/html\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":45}}";
	assert_int_equal(parse_s(ev, http), 0);
	assert_int_equal(ev->category, VG_CATEGORY_NONE);
	assert_int_equal(ev->ts_us, 1709251200000000LL);
	expect(ev, "url.original", "/index.php?id=1'--");
	expect(ev, "url.domain", "www.example.com");
	expect(ev, "http.request.method", "GET");
	expect(ev, "user_agent.original", "curl/8.0");
	expect_num(ev, "http.response.status_code", "200");
	expect(ev, "network.transport", "tcp");
	expect_num(ev, "http.length", "45");

	static const char alert[] =
		"{\"timestamp\":\"2024-03-01T00:00:00Z\",\"event_type\":\"alert\",\"src_ip\":\"192.0.2.1\",\"dest_ip\":\"10.0.0.5\","
		"\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2100498,\"rev\":7,"
		"\"signature\":\"GPL ATTACK_RESPONSE id check returned root\",\"category\":\"Potentially Bad Traffic\","
		"\"severity\":2},\"app_proto\":\"http\"}";
	assert_int_equal(parse_s(ev, alert), 0);
	assert_int_equal(ev->product, VG_PRODUCT_SURICATA);
	assert_int_equal(ev->category, VG_CATEGORY_NONE);
	expect(ev, "rule.name", "GPL ATTACK_RESPONSE id check returned root");
	expect_num(ev, "rule.id", "2100498");
	expect(ev, "rule.category", "Potentially Bad Traffic");
	expect_num(ev, "event.severity", "2");
	expect(ev, "alert.action", "allowed");
	expect(ev, "network.protocol", "http");
	assert_null(vg_event_get(ev, "source.port"));
}

/* ---- Zeek --------------------------------------------------------------- */

static void test_zeek(void **state)
{
	vg_event *ev = *state;
	static const char dns[] =
		"{\"ts\":1591367999.305988,\"uid\":\"CMdzit1AMNsmfAIiQc\",\"id.orig_h\":\"192.168.4.76\",\"id.orig_p\":36844,"
		"\"id.resp_h\":\"192.168.4.1\",\"id.resp_p\":53,\"proto\":\"udp\",\"trans_id\":17012,\"query\":\"testmyids.com\","
		"\"qclass\":1,\"qclass_name\":\"C_INTERNET\",\"qtype\":1,\"qtype_name\":\"A\",\"rcode\":0,\"rcode_name\":\"NOERROR\","
		"\"AA\":false,\"TC\":false,\"RD\":true,\"RA\":true,\"Z\":0,\"answers\":[\"31.3.245.133\",\"31.3.245.134\"],"
		"\"TTLs\":[3600.0,0.25],\"rejected\":false}";
	assert_int_equal(parse_s(ev, dns), 0);
	assert_int_equal(ev->product, VG_PRODUCT_ZEEK);
	assert_int_equal(ev->layer, VG_LAYER_NETWORK);
	assert_int_equal(ev->service, VG_SERVICE_ZEEK_DNS);
	assert_int_equal(ev->category, VG_CATEGORY_DNS);
	assert_int_equal(ev->ts_us, 1591367999305988LL);
	expect_num(ev, "ts", "1591367999.305988");
	expect(ev, "id.orig_h", "192.168.4.76");
	expect(ev, "query", "testmyids.com");
	expect(ev, "source.ip", "192.168.4.76");
	expect_num(ev, "source.port", "36844");
	expect(ev, "destination.ip", "192.168.4.1");
	expect_num(ev, "destination.port", "53");
	expect(ev, "network.transport", "udp");
	expect(ev, "dns.question.name", "testmyids.com");
	expect(ev, "dns.question.type", "A");
	expect_nth(ev, "dns.answers.data", 1, "31.3.245.134", VG_V_STR);
	expect_nth(ev, "TTLs", 0, "3600", VG_V_NUM);
	expect_nth(ev, "TTLs", 1, "0.25", VG_V_NUM);
	expect_nth(ev, "RD", 0, "true", VG_V_BOOL);
	expect_nth(ev, "AA", 0, "false", VG_V_BOOL);

	static const char http[] =
		"{\"_path\":\"http\",\"ts\":\"2020-06-05T14:39:59.305988Z\",\"uid\":\"CHhAvVGS1DHFjwGM9\","
		"\"id.orig_h\":\"10.0.0.2\",\"id.orig_p\":51234,\"id.resp_h\":\"10.0.0.3\",\"id.resp_p\":80,"
		"\"trans_depth\":1,\"method\":\"GET\",\"host\":\"testmyids.com\",\"uri\":\"/uid/index.html\","
		"\"user_agent\":\"curl/7.47.0\",\"status_code\":200,\"tags\":[]}";
	assert_int_equal(parse_s(ev, http), 0);
	assert_int_equal(ev->service, VG_SERVICE_ZEEK_HTTP);
	assert_int_equal(ev->category, VG_CATEGORY_NONE);
	assert_int_equal(ev->ts_us, 1591367999305988LL);
	expect(ev, "url.original", "/uid/index.html");
	expect(ev, "url.domain", "testmyids.com");
	expect(ev, "http.request.method", "GET");
	expect(ev, "user_agent.original", "curl/7.47.0");
	expect_num(ev, "http.response.status_code", "200");
	assert_null(vg_event_get(ev, "tags")); /* empty array: no value */
	assert_null(vg_event_get(ev, "dns.question.name"));

	/* Nested "id" object and a log known by its keys only. */
	static const char conn[] =
		"{\"ts\":1591367999,\"uid\":\"C1\",\"id\":{\"orig_h\":\"1.2.3.4\",\"orig_p\":1025,\"resp_h\":\"5.6.7.8\","
		"\"resp_p\":445},\"proto\":\"tcp\",\"conn_state\":\"S0\"}";
	assert_int_equal(parse_s(ev, conn), 0);
	assert_int_equal(ev->service, VG_SERVICE_ZEEK_CONN);
	assert_int_equal(ev->ts_us, 1591367999000000LL);
	expect(ev, "source.ip", "1.2.3.4");
	expect_num(ev, "destination.port", "445");

	static const char smb[] =
		"{\"ts\":1591367999.5,\"uid\":\"C2\",\"fuid\":\"F1\",\"action\":\"SMB::FILE_OPEN\","
		"\"path\":\"\\\\\\\\host\\\\ADMIN$\",\"name\":\"PSEXESVC.exe\"}";
	assert_int_equal(parse_s(ev, smb), 0);
	assert_int_equal(ev->service, VG_SERVICE_ZEEK_SMB_FILES);
	expect(ev, "path", "\\\\host\\ADMIN$");
	assert_int_equal(ev->ts_us, 1591367999500000LL);

	assert_int_equal(parse_s(ev, "{\"_path\":\"weird\",\"ts\":1591367999,\"uid\":\"C3\",\"name\":\"x\"}"), 0);
	assert_int_equal(ev->product, VG_PRODUCT_ZEEK);
	assert_int_equal(ev->service, VG_SERVICE_NONE);
}

/* ---- generic ECS / JSON ------------------------------------------------- */

static void test_generic(void **state)
{
	vg_event *ev = *state;
	static const char doc[] =
		"{\"@timestamp\":\"2024-03-01T00:00:00Z\",\"event\":{\"category\":[\"session\",\"authentication\"],"
		"\"outcome\":\"failure\"},\"user\":{\"name\":\"root\"},\"tags\":[\"a\",\"b\"],\"n\":null,\"ok\":true,"
		"\"ratio\":0.1,\"e\":1e3,\"neg\":-17,\"big\":18446744073709551615,\"list\":[{\"a\":1},{\"a\":2,\"b\":[[3]]}],"
		"\"k.dotted\":\"v\"}";
	assert_int_equal(parse_s(ev, doc), 0);
	assert_int_equal(ev->product, VG_PRODUCT_NONE);
	assert_int_equal(ev->layer, VG_LAYER_HOST);
	assert_int_equal(ev->ts_us, 1709251200000000LL);
	expect_nth(ev, "event.category", 1, "authentication", VG_V_STR);
	expect(ev, "event.outcome", "failure");
	expect(ev, "user.name", "root");
	assert_int_equal(nvals(ev, "tags"), 2);
	expect_nth(ev, "tags", 1, "b", VG_V_STR);
	expect_nth(ev, "n", 0, "null", VG_V_NULL);
	expect_nth(ev, "ok", 0, "true", VG_V_BOOL);
	expect_num(ev, "ratio", "0.1");
	expect_num(ev, "e", "1000");
	expect_num(ev, "neg", "-17");
	expect_num(ev, "big", "1.8446744073709552e+19");
	assert_int_equal(nvals(ev, "list.a"), 2);
	expect_nth(ev, "list.a", 1, "2", VG_V_NUM);
	expect_num(ev, "list.b", "3");
	expect(ev, "k.dotted", "v");
	assert_int_equal(ev->nfields, 17);

	/* Epoch milliseconds under "time"; event.category decides the layer. */
	assert_int_equal(parse_s(ev, "{\"time\":1700000000123,\"event\":{\"category\":\"web\"}}"), 0);
	assert_int_equal(ev->ts_us, 1700000000123000LL);
	assert_int_equal(ev->layer, VG_LAYER_APPLICATION);
	assert_int_equal(parse_s(ev, "{\"timestamp\":\"1700000000.5\",\"event\":{\"category\":\"process\"}}"), 0);
	assert_int_equal(ev->ts_us, 1700000000500000LL);
	assert_int_equal(ev->layer, VG_LAYER_ENDPOINT);
	assert_int_equal(parse_s(ev, "{\"msg\":\"x\",\"event\":{\"category\":\"network\"}}"), 0);
	assert_int_equal(ev->ts_us, VG_TS_NONE);
	assert_int_equal(ev->layer, VG_LAYER_NETWORK);
	assert_int_equal(parse_s(ev, "{}"), 0);
	assert_int_equal(ev->nfields, 0);
	assert_int_equal(ev->layer, VG_LAYER_UNKNOWN);

	/* Pretty-printed, with the reader's trailing newline. */
	assert_int_equal(parse_s(ev, "{\n  \"a\": {\n    \"b\": \"c\"\n  }\n}\n"), 0);
	expect(ev, "a.b", "c");

	/* A UTF-8 byte-order mark before the document. */
	assert_int_equal(parse_s(ev, "\xEF\xBB\xBF{\"a\":\"b\"}"), 0);
	expect(ev, "a", "b");

	/* \u0000 inside a value is kept (length-delimited values). */
	assert_int_equal(parse_s(ev, "{\"a\":\"x\\u0000y\"}"), 0);
	const vg_field *f = vg_event_get(ev, "a");
	assert_non_null(f);
	assert_int_equal(f->val_len, 3);
	assert_memory_equal(f->val, "x\0y", 3);
}

static void test_rejects(void **state)
{
	vg_event *ev = *state;
	static const char *const bad[] = {
		"", "   \n", "[1,2]", "42", "\"s\"", "null", "{", "{\"a\":1} x", "{\"a\":1}{\"b\":2}",
		"{\"a\":\"\xff\xfe\"}", "{\"a\":}", "{'a':1}", "{\"a\":1,}", "{\"a\":1e999}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_s(ev, bad[i]) != VG_EPARSE)
			fail_msg("accepted: %s", bad[i]);
	/* Not NUL-terminated: only n bytes are read. */
	static const char cut[] = "{\"a\":1}garbage";
	assert_int_equal(parse(ev, cut, 7), 0);
	expect_num(ev, "a", "1");
}

/* ---- limits ------------------------------------------------------------- */

/* {"a":{"a":...{"b":1}...}} nested depth objects deep. */
static char *nested(int depth, size_t *n)
{
	char *s = malloc((size_t)depth * 6 + 16);
	assert_non_null(s);
	size_t k = 0;
	for (int i = 1; i < depth; i++)
		k += (size_t)sprintf(s + k, "{\"a\":");
	k += (size_t)sprintf(s + k, "{\"b\":1}");
	for (int i = 1; i < depth; i++)
		s[k++] = '}';
	s[k] = '\0';
	*n = k;
	return s;
}

static void test_depth(void **state)
{
	vg_event *ev = *state;
	size_t n;
	char *s = nested(VG_MAX_JSON_DEPTH, &n);
	assert_int_equal(parse(ev, s, n), 0);
	assert_int_equal(ev->nfields, 1);
	assert_int_equal(ev->fields[0].name_len, (VG_MAX_JSON_DEPTH - 1) * 2 + 1);
	free(s);

	/* One deeper: rejected whole (the record stays a raw event upstream). */
	s = nested(VG_MAX_JSON_DEPTH + 1, &n);
	assert_int_equal(parse(ev, s, n), VG_EPARSE);
	free(s);

	s = nested(1000, &n);
	assert_int_equal(parse(ev, s, n), VG_EPARSE);
	free(s);

	/* UserData at the limit: its deepest leaf still becomes event data. */
	char ud[1024];
	size_t k = (size_t)sprintf(ud, "{\"Event\":{\"System\":{\"EventID\":1,\"Channel\":\"System\"},\"UserData\":{\"W\":");
	for (int i = 4; i < VG_MAX_JSON_DEPTH; i++) /* W is depth 4; the last object depth 32 */
		k += (size_t)sprintf(ud + k, "{\"a\":");
	k += (size_t)sprintf(ud + k, "{\"Leaf\":\"x\"}");
	for (int i = 4; i < VG_MAX_JSON_DEPTH; i++)
		ud[k++] = '}';
	k += (size_t)sprintf(ud + k, "}}}");
	assert_int_equal(parse(ev, ud, k), 0);
	expect(ev, "winlog.event_data.Leaf", "x");
	assert_int_equal(ev->dropped, 0);

	/* 1000 nested arrays, and brackets inside a string, which do not nest. */
	char *arr = malloc(2100);
	assert_non_null(arr);
	k = (size_t)sprintf(arr, "{\"a\":");
	memset(arr + k, '[', 1000);
	memset(arr + k + 1000, ']', 1000);
	strcpy(arr + k + 2000, "}");
	assert_int_equal(parse_s(ev, arr), VG_EPARSE);
	k = (size_t)sprintf(arr, "{\"a\":\"");
	memset(arr + k, '[', 1000);
	strcpy(arr + k + 1000, "\\\"\"}");
	assert_int_equal(parse_s(ev, arr), 0);
	assert_int_equal(ev->nfields, 1);
	assert_int_equal(ev->fields[0].val_len, 1001);
	free(arr);
}

static void test_field_cap(void **state)
{
	vg_event *ev = *state;
	size_t cap = 10000 * 16 + 4, k = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	s[k++] = '{';
	for (int i = 0; i < 10000; i++)
		k += (size_t)snprintf(s + k, cap - k, "%s\"k%d\":%d", i ? "," : "", i, i);
	s[k++] = '}';
	assert_int_equal(parse(ev, s, k), 0);
	assert_int_equal(ev->nfields, VG_MAX_FIELDS);
	assert_int_equal(ev->dropped, 10000 - VG_MAX_FIELDS);
	expect_num(ev, "k0", "0");
	expect_num(ev, "k511", "511");
	assert_null(vg_event_get(ev, "k512"));
	free(s);

	/* A name past VG_MAX_FIELD_NAME is dropped and counted. */
	char doc[2 * VG_MAX_FIELD_NAME + 64];
	k = (size_t)sprintf(doc, "{\"x\":1,\"");
	memset(doc + k, 'n', 300);
	k += 300;
	k += (size_t)sprintf(doc + k, "\":2}");
	assert_int_equal(parse(ev, doc, k), 0);
	assert_int_equal(ev->nfields, 1);
	assert_int_equal(ev->dropped, 1);

	/* Exactly VG_MAX_FIELD_NAME is kept; a member below it cannot be named. */
	k = (size_t)sprintf(doc, "{\"");
	memset(doc + k, 'n', VG_MAX_FIELD_NAME);
	k += VG_MAX_FIELD_NAME;
	k += (size_t)sprintf(doc + k, "\":{\"b\":1},\"");
	memset(doc + k, 'm', VG_MAX_FIELD_NAME);
	k += VG_MAX_FIELD_NAME;
	k += (size_t)sprintf(doc + k, "\":2}");
	assert_true(k < sizeof(doc));
	assert_int_equal(parse(ev, doc, k), 0);
	assert_int_equal(ev->nfields, 1);
	assert_int_equal(ev->fields[0].name_len, VG_MAX_FIELD_NAME);
	assert_int_equal(ev->dropped, 1);

	/* A value larger than the event arena is dropped; the rest is kept. */
	size_t big = VG_EVENT_ARENA + 1000;
	char *b = malloc(big + 64);
	assert_non_null(b);
	k = (size_t)sprintf(b, "{\"big\":\"");
	memset(b + k, 'x', big);
	k += big;
	k += (size_t)sprintf(b + k, "\",\"small\":\"y\"}");
	assert_int_equal(parse(ev, b, k), 0);
	assert_null(vg_event_get(ev, "big"));
	expect(ev, "small", "y");
	assert_int_equal(ev->dropped, 1);
	free(b);
}

static void test_probe(void **state)
{
	(void)state;
	assert_int_equal(vg_parser_json.probe("{\"a\":1}", 7), 90);
	assert_int_equal(vg_parser_json.probe("  {", 3), 90);
	assert_int_equal(vg_parser_json.probe("{", 1), 90);
	assert_int_equal(vg_parser_json.probe("\xEF\xBB\xBF{\"a\":1}", 10), 90);
	assert_int_equal(vg_parser_json.probe("  \"Event\": {", 12), 0);
	assert_int_equal(vg_parser_json.probe("[1]", 3), 0);
	assert_int_equal(vg_parser_json.probe("Jun 14 15:16:01 combo sshd", 26), 0);
	assert_int_equal(vg_parser_json.probe("", 0), 0);
	assert_string_equal(vg_parser_json.name, "json");
	assert_int_equal(vg_parser_json.framing, VG_FRAME_JSON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regression_corpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evtx_sysmon_process_creation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evtx_userdata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evtx_security_and_defender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evtx_text_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_winlogbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eve_dns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eve_http_alert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zeek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_cap, setup, teardown),
		cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
