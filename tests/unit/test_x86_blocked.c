/* The blocked-channel family (NCHW16c/AVX-512, NCHW8c/AVX2): every routine
 * forced against its layer's reference routine on random shapes and
 * attributes. Activations are blocked with the family's own adapters and
 * converted back; the adapters themselves are checked against an index
 * formula written here. Each run also checks the layout invariant: the
 * padded lanes of every blocked output are zero, and filling the padded
 * lanes of the inputs with other finite values changes no real output.
 * Tests of an ISA the CPU lacks are skipped. */
#include "test_nn_util.h"

#define CASES 60

static int64_t irand(int64_t lo, int64_t hi) { return lo + rand() % (hi - lo + 1); }

static int64_t block_of(int layout) {
  return layout == NC_LAYOUT_NCHW16C ? 16 : layout == NC_LAYOUT_NCHW8C ? 8 : 0;
}

static int need_isa(const nc_routine *r) {
  char isa[32];
  nc_routine_isa(r, isa, sizeof isa);
  return nc_cpu_supports(isa);
}

/* Index of logical element (n, c, p) in a layout (p = h*W + w). */
static int64_t at_layout(const nc_tdesc *d, int layout, int64_t n, int64_t c, int64_t p) {
  const int64_t C = d->dims[1], hw = d->dims[2] * d->dims[3], b = block_of(layout);
  if (layout == NC_LAYOUT_NHWC) return (n * hw + p) * C + c;
  if (!b) return (n * C + c) * hw + p;
  const int64_t cb = (C + b - 1) / b;
  return ((n * cb + c / b) * hw + p) * b + c % b;
}

static void convert(const nc_tdesc *d, int from, int to, const float *src, float *dst) {
  char desc[64];
  snprintf(desc, sizeof desc, "cpu:f32:%s/to-%s/c99", nc_layout_name(from), nc_layout_name(to));
  const nc_routine *r = must_find(desc);
  nc_args a = {1, 1, d, d, NULL, NULL, 0, 0};
  const void *in[1] = {src};
  void *out[1] = {dst};
  r->fn(&a, in, out, NULL);
}

static float *alloc_layout(const nc_tdesc *d, int layout) {
  size_t n = nc_layout_bytes(d, layout) / sizeof(float);
  float *p = malloc(sizeof(float) * (n ? n : 1));
  for (size_t i = 0; i < n; i++) p[i] = NAN; /* anything the routine leaves unwritten shows */
  return p;
}

/* Padded lanes of a blocked buffer: set to v (poison) or check they are 0. */
static int pad_lanes(const nc_tdesc *d, int layout, float *buf, int poison) {
  const int64_t b = block_of(layout);
  if (!b || d->ndim != 4) return 1;
  const int64_t C = d->dims[1], cb = (C + b - 1) / b, hw = d->dims[2] * d->dims[3];
  for (int64_t n = 0; n < d->dims[0]; n++)
    for (int64_t p = 0; p < hw; p++)
      for (int64_t c = C; c < cb * b; c++) {
        float *v = &buf[((n * cb + cb - 1) * hw + p) * b + c % b];
        if (poison) *v = frand() * 100.0f;
        else if (*v != 0.0f) return 0;
      }
  return 1;
}

/* Max |a-b| / max(1, |b|); equal values (infinities included) differ by 0. */
static double max_err(const float *a, const float *b, int64_t n) {
  double worst = 0.0;
  for (int64_t i = 0; i < n; i++) {
    if (a[i] == b[i]) continue;
    double d = fabs((double)a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i]));
    worst = d != d ? INFINITY : fmax(worst, d);
  }
  return worst;
}

/* One layer call: logical args and plain (NCHW) inputs. */
typedef struct bcase {
  nc_args a;
  const float *in[8];
  unsigned consts; /* bit i: input i is a compile-time constant (plain, packed) */
} bcase;

/* Runs r: activations converted to its layout, optionally with poisoned
 * padding; outputs converted back to NCHW into y[]. Asserts the padding of
 * every blocked output is zero. */
static void run_blocked(const nc_routine *r, const bcase *c, float **y, int poison) {
  const void *ins[8];
  float *conv_in[8] = {0};
  for (int i = 0; i < c->a.n_in; i++) {
    ins[i] = c->in[i];
    const nc_tdesc *d = &c->a.in[i];
    if (((c->consts >> i) & 1) || !d->dtype || r->in_layout == NC_LAYOUT_NCHW || d->ndim != 4)
      continue;
    conv_in[i] = alloc_layout(d, r->in_layout);
    convert(d, NC_LAYOUT_NCHW, r->in_layout, c->in[i], conv_in[i]);
    cr_assert(pad_lanes(d, r->in_layout, conv_in[i], 0), "adapter left padding non-zero");
    if (poison) pad_lanes(d, r->in_layout, conv_in[i], 1);
    ins[i] = conv_in[i];
  }
  void *outs[4];
  for (int i = 0; i < c->a.n_out; i++) outs[i] = alloc_layout(&c->a.out[i], r->out_layout);
  run_routine(r, &c->a, ins, outs, c->consts);
  for (int i = 0; i < c->a.n_out; i++) {
    const nc_tdesc *d = &c->a.out[i];
    if (r->out_layout != NC_LAYOUT_NCHW) {
      /* zero padding in, zero padding out (poisoned inputs promise nothing) */
      if (!poison)
        cr_assert(pad_lanes(d, r->out_layout, outs[i], 0),
                  "%s: padded lanes of the output not zero", r->descriptor);
      convert(d, r->out_layout, NC_LAYOUT_NCHW, outs[i], y[i]);
    } else {
      memcpy(y[i], outs[i], sizeof(float) * (size_t)nc_numel(d));
    }
    free(outs[i]);
  }
  for (int i = 0; i < c->a.n_in; i++) free(conv_in[i]);
}

/* Forced routine `desc` against reference `ref` on one case. */
static void check_case(const char *desc, const char *ref, const bcase *c, double tol) {
  const nc_routine *r = must_find(desc), *rr = must_find(ref);
  cr_assert(r->applies == NULL || r->applies(&c->a), "%s should apply", desc);
  const int64_t yn = nc_numel(&c->a.out[0]);
  float *want = malloc(sizeof(float) * (size_t)(yn + 1));
  float *got = malloc(sizeof(float) * (size_t)(yn + 1));
  float *got2 = malloc(sizeof(float) * (size_t)(yn + 1));
  void *ro[1] = {want};
  run_routine(rr, &c->a, (const void *const *)c->in, ro, 0);
  float *y1[1] = {got}, *y2[1] = {got2};
  run_blocked(r, c, y1, 0);
  run_blocked(r, c, y2, 1);
  double err = max_err(got, want, yn);
  char ia[256] = "";
  for (int i = 0, at = 0; i < c->a.n_ia && at < 200; i++)
    at += snprintf(ia + at, sizeof ia - (size_t)at, " %lld", (long long)c->a.ia[i]);
  cr_assert(err <= tol, "%s vs %s: error %g (in %lldx%lldx%lldx%lld, out %lldx%lldx%lldx%lld, ia%s)",
            desc, ref, err, (long long)c->a.in[0].dims[0], (long long)c->a.in[0].dims[1],
            (long long)c->a.in[0].dims[2], (long long)c->a.in[0].dims[3],
            (long long)c->a.out[0].dims[0], (long long)c->a.out[0].dims[1],
            (long long)c->a.out[0].dims[2], (long long)c->a.out[0].dims[3], ia);
  cr_assert(memcmp(got, got2, sizeof(float) * (size_t)yn) == 0,
            "%s: padding lanes of the inputs changed a real output", desc);
  free(want);
  free(got);
  free(got2);
}

#define SKIP_WITHOUT_ISA(desc)                                                 \
  do {                                                                         \
    if (!need_isa(must_find(desc))) cr_skip_test("CPU lacks the ISA of %s", desc); \
  } while (0)

/* ---------------- adapters ---------------- */

static void check_adapters(int blocked) {
  for (int k = 0; k < CASES; k++) {
    int64_t dims[4] = {irand(1, 2), irand(1, 40), irand(1, 7), irand(1, 7)};
    nc_tdesc d = td(NC_F32, 4, dims);
    int64_t n = nc_numel(&d);
    float *x = rand_buf(n), *b = alloc_layout(&d, blocked), *back = malloc(sizeof(float) * (size_t)n);
    float *nhwc = malloc(sizeof(float) * (size_t)n), *b2 = alloc_layout(&d, blocked);
    convert(&d, NC_LAYOUT_NCHW, blocked, x, b);
    for (int64_t i = 0; i < dims[0]; i++)
      for (int64_t c = 0; c < dims[1]; c++)
        for (int64_t p = 0; p < dims[2] * dims[3]; p++)
          cr_assert_eq(b[at_layout(&d, blocked, i, c, p)], x[at_layout(&d, NC_LAYOUT_NCHW, i, c, p)]);
    cr_assert(pad_lanes(&d, blocked, b, 0));
    convert(&d, blocked, NC_LAYOUT_NCHW, b, back);
    cr_assert(memcmp(back, x, sizeof(float) * (size_t)n) == 0);
    /* NHWC <-> blocked agree with the NCHW route */
    convert(&d, NC_LAYOUT_NCHW, NC_LAYOUT_NHWC, x, nhwc);
    convert(&d, NC_LAYOUT_NHWC, blocked, nhwc, b2);
    cr_assert(memcmp(b, b2, nc_layout_bytes(&d, blocked)) == 0);
    convert(&d, blocked, NC_LAYOUT_NHWC, b, back);
    cr_assert(memcmp(back, nhwc, sizeof(float) * (size_t)n) == 0);
    free(x), free(b), free(back), free(nhwc), free(b2);
  }
}

Test(x86_blocked, adapters_nchw16c) { check_adapters(NC_LAYOUT_NCHW16C); }
Test(x86_blocked, adapters_nchw8c) { check_adapters(NC_LAYOUT_NCHW8C); }

/* ---------------- convolution ---------------- */

typedef struct conv_case {
  nc_tdesc in[4], out[1];
  int64_t ia[NC_CONV_IA_COUNT];
  double fa[NC_CONV_FA_COUNT];
  bcase c;
} conv_case;

enum { CONV_DENSE, CONV_PLAIN_IN, CONV_DEPTHWISE };

/* Random 2-D conv; a quarter of the dense ones 1x1 stride 1 unpadded; every
 * activation (SiLU included); half with a residual sum input (in[3], the
 * output's shape, converted to the routine's layout like X). */
static void conv_random(conv_case *cc, int kind) {
  for (;;) {
    int64_t n = irand(1, 2), c = kind == CONV_PLAIN_IN ? irand(1, 16) : irand(1, 40);
    int64_t m = kind == CONV_DEPTHWISE ? c : irand(1, 40);
    if (kind == CONV_DEPTHWISE && c < 2) continue;
    int64_t h = irand(1, 12), w = irand(1, 12), k[2], s[2], d[2], pb[2], pe[2], o[2], ok = 1;
    int pointwise = kind == CONV_DENSE && rand() % 4 == 0;
    for (int i = 0; i < 2; i++) {
      k[i] = pointwise ? 1 : irand(1, 5);
      s[i] = pointwise ? 1 : irand(1, 3);
      d[i] = pointwise ? 1 : irand(1, 2);
      pb[i] = pointwise ? 0 : irand(0, 2);
      pe[i] = pointwise ? 0 : irand(0, 2);
      int64_t span = (i ? w : h) + pb[i] + pe[i] - ((k[i] - 1) * d[i] + 1);
      if (span < 0) ok = 0;
      o[i] = ok ? span / s[i] + 1 : 0;
    }
    if (!ok) continue;
    int64_t xd[4] = {n, c, h, w}, wd[4] = {m, kind == CONV_DEPTHWISE ? 1 : c, k[0], k[1]};
    int64_t yd[4] = {n, m, o[0], o[1]}, bd[1] = {m};
    int bias = rand() % 2;
    cc->in[0] = td(NC_F32, 4, xd);
    cc->in[1] = td(NC_F32, 4, wd);
    cc->in[2] = bias ? td(NC_F32, 1, bd) : td(0, 0, NULL);
    cc->out[0] = td(NC_F32, 4, yd);
    memset(cc->ia, 0, sizeof cc->ia);
    cc->ia[NC_CONV_IA_NSPATIAL] = 2;
    cc->ia[NC_CONV_IA_GROUP] = kind == CONV_DEPTHWISE ? c : 1;
    cc->ia[NC_CONV_IA_ACT] = irand(0, NC_ACT_SILU);
    for (int i = 0; i < 3; i++) {
      cc->ia[NC_CONV_IA_STRIDE + i] = i < 2 ? s[i] : 1;
      cc->ia[NC_CONV_IA_DILATION + i] = i < 2 ? d[i] : 1;
      cc->ia[NC_CONV_IA_PAD_BEGIN + i] = i < 2 ? pb[i] : 0;
      cc->ia[NC_CONV_IA_PAD_END + i] = i < 2 ? pe[i] : 0;
    }
    int clip = cc->ia[NC_CONV_IA_ACT] == NC_ACT_CLIP;
    cc->fa[NC_CONV_FA_ACT_ALPHA] = clip ? 0.05 : 0.1; /* clip: act(0) != 0 tests the masking */
    cc->fa[NC_CONV_FA_ACT_BETA] = 0.7;
    int sum = kind != CONV_PLAIN_IN && rand() % 2; /* plain input: refused, tested apart */
    cc->in[3] = sum ? cc->out[0] : td(0, 0, NULL);
    nc_args a = {sum ? 4 : bias ? 3 : 2, 1, cc->in, cc->out, cc->ia, cc->fa, NC_CONV_IA_COUNT,
                 NC_CONV_FA_COUNT};
    cc->c.a = a;
    cc->c.in[0] = rand_buf(nc_numel(&cc->in[0]));
    cc->c.in[1] = rand_buf(nc_numel(&cc->in[1]));
    cc->c.in[2] = bias ? rand_buf(m) : NULL;
    cc->c.in[3] = sum ? rand_buf(nc_numel(&cc->out[0])) : NULL;
    cc->c.consts = 0x6;
    return;
  }
}

static void conv_free(conv_case *cc) {
  for (int i = 0; i < 4; i++) free((void *)cc->c.in[i]);
}

static void force_conv(const char *desc, int kind) {
  SKIP_WITHOUT_ISA(desc);
  srand(7);
  for (int k = 0; k < CASES; k++) {
    conv_case cc;
    conv_random(&cc, kind);
    check_case(desc, "cpu:f32:nchw/conv-direct/c99", &cc.c, 1e-4);
    conv_free(&cc);
  }
}

Test(x86_blocked, conv_direct_nchw16c) { force_conv("cpu:f32:nchw16c/conv-direct/avx512", CONV_DENSE); }
Test(x86_blocked, conv_direct_nchw8c) { force_conv("cpu:f32:nchw8c/conv-direct/avx2", CONV_DENSE); }
Test(x86_blocked, conv_plain_in_nchw16c) {
  force_conv("cpu:f32:nchw/conv-direct-nchw16c/avx512", CONV_PLAIN_IN);
}
Test(x86_blocked, conv_plain_in_nchw8c) {
  force_conv("cpu:f32:nchw/conv-direct-nchw8c/avx2", CONV_PLAIN_IN);
}
Test(x86_blocked, conv_depthwise_nchw16c) {
  force_conv("cpu:f32:nchw16c/conv-depthwise/avx512", CONV_DEPTHWISE);
}
Test(x86_blocked, conv_depthwise_nchw8c) {
  force_conv("cpu:f32:nchw8c/conv-depthwise/avx2", CONV_DEPTHWISE);
}

/* Wide rows exercise every register-tile width (up to 24 pixels) and the
 * sliding-window depthwise rows (16 pixels), with and without a residual sum. */
Test(x86_blocked, conv_wide_rows) {
  const char *descs[] = {"cpu:f32:nchw16c/conv-direct/avx512", "cpu:f32:nchw8c/conv-direct/avx2",
                         "cpu:f32:nchw16c/conv-depthwise/avx512",
                         "cpu:f32:nchw8c/conv-depthwise/avx2"};
  for (int di = 0; di < 4; di++) {
    if (!need_isa(must_find(descs[di]))) continue;
    const int dw = di >= 2;
    for (int64_t w = 1; w <= 60; w += 3) {
      conv_case cc;
      conv_random(&cc, dw ? CONV_DEPTHWISE : CONV_DENSE);
      conv_free(&cc);
      const int64_t c = dw ? 70 : 17;
      int64_t xd[4] = {1, c, 3, w}, wd[4] = {70, dw ? 1 : c, 3, 3}, yd[4] = {1, 70, 3, w},
              bd[1] = {70};
      cc.ia[NC_CONV_IA_GROUP] = dw ? 70 : 1;
      cc.in[0] = td(NC_F32, 4, xd);
      cc.in[1] = td(NC_F32, 4, wd);
      cc.in[2] = td(NC_F32, 1, bd);
      cc.out[0] = td(NC_F32, 4, yd);
      for (int i = 0; i < 2; i++) {
        cc.ia[NC_CONV_IA_STRIDE + i] = cc.ia[NC_CONV_IA_DILATION + i] = 1;
        cc.ia[NC_CONV_IA_PAD_BEGIN + i] = cc.ia[NC_CONV_IA_PAD_END + i] = 1;
      }
      const int sum = (w / 3) % 2; /* every other width with a residual sum */
      cc.in[3] = sum ? cc.out[0] : td(0, 0, NULL);
      cc.c.a.n_in = sum ? 4 : 3;
      cc.c.in[0] = rand_buf(nc_numel(&cc.in[0]));
      cc.c.in[1] = rand_buf(nc_numel(&cc.in[1]));
      cc.c.in[2] = rand_buf(70);
      cc.c.in[3] = sum ? rand_buf(nc_numel(&cc.out[0])) : NULL;
      check_case(descs[di], "cpu:f32:nchw/conv-direct/c99", &cc.c, 1e-4);
      conv_free(&cc);
    }
  }
}

/* ---------------- pooling ---------------- */

typedef struct pool_case {
  nc_tdesc in[1], out[1];
  int64_t ia[NC_POOL_IA_COUNT];
  bcase c;
} pool_case;

/* Random 2-D pool; ceil_mode sizes as ONNX defines them (the last window
 * starts inside the input or its begin padding). */
static void pool_random(pool_case *pc, int is_max) {
  for (;;) {
    int64_t n = irand(1, 2), c = irand(1, 40), in[2] = {irand(1, 12), irand(1, 12)};
    int64_t k[2], s[2], d[2], pb[2], pe[2], o[2], ok = 1;
    int ceil_mode = rand() % 2;
    for (int i = 0; i < 2; i++) {
      k[i] = irand(1, 4);
      s[i] = irand(1, 3);
      d[i] = is_max ? irand(1, 2) : 1;
      pb[i] = irand(0, k[i] - 1);
      pe[i] = irand(0, k[i] - 1);
      int64_t span = in[i] + pb[i] + pe[i] - ((k[i] - 1) * d[i] + 1);
      if (span < 0) ok = 0;
      o[i] = ok ? (ceil_mode ? (span + s[i] - 1) / s[i] : span / s[i]) + 1 : 0;
      if (ok && ceil_mode && (o[i] - 1) * s[i] >= in[i] + pb[i]) o[i]--;
    }
    if (!ok) continue;
    int64_t xd[4] = {n, c, in[0], in[1]}, yd[4] = {n, c, o[0], o[1]};
    pc->in[0] = td(NC_F32, 4, xd);
    pc->out[0] = td(NC_F32, 4, yd);
    memset(pc->ia, 0, sizeof pc->ia);
    pc->ia[NC_POOL_IA_NSPATIAL] = 2;
    for (int i = 0; i < 3; i++) {
      pc->ia[NC_POOL_IA_KERNEL + i] = i < 2 ? k[i] : 1;
      pc->ia[NC_POOL_IA_STRIDE + i] = i < 2 ? s[i] : 1;
      pc->ia[NC_POOL_IA_DILATION + i] = i < 2 ? d[i] : 1;
      pc->ia[NC_POOL_IA_PAD_BEGIN + i] = i < 2 ? pb[i] : 0;
      pc->ia[NC_POOL_IA_PAD_END + i] = i < 2 ? pe[i] : 0;
    }
    pc->ia[NC_POOL_IA_COUNT_INCLUDE_PAD] = rand() % 2;
    nc_args a = {1, 1, pc->in, pc->out, pc->ia, NULL, NC_POOL_IA_COUNT, 0};
    pc->c.a = a;
    pc->c.in[0] = rand_buf(nc_numel(&pc->in[0]));
    pc->c.consts = 0;
    return;
  }
}

static void force_pool(const char *desc, const char *ref, int is_max) {
  SKIP_WITHOUT_ISA(desc);
  srand(11);
  for (int k = 0; k < CASES; k++) {
    pool_case pc;
    pool_random(&pc, is_max);
    check_case(desc, ref, &pc.c, 1e-5);
    free((void *)pc.c.in[0]);
  }
}

Test(x86_blocked, maxpool) {
  force_pool("cpu:f32:nchw16c/maxpool-direct/avx512", "cpu:f32:nchw/maxpool-ref/c99", 1);
  force_pool("cpu:f32:nchw8c/maxpool-direct/avx2", "cpu:f32:nchw/maxpool-ref/c99", 1);
}
Test(x86_blocked, averagepool) {
  force_pool("cpu:f32:nchw16c/averagepool-direct/avx512", "cpu:f32:nchw/averagepool-ref/c99", 0);
  force_pool("cpu:f32:nchw8c/averagepool-direct/avx2", "cpu:f32:nchw/averagepool-ref/c99", 0);
}

static void force_gap(const char *desc) {
  SKIP_WITHOUT_ISA(desc);
  srand(13);
  for (int k = 0; k < CASES; k++) {
    int64_t xd[4] = {irand(1, 3), irand(1, 70), irand(1, 15), irand(1, 15)};
    int64_t yd[4] = {xd[0], xd[1], 1, 1};
    nc_tdesc in[1] = {td(NC_F32, 4, xd)}, out[1] = {td(NC_F32, 4, yd)};
    bcase c = {{1, 1, in, out, NULL, NULL, 0, 0}, {rand_buf(nc_numel(&in[0]))}, 0};
    check_case(desc, "cpu:f32:nchw/globalaveragepool-ref/c99", &c, 1e-5);
    free((void *)c.in[0]);
  }
}

Test(x86_blocked, globalaveragepool) {
  force_gap("cpu:f32:nchw16c/globalaveragepool-direct/avx512");
  force_gap("cpu:f32:nchw16c/globalaveragepool-tonchw/avx512");
  force_gap("cpu:f32:nchw8c/globalaveragepool-direct/avx2");
  force_gap("cpu:f32:nchw8c/globalaveragepool-tonchw/avx2");
}

/* ---------------- elementwise ---------------- */

static void force_binary(const char *desc, const char *ref, int channel, int64_t blk) {
  SKIP_WITHOUT_ISA(desc);
  srand(17);
  for (int k = 0; k < CASES; k++) {
    int64_t c = channel ? blk * irand(1, 5) : irand(1, 40);
    int64_t od[4] = {irand(1, 3), c, irand(channel ? 2 : 1, 9), irand(1, 9)};
    int64_t sd[4] = {rand() % 2 ? od[0] : 1, c, 1, 1};
    int small_left = channel && rand() % 2;
    nc_tdesc in[2], out[1] = {td(NC_F32, 4, od)};
    in[0] = td(NC_F32, 4, channel && small_left ? sd : od);
    in[1] = td(NC_F32, 4, channel && !small_left ? sd : od);
    bcase bc = {{2, 1, in, out, NULL, NULL, 0, 0},
                {rand_buf(nc_numel(&in[0])), rand_buf(nc_numel(&in[1]))}, 0};
    /* a channel operand may also be a compile-time constant (plain bytes) */
    if (channel && rand() % 2) bc.consts = small_left ? 1u : 2u;
    check_case(desc, ref, &bc, 1e-6);
    free((void *)bc.in[0]);
    free((void *)bc.in[1]);
  }
}

Test(x86_blocked, binary_same) {
  force_binary("cpu:f32:nchw16c/add-same/avx512", "cpu:f32:nchw/add-ref/c99", 0, 16);
  force_binary("cpu:f32:nchw16c/sub-same/avx512", "cpu:f32:nchw/sub-ref/c99", 0, 16);
  force_binary("cpu:f32:nchw16c/mul-same/avx512", "cpu:f32:nchw/mul-ref/c99", 0, 16);
  force_binary("cpu:f32:nchw8c/add-same/avx2", "cpu:f32:nchw/add-ref/c99", 0, 8);
  force_binary("cpu:f32:nchw8c/sub-same/avx2", "cpu:f32:nchw/sub-ref/c99", 0, 8);
  force_binary("cpu:f32:nchw8c/mul-same/avx2", "cpu:f32:nchw/mul-ref/c99", 0, 8);
}

Test(x86_blocked, binary_channel) {
  force_binary("cpu:f32:nchw16c/add-channel/avx512", "cpu:f32:nchw/add-ref/c99", 1, 16);
  force_binary("cpu:f32:nchw16c/mul-channel/avx512", "cpu:f32:nchw/mul-ref/c99", 1, 16);
  force_binary("cpu:f32:nchw8c/add-channel/avx2", "cpu:f32:nchw/add-ref/c99", 1, 8);
  force_binary("cpu:f32:nchw8c/mul-channel/avx2", "cpu:f32:nchw/mul-ref/c99", 1, 8);
}

Test(x86_blocked, channel_applies_only_on_whole_blocks) {
  int64_t od[4] = {1, 24, 4, 4}, sd[4] = {1, 24, 1, 1};
  nc_tdesc in[2] = {td(NC_F32, 4, od), td(NC_F32, 4, sd)}, out[1] = {td(NC_F32, 4, od)};
  nc_args a = {2, 1, in, out, NULL, NULL, 0, 0};
  cr_assert(!must_find("cpu:f32:nchw16c/mul-channel/avx512")->applies(&a));
  cr_assert(must_find("cpu:f32:nchw8c/mul-channel/avx2")->applies(&a));
}

static void force_unary(const char *desc, const char *ref, int n_fa, double p0, double p1,
                        double tol) {
  SKIP_WITHOUT_ISA(desc);
  srand(19);
  for (int k = 0; k < CASES; k++) {
    int64_t d[4] = {irand(1, 3), irand(1, 40), irand(1, 9), irand(1, 9)};
    nc_tdesc in[1] = {td(NC_F32, 4, d)}, out[1] = {td(NC_F32, 4, d)};
    double fa[2] = {p0, p1};
    bcase bc = {{1, 1, in, out, NULL, fa, 0, n_fa}, {rand_buf(nc_numel(&in[0]))}, 0};
    float *x = (float *)bc.in[0];
    for (int64_t i = 0; i < nc_numel(&in[0]); i++) x[i] *= 8.0f; /* reach the clamps */
    check_case(desc, ref, &bc, tol);
    free(x);
  }
}

Test(x86_blocked, unary) {
  static const char *isas[2][2] = {{"nchw16c", "avx512"}, {"nchw8c", "avx2"}};
  for (int i = 0; i < 2; i++) {
    char d[96];
#define U(name, nfa, p0, p1, tol)                                                       \
  snprintf(d, sizeof d, "cpu:f32:%s/" name "-vec/%s", isas[i][0], isas[i][1]);          \
  if (need_isa(must_find(d))) force_unary(d, "cpu:f32:nchw/" name "-ref/c99", nfa, p0, p1, tol);
    U("relu", 0, 0, 0, 0)
    U("clip", 2, 0.25, 3.5, 0)
    U("hardswish", 0, 0, 0, 1e-6)
    U("hardsigmoid", 2, 0.3, 0.45, 1e-6)
    U("sigmoid", 0, 0, 0, 1e-6)
#undef U
  }
}

/* ---------------- concat ---------------- */

static void force_concat(const char *desc, int64_t blk) {
  SKIP_WITHOUT_ISA(desc);
  srand(23);
  for (int k = 0; k < CASES; k++) {
    int n_in = (int)irand(1, 4);
    int64_t n = irand(1, 2), h = irand(1, 6), w = irand(1, 6), total = 0;
    nc_tdesc in[4], out[1];
    bcase bc = {{n_in, 1, in, out, NULL, NULL, 1, 0}, {0}, 0};
    static const int64_t axis[1] = {1};
    bc.a.ia = axis;
    for (int i = 0; i < n_in; i++) {
      int64_t c = i + 1 < n_in ? blk * irand(1, 3) : irand(1, 40);
      int64_t d[4] = {n, c, h, w};
      in[i] = td(NC_F32, 4, d);
      bc.in[i] = rand_buf(nc_numel(&in[i]));
      total += c;
    }
    int64_t od[4] = {n, total, h, w};
    out[0] = td(NC_F32, 4, od);
    check_case(desc, "cpu:f32:nchw/concat-ref/c99", &bc, 0);
    for (int i = 0; i < n_in; i++) free((void *)bc.in[i]);
  }
}

Test(x86_blocked, concat_channels) {
  force_concat("cpu:f32:nchw16c/concat-channels/avx512", 16);
  force_concat("cpu:f32:nchw8c/concat-channels/avx2", 8);
}

Test(x86_blocked, concat_refuses_a_partial_block_before_the_last_input) {
  int64_t d0[4] = {1, 24, 2, 2}, d1[4] = {1, 16, 2, 2}, od[4] = {1, 40, 2, 2};
  nc_tdesc in[2] = {td(NC_F32, 4, d0), td(NC_F32, 4, d1)}, out[1] = {td(NC_F32, 4, od)};
  static const int64_t axis[1] = {1};
  nc_args a = {2, 1, in, out, axis, NULL, 1, 0};
  cr_assert(!must_find("cpu:f32:nchw16c/concat-channels/avx512")->applies(&a));
  cr_assert(must_find("cpu:f32:nchw8c/concat-channels/avx2")->applies(&a));
}

/* ---------------- batch normalization ---------------- */

static void force_batchnorm(const char *desc) {
  SKIP_WITHOUT_ISA(desc);
  srand(29);
  for (int k = 0; k < CASES; k++) {
    int64_t d[4] = {irand(1, 3), irand(1, 40), irand(1, 9), irand(1, 9)}, cd[1] = {d[1]};
    nc_tdesc in[5], out[1] = {td(NC_F32, 4, d)};
    in[0] = td(NC_F32, 4, d);
    for (int i = 1; i < 5; i++) in[i] = td(NC_F32, 1, cd);
    double fa[1] = {1e-3 * (double)irand(1, 10)};
    bcase bc = {{5, 1, in, out, NULL, fa, 0, 1}, {rand_buf(nc_numel(&in[0]))}, 0x1e};
    for (int i = 1; i < 5; i++) bc.in[i] = rand_buf(d[1]);
    float *var = (float *)bc.in[4];
    for (int64_t ch = 0; ch < d[1]; ch++) var[ch] = var[ch] * var[ch] + 0.01f; /* variances */
    check_case(desc, "cpu:f32:nchw/batchnormalization-ref/c99", &bc, 1e-5);
    for (int i = 0; i < 5; i++) free((void *)bc.in[i]);
  }
}

Test(x86_blocked, batchnormalization) {
  force_batchnorm("cpu:f32:nchw16c/batchnormalization-direct/avx512");
  force_batchnorm("cpu:f32:nchw8c/batchnormalization-direct/avx2");
}

/* ---------------- pad ---------------- */

static void force_pad(const char *desc) {
  SKIP_WITHOUT_ISA(desc);
  srand(31);
  for (int k = 0; k < CASES; k++) {
    int64_t xd[4] = {irand(1, 2), irand(1, 40), irand(1, 8), irand(1, 8)};
    int64_t t = irand(0, 3), l = irand(0, 3), yd[4] = {xd[0], xd[1], xd[2] + t + irand(0, 3),
                                                       xd[3] + l + irand(0, 3)};
    nc_tdesc in[1] = {td(NC_F32, 4, xd)}, out[1] = {td(NC_F32, 4, yd)};
    int64_t ia[5] = {NC_PAD_CONSTANT, 0, 0, t, l};
    double fa[1] = {k % 3 == 0 ? 0.0 : frand()};
    bcase bc = {{1, 1, in, out, ia, fa, 5, 1}, {rand_buf(nc_numel(&in[0]))}, 0};
    check_case(desc, "cpu:f32:nchw/pad-ref/c99", &bc, 0);
    free((void *)bc.in[0]);
  }
}

Test(x86_blocked, pad_spatial) {
  force_pad("cpu:f32:nchw16c/pad-spatial/avx512");
  force_pad("cpu:f32:nchw8c/pad-spatial/avx2");
}

Test(x86_blocked, pad_refuses_channel_padding_and_crops) {
  int64_t xd[4] = {1, 4, 3, 3}, yd[4] = {1, 5, 3, 3}, cd[4] = {1, 4, 2, 3};
  nc_tdesc in[1] = {td(NC_F32, 4, xd)}, out[1] = {td(NC_F32, 4, yd)};
  int64_t ia[5] = {NC_PAD_CONSTANT, 0, 1, 0, 0};
  nc_args a = {1, 1, in, out, ia, NULL, 5, 0};
  const nc_routine *r = must_find("cpu:f32:nchw16c/pad-spatial/avx512");
  cr_assert(!r->applies(&a));
  out[0] = td(NC_F32, 4, cd);
  ia[2] = 0, ia[3] = -1;
  cr_assert(!r->applies(&a));
  ia[3] = 0, ia[0] = NC_PAD_REFLECT, out[0] = td(NC_F32, 4, xd);
  cr_assert(!r->applies(&a));
}
