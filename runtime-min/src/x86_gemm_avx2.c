/* AVX2+FMA f32 GEMM micro-kernel: tile 6x16 (two ymm per row, 12
 * accumulators of the 16 ymm), for every row count 1..6. Column tails use
 * vmaskmov (only on partial tiles: its store form is slow on some cores);
 * bias, residual sum and activation are applied in registers on the last K
 * block.
 * Compiled with a per-function target attribute so the library builds for
 * any x86-64; callers check nc_cpu_supports("avx2"). */
#include "x86_gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "x86_act.h"
#include "x86_gemm_rows.h"

#define NC_AVX2 __attribute__((target("avx2,fma")))
#define NC_INLINE2 static inline __attribute__((always_inline)) NC_AVX2

/* All-ones in the first n (clamped to 0..8) lanes. */
NC_INLINE2 __m256i lanes(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  int k = n >= 8 ? 8 : n <= 0 ? 0 : (int)n;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), idx);
}

/* Finishes one accumulator vector into C at c + off (row i, vector vi of the
 * tile): C, bias and the residual sum (same offset) added, then the activation. */
NC_INLINE2 void out256(float *c, int64_t off, int full, __m256i m, __m256 v, int load_c,
                       const nc_xgemm_post *post, int i, int vi) {
  float *p = c + off;
  if (load_c) v = _mm256_add_ps(v, full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m));
  if (post) {
    if (post->bias_row) v = _mm256_add_ps(v, _mm256_set1_ps(post->bias_row[i]));
    if (post->bias_col) {
      const float *bc = post->bias_col + vi * 8;
      v = _mm256_add_ps(v, full ? _mm256_loadu_ps(bc) : _mm256_maskload_ps(bc, m));
    }
    if (post->sum) {
      const float *sp = post->sum + off;
      v = _mm256_add_ps(v, full ? _mm256_loadu_ps(sp) : _mm256_maskload_ps(sp, m));
    }
    v = nc_act256(v, post->act, post->act_alpha, post->act_beta);
  }
  if (full) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, m, v);
}

#define D2(i) __m256 c##i##a = _mm256_setzero_ps(), c##i##b = _mm256_setzero_ps();
#define F2(i)                                                                                \
  const __m256 a##i = _mm256_broadcast_ss(a + (i));                                          \
  c##i##a = _mm256_fmadd_ps(a##i, b0, c##i##a);                                              \
  c##i##b = _mm256_fmadd_ps(a##i, b1, c##i##b);
#define S2(i)                                                                                \
  out256(c, (i) * ldc, full, m0, c##i##a, load_c, post, i, 0);                               \
  out256(c, (i) * ldc + 8, full, m1, c##i##b, load_c, post, i, 1);

#define KERNEL(MR, R)                                                                        \
  static NC_AVX2 void k_##MR##x2_r##R(int64_t kc, const float *a, const float *b, float *c,  \
                                      int64_t ldc, int64_t cols, int load_c,                 \
                                      const nc_xgemm_post *post) {                           \
    NC_ROWS##R(D2)                                                                           \
    _Pragma("GCC unroll 4")                                                                  \
    for (int64_t p = 0; p < kc; p++) {                                                       \
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);                     \
      NC_ROWS##R(F2) a += MR;                                                                \
      b += 16;                                                                               \
    }                                                                                        \
    const int full = cols >= 16;                                                             \
    const __m256i m0 = lanes(cols), m1 = lanes(cols - 8);                                    \
    NC_ROWS##R(S2)                                                                           \
  }

KERNEL(6, 1) KERNEL(6, 2) KERNEL(6, 3) KERNEL(6, 4) KERNEL(6, 5) KERNEL(6, 6)

const nc_xgemm_tile nc_xgemm_avx2_6x16 = {
    "avx2", 6, 16, {k_6x2_r1, k_6x2_r2, k_6x2_r3, k_6x2_r4, k_6x2_r5, k_6x2_r6}};

#endif
