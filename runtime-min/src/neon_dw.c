/* cpu:f32:nhwc/conv-depthwise/neon — depthwise 2-D Conv (group == C == M)
 * in NHWC: per output pixel, the taps that fall inside the image are listed
 * once, then the channels run in float32x4 vectors over them; any stride,
 * dilation and padding, kernels of up to NC_NEON_DW_TAPS taps. Bias, the residual
 * sum input S and the activation are fused.
 * Weights are packed [kh*kw][ceil(C/4)*4] (tap-major, channels contiguous,
 * tail zero) by portable C, so any host packs them. */
#include "neon_gemm.h"

#include <string.h>

/* Taps of one output pixel held at once (7x7 and 8x8 kernels fit). */
#define NC_NEON_DW_TAPS 64

static int64_t padded_c(int64_t c) { return (c + 3) / 4 * 4; }

int nc_neon_dwconv_applies(const nc_args *a) {
  if (nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 0) != 2 || a->in[0].ndim != 4) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return g.cin_g == 1 && g.cout_g == 1 && g.k[1] * g.k[2] <= NC_NEON_DW_TAPS;
}

size_t nc_neon_dwconv_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)(g.k[1] * g.k[2] * padded_c(g.c)) * sizeof(float);
}

void nc_neon_dwconv_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const int64_t taps = g.k[1] * g.k[2], cp = padded_c(g.c);
  const float *w = src;
  float *d = dst;
  memset(d, 0, (size_t)(taps * cp) * sizeof(float));
  for (int64_t c = 0; c < g.c; c++)
    for (int64_t t = 0; t < taps; t++) d[t * cp + c] = w[c * taps + t];
}

#if defined(__aarch64__)
#include "neon_act.h"

/* One output pixel: the valid taps as (input offset, packed weight row). */
typedef struct dw_taps {
  int n;
  const float *x[NC_NEON_DW_TAPS];
  const float *w[NC_NEON_DW_TAPS];
} dw_taps;

/* y[c] = act(bias[c] + sum[c] + sum over taps x[t][c] * w[t][c]) for c in [c0, c1). */
static void pixel_scalar(const dw_taps *t, int64_t c0, int64_t c1, const float *bias,
                         const float *sum, const nc_conv_geom *g, float *y) {
  for (int64_t c = c0; c < c1; c++) {
    float v = bias ? bias[c] : 0.0f;
    for (int i = 0; i < t->n; i++) v += t->x[i][c] * t->w[i][c];
    if (sum) v += sum[c];
    y[c] = nc_apply_act(v, g->act, g->act_alpha, g->act_beta);
  }
}

static void pixel(const dw_taps *t, int64_t C, const float *bias, const float *sum,
                  const nc_conv_geom *g, float *y) {
  const int vec_act = nc_neon_act_in_vector(g->act);
  int64_t c = 0;
  for (; c + 4 <= C; c += 4) {
    float32x4_t acc = bias ? vld1q_f32(bias + c) : vdupq_n_f32(0.0f);
    for (int i = 0; i < t->n; i++)
      acc = vfmaq_f32(acc, vld1q_f32(t->x[i] + c), vld1q_f32(t->w[i] + c));
    if (sum) acc = vaddq_f32(acc, vld1q_f32(sum + c));
    if (vec_act) {
      vst1q_f32(y + c, nc_neon_act_vec(acc, g->act, g->act_alpha, g->act_beta));
    } else {
      vst1q_f32(y + c, acc);
      for (int64_t j = c; j < c + 4; j++) y[j] = nc_apply_act(y[j], g->act, g->act_alpha, g->act_beta);
    }
  }
  pixel_scalar(t, c, C, bias, sum, g, y);
}

void nc_conv_depthwise_f32_nhwc_neon(const nc_args *a, const void *const *in,
                                     void *const *out, void *scratch) {
  (void)scratch;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const nc_conv_io io = nc_conv_io_of(a, in, out);
  const int64_t C = g.c, H = g.in[1], W = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t kh = g.k[1], kw = g.k[2], cp = padded_c(C);
  dw_taps t;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t oy = 0; oy < OH; oy++)
      for (int64_t ox = 0; ox < OW; ox++) {
        t.n = 0;
        for (int64_t ky = 0; ky < kh; ky++) {
          const int64_t iy = oy * g.stride[1] - g.pad[1] + ky * g.dil[1];
          if (iy < 0 || iy >= H) continue;
          for (int64_t kx = 0; kx < kw; kx++) {
            const int64_t ix = ox * g.stride[2] - g.pad[2] + kx * g.dil[2];
            if (ix < 0 || ix >= W) continue;
            t.x[t.n] = io.x + ((n * H + iy) * W + ix) * C;
            t.w[t.n] = io.w + (ky * kw + kx) * cp;
            t.n++;
          }
        }
        const int64_t off = ((n * OH + oy) * OW + ox) * C;
        pixel(&t, C, io.bias, io.sum ? io.sum + off : NULL, &g, io.y + off);
      }
}

#endif
