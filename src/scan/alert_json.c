/* alert_json.c — alert documents (see alert_json.h), written with the
 * streaming builder of core/jsonw.h: escaping is never done by hand (the
 * rule object, rendered in one piece, only copies strings jsonw finds
 * plain), and no per-alert tree is built. */
#include "scan/alert_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/limits.h"
#include "core/timeparse.h"

/* Fields are sorted by name with '.' below every
 * other byte, so the fields of one object are adjacent and can be nested in
 * one pass; repeated names become arrays. */

struct ent {
	const char *name, *val;
	uint32_t name_len, val_len, idx;
	uint8_t type;
};

static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn, i = 0;
	/* skip the common prefix 8 bytes at a time */
	while (i + 8 <= n) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			break;
		i += 8;
	}
	for (; i < n; i++) {
		unsigned ca = (unsigned char)a[i], cb = (unsigned char)b[i];
		if (ca == cb)
			continue;
		ca = ca == '.' ? 0 : ca + 1;
		cb = cb == '.' ? 0 : cb + 1;
		return ca < cb ? -1 : 1;
	}
	return an < bn ? -1 : an > bn;
}

static int ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	int c = name_cmp(a->name, a->name_len, b->name, b->name_len);
	return c != 0 ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* The first 8 bytes of name p[0..len) as a big-endian number in
 * name_cmp's order: '.' is 0, any other byte one more than itself, a byte
 * past the end 0 (so "a" and "a." tie and name_cmp decides). Sets *ff when
 * a byte is 0xFF (its "one more" would not fit). */
static inline uint64_t sort_word(const char *p, size_t len, int *ff)
{
	size_t n = len < 8 ? len : 8;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the n bytes as a little-endian word (overlapping loads, no loop), then
	 * all 8 mapped at once */
	uint64_t x = 0;
	if (n == 8) {
		memcpy(&x, p, 8);
	} else if (n >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + n - 4, 4);
		x = lo | (uint64_t)hi << (8 * (n - 4));
	} else {
		for (size_t i = 0; i < n; i++)
			x |= (uint64_t)(unsigned char)p[i] << (8 * i);
	}
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7F7F7F7F7F7F7F7Full;
	uint64_t valid = n == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * n)) - 1;
	uint64_t t = x ^ (ones * '.'), u = ~x;
	uint64_t dot = ~(((t & low7) + low7) | t | low7) & valid; /* 0x80 in each '.' byte */
	uint64_t all1 = ~(((u & low7) + low7) | u | low7) & valid; /* 0x80 in each 0xFF byte */
	if (all1 != 0)
		*ff = 1;
	uint64_t y = (x + (ones & valid)) & ~((dot >> 7) * 0xFF);
	return __builtin_bswap64(y);
#else
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)p[i];
		if (c == 0xFF)
			*ff = 1;
		x |= (uint64_t)(c == '.' ? 0 : c + 1) << (56 - 8 * i);
	}
	return x;
#endif
}

/* Sorts ents (stable: ties keep their idx order); insertion sort for the
 * usual few dozen fields, qsort beyond. The insertion sort moves keys, not
 * entries: the first 8 bytes of the name in name_cmp's order (see
 * sort_word) and the entry's index, so most comparisons are one integer
 * compare and name_cmp only breaks ties. */
static void sort_ents(struct ent *ents, size_t n)
{
	if (n > 64) {
		qsort(ents, n, sizeof(ents[0]), ent_cmp);
		return;
	}
	struct key {
		uint64_t word;
		size_t idx; /* into ents */
	} keys[64];
	int ff = 0;
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct key){sort_word(ents[i].name, ents[i].name_len, &ff), i};
	if (ff) /* a 0xFF byte: no shortcut, every comparison by name_cmp */
		for (size_t i = 0; i < n; i++)
			keys[i].word = 0;
	int sorted = 1;
	for (size_t i = 1; i < n; i++) {
		struct key x = keys[i];
		size_t j = i;
		while (j > 0) {
			const struct key *y = &keys[j - 1];
			if (y->word != x.word ? y->word < x.word : ent_cmp(&ents[y->idx], &ents[x.idx]) <= 0)
				break;
			keys[j] = *y;
			j--;
		}
		keys[j] = x;
		sorted &= j == i;
	}
	if (sorted)
		return;
	struct ent tmp[64];
	memcpy(tmp, ents, n * sizeof(ents[0]));
	for (size_t i = 0; i < n; i++)
		ents[i] = tmp[keys[i].idx];
}

/* Names the alert sets itself; an event field of the same name is not copied. */
static int reserved(const char *n, size_t len)
{
#define R(s) {s, sizeof(s) - 1}
	static const struct {
		const char *s;
		size_t n;
	} names[] = {R("@timestamp"), R("event.kind"), R("event.original"), R("log.file.path"),
		     R("log.file.line"), R("vigil.format"), R("vigil.layer")};
#undef R
	if (len == 0 || (n[0] != '@' && n[0] != 'e' && n[0] != 'l' && n[0] != 'v' && n[0] != 'r'))
		return 0; /* the common case: no reserved name starts so */
	if ((len == 4 || (len > 4 && n[4] == '.')) && memcmp(n, "rule", 4) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].n == len && memcmp(names[i].s, n, len) == 0)
			return 1;
	return 0;
}

static inline void write_value(vg_jsonw *w, const struct ent *e)
{
	switch (e->type) {
	case VG_V_NULL: vg_jsonw_null(w); break;
	case VG_V_BOOL: vg_jsonw_bool(w, e->val_len == 4 && memcmp(e->val, "true", 4) == 0); break;
	case VG_V_NUM: vg_jsonw_num_text(w, e->val, e->val_len); break;
	default: vg_jsonw_str(w, e->val, e->val_len); break;
	}
}

#define MAX_SEGS 32

/* Length of the common prefix of a[0..an) and b[0..bn), 8 bytes a step. */
static size_t common_prefix(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(x ^ y) / 8;
#else
			return i + (size_t)__builtin_clzll(x ^ y) / 8;
#endif
		}
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Where segment number s of name[0..len), starting at off, ends: at its
 * dot, or at len for the last segment (the MAX_SEGS-th takes the rest). */
static inline uint32_t seg_end(const char *name, uint32_t len, uint32_t off, size_t s)
{
	if (s >= MAX_SEGS - 1)
		return len;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* 8 bytes a step: a '.' byte becomes 0, found exactly (no borrows) */
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7F7F7F7F7F7F7F7Full;
	for (; len - off >= 8; off += 8) {
		uint64_t t;
		memcpy(&t, name + off, 8);
		t ^= ones * '.';
		uint64_t dot = ~(((t & low7) + low7) | t | low7);
		if (dot != 0)
			return off + (uint32_t)__builtin_ctzll(dot) / 8;
	}
	if (off < len && len >= 8) {
		/* the rest (under 8 bytes) as the name's last 8, its bytes before
		 * off shifted out */
		uint64_t t;
		memcpy(&t, name + len - 8, 8);
		t ^= ones * '.';
		uint64_t dot = ~(((t & low7) + low7) | t | low7) >> (8 * (off - (len - 8)));
		return dot != 0 ? off + (uint32_t)__builtin_ctzll(dot) / 8 : len;
	}
#endif
	while (off < len && name[off] != '.')
		off++;
	return off;
}

/* Names are split at dots into nested objects. The open objects are
 * always the first `depth` segments of the previous name (kept or opened
 * by it), so a name keeps the levels whose dot lies inside its common
 * prefix with the previous name, and only its own tail is split. */
static void write_fields(vg_jsonw *w, struct ent *ents, size_t n)
{
	/* the open objects below the root: where each one's segment ends (at
	 * its dot) in the previous name */
	uint32_t open_end[MAX_SEGS];
	size_t depth = 0;
	/* last key written at each depth, to catch a leaf in the way of an object */
	const char *last_key[MAX_SEGS + 1];
	uint32_t last_len[MAX_SEGS + 1];
	last_key[0] = NULL; /* deeper levels are cleared as they open */
	size_t same = 0; /* common prefix of ents[i]'s name and the previous name */
	for (size_t i = 0; i < n;) {
		const char *nm = ents[i].name;
		uint32_t nl = ents[i].name_len;
		size_t j = i + 1, next = 0;
		for (; j < n; j++) {
			next = common_prefix(nm, nl, ents[j].name, ents[j].name_len);
			if (next != nl || ents[j].name_len != nl)
				break;
		}
		size_t k = 0;
		while (k < depth && open_end[k] < same)
			k++;
		while (depth > k) {
			vg_jsonw_obj_end(w);
			depth--;
		}
		uint32_t off = k == 0 ? 0 : open_end[k - 1] + 1;
		uint32_t end = seg_end(nm, nl, off, k);
		for (size_t s = k; end < nl; s++) {
			uint32_t len = end - off;
			if (last_key[depth] != NULL && last_len[depth] == len && memcmp(last_key[depth], nm + off, len) == 0)
				break; /* a leaf of this name was written: keep the rest dotted */
			vg_jsonw_key_obj(w, nm + off, len);
			last_key[depth] = nm + off;
			last_len[depth] = len;
			open_end[depth] = end;
			depth++;
			last_key[depth] = NULL;
			off = end + 1;
			end = seg_end(nm, nl, off, s + 1);
		}
		/* the leaf: the remaining segments as one key. What is remembered is
		 * its first segment, so later names under a blocked "x" also stay
		 * dotted instead of opening a second "x". */
		last_key[depth] = nm + off;
		last_len[depth] = end - off;
		if (j - i == 1 && ents[i].type == VG_V_STR) {
			vg_jsonw_key_str(w, nm + off, nl - off, ents[i].val, ents[i].val_len);
		} else {
			vg_jsonw_key(w, nm + off, nl - off);
			if (j - i > 1)
				vg_jsonw_arr_begin(w);
			for (size_t v = i; v < j; v++)
				write_value(w, &ents[v]);
			if (j - i > 1)
				vg_jsonw_arr_end(w);
		}
		i = j;
		same = next;
	}
	while (depth > 0) {
		vg_jsonw_obj_end(w);
		depth--;
	}
}

/* Appends "s" (quoted, s plain) to d; returns the end. */
static inline char *put_plain_str(char *d, const char *s, size_t n)
{
	*d++ = '"';
	memcpy(d, s, n);
	d += n;
	*d++ = '"';
	return d;
}

#define LIT(d, s) (memcpy(d, s, sizeof(s) - 1), (d) + sizeof(s) - 1)

/* The rule object rendered in one piece into buf (cap bytes) when all its
 * strings are plain (vg_json_plain) and it fits: the same text as the
 * writer's calls in write_rule, at a fraction of their cost (every alert
 * writes one). Returns its length, 0 if left to the writer. */
static size_t rule_text(char *buf, size_t cap, const vg_rule_info *r)
{
	enum { MAX_TAGS = 32 };
	size_t lid = strlen(r->id), lti = strlen(r->title), lle = strlen(r->level), lna = strlen(r->name),
	       lpa = strlen(r->path), ltag[MAX_TAGS];
	if (r->ntags > MAX_TAGS)
		return 0;
	/* the fixed text is under 64 bytes; each tag adds its quotes and comma */
	size_t need = 64 + lid + lti + lle + lna + lpa;
	for (size_t i = 0; i < r->ntags; i++) {
		ltag[i] = strlen(r->tags[i]);
		need += ltag[i] + 3;
	}
	if (need > cap || !vg_json_plain(r->id, lid) || !vg_json_plain(r->title, lti) ||
	    !vg_json_plain(r->level, lle) || !vg_json_plain(r->name, lna) || !vg_json_plain(r->path, lpa))
		return 0;
	for (size_t i = 0; i < r->ntags; i++)
		if (!vg_json_plain(r->tags[i], ltag[i]))
			return 0;
	char *d = buf;
	d = LIT(d, "{\"id\":");
	d = put_plain_str(d, r->id, lid);
	d = LIT(d, ",\"title\":");
	d = put_plain_str(d, r->title, lti);
	d = LIT(d, ",\"level\":");
	d = put_plain_str(d, r->level, lle);
	d = LIT(d, ",\"tags\":[");
	for (size_t i = 0; i < r->ntags; i++) {
		if (i > 0)
			*d++ = ',';
		d = put_plain_str(d, r->tags[i], ltag[i]);
	}
	*d++ = ']';
	if (lna > 0) {
		d = LIT(d, ",\"name\":");
		d = put_plain_str(d, r->name, lna);
	}
	d = LIT(d, ",\"path\":");
	d = put_plain_str(d, r->path, lpa);
	*d++ = '}';
	return (size_t)(d - buf);
}

#undef LIT

/* The rule object (the value of "rule"). */
static void write_rule(vg_jsonw *w, const vg_rule_info *r)
{
	char buf[1024];
	size_t len = rule_text(buf, sizeof(buf), r);
	if (len > 0) {
		vg_jsonw_raw(w, buf, len);
		return;
	}
	vg_jsonw_obj_begin(w);
	vg_jsonw_key(w, "id", 2);
	vg_jsonw_str(w, r->id, strlen(r->id));
	vg_jsonw_key(w, "title", 5);
	vg_jsonw_str(w, r->title, strlen(r->title));
	vg_jsonw_key(w, "level", 5);
	vg_jsonw_str(w, r->level, strlen(r->level));
	vg_jsonw_key(w, "tags", 4);
	vg_jsonw_arr_begin(w);
	for (size_t i = 0; i < r->ntags; i++)
		vg_jsonw_str(w, r->tags[i], strlen(r->tags[i]));
	vg_jsonw_arr_end(w);
	if (r->name[0] != '\0') {
		vg_jsonw_key(w, "name", 4);
		vg_jsonw_str(w, r->name, strlen(r->name));
	}
	vg_jsonw_key(w, "path", 4);
	vg_jsonw_str(w, r->path, strlen(r->path));
	vg_jsonw_obj_end(w);
}

/* The decimal digits of v written backwards ending at end, two a step
 * (one division per two digits: a correlation alert writes a line number
 * per event); returns where they start (at most 20 bytes before end). */
static char *digits_back(char *end, uint64_t v)
{
	static const char d2[] = "00010203040506070809101112131415161718192021222324"
				 "25262728293031323334353637383940414243444546474849"
				 "50515253545556575859606162636465666768697071727374"
				 "75767778798081828384858687888990919293949596979899";
	for (; v >= 100; v /= 100) {
		end -= 2;
		memcpy(end, d2 + 2 * (v % 100), 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, d2 + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

/* Decimal text of v, as printf's %llu writes it, into buf (>= 21 bytes);
 * returns its length. */
static size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[24], *p = digits_back(tmp + sizeof(tmp), v);
	size_t n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	return n;
}

/* The event document: an alert when rule is set, else a plain event (the
 * archive's document: the same fields, event.kind "event", no rule object). */
static int event_doc(vg_buf *out, const vg_event *ev, const vg_rule_info *rule, vg_alert_part *part)
{
	struct ent ents[VG_MAX_FIELDS + 8];
	size_t n = 0;
	char ts[40], line[24];
	const char *layer = vg_layer_name(ev->layer);
#define SYN(nm, v, vl, t) ents[n] = (struct ent){nm, v, (uint32_t)strlen(nm), (uint32_t)(vl), (uint32_t)n, t}, n++
	if (ev->ts_us != VG_TS_NONE) {
		vg_format_ts(ev->ts_us, ts, sizeof(ts));
		SYN("@timestamp", ts, strlen(ts), VG_V_STR);
	}
	if (rule != NULL)
		SYN("event.kind", "alert", 5, VG_V_STR);
	else
		SYN("event.kind", "event", 5, VG_V_STR);
	SYN("event.original", ev->raw, ev->raw_len, VG_V_STR);
	/* in sorted order (line before path): fewer moves for sort_ents */
	{
		size_t ll = fmt_u64(line, ev->line);
		line[ll] = '\0';
		SYN("log.file.line", line, ll, VG_V_NUM);
	}
	SYN("log.file.path", ev->path, strlen(ev->path), VG_V_STR);
	SYN("vigil.format", ev->format, strlen(ev->format), VG_V_STR);
	SYN("vigil.layer", layer, strlen(layer), VG_V_STR);
#undef SYN
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const vg_field *f = &ev->fields[i];
		if (f->name_len == 0 || reserved(f->name, f->name_len))
			continue;
		ents[n] = (struct ent){f->name, f->val, f->name_len, f->val_len, (uint32_t)n, f->type};
		n++;
	}
	sort_ents(ents, n);
	size_t start = out->len, need = 256;
	for (size_t i = 0; i < n; i++)
		need += ents[i].name_len + ents[i].val_len + 8;
	if (out->cap - out->len < need && vg_buf_reserve(out, need) != 0)
		return VG_ENOMEM;
	vg_jsonw w;
	vg_jsonw_init(&w, out);
	vg_jsonw_obj_begin(&w);
	write_fields(&w, ents, n);
	size_t body = out->len - start;
	if (rule != NULL) {
		vg_jsonw_key(&w, "rule", 4);
		write_rule(&w, rule);
	}
	vg_jsonw_obj_end(&w);
	int r = vg_jsonw_finish(&w);
	if (r == 0)
		r = vg_buf_append(out, "\n", 1);
	if (r != 0)
		out->len = start; /* nothing half-written */
	if (part != NULL)
		*part = r == 0 ? (vg_alert_part){start, body} : (vg_alert_part){0, 0};
	return r;
}

/* The event part ends inside the top-level object, after its last field:
 * what follows there is ',"rule":' and the rule object. */
static int again(vg_buf *out, const vg_alert_part *part, const vg_rule_info *rule)
{
	if (part->off > out->len || part->len > out->len - part->off)
		return VG_EINVAL;
	size_t start = out->len;
	if (vg_buf_reserve(out, part->len + 8) != 0) /* reserve first: the source lies in out */
		return VG_ENOMEM;
	memcpy(out->data + out->len, out->data + part->off, part->len);
	out->len += part->len;
	vg_jsonw w;
	vg_jsonw_init(&w, out);
	int r = vg_buf_append(out, ",\"rule\":", 8);
	if (r == 0) {
		write_rule(&w, rule);
		r = vg_jsonw_finish(&w);
	}
	if (r == 0)
		r = vg_buf_append(out, "}\n", 2);
	if (r != 0)
		out->len = start;
	return r;
}

int vg_alert_json_event(vg_buf *out, const vg_event *ev, const vg_rule_info *rule, vg_alert_part *part)
{
	if (part != NULL && part->len != 0 && rule != NULL)
		return again(out, part, rule);
	return event_doc(out, ev, rule, part);
}

int vg_event_json(vg_buf *out, const vg_event *ev)
{
	return event_doc(out, ev, NULL, NULL);
}

int vg_event_json_flat(vg_buf *out, const vg_event *ev)
{
	/* a repeated name needs an array: the nested writer groups them */
	for (uint32_t i = 1; i < ev->nfields; i++)
		for (uint32_t j = 0; j < i; j++)
			if (ev->fields[i].hash == ev->fields[j].hash && ev->fields[i].name_len == ev->fields[j].name_len &&
			    memcmp(ev->fields[i].name, ev->fields[j].name, ev->fields[i].name_len) == 0 &&
			    !reserved(ev->fields[i].name, ev->fields[i].name_len))
				return event_doc(out, ev, NULL, NULL);
	size_t need = 256 + ev->raw_len + strlen(ev->path);
	for (uint32_t i = 0; i < ev->nfields; i++)
		need += ev->fields[i].name_len + ev->fields[i].val_len + 8;
	size_t start = out->len;
	if (out->cap - out->len < need && vg_buf_reserve(out, need) != 0)
		return VG_ENOMEM;
	char ts[40], line[24];
	vg_jsonw w;
	vg_jsonw_init(&w, out);
	vg_jsonw_obj_begin(&w);
#define KV(k, v, vl)                                       \
	do {                                               \
		vg_jsonw_key(&w, k, sizeof(k) - 1);        \
		vg_jsonw_str(&w, v, vl);                   \
	} while (0)
	if (ev->ts_us != VG_TS_NONE) {
		vg_format_ts(ev->ts_us, ts, sizeof(ts));
		KV("@timestamp", ts, strlen(ts));
	}
	KV("event.kind", "event", 5);
	KV("event.original", ev->raw, ev->raw_len);
	KV("log.file.path", ev->path, strlen(ev->path));
	char *lp = line + sizeof(line);
	uint64_t lv = ev->line;
	do {
		*--lp = (char)('0' + lv % 10);
		lv /= 10;
	} while (lv != 0);
	vg_jsonw_key(&w, "log.file.line", 13);
	vg_jsonw_num_text(&w, lp, (size_t)(line + sizeof(line) - lp));
	KV("vigil.format", ev->format, strlen(ev->format));
	const char *layer = vg_layer_name(ev->layer);
	KV("vigil.layer", layer, strlen(layer));
#undef KV
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const vg_field *f = &ev->fields[i];
		if (f->name_len == 0 || reserved(f->name, f->name_len))
			continue;
		struct ent e = {f->name, f->val, f->name_len, f->val_len, 0, f->type};
		vg_jsonw_key(&w, f->name, f->name_len);
		write_value(&w, &e);
	}
	vg_jsonw_obj_end(&w);
	int r = vg_jsonw_finish(&w);
	if (r == 0)
		r = vg_buf_append(out, "\n", 1);
	if (r != 0)
		out->len = start;
	return r;
}

/* ---- re-nesting a flat document ---- */

/* A JSON string at p[0..n) (p at the opening quote) unescaped into dst;
 * returns the bytes consumed, 0 if malformed. */
static size_t take_string(const char *p, size_t n, vg_buf *dst)
{
	if (n == 0 || p[0] != '"')
		return 0;
	size_t i = 1, run = 1;
	while (i < n) {
		char c = p[i];
		if (c == '"') {
			if (vg_buf_append(dst, p + run, i - run) != 0)
				return 0;
			return i + 1;
		}
		if ((unsigned char)c < 0x20)
			return 0;
		if (c != '\\') {
			i++;
			continue;
		}
		if (vg_buf_append(dst, p + run, i - run) != 0 || i + 1 >= n)
			return 0;
		char e = p[i + 1], o;
		i += 2;
		switch (e) {
		case '"': o = '"'; break;
		case '\\': o = '\\'; break;
		case '/': o = '/'; break;
		case 'b': o = '\b'; break;
		case 'f': o = '\f'; break;
		case 'n': o = '\n'; break;
		case 'r': o = '\r'; break;
		case 't': o = '\t'; break;
		case 'u': {
			unsigned cp = 0;
			if (i + 4 > n)
				return 0;
			for (int k = 0; k < 4; k++) {
				char h = p[i + k];
				cp = cp * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
								  : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99);
				if (cp > 0xFFFF)
					return 0;
			}
			i += 4;
			/* our writer only escapes control characters this way */
			if (cp >= 0x80)
				return 0;
			o = (char)cp;
			break;
		}
		default: return 0;
		}
		if (vg_buf_append(dst, &o, 1) != 0)
			return 0;
		run = i;
	}
	return 0;
}

#define RENEST_MAX VG_MAX_FIELDS + 16

int vg_event_json_renest(vg_buf *out, const char *doc, size_t len)
{
	struct ent ents[RENEST_MAX];
	size_t n = 0, i = 0;
	vg_buf tmp = {0};
	/* offsets into tmp (it may move while growing): name and value spans */
	uint32_t noff[RENEST_MAX], nlen[RENEST_MAX], voff[RENEST_MAX], vlen[RENEST_MAX];
	int flat = len > 2 && doc[0] == '{';
	i = 1;
	while (flat && i < len && doc[i] != '}') {
		if (n == RENEST_MAX) {
			flat = 0;
			break;
		}
		if (n > 0) {
			if (doc[i] != ',') {
				flat = 0;
				break;
			}
			i++;
		}
		size_t at = tmp.len, k = take_string(doc + i, len - i, &tmp);
		if (k == 0 || i + k >= len || doc[i + k] != ':') {
			flat = 0;
			break;
		}
		noff[n] = (uint32_t)at;
		nlen[n] = (uint32_t)(tmp.len - at);
		i += k + 1;
		uint8_t type = VG_V_STR;
		at = tmp.len;
		if (i >= len) {
			k = 0;
		} else if (doc[i] == '"') {
			k = take_string(doc + i, len - i, &tmp);
			type = VG_V_STR;
		} else if (doc[i] == '{' || doc[i] == '[') {
			k = 0; /* nested: not our flat form */
		} else {
			k = 0;
			while (i + k < len && doc[i + k] != ',' && doc[i + k] != '}')
				k++;
			if (vg_buf_append(&tmp, doc + i, k) != 0)
				k = 0;
			const char *v = doc + i;
			type = (k == 4 && memcmp(v, "true", 4) == 0) || (k == 5 && memcmp(v, "false", 5) == 0) ? VG_V_BOOL
			       : k == 4 && memcmp(v, "null", 4) == 0                                        ? VG_V_NULL
			       : vg_json_is_number(v, k)                                                     ? VG_V_NUM
												   : 255;
			if (type == 255)
				k = 0;
		}
		if (k == 0) {
			flat = 0;
			break;
		}
		voff[n] = (uint32_t)at;
		vlen[n] = (uint32_t)(tmp.len - at);
		ents[n].type = type;
		n++;
		i += k;
	}
	if (!flat || i + 1 != len || doc[i] != '}' || n == 0) {
		vg_buf_free(&tmp);
		int r = vg_buf_append(out, doc, len);
		return r == 0 ? vg_buf_append(out, "\n", 1) : r;
	}
	for (size_t j = 0; j < n; j++) {
		ents[j].name = tmp.data + noff[j];
		ents[j].name_len = nlen[j];
		ents[j].val = tmp.data + voff[j];
		ents[j].val_len = vlen[j];
		ents[j].idx = (uint32_t)j;
	}
	sort_ents(ents, n);
	size_t start = out->len;
	vg_jsonw w;
	vg_jsonw_init(&w, out);
	vg_jsonw_obj_begin(&w);
	write_fields(&w, ents, n);
	vg_jsonw_obj_end(&w);
	int r = vg_jsonw_finish(&w);
	if (r == 0)
		r = vg_buf_append(out, "\n", 1);
	if (r != 0)
		out->len = start;
	vg_buf_free(&tmp);
	return r;
}

/* A further event of a correlation alert with the previous one's path (so
 * not the array's first: the comma is due), appended in one piece as the
 * writer's calls would write it: the path's JSON text again, the line as
 * vg_jsonw_int writes it (line <= INT64_MAX). An alert lists up to
 * VG_MAX_CORR_EVENTS of them; the calls cost several times this. */
static void loc_again(vg_jsonw *w, const vg_jsonw_span *at, uint64_t line)
{
	static const char head[] = ",{\"path\":", mid[] = ",\"line\":";
	vg_buf *b = w->out;
	char num[24];
	size_t i = (size_t)(digits_back(num + sizeof(num), line) - num);
	size_t nd = sizeof(num) - i, need = sizeof(head) - 1 + at->len + sizeof(mid) - 1 + nd + 1;
	if (w->err != 0)
		return;
	/* reserved before the copy: the path's text lies in the same buffer */
	if (b->cap - b->len < need && vg_buf_reserve(b, need) != 0) {
		w->err = VG_ENOMEM;
		return;
	}
	char *d = b->data + b->len;
	memcpy(d, head, sizeof(head) - 1);
	d += sizeof(head) - 1;
	memcpy(d, b->data + at->off, at->len);
	d += at->len;
	memcpy(d, mid, sizeof(mid) - 1);
	d += sizeof(mid) - 1;
	memcpy(d, num + i, nd);
	d[nd] = '}';
	b->len += need;
}

static const char *corr_type_name(enum vg_corr_type t)
{
	switch (t) {
	case VG_CORR_EVENT_COUNT: return "event_count";
	case VG_CORR_VALUE_COUNT: return "value_count";
	case VG_CORR_TEMPORAL: return "temporal";
	default: return "temporal_ordered";
	}
}

int vg_alert_json_corr(vg_buf *out, const vg_engine *e, const vg_corr_alert *a)
{
	struct ent ents[8 + 64];
	size_t n = 0;
	char last[40], first[40], line[24];
#define SYN(nm, v, t) ents[n] = (struct ent){nm, v, (uint32_t)strlen(nm), (uint32_t)strlen(v), (uint32_t)n, t}, n++
	if (a->last_us != VG_TS_NONE) {
		vg_format_ts(a->last_us, last, sizeof(last));
		SYN("@timestamp", last, VG_V_STR);
		SYN("event.end", last, VG_V_STR);
	}
	if (a->first_us != VG_TS_NONE) {
		vg_format_ts(a->first_us, first, sizeof(first));
		SYN("event.start", first, VG_V_STR);
	}
	SYN("event.kind", "alert", VG_V_STR);
	if (a->nlocs > 0) {
		line[fmt_u64(line, a->locs[a->nlocs - 1].line)] = '\0';
		SYN("log.file.path", a->locs[a->nlocs - 1].path, VG_V_STR);
		SYN("log.file.line", line, VG_V_NUM);
	}
#undef SYN
	/* the group-by values also as fields, so a correlation alert on source.ip
	 * can be searched like any alert on source.ip */
	for (size_t i = 0; i < a->ngroup && n < sizeof(ents) / sizeof(ents[0]); i++) {
		const char *nm = a->group_names[i];
		size_t len = strlen(nm);
		if (len == 0 || reserved(nm, len) || (len >= 5 && memcmp(nm, "event", 5) == 0 && (len == 5 || nm[5] == '.')) ||
		    (len >= 11 && memcmp(nm, "correlation", 11) == 0 && (len == 11 || nm[11] == '.')))
			continue;
		ents[n] = (struct ent){nm, a->group_values[i], (uint32_t)len, (uint32_t)strlen(a->group_values[i]), (uint32_t)n, VG_V_STR};
		n++;
	}
	sort_ents(ents, n);
	const vg_corr_def *def = vg_engine_corr_def(e, a->rule_idx);
	const char *type = corr_type_name(def != NULL ? def->type : VG_CORR_EVENT_COUNT);
	size_t start = out->len;
	vg_jsonw w;
	vg_jsonw_init(&w, out);
	vg_jsonw_obj_begin(&w);
	write_fields(&w, ents, n);
	vg_jsonw_key(&w, "correlation", 11);
	vg_jsonw_obj_begin(&w);
	vg_jsonw_key(&w, "type", 4);
	vg_jsonw_str(&w, type, strlen(type));
	vg_jsonw_key(&w, "count", 5);
	vg_jsonw_int(&w, (int64_t)a->count);
	vg_jsonw_key(&w, "group_by", 8);
	vg_jsonw_obj_begin(&w);
	for (size_t i = 0; i < a->ngroup; i++) {
		vg_jsonw_key(&w, a->group_names[i], strlen(a->group_names[i]));
		vg_jsonw_str(&w, a->group_values[i], strlen(a->group_values[i]));
	}
	vg_jsonw_obj_end(&w);
	vg_jsonw_key(&w, "events", 6);
	vg_jsonw_arr_begin(&w);
	/* the events mostly share one path (the same interned copy): it is
	 * escaped once and then copied */
	const char *path = NULL;
	vg_jsonw_span path_at = {0};
	for (size_t i = 0; i < a->nlocs; i++) {
		if (a->locs[i].path == path && a->locs[i].line <= INT64_MAX) {
			loc_again(&w, &path_at, a->locs[i].line);
			continue;
		}
		vg_jsonw_obj_begin(&w);
		vg_jsonw_key(&w, "path", 4);
		if (a->locs[i].path == path) {
			vg_jsonw_again(&w, &path_at);
		} else {
			path = a->locs[i].path;
			vg_jsonw_str_at(&w, path, strlen(path), &path_at);
		}
		vg_jsonw_key(&w, "line", 4);
		vg_jsonw_int(&w, (int64_t)a->locs[i].line);
		vg_jsonw_obj_end(&w);
	}
	vg_jsonw_arr_end(&w);
	vg_jsonw_obj_end(&w);
	vg_jsonw_key(&w, "rule", 4);
	write_rule(&w, a->rule);
	vg_jsonw_obj_end(&w);
	int r = vg_jsonw_finish(&w);
	if (r == 0)
		r = vg_buf_append(out, "\n", 1);
	if (r != 0)
		out->len = start;
	return r;
}
