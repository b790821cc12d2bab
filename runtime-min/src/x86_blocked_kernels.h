/* The blocked-channel routines, written once and compiled per ISA: included
 * by x86_blocked_avx512.c (NCB_BITS 512: NCHW16c, zmm) and x86_blocked_avx2.c
 * (NCB_BITS 256: NCHW8c, ymm). One vector = one channel block of one pixel.
 * Every function carries the ISA as a target attribute, so the library
 * builds with the default flags and the code only runs where the target
 * spec allows that ISA. Layout and invariant: x86_blocked.h. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "x86_act.h"
#include "x86_blocked.h"

#if NCB_BITS == 512
#define NCB_B 16
#define NCB_TGT __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#define NCB_SYM(name) name##_f32_nchw16c_avx512
#define NCB_SYM_PLAIN(name) name##_nchw16c_f32_nchw_avx512
typedef __m512 vf;
typedef __m512i vi;
#define V_LOAD _mm512_loadu_ps
#define V_STORE _mm512_storeu_ps
#define V_SET1 _mm512_set1_ps
#define V_ZERO _mm512_setzero_ps
#define V_FMA _mm512_fmadd_ps
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_MUL _mm512_mul_ps
#define V_DIV _mm512_div_ps
#define V_MAX _mm512_max_ps
#define V_MIN _mm512_min_ps
#define V_AND _mm512_and_ps
#define V_RCP _mm512_rcp14_ps /* 14 bits */
#define V_ROUND(x) _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_CVT_I _mm512_cvtps_epi32
#define VI_ADD _mm512_add_epi32
#define VI_SET1 _mm512_set1_epi32
#define VI_SHL _mm512_slli_epi32
#define V_FROM_I _mm512_castsi512_ps
/* Register tiles: output pixels (RW) x output-channel blocks (NOCB); 32 zmm
 * hold RW*NOCB accumulators, NOCB weights and one broadcast input. */
#define RW4 6
#define RW2 12
#define RW1 24
#else
#define NCB_B 8
#define NCB_TGT __attribute__((target("avx2,fma")))
#define NCB_SYM(name) name##_f32_nchw8c_avx2
#define NCB_SYM_PLAIN(name) name##_nchw8c_f32_nchw_avx2
typedef __m256 vf;
typedef __m256i vi;
#define V_LOAD _mm256_loadu_ps
#define V_STORE _mm256_storeu_ps
#define V_SET1 _mm256_set1_ps
#define V_ZERO _mm256_setzero_ps
#define V_FMA _mm256_fmadd_ps
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_MUL _mm256_mul_ps
#define V_DIV _mm256_div_ps
#define V_MAX _mm256_max_ps
#define V_MIN _mm256_min_ps
#define V_AND _mm256_and_ps
#define V_RCP _mm256_rcp_ps /* 12 bits */
#define V_ROUND(x) _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_CVT_I _mm256_cvtps_epi32
#define VI_ADD _mm256_add_epi32
#define VI_SET1 _mm256_set1_epi32
#define VI_SHL _mm256_slli_epi32
#define V_FROM_I _mm256_castsi256_ps
/* 16 ymm: no room for four output blocks. */
#define RW2 6
#define RW1 12
#endif

#define B NCB_B
#define KI static inline __attribute__((always_inline)) NCB_TGT
#define KF static NCB_TGT
#define ROUTINE(name)                                                                   \
  NCB_TGT void NCB_SYM(name)(const nc_args *a, const void *const *in, void *const *out, \
                             void *scratch)

/* ---------------- vector helpers ---------------- */

/* All-ones bits in the first n lanes, zero bits in the rest. */
KI vf v_lanes(int64_t n) {
  int32_t m[B];
  for (int l = 0; l < B; l++) m[l] = l < n ? -1 : 0;
  return V_LOAD((const float *)m);
}

/* The fused activations and sigmoid: the shared x86 versions (x86_act.h). */
#if NCB_BITS == 512
#define v_sigmoid nc_sigmoid512
#define v_act nc_act512
#else
#define v_sigmoid nc_sigmoid256
#define v_act nc_act256
#endif

/* Activation over `n` vectors in place; lanes outside `keep` are zeroed
 * (the tail block: keep the padding at zero whatever act(0) is). */
KF void act_vectors(float *p, int64_t n, int64_t act, float alpha, float beta, int tail,
                    vf keep) {
  if (act == NC_ACT_NONE && !tail) return;
  for (int64_t i = 0; i < n; i++) {
    vf v = v_act(V_LOAD(p + i * B), act, alpha, beta);
    V_STORE(p + i * B, tail ? V_AND(v, keep) : v);
  }
}

/* ---------------- convolution ---------------- */

/* One 2-D convolution over blocked output, input blocked or plain. Input
 * channel `ic` of block `icb` at row ih, column iw sits at
 * x + icb*x_icb + ic*x_ic + ih*x_row + iw*x_pix. Packed weights
 * [OCb][ICb][KH][KW][icblk][B] (x86_blocked.h). `sum` (or NULL) is the
 * fused residual input, blocked like the output y: the element at y + i is
 * added from sum + i, after the bias and before the activation. */
typedef struct cv_geom {
  const float *w, *bias, *sum;
  const float *y; /* output base, to find a tile's offset into sum */
  int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
  int64_t icb_n, icblk, x_icb, x_ic, x_row, x_pix, x_img;
  int64_t ocb_n, m, w_ocb, y_ocb, y_img;
  int64_t act;
  float alpha, beta;
} cv_geom;

/* The residual sum of the rw pixels at yo (one output block) added to acc. */
KI void add_sum(const cv_geom *g, vf *acc, int rw, const float *yo) {
  if (!g->sum) return;
  const float *sp = g->sum + (yo - g->y);
#pragma GCC unroll 32
  for (int r = 0; r < rw; r++) acc[r] = V_ADD(acc[r], V_LOAD(sp + r * B));
}

/* After a tile's store: activations not done in registers, and zeros in
 * the padded lanes of the tail block (act(0) need not be 0). */
KF void tile_epilogue(const cv_geom *g, float *yo, int64_t n, int64_t ocb) {
  const int in_regs = g->act == NC_ACT_NONE || g->act == NC_ACT_RELU || g->act == NC_ACT_CLIP;
  const int tail = ocb == g->ocb_n - 1 && g->m % B != 0;
  if (in_regs && !tail) return;
  act_vectors(yo, n, in_regs ? NC_ACT_NONE : g->act, g->alpha, g->beta, tail,
              v_lanes(g->m - (g->ocb_n - 1) * B));
}

/* RW output pixels at row oh from column ow0, NOCB output blocks from ocb:
 * raw sums (bias included) stored to y; the caller applies the activation.
 * `checked` (RW == 1 only) skips kernel columns outside the input. `unit`
 * (blocked input, stride 1) makes the pixel step and the channel loop
 * compile-time constants: the RW broadcasts then address x with constant
 * offsets instead of one register each, which a 12- or 24-wide tile does
 * not have (the GPRs spill inside the FMA loop). */
KI void conv_tile(const cv_geom *g, const float *xn, float *yn, int64_t ocb, const int nocb,
                  int64_t oh, int64_t ow0, const int rw, const int checked, const int unit) {
  vf acc[RW1][4];
  for (int j = 0; j < nocb; j++) {
    vf b0 = g->bias ? V_LOAD(g->bias + (ocb + j) * B) : V_ZERO();
#pragma GCC unroll 32
    for (int r = 0; r < rw; r++) acc[r][j] = b0;
  }
  const int64_t ih0 = oh * g->sh - g->ph, iw0 = ow0 * g->sw - g->pw;
  const int64_t xstep = unit ? B : g->sw * g->x_pix, icblk = unit ? B : g->icblk;
  const int64_t x_ic = unit ? 1 : g->x_ic, wtap = icblk * B;
  const float *wo = g->w + ocb * g->w_ocb;
  for (int64_t icb = 0; icb < g->icb_n; icb++) {
    const float *xb = xn + icb * g->x_icb;
    const float *wb = wo + icb * g->kh * g->kw * wtap;
    for (int64_t ky = 0; ky < g->kh; ky++) {
      const int64_t ih = ih0 + ky * g->dh;
      if (ih < 0 || ih >= g->ih) continue;
      for (int64_t kx = 0; kx < g->kw; kx++) {
        const int64_t iw = iw0 + kx * g->dw;
        if (checked && (iw < 0 || iw >= g->iw)) continue;
        const float *xp = xb + ih * g->x_row + iw * g->x_pix;
        const float *wp = wb + (ky * g->kw + kx) * wtap;
        for (int64_t ic = 0; ic < icblk; ic++) {
          vf wv[4];
#pragma GCC unroll 4
          for (int j = 0; j < nocb; j++) wv[j] = V_LOAD(wp + j * g->w_ocb + ic * B);
          const float *xi = xp + ic * x_ic;
#pragma GCC unroll 32
          for (int r = 0; r < rw; r++) {
            const vf xv = V_SET1(xi[r * xstep]);
#pragma GCC unroll 4
            for (int j = 0; j < nocb; j++) acc[r][j] = V_FMA(xv, wv[j], acc[r][j]);
          }
        }
      }
    }
  }
  if (g->sum)
    for (int j = 0; j < nocb; j++) {
      const float *sp = g->sum + (yn + (ocb + j) * g->y_ocb + (oh * g->ow + ow0) * B - g->y);
#pragma GCC unroll 32
      for (int r = 0; r < rw; r++) acc[r][j] = V_ADD(acc[r][j], V_LOAD(sp + r * B));
    }
  /* Relu and Clip (relu6) in registers; the rest on the stored tile. */
  if (g->act == NC_ACT_RELU || g->act == NC_ACT_CLIP) {
    const vf lo = g->act == NC_ACT_RELU ? V_ZERO() : V_SET1(g->alpha);
    const vf hi = g->act == NC_ACT_RELU ? V_SET1(INFINITY) : V_SET1(g->beta);
    for (int j = 0; j < nocb; j++)
#pragma GCC unroll 32
      for (int r = 0; r < rw; r++) acc[r][j] = V_MIN(V_MAX(acc[r][j], lo), hi);
  }
  for (int j = 0; j < nocb; j++) {
    float *yo = yn + (ocb + j) * g->y_ocb + (oh * g->ow + ow0) * B;
#pragma GCC unroll 32
    for (int r = 0; r < rw; r++) V_STORE(yo + r * B, acc[r][j]);
    tile_epilogue(g, yo, rw, ocb + j);
  }
}

/* Tile widths are compile-time constants so the accumulators live in
 * registers: one specialised tile per (NOCB, RW). */
#define TILE_CASE(NOCB, R) \
  case R: conv_tile(g, xn, yn, ocb, NOCB, oh, ow0, R, 0, UNIT); break;
#define TILE_CASES_6(N) TILE_CASE(N, 1) TILE_CASE(N, 2) TILE_CASE(N, 3) TILE_CASE(N, 4) \
  TILE_CASE(N, 5) TILE_CASE(N, 6)
#define TILE_CASES_12(N) TILE_CASES_6(N) TILE_CASE(N, 7) TILE_CASE(N, 8) TILE_CASE(N, 9) \
  TILE_CASE(N, 10) TILE_CASE(N, 11) TILE_CASE(N, 12)
#define TILE_CASES_24(N) TILE_CASES_12(N) TILE_CASE(N, 13) TILE_CASE(N, 14) \
  TILE_CASE(N, 15) TILE_CASE(N, 16) TILE_CASE(N, 17) TILE_CASE(N, 18) TILE_CASE(N, 19) \
  TILE_CASE(N, 20) TILE_CASE(N, 21) TILE_CASE(N, 22) TILE_CASE(N, 23) TILE_CASE(N, 24)
#if NCB_BITS == 512
#define TILE_CASES_12_OR_6 TILE_CASES_12
#define TILE_CASES_24_OR_12 TILE_CASES_24
#else
#define TILE_CASES_12_OR_6 TILE_CASES_6
#define TILE_CASES_24_OR_12 TILE_CASES_12
#endif

/* conv_tiles_N: any stride and input; conv_tiles_N_u: blocked input with
 * stride 1 (UNIT), the common case. */
#define TILE_FN(NAME, NOCB, CASES)                                                        \
  KF void NAME(const cv_geom *g, const float *xn, float *yn, int64_t ocb, int64_t oh,     \
               int64_t ow0, int rw, int checked) {                                        \
    if (checked) {                                                                        \
      conv_tile(g, xn, yn, ocb, NOCB, oh, ow0, 1, 1, UNIT);                               \
      return;                                                                             \
    }                                                                                     \
    switch (rw) { CASES(NOCB) default: break; }                                           \
  }

#define UNIT 0
#if NCB_BITS == 512
TILE_FN(conv_tiles_4, 4, TILE_CASES_6)
#endif
TILE_FN(conv_tiles_2, 2, TILE_CASES_12_OR_6)
TILE_FN(conv_tiles_1, 1, TILE_CASES_24_OR_12)
#undef UNIT
#define UNIT 1
#if NCB_BITS == 512
TILE_FN(conv_tiles_4_u, 4, TILE_CASES_6)
#endif
TILE_FN(conv_tiles_2_u, 2, TILE_CASES_12_OR_6)
TILE_FN(conv_tiles_1_u, 1, TILE_CASES_24_OR_12)
#undef UNIT

typedef void (*tiles_fn)(const cv_geom *, const float *, float *, int64_t, int64_t, int64_t,
                         int, int);

/* The widest tile for the output blocks left from ocb; unit-stride
 * specialisations where the input is blocked and the stride 1. */
static tiles_fn pick_tiles(const cv_geom *g, int64_t left, int *nocb, int *rwmax) {
  const int unit = g->x_pix == B && g->x_ic == 1 && g->icblk == B && g->sw == 1;
#if NCB_BITS == 512
  if (left >= 4) {
    *nocb = 4, *rwmax = RW4;
    return unit ? conv_tiles_4_u : conv_tiles_4;
  }
#endif
  if (left >= 2) {
    *nocb = 2, *rwmax = RW2;
    return unit ? conv_tiles_2_u : conv_tiles_2;
  }
  *nocb = 1, *rwmax = RW1;
  return unit ? conv_tiles_1_u : conv_tiles_1;
}

/* Output columns [lo, hi) whose every kernel column lands inside the input. */
static void interior_cols(const cv_geom *g, int64_t *lo, int64_t *hi) {
  int64_t l0, h0, l1, h1;
  nc_conv_valid_range(g->ow, g->sw, g->pw, 0, g->iw, &l0, &h0);
  nc_conv_valid_range(g->ow, g->sw, g->pw, (g->kw - 1) * g->dw, g->iw, &l1, &h1);
  *lo = l0 > l1 ? l0 : l1;
  *hi = h0 < h1 ? h0 : h1;
  if (*lo > g->ow) *lo = g->ow; /* nc_conv_valid_range's low end is not clamped */
  if (*hi < *lo) *hi = *lo;
}

/* One row of output for NOCB blocks: borders pixel by pixel with column
 * checks, the interior in tiles of rwmax. */
KF void conv_row(const cv_geom *g, const float *xn, float *yn, int64_t ocb, int64_t oh,
                 tiles_fn tiles, int rwmax, int64_t lo, int64_t hi) {
  for (int64_t ow = 0; ow < lo; ow++) tiles(g, xn, yn, ocb, oh, ow, 1, 1);
  for (int64_t ow = lo; ow < hi; ow += rwmax) {
    int rw = hi - ow < rwmax ? (int)(hi - ow) : rwmax;
    tiles(g, xn, yn, ocb, oh, ow, rw, 0);
  }
  for (int64_t ow = hi; ow < g->ow; ow++) tiles(g, xn, yn, ocb, oh, ow, 1, 1);
}

KF void conv_run(const cv_geom *g, const float *x, float *y, int64_t n) {
  int64_t lo, hi;
  interior_cols(g, &lo, &hi);
  for (int64_t img = 0; img < n; img++) {
    const float *xn = x + img * g->x_img;
    float *yn = y + img * g->y_img;
    for (int64_t ocb = 0; ocb < g->ocb_n;) {
      int nocb, rwmax;
      tiles_fn tiles = pick_tiles(g, g->ocb_n - ocb, &nocb, &rwmax);
      for (int64_t oh = 0; oh < g->oh; oh++) conv_row(g, xn, yn, ocb, oh, tiles, rwmax, lo, hi);
      ocb += nocb;
    }
  }
}

/* Geometry from the Conv args; plain_in = input stored NCHW. A 1x1 stride-1
 * unpadded conv is one long row of H*W pixels (no borders, widest tiles). */
static void cv_geom_read(const nc_args *a, const void *const *in, const float *y, int plain_in,
                         cv_geom *g) {
  nc_conv_geom c;
  nc_conv_geom_read(a, 0, &c);
  memset(g, 0, sizeof *g);
  g->w = in[1];
  g->bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  g->sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  g->y = y;
  g->ih = c.in[1], g->iw = c.in[2], g->oh = c.out[1], g->ow = c.out[2];
  g->kh = c.k[1], g->kw = c.k[2], g->sh = c.stride[1], g->sw = c.stride[2];
  g->dh = c.dil[1], g->dw = c.dil[2], g->ph = c.pad[1], g->pw = c.pad[2];
  const int64_t ihw = g->ih * g->iw;
  g->icb_n = plain_in ? 1 : ncb_blocks(c.c, B);
  g->icblk = plain_in ? c.c : B;
  g->x_icb = ihw * B;
  g->x_ic = plain_in ? ihw : 1;
  g->x_pix = plain_in ? 1 : B;
  g->x_row = g->iw * g->x_pix;
  g->x_img = plain_in ? c.c * ihw : g->icb_n * ihw * B;
  g->m = c.m;
  g->ocb_n = ncb_blocks(c.m, B);
  g->w_ocb = g->icb_n * g->icblk * g->kh * g->kw * B;
  g->y_ocb = g->oh * g->ow * B;
  g->y_img = g->ocb_n * g->y_ocb;
  g->act = c.act, g->alpha = c.act_alpha, g->beta = c.act_beta;
  if (g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 &&
      g->oh == g->ih && g->ow == g->iw) {
    g->iw = g->ow = ihw;
    g->ih = g->oh = 1;
    g->x_row = 0;
  }
}

ROUTINE(nc_conv_direct) {
  (void)scratch;
  cv_geom g;
  cv_geom_read(a, in, out[0], 0, &g);
  conv_run(&g, in[0], out[0], a->in[0].dims[0]);
}

/* Plain NCHW input (the image), blocked output: the first layer. */
NCB_TGT void NCB_SYM_PLAIN(nc_conv_direct)(const nc_args *a, const void *const *in,
                                           void *const *out, void *scratch) {
  (void)scratch;
  cv_geom g;
  cv_geom_read(a, in, out[0], 1, &g);
  conv_run(&g, in[0], out[0], a->in[0].dims[0]);
}

/* ---------------- depthwise convolution ---------------- */

#define DW_RW 8

/* End of a depthwise tile of rw pixels: Relu/Clip in registers, store, then
 * the remaining activations and the padding-lane rule on the stored tile. */
KI void dw_store(const cv_geom *g, vf *acc, int rw, float *yo, int64_t cb) {
  add_sum(g, acc, rw, yo);
  if (g->act == NC_ACT_RELU || g->act == NC_ACT_CLIP) {
    const vf lo = g->act == NC_ACT_RELU ? V_ZERO() : V_SET1(g->alpha);
    const vf hi = g->act == NC_ACT_RELU ? V_SET1(INFINITY) : V_SET1(g->beta);
#pragma GCC unroll 16
    for (int r = 0; r < rw; r++) acc[r] = V_MIN(V_MAX(acc[r], lo), hi);
  }
#pragma GCC unroll 16
  for (int r = 0; r < rw; r++) V_STORE(yo + r * B, acc[r]);
  tile_epilogue(g, yo, rw, cb);
}

/* RW output pixels of one channel block; packed weights [KH][KW][B]. */
KI void dw_tile(const cv_geom *g, const float *xb, float *yb, const float *wb, vf b0,
                int64_t cb, int64_t oh, int64_t ow0, const int rw, const int checked) {
  vf acc[DW_RW];
#pragma GCC unroll 8
  for (int r = 0; r < rw; r++) acc[r] = b0;
  const int64_t ih0 = oh * g->sh - g->ph, iw0 = ow0 * g->sw - g->pw;
  const int64_t xstep = g->sw * B;
  for (int64_t ky = 0; ky < g->kh; ky++) {
    const int64_t ih = ih0 + ky * g->dh;
    if (ih < 0 || ih >= g->ih) continue;
    for (int64_t kx = 0; kx < g->kw; kx++) {
      const int64_t iw = iw0 + kx * g->dw;
      if (checked && (iw < 0 || iw >= g->iw)) continue;
      const vf wv = V_LOAD(wb + (ky * g->kw + kx) * B);
      const float *xp = xb + (ih * g->iw + iw) * B;
#pragma GCC unroll 8
      for (int r = 0; r < rw; r++) acc[r] = V_FMA(V_LOAD(xp + r * xstep), wv, acc[r]);
    }
  }
  dw_store(g, acc, rw, yb + (oh * g->ow + ow0) * B, cb);
}

#define DW_CASE(R) \
  case R: dw_tile(g, xb, yb, wb, b0, cb, oh, ow0, R, 0); break;

KF void dw_tiles(const cv_geom *g, const float *xb, float *yb, const float *wb, vf b0,
                 int64_t cb, int64_t oh, int64_t ow0, int rw, int checked) {
  if (checked) {
    dw_tile(g, xb, yb, wb, b0, cb, oh, ow0, 1, 1);
    return;
  }
  switch (rw) {
    DW_CASE(1) DW_CASE(2) DW_CASE(3) DW_CASE(4) DW_CASE(5) DW_CASE(6) DW_CASE(7) DW_CASE(8)
  default: break;
  }
}

#if NCB_BITS == 512
#define DW3_RW 16
#else
#define DW3_RW 8
#endif

/* DW3_RW outputs of a 3-wide, stride-1, undilated kernel row by row: each
 * input vector is loaded once per kernel row and feeds the three outputs
 * it touches (a third of dw_tile's loads). Interior columns only. */
KI void dw3_tile(const cv_geom *g, const float *xb, float *yb, const float *wb, vf b0,
                 int64_t cb, int64_t oh, int64_t ow0) {
  vf acc[DW3_RW];
#pragma GCC unroll 16
  for (int r = 0; r < DW3_RW; r++) acc[r] = b0;
  const int64_t ih0 = oh * g->sh - g->ph, iw0 = ow0 - g->pw;
  for (int64_t ky = 0; ky < g->kh; ky++) {
    const int64_t ih = ih0 + ky * g->dh;
    if (ih < 0 || ih >= g->ih) continue;
    const vf w0 = V_LOAD(wb + (ky * 3) * B), w1 = V_LOAD(wb + (ky * 3 + 1) * B);
    const vf w2 = V_LOAD(wb + (ky * 3 + 2) * B);
    const float *xp = xb + (ih * g->iw + iw0) * B;
#pragma GCC unroll 18
    for (int i = 0; i < DW3_RW + 2; i++) {
      const vf xv = V_LOAD(xp + i * B);
      if (i < DW3_RW) acc[i] = V_FMA(xv, w0, acc[i]);
      if (i >= 1 && i - 1 < DW3_RW) acc[i - 1] = V_FMA(xv, w1, acc[i - 1]);
      if (i >= 2) acc[i - 2] = V_FMA(xv, w2, acc[i - 2]);
    }
  }
  dw_store(g, acc, DW3_RW, yb + (oh * g->ow + ow0) * B, cb);
}

KF void dw3_tiles(const cv_geom *g, const float *xb, float *yb, const float *wb, vf b0,
                  int64_t cb, int64_t oh, int64_t ow0) {
  dw3_tile(g, xb, yb, wb, b0, cb, oh, ow0);
}

ROUTINE(nc_conv_depthwise) {
  (void)scratch;
  cv_geom g;
  cv_geom_read(a, in, out[0], 0, &g);
  const float *x = in[0];
  float *y = out[0];
  int64_t lo, hi;
  interior_cols(&g, &lo, &hi);
  const int64_t taps = g.kh * g.kw, ihw = g.ih * g.iw;
  const int row3 = g.kw == 3 && g.sw == 1 && g.dw == 1;
  for (int64_t img = 0; img < a->in[0].dims[0]; img++)
    for (int64_t cb = 0; cb < g.ocb_n; cb++) {
      const float *xb = x + (img * g.ocb_n + cb) * ihw * B;
      float *yb = y + img * g.y_img + cb * g.y_ocb;
      const float *wb = g.w + cb * taps * B;
      const vf b0 = g.bias ? V_LOAD(g.bias + cb * B) : V_ZERO();
      for (int64_t oh = 0; oh < g.oh; oh++) {
        for (int64_t ow = 0; ow < lo; ow++) dw_tiles(&g, xb, yb, wb, b0, cb, oh, ow, 1, 1);
        int64_t ow = lo;
        if (row3)
          for (; ow + DW3_RW <= hi; ow += DW3_RW) dw3_tiles(&g, xb, yb, wb, b0, cb, oh, ow);
        for (; ow < hi; ow += DW_RW)
          dw_tiles(&g, xb, yb, wb, b0, cb, oh, ow, hi - ow < DW_RW ? (int)(hi - ow) : DW_RW, 0);
        for (int64_t ow = hi; ow < g.ow; ow++) dw_tiles(&g, xb, yb, wb, b0, cb, oh, ow, 1, 1);
      }
    }
}

/* ---------------- pooling ---------------- */

/* Taps [k_lo, k_hi) of one output position inside the input; `span` counts
 * the taps inside [-pad_begin, in + pad_end) (count_include_pad divisor). */
typedef struct win1 {
  int64_t base, k_lo, k_hi, span;
} win1;

static win1 pool_window(int64_t o, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
                        int64_t size) {
  win1 w = {o * s - pb, 0, 0, 0};
  for (int64_t t = 0; t < k; t++) {
    int64_t i = w.base + t * d;
    if (i >= -pb && i < size + pe) w.span++;
    if (i < 0) w.k_lo = t + 1;
    if (i < size) w.k_hi = t + 1;
  }
  if (w.k_hi < w.k_lo) w.k_hi = w.k_lo;
  return w;
}

KI void pool_run(const nc_args *a, const float *x, float *y, int is_max) {
  nc_conv_geom g;
  nc_pool_geom_read(a, &g);
  const int cip = (int)nc_nn_ia(a, NC_POOL_IA_COUNT_INCLUDE_PAD, 0);
  const int64_t pe_h = nc_nn_ia(a, NC_POOL_IA_PAD_END + 0, 0);
  const int64_t pe_w = nc_nn_ia(a, NC_POOL_IA_PAD_END + 1, 0);
  const int64_t cb_n = ncb_blocks(g.c, B), ihw = g.in[1] * g.in[2], ohw = g.out[1] * g.out[2];
  const vf keep = v_lanes(g.c - (cb_n - 1) * B);
  for (int64_t blk = 0; blk < g.n * cb_n; blk++) {
    const float *xb = x + blk * ihw * B;
    float *yb = y + blk * ohw * B;
    const int last = g.c % B != 0 && blk % cb_n == cb_n - 1;
    for (int64_t oh = 0; oh < g.out[1]; oh++) {
      win1 wy = pool_window(oh, g.k[1], g.stride[1], g.dil[1], g.pad[1], pe_h, g.in[1]);
      for (int64_t ow = 0; ow < g.out[2]; ow++) {
        win1 wx = pool_window(ow, g.k[2], g.stride[2], g.dil[2], g.pad[2], pe_w, g.in[2]);
        vf acc = is_max ? V_SET1(-INFINITY) : V_ZERO();
        for (int64_t ky = wy.k_lo; ky < wy.k_hi; ky++) {
          const float *xr = xb + (wy.base + ky * g.dil[1]) * g.in[2] * B;
          for (int64_t kx = wx.k_lo; kx < wx.k_hi; kx++) {
            vf v = V_LOAD(xr + (wx.base + kx * g.dil[2]) * B);
            acc = is_max ? V_MAX(acc, v) : V_ADD(acc, v);
          }
        }
        if (!is_max) {
          int64_t div = cip ? wy.span * wx.span : (wy.k_hi - wy.k_lo) * (wx.k_hi - wx.k_lo);
          acc = V_MUL(acc, V_SET1(div > 0 ? 1.0f / (float)div : 0.0f));
        }
        V_STORE(yb + (oh * g.out[2] + ow) * B, last ? V_AND(acc, keep) : acc);
      }
    }
  }
}

ROUTINE(nc_maxpool_direct) {
  (void)scratch;
  pool_run(a, in[0], out[0], 1);
}

ROUTINE(nc_averagepool_direct) {
  (void)scratch;
  pool_run(a, in[0], out[0], 0);
}

/* Mean of every channel block over H*W, four partial sums for latency. */
KI vf block_mean(const float *xb, int64_t hw) {
  vf s0 = V_ZERO(), s1 = V_ZERO(), s2 = V_ZERO(), s3 = V_ZERO();
  int64_t p = 0;
  for (; p + 4 <= hw; p += 4) {
    s0 = V_ADD(s0, V_LOAD(xb + p * B));
    s1 = V_ADD(s1, V_LOAD(xb + (p + 1) * B));
    s2 = V_ADD(s2, V_LOAD(xb + (p + 2) * B));
    s3 = V_ADD(s3, V_LOAD(xb + (p + 3) * B));
  }
  for (; p < hw; p++) s0 = V_ADD(s0, V_LOAD(xb + p * B));
  vf s = V_ADD(V_ADD(s0, s1), V_ADD(s2, s3));
  return V_MUL(s, V_SET1(hw > 0 ? 1.0f / (float)hw : 0.0f));
}

/* Output [N, C, 1, 1] blocked: one vector per (n, block). */
ROUTINE(nc_globalaveragepool_direct) {
  (void)scratch;
  const nc_tdesc *d = &a->in[0];
  const int64_t cb_n = ncb_blocks(d->dims[1], B), hw = d->dims[2] * d->dims[3];
  const float *x = in[0];
  float *y = out[0];
  for (int64_t blk = 0; blk < d->dims[0] * cb_n; blk++)
    V_STORE(y + blk * B, block_mean(x + blk * hw * B, hw));
}

/* The same means written plain [N][C]: the classifier head reads NCHW. */
ROUTINE(nc_globalaveragepool_tonchw) {
  (void)scratch;
  const nc_tdesc *d = &a->in[0];
  const int64_t c = d->dims[1], cb_n = ncb_blocks(c, B), hw = d->dims[2] * d->dims[3];
  const float *x = in[0];
  float *y = out[0];
  for (int64_t n = 0; n < d->dims[0]; n++)
    for (int64_t cb = 0; cb < cb_n; cb++) {
      float m[B];
      V_STORE(m, block_mean(x + (n * cb_n + cb) * hw * B, hw));
      const int64_t lanes = c - cb * B < B ? c - cb * B : B;
      memcpy(y + n * c + cb * B, m, (size_t)lanes * sizeof(float));
    }
}

/* ---------------- elementwise ---------------- */

typedef enum bin_op { BIN_ADD, BIN_SUB, BIN_MUL } bin_op;

KI vf v_bin(bin_op op, vf x, vf y) {
  return op == BIN_ADD ? V_ADD(x, y) : op == BIN_SUB ? V_SUB(x, y) : V_MUL(x, y);
}

/* Same shapes: the whole padded buffer at once (0 op 0 = 0 keeps padding). */
KI void bin_same(bin_op op, const nc_args *a, const float *x, const float *z, float *y) {
  const int64_t n = (int64_t)(nc_layout_bytes(&a->out[0], B == 16 ? NC_LAYOUT_NCHW16C
                                                                  : NC_LAYOUT_NCHW8C) /
                              sizeof(float));
  for (int64_t i = 0; i < n; i += B) V_STORE(y + i, v_bin(op, V_LOAD(x + i), V_LOAD(z + i)));
}

/* Full [N,C,H,W] with one vector per (n, block) of a [N|1, C, 1, 1] operand. */
KI void bin_channel(bin_op op, const nc_args *a, const void *const *in, float *y) {
  const nc_tdesc *o = &a->out[0];
  const int left = !(a->in[0].dims[2] == o->dims[2] && a->in[0].dims[3] == o->dims[3] &&
                     a->in[0].dims[0] == o->dims[0]);
  const nc_tdesc *sd = &a->in[left ? 0 : 1];
  const float *full = in[left ? 1 : 0], *small = in[left ? 0 : 1];
  const int64_t cb_n = ncb_blocks(o->dims[1], B), hw = o->dims[2] * o->dims[3];
  for (int64_t n = 0; n < o->dims[0]; n++)
    for (int64_t cb = 0; cb < cb_n; cb++) {
      const vf s = V_LOAD(small + ((sd->dims[0] > 1 ? n : 0) * cb_n + cb) * B);
      const int64_t off = (n * cb_n + cb) * hw * B;
      for (int64_t p = 0; p < hw; p++) {
        const vf v = V_LOAD(full + off + p * B);
        V_STORE(y + off + p * B, left ? v_bin(op, s, v) : v_bin(op, v, s));
      }
    }
}

ROUTINE(nc_add_same) {
  (void)scratch;
  bin_same(BIN_ADD, a, in[0], in[1], out[0]);
}
ROUTINE(nc_sub_same) {
  (void)scratch;
  bin_same(BIN_SUB, a, in[0], in[1], out[0]);
}
ROUTINE(nc_mul_same) {
  (void)scratch;
  bin_same(BIN_MUL, a, in[0], in[1], out[0]);
}
ROUTINE(nc_add_channel) {
  (void)scratch;
  bin_channel(BIN_ADD, a, in, out[0]);
}
ROUTINE(nc_mul_channel) {
  (void)scratch;
  bin_channel(BIN_MUL, a, in, out[0]);
}

/* Unary activations, in place or not: block by block, the tail block masked
 * (sigmoid, clip, hard-sigmoid can turn a zero into something else). */
typedef enum un_op { UN_RELU, UN_CLIP, UN_HARDSWISH, UN_HARDSIGMOID, UN_SIGMOID } un_op;

KI vf v_un(un_op op, vf v, vf p0, vf p1) {
  switch (op) {
  case UN_RELU: return V_MAX(v, V_ZERO());
  case UN_CLIP: return V_MIN(V_MAX(v, p0), p1);
  case UN_HARDSWISH: {
    /* x * clamp(x/6 + 1/2, 0, 1), the elementwise reference's formula */
    vf t = V_ADD(V_MUL(v, V_SET1(1.0f / 6.0f)), V_SET1(0.5f));
    return V_MUL(v, V_MIN(V_MAX(t, V_ZERO()), V_SET1(1.0f)));
  }
  case UN_HARDSIGMOID: {
    vf t = V_ADD(V_MUL(p0, v), p1);
    return V_MIN(V_MAX(t, V_ZERO()), V_SET1(1.0f));
  }
  default: return v_sigmoid(v);
  }
}

KI void unary_run(un_op op, const nc_args *a, const float *x, float *y, float d0, float d1) {
  const nc_tdesc *d = &a->in[0];
  const int64_t c = d->dims[1], cb_n = ncb_blocks(c, B), hw = d->dims[2] * d->dims[3];
  const vf p0 = V_SET1(a->n_fa > 0 ? (float)a->fa[0] : d0);
  const vf p1 = V_SET1(a->n_fa > 1 ? (float)a->fa[1] : d1);
  const vf keep = v_lanes(c - (cb_n - 1) * B);
  for (int64_t blk = 0; blk < d->dims[0] * cb_n; blk++) {
    const float *xb = x + blk * hw * B;
    float *yb = y + blk * hw * B;
    if (c % B != 0 && blk % cb_n == cb_n - 1) {
      for (int64_t p = 0; p < hw; p++)
        V_STORE(yb + p * B, V_AND(v_un(op, V_LOAD(xb + p * B), p0, p1), keep));
    } else {
      for (int64_t p = 0; p < hw; p++) V_STORE(yb + p * B, v_un(op, V_LOAD(xb + p * B), p0, p1));
    }
  }
}

ROUTINE(nc_relu_vec) {
  (void)scratch;
  unary_run(UN_RELU, a, in[0], out[0], 0.0f, 0.0f);
}
ROUTINE(nc_clip_vec) {
  (void)scratch;
  unary_run(UN_CLIP, a, in[0], out[0], -INFINITY, INFINITY);
}
ROUTINE(nc_hardswish_vec) {
  (void)scratch;
  unary_run(UN_HARDSWISH, a, in[0], out[0], 0.0f, 0.0f);
}
ROUTINE(nc_hardsigmoid_vec) {
  (void)scratch;
  unary_run(UN_HARDSIGMOID, a, in[0], out[0], 0.2f, 0.5f);
}
ROUTINE(nc_sigmoid_vec) {
  (void)scratch;
  unary_run(UN_SIGMOID, a, in[0], out[0], 0.0f, 0.0f);
}

/* ---------------- batch normalization ---------------- */

/* Inference BatchNormalization (not folded: it precedes its conv, as in
 * densenet): per channel y = x * mul + add with mul = scale / sqrt(var + eps)
 * and add = B - mean * mul, computed as the reference does. The parameters
 * are compile-time constants, so they arrive plain [C]; padded lanes get
 * mul = add = 0 and stay zero. */
ROUTINE(nc_batchnormalization_direct) {
  (void)scratch;
  const nc_tdesc *d = &a->in[0];
  const float *x = in[0], *scale = in[1], *bias = in[2], *mean = in[3], *var = in[4];
  float *y = out[0];
  const double eps = nc_nn_fa(a, NC_BN_FA_EPSILON, 1e-5);
  const int64_t c = d->dims[1], cb_n = ncb_blocks(c, B), hw = d->dims[2] * d->dims[3];
  for (int64_t cb = 0; cb < cb_n; cb++) {
    float mul[B], add[B];
    for (int64_t l = 0; l < B; l++) {
      const int64_t ch = cb * B + l;
      mul[l] = ch < c ? (float)(scale[ch] / sqrt((double)var[ch] + eps)) : 0.0f;
      add[l] = ch < c ? (float)(bias[ch] - mean[ch] * (double)mul[l]) : 0.0f;
    }
    const vf vm = V_LOAD(mul), va = V_LOAD(add);
    for (int64_t n = 0; n < d->dims[0]; n++) {
      const int64_t off = (n * cb_n + cb) * hw * B;
      for (int64_t p = 0; p < hw; p++)
        V_STORE(y + off + p * B, V_FMA(V_LOAD(x + off + p * B), vm, va));
    }
  }
}

/* ---------------- pad ---------------- */

/* Constant padding of H and W only (never N or C, never a crop): densenet's
 * exporter puts an all-zero Pad before every transition pool. Real lanes of
 * the border get the value, padded lanes stay zero. */
ROUTINE(nc_pad_spatial) {
  (void)scratch;
  const nc_tdesc *xd = &a->in[0], *yd = &a->out[0];
  const int64_t c = xd->dims[1], cb_n = ncb_blocks(c, B);
  const int64_t ih = xd->dims[2], iw = xd->dims[3], oh = yd->dims[2], ow = yd->dims[3];
  const int64_t top = a->ia[NC_PAD_BEGIN + 2], left = a->ia[NC_PAD_BEGIN + 3];
  const float value = a->n_fa > NC_PAD_VALUE ? (float)a->fa[NC_PAD_VALUE] : 0.0f;
  const vf keep = v_lanes(c - (cb_n - 1) * B), full = V_SET1(value);
  const float *x = in[0];
  float *y = out[0];
  for (int64_t blk = 0; blk < xd->dims[0] * cb_n; blk++) {
    const vf fill = c % B != 0 && blk % cb_n == cb_n - 1 ? V_AND(full, keep) : full;
    const float *xb = x + blk * ih * iw * B;
    float *yb = y + blk * oh * ow * B;
    for (int64_t r = 0; r < oh; r++) {
      float *yr = yb + r * ow * B;
      const int64_t sr = r - top;
      if (sr < 0 || sr >= ih) {
        for (int64_t q = 0; q < ow; q++) V_STORE(yr + q * B, fill);
        continue;
      }
      for (int64_t q = 0; q < left; q++) V_STORE(yr + q * B, fill);
      memcpy(yr + left * B, xb + sr * iw * B, (size_t)(iw * B) * sizeof(float));
      for (int64_t q = left + iw; q < ow; q++) V_STORE(yr + q * B, fill);
    }
  }
}

/* ---------------- concat ---------------- */

/* Channel concat: per image, the inputs' blocks follow one another. */
ROUTINE(nc_concat_channels) {
  (void)scratch;
  const nc_tdesc *o = &a->out[0];
  const int64_t hw = o->dims[2] * o->dims[3];
  char *y = out[0];
  for (int64_t n = 0; n < o->dims[0]; n++)
    for (int i = 0; i < a->n_in; i++) {
      const size_t bytes = (size_t)(ncb_blocks(a->in[i].dims[1], B) * hw * B) * sizeof(float);
      if (bytes) memcpy(y, (const char *)in[i] + (size_t)n * bytes, bytes);
      y += bytes;
    }
}
