/* timefmt.h — microseconds since the epoch as RFC 3339 UTC text,
 * "2026-04-17T05:24:53.088849Z" (the form of every @timestamp vigil writes).
 * Thread-safe (no state). */
#ifndef VG_TIMEFMT_H
#define VG_TIMEFMT_H
#include <stddef.h>
#include <stdint.h>

/* us into buf (at least 32 bytes; shorter buffers get a truncated string). */
void vg_format_ts(int64_t us, char *buf, size_t n);

#endif
