/* ONNX import: node-test models, the tiny_cnn example, typed-field and
 * external-data tensors, and one broken model per error path (the models
 * come from tests/data/make_import_models.py). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx_import.h"

#define NODE_DIR "/usr/share/libonnx-testdata/data/node/"
#define DATA_DIR NEUROC_SOURCE_DIR "/tests/data/import/"

static nc_graph *load_node_test(const char *test) {
  char path[512];
  snprintf(path, sizeof path, NODE_DIR "%s/model.onnx", test);
  if (access(path, R_OK) != 0) cr_skip_test("libonnx-testdata not installed (%s)", path);
  nc_err_clear();
  nc_graph *g = nc_import_onnx(path);
  cr_assert_not_null(g, "%s", nc_err_msg());
  return g;
}

static nc_graph *load_data(const char *file) {
  nc_err_clear();
  nc_graph *g = nc_import_onnx(file);
  cr_assert_not_null(g, "%s", nc_err_msg());
  return g;
}

static const nc_tensor *tensor(const nc_graph *g, const char *name) {
  int t = nc_graph_find_tensor(g, name);
  cr_assert_geq(t, 0, "tensor '%s' missing", name);
  return &g->tensors[t];
}

static void assert_dims(const nc_tdesc *d, int32_t dtype, int ndim, const int64_t *dims) {
  cr_assert_eq(d->dtype, dtype);
  cr_assert_eq(d->ndim, ndim);
  for (int i = 0; i < ndim; i++) cr_assert_eq(d->dims[i], dims[i], "axis %d", i);
}

/* Import must fail and the message must contain every phrase given. */
static void expect_fail(const char *file, const char *const *phrases, int n) {
  nc_err_clear();
  nc_graph *g = nc_import_onnx(file);
  if (g) nc_graph_free(g);
  cr_assert_null(g, "import of %s should fail", file);
  for (int i = 0; i < n; i++)
    cr_assert(strstr(nc_err_msg(), phrases[i]), "message '%s' lacks '%s'", nc_err_msg(),
              phrases[i]);
}
#define EXPECT_FAIL(file, ...)                                                     \
  do {                                                                             \
    const char *const ph_[] = {__VA_ARGS__};                                       \
    expect_fail(file, ph_, (int)(sizeof ph_ / sizeof ph_[0]));                     \
  } while (0)

/* ---------------- node tests ---------------- */

Test(import, node_test_add) {
  nc_graph *g = load_node_test("test_add");
  cr_assert_eq(g->opset, 14);
  cr_assert_eq(g->n_nodes, 1);
  cr_assert_str_eq(g->nodes[0].op, "Add");
  cr_assert_str_eq(g->nodes[0].domain, "");
  cr_assert_str_eq(g->nodes[0].name, "Add_0"); /* unnamed in the file */
  cr_assert_eq(g->n_inputs, 2);
  cr_assert_eq(g->n_outputs, 1);
  const int64_t d[] = {3, 4, 5};
  const nc_tensor *x = &g->tensors[g->inputs[0]];
  cr_assert_str_eq(x->name, "x");
  cr_assert(x->is_input && !x->data);
  assert_dims(&x->desc, NC_F32, 3, d);
  const nc_tensor *z = &g->tensors[g->outputs[0]];
  cr_assert(z->is_output);
  cr_assert_eq(z->producer, 0);
  assert_dims(&z->desc, NC_F32, 3, d);
  cr_assert_eq(g->nodes[0].in[0], g->inputs[0]);
  cr_assert_eq(g->nodes[0].in[1], g->inputs[1]);
  nc_graph_free(g);
}

Test(import, node_test_conv_attributes) {
  nc_graph *g = load_node_test("test_conv_with_strides_padding");
  cr_assert_eq(g->opset, 11);
  nc_node *n = &g->nodes[0];
  cr_assert_str_eq(n->op, "Conv");
  const int64_t *v;
  cr_assert_eq(nc_attr_ints(n, "strides", &v), 2);
  cr_assert(v[0] == 2 && v[1] == 2);
  cr_assert_eq(nc_attr_ints(n, "pads", &v), 4);
  cr_assert(v[0] == 1 && v[3] == 1);
  cr_assert_eq(nc_attr_ints(n, "kernel_shape", &v), 2);
  cr_assert_eq(nc_attr_ints(n, "dilations", &v), -1);
  const int64_t w[] = {1, 1, 3, 3};
  assert_dims(&tensor(g, "W")->desc, NC_F32, 4, w);
  nc_graph_free(g);
}

Test(import, node_test_constant_becomes_tensor) {
  nc_graph *g = load_node_test("test_constant");
  cr_assert_eq(g->n_nodes, 0); /* the Constant is not a layer */
  const nc_tensor *v = tensor(g, "values");
  const int64_t d[] = {5, 5};
  assert_dims(&v->desc, NC_F32, 2, d);
  cr_assert(v->is_output && v->data);
  /* values from the test's output_0.pb, printed with numpy */
  cr_assert_float_eq(((const float *)v->data)[0], 1.7640524f, 1e-7);
  cr_assert_float_eq(((const float *)v->data)[24], 2.2697546f, 1e-7);
  nc_graph_free(g);
}

Test(import, read_tensor_pb) {
  const char *path = NODE_DIR "test_add/test_data_set_0/input_0.pb";
  if (access(path, R_OK) != 0) cr_skip_test("libonnx-testdata not installed");
  nc_const c;
  char *name = NULL;
  nc_err_clear();
  cr_assert_eq(nc_read_tensor_pb(path, &c, &name), 0, "%s", nc_err_msg());
  cr_assert_str_eq(name, "x");
  const int64_t d[] = {3, 4, 5};
  assert_dims(&c.desc, NC_F32, 3, d);
  cr_assert_float_eq(((float *)c.data)[0], 1.7640524f, 1e-7);
  cr_assert_float_eq(((float *)c.data)[59], -0.36274117f, 1e-7);
  free(c.data);
  free(name);
}

Test(import, read_tensor_pb_errors) {
  nc_const c;
  nc_err_clear();
  cr_assert_eq(nc_read_tensor_pb(DATA_DIR "nope.pb", &c, NULL), -1);
  cr_assert(strstr(nc_err_msg(), "nope.pb: cannot open tensor file"), "%s", nc_err_msg());
  nc_err_clear();
  /* the external-data weights file is not a TensorProto */
  int rc = nc_read_tensor_pb(DATA_DIR "ext_weights.bin", &c, NULL);
  if (rc == 0) free(c.data);
  cr_assert_eq(rc, -1);
  cr_assert(strstr(nc_err_msg(), "ext_weights.bin"), "%s", nc_err_msg());
}

/* ---------------- example and typed fields ---------------- */

Test(import, tiny_cnn_example) {
  nc_graph *g = load_data(NEUROC_SOURCE_DIR "/examples/tiny_cnn/model.onnx");
  cr_assert_eq(g->opset, 13);
  const char *ops[] = {"Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "Relu",
                       "GlobalAveragePool", "Flatten", "Gemm", "Softmax"};
  cr_assert_eq(g->n_nodes, 10);
  for (int i = 0; i < 10; i++) cr_assert_str_eq(g->nodes[i].op, ops[i]);
  cr_assert_str_eq(g->nodes[1].name, "bn1");
  cr_assert_float_eq(nc_attr_float(&g->nodes[1], "epsilon", 0), 1e-5, 1e-12);
  cr_assert_eq(g->n_inputs, 1);
  const int64_t img[] = {1, 1, 16, 16}, probs[] = {1, 10}, w1[] = {8, 1, 3, 3};
  assert_dims(&g->tensors[g->inputs[0]].desc, NC_F32, 4, img);
  assert_dims(&tensor(g, "probs")->desc, NC_F32, 2, probs);
  const nc_tensor *w = tensor(g, "conv1_w");
  assert_dims(&w->desc, NC_F32, 4, w1);
  cr_assert(!w->is_input && w->producer == -1);
  /* first and last weights, printed with numpy from the model file */
  const float *wf = w->data;
  cr_assert_float_eq(wf[0], 0.2591625f, 1e-7);
  cr_assert_float_eq(wf[1], 0.18772832f, 1e-7);
  cr_assert_float_eq(wf[71], -0.7192433f, 1e-7);
  nc_graph_free(g);
}

Test(import, typed_fields_constants_attributes) {
  nc_graph *g = load_data(DATA_DIR "good_misc.onnx");
  cr_assert_eq(g->opset, 17);
  const int8_t *i8 = tensor(g, "i8")->data;
  cr_assert(i8[0] == -1 && i8[1] == 2 && i8[2] == -128);
  const uint16_t *u16 = tensor(g, "u16")->data;
  cr_assert(u16[0] == 1 && u16[1] == 65535);
  const uint16_t *h = tensor(g, "h")->data;
  cr_assert_eq(h[0], 0x3E00); /* 1.5 in IEEE half */
  cr_assert_eq(h[1], 0xC000); /* -2.0 */
  const double *d = tensor(g, "d")->data;
  cr_assert(d[0] == 0.25 && d[1] == -8.0);
  cr_assert_eq(((const uint64_t *)tensor(g, "u64")->data)[0], 9223372036854775813ull);
  const uint32_t *u32 = tensor(g, "u32")->data;
  cr_assert(u32[0] == 7 && u32[1] == 4000000000u);
  const uint8_t *b = tensor(g, "bools")->data;
  cr_assert(b[0] == 1 && b[1] == 0 && b[2] == 1);
  const int64_t *i64 = tensor(g, "i64")->data;
  cr_assert(i64[0] == -5 && i64[1] == (int64_t)1 << 40);
  cr_assert_eq(((const float *)tensor(g, "f")->data)[3], 4.0f);
  cr_assert_eq(((const uint16_t *)tensor(g, "bf")->data)[0], 0x3FC0);
  cr_assert_eq(tensor(g, "bf")->desc.dtype, NC_BF16);

  /* Constant nodes became tensors; only Clip and Custom remain as layers. */
  const nc_tensor *cf = tensor(g, "cf");
  cr_assert(cf->desc.dtype == NC_F32 && cf->desc.ndim == 0);
  cr_assert_eq(*(const float *)cf->data, 2.5f);
  const nc_tensor *cis = tensor(g, "cis");
  const int64_t three[] = {3}, one_two[] = {1, 2};
  assert_dims(&cis->desc, NC_S64, 1, three);
  cr_assert_eq(((const int64_t *)cis->data)[1], -4);
  cr_assert(cis->is_output);
  assert_dims(&tensor(g, "ct")->desc, NC_S32, 2, one_two);
  cr_assert_eq(((const int32_t *)tensor(g, "ct")->data)[1], 8);
  cr_assert_eq(g->n_nodes, 2);

  nc_node *clip = &g->nodes[0];
  cr_assert_str_eq(clip->name, "Clip_3");
  cr_assert_eq(clip->in[1], -1); /* omitted optional min */
  cr_assert_eq(clip->in[2], nc_graph_find_tensor(g, "cf"));

  nc_node *c = &g->nodes[1];
  cr_assert_str_eq(c->domain, "com.example");
  cr_assert_float_eq(nc_attr_float(c, "a_float", 0), 0.5, 1e-12);
  cr_assert_eq(nc_attr_int(c, "a_int", 0), -3);
  cr_assert_str_eq(nc_attr_string(c, "a_string", ""), "hello");
  nc_attr *a = nc_node_attr(c, "a_floats");
  cr_assert(a && a->type == NC_ATTR_FLOATS && a->n_floats == 2 && a->floats[1] == 2.0);
  const int64_t *ints;
  cr_assert_eq(nc_attr_ints(c, "a_ints", &ints), 3);
  cr_assert_eq(ints[2], 6);
  a = nc_node_attr(c, "a_strings");
  cr_assert(a && a->type == NC_ATTR_STRINGS && a->i == 2);
  a = nc_node_attr(c, "a_graph");
  cr_assert(a && a->type == NC_ATTR_GRAPH);
  a = nc_node_attr(c, "a_tensor");
  cr_assert(a && a->type == NC_ATTR_TENSOR && a->t);
  cr_assert(a->t->desc.dtype == NC_F32 && a->t->desc.ndim == 1 && a->t->desc.dims[0] == 2);
  cr_assert_eq(((const float *)a->t->data)[1], 10.0f);
  nc_graph_free(g);
}

Test(import, external_data) {
  nc_graph *g = load_data(DATA_DIR "good_ext.onnx");
  const float *w = tensor(g, "w")->data;
  for (int i = 0; i < 6; i++) cr_assert_eq(w[i], (float)i * 0.5f - 1.0f, "w[%d]", i);
  nc_graph_free(g);
}

Test(import, bind_input) {
  nc_graph *g = load_node_test("test_reshape_reduced_dims");
  cr_assert_eq(g->n_inputs, 2);
  int64_t shape[] = {2, 12};
  nc_const v = {{NC_S64, 1, {2}}, shape};
  nc_err_clear();
  cr_assert_eq(nc_bind_input(g, "shape", &v), 0, "%s", nc_err_msg());
  cr_assert_eq(g->n_inputs, 1);
  const nc_tensor *t = tensor(g, "shape");
  cr_assert(!t->is_input && t->data);
  cr_assert_eq(((const int64_t *)t->data)[1], 12);

  nc_const wrong = {{NC_S64, 1, {3}}, shape};
  nc_err_clear();
  cr_assert_eq(nc_bind_input(g, "data", &wrong), -1);
  cr_assert(strstr(nc_err_msg(), "cannot bind input 'data'"), "%s", nc_err_msg());
  nc_err_clear();
  cr_assert_eq(nc_bind_input(g, "nothere", &v), -1);
  cr_assert(strstr(nc_err_msg(), "'nothere'"), "%s", nc_err_msg());
  nc_graph_free(g);
}

/* ---------------- broken files ---------------- */

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(p, 1, n, f), n);
  fclose(f);
}

Test(import_errors, missing_file) {
  EXPECT_FAIL(DATA_DIR "no_such_model.onnx", "no_such_model.onnx: cannot open model",
              "No such file or directory");
}

Test(import_errors, truncated_model) {
  FILE *f = fopen(NEUROC_SOURCE_DIR "/examples/tiny_cnn/model.onnx", "rb");
  cr_assert_not_null(f);
  static unsigned char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  const char *path = NEUROC_BINARY_DIR "/tests/import_truncated.onnx";
  write_bytes(path, buf, n / 2);
  EXPECT_FAIL(path, "import_truncated.onnx: not a valid ONNX model (protobuf parse failed: "
                    "truncated or corrupt)");
  remove(path);
}

Test(import_errors, random_bytes) {
  unsigned char buf[4096];
  uint32_t s = 12345;
  for (size_t i = 0; i < sizeof buf; i++) {
    s = s * 1103515245u + 12345u;
    buf[i] = (unsigned char)(s >> 16);
  }
  const char *path = NEUROC_BINARY_DIR "/tests/import_random.onnx";
  write_bytes(path, buf, sizeof buf);
  EXPECT_FAIL(path, "import_random.onnx: not a valid ONNX model");
  remove(path);
}

Test(import_errors, string_initializer) {
  EXPECT_FAIL(DATA_DIR "bad_string_init.onnx", "bad_string_init.onnx: ",
              "tensor 'labels': unsupported dtype STRING");
}

Test(import_errors, unproduced_input) {
  EXPECT_FAIL(DATA_DIR "bad_unproduced.onnx",
              "bad_unproduced.onnx: node 'add0' (Add): input 'ghost' is not produced by any "
              "node, initializer or graph input");
}

Test(import_errors, cycle) {
  EXPECT_FAIL(DATA_DIR "bad_cycle.onnx", "bad_cycle.onnx: graph has a cycle through node '");
  cr_assert(strstr(nc_err_msg(), "'first'") || strstr(nc_err_msg(), "'second'"), "%s",
            nc_err_msg());
}

Test(import_errors, sparse_constant) {
  EXPECT_FAIL(DATA_DIR "bad_sparse_const.onnx",
              "bad_sparse_const.onnx: node 'const0' (Constant): sparse_value is not supported");
}

Test(import_errors, dim_param) {
  EXPECT_FAIL(DATA_DIR "bad_dim_param.onnx",
              "bad_dim_param.onnx: input 'x' has a symbolic dimension 'N' at axis 0: static "
              "shapes required");
}

Test(import_errors, external_missing_file) {
  EXPECT_FAIL(DATA_DIR "bad_ext_missing.onnx", "bad_ext_missing.onnx: tensor 'w'",
              "cannot open external data file", "missing_weights.bin",
              "No such file or directory");
}

Test(import_errors, external_escape) {
  EXPECT_FAIL(DATA_DIR "bad_ext_escape.onnx", "bad_ext_escape.onnx: tensor 'w'",
              "'../outside.bin' must be a relative path inside the model's directory");
}

Test(import_errors, external_out_of_bounds) {
  EXPECT_FAIL(DATA_DIR "bad_ext_bounds.onnx", "bad_ext_bounds.onnx: tensor 'w'",
              "has 40 bytes", "offset 24 + length 24 goes past its end");
}

Test(import_errors, element_count) {
  EXPECT_FAIL(DATA_DIR "bad_count.onnx",
              "bad_count.onnx: tensor 'w': float_data holds 5 values but dims [2,3] need 6");
}

Test(import_errors, produced_twice) {
  EXPECT_FAIL(DATA_DIR "bad_twice.onnx",
              "bad_twice.onnx: tensor 'y' is produced twice (again by node 'r2' (Neg))");
}
