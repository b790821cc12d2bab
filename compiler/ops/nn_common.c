/* Lowering helpers shared by the nn-family layers: input checks, ints
 * attributes, and the pad/stride/auto_pad arithmetic of Conv and pools. */
#include <string.h>

#include "nn_lower.h"

nc_tensor *nc_nn_need_in(nc_graph *g, nc_node *n, int i, const char *what) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t) {
    nc_node_fail(g, n, "input %d (%s) is required", i, what);
    return NULL;
  }
  if (t->desc.dtype == 0 || t->desc.ndim < 0) {
    nc_node_fail(g, n, "input %d (%s, tensor '%s') has no known dtype/shape", i, what,
                 t->name);
    return NULL;
  }
  for (int d = 0; d < t->desc.ndim; d++)
    if (t->desc.dims[d] < 0) {
      nc_node_fail(g, n, "input %d (%s) has a dynamic dim %d", i, what, d);
      return NULL;
    }
  return t;
}

int nc_nn_check_dtype(nc_graph *g, nc_node *n, const nc_tensor *t, const char *what,
                      uint32_t dtypes) {
  if (t->desc.dtype > 0 && t->desc.dtype < 32 && (dtypes & NC_DT(t->desc.dtype))) return 0;
  return nc_node_fail(g, n, "%s has dtype %s, which this layer does not support (only %s)",
                      what, nc_dtype_name(t->desc.dtype),
                      dtypes == NC_DT(NC_F32) ? "f32" : "f32/f64");
}

int nc_nn_ints_attr(nc_graph *g, nc_node *n, const char *name, int count, int64_t dflt,
                    int64_t min_val, int64_t *out) {
  const int64_t *v;
  int c = nc_attr_ints(n, name, &v);
  if (c < 0) {
    for (int i = 0; i < count; i++) out[i] = dflt;
    return 0;
  }
  if (c != count)
    return nc_node_fail(g, n, "attribute %s has %d values, expected %d", name, c, count);
  for (int i = 0; i < count; i++) {
    if (v[i] < min_val)
      return nc_node_fail(g, n, "attribute %s[%d] = %lld must be >= %lld", name, i,
                          (long long)v[i], (long long)min_val);
    out[i] = v[i];
  }
  return 0;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* SAME_*: out = ceil(in / stride), pads split with the odd one at the end
 * (UPPER) or the beginning (LOWER). */
static void same_pads(nc_nn_window *w, int d, int upper) {
  int64_t eff = (w->k[d] - 1) * w->dil[d] + 1;
  w->out[d] = ceil_div(w->in[d], w->stride[d]);
  int64_t total = (w->out[d] - 1) * w->stride[d] + eff - w->in[d];
  if (total < 0) total = 0;
  w->pad_begin[d] = upper ? total / 2 : total - total / 2;
  w->pad_end[d] = total - w->pad_begin[d];
}

int nc_nn_window_resolve(nc_graph *g, nc_node *n, nc_nn_window *w, int ceil_mode) {
  const int s = w->nsp;
  int64_t pads[2 * NC_NN_MAX_SPATIAL];
  if (nc_nn_ints_attr(g, n, "strides", s, 1, 1, w->stride) ||
      nc_nn_ints_attr(g, n, "dilations", s, 1, 1, w->dil) ||
      nc_nn_ints_attr(g, n, "pads", 2 * s, 0, 0, pads))
    return -1;
  const char *ap = nc_attr_string(n, "auto_pad", "NOTSET");
  int mode = strcmp(ap, "NOTSET") == 0 ? 0 : strcmp(ap, "VALID") == 0 ? 1
           : strcmp(ap, "SAME_UPPER") == 0 ? 2 : strcmp(ap, "SAME_LOWER") == 0 ? 3 : -1;
  if (mode < 0)
    return nc_node_fail(g, n, "auto_pad '%s' is not one of NOTSET, VALID, SAME_UPPER, "
                        "SAME_LOWER", ap);
  for (int d = 0; d < s; d++) {
    if (w->k[d] < 1) return nc_node_fail(g, n, "kernel size %lld on spatial dim %d", (long long)w->k[d], d);
    if (mode >= 2) {
      same_pads(w, d, mode == 2);
      continue;
    }
    w->pad_begin[d] = mode == 1 ? 0 : pads[d];
    w->pad_end[d] = mode == 1 ? 0 : pads[s + d];
    int64_t eff = (w->k[d] - 1) * w->dil[d] + 1;
    int64_t span = w->in[d] + w->pad_begin[d] + w->pad_end[d] - eff;
    if (span < 0)
      return nc_node_fail(g, n, "kernel extent %lld exceeds padded input size %lld on "
                          "spatial dim %d", (long long)eff,
                          (long long)(w->in[d] + w->pad_begin[d] + w->pad_end[d]), d);
    w->out[d] = (ceil_mode ? ceil_div(span, w->stride[d]) : span / w->stride[d]) + 1;
    /* The last window must start inside the input or its begin padding. */
    if (ceil_mode && (w->out[d] - 1) * w->stride[d] >= w->in[d] + w->pad_begin[d])
      w->out[d]--;
  }
  return 0;
}

int nc_nn_matmul_shape(nc_graph *g, nc_node *n, const nc_tdesc *ad, const nc_tdesc *bd,
                       int64_t *dims, int *rank, int64_t *m, int64_t *nn) {
  if (ad->ndim < 1 || bd->ndim < 1)
    return nc_node_fail(g, n, "matrix operands must have rank >= 1");
  int64_t k = ad->dims[ad->ndim - 1], kb = bd->dims[bd->ndim >= 2 ? bd->ndim - 2 : 0];
  if (k != kb)
    return nc_node_fail(g, n, "inner dimensions differ: A has K = %lld, B has K = %lld",
                        (long long)k, (long long)kb);
  nc_tdesc ab = {0}, bb = {0}, ob = {0};
  ab.ndim = ad->ndim > 2 ? ad->ndim - 2 : 0;
  bb.ndim = bd->ndim > 2 ? bd->ndim - 2 : 0;
  memcpy(ab.dims, ad->dims, sizeof(int64_t) * (size_t)ab.ndim);
  memcpy(bb.dims, bd->dims, sizeof(int64_t) * (size_t)bb.ndim);
  if (nc_broadcast(&ab, &bb, &ob))
    return nc_node_fail(g, n, "batch dimensions of A and B do not broadcast");
  int r = ob.ndim;
  memcpy(dims, ob.dims, sizeof(int64_t) * (size_t)r);
  *m = ad->ndim >= 2 ? ad->dims[ad->ndim - 2] : 1;
  *nn = bd->ndim >= 2 ? bd->dims[bd->ndim - 1] : 1;
  if (ad->ndim >= 2) dims[r++] = *m;
  if (bd->ndim >= 2) dims[r++] = *nn;
  if (r > NC_MAX_DIMS) return nc_node_fail(g, n, "output rank %d too large", r);
  *rank = r;
  return 0;
}
