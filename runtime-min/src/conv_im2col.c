/* cpu:f32:nchw/conv-im2col/c99 — 2-D Conv as GEMM: Y_g[M_g x P] = W_g[M_g x K]
 * * col[K x P], K = C_g*kh*kw, P = output pixels. W is packed at compile time
 * into GEMM A panels; the column matrix is built chunk by chunk straight in
 * the packed B form in scratch, so scratch stays bounded on large images.
 * A 1x1 stride-1 unpadded conv packs X directly (no im2col). */
#include <string.h>

#include "nn_internal.h"

#define CHUNK_FLOATS ((int64_t)1 << 20) /* upper bound of the column buffer */

static int64_t conv_k(const nc_conv_geom *g) { return g->cin_g * g->k[1] * g->k[2]; }

static int64_t chunk_cols(const nc_conv_geom *g) {
  int64_t pix = g->out[1] * g->out[2], k = conv_k(g);
  int64_t cols = (CHUNK_FLOATS / (k > 0 ? k : 1)) / NC_GEMM_NR * NC_GEMM_NR;
  if (cols < NC_GEMM_NR) cols = NC_GEMM_NR;
  int64_t need = (pix + NC_GEMM_NR - 1) / NC_GEMM_NR * NC_GEMM_NR;
  return cols < need ? cols : need;
}

static int is_pointwise(const nc_conv_geom *g) {
  return g->k[1] == 1 && g->k[2] == 1 && g->stride[1] == 1 && g->stride[2] == 1 &&
         g->pad[1] == 0 && g->pad[2] == 0 && g->in[1] == g->out[1] && g->in[2] == g->out[2];
}

/* 2-D convs without a fused residual sum (these routines do not add one). */
int nc_conv_2d_applies(const nc_args *a) {
  return nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 0) == 2 && a->in[0].ndim == 4 &&
         !nc_nn_has_in(a, NC_CONV_IN_SUM);
}

static size_t im2col_scratch(const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)(conv_k(&g) * chunk_cols(&g)) * sizeof(float);
}

static size_t im2col_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_sgemm_packed_a_floats(g.cout_g, conv_k(&g)) * sizeof(float);
}

static void im2col_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const int64_t k = conv_k(&g);
  const size_t per = nc_sgemm_packed_a_floats(g.cout_g, k);
  for (int64_t grp = 0; grp < g.group; grp++)
    nc_sgemm_pack_a(g.cout_g, k, (const float *)src + grp * g.cout_g * k, k, 1, 1.0f,
                    (float *)dst + (size_t)grp * per);
}

/* Columns [p0, p0+np) of the im2col matrix of one image/group, packed as B. */
static void im2col_chunk(const nc_conv_geom *g, const float *x, int64_t p0, int64_t np,
                         float *dst) {
  const int64_t k = conv_k(g), ow = g->out[2];
  const int64_t panels = (np + NC_GEMM_NR - 1) / NC_GEMM_NR;
  for (int64_t r = 0; r < k; r++) {
    int64_t ci = r / (g->k[1] * g->k[2]), ky = r / g->k[2] % g->k[1], kx = r % g->k[2];
    const float *xp = x + ci * g->in[1] * g->in[2];
    int64_t oy = p0 / ow, ox = p0 % ow;
    for (int64_t pl = 0; pl < panels * NC_GEMM_NR; pl++) {
      float v = 0.0f;
      if (pl < np) {
        int64_t iy = oy * g->stride[1] - g->pad[1] + ky * g->dil[1];
        int64_t ix = ox * g->stride[2] - g->pad[2] + kx * g->dil[2];
        if (iy >= 0 && iy < g->in[1] && ix >= 0 && ix < g->in[2]) v = xp[iy * g->in[2] + ix];
        if (++ox == ow) { ox = 0; oy++; }
      }
      dst[(pl / NC_GEMM_NR) * k * NC_GEMM_NR + r * NC_GEMM_NR + pl % NC_GEMM_NR] = v;
    }
  }
}

void nc_conv_im2col_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *x = in[0], *wp = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  float *y = out[0], *col = scratch;
  const int64_t k = conv_k(&g), pix = g.out[1] * g.out[2], chunk = chunk_cols(&g);
  const int64_t isz = g.in[1] * g.in[2];
  const size_t per = nc_sgemm_packed_a_floats(g.cout_g, k);
  const int pointwise = is_pointwise(&g);
  for (int64_t n = 0; n < g.n; n++) {
    for (int64_t grp = 0; grp < g.group; grp++) {
      const float *xg = x + (n * g.c + grp * g.cin_g) * isz;
      float *yg = y + (n * g.m + grp * g.cout_g) * pix;
      nc_sgemm_epilogue e = {bias ? bias + grp * g.cout_g : NULL, NULL, g.act,
                             g.act_alpha, g.act_beta, 0};
      for (int64_t p0 = 0; p0 < pix; p0 += chunk) {
        int64_t np = pix - p0 < chunk ? pix - p0 : chunk;
        if (pointwise) nc_sgemm_pack_b(k, np, xg + p0, isz, 1, col);
        else im2col_chunk(&g, xg, p0, np, col);
        nc_sgemm_packed(g.cout_g, np, k, wp + (size_t)grp * per, col, yg + p0, pix, &e);
      }
    }
  }
}

size_t nc_conv_im2col_scratch(const nc_args *a) { return im2col_scratch(a); }
size_t nc_conv_im2col_packed_bytes(const nc_args *a, int idx) {
  return im2col_packed_bytes(a, idx);
}
void nc_conv_im2col_pack(const nc_args *a, int idx, const void *src, void *dst) {
  im2col_pack(a, idx, src, dst);
}
