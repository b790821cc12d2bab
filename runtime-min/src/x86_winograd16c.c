/* Winograd F(2,3), F(4,3), F(6,3) Conv in NCHW16c for AVX-512 (see
 * x86_winograd16c.h and docs/x86-winograd.md, section "NCHW16c").
 *
 * One call, per image: tiles are taken in blocks of `tb`; per block
 *   1. input transform: for every tile and input channel block, the T x T
 *      input vectors (16 channels each, zero outside the plane) become
 *      V[xi][tile][ic] = (B^T d B)[xi];
 *   2. per panel of 32 output channels, T*T GEMMs Mt[xi][tile][32] =
 *      V_xi[tile][:] * U_xi[:][panel], register-blocked 12 tiles x 2 zmm;
 *   3. output transform of that panel: Y = A^T Mt A + bias (+ the residual
 *      sum of a fused Add), activation,
 *      the tail block's padded lanes forced to zero, stored under the plane
 *      bounds.
 * The weights U = G g G^T are made at compile time as
 * U[xi][panel][ceil(C/16)*16][32] (zeros in every padded slot), so padded
 * input lanes meet zero weights and never reach a real output. */
#include "x86_winograd16c.h"

#include <string.h>

#include "x86_winograd.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "x86_act.h"

#define W16_T __attribute__((target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")))
#define W16_I static inline __attribute__((always_inline)) W16_T

/* V (the transformed input of one tile block) is kept under this many bytes
 * so that it stays in L2 while every output panel re-reads it. */
#define W16_V_BUDGET ((int64_t)1 << 20)
#define W16_MAX_TB (8 * NC_W16_RT)

typedef struct w16_plan {
  int mo, t;
  int64_t n, c, m, cb, mb, icp, mq; /* channels, blocks of 16, C padded, 32-wide panels */
  int64_t h, w, oh, ow, pt, pl;
  int64_t tw, tiles, tb; /* tile grid width, tiles per image, tiles per block */
  int64_t act;
  float alpha, beta;
} w16_plan;

int nc_wino16_applies(const nc_args *a) { /* a fused residual sum included */
  if (!nc_wino_applies(a)) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return g.group == 1;
}

static void w16_plan_read(const nc_args *a, int mo, w16_plan *p) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  memset(p, 0, sizeof *p);
  p->mo = mo;
  p->t = mo + 2;
  p->n = g.n;
  p->c = g.c;
  p->m = g.m;
  p->cb = (g.c + 15) / 16;
  p->mb = (g.m + 15) / 16;
  p->icp = p->cb * 16;
  p->mq = (g.m + NC_W16_OCP - 1) / NC_W16_OCP;
  p->h = g.in[1];
  p->w = g.in[2];
  p->oh = g.out[1];
  p->ow = g.out[2];
  p->pt = g.pad[1];
  p->pl = g.pad[2];
  p->tw = (p->ow + mo - 1) / mo;
  p->tiles = ((p->oh + mo - 1) / mo) * p->tw;
  int64_t per_tile = (int64_t)p->t * p->t * p->icp * (int64_t)sizeof(float);
  int64_t tb = W16_V_BUDGET / per_tile / NC_W16_RT * NC_W16_RT;
  if (tb < NC_W16_RT) tb = NC_W16_RT;
  if (tb > W16_MAX_TB) tb = W16_MAX_TB;
  if (tb > p->tiles) tb = p->tiles;
  p->tb = tb < 1 ? 1 : tb;
  p->act = g.act;
  p->alpha = g.act_alpha;
  p->beta = g.act_beta;
}

/* Scratch floats: V[T*T][tb][icp] + Mt[T*T][tb][32], plus alignment. */
static size_t w16_scratch_bytes(const w16_plan *p) {
  size_t tt = (size_t)p->t * (size_t)p->t, tb = (size_t)p->tb;
  return (tt * tb * (size_t)p->icp + tt * tb * NC_W16_OCP) * sizeof(float) + 64;
}

static size_t w16_packed_bytes(const w16_plan *p) {
  return (size_t)p->t * (size_t)p->t * (size_t)p->mq * (size_t)p->icp * NC_W16_OCP *
         sizeof(float);
}

/* ONNX weights [M][C][3][3] -> U[xi][panel][icp][32], zeros past M and C. */
static void w16_pack_weights(const w16_plan *p, const float *w, float *dst) {
  const int t = p->t, tt = t * t;
  const double *gm = p->mo == 2 ? &nc_wino23_g[0][0]
                     : p->mo == 4 ? &nc_wino43_g[0][0]
                                  : &nc_wino63_g[0][0];
  memset(dst, 0, w16_packed_bytes(p));
  double u[NC_WINO_MAX_T * NC_WINO_MAX_T];
  for (int64_t m = 0; m < p->m; m++)
    for (int64_t c = 0; c < p->c; c++) {
      nc_wino_transform_kernel(gm, t, w + (m * p->c + c) * 9, u);
      const int64_t q = m / NC_W16_OCP, j = m % NC_W16_OCP;
      for (int xi = 0; xi < tt; xi++)
        dst[((xi * p->mq + q) * p->icp + c) * NC_W16_OCP + j] = (float)u[xi];
    }
}

/* sum_k coef[k] * v[k * stride], skipping zero coefficients (after inlining
 * with constant matrices the zero / +-1 cases fold away). */
W16_I __m512 w16_combo(const float *coef, int n, const __m512 *v, int stride) {
  __m512 acc = _mm512_setzero_ps();
  int first = 1;
#pragma GCC unroll 8
  for (int k = 0; k < n; k++) {
    const float c = coef[k];
    if (c == 0.0f) continue;
    __m512 x = v[k * stride];
    if (first) {
      acc = c == 1.0f    ? x
            : c == -1.0f ? _mm512_sub_ps(_mm512_setzero_ps(), x)
                         : _mm512_mul_ps(_mm512_set1_ps(c), x);
      first = 0;
    } else {
      acc = c == 1.0f    ? _mm512_add_ps(acc, x)
            : c == -1.0f ? _mm512_sub_ps(acc, x)
                         : _mm512_fmadd_ps(_mm512_set1_ps(c), x, acc);
    }
  }
  return acc;
}

W16_I __m512 w16_act(__m512 v, const w16_plan *p) {
  return nc_act512(v, p->act, p->alpha, p->beta);
}

/* V[xi][k][cb*16..] for tiles t0 .. t0+nt of image x (NCHW16c). */
W16_I void w16_input(const w16_plan *p, const float *x, int64_t t0, int64_t nt, float *vbuf,
                     const int t, const float *bt) {
  const int mo = t - 2;
  const int64_t plane = p->h * p->w, xis = p->tb * p->icp;
  for (int64_t k = 0; k < nt; k++) {
    const int64_t ty = (t0 + k) / p->tw, tx = (t0 + k) % p->tw;
    const int64_t iy = ty * mo - p->pt, ix = tx * mo - p->pl;
    const int inside = iy >= 0 && ix >= 0 && iy + t <= p->h && ix + t <= p->w;
    for (int64_t cb = 0; cb < p->cb; cb++) {
      const float *xp = x + (cb * plane + iy * p->w + ix) * 16;
      __m512 tmp[NC_WINO_MAX_T][NC_WINO_MAX_T];
#pragma GCC unroll 8
      for (int j = 0; j < t; j++) {
        __m512 d[NC_WINO_MAX_T];
        const int okx = inside || (ix + j >= 0 && ix + j < p->w);
#pragma GCC unroll 8
        for (int i = 0; i < t; i++) {
          const int ok = inside || (okx && iy + i >= 0 && iy + i < p->h);
          d[i] = ok ? _mm512_loadu_ps(xp + (i * p->w + j) * 16) : _mm512_setzero_ps();
        }
#pragma GCC unroll 8
        for (int r = 0; r < t; r++) tmp[r][j] = w16_combo(bt + r * t, t, d, 1);
      }
      float *vp = vbuf + k * p->icp + cb * 16;
#pragma GCC unroll 8
      for (int r = 0; r < t; r++)
#pragma GCC unroll 8
        for (int s = 0; s < t; s++)
          _mm512_storeu_ps(vp + (r * t + s) * xis, w16_combo(bt + s * t, t, tmp[r], 1));
    }
  }
}

/* mt[r][0..32) = sum_ic v[r][ic] * u[ic][0..32) for rr tiles. */
W16_I void w16_gemm_rr(const float *v, int64_t icp, const float *u, float *mt, const int rr) {
  __m512 acc[NC_W16_RT][2];
#pragma GCC unroll 12
  for (int r = 0; r < rr; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t ic = 0; ic < icp; ic++) {
    const __m512 w0 = _mm512_loadu_ps(u + ic * NC_W16_OCP);
    const __m512 w1 = _mm512_loadu_ps(u + ic * NC_W16_OCP + 16);
#pragma GCC unroll 12
    for (int r = 0; r < rr; r++) {
      const __m512 b = _mm512_set1_ps(v[r * icp + ic]);
      acc[r][0] = _mm512_fmadd_ps(b, w0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(b, w1, acc[r][1]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < rr; r++) {
    _mm512_storeu_ps(mt + r * NC_W16_OCP, acc[r][0]);
    _mm512_storeu_ps(mt + r * NC_W16_OCP + 16, acc[r][1]);
  }
}

/* One (xi, panel) GEMM over nt tiles, in register tiles of up to 12. */
static W16_T void w16_gemm(const float *v, int64_t icp, const float *u, float *mt, int64_t nt) {
  int64_t r0 = 0;
  for (; r0 + NC_W16_RT <= nt; r0 += NC_W16_RT)
    w16_gemm_rr(v + r0 * icp, icp, u, mt + r0 * NC_W16_OCP, NC_W16_RT);
  const float *vr = v + r0 * icp;
  float *mr = mt + r0 * NC_W16_OCP;
  switch (nt - r0) {
  case 0: break;
  case 1: w16_gemm_rr(vr, icp, u, mr, 1); break;
  case 2: w16_gemm_rr(vr, icp, u, mr, 2); break;
  case 3: w16_gemm_rr(vr, icp, u, mr, 3); break;
  case 4: w16_gemm_rr(vr, icp, u, mr, 4); break;
  case 5: w16_gemm_rr(vr, icp, u, mr, 5); break;
  case 6: w16_gemm_rr(vr, icp, u, mr, 6); break;
  case 7: w16_gemm_rr(vr, icp, u, mr, 7); break;
  case 8: w16_gemm_rr(vr, icp, u, mr, 8); break;
  case 9: w16_gemm_rr(vr, icp, u, mr, 9); break;
  case 10: w16_gemm_rr(vr, icp, u, mr, 10); break;
  default: w16_gemm_rr(vr, icp, u, mr, 11); break;
  }
}

/* Output tiles t0 .. t0+nt of panel q into image y (NCHW16c); `sum` (or
 * NULL) is the fused residual image, laid out like y, added before the
 * activation. */
W16_I void w16_output(const w16_plan *p, const float *mt, int64_t q, const float *bias, float *y,
                      const float *sum, int64_t t0, int64_t nt, const int mo, const float *at) {
  const int t = mo + 2;
  const int64_t oplane = p->oh * p->ow, xis = p->tb * NC_W16_OCP;
  for (int hb = 0; hb < 2; hb++) {
    const int64_t ob = q * 2 + hb;
    if (ob >= p->mb) break;
    const int64_t left = p->m - ob * 16;
    const __mmask16 lanes = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
    const __m512 vb =
        bias ? _mm512_maskz_loadu_ps(lanes, bias + ob * 16) : _mm512_setzero_ps();
    float *yb = y + ob * oplane * 16;
    for (int64_t k = 0; k < nt; k++) {
      const int64_t ty = (t0 + k) / p->tw, tx = (t0 + k) % p->tw;
      const int64_t oy = ty * mo, ox = tx * mo;
      const float *mp = mt + k * NC_W16_OCP + hb * 16;
      __m512 mm[NC_WINO_MAX_T][NC_WINO_MAX_T], tmp[NC_WINO_MAX_T][NC_WINO_MAX_T];
#pragma GCC unroll 8
      for (int r = 0; r < t; r++)
#pragma GCC unroll 8
        for (int s = 0; s < t; s++) mm[r][s] = _mm512_loadu_ps(mp + (r * t + s) * xis);
#pragma GCC unroll 8
      for (int a = 0; a < mo; a++)
#pragma GCC unroll 8
        for (int s = 0; s < t; s++)
          tmp[a][s] = w16_combo(at + a * t, t, &mm[0][s], NC_WINO_MAX_T);
#pragma GCC unroll 8
      for (int a = 0; a < mo; a++) {
        if (oy + a >= p->oh) break;
        float *yr = yb + ((oy + a) * p->ow + ox) * 16;
#pragma GCC unroll 8
        for (int b = 0; b < mo; b++) {
          if (ox + b >= p->ow) break;
          __m512 o = _mm512_add_ps(w16_combo(at + b * t, t, tmp[a], 1), vb);
          if (sum) o = _mm512_add_ps(o, _mm512_loadu_ps(sum + (yr - y) + b * 16));
          o = w16_act(o, p);
          /* padded lanes stay zero whatever the activation makes of 0 */
          _mm512_storeu_ps(yr + b * 16, _mm512_maskz_mov_ps(lanes, o));
        }
      }
    }
  }
}

W16_I void w16_run(const nc_args *a, const void *const *in, void *const *out, void *scratch,
                   const int mo, const float *bt, const float *at) {
  const int t = mo + 2;
  w16_plan p;
  w16_plan_read(a, mo, &p);
  const float *x = in[0], *u = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  float *y = out[0];
  float *vbuf = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
  float *mt = vbuf + (size_t)(t * t) * (size_t)p.tb * (size_t)p.icp;
  const int64_t in_img = p.cb * p.h * p.w * 16, out_img = p.mb * p.oh * p.ow * 16;
  const size_t u_xi = (size_t)p.mq * (size_t)p.icp * NC_W16_OCP;
  for (int64_t n = 0; n < p.n; n++) {
    const float *xn = x + n * in_img;
    float *yn = y + n * out_img;
    for (int64_t t0 = 0; t0 < p.tiles; t0 += p.tb) {
      const int64_t nt = p.tiles - t0 < p.tb ? p.tiles - t0 : p.tb;
      w16_input(&p, xn, t0, nt, vbuf, t, bt);
      for (int64_t q = 0; q < p.mq; q++) {
        for (int xi = 0; xi < t * t; xi++)
          w16_gemm(vbuf + (size_t)xi * (size_t)(p.tb * p.icp), p.icp,
                   u + (size_t)xi * u_xi + (size_t)(q * p.icp * NC_W16_OCP),
                   mt + (size_t)xi * (size_t)(p.tb * NC_W16_OCP), nt);
        w16_output(&p, mt, q, bias, yn, sum ? sum + n * out_img : NULL, t0, nt, mo, at);
      }
    }
  }
}

/* The three variants: entry point, scratch, packing (weights only; the bias
 * is read in place with a lane mask). */
#define W16_VARIANT(MO, BT, AT)                                                            \
  W16_T void nc_conv_winograd##MO##3_f32_nchw16c_avx512(                                   \
      const nc_args *a, const void *const *in, void *const *out, void *scratch) {         \
    w16_run(a, in, out, scratch, MO, &BT[0][0], &AT[0][0]);                                \
  }                                                                                        \
  size_t nc_conv_winograd##MO##3_f32_nchw16c_avx512_scratch(const nc_args *a) {            \
    w16_plan p;                                                                            \
    w16_plan_read(a, MO, &p);                                                              \
    return w16_scratch_bytes(&p);                                                          \
  }                                                                                        \
  size_t nc_conv_winograd##MO##3_f32_nchw16c_avx512_packed_bytes(const nc_args *a,         \
                                                                 int idx) {                \
    if (idx != 1) return 0;                                                                \
    w16_plan p;                                                                            \
    w16_plan_read(a, MO, &p);                                                              \
    return w16_packed_bytes(&p);                                                           \
  }                                                                                        \
  void nc_conv_winograd##MO##3_f32_nchw16c_avx512_pack(const nc_args *a, int idx,          \
                                                       const void *src, void *dst) {       \
    if (idx != 1) return;                                                                  \
    w16_plan p;                                                                            \
    w16_plan_read(a, MO, &p);                                                              \
    w16_pack_weights(&p, src, dst);                                                        \
  }

W16_VARIANT(2, nc_wino23_bt, nc_wino23_at)
W16_VARIANT(4, nc_wino43_bt, nc_wino43_at)
W16_VARIANT(6, nc_wino63_bt, nc_wino63_at)
#undef W16_VARIANT

#endif
