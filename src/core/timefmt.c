/* timefmt.c — RFC 3339 timestamps for output (see timefmt.h). */
#include "core/timefmt.h"

#include <inttypes.h>
#include <stdio.h>

static char *digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void vg_format_ts(int64_t us, char *buf, size_t n)
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* civil_from_days */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999 || n < 28) { /* rare: let printf handle the odd years */
		snprintf(buf, n, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%06" PRId64 "Z", y, m, d, (int)(rem / 3600),
			 (int)(rem / 60 % 60), (int)(rem % 60), frac);
		return;
	}
	/* YYYY-MM-DDTHH:MM:SS.ffffffZ without printf: this runs for every event */
	char *p = digits(buf, (unsigned)y, 4);
	*p++ = '-';
	p = digits(p, m, 2);
	*p++ = '-';
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, (unsigned)(rem / 3600), 2);
	*p++ = ':';
	p = digits(p, (unsigned)(rem / 60 % 60), 2);
	*p++ = ':';
	p = digits(p, (unsigned)(rem % 60), 2);
	*p++ = '.';
	p = digits(p, (unsigned)frac, 6);
	*p++ = 'Z';
	*p = '\0';
}

