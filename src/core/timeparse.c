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

size_t vg_time_bsd_cached(vg_time_cache *c, const char *p, size_t n, int year, int64_t *us)
{
	if (n < 15)
		return 0;
	uint64_t k0, k1;
	memcpy(&k0, p, 8);
	memcpy(&k1, p + 7, 8);
	if (!(c->ok && c->k0 == k0 && c->k1 == k1 && c->year == year)) {
		/* the whole stamp's bytes are the key: a fraction (after byte 15)
		 * is parsed per line below */
		int64_t t;
		if (vg_time_bsd(p, 15, year, &t) != 15)
			return 0;
		*c = (vg_time_cache){.k0 = k0, .k1 = k1, .us = t, .year = year, .ok = 1};
	}
	int64_t t = c->us;
	size_t i = 15;
	if (n > 16 && (p[15] == '.' || p[15] == ',')) /* most stamps have no fraction */
		i += fraction(p + 15, n - 15, &t);
	*us = t;
	return i;
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

/* The cache key of a stamp: bytes [0, 16) and [o2, o2 + 8) (they may
 * overlap). 1 when c holds this stamp; else k gets the key to store. */
static int cache_hit(const vg_time_cache *c, const char *p, size_t o2, uint64_t k[3])
{
	memcpy(&k[0], p, 8);
	memcpy(&k[1], p + 8, 8);
	memcpy(&k[2], p + o2, 8);
	return c->ok && c->k0 == k[0] && c->k1 == k[1] && c->k2 == k[2];
}

size_t vg_time_clf_cached(vg_time_cache *c, const char *p, size_t n, int64_t *us)
{
	uint64_t k[3];
	if (n < 20)
		return 0;
	if (!cache_hit(c, p, 12, k)) {
		int64_t t;
		if (!clf_base(p, n, &t))
			return 0;
		*c = (vg_time_cache){.k0 = k[0], .k1 = k[1], .k2 = k[2], .us = t, .ok = 1};
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

size_t vg_time_ctime_cached(vg_time_cache *c, const char *p, size_t n, int64_t *us)
{
	/* Only the stamp without a fraction is cached: its 24 bytes alone
	 * decide the result. */
	if (n < 24 || p[19] != ' ')
		return vg_time_ctime(p, n, us);
	uint64_t k[3];
	if (!cache_hit(c, p, 16, k)) {
		int64_t t;
		if (vg_time_ctime(p, 24, &t) != 24)
			return 0;
		*c = (vg_time_cache){.k0 = k[0], .k1 = k[1], .k2 = k[2], .us = t, .ok = 1};
	}
	*us = c->us;
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
