/* Graph IR: layers (nodes) and tensors, as imported from ONNX and rewritten
 * by the passes. Layers say *what* is computed; the routine chosen for each
 * layer lives in the plan (plan.h), never here. */
#ifndef NC_IR_H
#define NC_IR_H

#include <stddef.h>
#include <stdint.h>

#include "neuroc/rt.h"

typedef enum nc_attr_type {
  NC_ATTR_FLOAT = 1,
  NC_ATTR_INT = 2,
  NC_ATTR_STRING = 3,
  NC_ATTR_TENSOR = 4,
  NC_ATTR_GRAPH = 5,
  NC_ATTR_FLOATS = 6,
  NC_ATTR_INTS = 7,
  NC_ATTR_STRINGS = 8
} nc_attr_type;

typedef struct nc_const {
  nc_tdesc desc;
  void *data; /* numel * dtype size bytes, host order */
} nc_const;

typedef struct nc_attr {
  char *name;
  int type;
  int64_t i;
  double f;
  char *s;
  int64_t *ints;
  double *floats;
  int n_ints, n_floats;
  nc_const *t; /* NC_ATTR_TENSOR */
} nc_attr;

typedef struct nc_tensor {
  char *name;
  nc_tdesc desc;   /* dtype 0 / ndim -1 until shape inference sets it */
  void *data;      /* non-NULL: value known at compile time (initializer or folded) */
  int producer;    /* node index, -1 for graph inputs and constants */
  int is_input;    /* graph input (bound at run time) */
  int is_output;   /* graph output */
  /* u8 storage parameters from calibration (qscale 0: not calibrated), used
   * by routines that keep this activation quantized (nc_routine.in_q/out_q);
   * desc itself stays the tensor's logical (float) type. */
  float qscale;
  int32_t qzero;
} nc_tensor;

typedef struct nc_node {
  char *name;
  char *op;      /* ONNX op type */
  char *domain;  /* "" for the default domain */
  int *in;       /* tensor indices; -1 = optional input left out */
  int *out;
  int n_in, n_out;
  nc_attr *attrs;
  int n_attrs;
  /* Set by lowering (ops registry): the routine arguments for this layer. */
  int64_t *ia;
  double *fa;
  int n_ia, n_fa;
  uint32_t param_inputs; /* bit i: input i is a compile-time parameter, not passed to routines */
  int dead;              /* removed by a pass (folded, fused, unused) */
} nc_node;

typedef struct nc_graph {
  char *path;   /* file it came from, for messages */
  int64_t opset; /* default-domain opset */
  nc_tensor *tensors;
  int n_tensors, cap_tensors;
  nc_node *nodes;
  int n_nodes, cap_nodes;
  int *inputs, *outputs; /* tensor indices, in model order */
  int n_inputs, n_outputs;
  /* Name -> tensor index (open addressing, -1 = empty), so that import and
   * lookups stay linear in the graph size. Maintained by nc_graph_tensor. */
  int *name_index;
  int index_cap;
} nc_graph;

/* --- construction and lookup (ir.c) --- */
nc_graph *nc_graph_new(const char *path);
void nc_graph_free(nc_graph *g);
int nc_graph_tensor(nc_graph *g, const char *name);     /* find or create */
int nc_graph_find_tensor(const nc_graph *g, const char *name); /* -1 if absent */
int nc_graph_add_node(nc_graph *g, const char *name, const char *op, const char *domain);
void nc_node_set_io(nc_node *n, const int *in, int n_in, const int *out, int n_out);
nc_attr *nc_node_attr(nc_node *n, const char *name); /* NULL if absent */
int64_t nc_attr_int(nc_node *n, const char *name, int64_t dflt);
double nc_attr_float(nc_node *n, const char *name, double dflt);
const char *nc_attr_string(nc_node *n, const char *name, const char *dflt);
/* ints attribute: returns count (or -1 if absent) and the array through *out. */
int nc_attr_ints(nc_node *n, const char *name, const int64_t **out);
/* Topological order of live nodes into order[]; returns count or -1 on a cycle. */
int nc_graph_topo(const nc_graph *g, int *order);
/* Number of live consumers of tensor t (graph outputs count as one). */
int nc_tensor_uses(const nc_graph *g, int t);
/* Replace every use of tensor `from` by `to` (in live nodes and graph outputs). */
void nc_graph_replace_uses(nc_graph *g, int from, int to);

/* --- node lowering helpers for the layer definitions in compiler/ops/ --- */
/* Input i of n (NULL if omitted); its desc and constant data. */
nc_tensor *nc_in(nc_graph *g, nc_node *n, int i);
nc_tensor *nc_out(nc_graph *g, nc_node *n, int i);
/* Set the routine args of n (copied). */
void nc_node_set_args(nc_node *n, const int64_t *ia, int n_ia, const double *fa, int n_fa);
/* Read constant input i as int64 values (any integer dtype); returns count or -1. */
int nc_const_ints(nc_graph *g, nc_node *n, int i, int64_t *out, int cap);
/* Read constant input i as doubles (any numeric dtype); returns count or -1. */
int nc_const_doubles(nc_graph *g, nc_node *n, int i, double *out, int cap);
/* Set output i's description. */
void nc_set_out(nc_graph *g, nc_node *n, int i, int32_t dtype, int ndim, const int64_t *dims);

/* --- errors: one message, naming what and where --- */
/* Record an error message (printf-style); always returns -1 so callers can
 * `return nc_fail(...)`. The first message wins until nc_err_clear(). */
int nc_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Convenience: "FILE: node 'NAME' (OP): <msg>" */
int nc_node_fail(const nc_graph *g, const nc_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *nc_err_msg(void);
void nc_err_clear(void);

/* xmalloc family: abort with a message on out-of-memory (compiler side only). */
/* Prints what failed and exits with status 70; the x* allocators call it. */
_Noreturn void nc_oom(size_t n);
void *nc_xmalloc(size_t n);
void *nc_xcalloc(size_t n, size_t sz);
void *nc_xrealloc(void *p, size_t n);
char *nc_xstrdup(const char *s);

#endif
