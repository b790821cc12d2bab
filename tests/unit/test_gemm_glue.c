/* The layer glue shared by the x86 and NEON GEMM families
 * (runtime-min/src/gemm_glue.c): the im2col panel packers, the strided
 * panel packer and the NHWC weight packer against naive element-by-element
 * formulas, on random conv geometries (groups, strides, dilations, padding,
 * panel tails, K blocks that start mid-tap). Every destination float is
 * pre-filled with NaN, so an element the packer forgets fails too. Both
 * families' adapters call these functions, so the NEON packing of
 * activations is checked here on any host. */
#include "test_nn_util.h"

#include "../../runtime-min/src/gemm_glue.h"

static int64_t irand(int64_t lo, int64_t hi) { return lo + rand() % (hi - lo + 1); }

/* A random 2-D conv geometry, one image, output size >= 1. */
static nc_conv_geom rand_geom(void) {
  nc_conv_geom g;
  memset(&g, 0, sizeof g);
  g.nsp = 2;
  g.n = 1;
  g.group = irand(1, 3);
  g.cin_g = irand(1, 5);
  g.cout_g = irand(1, 7);
  g.c = g.group * g.cin_g;
  g.m = g.group * g.cout_g;
  for (int d = 1; d <= 2; d++) {
    g.k[d] = irand(1, 3);
    g.stride[d] = irand(1, 3);
    g.dil[d] = irand(1, 2);
    g.pad[d] = irand(0, 2);
    const int64_t span = g.dil[d] * (g.k[d] - 1) + 1;
    g.in[d] = irand(span > 2 * g.pad[d] ? span - 2 * g.pad[d] : 1, 9);
    g.out[d] = (g.in[d] + 2 * g.pad[d] - span) / g.stride[d] + 1;
  }
  return g;
}

static float *nan_buf(int64_t n) {
  float *p = malloc(sizeof(float) * (size_t)n);
  for (int64_t i = 0; i < n; i++) p[i] = NAN;
  return p;
}

/* Input pixel (iy, ix) of output pixel q at tap (ky, kx); 0 when in the padding. */
static int tap_pos(const nc_conv_geom *g, int64_t q, int64_t ky, int64_t kx, int64_t *iy,
                   int64_t *ix) {
  *iy = q / g->out[2] * g->stride[1] - g->pad[1] + ky * g->dil[1];
  *ix = q % g->out[2] * g->stride[2] - g->pad[2] + kx * g->dil[2];
  return *iy >= 0 && *iy < g->in[1] && *ix >= 0 && *ix < g->in[2];
}

/* NCHW column matrix of group grp: step r = (ci, ky, kx), pixel q. */
static float col_nchw(const nc_conv_geom *g, const float *x, int64_t grp, int64_t r, int64_t q) {
  const int64_t kk = g->k[1] * g->k[2], ci = r / kk, ky = r % kk / g->k[2], kx = r % g->k[2];
  int64_t iy, ix;
  if (!tap_pos(g, q, ky, kx, &iy, &ix)) return 0.0f;
  return x[((grp * g->cin_g + ci) * g->in[1] + iy) * g->in[2] + ix];
}

/* NHWC column matrix of group grp: pixel q, step r = (tap, ci). */
static float col_nhwc(const nc_conv_geom *g, const float *x, int64_t grp, int64_t q, int64_t r) {
  const int64_t tap = r / g->cin_g, ci = r % g->cin_g;
  int64_t iy, ix;
  if (!tap_pos(g, q, tap / g->k[2], tap % g->k[2], &iy, &ix)) return 0.0f;
  return x[(iy * g->in[2] + ix) * g->c + grp * g->cin_g + ci];
}

Test(gemm_glue, im2col_nchw_panels_match_naive) {
  srand(11);
  for (int it = 0; it < 300; it++) {
    nc_conv_geom g = rand_geom();
    const int64_t pix = g.out[1] * g.out[2], k = nc_conv_gemm_k(&g);
    float *x = rand_buf(g.c * g.in[1] * g.in[2]);
    const int w = (int)irand(1, 16);
    const int64_t grp = irand(0, g.group - 1), j0 = irand(0, pix - 1);
    const int64_t nj = irand(1, pix - j0), k0 = irand(0, k - 1), kc = irand(1, k - k0);
    const int64_t panels = (nj + w - 1) / w;
    float *d = nan_buf(panels * kc * w);
    nc_conv_panel_ctx ctx = {&g, x + grp * g.cin_g * g.in[1] * g.in[2]};
    nc_im2col_nchw_panels(&ctx, j0, nj, k0, kc, w, d);
    for (int64_t pn = 0; pn < panels; pn++)
      for (int64_t p = 0; p < kc; p++)
        for (int l = 0; l < w; l++) {
          const int64_t jl = pn * w + l;
          const float want = jl < nj ? col_nchw(&g, x, grp, k0 + p, j0 + jl) : 0.0f;
          const float got = d[(pn * kc + p) * w + l];
          cr_assert(got == want, "it %d: panel %ld step %ld lane %d: %g, want %g", it, (long)pn,
                    (long)p, l, got, want);
        }
    free(d);
    free(x);
  }
}

Test(gemm_glue, im2col_nhwc_panel_matches_naive) {
  srand(12);
  for (int it = 0; it < 300; it++) {
    nc_conv_geom g = rand_geom();
    const int64_t pix = g.out[1] * g.out[2], k = nc_conv_gemm_k(&g);
    float *x = rand_buf(g.in[1] * g.in[2] * g.c);
    const int w = (int)irand(1, 16);
    /* panels may start past the image and lanes may stop short of w */
    const int64_t grp = irand(0, g.group - 1), i0 = irand(0, pix + 2), lanes = irand(1, w);
    const int64_t k0 = irand(0, k - 1), kc = irand(1, k - k0);
    float *d = nan_buf(kc * w);
    nc_conv_panel_ctx ctx = {&g, x + grp * g.cin_g};
    nc_im2col_nhwc_panel(&ctx, i0, lanes, k0, kc, w, d);
    for (int64_t p = 0; p < kc; p++)
      for (int l = 0; l < w; l++) {
        const int live = l < lanes && i0 + l < pix;
        const float want = live ? col_nhwc(&g, x, grp, i0 + l, k0 + p) : 0.0f;
        cr_assert(d[p * w + l] == want, "it %d: step %ld lane %d: %g, want %g", it, (long)p, l,
                  d[p * w + l], want);
      }
    free(d);
    free(x);
  }
}

Test(gemm_glue, strided_panel_matches_naive) {
  srand(13);
  for (int it = 0; it < 300; it++) {
    const int64_t rows = irand(1, 20), kk = irand(1, 20);
    const int trans = (int)irand(0, 1), w = (int)irand(1, 16);
    const float scale = irand(0, 1) ? 1.0f : 0.5f;
    float *src = rand_buf(rows * kk);
    /* row r, step p at r*kk + p, or transposed at p*rows + r */
    nc_gemm_strided s = {src, rows, trans ? 1 : kk, trans ? rows : 1, scale};
    const int64_t i0 = irand(0, rows + 2), lanes = irand(0, w);
    const int64_t k0 = irand(0, kk - 1), kc = irand(1, kk - k0);
    float *d = nan_buf(kc * w);
    nc_gemm_strided_panel(&s, i0, lanes, k0, kc, w, d);
    for (int64_t p = 0; p < kc; p++)
      for (int l = 0; l < w; l++) {
        const int64_t r = i0 + l, q = k0 + p;
        const int live = l < lanes && r < rows;
        const float want = live ? scale * src[trans ? q * rows + r : r * kk + q] : 0.0f;
        cr_assert(d[p * w + l] == want, "it %d: step %ld lane %d: %g, want %g", it, (long)p, l,
                  d[p * w + l], want);
      }
    free(d);
    free(src);
  }
}

Test(gemm_glue, nhwc_weights_match_naive) {
  srand(14);
  for (int it = 0; it < 100; it++) {
    nc_conv_geom g = rand_geom();
    const int64_t k = nc_conv_gemm_k(&g), taps = g.k[1] * g.k[2];
    const int nr = (int)irand(1, 16);
    const int64_t np = (g.cout_g + nr - 1) / nr;
    float *wt = rand_buf(g.m * g.cin_g * taps);
    float *d = nan_buf(g.group * np * k * nr);
    nc_conv_pack_nhwc_weights(&g, nr, wt, d);
    /* per group, per nr-wide panel of output channels: step r = (tap, ci), lane j */
    for (int64_t grp = 0; grp < g.group; grp++)
      for (int64_t pn = 0; pn < np; pn++)
        for (int64_t r = 0; r < k; r++)
          for (int j = 0; j < nr; j++) {
            const int64_t oc = pn * nr + j, tap = r / g.cin_g, ci = r % g.cin_g;
            const float want =
                oc < g.cout_g ? wt[((grp * g.cout_g + oc) * g.cin_g + ci) * taps + tap] : 0.0f;
            const float got = d[((grp * np + pn) * k + r) * nr + j];
            cr_assert(got == want, "it %d: group %ld panel %ld step %ld lane %d", it, (long)grp,
                      (long)pn, (long)r, j);
          }
    free(d);
    free(wt);
  }
}
