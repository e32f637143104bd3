/* config.c — key tables: value parsers, the YAML loader (libyaml events,
 * flattened to dotted names and staged until the whole file is valid),
 * flag overrides, help and dump (see config.h). */
#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* ---------------------------------------------------------------- values */

/* A parsed value, staged before it is committed to the caller's struct. */
struct cval {
	bool set;
	uint32_t line; /* where the file set it (duplicate messages) */
	char *s;
	bool b;
	int64_t i;
	uint64_t u;
	int e;
	vg_config_list l;
};

static void wipe_free(char *s, bool secret)
{
	if (s == NULL)
		return;
	if (secret)
		explicit_bzero(s, strlen(s));
	free(s);
}

static void list_free(vg_config_list *l, bool secret)
{
	for (size_t i = 0; i < l->n; i++)
		wipe_free(l->v[i], secret);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void cval_free(const vg_config_key *k, struct cval *v)
{
	bool secret = (k->flags & VG_CFG_SECRET) != 0;
	wipe_free(v->s, secret);
	v->s = NULL;
	list_free(&v->l, secret);
	v->set = false;
}

static bool is_stringish(int type)
{
	return type == VG_CFG_STRING || type == VG_CFG_PATH || type == VG_CFG_ADDR || type == VG_CFG_HOSTPORT;
}

static const char *type_name(int type)
{
	switch (type) {
	case VG_CFG_STRING: return "string";
	case VG_CFG_PATH: return "path";
	case VG_CFG_ADDR: return "addr";
	case VG_CFG_HOSTPORT: return "host:port";
	case VG_CFG_BOOL: return "bool";
	case VG_CFG_INT: return "int";
	case VG_CFG_BYTES: return "bytes";
	case VG_CFG_DURATION: return "duration";
	case VG_CFG_ENUM: return "enum";
	case VG_CFG_LIST: return "list";
	default: return "?";
	}
}

/* Copies s[0..len) for a message: at most 60 bytes, control bytes as '?'. */
static void show(char *out, size_t cap, const char *s, size_t len)
{
	size_t max = 60, o = 0;
	bool cut = len > max;
	if (cut) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--; /* do not split a UTF-8 sequence */
	}
	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (cut)
		for (int i = 0; i < 3 && o + 1 < cap; i++)
			out[o++] = '.';
	if (cap > 0)
		out[o] = '\0';
}

/* Checks text as a value: bounded, valid UTF-8, printable (so that dumps
 * are valid YAML that loads back). */
static int check_text(const char *s, size_t len, char *msg, size_t msglen)
{
	if (len > VG_CONFIG_MAX_VALUE) {
		snprintf(msg, msglen, "value longer than %d bytes", VG_CONFIG_MAX_VALUE);
		return VG_EPARSE;
	}
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t c = p[i];
		size_t k;
		if (c < 0x80) {
			k = 1;
		} else if (c >= 0xC2 && c <= 0xDF) {
			k = 2;
			c &= 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 3;
			c &= 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 4;
			c &= 0x07;
		} else {
			goto bad_utf8;
		}
		if (len - i < k)
			goto bad_utf8;
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xC0) != 0x80)
				goto bad_utf8;
			c = c << 6 | (p[i + j] & 0x3F);
		}
		if ((k == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
		    (k == 4 && (c < 0x10000 || c > 0x10FFFF)))
			goto bad_utf8;
		if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xFFFE || c == 0xFFFF) {
			snprintf(msg, msglen, "value contains a control character");
			return VG_EPARSE;
		}
		i += k;
	}
	return 0;
bad_utf8:
	snprintf(msg, msglen, "value is not valid UTF-8");
	return VG_EPARSE;
}

/* Decimal digits to uint64 not above max; 0 or VG_EPARSE. *end: first non-digit. */
static int parse_digits(const char *s, uint64_t max, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return VG_EPARSE;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return VG_EPARSE;
		v = v * 10 + d;
	}
	*out = v;
	*end = p;
	return 0;
}

static int parse_int(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	uint64_t v;
	const char *end;
	if (parse_digits(s + neg, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v, &end) != 0 ||
	    *end != '\0')
		return VG_EPARSE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const t[] = {"true", "yes", "on"}, *const f[] = {"false", "no", "off"};
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, t[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, f[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return VG_EPARSE;
}

struct unit {
	const char *name;
	uint64_t mult;
};

static const struct unit byte_units[] = {
	{"PiB", 1ull << 50}, {"TiB", 1ull << 40}, {"GiB", 1ull << 30}, {"MiB", 1ull << 20},
	{"KiB", 1ull << 10}, {"PB", 1000000000000000ull}, {"TB", 1000000000000ull},
	{"GB", 1000000000ull}, {"MB", 1000000ull}, {"KB", 1000ull}, {"B", 1},
};
static const struct unit dur_units[] = {
	{"d", 86400000ull}, {"h", 3600000ull}, {"m", 60000ull}, {"s", 1000ull}, {"ms", 1},
};

/* number [spaces] [unit]; units compared with cmp. */
static int parse_scaled(const char *s, const struct unit *u, size_t nu, uint64_t plain, uint64_t max,
			bool nocase, uint64_t *out)
{
	uint64_t v, mult = 0;
	const char *p;
	if (parse_digits(s, UINT64_MAX, &v, &p) != 0)
		return VG_EPARSE;
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		mult = plain;
	} else {
		for (size_t i = 0; i < nu; i++)
			if ((nocase ? strcasecmp(p, u[i].name) : strcmp(p, u[i].name)) == 0)
				mult = u[i].mult;
	}
	if (mult == 0 || (v != 0 && v > max / mult))
		return VG_EPARSE;
	*out = v * mult;
	return 0;
}

int vg_config_parse_bytes(const char *s, uint64_t *out)
{
	return parse_scaled(s, byte_units, sizeof(byte_units) / sizeof(byte_units[0]), 1, VG_CONFIG_MAX_BYTES,
			    true, out);
}

int vg_config_parse_duration_ms(const char *s, uint64_t *out)
{
	return parse_scaled(s, dur_units, sizeof(dur_units) / sizeof(dur_units[0]), 1000,
			    VG_CONFIG_MAX_DURATION_MS, false, out);
}

/* The shortest exact spelling: largest unit that divides v. */
static void fmt_scaled(char *out, size_t cap, uint64_t v, const struct unit *u, size_t nu)
{
	for (size_t i = 0; i < nu && v != 0; i++) {
		if (v % u[i].mult == 0) {
			snprintf(out, cap, "%llu%s", (unsigned long long)(v / u[i].mult), u[i].name);
			return;
		}
	}
	snprintf(out, cap, "%llu", (unsigned long long)v);
}

static void fmt_bytes(char *out, size_t cap, uint64_t v)
{
	/* "B" is spelt as a plain number */
	fmt_scaled(out, cap, v, byte_units, sizeof(byte_units) / sizeof(byte_units[0]) - 1);
}

static void fmt_duration(char *out, size_t cap, uint64_t ms)
{
	fmt_scaled(out, cap, ms, dur_units, sizeof(dur_units) / sizeof(dur_units[0]));
}

static bool dns_name_ok(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	size_t lab = 0;
	bool digits_only = true;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? h[i] : '.';
		if (c == '.') {
			if (lab == 0 || lab > 63 || h[i - 1] == '-')
				return false;
			if (i < n)
				digits_only = true;
			lab = 0;
			continue;
		}
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool digit = c >= '0' && c <= '9';
		if (!alpha && !digit && !(c == '-' && lab > 0))
			return false;
		if (!digit)
			digits_only = false;
		lab++;
	}
	return !digits_only; /* "1.2.3.999" is a broken address, not a name */
}

/* 0 or VG_EPARSE with the reason in msg. */
static int addr_check(const char *s, bool allow_name, char *msg, size_t msglen)
{
	char host[256];
	const char *port;
	size_t hl;
	char sh[80];
	show(sh, sizeof(sh), s, strlen(s));
	const char *form = allow_name ? "HOST:PORT or [IPV6]:PORT" : "IPV4:PORT or [IPV6]:PORT (numeric)";
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			goto bad;
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		unsigned char a6[16];
		if (inet_pton(AF_INET6, host, a6) != 1)
			goto bad;
		port = rb + 2;
	} else {
		const char *c = strrchr(s, ':');
		if (c == NULL)
			goto bad;
		hl = (size_t)(c - s);
		if (hl >= sizeof(host) || memchr(s, ':', hl) != NULL)
			goto bad;
		memcpy(host, s, hl);
		host[hl] = '\0';
		unsigned char a4[4];
		if (inet_pton(AF_INET, host, a4) != 1 && !(allow_name && dns_name_ok(host, hl)))
			goto bad;
		port = c + 1;
	}
	uint64_t pv;
	const char *end;
	if (parse_digits(port, 99999, &pv, &end) != 0 || *end != '\0' || end - port > 5 || pv < 1 || pv > 65535) {
		snprintf(msg, msglen, "port must be 1..65535 in '%s'", sh);
		return VG_EPARSE;
	}
	return 0;
bad:
	snprintf(msg, msglen, "expected %s, got '%s'", form, sh);
	return VG_EPARSE;
}

int vg_config_parse_addr(const char *s, bool allow_name)
{
	char msg[8];
	return addr_check(s, allow_name, msg, sizeof(msg));
}

static bool has_range(const vg_config_key *k)
{
	return k->min != k->max;
}

static void fmt_num(const vg_config_key *k, char *out, size_t cap, int64_t v)
{
	if (k->type == VG_CFG_BYTES)
		fmt_bytes(out, cap, (uint64_t)v);
	else if (k->type == VG_CFG_DURATION)
		fmt_duration(out, cap, (uint64_t)v);
	else
		snprintf(out, cap, "%lld", (long long)v);
}

static int range_check(const vg_config_key *k, int64_t v, char *msg, size_t msglen)
{
	if (!has_range(k) || (v >= k->min && v <= k->max))
		return 0;
	char a[32], b[32], c[32];
	fmt_num(k, a, sizeof(a), k->min);
	fmt_num(k, b, sizeof(b), k->max);
	fmt_num(k, c, sizeof(c), v);
	snprintf(msg, msglen, "must be between %s and %s, got %s", a, b, c);
	return VG_EPARSE;
}

/* Parses the text of a scalar (NUL-terminated, len bytes) for key k into v,
 * which must be empty. Lists take one item. */
static int parse_value(const vg_config_key *k, const char *s, size_t len, struct cval *v, char *msg,
		       size_t msglen)
{
	int r;
	char sh[80];
	if ((r = check_text(s, len, msg, msglen)) != 0)
		return r;
	if (strlen(s) != len) {
		snprintf(msg, msglen, "value contains a control character");
		return VG_EPARSE;
	}
	show(sh, sizeof(sh), s, len);
	if (k->type == VG_CFG_LIST) {
		if (len == 0) {
			snprintf(msg, msglen, "list item must not be empty");
			return VG_EPARSE;
		}
		char **nv = malloc(sizeof(*nv));
		if (nv == NULL || (nv[0] = strdup(s)) == NULL) {
			free(nv);
			return VG_ENOMEM;
		}
		v->l.v = nv;
		v->l.n = 1;
		return 0;
	}
	if (is_stringish(k->type)) {
		if (len == 0 && !(k->flags & VG_CFG_OPTIONAL)) {
			snprintf(msg, msglen, "must not be empty");
			return VG_EPARSE;
		}
		if (len > 0 && (k->type == VG_CFG_ADDR || k->type == VG_CFG_HOSTPORT) &&
		    (r = addr_check(s, k->type == VG_CFG_HOSTPORT, msg, msglen)) != 0)
			return r;
		if ((v->s = strdup(s)) == NULL)
			return VG_ENOMEM;
		return 0;
	}
	switch (k->type) {
	case VG_CFG_BOOL:
		if (parse_bool(s, &v->b) != 0) {
			snprintf(msg, msglen, "expected true or false, got '%s'", sh);
			return VG_EPARSE;
		}
		return 0;
	case VG_CFG_INT:
		if (parse_int(s, &v->i) != 0) {
			snprintf(msg, msglen, "expected an integer, got '%s'", sh);
			return VG_EPARSE;
		}
		return range_check(k, v->i, msg, msglen);
	case VG_CFG_BYTES:
		if (vg_config_parse_bytes(s, &v->u) != 0) {
			snprintf(msg, msglen,
				 "expected a size such as 64MiB, 500KB or 1048576 (at most 1EiB), got '%s'", sh);
			return VG_EPARSE;
		}
		return range_check(k, (int64_t)v->u, msg, msglen);
	case VG_CFG_DURATION:
		if (vg_config_parse_duration_ms(s, &v->u) != 0) {
			snprintf(msg, msglen,
				 "expected a duration such as 100ms, 30s, 5m, 24h or 7d (at most 36500d), got '%s'",
				 sh);
			return VG_EPARSE;
		}
		return range_check(k, (int64_t)v->u, msg, msglen);
	case VG_CFG_ENUM:
		for (int i = 0; k->words != NULL && k->words[i] != NULL; i++) {
			if (strcmp(s, k->words[i]) == 0) {
				v->e = i;
				return 0;
			}
		}
		{
			size_t o = (size_t)snprintf(msg, msglen, "expected one of ");
			for (int i = 0; k->words != NULL && k->words[i] != NULL && o < msglen; i++)
				o += (size_t)snprintf(msg + o, msglen - o, "%s%s", i ? ", " : "", k->words[i]);
			if (o < msglen)
				snprintf(msg + o, msglen - o, "; got '%s'", sh);
		}
		return VG_EPARSE;
	default:
		snprintf(msg, msglen, "key has an unknown type");
		return VG_EPARSE;
	}
}

/* Appends one item to a staged list (copied, checked). */
static int list_add(const vg_config_key *k, struct cval *v, const char *s, size_t len, char *msg, size_t msglen)
{
	if (v->l.n >= VG_CONFIG_MAX_LIST) {
		snprintf(msg, msglen, "more than %d items", VG_CONFIG_MAX_LIST);
		return VG_ELIMIT;
	}
	struct cval one = {0};
	int r = parse_value(k, s, len, &one, msg, msglen);
	if (r != 0)
		return r;
	char **nv = realloc(v->l.v, (v->l.n + 1) * sizeof(*nv));
	if (nv == NULL) {
		cval_free(k, &one);
		return VG_ENOMEM;
	}
	nv[v->l.n++] = one.l.v[0];
	v->l.v = nv;
	free(one.l.v);
	return 0;
}

/* Moves a staged value into the struct, freeing what was there when
 * free_old. v is left empty. */
static void store(const vg_config_key *k, void *s, struct cval *v, bool free_old)
{
	char *f = (char *)s + k->offset;
	bool secret = (k->flags & VG_CFG_SECRET) != 0;
	switch (k->type) {
	case VG_CFG_STRING:
	case VG_CFG_PATH:
	case VG_CFG_ADDR:
	case VG_CFG_HOSTPORT: {
		char **p = (char **)(void *)f;
		if (free_old)
			wipe_free(*p, secret);
		*p = v->s;
		v->s = NULL;
		break;
	}
	case VG_CFG_BOOL: *(bool *)(void *)f = v->b; break;
	case VG_CFG_INT: *(int64_t *)(void *)f = v->i; break;
	case VG_CFG_BYTES:
	case VG_CFG_DURATION: *(uint64_t *)(void *)f = v->u; break;
	case VG_CFG_ENUM: *(int *)(void *)f = v->e; break;
	case VG_CFG_LIST: {
		vg_config_list *l = (vg_config_list *)(void *)f;
		if (free_old)
			list_free(l, secret);
		*l = v->l;
		v->l.v = NULL;
		v->l.n = 0;
		break;
	}
	default: break;
	}
	v->set = false;
}

/* ---------------------------------------------------------------- tables */

static bool is_section_of(const char *section, size_t slen, const char *name)
{
	return strncmp(name, section, slen) == 0 && name[slen] == '.';
}

static long find_key(const vg_config_key *t, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && memcmp(t[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

static bool is_section(const vg_config_key *t, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (is_section_of(name, len, t[i].name))
			return true;
	return false;
}

const vg_config_key *vg_config_find(const vg_config_key *t, size_t n, const char *name)
{
	long i = find_key(t, n, name, strlen(name));
	return i < 0 ? NULL : &t[i];
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s), seg = 0;
	if (n == 0 || n > VG_CONFIG_MAX_NAME)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (seg == 0)
				return false;
			seg = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
			seg++;
		} else {
			return false;
		}
	}
	return true;
}

/* Parses a default into v (lists: "" or NULL is empty, else one item). */
static int parse_default(const vg_config_key *k, struct cval *v, char *msg, size_t msglen)
{
	const char *d = k->def != NULL ? k->def : "";
	if (k->type == VG_CFG_LIST && d[0] == '\0')
		return 0;
	return parse_value(k, d, strlen(d), v, msg, msglen);
}

int vg_config_check_table(const vg_config_key *t, size_t n, char *why, size_t whylen)
{
	char msg[256];
	for (size_t i = 0; i < n; i++) {
		const vg_config_key *k = &t[i];
		if (k->name == NULL || !name_ok(k->name)) {
			snprintf(why, whylen, "row %zu: bad key name", i);
			return VG_EINVAL;
		}
		if (k->help == NULL || k->help[0] == '\0' || strchr(k->help, '\n') != NULL) {
			snprintf(why, whylen, "key '%s': help must be one non-empty line", k->name);
			return VG_EINVAL;
		}
		if (k->type < VG_CFG_STRING || k->type > VG_CFG_LIST) {
			snprintf(why, whylen, "key '%s': unknown type", k->name);
			return VG_EINVAL;
		}
		if (k->type == VG_CFG_ENUM && (k->words == NULL || k->words[0] == NULL)) {
			snprintf(why, whylen, "key '%s': enum without words", k->name);
			return VG_EINVAL;
		}
		if (has_range(k) && (k->min > k->max || ((k->type == VG_CFG_BYTES || k->type == VG_CFG_DURATION) &&
							   k->min < 0))) {
			snprintf(why, whylen, "key '%s': bad range", k->name);
			return VG_EINVAL;
		}
		size_t len = strlen(k->name);
		for (size_t j = 0; j < n; j++) {
			if (j == i)
				continue;
			if (strcmp(t[j].name, k->name) == 0) {
				snprintf(why, whylen, "key '%s': defined twice", k->name);
				return VG_EINVAL;
			}
			if (is_section_of(k->name, len, t[j].name)) {
				snprintf(why, whylen, "key '%s' is also the section of '%s'", k->name, t[j].name);
				return VG_EINVAL;
			}
		}
		/* every section of this key: earlier rows of it must directly precede */
		for (const char *dot = strchr(k->name, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
			size_t sl = (size_t)(dot - k->name);
			bool seen = false, gap = false;
			for (size_t j = 0; j < i; j++) {
				bool in = is_section_of(k->name, sl, t[j].name);
				if (in && gap) {
					break;
				}
				if (in)
					seen = true;
				else if (seen)
					gap = true;
			}
			if (seen && gap) {
				snprintf(why, whylen, "key '%s': rows of section '%.*s' are not contiguous", k->name,
					 (int)sl, k->name);
				return VG_EINVAL;
			}
		}
		struct cval v = {0};
		int r = parse_default(k, &v, msg, sizeof(msg));
		cval_free(k, &v);
		if (r != 0) {
			snprintf(why, whylen, "key '%s': default: %s", k->name, r == VG_ENOMEM ? "out of memory" : msg);
			return VG_EINVAL;
		}
	}
	return 0;
}

int vg_config_defaults(const vg_config_key *t, size_t n, void *s, char *why, size_t whylen)
{
	char msg[256];
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		struct cval v = {0};
		int r = parse_default(&t[i], &v, msg, sizeof(msg));
		if (r != 0) {
			cval_free(&t[i], &v);
			if (ret == 0) {
				if (r == VG_ENOMEM)
					snprintf(why, whylen, "out of memory");
				else
					snprintf(why, whylen, "key '%s': default: %s", t[i].name, msg);
				ret = r;
			}
			/* keep going: every field must be initialised */
		}
		store(&t[i], s, &v, false);
	}
	return ret;
}

void vg_config_free(const vg_config_key *t, size_t n, void *s)
{
	for (size_t i = 0; i < n; i++) {
		char *f = (char *)s + t[i].offset;
		bool secret = (t[i].flags & VG_CFG_SECRET) != 0;
		if (is_stringish(t[i].type)) {
			char **p = (char **)(void *)f;
			wipe_free(*p, secret);
			*p = NULL;
		} else if (t[i].type == VG_CFG_LIST) {
			list_free((vg_config_list *)(void *)f, secret);
		}
	}
}

static void stage_free(const vg_config_key *t, size_t n, struct cval *vals)
{
	if (vals == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		cval_free(&t[i], &vals[i]);
	free(vals);
}

static void commit(const vg_config_key *t, size_t n, void *s, struct cval *vals)
{
	for (size_t i = 0; i < n; i++)
		if (vals[i].set)
			store(&t[i], s, &vals[i], true);
}

int vg_config_set_list(const vg_config_key *t, size_t n, void *s, const char *name, const char *const *items,
		       size_t nitems, const char *origin, char *why, size_t whylen)
{
	char msg[256], sh[80];
	long i = find_key(t, n, name, strlen(name));
	show(sh, sizeof(sh), name, strlen(name));
	if (i < 0) {
		snprintf(why, whylen, "%s%sunknown key '%s'", origin ? origin : "", origin ? ": " : "", sh);
		return VG_ENOTFOUND;
	}
	const vg_config_key *k = &t[i];
	struct cval v = {0};
	int r = 0;
	if (k->type != VG_CFG_LIST) {
		snprintf(msg, sizeof(msg), "not a list");
		r = VG_EPARSE;
	}
	for (size_t j = 0; r == 0 && j < nitems; j++)
		r = list_add(k, &v, items[j], strlen(items[j]), msg, sizeof(msg));
	if (r != 0) {
		cval_free(k, &v);
		snprintf(why, whylen, "%s%skey '%s': %s", origin ? origin : "", origin ? ": " : "", k->name,
			 r == VG_ENOMEM ? "out of memory" : msg);
		return r;
	}
	store(k, s, &v, true);
	return 0;
}

int vg_config_set(const vg_config_key *t, size_t n, void *s, const char *name, const char *value,
		  const char *origin, char *why, size_t whylen)
{
	char msg[256], sh[80];
	long i = find_key(t, n, name, strlen(name));
	show(sh, sizeof(sh), name, strlen(name));
	if (i < 0) {
		snprintf(why, whylen, "%s%sunknown key '%s'", origin ? origin : "", origin ? ": " : "", sh);
		return VG_ENOTFOUND;
	}
	if (t[i].type == VG_CFG_LIST)
		return vg_config_set_list(t, n, s, name, &value, 1, origin, why, whylen);
	struct cval v = {0};
	int r = parse_value(&t[i], value, strlen(value), &v, msg, sizeof(msg));
	if (r != 0) {
		cval_free(&t[i], &v);
		snprintf(why, whylen, "%s%skey '%s': %s", origin ? origin : "", origin ? ": " : "", t[i].name,
			 r == VG_ENOMEM ? "out of memory" : msg);
		return r;
	}
	store(&t[i], s, &v, true);
	return 0;
}

/* ---------------------------------------------------------------- YAML */

enum { F_MAP, F_SEQ };

struct frame {
	int kind;
	bool want_value; /* map: a key was read */
	size_t plen;     /* map: path[0..plen) is this mapping's section */
	size_t klen;     /* map: path[0..klen) is the current key */
	long key;        /* seq: the list's row */
	yaml_mark_t kmark;
};

struct section {
	char *name;
	uint32_t line;
};

struct loader {
	const vg_config_key *t;
	size_t n;
	struct cval *vals;
	const char *name;
	char *why;
	size_t whylen;
	char path[VG_CONFIG_MAX_NAME + 2];
	struct frame st[VG_CONFIG_MAX_DEPTH];
	int depth;
	int docs;
	struct section *secs;
	size_t nsecs;
};

__attribute__((format(printf, 4, 5))) static int fail(struct loader *L, const yaml_mark_t *m, int r,
						      const char *fmt, ...)
{
	char msg[384], key[80];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct frame *f = L->depth > 0 ? &L->st[L->depth - 1] : NULL;
	size_t klen = f == NULL ? 0 : f->kind == F_MAP ? (f->want_value ? f->klen : f->plen) : strlen(L->path);
	if (klen > 0) {
		show(key, sizeof(key), L->path, klen);
		snprintf(L->why, L->whylen, "%s:%zu:%zu: key '%s': %s", L->name, (size_t)m->line + 1,
			 (size_t)m->column + 1, key, msg);
	} else {
		snprintf(L->why, L->whylen, "%s:%zu:%zu: %s", L->name, (size_t)m->line + 1, (size_t)m->column + 1,
			 msg);
	}
	return r;
}

static int push(struct loader *L, const yaml_event_t *ev, int kind)
{
	if (L->depth >= VG_CONFIG_MAX_DEPTH)
		return fail(L, &ev->start_mark, VG_ELIMIT, "nesting deeper than %d", VG_CONFIG_MAX_DEPTH);
	struct frame *f = &L->st[L->depth++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->key = -1;
	return 0;
}

static bool is_null(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag != NULL)
		return false;
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

/* A mapping key was read: path becomes section.key; it must name something. */
static int on_key(struct loader *L, struct frame *f, const yaml_event_t *ev)
{
	const char *k = (const char *)ev->data.scalar.value;
	size_t kl = ev->data.scalar.length;
	f->want_value = true;
	f->kmark = ev->start_mark;
	size_t need = f->plen + (f->plen ? 1 : 0) + kl;
	if (need > VG_CONFIG_MAX_NAME) {
		char sh[80];
		show(sh, sizeof(sh), k, kl);
		f->klen = f->plen;
		f->want_value = false;
		return fail(L, &ev->start_mark, VG_EPARSE, "unknown key '%s'", sh);
	}
	size_t o = f->plen;
	if (o)
		L->path[o++] = '.';
	memcpy(L->path + o, k, kl);
	L->path[need] = '\0';
	f->klen = need;
	if (kl == 0 || strlen(L->path) != need)
		return fail(L, &ev->start_mark, VG_EPARSE, "empty key");
	if (find_key(L->t, L->n, L->path, need) < 0 && !is_section(L->t, L->n, L->path, need))
		return fail(L, &ev->start_mark, VG_EPARSE, "unknown key");
	return 0;
}

static int check_dup(struct loader *L, struct frame *f, long i)
{
	if (L->vals[i].set)
		return fail(L, &f->kmark, VG_EPARSE, "set twice (first at line %u)", L->vals[i].line);
	L->vals[i].set = true;
	L->vals[i].line = (uint32_t)f->kmark.line + 1;
	return 0;
}

static int on_value(struct loader *L, struct frame *f, const yaml_event_t *ev)
{
	char msg[256];
	long i = find_key(L->t, L->n, L->path, f->klen);
	const vg_config_key *k = i >= 0 ? &L->t[i] : NULL;
	int r;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (k == NULL)
			return fail(L, &ev->start_mark, VG_EPARSE, "is a section: expected a mapping of its keys");
		if ((r = check_dup(L, f, i)) != 0)
			return r;
		if (k->type == VG_CFG_LIST && !is_null(ev))
			return fail(L, &ev->start_mark, VG_EPARSE, "expected a list (YAML sequence)");
		if (k->type != VG_CFG_LIST) {
			const char *s = is_null(ev) ? "" : (const char *)ev->data.scalar.value;
			size_t len = is_null(ev) ? 0 : ev->data.scalar.length;
			if ((r = parse_value(k, s, len, &L->vals[i], msg, sizeof(msg))) != 0)
				return r == VG_ENOMEM ? r : fail(L, &ev->start_mark, r, "%s", msg);
		}
		f->want_value = false;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		if (k == NULL)
			return fail(L, &ev->start_mark, VG_EPARSE, "is a section: expected a mapping of its keys");
		if (k->type != VG_CFG_LIST)
			return fail(L, &ev->start_mark, VG_EPARSE, "expected a scalar (%s), not a list",
				    type_name(k->type));
		if ((r = check_dup(L, f, i)) != 0 || (r = push(L, ev, F_SEQ)) != 0)
			return r;
		L->st[L->depth - 1].key = i;
		return 0;
	case YAML_MAPPING_START_EVENT: {
		if (k != NULL)
			return fail(L, &ev->start_mark, VG_EPARSE, "expected a scalar (%s), not a mapping",
				    type_name(k->type));
		for (size_t j = 0; j < L->nsecs; j++)
			if (strcmp(L->secs[j].name, L->path) == 0)
				return fail(L, &f->kmark, VG_EPARSE, "section set twice (first at line %u)",
					    L->secs[j].line);
		struct section *ns = realloc(L->secs, (L->nsecs + 1) * sizeof(*ns));
		if (ns == NULL)
			return VG_ENOMEM;
		L->secs = ns;
		if ((ns[L->nsecs].name = strdup(L->path)) == NULL)
			return VG_ENOMEM;
		ns[L->nsecs++].line = (uint32_t)f->kmark.line + 1;
		size_t plen = f->klen;
		if ((r = push(L, ev, F_MAP)) != 0)
			return r;
		L->st[L->depth - 1].plen = plen;
		return 0;
	}
	default: return VG_EPARSE;
	}
}

static int on_node(struct loader *L, const yaml_event_t *ev)
{
	char msg[256];
	if (L->depth == 0) {
		if (ev->type == YAML_MAPPING_START_EVENT)
			return push(L, ev, F_MAP);
		if (ev->type == YAML_SCALAR_EVENT && is_null(ev))
			return 0; /* an empty document: nothing set */
		return fail(L, &ev->start_mark, VG_EPARSE, "the top level must be a mapping of keys");
	}
	struct frame *f = &L->st[L->depth - 1];
	if (f->kind == F_SEQ) {
		if (ev->type != YAML_SCALAR_EVENT)
			return fail(L, &ev->start_mark, VG_EPARSE, "list items must be scalars");
		bool null = is_null(ev);
		int r = list_add(&L->t[f->key], &L->vals[f->key], null ? "" : (const char *)ev->data.scalar.value,
				 null ? 0 : ev->data.scalar.length, msg, sizeof(msg));
		return r == 0 || r == VG_ENOMEM ? r : fail(L, &ev->start_mark, r, "%s", msg);
	}
	if (f->want_value)
		return on_value(L, f, ev);
	if (ev->type != YAML_SCALAR_EVENT)
		return fail(L, &ev->start_mark, VG_EPARSE, "mapping keys must be scalars");
	return on_key(L, f, ev);
}

static int on_event(struct loader *L, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default: break;
	}
	if (anchor != NULL)
		return fail(L, &ev->start_mark, VG_EPARSE, "anchors and aliases are not allowed");
	if (tag != NULL && !(ev->type == YAML_SCALAR_EVENT && strcmp((const char *)tag, YAML_STR_TAG) == 0))
		return fail(L, &ev->start_mark, VG_EPARSE, "tags are not allowed (except !!str)");
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return fail(L, &ev->start_mark, VG_EPARSE, "anchors and aliases are not allowed");
	case YAML_DOCUMENT_START_EVENT:
		if (L->docs++ > 0)
			return fail(L, &ev->start_mark, VG_EPARSE, "only one YAML document is allowed");
		return 0;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_node(L, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (L->depth == 0)
			return VG_EPARSE;
		L->depth--;
		if (L->depth > 0 && L->st[L->depth - 1].kind == F_MAP) {
			struct frame *p = &L->st[L->depth - 1];
			p->want_value = false;
			L->path[p->plen] = '\0';
		}
		return 0;
	default:
		return 0;
	}
}

/* Line and column (in characters) of byte offset off. */
static yaml_mark_t offset_mark(const char *buf, size_t len, size_t off)
{
	yaml_mark_t m = {0};
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

int vg_config_load_yaml_mem(const vg_config_key *t, size_t n, void *s, const char *name, const char *buf,
			    size_t len, char *why, size_t whylen)
{
	struct loader L;
	yaml_parser_t p;
	int r = 0;
	if (whylen > 0)
		why[0] = '\0';
	if (len > VG_CONFIG_MAX_FILE) {
		snprintf(why, whylen, "%s: larger than %d bytes", name, VG_CONFIG_MAX_FILE);
		return VG_ELIMIT;
	}
	memset(&L, 0, sizeof(L));
	L.t = t;
	L.n = n;
	L.name = name;
	L.why = why;
	L.whylen = whylen;
	if ((L.vals = calloc(n ? n : 1, sizeof(*L.vals))) == NULL || !yaml_parser_initialize(&p)) {
		free(L.vals);
		snprintf(why, whylen, "%s: out of memory", name);
		return VG_ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_mark_t m = p.problem_mark;
			if (p.error == YAML_READER_ERROR) /* only the byte offset is kept */
				m = offset_mark(buf, len, p.problem_offset);
			r = p.error == YAML_MEMORY_ERROR ? VG_ENOMEM : VG_EPARSE;
			snprintf(why, whylen, "%s:%zu:%zu: %s%s%s", name, (size_t)m.line + 1, (size_t)m.column + 1,
				 p.problem ? p.problem : "YAML syntax error", p.context ? " " : "",
				 p.context ? p.context : "");
			break;
		}
		bool end = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&L, &ev);
		yaml_event_delete(&ev);
		if (r != 0 || end)
			break;
	}
	yaml_parser_delete(&p);
	if (r == VG_ENOMEM)
		snprintf(why, whylen, "%s: out of memory", name);
	if (r == 0)
		commit(t, n, s, L.vals);
	stage_free(t, n, L.vals);
	for (size_t i = 0; i < L.nsecs; i++)
		free(L.secs[i].name);
	free(L.secs);
	return r;
}

int vg_config_load_yaml(const vg_config_key *t, size_t n, void *s, const char *path, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return VG_EIO;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, "%s: is a directory", path);
		return VG_EIO;
	}
	/* read at most one byte past the limit, whatever st_size says (pipes, /proc) */
	size_t cap = VG_CONFIG_MAX_FILE + 1, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		snprintf(why, whylen, "%s: out of memory", path);
		return VG_ENOMEM;
	}
	while (len < cap) {
		ssize_t k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return VG_EIO;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	int r = vg_config_load_yaml_mem(t, n, s, path, buf, len, why, whylen);
	free(buf);
	return r;
}

/* ---------------------------------------------------------------- output */

/* A YAML double-quoted scalar; values hold no control characters, but
 * U+2028 and U+2029 are line breaks to YAML and U+FEFF a byte order mark,
 * so those are escaped too. */
static void put_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
			fputs(p[2] == 0xA8 ? "\\L" : "\\P", out);
			p += 2;
			continue;
		}
		if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
			fputs("\\uFEFF", out);
			p += 2;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

static void put_value(FILE *out, const vg_config_key *k, const void *s, int indent)
{
	const char *f = (const char *)s + k->offset;
	char b[32];
	if (k->flags & VG_CFG_SECRET) {
		fputs("\"<redacted>\"", out);
		return;
	}
	switch (k->type) {
	case VG_CFG_STRING:
	case VG_CFG_PATH:
	case VG_CFG_ADDR:
	case VG_CFG_HOSTPORT: {
		const char *v = *(char *const *)(const void *)f;
		put_quoted(out, v != NULL ? v : "");
		break;
	}
	case VG_CFG_BOOL: fputs(*(const bool *)(const void *)f ? "true" : "false", out); break;
	case VG_CFG_INT: fprintf(out, "%lld", (long long)*(const int64_t *)(const void *)f); break;
	case VG_CFG_BYTES:
		fmt_bytes(b, sizeof(b), *(const uint64_t *)(const void *)f);
		fputs(b, out);
		break;
	case VG_CFG_DURATION:
		fmt_duration(b, sizeof(b), *(const uint64_t *)(const void *)f);
		fputs(b, out);
		break;
	case VG_CFG_ENUM: {
		int e = *(const int *)(const void *)f;
		int nw = 0;
		while (k->words[nw] != NULL)
			nw++;
		fputs(e >= 0 && e < nw ? k->words[e] : "?", out);
		break;
	}
	case VG_CFG_LIST: {
		const vg_config_list *l = (const vg_config_list *)(const void *)f;
		if (l->n == 0) {
			fputs("[]", out);
			break;
		}
		for (size_t i = 0; i < l->n; i++) {
			fprintf(out, "\n%*s- ", indent + 2, "");
			put_quoted(out, l->v[i]);
		}
		break;
	}
	default: break;
	}
}

/* Segment count of name and the length of its first `upto` segments. */
static size_t seg_prefix(const char *name, size_t upto)
{
	size_t i = 0, seen = 0;
	for (; name[i]; i++)
		if (name[i] == '.' && ++seen == upto)
			return i;
	return i;
}

static size_t seg_count(const char *name)
{
	size_t c = 1;
	for (; *name; name++)
		c += *name == '.';
	return c;
}

void vg_config_dump(const vg_config_key *t, size_t n, const void *s, FILE *out)
{
	const char *prev = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name = t[i].name;
		size_t segs = seg_count(name), common = 0;
		/* sections shared with the previous key stay open */
		if (prev != NULL) {
			size_t ps = seg_count(prev);
			while (common + 1 < segs && common + 1 < ps) {
				size_t a = seg_prefix(name, common + 1), b = seg_prefix(prev, common + 1);
				if (a != b || memcmp(name, prev, a) != 0)
					break;
				common++;
			}
		}
		if (prev != NULL && common == 0)
			fputc('\n', out);
		for (size_t d = common; d + 1 < segs; d++) {
			size_t from = d == 0 ? 0 : seg_prefix(name, d) + 1, to = seg_prefix(name, d + 1);
			fprintf(out, "%*s%.*s:\n", (int)(2 * d), "", (int)(to - from), name + from);
		}
		int indent = (int)(2 * (segs - 1));
		const char *leaf = segs > 1 ? name + seg_prefix(name, segs - 1) + 1 : name;
		fprintf(out, "%*s# %s\n%*s%s:", indent, "", t[i].help, indent, "", leaf);
		const vg_config_list *l = (const vg_config_list *)(const void *)((const char *)s + t[i].offset);
		if (t[i].type != VG_CFG_LIST || l->n == 0 || (t[i].flags & VG_CFG_SECRET))
			fputc(' ', out);
		put_value(out, &t[i], s, indent);
		fputc('\n', out);
		prev = name;
	}
}

void vg_config_help(const vg_config_key *t, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const vg_config_key *k = &t[i];
		char a[32], b[32];
		fprintf(out, "%s (%s", k->name, type_name(k->type));
		if (k->type == VG_CFG_ENUM) {
			for (int j = 0; k->words[j] != NULL; j++)
				fprintf(out, "%s%s", j ? "|" : ": ", k->words[j]);
		} else if (has_range(k)) {
			fmt_num(k, a, sizeof(a), k->min);
			fmt_num(k, b, sizeof(b), k->max);
			fprintf(out, " %s..%s", a, b);
		}
		fputs(", default ", out);
		const char *d = k->def != NULL ? k->def : "";
		if ((k->flags & VG_CFG_SECRET) && d[0] != '\0')
			d = "<redacted>";
		if (k->type == VG_CFG_LIST)
			fputs(d[0] ? "[" : "[]", out);
		if (is_stringish(k->type) || (k->type == VG_CFG_LIST && d[0]))
			put_quoted(out, d);
		else if (k->type != VG_CFG_LIST)
			fputs(d, out);
		if (k->type == VG_CFG_LIST && d[0])
			fputc(']', out);
		fprintf(out, ")\n    %s\n", k->help);
	}
}
