/* Layer glue shared by the packed f32 GEMM families (x86_gemm_layers.c,
 * neon_gemm_layers.c, neon_dw.c, gemm_layers.c): conv geometry and I/O,
 * the im2col panel packers, epilogue set-up, and Gemm/MatMul argument
 * decoding. Portable C without ISA code: each family keeps its own driver
 * and adapts these helpers to its packer signature, so the bytes a packer
 * writes are the same whichever family calls it.
 *
 * A panel of width w holds, for K steps p in [k0, k0+kc), w operand rows:
 * element (lane l, step p) at dst[(p - k0)*w + l]; lanes past the operand's
 * end are zero. Several panels of one call follow each other kc*w apart. */
#ifndef NC_GEMM_GLUE_H
#define NC_GEMM_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "nn_internal.h"

/* ---------------- strided operands ---------------- */

/* A strided matrix as a packer context: element (row r, step p) at
 * base[r*rs + p*cs] * scale, for r < rows. */
typedef struct nc_gemm_strided {
  const float *base;
  int64_t rows, rs, cs;
  float scale;
} nc_gemm_strided;

/* One w-wide panel of rows [i0, i0 + w): at most `lanes` of them (and none
 * past s->rows) are read, the other lanes are zero. */
void nc_gemm_strided_panel(const nc_gemm_strided *s, int64_t i0, int64_t lanes, int64_t k0,
                           int64_t kc, int w, float *dst);

/* ---------------- Conv ---------------- */

/* What a conv layer reads and writes: bias and the fused residual sum S are
 * NULL when absent. */
typedef struct nc_conv_io {
  const float *x, *w, *bias, *sum;
  float *y;
} nc_conv_io;
nc_conv_io nc_conv_io_of(const nc_args *a, const void *const *in, void *const *out);

/* A 2-D Conv (rank-4 tensors): what the im2col GEMM layers handle. */
int nc_conv2d_gemm_applies(const nc_args *a);
/* MatMul with B of rank <= 2 (shared by every batch): gemm_layers.c. */
int nc_matmul_packed_applies(const nc_args *a);
/* GEMM depth of a 2-D conv: C_g * kh * kw. */
int64_t nc_conv_gemm_k(const nc_conv_geom *g);
/* 1x1, stride 1, unpadded, same size: the input itself is the column matrix. */
int nc_conv_is_pointwise(const nc_conv_geom *g);
/* The conv's fused bias (per output channel: rows of Y when per_row, else
 * columns) and activation as a GEMM epilogue. */
nc_sgemm_epilogue nc_conv_gemm_epilogue(const nc_conv_geom *g, const float *bias, int per_row);

/* Packer context of the im2col operands: one image of one group. */
typedef struct nc_conv_panel_ctx {
  const nc_conv_geom *g;
  const float *x; /* NCHW: first channel of the group; NHWC: its channel offset */
} nc_conv_panel_ctx;

/* NCHW column matrix, rows = pixels [j0, j0 + nj), steps r = (ci, ky, kx),
 * into ceil(nj / w) consecutive panels (the last one zero-padded). */
void nc_im2col_nchw_panels(const nc_conv_panel_ctx *c, int64_t j0, int64_t nj, int64_t k0,
                           int64_t kc, int w, float *dst);
/* NHWC column matrix, one panel of pixels [i0, i0 + w), steps r = (tap,
 * ci): at most `lanes` pixels (none past the image) are read, the rest zero. */
void nc_im2col_nhwc_panel(const nc_conv_panel_ctx *c, int64_t i0, int64_t lanes, int64_t k0,
                          int64_t kc, int w, float *dst);
/* One GEMM of an im2col conv (one image, one group), offsets applied.
 * NCHW: Y_g[M_g x P] = W_g[M_g x K] * col[K x P], the weights are A;
 * NHWC: Y[P x M_g] = col[P x K] * W_g[K x M_g], the weights are B. The
 * column matrix is `rows` itself for a pointwise conv, else `cols` builds
 * it (nc_im2col_nchw_panels / nc_im2col_nhwc_panel). */
typedef struct nc_conv_gemm {
  int64_t m, n, k;
  int weights_are_a; /* NCHW */
  const float *w;    /* the group's packed weights */
  int pointwise;
  nc_gemm_strided rows;
  nc_conv_panel_ctx cols;
  float *y;
  int64_t ldy;
  const float *sum; /* the residual at y's offset and row stride, or NULL */
  nc_sgemm_epilogue e;
} nc_conv_gemm;
/* A family's GEMM of one nc_conv_gemm; `family` is its own context (tile). */
typedef void (*nc_conv_gemm_fn)(const nc_conv_gemm *cg, const void *family, void *scratch);
/* Calls fn for every (image, group) GEMM of the conv, in that order;
 * w_group: packed weight floats per group. */
void nc_conv_gemm_groups(const nc_conv_geom *g, int nhwc, const nc_conv_io *io, size_t w_group,
                         nc_conv_gemm_fn fn, const void *family, void *scratch);

/* W [M][C_g][kh][kw] -> per group nr-wide B panels over K = (tap, ci),
 * N = output channel (the NHWC conv's weights). */
void nc_conv_pack_nhwc_weights(const nc_conv_geom *g, int nr, const float *w, float *dst);

/* ---------------- Gemm / MatMul ---------------- */

/* K == 0: no products, only the epilogue on zeros (or on C when
 * e->accumulate); sum as in the drivers. */
void nc_sgemm_epilogue_only(int64_t m, int64_t n, float *c, int64_t ldc, const float *sum,
                            const nc_sgemm_epilogue *e);

/* Gemm's activation and C term as an epilogue. With C and beta != 0: the
 * usual bias row (C broadcast over rows, beta 1) is added in the epilogue
 * when bias_in_epilogue, otherwise beta*C is pre-loaded into y (row stride
 * d->n) and the epilogue accumulates onto it. */
nc_sgemm_epilogue nc_gemm_epilogue_of(const nc_args *a, const nc_gemm_dims *d, const float *c,
                                      float *y, int bias_in_epilogue);
/* MatMul with B of rank <= 2: no batch broadcasting, so A's rows (all
 * batches) form one (rows x K) matrix and Y one (rows x N) matrix. */
void nc_matmul_2d_dims(const nc_args *a, int64_t *rows, int64_t *n, int64_t *k);

/* A Gemm or MatMul layer as one GEMM: Y (m x n, row stride n) =
 * epilogue(A * B), A a strided operand (Gemm's alpha folded in), B the
 * constant packed at compile time. */
typedef struct nc_gemm_call {
  int64_t m, n, k;
  nc_gemm_strided a;
  const float *b_packed;
  float *y;
  nc_sgemm_epilogue e;
} nc_gemm_call;
/* Gemm: bias row in the epilogue, any other beta*C already pre-loaded into Y. */
nc_gemm_call nc_gemm_call_of(const nc_args *a, const void *const *in, void *const *out);
/* MatMul with B of rank <= 2 (nc_matmul_2d_dims). */
nc_gemm_call nc_matmul_call_of(const nc_args *a, const void *const *in, void *const *out);

#endif
