/* Reference routines of the elementwise family: every dtype, multidirectional
 * broadcasting, plain (NCHW) layout. One strided broadcast loop drives a
 * per-op scalar function over a small "value" type, so each op is written
 * once for floats (double), signed ints (int64) and unsigned ints / bool
 * (uint64). f16/bf16 are widened to float on load and rounded on store. */
#include <math.h>
#include <stdint.h>

#include "elementwise.h"

typedef enum ew_kind { EW_KF, EW_KS, EW_KU } ew_kind; /* float, signed, unsigned/bool */

typedef union ew_val {
  double f;
  int64_t i;
  uint64_t u;
} ew_val;

typedef struct ew_ctx {
  ew_op op;
  ew_kind kin[NC_EW_MAX_INPUTS]; /* kind of each routine input */
  ew_kind kout;
  int32_t out_dtype;
  const nc_args *a;
} ew_ctx;

typedef ew_val (*ew_scalar_fn)(const ew_val *v, int n, const ew_ctx *c);

/* ---------------- values: load, store, convert ---------------- */

static ew_kind kind_of(int32_t dt) {
  switch (dt) {
  case NC_F32: case NC_F64: case NC_F16: case NC_BF16: return EW_KF;
  case NC_S8: case NC_S16: case NC_S32: case NC_S64: return EW_KS;
  default: return EW_KU;
  }
}

static ew_val load(const void *p, int32_t dt, int64_t i) {
  ew_val v;
  switch (dt) {
  case NC_F32: v.f = ((const float *)p)[i]; break;
  case NC_F64: v.f = ((const double *)p)[i]; break;
  case NC_F16: v.f = nc_f16_to_f32(((const uint16_t *)p)[i]); break;
  case NC_BF16: v.f = nc_bf16_to_f32(((const uint16_t *)p)[i]); break;
  case NC_S8: v.i = ((const int8_t *)p)[i]; break;
  case NC_S16: v.i = ((const int16_t *)p)[i]; break;
  case NC_S32: v.i = ((const int32_t *)p)[i]; break;
  case NC_S64: v.i = ((const int64_t *)p)[i]; break;
  case NC_U8: v.u = ((const uint8_t *)p)[i]; break;
  case NC_U16: v.u = ((const uint16_t *)p)[i]; break;
  case NC_U32: v.u = ((const uint32_t *)p)[i]; break;
  case NC_U64: v.u = ((const uint64_t *)p)[i]; break;
  case NC_BOOL: v.u = ((const uint8_t *)p)[i] != 0; break;
  default: v.u = 0; break;
  }
  return v;
}

/* Narrow integer stores wrap (two's complement), as ONNX runtimes do. */
static void store(void *p, int32_t dt, int64_t i, ew_val v) {
  switch (dt) {
  case NC_F32: ((float *)p)[i] = (float)v.f; break;
  case NC_F64: ((double *)p)[i] = v.f; break;
  case NC_F16: ((uint16_t *)p)[i] = nc_f32_to_f16((float)v.f); break;
  case NC_BF16: ((uint16_t *)p)[i] = nc_f32_to_bf16((float)v.f); break;
  case NC_S8: ((int8_t *)p)[i] = (int8_t)v.i; break;
  case NC_S16: ((int16_t *)p)[i] = (int16_t)v.i; break;
  case NC_S32: ((int32_t *)p)[i] = (int32_t)v.i; break;
  case NC_S64: ((int64_t *)p)[i] = v.i; break;
  case NC_U8: ((uint8_t *)p)[i] = (uint8_t)v.u; break;
  case NC_U16: ((uint16_t *)p)[i] = (uint16_t)v.u; break;
  case NC_U32: ((uint32_t *)p)[i] = (uint32_t)v.u; break;
  case NC_U64: ((uint64_t *)p)[i] = v.u; break;
  case NC_BOOL: ((uint8_t *)p)[i] = v.u != 0; break;
  default: break;
  }
}

/* Float to int64 truncates like C, without C's undefined behaviour on NaN
 * and out-of-range values (those saturate; NaN gives 0). */
static int64_t f_to_s64(double x) {
  if (x != x) return 0;
  if (x >= 9223372036854775808.0) return INT64_MAX;
  if (x <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)x;
}

/* Negative floats wrap through int64, as a C cast via a wide signed type. */
static uint64_t f_to_u64(double x) {
  if (x != x) return 0;
  if (x < 0) return (uint64_t)f_to_s64(x);
  if (x >= 18446744073709551616.0) return UINT64_MAX;
  return (uint64_t)x;
}

static double as_f(ew_val v, ew_kind k) {
  return k == EW_KF ? v.f : k == EW_KS ? (double)v.i : (double)v.u;
}

static ew_val convert(ew_val v, ew_kind from, ew_kind to) {
  ew_val r;
  if (from == to) return v;
  switch (to) {
  case EW_KF: r.f = as_f(v, from); break;
  case EW_KS: r.i = from == EW_KF ? f_to_s64(v.f) : (int64_t)v.u; break;
  default: r.u = from == EW_KF ? f_to_u64(v.f) : (uint64_t)v.i; break;
  }
  return r;
}

static ew_val fv(double f) { ew_val v; v.f = f; return v; }
static ew_val iv(int64_t i) { ew_val v; v.i = i; return v; }
static ew_val uv(uint64_t u) { ew_val v; v.u = u; return v; }

/* Signed wrap-around arithmetic without undefined behaviour. */
static int64_t s_add(int64_t x, int64_t y) { return (int64_t)((uint64_t)x + (uint64_t)y); }
static int64_t s_sub(int64_t x, int64_t y) { return (int64_t)((uint64_t)x - (uint64_t)y); }
static int64_t s_mul(int64_t x, int64_t y) { return (int64_t)((uint64_t)x * (uint64_t)y); }
static int64_t s_neg(int64_t x) { return (int64_t)(0u - (uint64_t)x); }

static double fa_or(const ew_ctx *c, int idx, double dflt) {
  return idx < c->a->n_fa ? c->a->fa[idx] : dflt;
}
static int64_t ia_or(const ew_ctx *c, int idx, int64_t dflt) {
  return idx < c->a->n_ia ? c->a->ia[idx] : dflt;
}

/* ---------------- unary float math (double precision) ---------------- */

/* Round half to even, independent of the current rounding mode. */
static double round_half_even(double x) {
  double r = floor(x), d = x - r;
  if (d > 0.5 || (d == 0.5 && fmod(r, 2.0) != 0.0)) r += 1.0;
  return copysign(r, x); /* -0.4 -> -0, as numpy */
}

static double sigmoid_d(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

static double softplus_d(double x) {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double float_unary(ew_op op, double x, const ew_ctx *c) {
  switch (op) {
  case EW_ABS: return fabs(x);
  case EW_NEG: return -x;
  case EW_EXP: return exp(x);
  case EW_LOG: return log(x);
  case EW_SQRT: return sqrt(x);
  case EW_SIN: return sin(x);
  case EW_COS: return cos(x);
  case EW_TAN: return tan(x);
  case EW_ASIN: return asin(x);
  case EW_ACOS: return acos(x);
  case EW_ATAN: return atan(x);
  case EW_SINH: return sinh(x);
  case EW_COSH: return cosh(x);
  case EW_ASINH: return asinh(x);
  case EW_ACOSH: return acosh(x);
  case EW_ATANH: return atanh(x);
  case EW_CEIL: return ceil(x);
  case EW_FLOOR: return floor(x);
  case EW_ROUND: return round_half_even(x);
  case EW_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : x; /* keeps 0 and NaN */
  case EW_RECIPROCAL: return 1.0 / x;
  case EW_ERF: return erf(x);
  case EW_RELU: return x > 0 ? x : 0.0;
  case EW_LEAKYRELU: return x >= 0 ? x : x * fa_or(c, NC_LEAKYRELU_FA_ALPHA, 0.01);
  case EW_ELU: return x >= 0 ? x : fa_or(c, NC_ELU_FA_ALPHA, 1.0) * expm1(x);
  case EW_SELU: {
    double alpha = fa_or(c, NC_SELU_FA_ALPHA, 1.67326319217681884765625);
    double gamma = fa_or(c, NC_SELU_FA_GAMMA, 1.05070102214813232421875);
    return gamma * (x > 0 ? x : alpha * expm1(x));
  }
  case EW_CELU: {
    double alpha = fa_or(c, NC_CELU_FA_ALPHA, 1.0);
    return (x > 0 ? x : 0.0) + fmin(0.0, alpha * expm1(x / alpha));
  }
  case EW_SIGMOID: return sigmoid_d(x);
  case EW_HARDSIGMOID: {
    double y = fa_or(c, NC_HARDSIGMOID_FA_ALPHA, 0.2) * x + fa_or(c, NC_HARDSIGMOID_FA_BETA, 0.5);
    return y < 0 ? 0.0 : y > 1 ? 1.0 : y;
  }
  case EW_HARDSWISH: {
    double y = x / 6.0 + 0.5;
    return x * (y < 0 ? 0.0 : y > 1 ? 1.0 : y);
  }
  case EW_SOFTPLUS: return softplus_d(x);
  case EW_SOFTSIGN: return x / (1.0 + fabs(x));
  case EW_TANH: return tanh(x);
  case EW_THRESHOLDEDRELU: return x > fa_or(c, NC_THRESHOLDEDRELU_FA_ALPHA, 1.0) ? x : 0.0;
  case EW_SHRINK: {
    double bias = fa_or(c, NC_SHRINK_FA_BIAS, 0.0), lambd = fa_or(c, NC_SHRINK_FA_LAMBD, 0.5);
    return x < -lambd ? x + bias : x > lambd ? x - bias : 0.0;
  }
  case EW_MISH: return x * tanh(softplus_d(x));
  case EW_CLIP: {
    double lo = fa_or(c, NC_CLIP_FA_MIN, -INFINITY), hi = fa_or(c, NC_CLIP_FA_MAX, INFINITY);
    if (x != x) return x;
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
  }
  default: return x;
  }
}

/* Integer inputs: the ops ONNX defines on ints are computed natively;
 * Erf and Shrink (defined on ints too) go through double. */
static ew_val signed_unary(ew_op op, int64_t x, const ew_ctx *c) {
  switch (op) {
  case EW_ABS: return iv(x < 0 ? s_neg(x) : x);
  case EW_NEG: return iv(s_neg(x));
  case EW_SIGN: return iv(x > 0 ? 1 : x < 0 ? -1 : 0);
  case EW_RELU: return iv(x > 0 ? x : 0);
  case EW_CLIP: {
    int64_t lo = ia_or(c, NC_CLIP_IA_MIN, INT64_MIN), hi = ia_or(c, NC_CLIP_IA_MAX, INT64_MAX);
    x = x < lo ? lo : x;
    return iv(x > hi ? hi : x);
  }
  default: return iv(f_to_s64(float_unary(op, (double)x, c)));
  }
}

static ew_val unsigned_unary(ew_op op, uint64_t x, const ew_ctx *c) {
  switch (op) {
  case EW_ABS: case EW_RELU: return uv(x);
  case EW_NEG: return uv(0u - x);
  case EW_SIGN: return uv(x > 0);
  case EW_CLIP: {
    uint64_t lo = (uint64_t)ia_or(c, NC_CLIP_IA_MIN, 0);
    uint64_t hi = (uint64_t)ia_or(c, NC_CLIP_IA_MAX, (int64_t)UINT64_MAX);
    x = x < lo ? lo : x;
    return uv(x > hi ? hi : x);
  }
  default: return uv(f_to_u64(float_unary(op, (double)x, c)));
  }
}

/* ---------------- the generic loop ---------------- */

/* Strides of input `d` against output `o`: 0 along broadcast axes. */
static void bcast_strides(const nc_tdesc *d, const nc_tdesc *o, int64_t *st) {
  int64_t s = 1;
  for (int k = o->ndim - 1; k >= 0; k--) {
    int ki = k - (o->ndim - d->ndim);
    int64_t dim = ki >= 0 ? d->dims[ki] : 1;
    st[k] = dim == 1 ? 0 : s;
    s *= dim;
  }
}

/* out[i] = fn(in_0[j_0(i)], ..., in_{n-1}[j_{n-1}(i)]) with numpy broadcasting. */
static void run(const nc_args *a, const void *const *in, void *out, ew_scalar_fn fn,
                const ew_ctx *c) {
  const nc_tdesc *o = &a->out[0];
  int n = a->n_in < NC_EW_MAX_INPUTS ? a->n_in : NC_EW_MAX_INPUTS;
  int64_t st[NC_EW_MAX_INPUTS][NC_MAX_DIMS], off[NC_EW_MAX_INPUTS] = {0};
  int64_t idx[NC_MAX_DIMS] = {0};
  for (int k = 0; k < n; k++) bcast_strides(&a->in[k], o, st[k]);
  int64_t total = nc_numel(o);
  for (int64_t i = 0; i < total; i++) {
    ew_val v[NC_EW_MAX_INPUTS];
    for (int k = 0; k < n; k++) v[k] = load(in[k], a->in[k].dtype, off[k]);
    store(out, o->dtype, i, fn(v, n, c));
    for (int d = o->ndim - 1; d >= 0; d--) { /* odometer step */
      for (int k = 0; k < n; k++) off[k] += st[k][d];
      if (++idx[d] < o->dims[d]) break;
      for (int k = 0; k < n; k++) off[k] -= st[k][d] * o->dims[d];
      idx[d] = 0;
    }
  }
}

/* ---------------- per-op scalar functions ---------------- */

static ew_val unary_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n;
  switch (c->kin[0]) {
  case EW_KF: return fv(float_unary(c->op, v[0].f, c));
  case EW_KS: return signed_unary(c->op, v[0].i, c);
  default: return unsigned_unary(c->op, v[0].u, c);
  }
}

static ew_val isnan_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n; (void)c;
  return uv(v[0].f != v[0].f);
}

static ew_val isinf_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n;
  double x = v[0].f;
  int pos = ia_or(c, NC_ISINF_IA_DETECT_POSITIVE, 1) != 0;
  int neg = ia_or(c, NC_ISINF_IA_DETECT_NEGATIVE, 1) != 0;
  return uv(isinf(x) && ((x > 0 && pos) || (x < 0 && neg)));
}

static ew_val not_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n; (void)c;
  return uv(!v[0].u);
}

/* Cast to bool tests for non-zero (so 0.5 -> true); otherwise C conversion. */
static ew_val cast_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n;
  if (c->out_dtype == NC_BOOL)
    return uv(c->kin[0] == EW_KF ? v[0].f != 0.0 : v[0].u != 0);
  return convert(v[0], c->kin[0], c->kout);
}

/* -1, 0, 1 as x <, ==, > y; 2 when unordered (NaN). */
static int compare(ew_val x, ew_val y, ew_kind k) {
  switch (k) {
  case EW_KF:
    if (x.f != x.f || y.f != y.f) return 2;
    return x.f < y.f ? -1 : x.f > y.f;
  case EW_KS: return x.i < y.i ? -1 : x.i > y.i;
  default: return x.u < y.u ? -1 : x.u > y.u;
  }
}

static int is_nan(ew_val x, ew_kind k) { return k == EW_KF && x.f != x.f; }

/* Python-style remainder (sign of the divisor) from a C remainder. */
static int64_t s_mod_floor(int64_t x, int64_t y) {
  int64_t r = y == -1 ? 0 : x % y;
  return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
}

static ew_val mod_values(ew_val x, ew_val y, ew_kind k, int fmod_mode) {
  switch (k) {
  case EW_KF: {
    double r = fmod(x.f, y.f);
    if (!fmod_mode && r != 0 && ((r < 0) != (y.f < 0))) r += y.f;
    return fv(r);
  }
  case EW_KS:
    if (y.i == 0) return iv(0);
    if (fmod_mode) return iv(y.i == -1 ? 0 : x.i % y.i);
    return iv(s_mod_floor(x.i, y.i));
  default: return uv(y.u == 0 ? 0 : x.u % y.u);
  }
}

static ew_val div_values(ew_val x, ew_val y, ew_kind k) {
  switch (k) {
  case EW_KF: return fv(x.f / y.f);
  case EW_KS:
    if (y.i == 0) return iv(0); /* undefined in ONNX; avoid the trap */
    return iv(y.i == -1 ? s_neg(x.i) : x.i / y.i);
  default: return uv(y.u == 0 ? 0 : x.u / y.u);
  }
}

/* Two-operand arithmetic shared by the binary and variadic layers. */
static ew_val arith(ew_op op, ew_val x, ew_val y, ew_kind k, const ew_ctx *c) {
  switch (op) {
  case EW_ADD: case EW_SUM: case EW_MEAN:
    return k == EW_KF ? fv(x.f + y.f) : k == EW_KS ? iv(s_add(x.i, y.i)) : uv(x.u + y.u);
  case EW_SUB: return k == EW_KF ? fv(x.f - y.f) : k == EW_KS ? iv(s_sub(x.i, y.i)) : uv(x.u - y.u);
  case EW_MUL: return k == EW_KF ? fv(x.f * y.f) : k == EW_KS ? iv(s_mul(x.i, y.i)) : uv(x.u * y.u);
  case EW_DIV: return div_values(x, y, k);
  case EW_MOD: return mod_values(x, y, k, ia_or(c, NC_MOD_IA_FMOD, 0) != 0);
  case EW_MAX: case EW_MIN: {
    if (is_nan(x, k)) return x; /* NaN propagates, as numpy.maximum */
    if (is_nan(y, k)) return y;
    int cmp = compare(x, y, k);
    return (op == EW_MAX ? cmp >= 0 : cmp <= 0) ? x : y;
  }
  case EW_PRELU: {
    int neg = k == EW_KF ? x.f < 0 : k == EW_KS ? x.i < 0 : 0;
    return neg ? arith(EW_MUL, x, y, k, c) : x;
  }
  case EW_BITSHIFT: {
    uint64_t s = y.u;
    if (s >= 64) return uv(0);
    return uv(ia_or(c, NC_BITSHIFT_IA_DIRECTION, NC_BITSHIFT_LEFT) == NC_BITSHIFT_RIGHT
                  ? x.u >> s : x.u << s);
  }
  case EW_AND: return uv(x.u && y.u);
  case EW_OR: return uv(x.u || y.u);
  case EW_XOR: return uv((x.u != 0) != (y.u != 0));
  default: return x;
  }
}

static ew_val binary_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n;
  return arith(c->op, v[0], v[1], c->kin[0], c);
}

static ew_val compare_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n;
  int cmp = compare(v[0], v[1], c->kin[0]);
  switch (c->op) {
  case EW_EQUAL: return uv(cmp == 0);
  case EW_GREATER: return uv(cmp == 1);
  case EW_LESS: return uv(cmp == -1);
  case EW_GREATEROREQUAL: return uv(cmp == 0 || cmp == 1);
  default: return uv(cmp == 0 || cmp == -1); /* LessOrEqual */
  }
}

/* Integer power by squaring with wrap-around; negative exponents truncate
 * the fraction toward zero (so only |base| == 1 survives). */
static ew_val int_pow(ew_val b, ew_kind kb, ew_val e, ew_kind ke) {
  int neg_exp = ke == EW_KS && e.i < 0;
  uint64_t ex = ke == EW_KS ? (uint64_t)e.i : e.u;
  if (kb == EW_KS) {
    if (neg_exp) return iv(b.i == 1 ? 1 : b.i == -1 ? ((ex & 1) ? -1 : 1) : 0);
    int64_t r = 1, x = b.i;
    for (; ex; ex >>= 1, x = s_mul(x, x))
      if (ex & 1) r = s_mul(r, x);
    return iv(r);
  }
  if (neg_exp) return uv(b.u == 1);
  uint64_t r = 1, x = b.u;
  for (; ex; ex >>= 1, x *= x)
    if (ex & 1) r *= x;
  return uv(r);
}

/* Pow: base and exponent may differ in dtype; the result has the base's. */
static ew_val pow_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n;
  ew_kind kb = c->kin[0], ke = c->kin[1];
  if (kb != EW_KF && ke != EW_KF) return int_pow(v[0], kb, v[1], ke);
  return convert(fv(pow(as_f(v[0], kb), as_f(v[1], ke))), EW_KF, kb);
}

static ew_val variadic_fn(const ew_val *v, int n, const ew_ctx *c) {
  ew_val acc = v[0];
  for (int k = 1; k < n; k++) acc = arith(c->op, acc, v[k], c->kin[0], c);
  if (c->op == EW_MEAN) acc.f /= n; /* floats only */
  return acc;
}

static ew_val where_fn(const ew_val *v, int n, const ew_ctx *c) {
  (void)n; (void)c;
  return v[0].u ? v[1] : v[2];
}

static ew_scalar_fn scalar_fn_of(ew_op op) {
  if (op <= EW_CLIP) return unary_fn;
  switch (op) {
  case EW_ISNAN: return isnan_fn;
  case EW_ISINF: return isinf_fn;
  case EW_NOT: return not_fn;
  case EW_CAST: return cast_fn;
  case EW_POW: return pow_fn;
  case EW_EQUAL: case EW_GREATER: case EW_LESS: case EW_GREATEROREQUAL: case EW_LESSOREQUAL:
    return compare_fn;
  case EW_MAX: case EW_MIN: case EW_SUM: case EW_MEAN: return variadic_fn;
  case EW_WHERE: return where_fn;
  default: return binary_fn;
  }
}

void nc_ew_reference(ew_op op, const nc_args *a, const void *const *in, void *const *out) {
  if (a->n_out < 1 || !out[0] || a->out[0].dtype == 0) return;
  ew_ctx c;
  c.op = op;
  c.a = a;
  c.out_dtype = a->out[0].dtype;
  c.kout = kind_of(c.out_dtype);
  for (int k = 0; k < NC_EW_MAX_INPUTS; k++)
    c.kin[k] = k < a->n_in ? kind_of(a->in[k].dtype) : EW_KF;
  run(a, in, out[0], scalar_fn_of(op), &c);
}

/* ---------------- the routines, one per layer ---------------- */

#define EW_REF(lname, OP)                                 \
  NC_EW_ROUTINE(nc_##lname##_ref_any_nchw_c99) {          \
    (void)scratch;                                        \
    nc_ew_reference(OP, a, in, out);                      \
  }

EW_REF(abs, EW_ABS)
EW_REF(neg, EW_NEG)
EW_REF(exp, EW_EXP)
EW_REF(log, EW_LOG)
EW_REF(sqrt, EW_SQRT)
EW_REF(sin, EW_SIN)
EW_REF(cos, EW_COS)
EW_REF(tan, EW_TAN)
EW_REF(asin, EW_ASIN)
EW_REF(acos, EW_ACOS)
EW_REF(atan, EW_ATAN)
EW_REF(sinh, EW_SINH)
EW_REF(cosh, EW_COSH)
EW_REF(asinh, EW_ASINH)
EW_REF(acosh, EW_ACOSH)
EW_REF(atanh, EW_ATANH)
EW_REF(ceil, EW_CEIL)
EW_REF(floor, EW_FLOOR)
EW_REF(round, EW_ROUND)
EW_REF(sign, EW_SIGN)
EW_REF(reciprocal, EW_RECIPROCAL)
EW_REF(erf, EW_ERF)
EW_REF(relu, EW_RELU)
EW_REF(leakyrelu, EW_LEAKYRELU)
EW_REF(elu, EW_ELU)
EW_REF(selu, EW_SELU)
EW_REF(celu, EW_CELU)
EW_REF(sigmoid, EW_SIGMOID)
EW_REF(hardsigmoid, EW_HARDSIGMOID)
EW_REF(hardswish, EW_HARDSWISH)
EW_REF(softplus, EW_SOFTPLUS)
EW_REF(softsign, EW_SOFTSIGN)
EW_REF(tanh, EW_TANH)
EW_REF(thresholdedrelu, EW_THRESHOLDEDRELU)
EW_REF(shrink, EW_SHRINK)
EW_REF(mish, EW_MISH)
EW_REF(clip, EW_CLIP)
EW_REF(isnan, EW_ISNAN)
EW_REF(isinf, EW_ISINF)
EW_REF(not, EW_NOT)
EW_REF(cast, EW_CAST)
EW_REF(castlike, EW_CAST)
EW_REF(add, EW_ADD)
EW_REF(sub, EW_SUB)
EW_REF(mul, EW_MUL)
EW_REF(div, EW_DIV)
EW_REF(pow, EW_POW)
EW_REF(mod, EW_MOD)
EW_REF(bitshift, EW_BITSHIFT)
EW_REF(and, EW_AND)
EW_REF(or, EW_OR)
EW_REF(xor, EW_XOR)
EW_REF(equal, EW_EQUAL)
EW_REF(greater, EW_GREATER)
EW_REF(less, EW_LESS)
EW_REF(greaterorequal, EW_GREATEROREQUAL)
EW_REF(lessorequal, EW_LESSOREQUAL)
EW_REF(prelu, EW_PRELU)
EW_REF(max, EW_MAX)
EW_REF(min, EW_MIN)
EW_REF(sum, EW_SUM)
EW_REF(mean, EW_MEAN)
EW_REF(where, EW_WHERE)
