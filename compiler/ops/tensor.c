/* Layer definitions of the tensor (data-movement) family (see ops.h): the
 * reshaping layers, Transpose, Concat, Split, Slice, Expand, Tile, Pad, Trilu,
 * DepthToSpace, SpaceToDepth. Index-driven layers are in tensor_index.c and
 * layers whose value is computed here in tensor_value.c. */
#include <stdint.h>
#include <string.h>

#include "tensor_lower.h"

/* ---- Reshape family: the output is input 0 with new dims ---- */

/* Resolve ONNX Reshape's 0 (copy input dim, unless allowzero) and -1 (infer). */
static int reshape_dims(nc_graph *g, nc_node *n, const nc_tdesc *x, const int64_t *shape,
                        int k, int allowzero, int64_t *dims) {
  int infer = -1;
  int64_t known = 1;
  for (int d = 0; d < k; d++) {
    int64_t v = shape[d];
    if (v == 0 && !allowzero) {
      if (d >= x->ndim)
        return nc_node_fail(g, n, "shape[%d] = 0 copies input dim %d, but the input has rank %d",
                            d, d, x->ndim);
      v = x->dims[d];
    } else if (v == -1) {
      if (infer >= 0) return nc_node_fail(g, n, "shape has more than one -1");
      infer = d;
      continue;
    } else if (v < 0) {
      return nc_node_fail(g, n, "shape[%d] = %lld is invalid", d, (long long)v);
    }
    dims[d] = v;
    known *= v;
  }
  int64_t total = nc_numel(x);
  if (infer >= 0) {
    if (allowzero && known == 0 && k > 0)
      return nc_node_fail(g, n, "shape has both 0 and -1 with allowzero=1");
    if (known == 0 || total % known != 0)
      return nc_node_fail(g, n, "cannot infer the -1 dim: %lld elements do not split by %lld",
                          (long long)total, (long long)known);
    dims[infer] = total / known;
    known *= dims[infer];
  }
  if (known != total)
    return nc_node_fail(g, n, "shape holds %lld elements but the input has %lld",
                        (long long)known, (long long)total);
  return 0;
}

static int lower_reshape(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  int64_t shape[NC_MAX_DIMS], dims[NC_MAX_DIMS];
  int k;
  if (g->opset < 5) {
    k = nc_tl_attr_ints(g, n, "shape", shape, NC_MAX_DIMS);
    if (k == NC_TL_ABSENT) return nc_node_fail(g, n, "attribute 'shape' is required");
  } else {
    k = nc_tl_param_ints(g, n, 1, "shape", shape, NC_MAX_DIMS);
    if (k == NC_TL_ABSENT) return nc_node_fail(g, n, "input 1 (shape) is required");
  }
  if (k < 0) return -1;
  int allowzero = (int)nc_attr_int(n, "allowzero", 0);
  if (reshape_dims(g, n, &x->desc, shape, k, allowzero, dims)) return -1;
  return nc_tl_copy_out(g, n, k, dims);
}

static int lower_flatten(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input");
  if (!x) return -1;
  int r = x->desc.ndim;
  int64_t axis = nc_attr_int(n, "axis", 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r)
    return nc_node_fail(g, n, "axis %lld is out of range for rank %d",
                        (long long)nc_attr_int(n, "axis", 1), r);
  int64_t dims[2] = {1, 1};
  for (int d = 0; d < r; d++) dims[d < axis ? 0 : 1] *= x->desc.dims[d];
  return nc_tl_copy_out(g, n, 2, dims);
}

/* Axes of Squeeze/Unsqueeze: an attribute before opset 13, input 1 from 13. */
static int squeeze_axes(nc_graph *g, nc_node *n, int64_t *axes) {
  if (g->opset >= 13) {
    if (nc_node_attr(n, "axes"))
      return nc_node_fail(g, n, "from opset 13 axes is input 1, not an attribute");
    return nc_tl_param_ints(g, n, 1, "axes", axes, NC_MAX_DIMS);
  }
  if (nc_in(g, n, 1))
    return nc_node_fail(g, n, "before opset 13 axes is an attribute, not input 1");
  return nc_tl_attr_ints(g, n, "axes", axes, NC_MAX_DIMS);
}

/* Normalise axes against rank into a membership mask; fails on repeats. */
static int axes_mask(nc_graph *g, nc_node *n, const int64_t *axes, int k, int rank,
                     int *mask) {
  memset(mask, 0, sizeof(int) * NC_MAX_DIMS);
  for (int i = 0; i < k; i++) {
    int a = nc_tl_axis(g, n, axes[i], rank, "axes value");
    if (a < 0) return -1;
    if (mask[a]) return nc_node_fail(g, n, "axis %lld is repeated", (long long)axes[i]);
    mask[a] = 1;
  }
  return 0;
}

static int lower_squeeze(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  int64_t axes[NC_MAX_DIMS], dims[NC_MAX_DIMS];
  int k = squeeze_axes(g, n, axes), mask[NC_MAX_DIMS], r = x->desc.ndim, m = 0;
  if (k == -1) return -1;
  if (k == NC_TL_ABSENT) { /* no axes: every dim of extent 1 goes */
    for (int d = 0; d < r; d++)
      if (x->desc.dims[d] != 1) dims[m++] = x->desc.dims[d];
    return nc_tl_copy_out(g, n, m, dims);
  }
  if (axes_mask(g, n, axes, k, r, mask)) return -1;
  for (int d = 0; d < r; d++) {
    if (!mask[d]) dims[m++] = x->desc.dims[d];
    else if (x->desc.dims[d] != 1)
      return nc_node_fail(g, n, "cannot squeeze axis %d of extent %lld", d,
                          (long long)x->desc.dims[d]);
  }
  return nc_tl_copy_out(g, n, m, dims);
}

static int lower_unsqueeze(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  int64_t axes[NC_MAX_DIMS], dims[NC_MAX_DIMS];
  int k = squeeze_axes(g, n, axes), mask[NC_MAX_DIMS];
  if (k == -1) return -1;
  if (k == NC_TL_ABSENT)
    return nc_node_fail(g, n, g->opset >= 13 ? "input 1 (axes) is required"
                                             : "attribute 'axes' is required");
  int r = x->desc.ndim + k;
  if (r > NC_MAX_DIMS)
    return nc_node_fail(g, n, "output rank %d exceeds the supported %d", r, NC_MAX_DIMS);
  if (axes_mask(g, n, axes, k, r, mask)) return -1;
  for (int d = 0, s = 0; d < r; d++) dims[d] = mask[d] ? 1 : x->desc.dims[s++];
  return nc_tl_copy_out(g, n, r, dims);
}

static int lower_identity(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input");
  if (!x) return -1;
  return nc_tl_copy_out(g, n, x->desc.ndim, x->desc.dims);
}

/* Inference only: Dropout passes data through; training mode is rejected. */
static int lower_dropout(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  double ratio = nc_attr_float(n, "ratio", 0.5), training = 0;
  if (g->opset >= 12) {
    double v[1];
    int k = nc_tl_param_doubles(g, n, 1, "ratio", v, 1);
    if (k == -1) return -1;
    if (k == 1) ratio = v[0];
    k = nc_tl_param_doubles(g, n, 2, "training_mode", v, 1); /* bool: read as 0/1 */
    if (k == -1) return -1;
    if (k == 1) training = v[0];
  } else if (n->n_in > 1) {
    return nc_node_fail(g, n, "before opset 12 Dropout has one input, got %d", n->n_in);
  }
  if (training != 0.0 && ratio > 0)
    return nc_node_fail(g, n, "training_mode=true with ratio %g is not supported "
                              "(neuroc compiles inference graphs only)", ratio);
  if (nc_tl_copy_out(g, n, x->desc.ndim, x->desc.dims)) return -1;
  nc_set_out(g, n, 1, g->opset >= 10 ? NC_BOOL : x->desc.dtype, x->desc.ndim, x->desc.dims);
  return 0;
}

/* ---- Transpose ---- */

static int lower_transpose(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  int r = x->desc.ndim, seen[NC_MAX_DIMS] = {0};
  int64_t perm[NC_MAX_DIMS], dims[NC_MAX_DIMS];
  int k = nc_tl_attr_ints(g, n, "perm", perm, NC_MAX_DIMS);
  if (k == -1) return -1;
  if (k == NC_TL_ABSENT) { /* default: reverse the axes */
    k = r;
    for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
  }
  if (k != r) return nc_node_fail(g, n, "perm has %d values for rank %d", k, r);
  for (int d = 0; d < r; d++) {
    int a = nc_tl_axis(g, n, perm[d], r, "perm value");
    if (a < 0) return -1;
    if (seen[a]++) return nc_node_fail(g, n, "perm is not a permutation (axis %d twice)", a);
    perm[d] = a;
    dims[d] = x->desc.dims[a];
  }
  nc_set_out(g, n, 0, x->desc.dtype, r, dims);
  nc_node_set_args(n, perm, r, NULL, 0);
  return 0;
}

/* ---- Concat / Split ---- */

static int lower_concat(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "inputs");
  if (!x) return -1;
  int r = x->desc.ndim;
  if (r < 1) return nc_node_fail(g, n, "cannot concatenate scalars");
  if (g->opset >= 4 && !nc_node_attr(n, "axis"))
    return nc_node_fail(g, n, "attribute 'axis' is required");
  int64_t axis = nc_tl_axis(g, n, nc_attr_int(n, "axis", 1), r, "axis");
  if (axis < 0) return -1;
  int64_t dims[NC_MAX_DIMS];
  memcpy(dims, x->desc.dims, sizeof dims);
  dims[axis] = 0;
  for (int i = 0; i < n->n_in; i++) {
    nc_tensor *t = nc_tl_req(g, n, i, "inputs");
    if (!t) return -1;
    if (t->desc.dtype != x->desc.dtype || t->desc.ndim != r)
      return nc_node_fail(g, n, "input %d ('%s') is %s rank %d; input 0 is %s rank %d", i,
                          t->name, nc_dtype_name(t->desc.dtype), t->desc.ndim,
                          nc_dtype_name(x->desc.dtype), r);
    for (int d = 0; d < r; d++)
      if (d != axis && t->desc.dims[d] != x->desc.dims[d])
        return nc_node_fail(g, n, "input %d ('%s') has dim %d = %lld, input 0 has %lld", i,
                            t->name, d, (long long)t->desc.dims[d], (long long)x->desc.dims[d]);
    dims[axis] += t->desc.dims[axis];
  }
  nc_set_out(g, n, 0, x->desc.dtype, r, dims);
  nc_node_set_args(n, &axis, NC_CONCAT_NIA, NULL, 0);
  return 0;
}

static int lower_split(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input");
  if (!x) return -1;
  int r = x->desc.ndim;
  int64_t axis = nc_tl_axis(g, n, nc_attr_int(n, "axis", 0), r, "axis");
  if (axis < 0) return -1;
  int64_t split[16], dim = x->desc.dims[axis], sum = 0;
  int k = g->opset >= 13 ? nc_tl_param_ints(g, n, 1, "split", split, 16)
                         : nc_tl_attr_ints(g, n, "split", split, 16);
  if (k == -1) return -1;
  if (k == NC_TL_ABSENT) { /* equal parts */
    if (dim % n->n_out != 0)
      return nc_node_fail(g, n, "axis %lld of extent %lld does not split into %d equal parts",
                          (long long)axis, (long long)dim, n->n_out);
    for (int j = 0; j < n->n_out; j++) split[j] = dim / n->n_out;
    k = n->n_out;
  }
  if (k != n->n_out)
    return nc_node_fail(g, n, "split has %d values for %d outputs", k, n->n_out);
  for (int j = 0; j < k; j++) {
    if (split[j] < 0) return nc_node_fail(g, n, "split[%d] = %lld is negative", j,
                                          (long long)split[j]);
    sum += split[j];
  }
  if (sum != dim)
    return nc_node_fail(g, n, "split sums to %lld but axis %lld has extent %lld",
                        (long long)sum, (long long)axis, (long long)dim);
  int64_t dims[NC_MAX_DIMS];
  memcpy(dims, x->desc.dims, sizeof dims);
  for (int j = 0; j < k; j++) {
    dims[axis] = split[j];
    nc_set_out(g, n, j, x->desc.dtype, r, dims);
  }
  nc_node_set_args(n, &axis, NC_SPLIT_NIA, NULL, 0);
  return 0;
}

/* ---- Slice ---- */

/* Clamp one axis's slice as ONNX does; returns the element count. */
static int64_t slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step,
                          int64_t *first) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = start < 0 ? 0 : (start > dim ? dim : start);
    end = end < 0 ? 0 : (end > dim ? dim : end);
    *first = start;
    return end > start ? (end - start + step - 1) / step : 0;
  }
  if (dim == 0) {
    *first = 0;
    return 0;
  }
  start = start < 0 ? 0 : (start > dim - 1 ? dim - 1 : start);
  end = end < -1 ? -1 : (end > dim - 1 ? dim - 1 : end);
  *first = start;
  int64_t neg = step == INT64_MIN ? INT64_MAX : -step;
  return start > end ? (start - end + neg - 1) / neg : 0;
}

/* starts/ends/axes/steps: attributes before opset 10, parameter inputs from 10. */
static int slice_params(nc_graph *g, nc_node *n, int64_t p[4][NC_MAX_DIMS], int cnt[4]) {
  static const char *names[4] = {"starts", "ends", "axes", "steps"};
  for (int i = 0; i < 4; i++) {
    if (g->opset >= 10) cnt[i] = nc_tl_param_ints(g, n, i + 1, names[i], p[i], NC_MAX_DIMS);
    else cnt[i] = i == 3 ? NC_TL_ABSENT : nc_tl_attr_ints(g, n, names[i], p[i], NC_MAX_DIMS);
    if (cnt[i] == -1) return -1;
  }
  if (cnt[0] == NC_TL_ABSENT || cnt[1] == NC_TL_ABSENT)
    return nc_node_fail(g, n, "starts and ends are required");
  if (cnt[1] != cnt[0] || (cnt[2] >= 0 && cnt[2] != cnt[0]) || (cnt[3] >= 0 && cnt[3] != cnt[0]))
    return nc_node_fail(g, n, "starts, ends, axes and steps must have the same length");
  return 0;
}

static int lower_slice(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  int64_t p[4][NC_MAX_DIMS];
  int cnt[4], r = x->desc.ndim, seen[NC_MAX_DIMS] = {0};
  if (slice_params(g, n, p, cnt)) return -1;
  int64_t ia[2 * NC_MAX_DIMS], dims[NC_MAX_DIMS];
  for (int d = 0; d < r; d++) { /* axes not named are taken whole */
    ia[NC_SLICE_START(r, d)] = 0;
    ia[NC_SLICE_STEP(r, d)] = 1;
    dims[d] = x->desc.dims[d];
  }
  for (int i = 0; i < cnt[0]; i++) {
    int a = nc_tl_axis(g, n, cnt[2] >= 0 ? p[2][i] : i, r, "axes value");
    if (a < 0) return -1;
    if (seen[a]++) return nc_node_fail(g, n, "axis %d is sliced twice", a);
    int64_t step = cnt[3] >= 0 ? p[3][i] : 1;
    if (step == 0) return nc_node_fail(g, n, "steps[%d] is 0", i);
    dims[a] = slice_axis(x->desc.dims[a], p[0][i], p[1][i], step, &ia[NC_SLICE_START(r, a)]);
    ia[NC_SLICE_STEP(r, a)] = step;
  }
  nc_set_out(g, n, 0, x->desc.dtype, r, dims);
  nc_node_set_args(n, ia, 2 * r, NULL, 0);
  return 0;
}

/* ---- Expand / Tile ---- */

static int lower_expand(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input");
  if (!x) return -1;
  nc_tdesc s = {0}, y = {0};
  int k = nc_tl_param_ints(g, n, 1, "shape", s.dims, NC_MAX_DIMS);
  if (k == NC_TL_ABSENT) return nc_node_fail(g, n, "input 1 (shape) is required");
  if (k < 0) return -1;
  s.ndim = k;
  for (int d = 0; d < k; d++)
    if (s.dims[d] < 0)
      return nc_node_fail(g, n, "shape[%d] = %lld is negative", d, (long long)s.dims[d]);
  if (nc_broadcast(&x->desc, &s, &y))
    return nc_node_fail(g, n, "input of rank %d does not broadcast to the given shape",
                        x->desc.ndim);
  nc_set_out(g, n, 0, x->desc.dtype, y.ndim, y.dims);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

static int lower_tile(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input");
  if (!x) return -1;
  if (g->opset < 6) return nc_node_fail(g, n, "Tile before opset 6 is not supported");
  int64_t rep[NC_MAX_DIMS], dims[NC_MAX_DIMS];
  int k = nc_tl_param_ints(g, n, 1, "repeats", rep, NC_MAX_DIMS), r = x->desc.ndim;
  if (k == NC_TL_ABSENT) return nc_node_fail(g, n, "input 1 (repeats) is required");
  if (k < 0) return -1;
  if (k != r) return nc_node_fail(g, n, "repeats has %d values for rank %d", k, r);
  for (int d = 0; d < r; d++) {
    if (rep[d] < 0) return nc_node_fail(g, n, "repeats[%d] = %lld is negative", d,
                                        (long long)rep[d]);
    dims[d] = x->desc.dims[d] * rep[d];
  }
  nc_set_out(g, n, 0, x->desc.dtype, r, dims);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

/* ---- Pad ---- */

static int pad_mode(nc_graph *g, nc_node *n) {
  const char *m = nc_attr_string(n, "mode", "constant");
  if (strcmp(m, "constant") == 0) return NC_PAD_CONSTANT;
  if (strcmp(m, "reflect") == 0) return NC_PAD_REFLECT;
  if (strcmp(m, "edge") == 0) return NC_PAD_EDGE;
  return nc_node_fail(g, n, "mode '%s' is not supported (constant, reflect, edge)", m);
}

/* Pads (begin..., end...) per axis of the input, from attributes (opset < 11)
 * or parameter inputs pads / constant_value / axes (opset >= 11). */
static int pad_params(nc_graph *g, nc_node *n, int r, int64_t *pads, double *value) {
  int64_t raw[2 * NC_MAX_DIMS], axes[NC_MAX_DIMS];
  int k, na = r;
  for (int d = 0; d < r; d++) axes[d] = d;
  *value = 0.0;
  if (g->opset < 11) {
    k = nc_tl_attr_ints(g, n, g->opset < 2 ? "paddings" : "pads", raw, 2 * NC_MAX_DIMS);
    *value = nc_attr_float(n, "value", 0.0);
  } else {
    k = nc_tl_param_ints(g, n, 1, "pads", raw, 2 * NC_MAX_DIMS);
    int c = nc_tl_param_doubles(g, n, 2, "constant_value", value, 1);
    if (c == -1) return -1;
    if (c == 0) *value = 0.0;
    na = nc_tl_param_ints(g, n, 3, "axes", axes, NC_MAX_DIMS);
    if (na == -1) return -1;
    if (na == NC_TL_ABSENT) na = r;
  }
  if (k == -1) return -1;
  if (k == NC_TL_ABSENT) return nc_node_fail(g, n, "pads are required");
  if (k != 2 * na) return nc_node_fail(g, n, "pads has %d values, expected %d", k, 2 * na);
  memset(pads, 0, sizeof(int64_t) * 2 * (size_t)r);
  for (int i = 0; i < na; i++) {
    int a = nc_tl_axis(g, n, axes[i], r, "axes value");
    if (a < 0) return -1;
    pads[a] = raw[i];
    pads[r + a] = raw[na + i];
  }
  return 0;
}

static int lower_pad(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  int r = x->desc.ndim, mode = pad_mode(g, n);
  if (mode < 0) return -1;
  int64_t pads[2 * NC_MAX_DIMS], ia[1 + NC_MAX_DIMS], dims[NC_MAX_DIMS];
  double value;
  if (pad_params(g, n, r, pads, &value)) return -1;
  ia[NC_PAD_MODE] = mode;
  for (int d = 0; d < r; d++) {
    dims[d] = x->desc.dims[d] + pads[d] + pads[r + d];
    if (dims[d] < 0)
      return nc_node_fail(g, n, "pads crop axis %d below zero elements", d);
    if (mode != NC_PAD_CONSTANT && x->desc.dims[d] == 0 && dims[d] > 0)
      return nc_node_fail(g, n, "mode %s cannot pad empty axis %d",
                          mode == NC_PAD_EDGE ? "edge" : "reflect", d);
    ia[NC_PAD_BEGIN + d] = pads[d];
  }
  nc_set_out(g, n, 0, x->desc.dtype, r, dims);
  nc_node_set_args(n, ia, 1 + r, &value, NC_PAD_NFA);
  return 0;
}

/* ---- Trilu ---- */

static int lower_trilu(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_tl_req(g, n, 0, "input");
  if (!x) return -1;
  if (x->desc.ndim < 2) return nc_node_fail(g, n, "input must have rank >= 2");
  int64_t ia[NC_TRILU_NIA];
  int k = nc_tl_param_ints(g, n, 1, "k", &ia[NC_TRILU_K], 1);
  if (k == -1) return -1;
  if (k != 1) ia[NC_TRILU_K] = 0;
  ia[NC_TRILU_UPPER] = nc_attr_int(n, "upper", 1) != 0;
  nc_set_out(g, n, 0, x->desc.dtype, x->desc.ndim, x->desc.dims);
  nc_node_set_args(n, ia, NC_TRILU_NIA, NULL, 0);
  return 0;
}

/* ---- DepthToSpace / SpaceToDepth ---- */

static int block_input(nc_graph *g, nc_node *n, nc_tensor **x, int64_t *b) {
  *b = 0;
  *x = nc_tl_req(g, n, 0, "input");
  if (!*x) return -1;
  if ((*x)->desc.ndim != 4) return nc_node_fail(g, n, "input must have rank 4 (NCHW)");
  *b = nc_attr_int(n, "blocksize", 0);
  if (*b <= 0) return nc_node_fail(g, n, "attribute 'blocksize' must be positive");
  return 0;
}

static int lower_depthtospace(nc_graph *g, nc_node *n) {
  nc_tensor *x;
  int64_t b, ia[NC_DEPTHTOSPACE_NIA];
  if (block_input(g, n, &x, &b)) return -1;
  const char *mode = nc_attr_string(n, "mode", "DCR");
  if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0)
    return nc_node_fail(g, n, "mode '%s' must be DCR or CRD", mode);
  const int64_t *xd = x->desc.dims;
  if (xd[1] % (b * b) != 0)
    return nc_node_fail(g, n, "channels %lld are not a multiple of blocksize^2 = %lld",
                        (long long)xd[1], (long long)(b * b));
  int64_t dims[4] = {xd[0], xd[1] / (b * b), xd[2] * b, xd[3] * b};
  ia[NC_DEPTHTOSPACE_BLOCKSIZE] = b;
  ia[NC_DEPTHTOSPACE_MODE] = mode[0] == 'C' ? NC_DEPTHTOSPACE_CRD : NC_DEPTHTOSPACE_DCR;
  nc_set_out(g, n, 0, x->desc.dtype, 4, dims);
  nc_node_set_args(n, ia, NC_DEPTHTOSPACE_NIA, NULL, 0);
  return 0;
}

static int lower_spacetodepth(nc_graph *g, nc_node *n) {
  nc_tensor *x;
  int64_t b;
  if (block_input(g, n, &x, &b)) return -1;
  const int64_t *xd = x->desc.dims;
  if (xd[2] % b != 0 || xd[3] % b != 0)
    return nc_node_fail(g, n, "height %lld and width %lld must be multiples of blocksize %lld",
                        (long long)xd[2], (long long)xd[3], (long long)b);
  int64_t dims[4] = {xd[0], xd[1] * b * b, xd[2] / b, xd[3] / b};
  nc_set_out(g, n, 0, x->desc.dtype, 4, dims);
  nc_node_set_args(n, &b, NC_SPACETODEPTH_NIA, NULL, 0);
  return 0;
}

#define P(i) (1u << (i))

const nc_op_def nc_ops_tensor[] = {
    /* op, min_in, max_in, min_out, max_out, param_inputs, lower, fuse_act */
    {"Reshape", 1, 2, 1, 1, P(1), lower_reshape, NULL},
    {"Flatten", 1, 1, 1, 1, 0, lower_flatten, NULL},
    {"Squeeze", 1, 2, 1, 1, P(1), lower_squeeze, NULL},
    {"Unsqueeze", 1, 2, 1, 1, P(1), lower_unsqueeze, NULL},
    {"Identity", 1, 1, 1, 1, 0, lower_identity, NULL},
    {"Dropout", 1, 3, 1, 2, P(1) | P(2), lower_dropout, NULL},
    {"Transpose", 1, 1, 1, 1, 0, lower_transpose, NULL},
    {"Concat", 1, 64, 1, 1, 0, lower_concat, NULL},
    {"Split", 1, 2, 1, 16, P(1), lower_split, NULL},
    {"Slice", 1, 5, 1, 1, P(1) | P(2) | P(3) | P(4), lower_slice, NULL},
    {"Expand", 2, 2, 1, 1, P(1), lower_expand, NULL},
    {"Tile", 2, 3, 1, 1, P(1) | P(2), lower_tile, NULL},
    {"Pad", 1, 4, 1, 1, P(1) | P(2) | P(3), lower_pad, NULL},
    {"Trilu", 1, 2, 1, 1, P(1), lower_trilu, NULL},
    {"DepthToSpace", 1, 1, 1, 1, 0, lower_depthtospace, NULL},
    {"SpaceToDepth", 1, 1, 1, 1, 0, lower_spacetodepth, NULL},
    {"Gather", 2, 2, 1, 1, 0, nc_tl_lower_gather, NULL},
    {"GatherElements", 2, 2, 1, 1, 0, nc_tl_lower_gatherelements, NULL},
    {"GatherND", 2, 2, 1, 1, 0, nc_tl_lower_gathernd, NULL},
    {"ScatterElements", 3, 3, 1, 1, 0, nc_tl_lower_scatterelements, NULL},
    {"Scatter", 3, 3, 1, 1, 0, nc_tl_lower_scatterelements, NULL},
    {"ScatterND", 3, 3, 1, 1, 0, nc_tl_lower_scatternd, NULL},
    {"OneHot", 3, 3, 1, 1, P(1), nc_tl_lower_onehot, NULL},
    {"Compress", 2, 2, 1, 1, P(1), nc_tl_lower_compress, NULL},
    {"ReverseSequence", 2, 2, 1, 1, 0, nc_tl_lower_reversesequence, NULL},
    {"CumSum", 2, 2, 1, 1, P(1), nc_tl_lower_cumsum, NULL},
    {"Range", 3, 3, 1, 1, P(0) | P(1) | P(2), nc_tl_lower_range, NULL},
    {"ConstantOfShape", 1, 1, 1, 1, P(0), nc_tl_lower_constantofshape, NULL},
    {"Shape", 1, 1, 1, 1, 0, nc_tl_lower_shape, NULL},
    {"Size", 1, 1, 1, 1, 0, nc_tl_lower_size, NULL},
    {"EyeLike", 1, 1, 1, 1, 0, nc_tl_lower_eyelike, NULL},
    {"NonZero", 1, 1, 1, 1, P(0), nc_tl_lower_nonzero, NULL},
    {0},
};
