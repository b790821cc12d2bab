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
 * routines themselves exist on aarch64 only. The glue that does not depend
 * on the tile (conv geometry, im2col panels, epilogues, Gemm/MatMul
 * decoding) is gemm_glue.c, shared with the x86 family. */
#include "neon_gemm.h"

/* ---------------- Conv NCHW: weights are A ---------------- */

size_t nc_neon_conv_nchw_scratch(const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return nc_neon_scratch_floats(nc_conv_gemm_k(&g)) * sizeof(float);
}

size_t nc_neon_conv_nchw_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (size_t)g.group * nc_neon_packed_floats(NC_NEON_MR, g.cout_g, nc_conv_gemm_k(&g)) *
         sizeof(float);
}

void nc_neon_conv_nchw_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const int64_t k = nc_conv_gemm_k(&g);
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
  return (size_t)g.group * nc_neon_packed_floats(NC_NEON_NR, g.cout_g, nc_conv_gemm_k(&g)) *
         sizeof(float);
}

/* W as nr-wide B panels over K = (tap, ci) (gemm_glue.c). */
void nc_neon_conv_nhwc_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  nc_conv_pack_nhwc_weights(&g, NC_NEON_NR, src, dst);
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

size_t nc_neon_matmul_scratch(const nc_args *a) {
  int64_t rows, n, k;
  nc_matmul_2d_dims(a, &rows, &n, &k);
  return nc_neon_scratch_floats(k) * sizeof(float);
}

size_t nc_neon_matmul_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  int64_t rows, n, k;
  nc_matmul_2d_dims(a, &rows, &n, &k);
  return nc_neon_packed_floats(NC_NEON_NR, n, k) * sizeof(float);
}

void nc_neon_matmul_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  int64_t rows, n, k;
  nc_matmul_2d_dims(a, &rows, &n, &k);
  nc_neon_pack_panels(NC_NEON_NR, n, k, src, 1, n, dst);
}

#if defined(__aarch64__)

/* The column matrix as B: one panel of pixels [j0, j0+w) (gemm_glue.c);
 * the driver asks only for panels that start inside the image. */
static void nchw_pack(const void *vctx, int64_t j0, int64_t k0, int64_t kc, int w, float *dst) {
  const nc_conv_panel_ctx *c = vctx;
  const int64_t pix = c->g->out[1] * c->g->out[2];
  nc_im2col_nchw_panels(c, j0, pix - j0 < w ? pix - j0 : w, k0, kc, w, dst);
}

/* The column matrix as A: one panel of pixels [i0, i0+w) (gemm_glue.c). */
static void nhwc_pack(const void *vctx, int64_t i0, int64_t k0, int64_t kc, int w, float *dst) {
  nc_im2col_nhwc_panel(vctx, i0, w, k0, kc, w, dst);
}

/* One conv GEMM (gemm_glue.c) on the 8x12 driver: the weights packed at
 * compile time, the column matrix packed one panel per K block. */
static void conv_group(const nc_conv_gemm *cg, const void *unused, void *scratch) {
  (void)unused;
  nc_neon_packer pack = cg->weights_are_a ? nchw_pack : nhwc_pack;
  if (cg->pointwise) pack = nc_neon_pack_strided;
  const void *ctx = cg->pointwise ? (const void *)&cg->rows : (const void *)&cg->cols;
  nc_neon_operand wts = {cg->w, NULL, NULL}, cols = {NULL, pack, ctx};
  const int wa = cg->weights_are_a;
  nc_neon_sgemm(cg->m, cg->n, cg->k, wa ? &wts : &cols, wa ? &cols : &wts, cg->y, cg->ldy,
                cg->sum, &cg->e, scratch);
}

void nc_conv_im2col_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const nc_conv_io io = nc_conv_io_of(a, in, out);
  const size_t per = nc_neon_packed_floats(NC_NEON_MR, g.cout_g, nc_conv_gemm_k(&g));
  nc_conv_gemm_groups(&g, 0, &io, per, conv_group, NULL, scratch);
}

void nc_conv_im2col_f32_nhwc_neon_8x12(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const nc_conv_io io = nc_conv_io_of(a, in, out);
  const size_t per = nc_neon_packed_floats(NC_NEON_NR, g.cout_g, nc_conv_gemm_k(&g));
  nc_conv_gemm_groups(&g, 1, &io, per, conv_group, NULL, scratch);
}

/* A Gemm or MatMul layer (gemm_glue.c) on the 8x12 driver: B packed at
 * compile time, A packed one panel per K block. */
static void run_call(const nc_gemm_call *c, void *scratch) {
  nc_neon_operand opa = {NULL, nc_neon_pack_strided, &c->a}, opb = {c->b_packed, NULL, NULL};
  nc_neon_sgemm(c->m, c->n, c->k, &opa, &opb, c->y, c->n, NULL, &c->e, scratch);
}

void nc_gemm_packed_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  const nc_gemm_call c = nc_gemm_call_of(a, in, out);
  run_call(&c, scratch);
}

void nc_matmul_packed_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
                                         void *const *out, void *scratch) {
  const nc_gemm_call c = nc_matmul_call_of(a, in, out);
  run_call(&c, scratch);
}

#endif
