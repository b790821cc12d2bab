/* Layer definitions of the reduce family (see ops.h): Reduce*, ArgMax/ArgMin,
 * TopK, the two loss layers, Resize and Upsample. Routine args are laid out
 * as in neuroc/args_reduce.h. */
#include <math.h>
#include <string.h>

#include "neuroc/args.h"
#include "neuroc/routines.h"
#include "ops.h"

#define MAX_LIST 64 /* longest constant list (axes, scales, roi) we read */

/* ---- shared checks ---- */

static int is_numeric(int32_t dt) {
  return dt != NC_BOOL && dt != NC_UNDEF && nc_dtype_size(dt) > 0;
}

static int is_float(int32_t dt) {
  return dt == NC_F32 || dt == NC_F64 || dt == NC_F16 || dt == NC_BF16;
}

/* Input i as a numeric tensor; fails (naming `what`) if missing or not numeric. */
static nc_tensor *numeric_input(nc_graph *g, nc_node *n, int i, const char *what) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t) {
    nc_node_fail(g, n, "input %d ('%s') is missing", i, what);
    return NULL;
  }
  if (!is_numeric(t->desc.dtype)) {
    nc_node_fail(g, n, "input '%s' has dtype %s, expected a numeric type", t->name,
                 nc_dtype_name(t->desc.dtype));
    return NULL;
  }
  return t;
}

/* Read constant input i (a parameter) as ints; -2 when omitted, -1 after a failure. */
static int param_ints(nc_graph *g, nc_node *n, int i, const char *what, int64_t *v, int cap) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t) return -2;
  if (!t->data)
    return nc_node_fail(g, n, "input '%s' (%s) must be a compile-time constant", t->name, what);
  int cnt = nc_const_ints(g, n, i, v, cap);
  if (cnt < 0) return nc_node_fail(g, n, "input '%s' (%s) has more than %d values", t->name, what, cap);
  return cnt;
}

static int param_doubles(nc_graph *g, nc_node *n, int i, const char *what, double *v, int cap) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t) return -2;
  if (!t->data)
    return nc_node_fail(g, n, "input '%s' (%s) must be a compile-time constant", t->name, what);
  int cnt = nc_const_doubles(g, n, i, v, cap);
  if (cnt < 0) return nc_node_fail(g, n, "input '%s' (%s) has more than %d values", t->name, what, cap);
  return cnt;
}

/* ---- Reduce* ---- */

/* Axes from the 'axes' input (ReduceSum-13, all reductions from opset 18) or
 * attribute; returns the count or -1. */
static int reduce_axes(nc_graph *g, nc_node *n, int64_t *axes) {
  if (nc_in(g, n, 1)) return param_ints(g, n, 1, "axes", axes, MAX_LIST);
  const int64_t *attr;
  int cnt = nc_attr_ints(n, "axes", &attr);
  if (cnt < 0) return 0;
  if (cnt > MAX_LIST) return nc_node_fail(g, n, "attribute 'axes' has %d values", cnt);
  memcpy(axes, attr, sizeof(int64_t) * (size_t)cnt);
  return cnt;
}

static int lower_reduce(nc_graph *g, nc_node *n) {
  nc_tensor *x = numeric_input(g, n, 0, "data");
  if (!x) return -1;
  int rank = x->desc.ndim;
  int64_t axes[MAX_LIST], mask = 0;
  int na = reduce_axes(g, n, axes);
  if (na < 0) return -1;
  for (int k = 0; k < na; k++) {
    int ax = nc_axis(axes[k], rank);
    if (ax < 0)
      return nc_node_fail(g, n, "axis %lld is out of range for input '%s' of rank %d",
                          (long long)axes[k], x->name, rank);
    if (mask >> ax & 1) return nc_node_fail(g, n, "axis %lld is listed twice", (long long)axes[k]);
    mask |= (int64_t)1 << ax;
  }
  if (na == 0 && !nc_attr_int(n, "noop_with_empty_axes", 0)) mask = ((int64_t)1 << rank) - 1;
  int64_t keep = nc_attr_int(n, "keepdims", 1) != 0;
  int64_t dims[NC_MAX_DIMS];
  int od = 0;
  for (int d = 0; d < rank; d++) {
    if (!(mask >> d & 1)) dims[od++] = x->desc.dims[d];
    else if (keep) dims[od++] = 1;
  }
  nc_set_out(g, n, 0, x->desc.dtype, od, dims);
  int64_t ia[NC_REDUCE_NIA] = {[NC_REDUCE_AXES_MASK] = mask, [NC_REDUCE_KEEPDIMS] = keep};
  nc_node_set_args(n, ia, NC_REDUCE_NIA, NULL, 0);
  return 0;
}

/* ---- ArgMax / ArgMin ---- */

static int lower_arg(nc_graph *g, nc_node *n) {
  nc_tensor *x = numeric_input(g, n, 0, "data");
  if (!x) return -1;
  int rank = x->desc.ndim;
  int64_t axis_attr = nc_attr_int(n, "axis", 0);
  int axis = nc_axis(axis_attr, rank);
  if (axis < 0)
    return nc_node_fail(g, n, "axis %lld is out of range for input '%s' of rank %d",
                        (long long)axis_attr, x->name, rank);
  if (x->desc.dims[axis] == 0)
    return nc_node_fail(g, n, "axis %d of input '%s' is empty: no element to select", axis,
                        x->name);
  int64_t keep = nc_attr_int(n, "keepdims", 1) != 0;
  int64_t dims[NC_MAX_DIMS];
  int od = 0;
  for (int d = 0; d < rank; d++) {
    if (d != axis) dims[od++] = x->desc.dims[d];
    else if (keep) dims[od++] = 1;
  }
  nc_set_out(g, n, 0, NC_S64, od, dims);
  int64_t ia[NC_ARG_NIA] = {[NC_ARG_AXIS] = axis, [NC_ARG_KEEPDIMS] = keep,
                            [NC_ARG_SELECT_LAST] = nc_attr_int(n, "select_last_index", 0) != 0};
  nc_node_set_args(n, ia, NC_ARG_NIA, NULL, 0);
  return 0;
}

/* ---- TopK ---- */

static int lower_topk(nc_graph *g, nc_node *n) {
  nc_tensor *x = numeric_input(g, n, 0, "X");
  if (!x) return -1;
  int rank = x->desc.ndim;
  int64_t axis_attr = nc_attr_int(n, "axis", -1), k;
  int axis = nc_axis(axis_attr, rank);
  if (axis < 0)
    return nc_node_fail(g, n, "axis %lld is out of range for input '%s' of rank %d",
                        (long long)axis_attr, x->name, rank);
  if (nc_in(g, n, 1)) {
    int cnt = param_ints(g, n, 1, "K", &k, 1);
    if (cnt < 0) return -1;
    if (cnt != 1) return nc_node_fail(g, n, "input 'K' must hold exactly one value");
  } else {
    if (!nc_node_attr(n, "k")) return nc_node_fail(g, n, "needs input 'K' or attribute 'k'");
    k = nc_attr_int(n, "k", 0);
  }
  if (k < 0 || k > x->desc.dims[axis])
    return nc_node_fail(g, n, "K = %lld is outside [0, %lld] (length of axis %d)", (long long)k,
                        (long long)x->desc.dims[axis], axis);
  int64_t dims[NC_MAX_DIMS];
  memcpy(dims, x->desc.dims, sizeof dims);
  dims[axis] = k;
  nc_set_out(g, n, 0, x->desc.dtype, rank, dims);
  nc_set_out(g, n, 1, NC_S64, rank, dims);
  int64_t ia[NC_TOPK_NIA] = {[NC_TOPK_AXIS] = axis, [NC_TOPK_K] = k,
                             [NC_TOPK_LARGEST] = nc_attr_int(n, "largest", 1) != 0,
                             [NC_TOPK_SORTED] = nc_attr_int(n, "sorted", 1) != 0};
  nc_node_set_args(n, ia, NC_TOPK_NIA, NULL, 0);
  return 0;
}

/* ---- NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss ---- */

static int lower_loss(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_in(g, n, 0), *t = nc_in(g, n, 1), *w = nc_in(g, n, 2);
  if (!x || !t) return nc_node_fail(g, n, "inputs 0 (scores) and 1 (target) are required");
  const nc_tdesc *xd = &x->desc, *td = &t->desc;
  if (!is_float(xd->dtype))
    return nc_node_fail(g, n, "input '%s' has dtype %s, expected f32, f64, f16 or bf16", x->name,
                        nc_dtype_name(xd->dtype));
  if (xd->ndim < 2)
    return nc_node_fail(g, n, "input '%s' has rank %d, expected (N, C, d1, ...) of rank >= 2",
                        x->name, xd->ndim);
  if (td->dtype != NC_S32 && td->dtype != NC_S64)
    return nc_node_fail(g, n, "target '%s' has dtype %s, expected s32 or s64", t->name,
                        nc_dtype_name(td->dtype));
  int shape_ok = td->ndim == xd->ndim - 1 && td->dims[0] == xd->dims[0];
  for (int d = 1; shape_ok && d < td->ndim; d++) shape_ok = td->dims[d] == xd->dims[d + 1];
  if (!shape_ok)
    return nc_node_fail(g, n, "target '%s' must have the shape of '%s' without axis 1", t->name,
                        x->name);
  if (w && (w->desc.ndim != 1 || w->desc.dims[0] != xd->dims[1] || w->desc.dtype != xd->dtype))
    return nc_node_fail(g, n, "weight '%s' must be a 1-D %s tensor of C = %lld values", w->name,
                        nc_dtype_name(xd->dtype), (long long)xd->dims[1]);
  const char *r = nc_attr_string(n, "reduction", "mean");
  int64_t red = strcmp(r, "none") == 0  ? NC_LOSS_NONE
                : strcmp(r, "sum") == 0 ? NC_LOSS_SUM
                : strcmp(r, "mean") == 0 ? NC_LOSS_MEAN
                                        : -1;
  if (red < 0)
    return nc_node_fail(g, n, "reduction '%s' is not one of none, sum, mean", r);
  if (red == NC_LOSS_NONE) nc_set_out(g, n, 0, xd->dtype, td->ndim, td->dims);
  else nc_set_out(g, n, 0, xd->dtype, 0, NULL);
  nc_set_out(g, n, 1, xd->dtype, xd->ndim, xd->dims); /* SCE log_prob, when asked for */
  int64_t ia[NC_LOSS_NIA] = {[NC_LOSS_REDUCTION] = red,
                             [NC_LOSS_HAS_IGNORE] = nc_node_attr(n, "ignore_index") != NULL,
                             [NC_LOSS_IGNORE_INDEX] = nc_attr_int(n, "ignore_index", 0)};
  nc_node_set_args(n, ia, NC_LOSS_NIA, NULL, 0);
  return 0;
}

/* ---- Resize / Upsample ---- */

static int lookup(const char *s, const char *const *names, int count) {
  for (int i = 0; i < count; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return -1;
}

/* Output dims and per-axis scale / resized length from scales or sizes. */
static int resize_shape(nc_graph *g, nc_node *n, const nc_tensor *x, const double *scales,
                        int n_scales, const int64_t *sizes, int n_sizes, int64_t *dims,
                        double *fa) {
  int rank = x->desc.ndim;
  if ((n_scales > 0) == (n_sizes > 0))
    return nc_node_fail(g, n, "exactly one of 'scales' and 'sizes' must be given (non-empty)");
  int cnt = n_scales > 0 ? n_scales : n_sizes;
  if (cnt != rank)
    return nc_node_fail(g, n, "'%s' has %d values, input '%s' has rank %d",
                        n_scales > 0 ? "scales" : "sizes", cnt, x->name, rank);
  for (int d = 0; d < rank; d++) {
    double in = (double)x->desc.dims[d];
    if (n_scales > 0) {
      if (!(scales[d] > 0) || !isfinite(scales[d]))
        return nc_node_fail(g, n, "scale %g of axis %d must be positive", scales[d], d);
      double len = in * scales[d];
      if (len > 9.0e15) return nc_node_fail(g, n, "scale %g of axis %d is too large", scales[d], d);
      dims[d] = (int64_t)floor(len);
      fa[NC_RESIZE_SCALE + d] = scales[d];
      fa[NC_RESIZE_OUTLEN + d] = len;
    } else {
      if (sizes[d] < 0) return nc_node_fail(g, n, "size %lld of axis %d is negative", (long long)sizes[d], d);
      if (x->desc.dims[d] == 0 && sizes[d] > 0)
        return nc_node_fail(g, n, "axis %d of input '%s' is empty and cannot be resized", d, x->name);
      dims[d] = sizes[d];
      fa[NC_RESIZE_SCALE + d] = in > 0 ? (double)sizes[d] / in : 1.0;
      fa[NC_RESIZE_OUTLEN + d] = (double)sizes[d];
    }
  }
  return 0;
}

static int resize_finish(nc_graph *g, nc_node *n, const nc_tensor *x, const int64_t *dims,
                         const int64_t *ia, const double *fa) {
  for (int d = 0; d < x->desc.ndim; d++)
    if (dims[d] > 0 && x->desc.dims[d] == 0)
      return nc_node_fail(g, n, "axis %d of input '%s' is empty and cannot be resized", d, x->name);
  nc_set_out(g, n, 0, x->desc.dtype, x->desc.ndim, dims);
  nc_node_set_args(n, ia, NC_RESIZE_NIA, fa, NC_RESIZE_NFA);
  return 0;
}

static const char *const mode_names[] = {"nearest", "linear", "cubic"};
static const char *const coord_names[] = {"half_pixel",    "pytorch_half_pixel", "align_corners",
                                          "asymmetric",    "tf_crop_and_resize",
                                          "tf_half_pixel_for_nn"};
static const char *const nearest_names[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                            "ceil"};

/* Resize-10 and Upsample: asymmetric coordinates, nearest or linear only. */
static int lower_resize_legacy(nc_graph *g, nc_node *n, nc_tensor *x, const double *scales,
                               int n_scales) {
  const char *m = nc_attr_string(n, "mode", "nearest");
  int mode = strcmp(m, "bilinear") == 0 ? NC_RESIZE_LINEAR : lookup(m, mode_names, 2);
  if (mode < 0) return nc_node_fail(g, n, "mode '%s' is not one of nearest, linear", m);
  int64_t dims[NC_MAX_DIMS], ia[NC_RESIZE_NIA] = {0};
  double fa[NC_RESIZE_NFA] = {0};
  if (resize_shape(g, n, x, scales, n_scales, NULL, 0, dims, fa)) return -1;
  ia[NC_RESIZE_MODE] = mode;
  ia[NC_RESIZE_COORD] = NC_COORD_ASYMMETRIC;
  ia[NC_RESIZE_NEAREST_MODE] = NC_NEAREST_SIMPLE;
  return resize_finish(g, n, x, dims, ia, fa);
}

static int lower_resize(nc_graph *g, nc_node *n) {
  nc_tensor *x = numeric_input(g, n, 0, "X");
  if (!x) return -1;
  int rank = x->desc.ndim;
  double scales[MAX_LIST], roi[MAX_LIST];
  int64_t sizes[MAX_LIST];
  if (g->opset > 0 && g->opset < 11) {
    int ns = param_doubles(g, n, 1, "scales", scales, MAX_LIST);
    if (ns == -1) return -1;
    if (ns == -2) return nc_node_fail(g, n, "input 'scales' is required before opset 11");
    return lower_resize_legacy(g, n, x, scales, ns);
  }
  if (nc_node_attr(n, "axes") || nc_node_attr(n, "keep_aspect_ratio_policy"))
    return nc_node_fail(g, n, "attributes 'axes' and 'keep_aspect_ratio_policy' (opset 18) "
                              "are not supported");
  const char *m = nc_attr_string(n, "mode", "nearest");
  const char *c = nc_attr_string(n, "coordinate_transformation_mode", "half_pixel");
  const char *nm = nc_attr_string(n, "nearest_mode", "round_prefer_floor");
  int mode = lookup(m, mode_names, 3), coord = lookup(c, coord_names, 6);
  int nearest = lookup(nm, nearest_names, 4);
  if (mode < 0) return nc_node_fail(g, n, "mode '%s' is not one of nearest, linear, cubic", m);
  if (coord < 0) return nc_node_fail(g, n, "coordinate_transformation_mode '%s' is not supported", c);
  if (nearest < 0) return nc_node_fail(g, n, "nearest_mode '%s' is not supported", nm);
  int ns = param_doubles(g, n, 2, "scales", scales, MAX_LIST);
  int nz = param_ints(g, n, 3, "sizes", sizes, MAX_LIST);
  if (ns == -1 || nz == -1) return -1;
  int64_t dims[NC_MAX_DIMS], ia[NC_RESIZE_NIA] = {0};
  double fa[NC_RESIZE_NFA] = {0};
  if (resize_shape(g, n, x, scales, ns, sizes, nz, dims, fa)) return -1;
  if (coord == NC_COORD_TF_CROP_AND_RESIZE) {
    int nr = param_doubles(g, n, 1, "roi", roi, MAX_LIST);
    if (nr == -1) return -1;
    if (nr != 2 * rank)
      return nc_node_fail(g, n, "tf_crop_and_resize needs input 'roi' with 2 x rank = %d values",
                          2 * rank);
    for (int d = 0; d < rank; d++) {
      fa[NC_RESIZE_ROI_START + d] = roi[d];
      fa[NC_RESIZE_ROI_END + d] = roi[rank + d];
    }
  }
  ia[NC_RESIZE_MODE] = mode;
  ia[NC_RESIZE_COORD] = coord;
  ia[NC_RESIZE_NEAREST_MODE] = nearest;
  ia[NC_RESIZE_EXCLUDE_OUTSIDE] = nc_attr_int(n, "exclude_outside", 0) != 0;
  fa[NC_RESIZE_CUBIC_A] = nc_attr_float(n, "cubic_coeff_a", -0.75);
  fa[NC_RESIZE_EXTRAPOLATION] = nc_attr_float(n, "extrapolation_value", 0.0);
  return resize_finish(g, n, x, dims, ia, fa);
}

static int lower_upsample(nc_graph *g, nc_node *n) {
  nc_tensor *x = numeric_input(g, n, 0, "X");
  if (!x) return -1;
  double scales[MAX_LIST];
  int ns;
  if (nc_in(g, n, 1)) {
    ns = param_doubles(g, n, 1, "scales", scales, MAX_LIST);
    if (ns < 0) return -1;
  } else {
    nc_attr *a = nc_node_attr(n, "scales");
    if (!a || a->type != NC_ATTR_FLOATS)
      return nc_node_fail(g, n, "needs input 'scales' or attribute 'scales'");
    if (a->n_floats > MAX_LIST) return nc_node_fail(g, n, "attribute 'scales' is too long");
    ns = a->n_floats;
    for (int i = 0; i < ns; i++) scales[i] = a->floats[i];
  }
  if (ns == 0) return nc_node_fail(g, n, "'scales' is empty");
  return lower_resize_legacy(g, n, x, scales, ns);
}

/* ---- Det ---- */

static int lower_det(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_in(g, n, 0);
  const nc_tdesc *d = &x->desc;
  if (!is_float(d->dtype))
    return nc_node_fail(g, n, "input '%s' has dtype %s, expected a float type", x->name,
                        nc_dtype_name(d->dtype));
  if (d->ndim < 2 || d->dims[d->ndim - 1] != d->dims[d->ndim - 2])
    return nc_node_fail(g, n, "input '%s' must be (..., M, M)", x->name);
  nc_set_out(g, n, 0, d->dtype, d->ndim - 2, d->dims);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

/* ---- Einsum ---- */

#define EIN_LETTERS 52 /* A-Z then a-z; ellipsis dims get ids from 52 on */
#define EIN_MAX_IN 16
#define EIN_MAX_LABELS (EIN_LETTERS + NC_MAX_DIMS)

typedef struct ein_term {
  int n;                     /* labels in the term, ellipsis expanded */
  int lab[NC_MAX_DIMS];      /* raw label ids */
  int has_ellipsis;
} ein_term;

static int letter_id(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

/* Parse one term ("ab...c") for a tensor of rank `rank` (-1: output, where
 * the ellipsis stands for `ell` dims). Returns 0 or -1 with a message. */
static int ein_parse_term(nc_graph *g, nc_node *n, const char *s, size_t len, int rank, int ell,
                          ein_term *t) {
  int letters = 0, dots = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.') dots++;
    else if (letter_id(s[i]) >= 0) letters++;
    else return nc_node_fail(g, n, "equation has an unexpected character '%c'", s[i]);
  }
  if (dots != 0 && dots != 3) return nc_node_fail(g, n, "equation has a malformed ellipsis");
  t->has_ellipsis = dots == 3;
  int e = rank >= 0 ? rank - letters : ell;
  if (rank >= 0 && (e < 0 || (!t->has_ellipsis && e != 0)))
    return nc_node_fail(g, n, "equation term '%.*s' does not match an input of rank %d",
                        (int)len, s, rank);
  if (!t->has_ellipsis) e = 0;
  if (letters + e > NC_MAX_DIMS) return nc_node_fail(g, n, "equation term has too many axes");
  t->n = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') continue;
      /* ellipsis dims are right-aligned across inputs, as numpy broadcasts */
      for (int k = 0; k < e; k++) t->lab[t->n++] = EIN_LETTERS + NC_MAX_DIMS - e + k;
    } else {
      t->lab[t->n++] = letter_id(s[i]);
    }
  }
  return 0;
}

static int lower_einsum(nc_graph *g, nc_node *n) {
  const char *eq = nc_attr_string(n, "equation", NULL);
  if (!eq) return nc_node_fail(g, n, "attribute 'equation' is required");
  if (n->n_in > EIN_MAX_IN) return nc_node_fail(g, n, "more than %d inputs", EIN_MAX_IN);
  if (!numeric_input(g, n, 0, "Inputs")) return -1;
  char buf[512];
  size_t bl = 0;
  for (const char *c = eq; *c && bl < sizeof buf - 1; c++)
    if (*c != ' ') buf[bl++] = *c;
  buf[bl] = 0;
  char *arrow = strstr(buf, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - buf) : bl;
  ein_term terms[EIN_MAX_IN + 1];
  int64_t size[EIN_MAX_LABELS];
  int count[EIN_MAX_LABELS] = {0}, ell = 0, k = 0;
  for (int l = 0; l < EIN_MAX_LABELS; l++) size[l] = -1;
  for (size_t start = 0; start <= lhs_len; k++) {
    size_t end = start;
    while (end < lhs_len && buf[end] != ',') end++;
    nc_tensor *x = nc_in(g, n, k);
    if (k >= n->n_in || !x)
      return nc_node_fail(g, n, "equation '%s' names more inputs than the %d given", eq, n->n_in);
    if (!is_numeric(x->desc.dtype) || x->desc.dtype != nc_in(g, n, 0)->desc.dtype)
      return nc_node_fail(g, n, "input '%s' must be numeric and of the dtype of input 0", x->name);
    if (ein_parse_term(g, n, buf + start, end - start, x->desc.ndim, 0, &terms[k])) return -1;
    int e = 0;
    for (int a = 0; a < terms[k].n; a++) {
      int l = terms[k].lab[a];
      int64_t dim = x->desc.dims[a];
      e += l >= EIN_LETTERS;
      count[l]++;
      if (size[l] < 0 || (size[l] == 1 && l >= EIN_LETTERS)) size[l] = dim;
      else if (size[l] != dim && !(l >= EIN_LETTERS && dim == 1))
        return nc_node_fail(g, n, "label '%c' has extents %lld and %lld",
                            l < 26 ? 'A' + l : l < EIN_LETTERS ? 'a' + l - 26 : '.',
                            (long long)size[l], (long long)dim);
    }
    if (e > ell) ell = e;
    start = end + 1;
  }
  if (k != n->n_in)
    return nc_node_fail(g, n, "equation '%s' names %d inputs, %d given", eq, k, n->n_in);
  ein_term *ot = &terms[k];
  if (arrow) {
    if (ein_parse_term(g, n, arrow + 2, strlen(arrow + 2), -1, ell, ot)) return -1;
    for (int a = 0; a < ot->n; a++) {
      int l = ot->lab[a];
      if (size[l] < 0)
        return nc_node_fail(g, n, "output label '%c' appears in no input", arrow[2 + a]);
      for (int b = 0; b < a; b++)
        if (ot->lab[b] == l) return nc_node_fail(g, n, "output repeats a label");
    }
  } else { /* implicit: ellipsis dims, then the labels used once, in ASCII order */
    ot->n = 0;
    for (int e = 0; e < ell; e++) ot->lab[ot->n++] = EIN_LETTERS + NC_MAX_DIMS - ell + e;
    for (int l = 0; l < EIN_LETTERS; l++)
      if (count[l] == 1) {
        if (ot->n == NC_MAX_DIMS) return nc_node_fail(g, n, "output has too many axes");
        ot->lab[ot->n++] = l;
      }
  }
  /* compact the used labels into 0..L-1 */
  int id[EIN_MAX_LABELS], L = 0;
  int64_t ia[1 + EIN_MAX_LABELS + (EIN_MAX_IN + 1) * NC_MAX_DIMS];
  for (int l = 0; l < EIN_MAX_LABELS; l++) {
    id[l] = size[l] >= 0 ? L++ : -1;
    if (id[l] >= 0) ia[NC_EINSUM_SIZES + id[l]] = size[l];
  }
  ia[NC_EINSUM_NLABELS] = L;
  int pos = NC_EINSUM_AXES(L);
  int64_t dims[NC_MAX_DIMS];
  for (int t = 0; t <= k; t++)
    for (int a = 0; a < terms[t].n; a++) ia[pos++] = id[terms[t].lab[a]];
  for (int a = 0; a < ot->n; a++) dims[a] = size[ot->lab[a]];
  nc_set_out(g, n, 0, nc_in(g, n, 0)->desc.dtype, ot->n, dims);
  nc_node_set_args(n, ia, pos, NULL, 0);
  return 0;
}

/* ---- MaxUnpool ---- */

/* Spatial attribute list of `rank` values, or `dflt` everywhere when absent. */
static int spatial_ints(nc_graph *g, nc_node *n, const char *name, int rank, int64_t dflt,
                        int64_t *v) {
  const int64_t *a;
  int cnt = nc_attr_ints(n, name, &a);
  if (cnt < 0) {
    for (int i = 0; i < rank; i++) v[i] = dflt;
    return 0;
  }
  if (cnt != rank) return nc_node_fail(g, n, "attribute '%s' has %d values, expected %d", name, cnt, rank);
  memcpy(v, a, sizeof(int64_t) * (size_t)rank);
  return 0;
}

static int lower_maxunpool(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_in(g, n, 0), *ind = nc_in(g, n, 1);
  if (!x || !ind) return nc_node_fail(g, n, "inputs 'X' and 'I' are required");
  const nc_tdesc *d = &x->desc;
  int sp = d->ndim - 2, same = ind->desc.ndim == d->ndim;
  for (int i = 0; same && i < d->ndim; i++) same = ind->desc.dims[i] == d->dims[i];
  if (sp < 1) return nc_node_fail(g, n, "input '%s' must be (N, C, D1, ...)", x->name);
  if (ind->desc.dtype != NC_S64 || !same)
    return nc_node_fail(g, n, "indices '%s' must be s64 with the shape of '%s'", ind->name, x->name);
  const int64_t *kernel;
  if (nc_attr_ints(n, "kernel_shape", &kernel) != sp)
    return nc_node_fail(g, n, "attribute 'kernel_shape' must have %d values", sp);
  int64_t strides[NC_MAX_DIMS], pads[2 * NC_MAX_DIMS], dims[NC_MAX_DIMS];
  if (spatial_ints(g, n, "strides", sp, 1, strides) || spatial_ints(g, n, "pads", 2 * sp, 0, pads))
    return -1;
  int cnt = param_ints(g, n, 2, "output_shape", dims, NC_MAX_DIMS);
  if (cnt == -1) return -1;
  if (cnt >= 0 && cnt != d->ndim)
    return nc_node_fail(g, n, "input 'output_shape' must have %d values", d->ndim);
  int64_t pooled[NC_MAX_DIMS];
  pooled[0] = d->dims[0];
  pooled[1] = d->dims[1];
  for (int i = 0; i < sp; i++)
    pooled[2 + i] = (d->dims[2 + i] - 1) * strides[i] - pads[i] - pads[sp + i] + kernel[i];
  if (cnt < 0) memcpy(dims, pooled, sizeof dims);
  for (int i = 0; i < d->ndim; i++)
    if (dims[i] < 0 || pooled[i] < 0)
      return nc_node_fail(g, n, "output dimension %d is negative", i);
  nc_set_out(g, n, 0, d->dtype, d->ndim, dims);
  nc_node_set_args(n, pooled, d->ndim, NULL, 0);
  return 0;
}

const nc_op_def nc_ops_reduce[] = {
    {"ReduceSum", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceMean", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceMax", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceMin", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceProd", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceL1", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceL2", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceLogSum", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceLogSumExp", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ReduceSumSquare", 1, 2, 1, 1, 0x2, lower_reduce, NULL},
    {"ArgMax", 1, 1, 1, 1, 0, lower_arg, NULL},
    {"ArgMin", 1, 1, 1, 1, 0, lower_arg, NULL},
    {"TopK", 1, 2, 1, 2, 0x2, lower_topk, NULL},
    {"NegativeLogLikelihoodLoss", 2, 3, 1, 1, 0, lower_loss, NULL},
    {"SoftmaxCrossEntropyLoss", 2, 3, 1, 2, 0, lower_loss, NULL},
    {"Resize", 1, 4, 1, 1, 0xE, lower_resize, NULL},
    {"Upsample", 1, 2, 1, 1, 0x2, lower_upsample, NULL},
    {"Det", 1, 1, 1, 1, 0, lower_det, NULL},
    {"Einsum", 1, 16, 1, 1, 0, lower_einsum, NULL},
    {"MaxUnpool", 2, 3, 1, 1, 0x4, lower_maxunpool, NULL},
    {0},
};
