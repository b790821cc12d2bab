/* Layers on the NEON 8x12 GEMM (neon_gemm.h), same args as their c99
 * counterparts (conv_im2col.c, conv_nhwc.c, gemm_layers.c):
 *  cpu:f32:nchw/conv-im2col/neon/8x12 — Y_g[M_g x P] = W_g[M_g x K] * col[K x P]:
 *    W packed as A panels (8 output channels), the column matrix built one
 *    12-pixel panel per K block; a 1x1 stride-1 unpadded conv reads X's rows.
 *  cpu:f32:nhwc/conv-im2col/neon/8x12 — Y[P x M_g] = col[P x K] * W_g[K x M_g],
 *    K ordered (kh, kw, C_g); W packed as B panels (12 output channels).
 *  cpu:f32:nchw/gemm-packed/neon/8x12 — constant B packed; A (transposed or
 *    not, alpha folded in) packed per panel; beta*C pre-loaded into Y.
 *  cpu:f32:nchw/matmul-packed/neon/8x12 — constant B of rank <= 2 packed.
 * Packing and sizes are portable C (the compiler packs on any host); the
 * routines themselves exist on aarch64 only. */
#include "neon_gemm.h"

#include <string.h>

int nc_neon_conv2d_applies(const nc_args *a) {
  return nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 0) == 2 && a->in[0].ndim == 4;
}

int nc_neon_matmul_applies(const nc_args *a) { return a->in[1].ndim <= 2; }

static int64_t conv_k(const nc_conv_geom *g) { return g->cin_g * g->k[1] * g->k[2]; }

/* ---------------- Conv NCHW: weights are A ---------------- */

size_t nc_neon_conv_nchw_scratch(const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return nc_neon_scratch_floats(conv_k(&g)) * sizeof(float);
}

size_t nc_neon_conv_nchw_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_neon_packed_floats(NC_NEON_MR, g.cout_g, conv_k(&g)) *
         sizeof(float);
}

void nc_neon_conv_nchw_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const int64_t k = conv_k(&g);
  const size_t per = nc_neon_packed_floats(NC_NEON_MR, g.cout_g, k);
  for (int64_t grp = 0; grp < g.group; grp++)
    nc_neon_pack_panels(NC_NEON_MR, g.cout_g, k, (const float *)src + grp * g.cout_g * k, k, 1,
                        (float *)dst + (size_t)grp * per);
}

/* ---------------- Conv NHWC: weights are B ---------------- */

size_t nc_neon_conv_nhwc_scratch(const nc_args *a) { return nc_neon_conv_nchw_scratch(a); }

size_t nc_neon_conv_nhwc_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_neon_packed_floats(NC_NEON_NR, g.cout_g, conv_k(&g)) *
         sizeof(float);
}

/* W [M][C_g][kh][kw] -> per group B panels over K = (tap, ci), N = output channel. */
void nc_neon_conv_nhwc_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *w = src;
  float *d = dst;
  const int64_t k = conv_k(&g), nt = g.k[1] * g.k[2], nr = NC_NEON_NR;
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

/* ---------------- Gemm / MatMul: B packed ---------------- */

size_t nc_neon_gemm_scratch(const nc_args *a) {
  return nc_neon_scratch_floats(nc_gemm_dims_of(a).k) * sizeof(float);
}

size_t nc_neon_gemm_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_gemm_dims d = nc_gemm_dims_of(a);
  return nc_neon_packed_floats(NC_NEON_NR, d.n, d.k) * sizeof(float);
}

void nc_neon_gemm_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_gemm_dims d = nc_gemm_dims_of(a);
  /* B's panel rows are its columns j: element (j, p) at j*b_cs + p*b_rs */
  nc_neon_pack_panels(NC_NEON_NR, d.n, d.k, src, d.b_cs, d.b_rs, dst);
}

/* With B of rank <= 2 there is no batch broadcasting: A's rows (all batches)
 * form one (rows x K) matrix and Y one (rows x N) matrix. */
static void matmul_dims(const nc_args *a, int64_t *rows, int64_t *n, int64_t *k) {
  const nc_tdesc *A = &a->in[0], *B = &a->in[1];
  *k = A->dims[A->ndim - 1];
  *n = B->ndim == 2 ? B->dims[1] : 1;
  *rows = *n > 0 ? nc_numel(&a->out[0]) / *n : 0;
}

size_t nc_neon_matmul_scratch(const nc_args *a) {
  int64_t rows, n, k;
  matmul_dims(a, &rows, &n, &k);
  return nc_neon_scratch_floats(k) * sizeof(float);
}

size_t nc_neon_matmul_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  int64_t rows, n, k;
  matmul_dims(a, &rows, &n, &k);
  return nc_neon_packed_floats(NC_NEON_NR, n, k) * sizeof(float);
}

void nc_neon_matmul_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  int64_t rows, n, k;
  matmul_dims(a, &rows, &n, &k);
  nc_neon_pack_panels(NC_NEON_NR, n, k, src, 1, n, dst);
}

#if defined(__aarch64__)

static int is_pointwise(const nc_conv_geom *g) {
  return g->k[1] == 1 && g->k[2] == 1 && g->stride[1] == 1 && g->stride[2] == 1 &&
         g->pad[1] == 0 && g->pad[2] == 0 && g->in[1] == g->out[1] && g->in[2] == g->out[2];
}

static nc_sgemm_epilogue conv_epilogue(const nc_conv_geom *g, const float *bias, int per_row) {
  nc_sgemm_epilogue e = {per_row ? bias : NULL, per_row ? NULL : bias, g->act, g->act_alpha,
                         g->act_beta, 0};
  return e;
}

typedef struct conv_ctx {
  const nc_conv_geom *g;
  const float *x; /* one image; NCHW: first channel of the group, NHWC: channel offset */
} conv_ctx;

/* NCHW im2col panel: w pixels from j0, steps r = (ci, ky, kx). */
static void nchw_pack(const void *vctx, int64_t j0, int64_t k0, int64_t kc, int w, float *dst) {
  const conv_ctx *c = vctx;
  const nc_conv_geom *g = c->g;
  const int64_t kh = g->k[1], kw = g->k[2], ow = g->out[2], pix = g->out[1] * ow;
  const int64_t H = g->in[1], W = g->in[2];
  for (int64_t p = 0; p < kc; p++) {
    const int64_t r = k0 + p, ci = r / (kh * kw), ky = r / kw % kh, kx = r % kw;
    const float *xc = c->x + ci * H * W;
    float *d = dst + p * w;
    for (int l = 0; l < w; l++) {
      const int64_t q = j0 + l;
      float v = 0.0f;
      if (q < pix) {
        const int64_t iy = q / ow * g->stride[1] - g->pad[1] + ky * g->dil[1];
        const int64_t ix = q % ow * g->stride[2] - g->pad[2] + kx * g->dil[2];
        if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = xc[iy * W + ix];
      }
      d[l] = v;
    }
  }
}

void nc_conv_im2col_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *x = in[0], *wp = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  float *y = out[0];
  const int64_t k = conv_k(&g), pix = g.out[1] * g.out[2], isz = g.in[1] * g.in[2];
  const size_t per = nc_neon_packed_floats(NC_NEON_MR, g.cout_g, k);
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t grp = 0; grp < g.group; grp++) {
      const float *xg = x + (n * g.c + grp * g.cin_g) * isz;
      conv_ctx ctx = {&g, xg};
      /* pointwise: B element (pixel, ci) is X[ci*isz + pixel] */
      nc_neon_strided xs = {xg, pix, 1, isz, 1.0f};
      const int pw = is_pointwise(&g);
      nc_neon_operand A = {wp + (size_t)grp * per, NULL, NULL};
      nc_neon_operand B = {NULL, pw ? nc_neon_pack_strided : nchw_pack,
                           pw ? (const void *)&xs : (const void *)&ctx};
      nc_sgemm_epilogue e = conv_epilogue(&g, bias ? bias + grp * g.cout_g : NULL, 1);
      const int64_t yoff = (n * g.m + grp * g.cout_g) * pix;
      nc_neon_sgemm(g.cout_g, pix, k, &A, &B, y + yoff, pix, sum ? sum + yoff : NULL, &e,
                    scratch);
    }
}

/* NHWC im2col panel: w pixels from i0, steps r = (tap, ci); each tap is a
 * run of contiguous channels or zeros where it falls in the padding. */
static void nhwc_pack(const void *vctx, int64_t i0, int64_t k0, int64_t kc, int w, float *dst) {
  const conv_ctx *c = vctx;
  const nc_conv_geom *g = c->g;
  const int64_t ow = g->out[2], pix = g->out[1] * g->out[2], cin = g->cin_g;
  for (int64_t l = 0; l < w; l++) {
    const int64_t q = i0 + l;
    float *d = dst + l;
    if (q >= pix) {
      for (int64_t p = 0; p < kc; p++) d[p * w] = 0.0f;
      continue;
    }
    const int64_t oy = q / ow, ox = q % ow;
    for (int64_t r = k0; r < k0 + kc;) {
      const int64_t tap = r / cin, ci = r % cin;
      const int64_t run = cin - ci < k0 + kc - r ? cin - ci : k0 + kc - r;
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

void nc_conv_im2col_f32_nhwc_neon_8x12(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *x = in[0], *wp = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  float *y = out[0];
  const int64_t k = conv_k(&g), pix = g.out[1] * g.out[2];
  const size_t per = nc_neon_packed_floats(NC_NEON_NR, g.cout_g, k);
  for (int64_t n = 0; n < g.n; n++) {
    const float *xn = x + n * g.in[1] * g.in[2] * g.c;
    float *yn = y + n * pix * g.m;
    for (int64_t grp = 0; grp < g.group; grp++) {
      conv_ctx ctx = {&g, xn + grp * g.cin_g};
      /* pointwise: A element (pixel, ci) is X[pixel*C + ci] */
      nc_neon_strided xs = {xn + grp * g.cin_g, pix, g.c, 1, 1.0f};
      const int pw = is_pointwise(&g);
      nc_neon_operand A = {NULL, pw ? nc_neon_pack_strided : nhwc_pack,
                           pw ? (const void *)&xs : (const void *)&ctx};
      nc_neon_operand B = {wp + (size_t)grp * per, NULL, NULL};
      nc_sgemm_epilogue e = conv_epilogue(&g, bias ? bias + grp * g.cout_g : NULL, 0);
      const float *sg = sum ? sum + n * pix * g.m + grp * g.cout_g : NULL;
      nc_neon_sgemm(pix, g.cout_g, k, &A, &B, yn + grp * g.cout_g, g.m, sg, &e, scratch);
    }
  }
}

void nc_gemm_packed_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
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
      e.bias_col = C; /* the usual bias row: added in the epilogue */
    } else {
      for (int64_t i = 0; i < d.m; i++)
        for (int64_t j = 0; j < d.n; j++) Y[i * d.n + j] = beta * C[i * d.c_rs + j * d.c_cs];
      e.accumulate = 1;
    }
  }
  nc_neon_strided as = {A, d.m, d.a_rs, d.a_cs, alpha};
  nc_neon_operand opa = {NULL, nc_neon_pack_strided, &as};
  nc_neon_operand opb = {in[1], NULL, NULL};
  nc_neon_sgemm(d.m, d.n, d.k, &opa, &opb, Y, d.n, NULL, &e, scratch);
}

void nc_matmul_packed_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
                                         void *const *out, void *scratch) {
  int64_t rows, n, k;
  matmul_dims(a, &rows, &n, &k);
  nc_sgemm_epilogue e = {NULL, NULL, NC_ACT_NONE, 0.0f, 0.0f, 0};
  nc_neon_strided as = {in[0], rows, k, 1, 1.0f};
  nc_neon_operand opa = {NULL, nc_neon_pack_strided, &as};
  nc_neon_operand opb = {in[1], NULL, NULL};
  nc_neon_sgemm(rows, n, k, &opa, &opb, out[0], n, NULL, &e, scratch);
}

#endif
