/* Winograd F(m,3) routines in NCHW16c (x86_winograd16c.c): each one forced
 * against the reference Conv (cpu:f32:nchw/conv-direct/c99) on random 3x3
 * stride-1 shapes, with blocked data made and read back by the blocked
 * family's adapters; the layout invariant (output padding lanes exactly
 * zero, input padding lanes never reaching a real output); numerical error
 * on a VGG-like layer against a double-precision loop; applicability and
 * scratch bounds. Skipped when the CPU lacks AVX-512. */
#include "test_nn_util.h"

#define REF_DESC "cpu:f32:nchw/conv-direct/c99"
#define TO16_DESC "cpu:f32:nchw/to-nchw16c/c99"
#define FROM16_DESC "cpu:f32:nchw16c/to-nchw/c99"

typedef struct wcfg {
  int64_t n, c, m, h, w, pt, pl, pb, pr, oh, ow;
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

static void wcall_init(wcall *cc, wcfg *c, int64_t k, int64_t stride, int64_t group) {
  c->oh = (c->h + c->pt + c->pb - k) / stride + 1;
  c->ow = (c->w + c->pl + c->pr - k) / stride + 1;
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->m, c->c / group, k, k};
  int64_t yd[4] = {c->n, c->m, c->oh, c->ow}, bd[1] = {c->m};
  cc->in[0] = td(NC_F32, 4, xd);
  cc->in[1] = td(NC_F32, 4, wd);
  cc->in[2] = c->bias ? td(NC_F32, 1, bd) : td(0, 0, NULL);
  cc->out[0] = td(NC_F32, 4, yd);
  cc->in[3] = td(0, 0, NULL);
  memset(cc->ia, 0, sizeof cc->ia);
  cc->ia[NC_CONV_IA_NSPATIAL] = 2;
  cc->ia[NC_CONV_IA_GROUP] = group;
  cc->ia[NC_CONV_IA_ACT] = c->act;
  for (int d = 0; d < 3; d++) {
    cc->ia[NC_CONV_IA_STRIDE + d] = d < 2 ? stride : 1;
    cc->ia[NC_CONV_IA_DILATION + d] = 1;
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

/* A random case: channel counts around and between the 16-lane blocks and
 * the 32-channel GEMM panels, odd and even planes (some with more tiles
 * than one tile block holds), pads 0..2 (asymmetric too), batch 2 now and
 * then, every activation code in turn. */
static wcfg random_cfg(int i) {
  wcfg c;
  memset(&c, 0, sizeof c);
  c.n = i % 4 == 1 ? 2 : 1;
  c.c = rnd(1, 40);
  c.m = rnd(1, 40);
  if (i % 5 == 3) {
    c.c = rnd(33, 70);
    c.m = rnd(33, 70);
  }
  c.h = rnd(1, 23);
  c.w = rnd(1, 37);
  int64_t pad = rnd(0, 2);
  c.pt = c.pb = c.pl = c.pr = pad;
  if (rnd(0, 2) == 0) {
    c.pt = rnd(0, 2);
    c.pb = rnd(0, 2);
    c.pl = rnd(0, 2);
    c.pr = rnd(0, 2);
  }
  while (c.h + c.pt + c.pb < 3) c.pb++;
  while (c.w + c.pl + c.pr < 3) c.pr++;
  c.bias = rnd(0, 3) != 0;
  c.act = i % 7; /* NONE RELU CLIP HARDSWISH SIGMOID LEAKYRELU SILU in turn */
  c.alpha = c.act == NC_ACT_CLIP ? (i % 12 == 2 ? 0.25 : -0.5) : 0.1; /* clip(0) != 0 too */
  c.beta = 0.75;
  return c;
}

/* A logical NCHW tensor converted by one of the blocked adapters. */
static void adapt(const char *desc, const nc_tdesc *d, const void *src, void *dst) {
  nc_tdesc ins[1] = {*d}, outs[1] = {*d};
  nc_args a = {1, 1, ins, outs, NULL, NULL, 0, 0};
  const void *in[1] = {src};
  void *out[1] = {dst};
  run_routine(must_find(desc), &a, in, out, 0);
}

static int64_t blocked_numel(const nc_tdesc *d) {
  return d->dims[0] * ((d->dims[1] + 15) / 16 * 16) * d->dims[2] * d->dims[3];
}

/* Counts lanes past the channel count that are not exactly +0.0f. */
static int64_t nonzero_padding(const nc_tdesc *d, const float *yb) {
  const int64_t cb = (d->dims[1] + 15) / 16, hw = d->dims[2] * d->dims[3];
  int64_t bad = 0;
  for (int64_t n = 0; n < d->dims[0]; n++)
    for (int64_t p = 0; p < hw; p++)
      for (int64_t l = d->dims[1] % 16 ? d->dims[1] % 16 : 16; l < 16; l++) {
        uint32_t bits;
        memcpy(&bits, yb + ((n * cb + cb - 1) * hw + p) * 16 + l, 4);
        bad += bits != 0;
      }
  return bad;
}

/* Fills the input's padding lanes with random finite values. */
static void fill_padding(const nc_tdesc *d, float *xb) {
  const int64_t cb = (d->dims[1] + 15) / 16, hw = d->dims[2] * d->dims[3];
  for (int64_t n = 0; n < d->dims[0]; n++)
    for (int64_t p = 0; p < hw; p++)
      for (int64_t l = d->dims[1] % 16 ? d->dims[1] % 16 : 16; l < 16; l++)
        xb[((n * cb + cb - 1) * hw + p) * 16 + l] = frand() * 100.0f;
}

typedef struct result {
  double err;
  int64_t bad_pad;
  int pad_changes;
} result;

/* Runs `desc` on blocked data and the reference on plain data, with a
 * residual sum input (blocked like the output) when `sum`. */
static result compare_with_ref(const char *desc, wcfg c, int sum) {
  wcall cc;
  wcall_init(&cc, &c, 3, 1, 1);
  if (sum) {
    cc.in[3] = cc.out[0];
    cc.a.n_in = 4;
  }
  int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
  int64_t xbn = blocked_numel(&cc.in[0]), ybn = blocked_numel(&cc.out[0]);
  float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(c.m), *s = rand_buf(yn);
  float *xb = rand_buf(xbn), *yb = rand_buf(ybn), *yb2 = rand_buf(ybn), *sb = rand_buf(ybn);
  float *y = rand_buf(yn), *e = rand_buf(yn);
  void *out_e[1] = {e}, *out_yb[1] = {yb}, *out_yb2[1] = {yb2};
  const void *in_ref[4] = {x, w, c.bias ? b : NULL, sum ? s : NULL};
  run_routine(must_find(REF_DESC), &cc.a, in_ref, out_e, 0);
  adapt(TO16_DESC, &cc.in[0], x, xb);
  adapt(TO16_DESC, &cc.out[0], s, sb);
  const void *in_b[4] = {xb, w, c.bias ? b : NULL, sum ? sb : NULL};
  run_routine(must_find(desc), &cc.a, in_b, out_yb, 0x2);
  adapt(FROM16_DESC, &cc.out[0], yb, y);
  result r = {max_rel_err(y, e, yn), nonzero_padding(&cc.out[0], yb), 0};
  /* garbage in the input's padding lanes must not change any output bit */
  fill_padding(&cc.in[0], xb);
  run_routine(must_find(desc), &cc.a, in_b, out_yb2, 0x2);
  r.pad_changes = memcmp(yb, yb2, sizeof(float) * (size_t)ybn) != 0;
  free(x); free(w); free(b); free(s); free(xb); free(yb); free(yb2); free(sb); free(y);
  free(e);
  return r;
}

static void skip_without_isa(const char *desc) {
  char isa[16];
  if (!nc_cpu_supports(nc_routine_isa(must_find(desc), isa, sizeof isa)))
    cr_skip_test("CPU lacks %s", isa);
}

static void check_random(const char *desc, double tol) {
  skip_without_isa(desc);
  srand(4321);
  double worst = 0;
  for (int i = 0; i < 64; i++) {
    wcfg c = random_cfg(i);
    const int sum = (i / 7) % 2;
    result r = compare_with_ref(desc, c, sum);
    worst = r.err > worst ? r.err : worst;
    /* the sums' rounding grows with their length: tolerances are set for
     * the NCHW tests' 21 channels and scaled by sqrt(C / 21) beyond */
    const double ctol = tol * (c.c > 21 ? sqrt((double)c.c / 21.0) : 1.0);
    cr_expect(r.err < ctol && r.bad_pad == 0 && !r.pad_changes,
              "%s case %d: N%ld C%ld M%ld %ldx%ld pads t%ld l%ld b%ld r%ld act %ld sum %d: "
              "max rel err %g, %ld nonzero padding lanes, padding changes output %d",
              desc, i, (long)c.n, (long)c.c, (long)c.m, (long)c.h, (long)c.w, (long)c.pt,
              (long)c.pl, (long)c.pb, (long)c.pr, (long)c.act, sum, r.err, (long)r.bad_pad,
              r.pad_changes);
  }
  cr_log_info("%s: worst max relative error over 64 cases %.3g", desc, worst);
}

/* Tolerances as for the NCHW routines (inputs and weights uniform in
 * [-1, 1]; here up to 70 input channels, see check_random). */
Test(x86_winograd16c, f23_vs_reference) {
  check_random("cpu:f32:nchw16c/conv-winograd23/avx512", 1e-5);
}
Test(x86_winograd16c, f43_vs_reference) {
  check_random("cpu:f32:nchw16c/conv-winograd43/avx512", 1e-4);
}
Test(x86_winograd16c, f63_vs_reference) {
  check_random("cpu:f32:nchw16c/conv-winograd63/avx512", 3e-4);
}

/* Double-precision loop over plain NCHW data, independent of the routines. */
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
              s += (double)x[(ci * c->h + iy) * c->w + ix] *
                   (double)w[((m * c->c + ci) * 3 + ky) * 3 + kx];
            }
        y[(m * c->oh + oy) * c->ow + ox] = s;
      }
}

/* Relative L2 error of a routine on a VGG-like layer: post-ReLU inputs
 * (uniform [0, 1)), He-scaled weights, 128 input channels, 28x28. */
static double rel_l2(const char *desc) {
  wcfg c = {1, 128, 32, 28, 28, 1, 1, 1, 1, 0, 0, 1, NC_ACT_NONE, 0, 0};
  wcall cc;
  wcall_init(&cc, &c, 3, 1, 1);
  int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
  float *x = malloc(sizeof(float) * (size_t)xn), *w = rand_buf(wn), *b = rand_buf(c.m);
  float *xb = malloc(sizeof(float) * (size_t)blocked_numel(&cc.in[0]));
  float *yb = malloc(sizeof(float) * (size_t)blocked_numel(&cc.out[0]));
  float *y = malloc(sizeof(float) * (size_t)yn);
  double *e = malloc(sizeof(double) * (size_t)yn);
  for (int64_t i = 0; i < xn; i++) x[i] = (float)rand() / (float)RAND_MAX;
  double ws = sqrt(2.0 / (9.0 * (double)c.c)) * sqrt(3.0); /* uniform with He variance */
  for (int64_t i = 0; i < wn; i++) w[i] *= (float)ws;
  conv3x3_f64(&c, x, w, b, e);
  adapt(TO16_DESC, &cc.in[0], x, xb);
  const void *in[3] = {xb, w, b};
  void *out[1] = {yb};
  run_routine(must_find(desc), &cc.a, in, out, 0x2);
  adapt(FROM16_DESC, &cc.out[0], yb, y);
  double num = 0, den = 0;
  for (int64_t i = 0; i < yn; i++) {
    double d = (double)y[i] - e[i];
    num += d * d;
    den += e[i] * e[i];
  }
  free(x); free(w); free(b); free(xb); free(yb); free(y); free(e);
  return sqrt(num / den);
}

static void check_accuracy(const char *desc, double tol) {
  skip_without_isa(desc);
  srand(99);
  double l2 = rel_l2(desc);
  cr_log_info("%s: relative L2 %.3g", desc, l2);
  cr_expect(l2 < tol, "%s: relative L2 error %g >= %g", desc, l2, tol);
}

/* Same bounds as the NCHW routines' (test_x86_winograd.c). */
Test(x86_winograd16c, accuracy_f23) {
  check_accuracy("cpu:f32:nchw16c/conv-winograd23/avx512", 1e-6);
}
Test(x86_winograd16c, accuracy_f43) {
  check_accuracy("cpu:f32:nchw16c/conv-winograd43/avx512", 3e-6);
}
Test(x86_winograd16c, accuracy_f63) {
  check_accuracy("cpu:f32:nchw16c/conv-winograd63/avx512", 2e-5);
}

Test(x86_winograd16c, applies_only_to_3x3_stride1_group1) {
  const nc_routine *r = must_find("cpu:f32:nchw16c/conv-winograd43/avx512");
  cr_expect(r->in_layout == NC_LAYOUT_NCHW16C && r->out_layout == NC_LAYOUT_NCHW16C,
            "layouts must be nchw16c");
  cr_expect((r->flags & NC_RF_APPROX) && (r->flags & NC_RF_ACT), "flags ACT | APPROX");
  wcfg c = {1, 8, 8, 10, 10, 1, 1, 1, 1, 0, 0, 0, NC_ACT_NONE, 0, 0};
  wcall cc;
  wcall_init(&cc, &c, 3, 1, 1);
  cr_expect(r->applies(&cc.a), "3x3 stride 1 should apply");
  wcall_init(&cc, &c, 3, 2, 1);
  cr_expect(!r->applies(&cc.a), "stride 2 must not apply");
  wcall_init(&cc, &c, 3, 1, 2);
  cr_expect(!r->applies(&cc.a), "group 2 must not apply");
  wcall_init(&cc, &c, 5, 1, 1);
  cr_expect(!r->applies(&cc.a), "5x5 must not apply");
  wcall_init(&cc, &c, 1, 1, 1);
  cr_expect(!r->applies(&cc.a), "1x1 must not apply");
}

/* Scratch stays a few MB on the largest VGG-16 layers (224x224x64,
 * 28x28x512). */
Test(x86_winograd16c, scratch_is_bounded) {
  wcfg big[2] = {{1, 64, 64, 224, 224, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0},
                 {1, 512, 512, 28, 28, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0}};
  const char *descs[3] = {"cpu:f32:nchw16c/conv-winograd23/avx512",
                          "cpu:f32:nchw16c/conv-winograd43/avx512",
                          "cpu:f32:nchw16c/conv-winograd63/avx512"};
  for (int i = 0; i < 2; i++)
    for (int d = 0; d < 3; d++) {
      wcall cc;
      wcall_init(&cc, &big[i], 3, 1, 1);
      size_t s = must_find(descs[d])->scratch_bytes(&cc.a);
      cr_expect(s <= ((size_t)4 << 20), "%s scratch %zu bytes on case %d", descs[d], s, i);
    }
}
