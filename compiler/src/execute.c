/* In-process executor (see execute.h): one layer with any routine, adapter
 * chains between the plain format and a routine's formats, and whole graphs
 * in topological order. */
#include "execute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RT_IN 64
#define MAX_RT_OUT 16
#define ALIGN 64

/* ---- buffers: 64-byte aligned (what the emitted arena guarantees), zeroed
 * so the padded tail of a blocked layout is defined ---- */

static void *abuf(size_t n) {
  size_t sz = (n + ALIGN - 1) / ALIGN * ALIGN;
  if (sz == 0) sz = ALIGN;
  void *p = aligned_alloc(ALIGN, sz);
  if (!p) nc_oom(sz);
  memset(p, 0, sz);
  return p;
}

static size_t plain_bytes(const nc_tdesc *d) {
  return (size_t)nc_numel(d) * nc_dtype_size(d->dtype);
}

static int is_activation(const nc_graph *g, int t) { return t >= 0 && !g->tensors[t].data; }

static const char *fmt_name(int32_t dtype, int fmt, char *buf, size_t n) {
  snprintf(buf, n, "%s %s", nc_dtype_name(nc_format_q(fmt) == NC_Q_U8 ? NC_U8 : dtype),
           nc_layout_name(nc_format_layout(fmt)));
  return buf;
}

/* ---- routines this process can call ---- */

int nc_exec_host_runnable(const nc_routine *r) {
  char isa[32];
  return r && r->fn && nc_cpu_supports(nc_routine_isa(r, isa, sizeof isa));
}

/* A selection for a cross target (isa "c99 neon neondot" on an x86 compiler)
 * may hold routines this host cannot call: their table entry has fn == NULL
 * off their architecture. Calibration still has to run the layer, so it runs
 * a stand-in: a host-runnable routine of the same layer, dtype and activation
 * storage (u8 stays u8), the reference first. It computes the same op; only
 * the rounding of reordered sums can differ from the target's routine. */
static const nc_routine *host_standin(const nc_graph *g, int node, const nc_routine *r) {
  const nc_routine *t = nc_routine_table();
  int cnt = nc_routine_count();
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < cnt; i++) {
      const nc_routine *c = &t[i];
      if (pass == 0 && !(c->flags & NC_RF_REFERENCE)) continue;
      if (strcmp(c->layer, r->layer) || c->in_q != r->in_q || c->out_q != r->out_q ||
          (c->dtypes & r->dtypes) == 0 || !nc_exec_host_runnable(c))
        continue;
      nc_node_args ra;
      if (nc_exec_routine_args(g, node, c, &ra)) continue;
      if (!(c->dtypes & NC_DT(nc_node_key_dtype(&ra)))) continue;
      if (c->applies && !c->applies(&ra.a)) continue;
      return c;
    }
  return NULL;
}

/* ---- routine args in a routine's storage ---- */

int nc_exec_routine_args(const nc_graph *g, int node, const nc_routine *r, nc_node_args *ra) {
  const nc_node *n = &g->nodes[node];
  if (nc_node_args_build(g, n, ra)) return -1;
  int ifmt = nc_routine_in_format(r), ofmt = nc_routine_out_format(r);
  for (int i = 0; i < ra->a.n_in; i++) {
    int t = ra->in_tensor[i];
    if (!is_activation(g, t)) continue;
    if (r->in_q == NC_Q_U8 && g->tensors[t].qscale <= 0.0f)
      return nc_node_fail(g, n, "routine %s keeps input '%s' in u8, but it has no calibrated range",
                          r->descriptor, g->tensors[t].name);
    nc_format_desc(&g->tensors[t], ifmt, &ra->in[i]);
  }
  for (int j = 0; j < ra->a.n_out; j++) {
    int t = ra->out_tensor[j];
    if (t < 0) continue;
    if (r->out_q == NC_Q_U8 && g->tensors[t].qscale <= 0.0f)
      return nc_node_fail(g, n, "routine %s keeps output '%s' in u8, but it has no calibrated range",
                          r->descriptor, g->tensors[t].name);
    nc_format_desc(&g->tensors[t], ofmt, &ra->out[j]);
  }
  return 0;
}

/* ---- adapter chains: plain format <-> a routine's format ---- */

/* Steps from format fmt[0] to fmt[n]. buf[k] holds the tensor in fmt[k];
 * the caller's end (plain data) is borrowed for one run and reset to NULL,
 * every other non-NULL buffer is owned. */
typedef struct xchain {
  int n;
  int fmt[NC_FORMAT_COUNT + 1];
  const nc_routine *r[NC_FORMAT_COUNT];
  nc_tdesc d[NC_FORMAT_COUNT + 1];
  void *buf[NC_FORMAT_COUNT + 1];
  void *scratch[NC_FORMAT_COUNT];
} xchain;

/* Adapter converting t from format f to format to, or NULL. */
static const nc_routine *adapter_step(const nc_tensor *t, int f, int to) {
  if ((nc_format_q(f) == NC_Q_U8 || nc_format_q(to) == NC_Q_U8) && t->qscale <= 0.0f) return NULL;
  const nc_routine *r = nc_adapter_routine(t->desc.dtype, f, to);
  if (!nc_exec_host_runnable(r)) return NULL;
  nc_tdesc di, dout;
  nc_format_desc(t, f, &di);
  nc_format_desc(t, to, &dout);
  nc_args a = {1, 1, &di, &dout, NULL, NULL, 0, 0};
  if (r->applies && !r->applies(&a)) return NULL;
  return r;
}

/* Shortest adapter chain from -> to (breadth first over the few formats, so
 * a direct adapter, the one the emitter uses, wins), with its intermediate
 * buffers and the routine-side end: the last buffer of an input chain
 * (`to_routine`), the first of an output chain when it has steps. NULL if
 * no chain exists. */
static xchain *chain_new(const nc_tensor *t, int from, int to, int to_routine) {
  int prev[NC_FORMAT_COUNT], seen[NC_FORMAT_COUNT] = {0}, queue[NC_FORMAT_COUNT];
  const nc_routine *via[NC_FORMAT_COUNT] = {0};
  int qh = 0, qt = 0;
  queue[qt++] = from;
  seen[from] = 1;
  prev[from] = -1;
  while (qh < qt && !seen[to]) {
    int f = queue[qh++];
    for (int n = 0; n < NC_FORMAT_COUNT; n++) {
      if (seen[n]) continue;
      const nc_routine *r = adapter_step(t, f, n);
      if (!r) continue;
      seen[n] = 1;
      prev[n] = f;
      via[n] = r;
      queue[qt++] = n;
    }
  }
  if (!seen[to]) return NULL;
  int path[NC_FORMAT_COUNT + 1], len = 0;
  for (int f = to; f >= 0; f = prev[f]) path[len++] = f;
  xchain *c = nc_xcalloc(1, sizeof *c);
  c->n = len - 1;
  for (int k = 0; k < len; k++) {
    c->fmt[k] = path[len - 1 - k];
    nc_format_desc(t, c->fmt[k], &c->d[k]);
  }
  for (int k = 0; k < c->n; k++) {
    c->r[k] = via[c->fmt[k + 1]];
    nc_args a = {1, 1, &c->d[k], &c->d[k + 1], NULL, NULL, 0, 0};
    size_t s = c->r[k]->scratch_bytes ? c->r[k]->scratch_bytes(&a) : 0;
    c->scratch[k] = s ? abuf(s) : NULL;
  }
  int lo = to_routine ? 1 : 0, hi = to_routine ? c->n : c->n - 1;
  for (int k = lo; k <= hi; k++)
    c->buf[k] = abuf(nc_layout_bytes(&c->d[k], nc_format_layout(c->fmt[k])));
  return c;
}

static void chain_run(xchain *c) {
  for (int k = 0; k < c->n; k++) {
    nc_args a = {1, 1, &c->d[k], &c->d[k + 1], NULL, NULL, 0, 0};
    const void *in[1] = {c->buf[k]};
    void *out[1] = {c->buf[k + 1]};
    c->r[k]->fn(&a, in, out, c->scratch[k]);
  }
}

static void chain_free(xchain *c) {
  if (!c) return;
  for (int k = 0; k <= c->n; k++) free(c->buf[k]);
  for (int k = 0; k < c->n; k++) free(c->scratch[k]);
  free(c);
}

/* ---- one layer ---- */

struct nc_exec_layer {
  const nc_graph *g;
  int node;
  const nc_routine *r;
  nc_node_args ra; /* routine args; in_tensor/out_tensor from the node */
  int64_t *ia;
  double *fa;
  const void *in[MAX_RT_IN];
  void *out[MAX_RT_OUT];
  void *packed[MAX_RT_IN];
  xchain *ich[MAX_RT_IN], *och[MAX_RT_OUT];
  void *scratch;
};

/* Chain for operand tensor t between plain and fmt (plain -> fmt when
 * `to_routine`). The routine-side descriptor `rd` may carry quantization
 * parameters of its own (caller-given args): the chain then uses them. */
static xchain *operand_chain(const nc_graph *g, int t, int fmt, const nc_tdesc *rd, int to_routine) {
  nc_tensor tq = g->tensors[t];
  if (rd->dtype == NC_U8 && rd->scale > 0.0f) {
    tq.qscale = rd->scale;
    tq.qzero = rd->zero_point;
  }
  int plain = nc_format(NC_LAYOUT_NCHW, NC_Q_NONE);
  return to_routine ? chain_new(&tq, plain, fmt, 1) : chain_new(&tq, fmt, plain, 0);
}

static int layer_fail(const nc_graph *g, int node, const char *what) {
  return nc_node_fail(g, &g->nodes[node], "%s", what);
}

static int prepare_operands(nc_exec_layer *x) {
  const nc_graph *g = x->g;
  const nc_routine *r = x->r;
  const nc_args *a = &x->ra.a;
  char msg[512], f1[32], f2[32];
  int ifmt = nc_routine_in_format(r), ofmt = nc_routine_out_format(r);
  const void *consts[MAX_RT_IN] = {0};
  for (int i = 0; i < a->n_in; i++) {
    int t = x->ra.in_tensor[i];
    consts[i] = t >= 0 ? g->tensors[t].data : NULL;
  }
  for (int i = 0; i < a->n_in; i++) {
    int t = x->ra.in_tensor[i];
    if (t < 0) continue;
    if (!is_activation(g, t)) {
      size_t pb = r->packed_bytes ? r->packed_bytes(a, i) : 0;
      if (pb > 0) {
        x->packed[i] = abuf(pb);
        nc_routine_pack(r, a, i, consts, x->packed[i]);
        x->in[i] = x->packed[i];
      } else {
        x->in[i] = g->tensors[t].data;
      }
      continue;
    }
    x->ich[i] = operand_chain(g, t, ifmt, &a->in[i], 1);
    if (!x->ich[i]) {
      snprintf(msg, sizeof msg, "routine %s: no adapter from %s to %s for input '%s'",
               r->descriptor, fmt_name(g->tensors[t].desc.dtype, 0, f1, sizeof f1),
               fmt_name(g->tensors[t].desc.dtype, ifmt, f2, sizeof f2), g->tensors[t].name);
      return layer_fail(g, x->node, msg);
    }
  }
  for (int j = 0; j < a->n_out; j++) {
    int t = x->ra.out_tensor[j];
    if (t < 0) continue;
    x->och[j] = operand_chain(g, t, ofmt, &a->out[j], 0);
    if (!x->och[j]) {
      snprintf(msg, sizeof msg, "routine %s: no adapter from %s to %s for output '%s'",
               r->descriptor, fmt_name(g->tensors[t].desc.dtype, ofmt, f1, sizeof f1),
               fmt_name(g->tensors[t].desc.dtype, 0, f2, sizeof f2), g->tensors[t].name);
      return layer_fail(g, x->node, msg);
    }
  }
  size_t s = r->scratch_bytes ? r->scratch_bytes(a) : 0;
  x->scratch = s ? abuf(s) : NULL;
  return 0;
}

nc_exec_layer *nc_exec_layer_new(const nc_graph *g, int node, const nc_routine *r,
                                 const nc_args *a) {
  if (node < 0 || node >= g->n_nodes || g->nodes[node].dead) {
    nc_fail("%s: layer %d is not a live layer", g->path ? g->path : "graph", node);
    return NULL;
  }
  if (!r) {
    nc_node_fail(g, &g->nodes[node], "no routine to run");
    return NULL;
  }
  if (!nc_exec_host_runnable(r)) {
    const nc_routine *s = host_standin(g, node, r);
    if (!s) {
      nc_node_fail(g, &g->nodes[node],
                   "routine %s cannot run on this host and no host routine of the same layer "
                   "and storage applies", r->descriptor);
      return NULL;
    }
    r = s;
  }
  nc_exec_layer *x = nc_xcalloc(1, sizeof *x);
  x->g = g;
  x->node = node;
  x->r = r;
  if (nc_exec_routine_args(g, node, r, &x->ra)) goto fail;
  if (a) {
    if (a->n_in != x->ra.a.n_in || a->n_out != x->ra.a.n_out) {
      nc_node_fail(g, &g->nodes[node], "args have %d inputs / %d outputs, the layer %d / %d",
                   a->n_in, a->n_out, x->ra.a.n_in, x->ra.a.n_out);
      goto fail;
    }
    memcpy(x->ra.in, a->in, sizeof(nc_tdesc) * (size_t)a->n_in);
    memcpy(x->ra.out, a->out, sizeof(nc_tdesc) * (size_t)a->n_out);
    x->ia = nc_xmalloc(sizeof(int64_t) * (size_t)(a->n_ia + 1));
    x->fa = nc_xmalloc(sizeof(double) * (size_t)(a->n_fa + 1));
    if (a->n_ia) memcpy(x->ia, a->ia, sizeof(int64_t) * (size_t)a->n_ia);
    if (a->n_fa) memcpy(x->fa, a->fa, sizeof(double) * (size_t)a->n_fa);
    x->ra.a.ia = x->ia;
    x->ra.a.fa = x->fa;
    x->ra.a.n_ia = a->n_ia;
    x->ra.a.n_fa = a->n_fa;
  }
  if (strcmp(r->layer, g->nodes[node].op) != 0) {
    nc_node_fail(g, &g->nodes[node], "routine %s is for %s layers", r->descriptor, r->layer);
    goto fail;
  }
  if (!(r->dtypes & NC_DT(nc_node_key_dtype(&x->ra)))) {
    nc_node_fail(g, &g->nodes[node], "routine %s does not take %s", r->descriptor,
                 nc_dtype_name(nc_node_key_dtype(&x->ra)));
    goto fail;
  }
  if (r->applies && !r->applies(&x->ra.a)) {
    nc_node_fail(g, &g->nodes[node], "routine %s does not apply to this layer", r->descriptor);
    goto fail;
  }
  if (prepare_operands(x)) goto fail;
  return x;
fail:
  nc_exec_layer_free(x);
  return NULL;
}

int nc_exec_layer_run(nc_exec_layer *x, const void *const *acts, void *const *outs) {
  const nc_args *a = &x->ra.a;
  for (int i = 0; i < a->n_in; i++) {
    xchain *c = x->ich[i];
    if (!c) continue;
    c->buf[0] = (void *)acts[i];
    chain_run(c);
    x->in[i] = c->buf[c->n];
  }
  for (int j = 0; j < a->n_out; j++) {
    xchain *c = x->och[j];
    x->out[j] = NULL;
    if (!c) continue;
    if (c->n == 0 && outs[j]) {
      x->out[j] = outs[j]; /* the routine writes the plain format itself */
      continue;
    }
    if (!c->buf[0]) /* a dropped output without conversion: a buffer of our own */
      c->buf[0] = abuf(plain_bytes(&x->g->tensors[x->ra.out_tensor[j]].desc));
    x->out[j] = c->buf[0];
  }
  x->r->fn(a, x->in, x->out, x->scratch);
  for (int j = 0; j < a->n_out; j++) {
    xchain *c = x->och[j];
    if (!c || !outs[j] || c->n == 0) continue;
    c->buf[c->n] = outs[j];
    chain_run(c);
    c->buf[c->n] = NULL;
  }
  for (int i = 0; i < a->n_in; i++)
    if (x->ich[i]) x->ich[i]->buf[0] = NULL;
  return 0;
}

void nc_exec_layer_free(nc_exec_layer *x) {
  if (!x) return;
  for (int i = 0; i < MAX_RT_IN; i++) {
    free(x->packed[i]);
    chain_free(x->ich[i]);
  }
  for (int j = 0; j < MAX_RT_OUT; j++) chain_free(x->och[j]);
  free(x->scratch);
  free(x->ia);
  free(x->fa);
  free(x);
}

int nc_exec_layer_once(const nc_graph *g, int node, const nc_routine *r, const nc_args *a,
                       const void *const *acts, void *const *outs) {
  nc_exec_layer *x = nc_exec_layer_new(g, node, r, a);
  if (!x) return -1;
  int rc = nc_exec_layer_run(x, acts, outs);
  nc_exec_layer_free(x);
  return rc;
}

/* ---- routine choice per layer ---- */

int nc_exec_pick_reference(void *ctx, const nc_graph *g, int node, const nc_routine **r) {
  (void)ctx;
  nc_node_args na;
  if (nc_node_args_build(g, &g->nodes[node], &na)) return -1;
  int32_t dt = nc_node_key_dtype(&na);
  *r = nc_reference_routine(g->nodes[node].op, dt, &na.a);
  if (!*r)
    return nc_node_fail(g, &g->nodes[node], "no reference routine for dtype %s", nc_dtype_name(dt));
  return 0;
}

int nc_exec_pick_selection(void *ctx, const nc_graph *g, int node, const nc_routine **r) {
  const nc_selection *sel = ctx;
  for (int k = 0; k < sel->n_layers; k++) {
    const nc_layer_sel *ls = &sel->layers[k];
    if (ls->node != node) continue;
    if (ls->chosen < 0 || ls->chosen >= ls->n_cands)
      return nc_node_fail(g, &g->nodes[node], "the selection chose no routine");
    *r = ls->cands[ls->chosen].r;
    return 0;
  }
  return nc_node_fail(g, &g->nodes[node], "the layer is not in the selection");
}

int nc_exec_pick_array(void *ctx, const nc_graph *g, int node, const nc_routine **r) {
  const nc_routine *const *per_node = ctx;
  if (per_node && per_node[node]) {
    *r = per_node[node];
    return 0;
  }
  return nc_exec_pick_reference(NULL, g, node, r);
}

/* ---- a whole graph ---- */

typedef struct gstate {
  const nc_graph *g;
  const nc_exec_graph_opts *o;
  void **val;    /* plain-format value per tensor while it is live */
  int *uses;     /* consumers still to run, per activation tensor */
  char *keep;    /* graph outputs: kept to the end */
} gstate;

static int tensor_ready(gstate *s, int t) {
  if (!s->o->on_tensor) return 0;
  return s->o->on_tensor(s->o->tensor_ctx, s->g, t, s->val[t]);
}

/* Drop t's value once nothing needs it any more (graph outputs stay). */
static void release(gstate *s, int t) {
  if (s->uses[t] > 0 || s->keep[t]) return;
  free(s->val[t]);
  s->val[t] = NULL;
}

static int bind_inputs(gstate *s, const nc_const *inputs) {
  const nc_graph *g = s->g;
  int k = 0;
  for (int i = 0; i < g->n_inputs; i++) {
    int t = g->inputs[i];
    const nc_tensor *x = &g->tensors[t];
    if (x->data) continue;
    const nc_const *v = &inputs[k++];
    if (v->desc.dtype != x->desc.dtype || nc_numel(&v->desc) != nc_numel(&x->desc))
      return nc_fail("%s: input '%s': expected %s with %lld elements, got %s with %lld", g->path,
                     x->name, nc_dtype_name(x->desc.dtype), (long long)nc_numel(&x->desc),
                     nc_dtype_name(v->desc.dtype), (long long)nc_numel(&v->desc));
    size_t n = plain_bytes(&x->desc);
    free(s->val[t]); /* an input listed twice */
    s->val[t] = abuf(n);
    if (n) memcpy(s->val[t], v->data, n);
    if (tensor_ready(s, t)) return -1;
  }
  return 0;
}

static int run_node(gstate *s, int node) {
  const nc_graph *g = s->g;
  const nc_node *n = &g->nodes[node];
  const nc_routine *r = NULL;
  nc_exec_pick_fn pick = s->o->pick ? s->o->pick : nc_exec_pick_reference;
  if (pick(s->o->pick_ctx, g, node, &r)) return -1;
  nc_exec_layer *x = nc_exec_layer_new(g, node, r, NULL);
  if (!x) return -1;
  const nc_node_args *na = &x->ra;
  const void *acts[MAX_RT_IN] = {0};
  void *outs[MAX_RT_OUT] = {0};
  for (int i = 0; i < na->a.n_in; i++) {
    int t = na->in_tensor[i];
    if (!is_activation(g, t)) continue;
    if (!s->val[t]) {
      nc_exec_layer_free(x);
      return nc_node_fail(g, n, "input '%s' has no value (not a graph input, no producer)",
                          g->tensors[t].name);
    }
    acts[i] = s->val[t];
  }
  for (int j = 0; j < na->a.n_out; j++) {
    int t = na->out_tensor[j];
    if (t < 0) continue;
    free(s->val[t]);
    s->val[t] = abuf(plain_bytes(&g->tensors[t].desc));
    outs[j] = s->val[t];
  }
  int rc = nc_exec_layer_run(x, acts, outs);
  nc_exec_layer_free(x);
  for (int j = 0; !rc && j < n->n_out; j++)
    if (n->out[j] >= 0) rc = tensor_ready(s, n->out[j]);
  for (int i = 0; i < n->n_in; i++) {
    int t = n->in[i];
    if (!is_activation(g, t)) continue;
    s->uses[t]--;
    release(s, t);
  }
  for (int j = 0; j < n->n_out; j++)
    if (n->out[j] >= 0) release(s, n->out[j]);
  return rc;
}

static int collect_outputs(gstate *s, nc_const *outputs) {
  const nc_graph *g = s->g;
  for (int o = 0; o < g->n_outputs; o++) {
    int t = g->outputs[o];
    const nc_tensor *x = &g->tensors[t];
    size_t n = plain_bytes(&x->desc);
    const void *src = x->data ? x->data : s->val[t];
    if (!src) return nc_fail("%s: output '%s' was not computed", g->path, x->name);
    outputs[o].desc = x->desc;
    outputs[o].data = nc_xmalloc(n ? n : 1);
    if (n) memcpy(outputs[o].data, src, n);
  }
  return 0;
}

int nc_exec_graph(const nc_graph *g, const nc_exec_graph_opts *o, const nc_const *inputs,
                  nc_const *outputs) {
  static const nc_exec_graph_opts none = {0};
  gstate s = {g, o ? o : &none, NULL, NULL, NULL};
  for (int i = 0; i < g->n_outputs; i++) memset(&outputs[i], 0, sizeof outputs[i]);
  int *order = nc_xmalloc(sizeof(int) * (size_t)(g->n_nodes + 1));
  int n = nc_graph_topo(g, order);
  int rc = n < 0 ? nc_fail("%s: the graph has a cycle", g->path) : 0;
  s.val = nc_xcalloc((size_t)g->n_tensors + 1, sizeof *s.val);
  s.uses = nc_xcalloc((size_t)g->n_tensors + 1, sizeof *s.uses);
  s.keep = nc_xcalloc((size_t)g->n_tensors + 1, 1);
  for (int i = 0; i < g->n_outputs; i++) s.keep[g->outputs[i]] = 1;
  for (int k = 0; k < n; k++) {
    const nc_node *nd = &g->nodes[order[k]];
    for (int i = 0; i < nd->n_in; i++)
      if (is_activation(g, nd->in[i])) s.uses[nd->in[i]]++;
  }
  if (!rc) rc = bind_inputs(&s, inputs);
  for (int k = 0; !rc && k < n; k++) rc = run_node(&s, order[k]);
  if (!rc) rc = collect_outputs(&s, outputs);
  if (rc) nc_exec_outputs_free(g, outputs);
  for (int t = 0; t < g->n_tensors; t++) free(s.val[t]);
  free(s.val);
  free(s.uses);
  free(s.keep);
  free(order);
  return rc;
}

void nc_exec_outputs_free(const nc_graph *g, nc_const *outputs) {
  for (int i = 0; i < g->n_outputs; i++) {
    free(outputs[i].data);
    outputs[i].data = NULL;
  }
}
