/* In-process executor: runs layers of a lowered graph on this host with any
 * routine of the routine table, the way constant folding runs reference
 * routines, but for activations too. Calibration (calibrate.c) uses it to run
 * the f32 reference over sample inputs and to measure the error of quantized
 * routines, per layer and for a whole routine assignment.
 *
 * Between layers every activation travels in its *plain format*: the
 * tensor's logical dtype (f32 for a float model) in plain row-major (NCHW)
 * layout. A layer converts each activation input from the plain format to its
 * routine's input format with the adapter routines of the table (quantize,
 * layout change, or a chain of them) and its outputs back. For u8 storage
 * with fixed calibration parameters the round trip q -> f32 -> q is exact,
 * so running the routines a selection chose reproduces the numerics of the
 * emitted model. */
#ifndef NC_EXECUTE_H
#define NC_EXECUTE_H

#include "compile.h"

/* 1 if this process can call r: its fn exists here (table entries of another
 * architecture's ISA have fn == NULL) and this CPU has its ISA. Routines that
 * fail this are replaced by a host stand-in of the same layer, dtype and
 * activation storage (the reference first) in nc_exec_layer_new, so a
 * cross target's selection can still be executed for calibration. */
int nc_exec_host_runnable(const nc_routine *r);

/* Routine args of node n for routine r: the node's logical args with every
 * activation operand (input or output not known at compile time) described
 * in r's storage (nc_format_desc: u8 + the tensor's qscale/qzero when r keeps
 * it quantized). Returns 0, or -1 naming the node when a tensor r quantizes
 * has no calibration parameters (qscale 0). */
int nc_exec_routine_args(const nc_graph *g, int node, const nc_routine *r, nc_node_args *ra);

/* A layer prepared to run routine r: args, constant inputs (packed when r
 * packs them), adapter chains, scratch and format buffers, all allocated
 * once, so a layer can run over many samples. */
typedef struct nc_exec_layer nc_exec_layer;

/* Prepare node `node` of g (lowered by nc_run_passes, live) to run with r.
 * a == NULL: args from nc_exec_routine_args; otherwise a's tdescs are used as
 * given (same n_in/n_out as the node). NULL + message naming the layer when r
 * does not apply, or an operand has no adapter chain to r's format. */
nc_exec_layer *nc_exec_layer_new(const nc_graph *g, int node, const nc_routine *r,
                                 const nc_args *a);
/* Run once. acts[i]: routine input i in plain format for activation inputs
 * (ignored for constant or omitted ones); outs[j]: caller buffers for output
 * j in plain format (numel * dtype size of the output tensor; NULL = output
 * dropped). Returns 0. */
int nc_exec_layer_run(nc_exec_layer *x, const void *const *acts, void *const *outs);
void nc_exec_layer_free(nc_exec_layer *x);
/* One-shot: prepare, run, free. */
int nc_exec_layer_once(const nc_graph *g, int node, const nc_routine *r, const nc_args *a,
                       const void *const *acts, void *const *outs);

/* Routine for a layer, chosen by the caller of nc_exec_graph: sets *r.
 * Returns 0, or -1 with a message. */
typedef int (*nc_exec_pick_fn)(void *ctx, const nc_graph *g, int node, const nc_routine **r);
/* The reference routine of the layer's key dtype (ctx unused). */
int nc_exec_pick_reference(void *ctx, const nc_graph *g, int node, const nc_routine **r);
/* The routine a selection chose (ctx: const nc_selection *); a layer absent
 * from the selection is an error. */
int nc_exec_pick_selection(void *ctx, const nc_graph *g, int node, const nc_routine **r);
/* The routine chosen per node (ctx: const nc_routine *const *, indexed by node;
 * NULL entries fall back to the reference routine). */
int nc_exec_pick_array(void *ctx, const nc_graph *g, int node, const nc_routine **r);

/* Called once per activation tensor (graph inputs included) as soon as its
 * plain-format value exists; `data` stays valid only during the call.
 * Returns 0, or -1 to stop the run (with a message). */
typedef int (*nc_exec_tensor_fn)(void *ctx, const nc_graph *g, int tensor, const void *data);

typedef struct nc_exec_graph_opts {
  nc_exec_pick_fn pick; /* NULL: reference routines */
  void *pick_ctx;
  nc_exec_tensor_fn on_tensor; /* NULL: none */
  void *tensor_ctx;
} nc_exec_graph_opts;

/* Run the live layers of g in topological order. inputs: one per graph input
 * in model order (dtype and element count must match); outputs: one per
 * graph output, filled with malloc'd plain-format data (release with
 * nc_exec_outputs_free). Tensors are freed after their last consumer.
 * o == NULL: reference routines, no callback. Returns 0, or -1 with a message
 * naming the input or the layer. */
int nc_exec_graph(const nc_graph *g, const nc_exec_graph_opts *o, const nc_const *inputs,
                  nc_const *outputs);
void nc_exec_outputs_free(const nc_graph *g, nc_const *outputs);

#endif
