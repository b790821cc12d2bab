/* Layers on the x86 packed GEMM, same args as their c99 counterparts
 * (conv_im2col.c, conv_nhwc.c, gemm_layers.c):
 *  cpu:f32:nchw/conv-im2col/ISA/TILE — Y_g[M_g x P] = W_g[M_g x K] * col[K x P]:
 *    W packed at compile time as A panels, the column matrix built block by
 *    block (KC x NC) straight into B panels in scratch; a 1x1 stride-1
 *    unpadded conv packs X's rows directly.
 *  cpu:f32:nhwc/conv-im2col/ISA/TILE — Y[P x M_g] = col[P x K] * W_g[K x M_g],
 *    K ordered (kh, kw, C_g) so each tap reads a contiguous channel run; W
 *    packed as B panels; a 1x1 conv is a plain GEMM over X's pixel rows.
 *  cpu:f32:nchw/gemm-packed/ISA/TILE — constant B packed; A (transposed or
 *    not, alpha folded in) packed per block; beta*C pre-loaded into Y.
 *  cpu:f32:nchw/matmul-packed/ISA/TILE — constant B of rank <= 2 packed; all
 *    batches of A stacked as one tall matrix.
 * Groups loop over independent GEMMs; bias, the residual sum of a fused Add
 * (Conv input S, both layouts) and the activation are fused. */
#include "x86_gemm_layers.h"

#include <string.h>

#include "x86_gemm.h"

#if defined(__x86_64__)

int nc_xgemm_conv2d_applies(const nc_args *a) {
  return nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 0) == 2 && a->in[0].ndim == 4;
}

int nc_xgemm_matmul_applies(const nc_args *a) { return a->in[1].ndim <= 2; }

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---------------- Conv, shared ---------------- */

static int64_t taps(const nc_conv_geom *g) { return g->k[1] * g->k[2]; }
static int64_t conv_k(const nc_conv_geom *g) { return g->cin_g * taps(g); }

static int is_pointwise(const nc_conv_geom *g) {
  return g->k[1] == 1 && g->k[2] == 1 && g->stride[1] == 1 && g->stride[2] == 1 &&
         g->pad[1] == 0 && g->pad[2] == 0 && g->in[1] == g->out[1] && g->in[2] == g->out[2];
}

static nc_sgemm_epilogue conv_epilogue(const nc_conv_geom *g, const float *bias, int per_row) {
  nc_sgemm_epilogue e = {per_row ? bias : NULL, per_row ? NULL : bias, g->act, g->act_alpha,
                         g->act_beta, 0};
  return e;
}

/* Output offsets t in [0, n) with 0 <= x0 + t*s < size, as [*lo, *hi). */
static void valid_span(int64_t x0, int64_t s, int64_t n, int64_t size, int64_t *lo,
                       int64_t *hi) {
  int64_t l = x0 >= 0 ? 0 : (-x0 + s - 1) / s;
  int64_t h = x0 >= size ? 0 : (size - 1 - x0) / s + 1;
  *lo = min64(l, n);
  *hi = h < *lo ? *lo : min64(h, n);
}

/* ---------------- Conv NCHW ---------------- */

typedef struct nchw_ctx {
  const nc_conv_geom *g;
  const float *x; /* first input channel of the group, one image */
} nchw_ctx;

/* One im2col row r (one (ci, ky, kx)) for pixels [j0, j0+nj) into lane
 * positions of B panels of width w (panel stride kc*w). Each output row of
 * pixels is split into runs that stay in one panel: zeros, a copy, zeros. */
static void im2col_row(const nc_conv_geom *g, const float *x, int64_t r, int64_t j0,
                       int64_t nj, int64_t kc, int w, float *d) {
  const int64_t kh = g->k[1], kw = g->k[2], ow = g->out[2], W = g->in[2];
  const int64_t ci = r / (kh * kw), ky = r / kw % kh, kx = r % kw;
  const float *xc = x + ci * g->in[1] * W;
  int64_t oy = j0 / ow, ox = j0 % ow, lane = 0;
  for (int64_t q = 0; q < nj;) {
    const int64_t seg = min64(min64(ow - ox, w - lane), nj - q);
    const int64_t iy = oy * g->stride[1] - g->pad[1] + ky * g->dil[1];
    float *dl = d + lane;
    if (iy < 0 || iy >= g->in[1]) {
      memset(dl, 0, (size_t)seg * sizeof(float));
    } else {
      const int64_t sx = g->stride[2], ix0 = ox * sx - g->pad[2] + kx * g->dil[2];
      const float *xr = xc + iy * W;
      int64_t lo, hi;
      valid_span(ix0, sx, seg, W, &lo, &hi);
      memset(dl, 0, (size_t)lo * sizeof(float));
      if (sx == 1) memcpy(dl + lo, xr + ix0 + lo, (size_t)(hi - lo) * sizeof(float));
      else
        for (int64_t t = lo; t < hi; t++) dl[t] = xr[ix0 + t * sx];
      memset(dl + hi, 0, (size_t)(seg - hi) * sizeof(float));
    }
    q += seg;
    lane += seg;
    if (lane == w) {
      lane = 0;
      d += kc * w;
    }
    ox += seg;
    if (ox == ow) {
      ox = 0;
      oy++;
    }
  }
  if (lane) memset(d + lane, 0, (size_t)(w - lane) * sizeof(float));
}

static void nchw_pack(const void *vctx, int64_t j0, int64_t nj, int64_t k0, int64_t kc, int w,
                      float *dst) {
  const nchw_ctx *c = vctx;
  for (int64_t p = 0; p < kc; p++) im2col_row(c->g, c->x, k0 + p, j0, nj, kc, w, dst + p * w);
}

static size_t conv_nchw_scratch(const nc_xgemm_tile *t, const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return nc_xgemm_scratch_floats(t, g.cout_g, g.out[1] * g.out[2], conv_k(&g), 0, 1) *
         sizeof(float);
}

static size_t conv_nchw_packed_bytes(const nc_xgemm_tile *t, const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_xgemm_packed_a_floats(t->mr, g.cout_g, conv_k(&g)) *
         sizeof(float);
}

static void conv_nchw_pack(const nc_xgemm_tile *t, const nc_args *a, int idx, const void *src,
                           void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const int64_t k = conv_k(&g);
  const size_t per = nc_xgemm_packed_a_floats(t->mr, g.cout_g, k);
  for (int64_t grp = 0; grp < g.group; grp++)
    nc_xgemm_pack_a(t->mr, g.cout_g, k, (const float *)src + grp * g.cout_g * k, k, 1, 1.0f,
                    (float *)dst + (size_t)grp * per);
}

static void conv_nchw(const nc_xgemm_tile *t, const nc_args *a, const void *const *in,
                      void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *x = in[0], *wp = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  float *y = out[0];
  const int64_t k = conv_k(&g), pix = g.out[1] * g.out[2], isz = g.in[1] * g.in[2];
  const size_t per = nc_xgemm_packed_a_floats(t->mr, g.cout_g, k);
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t grp = 0; grp < g.group; grp++) {
      const float *xg = x + (n * g.c + grp * g.cin_g) * isz;
      nchw_ctx ctx = {&g, xg};
      /* pointwise: B element (ci, pixel) is X[ci*isz + pixel], panel rows contiguous */
      nc_xgemm_strided xs = {xg, pix, 1, isz, 1.0f};
      nc_xgemm_operand A = {wp + (size_t)grp * per, NULL, NULL};
      nc_xgemm_operand B = {NULL, is_pointwise(&g) ? nc_xgemm_pack_strided : nchw_pack,
                            is_pointwise(&g) ? (const void *)&xs : (const void *)&ctx};
      nc_sgemm_epilogue e = conv_epilogue(&g, bias ? bias + grp * g.cout_g : NULL, 1);
      const int64_t yoff = (n * g.m + grp * g.cout_g) * pix;
      nc_xgemm(t, g.cout_g, pix, k, &A, &B, y + yoff, pix, sum ? sum + yoff : NULL, &e,
               scratch);
    }
}

/* ---------------- Conv NHWC ---------------- */

typedef struct nhwc_ctx {
  const nc_conv_geom *g;
  const float *x; /* one image, channel offset of the group applied */
} nhwc_ctx;

/* Rows = output pixels, steps r = (tap, ci): per pixel, each tap is a run of
 * contiguous channels (or zeros where the tap falls in the padding). */
static void nhwc_pack(const void *vctx, int64_t i0, int64_t ni, int64_t k0, int64_t kc, int w,
                      float *dst) {
  const nhwc_ctx *c = vctx;
  const nc_conv_geom *g = c->g;
  const int64_t ow = g->out[2], pix = g->out[1] * g->out[2], cin = g->cin_g;
  for (int64_t r0 = 0; r0 < ni; r0 += w, dst += kc * w)
    for (int64_t l = 0; l < w; l++) {
      const int64_t q = i0 + r0 + l;
      float *d = dst + l;
      if (r0 + l >= ni || q >= pix) {
        for (int64_t p = 0; p < kc; p++) d[p * w] = 0.0f;
        continue;
      }
      const int64_t oy = q / ow, ox = q % ow;
      for (int64_t r = k0; r < k0 + kc;) {
        const int64_t tap = r / cin, ci = r % cin, run = min64(cin - ci, k0 + kc - r);
        const int64_t ky = tap / g->k[2], kx = tap % g->k[2];
        const int64_t iy = oy * g->stride[1] - g->pad[1] + ky * g->dil[1];
        const int64_t ix = ox * g->stride[2] - g->pad[2] + kx * g->dil[2];
        float *dr = d + (r - k0) * w;
        if (iy < 0 || iy >= g->in[1] || ix < 0 || ix >= g->in[2]) {
          for (int64_t t = 0; t < run; t++) dr[t * w] = 0.0f;
        } else {
          const float *xv = c->x + (iy * g->in[2] + ix) * g->c + ci;
          for (int64_t t = 0; t < run; t++) dr[t * w] = xv[t];
        }
        r += run;
      }
    }
}

static size_t conv_nhwc_scratch(const nc_xgemm_tile *t, const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return nc_xgemm_scratch_floats(t, g.out[1] * g.out[2], g.cout_g, conv_k(&g), 1, 0) *
         sizeof(float);
}

static size_t conv_nhwc_packed_bytes(const nc_xgemm_tile *t, const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_xgemm_packed_b_floats(t->nr, conv_k(&g), g.cout_g) *
         sizeof(float);
}

/* W [M][C_g][kh][kw] -> per group B panels over K = (tap, ci), N = output channel. */
static void conv_nhwc_pack(const nc_xgemm_tile *t, const nc_args *a, int idx, const void *src,
                           void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *w = src;
  float *d = dst;
  const int64_t k = conv_k(&g), nt = taps(&g), nr = t->nr;
  for (int64_t grp = 0; grp < g.group; grp++)
    for (int64_t j0 = 0; j0 < g.cout_g; j0 += nr)
      for (int64_t r = 0; r < k; r++) {
        const int64_t tap = r / g.cin_g, ci = r % g.cin_g;
        for (int64_t j = 0; j < nr; j++) {
          const int64_t m = grp * g.cout_g + j0 + j;
          *d++ = j0 + j < g.cout_g ? w[(m * g.cin_g + ci) * nt + tap] : 0.0f;
        }
      }
}

static void conv_nhwc(const nc_xgemm_tile *t, const nc_args *a, const void *const *in,
                      void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *x = in[0], *wp = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  float *y = out[0];
  const int64_t k = conv_k(&g), pix = g.out[1] * g.out[2];
  const size_t per = nc_xgemm_packed_b_floats(t->nr, k, g.cout_g);
  for (int64_t n = 0; n < g.n; n++) {
    const float *xn = x + n * g.in[1] * g.in[2] * g.c;
    float *yn = y + n * pix * g.m;
    for (int64_t grp = 0; grp < g.group; grp++) {
      nhwc_ctx ctx = {&g, xn + grp * g.cin_g};
      /* pointwise: A element (pixel, ci) is X[pixel*C + ci] */
      nc_xgemm_strided xs = {xn + grp * g.cin_g, pix, g.c, 1, 1.0f};
      nc_xgemm_operand A = {NULL, is_pointwise(&g) ? nc_xgemm_pack_strided : nhwc_pack,
                            is_pointwise(&g) ? (const void *)&xs : (const void *)&ctx};
      nc_xgemm_operand B = {wp + (size_t)grp * per, NULL, NULL};
      nc_sgemm_epilogue e = conv_epilogue(&g, bias ? bias + grp * g.cout_g : NULL, 0);
      const float *sg = sum ? sum + n * pix * g.m + grp * g.cout_g : NULL;
      nc_xgemm(t, pix, g.cout_g, k, &A, &B, yn + grp * g.cout_g, g.m, sg, &e, scratch);
    }
  }
}

/* ---------------- Gemm ---------------- */


static size_t gemm_scratch(const nc_xgemm_tile *t, const nc_args *a) {
  nc_gemm_dims d = nc_gemm_dims_of(a);
  return nc_xgemm_scratch_floats(t, d.m, d.n, d.k, 1, 0) * sizeof(float);
}

static size_t gemm_packed_bytes(const nc_xgemm_tile *t, const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_gemm_dims d = nc_gemm_dims_of(a);
  return nc_xgemm_packed_b_floats(t->nr, d.k, d.n) * sizeof(float);
}

static void gemm_pack(const nc_xgemm_tile *t, const nc_args *a, int idx, const void *src,
                      void *dst) {
  if (idx != 1) return;
  nc_gemm_dims d = nc_gemm_dims_of(a);
  nc_xgemm_pack_b(t->nr, d.k, d.n, src, d.b_rs, d.b_cs, dst);
}

static void gemm(const nc_xgemm_tile *t, const nc_args *a, const void *const *in,
                 void *const *out, void *scratch) {
  nc_gemm_dims d = nc_gemm_dims_of(a);
  const float *A = in[0], *C = nc_nn_has_in(a, 2) ? in[2] : NULL;
  float *Y = out[0];
  const float alpha = (float)nc_nn_fa(a, NC_GEMM_FA_ALPHA, 1.0);
  const float beta = (float)nc_nn_fa(a, NC_GEMM_FA_BETA, 1.0);
  nc_sgemm_epilogue e = {NULL, NULL, nc_nn_ia(a, NC_GEMM_IA_ACT, NC_ACT_NONE),
                         (float)nc_nn_fa(a, NC_GEMM_FA_ACT_ALPHA, 0.0),
                         (float)nc_nn_fa(a, NC_GEMM_FA_ACT_BETA, 0.0), 0};
  if (C && beta != 0.0f) {
    if (d.c_rs == 0 && d.c_cs == 1 && beta == 1.0f) {
      e.bias_col = C; /* the usual bias row: added in the epilogue, no pre-pass */
    } else {
      for (int64_t i = 0; i < d.m; i++)
        for (int64_t j = 0; j < d.n; j++) Y[i * d.n + j] = beta * C[i * d.c_rs + j * d.c_cs];
      e.accumulate = 1;
    }
  }
  nc_xgemm_strided as = {A, d.m, d.a_rs, d.a_cs, alpha};
  nc_xgemm_operand opa = {NULL, nc_xgemm_pack_strided, &as};
  nc_xgemm_operand opb = {in[1], NULL, NULL};
  nc_xgemm(t, d.m, d.n, d.k, &opa, &opb, Y, d.n, NULL, &e, scratch);
}

/* ---------------- MatMul ---------------- */

/* With B of rank <= 2 there is no batch broadcasting: A's rows (all batches)
 * form one (rows x K) matrix and Y one (rows x N) matrix. */
static void matmul_dims(const nc_args *a, int64_t *rows, int64_t *n, int64_t *k) {
  const nc_tdesc *A = &a->in[0], *B = &a->in[1];
  *k = A->dims[A->ndim - 1];
  *n = B->ndim == 2 ? B->dims[1] : 1;
  *rows = *n > 0 ? nc_numel(&a->out[0]) / *n : 0;
}

static size_t matmul_scratch(const nc_xgemm_tile *t, const nc_args *a) {
  int64_t rows, n, k;
  matmul_dims(a, &rows, &n, &k);
  return nc_xgemm_scratch_floats(t, rows, n, k, 1, 0) * sizeof(float);
}

static size_t matmul_packed_bytes(const nc_xgemm_tile *t, const nc_args *a, int idx) {
  if (idx != 1) return 0;
  int64_t rows, n, k;
  matmul_dims(a, &rows, &n, &k);
  return nc_xgemm_packed_b_floats(t->nr, k, n) * sizeof(float);
}

static void matmul_pack(const nc_xgemm_tile *t, const nc_args *a, int idx, const void *src,
                        void *dst) {
  if (idx != 1) return;
  int64_t rows, n, k;
  matmul_dims(a, &rows, &n, &k);
  nc_xgemm_pack_b(t->nr, k, n, src, n, 1, dst);
}

static void matmul(const nc_xgemm_tile *t, const nc_args *a, const void *const *in,
                   void *const *out, void *scratch) {
  int64_t rows, n, k;
  matmul_dims(a, &rows, &n, &k);
  nc_sgemm_epilogue e = {NULL, NULL, NC_ACT_NONE, 0.0f, 0.0f, 0};
  nc_xgemm_strided as = {in[0], rows, k, 1, 1.0f};
  nc_xgemm_operand opa = {NULL, nc_xgemm_pack_strided, &as};
  nc_xgemm_operand opb = {in[1], NULL, NULL};
  nc_xgemm(t, rows, n, k, &opa, &opb, out[0], n, NULL, &e, scratch);
}

/* ---------------- entry points per tile ---------------- */

#define NC_XGEMM_LAYER_DEFS(TAG, TILE)                                                      \
  void nc_conv_im2col_f32_nchw_##TAG(const nc_args *a, const void *const *in,               \
                                     void *const *out, void *scratch) {                     \
    conv_nchw(&TILE, a, in, out, scratch);                                                  \
  }                                                                                         \
  size_t nc_xgemm_conv_nchw_scratch_##TAG(const nc_args *a) {                               \
    return conv_nchw_scratch(&TILE, a);                                                     \
  }                                                                                         \
  size_t nc_xgemm_conv_nchw_packed_bytes_##TAG(const nc_args *a, int idx) {                 \
    return conv_nchw_packed_bytes(&TILE, a, idx);                                           \
  }                                                                                         \
  void nc_xgemm_conv_nchw_pack_##TAG(const nc_args *a, int idx, const void *src, void *dst) { \
    conv_nchw_pack(&TILE, a, idx, src, dst);                                                \
  }                                                                                         \
  void nc_conv_im2col_f32_nhwc_##TAG(const nc_args *a, const void *const *in,               \
                                     void *const *out, void *scratch) {                     \
    conv_nhwc(&TILE, a, in, out, scratch);                                                  \
  }                                                                                         \
  size_t nc_xgemm_conv_nhwc_scratch_##TAG(const nc_args *a) {                               \
    return conv_nhwc_scratch(&TILE, a);                                                     \
  }                                                                                         \
  size_t nc_xgemm_conv_nhwc_packed_bytes_##TAG(const nc_args *a, int idx) {                 \
    return conv_nhwc_packed_bytes(&TILE, a, idx);                                           \
  }                                                                                         \
  void nc_xgemm_conv_nhwc_pack_##TAG(const nc_args *a, int idx, const void *src, void *dst) { \
    conv_nhwc_pack(&TILE, a, idx, src, dst);                                                \
  }                                                                                         \
  void nc_gemm_packed_f32_nchw_##TAG(const nc_args *a, const void *const *in,               \
                                     void *const *out, void *scratch) {                     \
    gemm(&TILE, a, in, out, scratch);                                                       \
  }                                                                                         \
  size_t nc_xgemm_gemm_scratch_##TAG(const nc_args *a) { return gemm_scratch(&TILE, a); }   \
  size_t nc_xgemm_gemm_packed_bytes_##TAG(const nc_args *a, int idx) {                      \
    return gemm_packed_bytes(&TILE, a, idx);                                                \
  }                                                                                         \
  void nc_xgemm_gemm_pack_##TAG(const nc_args *a, int idx, const void *src, void *dst) {    \
    gemm_pack(&TILE, a, idx, src, dst);                                                     \
  }                                                                                         \
  void nc_matmul_packed_f32_nchw_##TAG(const nc_args *a, const void *const *in,             \
                                       void *const *out, void *scratch) {                   \
    matmul(&TILE, a, in, out, scratch);                                                     \
  }                                                                                         \
  size_t nc_xgemm_matmul_scratch_##TAG(const nc_args *a) { return matmul_scratch(&TILE, a); } \
  size_t nc_xgemm_matmul_packed_bytes_##TAG(const nc_args *a, int idx) {                    \
    return matmul_packed_bytes(&TILE, a, idx);                                              \
  }                                                                                         \
  void nc_xgemm_matmul_pack_##TAG(const nc_args *a, int idx, const void *src, void *dst) {  \
    matmul_pack(&TILE, a, idx, src, dst);                                                   \
  }

NC_XGEMM_LAYER_DEFS(avx2_6x16, nc_xgemm_avx2_6x16)
NC_XGEMM_LAYER_DEFS(avx512_14x32, nc_xgemm_avx512_14x32)
NC_XGEMM_LAYER_DEFS(avx512_8x48, nc_xgemm_avx512_8x48)
NC_XGEMM_LAYER_DEFS(avx512_6x64, nc_xgemm_avx512_6x64)

#endif
