/* Imported QDQ models on the int8 routines (compiler/src/qdq.c): on the
 * generated tests/data/qdq/qdq_conv.onnx (u8 pair on the input, s8 pair
 * after Conv1+Relu, s8 weights behind DequantizeLinear), the pass must
 * remove both activation pairs and give their tensors the model's
 * parameters (the s8 one shifted to u8); `--dtype int8` must run both convs
 * on u8 routines with those parameters, calibration must not overwrite
 * them, a `--plan` of that compile must read back; `--dtype f32` must keep
 * the pairs; and the int8 result must match numpy's float evaluation of the
 * QDQ model (tests/data/make_qdq_models.py) within the quantization noise
 * of the one tensor the model leaves to calibration (y). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "npy.h"
#include "onnx_import.h"
#include "plan_read.h"
#include "qdq.h"

#define SRC NEUROC_SOURCE_DIR
#define DATA SRC "/tests/data/qdq"
#define MODEL DATA "/qdq_conv.onnx"

static char tmpdir[256];

static void make_tmp(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/nc-qdqin-test-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}
static void remove_tmp(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}
TestSuite(qdq, .init = make_tmp, .fini = remove_tmp, .timeout = 120);

/* neuroc with args (after the command); output to tmpdir/log. */
static int neuroc(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s > '%s/log' 2>&1", SRC, NEUROC_EXE, args, tmpdir);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *read_file(const char *path) {
  static char buf[1 << 16];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = 0;
  return buf;
}

static char *log_text(void) {
  char p[400];
  snprintf(p, sizeof p, "%s/log", tmpdir);
  return read_file(p);
}

static nc_graph *load_lowered(void) {
  nc_graph *g = nc_import_onnx(MODEL);
  cr_assert_not_null(g, "%s", nc_err_msg());
  cr_assert_eq(nc_run_passes(g, NULL), 0, "%s", nc_err_msg());
  return g;
}

static int live_ops(const nc_graph *g, const char *op) {
  int n = 0;
  for (int i = 0; i < g->n_nodes; i++) n += !g->nodes[i].dead && !strcmp(g->nodes[i].op, op);
  return n;
}

static const nc_node *node_named(const nc_graph *g, const char *name) {
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead && !strcmp(g->nodes[i].name, name)) return &g->nodes[i];
  cr_assert_fail("no live node '%s'", name);
  return NULL;
}

Test(qdq, pass_removes_pairs_and_sets_parameters) {
  nc_graph *g = load_lowered();
  cr_assert_eq(live_ops(g, "QuantizeLinear"), 2);
  cr_assert_eq(live_ops(g, "DequantizeLinear"), 2, "the weight DequantizeLinears should fold");
  nc_qdq_stats st;
  cr_assert_eq(nc_qdq_absorb(g, &st), 0);
  cr_expect_eq(st.pairs, 2);
  cr_expect_eq(st.dequants, 2);
  cr_expect_eq(st.s8_shifted, 1);
  cr_expect_eq(st.kept, 0);
  cr_expect_eq(live_ops(g, "QuantizeLinear") + live_ops(g, "DequantizeLinear"), 0);

  const nc_node *c1 = node_named(g, "conv1"), *c2 = node_named(g, "conv2");
  const nc_tensor *x = &g->tensors[c1->in[0]], *r = &g->tensors[c2->in[0]];
  cr_expect_str_eq(x->name, "x", "conv1 should read the graph input directly");
  cr_expect_str_eq(r->name, "r", "conv2 should read the Relu output directly");
  cr_expect_eq(x->qscale, 0.02f);
  cr_expect_eq(x->qzero, 128);
  cr_expect_eq(r->qscale, 0.05f);
  cr_expect_eq(r->qzero, 28, "s8 zero point -100 is u8 28 (+128)");
  cr_expect_eq(g->tensors[c2->out[0]].qscale, 0.0f, "y has no pair: left to calibration");
  /* the weights reached the convs as folded f32 constants */
  cr_expect_not_null(g->tensors[c1->in[1]].data);
  cr_expect_eq(g->tensors[c1->in[1]].desc.dtype, NC_F32);
  nc_graph_free(g);
}

/* scale and zero point of `tensor` in plan.yaml's quantization list */
static int plan_qparams(const char *plan, const char *tensor, double *scale, int *zp) {
  char key[128];
  snprintf(key, sizeof key, "{tensor: \"%s\", scale: ", tensor);
  const char *p = strstr(plan, key);
  return p && sscanf(p + strlen(key), "%lf, zero_point: %d", scale, zp) == 2;
}

/* the routine descriptor of layer `name` in plan.yaml ("" if absent) */
static const char *plan_routine(const char *plan, const char *name) {
  static char desc[160];
  char key[128];
  snprintf(key, sizeof key, "- layer: \"%s\"", name);
  const char *p = strstr(plan, key), *r = p ? strstr(p, "routine: ") : NULL;
  desc[0] = 0;
  if (r) sscanf(r + 9, "%159s", desc);
  return desc;
}

static float *run(const nc_graph *g, nc_exec_pick_fn pick, void *ctx) {
  nc_const x, y[1];
  cr_assert_eq(nc_npy_read(DATA "/x.npy", &x), 0, "%s", nc_err_msg());
  nc_exec_graph_opts eo = {pick, ctx, NULL, NULL};
  cr_assert_eq(nc_exec_graph(g, &eo, &x, y), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_numel(&y[0].desc), 512);
  float *out = malloc(512 * sizeof *out);
  memcpy(out, y[0].data, 512 * sizeof *out);
  nc_exec_outputs_free(g, y);
  free(x.data);
  return out;
}

static float *expected(void) {
  nc_const y;
  cr_assert_eq(nc_npy_read(DATA "/y.npy", &y), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_numel(&y.desc), 512);
  return y.data;
}

Test(qdq, int8_compile_uses_u8_routines_with_model_parameters) {
  char args[2048], path[400];
  snprintf(args, sizeof args,
           "compile tests/data/qdq/qdq_conv.onnx -t targets/host.yaml --db none --dtype int8 "
           "--calibrate tests/data/qdq/calib -o '%s/int8'", tmpdir);
  cr_assert_eq(neuroc(args), 0, "%s", log_text());
  cr_expect(strstr(log_text(), "imported QDQ: 2 QuantizeLinear/2 DequantizeLinear removed"),
            "%s", log_text());
  snprintf(path, sizeof path, "%s/int8/plan.yaml", tmpdir);
  const char *plan = read_file(path);
  cr_expect_null(strstr(plan, "QuantizeLinear"), "a pair is still in the plan");
  cr_expect_eq(strncmp(plan_routine(plan, "conv1"), "cpu:u8:", 7), 0, "conv1 runs %s",
               plan_routine(plan, "conv1"));
  cr_expect_eq(strncmp(plan_routine(plan, "conv2"), "cpu:u8:", 7), 0, "conv2 runs %s",
               plan_routine(plan, "conv2"));
  double s;
  int z;
  cr_assert(plan_qparams(plan, "x", &s, &z), "x is not in the plan's quantization list");
  cr_expect(fabs(s - 0.02) < 1e-8 && z == 128, "x: scale %g zero point %d, not the model's", s,
            z);
  cr_assert(plan_qparams(plan, "r", &s, &z), "r is not in the plan's quantization list");
  cr_expect(fabs(s - 0.05) < 1e-8 && z == 28, "r: scale %g zero point %d, not the model's", s, z);
  cr_assert(plan_qparams(plan, "y", &s, &z), "y should be calibrated");

  /* numerics: the plan's routines in process, against numpy's QDQ floats */
  nc_target *t = nc_target_load(SRC "/targets/host.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_options o = {t, "model", NULL, 0, 0, 1, NC_DTYPE_F32, 0.0};
  nc_graph *g = load_lowered();
  float *ref = run(g, NULL, NULL), *want = expected();
  double e_ref = nc_rel_l2(ref, want, 512);
  cr_expect_lt(e_ref, 1e-5, "f32 reference run of the QDQ model vs numpy: rel L2 %g", e_ref);
  nc_qdq_absorb(g, NULL);
  nc_selection sel;
  cr_assert_eq(nc_plan_read(g, &o, path, &sel), 0, "%s", nc_err_msg());
  float *q = run(g, nc_exec_pick_selection, &sel);
  double e = nc_rel_l2(q, want, 512);
  cr_log_info("int8 on the QDQ model vs numpy QDQ floats: rel L2 %.3g", e);
  /* measured 0.011: mostly the u8 grid of y, which calibration sets */
  cr_expect_lt(e, 0.03, "int8 vs numpy: rel L2 %g", e);
  free(q);
  free(ref);
  free(want);
  nc_selection_free(&sel);
  nc_graph_free(g);
  nc_target_free(t);

  /* the plan reads back through the CLI (the graph rewritten the same way) */
  snprintf(args, sizeof args,
           "compile tests/data/qdq/qdq_conv.onnx -t targets/host.yaml --plan '%s' -o '%s/again'",
           path, tmpdir);
  cr_expect_eq(neuroc(args), 0, "%s", log_text());
}

Test(qdq, f32_mode_keeps_the_pairs) {
  char args[2048], path[400];
  snprintf(args, sizeof args,
           "compile tests/data/qdq/qdq_conv.onnx -t targets/host.yaml --db none -o '%s/f32'",
           tmpdir);
  cr_assert_eq(neuroc(args), 0, "%s", log_text());
  cr_expect_null(strstr(log_text(), "imported QDQ"));
  snprintf(path, sizeof path, "%s/f32/plan.yaml", tmpdir);
  const char *plan = read_file(path);
  cr_expect(strstr(plan, "- layer: \"x_q\""), "f32 plan lost the input QuantizeLinear");
  cr_expect(strstr(plan, "- layer: \"r_dq\""), "f32 plan lost the s8 DequantizeLinear");
  cr_expect_null(strstr(plan, "cpu:u8:nhwc/conv"), "f32 mode chose a u8 conv");
}
