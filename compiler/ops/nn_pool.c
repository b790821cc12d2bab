/* Lowering of MaxPool, AveragePool, LpPool (1-D..3-D) and the global pools. */
#include <string.h>

#include "nn_lower.h"

typedef enum pool_kind { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

static int lower_pool(nc_graph *g, nc_node *n, pool_kind kind) {
  nc_tensor *x = nc_nn_need_in(g, n, 0, "X");
  if (!x || nc_nn_check_dtype(g, n, x, "input X", NC_DT(NC_F32))) return -1;
  int r = x->desc.ndim;
  if (r < 3 || r > 2 + NC_NN_MAX_SPATIAL)
    return nc_node_fail(g, n, "input X has rank %d; only 1-D to 3-D pooling (rank 3 to 5) "
                        "is supported", r);
  nc_nn_window w;
  memset(&w, 0, sizeof w);
  w.nsp = r - 2;
  for (int d = 0; d < w.nsp; d++) w.in[d] = x->desc.dims[2 + d];
  const int64_t *kv;
  if (nc_attr_ints(n, "kernel_shape", &kv) < 0)
    return nc_node_fail(g, n, "attribute kernel_shape is required");
  if (nc_nn_ints_attr(g, n, "kernel_shape", w.nsp, 1, 1, w.k)) return -1;
  int64_t ceil_mode = nc_attr_int(n, "ceil_mode", 0);
  if (nc_nn_window_resolve(g, n, &w, ceil_mode != 0)) return -1;
  int64_t storage = nc_attr_int(n, "storage_order", 0);
  if (storage != 0 && storage != 1)
    return nc_node_fail(g, n, "storage_order = %lld must be 0 or 1", (long long)storage);
  int64_t p = nc_attr_int(n, "p", 2);
  if (kind == POOL_LP && p < 1) return nc_node_fail(g, n, "p = %lld must be >= 1", (long long)p);

  int64_t dims[NC_MAX_DIMS] = {x->desc.dims[0], x->desc.dims[1]};
  for (int d = 0; d < w.nsp; d++) dims[2 + d] = w.out[d];
  nc_set_out(g, n, 0, NC_F32, r, dims);
  if (kind == POOL_MAX && nc_out(g, n, 1)) nc_set_out(g, n, 1, NC_S64, r, dims);

  int64_t ia[NC_POOL_IA_COUNT] = {0};
  ia[NC_POOL_IA_NSPATIAL] = w.nsp;
  for (int d = 0; d < NC_NN_MAX_SPATIAL; d++) {
    int on = d < w.nsp;
    ia[NC_POOL_IA_KERNEL + d] = on ? w.k[d] : 1;
    ia[NC_POOL_IA_STRIDE + d] = on ? w.stride[d] : 1;
    ia[NC_POOL_IA_DILATION + d] = on ? w.dil[d] : 1;
    ia[NC_POOL_IA_PAD_BEGIN + d] = on ? w.pad_begin[d] : 0;
    ia[NC_POOL_IA_PAD_END + d] = on ? w.pad_end[d] : 0;
  }
  ia[NC_POOL_IA_COUNT_INCLUDE_PAD] = nc_attr_int(n, "count_include_pad", 0) != 0;
  ia[NC_POOL_IA_STORAGE_ORDER] = storage;
  ia[NC_POOL_IA_P] = p;
  nc_node_set_args(n, ia, NC_POOL_IA_COUNT, NULL, 0);
  return 0;
}

int nc_nn_lower_maxpool(nc_graph *g, nc_node *n) { return lower_pool(g, n, POOL_MAX); }
int nc_nn_lower_averagepool(nc_graph *g, nc_node *n) { return lower_pool(g, n, POOL_AVG); }
int nc_nn_lower_lppool(nc_graph *g, nc_node *n) { return lower_pool(g, n, POOL_LP); }

int nc_nn_lower_global_pool(nc_graph *g, nc_node *n) {
  nc_tensor *x = nc_nn_need_in(g, n, 0, "X");
  if (!x || nc_nn_check_dtype(g, n, x, "input X", NC_DT(NC_F32))) return -1;
  if (x->desc.ndim < 3)
    return nc_node_fail(g, n, "input X has rank %d, expected at least 3 ([N, C, spatial...])",
                        x->desc.ndim);
  int64_t dims[NC_MAX_DIMS];
  for (int d = 0; d < x->desc.ndim; d++) dims[d] = d < 2 ? x->desc.dims[d] : 1;
  nc_set_out(g, n, 0, NC_F32, x->desc.ndim, dims);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

