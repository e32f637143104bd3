/* test_parse_syslog.c — the "syslog" parser: RFC 3164/5424 headers, the
 * per-program extraction (sshd, PAM, sudo, su, cron, useradd, ftpd, kernel
 * firewall), and the full loghub Linux and OpenSSH samples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/logsource.h"
#include "core/timeparse.h"
#include <arpa/inet.h>

#include "parse/parse.h"
#include "parse/parse_util.h"
#include "parse_test_util.h"

extern const vg_parser vg_parser_syslog;

/* Parse one line (as a LINE reader hands it: no newline) with year 2005. */
static int parse(const char *line)
{
	vg_event_reset(ev, line, strlen(line), "test", 1);
	ev->year_hint = 2005;
	return vg_parser_syslog.parse(ev);
}

static int64_t utc(int y, unsigned mo, unsigned d, int h, int mi, int s)
{
	return (vg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000LL;
}

/* ---- addresses ----------------------------------------------------------- */

static int pton4(const char *s)
{
	unsigned char a[4];
	return inet_pton(AF_INET, s, a) == 1;
}

/* vg_pu_is_ipv4 is a hand-written dotted-quad check: it must agree with
 * inet_pton(AF_INET) on every string, tricky or random. */
static void test_ipv4_like_inet_pton(void **state)
{
	(void)state;
	static const char *const cases[] = {
		"1.2.3.4", "255.255.255.255", "0.0.0.0", "10.0.0.1", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04",
		"1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4.5", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "a.b.c.d",
		"1.2.3.4:", "999.1.1.1", "1.2.3.4a", "100.200.250.255", "1.2.3.00", "0.0.0.00", "127.0.0.1", "1.2.3.",
		"12.34.56.789", "1.2.3.4.", "0x1.2.3.4", "1.2.3.25", "1.2.3.255", "1.2.3.2550",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (vg_pu_is_ipv4(cases[i], strlen(cases[i])) != pton4(cases[i]))
			fail_msg("\"%s\": vg_pu_is_ipv4 %d, inet_pton %d", cases[i], vg_pu_is_ipv4(cases[i], strlen(cases[i])),
				 pton4(cases[i]));
	/* random strings over the alphabet that matters */
	static const char alpha[] = "0123456789...:a ";
	unsigned seed = 12345;
	size_t valid = 0;
	for (int k = 0; k < 200000; k++) {
		char s[20];
		seed = seed * 1103515245u + 12345u;
		size_t n = 5 + (seed >> 16) % 12;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly digits and dots, so that valid addresses occur */
			s[i] = (seed >> 16) % 4 == 0 ? alpha[(seed >> 20) % (sizeof(alpha) - 1)] : (char)('0' + (seed >> 20) % 10);
			if ((seed >> 24) % 4 == 0)
				s[i] = '.';
		}
		s[n] = '\0';
		int want = pton4(s);
		valid += (size_t)want;
		if (vg_pu_is_ipv4(s, n) != want)
			fail_msg("\"%s\": vg_pu_is_ipv4 %d, inet_pton %d", s, !want, want);
	}
	assert_true(valid > 100); /* the random strings did include addresses */
}

/* ---- headers ------------------------------------------------------------- */

static void test_bsd_header(void **state)
{
	(void)state;
	assert_int_equal(parse("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"), 0);
	assert_true(ev->ts_us == utc(2005, 12, 10, 6, 55, 46));
	assert_true(ev->ts_us == 1134197746000000LL);
	want("host.hostname", "LabSZ");
	want("process.name", "sshd");
	want_num("process.pid", "24200");
	want("message", "Invalid user webmaster from 173.234.31.186");
	absent("log.syslog.facility.code");
	absent("log.syslog.severity.code");
	assert_int_equal(ev->product, VG_PRODUCT_LINUX);
	assert_int_equal(ev->service, VG_SERVICE_SSHD);
	assert_int_equal(ev->layer, VG_LAYER_HOST);
	assert_int_equal(ev->category, VG_CATEGORY_AUTHENTICATION);

	/* single-digit day, PRI, no pid */
	assert_int_equal(parse("<86>Jun  9 06:06:20 combo kernel: Linux version 2.6.5-1.358"), 0);
	assert_true(ev->ts_us == utc(2005, 6, 9, 6, 6, 20));
	want_num("log.syslog.facility.code", "10");
	want_num("log.syslog.severity.code", "6");
	want("host.hostname", "combo");
	want("process.name", "kernel");
	absent("process.pid");
	want("message", "Linux version 2.6.5-1.358");
	assert_int_equal(ev->service, VG_SERVICE_KERNEL);
	assert_int_equal(ev->category, 0);

	/* written to /dev/log: no hostname */
	assert_int_equal(parse("<13>Nov 21 09:24:02 su: x"), 0);
	absent("host.hostname");
	want("process.name", "su");
	want("message", "x");
	assert_int_equal(ev->service, VG_SERVICE_SU);

	/* path as TAG, trailing CR LF */
	assert_int_equal(parse("Jun 14 15:16:01 h /usr/sbin/cron[42]: (root) CMD (true)\r\n"), 0);
	want("process.name", "cron");
	want("process.executable", "/usr/sbin/cron");
	want("process.command_line", "true");

	/* rsyslog high-precision stamp */
	assert_int_equal(parse("2024-01-02T03:04:05.250000+01:00 web1 nginx[77]: started"), 0);
	assert_true(ev->ts_us == utc(2024, 1, 2, 2, 4, 5) + 250000);
	want("host.hostname", "web1");
	want("process.name", "nginx");
	assert_int_equal(ev->service, VG_SERVICE_SYSLOG);

	/* no TAG: the message is everything after the host */
	assert_int_equal(parse("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2"), 0);
	want("host.hostname", "combo");
	absent("process.name");
	want("message", "-- root[2421]: ROOT LOGIN ON tty2");
	assert_int_equal(ev->service, VG_SERVICE_SYSLOG);
}

static void test_year_hint_zero(void **state)
{
	(void)state;
	const char *line = "Jan  1 00:00:00 h prog: m";
	vg_event_reset(ev, line, strlen(line), "test", 1);
	ev->year_hint = 0;
	assert_int_equal(vg_parser_syslog.parse(ev), 0);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	assert_true(ev->ts_us == utc(tm.tm_year + 1900, 1, 1, 0, 0, 0));
}

static void test_not_syslog(void **state)
{
	(void)state;
	assert_int_equal(parse("127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326"), VG_EPARSE);
	assert_int_equal(parse("{\"a\":1}"), VG_EPARSE);
	assert_int_equal(parse("[Sun Dec 04 04:47:44 2005] [notice] x"), VG_EPARSE);
	assert_int_equal(parse("type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e"), VG_EPARSE);
	assert_int_equal(parse(""), VG_EPARSE);
	assert_int_equal(parse("Dec 10 06:55"), VG_EPARSE);
	assert_int_equal(parse("<999>Dec 10 06:55:46 h p: m"), VG_EPARSE);
}

/* Lines exactly as util-linux `logger --rfc5424` sends them. */
static void test_rfc5424(void **state)
{
	(void)state;
	assert_int_equal(parse("<36>1 2026-11-21T09:24:02.530146+00:00 vm myapp - ID47 [timeQuality tzKnown=\"1\" "
			       "isSynced=\"0\"][exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\\"ication\"] hello world"),
			 0);
	assert_true(ev->ts_us == 1795253042530146LL);
	want_num("log.syslog.facility.code", "4");
	want_num("log.syslog.severity.code", "4");
	want("log.syslog.version", "1");
	want("host.hostname", "vm");
	want("process.name", "myapp");
	absent("process.pid");
	want("log.syslog.msgid", "ID47");
	want("log.syslog.structured_data",
	     "[timeQuality tzKnown=\"1\" isSynced=\"0\"][exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\\"ication\"]");
	want("log.syslog.structured_data.timeQuality.tzKnown", "1");
	want("log.syslog.structured_data.timeQuality.isSynced", "0");
	want("log.syslog.structured_data.exampleSDID@32473.iut", "3");
	want("log.syslog.structured_data.exampleSDID@32473.eventSource", "Appl\"ication");
	want("message", "hello world");
	assert_int_equal(ev->service, VG_SERVICE_SYSLOG);

	assert_int_equal(parse("<13>1 2026-11-21T09:24:02.532317+00:00 vm sshd 3547 - [timeQuality tzKnown=\"1\" "
			       "isSynced=\"0\"] Failed password for root from 1.2.3.4 port 22 ssh2"),
			 0);
	want_num("process.pid", "3547");
	absent("log.syslog.msgid");
	want("message", "Failed password for root from 1.2.3.4 port 22 ssh2");
	assert_int_equal(ev->service, VG_SERVICE_SSHD);
	want("event.action", "ssh_failed_password");
	want("user.name", "root");
	want("source.ip", "1.2.3.4");
	want_num("source.port", "22");

	/* `logger --rfc5424=notq,notime`: every optional part nil */
	assert_int_equal(parse("<13>1 - vm t - - - m"), 0);
	assert_true(ev->ts_us == VG_TS_NONE);
	want("host.hostname", "vm");
	want("process.name", "t");
	absent("log.syslog.structured_data");
	want("message", "m");

	/* BOM before MSG, non-numeric PROCID */
	assert_int_equal(parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog worker-7 ID47 - \xEF\xBB\xBF" "An application event"), 0);
	assert_true(ev->ts_us == utc(2003, 10, 11, 22, 14, 15) + 3000);
	want("log.syslog.procid", "worker-7");
	absent("process.pid");
	want("message", "An application event");

	/* broken SD: still syslog (PRI seen), message is the rest */
	assert_int_equal(parse("<13>1 2026-11-21T09:24:02Z vm app - - [bad"), 0);
	absent("log.syslog.version");
}

/* ---- sshd ---------------------------------------------------------------- */

struct ssh_case {
	const char *msg, *action, *outcome, *user, *ip, *port, *domain, *method;
};

static void test_sshd(void **state)
{
	(void)state;
	static const struct ssh_case cases[] = {
		{"Failed password for root from 5.36.59.76 port 42393 ssh2", "ssh_failed_password", "failure", "root",
		 "5.36.59.76", "42393", NULL, "password"},
		{"Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2", "ssh_failed_password",
		 "failure", "webmaster", "173.234.31.186", "38926", NULL, "password"},
		{"Failed password for invalid user  0101 from 5.188.10.180 port 36279 ssh2", "ssh_failed_password", "failure",
		 " 0101", "5.188.10.180", "36279", NULL, "password"},
		{"Failed none for invalid user 0 from 5.188.10.180 port 49811 ssh2", "ssh_failed_auth", "failure", "0",
		 "5.188.10.180", "49811", NULL, "none"},
		{"Accepted password for fztu from 119.137.62.142 port 49116 ssh2", "ssh_login", "success", "fztu",
		 "119.137.62.142", "49116", NULL, "password"},
		{"Accepted publickey for alice from 2001:db8::7 port 50000 ssh2: ED25519 SHA256:abc", "ssh_login", "success",
		 "alice", "2001:db8::7", "50000", NULL, "publickey"},
		{"Invalid user webmaster from 173.234.31.186", "ssh_invalid_user", "failure", "webmaster", "173.234.31.186",
		 NULL, NULL, NULL},
		{"Invalid user admin from 10.0.0.9 port 4444", "ssh_invalid_user", "failure", "admin", "10.0.0.9", "4444",
		 NULL, NULL},
		{"error: maximum authentication attempts exceeded for invalid user oracle from 10.1.2.3 port 555 ssh2 [preauth]",
		 "ssh_max_auth_exceeded", "failure", "oracle", "10.1.2.3", "555", NULL, NULL},
		{"Disconnecting: Too many authentication failures for root [preauth]", "ssh_max_auth_exceeded", "failure",
		 "root", NULL, NULL, NULL, NULL},
		{"Disconnecting authenticating user root 10.1.2.3 port 40000: Too many authentication failures [preauth]",
		 "ssh_max_auth_exceeded", "failure", "root", "10.1.2.3", "40000", NULL, NULL},
		{"Received disconnect from 139.59.209.18: 11: Bye Bye [preauth]", "ssh_disconnect", NULL, NULL,
		 "139.59.209.18", NULL, NULL, NULL},
		{"error: Received disconnect from 103.99.0.122: 14: No more user authentication methods available. [preauth]",
		 "ssh_disconnect", NULL, NULL, "103.99.0.122", NULL, NULL, NULL},
		{"Received disconnect from 10.0.0.5 port 53270:11: disconnected by user", "ssh_disconnect", NULL, NULL,
		 "10.0.0.5", "53270", NULL, NULL},
		{"Disconnected from authenticating user root 10.0.0.5 port 53270 [preauth]", "ssh_disconnect", NULL, "root",
		 "10.0.0.5", "53270", NULL, NULL},
		{"Disconnected from invalid user a b 10.0.0.5 port 1 [preauth]", "ssh_disconnect", NULL, "a b", "10.0.0.5",
		 "1", NULL, NULL},
		{"Disconnected from user alice 10.0.0.5 port 53270", "ssh_disconnect", NULL, "alice", "10.0.0.5", "53270",
		 NULL, NULL},
		{"Connection closed by 212.47.254.145 [preauth]", "ssh_connection_closed", NULL, NULL, "212.47.254.145", NULL,
		 NULL, NULL},
		{"Connection closed by invalid user guest 10.9.8.7 port 2222 [preauth]", "ssh_connection_closed", NULL,
		 "guest", "10.9.8.7", "2222", NULL, NULL},
		{"reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE "
		 "BREAK-IN ATTEMPT!",
		 "ssh_reverse_mapping_failed", NULL, NULL, "173.234.31.186", NULL, "ns.marryaldkfaczcz.com", NULL},
		{"Did not receive identification string from 10.20.30.40", "ssh_no_identification", NULL, NULL, "10.20.30.40",
		 NULL, NULL, NULL},
		{"PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=112.95.230.3  user=root",
		 "pam_more_failures", "failure", "root", "112.95.230.3", NULL, NULL, NULL},
		{"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=183.62.140.253  "
		 "user=root",
		 "pam_auth_failure", "failure", "root", "183.62.140.253", NULL, NULL, NULL},
		{"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
		 "rhost=ec2-52-80-34-196.cn-north-1.compute.amazonaws.com.cn ",
		 "pam_auth_failure", "failure", NULL, NULL, NULL, "ec2-52-80-34-196.cn-north-1.compute.amazonaws.com.cn",
		 NULL},
		{"pam_unix(sshd:auth): check pass; user unknown", "pam_user_unknown", "failure", NULL, NULL, NULL, NULL, NULL},
		{"pam_unix(sshd:session): session opened for user fztu by (uid=0)", "session_opened", "success", "fztu", NULL,
		 NULL, NULL, NULL},
		{"pam_unix(sshd:session): session closed for user fztu", "session_closed", NULL, "fztu", NULL, NULL, NULL,
		 NULL},
		{"message repeated 5 times: [ Failed password for root from 106.5.5.195 port 50719 ssh2]",
		 "ssh_failed_password", "failure", "root", "106.5.5.195", "50719", NULL, "password"},
	};
	char line[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ssh_case *c = &cases[i];
		snprintf(line, sizeof(line), "Dec 10 06:55:46 LabSZ sshd[24200]: %s", c->msg);
		print_message("%s\n", c->msg);
		assert_int_equal(parse(line), 0);
		assert_int_equal(ev->service, VG_SERVICE_SSHD);
		want("message", c->msg);
		want("event.action", c->action);
		if (c->outcome != NULL)
			want("event.outcome", c->outcome);
		else
			absent("event.outcome");
		if (c->user != NULL)
			want("user.name", c->user);
		else
			absent("user.name");
		if (c->ip != NULL)
			want("source.ip", c->ip);
		else
			absent("source.ip");
		if (c->port != NULL)
			want_num("source.port", c->port);
		else
			absent("source.port");
		if (c->domain != NULL)
			want("source.domain", c->domain);
		else
			absent("source.domain");
		if (c->method != NULL)
			want("ssh.method", c->method);
		else
			absent("ssh.method");
	}
	/* the PAM fields and the ECS category of an auth line */
	assert_int_equal(parse("Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): check pass; user unknown"), 0);
	want("pam.module", "pam_unix");
	want("pam.service", "sshd");
	want("pam.type", "auth");
	want("event.category", "authentication");
	assert_int_equal(ev->category, VG_CATEGORY_AUTHENTICATION);
	/* OpenSSH >= 9.8 logs from sshd-session */
	assert_int_equal(parse("Jan  2 03:04:05 h sshd-session[9]: Failed password for bob from 10.0.0.1 port 22 ssh2"), 0);
	assert_int_equal(ev->service, VG_SERVICE_SSHD);
	want("event.action", "ssh_failed_password");
	/* unrecognised sshd text: header fields only */
	assert_int_equal(parse("Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user test9 [preauth]"), 0);
	absent("event.action");
	absent("user.name");
}

/* Old Red Hat style: the PAM module in the TAG. */
static void test_pam_in_tag(void **state)
{
	(void)state;
	assert_int_equal(parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 "
			       "euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 "),
			 0);
	assert_true(ev->ts_us == 1118762161000000LL);
	want("process.name", "sshd");
	want_num("process.pid", "19939");
	want("pam.module", "pam_unix");
	want("pam.service", "sshd");
	absent("pam.type");
	want("event.action", "pam_auth_failure");
	want("event.outcome", "failure");
	want("source.ip", "218.188.2.4");
	absent("user.name");
	assert_int_equal(ev->service, VG_SERVICE_SSHD);

	assert_int_equal(parse("Jul  3 03:16:10 combo login(pam_unix)[2421]: session opened for user root by LOGIN(uid=0)"), 0);
	want("process.name", "login");
	want("event.action", "session_opened");
	want("user.name", "root");
	assert_int_equal(ev->service, VG_SERVICE_SYSLOG);
}

/* ---- sudo, su ------------------------------------------------------------ */

static void test_sudo(void **state)
{
	(void)state;
	assert_int_equal(parse("Mar  1 10:00:00 web sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
			       "COMMAND=/bin/bash -i"),
			 0);
	assert_int_equal(ev->service, VG_SERVICE_SUDO);
	want("user.name", "alice");
	want("user.effective.name", "root");
	want("process.working_directory", "/home/alice");
	want("process.command_line", "/bin/bash -i");
	want("process.tty.name", "pts/0");
	want("event.action", "sudo_command");
	want("event.outcome", "success");

	assert_int_equal(parse("Mar  1 10:00:00 web sudo: alice : 3 incorrect password attempts ; TTY=pts/1 ; "
			       "PWD=/tmp ; USER=root ; COMMAND=/usr/bin/sh -c 'id ; whoami'"),
			 0);
	want("event.action", "sudo_auth_failure");
	want("event.outcome", "failure");
	want("process.command_line", "/usr/bin/sh -c 'id ; whoami'");
	want("user.effective.name", "root");

	assert_int_equal(parse("Mar  1 10:00:00 web sudo: mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/ ; USER=root "
			       "; COMMAND=/bin/cat /etc/shadow"),
			 0);
	want("user.name", "mallory");
	want("event.action", "sudo_not_in_sudoers");
	want("event.outcome", "failure");
	want("process.command_line", "/bin/cat /etc/shadow");

	/* CVE-2019-14287 shape: USER=#-1 */
	assert_int_equal(parse("Mar  1 10:00:00 web sudo: bob : TTY=pts/0 ; PWD=/ ; USER=#-1 ; COMMAND=/usr/bin/id"), 0);
	want("user.effective.name", "#-1");

	/* sudo's PAM session: root is whom the session is for */
	assert_int_equal(parse("Mar  1 10:00:00 web sudo: pam_unix(sudo:session): session opened for user "
			       "root(uid=0) by alice(uid=1000)"),
			 0);
	want("event.action", "session_opened");
	want("user.name", "alice");
	want("user.id", "1000");
	want("user.target.name", "root");
}

static void test_su(void **state)
{
	(void)state;
	struct {
		const char *msg, *action, *outcome, *who, *to, *tty;
	} cases[] = {
		{"Successful su for root by alice", "su", "success", "alice", "root", NULL},
		{"FAILED su for root by alice", "su_failed", "failure", "alice", "root", NULL},
		{"FAILED SU (to root) alice on pts/0", "su_failed", "failure", "alice", "root", "pts/0"},
		{"(to root) alice on pts/3", "su", "success", "alice", "root", "pts/3"},
		{"+ pts/0 alice:root", "su", "success", "alice", "root", "pts/0"},
		{"- pts/0 alice:root", "su_failed", "failure", "alice", "root", "pts/0"},
		{"pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=pts/0 ruser=alice rhost=  "
		 "user=root",
		 "su_failed", "failure", "alice", "root", NULL},
		{"pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)", "su", "success", "alice",
		 "root", NULL},
	};
	char line[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "Apr  2 11:00:00 host su[321]: %s", cases[i].msg);
		print_message("%s\n", cases[i].msg);
		assert_int_equal(parse(line), 0);
		assert_int_equal(ev->service, VG_SERVICE_SU);
		want("event.action", cases[i].action);
		want("event.outcome", cases[i].outcome);
		want("user.name", cases[i].who);
		want("user.target.name", cases[i].to);
		if (cases[i].tty != NULL)
			want("process.tty.name", cases[i].tty);
		else
			absent("process.tty.name");
	}
	/* Linux_2k: su(pam_unix) sessions started by root (uid only) */
	assert_int_equal(parse("Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)"), 0);
	want("event.action", "su");
	want("user.target.name", "cyrus");
	want("user.id", "0");
	absent("user.name");
	assert_int_equal(parse("Jun 15 04:06:19 combo su(pam_unix)[21416]: session closed for user cyrus"), 0);
	want("event.action", "session_closed");
	want("user.target.name", "cyrus");
}

/* ---- cron, shadow-utils, ftpd --------------------------------------------- */

static void test_cron(void **state)
{
	(void)state;
	assert_int_equal(parse("May  5 06:25:01 srv CRON[3030]: (root) CMD (run-parts /etc/cron.hourly)"), 0);
	assert_int_equal(ev->service, VG_SERVICE_CRON);
	want("user.name", "root");
	want("process.command_line", "run-parts /etc/cron.hourly");
	want("event.action", "cron_command");
	assert_int_equal(parse("May  5 06:25:01 srv crond[3030]: (www-data) CMD (cd / && (php x.php))"), 0);
	assert_int_equal(ev->service, VG_SERVICE_CRON);
	want("user.name", "www-data");
	want("process.command_line", "cd / && (php x.php)");
	assert_int_equal(parse("May  5 06:25:01 srv cron[1]: (root) REPLACE (root)"), 0);
	want("user.name", "root");
	absent("event.action");
	assert_int_equal(parse("May  5 06:25:01 srv CRON[3]: pam_unix(cron:session): session opened for user root by (uid=0)"), 0);
	assert_int_equal(ev->service, VG_SERVICE_CRON);
	want("event.action", "session_opened");
	want("user.name", "root");
}

static void test_useradd(void **state)
{
	(void)state;
	assert_int_equal(parse("Feb  3 12:00:00 h useradd[900]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, "
			       "shell=/bin/bash, from=/dev/pts/0"),
			 0);
	assert_int_equal(ev->service, VG_SERVICE_USERADD);
	want("event.action", "user_created");
	want("event.outcome", "success");
	want("user.target.name", "bob");
	want("user.target.id", "1001");
	want("user.target.group.id", "1001");

	assert_int_equal(parse("Feb  3 12:00:00 h groupadd[901]: new group: name=devs, GID=1002"), 0);
	assert_int_equal(ev->service, VG_SERVICE_USERADD);
	want("event.action", "group_created");
	want("group.name", "devs");
	want("group.id", "1002");

	assert_int_equal(parse("Feb  3 12:00:00 h usermod[902]: add 'bob' to group 'sudo'"), 0);
	want("event.action", "user_added_to_group");
	want("user.target.name", "bob");
	want("group.name", "sudo");
	assert_int_equal(parse("Feb  3 12:00:00 h usermod[902]: add 'bob' to shadow group 'sudo'"), 0);
	want("event.action", "user_added_to_group");
	want("group.name", "sudo");

	assert_int_equal(parse("Feb  3 12:00:00 h userdel[903]: delete user 'bob'"), 0);
	want("event.action", "user_deleted");
	want("user.target.name", "bob");

	assert_int_equal(parse("Feb  3 12:00:00 h usermod[904]: change user 'bob' password"), 0);
	want("event.action", "password_changed");
	want("user.target.name", "bob");

	assert_int_equal(parse("Feb  3 12:00:00 h passwd[905]: password changed for bob"), 0);
	assert_int_equal(ev->service, VG_SERVICE_USERADD);
	want("event.action", "password_changed");
	want("user.target.name", "bob");

	assert_int_equal(parse("Feb  3 12:00:00 h passwd[906]: pam_unix(passwd:chauthtok): password changed for carol"), 0);
	want("event.action", "password_changed");
	want("user.target.name", "carol");
	want("pam.type", "chauthtok");
}

static void test_ftpd(void **state)
{
	(void)state;
	assert_int_equal(parse("Jun 17 07:07:00 combo ftpd[29504]: connection from 24.54.76.216 "
			       "(24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005 "),
			 0);
	want("event.action", "ftp_connection");
	want("source.ip", "24.54.76.216");
	want("source.domain", "24-54-76-216.bflony.adelphia.net");
	assert_int_equal(ev->service, VG_SERVICE_SYSLOG);
	assert_int_equal(parse("Jun 18 02:08:10 combo ftpd[31874]: connection from 211.72.2.106 () at Sat Jun 18 02:08:10 2005 "), 0);
	want("source.ip", "211.72.2.106");
	absent("source.domain");
}

/* ---- kernel firewall ------------------------------------------------------ */

static void test_firewall(void **state)
{
	(void)state;
	assert_int_equal(parse("Jan 12 10:00:00 gw kernel: [12345.678] [UFW BLOCK] IN=eth0 OUT= "
			       "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.5 DST=10.0.0.2 LEN=60 "
			       "TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=51432 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0"),
			 0);
	assert_int_equal(ev->service, VG_SERVICE_KERNEL);
	assert_int_equal(ev->category, VG_CATEGORY_FIREWALL);
	assert_int_equal(ev->layer, VG_LAYER_NETWORK);
	assert_int_equal(ev->product, VG_PRODUCT_LINUX);
	want("event.action", "block");
	want("source.ip", "203.0.113.5");
	want("destination.ip", "10.0.0.2");
	want_num("source.port", "51432");
	want_num("destination.port", "22");
	want("network.transport", "tcp");
	want("observer.ingress.interface.name", "eth0");
	absent("observer.egress.interface.name");

	assert_int_equal(parse("Jan 12 10:00:00 gw kernel: [UFW ALLOW] IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.2 PROTO=UDP "
			       "SPT=5353 DPT=53 LEN=40"),
			 0);
	want("event.action", "allow");
	want("network.transport", "udp");

	assert_int_equal(parse("Jan 12 10:00:00 gw kernel: [UFW AUDIT] IN= OUT=eth1 SRC=10.0.0.2 DST=8.8.8.8 PROTO=ICMP "
			       "TYPE=8 CODE=0 ID=1 SEQ=1"),
			 0);
	want("event.action", "audit");
	want("network.transport", "icmp");
	absent("source.port");
	absent("observer.ingress.interface.name");
	want("observer.egress.interface.name", "eth1");

	/* iptables -j LOG --log-prefix "IPTABLES-DROP: " */
	assert_int_equal(parse("Jan 12 10:00:00 gw kernel: [ 7.100000] IPTABLES-DROP: IN=ens3 OUT= SRC=2001:db8::1 "
			       "DST=2001:db8::2 LEN=80 PROTO=TCP SPT=1 DPT=443"),
			 0);
	want("event.action", "IPTABLES-DROP:");
	want("source.ip", "2001:db8::1");
	want("destination.ip", "2001:db8::2");
	want_num("destination.port", "443");

	/* no prefix at all */
	assert_int_equal(parse("Jan 12 10:00:00 gw kernel: IN=eth0 OUT= SRC=1.1.1.1 DST=2.2.2.2 PROTO=TCP SPT=3 DPT=4"), 0);
	want("event.action", "log");

	/* a kernel line without the keys stays a plain kernel event */
	assert_int_equal(parse("Jan 12 10:00:00 gw kernel: usbcore: registered new driver hub"), 0);
	assert_int_equal(ev->category, 0);
	assert_int_equal(ev->layer, VG_LAYER_HOST);
	absent("event.action");
}

/* ---- loghub ------------------------------------------------------------- */

static char *slurp(const char *name, size_t *len)
{
	const char *dir = getenv("VG_CORPUS");
	if (dir == NULL)
		return NULL;
	char path[4096];
	snprintf(path, sizeof(path), "%s/loghub/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct tally {
	size_t lines, raw, action_count;
};

/* Every line through vg_parse_record with the syslog parser; counts lines,
 * raw fallbacks and events whose event.action equals action. */
static struct tally run_file(const char *name, const char *action)
{
	struct tally t = {0, 0, 0};
	size_t len;
	char *buf = slurp(name, &len);
	if (buf == NULL)
		fail_msg("cannot read %s/loghub/%s (VG_CORPUS)", getenv("VG_CORPUS") ? getenv("VG_CORPUS") : "(unset)", name);
	for (size_t off = 0; off < len;) {
		char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;
		vg_event_reset(ev, buf + off, n, name, t.lines + 1);
		ev->year_hint = 2005;
		const vg_parser *p = vg_parse_record(&vg_parser_syslog, ev);
		t.lines++;
		if (p == NULL) {
			t.raw++;
			print_message("raw: %.*s\n", (int)n, buf + off);
		} else {
			assert_ptr_equal(p, &vg_parser_syslog);
			assert_true(ev->ts_us != VG_TS_NONE);
			assert_non_null(vg_event_get(ev, "host.hostname"));
		}
		const vg_field *f = vg_event_get(ev, "event.action");
		if (f != NULL && f->val_len == strlen(action) && memcmp(f->val, action, f->val_len) == 0)
			t.action_count++;
		off += n + 1;
	}
	free(buf);
	return t;
}

static void test_loghub_linux(void **state)
{
	(void)state;
	struct tally t = run_file("Linux_2k.log", "ftp_connection");
	assert_int_equal(t.lines, 2000);
	assert_int_equal(t.raw, 0);
	/* grep -c 'ftpd\[[0-9]*\]: connection from' Linux_2k.log → 909 */
	assert_int_equal(t.action_count, 909);
	t = run_file("Linux_2k.log", "pam_auth_failure");
	/* grep -c 'authentication failure;' Linux_2k.log → 490 (sshd and gdm PAM) */
	assert_int_equal(t.action_count, 490);
}

static void test_loghub_openssh(void **state)
{
	(void)state;
	struct tally t = run_file("OpenSSH_2k.log", "ssh_failed_password");
	assert_int_equal(t.lines, 2000);
	assert_int_equal(t.raw, 0);
	/* grep -c 'Failed password for' OpenSSH_2k.log → 520 (518 direct lines
	 * plus 2 "message repeated 5 times: [ Failed password for ...]") */
	assert_int_equal(t.action_count, 520);
	t = run_file("OpenSSH_2k.log", "ssh_invalid_user");
	/* grep -c ': Invalid user ' OpenSSH_2k.log → 113 */
	assert_int_equal(t.action_count, 113);
}

/* vg_parser_detect on the first lines of each loghub file. */
static void test_detect(void **state)
{
	(void)state;
	static const struct {
		const char *file, *want;
	} files[] = {
		{"Linux_2k.log", "syslog"},
		{"OpenSSH_2k.log", "syslog"},
		{"Apache_2k.log", "apache_error"},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *buf = slurp(files[i].file, &len);
		assert_non_null(buf);
		const char *lines[20];
		size_t lens[20], n = 0;
		for (size_t off = 0; off < len && n < 20;) {
			char *nl = memchr(buf + off, '\n', len - off);
			size_t l = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;
			lines[n] = buf + off;
			lens[n++] = l;
			off += l + 1;
		}
		const vg_parser *p = vg_parser_detect(lines, lens, n);
		assert_non_null(p);
		assert_string_equal(p->name, files[i].want);
		free(buf);
	}
	/* the probe itself */
	const char *l = "Dec 10 06:55:46 LabSZ sshd[24200]: x";
	assert_int_equal(vg_parser_syslog.probe(l, strlen(l)), 75);
	l = "<13>1 - vm t - - - m";
	assert_int_equal(vg_parser_syslog.probe(l, strlen(l)), 95);
	l = "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1";
	assert_int_equal(vg_parser_syslog.probe(l, strlen(l)), 0);
	l = "type=SYSCALL msg=audit(1364481363.243:24287): x=1";
	assert_int_equal(vg_parser_syslog.probe(l, strlen(l)), 0);
}

/* ---- fast paths against the general ones ---------------------------------- */

/* "name=value" of the first field name, "name absent" when there is none. */
static void field_text(const char *name, char *out, size_t cap)
{
	const vg_field *f = vg_event_get(ev, name);
	if (f == NULL)
		snprintf(out, cap, "%s absent", name);
	else
		snprintf(out, cap, "%s=%.*s", name, (int)f->val_len, f->val);
}

static void snapshot(const char *const *names, size_t n, char (*out)[160])
{
	for (size_t i = 0; i < n; i++)
		field_text(names[i], out[i], sizeof(out[i]));
}

/* sshd's user is what comes before the LAST " from " (a user name may hold
 * " from " itself), found sixteen starts a step from the end: user names
 * of every length to 80, built of pieces of " from " and other bytes, so
 * that decoys sit at every distance from the real one, must come out
 * whole, as must the address after it (lengths 1 to 80), with the real one
 * at every distance from the end of the line. */
static void test_sshd_last_from(void **state)
{
	(void)state;
	static const char *const bits[] = {"x", " ", "f", "rom", " from", "from ", " fro", "m ", "(uid=0)", "ab"};
	char user[128], line[400];
	uint32_t st = 7;
	for (int it = 0; it < 20000; it++) {
		size_t want = 1 + (size_t)(it % 80), n = 0;
		while (n < want) {
			st = st * 1103515245u + 12345u;
			const char *b = bits[(st >> 16) % (sizeof(bits) / sizeof(bits[0]))];
			size_t bl = strlen(b);
			if (n + bl > want)
				bl = want - n;
			memcpy(user + n, b, bl);
			n += bl;
		}
		user[n] = '\0';
		const char *inv = it % 3 == 0 ? "invalid user " : "";
		/* and the real " from " at every distance from the end: a key
		 * of 0 to 39 bytes after "ssh2: " */
		if (it % 2 == 0)
			snprintf(line, sizeof(line), "Mar  1 00:00:00 host sshd[7]: Failed password for %s%s from 10.%d.2.3 port %d ssh2",
				 inv, user, it % 256, 1000 + it);
		else
			snprintf(line, sizeof(line),
				 "Mar  1 00:00:00 host sshd[7]: Accepted publickey for %s%s from 10.%d.2.3 port %d ssh2: %.*s", inv,
				 user, it % 256, 1000 + it, (it / 2) % 40, "ED25519SHA256:abcdefghijklmnopqrstuvwxyz0123456789");
		assert_int_equal(parse(line), 0);
		const vg_field *u = vg_event_get(ev, "user.name"), *ip = vg_event_get(ev, "source.ip");
		char want_ip[32];
		snprintf(want_ip, sizeof(want_ip), "10.%d.2.3", it % 256);
		if (u == NULL || u->val_len != n || memcmp(u->val, user, n) != 0)
			fail_msg("line \"%s\": user.name \"%.*s\", want \"%s\"", line, u ? (int)u->val_len : 0,
				 u ? u->val : "", user);
		assert_non_null(ip);
		assert_int_equal(ip->val_len, strlen(want_ip));
		assert_memory_equal(ip->val, want_ip, ip->val_len);
	}
}

/* A TAG is split with one 16-byte step when 16 bytes are readable from it
 * (a message follows), else word by word: both must agree on every TAG. */
static void test_tag_fast_slow(void **state)
{
	(void)state;
	static const char *const tags[] = {
		"sshd[123]:", "sshd:", "sshd(pam_unix)[19939]:", "/usr/sbin/cron[9]:", "a/b/:", "/x[1]:", "x[y[1]:",
		"[1]:", "sshd[]:", "s(x)[1]:", "()[1]:", "x():", "sshd(pam_unix):", "su(pam_unix)[1]:", "a:b[1]:",
		"in.ftpd[3]:", "sshd-session[77]:", "verylongprogramname[12345]:", "exactly16bytes[]:", "fifteen_bytes[:",
		"p[1]x:", "x]:", "\x01sshd[1]:", "ss\303\251d[1]:", "a/:", "/:", "a//b[2]:", "k(m)(n)[3]:",
		/* 17 to 33 bytes: two overlapping sixteen-byte steps, or the slow path */
		"sshd(pam_unix)[19939999]:", "abcdefghijklmnop(q)[1]:", "a[b(c)]:", "abcdefghijklmnopq[1(2)]:",
		"/usr/local/sbin/sshd[123]:", "abcdefghijklmno(pam_unix)[1234]:", "abcdefghijklmnop(pam_unix)[1234]:",
		"x(abcdefghijklmnopqrstuvw)[1]:", "abcdefghijklmnopq(r:s)[1]:", "abcdefghijklmnopqr/s(t)[1]:",
		"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789(pam_unix)[1]:"};
	static const char *const names[] = {"process.name", "process.pid", "process.executable", "pam.module", "host.hostname"};
	char fast[5][160], slow[5][160], line[256];
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		snprintf(line, sizeof(line), "Jun 14 15:16:01 host %s a message of some length", tags[i]);
		assert_int_equal(parse(line), 0);
		snapshot(names, 5, fast);
		snprintf(line, sizeof(line), "Jun 14 15:16:01 host %s", tags[i]);
		assert_int_equal(parse(line), 0);
		snapshot(names, 5, slow);
		for (size_t k = 0; k < 5; k++)
			if (strcmp(fast[k], slow[k]) != 0)
				fail_msg("TAG \"%s\": %s with a message, %s without", tags[i], fast[k], slow[k]);
	}
	/* and one value of each, so that the comparison is not between two failures */
	assert_int_equal(parse("Jun 14 15:16:01 host sshd(pam_unix)[19939]: x"), 0);
	want("process.name", "sshd");
	want_num("process.pid", "19939");
	assert_int_equal(parse("Jun 14 15:16:01 host /usr/sbin/cron[9]: x"), 0);
	want("process.name", "cron");
	want("process.executable", "/usr/sbin/cron");
}

/* "authentication failure; BODY" reads the PAM layout word by word; the
 * "N more authentication failures; BODY" form looks the keys up anywhere
 * (vg_pu_kvs). Both must find the same user and host in every BODY. */
static void test_pam_fast_slow(void **state)
{
	(void)state;
	static const char *const bodies[] = {
		"logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 user=root extra=1",
		"logname=  uid=0 euid=0 tty=ssh ruser=bob rhost=10.0.0.1\tuser=alice",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 foo=bar user=x",
		"user=first logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 user=second",
		"logname=a=b uid=0 euid=0 tty=a=b ruser=r=s rhost=h=1",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=::1 user",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=fe80::1  user=",
		"logname uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 user=u",
		"xlogname= uid=0 ruser=q rhost=host.example user=u",
		" logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 rhost=5.6.7.8 user=v",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 user=a user=b",
		"logname= uid=0 euid=0 tty=ssh ruser= xrhost=1.2.3.4 user=u",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 ruser=late",
		"",
		"=",
		"user=only",
		/* words across the 64-bit halves of the word map, and the length
		 * limits of the word-by-word read (126 bytes) */
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=a-very-long-host-name-that-crosses.example.org  user=someone",
		"logname=0123456789abcdef uid=0 euid=0 tty=ssh ruser=fedcba9876543210 rhost=host-0123456789.example.net "
		"user=u12345678901234567",
		"logname=0123456789abcdef uid=0 euid=0 tty=ssh ruser=fedcba9876543210 rhost=host-0123456789.example.net "
		"user=u123456789012345678",
		"logname=0123456789abcdef uid=0 euid=0 tty=ssh ruser=fedcba9876543210 rhost=host-0123456789.example.net "
		"user=u1234567890123456789",
		"logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 user=a-user-name-long-enough-for-a-body-of-more-than-"
		"one-hundred-and-twenty-eight-bytes",
		"logname= uid=0 euid=0 tty= ruser= rhost=",
		"logname= uid=0 euid=0 tty=\t ruser= rhost=",
	};
	static const char *const names[] = {"user.name", "source.ip", "source.domain"};
	char fast[3][160], slow[3][160], line[512];
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(line, sizeof(line), "Jun 14 15:16:01 combo sshd(pam_unix)[1]: authentication failure; %s", bodies[i]);
		assert_int_equal(parse(line), 0);
		want("event.action", "pam_auth_failure");
		snapshot(names, 3, fast);
		snprintf(line, sizeof(line), "Jun 14 15:16:01 combo sshd(pam_unix)[1]: 2 more authentication failures; %s",
			 bodies[i]);
		assert_int_equal(parse(line), 0);
		want("event.action", "pam_more_failures");
		snapshot(names, 3, slow);
		for (size_t k = 0; k < 3; k++)
			if (strcmp(fast[k], slow[k]) != 0)
				fail_msg("body \"%s\": %s word by word, %s by lookup", bodies[i], fast[k], slow[k]);
	}
	assert_int_equal(parse("Jun 14 15:16:01 combo sshd(pam_unix)[1]: authentication failure; logname= uid=0 euid=0 "
			       "tty=ssh ruser= rhost=10.0.0.1\tuser=alice"),
			 0);
	want("user.name", "alice");
	want("source.ip", "10.0.0.1");
	assert_int_equal(parse("Jun 14 15:16:01 combo sshd(pam_unix)[1]: authentication failure; user=first logname= "
			       "uid=0 euid=0 tty=ssh ruser= rhost=h.example user=second"),
			 0);
	want("user.name", "first");
	want("source.domain", "h.example");
}

/* "MODULE(SERVICE[:TYPE]): BODY" at the start of a message, parsed in one
 * pass: blanks end it, and only the first "): " can close it. */
static void test_pam_prefix(void **state)
{
	(void)state;
	static const struct {
		const char *msg, *module, *service, *type;
	} cases[] = {
		{"pam_unix(sshd:auth): check pass; user unknown", "pam_unix", "sshd", "auth"},
		{"pam_unix(sshd): check pass; user unknown", "pam_unix", "sshd", NULL},
		{"pam_unix(a:b:c): check pass; user unknown", "pam_unix", "a", "b:c"},
		{"pam_unix(): check pass; user unknown", "pam_unix", NULL, NULL},
		{"pam_unix(:x): check pass; user unknown", "pam_unix", NULL, "x"},
		{"pam_x(a)): check pass; user unknown", "pam_x", "a)", NULL},
		{"pam_x(a\t:b): check pass; user unknown", "pam_x", "a\t", "b"},
		{"pam_unix (sshd:auth): check pass; user unknown", NULL, NULL, NULL},
		{"pam_unix(ss hd:auth): check pass; user unknown", NULL, NULL, NULL},
		{"pam_x(a):x check pass; user unknown", NULL, NULL, NULL},
		{"pam_x( ): check pass; user unknown", NULL, NULL, NULL},
		{"pam_x(a): ): check pass; user unknown", "pam_x", "a", NULL},
		{"pam_unix(sshd:auth)", NULL, NULL, NULL},
	};
	char line[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "Jun 14 15:16:01 host cron[1]: %s", cases[i].msg);
		assert_int_equal(parse(line), 0);
		if (cases[i].module == NULL) {
			absent("pam.module");
			continue;
		}
		want("pam.module", cases[i].module);
		if (cases[i].service != NULL)
			want("pam.service", cases[i].service);
		else
			absent("pam.service");
		if (cases[i].type != NULL)
			want("pam.type", cases[i].type);
		else
			absent("pam.type");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bsd_header),     cmocka_unit_test(test_year_hint_zero),
		cmocka_unit_test(test_not_syslog),     cmocka_unit_test(test_rfc5424),
		cmocka_unit_test(test_sshd),           cmocka_unit_test(test_pam_in_tag),
		cmocka_unit_test(test_sudo),           cmocka_unit_test(test_su),
		cmocka_unit_test(test_cron),           cmocka_unit_test(test_useradd),
		cmocka_unit_test(test_ftpd),           cmocka_unit_test(test_firewall),
		cmocka_unit_test(test_loghub_linux),   cmocka_unit_test(test_loghub_openssh),
		cmocka_unit_test(test_detect),         cmocka_unit_test(test_ipv4_like_inet_pton),
		cmocka_unit_test(test_tag_fast_slow),  cmocka_unit_test(test_pam_fast_slow),
		cmocka_unit_test(test_pam_prefix),         cmocka_unit_test(test_sshd_last_from),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
