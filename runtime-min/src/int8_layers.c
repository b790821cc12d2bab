/* The int8 layers on the GEMM core: Conv (2-D, NHWC, group 1), Gemm and
 * MatMul with a constant weight operand. Arguments are exactly the f32
 * layer's (args_nn.h); activations arrive as u8 with their tdesc's scale and
 * zero point, the output is u8 (requantized) or f32 (dequantized) as the
 * out tdesc's dtype says. One instantiation per ISA (the packed panel width
 * differs), so each routine packs for its own kernel. */
#include <string.h>

#include "int8_internal.h"
#include "nn_internal.h"

/* ---- applicability ---- */

static int act_known(int64_t act) { return act >= NC_ACT_NONE && act <= NC_ACT_SILU; }

static int out_ok(const nc_args *a, int u8) {
  const nc_tdesc *y = &a->out[0];
  return u8 ? y->dtype == NC_U8 && y->scale > 0.0f : y->dtype == NC_F32;
}

static int in_u8(const nc_tdesc *x) { return x->dtype == NC_U8 && x->scale > 0.0f; }

/* A fused residual sum S, if any, is u8 with the output's dims. */
static int sum_ok(const nc_args *a) {
  if (!nc_nn_has_in(a, NC_CONV_IN_SUM)) return 1;
  const nc_tdesc *s = &a->in[NC_CONV_IN_SUM], *y = &a->out[0];
  if (!in_u8(s) || s->ndim != y->ndim) return 0;
  for (int i = 0; i < s->ndim; i++)
    if (s->dims[i] != y->dims[i]) return 0;
  return 1;
}

/* Conv 2-D with f32 weights (and bias), optionally a fused residual sum. */
static int conv_common(const nc_args *a) {
  if (a->n_in < 2 || a->n_out < 1 || !in_u8(&a->in[0]) || a->in[0].ndim != 4) return 0;
  if (!sum_ok(a)) return 0;
  if (nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 2) != 2) return 0;
  const nc_tdesc *w = &a->in[1];
  if (w->dtype != NC_F32 || w->ndim != 4) return 0;
  if (nc_nn_has_in(a, 2) && (a->in[2].dtype != NC_F32 || nc_numel(&a->in[2]) != w->dims[0]))
    return 0;
  return act_known(nc_nn_ia(a, NC_CONV_IA_ACT, NC_ACT_NONE)) && a->out[0].ndim == 4;
}

static int conv_gemm(const nc_args *a) {
  return conv_common(a) && nc_nn_ia(a, NC_CONV_IA_GROUP, 1) == 1 &&
         a->in[1].dims[1] == a->in[0].dims[1];
}
int nc_i8_conv_gemm_applies_u8(const nc_args *a) { return conv_gemm(a) && out_ok(a, 1); }
int nc_i8_conv_gemm_applies_f32(const nc_args *a) { return conv_gemm(a) && out_ok(a, 0); }

static int conv_dw(const nc_args *a) {
  int64_t c = a->in[0].dims[1];
  return conv_common(a) && nc_nn_ia(a, NC_CONV_IA_GROUP, 1) == c && a->in[1].dims[1] == 1 &&
         a->in[1].dims[0] == c && a->out[0].dims[1] == c &&
         a->in[1].dims[2] * a->in[1].dims[3] <= 49; /* NC_I8_DW_MAX_TAPS */
}
int nc_i8_conv_dw_applies_u8(const nc_args *a) { return conv_dw(a) && out_ok(a, 1); }
int nc_i8_conv_dw_applies_f32(const nc_args *a) { return conv_dw(a) && out_ok(a, 0); }

/* Gemm: 2-D u8 A, constant f32 B, optional bias C of N values (or one). */
static int gemm_common(const nc_args *a) {
  if (a->n_in < 2 || !in_u8(&a->in[0]) || a->in[0].ndim != 2 || a->in[1].dtype != NC_F32 ||
      a->in[1].ndim != 2 || a->out[0].ndim != 2)
    return 0;
  nc_gemm_dims d = nc_gemm_dims_of(a);
  if (nc_nn_has_in(a, 2)) {
    const nc_tdesc *c = &a->in[2];
    int64_t cn = nc_numel(c);
    if (c->dtype != NC_F32 || !(cn == 1 || (cn == d.n && c->dims[c->ndim - 1] == d.n)))
      return 0;
  }
  return act_known(nc_nn_ia(a, NC_GEMM_IA_ACT, NC_ACT_NONE));
}
int nc_i8_gemm_applies_u8(const nc_args *a) { return gemm_common(a) && out_ok(a, 1); }
int nc_i8_gemm_applies_f32(const nc_args *a) { return gemm_common(a) && out_ok(a, 0); }

/* MatMul: u8 A of rank >= 2 times a constant 2-D f32 B. */
static int matmul_common(const nc_args *a) {
  const nc_tdesc *x = &a->in[0], *w = &a->in[1];
  return a->n_in == 2 && in_u8(x) && x->ndim >= 2 && w->dtype == NC_F32 && w->ndim == 2 &&
         x->dims[x->ndim - 1] == w->dims[0];
}
int nc_i8_matmul_applies_u8(const nc_args *a) { return matmul_common(a) && out_ok(a, 1); }
int nc_i8_matmul_applies_f32(const nc_args *a) { return matmul_common(a) && out_ok(a, 0); }

/* ---- geometry ---- */

static int64_t conv_k(const nc_args *a) {
  const nc_tdesc *w = &a->in[1];
  return w->dims[1] * w->dims[2] * w->dims[3];
}

/* A rows of a conv: the input itself for 1x1 / stride 1 / no padding. */
static nc_i8_rows conv_rows(const nc_args *a, const void *x) {
  const nc_tdesc *xd = &a->in[0], *w = &a->in[1], *y = &a->out[0];
  nc_i8_rows s;
  memset(&s, 0, sizeof s);
  s.x = x;
  s.m = y->dims[0] * y->dims[2] * y->dims[3];
  s.ic = xd->dims[1];
  s.ih = xd->dims[2];
  s.iw = xd->dims[3];
  s.oh = y->dims[2];
  s.ow = y->dims[3];
  s.kh = w->dims[2];
  s.kw = w->dims[3];
  s.sh = nc_nn_ia(a, NC_CONV_IA_STRIDE, 1);
  s.sw = nc_nn_ia(a, NC_CONV_IA_STRIDE + 1, 1);
  s.dh = nc_nn_ia(a, NC_CONV_IA_DILATION, 1);
  s.dw = nc_nn_ia(a, NC_CONV_IA_DILATION + 1, 1);
  s.ph = nc_nn_ia(a, NC_CONV_IA_PAD_BEGIN, 0);
  s.pw = nc_nn_ia(a, NC_CONV_IA_PAD_BEGIN + 1, 0);
  s.zx = (uint8_t)xd->zero_point;
  int pointwise = s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0 &&
                  s.oh == s.ih && s.ow == s.iw;
  s.im2col = !pointwise;
  s.rs = s.ic;
  s.cs = 1;
  return s;
}

static float conv_wget(const nc_args *a, const float *w, int64_t p, int64_t c) {
  const nc_tdesc *wd = &a->in[1];
  int64_t ic = wd->dims[1], kh = wd->dims[2], kw = wd->dims[3];
  int64_t ci = p % ic, t = p / ic, kx = t % kw, ky = t / kw;
  return w[((c * ic + ci) * kh + ky) * kw + kx];
}

static nc_i8_rows gemm_rows(const nc_args *a, const void *x) {
  nc_gemm_dims d = nc_gemm_dims_of(a);
  nc_i8_rows s;
  memset(&s, 0, sizeof s);
  s.x = x;
  s.m = d.m;
  s.rs = d.a_rs;
  s.cs = d.a_cs;
  return s;
}

static float gemm_wget(const nc_args *a, const float *w, int64_t p, int64_t c) {
  nc_gemm_dims d = nc_gemm_dims_of(a);
  return w[p * d.b_rs + c * d.b_cs];
}

static nc_i8_rows matmul_rows(const nc_args *a, const void *x) {
  const nc_tdesc *xd = &a->in[0];
  nc_i8_rows s;
  memset(&s, 0, sizeof s);
  s.x = x;
  s.m = nc_numel(xd) / xd->dims[xd->ndim - 1];
  s.rs = xd->dims[xd->ndim - 1];
  s.cs = 1;
  return s;
}

static float matmul_wget(const nc_args *a, const float *w, int64_t p, int64_t c) {
  return w[p * a->in[1].dims[1] + c];
}

/* ---- per-layer pack and run, given the ISA ---- */

static void conv_pack(const nc_args *a, const void *const *c, void *dst, int nr) {
  const float *bias = nc_nn_has_in(a, 2) ? c[2] : NULL;
  nc_i8_pack_gemm_weights(a, conv_k(a), a->in[1].dims[0], nr, c[1], conv_wget, 1.0f, bias, 1,
                          1.0f, dst);
}

static void conv_run(const nc_i8_isa *isa, const nc_args *a, const void *const *in,
                     void *const *out, void *scratch) {
  nc_i8_rows s = conv_rows(a, in[0]);
  nc_i8_post post;
  nc_i8_post_init(&post, a, in[1], nc_nn_ia(a, NC_CONV_IA_ACT, NC_ACT_NONE),
                  (float)nc_nn_fa(a, NC_CONV_FA_ACT_ALPHA, 0.0),
                  (float)nc_nn_fa(a, NC_CONV_FA_ACT_BETA, 0.0), out[0], a->out[0].dims[1]);
  if (nc_nn_has_in(a, NC_CONV_IN_SUM))
    nc_i8_post_sum(&post, &a->in[NC_CONV_IN_SUM], in[NC_CONV_IN_SUM]);
  nc_i8_gemm_run(isa, &s, in[1], &post, scratch);
}

static void gemm_pack(const nc_args *a, const void *const *c, void *dst, int nr) {
  nc_gemm_dims d = nc_gemm_dims_of(a);
  const float *bias = nc_nn_has_in(a, 2) ? c[2] : NULL;
  int64_t bstride = bias && nc_numel(&a->in[2]) > 1 ? 1 : 0;
  nc_i8_pack_gemm_weights(a, d.k, d.n, nr, c[1], gemm_wget,
                          (float)nc_nn_fa(a, NC_GEMM_FA_ALPHA, 1.0), bias, bstride,
                          (float)nc_nn_fa(a, NC_GEMM_FA_BETA, 1.0), dst);
}

static void gemm_run(const nc_i8_isa *isa, const nc_args *a, const void *const *in,
                     void *const *out, void *scratch) {
  nc_i8_rows s = gemm_rows(a, in[0]);
  nc_i8_post post;
  nc_i8_post_init(&post, a, in[1], nc_nn_ia(a, NC_GEMM_IA_ACT, NC_ACT_NONE),
                  (float)nc_nn_fa(a, NC_GEMM_FA_ACT_ALPHA, 0.0),
                  (float)nc_nn_fa(a, NC_GEMM_FA_ACT_BETA, 0.0), out[0], a->out[0].dims[1]);
  nc_i8_gemm_run(isa, &s, in[1], &post, scratch);
}

static void matmul_pack(const nc_args *a, const void *const *c, void *dst, int nr) {
  nc_i8_pack_gemm_weights(a, a->in[1].dims[0], a->in[1].dims[1], nr, c[1], matmul_wget, 1.0f,
                          NULL, 0, 1.0f, dst);
}

static void matmul_run(const nc_i8_isa *isa, const nc_args *a, const void *const *in,
                       void *const *out, void *scratch) {
  nc_i8_rows s = matmul_rows(a, in[0]);
  nc_i8_post post;
  nc_i8_post_init(&post, a, in[1], NC_ACT_NONE, 0.0f, 0.0f, out[0], a->in[1].dims[1]);
  nc_i8_gemm_run(isa, &s, in[1], &post, scratch);
}

#define NC_I8_DEFINE_GEMM_ISA(TAG)                                                           \
  void nc_conv_gemm_u8_nhwc_##TAG(const nc_args *a, const void *const *in, void *const *out, \
                                  void *scratch) {                                           \
    conv_run(&nc_i8_isa_##TAG, a, in, out, scratch);                                         \
  }                                                                                          \
  void nc_gemm_u8_##TAG(const nc_args *a, const void *const *in, void *const *out,           \
                        void *scratch) {                                                     \
    gemm_run(&nc_i8_isa_##TAG, a, in, out, scratch);                                         \
  }                                                                                          \
  void nc_matmul_u8_##TAG(const nc_args *a, const void *const *in, void *const *out,         \
                          void *scratch) {                                                   \
    matmul_run(&nc_i8_isa_##TAG, a, in, out, scratch);                                       \
  }                                                                                          \
  size_t nc_i8_conv_scratch_##TAG(const nc_args *a) {                                        \
    nc_i8_rows s = conv_rows(a, NULL);                                                       \
    return nc_i8_gemm_scratch(&s, conv_k(a));                                                \
  }                                                                                          \
  size_t nc_i8_gemm_scratch_##TAG(const nc_args *a) {                                        \
    nc_i8_rows s = gemm_rows(a, NULL);                                                       \
    return nc_i8_gemm_scratch(&s, nc_gemm_dims_of(a).k);                                     \
  }                                                                                          \
  size_t nc_i8_matmul_scratch_##TAG(const nc_args *a) {                                      \
    nc_i8_rows s = matmul_rows(a, NULL);                                                     \
    return nc_i8_gemm_scratch(&s, a->in[1].dims[0]);                                         \
  }                                                                                          \
  size_t nc_i8_conv_packed_bytes_##TAG(const nc_args *a, int idx) {                          \
    return idx == 1 ? nc_i8_wpack_bytes(conv_k(a), a->in[1].dims[0], nc_i8_isa_##TAG.nr) : 0; \
  }                                                                                          \
  size_t nc_i8_gemm_packed_bytes_##TAG(const nc_args *a, int idx) {                          \
    nc_gemm_dims d = nc_gemm_dims_of(a);                                                     \
    return idx == 1 ? nc_i8_wpack_bytes(d.k, d.n, nc_i8_isa_##TAG.nr) : 0;                   \
  }                                                                                          \
  size_t nc_i8_matmul_packed_bytes_##TAG(const nc_args *a, int idx) {                        \
    return idx == 1 ? nc_i8_wpack_bytes(a->in[1].dims[0], a->in[1].dims[1],                  \
                                        nc_i8_isa_##TAG.nr)                                  \
                    : 0;                                                                     \
  }                                                                                          \
  void nc_i8_conv_pack_##TAG(const nc_args *a, int idx, const void *const *c, void *dst) {   \
    if (idx == 1) conv_pack(a, c, dst, nc_i8_isa_##TAG.nr);                                  \
  }                                                                                          \
  void nc_i8_gemm_pack_##TAG(const nc_args *a, int idx, const void *const *c, void *dst) {   \
    if (idx == 1) gemm_pack(a, c, dst, nc_i8_isa_##TAG.nr);                                  \
  }                                                                                          \
  void nc_i8_matmul_pack_##TAG(const nc_args *a, int idx, const void *const *c, void *dst) { \
    if (idx == 1) matmul_pack(a, c, dst, nc_i8_isa_##TAG.nr);                                \
  }

NC_I8_DEFINE_GEMM_ISA(c99)
#if defined(__x86_64__)
NC_I8_DEFINE_GEMM_ISA(avx512vnni)
NC_I8_DEFINE_GEMM_ISA(avxvnni)
NC_I8_DEFINE_GEMM_ISA(avx2)
#endif
#if defined(__ARM_FEATURE_DSP)
NC_I8_DEFINE_GEMM_ISA(dsp)
#endif
#if defined(__aarch64__)
NC_I8_DEFINE_GEMM_ISA(neondot)
#endif
