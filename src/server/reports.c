/* reports.c — the reports module: kinds, periods (Asia/Ho_Chi_Minh calendar),
 * collection of incident-form data, rendering to JSON/HTML/PDF, and the REST
 * handlers. The periodic data is gathered in reports_data.c; the documents
 * are drawn in reports_doc.c (periodic) and reports_forms.c (Mẫu 03/04). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/api.h"
#include "server/reports_int.h"

static const char *const kind_names[] = {"daily", "weekly", "monthly", "semiannual", "initial", "closure"};

const char *vg_report_kind_name(vg_report_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

int vg_report_kind_parse(const char *s, vg_report_kind *out)
{
	for (size_t i = 0; s != NULL && i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (vg_report_kind)i;
			return 0;
		}
	return VG_EINVAL;
}

int vg_report_format_parse(const char *s, vg_report_format *out)
{
	if (s == NULL || strcmp(s, "json") == 0)
		*out = VG_REPORT_JSON;
	else if (strcmp(s, "html") == 0)
		*out = VG_REPORT_HTML;
	else if (strcmp(s, "pdf") == 0)
		*out = VG_REPORT_PDF;
	else
		return VG_EINVAL;
	return 0;
}

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ---- */

int64_t vg_rep_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void vg_rep_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

#define DAY_US INT64_C(86400000000)
#define TZ_US ((int64_t)VG_REPORT_TZ_OFFSET_S * 1000000)

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* local day number of a UTC instant, and the UTC instant of a local midnight */
static int64_t local_day(int64_t us)
{
	return floor_div(us + TZ_US, DAY_US);
}

static int64_t day_start_us(int64_t day)
{
	return day * DAY_US - TZ_US;
}

static int days_in_month(int y, int m)
{
	return (int)(vg_rep_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - vg_rep_days_from_civil(y, m, 1));
}

/* Monday of ISO week 1 of year y */
static int64_t iso_week1(int y)
{
	int64_t jan4 = vg_rep_days_from_civil(y, 1, 4);
	int64_t wd = ((jan4 + 3) % 7 + 7) % 7; /* Monday 0; 1970-01-01 was a Thursday */
	return jan4 - wd;
}

static int parse_num(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

#define YEAR_MIN 1970
#define YEAR_MAX 2200

static void set_why(char *why, size_t n, const char *fmt, const char *a, const char *b)
{
	if (why != NULL && n > 0)
		snprintf(why, n, fmt, a, b);
}

int vg_report_period_parse(vg_report_kind kind, const char *text, int64_t now_us, vg_report_period *out, char *why,
			   size_t whylen)
{
	static const char *const forms[] = {"YYYY-MM-DD", "YYYY-Www (ISO week)", "YYYY-MM", "YYYY-H1 or YYYY-H2"};
	if (kind > VG_REPORT_SEMIANNUAL) {
		set_why(why, whylen, "%s%s", "incident reports have no period", "");
		return VG_EINVAL;
	}
	int y = 0, n = 0, d = 0;
	int64_t from, to;
	if (text == NULL || text[0] == '\0') {
		int64_t today = local_day(now_us);
		int cy, cm, cd;
		vg_rep_civil_from_days(today, &cy, &cm, &cd);
		switch (kind) {
		case VG_REPORT_DAILY: from = today - 1, to = today; break;
		case VG_REPORT_WEEKLY: {
			int64_t monday = today - ((today + 3) % 7 + 7) % 7;
			from = monday - 7, to = monday;
			break;
		}
		case VG_REPORT_MONTHLY:
			to = vg_rep_days_from_civil(cy, cm, 1);
			from = vg_rep_days_from_civil(cm == 1 ? cy - 1 : cy, cm == 1 ? 12 : cm - 1, 1);
			break;
		default:
			to = vg_rep_days_from_civil(cy, cm <= 6 ? 1 : 7, 1);
			from = vg_rep_days_from_civil(cm <= 6 ? cy - 1 : cy, cm <= 6 ? 7 : 1, 1);
			break;
		}
	} else {
		size_t len = strlen(text);
		int ok = len >= 7 && parse_num(text, 4, &y) == 0 && text[4] == '-' && y >= YEAR_MIN && y <= YEAR_MAX;
		switch (kind) {
		case VG_REPORT_DAILY:
			ok = ok && len == 10 && parse_num(text + 5, 2, &n) == 0 && text[7] == '-' &&
			     parse_num(text + 8, 2, &d) == 0 && n >= 1 && n <= 12 && d >= 1 && d <= days_in_month(y, n);
			if (ok)
				from = vg_rep_days_from_civil(y, n, d), to = from + 1;
			break;
		case VG_REPORT_WEEKLY:
			ok = ok && len == 8 && text[5] == 'W' && parse_num(text + 6, 2, &n) == 0 && n >= 1 &&
			     n <= (iso_week1(y + 1) - iso_week1(y)) / 7;
			if (ok)
				from = iso_week1(y) + 7 * (n - 1), to = from + 7;
			break;
		case VG_REPORT_MONTHLY:
			ok = ok && len == 7 && parse_num(text + 5, 2, &n) == 0 && n >= 1 && n <= 12;
			if (ok)
				from = vg_rep_days_from_civil(y, n, 1), to = from + days_in_month(y, n);
			break;
		default:
			ok = ok && len == 7 && text[5] == 'H' && (text[6] == '1' || text[6] == '2');
			if (ok) {
				n = text[6] - '0';
				from = vg_rep_days_from_civil(y, n == 1 ? 1 : 7, 1);
				to = vg_rep_days_from_civil(n == 1 ? y : y + 1, n == 1 ? 7 : 1, 1);
			}
			break;
		}
		if (!ok) {
			set_why(why, whylen, "period '%.64s': expected %s", text, forms[kind]);
			return VG_EINVAL;
		}
	}
	out->kind = kind;
	out->from_us = day_start_us(from);
	out->to_us = day_start_us(to);
	vg_rep_civil_from_days(from, &y, &n, &d);
	switch (kind) {
	case VG_REPORT_DAILY: snprintf(out->label, sizeof(out->label), "%04d-%02d-%02d", y, n, d); break;
	case VG_REPORT_WEEKLY: {
		int wy = y;
		if (from >= iso_week1(y + 1))
			wy = y + 1;
		else if (from < iso_week1(y))
			wy = y - 1;
		snprintf(out->label, sizeof(out->label), "%04d-W%02d", wy, (int)((from - iso_week1(wy)) / 7 + 1));
		break;
	}
	case VG_REPORT_MONTHLY: snprintf(out->label, sizeof(out->label), "%04d-%02d", y, n); break;
	default: snprintf(out->label, sizeof(out->label), "%04d-H%d", y, n <= 6 ? 1 : 2); break;
	}
	return 0;
}

/* ---- formatting ---- */

void vg_rep_fmt_time(int64_t us, const char *lang, char *buf, size_t n)
{
	if (us == 0) {
		snprintf(buf, n, "%s", "");
		return;
	}
	int64_t day = local_day(us);
	int64_t sec = (us + TZ_US - day * DAY_US) / 1000000;
	int y, m, d;
	vg_rep_civil_from_days(day, &y, &m, &d);
	if (lang != NULL && strcmp(lang, "en") == 0)
		snprintf(buf, n, "%04d-%02d-%02d %02d:%02d", y, m, d, (int)(sec / 3600), (int)(sec / 60 % 60));
	else
		snprintf(buf, n, "%02d/%02d/%04d %02d:%02d", d, m, y, (int)(sec / 3600), (int)(sec / 60 % 60));
}

void vg_rep_fmt_date(int64_t us, const char *lang, char *buf, size_t n)
{
	int y, m, d;
	vg_rep_civil_from_days(local_day(us), &y, &m, &d);
	if (lang != NULL && strcmp(lang, "en") == 0)
		snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
	else
		snprintf(buf, n, "%02d/%02d/%04d", d, m, y);
}

void vg_rep_iso(int64_t us, char *buf, size_t n)
{
	int64_t day = local_day(us);
	int64_t sec = (us + TZ_US - day * DAY_US) / 1000000;
	int y, m, d;
	vg_rep_civil_from_days(day, &y, &m, &d);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", y, m, d, (int)(sec / 3600), (int)(sec / 60 % 60),
		 (int)(sec % 60));
}

const char *vg_rep_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

int64_t vg_rep_int(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return 0;
}

const char *vg_rep_time(const json_t *o, const char *key, const char *lang, char *buf, size_t n)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		vg_rep_fmt_time(json_integer_value(v), lang, buf, n);
	else if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else
		snprintf(buf, n, "%s", "");
	return buf;
}

/* ---- module ---- */

vg_reports *vg_reports_open(vg_db *db, const vg_reports_src *src, const vg_reports_opts *opts, int *err)
{
	vg_reports *r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto err;
	r->db = db;
	if (src != NULL)
		r->src = *src;
	const char *org = opts != NULL && opts->organisation != NULL ? opts->organisation : "";
	const char *place = opts != NULL && opts->place != NULL ? opts->place : "Hà Nội";
	const char *rcpt = opts != NULL && opts->recipient != NULL ? opts->recipient : "";
	if ((r->organisation = strdup(org)) == NULL || (r->place = strdup(place)) == NULL ||
	    (r->recipient = strdup(rcpt)) == NULL)
		goto err;
	if (err != NULL)
		*err = 0;
	return r;
err:
	vg_reports_close(r);
	if (err != NULL)
		*err = VG_ENOMEM;
	return NULL;
}

void vg_reports_close(vg_reports *r)
{
	if (r == NULL)
		return;
	free(r->organisation);
	free(r->place);
	free(r->recipient);
	free(r);
}

int vg_reports_tick(vg_reports *r, int64_t now_us)
{
	(void)r;
	(void)now_us;
	return 0;
}

/* Whether the caller may see an incident: one of its systems is visible (or
 * it has none and the caller is unscoped). */
static int incident_visible(const json_t *inc, const vg_principal *who)
{
	if (who == NULL || who->unit[0] == '\0')
		return 1;
	json_t *systems = json_object_get(inc, "systems");
	size_t i;
	json_t *s;
	json_array_foreach(systems, i, s)
	{
		const char *u = json_string_value(json_object_get(s, "unit"));
		if (u != NULL && vg_auth_unit_visible(who, u))
			return 1;
	}
	const char *u = json_string_value(json_object_get(inc, "unit"));
	return u != NULL && vg_auth_unit_visible(who, u);
}

static int collect_incident(vg_reports *r, const vg_report_req *q, json_t **out, char *why, size_t whylen)
{
	char idbuf[32];
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)q->incident_id);
	if (r->src.incident == NULL) {
		set_why(why, whylen, "%s%s", "incident data is not available (no incidents module)", "");
		return VG_EUNSUPPORTED;
	}
	int err = 0;
	json_t *inc = r->src.incident(r->src.ud, q->incident_id, &err);
	if (inc == NULL || !json_is_object(inc) || !incident_visible(inc, q->who)) {
		json_decref(inc);
		set_why(why, whylen, "incident %s: %s", idbuf, "not found");
		return err != 0 && err != VG_ENOTFOUND ? err : VG_ENOTFOUND;
	}
	/* complete the systems from the systems module when the incident only
	 * names them by id */
	json_t *systems = json_object_get(inc, "systems");
	size_t i;
	json_t *s;
	json_array_foreach(systems, i, s)
	{
		int64_t sid = vg_rep_int(s, "id");
		if (json_is_object(s) && sid > 0 && json_object_get(s, "name") == NULL && r->src.system != NULL) {
			int e2 = 0;
			json_t *full = r->src.system(r->src.ud, sid, &e2);
			const char *k;
			json_t *v;
			json_object_foreach(full, k, v)
			{
				/* the registry is the authority on a system's details */
				if (strcmp(k, "id") != 0 && !json_is_null(v) && json_object_set(s, k, v) != 0) {
					json_decref(full);
					json_decref(inc);
					return VG_ENOMEM;
				}
			}
			json_decref(full);
		}
	}
	char iso[40];
	vg_rep_iso(q->now_us, iso, sizeof(iso));
	json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:o}", "kind", vg_report_kind_name(q->kind), "incident_id",
			      (json_int_t)q->incident_id, "generated_at", iso, "generated_at_us", (json_int_t)q->now_us,
			      "incident", inc);
	if (o == NULL)
		return VG_ENOMEM;
	*out = o;
	return 0;
}

int vg_reports_collect(vg_reports *r, const vg_report_req *q, json_t **out, char *why, size_t whylen)
{
	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (q->unit != NULL && q->unit[0] != '\0' && !vg_auth_unit_valid(q->unit)) {
		set_why(why, whylen, "unit '%.64s': %s", q->unit, "not a unit path (a/b/c)");
		return VG_EINVAL;
	}
	if (q->kind == VG_REPORT_INCIDENT_INITIAL || q->kind == VG_REPORT_INCIDENT_CLOSURE)
		return collect_incident(r, q, out, why, whylen);
	if (q->kind > VG_REPORT_INCIDENT_CLOSURE) {
		set_why(why, whylen, "%s%s", "unknown report kind", "");
		return VG_EINVAL;
	}
	return vg_rep_collect_periodic(r, q, out, why, whylen);
}

/* ---- rendering ---- */

static int render_pdf(const vg_doc *d, vg_buf *out, char *why, size_t whylen)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[600];
	snprintf(dir, sizeof(dir), "%s/vigil-report-XXXXXX", tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		set_why(why, whylen, "cannot create a temporary directory in %s: %s", tmp != NULL ? tmp : "/tmp",
			strerror(errno));
		return VG_EIO;
	}
	snprintf(path, sizeof(path), "%s/report.pdf", dir);
	int r = vg_doc_render_pdf(d, path, why, whylen);
	if (r == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			r = VG_EIO;
		} else if ((r = vg_buf_reserve(out, (size_t)st.st_size)) == 0) {
			size_t got = 0;
			while (got < (size_t)st.st_size) {
				ssize_t k = read(fd, out->data + out->len + got, (size_t)st.st_size - got);
				if (k < 0 && errno == EINTR)
					continue;
				if (k <= 0) {
					r = VG_EIO;
					break;
				}
				got += (size_t)k;
			}
			if (r == 0)
				out->len += got;
		}
		if (r == VG_EIO)
			set_why(why, whylen, "cannot read back %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	unlink(path);
	rmdir(dir);
	return r;
}

int vg_reports_render(const vg_reports *r, const json_t *data, const char *lang, vg_report_format f, vg_buf *out,
		      char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (lang == NULL)
		lang = "vi";
	if (strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0) {
		set_why(why, whylen, "language '%.16s': %s", lang, "expected vi or en");
		return VG_EINVAL;
	}
	if (f == VG_REPORT_JSON) {
		char *s = json_dumps(data, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s == NULL)
			return VG_ENOMEM;
		size_t len = strlen(s);
		int rc = vg_buf_append(out, s, len);
		if (rc == 0)
			rc = vg_buf_append(out, "\n", 1);
		free(s);
		return rc;
	}
	vg_report_kind k;
	if (vg_report_kind_parse(vg_rep_str(data, "kind"), &k) != 0) {
		set_why(why, whylen, "%s%s", "report data without a known \"kind\"", "");
		return VG_EINVAL;
	}
	vg_doc *d = NULL;
	int rc = k >= VG_REPORT_INCIDENT_INITIAL ? vg_rep_doc_form(r, data, lang, &d, why, whylen)
						  : vg_rep_doc_periodic(r, data, lang, &d, why, whylen);
	if (rc != 0)
		return rc;
	if (f == VG_REPORT_HTML) {
		size_t before = out->len;
		rc = vg_doc_render_html(d, out);
		if (rc != 0)
			out->len = before;
	} else {
		rc = render_pdf(d, out, why, whylen);
	}
	vg_doc_free(d);
	return rc;
}

/* ---- REST ---- */

static int http_status(int rc)
{
	switch (rc) {
	case VG_EINVAL: return 400;
	case VG_ENOTFOUND: return 404;
	case VG_ELIMIT: return 413;
	case VG_EUNSUPPORTED: return 501;
	default: return 500;
	}
}

static const char *http_code(int rc)
{
	switch (rc) {
	case VG_EINVAL: return "invalid";
	case VG_ENOTFOUND: return "not_found";
	case VG_ELIMIT: return "too_large";
	case VG_EUNSUPPORTED: return "unsupported";
	default: return "internal";
	}
}

/* Runs a request end to end and answers. */
static void answer(vg_reports *r, vg_api_call *c, vg_report_req *q)
{
	char why[512] = "";
	vg_report_format f;
	const char *fmt = vg_api_query(c, "format");
	const char *lang = vg_api_query(c, "lang");
	if (vg_report_format_parse(fmt, &f) != 0) {
		vg_api_error(c, 400, "invalid", "format '%.32s': expected json, html or pdf", fmt);
		return;
	}
	if (lang != NULL && strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0) {
		vg_api_error(c, 400, "invalid", "lang '%.16s': expected vi or en", lang);
		return;
	}
	q->who = &c->who;
	q->now_us = c->now_us;
	json_t *data = NULL;
	int rc = vg_reports_collect(r, q, &data, why, sizeof(why));
	if (rc != 0) {
		vg_api_error(c, http_status(rc), http_code(rc), "%s", why[0] ? why : vg_err_str(rc));
		return;
	}
	if (f == VG_REPORT_JSON) {
		vg_api_json(c, 200, data);
		return;
	}
	vg_buf body = {0};
	rc = vg_reports_render(r, data, lang, f, &body, why, sizeof(why));
	if (rc != 0) {
		vg_buf_free(&body);
		json_decref(data);
		vg_api_error(c, http_status(rc), http_code(rc), "%s", why[0] ? why : vg_err_str(rc));
		return;
	}
	/* an attachment name: kind-period.ext or incident-ID-form.ext */
	char disp[160];
	const char *ext = f == VG_REPORT_PDF ? "pdf" : "html";
	if (q->kind >= VG_REPORT_INCIDENT_INITIAL)
		snprintf(disp, sizeof(disp), "attachment; filename=\"incident-%lld-%s.%s\"", (long long)q->incident_id,
			 vg_report_kind_name(q->kind), ext);
	else
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s-%s.%s\"", vg_report_kind_name(q->kind),
			 vg_rep_str(json_object_get(data, "period"), "label"), ext);
	json_decref(data);
	vg_http_resp *rs = c->rs;
	vg_buf_free(&rs->body);
	rs->body = body;
	rs->status = 200;
	rs->content_type = f == VG_REPORT_PDF ? "application/pdf" : "text/html; charset=utf-8";
	if (vg_http_resp_header(rs, "Content-Disposition", disp) != 0) {
		/* the name is ours and short: cannot fail but for ENOMEM */
	}
}

/* "{id}" + suffix exactly, id in 1..INT64_MAX; 0 otherwise */
static int64_t path_id(const char *p, const char *suffix)
{
	char *end;
	errno = 0;
	long long id = strtoll(p, &end, 10);
	if (p[0] < '1' || p[0] > '9' || errno != 0 || strcmp(end, suffix) != 0)
		return 0;
	return id;
}

static void on_periodic(void *ud, vg_api_call *c)
{
	vg_reports *r = ud;
	if (strncmp(c->rest, "incident/", 9) == 0) { /* the forms, also at /incidents/{id}/report */
		int64_t id = path_id(c->rest + 9, "");
		if (id == 0)
			vg_api_error(c, 404, "not_found", "no such resource under /api/v1/reports/incident/");
		else
			vg_reports_handle_incident(r, c, id);
		return;
	}
	vg_report_req q = {.period = vg_api_query(c, "period"), .unit = vg_api_query(c, "unit")};
	if (vg_report_kind_parse(c->rest, &q.kind) != 0 || q.kind > VG_REPORT_SEMIANNUAL) {
		vg_api_error(c, 404, "not_found", "no report '%.64s' (daily, weekly, monthly, semiannual)", c->rest);
		return;
	}
	answer(r, c, &q);
}

void vg_reports_handle_incident(vg_reports *r, vg_api_call *c, int64_t id)
{
	const char *form = vg_api_query(c, "form");
	vg_report_req q = {.incident_id = id};
	if (form == NULL || strcmp(form, "initial") == 0)
		q.kind = VG_REPORT_INCIDENT_INITIAL;
	else if (strcmp(form, "closure") == 0)
		q.kind = VG_REPORT_INCIDENT_CLOSURE;
	else {
		vg_api_error(c, 400, "invalid", "form '%.32s': expected initial or closure", form);
		return;
	}
	answer(r, c, &q);
}

static void on_incident(void *ud, vg_api_call *c)
{
	vg_reports *r = ud;
	/* rest: "{id}/report" */
	int64_t id = path_id(c->rest, "/report");
	if (id == 0) {
		vg_api_error(c, 404, "not_found", "no such resource under /api/v1/incidents/");
		return;
	}
	vg_reports_handle_incident(r, c, id);
}

int vg_reports_register_api(vg_reports *r, vg_api *api, int register_incident_route)
{
	int rc = vg_api_route(api, "GET", "/reports/", 1, VG_API_READ, on_periodic, r);
	if (rc == 0 && register_incident_route)
		rc = vg_api_route(api, "GET", "/incidents/", 1, VG_API_READ, on_incident, r);
	return rc;
}
