/* Conv reference (cpu:f32:nchw/conv-direct/c99, any 1-D..3-D, with the
 * optional fused residual sum input, see args_nn.h) and the
 * geometry helpers the other conv and pool routines share. The reference
 * accumulates whole output rows per kernel tap, so the inner loop is a
 * contiguous multiply-add for stride 1 and it stays usable for depthwise. */
#include <string.h>

#include "nn_internal.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

void nc_conv_valid_range(int64_t out, int64_t stride, int64_t pad, int64_t off, int64_t size,
                         int64_t *lo, int64_t *hi) {
  int64_t l = -floor_div(off - pad, stride); /* ceil((pad - off) / stride) */
  int64_t h = floor_div(size - 1 + pad - off, stride) + 1;
  if (l < 0) l = 0;
  if (h > out) h = out;
  if (h < l) h = l;
  *lo = l;
  *hi = h;
}

static void geom_spatial(const nc_args *a, nc_conv_geom *g, int nsp, int stride_i, int dil_i,
                         int pad_i) {
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  g->nsp = nsp;
  g->n = x->dims[0];
  g->c = x->dims[1];
  g->m = y->dims[1];
  for (int s = 0; s < 3; s++) {
    int d = s - (3 - nsp); /* index among the layer's spatial dims, < 0 = unused slot */
    g->in[s] = d >= 0 ? x->dims[2 + d] : 1;
    g->out[s] = d >= 0 ? y->dims[2 + d] : 1;
    g->stride[s] = d >= 0 ? nc_nn_ia(a, stride_i + d, 1) : 1;
    g->dil[s] = d >= 0 ? nc_nn_ia(a, dil_i + d, 1) : 1;
    g->pad[s] = d >= 0 ? nc_nn_ia(a, pad_i + d, 0) : 0;
    g->k[s] = 1;
  }
}

void nc_conv_geom_read(const nc_args *a, int transposed, nc_conv_geom *g) {
  int nsp = (int)nc_nn_ia(a, NC_CONV_IA_NSPATIAL, a->in[0].ndim - 2);
  geom_spatial(a, g, nsp, NC_CONV_IA_STRIDE, NC_CONV_IA_DILATION, NC_CONV_IA_PAD_BEGIN);
  const nc_tdesc *w = &a->in[1];
  for (int d = 0; d < nsp; d++) g->k[3 - nsp + d] = w->dims[2 + d];
  g->group = nc_nn_ia(a, NC_CONV_IA_GROUP, 1);
  if (g->group < 1) g->group = 1;
  g->cin_g = g->c / g->group;
  g->cout_g = g->m / g->group;
  g->act = nc_nn_ia(a, NC_CONV_IA_ACT, NC_ACT_NONE);
  g->act_alpha = (float)nc_nn_fa(a, NC_CONV_FA_ACT_ALPHA, 0.0);
  g->act_beta = (float)nc_nn_fa(a, NC_CONV_FA_ACT_BETA, 0.0);
  (void)transposed;
}

void nc_pool_geom_read(const nc_args *a, nc_conv_geom *g) {
  int nsp = (int)nc_nn_ia(a, NC_POOL_IA_NSPATIAL, a->in[0].ndim - 2);
  geom_spatial(a, g, nsp, NC_POOL_IA_STRIDE, NC_POOL_IA_DILATION, NC_POOL_IA_PAD_BEGIN);
  for (int d = 0; d < nsp; d++) g->k[3 - nsp + d] = nc_nn_ia(a, NC_POOL_IA_KERNEL + d, 1);
  g->group = g->c;
  g->cin_g = g->cout_g = 1;
  g->act = NC_ACT_NONE;
  g->act_alpha = g->act_beta = 0.0f;
}

/* yplane += w * (input plane shifted by one kernel tap), over valid rows. */
static void conv_tap(const nc_conv_geom *g, float w, const float *xplane, float *yplane,
                     const int64_t kk[3]) {
  int64_t lo[3], hi[3];
  for (int s = 0; s < 3; s++)
    nc_conv_valid_range(g->out[s], g->stride[s], g->pad[s], kk[s] * g->dil[s], g->in[s],
                        &lo[s], &hi[s]);
  const int64_t sw = g->stride[2];
  for (int64_t oz = lo[0]; oz < hi[0]; oz++) {
    int64_t iz = oz * g->stride[0] - g->pad[0] + kk[0] * g->dil[0];
    for (int64_t oy = lo[1]; oy < hi[1]; oy++) {
      int64_t iy = oy * g->stride[1] - g->pad[1] + kk[1] * g->dil[1];
      float *yrow = yplane + (oz * g->out[1] + oy) * g->out[2];
      const float *xrow = xplane + (iz * g->in[1] + iy) * g->in[2] - g->pad[2] +
                          kk[2] * g->dil[2];
      if (sw == 1) {
        for (int64_t ox = lo[2]; ox < hi[2]; ox++) yrow[ox] += w * xrow[ox];
      } else {
        for (int64_t ox = lo[2]; ox < hi[2]; ox++) yrow[ox] += w * xrow[ox * sw];
      }
    }
  }
}

void nc_conv_direct_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  (void)scratch;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *x = in[0], *w = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  float *y = out[0];
  const int64_t isz = g.in[0] * g.in[1] * g.in[2], osz = g.out[0] * g.out[1] * g.out[2];
  const int64_t ksz = g.k[0] * g.k[1] * g.k[2];
  for (int64_t n = 0; n < g.n; n++) {
    for (int64_t m = 0; m < g.m; m++) {
      int64_t grp = m / g.cout_g;
      float *yplane = y + (n * g.m + m) * osz;
      float b0 = bias ? bias[m] : 0.0f;
      for (int64_t i = 0; i < osz; i++) yplane[i] = b0;
      for (int64_t ci = 0; ci < g.cin_g; ci++) {
        const float *xplane = x + (n * g.c + grp * g.cin_g + ci) * isz;
        const float *wk = w + (m * g.cin_g + ci) * ksz;
        int64_t kk[3];
        for (kk[0] = 0; kk[0] < g.k[0]; kk[0]++)
          for (kk[1] = 0; kk[1] < g.k[1]; kk[1]++)
            for (kk[2] = 0; kk[2] < g.k[2]; kk[2]++)
              conv_tap(&g, wk[(kk[0] * g.k[1] + kk[1]) * g.k[2] + kk[2]], xplane, yplane, kk);
      }
      if (sum) { /* fused residual Add: after the bias, before the activation */
        const float *splane = sum + (n * g.m + m) * osz;
        for (int64_t i = 0; i < osz; i++) yplane[i] += splane[i];
      }
      nc_nn_act_span(yplane, osz, g.act, g.act_alpha, g.act_beta);
    }
  }
}
