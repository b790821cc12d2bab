/* aarch64 NEON f32 GEMM: the 8x12 micro-kernel, its K-blocked driver and
 * the operand packers (neon_gemm.h). The packers are portable C (an x86
 * compiler packs weights for aarch64 models with them); the driver and the
 * kernel are compiled on aarch64 only.
 *
 *   for each KC block of K:
 *     for each panel of the on-the-fly operand:  pack it (8 or 12 x KC)
 *       for each panel of the packed operand:    8x12 kernel, then the
 *                                                 tile goes to C (epilogue
 *                                                 on the last K block) */
#include "neon_gemm.h"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

size_t nc_neon_packed_floats(int w, int64_t rows, int64_t k) {
  if (rows <= 0 || k <= 0) return 0;
  return (size_t)((rows + w - 1) / w * w) * (size_t)k;
}

size_t nc_neon_scratch_floats(int64_t k) {
  const int w = NC_NEON_MR > NC_NEON_NR ? NC_NEON_MR : NC_NEON_NR;
  return (size_t)w * (size_t)min64(k > 0 ? k : 1, NC_NEON_KC);
}

void nc_neon_pack_strided(const void *ctx, int64_t i0, int64_t k0, int64_t kc, int w,
                          float *dst) {
  nc_gemm_strided_panel(ctx, i0, w, k0, kc, w, dst);
}

void nc_neon_pack_panels(int w, int64_t rows, int64_t k, const float *src, int64_t rs,
                         int64_t cs, float *dst) {
  nc_neon_strided s = {src, rows, rs, cs, 1.0f};
  for (int64_t i0 = 0; i0 < rows; i0 += w) nc_neon_pack_strided(&s, i0, 0, k, w, dst + i0 * k);
}

#if defined(__aarch64__)
#include "neon_act.h"

/* acc (8 x 12 row-major) = sum over kc steps of a-column (8) x b-row (12). */
static void kernel_8x12(int64_t kc, const float *a, const float *b, float *acc) {
#define NC_ACC_DECL(i)                                                                       \
  float32x4_t c##i##0 = vdupq_n_f32(0.0f), c##i##1 = vdupq_n_f32(0.0f),                      \
              c##i##2 = vdupq_n_f32(0.0f);
#define NC_ACC_FMA(i, av, lane)                                                              \
  c##i##0 = vfmaq_laneq_f32(c##i##0, b0, av, lane);                                          \
  c##i##1 = vfmaq_laneq_f32(c##i##1, b1, av, lane);                                          \
  c##i##2 = vfmaq_laneq_f32(c##i##2, b2, av, lane);
#define NC_ACC_STORE(i)                                                                      \
  vst1q_f32(acc + (i) * 12, c##i##0);                                                        \
  vst1q_f32(acc + (i) * 12 + 4, c##i##1);                                                    \
  vst1q_f32(acc + (i) * 12 + 8, c##i##2);
  NC_ACC_DECL(0) NC_ACC_DECL(1) NC_ACC_DECL(2) NC_ACC_DECL(3)
  NC_ACC_DECL(4) NC_ACC_DECL(5) NC_ACC_DECL(6) NC_ACC_DECL(7)
  for (int64_t p = 0; p < kc; p++, a += 8, b += 12) {
    const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
    NC_ACC_FMA(0, a0, 0) NC_ACC_FMA(1, a0, 1) NC_ACC_FMA(2, a0, 2) NC_ACC_FMA(3, a0, 3)
    NC_ACC_FMA(4, a1, 0) NC_ACC_FMA(5, a1, 1) NC_ACC_FMA(6, a1, 2) NC_ACC_FMA(7, a1, 3)
  }
  NC_ACC_STORE(0) NC_ACC_STORE(1) NC_ACC_STORE(2) NC_ACC_STORE(3)
  NC_ACC_STORE(4) NC_ACC_STORE(5) NC_ACC_STORE(6) NC_ACC_STORE(7)
#undef NC_ACC_DECL
#undef NC_ACC_FMA
#undef NC_ACC_STORE
}

/* Where one tile goes: C at c (row stride ldc), the epilogue terms already
 * offset to the tile (NULL e: not the last K block). */
typedef struct tile_out {
  float *c;
  int64_t ldc, rows, cols;
  int load_c;
  const nc_sgemm_epilogue *e;
  const float *brow, *bcol, *sum;
} tile_out;

static void store_full(const float *acc, const tile_out *t) {
  const nc_sgemm_epilogue *e = t->e;
  const int vec_act = !e || nc_neon_act_in_vector(e->act);
  for (int i = 0; i < NC_NEON_MR; i++) {
    float *cr = t->c + i * t->ldc;
    for (int v = 0; v < 3; v++) {
      float32x4_t x = vld1q_f32(acc + i * 12 + v * 4);
      if (t->load_c) x = vaddq_f32(x, vld1q_f32(cr + v * 4));
      if (e) {
        if (t->brow) x = vaddq_f32(x, vdupq_n_f32(t->brow[i]));
        if (t->bcol) x = vaddq_f32(x, vld1q_f32(t->bcol + v * 4));
        if (t->sum) x = vaddq_f32(x, vld1q_f32(t->sum + i * t->ldc + v * 4));
        if (vec_act) x = nc_neon_act_vec(x, e->act, e->act_alpha, e->act_beta);
      }
      vst1q_f32(cr + v * 4, x);
    }
    if (!vec_act)
      for (int j = 0; j < NC_NEON_NR; j++)
        cr[j] = nc_apply_act(cr[j], e->act, e->act_alpha, e->act_beta);
  }
}

static void store_partial(const float *acc, const tile_out *t) {
  const nc_sgemm_epilogue *e = t->e;
  for (int64_t i = 0; i < t->rows; i++)
    for (int64_t j = 0; j < t->cols; j++) {
      float *cp = t->c + i * t->ldc + j;
      float v = acc[i * 12 + j] + (t->load_c ? *cp : 0.0f);
      if (e) {
        if (t->brow) v += t->brow[i];
        if (t->bcol) v += t->bcol[j];
        if (t->sum) v += t->sum[i * t->ldc + j];
        v = nc_apply_act(v, e->act, e->act_alpha, e->act_beta);
      }
      *cp = v;
    }
}

/* One tile (rows i0.., columns j0..) of one K block [k0, k0+kc). */
static void tile(int64_t i0, int64_t j0, int64_t m, int64_t n, int64_t kc, const float *ap,
                 const float *bp, float *c, int64_t ldc, int load_c, const float *sum,
                 const nc_sgemm_epilogue *last) {
  float acc[NC_NEON_MR * NC_NEON_NR];
  kernel_8x12(kc, ap, bp, acc);
  tile_out t = {c + i0 * ldc + j0, ldc, min64(NC_NEON_MR, m - i0), min64(NC_NEON_NR, n - j0),
                load_c, last, NULL, NULL, NULL};
  if (last) {
    t.brow = last->bias_row ? last->bias_row + i0 : NULL;
    t.bcol = last->bias_col ? last->bias_col + j0 : NULL;
    t.sum = sum ? sum + i0 * ldc + j0 : NULL;
  }
  if (t.rows == NC_NEON_MR && t.cols == NC_NEON_NR) store_full(acc, &t);
  else store_partial(acc, &t);
}

void nc_neon_sgemm(int64_t m, int64_t n, int64_t k, const nc_neon_operand *a,
                   const nc_neon_operand *b, float *c, int64_t ldc, const float *sum,
                   const nc_sgemm_epilogue *e, float *scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    nc_sgemm_epilogue_only(m, n, c, ldc, sum, e);
    return;
  }
  const int a_fly = a->packed == NULL;
  for (int64_t k0 = 0; k0 < k; k0 += NC_NEON_KC) {
    const int64_t kc = min64(NC_NEON_KC, k - k0);
    const int load_c = k0 > 0 || e->accumulate;
    const nc_sgemm_epilogue *last = k0 + kc == k ? e : NULL;
    if (a_fly) { /* A panels packed here, B panels whole-K */
      for (int64_t i0 = 0; i0 < m; i0 += NC_NEON_MR) {
        a->pack(a->ctx, i0, k0, kc, NC_NEON_MR, scratch);
        for (int64_t j0 = 0; j0 < n; j0 += NC_NEON_NR)
          tile(i0, j0, m, n, kc, scratch, b->packed + j0 * k + k0 * NC_NEON_NR, c, ldc, load_c,
               sum, last);
      }
    } else { /* B panels packed here, A panels whole-K */
      for (int64_t j0 = 0; j0 < n; j0 += NC_NEON_NR) {
        b->pack(b->ctx, j0, k0, kc, NC_NEON_NR, scratch);
        for (int64_t i0 = 0; i0 < m; i0 += NC_NEON_MR)
          tile(i0, j0, m, n, kc, a->packed + i0 * k + k0 * NC_NEON_MR, scratch, c, ldc, load_c,
               sum, last);
      }
    }
  }
}

#endif
