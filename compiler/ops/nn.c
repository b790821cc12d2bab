/* Layer definitions of the nn family (see ops.h): the table, and the
 * lowering of Gemm, MatMul, the normalisations and the softmax family.
 * Conv/ConvTranspose live in nn_conv.c, pools in nn_pool.c. */
#include <string.h>

#include "nn_lower.h"

#define F32 NC_DT(NC_F32)

static int64_t dims_prod(const nc_tdesc *d, int from, int to) {
  int64_t p = 1;
  for (int i = from; i < to; i++) p *= d->dims[i];
  return p;
}

/* ---------------- Gemm ---------------- */

static int lower_gemm(nc_graph *g, nc_node *n) {
  nc_tensor *a = nc_nn_need_in(g, n, 0, "A"), *b = a ? nc_nn_need_in(g, n, 1, "B") : NULL;
  if (!a || !b || nc_nn_check_dtype(g, n, a, "input A", F32) ||
      nc_nn_check_dtype(g, n, b, "input B", F32))
    return -1;
  if (a->desc.ndim != 2 || b->desc.ndim != 2)
    return nc_node_fail(g, n, "A and B must be 2-D, got ranks %d and %d", a->desc.ndim,
                        b->desc.ndim);
  int64_t ta = nc_attr_int(n, "transA", 0) != 0, tb = nc_attr_int(n, "transB", 0) != 0;
  int64_t m = a->desc.dims[ta ? 1 : 0], k = a->desc.dims[ta ? 0 : 1];
  int64_t kb = b->desc.dims[tb ? 1 : 0], nn = b->desc.dims[tb ? 0 : 1];
  if (k != kb)
    return nc_node_fail(g, n, "inner dimensions differ: A gives K = %lld, B gives K = %lld",
                        (long long)k, (long long)kb);
  nc_tensor *c = nc_in(g, n, 2);
  if (c) {
    if (!nc_nn_need_in(g, n, 2, "C") || nc_nn_check_dtype(g, n, c, "input C", F32)) return -1;
    int cr = c->desc.ndim;
    int64_t cm = cr >= 2 ? c->desc.dims[cr - 2] : 1, cn = cr >= 1 ? c->desc.dims[cr - 1] : 1;
    if (cr > 2 || (cm != 1 && cm != m) || (cn != 1 && cn != nn))
      return nc_node_fail(g, n, "C (rank %d) cannot be broadcast to [%lld, %lld]", cr,
                          (long long)m, (long long)nn);
  }
  int64_t dims[2] = {m, nn};
  nc_set_out(g, n, 0, NC_F32, 2, dims);
  int64_t ia[NC_GEMM_IA_COUNT] = {ta, tb, NC_ACT_NONE};
  double fa[NC_GEMM_FA_COUNT] = {nc_attr_float(n, "alpha", 1.0), nc_attr_float(n, "beta", 1.0),
                                 0.0, 0.0};
  if (n->ia && n->n_ia == NC_GEMM_IA_COUNT && n->fa && n->n_fa == NC_GEMM_FA_COUNT) {
    ia[NC_GEMM_IA_ACT] = n->ia[NC_GEMM_IA_ACT]; /* keep a fused activation */
    fa[NC_GEMM_FA_ACT_ALPHA] = n->fa[NC_GEMM_FA_ACT_ALPHA];
    fa[NC_GEMM_FA_ACT_BETA] = n->fa[NC_GEMM_FA_ACT_BETA];
  }
  nc_node_set_args(n, ia, NC_GEMM_IA_COUNT, fa, NC_GEMM_FA_COUNT);
  return 0;
}

static int fuse_gemm_act(nc_node *n, int act, double alpha, double beta) {
  if (act <= NC_ACT_NONE || act > NC_ACT_SILU) return 0;
  if (!n->ia || n->n_ia != NC_GEMM_IA_COUNT || !n->fa || n->n_fa != NC_GEMM_FA_COUNT) {
    /* Not lowered yet: record defaults that lowering overwrites except the act. */
    int64_t ia[NC_GEMM_IA_COUNT] = {0};
    double fa[NC_GEMM_FA_COUNT] = {1.0, 1.0, 0.0, 0.0};
    nc_node_set_args(n, ia, NC_GEMM_IA_COUNT, fa, NC_GEMM_FA_COUNT);
  }
  if (n->ia[NC_GEMM_IA_ACT] != NC_ACT_NONE) return 0;
  n->ia[NC_GEMM_IA_ACT] = act;
  n->fa[NC_GEMM_FA_ACT_ALPHA] = alpha;
  n->fa[NC_GEMM_FA_ACT_BETA] = beta;
  return 1;
}

/* ---------------- MatMul ---------------- */

static int lower_matmul(nc_graph *g, nc_node *n) {
  nc_tensor *a = nc_nn_need_in(g, n, 0, "A"), *b = a ? nc_nn_need_in(g, n, 1, "B") : NULL;
  if (!a || !b || nc_nn_check_dtype(g, n, a, "input A", F32) ||
      nc_nn_check_dtype(g, n, b, "input B", F32))
    return -1;
  int64_t dims[NC_MAX_DIMS], m, nn;
  int r;
  if (nc_nn_matmul_shape(g, n, &a->desc, &b->desc, dims, &r, &m, &nn)) return -1;
  nc_set_out(g, n, 0, NC_F32, r, dims);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

/* ---------------- normalisations ---------------- */

/* Input i must be 1-D with `len` values of X's dtype. */
static int need_channel_param(nc_graph *g, nc_node *n, int i, const char *what, int64_t len) {
  nc_tensor *t = nc_nn_need_in(g, n, i, what);
  if (!t || nc_nn_check_dtype(g, n, t, what, F32)) return -1;
  if (t->desc.ndim != 1 || t->desc.dims[0] != len)
    return nc_node_fail(g, n, "input %d (%s) must be 1-D with %lld values", i, what,
                        (long long)len);
  return 0;
}

static int lower_batchnorm(nc_graph *g, nc_node *n) {
  if (nc_attr_int(n, "training_mode", 0) != 0)
    return nc_node_fail(g, n, "training_mode = 1 is not supported (inference only)");
  if (nc_attr_int(n, "spatial", 1) == 0)
    return nc_node_fail(g, n, "spatial = 0 (per-element statistics) is not supported");
  for (int o = 1; o < n->n_out; o++)
    if (nc_out(g, n, o))
      return nc_node_fail(g, n, "output %d (training statistics) is not supported "
                          "(inference only)", o);
  nc_tensor *x = nc_nn_need_in(g, n, 0, "X");
  if (!x || nc_nn_check_dtype(g, n, x, "input X", F32)) return -1;
  if (x->desc.ndim < 2)
    return nc_node_fail(g, n, "input X has rank %d, expected at least 2", x->desc.ndim);
  static const char *const names[] = {"scale", "B", "mean", "var"};
  for (int i = 1; i <= 4; i++)
    if (need_channel_param(g, n, i, names[i - 1], x->desc.dims[1])) return -1;
  nc_set_out(g, n, 0, NC_F32, x->desc.ndim, x->desc.dims);
  double fa[NC_BN_FA_COUNT] = {nc_attr_float(n, "epsilon", 1e-5)};
  nc_node_set_args(n, NULL, 0, fa, NC_BN_FA_COUNT);
  return 0;
}

static int lower_instancenorm(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_nn_need_in(g, n, 0, "input");
  if (!x || nc_nn_check_dtype(g, n, x, "input", F32)) return -1;
  if (x->desc.ndim < 3)
    return nc_node_fail(g, n, "input has rank %d, expected at least 3", x->desc.ndim);
  if (need_channel_param(g, n, 1, "scale", x->desc.dims[1]) ||
      need_channel_param(g, n, 2, "B", x->desc.dims[1]))
    return -1;
  nc_set_out(g, n, 0, NC_F32, x->desc.ndim, x->desc.dims);
  double fa[NC_INSTNORM_FA_COUNT] = {nc_attr_float(n, "epsilon", 1e-5)};
  nc_node_set_args(n, NULL, 0, fa, NC_INSTNORM_FA_COUNT);
  return 0;
}

/* Scale/B of LayerNormalization: after dropping leading 1s, a suffix of the
 * normalised shape (so the routine can index them modulo their size). */
static int check_ln_param(nc_graph *g, nc_node *n, int i, const char *what, const nc_tdesc *x,
                          int axis) {
  nc_tensor *t = nc_nn_need_in(g, n, i, what);
  if (!t || nc_nn_check_dtype(g, n, t, what, F32)) return -1;
  int lead = 0;
  while (lead < t->desc.ndim && t->desc.dims[lead] == 1) lead++;
  int len = t->desc.ndim - lead;
  if (len > x->ndim - axis) goto bad;
  for (int d = 0; d < len; d++)
    if (t->desc.dims[lead + d] != x->dims[x->ndim - len + d]) goto bad;
  return 0;
bad:
  return nc_node_fail(g, n, "input %d (%s) does not match the normalised dims [%d, %d) of X",
                      i, what, axis, x->ndim);
}

static int lower_layernorm(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_nn_need_in(g, n, 0, "X");
  if (!x || nc_nn_check_dtype(g, n, x, "input X", F32)) return -1;
  int r = x->desc.ndim;
  int axis = nc_axis(nc_attr_int(n, "axis", -1), r);
  if (axis < 0)
    return nc_node_fail(g, n, "axis %lld out of range for rank %d",
                        (long long)nc_attr_int(n, "axis", -1), r);
  if (check_ln_param(g, n, 1, "Scale", &x->desc, axis)) return -1;
  if (nc_in(g, n, 2) && check_ln_param(g, n, 2, "B", &x->desc, axis)) return -1;
  nc_set_out(g, n, 0, NC_F32, r, x->desc.dims);
  int64_t sdims[NC_MAX_DIMS];
  for (int d = 0; d < r; d++) sdims[d] = d < axis ? x->desc.dims[d] : 1;
  nc_set_out(g, n, 1, NC_F32, r, sdims); /* no-ops when the output is omitted */
  nc_set_out(g, n, 2, NC_F32, r, sdims);
  int64_t ia[NC_LAYERNORM_IA_COUNT] = {axis};
  double fa[NC_LAYERNORM_FA_COUNT] = {nc_attr_float(n, "epsilon", 1e-5)};
  nc_node_set_args(n, ia, NC_LAYERNORM_IA_COUNT, fa, NC_LAYERNORM_FA_COUNT);
  return 0;
}

static int lower_lrn(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_nn_need_in(g, n, 0, "X");
  if (!x || nc_nn_check_dtype(g, n, x, "input X", F32)) return -1;
  if (x->desc.ndim < 3)
    return nc_node_fail(g, n, "input X has rank %d, expected at least 3", x->desc.ndim);
  int64_t size = nc_attr_int(n, "size", 0);
  if (size < 1) return nc_node_fail(g, n, "attribute size is required and must be >= 1");
  nc_set_out(g, n, 0, NC_F32, x->desc.ndim, x->desc.dims);
  int64_t ia[NC_LRN_IA_COUNT] = {size};
  double fa[NC_LRN_FA_COUNT] = {nc_attr_float(n, "alpha", 1e-4), nc_attr_float(n, "beta", 0.75),
                                nc_attr_float(n, "bias", 1.0)};
  nc_node_set_args(n, ia, NC_LRN_IA_COUNT, fa, NC_LRN_FA_COUNT);
  return 0;
}

static int lower_mvn(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_nn_need_in(g, n, 0, "X");
  if (!x || nc_nn_check_dtype(g, n, x, "input X", F32)) return -1;
  int r = x->desc.ndim;
  const int64_t *axes;
  static const int64_t dflt[] = {0, 2, 3};
  int na = nc_attr_ints(n, "axes", &axes);
  if (na < 0) {
    axes = dflt;
    na = 3;
  }
  int64_t mask = 0;
  for (int i = 0; i < na; i++) {
    int ax = nc_axis(axes[i], r);
    if (ax < 0)
      return nc_node_fail(g, n, "axes[%d] = %lld out of range for rank %d", i,
                          (long long)axes[i], r);
    mask |= (int64_t)1 << ax;
  }
  nc_set_out(g, n, 0, NC_F32, r, x->desc.dims);
  int64_t ia[NC_MVN_IA_COUNT] = {mask};
  nc_node_set_args(n, ia, NC_MVN_IA_COUNT, NULL, 0);
  return 0;
}

/* ---------------- Softmax, LogSoftmax, Hardmax ---------------- */

/* Opset < 13: flatten to 2-D at axis (default 1) and normalise each row.
 * Opset >= 13: normalise along the one axis (default -1). */
static int lower_softmax(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_nn_need_in(g, n, 0, "input");
  if (!x || nc_nn_check_dtype(g, n, x, "input", NC_DT(NC_F32) | NC_DT(NC_F64))) return -1;
  int r = x->desc.ndim, legacy = g->opset > 0 && g->opset < 13;
  int64_t raw = nc_attr_int(n, "axis", legacy ? 1 : -1);
  int axis = nc_axis(raw, r);
  if (axis < 0)
    return nc_node_fail(g, n, "axis %lld out of range for rank %d", (long long)raw, r);
  int64_t ia[NC_SOFTMAX_IA_COUNT];
  ia[NC_SOFTMAX_IA_OUTER] = dims_prod(&x->desc, 0, axis);
  if (legacy) {
    ia[NC_SOFTMAX_IA_LEN] = dims_prod(&x->desc, axis, r);
    ia[NC_SOFTMAX_IA_INNER] = 1;
  } else {
    ia[NC_SOFTMAX_IA_LEN] = x->desc.dims[axis];
    ia[NC_SOFTMAX_IA_INNER] = dims_prod(&x->desc, axis + 1, r);
  }
  nc_set_out(g, n, 0, x->desc.dtype, r, x->desc.dims);
  nc_node_set_args(n, ia, NC_SOFTMAX_IA_COUNT, NULL, 0);
  return 0;
}

const nc_op_def nc_ops_nn[] = {
    {"Conv", 2, 3, 1, 1, 0, nc_nn_lower_conv, nc_nn_fuse_conv_act},
    {"ConvTranspose", 2, 3, 1, 1, 0, nc_nn_lower_convtranspose, NULL},
    {"MaxPool", 1, 1, 1, 2, 0, nc_nn_lower_maxpool, NULL},
    {"AveragePool", 1, 1, 1, 1, 0, nc_nn_lower_averagepool, NULL},
    {"LpPool", 1, 1, 1, 1, 0, nc_nn_lower_lppool, NULL},
    {"GlobalAveragePool", 1, 1, 1, 1, 0, nc_nn_lower_global_pool, NULL},
    {"GlobalMaxPool", 1, 1, 1, 1, 0, nc_nn_lower_global_pool, NULL},
    {"Gemm", 2, 3, 1, 1, 0, lower_gemm, fuse_gemm_act},
    {"MatMul", 2, 2, 1, 1, 0, lower_matmul, NULL},
    {"BatchNormalization", 5, 5, 1, 5, 0, lower_batchnorm, NULL},
    {"InstanceNormalization", 3, 3, 1, 1, 0, lower_instancenorm, NULL},
    {"LayerNormalization", 2, 3, 1, 3, 0, lower_layernorm, NULL},
    {"LRN", 1, 1, 1, 1, 0, lower_lrn, NULL},
    {"MeanVarianceNormalization", 1, 1, 1, 1, 0, lower_mvn, NULL},
    {"Softmax", 1, 1, 1, 1, 0, lower_softmax, NULL},
    {"LogSoftmax", 1, 1, 1, 1, 0, lower_softmax, NULL},
    {"Hardmax", 1, 1, 1, 1, 0, lower_softmax, NULL},
    {0},
};
