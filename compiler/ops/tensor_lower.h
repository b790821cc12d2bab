/* Shared by the tensor-family layer definitions (tensor*.c): reading
 * compile-time parameters with errors that name the node and the input. */
#ifndef NC_TENSOR_LOWER_H
#define NC_TENSOR_LOWER_H

#include "neuroc/args.h"
#include "neuroc/routines.h"
#include "ops.h"

/* Most values read from one parameter input or ints attribute. */
#define NC_TL_MAX_PARAM 4096
/* Absent optional parameter (not an error). */
#define NC_TL_ABSENT (-2)

/* Required input i, or NULL after nc_node_fail naming it. */
nc_tensor *nc_tl_req(nc_graph *g, nc_node *n, int i, const char *what);
/* Integer parameter input i into out[cap]: count, NC_TL_ABSENT when left
 * out, -1 after nc_node_fail (not constant, not integer, too many values). */
int nc_tl_param_ints(nc_graph *g, nc_node *n, int i, const char *what, int64_t *out, int cap);
/* Same for any numeric parameter read as doubles. */
int nc_tl_param_doubles(nc_graph *g, nc_node *n, int i, const char *what, double *out, int cap);
/* ints attribute into out[cap]: count, NC_TL_ABSENT, or -1 after nc_node_fail. */
int nc_tl_attr_ints(nc_graph *g, nc_node *n, const char *name, int64_t *out, int cap);
/* Normalise axis against rank or fail naming `what`; returns axis or -1. */
int nc_tl_axis(nc_graph *g, nc_node *n, int64_t axis, int rank, const char *what);
/* 1 if dtype is an integer type (index tensors). */
int nc_tl_is_int(int32_t dtype);
/* Element i of a constant buffer as double / stores into one (host side). */
void nc_tl_put_double(void *p, int32_t dtype, int64_t i, double v);
void nc_tl_put_int(void *p, int32_t dtype, int64_t i, int64_t v);
/* Give output i a value computed at compile time (the node then folds). */
void *nc_tl_set_out_data(nc_graph *g, nc_node *n, int i, int32_t dtype, int ndim,
                         const int64_t *dims);
/* Outputs identical to input 0 reshaped: set output 0 and no routine args. */
int nc_tl_copy_out(nc_graph *g, nc_node *n, int ndim, const int64_t *dims);

/* Lowerings defined in tensor_index.c and tensor_value.c. */
int nc_tl_lower_gather(nc_graph *g, nc_node *n);
int nc_tl_lower_gatherelements(nc_graph *g, nc_node *n);
int nc_tl_lower_gathernd(nc_graph *g, nc_node *n);
int nc_tl_lower_scatterelements(nc_graph *g, nc_node *n);
int nc_tl_lower_scatternd(nc_graph *g, nc_node *n);
int nc_tl_lower_onehot(nc_graph *g, nc_node *n);
int nc_tl_lower_compress(nc_graph *g, nc_node *n);
int nc_tl_lower_reversesequence(nc_graph *g, nc_node *n);
int nc_tl_lower_cumsum(nc_graph *g, nc_node *n);
int nc_tl_lower_range(nc_graph *g, nc_node *n);
int nc_tl_lower_constantofshape(nc_graph *g, nc_node *n);
int nc_tl_lower_shape(nc_graph *g, nc_node *n);
int nc_tl_lower_size(nc_graph *g, nc_node *n);
int nc_tl_lower_eyelike(nc_graph *g, nc_node *n);
int nc_tl_lower_nonzero(nc_graph *g, nc_node *n);

#endif
