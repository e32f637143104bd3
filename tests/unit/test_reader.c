/* test_reader.c — input framing: lines (CRLF, blank, over-long, no final
 * newline), JSON documents (multi-line, several per line, top-level array,
 * garbage between), auditd grouping by serial, gzip, and format detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "core/limits.h"
#include "scan/reader.h"

static char dir[] = "/tmp/vg_test_reader_XXXXXX";

static const char *write_file(const char *name, const char *data, size_t n)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	return path;
}

/* Read all records of path into one batch (large limits). */
static vg_reader *read_all(const char *path, const char *format, vg_batch *b)
{
	int err = 0;
	const vg_parser *p = format ? vg_parser_find(format) : NULL;
	vg_reader *r = vg_reader_open(path, p, &err);
	assert_non_null(r);
	vg_batch_init(b);
	assert_int_equal(vg_reader_next(r, b, 1 << 20, 1 << 30), 1);
	vg_batch tail;
	vg_batch_init(&tail);
	assert_int_equal(vg_reader_next(r, &tail, 1 << 20, 1 << 30), 0);
	vg_batch_clear(&tail);
	return r;
}

static void assert_rec(const vg_batch *b, size_t i, const char *text, uint64_t line)
{
	assert_true(i < b->nrecs);
	assert_int_equal(b->recs[i].line, line);
	assert_int_equal(b->recs[i].len, strlen(text));
	assert_memory_equal(b->buf + b->recs[i].off, text, strlen(text));
}

static void test_lines(void **state)
{
	(void)state;
	const char data[] = "first\r\n\n   \nsecond line\nthird";
	vg_batch b;
	vg_reader *r = read_all(write_file("lines.log", data, sizeof(data) - 1), "syslog", &b);
	assert_int_equal(b.nrecs, 3);
	assert_rec(&b, 0, "first", 1);
	assert_rec(&b, 1, "second line", 4);
	assert_rec(&b, 2, "third", 5);
	assert_int_equal(vg_reader_truncated(r), 0);
	vg_reader_close(r);
	vg_batch_clear(&b);
}

static void test_long_line(void **state)
{
	(void)state;
	size_t n = VG_MAX_LINE * 3 + 10;
	char *data = malloc(n + 20);
	memset(data, 'x', n);
	memcpy(data + n, "\nafter\n", 7);
	vg_batch b;
	vg_reader *r = read_all(write_file("long.log", data, n + 7), "syslog", &b);
	assert_int_equal(b.nrecs, 2);
	assert_int_equal(b.recs[0].len, VG_MAX_LINE);
	assert_int_equal(b.recs[0].line, 1);
	assert_rec(&b, 1, "after", 2);
	assert_int_equal(vg_reader_truncated(r), 1);
	vg_reader_close(r);
	vg_batch_clear(&b);
	free(data);
}

static void test_json_framing(void **state)
{
	(void)state;
	const char data[] = "{\n  \"a\": \"}{\\\"\",\n  \"b\": [1, {\"c\": 2}]\n}\n"
			    "{\"x\":1}{\"y\":2}\n"
			    "[{\"z\":3},\n {\"w\":4}]\n"
			    "not json\n"
			    "{\"last\":true}";
	vg_batch b;
	vg_reader *r = read_all(write_file("docs.json", data, sizeof(data) - 1), NULL, &b);
	assert_string_equal(vg_reader_parser(r)->name, "json");
	assert_int_equal(b.nrecs, 7);
	assert_rec(&b, 0, "{\n  \"a\": \"}{\\\"\",\n  \"b\": [1, {\"c\": 2}]\n}", 1);
	assert_rec(&b, 1, "{\"x\":1}", 5);
	assert_rec(&b, 2, "{\"y\":2}", 5);
	assert_rec(&b, 3, "{\"z\":3}", 6);
	assert_rec(&b, 4, "{\"w\":4}", 7);
	assert_rec(&b, 5, "not json", 8);
	assert_rec(&b, 6, "{\"last\":true}", 9);
	vg_reader_close(r);
	vg_batch_clear(&b);
}

static void test_json_small_batches(void **state)
{
	(void)state;
	/* batch limits that fall between documents of one line must lose nothing */
	const char data[] = "{\"a\":1}{\"b\":2}{\"c\":3}\n{\"d\":4}\n";
	int err = 0;
	vg_reader *r = vg_reader_open(write_file("small.json", data, sizeof(data) - 1), vg_parser_find("json"), &err);
	assert_non_null(r);
	vg_batch b;
	vg_batch_init(&b);
	const char *want[] = {"{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(vg_reader_next(r, &b, 1, 1 << 20), 1);
		assert_int_equal(b.nrecs, 1);
		assert_rec(&b, 0, want[i], i < 3 ? 1 : 2);
	}
	assert_int_equal(vg_reader_next(r, &b, 1, 1 << 20), 0);
	vg_reader_close(r);
	vg_batch_clear(&b);
}

static void test_audit_grouping(void **state)
{
	(void)state;
	const char data[] =
		"type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=59 success=yes\n"
		"type=EXECVE msg=audit(1364481363.243:24287): argc=2 a0=\"cat\" a1=\"/etc/shadow\"\n"
		"type=EOE msg=audit(1364481363.243:24287): \n"
		"type=USER_AUTH msg=audit(1364481364.000:24288): pid=1 res=failed\n"
		"node=h1 type=SYSCALL msg=audit(1364481365.000:24289): syscall=2\n"
		"node=h1 type=PATH msg=audit(1364481365.000:24289): name=\"/etc/passwd\"\n";
	vg_batch b;
	vg_reader *r = read_all(write_file("audit.log", data, sizeof(data) - 1), NULL, &b);
	assert_string_equal(vg_reader_parser(r)->name, "auditd");
	assert_int_equal(b.nrecs, 3);
	assert_int_equal(b.recs[0].line, 1);
	assert_non_null(memmem(b.buf + b.recs[0].off, b.recs[0].len, "\ntype=EXECVE", 12));
	assert_non_null(memmem(b.buf + b.recs[0].off, b.recs[0].len, "\ntype=EOE", 9));
	assert_int_equal(b.recs[1].line, 4);
	assert_int_equal(b.recs[2].line, 5);
	assert_non_null(memmem(b.buf + b.recs[2].off, b.recs[2].len, "\nnode=h1 type=PATH", 18));
	vg_reader_close(r);
	vg_batch_clear(&b);
}

static void test_gzip(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof(path), "%s/x.log.gz", dir);
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	for (int i = 0; i < 50000; i++)
		gzprintf(gz, "Dec 10 06:55:46 LabSZ sshd[%d]: Failed password for root from 1.2.3.%d port 22 ssh2\n", i, i % 250);
	gzclose(gz);
	int err = 0;
	vg_reader *r = vg_reader_open(path, NULL, &err);
	assert_non_null(r);
	assert_string_equal(vg_reader_parser(r)->name, "syslog");
	vg_batch b;
	vg_batch_init(&b);
	size_t total = 0;
	uint64_t last = 0;
	while (vg_reader_next(r, &b, 4096, 1 << 20) == 1) {
		total += b.nrecs;
		last = b.recs[b.nrecs - 1].line;
	}
	assert_int_equal(total, 50000);
	assert_int_equal(last, 50000);
	vg_reader_close(r);
	vg_batch_clear(&b);
}

/* Lines over several read buffers, framed in place (the batch takes the read
 * buffer): every record and line number equals a plain split of the data, for
 * a plain and a gzip file and for several batch limits, while earlier batches
 * are still held (as the scan's ring holds them) and must stay intact. Blank
 * and CRLF lines, lines cut at VG_MAX_LINE (the copying framer's cases, in
 * the middle of in-place batches; one longer than the reader's buffer, whose
 * tail is skipped as it is read) and a last line without a newline. */
#define RING 3
static uint64_t batch_sum(const vg_batch *b)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < b->nrecs; i++)
		for (size_t j = 0; j < b->recs[i].len; j++)
			h = (h ^ (unsigned char)b->buf[b->recs[i].off + j]) * 1099511628211u;
	return h;
}

static void check_lines_inplace(const char *path, const char *data, size_t n, size_t max_recs, size_t max_bytes)
{
	int err = 0;
	vg_reader *r = vg_reader_open(path, vg_parser_find("syslog"), &err);
	assert_non_null(r);
	vg_batch ring[RING];
	uint64_t sum[RING] = {0};
	size_t k = 0;
	for (size_t i = 0; i < RING; i++)
		vg_batch_init(&ring[i]);
	/* the reference: split at '\n', drop one '\r' before it, skip blank
	 * lines, cut at VG_MAX_LINE; ref[i] is the i-th record's start in data */
	const char *p = data, *end = data + n;
	uint64_t line = 1, in = 0;
	for (;; k = (k + 1) % RING) {
		vg_batch *b = &ring[k];
		/* held while RING - 1 more were read: its records are intact */
		if (b->nrecs > 0)
			assert_true(batch_sum(b) == sum[k]);
		int rc = vg_reader_next(r, b, max_recs, max_bytes);
		assert_true(rc == 0 || rc == 1);
		if (rc == 0)
			break;
		assert_true(b->nrecs <= max_recs);
		in += b->bytes_in;
		sum[k] = batch_sum(b);
		for (size_t i = 0; i < b->nrecs; i++) {
			const char *nl, *s;
			size_t len;
			for (;;) { /* the next non-blank reference line */
				assert_true(p < end);
				nl = memchr(p, '\n', (size_t)(end - p));
				s = p;
				len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
				p = nl != NULL ? nl + 1 : end;
				if (len > 0 && s[len - 1] == '\r')
					len--;
				size_t j = 0;
				while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
					j++;
				if (j < len)
					break;
				line++;
			}
			if (len > VG_MAX_LINE)
				len = VG_MAX_LINE;
			assert_int_equal(b->recs[i].line, line++);
			assert_int_equal(b->recs[i].len, len);
			assert_memory_equal(b->buf + b->recs[i].off, s, len);
		}
	}
	while (p < end) { /* only blank lines may be left */
		assert_true(*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t');
		p++;
	}
	assert_int_equal(in, n); /* every byte of the input, blank lines and cut tails too */
	vg_reader_close(r);
	for (size_t i = 0; i < RING; i++)
		vg_batch_clear(&ring[i]);
}

static void test_lines_inplace(void **state)
{
	(void)state;
	size_t cap = 3 * 1024 * 1024, n = 0;
	char *data = malloc(cap);
	assert_non_null(data);
	unsigned x = 12345;
	int huge = 0;
	while (n < cap - 200 * 1024) {
		x = x * 1103515245u + 12345u;
		unsigned kind = (x >> 16) % 1000;
		if (!huge && n > 1024 * 1024) { /* over the reader's 576 KB buffer */
			huge = 1;
			memset(data + n, 'H', 1024 * 1024);
			n += 1024 * 1024;
			data[n++] = '\n';
		} else if (kind == 0) { /* over-long: cut at VG_MAX_LINE */
			size_t len = VG_MAX_LINE + 1 + (x >> 8) % 3000;
			memset(data + n, 'L', len);
			n += len;
			data[n++] = '\n';
		} else if (kind < 20) {
			n += (size_t)sprintf(data + n, kind < 10 ? "\n" : "  \t \r\n");
		} else {
			n += (size_t)sprintf(data + n, "Dec 10 06:55:46 LabSZ sshd[%u]: Failed password for root from 1.2.3.%u port %u ssh2%s\n",
					     x % 99999, x % 250, (x >> 4) % 65536, kind < 100 ? "\r" : "");
		}
	}
	n += (size_t)sprintf(data + n, "Dec 10 06:55:47 LabSZ sshd[1]: last line, no newline");
	const char *plain = write_file("inplace.log", data, n);
	char gzpath[256];
	snprintf(gzpath, sizeof(gzpath), "%s/inplace.log.gz", dir);
	gzFile gz = gzopen(gzpath, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, (unsigned)n), (int)n);
	gzclose(gz);
	const size_t limits[][2] = {{8192, 1 << 20}, {4096, 1 << 20}, {1000, 64 * 1024}, {3, 1 << 20}};
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		check_lines_inplace(plain, data, n, limits[i][0], limits[i][1]);
		check_lines_inplace(gzpath, data, n, limits[i][0], limits[i][1]);
	}
	free(data);
}

static void test_missing(void **state)
{
	(void)state;
	int err = 0;
	assert_null(vg_reader_open("/nonexistent/file.log", NULL, &err));
	assert_int_equal(err, VG_EIO);
	assert_null(vg_reader_open(dir, NULL, &err));
	assert_int_equal(err, VG_EIO);
}

int main(void)
{
	assert_non_null(mkdtemp(dir));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),		  cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_json_framing),	  cmocka_unit_test(test_json_small_batches),
		cmocka_unit_test(test_audit_grouping), cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_missing),		  cmocka_unit_test(test_lines_inplace),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
