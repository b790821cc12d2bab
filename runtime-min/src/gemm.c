/* The f32 GEMM shared by conv-im2col, Gemm and MatMul: both operands packed
 * into register-tile panels (BLIS style), K blocked so an A panel stays in L1
 * and a block of B panels in L2, and a plain-C MR x NR micro-kernel whose
 * fixed-trip inner loop gcc/clang -O2 turn into SIMD multiply-adds. */
#include <string.h>

#include "nn_internal.h"

#define MR NC_GEMM_MR
#define NR NC_GEMM_NR
#define KC 256  /* K block: MR*KC and KC*NR floats fit in L1 */
#define NCB 512 /* columns of B per block: KC*NCB floats fit in L2 */

size_t nc_sgemm_packed_a_floats(int64_t m, int64_t k) {
  return (size_t)((m + MR - 1) / MR) * MR * (size_t)k;
}

size_t nc_sgemm_packed_b_floats(int64_t k, int64_t n) {
  return (size_t)((n + NR - 1) / NR) * NR * (size_t)k;
}

void nc_sgemm_pack_a(int64_t m, int64_t k, const float *src, int64_t rs, int64_t cs,
                     float scale, float *dst) {
  for (int64_t i0 = 0; i0 < m; i0 += MR) {
    int64_t rows = m - i0 < MR ? m - i0 : MR;
    for (int64_t p = 0; p < k; p++) {
      for (int64_t i = 0; i < rows; i++) dst[i] = scale * src[(i0 + i) * rs + p * cs];
      for (int64_t i = rows; i < MR; i++) dst[i] = 0.0f;
      dst += MR;
    }
  }
}

void nc_sgemm_pack_b(int64_t k, int64_t n, const float *src, int64_t rs, int64_t cs,
                     float *dst) {
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    int64_t cols = n - j0 < NR ? n - j0 : NR;
    for (int64_t p = 0; p < k; p++) {
      const float *s = src + p * rs + j0 * cs;
      if (cs == 1) {
        memcpy(dst, s, (size_t)cols * sizeof(float));
      } else {
        for (int64_t j = 0; j < cols; j++) dst[j] = s[j * cs];
      }
      for (int64_t j = cols; j < NR; j++) dst[j] = 0.0f;
      dst += NR;
    }
  }
}

/* acc = sum over kc steps of a-column (MR) times b-row (NR). The constant
 * trip counts let the compiler keep acc in vector registers. */
static void micro_kernel(int64_t kc, const float *restrict a, const float *restrict b,
                         float *restrict out) {
  float acc[MR * NR];
  for (int i = 0; i < MR * NR; i++) acc[i] = 0.0f;
  for (int64_t p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const float ai = a[i];
      for (int j = 0; j < NR; j++) acc[i * NR + j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR * NR; i++) out[i] = acc[i];
}

void nc_nn_act_span(float *x, int64_t n, int64_t act, float alpha, float beta) {
  switch (act) {
  case NC_ACT_NONE: return;
  case NC_ACT_RELU:
    for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
    return;
  case NC_ACT_CLIP:
    for (int64_t i = 0; i < n; i++) {
      float v = x[i] < alpha ? alpha : x[i];
      x[i] = v > beta ? beta : v;
    }
    return;
  default:
    for (int64_t i = 0; i < n; i++) x[i] = nc_apply_act(x[i], act, alpha, beta);
    return;
  }
}

typedef struct tile_pos {
  int64_t i0, j0, rows, cols;
  int first, last; /* first / last K block */
} tile_pos;

static void store_tile(const float *t, float *c, int64_t ldc, const tile_pos *tp,
                       const nc_sgemm_epilogue *e) {
  for (int64_t i = 0; i < tp->rows; i++) {
    float *crow = c + (tp->i0 + i) * ldc + tp->j0;
    const float *trow = t + i * NR;
    if (tp->first && !e->accumulate) {
      for (int64_t j = 0; j < tp->cols; j++) crow[j] = trow[j];
    } else {
      for (int64_t j = 0; j < tp->cols; j++) crow[j] += trow[j];
    }
    if (!tp->last) continue;
    if (e->bias_row) {
      float b = e->bias_row[tp->i0 + i];
      for (int64_t j = 0; j < tp->cols; j++) crow[j] += b;
    }
    if (e->bias_col) {
      const float *b = e->bias_col + tp->j0;
      for (int64_t j = 0; j < tp->cols; j++) crow[j] += b[j];
    }
    nc_nn_act_span(crow, tp->cols, e->act, e->act_alpha, e->act_beta);
  }
}

void nc_sgemm_packed(int64_t m, int64_t n, int64_t k, const float *ap, const float *bp,
                     float *c, int64_t ldc, const nc_sgemm_epilogue *e) {
  float tile[MR * NR];
  if (k == 0) { /* no products: only the epilogue on zeros (or on C) */
    for (int64_t i = 0; i < m; i++) {
      float *crow = c + i * ldc;
      for (int64_t j = 0; j < n; j++) {
        float v = e->accumulate ? crow[j] : 0.0f;
        if (e->bias_row) v += e->bias_row[i];
        if (e->bias_col) v += e->bias_col[j];
        crow[j] = nc_apply_act(v, e->act, e->act_alpha, e->act_beta);
      }
    }
    return;
  }
  for (int64_t k0 = 0; k0 < k; k0 += KC) {
    int64_t kc = k - k0 < KC ? k - k0 : KC;
    for (int64_t jb = 0; jb < n; jb += NCB) {
      int64_t jend = n - jb < NCB ? n : jb + NCB;
      for (int64_t i0 = 0; i0 < m; i0 += MR) {
        const float *apanel = ap + (i0 / MR) * MR * k + k0 * MR;
        for (int64_t j0 = jb; j0 < jend; j0 += NR) {
          const float *bpanel = bp + (j0 / NR) * NR * k + k0 * NR;
          micro_kernel(kc, apanel, bpanel, tile);
          tile_pos tp = {i0, j0, m - i0 < MR ? m - i0 : MR, jend - j0 < NR ? jend - j0 : NR,
                         k0 == 0, k0 + kc == k};
          store_tile(tile, c, ldc, &tp, e);
        }
      }
    }
  }
}
