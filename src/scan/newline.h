/* newline.h — the newlines of a block of bytes as a bitmap (bit i of word w
 * set when p[64 * w + i] == '\n'), with the widest vector instructions the
 * CPU has. reader.c frames lines with it a block at a time rather than with a
 * memchr call per line: lines are mostly 100-250 bytes, and a call costs as
 * much as finding their newline.
 *
 * A scan function reads exactly p[0, n), n <= VG_NL_BLOCK, and writes
 * (n + 63) / 64 words of bits (the last word's bits past n are 0). No state:
 * thread-safe; vg_nl_scanner's choice is made from the CPU's features. */
#ifndef VG_NEWLINE_H
#define VG_NEWLINE_H

#include <stddef.h>
#include <stdint.h>

#define VG_NL_BLOCK 4096

typedef void (*vg_nl_scan_fn)(const char *p, size_t n, uint64_t *bits);

/* The fastest scan function this CPU runs. */
vg_nl_scan_fn vg_nl_scanner(void);
/* Every scan function this CPU runs (the portable one first), into out[0,
 * max); returns how many. For tests: each must give the same bits. */
size_t vg_nl_scanners(vg_nl_scan_fn *out, size_t max);

#endif
