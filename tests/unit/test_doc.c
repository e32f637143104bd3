/* test_doc.c — the report document model and its renderers: a Vietnamese
 * "Mẫu 03" initial incident report (header block, form rows, a table spanning
 * several pages, a bar chart, signature) rendered as HTML (escaping, UTF-8
 * bytes, inline SVG, no external resources) and as PDF, checked through
 * poppler's pdftotext/pdfinfo (exact Vietnamese strings, page numbers, the
 * table's last row, page count, metadata); an English report; strict UTF-8
 * validation naming the element; limits; atomic PDF output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/doc.h"

#define TITLE_VI "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG"
#define MOTTO "Độc lập - Tự do - Hạnh phúc"
#define NATION "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
#define EVIL "<script>alert(\"x\")</script> & 'q'"
#define LAST_ROW_VI "Dòng cuối: quét cổng từ 203.0.113.250"
#define NROWS 250

/* ---- helpers ---- */

/* Under LeakSanitizer: fontconfig's caches, held by pango's font map until
 * exit, are not ours (the same rule as tests/lsan.supp, built in so that
 * this test passes under ASan however it is run). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void tdir_make(char *dir, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, n, "%s/vgdoc-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
}

static void tdir_free(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* stdout of cmd, NUL-terminated; the caller frees. */
static char *run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t len = 0, cap = 1 << 16;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t n;
	while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			s = realloc(s, cap);
			assert_non_null(s);
		}
	}
	s[len] = 0;
	assert_int_equal(pclose(f), 0);
	return s;
}

static char *pdftotext(const char *pdf)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "pdftotext -layout -enc UTF-8 '%s' -", pdf);
	return run(cmd);
}

static char *pdfinfo(const char *pdf)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "pdfinfo -enc UTF-8 '%s'", pdf);
	return run(cmd);
}

/* The value of "Name:   value" in pdfinfo's output (static buffer). */
static const char *info_field(const char *info, const char *name)
{
	static char val[512];
	char key[64];
	snprintf(key, sizeof(key), "%s:", name);
	const char *p = info;
	while (p != NULL && strncmp(p, key, strlen(key)) != 0)
		p = (p = strchr(p, '\n')) != NULL ? p + 1 : NULL;
	if (p == NULL)
		fail_msg("pdfinfo has no %s", name);
	p += strlen(key);
	p += strspn(p, " ");
	size_t n = strcspn(p, "\n");
	assert_true(n < sizeof(val));
	memcpy(val, p, n);
	val[n] = 0;
	return val;
}

static int pdf_pages(const char *info)
{
	const char *p = strstr(info, "\nPages:");
	assert_non_null(p);
	return atoi(p + 7);
}

static void assert_has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("missing \"%s\"", needle);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* With VG_DOC_KEEP=dir, the rendered samples are copied there to look at. */
static void keep(const char *file, const char *name)
{
	const char *dir = getenv("VG_DOC_KEEP");
	if (dir == NULL || *dir == 0)
		return;
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%s'", file, dir, name);
	assert_int_equal(system(cmd), 0);
}

static void keep_html(const vg_buf *b, const char *name)
{
	const char *dir = getenv("VG_DOC_KEEP");
	if (dir == NULL || *dir == 0)
		return;
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
}

/* A Mẫu 03-like initial incident report (Circular 20/2017/TT-BTTTT). */
static vg_doc *mau03(int rows)
{
	int err = 0;
	vg_doc *d = vg_doc_new(TITLE_VI, "vi", &err);
	assert_non_null(d);
	const vg_doc_line left[] = {
		{.text = "BỘ THÔNG TIN VÀ TRUYỀN THÔNG"},
		{.text = "CÔNG TY CỔ PHẦN ABC", .flags = VG_DOC_BOLD},
		{.text = "Số: 15/BC-ABC"},
	};
	const vg_doc_line right[] = {
		{.text = NATION, .flags = VG_DOC_BOLD},
		{.text = MOTTO, .flags = VG_DOC_BOLD | VG_DOC_UNDERLINE},
		{.text = "Hà Nội, ngày 21 tháng 11 năm 2026", .flags = VG_DOC_ITALIC},
	};
	assert_int_equal(vg_doc_header_block(d, left, 3, right, 3), 0);
	assert_int_equal(vg_doc_heading(d, 1, TITLE_VI), 0);
	assert_int_equal(vg_doc_para_ex(d, "Kính gửi: Cơ quan điều phối quốc gia về ứng cứu sự cố",
					VG_DOC_CENTER),
			 0);
	assert_int_equal(vg_doc_heading(d, 2, "1. Thông tin về đơn vị báo cáo sự cố"), 0);
	assert_int_equal(vg_doc_kv(d, "Tên đơn vị:", "Công ty Cổ phần ABC"), 0);
	assert_int_equal(vg_doc_kv(d, "Địa chỉ:", "Số 1 Đường Trần Duy Hưng, Cầu Giấy, Hà Nội"), 0);
	assert_int_equal(vg_doc_kv(d, "Điện thoại:", "024 3999 9999"), 0);
	assert_int_equal(vg_doc_heading(d, 2, "2. Thông tin về hệ thống bị sự cố"), 0);
	assert_int_equal(vg_doc_kv(d, "Tên Hệ thống thông tin:", "Cổng thông tin điện tử"), 0);
	assert_int_equal(vg_doc_kv(d, "Cấp độ an toàn:", "Cấp độ 3"), 0);
	assert_int_equal(vg_doc_para(d, "Mô tả sơ bộ: phát hiện hành vi dò quét và đăng nhập "
					"trái phép vào máy chủ ứng dụng; các sự kiện ghi nhận được "
					"liệt kê trong bảng dưới đây."),
			 0);
	assert_int_equal(vg_doc_heading(d, 2, "3. Danh sách sự kiện ghi nhận"), 0);
	const char *hdr[] = {"STT", "Thời gian", "Địa chỉ nguồn", "Mô tả sự kiện", "Mức độ"};
	assert_int_equal(vg_doc_table(d, 5, hdr), 0);
	for (int i = 1; i <= rows; i++) {
		char stt[16], ts[32], ip[32], desc[160];
		snprintf(stt, sizeof(stt), "%d", i);
		snprintf(ts, sizeof(ts), "21/11/2026 %02d:%02d:%02d", i / 3600 % 24, i / 60 % 60,
			 i % 60);
		snprintf(ip, sizeof(ip), "203.0.113.%d", i % 256);
		if (i == rows)
			snprintf(desc, sizeof(desc), "%s", LAST_ROW_VI);
		else if (i == 1)
			snprintf(desc, sizeof(desc), "%s", EVIL);
		else
			snprintf(desc, sizeof(desc), "Đăng nhập thất bại vào máy chủ ứng dụng số %d", i);
		const char *cells[] = {stt, ts, ip, desc, i % 7 == 0 ? "Nghiêm trọng" : "Trung bình"};
		assert_int_equal(vg_doc_table_row(d, cells), 0);
	}
	const char *labels[] = {"Dò quét", "Đăng nhập sai", "Mã độc", "Tấn công web", "Khác"};
	const double values[] = {120, 87.5, 12, 45, 3};
	assert_int_equal(vg_doc_chart_bar(d, "Số sự kiện theo loại", labels, values, 5), 0);
	const char *steps[] = {"Cô lập máy chủ bị ảnh hưởng", "Thu thập nhật ký", "Báo cáo VNCERT"};
	assert_int_equal(vg_doc_list(d, steps, 3, 1), 0);
	assert_int_equal(vg_doc_signature(d, "Hà Nội, ngày 21 tháng 11 năm 2026",
					  "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT", "Nguyễn Văn Ánh"),
			 0);
	return d;
}

/* ---- HTML ---- */

static void test_html_vi(void **state)
{
	(void)state;
	vg_doc *d = mau03(NROWS);
	vg_buf b = {0};
	assert_int_equal(vg_doc_render_html(d, &b), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	const char *h = b.data;
	assert_true(strncmp(h, "<!DOCTYPE html>\n<html lang=\"vi\">", 32) == 0);
	assert_has(h, "<meta charset=\"utf-8\">");
	assert_has(h, "<title>" TITLE_VI "</title>");
	/* The cell with markup is escaped, and no script or external resource exists. */
	assert_has(h, "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</td>");
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<link"));
	assert_null(strstr(h, "src="));
	assert_null(strstr(h, "@import"));
	/* Exact UTF-8 bytes of "Độc lập" and "Hạnh phúc". */
	assert_has(h, "\xc4\x90\xe1\xbb\x99" "c l\xe1\xba\xad" "p - T\xe1\xbb\xb1 do - "
		      "H\xe1\xba\xa1nh ph\xc3\xba" "c");
	assert_has(h, "<p class=\"b u\">" MOTTO "</p>");
	assert_has(h, "<h1>" TITLE_VI "</h1>");
	assert_has(h, "<tr><th scope=\"row\">Tên đơn vị:</th><td>Công ty Cổ phần ABC</td></tr>");
	assert_has(h, "<thead><tr><th>STT</th><th>Thời gian</th>");
	assert_has(h, LAST_ROW_VI);
	/* One form-row table holds the three consecutive rows of section 1. */
	const char *kv = strstr(h, "<table class=\"kv\">");
	assert_non_null(kv);
	const char *end = strstr(kv, "</table>");
	assert_non_null(strstr(kv, "Điện thoại:"));
	assert_true(strstr(kv, "Điện thoại:") < end);
	/* The bar chart: inline SVG, 5 bars, escaped labels, value labels. */
	const char *svg = strstr(h, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
	assert_non_null(svg);
	int bars = 0;
	for (const char *p = svg; (p = strstr(p, "<rect ")) != NULL && p < strstr(svg, "</svg>"); p++)
		bars++;
	assert_int_equal(bars, 5);
	assert_has(svg, ">Đăng nhập sai</text>");
	assert_has(svg, ">87.5</text>");
	assert_has(svg, ">120</text>");
	assert_has(h, "<ol>\n<li>Cô lập máy chủ bị ảnh hưởng</li>");
	assert_has(h, "<div class=\"sig\"><p class=\"i\">Hà Nội, ngày 21 tháng 11 năm 2026</p>"
		      "<p class=\"b\">NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT</p>");
	assert_has(h, "</body>\n</html>\n");
	keep_html(&b, "mau03.html");
	vg_buf_free(&b);
	vg_doc_free(d);
}

/* ---- PDF ---- */

static void test_pdf_vi(void **state)
{
	(void)state;
	char dir[256], pdf[512], why[256];
	tdir_make(dir, sizeof(dir));
	snprintf(pdf, sizeof(pdf), "%s/mau03.pdf", dir);
	vg_doc *d = mau03(NROWS);
	assert_int_equal(vg_doc_render_pdf(d, pdf, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(count_entries(dir), 1); /* no temporary file left behind */
	keep(pdf, "mau03.pdf");

	char *info = pdfinfo(pdf);
	int pages = pdf_pages(info);
	assert_true(pages >= 3);
	assert_string_equal(info_field(info, "Title"), TITLE_VI);
	assert_string_equal(info_field(info, "Creator"), "vigil");
	assert_string_equal(info_field(info, "Page size"), "595.276 x 841.89 pts (A4)");

	char *t = pdftotext(pdf);
	assert_has(t, TITLE_VI);
	assert_has(t, NATION);
	assert_has(t, MOTTO);
	assert_has(t, "Số: 15/BC-ABC");
	assert_has(t, "Tên Hệ thống thông tin:");
	assert_has(t, "Cổng thông tin điện tử");
	assert_has(t, "Kính gửi: Cơ quan điều phối quốc gia về ứng cứu sự cố");
	assert_has(t, LAST_ROW_VI);
	assert_has(t, EVIL);
	assert_has(t, "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT");
	assert_has(t, "Nguyễn Văn Ánh");
	assert_has(t, "Số sự kiện theo loại");
	assert_has(t, "Đăng nhập sai");
	assert_has(t, "3. Báo cáo VNCERT");
	char num[64];
	for (int i = 1; i <= pages; i++) {
		snprintf(num, sizeof(num), "Trang %d/%d", i, pages);
		assert_has(t, num);
	}
	assert_has(t, "Trang 3/");
	/* The header row is repeated on every page the table spans: it starts on
	 * page 1 and its last row is on a later page. */
	size_t hdrs = 0;
	for (const char *p = t; (p = strstr(p, "Địa chỉ nguồn")) != NULL; p++)
		hdrs++;
	assert_true(hdrs >= 3);
	/* Every row is there, exactly once. */
	for (int i = 1; i <= NROWS; i++) {
		char ts[32];
		snprintf(ts, sizeof(ts), "21/11/2026 %02d:%02d:%02d", i / 3600 % 24, i / 60 % 60, i % 60);
		const char *p = strstr(t, ts);
		if (p == NULL || strstr(p + 1, ts) != NULL)
			fail_msg("row %d is not there exactly once", i);
	}
	/* The report on page 3 is on the third page of the text (form feeds). */
	const char *p3 = t;
	for (int i = 0; i < 2; i++) {
		p3 = strchr(p3, '\f');
		assert_non_null(p3);
		p3++;
	}
	assert_non_null(strstr(p3, "Trang 3/"));

	/* A second render replaces the file atomically. */
	free(t);
	free(info);
	assert_int_equal(vg_doc_render_pdf(d, pdf, NULL, 0), 0);
	assert_int_equal(count_entries(dir), 1);
	vg_doc_free(d);
	tdir_free(dir);
}

static void test_pdf_en(void **state)
{
	(void)state;
	int err = 0;
	char dir[256], pdf[512], why[256];
	tdir_make(dir, sizeof(dir));
	snprintf(pdf, sizeof(pdf), "%s/monthly.pdf", dir);
	vg_doc *d = vg_doc_new("Monthly monitoring report", "en", &err);
	assert_non_null(d);
	assert_int_equal(vg_doc_heading(d, 1, "MONTHLY MONITORING REPORT"), 0);
	assert_int_equal(vg_doc_kv(d, "Period:", "2026-10-01 to 2026-10-31"), 0);
	assert_int_equal(vg_doc_kv(d, "Systems:", "42 agents"), 0);
	assert_int_equal(vg_doc_heading(d, 2, "Alerts per day"), 0);
	const char *days[31];
	double v[31];
	char lab[31][8];
	for (int i = 0; i < 31; i++) {
		snprintf(lab[i], sizeof(lab[i]), "%02d", i + 1);
		days[i] = lab[i];
		v[i] = 10 + (i * 37) % 23;
	}
	assert_int_equal(vg_doc_chart_line(d, "Alerts per day (October)", days, v, 31), 0);
	const char *sev[] = {"critical", "high", "medium", "low"};
	const double sv[] = {3, 17, 120, 400};
	assert_int_equal(vg_doc_chart_pie(d, "Alerts by severity", sev, sv, 4), 0);
	assert_int_equal(vg_doc_page_break(d), 0);
	assert_int_equal(vg_doc_heading(d, 2, "Top rules"), 0);
	const char *h[] = {"Rule", "Count"};
	assert_int_equal(vg_doc_table(d, 2, h), 0);
	const char *r1[] = {"SSH brute force", "1234"};
	assert_int_equal(vg_doc_table_row(d, r1), 0);
	const char *items[] = {"first", "second"};
	assert_int_equal(vg_doc_list(d, items, 2, 0), 0);

	vg_buf b = {0};
	assert_int_equal(vg_doc_render_html(d, &b), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_has(b.data, "<html lang=\"en\">");
	assert_has(b.data, "<polyline fill=\"none\"");
	assert_has(b.data, "<path d=\"M");
	assert_has(b.data, "low \xe2\x80\x94 400 (74.1%)</text>");
	assert_has(b.data, "<div class=\"pb\"></div>");
	assert_has(b.data, "<ul>\n<li>first</li>");
	keep_html(&b, "monthly.html");
	vg_buf_free(&b);

	assert_int_equal(vg_doc_render_pdf(d, pdf, why, sizeof(why)), 0);
	keep(pdf, "monthly.pdf");
	char *info = pdfinfo(pdf);
	assert_int_equal(pdf_pages(info), 2); /* the page break */
	char *t = pdftotext(pdf);
	assert_has(t, "MONTHLY MONITORING REPORT");
	assert_has(t, "Page 1 of 2");
	assert_has(t, "Page 2 of 2");
	assert_null(strstr(t, "Trang"));
	assert_has(t, "Alerts per day (October)");
	assert_has(t, "low — 400 (74.1%)");
	assert_has(t, "SSH brute force");
	const char *p2 = strchr(t, '\f');
	assert_non_null(p2);
	assert_non_null(strstr(p2, "Top rules"));
	assert_null(strstr(p2, "Alerts by severity"));
	free(t);
	free(info);
	vg_doc_free(d);
	tdir_free(dir);
}

/* A row taller than a page continues on the next pages, cells side by side. */
static void test_pdf_tall_row(void **state)
{
	(void)state;
	int err = 0;
	char dir[256], pdf[512], why[256];
	tdir_make(dir, sizeof(dir));
	snprintf(pdf, sizeof(pdf), "%s/tall.pdf", dir);
	vg_doc *d = vg_doc_new("Tall", "vi", &err);
	assert_non_null(d);
	vg_buf big = {0};
	for (int i = 1; i <= 200; i++) {
		char ln[64];
		int n = snprintf(ln, sizeof(ln), "dòng thứ %d của ô\n", i);
		assert_int_equal(vg_buf_append(&big, ln, (size_t)n), 0);
	}
	assert_int_equal(vg_buf_append(&big, "HẾT Ô", sizeof("HẾT Ô")), 0);
	const char *h[] = {"Khóa", "Giá trị"};
	assert_int_equal(vg_doc_table(d, 2, h), 0);
	const char *r[] = {"nhật ký", big.data};
	assert_int_equal(vg_doc_table_row(d, r), 0);
	const char *r2[] = {"sau", "hàng kế tiếp"};
	assert_int_equal(vg_doc_table_row(d, r2), 0);
	assert_int_equal(vg_doc_render_pdf(d, pdf, why, sizeof(why)), 0);
	keep(pdf, "tall.pdf");
	char *info = pdfinfo(pdf);
	assert_true(pdf_pages(info) >= 3);
	char *t = pdftotext(pdf);
	assert_has(t, "dòng thứ 1 của ô");
	assert_has(t, "dòng thứ 117 của ô");
	assert_has(t, "dòng thứ 200 của ô");
	assert_has(t, "HẾT Ô");
	assert_has(t, "hàng kế tiếp");
	assert_has(t, "Trang 3/");
	free(t);
	free(info);
	vg_buf_free(&big);
	vg_doc_free(d);
	tdir_free(dir);
}

/* Words "<prefix>00000 <prefix>00001 ..." of n words, newline every 100th. */
static char *words(char prefix, int n)
{
	char *s = malloc((size_t)n * 7 + 1);
	assert_non_null(s);
	for (int i = 0; i < n; i++)
		snprintf(s + (size_t)i * 7, 8, "%c%05d%c", prefix, i, i % 100 == 99 ? '\n' : ' ');
	return s;
}

/* Checks that the words with prefix appear in t in order, each once. */
static void assert_words(const char *t, char prefix, int n)
{
	int next = 0;
	for (const char *p = t; *p != 0; p++) {
		if (*p == prefix && (p == t || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\f') &&
		    strspn(p + 1, "0123456789") == 5) {
			if (atoi(p + 1) != next)
				fail_msg("%c%05d where %c%05d was expected", prefix, atoi(p + 1), prefix,
					 next);
			next++;
		}
	}
	assert_int_equal(next, n);
}

/* Texts longer than a layout chunk (32 KiB), as a paragraph and as a table
 * cell, come out whole and in order across many pages. */
static void test_pdf_long_text(void **state)
{
	(void)state;
	int err = 0;
	char dir[256], pdf[512], why[256];
	tdir_make(dir, sizeof(dir));
	snprintf(pdf, sizeof(pdf), "%s/long.pdf", dir);
	vg_doc *d = vg_doc_new("Long", "en", &err);
	assert_non_null(d);
	char *para = words('w', 15000), *cell = words('k', 6000);
	for (size_t i = 30000; i < 90000; i++) /* a 60 KB line: cut at a space */
		para[i] = para[i] == '\n' ? ' ' : para[i];
	assert_int_equal(vg_doc_para(d, para), 0);
	/* 45 KB without space or newline: cut between two characters. */
	size_t nch = 15000;
	char *word = malloc(nch * 3 + 1);
	assert_non_null(word);
	for (size_t i = 0; i < nch; i++)
		memcpy(word + 3 * i, "\xe1\xba\xbf", 3); /* ế */
	word[nch * 3] = 0;
	assert_int_equal(vg_doc_para(d, word), 0);
	free(word);
	const char *h[] = {"n", "text"};
	assert_int_equal(vg_doc_table(d, 2, h), 0);
	const char *r[] = {"1", cell};
	assert_int_equal(vg_doc_table_row(d, r), 0);
	assert_int_equal(vg_doc_render_pdf(d, pdf, why, sizeof(why)), 0);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 '%s' -", pdf);
	char *t = run(cmd);
	assert_words(t, 'w', 15000);
	assert_words(t, 'k', 6000);
	size_t got = 0;
	for (const char *p = t; (p = strstr(p, "\xe1\xba\xbf")) != NULL; p += 3)
		got++;
	assert_int_equal(got, nch);
	free(t);
	free(para);
	free(cell);
	vg_doc_free(d);
	tdir_free(dir);
}

/* A failed render leaves neither a half file nor a temporary file. */
static void test_pdf_failure(void **state)
{
	(void)state;
	int err = 0;
	char dir[256], path[512], why[256];
	tdir_make(dir, sizeof(dir));
	vg_doc *d = vg_doc_new("x", "en", &err);
	assert_non_null(d);
	assert_int_equal(vg_doc_para(d, "hello"), 0);
	snprintf(path, sizeof(path), "%s/missing/out.pdf", dir);
	assert_int_equal(vg_doc_render_pdf(d, path, why, sizeof(why)), VG_EIO);
	assert_non_null(strstr(why, path));
	assert_int_equal(errno, ENOENT);
	/* The target is a directory: rename fails after the whole PDF was written. */
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(vg_doc_render_pdf(d, path, why, sizeof(why)), VG_EIO);
	assert_non_null(strstr(why, "cannot rename"));
	assert_int_equal(count_entries(dir), 1);
	vg_doc_free(d);
	tdir_free(dir);
}

/* ---- validation ---- */

static void test_utf8(void **state)
{
	(void)state;
	int err = 0;
	assert_null(vg_doc_new("bad \xff", "vi", &err));
	assert_int_equal(err, VG_EINVAL);
	assert_null(vg_doc_new("ok", "fr", &err));
	assert_int_equal(err, VG_EINVAL);
	vg_doc *d = vg_doc_new("ok", "vi", &err);
	assert_non_null(d);
	static const char *const bad[] = {
		"\xc3\x28",         /* bad continuation */
		"ab\xc0\xaf",       /* overlong '/' */
		"\xe0\x80\xaf",     /* overlong, 3 bytes */
		"\xed\xa0\x80",     /* surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\xf5\x80\x80\x80",
		"tr\xe1\xbb",       /* truncated ự */
		"\x80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vg_doc_para(d, bad[i]), VG_EINVAL);
		assert_non_null(strstr(vg_doc_why(d), "invalid UTF-8"));
	}
	assert_non_null(strstr(vg_doc_why(d), "element 0: paragraph: invalid UTF-8 at byte 0"));
	assert_int_equal(vg_doc_para(d, "ab\xc0\xaf"), VG_EINVAL);
	assert_non_null(strstr(vg_doc_why(d), "at byte 2"));
	assert_int_equal(vg_doc_kv(d, "Tên", "gi\xe1\xbb"), VG_EINVAL);
	assert_non_null(strstr(vg_doc_why(d), "form row value"));
	const char *h[] = {"a", "b", "c"};
	assert_int_equal(vg_doc_table(d, 3, h), 0);
	const char *ok[] = {"x", NULL, "Độ"};
	assert_int_equal(vg_doc_table_row(d, ok), 0);
	const char *row[] = {"x", "y", "z\xff"};
	assert_int_equal(vg_doc_table_row(d, row), VG_EINVAL);
	assert_string_equal(vg_doc_why(d), "element 0 (table): row 2, cell 3: invalid UTF-8 at byte 1");
	const char *labels[] = {"a", "\xfe"};
	const double v[] = {1, 2};
	assert_int_equal(vg_doc_chart_bar(d, "t", labels, v, 2), VG_EINVAL);
	assert_non_null(strstr(vg_doc_why(d), "chart label 2"));
	const vg_doc_line l[] = {{.text = "\xc3"}};
	assert_int_equal(vg_doc_header_block(d, l, 1, NULL, 0), VG_EINVAL);
	assert_non_null(strstr(vg_doc_why(d), "header block left line 1"));
	assert_int_equal(vg_doc_signature(d, "ok", NULL, "\xc3"), VG_EINVAL);
	assert_non_null(strstr(vg_doc_why(d), "signature name"));

	/* Failed appends left the document as it was: one table, one row. */
	const char *r2[] = {"last", "", ""};
	assert_int_equal(vg_doc_table_row(d, r2), 0);
	assert_string_equal(vg_doc_why(d), "");
	/* Control characters become U+FFFD, CR is dropped, newline is a break. */
	assert_int_equal(vg_doc_para(d, "a\x01" "b\r\nc\x7f" "d\xc2\x85"), 0);
	vg_buf b = {0};
	assert_int_equal(vg_doc_render_html(d, &b), 0);
	assert_int_equal(vg_buf_append(&b, "", 1), 0);
	assert_has(b.data, "<tbody>\n<tr><td>x</td><td></td><td>Độ</td></tr>\n"
			   "<tr><td>last</td><td></td><td></td></tr>\n</tbody>");
	assert_has(b.data, "<p>a\xef\xbf\xbd" "b<br>c\xef\xbf\xbd" "d\xef\xbf\xbd</p>");
	assert_null(strstr(b.data, "<p>ab"));
	assert_null(strstr(b.data, "<figure"));
	assert_null(strstr(b.data, "class=\"sig\""));
	vg_buf_free(&b);
	vg_doc_free(d);
}

static void test_limits(void **state)
{
	(void)state;
	int err = 0;
	vg_doc *d = vg_doc_new("limits", "en", &err);
	assert_non_null(d);
	const char *one[] = {"x"};
	assert_int_equal(vg_doc_table_row(d, one), VG_EINVAL); /* no table */
	assert_non_null(strstr(vg_doc_why(d), "without a table"));
	assert_int_equal(vg_doc_heading(d, 0, "x"), VG_EINVAL);
	assert_int_equal(vg_doc_heading(d, 4, "x"), VG_EINVAL);
	assert_int_equal(vg_doc_para(d, NULL), VG_EINVAL);
	assert_int_equal(vg_doc_table(d, 0, NULL), VG_EINVAL);
	assert_int_equal(vg_doc_table(d, VG_DOC_MAX_COLS + 1, NULL), VG_EINVAL);
	assert_int_equal(vg_doc_para_ex(d, "x", VG_DOC_CENTER | VG_DOC_RIGHT), VG_EINVAL);
	const char *lab[] = {"a", "b"};
	const double nan2[] = {1, NAN}, neg[] = {1, -1}, zero[] = {0, 0};
	assert_int_equal(vg_doc_chart_bar(d, "t", lab, nan2, 2), VG_EINVAL);
	assert_int_equal(vg_doc_chart_line(d, "t", lab, neg, 2), VG_EINVAL);
	assert_int_equal(vg_doc_chart_pie(d, "t", lab, zero, 2), VG_EINVAL);
	assert_int_equal(vg_doc_chart_bar(d, "t", lab, zero, 0), VG_EINVAL);
	assert_int_equal(vg_doc_chart_bar(d, "t", lab, zero, 2), 0); /* all-zero bars are fine */
	assert_int_equal(vg_doc_list(d, one, 0, 0), VG_EINVAL);
	assert_int_equal(vg_doc_list(d, one, VG_DOC_MAX_ITEMS + 1, 0), VG_ELIMIT);
	vg_doc_line l9[VG_DOC_MAX_HEADER_LINES + 1];
	for (size_t i = 0; i < VG_DOC_MAX_HEADER_LINES + 1; i++)
		l9[i] = (vg_doc_line){.text = "x"};
	assert_int_equal(vg_doc_header_block(d, l9, VG_DOC_MAX_HEADER_LINES + 1, NULL, 0), VG_EINVAL);
	assert_int_equal(vg_doc_header_block(d, l9, VG_DOC_MAX_HEADER_LINES, l9, 1), 0);

	/* Short fields are bounded on their own. */
	char *longh = malloc(VG_DOC_MAX_SHORT + 2);
	assert_non_null(longh);
	memset(longh, 'h', VG_DOC_MAX_SHORT + 1);
	longh[VG_DOC_MAX_SHORT + 1] = 0;
	assert_int_equal(vg_doc_heading(d, 2, longh), VG_ELIMIT);
	assert_non_null(strstr(vg_doc_why(d), "longer than 4096 bytes"));
	assert_int_equal(vg_doc_kv(d, longh, "v"), VG_ELIMIT);
	assert_int_equal(vg_doc_kv(d, "k", longh), 0); /* a value may be long */
	longh[VG_DOC_MAX_SHORT] = 0;
	assert_int_equal(vg_doc_heading(d, 2, longh), 0);
	free(longh);

	/* Rows per table. */
	assert_int_equal(vg_doc_table(d, 1, NULL), 0);
	for (int i = 0; i < VG_DOC_MAX_ROWS; i++)
		assert_int_equal(vg_doc_table_row(d, one), 0);
	assert_int_equal(vg_doc_table_row(d, one), VG_ELIMIT);
	assert_non_null(strstr(vg_doc_why(d), "more than 100000 rows"));
	vg_doc_free(d);

	/* Total text: 16 paragraphs of 1 MiB minus a little fit, one more does not. */
	d = vg_doc_new("t", "en", &err);
	assert_non_null(d);
	size_t mib = 1024 * 1024;
	char *s = malloc(mib + 1);
	assert_non_null(s);
	memset(s, 'a', mib);
	s[mib - 64] = 0;
	for (int i = 0; i < 16; i++)
		assert_int_equal(vg_doc_para(d, s), 0);
	s[mib - 64] = 'a';
	s[mib] = 0;
	assert_int_equal(vg_doc_para(d, s), VG_ELIMIT);
	assert_non_null(strstr(vg_doc_why(d), "exceeds"));
	assert_int_equal(vg_doc_para(d, "still room for a short one"), 0);
	free(s);
	vg_doc_free(d);
	vg_doc_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_vi),     cmocka_unit_test(test_pdf_vi),
		cmocka_unit_test(test_pdf_en),      cmocka_unit_test(test_pdf_tall_row),
		cmocka_unit_test(test_pdf_long_text), cmocka_unit_test(test_pdf_failure),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
