/* plan.yaml -> nc_selection (see plan_read.h). The plan's layer steps are in
 * the selection's layer order; each names its layer, its op and its routine,
 * and (when there was a choice) the candidates with their measured times, so
 * the selection -- and from it model.c, model.h and plan.yaml -- comes back
 * exactly as written. */
#include "plan_read.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

const char *nc_file_hash(const char *path, char *buf, size_t n) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f) {
    snprintf(buf, n, "unreadable");
    return buf;
  }
  uint64_t h = 1469598103934665603ull;
  unsigned char chunk[1 << 16];
  size_t k;
  while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
    for (size_t i = 0; i < k; i++) h = (h ^ chunk[i]) * 1099511628211ull;
  int err = ferror(f);
  fclose(f);
  if (err) snprintf(buf, n, "unreadable");
  else snprintf(buf, n, "fnv1a64:%016llx", (unsigned long long)h);
  return buf;
}

typedef struct plan {
  const char *path;
  yaml_document_t doc;
  yaml_node_t *root;
} plan;

static int line_of(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }

static yaml_node_t *get(plan *p, const yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE) return NULL;
  for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < map->data.mapping.pairs.top; q++) {
    yaml_node_t *k = yaml_document_get_node(&p->doc, q->key);
    if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(&p->doc, q->value);
  }
  return NULL;
}

/* Scalar value of key in map, or NULL with a message naming PLAN:LINE. */
static const char *want(plan *p, const yaml_node_t *map, const char *key) {
  yaml_node_t *v = get(p, map, key);
  if (!v || v->type != YAML_SCALAR_NODE) {
    nc_fail("%s:%d: missing or non-scalar '%s'", p->path, map ? line_of(map) : 1, key);
    return NULL;
  }
  return (const char *)v->data.scalar.value;
}

static int want_double(plan *p, const yaml_node_t *map, const char *key, double *dst) {
  const char *s = want(p, map, key);
  if (!s) return -1;
  char *end;
  *dst = strtod(s, &end);
  if (end == s || *end)
    return nc_fail("%s:%d: '%s' is not a number: '%s'", p->path, line_of(get(p, map, key)), key, s);
  return 0;
}

static int format_index(const char *name) {
  char buf[32];
  for (int i = 0; i < NC_FORMAT_COUNT; i++)
    if (strcmp(nc_format_name(i, buf, sizeof buf), name) == 0) return i;
  return -1;
}

/* Model, target spec and routine library must be the ones the plan was made
 * for: each is refused with both values named. The target is compared by the
 * hash of its parsed content (target.h), so editing comments is harmless. */
static int check_identity(plan *p, const nc_graph *g, const nc_options *o) {
  char hash[64];
  const char *mh = want(p, p->root, "model_hash");
  const char *lib = want(p, p->root, "library_version");
  const char *th = want(p, p->root, "target_hash");
  if (!mh || !lib || !th) return -1;
  nc_file_hash(g->path, hash, sizeof hash);
  if (strcmp(mh, hash) != 0)
    return nc_fail("%s: the plan was made for another model: its model_hash is %s, %s has %s",
                   p->path, mh, g->path, hash);
  const char *now = o->target && o->target->spec_hash[0] ? o->target->spec_hash : "none";
  if (strcmp(th, now) != 0)
    return nc_fail("%s: the plan was made for another target spec: its target_hash is %s, %s "
                   "has %s (a changed key changes the code or the budgets): tune again",
                   p->path, th, o->target && o->target->path ? o->target->path : "the target",
                   now);
  if (strcmp(lib, nc_runtime_version()) != 0)
    return nc_fail("%s: the plan was made with routine library %s, this neuroc has %s: tune "
                   "again", p->path, lib, nc_runtime_version());
  return 0;
}

static int find_cand(const nc_layer_sel *ls, const char *desc) {
  for (int c = 0; c < ls->n_cands; c++)
    if (strcmp(ls->cands[c].desc, desc) == 0) return c;
  return -1;
}

/* The routine named at node `at` for layer ls, checked against the routines
 * that apply to it (`all`); returns its index in `all` or -1. */
static int check_routine(plan *p, const nc_graph *g, const nc_layer_sel *all, const char *desc,
                         const yaml_node_t *at) {
  const nc_node *n = &g->nodes[all->node];
  if (!nc_routine_find(desc))
    return nc_fail("%s:%d: layer '%s' (%s): routine '%s' does not exist in routine library %s",
                   p->path, line_of(at), n->name, n->op, desc, nc_runtime_version()),
           -1;
  int c = find_cand(all, desc);
  if (c < 0) {
    char list[1024] = "";
    size_t k = 0;
    for (int i = 0; i < all->n_cands && k < sizeof list; i++)
      k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", all->cands[i].desc);
    return nc_fail("%s:%d: layer '%s' (%s): routine '%s' does not apply to this layer "
                   "(routines that do: %s)",
                   p->path, line_of(at), n->name, n->op, desc, list),
           -1;
  }
  return c;
}

/* One layer step -> sel->layers[k]: chosen routine and candidates. */
static int read_layer(plan *p, nc_graph *g, const nc_options *o, const yaml_node_t *st,
                      nc_layer_sel *ls) {
  const nc_node *n = &g->nodes[ls->node];
  const char *name = want(p, st, "layer"), *op = want(p, st, "op"), *rt = want(p, st, "routine");
  double ms;
  if (!name || !op || !rt || want_double(p, st, "predicted_ms", &ms)) return -1;
  if (strcmp(name, n->name) != 0 || strcmp(op, n->op) != 0)
    return nc_fail("%s:%d: the plan has layer '%s' (%s) where the model has '%s' (%s)", p->path,
                   line_of(st), name, op, n->name, n->op);
  nc_layer_sel all = *ls;
  all.cands = NULL;
  if (nc_node_args_build(g, n, &ls->na)) return -1;
  all.na = ls->na;
  /* every routine that applies, whatever --routine says: the plan decides */
  nc_options any = *o;
  any.n_force = 0;
  any.dtype_mode = NC_DTYPE_AUTO; /* quantized candidates exist where the plan calibrated */
  if (nc_select_candidates(g, &any, &all)) return -1;
  int rc = 0;
  const yaml_node_t *cl = get(p, st, "candidates");
  int n_list = cl && cl->type == YAML_SEQUENCE_NODE
                   ? (int)(cl->data.sequence.items.top - cl->data.sequence.items.start)
                   : 0;
  ls->cands = nc_xcalloc((size_t)n_list + 1, sizeof *ls->cands);
  for (int i = 0; i < n_list && !rc; i++) {
    yaml_node_t *c = yaml_document_get_node(&p->doc, cl->data.sequence.items.start[i]);
    const char *d = want(p, c, "routine");
    int k = d ? check_routine(p, g, &all, d, c) : -1;
    if (k < 0 || want_double(p, c, "ms", &ls->cands[i].ms) ||
        want_double(p, c, "spread", &ls->cands[i].spread)) {
      rc = -1;
      break;
    }
    ls->cands[i].r = all.cands[k].r;
    ls->cands[i].qa = all.cands[k].qa;
    snprintf(ls->cands[i].desc, sizeof ls->cands[i].desc, "%s", all.cands[k].desc);
    const yaml_node_t *ev = get(p, c, "err");
    if (ev && want_double(p, c, "err", &ls->cands[i].err)) rc = -1;
  }
  ls->n_cands = n_list;
  int k = rc ? -1 : check_routine(p, g, &all, rt, st);
  if (k < 0) rc = -1;
  if (!rc && n_list == 0) { /* a single candidate: the plan lists none */
    ls->cands[0].r = all.cands[k].r;
    ls->cands[0].qa = all.cands[k].qa;
    snprintf(ls->cands[0].desc, sizeof ls->cands[0].desc, "%s", all.cands[k].desc);
    ls->cands[0].ms = ms;
    ls->n_cands = 1;
  }
  ls->chosen = rc ? -1 : find_cand(ls, rt);
  if (!rc && ls->chosen < 0)
    rc = nc_fail("%s:%d: layer '%s': routine '%s' is not among the plan's candidates", p->path,
                 line_of(st), n->name, rt);
  free(all.cands);
  ls->qna = all.qna; /* the quantized args the candidates point into */
  return rc;
}

static int read_adapter(plan *p, const nc_graph *g, const nc_options *o, const yaml_node_t *st,
                        nc_selection *sel) {
  const char *tn = want(p, st, "adapter"), *from = want(p, st, "from"), *to = want(p, st, "to");
  const char *rt = want(p, st, "routine");
  double ms;
  if (!tn || !from || !to || !rt || want_double(p, st, "predicted_ms", &ms)) return -1;
  int t = nc_graph_find_tensor(g, tn);
  int f = format_index(from), l = format_index(to);
  if (t < 0) return nc_fail("%s:%d: adapter for unknown tensor '%s'", p->path, line_of(st), tn);
  if (f < 0 || l < 0)
    return nc_fail("%s:%d: adapter for '%s': unknown format '%s'", p->path, line_of(st), tn,
                   f < 0 ? from : to);
  /* the emitter picks the adapter by formats: the plan must agree with it */
  const nc_routine *r = nc_adapter_routine_for(o, g->tensors[t].desc.dtype, f, l);
  char desc[160] = "";
  if (r) nc_routine_concrete_descriptor(r, g->tensors[t].desc.dtype, desc, sizeof desc);
  if (!r || strcmp(desc, rt) != 0)
    return nc_fail("%s:%d: adapter for '%s' from %s to %s: routine '%s' %s", p->path,
                   line_of(st), tn, from, to, rt,
                   !nc_routine_find(rt) ? "does not exist in this routine library"
                   : r                  ? "is not the adapter between these layouts"
                                        : "applies to no adapter here");
  sel->adapter_ms[(t * NC_FORMAT_COUNT + f) * NC_FORMAT_COUNT + l] = ms;
  return 0;
}

/* `quantization:` (optional): the calibrated u8 parameters of activations,
 * restored on the graph so that quantized routines get the same args. */
static int read_quantization(plan *p, nc_graph *g) {
  const yaml_node_t *q = get(p, p->root, "quantization");
  if (!q) return 0;
  if (q->type != YAML_SEQUENCE_NODE)
    return nc_fail("%s:%d: 'quantization' must be a list", p->path, line_of(q));
  for (yaml_node_item_t *it = q->data.sequence.items.start; it < q->data.sequence.items.top; it++) {
    yaml_node_t *e = yaml_document_get_node(&p->doc, *it);
    const char *tn = want(p, e, "tensor");
    double scale, zero;
    if (!tn || want_double(p, e, "scale", &scale) || want_double(p, e, "zero_point", &zero))
      return -1;
    int t = nc_graph_find_tensor(g, tn);
    if (t < 0 || !(scale > 0.0) || zero < 0 || zero > 255 || zero != (int)zero)
      return nc_fail("%s:%d: quantization of '%s': %s", p->path, line_of(e), tn,
                     t < 0 ? "no such tensor in the model" : "scale must be > 0 and zero_point in 0..255");
    g->tensors[t].qscale = (float)scale;
    g->tensors[t].qzero = (int32_t)zero;
  }
  return 0;
}

/* `accuracy:` (optional): the measured error, carried into the re-emitted plan. */
static int read_accuracy(plan *p, nc_selection *sel) {
  const yaml_node_t *a = get(p, p->root, "accuracy");
  double n;
  if (!a) return 0;
  if (want_double(p, a, "samples", &n) || want_double(p, a, "rel_l2", &sel->model_rel_l2) ||
      want_double(p, a, "top1", &sel->model_top1))
    return -1;
  sel->model_err_samples = (int)n;
  return 0;
}

static int read_dprs(plan *p, nc_selection *sel) {
  yaml_node_t *d = get(p, p->root, "dprs");
  double states;
  const char *exact = want(p, d, "exact");
  if (!exact || want_double(p, d, "total_ms", &sel->total_ms) ||
      want_double(p, d, "lower_bound_ms", &sel->lower_bound_ms) ||
      want_double(p, d, "max_states", &states) || want_double(p, d, "seconds", &sel->dprs_seconds))
    return -1;
  sel->exact = strcmp(exact, "true") == 0;
  sel->dprs_states = (long)states;
  return 0;
}

static int read_steps(plan *p, nc_graph *g, const nc_options *o, nc_selection *sel) {
  yaml_node_t *steps = get(p, p->root, "steps");
  if (!steps || steps->type != YAML_SEQUENCE_NODE)
    return nc_fail("%s: missing 'steps' list", p->path);
  int k = 0;
  for (yaml_node_item_t *it = steps->data.sequence.items.start; it < steps->data.sequence.items.top;
       it++) {
    yaml_node_t *st = yaml_document_get_node(&p->doc, *it);
    if (get(p, st, "layer")) {
      if (k == sel->n_layers)
        return nc_fail("%s:%d: the plan has more layers than the model (%d)", p->path,
                       line_of(st), sel->n_layers);
      if (read_layer(p, g, o, st, &sel->layers[k++])) return -1;
    } else if (get(p, st, "adapter")) {
      if (read_adapter(p, g, o, st, sel)) return -1;
    } else if (!get(p, st, "copy")) {
      return nc_fail("%s:%d: a step must be a layer, an adapter or a copy", p->path, line_of(st));
    }
  }
  if (k != sel->n_layers)
    return nc_fail("%s: the plan has %d layers, the model has %d", p->path, k, sel->n_layers);
  return 0;
}

static int load_yaml(plan *p) {
  FILE *f = fopen(p->path, "rb");
  if (!f) return nc_fail("%s: cannot read the plan: %s", p->path, strerror(errno));
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  int ok = yaml_parser_load(&parser, &p->doc);
  int rc = 0;
  if (!ok)
    rc = nc_fail("%s:%d: invalid YAML: %s", p->path, (int)parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "parse error");
  yaml_parser_delete(&parser);
  fclose(f);
  if (rc) return -1;
  p->root = yaml_document_get_root_node(&p->doc);
  if (!p->root || p->root->type != YAML_MAPPING_NODE) {
    yaml_document_delete(&p->doc);
    return nc_fail("%s: not a plan (expected a YAML mapping)", p->path);
  }
  return 0;
}

static void set_identity(plan *p, nc_selection *sel) {
  const char *s;
  yaml_node_t *v;
  v = get(p, p->root, "cost_source");
  s = v && v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "none";
  sel->cost_name = nc_xstrdup(s);
  v = get(p, p->root, "fingerprint");
  s = v && v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "unknown";
  sel->fingerprint = nc_xstrdup(s);
  sel->library_version = nc_xstrdup(nc_runtime_version());
}

int nc_plan_read(nc_graph *g, const nc_options *o, const char *path, nc_selection *sel) {
  memset(sel, 0, sizeof *sel);
  plan p;
  memset(&p, 0, sizeof p);
  p.path = path;
  if (load_yaml(&p)) return -1;
  int rc = check_identity(&p, g, o) || read_dprs(&p, sel) || read_quantization(&p, g) ||
           read_accuracy(&p, sel);
  int *order = nc_xmalloc(sizeof(int) * (size_t)(g->n_nodes + 1));
  int n = rc ? 0 : nc_graph_topo(g, order);
  if (n < 0) rc = nc_fail("%s: graph has a cycle", g->path);
  if (!rc) {
    sel->n_layers = n;
    sel->layers = nc_xcalloc((size_t)n + 1, sizeof *sel->layers);
    for (int k = 0; k < n; k++) sel->layers[k].node = order[k];
    enum { L2 = NC_FORMAT_COUNT * NC_FORMAT_COUNT };
    sel->n_tensors = g->n_tensors;
    sel->adapter_ms = nc_xmalloc(sizeof(double) * ((size_t)g->n_tensors * L2 + 1));
    for (int i = 0; i < g->n_tensors * L2; i++) sel->adapter_ms[i] = -1.0;
    rc = read_steps(&p, g, o, sel);
  }
  free(order);
  if (!rc) {
    set_identity(&p, sel);
    sel->tensor_format = nc_xcalloc((size_t)g->n_tensors + 1, sizeof(int));
    for (int k = 0; k < sel->n_layers; k++) {
      const nc_layer_sel *ls = &sel->layers[k];
      for (int i = 0; i < ls->na.a.n_out; i++)
        if (ls->na.out_tensor[i] >= 0)
          sel->tensor_format[ls->na.out_tensor[i]] =
              nc_routine_out_format(ls->cands[ls->chosen].r);
    }
  }
  yaml_document_delete(&p.doc);
  if (rc) {
    nc_selection_free(sel);
    return -1;
  }
  return 0;
}
