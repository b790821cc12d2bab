/* Shared lowering helpers of the nn family (compiler/ops/nn*.c). */
#ifndef NC_NN_LOWER_H
#define NC_NN_LOWER_H

#include "neuroc/args.h"
#include "neuroc/routines.h"
#include "ops.h"

/* Input i with a known dtype and shape, or NULL after nc_node_fail naming `what`. */
nc_tensor *nc_nn_need_in(nc_graph *g, nc_node *n, int i, const char *what);
/* Fail unless t's dtype bit is in `dtypes` (NC_DT bits). */
int nc_nn_check_dtype(nc_graph *g, nc_node *n, const nc_tensor *t, const char *what,
                      uint32_t dtypes);
/* Read an ints attribute that must have exactly `count` entries each >= min_val,
 * or fill `dflt` when absent. Returns 0 or -1 after nc_node_fail. */
int nc_nn_ints_attr(nc_graph *g, nc_node *n, const char *name, int count, int64_t dflt,
                    int64_t min_val, int64_t *out);

/* Spatial geometry shared by Conv and the pools: pads resolved, output sizes. */
typedef struct nc_nn_window {
  int nsp;
  int64_t in[NC_NN_MAX_SPATIAL], k[NC_NN_MAX_SPATIAL], stride[NC_NN_MAX_SPATIAL];
  int64_t dil[NC_NN_MAX_SPATIAL], pad_begin[NC_NN_MAX_SPATIAL], pad_end[NC_NN_MAX_SPATIAL];
  int64_t out[NC_NN_MAX_SPATIAL];
} nc_nn_window;

/* Reads strides, dilations, pads and auto_pad (k[] and in[] already set) and
 * computes out[]; ceil_mode only for pools. Returns 0 or -1 after nc_node_fail. */
int nc_nn_window_resolve(nc_graph *g, nc_node *n, nc_nn_window *w, int ceil_mode);

/* Layer lowerings defined in nn_conv.c and nn_pool.c, listed in nn.c. */
/* numpy matmul output shape of operands with descs ad and bd (MatMul,
 * MatMulInteger, QLinearMatMul): dims/rank, and *m, *nn = rows of A and
 * columns of B (1 for a 1-D operand). Returns 0 or -1 naming the node. */
int nc_nn_matmul_shape(nc_graph *g, nc_node *n, const nc_tdesc *ad, const nc_tdesc *bd,
                       int64_t *dims, int *rank, int64_t *m, int64_t *nn);
int nc_nn_lower_conv(nc_graph *g, nc_node *n);
int nc_nn_fuse_conv_act(nc_node *n, int act, double alpha, double beta);
int nc_nn_lower_convtranspose(nc_graph *g, nc_node *n);
int nc_nn_lower_maxpool(nc_graph *g, nc_node *n);
int nc_nn_lower_averagepool(nc_graph *g, nc_node *n);
int nc_nn_lower_lppool(nc_graph *g, nc_node *n);
int nc_nn_lower_global_pool(nc_graph *g, nc_node *n);

#endif
