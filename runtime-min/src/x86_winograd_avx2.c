/* Winograd F(2,3), F(4,3), F(6,3) NCHW conv for AVX2+FMA (8 tiles per
 * vector, 4-row GEMM panels: 16 ymm registers): the x86_winograd_kernel.h
 * template. AVX2 has no scatter: stores go lane by lane under the mask. */
#include "x86_winograd.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "x86_act.h"

#define NC_WT __attribute__((target("avx2,fma")))
#define NC_WSUF avx2
#define NC_WL 8
#define NC_WMR 4

#define VACT nc_act256
#define VF __m256
#define VI __m256i
#define VM __m256
#define VZERO() _mm256_setzero_ps()
#define VSET1(x) _mm256_set1_ps(x)
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps(p, v)
#define VADD(a, b) _mm256_add_ps(a, b)
#define VSUB(a, b) _mm256_sub_ps(a, b)
#define VMUL(a, b) _mm256_mul_ps(a, b)
#define VDIV(a, b) _mm256_div_ps(a, b)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VMAX(a, b) _mm256_max_ps(a, b)
#define VMIN(a, b) _mm256_min_ps(a, b)
#define VI_LOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define VI_SET1(x) _mm256_set1_epi32(x)
#define VI_ADD(a, b) _mm256_add_epi32(a, b)
#define VM_RANGE(v, n)                                                                \
  _mm256_castsi256_ps(_mm256_and_si256(_mm256_cmpgt_epi32(v, _mm256_set1_epi32(-1)), \
                                       _mm256_cmpgt_epi32(_mm256_set1_epi32(n), v)))
#define VM_AND(a, b) _mm256_and_ps(a, b)
#define VGATHER(mask, idx, base) \
  _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, idx, mask, 4)
#define VSCATTER(base, mask, idx, v) wino_scatter_avx2(base, mask, idx, v)

static inline __attribute__((always_inline)) NC_WT void wino_scatter_avx2(float *base, __m256 mask,
                                                                         __m256i idx, __m256 v) {
  int bits = _mm256_movemask_ps(mask);
  if (!bits) return;
  float vals[8];
  int32_t off[8];
  _mm256_storeu_ps(vals, v);
  _mm256_storeu_si256((__m256i *)(void *)off, idx);
  for (int l = 0; l < 8; l++)
    if (bits >> l & 1) base[off[l]] = vals[l];
}

#include "x86_winograd_kernel.h"

#endif
