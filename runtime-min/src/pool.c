/* Pooling references (NCHW, 1-D..3-D): MaxPool (+ Indices), AveragePool,
 * LpPool, GlobalAveragePool, GlobalMaxPool; and the 2-D NHWC variants of
 * MaxPool, AveragePool and GlobalAveragePool that loop over contiguous
 * channels. Output sizes come from out[0] (lowering resolved ceil_mode). */
#include <float.h>
#include <math.h>

#include "nn_internal.h"

typedef enum pool_kind { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

/* Window of one output position along slot s: taps [k_lo, k_hi) land inside
 * the input; `span` is the tap count inside [-pad_begin, in + pad_end). */
typedef struct win1 {
  int64_t base, k_lo, k_hi, span;
} win1;

static int64_t pad_end_of(const nc_args *a, const nc_conv_geom *g, int s) {
  int d = s - (3 - g->nsp);
  return d >= 0 ? nc_nn_ia(a, NC_POOL_IA_PAD_END + d, 0) : 0;
}

static win1 window(const nc_conv_geom *g, int s, int64_t o, int64_t pad_end) {
  win1 w = {o * g->stride[s] - g->pad[s], 0, 0, 0};
  for (int64_t k = 0; k < g->k[s]; k++) {
    int64_t i = w.base + k * g->dil[s];
    if (i >= -g->pad[s] && i < g->in[s] + pad_end) w.span++;
    if (i < 0) w.k_lo = k + 1;
    if (i < g->in[s]) w.k_hi = k + 1;
  }
  if (w.k_hi < w.k_lo) w.k_hi = w.k_lo;
  return w;
}

static int64_t spatial_index(const nc_conv_geom *g, int64_t z, int64_t y, int64_t x, int col) {
  return col ? (x * g->in[1] + y) * g->in[0] + z : (z * g->in[1] + y) * g->in[2] + x;
}

static void pool_plane(const nc_args *a, const nc_conv_geom *g, pool_kind kind,
                       const float *xp, float *yp, int64_t *ip, int64_t ibase) {
  const int cip = (int)nc_nn_ia(a, NC_POOL_IA_COUNT_INCLUDE_PAD, 0);
  const int col = (int)nc_nn_ia(a, NC_POOL_IA_STORAGE_ORDER, 0);
  const double p = (double)nc_nn_ia(a, NC_POOL_IA_P, 2);
  int64_t pe[3];
  for (int s = 0; s < 3; s++) pe[s] = pad_end_of(a, g, s);
  for (int64_t oz = 0; oz < g->out[0]; oz++) {
    win1 wz = window(g, 0, oz, pe[0]);
    for (int64_t oy = 0; oy < g->out[1]; oy++) {
      win1 wy = window(g, 1, oy, pe[1]);
      for (int64_t ox = 0; ox < g->out[2]; ox++) {
        win1 wx = window(g, 2, ox, pe[2]);
        double acc = kind == POOL_MAX ? -INFINITY : 0.0;
        int64_t cnt = 0, best = 0;
        for (int64_t kz = wz.k_lo; kz < wz.k_hi; kz++) {
          int64_t iz = wz.base + kz * g->dil[0];
          for (int64_t ky = wy.k_lo; ky < wy.k_hi; ky++) {
            int64_t iy = wy.base + ky * g->dil[1];
            for (int64_t kx = wx.k_lo; kx < wx.k_hi; kx++) {
              int64_t ix = wx.base + kx * g->dil[2];
              float v = xp[(iz * g->in[1] + iy) * g->in[2] + ix];
              cnt++;
              if (kind == POOL_MAX) {
                if (v > acc || cnt == 1) {
                  acc = v;
                  best = spatial_index(g, iz, iy, ix, col);
                }
              } else if (kind == POOL_AVG) {
                acc += v;
              } else {
                acc += pow(fabs((double)v), p);
              }
            }
          }
        }
        int64_t o = (oz * g->out[1] + oy) * g->out[2] + ox;
        if (kind == POOL_AVG) {
          int64_t div = cip ? wz.span * wy.span * wx.span : cnt;
          acc = div > 0 ? acc / (double)div : 0.0;
        } else if (kind == POOL_LP) {
          acc = pow(acc, 1.0 / p);
        }
        yp[o] = (float)acc;
        if (ip) ip[o] = ibase + best;
      }
    }
  }
}

static void pool_nchw(const nc_args *a, pool_kind kind, const void *const *in,
                      void *const *out) {
  nc_conv_geom g;
  nc_pool_geom_read(a, &g);
  const float *x = in[0];
  float *y = out[0];
  int64_t *ind = kind == POOL_MAX && nc_nn_has_out(a, 1) ? out[1] : NULL;
  const int64_t isz = g.in[0] * g.in[1] * g.in[2], osz = g.out[0] * g.out[1] * g.out[2];
  for (int64_t nc = 0; nc < g.n * g.c; nc++)
    pool_plane(a, &g, kind, x + nc * isz, y + nc * osz, ind ? ind + nc * osz : NULL,
               nc * isz);
}

void nc_maxpool_ref_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  (void)scratch;
  pool_nchw(a, POOL_MAX, in, out);
}

void nc_averagepool_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                     void *const *out, void *scratch) {
  (void)scratch;
  pool_nchw(a, POOL_AVG, in, out);
}

void nc_lppool_ref_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  pool_nchw(a, POOL_LP, in, out);
}

/* Global pools: one value per (n, c) over all spatial positions. */
static void global_pool(const nc_args *a, int is_max, const float *x, float *y) {
  const nc_tdesc *d = &a->in[0];
  int64_t nc = d->dims[0] * d->dims[1], sp = nc_numel(d) / (nc > 0 ? nc : 1);
  for (int64_t i = 0; i < nc; i++) {
    const float *p = x + i * sp;
    double acc = is_max ? -INFINITY : 0.0;
    for (int64_t j = 0; j < sp; j++) {
      if (is_max) acc = p[j] > acc ? p[j] : acc;
      else acc += p[j];
    }
    y[i] = (float)(is_max ? acc : acc / (double)sp);
  }
}

void nc_globalaveragepool_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                           void *const *out, void *scratch) {
  (void)scratch;
  global_pool(a, 0, in[0], out[0]);
}

void nc_globalmaxpool_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  (void)scratch;
  global_pool(a, 1, in[0], out[0]);
}

/* ---------------- NHWC (2-D) ---------------- */

int nc_pool_nhwc_applies(const nc_args *a) {
  return a->in[0].ndim == 4 && nc_nn_ia(a, NC_POOL_IA_NSPATIAL, 0) == 2 &&
         !nc_nn_has_out(a, 1);
}

static void pool_nhwc(const nc_args *a, int is_max, const float *x, float *y) {
  nc_conv_geom g;
  nc_pool_geom_read(a, &g);
  const int cip = (int)nc_nn_ia(a, NC_POOL_IA_COUNT_INCLUDE_PAD, 0);
  const int64_t pe1 = pad_end_of(a, &g, 1), pe2 = pad_end_of(a, &g, 2), C = g.c;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t oy = 0; oy < g.out[1]; oy++) {
      win1 wy = window(&g, 1, oy, pe1);
      for (int64_t ox = 0; ox < g.out[2]; ox++) {
        win1 wx = window(&g, 2, ox, pe2);
        float *yv = y + ((n * g.out[1] + oy) * g.out[2] + ox) * C;
        for (int64_t c = 0; c < C; c++) yv[c] = is_max ? -INFINITY : 0.0f;
        for (int64_t ky = wy.k_lo; ky < wy.k_hi; ky++) {
          int64_t iy = wy.base + ky * g.dil[1];
          for (int64_t kx = wx.k_lo; kx < wx.k_hi; kx++) {
            int64_t ix = wx.base + kx * g.dil[2];
            const float *xv = x + ((n * g.in[1] + iy) * g.in[2] + ix) * C;
            if (is_max) {
              for (int64_t c = 0; c < C; c++) yv[c] = xv[c] > yv[c] ? xv[c] : yv[c];
            } else {
              for (int64_t c = 0; c < C; c++) yv[c] += xv[c];
            }
          }
        }
        if (!is_max) {
          int64_t div = cip ? wy.span * wx.span : (wy.k_hi - wy.k_lo) * (wx.k_hi - wx.k_lo);
          float inv = div > 0 ? 1.0f / (float)div : 0.0f;
          for (int64_t c = 0; c < C; c++) yv[c] *= inv;
        }
      }
    }
}

void nc_maxpool_ref_f32_nhwc_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  (void)scratch;
  pool_nhwc(a, 1, in[0], out[0]);
}

void nc_averagepool_ref_f32_nhwc_c99(const nc_args *a, const void *const *in,
                                     void *const *out, void *scratch) {
  (void)scratch;
  pool_nhwc(a, 0, in[0], out[0]);
}

void nc_globalaveragepool_ref_f32_nhwc_c99(const nc_args *a, const void *const *in,
                                           void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *d = &a->in[0];
  const int64_t C = d->dims[1], sp = d->dims[2] * d->dims[3];
  const float *x = in[0];
  float *y = out[0];
  for (int64_t n = 0; n < d->dims[0]; n++) {
    float *yv = y + n * C;
    for (int64_t c = 0; c < C; c++) yv[c] = 0.0f;
    for (int64_t p = 0; p < sp; p++) {
      const float *xv = x + (n * sp + p) * C;
      for (int64_t c = 0; c < C; c++) yv[c] += xv[c];
    }
    for (int64_t c = 0; c < C; c++) yv[c] /= (float)sp;
  }
}
