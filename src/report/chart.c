/* chart.c — chart geometry: a bar, line or pie chart becomes a list of
 * shapes in a w x h box, drawn by doc_html.c as SVG and by doc_pdf.c with
 * cairo, so both outputs show the same chart. Text widths are estimates. */
#include "report/doc_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX_CPS 20
#define AXIS_COLOR 0x444444
#define GRID_COLOR 0xdddddd
#define TEXT_COLOR 0x222222

static const uint32_t palette[] = {
	0x2f6db5, 0xd9822b, 0x3a9d5d, 0xc0392b, 0x8e6bbf,
	0x8c6d46, 0xd16ba5, 0x7f8c8d, 0xb5b82f, 0x2fb5b0,
};
#define NPAL (sizeof(palette) / sizeof(palette[0]))

static vg_shape *add(vg_scene *s, enum vg_shape_kind k, uint32_t color)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		vg_shape *n = realloc(s->sh, nc * sizeof(*n));
		if (n == NULL)
			return NULL;
		s->sh = n;
		s->cap = nc;
	}
	vg_shape *sh = &s->sh[s->n++];
	memset(sh, 0, sizeof(*sh));
	sh->kind = k;
	sh->color = color;
	return sh;
}

static int rect(vg_scene *s, double x, double y, double w, double h, uint32_t c)
{
	vg_shape *sh = add(s, VG_SH_RECT, c);
	if (sh == NULL)
		return VG_ENOMEM;
	sh->x = x, sh->y = y, sh->x2 = w, sh->y2 = h;
	return 0;
}

static int line(vg_scene *s, double x, double y, double x2, double y2, double width, uint32_t c)
{
	vg_shape *sh = add(s, VG_SH_LINE, c);
	if (sh == NULL)
		return VG_ENOMEM;
	sh->x = x, sh->y = y, sh->x2 = x2, sh->y2 = y2, sh->width = width;
	return 0;
}

static int text(vg_scene *s, double x, double y, const char *t, double size, enum vg_anchor a,
		int bold)
{
	vg_shape *sh = add(s, VG_SH_TEXT, TEXT_COLOR);
	if (sh == NULL || t == NULL)
		return VG_ENOMEM;
	sh->x = x, sh->y = y, sh->text = t, sh->size = size, sh->anchor = a, sh->bold = bold;
	return 0;
}

static const char *fmt(vg_scene *s, const char *f, double v, int prec)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), f, prec, v);
	return vg_arena_strndup(s->arena, tmp, strlen(tmp));
}

/* A value as text: integers exactly, others with 4 significant digits. */
static const char *num(vg_scene *s, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		return fmt(s, "%.*f", v, 0);
	return fmt(s, "%.*g", v, 4);
}

/* Label cut to LABEL_MAX_CPS code points with an ellipsis. */
static const char *short_label(vg_scene *s, const char *l, size_t *cps)
{
	size_t n = vg_doc_utf8_prefix(l, LABEL_MAX_CPS);
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)l[i] & 0xc0) != 0x80;
	*cps = c;
	if (l[n] == 0)
		return l;
	char *o = vg_arena_alloc(s->arena, n + 4);
	if (o == NULL)
		return NULL;
	memcpy(o, l, n);
	memcpy(o + n, "\xe2\x80\xa6", 4); /* … */
	*cps = c + 1;
	return o;
}

static double est_width(size_t cps, double font)
{
	return (double)cps * font * 0.58;
}

/* Axis top: a round number >= max, with its step. */
static void nice_axis(double max, double *top, double *step)
{
	if (!(max > 0))
		max = 1;
	double raw = max / 5, e = pow(10, floor(log10(raw))), f = raw / e;
	double st = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
	*step = st;
	*top = ceil(max / st - 1e-9) * st;
	if (*top <= 0)
		*top = st;
}

static int xy_chart(vg_scene *s, const vg_doc_el *el, double font)
{
	size_t n = el->u.chart.n;
	const double *v = el->u.chart.values;
	double max = 0, top, step;
	for (size_t i = 0; i < n; i++)
		max = v[i] > max ? v[i] : max;
	nice_axis(max, &top, &step);
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	/* Left margin: the widest tick label. */
	size_t wide = 1;
	for (double t = 0; t <= top + step / 2; t += step) {
		char tmp[64];
		size_t l = (size_t)snprintf(tmp, sizeof(tmp), "%.*f", dec, t);
		wide = l > wide ? l : wide;
	}
	double left = est_width(wide, font) + 8, right = 8, topm = font * 1.4, bottom = font * 2.4;
	double pw = s->w - left - right, ph = s->h - topm - bottom;
	if (pw < 20 || ph < 20)
		return 0; /* box too small to draw anything useful */
	double y0 = topm + ph;
	int r = 0;
	for (double t = 0; t <= top + step / 2 && r == 0; t += step) {
		double y = y0 - t / top * ph;
		const char *lab = fmt(s, "%.*f", t, dec);
		if ((r = line(s, left, y, left + pw, y, 0.5, t == 0 ? AXIS_COLOR : GRID_COLOR)) == 0)
			r = text(s, left - 4, y + font * 0.35, lab, font, VG_ANCHOR_END, 0);
	}
	double slot = pw / (double)n;
	/* Every k-th x label, so that labels do not overlap. */
	size_t maxcps = 1;
	for (size_t i = 0; i < n; i++) {
		size_t c;
		if (short_label(s, el->u.chart.labels[i], &c) == NULL)
			return VG_ENOMEM;
		maxcps = c > maxcps ? c : maxcps;
	}
	size_t k = (size_t)ceil((est_width(maxcps, font) + 6) / slot);
	if (k < 1)
		k = 1;
	double *pts = NULL;
	if (el->u.chart.type == VG_CHART_LINE &&
	    (pts = vg_arena_alloc(s->arena, 2 * n * sizeof(*pts))) == NULL)
		return VG_ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		double cx = left + ((double)i + 0.5) * slot, hv = v[i] / top * ph;
		if (el->u.chart.type == VG_CHART_BAR) {
			double bw = slot * 0.7;
			r = rect(s, cx - bw / 2, y0 - hv, bw, hv, palette[0]);
			if (r == 0 && bw >= font * 1.6 && n <= 60)
				r = text(s, cx, y0 - hv - 3, num(s, v[i]), font * 0.9, VG_ANCHOR_MIDDLE, 0);
		} else {
			pts[2 * i] = cx, pts[2 * i + 1] = y0 - hv;
			if (n <= 60) {
				vg_shape *c = add(s, VG_SH_CIRCLE, palette[0]);
				if (c == NULL)
					return VG_ENOMEM;
				c->x = cx, c->y = y0 - hv, c->x2 = 2.2;
			}
		}
		if (r == 0 && i % k == 0) {
			size_t c;
			r = text(s, cx, y0 + font * 1.4, short_label(s, el->u.chart.labels[i], &c), font,
				 VG_ANCHOR_MIDDLE, 0);
		}
	}
	if (r == 0 && pts != NULL) {
		vg_shape *p = add(s, VG_SH_POLY, palette[0]);
		if (p == NULL)
			return VG_ENOMEM;
		p->pts = pts, p->npts = n, p->width = 1.6;
	}
	if (r == 0)
		r = line(s, left, topm, left, y0, 0.8, AXIS_COLOR);
	return r;
}

static int pie_chart(vg_scene *s, const vg_doc_el *el, double font)
{
	size_t n = el->u.chart.n;
	const double *v = el->u.chart.values;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	if (!(sum > 0))
		return 0;
	double rad = s->h / 2 - 6, cx = rad + 10, cy = s->h / 2, a = 0;
	if (rad < 10)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] <= 0)
			continue;
		vg_shape *w = add(s, VG_SH_WEDGE, palette[i % NPAL]);
		if (w == NULL)
			return VG_ENOMEM;
		double da = v[i] / sum * 2 * M_PI;
		w->x = cx, w->y = cy, w->x2 = rad, w->a0 = a, w->a1 = i + 1 == n ? 2 * M_PI : a + da;
		a += da;
	}
	/* Legend: as many rows as fit; the rest summed up in one last row. */
	double lx = cx + rad + 24, row = font * 1.6;
	size_t fit = (size_t)((s->h - 8) / row);
	if (fit < 1)
		return 0;
	size_t shown = n <= fit ? n : fit - 1;
	double y = (s->h - (double)(n <= fit ? n : fit) * row) / 2 + row * 0.7;
	for (size_t i = 0; i < shown; i++, y += row) {
		size_t c;
		const char *lab = short_label(s, el->u.chart.labels[i], &c);
		char tmp[96];
		snprintf(tmp, sizeof(tmp), " \xe2\x80\x94 %s (%.1f%%)", num(s, v[i]), v[i] / sum * 100);
		size_t ll = lab ? strlen(lab) : 0, tl = strlen(tmp);
		char *t = vg_arena_alloc(s->arena, ll + tl + 1);
		if (t == NULL || lab == NULL)
			return VG_ENOMEM;
		memcpy(t, lab, ll);
		memcpy(t + ll, tmp, tl + 1);
		int r;
		if ((r = rect(s, lx, y - font * 0.8, font, font, palette[i % NPAL])) != 0 ||
		    (r = text(s, lx + font * 1.5, y, t, font, VG_ANCHOR_START, 0)) != 0)
			return r;
	}
	if (shown < n) {
		double rest = 0;
		for (size_t i = shown; i < n; i++)
			rest += v[i];
		char tmp[96];
		snprintf(tmp, sizeof(tmp), "\xe2\x80\xa6 (+%zu) \xe2\x80\x94 %.1f%%", n - shown,
			 rest / sum * 100);
		int r = text(s, lx + font * 1.5, y, vg_arena_strndup(s->arena, tmp, strlen(tmp)), font,
			     VG_ANCHOR_START, 0);
		if (r != 0)
			return r;
	}
	return 0;
}

int vg_scene_build(vg_scene *s, const vg_doc_el *el, double w, double h, double font)
{
	memset(s, 0, sizeof(*s));
	s->w = w, s->h = h;
	if ((s->arena = vg_arena_new(0)) == NULL)
		return VG_ENOMEM;
	int r = el->u.chart.type == VG_CHART_PIE ? pie_chart(s, el, font) : xy_chart(s, el, font);
	if (r != 0)
		vg_scene_free(s);
	return r;
}

void vg_scene_free(vg_scene *s)
{
	free(s->sh);
	vg_arena_free(s->arena);
	memset(s, 0, sizeof(*s));
}
