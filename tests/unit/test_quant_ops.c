/* ONNX quantization operators: the reference routines on hand-computed cases
 * and against naive loops written here (int32 accumulation, then the float
 * requantization done in double with rint), the lowering of hand-built
 * graphs (output dtypes and shapes, errors naming the node and the input),
 * and constant folding of a QDQ weight. */
#include <fenv.h>

#include "compile.h"
#include "neuroc/args_quant.h"
#include "test_nn_util.h"

#define TD(dt, ...) td(dt, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})
#define TD0(dt) td(dt, 0, NULL)
#define NONE td(0, 0, NULL)

/* Runs the routine `desc` with n_in inputs and n_out outputs. */
static void run_q(const char *desc, int n_in, const nc_tdesc *ind, const void *const *in,
                  int n_out, const nc_tdesc *outd, void *const *out, const int64_t *ia,
                  int n_ia) {
  nc_args a = {n_in, n_out, ind, outd, ia, NULL, n_ia, 0};
  run_routine(must_find(desc), &a, in, out, 0);
}

/* Round half to even in double, as the C library does in the default mode:
 * independent of neuroc/quant.h. */
static int64_t rne(double v) {
  cr_assert_eq(fegetround(), FE_TONEAREST);
  return (int64_t)rint(v);
}
static int64_t clampi(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ---------------- QuantizeLinear / DequantizeLinear ---------------- */

Test(quant_ops, quantizelinear_per_axis_s8_saturates) {
  /* x [2, 2], axis 1: column 0 scale 0.5 zp -10, column 1 scale 2 zp 5 */
  const float x[4] = {1.25f, 300.0f, -100.0f, 3.0f}, s[2] = {0.5f, 2.0f};
  const int8_t zp[2] = {-10, 5};
  int8_t y[4];
  nc_tdesc ind[3] = {TD(NC_F32, 2, 2), TD(NC_F32, 2), TD(NC_S8, 2)}, outd = TD(NC_S8, 2, 2);
  const void *in[3] = {x, s, zp};
  void *out[1] = {y};
  int64_t ia[NC_QLINEAR_IA_COUNT] = {1};
  run_q("cpu:f32:nchw/quantizelinear-ref/c99", 3, ind, in, 1, &outd, out, ia, 1);
  /* 2.5 -> 2 - 10; 150 + 5 -> 127; -200 - 10 -> -128; 1.5 -> 2 + 5 */
  const int8_t e[4] = {-8, 127, -128, 7};
  for (int i = 0; i < 4; i++) cr_expect_eq(y[i], e[i], "y[%d] = %d", i, y[i]);
}

Test(quant_ops, quantizelinear_default_zero_point_u8) {
  const float x[5] = {0.5f, 1.5f, -3.0f, 254.6f, 1000.0f}, s = 1.0f;
  uint8_t y[5];
  nc_tdesc ind[3] = {TD(NC_F32, 5), TD0(NC_F32), NONE}, outd = TD(NC_U8, 5);
  const void *in[3] = {x, &s, NULL};
  void *out[1] = {y};
  int64_t ia[1] = {0};
  run_q("cpu:f32:nchw/quantizelinear-ref/c99", 3, ind, in, 1, &outd, out, ia, 1);
  const uint8_t e[5] = {0, 2, 0, 255, 255};
  cr_expect_arr_eq(y, e, sizeof e);
}

Test(quant_ops, dequantizelinear_s32_and_per_axis_u8) {
  const int32_t x[3] = {-3, 0, 1000000};
  const float s = 0.5f;
  float y[6];
  nc_tdesc ind[3] = {TD(NC_S32, 3), TD0(NC_F32), NONE}, outd = TD(NC_F32, 3);
  const void *in[3] = {x, &s, NULL};
  void *out[1] = {y};
  int64_t ia[1] = {0};
  run_q("cpu:s32:nchw/dequantizelinear-ref/c99", 3, ind, in, 1, &outd, out, ia, 1);
  cr_expect_eq(y[0], -1.5f);
  cr_expect_eq(y[1], 0.0f);
  cr_expect_eq(y[2], 500000.0f);
  /* u8 [3, 2], axis 0: row r has scale sr[r] and zero point zr[r] */
  const uint8_t xq[6] = {0, 255, 10, 20, 128, 129};
  const float sr[3] = {1.0f, 0.5f, 0.25f};
  const uint8_t zr[3] = {0, 10, 128};
  nc_tdesc ind2[3] = {TD(NC_U8, 3, 2), TD(NC_F32, 3), TD(NC_U8, 3)}, outd2 = TD(NC_F32, 3, 2);
  const void *in2[3] = {xq, sr, zr};
  run_q("cpu:u8:nchw/dequantizelinear-ref/c99", 3, ind2, in2, 1, &outd2, out, ia, 1);
  const float e[6] = {0.0f, 255.0f, 0.0f, 5.0f, 0.0f, 0.25f};
  for (int i = 0; i < 6; i++) cr_expect_eq(y[i], e[i], "y[%d] = %g", i, y[i]);
}

Test(quant_ops, dynamicquantizelinear_hand_case) {
  /* range [-1, 3]: scale 4/255, zp 64; y = rne(x / scale) + 64 */
  const float x[4] = {-1.0f, 0.0f, 3.0f, 1.5f};
  uint8_t y[4], zp;
  float scale;
  nc_tdesc ind[1] = {TD(NC_F32, 4)};
  nc_tdesc outd[3] = {TD(NC_U8, 4), TD0(NC_F32), TD0(NC_U8)};
  const void *in[1] = {x};
  void *out[3] = {y, &scale, &zp};
  run_q("cpu:f32:nchw/dynamicquantizelinear-ref/c99", 1, ind, in, 3, outd, out, NULL, 0);
  cr_expect_float_eq(scale, 4.0f / 255.0f, 1e-9);
  cr_expect_eq(zp, 64);
  /* -63.75 -> -64; 191.25 -> 191; 95.625 -> 96 */
  const uint8_t e[4] = {0, 64, 255, 160};
  cr_expect_arr_eq(y, e, sizeof e);
}

/* ---------------- ConvInteger / QLinearConv ---------------- */

Test(quant_ops, convinteger_hand_case_per_channel_w_zero_point) {
  /* x - 2 = {1, 2, 3, 4}; w - 1 = {0, -2, 1, -1}: 0 - 4 + 3 - 4 = -5 */
  const uint8_t x[4] = {3, 4, 5, 6}, xzp = 2;
  const int8_t w[4] = {1, -1, 2, 0}, wzp[1] = {1};
  int32_t y[1];
  nc_tdesc ind[4] = {TD(NC_U8, 1, 1, 2, 2), TD(NC_S8, 1, 1, 2, 2), TD0(NC_U8), TD(NC_S8, 1)};
  nc_tdesc outd = TD(NC_S32, 1, 1, 1, 1);
  const void *in[4] = {x, w, &xzp, wzp};
  void *out[1] = {y};
  int64_t ia[NC_CONV_IA_COUNT] = {[NC_CONV_IA_NSPATIAL] = 2, [NC_CONV_IA_GROUP] = 1};
  for (int d = 0; d < 3; d++) ia[NC_CONV_IA_STRIDE + d] = ia[NC_CONV_IA_DILATION + d] = 1;
  run_q("cpu:u8:nchw/convinteger-ref/c99", 4, ind, in, 1, &outd, out, ia, NC_CONV_IA_COUNT);
  cr_expect_eq(y[0], -5);
}

/* Naive grouped 2-D conv of (x - xzp) and (w - wzp[m]), pads begin (p, p). */
static void naive_qconv(int64_t c, int64_t h, int64_t wd, int64_t m, int64_t k, int64_t grp,
                        int64_t stride, int64_t pad, int64_t oh, int64_t ow, const uint8_t *x,
                        int32_t xzp, const int8_t *w, const int8_t *wzp, int32_t *acc) {
  int64_t cg = c / grp, mg = m / grp;
  for (int64_t o = 0; o < m; o++)
    for (int64_t i = 0; i < oh; i++)
      for (int64_t j = 0; j < ow; j++) {
        int64_t s = 0;
        for (int64_t ci = 0; ci < cg; ci++)
          for (int64_t u = 0; u < k; u++)
            for (int64_t v = 0; v < k; v++) {
              int64_t r = i * stride - pad + u, q = j * stride - pad + v;
              if (r < 0 || r >= h || q < 0 || q >= wd) continue;
              int64_t xc = (o / mg) * cg + ci;
              s += (int64_t)(x[(xc * h + r) * wd + q] - xzp) *
                   (w[((o * cg + ci) * k + u) * k + v] - wzp[o]);
            }
        acc[(o * oh + i) * ow + j] = (int32_t)s;
      }
}

Test(quant_ops, qlinearconv_random_vs_naive) {
  srand(7);
  enum { C = 4, H = 7, W = 6, M = 6, K = 3, G = 2, S = 2, P = 1, OH = 4, OW = 3 };
  uint8_t x[C * H * W], y[M * OH * OW];
  int8_t w[M * (C / G) * K * K], wzp[M];
  int32_t bias[M], acc[M * OH * OW];
  float ws[M];
  for (int i = 0; i < C * H * W; i++) x[i] = (uint8_t)(rand() % 256);
  for (int i = 0; i < M * (C / G) * K * K; i++) w[i] = (int8_t)(rand() % 256 - 128);
  for (int i = 0; i < M; i++) {
    wzp[i] = (int8_t)(rand() % 7 - 3);
    ws[i] = 0.001f * (float)(1 + rand() % 20);
    bias[i] = rand() % 2001 - 1000;
  }
  const float xs = 0.02f, ys = 0.05f;
  const uint8_t xzp = 117, yzp = 99;
  nc_tdesc ind[9] = {TD(NC_U8, 1, C, H, W), TD0(NC_F32),   TD0(NC_U8),
                     TD(NC_S8, M, C / G, K, K), TD(NC_F32, M), TD(NC_S8, M),
                     TD0(NC_F32),           TD0(NC_U8),    TD(NC_S32, M)};
  nc_tdesc outd = TD(NC_U8, 1, M, OH, OW);
  const void *in[9] = {x, &xs, &xzp, w, ws, wzp, &ys, &yzp, bias};
  void *out[1] = {y};
  int64_t ia[NC_CONV_IA_COUNT] = {[NC_CONV_IA_NSPATIAL] = 2, [NC_CONV_IA_GROUP] = G};
  for (int d = 0; d < 3; d++) {
    ia[NC_CONV_IA_STRIDE + d] = d < 2 ? S : 1;
    ia[NC_CONV_IA_DILATION + d] = 1;
    ia[NC_CONV_IA_PAD_BEGIN + d] = ia[NC_CONV_IA_PAD_END + d] = d < 2 ? P : 0;
  }
  run_q("cpu:u8:nchw/qlinearconv-ref/c99", 9, ind, in, 1, &outd, out, ia, NC_CONV_IA_COUNT);
  naive_qconv(C, H, W, M, K, G, S, P, OH, OW, x, xzp, w, wzp, acc);
  int exact = 0, saturated = 0;
  for (int o = 0; o < M; o++)
    for (int i = 0; i < OH * OW; i++) {
      double real = (double)(acc[o * OH * OW + i] + bias[o]) * xs * ws[o] / ys;
      int64_t e = clampi(rne(real) + yzp, 0, 255), got = y[o * OH * OW + i];
      /* float vs double products may differ right at a tie: one step at most */
      cr_assert(llabs(got - e) <= 1, "y[%d][%d] = %lld, expected %lld", o, i, (long long)got,
                (long long)e);
      exact += got == e;
      saturated += e == 0 || e == 255;
    }
  cr_expect_geq(exact, M * OH * OW - 2);
  cr_expect_lt(saturated, M * OH * OW / 2, "the case should exercise unsaturated values");
}

/* ---------------- MatMulInteger / QLinearMatMul ---------------- */

Test(quant_ops, matmulinteger_batch_broadcast_row_col_zero_points) {
  /* A [2, 2, 3] u8 with per-row zero points, B [3, 2] s8 with per-column ones */
  const uint8_t a[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, azp[2] = {1, 2};
  const int8_t b[6] = {1, -1, 2, 0, -3, 4}, bzp[2] = {0, 1};
  int32_t y[8];
  nc_tdesc ind[4] = {TD(NC_U8, 2, 2, 3), TD(NC_S8, 3, 2), TD(NC_U8, 2), TD(NC_S8, 2)};
  nc_tdesc outd = TD(NC_S32, 2, 2, 2);
  const void *in[4] = {a, b, azp, bzp};
  void *out[1] = {y};
  run_q("cpu:u8:nchw/matmulinteger-ref/c99", 4, ind, in, 1, &outd, out, NULL, 0);
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) {
        int32_t s = 0;
        for (int p = 0; p < 3; p++) s += (a[(t * 2 + i) * 3 + p] - azp[i]) * (b[p * 2 + j] - bzp[j]);
        cr_expect_eq(y[(t * 2 + i) * 2 + j], s, "y[%d][%d][%d]", t, i, j);
      }
  /* one entry by hand: row 0 of batch 0 is {0, 1, 2}, column 1 of B - 1 is {-2, -1, 3} */
  cr_expect_eq(y[1], 0 * -2 + 1 * -1 + 2 * 3);
}

Test(quant_ops, qlinearmatmul_hand_case_s8_output) {
  /* a - 10 = {0, 10} (scale 0.5: {0, 5}); b - 4 = {0, 2} (scale 0.25: {0, 0.5});
   * real y = 2.5, / y_scale 0.5 = 5, + zp -100 = -95 */
  const uint8_t a[2] = {10, 20}, azp = 10, b[2] = {4, 6}, bzp = 4;
  const float as = 0.5f, bs = 0.25f, ys = 0.5f;
  const int8_t yzp = -100;
  int8_t y[1];
  nc_tdesc ind[8] = {TD(NC_U8, 1, 2), TD0(NC_F32), TD0(NC_U8), TD(NC_U8, 2, 1),
                     TD0(NC_F32),     TD0(NC_U8),  TD0(NC_F32), TD0(NC_S8)};
  nc_tdesc outd = TD(NC_S8, 1, 1);
  const void *in[8] = {a, &as, &azp, b, &bs, &bzp, &ys, &yzp};
  void *out[1] = {y};
  run_q("cpu:u8:nchw/qlinearmatmul-ref/c99", 8, ind, in, 1, &outd, out, NULL, 0);
  cr_expect_eq(y[0], -95);
}

/* ---------------- lowering ---------------- */

static nc_graph *qgraph(void) { return nc_graph_new("q.onnx"); }

Test(quant_lowering, quantizelinear_output_dtype_from_zero_point) {
  nc_graph *g = qgraph();
  const int64_t xd[] = {2, 3}, sd[] = {3};
  int in[3] = {add_tensor(g, "x", NC_F32, 2, xd), add_tensor(g, "s", NC_F32, 1, sd),
               add_tensor(g, "z", NC_S8, 1, sd)};
  int y = nc_graph_tensor(g, "y");
  int id = add_node(g, "q1", "QuantizeLinear", in, 3, &y, 1);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  cr_expect_eq(g->tensors[y].desc.dtype, NC_S8);
  cr_expect_eq(g->nodes[id].ia[NC_QLINEAR_IA_AXIS], 1);
  /* without a zero point: u8 */
  int y2 = nc_graph_tensor(g, "y2");
  int id2 = add_node(g, "q2", "QuantizeLinear", in, 2, &y2, 1);
  g->tensors[in[1]].desc = TD0(NC_F32);
  cr_assert_eq(lower_node(g, id2), 0, "%s", nc_err_msg());
  cr_expect_eq(g->tensors[y2].desc.dtype, NC_U8);
  nc_graph_free(g);
}

Test(quant_lowering, scale_count_mismatch_names_node_and_input) {
  nc_graph *g = qgraph();
  const int64_t xd[] = {2, 3}, sd[] = {2};
  int in[2] = {add_tensor(g, "x", NC_F32, 2, xd), add_tensor(g, "s", NC_F32, 1, sd)};
  int y = nc_graph_tensor(g, "y");
  int id = add_node(g, "q_bad", "QuantizeLinear", in, 2, &y, 1); /* axis 1 has 3, scale 2 */
  cr_expect_eq(lower_node(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "q_bad") && strstr(nc_err_msg(), "y_scale"), "%s",
            nc_err_msg());
  nc_graph_free(g);
}

Test(quant_lowering, zero_point_dtype_mismatch_names_input) {
  nc_graph *g = qgraph();
  const int64_t xd[] = {4};
  int in[3] = {add_tensor(g, "x", NC_U8, 1, xd), add_tensor(g, "s", NC_F32, 0, NULL),
               add_tensor(g, "z", NC_S8, 0, NULL)};
  int y = nc_graph_tensor(g, "y");
  int id = add_node(g, "dq_bad", "DequantizeLinear", in, 3, &y, 1);
  cr_expect_eq(lower_node(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "dq_bad") && strstr(nc_err_msg(), "x_zero_point"), "%s",
            nc_err_msg());
  nc_graph_free(g);
}

Test(quant_lowering, qlinearconv_shape_and_bias_check) {
  nc_graph *g = qgraph();
  const int64_t xd[] = {1, 4, 7, 7}, wd[] = {6, 4, 3, 3}, md[] = {6};
  int in[9] = {add_tensor(g, "x", NC_U8, 4, xd),  add_tensor(g, "xs", NC_F32, 0, NULL),
               add_tensor(g, "xz", NC_U8, 0, NULL), add_tensor(g, "w", NC_S8, 4, wd),
               add_tensor(g, "ws", NC_F32, 1, md),  add_tensor(g, "wz", NC_S8, 1, md),
               add_tensor(g, "ys", NC_F32, 0, NULL), add_tensor(g, "yz", NC_S8, 0, NULL),
               add_tensor(g, "b", NC_S32, 1, md)};
  int y = nc_graph_tensor(g, "y");
  int id = add_node(g, "qc", "QLinearConv", in, 9, &y, 1);
  const int64_t pads[] = {1, 1, 1, 1}, strides[] = {2, 2};
  attr_ints(&g->nodes[id], "pads", 4, pads);
  attr_ints(&g->nodes[id], "strides", 2, strides);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  const nc_tdesc *yd = &g->tensors[y].desc;
  cr_expect_eq(yd->dtype, NC_S8);
  const int64_t e[] = {1, 6, 4, 4};
  for (int i = 0; i < 4; i++) cr_expect_eq(yd->dims[i], e[i]);
  g->tensors[in[8]].desc = TD(NC_S32, 5); /* bias with 5 values for 6 channels */
  cr_expect_eq(lower_node(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "qc") && strstr(nc_err_msg(), "(B)"), "%s", nc_err_msg());
  nc_graph_free(g);
}

Test(quant_lowering, matmulinteger_broadcast_shape_s32) {
  nc_graph *g = qgraph();
  const int64_t ad[] = {2, 1, 4, 3}, bd[] = {5, 3, 2};
  int in[2] = {add_tensor(g, "a", NC_U8, 4, ad), add_tensor(g, "b", NC_S8, 3, bd)};
  int y = nc_graph_tensor(g, "y");
  int id = add_node(g, "mmi", "MatMulInteger", in, 2, &y, 1);
  cr_assert_eq(lower_node(g, id), 0, "%s", nc_err_msg());
  const nc_tdesc *yd = &g->tensors[y].desc;
  cr_expect_eq(yd->dtype, NC_S32);
  const int64_t e[] = {2, 5, 4, 2};
  cr_assert_eq(yd->ndim, 4);
  for (int i = 0; i < 4; i++) cr_expect_eq(yd->dims[i], e[i]);
  g->tensors[in[1]].desc.dtype = NC_F32;
  cr_expect_eq(lower_node(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "mmi") && strstr(nc_err_msg(), "input 1 (B)"), "%s",
            nc_err_msg());
  nc_graph_free(g);
}

/* A QDQ weight: s8 initializer -> DequantizeLinear (constant scale, zero
 * point) folds into f32 data at compile time; the Add that uses it stays. */
Test(quant_lowering, constant_dequantize_folds) {
  nc_graph *g = qgraph();
  const int64_t d3[] = {3};
  int x = add_tensor(g, "x", NC_F32, 1, d3), wq = add_tensor(g, "wq", NC_S8, 1, d3);
  int s = add_tensor(g, "s", NC_F32, 0, NULL), z = add_tensor(g, "z", NC_S8, 0, NULL);
  static int8_t wv[3] = {-128, 4, 127}, zv = 2;
  static float sv = 0.25f;
  g->tensors[wq].data = malloc(3);
  memcpy(g->tensors[wq].data, wv, 3);
  g->tensors[s].data = malloc(sizeof(float));
  memcpy(g->tensors[s].data, &sv, sizeof sv);
  g->tensors[z].data = malloc(1);
  memcpy(g->tensors[z].data, &zv, 1);
  int w = nc_graph_tensor(g, "w"), y = nc_graph_tensor(g, "y");
  g->tensors[x].is_input = 1;
  g->tensors[y].is_output = 1;
  g->inputs = nc_xmalloc(sizeof(int));
  g->outputs = nc_xmalloc(sizeof(int));
  g->inputs[0] = x;
  g->outputs[0] = y;
  g->n_inputs = g->n_outputs = 1;
  int dq_in[3] = {wq, s, z}, add_in[2] = {x, w};
  add_node(g, "dq", "DequantizeLinear", dq_in, 3, &w, 1);
  add_node(g, "add", "Add", add_in, 2, &y, 1);
  nc_err_clear();
  nc_pass_stats st;
  cr_assert_eq(nc_run_passes(g, &st), 0, "%s", nc_err_msg());
  cr_expect_geq(st.folded, 1);
  int live = 0;
  for (int i = 0; i < g->n_nodes; i++) live += !g->nodes[i].dead;
  cr_expect_eq(live, 1);
  const float *wf = g->tensors[w].data;
  cr_assert(wf != NULL, "w should be folded to constant data");
  cr_expect_eq(g->tensors[w].desc.dtype, NC_F32);
  /* 0.25 * (q - 2) */
  cr_expect_eq(wf[0], -32.5f);
  cr_expect_eq(wf[1], 0.5f);
  cr_expect_eq(wf[2], 31.25f);
  nc_graph_free(g);
}
