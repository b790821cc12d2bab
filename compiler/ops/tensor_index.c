/* Layer definitions of the tensor family driven by index data: Gather,
 * GatherElements, GatherND, ScatterElements/Scatter, ScatterND, OneHot,
 * Compress, ReverseSequence, CumSum (see ops.h and tensor_lower.h). */
#include <stdlib.h>
#include <string.h>

#include "tensor_lower.h"

/* Data input 0 and integer index input `i`. */
static int data_and_indices(nc_graph *g, nc_node *n, int i, nc_tensor **x, nc_tensor **ix) {
  *x = nc_tl_req(g, n, 0, "data");
  *ix = *x ? nc_tl_req(g, n, i, "indices") : NULL;
  if (!*ix) return -1;
  if ((*ix)->desc.dtype != NC_S32 && (*ix)->desc.dtype != NC_S64)
    return nc_node_fail(g, n, "indices must be int32 or int64, not %s",
                        nc_dtype_name((*ix)->desc.dtype));
  return 0;
}

int nc_tl_lower_gather(nc_graph *g, nc_node *n) {
  nc_tensor *x, *ix;
  if (data_and_indices(g, n, 1, &x, &ix)) return -1;
  int r = x->desc.ndim, q = ix->desc.ndim;
  if (r < 1) return nc_node_fail(g, n, "data must have rank >= 1");
  int64_t axis = nc_tl_axis(g, n, nc_attr_int(n, "axis", 0), r, "axis");
  if (axis < 0) return -1;
  if (r - 1 + q > NC_MAX_DIMS)
    return nc_node_fail(g, n, "output rank %d exceeds the supported %d", r - 1 + q, NC_MAX_DIMS);
  int64_t dims[NC_MAX_DIMS];
  int m = 0;
  for (int d = 0; d < axis; d++) dims[m++] = x->desc.dims[d];
  for (int d = 0; d < q; d++) dims[m++] = ix->desc.dims[d];
  for (int d = (int)axis + 1; d < r; d++) dims[m++] = x->desc.dims[d];
  nc_set_out(g, n, 0, x->desc.dtype, m, dims);
  nc_node_set_args(n, &axis, NC_GATHER_NIA, NULL, 0);
  return 0;
}

/* GatherElements/ScatterElements: indices of the data's rank, no larger than
 * the data off the axis (so every index tuple stays inside the data). */
static int elements_shape(nc_graph *g, nc_node *n, const nc_tensor *x, const nc_tensor *ix,
                          int64_t *axis) {
  int r = x->desc.ndim;
  if (r < 1) return nc_node_fail(g, n, "data must have rank >= 1");
  if (ix->desc.ndim != r)
    return nc_node_fail(g, n, "indices rank %d differs from data rank %d", ix->desc.ndim, r);
  *axis = nc_tl_axis(g, n, nc_attr_int(n, "axis", 0), r, "axis");
  if (*axis < 0) return -1;
  for (int d = 0; d < r; d++)
    if (d != *axis && ix->desc.dims[d] > x->desc.dims[d])
      return nc_node_fail(g, n, "indices dim %d (%lld) exceeds the data dim (%lld)", d,
                          (long long)ix->desc.dims[d], (long long)x->desc.dims[d]);
  return 0;
}

int nc_tl_lower_gatherelements(nc_graph *g, nc_node *n) {
  nc_tensor *x, *ix;
  int64_t axis;
  if (data_and_indices(g, n, 1, &x, &ix) || elements_shape(g, n, x, ix, &axis)) return -1;
  nc_set_out(g, n, 0, x->desc.dtype, ix->desc.ndim, ix->desc.dims);
  nc_node_set_args(n, &axis, NC_GATHERELEMENTS_NIA, NULL, 0);
  return 0;
}

int nc_tl_lower_gathernd(nc_graph *g, nc_node *n) {
  nc_tensor *x, *ix;
  if (data_and_indices(g, n, 1, &x, &ix)) return -1;
  int r = x->desc.ndim, q = ix->desc.ndim;
  int64_t b = nc_attr_int(n, "batch_dims", 0);
  if (r < 1 || q < 1) return nc_node_fail(g, n, "data and indices must have rank >= 1");
  if (b < 0 || b >= (q < r ? q : r))
    return nc_node_fail(g, n, "batch_dims %lld must be in [0, %d)", (long long)b, q < r ? q : r);
  int64_t k = ix->desc.dims[q - 1];
  if (k < 1 || k > r - b)
    return nc_node_fail(g, n, "last indices dim %lld must be in [1, %lld]", (long long)k,
                        (long long)(r - b));
  for (int d = 0; d < b; d++)
    if (ix->desc.dims[d] != x->desc.dims[d])
      return nc_node_fail(g, n, "batch dim %d differs: indices %lld, data %lld", d,
                          (long long)ix->desc.dims[d], (long long)x->desc.dims[d]);
  int64_t dims[2 * NC_MAX_DIMS];
  int m = 0;
  for (int d = 0; d < q - 1; d++) dims[m++] = ix->desc.dims[d];
  for (int d = (int)(b + k); d < r; d++) dims[m++] = x->desc.dims[d];
  if (m > NC_MAX_DIMS)
    return nc_node_fail(g, n, "output rank %d exceeds the supported %d", m, NC_MAX_DIMS);
  nc_set_out(g, n, 0, x->desc.dtype, m, dims);
  nc_node_set_args(n, &b, NC_GATHERND_NIA, NULL, 0);
  return 0;
}

static int scatter_reduction(nc_graph *g, nc_node *n) {
  const char *s = nc_attr_string(n, "reduction", "none");
  static const char *names[] = {"none", "add", "mul", "max", "min"};
  for (int i = 0; i < 5; i++)
    if (strcmp(s, names[i]) == 0) return i; /* nc_scatter_reduction order */
  return nc_node_fail(g, n, "reduction '%s' is not supported (none, add, mul, max, min)", s);
}

/* Updates (input 2) must be of the data's dtype and the expected shape. */
static int check_updates(nc_graph *g, nc_node *n, const nc_tensor *x, int ndim,
                         const int64_t *dims) {
  nc_tensor *u = nc_tl_req(g, n, 2, "updates");
  if (!u) return -1;
  if (u->desc.dtype != x->desc.dtype)
    return nc_node_fail(g, n, "updates are %s but data is %s", nc_dtype_name(u->desc.dtype),
                        nc_dtype_name(x->desc.dtype));
  int same = u->desc.ndim == ndim;
  for (int d = 0; same && d < ndim; d++) same = u->desc.dims[d] == dims[d];
  if (!same) return nc_node_fail(g, n, "updates have the wrong shape");
  return 0;
}

int nc_tl_lower_scatterelements(nc_graph *g, nc_node *n) {
  nc_tensor *x, *ix;
  int64_t ia[NC_SCATTERELEMENTS_NIA];
  if (data_and_indices(g, n, 1, &x, &ix) || elements_shape(g, n, x, ix, &ia[0])) return -1;
  if (check_updates(g, n, x, ix->desc.ndim, ix->desc.dims)) return -1;
  int red = scatter_reduction(g, n);
  if (red < 0) return -1;
  ia[NC_SCATTERELEMENTS_REDUCTION] = red;
  nc_set_out(g, n, 0, x->desc.dtype, x->desc.ndim, x->desc.dims);
  nc_node_set_args(n, ia, NC_SCATTERELEMENTS_NIA, NULL, 0);
  return 0;
}

int nc_tl_lower_scatternd(nc_graph *g, nc_node *n) {
  nc_tensor *x, *ix;
  if (data_and_indices(g, n, 1, &x, &ix)) return -1;
  int r = x->desc.ndim, q = ix->desc.ndim;
  if (r < 1 || q < 1) return nc_node_fail(g, n, "data and indices must have rank >= 1");
  int64_t k = ix->desc.dims[q - 1];
  if (k < 1 || k > r)
    return nc_node_fail(g, n, "last indices dim %lld must be in [1, %d]", (long long)k, r);
  int64_t dims[2 * NC_MAX_DIMS];
  int m = 0;
  for (int d = 0; d < q - 1; d++) dims[m++] = ix->desc.dims[d];
  for (int d = (int)k; d < r; d++) dims[m++] = x->desc.dims[d];
  if (check_updates(g, n, x, m, dims)) return -1;
  int64_t red = scatter_reduction(g, n);
  if (red < 0) return -1;
  nc_set_out(g, n, 0, x->desc.dtype, r, x->desc.dims);
  nc_node_set_args(n, &red, NC_SCATTERND_NIA, NULL, 0);
  return 0;
}

int nc_tl_lower_onehot(nc_graph *g, nc_node *n) {
  nc_tensor *ix = nc_tl_req(g, n, 0, "indices"), *v = ix ? nc_tl_req(g, n, 2, "values") : NULL;
  if (!v) return -1;
  if (ix->desc.dtype == NC_BOOL) return nc_node_fail(g, n, "indices must be numeric");
  double depth;
  int k = nc_tl_param_doubles(g, n, 1, "depth", &depth, 1);
  if (k == -1) return -1;
  if (k != 1) return nc_node_fail(g, n, "input 1 (depth) must hold one value");
  if (!(depth >= 1 && depth < 1e9))
    return nc_node_fail(g, n, "depth %g must be a positive count", depth);
  if (nc_numel(&v->desc) != 2)
    return nc_node_fail(g, n, "values must hold two elements [off, on]");
  int q = ix->desc.ndim;
  if (q + 1 > NC_MAX_DIMS)
    return nc_node_fail(g, n, "output rank %d exceeds the supported %d", q + 1, NC_MAX_DIMS);
  int64_t ia[NC_ONEHOT_NIA], dims[NC_MAX_DIMS];
  ia[NC_ONEHOT_AXIS] = nc_tl_axis(g, n, nc_attr_int(n, "axis", -1), q + 1, "axis");
  if (ia[NC_ONEHOT_AXIS] < 0) return -1;
  ia[NC_ONEHOT_DEPTH] = (int64_t)depth;
  for (int d = 0, s = 0; d <= q; d++)
    dims[d] = d == ia[NC_ONEHOT_AXIS] ? ia[NC_ONEHOT_DEPTH] : ix->desc.dims[s++];
  nc_set_out(g, n, 0, v->desc.dtype, q + 1, dims);
  nc_node_set_args(n, ia, NC_ONEHOT_NIA, NULL, 0);
  return 0;
}

int nc_tl_lower_compress(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input"), *c = x ? nc_tl_req(g, n, 1, "condition") : NULL;
  if (!c) return -1;
  if (!c->data)
    return nc_node_fail(g, n, "input 1 (condition, tensor '%s') must be a compile-time "
                              "constant: the output shape depends on it", c->name);
  if (c->desc.ndim != 1) return nc_node_fail(g, n, "condition must have rank 1");
  int r = x->desc.ndim;
  int64_t axis = -1, extent = nc_numel(&x->desc), len = c->desc.dims[0];
  if (nc_node_attr(n, "axis")) {
    axis = nc_tl_axis(g, n, nc_attr_int(n, "axis", 0), r, "axis");
    if (axis < 0) return -1;
    extent = x->desc.dims[axis];
  }
  if (len > extent)
    return nc_node_fail(g, n, "condition has %lld values, more than the %lld selectable",
                        (long long)len, (long long)extent);
  int64_t *ia = nc_xmalloc(sizeof(int64_t) * (size_t)(NC_COMPRESS_INDEX + len));
  int64_t count = 0;
  for (int64_t i = 0; i < len; i++)
    if (nc_load_f64(c->data, c->desc.dtype, i) != 0.0) ia[NC_COMPRESS_INDEX + count++] = i;
  ia[NC_COMPRESS_AXIS] = axis;
  ia[NC_COMPRESS_COUNT] = count;
  int64_t dims[NC_MAX_DIMS];
  if (axis < 0) {
    nc_set_out(g, n, 0, x->desc.dtype, 1, &count);
  } else {
    memcpy(dims, x->desc.dims, sizeof dims);
    dims[axis] = count;
    nc_set_out(g, n, 0, x->desc.dtype, r, dims);
  }
  nc_node_set_args(n, ia, (int)(NC_COMPRESS_INDEX + count), NULL, 0);
  free(ia);
  return 0;
}

int nc_tl_lower_reversesequence(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input"), *sl = x ? nc_tl_req(g, n, 1, "sequence_lens") : NULL;
  if (!sl) return -1;
  int64_t ia[NC_REVERSESEQUENCE_NIA];
  ia[NC_REVERSESEQUENCE_BATCH_AXIS] = nc_attr_int(n, "batch_axis", 1);
  ia[NC_REVERSESEQUENCE_TIME_AXIS] = nc_attr_int(n, "time_axis", 0);
  if (x->desc.ndim < 2) return nc_node_fail(g, n, "input must have rank >= 2");
  int64_t b = ia[NC_REVERSESEQUENCE_BATCH_AXIS], t = ia[NC_REVERSESEQUENCE_TIME_AXIS];
  if (!((b == 0 && t == 1) || (b == 1 && t == 0)))
    return nc_node_fail(g, n, "batch_axis and time_axis must be 0 and 1 (got %lld, %lld)",
                        (long long)b, (long long)t);
  if (!nc_tl_is_int(sl->desc.dtype) || sl->desc.ndim != 1 ||
      sl->desc.dims[0] != x->desc.dims[b])
    return nc_node_fail(g, n, "sequence_lens must be an integer vector of %lld values",
                        (long long)x->desc.dims[b]);
  nc_set_out(g, n, 0, x->desc.dtype, x->desc.ndim, x->desc.dims);
  nc_node_set_args(n, ia, NC_REVERSESEQUENCE_NIA, NULL, 0);
  return 0;
}

int nc_tl_lower_cumsum(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "x");
  if (!x) return -1;
  if (x->desc.dtype == NC_BOOL) return nc_node_fail(g, n, "x must be numeric, not bool");
  int64_t axis, ia[NC_CUMSUM_NIA];
  int k = nc_tl_param_ints(g, n, 1, "axis", &axis, 1);
  if (k == -1) return -1;
  if (k != 1) return nc_node_fail(g, n, "input 1 (axis) must hold one value");
  int r = x->desc.ndim;
  if (r < 1) return nc_node_fail(g, n, "x must have rank >= 1");
  ia[NC_CUMSUM_AXIS] = nc_tl_axis(g, n, axis, r, "axis");
  if (ia[NC_CUMSUM_AXIS] < 0) return -1;
  ia[NC_CUMSUM_EXCLUSIVE] = nc_attr_int(n, "exclusive", 0) != 0;
  ia[NC_CUMSUM_REVERSE] = nc_attr_int(n, "reverse", 0) != 0;
  nc_set_out(g, n, 0, x->desc.dtype, r, x->desc.dims);
  nc_node_set_args(n, ia, NC_CUMSUM_NIA, NULL, 0);
  return 0;
}
