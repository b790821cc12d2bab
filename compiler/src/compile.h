/* The pipeline after import: passes -> routine selection (DPRS over measured
 * costs) -> memory plan -> emission. Each stage has its own file. */
#ifndef NC_COMPILE_H
#define NC_COMPILE_H

#include <stdio.h>

#include "ir.h"
#include "neuroc/routines.h"
#include "target.h"

/* ---- passes.c: lowering + shape inference + constant folding, BN folding,
 * activation fusion, dead-node removal. Returns -1 with a message. ---- */
typedef struct nc_pass_stats {
  int folded, noops_removed, bn_folded, act_fused, dead_removed;
  int residual_fused; /* Add (+ its activation) fused into the producing Conv */
} nc_pass_stats;
int nc_run_passes(nc_graph *g, nc_pass_stats *st);
/* Routine arguments of a lowered, live node (arrays owned by the struct). */
typedef struct nc_node_args {
  nc_args a;
  nc_tdesc in[64], out[16];
  int in_tensor[64];  /* tensor index per routine input (-1 = omitted) */
  int out_tensor[16]; /* tensor index per output (-1 = omitted) */
} nc_node_args;
int nc_node_args_build(const nc_graph *g, const nc_node *n, nc_node_args *na);
/* dtype that selects routines: first routine input, else first output. */
int32_t nc_node_key_dtype(const nc_node_args *na);
/* Reference routine for a layer and dtype, or NULL. */
const nc_routine *nc_reference_routine(const char *layer, int32_t dtype, const nc_args *a);

/* ---- profile_local.c: the cost source (one interface; the remote agent of a
 * later issue plugs in here). ---- */
typedef struct nc_cost_source {
  const char *name;
  /* Measure routine r on args a (weights for constant inputs may be given in
   * `consts`, per routine input, NULL where not constant or unknown). Sets
   * *ms (median) and *spread (relative IQR). Returns 0 or -1. */
  int (*measure)(struct nc_cost_source *s, const nc_routine *r, const nc_args *a,
                 const void *const *consts, double *ms, double *spread);
  void *ctx;
  long measured, cached;
  /* Identity of what measures: the target fingerprint (CPU, ISA, toolchain)
   * and the routine library version. Profile DB entries key on both. */
  const char *fingerprint;
  const char *library_version;
  /* Optional: answer from stored results without measuring. Returns 1 and
   * sets *ms and *spread when known, 0 when it would have to be measured. */
  int (*lookup)(struct nc_cost_source *s, const nc_routine *r, const nc_args *a,
                const void *const *consts, double *ms, double *spread);
} nc_cost_source;
nc_cost_source *nc_cost_local_new(const nc_target *t);
void nc_cost_free(nc_cost_source *s);

/* ---- select.c: candidates per layer and DPRS ---- */
typedef struct nc_options {
  const nc_target *target;
  const char *prefix;       /* C symbol prefix, default "model" */
  const char *const *force; /* --routine patterns (glob on concrete descriptors) */
  int n_force;
  int verbose;
  int quiet;
  /* Storage of activations (--dtype): f32 only, int8 wherever an int8
   * routine applies, or auto (DPRS decides per layer under an accuracy
   * budget). Quantized candidates need calibrated tensors (qscale > 0). */
  int dtype_mode;
  /* Weight of a candidate's error estimate in the DPRS objective (ms per
   * unit of relative error); the auto mode searches it to meet the budget. */
  double error_weight;
  /* Prices of bytes in the DPRS objective (ms per byte) set by the memory
   * budget search (nc_select_fit_budget): a candidate's flash (packed
   * weights) and RAM (scratch + output activations) bytes. 0 = time only. */
  double flash_weight, ram_weight;
} nc_options;
enum nc_dtype_mode { NC_DTYPE_F32 = 0, NC_DTYPE_INT8 = 1, NC_DTYPE_AUTO = 2 };
/* Where costs come from and how far the pipeline goes (nc_compile_graph_ex);
 * kept apart from nc_options so its positional initialisers stay valid. */
typedef struct nc_tune_options {
  const char *db_path;   /* profile database file; NULL = none */
  const char *plan_path; /* emit from this plan.yaml: no cost source, no measuring */
  nc_cost_source *cost;  /* shared cost source (several models); NULL = one per call */
  int stop_after;        /* nc_stop_after */
  /* --dtype int8|auto: calibration and accuracy budget (quantize.h); NULL
   * = defaults (random calibration samples, no budget). */
  const struct nc_quant_options *quant;
} nc_tune_options;
typedef enum nc_stop_after {
  NC_STOP_NONE = 0,   /* emit model.c, model.h, plan.yaml */
  NC_STOP_SELECT = 1, /* measure and run DPRS, write nothing (`neuroc profile`) */
  NC_STOP_PLAN = 2    /* write plan.yaml only (`neuroc tune`) */
} nc_stop_after;

typedef struct nc_cand {
  const nc_routine *r;
  char desc[160];
  double ms, spread;
  /* Args it runs with: NULL = the layer's own (na), else a quantized variant
   * in the layer's qna (use nc_cand_args). */
  const nc_node_args *qa;
  /* Estimated relative output error it adds (quantized candidates; 0 for
   * routines exact to summation order). */
  double err;
  /* Bytes it adds (nc_select_fit_budget): flash = its constant inputs as
   * stored (packed or raw, aligned); ram = scratch + its outputs in its
   * layout (blocked layouts pad C). */
  size_t flash, ram;
} nc_cand;

typedef struct nc_layer_sel {
  int node;
  nc_node_args na;
  nc_cand *cands;
  int n_cands;
  int chosen;
  /* Quantized variants of na, [in_q * NC_Q_COUNT + out_q] (NULL when the
   * layer is not offered quantized routines). */
  nc_node_args *qna;
} nc_layer_sel;
/* The args candidate c of ls runs with. */
const nc_node_args *nc_cand_args(const nc_layer_sel *ls, int c);

typedef struct nc_selection {
  nc_layer_sel *layers; /* in execution (topological) order */
  int n_layers;
  double total_ms, lower_bound_ms;
  int exact;
  long dprs_states;
  double dprs_seconds;
  /* per tensor: produced format (nc_format: layout + storage) */
  int *tensor_format;
  nc_cost_source *cost; /* NULL when the selection was read from a plan */
  /* Adapter cost per [tensor][from][to] format (ms; negative = none), what
   * DPRS used; the emitter reads its adapter steps' times from here. */
  double *adapter_ms;
  int n_tensors;
  /* What measured: cost source name, target fingerprint, library version. */
  char *cost_name, *fingerprint, *library_version;
  /* Distinct (routine, args) pairs needed; of those measured now / stored. */
  long n_distinct, n_measured_new, n_from_db;
  /* Error of this choice against f32, measured on the calibration samples
   * (quantized selections only; model_err_samples 0 = not measured). */
  double model_rel_l2, model_top1;
  int model_err_samples;
} nc_selection;
/* Returns 0; -1 when a layer has no applicable routine; -2 when measuring
 * failed (message in nc_err_msg()). */
int nc_select(nc_graph *g, const nc_options *o, nc_cost_source *cost, nc_selection *sel);
void nc_selection_free(nc_selection *sel);
/* (Re)run DPRS over sel's candidates (time + o->error_weight * err) and
 * adapter times, without measuring: sets chosen, tensor_format, totals.
 * Returns 0 or -1 (no feasible assignment). */
int nc_select_solve(const nc_graph *g, const nc_options *o, nc_selection *sel);
/* Memory budgets (target `ram:`/`flash:`): if the time-optimal plan does not
 * fit, bisect a price per byte (DPRS stays exact for each price) until the
 * emitter's own numbers fit. o carries the accuracy weight in use. Returns 0
 * (sel fits or no budget), -1 with a message naming what would need to
 * shrink. */
typedef struct nc_budget_report {
  int active;    /* 1: the time-optimal plan did not fit and the search ran */
  int solves;    /* DPRS runs of the search */
  double lambda; /* ms per budget-full of bytes at the chosen plan */
  size_t used_ram, used_flash;
} nc_budget_report;
int nc_select_fit_budget(const nc_graph *g, const nc_options *o, nc_selection *sel,
                         nc_budget_report *rep);
/* The smallest w in [lo, hi] on a log grid (steps bisections) for which
 * test(ctx, w) passes (1), given that hi passes; test returns 0 when it
 * fails, -1 on error. Used by the accuracy and the memory budget searches.
 * Returns 0 (*best = w) or -1. */
int nc_bisect_weight(int (*test)(void *ctx, double w), void *ctx, double lo, double hi,
                     int steps, double *best);
/* Candidate routines of layer k of sel (sel->layers[k].na built): fills
 * cands/n_cands like nc_select does. Returns 0 or -1 (no routine applies). */
int nc_select_candidates(const nc_graph *g, const nc_options *o, nc_layer_sel *ls);
/* Adapter time DPRS used for tensor from -> to, or a negative value. */
double nc_selection_adapter_ms(const nc_selection *sel, int tensor, int from, int to);
/* Adapter routine converting a tensor of logical dtype between formats
 * (nc_format: layout + storage; plain layouts are formats with NC_Q_NONE).
 * Its args: in = nc_format_desc(t, from), out = nc_format_desc(t, to). */
const nc_routine *nc_adapter_routine(int32_t dtype, int from, int to);
/* Descriptor of tensor t stored in format fmt: its own desc, or u8 with its
 * calibrated scale and zero point for NC_Q_U8 formats. */
void nc_format_desc(const nc_tensor *t, int fmt, nc_tdesc *d);
/* The adapter the target uses: the last match whose ISA the target allows
 * (vector versions follow the portable ones in the table); selection, the
 * emitter and the plan reader all pick through this. */
const nc_routine *nc_adapter_routine_for(const nc_options *o, int32_t dtype, int from, int to);

/* ---- emit.c: memory plan + model.c/model.h/plan.yaml ---- */
typedef struct nc_emit_info {
  size_t arena_bytes, arena_lower_bound, weights_bytes;
  int n_steps, n_adapters;
  /* The static objects model.c defines: RAM = sizeof(<p>_arena) (the arena
   * holds activations and routine scratch), flash = sizeof(<p>_weights)
   * (packed weights with alignment padding); 0 when absent. */
  size_t used_ram, used_flash;
} nc_emit_info;
int nc_emit(const nc_graph *g, const nc_selection *sel, const nc_options *o, const char *dir,
            nc_emit_info *info);
/* Build the step list and plan the arena only: info without writing. */
int nc_emit_sizes(const nc_graph *g, const nc_selection *sel, const nc_options *o,
                  nc_emit_info *info);
/* Only DIR/plan.yaml (what `neuroc tune` writes). */
int nc_emit_plan(const nc_graph *g, const nc_selection *sel, const nc_options *o, const char *dir,
                 nc_emit_info *info);

/* ---- build.c: build the emitted model with the target toolchain and run it ---- */
typedef struct nc_run_result {
  double cc_seconds;
  double median_ms;
} nc_run_result;
/* inputs: one per graph input in model order; outputs: filled (malloc'd data)
 * one per graph output. */
int nc_build_and_run(const nc_graph *g, const nc_options *o, const char *dir,
                     const nc_const *inputs, nc_const *outputs, int repeat,
                     nc_run_result *res);

/* ---- pipeline.c: passes -> select -> emit in one call ---- */
typedef enum nc_stage {
  NC_STAGE_OK = 0,
  NC_STAGE_PASSES = 1, /* unsupported or invalid layer (message says which) */
  NC_STAGE_SELECT = 2, /* no routine applies / measuring failed */
  NC_STAGE_EMIT = 3,   /* could not write the output */
  NC_STAGE_INPUT = 4,  /* plan or profile DB unreadable, mismatched or inconsistent */
  NC_STAGE_MEASURE = 5 /* the cost source failed (agent unreachable, died, refused) */
} nc_stage;
typedef struct nc_compile_report {
  nc_pass_stats passes;
  nc_emit_info emit;
  int n_layers;
  long measured, cached;
  int exact;
  double predicted_ms, dprs_seconds;
  /* 1 if some chosen routine matches a --routine pattern */
  int forced_used;
  /* distinct (routine, args) pairs, measured now, taken from the profile DB */
  long distinct, measured_new, from_db;
  /* quantized compiles: layers running quantized routines, calibration
   * samples (random: 1 if the random fallback), measured model error */
  int quant_layers, calib_samples, calib_random, budget;
  double model_rel_l2, model_top1, error_weight, quant_seconds;
  nc_budget_report mem; /* memory budget search (ram:/flash: in the target spec) */
} nc_compile_report;
/* Compile an imported graph into dir. Returns an nc_stage (message in nc_err_msg()). */
int nc_compile_graph(nc_graph *g, const nc_options *o, const char *dir, nc_compile_report *rep);
/* Same, with a profile DB, a shared cost source, a plan to emit from, or
 * stopping after selection / after plan.yaml. tu == NULL: nc_compile_graph. */
int nc_compile_graph_ex(nc_graph *g, const nc_options *o, const nc_tune_options *tu,
                        const char *dir, nc_compile_report *rep);

/* The cost source for a target spec (the local profiler, or the agent its
 * `agent:` section names) behind the profile DB at db_path (NULL: no DB).
 * NULL + message on failure. Release with nc_cost_free. */
nc_cost_source *nc_cost_open(const nc_target *t, const char *db_path);

/* ---- files.c: output directories and atomic files ---- */
int nc_mkdir_p(const char *dir);
/* Write a whole file atomically (tmp + rename). */
int nc_write_file(const char *path, const void *data, size_t n);
/* A file written through PATH.tmp and renamed into place on commit. */
typedef struct nc_afile {
  FILE *f;
  char path[4096], tmp[4200];
} nc_afile;
FILE *nc_afile_open(nc_afile *a, const char *path); /* NULL + nc_fail on error */
/* Close; rename into place if ok, else (or on a write error) remove the
 * temporary. Returns 0 or -1 with a message. */
int nc_afile_commit(nc_afile *a, int ok);

/* ---- util ---- */
double nc_now_seconds(void);
/* glob match ('*' and '?') */
int nc_glob_match(const char *pat, const char *s);

#endif
