/* Layer definitions: what the compiler knows about each ONNX op — arity,
 * which inputs are compile-time parameters, and `lower`, which validates the
 * node, infers output shapes/dtypes and computes the routine args (ia/fa,
 * whose index layout is declared in runtime-min/include/neuroc/args.h).
 * Routines (the *how*) live in runtime-min and are listed in its table. */
#ifndef NC_OPS_H
#define NC_OPS_H

#include "ir.h"

typedef struct nc_op_def {
  const char *op;   /* ONNX op type in the default domain */
  int min_in, max_in;
  int min_out, max_out;
  /* Bit i: input i must be known at compile time (shape-determining
   * parameters such as Reshape's shape or Slice's starts); lowering reads it
   * and it is not passed to routines. */
  uint32_t param_inputs;
  /* Validate attributes and input descs, set output descs with nc_set_out()
   * and routine args with nc_node_set_args(). An output whose value is fully
   * known (Shape, Size) may get its data set directly: the node then folds.
   * Returns 0, or -1 after nc_node_fail(). */
  int (*lower)(nc_graph *g, nc_node *n);
  /* Optional: fold a following activation into this layer's args; returns 1
   * if it did. act is an nc_act value. */
  int (*fuse_act)(nc_node *n, int act, double alpha, double beta);
} nc_op_def;

/* Lookup by op type; NULL if unsupported. */
const nc_op_def *nc_op_find(const char *op);

/* Per-family tables, each terminated by an entry with op == NULL. */
extern const nc_op_def nc_ops_elementwise[];
extern const nc_op_def nc_ops_nn[];
extern const nc_op_def nc_ops_tensor[];
extern const nc_op_def nc_ops_reduce[];
extern const nc_op_def nc_ops_quant[];

/* Shared shape helpers (ops/common.c). */
/* Multidirectional (numpy) broadcast of a and b into out; -1 if incompatible. */
int nc_broadcast(const nc_tdesc *a, const nc_tdesc *b, nc_tdesc *out);
/* Normalise a possibly negative axis against rank; -1 if out of range. */
int nc_axis(int64_t axis, int rank);

#endif
