/* Reference routines of NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
 * for f32, f64, f16 and bf16 (computed in double). Input (N, C, d1..dk),
 * target (N, d1..dk) s32/s64, optional per-class weight (C). A target equal
 * to ignore_index (or outside [0, C)) contributes neither loss nor weight. */
#include <math.h>

#include "neuroc/args.h"
#include "reduce_io.h"
#include "reduce_routines.h"

typedef struct loss_acc {
  double loss, loss_c, weight; /* compensated loss sum, plain weight sum */
} loss_acc;

static void acc_add(loss_acc *a, double v) {
  double t = a->loss + v;
  if (isfinite(t)) {
    if (fabs(a->loss) >= fabs(v)) a->loss_c += (a->loss - t) + v;
    else a->loss_c += (v - t) + a->loss;
  }
  a->loss = t;
}

/* log(sum_c exp(x[n, c, d])), computed with the max subtracted. */
static double log_sum_exp(const void *x, int32_t dt, int64_t first, int64_t C, int64_t D) {
  double m = -INFINITY, s = 0.0;
  for (int64_t c = 0; c < C; c++) {
    double v = nc_load_f64(x, dt, first + c * D);
    if (v > m || v != v) m = v;
  }
  if (!isfinite(m)) return m;
  for (int64_t c = 0; c < C; c++) s += exp(nc_load_f64(x, dt, first + c * D) - m);
  return m + log(s);
}

static void loss_run(int softmax, const nc_args *a, const void *const *in, void *const *out) {
  int32_t dt = a->in[0].dtype, tdt = a->in[1].dtype;
  const nc_tdesc *xd = &a->in[0];
  int64_t N = xd->dims[0], C = xd->dims[1], D = 1;
  for (int k = 2; k < xd->ndim; k++) D *= xd->dims[k];
  const void *w = a->n_in > 2 && a->in[2].dtype ? in[2] : NULL;
  int32_t wdt = w ? a->in[2].dtype : 0;
  void *log_prob = a->n_out > 1 && a->out[1].dtype ? out[1] : NULL;
  int64_t red = a->ia[NC_LOSS_REDUCTION], ii = a->ia[NC_LOSS_IGNORE_INDEX];
  int has_ii = a->ia[NC_LOSS_HAS_IGNORE] != 0;
  loss_acc acc = {0.0, 0.0, 0.0};
  for (int64_t n = 0; n < N; n++)
    for (int64_t d = 0; d < D; d++) {
      int64_t first = n * C * D + d;
      double lse = 0.0;
      if (softmax) {
        lse = log_sum_exp(in[0], dt, first, C, D);
        if (log_prob)
          for (int64_t c = 0; c < C; c++)
            rdx_st(log_prob, dt, first + c * D, nc_load_f64(in[0], dt, first + c * D) - lse, 0);
      }
      int64_t t = rdx_ldi(in[1], tdt, n * D + d);
      double loss = 0.0, wt = 0.0;
      if (!(has_ii && t == ii) && t >= 0 && t < C) {
        wt = w ? nc_load_f64(w, wdt, t) : 1.0;
        loss = -(nc_load_f64(in[0], dt, first + t * D) - lse) * wt;
      }
      if (red == NC_LOSS_NONE) {
        rdx_st(out[0], dt, n * D + d, loss, 0);
      } else {
        acc_add(&acc, loss);
        acc.weight += wt;
      }
    }
  double total = acc.loss + acc.loss_c;
  if (red == NC_LOSS_SUM) rdx_st(out[0], dt, 0, total, 0);
  if (red == NC_LOSS_MEAN) rdx_st(out[0], dt, 0, total / acc.weight, 0);
}

void nc_negativeloglikelihoodloss_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                                   void *const *out, void *scratch) {
  (void)scratch;
  loss_run(0, a, in, out);
}

void nc_softmaxcrossentropyloss_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                                 void *const *out, void *scratch) {
  (void)scratch;
  loss_run(1, a, in, out);
}
