/* The compile pipeline after import, shared by the CLI and the test drivers:
 * passes -> candidate measurement + DPRS (or a plan read back) -> memory plan
 * + emission, stopping early for `profile` and `tune`. */
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "plan_read.h"
#include "profile_db.h"
#include "agent_client.h"
#include "quantize.h"
#include "qdq.h"

static void print_choices(const nc_graph *g, const nc_selection *sel) {
  for (int k = 0; k < sel->n_layers; k++) {
    const nc_layer_sel *ls = &sel->layers[k];
    printf("  %-32s %-12s %s  %.4f ms\n", g->nodes[ls->node].name, g->nodes[ls->node].op,
           ls->cands[ls->chosen].desc, ls->cands[ls->chosen].ms);
  }
}

static int any_forced(const nc_options *o, const nc_selection *sel) {
  for (int k = 0; k < sel->n_layers; k++)
    for (int i = 0; i < o->n_force; i++)
      if (nc_glob_match(o->force[i], sel->layers[k].cands[sel->layers[k].chosen].desc)) return 1;
  return 0;
}

/* What a compile without a plan measures with: the target spec names the
 * local profiler or an agent; the profile DB, when given, answers first. */
nc_cost_source *nc_cost_open(const nc_target *t, const char *db_path) {
  nc_cost_source *inner = nc_cost_source_for_target(t);
  if (!inner || !db_path) return inner;
  nc_cost_source *db = nc_cost_db_new(inner, db_path);
  if (!db) nc_cost_free(inner);
  return db;
}

static void report_selection(const nc_options *o, const nc_selection *sel, nc_compile_report *rep) {
  rep->n_layers = sel->n_layers;
  rep->exact = sel->exact;
  rep->predicted_ms = sel->total_ms;
  rep->dprs_seconds = sel->dprs_seconds;
  rep->forced_used = any_forced(o, sel);
  rep->distinct = sel->n_distinct;
  rep->measured_new = sel->n_measured_new;
  rep->from_db = sel->n_from_db;
}

/* Calibration runs the f32 model as this target would: the routines DPRS
 * picks for f32 (their times are then known to the cost source, so the
 * quantized selection after it measures only what is new). Returns 0, the
 * nc_select error, or -3 when calibration fails. */
static int calibrate(nc_graph *g, const nc_options *o, const nc_tune_options *tu,
                     nc_cost_source *cost, nc_calibration *cal) {
  nc_options of = *o;
  of.dtype_mode = NC_DTYPE_F32;
  nc_selection f32;
  int rc = nc_select(g, &of, cost, &f32);
  if (rc) return rc;
  nc_qdq_params model; /* parameters an imported QDQ model gave win over calibration */
  nc_qdq_params_save(g, &model);
  rc = nc_quant_calibrate(g, tu->quant, o, nc_exec_pick_selection, &f32, cal) ? -3 : 0;
  nc_qdq_params_restore(g, &model);
  nc_qdq_params_free(&model);
  nc_selection_free(&f32);
  return rc;
}

static void report_quant(const nc_quant_report *q, double seconds, nc_compile_report *rep) {
  rep->quant_layers = q->n_quant_layers;
  rep->calib_samples = q->n_samples;
  rep->calib_random = q->random;
  rep->budget = q->budget;
  rep->model_rel_l2 = q->rel_l2;
  rep->model_top1 = q->top1;
  rep->error_weight = q->error_weight;
  rep->quant_seconds = seconds;
}

/* The target's ram:/flash: budgets, with the accuracy weight the precision
 * search settled on (the byte prices are added to it). */
static int fit_budget(const nc_graph *g, const nc_options *o, double error_weight,
                      nc_selection *sel, nc_budget_report *mem) {
  nc_options ob = *o;
  ob.error_weight = error_weight;
  if (nc_select_fit_budget(g, &ob, sel, mem)) return -1;
  if (mem->active && !o->quiet)
    printf("memory budget: the fastest plan did not fit; chose one with %zu bytes of RAM and %zu "
           "of flash (%d DPRS runs), predicted %.4f ms\n", mem->used_ram, mem->used_flash,
           mem->solves, sel->total_ms);
  return 0;
}

int nc_compile_graph_ex(nc_graph *g, const nc_options *o, const nc_tune_options *tu,
                        const char *dir, nc_compile_report *rep) {
  static const nc_tune_options none = {NULL, NULL, NULL, NC_STOP_NONE, NULL};
  if (!tu) tu = &none;
  memset(rep, 0, sizeof *rep);
  if (nc_run_passes(g, &rep->passes)) return NC_STAGE_PASSES;
  nc_selection sel;
  nc_cost_source *cost = NULL;
  int quant = o->dtype_mode != NC_DTYPE_F32 && !tu->plan_path;
  /* an imported QDQ model's pairs become u8 parameters (qdq.h); a quantized
   * plan was made on the graph rewritten so */
  if (quant || (tu->plan_path && nc_qdq_plan_quantized(tu->plan_path))) {
    nc_qdq_stats qs;
    nc_qdq_absorb(g, &qs);
    if (qs.pairs && !o->quiet)
      printf("imported QDQ: %d QuantizeLinear/%d DequantizeLinear removed (%d s8 mapped to u8), "
             "%d QuantizeLinear kept (%d lending x their parameters)\n", qs.pairs, qs.dequants,
             qs.s8_shifted, qs.kept, qs.lent);
  }
  nc_calibration cal;
  memset(&cal, 0, sizeof cal);
  if (tu->plan_path) { /* the plan decides: nothing is measured */
    if (nc_plan_read(g, o, tu->plan_path, &sel)) return NC_STAGE_INPUT;
  } else {
    cost = tu->cost ? tu->cost : nc_cost_open(o->target, tu->db_path);
    if (!cost) return NC_STAGE_MEASURE;
    long measured0 = cost->measured, cached0 = cost->cached;
    double tq = nc_now_seconds();
    int src = quant ? calibrate(g, o, tu, cost, &cal) : 0;
    tq = nc_now_seconds() - tq;
    if (src == -3) {
      nc_calibration_free(&cal);
      if (!tu->cost) nc_cost_free(cost);
      return NC_STAGE_INPUT;
    }
    if (!src) src = nc_select(g, o, cost, &sel);
    rep->measured = cost->measured - measured0;
    rep->cached = cost->cached - cached0;
    nc_quant_report qr;
    if (!src && quant) {
      double t0 = nc_now_seconds();
      if (nc_quant_choose(g, o, tu->quant, &cal, &sel, &qr)) {
        nc_selection_free(&sel);
        src = -1;
      } else {
        report_quant(&qr, tq + nc_now_seconds() - t0, rep);
      }
    }
    nc_calibration_free(&cal);
    if (!src && fit_budget(g, o, quant ? qr.error_weight : o->error_weight, &sel, &rep->mem)) {
      nc_selection_free(&sel);
      src = -1;
    }
    if (src) {
      if (!tu->cost) nc_cost_free(cost);
      return src == -2 ? NC_STAGE_MEASURE : NC_STAGE_SELECT;
    }
  }
  report_selection(o, &sel, rep);
  int rc = NC_STAGE_OK;
  if (tu->stop_after == NC_STOP_PLAN)
    rc = nc_emit_plan(g, &sel, o, dir, &rep->emit) ? NC_STAGE_EMIT : NC_STAGE_OK;
  else if (tu->stop_after == NC_STOP_NONE)
    rc = nc_emit(g, &sel, o, dir, &rep->emit) ? NC_STAGE_EMIT : NC_STAGE_OK;
  if (rc == NC_STAGE_OK && o->verbose) print_choices(g, &sel);
  nc_selection_free(&sel);
  if (cost && !tu->cost) nc_cost_free(cost);
  return rc;
}

int nc_compile_graph(nc_graph *g, const nc_options *o, const char *dir, nc_compile_report *rep) {
  return nc_compile_graph_ex(g, o, NULL, dir, rep);
}
