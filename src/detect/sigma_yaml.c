/* sigma_yaml.c — libyaml event stream to vg_ynode trees (see sigma_yaml.h).
 * Containers are built on a bounded stack of growable vectors and copied into
 * the arena when they close; scalars are resolved the way PyYAML does. */
#include "detect/sigma_yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/limits.h"

struct frame {
	vg_ynode *node;
	vg_ynode **v; /* SEQ items, or MAP keys and values interleaved */
	size_t n, cap;
};

struct builder {
	vg_arena *a;
	struct frame st[VG_MAX_RULE_DEPTH + 1];
	size_t depth;
	vg_ynode **docs;
	size_t ndocs, capdocs;
	char *err;
	size_t errlen;
};

static int push_child(struct frame *f, vg_ynode *c)
{
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 8;
		vg_ynode **nv = realloc(f->v, nc * sizeof(*nv));
		if (nv == NULL)
			return VG_ENOMEM;
		f->v = nv;
		f->cap = nc;
	}
	f->v[f->n++] = c;
	return 0;
}

static int is_digit_in(char c, int base)
{
	if (base == 16)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	if (base == 8)
		return c >= '0' && c <= '7';
	if (base == 2)
		return c == '0' || c == '1';
	return c >= '0' && c <= '9';
}

/* YAML 1.1 int forms (sign, 0b, 0x, leading-0 octal, decimal; '_' ignored). */
static int parse_int(const char *s, size_t n, long long *out)
{
	size_t i = 0;
	int neg = 0, base = 10;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i >= n)
		return 0;
	if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'b')) {
		base = s[i + 1] == 'x' ? 16 : 2;
		i += 2;
	} else if (n - i > 1 && s[i] == '0') {
		base = 8;
		i++;
	}
	unsigned long long v = 0;
	int digits = 0;
	for (; i < n; i++) {
		if (s[i] == '_')
			continue;
		if (!is_digit_in(s[i], base))
			return 0;
		unsigned d = (unsigned)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
		if (v > (ULLONG_MAX - d) / (unsigned)base)
			return 0;
		v = v * (unsigned)base + d;
		digits++;
	}
	if (digits == 0 && base != 8)
		return 0;
	if (s[(s[0] == '-' || s[0] == '+') ? 1 : 0] == '_')
		return 0;
	if (v > (unsigned long long)LLONG_MAX + (unsigned)neg)
		return 0;
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 1;
}

/* [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)? with at least one digit. */
static int parse_float(const char *s, size_t n, double *out)
{
	size_t i = 0, digits = 0;
	char tmp[64];
	size_t t = 0;
	if (n >= sizeof(tmp))
		return 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		tmp[t++] = s[i++];
	for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
		if (s[i] != '_') {
			tmp[t++] = s[i];
			digits++;
		}
	if (i >= n || s[i] != '.')
		return 0;
	tmp[t++] = s[i++];
	for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
		if (s[i] != '_') {
			tmp[t++] = s[i];
			digits++;
		}
	if (digits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		tmp[t++] = s[i++];
		if (i < n && (s[i] == '-' || s[i] == '+'))
			tmp[t++] = s[i++];
		size_t e0 = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			tmp[t++] = s[i];
		if (i == e0)
			return 0;
	}
	if (i != n)
		return 0;
	tmp[t] = '\0';
	errno = 0;
	*out = strtod(tmp, NULL);
	return errno == 0;
}

static int eq_any(const char *s, size_t n, const char *const *words)
{
	for (size_t i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return 1;
	return 0;
}

static void resolve_scalar(vg_arena *a, vg_ynode *nd, const yaml_event_t *ev)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
	static const char *const falses[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};
	nd->kind = VG_YK_STR;
	const char *tag = (const char *)ev->data.scalar.tag;
	if (tag != NULL && strcmp(tag, "tag:yaml.org,2002:str") == 0)
		return;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !ev->data.scalar.plain_implicit)
		return;
	const char *s = nd->str;
	size_t n = nd->len;
	long long iv;
	double dv;
	char buf[40];
	if (eq_any(s, n, nulls)) {
		nd->kind = VG_YK_NULL;
	} else if (eq_any(s, n, trues)) {
		nd->kind = VG_YK_BOOL;
		nd->bval = 1;
	} else if (eq_any(s, n, falses)) {
		nd->kind = VG_YK_BOOL;
		nd->bval = 0;
	} else if (parse_int(s, n, &iv)) {
		nd->kind = VG_YK_INT;
		snprintf(buf, sizeof(buf), "%lld", iv);
		nd->num = vg_arena_strndup(a, buf, strlen(buf));
	} else if (parse_float(s, n, &dv)) {
		nd->kind = VG_YK_FLOAT;
		/* pySigma keeps a float that equals an int as that int. */
		if (dv >= -9e15 && dv <= 9e15 && dv == (double)(long long)dv) {
			snprintf(buf, sizeof(buf), "%lld", (long long)dv);
		} else {
			for (int prec = 15; prec <= 17; prec++) {
				snprintf(buf, sizeof(buf), "%.*g", prec, dv);
				if (strtod(buf, NULL) == dv)
					break;
			}
		}
		nd->num = vg_arena_strndup(a, buf, strlen(buf));
	}
	if ((nd->kind == VG_YK_INT || nd->kind == VG_YK_FLOAT) && nd->num == NULL)
		nd->kind = VG_YK_STR; /* out of memory: keep it a string */
}

static vg_ynode *node_new(struct builder *b, uint8_t type, const yaml_event_t *ev)
{
	vg_ynode *nd = vg_arena_alloc(b->a, sizeof(*nd));
	if (nd == NULL)
		return NULL;
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->line = (uint32_t)ev->start_mark.line + 1;
	nd->col = (uint32_t)ev->start_mark.column + 1;
	return nd;
}

static void set_err(struct builder *b, const yaml_event_t *ev, const char *msg)
{
	snprintf(b->err, b->errlen, "line %zu:%zu: %s", (size_t)ev->start_mark.line + 1,
		 (size_t)ev->start_mark.column + 1, msg);
}

/* Attach a finished node to its parent (or the document list). */
static int attach(struct builder *b, vg_ynode *nd, const yaml_event_t *ev)
{
	if (b->depth == 0) {
		if (b->ndocs == b->capdocs) {
			size_t nc = b->capdocs ? b->capdocs * 2 : 4;
			vg_ynode **nv = realloc(b->docs, nc * sizeof(*nv));
			if (nv == NULL)
				return VG_ENOMEM;
			b->docs = nv;
			b->capdocs = nc;
		}
		b->docs[b->ndocs++] = nd;
		return 0;
	}
	struct frame *f = &b->st[b->depth - 1];
	if (f->node->type == VG_Y_MAP && f->n % 2 == 0 && nd->type != VG_Y_SCALAR) {
		set_err(b, ev, "only scalar mapping keys are supported");
		return VG_EUNSUPPORTED;
	}
	return push_child(f, nd);
}

static int close_frame(struct builder *b)
{
	struct frame *f = &b->st[b->depth - 1];
	vg_ynode *nd = f->node;
	int r = 0;
	if (nd->type == VG_Y_SEQ) {
		nd->n = f->n;
		if (f->n != 0) {
			nd->items = vg_arena_alloc(b->a, f->n * sizeof(*nd->items));
			if (nd->items == NULL)
				r = VG_ENOMEM;
			else
				memcpy(nd->items, f->v, f->n * sizeof(*nd->items));
		}
	} else {
		nd->n = f->n / 2;
		if (nd->n != 0) {
			nd->items = vg_arena_alloc(b->a, nd->n * sizeof(*nd->items));
			nd->keys = vg_arena_alloc(b->a, nd->n * sizeof(*nd->keys));
			if (nd->items == NULL || nd->keys == NULL) {
				r = VG_ENOMEM;
			} else {
				for (size_t i = 0; i < nd->n; i++) {
					nd->keys[i] = f->v[2 * i];
					nd->items[i] = f->v[2 * i + 1];
				}
			}
		}
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
	b->depth--;
	return r;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	vg_ynode *nd;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		set_err(b, ev, "YAML aliases are not supported");
		return VG_EUNSUPPORTED;
	case YAML_SCALAR_EVENT:
		if ((nd = node_new(b, VG_Y_SCALAR, ev)) == NULL)
			return VG_ENOMEM;
		nd->len = ev->data.scalar.length;
		if ((nd->str = vg_arena_strndup(b->a, (const char *)ev->data.scalar.value, nd->len)) == NULL)
			return VG_ENOMEM;
		resolve_scalar(b->a, nd, ev);
		return attach(b, nd, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth >= VG_MAX_RULE_DEPTH) {
			set_err(b, ev, "nesting too deep");
			return VG_ELIMIT;
		}
		if ((nd = node_new(b, ev->type == YAML_SEQUENCE_START_EVENT ? VG_Y_SEQ : VG_Y_MAP, ev)) == NULL)
			return VG_ENOMEM;
		{
			int r = attach(b, nd, ev);
			if (r != 0)
				return r;
		}
		b->st[b->depth].node = nd;
		b->st[b->depth].v = NULL;
		b->st[b->depth].n = b->st[b->depth].cap = 0;
		b->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return b->depth > 0 ? close_frame(b) : VG_EPARSE;
	case YAML_DOCUMENT_START_EVENT:
		if (b->ndocs >= VG_YAML_MAX_DOCS) {
			set_err(b, ev, "too many YAML documents");
			return VG_ELIMIT;
		}
		return 0;
	default:
		return 0;
	}
}

int vg_yaml_parse(vg_arena *a, const char *buf, size_t len, vg_ydoc_list *out, char *err, size_t errlen)
{
	yaml_parser_t p;
	struct builder b;
	int r = 0;
	memset(&b, 0, sizeof(b));
	b.a = a;
	b.err = err;
	b.errlen = errlen;
	out->docs = NULL;
	out->n = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (!yaml_parser_initialize(&p))
		return VG_ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			snprintf(err, errlen, "line %zu:%zu: %s%s%s", (size_t)p.problem_mark.line + 1,
				 (size_t)p.problem_mark.column + 1, p.problem ? p.problem : "syntax error",
				 p.context ? " " : "", p.context ? p.context : "");
			r = p.error == YAML_MEMORY_ERROR ? VG_ENOMEM : VG_EPARSE;
			break;
		}
		int stream_end = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (r != 0 || stream_end)
			break;
	}
	yaml_parser_delete(&p);
	while (b.depth > 0) {
		free(b.st[b.depth - 1].v);
		b.depth--;
	}
	if (r == 0 && b.ndocs > 0) {
		out->docs = vg_arena_alloc(a, b.ndocs * sizeof(*out->docs));
		if (out->docs == NULL)
			r = VG_ENOMEM;
		else {
			memcpy(out->docs, b.docs, b.ndocs * sizeof(*out->docs));
			out->n = b.ndocs;
		}
	}
	if (r == VG_ENOMEM && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	free(b.docs);
	return r;
}

const vg_ynode *vg_yaml_get(const vg_ynode *map, const char *key)
{
	if (map == NULL || map->type != VG_Y_MAP)
		return NULL;
	size_t kl = strlen(key);
	for (size_t i = map->n; i-- > 0;)
		if (map->keys[i]->len == kl && memcmp(map->keys[i]->str, key, kl) == 0)
			return map->items[i];
	return NULL;
}

const char *vg_yaml_str(const vg_ynode *node)
{
	return node != NULL && node->type == VG_Y_SCALAR ? node->str : NULL;
}
