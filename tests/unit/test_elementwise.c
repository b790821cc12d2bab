/* Elementwise family: routines through the table on hand-computed cases,
 * every fast path / NHWC entry against the reference on random shapes, and
 * the lowering of hand-built graphs. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "neuroc/args.h"
#include "neuroc/routines.h"
#include "ops.h"

/* ---------------- helpers ---------------- */

static nc_tdesc td(int32_t dtype, int ndim, const int64_t *dims) {
  nc_tdesc d;
  memset(&d, 0, sizeof d);
  d.dtype = dtype;
  d.ndim = ndim;
  for (int i = 0; i < ndim; i++) d.dims[i] = dims[i];
  return d;
}
#define TD(dt, ...) td(dt, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})
#define TD0(dt) td(dt, 0, NULL)

static const nc_routine *find(const char *desc) {
  const nc_routine *r = nc_routine_find(desc);
  cr_assert(r != NULL, "routine %s not in the table", desc);
  return r;
}

static void call(const nc_routine *r, int n_in, const nc_tdesc *ind, const void *const *in,
                 const nc_tdesc *outd, void *out, const int64_t *ia, int n_ia, const double *fa,
                 int n_fa) {
  nc_args a = {n_in, 1, ind, outd, ia, fa, n_ia, n_fa};
  if (r->applies) cr_assert(r->applies(&a), "%s does not apply", r->descriptor);
  void *outs[1] = {out};
  r->fn(&a, in, outs, NULL);
}

/* Calls a reference routine (descriptor) with plain arguments. */
static void ref2(const char *desc, nc_tdesc a, const void *pa, nc_tdesc b, const void *pb,
                 nc_tdesc o, void *po, const int64_t *ia, int n_ia) {
  nc_tdesc ind[2] = {a, b};
  const void *in[2] = {pa, pb};
  call(find(desc), 2, ind, in, &o, po, ia, n_ia, NULL, 0);
}

static void ref1(const char *desc, nc_tdesc a, const void *pa, nc_tdesc o, void *po,
                 const int64_t *ia, int n_ia, const double *fa, int n_fa) {
  const void *in[1] = {pa};
  call(find(desc), 1, &a, in, &o, po, ia, n_ia, fa, n_fa);
}

/* ---------------- broadcasting (f32 Add via the reference) ---------------- */

Test(elementwise, add_broadcast_scalar_row_column) {
  float x[6] = {1, 2, 3, 4, 5, 6}, s = 10, row[3] = {100, 200, 300}, col[2] = {1000, 2000};
  float o[6];
  ref2("cpu:f32:nchw/add-ref/c99", TD(NC_F32, 2, 3), x, TD0(NC_F32), &s, TD(NC_F32, 2, 3), o,
       NULL, 0);
  for (int i = 0; i < 6; i++) cr_assert_eq(o[i], x[i] + 10);
  ref2("cpu:f32:nchw/add-ref/c99", TD(NC_F32, 2, 3), x, TD(NC_F32, 3), row, TD(NC_F32, 2, 3), o,
       NULL, 0);
  float exp_row[6] = {101, 202, 303, 104, 205, 306};
  cr_assert_arr_eq(o, exp_row, sizeof o);
  ref2("cpu:f32:nchw/sub-ref/c99", TD(NC_F32, 2, 1), col, TD(NC_F32, 2, 3), x,
       TD(NC_F32, 2, 3), o, NULL, 0);
  float exp_col[6] = {999, 998, 997, 1996, 1995, 1994};
  cr_assert_arr_eq(o, exp_col, sizeof o);
}

Test(elementwise, mul_broadcast_3d) {
  /* a [2,1,3] * b [1,2,1] -> [2,2,3]; out[i][j][k] = a[i][0][k] * b[0][j][0] */
  float a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {10, -1}, o[12];
  ref2("cpu:f32:nchw/mul-ref/c99", TD(NC_F32, 2, 1, 3), a, TD(NC_F32, 1, 2, 1), b,
       TD(NC_F32, 2, 2, 3), o, NULL, 0);
  float expect[12] = {10, 20, 30, -1, -2, -3, 40, 50, 60, -4, -5, -6};
  cr_assert_arr_eq(o, expect, sizeof o);
}

/* ---------------- dtype classes ---------------- */

Test(elementwise, integer_add_wraps_and_s64_is_exact) {
  int8_t a8[2] = {100, -100}, b8[2] = {100, -100}, o8[2];
  ref2("cpu:s8:nchw/add-ref/c99", TD(NC_S8, 2), a8, TD(NC_S8, 2), b8, TD(NC_S8, 2), o8, NULL, 0);
  cr_assert_eq(o8[0], -56);
  cr_assert_eq(o8[1], 56);
  uint8_t u[2] = {200, 3}, v[2] = {100, 5}, ou[2];
  ref2("cpu:u8:nchw/sub-ref/c99", TD(NC_U8, 2), u, TD(NC_U8, 2), v, TD(NC_U8, 2), ou, NULL, 0);
  cr_assert_eq(ou[0], 100);
  cr_assert_eq(ou[1], 254);
  /* 2^53 + 1 is not a double: an int64 path must keep it. */
  int64_t s[1] = {9007199254740993LL}, one[1] = {1}, os[1];
  ref2("cpu:s64:nchw/add-ref/c99", TD(NC_S64, 1), s, TD(NC_S64, 1), one, TD(NC_S64, 1), os,
       NULL, 0);
  cr_assert_eq(os[0], 9007199254740994LL);
  uint64_t big[1] = {UINT64_MAX - 5}, three[1] = {3}, ob[1];
  ref2("cpu:u64:nchw/add-ref/c99", TD(NC_U64, 1), big, TD(NC_U64, 1), three, TD(NC_U64, 1), ob,
       NULL, 0);
  cr_assert_eq(ob[0], UINT64_MAX - 2);
}

Test(elementwise, integer_division_truncates) {
  int32_t a[4] = {-7, 7, -7, 7}, b[4] = {2, -2, -2, 2}, o[4];
  ref2("cpu:s32:nchw/div-ref/c99", TD(NC_S32, 4), a, TD(NC_S32, 4), b, TD(NC_S32, 4), o, NULL, 0);
  int32_t expect[4] = {-3, -3, 3, 3};
  cr_assert_arr_eq(o, expect, sizeof o);
}

Test(elementwise, half_and_double_types) {
  uint16_t h[2] = {0x3E00 /* 1.5 */, 0x4080 /* 2.25 */}, oh[1];
  ref2("cpu:f16:nchw/add-ref/c99", TD(NC_F16, 1), &h[0], TD(NC_F16, 1), &h[1], TD(NC_F16, 1), oh,
       NULL, 0);
  cr_assert_eq(oh[0], 0x4380); /* 3.75 */
  uint16_t bf[2] = {0x3FC0 /* 1.5 */, 0x4010 /* 2.25 */}, ob[1];
  ref2("cpu:bf16:nchw/mul-ref/c99", TD(NC_BF16, 1), &bf[0], TD(NC_BF16, 1), &bf[1],
       TD(NC_BF16, 1), ob, NULL, 0);
  cr_assert_eq(ob[0], 0x4058); /* 3.375 */
  double d[2] = {0.1, 0.2}, od[1];
  ref2("cpu:f64:nchw/add-ref/c99", TD(NC_F64, 1), &d[0], TD(NC_F64, 1), &d[1], TD(NC_F64, 1), od,
       NULL, 0);
  cr_assert_eq(od[0], 0.1 + 0.2);
}

Test(elementwise, mod_sign_rules) {
  int32_t a[4] = {-7, 7, -7, 7}, b[4] = {3, -3, -3, 3}, o[4];
  int64_t python[1] = {0}, cstyle[1] = {1};
  ref2("cpu:s32:nchw/mod-ref/c99", TD(NC_S32, 4), a, TD(NC_S32, 4), b, TD(NC_S32, 4), o, python, 1);
  int32_t exp_py[4] = {2, -2, -1, 1}; /* sign of the divisor */
  cr_assert_arr_eq(o, exp_py, sizeof o);
  ref2("cpu:s32:nchw/mod-ref/c99", TD(NC_S32, 4), a, TD(NC_S32, 4), b, TD(NC_S32, 4), o, cstyle, 1);
  int32_t exp_c[4] = {-1, 1, -1, 1}; /* sign of the dividend */
  cr_assert_arr_eq(o, exp_c, sizeof o);
  float fx[2] = {-7.5f, 7.5f}, fy[2] = {2.0f, -2.0f}, fo[2];
  ref2("cpu:f32:nchw/mod-ref/c99", TD(NC_F32, 2), fx, TD(NC_F32, 2), fy, TD(NC_F32, 2), fo, cstyle, 1);
  cr_assert_eq(fo[0], -1.5f);
  cr_assert_eq(fo[1], 1.5f);
}

Test(elementwise, round_half_to_even) {
  float x[9] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4f, 2.6f, -3.7f};
  float expect[9] = {0, 2, 2, -0.0f, -2, -2, 2, 3, -4};
  float o[9];
  ref1("cpu:f32:nchw/round-ref/c99", TD(NC_F32, 9), x, TD(NC_F32, 9), o, NULL, 0, NULL, 0);
  cr_assert_arr_eq(o, expect, sizeof o);
  ref1("cpu:f32:nchw/round-flat/c99", TD(NC_F32, 9), x, TD(NC_F32, 9), o, NULL, 0, NULL, 0);
  cr_assert_arr_eq(o, expect, sizeof o);
  double xd[3] = {4.5, 5.5, -4.5}, od[3];
  ref1("cpu:f64:nchw/round-ref/c99", TD(NC_F64, 3), xd, TD(NC_F64, 3), od, NULL, 0, NULL, 0);
  cr_assert(od[0] == 4.0 && od[1] == 6.0 && od[2] == -4.0);
}

/* ---------------- Cast ---------------- */

Test(elementwise, cast_f32_f16_roundtrip) {
  float x[4] = {1.0f, 65504.0f, -2.0f, 0.1f};
  uint16_t h[4];
  ref1("cpu:f32:nchw/cast-ref/c99", TD(NC_F32, 4), x, TD(NC_F16, 4), h, NULL, 0, NULL, 0);
  uint16_t expect[4] = {0x3C00, 0x7BFF, 0xC000, 0x2E66};
  cr_assert_arr_eq(h, expect, sizeof h);
  float back[4];
  ref1("cpu:f16:nchw/cast-ref/c99", TD(NC_F16, 4), h, TD(NC_F32, 4), back, NULL, 0, NULL, 0);
  cr_assert(back[0] == 1.0f && back[1] == 65504.0f && back[2] == -2.0f);
  cr_assert(fabsf(back[3] - 0.1f) < 1e-4f);
}

Test(elementwise, cast_f32_s64_truncates_and_bool) {
  float x[5] = {2.7f, -2.7f, 0.0f, 0.5f, -1e10f};
  int64_t s[5];
  ref1("cpu:f32:nchw/cast-ref/c99", TD(NC_F32, 5), x, TD(NC_S64, 5), s, NULL, 0, NULL, 0);
  int64_t exp_s[5] = {2, -2, 0, 0, -10000000000LL};
  cr_assert_arr_eq(s, exp_s, sizeof s);
  uint8_t b[5];
  ref1("cpu:f32:nchw/cast-ref/c99", TD(NC_F32, 5), x, TD(NC_BOOL, 5), b, NULL, 0, NULL, 0);
  uint8_t exp_b[5] = {1, 1, 0, 1, 1};
  cr_assert_arr_eq(b, exp_b, sizeof b);
  float f[5];
  ref1("cpu:bool:nchw/cast-ref/c99", TD(NC_BOOL, 5), b, TD(NC_F32, 5), f, NULL, 0, NULL, 0);
  for (int i = 0; i < 5; i++) cr_assert_eq(f[i], (float)exp_b[i]);
  int64_t big[1] = {-3}, o8[1];
  uint8_t u8[1];
  ref1("cpu:s64:nchw/cast-ref/c99", TD(NC_S64, 1), big, TD(NC_U8, 1), u8, NULL, 0, NULL, 0);
  cr_assert_eq(u8[0], 253);
  ref1("cpu:s64:nchw/castlike-ref/c99", TD(NC_S64, 1), big, TD(NC_S64, 1), o8, NULL, 0, NULL, 0);
  cr_assert_eq(o8[0], -3);
}

/* ---------------- Where, comparisons, logic ---------------- */

Test(elementwise, where_broadcasts_three_inputs) {
  uint8_t c[2] = {1, 0};            /* [2,1] */
  int32_t x[3] = {1, 2, 3}, y = -9; /* [1,3], scalar */
  int32_t o[6];
  nc_tdesc ind[3] = {TD(NC_BOOL, 2, 1), TD(NC_S32, 1, 3), TD0(NC_S32)};
  const void *in[3] = {c, x, &y};
  nc_tdesc od = TD(NC_S32, 2, 3);
  call(find("cpu:bool:nchw/where-ref/c99"), 3, ind, in, &od, o, NULL, 0, NULL, 0);
  int32_t expect[6] = {1, 2, 3, -9, -9, -9};
  cr_assert_arr_eq(o, expect, sizeof o);
}

Test(elementwise, comparisons_and_nan) {
  float a[4] = {1, 2, NAN, 3}, b[4] = {2, 2, 1, NAN};
  uint8_t o[4];
  ref2("cpu:f32:nchw/greater-ref/c99", TD(NC_F32, 4), a, TD(NC_F32, 4), b, TD(NC_BOOL, 4), o, NULL, 0);
  uint8_t gt[4] = {0, 0, 0, 0};
  cr_assert_arr_eq(o, gt, 4);
  ref2("cpu:f32:nchw/lessorequal-ref/c99", TD(NC_F32, 4), a, TD(NC_F32, 4), b, TD(NC_BOOL, 4), o,
       NULL, 0);
  uint8_t le[4] = {1, 1, 0, 0};
  cr_assert_arr_eq(o, le, 4);
  int64_t p[2] = {INT64_MAX, -1}, q[2] = {INT64_MAX - 1, -1};
  ref2("cpu:s64:nchw/equal-ref/c99", TD(NC_S64, 2), p, TD(NC_S64, 2), q, TD(NC_BOOL, 2), o, NULL, 0);
  cr_assert(o[0] == 0 && o[1] == 1);
  uint8_t t[4] = {0, 0, 1, 1}, u[4] = {0, 1, 0, 1};
  ref2("cpu:bool:nchw/xor-ref/c99", TD(NC_BOOL, 4), t, TD(NC_BOOL, 4), u, TD(NC_BOOL, 4), o, NULL, 0);
  uint8_t x[4] = {0, 1, 1, 0};
  cr_assert_arr_eq(o, x, 4);
}

/* ---------------- Pow, BitShift, Clip, variadic, predicates ---------------- */

Test(elementwise, pow_mixed_dtypes) {
  int32_t base[3] = {1, 2, 3};
  float ef[3] = {4, 5, 6};
  int32_t o[3];
  ref2("cpu:s32:nchw/pow-ref/c99", TD(NC_S32, 3), base, TD(NC_F32, 3), ef, TD(NC_S32, 3), o, NULL, 0);
  int32_t expect[3] = {1, 32, 729};
  cr_assert_arr_eq(o, expect, sizeof o);
  int64_t b64[2] = {3, 2}, e64[2] = {39, -1}, o64[2];
  ref2("cpu:s64:nchw/pow-ref/c99", TD(NC_S64, 2), b64, TD(NC_S64, 2), e64, TD(NC_S64, 2), o64, NULL, 0);
  cr_assert_eq(o64[0], 4052555153018976267LL); /* 3^39, beyond double precision */
  cr_assert_eq(o64[1], 0);
  float fb[2] = {2, 9};
  int64_t fe[2] = {-1, 2};
  float fo[2];
  ref2("cpu:f32:nchw/pow-ref/c99", TD(NC_F32, 2), fb, TD(NC_S64, 2), fe, TD(NC_F32, 2), fo, NULL, 0);
  cr_assert(fo[0] == 0.5f && fo[1] == 81.0f);
}

Test(elementwise, bitshift_unsigned) {
  uint8_t x[3] = {16, 4, 1}, s[3] = {1, 2, 8}, o[3];
  int64_t left[1] = {NC_BITSHIFT_LEFT}, right[1] = {NC_BITSHIFT_RIGHT};
  ref2("cpu:u8:nchw/bitshift-ref/c99", TD(NC_U8, 3), x, TD(NC_U8, 3), s, TD(NC_U8, 3), o, right, 1);
  cr_assert(o[0] == 8 && o[1] == 1 && o[2] == 0);
  ref2("cpu:u8:nchw/bitshift-ref/c99", TD(NC_U8, 3), x, TD(NC_U8, 3), s, TD(NC_U8, 3), o, left, 1);
  cr_assert(o[0] == 32 && o[1] == 16 && o[2] == 0);
}

Test(elementwise, clip_float_and_int) {
  float x[4] = {-2, 0.25f, 3, NAN}, o[4];
  double fa[2] = {-1, 1};
  ref1("cpu:f32:nchw/clip-ref/c99", TD(NC_F32, 4), x, TD(NC_F32, 4), o, NULL, 0, fa, 2);
  cr_assert(o[0] == -1 && o[1] == 0.25f && o[2] == 1 && isnan(o[3]));
  int16_t s[3] = {-300, 5, 300}, os[3];
  int64_t ia[2] = {-10, 10};
  ref1("cpu:s16:nchw/clip-ref/c99", TD(NC_S16, 3), s, TD(NC_S16, 3), os, ia, 2, NULL, 0);
  cr_assert(os[0] == -10 && os[1] == 5 && os[2] == 10);
}

Test(elementwise, variadic_max_mean) {
  float a[2] = {1, 5}, b = 3, c[4] = {0, 9, 2, -1}; /* [2], [], [2,2] */
  float o[4];
  nc_tdesc ind[3] = {TD(NC_F32, 2), TD0(NC_F32), TD(NC_F32, 2, 2)};
  const void *in[3] = {a, &b, c};
  nc_tdesc od = TD(NC_F32, 2, 2);
  call(find("cpu:f32:nchw/max-ref/c99"), 3, ind, in, &od, o, NULL, 0, NULL, 0);
  float exp_max[4] = {3, 9, 3, 5};
  cr_assert_arr_eq(o, exp_max, sizeof o);
  call(find("cpu:f32:nchw/mean-ref/c99"), 3, ind, in, &od, o, NULL, 0, NULL, 0);
  float exp_mean[4] = {4.0f / 3, 17.0f / 3, 6.0f / 3, 7.0f / 3};
  for (int i = 0; i < 4; i++) cr_assert_float_eq(o[i], exp_mean[i], 1e-6);
  uint32_t u[2] = {7, 4000000000u}, v[2] = {9, 1}, ou[2];
  ref2("cpu:u32:nchw/min-ref/c99", TD(NC_U32, 2), u, TD(NC_U32, 2), v, TD(NC_U32, 2), ou, NULL, 0);
  cr_assert(ou[0] == 7 && ou[1] == 1);
}

Test(elementwise, isinf_isnan_not) {
  float x[4] = {INFINITY, -INFINITY, NAN, 1};
  uint8_t o[4];
  int64_t only_neg[2] = {0, 1};
  ref1("cpu:f32:nchw/isinf-ref/c99", TD(NC_F32, 4), x, TD(NC_BOOL, 4), o, only_neg, 2, NULL, 0);
  uint8_t e1[4] = {0, 1, 0, 0};
  cr_assert_arr_eq(o, e1, 4);
  ref1("cpu:f32:nchw/isnan-ref/c99", TD(NC_F32, 4), x, TD(NC_BOOL, 4), o, NULL, 0, NULL, 0);
  uint8_t e2[4] = {0, 0, 1, 0};
  cr_assert_arr_eq(o, e2, 4);
  uint8_t b[2] = {0, 1}, nb[2];
  ref1("cpu:bool:nchw/not-ref/c99", TD(NC_BOOL, 2), b, TD(NC_BOOL, 2), nb, NULL, 0, NULL, 0);
  cr_assert(nb[0] == 1 && nb[1] == 0);
}

Test(elementwise, activation_values) {
  float x[3] = {-3, 0, 3}, o[3];
  ref1("cpu:f32:nchw/hardswish-ref/c99", TD(NC_F32, 3), x, TD(NC_F32, 3), o, NULL, 0, NULL, 0);
  cr_assert(o[0] == 0 && o[1] == 0 && o[2] == 3);
  ref1("cpu:f32:nchw/sigmoid-ref/c99", TD(NC_F32, 3), x, TD(NC_F32, 3), o, NULL, 0, NULL, 0);
  cr_assert_float_eq(o[0], 0.04742587317756678, 1e-7);
  cr_assert_eq(o[1], 0.5f);
  double alpha[1] = {0.1};
  ref1("cpu:f32:nchw/leakyrelu-ref/c99", TD(NC_F32, 3), x, TD(NC_F32, 3), o, NULL, 0, alpha, 1);
  cr_assert_float_eq(o[0], -0.3f, 1e-7);
  cr_assert_eq(o[2], 3.0f);
  ref1("cpu:f32:nchw/softplus-ref/c99", TD(NC_F32, 3), x, TD(NC_F32, 3), o, NULL, 0, NULL, 0);
  cr_assert_float_eq(o[1], 0.6931471805599453, 1e-7);
  double shrink[2] = {1.5, 1.0}; /* bias, lambd */
  ref1("cpu:f32:nchw/shrink-ref/c99", TD(NC_F32, 3), x, TD(NC_F32, 3), o, NULL, 0, shrink, 2);
  cr_assert(o[0] == -1.5f && o[1] == 0 && o[2] == 1.5f);
  int32_t xi[3] = {-5, 0, 7}, oi[3];
  ref1("cpu:s32:nchw/relu-ref/c99", TD(NC_S32, 3), xi, TD(NC_S32, 3), oi, NULL, 0, NULL, 0);
  cr_assert(oi[0] == 0 && oi[1] == 0 && oi[2] == 7);
}

Test(elementwise, prelu_channel_slope) {
  float x[8] = {-1, 2, -3, 4, -5, 6, -7, 8}; /* [1,2,2,2] */
  float slope[2] = {0.5f, -1};              /* [2,1,1] */
  float o[8];
  ref2("cpu:f32:nchw/prelu-ref/c99", TD(NC_F32, 1, 2, 2, 2), x, TD(NC_F32, 2, 1, 1), slope,
       TD(NC_F32, 1, 2, 2, 2), o, NULL, 0);
  float expect[8] = {-0.5f, 2, -1.5f, 4, 5, 6, 7, 8};
  cr_assert_arr_eq(o, expect, sizeof o);
}

/* ---------------- fast paths vs reference ---------------- */

static const nc_routine *reference_for(const char *layer) {
  const nc_routine *t = nc_routine_table();
  for (int i = 0; i < nc_routine_count(); i++)
    if ((t[i].flags & NC_RF_REFERENCE) && strcmp(t[i].layer, layer) == 0) return &t[i];
  return NULL;
}

static int is_elementwise_layer(const char *layer) {
  for (const nc_op_def *d = nc_ops_elementwise; d->op; d++)
    if (strcmp(d->op, layer) == 0) return 1;
  return 0;
}

static unsigned rng_state = 12345u;
static float rnd(void) {
  rng_state = rng_state * 1103515245u + 12345u;
  return ((float)((rng_state >> 8) & 0xffff) / 65535.0f) * 6.0f - 3.0f;
}

static int close_enough(float got, float want) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return fabsf(got - want) <= 1e-5f + 1e-5f * fabsf(want);
}

/* Shape pairs covering same-shape, scalar (either side), per-channel and
 * per-row operands, both ranks 4 (NHWC) and others. */
typedef struct shape_case {
  nc_tdesc a, b, o;
} shape_case;

static int make_cases(shape_case *c) {
  int n = 0;
  int64_t four[4] = {2, 3, 4, 5};
  c[n++] = (shape_case){TD(NC_F32, 2, 3, 4, 5), TD(NC_F32, 2, 3, 4, 5), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 2, 3, 4, 5), TD0(NC_F32), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 2, 3, 4, 5), TD(NC_F32, 1, 1, 1, 1), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 1), TD(NC_F32, 2, 3, 4, 5), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 2, 3, 4, 5), TD(NC_F32, 3, 1, 1), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 1, 3, 1, 1), TD(NC_F32, 2, 3, 4, 5), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 2, 3, 4, 5), TD(NC_F32, 2, 3, 1, 1), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 2, 1, 1, 1), TD(NC_F32, 2, 3, 4, 5), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 2, 3, 4, 5), TD(NC_F32, 5), td(NC_F32, 4, four)};
  c[n++] = (shape_case){TD(NC_F32, 7, 37), TD(NC_F32, 7, 37), TD(NC_F32, 7, 37)};
  c[n++] = (shape_case){TD(NC_F32, 7, 37), TD(NC_F32, 7, 1), TD(NC_F32, 7, 37)};
  c[n++] = (shape_case){TD(NC_F32, 3, 4, 33), TD(NC_F32, 4, 1), TD(NC_F32, 3, 4, 33)};
  c[n++] = (shape_case){TD0(NC_F32), TD0(NC_F32), TD0(NC_F32)};
  return n;
}

#define MAXN 1024

/* NCHW <-> NHWC copy of a rank-4 tensor (others are copied as they are). */
static void relayout(const nc_tdesc *d, const float *src, float *dst, int to_nhwc) {
  int64_t n = nc_numel(d);
  if (d->ndim != 4) {
    memcpy(dst, src, sizeof(float) * (size_t)n);
    return;
  }
  int64_t N = d->dims[0], C = d->dims[1], HW = d->dims[2] * d->dims[3];
  for (int64_t b = 0; b < N; b++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t p = 0; p < HW; p++) {
        int64_t nchw = (b * C + c) * HW + p, nhwc = (b * HW + p) * C + c;
        if (to_nhwc) dst[nhwc] = src[nchw];
        else dst[nchw] = src[nhwc];
      }
}

/* Runs `r` and the layer's reference on one case; returns 0 if r does not apply. */
static int compare_on(const nc_routine *r, const nc_routine *ref, const shape_case *sc,
                      int unary) {
  static float a[MAXN], b[MAXN], got[MAXN], want[MAXN], la[MAXN], lb[MAXN], lo[MAXN];
  double fa[2] = {0.3, 0.7};
  nc_tdesc ind[2] = {unary ? sc->o : sc->a, sc->b};
  nc_tdesc od = sc->o;
  nc_args args = {unary ? 1 : 2, 1, ind, &od, NULL, fa, 0, 2};
  if (r->applies && !r->applies(&args)) return 0;
  if (r->in_layout == NC_LAYOUT_NHWC && od.ndim != 4) return 0;
  int64_t na = nc_numel(&ind[0]), nb = nc_numel(&ind[1]), no = nc_numel(&od);
  for (int64_t i = 0; i < na; i++) a[i] = rnd();
  for (int64_t i = 0; i < nb; i++) b[i] = rnd();
  const void *in[2] = {a, b};
  void *o_ref[1] = {want}, *o_r[1] = {got};
  ref->fn(&args, in, o_ref, NULL);
  if (r->in_layout == NC_LAYOUT_NHWC) { /* feed it channels-last data */
    relayout(&ind[0], a, la, 1);
    relayout(&ind[1], b, lb, 1);
    const void *lin[2] = {la, lb};
    void *lout[1] = {lo};
    r->fn(&args, lin, lout, NULL);
    relayout(&od, lo, got, 0);
  } else {
    r->fn(&args, in, o_r, NULL);
  }
  for (int64_t i = 0; i < no; i++)
    cr_assert(close_enough(got[i], want[i]), "%s: element %lld: got %.9g, reference %.9g (x=%g)",
              r->descriptor, (long long)i, got[i], want[i], a[i]);
  if (unary && (r->flags & NC_RF_INPLACE) && r->in_layout == NC_LAYOUT_NCHW) { /* out == in[0] */
    memcpy(got, a, sizeof(float) * (size_t)na);
    const void *in_place[1] = {got};
    r->fn(&args, in_place, o_r, NULL);
    for (int64_t i = 0; i < no; i++)
      cr_assert(close_enough(got[i], want[i]), "%s in place: element %lld", r->descriptor,
                (long long)i);
  }
  return 1;
}

Test(elementwise, every_fast_path_matches_reference) {
  shape_case cases[16];
  int n_cases = make_cases(cases), checked = 0;
  const nc_routine *t = nc_routine_table();
  for (int i = 0; i < nc_routine_count(); i++) {
    const nc_routine *r = &t[i];
    if ((r->flags & NC_RF_REFERENCE) || !is_elementwise_layer(r->layer)) continue;
    if (r->in_q != NC_Q_NONE) continue; /* quantized storage: test_int8.c */
    /* blocked-layout routines are forced against the reference in test_x86_blocked.c */
    if (r->in_layout == NC_LAYOUT_NCHW8C || r->in_layout == NC_LAYOUT_NCHW16C) continue;
    const nc_routine *ref = reference_for(r->layer);
    cr_assert(ref != NULL, "no reference for %s", r->layer);
    cr_assert(ref->dtypes & NC_DT(NC_F32));
    const nc_op_def *def = nc_op_find(r->layer);
    int unary = def->max_in == 1 || strcmp(r->layer, "Clip") == 0;
    int applied = 0;
    for (int k = 0; k < n_cases; k++) applied += compare_on(r, ref, &cases[k], unary);
    cr_assert(applied > 0, "%s applied to none of the test shapes", r->descriptor);
    checked++;
  }
  cr_assert_geq(checked, 37 * 2 + 7 * 6, "only %d fast routines checked", checked);
}

Test(elementwise, table_entries_are_consistent) {
  const nc_routine *t = nc_routine_table();
  for (const nc_op_def *d = nc_ops_elementwise; d->op; d++)
    cr_assert(reference_for(d->op) != NULL, "layer %s has no reference routine", d->op);
  for (int i = 0; i < nc_routine_count(); i++) {
    if (!is_elementwise_layer(t[i].layer)) continue;
    cr_assert(strncmp(t[i].symbol, "nc_", 3) == 0 && t[i].fn != NULL, "%s", t[i].descriptor);
    cr_assert(nc_routine_find(t[i].descriptor) != NULL || strstr(t[i].descriptor, ":*:"));
  }
}

/* ---------------- lowering ---------------- */

static int add_input(nc_graph *g, const char *name, nc_tdesc d) {
  int t = nc_graph_tensor(g, name);
  g->tensors[t].desc = d;
  g->tensors[t].is_input = 1;
  return t;
}

static nc_node *make_node(nc_graph *g, const char *name, const char *op, const int *in, int n_in) {
  int y = nc_graph_tensor(g, "y");
  int idx = nc_graph_add_node(g, name, op, "");
  nc_node_set_io(&g->nodes[idx], in, n_in, &y, 1);
  return &g->nodes[idx];
}

Test(elementwise_lower, add_broadcast_shape) {
  nc_err_clear();
  nc_graph *g = nc_graph_new("m.onnx");
  int in[2] = {add_input(g, "a", TD(NC_F32, 2, 1, 3)), add_input(g, "b", TD(NC_F32, 4, 1))};
  nc_node *n = make_node(g, "add0", "Add", in, 2);
  cr_assert_eq(nc_op_find("Add")->lower(g, n), 0, "%s", nc_err_msg());
  nc_tdesc *o = &nc_out(g, n, 0)->desc;
  cr_assert(o->dtype == NC_F32 && o->ndim == 3);
  cr_assert(o->dims[0] == 2 && o->dims[1] == 4 && o->dims[2] == 3);
  nc_graph_free(g);
}

Test(elementwise_lower, bad_broadcast_names_node) {
  nc_err_clear();
  nc_graph *g = nc_graph_new("m.onnx");
  int in[2] = {add_input(g, "a", TD(NC_F32, 2, 3)), add_input(g, "b", TD(NC_F32, 4))};
  nc_node *n = make_node(g, "my_add", "Add", in, 2);
  cr_assert_eq(nc_op_find("Add")->lower(g, n), -1);
  cr_assert(strstr(nc_err_msg(), "my_add") != NULL, "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "broadcast") != NULL, "%s", nc_err_msg());
  nc_graph_free(g);
}

Test(elementwise_lower, comparison_gives_bool_and_dtype_mismatch_fails) {
  nc_err_clear();
  nc_graph *g = nc_graph_new("m.onnx");
  int in[2] = {add_input(g, "a", TD(NC_S32, 3)), add_input(g, "b", TD0(NC_S32))};
  nc_node *n = make_node(g, "gt", "Greater", in, 2);
  cr_assert_eq(nc_op_find("Greater")->lower(g, n), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_out(g, n, 0)->desc.dtype, NC_BOOL);
  int in2[2] = {in[0], add_input(g, "c", TD(NC_F32, 3))};
  nc_node *m = make_node(g, "mix", "Sub", in2, 2);
  cr_assert_eq(nc_op_find("Sub")->lower(g, m), -1);
  cr_assert(strstr(nc_err_msg(), "mix") && strstr(nc_err_msg(), "same dtype"), "%s", nc_err_msg());
  nc_graph_free(g);
}

Test(elementwise_lower, clip_reads_constant_bounds) {
  nc_err_clear();
  nc_graph *g = nc_graph_new("m.onnx");
  g->opset = 13;
  int x = add_input(g, "x", TD(NC_F32, 2, 2));
  int lo = nc_graph_tensor(g, "lo");
  static float lo_val = -0.5f;
  g->tensors[lo].desc = TD0(NC_F32);
  g->tensors[lo].data = malloc(sizeof(float));
  memcpy(g->tensors[lo].data, &lo_val, sizeof(float));
  int in[3] = {x, lo, -1};
  nc_node *n = make_node(g, "clip", "Clip", in, 3);
  cr_assert_eq(nc_op_find("Clip")->lower(g, n), 0, "%s", nc_err_msg());
  cr_assert_eq(n->n_fa, NC_CLIP_N_FA);
  cr_assert_eq(n->fa[NC_CLIP_FA_MIN], -0.5);
  cr_assert(isinf(n->fa[NC_CLIP_FA_MAX]) && n->fa[NC_CLIP_FA_MAX] > 0);
  /* a bound computed at run time is refused */
  int hi = add_input(g, "hi", TD0(NC_F32));
  int in2[3] = {x, -1, hi};
  nc_node *m = make_node(g, "clip_rt", "Clip", in2, 3);
  cr_assert_eq(nc_op_find("Clip")->lower(g, m), -1);
  cr_assert(strstr(nc_err_msg(), "clip_rt") && strstr(nc_err_msg(), "constant"), "%s",
            nc_err_msg());
  nc_graph_free(g);
}

Test(elementwise_lower, clip_int_defaults_to_type_range) {
  nc_err_clear();
  nc_graph *g = nc_graph_new("m.onnx");
  int x = add_input(g, "x", TD(NC_U8, 4));
  nc_node *n = make_node(g, "c", "Clip", &x, 1);
  cr_assert_eq(nc_op_find("Clip")->lower(g, n), 0, "%s", nc_err_msg());
  cr_assert(n->n_ia == NC_CLIP_N_IA && n->ia[NC_CLIP_IA_MIN] == 0 && n->ia[NC_CLIP_IA_MAX] == 255);
  nc_graph_free(g);
}

Test(elementwise_lower, cast_where_prelu) {
  nc_err_clear();
  nc_graph *g = nc_graph_new("m.onnx");
  int x = add_input(g, "x", TD(NC_F32, 1, 3, 2, 2));
  int cast_node = nc_graph_add_node(g, "cast", "Cast", "");
  int y = nc_graph_tensor(g, "yc");
  nc_node_set_io(&g->nodes[cast_node], &x, 1, &y, 1);
  nc_node *n = &g->nodes[cast_node];
  n->attrs = calloc(1, sizeof(nc_attr));
  n->n_attrs = 1;
  n->attrs[0].name = nc_xstrdup("to");
  n->attrs[0].type = NC_ATTR_INT;
  n->attrs[0].i = NC_F16;
  cr_assert_eq(nc_op_find("Cast")->lower(g, n), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_out(g, n, 0)->desc.dtype, NC_F16);
  n->attrs[0].i = 8; /* string */
  cr_assert_eq(nc_op_find("Cast")->lower(g, n), -1);

  nc_err_clear();
  int c = add_input(g, "cond", TD(NC_BOOL, 3, 1, 1));
  int in3[3] = {c, x, add_input(g, "zero", TD0(NC_F32))};
  nc_node *w = make_node(g, "where", "Where", in3, 3);
  cr_assert_eq(nc_op_find("Where")->lower(g, w), 0, "%s", nc_err_msg());
  cr_assert(nc_out(g, w, 0)->desc.ndim == 4 && nc_out(g, w, 0)->desc.dims[1] == 3);

  int bad[2] = {x, add_input(g, "slope", TD(NC_F32, 2, 2, 2, 2))};
  nc_node *p = make_node(g, "prelu", "PRelu", bad, 2);
  cr_assert_eq(nc_op_find("PRelu")->lower(g, p), -1);
  cr_assert(strstr(nc_err_msg(), "prelu") != NULL, "%s", nc_err_msg());
  nc_graph_free(g);
}
