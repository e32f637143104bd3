/* doc.c — the document model: validated, bounded appends of elements whose
 * text is copied into the document's arena (see doc.h). Rendering lives in
 * doc_html.c and doc_pdf.c, chart geometry in chart.c. */
#include "report/doc_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_name[] = {
	[VG_DOC_K_HEADING] = "heading",     [VG_DOC_K_PARA] = "paragraph",
	[VG_DOC_K_KV] = "form row",         [VG_DOC_K_TABLE] = "table",
	[VG_DOC_K_LIST] = "list",           [VG_DOC_K_CHART] = "chart",
	[VG_DOC_K_SIGNATURE] = "signature", [VG_DOC_K_HEADER] = "header block",
	[VG_DOC_K_PAGEBREAK] = "page break",
};

__attribute__((format(printf, 3, 4))) static int fail(vg_doc *d, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	return r;
}

/* Strict UTF-8 check of s; *out gets the stored length (see sanitize rules
 * in doc.h), *bad the offset of the first invalid byte on failure. */
static int utf8_scan(const char *str, size_t *out, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n_out = 0;
	while (s[i] != 0) {
		unsigned c = s[i];
		if (c < 0x80) {
			if (c != '\r')
				n_out += ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) ? 3 : 1;
			i++;
			continue;
		}
		size_t n;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4, cp = c & 0x07, min = 0x10000;
		} else {
			*bad = i;
			return -1;
		}
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				*bad = i;
				return -1;
			}
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			*bad = i;
			return -1;
		}
		n_out += (cp <= 0x9f) ? 3 : n; /* C1 controls become U+FFFD */
		i += n;
	}
	*out = n_out;
	return 0;
}

/* Copies validated s into the arena applying the control-character rules. */
static char *text_copy(vg_doc *d, const char *str, size_t len)
{
	char *o = vg_arena_alloc(d->arena, len + 1);
	if (o == NULL)
		return NULL;
	const unsigned char *s = (const unsigned char *)str;
	size_t j = 0;
	for (size_t i = 0; s[i] != 0;) {
		unsigned c = s[i];
		int ctl = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
		int c1 = (c == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f);
		if (ctl || c1) {
			memcpy(o + j, "\xef\xbf\xbd", 3);
			j += 3;
			i += c1 ? 2 : 1;
		} else if (c == '\r') {
			i++;
		} else {
			o[j++] = (char)c;
			i++;
		}
	}
	o[j] = 0;
	return o;
}

/* A pending append: strings are vetted first, then copied, so a failure
 * leaves the document untouched. */
struct pend {
	size_t bytes;
};

/* Long text (paragraphs, cells, values, list items) is bounded by the total
 * only; short text by VG_DOC_MAX_SHORT as well. */
enum { LONG = 0, SHORT = 1 };

static int vet(vg_doc *d, struct pend *p, const char *s, size_t *len, const char *what, int kind)
{
	size_t bad = 0;
	if (s == NULL)
		s = "";
	if (utf8_scan(s, len, &bad) != 0)
		return fail(d, VG_EINVAL, "element %zu: %s: invalid UTF-8 at byte %zu", d->nel, what,
			    bad);
	if (kind == SHORT && *len > VG_DOC_MAX_SHORT)
		return fail(d, VG_ELIMIT, "element %zu: %s: longer than %d bytes", d->nel, what,
			    VG_DOC_MAX_SHORT);
	p->bytes += *len;
	if (p->bytes > VG_DOC_MAX_TEXT || d->text_bytes > VG_DOC_MAX_TEXT - p->bytes)
		return fail(d, VG_ELIMIT, "element %zu: %s: document text exceeds %d bytes", d->nel,
			    what, VG_DOC_MAX_TEXT);
	return 0;
}

static char *dup_vetted(vg_doc *d, const char *s, size_t len)
{
	char *o = text_copy(d, s != NULL ? s : "", len);
	if (o == NULL)
		fail(d, VG_ENOMEM, "element %zu: out of memory", d->nel);
	return o;
}

/* Room for one more element; the caller fills d->el[d->nel] and bumps nel. */
static int el_reserve(vg_doc *d, enum vg_doc_kind k)
{
	if (d->nel >= VG_DOC_MAX_ELEMENTS)
		return fail(d, VG_ELIMIT, "element %zu (%s): more than %d elements", d->nel,
			    kind_name[k], VG_DOC_MAX_ELEMENTS);
	if (d->nel == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 64;
		vg_doc_el *n = realloc(d->el, nc * sizeof(*n));
		if (n == NULL)
			return fail(d, VG_ENOMEM, "element %zu: out of memory", d->nel);
		d->el = n;
		d->cap = nc;
	}
	memset(&d->el[d->nel], 0, sizeof(d->el[0]));
	d->el[d->nel].kind = k;
	return 0;
}

static void commit(vg_doc *d, const struct pend *p)
{
	d->text_bytes += p->bytes;
	d->nel++;
	d->why[0] = 0;
}

vg_doc *vg_doc_new(const char *title, const char *lang, int *err)
{
	int e = VG_EINVAL;
	vg_doc *d = NULL;
	size_t tl = 0, bad;
	if (title == NULL || lang == NULL || (strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0) ||
	    utf8_scan(title, &tl, &bad) != 0 || tl > VG_DOC_MAX_SHORT)
		goto err;
	e = VG_ENOMEM;
	if ((d = calloc(1, sizeof(*d))) == NULL || (d->arena = vg_arena_new(0)) == NULL)
		goto err;
	d->lang = strcmp(lang, "vi") == 0 ? "vi" : "en";
	d->vi = d->lang[0] == 'v';
	if ((d->title = text_copy(d, title, tl)) == NULL)
		goto err;
	d->text_bytes = tl;
	return d;
err:
	vg_doc_free(d);
	if (err != NULL)
		*err = e;
	return NULL;
}

void vg_doc_free(vg_doc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nel; i++)
		if (d->el[i].kind == VG_DOC_K_TABLE)
			free(d->el[i].u.table.cells);
	free(d->el);
	vg_arena_free(d->arena);
	free(d);
}

const char *vg_doc_why(const vg_doc *d)
{
	return d->why;
}

static int add_text(vg_doc *d, enum vg_doc_kind k, int level, const char *text, unsigned flags)
{
	struct pend p = {0};
	size_t len;
	int r;
	if (text == NULL)
		return fail(d, VG_EINVAL, "element %zu (%s): text is NULL", d->nel, kind_name[k]);
	int kind = k == VG_DOC_K_HEADING ? SHORT : LONG;
	if ((r = vet(d, &p, text, &len, kind_name[k], kind)) != 0 || (r = el_reserve(d, k)) != 0)
		return r;
	vg_doc_el *e = &d->el[d->nel];
	e->u.text.level = level;
	e->u.text.flags = flags;
	if ((e->u.text.text = dup_vetted(d, text, len)) == NULL)
		return VG_ENOMEM;
	commit(d, &p);
	return 0;
}

int vg_doc_heading(vg_doc *d, int level, const char *text)
{
	if (level < 1 || level > 3)
		return fail(d, VG_EINVAL, "element %zu (heading): level %d is not 1..3", d->nel, level);
	return add_text(d, VG_DOC_K_HEADING, level, text, 0);
}

int vg_doc_para(vg_doc *d, const char *text)
{
	return add_text(d, VG_DOC_K_PARA, 0, text, 0);
}

int vg_doc_para_ex(vg_doc *d, const char *text, unsigned flags)
{
	if ((flags & (VG_DOC_CENTER | VG_DOC_RIGHT)) == (VG_DOC_CENTER | VG_DOC_RIGHT) ||
	    flags > 0x1f)
		return fail(d, VG_EINVAL, "element %zu (paragraph): bad flags %#x", d->nel, flags);
	return add_text(d, VG_DOC_K_PARA, 0, text, flags);
}

int vg_doc_kv(vg_doc *d, const char *label, const char *value)
{
	struct pend p = {0};
	size_t ll, vl;
	int r;
	if ((r = vet(d, &p, label, &ll, "form row label", SHORT)) != 0 ||
	    (r = vet(d, &p, value, &vl, "form row value", LONG)) != 0 ||
	    (r = el_reserve(d, VG_DOC_K_KV)) != 0)
		return r;
	vg_doc_el *e = &d->el[d->nel];
	if ((e->u.kv.label = dup_vetted(d, label, ll)) == NULL ||
	    (e->u.kv.value = dup_vetted(d, value, vl)) == NULL)
		return VG_ENOMEM;
	commit(d, &p);
	return 0;
}

/* Vets n strings (lengths into lens), naming each as "<what> <i+1>". */
static int vet_array(vg_doc *d, struct pend *p, const char *const v[], size_t n, size_t *lens,
		     const char *what, int kind)
{
	for (size_t i = 0; i < n; i++) {
		char nm[64];
		snprintf(nm, sizeof(nm), "%s %zu", what, i + 1);
		int r = vet(d, p, v[i], &lens[i], nm, kind);
		if (r != 0)
			return r;
	}
	return 0;
}

static const char **dup_array(vg_doc *d, const char *const v[], size_t n, const size_t *lens)
{
	const char **o = vg_arena_alloc(d->arena, n * sizeof(*o));
	if (o == NULL) {
		fail(d, VG_ENOMEM, "element %zu: out of memory", d->nel);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if ((o[i] = dup_vetted(d, v[i], lens[i])) == NULL)
			return NULL;
	return o;
}

int vg_doc_table(vg_doc *d, size_t ncols, const char *const header[])
{
	struct pend p = {0};
	size_t lens[VG_DOC_MAX_COLS];
	int r;
	if (ncols < 1 || ncols > VG_DOC_MAX_COLS)
		return fail(d, VG_EINVAL, "element %zu (table): %zu columns, not 1..%d", d->nel, ncols,
			    VG_DOC_MAX_COLS);
	if ((header != NULL &&
	     (r = vet_array(d, &p, header, ncols, lens, "table header cell", LONG)) != 0) ||
	    (r = el_reserve(d, VG_DOC_K_TABLE)) != 0)
		return r;
	vg_doc_el *e = &d->el[d->nel];
	e->u.table.ncols = ncols;
	if (header != NULL && (e->u.table.header = dup_array(d, header, ncols, lens)) == NULL)
		return VG_ENOMEM;
	commit(d, &p);
	return 0;
}

int vg_doc_table_row(vg_doc *d, const char *const cells[])
{
	struct pend p = {0};
	size_t lens[VG_DOC_MAX_COLS];
	if (d->nel == 0 || d->el[d->nel - 1].kind != VG_DOC_K_TABLE)
		return fail(d, VG_EINVAL, "element %zu: table row without a table (last element is %s)",
			    d->nel, d->nel ? kind_name[d->el[d->nel - 1].kind] : "none");
	if (cells == NULL)
		return fail(d, VG_EINVAL, "element %zu (table): cells is NULL", d->nel - 1);
	vg_doc_el *e = &d->el[d->nel - 1];
	size_t nc = e->u.table.ncols, row = e->u.table.nrows;
	if (row >= VG_DOC_MAX_ROWS)
		return fail(d, VG_ELIMIT, "element %zu (table): more than %d rows", d->nel - 1,
			    VG_DOC_MAX_ROWS);
	for (size_t i = 0; i < nc; i++) {
		size_t bad = 0;
		const char *s = cells[i] != NULL ? cells[i] : "";
		if (utf8_scan(s, &lens[i], &bad) != 0)
			return fail(d, VG_EINVAL,
				    "element %zu (table): row %zu, cell %zu: invalid UTF-8 at byte %zu",
				    d->nel - 1, row + 1, i + 1, bad);
		p.bytes += lens[i];
		if (p.bytes > VG_DOC_MAX_TEXT || d->text_bytes > VG_DOC_MAX_TEXT - p.bytes)
			return fail(d, VG_ELIMIT,
				    "element %zu (table): row %zu: document text exceeds %d bytes",
				    d->nel - 1, row + 1, VG_DOC_MAX_TEXT);
	}
	if (row == e->u.table.cap) {
		size_t ncap = row ? row * 2 : 16;
		const char **n = realloc(e->u.table.cells, ncap * nc * sizeof(*n));
		if (n == NULL)
			return fail(d, VG_ENOMEM, "element %zu (table): out of memory", d->nel - 1);
		e->u.table.cells = n;
		e->u.table.cap = ncap;
	}
	const char **dst = e->u.table.cells + row * nc;
	for (size_t i = 0; i < nc; i++)
		if ((dst[i] = text_copy(d, cells[i] != NULL ? cells[i] : "", lens[i])) == NULL)
			return fail(d, VG_ENOMEM, "element %zu (table): out of memory", d->nel - 1);
	e->u.table.nrows++;
	d->text_bytes += p.bytes;
	d->why[0] = 0;
	return 0;
}

int vg_doc_list(vg_doc *d, const char *const items[], size_t n, int ordered)
{
	struct pend p = {0};
	size_t *lens;
	int r;
	if (items == NULL || n < 1 || n > VG_DOC_MAX_ITEMS)
		return fail(d, n > VG_DOC_MAX_ITEMS ? VG_ELIMIT : VG_EINVAL,
			    "element %zu (list): %zu items, not 1..%d", d->nel, n, VG_DOC_MAX_ITEMS);
	if ((lens = malloc(n * sizeof(*lens))) == NULL)
		return fail(d, VG_ENOMEM, "element %zu (list): out of memory", d->nel);
	if ((r = vet_array(d, &p, items, n, lens, "list item", LONG)) == 0 &&
	    (r = el_reserve(d, VG_DOC_K_LIST)) == 0) {
		vg_doc_el *e = &d->el[d->nel];
		e->u.list.n = n;
		e->u.list.ordered = ordered != 0;
		if ((e->u.list.items = dup_array(d, items, n, lens)) == NULL)
			r = VG_ENOMEM;
		else
			commit(d, &p);
	}
	free(lens);
	return r;
}

static int add_chart(vg_doc *d, enum vg_chart_type t, const char *title, const char *const labels[],
		     const double values[], size_t n)
{
	struct pend p = {0};
	size_t tl, *lens;
	double sum = 0;
	int r;
	if (labels == NULL || values == NULL || n < 1 || n > VG_DOC_MAX_POINTS)
		return fail(d, n > VG_DOC_MAX_POINTS ? VG_ELIMIT : VG_EINVAL,
			    "element %zu (chart): %zu values, not 1..%d", d->nel, n, VG_DOC_MAX_POINTS);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(values[i]) || values[i] < 0 || values[i] > 1e300)
			return fail(d, VG_EINVAL, "element %zu (chart): value %zu is not finite and >= 0",
				    d->nel, i + 1);
		sum += values[i];
	}
	if (t == VG_CHART_PIE && !(sum > 0))
		return fail(d, VG_EINVAL, "element %zu (chart): pie values are all 0", d->nel);
	if ((lens = malloc(n * sizeof(*lens))) == NULL)
		return fail(d, VG_ENOMEM, "element %zu (chart): out of memory", d->nel);
	if ((r = vet(d, &p, title, &tl, "chart title", SHORT)) == 0 &&
	    (r = vet_array(d, &p, labels, n, lens, "chart label", SHORT)) == 0 &&
	    (r = el_reserve(d, VG_DOC_K_CHART)) == 0) {
		vg_doc_el *e = &d->el[d->nel];
		double *v = vg_arena_alloc(d->arena, n * sizeof(*v));
		e->u.chart.type = t;
		e->u.chart.n = n;
		if (v == NULL || (e->u.chart.title = dup_vetted(d, title, tl)) == NULL ||
		    (e->u.chart.labels = dup_array(d, labels, n, lens)) == NULL) {
			r = fail(d, VG_ENOMEM, "element %zu (chart): out of memory", d->nel);
		} else {
			memcpy(v, values, n * sizeof(*v));
			e->u.chart.values = v;
			commit(d, &p);
		}
	}
	free(lens);
	return r;
}

int vg_doc_chart_bar(vg_doc *d, const char *title, const char *const labels[],
		     const double values[], size_t n)
{
	return add_chart(d, VG_CHART_BAR, title, labels, values, n);
}

int vg_doc_chart_line(vg_doc *d, const char *title, const char *const labels[],
		      const double values[], size_t n)
{
	return add_chart(d, VG_CHART_LINE, title, labels, values, n);
}

int vg_doc_chart_pie(vg_doc *d, const char *title, const char *const labels[],
		     const double values[], size_t n)
{
	return add_chart(d, VG_CHART_PIE, title, labels, values, n);
}

int vg_doc_signature(vg_doc *d, const char *place_date, const char *signer_title,
		     const char *signer_name)
{
	struct pend p = {0};
	size_t l1, l2, l3;
	int r;
	if ((r = vet(d, &p, place_date, &l1, "signature place and date", SHORT)) != 0 ||
	    (r = vet(d, &p, signer_title, &l2, "signature title", SHORT)) != 0 ||
	    (r = vet(d, &p, signer_name, &l3, "signature name", SHORT)) != 0 ||
	    (r = el_reserve(d, VG_DOC_K_SIGNATURE)) != 0)
		return r;
	vg_doc_el *e = &d->el[d->nel];
	if ((e->u.sig.place_date = dup_vetted(d, place_date, l1)) == NULL ||
	    (e->u.sig.title = dup_vetted(d, signer_title, l2)) == NULL ||
	    (e->u.sig.name = dup_vetted(d, signer_name, l3)) == NULL)
		return VG_ENOMEM;
	commit(d, &p);
	return 0;
}

static int vet_lines(vg_doc *d, struct pend *p, const vg_doc_line *v, size_t n, size_t *lens,
		     const char *side)
{
	for (size_t i = 0; i < n; i++) {
		char nm[64];
		snprintf(nm, sizeof(nm), "header block %s line %zu", side, i + 1);
		if (v[i].flags > 0x1f)
			return fail(d, VG_EINVAL, "element %zu: %s: bad flags %#x", d->nel, nm, v[i].flags);
		int r = vet(d, p, v[i].text, &lens[i], nm, SHORT);
		if (r != 0)
			return r;
	}
	return 0;
}

static vg_doc_line *dup_lines(vg_doc *d, const vg_doc_line *v, size_t n, const size_t *lens)
{
	vg_doc_line *o = vg_arena_alloc(d->arena, (n ? n : 1) * sizeof(*o));
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		o[i].flags = v[i].flags;
		if ((o[i].text = dup_vetted(d, v[i].text, lens[i])) == NULL)
			return NULL;
	}
	return o;
}

int vg_doc_header_block(vg_doc *d, const vg_doc_line left[], size_t nleft,
			const vg_doc_line right[], size_t nright)
{
	struct pend p = {0};
	size_t ll[VG_DOC_MAX_HEADER_LINES], rl[VG_DOC_MAX_HEADER_LINES];
	int r;
	if (nleft > VG_DOC_MAX_HEADER_LINES || nright > VG_DOC_MAX_HEADER_LINES ||
	    (nleft && left == NULL) || (nright && right == NULL))
		return fail(d, VG_EINVAL, "element %zu (header block): %zu + %zu lines, at most %d each",
			    d->nel, nleft, nright, VG_DOC_MAX_HEADER_LINES);
	if ((r = vet_lines(d, &p, left, nleft, ll, "left")) != 0 ||
	    (r = vet_lines(d, &p, right, nright, rl, "right")) != 0 ||
	    (r = el_reserve(d, VG_DOC_K_HEADER)) != 0)
		return r;
	vg_doc_el *e = &d->el[d->nel];
	e->u.hdr.nleft = nleft;
	e->u.hdr.nright = nright;
	if ((e->u.hdr.left = dup_lines(d, left, nleft, ll)) == NULL ||
	    (e->u.hdr.right = dup_lines(d, right, nright, rl)) == NULL)
		return fail(d, VG_ENOMEM, "element %zu (header block): out of memory", d->nel);
	commit(d, &p);
	return 0;
}

int vg_doc_page_break(vg_doc *d)
{
	struct pend p = {0};
	int r = el_reserve(d, VG_DOC_K_PAGEBREAK);
	if (r != 0)
		return r;
	commit(d, &p);
	return 0;
}

size_t vg_doc_utf8_prefix(const char *s, size_t max)
{
	size_t i = 0, cps = 0;
	while (s[i] != 0) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (cps == max)
				break;
			cps++;
		}
		i++;
	}
	return i;
}
