/* Winograd F(m,3) routines (x86_winograd*.c): each one forced against the
 * reference Conv (cpu:f32:nchw/conv-direct/c99) on random 3x3 stride-1
 * shapes, their numerical error on realistic magnitudes measured against a
 * double-precision gather loop, and their applicability limits. Tests skip
 * when the CPU lacks the routine's ISA. */
#include "test_nn_util.h"

#define REF_DESC "cpu:f32:nchw/conv-direct/c99"

typedef struct wcfg {
  int64_t n, c, m, group, h, w, pt, pl, pb, pr, oh, ow;
  int bias;
  int64_t act;
  double alpha, beta;
} wcfg;

typedef struct wcall {
  nc_tdesc in[4], out[1]; /* in[3]: a residual sum when the case has one */
  int64_t ia[NC_CONV_IA_COUNT];
  double fa[NC_CONV_FA_COUNT];
  nc_args a;
} wcall;

static void wcall_init(wcall *cc, wcfg *c, int64_t k, int64_t stride, int64_t dil) {
  c->oh = (c->h + c->pt + c->pb - (k - 1) * dil - 1) / stride + 1;
  c->ow = (c->w + c->pl + c->pr - (k - 1) * dil - 1) / stride + 1;
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->m, c->c / c->group, k, k};
  int64_t yd[4] = {c->n, c->m, c->oh, c->ow}, bd[1] = {c->m};
  cc->in[0] = td(NC_F32, 4, xd);
  cc->in[1] = td(NC_F32, 4, wd);
  cc->in[2] = c->bias ? td(NC_F32, 1, bd) : td(0, 0, NULL);
  cc->out[0] = td(NC_F32, 4, yd);
  cc->in[3] = td(0, 0, NULL);
  memset(cc->ia, 0, sizeof cc->ia);
  cc->ia[NC_CONV_IA_NSPATIAL] = 2;
  cc->ia[NC_CONV_IA_GROUP] = c->group;
  cc->ia[NC_CONV_IA_ACT] = c->act;
  for (int d = 0; d < 3; d++) {
    cc->ia[NC_CONV_IA_STRIDE + d] = d < 2 ? stride : 1;
    cc->ia[NC_CONV_IA_DILATION + d] = d < 2 ? dil : 1;
  }
  cc->ia[NC_CONV_IA_PAD_BEGIN] = c->pt;
  cc->ia[NC_CONV_IA_PAD_BEGIN + 1] = c->pl;
  cc->ia[NC_CONV_IA_PAD_END] = c->pb;
  cc->ia[NC_CONV_IA_PAD_END + 1] = c->pr;
  cc->fa[NC_CONV_FA_ACT_ALPHA] = c->alpha;
  cc->fa[NC_CONV_FA_ACT_BETA] = c->beta;
  nc_args a = {c->bias ? 3 : 2, 1, cc->in, cc->out, cc->ia, cc->fa, NC_CONV_IA_COUNT,
               NC_CONV_FA_COUNT};
  cc->a = a;
}

static int64_t rnd(int64_t lo, int64_t hi) { return lo + rand() % (hi - lo + 1); }

/* A random 3x3 stride-1 case: odd and even planes, narrow and wide rows
 * (vectors of tiles within one tile row or across rows), channel counts around the
 * SIMD widths, pads 0..2 (asymmetric too), every activation code. */
static wcfg random_cfg(int i) {
  wcfg c;
  memset(&c, 0, sizeof c);
  c.n = rnd(1, 10) == 1 ? 2 : 1;
  c.group = rnd(1, 6) == 1 ? rnd(2, 3) : 1;
  c.c = c.group * rnd(1, 21);
  c.m = c.group * rnd(1, 21);
  c.h = rnd(1, 23);
  c.w = rnd(1, 37);
  if (i % 3 == 2) { /* wide rows: at least 16 tiles per tile row for every m */
    c.h = rnd(1, 9);
    c.w = rnd(60, 131);
  }
  int64_t pad = rnd(0, 2);
  c.pt = c.pb = c.pl = c.pr = pad;
  if (rnd(0, 3) == 0) {
    c.pt = rnd(0, 2);
    c.pb = rnd(0, 2);
    c.pl = rnd(0, 2);
    c.pr = rnd(0, 2);
  }
  /* keep the output non-empty */
  while (c.h + c.pt + c.pb < 3) c.pb++;
  while (c.w + c.pl + c.pr < 3) c.pr++;
  c.bias = rnd(0, 3) != 0;
  c.act = i % 7; /* NONE RELU CLIP HARDSWISH SIGMOID LEAKYRELU SILU in turn */
  c.alpha = c.act == NC_ACT_CLIP ? -0.5 : 0.1;
  c.beta = 0.75;
  return c;
}

/* Runs `desc` and the reference on the same data, with a residual sum input
 * when `sum`; returns max relative error. */
static double compare_with_ref(const char *desc, wcfg c, int sum) {
  wcall cc;
  wcall_init(&cc, &c, 3, 1, 1);
  if (sum) {
    cc.in[3] = cc.out[0];
    cc.a.n_in = 4;
  }
  int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
  float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(c.m);
  float *y = rand_buf(yn), *e = rand_buf(yn), *s = rand_buf(yn);
  const void *in[4] = {x, w, c.bias ? b : NULL, sum ? s : NULL};
  void *out_y[1] = {y}, *out_e[1] = {e};
  run_routine(must_find(REF_DESC), &cc.a, in, out_e, 0);
  run_routine(must_find(desc), &cc.a, in, out_y, 0x2);
  double err = max_rel_err(y, e, yn);
  free(x); free(w); free(b); free(y); free(e); free(s);
  return err;
}

static void check_random(const char *desc, double tol) {
  const nc_routine *r = must_find(desc);
  char isa[16];
  if (!nc_cpu_supports(nc_routine_isa(r, isa, sizeof isa)))
    cr_skip_test("CPU lacks %s", isa);
  srand(1234);
  double worst = 0;
  for (int i = 0; i < 60; i++) {
    wcfg c = random_cfg(i);
    const int sum = (i / 7) % 2;
    double err = compare_with_ref(desc, c, sum);
    worst = err > worst ? err : worst;
    cr_expect(err < tol,
              "%s case %d: N%ld C%ld M%ld G%ld %ldx%ld pads t%ld l%ld b%ld r%ld act %ld sum %d: "
              "max rel err %g",
              desc, i, (long)c.n, (long)c.c, (long)c.m, (long)c.group, (long)c.h, (long)c.w,
              (long)c.pt, (long)c.pl, (long)c.pb, (long)c.pr, (long)c.act, sum, err);
  }
  cr_log_info("%s: worst max relative error over 60 cases %.3g", desc, worst);
}

/* Tolerances: inputs and weights uniform in [-1, 1], up to 63 input channels.
 * The larger tiles amplify rounding (their transforms hold 2^k and 1/2^k). */
Test(x86_winograd, f23_avx512_vs_reference) { check_random("cpu:f32:nchw/conv-winograd23/avx512", 1e-5); }
Test(x86_winograd, f43_avx512_vs_reference) { check_random("cpu:f32:nchw/conv-winograd43/avx512", 1e-4); }
Test(x86_winograd, f63_avx512_vs_reference) { check_random("cpu:f32:nchw/conv-winograd63/avx512", 3e-4); }
Test(x86_winograd, f23_avx2_vs_reference) { check_random("cpu:f32:nchw/conv-winograd23/avx2", 1e-5); }
Test(x86_winograd, f43_avx2_vs_reference) { check_random("cpu:f32:nchw/conv-winograd43/avx2", 1e-4); }
Test(x86_winograd, f63_avx2_vs_reference) { check_random("cpu:f32:nchw/conv-winograd63/avx2", 3e-4); }

/* Double-precision gather loop, independent of both routines. */
static void conv3x3_f64(const wcfg *c, const float *x, const float *w, const float *b,
                        double *y) {
  for (int64_t m = 0; m < c->m; m++)
    for (int64_t oy = 0; oy < c->oh; oy++)
      for (int64_t ox = 0; ox < c->ow; ox++) {
        double s = b[m];
        for (int64_t ci = 0; ci < c->c; ci++)
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
              int64_t iy = oy - c->pt + ky, ix = ox - c->pl + kx;
              if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w) continue;
              s += (double)x[(ci * c->h + iy) * c->w + ix] * (double)w[((m * c->c + ci) * 3 + ky) * 3 + kx];
            }
        y[(m * c->oh + oy) * c->ow + ox] = s;
      }
}

/* Relative L2 error ||y - ref|| / ||ref|| of a routine on a VGG-like layer:
 * post-ReLU activations (uniform [0, 1)), He-scaled weights, 128 channels. */
static double rel_l2(const char *desc, double *max_rel) {
  wcfg c = {1, 128, 32, 1, 28, 28, 1, 1, 1, 1, 0, 0, 1, NC_ACT_NONE, 0, 0};
  wcall cc;
  wcall_init(&cc, &c, 3, 1, 1);
  int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
  float *x = malloc(sizeof(float) * (size_t)xn), *w = rand_buf(wn), *b = rand_buf(c.m);
  float *y = malloc(sizeof(float) * (size_t)yn);
  double *e = malloc(sizeof(double) * (size_t)yn);
  for (int64_t i = 0; i < xn; i++) x[i] = (float)rand() / (float)RAND_MAX;
  double ws = sqrt(2.0 / (9.0 * (double)c.c)) * sqrt(3.0); /* uniform with He variance */
  for (int64_t i = 0; i < wn; i++) w[i] *= (float)ws;
  conv3x3_f64(&c, x, w, b, e);
  const void *in[3] = {x, w, b};
  void *out[1] = {y};
  run_routine(must_find(desc), &cc.a, in, out, 0x2);
  double num = 0, den = 0, worst = 0;
  for (int64_t i = 0; i < yn; i++) {
    double d = (double)y[i] - e[i];
    num += d * d;
    den += e[i] * e[i];
    double r = fabs(d) / fmax(fabs(e[i]), 1e-3);
    if (r > worst) worst = r;
  }
  *max_rel = worst;
  free(x); free(w); free(b); free(y); free(e);
  return sqrt(num / den);
}

static void check_accuracy(const char *desc, double tol) {
  const nc_routine *r = must_find(desc);
  char isa[16];
  if (!nc_cpu_supports(nc_routine_isa(r, isa, sizeof isa)))
    cr_skip_test("CPU lacks %s", isa);
  srand(99);
  double max_rel = 0, l2 = rel_l2(desc, &max_rel);
  cr_log_info("%s: relative L2 %.3g, max relative %.3g", desc, l2, max_rel);
  cr_expect(l2 < tol, "%s: relative L2 error %g >= %g", desc, l2, tol);
}

/* The zoo compares whole networks at 1e-4 relative L2; one layer must stay
 * far below that (vgg16 stacks 13 of them). */
Test(x86_winograd, accuracy_direct_reference) { check_accuracy(REF_DESC, 1e-6); }
Test(x86_winograd, accuracy_f23) { check_accuracy("cpu:f32:nchw/conv-winograd23/avx512", 1e-6); }
Test(x86_winograd, accuracy_f43) { check_accuracy("cpu:f32:nchw/conv-winograd43/avx512", 3e-6); }
Test(x86_winograd, accuracy_f63) { check_accuracy("cpu:f32:nchw/conv-winograd63/avx512", 2e-5); }

Test(x86_winograd, applies_only_to_3x3_stride1) {
  const nc_routine *r = must_find("cpu:f32:nchw/conv-winograd43/avx512");
  wcfg c = {1, 8, 8, 1, 10, 10, 1, 1, 1, 1, 0, 0, 0, NC_ACT_NONE, 0, 0};
  wcall cc;
  wcall_init(&cc, &c, 3, 1, 1);
  cr_expect(r->applies(&cc.a), "3x3 stride 1 should apply");
  wcall_init(&cc, &c, 3, 2, 1);
  cr_expect(!r->applies(&cc.a), "stride 2 must not apply");
  wcall_init(&cc, &c, 3, 1, 2);
  cr_expect(!r->applies(&cc.a), "dilation 2 must not apply");
  wcall_init(&cc, &c, 5, 1, 1);
  cr_expect(!r->applies(&cc.a), "5x5 must not apply");
  wcall_init(&cc, &c, 1, 1, 1);
  cr_expect(!r->applies(&cc.a), "1x1 must not apply");
}

/* Scratch stays bounded on the largest VGG-16 layers (224x224x64, 28x28x512). */
Test(x86_winograd, scratch_is_bounded) {
  wcfg big[2] = {{1, 64, 64, 1, 224, 224, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0},
                 {1, 512, 512, 1, 28, 28, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0}};
  const char *descs[3] = {"cpu:f32:nchw/conv-winograd23/avx512",
                          "cpu:f32:nchw/conv-winograd43/avx512",
                          "cpu:f32:nchw/conv-winograd63/avx512"};
  for (int i = 0; i < 2; i++)
    for (int d = 0; d < 3; d++) {
      wcall cc;
      wcall_init(&cc, &big[i], 3, 1, 1);
      size_t s = must_find(descs[d])->scratch_bytes(&cc.a);
      cr_expect(s <= ((size_t)4 << 20), "%s scratch %zu bytes on case %d", descs[d], s, i);
    }
}
