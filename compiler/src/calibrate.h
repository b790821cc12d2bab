/* Calibration: sample inputs -> f32 reference run -> per-tensor activation
 * ranges -> u8 parameters (qscale/qzero) of every f32 activation tensor; and
 * the error measures that let selection trade time for accuracy: the error
 * of one layer's candidate routine on the calibration activations, and the
 * error of a whole routine assignment against the f32 outputs.
 * See docs/calibration.md. */
#ifndef NC_CALIBRATE_H
#define NC_CALIBRATE_H

#include "execute.h"

typedef struct nc_calib_opts {
  const char *dir;       /* samples (see docs/calibration.md); NULL: random fallback */
  int n_random;          /* samples of the random fallback; 0: 16 */
  uint64_t seed;         /* of the random fallback; 0: a fixed default */
  double percentile;     /* range covering this % of the values; 0 or 100: min/max */
  int max_layer_samples; /* samples kept for per-layer error; 0: 8 */
  size_t max_keep_bytes; /* memory for the kept activations; 0: 512 MiB */
  int quiet;             /* no warning on stderr for the random fallback */
  /* Routines of the f32 reference run; NULL: the reference routines. Exact
   * faster ones (an f32 selection without approximate routines) make
   * calibrating a large model quicker. */
  nc_exec_pick_fn ref_pick;
  void *ref_pick_ctx;
} nc_calib_opts;

typedef struct nc_calibration {
  const nc_graph *g;
  int n_samples;
  int n_inputs;     /* non-constant graph inputs, in model order */
  nc_const *inputs; /* [sample * n_inputs + i] */
  int random;       /* 1: the samples are the random fallback */
  int n_outputs;
  nc_const *ref_out; /* f32 reference outputs, [sample * n_outputs + o] */
  /* Per tensor (NAN where not an f32 activation): observed min/max over all
   * samples, and the range the parameters were computed from (after the
   * percentile, widened to include 0). */
  float *min, *max, *lo, *hi;
  /* Activations of the first n_keep samples, plain f32 values per tensor,
   * [sample * n_tensors + t] (NULL where not an activation): the inputs and
   * reference outputs of every layer for per-layer error. */
  int n_keep;
  void **kept;
} nc_calibration;

/* Load the samples of o->dir for g's inputs (or make the random fallback).
 * Returns 0, or -1 with a message naming the file and the expected/actual
 * size or dtype. */
int nc_calib_load(const nc_graph *g, const nc_calib_opts *o, nc_calibration *c);

/* nc_calib_load, then run the f32 reference (o->ref_pick) over the
 * samples: collect ranges, keep outputs and the activations of the first
 * samples, and set qscale/qzero of every f32 activation tensor of g.
 * g must be lowered (nc_run_passes). Returns 0 or -1 with a message. */
int nc_calibrate(nc_graph *g, const nc_calib_opts *o, nc_calibration *c);

/* Relative L2 error ||y - y_ref|| / ||y_ref|| of layer `node` run with
 * routine r (its args from nc_exec_routine_args: quantized operands use the
 * calibrated parameters) on the kept reference activations of its inputs,
 * over every output and kept sample. Returns 0 or -1 with a message naming
 * the layer. */
int nc_calib_layer_error(const nc_calibration *c, int node, const nc_routine *r, double *err);

/* Relative L2 error of storing tensor t in u8 with its calibrated parameters
 * (quantize, dequantize) on the kept samples: the error an edge adds when a
 * tensor travels quantized. Returns 0 or -1. */
int nc_calib_tensor_error(const nc_calibration *c, int t, double *err);

typedef struct nc_model_error {
  double rel_l2;     /* sqrt(sum ||y - y_ref||^2 / sum ||y_ref||^2), all outputs, all samples */
  double max_rel_l2; /* worst sample */
  double top1;       /* fraction of rows of output 0 whose argmax (last axis) matches */
  int n_samples;
} nc_model_error;

/* Error of a whole routine assignment (pick, as nc_exec_graph takes it)
 * against the f32 reference outputs, over every calibration sample. */
int nc_calib_model_error(const nc_calibration *c, nc_exec_pick_fn pick, void *pick_ctx,
                         nc_model_error *e);

/* Relative L2 / top-1 helpers, exposed for reports and tests. */
double nc_rel_l2(const float *y, const float *ref, int64_t n);
/* Rows of the last axis where argmax(y) == argmax(ref); *rows gets the count. */
int64_t nc_top1_matches(const nc_tdesc *d, const float *y, const float *ref, int64_t *rows);

void nc_calibration_free(nc_calibration *c);

#endif
