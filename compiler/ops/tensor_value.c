/* Layer definitions of the tensor family whose output value is known at
 * compile time and computed here, so the node folds: Range, ConstantOfShape,
 * Shape, Size, EyeLike, NonZero (see ops.h and tensor_lower.h). */
#include <math.h>
#include <string.h>

#include "tensor_lower.h"

/* Compile-time outputs larger than this are refused rather than embedded. */
#define VALUE_MAX_ELEMS (INT64_C(1) << 28)

static int scalar_param(nc_graph *g, nc_node *n, int i, const char *what, double *v) {
  int k = nc_tl_param_doubles(g, n, i, what, v, 1);
  if (k == -1) return -1;
  if (k != 1) return nc_node_fail(g, n, "input %d (%s) must hold one value", i, what);
  return 0;
}

int nc_tl_lower_range(nc_graph *g, nc_node *n) {
  double v[3];
  static const char *names[3] = {"start", "limit", "delta"};
  int32_t dt = nc_in(g, n, 0) ? nc_in(g, n, 0)->desc.dtype : 0;
  for (int i = 0; i < 3; i++) {
    if (!nc_tl_req(g, n, i, names[i]) || scalar_param(g, n, i, names[i], &v[i])) return -1;
    if (nc_in(g, n, i)->desc.dtype != dt)
      return nc_node_fail(g, n, "start, limit and delta must share one dtype");
  }
  if (dt == NC_BOOL || nc_dtype_size(dt) == 0)
    return nc_node_fail(g, n, "dtype %s is not supported", nc_dtype_name(dt));
  if (v[2] == 0) return nc_node_fail(g, n, "delta must not be 0");
  double cnt = ceil((v[1] - v[0]) / v[2]);
  if (!(cnt < (double)VALUE_MAX_ELEMS))
    return nc_node_fail(g, n, "range of %g elements is too large", cnt);
  int64_t dims[1] = {cnt > 0 ? (int64_t)cnt : 0};
  void *out = nc_tl_set_out_data(g, n, 0, dt, 1, dims);
  if (nc_tl_is_int(dt)) { /* exact integer arithmetic */
    int64_t s[3];
    for (int i = 0; i < 3; i++) nc_const_ints(g, n, i, &s[i], 1);
    for (int64_t i = 0; i < dims[0]; i++) nc_tl_put_int(out, dt, i, s[0] + i * s[2]);
  } else {
    for (int64_t i = 0; i < dims[0]; i++) nc_tl_put_double(out, dt, i, v[0] + (double)i * v[2]);
  }
  return 0;
}

int nc_tl_lower_constantofshape(nc_graph *g, nc_node *n) {
  int64_t dims[NC_MAX_DIMS];
  int k = nc_tl_param_ints(g, n, 0, "shape", dims, NC_MAX_DIMS);
  if (k == NC_TL_ABSENT) return nc_node_fail(g, n, "input 0 (shape) is required");
  if (k < 0) return -1;
  int64_t total = 1;
  for (int d = 0; d < k; d++) {
    if (dims[d] < 0)
      return nc_node_fail(g, n, "shape[%d] = %lld is negative", d, (long long)dims[d]);
    total = dims[d] && total > VALUE_MAX_ELEMS / dims[d] ? VALUE_MAX_ELEMS : total * dims[d];
  }
  if (total >= VALUE_MAX_ELEMS) return nc_node_fail(g, n, "output is too large");
  nc_attr *a = nc_node_attr(n, "value");
  int32_t dt = NC_F32;
  const void *value = NULL;
  if (a) {
    if (a->type != NC_ATTR_TENSOR || !a->t || nc_numel(&a->t->desc) != 1)
      return nc_node_fail(g, n, "attribute 'value' must be a one-element tensor");
    dt = a->t->desc.dtype;
    value = a->t->data;
  }
  size_t es = nc_dtype_size(dt);
  if (!es) return nc_node_fail(g, n, "value dtype %s is not supported", nc_dtype_name(dt));
  char *out = nc_tl_set_out_data(g, n, 0, dt, k, dims);
  if (value)
    for (int64_t i = 0; i < total; i++) memcpy(out + (size_t)i * es, value, es);
  return 0; /* without a value attribute the zero fill is the value */
}

int nc_tl_lower_shape(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  int64_t r = x->desc.ndim, start = nc_attr_int(n, "start", 0), end = nc_attr_int(n, "end", r);
  /* opset 15: negative counts from the back, then clamp to [0, rank] */
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = start < 0 ? 0 : (start > r ? r : start);
  end = end < 0 ? 0 : (end > r ? r : end);
  int64_t len = end > start ? end - start : 0;
  int64_t *out = nc_tl_set_out_data(g, n, 0, NC_S64, 1, &len);
  for (int64_t i = 0; i < len; i++) out[i] = x->desc.dims[start + i];
  return 0;
}

int nc_tl_lower_size(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  int64_t *out = nc_tl_set_out_data(g, n, 0, NC_S64, 0, NULL);
  *out = nc_numel(&x->desc);
  return 0;
}

int nc_tl_lower_eyelike(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input");
  if (!x) return -1;
  if (x->desc.ndim != 2) return nc_node_fail(g, n, "input must have rank 2");
  int32_t dt = (int32_t)nc_attr_int(n, "dtype", x->desc.dtype);
  if (!nc_dtype_size(dt))
    return nc_node_fail(g, n, "dtype %d is not supported", (int)dt);
  int64_t rows = x->desc.dims[0], cols = x->desc.dims[1], k = nc_attr_int(n, "k", 0);
  if (rows * cols >= VALUE_MAX_ELEMS) return nc_node_fail(g, n, "output is too large");
  void *out = nc_tl_set_out_data(g, n, 0, dt, 2, x->desc.dims);
  for (int64_t i = 0; i < rows; i++) /* ones on the diagonal j = i + k */
    if (i + k >= 0 && i + k < cols) nc_tl_put_double(out, dt, i * cols + i + k, 1.0);
  return 0;
}

int nc_tl_lower_nonzero(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "X");
  if (!x) return -1;
  if (!x->data)
    return nc_node_fail(g, n, "input 0 ('%s') is not a compile-time constant: NonZero's "
                              "output shape depends on the data, which neuroc cannot plan",
                        x->name);
  int r = x->desc.ndim;
  int64_t total = nc_numel(&x->desc), nnz = 0;
  for (int64_t i = 0; i < total; i++) nnz += nc_load_f64(x->data, x->desc.dtype, i) != 0.0;
  int64_t dims[2] = {r, nnz}, strides[NC_MAX_DIMS], s = 1;
  for (int d = r - 1; d >= 0; d--) {
    strides[d] = s;
    s *= x->desc.dims[d];
  }
  int64_t *out = nc_tl_set_out_data(g, n, 0, NC_S64, 2, dims), j = 0;
  for (int64_t i = 0; i < total; i++) {
    if (nc_load_f64(x->data, x->desc.dtype, i) == 0.0) continue;
    for (int d = 0; d < r; d++) out[d * nnz + j] = (i / strides[d]) % x->desc.dims[d];
    j++;
  }
  return 0;
}
