/* f32 fast paths of the elementwise family: contiguous unary loops and
 * binary loops for the shapes real CNNs use (same shape, scalar operand,
 * per-row / per-channel operand). Loops are written in blocks of EW_BLOCK
 * through a small local buffer: gcc -O2 (cheap vectorizer cost model) and
 * clang then vectorize the fixed-count inner loops, and computing a whole
 * block before storing keeps in-place use (out == in[0]) correct. Each op is
 * one inlined switch; the exported wrappers fix the op so the compiler
 * specializes every loop. Results match the reference up to f32 rounding. */
#include <math.h>

#include "elementwise.h"

#if defined(__GNUC__)
#define EW_INLINE static inline __attribute__((always_inline))
#else
#define EW_INLINE static inline
#endif

#define EW_BLOCK 16

/* ---------------- unary ---------------- */

/* The op's two float parameters, defaults as the ONNX attribute defaults. */
static void unary_params(ew_op op, const nc_args *a, float p[2]) {
  double d0 = 0.0, d1 = 0.0;
  switch (op) {
  case EW_LEAKYRELU: d0 = 0.01; break;
  case EW_ELU: case EW_CELU: case EW_THRESHOLDEDRELU: d0 = 1.0; break;
  case EW_SELU: d0 = 1.67326319217681884765625; d1 = 1.05070102214813232421875; break;
  case EW_HARDSIGMOID: d0 = 0.2; d1 = 0.5; break;
  case EW_SHRINK: d0 = 0.0; d1 = 0.5; break;
  case EW_CLIP: d0 = -INFINITY; d1 = INFINITY; break;
  default: break;
  }
  p[0] = (float)(a->n_fa > 0 ? a->fa[0] : d0);
  p[1] = (float)(a->n_fa > 1 ? a->fa[1] : d1);
}

static float round_half_even_f(float x) {
  float r = floorf(x), d = x - r;
  if (d > 0.5f || (d == 0.5f && r - 2.0f * floorf(r * 0.5f) != 0.0f)) r += 1.0f;
  return copysignf(r, x);
}

static float sigmoid_f(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

static float softplus_f(float x) {
  return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

/* p0/p1: see unary_params (alpha/beta, min/max, bias/lambd, alpha/gamma). */
EW_INLINE float f32_unary(ew_op op, float x, float p0, float p1) {
  switch (op) {
  case EW_ABS: return fabsf(x);
  case EW_NEG: return -x;
  case EW_EXP: return expf(x);
  case EW_LOG: return logf(x);
  case EW_SQRT: return sqrtf(x);
  case EW_SIN: return sinf(x);
  case EW_COS: return cosf(x);
  case EW_TAN: return tanf(x);
  case EW_ASIN: return asinf(x);
  case EW_ACOS: return acosf(x);
  case EW_ATAN: return atanf(x);
  case EW_SINH: return sinhf(x);
  case EW_COSH: return coshf(x);
  case EW_ASINH: return asinhf(x);
  case EW_ACOSH: return acoshf(x);
  case EW_ATANH: return atanhf(x);
  case EW_CEIL: return ceilf(x);
  case EW_FLOOR: return floorf(x);
  case EW_ROUND: return round_half_even_f(x);
  case EW_SIGN: return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x;
  case EW_RECIPROCAL: return 1.0f / x;
  case EW_ERF: return erff(x);
  case EW_RELU: return x > 0.0f ? x : 0.0f;
  case EW_LEAKYRELU: return x >= 0.0f ? x : x * p0;
  case EW_ELU: return x >= 0.0f ? x : p0 * expm1f(x);
  case EW_SELU: return p1 * (x > 0.0f ? x : p0 * expm1f(x));
  case EW_CELU: return (x > 0.0f ? x : 0.0f) + fminf(0.0f, p0 * expm1f(x / p0));
  case EW_SIGMOID: return sigmoid_f(x);
  case EW_HARDSIGMOID: {
    float y = p0 * x + p1;
    return y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y;
  }
  case EW_HARDSWISH: {
    float y = x * (1.0f / 6.0f) + 0.5f;
    return x * (y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y);
  }
  case EW_SOFTPLUS: return softplus_f(x);
  case EW_SOFTSIGN: return x / (1.0f + fabsf(x));
  case EW_TANH: return tanhf(x);
  case EW_THRESHOLDEDRELU: return x > p0 ? x : 0.0f;
  case EW_SHRINK: return x < -p1 ? x + p0 : x > p1 ? x - p0 : 0.0f;
  case EW_MISH: return x * tanhf(softplus_f(x));
  case EW_CLIP: {
    float y = x < p0 ? p0 : x;
    return y > p1 ? p1 : y;
  }
  default: return x;
  }
}

EW_INLINE void unary_loop(ew_op op, const float *x, float *y, int64_t n, float p0, float p1) {
  int64_t i = 0;
  for (; i + EW_BLOCK <= n; i += EW_BLOCK) {
    float t[EW_BLOCK];
    for (int k = 0; k < EW_BLOCK; k++) t[k] = f32_unary(op, x[i + k], p0, p1);
    for (int k = 0; k < EW_BLOCK; k++) y[i + k] = t[k];
  }
  for (; i < n; i++) y[i] = f32_unary(op, x[i], p0, p1);
}

EW_INLINE void unary_routine(ew_op op, const nc_args *a, const void *const *in,
                             void *const *out) {
  float p[2];
  unary_params(op, a, p);
  unary_loop(op, (const float *)in[0], (float *)out[0], nc_numel(&a->out[0]), p[0], p[1]);
}

/* ---------------- binary ---------------- */

/* Max/Min propagate NaN and prefer x on ties, like the reference. */
EW_INLINE float f32_binary(ew_op op, float x, float y) {
  switch (op) {
  case EW_ADD: case EW_SUM: return x + y;
  case EW_SUB: return x - y;
  case EW_MUL: return x * y;
  case EW_DIV: return x / y;
  case EW_MAX: return x != x ? x : y != y ? y : x >= y ? x : y;
  case EW_MIN: return x != x ? x : y != y ? y : x <= y ? x : y;
  default: return x;
  }
}

EW_INLINE void binary_flat_loop(ew_op op, const float *x, const float *y, float *o,
                                int64_t n) {
  int64_t i = 0;
  for (; i + EW_BLOCK <= n; i += EW_BLOCK) {
    float t[EW_BLOCK];
    for (int k = 0; k < EW_BLOCK; k++) t[k] = f32_binary(op, x[i + k], y[i + k]);
    for (int k = 0; k < EW_BLOCK; k++) o[i + k] = t[k];
  }
  for (; i < n; i++) o[i] = f32_binary(op, x[i], y[i]);
}

/* o[i] = op(x[i], s), or op(s, x[i]) when the scalar is the left operand. */
EW_INLINE void binary_scalar_loop(ew_op op, const float *x, float s, int scalar_left,
                                  float *o, int64_t n) {
  int64_t i = 0;
  for (; i + EW_BLOCK <= n; i += EW_BLOCK) {
    float t[EW_BLOCK];
    if (scalar_left)
      for (int k = 0; k < EW_BLOCK; k++) t[k] = f32_binary(op, s, x[i + k]);
    else
      for (int k = 0; k < EW_BLOCK; k++) t[k] = f32_binary(op, x[i + k], s);
    for (int k = 0; k < EW_BLOCK; k++) o[i + k] = t[k];
  }
  for (; i < n; i++) o[i] = scalar_left ? f32_binary(op, s, x[i]) : f32_binary(op, x[i], s);
}

/* Same numel as the output: no axis of size > 1 is broadcast. */
static int is_full(const nc_tdesc *d, const nc_tdesc *o) { return nc_numel(d) == nc_numel(o); }

/* Does `s`, right-aligned to `o`, vary only over one run of consecutive axes
 * [p, q) where it matches `o`? Then o = [outer, mid, inner] and s = [mid]. */
static int blocked_split(const nc_tdesc *s, const nc_tdesc *o, int64_t *outer, int64_t *mid,
                         int64_t *inner) {
  int shift = o->ndim - s->ndim, p = -1, q = -1;
  if (shift < 0) return 0;
  for (int k = 0; k < s->ndim; k++)
    if (s->dims[k] != 1) {
      if (p < 0) p = k + shift;
      q = k + shift + 1;
    }
  if (p < 0) p = q = o->ndim;
  *outer = *mid = *inner = 1;
  for (int k = 0; k < o->ndim; k++) {
    int ks = k - shift;
    int64_t sd = ks >= 0 ? s->dims[ks] : 1;
    if (k >= p && k < q && sd != o->dims[k]) return 0;
    if (k < p) *outer *= o->dims[k];
    else if (k < q) *mid *= o->dims[k];
    else *inner *= o->dims[k];
  }
  return 1;
}

EW_INLINE void binary_bcast_loop(ew_op op, const float *full, const float *small,
                                 int small_left, float *o, int64_t outer, int64_t mid,
                                 int64_t inner) {
  for (int64_t io = 0; io < outer; io++) {
    const float *f = full + io * mid * inner;
    float *d = o + io * mid * inner;
    if (inner == 1) {
      if (small_left) binary_flat_loop(op, small, f, d, mid);
      else binary_flat_loop(op, f, small, d, mid);
    } else {
      for (int64_t m = 0; m < mid; m++)
        binary_scalar_loop(op, f + m * inner, small[m], small_left, d + m * inner, inner);
    }
  }
}

EW_INLINE void binary_flat_routine(ew_op op, const nc_args *a, const void *const *in,
                                   void *const *out) {
  binary_flat_loop(op, (const float *)in[0], (const float *)in[1], (float *)out[0],
                   nc_numel(&a->out[0]));
}

EW_INLINE void binary_scalar_routine(ew_op op, const nc_args *a, const void *const *in,
                                     void *const *out) {
  int left = !(nc_numel(&a->in[1]) == 1 && is_full(&a->in[0], &a->out[0]));
  const float *x = (const float *)in[left ? 1 : 0];
  float s = ((const float *)in[left ? 0 : 1])[0];
  binary_scalar_loop(op, x, s, left, (float *)out[0], nc_numel(&a->out[0]));
}

EW_INLINE void binary_bcast_routine(ew_op op, const nc_args *a, const void *const *in,
                                    void *const *out) {
  int64_t outer, mid, inner;
  int left = !(is_full(&a->in[0], &a->out[0]) &&
               blocked_split(&a->in[1], &a->out[0], &outer, &mid, &inner));
  if (left) blocked_split(&a->in[0], &a->out[0], &outer, &mid, &inner);
  binary_bcast_loop(op, (const float *)in[left ? 1 : 0], (const float *)in[left ? 0 : 1], left,
                    (float *)out[0], outer, mid, inner);
}

/* NHWC with a per-channel (and per-image) operand [N|1, C|1, 1, 1]: its
 * memory order is the same in NCHW and NHWC, so it is read as [N|1][C|1]
 * while the full operand runs channels-last. */
EW_INLINE void binary_nhwc_channel_routine(ew_op op, const nc_args *a, const void *const *in,
                                           void *const *out) {
  const nc_tdesc *o = &a->out[0];
  int left = !(nc_numel(&a->in[0]) == nc_numel(o) && a->in[0].ndim == 4);
  const nc_tdesc *sd = &a->in[left ? 0 : 1];
  const float *full = (const float *)in[left ? 1 : 0], *small = (const float *)in[left ? 0 : 1];
  int64_t n_img = o->dims[0], c = o->dims[1], hw = o->dims[2] * o->dims[3];
  int64_t s_c = sd->ndim >= 3 ? sd->dims[sd->ndim - 3] : 1, s_n = sd->ndim == 4 ? sd->dims[0] : 1;
  float *d = (float *)out[0];
  for (int64_t n = 0; n < n_img; n++) {
    const float *sp = small + (s_n > 1 ? n * s_c : 0);
    for (int64_t p = 0; p < hw; p++) {
      int64_t off = (n * hw + p) * c;
      if (s_c == 1) binary_scalar_loop(op, full + off, sp[0], left, d + off, c);
      else if (left) binary_flat_loop(op, sp, full + off, d + off, c);
      else binary_flat_loop(op, full + off, sp, d + off, c);
    }
  }
}

/* ---------------- applicability ---------------- */

static int two_inputs(const nc_args *a) {
  return a->n_in == 2 && a->n_out >= 1 && a->in[0].dtype == NC_F32 &&
         a->in[1].dtype == NC_F32 && a->out[0].dtype == NC_F32;
}

int nc_ew_applies_flat(const nc_args *a) {
  return two_inputs(a) && is_full(&a->in[0], &a->out[0]) && is_full(&a->in[1], &a->out[0]);
}

int nc_ew_applies_scalar(const nc_args *a) {
  if (!two_inputs(a)) return 0;
  return (nc_numel(&a->in[1]) == 1 && is_full(&a->in[0], &a->out[0])) ||
         (nc_numel(&a->in[0]) == 1 && is_full(&a->in[1], &a->out[0]));
}

int nc_ew_applies_bcast(const nc_args *a) {
  int64_t outer, mid, inner;
  if (!two_inputs(a)) return 0;
  return (is_full(&a->in[0], &a->out[0]) &&
          blocked_split(&a->in[1], &a->out[0], &outer, &mid, &inner)) ||
         (is_full(&a->in[1], &a->out[0]) &&
          blocked_split(&a->in[0], &a->out[0], &outer, &mid, &inner));
}

static int same_dims(const nc_tdesc *x, const nc_tdesc *y) {
  if (x->ndim != y->ndim) return 0;
  for (int k = 0; k < x->ndim; k++)
    if (x->dims[k] != y->dims[k]) return 0;
  return 1;
}

/* NHWC memory order only matters when operands differ in shape. */
int nc_ew_applies_nhwc_flat(const nc_args *a) {
  return two_inputs(a) && a->out[0].ndim == 4 && same_dims(&a->in[0], &a->out[0]) &&
         same_dims(&a->in[1], &a->out[0]);
}

/* Rank 4, one operand of the output's shape, the other [N|1, C|1, 1, 1]. */
int nc_ew_applies_nhwc_channel(const nc_args *a) {
  if (!two_inputs(a) || a->out[0].ndim != 4) return 0;
  const nc_tdesc *o = &a->out[0];
  int left = !same_dims(&a->in[0], o);
  if (left && !same_dims(&a->in[1], o)) return 0;
  const nc_tdesc *s = &a->in[left ? 0 : 1];
  if (s->ndim > 4) return 0;
  for (int k = 0; k < s->ndim; k++) {
    int ko = k + 4 - s->ndim;
    int64_t want = ko >= 2 ? 1 : o->dims[ko];
    if (s->dims[k] != 1 && s->dims[k] != want) return 0;
  }
  return 1;
}

int nc_ew_applies_nhwc_scalar(const nc_args *a) {
  return two_inputs(a) && a->out[0].ndim == 4 && same_dims(&a->in[0], &a->out[0]) &&
         a->in[1].ndim <= 4 && nc_numel(&a->in[1]) == 1;
}

/* ---------------- exported routines ---------------- */

#define EW_UNARY_FLAT(lname, OP)                          \
  NC_EW_ROUTINE(nc_##lname##_flat_f32_nchw_c99) {         \
    (void)scratch;                                        \
    unary_routine(OP, a, in, out);                        \
  }

#define EW_BINARY(lname, OP)                              \
  NC_EW_ROUTINE(nc_##lname##_flat_f32_nchw_c99) {         \
    (void)scratch;                                        \
    binary_flat_routine(OP, a, in, out);                  \
  }                                                       \
  NC_EW_ROUTINE(nc_##lname##_scalar_f32_nchw_c99) {       \
    (void)scratch;                                        \
    binary_scalar_routine(OP, a, in, out);                \
  }                                                       \
  NC_EW_ROUTINE(nc_##lname##_bcast_f32_nchw_c99) {        \
    (void)scratch;                                        \
    binary_bcast_routine(OP, a, in, out);                 \
  }                                                       \
  NC_EW_ROUTINE(nc_##lname##_channel_f32_nhwc_c99) {      \
    (void)scratch;                                        \
    binary_nhwc_channel_routine(OP, a, in, out);          \
  }

EW_UNARY_FLAT(abs, EW_ABS)
EW_UNARY_FLAT(neg, EW_NEG)
EW_UNARY_FLAT(exp, EW_EXP)
EW_UNARY_FLAT(log, EW_LOG)
EW_UNARY_FLAT(sqrt, EW_SQRT)
EW_UNARY_FLAT(sin, EW_SIN)
EW_UNARY_FLAT(cos, EW_COS)
EW_UNARY_FLAT(tan, EW_TAN)
EW_UNARY_FLAT(asin, EW_ASIN)
EW_UNARY_FLAT(acos, EW_ACOS)
EW_UNARY_FLAT(atan, EW_ATAN)
EW_UNARY_FLAT(sinh, EW_SINH)
EW_UNARY_FLAT(cosh, EW_COSH)
EW_UNARY_FLAT(asinh, EW_ASINH)
EW_UNARY_FLAT(acosh, EW_ACOSH)
EW_UNARY_FLAT(atanh, EW_ATANH)
EW_UNARY_FLAT(ceil, EW_CEIL)
EW_UNARY_FLAT(floor, EW_FLOOR)
EW_UNARY_FLAT(round, EW_ROUND)
EW_UNARY_FLAT(sign, EW_SIGN)
EW_UNARY_FLAT(reciprocal, EW_RECIPROCAL)
EW_UNARY_FLAT(erf, EW_ERF)
EW_UNARY_FLAT(relu, EW_RELU)
EW_UNARY_FLAT(leakyrelu, EW_LEAKYRELU)
EW_UNARY_FLAT(elu, EW_ELU)
EW_UNARY_FLAT(selu, EW_SELU)
EW_UNARY_FLAT(celu, EW_CELU)
EW_UNARY_FLAT(sigmoid, EW_SIGMOID)
EW_UNARY_FLAT(hardsigmoid, EW_HARDSIGMOID)
EW_UNARY_FLAT(hardswish, EW_HARDSWISH)
EW_UNARY_FLAT(softplus, EW_SOFTPLUS)
EW_UNARY_FLAT(softsign, EW_SOFTSIGN)
EW_UNARY_FLAT(tanh, EW_TANH)
EW_UNARY_FLAT(thresholdedrelu, EW_THRESHOLDEDRELU)
EW_UNARY_FLAT(shrink, EW_SHRINK)
EW_UNARY_FLAT(mish, EW_MISH)
EW_UNARY_FLAT(clip, EW_CLIP)

EW_BINARY(add, EW_ADD)
EW_BINARY(sub, EW_SUB)
EW_BINARY(mul, EW_MUL)
EW_BINARY(div, EW_DIV)
EW_BINARY(max, EW_MAX)
EW_BINARY(min, EW_MIN)
EW_BINARY(sum, EW_SUM)
