/* doc_int.h — internals shared by the document model (doc.c), its renderers
 * (doc_html.c, doc_pdf.c) and the chart geometry (chart.c). Not a public API. */
#ifndef VG_DOC_INT_H
#define VG_DOC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "report/doc.h"

enum vg_doc_kind {
	VG_DOC_K_HEADING,
	VG_DOC_K_PARA,
	VG_DOC_K_KV,
	VG_DOC_K_TABLE,
	VG_DOC_K_LIST,
	VG_DOC_K_CHART,
	VG_DOC_K_SIGNATURE,
	VG_DOC_K_HEADER,
	VG_DOC_K_PAGEBREAK,
};

enum vg_chart_type { VG_CHART_BAR, VG_CHART_LINE, VG_CHART_PIE };

/* All strings point into the document's arena. */
typedef struct vg_doc_el {
	enum vg_doc_kind kind;
	union {
		struct {
			int level; /* heading */
			unsigned flags;
			const char *text;
		} text; /* heading, para */
		struct {
			const char *label, *value;
		} kv;
		struct {
			size_t ncols, nrows, cap; /* cap: rows cells[] has room for */
			const char **header;      /* ncols strings, or NULL */
			const char **cells;       /* nrows * ncols, row-major (malloc'd) */
		} table;
		struct {
			const char **items;
			size_t n;
			int ordered;
		} list;
		struct {
			enum vg_chart_type type;
			const char *title;
			const char **labels;
			const double *values;
			size_t n;
		} chart;
		struct {
			const char *place_date, *title, *name; /* "" when absent */
		} sig;
		struct {
			vg_doc_line *left, *right;
			size_t nleft, nright;
		} hdr;
	} u;
} vg_doc_el;

struct vg_doc {
	vg_arena *arena;
	const char *title, *lang;
	int vi; /* lang is "vi" */
	vg_doc_el *el;
	size_t nel, cap;
	size_t text_bytes; /* charged against VG_DOC_MAX_TEXT */
	char why[256];
};

/* ---- chart geometry: one scene, drawn as SVG or with cairo ---- */

enum vg_shape_kind { VG_SH_RECT, VG_SH_LINE, VG_SH_POLY, VG_SH_CIRCLE, VG_SH_WEDGE, VG_SH_TEXT };
enum vg_anchor { VG_ANCHOR_START, VG_ANCHOR_MIDDLE, VG_ANCHOR_END };

typedef struct vg_shape {
	enum vg_shape_kind kind;
	uint32_t color;  /* 0xRRGGBB: fill (rect, circle, wedge, text) or stroke */
	double x, y;     /* rect: top left; line: start; circle/wedge: centre; text: baseline anchor */
	double x2, y2;   /* rect: width, height; line: end; circle/wedge: radius in x2 */
	double a0, a1;   /* wedge angles, radians clockwise from 12 o'clock */
	double width;    /* stroke width (line, poly) */
	const double *pts; /* poly: npts (x, y) pairs */
	size_t npts;
	const char *text; /* text */
	double size;      /* text font size */
	enum vg_anchor anchor;
	int bold;
} vg_shape;

typedef struct vg_scene {
	double w, h;
	vg_shape *sh;
	size_t n, cap;
	vg_arena *arena; /* points and formatted strings */
} vg_scene;

/* Lays out the chart el (VG_DOC_K_CHART) in a w x h box, text of size font
 * (approximate widths: SVG cannot measure). VG_ENOMEM. */
VG_WUR int vg_scene_build(vg_scene *s, const vg_doc_el *el, double w, double h, double font);
void vg_scene_free(vg_scene *s);

/* Bytes of the UTF-8 prefix of s with at most max code points. */
size_t vg_doc_utf8_prefix(const char *s, size_t max);

#endif
