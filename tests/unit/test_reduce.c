/* Reduce family: Reduce*, ArgMax/ArgMin, TopK, the losses and Resize, run
 * through the routine table or lowered from hand-built graphs; expected
 * values are computed by hand (see the comments) or by naive loops here. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "neuroc/args.h"
#include "neuroc/routines.h"
#include "ops.h"

/* ---- helpers: direct routine calls ---- */

static nc_tdesc desc(int32_t dt, int ndim, const int64_t *dims) {
  nc_tdesc d;
  memset(&d, 0, sizeof d);
  d.dtype = dt;
  d.ndim = ndim;
  for (int i = 0; i < ndim; i++) d.dims[i] = dims[i];
  return d;
}

static const nc_routine *routine(const char *descriptor) {
  const nc_routine *r = nc_routine_find(descriptor);
  cr_assert_not_null(r, "routine %s not in the table", descriptor);
  return r;
}

/* Run r with scratch sized by the table entry. */
static void run(const nc_routine *r, const nc_args *a, const void *const *in, void *const *out) {
  size_t n = r->scratch_bytes ? r->scratch_bytes(a) : 0;
  void *scratch = n ? calloc(1, n) : NULL;
  r->fn(a, in, out, scratch);
  free(scratch);
}

static void reduce_f32(const char *descr, const float *x, int ndim, const int64_t *dims,
                       int64_t mask, float *y) {
  nc_tdesc in = desc(NC_F32, ndim, dims), out = desc(NC_F32, 0, NULL);
  int64_t ia[NC_REDUCE_NIA] = {[NC_REDUCE_AXES_MASK] = mask, [NC_REDUCE_KEEPDIMS] = 1};
  nc_args a = {1, 1, &in, &out, ia, NULL, NC_REDUCE_NIA, 0};
  const void *ins[] = {x};
  void *outs[] = {y};
  run(routine(descr), &a, ins, outs);
}

/* x = 1..12 as (2, 3, 2) */
static const float X12[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const int64_t D232[3] = {2, 3, 2};

Test(reduce_routines, sum_middle_axis) {
  float y[4];
  reduce_f32("cpu:f32:nchw/reducesum-ref/c99", X12, 3, D232, 2, y);
  /* rows of axis 1: {1,3,5} {2,4,6} {7,9,11} {8,10,12} */
  float want[4] = {9, 12, 27, 30};
  for (int i = 0; i < 4; i++) cr_expect_float_eq(y[i], want[i], 1e-6, "y[%d] = %g", i, y[i]);
}

Test(reduce_routines, max_min_prod_middle_axis) {
  float y[4];
  reduce_f32("cpu:f32:nchw/reducemax-ref/c99", X12, 3, D232, 2, y);
  cr_expect(y[0] == 5 && y[1] == 6 && y[2] == 11 && y[3] == 12);
  reduce_f32("cpu:f32:nchw/reducemin-ref/c99", X12, 3, D232, 2, y);
  cr_expect(y[0] == 1 && y[1] == 2 && y[2] == 7 && y[3] == 8);
  reduce_f32("cpu:f32:nchw/reduceprod-ref/c99", X12, 3, D232, 2, y);
  cr_expect(y[0] == 15 && y[1] == 48 && y[2] == 693 && y[3] == 960);
}

Test(reduce_routines, first_and_last_axes) {
  float y[3];
  reduce_f32("cpu:f32:nchw/reducesum-ref/c99", X12, 3, D232, 1 | 4, y);
  /* axis 1 kept: {1,2,7,8} {3,4,9,10} {5,6,11,12} */
  cr_expect(y[0] == 18 && y[1] == 26 && y[2] == 34);
}

Test(reduce_routines, mean_all_axes) {
  float y[1];
  reduce_f32("cpu:f32:nchw/reducemean-ref/c99", X12, 3, D232, 7, y);
  cr_expect_float_eq(y[0], 6.5f, 1e-6); /* 78 / 12 */
}

Test(reduce_routines, l1_l2_sumsquare_logsum) {
  const float x[4] = {3, -4, 1, 1};
  const int64_t d[2] = {2, 2};
  float y[2];
  reduce_f32("cpu:f32:nchw/reducel2-ref/c99", x, 2, d, 2, y);
  cr_expect_float_eq(y[0], 5.0f, 1e-6);
  cr_expect_float_eq(y[1], sqrtf(2.0f), 1e-6);
  reduce_f32("cpu:f32:nchw/reducel1-ref/c99", x, 2, d, 2, y);
  cr_expect(y[0] == 7 && y[1] == 2);
  reduce_f32("cpu:f32:nchw/reducesumsquare-ref/c99", x, 2, d, 2, y);
  cr_expect(y[0] == 25 && y[1] == 2);
  reduce_f32("cpu:f32:nchw/reducelogsum-ref/c99", x, 2, d, 1, y);
  cr_expect_float_eq(y[0], logf(4.0f), 1e-6); /* columns: 3+1, -4+1 */
  cr_expect(isnan(y[1]));
}

Test(reduce_routines, logsumexp_of_large_values) {
  const float x[3] = {1000, 1000, -1000};
  const int64_t d[1] = {3};
  float y[1];
  reduce_f32("cpu:f32:nchw/reducelogsumexp-ref/c99", x, 1, d, 1, y);
  /* 1000 + log(2 + e^-2000) */
  cr_expect_float_eq(y[0], 1000.0f + (float)log(2.0), 1e-3, "got %f", y[0]);
}

Test(reduce_routines, int_sum_and_mean_are_exact) {
  const int64_t x[3] = {INT64_C(4000000000000000001), 2, -3};
  const int64_t d[1] = {3};
  int64_t y[1];
  nc_tdesc in = desc(NC_S64, 1, d), out = desc(NC_S64, 0, NULL);
  int64_t ia[NC_REDUCE_NIA] = {1, 0};
  nc_args a = {1, 1, &in, &out, ia, NULL, NC_REDUCE_NIA, 0};
  const void *ins[] = {x};
  void *outs[] = {y};
  run(routine("cpu:s64:nchw/reducesum-ref/c99"), &a, ins, outs);
  cr_expect_eq(y[0], INT64_C(4000000000000000000));
  run(routine("cpu:s64:nchw/reducemean-ref/c99"), &a, ins, outs);
  cr_expect_eq(y[0], INT64_C(1333333333333333333));
}

/* ---- ArgMax / ArgMin ---- */

static void arg_f32(const char *descr, const float *x, int64_t select_last, int64_t *y) {
  const int64_t d[2] = {2, 3}, od[2] = {2, 1};
  nc_tdesc in = desc(NC_F32, 2, d), out = desc(NC_S64, 2, od);
  int64_t ia[NC_ARG_NIA] = {[NC_ARG_AXIS] = 1, [NC_ARG_KEEPDIMS] = 1,
                            [NC_ARG_SELECT_LAST] = select_last};
  nc_args a = {1, 1, &in, &out, ia, NULL, NC_ARG_NIA, 0};
  const void *ins[] = {x};
  void *outs[] = {y};
  run(routine(descr), &a, ins, outs);
}

Test(arg_routines, select_last_index) {
  const float x[6] = {1, 3, 3, 2, 2, 1};
  int64_t y[2];
  arg_f32("cpu:f32:nchw/argmax-ref/c99", x, 0, y);
  cr_expect(y[0] == 1 && y[1] == 0);
  arg_f32("cpu:f32:nchw/argmax-ref/c99", x, 1, y);
  cr_expect(y[0] == 2 && y[1] == 1);
  arg_f32("cpu:f32:nchw/argmin-ref/c99", x, 0, y);
  cr_expect(y[0] == 0 && y[1] == 2);
  const float z[6] = {1, 0, 0, 1, 1, 5};
  arg_f32("cpu:f32:nchw/argmin-ref/c99", z, 1, y);
  cr_expect(y[0] == 2 && y[1] == 1);
}

/* ---- TopK ---- */

static void topk_f32(const float *x, int64_t n, int64_t k, int64_t largest, float *v, int64_t *i) {
  const int64_t d[1] = {n}, od[1] = {k};
  nc_tdesc in = desc(NC_F32, 1, d), out[2] = {desc(NC_F32, 1, od), desc(NC_S64, 1, od)};
  int64_t ia[NC_TOPK_NIA] = {[NC_TOPK_AXIS] = 0, [NC_TOPK_K] = k, [NC_TOPK_LARGEST] = largest,
                             [NC_TOPK_SORTED] = 1};
  nc_args a = {1, 2, &in, out, ia, NULL, NC_TOPK_NIA, 0};
  const void *ins[] = {x};
  void *outs[] = {v, i};
  run(routine("cpu:f32:nchw/topk-ref/c99"), &a, ins, outs);
}

Test(topk_routines, ties_keep_lower_index_first) {
  const float x[6] = {3, 1, 3, 2, 1, 3};
  float v[4];
  int64_t i[4];
  topk_f32(x, 6, 4, 1, v, i);
  cr_expect(v[0] == 3 && v[1] == 3 && v[2] == 3 && v[3] == 2);
  cr_expect(i[0] == 0 && i[1] == 2 && i[2] == 5 && i[3] == 3);
  topk_f32(x, 6, 3, 0, v, i);
  cr_expect(v[0] == 1 && v[1] == 1 && v[2] == 2);
  cr_expect(i[0] == 1 && i[1] == 4 && i[2] == 3);
}

/* ---- losses ---- */

Test(loss_routines, nll_ignore_index_weights_mean) {
  /* N = 4, C = 3; x[n][c] = -(3n + c + 1) */
  float x[12];
  for (int k = 0; k < 12; k++) x[k] = -(float)(k + 1);
  const int64_t t[4] = {0, 2, 1, 2};
  const float w[3] = {1, 2, 3};
  const int64_t xd[2] = {4, 3}, td[1] = {4}, wd[1] = {3};
  nc_tdesc in[3] = {desc(NC_F32, 2, xd), desc(NC_S64, 1, td), desc(NC_F32, 1, wd)};
  nc_tdesc out = desc(NC_F32, 0, NULL);
  int64_t ia[NC_LOSS_NIA] = {[NC_LOSS_REDUCTION] = NC_LOSS_MEAN, [NC_LOSS_HAS_IGNORE] = 1,
                             [NC_LOSS_IGNORE_INDEX] = 1};
  nc_args a = {3, 1, in, &out, ia, NULL, NC_LOSS_NIA, 0};
  float y[1];
  const void *ins[] = {x, t, w};
  void *outs[] = {y};
  run(routine("cpu:f32:nchw/negativeloglikelihoodloss-ref/c99"), &a, ins, outs);
  /* n0: 1*w0=1, n1: 6*w2=18, n2 ignored, n3: 12*w2=36 -> 55 / (1+3+3) */
  cr_expect_float_eq(y[0], 55.0f / 7.0f, 1e-5, "got %f", y[0]);

  ia[NC_LOSS_REDUCTION] = NC_LOSS_SUM;
  ia[NC_LOSS_HAS_IGNORE] = 0;
  run(routine("cpu:f32:nchw/negativeloglikelihoodloss-ref/c99"), &a, ins, outs);
  cr_expect_float_eq(y[0], 55.0f + 8.0f * 2.0f, 1e-5, "got %f", y[0]);
}

Test(loss_routines, nll_spatial_none) {
  /* N = 1, C = 2, d1 = 3: x[c][d]; target picks class per position */
  const double x[6] = {-0.5, -1.0, -2.0, -3.0, -4.0, -5.0};
  const int32_t t[3] = {1, 0, 1};
  const int64_t xd[3] = {1, 2, 3}, td[2] = {1, 3};
  nc_tdesc in[2] = {desc(NC_F64, 3, xd), desc(NC_S32, 2, td)};
  nc_tdesc out = desc(NC_F64, 2, td);
  int64_t ia[NC_LOSS_NIA] = {NC_LOSS_NONE, 0, 0};
  nc_args a = {2, 1, in, &out, ia, NULL, NC_LOSS_NIA, 0};
  double y[3];
  const void *ins[] = {x, t};
  void *outs[] = {y};
  run(routine("cpu:f64:nchw/negativeloglikelihoodloss-ref/c99"), &a, ins, outs);
  cr_expect(y[0] == 3.0 && y[1] == 1.0 && y[2] == 5.0);
}

Test(loss_routines, sce_with_log_prob) {
  const float x[6] = {1, 2, 3, 1, 1, 1};
  const int64_t t[2] = {2, 0};
  const int64_t xd[2] = {2, 3}, td[1] = {2};
  nc_tdesc in[2] = {desc(NC_F32, 2, xd), desc(NC_S64, 1, td)};
  nc_tdesc out[2] = {desc(NC_F32, 1, td), desc(NC_F32, 2, xd)};
  int64_t ia[NC_LOSS_NIA] = {NC_LOSS_NONE, 0, 0};
  nc_args a = {2, 2, in, out, ia, NULL, NC_LOSS_NIA, 0};
  float loss[2], lp[6];
  const void *ins[] = {x, t};
  void *outs[] = {loss, lp};
  run(routine("cpu:f32:nchw/softmaxcrossentropyloss-ref/c99"), &a, ins, outs);
  /* row 0: lse = 3 + log(1 + e^-1 + e^-2) = 3.4076059644; row 1: log 3 */
  const double lse0 = 3.4076059644443806, lse1 = 1.0986122886681098;
  const double want_lp[6] = {1 - lse0, 2 - lse0, 3 - lse0, -lse1, -lse1, -lse1};
  for (int i = 0; i < 6; i++) cr_expect_float_eq(lp[i], (float)want_lp[i], 1e-6, "lp[%d]", i);
  cr_expect_float_eq(loss[0], (float)(lse0 - 3), 1e-6);
  cr_expect_float_eq(loss[1], (float)lse1, 1e-6);

  /* mean over both, with the second ignored: just row 0 */
  const int64_t sd[1] = {1};
  out[0] = desc(NC_F32, 0, sd);
  int64_t ia2[NC_LOSS_NIA] = {NC_LOSS_MEAN, 1, 0};
  a.ia = ia2;
  run(routine("cpu:f32:nchw/softmaxcrossentropyloss-ref/c99"), &a, ins, outs);
  cr_expect_float_eq(loss[0], (float)(lse0 - 3), 1e-6);
}

/* ---- lowering on hand-built graphs ---- */

static nc_attr *add_attr(nc_node *n, const char *name, int type) {
  n->attrs = nc_xrealloc(n->attrs, sizeof(nc_attr) * (size_t)(n->n_attrs + 1));
  nc_attr *a = &n->attrs[n->n_attrs++];
  memset(a, 0, sizeof *a);
  a->name = nc_xstrdup(name);
  a->type = type;
  return a;
}

static void attr_ints(nc_node *n, const char *name, int cnt, const int64_t *v) {
  nc_attr *a = add_attr(n, name, NC_ATTR_INTS);
  a->ints = nc_xmalloc(sizeof(int64_t) * (size_t)(cnt ? cnt : 1));
  memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
  a->n_ints = cnt;
}

static void attr_int(nc_node *n, const char *name, int64_t v) { add_attr(n, name, NC_ATTR_INT)->i = v; }

static void attr_str(nc_node *n, const char *name, const char *v) {
  add_attr(n, name, NC_ATTR_STRING)->s = nc_xstrdup(v);
}

/* Tensor with a desc; `data` (bytes, copied) makes it a constant. */
static int tensor(nc_graph *g, const char *name, int32_t dt, int ndim, const int64_t *dims,
                  const void *data) {
  int t = nc_graph_tensor(g, name);
  g->tensors[t].desc = desc(dt, ndim, dims);
  if (data) {
    size_t bytes = (size_t)nc_numel(&g->tensors[t].desc) * nc_dtype_size(dt);
    g->tensors[t].data = nc_xmalloc(bytes ? bytes : 1);
    memcpy(g->tensors[t].data, data, bytes);
  }
  return t;
}

/* One-node graph op(ins) -> y; returns the node. */
static nc_node *one_node(nc_graph *g, const char *op, const int *ins, int n_in) {
  int y = nc_graph_tensor(g, "y");
  int k = nc_graph_add_node(g, "the_node", op, "");
  nc_node_set_io(&g->nodes[k], ins, n_in, &y, 1);
  return &g->nodes[k];
}

static int lower(nc_graph *g, nc_node *n) {
  const nc_op_def *d = nc_op_find(n->op);
  cr_assert_not_null(d, "%s has no definition", n->op);
  n->param_inputs = d->param_inputs;
  nc_err_clear();
  return d->lower(g, n);
}

static const nc_tdesc *ydesc(nc_graph *g) { return &g->tensors[nc_graph_find_tensor(g, "y")].desc; }

Test(reduce_lowering, output_shapes) {
  const int64_t d[3] = {2, 3, 4}, ax1[1] = {1}, axm[2] = {-1, 0};
  struct { const int64_t *axes; int n_axes, keep; int ndim; int64_t dims[3]; } cases[] = {
      {ax1, 1, 1, 3, {2, 1, 4}}, {ax1, 1, 0, 2, {2, 4}}, {axm, 2, 1, 3, {1, 3, 1}},
      {axm, 2, 0, 1, {3}},       {NULL, 0, 1, 3, {1, 1, 1}}, {NULL, 0, 0, 0, {0}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    nc_graph *g = nc_graph_new("hand.onnx");
    int x = tensor(g, "x", NC_F32, 3, d, NULL);
    nc_node *n = one_node(g, "ReduceMean", &x, 1);
    if (cases[c].axes) attr_ints(n, "axes", cases[c].n_axes, cases[c].axes);
    attr_int(n, "keepdims", cases[c].keep);
    cr_assert_eq(lower(g, n), 0, "case %zu: %s", c, nc_err_msg());
    const nc_tdesc *y = ydesc(g);
    cr_expect_eq(y->ndim, cases[c].ndim, "case %zu", c);
    for (int i = 0; i < y->ndim; i++) cr_expect_eq(y->dims[i], cases[c].dims[i], "case %zu", c);
    cr_expect_eq(y->dtype, NC_F32);
    nc_graph_free(g);
  }
}

Test(reduce_lowering, reducesum_axes_input_and_noop) {
  const int64_t d[3] = {3, 2, 2}, one[1] = {1}, zero[1] = {0}, ax[1] = {-2};
  nc_graph *g = nc_graph_new("hand.onnx");
  int in[2] = {tensor(g, "x", NC_F32, 3, d, NULL), tensor(g, "axes", NC_S64, 1, one, ax)};
  nc_node *n = one_node(g, "ReduceSum", in, 2);
  attr_int(n, "keepdims", 0);
  cr_assert_eq(lower(g, n), 0, "%s", nc_err_msg());
  cr_expect(ydesc(g)->ndim == 2 && ydesc(g)->dims[0] == 3 && ydesc(g)->dims[1] == 2);
  cr_expect_eq(n->ia[NC_REDUCE_AXES_MASK], 2);
  nc_graph_free(g);

  g = nc_graph_new("hand.onnx");
  in[0] = tensor(g, "x", NC_F32, 3, d, NULL);
  in[1] = tensor(g, "axes", NC_S64, 1, zero, ax);
  n = one_node(g, "ReduceSum", in, 2);
  attr_int(n, "noop_with_empty_axes", 1);
  cr_assert_eq(lower(g, n), 0, "%s", nc_err_msg());
  cr_expect(ydesc(g)->ndim == 3 && ydesc(g)->dims[0] == 3 && ydesc(g)->dims[2] == 2);
  cr_expect_eq(n->ia[NC_REDUCE_AXES_MASK], 0);
  nc_graph_free(g);
}

Test(reduce_lowering, bad_axis_names_the_node) {
  const int64_t d[2] = {2, 3}, bad[1] = {2};
  nc_graph *g = nc_graph_new("hand.onnx");
  int x = tensor(g, "x", NC_F32, 2, d, NULL);
  nc_node *n = one_node(g, "ReduceMax", &x, 1);
  attr_ints(n, "axes", 1, bad);
  cr_expect_eq(lower(g, n), -1);
  cr_expect(strstr(nc_err_msg(), "the_node") != NULL, "message: %s", nc_err_msg());
  cr_expect(strstr(nc_err_msg(), "axis 2") != NULL, "message: %s", nc_err_msg());
  nc_graph_free(g);

  g = nc_graph_new("hand.onnx");
  x = tensor(g, "x", NC_F32, 2, d, NULL);
  n = one_node(g, "ArgMin", &x, 1);
  attr_int(n, "axis", -3);
  cr_expect_eq(lower(g, n), -1);
  cr_expect(strstr(nc_err_msg(), "the_node") != NULL, "message: %s", nc_err_msg());
  nc_graph_free(g);
}

Test(reduce_lowering, non_constant_axes_input_fails) {
  const int64_t d[2] = {2, 3}, one[1] = {1};
  nc_graph *g = nc_graph_new("hand.onnx");
  int in[2] = {tensor(g, "x", NC_F32, 2, d, NULL), tensor(g, "axes", NC_S64, 1, one, NULL)};
  nc_node *n = one_node(g, "ReduceSum", in, 2);
  cr_expect_eq(lower(g, n), -1);
  cr_expect(strstr(nc_err_msg(), "must be a compile-time constant") != NULL, "message: %s",
            nc_err_msg());
  nc_graph_free(g);
}

Test(reduce_lowering, loss_shapes_and_checks) {
  const int64_t xd[4] = {3, 5, 2, 7}, td[3] = {3, 2, 7}, bad[3] = {3, 7, 2};
  nc_graph *g = nc_graph_new("hand.onnx");
  int in[2] = {tensor(g, "x", NC_F32, 4, xd, NULL), tensor(g, "t", NC_S64, 3, td, NULL)};
  nc_node *n = one_node(g, "NegativeLogLikelihoodLoss", in, 2);
  attr_str(n, "reduction", "none");
  cr_assert_eq(lower(g, n), 0, "%s", nc_err_msg());
  cr_expect(ydesc(g)->ndim == 3 && ydesc(g)->dims[2] == 7);
  nc_graph_free(g);

  g = nc_graph_new("hand.onnx");
  in[0] = tensor(g, "x", NC_F32, 4, xd, NULL);
  in[1] = tensor(g, "t", NC_S64, 3, bad, NULL);
  n = one_node(g, "SoftmaxCrossEntropyLoss", in, 2);
  cr_expect_eq(lower(g, n), -1);
  cr_expect(strstr(nc_err_msg(), "target") != NULL, "message: %s", nc_err_msg());
  nc_graph_free(g);
}

/* Lower a Resize of a constant 2x2 [[1,2],[3,4]] with scales (1,1,2,2) and
 * run the reference routine with the lowered args. */
static void resize_2x2(const char *mode, const char *coord, const char *nearest, float *y) {
  const int64_t xd[4] = {1, 1, 2, 2}, sd[1] = {4};
  const float x[4] = {1, 2, 3, 4}, scales[4] = {1, 1, 2, 2};
  nc_graph *g = nc_graph_new("hand.onnx");
  g->opset = 13;
  int in[3] = {tensor(g, "x", NC_F32, 4, xd, x), -1, tensor(g, "scales", NC_F32, 1, sd, scales)};
  nc_node *n = one_node(g, "Resize", in, 3);
  attr_str(n, "mode", mode);
  attr_str(n, "coordinate_transformation_mode", coord);
  if (nearest) attr_str(n, "nearest_mode", nearest);
  cr_assert_eq(lower(g, n), 0, "%s", nc_err_msg());
  const nc_tdesc *yd = ydesc(g);
  cr_assert(yd->ndim == 4 && yd->dims[2] == 4 && yd->dims[3] == 4);
  nc_node_args na;
  cr_assert_eq(nc_node_args_build(g, n, &na), 0);
  cr_assert_eq(na.a.n_in, 1, "roi and scales are parameters, not routine inputs");
  const nc_routine *r = nc_reference_routine("Resize", NC_F32, &na.a);
  cr_assert_not_null(r);
  const void *ins[] = {x};
  void *outs[] = {y};
  run(r, &na.a, ins, outs);
  nc_graph_free(g);
}

Test(resize, nearest_asymmetric_floor_2x) {
  float y[16];
  resize_2x2("nearest", "asymmetric", "floor", y);
  const float want[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  for (int i = 0; i < 16; i++) cr_expect_eq(y[i], want[i], "y[%d] = %g", i, y[i]);
}

/* Bilinear on [[1,2],[3,4]] is 1 + 2 * wy + wx, with w the fractional input
 * coordinate clamped to [0, 1]. */
static void expect_bilinear(const float *y, const double *w) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      cr_expect_float_eq(y[i * 4 + j], (float)(1 + 2 * w[i] + w[j]), 1e-6, "y[%d][%d] = %g", i,
                         j, y[i * 4 + j]);
}

Test(resize, linear_half_pixel_2x2_to_4x4) {
  float y[16];
  resize_2x2("linear", "half_pixel", NULL, y);
  /* (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped */
  const double w[4] = {0, 0.25, 0.75, 1};
  expect_bilinear(y, w);
}

Test(resize, linear_align_corners_2x2_to_4x4) {
  float y[16];
  resize_2x2("linear", "align_corners", NULL, y);
  /* o * (2 - 1) / (4 - 1) */
  const double w[4] = {0, 1.0 / 3, 2.0 / 3, 1};
  expect_bilinear(y, w);
}

Test(resize, sizes_and_scales_together_fail) {
  const int64_t xd[4] = {1, 1, 2, 2}, sd[1] = {4};
  const float scales[4] = {1, 1, 2, 2};
  const int64_t sizes[4] = {1, 1, 4, 4};
  nc_graph *g = nc_graph_new("hand.onnx");
  g->opset = 13;
  int in[4] = {tensor(g, "x", NC_F32, 4, xd, NULL), -1,
               tensor(g, "scales", NC_F32, 1, sd, scales), tensor(g, "sizes", NC_S64, 1, sd, sizes)};
  nc_node *n = one_node(g, "Resize", in, 4);
  cr_expect_eq(lower(g, n), -1);
  cr_expect(strstr(nc_err_msg(), "the_node") != NULL, "message: %s", nc_err_msg());
  nc_graph_free(g);
}

/* ---- Einsum / Det: lowered from hand-built graphs with constant inputs ---- */

/* Lower `op` over constant f64 inputs and run its reference routine into y. */
static void lower_and_run_f64(nc_graph *g, nc_node *n, const double *const *xs, double *y) {
  cr_assert_eq(lower(g, n), 0, "%s", nc_err_msg());
  nc_node_args na;
  cr_assert_eq(nc_node_args_build(g, n, &na), 0);
  const nc_routine *r = nc_reference_routine(n->op, NC_F64, &na.a);
  cr_assert_not_null(r);
  void *outs[] = {y};
  run(r, &na.a, (const void *const *)xs, outs);
}

Test(einsum, matmul_explicit_and_implicit) {
  const int64_t d[2] = {2, 2};
  const double A[4] = {1, 2, 3, 4}, B[4] = {5, 6, 7, 8};
  const char *eqs[2] = {"ij, jk -> ik", "ij,jk"};
  for (int e = 0; e < 2; e++) {
    nc_graph *g = nc_graph_new("hand.onnx");
    int in[2] = {tensor(g, "a", NC_F64, 2, d, A), tensor(g, "b", NC_F64, 2, d, B)};
    nc_node *n = one_node(g, "Einsum", in, 2);
    attr_str(n, "equation", eqs[e]);
    double y[4];
    const double *xs[2] = {A, B};
    lower_and_run_f64(g, n, xs, y);
    cr_expect(ydesc(g)->ndim == 2 && ydesc(g)->dims[0] == 2 && ydesc(g)->dims[1] == 2);
    cr_expect(y[0] == 19 && y[1] == 22 && y[2] == 43 && y[3] == 50, "%s: %g %g %g %g", eqs[e],
              y[0], y[1], y[2], y[3]);
    nc_graph_free(g);
  }
}

Test(einsum, batch_diagonal_and_implicit_transpose) {
  const int64_t d3[3] = {2, 2, 2}, d2[2] = {2, 3};
  const double X[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  nc_graph *g = nc_graph_new("hand.onnx");
  int x = tensor(g, "x", NC_F64, 3, d3, X);
  nc_node *n = one_node(g, "Einsum", &x, 1);
  attr_str(n, "equation", "...ii->...i");
  double y[6];
  const double *xs[1] = {X};
  lower_and_run_f64(g, n, xs, y);
  cr_expect(y[0] == 1 && y[1] == 4 && y[2] == 5 && y[3] == 8);
  nc_graph_free(g);

  const double T[6] = {1, 2, 3, 4, 5, 6};
  g = nc_graph_new("hand.onnx");
  x = tensor(g, "x", NC_F64, 2, d2, T);
  n = one_node(g, "Einsum", &x, 1);
  attr_str(n, "equation", "ji"); /* implicit output "ij": a transpose */
  xs[0] = T;
  lower_and_run_f64(g, n, xs, y);
  cr_expect(ydesc(g)->dims[0] == 3 && ydesc(g)->dims[1] == 2);
  const double want[6] = {1, 4, 2, 5, 3, 6};
  for (int i = 0; i < 6; i++) cr_expect_eq(y[i], want[i], "y[%d] = %g", i, y[i]);
  nc_graph_free(g);
}

Test(einsum, mismatched_extents_fail) {
  const int64_t da[2] = {2, 3}, db[2] = {2, 2};
  nc_graph *g = nc_graph_new("hand.onnx");
  int in[2] = {tensor(g, "a", NC_F64, 2, da, NULL), tensor(g, "b", NC_F64, 2, db, NULL)};
  nc_node *n = one_node(g, "Einsum", in, 2);
  attr_str(n, "equation", "ij,jk->ik");
  cr_expect_eq(lower(g, n), -1);
  cr_expect(strstr(nc_err_msg(), "the_node") != NULL, "message: %s", nc_err_msg());
  nc_graph_free(g);
}

Test(det, batch_with_pivoting) {
  /* det [[2,1],[1,3]] = 5; det [[0,1],[1,0]] = -1 (needs a row swap) */
  const int64_t d[3] = {2, 2, 2};
  const double X[8] = {2, 1, 1, 3, 0, 1, 1, 0};
  nc_graph *g = nc_graph_new("hand.onnx");
  int x = tensor(g, "x", NC_F64, 3, d, X);
  nc_node *n = one_node(g, "Det", &x, 1);
  double y[2];
  const double *xs[1] = {X};
  lower_and_run_f64(g, n, xs, y);
  cr_expect(ydesc(g)->ndim == 1 && ydesc(g)->dims[0] == 2);
  cr_expect_float_eq(y[0], 5.0, 1e-12);
  cr_expect_float_eq(y[1], -1.0, 1e-12);
  nc_graph_free(g);
}

Test(maxunpool, indices_keep_coordinates_in_a_larger_output) {
  /* pooled tensor 1x1x4x4: flat 5 = (1,1), 3 = (0,3), 8 = (2,0), 15 = (3,3);
   * in the 1x1x5x5 output those are flat 6, 3, 10, 18 */
  const int64_t xd[4] = {1, 1, 2, 2}, sd[1] = {4}, shape[4] = {1, 1, 5, 5};
  const int64_t idx[4] = {5, 3, 8, 15};
  const int64_t kernel[2] = {2, 2};
  const double X[4] = {7, 8, 6, 9};
  nc_graph *g = nc_graph_new("hand.onnx");
  int in[3] = {tensor(g, "x", NC_F64, 4, xd, X), tensor(g, "i", NC_S64, 4, xd, idx),
               tensor(g, "shape", NC_S64, 1, sd, shape)};
  nc_node *n = one_node(g, "MaxUnpool", in, 3);
  attr_ints(n, "kernel_shape", 2, kernel);
  attr_ints(n, "strides", 2, kernel);
  double y[25];
  const void *xs[2] = {X, idx};
  lower_and_run_f64(g, n, (const double *const *)xs, y);
  for (int k = 0; k < 25; k++) {
    double want = k == 6 ? 7 : k == 3 ? 8 : k == 10 ? 6 : k == 18 ? 9 : 0;
    cr_expect_eq(y[k], want, "y[%d] = %g", k, y[k]);
  }
  nc_graph_free(g);
}
