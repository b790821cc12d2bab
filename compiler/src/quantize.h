/* Accuracy-aware precision selection (--dtype int8|auto): calibrate the
 * activations, estimate the error each quantized candidate adds, then let
 * DPRS pick per layer. Under an accuracy budget (--accuracy) the weight of
 * error in the DPRS objective is searched (a Lagrangian multiplier) until
 * the measured model error meets the budget. See docs/quantization.md. */
#ifndef NC_QUANTIZE_H
#define NC_QUANTIZE_H

#include "calibrate.h"

typedef struct nc_quant_options {
  const char *calib_dir; /* --calibrate DIR; NULL: random samples (warned) */
  double percentile;     /* --percentile P: activation range covering P %; 0: min/max */
  int n_random;          /* samples of the random fallback; 0: default */
  double max_rel_l2;     /* budget: model output relative L2 error; <= 0: none */
  double min_top1;       /* budget: top-1 agreement with f32 (0..1]; <= 0: none */
} nc_quant_options;

typedef struct nc_quant_report {
  int n_samples, random;       /* calibration samples; 1 if the random fallback */
  int n_layers, n_quant_layers; /* layers; those running quantized routines */
  double rel_l2, top1;          /* measured model error of the final choice */
  double error_weight;          /* the DPRS weight of error that was used */
  int solves;                   /* DPRS runs of the search */
  int budget;                   /* 0: no budget; 1: met; -1: not met even all-f32 */
  double calib_seconds, error_seconds, search_seconds;
} nc_quant_report;

/* Calibrate g's activations (sets qscale/qzero): nc_calibrate with q's
 * options, the f32 model run by `pick` (NULL: reference routines). */
int nc_quant_calibrate(nc_graph *g, const nc_quant_options *q, const nc_options *o,
                       nc_exec_pick_fn pick, void *pick_ctx, nc_calibration *cal);

/* After nc_select (whose candidates include quantized routines): estimate
 * every quantized candidate's error, choose under the budget, and record the
 * measured model error in sel. Returns 0 or -1 with a message. */
int nc_quant_choose(const nc_graph *g, const nc_options *o, const nc_quant_options *q,
                    const nc_calibration *cal, nc_selection *sel, nc_quant_report *rep);

/* Parse --accuracy: "0.01" or "rel:0.01" (relative L2) or "top1:0.99". */
int nc_quant_parse_accuracy(const char *s, nc_quant_options *q);

#endif
