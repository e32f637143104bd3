/* newline.h — the offsets of the newlines of a block of bytes, found with
 * the widest vector instructions the CPU has. reader.c frames lines with it
 * a block at a time rather than with a memchr call per line: lines are
 * mostly 100-250 bytes, and a call costs as much as finding their newline.
 * (Offsets, not a bitmap: the framer then walks one flat list, without a
 * loop over the bitmap's words.)
 *
 * A scan function reads exactly p[0, n), n <= VG_NL_BLOCK, writes the
 * offsets i (ascending) with p[i] == '\n' to offs[0, k) and returns k; offs
 * must hold n entries (nothing past offs[k] is written). No state:
 * thread-safe; vg_nl_scanner's choice is made from the CPU's features. */
#ifndef VG_NEWLINE_H
#define VG_NEWLINE_H

#include <stddef.h>
#include <stdint.h>

#define VG_NL_BLOCK 4096

_Static_assert(VG_NL_BLOCK <= 65536, "a block's offsets fit 16 bits");
typedef size_t (*vg_nl_scan_fn)(const char *p, size_t n, uint16_t *offs);

/* The fastest scan function this CPU runs. */
vg_nl_scan_fn vg_nl_scanner(void);
/* Every scan function this CPU runs (the portable one first), into out[0,
 * max); returns how many. For tests: each must give the same offsets. */
size_t vg_nl_scanners(vg_nl_scan_fn *out, size_t max);

#endif
