/* Internal helpers shared by the nn-family routines (conv, gemm, pool, norm,
 * softmax, adapters): the packed f32 GEMM and small argument readers. Not part
 * of the public runtime API. */
#ifndef NC_NN_INTERNAL_H
#define NC_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "neuroc/args.h"
#include "neuroc/routines.h"

/* Register tile of the GEMM micro-kernel: MR rows of A by NR columns of B. */
#define NC_GEMM_MR 6
#define NC_GEMM_NR 8

/* Packed operands. A (M x K) is stored as ceil(M/MR) panels, each K steps of
 * MR consecutive row values; B (K x N) as ceil(N/NR) panels, each K steps of
 * NR consecutive column values. Tails are zero-padded. */
size_t nc_sgemm_packed_a_floats(int64_t m, int64_t k);
size_t nc_sgemm_packed_b_floats(int64_t k, int64_t n);
/* Element (i, p) of A is src[i*rs + p*cs]: transposes are just strides. */
void nc_sgemm_pack_a(int64_t m, int64_t k, const float *src, int64_t rs, int64_t cs,
                     float scale, float *dst);
/* Element (p, j) of B is src[p*rs + j*cs]. */
void nc_sgemm_pack_b(int64_t k, int64_t n, const float *src, int64_t rs, int64_t cs,
                     float *dst);

/* What happens to each C element after the products are summed:
 * C = act((accumulate ? C : 0) + A*B + bias_row[i] + bias_col[j]). */
typedef struct nc_sgemm_epilogue {
  const float *bias_row; /* M values or NULL */
  const float *bias_col; /* N values or NULL */
  int64_t act;
  float act_alpha, act_beta;
  int accumulate;
} nc_sgemm_epilogue;

/* C (M x N, row stride ldc) from packed A and packed B. */
void nc_sgemm_packed(int64_t m, int64_t n, int64_t k, const float *ap, const float *bp,
                     float *c, int64_t ldc, const nc_sgemm_epilogue *e);

/* Fused activation of an f32 span. */
void nc_nn_act_span(float *x, int64_t n, int64_t act, float alpha, float beta);

/* Small argument readers: ia[i] or a default when the layer passed fewer. */
static inline int64_t nc_nn_ia(const nc_args *a, int i, int64_t dflt) {
  return a->ia && i < a->n_ia ? a->ia[i] : dflt;
}
static inline double nc_nn_fa(const nc_args *a, int i, double dflt) {
  return a->fa && i < a->n_fa ? a->fa[i] : dflt;
}
/* Optional input i present? */
static inline int nc_nn_has_in(const nc_args *a, int i) {
  return i < a->n_in && a->in[i].dtype != 0;
}
static inline int nc_nn_has_out(const nc_args *a, int i) {
  return i < a->n_out && a->out[i].dtype != 0;
}


/* Conv / ConvTranspose / pooling geometry with spatial dims right-aligned into
 * three slots (unused leading slots are size 1, stride 1, dilation 1, pad 0),
 * so one loop nest serves 1-D, 2-D and 3-D. */
typedef struct nc_conv_geom {
  int nsp;
  int64_t n, c, m;         /* batch, input channels, output channels */
  int64_t group, cin_g, cout_g;
  int64_t in[3], out[3], k[3], stride[3], dil[3], pad[3];
  int64_t act;
  float act_alpha, act_beta;
} nc_conv_geom;

/* Conv: X in[0], W in[1] ([M, C/group, k...]); ConvTranspose: W is
 * [C, M/group, k...] (transposed = 1). */
void nc_conv_geom_read(const nc_args *a, int transposed, nc_conv_geom *g);
/* Pools: kernel from the args, channels from X. */
void nc_pool_geom_read(const nc_args *a, nc_conv_geom *g);
/* Output positions o in [lo, hi) for which o*stride - pad + off lands in [0, size). */
void nc_conv_valid_range(int64_t out, int64_t stride, int64_t pad, int64_t off, int64_t size,
                         int64_t *lo, int64_t *hi);
/* Gemm's operand geometry from its args (transA/transB, C broadcast); shared
 * by the portable and the x86 Gemm routines (gemm_layers.c). */
typedef struct nc_gemm_dims {
  int64_t m, n, k;
  int64_t a_rs, a_cs, b_rs, b_cs; /* element (i,p) of A at i*a_rs + p*a_cs, same for B */
  int64_t c_rs, c_cs;             /* C broadcast strides (0 on broadcast dims) */
} nc_gemm_dims;
nc_gemm_dims nc_gemm_dims_of(const nc_args *a);

#endif
