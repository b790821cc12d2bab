/* The compile pipeline after import, shared by the CLI and the test drivers:
 * passes -> candidate measurement + DPRS -> memory plan + emission. */
#include <stdio.h>
#include <string.h>

#include "compile.h"

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

int nc_compile_graph(nc_graph *g, const nc_options *o, const char *dir, nc_compile_report *rep) {
  memset(rep, 0, sizeof *rep);
  if (nc_run_passes(g, &rep->passes)) return NC_STAGE_PASSES;
  nc_cost_source *cost = nc_cost_local_new(o->target);
  nc_selection sel;
  if (nc_select(g, o, cost, &sel)) {
    nc_cost_free(cost);
    return NC_STAGE_SELECT;
  }
  int rc = nc_emit(g, &sel, o, dir, &rep->emit) ? NC_STAGE_EMIT : NC_STAGE_OK;
  rep->n_layers = sel.n_layers;
  rep->measured = cost->measured;
  rep->cached = cost->cached;
  rep->exact = sel.exact;
  rep->predicted_ms = sel.total_ms;
  rep->dprs_seconds = sel.dprs_seconds;
  rep->forced_used = any_forced(o, &sel);
  if (rc == NC_STAGE_OK && o->verbose) print_choices(g, &sel);
  nc_selection_free(&sel);
  nc_cost_free(cost);
  return rc;
}
