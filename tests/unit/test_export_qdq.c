/* --export-qdq (compiler/src/export_qdq.c): the digits CNN compiled with
 * --dtype int8 and exported as QDQ must (1) import back into neuroc and,
 * run with plain f32 reference routines, reproduce neuroc's int8 outputs on
 * the held-out images up to rounding-boundary flips (the QDQ nodes carry the same quantization), while
 * differing from the f32 model by the quantization error; (2) keep the
 * original names and graph interface; (3) pass onnx.checker when python3-onnx
 * is installed; (4) fail cleanly, naming the file, when it cannot write. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calibrate.h"
#include "export_qdq.h"
#include "npy.h"
#include "onnx_import.h"
#include "plan_read.h"

#define SRC NEUROC_SOURCE_DIR
#define DIGITS SRC "/examples/digits"

static char tmpdir[256];

static void make_tmp(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/nc-qdq-test-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}
static void remove_tmp(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}
TestSuite(export_qdq, .init = make_tmp, .fini = remove_tmp, .timeout = 300);

/* Runs neuroc with args (after the command) and returns its exit status;
 * stdout+stderr go to tmpdir/log. */
static int neuroc(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s > '%s/log' 2>&1", SRC, NEUROC_EXE, args, tmpdir);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
static char *read_log(void) {
  static char buf[8192];
  char p[400];
  snprintf(p, sizeof p, "%s/log", tmpdir);
  FILE *f = fopen(p, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = 0;
  return buf;
}

static void compile_digits_int8(void) {
  char args[2048];
  snprintf(args, sizeof args,
           "compile examples/digits/digits.onnx -t targets/host.yaml --db none -q --dtype int8 "
           "--calibrate examples/digits/calib -o '%s/out' --export-qdq '%s/digits_qdq.onnx'",
           tmpdir, tmpdir);
  cr_assert_eq(neuroc(args), 0, "neuroc compile --export-qdq failed:\n%s", read_log());
}

/* Outputs (logits, [n][10]) of graph g over the first n held-out images,
 * with routines from pick (NULL: reference). */
static float *run_images(const nc_graph *g, nc_exec_pick_fn pick, void *ctx, int n) {
  nc_const x;
  cr_assert_eq(nc_npy_read(DIGITS "/test_x.npy", &x), 0, "%s", nc_err_msg());
  cr_assert_geq(x.desc.dims[0], n);
  float *out = calloc((size_t)n * 10, sizeof *out);
  nc_exec_graph_opts eo = {pick, ctx, NULL, NULL};
  for (int i = 0; i < n; i++) {
    nc_const in = {{NC_F32, 4, {1, 1, 8, 8}, 0.0f, 0}, (float *)x.data + 64 * i};
    nc_const y[1];
    cr_assert_eq(nc_exec_graph(g, &eo, &in, y), 0, "image %d: %s", i, nc_err_msg());
    cr_assert_eq(nc_numel(&y[0].desc), 10);
    memcpy(out + 10 * i, y[0].data, 10 * sizeof(float));
    nc_exec_outputs_free(g, y);
  }
  free(x.data);
  return out;
}

static nc_graph *load_lowered(const char *path) {
  nc_graph *g = nc_import_onnx(path);
  cr_assert_not_null(g, "%s", nc_err_msg());
  nc_pass_stats st;
  cr_assert_eq(nc_run_passes(g, &st), 0, "%s: %s", path, nc_err_msg());
  return g;
}

Test(export_qdq, digits_reference_run_reproduces_int8) {
  compile_digits_int8();
  enum { N = 120 };
  char plan[400], qdq[400];
  snprintf(plan, sizeof plan, "%s/out/plan.yaml", tmpdir);
  snprintf(qdq, sizeof qdq, "%s/digits_qdq.onnx", tmpdir);

  /* neuroc's int8 choice, run through the executor as the emitted model runs it */
  nc_target *t = nc_target_load(SRC "/targets/host.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_options o = {t, "model", NULL, 0, 0, 1, NC_DTYPE_INT8, 0.0};
  nc_graph *g = load_lowered(DIGITS "/digits.onnx");
  nc_selection sel;
  cr_assert_eq(nc_plan_read(g, &o, plan, &sel), 0, "%s", nc_err_msg());
  int quant = 0;
  for (int k = 0; k < sel.n_layers; k++)
    quant += sel.layers[k].cands[sel.layers[k].chosen].r->in_q == NC_Q_U8;
  cr_assert_geq(quant, 3, "the int8 plan should quantize conv1, conv2 and fc");
  float *int8 = run_images(g, nc_exec_pick_selection, &sel, N);
  float *f32 = run_images(g, NULL, NULL, N);

  /* the exported model with f32 reference routines only */
  nc_graph *gq = load_lowered(qdq);
  float *exported = run_images(gq, NULL, NULL, N);

  double e_int8 = nc_rel_l2(exported, int8, N * 10), e_f32 = nc_rel_l2(exported, f32, N * 10);
  double q_err = nc_rel_l2(int8, f32, N * 10);
  cr_log_info("rel L2 exported vs neuroc int8 %.3g, vs f32 %.3g (int8 vs f32 %.3g)", e_int8, e_f32,
              q_err);
  /* Not bit-exact: the f32 Conv of the exported model sums dequantized
   * products in float where neuroc sums exact int32 products, so an
   * activation next to a rounding boundary may land one quantum away
   * (measured: 3e-4, against 4e-3 for int8 vs f32). */
  cr_expect_lt(e_int8, 1e-3, "exported QDQ model differs from neuroc int8: rel L2 %g", e_int8);
  cr_expect_lt(e_int8, 0.15 * q_err, "exported model is closer to f32 than to int8: %g vs %g",
               e_int8, q_err);
  cr_expect_gt(q_err, 1e-3, "int8 should differ measurably from f32 (got %g)", q_err);
  cr_expect_gt(e_f32, 0.5 * q_err, "exported model looks unquantized: vs f32 %g", e_f32);

  /* the interface and names are the user's: same inputs/outputs, and the
   * original weight names now come out of DequantizeLinear nodes */
  cr_assert_eq(gq->n_inputs, 1);
  cr_expect_str_eq(gq->tensors[gq->inputs[0]].name, "image");
  cr_expect_str_eq(gq->tensors[gq->outputs[0]].name, "logits");
  cr_expect_geq(nc_graph_find_tensor(gq, "conv1.weight/s8"), 0);
  cr_expect_geq(nc_graph_find_tensor(gq, "/Relu_output_0/scale"), 0);
  int rt = nc_graph_find_tensor(gq, "/Relu_output_0/scale"), r1 = nc_graph_find_tensor(g, "/Relu_output_0");
  if (rt >= 0 && r1 >= 0 && gq->tensors[rt].data)
    cr_expect_eq(*(float *)gq->tensors[rt].data, g->tensors[r1].qscale,
                 "the activation scale is neuroc's calibrated one");

  free(int8);
  free(f32);
  free(exported);
  nc_selection_free(&sel);
  nc_graph_free(g);
  nc_graph_free(gq);
  nc_target_free(t);
}

/* Weights whose output channels are axis 1 (MatMul B [K, N], Gemm without
 * transB): the per-axis DequantizeLinear must carry axis 1 and the values
 * neuroc quantized. The model is written by python3-onnx (skipped without). */
Test(export_qdq, matmul_and_gemm_weights_on_axis_1) {
  if (system("/usr/bin/python3 -c 'import onnx, numpy' > /dev/null 2>&1") != 0) {
    cr_log_warn("python3-onnx not installed: axis-1 export test skipped");
    return;
  }
  static const char script[] =
      "import onnx, numpy as np, os\n"
      "from onnx import helper as h, TensorProto as T, numpy_helper as nh\n"
      "r = np.random.default_rng(0)\n"
      "B = r.standard_normal((64, 32)).astype(np.float32); B[:, 3] *= 10\n"
      "C = r.standard_normal((32, 16)).astype(np.float32)\n"
      "g = h.make_graph([h.make_node('MatMul', ['x', 'B'], ['h'], name='mm'),\n"
      "  h.make_node('Relu', ['h'], ['r'], name='relu'),\n"
      "  h.make_node('Gemm', ['r', 'C'], ['y'], name='gemm', transB=0)], 'mm',\n"
      "  [h.make_tensor_value_info('x', T.FLOAT, [4, 64])],\n"
      "  [h.make_tensor_value_info('y', T.FLOAT, [4, 16])],\n"
      "  [nh.from_array(B, 'B'), nh.from_array(C, 'C')])\n"
      "m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8\n"
      "onnx.save(m, 'mm.onnx'); os.makedirs('calib')\n"
      "for i in range(4): np.save('calib/%d.npy' % i, r.standard_normal((4, 64)).astype(np.float32))\n";
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/mk.py", tmpdir);
  FILE *f = fopen(cmd, "w");
  cr_assert_not_null(f);
  fputs(script, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "cd '%s' && /usr/bin/python3 mk.py > log 2>&1", tmpdir);
  cr_assert_eq(system(cmd), 0, "writing the MatMul model failed:\n%s", read_log());
  char args[2048];
  snprintf(args, sizeof args,
           "compile '%s/mm.onnx' -t targets/host.yaml --db none -q --dtype int8 --calibrate "
           "'%s/calib' -o '%s/out' --export-qdq '%s/mm_qdq.onnx'",
           tmpdir, tmpdir, tmpdir, tmpdir);
  cr_assert_eq(neuroc(args), 0, "neuroc compile --export-qdq failed:\n%s", read_log());

  char path[400], plan[400], qdq[400];
  snprintf(path, sizeof path, "%s/mm.onnx", tmpdir);
  snprintf(plan, sizeof plan, "%s/out/plan.yaml", tmpdir);
  snprintf(qdq, sizeof qdq, "%s/mm_qdq.onnx", tmpdir);
  nc_target *t = nc_target_load(SRC "/targets/host.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_options o = {t, "model", NULL, 0, 0, 1, NC_DTYPE_INT8, 0.0};
  nc_graph *g = load_lowered(path), *gq = load_lowered(qdq);
  nc_selection sel;
  cr_assert_eq(nc_plan_read(g, &o, plan, &sel), 0, "%s", nc_err_msg());
  float x[256], yi[64], yf[64], yq[64];
  for (int i = 0; i < 256; i++) x[i] = (float)sin(0.37 * i) * 2.0f;
  nc_const in = {{NC_F32, 2, {4, 64}, 0.0f, 0}, x}, y[1];
  nc_exec_graph_opts eo = {nc_exec_pick_selection, &sel, NULL, NULL};
  struct { const nc_graph *g; const nc_exec_graph_opts *o; float *out; } runs[3] = {
      {g, &eo, yi}, {g, NULL, yf}, {gq, NULL, yq}};
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(nc_exec_graph(runs[k].g, runs[k].o, &in, y), 0, "%s", nc_err_msg());
    memcpy(runs[k].out, y[0].data, sizeof yi);
    nc_exec_outputs_free(runs[k].g, y);
  }
  double e_int8 = nc_rel_l2(yq, yi, 64), q_err = nc_rel_l2(yi, yf, 64);
  cr_log_info("axis-1 weights: exported vs int8 %.3g, int8 vs f32 %.3g", e_int8, q_err);
  cr_expect_gt(q_err, 1e-3);
  cr_expect_lt(e_int8, 0.15 * q_err, "exported %g vs quantization error %g", e_int8, q_err);
  int bs = nc_graph_find_tensor(gq, "B/scale");
  cr_assert_geq(bs, 0);
  cr_expect_eq(gq->tensors[bs].desc.ndim, 1);
  cr_expect_eq(gq->tensors[bs].desc.dims[0], 32, "one scale per column of B");
  nc_selection_free(&sel);
  nc_graph_free(g);
  nc_graph_free(gq);
  nc_target_free(t);
}

Test(export_qdq, onnx_checker_accepts_it) {
  if (system("/usr/bin/python3 -c 'import onnx' > /dev/null 2>&1") != 0) {
    cr_log_warn("python3-onnx not installed: onnx.checker step skipped");
    return;
  }
  compile_digits_int8();
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c 'import onnx,sys; m=onnx.load(sys.argv[1]); "
           "onnx.checker.check_model(m, full_check=True); "
           "ops=[n.op_type for n in m.graph.node]; "
           "assert ops.count(\"QuantizeLinear\") >= 4 and ops.count(\"DequantizeLinear\") >= 7, ops' "
           "'%s/digits_qdq.onnx' > '%s/log' 2>&1",
           tmpdir, tmpdir);
  cr_assert_eq(system(cmd), 0, "onnx.checker rejected the export:\n%s", read_log());
}

Test(export_qdq, unwritable_output_names_the_file) {
  char args[2048];
  snprintf(args, sizeof args,
           "compile examples/digits/digits.onnx -t targets/host.yaml --db none --dtype int8 "
           "--calibrate examples/digits/calib -o '%s/out' --export-qdq '%s/no/such/dir/q.onnx'",
           tmpdir, tmpdir);
  int rc = neuroc(args);
  cr_expect_neq(rc, 0);
  cr_expect(strstr(read_log(), "no/such/dir/q.onnx") != NULL, "message: %s", read_log());
}

Test(export_qdq, needs_a_quantized_compile) {
  char args[2048];
  snprintf(args, sizeof args,
           "compile examples/digits/digits.onnx -t targets/host.yaml --db none -o '%s/out' "
           "--export-qdq '%s/q.onnx'",
           tmpdir, tmpdir);
  cr_expect_eq(neuroc(args), 1, "usage error expected: %s", read_log());
  cr_expect(strstr(read_log(), "--dtype int8 or auto") != NULL, "message: %s", read_log());
  char p[400];
  snprintf(p, sizeof p, "%s/q.onnx", tmpdir);
  struct stat sb;
  cr_expect_neq(stat(p, &sb), 0, "no file may be written");
}
