/* Imported QDQ pairs -> the tensors' u8 parameters (see qdq.h). */
#include "qdq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One pair's parameters as the u8 storage the int8 routines use. */
typedef struct qparams {
  float scale;
  int32_t zero; /* on the u8 grid */
  int32_t dtype; /* of the quantized tensor: NC_U8 or NC_S8 */
} qparams;

static int is_op(const nc_node *n, const char *op) {
  return !n->dead && strcmp(n->op, op) == 0 && (!n->domain[0] || !strcmp(n->domain, "ai.onnx"));
}

/* Scale (input 1) and zero point (input 2, optional) of a QuantizeLinear or
 * DequantizeLinear, when both are constants with one value and the
 * quantized operand (tensor q) is u8 or s8. Returns 1 and fills *p. */
static int per_tensor_params(nc_graph *g, nc_node *n, int q, qparams *p) {
  int32_t dt = g->tensors[q].desc.dtype;
  if (dt != NC_U8 && dt != NC_S8) return 0;
  nc_tensor *s = nc_in(g, n, 1), *z = nc_in(g, n, 2);
  if (!s || !s->data || nc_numel(&s->desc) != 1) return 0;
  if (z && (!z->data || nc_numel(&z->desc) != 1 || z->desc.dtype != dt)) return 0;
  double sv;
  int64_t zv = 0;
  if (nc_const_doubles(g, n, 1, &sv, 1) != 1) return 0;
  if (z && nc_const_ints(g, n, 2, &zv, 1) != 1) return 0;
  if (!(sv > 0.0)) return 0; /* a zero or negative scale has no u8 grid */
  p->scale = (float)sv;
  /* s8 q in [-128, 127] with zero point z holds the same reals as u8
   * q + 128 with zero point z + 128 */
  p->zero = (int32_t)zv + (dt == NC_S8 ? 128 : 0);
  p->dtype = dt;
  return 1;
}

static int same_params(const qparams *a, const qparams *b) {
  return a->scale == b->scale && a->zero == b->zero && a->dtype == b->dtype;
}

/* Consumers of q are all DequantizeLinears with parameters p, none of them
 * writing a graph output. Fills deq[] (up to cap) and returns their count,
 * or 0 when the pair does not qualify. */
static int matching_dequants(nc_graph *g, int q, const qparams *p, nc_node **deq, int cap) {
  if (g->tensors[q].is_output) return 0;
  int n = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *c = &g->nodes[i];
    if (c->dead) continue;
    for (int k = 0; k < c->n_in; k++) {
      if (c->in[k] != q) continue;
      qparams cp;
      if (k != 0 || !is_op(c, "DequantizeLinear") || n == cap || c->n_out != 1 || c->out[0] < 0 ||
          g->tensors[c->out[0]].is_output || !per_tensor_params(g, c, q, &cp) ||
          !same_params(p, &cp))
        return 0;
      deq[n++] = c;
    }
  }
  return n;
}

/* Try to remove the pair starting at QuantizeLinear node qn. */
static int absorb_pair(nc_graph *g, nc_node *qn, nc_qdq_stats *st) {
  enum { MAX_DQ = 64 };
  if (qn->n_in < 2 || qn->n_out != 1 || qn->out[0] < 0 || qn->in[0] < 0) return 0;
  nc_tensor *x = &g->tensors[qn->in[0]];
  if (x->data || x->desc.dtype != NC_F32) return 0;
  qparams p;
  if (!per_tensor_params(g, qn, qn->out[0], &p)) return 0;
  /* a tensor quantized twice with different grids keeps its first one */
  if (x->qscale > 0.0f && (x->qscale != p.scale || x->qzero != p.zero)) return 0;
  nc_node *deq[MAX_DQ];
  int n = matching_dequants(g, qn->out[0], &p, deq, MAX_DQ);
  if (n == 0) {
    /* the pair stays (e.g. it writes a graph output), but x is quantized on
     * this grid all the same: a u8 producer of x on it makes the kept
     * QuantizeLinear exact */
    if (!(x->qscale > 0.0f)) {
      x->qscale = p.scale;
      x->qzero = p.zero;
      st->lent++;
    }
    return 0;
  }
  for (int i = 0; i < n; i++) {
    nc_graph_replace_uses(g, deq[i]->out[0], qn->in[0]);
    deq[i]->dead = 1;
  }
  qn->dead = 1;
  x->qscale = p.scale;
  x->qzero = p.zero;
  st->pairs++;
  st->dequants += n;
  st->s8_shifted += p.dtype == NC_S8;
  return 1;
}

int nc_qdq_absorb(nc_graph *g, nc_qdq_stats *st) {
  nc_qdq_stats local;
  if (!st) st = &local;
  memset(st, 0, sizeof *st);
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *n = &g->nodes[i];
    if (!is_op(n, "QuantizeLinear")) continue;
    if (!absorb_pair(g, n, st)) st->kept++;
  }
  return 0;
}

void nc_qdq_params_save(const nc_graph *g, nc_qdq_params *p) {
  memset(p, 0, sizeof *p);
  size_t cap = (size_t)g->n_tensors + 1;
  p->tensor = nc_xmalloc(sizeof(int) * cap);
  p->scale = nc_xmalloc(sizeof(float) * cap);
  p->zero = nc_xmalloc(sizeof(int32_t) * cap);
  for (int t = 0; t < g->n_tensors; t++) {
    if (!(g->tensors[t].qscale > 0.0f)) continue;
    p->tensor[p->n] = t;
    p->scale[p->n] = g->tensors[t].qscale;
    p->zero[p->n] = g->tensors[t].qzero;
    p->n++;
  }
}

void nc_qdq_params_restore(nc_graph *g, const nc_qdq_params *p) {
  for (int i = 0; i < p->n; i++) {
    g->tensors[p->tensor[i]].qscale = p->scale[i];
    g->tensors[p->tensor[i]].qzero = p->zero[i];
  }
}

void nc_qdq_params_free(nc_qdq_params *p) {
  free(p->tensor);
  free(p->scale);
  free(p->zero);
  memset(p, 0, sizeof *p);
}

int nc_qdq_plan_quantized(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[512];
  int found = 0;
  /* neuroc writes top-level keys at column 0, one per line */
  while (!found && fgets(line, sizeof line, f)) found = strncmp(line, "quantization:", 13) == 0;
  fclose(f);
  return found;
}
