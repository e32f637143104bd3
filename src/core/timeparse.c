/* timeparse.c — timestamp parsing (see timeparse.h). Hand-written digit
 * scanning: no locale, no strptime, no allocation. */
#include "core/timeparse.h"

#include <string.h>

int64_t vg_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int vg_year_of(int64_t us)
{
	int64_t z = us / 1000000 / 86400;
	if (us < 0 && (us / 1000000) % 86400 != 0)
		z--;
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned m = mp + (mp < 10 ? 3 : -9);
	return (int)(yoe + era * 400 + (m <= 2));
}

/* Exactly k digits at p[0..k) within n; -1 otherwise. */
static int digits(const char *p, size_t n, size_t k)
{
	if (n < k)
		return -1;
	int v = 0;
	for (size_t i = 0; i < k; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int64_t make_us(int y, int mo, int d, int h, int mi, int s)
{
	return ((vg_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400) + h * 3600 + mi * 60 + s) * 1000000;
}

/* Days in month mo (1-12) of year y. */
static int month_days(int y, int mo)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mo != 2)
		return days[mo - 1];
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : 28;
}

static int valid(int y, int mo, int d, int h, int mi, int s)
{
	return y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= month_days(y, mo) && h >= 0 && h <= 23 &&
	       mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* ".123456" fraction → microseconds; returns bytes consumed. */
static size_t fraction(const char *p, size_t n, int64_t *us)
{
	if (n < 2 || (p[0] != '.' && p[0] != ',') || p[1] < '0' || p[1] > '9')
		return 0;
	size_t i = 1;
	int64_t v = 0, scale = 100000;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		v += (p[i] - '0') * scale;
		scale /= 10;
		i++;
	}
	*us += v;
	return i;
}

/* "+07:00", "+0700", "-07", "Z": offset in seconds east; bytes consumed. */
static size_t zone(const char *p, size_t n, int *off)
{
	*off = 0;
	if (n >= 1 && (p[0] == 'Z' || p[0] == 'z'))
		return 1;
	if (n < 3 || (p[0] != '+' && p[0] != '-'))
		return 0;
	int h = digits(p + 1, n - 1, 2), m = 0;
	size_t used = 3;
	if (h < 0)
		return 0;
	if (n >= 6 && p[3] == ':' && (m = digits(p + 4, n - 4, 2)) >= 0)
		used = 6;
	else if (n >= 5 && (m = digits(p + 3, n - 3, 2)) >= 0)
		used = 5;
	else
		m = 0;
	*off = (h * 3600 + m * 60) * (p[0] == '-' ? -1 : 1);
	return used;
}

size_t vg_time_rfc3339(const char *p, size_t n, int64_t *us)
{
	if (n < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || p[13] != ':' || p[16] != ':')
		return 0;
	int y = digits(p, n, 4), mo = digits(p + 5, 2, 2), d = digits(p + 8, 2, 2);
	int h = digits(p + 11, 2, 2), mi = digits(p + 14, 2, 2), s = digits(p + 17, 2, 2);
	if (!valid(y, mo, d, h, mi, s))
		return 0;
	int64_t t = make_us(y, mo, d, h, mi, s);
	size_t i = 19;
	i += fraction(p + i, n - i, &t);
	int off;
	i += zone(p + i, n - i, &off);
	*us = t - (int64_t)off * 1000000;
	return i;
}

static int month_of(const char *p, size_t n)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (n < 3)
		return -1;
	for (int m = 0; m < 12; m++)
		if (memcmp(names + 3 * m, p, 3) == 0)
			return m + 1;
	return -1;
}

size_t vg_time_bsd(const char *p, size_t n, int year, int64_t *us)
{
	/* "Jun 14 15:16:01" or "Jun  9 06:06:20" */
	if (n < 15 || p[3] != ' ' || p[9] != ':' || p[12] != ':')
		return 0;
	int mo = month_of(p, n), d;
	if (p[4] == ' ')
		d = digits(p + 5, 1, 1);
	else
		d = digits(p + 4, 2, 2);
	int h = digits(p + 7, 2, 2), mi = digits(p + 10, 2, 2), s = digits(p + 13, 2, 2);
	/* the stamp has no year and the caller's is a guess: Feb 29 is checked
	 * against a leap year (2000) */
	if (p[6] != ' ' || year < 0 || !valid(2000, mo, d, h, mi, s))
		return 0;
	int64_t t = make_us(year, mo, d, h, mi, s);
	size_t i = 15;
	i += fraction(p + i, n - i, &t);
	*us = t;
	return i;
}

/* Seconds as valid() takes them: two digits, at most 60 (a leap second);
 * -1 otherwise. */
static inline int two_digits(const char *p)
{
	unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
	unsigned s = a * 10 + b;
	return a > 9 || b > 9 || s > 60 ? -1 : (int)s;
}

/* The BSD cache holds the last stamp, its 15 bytes as k0 = [0, 8) and k1 =
 * [7, 15) with its time in us, and its minute: the first 13 bytes ("Jun 14
 * 15:16:") as k0 and k2 = [5, 13), the time of its second 0 in minute, both
 * for year. Every check vg_time_bsd makes on a stamp is on those 13 bytes
 * but the seconds' two digits: a stamp of the same minute (and year) is the
 * minute's time plus its seconds. */

/* The fraction after a stamp of time t, if any: bytes consumed in all. */
static size_t bsd_tail(const char *p, size_t n, int64_t t, int64_t *us)
{
	size_t i = 15;
	if (n > 16 && (p[15] == '.' || p[15] == ','))
		i += fraction(p + 15, n - 15, &t);
	*us = t;
	return i;
}

size_t vg_time_bsd_cache_miss(vg_time_cache *c, const char *p, size_t n, int year, int64_t *us)
{
	if (n < 15)
		return 0;
	uint64_t k0 = vg_time_word(p), k2 = vg_time_word(p + 5);
	int64_t t;
	int s;
	if (c->ok && c->k0 == k0 && c->k2 == k2 && c->year == year && (s = two_digits(p + 13)) >= 0) {
		t = c->minute + (int64_t)s * 1000000;
	} else {
		/* another minute (or year): parsed */
		if (vg_time_bsd(p, 15, year, &t) != 15)
			return 0;
		/* vg_time_bsd accepted the seconds, so two_digits does too */
		*c = (vg_time_cache){.k0 = k0, .k2 = k2, .minute = t - (int64_t)two_digits(p + 13) * 1000000,
				     .year = year, .ok = 1};
	}
	c->k1 = vg_time_word(p + 7);
	c->us = t;
	return bsd_tail(p, n, t, us);
}

/* The first 20 bytes of a CLF stamp, "10/Oct/2000:13:55:36", as a time. */
static int clf_base(const char *p, size_t n, int64_t *t)
{
	if (n < 20 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':')
		return 0;
	int d = digits(p, n, 2), mo = month_of(p + 3, 3), y = digits(p + 7, 4, 4);
	int h = digits(p + 12, 2, 2), mi = digits(p + 15, 2, 2), s = digits(p + 18, 2, 2);
	if (!valid(y, mo, d, h, mi, s))
		return 0;
	*t = make_us(y, mo, d, h, mi, s);
	return 1;
}

/* The fraction and zone after the base: bytes consumed in all. */
static size_t clf_rest(const char *p, size_t n, int64_t t, int64_t *us)
{
	size_t i = 20;
	i += fraction(p + i, n - i, &t);
	int off = 0;
	if (i < n && p[i] == ' ') {
		size_t z = zone(p + i + 1, n - i - 1, &off);
		if (z != 0)
			i += 1 + z;
	}
	*us = t - (int64_t)off * 1000000;
	return i;
}

size_t vg_time_clf(const char *p, size_t n, int64_t *us)
{
	/* "10/Oct/2000:13:55:36 -0700" */
	int64_t t;
	if (!clf_base(p, n, &t))
		return 0;
	return clf_rest(p, n, t, us);
}

/* A whole stamp as Apache writes it, "10/Oct/2000:13:55:36 -0700" and one
 * byte more (the ']'), is cached with its result: with a blank at [20] and
 * at least 27 bytes, what clf_rest reads and returns depends on the bytes
 * [0, 27) alone (a zone reads six at most). The key: [0, 24) and [19, 27).
 * Other shapes (a fraction, no zone, a short slice) cache their first 20
 * bytes as a base time: key [0, 16) and [12, 20). */
#define CLF_WHOLE 27
#define CLF_OK_BASE 1
#define CLF_OK_WHOLE 2 /* the value vg_time_clf_cached tests */

static size_t clf_whole_miss(vg_time_cache *c, const char *p, size_t n, int64_t *us)
{
	int64_t t;
	if (!clf_base(p, n, &t))
		return 0;
	size_t i = clf_rest(p, n, t, us);
	*c = (vg_time_cache){.k0 = vg_time_word(p), .k1 = vg_time_word(p + 8), .k2 = vg_time_word(p + 16),
			     .k3 = vg_time_word(p + 19), .us = *us, .len = (uint32_t)i, .ok = CLF_OK_WHOLE};
	return i;
}

size_t vg_time_clf_cache_miss(vg_time_cache *c, const char *p, size_t n, int64_t *us)
{
	if (n < 20)
		return 0;
	if (n >= CLF_WHOLE && p[20] == ' ')
		return clf_whole_miss(c, p, n, us);
	uint64_t k0 = vg_time_word(p), k1 = vg_time_word(p + 8), k2 = vg_time_word(p + 12);
	if (!(c->ok == CLF_OK_BASE && c->k0 == k0 && c->k1 == k1 && c->k2 == k2)) {
		int64_t t;
		if (!clf_base(p, n, &t))
			return 0;
		*c = (vg_time_cache){.k0 = k0, .k1 = k1, .k2 = k2, .us = t, .ok = CLF_OK_BASE};
	}
	return clf_rest(p, n, c->us, us);
}

size_t vg_time_ctime(const char *p, size_t n, int64_t *us)
{
	/* "Sun Dec 04 04:47:44 2005" */
	if (n < 24 || p[3] != ' ' || p[7] != ' ' || p[10] != ' ' || p[13] != ':' || p[16] != ':')
		return 0;
	int mo = month_of(p + 4, 3), d = p[8] == ' ' ? digits(p + 9, 1, 1) : digits(p + 8, 2, 2);
	int h = digits(p + 11, 2, 2), mi = digits(p + 14, 2, 2), s = digits(p + 17, 2, 2);
	int64_t frac = 0;
	size_t i = 19;
	i += fraction(p + i, n - i, &frac);
	if (i + 5 > n || p[i] != ' ')
		return 0;
	int y = digits(p + i + 1, 4, 4);
	if (!valid(y, mo, d, h, mi, s))
		return 0;
	*us = make_us(y, mo, d, h, mi, s) + frac;
	return i + 5;
}

/* ctime stamps are cached as BSD ones: the last stamp's 24 bytes as k0 =
 * [0, 8), k1 = [8, 16), k3 = [16, 24) with its time in us; its minute as
 * those 24 bytes with the seconds' two, [17, 19), masked out (k0, k1 and
 * k2, [16, 24) masked), the time of its second 0 in minute. Only a stamp
 * without a fraction is cached: its 24 bytes alone decide the result. */
static inline uint64_t ctime_k2(const char *p)
{
	/* bytes [16, 24) but the seconds (folds to a constant mask) */
	static const unsigned char keep[8] = {0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint64_t m;
	memcpy(&m, keep, 8);
	return vg_time_word(p + 16) & m;
}

size_t vg_time_ctime_cache_miss(vg_time_cache *c, const char *p, size_t n, int64_t *us)
{
	if (n < 24 || p[19] != ' ')
		return vg_time_ctime(p, n, us);
	uint64_t k0 = vg_time_word(p), k1 = vg_time_word(p + 8), k2 = ctime_k2(p);
	int64_t t;
	int s;
	if (c->ok && c->k0 == k0 && c->k1 == k1 && c->k2 == k2 && (s = two_digits(p + 17)) >= 0) {
		t = c->minute + (int64_t)s * 1000000;
	} else {
		/* another minute: parsed */
		if (vg_time_ctime(p, 24, &t) != 24)
			return 0;
		/* vg_time_ctime accepted the seconds, so two_digits does too */
		*c = (vg_time_cache){.k0 = k0, .k1 = k1, .k2 = k2, .minute = t - (int64_t)two_digits(p + 17) * 1000000,
				     .ok = 1};
	}
	c->k3 = vg_time_word(p + 16);
	c->us = t;
	*us = t;
	return 24;
}

size_t vg_time_epoch(const char *p, size_t n, int64_t *us)
{
	size_t i = 0;
	int64_t s = 0;
	while (i < n && i < 12 && p[i] >= '0' && p[i] <= '9')
		s = s * 10 + (p[i++] - '0');
	if (i == 0)
		return 0;
	int64_t t = s * 1000000;
	i += fraction(p + i, n - i, &t);
	*us = t;
	return i;
}
