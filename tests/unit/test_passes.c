/* Graph passes on real ONNX files (tests/data/make_pass_models.py and
 * make_fuse_models.py): constant folding of PyTorch's shape chains,
 * BatchNorm folding, activation fusion (SiLU included), residual Add fusion,
 * dead-layer removal -- and, end to end, that the folded/fused model built
 * from the emitted C computes what a naive loop (or numpy) over the original
 * layers computes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "neuroc/args_nn.h"
#include "npy.h"
#include "onnx_import.h"

#define DATA NEUROC_SOURCE_DIR "/tests/data/passes/"

static int live_nodes(const nc_graph *g, const char **ops, int cap) {
  int n = 0;
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead) {
      if (n < cap) ops[n] = g->nodes[i].op;
      n++;
    }
  return n;
}

static nc_graph *load(const char *name) {
  nc_err_clear();
  nc_graph *g = nc_import_onnx(name);
  cr_assert_not_null(g, "import %s: %s", name, nc_err_msg());
  return g;
}

Test(passes, pytorch_flatten_chain_folds_away) {
  nc_graph *g = load(DATA "flatten_chain.onnx");
  nc_pass_stats st;
  cr_assert_eq(nc_run_passes(g, &st), 0, "%s", nc_err_msg());
  const char *ops[8];
  cr_assert_eq(live_nodes(g, ops, 8), 1, "only Reshape should remain");
  cr_assert_str_eq(ops[0], "Reshape");
  cr_assert_geq(st.folded, 4);
  const nc_tensor *y = &g->tensors[g->outputs[0]];
  cr_assert_eq(y->desc.ndim, 2);
  cr_assert_eq(y->desc.dims[0], 2);
  cr_assert_eq(y->desc.dims[1], 60);
  nc_graph_free(g);
}

Test(passes, batchnorm_folds_and_relu_fuses_and_dead_branch_goes) {
  nc_graph *g = load(DATA "conv_bn_relu.onnx");
  nc_pass_stats st;
  cr_assert_eq(nc_run_passes(g, &st), 0, "%s", nc_err_msg());
  const char *ops[8];
  cr_assert_eq(live_nodes(g, ops, 8), 1);
  cr_assert_str_eq(ops[0], "Conv");
  cr_assert_eq(st.bn_folded, 1);
  cr_assert_eq(st.act_fused, 1);
  cr_assert_geq(st.dead_removed, 1);
  nc_graph_free(g);
}

/* Naive reference of the original graph: conv (pad 1) -> BN -> relu. */
static void reference_conv_bn_relu(const nc_graph *orig, const float *x, float *y) {
  const float *w = NULL, *b = NULL, *sc = NULL, *bi = NULL, *mu = NULL, *var = NULL;
  for (int t = 0; t < orig->n_tensors; t++) {
    const char *n = orig->tensors[t].name;
    const float *d = orig->tensors[t].data;
    if (!strcmp(n, "w")) w = d;
    if (!strcmp(n, "b")) b = d;
    if (!strcmp(n, "scale")) sc = d;
    if (!strcmp(n, "bias")) bi = d;
    if (!strcmp(n, "mean")) mu = d;
    if (!strcmp(n, "var")) var = d;
  }
  cr_assert(w && b && sc && bi && mu && var);
  for (int o = 0; o < 4; o++)
    for (int i = 0; i < 8; i++)
      for (int j = 0; j < 8; j++) {
        double acc = b[o];
        for (int c = 0; c < 3; c++)
          for (int ki = 0; ki < 3; ki++)
            for (int kj = 0; kj < 3; kj++) {
              int ii = i + ki - 1, jj = j + kj - 1;
              if (ii < 0 || jj < 0 || ii >= 8 || jj >= 8) continue;
              acc += (double)w[((o * 3 + c) * 3 + ki) * 3 + kj] * x[(c * 8 + ii) * 8 + jj];
            }
        double v = (acc - mu[o]) / sqrt((double)var[o] + 1e-5) * sc[o] + bi[o];
        y[(o * 8 + i) * 8 + j] = v > 0 ? (float)v : 0.0f;
      }
}

Test(passes, folded_model_matches_original_semantics) {
  nc_graph *orig = load(DATA "conv_bn_relu.onnx");
  nc_graph *g = load(DATA "conv_bn_relu.onnx");
  nc_target *t = nc_target_load(NEUROC_SOURCE_DIR "/targets/host.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  t->profile_min_ms = 0.05;
  nc_options o = {t, "model", NULL, 0, 0, 1};
  nc_compile_report rep;
  const char *dir = NEUROC_BINARY_DIR "/test_passes_out";
  cr_assert_eq(nc_compile_graph(g, &o, dir, &rep), NC_STAGE_OK, "%s", nc_err_msg());
  float x[3 * 64], want[4 * 64];
  for (int i = 0; i < 3 * 64; i++) x[i] = (float)((i * 37) % 23) / 11.0f - 1.0f;
  reference_conv_bn_relu(orig, x, want);
  nc_const in = {{NC_F32, 4, {1, 3, 8, 8}}, x};
  nc_const out[1];
  nc_run_result res;
  cr_assert_eq(nc_build_and_run(g, &o, dir, &in, out, 0, &res), 0, "%s", nc_err_msg());
  const float *got = out[0].data;
  for (int i = 0; i < 4 * 64; i++)
    cr_assert_float_eq(got[i], want[i], 1e-4, "element %d: %g vs %g", i, got[i], want[i]);
  free(out[0].data);
  nc_target_free(t);
  nc_graph_free(g);
  nc_graph_free(orig);
}

Test(passes, unsupported_op_names_node_and_op) {
  nc_graph *g = nc_graph_new("m.onnx");
  int x = nc_graph_tensor(g, "x"), y = nc_graph_tensor(g, "y");
  g->tensors[x].desc = (nc_tdesc){NC_F32, 1, {4}};
  g->tensors[x].is_input = 1;
  g->tensors[y].is_output = 1;
  g->inputs = nc_xmalloc(sizeof(int));
  g->outputs = nc_xmalloc(sizeof(int));
  g->inputs[0] = x;
  g->outputs[0] = y;
  g->n_inputs = g->n_outputs = 1;
  int id = nc_graph_add_node(g, "frob1", "Frobnicate", "");
  nc_node_set_io(&g->nodes[id], &x, 1, &y, 1);
  nc_err_clear();
  cr_assert_eq(nc_run_passes(g, NULL), -1);
  cr_assert(strstr(nc_err_msg(), "m.onnx"), "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "frob1"), "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "unsupported op 'Frobnicate'"), "%s", nc_err_msg());
  nc_graph_free(g);
}

Test(passes, noop_layers_are_removed) {
  nc_graph *g = load(DATA "noops.onnx");
  nc_pass_stats st;
  cr_assert_eq(nc_run_passes(g, &st), 0, "%s", nc_err_msg());
  const char *ops[8];
  cr_assert_eq(live_nodes(g, ops, 8), 1, "only Relu should remain");
  cr_assert_str_eq(ops[0], "Relu");
  cr_assert_eq(st.noops_removed, 3);
  nc_graph_free(g);
}

/* ---------------- fused epilogues (tests/data/make_fuse_models.py) ---------------- */

#define FUSE NEUROC_SOURCE_DIR "/tests/data/fuse/"

static int64_t conv_act(const nc_node *n) {
  return n->ia && n->n_ia > NC_CONV_IA_ACT ? n->ia[NC_CONV_IA_ACT] : NC_ACT_NONE;
}

static const nc_node *live_named(const nc_graph *g, const char *name) {
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead && !strcmp(g->nodes[i].name, name)) return &g->nodes[i];
  return NULL;
}

static int tensor_named(const nc_graph *g, const char *name) {
  for (int t = 0; t < g->n_tensors; t++)
    if (!strcmp(g->tensors[t].name, name)) return t;
  return -1;
}

/* Conv -> Add(skip) -> Relu becomes one Conv with the skip as input 3 and
 * Relu fused; an Add whose conv output is also a graph output, and a
 * broadcast constant Add, stay. */
Test(passes, residual_add_fuses_into_conv) {
  nc_graph *g = load(FUSE "residual.onnx");
  nc_pass_stats st;
  cr_assert_eq(nc_run_passes(g, &st), 0, "%s", nc_err_msg());
  const char *ops[16];
  cr_expect_eq(live_nodes(g, ops, 16), 9, "conv1..5, proj, add3, relu4, add_bcast");
  const nc_node *c2 = live_named(g, "conv2"), *c3 = live_named(g, "conv3");
  cr_assert(c2 && c3);
  cr_expect_eq(c2->n_in, 4);
  cr_expect_eq(c2->in[NC_CONV_IN_SUM], tensor_named(g, "x"), "conv2 adds the block input");
  cr_expect_eq(conv_act(c2), NC_ACT_RELU, "the Relu after the Add fuses too");
  cr_expect_eq(c3->n_in, 4);
  cr_expect_eq(c3->in[2], -1, "conv3 has no bias: the sum keeps input slot 3");
  cr_expect_eq(c3->in[NC_CONV_IN_SUM], tensor_named(g, "cp"), "conv3 adds the projection");
  cr_expect_eq(conv_act(c3), NC_ACT_RELU);
  cr_expect(live_named(g, "add3") && live_named(g, "add_bcast"), "those Adds must stay");
  cr_expect_eq(live_named(g, "conv4")->n_in, 2);
  cr_expect_eq(live_named(g, "conv5")->n_in, 2);
  cr_expect(!live_named(g, "add1") && !live_named(g, "add2"));
  cr_expect_eq(st.residual_fused, 2, "add1 and add2");
  nc_graph_free(g);
}

/* x * Sigmoid(x) after a Conv (both Mul operand orders) becomes the SiLU
 * epilogue; a gate x * Sigmoid(f(x)) stays a Mul (its Sigmoid fuses alone). */
Test(passes, silu_fuses_into_conv) {
  nc_graph *g = load(FUSE "silu.onnx");
  nc_pass_stats st;
  cr_assert_eq(nc_run_passes(g, &st), 0, "%s", nc_err_msg());
  const char *ops[16];
  cr_expect_eq(live_nodes(g, ops, 16), 4, "conv1, conv2, conv3 and the gate Mul");
  cr_expect_eq(conv_act(live_named(g, "conv1")), NC_ACT_SILU);
  cr_expect_eq(conv_act(live_named(g, "conv2")), NC_ACT_SILU);
  cr_expect_eq(conv_act(live_named(g, "conv3")), NC_ACT_SIGMOID);
  cr_expect_not_null(live_named(g, "gate"));
  cr_expect_eq(st.act_fused, 3);
  nc_graph_free(g);
}

/* The fused, compiled model (routines chosen by profiling on the host)
 * against numpy's layer-by-layer result of the unfused graph. */
static void fused_model_matches_numpy(const char *name, const char *target, int n_out,
                                      const char *const *out_names) {
  char path[512], dir[512];
  snprintf(path, sizeof path, FUSE "%s.onnx", name);
  nc_graph *g = load(path);
  nc_target *t = nc_target_load(target);
  cr_assert_not_null(t, "%s", nc_err_msg());
  t->profile_min_ms = 0.05;
  nc_options o = {t, "model", NULL, 0, 0, 1};
  nc_compile_report rep;
  snprintf(dir, sizeof dir, NEUROC_BINARY_DIR "/test_passes_fuse_%s", name);
  cr_assert_eq(nc_compile_graph(g, &o, dir, &rep), NC_STAGE_OK, "%s", nc_err_msg());
  nc_const in, want[2], out[2];
  snprintf(path, sizeof path, FUSE "%s.x.npy", name);
  cr_assert_eq(nc_npy_read(path, &in), 0, "%s", nc_err_msg());
  nc_run_result res;
  cr_assert_eq(nc_build_and_run(g, &o, dir, &in, out, 0, &res), 0, "%s", nc_err_msg());
  for (int k = 0; k < n_out; k++) {
    snprintf(path, sizeof path, FUSE "%s.%s.npy", name, out_names[k]);
    cr_assert_eq(nc_npy_read(path, &want[k]), 0, "%s", nc_err_msg());
    const int64_t n = nc_numel(&want[k].desc);
    cr_assert_eq(nc_numel(&out[k].desc), n, "%s output %d size", name, k);
    const float *got = out[k].data, *e = want[k].data;
    for (int64_t i = 0; i < n; i++)
      cr_assert(fabsf(got[i] - e[i]) <= 1e-4f * fmaxf(1.0f, fabsf(e[i])),
                "%s (%s) output %s element %lld: %g vs numpy %g", name, target, out_names[k],
                (long long)i, got[i], e[i]);
    free(want[k].data);
    free(out[k].data);
  }
  free(in.data);
  nc_target_free(t);
  nc_graph_free(g);
}

Test(passes, fused_residual_model_matches_numpy, .timeout = 300) {
  const char *outs[2] = {"y", "c4"};
  fused_model_matches_numpy("residual", NEUROC_SOURCE_DIR "/targets/host.yaml", 2, outs);
  fused_model_matches_numpy("residual", NEUROC_SOURCE_DIR "/targets/host-fast.yaml", 2, outs);
}

Test(passes, fused_silu_model_matches_numpy, .timeout = 300) {
  const char *outs[1] = {"y"};
  fused_model_matches_numpy("silu", NEUROC_SOURCE_DIR "/targets/host.yaml", 1, outs);
}
