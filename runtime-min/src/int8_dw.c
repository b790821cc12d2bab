/* Depthwise int8 conv in NHWC (group == C, one filter per channel): each
 * output pixel is a sum over kernel taps of input pixel rows times a row of
 * per-channel s8 weights, so the channel axis is the vector axis. Padding
 * taps read a row filled with the input zero point (the bias already holds
 * -z_x * sum of the channel's weights, so they add exactly zero). The
 * packed blob reuses nc_i8_wpack with kp = taps and weights stored
 * [tap][np] (np = C rounded up to 16). */
#include <string.h>

#include "int8_internal.h"
#include "nn_internal.h"

static int64_t dw_taps(const nc_args *a) { return a->in[1].dims[2] * a->in[1].dims[3]; }

size_t nc_i8_dw_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  int64_t np = nc_i8_round_up(a->in[0].dims[1], 16);
  return sizeof(nc_i8_wpack) + (size_t)(dw_taps(a) * np) +
         (size_t)np * (sizeof(int32_t) + 2 * sizeof(float));
}

void nc_i8_dw_pack(const nc_args *a, int idx, const void *const *consts, void *dst) {
  if (idx != 1) return;
  const float *w = consts[1];
  const float *bias = nc_nn_has_in(a, 2) ? consts[2] : NULL;
  nc_i8_wpack *h = dst;
  memset(h, 0, sizeof *h);
  h->k = h->kp = dw_taps(a);
  h->n = a->in[0].dims[1];
  h->np = nc_i8_round_up(h->n, 16);
  h->nr = 16;
  int8_t *wq = nc_i8_wpack_w(h);
  int32_t *bq = nc_i8_wpack_bias(h);
  float *mult = nc_i8_wpack_mult(h), *deq = nc_i8_wpack_deq(h);
  memset(wq, 0, (size_t)(h->kp * h->np));
  for (int64_t c = 0; c < h->np; c++) {
    bq[c] = 0;
    mult[c] = deq[c] = 0.0f;
    if (c >= h->n) continue;
    const float *wc = w + c * h->k;
    float amax = 0.0f;
    for (int64_t t = 0; t < h->k; t++) amax = fabsf(wc[t]) > amax ? fabsf(wc[t]) : amax;
    float scale = amax > 0.0f ? amax / (float)NC_Q_S8_SYM_MAX : 1.0f;
    int64_t wsum = 0;
    for (int64_t t = 0; t < h->k; t++) {
      int32_t q = nc_q_quantize(wc[t], scale, 0, -NC_Q_S8_SYM_MAX, NC_Q_S8_SYM_MAX);
      wq[t * h->np + c] = (int8_t)q;
      wsum += q;
    }
    nc_i8_column_params(a, scale, wsum, bias ? bias[c] : 0.0, &mult[c], &deq[c], &bq[c]);
  }
}

/* Scratch: one zero-point row (C bytes, 64-aligned) and one int32 row of np. */
size_t nc_i8_dw_scratch(const nc_args *a) {
  int64_t c = a->in[0].dims[1];
  return (size_t)nc_i8_round_up(c, 64) + (size_t)nc_i8_round_up(c, 16) * sizeof(int32_t);
}

typedef struct dw_geom {
  int64_t n, c, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
} dw_geom;

static dw_geom dw_geom_of(const nc_args *a) {
  dw_geom g;
  g.n = a->in[0].dims[0];
  g.c = a->in[0].dims[1];
  g.ih = a->in[0].dims[2];
  g.iw = a->in[0].dims[3];
  g.oh = a->out[0].dims[2];
  g.ow = a->out[0].dims[3];
  g.kh = a->in[1].dims[2];
  g.kw = a->in[1].dims[3];
  g.sh = nc_nn_ia(a, NC_CONV_IA_STRIDE, 1);
  g.sw = nc_nn_ia(a, NC_CONV_IA_STRIDE + 1, 1);
  g.dh = nc_nn_ia(a, NC_CONV_IA_DILATION, 1);
  g.dw = nc_nn_ia(a, NC_CONV_IA_DILATION + 1, 1);
  g.ph = nc_nn_ia(a, NC_CONV_IA_PAD_BEGIN, 0);
  g.pw = nc_nn_ia(a, NC_CONV_IA_PAD_BEGIN + 1, 0);
  return g;
}

/* Input row of tap (ky, kx) for output pixel (n, oy, ox), or the zero-point row. */
static inline const uint8_t *tap_row(const dw_geom *g, const uint8_t *x, const uint8_t *zrow,
                                     int64_t n, int64_t oy, int64_t ox, int64_t ky, int64_t kx) {
  int64_t iy = oy * g->sh - g->ph + ky * g->dh, ix = ox * g->sw - g->pw + kx * g->dw;
  if (iy < 0 || iy >= g->ih || ix < 0 || ix >= g->iw) return zrow;
  return x + ((n * g->ih + iy) * g->iw + ix) * g->c;
}

typedef void (*dw_pixel_fn)(const dw_geom *g, const uint8_t *const *rows, const int8_t *w,
                            int64_t np, int32_t *acc);

static void dw_pixel_c99(const dw_geom *g, const uint8_t *const *rows, const int8_t *w,
                         int64_t np, int32_t *acc) {
  memset(acc, 0, sizeof(int32_t) * (size_t)g->c);
  for (int64_t t = 0; t < g->kh * g->kw; t++)
    for (int64_t c = 0; c < g->c; c++) acc[c] += rows[t][c] * w[t * np + c];
}

/* At most this many taps (a 7x7 kernel); larger kernels are refused. */
#define NC_I8_DW_MAX_TAPS 49

static void dw_run(const nc_args *a, const void *const *in, void *const *out, void *scratch,
                   dw_pixel_fn pixel, nc_i8_epilogue epi) {
  dw_geom g = dw_geom_of(a);
  const nc_i8_wpack *h = in[1];
  uint8_t *zrow = scratch;
  int32_t *acc = (int32_t *)(zrow + nc_i8_round_up(g.c, 64));
  memset(zrow, (uint8_t)a->in[0].zero_point, (size_t)g.c);
  nc_i8_post post;
  nc_i8_post_init(&post, a, h, nc_nn_ia(a, NC_CONV_IA_ACT, NC_ACT_NONE),
                  (float)nc_nn_fa(a, NC_CONV_FA_ACT_ALPHA, 0.0),
                  (float)nc_nn_fa(a, NC_CONV_FA_ACT_BETA, 0.0), out[0], g.c);
  const uint8_t *rows[NC_I8_DW_MAX_TAPS];
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t oy = 0; oy < g.oh; oy++)
      for (int64_t ox = 0; ox < g.ow; ox++) {
        for (int64_t ky = 0, t = 0; ky < g.kh; ky++)
          for (int64_t kx = 0; kx < g.kw; kx++, t++)
            rows[t] = tap_row(&g, in[0], zrow, n, oy, ox, ky, kx);
        pixel(&g, rows, nc_i8_wpack_w(h), h->np, acc);
        epi(&post, acc, h->np, 1, (n * g.oh + oy) * g.ow + ox, 0, g.c);
      }
}

void nc_conv_dw_u8_nhwc_c99(const nc_args *a, const void *const *in, void *const *out,
                            void *scratch) {
  dw_run(a, in, out, scratch, dw_pixel_c99, nc_i8_epilogue_c99);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define NC_I8_DW512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

/* 16 channels per vector: widen u8 and s8 to s32 and multiply-add. */
static NC_I8_DW512 void dw_pixel_512(const dw_geom *g, const uint8_t *const *rows,
                                     const int8_t *w, int64_t np, int32_t *acc) {
  const int64_t taps = g->kh * g->kw;
  for (int64_t c = 0; c < g->c; c += 16) {
    int64_t left = g->c - c;
    __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
    __m512i s = _mm512_setzero_si512();
    for (int64_t t = 0; t < taps; t++) {
      __m512i x = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, rows[t] + c));
      __m512i wv = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(w + t * np + c)));
      s = _mm512_add_epi32(s, _mm512_mullo_epi32(x, wv));
    }
    _mm512_storeu_si512(acc + c, s);
  }
}

void nc_conv_dw_u8_nhwc_avx512(const nc_args *a, const void *const *in, void *const *out,
                               void *scratch) {
  dw_run(a, in, out, scratch, dw_pixel_512, nc_i8_epilogue_avx512);
}
#endif
