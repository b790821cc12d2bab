/* Accuracy-aware precision selection: per-candidate error estimates from the
 * calibration activations, DPRS over time + weight x error, and a search of
 * that weight against the error measured on the whole model. */
#include "quantize.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nc_quant_calibrate(nc_graph *g, const nc_quant_options *q, const nc_options *o,
                       nc_exec_pick_fn pick, void *pick_ctx, nc_calibration *cal) {
  nc_calib_opts co;
  memset(&co, 0, sizeof co);
  co.dir = q ? q->calib_dir : NULL;
  co.percentile = q ? q->percentile : 0.0;
  co.n_random = q ? q->n_random : 0;
  co.quiet = o->quiet;
  co.ref_pick = pick;
  co.ref_pick_ctx = pick_ctx;
  return nc_calibrate(g, &co, cal);
}

int nc_quant_parse_accuracy(const char *s, nc_quant_options *q) {
  const char *v = s;
  int top1 = 0;
  if (strncmp(s, "top1:", 5) == 0) {
    top1 = 1;
    v = s + 5;
  } else if (strncmp(s, "rel:", 4) == 0) {
    v = s + 4;
  }
  char *end;
  double x = strtod(v, &end);
  if (end == v || *end || !(x > 0.0) || (top1 && x > 1.0))
    return nc_fail("--accuracy '%s': expected a relative error > 0 (e.g. 0.01 or rel:0.01) or "
                   "top1:F with 0 < F <= 1", s);
  if (top1) q->min_top1 = x;
  else q->max_rel_l2 = x;
  return 0;
}

/* Error of every quantized candidate of every layer. Routines of one layer
 * that store the same operands the same way compute the same numbers (the
 * int8 kernels are tested equal to their portable version), so one estimate
 * per (layer, storage variant) serves them all. */
static int estimate_errors(const nc_calibration *cal, nc_selection *sel) {
  for (int k = 0; k < sel->n_layers; k++) {
    nc_layer_sel *ls = &sel->layers[k];
    double known[NC_Q_COUNT * NC_Q_COUNT];
    for (int i = 0; i < NC_Q_COUNT * NC_Q_COUNT; i++) known[i] = -1.0;
    for (int c = 0; c < ls->n_cands; c++) {
      nc_cand *cd = &ls->cands[c];
      if (!cd->qa) continue;
      int v = cd->r->in_q * NC_Q_COUNT + cd->r->out_q;
      if (known[v] < 0.0 && nc_calib_layer_error(cal, ls->node, cd->r, &known[v])) return -1;
      /* a floor keeps exact-looking quantized layers priced above f32 ones */
      cd->err = known[v] > 1e-9 ? known[v] : 1e-9;
    }
  }
  return 0;
}

static int meets(const nc_quant_options *q, const nc_model_error *e) {
  if (q->max_rel_l2 > 0.0 && !(e->rel_l2 <= q->max_rel_l2)) return 0;
  if (q->min_top1 > 0.0 && !(e->top1 >= q->min_top1)) return 0;
  return 1;
}

/* DPRS with error weighted by w, then the model error of its choice. */
static int solve_and_measure(const nc_graph *g, const nc_options *o, double w,
                             const nc_calibration *cal, nc_selection *sel, nc_model_error *e,
                             nc_quant_report *rep) {
  nc_options ow = *o;
  ow.error_weight = w;
  rep->solves++;
  if (nc_select_solve(g, &ow, sel)) return -1;
  return nc_calib_model_error(cal, nc_exec_pick_selection, sel, e);
}

typedef struct weight_search {
  const nc_graph *g;
  const nc_options *o;
  const nc_quant_options *q;
  const nc_calibration *cal;
  nc_selection *sel;
  nc_model_error *best; /* the error of the last choice that met the budget */
  nc_quant_report *rep;
} weight_search;

/* nc_bisect_weight's test: does the choice at weight w meet the budget? */
static int weight_meets(void *ctx, double w) {
  weight_search *ws = ctx;
  nc_model_error e;
  if (solve_and_measure(ws->g, ws->o, w, ws->cal, ws->sel, &e, ws->rep)) return -1;
  if (!meets(ws->q, &e)) return 0;
  *ws->best = e;
  return 1;
}

/* The smallest weight (on a log grid, by bisection) whose choice meets the
 * budget: the fastest choice found within it. Weight 0 is pure time. */
static int search_weight(const nc_graph *g, const nc_options *o, const nc_quant_options *q,
                         const nc_calibration *cal, nc_selection *sel, nc_model_error *best,
                         nc_quant_report *rep) {
  enum { STEPS = 12 };
  const double W_MAX = 1e9; /* ms per unit of relative error: effectively f32 */
  nc_model_error e;
  if (solve_and_measure(g, o, 0.0, cal, sel, &e, rep)) return -1;
  rep->error_weight = 0.0;
  *best = e;
  if (meets(q, &e)) return 0;
  double lo = 1e-3, hi = W_MAX; /* log-space bracket: lo fails (as 0 did), hi checked next */
  if (solve_and_measure(g, o, hi, cal, sel, &e, rep)) return -1;
  if (!meets(q, &e)) { /* even (almost) all-f32 misses: report it, keep that choice */
    rep->budget = -1;
    rep->error_weight = hi;
    *best = e;
    return 0;
  }
  *best = e;
  weight_search ws = {g, o, q, cal, sel, best, rep};
  double best_w;
  if (nc_bisect_weight(weight_meets, &ws, lo, hi, STEPS, &best_w)) return -1;
  rep->error_weight = best_w;
  nc_options ow = *o; /* leave sel at the chosen weight */
  ow.error_weight = best_w;
  return nc_select_solve(g, &ow, sel);
}

int nc_quant_choose(const nc_graph *g, const nc_options *o, const nc_quant_options *q,
                    const nc_calibration *cal, nc_selection *sel, nc_quant_report *rep) {
  static const nc_quant_options none = {0};
  if (!q) q = &none;
  memset(rep, 0, sizeof *rep);
  rep->n_samples = cal->n_samples;
  rep->random = cal->random;
  double t0 = nc_now_seconds();
  if (estimate_errors(cal, sel)) return -1;
  double t1 = nc_now_seconds();
  rep->error_seconds = t1 - t0;
  nc_model_error e;
  int budget = o->dtype_mode == NC_DTYPE_AUTO && (q->max_rel_l2 > 0.0 || q->min_top1 > 0.0);
  if (budget) {
    rep->budget = 1;
    if (search_weight(g, o, q, cal, sel, &e, rep)) return -1;
  } else if (solve_and_measure(g, o, 0.0, cal, sel, &e, rep)) {
    return -1;
  }
  rep->search_seconds = nc_now_seconds() - t1;
  rep->rel_l2 = e.rel_l2;
  rep->top1 = e.top1;
  rep->n_layers = sel->n_layers;
  for (int k = 0; k < sel->n_layers; k++)
    rep->n_quant_layers += sel->layers[k].cands[sel->layers[k].chosen].qa != NULL;
  sel->model_rel_l2 = e.rel_l2;
  sel->model_top1 = e.top1;
  sel->model_err_samples = e.n_samples;
  return 0;
}
