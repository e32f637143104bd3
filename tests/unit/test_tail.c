/* test_tail.c — the file input on real files in a temp directory: appends,
 * partial lines, back-pressure, rename rotation while reading, copy-truncate,
 * exact restarts from checkpoints (with a rotation while the agent was down),
 * new files picked up by the glob, start_at_end, over-long lines, and bad or
 * damaged checkpoint blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/tail.h"

/* ---- helpers ---- */

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
	snprintf(g_dir, sizeof(g_dir), "%s/vgtail-XXXXXX", tmp ? tmp : "/tmp");
	return mkdtemp(g_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static const char *P(const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", g_dir, name);
	return buf[k];
}

static void put(const char *name, const char *mode, const char *data, size_t len)
{
	FILE *f = fopen(P(name), mode);
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void append(const char *name, const char *s)
{
	put(name, "ab", s, strlen(s));
}

static void write_file(const char *name, const char *s)
{
	put(name, "wb", s, strlen(s));
}

/* Collects delivered lines as "name:line_no:text\n" ("!" before the text
 * when truncated, then only its length). Refuses the line numbered refuse_at
 * (counting deliveries from 1) once, to test back-pressure. */
struct col {
	vg_buf out;
	int calls;
	int refuse_at;
};

static int collect(void *ud, const char *path, uint64_t line_no, const char *line, size_t len,
		   int truncated)
{
	struct col *c = ud;
	c->calls++;
	if (c->refuse_at > 0 && c->calls == c->refuse_at) {
		c->refuse_at = 0;
		return 1;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char tmp[600];
	int n;
	if (truncated)
		n = snprintf(tmp, sizeof(tmp), "%s:%" PRIu64 ":!%zu\n", base, line_no, len);
	else
		n = snprintf(tmp, sizeof(tmp), "%s:%" PRIu64 ":%.*s\n", base, line_no,
			     (int)(len > 400 ? 400 : len), line);
	assert_true(n > 0 && (size_t)n < sizeof(tmp));
	assert_int_equal(vg_buf_append(&c->out, tmp, (size_t)n), 0);
	return 0;
}

static void col_reset(struct col *c)
{
	c->out.len = 0;
}

static void assert_col(struct col *c, const char *want)
{
	assert_int_equal(vg_buf_append(&c->out, "", 1), 0);
	c->out.len--;
	if (strcmp(c->out.data ? c->out.data : "", want) != 0)
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", c->out.data ? c->out.data : "", want);
	assert_string_equal(c->out.data ? c->out.data : "", want);
	col_reset(c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The same, for lines of several files, whose interleaving is not specified:
 * compares the sorted lines (each file's own order is in its line numbers). */
static void assert_col_sorted(struct col *c, const char *want)
{
	assert_int_equal(vg_buf_append(&c->out, "", 1), 0);
	char *lines[64];
	size_t n = 0;
	for (char *l = strtok(c->out.data, "\n"); l != NULL && n < 64; l = strtok(NULL, "\n"))
		lines[n++] = l;
	qsort(lines, n, sizeof(char *), cmp_str);
	vg_buf got = {0};
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(vg_buf_append(&got, lines[i], strlen(lines[i])), 0);
		assert_int_equal(vg_buf_append(&got, "\n", 1), 0);
	}
	assert_int_equal(vg_buf_append(&got, "", 1), 0);
	assert_string_equal(got.data, want);
	vg_buf_free(&got);
	col_reset(c);
}

static void quiet(void *ud, const char *msg)
{
	int *n = ud;
	(*n)++;
	(void)msg;
}

static int g_warnings;

static vg_tail *mk(const char *pattern, int start_at_end)
{
	const char *globs[] = {P(pattern)};
	vg_tail_opts o = {.scan_interval_ms = -1, .rotate_wait_ms = -1, .start_at_end = start_at_end,
			  .log = quiet, .log_ud = &g_warnings};
	int err = 0;
	vg_tail *t = vg_tail_new(globs, 1, &o, &err);
	assert_non_null(t);
	return t;
}

/* Polls until nothing more comes; returns lines delivered. */
static int drain(vg_tail *t, struct col *c, size_t max)
{
	int total = 0;
	for (int i = 0; i < 1000; i++) {
		int r = vg_tail_poll(t, max, collect, c);
		assert_true(r >= 0);
		if (r == 0 && c->refuse_at == 0)
			return total;
		total += r;
	}
	fail_msg("poll never settled");
	return total;
}

static void checkpoint(vg_tail *t, vg_buf *b)
{
	b->len = 0;
	assert_int_equal(vg_tail_checkpoint(t, b), 0);
	assert_true(b->len > 0 && b->len <= VG_TAIL_MAX_CHECKPOINT);
}

static vg_tail *reopen(vg_tail *t, const char *pattern, const vg_buf *blob)
{
	vg_tail_free(t);
	t = mk(pattern, 0);
	assert_int_equal(vg_tail_restore(t, blob->data, blob->len), 0);
	return t;
}

/* ---- tests ---- */

static void test_basic_appends(void **state)
{
	(void)state;
	struct col c = {0};
	write_file("a.log", "one\ntwo\n");
	vg_tail *t = mk("*.log", 0);
	assert_int_equal(vg_tail_poll(t, 100, collect, &c), 2);
	assert_col(&c, "a.log:1:one\na.log:2:two\n");
	assert_int_equal(vg_tail_poll(t, 100, collect, &c), 0);
	append("a.log", "three\n\nfive\n");
	assert_int_equal(vg_tail_poll(t, 100, collect, &c), 3);
	assert_col(&c, "a.log:3:three\na.log:4:\na.log:5:five\n");
	/* max_lines bounds one poll. */
	append("a.log", "6\n7\n8\n");
	assert_int_equal(vg_tail_poll(t, 2, collect, &c), 2);
	assert_int_equal(vg_tail_poll(t, 2, collect, &c), 1);
	assert_col(&c, "a.log:6:6\na.log:7:7\na.log:8:8\n");
	vg_tail_stats st;
	vg_tail_stats_get(t, &st);
	assert_int_equal(st.lines, 8);
	assert_int_equal(st.bytes, strlen("one\ntwo\nthree\n\nfive\n6\n7\n8\n"));
	assert_int_equal(st.files_open, 1);
	assert_int_equal(vg_tail_poll(t, 0, collect, &c), VG_EINVAL);
	vg_tail_free(t);
	vg_buf_free(&c.out);
}

static void test_partial_and_backpressure(void **state)
{
	(void)state;
	struct col c = {0};
	write_file("a.log", "abc");
	vg_tail *t = mk("a.log", 0);
	assert_int_equal(vg_tail_poll(t, 100, collect, &c), 0);
	append("a.log", "def");
	assert_int_equal(vg_tail_poll(t, 100, collect, &c), 0);
	append("a.log", "\r\nx\ny\nz\n");
	/* The second delivery is refused: the poll stops there... */
	c.refuse_at = 2;
	assert_int_equal(vg_tail_poll(t, 100, collect, &c), 1);
	assert_col(&c, "a.log:1:abcdef\r\n");
	/* ...and the refused line comes again, once. */
	vg_buf cp = {0};
	checkpoint(t, &cp);
	assert_int_equal(vg_tail_poll(t, 100, collect, &c), 3);
	assert_col(&c, "a.log:2:x\na.log:3:y\na.log:4:z\n");
	/* The checkpoint taken after the refusal resumes at the refused line. */
	t = reopen(t, "a.log", &cp);
	assert_int_equal(drain(t, &c, 100), 3);
	assert_col(&c, "a.log:2:x\na.log:3:y\na.log:4:z\n");
	vg_tail_free(t);
	vg_buf_free(&cp);
	vg_buf_free(&c.out);
}

static void test_rename_rotation(void **state)
{
	(void)state;
	struct col c = {0};
	write_file("app.log", "l1\nl2\nl3\n");
	vg_tail *t = mk("app.log", 0);
	assert_int_equal(vg_tail_poll(t, 1, collect, &c), 1);
	assert_col(&c, "app.log:1:l1\n");
	/* Rotate: the old file gets a late line and a partial last line. */
	assert_int_equal(rename(P("app.log"), P("app.log.1")), 0);
	write_file("app.log", "n1\nn2\n");
	append("app.log.1", "l4\npartial");
	assert_int_equal(drain(t, &c, 100), 6);
	/* Old file to its end (partial line delivered when it is closed), then the new one. */
	assert_col(&c, "app.log:2:l2\napp.log:3:l3\napp.log:4:l4\napp.log:5:partial\n"
		       "app.log:1:n1\napp.log:2:n2\n");
	vg_tail_stats st;
	vg_tail_stats_get(t, &st);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(st.files_open, 1);
	/* A second rotation, with the new name matched too: no re-reading. */
	vg_tail_free(t);
	t = mk("app.log*", 0);
	assert_int_equal(drain(t, &c, 100), 6); /* app.log.1 (its partial line waits), app.log */
	col_reset(&c);
	assert_int_equal(rename(P("app.log"), P("app.log.2")), 0);
	write_file("app.log", "m1\n");
	append("app.log.2", "n3\nhalf");
	assert_int_equal(drain(t, &c, 100), 2);
	/* still matched, so still growing: its partial line waits, the new file does not */
	assert_col(&c, "app.log.2:3:n3\napp.log:1:m1\n");
	append("app.log.2", " done\n");
	assert_int_equal(drain(t, &c, 100), 1);
	assert_col(&c, "app.log.2:4:half done\n");
	vg_tail_free(t);
	vg_buf_free(&c.out);
}

/* A restart between the rename and the creation of the new file, with the
 * rotated name matched too: the new file is still read after the old one. */
static void test_rotation_order_across_restart(void **state)
{
	(void)state;
	struct col c = {0};
	vg_buf cp = {0};
	write_file("app.log", "o1\no2\n");
	vg_tail *t = mk("app.log*", 0);
	assert_int_equal(vg_tail_poll(t, 1, collect, &c), 1);
	assert_int_equal(rename(P("app.log"), P("app.log.1")), 0);
	assert_int_equal(vg_tail_poll(t, 1, collect, &c), 1); /* sees only app.log.1 */
	assert_col(&c, "app.log:1:o1\napp.log.1:2:o2\n");
	checkpoint(t, &cp);
	vg_tail_free(t);
	write_file("app.log", "n1\n");
	append("app.log.1", "o3\no4\n");
	t = mk("app.log*", 0);
	assert_int_equal(vg_tail_restore(t, cp.data, cp.len), 0);
	/* one line per poll, so that the round-robin would start a poll with the
	 * new file if nothing held it back */
	assert_int_equal(drain(t, &c, 1), 3);
	assert_col(&c, "app.log.1:3:o3\napp.log.1:4:o4\napp.log:1:n1\n");
	vg_tail_free(t);
	vg_buf_free(&cp);
	vg_buf_free(&c.out);
}

static void test_copy_truncate(void **state)
{
	(void)state;
	struct col c = {0};
	write_file("ct.log", "first line\nsecond line\nthird line\n");
	vg_tail *t = mk("ct.log", 0);
	assert_int_equal(drain(t, &c, 100), 3);
	col_reset(&c);
	/* Truncated, then written again, shorter than the old position. */
	assert_int_equal(truncate(P("ct.log"), 0), 0);
	append("ct.log", "t1\nt2\n");
	assert_int_equal(drain(t, &c, 100), 2);
	assert_col(&c, "ct.log:1:t1\nct.log:2:t2\n");
	/* Truncated and rewritten past the old position before the next poll:
	 * the head changed, so the fingerprint tells. */
	assert_int_equal(truncate(P("ct.log"), 0), 0);
	append("ct.log", "u1 a much longer line than before\nu2\n");
	assert_int_equal(drain(t, &c, 100), 2);
	assert_col(&c, "ct.log:1:u1 a much longer line than before\nct.log:2:u2\n");
	vg_tail_stats st;
	vg_tail_stats_get(t, &st);
	assert_int_equal(st.truncations, 2);
	/* Plain appends after that are not mistaken for a truncation. */
	append("ct.log", "u3\n");
	assert_int_equal(drain(t, &c, 100), 1);
	assert_col(&c, "ct.log:3:u3\n");
	vg_tail_stats_get(t, &st);
	assert_int_equal(st.truncations, 2);
	vg_tail_free(t);
	vg_buf_free(&c.out);
}

/* Delivers lines a few at a time, checkpointing after every poll and
 * restarting from the blob every few polls, while lines are appended and the
 * file rotated: every line must come exactly once, in order. */
static void test_restart_exact(void **state)
{
	(void)state;
	struct col c = {0};
	vg_buf cp = {0};
	char line[64];
	int written = 0, gen = 0;
	write_file("x.log", "");
	vg_tail *t = mk("x.log", 0);
	unsigned seed = 12345;
	for (int step = 0; step < 300; step++) {
		seed = seed * 1103515245u + 12345u;
		int burst = (int)((seed >> 16) % 5);
		for (int k = 0; k < burst; k++) {
			snprintf(line, sizeof(line), "g%d line %d\n", gen, ++written);
			append("x.log", line);
		}
		if (step % 97 == 96) { /* rotation between polls */
			char old[32];
			snprintf(old, sizeof(old), "x.log.%d", gen);
			assert_int_equal(rename(P("x.log"), P(old)), 0);
			write_file("x.log", "");
			gen++;
		}
		size_t max = 1 + (seed >> 8) % 4;
		int r = vg_tail_poll(t, max, collect, &c);
		assert_true(r >= 0);
		checkpoint(t, &cp);
		if (step % 7 == 6)
			t = reopen(t, "x.log", &cp);
	}
	assert_true(drain(t, &c, 1000) >= 0);
	/* Every line once, in order; line numbers restart with each file. */
	char *s = c.out.data;
	assert_non_null(s);
	assert_int_equal(vg_buf_append(&c.out, "", 1), 0);
	int seen = 0, cur_gen = 0;
	uint64_t expect_no = 1;
	for (char *l = strtok(s, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		int g, num;
		uint64_t no;
		assert_int_equal(sscanf(l, "x.log:%" SCNu64 ":g%d line %d", &no, &g, &num), 3);
		assert_int_equal(num, seen + 1); /* every line once, in order */
		seen = num;
		if (g != cur_gen) {
			assert_int_equal(g, cur_gen + 1);
			cur_gen = g;
			expect_no = 1;
		}
		assert_int_equal(no, expect_no);
		expect_no++;
	}
	assert_int_equal(seen, written);
	assert_true(written > 100);
	vg_tail_free(t);
	vg_buf_free(&cp);
	vg_buf_free(&c.out);
}

static void test_rotated_while_down(void **state)
{
	(void)state;
	struct col c = {0};
	vg_buf cp = {0};
	write_file("app.log", "1\n2\n3\n4\n5\n");
	vg_tail *t = mk("app.log", 0);
	assert_int_equal(vg_tail_poll(t, 3, collect, &c), 3);
	assert_col(&c, "app.log:1:1\napp.log:2:2\napp.log:3:3\n");
	checkpoint(t, &cp);
	vg_tail_free(t);
	/* While down: rotated, written to after the rename, and a new file. */
	assert_int_equal(rename(P("app.log"), P("app.log.1")), 0);
	append("app.log.1", "6\n");
	write_file("app.log", "n1\nn2\n");
	t = mk("app.log", 0);
	assert_int_equal(vg_tail_restore(t, cp.data, cp.len), 0);
	assert_int_equal(drain(t, &c, 100), 5);
	assert_col(&c, "app.log:4:4\napp.log:5:5\napp.log:6:6\napp.log:1:n1\napp.log:2:n2\n");
	/* Then the new file alone, checkpointed, restarted: nothing repeated. */
	checkpoint(t, &cp);
	append("app.log", "n3\n");
	t = reopen(t, "app.log", &cp);
	assert_int_equal(drain(t, &c, 100), 1);
	assert_col(&c, "app.log:3:n3\n");
	/* The saved file deleted while down and its inode maybe reused: a file
	 * with other content under the name is read from 0, never from the old
	 * offset. */
	checkpoint(t, &cp);
	vg_tail_free(t);
	assert_int_equal(unlink(P("app.log")), 0);
	assert_int_equal(unlink(P("app.log.1")), 0);
	write_file("app.log", "fresh 1\nfresh 2\n");
	t = mk("app.log", 0);
	assert_int_equal(vg_tail_restore(t, cp.data, cp.len), 0);
	assert_int_equal(drain(t, &c, 100), 2);
	assert_col(&c, "app.log:1:fresh 1\napp.log:2:fresh 2\n");
	vg_tail_free(t);
	vg_buf_free(&cp);
	vg_buf_free(&c.out);
}

static void test_glob_new_files_and_start_at_end(void **state)
{
	(void)state;
	struct col c = {0};
	write_file("a.log", "old a\n");
	write_file("skip.txt", "not matched\n");
	vg_tail *t = mk("*.log", 1);
	/* start_at_end: the existing file's content is not read... */
	assert_int_equal(drain(t, &c, 100), 0);
	append("a.log", "new a\n");
	/* ...files created later are read from their beginning. */
	write_file("b.log", "b1\nb2\n");
	mkdir(P("dir.log"), 0700); /* not a regular file: ignored */
	assert_int_equal(drain(t, &c, 100), 3);
	assert_col_sorted(&c, "a.log:1:new a\nb.log:1:b1\nb.log:2:b2\n");
	vg_tail_stats st;
	vg_tail_stats_get(t, &st);
	assert_int_equal(st.files_open, 2);
	vg_tail_free(t);
	/* start_at_end in the middle of a line drops that line's rest. */
	write_file("m.log", "m1\nhalf");
	t = mk("m.log", 1);
	assert_int_equal(drain(t, &c, 100), 0);
	append("m.log", " done\nm3\n");
	assert_int_equal(drain(t, &c, 100), 1);
	assert_col(&c, "m.log:1:m3\n");
	vg_tail_free(t);
	/* max_files: the extra file is skipped and counted, not fatal. */
	const char *globs[] = {P("*.log")};
	g_warnings = 0;
	vg_tail_opts o = {.scan_interval_ms = -1, .max_files = 2, .log = quiet, .log_ud = &g_warnings};
	int err;
	t = vg_tail_new(globs, 1, &o, &err);
	assert_non_null(t);
	assert_int_equal(drain(t, &c, 100), 4); /* a.log and b.log, in glob order */
	vg_tail_stats_get(t, &st);
	assert_int_equal(st.files_open, 2);
	assert_true(st.skipped_files >= 1);
	assert_int_equal(g_warnings, 1);
	vg_tail_free(t);
	vg_buf_free(&c.out);
}

static void test_long_lines(void **state)
{
	(void)state;
	struct col c = {0};
	vg_buf cp = {0};
	size_t big = VG_MAX_LINE + 1000;
	char *x = malloc(3 * VG_MAX_LINE);
	assert_non_null(x);
	memset(x, 'x', 3 * VG_MAX_LINE);
	/* exactly VG_MAX_LINE: whole; one more: cut; a long one then a short one */
	put("l.log", "wb", x, VG_MAX_LINE);
	append("l.log", "\n");
	put("l.log", "ab", x, VG_MAX_LINE + 1);
	append("l.log", "\n");
	put("l.log", "ab", x, big);
	append("l.log", "\nshort\n");
	vg_tail *t = mk("l.log", 0);
	assert_int_equal(drain(t, &c, 100), 4);
	char want[640];
	snprintf(want, sizeof(want), "l.log:1:%.400s\nl.log:2:!%d\nl.log:3:!%d\nl.log:4:short\n", x,
		 VG_MAX_LINE, VG_MAX_LINE);
	assert_col(&c, want);
	/* A long line still being written: cut when it passes the limit, the rest
	 * skipped across polls and across a restart from the checkpoint. */
	put("l.log", "ab", x, VG_MAX_LINE + 10);
	assert_int_equal(drain(t, &c, 100), 1);
	snprintf(want, sizeof(want), "l.log:5:!%d\n", VG_MAX_LINE);
	assert_col(&c, want);
	put("l.log", "ab", x, 2 * VG_MAX_LINE);
	assert_int_equal(drain(t, &c, 100), 0);
	checkpoint(t, &cp);
	t = reopen(t, "l.log", &cp);
	append("l.log", "rest of it\nnext\n");
	assert_int_equal(drain(t, &c, 100), 1);
	assert_col(&c, "l.log:6:next\n");
	vg_tail_stats st;
	vg_tail_stats_get(t, &st);
	assert_int_equal(st.truncated_lines, 0); /* counters are per process */
	vg_tail_free(t);
	free(x);
	vg_buf_free(&cp);
	vg_buf_free(&c.out);
}

static void test_bad_checkpoint(void **state)
{
	(void)state;
	struct col c = {0};
	vg_buf cp = {0};
	write_file("a.log", "1\n2\n");
	write_file("sub.log", "s\n");
	vg_tail *t = mk("*.log", 0);
	assert_int_equal(drain(t, &c, 100), 3);
	checkpoint(t, &cp);
	/* restore only before the first poll */
	assert_int_equal(vg_tail_restore(t, cp.data, cp.len), VG_EINVAL);
	vg_tail_free(t);
	t = mk("*.log", 0);
	static const unsigned char junk[] = "VGTC\1\0\0\0\0\0garbage";
	assert_int_equal(vg_tail_restore(t, "", 0), VG_EPARSE);
	assert_int_equal(vg_tail_restore(t, junk, sizeof(junk)), VG_EPARSE);
	/* Every truncation and every single-bit flip is refused, and leaves the
	 * tail unchanged. */
	unsigned char *d = malloc(cp.len);
	assert_non_null(d);
	for (size_t n = 0; n < cp.len; n++)
		assert_int_equal(vg_tail_restore(t, cp.data, n), VG_EPARSE);
	for (size_t i = 0; i < cp.len; i++) {
		for (int b = 0; b < 8; b++) {
			memcpy(d, cp.data, cp.len);
			d[i] ^= (unsigned char)(1u << b);
			assert_int_equal(vg_tail_restore(t, d, cp.len), VG_EPARSE);
		}
	}
	free(d);
	vg_buf out = {0};
	assert_int_equal(vg_tail_checkpoint(t, &out), 0);
	/* an empty tail's blob restores to an empty tail */
	vg_tail *e = mk("none*", 0);
	assert_int_equal(vg_tail_restore(e, out.data, out.len), 0);
	vg_tail_free(e);
	vg_buf_free(&out);
	/* max_files below the blob's count: VG_ELIMIT */
	const char *globs[] = {P("*.log")};
	vg_tail_opts o = {.max_files = 1};
	int err;
	e = vg_tail_new(globs, 1, &o, &err);
	assert_non_null(e);
	assert_int_equal(vg_tail_restore(e, cp.data, cp.len), VG_ELIMIT);
	vg_tail_free(e);
	/* the good blob still works after all that */
	assert_int_equal(vg_tail_restore(t, cp.data, cp.len), 0);
	append("a.log", "3\n");
	assert_int_equal(drain(t, &c, 100), 1);
	vg_tail_free(t);
	assert_null(vg_tail_new(globs, 0, NULL, &err));
	assert_int_equal(err, VG_EINVAL);
	vg_buf_free(&cp);
	vg_buf_free(&c.out);
}

/* A file that cannot be opened is reported once and skipped, the others are
 * read. Runs as an unprivileged user in a child (root can open anything). */
static void test_unreadable_file(void **state)
{
	(void)state;
	write_file("ok.log", "fine\n");
	write_file("no.log", "secret\n");
	assert_int_equal(chmod(P("no.log"), 0), 0);
	assert_int_equal(chmod(P("ok.log"), 0644), 0);
	assert_int_equal(chmod(g_dir, 0755), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(10);
		struct col c = {0};
		g_warnings = 0;
		vg_tail *t = mk("*.log", 0);
		int a = vg_tail_poll(t, 100, collect, &c);
		int b = vg_tail_poll(t, 100, collect, &c);
		vg_tail_stats st;
		vg_tail_stats_get(t, &st);
		int ok = a == 1 && b == 0 && g_warnings == 1 && st.files_open == 1 && st.errors == 2 &&
			 c.out.len == strlen("ok.log:1:fine\n");
		vg_tail_free(t);
		vg_buf_free(&c.out);
		_exit(ok ? 0 : 11);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_and_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_order_across_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotated_while_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glob_new_files_and_start_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
