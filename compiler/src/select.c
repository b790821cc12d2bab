/* Routine selection: candidate routines per layer from the routine table;
 * then the measurement list (every distinct (routine, args) pair of all
 * candidates and adapters), answered by the cost source's stored results
 * where it has them and measured otherwise; then DPRS over the whole graph
 * (formats = activation layout x storage, f32 or calibrated u8; adapters
 * between them). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_client.h" /* -j: nc_cost_prefetch */
#include "compile.h"
#include "constraint.h"
#include "dprs.h"
#include "profile_db.h"

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
    if (strcmp(t[i].layer, "adapter") == 0 && nc_routine_in_format(&t[i]) == from &&
        nc_routine_out_format(&t[i]) == to && (t[i].dtypes & NC_DT(dtype)))
      return &t[i];
  return NULL;
}

static int isa_allowed(const nc_options *o, const nc_routine *r);

const nc_routine *nc_adapter_routine_for(const nc_options *o, int32_t dtype, int from, int to) {
  const nc_routine *t = nc_routine_table(), *best = NULL;
  int n = nc_routine_count();
  for (int i = 0; i < n; i++)
    if (strcmp(t[i].layer, "adapter") == 0 && nc_routine_in_format(&t[i]) == from &&
        nc_routine_out_format(&t[i]) == to && (t[i].dtypes & NC_DT(dtype)) &&
        isa_allowed(o, &t[i]))
      best = &t[i]; /* families list portable versions first, vector ones after */
  return best;
}

void nc_format_desc(const nc_tensor *t, int fmt, nc_tdesc *d) {
  *d = t->desc;
  if (nc_format_q(fmt) == NC_Q_U8) {
    d->dtype = NC_U8;
    d->scale = t->qscale;
    d->zero_point = t->qzero;
  }
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

/* A constant operand reaches a routine as plain (NCHW) bytes unless the
 * routine packs it. For a rank-4 constant with spatial extent that is not
 * the layout a non-plain routine expects ([1,C,1,1] is: its bytes are the
 * same in every layout, blocked ones when C fills whole blocks). */
static int constants_fit(const nc_graph *g, const nc_routine *r, const nc_node_args *na) {
  if (r->in_layout == NC_LAYOUT_NCHW) return 1;
  for (int i = 0; i < na->a.n_in; i++) {
    int t = na->in_tensor[i];
    if (t < 0 || is_activation(g, t) || na->in[i].ndim != 4) continue;
    if (r->packed_bytes && r->packed_bytes(&na->a, i) > 0) continue;
    if (na->in[i].dims[0] * na->in[i].dims[2] * na->in[i].dims[3] > 1) return 0;
  }
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

/* --routine constraints (constraint.h) on layer `index` (-1: none apply
 * by range, e.g. a plan being read): keeps the surviving candidates; *pinned
 * when a pin chose them. Returns 0, or -1 naming the layer. */
static int apply_constraints(const nc_graph *g, const nc_node *n, const nc_options *o, int index,
                             nc_layer_sel *ls, int *pinned) {
  *pinned = 0;
  if (!o->n_force || !ls->n_cands) return 0;
  const char **descs = nc_xmalloc(sizeof *descs * (size_t)ls->n_cands);
  int *keep = nc_xmalloc(sizeof *keep * (size_t)ls->n_cands);
  for (int i = 0; i < ls->n_cands; i++) descs[i] = ls->cands[i].desc;
  char why[3000];
  int kept = nc_constraints_filter(o->force, o->n_force, index, n->name, descs, ls->n_cands, keep,
                                   pinned, why, sizeof why);
  int k = 0;
  for (int i = 0; kept && i < ls->n_cands; i++)
    if (keep[i]) ls->cands[k++] = ls->cands[i];
  free(descs);
  free(keep);
  if (!kept) return nc_fail("%s: %s", g->path, why);
  ls->n_cands = k;
  return 0;
}

const nc_node_args *nc_cand_args(const nc_layer_sel *ls, int c) {
  return ls->cands[c].qa ? ls->cands[c].qa : &ls->na;
}

/* A layer may run quantized when it computes in f32 and every activation it
 * reads or writes was calibrated. */
static int quantizable(const nc_graph *g, const nc_options *o, const nc_node_args *na) {
  if (o->dtype_mode == NC_DTYPE_F32 || nc_node_key_dtype(na) != NC_F32) return 0;
  int any = 0;
  for (int i = 0; i < na->a.n_in; i++)
    if (is_activation(g, na->in_tensor[i])) {
      if (g->tensors[na->in_tensor[i]].qscale <= 0.0f) return 0;
      any = 1;
    }
  for (int i = 0; i < na->a.n_out; i++)
    if (na->out_tensor[i] >= 0 && g->tensors[na->out_tensor[i]].qscale <= 0.0f) return 0;
  return any;
}

/* The layer's args with activation inputs stored as in_q and outputs as
 * out_q (nc_format_desc); constants keep their ONNX type. */
static void quantized_variant(const nc_graph *g, const nc_node_args *na, int in_q, int out_q,
                              nc_node_args *qa) {
  *qa = *na;
  qa->a.in = qa->in;
  qa->a.out = qa->out;
  for (int i = 0; i < na->a.n_in; i++)
    if (is_activation(g, na->in_tensor[i]))
      nc_format_desc(&g->tensors[na->in_tensor[i]], nc_format(0, in_q), &qa->in[i]);
  for (int i = 0; i < na->a.n_out; i++)
    if (na->out_tensor[i] >= 0)
      nc_format_desc(&g->tensors[na->out_tensor[i]], nc_format(0, out_q), &qa->out[i]);
}

/* Routine r for args na, if it is a candidate. */
static int candidate_fits(const nc_graph *g, const nc_options *o, const nc_routine *r,
                          const nc_node_args *na) {
  if (!isa_allowed(o, r)) return 0;
  if ((r->flags & NC_RF_APPROX) && !(o->target && o->target->approximate)) return 0;
  if (r->applies && !r->applies(&na->a)) return 0;
  return layouts_fit(g, r, na) && packing_fits(g, r, na) && constants_fit(g, r, na);
}

static int collect_candidates(const nc_graph *g, const nc_node *n, const nc_options *o,
                              int index, nc_layer_sel *ls) {
  free(ls->cands);
  free(ls->qna);
  ls->qna = NULL;
  const nc_routine *t = nc_routine_table();
  int cnt = nc_routine_count();
  int32_t dt = nc_node_key_dtype(&ls->na);
  ls->cands = nc_xcalloc((size_t)cnt + 1, sizeof *ls->cands);
  ls->n_cands = 0;
  int n_quant = 0;
  if (quantizable(g, o, &ls->na)) {
    ls->qna = nc_xmalloc(sizeof *ls->qna * NC_Q_COUNT * NC_Q_COUNT);
    for (int iq = 0; iq < NC_Q_COUNT; iq++)
      for (int oq = 0; oq < NC_Q_COUNT; oq++)
        quantized_variant(g, &ls->na, iq, oq, &ls->qna[iq * NC_Q_COUNT + oq]);
  }
  for (int i = 0; i < cnt; i++) {
    const nc_routine *r = &t[i];
    if (strcmp(r->layer, n->op) != 0) continue;
    int quant = r->in_q != NC_Q_NONE || r->out_q != NC_Q_NONE;
    const nc_node_args *na = quant ? (ls->qna ? &ls->qna[r->in_q * NC_Q_COUNT + r->out_q] : NULL)
                                   : &ls->na;
    int32_t rdt = quant ? NC_U8 : dt;
    if (!na || !(r->dtypes & NC_DT(rdt)) || !candidate_fits(g, o, r, na)) continue;
    nc_cand *c = &ls->cands[ls->n_cands++];
    c->r = r;
    c->qa = quant ? na : NULL;
    n_quant += quant;
    nc_routine_concrete_descriptor(r, rdt, c->desc, sizeof c->desc);
  }
  int pinned = 0; /* --routine pins first: they override --dtype int8 */
  if (apply_constraints(g, n, o, index, ls, &pinned)) return -1;
  if (o->dtype_mode == NC_DTYPE_INT8 && n_quant > 0 && !pinned) {
    int k = 0; /* --dtype int8: quantized wherever a quantized routine applies */
    for (int i = 0; i < ls->n_cands; i++)
      if (ls->cands[i].qa) ls->cands[k++] = ls->cands[i];
    ls->n_cands = k;
  }
  if (ls->n_cands == 0)
    return nc_node_fail(g, n, "no routine applies (dtype %s)", nc_dtype_name(dt));
  return 0;
}


int nc_select_candidates(const nc_graph *g, const nc_options *o, nc_layer_sel *ls) {
  return collect_candidates(g, &g->nodes[ls->node], o, -1, ls);
}

/* --- the measurement list: every distinct (routine, args) pair first --- */

typedef struct mitem {
  const nc_routine *r;
  const nc_args *a;
  const void *const *consts;
  const char *what; /* layer or tensor name, for error messages */
  double ms, spread;
  int known;
} mitem;

typedef struct mlist {
  nc_strmap *keys;
  mitem *items;
  int n, cap;
} mlist;

/* Index of the (routine, args) pair in the list, adding it if new. */
static int mlist_add(mlist *m, const nc_routine *r, const nc_args *a, const void *const *consts,
                     const char *what) {
  char routine[160];
  nc_profile_routine_text(r, a, routine, sizeof routine);
  char *args = nc_profile_args_text(a, consts);
  size_t len = strlen(routine) + strlen(args) + 2;
  char *key = nc_xmalloc(len);
  snprintf(key, len, "%s|%s", routine, args);
  free(args);
  int added;
  int id = nc_strmap_intern(m->keys, key, &added);
  free(key);
  if (added) {
    if (m->n == m->cap) {
      m->cap = m->cap ? 2 * m->cap : 256;
      m->items = nc_xrealloc(m->items, sizeof *m->items * (size_t)m->cap);
    }
    mitem *it = &m->items[m->n++];
    memset(it, 0, sizeof *it);
    it->r = r;
    it->a = a;
    it->consts = consts;
    it->what = what;
  }
  return id;
}

static void format_eta(char *buf, size_t n, double s) {
  if (s < 0) snprintf(buf, n, "--");
  else if (s < 60) snprintf(buf, n, "%.0fs", s);
  else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

/* A progress bar with count and ETA, redrawn in place (terminals only). */
static void progress(int done, int total, double t0) {
  enum { WIDTH = 30 };
  char bar[WIDTH + 1], eta[32];
  int fill = total ? done * WIDTH / total : WIDTH;
  for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
  bar[WIDTH] = 0;
  double el = nc_now_seconds() - t0;
  format_eta(eta, sizeof eta, done ? el / done * (total - done) : -1.0);
  fprintf(stderr, "\rprofiling [%s] %d/%d  ETA %s ", bar, done, total, eta);
  if (done == total) fputc('\n', stderr);
  fflush(stderr);
}

/* -j: the next `window` missing pairs from item `from` on, measured at once
 * by the agents; measure() below then takes their results in order (and
 * the profile database records them, so an interruption loses one window). */
static int prefetch_round(const mlist *m, int from, int window, nc_cost_source *cost) {
  nc_cost_job q[256];
  int k = 0;
  for (int i = from; i < m->n && k < window && k < 256; i++)
    if (!m->items[i].known)
      q[k++] = (nc_cost_job){m->items[i].r, m->items[i].a, m->items[i].consts};
  return nc_cost_prefetch(cost, k, q);
}

/* Ask the stored results first, then measure only what is missing. */
static int measure_list(mlist *m, const nc_options *o, nc_cost_source *cost, nc_selection *sel) {
  int missing = 0;
  for (int i = 0; i < m->n; i++) {
    mitem *it = &m->items[i];
    it->known = cost->lookup && cost->lookup(cost, it->r, it->a, it->consts, &it->ms, &it->spread);
    missing += !it->known;
  }
  sel->n_distinct = m->n;
  sel->n_from_db = m->n - missing;
  int bar = !o->quiet && missing > 0 && isatty(STDERR_FILENO);
  double t0 = nc_now_seconds();
  int done = 0, jobs = nc_cost_jobs(cost);
  int window = jobs * 4 < 256 ? jobs * 4 : 256; /* pairs per -j round */
  for (int i = 0; i < m->n; i++) {
    mitem *it = &m->items[i];
    if (it->known) continue;
    if (bar) progress(done, missing, t0);
    if (jobs > 1 && done % window == 0 && prefetch_round(m, i, window, cost)) {
      if (bar) fputc('\n', stderr);
      return -1; /* the agent's message names it and the routine */
    }
    char desc[160];
    if (cost->measure(cost, it->r, it->a, it->consts, &it->ms, &it->spread)) {
      if (bar) fputc('\n', stderr);
      return nc_fail("%s: measuring routine %s for '%s' failed: %s", cost->name,
                     nc_profile_routine_text(it->r, it->a, desc, sizeof desc), it->what,
                     nc_err_msg());
    }
    it->known = 1;
    sel->n_measured_new = ++done;
  }
  if (bar) progress(done, missing, t0);
  return 0;
}

/* Times are kept to the nanosecond, the resolution plan.yaml records: a plan
 * read back then holds exactly the numbers DPRS and the emitter used, so the
 * plan it re-emits is byte-identical too. Far below timing noise. */
static double to_ns(double ms) { return ms < 0 ? ms : (double)(long long)(ms * 1e6 + 0.5) / 1e6; }

static void mlist_free(mlist *m) {
  nc_strmap_free(m->keys);
  free(m->items);
}

double nc_selection_adapter_ms(const nc_selection *sel, int tensor, int from, int to) {
  if (!sel->adapter_ms || tensor < 0 || tensor >= sel->n_tensors || from < 0 ||
      from >= NC_FORMAT_COUNT || to < 0 || to >= NC_FORMAT_COUNT)
    return -1.0;
  return sel->adapter_ms[(tensor * NC_FORMAT_COUNT + from) * NC_FORMAT_COUNT + to];
}

/* --- building the abstract DPRS problem --- */

/* Adapter costs per (value, from, to), measured before DPRS runs so that
 * the DPRS time reported is the search alone. Negative: no adapter. */
typedef struct adapter_ctx {
  const double *cost;      /* sel->adapter_ms: [tensor][from][to] */
  const int *value_tensor; /* DPRS value -> tensor */
} adapter_ctx;

static double adapter_cost(void *vctx, int value, int from, int to) {
  adapter_ctx *ctx = vctx;
  return ctx->cost[(ctx->value_tensor[value] * NC_FORMAT_COUNT + from) * NC_FORMAT_COUNT + to];
}

/* The formats a value may take: quantized ones only when it was calibrated
 * and quantized routines are wanted. */
static int value_formats(const nc_options *o, const nc_tensor *t) {
  return o->dtype_mode != NC_DTYPE_F32 && t->qscale > 0.0f && t->desc.dtype == NC_F32
             ? NC_FORMAT_COUNT
             : NC_LAYOUT_COUNT;
}

/* Adapter for value t between two of its formats, or NULL. Layout changes
 * exist for rank-4 tensors only; a storage change in the same layout for
 * any rank. */
static const nc_routine *value_adapter(const nc_options *o, const nc_tensor *t, int from,
                                       int to) {
  if (from == to) return NULL;
  if (t->desc.ndim != 4 && nc_format_layout(from) != nc_format_layout(to)) return NULL;
  if (t->desc.ndim != 4 && nc_format_layout(from) != NC_LAYOUT_NCHW) return NULL;
  return nc_adapter_routine_for(o, t->desc.dtype, from, to);
}

/* Every candidate of every layer and every adapter DPRS may use, measured
 * (or looked up) once per distinct pair; fills the candidates' times and
 * sel->adapter_ms (negative: no adapter). */
static int measure_all(const nc_graph *g, const nc_options *o, nc_cost_source *cost,
                       nc_selection *sel, const int *value_tensor, int n_values) {
  static const void *const no_consts[1] = {NULL};
  enum { F = NC_FORMAT_COUNT, L2 = NC_FORMAT_COUNT * NC_FORMAT_COUNT };
  mlist m = {nc_strmap_new(), NULL, 0, 0};
  const void **consts = nc_xcalloc((size_t)sel->n_layers * 64 + 1, sizeof *consts);
  int **cand_item = nc_xcalloc((size_t)sel->n_layers + 1, sizeof *cand_item);
  /* adapter args per (value, from, to): tdescs of the two formats */
  nc_args *aargs = nc_xcalloc((size_t)n_values * L2 + 1, sizeof *aargs);
  nc_tdesc *adesc = nc_xcalloc((size_t)n_values * F + 1, sizeof *adesc);
  int *aitem = nc_xmalloc(sizeof(int) * ((size_t)n_values * L2 + 1));
  for (int k = 0; k < sel->n_layers; k++) {
    nc_layer_sel *ls = &sel->layers[k];
    const void **lc = consts + (size_t)k * 64;
    for (int i = 0; i < ls->na.a.n_in; i++) {
      int t = ls->na.in_tensor[i];
      lc[i] = t >= 0 ? g->tensors[t].data : NULL;
    }
    cand_item[k] = nc_xmalloc(sizeof(int) * ((size_t)ls->n_cands + 1));
    for (int c = 0; c < ls->n_cands; c++)
      cand_item[k][c] = mlist_add(&m, ls->cands[c].r, &nc_cand_args(ls, c)->a, lc,
                                  g->nodes[ls->node].name);
  }
  for (int v = 0; v < n_values; v++) {
    const nc_tensor *t = &g->tensors[value_tensor[v]];
    int nf = value_formats(o, t);
    for (int f = 0; f < F; f++) nc_format_desc(t, f, &adesc[v * F + f]);
    for (int f = 0; f < F; f++)
      for (int to = 0; to < F; to++) {
        const nc_routine *r = f < nf && to < nf ? value_adapter(o, t, f, to) : NULL;
        nc_args a = {1, 1, &adesc[v * F + f], &adesc[v * F + to], NULL, NULL, 0, 0};
        aargs[v * L2 + f * F + to] = a;
        aitem[v * L2 + f * F + to] =
            r ? mlist_add(&m, r, &aargs[v * L2 + f * F + to], no_consts, t->name) : -1;
      }
  }
  int rc = measure_list(&m, o, cost, sel);
  sel->n_tensors = g->n_tensors;
  sel->adapter_ms = nc_xmalloc(sizeof(double) * ((size_t)g->n_tensors * L2 + 1));
  for (int i = 0; i < g->n_tensors * L2; i++) sel->adapter_ms[i] = -1.0;
  for (int k = 0; !rc && k < sel->n_layers; k++)
    for (int c = 0; c < sel->layers[k].n_cands; c++) {
      sel->layers[k].cands[c].ms = to_ns(m.items[cand_item[k][c]].ms);
      sel->layers[k].cands[c].spread = m.items[cand_item[k][c]].spread;
    }
  for (int v = 0; !rc && v < n_values; v++)
    for (int f = 0; f < F; f++)
      for (int to = 0; to < F; to++) {
        int id = aitem[v * L2 + f * F + to];
        double ms = f == to ? 0.0 : id >= 0 ? to_ns(m.items[id].ms) : -1.0;
        sel->adapter_ms[value_tensor[v] * L2 + f * F + to] = ms;
      }
  for (int k = 0; k < sel->n_layers; k++) free(cand_item[k]);
  free(cand_item);
  free(consts);
  free(aargs);
  free(adesc);
  free(aitem);
  mlist_free(&m);
  return rc;
}

void nc_selection_free(nc_selection *sel) {
  for (int i = 0; i < sel->n_layers; i++) {
    free(sel->layers[i].cands);
    free(sel->layers[i].qna);
  }
  free(sel->layers);
  free(sel->tensor_format);
  free(sel->adapter_ms);
  free(sel->cost_name);
  free(sel->fingerprint);
  free(sel->library_version);
  memset(sel, 0, sizeof *sel);
}

/* values: activation tensors (graph inputs and layer outputs) */
static int number_values(const nc_graph *g, int *tensor_value, int *value_tensor) {
  int n_values = 0;
  for (int t = 0; t < g->n_tensors; t++) {
    tensor_value[t] = -1;
    if (!g->tensors[t].data && (g->tensors[t].is_input || g->tensors[t].producer >= 0)) {
      tensor_value[t] = n_values;
      value_tensor[n_values++] = t;
    }
  }
  return n_values;
}

/* A --routine range or layer name that matches no layer is a mistake. */
static int check_constraint_ranges(const nc_graph *g, const nc_options *o, const int *order, int n) {
  const char **names = nc_xmalloc(sizeof *names * (size_t)(n + 1));
  for (int k = 0; k < n; k++) names[k] = g->nodes[order[k]].name;
  int rc = nc_constraints_check_ranges(o->force, o->n_force, names, n);
  free(names);
  return rc;
}

int nc_select(nc_graph *g, const nc_options *o, nc_cost_source *cost, nc_selection *sel) {
  memset(sel, 0, sizeof *sel);
  sel->cost = cost;
  sel->cost_name = nc_xstrdup(cost->name ? cost->name : "unknown");
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
    rc = nc_node_args_build(g, nd, &ls->na) || collect_candidates(g, nd, o, k, ls);
  }
  if (!rc && o->n_force) rc = check_constraint_ranges(g, o, order, n);
  free(order);
  if (rc) {
    nc_selection_free(sel);
    return -1;
  }

  int *tensor_value = nc_xmalloc(sizeof(int) * (size_t)(g->n_tensors + 1));
  int *value_tensor = nc_xmalloc(sizeof(int) * (size_t)(g->n_tensors + 1));
  int n_values = number_values(g, tensor_value, value_tensor);
  rc = measure_all(g, o, cost, sel, value_tensor, n_values);
  free(tensor_value);
  free(value_tensor);
  /* after measuring: an agent's identity is known once it has answered */
  sel->fingerprint = nc_xstrdup(cost->fingerprint ? cost->fingerprint : "unknown");
  sel->library_version =
      nc_xstrdup(cost->library_version ? cost->library_version : nc_runtime_version());
  if (rc) {
    nc_selection_free(sel);
    return -2;
  }
  if (nc_select_solve(g, o, sel)) {
    nc_selection_free(sel);
    return -1;
  }
  return 0;
}

int nc_select_solve(const nc_graph *g, const nc_options *o, nc_selection *sel) {
  int n = sel->n_layers, rc = 0;
  int *tensor_value = nc_xmalloc(sizeof(int) * (size_t)(g->n_tensors + 1));
  int *value_tensor = nc_xmalloc(sizeof(int) * (size_t)(g->n_tensors + 1));
  int n_values = number_values(g, tensor_value, value_tensor);
  adapter_ctx actx = {sel->adapter_ms, value_tensor};
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
      /* time plus the accuracy price of quantized candidates (auto mode)
       * plus the price of their bytes under a memory budget */
      choices[k][c].cost = ls->cands[c].ms + o->error_weight * ls->cands[c].err +
                           o->flash_weight * (double)ls->cands[c].flash +
                           o->ram_weight * (double)ls->cands[c].ram;
      for (int i = 0; i < L->n_in; i++)
        choices[k][c].in_fmt[i] = nc_routine_in_format(ls->cands[c].r);
      for (int i = 0; i < L->n_out; i++)
        choices[k][c].out_fmt[i] = nc_routine_out_format(ls->cands[c].r);
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

  dprs_problem p = {0};
  p.n_formats = NC_FORMAT_COUNT;
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
  int bytes_priced = o->flash_weight > 0.0 || o->ram_weight > 0.0;
  if (!rc && bytes_priced) {
    /* the objective held prices far above the times: the predicted time is
     * the chosen path re-evaluated on times alone, not a difference */
    for (int k = 0; k < n; k++)
      for (int c = 0; c < sel->layers[k].n_cands; c++)
        choices[k][c].cost = sel->layers[k].cands[c].ms;
    sel->total_ms = dprs_evaluate(&p, res.choice);
    sel->lower_bound_ms = res.exact ? sel->total_ms : res.lower_bound;
  } else if (!rc) {
    /* the DPRS objective minus the accuracy price: the predicted time */
    double priced = 0.0;
    for (int k = 0; k < n; k++) priced += sel->layers[k].cands[res.choice[k]].err;
    sel->total_ms = res.total - o->error_weight * priced;
    sel->lower_bound_ms = res.lower_bound;
  }
  if (!rc) {
    sel->exact = res.exact;
    sel->dprs_states = res.max_states;
    for (int k = 0; k < n; k++) sel->layers[k].chosen = res.choice[k];
    free(sel->tensor_format);
    sel->tensor_format = nc_xcalloc((size_t)g->n_tensors + 1, sizeof(int));
    for (int k = 0; k < n; k++) {
      const nc_routine *r = sel->layers[k].cands[res.choice[k]].r;
      for (int i = 0; i < sel->layers[k].na.a.n_out; i++) {
        int t = sel->layers[k].na.out_tensor[i];
        if (t >= 0) sel->tensor_format[t] = nc_routine_out_format(r);
      }
    }
  }
  free(res.choice);
  for (int k = 0; k < n; k++) free(choices[k]);
  free(choices);
  free(layers);
  free(src_v); free(src_f); free(snk_v); free(snk_f);
  free(tensor_value); free(value_tensor);
  return rc ? -1 : 0;
}

/* --- memory budgets (target `ram:` / `flash:`) --- */

int nc_bisect_weight(int (*test)(void *ctx, double w), void *ctx, double lo, double hi,
                     int steps, double *best) {
  *best = hi;
  for (int i = 0; i < steps; i++) {
    double mid = sqrt(lo * hi);
    int ok = test(ctx, mid);
    if (ok < 0) return -1;
    if (ok) hi = *best = mid;
    else lo = mid;
  }
  return 0;
}

static size_t align_bytes(size_t x, size_t a) { return (x + a - 1) / a * a; }

/* Flash and RAM bytes of every candidate, as the emitter would store them
 * (weight_buf, build_layer_step in emit.c). A raw constant shared by several
 * layers is counted in each: the DP price is a guide, the check after each
 * solve uses the emitter's own sizes. */
static void candidate_bytes(const nc_graph *g, const nc_options *o, nc_selection *sel) {
  size_t align = o->target && o->target->alignment > 0 ? (size_t)o->target->alignment : 64;
  for (int k = 0; k < sel->n_layers; k++) {
    nc_layer_sel *ls = &sel->layers[k];
    for (int c = 0; c < ls->n_cands; c++) {
      nc_cand *cd = &ls->cands[c];
      const nc_args *a = &nc_cand_args(ls, c)->a;
      cd->flash = cd->ram = 0;
      for (int i = 0; i < ls->na.a.n_in; i++) {
        int t = ls->na.in_tensor[i];
        if (t < 0 || !g->tensors[t].data) continue;
        size_t packed = cd->r->packed_bytes ? cd->r->packed_bytes(a, i) : 0;
        size_t raw = (size_t)nc_numel(&g->tensors[t].desc) * nc_dtype_size(g->tensors[t].desc.dtype);
        cd->flash += align_bytes(packed ? packed : raw, align);
      }
      cd->ram = cd->r->scratch_bytes ? cd->r->scratch_bytes(a) : 0;
      for (int i = 0; i < a->n_out; i++)
        if (ls->na.out_tensor[i] >= 0) cd->ram += nc_layout_bytes(&a->out[i], cd->r->out_layout);
    }
  }
}

/* Whether candidate c alone stays within the budgets: weights within
 * flash, scratch within ram. */
static int may_fit(const nc_options *o, const nc_layer_sel *ls, int c) {
  long long ram = o->target->ram_bytes, flash = o->target->flash_bytes;
  const nc_cand *cd = &ls->cands[c];
  size_t scratch = cd->r->scratch_bytes ? cd->r->scratch_bytes(&nc_cand_args(ls, c)->a) : 0;
  return !(flash > 0 && cd->flash > (size_t)flash) && !(ram > 0 && scratch > (size_t)ram);
}

/* Drop candidates that can never fit. A layer none of whose candidates fits
 * keeps them all: the search then ends at its smallest and reports it. */
static void drop_oversized(const nc_options *o, nc_selection *sel) {
  for (int k = 0; k < sel->n_layers; k++) {
    nc_layer_sel *ls = &sel->layers[k];
    int kept = 0;
    for (int c = 0; c < ls->n_cands; c++) kept += may_fit(o, ls, c);
    if (kept == 0) continue;
    kept = 0;
    for (int c = 0; c < ls->n_cands; c++)
      if (may_fit(o, ls, c)) ls->cands[kept++] = ls->cands[c];
    ls->n_cands = kept;
  }
}

enum { OVER_RAM = 1, OVER_FLASH = 2 };

typedef struct budget_search {
  const nc_graph *g;
  const nc_options *o;
  nc_selection *sel;
  int priced; /* OVER_RAM | OVER_FLASH: the resources with a price */
  int solves;
  nc_emit_info info;
} budget_search;

/* Which budgets the emitter's sizes of the current choice exceed. */
static int over_budget(const nc_target *t, const nc_emit_info *info) {
  int over = 0;
  if (t->ram_bytes > 0 && info->used_ram > (size_t)t->ram_bytes) over |= OVER_RAM;
  if (t->flash_bytes > 0 && info->used_flash > (size_t)t->flash_bytes) over |= OVER_FLASH;
  return over;
}

/* DPRS with bytes priced at lambda ms per budget-full, then the emitter's
 * sizes of its choice. 1: fits, 0: does not, -1: error. */
static int solve_priced(void *vctx, double lambda) {
  budget_search *b = vctx;
  nc_options ow = *b->o;
  const nc_target *t = b->o->target;
  ow.flash_weight = b->priced & OVER_FLASH ? lambda / (double)t->flash_bytes : 0.0;
  ow.ram_weight = b->priced & OVER_RAM ? lambda / (double)t->ram_bytes : 0.0;
  b->solves++;
  if (nc_select_solve(b->g, &ow, b->sel) || nc_emit_sizes(b->g, b->sel, &ow, &b->info)) return -1;
  return over_budget(t, &b->info) == 0;
}

static double kib(size_t n) { return (double)n / 1024.0; }

/* Indices of the n largest non-zero vals into idx, largest first (ties: lower
 * index first); returns how many. */
static int top_n(const size_t *vals, int count, int *idx, int n) {
  int m = 0;
  for (int i = 0; i < count; i++) {
    if (!vals[i]) continue;
    int j = m;
    if (m < n) m++;
    else if (vals[idx[n - 1]] >= vals[i]) continue;
    else j = n - 1;
    idx[j] = i;
    for (; j > 0 && vals[idx[j]] > vals[idx[j - 1]]; j--) {
      int x = idx[j];
      idx[j] = idx[j - 1];
      idx[j - 1] = x;
    }
  }
  return m;
}

/* "needs X of flash, the target has Y: the largest packed weights are ..." */
static int fail_flash(const nc_graph *g, const nc_selection *sel, const nc_target *t,
                      const nc_emit_info *info) {
  enum { N = 3 };
  size_t *vals = nc_xcalloc((size_t)sel->n_layers + 1, sizeof *vals);
  for (int k = 0; k < sel->n_layers; k++)
    vals[k] = sel->layers[k].cands[sel->layers[k].chosen].flash;
  int idx[N];
  int m = top_n(vals, sel->n_layers, idx, N);
  char list[1024] = "";
  size_t len = 0;
  for (int i = 0; i < m && len < sizeof list; i++) {
    const nc_layer_sel *ls = &sel->layers[idx[i]];
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s (%.1f KiB, %s)", i ? ", " : "",
                            g->nodes[ls->node].name, kib(vals[idx[i]]), ls->cands[ls->chosen].desc);
  }
  free(vals);
  return nc_fail("%s: does not fit the flash budget: needs %.1f KiB (%zu bytes) of weights even "
                 "with the smallest routines, the target %s has %.1f KiB (flash: %lld); the "
                 "largest packed weights are %s; use int8 (--dtype int8) or a smaller model",
                 g->path, kib(info->used_flash), info->used_flash, t->name,
                 kib((size_t)t->flash_bytes), t->flash_bytes, m ? list : "(none)");
}

/* "needs X of RAM, the target has Y: the largest activations ..., the largest scratch ..." */
static int fail_ram(const nc_graph *g, const nc_selection *sel, const nc_target *t,
                    const nc_emit_info *info) {
  enum { N = 3 };
  size_t *act = nc_xcalloc((size_t)sel->n_layers + 1, sizeof *act);
  size_t best_scratch = 0;
  int scratch_layer = -1;
  for (int k = 0; k < sel->n_layers; k++) {
    const nc_layer_sel *ls = &sel->layers[k];
    const nc_cand *cd = &ls->cands[ls->chosen];
    const nc_args *a = &nc_cand_args(ls, ls->chosen)->a;
    size_t sb = cd->r->scratch_bytes ? cd->r->scratch_bytes(a) : 0;
    act[k] = cd->ram - sb;
    if (sb > best_scratch) best_scratch = sb, scratch_layer = k;
  }
  int idx[N];
  int m = top_n(act, sel->n_layers, idx, N);
  char list[1024] = "", scratch[512] = "";
  size_t len = 0;
  for (int i = 0; i < m && len < sizeof list; i++) {
    const nc_layer_sel *ls = &sel->layers[idx[i]];
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s (%.1f KiB, %s)", i ? ", " : "",
                            g->nodes[ls->node].name, kib(act[idx[i]]), ls->cands[ls->chosen].desc);
  }
  if (scratch_layer >= 0) {
    const nc_layer_sel *ls = &sel->layers[scratch_layer];
    snprintf(scratch, sizeof scratch, "; the largest routine scratch is %s (%.1f KiB, %s)",
             g->nodes[ls->node].name, kib(best_scratch), ls->cands[ls->chosen].desc);
  }
  free(act);
  return nc_fail("%s: does not fit the RAM budget: the arena needs %.1f KiB (%zu bytes) even "
                 "with the smallest routines, the target %s has %.1f KiB (ram: %lld); the "
                 "largest layer outputs are %s%s; use int8 (--dtype int8), a smaller input or a "
                 "smaller model",
                 g->path, kib(info->used_ram), info->used_ram, t->name, kib((size_t)t->ram_bytes),
                 t->ram_bytes, m ? list : "(none)", scratch);
}

int nc_select_fit_budget(const nc_graph *g, const nc_options *o, nc_selection *sel,
                         nc_budget_report *rep) {
  memset(rep, 0, sizeof *rep);
  const nc_target *t = o->target;
  if (!t || (t->ram_bytes <= 0 && t->flash_bytes <= 0)) return 0;
  candidate_bytes(g, o, sel);
  drop_oversized(o, sel);
  budget_search b = {g, o, sel, 0, 0, {0}};
  int ok = solve_priced(&b, 0.0);
  if (ok < 0) return -1;
  if (ok) {
    rep->used_ram = b.info.used_ram;
    rep->used_flash = b.info.used_flash;
    rep->solves = b.solves;
    return 0;
  }
  /* Price the resources over budget first; if the largest price cannot fix
   * them (lowering one can raise the other), price both. lambda is in ms per
   * budget-full of bytes, so the top is far above any total time. */
  rep->active = 1;
  double top = 1e9 * (sel->total_ms > 1e-6 ? sel->total_ms : 1e-6);
  b.priced = over_budget(t, &b.info);
  ok = solve_priced(&b, top);
  if (ok == 0 && b.priced != (OVER_RAM | OVER_FLASH)) {
    b.priced = (t->ram_bytes > 0 ? OVER_RAM : 0) | (t->flash_bytes > 0 ? OVER_FLASH : 0);
    ok = solve_priced(&b, top);
  }
  if (ok < 0) return -1;
  if (ok == 0) {
    int over = over_budget(t, &b.info);
    return over & OVER_FLASH ? fail_flash(g, sel, t, &b.info) : fail_ram(g, sel, t, &b.info);
  }
  enum { STEPS = 16 }; /* the log-grid ends within a factor 1.0005 of the threshold */
  double best;
  if (nc_bisect_weight(solve_priced, &b, top * 1e-12, top, STEPS, &best)) return -1;
  if (solve_priced(&b, best) != 1) /* leave sel at the chosen price */
    return nc_fail("%s: internal: the memory budget search lost its plan", g->path);
  rep->lambda = best;
  rep->solves = b.solves;
  rep->used_ram = b.info.used_ram;
  rep->used_flash = b.info.used_flash;
  return 0;
}
