/* test_parse_auditd.c — the "auditd" parser on realistic audit event groups
 * (SYSCALL+EXECVE+CWD+PATH+PROCTITLE, ENRICHED format, USER_AUTH), hex
 * decoding, the command line, the line bound, and vg_audit_serial. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "core/logsource.h"
#include "parse/parse.h"
#include "parse_test_util.h"

extern const vg_parser vg_parser_auditd;

static int parse(const char *rec)
{
	vg_event_reset(ev, rec, strlen(rec), "audit.log", 1);
	return vg_parser_auditd.parse(ev);
}

/* Every value of a repeated field, joined by '|'. */
static void want_all(const char *name, const char *joined)
{
	char buf[1024];
	size_t k = 0, pos = 0, n = strlen(name);
	const vg_field *f;
	while ((f = vg_event_next(ev, name, n, vg_field_hash(name, n), &pos)) != NULL) {
		if (k != 0)
			buf[k++] = '|';
		assert_true(k + f->val_len < sizeof(buf));
		memcpy(buf + k, f->val, f->val_len);
		k += f->val_len;
	}
	buf[k] = '\0';
	assert_string_equal(buf, joined);
}

/* The example of the RHEL Security Guide ("Understanding Audit Log Files"). */
static const char rhel_group[] =
	"type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 a0=7fffd19c5592 "
	"a1=0 a2=7fffd19c4b50 a3=a items=1 ppid=2686 pid=3538 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 "
	"fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm=\"cat\" exe=\"/bin/cat\" "
	"subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key=\"sshd_config\"\n"
	"type=CWD msg=audit(1364481363.243:24287):  cwd=\"/home/shadowman\"\n"
	"type=PATH msg=audit(1364481363.243:24287): item=0 name=\"/etc/ssh/sshd_config\" inode=409248 dev=fd:00 "
	"mode=0100600 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:etc_t:s0  objtype=NORMAL cap_fp=none "
	"cap_fi=none cap_fe=0 cap_fver=0\n"
	"type=PROCTITLE msg=audit(1364481363.243:24287) : proctitle=636174002F6574632F7373682F737368645F636F6E666967";

static void test_syscall_group(void **state)
{
	(void)state;
	assert_int_equal(parse(rhel_group), 0);
	assert_true(ev->ts_us == 1364481363243000LL);
	assert_int_equal(ev->product, VG_PRODUCT_LINUX);
	assert_int_equal(ev->service, VG_SERVICE_AUDITD);
	assert_int_equal(ev->layer, VG_LAYER_HOST);
	assert_int_equal(ev->category, 0); /* no EXECVE: not a process creation */
	want_all("auditd.type", "SYSCALL|CWD|PATH|PROCTITLE");
	want("event.action", "syscall");
	want("event.outcome", "failure");
	want("auditd.syscall", "2");
	want("auditd.SYSCALL", "open"); /* derived from arch + number */
	want("auditd.exit", "-13");
	want("auditd.a0", "7fffd19c5592"); /* SYSCALL args stay as logged */
	want("auditd.comm", "cat");
	want("auditd.exe", "/bin/cat");
	want("auditd.key", "sshd_config");
	want("auditd.name", "/etc/ssh/sshd_config");
	want("auditd.cwd", "/home/shadowman");
	want("auditd.proctitle", "cat /etc/ssh/sshd_config");
	want("process.executable", "/bin/cat");
	want("process.name", "cat");
	want_num("process.pid", "3538");
	want_num("process.parent.pid", "2686");
	want("user.id", "1000");
	want("user.audit.id", "1000");
	want("process.working_directory", "/home/shadowman");
	absent("process.command_line");
	absent("host.hostname");
	absent("auditd.msg");
	absent("user.name");
}

/* ENRICHED format with node= prefixes, hex-encoded args/paths. */
static const char exec_group[] =
	"node=web01 type=SYSCALL msg=audit(1700000000.123:4242): arch=c000003e syscall=59 success=yes exit=0 "
	"a0=55d0c4a1 a1=55d0c4a2 a2=55d0c4a3 a3=0 items=2 ppid=1000 pid=1001 auid=1000 uid=1000 gid=1000 euid=1000 "
	"suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=3 comm=\"bash\" exe=\"/usr/bin/bash\" "
	"subj=unconfined key=\"exec\"\x1d" "ARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"alice\" GID=\"alice\"\n"
	"node=web01 type=EXECVE msg=audit(1700000000.123:4242): argc=3 a0=\"bash\" a1=\"-c\" "
	"a2=6563686F202268656C6C6F20776F726C6422207C20626173653634\n"
	"node=web01 type=CWD msg=audit(1700000000.123:4242): cwd=2F746D702F6D7920646972\n"
	"node=web01 type=PATH msg=audit(1700000000.123:4242): item=0 name=\"/usr/bin/bash\" inode=1 dev=08:01 "
	"mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n"
	"node=web01 type=PATH msg=audit(1700000000.123:4242): item=1 name=2F746D702F612062 inode=2 dev=08:01 "
	"mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n"
	"node=web01 type=PATH msg=audit(1700000000.123:4242): item=2 name=(null) inode=3 nametype=UNKNOWN\n"
	"node=web01 type=PROCTITLE msg=audit(1700000000.123:4242): "
	"proctitle=62617368002D63006563686F202268656C6C6F20776F726C6422207C20626173653634\n";

static void test_execve_group(void **state)
{
	(void)state;
	assert_int_equal(parse(exec_group), 0);
	assert_true(ev->ts_us == 1700000000123000LL);
	assert_int_equal(ev->category, VG_CATEGORY_PROCESS_CREATION);
	want_all("auditd.type", "SYSCALL|EXECVE|CWD|PATH|PATH|PATH|PROCTITLE");
	want_all("auditd.node", "web01|web01|web01|web01|web01|web01|web01");
	want("host.hostname", "web01");
	want("event.action", "syscall");
	want("event.outcome", "success");
	want_all("auditd.SYSCALL", "execve"); /* enriched value, not derived twice */
	want("auditd.AUID", "alice");
	want("auditd.UID", "alice");
	want("auditd.ARCH", "x86_64");
	want("auditd.key", "exec");
	want_all("auditd.a0", "55d0c4a1|bash");
	want_all("auditd.a2", "55d0c4a3|echo \"hello world\" | base64");
	want_all("auditd.name", "/usr/bin/bash|/tmp/a b|(null)");
	want("auditd.cwd", "/tmp/my dir");
	want("auditd.proctitle", "bash -c echo \"hello world\" | base64");
	want("process.command_line", "bash -c echo \"hello world\" | base64");
	want("process.working_directory", "/tmp/my dir");
	want("process.executable", "/usr/bin/bash");
	want("process.name", "bash");
	want_num("process.pid", "1001");
	want_num("process.parent.pid", "1000");
	want("user.id", "1000");
	want("user.audit.id", "1000");
	want("user.name", "alice"); /* from the ENRICHED UID="alice" */
}

static void test_user_auth(void **state)
{
	(void)state;
	assert_int_equal(parse("type=USER_AUTH msg=audit(1700000100.500:777): pid=2345 uid=0 auid=4294967295 "
			       "ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:authentication "
			       "grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=1.2.3.4 addr=1.2.3.4 terminal=ssh "
			       "res=failed'"),
			 0);
	assert_true(ev->ts_us == 1700000100500000LL);
	assert_int_equal(ev->category, 0);
	want("event.action", "user_auth");
	want("event.outcome", "failure");
	want("auditd.type", "USER_AUTH");
	want("auditd.op", "PAM:authentication");
	want("auditd.grantors", "?");
	want("auditd.acct", "root");
	want("auditd.exe", "/usr/sbin/sshd");
	want("auditd.hostname", "1.2.3.4");
	want("auditd.addr", "1.2.3.4");
	want("auditd.terminal", "ssh");
	want("auditd.res", "failed");
	want("auditd.auid", "4294967295");
	want("user.name", "root");
	want("user.id", "0");
	absent("user.audit.id"); /* 4294967295 = unset */
	want("process.executable", "/usr/sbin/sshd");
	want_num("process.pid", "2345");
	want("source.ip", "1.2.3.4");
	absent("auditd.msg");

	/* sudo's USER_CMD: hex-encoded command, addr=? is no IP */
	assert_int_equal(parse("type=USER_CMD msg=audit(1700000200.000:778): pid=3000 uid=1000 auid=1000 ses=3 "
			       "msg='cwd=\"/home/alice\" cmd=636174202F6574632F736861646F77 exe=\"/usr/bin/sudo\" "
			       "terminal=pts/1 res=success'"),
			 0);
	want("event.action", "user_cmd");
	want("event.outcome", "success");
	want("auditd.cmd", "cat /etc/shadow");
	want("process.working_directory", "/home/alice");
	absent("source.ip");
}

static void test_long_args_and_raw_syscall(void **state)
{
	(void)state;
	/* a long argument split into pieces, continued on a second EXECVE line */
	assert_int_equal(parse("type=SYSCALL msg=audit(1.5:3): arch=c000003e syscall=59 success=yes exit=0 pid=7 "
			       "comm=\"perl\" exe=\"/usr/bin/perl\"\n"
			       "type=EXECVE msg=audit(1.5:3): argc=3 a0=\"perl\" a1_len=10 a1[0]=6162636465\n"
			       "type=EXECVE msg=audit(1.5:3): a1[1]=6667686969 a2=\"x\""),
			 0);
	assert_true(ev->ts_us == 1500000LL);
	want("auditd.SYSCALL", "execve");
	want("auditd.a1[0]", "abcde");
	want("auditd.a1[1]", "fghii");
	want("auditd.a1_len", "10");
	want("process.command_line", "perl abcdefghii x");

	/* argc bounds the command line */
	assert_int_equal(parse("type=EXECVE msg=audit(2.0:4): argc=1 a0=\"ls\" a1=\"extra\""), 0);
	want("event.action", "execve");
	want("process.command_line", "ls");

	/* RAW mknod (Sigma: SYSCALL: 'mknod'), and ausearch -i output */
	assert_int_equal(parse("type=SYSCALL msg=audit(3.0:5): arch=c000003e syscall=133 success=yes exit=0 comm=\"mknod\""), 0);
	want("auditd.SYSCALL", "mknod");
	assert_int_equal(parse("type=SYSCALL msg=audit(3.0:6): arch=x86_64 syscall=memfd_create success=yes exit=3"), 0);
	want("auditd.SYSCALL", "memfd_create");
	/* unknown number or other arch: nothing invented */
	assert_int_equal(parse("type=SYSCALL msg=audit(3.0:7): arch=c00000b7 syscall=221 success=yes"), 0);
	absent("auditd.SYSCALL");

	/* AVC: words without '=' are skipped */
	assert_int_equal(parse("type=AVC msg=audit(4.0:8): avc:  denied  { read } for  pid=12 comm=\"httpd\" "
			       "name=\"passwd\" dev=\"dm-0\" ino=5 scontext=a tcontext=b tclass=file permissive=0"),
			 0);
	want("event.action", "avc");
	want("auditd.name", "passwd");
	want_num("process.pid", "12");
	absent("auditd.avc:");
}

static void test_bounds_and_rejects(void **state)
{
	(void)state;
	/* more lines than VG_MAX_AUDIT_LINES: only the first ones are read */
	static const char line[] = "type=PATH msg=audit(5.0:9): item=0 name=\"/x\"\n";
	size_t n = sizeof(line) - 1, total = n * 100;
	char *rec = malloc(total);
	assert_non_null(rec);
	for (size_t i = 0; i < 100; i++)
		memcpy(rec + i * n, line, n);
	vg_event_reset(ev, rec, total, "audit.log", 1);
	assert_int_equal(vg_parser_auditd.parse(ev), 0);
	size_t count = 0, pos = 0;
	while (vg_event_next(ev, "auditd.type", 11, vg_field_hash("auditd.type", 11), &pos) != NULL)
		count++;
	assert_int_equal(count, VG_MAX_AUDIT_LINES);
	free(rec);

	assert_int_equal(parse("Dec 10 06:55:46 LabSZ sshd[24200]: x"), VG_EPARSE);
	assert_int_equal(parse("type=SYSCALL arch=c000003e"), VG_EPARSE);
	assert_int_equal(parse("msg=audit(1.0:1): a=b"), VG_EPARSE);
	assert_int_equal(parse("type=SYSCALL msg=audit(x.0:1): a=b"), VG_EPARSE);
	assert_int_equal(parse(""), VG_EPARSE);
	/* unterminated quote: the value runs to the end of the line */
	assert_int_equal(parse("type=SYSCALL msg=audit(1.0:1): comm=\"abc"), 0);
	want("auditd.comm", "abc");
}

static void test_serial(void **state)
{
	(void)state;
	unsigned long long s = 0;
	const char *l = "type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e";
	assert_int_equal(vg_audit_serial(l, strlen(l), &s), 0);
	assert_true(s == 24287ULL);
	l = "node=n type=CWD msg=audit(1.5:18446744073709551615):  cwd=\"/\"";
	assert_int_equal(vg_audit_serial(l, strlen(l), &s), 0);
	assert_true(s == 18446744073709551615ULL);
	l = "type=X msg=audit(1364481363.243:24287)";
	assert_int_equal(vg_audit_serial(l, strlen(l) - 1, &s), VG_EPARSE); /* cut before ')' */
	l = "type=X msg=audit(1364481363.243)";
	assert_int_equal(vg_audit_serial(l, strlen(l), &s), VG_EPARSE);
	l = "type=X msg=audit(1364481363.243:)";
	assert_int_equal(vg_audit_serial(l, strlen(l), &s), VG_EPARSE);
	l = "type=X msg=audit(1.2:99999999999999999999999)";
	assert_int_equal(vg_audit_serial(l, strlen(l), &s), VG_EPARSE);
	l = "no stamp here";
	assert_int_equal(vg_audit_serial(l, strlen(l), &s), VG_EPARSE);

	/* probe */
	l = "type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e";
	assert_int_equal(vg_parser_auditd.probe(l, strlen(l)), 100);
	l = "node=web01 type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e";
	assert_int_equal(vg_parser_auditd.probe(l, strlen(l)), 100);
	l = "Dec 10 06:55:46 LabSZ kernel: audit(1122475266.4294965305:0): initialized";
	assert_int_equal(vg_parser_auditd.probe(l, strlen(l)), 0);
	l = "type=foo bar";
	assert_int_equal(vg_parser_auditd.probe(l, strlen(l)), 0);

	const char *lines[] = {"type=DAEMON_START msg=audit(1700000000.000:1): op=start ver=3.0.9 res=success",
			       "type=SERVICE_START msg=audit(1700000001.000:2): pid=1 uid=0 msg='unit=x res=success'"};
	size_t lens[] = {strlen(lines[0]), strlen(lines[1])};
	const vg_parser *p = vg_parser_detect(lines, lens, 2);
	assert_non_null(p);
	assert_string_equal(p->name, "auditd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_group),
		cmocka_unit_test(test_execve_group),
		cmocka_unit_test(test_user_auth),
		cmocka_unit_test(test_long_args_and_raw_syscall),
		cmocka_unit_test(test_bounds_and_rejects),
		cmocka_unit_test(test_serial),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
