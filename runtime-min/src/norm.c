/* Normalisation references (f32, NCHW): BatchNormalization (inference),
 * InstanceNormalization, LayerNormalization (+ Mean / InvStdDev), LRN and
 * MeanVarianceNormalization. Statistics are accumulated in double. */
#include <math.h>

#include "nn_internal.h"

/* Product of dims [from, to) of d. */
static int64_t dims_prod(const nc_tdesc *d, int from, int to) {
  int64_t p = 1;
  for (int i = from; i < to; i++) p *= d->dims[i];
  return p;
}

void nc_batchnormalization_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                            void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *xd = &a->in[0];
  const float *x = in[0], *scale = in[1], *bias = in[2], *mean = in[3], *var = in[4];
  float *y = out[0];
  const double eps = nc_nn_fa(a, NC_BN_FA_EPSILON, 1e-5);
  const int64_t n = xd->dims[0], c = xd->ndim > 1 ? xd->dims[1] : 1;
  const int64_t sp = dims_prod(xd, 2, xd->ndim);
  for (int64_t ch = 0; ch < c; ch++) {
    float mul = (float)(scale[ch] / sqrt((double)var[ch] + eps));
    float add = (float)(bias[ch] - mean[ch] * (double)mul);
    for (int64_t b = 0; b < n; b++) {
      const float *xp = x + (b * c + ch) * sp;
      float *yp = y + (b * c + ch) * sp;
      for (int64_t i = 0; i < sp; i++) yp[i] = xp[i] * mul + add;
    }
  }
}

/* Mean and 1/sqrt(var + eps) of n values. */
static void moments(const float *x, int64_t n, double eps, double *mean, double *inv_std) {
  double s = 0.0, s2 = 0.0;
  for (int64_t i = 0; i < n; i++) s += x[i];
  double mu = n > 0 ? s / (double)n : 0.0;
  for (int64_t i = 0; i < n; i++) s2 += (x[i] - mu) * (x[i] - mu);
  *mean = mu;
  *inv_std = 1.0 / sqrt((n > 0 ? s2 / (double)n : 0.0) + eps);
}

void nc_instancenormalization_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                               void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *xd = &a->in[0];
  const float *x = in[0], *scale = in[1], *bias = in[2];
  float *y = out[0];
  const double eps = nc_nn_fa(a, NC_INSTNORM_FA_EPSILON, 1e-5);
  const int64_t c = xd->dims[1], sp = dims_prod(xd, 2, xd->ndim);
  for (int64_t nc = 0; nc < xd->dims[0] * c; nc++) {
    double mu, inv;
    moments(x + nc * sp, sp, eps, &mu, &inv);
    float mul = (float)(scale[nc % c] * inv), add = (float)(bias[nc % c] - mu * mul);
    for (int64_t i = 0; i < sp; i++) y[nc * sp + i] = x[nc * sp + i] * mul + add;
  }
}

void nc_layernormalization_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                            void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *xd = &a->in[0];
  const int axis = (int)nc_nn_ia(a, NC_LAYERNORM_IA_AXIS, xd->ndim - 1);
  const int64_t outer = dims_prod(xd, 0, axis), inner = dims_prod(xd, axis, xd->ndim);
  const double eps = nc_nn_fa(a, NC_LAYERNORM_FA_EPSILON, 1e-5);
  const float *x = in[0], *scale = in[1], *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const int64_t ns = nc_numel(&a->in[1]), nb = bias ? nc_numel(&a->in[2]) : 1;
  float *y = out[0];
  float *mean_out = nc_nn_has_out(a, 1) ? out[1] : NULL;
  float *inv_out = nc_nn_has_out(a, 2) ? out[2] : NULL;
  for (int64_t o = 0; o < outer; o++) {
    double mu, inv;
    moments(x + o * inner, inner, eps, &mu, &inv);
    for (int64_t i = 0; i < inner; i++) {
      double v = (x[o * inner + i] - mu) * inv * scale[i % ns];
      if (bias) v += bias[i % nb];
      y[o * inner + i] = (float)v;
    }
    if (mean_out) mean_out[o] = (float)mu;
    if (inv_out) inv_out[o] = (float)inv;
  }
}

void nc_lrn_ref_f32_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                             void *scratch) {
  (void)scratch;
  const nc_tdesc *xd = &a->in[0];
  const int64_t size = nc_nn_ia(a, NC_LRN_IA_SIZE, 1);
  const double alpha = nc_nn_fa(a, NC_LRN_FA_ALPHA, 1e-4), beta = nc_nn_fa(a, NC_LRN_FA_BETA, 0.75);
  const double bias = nc_nn_fa(a, NC_LRN_FA_BIAS, 1.0);
  const int64_t c = xd->dims[1], sp = dims_prod(xd, 2, xd->ndim);
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo; /* floor / ceil of (size-1)/2 */
  const float *x = in[0];
  float *y = out[0];
  for (int64_t n = 0; n < xd->dims[0]; n++)
    for (int64_t ch = 0; ch < c; ch++)
      for (int64_t i = 0; i < sp; i++) {
        double sq = 0.0;
        for (int64_t k = ch - lo; k <= ch + hi; k++)
          if (k >= 0 && k < c) {
            double v = x[(n * c + k) * sp + i];
            sq += v * v;
          }
        int64_t at = (n * c + ch) * sp + i;
        y[at] = (float)(x[at] / pow(bias + alpha / (double)size * sq, beta));
      }
}

/* Offsets of the kept (mask bit clear) or reduced (bit set) part of index `lin`
 * over the dims selected by `want_reduced`. */
static int64_t part_offset(const nc_tdesc *d, int64_t mask, int want_reduced, int64_t lin) {
  int64_t off = 0, stride = 1;
  for (int i = d->ndim - 1; i >= 0; i--) {
    int64_t s = stride;
    stride *= d->dims[i];
    if ((int)((mask >> i) & 1) != want_reduced) continue;
    off += (lin % d->dims[i]) * s;
    lin /= d->dims[i];
  }
  return off;
}

void nc_meanvariancenormalization_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                                   void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *xd = &a->in[0];
  const int64_t mask = nc_nn_ia(a, NC_MVN_IA_AXES_MASK, 0xd);
  int64_t red = 1, total = nc_numel(xd);
  for (int i = 0; i < xd->ndim; i++)
    if ((mask >> i) & 1) red *= xd->dims[i];
  const int64_t kept = red > 0 ? total / red : 0;
  const float *x = in[0];
  float *y = out[0];
  for (int64_t k = 0; k < kept; k++) {
    int64_t base = part_offset(xd, mask, 0, k);
    double s = 0.0, s2 = 0.0;
    for (int64_t r = 0; r < red; r++) s += x[base + part_offset(xd, mask, 1, r)];
    double mu = s / (double)red;
    for (int64_t r = 0; r < red; r++) {
      double v = x[base + part_offset(xd, mask, 1, r)] - mu;
      s2 += v * v;
    }
    double inv = 1.0 / (sqrt(s2 / (double)red) + 1e-9);
    for (int64_t r = 0; r < red; r++) {
      int64_t at = base + part_offset(xd, mask, 1, r);
      y[at] = (float)((x[at] - mu) * inv);
    }
  }
}
