/* --export-qdq: the original ModelProto, re-read from its file, with
 * neuroc's quantization written in as QDQ (see export_qdq.h).
 *
 * Which tensors: an activation is quantized when the selection produces it
 * in a u8 format, or a chosen routine reads it in u8; the pair
 * QuantizeLinear -> DequantizeLinear with its calibrated scale/zero point is
 * inserted right after its producer (the producer's output is renamed
 * NAME/f32 and the DequantizeLinear writes NAME, so consumers and graph
 * outputs keep their names; a graph input gets NAME/dq and its consumers
 * are rewired). Outputs of shape-only ops (Identity, Flatten, Reshape,
 * Squeeze, Unsqueeze) of a quantized tensor get the same pair, which is
 * exact (the values are already on the grid) and lets ONNX Runtime fuse the
 * next layer. Weights of quantized Conv/Gemm/MatMul layers become s8
 * initializers NAME/s8 with per-output-channel scales (symmetric, zero
 * point 0, the rule neuroc's int8 routines use) and a DequantizeLinear
 * writing NAME. Biases stay f32, as neuroc's routines add them in float.
 *
 * Memory: every message added here is tracked and freed here; the fields of
 * the unpacked model that are replaced are restored before it is freed. */
#include "export_qdq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neuroc/quant.h"
#include "onnx.pb-c.h"
#include "plan_read.h"

/* ---------------- allocation tracking ---------------- */

typedef struct arena {
  void **p;
  size_t n, cap;
} arena;

static void *track(arena *a, void *p) {
  if (a->n == a->cap) {
    a->cap = a->cap ? 2 * a->cap : 256;
    void **np = realloc(a->p, a->cap * sizeof *np);
    if (!np) nc_oom(a->cap * sizeof *np);
    a->p = np;
  }
  a->p[a->n++] = p;
  return p;
}
static void *acalloc(arena *a, size_t n, size_t sz) { return track(a, nc_xcalloc(n ? n : 1, sz)); }
static char *astrcat(arena *a, const char *s, const char *suffix) {
  size_t n = strlen(s) + strlen(suffix) + 1;
  char *r = acalloc(a, n, 1);
  snprintf(r, n, "%s%s", s, suffix);
  return r;
}
static void arena_free(arena *a) {
  for (size_t i = 0; i < a->n; i++) free(a->p[i]);
  free(a->p);
}

/* ---------------- which tensors ---------------- */

typedef struct qact {
  const char *name; /* tensor name in the file */
  float scale;
  int32_t zp;
} qact;

typedef struct qweight {
  const char *name; /* initializer name */
  int axis;         /* output-channel axis in the initializer's layout */
  const nc_tensor *t;
} qweight;

typedef struct plan {
  qact *acts;
  int n_acts;
  qweight *ws;
  int n_ws;
} plan;

static int find_act(const plan *p, const char *name) {
  for (int i = 0; i < p->n_acts; i++)
    if (strcmp(p->acts[i].name, name) == 0) return i;
  return -1;
}

static int is_quant_layer_op(const char *op) {
  return !strcmp(op, "Conv") || !strcmp(op, "Gemm") || !strcmp(op, "MatMul");
}
static int is_shape_op(const char *op) {
  return !strcmp(op, "Identity") || !strcmp(op, "Flatten") || !strcmp(op, "Reshape") ||
         !strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze");
}

/* Activations of the file: graph inputs and node outputs, by name. */
static int file_has_activation(const Onnx__GraphProto *gp, const char *name) {
  for (size_t i = 0; i < gp->n_node; i++)
    for (size_t j = 0; j < gp->node[i]->n_output; j++)
      if (!strcmp(gp->node[i]->output[j], name)) return 1;
  for (size_t i = 0; i < gp->n_input; i++)
    if (!strcmp(gp->input[i]->name, name)) {
      for (size_t k = 0; k < gp->n_initializer; k++)
        if (!strcmp(gp->initializer[k]->name, name)) return 0;
      return 1;
    }
  return 0;
}

static const Onnx__TensorProto *file_initializer(const Onnx__GraphProto *gp, const char *name) {
  for (size_t k = 0; k < gp->n_initializer; k++)
    if (!strcmp(gp->initializer[k]->name, name)) return gp->initializer[k];
  return NULL;
}

/* The IR weight is what neuroc quantized; it may stand for the file's
 * initializer only if nothing rewrote it (e.g. a folded BatchNormalization
 * would change its values under the same name). */
static int same_weight(const Onnx__TensorProto *tp, const nc_tensor *t) {
  if (!tp->has_data_type || tp->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) return 0;
  if (t->desc.dtype != NC_F32 || (int)tp->n_dims != t->desc.ndim) return 0;
  for (int d = 0; d < t->desc.ndim; d++)
    if (tp->dims[d] != t->desc.dims[d]) return 0;
  size_t bytes = (size_t)nc_numel(&t->desc) * sizeof(float);
  if (tp->n_external_data) return 1; /* values live elsewhere; the name and shape agree */
  if (tp->has_raw_data) return tp->raw_data.len == bytes && !memcmp(tp->raw_data.data, t->data, bytes);
  if (tp->n_float_data * sizeof(float) == bytes)
    return !memcmp(tp->float_data, t->data, bytes);
  return 0;
}

/* Output-channel axis of layer n's weight (input 1): Conv [M, C/g, k...] and
 * Gemm with transB [N, K] on axis 0; Gemm without transB and MatMul [K, N]
 * on axis 1. -1 when neuroc's int8 routines would not take it. */
static int weight_axis(const nc_node *n, const nc_tensor *w) {
  if (!strcmp(n->op, "Conv")) return w->desc.ndim >= 3 ? 0 : -1;
  if (w->desc.ndim != 2) return -1;
  if (!strcmp(n->op, "Gemm")) return nc_attr_int((nc_node *)n, "transB", 0) ? 0 : 1;
  return 1;
}

static void add_act(plan *p, int cap, const char *name, float scale, int32_t zp) {
  if (find_act(p, name) >= 0 || p->n_acts >= cap) return;
  p->acts[p->n_acts++] = (qact){name, scale, zp};
}

static int chosen_in_u8(const nc_selection *sel, int k) {
  const nc_layer_sel *ls = &sel->layers[k];
  return ls->cands[ls->chosen].r->in_q == NC_Q_U8;
}

/* Quantized activations and weights of sel, named as in the file. */
static void make_plan(const nc_graph *g, const nc_selection *sel, const Onnx__GraphProto *gp,
                      arena *a, plan *p, nc_qdq_stats *st) {
  int cap = g->n_tensors + (int)gp->n_node + 1;
  memset(p, 0, sizeof *p);
  p->acts = acalloc(a, (size_t)cap, sizeof *p->acts);
  p->ws = acalloc(a, (size_t)sel->n_layers + 1, sizeof *p->ws);
  char *quant = acalloc(a, (size_t)g->n_tensors + 1, 1);
  for (int t = 0; t < g->n_tensors && sel->tensor_format; t++)
    if (nc_format_q(sel->tensor_format[t]) == NC_Q_U8) quant[t] = 1;
  for (int k = 0; k < sel->n_layers; k++) {
    if (!chosen_in_u8(sel, k)) continue;
    const nc_node *n = &g->nodes[sel->layers[k].node];
    for (int i = 0; i < n->n_in; i++)
      if (n->in[i] >= 0 && !g->tensors[n->in[i]].data) quant[n->in[i]] = 1;
    if (!is_quant_layer_op(n->op) || n->n_in < 2 || n->in[1] < 0) continue;
    const nc_tensor *w = &g->tensors[n->in[1]];
    int axis = w->data ? weight_axis(n, w) : -1;
    const Onnx__TensorProto *tp = axis >= 0 ? file_initializer(gp, w->name) : NULL;
    if (!tp || !same_weight(tp, w)) {
      if (w->data) {
        fprintf(stderr,
                "neuroc: warning: %s: weight '%s' of node '%s' has no unchanged initializer "
                "in the file; exported in f32\n",
                g->path, w->name, n->name);
        st->skipped++;
      }
      continue;
    }
    int dup = 0;
    for (int i = 0; i < p->n_ws; i++) dup |= !strcmp(p->ws[i].name, w->name);
    if (!dup) p->ws[p->n_ws++] = (qweight){w->name, axis, w};
  }
  for (int t = 0; t < g->n_tensors; t++) {
    if (!quant[t]) continue;
    const nc_tensor *x = &g->tensors[t];
    if (x->qscale <= 0.0f || !file_has_activation(gp, x->name)) {
      st->skipped++;
      continue;
    }
    add_act(p, cap, x->name, x->qscale, x->qzero);
  }
  int direct = p->n_acts;
  for (size_t i = 0; i < gp->n_node; i++) { /* file order is topological */
    const Onnx__NodeProto *np = gp->node[i];
    if (!is_shape_op(np->op_type) || np->n_input < 1 || np->n_output < 1) continue;
    int s = find_act(p, np->input[0]);
    if (s >= 0) add_act(p, cap, np->output[0], p->acts[s].scale, p->acts[s].zp);
  }
  st->activations = p->n_acts;
  st->propagated = p->n_acts - direct;
  st->weights = p->n_ws;
}

/* ---------------- building messages ---------------- */

static Onnx__TensorProto *scalar_init(arena *a, const char *name, int32_t type, const void *v,
                                      size_t bytes) {
  Onnx__TensorProto *tp = acalloc(a, 1, sizeof *tp);
  onnx__tensor_proto__init(tp);
  tp->name = (char *)name;
  tp->has_data_type = 1;
  tp->data_type = type;
  tp->has_raw_data = 1;
  tp->raw_data.len = bytes;
  tp->raw_data.data = acalloc(a, bytes, 1);
  memcpy(tp->raw_data.data, v, bytes);
  return tp;
}

static Onnx__TensorProto *vector_init(arena *a, const char *name, int32_t type, const nc_tdesc *d,
                                      void *data, size_t bytes) {
  Onnx__TensorProto *tp = scalar_init(a, name, type, data, bytes);
  tp->n_dims = (size_t)d->ndim;
  tp->dims = acalloc(a, (size_t)d->ndim, sizeof *tp->dims);
  for (int i = 0; i < d->ndim; i++) tp->dims[i] = d->dims[i];
  return tp;
}

static Onnx__NodeProto *qdq_node(arena *a, const char *op, const char *name, const char *x,
                                 const char *scale, const char *zp, const char *y, int axis) {
  Onnx__NodeProto *np = acalloc(a, 1, sizeof *np);
  onnx__node_proto__init(np);
  np->op_type = (char *)op;
  np->name = (char *)name;
  np->domain = (char *)"";
  np->n_input = 3;
  np->input = acalloc(a, 3, sizeof *np->input);
  np->input[0] = (char *)x;
  np->input[1] = (char *)scale;
  np->input[2] = (char *)zp;
  np->n_output = 1;
  np->output = acalloc(a, 1, sizeof *np->output);
  np->output[0] = (char *)y;
  if (axis >= 0) {
    Onnx__AttributeProto *at = acalloc(a, 1, sizeof *at);
    onnx__attribute_proto__init(at);
    at->name = (char *)"axis";
    at->has_type = 1;
    at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    at->has_i = 1;
    at->i = axis;
    np->n_attribute = 1;
    np->attribute = acalloc(a, 1, sizeof *np->attribute);
    np->attribute[0] = at;
  }
  return np;
}

/* s8 values of weight w per channel along axis (0 or 1 of a 2-D or
 * Conv weight), and the scales, in the initializer's own layout. */
static void quantize_weight(const qweight *q, float *scale, int8_t *out) {
  const nc_tdesc *d = &q->t->desc;
  int64_t n = nc_numel(d), ch = d->dims[q->axis];
  if (q->axis == 0) {
    nc_q_weights_s8(q->t->data, ch, n / ch, scale, out);
    return;
  }
  int64_t rows = d->dims[0]; /* [K, N], channels along axis 1: transpose, quantize, back */
  float *tr = nc_xmalloc((size_t)n * sizeof *tr);
  int8_t *qt = nc_xmalloc((size_t)n);
  const float *w = q->t->data;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < ch; c++) tr[c * rows + r] = w[r * ch + c];
  nc_q_weights_s8(tr, ch, rows, scale, qt);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < ch; c++) out[r * ch + c] = qt[c * rows + r];
  free(tr);
  free(qt);
}

typedef struct restore {
  char **slot;
  char *orig;
} restore;

typedef struct edit {
  arena a;
  Onnx__NodeProto **nodes;
  size_t n_nodes;
  Onnx__TensorProto **inits;
  size_t n_inits;
  Onnx__ValueInfoProto **inputs;
  size_t n_inputs;
  restore *rs;
  size_t n_rs, cap_rs;
} edit;

static void rename_slot(edit *e, char **slot, char *to) {
  if (e->n_rs == e->cap_rs) {
    e->cap_rs = e->cap_rs ? 2 * e->cap_rs : 64;
    restore *r = realloc(e->rs, e->cap_rs * sizeof *r);
    if (!r) nc_oom(e->cap_rs * sizeof *r);
    e->rs = r;
  }
  e->rs[e->n_rs++] = (restore){slot, *slot};
  *slot = to;
}

static void push_node(edit *e, Onnx__NodeProto *np) { e->nodes[e->n_nodes++] = np; }

/* Q and DQ of activation q reading `from` and writing `to`. */
static void push_act_qdq(edit *e, const qact *q, const char *from, const char *to) {
  arena *a = &e->a;
  const char *s = astrcat(a, q->name, "/scale"), *z = astrcat(a, q->name, "/zero_point");
  const char *u8 = astrcat(a, q->name, "/u8");
  uint8_t zp = (uint8_t)q->zp;
  e->inits[e->n_inits++] = scalar_init(a, s, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, &q->scale, 4);
  e->inits[e->n_inits++] = scalar_init(a, z, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, &zp, 1);
  push_node(e, qdq_node(a, "QuantizeLinear", astrcat(a, q->name, "/QuantizeLinear"), from, s, z, u8, -1));
  push_node(e, qdq_node(a, "DequantizeLinear", astrcat(a, q->name, "/DequantizeLinear"), u8, s, z, to, -1));
}

static void push_weight_dq(edit *e, const qweight *q) {
  arena *a = &e->a;
  const nc_tdesc *d = &q->t->desc;
  int64_t n = nc_numel(d), ch = d->dims[q->axis];
  float *scale = acalloc(a, (size_t)ch, sizeof *scale);
  int8_t *w8 = acalloc(a, (size_t)n, 1);
  int8_t *zp = acalloc(a, (size_t)ch, 1);
  quantize_weight(q, scale, w8);
  const char *s = astrcat(a, q->name, "/scale"), *z = astrcat(a, q->name, "/zero_point");
  const char *q8 = astrcat(a, q->name, "/s8");
  nc_tdesc vd = {.dtype = NC_F32, .ndim = 1, .dims = {ch}};
  e->inits[e->n_inits++] = vector_init(a, q8, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, d, w8, (size_t)n);
  e->inits[e->n_inits++] =
      vector_init(a, s, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, &vd, scale, (size_t)ch * 4);
  e->inits[e->n_inits++] = vector_init(a, z, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, &vd, zp, (size_t)ch);
  push_node(e, qdq_node(a, "DequantizeLinear", astrcat(a, q->name, "/DequantizeLinear"), q8, s, z,
                        q->name, q->axis));
}

static int is_weight(const plan *p, const char *name) {
  for (int i = 0; i < p->n_ws; i++)
    if (!strcmp(p->ws[i].name, name)) return 1;
  return 0;
}

/* New node, initializer and input lists for graph gp (not yet installed). */
static void build_graph(edit *e, Onnx__GraphProto *gp, const plan *p) {
  arena *a = &e->a;
  size_t extra = 2 * (size_t)p->n_acts + (size_t)p->n_ws;
  e->nodes = acalloc(a, gp->n_node + extra, sizeof *e->nodes);
  e->inits = acalloc(a, gp->n_initializer + 3 * extra, sizeof *e->inits);
  e->inputs = acalloc(a, gp->n_input, sizeof *e->inputs);
  for (size_t k = 0; k < gp->n_initializer; k++)
    if (!is_weight(p, gp->initializer[k]->name)) e->inits[e->n_inits++] = gp->initializer[k];
  for (size_t k = 0; k < gp->n_input; k++) /* old IRs list initializers as inputs too */
    if (!is_weight(p, gp->input[k]->name)) e->inputs[e->n_inputs++] = gp->input[k];
  for (int i = 0; i < p->n_ws; i++) push_weight_dq(e, &p->ws[i]);
  for (size_t k = 0; k < e->n_inputs; k++) {
    int q = find_act(p, e->inputs[k]->name);
    if (q < 0) continue;
    const char *dq = astrcat(a, p->acts[q].name, "/dq");
    push_act_qdq(e, &p->acts[q], p->acts[q].name, dq);
    for (size_t i = 0; i < gp->n_node; i++)
      for (size_t j = 0; j < gp->node[i]->n_input; j++)
        if (!strcmp(gp->node[i]->input[j], p->acts[q].name))
          rename_slot(e, &gp->node[i]->input[j], (char *)dq);
  }
  for (size_t i = 0; i < gp->n_node; i++) {
    Onnx__NodeProto *np = gp->node[i];
    push_node(e, np);
    for (size_t j = 0; j < np->n_output; j++) {
      int q = find_act(p, np->output[j]);
      if (q < 0) continue;
      const char *f = astrcat(a, p->acts[q].name, "/f32");
      rename_slot(e, &np->output[j], (char *)f);
      push_act_qdq(e, &p->acts[q], f, p->acts[q].name);
    }
  }
}

static Onnx__OperatorSetIdProto *default_opset(Onnx__ModelProto *mp) {
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const char *d = mp->opset_import[i]->domain;
    if (!d || !*d || !strcmp(d, "ai.onnx")) return mp->opset_import[i];
  }
  return NULL;
}

static int read_model(const char *path, Onnx__ModelProto **out) {
  FILE *f = fopen(path, "rb");
  if (!f) return nc_fail("%s: cannot open the model to export", path);
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0, got;
  do {
    if (len == cap) {
      cap = cap ? 2 * cap : (1u << 20);
      uint8_t *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return nc_fail("%s: out of memory reading the model", path);
      }
      buf = nb;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
  } while (got > 0);
  int err = ferror(f);
  fclose(f);
  *out = err ? NULL : onnx__model_proto__unpack(NULL, len, buf);
  free(buf);
  if (!*out) return nc_fail("%s: cannot read the model back for export (read error or not ONNX)", path);
  if (!(*out)->graph) {
    onnx__model_proto__free_unpacked(*out, NULL);
    return nc_fail("%s: not a valid ONNX model (no graph)", path);
  }
  return 0;
}

static int write_model(const Onnx__ModelProto *mp, const char *out_path) {
  size_t n = onnx__model_proto__get_packed_size(mp);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return nc_fail("%s: out of memory (%zu bytes) packing the QDQ model", out_path, n);
  onnx__model_proto__pack(mp, buf);
  nc_afile af;
  FILE *f = nc_afile_open(&af, out_path);
  if (!f) {
    free(buf);
    return -1;
  }
  int ok = fwrite(buf, 1, n, f) == n;
  free(buf);
  return nc_afile_commit(&af, ok);
}

int nc_export_qdq(const nc_graph *g, const nc_selection *sel, const char *model_path,
                  const char *out_path, nc_qdq_stats *st) {
  nc_qdq_stats local;
  if (!st) st = &local;
  memset(st, 0, sizeof *st);
  Onnx__ModelProto *mp = NULL;
  if (read_model(model_path, &mp)) return -1;
  Onnx__OperatorSetIdProto *os = default_opset(mp);
  if (!os || !os->has_version || os->version < 13) {
    onnx__model_proto__free_unpacked(mp, NULL);
    return nc_fail("%s: --export-qdq needs a model of opset 13 or later (per-axis "
                   "DequantizeLinear); this one has opset %lld",
                   model_path, os && os->has_version ? (long long)os->version : 0LL);
  }
  Onnx__GraphProto *gp = mp->graph;
  edit e;
  memset(&e, 0, sizeof e);
  plan p;
  make_plan(g, sel, gp, &e.a, &p, st);
  build_graph(&e, gp, &p);
  Onnx__NodeProto **on = gp->node;
  Onnx__TensorProto **oi = gp->initializer;
  Onnx__ValueInfoProto **oin = gp->input;
  size_t nn = gp->n_node, ni = gp->n_initializer, nin = gp->n_input;
  gp->node = e.nodes;
  gp->n_node = e.n_nodes;
  gp->initializer = e.inits;
  gp->n_initializer = e.n_inits;
  gp->input = e.inputs;
  gp->n_input = e.n_inputs;
  int rc = write_model(mp, out_path);
  gp->node = on;
  gp->n_node = nn;
  gp->initializer = oi;
  gp->n_initializer = ni;
  gp->input = oin;
  gp->n_input = nin;
  for (size_t i = e.n_rs; i-- > 0;) *e.rs[i].slot = e.rs[i].orig;
  free(e.rs);
  arena_free(&e.a);
  onnx__model_proto__free_unpacked(mp, NULL);
  return rc;
}

int nc_export_qdq_plan(nc_graph *g, const nc_options *o, const char *plan_path,
                       const char *model_path, const char *out_path, nc_qdq_stats *st) {
  nc_selection sel;
  if (nc_plan_read(g, o, plan_path, &sel)) return -1;
  int rc = nc_export_qdq(g, &sel, model_path, out_path, st);
  nc_selection_free(&sel);
  return rc;
}
