/* jsonw.h — a streaming JSON writer into a vg_buf: objects, arrays, keys and
 * scalars with correct escaping; invalid UTF-8 becomes U+FFFD and control
 * characters are \u-escaped, so the output is always valid JSON. Commas are
 * placed by the writer (a nesting stack), never by the caller.
 * Errors are sticky: after VG_ENOMEM or a misuse (unbalanced nesting, a
 * value in an object without its key, a key outside an object) every call
 * is a no-op and vg_jsonw_finish reports the first error. Not thread-safe. */
#ifndef VG_JSONW_H
#define VG_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define VG_JSONW_MAX_DEPTH 64

typedef struct vg_jsonw {
	vg_buf *out;
	int err;
	int depth;
	uint8_t first[VG_JSONW_MAX_DEPTH]; /* nothing written yet at this level */
	uint8_t obj[VG_JSONW_MAX_DEPTH];   /* this level is an object (else an array, or the top) */
	uint8_t after_key;
} vg_jsonw;

void vg_jsonw_init(vg_jsonw *w, vg_buf *out);
void vg_jsonw_obj_begin(vg_jsonw *w);
void vg_jsonw_obj_end(vg_jsonw *w);
void vg_jsonw_arr_begin(vg_jsonw *w);
void vg_jsonw_arr_end(vg_jsonw *w);
void vg_jsonw_key(vg_jsonw *w, const char *k, size_t n);
/* vg_jsonw_key then vg_jsonw_obj_begin, in one step when it can. */
void vg_jsonw_key_obj(vg_jsonw *w, const char *k, size_t n);
void vg_jsonw_str(vg_jsonw *w, const char *s, size_t n);
/* vg_jsonw_key then vg_jsonw_str, in one step when it can. */
void vg_jsonw_key_str(vg_jsonw *w, const char *k, size_t kn, const char *s, size_t sn);
/* A string written many times in one document (a path on every event of
 * a correlation alert) is escaped once: vg_jsonw_str_at writes it as
 * vg_jsonw_str does and records where its JSON text lies in the output;
 * vg_jsonw_again writes that text again, as a further value. The span is
 * valid while the output below it is unchanged (the same document). */
typedef struct vg_jsonw_span {
	size_t off, len;
} vg_jsonw_span;
void vg_jsonw_str_at(vg_jsonw *w, const char *s, size_t n, vg_jsonw_span *at);
void vg_jsonw_again(vg_jsonw *w, const vg_jsonw_span *at);
void vg_jsonw_int(vg_jsonw *w, int64_t v);
/* p[0..n), the complete JSON text of one value (a fragment rendered
 * before, e.g. with vg_json_plain's strings), written as the next value;
 * the writer does not check it. */
void vg_jsonw_raw(vg_jsonw *w, const char *p, size_t n);
void vg_jsonw_bool(vg_jsonw *w, int v);
void vg_jsonw_null(vg_jsonw *w);
/* p[0..n) if it is a JSON number, else as a string. */
void vg_jsonw_num_text(vg_jsonw *w, const char *p, size_t n);
/* 0, or the first error (VG_ENOMEM, VG_EINVAL for a misuse). */
int vg_jsonw_finish(vg_jsonw *w);

/* 1 if s[0..n) needs no escaping: "\"" s "\"" is its JSON string. */
int vg_json_plain(const char *s, size_t n);

/* 1 if p[0..n) is a number in JSON's grammar. */
int vg_json_is_number(const char *p, size_t n);

#endif
