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
 * (Conv input S, both layouts) and the activation are fused. The glue that
 * does not depend on the tile (conv geometry, im2col panels, epilogues,
 * Gemm/MatMul decoding) is gemm_glue.c, shared with the NEON family. */
#include "x86_gemm_layers.h"

#include "gemm_glue.h"
#include "x86_gemm.h"

#if defined(__x86_64__)

/* ---------------- Conv ---------------- */

/* The column matrix as B: pixel rows [j0, j0+nj) into panels (gemm_glue.c). */
static void nchw_pack(const void *vctx, int64_t j0, int64_t nj, int64_t k0, int64_t kc, int w,
                      float *dst) {
  nc_im2col_nchw_panels(vctx, j0, nj, k0, kc, w, dst);
}

/* The column matrix as A: pixel rows [i0, i0+ni) into panels (gemm_glue.c). */
static void nhwc_pack(const void *vctx, int64_t i0, int64_t ni, int64_t k0, int64_t kc, int w,
                      float *dst) {
  for (int64_t r0 = 0; r0 < ni; r0 += w, dst += kc * w)
    nc_im2col_nhwc_panel(vctx, i0 + r0, ni - r0, k0, kc, w, dst);
}

/* One conv GEMM (gemm_glue.c) on this tile: the weights packed at compile
 * time, the column matrix packed block by block into scratch. */
static void conv_group(const nc_conv_gemm *cg, const void *tile, void *scratch) {
  nc_xgemm_packer pack = cg->weights_are_a ? nchw_pack : nhwc_pack;
  if (cg->pointwise) pack = nc_xgemm_pack_strided;
  const void *ctx = cg->pointwise ? (const void *)&cg->rows : (const void *)&cg->cols;
  nc_xgemm_operand wts = {cg->w, NULL, NULL}, cols = {NULL, pack, ctx};
  const int wa = cg->weights_are_a;
  nc_xgemm(tile, cg->m, cg->n, cg->k, wa ? &wts : &cols, wa ? &cols : &wts, cg->y, cg->ldy,
           cg->sum, &cg->e, scratch);
}

static size_t conv_nchw_scratch(const nc_xgemm_tile *t, const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return nc_xgemm_scratch_floats(t, g.cout_g, g.out[1] * g.out[2], nc_conv_gemm_k(&g), 0, 1) *
         sizeof(float);
}

static size_t conv_nchw_packed_bytes(const nc_xgemm_tile *t, const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_xgemm_packed_a_floats(t->mr, g.cout_g, nc_conv_gemm_k(&g)) *
         sizeof(float);
}

static void conv_nchw_pack(const nc_xgemm_tile *t, const nc_args *a, int idx, const void *src,
                           void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const int64_t k = nc_conv_gemm_k(&g);
  const size_t per = nc_xgemm_packed_a_floats(t->mr, g.cout_g, k);
  for (int64_t grp = 0; grp < g.group; grp++)
    nc_xgemm_pack_a(t->mr, g.cout_g, k, (const float *)src + grp * g.cout_g * k, k, 1, 1.0f,
                    (float *)dst + (size_t)grp * per);
}

static void conv_nchw(const nc_xgemm_tile *t, const nc_args *a, const void *const *in,
                      void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const nc_conv_io io = nc_conv_io_of(a, in, out);
  const size_t per = nc_xgemm_packed_a_floats(t->mr, g.cout_g, nc_conv_gemm_k(&g));
  nc_conv_gemm_groups(&g, 0, &io, per, conv_group, t, scratch);
}

static size_t conv_nhwc_scratch(const nc_xgemm_tile *t, const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return nc_xgemm_scratch_floats(t, g.out[1] * g.out[2], g.cout_g, nc_conv_gemm_k(&g), 1, 0) *
         sizeof(float);
}

static size_t conv_nhwc_packed_bytes(const nc_xgemm_tile *t, const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_xgemm_packed_b_floats(t->nr, nc_conv_gemm_k(&g), g.cout_g) *
         sizeof(float);
}

static void conv_nhwc_pack(const nc_xgemm_tile *t, const nc_args *a, int idx, const void *src,
                           void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  nc_conv_pack_nhwc_weights(&g, t->nr, src, dst);
}

static void conv_nhwc(const nc_xgemm_tile *t, const nc_args *a, const void *const *in,
                      void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const nc_conv_io io = nc_conv_io_of(a, in, out);
  const size_t per = nc_xgemm_packed_b_floats(t->nr, nc_conv_gemm_k(&g), g.cout_g);
  nc_conv_gemm_groups(&g, 1, &io, per, conv_group, t, scratch);
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

/* A Gemm or MatMul layer (gemm_glue.c) on this tile: B packed at compile
 * time, A packed block by block. */
static void run_call(const nc_xgemm_tile *t, const nc_gemm_call *c, void *scratch) {
  nc_xgemm_operand opa = {NULL, nc_xgemm_pack_strided, &c->a}, opb = {c->b_packed, NULL, NULL};
  nc_xgemm(t, c->m, c->n, c->k, &opa, &opb, c->y, c->n, NULL, &c->e, scratch);
}

static void gemm(const nc_xgemm_tile *t, const nc_args *a, const void *const *in,
                 void *const *out, void *scratch) {
  const nc_gemm_call c = nc_gemm_call_of(a, in, out);
  run_call(t, &c, scratch);
}

/* ---------------- MatMul ---------------- */

static size_t matmul_scratch(const nc_xgemm_tile *t, const nc_args *a) {
  int64_t rows, n, k;
  nc_matmul_2d_dims(a, &rows, &n, &k);
  return nc_xgemm_scratch_floats(t, rows, n, k, 1, 0) * sizeof(float);
}

static size_t matmul_packed_bytes(const nc_xgemm_tile *t, const nc_args *a, int idx) {
  if (idx != 1) return 0;
  int64_t rows, n, k;
  nc_matmul_2d_dims(a, &rows, &n, &k);
  return nc_xgemm_packed_b_floats(t->nr, k, n) * sizeof(float);
}

static void matmul_pack(const nc_xgemm_tile *t, const nc_args *a, int idx, const void *src,
                        void *dst) {
  if (idx != 1) return;
  int64_t rows, n, k;
  nc_matmul_2d_dims(a, &rows, &n, &k);
  nc_xgemm_pack_b(t->nr, k, n, src, n, 1, dst);
}

static void matmul(const nc_xgemm_tile *t, const nc_args *a, const void *const *in,
                   void *const *out, void *scratch) {
  const nc_gemm_call c = nc_matmul_call_of(a, in, out);
  run_call(t, &c, scratch);
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
