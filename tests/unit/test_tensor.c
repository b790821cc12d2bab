/* Tensor (data-movement) family: layers lowered from hand-built one-node
 * graphs, then run through their reference routine from the table (or a
 * named routine). Expected values are written out by hand (see comments) or
 * come from naive index loops written here, never from the code under test. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neuroc/args.h"
#include "neuroc/routines.h"
#include "ops.h"

/* ---- graph building ---- */

static int add_tensor(nc_graph *g, const char *name, int32_t dt, int ndim, const int64_t *dims,
                      const void *data) {
  int t = nc_graph_tensor(g, name);
  nc_tensor *x = &g->tensors[t];
  x->desc.dtype = dt;
  x->desc.ndim = ndim;
  for (int d = 0; d < ndim; d++) x->desc.dims[d] = dims[d];
  if (data) {
    size_t bytes = (size_t)nc_numel(&x->desc) * nc_dtype_size(dt);
    x->data = nc_xmalloc(bytes ? bytes : 1);
    memcpy(x->data, data, bytes);
  } else {
    x->is_input = 1;
  }
  return t;
}

/* Node with inputs named in `ins` ("" = left out) and outputs y0, y1, ... */
static int add_node(nc_graph *g, const char *op, const char *const *ins, int n_in, int n_out) {
  int id = nc_graph_add_node(g, "n0", op, "");
  int in[8], out[8];
  for (int i = 0; i < n_in; i++) in[i] = ins[i][0] ? nc_graph_find_tensor(g, ins[i]) : -1;
  for (int i = 0; i < n_out; i++) {
    char nm[8];
    snprintf(nm, sizeof nm, "y%d", i);
    out[i] = nc_graph_tensor(g, nm);
  }
  nc_node_set_io(&g->nodes[id], in, n_in, out, n_out);
  return id;
}

static nc_attr *new_attr(nc_node *n, const char *name, int type) {
  n->attrs = nc_xrealloc(n->attrs, sizeof(nc_attr) * (size_t)(n->n_attrs + 1));
  nc_attr *a = &n->attrs[n->n_attrs++];
  memset(a, 0, sizeof *a);
  a->name = nc_xstrdup(name);
  a->type = type;
  return a;
}

static void attr_int(nc_node *n, const char *name, int64_t v) {
  new_attr(n, name, NC_ATTR_INT)->i = v;
}

static void attr_ints(nc_node *n, const char *name, const int64_t *v, int k) {
  nc_attr *a = new_attr(n, name, NC_ATTR_INTS);
  a->ints = nc_xmalloc(sizeof(int64_t) * (size_t)k);
  memcpy(a->ints, v, sizeof(int64_t) * (size_t)k);
  a->n_ints = k;
}

static void attr_string(nc_node *n, const char *name, const char *s) {
  new_attr(n, name, NC_ATTR_STRING)->s = nc_xstrdup(s);
}

static int lower(nc_graph *g, int id) {
  nc_node *n = &g->nodes[id];
  const nc_op_def *d = nc_op_find(n->op);
  cr_assert_not_null(d, "layer %s not registered", n->op);
  n->param_inputs = d->param_inputs;
  nc_err_clear();
  return d->lower(g, n);
}

static nc_tensor *out_tensor(nc_graph *g, int id, int i) {
  return &g->tensors[g->nodes[id].out[i]];
}

/* Run the node through routine r (the reference when r is NULL): routine
 * inputs are the node's inputs minus its parameter inputs. */
static void run_node(nc_graph *g, int id, const nc_routine *r, void *const *outs) {
  nc_node *n = &g->nodes[id];
  nc_tdesc in[8], out[8];
  const void *inp[8];
  int k = 0;
  for (int i = 0; i < n->n_in; i++) {
    if (n->param_inputs & (1u << i)) continue;
    nc_tensor *t = nc_in(g, n, i);
    memset(&in[k], 0, sizeof in[k]);
    if (t) in[k] = t->desc;
    inp[k++] = t ? t->data : NULL;
  }
  for (int i = 0; i < n->n_out; i++) {
    memset(&out[i], 0, sizeof out[i]);
    if (nc_out(g, n, i)) out[i] = nc_out(g, n, i)->desc;
  }
  nc_args a = {k, n->n_out, in, out, n->ia, n->fa, n->n_ia, n->n_fa};
  if (!r) {
    int32_t dt = k ? in[0].dtype : out[0].dtype;
    const nc_routine *t = nc_routine_table();
    for (int i = 0; i < nc_routine_count() && !r; i++)
      if ((t[i].flags & NC_RF_REFERENCE) && strcmp(t[i].layer, n->op) == 0 &&
          (t[i].dtypes & NC_DT(dt)) && (!t[i].applies || t[i].applies(&a)))
        r = &t[i];
    cr_assert_not_null(r, "no reference routine for %s", n->op);
  }
  r->fn(&a, inp, outs, NULL);
}

/* Lower node id (must succeed) and run its reference routine into out0. */
static void lower_run(nc_graph *g, int id, void *out0) {
  cr_assert_eq(lower(g, id), 0, "lowering failed: %s", nc_err_msg());
  void *outs[1] = {out0};
  run_node(g, id, NULL, outs);
}

static void expect_dims(nc_graph *g, int id, int i, int ndim, const int64_t *dims) {
  nc_tensor *t = out_tensor(g, id, i);
  cr_assert_eq(t->desc.ndim, ndim, "rank %d, want %d", t->desc.ndim, ndim);
  for (int d = 0; d < ndim; d++)
    cr_assert_eq(t->desc.dims[d], dims[d], "dim %d = %lld, want %lld", d,
                 (long long)t->desc.dims[d], (long long)dims[d]);
}

static void expect_f32(const float *y, const float *want, int n) {
  for (int i = 0; i < n; i++) cr_expect_eq(y[i], want[i], "y[%d] = %g, want %g", i, y[i], want[i]);
}

static nc_graph *graph(int64_t opset) {
  nc_graph *g = nc_graph_new("test.onnx");
  g->opset = opset;
  return g;
}

static const float IOTA[48] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                               16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                               32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47};

/* ---- Transpose ---- */

Test(tensor, transpose_3d_perm) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 3, (int64_t[]){2, 3, 4}, IOTA);
  int id = add_node(g, "Transpose", (const char *[]){"x"}, 1, 1);
  attr_ints(&g->nodes[id], "perm", (int64_t[]){1, 2, 0}, 3);
  float y[24];
  lower_run(g, id, y);
  expect_dims(g, id, 0, 3, (int64_t[]){3, 4, 2});
  for (int i = 0; i < 3; i++) /* y[i][j][k] = x[k][i][j] */
    for (int j = 0; j < 4; j++)
      for (int k = 0; k < 2; k++)
        cr_expect_eq(y[(i * 4 + j) * 2 + k], IOTA[(k * 3 + i) * 4 + j]);
  nc_graph_free(g);
}

Test(tensor, transpose_default_reverses) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_S64, 2, (int64_t[]){2, 3}, (int64_t[]){1, 2, 3, 4, 5, 6});
  int id = add_node(g, "Transpose", (const char *[]){"x"}, 1, 1);
  int64_t y[6], want[6] = {1, 4, 2, 5, 3, 6};
  lower_run(g, id, y);
  for (int i = 0; i < 6; i++) cr_expect_eq(y[i], want[i]);
  nc_graph_free(g);
}

/* ---- Concat ---- */

static void concat_case(int64_t axis, int ndim, const int64_t *da, const float *a,
                        const int64_t *db, const float *b, const float *want, int n) {
  nc_graph *g = graph(13);
  add_tensor(g, "a", NC_F32, ndim, da, a);
  add_tensor(g, "b", NC_F32, ndim, db, b);
  int id = add_node(g, "Concat", (const char *[]){"a", "b"}, 2, 1);
  attr_int(&g->nodes[id], "axis", axis);
  float y[16];
  lower_run(g, id, y);
  expect_f32(y, want, n);
  nc_graph_free(g);
}

Test(tensor, concat_axis0) {
  /* [[1,2],[3,4]] ++ [[5,6]] along rows */
  concat_case(0, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4}, (int64_t[]){1, 2},
              (float[]){5, 6}, (float[]){1, 2, 3, 4, 5, 6}, 6);
}

Test(tensor, concat_axis1) {
  /* [[1,2],[3,4]] ++ [[5],[6]] along columns */
  concat_case(1, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4}, (int64_t[]){2, 1},
              (float[]){5, 6}, (float[]){1, 2, 5, 3, 4, 6}, 6);
}

Test(tensor, concat_axis_minus1) {
  /* (1,2,1) [1;2] ++ (1,2,2) [3 4; 5 6] on the last axis */
  concat_case(-1, 3, (int64_t[]){1, 2, 1}, (float[]){1, 2}, (int64_t[]){1, 2, 2},
              (float[]){3, 4, 5, 6}, (float[]){1, 3, 4, 2, 5, 6}, 6);
}

Test(tensor, concat_rejects_mismatch) {
  nc_graph *g = graph(13);
  add_tensor(g, "a", NC_F32, 2, (int64_t[]){2, 2}, NULL);
  add_tensor(g, "b", NC_F32, 2, (int64_t[]){3, 1}, NULL);
  int id = add_node(g, "Concat", (const char *[]){"a", "b"}, 2, 1);
  attr_int(&g->nodes[id], "axis", 1);
  cr_assert_eq(lower(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "'n0'") && strstr(nc_err_msg(), "input 1"), "%s", nc_err_msg());
  nc_graph_free(g);
}

/* NHWC channel concat must equal the NCHW reference after layout transposition. */
static void to_nhwc(const float *x, const int64_t *d, float *y) {
  for (int64_t n = 0; n < d[0]; n++)
    for (int64_t c = 0; c < d[1]; c++)
      for (int64_t h = 0; h < d[2]; h++)
        for (int64_t w = 0; w < d[3]; w++)
          y[((n * d[2] + h) * d[3] + w) * d[1] + c] = x[((n * d[1] + c) * d[2] + h) * d[3] + w];
}

Test(tensor, concat_nhwc_matches_reference) {
  int64_t da[4] = {2, 3, 2, 4}, db[4] = {2, 2, 2, 4}, dy[4] = {2, 5, 2, 4};
  float a[48], b[32], an[48], bn[32], ref[80], refn[80], yn[80];
  for (int i = 0; i < 48; i++) a[i] = (float)(i * 7 % 13) - 6.0f;
  for (int i = 0; i < 32; i++) b[i] = (float)(i * 5 % 11) + 100.0f;
  nc_graph *g = graph(13);
  add_tensor(g, "a", NC_F32, 4, da, a);
  add_tensor(g, "b", NC_F32, 4, db, b);
  int id = add_node(g, "Concat", (const char *[]){"a", "b"}, 2, 1);
  attr_int(&g->nodes[id], "axis", 1);
  lower_run(g, id, ref);
  to_nhwc(a, da, an);
  to_nhwc(b, db, bn);
  to_nhwc(ref, dy, refn);
  const nc_routine *r = nc_routine_find("cpu:f32:nhwc/concat-channels/c99");
  cr_assert_not_null(r);
  cr_assert_eq(r->in_layout, NC_LAYOUT_NHWC);
  nc_tdesc in[2], out = out_tensor(g, id, 0)->desc;
  in[0] = g->tensors[g->nodes[id].in[0]].desc;
  in[1] = g->tensors[g->nodes[id].in[1]].desc;
  nc_args args = {2, 1, in, &out, g->nodes[id].ia, NULL, g->nodes[id].n_ia, 0};
  cr_assert(r->applies(&args));
  const void *ins[2] = {an, bn};
  void *outs[1] = {yn};
  r->fn(&args, ins, outs, NULL);
  expect_f32(yn, refn, 80);
  nc_graph_free(g);
}

/* ---- Split ---- */

Test(tensor, split_uneven_opset13) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){2, 5}, IOTA);
  add_tensor(g, "s", NC_S64, 1, (int64_t[]){2}, (int64_t[]){2, 3});
  int id = add_node(g, "Split", (const char *[]){"x", "s"}, 2, 2);
  attr_int(&g->nodes[id], "axis", -1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 2, (int64_t[]){2, 2});
  expect_dims(g, id, 1, 2, (int64_t[]){2, 3});
  float y0[4], y1[6];
  void *outs[2] = {y0, y1};
  run_node(g, id, NULL, outs);
  expect_f32(y0, (float[]){0, 1, 5, 6}, 4);
  expect_f32(y1, (float[]){2, 3, 4, 7, 8, 9}, 6);
  nc_graph_free(g);
}

Test(tensor, split_equal_attr_opset11) {
  nc_graph *g = graph(11);
  add_tensor(g, "x", NC_F32, 1, (int64_t[]){6}, IOTA);
  int id = add_node(g, "Split", (const char *[]){"x"}, 1, 3);
  float y0[2], y1[2], y2[2];
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  void *outs[3] = {y0, y1, y2};
  run_node(g, id, NULL, outs);
  expect_f32(y2, (float[]){4, 5}, 2);
  nc_graph_free(g);
}

/* ---- Slice ---- */

static int slice_node(nc_graph *g, const int64_t *st, const int64_t *en, const int64_t *ax,
                      const int64_t *sp, int k) {
  int64_t dk[1] = {k};
  add_tensor(g, "st", NC_S64, 1, dk, st);
  add_tensor(g, "en", NC_S64, 1, dk, en);
  add_tensor(g, "ax", NC_S64, 1, dk, ax);
  add_tensor(g, "sp", NC_S64, 1, dk, sp);
  return add_node(g, "Slice", (const char *[]){"x", "st", "en", "ax", "sp"}, 5, 1);
}

Test(tensor, slice_negative_step_clamped) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 1, (int64_t[]){6}, IOTA);
  /* from the last element down past the front (end clamps to -1), step -2 */
  int id = slice_node(g, (int64_t[]){-1}, (int64_t[]){-100}, (int64_t[]){0}, (int64_t[]){-2}, 1);
  float y[3];
  lower_run(g, id, y);
  expect_dims(g, id, 0, 1, (int64_t[]){3});
  expect_f32(y, (float[]){5, 3, 1}, 3);
  nc_graph_free(g);
}

Test(tensor, slice_2d_end_clamp_and_reverse) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 4}, IOTA);
  /* rows 0..huge step 2 -> 0, 2; columns 3 down to (excluding) 0 -> 3, 2, 1 */
  int id = slice_node(g, (int64_t[]){0, 3}, (int64_t[]){INT64_MAX, 0}, (int64_t[]){0, -1},
                      (int64_t[]){2, -1}, 2);
  float y[6];
  lower_run(g, id, y);
  expect_dims(g, id, 0, 2, (int64_t[]){2, 3});
  expect_f32(y, (float[]){3, 2, 1, 11, 10, 9}, 6);
  nc_graph_free(g);
}

Test(tensor, slice_opset1_attributes) {
  nc_graph *g = graph(9);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 4}, IOTA);
  int id = add_node(g, "Slice", (const char *[]){"x"}, 1, 1);
  attr_ints(&g->nodes[id], "starts", (int64_t[]){1, -3}, 2);
  attr_ints(&g->nodes[id], "ends", (int64_t[]){2, 1000}, 2);
  float y[3];
  lower_run(g, id, y);
  expect_f32(y, (float[]){5, 6, 7}, 3);
  nc_graph_free(g);
}

/* ---- Gather family ---- */

Test(tensor, gather_negative_indices_s32_axis0) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 2}, (float[]){1, 2, 3, 4, 5, 6});
  add_tensor(g, "i", NC_S32, 1, (int64_t[]){2}, (int32_t[]){-1, 0});
  int id = add_node(g, "Gather", (const char *[]){"x", "i"}, 2, 1);
  float y[4];
  lower_run(g, id, y);
  expect_f32(y, (float[]){5, 6, 1, 2}, 4); /* rows 2 and 0 */
  nc_graph_free(g);
}

Test(tensor, gather_s64_axis1_2d_indices) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 2}, (float[]){1, 2, 3, 4, 5, 6});
  add_tensor(g, "i", NC_S64, 2, (int64_t[]){1, 2}, (int64_t[]){-1, 0});
  int id = add_node(g, "Gather", (const char *[]){"x", "i"}, 2, 1);
  attr_int(&g->nodes[id], "axis", 1);
  float y[6];
  lower_run(g, id, y);
  expect_dims(g, id, 0, 3, (int64_t[]){3, 1, 2});
  expect_f32(y, (float[]){2, 1, 4, 3, 6, 5}, 6); /* columns 1, 0 of each row */
  nc_graph_free(g);
}

Test(tensor, gatherelements_axis1) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4});
  add_tensor(g, "i", NC_S64, 2, (int64_t[]){2, 2}, (int64_t[]){0, 0, 1, -2});
  int id = add_node(g, "GatherElements", (const char *[]){"x", "i"}, 2, 1);
  attr_int(&g->nodes[id], "axis", 1);
  float y[4];
  lower_run(g, id, y);
  expect_f32(y, (float[]){1, 1, 4, 3}, 4);
  nc_graph_free(g);
}

Test(tensor, gathernd_batch_dims1) {
  /* data [[[0,1],[2,3]],[[4,5],[6,7]]], indices [[1],[0]], batch_dims 1:
   * batch 0 takes row 1 = [2,3], batch 1 takes row 0 = [4,5] */
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 3, (int64_t[]){2, 2, 2}, IOTA);
  add_tensor(g, "i", NC_S64, 2, (int64_t[]){2, 1}, (int64_t[]){1, 0});
  int id = add_node(g, "GatherND", (const char *[]){"x", "i"}, 2, 1);
  attr_int(&g->nodes[id], "batch_dims", 1);
  float y[4];
  lower_run(g, id, y);
  expect_dims(g, id, 0, 2, (int64_t[]){2, 2});
  expect_f32(y, (float[]){2, 3, 4, 5}, 4);
  nc_graph_free(g);
}

Test(tensor, gathernd_full_index) {
  /* data [[0,1],[2,3]], indices [[0,0],[1,1],[-1,0]] -> [0, 3, 2] */
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){2, 2}, IOTA);
  add_tensor(g, "i", NC_S32, 2, (int64_t[]){3, 2}, (int32_t[]){0, 0, 1, 1, -1, 0});
  int id = add_node(g, "GatherND", (const char *[]){"x", "i"}, 2, 1);
  float y[3];
  lower_run(g, id, y);
  expect_f32(y, (float[]){0, 3, 2}, 3);
  nc_graph_free(g);
}

/* ---- Scatter family ---- */

Test(tensor, scatternd_onnx_example) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 1, (int64_t[]){8}, (float[]){1, 2, 3, 4, 5, 6, 7, 8});
  add_tensor(g, "i", NC_S64, 2, (int64_t[]){4, 1}, (int64_t[]){4, 3, 1, 7});
  add_tensor(g, "u", NC_F32, 1, (int64_t[]){4}, (float[]){9, 10, 11, 12});
  int id = add_node(g, "ScatterND", (const char *[]){"x", "i", "u"}, 3, 1);
  float y[8];
  lower_run(g, id, y);
  expect_f32(y, (float[]){1, 11, 3, 10, 9, 6, 7, 12}, 8);
  nc_graph_free(g);
}

Test(tensor, scatternd_add_duplicates_s32) {
  nc_graph *g = graph(16);
  add_tensor(g, "x", NC_S32, 2, (int64_t[]){2, 2}, (int32_t[]){10, 20, 30, 40});
  add_tensor(g, "i", NC_S64, 2, (int64_t[]){2, 1}, (int64_t[]){1, -1});
  add_tensor(g, "u", NC_S32, 2, (int64_t[]){2, 2}, (int32_t[]){1, 2, 3, 4});
  int id = add_node(g, "ScatterND", (const char *[]){"x", "i", "u"}, 3, 1);
  attr_string(&g->nodes[id], "reduction", "add");
  int32_t y[4], want[4] = {10, 20, 34, 46}; /* row 1 gets both updates */
  lower_run(g, id, y);
  for (int i = 0; i < 4; i++) cr_expect_eq(y[i], want[i]);
  nc_graph_free(g);
}

Test(tensor, scatterelements_mul_axis1) {
  nc_graph *g = graph(16);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){1, 5}, (float[]){1, 2, 3, 4, 5});
  add_tensor(g, "i", NC_S64, 2, (int64_t[]){1, 2}, (int64_t[]){1, -2});
  add_tensor(g, "u", NC_F32, 2, (int64_t[]){1, 2}, (float[]){10, 3});
  int id = add_node(g, "ScatterElements", (const char *[]){"x", "i", "u"}, 3, 1);
  attr_int(&g->nodes[id], "axis", 1);
  attr_string(&g->nodes[id], "reduction", "mul");
  float y[5];
  lower_run(g, id, y);
  expect_f32(y, (float[]){1, 20, 3, 12, 5}, 5);
  nc_graph_free(g);
}

/* ---- Pad ---- */

static void pad_case(const char *mode, const float *x, int64_t len, const int64_t *pads,
                     const float *want, int64_t n) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 1, &len, x);
  add_tensor(g, "p", NC_S64, 1, (int64_t[]){2}, pads);
  add_tensor(g, "v", NC_F32, 0, NULL, (float[]){9});
  int id = add_node(g, "Pad", (const char *[]){"x", "p", "v"}, 3, 1);
  attr_string(&g->nodes[id], "mode", mode);
  float y[16];
  lower_run(g, id, y);
  expect_dims(g, id, 0, 1, &n);
  expect_f32(y, want, (int)n);
  nc_graph_free(g);
}

Test(tensor, pad_reflect_edge_constant_1d) {
  const float x[3] = {1, 2, 3};
  pad_case("reflect", x, 3, (int64_t[]){2, 2}, (float[]){3, 2, 1, 2, 3, 2, 1}, 7);
  pad_case("edge", x, 3, (int64_t[]){2, 2}, (float[]){1, 1, 1, 2, 3, 3, 3}, 7);
  pad_case("constant", x, 3, (int64_t[]){2, 1}, (float[]){9, 9, 1, 2, 3, 9}, 6);
  pad_case("constant", x, 3, (int64_t[]){-1, 1}, (float[]){2, 3, 9}, 3); /* crop */
}

Test(tensor, pad_reflect_edge_2d_onnx_example) {
  /* x = [[1.0,1.2],[2.3,3.4],[4.5,5.7]], pads = [0,2,0,0] */
  const float x[6] = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
  const float refl[12] = {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f};
  const float edge[12] = {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f};
  for (int m = 0; m < 2; m++) {
    nc_graph *g = graph(11);
    add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 2}, x);
    add_tensor(g, "p", NC_S64, 1, (int64_t[]){4}, (int64_t[]){0, 2, 0, 0});
    int id = add_node(g, "Pad", (const char *[]){"x", "p"}, 2, 1);
    attr_string(&g->nodes[id], "mode", m ? "edge" : "reflect");
    float y[12];
    lower_run(g, id, y);
    expect_f32(y, m ? edge : refl, 12);
    nc_graph_free(g);
  }
}

/* ---- Expand / Tile ---- */

Test(tensor, expand_broadcasts_both_ways) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 1}, (float[]){1, 2, 3});
  add_tensor(g, "s", NC_S64, 1, (int64_t[]){3}, (int64_t[]){2, 1, 4});
  int id = add_node(g, "Expand", (const char *[]){"x", "s"}, 2, 1);
  float y[24];
  lower_run(g, id, y);
  expect_dims(g, id, 0, 3, (int64_t[]){2, 3, 4});
  for (int b = 0; b < 2; b++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 4; j++) cr_expect_eq(y[(b * 3 + i) * 4 + j], (float)(i + 1));
  nc_graph_free(g);
}

Test(tensor, tile_both_axes) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4});
  add_tensor(g, "r", NC_S64, 1, (int64_t[]){2}, (int64_t[]){2, 2});
  int id = add_node(g, "Tile", (const char *[]){"x", "r"}, 2, 1);
  float y[16];
  lower_run(g, id, y);
  expect_f32(y, (float[]){1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4}, 16);
  nc_graph_free(g);
}

/* ---- Trilu / CumSum ---- */

static void trilu_case(int upper, int64_t k, const float *want) {
  nc_graph *g = graph(14);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 3}, (float[]){1, 2, 3, 4, 5, 6, 7, 8, 9});
  add_tensor(g, "k", NC_S64, 0, NULL, &k);
  int id = add_node(g, "Trilu", (const char *[]){"x", "k"}, 2, 1);
  attr_int(&g->nodes[id], "upper", upper);
  float y[9];
  lower_run(g, id, y);
  expect_f32(y, want, 9);
  nc_graph_free(g);
}

Test(tensor, trilu_upper_lower) {
  trilu_case(1, 1, (float[]){0, 2, 3, 0, 0, 6, 0, 0, 0});
  trilu_case(0, -1, (float[]){0, 0, 0, 4, 0, 0, 7, 8, 0});
  trilu_case(1, 0, (float[]){1, 2, 3, 0, 5, 6, 0, 0, 9});
}

static void cumsum_case(int excl, int rev, const int32_t *want) {
  nc_graph *g = graph(14);
  add_tensor(g, "x", NC_S32, 1, (int64_t[]){5}, (int32_t[]){1, 2, 3, 4, 5});
  add_tensor(g, "a", NC_S32, 0, NULL, (int32_t[]){0});
  int id = add_node(g, "CumSum", (const char *[]){"x", "a"}, 2, 1);
  attr_int(&g->nodes[id], "exclusive", excl);
  attr_int(&g->nodes[id], "reverse", rev);
  int32_t y[5];
  lower_run(g, id, y);
  for (int i = 0; i < 5; i++) cr_expect_eq(y[i], want[i], "y[%d] = %d", i, y[i]);
  nc_graph_free(g);
}

Test(tensor, cumsum_exclusive_reverse) {
  cumsum_case(0, 0, (int32_t[]){1, 3, 6, 10, 15});
  cumsum_case(1, 0, (int32_t[]){0, 1, 3, 6, 10});
  cumsum_case(0, 1, (int32_t[]){15, 14, 12, 9, 5});
  cumsum_case(1, 1, (int32_t[]){14, 12, 9, 5, 0});
}

Test(tensor, cumsum_f32_axis1) {
  nc_graph *g = graph(14);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6});
  add_tensor(g, "a", NC_S64, 1, (int64_t[]){1}, (int64_t[]){-1});
  int id = add_node(g, "CumSum", (const char *[]){"x", "a"}, 2, 1);
  float y[6];
  lower_run(g, id, y);
  expect_f32(y, (float[]){1, 3, 6, 4, 9, 15}, 6);
  nc_graph_free(g);
}

/* ---- DepthToSpace / SpaceToDepth ---- */

static void d2s_case(const char *mode, const float *want) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 4, (int64_t[]){1, 8, 2, 3}, IOTA);
  int id = add_node(g, "DepthToSpace", (const char *[]){"x"}, 1, 1);
  attr_int(&g->nodes[id], "blocksize", 2);
  attr_string(&g->nodes[id], "mode", mode);
  float y[48];
  lower_run(g, id, y);
  expect_dims(g, id, 0, 4, (int64_t[]){1, 2, 4, 6});
  expect_f32(y, want, 48);
  nc_graph_free(g);
}

Test(tensor, depthtospace_dcr_crd) {
  /* x = 0..47 as (1, 8, 2, 3), blocksize 2 (the ONNX operator doc example) */
  d2s_case("DCR", (float[]){0,  12, 1,  13, 2,  14, 24, 36, 25, 37, 26, 38, 3,  15, 4,  16,
                            5,  17, 27, 39, 28, 40, 29, 41, 6,  18, 7,  19, 8,  20, 30, 42,
                            31, 43, 32, 44, 9,  21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47});
  d2s_case("CRD", (float[]){0,  6,  1,  7,  2,  8,  12, 18, 13, 19, 14, 20, 3,  9,  4,  10,
                            5,  11, 15, 21, 16, 22, 17, 23, 24, 30, 25, 31, 26, 32, 36, 42,
                            37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47});
}

Test(tensor, spacetodepth_inverts_depthtospace_dcr) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 4, (int64_t[]){1, 8, 2, 3}, IOTA);
  int id = add_node(g, "DepthToSpace", (const char *[]){"x"}, 1, 1);
  attr_int(&g->nodes[id], "blocksize", 2);
  float mid[48], back[48];
  lower_run(g, id, mid);
  add_tensor(g, "m", NC_F32, 4, (int64_t[]){1, 2, 4, 6}, mid);
  int id2 = add_node(g, "SpaceToDepth", (const char *[]){"m"}, 1, 1);
  attr_int(&g->nodes[id2], "blocksize", 2);
  lower_run(g, id2, back);
  expect_dims(g, id2, 0, 4, (int64_t[]){1, 8, 2, 3});
  expect_f32(back, IOTA, 48);
  nc_graph_free(g);
}

/* ---- OneHot ---- */

Test(tensor, onehot_axes_and_negative_index) {
  /* indices [0, -1, 5], depth 3: -1 means 2, 5 is out of range (all off) */
  const float last[9] = {1, 0, 0, 0, 0, 1, 0, 0, 0}, first[9] = {1, 0, 0, 0, 0, 0, 0, 1, 0};
  for (int a = 0; a < 2; a++) {
    nc_graph *g = graph(11);
    add_tensor(g, "i", NC_S64, 1, (int64_t[]){3}, (int64_t[]){0, -1, 5});
    add_tensor(g, "d", NC_S64, 0, NULL, (int64_t[]){3});
    add_tensor(g, "v", NC_F32, 1, (int64_t[]){2}, (float[]){0, 1});
    int id = add_node(g, "OneHot", (const char *[]){"i", "d", "v"}, 3, 1);
    attr_int(&g->nodes[id], "axis", a ? 0 : -1);
    float y[9];
    lower_run(g, id, y);
    expect_f32(y, a ? first : last, 9);
    nc_graph_free(g);
  }
}

/* ---- Reshape family lowering ---- */

static int reshape_graph(nc_graph *g, const int64_t *shape, int k, int constant) {
  add_tensor(g, "x", NC_F32, 3, (int64_t[]){2, 3, 4}, NULL);
  add_tensor(g, "s", NC_S64, 1, (int64_t[]){k}, constant ? shape : NULL);
  return add_node(g, "Reshape", (const char *[]){"x", "s"}, 2, 1);
}

Test(tensor, reshape_zero_and_minus_one) {
  nc_graph *g = graph(13);
  int id = reshape_graph(g, (int64_t[]){0, -1}, 2, 1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 2, (int64_t[]){2, 12});
  nc_graph_free(g);
  g = graph(13);
  id = reshape_graph(g, (int64_t[]){-1, 0, 2}, 3, 1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 3, (int64_t[]){4, 3, 2});
  nc_graph_free(g);
}

Test(tensor, reshape_rejects_bad_shapes) {
  nc_graph *g = graph(13);
  int id = reshape_graph(g, (int64_t[]){-1, -1}, 2, 1);
  cr_expect_eq(lower(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "more than one -1"), "%s", nc_err_msg());
  nc_graph_free(g);
  g = graph(13);
  id = reshape_graph(g, (int64_t[]){5, -1}, 2, 1);
  cr_expect_eq(lower(g, id), -1);
  nc_graph_free(g);
}

Test(tensor, reshape_nonconstant_shape_fails_naming_node_and_input) {
  nc_graph *g = graph(13);
  int id = reshape_graph(g, NULL, 2, 0);
  cr_assert_eq(lower(g, id), -1);
  const char *m = nc_err_msg();
  cr_expect(strstr(m, "node 'n0' (Reshape)") != NULL, "%s", m);
  cr_expect(strstr(m, "input 1 (shape") != NULL, "%s", m);
  cr_expect(strstr(m, "compile-time constant") != NULL, "%s", m);
  nc_graph_free(g);
}

Test(tensor, reshape_copy_routine_is_alias) {
  const nc_routine *r = nc_routine_find("cpu:f32:nchw/reshape-ref/c99");
  cr_assert_not_null(r);
  cr_expect_eq(r->flags & (NC_RF_ALIAS | NC_RF_INPLACE), NC_RF_ALIAS | NC_RF_INPLACE);
  cr_expect_eq(strcmp(r->symbol, "nc_reshape_ref_any_nchw_c99"), 0);
}

Test(tensor, unsqueeze_opset11_attr_vs_opset13_input) {
  nc_graph *g = graph(11);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 4}, NULL);
  int id = add_node(g, "Unsqueeze", (const char *[]){"x"}, 1, 1);
  attr_ints(&g->nodes[id], "axes", (int64_t[]){0, -1}, 2);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 4, (int64_t[]){1, 3, 4, 1});
  nc_graph_free(g);

  g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 4}, NULL);
  add_tensor(g, "a", NC_S64, 1, (int64_t[]){2}, (int64_t[]){1, 3});
  id = add_node(g, "Unsqueeze", (const char *[]){"x", "a"}, 2, 1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 4, (int64_t[]){3, 1, 4, 1});
  nc_graph_free(g);

  /* opset 13 takes axes only as input 1 */
  g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 4}, NULL);
  id = add_node(g, "Unsqueeze", (const char *[]){"x"}, 1, 1);
  attr_ints(&g->nodes[id], "axes", (int64_t[]){0}, 1);
  cr_expect_eq(lower(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "axes") != NULL, "%s", nc_err_msg());
  nc_graph_free(g);
}

Test(tensor, squeeze_all_ones_and_bad_axis) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 4, (int64_t[]){1, 3, 1, 2}, NULL);
  int id = add_node(g, "Squeeze", (const char *[]){"x"}, 1, 1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 2, (int64_t[]){3, 2});
  nc_graph_free(g);
  g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){1, 3}, NULL);
  add_tensor(g, "a", NC_S64, 1, (int64_t[]){1}, (int64_t[]){1});
  id = add_node(g, "Squeeze", (const char *[]){"x", "a"}, 2, 1);
  cr_expect_eq(lower(g, id), -1);
  nc_graph_free(g);
}

Test(tensor, flatten_negative_axis) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 4, (int64_t[]){2, 3, 4, 5}, NULL);
  int id = add_node(g, "Flatten", (const char *[]){"x"}, 1, 1);
  attr_int(&g->nodes[id], "axis", -1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 2, (int64_t[]){24, 5});
  nc_graph_free(g);
}

Test(tensor, dropout_training_rejected_mask_all_true) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 1, (int64_t[]){3}, (float[]){1, 2, 3});
  add_tensor(g, "r", NC_F32, 0, NULL, (float[]){0.5f});
  add_tensor(g, "t", NC_BOOL, 0, NULL, (uint8_t[]){1});
  int id = add_node(g, "Dropout", (const char *[]){"x", "r", "t"}, 3, 1);
  cr_expect_eq(lower(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "training_mode") != NULL, "%s", nc_err_msg());
  id = add_node(g, "Dropout", (const char *[]){"x", "r"}, 2, 2);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  cr_expect_eq(out_tensor(g, id, 1)->desc.dtype, NC_BOOL);
  float y[3];
  uint8_t mask[3] = {0};
  void *outs[2] = {y, mask};
  run_node(g, id, NULL, outs);
  expect_f32(y, (float[]){1, 2, 3}, 3);
  for (int i = 0; i < 3; i++) cr_expect_eq(mask[i], 1);
  nc_graph_free(g);
}

/* ---- layers computed at compile time ---- */

Test(tensor, shape_size_range_constantofshape) {
  nc_graph *g = graph(15);
  add_tensor(g, "x", NC_F32, 4, (int64_t[]){2, 3, 4, 5}, NULL);
  int id = add_node(g, "Shape", (const char *[]){"x"}, 1, 1);
  attr_int(&g->nodes[id], "start", 1);
  attr_int(&g->nodes[id], "end", -1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  const int64_t *s = out_tensor(g, id, 0)->data;
  cr_assert_not_null(s);
  cr_expect(s[0] == 3 && s[1] == 4, "shape %lld %lld", (long long)s[0], (long long)s[1]);
  nc_graph_free(g);

  g = graph(13);
  add_tensor(g, "a", NC_S32, 0, NULL, (int32_t[]){10});
  add_tensor(g, "b", NC_S32, 0, NULL, (int32_t[]){1});
  add_tensor(g, "c", NC_S32, 0, NULL, (int32_t[]){-3});
  id = add_node(g, "Range", (const char *[]){"a", "b", "c"}, 3, 1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 1, (int64_t[]){3});
  const int32_t *r = out_tensor(g, id, 0)->data;
  cr_expect(r[0] == 10 && r[1] == 7 && r[2] == 4);
  nc_graph_free(g);

  g = graph(13);
  add_tensor(g, "s", NC_S64, 1, (int64_t[]){2}, (int64_t[]){2, 3});
  id = add_node(g, "ConstantOfShape", (const char *[]){"s"}, 1, 1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  nc_tensor *t = out_tensor(g, id, 0);
  cr_expect_eq(t->desc.dtype, NC_F32);
  for (int i = 0; i < 6; i++) cr_expect_eq(((float *)t->data)[i], 0.0f);
  nc_graph_free(g);
}

Test(tensor, nonzero_constant_and_rejected) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){2, 2}, (float[]){1, 0, 1, 1});
  int id = add_node(g, "NonZero", (const char *[]){"x"}, 1, 1);
  cr_assert_eq(lower(g, id), 0, "%s", nc_err_msg());
  expect_dims(g, id, 0, 2, (int64_t[]){2, 3});
  const int64_t *o = out_tensor(g, id, 0)->data, want[6] = {0, 1, 1, 0, 0, 1};
  for (int i = 0; i < 6; i++) cr_expect_eq(o[i], want[i]);
  add_tensor(g, "z", NC_F32, 1, (int64_t[]){4}, NULL);
  id = add_node(g, "NonZero", (const char *[]){"z"}, 1, 1);
  cr_expect_eq(lower(g, id), -1);
  cr_expect(strstr(nc_err_msg(), "depends on the data") != NULL, "%s", nc_err_msg());
  nc_graph_free(g);
}

Test(tensor, compress_and_reversesequence) {
  nc_graph *g = graph(13);
  add_tensor(g, "x", NC_F32, 2, (int64_t[]){3, 2}, (float[]){1, 2, 3, 4, 5, 6});
  add_tensor(g, "c", NC_BOOL, 1, (int64_t[]){3}, (uint8_t[]){0, 1, 1});
  int id = add_node(g, "Compress", (const char *[]){"x", "c"}, 2, 1);
  attr_int(&g->nodes[id], "axis", 0);
  float y[6];
  lower_run(g, id, y);
  expect_f32(y, (float[]){3, 4, 5, 6}, 4);
  /* time-major (T=3, B=2): batch 0 reverses 2 steps, batch 1 all 3 */
  add_tensor(g, "l", NC_S64, 1, (int64_t[]){2}, (int64_t[]){2, 3});
  id = add_node(g, "ReverseSequence", (const char *[]){"x", "l"}, 2, 1);
  lower_run(g, id, y);
  expect_f32(y, (float[]){3, 6, 1, 4, 5, 2}, 6);
  nc_graph_free(g);
}
