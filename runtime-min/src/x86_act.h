/* The fused activations (nc_act) on x86 vectors, written once for every x86
 * routine family (packed GEMM, blocked-channel convs, Winograd): nc_act256
 * for AVX2+FMA ymm, nc_act512 for AVX-512 zmm. They compute what
 * nc_apply_act computes, NaN handling included (max/min operand order keeps
 * a NaN where the scalar code keeps it); sigmoid and SiLU go through a
 * polynomial exponential (about 2 ulp) and a Newton-refined reciprocal, so
 * they agree with the scalar expf version to a few ulp.
 *
 * Each function carries the smallest target attribute it needs, so it
 * inlines into any caller compiled for that ISA or a superset; the library
 * itself still builds for plain x86-64. Internal to the runtime library. */
#ifndef NC_X86_ACT_H
#define NC_X86_ACT_H

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>

#include "neuroc/rt.h"

#define NC_XACT_AVX2 __attribute__((target("avx2,fma")))
#define NC_XACT_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define NC_XACT_I2 static inline __attribute__((always_inline)) NC_XACT_AVX2
#define NC_XACT_I512 static inline __attribute__((always_inline)) NC_XACT_AVX512

/* Cephes' single-precision e^x: x = k ln2 + r, e^r by a degree-6
 * polynomial, 2^k through the exponent bits. x is clamped so that k stays
 * a normal exponent (e^x below the clamp is about 6e-39). The coefficients
 * are the published Cephes expf constants. */
#define NC_XACT_EXP(V, SET1, MIN, MAX, MUL, ADD, FMA, ROUND, CVT_I, I_ADD, I_SET1, I_SHL,    \
                    FROM_I, IV)                                                            \
  x = MIN(MAX(x, SET1(-87.0f)), SET1(88.0f));                                              \
  V k = ROUND(MUL(x, SET1(1.44269504088896341f)));                                         \
  V r = FMA(k, SET1(-0.693359375f), x);                                                    \
  r = FMA(k, SET1(2.12194440e-4f), r);                                                     \
  V p = SET1(1.9875691500e-4f);                                                            \
  p = FMA(p, r, SET1(1.3981999507e-3f));                                                   \
  p = FMA(p, r, SET1(8.3334519073e-3f));                                                   \
  p = FMA(p, r, SET1(4.1665795894e-2f));                                                   \
  p = FMA(p, r, SET1(1.6666665459e-1f));                                                   \
  p = FMA(p, r, SET1(5.0000001201e-1f));                                                   \
  p = FMA(p, MUL(r, r), ADD(r, SET1(1.0f)));                                               \
  IV e = I_SHL(I_ADD(CVT_I(k), I_SET1(127)), 23);                                          \
  return MUL(p, FROM_I(e));

/* ---------------- AVX2+FMA (8 lanes) ---------------- */

#define NC_XACT_ROUND256(v) _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

NC_XACT_I2 __m256 nc_exp256(__m256 x) {
  NC_XACT_EXP(__m256, _mm256_set1_ps, _mm256_min_ps, _mm256_max_ps, _mm256_mul_ps,
              _mm256_add_ps, _mm256_fmadd_ps, NC_XACT_ROUND256, _mm256_cvtps_epi32,
              _mm256_add_epi32, _mm256_set1_epi32, _mm256_slli_epi32, _mm256_castsi256_ps,
              __m256i)
}

/* 1/d without a divide: the 12-bit estimate and two Newton steps. */
NC_XACT_I2 __m256 nc_recip256(__m256 d) {
  const __m256 one = _mm256_set1_ps(1.0f), nd = _mm256_sub_ps(_mm256_setzero_ps(), d);
  __m256 r = _mm256_rcp_ps(d);
  r = _mm256_fmadd_ps(r, _mm256_fmadd_ps(nd, r, one), r);
  return _mm256_fmadd_ps(r, _mm256_fmadd_ps(nd, r, one), r);
}

NC_XACT_I2 __m256 nc_sigmoid256(__m256 v) {
  __m256 e = nc_exp256(_mm256_sub_ps(_mm256_setzero_ps(), v));
  return nc_recip256(_mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

NC_XACT_I2 __m256 nc_act256(__m256 v, int64_t act, float alpha, float beta) {
  const __m256 zero = _mm256_setzero_ps();
  switch (act) {
  case NC_ACT_RELU: return _mm256_max_ps(v, zero);
  case NC_ACT_CLIP:
    return _mm256_min_ps(_mm256_set1_ps(beta), _mm256_max_ps(_mm256_set1_ps(alpha), v));
  case NC_ACT_HARDSWISH: {
    __m256 t = _mm256_add_ps(v, _mm256_set1_ps(3.0f));
    t = _mm256_min_ps(_mm256_max_ps(t, zero), _mm256_set1_ps(6.0f));
    return _mm256_div_ps(_mm256_mul_ps(v, t), _mm256_set1_ps(6.0f));
  }
  case NC_ACT_SIGMOID: return nc_sigmoid256(v);
  case NC_ACT_LEAKYRELU: {
    __m256 pos = _mm256_cmp_ps(v, zero, _CMP_GE_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(v, _mm256_set1_ps(alpha)), v, pos);
  }
  case NC_ACT_SILU: return _mm256_mul_ps(v, nc_sigmoid256(v));
  default: return v;
  }
}

/* ---------------- AVX-512 (16 lanes) ---------------- */

#define NC_XACT_ROUND512(v) \
  _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

NC_XACT_I512 __m512 nc_exp512(__m512 x) {
  NC_XACT_EXP(__m512, _mm512_set1_ps, _mm512_min_ps, _mm512_max_ps, _mm512_mul_ps,
              _mm512_add_ps, _mm512_fmadd_ps, NC_XACT_ROUND512, _mm512_cvtps_epi32,
              _mm512_add_epi32, _mm512_set1_epi32, _mm512_slli_epi32, _mm512_castsi512_ps,
              __m512i)
}

/* 1/d without a divide: the 14-bit estimate and two Newton steps. */
NC_XACT_I512 __m512 nc_recip512(__m512 d) {
  const __m512 one = _mm512_set1_ps(1.0f), nd = _mm512_sub_ps(_mm512_setzero_ps(), d);
  __m512 r = _mm512_rcp14_ps(d);
  r = _mm512_fmadd_ps(r, _mm512_fmadd_ps(nd, r, one), r);
  return _mm512_fmadd_ps(r, _mm512_fmadd_ps(nd, r, one), r);
}

NC_XACT_I512 __m512 nc_sigmoid512(__m512 v) {
  __m512 e = nc_exp512(_mm512_sub_ps(_mm512_setzero_ps(), v));
  return nc_recip512(_mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

NC_XACT_I512 __m512 nc_act512(__m512 v, int64_t act, float alpha, float beta) {
  const __m512 zero = _mm512_setzero_ps();
  switch (act) {
  case NC_ACT_RELU: return _mm512_max_ps(v, zero);
  case NC_ACT_CLIP:
    return _mm512_min_ps(_mm512_set1_ps(beta), _mm512_max_ps(_mm512_set1_ps(alpha), v));
  case NC_ACT_HARDSWISH: {
    __m512 t = _mm512_add_ps(v, _mm512_set1_ps(3.0f));
    t = _mm512_min_ps(_mm512_max_ps(t, zero), _mm512_set1_ps(6.0f));
    return _mm512_div_ps(_mm512_mul_ps(v, t), _mm512_set1_ps(6.0f));
  }
  case NC_ACT_SIGMOID: return nc_sigmoid512(v);
  case NC_ACT_LEAKYRELU: {
    __mmask16 pos = _mm512_cmp_ps_mask(v, zero, _CMP_GE_OQ);
    return _mm512_mask_blend_ps(pos, _mm512_mul_ps(v, _mm512_set1_ps(alpha)), v);
  }
  case NC_ACT_SILU: return _mm512_mul_ps(v, nc_sigmoid512(v));
  default: return v;
  }
}

#endif
#endif
