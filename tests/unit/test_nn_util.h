/* Helpers for the nn-family unit tests: build descs, call a routine from the
 * table by descriptor (packing its constant inputs and giving it scratch the
 * way the compiler would), and build tiny graphs for lowering tests. */
#ifndef TEST_NN_UTIL_H
#define TEST_NN_UTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "neuroc/args.h"
#include "neuroc/routines.h"
#include "ops.h"

static inline nc_tdesc td(int32_t dtype, int ndim, const int64_t *dims) {
  nc_tdesc d;
  memset(&d, 0, sizeof d);
  d.dtype = dtype;
  d.ndim = ndim;
  for (int i = 0; i < ndim; i++) d.dims[i] = dims[i];
  return d;
}

static inline const nc_routine *must_find(const char *desc) {
  const nc_routine *r = nc_routine_find(desc);
  cr_assert(r != NULL, "routine %s not in the table", desc);
  return r;
}

/* Runs routine r. Inputs listed in `pack_mask` are packed first if the
 * routine has a packed form for them (as the compiler does for constants). */
static inline void run_routine(const nc_routine *r, const nc_args *a, const void *const *in,
                               void *const *out, unsigned pack_mask) {
  const void *ins[8];
  void *packed[8] = {0};
  for (int i = 0; i < a->n_in; i++) {
    ins[i] = in[i];
    if (!((pack_mask >> i) & 1) || !r->packed_bytes || !in[i]) continue;
    size_t pb = r->packed_bytes(a, i);
    if (pb == 0) continue;
    packed[i] = malloc(pb);
    r->pack(a, i, in[i], packed[i]);
    ins[i] = packed[i];
  }
  if (r->applies) cr_assert(r->applies(a), "%s does not apply", r->descriptor);
  size_t sb = r->scratch_bytes ? r->scratch_bytes(a) : 0;
  void *scratch = sb ? malloc(sb) : NULL;
  r->fn(a, ins, out, scratch);
  free(scratch);
  for (int i = 0; i < a->n_in; i++) free(packed[i]);
}

static inline float frand(void) { return (float)rand() / (float)RAND_MAX * 2.0f - 1.0f; }

static inline float *rand_buf(int64_t n) {
  float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
  for (int64_t i = 0; i < n; i++) p[i] = frand();
  return p;
}

/* Max |a-b| relative to max(1, |b|). */
static inline double max_rel_err(const float *a, const float *b, int64_t n) {
  double worst = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i]));
    if (d > worst || d != d) worst = d != d ? INFINITY : d;
  }
  return worst;
}

/* Rank-4 NCHW <-> NHWC through the table's adapters. */
static inline void to_layout(const nc_tdesc *logical, const void *src, void *dst, int to_nhwc) {
  const nc_routine *r = must_find(to_nhwc ? "cpu:f32:nchw/to-nhwc/c99" : "cpu:f32:nhwc/to-nchw/c99");
  nc_args a = {1, 1, logical, logical, NULL, NULL, 0, 0};
  const void *in[1] = {src};
  void *out[1] = {dst};
  r->fn(&a, in, out, NULL);
}

/* ---- tiny graphs for lowering ---- */

static inline int add_tensor(nc_graph *g, const char *name, int32_t dtype, int ndim,
                             const int64_t *dims) {
  int t = nc_graph_tensor(g, name);
  g->tensors[t].desc = td(dtype, ndim, dims);
  return t;
}

static inline nc_attr *new_attr(nc_node *n, const char *name, int type) {
  n->attrs = realloc(n->attrs, sizeof(nc_attr) * (size_t)(n->n_attrs + 1));
  nc_attr *a = &n->attrs[n->n_attrs++];
  memset(a, 0, sizeof *a);
  a->name = nc_xstrdup(name);
  a->type = type;
  return a;
}

static inline void attr_ints(nc_node *n, const char *name, int cnt, const int64_t *v) {
  nc_attr *a = new_attr(n, name, NC_ATTR_INTS);
  a->ints = malloc(sizeof(int64_t) * (size_t)cnt);
  memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
  a->n_ints = cnt;
}

static inline void attr_int(nc_node *n, const char *name, int64_t v) {
  new_attr(n, name, NC_ATTR_INT)->i = v;
}

static inline void attr_string(nc_node *n, const char *name, const char *s) {
  new_attr(n, name, NC_ATTR_STRING)->s = nc_xstrdup(s);
}

/* Node `op` named `name` with the given tensor ids; returns its index. */
static inline int add_node(nc_graph *g, const char *name, const char *op, const int *in,
                           int n_in, const int *out, int n_out) {
  int id = nc_graph_add_node(g, name, op, "");
  nc_node_set_io(&g->nodes[id], in, n_in, out, n_out);
  return id;
}

static inline int lower_node(nc_graph *g, int id) {
  nc_node *n = &g->nodes[id];
  const nc_op_def *d = nc_op_find(n->op);
  cr_assert(d != NULL, "no layer definition for %s", n->op);
  nc_err_clear();
  return d->lower(g, n);
}

#endif
