/* cli_time.h — time arguments of the commands (--from, --to): RFC 3339, a
 * bare date (midnight UTC), "now", or relative to now (-90s, -30m, -24h, -7d,
 * -2w). Pure apart from vg_cli_now_us; thread-safe. */
#ifndef VG_CLI_TIME_H
#define VG_CLI_TIME_H

#include <stdint.h>

#define VG_CLI_TIME_HINT "RFC 3339, a date, now, or -30m/-24h/-7d"

/* The wall clock, µs since the epoch. */
int64_t vg_cli_now_us(void);
/* s as µs since the epoch (relative forms from now). 0, or -1 when s is not
 * one of the accepted forms or overflows. */
int vg_cli_time_parse(const char *s, int64_t now, int64_t *out);

#endif
