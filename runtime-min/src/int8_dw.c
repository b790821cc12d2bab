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

/* Output pixels of one row whose sums are finished by one epilogue call
 * (bias and scales loaded once per batch, not per pixel). */
#define NC_I8_DW_BATCH 16

/* Scratch: one zero-point row (C bytes, 64-aligned) and NC_I8_DW_BATCH
 * int32 rows of C rounded up to 64 (the VNNI kernel writes whole
 * 64-channel blocks). */
size_t nc_i8_dw_scratch(const nc_args *a) {
  int64_t c = nc_i8_round_up(a->in[0].dims[1], 64);
  return (size_t)c + (size_t)(NC_I8_DW_BATCH * c) * sizeof(int32_t);
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

/* Weights a pixel kernel reads: the blob's [tap][np] s8 by default. */
typedef const int8_t *(*dw_weights_fn)(const nc_i8_wpack *h);

static void dw_run(const nc_args *a, const void *const *in, void *const *out, void *scratch,
                   dw_pixel_fn pixel, dw_weights_fn pixel_weights, nc_i8_epilogue epi) {
  dw_geom g = dw_geom_of(a);
  const nc_i8_wpack *h = in[1];
  uint8_t *zrow = scratch;
  int32_t *acc = (int32_t *)(zrow + nc_i8_round_up(g.c, 64));
  memset(zrow, (uint8_t)a->in[0].zero_point, (size_t)g.c);
  nc_i8_post post;
  nc_i8_post_init(&post, a, h, nc_nn_ia(a, NC_CONV_IA_ACT, NC_ACT_NONE),
                  (float)nc_nn_fa(a, NC_CONV_FA_ACT_ALPHA, 0.0),
                  (float)nc_nn_fa(a, NC_CONV_FA_ACT_BETA, 0.0), out[0], g.c);
  const int8_t *wts = pixel_weights ? pixel_weights(h) : nc_i8_wpack_w(h);
  if (nc_nn_has_in(a, NC_CONV_IN_SUM))
    nc_i8_post_sum(&post, &a->in[NC_CONV_IN_SUM], in[NC_CONV_IN_SUM]);
  /* room for the VNNI kernel's taps rounded up to 4 (padding taps read zrow) */
  const uint8_t *rows[NC_I8_DW_MAX_TAPS + 3];
  for (int t = 0; t < NC_I8_DW_MAX_TAPS + 3; t++) rows[t] = zrow;
  const int64_t ld = nc_i8_round_up(g.c, 64), taps = g.kh * g.kw;
  const uint8_t *x = in[0];
  int64_t tap_off[NC_I8_DW_MAX_TAPS]; /* input offset of each tap from the window's corner */
  for (int64_t ky = 0, t = 0; ky < g.kh; ky++)
    for (int64_t kx = 0; kx < g.kw; kx++, t++) tap_off[t] = (ky * g.dh * g.iw + kx * g.dw) * g.c;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t oy = 0; oy < g.oh; oy++)
      for (int64_t ox0 = 0; ox0 < g.ow; ox0 += NC_I8_DW_BATCH) {
        const int64_t cnt = g.ow - ox0 < NC_I8_DW_BATCH ? g.ow - ox0 : NC_I8_DW_BATCH;
        for (int64_t i = 0; i < cnt; i++) {
          const int64_t ox = ox0 + i, iy0 = oy * g.sh - g.ph, ix0 = ox * g.sw - g.pw;
          if (iy0 >= 0 && iy0 + (g.kh - 1) * g.dh < g.ih && ix0 >= 0 &&
              ix0 + (g.kw - 1) * g.dw < g.iw) { /* interior: fixed tap offsets */
            const uint8_t *base = x + ((n * g.ih + iy0) * g.iw + ix0) * g.c;
            for (int64_t t = 0; t < taps; t++) rows[t] = base + tap_off[t];
          } else {
            for (int64_t ky = 0, t = 0; ky < g.kh; ky++)
              for (int64_t kx = 0; kx < g.kw; kx++, t++)
                rows[t] = tap_row(&g, x, zrow, n, oy, ox, ky, kx);
          }
          pixel(&g, rows, wts, h->np, acc + i * ld);
        }
        epi(&post, acc, ld, (int)cnt, (n * g.oh + oy) * g.ow + ox0, 0, g.c);
      }
}

void nc_conv_dw_u8_nhwc_c99(const nc_args *a, const void *const *in, void *const *out,
                            void *scratch) {
  dw_run(a, in, out, scratch, dw_pixel_c99, NULL, nc_i8_epilogue_c99);
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
  dw_run(a, in, out, scratch, dw_pixel_512, NULL, nc_i8_epilogue_avx512);
}

/* ---- AVX-512 VNNI: four taps per vpdpbusd ----
 * The blob is the portable one followed by the weights in the order the
 * kernel consumes them: per block of 64 channels and group of 4 taps
 * (taps padded to a multiple of 4 with zero weights), four zmm k = 0..3
 * whose 128-bit lane L, dword j holds the 4 taps' s8 weights of channel
 * 64 b + 16 L + 4 k + j. That is the order the in-lane byte/word unpacks
 * of four input rows leave the channels in; the sums are put back in
 * channel order with 128-bit lane shuffles. */
#define NC_I8_DW_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")))

static int64_t vnni_groups(const nc_args *a) { return (dw_taps(a) + 3) / 4; }

size_t nc_i8_dw_packed_bytes_vnni(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  int64_t blocks = nc_i8_round_up(a->in[0].dims[1], 64) / 64;
  return nc_i8_dw_packed_bytes(a, idx) + (size_t)(blocks * vnni_groups(a) * 256);
}

/* The interleaved weights, after the portable blob (whose size is a multiple of 4). */
static const int8_t *vnni_weights(const nc_i8_wpack *h) {
  return (const int8_t *)(nc_i8_wpack_deq(h) + h->np);
}

void nc_i8_dw_pack_vnni(const nc_args *a, int idx, const void *const *consts, void *dst) {
  if (idx != 1) return;
  nc_i8_dw_pack(a, idx, consts, dst);
  const nc_i8_wpack *h = dst;
  const int8_t *wq = nc_i8_wpack_w(h);
  int8_t *v = (int8_t *)vnni_weights(h);
  const int64_t groups = vnni_groups(a), blocks = nc_i8_round_up(h->n, 64) / 64;
  for (int64_t b = 0; b < blocks; b++)
    for (int64_t gi = 0; gi < groups; gi++)
      for (int k = 0; k < 4; k++)
        for (int lane = 0; lane < 4; lane++)
          for (int j = 0; j < 4; j++)
            for (int t = 0; t < 4; t++) {
              int64_t c = 64 * b + 16 * lane + 4 * k + j, tap = 4 * gi + t;
              *v++ = c < h->n && tap < h->k ? wq[tap * h->np + c] : 0;
            }
}

static NC_I8_DW_VNNI void dw_pixel_vnni(const dw_geom *g, const uint8_t *const *rows,
                                        const int8_t *w, int64_t np, int32_t *acc) {
  (void)np;
  const int64_t groups = (g->kh * g->kw + 3) / 4;
  for (int64_t c0 = 0; c0 < g->c; c0 += 64) {
    const int64_t left = g->c - c0;
    const __mmask64 m = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t gi = 0; gi < groups; gi++, w += 256) {
      const uint8_t *const *r = rows + 4 * gi;
      __m512i x0 = _mm512_maskz_loadu_epi8(m, r[0] + c0), x1 = _mm512_maskz_loadu_epi8(m, r[1] + c0),
              x2 = _mm512_maskz_loadu_epi8(m, r[2] + c0), x3 = _mm512_maskz_loadu_epi8(m, r[3] + c0);
      __m512i a = _mm512_unpacklo_epi8(x0, x1), b = _mm512_unpackhi_epi8(x0, x1),
              c = _mm512_unpacklo_epi8(x2, x3), d = _mm512_unpackhi_epi8(x2, x3);
      s0 = _mm512_dpbusd_epi32(s0, _mm512_unpacklo_epi16(a, c), _mm512_loadu_si512(w));
      s1 = _mm512_dpbusd_epi32(s1, _mm512_unpackhi_epi16(a, c), _mm512_loadu_si512(w + 64));
      s2 = _mm512_dpbusd_epi32(s2, _mm512_unpacklo_epi16(b, d), _mm512_loadu_si512(w + 128));
      s3 = _mm512_dpbusd_epi32(s3, _mm512_unpackhi_epi16(b, d), _mm512_loadu_si512(w + 192));
    }
    /* s_k lane L = channels 16 L + 4 k .. +3: a 4 x 4 transpose of lanes */
    __m512i t0 = _mm512_shuffle_i32x4(s0, s1, 0x44), t1 = _mm512_shuffle_i32x4(s2, s3, 0x44),
            t2 = _mm512_shuffle_i32x4(s0, s1, 0xEE), t3 = _mm512_shuffle_i32x4(s2, s3, 0xEE);
    _mm512_storeu_si512(acc + c0, _mm512_shuffle_i32x4(t0, t1, 0x88));
    _mm512_storeu_si512(acc + c0 + 16, _mm512_shuffle_i32x4(t0, t1, 0xDD));
    _mm512_storeu_si512(acc + c0 + 32, _mm512_shuffle_i32x4(t2, t3, 0x88));
    _mm512_storeu_si512(acc + c0 + 48, _mm512_shuffle_i32x4(t2, t3, 0xDD));
  }
}

void nc_conv_dw_u8_nhwc_avx512vnni(const nc_args *a, const void *const *in, void *const *out,
                                   void *scratch) {
  dw_run(a, in, out, scratch, dw_pixel_vnni, vnni_weights, nc_i8_epilogue_avx512);
}
#endif
