/* Layer definitions of the ONNX quantization operators (see ops.h):
 * QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, ConvInteger,
 * QLinearConv, MatMulInteger, QLinearMatMul. Scales and zero points stay
 * routine inputs (ONNX allows them at run time; constant ones fold with the
 * layer when its data input is constant too). Lowering checks every scale and
 * zero point against the tensor it quantizes and names the offending input.
 * Argument layouts: neuroc/args_quant.h. */
#include <stdio.h>
#include <string.h>

#include "neuroc/args_quant.h"
#include "nn_lower.h"

#define F32 NC_DT(NC_F32)
#define Q8 (NC_DT(NC_U8) | NC_DT(NC_S8))
#define Q16 (NC_DT(NC_U16) | NC_DT(NC_S16))

/* "u8/s8"-style list of the dtypes in a mask, for messages. */
static const char *dtype_list(uint32_t dtypes, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (int dt = 1; dt <= NC_BF16; dt++)
    if (dtypes & NC_DT(dt))
      len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? "/" : "",
                              nc_dtype_name(dt));
  return buf;
}

/* Input i, present with a known shape and one of `dtypes`; NULL after a failure. */
static nc_tensor *need_typed(nc_graph *g, nc_node *n, int i, const char *what, uint32_t dtypes) {
  nc_tensor *t = nc_nn_need_in(g, n, i, what);
  if (!t) return NULL;
  if (t->desc.dtype > 0 && t->desc.dtype < 32 && (dtypes & NC_DT(t->desc.dtype))) return t;
  char buf[64];
  nc_node_fail(g, n, "input %d (%s) has dtype %s; this layer takes %s", i, what,
               nc_dtype_name(t->desc.dtype), dtype_list(dtypes, buf, sizeof buf));
  return NULL;
}

/* Optional zero point i of the tensor `of` (same dtype) with 1 or `len`
 * values. Returns 0 (also when left out) or -1 after a failure. */
static int check_zp(nc_graph *g, nc_node *n, int i, const char *what, const nc_tensor *of,
                    int64_t len) {
  nc_tensor *z = nc_in(g, n, i);
  if (!z) return 0;
  if (!nc_nn_need_in(g, n, i, what)) return -1;
  if (of && z->desc.dtype != of->desc.dtype)
    return nc_node_fail(g, n, "input %d (%s) has dtype %s but the tensor it belongs to "
                        "('%s') is %s", i, what, nc_dtype_name(z->desc.dtype), of->name,
                        nc_dtype_name(of->desc.dtype));
  int64_t cnt = nc_numel(&z->desc);
  if (cnt != 1 && cnt != len)
    return nc_node_fail(g, n, "input %d (%s) has %lld values; expected 1 (per tensor)%s", i,
                        what, (long long)cnt, len > 1 ? " or one per channel" : "");
  return 0;
}

/* Required f32 scale i with 1 or `len` values. */
static int check_scale(nc_graph *g, nc_node *n, int i, const char *what, int64_t len) {
  nc_tensor *s = need_typed(g, n, i, what, F32);
  if (!s) return -1;
  int64_t cnt = nc_numel(&s->desc);
  if (cnt != 1 && cnt != len)
    return nc_node_fail(g, n, "input %d (%s) has %lld values; expected 1 (per tensor) or %lld "
                        "(one per channel)", i, what, (long long)cnt, (long long)len);
  return 0;
}

/* ---------------- QuantizeLinear / DequantizeLinear ---------------- */

/* The quantization axis and its length; a scale with one value is per tensor
 * whatever the axis says. */
static int qlinear_axis(nc_graph *g, nc_node *n, const nc_tensor *x, int *axis, int64_t *len) {
  if (nc_attr_int(n, "block_size", 0) != 0)
    return nc_node_fail(g, n, "block_size = %lld (blocked quantization) is not supported",
                        (long long)nc_attr_int(n, "block_size", 0));
  nc_tensor *s = nc_in(g, n, 1);
  int64_t a = nc_attr_int(n, "axis", 1);
  *axis = 0;
  *len = 1;
  if (!s || s->desc.ndim < 0 || nc_numel(&s->desc) == 1) return 0;
  if (s->desc.ndim != 1)
    return nc_node_fail(g, n, "input 1 (scale) has rank %d; expected a scalar or a 1-D tensor "
                        "(per axis)", s->desc.ndim);
  *axis = nc_axis(a, x->desc.ndim);
  if (*axis < 0)
    return nc_node_fail(g, n, "axis = %lld is out of range for rank %d", (long long)a,
                        x->desc.ndim);
  *len = x->desc.dims[*axis];
  return 0;
}

static int lower_quantizelinear(nc_graph *g, nc_node *n) {
  nc_tensor *x = need_typed(g, n, 0, "x", F32);
  int axis;
  int64_t len;
  if (!x || qlinear_axis(g, n, x, &axis, &len) || check_scale(g, n, 1, "y_scale", len))
    return -1;
  nc_tensor *z = nc_in(g, n, 2);
  int32_t ydt = (int32_t)nc_attr_int(n, "output_dtype", NC_U8);
  if (z) {
    if (!need_typed(g, n, 2, "y_zero_point", Q8 | Q16)) return -1;
    ydt = z->desc.dtype;
  } else if (!(NC_DT(ydt) & (Q8 | Q16))) {
    return nc_node_fail(g, n, "output_dtype = %s is not a supported quantized type (u8, s8, "
                        "u16, s16)", nc_dtype_name(ydt));
  }
  if (check_zp(g, n, 2, "y_zero_point", NULL, len)) return -1;
  nc_set_out(g, n, 0, ydt, x->desc.ndim, x->desc.dims);
  int64_t ia[NC_QLINEAR_IA_COUNT] = {axis};
  nc_node_set_args(n, ia, NC_QLINEAR_IA_COUNT, NULL, 0);
  return 0;
}

static int lower_dequantizelinear(nc_graph *g, nc_node *n) {
  nc_tensor *x = need_typed(g, n, 0, "x", Q8 | Q16 | NC_DT(NC_S32));
  int axis;
  int64_t len;
  if (!x || qlinear_axis(g, n, x, &axis, &len) || check_scale(g, n, 1, "x_scale", len) ||
      check_zp(g, n, 2, "x_zero_point", x, len))
    return -1;
  nc_set_out(g, n, 0, NC_F32, x->desc.ndim, x->desc.dims);
  int64_t ia[NC_QLINEAR_IA_COUNT] = {axis};
  nc_node_set_args(n, ia, NC_QLINEAR_IA_COUNT, NULL, 0);
  return 0;
}

static int lower_dynamicquantizelinear(nc_graph *g, nc_node *n) {
  nc_tensor *x = need_typed(g, n, 0, "x", F32);
  if (!x) return -1;
  nc_set_out(g, n, 0, NC_U8, x->desc.ndim, x->desc.dims);
  const int64_t scalar[1] = {1}; /* rank 0: dims unused */
  nc_set_out(g, n, 1, NC_F32, 0, scalar);
  nc_set_out(g, n, 2, NC_U8, 0, scalar);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

/* ---------------- ConvInteger / QLinearConv ---------------- */

/* Conv geometry of x (input xi) and w (input wi): ranks, group, kernel_shape,
 * pads; sets the output dims and the conv args. Returns M or -1. */
static int64_t qconv_geometry(nc_graph *g, nc_node *n, int xi, int wi, int64_t *dims,
                              int *rank) {
  nc_tensor *x = need_typed(g, n, xi, "x", Q8), *w = x ? need_typed(g, n, wi, "w", Q8) : NULL;
  if (!w) return -1;
  int r = x->desc.ndim;
  if (r < 3 || r > 2 + NC_NN_MAX_SPATIAL)
    return nc_node_fail(g, n, "input x has rank %d; only 1-D to 3-D convolutions (rank 3 to "
                        "5) are supported", r);
  if (w->desc.ndim != r)
    return nc_node_fail(g, n, "weight w has rank %d but x has rank %d", w->desc.ndim, r);
  int64_t grp = nc_attr_int(n, "group", 1), c = x->desc.dims[1], m = w->desc.dims[0];
  if (grp < 1 || c % grp != 0 || m % grp != 0 || w->desc.dims[1] * grp != c)
    return nc_node_fail(g, n, "group = %lld does not fit x with %lld channels and w of shape "
                        "[%lld, %lld, ...]", (long long)grp, (long long)c, (long long)m,
                        (long long)w->desc.dims[1]);
  nc_nn_window win;
  memset(&win, 0, sizeof win);
  win.nsp = r - 2;
  for (int d = 0; d < win.nsp; d++) {
    win.in[d] = x->desc.dims[2 + d];
    win.k[d] = w->desc.dims[2 + d];
  }
  const int64_t *ks;
  int nks = nc_attr_ints(n, "kernel_shape", &ks);
  if (nks >= 0) {
    if (nks != win.nsp)
      return nc_node_fail(g, n, "kernel_shape has %d values, expected %d", nks, win.nsp);
    for (int d = 0; d < win.nsp; d++)
      if (ks[d] != win.k[d])
        return nc_node_fail(g, n, "kernel_shape[%d] = %lld does not match w dim %lld", d,
                            (long long)ks[d], (long long)win.k[d]);
  }
  if (nc_nn_window_resolve(g, n, &win, 0)) return -1;
  dims[0] = x->desc.dims[0];
  dims[1] = m;
  for (int d = 0; d < win.nsp; d++) dims[2 + d] = win.out[d];
  *rank = r;
  int64_t ia[NC_CONV_IA_COUNT] = {0};
  double fa[NC_CONV_FA_COUNT] = {0};
  ia[NC_CONV_IA_NSPATIAL] = win.nsp;
  ia[NC_CONV_IA_GROUP] = grp;
  for (int d = 0; d < NC_NN_MAX_SPATIAL; d++) {
    int on = d < win.nsp;
    ia[NC_CONV_IA_STRIDE + d] = on ? win.stride[d] : 1;
    ia[NC_CONV_IA_DILATION + d] = on ? win.dil[d] : 1;
    ia[NC_CONV_IA_PAD_BEGIN + d] = on ? win.pad_begin[d] : 0;
    ia[NC_CONV_IA_PAD_END + d] = on ? win.pad_end[d] : 0;
  }
  nc_node_set_args(n, ia, NC_CONV_IA_COUNT, fa, NC_CONV_FA_COUNT);
  return m;
}

static int lower_convinteger(nc_graph *g, nc_node *n) {
  int64_t dims[NC_MAX_DIMS];
  int r;
  int64_t m = qconv_geometry(g, n, 0, 1, dims, &r);
  if (m < 0 || check_zp(g, n, 2, "x_zero_point", nc_in(g, n, 0), 1) ||
      check_zp(g, n, 3, "w_zero_point", nc_in(g, n, 1), m))
    return -1;
  nc_set_out(g, n, 0, NC_S32, r, dims);
  return 0;
}

/* Output dtype of QLinearConv / QLinearMatMul: that of the optional
 * per-tensor y_zero_point at input idx, u8 when it is left out. */
static int output_qtype(nc_graph *g, nc_node *n, int idx, int32_t *ydt) {
  *ydt = NC_U8;
  if (!nc_in(g, n, idx)) return 0;
  nc_tensor *z = need_typed(g, n, idx, "y_zero_point", Q8);
  if (!z || check_zp(g, n, idx, "y_zero_point", NULL, 1)) return -1;
  *ydt = z->desc.dtype;
  return 0;
}

static int lower_qlinearconv(nc_graph *g, nc_node *n) {
  int64_t dims[NC_MAX_DIMS];
  int r;
  int64_t m = qconv_geometry(g, n, 0, 3, dims, &r);
  if (m < 0 || check_scale(g, n, 1, "x_scale", 1) ||
      check_zp(g, n, 2, "x_zero_point", nc_in(g, n, 0), 1) ||
      check_scale(g, n, 4, "w_scale", m) || check_zp(g, n, 5, "w_zero_point", nc_in(g, n, 3), m) ||
      check_scale(g, n, 6, "y_scale", 1))
    return -1;
  int32_t ydt;
  if (output_qtype(g, n, 7, &ydt)) return -1;
  nc_tensor *b = nc_in(g, n, 8);
  if (b) {
    if (!need_typed(g, n, 8, "B", NC_DT(NC_S32))) return -1;
    if (b->desc.ndim != 1 || b->desc.dims[0] != m)
      return nc_node_fail(g, n, "input 8 (B) must be 1-D with %lld values", (long long)m);
  }
  nc_set_out(g, n, 0, ydt, r, dims);
  return 0;
}

/* ---------------- MatMulInteger / QLinearMatMul ---------------- */

/* numpy matmul output shape of inputs ai and bi; sets *m and *nn (rows of A,
 * columns of B, 1 for a 1-D operand). */
static int qmatmul_shape(nc_graph *g, nc_node *n, int ai, int bi, int64_t *dims, int *rank,
                         int64_t *m, int64_t *nn) {
  nc_tensor *a = need_typed(g, n, ai, "A", Q8), *b = a ? need_typed(g, n, bi, "B", Q8) : NULL;
  if (!b) return -1;
  return nc_nn_matmul_shape(g, n, &a->desc, &b->desc, dims, rank, m, nn);
}

static int lower_matmulinteger(nc_graph *g, nc_node *n) {
  int64_t dims[NC_MAX_DIMS], m, nn;
  int r;
  if (qmatmul_shape(g, n, 0, 1, dims, &r, &m, &nn) ||
      check_zp(g, n, 2, "a_zero_point", nc_in(g, n, 0), m) ||
      check_zp(g, n, 3, "b_zero_point", nc_in(g, n, 1), nn))
    return -1;
  nc_set_out(g, n, 0, NC_S32, r, dims);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

static int lower_qlinearmatmul(nc_graph *g, nc_node *n) {
  int64_t dims[NC_MAX_DIMS], m, nn;
  int r;
  if (qmatmul_shape(g, n, 0, 3, dims, &r, &m, &nn) || check_scale(g, n, 1, "a_scale", m) ||
      check_zp(g, n, 2, "a_zero_point", nc_in(g, n, 0), m) ||
      check_scale(g, n, 4, "b_scale", nn) || check_zp(g, n, 5, "b_zero_point", nc_in(g, n, 3), nn) ||
      check_scale(g, n, 6, "y_scale", 1))
    return -1;
  int32_t ydt;
  if (output_qtype(g, n, 7, &ydt)) return -1;
  nc_set_out(g, n, 0, ydt, r, dims);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

const nc_op_def nc_ops_quant[] = {
    {"QuantizeLinear", 2, 3, 1, 1, 0, lower_quantizelinear, NULL},
    {"DequantizeLinear", 2, 3, 1, 1, 0, lower_dequantizelinear, NULL},
    {"DynamicQuantizeLinear", 1, 1, 3, 3, 0, lower_dynamicquantizelinear, NULL},
    {"ConvInteger", 2, 4, 1, 1, 0, lower_convinteger, NULL},
    {"QLinearConv", 8, 9, 1, 1, 0, lower_qlinearconv, NULL},
    {"MatMulInteger", 2, 4, 1, 1, 0, lower_matmulinteger, NULL},
    {"QLinearMatMul", 8, 8, 1, 1, 0, lower_qlinearmatmul, NULL},
    {0},
};
