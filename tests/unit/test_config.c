/* test_config.c — key tables (core/config.h) and the server and agent
 * tables: every type's good and bad values with the exact messages, the
 * YAML rules (nesting, duplicates, aliases, limits), flags over the file,
 * dump round trips, help, and that docs/config.md and examples/ agree
 * with the tables. Real files in a temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_config.h"
#include "core/config.h"
#include "server/server_config.h"

/* ------------------------------------------------------------ fixtures */

static char tdir[64];
static int nfile;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/vg_config_XXXXXX");
	return mkdtemp(tdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes len bytes to a new file in the temp dir; path out. */
static void write_file(char *path, size_t cap, const char *data, size_t len)
{
	snprintf(path, cap, "%s/c%d.yml", tdir, nfile++);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A table with every type. */
struct tcfg {
	char *name;
	char *dir;
	char *addr;
	char *peer;
	char *opt;
	bool flag;
	int64_t count;
	uint64_t size;
	uint64_t wait_ms;
	int mode;
	vg_config_list items;
	char *token;
};

static const char *const modes[] = {"fast", "safe", NULL};

#define T(x) offsetof(struct tcfg, x)
static const vg_config_key tkeys[] = {
	{.name = "name", .type = VG_CFG_STRING, .def = "vigil", .offset = T(name), .help = "a name"},
	{.name = "dir", .type = VG_CFG_PATH, .def = "/tmp", .offset = T(dir), .help = "a path"},
	{.name = "net.addr", .type = VG_CFG_ADDR, .def = "127.0.0.1:80", .offset = T(addr), .help = "an address"},
	{.name = "net.peer", .type = VG_CFG_HOSTPORT, .def = "localhost:443", .offset = T(peer), .help = "a peer"},
	{.name = "net.opt", .type = VG_CFG_ADDR, .def = "", .offset = T(opt), .flags = VG_CFG_OPTIONAL,
	 .help = "optional address"},
	{.name = "flag", .type = VG_CFG_BOOL, .def = "false", .offset = T(flag), .help = "a flag"},
	{.name = "limits.count", .type = VG_CFG_INT, .def = "5", .offset = T(count), .min = -10, .max = 100,
	 .help = "a count"},
	{.name = "limits.size", .type = VG_CFG_BYTES, .def = "1KiB", .offset = T(size), .min = 0,
	 .max = 1024ll * 1024 * 1024, .help = "a size"},
	{.name = "limits.wait", .type = VG_CFG_DURATION, .def = "2s", .offset = T(wait_ms), .help = "a wait"},
	{.name = "mode", .type = VG_CFG_ENUM, .def = "safe", .offset = T(mode), .words = modes, .help = "a mode"},
	{.name = "items", .type = VG_CFG_LIST, .def = "", .offset = T(items), .help = "items"},
	{.name = "auth.token", .type = VG_CFG_STRING, .def = "s3cret", .offset = T(token), .flags = VG_CFG_SECRET,
	 .help = "a secret"},
};
#define NT (sizeof(tkeys) / sizeof(tkeys[0]))

static void tdefaults(struct tcfg *c)
{
	char why[256];
	memset(c, 0x5a, sizeof(*c)); /* defaults must set every field */
	assert_int_equal(vg_config_defaults(tkeys, NT, c, why, sizeof(why)), 0);
}

/* Loads yaml text (written to a file) over defaults; r, path and why out. */
static int tload(struct tcfg *c, const char *yaml, char *path, size_t pathcap, char *why, size_t whylen)
{
	write_file(path, pathcap, yaml, strlen(yaml));
	tdefaults(c);
	why[0] = '\0';
	return vg_config_load_yaml(tkeys, NT, c, path, why, whylen);
}

/* Asserts that yaml fails with exactly "PATH:LINE:COL: msg". */
static void expect_error(const char *yaml, int code, int line, int col, const char *msg)
{
	struct tcfg c;
	char path[128], why[512], want[768];
	int r = tload(&c, yaml, path, sizeof(path), why, sizeof(why));
	snprintf(want, sizeof(want), "%s:%d:%d: %s", path, line, col, msg);
	if (r != code || strcmp(why, want) != 0)
		fail_msg("yaml <<%s>>: got r=%d '%s', want r=%d '%s'", yaml, r, why, code, want);
	/* nothing of the file applied */
	assert_string_equal(c.name, "vigil");
	assert_int_equal(c.count, 5);
	assert_int_equal(c.items.n, 0);
	vg_config_free(tkeys, NT, &c);
}

static bool same_value(const vg_config_key *k, const void *a, const void *b)
{
	const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;
	switch (k->type) {
	case VG_CFG_STRING:
	case VG_CFG_PATH:
	case VG_CFG_ADDR:
	case VG_CFG_HOSTPORT:
		return strcmp(*(char *const *)(const void *)fa, *(char *const *)(const void *)fb) == 0;
	case VG_CFG_BOOL: return *(const bool *)(const void *)fa == *(const bool *)(const void *)fb;
	case VG_CFG_INT: return *(const int64_t *)(const void *)fa == *(const int64_t *)(const void *)fb;
	case VG_CFG_BYTES:
	case VG_CFG_DURATION: return *(const uint64_t *)(const void *)fa == *(const uint64_t *)(const void *)fb;
	case VG_CFG_ENUM: return *(const int *)(const void *)fa == *(const int *)(const void *)fb;
	case VG_CFG_LIST: {
		const vg_config_list *la = (const void *)fa, *lb = (const void *)fb;
		if (la->n != lb->n)
			return false;
		for (size_t i = 0; i < la->n; i++)
			if (strcmp(la->v[i], lb->v[i]) != 0)
				return false;
		return true;
	}
	default: return false;
	}
}

/* The dump of s as a string (caller frees). */
static char *dump_str(const vg_config_key *t, size_t n, const void *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	vg_config_dump(t, n, s, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* ------------------------------------------------------------ tables */

static void test_tables_valid(void **state)
{
	(void)state;
	char why[256] = "";
	int r = vg_config_check_table(vg_server_config_keys, vg_server_config_nkeys, why, sizeof(why));
	if (r != 0)
		fail_msg("server table: %s", why);
	r = vg_config_check_table(vg_agent_config_keys, vg_agent_config_nkeys, why, sizeof(why));
	if (r != 0)
		fail_msg("agent table: %s", why);
	assert_int_equal(vg_config_check_table(tkeys, NT, why, sizeof(why)), 0);
	assert_int_equal(vg_server_config_nkeys, 23);
	assert_int_equal(vg_agent_config_nkeys, 14);
}

static void test_tables_refused(void **state)
{
	(void)state;
	char why[256];
	struct tcfg c;
	const vg_config_key clash[] = {
		{.name = "journal", .type = VG_CFG_BOOL, .def = "false", .help = "h"},
		{.name = "journal.directory", .type = VG_CFG_PATH, .def = "/x", .help = "h"},
	};
	assert_int_equal(vg_config_check_table(clash, 2, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "key 'journal' is also the section of 'journal.directory'");
	const vg_config_key gap[] = {
		{.name = "a.x", .type = VG_CFG_BOOL, .def = "false", .help = "h"},
		{.name = "b", .type = VG_CFG_BOOL, .def = "false", .help = "h"},
		{.name = "a.y", .type = VG_CFG_BOOL, .def = "false", .help = "h"},
	};
	assert_int_equal(vg_config_check_table(gap, 3, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "key 'a.y': rows of section 'a' are not contiguous");
	const vg_config_key baddef[] = {
		{.name = "n", .type = VG_CFG_INT, .def = "abc", .help = "h"},
	};
	assert_int_equal(vg_config_check_table(baddef, 1, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "key 'n': default: expected an integer, got 'abc'");
	const vg_config_key outside[] = {
		{.name = "n", .type = VG_CFG_INT, .def = "1", .min = 2, .max = 3, .help = "h"},
	};
	assert_int_equal(vg_config_check_table(outside, 1, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "key 'n': default: must be between 2 and 3, got 1");
	const vg_config_key twice[] = {
		{.name = "n", .type = VG_CFG_INT, .def = "1", .help = "h"},
		{.name = "n", .type = VG_CFG_INT, .def = "1", .help = "h"},
	};
	assert_int_equal(vg_config_check_table(twice, 2, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "key 'n': defined twice");
	const vg_config_key badname[] = {
		{.name = "Listen..x", .type = VG_CFG_INT, .def = "1", .help = "h"},
	};
	assert_int_equal(vg_config_check_table(badname, 1, why, sizeof(why)), VG_EINVAL);
	const vg_config_key nohelp[] = {
		{.name = "n", .type = VG_CFG_INT, .def = "1"},
	};
	assert_int_equal(vg_config_check_table(nohelp, 1, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "key 'n': help must be one non-empty line");
	/* a broken default is also reported by vg_config_defaults */
	memset(&c, 0, sizeof(c));
	const vg_config_key bad2[] = {
		{.name = "name", .type = VG_CFG_STRING, .def = "ok", .offset = T(name), .help = "h"},
		{.name = "count", .type = VG_CFG_INT, .def = "x", .offset = T(count), .help = "h"},
	};
	assert_int_equal(vg_config_defaults(bad2, 2, &c, why, sizeof(why)), VG_EPARSE);
	assert_string_equal(why, "key 'count': default: expected an integer, got 'x'");
	assert_string_equal(c.name, "ok");
	vg_config_free(bad2, 2, &c);
	assert_null(c.name);
}

/* ------------------------------------------------------------ defaults */

static void test_server_defaults(void **state)
{
	(void)state;
	vg_server_config c;
	char why[256];
	assert_int_equal(vg_server_config_load(&c, NULL, why, sizeof(why)), 0);
	assert_string_equal(c.data_dir, "/var/lib/vigil");
	assert_string_equal(c.listen_agents, "0.0.0.0:5515");
	assert_string_equal(c.listen_syslog, "0.0.0.0:5514");
	assert_string_equal(c.listen_syslog_tls, "");
	assert_string_equal(c.listen_api, "0.0.0.0:8443");
	assert_false(c.syslog_tls_require_client_cert);
	assert_int_equal(c.rules_paths.n, 0);
	assert_true(c.rules_builtin);
	assert_int_equal(c.archive_segment_bytes, 64ull << 20);
	assert_int_equal(c.archive_max_age_ms, 0);
	assert_int_equal(c.archive_max_bytes, 0);
	assert_int_equal(c.archive_retention_interval_ms, 3600000);
	assert_int_equal(c.ingest_sync_interval_ms, 100);
	assert_int_equal(c.ingest_sync_events, 50000);
	assert_int_equal(c.correlation_lateness_ms, 300000);
	assert_int_equal(c.agents_max_connections, 4096);
	assert_int_equal(c.agents_heartbeat_timeout_ms, 300000);
	assert_int_equal(c.api_max_body, 16ull << 20);
	assert_int_equal(c.api_threads, 4);
	assert_int_equal(c.tls_server_names.n, 0);
	assert_int_equal(vg_server_config_check(&c, why, sizeof(why)), 0);
	vg_server_config_free(&c);
	assert_null(c.data_dir);
	vg_server_config_free(&c); /* twice is harmless */
	vg_server_config_free(NULL);
}

static void test_agent_defaults(void **state)
{
	(void)state;
	vg_agent_config c;
	char why[256];
	assert_int_equal(vg_agent_config_load(&c, NULL, why, sizeof(why)), 0);
	assert_string_equal(c.server, "");
	assert_string_equal(c.data_dir, "/var/lib/vigil-agent");
	assert_int_equal(c.tail.n, 0);
	assert_false(c.journal_enabled);
	assert_string_equal(c.journal_directory, "");
	assert_int_equal(c.heartbeat_interval_ms, 60000);
	assert_int_equal(c.queue_max_bytes, 1ull << 30);
	assert_int_equal(c.queue_segment_bytes, 16ull << 20);
	assert_int_equal(c.queue_policy, VG_AGENT_QUEUE_BLOCK);
	assert_int_equal(c.send_batch_events, 5000);
	assert_int_equal(c.send_batch_bytes, 1ull << 20);
	assert_int_equal(c.send_backoff_min_ms, 500);
	assert_int_equal(c.send_backoff_max_ms, 30000);
	assert_string_equal(c.hostname, "");
	/* server is required */
	assert_int_equal(vg_agent_config_check(&c, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "server: required (HOST:PORT of the vigil server; in the config file or a flag)");
	vg_agent_config_free(&c);
}

/* ------------------------------------------------------------ values */

static void test_good_values(void **state)
{
	(void)state;
	struct tcfg c;
	char path[128], why[512];
	static const struct {
		const char *yaml;
		const char *s;  /* expected string field (which one: by key) */
		int64_t i;      /* expected number */
	} cases[] = {
		{"name: hello world", "hello world", 0},
		{"name: \"123\"", "123", 0},
		{"name: 'it''s \"q\" \\\\'", "it's \"q\" \\\\", 0},
		{"name: !!str 5", "5", 0},
		{"name: \"\\u00e9t\\u00e9\"", "\xc3\xa9t\xc3\xa9", 0},
		{"dir: /var/lib/a b", "/var/lib/a b", 0},
		{"net.addr: \"[::1]:8443\"", "[::1]:8443", 0},
		{"net.addr: 10.0.0.1:65535", "10.0.0.1:65535", 0},
		{"net.addr: 0.0.0.0:1", "0.0.0.0:1", 0},
		{"net.peer: siem.example.org:5515", "siem.example.org:5515", 0},
		{"net.peer: \"[2001:db8::1]:1\"", "[2001:db8::1]:1", 0},
		{"net.peer: 192.0.2.1:9", "192.0.2.1:9", 0},
		{"net.peer: a-1.b2:7", "a-1.b2:7", 0},
		{"net.opt: \"\"", "", 0},
		{"net.opt:", "", 0},
		{"net.opt: ~", "", 0},
		{"flag: true", NULL, 1},
		{"flag: yes", NULL, 1},
		{"flag: On", NULL, 1},
		{"flag: \"TRUE\"", NULL, 1},
		{"flag: FALSE", NULL, 0},
		{"flag: off", NULL, 0},
		{"flag: no", NULL, 0},
		{"limits.count: -10", NULL, -10},
		{"limits.count: 100", NULL, 100},
		{"limits.count: \"0\"", NULL, 0},
		{"limits.size: 64MiB", NULL, 64ll << 20},
		{"limits.size: 500KB", NULL, 500000},
		{"limits.size: 1048576", NULL, 1048576},
		{"limits.size: 1 GiB", NULL, 1ll << 30},
		{"limits.size: 3kib", NULL, 3072},
		{"limits.size: 2MB", NULL, 2000000},
		{"limits.size: 7B", NULL, 7},
		{"limits.size: 0", NULL, 0},
		{"limits.wait: 100ms", NULL, 100},
		{"limits.wait: 30s", NULL, 30000},
		{"limits.wait: 5m", NULL, 300000},
		{"limits.wait: 24h", NULL, 86400000},
		{"limits.wait: 7d", NULL, 604800000},
		{"limits.wait: 45", NULL, 45000},
		{"limits.wait: 0", NULL, 0},
		{"limits.wait: 36500d", NULL, 36500ll * 86400000},
		{"mode: fast", NULL, 0},
		{"mode: safe", NULL, 1},
		{"items: [a, \"b c\", /x/*.log]", NULL, 3},
		{"items:\n  - one\n  - two", NULL, 2},
		{"items: []", NULL, 0},
		{"items:", NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = tload(&c, cases[i].yaml, path, sizeof(path), why, sizeof(why));
		if (r != 0)
			fail_msg("<<%s>>: %s", cases[i].yaml, why);
		const char *y = cases[i].yaml;
		const char *s = NULL;
		int64_t v = 0;
		if (strncmp(y, "name:", 5) == 0)
			s = c.name;
		else if (strncmp(y, "dir:", 4) == 0)
			s = c.dir;
		else if (strncmp(y, "net.addr:", 9) == 0)
			s = c.addr;
		else if (strncmp(y, "net.peer:", 9) == 0)
			s = c.peer;
		else if (strncmp(y, "net.opt:", 8) == 0)
			s = c.opt;
		else if (strncmp(y, "flag:", 5) == 0)
			v = c.flag;
		else if (strncmp(y, "limits.count:", 13) == 0)
			v = c.count;
		else if (strncmp(y, "limits.size:", 12) == 0)
			v = (int64_t)c.size;
		else if (strncmp(y, "limits.wait:", 12) == 0)
			v = (int64_t)c.wait_ms;
		else if (strncmp(y, "mode:", 5) == 0)
			v = c.mode;
		else if (strncmp(y, "items:", 6) == 0)
			v = (int64_t)c.items.n;
		if (cases[i].s != NULL) {
			assert_non_null(s);
			if (strcmp(s, cases[i].s) != 0)
				fail_msg("<<%s>>: got '%s', want '%s'", y, s, cases[i].s);
		} else if (v != cases[i].i) {
			fail_msg("<<%s>>: got %lld, want %lld", y, (long long)v, (long long)cases[i].i);
		}
		if (strncmp(y, "items: [a", 9) == 0) {
			assert_string_equal(c.items.v[0], "a");
			assert_string_equal(c.items.v[1], "b c");
			assert_string_equal(c.items.v[2], "/x/*.log");
		}
		vg_config_free(tkeys, NT, &c);
	}
}

static void test_bad_values(void **state)
{
	(void)state;
	static const struct {
		const char *yaml;
		int col;
		const char *msg;
	} cases[] = {
		{"net.addr: localhost:80", 11,
		 "key 'net.addr': expected IPV4:PORT or [IPV6]:PORT (numeric), got 'localhost:80'"},
		{"net.addr: 1.2.3.4:0", 11, "key 'net.addr': port must be 1..65535 in '1.2.3.4:0'"},
		{"net.addr: 1.2.3.4:65536", 11, "key 'net.addr': port must be 1..65535 in '1.2.3.4:65536'"},
		{"net.addr: 1.2.3.4:80x", 11, "key 'net.addr': port must be 1..65535 in '1.2.3.4:80x'"},
		{"net.addr: 1.2.3.4", 11, "key 'net.addr': expected IPV4:PORT or [IPV6]:PORT (numeric), got '1.2.3.4'"},
		{"net.addr: \"::1:80\"", 11,
		 "key 'net.addr': expected IPV4:PORT or [IPV6]:PORT (numeric), got '::1:80'"},
		{"net.addr: \"[::1]\"", 11, "key 'net.addr': expected IPV4:PORT or [IPV6]:PORT (numeric), got '[::1]'"},
		{"net.addr: 1.2.3.256:1", 11,
		 "key 'net.addr': expected IPV4:PORT or [IPV6]:PORT (numeric), got '1.2.3.256:1'"},
		{"net.addr: \"\"", 11, "key 'net.addr': must not be empty"},
		{"net.addr:", 10, "key 'net.addr': must not be empty"},
		{"net.peer: bad_name:80", 11, "key 'net.peer': expected HOST:PORT or [IPV6]:PORT, got 'bad_name:80'"},
		{"net.peer: 1.2.3.999:80", 11, "key 'net.peer': expected HOST:PORT or [IPV6]:PORT, got '1.2.3.999:80'"},
		{"net.peer: -a.com:1", 11, "key 'net.peer': expected HOST:PORT or [IPV6]:PORT, got '-a.com:1'"},
		{"net.peer: a..b:1", 11, "key 'net.peer': expected HOST:PORT or [IPV6]:PORT, got 'a..b:1'"},
		{"flag: maybe", 7, "key 'flag': expected true or false, got 'maybe'"},
		{"flag: 1", 7, "key 'flag': expected true or false, got '1'"},
		{"flag:", 6, "key 'flag': expected true or false, got ''"},
		{"limits.count: 101", 15, "key 'limits.count': must be between -10 and 100, got 101"},
		{"limits.count: -11", 15, "key 'limits.count': must be between -10 and 100, got -11"},
		{"limits.count: 1.5", 15, "key 'limits.count': expected an integer, got '1.5'"},
		{"limits.count: 0x10", 15, "key 'limits.count': expected an integer, got '0x10'"},
		{"limits.count: +5", 15, "key 'limits.count': expected an integer, got '+5'"},
		{"limits.count: 99999999999999999999", 15,
		 "key 'limits.count': expected an integer, got '99999999999999999999'"},
		{"limits.size: 2GiB", 14, "key 'limits.size': must be between 0 and 1GiB, got 2GiB"},
		{"limits.size: 64 XB", 14,
		 "key 'limits.size': expected a size such as 64MiB, 500KB or 1048576 (at most 1EiB), got '64 XB'"},
		{"limits.size: -1", 14,
		 "key 'limits.size': expected a size such as 64MiB, 500KB or 1048576 (at most 1EiB), got '-1'"},
		{"limits.size: 1025PiB", 14,
		 "key 'limits.size': expected a size such as 64MiB, 500KB or 1048576 (at most 1EiB), got '1025PiB'"},
		{"limits.wait: 5 years", 14,
		 "key 'limits.wait': expected a duration such as 100ms, 30s, 5m, 24h or 7d (at most 36500d), got '5 "
		 "years'"},
		{"limits.wait: 10S", 14,
		 "key 'limits.wait': expected a duration such as 100ms, 30s, 5m, 24h or 7d (at most 36500d), got "
		 "'10S'"},
		{"limits.wait: 1.5s", 14,
		 "key 'limits.wait': expected a duration such as 100ms, 30s, 5m, 24h or 7d (at most 36500d), got "
		 "'1.5s'"},
		{"limits.wait: 36501d", 14,
		 "key 'limits.wait': expected a duration such as 100ms, 30s, 5m, 24h or 7d (at most 36500d), got "
		 "'36501d'"},
		{"mode: turbo", 7, "key 'mode': expected one of fast, safe; got 'turbo'"},
		{"mode: Fast", 7, "key 'mode': expected one of fast, safe; got 'Fast'"},
		{"name: \"\"", 7, "key 'name': must not be empty"},
		{"name: \"a\\tb\"", 7, "key 'name': value contains a control character"},
		{"name: \"a\\0b\"", 7, "key 'name': value contains a control character"},
		{"name: \"\\u0085\"", 7, "key 'name': value contains a control character"},
		{"name: [a]", 7, "key 'name': expected a scalar (string), not a list"},
		{"name: {a: 1}", 7, "key 'name': expected a scalar (string), not a mapping"},
		{"items: x", 8, "key 'items': expected a list (YAML sequence)"},
		{"items: [a, \"\"]", 12, "key 'items': list item must not be empty"},
		{"items: [a, [b]]", 12, "key 'items': list items must be scalars"},
		{"items: [a, {b: c}]", 12, "key 'items': list items must be scalars"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].yaml, VG_EPARSE, 1, cases[i].col, cases[i].msg);
	/* a long bad value is cut in the message */
	char y[200];
	snprintf(y, sizeof(y), "mode: %s",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	expect_error(y, VG_EPARSE, 1, 7,
		     "key 'mode': expected one of fast, safe; got "
		     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}

static void test_parsers(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(vg_config_parse_bytes("1GiB", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(vg_config_parse_bytes("1024PiB", &v), 0);
	assert_int_equal(v, VG_CONFIG_MAX_BYTES);
	assert_int_equal(vg_config_parse_bytes("1152921504606846977", &v), VG_EPARSE);
	assert_int_equal(vg_config_parse_bytes("18446744073709551616", &v), VG_EPARSE);
	assert_int_equal(vg_config_parse_bytes("", &v), VG_EPARSE);
	assert_int_equal(vg_config_parse_bytes("MiB", &v), VG_EPARSE);
	assert_int_equal(vg_config_parse_bytes("5MiB ", &v), VG_EPARSE);
	assert_int_equal(vg_config_parse_duration_ms("250ms", &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(vg_config_parse_duration_ms("2h", &v), 0);
	assert_int_equal(v, 7200000);
	assert_int_equal(vg_config_parse_duration_ms("1w", &v), VG_EPARSE);
	assert_int_equal(vg_config_parse_duration_ms("-1s", &v), VG_EPARSE);
	assert_int_equal(vg_config_parse_addr("[::]:5514", false), 0);
	assert_int_equal(vg_config_parse_addr("[fe80::1%eth0]:5514", false), VG_EPARSE);
	assert_int_equal(vg_config_parse_addr("host:1", false), VG_EPARSE);
	assert_int_equal(vg_config_parse_addr("host:1", true), 0);
	assert_int_equal(vg_config_parse_addr("host:", true), VG_EPARSE);
	assert_int_equal(vg_config_parse_addr(":1", true), VG_EPARSE);
	assert_int_equal(vg_config_parse_addr("a.b.c:000001", true), VG_EPARSE);
	char big[300];
	memset(big, 'a', sizeof(big));
	memcpy(big + 280, ".com:1", 7);
	assert_int_equal(vg_config_parse_addr(big, true), VG_EPARSE); /* label > 63 */
}

/* ------------------------------------------------------------ YAML rules */

static void test_yaml_rules(void **state)
{
	(void)state;
	expect_error("x.yz: 1", VG_EPARSE, 1, 1, "key 'x.yz': unknown key");
	expect_error("name: a\nnet:\n  adr: 1.2.3.4:5\n", VG_EPARSE, 3, 3, "key 'net.adr': unknown key");
	expect_error("net: 5", VG_EPARSE, 1, 6, "key 'net': is a section: expected a mapping of its keys");
	expect_error("net:\n  - 1", VG_EPARSE, 2, 3, "key 'net': is a section: expected a mapping of its keys");
	expect_error("net:\n  \"\": 1", VG_EPARSE, 2, 3, "key 'net.': empty key");
	expect_error("? [a]\n: 1", VG_EPARSE, 1, 3, "mapping keys must be scalars");
	expect_error("\"a\\tb\": 1", VG_EPARSE, 1, 1, "key 'a?b': unknown key");
	char longkey[300];
	memset(longkey, 'k', 200);
	strcpy(longkey + 200, ": 1");
	expect_error(longkey, VG_EPARSE, 1, 1,
		     "unknown key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...'");
	/* duplicates, flat and nested in any mix */
	expect_error("flag: true\nflag: false\n", VG_EPARSE, 2, 1, "key 'flag': set twice (first at line 1)");
	expect_error("net.addr: 1.1.1.1:1\nnet:\n  addr: 1.1.1.1:2\n", VG_EPARSE, 3, 3,
		     "key 'net.addr': set twice (first at line 1)");
	expect_error("net:\n  addr: 1.1.1.1:2\nnet.addr: 1.1.1.1:1\n", VG_EPARSE, 3, 1,
		     "key 'net.addr': set twice (first at line 2)");
	expect_error("items: [a]\nitems: [b]\n", VG_EPARSE, 2, 1, "key 'items': set twice (first at line 1)");
	expect_error("net: {opt: \"\"}\nnet: {peer: \"a.b:1\"}\n", VG_EPARSE, 2, 1,
		     "key 'net': section set twice (first at line 1)");
	/* anchors, aliases, tags */
	expect_error("name: &x a\ndir: *x\n", VG_EPARSE, 1, 7, "key 'name': anchors and aliases are not allowed");
	expect_error("dir: *x\n", VG_EPARSE, 1, 6, "key 'dir': anchors and aliases are not allowed");
	expect_error("net: &n {opt: \"\"}\n", VG_EPARSE, 1, 6, "key 'net': anchors and aliases are not allowed");
	expect_error("items: &i [a]\n", VG_EPARSE, 1, 8, "key 'items': anchors and aliases are not allowed");
	expect_error("limits.count: !!int 5", VG_EPARSE, 1, 15,
		     "key 'limits.count': tags are not allowed (except !!str)");
	expect_error("net: !!map {opt: \"\"}", VG_EPARSE, 1, 6, "key 'net': tags are not allowed (except !!str)");
	/* document shape */
	expect_error("name: a\n---\nname: b\n", VG_EPARSE, 2, 1, "only one YAML document is allowed");
	expect_error("- a\n", VG_EPARSE, 1, 1, "the top level must be a mapping of keys");
	expect_error("hello\n", VG_EPARSE, 1, 1, "the top level must be a mapping of keys");
	expect_error("items: [a\n", VG_EPARSE, 2, 1,
		     "did not find expected ',' or ']' while parsing a flow sequence");
	expect_error("name: \"abc\n", VG_EPARSE, 2, 1, "found unexpected end of stream while scanning a quoted scalar");
	expect_error("name: a\n  bad: b\n", VG_EPARSE, 2, 6, "mapping values are not allowed in this context");
	expect_error("name: a\xff\n", VG_EPARSE, 1, 8, "invalid leading UTF-8 octet");
	expect_error("name: a\n\x01\n", VG_EPARSE, 2, 1, "control characters are not allowed");

	/* empty, null and comment-only files set nothing */
	static const char *const empty[] = {"", "# nothing\n", "~\n", "---\n...\n", "{}\n"};
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct tcfg c;
		char path[128], why[512];
		if (tload(&c, empty[i], path, sizeof(path), why, sizeof(why)) != 0)
			fail_msg("<<%s>>: %s", empty[i], why);
		assert_string_equal(c.name, "vigil");
		assert_int_equal(c.size, 1024);
		vg_config_free(tkeys, NT, &c);
	}
}

static void test_nested_flat(void **state)
{
	(void)state;
	static const char *const docs[] = {
		"net:\n  addr: 10.1.1.1:99\n  peer: x.example:1\nlimits:\n  count: 42\n  wait: 90s\n",
		"net.addr: 10.1.1.1:99\nnet.peer: x.example:1\nlimits.count: 42\nlimits.wait: 90s\n",
		"limits: {wait: 90s}\nnet.peer: x.example:1\nlimits.count: 42\nnet: {addr: \"10.1.1.1:99\"}\n",
	};
	char *first = NULL;
	for (size_t i = 0; i < 3; i++) {
		struct tcfg c;
		char path[128], why[512];
		if (tload(&c, docs[i], path, sizeof(path), why, sizeof(why)) != 0)
			fail_msg("<<%s>>: %s", docs[i], why);
		assert_string_equal(c.addr, "10.1.1.1:99");
		assert_string_equal(c.peer, "x.example:1");
		assert_int_equal(c.count, 42);
		assert_int_equal(c.wait_ms, 90000);
		char *d = dump_str(tkeys, NT, &c);
		if (first == NULL)
			first = d;
		else {
			assert_string_equal(d, first);
			free(d);
		}
		vg_config_free(tkeys, NT, &c);
	}
	free(first);
}

static void test_limits(void **state)
{
	(void)state;
	struct tcfg c;
	char path[128], why[512], want[256];
	/* file size: exactly the limit loads, one byte more does not */
	size_t n = VG_CONFIG_MAX_FILE;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '#', n + 1);
	for (size_t i = 99; i < n + 1; i += 100)
		big[i] = '\n';
	memcpy(big, "name: big\n", 10);
	write_file(path, sizeof(path), big, n);
	tdefaults(&c);
	assert_int_equal(vg_config_load_yaml(tkeys, NT, &c, path, why, sizeof(why)), 0);
	assert_string_equal(c.name, "big");
	vg_config_free(tkeys, NT, &c);
	write_file(path, sizeof(path), big, n + 1);
	tdefaults(&c);
	assert_int_equal(vg_config_load_yaml(tkeys, NT, &c, path, why, sizeof(why)), VG_ELIMIT);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	assert_string_equal(why, want);
	assert_string_equal(c.name, "vigil");
	vg_config_free(tkeys, NT, &c);
	assert_int_equal(vg_config_load_yaml_mem(tkeys, NT, &c, "mem", big, n + 1, why, sizeof(why)), VG_ELIMIT);
	free(big);

	/* list length */
	size_t cap = 16 + (VG_CONFIG_MAX_LIST + 1) * 8;
	char *y = malloc(cap);
	assert_non_null(y);
	for (int items = VG_CONFIG_MAX_LIST; items <= VG_CONFIG_MAX_LIST + 1; items++) {
		size_t o = (size_t)snprintf(y, cap, "items:\n");
		for (int i = 0; i < items; i++)
			o += (size_t)snprintf(y + o, cap - o, "- i%d\n", i);
		int r = tload(&c, y, path, sizeof(path), why, sizeof(why));
		if (items == VG_CONFIG_MAX_LIST) {
			assert_int_equal(r, 0);
			assert_int_equal(c.items.n, VG_CONFIG_MAX_LIST);
			assert_string_equal(c.items.v[1023], "i1023");
		} else {
			assert_int_equal(r, VG_ELIMIT);
			snprintf(want, sizeof(want), "%s:1026:3: key 'items': more than 1024 items", path);
			assert_string_equal(why, want);
			assert_int_equal(c.items.n, 0);
		}
		vg_config_free(tkeys, NT, &c);
	}
	free(y);

	/* value length */
	char v[VG_CONFIG_MAX_VALUE + 32];
	for (int len = VG_CONFIG_MAX_VALUE; len <= VG_CONFIG_MAX_VALUE + 1; len++) {
		memcpy(v, "name: ", 6);
		memset(v + 6, 'v', (size_t)len);
		v[6 + len] = '\0';
		int r = tload(&c, v, path, sizeof(path), why, sizeof(why));
		if (len == VG_CONFIG_MAX_VALUE) {
			assert_int_equal(r, 0);
			assert_int_equal(strlen(c.name), VG_CONFIG_MAX_VALUE);
		} else {
			assert_int_equal(r, VG_EPARSE);
			snprintf(want, sizeof(want), "%s:1:7: key 'name': value longer than 4096 bytes", path);
			assert_string_equal(why, want);
		}
		vg_config_free(tkeys, NT, &c);
	}

	/* nesting: 8 levels load, 9 do not; the same key written flat is fine */
	const vg_config_key deep[] = {
		{.name = "a.b.c.d.e.f.g.h", .type = VG_CFG_INT, .def = "0", .offset = T(count), .help = "8 deep"},
		{.name = "a.b.c.d.e.f.g.h2.i", .type = VG_CFG_INT, .def = "0", .offset = T(size), .help = "9 deep"},
	};
	assert_int_equal(vg_config_check_table(deep, 2, why, sizeof(why)), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(vg_config_defaults(deep, 2, &c, why, sizeof(why)), 0);
	const char *d8 = "a: {b: {c: {d: {e: {f: {g: {h: 7}}}}}}}";
	assert_int_equal(vg_config_load_yaml_mem(deep, 2, &c, "d8", d8, strlen(d8), why, sizeof(why)), 0);
	assert_int_equal(c.count, 7);
	const char *d9 = "a: {b: {c: {d: {e: {f: {g: {h2: {i: 1}}}}}}}}";
	assert_int_equal(vg_config_load_yaml_mem(deep, 2, &c, "d9", d9, strlen(d9), why, sizeof(why)), VG_ELIMIT);
	assert_string_equal(why, "d9:1:33: key 'a.b.c.d.e.f.g.h2': nesting deeper than 8");
	const char *flat = "a.b.c.d.e.f.g.h2.i: 9";
	assert_int_equal(vg_config_load_yaml_mem(deep, 2, &c, "f", flat, strlen(flat), why, sizeof(why)), 0);
	assert_int_equal(c.size, 9);
}

static void test_unchanged_on_error(void **state)
{
	(void)state;
	struct tcfg c;
	char path[128], why[512];
	assert_int_equal(tload(&c, "name: first\nitems: [x]\nlimits.size: 5MiB\n", path, sizeof(path), why,
			       sizeof(why)),
			 0);
	const char *bad = "name: second\nitems: [y, z]\nlimits.size: 6MiB\nmode: nope\n";
	write_file(path, sizeof(path), bad, strlen(bad));
	assert_int_equal(vg_config_load_yaml(tkeys, NT, &c, path, why, sizeof(why)), VG_EPARSE);
	assert_string_equal(c.name, "first");
	assert_int_equal(c.items.n, 1);
	assert_string_equal(c.items.v[0], "x");
	assert_int_equal(c.size, 5ull << 20);
	/* a second valid file applies over the first: only its keys change */
	const char *more = "mode: fast\n";
	write_file(path, sizeof(path), more, strlen(more));
	assert_int_equal(vg_config_load_yaml(tkeys, NT, &c, path, why, sizeof(why)), 0);
	assert_string_equal(c.name, "first");
	assert_int_equal(c.mode, 0);
	vg_config_free(tkeys, NT, &c);

	/* files that cannot be read */
	char want[256];
	snprintf(path, sizeof(path), "%s/missing.yml", tdir);
	tdefaults(&c);
	assert_int_equal(vg_config_load_yaml(tkeys, NT, &c, path, why, sizeof(why)), VG_EIO);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(why, want);
	assert_int_equal(vg_config_load_yaml(tkeys, NT, &c, tdir, why, sizeof(why)), VG_EIO);
	snprintf(want, sizeof(want), "%s: is a directory", tdir);
	assert_string_equal(why, want);
	assert_string_equal(c.name, "vigil");
	vg_config_free(tkeys, NT, &c);

	vg_server_config s;
	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(vg_server_config_load(&s, path, why, sizeof(why)), VG_EIO);
	assert_null(s.data_dir); /* zeroed: nothing to free */
	vg_server_config_free(&s);
}

/* ------------------------------------------------------------ flags */

static void test_flags_override(void **state)
{
	(void)state;
	struct tcfg c;
	char path[128], why[512];
	assert_int_equal(tload(&c, "net.addr: 10.0.0.1:1\nname: file\nitems: [f1, f2]\n", path, sizeof(path), why,
			       sizeof(why)),
			 0);
	assert_int_equal(vg_config_set(tkeys, NT, &c, "net.addr", "[::]:2", "--addr", why, sizeof(why)), 0);
	assert_string_equal(c.addr, "[::]:2");
	assert_string_equal(c.name, "file"); /* untouched */
	assert_int_equal(vg_config_set(tkeys, NT, &c, "net.addr", "nope", "--addr", why, sizeof(why)), VG_EPARSE);
	assert_string_equal(why, "--addr: key 'net.addr': expected IPV4:PORT or [IPV6]:PORT (numeric), got 'nope'");
	assert_string_equal(c.addr, "[::]:2");
	assert_int_equal(vg_config_set(tkeys, NT, &c, "limits.count", "500", NULL, why, sizeof(why)), VG_EPARSE);
	assert_string_equal(why, "key 'limits.count': must be between -10 and 100, got 500");
	assert_int_equal(vg_config_set(tkeys, NT, &c, "limits.wait", "3m", "--wait", why, sizeof(why)), 0);
	assert_int_equal(c.wait_ms, 180000);
	assert_int_equal(vg_config_set(tkeys, NT, &c, "flag", "yes", "--flag", why, sizeof(why)), 0);
	assert_true(c.flag);
	assert_int_equal(vg_config_set(tkeys, NT, &c, "nope", "1", "--nope", why, sizeof(why)), VG_ENOTFOUND);
	assert_string_equal(why, "--nope: unknown key 'nope'");
	assert_int_equal(vg_config_set(tkeys, NT, &c, "net", "1", "--net", why, sizeof(why)), VG_ENOTFOUND);
	/* lists: set replaces with one item; set_list with all of them */
	assert_int_equal(vg_config_set(tkeys, NT, &c, "items", "one", "-i", why, sizeof(why)), 0);
	assert_int_equal(c.items.n, 1);
	assert_string_equal(c.items.v[0], "one");
	const char *const three[] = {"a", "b", "c"};
	assert_int_equal(vg_config_set_list(tkeys, NT, &c, "items", three, 3, "-i", why, sizeof(why)), 0);
	assert_int_equal(c.items.n, 3);
	assert_string_equal(c.items.v[2], "c");
	const char *const badl[] = {"a", ""};
	assert_int_equal(vg_config_set_list(tkeys, NT, &c, "items", badl, 2, "-i", why, sizeof(why)), VG_EPARSE);
	assert_string_equal(why, "-i: key 'items': list item must not be empty");
	assert_int_equal(c.items.n, 3);
	assert_int_equal(vg_config_set_list(tkeys, NT, &c, "items", NULL, 0, "-i", why, sizeof(why)), 0);
	assert_int_equal(c.items.n, 0);
	assert_int_equal(vg_config_set_list(tkeys, NT, &c, "name", three, 1, "-n", why, sizeof(why)), VG_EPARSE);
	assert_string_equal(why, "-n: key 'name': not a list");
	assert_int_equal(vg_config_set(tkeys, NT, &c, "name", "a\x01", "-n", why, sizeof(why)), VG_EPARSE);
	assert_string_equal(why, "-n: key 'name': value contains a control character");
	assert_int_equal(vg_config_set(tkeys, NT, &c, "name", "a\xc3", "-n", why, sizeof(why)), VG_EPARSE);
	assert_string_equal(why, "-n: key 'name': value is not valid UTF-8");
	assert_string_equal(c.name, "file");
	vg_config_free(tkeys, NT, &c);

	/* the server: file, then the flags the CLI maps to keys */
	const char *y = "listen:\n  api: 127.0.0.1:9443\n  syslog: 127.0.0.1:1514\nrules.paths: [/etc/r]\n";
	write_file(path, sizeof(path), y, strlen(y));
	vg_server_config s;
	assert_int_equal(vg_server_config_load(&s, path, why, sizeof(why)), 0);
	assert_string_equal(s.listen_api, "127.0.0.1:9443");
	assert_int_equal(vg_config_set(vg_server_config_keys, vg_server_config_nkeys, &s, "listen.api",
				       "0.0.0.0:10443", "--listen-api", why, sizeof(why)),
			 0);
	assert_int_equal(vg_config_set(vg_server_config_keys, vg_server_config_nkeys, &s, "listen.syslog_tls",
				       "[::]:6514", "--listen-syslog-tls", why, sizeof(why)),
			 0);
	const char *const rules[] = {"/a", "/b"};
	assert_int_equal(vg_config_set_list(vg_server_config_keys, vg_server_config_nkeys, &s, "rules.paths", rules,
					    2, "-r", why, sizeof(why)),
			 0);
	assert_string_equal(s.listen_api, "0.0.0.0:10443");
	assert_string_equal(s.listen_syslog, "127.0.0.1:1514"); /* from the file */
	assert_string_equal(s.listen_syslog_tls, "[::]:6514");
	assert_string_equal(s.listen_agents, "0.0.0.0:5515"); /* default */
	assert_int_equal(s.rules_paths.n, 2);
	assert_string_equal(s.rules_paths.v[1], "/b");
	assert_int_equal(vg_server_config_check(&s, why, sizeof(why)), 0);
	vg_server_config_free(&s);
}

/* ------------------------------------------------------------ dump, help */

/* Values different from every default of the server / agent tables. */
static const char server_all[] =
	"data_dir: '/srv/vigil \"q\" \\ x'\n"
	"listen: {agents: \"[::]:15515\", syslog: \"127.0.0.1:1514\", syslog_tls: \"0.0.0.0:6514\","
	" api: \"[::1]:443\"}\n"
	"syslog.tls_require_client_cert: true\n"
	"rules: {paths: [/etc/vigil/rules, \"/r/with space.yml\"], builtin: false}\n"
	"archive: {segment_bytes: 3MiB, max_age: 90d, max_bytes: 200GB, retention_interval: 90s}\n"
	"ingest: {sync_interval: 1500ms, sync_events: 7}\n"
	"correlation.lateness: 0\n"
	"coverage.activity_interval: 10s\n"
	"organisation: {name: \"Cục An toàn thông tin\", place: \"Đà Nẵng\"}\n"
	"agents: {max_connections: 12, heartbeat_timeout: 2h}\n"
	"api: {max_body: 65536, threads: 64}\n"
	"tls.server_names: [siem.example.org, 192.0.2.10]\n";

static const char agent_all[] =
	"server: siem.example.org:5515\n"
	"data_dir: /srv/agent\n"
	"tail: [/var/log/*.log, /var/log/nginx/access.log]\n"
	"journal: {enabled: true, directory: /run/log/journal}\n"
	"heartbeat_interval: 10s\n"
	"queue: {max_bytes: 2GiB, segment_bytes: 1MiB, policy: drop_oldest}\n"
	"send: {batch_events: 100, batch_bytes: 1MB, backoff_min: 1s, backoff_max: 1h}\n"
	"hostname: web01\n";

/* Loads text over defaults, checks every key differs from its default,
 * dumps, loads the dump and checks every key equals the first load. */
static void round_trip(const vg_config_key *t, size_t n, size_t size, const char *text)
{
	char path[128], why[512];
	void *def = calloc(1, size), *a = calloc(1, size), *b = calloc(1, size);
	assert_true(def && a && b);
	assert_int_equal(vg_config_defaults(t, n, def, why, sizeof(why)), 0);
	assert_int_equal(vg_config_defaults(t, n, a, why, sizeof(why)), 0);
	assert_int_equal(vg_config_defaults(t, n, b, why, sizeof(why)), 0);
	write_file(path, sizeof(path), text, strlen(text));
	if (vg_config_load_yaml(t, n, a, path, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	for (size_t i = 0; i < n; i++)
		if (same_value(&t[i], a, def))
			fail_msg("key %s: the test does not change it", t[i].name);
	char *d = dump_str(t, n, a);
	write_file(path, sizeof(path), d, strlen(d));
	if (vg_config_load_yaml(t, n, b, path, why, sizeof(why)) != 0)
		fail_msg("dump does not load: %s\n%s", why, d);
	for (size_t i = 0; i < n; i++)
		if (!same_value(&t[i], a, b))
			fail_msg("key %s differs after the round trip:\n%s", t[i].name, d);
	/* and the dump of the defaults loads back to the defaults */
	char *dd = dump_str(t, n, def);
	assert_int_equal(vg_config_load_yaml_mem(t, n, b, "defaults", dd, strlen(dd), why, sizeof(why)), 0);
	for (size_t i = 0; i < n; i++)
		assert_true(same_value(&t[i], def, b));
	free(dd);
	free(d);
	vg_config_free(t, n, def);
	vg_config_free(t, n, a);
	vg_config_free(t, n, b);
	free(def);
	free(a);
	free(b);
}

static void test_dump_round_trip(void **state)
{
	(void)state;
	round_trip(vg_server_config_keys, vg_server_config_nkeys, sizeof(vg_server_config), server_all);
	round_trip(vg_agent_config_keys, vg_agent_config_nkeys, sizeof(vg_agent_config), agent_all);

	/* dump form: nested sections, units, help comments */
	vg_server_config s;
	char why[256];
	assert_int_equal(vg_server_config_load(&s, NULL, why, sizeof(why)), 0);
	char *d = dump_str(vg_server_config_keys, vg_server_config_nkeys, &s);
	assert_non_null(
		strstr(d, "\nlisten:\n  # address for agent connections (TLS, TCP)\n  agents: \"0.0.0.0:5515\"\n"));
	assert_non_null(
		strstr(d, "\narchive:\n  # seal an archive segment file past this size\n  segment_bytes: 64MiB\n"));
	assert_non_null(strstr(d, "  sync_interval: 100ms\n"));
	assert_non_null(strstr(d, "  paths: []\n"));
	free(d);
	vg_server_config_free(&s);

	/* characters YAML would not read back verbatim inside quotes */
	static const char *const odd[] = {"a\xe2\x80\xa8" "b", "a\xe2\x80\xa9" "b", "\xef\xbb\xbf" "x", "q\"\\ #: '",
					  " lead and trail ", "\xc3\xa9\xf0\x9f\x98\x80"};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct tcfg c1, c2;
		tdefaults(&c1);
		tdefaults(&c2);
		assert_int_equal(vg_config_set(tkeys, NT, &c1, "name", odd[i], NULL, why, sizeof(why)), 0);
		char *od = dump_str(tkeys, NT, &c1);
		if (vg_config_load_yaml_mem(tkeys, NT, &c2, "odd", od, strlen(od), why, sizeof(why)) != 0)
			fail_msg("%s", why);
		assert_string_equal(c2.name, odd[i]);
		free(od);
		vg_config_free(tkeys, NT, &c1);
		vg_config_free(tkeys, NT, &c2);
	}

	/* secrets never print */
	struct tcfg c;
	tdefaults(&c);
	d = dump_str(tkeys, NT, &c);
	assert_null(strstr(d, "s3cret"));
	assert_non_null(strstr(d, "auth:\n  # a secret\n  token: \"<redacted>\"\n"));
	free(d);
	char *h = NULL;
	size_t hl = 0;
	FILE *f = open_memstream(&h, &hl);
	vg_config_help(tkeys, NT, f);
	fclose(f);
	assert_null(strstr(h, "s3cret"));
	free(h);
	vg_config_free(tkeys, NT, &c);
}

static void check_help(const vg_config_key *t, size_t n)
{
	char *h = NULL;
	size_t hl = 0;
	FILE *f = open_memstream(&h, &hl);
	assert_non_null(f);
	vg_config_help(t, n, f);
	assert_int_equal(fclose(f), 0);
	size_t keys = 0;
	for (const char *line = h; *line; line = strchr(line, '\n') + 1) {
		if (*line != ' ')
			keys++;
		assert_non_null(strchr(line, '\n'));
	}
	assert_int_equal(keys, n);
	for (size_t i = 0; i < n; i++) {
		char want[256];
		snprintf(want, sizeof(want), "\n%s (", t[i].name);
		if (!(i == 0 ? strncmp(h, want + 1, strlen(want + 1)) == 0 : strstr(h, want) != NULL))
			fail_msg("help lacks key %s", t[i].name);
		snprintf(want, sizeof(want), "\n    %s\n", t[i].help);
		if (strstr(h, want) == NULL)
			fail_msg("help lacks the help of %s", t[i].name);
	}
	free(h);
}

static void test_help(void **state)
{
	(void)state;
	check_help(vg_server_config_keys, vg_server_config_nkeys);
	check_help(vg_agent_config_keys, vg_agent_config_nkeys);
	char *h = NULL;
	size_t hl = 0;
	FILE *f = open_memstream(&h, &hl);
	vg_config_help(vg_server_config_keys, vg_server_config_nkeys, f);
	vg_config_help(vg_agent_config_keys, vg_agent_config_nkeys, f);
	fclose(f);
	assert_non_null(strstr(h, "\napi.threads (int 2..64, default 4)\n    worker threads of the HTTPS API\n"));
	assert_non_null(strstr(h, "\nlisten.syslog_tls (addr, default \"\")\n"));
	assert_non_null(strstr(h, "\nqueue.policy (enum: block|drop_oldest, default block)\n"));
	assert_non_null(strstr(h, "\narchive.segment_bytes (bytes 1MiB..1GiB, default 64MiB)\n"));
	free(h);
}

/* ------------------------------------------------------------ docs, examples */

static char *read_source(const char *rel)
{
	const char *root = getenv("VG_SOURCE_DIR");
	if (root == NULL)
		fail_msg("VG_SOURCE_DIR is not set");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void check_doc_rows(const char *doc, const vg_config_key *t, size_t n, const char *section)
{
	const char *from = strstr(doc, section);
	if (from == NULL)
		fail_msg("docs/config.md lacks the section %s", section);
	for (size_t i = 0; i < n; i++) {
		char row[256], def[128];
		snprintf(row, sizeof(row), "\n| `%s` |", t[i].name);
		const char *p = strstr(from, row);
		if (p == NULL)
			fail_msg("docs/config.md (%s) does not list key %s", section, t[i].name);
		const char *end = strchr(p + 1, '\n');
		const char *d = t[i].def != NULL ? t[i].def : "";
		if (t[i].type == VG_CFG_LIST && d[0] == '\0')
			d = "[]";
		else if (d[0] == '\0')
			d = "\"\"";
		snprintf(def, sizeof(def), "`%s`", d);
		const char *q = strstr(p + strlen(row), def);
		if (q == NULL || (end != NULL && q > end))
			fail_msg("docs/config.md: the row of %s does not give the default %s", t[i].name, def);
	}
}

static void test_docs_list_every_key(void **state)
{
	(void)state;
	char *doc = read_source("docs/config.md");
	check_doc_rows(doc, vg_server_config_keys, vg_server_config_nkeys, "## `vigil server`");
	check_doc_rows(doc, vg_agent_config_keys, vg_agent_config_nkeys, "## `vigil agent`");
	free(doc);
}

static void test_examples_load(void **state)
{
	(void)state;
	const char *root = getenv("VG_SOURCE_DIR");
	assert_non_null(root);
	char path[4096], why[512];
	vg_server_config s;
	snprintf(path, sizeof(path), "%s/examples/server.yml", root);
	if (vg_server_config_load(&s, path, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	if (vg_server_config_check(&s, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	assert_string_equal(s.listen_syslog_tls, "0.0.0.0:6514");
	assert_int_equal(s.tls_server_names.n, 2);
	assert_int_equal(s.archive_max_age_ms, 90ull * 86400000);
	vg_server_config_free(&s);
	vg_agent_config a;
	snprintf(path, sizeof(path), "%s/examples/agent.yml", root);
	if (vg_agent_config_load(&a, path, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	if (vg_agent_config_check(&a, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	assert_string_equal(a.server, "siem.example.org:5515");
	assert_int_equal(a.tail.n, 2);
	assert_true(a.journal_enabled);
	vg_agent_config_free(&a);
}

/* ------------------------------------------------------------ cross-key checks */

static void test_server_check(void **state)
{
	(void)state;
	vg_server_config s;
	char why[256];
	const vg_config_key *t = vg_server_config_keys;
	size_t n = vg_server_config_nkeys;
	assert_int_equal(vg_server_config_load(&s, NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_config_set(t, n, &s, "listen.api", "0.0.0.0:5514", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_server_config_check(&s, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "listen.syslog (0.0.0.0:5514) and listen.api (0.0.0.0:5514) would listen on the "
				 "same TCP port");
	assert_int_equal(vg_config_set(t, n, &s, "listen.api", "[::]:5514", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_server_config_check(&s, why, sizeof(why)), 0); /* other family */
	assert_int_equal(vg_config_set(t, n, &s, "listen.api", "127.0.0.1:5515", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_server_config_check(&s, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "listen.agents (0.0.0.0:5515) and listen.api (127.0.0.1:5515) would listen on "
				 "the same TCP port");
	assert_int_equal(vg_config_set(t, n, &s, "listen.api", "127.0.0.1:8443", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_config_set(t, n, &s, "listen.syslog", "127.0.0.2:8443", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_server_config_check(&s, why, sizeof(why)), 0); /* different hosts */
	assert_int_equal(vg_config_set(t, n, &s, "syslog.tls_require_client_cert", "true", NULL, why, sizeof(why)),
			 0);
	assert_int_equal(vg_server_config_check(&s, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "syslog.tls_require_client_cert needs listen.syslog_tls");
	assert_int_equal(vg_config_set(t, n, &s, "listen.syslog_tls", "0.0.0.0:6514", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_server_config_check(&s, why, sizeof(why)), 0);
	vg_server_config_free(&s);
}

static void test_agent_check(void **state)
{
	(void)state;
	vg_agent_config a;
	char why[256];
	const vg_config_key *t = vg_agent_config_keys;
	size_t n = vg_agent_config_nkeys;
	assert_int_equal(vg_agent_config_load(&a, NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_config_set(t, n, &a, "server", "10.0.0.5:5515", "--server", why, sizeof(why)), 0);
	assert_int_equal(vg_agent_config_check(&a, why, sizeof(why)), 0);
	assert_int_equal(vg_config_set(t, n, &a, "server", "siem:0", "--server", why, sizeof(why)), VG_EPARSE);
	assert_string_equal(why, "--server: key 'server': port must be 1..65535 in 'siem:0'");
	assert_int_equal(vg_config_set(t, n, &a, "queue.max_bytes", "31MiB", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_agent_config_check(&a, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "queue.max_bytes must be at least twice queue.segment_bytes");
	assert_int_equal(vg_config_set(t, n, &a, "queue.max_bytes", "32MiB", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_agent_config_check(&a, why, sizeof(why)), 0);
	assert_int_equal(vg_config_set(t, n, &a, "send.backoff_min", "1m", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_agent_config_check(&a, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "send.backoff_min must not be greater than send.backoff_max");
	assert_int_equal(vg_config_set(t, n, &a, "send.backoff_max", "60s", NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_agent_config_check(&a, why, sizeof(why)), 0);
	char host[300];
	memset(host, 'h', 254);
	host[254] = '\0';
	assert_int_equal(vg_config_set(t, n, &a, "hostname", host, NULL, why, sizeof(why)), 0);
	assert_int_equal(vg_agent_config_check(&a, why, sizeof(why)), VG_EINVAL);
	assert_string_equal(why, "hostname: longer than 253 bytes");
	assert_int_equal(vg_config_set(t, n, &a, "queue.policy", "drop_oldest", NULL, why, sizeof(why)), 0);
	assert_int_equal(a.queue_policy, VG_AGENT_QUEUE_DROP_OLDEST);
	vg_agent_config_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_valid),
		cmocka_unit_test(test_tables_refused),
		cmocka_unit_test(test_server_defaults),
		cmocka_unit_test(test_agent_defaults),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_yaml_rules),
		cmocka_unit_test(test_nested_flat),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_unchanged_on_error),
		cmocka_unit_test(test_flags_override),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_docs_list_every_key),
		cmocka_unit_test(test_examples_load),
		cmocka_unit_test(test_server_check),
		cmocka_unit_test(test_agent_check),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
