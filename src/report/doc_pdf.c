/* doc_pdf.c — a vg_doc as an A4 PDF through cairo's PDF surface and pango
 * (DejaVu fonts, which cover Vietnamese). The document is laid out twice
 * with the same code: a measuring pass counts the pages (for "Trang 1/3"),
 * the second pass draws. Text flows line by line, so paragraphs and table
 * rows split across pages; a table's header row is repeated on each page. */
#include "report/doc_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#define MM (72.0 / 25.4)
#define PAGE_W (210 * MM)
#define PAGE_H (297 * MM)
#define M_LEFT (30 * MM) /* Vietnamese administrative documents: 30-35 mm left */
#define M_RIGHT (20 * MM)
#define M_TOP (20 * MM)
#define M_BOTTOM (22 * MM)
#define BODY_W (PAGE_W - M_LEFT - M_RIGHT)
#define Y_END (PAGE_H - M_BOTTOM)
#define CHART_H 210.0
#define CHART_FONT 7.5
#define SAMPLE_ROWS 200 /* rows measured to size a table's columns */

enum font_id {
	F_BODY, /* four styles in this order: see styled() */
	F_BOLD,
	F_ITALIC,
	F_BOLD_ITALIC,
	F_SMALL, /* the header block: same four styles, smaller */
	F_SMALL_BOLD,
	F_SMALL_ITALIC,
	F_SMALL_BOLD_ITALIC,
	F_H1,
	F_H2,
	F_H3,
	F_CELL,
	F_CELL_BOLD,
	F_FOOT,
	F_CHART,
	NFONT
};

static const char *const font_spec[NFONT] = {
	[F_BODY] = "DejaVu Serif 11",
	[F_BOLD] = "DejaVu Serif Bold 11",
	[F_ITALIC] = "DejaVu Serif Italic 11",
	[F_BOLD_ITALIC] = "DejaVu Serif Bold Italic 11",
	[F_SMALL] = "DejaVu Serif 10",
	[F_SMALL_BOLD] = "DejaVu Serif Bold 10",
	[F_SMALL_ITALIC] = "DejaVu Serif Italic 10",
	[F_SMALL_BOLD_ITALIC] = "DejaVu Serif Bold Italic 10",
	[F_H1] = "DejaVu Serif Bold 13",
	[F_H2] = "DejaVu Serif Bold 11.5",
	[F_H3] = "DejaVu Serif Bold Italic 11",
	[F_CELL] = "DejaVu Sans 8.5",
	[F_CELL_BOLD] = "DejaVu Sans Bold 8.5",
	[F_FOOT] = "DejaVu Sans 8",
	[F_CHART] = "DejaVu Sans 7.5",
};

/* A table being laid out: grid tables and runs of form rows. */
struct tbl {
	size_t nc;
	const char *const *header;
	double colw[VG_DOC_MAX_COLS];
	int font, border;
	double pad;
};

struct pdf {
	const vg_doc *d;
	cairo_surface_t *surf;
	cairo_t *cr;
	PangoContext *pc;
	PangoFontDescription *font[NFONT];
	int draw;         /* second pass: draw; the first only measures */
	int page, npages; /* current page, 1-based; total from the first pass */
	double y;         /* top of the free space on the page */
	int fresh;        /* nothing but a repeated header on this page yet */
	const struct tbl *repeat; /* table whose header starts each new page */
	int err;
};

/* ---- text ---- */

/* The bold/italic variant of base (F_BODY or F_SMALL) that flags ask for. */
static int styled(int base, unsigned flags)
{
	return base + ((flags & VG_DOC_BOLD) ? 1 : 0) + ((flags & VG_DOC_ITALIC) ? 2 : 0);
}

/* A layout of text[0..len) wrapped to width (<= 0: unwrapped). */
static PangoLayout *mk_n(struct pdf *p, const char *text, size_t len, int font, double width,
			 unsigned flags)
{
	PangoLayout *l = pango_layout_new(p->pc);
	pango_layout_set_font_description(l, p->font[font]);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	}
	if (flags & VG_DOC_CENTER)
		pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
	else if (flags & VG_DOC_RIGHT)
		pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
	if (flags & VG_DOC_UNDERLINE) {
		PangoAttrList *al = pango_attr_list_new();
		pango_attr_list_insert(al, pango_attr_underline_new(PANGO_UNDERLINE_SINGLE));
		pango_layout_set_attributes(l, al);
		pango_attr_list_unref(al);
	}
	pango_layout_set_text(l, text, (int)len);
	return l;
}

/* For short text (bounded by VG_DOC_MAX_SHORT or our own). */
static PangoLayout *mk(struct pdf *p, const char *text, int font, double width, unsigned flags)
{
	return mk_n(p, text, strlen(text), font, width, flags);
}

static double layout_h(PangoLayout *l)
{
	PangoRectangle r;
	pango_layout_get_extents(l, NULL, &r);
	return (double)r.height / PANGO_SCALE;
}

/* Long text flows line by line, a page-sized slice at a time. It is laid
 * out in chunks of at most CHUNK bytes (cut at a newline, else a space), so
 * that pango's memory stays bounded whatever the length of one text. */
#define CHUNK (32 * 1024)

struct flow {
	struct pdf *p;
	const char *rest; /* text not yet laid out */
	size_t left;
	int font;
	double width;
	unsigned flags;
	PangoLayout *l; /* the current chunk */
	PangoLayoutLine **line;
	double *top, *bot, *base, *x;
	int n, next; /* lines of the chunk; the next one to draw */
};

static size_t chunk_len(const char *s, size_t left)
{
	if (left <= CHUNK)
		return left;
	for (size_t i = CHUNK; i > CHUNK / 2; i--)
		if (s[i - 1] == '\n')
			return i;
	for (size_t i = CHUNK; i > CHUNK / 2; i--)
		if (s[i - 1] == ' ')
			return i;
	size_t i = CHUNK;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--; /* never inside a character */
	return i;
}

static void flow_release(struct flow *f)
{
	free(f->line);
	free(f->top);
	if (f->l != NULL)
		g_object_unref(f->l);
	f->line = NULL, f->top = NULL, f->l = NULL;
	f->n = f->next = 0;
}

/* Lays out the next chunk. */
static int flow_load(struct flow *f)
{
	size_t len = chunk_len(f->rest, f->left), txt = len;
	if (len < f->left && len > 0 && f->rest[len - 1] == '\n')
		txt--; /* the cut is the line break */
	flow_release(f);
	PangoLayout *l = mk_n(f->p, f->rest, txt, f->font, f->width, f->flags);
	f->rest += len, f->left -= len;
	f->l = l;
	int n = pango_layout_get_line_count(l);
	if (n < 1)
		n = 1;
	f->line = malloc((size_t)n * sizeof(*f->line));
	f->top = malloc((size_t)n * 4 * sizeof(double));
	if (f->line == NULL || f->top == NULL) {
		flow_release(f);
		f->left = 0;
		return f->p->err = VG_ENOMEM;
	}
	f->bot = f->top + n, f->base = f->bot + n, f->x = f->base + n;
	PangoLayoutIter *it = pango_layout_get_iter(l);
	int i = 0;
	do {
		int y0, y1;
		PangoRectangle log;
		pango_layout_iter_get_line_yrange(it, &y0, &y1);
		pango_layout_iter_get_line_extents(it, NULL, &log);
		f->line[i] = pango_layout_iter_get_line_readonly(it);
		f->top[i] = (double)y0 / PANGO_SCALE;
		f->bot[i] = (double)y1 / PANGO_SCALE;
		f->base[i] = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
		f->x[i] = (double)log.x / PANGO_SCALE;
		i++;
	} while (i < n && pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	f->n = i;
	return 0;
}

static int flow_init(struct flow *f, struct pdf *p, const char *text, int font, double width,
		     unsigned flags)
{
	memset(f, 0, sizeof(*f));
	f->p = p, f->rest = text, f->left = strlen(text);
	f->font = font, f->width = width, f->flags = flags;
	return flow_load(f);
}

static int flow_done(const struct flow *f)
{
	return f->next >= f->n && f->left == 0;
}

/* Moves on to the next chunk when the current one is drawn. */
static void flow_more(struct flow *f)
{
	if (f->next >= f->n && f->left > 0)
		flow_load(f);
}

/* Height of what is left; past the current chunk, more than any page. */
static double flow_rest(const struct flow *f)
{
	if (f->left > 0)
		return PAGE_H;
	return f->next < f->n ? f->bot[f->n - 1] - f->top[f->next] : 0;
}

/* How many of the current chunk's remaining lines fit in avail points. */
static int flow_fit(const struct flow *f, double avail)
{
	int k = 0;
	while (f->next + k < f->n && f->bot[f->next + k] - f->top[f->next] <= avail)
		k++;
	return k;
}

static double flow_span(const struct flow *f, int k)
{
	return k > 0 ? f->bot[f->next + k - 1] - f->top[f->next] : 0;
}

static void flow_draw(struct flow *f, double x, double y, int k)
{
	struct pdf *p = f->p;
	if (p->draw) {
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		for (int i = f->next; i < f->next + k; i++) {
			cairo_move_to(p->cr, x + f->x[i], y + f->base[i] - f->top[f->next]);
			pango_cairo_show_layout_line(p->cr, f->line[i]);
		}
	}
	f->next += k;
}

/* ---- pages ---- */

static void table_header(struct pdf *p, const struct tbl *t);

static void footer(struct pdf *p)
{
	char s[64];
	if (p->d->vi)
		snprintf(s, sizeof(s), "Trang %d/%d", p->page, p->npages);
	else
		snprintf(s, sizeof(s), "Page %d of %d", p->page, p->npages);
	PangoLayout *l = mk(p, s, F_FOOT, BODY_W, VG_DOC_CENTER);
	cairo_set_source_rgb(p->cr, 0.25, 0.25, 0.25);
	cairo_move_to(p->cr, M_LEFT, PAGE_H - 14 * MM);
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
}

static void finish_page(struct pdf *p)
{
	if (p->draw) {
		footer(p);
		cairo_show_page(p->cr);
	}
}

static void new_page(struct pdf *p)
{
	finish_page(p);
	p->page++;
	p->y = M_TOP;
	p->fresh = 1;
	if (p->repeat != NULL)
		table_header(p, p->repeat);
}

/* Keeps a block of h points together (unless it cannot fit on any page). */
static void ensure(struct pdf *p, double h)
{
	if (!p->fresh && p->y + h > Y_END)
		new_page(p);
}

static void space(struct pdf *p, double h)
{
	if (!p->fresh)
		p->y += h;
}

/* Flows text at x across pages; marker (may be NULL, short) is drawn at mx
 * beside the first line. */
static void block(struct pdf *p, const char *text, int font, double x, double width,
		  unsigned flags, const char *marker, double mx)
{
	struct flow f;
	int first = 1;
	if (flow_init(&f, p, text, font, width, flags) != 0)
		return;
	for (;;) {
		flow_more(&f);
		if (p->err != 0 || flow_done(&f))
			break;
		int k = flow_fit(&f, Y_END - p->y);
		if (k == 0 && !p->fresh) {
			new_page(p);
			continue;
		}
		if (k == 0)
			k = 1; /* a line taller than a page: draw it anyway */
		double h = flow_span(&f, k);
		if (marker != NULL && first && p->draw) {
			PangoLayout *ml = mk(p, marker, font, 0, 0);
			cairo_move_to(p->cr, mx, p->y);
			pango_cairo_show_layout(p->cr, ml);
			g_object_unref(ml);
		}
		first = 0;
		flow_draw(&f, x, p->y, k);
		p->y += h;
		p->fresh = 0;
	}
	flow_release(&f);
}

/* ---- tables ---- */

/* One row: every cell flows in its column; a row that fits on a page is
 * never split, a taller one continues on the next page(s). */
static void row(struct pdf *p, const struct tbl *t, const char *const *cells, int header)
{
	struct flow f[VG_DOC_MAX_COLS];
	int font = header ? F_CELL_BOLD : t->font;
	double pad = t->pad, full = 0;
	size_t c, nc = t->nc;
	for (c = 0; c < nc; c++) {
		if (flow_init(&f[c], p, cells[c], font, t->colw[c] - 2 * pad, 0) != 0)
			break;
		double h = flow_rest(&f[c]);
		full = h > full ? h : full;
	}
	if (c < nc) {
		while (c-- > 0)
			flow_release(&f[c]);
		return;
	}
	full += 2 * pad;
	if (!p->fresh && p->y + full > Y_END && full <= Y_END - M_TOP - 40)
		new_page(p);
	while (p->err == 0) {
		double avail = Y_END - p->y - 2 * pad, used = 0;
		int k[VG_DOC_MAX_COLS], progress = 0;
		for (c = 0; c < nc; c++) {
			flow_more(&f[c]);
			k[c] = flow_fit(&f[c], avail);
			progress |= k[c] > 0;
		}
		if (p->err != 0)
			break;
		if (!progress && !p->fresh) {
			new_page(p);
			continue;
		}
		for (c = 0; c < nc; c++) {
			if (!progress && f[c].next < f[c].n)
				k[c] = 1; /* nothing fits even on a fresh page: force progress */
			double h = flow_span(&f[c], k[c]);
			used = h > used ? h : used;
		}
		double x = M_LEFT, hgt = used + 2 * pad;
		if (p->draw && header) {
			cairo_set_source_rgb(p->cr, 0.9, 0.9, 0.9);
			cairo_rectangle(p->cr, M_LEFT, p->y, BODY_W, hgt);
			cairo_fill(p->cr);
		}
		for (c = 0; c < nc; c++) {
			flow_draw(&f[c], x + pad, p->y + pad, k[c]);
			if (p->draw && t->border) {
				cairo_set_source_rgb(p->cr, 0.3, 0.3, 0.3);
				cairo_set_line_width(p->cr, 0.5);
				cairo_rectangle(p->cr, x, p->y, t->colw[c], hgt);
				cairo_stroke(p->cr);
			}
			x += t->colw[c];
		}
		p->y += hgt;
		p->fresh = 0;
		int done = 1;
		for (c = 0; c < nc; c++)
			done &= flow_done(&f[c]);
		if (done)
			break;
		new_page(p);
	}
	for (c = 0; c < nc; c++)
		flow_release(&f[c]);
}

static void table_header(struct pdf *p, const struct tbl *t)
{
	if (t->header == NULL)
		return;
	p->repeat = NULL; /* a header taller than a page must not recurse */
	row(p, t, t->header, 1);
	p->repeat = t;
	p->fresh = 1; /* a header alone is no reason for another page */
}

/* Unwrapped width of (the first 1000 characters of) s. */
static double natural_w(struct pdf *p, const char *s, int font)
{
	PangoLayout *l = mk_n(p, s, vg_doc_utf8_prefix(s, 1000), font, 0, 0);
	PangoRectangle r;
	pango_layout_get_extents(l, NULL, &r);
	g_object_unref(l);
	return (double)r.width / PANGO_SCALE;
}

/* Column widths from the header and the first rows: narrow columns keep
 * their natural width, wide ones share the rest of the line. */
static void col_widths(struct pdf *p, const vg_doc_el *e, struct tbl *t)
{
	double nat[VG_DOC_MAX_COLS], sum = 0, base[VG_DOC_MAX_COLS], bsum = 0, extra = 0;
	size_t nc = e->u.table.ncols, rows = e->u.table.nrows < SAMPLE_ROWS ? e->u.table.nrows
									    : SAMPLE_ROWS;
	for (size_t c = 0; c < nc; c++) {
		nat[c] = e->u.table.header ? natural_w(p, e->u.table.header[c], F_CELL_BOLD) : 0;
		for (size_t r = 0; r < rows; r++) {
			double w = natural_w(p, e->u.table.cells[r * nc + c], F_CELL);
			nat[c] = w > nat[c] ? w : nat[c];
		}
		nat[c] += 2 * t->pad + 1;
		if (nat[c] > BODY_W)
			nat[c] = BODY_W;
		sum += nat[c];
	}
	if (sum <= BODY_W) {
		for (size_t c = 0; c < nc; c++)
			t->colw[c] = nat[c] * BODY_W / sum;
		return;
	}
	for (size_t c = 0; c < nc; c++) {
		base[c] = nat[c] < BODY_W / (double)nc ? nat[c] : BODY_W / (double)nc;
		bsum += base[c];
		extra += nat[c] - base[c];
	}
	for (size_t c = 0; c < nc; c++)
		t->colw[c] = base[c] + (extra > 0 ? (BODY_W - bsum) * (nat[c] - base[c]) / extra : 0);
}

static void grid_table(struct pdf *p, const vg_doc_el *e)
{
	struct tbl t = {.nc = e->u.table.ncols, .header = e->u.table.header, .font = F_CELL,
			.border = 1, .pad = 2.5};
	col_widths(p, e, &t);
	space(p, 4);
	ensure(p, 60); /* the header with at least a row or two */
	table_header(p, &t);
	p->fresh = 0;
	for (size_t r = 0; r < e->u.table.nrows && p->err == 0; r++)
		row(p, &t, e->u.table.cells + r * t.nc, 0);
	p->repeat = NULL;
	space(p, 8);
}

/* A run of consecutive form rows as one borderless two-column table. */
static size_t kv_rows(struct pdf *p, size_t i)
{
	const vg_doc *d = p->d;
	struct tbl t = {.nc = 2, .font = F_BODY, .pad = 1.5,
			.colw = {BODY_W * 0.38, BODY_W * 0.62}};
	space(p, 3);
	for (; i < d->nel && d->el[i].kind == VG_DOC_K_KV && p->err == 0; i++) {
		const char *cells[2] = {d->el[i].u.kv.label, d->el[i].u.kv.value};
		row(p, &t, cells, 0);
	}
	space(p, 5);
	return i - 1;
}

/* ---- other blocks ---- */

static void outline(struct pdf *p, const char *text, int level)
{
	if (!p->draw || level > 2)
		return;
	char dest[96];
	snprintf(dest, sizeof(dest), "page=%d pos=[%.0f %.0f]", p->page, M_LEFT, p->y);
	cairo_pdf_surface_add_outline(p->surf, CAIRO_PDF_OUTLINE_ROOT, text, dest, 0);
}

static void heading(struct pdf *p, const vg_doc_el *e)
{
	int lv = e->u.text.level;
	int font = lv == 1 ? F_H1 : lv == 2 ? F_H2 : F_H3;
	unsigned fl = lv == 1 ? VG_DOC_CENTER : 0;
	PangoLayout *l = mk(p, e->u.text.text, font, BODY_W, fl);
	space(p, lv == 1 ? 10 : 8);
	ensure(p, layout_h(l) + 45); /* keep with the next lines */
	g_object_unref(l);
	outline(p, e->u.text.text, lv);
	block(p, e->u.text.text, font, M_LEFT, BODY_W, fl, NULL, 0);
	p->y += 5;
}

static double widest(struct pdf *p, const vg_doc_line *ln, size_t n)
{
	double w = 0;
	for (size_t i = 0; i < n; i++) {
		double x = natural_w(p, ln[i].text, styled(F_SMALL, ln[i].flags));
		w = x > w ? x : w;
	}
	return w + 8;
}

/* Two columns sized to their widest lines when both fit on one line. */
static void header_block(struct pdf *p, const vg_doc_el *e)
{
	double nl = widest(p, e->u.hdr.left, e->u.hdr.nleft);
	double nr = widest(p, e->u.hdr.right, e->u.hdr.nright);
	double wl = nl + nr <= BODY_W ? nl + (BODY_W - nl - nr) / 2 : BODY_W * 0.42;
	double wr = BODY_W - wl, hl = 0, hr = 0;
	for (int draw = 0; draw < 2; draw++) { /* measure, keep together, draw */
		if (draw)
			ensure(p, hl > hr ? hl : hr);
		hl = hr = 0;
		for (int side = 0; side < 2; side++) {
			const vg_doc_line *ln = side ? e->u.hdr.right : e->u.hdr.left;
			size_t n = side ? e->u.hdr.nright : e->u.hdr.nleft;
			double *h = side ? &hr : &hl, w = side ? wr : wl;
			double x = side ? M_LEFT + wl : M_LEFT;
			for (size_t i = 0; i < n; i++) {
				PangoLayout *l = mk(p, ln[i].text, styled(F_SMALL, ln[i].flags), w - 6,
						    ln[i].flags | VG_DOC_CENTER);
				if (draw && p->draw) {
					cairo_set_source_rgb(p->cr, 0, 0, 0);
					cairo_move_to(p->cr, x + 3, p->y + *h);
					pango_cairo_show_layout(p->cr, l);
				}
				*h += layout_h(l);
				g_object_unref(l);
			}
		}
	}
	p->y += (hl > hr ? hl : hr) + 14;
	p->fresh = 0;
}

static void signature(struct pdf *p, const vg_doc_el *e)
{
	const char *txt[3] = {e->u.sig.place_date, e->u.sig.title, e->u.sig.name};
	const unsigned fl[3] = {VG_DOC_ITALIC, VG_DOC_BOLD, VG_DOC_BOLD};
	double w = BODY_W * 0.55, x = M_LEFT + BODY_W - w, gap = 62;
	PangoLayout *l[3];
	double h = gap;
	for (int i = 0; i < 3; i++) {
		l[i] = mk(p, txt[i], styled(F_BODY, fl[i]), w, VG_DOC_CENTER);
		h += txt[i][0] ? layout_h(l[i]) : 0;
	}
	space(p, 14);
	ensure(p, h);
	for (int i = 0; i < 3; i++) {
		if (i == 2)
			p->y += gap;
		if (txt[i][0] == 0)
			continue;
		if (p->draw) {
			cairo_set_source_rgb(p->cr, 0, 0, 0);
			cairo_move_to(p->cr, x, p->y);
			pango_cairo_show_layout(p->cr, l[i]);
		}
		p->y += layout_h(l[i]);
	}
	for (int i = 0; i < 3; i++)
		g_object_unref(l[i]);
	p->fresh = 0;
	space(p, 8);
}

static void list(struct pdf *p, const vg_doc_el *e)
{
	space(p, 2);
	for (size_t i = 0; i < e->u.list.n && p->err == 0; i++) {
		char m[32];
		if (e->u.list.ordered)
			snprintf(m, sizeof(m), "%zu.", i + 1);
		else
			snprintf(m, sizeof(m), "\xe2\x80\xa2");
		block(p, e->u.list.items[i], F_BODY, M_LEFT + 26, BODY_W - 26, 0, m, M_LEFT + 8);
		p->y += 2;
	}
	space(p, 4);
}

static void set_rgb(cairo_t *cr, uint32_t c)
{
	cairo_set_source_rgb(cr, ((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0,
			     (c & 0xff) / 255.0);
}

static void draw_shape(struct pdf *p, const vg_shape *s, double ox, double oy)
{
	cairo_t *cr = p->cr;
	set_rgb(cr, s->color);
	switch (s->kind) {
	case VG_SH_RECT:
		cairo_rectangle(cr, ox + s->x, oy + s->y, s->x2, s->y2);
		cairo_fill(cr);
		break;
	case VG_SH_LINE:
		cairo_set_line_width(cr, s->width);
		cairo_move_to(cr, ox + s->x, oy + s->y);
		cairo_line_to(cr, ox + s->x2, oy + s->y2);
		cairo_stroke(cr);
		break;
	case VG_SH_POLY:
		cairo_set_line_width(cr, s->width);
		cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
		for (size_t i = 0; i < s->npts; i++)
			(i ? cairo_line_to : cairo_move_to)(cr, ox + s->pts[2 * i], oy + s->pts[2 * i + 1]);
		cairo_stroke(cr);
		break;
	case VG_SH_CIRCLE:
		cairo_new_sub_path(cr);
		cairo_arc(cr, ox + s->x, oy + s->y, s->x2, 0, 2 * M_PI);
		cairo_fill(cr);
		break;
	case VG_SH_WEDGE:
		cairo_move_to(cr, ox + s->x, oy + s->y);
		cairo_arc(cr, ox + s->x, oy + s->y, s->x2, s->a0 - M_PI / 2, s->a1 - M_PI / 2);
		cairo_close_path(cr);
		cairo_fill_preserve(cr);
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_set_line_width(cr, 0.8);
		cairo_stroke(cr);
		break;
	case VG_SH_TEXT: {
		PangoLayout *l = mk(p, s->text, F_CHART, 0, 0);
		PangoRectangle r;
		pango_layout_get_extents(l, NULL, &r);
		double w = (double)r.width / PANGO_SCALE;
		double x = s->anchor == VG_ANCHOR_MIDDLE ? s->x - w / 2
			   : s->anchor == VG_ANCHOR_END  ? s->x - w
							 : s->x;
		cairo_move_to(cr, ox + x,
			      oy + s->y - (double)pango_layout_get_baseline(l) / PANGO_SCALE);
		pango_cairo_show_layout(cr, l);
		g_object_unref(l);
		break;
	}
	}
}

static void chart(struct pdf *p, const vg_doc_el *e)
{
	PangoLayout *tl = mk(p, e->u.chart.title, F_BOLD, BODY_W, VG_DOC_CENTER);
	double th = layout_h(tl);
	space(p, 8);
	ensure(p, th + 4 + CHART_H);
	if (p->draw) {
		vg_scene sc;
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		cairo_move_to(p->cr, M_LEFT, p->y);
		pango_cairo_show_layout(p->cr, tl);
		if (vg_scene_build(&sc, e, BODY_W, CHART_H, CHART_FONT) != 0) {
			p->err = VG_ENOMEM;
		} else {
			cairo_save(p->cr);
			for (size_t i = 0; i < sc.n; i++)
				draw_shape(p, &sc.sh[i], M_LEFT, p->y + th + 4);
			cairo_restore(p->cr);
			vg_scene_free(&sc);
		}
	}
	g_object_unref(tl);
	p->y += th + 4 + CHART_H;
	p->fresh = 0;
	space(p, 8);
}

static void layout_doc(struct pdf *p)
{
	const vg_doc *d = p->d;
	p->page = 1;
	p->y = M_TOP;
	p->fresh = 1;
	p->repeat = NULL;
	for (size_t i = 0; i < d->nel && p->err == 0; i++) {
		const vg_doc_el *e = &d->el[i];
		switch (e->kind) {
		case VG_DOC_K_HEADING:
			heading(p, e);
			break;
		case VG_DOC_K_PARA: {
			unsigned fl = e->u.text.flags;
			space(p, 2);
			block(p, e->u.text.text, styled(F_BODY, fl), M_LEFT, BODY_W, fl, NULL, 0);
			p->y += 4;
			break;
		}
		case VG_DOC_K_KV:
			i = kv_rows(p, i);
			break;
		case VG_DOC_K_TABLE:
			grid_table(p, e);
			break;
		case VG_DOC_K_LIST:
			list(p, e);
			break;
		case VG_DOC_K_CHART:
			chart(p, e);
			break;
		case VG_DOC_K_SIGNATURE:
			signature(p, e);
			break;
		case VG_DOC_K_HEADER:
			header_block(p, e);
			break;
		case VG_DOC_K_PAGEBREAK:
			if (!p->fresh)
				new_page(p);
			break;
		}
	}
	finish_page(p);
}

/* ---- output file ---- */

struct sink {
	int fd, eno;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct sink *s = closure;
	while (len > 0) {
		ssize_t n = write(s->fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->eno = n < 0 ? errno : EIO;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		data += n;
		len -= (unsigned int)n;
	}
	return CAIRO_STATUS_SUCCESS;
}

/* The fonts must really be DejaVu: a fallback font may lack Vietnamese. */
static int check_fonts(struct pdf *p, char *why, size_t whylen)
{
	static const int probe[] = {F_BODY, F_CELL};
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		const char *want = i == 0 ? "DejaVu Serif" : "DejaVu Sans";
		PangoFont *f = pango_context_load_font(p->pc, p->font[probe[i]]);
		PangoFontDescription *got = f ? pango_font_describe(f) : NULL;
		const char *fam = got ? pango_font_description_get_family(got) : NULL;
		int ok = fam != NULL && strcasecmp(fam, want) == 0;
		if (got)
			pango_font_description_free(got);
		if (f)
			g_object_unref(f);
		if (!ok) {
			snprintf(why, whylen, "font \"%s\" not found (install fonts-dejavu-core)", want);
			return VG_EUNSUPPORTED;
		}
	}
	return 0;
}

static int render(struct pdf *p, struct sink *sk, char *why, size_t whylen)
{
	int r = 0;
	p->surf = cairo_pdf_surface_create_for_stream(sink_write, sk, PAGE_W, PAGE_H);
	if (cairo_surface_status(p->surf) != CAIRO_STATUS_SUCCESS) {
		snprintf(why, whylen, "cairo: %s", cairo_status_to_string(cairo_surface_status(p->surf)));
		return VG_ENOMEM;
	}
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_TITLE, p->d->title);
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATOR, "vigil");
	p->cr = cairo_create(p->surf);
	p->pc = pango_cairo_create_context(p->cr);
	/* Points as units, unhinted metrics: both passes and all viewers agree. */
	pango_cairo_context_set_resolution(p->pc, 72);
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(p->pc, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_language(p->pc, pango_language_from_string(p->d->lang));
	for (int i = 0; i < NFONT; i++)
		p->font[i] = pango_font_description_from_string(font_spec[i]);
	if ((r = check_fonts(p, why, whylen)) != 0)
		return r;
	layout_doc(p); /* pass 1: count pages */
	p->npages = p->page;
	p->draw = 1;
	if (p->err == 0)
		layout_doc(p);
	if (p->err != 0) {
		snprintf(why, whylen, "out of memory while laying out the PDF");
		return p->err;
	}
	return 0;
}

static void pdf_free(struct pdf *p)
{
	for (int i = 0; i < NFONT; i++)
		if (p->font[i])
			pango_font_description_free(p->font[i]);
	if (p->pc)
		g_object_unref(p->pc);
	if (p->cr)
		cairo_destroy(p->cr);
}

int vg_doc_render_pdf(const vg_doc *d, const char *path, char *why, size_t whylen)
{
	char dummy[8], tmp[4096];
	struct pdf p = {.d = d};
	struct sink sk = {.fd = -1};
	int r;
	if (why == NULL)
		why = dummy, whylen = sizeof(dummy);
	why[0] = 0;
	if (path == NULL || snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(why, whylen, "bad output path");
		return VG_EINVAL;
	}
	if ((sk.fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		int e = errno;
		snprintf(why, whylen, "cannot create a temporary file for %s: %s", path, strerror(e));
		errno = e;
		return VG_EIO;
	}
	r = render(&p, &sk, why, whylen);
	pdf_free(&p);
	if (p.surf != NULL) {
		cairo_surface_finish(p.surf); /* writes the fonts, xref and trailer */
		cairo_status_t st = cairo_surface_status(p.surf);
		cairo_surface_destroy(p.surf);
		if (r == 0 && st != CAIRO_STATUS_SUCCESS) {
			if (sk.eno != 0)
				snprintf(why, whylen, "cannot write %s: %s", tmp, strerror(sk.eno));
			else
				snprintf(why, whylen, "cairo: %s", cairo_status_to_string(st));
			r = sk.eno != 0 ? VG_EIO : VG_ENOMEM;
		}
	}
	if (r == 0 && fsync(sk.fd) != 0) {
		sk.eno = errno;
		snprintf(why, whylen, "cannot write %s: %s", tmp, strerror(sk.eno));
		r = VG_EIO;
	}
	if (close(sk.fd) != 0 && r == 0) {
		sk.eno = errno;
		snprintf(why, whylen, "cannot write %s: %s", tmp, strerror(sk.eno));
		r = VG_EIO;
	}
	if (r == 0 && rename(tmp, path) != 0) {
		sk.eno = errno;
		snprintf(why, whylen, "cannot rename %s to %s: %s", tmp, path, strerror(sk.eno));
		r = VG_EIO;
	}
	if (r != 0) {
		unlink(tmp);
		if (sk.eno != 0)
			errno = sk.eno;
	}
	return r;
}
