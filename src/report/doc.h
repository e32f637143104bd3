/* doc.h — the document model behind vigil's reports (official incident forms,
 * periodic monitoring reports) and its two renderers: a self-contained HTML5
 * page and an A4 PDF (cairo + pango, DejaVu fonts). See docs/reports.md.
 *
 * Model. A vg_doc is a flat sequence of elements appended by C code: headings,
 * paragraphs, form rows (label/value; consecutive rows form one table), tables
 * (vg_doc_table opens one, vg_doc_table_row appends to it while it is the last
 * element), lists, charts, the national-motto header block, the signature
 * block and page breaks. Every string is copied into the document, so callers
 * keep ownership of theirs. Text must be valid UTF-8 (strict: no overlong
 * forms, surrogates or code points past U+10FFFF); control characters other
 * than tab and newline are stored as U+FFFD, carriage returns are dropped, and
 * a newline is a line break wherever text appears. Text should be in NFC
 * (precomposed Vietnamese letters), as the PDF fonts expect.
 *
 * Errors: appends return 0 or a negative VG_E* code (core/err.h): VG_EINVAL
 * (invalid UTF-8, bad argument, no open table, non-finite or negative chart
 * value), VG_ELIMIT (a VG_DOC_MAX_* bound below), VG_ENOMEM. A failed append
 * leaves the document exactly as it was; vg_doc_why() names the element, the
 * field and the byte. Renderers return 0, VG_ENOMEM, VG_EIO (PDF file could
 * not be written; errno kept) or VG_EUNSUPPORTED (fonts missing).
 * Thread-safety: a document is not thread-safe; separate documents may be
 * built and rendered in separate threads. */
#ifndef VG_DOC_H
#define VG_DOC_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Bounds on one document (data may come from hostile logs). */
#define VG_DOC_MAX_TEXT        (16 * 1024 * 1024) /* bytes of text, all elements together */
#define VG_DOC_MAX_ELEMENTS    100000             /* elements (a table is one element) */
#define VG_DOC_MAX_ROWS        100000             /* rows in one table */
#define VG_DOC_MAX_COLS        32                 /* columns in one table */
#define VG_DOC_MAX_ITEMS       10000              /* items in one list */
#define VG_DOC_MAX_POINTS      1000               /* values in one chart */
#define VG_DOC_MAX_HEADER_LINES 8                 /* lines per column of the header block */
#define VG_DOC_MAX_SHORT       4096               /* bytes in a title, heading, form label, header
                                                     line, chart title or label, signature field */

typedef struct vg_doc vg_doc;

/* Text style flags (vg_doc_para_ex, header block lines). */
enum {
	VG_DOC_BOLD = 1u << 0,
	VG_DOC_ITALIC = 1u << 1,
	VG_DOC_UNDERLINE = 1u << 2,
	VG_DOC_CENTER = 1u << 3,
	VG_DOC_RIGHT = 1u << 4,
};

/* One line of the header block: text and VG_DOC_* style flags. */
typedef struct vg_doc_line {
	const char *text;
	unsigned flags;
} vg_doc_line;

/* title: the document title (HTML <title>, PDF metadata), not printed by
 * itself; lang: "vi" or "en" (HTML lang, page numbers "Trang 1/3" or
 * "Page 1 of 3", hyphenation/shaping language). NULL on failure with *err
 * (may be NULL) set to VG_EINVAL or VG_ENOMEM. */
vg_doc *vg_doc_new(const char *title, const char *lang, int *err);
void vg_doc_free(vg_doc *d); /* NULL is a no-op */

/* Why the last failed call failed ("" if none). Borrowed; valid until the
 * next call on d. */
const char *vg_doc_why(const vg_doc *d);

/* level 1 (document title: centred, large), 2 (section) or 3 (subsection). */
VG_WUR int vg_doc_heading(vg_doc *d, int level, const char *text);
VG_WUR int vg_doc_para(vg_doc *d, const char *text);
/* A paragraph with VG_DOC_* flags (bold, italic, underline, centre, right). */
VG_WUR int vg_doc_para_ex(vg_doc *d, const char *text, unsigned flags);
/* A form row "label | value"; consecutive rows share one two-column table. */
VG_WUR int vg_doc_kv(vg_doc *d, const char *label, const char *value);
/* Opens a table of ncols (1..VG_DOC_MAX_COLS) columns; header has ncols
 * strings (NULL: no header row). Rows follow with vg_doc_table_row. */
VG_WUR int vg_doc_table(vg_doc *d, size_t ncols, const char *const header[]);
/* Appends a row of ncols cells (a NULL cell is empty) to the table that is
 * the last element (VG_EINVAL otherwise). */
VG_WUR int vg_doc_table_row(vg_doc *d, const char *const cells[]);
/* A bulleted (ordered = 0) or numbered list of n items, 1..VG_DOC_MAX_ITEMS. */
VG_WUR int vg_doc_list(vg_doc *d, const char *const items[], size_t n, int ordered);
/* Charts of n (1..VG_DOC_MAX_POINTS) finite values >= 0 with their labels:
 * vertical bars, a line (time series; labels are the x axis) and a pie with
 * a legend (values may not all be 0). */
VG_WUR int vg_doc_chart_bar(vg_doc *d, const char *title, const char *const labels[],
			    const double values[], size_t n);
VG_WUR int vg_doc_chart_line(vg_doc *d, const char *title, const char *const labels[],
			     const double values[], size_t n);
VG_WUR int vg_doc_chart_pie(vg_doc *d, const char *title, const char *const labels[],
			    const double values[], size_t n);
/* The signature block, bottom right of Vietnamese official forms:
 * "Hà Nội, ngày ... tháng ... năm ..." (italic), the signer's title (bold),
 * room for signature and seal, the signer's name (bold). Any may be NULL. */
VG_WUR int vg_doc_signature(vg_doc *d, const char *place_date, const char *signer_title,
			    const char *signer_name);
/* The block above an official form: the organisation on the left, the
 * national name and motto on the right, each line centred in its column. */
VG_WUR int vg_doc_header_block(vg_doc *d, const vg_doc_line left[], size_t nleft,
			       const vg_doc_line right[], size_t nright);
/* Starts a new page (PDF) / forces a page break when printing (HTML). */
VG_WUR int vg_doc_page_break(vg_doc *d);

/* Appends a self-contained HTML5 page to out: UTF-8, lang attribute, print
 * CSS for A4, every text escaped, charts as inline SVG; no scripts and no
 * external resources. VG_ENOMEM (out then holds a partial page). */
VG_WUR int vg_doc_render_html(const vg_doc *d, vg_buf *out);
/* Writes an A4 PDF to path: margins, automatic pagination (tables split
 * between rows, or inside a row taller than a page, with the header row
 * repeated), page numbers, outline of headings, title/creator metadata.
 * The file is written under a temporary name in the same directory (mode
 * 0600), fsync'd and renamed, so path holds either its old content or the
 * whole new PDF. On failure why (whylen bytes, may be NULL) says what failed. */
VG_WUR int vg_doc_render_pdf(const vg_doc *d, const char *path, char *why, size_t whylen);

#endif
