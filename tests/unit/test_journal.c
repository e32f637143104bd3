/* test_journal.c — the journal input on real journal files made by
 * systemd-journal-remote from the export format: exact RFC 5424 lines
 * (priority, facility, defaults, sanitised header fields, multi-line and
 * over-long messages), back-pressure, entries appended to an open reader,
 * restart from the checkpoint cursor, start_at_end, and clean failures. */
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

#include "agent/journal.h"

#define REMOTE "/lib/systemd/systemd-journal-remote"

static char g_dir[256];

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
	const char *tmp = getenv("TMPDIR");
	snprintf(g_dir, sizeof(g_dir), "%s/vgjournal-XXXXXX", tmp ? tmp : "/tmp");
	return mkdtemp(g_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void need_remote(void)
{
	if (access(REMOTE, X_OK) != 0) {
		fprintf(stderr, "%s missing (Debian package systemd-journal-remote): skipped\n", REMOTE);
		skip();
	}
}

/* Export-format text -> entries appended to <g_dir>/<file>. */
static void journal_write(const char *file, const void *export_data, size_t len)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s -o '%s/%s' - 2>/dev/null", REMOTE, g_dir, file);
	FILE *p = popen(cmd, "w");
	assert_non_null(p);
	assert_int_equal(fwrite(export_data, 1, len, p), len);
	assert_int_equal(pclose(p), 0);
}

static void journal_write_str(const char *file, const char *s)
{
	journal_write(file, s, strlen(s));
}

/* A binary (length-prefixed) export field, for values with newlines. */
static size_t binary_field(char *out, const char *name, const char *val, size_t vlen)
{
	size_t n = strlen(name);
	memcpy(out, name, n);
	out[n++] = '\n';
	for (int i = 0; i < 8; i++)
		out[n++] = (char)((uint64_t)vlen >> (8 * i));
	memcpy(out + n, val, vlen);
	n += vlen;
	out[n++] = '\n';
	return n;
}

struct col {
	vg_buf out;
	int calls;
	int refuse_at;
	int truncated;
	size_t last_len;
	char cursor[VG_JOURNAL_MAX_CURSOR];
};

static int collect(void *ud, const char *line, size_t len, const char *cursor, int truncated)
{
	struct col *c = ud;
	c->calls++;
	if (c->refuse_at > 0 && c->calls == c->refuse_at) {
		c->refuse_at = 0;
		return 1;
	}
	assert_int_equal(strlen(line), len); /* NUL-terminated, no embedded NULs here */
	assert_non_null(cursor);
	assert_true(strlen(cursor) < sizeof(c->cursor));
	strcpy(c->cursor, cursor);
	c->truncated += truncated;
	c->last_len = len;
	size_t keep = len > 300 ? 300 : len;
	assert_int_equal(vg_buf_append(&c->out, line, keep), 0);
	assert_int_equal(vg_buf_append(&c->out, "\n", 1), 0);
	return 0;
}

static void assert_col(struct col *c, const char *want)
{
	assert_int_equal(vg_buf_append(&c->out, "", 1), 0);
	c->out.len--;
	const char *got = c->out.data ? c->out.data : "";
	if (strcmp(got, want) != 0)
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
	assert_string_equal(got, want);
	c->out.len = 0;
}

static vg_journal *jopen(const char *cursor, int start_at_end)
{
	char why[512] = "";
	int err = 0;
	vg_journal_opts o = {.dir = g_dir, .cursor = cursor, .start_at_end = start_at_end};
	vg_journal *j = vg_journal_open(&o, &err, why, sizeof(why));
	if (j == NULL)
		fprintf(stderr, "open: %s (%s)\n", vg_err_str(err), why);
	assert_non_null(j);
	return j;
}

static const char WANT_FIRST[] =
	"<13>1 2023-11-14T22:13:20.123456Z web1 sshd 42 - - Failed password for root from 10.0.0.1 port 22 ssh2\n"
	"<83>1 2023-11-14T22:13:21.000001Z - cron 7 - - line one  line two \n"
	"<14>1 2023-11-14T22:13:22.000000Z h__st my_app - - -\n";

/* The first file: three entries, the second one with a binary MESSAGE. */
static void write_first(void)
{
	char buf[1024];
	size_t n = 0;
	const char *e1 = "__REALTIME_TIMESTAMP=1700000000123456\n"
			 "MESSAGE=Failed password for root from 10.0.0.1 port 22 ssh2\n"
			 "SYSLOG_IDENTIFIER=sshd\n_PID=42\nPRIORITY=5\n_HOSTNAME=web1\n\n";
	memcpy(buf + n, e1, strlen(e1));
	n += strlen(e1);
	const char *e2 = "__REALTIME_TIMESTAMP=1700000001000001\n_COMM=cron\nSYSLOG_PID=7\n"
			 "SYSLOG_FACILITY=10\nPRIORITY=3\n";
	memcpy(buf + n, e2, strlen(e2));
	n += strlen(e2);
	static const char msg[] = "line one\r\nline\x01two\n";
	n += binary_field(buf + n, "MESSAGE", msg, sizeof(msg) - 1);
	buf[n++] = '\n';
	const char *e3 = "__REALTIME_TIMESTAMP=1700000002000000\n"
			 "SYSLOG_IDENTIFIER=my app\n_HOSTNAME=h\xc3\xa9st\n\n";
	memcpy(buf + n, e3, strlen(e3));
	n += strlen(e3);
	journal_write("remote.journal", buf, n);
}

static void test_lines_and_resume(void **state)
{
	(void)state;
	need_remote();
	struct col c = {0};
	vg_buf cp = {0};
	write_first();
	vg_journal *j = jopen(NULL, 0);
	assert_int_equal(vg_journal_checkpoint(j, &cp), VG_ENOTFOUND);
	/* The second entry is refused once: the poll stops, it comes again. */
	c.refuse_at = 2;
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 1);
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 2);
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 0);
	assert_col(&c, WANT_FIRST);
	assert_int_equal(vg_journal_checkpoint(j, &cp), 0);
	assert_int_equal(vg_buf_append(&cp, "", 1), 0);
	assert_string_equal(cp.data, c.cursor);
	vg_journal_stats st;
	vg_journal_stats_get(j, &st);
	assert_int_equal(st.entries, 3);

	/* Appended while open: the same reader picks them up. */
	journal_write_str("remote.journal", "__REALTIME_TIMESTAMP=1700000003000000\nMESSAGE=four\n"
					    "SYSLOG_IDENTIFIER=a\n_PID=1\n\n");
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 1);
	assert_col(&c, "<14>1 2023-11-14T22:13:23.000000Z - a 1 - - four\n");
	vg_journal_free(j);

	/* Restart from the cursor after entry three: exactly the new entries,
	 * from this file and from another file in the directory. */
	journal_write_str("remote.journal", "__REALTIME_TIMESTAMP=1700000004000000\nMESSAGE=five\n\n");
	journal_write_str("other.journal", "__REALTIME_TIMESTAMP=1700000005000000\nMESSAGE=six\n"
					   "PRIORITY=0\nSYSLOG_FACILITY=4\n\n");
	j = jopen(cp.data, 0);
	assert_int_equal(vg_journal_poll(j, 1, collect, &c), 1);
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 2);
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 0);
	assert_col(&c, "<14>1 2023-11-14T22:13:23.000000Z - a 1 - - four\n"
		       "<14>1 2023-11-14T22:13:24.000000Z - - - - - five\n"
		       "<32>1 2023-11-14T22:13:25.000000Z - - - - - six\n");
	/* ...and from the last cursor: nothing. */
	cp.len = 0;
	assert_int_equal(vg_journal_checkpoint(j, &cp), 0);
	assert_int_equal(vg_buf_append(&cp, "", 1), 0);
	vg_journal_free(j);
	j = jopen(cp.data, 0);
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 0);
	/* before anything is delivered, the checkpoint is the cursor opened with */
	vg_buf cp2 = {0};
	assert_int_equal(vg_journal_checkpoint(j, &cp2), 0);
	assert_int_equal(cp2.len, strlen(cp.data));
	assert_memory_equal(cp2.data, cp.data, cp2.len);
	vg_journal_free(j);
	vg_buf_free(&cp2);
	vg_buf_free(&cp);
	vg_buf_free(&c.out);
}

static void test_long_message_and_start_at_end(void **state)
{
	(void)state;
	need_remote();
	struct col c = {0};
	size_t big = VG_MAX_LINE + 5000;
	char *buf = malloc(big + 256);
	char *msg = malloc(big);
	assert_non_null(buf);
	assert_non_null(msg);
	memset(msg, 'm', big);
	size_t n = 0;
	const char *h = "__REALTIME_TIMESTAMP=1700000000000000\nSYSLOG_IDENTIFIER=big\n";
	memcpy(buf, h, strlen(h));
	n = strlen(h);
	n += binary_field(buf + n, "MESSAGE", msg, big);
	buf[n++] = '\n';
	journal_write("remote.journal", buf, n);
	vg_journal *j = jopen(NULL, 0);
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 1);
	assert_int_equal(c.truncated, 1);
	assert_int_equal(c.last_len, VG_MAX_LINE);
	vg_journal_stats st;
	vg_journal_stats_get(j, &st);
	assert_int_equal(st.truncated, 1);
	vg_journal_free(j);
	c.out.len = 0;
	/* start_at_end: the existing entry is not read, a new one is; the
	 * checkpoint is the last existing entry's cursor. */
	j = jopen(NULL, 1);
	vg_buf cp = {0};
	assert_int_equal(vg_journal_checkpoint(j, &cp), 0);
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 0);
	journal_write_str("remote.journal", "__REALTIME_TIMESTAMP=1700000001000000\nMESSAGE=new\n\n");
	assert_int_equal(vg_journal_poll(j, 100, collect, &c), 1);
	assert_col(&c, "<14>1 2023-11-14T22:13:21.000000Z - - - - - new\n");
	vg_journal_free(j);
	vg_buf_free(&cp);
	free(buf);
	free(msg);
	vg_buf_free(&c.out);
}

static void test_open_failures(void **state)
{
	(void)state;
	char why[512], path[400];
	int err = 0;
	/* no such directory */
	snprintf(path, sizeof(path), "%s/missing", g_dir);
	vg_journal_opts o = {.dir = path};
	why[0] = '\0';
	assert_null(vg_journal_open(&o, &err, why, sizeof(why)));
	assert_int_equal(err, VG_ENOTFOUND);
	assert_non_null(strstr(why, "missing"));
	/* a directory without journal files */
	o.dir = g_dir;
	why[0] = '\0';
	assert_null(vg_journal_open(&o, &err, why, sizeof(why)));
	assert_int_equal(err, VG_ENOTFOUND);
	assert_non_null(strstr(why, "no journal files"));
	/* malformed cursors */
	o.cursor = "not a cursor";
	assert_null(vg_journal_open(&o, &err, why, sizeof(why)));
	assert_int_equal(err, VG_EPARSE);
	o.cursor = "";
	assert_null(vg_journal_open(&o, &err, NULL, 0));
	assert_int_equal(err, VG_EPARSE);
	if (access(REMOTE, X_OK) == 0) {
		journal_write_str("remote.journal", "__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=x\n\n");
		o.cursor = "garbage;;=";
		assert_null(vg_journal_open(&o, &err, why, sizeof(why)));
		assert_int_equal(err, VG_EPARSE);
	}
	/* The system journal: opens, or fails cleanly with a reason (containers). */
	why[0] = '\0';
	vg_journal *j = vg_journal_open(NULL, &err, why, sizeof(why));
	if (j == NULL) {
		assert_true(err == VG_ENOTFOUND || err == VG_EIO);
		assert_non_null(strstr(why, "journal"));
	} else {
		struct col c = {0};
		assert_true(vg_journal_poll(j, 5, collect, &c) >= 0);
		vg_journal_free(j);
		vg_buf_free(&c.out);
	}
	assert_int_equal(vg_journal_poll(NULL, 1, collect, NULL), VG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_message_and_start_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
