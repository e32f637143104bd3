/* reports_doc.c — the periodic reports drawn from their JSON data (daily and
 * weekly monitoring, monthly deployment status, six-monthly summary), and
 * the pieces both document families share: the official header block, the
 * writer helpers, labels in Vietnamese and English. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/reports_int.h"

/* ---- writer ---- */

void vg_rep_h(vg_rep_w *w, int level, const char *text)
{
	if (w->rc == 0)
		w->rc = vg_doc_heading(w->d, level, text);
}

void vg_rep_p(vg_rep_w *w, const char *text, unsigned flags)
{
	if (w->rc == 0)
		w->rc = vg_doc_para_ex(w->d, text, flags);
}

void vg_rep_kv(vg_rep_w *w, const char *label, const char *value)
{
	if (w->rc == 0)
		w->rc = vg_doc_kv(w->d, label, value != NULL ? value : "");
}

void vg_rep_kvi(vg_rep_w *w, const char *label, int64_t value)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", (long long)value);
	vg_rep_kv(w, label, b);
}

void vg_rep_table(vg_rep_w *w, size_t ncols, const char *const header[])
{
	if (w->rc == 0)
		w->rc = vg_doc_table(w->d, ncols, header);
}

void vg_rep_row(vg_rep_w *w, const char *const cells[])
{
	if (w->rc == 0)
		w->rc = vg_doc_table_row(w->d, cells);
}

void vg_rep_place_date(const vg_rep_w *w, const vg_reports *r, int64_t now_us, char *buf, size_t n)
{
	static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
					     "July",    "August",   "September", "October", "November", "December"};
	char iso[40];
	int y, m, d;
	vg_rep_iso(now_us, iso, sizeof(iso));
	if (sscanf(iso, "%d-%d-%d", &y, &m, &d) != 3 || m < 1 || m > 12)
		y = 1970, m = 1, d = 1;
	if (w->en)
		snprintf(buf, n, "%s, %d %s %d", r->place, d, months[m - 1], y);
	else
		snprintf(buf, n, "%s, ngày %d tháng %d năm %d", r->place, d, m, y);
}

void vg_rep_header(vg_rep_w *w, const vg_reports *r, const char *number, int64_t now_us)
{
	char date[256];
	vg_rep_place_date(w, r, now_us, date, sizeof(date));
	const vg_doc_line left[] = {
		{.text = r->organisation[0] ? r->organisation : vg_rep_tr(w, "ĐƠN VỊ BÁO CÁO", "REPORTING ORGANISATION"),
		 .flags = VG_DOC_BOLD},
		{.text = number},
	};
	const vg_doc_line right[] = {
		{.text = vg_rep_tr(w, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SOCIALIST REPUBLIC OF VIET NAM"),
		 .flags = VG_DOC_BOLD},
		{.text = vg_rep_tr(w, "Độc lập - Tự do - Hạnh phúc", "Independence - Freedom - Happiness"),
		 .flags = VG_DOC_BOLD | VG_DOC_UNDERLINE},
		{.text = date, .flags = VG_DOC_ITALIC},
	};
	if (w->rc == 0)
		w->rc = vg_doc_header_block(w->d, left, 2, right, 3);
}

/* ---- labels ---- */

typedef struct label {
	const char *key, *vi, *en;
} label;

static const char *lookup(const vg_rep_w *w, const label *t, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return w->en ? t[i].en : t[i].vi;
	return key;
}

const char *vg_rep_type_label(const vg_rep_w *w, const char *type)
{
	static const label t[] = {
		{"malware", "Mã độc", "Malware"},
		{"intrusion", "Xâm nhập", "Intrusion"},
		{"encryption", "Mã hóa dữ liệu (mã độc tống tiền)", "Encryption (ransomware)"},
		{"destruction", "Phá hoại", "Destruction"},
		{"data_theft", "Đánh cắp dữ liệu", "Data theft"},
		{"combined", "Tấn công tổng hợp", "Combined"},
		{"other", "Khác", "Other"},
	};
	return lookup(w, t, sizeof(t) / sizeof(t[0]), type);
}

const char *vg_rep_state_label(const vg_rep_w *w, const char *state)
{
	static const label t[] = {
		{"new", "Mới", "New"},
		{"triaged", "Đã phân loại", "Triaged"},
		{"contained", "Đã ngăn chặn", "Contained"},
		{"resolved", "Đã xử lý xong", "Resolved"},
		{"closed", "Đã đóng", "Closed"},
		{"covered", "Đã giám sát", "covered"},
		{"stale", "Gián đoạn", "stale"},
		{"missing", "Chưa giám sát", "missing"},
	};
	return lookup(w, t, sizeof(t) / sizeof(t[0]), state);
}

const char *vg_rep_level_label(const vg_rep_w *w, const char *level)
{
	static const label t[] = {
		{"critical", "Nghiêm trọng", "Critical"}, {"high", "Cao", "High"},  {"medium", "Trung bình", "Medium"},
		{"low", "Thấp", "Low"},                   {"informational", "Thông tin", "Informational"},
	};
	return lookup(w, t, sizeof(t) / sizeof(t[0]), level);
}

/* "YYYY-MM-DDTHH:MM[:SS[.f]][Z|±HH:MM]" as µs (0 when not that form) */
static int64_t parse_iso(const char *s)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return 0;
	const char *p = s + n;
	if (*p == 'T' || *p == ' ') {
		int k = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2)
			return 0;
		p += 1 + k;
		if (*p == ':' && sscanf(p + 1, "%2d%n", &se, &k) == 1)
			p += 1 + k;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	int64_t off = 0;
	if (*p == '+' || *p == '-') {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return 0;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z' && *p != '\0') {
		return 0;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return 0;
	return ((vg_rep_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) - off) * INT64_C(1000000);
}

const char *vg_rep_when(const vg_rep_w *w, const json_t *o, const char *key, char *buf, size_t n)
{
	json_t *v = json_object_get(o, key);
	int64_t us = 0;
	if (json_is_integer(v))
		us = json_integer_value(v);
	else if (json_is_string(v) && (us = parse_iso(json_string_value(v))) == 0) {
		snprintf(buf, n, "%s", json_string_value(v));
		return buf;
	}
	vg_rep_fmt_time(us, w->en ? "en" : "vi", buf, n);
	return buf;
}

/* ---- sections ---- */

static void general(vg_rep_w *w, const json_t *data)
{
	const json_t *per = json_object_get(data, "period");
	char from[40], to[40], gen[40];
	vg_rep_h(w, 2, vg_rep_tr(w, "I. THÔNG TIN CHUNG", "I. GENERAL INFORMATION"));
	vg_rep_kv(w, vg_rep_tr(w, "Kỳ báo cáo:", "Period:"), vg_rep_str(per, "label"));
	vg_rep_kv(w, vg_rep_tr(w, "Từ:", "From:"), vg_rep_when(w, per, "from", from, sizeof(from)));
	vg_rep_kv(w, vg_rep_tr(w, "Đến (không bao gồm):", "To (exclusive):"), vg_rep_when(w, per, "to", to, sizeof(to)));
	vg_rep_kv(w, vg_rep_tr(w, "Múi giờ:", "Time zone:"), vg_rep_str(per, "timezone"));
	const char *unit = vg_rep_str(data, "unit");
	vg_rep_kv(w, vg_rep_tr(w, "Đơn vị:", "Unit:"), unit[0] ? unit : vg_rep_tr(w, "Tất cả đơn vị", "All units"));
	vg_rep_kv(w, vg_rep_tr(w, "Thời điểm lập báo cáo:", "Generated at:"),
		  vg_rep_when(w, data, "generated_at", gen, sizeof(gen)));
	const char *due = vg_rep_str(data, "due_date");
	if (due[0] != '\0') {
		char b[128];
		int y, m, d;
		if (sscanf(due, "%d-%d-%d", &y, &m, &d) == 3 && !w->en)
			snprintf(b, sizeof(b), "trước ngày %02d/%02d/%04d", d, m, y);
		else
			snprintf(b, sizeof(b), "before %s", due);
		vg_rep_kv(w, vg_rep_tr(w, "Hạn gửi báo cáo:", "Due:"), b);
	}
}

static void alerts_overview(vg_rep_w *w, const json_t *data, const char *num)
{
	const json_t *s = json_object_get(data, "summary");
	vg_rep_h(w, 2, num);
	vg_rep_kvi(w, vg_rep_tr(w, "Tổng số cảnh báo:", "Alerts:"), vg_rep_int(s, "alerts"));
	static const char *const lv[] = {"critical", "high", "medium", "low", "informational"};
	for (size_t i = 0; i < 5; i++) {
		char b[96];
		snprintf(b, sizeof(b), "%s %s:", vg_rep_tr(w, "Mức", "Level"), vg_rep_level_label(w, lv[i]));
		if (w->en)
			snprintf(b, sizeof(b), "%s:", vg_rep_level_label(w, lv[i]));
		vg_rep_kvi(w, b, vg_rep_int(s, lv[i]));
	}
	vg_rep_kvi(w, vg_rep_tr(w, "Cảnh báo tương quan:", "Correlation alerts:"), vg_rep_int(s, "correlations"));
	vg_rep_kvi(w, vg_rep_tr(w, "Số máy bị tác động:", "Hosts affected:"), vg_rep_int(s, "hosts"));
	vg_rep_kvi(w, vg_rep_tr(w, "Số địa chỉ nguồn tấn công:", "Attacking source addresses:"), vg_rep_int(s, "sources"));
	const json_t *tl = json_object_get(data, "timeline");
	size_t n = json_array_size(json_object_get(tl, "counts"));
	if (n == 0 || n > VG_DOC_MAX_POINTS || w->rc != 0)
		return;
	const char **labels = calloc(n, sizeof(*labels));
	double *vals = calloc(n, sizeof(*vals));
	if (labels == NULL || vals == NULL) {
		w->rc = VG_ENOMEM;
	} else {
		for (size_t i = 0; i < n; i++) {
			const char *l = json_string_value(json_array_get(json_object_get(tl, "labels"), i));
			labels[i] = l != NULL ? l : "";
			vals[i] = (double)json_integer_value(json_array_get(json_object_get(tl, "counts"), i));
		}
		int hourly = strcmp(vg_rep_str(tl, "bucket"), "hour") == 0;
		w->rc = vg_doc_chart_line(w->d,
					  hourly ? vg_rep_tr(w, "Số cảnh báo theo giờ", "Alerts per hour")
						 : vg_rep_tr(w, "Số cảnh báo theo ngày", "Alerts per day"),
					  labels, vals, n);
	}
	free(labels);
	free(vals);
}

static void none(vg_rep_w *w)
{
	vg_rep_p(w, vg_rep_tr(w, "Không có dữ liệu trong kỳ.", "No data in this period."), VG_DOC_ITALIC);
}

static void objects(vg_rep_w *w, const json_t *data, const char *num)
{
	const json_t *a = json_object_get(data, "objects");
	vg_rep_h(w, 2, num);
	if (json_array_size(a) == 0)
		return none(w);
	const char *hd[] = {vg_rep_tr(w, "STT", "No."),         vg_rep_tr(w, "Hệ thống", "System"),
			    vg_rep_tr(w, "Máy chủ", "Host"),        vg_rep_tr(w, "Địa chỉ IP", "IP address"),
			    vg_rep_tr(w, "Dịch vụ", "Service"),     vg_rep_tr(w, "Số cảnh báo", "Alerts"),
			    vg_rep_tr(w, "Lần đầu", "First seen"), vg_rep_tr(w, "Lần cuối", "Last seen")};
	vg_rep_table(w, 8, hd);
	size_t i;
	json_t *o;
	json_array_foreach(a, i, o)
	{
		char no[24], cnt[32], f[40], l[40];
		snprintf(no, sizeof(no), "%zu", i + 1);
		snprintf(cnt, sizeof(cnt), "%lld", (long long)vg_rep_int(o, "count"));
		const char *row[] = {no,
				     vg_rep_str(o, "system"),
				     vg_rep_str(o, "host"),
				     vg_rep_str(o, "ip"),
				     vg_rep_str(o, "service"),
				     cnt,
				     vg_rep_when(w, o, "first", f, sizeof(f)),
				     vg_rep_when(w, o, "last", l, sizeof(l))};
		vg_rep_row(w, row);
	}
}

/* "a, b, c" of an array of strings into buf */
static const char *joined(const json_t *a, char *buf, size_t n)
{
	size_t len = 0, i;
	json_t *v;
	buf[0] = '\0';
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		int k = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", s);
		if (k < 0 || (size_t)k >= n - len) {
			buf[len] = '\0';
			break;
		}
		len += (size_t)k;
	}
	return buf;
}

static void rule_chart(vg_rep_w *w, const json_t *rules)
{
	size_t n = json_array_size(rules);
	if (n == 0 || w->rc != 0)
		return;
	if (n > 10)
		n = 10;
	const char *labels[10];
	double vals[10];
	for (size_t i = 0; i < n; i++) {
		const json_t *r = json_array_get(rules, i);
		labels[i] = vg_rep_str(r, "title")[0] ? vg_rep_str(r, "title") : vg_rep_str(r, "rule_id");
		vals[i] = (double)vg_rep_int(r, "count");
	}
	w->rc = vg_doc_chart_bar(w->d, vg_rep_tr(w, "Các luật phát hiện nhiều cảnh báo nhất", "Top detection rules"),
				 labels, vals, n);
}

static void techniques(vg_rep_w *w, const json_t *data, const char *num)
{
	const json_t *tech = json_object_get(data, "techniques");
	const json_t *rules = json_object_get(data, "rules");
	vg_rep_h(w, 2, num);
	if (json_array_size(rules) == 0)
		return none(w);
	char buf[2048];
	if (json_array_size(tech) > 0) {
		vg_rep_h(w, 3, vg_rep_tr(w, "Kỹ thuật tấn công (MITRE ATT&CK)", "Attack techniques (MITRE ATT&CK)"));
		const char *hd[] = {vg_rep_tr(w, "STT", "No."), vg_rep_tr(w, "Kỹ thuật", "Technique"),
				    vg_rep_tr(w, "Số cảnh báo", "Alerts"), vg_rep_tr(w, "Luật phát hiện", "Detection rules")};
		vg_rep_table(w, 4, hd);
		size_t i;
		json_t *t;
		json_array_foreach(tech, i, t)
		{
			char no[24], cnt[32];
			snprintf(no, sizeof(no), "%zu", i + 1);
			snprintf(cnt, sizeof(cnt), "%lld", (long long)vg_rep_int(t, "count"));
			const char *row[] = {no, vg_rep_str(t, "id"), cnt,
					     joined(json_object_get(t, "rules"), buf, sizeof(buf))};
			vg_rep_row(w, row);
		}
	}
	vg_rep_h(w, 3, vg_rep_tr(w, "Luật phát hiện", "Detection rules"));
	const char *hd[] = {vg_rep_tr(w, "STT", "No."), vg_rep_tr(w, "Luật phát hiện", "Rule"),
			    vg_rep_tr(w, "Mức độ", "Level"), vg_rep_tr(w, "Số cảnh báo", "Alerts"),
			    vg_rep_tr(w, "Kỹ thuật / chiến thuật", "Techniques / tactics")};
	vg_rep_table(w, 5, hd);
	size_t i;
	json_t *r;
	json_array_foreach(rules, i, r)
	{
		char no[24], cnt[32], tt[1024], ta[1024], both[2100];
		snprintf(no, sizeof(no), "%zu", i + 1);
		snprintf(cnt, sizeof(cnt), "%lld", (long long)vg_rep_int(r, "count"));
		joined(json_object_get(r, "techniques"), tt, sizeof(tt));
		joined(json_object_get(r, "tactics"), ta, sizeof(ta));
		snprintf(both, sizeof(both), "%s%s%s", tt, tt[0] && ta[0] ? "; " : "", ta);
		const char *row[] = {no, vg_rep_str(r, "title")[0] ? vg_rep_str(r, "title") : vg_rep_str(r, "rule_id"),
				     vg_rep_level_label(w, vg_rep_str(r, "level")), cnt, both};
		vg_rep_row(w, row);
	}
	rule_chart(w, rules);
}

static void evidence(vg_rep_w *w, const json_t *data, const char *num)
{
	const json_t *a = json_object_get(data, "evidence");
	vg_rep_h(w, 2, num);
	if (json_array_size(a) == 0)
		return none(w);
	const char *hd[] = {vg_rep_tr(w, "STT", "No."),          vg_rep_tr(w, "Thời gian", "Time"),
			    vg_rep_tr(w, "Luật phát hiện", "Rule"), vg_rep_tr(w, "Máy chủ", "Host"),
			    vg_rep_tr(w, "IP nguồn", "Source IP"),  vg_rep_tr(w, "Trích dẫn sự kiện", "Event excerpt")};
	vg_rep_table(w, 6, hd);
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
	{
		char no[24], t[40];
		snprintf(no, sizeof(no), "%zu", i + 1);
		const char *row[] = {no,
				     vg_rep_when(w, e, "time", t, sizeof(t)),
				     vg_rep_str(e, "rule"),
				     vg_rep_str(e, "host"),
				     vg_rep_str(e, "source_ip"),
				     vg_rep_str(e, "excerpt")};
		vg_rep_row(w, row);
	}
}

static void sources(vg_rep_w *w, const json_t *data, const char *num)
{
	const json_t *a = json_object_get(data, "sources");
	vg_rep_h(w, 2, num);
	if (json_array_size(a) == 0)
		return none(w);
	const char *hd[] = {vg_rep_tr(w, "STT", "No."),           vg_rep_tr(w, "Địa chỉ IP nguồn", "Source IP"),
			    vg_rep_tr(w, "Số cảnh báo", "Alerts"),   vg_rep_tr(w, "Số luật", "Rules"),
			    vg_rep_tr(w, "Số máy đích", "Hosts"),    vg_rep_tr(w, "Lần đầu", "First seen"),
			    vg_rep_tr(w, "Lần cuối", "Last seen")};
	vg_rep_table(w, 7, hd);
	size_t i;
	json_t *s;
	json_array_foreach(a, i, s)
	{
		char no[24], c[32], r[32], h[32], f[40], l[40];
		snprintf(no, sizeof(no), "%zu", i + 1);
		snprintf(c, sizeof(c), "%lld", (long long)vg_rep_int(s, "count"));
		snprintf(r, sizeof(r), "%lld", (long long)vg_rep_int(s, "rules"));
		snprintf(h, sizeof(h), "%lld", (long long)vg_rep_int(s, "hosts"));
		const char *row[] = {no, vg_rep_str(s, "ip"), c, r, h, vg_rep_when(w, s, "first", f, sizeof(f)),
				     vg_rep_when(w, s, "last", l, sizeof(l))};
		vg_rep_row(w, row);
	}
}

static void changes(vg_rep_w *w, const json_t *data, const char *num)
{
	const json_t *a = json_object_get(data, "changes");
	vg_rep_h(w, 2, num);
	if (json_array_size(a) == 0) {
		vg_rep_p(w, vg_rep_tr(w, "Không có thay đổi trong kỳ.", "No changes in this period."), VG_DOC_ITALIC);
		return;
	}
	const char *hd[] = {vg_rep_tr(w, "STT", "No."), vg_rep_tr(w, "Thời gian", "Time"),
			    vg_rep_tr(w, "Hệ thống", "System"), vg_rep_tr(w, "Nội dung thay đổi", "Change")};
	vg_rep_table(w, 4, hd);
	size_t i;
	json_t *c;
	json_array_foreach(a, i, c)
	{
		char no[24], t[40];
		snprintf(no, sizeof(no), "%zu", i + 1);
		const char *what = vg_rep_str(c, "description");
		if (what[0] == '\0')
			what = vg_rep_str(c, "summary");
		if (what[0] == '\0' && strcmp(vg_rep_str(c, "type"), "system_added") == 0)
			what = vg_rep_tr(w, "Hệ thống mới được đưa vào danh mục giám sát", "New system added to the registry");
		if (what[0] == '\0')
			what = vg_rep_str(c, "type");
		const char *row[] = {no, vg_rep_when(w, c, json_object_get(c, "time") ? "time" : "at", t, sizeof(t)),
				     vg_rep_str(c, "system")[0] ? vg_rep_str(c, "system") : vg_rep_str(c, "system_name"),
				     what};
		vg_rep_row(w, row);
	}
}

static void coverage(vg_rep_w *w, const json_t *data, const char *num)
{
	const json_t *cov = json_object_get(data, "coverage");
	const json_t *a = json_object_get(cov, "systems");
	vg_rep_h(w, 2, num);
	if (!json_is_true(json_object_get(cov, "available"))) {
		vg_rep_p(w, vg_rep_tr(w, "Chưa có dữ liệu giám sát 4 lớp.", "No four-layer coverage data."), VG_DOC_ITALIC);
		return;
	}
	char share[64];
	snprintf(share, sizeof(share), "%lld/%lld (%.0f%%)", (long long)vg_rep_int(cov, "level3_5_covered"),
		 (long long)vg_rep_int(cov, "level3_5_total"),
		 100.0 * json_number_value(json_object_get(cov, "level3_5_share")));
	vg_rep_kvi(w, vg_rep_tr(w, "Số hệ thống thông tin:", "Information systems:"), vg_rep_int(cov, "systems_total"));
	vg_rep_kvi(w, vg_rep_tr(w, "Hệ thống được giám sát đủ 4 lớp:", "Systems with all four layers covered:"),
		   vg_rep_int(cov, "fully_covered"));
	vg_rep_kv(w, vg_rep_tr(w, "Hệ thống cấp độ 3–5 được giám sát đủ 4 lớp:", "Level 3–5 systems fully covered:"),
		  share);
	if (json_array_size(a) == 0)
		return none(w);
	const char *hd[] = {vg_rep_tr(w, "STT", "No."),
			    vg_rep_tr(w, "Hệ thống thông tin", "Information system"),
			    vg_rep_tr(w, "Cấp độ", "Level"),
			    vg_rep_tr(w, "Mạng", "Network"),
			    vg_rep_tr(w, "Máy chủ và CSDL", "Server and database"),
			    vg_rep_tr(w, "Ứng dụng", "Application"),
			    vg_rep_tr(w, "Đầu cuối", "Endpoint"),
			    vg_rep_tr(w, "Đủ 4 lớp", "All four layers")};
	vg_rep_table(w, 8, hd);
	size_t i;
	json_t *s;
	json_array_foreach(a, i, s)
	{
		char no[24], lv[16];
		snprintf(no, sizeof(no), "%zu", i + 1);
		snprintf(lv, sizeof(lv), "%lld", (long long)vg_rep_int(s, "level"));
		const json_t *l = json_object_get(s, "layers");
		const char *row[] = {no,
				     vg_rep_str(s, "name"),
				     lv,
				     vg_rep_state_label(w, vg_rep_str(l, "network")),
				     vg_rep_state_label(w, vg_rep_str(l, "host")),
				     vg_rep_state_label(w, vg_rep_str(l, "application")),
				     vg_rep_state_label(w, vg_rep_str(l, "endpoint")),
				     json_is_true(json_object_get(s, "all_covered")) ? vg_rep_tr(w, "Có", "Yes")
										     : vg_rep_tr(w, "Không", "No")};
		vg_rep_row(w, row);
	}
}

static void incidents(vg_rep_w *w, const json_t *data, const char *num, int by_type)
{
	const json_t *inc = json_object_get(data, "incidents");
	vg_rep_h(w, 2, num);
	if (!json_is_true(json_object_get(inc, "available"))) {
		vg_rep_p(w, vg_rep_tr(w, "Chưa có dữ liệu sự cố.", "No incident data."), VG_DOC_ITALIC);
		return;
	}
	vg_rep_kvi(w, vg_rep_tr(w, "Tổng số sự cố:", "Incidents:"), vg_rep_int(inc, "total"));
	if (by_type) {
		static const char *const types[] = {"malware",    "intrusion", "encryption", "destruction",
						    "data_theft", "combined",  "other"};
		const json_t *bt = json_object_get(inc, "by_type");
		vg_rep_h(w, 3, vg_rep_tr(w, "Số sự cố theo loại", "Incidents by type"));
		const char *hd[] = {vg_rep_tr(w, "STT", "No."), vg_rep_tr(w, "Loại sự cố", "Type"),
				    vg_rep_tr(w, "Số sự cố", "Incidents")};
		vg_rep_table(w, 3, hd);
		const char *labels[7];
		double vals[7], sum = 0;
		for (size_t i = 0; i < 7; i++) {
			char no[24], c[32];
			snprintf(no, sizeof(no), "%zu", i + 1);
			snprintf(c, sizeof(c), "%lld", (long long)vg_rep_int(bt, types[i]));
			labels[i] = vg_rep_type_label(w, types[i]);
			vals[i] = (double)vg_rep_int(bt, types[i]);
			sum += vals[i];
			const char *row[] = {no, labels[i], c};
			vg_rep_row(w, row);
		}
		if (sum > 0 && w->rc == 0)
			w->rc = vg_doc_chart_pie(w->d, vg_rep_tr(w, "Sự cố theo loại", "Incidents by type"), labels, vals, 7);
		vg_rep_h(w, 3, vg_rep_tr(w, "Tình hình xử lý sự cố", "How incidents were handled"));
	}
	const json_t *list = json_object_get(inc, "list");
	if (json_array_size(list) == 0)
		return;
	const char *hd[] = {vg_rep_tr(w, "STT", "No."),         vg_rep_tr(w, "Mã", "ID"),
			    vg_rep_tr(w, "Tên sự cố", "Incident"), vg_rep_tr(w, "Loại", "Type"),
			    vg_rep_tr(w, "Trạng thái", "State"),    vg_rep_tr(w, "Phát hiện", "Detected"),
			    vg_rep_tr(w, "Xử lý xong", "Resolved"), vg_rep_tr(w, "Đóng", "Closed")};
	vg_rep_table(w, 8, hd);
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o)
	{
		char no[24], id[32], d[40], r[40], c[40];
		snprintf(no, sizeof(no), "%zu", i + 1);
		snprintf(id, sizeof(id), "%lld", (long long)vg_rep_int(o, "id"));
		const char *row[] = {no,
				     id,
				     vg_rep_str(o, "title"),
				     vg_rep_type_label(w, vg_rep_str(o, "report_type")),
				     vg_rep_state_label(w, vg_rep_str(o, "state")),
				     vg_rep_when(w, o, "detected_at", d, sizeof(d)),
				     vg_rep_when(w, o, "resolved_at", r, sizeof(r)),
				     vg_rep_when(w, o, "closed_at", c, sizeof(c))};
		vg_rep_row(w, row);
	}
}

int vg_rep_doc_periodic(const vg_reports *r, const json_t *data, const char *lang, vg_doc **out, char *why,
			size_t whylen)
{
	vg_report_kind k;
	if (vg_report_kind_parse(vg_rep_str(data, "kind"), &k) != 0 || k > VG_REPORT_SEMIANNUAL)
		return VG_EINVAL;
	vg_rep_w w = {.en = strcmp(lang, "en") == 0};
	static const char *const title_vi[] = {
		"BÁO CÁO GIÁM SÁT AN TOÀN THÔNG TIN HẰNG NGÀY", "BÁO CÁO GIÁM SÁT AN TOÀN THÔNG TIN HẰNG TUẦN",
		"BÁO CÁO TÌNH HÌNH TRIỂN KHAI GIÁM SÁT AN TOÀN THÔNG TIN HẰNG THÁNG",
		"BÁO CÁO TỔNG HỢP SỰ CỐ AN TOÀN THÔNG TIN MẠNG 6 THÁNG"};
	static const char *const title_en[] = {"DAILY SECURITY MONITORING REPORT", "WEEKLY SECURITY MONITORING REPORT",
					       "MONTHLY MONITORING DEPLOYMENT STATUS REPORT",
					       "SIX-MONTHLY CYBERSECURITY INCIDENT SUMMARY"};
	const char *title = w.en ? title_en[k] : title_vi[k];
	int err = 0;
	if ((w.d = vg_doc_new(title, lang, &err)) == NULL)
		return err;
	const json_t *per = json_object_get(data, "period");
	char number[64], sub[256];
	snprintf(number, sizeof(number), "%s: %s/BC-GS", vg_rep_tr(&w, "Số", "No."), vg_rep_str(per, "label"));
	vg_rep_header(&w, r, number, vg_rep_int(data, "generated_at_us"));
	vg_rep_h(&w, 1, title);
	snprintf(sub, sizeof(sub), "%s %s", vg_rep_tr(&w, "Kỳ báo cáo:", "Period:"), vg_rep_str(per, "label"));
	vg_rep_p(&w, sub, VG_DOC_CENTER | VG_DOC_ITALIC);
	general(&w, data);
	switch (k) {
	case VG_REPORT_DAILY:
	case VG_REPORT_WEEKLY:
		alerts_overview(&w, data, vg_rep_tr(&w, "II. TỔNG QUAN CẢNH BÁO", "II. ALERTS OVERVIEW"));
		objects(&w, data, vg_rep_tr(&w, "III. ĐỐI TƯỢNG BỊ TẤN CÔNG", "III. ATTACKED OBJECTS"));
		techniques(&w, data, vg_rep_tr(&w, "IV. KỸ THUẬT TẤN CÔNG", "IV. ATTACK TECHNIQUES"));
		evidence(&w, data, vg_rep_tr(&w, "V. BẰNG CHỨNG", "V. EVIDENCE"));
		sources(&w, data, vg_rep_tr(&w, "VI. NGUỒN TẤN CÔNG", "VI. ATTACKING SOURCES"));
		changes(&w, data, vg_rep_tr(&w, "VII. THAY ĐỔI TRONG KỲ", "VII. CHANGES"));
		incidents(&w, data, vg_rep_tr(&w, "VIII. SỰ CỐ TRONG KỲ", "VIII. INCIDENTS"), 0);
		break;
	case VG_REPORT_MONTHLY:
		coverage(&w, data,
			 vg_rep_tr(&w, "II. TÌNH HÌNH GIÁM SÁT 4 LỚP", "II. FOUR-LAYER MONITORING COVERAGE"));
		alerts_overview(&w, data, vg_rep_tr(&w, "III. TỔNG QUAN CẢNH BÁO", "III. ALERTS OVERVIEW"));
		techniques(&w, data, vg_rep_tr(&w, "IV. KỸ THUẬT TẤN CÔNG", "IV. ATTACK TECHNIQUES"));
		incidents(&w, data, vg_rep_tr(&w, "V. SỰ CỐ TRONG KỲ", "V. INCIDENTS"), 0);
		break;
	default:
		incidents(&w, data, vg_rep_tr(&w, "II. SỰ CỐ AN TOÀN THÔNG TIN MẠNG", "II. CYBERSECURITY INCIDENTS"), 1);
		alerts_overview(&w, data, vg_rep_tr(&w, "III. TỔNG QUAN CẢNH BÁO", "III. ALERTS OVERVIEW"));
		techniques(&w, data, vg_rep_tr(&w, "IV. KỸ THUẬT TẤN CÔNG", "IV. ATTACK TECHNIQUES"));
		break;
	}
	char pd[256];
	vg_rep_place_date(&w, r, vg_rep_int(data, "generated_at_us"), pd, sizeof(pd));
	if (w.rc == 0)
		w.rc = vg_doc_signature(w.d, pd, vg_rep_tr(&w, "NGƯỜI LẬP BÁO CÁO", "PREPARED BY"), NULL);
	if (w.rc != 0) {
		snprintf(why, whylen, "report document: %s", vg_doc_why(w.d));
		vg_doc_free(w.d);
		return w.rc;
	}
	*out = w.d;
	return 0;
}
