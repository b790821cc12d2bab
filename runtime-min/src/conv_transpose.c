/* cpu:f32:nchw/convtranspose-ref/c99 — ConvTranspose reference, 1-D..3-D:
 * every input element scatters W-weighted copies to
 * out = in*stride - pad_begin + tap*dilation (output size from out[0]). */
#include "nn_internal.h"

static void scatter_tap(const nc_conv_geom *g, float w, const float *xplane, float *yplane,
                        const int64_t kk[3]) {
  for (int64_t iz = 0; iz < g->in[0]; iz++) {
    int64_t oz = iz * g->stride[0] - g->pad[0] + kk[0] * g->dil[0];
    if (oz < 0 || oz >= g->out[0]) continue;
    for (int64_t iy = 0; iy < g->in[1]; iy++) {
      int64_t oy = iy * g->stride[1] - g->pad[1] + kk[1] * g->dil[1];
      if (oy < 0 || oy >= g->out[1]) continue;
      const float *xrow = xplane + (iz * g->in[1] + iy) * g->in[2];
      float *yrow = yplane + (oz * g->out[1] + oy) * g->out[2];
      for (int64_t ix = 0; ix < g->in[2]; ix++) {
        int64_t ox = ix * g->stride[2] - g->pad[2] + kk[2] * g->dil[2];
        if (ox >= 0 && ox < g->out[2]) yrow[ox] += w * xrow[ix];
      }
    }
  }
}

void nc_convtranspose_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  (void)scratch;
  nc_conv_geom g;
  nc_conv_geom_read(a, 1, &g);
  const float *x = in[0], *w = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  float *y = out[0];
  const int64_t isz = g.in[0] * g.in[1] * g.in[2], osz = g.out[0] * g.out[1] * g.out[2];
  const int64_t ksz = g.k[0] * g.k[1] * g.k[2];
  for (int64_t n = 0; n < g.n; n++) {
    for (int64_t m = 0; m < g.m; m++) {
      float *yplane = y + (n * g.m + m) * osz;
      for (int64_t i = 0; i < osz; i++) yplane[i] = bias ? bias[m] : 0.0f;
    }
    for (int64_t c = 0; c < g.c; c++) {
      int64_t grp = c / g.cin_g;
      const float *xplane = x + (n * g.c + c) * isz;
      for (int64_t co = 0; co < g.cout_g; co++) {
        int64_t m = grp * g.cout_g + co;
        float *yplane = y + (n * g.m + m) * osz;
        const float *wk = w + (c * g.cout_g + co) * ksz;
        int64_t kk[3];
        for (kk[0] = 0; kk[0] < g.k[0]; kk[0]++)
          for (kk[1] = 0; kk[1] < g.k[1]; kk[1]++)
            for (kk[2] = 0; kk[2] < g.k[2]; kk[2]++)
              scatter_tap(&g, wk[(kk[0] * g.k[1] + kk[1]) * g.k[2] + kk[2]], xplane, yplane,
                          kk);
      }
    }
  }
}
