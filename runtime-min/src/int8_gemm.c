/* The int8 GEMM core shared by every ISA: weight quantization into the
 * packed blob, the requantization epilogue, the row-block driver (im2col of
 * NHWC convs included) and the portable micro-kernel. See int8_internal.h. */
#include <math.h>
#include <string.h>

#include "int8_internal.h"

size_t nc_i8_wpack_bytes(int64_t k, int64_t n, int64_t nr) {
  int64_t kp = nc_i8_round_up(k, 4), np = nc_i8_round_up(n, nr);
  return sizeof(nc_i8_wpack) + (size_t)(kp * np) + (size_t)np * (sizeof(int32_t) + 2 * sizeof(float));
}

void nc_i8_pack_gemm_weights(const nc_args *a, int64_t k, int64_t n, int64_t nr, const float *w,
                             nc_i8_wget get, float alpha, const float *bias,
                             int64_t bias_stride, float beta, void *dst) {
  nc_i8_wpack *h = dst;
  memset(h, 0, sizeof *h);
  h->k = k;
  h->kp = nc_i8_round_up(k, 4);
  h->n = n;
  h->np = nc_i8_round_up(n, nr);
  h->nr = nr;
  int8_t *wq = nc_i8_wpack_w(h);
  memset(wq, 0, (size_t)(h->kp * h->np));
  int32_t *bq = nc_i8_wpack_bias(h);
  float *mult = nc_i8_wpack_mult(h), *deq = nc_i8_wpack_deq(h);
  for (int64_t c = 0; c < h->np; c++) {
    bq[c] = 0;
    mult[c] = deq[c] = 0.0f;
    if (c >= n) continue; /* padded columns: zero weights, zero output (never stored) */
    float amax = 0.0f;
    for (int64_t p = 0; p < k; p++) {
      float v = fabsf(alpha * get(a, w, p, c));
      if (v > amax) amax = v;
    }
    float scale = amax > 0.0f ? amax / (float)NC_Q_S8_SYM_MAX : 1.0f;
    int8_t *col = wq + (c / nr) * h->kp * nr + (c % nr) * 4;
    int64_t wsum = 0;
    for (int64_t p = 0; p < k; p++) {
      int32_t q = nc_q_quantize(alpha * get(a, w, p, c), scale, 0, -NC_Q_S8_SYM_MAX,
                                NC_Q_S8_SYM_MAX);
      col[(p / 4) * nr * 4 + p % 4] = (int8_t)q;
      wsum += q;
    }
    double b = bias ? (double)beta * bias[c * bias_stride] : 0.0;
    nc_i8_column_params(a, scale, wsum, b, &mult[c], &deq[c], &bq[c]);
  }
}

/* Round half to even in double (the bias is folded in double so that large
 * biases keep their integer precision). */
static double round_even_d(double v) {
  double f = floor(v), d = v - f;
  if (d > 0.5) return f + 1.0;
  if (d < 0.5) return f;
  return fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

void nc_i8_column_params(const nc_args *a, float w_scale, int64_t wsum, double bias,
                         float *mult, float *deq, int32_t *bias_q) {
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  *deq = x->scale * w_scale;
  *mult = y->dtype == NC_U8 && y->scale > 0.0f ? nc_q_multiplier(x->scale, w_scale, y->scale)
                                               : 0.0f;
  double b = *deq > 0.0f ? round_even_d(bias / (double)*deq) : 0.0;
  if (b > 2147483647.0) b = 2147483647.0;
  if (b < -2147483648.0) b = -2147483648.0;
  *bias_q = nc_q_sat_s32((int64_t)b - (int64_t)x->zero_point * wsum);
}

void nc_i8_post_init(nc_i8_post *p, const nc_args *a, const nc_i8_wpack *h, int64_t act,
                     float alpha, float beta, void *y, int64_t ldy) {
  memset(p, 0, sizeof *p);
  p->bias = nc_i8_wpack_bias(h);
  p->mult = nc_i8_wpack_mult(h);
  p->deq = nc_i8_wpack_deq(h);
  p->out_f32 = a->out[0].dtype != NC_U8;
  p->zy = a->out[0].zero_point;
  p->sy = a->out[0].scale;
  p->act = act;
  p->alpha = alpha;
  p->beta = beta;
  p->lo_q = -INFINITY;
  p->hi_q = INFINITY;
  if (!p->out_f32 && act == NC_ACT_RELU) p->lo_q = 0.0f;
  if (!p->out_f32 && act == NC_ACT_CLIP) {
    p->lo_q = alpha / p->sy;
    p->hi_q = beta / p->sy;
  }
  p->y = y;
  p->ldy = ldy;
}

void nc_i8_post_sum(nc_i8_post *p, const nc_tdesc *sd, const void *s) {
  p->sum = s;
  p->zs = sd->zero_point;
  p->ss = sd->scale;
  p->ss_q = p->out_f32 ? 0.0f : sd->scale / p->sy;
}

/* acc + bias without signed-overflow UB (wraps like the vector add). */
static inline int32_t add_wrap(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

void nc_i8_epilogue_c99(const nc_i8_post *p, const int32_t *tile, int64_t ld, int rows,
                        int64_t row0, int64_t col0, int64_t cols) {
  for (int i = 0; i < rows; i++) {
    const int32_t *t = tile + i * ld;
    int64_t off = (row0 + i) * p->ldy + col0;
    for (int64_t j = 0; j < cols; j++) {
      int64_t c = col0 + j;
      float acc = (float)add_wrap(t[j], p->bias[c]);
      /* the residual in stored units; its products are rounded separately
       * (no fused multiply-add), as the vector epilogues do */
      float s = p->sum ? (float)(p->sum[off + j] - p->zs) : 0.0f;
      float sr = s * p->ss; /* separate statements: never contracted into an FMA */
      if (p->out_f32) {
        float v = acc * p->deq[c];
        if (p->sum) v = v + sr;
        ((float *)p->y)[off + j] = nc_apply_act(v, p->act, p->alpha, p->beta);
        continue;
      }
      float v;
      if (nc_i8_post_linear(p)) {
        v = acc * p->mult[c];
        float sq = s * p->ss_q;
        if (p->sum) v = v + sq;
        v = fminf(fmaxf(v, p->lo_q), p->hi_q);
      } else {
        v = acc * p->deq[c];
        if (p->sum) v = v + sr;
        v = nc_apply_act(v, p->act, p->alpha, p->beta) / p->sy;
      }
      ((uint8_t *)p->y)[off + j] = (uint8_t)nc_q_round_sat(v, p->zy, 0, 255);
    }
  }
}

/* ---- the driver ---- */

/* Budget of one block of built A rows: big enough that a B panel streamed
 * from L2 serves many rows, small enough to stay in L2 beside it. */
#define NC_I8_A_BLOCK_BYTES (256 * 1024)

static int rows_in_place(const nc_i8_rows *src, int64_t k) {
  return !src->im2col && src->cs == 1 && k % 4 == 0;
}

static int64_t block_rows(int64_t kp, int mr) {
  int64_t rb = NC_I8_A_BLOCK_BYTES / (kp > 0 ? kp : 1) / mr * mr;
  if (rb < mr) rb = mr;
  return rb;
}

size_t nc_i8_gemm_scratch(const nc_i8_rows *src, int64_t k) {
  if (rows_in_place(src, k)) return 0;
  int64_t kp = nc_i8_round_up(k, 4);
  /* block_rows(kp, mr) <= max(budget / kp, mr) for every ISA's mr (<= 6);
   * a block never holds more rows than the matrix */
  int64_t rb = NC_I8_A_BLOCK_BYTES / kp;
  if (rb < 6) rb = 6;
  if (src->m < rb) rb = src->m;
  return (size_t)(rb * kp);
}

/* Builds rows r0 .. r0+nr-1 of A into buf (row length kp, tail zeroed). */
static void build_rows(const nc_i8_rows *s, int64_t k, int64_t kp, int64_t r0, int64_t nr,
                       uint8_t *buf) {
  for (int64_t i = 0; i < nr; i++) {
    uint8_t *row = buf + i * kp;
    int64_t r = r0 + i;
    if (!s->im2col) {
      const uint8_t *x = s->x + r * s->rs;
      for (int64_t p = 0; p < k; p++) row[p] = x[p * s->cs];
    } else {
      int64_t n = r / (s->oh * s->ow), oy = r / s->ow % s->oh, ox = r % s->ow;
      int64_t ix0 = ox * s->sw - s->pw, span = s->kw * s->ic;
      /* undilated taps of one kernel row wholly inside the input are one
       * contiguous run of kw * ic bytes (a 3-channel stem: 21 bytes, not 7
       * copies of 3) */
      int row_run = s->dw == 1 && ix0 >= 0 && ix0 + s->kw <= s->iw;
      uint8_t *dst = row;
      for (int64_t ky = 0; ky < s->kh; ky++) {
        int64_t iy = oy * s->sh - s->ph + ky * s->dh;
        if (row_run && iy >= 0 && iy < s->ih) {
          memcpy(dst, s->x + ((n * s->ih + iy) * s->iw + ix0) * s->ic, (size_t)span);
          dst += span;
          continue;
        }
        for (int64_t kx = 0; kx < s->kw; kx++, dst += s->ic) {
          int64_t ix = ox * s->sw - s->pw + kx * s->dw;
          if (iy < 0 || iy >= s->ih || ix < 0 || ix >= s->iw)
            memset(dst, s->zx, (size_t)s->ic);
          else
            memcpy(dst, s->x + ((n * s->ih + iy) * s->iw + ix) * s->ic, (size_t)s->ic);
        }
      }
    }
    if (kp > k) memset(row + k, 0, (size_t)(kp - k));
  }
}

void nc_i8_gemm_run(const nc_i8_isa *isa, const nc_i8_rows *src, const nc_i8_wpack *h,
                    const nc_i8_post *post, void *scratch) {
  const int mr = isa->mr, nr = isa->nr;
  const int64_t k = h->k, kp = h->kp, n = h->n;
  const int in_place = rows_in_place(src, k);
  const int64_t rb = block_rows(kp, mr);
  int32_t tile[6 * 64];
  const uint8_t *ptr[6];
  for (int64_t r0 = 0; r0 < src->m; r0 += rb) {
    int64_t rows = src->m - r0 < rb ? src->m - r0 : rb;
    const uint8_t *base = src->x + r0 * src->rs;
    int64_t lda = src->rs;
    if (!in_place) {
      build_rows(src, k, kp, r0, rows, scratch);
      base = scratch;
      lda = kp;
    }
    for (int64_t c0 = 0; c0 < n; c0 += nr) {
      const int8_t *panel = nc_i8_wpack_w(h) + c0 * kp;
      int64_t cols = n - c0 < nr ? n - c0 : nr;
      for (int64_t i0 = 0; i0 < rows; i0 += mr) {
        int live = rows - i0 < mr ? (int)(rows - i0) : mr;
        for (int i = 0; i < mr; i++) ptr[i] = base + (i0 + (i < live ? i : live - 1)) * lda;
        isa->kernel(kp, ptr, panel, tile);
        isa->epilogue(post, tile, nr, live, r0 + i0, c0, cols);
      }
    }
  }
}

/* ---- portable micro-kernel: 4 rows x 16 columns ---- */

static void kernel_c99(int64_t kp, const uint8_t *const *a, const int8_t *b, int32_t *tile) {
  enum { MR = 4, NR = 16 };
  int32_t acc[MR][NR];
  memset(acc, 0, sizeof acc);
  for (int64_t p = 0; p < kp; p += 4, b += NR * 4)
    for (int i = 0; i < MR; i++) {
      const uint8_t *x = a[i] + p;
      for (int j = 0; j < NR; j++) {
        const int8_t *w = b + j * 4;
        acc[i][j] += x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3];
      }
    }
  memcpy(tile, acc, sizeof acc);
}

const nc_i8_isa nc_i8_isa_c99 = {4, 16, kernel_c99, nc_i8_epilogue_c99};
