/* Lowering of Conv and ConvTranspose (1-D..3-D, groups, dilations, pads,
 * auto_pad; ConvTranspose also output_padding and output_shape). */
#include <string.h>

#include "nn_lower.h"

/* Checks X/W ranks and the optional bias; sets nsp, in[] and k[]. */
static int conv_operands(nc_graph *g, nc_node *n, nc_nn_window *w, const nc_tensor **x,
                         const nc_tensor **wt, int64_t bias_len) {
  if (!(*x = nc_nn_need_in(g, n, 0, "X")) || !(*wt = nc_nn_need_in(g, n, 1, "W"))) return -1;
  if (nc_nn_check_dtype(g, n, *x, "input X", NC_DT(NC_F32)) ||
      nc_nn_check_dtype(g, n, *wt, "input W", NC_DT(NC_F32)))
    return -1;
  int r = (*x)->desc.ndim;
  if (r < 3 || r > 2 + NC_NN_MAX_SPATIAL)
    return nc_node_fail(g, n, "input X has rank %d; only 1-D to 3-D convolutions "
                        "(rank 3 to 5) are supported", r);
  if ((*wt)->desc.ndim != r)
    return nc_node_fail(g, n, "weight W has rank %d but X has rank %d (W must be "
                        "[M, C/group, k...])", (*wt)->desc.ndim, r);
  w->nsp = r - 2;
  for (int d = 0; d < w->nsp; d++) {
    w->in[d] = (*x)->desc.dims[2 + d];
    w->k[d] = (*wt)->desc.dims[2 + d];
  }
  int64_t ks[NC_NN_MAX_SPATIAL];
  const int64_t *kv;
  if (nc_attr_ints(n, "kernel_shape", &kv) >= 0) {
    if (nc_nn_ints_attr(g, n, "kernel_shape", w->nsp, 1, 1, ks)) return -1;
    for (int d = 0; d < w->nsp; d++)
      if (ks[d] != w->k[d])
        return nc_node_fail(g, n, "kernel_shape[%d] = %lld does not match W dim %lld", d,
                            (long long)ks[d], (long long)w->k[d]);
  }
  nc_tensor *b = nc_in(g, n, 2);
  if (b) {
    if (!nc_nn_need_in(g, n, 2, "B") || nc_nn_check_dtype(g, n, b, "input B", NC_DT(NC_F32)))
      return -1;
    if (b->desc.ndim != 1 || b->desc.dims[0] != bias_len)
      return nc_node_fail(g, n, "bias B must be 1-D with %lld values", (long long)bias_len);
  }
  return 0;
}

static int64_t read_group(nc_graph *g, nc_node *n) {
  int64_t grp = nc_attr_int(n, "group", 1);
  if (grp < 1) nc_node_fail(g, n, "group = %lld must be >= 1", (long long)grp);
  return grp;
}

/* Writes the nn conv arg layout; keeps a fused activation already recorded. */
static void set_conv_args(nc_node *n, const nc_nn_window *w, int64_t grp) {
  int64_t ia[NC_CONV_IA_COUNT] = {0};
  double fa[NC_CONV_FA_COUNT] = {0};
  if (n->ia && n->n_ia == NC_CONV_IA_COUNT && n->fa && n->n_fa == NC_CONV_FA_COUNT) {
    ia[NC_CONV_IA_ACT] = n->ia[NC_CONV_IA_ACT];
    fa[NC_CONV_FA_ACT_ALPHA] = n->fa[NC_CONV_FA_ACT_ALPHA];
    fa[NC_CONV_FA_ACT_BETA] = n->fa[NC_CONV_FA_ACT_BETA];
  }
  ia[NC_CONV_IA_NSPATIAL] = w->nsp;
  ia[NC_CONV_IA_GROUP] = grp;
  for (int d = 0; d < NC_NN_MAX_SPATIAL; d++) {
    int on = d < w->nsp;
    ia[NC_CONV_IA_STRIDE + d] = on ? w->stride[d] : 1;
    ia[NC_CONV_IA_DILATION + d] = on ? w->dil[d] : 1;
    ia[NC_CONV_IA_PAD_BEGIN + d] = on ? w->pad_begin[d] : 0;
    ia[NC_CONV_IA_PAD_END + d] = on ? w->pad_end[d] : 0;
  }
  nc_node_set_args(n, ia, NC_CONV_IA_COUNT, fa, NC_CONV_FA_COUNT);
}

int nc_nn_lower_conv(nc_graph *g, nc_node *n) {
  nc_nn_window w;
  memset(&w, 0, sizeof w);
  const nc_tensor *x, *wt;
  int64_t grp = read_group(g, n);
  if (grp < 1) return -1;
  nc_tensor *wprobe = nc_in(g, n, 1);
  int64_t m = wprobe && wprobe->desc.ndim >= 1 ? wprobe->desc.dims[0] : 0;
  if (conv_operands(g, n, &w, &x, &wt, m)) return -1;
  int64_t c = x->desc.dims[1];
  if (c % grp != 0 || m % grp != 0)
    return nc_node_fail(g, n, "group = %lld does not divide input channels %lld and output "
                        "channels %lld", (long long)grp, (long long)c, (long long)m);
  if (wt->desc.dims[1] * grp != c)
    return nc_node_fail(g, n, "W has %lld input channels per group but X has %lld channels "
                        "in %lld groups", (long long)wt->desc.dims[1], (long long)c,
                        (long long)grp);
  if (nc_nn_window_resolve(g, n, &w, 0)) return -1;
  int64_t dims[NC_MAX_DIMS] = {x->desc.dims[0], m};
  for (int d = 0; d < w.nsp; d++) dims[2 + d] = w.out[d];
  nc_set_out(g, n, 0, NC_F32, 2 + w.nsp, dims);
  set_conv_args(n, &w, grp);
  return 0;
}

/* Records the activation in the args (allocating them if lowering has not run
 * yet; lowering keeps it). Only one activation can be fused. */
int nc_nn_fuse_conv_act(nc_node *n, int act, double alpha, double beta) {
  if (act <= NC_ACT_NONE || act > NC_ACT_SILU) return 0;
  if (!n->ia || n->n_ia != NC_CONV_IA_COUNT || !n->fa || n->n_fa != NC_CONV_FA_COUNT) {
    int64_t ia[NC_CONV_IA_COUNT] = {0};
    double fa[NC_CONV_FA_COUNT] = {0};
    nc_node_set_args(n, ia, NC_CONV_IA_COUNT, fa, NC_CONV_FA_COUNT);
  }
  if (n->ia[NC_CONV_IA_ACT] != NC_ACT_NONE) return 0;
  n->ia[NC_CONV_IA_ACT] = act;
  n->fa[NC_CONV_FA_ACT_ALPHA] = alpha;
  n->fa[NC_CONV_FA_ACT_BETA] = beta;
  return 1;
}

/* ConvTranspose pads: from output_shape (pads derived), auto_pad or pads. */
static int convtranspose_window(nc_graph *g, nc_node *n, nc_nn_window *w) {
  const int s = w->nsp;
  int64_t opad[NC_NN_MAX_SPATIAL], pads[2 * NC_NN_MAX_SPATIAL], oshape[NC_NN_MAX_SPATIAL + 2];
  if (nc_nn_ints_attr(g, n, "strides", s, 1, 1, w->stride) ||
      nc_nn_ints_attr(g, n, "dilations", s, 1, 1, w->dil) ||
      nc_nn_ints_attr(g, n, "pads", 2 * s, 0, 0, pads) ||
      nc_nn_ints_attr(g, n, "output_padding", s, 0, 0, opad))
    return -1;
  const char *ap = nc_attr_string(n, "auto_pad", "NOTSET");
  int upper = strcmp(ap, "SAME_UPPER") == 0, same = upper || strcmp(ap, "SAME_LOWER") == 0;
  if (!same && strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0)
    return nc_node_fail(g, n, "auto_pad '%s' is not one of NOTSET, VALID, SAME_UPPER, "
                        "SAME_LOWER", ap);
  const int64_t *osv;
  int n_os = nc_attr_ints(n, "output_shape", &osv);
  if (n_os >= 0 && n_os != s && n_os != s + 2)
    return nc_node_fail(g, n, "output_shape has %d values, expected %d", n_os, s);
  for (int d = 0; d < s; d++) {
    int64_t full = w->stride[d] * (w->in[d] - 1) + opad[d] + (w->k[d] - 1) * w->dil[d] + 1;
    if (n_os >= 0 || same) {
      oshape[d] = n_os >= 0 ? osv[n_os - s + d] : w->in[d] * w->stride[d];
      /* Floor halves (as the ONNX spec's Python does): a negative total
       * (output_shape larger than the natural size) then pads the end. */
      int64_t total = full - oshape[d], half = total >= 0 ? total / 2 : -((1 - total) / 2);
      w->pad_begin[d] = upper ? half : total - half;
      w->pad_end[d] = total - w->pad_begin[d];
      w->out[d] = oshape[d];
    } else {
      int valid = strcmp(ap, "VALID") == 0;
      w->pad_begin[d] = valid ? 0 : pads[d];
      w->pad_end[d] = valid ? 0 : pads[s + d];
      w->out[d] = full - w->pad_begin[d] - w->pad_end[d];
    }
    if (w->out[d] < 1)
      return nc_node_fail(g, n, "output size %lld on spatial dim %d is not positive",
                          (long long)w->out[d], d);
  }
  return 0;
}

int nc_nn_lower_convtranspose(nc_graph *g, nc_node *n) {
  nc_nn_window w;
  memset(&w, 0, sizeof w);
  const nc_tensor *x, *wt;
  int64_t grp = read_group(g, n);
  if (grp < 1) return -1;
  nc_tensor *wprobe = nc_in(g, n, 1);
  int64_t m = wprobe && wprobe->desc.ndim >= 2 ? wprobe->desc.dims[1] * grp : 0;
  if (conv_operands(g, n, &w, &x, &wt, m)) return -1;
  int64_t c = x->desc.dims[1];
  if (c % grp != 0 || wt->desc.dims[0] != c)
    return nc_node_fail(g, n, "W must be [C=%lld, M/group, k...] with group %lld dividing C, "
                        "got W dim 0 = %lld", (long long)c, (long long)grp,
                        (long long)wt->desc.dims[0]);
  if (convtranspose_window(g, n, &w)) return -1;
  int64_t dims[NC_MAX_DIMS] = {x->desc.dims[0], m};
  for (int d = 0; d < w.nsp; d++) dims[2 + d] = w.out[d];
  nc_set_out(g, n, 0, NC_F32, 2 + w.nsp, dims);
  set_conv_args(n, &w, grp);
  return 0;
}

