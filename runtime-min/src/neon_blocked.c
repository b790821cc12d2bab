/* NEON Conv in the NCHW8c layout ([N][ceil(C/8)][H][W][8], one block = two
 * float32x4), the layout the x86 AVX2 blocked family uses, so the c99
 * adapters (nchw/nhwc <-> nchw8c) and the weight packing of that family
 * (x86_blocked_pack.c, portable C) serve here unchanged:
 *  cpu:f32:nchw8c/conv-direct/neon — group 1, any kernel (1x1 and 3x3
 *    included), stride, dilation, padding: 4 output pixels x 8 output
 *    channels in 8 accumulators, each input block's 8 channels broadcast
 *    from lanes of the two loaded input vectors;
 *  cpu:f32:nchw8c/conv-depthwise/neon — group == C == M.
 * Bias, the residual sum S (blocked like the output) and the activation are
 * fused. The padded lanes of the tail block are written as zeros, the
 * family's invariant (x86_blocked.h). */
#include "neon_gemm.h"
#include "x86_blocked.h"

#if defined(__aarch64__)
#include "neon_act.h"

#define PIX 4 /* output pixels per register tile */

/* Writes one 8-channel output block y[0..8) = act(lo|hi + sum), zero in
 * the lanes at or past `valid` (the tail block's padding). */
static void store_block(float *y, float32x4_t lo, float32x4_t hi, const float *sum,
                        const nc_conv_geom *g, int valid) {
  if (sum) {
    lo = vaddq_f32(lo, vld1q_f32(sum));
    hi = vaddq_f32(hi, vld1q_f32(sum + 4));
  }
  const int vec_act = nc_neon_act_in_vector(g->act);
  if (vec_act) {
    lo = nc_neon_act_vec(lo, g->act, g->act_alpha, g->act_beta);
    hi = nc_neon_act_vec(hi, g->act, g->act_alpha, g->act_beta);
  }
  vst1q_f32(y, lo);
  vst1q_f32(y + 4, hi);
  for (int l = 0; l < 8; l++)
    if (l >= valid) y[l] = 0.0f;
    else if (!vec_act) y[l] = nc_apply_act(y[l], g->act, g->act_alpha, g->act_beta);
}

/* acc[p] += x-block(8 input channels) . w (8 x 8, [ic][oc]) for pixel p. */
#define NC_FMA8(p)                                                                           \
  {                                                                                          \
    const float32x4_t xa = vld1q_f32(xs[p]), xb = vld1q_f32(xs[p] + 4);                      \
    lo[p] = vfmaq_laneq_f32(lo[p], w0l, xa, 0);                                              \
    hi[p] = vfmaq_laneq_f32(hi[p], w0h, xa, 0);                                              \
    lo[p] = vfmaq_laneq_f32(lo[p], w1l, xa, 1);                                              \
    hi[p] = vfmaq_laneq_f32(hi[p], w1h, xa, 1);                                              \
    lo[p] = vfmaq_laneq_f32(lo[p], w2l, xa, 2);                                              \
    hi[p] = vfmaq_laneq_f32(hi[p], w2h, xa, 2);                                              \
    lo[p] = vfmaq_laneq_f32(lo[p], w3l, xa, 3);                                              \
    hi[p] = vfmaq_laneq_f32(hi[p], w3h, xa, 3);                                              \
    lo[p] = vfmaq_laneq_f32(lo[p], w4l, xb, 0);                                              \
    hi[p] = vfmaq_laneq_f32(hi[p], w4h, xb, 0);                                              \
    lo[p] = vfmaq_laneq_f32(lo[p], w5l, xb, 1);                                              \
    hi[p] = vfmaq_laneq_f32(hi[p], w5h, xb, 1);                                              \
    lo[p] = vfmaq_laneq_f32(lo[p], w6l, xb, 2);                                              \
    hi[p] = vfmaq_laneq_f32(hi[p], w6h, xb, 2);                                              \
    lo[p] = vfmaq_laneq_f32(lo[p], w7l, xb, 3);                                              \
    hi[p] = vfmaq_laneq_f32(hi[p], w7h, xb, 3);                                              \
  }

/* A zero input block: taps in the padding read it, so the tile loop needs
 * no per-pixel branches. */
static const float zero_block[8];

/* Output pixels [ox0, ox0+np) of row oy, output block ob, image n. */
static void conv_tile(const nc_conv_geom *g, const float *x, const float *w,
                      const float *bias, const float *sum, float *y, int64_t ob, int64_t oy,
                      int64_t ox0, int np) {
  const int64_t H = g->in[1], W = g->in[2], icb = ncb_blocks(g->c, 8);
  const int64_t kh = g->k[1], kw = g->k[2];
  float32x4_t lo[PIX], hi[PIX];
  const float32x4_t b0 = bias ? vld1q_f32(bias + ob * 8) : vdupq_n_f32(0.0f);
  const float32x4_t b1 = bias ? vld1q_f32(bias + ob * 8 + 4) : vdupq_n_f32(0.0f);
  for (int p = 0; p < PIX; p++) {
    lo[p] = b0;
    hi[p] = b1;
  }
  for (int64_t ib = 0; ib < icb; ib++)
    for (int64_t ky = 0; ky < kh; ky++) {
      const int64_t iy = oy * g->stride[1] - g->pad[1] + ky * g->dil[1];
      if (iy < 0 || iy >= H) continue;
      const float *xrow = x + (ib * H + iy) * W * 8;
      for (int64_t kx = 0; kx < kw; kx++) {
        const float *xs[PIX];
        for (int p = 0; p < PIX; p++) {
          const int64_t ix = (ox0 + p) * g->stride[2] - g->pad[2] + kx * g->dil[2];
          xs[p] = p < np && ix >= 0 && ix < W ? xrow + ix * 8 : zero_block;
        }
        const float *wt = w + (((ob * icb + ib) * kh + ky) * kw + kx) * 64;
        const float32x4_t w0l = vld1q_f32(wt), w0h = vld1q_f32(wt + 4);
        const float32x4_t w1l = vld1q_f32(wt + 8), w1h = vld1q_f32(wt + 12);
        const float32x4_t w2l = vld1q_f32(wt + 16), w2h = vld1q_f32(wt + 20);
        const float32x4_t w3l = vld1q_f32(wt + 24), w3h = vld1q_f32(wt + 28);
        const float32x4_t w4l = vld1q_f32(wt + 32), w4h = vld1q_f32(wt + 36);
        const float32x4_t w5l = vld1q_f32(wt + 40), w5h = vld1q_f32(wt + 44);
        const float32x4_t w6l = vld1q_f32(wt + 48), w6h = vld1q_f32(wt + 52);
        const float32x4_t w7l = vld1q_f32(wt + 56), w7h = vld1q_f32(wt + 60);
        NC_FMA8(0) NC_FMA8(1) NC_FMA8(2) NC_FMA8(3)
      }
    }
  const int valid = (int)(g->m - ob * 8 < 8 ? g->m - ob * 8 : 8);
  const int64_t OW = g->out[2];
  for (int p = 0; p < np; p++) {
    const int64_t off = ((ob * g->out[1] + oy) * OW + ox0 + p) * 8;
    store_block(y + off, lo[p], hi[p], sum ? sum + off : NULL, g, valid);
  }
}

void nc_conv_direct_f32_nchw8c_neon(const nc_args *a, const void *const *in, void *const *out,
                                    void *scratch) {
  (void)scratch;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  const int64_t icb = ncb_blocks(g.c, 8), ocb = ncb_blocks(g.m, 8);
  const int64_t xsz = icb * g.in[1] * g.in[2] * 8, ysz = ocb * g.out[1] * g.out[2] * 8;
  for (int64_t n = 0; n < g.n; n++) {
    const float *x = (const float *)in[0] + n * xsz;
    float *y = (float *)out[0] + n * ysz;
    const float *s = sum ? sum + n * ysz : NULL;
    for (int64_t ob = 0; ob < ocb; ob++)
      for (int64_t oy = 0; oy < g.out[1]; oy++)
        for (int64_t ox = 0; ox < g.out[2]; ox += PIX) {
          const int np = (int)(g.out[2] - ox < PIX ? g.out[2] - ox : PIX);
          conv_tile(&g, x, in[1], bias, s, y, ob, oy, ox, np);
        }
  }
}

void nc_conv_depthwise_f32_nchw8c_neon(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  (void)scratch;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *w = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  const int64_t H = g.in[1], W = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t kh = g.k[1], kw = g.k[2], cb = ncb_blocks(g.c, 8);
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t b = 0; b < cb; b++) {
      const float *x = (const float *)in[0] + (n * cb + b) * H * W * 8;
      const int64_t yoff = (n * cb + b) * OH * OW * 8;
      const float *wb = w + b * kh * kw * 8;
      const int valid = (int)(g.c - b * 8 < 8 ? g.c - b * 8 : 8);
      for (int64_t oy = 0; oy < OH; oy++)
        for (int64_t ox = 0; ox < OW; ox++) {
          float32x4_t lo = bias ? vld1q_f32(bias + b * 8) : vdupq_n_f32(0.0f);
          float32x4_t hi = bias ? vld1q_f32(bias + b * 8 + 4) : vdupq_n_f32(0.0f);
          for (int64_t ky = 0; ky < kh; ky++) {
            const int64_t iy = oy * g.stride[1] - g.pad[1] + ky * g.dil[1];
            if (iy < 0 || iy >= H) continue;
            for (int64_t kx = 0; kx < kw; kx++) {
              const int64_t ix = ox * g.stride[2] - g.pad[2] + kx * g.dil[2];
              if (ix < 0 || ix >= W) continue;
              const float *xp = x + (iy * W + ix) * 8, *wp = wb + (ky * kw + kx) * 8;
              lo = vfmaq_f32(lo, vld1q_f32(xp), vld1q_f32(wp));
              hi = vfmaq_f32(hi, vld1q_f32(xp + 4), vld1q_f32(wp + 4));
            }
          }
          const int64_t off = yoff + (oy * OW + ox) * 8;
          store_block((float *)out[0] + off, lo, hi, sum ? sum + off : NULL, &g, valid);
        }
    }
}

#endif
