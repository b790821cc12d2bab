/* x86 packed GEMM family (runtime-min/src/x86_gemm*.c): every routine forced
 * against its layer's reference routine (the NC_RF_REFERENCE table entry) on
 * random shapes and attributes, odd sizes and every fused activation; the
 * driver against a naive product across its block boundaries. Tests of an
 * ISA the CPU lacks are skipped with a message.
 *
 * Micro-benchmark: NC_GEMM_BENCH=1 build-gemm/tests/test_x86_gemm
 * --filter 'x86_gemm/bench' prints GFLOP/s of every tile and of the c99
 * routines on resnet50-like shapes (docs/x86-gemm.md). */
#include <time.h>

#include "test_nn_util.h"

#include "../../runtime-min/src/x86_gemm.h"

#define TILES 4
static const char *const tile_names[TILES] = {"avx2/6x16", "avx512/14x32", "avx512/8x48",
                                              "avx512/6x64"};

static const nc_routine *reference_of(const char *layer) {
  const nc_routine *t = nc_routine_table();
  for (int i = 0; i < nc_routine_count(); i++)
    if (strcmp(t[i].layer, layer) == 0 && (t[i].flags & NC_RF_REFERENCE) &&
        (t[i].dtypes & NC_DT(NC_F32)))
      return &t[i];
  cr_assert_fail("no reference routine for %s", layer);
  return NULL;
}

/* The routine `prefix` + tile, or a skip when this CPU cannot run it. */
static const nc_routine *routine_or_skip(const char *prefix, const char *tile) {
  char desc[96], isa[32];
  snprintf(desc, sizeof desc, "%s%s", prefix, tile);
  const nc_routine *r = must_find(desc);
  nc_routine_isa(r, isa, sizeof isa);
  if (!nc_cpu_supports(isa)) {
    cr_skip_test("%s: this CPU lacks %s", desc, isa);
    return NULL;
  }
  return r;
}

static double act_ref(double v, int64_t act, double alpha, double beta) {
  switch (act) {
  case NC_ACT_RELU: return v < 0 ? 0 : v;
  case NC_ACT_CLIP: return v < alpha ? alpha : v > beta ? beta : v;
  case NC_ACT_LEAKYRELU: return v < 0 ? v * alpha : v;
  case NC_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
  case NC_ACT_HARDSWISH: return v * fmin(fmax(v + 3, 0), 6) / 6;
  case NC_ACT_SILU: return v / (1.0 + exp(-v));
  default: return v;
  }
}

/* ---------------- driver ---------------- */

#if defined(__x86_64__)
/* C = act(A*B + bias [+ S]) through nc_xgemm with both operands packed on
 * the fly (A, B) or whole (weights), against a double-precision loop. Sizes
 * cross the K, N and M blocks of every tile. */
static void check_driver(const nc_xgemm_tile *t, int64_t m, int64_t n, int64_t k, int a_fly,
                         int64_t act, int with_sum) {
  float *a = rand_buf(m * k), *b = rand_buf(k * n), *br = rand_buf(m), *bc = rand_buf(n);
  float *c = rand_buf(m * n), *e = rand_buf(m * n), *sum = rand_buf(m * n);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = br[i] + bc[j] + (with_sum ? sum[i * n + j] : 0.0);
      for (int64_t p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
      e[i * n + j] = (float)act_ref(s, act, -0.5, 0.5);
    }
  float *ap = malloc(nc_xgemm_packed_a_floats(t->mr, m, k) * sizeof(float));
  float *bp = malloc(nc_xgemm_packed_b_floats(t->nr, k, n) * sizeof(float));
  nc_xgemm_pack_a(t->mr, m, k, a, k, 1, 1.0f, ap);
  nc_xgemm_pack_b(t->nr, k, n, b, n, 1, bp);
  nc_xgemm_strided as = {a, m, k, 1, 1.0f}, bs = {b, n, 1, n, 1.0f};
  nc_xgemm_operand A = {a_fly ? NULL : ap, nc_xgemm_pack_strided, &as};
  nc_xgemm_operand B = {a_fly ? bp : NULL, nc_xgemm_pack_strided, &bs};
  float *scratch = malloc((nc_xgemm_scratch_floats(t, m, n, k, a_fly, !a_fly) + 1) * sizeof(float));
  nc_sgemm_epilogue ep = {br, bc, act, -0.5f, 0.5f, 0};
  nc_xgemm(t, m, n, k, &A, &B, c, n, with_sum ? sum : NULL, &ep, scratch);
  cr_expect(max_rel_err(c, e, m * n) < 1e-4,
            "%s %dx%d: m%lld n%lld k%lld a_fly %d act %lld sum %d", t->isa, t->mr, t->nr,
            (long long)m, (long long)n, (long long)k, a_fly, (long long)act, with_sum);
  free(a); free(b); free(br); free(bc); free(c); free(e); free(sum); free(ap); free(bp);
  free(scratch);
}
#endif

Test(x86_gemm, driver_block_boundaries) {
#if defined(__x86_64__)
  const nc_xgemm_tile *tiles[TILES] = {&nc_xgemm_avx2_6x16, &nc_xgemm_avx512_14x32,
                                       &nc_xgemm_avx512_8x48, &nc_xgemm_avx512_6x64};
  srand(11);
  int ran = 0;
  for (int ti = 0; ti < TILES; ti++) {
    const nc_xgemm_tile *t = tiles[ti];
    if (!nc_cpu_supports(t->isa)) continue;
    ran++;
    const int64_t kc = nc_xgemm_kc(t), nc = nc_xgemm_nc(t), mc = nc_xgemm_mc(t);
    cr_expect(kc >= 16 && nc % t->nr == 0 && mc % t->mr == 0, "blocks of %dx%d", t->mr, t->nr);
    const int64_t sizes[][3] = {{1, 1, 1},       {t->mr, t->nr, 7}, {t->mr + 1, t->nr - 1, kc},
                                {3, 2 * t->nr + 5, kc + 1},           {mc + 3, 9, 2 * kc + 5},
                                {2 * t->mr - 1, nc + t->nr + 3, 33}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
      for (int fly = 0; fly < 2; fly++)
        for (int with_sum = 0; with_sum < 2; with_sum++)
          check_driver(t, sizes[s][0], sizes[s][1], sizes[s][2], fly,
                       (int64_t)((s + fly + with_sum) % 7), with_sum);
  }
  if (!ran) cr_skip_test("this CPU has neither AVX2+FMA nor AVX-512");
#else
  cr_skip_test("not an x86-64 build");
#endif
}

/* ---------------- Conv ---------------- */

typedef struct conv_case {
  int64_t n, c, m, group, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow;
  int bias;
  int64_t act;
  double alpha, beta;
  int sum; /* a fused residual input S (args_nn.h NC_CONV_IN_SUM) */
} conv_case;

typedef struct conv_call {
  nc_tdesc in[4], out[1];
  int64_t ia[NC_CONV_IA_COUNT];
  double fa[NC_CONV_FA_COUNT];
  nc_args a;
} conv_call;

static void conv_call_init(conv_call *cc, const conv_case *c) {
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->m, c->c / c->group, c->kh, c->kw};
  int64_t yd[4] = {c->n, c->m, c->oh, c->ow}, bd[1] = {c->m};
  cc->in[0] = td(NC_F32, 4, xd);
  cc->in[1] = td(NC_F32, 4, wd);
  cc->in[2] = c->bias ? td(NC_F32, 1, bd) : td(0, 0, NULL);
  cc->out[0] = td(NC_F32, 4, yd);
  cc->in[3] = c->sum ? cc->out[0] : td(0, 0, NULL);
  memset(cc->ia, 0, sizeof cc->ia);
  cc->ia[NC_CONV_IA_NSPATIAL] = 2;
  cc->ia[NC_CONV_IA_GROUP] = c->group;
  cc->ia[NC_CONV_IA_ACT] = c->act;
  const int64_t s[3] = {c->sh, c->sw, 1}, d[3] = {c->dh, c->dw, 1};
  const int64_t pb[3] = {c->pt, c->pl, 0}, pe[3] = {c->pb, c->pr, 0};
  for (int i = 0; i < 3; i++) {
    cc->ia[NC_CONV_IA_STRIDE + i] = s[i];
    cc->ia[NC_CONV_IA_DILATION + i] = d[i];
    cc->ia[NC_CONV_IA_PAD_BEGIN + i] = pb[i];
    cc->ia[NC_CONV_IA_PAD_END + i] = pe[i];
  }
  cc->fa[NC_CONV_FA_ACT_ALPHA] = c->alpha;
  cc->fa[NC_CONV_FA_ACT_BETA] = c->beta;
  nc_args a = {c->sum ? 4 : c->bias ? 3 : 2, 1, cc->in, cc->out, cc->ia, cc->fa,
               NC_CONV_IA_COUNT, NC_CONV_FA_COUNT};
  cc->a = a;
}

static int conv_finish(conv_case *c) {
  int64_t sh = c->h + c->pt + c->pb - ((c->kh - 1) * c->dh + 1);
  int64_t sw = c->w + c->pl + c->pr - ((c->kw - 1) * c->dw + 1);
  if (sh < 0 || sw < 0) return 0;
  c->oh = sh / c->sh + 1;
  c->ow = sw / c->sw + 1;
  return 1;
}

/* Random 2-D conv: plain, grouped, depthwise, pointwise (1x1 stride 1) and
 * channel counts that cross register tiles; activation i % 7 so every code
 * comes up, with and without a residual sum. */
static conv_case random_conv(int i) {
  for (;;) {
    conv_case c;
    memset(&c, 0, sizeof c);
    int kind = rand() % 5;
    int64_t cg = 1 + rand() % 13, mg = 1 + rand() % 40;
    c.n = 1 + rand() % 2;
    c.group = kind == 1 ? 2 + rand() % 3 : 1;
    if (kind == 2) { cg = 1; mg = 1 + rand() % 2; c.group = 1 + rand() % 9; }
    c.c = cg * c.group;
    c.m = mg * c.group;
    c.h = 1 + rand() % 13;
    c.w = 1 + rand() % 17;
    if (kind == 3) { /* pointwise */
      c.kh = c.kw = c.sh = c.sw = c.dh = c.dw = 1;
    } else {
      c.kh = 1 + rand() % 4; c.kw = 1 + rand() % 4;
      c.sh = 1 + rand() % 3; c.sw = 1 + rand() % 3;
      c.dh = 1 + rand() % 2; c.dw = 1 + rand() % 2;
      c.pt = rand() % 3; c.pl = rand() % 3; c.pb = rand() % 3; c.pr = rand() % 3;
    }
    c.bias = rand() % 3 != 0;
    c.act = i % 7;
    c.alpha = c.act == NC_ACT_CLIP ? -0.4 : 0.15;
    c.beta = 0.6;
    c.sum = (i / 7) % 2;
    if (conv_finish(&c)) return c;
  }
}

/* Runs routine r on c with NCHW buffers (NHWC routines get transposed ones);
 * s is the residual input when c->sum. */
static void run_conv(const nc_routine *r, const conv_case *c, const float *x, const float *w,
                     const float *b, const float *s, float *y) {
  conv_call cc;
  conv_call_init(&cc, c);
  cr_assert(r->applies == NULL || r->applies(&cc.a), "%s should apply (sum %d)",
            r->descriptor, c->sum);
  const int nhwc = r->in_layout == NC_LAYOUT_NHWC;
  const int64_t xn = nc_numel(&cc.in[0]), yn = nc_numel(&cc.out[0]);
  float *xt = nhwc ? malloc(sizeof(float) * (size_t)(xn + 1)) : NULL;
  float *yt = nhwc ? malloc(sizeof(float) * (size_t)(yn + 1)) : NULL;
  float *st = nhwc ? malloc(sizeof(float) * (size_t)(yn + 1)) : NULL;
  if (nhwc) to_layout(&cc.in[0], x, xt, 1);
  if (nhwc) to_layout(&cc.out[0], s, st, 1);
  const void *in[4] = {nhwc ? xt : x, w, b, c->sum ? (nhwc ? st : s) : NULL};
  void *out[1] = {nhwc ? yt : y};
  run_routine(r, &cc.a, in, out, 0x6);
  if (nhwc) to_layout(&cc.out[0], yt, y, 0);
  free(xt);
  free(yt);
  free(st);
}

static void check_conv(const nc_routine *r, const conv_case *c, int trial) {
  conv_call cc;
  conv_call_init(&cc, c);
  const int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
  float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(c->m);
  float *y = rand_buf(yn), *e = rand_buf(yn), *s = rand_buf(yn);
  run_conv(reference_of("Conv"), c, x, w, c->bias ? b : NULL, s, e);
  run_conv(r, c, x, w, c->bias ? b : NULL, s, y);
  cr_expect(max_rel_err(y, e, yn) < 1e-4,
            "%s trial %d: err %g (n%lld c%lld m%lld g%lld in %lldx%lld k %lldx%lld s %lld,%lld "
            "d %lld,%lld act %lld sum %d)",
            r->descriptor, trial, max_rel_err(y, e, yn), (long long)c->n, (long long)c->c,
            (long long)c->m, (long long)c->group, (long long)c->h, (long long)c->w,
            (long long)c->kh, (long long)c->kw, (long long)c->sh, (long long)c->sw,
            (long long)c->dh, (long long)c->dw, (long long)c->act, c->sum);
  free(x); free(w); free(b); free(y); free(e); free(s);
}

/* 60 random cases, then shapes that cross K (C*kh*kw > 512), N and M blocks. */
static void force_conv(const char *prefix, const char *tile) {
  const nc_routine *r = routine_or_skip(prefix, tile);
  srand(1234);
  for (int i = 0; i < 60; i++) {
    conv_case c = random_conv(i);
    check_conv(r, &c, i);
  }
  /* n c m g h w kh kw sh sw dh dw pt pl pb pr */
  conv_case big[] = {
      {1, 64, 70, 1, 12, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, NC_ACT_RELU, 0, 0, 1},
      {1, 600, 33, 1, 9, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, NC_ACT_HARDSWISH, 0, 0, 0},
      {2, 20, 29, 1, 33, 35, 3, 3, 2, 2, 1, 1, 1, 0, 1, 2, 0, 0, 0, NC_ACT_NONE, 0, 0, 1},
      {1, 8, 16, 1, 60, 60, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, NC_ACT_SILU, 0, 0, 1},
      {1, 8, 16, 1, 60, 60, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, NC_ACT_LEAKYRELU, 0.1, 0, 0}};
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    cr_assert(conv_finish(&big[i]));
    check_conv(r, &big[i], 100 + (int)i);
  }
}

#define CONV_TESTS(NAME, TILE_INDEX)                                                        \
  Test(x86_gemm, conv_nchw_##NAME) { force_conv("cpu:f32:nchw/conv-im2col/", tile_names[TILE_INDEX]); } \
  Test(x86_gemm, conv_nhwc_##NAME) { force_conv("cpu:f32:nhwc/conv-im2col/", tile_names[TILE_INDEX]); }
CONV_TESTS(avx2_6x16, 0)
CONV_TESTS(avx512_14x32, 1)
CONV_TESTS(avx512_8x48, 2)
CONV_TESTS(avx512_6x64, 3)

/* ---------------- Gemm ---------------- */

/* crank: -1 no C; 0 scalar; 1 [N]; 2 [M,1]; 3 [M,N]; 4 [1,N] */
static void check_gemm(const nc_routine *r, int64_t m, int64_t n, int64_t k, int ta, int tb,
                       int crank, double alpha, double beta, int64_t act, int trial) {
  int64_t ad[2] = {ta ? k : m, ta ? m : k}, bd[2] = {tb ? n : k, tb ? k : n};
  int64_t yd[2] = {m, n}, cd[2] = {m, n}, cn = 1;
  nc_tdesc in[3] = {td(NC_F32, 2, ad), td(NC_F32, 2, bd), td(0, 0, NULL)};
  if (crank == 0) in[2] = td(NC_F32, 0, NULL);
  if (crank == 1) { in[2] = td(NC_F32, 1, &n); cn = n; }
  if (crank == 2) { cd[1] = 1; in[2] = td(NC_F32, 2, cd); cn = m; }
  if (crank == 3) { in[2] = td(NC_F32, 2, cd); cn = m * n; }
  if (crank == 4) { cd[0] = 1; in[2] = td(NC_F32, 2, cd); cn = n; }
  nc_tdesc out[1] = {td(NC_F32, 2, yd)};
  int64_t ia[NC_GEMM_IA_COUNT] = {ta, tb, act};
  double fa[NC_GEMM_FA_COUNT] = {alpha, beta, act == NC_ACT_CLIP ? -0.3 : 0.2, 0.7};
  nc_args a = {crank >= 0 ? 3 : 2, 1, in, out, ia, fa, NC_GEMM_IA_COUNT, NC_GEMM_FA_COUNT};
  float *A = rand_buf(m * k), *B = rand_buf(k * n), *C = rand_buf(cn);
  float *y = rand_buf(m * n), *e = rand_buf(m * n);
  const void *ins[3] = {A, B, C};
  void *ye[1] = {e}, *yy[1] = {y};
  run_routine(reference_of("Gemm"), &a, ins, ye, 0);
  run_routine(r, &a, ins, yy, 0x2);
  cr_expect(max_rel_err(y, e, m * n) < 1e-4,
            "%s trial %d: m%lld n%lld k%lld ta%d tb%d c%d alpha %g beta %g act %lld",
            r->descriptor, trial, (long long)m, (long long)n, (long long)k, ta, tb, crank, alpha,
            beta, (long long)act);
  free(A); free(B); free(C); free(y); free(e);
}

static void force_gemm(const char *tile) {
  const nc_routine *r = routine_or_skip("cpu:f32:nchw/gemm-packed/", tile);
  srand(99);
  for (int i = 0; i < 60; i++) {
    int64_t m = 1 + rand() % 40, n = 1 + rand() % 80, k = 1 + rand() % 70;
    const double alphas[] = {1.0, 0.5, -2.0}, betas[] = {1.0, 0.0, 0.25};
    check_gemm(r, m, n, k, rand() % 2, rand() % 2, rand() % 6 - 1, alphas[rand() % 3],
               betas[rand() % 3], i % 6, i);
  }
  check_gemm(r, 1, 1000, 2048, 0, 1, 1, 1.0, 1.0, NC_ACT_NONE, 100); /* classifier head */
  check_gemm(r, 37, 700, 1100, 1, 0, 3, 0.5, 0.5, NC_ACT_RELU, 101);
  check_gemm(r, 300, 50, 530, 0, 0, 2, 1.0, 1.0, NC_ACT_SIGMOID, 102);
}

/* ---------------- MatMul ---------------- */

static void check_matmul(const nc_routine *r, int ra, const int64_t *adims, int rb, int64_t k,
                         int64_t n, int trial) {
  int64_t bd[2] = {k, n}, yd[NC_MAX_DIMS];
  int ry = 0;
  for (int i = 0; i < ra - 1; i++) yd[ry++] = adims[i];
  if (ra == 1) ry = 0;
  if (rb == 2) yd[ry++] = n;
  nc_tdesc in[2] = {td(NC_F32, ra, adims), td(NC_F32, rb, bd)};
  nc_tdesc out[1] = {td(NC_F32, ry, yd)};
  nc_args a = {2, 1, in, out, NULL, NULL, 0, 0};
  const int64_t an = nc_numel(&in[0]), yn = nc_numel(&out[0]);
  float *A = rand_buf(an), *B = rand_buf(k * n), *y = rand_buf(yn), *e = rand_buf(yn);
  const void *ins[2] = {A, B};
  void *ye[1] = {e}, *yy[1] = {y};
  cr_assert(r->applies(&a), "%s must apply to a rank-%d B", r->descriptor, rb);
  run_routine(reference_of("MatMul"), &a, ins, ye, 0);
  run_routine(r, &a, ins, yy, 0x2);
  cr_expect(max_rel_err(y, e, yn) < 1e-4, "%s trial %d: A rank %d, B rank %d, k%lld n%lld",
            r->descriptor, trial, ra, rb, (long long)k, (long long)n);
  free(A); free(B); free(y); free(e);
}

static void force_matmul(const char *tile) {
  const nc_routine *r = routine_or_skip("cpu:f32:nchw/matmul-packed/", tile);
  srand(5);
  for (int i = 0; i < 60; i++) {
    int ra = 1 + rand() % 4, rb = 1 + rand() % 2;
    int64_t k = 1 + rand() % 60, n = rb == 2 ? 1 + rand() % 70 : 1, ad[4];
    for (int d = 0; d < ra - 1; d++) ad[d] = 1 + rand() % (d == ra - 2 ? 30 : 4);
    ad[ra - 1] = k;
    check_matmul(r, ra, ad, rb, k, n, i);
  }
  int64_t big[3] = {3, 197, 600};
  check_matmul(r, 3, big, 2, 600, 130, 100);
  int64_t b3[3] = {2, 2, 2};
  nc_tdesc bdesc = td(NC_F32, 3, b3);
  nc_args batched = {2, 1, &bdesc, &bdesc, NULL, NULL, 0, 0};
  nc_tdesc ins[2] = {bdesc, bdesc};
  batched.in = ins;
  cr_expect(!r->applies(&batched), "%s must refuse a batched B", r->descriptor);
}

#define LAYER_TESTS(NAME, TILE_INDEX)                                                       \
  Test(x86_gemm, gemm_##NAME) { force_gemm(tile_names[TILE_INDEX]); }                        \
  Test(x86_gemm, matmul_##NAME) { force_matmul(tile_names[TILE_INDEX]); }
LAYER_TESTS(avx2_6x16, 0)
LAYER_TESTS(avx512_14x32, 1)
LAYER_TESTS(avx512_8x48, 2)
LAYER_TESTS(avx512_6x64, 3)

/* ---------------- table ---------------- */

Test(x86_gemm, table_entries) {
#if defined(__x86_64__)
  const char *algos[4] = {"cpu:f32:nchw/conv-im2col/", "cpu:f32:nhwc/conv-im2col/",
                          "cpu:f32:nchw/gemm-packed/", "cpu:f32:nchw/matmul-packed/"};
  const char *layers[4] = {"Conv", "Conv", "Gemm", "MatMul"};
  for (int ti = 0; ti < TILES; ti++)
    for (int l = 0; l < 4; l++) {
      char desc[96], isa[32];
      snprintf(desc, sizeof desc, "%s%s", algos[l], tile_names[ti]);
      const nc_routine *r = must_find(desc);
      cr_expect_str_eq(r->layer, layers[l]);
      cr_expect(!(r->flags & NC_RF_REFERENCE), "%s is not a reference", desc);
      cr_expect((r->flags & NC_RF_ACT) || l == 3, "%s must honour fused activations", desc);
      cr_expect(r->packed_bytes && r->pack && r->scratch_bytes, "%s packs its weights", desc);
      cr_expect_str_eq(nc_routine_isa(r, isa, sizeof isa), ti == 0 ? "avx2" : "avx512");
    }
#else
  cr_expect_null(nc_routine_find("cpu:f32:nchw/conv-im2col/avx2/6x16"));
#endif
}

/* ---------------- micro-benchmark ---------------- */

static double now_s(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best-of-N time of one routine call on conv case c (weights pre-packed). */
static double time_conv(const nc_routine *r, const conv_case *c, const float *x,
                        const float *w, const float *b, float *y) {
  conv_call cc;
  conv_call_init(&cc, c);
  size_t pb = r->packed_bytes ? r->packed_bytes(&cc.a, 1) : 0;
  void *wp = pb ? malloc(pb) : NULL;
  if (pb) r->pack(&cc.a, 1, w, wp);
  size_t sb = r->scratch_bytes ? r->scratch_bytes(&cc.a) : 0;
  void *scratch = sb ? malloc(sb) : NULL;
  const void *in[3] = {x, pb ? wp : w, b};
  void *out[1] = {y};
  double best = 1e30, spent = 0;
  for (int rep = 0; rep < 50 && (rep < 3 || spent < 0.3); rep++) {
    double t0 = now_s();
    r->fn(&cc.a, in, out, scratch);
    double dt = now_s() - t0;
    spent += dt;
    if (dt < best) best = dt;
  }
  free(wp);
  free(scratch);
  return best;
}

/* Classifier heads (Gemm, batch 1, transB): vgg16 fc6, fc7 and resnet50 fc.
 * One row of A: bound by streaming the packed weights from memory. */
static void bench_classifiers(void) {
  const int64_t shapes[3][2] = {{25088, 4096}, {4096, 4096}, {2048, 1000}}; /* K, N */
  fprintf(stderr, "%-8s %-36s %5s %5s %5s %9s %8s\n", "layer", "routine", "M", "K", "N", "ms",
          "GB/s");
  for (int s = 0; s < 3; s++) {
    const int64_t k = shapes[s][0], n = shapes[s][1], ad[2] = {1, k}, bd[2] = {n, k};
    const int64_t yd[2] = {1, n};
    nc_tdesc in[3] = {td(NC_F32, 2, ad), td(NC_F32, 2, bd), td(NC_F32, 1, &n)};
    nc_tdesc out[1] = {td(NC_F32, 2, yd)};
    int64_t ia[NC_GEMM_IA_COUNT] = {0, 1, NC_ACT_RELU};
    double fa[NC_GEMM_FA_COUNT] = {1.0, 1.0, 0.0, 0.0};
    nc_args a = {3, 1, in, out, ia, fa, NC_GEMM_IA_COUNT, NC_GEMM_FA_COUNT};
    float *A = rand_buf(k), *B = rand_buf(k * n), *C = rand_buf(n), *y = rand_buf(n);
    for (int ti = -1; ti < TILES; ti++) {
      char desc[96], isa[32];
      snprintf(desc, sizeof desc, "cpu:f32:nchw/gemm-packed/%s", ti < 0 ? "c99" : tile_names[ti]);
      const nc_routine *r = must_find(desc);
      if (!nc_cpu_supports(nc_routine_isa(r, isa, sizeof isa))) continue;
      void *bp = malloc(r->packed_bytes(&a, 1));
      r->pack(&a, 1, B, bp);
      size_t sb = r->scratch_bytes(&a);
      void *scratch = malloc(sb ? sb : 1);
      const void *ins[3] = {A, bp, C};
      void *outs[1] = {y};
      double best = 1e30;
      for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        r->fn(&a, ins, outs, scratch);
        double dt = now_s() - t0;
        if (dt < best) best = dt;
      }
      fprintf(stderr, "%-8s %-36s %5d %5lld %5lld %9.3f %8.1f\n", "Gemm", desc, 1, (long long)k,
              (long long)n, best * 1e3, (double)(k * n) * 4.0 / best * 1e-9);
      free(bp);
      free(scratch);
    }
    free(A); free(B); free(C); free(y);
  }
}

Test(x86_gemm, bench, .timeout = 600) {
  if (!getenv("NC_GEMM_BENCH")) cr_skip_test("set NC_GEMM_BENCH=1 to run the micro-benchmark");
  /* resnet50 convolutions: 3x3 (K = 9C) and 1x1 (K = C) at each stage */
  conv_case shapes[] = {
      {1, 64, 64, 1, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, NC_ACT_RELU, 0, 0, 0},
      {1, 128, 128, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, NC_ACT_RELU, 0, 0, 0},
      {1, 256, 256, 1, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, NC_ACT_RELU, 0, 0, 0},
      {1, 512, 512, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, NC_ACT_RELU, 0, 0, 0},
      {1, 256, 64, 1, 56, 56, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, NC_ACT_RELU, 0, 0, 0},
      {1, 1024, 256, 1, 14, 14, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, NC_ACT_RELU, 0, 0, 0},
      {1, 512, 2048, 1, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, NC_ACT_NONE, 0, 0, 0},
  };
  const char *prefixes[2] = {"cpu:f32:nchw/conv-im2col/", "cpu:f32:nhwc/conv-im2col/"};
  fprintf(stderr, "%-8s %-36s %5s %5s %5s %9s %8s\n", "layout", "routine", "M", "K", "N",
          "ms", "GFLOP/s");
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    conv_case *c = &shapes[s];
    cr_assert(conv_finish(c));
    const int64_t M = c->m, K = c->c * c->kh * c->kw, N = c->oh * c->ow;
    const double flop = 2.0 * (double)M * (double)K * (double)N;
    float *x = rand_buf(c->n * c->c * c->h * c->w), *w = rand_buf(M * K), *b = rand_buf(M);
    float *y = rand_buf(M * N);
    for (int l = 0; l < 2; l++)
      for (int ti = -1; ti < TILES; ti++) {
        char desc[96], isa[32];
        snprintf(desc, sizeof desc, "%s%s", prefixes[l], ti < 0 ? "c99" : tile_names[ti]);
        const nc_routine *r = must_find(desc);
        if (!nc_cpu_supports(nc_routine_isa(r, isa, sizeof isa))) continue;
        double t = time_conv(r, c, x, w, b, y);
        fprintf(stderr, "%-8s %-36s %5lld %5lld %5lld %9.3f %8.1f\n", l ? "nhwc" : "nchw", desc,
                (long long)M, (long long)K, (long long)N, t * 1e3, flop / t * 1e-9);
      }
    free(x); free(w); free(b); free(y);
  }
  bench_classifiers();
}
