/* reports_forms.c — the incident forms of Circular 20/2017/TT-BTTTT drawn
 * from an incident's JSON (docs/reports.md, "Incident data"): Mẫu 03, the
 * initial report to the national coordinator, and Mẫu 04, the closure
 * report. Members are read tolerantly (absent ones print empty) so the
 * forms stay printable while an incident is still being filled in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "server/reports_int.h"

/* The text of any JSON value: a string as is, a number, an array joined by
 * ", ", an object as its non-empty scalar members joined by "; " (a
 * contact: unit, name, phone, e-mail). Appends to b; on ENOMEM b is cut. */
static void text_of(const json_t *v, vg_buf *b, int depth)
{
	size_t start = b->len;
	int ok = 1;
	if (json_is_string(v)) {
		ok = vg_buf_append(b, json_string_value(v), json_string_length(v)) == 0;
	} else if (json_is_integer(v)) {
		char n[32];
		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
		ok = vg_buf_append(b, n, strlen(n)) == 0;
	} else if (json_is_true(v) || json_is_false(v)) {
		ok = vg_buf_append(b, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5) == 0;
	} else if (depth < 4 && json_is_object(v)) {
		/* a contact reads unit, name, phone, e-mail; then the rest */
		static const char *const first[] = {"unit", "name", "contact_name", "role", "phone", "email", NULL};
		for (int pass = 0; pass < 2; pass++) {
			const char *k;
			json_t *e;
			size_t fi = 0;
			void *it = json_object_iter((json_t *)v);
			for (;;) {
				if (pass == 0) {
					if (first[fi] == NULL)
						break;
					k = first[fi++];
					e = json_object_get(v, k);
				} else {
					if (it == NULL)
						break;
					k = json_object_iter_key(it);
					e = json_object_iter_value(it);
					it = json_object_iter_next((json_t *)v, it);
					int skip = strcmp(k, "id") == 0;
					for (size_t j = 0; first[j] != NULL && !skip; j++)
						skip = strcmp(first[j], k) == 0;
					if (skip)
						continue;
				}
				if (e == NULL || json_is_null(e))
					continue;
				size_t mark = b->len;
				if (b->len > start)
					ok = ok && vg_buf_append(b, "; ", 2) == 0;
				size_t before = b->len;
				text_of(e, b, depth + 1);
				if (b->len == before)
					b->len = mark; /* empty: no separator */
			}
		}
	} else if (depth < 4 && json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			size_t mark = b->len;
			if (b->len > start)
				ok = ok && vg_buf_append(b, ", ", 2) == 0;
			size_t before = b->len;
			text_of(json_array_get(v, i), b, depth + 1);
			if (b->len == before)
				b->len = mark;
		}
	}
	if (!ok)
		b->len = start;
}

/* The text of member key (first present of a '|'-separated list of names)
 * as a string valid until the next call with the same buffer. */
static const char *member(const json_t *o, const char *keys, vg_buf *b)
{
	b->len = 0;
	char k[64];
	for (const char *p = keys; *p != '\0';) {
		size_t n = strcspn(p, "|");
		if (n < sizeof(k)) {
			memcpy(k, p, n);
			k[n] = '\0';
			json_t *v = json_object_get(o, k);
			if (v != NULL && !json_is_null(v)) {
				text_of(v, b, 0);
				if (b->len > 0)
					break;
			}
		}
		p += n + (p[n] == '|');
	}
	if (vg_buf_append(b, "", 1) != 0)
		return "";
	return b->data;
}

typedef struct form {
	vg_rep_w w;
	vg_buf tmp;
	const json_t *inc;
} form;

static void kvm(form *f, const char *label, const json_t *o, const char *keys)
{
	vg_rep_kv(&f->w, label, member(o, keys, &f->tmp));
}

static void para_or(form *f, const json_t *o, const char *keys)
{
	const char *t = member(o, keys, &f->tmp);
	if (t[0] != '\0')
		vg_rep_p(&f->w, t, 0);
	else
		vg_rep_p(&f->w, vg_rep_tr(&f->w, "(chưa có thông tin)", "(not provided)"), VG_DOC_ITALIC);
}

static void reporter(form *f, const vg_reports *r, const char *num)
{
	const json_t *rep = json_object_get(f->inc, "reporter");
	vg_rep_w *w = &f->w;
	vg_rep_h(w, 2, num);
	const char *org = member(rep, "organisation|organization|unit_name|unit", &f->tmp);
	vg_rep_kv(w, vg_rep_tr(w, "Tên tổ chức/cá nhân báo cáo:", "Reporting organisation/person:"),
		  org[0] ? org : r->organisation[0] ? r->organisation : vg_rep_str(f->inc, "unit"));
	if (json_is_string(rep)) { /* the incidents module: a name and a contact line */
		vg_rep_kv(w, vg_rep_tr(w, "Người liên hệ:", "Contact person:"), json_string_value(rep));
		kvm(f, vg_rep_tr(w, "Thông tin liên hệ:", "Contact details:"), f->inc, "reporter_contact");
		return;
	}
	kvm(f, vg_rep_tr(w, "Người liên hệ:", "Contact person:"), rep, "name|display_name|user");
	kvm(f, vg_rep_tr(w, "Chức vụ:", "Position:"), rep, "position|title|role");
	kvm(f, vg_rep_tr(w, "Điện thoại:", "Phone:"), rep, "phone");
	kvm(f, vg_rep_tr(w, "Thư điện tử:", "E-mail:"), rep, "email");
}

static void system_details(form *f, const char *num)
{
	vg_rep_w *w = &f->w;
	const json_t *systems = json_object_get(f->inc, "systems");
	vg_rep_h(w, 2, num);
	if (json_array_size(systems) == 0) {
		vg_rep_p(w, vg_rep_tr(w, "(chưa xác định hệ thống bị ảnh hưởng)", "(affected system not identified yet)"),
			 VG_DOC_ITALIC);
		return;
	}
	size_t i;
	json_t *s;
	json_array_foreach(systems, i, s)
	{
		if (json_array_size(systems) > 1) {
			char h[64];
			snprintf(h, sizeof(h), "%s %zu", vg_rep_tr(w, "Hệ thống", "System"), i + 1);
			vg_rep_h(w, 3, h);
		}
		kvm(f, vg_rep_tr(w, "Tên hệ thống thông tin:", "Information system:"), s, "name");
		char lv[160];
		int64_t level = vg_rep_int(s, "level");
		if (level >= 1 && level <= 5)
			snprintf(lv, sizeof(lv), "%s %lld", vg_rep_tr(w, "Cấp độ", "Level"), (long long)level);
		else
			snprintf(lv, sizeof(lv), "%s", vg_rep_tr(w, "(chưa xác định)", "(not determined)"));
		vg_rep_kv(w, vg_rep_tr(w, "Cấp độ an toàn hệ thống thông tin:", "Security level:"), lv);
		kvm(f, vg_rep_tr(w, "Đơn vị chủ quản/vận hành:", "Owner unit:"), s, "owner_unit|owner|unit_name|unit");
		kvm(f, vg_rep_tr(w, "Địa chỉ IP công khai:", "Public IP addresses:"), s, "public_ips|ips|ip_addresses");
		kvm(f, vg_rep_tr(w, "Tên miền:", "Domains:"), s, "domains");
		kvm(f, vg_rep_tr(w, "Dịch vụ:", "Services:"), s, "services");
		kvm(f, vg_rep_tr(w, "Đầu mối lớp 1 (đơn vị chuyên trách tại chỗ):", "Layer-1 contact (on-site security unit):"),
		    s, "layer1_contact|layer1|onsite_contact");
		kvm(f, vg_rep_tr(w, "Đơn vị giám sát lớp 2:", "Layer-2 monitoring provider:"), s,
		    "layer2_provider|layer2|provider");
		const json_t *nc = json_object_get(s, "national_centre");
		const char *ncs = json_is_object(nc) ? vg_rep_str(nc, "state") : json_string_value(nc);
		char ncb[160];
		if (ncs != NULL && ncs[0] != '\0') {
			const char *lbl = strcmp(ncs, "connected") == 0 ? vg_rep_tr(w, "Đã kết nối", "connected")
					  : strcmp(ncs, "pending") == 0 ? vg_rep_tr(w, "Đang kết nối", "pending")
					  : strcmp(ncs, "not_connected") == 0 ? vg_rep_tr(w, "Chưa kết nối", "not connected")
									      : ncs;
			char since[40];
			vg_rep_when(w, nc, "since", since, sizeof(since));
			snprintf(ncb, sizeof(ncb), "%s%s%s", lbl, since[0] ? vg_rep_tr(w, " từ ", " since ") : "", since);
			vg_rep_kv(w, vg_rep_tr(w, "Kết nối với Trung tâm Giám sát quốc gia:", "Connection to the national centre:"),
				  ncb);
		}
		json_t *ni = json_object_get(s, "nationally_important");
		if (ni == NULL)
			ni = json_object_get(s, "national");
		if (json_is_boolean(ni))
			vg_rep_kv(w, vg_rep_tr(w, "Hệ thống quan trọng quốc gia:", "Nationally important:"),
				  json_is_true(ni) ? vg_rep_tr(w, "Có", "Yes") : vg_rep_tr(w, "Không", "No"));
	}
}

static void timeline(form *f, const char *num)
{
	vg_rep_w *w = &f->w;
	const json_t *tl = json_object_get(f->inc, "timeline");
	vg_rep_h(w, 2, num);
	if (json_array_size(tl) == 0) {
		vg_rep_p(w, vg_rep_tr(w, "(chưa có hoạt động nào được ghi nhận)", "(no actions recorded)"), VG_DOC_ITALIC);
		return;
	}
	const char *hd[] = {vg_rep_tr(w, "STT", "No."), vg_rep_tr(w, "Thời gian", "Time"),
			    vg_rep_tr(w, "Người thực hiện", "By"), vg_rep_tr(w, "Nội dung", "Action")};
	vg_rep_table(w, 4, hd);
	size_t i;
	json_t *e;
	vg_buf who = {0};
	json_array_foreach(tl, i, e)
	{
		char no[24], t[40];
		snprintf(no, sizeof(no), "%zu", i + 1);
		const char *whos = member(e, "actor|who|user", &who);
		const char *row[] = {no, vg_rep_when(w, e, json_object_get(e, "ts") ? "ts" : json_object_get(e, "at") ? "at" : "time", t, sizeof(t)), whos,
				     member(e, "text|comment|message|action|kind", &f->tmp)};
		vg_rep_row(w, row);
	}
	vg_buf_free(&who);
}

static void alerts(form *f, const char *num)
{
	vg_rep_w *w = &f->w;
	const json_t *a = json_object_get(f->inc, "alerts");
	vg_rep_h(w, 2, num);
	if (json_array_size(a) == 0) {
		vg_rep_p(w, vg_rep_tr(w, "(không có cảnh báo liên quan)", "(no related alerts)"), VG_DOC_ITALIC);
		return;
	}
	const char *hd[] = {vg_rep_tr(w, "STT", "No."),          vg_rep_tr(w, "Thời gian", "Time"),
			    vg_rep_tr(w, "Luật phát hiện", "Rule"), vg_rep_tr(w, "Mức độ", "Level"),
			    vg_rep_tr(w, "Máy chủ", "Host"),        vg_rep_tr(w, "IP nguồn", "Source IP")};
	vg_rep_table(w, 6, hd);
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
	{
		if (i >= 500)
			break;
		char no[24], t[40];
		snprintf(no, sizeof(no), "%zu", i + 1);
		const char *tk = json_object_get(e, "ts") ? "ts" : json_object_get(e, "ts_us") ? "ts_us" : "time";
		const char *row[] = {no,
				     vg_rep_when(w, e, tk, t, sizeof(t)),
				     vg_rep_str(e, "rule_title")[0] ? vg_rep_str(e, "rule_title") : vg_rep_str(e, "rule_id"),
				     vg_rep_level_label(w, vg_rep_str(e, "level")),
				     vg_rep_str(e, "host"),
				     vg_rep_str(e, "source_ip")};
		vg_rep_row(w, row);
	}
}

static void attachments(form *f, const char *num)
{
	vg_rep_w *w = &f->w;
	const json_t *a = json_object_get(f->inc, "attachments");
	vg_rep_h(w, 2, num);
	size_t n = json_array_size(a);
	if (n == 0) {
		vg_rep_p(w, vg_rep_tr(w, "(không có)", "(none)"), VG_DOC_ITALIC);
		return;
	}
	if (n > VG_DOC_MAX_ITEMS)
		n = VG_DOC_MAX_ITEMS;
	char **items = calloc(n, sizeof(*items));
	if (items == NULL) {
		w->rc = VG_ENOMEM;
		return;
	}
	for (size_t i = 0; i < n && w->rc == 0; i++) {
		vg_buf b = {0};
		const json_t *at = json_array_get(a, i);
		if (json_is_object(at) && json_is_string(json_object_get(at, "name"))) {
			const char *nm = vg_rep_str(at, "name"), *ct = vg_rep_str(at, "content");
			if (vg_buf_append(&b, nm, strlen(nm)) != 0 || (ct[0] && (vg_buf_append(&b, ": ", 2) != 0 ||
										 vg_buf_append(&b, ct, strlen(ct)) != 0)))
				w->rc = VG_ENOMEM;
		} else {
			text_of(at, &b, 0);
		}
		if (vg_buf_append(&b, "", 1) != 0)
			w->rc = VG_ENOMEM;
		items[i] = b.data;
	}
	if (w->rc == 0)
		w->rc = vg_doc_list(w->d, (const char *const *)items, n, 1);
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

static void signature(form *f, const vg_reports *r, int64_t now_us)
{
	char pd[256];
	vg_rep_place_date(&f->w, r, now_us, pd, sizeof(pd));
	const json_t *rep = json_object_get(f->inc, "reporter");
	const char *name = json_is_string(rep) ? json_string_value(rep) : member(rep, "name|display_name|user", &f->tmp);
	if (f->w.rc == 0)
		f->w.rc = vg_doc_signature(f->w.d, pd, vg_rep_tr(&f->w, "NGƯỜI BÁO CÁO", "REPORTED BY"),
					   name[0] ? name : NULL);
}

static void initial(form *f, const vg_reports *r)
{
	vg_rep_w *w = &f->w;
	const json_t *inc = f->inc;
	char b[64], lv[64];
	reporter(f, r, vg_rep_tr(w, "1. THÔNG TIN TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ", "1. REPORTING ORGANISATION/PERSON"));
	system_details(f, vg_rep_tr(w, "2. THÔNG TIN HỆ THỐNG THÔNG TIN BỊ SỰ CỐ", "2. AFFECTED INFORMATION SYSTEM"));
	vg_rep_h(w, 2, vg_rep_tr(w, "3. MÔ TẢ SỰ CỐ", "3. INCIDENT DESCRIPTION"));
	kvm(f, vg_rep_tr(w, "Tên sự cố:", "Incident:"), inc, "title|name");
	vg_rep_kv(w, vg_rep_tr(w, "Loại sự cố:", "Type:"), vg_rep_type_label(w, vg_rep_str(inc, "type")));
	snprintf(lv, sizeof(lv), "%s", vg_rep_level_label(w, member(inc, "severity|level", &f->tmp)));
	vg_rep_kv(w, vg_rep_tr(w, "Mức độ:", "Severity:"), lv);
	vg_rep_kv(w, vg_rep_tr(w, "Sự cố nghiêm trọng:", "Serious incident:"),
		  json_is_true(json_object_get(inc, "serious")) ? vg_rep_tr(w, "Có", "Yes") : vg_rep_tr(w, "Không", "No"));
	vg_rep_p(w, vg_rep_tr(w, "Mô tả chi tiết:", "Details:"), VG_DOC_BOLD);
	para_or(f, inc, "description|summary");
	vg_rep_h(w, 2, vg_rep_tr(w, "4. THỜI GIAN VÀ PHƯƠNG THỨC PHÁT HIỆN", "4. DETECTION TIME AND METHOD"));
	vg_rep_kv(w, vg_rep_tr(w, "Thời điểm phát hiện:", "Detected at:"), vg_rep_when(w, inc, "detected_at", b, sizeof(b)));
	kvm(f, vg_rep_tr(w, "Phương thức phát hiện:", "Detection method:"), inc, "detection_method|detected_by");
	vg_rep_h(w, 2, vg_rep_tr(w, "5. TÌNH TRẠNG HIỆN TẠI", "5. CURRENT STATUS"));
	vg_rep_kv(w, vg_rep_tr(w, "Trạng thái xử lý:", "State:"), vg_rep_state_label(w, vg_rep_str(inc, "state")));
	kvm(f, vg_rep_tr(w, "Người phụ trách:", "Assignee:"), inc, "assignee");
	kvm(f, vg_rep_tr(w, "Biện pháp đã áp dụng:", "Measures taken:"), inc, "status|measures|actions_taken");
	alerts(f, vg_rep_tr(w, "6. CẢNH BÁO LIÊN QUAN", "6. RELATED ALERTS"));
	attachments(f, vg_rep_tr(w, "7. TÀI LIỆU ĐÍNH KÈM", "7. ATTACHMENTS"));
}

static void closure(form *f, const vg_reports *r)
{
	vg_rep_w *w = &f->w;
	const json_t *inc = f->inc;
	char b[64];
	reporter(f, r, vg_rep_tr(w, "1. THÔNG TIN TỔ CHỨC/CÁ NHÂN BÁO CÁO", "1. REPORTING ORGANISATION/PERSON"));
	system_details(f, vg_rep_tr(w, "2. HỆ THỐNG THÔNG TIN BỊ SỰ CỐ", "2. AFFECTED INFORMATION SYSTEM"));
	vg_rep_h(w, 2, vg_rep_tr(w, "3. TÓM TẮT SỰ CỐ", "3. INCIDENT SUMMARY"));
	kvm(f, vg_rep_tr(w, "Tên sự cố:", "Incident:"), inc, "title|name");
	vg_rep_kv(w, vg_rep_tr(w, "Loại sự cố:", "Type:"), vg_rep_type_label(w, vg_rep_str(inc, "type")));
	vg_rep_kv(w, vg_rep_tr(w, "Thời điểm phát hiện:", "Detected at:"), vg_rep_when(w, inc, "detected_at", b, sizeof(b)));
	vg_rep_kv(w, vg_rep_tr(w, "Thời điểm kết thúc ứng cứu:", "Response ended at:"),
		  vg_rep_when(w, inc, "resolved_at", b, sizeof(b)));
	vg_rep_kv(w, vg_rep_tr(w, "Trạng thái:", "State:"), vg_rep_state_label(w, vg_rep_str(inc, "state")));
	para_or(f, inc, "summary|description");
	vg_rep_h(w, 2, vg_rep_tr(w, "4. NGUYÊN NHÂN", "4. CAUSE"));
	para_or(f, inc, "cause|root_cause");
	vg_rep_h(w, 2, vg_rep_tr(w, "5. ẢNH HƯỞNG, THIỆT HẠI", "5. IMPACT"));
	para_or(f, inc, "impact");
	timeline(f, vg_rep_tr(w, "6. CÁC HOẠT ĐỘNG ỨNG CỨU ĐÃ THỰC HIỆN", "6. RESPONSE ACTIONS"));
	vg_rep_h(w, 2, vg_rep_tr(w, "7. KẾT QUẢ ỨNG CỨU", "7. RESULT"));
	para_or(f, inc, "result|resolution");
	vg_rep_h(w, 2, vg_rep_tr(w, "8. KIẾN NGHỊ, ĐỀ XUẤT", "8. RECOMMENDATIONS"));
	para_or(f, inc, "recommendations|recommendation");
	attachments(f, vg_rep_tr(w, "9. TÀI LIỆU ĐÍNH KÈM", "9. ATTACHMENTS"));
}

int vg_rep_doc_form(const vg_reports *r, const json_t *data, const char *lang, vg_doc **out, char *why,
		    size_t whylen)
{
	vg_report_kind k;
	if (vg_report_kind_parse(vg_rep_str(data, "kind"), &k) != 0 || k < VG_REPORT_INCIDENT_INITIAL)
		return VG_EINVAL;
	form f = {.w = {.en = strcmp(lang, "en") == 0}, .inc = json_object_get(data, "incident")};
	vg_rep_w *w = &f.w;
	int closing = k == VG_REPORT_INCIDENT_CLOSURE;
	const char *title = closing ? vg_rep_tr(w, "BÁO CÁO KẾT THÚC ỨNG CỨU SỰ CỐ AN TOÀN THÔNG TIN MẠNG",
						"CYBERSECURITY INCIDENT RESPONSE CLOSURE REPORT")
				    : vg_rep_tr(w, "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG",
						"INITIAL CYBERSECURITY INCIDENT REPORT");
	int err = 0;
	if ((w->d = vg_doc_new(title, lang, &err)) == NULL)
		return err;
	int64_t now_us = vg_rep_int(data, "generated_at_us");
	char number[64], form_no[128], rcpt[512];
	snprintf(number, sizeof(number), "%s: %lld/BC-SC", vg_rep_tr(w, "Số", "No."),
		 (long long)vg_rep_int(data, "incident_id"));
	snprintf(form_no, sizeof(form_no), "%s (%s)", closing ? vg_rep_tr(w, "Mẫu 04", "Form 04") : vg_rep_tr(w, "Mẫu 03", "Form 03"),
		 vg_rep_tr(w, "ban hành kèm theo Thông tư số 20/2017/TT-BTTTT", "Circular No. 20/2017/TT-BTTTT"));
	vg_rep_p(w, form_no, VG_DOC_RIGHT | VG_DOC_BOLD);
	vg_rep_header(w, r, number, now_us);
	vg_rep_h(w, 1, title);
	snprintf(rcpt, sizeof(rcpt), "%s %s", vg_rep_tr(w, "Kính gửi:", "To:"),
		 r->recipient[0] ? r->recipient
				 : vg_rep_tr(w, "Cơ quan điều phối quốc gia về ứng cứu sự cố (Cục An toàn thông tin)",
					     "The national incident response coordinator (Authority of Information Security)"));
	vg_rep_p(w, rcpt, VG_DOC_CENTER);
	char idl[96];
	snprintf(idl, sizeof(idl), "%s %lld", vg_rep_tr(w, "Mã sự cố:", "Incident ID:"),
		 (long long)vg_rep_int(data, "incident_id"));
	vg_rep_p(w, idl, VG_DOC_CENTER | VG_DOC_ITALIC);
	if (closing)
		closure(&f, r);
	else
		initial(&f, r);
	signature(&f, r, now_us);
	vg_buf_free(&f.tmp);
	if (w->rc != 0) {
		snprintf(why, whylen, "incident form: %s", vg_doc_why(w->d));
		vg_doc_free(w->d);
		return w->rc;
	}
	*out = w->d;
	return 0;
}
