/* int8 routines (runtime-min/src/int8_*.c), each forced on 60+ random shapes
 * against an independent computation: the u8 inputs dequantized and the
 * weights quantized per output channel (max|w| / 127, round half even) in
 * double, the layer computed in double, the result quantized with the
 * output's parameters. Every u8 result must be within 1 LSB of that, every
 * f32 result within the bias rounding (one s_x * s_w step) of it; and every
 * x86 routine must give exactly the bytes of the portable one. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neuroc/args.h"
#include "neuroc/routines.h"

#define SHAPES 64

/* ---- small deterministic random numbers (independent of rand()) ---- */
static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33);
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() % 1000001u) / 1e6f; }

static nc_tdesc desc(int32_t dt, int ndim, const int64_t *dims, float scale, int32_t zp) {
  nc_tdesc d;
  memset(&d, 0, sizeof d);
  d.dtype = dt;
  d.ndim = ndim;
  for (int i = 0; i < ndim; i++) d.dims[i] = dims[i];
  d.scale = scale;
  d.zero_point = zp;
  return d;
}

static double act_ref(double x, int64_t act, double alpha, double beta) {
  switch (act) {
  case NC_ACT_RELU: return x > 0 ? x : 0;
  case NC_ACT_CLIP: return x < alpha ? alpha : x > beta ? beta : x;
  case NC_ACT_HARDSWISH: return x * fmin(fmax(x + 3.0, 0.0), 6.0) / 6.0;
  case NC_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
  case NC_ACT_LEAKYRELU: return x >= 0 ? x : alpha * x;
  default: return x;
  }
}

/* Per-channel symmetric weights, as the contract specifies: value (in
 * double) of weight w in a channel whose largest magnitude is amax. */
static double wq_value(float w, float amax) {
  float s = amax > 0.0f ? amax / 127.0f : 1.0f;
  double q = rint((double)(w / s));
  if (q > 127) q = 127;
  if (q < -127) q = -127;
  return q * s;
}

/* Output params from the reference range (0 included). */
static void out_params(const double *y, int64_t n, float *scale, int32_t *zp) {
  double lo = 0, hi = 0;
  for (int64_t i = 0; i < n; i++) {
    lo = fmin(lo, y[i]);
    hi = fmax(hi, y[i]);
  }
  if (hi - lo < 1e-6) hi = lo + 1.0;
  /* a slightly narrower range than the data so that saturation is exercised */
  *scale = (float)((hi - lo) * 0.97 / 255.0);
  *zp = (int32_t)fmin(255, fmax(0, rint(-lo / *scale)));
}

static uint8_t quant_ref(double y, float scale, int32_t zp) {
  double q = rint(y / scale) + zp;
  return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}

/* Runs r with constants packed as the compiler does; in[i] NULL for a constant. */
static void run(const nc_routine *r, const nc_args *a, const void *const *acts,
                const void *const *consts, void *out) {
  cr_assert(r->applies == NULL || r->applies(a), "%s does not apply", r->descriptor);
  const void *ins[8];
  void *packed[8] = {0};
  for (int i = 0; i < a->n_in; i++) {
    ins[i] = acts[i] ? acts[i] : consts[i];
    size_t pb = consts[i] && r->packed_bytes ? r->packed_bytes(a, i) : 0;
    if (!pb) continue;
    packed[i] = malloc(pb);
    nc_routine_pack(r, a, i, consts, packed[i]);
    ins[i] = packed[i];
  }
  size_t sb = r->scratch_bytes ? r->scratch_bytes(a) : 0;
  void *scratch = sb ? malloc(sb) : NULL;
  void *outs[1] = {out};
  r->fn(a, ins, outs, scratch);
  free(scratch);
  for (int i = 0; i < a->n_in; i++) free(packed[i]);
}

/* Every table routine whose descriptor starts with prefix and whose ISA runs here. */
static int routines_with(const char *prefix, const nc_routine **list, int max) {
  const nc_routine *t = nc_routine_table();
  int n = 0;
  char isa[32];
  for (int i = 0; i < nc_routine_count() && n < max; i++)
    if (strncmp(t[i].descriptor, prefix, strlen(prefix)) == 0 &&
        nc_cpu_supports(nc_routine_isa(&t[i], isa, sizeof isa)))
      list[n++] = &t[i];
  return n;
}

/* Compares one routine's output with the reference (u8: 1 LSB; f32: tol[c]). */
static void check_out(const char *what, int shape, int out_u8, const void *got,
                      const double *ref, int64_t n, float sy, int32_t zy, const double *tol,
                      int64_t tol_period, int64_t tol_stride) {
  for (int64_t i = 0; i < n; i++) {
    if (out_u8) {
      /* 1 LSB, plus the bias rounding (half a step) where a step exceeds
       * an LSB (an all-zero channel: weight scale 1, step s_x) */
      double slack = tol ? 0.5 * tol[(i / tol_stride) % tol_period] / sy : 0.0;
      int g = ((const uint8_t *)got)[i], e = quant_ref(ref[i], sy, zy);
      cr_assert(abs(g - e) <= 1.0 + slack, "%s shape %d elem %ld: got %d want %d (ref %g)", what,
                shape, (long)i, g, e, ref[i]);
    } else {
      double g = ((const float *)got)[i], t = tol[(i / tol_stride) % tol_period];
      cr_assert(fabs(g - ref[i]) <= 1.5 * t + 1e-5 * fabs(ref[i]),
                "%s shape %d elem %ld: got %g want %g", what, shape, (long)i, g, ref[i]);
    }
  }
}

/* Same bytes as the portable routine's output. */
static void check_same(const char *what, int shape, const void *got, const void *c99,
                       size_t bytes) {
  cr_assert(memcmp(got, c99, bytes) == 0, "%s shape %d differs from the c99 routine", what,
            shape);
}

static const nc_routine *c99_twin(const nc_routine *r) {
  /* same descriptor up to the ISA, then c99 (and the c99 tile, if any) */
  char buf[160];
  const char *p = strchr(r->descriptor, '/');
  p = strchr(p + 1, '/');
  int len = (int)(p - r->descriptor);
  int tiled = strchr(p + 1, '/') != NULL;
  snprintf(buf, sizeof buf, "%.*s/c99%s", len, r->descriptor, tiled ? "/4x16" : "");
  const nc_routine *t = nc_routine_find(buf);
  cr_assert(t != NULL, "no c99 twin %s for %s", buf, r->descriptor);
  return t;
}

/* ---------------- Conv (group 1 via GEMM, and depthwise) ---------------- */

static void conv_case(const nc_routine *r, int depthwise, int shape) {
  const nc_routine *c99 = c99_twin(r);
  int out_u8 = r->out_q == NC_Q_U8;
  int64_t n = rnd_in(1, 2), c = rnd_in(1, depthwise ? 70 : 40), m = depthwise ? c : rnd_in(1, 80);
  int64_t k[2], s[2], d[2], pb[2], pe[2], in[2], o[2];
  int sq = rnd_in(0, 1);
  for (int i = 0; i < 2; i++) {
    k[i] = (i && sq) ? k[0] : rnd_in(1, 3) * 2 - 1;
    if (depthwise && shape % 9 == 4) k[i] = 7; /* 49 taps, the most depthwise takes */
    s[i] = rnd_in(1, 2);
    d[i] = rnd_in(1, 4) == 4 ? 2 : 1;
    pb[i] = rnd_in(0, k[i] / 2 + 1);
    pe[i] = rnd_in(0, k[i] / 2);
    in[i] = rnd_in(1, 13);
    int64_t span = d[i] * (k[i] - 1) + 1;
    if (in[i] + pb[i] + pe[i] < span) in[i] = span;
    o[i] = (in[i] + pb[i] + pe[i] - span) / s[i] + 1;
  }
  if (shape % 5 == 0) { /* pointwise, the in-place row path */
    k[0] = k[1] = s[0] = s[1] = 1;
    pb[0] = pb[1] = pe[0] = pe[1] = 0;
    o[0] = in[0];
    o[1] = in[1];
    if (!depthwise) c = rnd_in(1, 16) * 4;
  }
  int64_t act = rnd_in(0, 5);
  double alpha = act == NC_ACT_CLIP ? -0.5 : 0.1, beta = act == NC_ACT_CLIP ? 1.5 : 0;
  float sx = rnd_f(0.005f, 0.05f);
  int32_t zx = (int32_t)rnd_in(0, 255);
  int64_t cg = depthwise ? 1 : c;
  int64_t xd[4] = {n, c, in[0], in[1]}, wd[4] = {m, cg, k[0], k[1]}, bd[1] = {m},
          yd[4] = {n, m, o[0], o[1]};
  int64_t nx = n * c * in[0] * in[1], nw = m * cg * k[0] * k[1], ny = n * m * o[0] * o[1];
  uint8_t *x = malloc((size_t)nx);
  float *w = malloc(sizeof(float) * (size_t)nw), *b = malloc(sizeof(float) * (size_t)m);
  for (int64_t i = 0; i < nx; i++) x[i] = (uint8_t)rnd_in(0, 255);
  for (int64_t i = 0; i < nw; i++) w[i] = rnd_f(-1, 1);
  if (shape % 7 == 1) /* an all-zero channel */
    for (int64_t i = 0; i < cg * k[0] * k[1]; i++) w[i] = 0.0f;
  int has_b = shape % 3 != 2;
  for (int64_t i = 0; i < m; i++) b[i] = rnd_f(-2, 2);
  /* a fused residual sum S (u8, its own params) on every fourth shape */
  int has_s = shape % 4 == 3;
  float ss = rnd_f(0.01f, 0.08f);
  int32_t zs = (int32_t)rnd_in(0, 255);
  uint8_t *sx8 = malloc((size_t)ny);
  for (int64_t i = 0; i < ny; i++) sx8[i] = (uint8_t)rnd_in(0, 255);
  /* reference: NHWC input, weights quantized per output channel */
  double *ref = malloc(sizeof(double) * (size_t)ny), *tol = malloc(sizeof(double) * (size_t)m);
  for (int64_t oc = 0; oc < m; oc++) {
    float amax = 0;
    for (int64_t i = 0; i < cg * k[0] * k[1]; i++) amax = fmaxf(amax, fabsf(w[oc * cg * k[0] * k[1] + i]));
    tol[oc] = sx * (amax > 0 ? amax / 127.0 : 1.0); /* one bias rounding step */
  }
  for (int64_t b0 = 0; b0 < n; b0++)
    for (int64_t oy = 0; oy < o[0]; oy++)
      for (int64_t ox = 0; ox < o[1]; ox++)
        for (int64_t oc = 0; oc < m; oc++) {
          const float *wc = w + oc * cg * k[0] * k[1];
          float amax = 0;
          for (int64_t i = 0; i < cg * k[0] * k[1]; i++) amax = fmaxf(amax, fabsf(wc[i]));
          double acc = has_b ? b[oc] : 0.0;
          for (int64_t ci = 0; ci < cg; ci++)
            for (int64_t ky = 0; ky < k[0]; ky++)
              for (int64_t kx = 0; kx < k[1]; kx++) {
                int64_t iy = oy * s[0] - pb[0] + ky * d[0], ix = ox * s[1] - pb[1] + kx * d[1];
                if (iy < 0 || iy >= in[0] || ix < 0 || ix >= in[1]) continue;
                int64_t ch = depthwise ? oc : ci;
                double xv = sx * ((double)x[((b0 * in[0] + iy) * in[1] + ix) * c + ch] - zx);
                acc += xv * wq_value(wc[(ci * k[0] + ky) * k[1] + kx], amax);
              }
          int64_t yi = ((b0 * o[0] + oy) * o[1] + ox) * m + oc;
          if (has_s) acc += ss * ((double)sx8[yi] - zs);
          ref[yi] = act_ref(acc, act, alpha, beta);
        }
  float sy = 0;
  int32_t zy = 0;
  if (out_u8) out_params(ref, ny, &sy, &zy);
  nc_tdesc ins[4] = {desc(NC_U8, 4, xd, sx, zx), desc(NC_F32, 4, wd, 0, 0),
                     desc(has_b ? NC_F32 : 0, 1, bd, 0, 0), desc(NC_U8, 4, yd, ss, zs)};
  nc_tdesc outd = desc(out_u8 ? NC_U8 : NC_F32, 4, yd, sy, zy);
  int64_t ia[NC_CONV_IA_COUNT] = {2, depthwise ? c : 1, act, s[0], s[1], 1, d[0], d[1], 1,
                                  pb[0], pb[1], 0, pe[0], pe[1], 0};
  double fa[2] = {alpha, beta};
  nc_args a = {has_s ? 4 : 3, 1, ins, &outd, ia, fa, NC_CONV_IA_COUNT, 2};
  const void *acts[4] = {x, NULL, NULL, sx8}, *consts[4] = {NULL, w, has_b ? b : NULL, NULL};
  size_t ybytes = (size_t)ny * (out_u8 ? 1 : 4);
  void *y = malloc(ybytes), *y99 = malloc(ybytes);
  run(r, &a, acts, consts, y);
  check_out(r->descriptor, shape, out_u8, y, ref, ny, sy, zy, tol, m, 1);
  if (c99 != r) {
    run(c99, &a, acts, consts, y99);
    check_same(r->descriptor, shape, y, y99, ybytes);
  }
  free(x), free(w), free(b), free(ref), free(tol), free(y), free(y99), free(sx8);
}

static void conv_all(const char *prefix, int depthwise) {
  const nc_routine *list[16];
  int nr = routines_with(prefix, list, 16);
  cr_assert(nr >= 2, "no routines under %s", prefix);
  for (int i = 0; i < nr; i++) {
    rng_state = 1234;
    for (int sh = 0; sh < SHAPES; sh++) conv_case(list[i], depthwise, sh);
  }
}

Test(int8, conv_gemm) { conv_all("cpu:u8:nhwc/conv-gemm", 0); }
Test(int8, conv_depthwise) { conv_all("cpu:u8:nhwc/conv-depthwise", 1); }

/* ---------------- Gemm and MatMul ---------------- */

static void gemm_case(const nc_routine *r, int matmul, int shape) {
  const nc_routine *c99 = c99_twin(r);
  int out_u8 = r->out_q == NC_Q_U8;
  int64_t batch = matmul ? rnd_in(1, 3) : 1, m = rnd_in(1, 20), kk = rnd_in(1, 70),
          nn = rnd_in(1, 90);
  int ta = matmul ? 0 : (int)rnd_in(0, 1), tb = matmul ? 0 : (int)rnd_in(0, 1);
  int has_c = !matmul && shape % 3 != 0;
  int c_scalar = has_c && shape % 4 == 1;
  double alpha = matmul ? 1.0 : rnd_f(0.5f, 1.5f), beta = matmul ? 1.0 : rnd_f(0.5f, 1.5f);
  int64_t act = matmul ? 0 : rnd_in(0, 5);
  double aa = act == NC_ACT_CLIP ? -0.5 : 0.1, ab = act == NC_ACT_CLIP ? 2.0 : 0;
  float sx = rnd_f(0.005f, 0.05f);
  int32_t zx = (int32_t)rnd_in(0, 255);
  int64_t rows = batch * m, nx = rows * kk;
  uint8_t *x = malloc((size_t)nx);
  float *w = malloc(sizeof(float) * (size_t)(kk * nn)), *cb = malloc(sizeof(float) * (size_t)nn);
  for (int64_t i = 0; i < nx; i++) x[i] = (uint8_t)rnd_in(0, 255);
  for (int64_t i = 0; i < kk * nn; i++) w[i] = rnd_f(-1, 1);
  for (int64_t i = 0; i < nn; i++) cb[i] = rnd_f(-2, 2);
  double *ref = malloc(sizeof(double) * (size_t)(rows * nn)), *tol = malloc(sizeof(double) * (size_t)nn);
  for (int64_t j = 0; j < nn; j++) {
    float amax = 0;
    for (int64_t p = 0; p < kk; p++)
      amax = fmaxf(amax, fabsf((float)alpha * w[tb ? j * kk + p : p * nn + j]));
    tol[j] = sx * (amax > 0 ? amax / 127.0 : 1.0);
    for (int64_t i = 0; i < rows; i++) {
      double acc = has_c ? beta * cb[c_scalar ? 0 : j] : 0.0;
      for (int64_t p = 0; p < kk; p++) {
        uint8_t q = x[ta ? p * m + i : i * kk + p];
        acc += sx * ((double)q - zx) * wq_value((float)alpha * w[tb ? j * kk + p : p * nn + j], amax);
      }
      ref[i * nn + j] = act_ref(acc, act, aa, ab);
    }
  }
  float sy = 0;
  int32_t zy = 0;
  if (out_u8) out_params(ref, rows * nn, &sy, &zy);
  int64_t xd[3] = {batch, m, kk}, xd2[2] = {ta ? kk : m, ta ? m : kk},
          wd[2] = {tb ? nn : kk, tb ? kk : nn}, cd[2] = {1, c_scalar ? 1 : nn},
          yd[3] = {batch, m, nn};
  nc_tdesc ins[3] = {matmul ? desc(NC_U8, 3, xd, sx, zx) : desc(NC_U8, 2, xd2, sx, zx),
                     desc(NC_F32, 2, wd, 0, 0), desc(has_c ? NC_F32 : 0, 2, cd, 0, 0)};
  nc_tdesc outd = matmul ? desc(out_u8 ? NC_U8 : NC_F32, 3, yd, sy, zy)
                         : desc(out_u8 ? NC_U8 : NC_F32, 2, yd + 1, sy, zy);
  int64_t ia[NC_GEMM_IA_COUNT] = {ta, tb, act};
  double fa[NC_GEMM_FA_COUNT] = {alpha, beta, aa, ab};
  nc_args a = {matmul ? 2 : 3, 1, ins, &outd, matmul ? NULL : ia, matmul ? NULL : fa,
               matmul ? 0 : NC_GEMM_IA_COUNT, matmul ? 0 : NC_GEMM_FA_COUNT};
  const void *acts[3] = {x, NULL, NULL}, *consts[3] = {NULL, w, has_c ? cb : NULL};
  size_t ybytes = (size_t)(rows * nn) * (out_u8 ? 1 : 4);
  void *y = malloc(ybytes), *y99 = malloc(ybytes);
  run(r, &a, acts, consts, y);
  check_out(r->descriptor, shape, out_u8, y, ref, rows * nn, sy, zy, tol, nn, 1);
  if (c99 != r) {
    run(c99, &a, acts, consts, y99);
    check_same(r->descriptor, shape, y, y99, ybytes);
  }
  free(x), free(w), free(cb), free(ref), free(tol), free(y), free(y99);
}

static void gemm_all(const char *prefix, int matmul) {
  const nc_routine *list[16];
  int nr = routines_with(prefix, list, 16);
  cr_assert(nr >= 2, "no routines under %s", prefix);
  for (int i = 0; i < nr; i++) {
    rng_state = 99;
    for (int sh = 0; sh < SHAPES; sh++) gemm_case(list[i], matmul, sh);
  }
}

Test(int8, gemm) { gemm_all("cpu:u8:nchw/gemm", 0); }
Test(int8, matmul) { gemm_all("cpu:u8:nchw/matmul", 1); }

/* ---------------- pooling ---------------- */

/* Offset of logical (n, c, y, x) of [N, C, H, W] stored in a layout. */
static int64_t at4(int layout, const int64_t *d, int64_t n, int64_t c, int64_t y, int64_t x) {
  if (layout == NC_LAYOUT_NHWC) return ((n * d[2] + y) * d[3] + x) * d[1] + c;
  if (layout == NC_LAYOUT_NCHW16C)
    return ((n * ((d[1] + 15) / 16) + c / 16) * d[2] * d[3] + y * d[3] + x) * 16 + c % 16;
  if (layout == NC_LAYOUT_NCHW8C)
    return ((n * ((d[1] + 7) / 8) + c / 8) * d[2] * d[3] + y * d[3] + x) * 8 + c % 8;
  return ((n * d[1] + c) * d[2] + y) * d[3] + x;
}

static void pool_case(const nc_routine *r, int kind, int shape) {
  /* kind 0 max, 1 average, 2 global average */
  int layout = r->in_layout;
  int64_t n = rnd_in(1, 2), c = rnd_in(1, shape % 4 == 3 ? 150 : 40), h = rnd_in(1, 12),
          wdt = rnd_in(1, 12);
  int64_t k[2] = {1, 1}, s[2] = {1, 1}, pb[2] = {0, 0}, pe[2] = {0, 0}, o[2] = {1, 1};
  int cip = (int)rnd_in(0, 1);
  int64_t in[2] = {h, wdt};
  for (int i = 0; kind != 2 && i < 2; i++) {
    k[i] = rnd_in(1, 3);
    if (k[i] > in[i]) k[i] = in[i];
    s[i] = rnd_in(1, 2);
    pb[i] = rnd_in(0, k[i] - 1);
    pe[i] = rnd_in(0, k[i] - 1);
    o[i] = (in[i] + pb[i] + pe[i] - k[i]) / s[i] + 1;
  }
  float sx = rnd_f(0.01f, 0.1f);
  int32_t zx = (int32_t)rnd_in(0, 255);
  float sy = kind == 0 && shape % 2 ? sx : rnd_f(0.01f, 0.1f);
  int32_t zy = kind == 0 && shape % 2 ? zx : (int32_t)rnd_in(0, 255);
  int64_t xd[4] = {n, c, h, wdt}, yd[4] = {n, c, o[0], o[1]};
  int64_t nx = n * c * h * wdt, ny = n * c * o[0] * o[1];
  uint8_t *x = malloc((size_t)nx), *y = malloc((size_t)ny);
  for (int64_t i = 0; i < nx; i++) x[i] = (uint8_t)rnd_in(0, 255);
  nc_tdesc xt = desc(NC_U8, 4, xd, sx, zx), yt = desc(NC_U8, 4, yd, sy, zy);
  int64_t ia[NC_POOL_IA_COUNT] = {2, k[0], k[1], 1, s[0], s[1], 1, 1, 1, 1,
                                  pb[0], pb[1], 0, pe[0], pe[1], 0, cip, 0, 2};
  nc_args a = {1, 1, &xt, &yt, kind == 2 ? NULL : ia, NULL, kind == 2 ? 0 : NC_POOL_IA_COUNT, 0};
  const void *acts[1] = {x}, *consts[1] = {NULL};
  run(r, &a, acts, consts, y);
  const nc_routine *c99 = c99_twin(r);
  if (c99 != r) {
    uint8_t *y99 = malloc((size_t)ny);
    run(c99, &a, acts, consts, y99);
    check_same(r->descriptor, shape, y, y99, (size_t)ny);
    free(y99);
  }
  for (int64_t b0 = 0; b0 < n; b0++)
    for (int64_t ch = 0; ch < c; ch++)
      for (int64_t oy = 0; oy < o[0]; oy++)
        for (int64_t ox = 0; ox < o[1]; ox++) {
          double acc = kind == 0 ? -INFINITY : 0.0;
          int64_t cnt = 0, span = 0;
          for (int64_t ky = 0; ky < (kind == 2 ? h : k[0]); ky++)
            for (int64_t kx = 0; kx < (kind == 2 ? wdt : k[1]); kx++) {
              int64_t iy = oy * s[0] - pb[0] + ky, ix = ox * s[1] - pb[1] + kx;
              if (iy >= -pb[0] && iy < h + pe[0] && ix >= -pb[1] && ix < wdt + pe[1]) span++;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wdt) continue;
              double v = sx * ((double)x[at4(layout, xd, b0, ch, iy, ix)] - zx);
              acc = kind == 0 ? fmax(acc, v) : acc + v;
              cnt++;
            }
          if (kind != 0) acc /= (kind == 1 && cip) ? (double)span : (double)cnt;
          int g = y[at4(layout, yd, b0, ch, oy, ox)], e = quant_ref(acc, sy, zy);
          cr_assert(abs(g - e) <= 1, "%s shape %d: got %d want %d", r->descriptor, shape, g, e);
        }
  free(x), free(y);
}

static void pool_all(const char *prefix, int kind) {
  const nc_routine *list[8];
  int nr = routines_with(prefix, list, 8);
  cr_assert(nr >= 1, "no routines under %s", prefix);
  for (int i = 0; i < nr; i++) {
    rng_state = 7;
    for (int sh = 0; sh < SHAPES; sh++) pool_case(list[i], kind, sh);
  }
}

Test(int8, maxpool) {
  pool_all("cpu:u8:nhwc/maxpool", 0);
  pool_all("cpu:u8:nchw/maxpool", 0);
}
Test(int8, avgpool) {
  pool_all("cpu:u8:nhwc/avgpool", 1);
  pool_all("cpu:u8:nchw/avgpool", 1);
}
Test(int8, global_avgpool) {
  pool_all("cpu:u8:nhwc/global-avgpool", 2);
  pool_all("cpu:u8:nchw/global-avgpool", 2);
}

/* ---------------- Add and Concat ---------------- */

Test(int8, add) {
  const nc_routine *list[8];
  int nl = routines_with("cpu:u8:nhwc/add-requant", list, 4);
  nl += routines_with("cpu:u8:nchw/add-requant", list + nl, 4);
  cr_assert(nl >= 2, "no Add routines");
  for (int di = 0; di < nl; di++) {
    const nc_routine *r = list[di], *c99 = c99_twin(r);
    rng_state = 5;
    for (int sh = 0; sh < SHAPES; sh++) {
      int64_t d[4] = {rnd_in(1, 2), rnd_in(1, sh % 4 == 3 ? 90 : 20), rnd_in(1, 9), rnd_in(1, 9)};
      int64_t ne = d[0] * d[1] * d[2] * d[3];
      float s0 = rnd_f(0.01f, 0.1f), s1 = rnd_f(0.01f, 0.1f);
      int32_t z0 = (int32_t)rnd_in(0, 255), z1 = (int32_t)rnd_in(0, 255);
      uint8_t *x0 = malloc((size_t)ne), *x1 = malloc((size_t)ne), *y = malloc((size_t)ne);
      double *ref = malloc(sizeof(double) * (size_t)ne);
      for (int64_t i = 0; i < ne; i++) {
        x0[i] = (uint8_t)rnd_in(0, 255);
        x1[i] = (uint8_t)rnd_in(0, 255);
        ref[i] = s0 * ((double)x0[i] - z0) + s1 * ((double)x1[i] - z1);
      }
      float sy;
      int32_t zy;
      out_params(ref, ne, &sy, &zy);
      nc_tdesc ins[2] = {desc(NC_U8, 4, d, s0, z0), desc(NC_U8, 4, d, s1, z1)};
      nc_tdesc yt = desc(NC_U8, 4, d, sy, zy);
      nc_args a = {2, 1, ins, &yt, NULL, NULL, 0, 0};
      const void *acts[2] = {x0, x1}, *consts[2] = {NULL, NULL};
      run(r, &a, acts, consts, y);
      check_out(r->descriptor, sh, 1, y, ref, ne, sy, zy, NULL, 1, 1);
      uint8_t *y99 = malloc((size_t)ne);
      run(c99, &a, acts, consts, y99);
      check_same(r->descriptor, sh, y, y99, (size_t)ne);
      free(x0), free(x1), free(y), free(ref), free(y99);
    }
  }
}

Test(int8, concat) {
  const char *descs[2] = {"cpu:u8:nhwc/concat-requant/c99", "cpu:u8:nchw/concat-requant/c99"};
  for (int di = 0; di < 2; di++) {
    const nc_routine *r = nc_routine_find(descs[di]);
    cr_assert(r != NULL);
    int layout = r->in_layout;
    rng_state = 11;
    for (int sh = 0; sh < SHAPES; sh++) {
      int ni = (int)rnd_in(1, 3), axis = (int)rnd_in(0, 3);
      int64_t base[4] = {rnd_in(1, 2), rnd_in(1, 9), rnd_in(1, 6), rnd_in(1, 6)};
      nc_tdesc ins[3], yt;
      uint8_t *xs[3];
      int64_t yd[4] = {base[0], base[1], base[2], base[3]};
      yd[axis] = 0;
      float sy = rnd_f(0.01f, 0.1f);
      int32_t zy = (int32_t)rnd_in(0, 255);
      for (int i = 0; i < ni; i++) {
        int64_t d[4] = {base[0], base[1], base[2], base[3]};
        d[axis] = rnd_in(1, 5);
        yd[axis] += d[axis];
        int same = rnd_in(0, 1);
        ins[i] = desc(NC_U8, 4, d, same ? sy : rnd_f(0.01f, 0.1f), same ? zy : (int32_t)rnd_in(0, 255));
        int64_t ne = d[0] * d[1] * d[2] * d[3];
        xs[i] = malloc((size_t)ne);
        for (int64_t j = 0; j < ne; j++) xs[i][j] = (uint8_t)rnd_in(0, 255);
      }
      yt = desc(NC_U8, 4, yd, sy, zy);
      int64_t ny = yd[0] * yd[1] * yd[2] * yd[3];
      uint8_t *y = malloc((size_t)ny);
      int64_t ia[1] = {axis};
      nc_args a = {ni, 1, ins, &yt, ia, NULL, 1, 0};
      const void *acts[3] = {xs[0], ni > 1 ? xs[1] : NULL, ni > 2 ? xs[2] : NULL};
      const void *consts[3] = {NULL, NULL, NULL};
      run(r, &a, acts, consts, y);
      int64_t off = 0;
      for (int i = 0; i < ni; i++) {
        const int64_t *d = ins[i].dims;
        for (int64_t p = 0; p < d[0]; p++)
          for (int64_t q = 0; q < d[1]; q++)
            for (int64_t u = 0; u < d[2]; u++)
              for (int64_t v = 0; v < d[3]; v++) {
                int64_t o4[4] = {p, q, u, v};
                o4[axis] += off;
                double real = ins[i].scale * ((double)xs[i][at4(layout, d, p, q, u, v)] - ins[i].zero_point);
                int g = y[at4(layout, yd, o4[0], o4[1], o4[2], o4[3])], e = quant_ref(real, sy, zy);
                cr_assert(abs(g - e) <= 1, "%s shape %d: got %d want %d", r->descriptor, sh, g, e);
              }
        off += d[axis];
      }
      for (int i = 0; i < ni; i++) free(xs[i]);
      free(y);
    }
  }
}

/* ---------------- adapters ---------------- */

Test(int8, adapters) {
  const nc_routine *t = nc_routine_table();
  int tested = 0;
  char isa[32];
  for (int ri = 0; ri < nc_routine_count(); ri++) {
    const nc_routine *r = &t[ri];
    if (strcmp(r->layer, "adapter") != 0 || (r->in_q != NC_Q_U8 && r->out_q != NC_Q_U8)) continue;
    if (!nc_cpu_supports(nc_routine_isa(r, isa, sizeof isa))) continue;
    tested++;
    rng_state = 3;
    for (int sh = 0; sh < SHAPES; sh++) {
      /* every 8th shape is big enough for several 64 x 64 transpose tiles */
      int big = sh % 8 == 7;
      int64_t d[4] = {rnd_in(1, 2), rnd_in(1, big ? 150 : 37), rnd_in(1, big ? 20 : 7),
                      rnd_in(1, big ? 20 : 7)};
      int64_t ne = d[0] * d[1] * d[2] * d[3], cb = (d[1] + 15) / 16 * 16;
      int64_t cap = d[0] * cb * d[2] * d[3];
      float s = rnd_f(0.01f, 0.1f);
      int32_t z = (int32_t)rnd_in(0, 255);
      int quant = r->in_q == NC_Q_NONE, deq = r->out_q == NC_Q_NONE;
      nc_tdesc xt = desc(quant ? NC_F32 : NC_U8, 4, d, quant ? 0 : s, quant ? 0 : z);
      nc_tdesc yt = desc(deq ? NC_F32 : NC_U8, 4, d, deq ? 0 : s, deq ? 0 : z);
      float *xf = malloc(sizeof(float) * (size_t)cap), *yf = malloc(sizeof(float) * (size_t)cap);
      uint8_t *xq = malloc((size_t)cap), *yq = malloc((size_t)cap);
      for (int64_t i = 0; i < cap; i++) {
        xf[i] = rnd_f(-8, 8);
        xq[i] = (uint8_t)rnd_in(0, 255);
      }
      nc_args a = {1, 1, &xt, &yt, NULL, NULL, 0, 0};
      const void *acts[1] = {quant ? (void *)xf : (void *)xq}, *consts[1] = {NULL};
      run(r, &a, acts, consts, deq ? (void *)yf : (void *)yq);
      for (int64_t p = 0; p < d[0]; p++)
        for (int64_t q = 0; q < d[1]; q++)
          for (int64_t u = 0; u < d[2]; u++)
            for (int64_t v = 0; v < d[3]; v++) {
              int64_t si = at4(r->in_layout, d, p, q, u, v), di = at4(r->out_layout, d, p, q, u, v);
              if (quant) {
                double e = rint((double)(xf[si] / s)) + z;
                e = e < 0 ? 0 : e > 255 ? 255 : e;
                cr_assert(yq[di] == (uint8_t)e, "%s: got %d want %g", r->descriptor, yq[di], e);
              } else if (deq) {
                float e = (float)(xq[si] - z) * s;
                cr_assert(yf[di] == e, "%s: got %g want %g", r->descriptor, yf[di], e);
              } else {
                cr_assert(yq[di] == xq[si], "%s: relayout differs", r->descriptor);
              }
            }
      /* the padded channels of a blocked output hold the real 0 */
      int bl = r->out_layout == NC_LAYOUT_NCHW16C ? 16 : r->out_layout == NC_LAYOUT_NCHW8C ? 8 : 0;
      for (int64_t p = 0; bl && p < d[0]; p++)
        for (int64_t q = d[1]; q < (d[1] + bl - 1) / bl * bl; q++)
          for (int64_t u = 0; u < d[2] * d[3]; u++) {
            int64_t di = ((p * ((d[1] + bl - 1) / bl) + q / bl) * d[2] * d[3] + u) * bl + q % bl;
            if (deq) cr_assert(yf[di] == 0.0f, "%s: padded channel %g", r->descriptor, yf[di]);
            else cr_assert(yq[di] == (uint8_t)z, "%s: padded channel %d", r->descriptor, yq[di]);
          }
      (void)ne;
      free(xf), free(yf), free(xq), free(yq);
    }
  }
  cr_assert(tested >= 18, "only %d int8 adapters tested", tested);
}

/* Every int8 routine is found by its own descriptor (no '*' entry shadows it). */
Test(int8, descriptors_unique) {
  const nc_routine *t = nc_routine_table();
  int n = 0;
  for (int i = 0; i < nc_routine_count(); i++)
    if (t[i].in_q == NC_Q_U8 || t[i].out_q == NC_Q_U8) {
      cr_assert(nc_routine_find(t[i].descriptor) == &t[i], "%s shadowed", t[i].descriptor);
      n++;
    }
  cr_assert(n >= 40, "only %d int8 routines", n);
}
