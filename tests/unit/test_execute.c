/* In-process executor (compiler/src/execute.c): the tiny CNN of
 * examples/tiny_cnn run with reference routines matches the probabilities a
 * plain numpy forward pass wrote (independent of neuroc); forced NHWC and
 * blocked routines match the reference run; errors name the input or layer;
 * the u8 adapters round-trip within half a quantization step. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "execute.h"
#include "npy.h"
#include "onnx_import.h"

#define TINY NEUROC_SOURCE_DIR "/examples/tiny_cnn/"

static nc_graph *load_lowered(const char *path) {
  nc_err_clear();
  nc_graph *g = nc_import_onnx(path);
  cr_assert_not_null(g, "import %s: %s", path, nc_err_msg());
  nc_pass_stats st;
  cr_assert_eq(nc_run_passes(g, &st), 0, "%s", nc_err_msg());
  return g;
}

static nc_const load_npy(const char *path) {
  nc_const c;
  cr_assert_eq(nc_npy_read(path, &c), 0, "%s", nc_err_msg());
  return c;
}

static double max_abs_diff(const float *a, const float *b, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - (double)b[i]));
  return m;
}

Test(execute, reference_routines_match_numpy_forward_pass) {
  nc_graph *g = load_lowered(TINY "model.onnx");
  nc_const x = load_npy(TINY "input.npy"), want = load_npy(TINY "expected_probs.npy");
  nc_const y[1];
  cr_assert_eq(nc_exec_graph(g, NULL, &x, y), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_numel(&y[0].desc), 10);
  cr_assert_eq(nc_numel(&want.desc), 10);
  double d = max_abs_diff(y[0].data, want.data, 10);
  cr_assert_lt(d, 1e-5, "max |probs - numpy| = %g", d);
  nc_exec_outputs_free(g, y);
  free(x.data);
  free(want.data);
  nc_graph_free(g);
}

/* First routine of the table for node's layer whose descriptor matches pat,
 * that applies and that this CPU runs (never an approximate one). */
static const nc_routine *forced(const nc_graph *g, int node, const char *pat) {
  const nc_routine *t = nc_routine_table();
  char isa[32];
  for (int i = 0; i < nc_routine_count(); i++) {
    const nc_routine *r = &t[i];
    if (strcmp(r->layer, g->nodes[node].op) != 0 || !nc_glob_match(pat, r->descriptor)) continue;
    if ((r->flags & NC_RF_APPROX) || !nc_cpu_supports(nc_routine_isa(r, isa, sizeof isa)))
      continue;
    nc_node_args ra;
    if (nc_exec_routine_args(g, node, r, &ra)) continue;
    if (!(r->dtypes & NC_DT(nc_node_key_dtype(&ra)))) continue;
    if (r->applies && !r->applies(&ra.a)) continue;
    return r;
  }
  return NULL;
}

/* Run the tiny CNN with every layer that has a `pat` routine forced to it:
 * returns how many layers were forced; *diff = max |y - reference|. */
static int run_forced(const char *pat, double *diff) {
  nc_graph *g = load_lowered(TINY "model.onnx");
  nc_const x = load_npy(TINY "input.npy");
  nc_const ref[1], y[1];
  cr_assert_eq(nc_exec_graph(g, NULL, &x, ref), 0, "%s", nc_err_msg());
  const nc_routine **per = calloc((size_t)g->n_nodes, sizeof *per);
  int n_forced = 0;
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead && (per[i] = forced(g, i, pat))) n_forced++;
  nc_exec_graph_opts o = {nc_exec_pick_array, per, NULL, NULL};
  cr_assert_eq(nc_exec_graph(g, &o, &x, y), 0, "%s: %s", pat, nc_err_msg());
  *diff = max_abs_diff(y[0].data, ref[0].data, nc_numel(&ref[0].desc));
  nc_exec_outputs_free(g, y);
  nc_exec_outputs_free(g, ref);
  free(per);
  free(x.data);
  nc_graph_free(g);
  return n_forced;
}

Test(execute, forced_nhwc_routines_match_reference) {
  double d;
  int n = run_forced("cpu:f32:nhwc/*", &d);
  cr_assert_geq(n, 3, "conv1, pool1 and conv2 have NHWC routines (forced %d)", n);
  cr_assert_lt(d, 1e-5, "max diff %g", d);
}

Test(execute, forced_blocked_routines_match_reference) {
  double d;
  const char *pat = nc_cpu_supports("avx512") ? "cpu:f32:nchw*16c/*" : "cpu:f32:nchw*8c/*";
  if (!nc_cpu_supports("avx2")) cr_skip_test("no blocked routines run on this CPU");
  int n = run_forced(pat, &d);
  cr_assert_geq(n, 2, "blocked convs forced (%d)", n);
  cr_assert_lt(d, 1e-5, "max diff %g", d);
}

/* One layer alone: conv1 with the NHWC direct routine against its reference,
 * on the input image; checks the adapter chains and weight packing. */
Test(execute, single_layer_nhwc_equals_reference) {
  nc_graph *g = load_lowered(TINY "model.onnx");
  nc_const x = load_npy(TINY "input.npy");
  int conv = -1;
  for (int i = 0; i < g->n_nodes && conv < 0; i++)
    if (!g->nodes[i].dead && strcmp(g->nodes[i].op, "Conv") == 0) conv = i;
  cr_assert_geq(conv, 0);
  const nc_routine *ref = NULL, *nhwc = nc_routine_find("cpu:f32:nhwc/conv-direct/c99");
  cr_assert_not_null(nhwc);
  cr_assert_eq(nc_exec_pick_reference(NULL, g, conv, &ref), 0, "%s", nc_err_msg());
  const nc_tensor *out = &g->tensors[g->nodes[conv].out[0]];
  int64_t n = nc_numel(&out->desc);
  cr_assert_eq(n, 8 * 16 * 16);
  float *y1 = calloc((size_t)n, sizeof(float)), *y2 = calloc((size_t)n, sizeof(float));
  const void *acts[1] = {x.data};
  void *o1[1] = {y1}, *o2[1] = {y2};
  cr_assert_eq(nc_exec_layer_once(g, conv, ref, NULL, acts, o1), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_exec_layer_once(g, conv, nhwc, NULL, acts, o2), 0, "%s", nc_err_msg());
  double d = max_abs_diff(y1, y2, n), mag = 0.0;
  for (int64_t i = 0; i < n; i++) mag = fmax(mag, fabs(y1[i]));
  cr_assert_gt(mag, 0.1, "the conv output is not trivially zero");
  cr_assert_lt(d, 1e-5, "max diff %g", d);
  free(y1);
  free(y2);
  free(x.data);
  nc_graph_free(g);
}

Test(execute, wrong_input_size_names_the_input) {
  nc_graph *g = load_lowered(TINY "model.onnx");
  float buf[7] = {0};
  nc_const x = {{NC_F32, 1, {7}, 0.0f, 0}, buf};
  nc_const y[1];
  nc_err_clear();
  cr_assert_eq(nc_exec_graph(g, NULL, &x, y), -1);
  cr_assert_not_null(strstr(nc_err_msg(), "'image'"), "%s", nc_err_msg());
  cr_assert_not_null(strstr(nc_err_msg(), "256"), "%s", nc_err_msg());
  cr_assert_null(y[0].data);
  nc_graph_free(g);
}

Test(execute, routine_that_does_not_fit_names_the_layer) {
  nc_graph *g = load_lowered(TINY "model.onnx");
  int gemm = -1;
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead && strcmp(g->nodes[i].op, "Gemm") == 0) gemm = i;
  cr_assert_geq(gemm, 0);
  /* a routine of another layer */
  const nc_routine *r = nc_routine_find("cpu:f32:nhwc/maxpool-ref/c99");
  cr_assert_not_null(r);
  nc_err_clear();
  nc_exec_layer *x = nc_exec_layer_new(g, gemm, r, NULL);
  cr_assert_null(x);
  cr_assert(strstr(nc_err_msg(), "'fc'") && strstr(nc_err_msg(), "MaxPool layers"), "%s",
            nc_err_msg());
  /* a u8 routine while the layer's tensors are not calibrated */
  const nc_routine *q = NULL, *t = nc_routine_table();
  for (int i = 0; i < nc_routine_count() && !q; i++)
    if (strcmp(t[i].layer, "Gemm") == 0 && t[i].in_q == NC_Q_U8) q = &t[i];
  if (q) {
    nc_err_clear();
    cr_assert_null(nc_exec_layer_new(g, gemm, q, NULL));
    cr_assert(strstr(nc_err_msg(), "'fc'") && strstr(nc_err_msg(), "no calibrated range"), "%s",
              nc_err_msg());
  }
  nc_graph_free(g);
}

/* u8 storage: f32 -> u8 -> f32 through the executor's adapter chains (a
 * Relu whose routine keeps its input and output quantized, or failing that
 * any u8 adapter pair) stays within scale/2 of the input. */
Test(execute, u8_round_trip_within_half_a_step) {
  const nc_routine *q = nc_adapter_routine(NC_F32, nc_format(NC_LAYOUT_NCHW, NC_Q_NONE),
                                           nc_format(NC_LAYOUT_NCHW, NC_Q_U8));
  const nc_routine *dq = nc_adapter_routine(NC_F32, nc_format(NC_LAYOUT_NCHW, NC_Q_U8),
                                            nc_format(NC_LAYOUT_NCHW, NC_Q_NONE));
  if (!q || !dq) cr_skip_test("the routine table has no u8 quantize/dequantize adapters yet");
  nc_tensor t;
  memset(&t, 0, sizeof t);
  t.desc = (nc_tdesc){NC_F32, 4, {1, 3, 4, 5}, 0.0f, 0};
  t.qscale = 0.05f;
  t.qzero = 100;
  enum { N = 60 };
  float x[N], y[N];
  uint8_t s[N];
  for (int i = 0; i < N; i++) x[i] = -4.9f + 0.2f * (float)i; /* inside [-5, 7.75] */
  nc_tdesc df, du;
  nc_format_desc(&t, nc_format(NC_LAYOUT_NCHW, NC_Q_NONE), &df);
  nc_format_desc(&t, nc_format(NC_LAYOUT_NCHW, NC_Q_U8), &du);
  nc_args a1 = {1, 1, &df, &du, NULL, NULL, 0, 0}, a2 = {1, 1, &du, &df, NULL, NULL, 0, 0};
  const void *i1[1] = {x}, *i2[1] = {s};
  void *o1[1] = {s}, *o2[1] = {y};
  q->fn(&a1, i1, o1, NULL);
  dq->fn(&a2, i2, o2, NULL);
  for (int i = 0; i < N; i++)
    cr_assert_leq(fabsf(y[i] - x[i]), 0.5f * 0.05f + 1e-6f, "x=%g y=%g", x[i], y[i]);
}

/* The same round trip through the executor: pool1 of the tiny CNN with a u8
 * MaxPool routine, its input and output sharing one set of u8 parameters.
 * max commutes with the monotone quantization, so every output is the f32
 * maximum quantized once: within scale/2 of the reference. */
Test(execute, u8_maxpool_layer_within_half_a_step) {
  const nc_routine *u8pool = nc_routine_find("cpu:u8:nchw/maxpool/c99");
  if (!u8pool) cr_skip_test("the routine table has no u8 MaxPool yet");
  nc_graph *g = load_lowered(TINY "model.onnx");
  nc_const x = load_npy(TINY "input.npy");
  int conv = -1, pool = -1;
  for (int i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].dead) continue;
    if (conv < 0 && strcmp(g->nodes[i].op, "Conv") == 0) conv = i;
    if (strcmp(g->nodes[i].op, "MaxPool") == 0) pool = i;
  }
  cr_assert(conv >= 0 && pool >= 0);
  nc_tensor *a = &g->tensors[g->nodes[conv].out[0]], *p = &g->tensors[g->nodes[pool].out[0]];
  int64_t na = nc_numel(&a->desc), np = nc_numel(&p->desc);
  float *av = calloc((size_t)na, sizeof(float)), *ref = calloc((size_t)np, sizeof(float)),
        *y = calloc((size_t)np, sizeof(float));
  const nc_routine *r = NULL;
  cr_assert_eq(nc_exec_pick_reference(NULL, g, conv, &r), 0);
  const void *xi[1] = {x.data};
  void *ao[1] = {av};
  cr_assert_eq(nc_exec_layer_once(g, conv, r, NULL, xi, ao), 0, "%s", nc_err_msg());
  float hi = 0.0f;
  for (int64_t i = 0; i < na; i++) hi = fmaxf(hi, av[i]);
  cr_assert_gt(hi, 0.0f);
  a->qscale = p->qscale = hi / 255.0f; /* relu'd: [0, hi], zero point 0 */
  a->qzero = p->qzero = 0;
  cr_assert_eq(nc_exec_pick_reference(NULL, g, pool, &r), 0);
  const void *pi[1] = {av};
  void *o1[1] = {ref}, *o2[1] = {y};
  cr_assert_eq(nc_exec_layer_once(g, pool, r, NULL, pi, o1), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_exec_layer_once(g, pool, u8pool, NULL, pi, o2), 0, "%s", nc_err_msg());
  double worst = 0.0;
  for (int64_t i = 0; i < np; i++) worst = fmax(worst, fabs((double)y[i] - ref[i]));
  cr_assert_leq(worst, 0.5 * a->qscale * (1 + 1e-5), "max error %g, scale %g", worst, a->qscale);
  cr_assert_gt(worst, 0.0, "the u8 path must actually quantize");
  free(av);
  free(ref);
  free(y);
  free(x.data);
  nc_graph_free(g);
}
