/* nn-family routines and lowering besides Conv: GEMM, Gemm/MatMul, pools,
 * softmax opset semantics, LayerNorm, adapters, and lowering errors/shapes. */
#include "test_nn_util.h"

#include "../../runtime-min/src/nn_internal.h"

/* ---------------- GEMM kernel ---------------- */

static void naive_mm(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0;
      for (int64_t p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
      c[i * n + j] = (float)s;
    }
}

Test(gemm, packed_vs_naive_odd_sizes) {
  srand(3);
  const int64_t sizes[][3] = {{1, 1, 1}, {5, 7, 3}, {6, 8, 256}, {13, 17, 300}, {7, 9, 513},
                              {37, 3, 11}, {2, 1030, 19}, {61, 70, 1}};
  for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
    int64_t m = sizes[t][0], n = sizes[t][1], k = sizes[t][2];
    float *a = rand_buf(m * k), *b = rand_buf(k * n), *c = rand_buf(m * n), *e = rand_buf(m * n);
    float *ap = malloc(nc_sgemm_packed_a_floats(m, k) * sizeof(float));
    float *bp = malloc(nc_sgemm_packed_b_floats(k, n) * sizeof(float));
    nc_sgemm_pack_a(m, k, a, k, 1, 1.0f, ap);
    nc_sgemm_pack_b(k, n, b, n, 1, bp);
    nc_sgemm_epilogue ep = {NULL, NULL, NC_ACT_NONE, 0, 0, 0};
    nc_sgemm_packed(m, n, k, ap, bp, c, n, &ep);
    naive_mm(m, n, k, a, b, e);
    cr_expect(max_rel_err(c, e, m * n) < 1e-4, "sgemm %lldx%lldx%lld", (long long)m,
              (long long)n, (long long)k);
    free(a); free(b); free(c); free(e); free(ap); free(bp);
  }
}

typedef struct gemm_case {
  int64_t m, n, k;
  int ta, tb;
  int crank; /* -1: no C; 0: scalar; 1: [N]; 2: [M,1]; 3: [M,N] */
  double alpha, beta;
  int64_t act;
} gemm_case;

static void check_gemm(const char *desc, gemm_case gc) {
  int64_t ad[2] = {gc.ta ? gc.k : gc.m, gc.ta ? gc.m : gc.k};
  int64_t bd[2] = {gc.tb ? gc.n : gc.k, gc.tb ? gc.k : gc.n};
  int64_t cd[2] = {gc.m, gc.n}, yd[2] = {gc.m, gc.n};
  nc_tdesc in[3] = {td(NC_F32, 2, ad), td(NC_F32, 2, bd), td(0, 0, NULL)};
  int64_t cn = 1;
  if (gc.crank == 0) in[2] = td(NC_F32, 0, NULL);
  if (gc.crank == 1) { in[2] = td(NC_F32, 1, &gc.n); cn = gc.n; }
  if (gc.crank == 2) { cd[1] = 1; in[2] = td(NC_F32, 2, cd); cn = gc.m; }
  if (gc.crank == 3) { in[2] = td(NC_F32, 2, cd); cn = gc.m * gc.n; }
  nc_tdesc out[1] = {td(NC_F32, 2, yd)};
  int64_t ia[NC_GEMM_IA_COUNT] = {gc.ta, gc.tb, gc.act};
  double fa[NC_GEMM_FA_COUNT] = {gc.alpha, gc.beta, 0.0, 0.0};
  nc_args a = {gc.crank >= 0 ? 3 : 2, 1, in, out, ia, fa, NC_GEMM_IA_COUNT, NC_GEMM_FA_COUNT};
  float *A = rand_buf(gc.m * gc.k), *B = rand_buf(gc.k * gc.n), *C = rand_buf(cn);
  float *y = rand_buf(gc.m * gc.n), *e = rand_buf(gc.m * gc.n);
  for (int64_t i = 0; i < gc.m; i++)
    for (int64_t j = 0; j < gc.n; j++) {
      double s = 0;
      for (int64_t p = 0; p < gc.k; p++)
        s += (double)(gc.ta ? A[p * gc.m + i] : A[i * gc.k + p]) *
             (gc.tb ? B[j * gc.k + p] : B[p * gc.n + j]);
      s *= gc.alpha;
      if (gc.crank == 0) s += gc.beta * C[0];
      if (gc.crank == 1) s += gc.beta * C[j];
      if (gc.crank == 2) s += gc.beta * C[i];
      if (gc.crank == 3) s += gc.beta * C[i * gc.n + j];
      if (gc.act == NC_ACT_RELU && s < 0) s = 0;
      e[i * gc.n + j] = (float)s;
    }
  const void *ins[3] = {A, B, C};
  void *outs[1] = {y};
  run_routine(must_find(desc), &a, ins, outs, 0x2);
  cr_expect(max_rel_err(y, e, gc.m * gc.n) < 1e-4, "%s m%lld n%lld k%lld ta%d tb%d c%d", desc,
            (long long)gc.m, (long long)gc.n, (long long)gc.k, gc.ta, gc.tb, gc.crank);
  free(A); free(B); free(C); free(y); free(e);
}

Test(gemm, layer_routines_vs_naive) {
  srand(5);
  const char *descs[] = {"cpu:f32:nchw/gemm-ref/c99", "cpu:f32:nchw/gemm-packed/c99"};
  for (int d = 0; d < 2; d++)
    for (int t = 0; t < 40; t++) {
      gemm_case gc = {1 + rand() % 20, 1 + rand() % 20, 1 + rand() % 40, rand() % 2, rand() % 2,
                      rand() % 5 - 1, 0.5 + rand() % 3, rand() % 3 * 0.5,
                      rand() % 2 ? NC_ACT_RELU : NC_ACT_NONE};
      check_gemm(descs[d], gc);
    }
}

/* ---------------- MatMul ---------------- */

static void check_matmul(const char *desc, int ar, const int64_t *adims, int br,
                         const int64_t *bdims, int yr, const int64_t *ydims) {
  nc_tdesc in[2] = {td(NC_F32, ar, adims), td(NC_F32, br, bdims)};
  nc_tdesc out[1] = {td(NC_F32, yr, ydims)};
  nc_args a = {2, 1, in, out, NULL, NULL, 0, 0};
  int64_t an = nc_numel(&in[0]), bn = nc_numel(&in[1]), yn = nc_numel(&out[0]);
  float *A = rand_buf(an), *B = rand_buf(bn), *y = rand_buf(yn), *e = rand_buf(yn);
  /* Expected: numpy semantics spelled out for rank <= 4 by padding to 4-D. */
  int64_t A4[4] = {1, 1, 1, 1}, B4[4] = {1, 1, 1, 1};
  int a1 = ar == 1, b1 = br == 1;
  for (int i = 0; i < ar; i++) A4[4 - ar + i] = adims[i];
  if (a1) { A4[2] = 1; A4[3] = adims[0]; }
  for (int i = 0; i < br; i++) B4[4 - br + i] = bdims[i];
  if (b1) { B4[2] = bdims[0]; B4[3] = 1; }
  int64_t M = A4[2], K = A4[3], N = B4[3];
  int64_t O0 = A4[0] > B4[0] ? A4[0] : B4[0], O1 = A4[1] > B4[1] ? A4[1] : B4[1];
  int64_t at = 0;
  for (int64_t o0 = 0; o0 < O0; o0++)
    for (int64_t o1 = 0; o1 < O1; o1++)
      for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
          double s = 0;
          int64_t ab = ((A4[0] == 1 ? 0 : o0) * A4[1] + (A4[1] == 1 ? 0 : o1)) * M * K;
          int64_t bb = ((B4[0] == 1 ? 0 : o0) * B4[1] + (B4[1] == 1 ? 0 : o1)) * K * N;
          for (int64_t p = 0; p < K; p++) s += (double)A[ab + i * K + p] * B[bb + p * N + j];
          e[at++] = (float)s;
        }
  cr_assert_eq(at, yn);
  const void *ins[2] = {A, B};
  void *outs[1] = {y};
  run_routine(must_find(desc), &a, ins, outs, 0x2);
  cr_expect(max_rel_err(y, e, yn) < 1e-4, "%s ranks %d x %d", desc, ar, br);
  free(A); free(B); free(y); free(e);
}

Test(matmul, broadcasting_and_1d) {
  srand(9);
  const int64_t a1[] = {2, 1, 3, 4}, b1[] = {5, 4, 2}, y1[] = {2, 5, 3, 2};
  check_matmul("cpu:f32:nchw/matmul-ref/c99", 4, a1, 3, b1, 4, y1);
  const int64_t a2[] = {4}, b2[] = {4, 3}, y2[] = {3};
  const int64_t a3[] = {2, 3, 4}, b3[] = {4}, y3[] = {2, 3};
  const int64_t a4[] = {2, 7, 9}, b4[] = {9, 10}, y4[] = {2, 7, 10};
  const int64_t a5[] = {9}, b5[] = {9}, y5[] = {1};
  const char *descs[] = {"cpu:f32:nchw/matmul-ref/c99", "cpu:f32:nchw/matmul-packed/c99"};
  for (int d = 0; d < 2; d++) {
    check_matmul(descs[d], 1, a2, 2, b2, 1, y2);
    check_matmul(descs[d], 3, a3, 1, b3, 2, y3);
    check_matmul(descs[d], 3, a4, 2, b4, 3, y4);
    check_matmul(descs[d], 1, a5, 1, b5, 0, y5);
  }
}

Test(matmul, lowering_shapes) {
  nc_graph *g = nc_graph_new("t.onnx");
  const int64_t ad[] = {2, 1, 3, 4}, bd[] = {5, 4, 2};
  int ta = add_tensor(g, "a", NC_F32, 4, ad), tb = add_tensor(g, "b", NC_F32, 3, bd);
  int ty = nc_graph_tensor(g, "y");
  int in[2] = {ta, tb};
  int id = add_node(g, "mm", "MatMul", in, 2, &ty, 1);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  const nc_tdesc *y = &g->tensors[ty].desc;
  cr_assert_eq(y->ndim, 4);
  const int64_t ey[] = {2, 5, 3, 2};
  for (int i = 0; i < 4; i++) cr_expect_eq(y->dims[i], ey[i]);
  const int64_t bad[] = {3, 2};
  g->tensors[tb].desc = td(NC_F32, 2, bad);
  cr_expect_eq(lower_node(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "'mm'") != NULL, "%s", nc_err_msg());
  nc_graph_free(g);
}

/* ---------------- pools ---------------- */

static nc_args pool_args(nc_tdesc *in, nc_tdesc *out, int n_out, int64_t *ia, int64_t k,
                         int64_t s, int64_t pad, int64_t cip, int64_t order) {
  memset(ia, 0, sizeof(int64_t) * NC_POOL_IA_COUNT);
  ia[NC_POOL_IA_NSPATIAL] = 2;
  for (int d = 0; d < 3; d++) {
    ia[NC_POOL_IA_KERNEL + d] = d < 2 ? k : 1;
    ia[NC_POOL_IA_STRIDE + d] = d < 2 ? s : 1;
    ia[NC_POOL_IA_DILATION + d] = 1;
    ia[NC_POOL_IA_PAD_BEGIN + d] = d < 2 ? pad : 0;
    ia[NC_POOL_IA_PAD_END + d] = d < 2 ? pad : 0;
  }
  ia[NC_POOL_IA_COUNT_INCLUDE_PAD] = cip;
  ia[NC_POOL_IA_STORAGE_ORDER] = order;
  nc_args a = {1, n_out, in, out, ia, NULL, NC_POOL_IA_COUNT, 0};
  return a;
}

Test(pool, maxpool_hand_with_indices) {
  float x[16];
  for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
  const int64_t xd[] = {1, 1, 4, 4}, yd[] = {1, 1, 2, 2};
  nc_tdesc in[1] = {td(NC_F32, 4, xd)}, out[2] = {td(NC_F32, 4, yd), td(NC_S64, 4, yd)};
  int64_t ia[NC_POOL_IA_COUNT];
  for (int order = 0; order < 2; order++) {
    nc_args a = pool_args(in, out, 2, ia, 2, 2, 0, 0, order);
    float y[4];
    int64_t idx[4];
    const void *ins[1] = {x};
    void *outs[2] = {y, idx};
    run_routine(must_find("cpu:f32:nchw/maxpool-ref/c99"), &a, ins, outs, 0);
    const float ey[4] = {6, 8, 14, 16};
    const int64_t ei[2][4] = {{5, 7, 13, 15}, {5, 13, 7, 15}};
    for (int i = 0; i < 4; i++) {
      cr_expect_float_eq(y[i], ey[i], 0.0f);
      cr_expect_eq(idx[i], ei[order][i], "order %d idx[%d] = %lld", order, i, (long long)idx[i]);
    }
  }
}

Test(pool, averagepool_count_include_pad) {
  float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const int64_t xd[] = {1, 1, 3, 3}, yd[] = {1, 1, 4, 4};
  nc_tdesc in[1] = {td(NC_F32, 4, xd)}, out[1] = {td(NC_F32, 4, yd)};
  int64_t ia[NC_POOL_IA_COUNT];
  float y[16];
  const void *ins[1] = {x};
  void *outs[1] = {y};
  nc_args a = pool_args(in, out, 1, ia, 2, 1, 1, 0, 0);
  run_routine(must_find("cpu:f32:nchw/averagepool-ref/c99"), &a, ins, outs, 0);
  cr_expect_float_eq(y[0], 1.0f, 1e-6f);
  cr_expect_float_eq(y[5], 3.0f, 1e-6f);  /* (1+2+4+5)/4 */
  cr_expect_float_eq(y[1], 1.5f, 1e-6f);  /* (1+2)/2 */
  a = pool_args(in, out, 1, ia, 2, 1, 1, 1, 0);
  run_routine(must_find("cpu:f32:nchw/averagepool-ref/c99"), &a, ins, outs, 0);
  cr_expect_float_eq(y[0], 0.25f, 1e-6f);
  cr_expect_float_eq(y[1], 0.75f, 1e-6f);
  cr_expect_float_eq(y[15], 9.0f / 4.0f, 1e-6f);
}

Test(pool, maxpool_ceil_mode_lowering) {
  nc_graph *g = nc_graph_new("t.onnx");
  const int64_t xd[] = {1, 1, 4, 4};
  int tx = add_tensor(g, "x", NC_F32, 4, xd), ty = nc_graph_tensor(g, "y");
  int id = add_node(g, "mp", "MaxPool", &tx, 1, &ty, 1);
  const int64_t k[] = {3, 3}, s[] = {2, 2};
  attr_ints(&g->nodes[id], "kernel_shape", 2, k);
  attr_ints(&g->nodes[id], "strides", 2, s);
  attr_int(&g->nodes[id], "ceil_mode", 1);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  nc_tensor *y = &g->tensors[ty];
  cr_assert_eq(y->desc.ndim, 4);
  cr_expect_eq(y->desc.dims[2], 2);
  cr_expect_eq(y->desc.dims[3], 2);
  float x[16], out[4];
  for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
  nc_node *n = &g->nodes[id];
  nc_args a = {1, 1, &g->tensors[tx].desc, &y->desc, n->ia, n->fa, n->n_ia, n->n_fa};
  const void *ins[1] = {x};
  void *outs[1] = {out};
  run_routine(must_find("cpu:f32:nchw/maxpool-ref/c99"), &a, ins, outs, 0);
  const float e[4] = {11, 12, 15, 16};
  for (int i = 0; i < 4; i++) cr_expect_float_eq(out[i], e[i], 0.0f);
  nc_graph_free(g);
}

Test(pool, nhwc_forced_against_reference) {
  srand(11);
  const char *pairs[][2] = {{"cpu:f32:nchw/maxpool-ref/c99", "cpu:f32:nhwc/maxpool-ref/c99"},
                            {"cpu:f32:nchw/averagepool-ref/c99", "cpu:f32:nhwc/averagepool-ref/c99"}};
  for (int p = 0; p < 2; p++)
    for (int t = 0; t < 50; t++) {
      int64_t k = 1 + rand() % 3, s = 1 + rand() % 3, pad = rand() % k;
      int64_t xd[4] = {1 + rand() % 2, 1 + rand() % 9, k + rand() % 8, k + rand() % 8};
      int64_t yd[4] = {xd[0], xd[1], (xd[2] + 2 * pad - k) / s + 1, (xd[3] + 2 * pad - k) / s + 1};
      nc_tdesc in[1] = {td(NC_F32, 4, xd)}, out[1] = {td(NC_F32, 4, yd)};
      int64_t ia[NC_POOL_IA_COUNT];
      nc_args a = pool_args(in, out, 1, ia, k, s, pad, rand() % 2, 0);
      int64_t xn = nc_numel(&in[0]), yn = nc_numel(&out[0]);
      float *x = rand_buf(xn), *xt = rand_buf(xn), *e = rand_buf(yn), *yt = rand_buf(yn),
            *y = rand_buf(yn);
      const void *ins[1] = {x};
      void *outs[1] = {e};
      run_routine(must_find(pairs[p][0]), &a, ins, outs, 0);
      to_layout(&in[0], x, xt, 1);
      ins[0] = xt;
      outs[0] = yt;
      run_routine(must_find(pairs[p][1]), &a, ins, outs, 0);
      to_layout(&out[0], yt, y, 0);
      cr_expect(max_rel_err(y, e, yn) < 1e-5, "%s trial %d", pairs[p][1], t);
      free(x); free(xt); free(e); free(yt); free(y);
    }
}

Test(pool, global_average_nchw_and_nhwc) {
  const int64_t xd[] = {2, 3, 2, 2}, yd[] = {2, 3, 1, 1};
  nc_tdesc in[1] = {td(NC_F32, 4, xd)}, out[1] = {td(NC_F32, 4, yd)};
  nc_args a = {1, 1, in, out, NULL, NULL, 0, 0};
  float x[24], xt[24], y[6], y2[6];
  for (int i = 0; i < 24; i++) x[i] = (float)i;
  const void *ins[1] = {x};
  void *outs[1] = {y};
  run_routine(must_find("cpu:f32:nchw/globalaveragepool-ref/c99"), &a, ins, outs, 0);
  for (int i = 0; i < 6; i++) cr_expect_float_eq(y[i], 4.0f * (float)i + 1.5f, 1e-6f);
  to_layout(&in[0], x, xt, 1);
  ins[0] = xt;
  outs[0] = y2;
  run_routine(must_find("cpu:f32:nhwc/globalaveragepool-ref/c99"), &a, ins, outs, 0);
  for (int i = 0; i < 6; i++) cr_expect_float_eq(y2[i], y[i], 1e-6f);
  outs[0] = y;
  ins[0] = x;
  run_routine(must_find("cpu:f32:nchw/globalmaxpool-ref/c99"), &a, ins, outs, 0);
  for (int i = 0; i < 6; i++) cr_expect_float_eq(y[i], 4.0f * (float)i + 3.0f, 0.0f);
}

/* ---------------- softmax ---------------- */

static void lower_and_run_softmax(int64_t opset, const char *op, int64_t axis, float *y,
                                  const float *x) {
  nc_graph *g = nc_graph_new("t.onnx");
  g->opset = opset;
  const int64_t xd[] = {2, 3, 4};
  int tx = add_tensor(g, "x", NC_F32, 3, xd), ty = nc_graph_tensor(g, "y");
  int id = add_node(g, "sm", op, &tx, 1, &ty, 1);
  attr_int(&g->nodes[id], "axis", axis);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  nc_node *n = &g->nodes[id];
  nc_args a = {1, 1, &g->tensors[tx].desc, &g->tensors[ty].desc, n->ia, n->fa, n->n_ia, n->n_fa};
  char desc[64];
  snprintf(desc, sizeof desc, "cpu:f32:nchw/%s-ref/c99",
           strcmp(op, "Softmax") == 0 ? "softmax" : strcmp(op, "LogSoftmax") == 0 ? "logsoftmax" : "hardmax");
  const void *ins[1] = {x};
  void *outs[1] = {y};
  run_routine(must_find(desc), &a, ins, outs, 0);
  nc_graph_free(g);
}

Test(softmax, opset12_coerces_opset13_single_axis) {
  float x[24], y[24];
  for (int i = 0; i < 24; i++) x[i] = (float)((i * 7) % 11) * 0.3f;
  /* opset 12, axis 1: each of the 2 rows of 12 sums to 1. */
  lower_and_run_softmax(12, "Softmax", 1, y, x);
  for (int r = 0; r < 2; r++) {
    double s = 0, den = 0;
    for (int i = 0; i < 12; i++) { s += y[r * 12 + i]; den += exp(x[r * 12 + i]); }
    cr_expect(fabs(s - 1.0) < 1e-5);
    cr_expect(fabs(y[r * 12 + 5] - exp(x[r * 12 + 5]) / den) < 1e-6);
  }
  /* opset 13, axis 1: each (n, w) column of 3 sums to 1. */
  lower_and_run_softmax(13, "Softmax", 1, y, x);
  for (int n = 0; n < 2; n++)
    for (int w = 0; w < 4; w++) {
      double den = 0;
      for (int c = 0; c < 3; c++) den += exp(x[n * 12 + c * 4 + w]);
      for (int c = 0; c < 3; c++)
        cr_expect(fabs(y[n * 12 + c * 4 + w] - exp(x[n * 12 + c * 4 + w]) / den) < 1e-6);
    }
  lower_and_run_softmax(13, "LogSoftmax", -1, y, x);
  double den = 0;
  for (int i = 0; i < 4; i++) den += exp(x[i]);
  cr_expect(fabs(y[2] - (x[2] - log(den))) < 1e-5);
  lower_and_run_softmax(13, "Hardmax", 1, y, x);
  for (int n = 0; n < 2; n++)
    for (int w = 0; w < 4; w++) {
      int best = 0;
      for (int c = 1; c < 3; c++)
        if (x[n * 12 + c * 4 + w] > x[n * 12 + best * 4 + w]) best = c;
      for (int c = 0; c < 3; c++) cr_expect_float_eq(y[n * 12 + c * 4 + w], c == best ? 1.0f : 0.0f, 0.0f);
    }
}

/* ---------------- LayerNorm ---------------- */

Test(norm, layernorm_with_stats) {
  nc_graph *g = nc_graph_new("t.onnx");
  const int64_t xd[] = {2, 3, 4}, sd[] = {3, 4};
  int tx = add_tensor(g, "x", NC_F32, 3, xd), ts = add_tensor(g, "s", NC_F32, 2, sd),
      tb = add_tensor(g, "b", NC_F32, 2, sd);
  int outs_t[3] = {nc_graph_tensor(g, "y"), nc_graph_tensor(g, "mean"), nc_graph_tensor(g, "isd")};
  int ins_t[3] = {tx, ts, tb};
  int id = add_node(g, "ln", "LayerNormalization", ins_t, 3, outs_t, 3);
  attr_int(&g->nodes[id], "axis", 1);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  cr_expect_eq(g->tensors[outs_t[1]].desc.ndim, 3);
  cr_expect_eq(g->tensors[outs_t[1]].desc.dims[0], 2);
  cr_expect_eq(g->tensors[outs_t[1]].desc.dims[1], 1);
  float x[24], s[12], b[12], y[24], mean[2], isd[2];
  for (int i = 0; i < 24; i++) x[i] = (float)(i % 5) - 1.0f + 0.1f * (float)i;
  for (int i = 0; i < 12; i++) { s[i] = 0.5f + 0.1f * (float)i; b[i] = -0.2f * (float)i; }
  nc_node *n = &g->nodes[id];
  nc_tdesc in[3] = {g->tensors[tx].desc, g->tensors[ts].desc, g->tensors[tb].desc};
  nc_tdesc out[3] = {g->tensors[outs_t[0]].desc, g->tensors[outs_t[1]].desc,
                     g->tensors[outs_t[2]].desc};
  nc_args a = {3, 3, in, out, n->ia, n->fa, n->n_ia, n->n_fa};
  const void *ins[3] = {x, s, b};
  void *outs[3] = {y, mean, isd};
  run_routine(must_find("cpu:f32:nchw/layernormalization-ref/c99"), &a, ins, outs, 0);
  for (int r = 0; r < 2; r++) {
    double mu = 0, var = 0;
    for (int i = 0; i < 12; i++) mu += x[r * 12 + i] / 12.0;
    for (int i = 0; i < 12; i++) var += (x[r * 12 + i] - mu) * (x[r * 12 + i] - mu) / 12.0;
    double inv = 1.0 / sqrt(var + 1e-5);
    cr_expect(fabs(mean[r] - mu) < 1e-5);
    cr_expect(fabs(isd[r] - inv) < 1e-4);
    for (int i = 0; i < 12; i++)
      cr_expect(fabs(y[r * 12 + i] - ((x[r * 12 + i] - mu) * inv * s[i] + b[i])) < 1e-5);
  }
  nc_graph_free(g);
}

Test(norm, batchnorm_training_mode_rejected) {
  nc_graph *g = nc_graph_new("t.onnx");
  const int64_t xd[] = {1, 2, 3, 3}, cd[] = {2};
  int ins_t[5] = {add_tensor(g, "x", NC_F32, 4, xd), add_tensor(g, "s", NC_F32, 1, cd),
                  add_tensor(g, "b", NC_F32, 1, cd), add_tensor(g, "m", NC_F32, 1, cd),
                  add_tensor(g, "v", NC_F32, 1, cd)};
  int ty = nc_graph_tensor(g, "y");
  int id = add_node(g, "bn1", "BatchNormalization", ins_t, 5, &ty, 1);
  cr_expect_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  attr_int(&g->nodes[id], "training_mode", 1);
  cr_expect_eq(lower_node(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "bn1") && strstr(nc_err_msg(), "training_mode"), "%s",
            nc_err_msg());
  nc_graph_free(g);
}

/* ---------------- adapters ---------------- */

Test(adapter, round_trip_and_positions) {
  const int64_t d[] = {2, 3, 4, 5};
  nc_tdesc desc = td(NC_S64, 4, d);
  int64_t x[120], t[120], back[120];
  for (int i = 0; i < 120; i++) x[i] = 1000 + i;
  nc_args a = {1, 1, &desc, &desc, NULL, NULL, 0, 0};
  const void *ins[1] = {x};
  void *outs[1] = {t};
  run_routine(must_find("cpu:s64:nchw/to-nhwc/c99"), &a, ins, outs, 0);
  /* element (n=1, c=2, h=3, w=4) sits at ((1*4+3)*5+4)*3+2 in NHWC */
  cr_expect_eq(t[((1 * 4 + 3) * 5 + 4) * 3 + 2], x[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
  ins[0] = t;
  outs[0] = back;
  run_routine(must_find("cpu:s64:nhwc/to-nchw/c99"), &a, ins, outs, 0);
  for (int i = 0; i < 120; i++) cr_expect_eq(back[i], x[i]);
  uint8_t xb[120], tb[120];
  for (int i = 0; i < 120; i++) xb[i] = (uint8_t)i;
  desc.dtype = NC_U8;
  ins[0] = xb;
  outs[0] = tb;
  run_routine(must_find("cpu:u8:nchw/to-nhwc/c99"), &a, ins, outs, 0);
  cr_expect_eq(tb[1], xb[20]); /* (n0,h0,w0,c1) = NCHW offset 1*4*5 */
}

/* ---------------- lowering ---------------- */

static int conv_graph(nc_graph *g, const char *name, int wrank, int *ty) {
  const int64_t xd[] = {1, 3, 6, 6}, wd[] = {8, 3, 3, 3};
  int in[2] = {add_tensor(g, "x", NC_F32, 4, xd), add_tensor(g, "w", NC_F32, wrank, wd)};
  *ty = nc_graph_tensor(g, "y");
  return add_node(g, name, "Conv", in, 2, ty, 1);
}

Test(lowering, conv_same_upper_and_lower) {
  for (int lower = 0; lower < 2; lower++) {
    nc_graph *g = nc_graph_new("t.onnx");
    int ty, id = conv_graph(g, "c1", 4, &ty);
    const int64_t s[] = {2, 2};
    attr_ints(&g->nodes[id], "strides", 2, s);
    attr_string(&g->nodes[id], "auto_pad", lower ? "SAME_LOWER" : "SAME_UPPER");
    cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
    const nc_tdesc *y = &g->tensors[ty].desc;
    cr_assert_eq(y->ndim, 4);
    const int64_t e[] = {1, 8, 3, 3};
    for (int i = 0; i < 4; i++) cr_expect_eq(y->dims[i], e[i]);
    /* total pad (3-1)*2 + 3 - 6 = 1: at the end for UPPER, the beginning for LOWER */
    nc_node *n = &g->nodes[id];
    cr_expect_eq(n->ia[NC_CONV_IA_PAD_BEGIN], lower ? 1 : 0);
    cr_expect_eq(n->ia[NC_CONV_IA_PAD_END], lower ? 0 : 1);
    cr_expect_eq(n->ia[NC_CONV_IA_STRIDE + 1], 2);
    nc_graph_free(g);
  }
}

Test(lowering, conv_bad_weight_rank_names_node) {
  nc_graph *g = nc_graph_new("t.onnx");
  int ty, id = conv_graph(g, "conv_bad", 3, &ty);
  cr_expect_eq(lower_node(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "conv_bad") != NULL, "%s", nc_err_msg());
  cr_expect(strstr(nc_err_msg(), "rank") != NULL, "%s", nc_err_msg());
  nc_graph_free(g);
}

Test(lowering, fused_act_survives_lowering) {
  nc_graph *g = nc_graph_new("t.onnx");
  int ty, id = conv_graph(g, "c2", 4, &ty);
  const nc_op_def *d = nc_op_find("Conv");
  cr_assert(d->fuse_act);
  cr_expect_eq(d->fuse_act(&g->nodes[id], NC_ACT_CLIP, 0.0, 6.0), 1);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  nc_node *n = &g->nodes[id];
  cr_expect_eq(n->ia[NC_CONV_IA_ACT], NC_ACT_CLIP);
  cr_expect_float_eq(n->fa[NC_CONV_FA_ACT_BETA], 6.0, 0.0);
  cr_expect_eq(d->fuse_act(n, NC_ACT_RELU, 0.0, 0.0), 0, "a second activation cannot fuse");
  nc_graph_free(g);
}

Test(lowering, convtranspose_output_shape) {
  nc_graph *g = nc_graph_new("t.onnx");
  const int64_t xd[] = {1, 1, 3, 3}, wd[] = {1, 2, 3, 3};
  int in[2] = {add_tensor(g, "x", NC_F32, 4, xd), add_tensor(g, "w", NC_F32, 4, wd)};
  int ty = nc_graph_tensor(g, "y");
  int id = add_node(g, "ct", "ConvTranspose", in, 2, &ty, 1);
  const int64_t s[] = {3, 2}, op[] = {1, 1};
  attr_ints(&g->nodes[id], "strides", 2, s);
  attr_ints(&g->nodes[id], "output_padding", 2, op);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  /* ONNX convtranspose_pad: [1, 2, 10, 8] */
  const int64_t e[] = {1, 2, 10, 8};
  for (int i = 0; i < 4; i++) cr_expect_eq(g->tensors[ty].desc.dims[i], e[i]);
  nc_graph_free(g);
}
