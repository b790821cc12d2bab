/* Cache-blocked driver of the x86 packed GEMM (BLIS loop order) and the
 * operand packers. Portable C: only the micro-kernels it calls through the
 * tile need AVX2/AVX-512.
 *
 *   for each NC block of columns:            B block (KC x NC) sits in L2
 *     for each KC block of K:                 pack B block (if activations)
 *       for each MC block of rows:            pack A block (if activations)
 *         for each MR panel of A:             A micro-panel (MR x KC) in L1
 *           for each NR panel of B: micro-kernel, epilogue on the last KC */
#include "x86_gemm.h"

#if defined(__x86_64__)

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

int64_t nc_xgemm_kc(const nc_xgemm_tile *t) {
  /* the A micro-panel takes at most half of L1; at least 128 steps so C is
   * not reloaded too often, at most 512 */
  int64_t kc = NC_X86_L1D_BYTES / 2 / ((int64_t)t->mr * 4) / 16 * 16;
  return kc < 128 ? 128 : kc > 512 ? 512 : kc;
}

int64_t nc_xgemm_nc(const nc_xgemm_tile *t) {
  int64_t nc = NC_X86_L2_BYTES / 2 / (nc_xgemm_kc(t) * 4) / t->nr * t->nr;
  return nc < t->nr ? t->nr : nc;
}

int64_t nc_xgemm_mc(const nc_xgemm_tile *t) {
  int64_t mc = NC_X86_L2_BYTES / 4 / (nc_xgemm_kc(t) * 4) / t->mr * t->mr;
  return mc < t->mr ? t->mr : mc;
}

size_t nc_xgemm_scratch_floats(const nc_xgemm_tile *t, int64_t m, int64_t n, int64_t k,
                               int a_fly, int b_fly) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  int64_t kc = min64(nc_xgemm_kc(t), k);
  size_t s = 0;
  if (b_fly) s += (size_t)(kc * min64(nc_xgemm_nc(t), round_up(n, t->nr)));
  if (a_fly) s += (size_t)(kc * min64(nc_xgemm_mc(t), round_up(m, t->mr)));
  return s;
}

size_t nc_xgemm_packed_a_floats(int mr, int64_t m, int64_t k) {
  return (size_t)round_up(m, mr) * (size_t)k;
}

size_t nc_xgemm_packed_b_floats(int nr, int64_t k, int64_t n) {
  return (size_t)round_up(n, nr) * (size_t)k;
}

void nc_xgemm_pack_strided(const void *ctx, int64_t i0, int64_t ni, int64_t k0, int64_t kc,
                           int w, float *dst) {
  for (int64_t r0 = 0; r0 < ni; r0 += w, dst += kc * w)
    nc_gemm_strided_panel(ctx, i0 + r0, ni - r0, k0, kc, w, dst);
}

void nc_xgemm_pack_a(int mr, int64_t m, int64_t k, const float *src, int64_t rs, int64_t cs,
                     float scale, float *dst) {
  nc_xgemm_strided s = {src, m, rs, cs, scale};
  nc_xgemm_pack_strided(&s, 0, m, 0, k, mr, dst);
}

void nc_xgemm_pack_b(int nr, int64_t k, int64_t n, const float *src, int64_t rs, int64_t cs,
                     float *dst) {
  /* B's "rows" in panel terms are its columns j: element (j, p) at j*cs + p*rs */
  nc_xgemm_strided s = {src, n, cs, rs, 1.0f};
  nc_xgemm_pack_strided(&s, 0, n, 0, k, nr, dst);
}

/* One operand block: base of its first panel and the distance between panels. */
typedef struct blk {
  const float *base;
  int64_t pstride;
} blk;

static blk operand_block(const nc_xgemm_operand *o, int w, int64_t i0, int64_t ni, int64_t k,
                         int64_t k0, int64_t kc, float *buf) {
  blk b;
  if (o->packed) {
    b.base = o->packed + (i0 / w) * w * k + k0 * w;
    b.pstride = w * k;
  } else {
    o->pack(o->ctx, i0, ni, k0, kc, w, buf);
    b.base = buf;
    b.pstride = w * kc;
  }
  return b;
}

/* Micro-kernels over one (A block, B block) pair of a KC step; e (and the
 * bias / sum pointers, offset to the block) only on the last one. */
static void block_product(const nc_xgemm_tile *t, blk ab, int64_t mb, blk bb, int64_t nb,
                          int64_t kc, float *c, int64_t ldc, int load_c,
                          const nc_sgemm_epilogue *e, const float *brow, const float *bcol,
                          const float *sum) {
  for (int64_t i0 = 0; i0 < mb; i0 += t->mr) {
    const int64_t rows = min64(t->mr, mb - i0);
    const float *ap = ab.base + (i0 / t->mr) * ab.pstride;
    for (int64_t j0 = 0; j0 < nb; j0 += t->nr) {
      const int64_t cols = min64(t->nr, nb - j0);
      nc_xgemm_post post = {brow ? brow + i0 : NULL, bcol ? bcol + j0 : NULL,
                            sum ? sum + i0 * ldc + j0 : NULL, e ? e->act : 0,
                            e ? e->act_alpha : 0.0f, e ? e->act_beta : 0.0f};
      t->ukernel[rows - 1](kc, ap, bb.base + (j0 / t->nr) * bb.pstride, c + i0 * ldc + j0,
                           ldc, cols, load_c, e ? &post : NULL);
    }
  }
}

void nc_xgemm(const nc_xgemm_tile *t, int64_t m, int64_t n, int64_t k,
              const nc_xgemm_operand *a, const nc_xgemm_operand *b, float *c, int64_t ldc,
              const float *sum, const nc_sgemm_epilogue *e, float *scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    nc_sgemm_epilogue_only(m, n, c, ldc, sum, e);
    return;
  }
  const int64_t KC = nc_xgemm_kc(t), NC = nc_xgemm_nc(t);
  /* weights packed whole need no M blocking: their panels stream from memory once per B block */
  const int64_t MC = a->packed ? round_up(m, t->mr) : nc_xgemm_mc(t);
  float *bbuf = scratch;
  float *abuf = scratch + (b->packed ? 0 : min64(KC, k) * min64(NC, round_up(n, t->nr)));
  for (int64_t jb = 0; jb < n; jb += NC) {
    const int64_t nb = min64(NC, n - jb);
    for (int64_t k0 = 0; k0 < k; k0 += KC) {
      const int64_t kc = min64(KC, k - k0);
      const int last = k0 + kc == k, load_c = k0 > 0 || e->accumulate;
      blk bb = operand_block(b, t->nr, jb, nb, k, k0, kc, bbuf);
      for (int64_t ib = 0; ib < m; ib += MC) {
        const int64_t mb = min64(MC, m - ib);
        blk ab = operand_block(a, t->mr, ib, mb, k, k0, kc, abuf);
        block_product(t, ab, mb, bb, nb, kc, c + ib * ldc + jb, ldc, load_c, last ? e : NULL,
                      e->bias_row ? e->bias_row + ib : NULL,
                      e->bias_col ? e->bias_col + jb : NULL,
                      sum ? sum + ib * ldc + jb : NULL);
      }
    }
  }
}

#endif
