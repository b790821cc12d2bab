/* DPRS: dynamic programming for routine selection (dprs.c).
 *
 * The problem is abstract (no IR): layers in a topological order, each
 * consuming and producing values; each layer has candidate choices with a
 * cost and required input formats / produced output formats. A value
 * produced in format f and wanted in format g != f by any consumer (or sink)
 * gets one adapter f->g, shared by all consumers that want g; its cost is
 * counted once. That is exactly what the emitter executes. */
#ifndef NC_DPRS_H
#define NC_DPRS_H

#define DPRS_MAX_IO 64     /* activation inputs/outputs per layer (DenseNet concats ~30) */
#define DPRS_MAX_FORMATS 8

typedef struct dprs_choice {
  double cost;
  int in_fmt[DPRS_MAX_IO];  /* format each input must be in */
  int out_fmt[DPRS_MAX_IO]; /* format each output is produced in */
} dprs_choice;

typedef struct dprs_layer {
  int n_in, n_out;
  int in[DPRS_MAX_IO];  /* value ids consumed (may repeat) */
  int out[DPRS_MAX_IO]; /* value ids produced */
  int n_choices;
  const dprs_choice *choices;
} dprs_layer;

typedef struct dprs_problem {
  int n_formats;
  int n_values;
  int n_layers;
  const dprs_layer *layers; /* in topological order */
  /* Virtual source: graph inputs available in a fixed format. */
  int n_sources;
  const int *source_value, *source_fmt;
  /* Virtual sink: graph outputs required in a fixed format. */
  int n_sinks;
  const int *sink_value, *sink_fmt;
  /* Cost of converting `value` from one format to another; a negative
   * return means no adapter exists. */
  double (*adapter_cost)(void *ctx, int value, int from_fmt, int to_fmt);
  void *ctx;
  /* Most DP states kept per step; on overflow the solver reruns with bound
   * pruning (still exact) and beams only if that overflows too;
   * 0 = default (4096). */
  int state_cap;
} dprs_problem;

typedef struct dprs_result {
  int *choice;        /* per layer, index into layer->choices (caller frees) */
  double total;       /* routine + adapter cost of that assignment */
  int exact;          /* 1: proven optimal; 0: bounded search */
  double lower_bound; /* a proven lower bound on the optimum */
  long max_states;    /* largest state set seen */
} dprs_result;

/* Solve. Returns 0, or -1 if no feasible assignment exists (nc_fail message). */
int dprs_solve(const dprs_problem *p, dprs_result *r);
/* Total cost of a given assignment under the shared-adapter rule; negative
 * if infeasible. */
double dprs_evaluate(const dprs_problem *p, const int *choice);
/* Brute force over all assignments (for tests on small problems). */
int dprs_exhaustive(const dprs_problem *p, dprs_result *r);
#endif
