/* AVX-512 forms of the int8 layers around the convolutions (int8_misc.c):
 * MaxPool, AveragePool and GlobalAveragePool on NHWC, where the channels of
 * a pixel are contiguous and so are the vector axis, and the elementwise
 * Add. Each does the portable routine's float operations in the same order
 * (requantization (x - z_in) * s_in / s_out, then round half to even and
 * saturate), so the bytes equal the c99 routines' (the unit tests check). */
#include "int8_internal.h"
#include "nn_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define NC_I8_M512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

static inline NC_I8_M512 __mmask16 lanes16(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}
static inline NC_I8_M512 __mmask64 lanes64(int64_t n) {
  return n >= 64 ? ~(__mmask64)0 : n <= 0 ? (__mmask64)0 : (((__mmask64)1 << n) - 1);
}

/* nc_q_round_sat(v, zo, 0, 255) on 16 lanes (|v| is far below 2^31 here,
 * the clamp to +-1e6 only keeps the conversion in range). */
static inline NC_I8_M512 __m128i round_sat16(__m512 v, int32_t zo) {
  v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-1.0e6f)), _mm512_set1_ps(1.0e6f));
  __m512i q = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  q = _mm512_add_epi32(q, _mm512_set1_epi32(zo));
  q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_setzero_si512()), _mm512_set1_epi32(255));
  return _mm512_cvtepi32_epi8(q);
}

/* (float)(x - zi) * ratio for 16 stored values. */
static inline NC_I8_M512 __m512 requant_real16(__m128i x, int32_t zi, float ratio) {
  __m512i v = _mm512_sub_epi32(_mm512_cvtepu8_epi32(x), _mm512_set1_epi32(zi));
  return _mm512_mul_ps(_mm512_cvtepi32_ps(v), _mm512_set1_ps(ratio));
}

/* ---- pooling ---- */

typedef struct pool_geom {
  int64_t n, c, h, w, oh, ow, k[2], s[2], d[2], pb[2], pe[2];
  int cip;
} pool_geom;

static pool_geom pool_geom_of(const nc_args *a) {
  pool_geom g;
  g.n = a->in[0].dims[0];
  g.c = a->in[0].dims[1];
  g.h = a->in[0].dims[2];
  g.w = a->in[0].dims[3];
  g.oh = a->out[0].dims[2];
  g.ow = a->out[0].dims[3];
  for (int i = 0; i < 2; i++) {
    g.k[i] = nc_nn_ia(a, NC_POOL_IA_KERNEL + i, 1);
    g.s[i] = nc_nn_ia(a, NC_POOL_IA_STRIDE + i, 1);
    g.d[i] = nc_nn_ia(a, NC_POOL_IA_DILATION + i, 1);
    g.pb[i] = nc_nn_ia(a, NC_POOL_IA_PAD_BEGIN + i, 0);
    g.pe[i] = nc_nn_ia(a, NC_POOL_IA_PAD_END + i, 0);
  }
  g.cip = (int)nc_nn_ia(a, NC_POOL_IA_COUNT_INCLUDE_PAD, 0);
  return g;
}

/* One output pixel of a max pool: 64 channels per step, max of the bytes
 * (the stored order is the real order, scale > 0), then requantized unless
 * the parameters are equal. */
static NC_I8_M512 void max_pixel(const pool_geom *g, const uint8_t *x, uint8_t *y,
                                 nc_i8_window wy, nc_i8_window wx, int copy, int32_t zi,
                                 float ratio, int32_t zo) {
  for (int64_t c0 = 0; c0 < g->c; c0 += 64) {
    const __mmask64 m = lanes64(g->c - c0);
    __m512i acc = _mm512_setzero_si512();
    for (int64_t ky = wy.lo; ky < wy.hi; ky++) {
      const uint8_t *row = x + ((wy.base + ky * g->d[0]) * g->w) * g->c + c0;
      for (int64_t kx = wx.lo; kx < wx.hi; kx++)
        acc = _mm512_max_epu8(acc,
                              _mm512_maskz_loadu_epi8(m, row + (wx.base + kx * g->d[1]) * g->c));
    }
    if (copy) {
      _mm512_mask_storeu_epi8(y + c0, m, acc);
      continue;
    }
    for (int q = 0; q < 4 && c0 + q * 16 < g->c; q++) {
      __m128i part = _mm512_extracti32x4_epi32(acc, 0);
      if (q == 1) part = _mm512_extracti32x4_epi32(acc, 1);
      if (q == 2) part = _mm512_extracti32x4_epi32(acc, 2);
      if (q == 3) part = _mm512_extracti32x4_epi32(acc, 3);
      _mm_mask_storeu_epi8(y + c0 + q * 16, lanes16(g->c - c0 - q * 16),
                           round_sat16(requant_real16(part, zi, ratio), zo));
    }
  }
}

/* One output pixel of an average pool: 16 channels per step, int32 sums,
 * then (float)(sum - cnt * zi) / div * ratio as the portable routine. */
static NC_I8_M512 void avg_pixel(const pool_geom *g, const uint8_t *x, uint8_t *y,
                                 nc_i8_window wy, nc_i8_window wx, int64_t cnt, int64_t div,
                                 int32_t zi, float ratio, int32_t zo) {
  const __m512i off = _mm512_set1_epi32((int32_t)(cnt * zi));
  const __m512 dv = _mm512_set1_ps((float)div), rv = _mm512_set1_ps(ratio);
  for (int64_t c0 = 0; c0 < g->c; c0 += 16) {
    const __mmask16 m = lanes16(g->c - c0);
    __m512i acc = _mm512_setzero_si512();
    for (int64_t ky = wy.lo; ky < wy.hi; ky++) {
      const uint8_t *row = x + ((wy.base + ky * g->d[0]) * g->w) * g->c + c0;
      for (int64_t kx = wx.lo; kx < wx.hi; kx++)
        acc = _mm512_add_epi32(acc, _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(
                                        m, row + (wx.base + kx * g->d[1]) * g->c)));
    }
    __m512 v = _mm512_div_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc, off)), dv);
    _mm_mask_storeu_epi8(y + c0, m, round_sat16(_mm512_mul_ps(v, rv), zo));
  }
}

static NC_I8_M512 void pool_nhwc(const nc_args *a, const uint8_t *x, uint8_t *y, int is_max) {
  const nc_tdesc *xd = &a->in[0], *yd = &a->out[0];
  const pool_geom g = pool_geom_of(a);
  const int copy = is_max && xd->scale == yd->scale && xd->zero_point == yd->zero_point;
  const int32_t zi = xd->zero_point, zo = yd->zero_point;
  const float ratio = xd->scale / yd->scale;
  /* a window entirely in the padding is the real 0 */
  const uint8_t pad_value = (uint8_t)nc_q_round_sat((float)(zi - zi) * ratio, zo, 0, 255);
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t oy = 0; oy < g.oh; oy++) {
      nc_i8_window wy = nc_i8_pool_window(oy, g.k[0], g.s[0], g.d[0], g.pb[0], g.pe[0], g.h);
      for (int64_t ox = 0; ox < g.ow; ox++) {
        nc_i8_window wx = nc_i8_pool_window(ox, g.k[1], g.s[1], g.d[1], g.pb[1], g.pe[1], g.w);
        const int64_t cnt = (wy.hi - wy.lo) * (wx.hi - wx.lo);
        const uint8_t *xn = x + n * g.h * g.w * g.c;
        uint8_t *yo = y + ((n * g.oh + oy) * g.ow + ox) * g.c;
        if (cnt == 0) memset(yo, pad_value, (size_t)g.c);
        else if (is_max) max_pixel(&g, xn, yo, wy, wx, copy, zi, ratio, zo);
        else
          avg_pixel(&g, xn, yo, wy, wx, cnt, g.cip ? wy.span * wx.span : cnt, zi, ratio, zo);
      }
    }
}

void nc_maxpool_u8_nhwc_avx512(const nc_args *a, const void *const *in, void *const *out,
                               void *scratch) {
  (void)scratch;
  pool_nhwc(a, in[0], out[0], 1);
}

void nc_avgpool_u8_nhwc_avx512(const nc_args *a, const void *const *in, void *const *out,
                               void *scratch) {
  (void)scratch;
  pool_nhwc(a, in[0], out[0], 0);
}

/* Global average: int32 sums of a chunk of channels over every pixel (rows
 * read contiguously), then (float)(sum - P * zi) / P * ratio. */
#define GAP_CHUNK 1024

static NC_I8_M512 void gap_nhwc(const nc_args *a, const uint8_t *x, uint8_t *y) {
  const nc_tdesc *xd = &a->in[0], *yd = &a->out[0];
  const int64_t N = xd->dims[0], C = xd->dims[1], P = xd->dims[2] * xd->dims[3];
  const float ratio = xd->scale / yd->scale;
  int32_t sum[GAP_CHUNK];
  for (int64_t n = 0; n < N; n++)
    for (int64_t c0 = 0; c0 < C; c0 += GAP_CHUNK) {
      const int64_t cc = C - c0 < GAP_CHUNK ? C - c0 : GAP_CHUNK;
      memset(sum, 0, sizeof sum);
      for (int64_t p = 0; p < P; p++) {
        const uint8_t *row = x + (n * P + p) * C + c0;
        for (int64_t c = 0; c < cc; c += 16) {
          const __mmask16 m = lanes16(cc - c);
          __m512i s = _mm512_loadu_si512(sum + c);
          s = _mm512_add_epi32(s, _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, row + c)));
          _mm512_storeu_si512(sum + c, s);
        }
      }
      const __m512i off = _mm512_set1_epi32((int32_t)(P * xd->zero_point));
      const __m512 pv = _mm512_set1_ps((float)P), rv = _mm512_set1_ps(ratio);
      for (int64_t c = 0; c < cc; c += 16) {
        const __mmask16 m = lanes16(cc - c);
        __m512i s = _mm512_sub_epi32(_mm512_loadu_si512(sum + c), off);
        __m512 v = _mm512_div_ps(_mm512_cvtepi32_ps(s), pv);
        _mm_mask_storeu_epi8(y + n * C + c0 + c, m,
                             round_sat16(_mm512_mul_ps(v, rv), yd->zero_point));
      }
    }
}

void nc_gap_u8_nhwc_avx512(const nc_args *a, const void *const *in, void *const *out,
                           void *scratch) {
  (void)scratch;
  gap_nhwc(a, in[0], out[0]);
}

/* Global average over fewer than 2^23 pixels: the int32 sums and the float
 * conversions are exact, as the portable int64 sums. */
int nc_i8_gap_nhwc_avx512_applies(const nc_args *a) {
  return nc_i8_gap_applies(a) && a->in[0].dims[2] * a->in[0].dims[3] < ((int64_t)1 << 23);
}

/* ---- Add (same shapes, any layout: elementwise) ---- */

static NC_I8_M512 void add_run(const nc_args *a, const uint8_t *x0, const uint8_t *x1,
                               uint8_t *y) {
  const nc_tdesc *ad = &a->in[0], *bd = &a->in[1], *yd = &a->out[0];
  const float r0 = ad->scale / yd->scale, r1 = bd->scale / yd->scale;
  const int64_t n = nc_numel(yd);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes16(n - i);
    __m512 v0 = requant_real16(_mm_maskz_loadu_epi8(m, x0 + i), ad->zero_point, r0);
    __m512 v1 = requant_real16(_mm_maskz_loadu_epi8(m, x1 + i), bd->zero_point, r1);
    _mm_mask_storeu_epi8(y + i, m, round_sat16(_mm512_add_ps(v0, v1), yd->zero_point));
  }
}

void nc_add_u8_avx512(const nc_args *a, const void *const *in, void *const *out,
                      void *scratch) {
  (void)scratch;
  add_run(a, in[0], in[1], out[0]);
}
#endif
