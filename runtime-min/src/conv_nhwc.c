/* 2-D Conv with activations stored NHWC:
 *  cpu:f32:nhwc/conv-direct/c99 — weights packed [g][kh][kw][C_g][M_g] so the
 *    inner loop runs over contiguous output channels; depthwise (C_g == M_g ==
 *    1) gets weights [kh][kw][C] and an inner loop over contiguous channels.
 *  cpu:f32:nhwc/conv-im2col/c99 — Y[P x M] = col[P x K] * W[K x M] per group,
 *    K ordered (kh, kw, C_g) so im2col reads contiguous channel runs; W packed
 *    as GEMM B panels, col built in scratch as packed A panels, chunked. */
#include <string.h>

#include "nn_internal.h"

#define CHUNK_FLOATS ((int64_t)1 << 20)

static int is_depthwise(const nc_conv_geom *g) { return g->cin_g == 1 && g->cout_g == 1; }

static int64_t taps(const nc_conv_geom *g) { return g->k[1] * g->k[2]; }

/* ---------------- direct ---------------- */

size_t nc_conv_nhwc_direct_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  return (size_t)nc_numel(&a->in[1]) * sizeof(float);
}

void nc_conv_nhwc_direct_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *w = src;
  float *d = dst;
  const int64_t t = taps(&g);
  for (int64_t m = 0; m < g.m; m++) {
    int64_t grp = m / g.cout_g, co = m % g.cout_g;
    for (int64_t ci = 0; ci < g.cin_g; ci++)
      for (int64_t tap = 0; tap < t; tap++) {
        float v = w[(m * g.cin_g + ci) * t + tap];
        if (is_depthwise(&g)) d[tap * g.m + m] = v;
        else d[((grp * t + tap) * g.cin_g + ci) * g.cout_g + co] = v;
      }
  }
}

/* One output pixel: y[M] += taps of the generic grouped conv. */
static void direct_pixel(const nc_conv_geom *g, const float *xn, const float *wp, float *yv,
                         int64_t oy, int64_t ox) {
  const int64_t t = taps(g);
  for (int64_t ky = 0; ky < g->k[1]; ky++) {
    int64_t iy = oy * g->stride[1] - g->pad[1] + ky * g->dil[1];
    if (iy < 0 || iy >= g->in[1]) continue;
    for (int64_t kx = 0; kx < g->k[2]; kx++) {
      int64_t ix = ox * g->stride[2] - g->pad[2] + kx * g->dil[2];
      if (ix < 0 || ix >= g->in[2]) continue;
      const float *xv = xn + (iy * g->in[2] + ix) * g->c;
      int64_t tap = ky * g->k[2] + kx;
      if (is_depthwise(g)) {
        const float *wv = wp + tap * g->m;
        for (int64_t c = 0; c < g->m; c++) yv[c] += xv[c] * wv[c];
        continue;
      }
      for (int64_t grp = 0; grp < g->group; grp++) {
        const float *wv = wp + (grp * t + tap) * g->cin_g * g->cout_g;
        float *yg = yv + grp * g->cout_g;
        for (int64_t ci = 0; ci < g->cin_g; ci++) {
          const float xs = xv[grp * g->cin_g + ci];
          const float *wr = wv + ci * g->cout_g;
          for (int64_t co = 0; co < g->cout_g; co++) yg[co] += xs * wr[co];
        }
      }
    }
  }
}

void nc_conv_direct_f32_nhwc_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  (void)scratch;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *x = in[0], *wp = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  float *y = out[0];
  for (int64_t n = 0; n < g.n; n++) {
    const float *xn = x + n * g.in[1] * g.in[2] * g.c;
    for (int64_t oy = 0; oy < g.out[1]; oy++)
      for (int64_t ox = 0; ox < g.out[2]; ox++) {
        float *yv = y + ((n * g.out[1] + oy) * g.out[2] + ox) * g.m;
        for (int64_t m = 0; m < g.m; m++) yv[m] = bias ? bias[m] : 0.0f;
        direct_pixel(&g, xn, wp, yv, oy, ox);
        nc_nn_act_span(yv, g.m, g.act, g.act_alpha, g.act_beta);
      }
  }
}

/* ---------------- im2col ---------------- */

static int64_t col_k(const nc_conv_geom *g) { return taps(g) * g->cin_g; }

static int64_t chunk_rows(const nc_conv_geom *g) {
  int64_t pix = g->out[1] * g->out[2], k = col_k(g);
  int64_t rows = (CHUNK_FLOATS / (k > 0 ? k : 1)) / NC_GEMM_MR * NC_GEMM_MR;
  if (rows < NC_GEMM_MR) rows = NC_GEMM_MR;
  int64_t need = (pix + NC_GEMM_MR - 1) / NC_GEMM_MR * NC_GEMM_MR;
  return rows < need ? rows : need;
}

size_t nc_conv_nhwc_im2col_scratch(const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)(col_k(&g) * chunk_rows(&g)) * sizeof(float);
}

size_t nc_conv_nhwc_im2col_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_sgemm_packed_b_floats(col_k(&g), g.cout_g) * sizeof(float);
}

void nc_conv_nhwc_im2col_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *w = src;
  float *d = dst;
  const int64_t k = col_k(&g), t = taps(&g);
  for (int64_t grp = 0; grp < g.group; grp++)
    for (int64_t j0 = 0; j0 < g.cout_g; j0 += NC_GEMM_NR)
      for (int64_t r = 0; r < k; r++) {
        int64_t tap = r / g.cin_g, ci = r % g.cin_g;
        for (int64_t j = 0; j < NC_GEMM_NR; j++) {
          int64_t m = grp * g.cout_g + j0 + j;
          *d++ = j0 + j < g.cout_g ? w[(m * g.cin_g + ci) * t + tap] : 0.0f;
        }
      }
}

/* Rows [p0, p0+np) of the im2col matrix of one image/group, packed as A. */
static void im2col_rows(const nc_conv_geom *g, const float *xn, int64_t grp, int64_t p0,
                        int64_t np, float *dst) {
  const int64_t k = col_k(g), ow = g->out[2], mr = NC_GEMM_MR;
  const int64_t rows = (np + mr - 1) / mr * mr;
  for (int64_t pl = 0; pl < rows; pl++) {
    float *d = dst + (pl / mr) * k * mr + pl % mr;
    if (pl >= np) {
      for (int64_t r = 0; r < k; r++) d[r * mr] = 0.0f;
      continue;
    }
    int64_t oy = (p0 + pl) / ow, ox = (p0 + pl) % ow;
    for (int64_t ky = 0; ky < g->k[1]; ky++) {
      int64_t iy = oy * g->stride[1] - g->pad[1] + ky * g->dil[1];
      for (int64_t kx = 0; kx < g->k[2]; kx++) {
        int64_t ix = ox * g->stride[2] - g->pad[2] + kx * g->dil[2];
        float *dr = d + (ky * g->k[2] + kx) * g->cin_g * mr;
        if (iy < 0 || iy >= g->in[1] || ix < 0 || ix >= g->in[2]) {
          for (int64_t ci = 0; ci < g->cin_g; ci++) dr[ci * mr] = 0.0f;
        } else {
          const float *xv = xn + (iy * g->in[2] + ix) * g->c + grp * g->cin_g;
          for (int64_t ci = 0; ci < g->cin_g; ci++) dr[ci * mr] = xv[ci];
        }
      }
    }
  }
}

static int pointwise_dense(const nc_conv_geom *g) {
  return g->group == 1 && g->k[1] == 1 && g->k[2] == 1 && g->stride[1] == 1 &&
         g->stride[2] == 1 && g->pad[1] == 0 && g->pad[2] == 0 && g->in[1] == g->out[1] &&
         g->in[2] == g->out[2];
}

void nc_conv_im2col_f32_nhwc_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *x = in[0], *wp = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  float *y = out[0], *col = scratch;
  const int64_t k = col_k(&g), pix = g.out[1] * g.out[2], chunk = chunk_rows(&g);
  const size_t per = nc_sgemm_packed_b_floats(k, g.cout_g);
  for (int64_t n = 0; n < g.n; n++) {
    const float *xn = x + n * g.in[1] * g.in[2] * g.c;
    float *yn = y + n * pix * g.m;
    for (int64_t grp = 0; grp < g.group; grp++) {
      nc_sgemm_epilogue e = {NULL, bias ? bias + grp * g.cout_g : NULL, g.act, g.act_alpha,
                             g.act_beta, 0};
      for (int64_t p0 = 0; p0 < pix; p0 += chunk) {
        int64_t np = pix - p0 < chunk ? pix - p0 : chunk;
        if (pointwise_dense(&g)) nc_sgemm_pack_a(np, k, xn + p0 * g.c, g.c, 1, 1.0f, col);
        else im2col_rows(&g, xn, grp, p0, np, col);
        nc_sgemm_packed(np, g.cout_g, k, col, wp + (size_t)grp * per,
                        yn + p0 * g.m + grp * g.cout_g, g.m, &e);
      }
    }
  }
}
