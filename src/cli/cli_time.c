/* cli_time.c — parsing of the commands' time arguments (see cli_time.h),
 * shared by `vigil events export` and `vigil alerts export`. */
#include "cli/cli_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/timeparse.h"

int64_t vg_cli_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int vg_cli_time_parse(const char *s, int64_t now, int64_t *out)
{
	size_t n = strlen(s);
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (s[0] == '-') {
		static const struct {
			char unit;
			int64_t us;
		} units[] = {{'s', 1000000}, {'m', 60000000}, {'h', 3600000000}, {'d', 86400000000}, {'w', 604800000000}};
		int64_t v = 0;
		size_t i = 1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (v > (INT64_MAX / 2) / 10)
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		if (i == 1 || i + 1 != n)
			return -1;
		for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (s[i] == units[u].unit) {
				if (v > (INT64_MAX / 2) / units[u].us)
					return -1;
				*out = now - v * units[u].us;
				return 0;
			}
		return -1;
	}
	char day[32];
	if (n == 10) { /* 2026-04-17: midnight UTC */
		snprintf(day, sizeof(day), "%sT00:00:00Z", s);
		s = day;
		n = strlen(day);
	}
	return n > 0 && vg_time_rfc3339(s, n, out) == n ? 0 : -1;
}
