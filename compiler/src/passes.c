/* Graph passes: lower every layer in topological order (shape inference and
 * routine args), fold layers whose inputs are all known by running their
 * reference routine, fold BatchNormalization into Conv, fuse a residual Add
 * into the Conv feeding it, fuse activations (SiLU = Sigmoid + Mul included)
 * into their producer, and drop dead layers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "neuroc/args_nn.h"
#include "ops.h"

#define MAX_RT_IN 64
#define MAX_RT_OUT 16

int nc_node_args_build(const nc_graph *g, const nc_node *n, nc_node_args *na) {
  memset(na, 0, sizeof *na);
  int k = 0;
  for (int i = 0; i < n->n_in; i++) {
    if (n->param_inputs & (1u << i)) continue;
    if (k >= MAX_RT_IN)
      return nc_node_fail(g, n, "more than %d inputs are not supported", MAX_RT_IN);
    int t = n->in[i];
    na->in_tensor[k] = t;
    if (t >= 0) na->in[k] = g->tensors[t].desc;
    else memset(&na->in[k], 0, sizeof na->in[k]);
    k++;
  }
  if (n->n_out > MAX_RT_OUT)
    return nc_node_fail(g, n, "more than %d outputs are not supported", MAX_RT_OUT);
  for (int i = 0; i < n->n_out; i++) {
    int t = n->out[i];
    na->out_tensor[i] = t;
    if (t >= 0) na->out[i] = g->tensors[t].desc;
    else memset(&na->out[i], 0, sizeof na->out[i]);
  }
  na->a.n_in = k;
  na->a.n_out = n->n_out;
  na->a.in = na->in;
  na->a.out = na->out;
  na->a.ia = n->ia;
  na->a.fa = n->fa;
  na->a.n_ia = n->n_ia;
  na->a.n_fa = n->n_fa;
  return 0;
}

int32_t nc_node_key_dtype(const nc_node_args *na) {
  for (int i = 0; i < na->a.n_in; i++)
    if (na->in[i].dtype) return na->in[i].dtype;
  for (int i = 0; i < na->a.n_out; i++)
    if (na->out[i].dtype) return na->out[i].dtype;
  return NC_UNDEF;
}

const nc_routine *nc_reference_routine(const char *layer, int32_t dtype, const nc_args *a) {
  const nc_routine *t = nc_routine_table();
  int n = nc_routine_count();
  for (int i = 0; i < n; i++) {
    const nc_routine *r = &t[i];
    if (!(r->flags & NC_RF_REFERENCE) || strcmp(r->layer, layer) != 0) continue;
    if (!(r->dtypes & NC_DT(dtype)) || r->in_layout != NC_LAYOUT_NCHW) continue;
    if (r->applies && !r->applies(a)) continue;
    return r;
  }
  return NULL;
}

/* Folding a huge tensor would bloat the weights; such layers stay at run time. */
#define FOLD_MAX_BYTES (64u << 20)

static size_t tensor_bytes(const nc_tensor *t) {
  return (size_t)nc_numel(&t->desc) * nc_dtype_size(t->desc.dtype);
}

/* Run the reference routine on constant inputs; outputs become constants. */
static int fold_node(nc_graph *g, nc_node *n) {
  nc_node_args na;
  if (nc_node_args_build(g, n, &na)) return -1;
  int32_t dt = nc_node_key_dtype(&na);
  const nc_routine *r = nc_reference_routine(n->op, dt, &na.a);
  if (!r)
    return nc_node_fail(g, n, "no reference routine for dtype %s", nc_dtype_name(dt));
  const void *in[MAX_RT_IN];
  void *out[MAX_RT_OUT];
  for (int i = 0; i < na.a.n_in; i++)
    in[i] = na.in_tensor[i] >= 0 ? g->tensors[na.in_tensor[i]].data : NULL;
  for (int i = 0; i < n->n_out; i++) {
    nc_tensor *t = nc_out(g, n, i);
    out[i] = NULL;
    if (!t) continue;
    size_t bytes = tensor_bytes(t);
    free(t->data);
    t->data = nc_xcalloc(1, bytes ? bytes : 1);
    out[i] = t->data;
  }
  size_t scratch_n = r->scratch_bytes ? r->scratch_bytes(&na.a) : 0;
  void *scratch = scratch_n ? nc_xcalloc(1, scratch_n) : NULL;
  r->fn(&na.a, in, out, scratch);
  free(scratch);
  n->dead = 1;
  return 0;
}

static int outputs_known(nc_graph *g, nc_node *n) {
  int any = 0;
  for (int i = 0; i < n->n_out; i++) {
    nc_tensor *t = nc_out(g, n, i);
    if (!t) continue;
    any = 1;
    if (!t->data) return 0;
  }
  return any;
}

static int foldable(nc_graph *g, nc_node *n) {
  size_t bytes = 0;
  for (int i = 0; i < n->n_in; i++) {
    if (n->param_inputs & (1u << i)) continue;
    nc_tensor *t = nc_in(g, n, i);
    if (t && !t->data) return 0;
  }
  for (int i = 0; i < n->n_out; i++) {
    nc_tensor *t = nc_out(g, n, i);
    if (t) bytes += tensor_bytes(t);
  }
  return bytes <= FOLD_MAX_BYTES;
}

static int check_outputs_typed(nc_graph *g, nc_node *n) {
  for (int i = 0; i < n->n_out; i++) {
    nc_tensor *t = nc_out(g, n, i);
    if (!t) continue;
    if (t->desc.dtype == NC_UNDEF || t->desc.ndim < 0)
      return nc_node_fail(g, n, "internal: lowering left output '%s' without a type", t->name);
    for (int d = 0; d < t->desc.ndim; d++)
      if (t->desc.dims[d] < 0)
        return nc_node_fail(g, n, "output '%s' has a negative dimension", t->name);
  }
  return 0;
}

static int lower_node(nc_graph *g, nc_node *n, nc_pass_stats *st) {
  if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
    return nc_node_fail(g, n, "unsupported op: domain '%s' is not supported", n->domain);
  const nc_op_def *d = nc_op_find(n->op);
  if (!d) return nc_node_fail(g, n, "unsupported op '%s'", n->op);
  if (n->n_in < d->min_in || n->n_in > d->max_in)
    return nc_node_fail(g, n, "has %d inputs, expected %d..%d", n->n_in, d->min_in, d->max_in);
  if (n->n_out < d->min_out || n->n_out > d->max_out)
    return nc_node_fail(g, n, "has %d outputs, expected %d..%d", n->n_out, d->min_out,
                        d->max_out);
  for (int i = 0; i < n->n_in; i++) {
    nc_tensor *t = nc_in(g, n, i);
    if (t && (t->desc.dtype == NC_UNDEF || t->desc.ndim < 0))
      return nc_node_fail(g, n, "input '%s' has no known type or shape", t->name);
  }
  n->param_inputs = d->param_inputs;
  if (d->lower(g, n)) return -1;
  if (check_outputs_typed(g, n)) return -1;
  if (outputs_known(g, n)) {
    n->dead = 1; /* lowering computed the value itself (Shape, Size, Range...) */
    st->folded++;
    return 0;
  }
  if (foldable(g, n)) {
    if (fold_node(g, n)) return -1;
    st->folded++;
  }
  return 0;
}

/* --- BatchNormalization folded into the Conv that feeds it --- */

static int const_f32(nc_graph *g, int t, int64_t n) {
  return t >= 0 && g->tensors[t].data && g->tensors[t].desc.dtype == NC_F32 &&
         nc_numel(&g->tensors[t].desc) == n;
}

static int fold_bn_into_conv(nc_graph *g, nc_node *conv, nc_node *bn) {
  nc_tensor *w = nc_in(g, conv, 1);
  if (!w || !w->data || w->desc.dtype != NC_F32 || w->desc.ndim < 3) return 0;
  int64_t m = w->desc.dims[0];
  if (bn->n_in < 5 || bn->n_out != 1) return 0;
  for (int i = 1; i < 5; i++)
    if (!const_f32(g, bn->in[i], m)) return 0;
  if (conv->n_in > 2 && conv->in[2] >= 0 && !const_f32(g, conv->in[2], m)) return 0;
  const float *scale = g->tensors[bn->in[1]].data, *bias = g->tensors[bn->in[2]].data;
  const float *mean = g->tensors[bn->in[3]].data, *var = g->tensors[bn->in[4]].data;
  double eps = nc_attr_float(bn, "epsilon", 1e-5);
  int64_t per = nc_numel(&w->desc) / m;
  float *wd = w->data;
  /* New constant tensors, so a weight shared with another layer stays intact. */
  char name[512];
  snprintf(name, sizeof name, "%s.bnfold_w", w->name);
  int wt = nc_graph_tensor(g, name);
  w = &g->tensors[conv->in[1]];
  nc_tensor *nw = &g->tensors[wt];
  nw->desc = w->desc;
  nw->data = nc_xmalloc((size_t)nc_numel(&w->desc) * 4);
  float *nwd = nw->data;
  wd = w->data;
  snprintf(name, sizeof name, "%s.bnfold_b", w->name);
  int bt = nc_graph_tensor(g, name);
  nc_tensor *nb = &g->tensors[bt];
  nb->desc.dtype = NC_F32;
  nb->desc.ndim = 1;
  nb->desc.dims[0] = m;
  nb->data = nc_xmalloc((size_t)m * 4);
  float *nbd = nb->data;
  const float *ob = conv->n_in > 2 && conv->in[2] >= 0 ? g->tensors[conv->in[2]].data : NULL;
  for (int64_t o = 0; o < m; o++) {
    double s = scale[o] / sqrt((double)var[o] + eps);
    for (int64_t k = 0; k < per; k++) nwd[o * per + k] = (float)(wd[o * per + k] * s);
    nbd[o] = (float)(((ob ? ob[o] : 0.0) - mean[o]) * s + bias[o]);
  }
  int ins[3] = {conv->in[0], wt, bt};
  int outs[1] = {bn->out[0]};
  nc_node_set_io(conv, ins, 3, outs, 1);
  bn->dead = 1;
  return 1;
}

/* The single live consumer of tensor t, or NULL (graph outputs count as a use). */
static nc_node *sole_consumer(nc_graph *g, int t) {
  if (g->tensors[t].is_output) return NULL;
  nc_node *found = NULL;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_in; k++)
      if (n->in[k] == t) {
        if (found && found != n) return NULL;
        if (found == n) return NULL; /* used twice by one layer */
        found = n;
      }
  }
  return found;
}

static int fold_batchnorms(nc_graph *g) {
  int count = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *c = &g->nodes[i];
    if (c->dead || strcmp(c->op, "Conv") != 0 || c->n_out != 1) continue;
    nc_node *bn = sole_consumer(g, c->out[0]);
    if (!bn || strcmp(bn->op, "BatchNormalization") != 0 || bn->in[0] != c->out[0]) continue;
    count += fold_bn_into_conv(g, c, bn);
  }
  return count;
}

/* --- activation fusion --- */

/* Recognise an activation layer; returns 1 and its nc_act code/params. */
static int activation_of(nc_graph *g, nc_node *n, int *act, double *alpha, double *beta) {
  *alpha = 0.0;
  *beta = 0.0;
  if (n->n_out != 1 || n->n_in < 1) return 0;
  if (strcmp(n->op, "Relu") == 0) {
    *act = NC_ACT_RELU;
    return 1;
  }
  if (strcmp(n->op, "HardSwish") == 0) {
    *act = NC_ACT_HARDSWISH;
    return 1;
  }
  if (strcmp(n->op, "Sigmoid") == 0) {
    *act = NC_ACT_SIGMOID;
    return 1;
  }
  if (strcmp(n->op, "LeakyRelu") == 0) {
    *act = NC_ACT_LEAKYRELU;
    *alpha = nc_attr_float(n, "alpha", 0.01);
    return 1;
  }
  if (strcmp(n->op, "Clip") == 0) {
    double lo = -INFINITY, hi = INFINITY, v;
    if (g->opset < 11) {
      lo = nc_attr_float(n, "min", -INFINITY);
      hi = nc_attr_float(n, "max", INFINITY);
    } else {
      if (n->n_in > 1 && n->in[1] >= 0) {
        if (nc_const_doubles(g, n, 1, &v, 1) != 1) return 0;
        lo = v;
      }
      if (n->n_in > 2 && n->in[2] >= 0) {
        if (nc_const_doubles(g, n, 2, &v, 1) != 1) return 0;
        hi = v;
      }
    }
    *act = NC_ACT_CLIP;
    *alpha = lo;
    *beta = hi;
    return 1;
  }
  return 0;
}

/* --- SiLU: x * Sigmoid(x), exported as a Sigmoid and a Mul --- */

/* The live layers reading tensor t (at most `max`); -1 if more, or if t is a
 * graph output (its value must stay visible). */
static int consumers(nc_graph *g, int t, nc_node **out, int max) {
  if (g->tensors[t].is_output) return -1;
  int k = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->n_in; j++)
      if (n->in[j] == t) {
        if (k == max) return -1;
        out[k++] = n;
        break;
      }
  }
  return k;
}

/* Producer output x read only by s = Sigmoid(x) and m = Mul(x, s) (either
 * operand order), s read only by m: returns m (and *sig = s), or NULL. */
static nc_node *silu_mul(nc_graph *g, int x, nc_node **sig) {
  nc_node *c[2];
  if (consumers(g, x, c, 2) != 2) return NULL;
  nc_node *s = !strcmp(c[0]->op, "Sigmoid") ? c[0] : c[1];
  nc_node *m = s == c[0] ? c[1] : c[0];
  if (strcmp(s->op, "Sigmoid") != 0 || strcmp(m->op, "Mul") != 0) return NULL;
  if (s->n_in != 1 || s->in[0] != x || s->n_out != 1 || m->n_in != 2 || m->n_out != 1)
    return NULL;
  int so = s->out[0];
  if (!((m->in[0] == x && m->in[1] == so) || (m->in[0] == so && m->in[1] == x))) return NULL;
  if (sole_consumer(g, so) != m) return NULL;
  *sig = s;
  return m;
}

static int fuse_silu(nc_graph *g) {
  int count = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *p = &g->nodes[i];
    if (p->dead || p->n_out != 1 || p->out[0] < 0) continue;
    const nc_op_def *d = nc_op_find(p->op);
    if (!d || !d->fuse_act || g->tensors[p->out[0]].desc.dtype != NC_F32) continue;
    nc_node *s = NULL, *m = silu_mul(g, p->out[0], &s);
    if (!m || !d->fuse_act(p, NC_ACT_SILU, 0.0, 0.0)) continue;
    s->dead = m->dead = 1;
    p->out[0] = m->out[0];
    count++;
  }
  return count;
}

/* --- residual Add fused into the Conv that feeds it: Y = Conv(...) + S
 * becomes one Conv with S as its fourth input (args_nn.h NC_CONV_IN_SUM),
 * added before the activation, so a following Relu still fuses. --- */

static int same_shape(const nc_tdesc *a, const nc_tdesc *b) {
  if (a->ndim != b->ndim) return 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->dims[d] != b->dims[d]) return 0;
  return 1;
}

static int conv_has_act(const nc_node *c) {
  return c->ia && c->n_ia > NC_CONV_IA_ACT && c->ia[NC_CONV_IA_ACT] != NC_ACT_NONE;
}

static int fuse_residuals(nc_graph *g) {
  int count = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *c = &g->nodes[i];
    if (c->dead || strcmp(c->op, "Conv") != 0 || c->n_out != 1 || c->out[0] < 0) continue;
    if (c->n_in > NC_CONV_IN_SUM || conv_has_act(c)) continue;
    const int y = c->out[0];
    nc_node *add = sole_consumer(g, y);
    if (!add || strcmp(add->op, "Add") != 0 || add->n_in != 2 || add->n_out != 1) continue;
    const int skip = add->in[0] == y ? add->in[1] : add->in[0];
    if (skip < 0 || skip == y) continue;
    const nc_tensor *st = &g->tensors[skip], *yt = &g->tensors[y];
    /* a constant would miss the layout adapters activation inputs get */
    if (st->data || st->desc.dtype != NC_F32 || yt->desc.dtype != NC_F32) continue;
    const nc_tdesc *sum_out = &g->tensors[add->out[0]].desc;
    if (!same_shape(&st->desc, &yt->desc) || !same_shape(&st->desc, sum_out)) continue;
    int ins[4] = {c->in[0], c->in[1], c->n_in > 2 ? c->in[2] : -1, skip};
    int outs[1] = {add->out[0]};
    nc_node_set_io(c, ins, 4, outs, 1);
    add->dead = 1;
    count++;
  }
  return count;
}

static int fuse_activations(nc_graph *g) {
  int count = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *p = &g->nodes[i];
    if (p->dead || p->n_out != 1 || p->out[0] < 0) continue;
    const nc_op_def *d = nc_op_find(p->op);
    if (!d || !d->fuse_act) continue;
    if (g->tensors[p->out[0]].desc.dtype != NC_F32) continue;
    nc_node *a = sole_consumer(g, p->out[0]);
    int act;
    double alpha, beta;
    if (!a || a->in[0] != p->out[0] || !activation_of(g, a, &act, &alpha, &beta)) continue;
    if (!d->fuse_act(p, act, alpha, beta)) continue;
    p->out[0] = a->out[0];
    a->dead = 1;
    count++;
  }
  return count;
}

/* --- layers that compute nothing at inference: Identity, Dropout whose mask
 * nobody reads, Pad by zero everywhere (PyTorch exports such Pads). Their
 * consumers read the input directly. --- */

static int pads_all_zero(nc_graph *g, nc_node *n) {
  int64_t pads[2 * NC_MAX_DIMS];
  const int64_t *attr;
  int k = g->opset < 11 ? nc_attr_ints(n, "pads", &attr) : nc_const_ints(g, n, 1, pads, 2 * NC_MAX_DIMS);
  if (k < 0) return 0;
  for (int i = 0; i < k; i++)
    if ((g->opset < 11 ? attr[i] : pads[i]) != 0) return 0;
  return 1;
}

static int is_noop(nc_graph *g, nc_node *n) {
  if (n->n_in < 1 || n->in[0] < 0 || n->n_out < 1 || n->out[0] < 0) return 0;
  if (!strcmp(n->op, "Identity")) return 1;
  if (!strcmp(n->op, "Dropout"))
    return n->n_out == 1 || n->out[1] < 0 || nc_tensor_uses(g, n->out[1]) == 0;
  if (!strcmp(n->op, "Pad")) return pads_all_zero(g, n);
  return 0;
}

static int remove_noops(nc_graph *g) {
  int count = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *n = &g->nodes[i];
    if (n->dead || !is_noop(g, n) || g->tensors[n->out[0]].is_output) continue;
    nc_graph_replace_uses(g, n->out[0], n->in[0]);
    n->dead = 1;
    count++;
  }
  return count;
}

/* --- dead layers: no output used by a live layer or the graph --- */

static int remove_dead(nc_graph *g) {
  int removed = 0, changed = 1;
  while (changed) {
    changed = 0;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
      nc_node *n = &g->nodes[i];
      if (n->dead) continue;
      int used = 0;
      for (int o = 0; o < n->n_out && !used; o++)
        if (n->out[o] >= 0 && nc_tensor_uses(g, n->out[o]) > 0) used = 1;
      if (!used) {
        n->dead = 1;
        removed++;
        changed = 1;
      }
    }
  }
  return removed;
}

static void set_producers(nc_graph *g) {
  for (int t = 0; t < g->n_tensors; t++) g->tensors[t].producer = -1;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int o = 0; o < n->n_out; o++)
      if (n->out[o] >= 0) g->tensors[n->out[o]].producer = i;
  }
}

int nc_run_passes(nc_graph *g, nc_pass_stats *st) {
  nc_pass_stats local;
  if (!st) st = &local;
  memset(st, 0, sizeof *st);
  int *order = nc_xmalloc(sizeof(int) * (size_t)(g->n_nodes + 1));
  int n = nc_graph_topo(g, order);
  if (n < 0) {
    free(order);
    return nc_fail("%s: graph has a cycle", g->path);
  }
  for (int k = 0; k < n; k++) {
    if (lower_node(g, &g->nodes[order[k]], st)) {
      free(order);
      return -1;
    }
  }
  free(order);
  for (int o = 0; o < g->n_outputs; o++) {
    nc_tensor *t = &g->tensors[g->outputs[o]];
    if (t->desc.dtype == NC_UNDEF || t->desc.ndim < 0)
      return nc_fail("%s: graph output '%s' is never computed", g->path, t->name);
  }
  st->noops_removed = remove_noops(g);
  st->bn_folded = fold_batchnorms(g);
  /* residual Adds count with the activations: both are fused epilogues */
  st->residual_fused = fuse_residuals(g);
  st->act_fused = fuse_silu(g);
  st->act_fused += fuse_activations(g);
  st->dead_removed = remove_dead(g);
  set_producers(g);
  return 0;
}
