/* Routine selection: candidate routines per layer from the routine table,
 * their measured cost from the cost source, and DPRS over the whole graph
 * (formats = activation layouts, adapters between them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "dprs.h"

int nc_glob_match(const char *p, const char *s) {
  for (; *p; p++, s++) {
    if (*p == '*') {
      while (p[1] == '*') p++;
      if (!p[1]) return 1;
      for (; *s; s++)
        if (nc_glob_match(p + 1, s)) return 1;
      return nc_glob_match(p + 1, s);
    }
    if (!*s || (*p != '?' && *p != *s)) return 0;
  }
  return *s == 0;
}

const nc_routine *nc_adapter_routine(int32_t dtype, int from, int to) {
  const nc_routine *t = nc_routine_table();
  int n = nc_routine_count();
  for (int i = 0; i < n; i++)
    if (strcmp(t[i].layer, "adapter") == 0 && t[i].in_layout == from &&
        t[i].out_layout == to && (t[i].dtypes & NC_DT(dtype)))
      return &t[i];
  return NULL;
}

static int is_activation(const nc_graph *g, int t) { return t >= 0 && !g->tensors[t].data; }

/* Layouts other than plain exist for rank-4 tensors only: check every
 * activation operand. */
static int layouts_fit(const nc_graph *g, const nc_routine *r, const nc_node_args *na) {
  for (int i = 0; i < na->a.n_in; i++)
    if (is_activation(g, na->in_tensor[i]) && r->in_layout != NC_LAYOUT_NCHW &&
        na->in[i].ndim != 4)
      return 0;
  for (int i = 0; i < na->a.n_out; i++)
    if (na->out_tensor[i] >= 0 && r->out_layout != NC_LAYOUT_NCHW && na->out[i].ndim != 4)
      return 0;
  return 1;
}

/* A routine that packs an input at compile time needs that input constant. */
static int packing_fits(const nc_graph *g, const nc_routine *r, const nc_node_args *na) {
  if (!r->packed_bytes) return 1;
  for (int i = 0; i < na->a.n_in; i++)
    if (is_activation(g, na->in_tensor[i]) && r->packed_bytes(&na->a, i) > 0) return 0;
  return 1;
}

/* The target spec's `isa` lists the ISAs the emitted code may use; "native"
 * means every ISA the compiling CPU supports (the host target). */
static int isa_allowed(const nc_options *o, const nc_routine *r) {
  char isa[32];
  nc_routine_isa(r, isa, sizeof isa);
  const char *list = o->target && o->target->isa ? o->target->isa : "c99";
  if (strcmp(list, "native") == 0) return nc_cpu_supports(isa);
  size_t n = strlen(isa);
  for (const char *p = list; *p;) {
    p += strspn(p, " ,");
    size_t len = strcspn(p, " ,");
    if (len == n && strncmp(p, isa, n) == 0) return 1;
    p += len;
  }
  return 0;
}

static int forced_match(const nc_options *o, const char *desc) {
  for (int i = 0; i < o->n_force; i++)
    if (nc_glob_match(o->force[i], desc)) return 1;
  return 0;
}

static int collect_candidates(const nc_graph *g, const nc_node *n, const nc_options *o,
                              nc_layer_sel *ls) {
  const nc_routine *t = nc_routine_table();
  int cnt = nc_routine_count();
  int32_t dt = nc_node_key_dtype(&ls->na);
  ls->cands = nc_xcalloc((size_t)cnt + 1, sizeof *ls->cands);
  ls->n_cands = 0;
  int forced_any = 0;
  for (int i = 0; i < cnt; i++) {
    const nc_routine *r = &t[i];
    if (strcmp(r->layer, n->op) != 0 || !(r->dtypes & NC_DT(dt)) || !isa_allowed(o, r)) continue;
    if (r->applies && !r->applies(&ls->na.a)) continue;
    if (!layouts_fit(g, r, &ls->na) || !packing_fits(g, r, &ls->na)) continue;
    nc_cand *c = &ls->cands[ls->n_cands++];
    c->r = r;
    nc_routine_concrete_descriptor(r, dt, c->desc, sizeof c->desc);
    if (forced_match(o, c->desc)) forced_any = 1;
  }
  if (forced_any) { /* --routine: keep only the matching candidates */
    int k = 0;
    for (int i = 0; i < ls->n_cands; i++)
      if (forced_match(o, ls->cands[i].desc)) ls->cands[k++] = ls->cands[i];
    ls->n_cands = k;
  }
  if (ls->n_cands == 0)
    return nc_node_fail(g, n, "no routine applies (dtype %s)", nc_dtype_name(dt));
  return 0;
}

static int measure_candidates(const nc_graph *g, const nc_node *n, nc_cost_source *cost,
                              nc_layer_sel *ls) {
  const void *consts[64];
  for (int i = 0; i < ls->na.a.n_in; i++) {
    int t = ls->na.in_tensor[i];
    consts[i] = t >= 0 ? g->tensors[t].data : NULL;
  }
  for (int c = 0; c < ls->n_cands; c++) {
    nc_cand *cd = &ls->cands[c];
    if (cost->measure(cost, cd->r, &ls->na.a, consts, &cd->ms, &cd->spread))
      return nc_node_fail(g, n, "measuring routine %s failed: %s", cd->desc, nc_err_msg());
  }
  return 0;
}

/* --- building the abstract DPRS problem --- */

/* Adapter costs per (value, from, to), measured before DPRS runs so that
 * the DPRS time reported is the search alone. Negative: no adapter. */
typedef struct adapter_ctx {
  double *cost; /* [value][from][to] */
} adapter_ctx;

static double adapter_cost(void *vctx, int value, int from, int to) {
  adapter_ctx *ctx = vctx;
  return ctx->cost[(value * NC_LAYOUT_COUNT + from) * NC_LAYOUT_COUNT + to];
}

static void measure_adapters(const nc_graph *g, nc_cost_source *cost, const int *value_tensor,
                             int n_values, double *out) {
  for (int v = 0; v < n_values; v++)
    for (int from = 0; from < NC_LAYOUT_COUNT; from++)
      for (int to = 0; to < NC_LAYOUT_COUNT; to++) {
        const nc_tensor *t = &g->tensors[value_tensor[v]];
        double *c = &out[(v * NC_LAYOUT_COUNT + from) * NC_LAYOUT_COUNT + to];
        const nc_routine *r = t->desc.ndim == 4 ? nc_adapter_routine(t->desc.dtype, from, to) : NULL;
        nc_args a = {1, 1, &t->desc, &t->desc, NULL, NULL, 0, 0};
        const void *consts[1] = {NULL};
        double spread;
        if (from == to) *c = 0.0;
        else if (!r || cost->measure(cost, r, &a, consts, c, &spread)) *c = -1.0;
      }
}

void nc_selection_free(nc_selection *sel) {
  for (int i = 0; i < sel->n_layers; i++) free(sel->layers[i].cands);
  free(sel->layers);
  free(sel->tensor_layout);
  memset(sel, 0, sizeof *sel);
}

int nc_select(nc_graph *g, const nc_options *o, nc_cost_source *cost, nc_selection *sel) {
  memset(sel, 0, sizeof *sel);
  sel->cost = cost;
  int *order = nc_xmalloc(sizeof(int) * (size_t)(g->n_nodes + 1));
  int n = nc_graph_topo(g, order);
  if (n < 0) {
    free(order);
    return nc_fail("%s: graph has a cycle", g->path);
  }
  sel->layers = nc_xcalloc((size_t)n + 1, sizeof *sel->layers);
  sel->n_layers = n;
  int rc = 0;
  for (int k = 0; k < n && !rc; k++) {
    nc_node *nd = &g->nodes[order[k]];
    nc_layer_sel *ls = &sel->layers[k];
    ls->node = order[k];
    rc = nc_node_args_build(g, nd, &ls->na) || collect_candidates(g, nd, o, ls) ||
         measure_candidates(g, nd, cost, ls);
  }
  free(order);
  if (rc) return -1;

  /* values: activation tensors (graph inputs and layer outputs) */
  int *tensor_value = nc_xmalloc(sizeof(int) * (size_t)(g->n_tensors + 1));
  int *value_tensor = nc_xmalloc(sizeof(int) * (size_t)(g->n_tensors + 1));
  int n_values = 0;
  for (int t = 0; t < g->n_tensors; t++) {
    tensor_value[t] = -1;
    if (!g->tensors[t].data && (g->tensors[t].is_input || g->tensors[t].producer >= 0)) {
      tensor_value[t] = n_values;
      value_tensor[n_values++] = t;
    }
  }
  dprs_layer *layers = nc_xcalloc((size_t)n + 1, sizeof *layers);
  dprs_choice **choices = nc_xcalloc((size_t)n + 1, sizeof *choices);
  for (int k = 0; k < n && !rc; k++) {
    nc_layer_sel *ls = &sel->layers[k];
    dprs_layer *L = &layers[k];
    for (int i = 0; i < ls->na.a.n_in; i++) {
      int t = ls->na.in_tensor[i];
      if (t < 0 || tensor_value[t] < 0) continue;
      if (L->n_in == DPRS_MAX_IO) {
        rc = nc_node_fail(g, &g->nodes[ls->node], "too many activation inputs for DPRS");
        break;
      }
      L->in[L->n_in++] = tensor_value[t];
    }
    for (int i = 0; i < ls->na.a.n_out; i++) {
      int t = ls->na.out_tensor[i];
      if (t < 0 || tensor_value[t] < 0 || L->n_out == DPRS_MAX_IO) continue;
      L->out[L->n_out++] = tensor_value[t];
    }
    choices[k] = nc_xcalloc((size_t)ls->n_cands, sizeof(dprs_choice));
    for (int c = 0; c < ls->n_cands; c++) {
      choices[k][c].cost = ls->cands[c].ms;
      for (int i = 0; i < L->n_in; i++) choices[k][c].in_fmt[i] = ls->cands[c].r->in_layout;
      for (int i = 0; i < L->n_out; i++) choices[k][c].out_fmt[i] = ls->cands[c].r->out_layout;
    }
    L->n_choices = ls->n_cands;
    L->choices = choices[k];
  }
  int *src_v = nc_xmalloc(sizeof(int) * (size_t)(g->n_inputs + 1));
  int *src_f = nc_xcalloc((size_t)g->n_inputs + 1, sizeof(int));
  int *snk_v = nc_xmalloc(sizeof(int) * (size_t)(g->n_outputs + 1));
  int *snk_f = nc_xcalloc((size_t)g->n_outputs + 1, sizeof(int));
  int n_src = 0, n_snk = 0;
  for (int i = 0; i < g->n_inputs; i++)
    if (tensor_value[g->inputs[i]] >= 0) src_v[n_src++] = tensor_value[g->inputs[i]];
  for (int i = 0; i < g->n_outputs; i++)
    if (tensor_value[g->outputs[i]] >= 0) snk_v[n_snk++] = tensor_value[g->outputs[i]];

  adapter_ctx actx;
  actx.cost = nc_xmalloc(sizeof(double) * (size_t)(n_values + 1) * NC_LAYOUT_COUNT * NC_LAYOUT_COUNT);
  measure_adapters(g, cost, value_tensor, n_values, actx.cost);
  dprs_problem p = {0};
  p.n_formats = NC_LAYOUT_COUNT;
  p.n_values = n_values;
  p.n_layers = n;
  p.layers = layers;
  p.n_sources = n_src;
  p.source_value = src_v;
  p.source_fmt = src_f;
  p.n_sinks = n_snk;
  p.sink_value = snk_v;
  p.sink_fmt = snk_f;
  p.adapter_cost = adapter_cost;
  p.ctx = &actx;
  dprs_result res = {0};
  if (!rc) {
    double t0 = nc_now_seconds();
    rc = dprs_solve(&p, &res);
    sel->dprs_seconds = nc_now_seconds() - t0;
  }
  if (!rc) {
    sel->total_ms = res.total;
    sel->lower_bound_ms = res.lower_bound;
    sel->exact = res.exact;
    sel->dprs_states = res.max_states;
    for (int k = 0; k < n; k++) sel->layers[k].chosen = res.choice[k];
    sel->tensor_layout = nc_xcalloc((size_t)g->n_tensors + 1, sizeof(int));
    for (int k = 0; k < n; k++) {
      const nc_routine *r = sel->layers[k].cands[res.choice[k]].r;
      for (int i = 0; i < sel->layers[k].na.a.n_out; i++) {
        int t = sel->layers[k].na.out_tensor[i];
        if (t >= 0) sel->tensor_layout[t] = r->out_layout;
      }
    }
  }
  free(res.choice);
  for (int k = 0; k < n; k++) free(choices[k]);
  free(choices);
  free(layers);
  free(src_v); free(src_f); free(snk_v); free(snk_f);
  free(tensor_value); free(value_tensor);
  free(actx.cost);
  return rc ? -1 : 0;
}
