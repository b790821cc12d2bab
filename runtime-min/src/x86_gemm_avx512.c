/* AVX-512 f32 GEMM micro-kernels: tiles 14x32, 8x48 and 6x64 (rows x
 * columns; 2, 3 or 4 zmm vectors per row), each for every row count 1..MR
 * so row tails cost only their rows. Per K step: NV vector loads of the B
 * panel, one broadcast of A per row, R*NV FMAs into accumulators that stay
 * in registers (28 / 24 / 24 of the 32 zmm). Column tails use masked
 * loads/stores; bias, residual sum and activation are applied in registers
 * on the last K block. Compiled with a per-function target attribute so the library
 * builds for any x86-64; callers check nc_cpu_supports("avx512"). */
#include "x86_gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "x86_act.h"
#include "x86_gemm_rows.h"

#define NC_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
#define NC_INLINE512 static inline __attribute__((always_inline)) NC_AVX512

/* Mask of the first n (clamped to 0..16) lanes. */
NC_INLINE512 __mmask16 lanes(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* Finishes one accumulator vector into C at c + off (row i, vector vi of the
 * tile): C, bias and the residual sum (same offset) added, then the activation. */
NC_INLINE512 void out512(float *c, int64_t off, __mmask16 m, __m512 v, int load_c,
                         const nc_xgemm_post *post, int i, int vi) {
  float *p = c + off;
  if (load_c) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, p));
  if (post) {
    if (post->bias_row) v = _mm512_add_ps(v, _mm512_set1_ps(post->bias_row[i]));
    if (post->bias_col) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, post->bias_col + vi * 16));
    if (post->sum) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, post->sum + off));
    v = nc_act512(v, post->act, post->act_alpha, post->act_beta);
  }
  _mm512_mask_storeu_ps(p, m, v);
}

/* Per-NV pieces: declare accumulators, load the B row, FMA one row, store one row. */
#define D2(i) __m512 c##i##a = _mm512_setzero_ps(), c##i##b = _mm512_setzero_ps();
#define D3(i) D2(i) __m512 c##i##c = _mm512_setzero_ps();
#define D4(i) D3(i) __m512 c##i##d = _mm512_setzero_ps();
#define L2 const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#define L3 L2 const __m512 b2 = _mm512_loadu_ps(b + 32);
#define L4 L3 const __m512 b3 = _mm512_loadu_ps(b + 48);
#define F2(i)                                                                                \
  const __m512 a##i = _mm512_set1_ps(a[i]);                                                  \
  c##i##a = _mm512_fmadd_ps(a##i, b0, c##i##a);                                              \
  c##i##b = _mm512_fmadd_ps(a##i, b1, c##i##b);
#define F3(i) F2(i) c##i##c = _mm512_fmadd_ps(a##i, b2, c##i##c);
#define F4(i) F3(i) c##i##d = _mm512_fmadd_ps(a##i, b3, c##i##d);
#define M2 const __mmask16 m0 = lanes(cols), m1 = lanes(cols - 16);
#define M3 M2 const __mmask16 m2 = lanes(cols - 32);
#define M4 M3 const __mmask16 m3 = lanes(cols - 48);
#define S2(i)                                                                                \
  out512(c, (i) * ldc, m0, c##i##a, load_c, post, i, 0);                                    \
  out512(c, (i) * ldc + 16, m1, c##i##b, load_c, post, i, 1);
#define S3(i) S2(i) out512(c, (i) * ldc + 32, m2, c##i##c, load_c, post, i, 2);
#define S4(i) S3(i) out512(c, (i) * ldc + 48, m3, c##i##d, load_c, post, i, 3);

/* Kernel of R rows over panels of MR rows and NV vectors. */
#define KERNEL(MR, NV, R)                                                                    \
  static NC_AVX512 void k_##MR##x##NV##_r##R(int64_t kc, const float *a, const float *b,     \
                                              float *c, int64_t ldc, int64_t cols, int load_c, \
                                              const nc_xgemm_post *post) {                   \
    NC_ROWS##R(D##NV)                                                                        \
    _Pragma("GCC unroll 2")                                                                  \
    for (int64_t p = 0; p < kc; p++) {                                                       \
      L##NV NC_ROWS##R(F##NV) a += MR;                                                       \
      b += NV * 16;                                                                          \
    }                                                                                        \
    M##NV NC_ROWS##R(S##NV)                                                                  \
  }

KERNEL(14, 2, 1) KERNEL(14, 2, 2) KERNEL(14, 2, 3) KERNEL(14, 2, 4) KERNEL(14, 2, 5)
KERNEL(14, 2, 6) KERNEL(14, 2, 7) KERNEL(14, 2, 8) KERNEL(14, 2, 9) KERNEL(14, 2, 10)
KERNEL(14, 2, 11) KERNEL(14, 2, 12) KERNEL(14, 2, 13) KERNEL(14, 2, 14)

KERNEL(8, 3, 1) KERNEL(8, 3, 2) KERNEL(8, 3, 3) KERNEL(8, 3, 4) KERNEL(8, 3, 5)
KERNEL(8, 3, 6) KERNEL(8, 3, 7) KERNEL(8, 3, 8)

KERNEL(6, 4, 1) KERNEL(6, 4, 2) KERNEL(6, 4, 3) KERNEL(6, 4, 4) KERNEL(6, 4, 5)
KERNEL(6, 4, 6)

const nc_xgemm_tile nc_xgemm_avx512_14x32 = {
    "avx512", 14, 32,
    {k_14x2_r1, k_14x2_r2, k_14x2_r3, k_14x2_r4, k_14x2_r5, k_14x2_r6, k_14x2_r7, k_14x2_r8,
     k_14x2_r9, k_14x2_r10, k_14x2_r11, k_14x2_r12, k_14x2_r13, k_14x2_r14}};

const nc_xgemm_tile nc_xgemm_avx512_8x48 = {
    "avx512", 8, 48,
    {k_8x3_r1, k_8x3_r2, k_8x3_r3, k_8x3_r4, k_8x3_r5, k_8x3_r6, k_8x3_r7, k_8x3_r8}};

const nc_xgemm_tile nc_xgemm_avx512_6x64 = {
    "avx512", 6, 64, {k_6x4_r1, k_6x4_r2, k_6x4_r3, k_6x4_r4, k_6x4_r5, k_6x4_r6}};

#endif
