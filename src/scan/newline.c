/* newline.c — newline offsets (see newline.h): SSE2 (or a byte loop where
 * there is no SSE2) and AVX2 where the CPU has it. */
#include "scan/newline.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VG_NL_AVX2 1
#endif

#ifdef __SSE2__
static inline __attribute__((always_inline)) uint64_t nl16_sse2(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
}

static inline __attribute__((always_inline)) uint64_t nl64_sse2(const char *p)
{
	return nl16_sse2(p) | nl16_sse2(p + 16) << 16 | nl16_sse2(p + 32) << 32 | nl16_sse2(p + 48) << 48;
}
#else /* the same, a byte at a time */
static inline uint64_t nl64_sse2(const char *p)
{
	uint64_t m = 0;
	for (int i = 0; i < 64; i++)
		m |= (uint64_t)(p[i] == '\n') << i;
	return m;
}
#endif

/* The offsets base + i of the set bits i of m into offs; the count after. */
static inline __attribute__((always_inline)) size_t put_offs(uint64_t m, size_t base, uint16_t *offs, size_t k)
{
	for (; m != 0; m &= m - 1)
		offs[k++] = (uint16_t)(base + (size_t)__builtin_ctzll(m));
	return k;
}

/* Whole 64-byte words are read in place; the last, short one is copied
 * first, so nothing past p + n is read. */
static size_t nl_scan_sse2(const char *p, size_t n, uint16_t *offs)
{
	size_t i = 0, k = 0;
	for (; i + 64 <= n; i += 64)
		k = put_offs(nl64_sse2(p + i), i, offs, k);
	if (i < n) {
		char t[64] = {0};
		memcpy(t, p + i, n - i);
		k = put_offs(nl64_sse2(t), i, offs, k);
	}
	return k;
}

#ifdef VG_NL_AVX2
__attribute__((target("avx2"))) static inline uint64_t nl64_avx2(const char *p)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, nl)) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, nl)) << 32;
}

__attribute__((target("avx2"))) static size_t nl_scan_avx2(const char *p, size_t n, uint16_t *offs)
{
	size_t i = 0, k = 0;
	for (; i + 64 <= n; i += 64)
		k = put_offs(nl64_avx2(p + i), i, offs, k);
	if (i < n) {
		char t[64] = {0};
		memcpy(t, p + i, n - i);
		k = put_offs(nl64_avx2(t), i, offs, k);
	}
	return k;
}
#endif

size_t vg_nl_scanners(vg_nl_scan_fn *out, size_t max)
{
	size_t k = 0;
	if (k < max)
		out[k++] = nl_scan_sse2;
#ifdef VG_NL_AVX2
	if (k < max && __builtin_cpu_supports("avx2"))
		out[k++] = nl_scan_avx2;
#endif
	return k;
}

vg_nl_scan_fn vg_nl_scanner(void)
{
	vg_nl_scan_fn all[2];
	return all[vg_nl_scanners(all, 2) - 1];
}
