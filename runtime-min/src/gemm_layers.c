/* Gemm and MatMul routines:
 *  cpu:f32:nchw/gemm-ref/c99, cpu:f32:nchw/matmul-ref/c99 — naive references;
 *  cpu:f32:nchw/gemm-packed/c99 — B packed at compile time, A packed (with
 *    alpha folded in) into scratch, beta*C pre-loaded into Y, fused act;
 *  cpu:f32:nchw/matmul-packed/c99 — for a 1-D/2-D B (shared by every batch):
 *    all batches of A stacked as one tall matrix against packed B. */
#include <string.h>

#include "gemm_glue.h"
#include "nn_internal.h"

/* ---------------- Gemm ---------------- */

nc_gemm_dims nc_gemm_dims_of(const nc_args *a) {
  nc_gemm_dims d;
  const nc_tdesc *A = &a->in[0], *B = &a->in[1];
  int ta = (int)nc_nn_ia(a, NC_GEMM_IA_TRANS_A, 0), tb = (int)nc_nn_ia(a, NC_GEMM_IA_TRANS_B, 0);
  d.m = ta ? A->dims[1] : A->dims[0];
  d.k = ta ? A->dims[0] : A->dims[1];
  d.n = tb ? B->dims[0] : B->dims[1];
  d.a_rs = ta ? 1 : d.k;
  d.a_cs = ta ? d.m : 1;
  d.b_rs = tb ? 1 : d.n;
  d.b_cs = tb ? d.k : 1;
  d.c_rs = d.c_cs = 0;
  if (nc_nn_has_in(a, 2)) {
    const nc_tdesc *C = &a->in[2];
    int64_t cm = C->ndim >= 2 ? C->dims[C->ndim - 2] : 1;
    int64_t cn = C->ndim >= 1 ? C->dims[C->ndim - 1] : 1;
    d.c_cs = cn == 1 ? 0 : 1;
    d.c_rs = cm == 1 ? 0 : cn;
  }
  return d;
}


void nc_gemm_ref_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                              void *scratch) {
  (void)scratch;
  nc_gemm_dims d = nc_gemm_dims_of(a);
  const float *A = in[0], *B = in[1], *C = nc_nn_has_in(a, 2) ? in[2] : NULL;
  float *Y = out[0];
  const double alpha = nc_nn_fa(a, NC_GEMM_FA_ALPHA, 1.0), beta = nc_nn_fa(a, NC_GEMM_FA_BETA, 1.0);
  const int64_t act = nc_nn_ia(a, NC_GEMM_IA_ACT, NC_ACT_NONE);
  const double aa = nc_nn_fa(a, NC_GEMM_FA_ACT_ALPHA, 0.0), ab = nc_nn_fa(a, NC_GEMM_FA_ACT_BETA, 0.0);
  for (int64_t i = 0; i < d.m; i++)
    for (int64_t j = 0; j < d.n; j++) {
      double s = 0.0;
      for (int64_t p = 0; p < d.k; p++)
        s += (double)A[i * d.a_rs + p * d.a_cs] * B[p * d.b_rs + j * d.b_cs];
      s *= alpha;
      if (C) s += beta * C[i * d.c_rs + j * d.c_cs];
      Y[i * d.n + j] = nc_apply_act((float)s, act, aa, ab);
    }
}

size_t nc_gemm_packed_scratch(const nc_args *a) {
  nc_gemm_dims d = nc_gemm_dims_of(a);
  return nc_sgemm_packed_a_floats(d.m, d.k) * sizeof(float);
}

size_t nc_gemm_packed_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_gemm_dims d = nc_gemm_dims_of(a);
  return nc_sgemm_packed_b_floats(d.k, d.n) * sizeof(float);
}

void nc_gemm_packed_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_gemm_dims d = nc_gemm_dims_of(a);
  nc_sgemm_pack_b(d.k, d.n, src, d.b_rs, d.b_cs, dst);
}

void nc_gemm_packed_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  nc_gemm_dims d = nc_gemm_dims_of(a);
  const float *A = in[0], *Bp = in[1], *C = nc_nn_has_in(a, 2) ? in[2] : NULL;
  float *Y = out[0], *ap = scratch;
  const float alpha = (float)nc_nn_fa(a, NC_GEMM_FA_ALPHA, 1.0);
  /* beta*C pre-loaded into Y in every case, as this routine always did */
  nc_sgemm_epilogue e = nc_gemm_epilogue_of(a, &d, C, Y, 0);
  nc_sgemm_pack_a(d.m, d.k, A, d.a_rs, d.a_cs, alpha, ap);
  nc_sgemm_packed(d.m, d.n, d.k, ap, Bp, Y, d.n, &e);
}

/* ---------------- MatMul ---------------- */

typedef struct matmul_dims {
  int64_t m, n, k, batch;
  int nb;                                    /* output batch rank */
  int64_t bdims[NC_MAX_DIMS];                /* output batch dims */
  int64_t a_bstride[NC_MAX_DIMS], b_bstride[NC_MAX_DIMS]; /* 0 on broadcast */
} matmul_dims;

/* Element strides of operand `t`'s batch dims, right-aligned to nb dims. */
static void batch_strides(const nc_tdesc *t, int nb, int64_t mat, int64_t *st) {
  int tb = t->ndim > 2 ? t->ndim - 2 : 0;
  int64_t s = mat;
  for (int i = nb - 1; i >= 0; i--) {
    int ti = i - (nb - tb);
    if (ti < 0) {
      st[i] = 0;
      continue;
    }
    st[i] = t->dims[ti] == 1 ? 0 : s;
    s *= t->dims[ti];
  }
}

static matmul_dims matmul_dims_of(const nc_args *a) {
  matmul_dims d;
  const nc_tdesc *A = &a->in[0], *B = &a->in[1], *Y = &a->out[0];
  d.m = A->ndim >= 2 ? A->dims[A->ndim - 2] : 1;
  d.k = A->dims[A->ndim - 1];
  d.n = B->ndim >= 2 ? B->dims[B->ndim - 1] : 1;
  d.nb = Y->ndim - (A->ndim >= 2 ? 1 : 0) - (B->ndim >= 2 ? 1 : 0);
  if (d.nb < 0) d.nb = 0;
  d.batch = 1;
  for (int i = 0; i < d.nb; i++) {
    d.bdims[i] = Y->dims[i];
    d.batch *= Y->dims[i];
  }
  batch_strides(A, d.nb, d.m * d.k, d.a_bstride);
  batch_strides(B, d.nb, d.k * d.n, d.b_bstride);
  return d;
}

static void batch_offsets(const matmul_dims *d, int64_t b, int64_t *ao, int64_t *bo) {
  *ao = *bo = 0;
  for (int i = d->nb - 1; i >= 0; i--) {
    int64_t idx = b % d->bdims[i];
    b /= d->bdims[i];
    *ao += idx * d->a_bstride[i];
    *bo += idx * d->b_bstride[i];
  }
}

void nc_matmul_ref_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  matmul_dims d = matmul_dims_of(a);
  const float *A = in[0], *B = in[1];
  float *Y = out[0];
  for (int64_t b = 0; b < d.batch; b++) {
    int64_t ao, bo;
    batch_offsets(&d, b, &ao, &bo);
    float *y = Y + b * d.m * d.n;
    for (int64_t i = 0; i < d.m; i++)
      for (int64_t j = 0; j < d.n; j++) {
        double s = 0.0;
        for (int64_t p = 0; p < d.k; p++)
          s += (double)A[ao + i * d.k + p] * B[bo + p * d.n + j];
        y[i * d.n + j] = (float)s;
      }
  }
}

int nc_matmul_packed_applies(const nc_args *a) { return a->in[1].ndim <= 2; }

/* With a shared B, A's batches (broadcast over B's absent batch dims) are
 * one contiguous (batch*M) x K matrix. */
size_t nc_matmul_packed_scratch(const nc_args *a) {
  matmul_dims d = matmul_dims_of(a);
  return nc_sgemm_packed_a_floats(d.batch * d.m, d.k) * sizeof(float);
}

size_t nc_matmul_packed_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  matmul_dims d = matmul_dims_of(a);
  return nc_sgemm_packed_b_floats(d.k, d.n) * sizeof(float);
}

void nc_matmul_packed_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  matmul_dims d = matmul_dims_of(a);
  nc_sgemm_pack_b(d.k, d.n, src, d.n, 1, dst);
}

void nc_matmul_packed_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                   void *scratch) {
  matmul_dims d = matmul_dims_of(a);
  nc_sgemm_epilogue e = {NULL, NULL, NC_ACT_NONE, 0.0f, 0.0f, 0};
  nc_sgemm_pack_a(d.batch * d.m, d.k, in[0], d.k, 1, 1.0f, scratch);
  nc_sgemm_packed(d.batch * d.m, d.n, d.k, scratch, in[1], out[0], d.n, &e);
}
