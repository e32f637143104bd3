/* doc_html.c — a vg_doc as one self-contained HTML5 page: embedded print CSS
 * for A4, every text escaped, charts as inline SVG, no scripts and no
 * external resources, so the file can be mailed or archived as it is. */
#include "report/doc_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SVG_W 640.0
#define SVG_H 260.0
#define SVG_FONT 11.0

static const char css[] =
	"@page{size:A4;margin:20mm 20mm 20mm 30mm}\n"
	"body{font-family:\"Times New Roman\",\"DejaVu Serif\",serif;font-size:13pt;"
	"line-height:1.35;color:#111;max-width:170mm;margin:0 auto;padding:12mm 0}\n"
	"@media print{body{padding:0;max-width:none}}\n"
	".hdr{display:flex;justify-content:space-between;gap:1em;margin-bottom:1.5em}\n"
	".hdr div{text-align:center}.hdr .l{flex:2}.hdr .r{flex:3}.hdr p{margin:0;text-align:center}\n"
	"h1{font-size:14pt;text-align:center;margin:1em 0 .6em}\n"
	"h2{font-size:13pt;margin:1em 0 .4em}\n"
	"h3{font-size:13pt;font-style:italic;margin:.8em 0 .3em}\n"
	"h1,h2,h3{break-after:avoid;page-break-after:avoid}\n"
	"p{margin:.3em 0;text-align:justify}\n"
	".b{font-weight:bold}.i{font-style:italic}.u{text-decoration:underline}"
	"p.c{text-align:center}p.rt{text-align:right}\n"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}\n"
	"table.grid{font-family:\"DejaVu Sans\",Arial,sans-serif;font-size:9.5pt}\n"
	"table.grid th,table.grid td{border:1px solid #555;padding:2px 4px;vertical-align:top;"
	"text-align:left}\n"
	"table.grid thead th{background:#e6e6e6}\n"
	"thead{display:table-header-group}\n"
	"tr{break-inside:avoid;page-break-inside:avoid}\n"
	"table.kv th{text-align:left;font-weight:normal;width:38%;vertical-align:top;"
	"padding:1px 6px 1px 0}\n"
	"table.kv td{padding:1px 0;vertical-align:top}\n"
	"td,th,p,li{overflow-wrap:anywhere}\n"
	"figure.chart{margin:.8em 0;break-inside:avoid;page-break-inside:avoid}\n"
	"figure.chart figcaption{text-align:center;font-weight:bold;font-size:11pt}\n"
	"figure.chart svg{width:100%;height:auto;font-family:\"DejaVu Sans\",Arial,sans-serif}\n"
	".sig{width:50%;margin-left:50%;text-align:center;margin-top:1.5em;break-inside:avoid;"
	"page-break-inside:avoid}\n"
	".sig p{text-align:center;margin:0}.sig .space{height:5em}\n"
	".pb{break-after:page;page-break-after:always}\n";

struct hw {
	vg_buf *out;
	int err;
};

static void put(struct hw *h, const char *s)
{
	if (h->err == 0)
		h->err = vg_buf_append(h->out, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(struct hw *h, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(tmp))
		put(h, tmp);
	else if (h->err == 0)
		h->err = VG_ENOMEM; /* our own formats are short; never reached */
}

/* Text content: markup characters escaped, newlines as <br> when br. */
static void esc(struct hw *h, const char *s, int br)
{
	const char *run = s;
	for (; *s != 0 && h->err == 0; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\n': rep = br ? "<br>" : " "; break;
		default: continue;
		}
		if (s > run)
			h->err = vg_buf_append(h->out, run, (size_t)(s - run));
		put(h, rep);
		run = s + 1;
	}
	if (s > run && h->err == 0)
		h->err = vg_buf_append(h->out, run, (size_t)(s - run));
}

static void classes(struct hw *h, unsigned f)
{
	const char *sep = "";
	if ((f & (VG_DOC_BOLD | VG_DOC_ITALIC | VG_DOC_UNDERLINE | VG_DOC_CENTER | VG_DOC_RIGHT)) == 0)
		return;
	put(h, " class=\"");
	if (f & VG_DOC_BOLD)
		put(h, "b"), sep = " ";
	if (f & VG_DOC_ITALIC)
		put(h, sep), put(h, "i"), sep = " ";
	if (f & VG_DOC_UNDERLINE)
		put(h, sep), put(h, "u"), sep = " ";
	if (f & VG_DOC_CENTER)
		put(h, sep), put(h, "c");
	if (f & VG_DOC_RIGHT)
		put(h, sep), put(h, "rt");
	put(h, "\"");
}

static void color(struct hw *h, const char *attr, uint32_t c)
{
	putf(h, " %s=\"#%06x\"", attr, (unsigned)c & 0xffffff);
}

static void svg_shape(struct hw *h, const vg_shape *s)
{
	switch (s->kind) {
	case VG_SH_RECT:
		putf(h, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"", s->x, s->y, s->x2,
		     s->y2);
		color(h, "fill", s->color);
		put(h, "/>\n");
		break;
	case VG_SH_LINE:
		putf(h, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke-width=\"%.2f\"",
		     s->x, s->y, s->x2, s->y2, s->width);
		color(h, "stroke", s->color);
		put(h, "/>\n");
		break;
	case VG_SH_POLY:
		put(h, "<polyline fill=\"none\"");
		putf(h, " stroke-width=\"%.2f\"", s->width);
		color(h, "stroke", s->color);
		put(h, " points=\"");
		for (size_t i = 0; i < s->npts; i++)
			putf(h, "%s%.2f,%.2f", i ? " " : "", s->pts[2 * i], s->pts[2 * i + 1]);
		put(h, "\"/>\n");
		break;
	case VG_SH_CIRCLE:
		putf(h, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"", s->x, s->y, s->x2);
		color(h, "fill", s->color);
		put(h, "/>\n");
		break;
	case VG_SH_WEDGE:
		if (s->a1 - s->a0 >= 2 * M_PI - 1e-9) {
			putf(h, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"", s->x, s->y, s->x2);
		} else {
			double r = s->x2;
			putf(h, "<path d=\"M%.2f %.2fL%.2f %.2f", s->x, s->y, s->x + r * sin(s->a0),
			     s->y - r * cos(s->a0));
			putf(h, "A%.2f %.2f 0 %d 1 %.2f %.2fZ\"", r, r, s->a1 - s->a0 > M_PI ? 1 : 0,
			     s->x + r * sin(s->a1), s->y - r * cos(s->a1));
		}
		color(h, "fill", s->color);
		put(h, " stroke=\"#ffffff\" stroke-width=\"0.8\"/>\n");
		break;
	case VG_SH_TEXT:
		putf(h, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\"%s%s", s->x, s->y, s->size,
		     s->anchor == VG_ANCHOR_MIDDLE ? " text-anchor=\"middle\""
		     : s->anchor == VG_ANCHOR_END  ? " text-anchor=\"end\""
						   : "",
		     s->bold ? " font-weight=\"bold\"" : "");
		color(h, "fill", s->color);
		put(h, ">");
		esc(h, s->text, 0);
		put(h, "</text>\n");
		break;
	}
}

static void chart(struct hw *h, const vg_doc_el *e)
{
	vg_scene sc;
	if (h->err != 0)
		return;
	if ((h->err = vg_scene_build(&sc, e, SVG_W, SVG_H, SVG_FONT)) != 0)
		return;
	put(h, "<figure class=\"chart\"><figcaption>");
	esc(h, e->u.chart.title, 1);
	putf(h, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\" aria-label=\"", SVG_W, SVG_H);
	esc(h, e->u.chart.title, 0);
	put(h, "\">\n");
	for (size_t i = 0; i < sc.n; i++)
		svg_shape(h, &sc.sh[i]);
	put(h, "</svg></figure>\n");
	vg_scene_free(&sc);
}

static void cells(struct hw *h, const char *const *c, size_t n, const char *tag)
{
	put(h, "<tr>");
	for (size_t i = 0; i < n; i++) {
		putf(h, "<%s>", tag);
		esc(h, c[i], 1);
		putf(h, "</%s>", tag);
	}
	put(h, "</tr>\n");
}

static void lines(struct hw *h, const vg_doc_line *l, size_t n, const char *cls)
{
	putf(h, "<div class=\"%s\">", cls);
	for (size_t i = 0; i < n; i++) {
		put(h, "<p");
		classes(h, l[i].flags);
		put(h, ">");
		esc(h, l[i].text, 1);
		put(h, "</p>");
	}
	put(h, "</div>");
}

static void element(struct hw *h, const vg_doc *d, size_t *i)
{
	const vg_doc_el *e = &d->el[*i];
	switch (e->kind) {
	case VG_DOC_K_HEADING:
		putf(h, "<h%d>", e->u.text.level);
		esc(h, e->u.text.text, 1);
		putf(h, "</h%d>\n", e->u.text.level);
		break;
	case VG_DOC_K_PARA:
		put(h, "<p");
		classes(h, e->u.text.flags);
		put(h, ">");
		esc(h, e->u.text.text, 1);
		put(h, "</p>\n");
		break;
	case VG_DOC_K_KV:
		put(h, "<table class=\"kv\">\n");
		for (; *i < d->nel && d->el[*i].kind == VG_DOC_K_KV; (*i)++) {
			put(h, "<tr><th scope=\"row\">");
			esc(h, d->el[*i].u.kv.label, 1);
			put(h, "</th><td>");
			esc(h, d->el[*i].u.kv.value, 1);
			put(h, "</td></tr>\n");
		}
		(*i)--;
		put(h, "</table>\n");
		break;
	case VG_DOC_K_TABLE: {
		size_t nc = e->u.table.ncols;
		put(h, "<table class=\"grid\">\n");
		if (e->u.table.header != NULL) {
			put(h, "<thead>");
			cells(h, e->u.table.header, nc, "th");
			put(h, "</thead>\n");
		}
		put(h, "<tbody>\n");
		for (size_t r = 0; r < e->u.table.nrows && h->err == 0; r++)
			cells(h, e->u.table.cells + r * nc, nc, "td");
		put(h, "</tbody></table>\n");
		break;
	}
	case VG_DOC_K_LIST: {
		const char *tag = e->u.list.ordered ? "ol" : "ul";
		putf(h, "<%s>\n", tag);
		for (size_t k = 0; k < e->u.list.n; k++) {
			put(h, "<li>");
			esc(h, e->u.list.items[k], 1);
			put(h, "</li>\n");
		}
		putf(h, "</%s>\n", tag);
		break;
	}
	case VG_DOC_K_CHART:
		chart(h, e);
		break;
	case VG_DOC_K_SIGNATURE:
		put(h, "<div class=\"sig\"><p class=\"i\">");
		esc(h, e->u.sig.place_date, 1);
		put(h, "</p><p class=\"b\">");
		esc(h, e->u.sig.title, 1);
		put(h, "</p><div class=\"space\"></div><p class=\"b\">");
		esc(h, e->u.sig.name, 1);
		put(h, "</p></div>\n");
		break;
	case VG_DOC_K_HEADER:
		put(h, "<header class=\"hdr\">");
		lines(h, e->u.hdr.left, e->u.hdr.nleft, "l");
		lines(h, e->u.hdr.right, e->u.hdr.nright, "r");
		put(h, "</header>\n");
		break;
	case VG_DOC_K_PAGEBREAK:
		put(h, "<div class=\"pb\"></div>\n");
		break;
	}
}

int vg_doc_render_html(const vg_doc *d, vg_buf *out)
{
	struct hw h = {.out = out};
	putf(&h, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", d->lang);
	put(&h, "<meta name=\"generator\" content=\"vigil\">\n<title>");
	esc(&h, d->title, 0);
	put(&h, "</title>\n<style>\n");
	put(&h, css);
	put(&h, "</style>\n</head>\n<body>\n");
	for (size_t i = 0; i < d->nel && h.err == 0; i++)
		element(&h, d, &i);
	put(&h, "</body>\n</html>\n");
	return h.err;
}
