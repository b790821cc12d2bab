/* Conv routines: the reference against a naive gather loop written here, and
 * every alternative routine forced against the reference on random shapes. */
#include "test_nn_util.h"

typedef struct conv_cfg {
  int nsp;
  int64_t n, c, m, group;
  int64_t in[3], k[3], stride[3], dil[3], pb[3], pe[3], out[3];
  int bias;
  int64_t act;
  double act_alpha, act_beta;
} conv_cfg;

/* Completes out[]; 0 if the output would be empty. */
static int conv_finish(conv_cfg *c) {
  for (int d = 0; d < c->nsp; d++) {
    int64_t span = c->in[d] + c->pb[d] + c->pe[d] - ((c->k[d] - 1) * c->dil[d] + 1);
    if (span < 0) return 0;
    c->out[d] = span / c->stride[d] + 1;
  }
  return 1;
}


static double act_ref(double v, const conv_cfg *c) {
  switch (c->act) {
  case NC_ACT_RELU: return v < 0 ? 0 : v;
  case NC_ACT_CLIP: return v < c->act_alpha ? c->act_alpha : v > c->act_beta ? c->act_beta : v;
  case NC_ACT_LEAKYRELU: return v < 0 ? v * c->act_alpha : v;
  case NC_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
  case NC_ACT_HARDSWISH: return v * fmin(fmax(v + 3, 0), 6) / 6;
  case NC_ACT_SILU: return v / (1.0 + exp(-v));
  default: return v;
  }
}

/* Each output element gathers its window: independent of the routines'
 * tap-scatter and GEMM formulations. Spatial dims padded to 3 at the front. */
static void naive_conv(const conv_cfg *c, const float *x, const float *w, const float *b,
                       float *y) {
  int64_t I[3] = {1, 1, 1}, K[3] = {1, 1, 1}, O[3] = {1, 1, 1}, S[3] = {1, 1, 1},
          D[3] = {1, 1, 1}, P[3] = {0, 0, 0};
  for (int d = 0; d < c->nsp; d++) {
    int s = 3 - c->nsp + d;
    I[s] = c->in[d]; K[s] = c->k[d]; O[s] = c->out[d];
    S[s] = c->stride[d]; D[s] = c->dil[d]; P[s] = c->pb[d];
  }
  int64_t cg = c->c / c->group, mg = c->m / c->group;
  int64_t at = 0;
  for (int64_t n = 0; n < c->n; n++)
    for (int64_t m = 0; m < c->m; m++)
      for (int64_t o0 = 0; o0 < O[0]; o0++)
        for (int64_t o1 = 0; o1 < O[1]; o1++)
          for (int64_t o2 = 0; o2 < O[2]; o2++) {
            double s = b ? b[m] : 0.0;
            for (int64_t ci = 0; ci < cg; ci++)
              for (int64_t k0 = 0; k0 < K[0]; k0++)
                for (int64_t k1 = 0; k1 < K[1]; k1++)
                  for (int64_t k2 = 0; k2 < K[2]; k2++) {
                    int64_t i0 = o0 * S[0] - P[0] + k0 * D[0];
                    int64_t i1 = o1 * S[1] - P[1] + k1 * D[1];
                    int64_t i2 = o2 * S[2] - P[2] + k2 * D[2];
                    if (i0 < 0 || i0 >= I[0] || i1 < 0 || i1 >= I[1] || i2 < 0 || i2 >= I[2])
                      continue;
                    int64_t cin = (m / mg) * cg + ci;
                    double xv = x[(((n * c->c + cin) * I[0] + i0) * I[1] + i1) * I[2] + i2];
                    double wv = w[(((m * cg + ci) * K[0] + k0) * K[1] + k1) * K[2] + k2];
                    s += xv * wv;
                  }
            y[at++] = (float)act_ref(s, c);
          }
}

typedef struct conv_call {
  nc_tdesc in[4], out[1]; /* in[3]: the residual sum, only in the tests that add one */
  int64_t ia[NC_CONV_IA_COUNT];
  double fa[NC_CONV_FA_COUNT];
  nc_args a;
} conv_call;

static void conv_call_init(conv_call *cc, const conv_cfg *c) {
  int64_t xd[5] = {c->n, c->c}, wd[5] = {c->m, c->c / c->group}, yd[5] = {c->n, c->m};
  for (int d = 0; d < c->nsp; d++) {
    xd[2 + d] = c->in[d];
    wd[2 + d] = c->k[d];
    yd[2 + d] = c->out[d];
  }
  int64_t bd[1] = {c->m};
  cc->in[0] = td(NC_F32, 2 + c->nsp, xd);
  cc->in[1] = td(NC_F32, 2 + c->nsp, wd);
  cc->in[2] = c->bias ? td(NC_F32, 1, bd) : td(0, 0, NULL);
  cc->out[0] = td(NC_F32, 2 + c->nsp, yd);
  cc->in[3] = td(0, 0, NULL);
  memset(cc->ia, 0, sizeof cc->ia);
  cc->ia[NC_CONV_IA_NSPATIAL] = c->nsp;
  cc->ia[NC_CONV_IA_GROUP] = c->group;
  cc->ia[NC_CONV_IA_ACT] = c->act;
  for (int d = 0; d < 3; d++) {
    cc->ia[NC_CONV_IA_STRIDE + d] = d < c->nsp ? c->stride[d] : 1;
    cc->ia[NC_CONV_IA_DILATION + d] = d < c->nsp ? c->dil[d] : 1;
    cc->ia[NC_CONV_IA_PAD_BEGIN + d] = d < c->nsp ? c->pb[d] : 0;
    cc->ia[NC_CONV_IA_PAD_END + d] = d < c->nsp ? c->pe[d] : 0;
  }
  cc->fa[NC_CONV_FA_ACT_ALPHA] = c->act_alpha;
  cc->fa[NC_CONV_FA_ACT_BETA] = c->act_beta;
  nc_args a = {c->bias ? 3 : 2, 1, cc->in, cc->out, cc->ia, cc->fa, NC_CONV_IA_COUNT,
               NC_CONV_FA_COUNT};
  cc->a = a;
}

/* Runs routine `desc` on c (NHWC routines get transposed activations). */
static void run_conv(const char *desc, const conv_cfg *c, const float *x, const float *w,
                     const float *b, float *y) {
  const nc_routine *r = must_find(desc);
  conv_call cc;
  conv_call_init(&cc, c);
  int nhwc = r->in_layout == NC_LAYOUT_NHWC;
  int64_t xn = nc_numel(&cc.in[0]), yn = nc_numel(&cc.out[0]);
  float *xt = nhwc ? malloc(sizeof(float) * (size_t)xn) : NULL;
  float *yt = nhwc ? malloc(sizeof(float) * (size_t)yn) : NULL;
  if (nhwc) to_layout(&cc.in[0], x, xt, 1);
  const void *in[3] = {nhwc ? xt : x, w, b};
  void *out[1] = {nhwc ? yt : y};
  run_routine(r, &cc.a, in, out, 0x6);
  if (nhwc) to_layout(&cc.out[0], yt, y, 0);
  free(xt);
  free(yt);
}

static void check_against_naive(conv_cfg c) {
  cr_assert(conv_finish(&c));
  conv_call cc;
  conv_call_init(&cc, &c);
  int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
  float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(c.m);
  float *y = rand_buf(yn), *e = rand_buf(yn);
  naive_conv(&c, x, w, c.bias ? b : NULL, e);
  run_conv("cpu:f32:nchw/conv-direct/c99", &c, x, w, c.bias ? b : NULL, y);
  cr_expect(max_rel_err(y, e, yn) < 1e-5, "reference conv differs from naive (nsp %d)", c.nsp);
  free(x); free(w); free(b); free(y); free(e);
}

Test(conv, reference_hand_computed) {
  /* 3x3 input 1..9, 2x2 kernel of ones, bias 0.5: window sums + 0.5. */
  conv_cfg c = {2, 1, 1, 1, 1, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {0}, {0}, {0}, 1, 0, 0, 0};
  conv_finish(&c);
  float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1}, b[1] = {0.5f}, y[4];
  run_conv("cpu:f32:nchw/conv-direct/c99", &c, x, w, b, y);
  float e[4] = {12.5f, 16.5f, 24.5f, 28.5f};
  for (int i = 0; i < 4; i++) cr_expect_float_eq(y[i], e[i], 1e-6f, "y[%d] = %f", i, y[i]);
}

Test(conv, reference_vs_naive_hand_sized) {
  srand(1);
  /* nsp, n, c, m, group, in, k, stride, dil, pb, pe, out, bias */
  conv_cfg cases[] = {
      {2, 1, 3, 4, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0}, 1, 0, 0, 0},
      {2, 2, 4, 6, 2, {7, 6}, {3, 2}, {2, 1}, {1, 2}, {0, 1}, {2, 0}, {0}, 1, 0, 0, 0},
      {2, 1, 4, 4, 4, {6, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {0}, 0, 0, 0, 0},
      {2, 1, 2, 3, 1, {9, 9}, {3, 3}, {1, 1}, {3, 2}, {2, 0}, {1, 3}, {0}, 1, NC_ACT_RELU, 0, 0},
      {1, 2, 3, 5, 1, {11}, {4}, {3}, {2}, {2}, {1}, {0}, 1, 0, 0, 0},
      {1, 1, 6, 3, 3, {8}, {2}, {1}, {1}, {0}, {0}, {0}, 0, 0, 0, 0},
      {3, 1, 2, 2, 1, {4, 5, 3}, {2, 3, 2}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1}, {0, 1, 1}, {0}, 1,
       NC_ACT_CLIP, -0.2, 0.3},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_against_naive(cases[i]);
}

/* Random 2-D conv attributes; about one case in five is a 1x1 stride-1
 * unpadded conv to cover the im2col-free paths. */
static conv_cfg random_cfg(int depthwise_bias) {
  conv_cfg c;
  memset(&c, 0, sizeof c);
  c.nsp = 2;
  for (;;) {
    c.n = 1 + rand() % 2;
    int kind = rand() % 5;
    int64_t cg = 1 + rand() % 5, mg = 1 + rand() % 9;
    c.group = kind == 1 ? 1 + rand() % 3 : 1;
    if (kind == 2 || (depthwise_bias && kind == 3)) { /* depthwise */
      c.group = 1 + rand() % 12;
      cg = 1;
      mg = 1;
    }
    c.c = cg * c.group;
    c.m = mg * c.group;
    for (int d = 0; d < 2; d++) {
      c.in[d] = 1 + rand() % 12;
      if (kind == 4) {
        c.k[d] = 1; c.stride[d] = 1; c.dil[d] = 1; c.pb[d] = c.pe[d] = 0;
      } else {
        c.k[d] = 1 + rand() % 4;
        c.stride[d] = 1 + rand() % 3;
        c.dil[d] = 1 + rand() % 2;
        c.pb[d] = rand() % 3;
        c.pe[d] = rand() % 3;
      }
    }
    c.bias = rand() % 2;
    c.act = rand() % (NC_ACT_SILU + 1);
    c.act_alpha = c.act == NC_ACT_CLIP ? -0.5 : 0.1;
    c.act_beta = 0.5;
    if (conv_finish(&c)) return c;
  }
}

static void force_against_reference(const char *desc, int trials) {
  srand(42);
  for (int t = 0; t < trials; t++) {
    conv_cfg c = random_cfg(1);
    conv_call cc;
    conv_call_init(&cc, &c);
    int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
    float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(c.m);
    float *y = rand_buf(yn), *e = rand_buf(yn);
    run_conv("cpu:f32:nchw/conv-direct/c99", &c, x, w, c.bias ? b : NULL, e);
    run_conv(desc, &c, x, w, c.bias ? b : NULL, y);
    double err = max_rel_err(y, e, yn);
    cr_expect(err < 1e-4,
              "%s trial %d: err %g (n%lld c%lld m%lld g%lld in %lldx%lld k %lldx%lld s %lld,%lld "
              "d %lld,%lld)", desc, t, err, (long long)c.n, (long long)c.c, (long long)c.m,
              (long long)c.group, (long long)c.in[0], (long long)c.in[1], (long long)c.k[0],
              (long long)c.k[1], (long long)c.stride[0], (long long)c.stride[1],
              (long long)c.dil[0], (long long)c.dil[1]);
    free(x); free(w); free(b); free(y); free(e);
  }
}

Test(conv, im2col_nchw_forced) { force_against_reference("cpu:f32:nchw/conv-im2col/c99", 80); }
Test(conv, direct_nhwc_forced) { force_against_reference("cpu:f32:nhwc/conv-direct/c99", 80); }
Test(conv, im2col_nhwc_forced) { force_against_reference("cpu:f32:nhwc/conv-im2col/c99", 80); }

/* A channel count large enough that the column buffer is chunked. */
Test(conv, im2col_chunked_large) {
  srand(7);
  conv_cfg c = {2, 1, 64, 24, 1, {40, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0}, 1,
                NC_ACT_RELU, 0, 0};
  cr_assert(conv_finish(&c));
  conv_call cc;
  conv_call_init(&cc, &c);
  int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
  float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(c.m);
  float *e = rand_buf(yn), *y = rand_buf(yn);
  naive_conv(&c, x, w, b, e);
  const char *alts[] = {"cpu:f32:nchw/conv-im2col/c99", "cpu:f32:nhwc/conv-im2col/c99",
                        "cpu:f32:nhwc/conv-direct/c99", "cpu:f32:nchw/conv-direct/c99"};
  for (int i = 0; i < 4; i++) {
    run_conv(alts[i], &c, x, w, b, y);
    cr_expect(max_rel_err(y, e, yn) < 1e-4, "%s differs on a large conv", alts[i]);
  }
  free(x); free(w); free(b); free(e); free(y);
}

/* ---------------- fused residual sum (args_nn.h NC_CONV_IN_SUM) ---------------- */

/* The reference with S: naive conv without activation, + S, then the
 * activation, all in double; random 2-D shapes and hand 1-D / 3-D ones. */
Test(conv, reference_residual_sum_vs_naive) {
  srand(5);
  conv_cfg cases[48];
  for (int t = 0; t < 44; t++) cases[t] = random_cfg(1);
  conv_cfg hand[4] = {
      {1, 2, 3, 5, 1, {11}, {4}, {3}, {2}, {2}, {1}, {0}, 1, 0, 0, 0},
      {3, 1, 2, 2, 1, {4, 5, 3}, {2, 3, 2}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1}, {0, 1, 1}, {0}, 1,
       0, 0, 0},
      {1, 1, 6, 3, 3, {8}, {2}, {1}, {1}, {0}, {0}, {0}, 0, 0, 0, 0},
      {3, 2, 4, 4, 2, {3, 4, 5}, {1, 2, 3}, {1, 1, 2}, {1, 1, 1}, {0, 1, 1}, {0, 0, 1}, {0}, 0,
       0, 0, 0}};
  for (int t = 0; t < 4; t++) cases[44 + t] = hand[t];
  for (int t = 0; t < 48; t++) {
    conv_cfg c = cases[t];
    cr_assert(conv_finish(&c));
    c.act = t % (NC_ACT_SILU + 1);
    c.act_alpha = c.act == NC_ACT_CLIP ? -0.5 : 0.1;
    c.act_beta = 0.5;
    conv_call cc;
    conv_call_init(&cc, &c);
    cc.in[3] = cc.out[0];
    cc.a.n_in = 4;
    const int64_t xn = nc_numel(&cc.in[0]), wn = nc_numel(&cc.in[1]), yn = nc_numel(&cc.out[0]);
    float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(c.m), *sum = rand_buf(yn);
    float *y = rand_buf(yn), *e = rand_buf(yn);
    conv_cfg plain = c;
    plain.act = NC_ACT_NONE;
    naive_conv(&plain, x, w, c.bias ? b : NULL, e);
    for (int64_t i = 0; i < yn; i++) e[i] = (float)act_ref((double)e[i] + sum[i], &c);
    const void *in[4] = {x, w, c.bias ? b : NULL, sum};
    void *out[1] = {y};
    run_routine(must_find("cpu:f32:nchw/conv-direct/c99"), &cc.a, in, out, 0);
    cr_expect(max_rel_err(y, e, yn) < 1e-5, "case %d (nsp %d, act %lld): reference + sum differs",
              t, c.nsp, (long long)c.act);
    free(x); free(w); free(b); free(sum); free(y); free(e);
  }
}

/* Routines that cannot add S must refuse it, so selection never offers
 * them; the rest must keep applying. A 3x3 stride-1 16->16 conv is one
 * every dense 2-D Conv routine of the table takes without S. */
Test(conv, residual_sum_refused_where_unsupported) {
  const char *refuse[] = {"cpu:f32:nchw/conv-im2col/c99", "cpu:f32:nhwc/conv-direct/c99",
                          "cpu:f32:nhwc/conv-im2col/c99", "/conv-direct-nchw"};
  conv_cfg c = {2, 1, 16, 16, 1, {8, 8}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0}, 1, 0, 0, 0};
  cr_assert(conv_finish(&c));
  conv_call cc;
  conv_call_init(&cc, &c);
  nc_args with = cc.a;
  with.n_in = 4;
  const nc_routine *t = nc_routine_table();
  int accepted = 0, refused = 0;
  for (int i = 0; i < nc_routine_count(); i++) {
    const nc_routine *r = &t[i];
    if (strcmp(r->layer, "Conv") != 0 || !(r->dtypes & NC_DT(NC_F32)) ||
        (r->applies && !r->applies(&cc.a)))
      continue; /* the fusion pass only fuses f32 Convs */
    int must_refuse = 0;
    for (size_t k = 0; k < sizeof refuse / sizeof refuse[0]; k++)
      if (strstr(r->descriptor, refuse[k])) must_refuse = 1;
    cc.in[3] = cc.out[0];
    const int takes = r->applies == NULL || r->applies(&with);
    cc.in[3] = td(0, 0, NULL);
    cr_expect_eq(takes, !must_refuse, "%s: applies with a residual sum = %d", r->descriptor,
                 takes);
    accepted += takes;
    refused += !takes;
  }
  cr_expect(accepted >= 1 && refused >= 3, "accepted %d, refused %d", accepted, refused);
}

Test(conv, table_entries) {
  const char *descs[] = {"cpu:f32:nchw/conv-direct/c99", "cpu:f32:nchw/conv-im2col/c99",
                         "cpu:f32:nhwc/conv-direct/c99", "cpu:f32:nhwc/conv-im2col/c99"};
  for (int i = 0; i < 4; i++) {
    const nc_routine *r = must_find(descs[i]);
    cr_expect(r->flags & NC_RF_ACT, "%s must honour fused activations", descs[i]);
    cr_expect_str_eq(r->layer, "Conv");
  }
  cr_expect(must_find(descs[0])->flags & NC_RF_REFERENCE);
  cr_expect(must_find(descs[0])->packed_bytes == NULL);
}
