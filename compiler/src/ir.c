/* Graph IR construction, lookup, attribute access and error reporting. */
#include "ir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- errors ---------------- */

static char err_buf[2048];
static int err_set;

int nc_fail(const char *fmt, ...) {
  if (err_set) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err_buf, sizeof err_buf, fmt, ap);
  va_end(ap);
  err_set = 1;
  return -1;
}

int nc_node_fail(const nc_graph *g, const nc_node *n, const char *fmt, ...) {
  if (err_set) return -1;
  char msg[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return nc_fail("%s: node '%s' (%s): %s", g && g->path ? g->path : "<model>",
                 n->name && n->name[0] ? n->name : "<unnamed>", n->op, msg);
}

const char *nc_err_msg(void) { return err_set ? err_buf : "unknown error"; }
void nc_err_clear(void) { err_set = 0; err_buf[0] = 0; }

/* ---------------- memory ---------------- */

/* The one out-of-memory exit (status 70, EX_SOFTWARE-style, documented in
 * `neuroc --help`): no caller can recover from it. */
_Noreturn void nc_oom(size_t n) {
  fprintf(stderr, "neuroc: out of memory allocating %zu bytes\n", n);
  exit(70);
}
void *nc_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) nc_oom(n);
  return p;
}
void *nc_xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz ? sz : 1);
  if (!p) nc_oom(n * sz);
  return p;
}
void *nc_xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) nc_oom(n);
  return p;
}
char *nc_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = nc_xmalloc(n);
  memcpy(p, s, n);
  return p;
}

/* ---------------- graph ---------------- */

nc_graph *nc_graph_new(const char *path) {
  nc_graph *g = nc_xcalloc(1, sizeof *g);
  g->path = nc_xstrdup(path ? path : "<model>");
  return g;
}

static void free_const(nc_const *c) {
  if (!c) return;
  free(c->data);
  free(c);
}

void nc_graph_free(nc_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->n_tensors; i++) {
    free(g->tensors[i].name);
    free(g->tensors[i].data);
  }
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *n = &g->nodes[i];
    free(n->name); free(n->op); free(n->domain); free(n->in); free(n->out);
    for (int a = 0; a < n->n_attrs; a++) {
      nc_attr *at = &n->attrs[a];
      free(at->name); free(at->s); free(at->ints); free(at->floats);
      free_const(at->t);
    }
    free(n->attrs); free(n->ia); free(n->fa);
  }
  free(g->tensors); free(g->nodes); free(g->inputs); free(g->outputs); free(g->path);
  free(g->name_index);
  free(g);
}

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

/* Slot of `name` in the index: where it is, or the empty slot it would take. */
static int index_slot(const nc_graph *g, const char *name) {
  uint32_t mask = (uint32_t)g->index_cap - 1;
  for (uint32_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
    int t = g->name_index[i];
    if (t < 0 || strcmp(g->tensors[t].name, name) == 0) return (int)i;
  }
}

/* Keep the index at most half full: grow and re-insert every tensor. */
static void index_grow(nc_graph *g) {
  if (g->index_cap && 2 * (g->n_tensors + 1) <= g->index_cap) return;
  free(g->name_index);
  g->index_cap = g->index_cap ? 2 * g->index_cap : 256;
  g->name_index = nc_xmalloc(sizeof(int) * (size_t)g->index_cap);
  for (int i = 0; i < g->index_cap; i++) g->name_index[i] = -1;
  for (int t = 0; t < g->n_tensors; t++) g->name_index[index_slot(g, g->tensors[t].name)] = t;
}

int nc_graph_find_tensor(const nc_graph *g, const char *name) {
  if (!g->index_cap) return -1;
  return g->name_index[index_slot(g, name)];
}

int nc_graph_tensor(nc_graph *g, const char *name) {
  int t = nc_graph_find_tensor(g, name);
  if (t >= 0) return t;
  index_grow(g);
  if (g->n_tensors == g->cap_tensors) {
    g->cap_tensors = g->cap_tensors ? 2 * g->cap_tensors : 64;
    g->tensors = nc_xrealloc(g->tensors, (size_t)g->cap_tensors * sizeof *g->tensors);
  }
  nc_tensor *x = &g->tensors[g->n_tensors];
  memset(x, 0, sizeof *x);
  x->name = nc_xstrdup(name);
  x->desc.ndim = -1;
  x->producer = -1;
  g->name_index[index_slot(g, name)] = g->n_tensors;
  return g->n_tensors++;
}

int nc_graph_add_node(nc_graph *g, const char *name, const char *op, const char *domain) {
  if (g->n_nodes == g->cap_nodes) {
    g->cap_nodes = g->cap_nodes ? 2 * g->cap_nodes : 64;
    g->nodes = nc_xrealloc(g->nodes, (size_t)g->cap_nodes * sizeof *g->nodes);
  }
  nc_node *n = &g->nodes[g->n_nodes];
  memset(n, 0, sizeof *n);
  n->name = nc_xstrdup(name ? name : "");
  n->op = nc_xstrdup(op);
  n->domain = nc_xstrdup(domain ? domain : "");
  return g->n_nodes++;
}

void nc_node_set_io(nc_node *n, const int *in, int n_in, const int *out, int n_out) {
  free(n->in);
  free(n->out);
  n->in = nc_xmalloc(sizeof(int) * (size_t)(n_in > 0 ? n_in : 1));
  n->out = nc_xmalloc(sizeof(int) * (size_t)(n_out > 0 ? n_out : 1));
  if (n_in) memcpy(n->in, in, sizeof(int) * (size_t)n_in);
  if (n_out) memcpy(n->out, out, sizeof(int) * (size_t)n_out);
  n->n_in = n_in;
  n->n_out = n_out;
}

nc_attr *nc_node_attr(nc_node *n, const char *name) {
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
  return NULL;
}

int64_t nc_attr_int(nc_node *n, const char *name, int64_t dflt) {
  nc_attr *a = nc_node_attr(n, name);
  return a && a->type == NC_ATTR_INT ? a->i : dflt;
}

double nc_attr_float(nc_node *n, const char *name, double dflt) {
  nc_attr *a = nc_node_attr(n, name);
  if (!a) return dflt;
  if (a->type == NC_ATTR_FLOAT) return a->f;
  if (a->type == NC_ATTR_INT) return (double)a->i;
  return dflt;
}

const char *nc_attr_string(nc_node *n, const char *name, const char *dflt) {
  nc_attr *a = nc_node_attr(n, name);
  return a && a->type == NC_ATTR_STRING && a->s ? a->s : dflt;
}

int nc_attr_ints(nc_node *n, const char *name, const int64_t **out) {
  nc_attr *a = nc_node_attr(n, name);
  if (!a || a->type != NC_ATTR_INTS) return -1;
  *out = a->ints;
  return a->n_ints;
}

int nc_graph_topo(const nc_graph *g, int *order) {
  /* Kahn's algorithm over live nodes; producers found through tensors. */
  int n = g->n_nodes, count = 0;
  int *indeg = nc_xcalloc((size_t)n, sizeof(int));
  int *prod = nc_xmalloc(sizeof(int) * (size_t)(g->n_tensors > 0 ? g->n_tensors : 1));
  for (int t = 0; t < g->n_tensors; t++) prod[t] = -1;
  for (int i = 0; i < n; i++)
    if (!g->nodes[i].dead)
      for (int o = 0; o < g->nodes[i].n_out; o++)
        if (g->nodes[i].out[o] >= 0) prod[g->nodes[i].out[o]] = i;
  for (int i = 0; i < n; i++) {
    if (g->nodes[i].dead) continue;
    for (int k = 0; k < g->nodes[i].n_in; k++) {
      int t = g->nodes[i].in[k];
      if (t >= 0 && prod[t] >= 0) indeg[i]++;
    }
  }
  int *queue = nc_xmalloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
  int qh = 0, qt = 0, live = 0;
  for (int i = 0; i < n; i++)
    if (!g->nodes[i].dead) {
      live++;
      if (indeg[i] == 0) queue[qt++] = i;
    }
  while (qh < qt) {
    int i = queue[qh++];
    order[count++] = i;
    for (int o = 0; o < g->nodes[i].n_out; o++) {
      int t = g->nodes[i].out[o];
      if (t < 0) continue;
      for (int j = 0; j < n; j++) {
        if (g->nodes[j].dead) continue;
        for (int k = 0; k < g->nodes[j].n_in; k++)
          if (g->nodes[j].in[k] == t && --indeg[j] == 0) queue[qt++] = j;
      }
    }
  }
  free(indeg); free(prod); free(queue);
  return count == live ? count : -1;
}

int nc_tensor_uses(const nc_graph *g, int t) {
  int uses = g->tensors[t].is_output ? 1 : 0;
  for (int i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].dead) continue;
    for (int k = 0; k < g->nodes[i].n_in; k++)
      if (g->nodes[i].in[k] == t) uses++;
  }
  return uses;
}

void nc_graph_replace_uses(nc_graph *g, int from, int to) {
  for (int i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].dead) continue;
    for (int k = 0; k < g->nodes[i].n_in; k++)
      if (g->nodes[i].in[k] == from) g->nodes[i].in[k] = to;
  }
  for (int o = 0; o < g->n_outputs; o++)
    if (g->outputs[o] == from) g->outputs[o] = to;
}

/* ---------------- lowering helpers ---------------- */

nc_tensor *nc_in(nc_graph *g, nc_node *n, int i) {
  if (i < 0 || i >= n->n_in || n->in[i] < 0) return NULL;
  return &g->tensors[n->in[i]];
}

nc_tensor *nc_out(nc_graph *g, nc_node *n, int i) {
  if (i < 0 || i >= n->n_out || n->out[i] < 0) return NULL;
  return &g->tensors[n->out[i]];
}

void nc_node_set_args(nc_node *n, const int64_t *ia, int n_ia, const double *fa, int n_fa) {
  free(n->ia);
  free(n->fa);
  n->ia = nc_xmalloc(sizeof(int64_t) * (size_t)(n_ia > 0 ? n_ia : 1));
  n->fa = nc_xmalloc(sizeof(double) * (size_t)(n_fa > 0 ? n_fa : 1));
  if (n_ia) memcpy(n->ia, ia, sizeof(int64_t) * (size_t)n_ia);
  if (n_fa) memcpy(n->fa, fa, sizeof(double) * (size_t)n_fa);
  n->n_ia = n_ia;
  n->n_fa = n_fa;
}


int nc_const_ints(nc_graph *g, nc_node *n, int i, int64_t *out, int cap) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t || !t->data) return -1;
  int64_t cnt = nc_numel(&t->desc);
  if (cnt > cap) return -1;
  for (int64_t k = 0; k < cnt; k++) {
    switch (t->desc.dtype) {
    case NC_S64: out[k] = ((const int64_t *)t->data)[k]; break;
    case NC_U64: out[k] = (int64_t)((const uint64_t *)t->data)[k]; break;
    default: out[k] = (int64_t)nc_load_f64(t->data, t->desc.dtype, k); break;
    }
  }
  return (int)cnt;
}

int nc_const_doubles(nc_graph *g, nc_node *n, int i, double *out, int cap) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t || !t->data) return -1;
  int64_t cnt = nc_numel(&t->desc);
  if (cnt > cap) return -1;
  for (int64_t k = 0; k < cnt; k++) out[k] = nc_load_f64(t->data, t->desc.dtype, k);
  return (int)cnt;
}

void nc_set_out(nc_graph *g, nc_node *n, int i, int32_t dtype, int ndim, const int64_t *dims) {
  nc_tensor *t = nc_out(g, n, i);
  if (!t) return;
  t->desc.dtype = dtype;
  t->desc.ndim = ndim;
  for (int d = 0; d < ndim && d < NC_MAX_DIMS; d++) t->desc.dims[d] = dims[d];
}
