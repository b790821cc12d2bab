/* DPRS: dynamic programming for routine selection.
 *
 * Layers are processed in the given topological order. Between two layers the
 * DP state records, for every live value (available and still wanted by a
 * later layer or a sink), the format it was produced in and the set of
 * formats it already exists in (produced format plus adapters already run).
 * Two partial assignments with the same state have the same cheapest
 * completion, so only the cheaper survives (with a back-pointer).
 *
 * To keep the state small it is canonical: a value's format set is
 * intersected with the formats later consumers could still ask for, and a
 * value whose future requests are all covered is marked DONE (its future
 * cost is zero whatever its history). This merges states that differ only in
 * history that cannot matter any more.
 *
 * When a step holds more than state_cap states, the solver restarts: a narrow
 * beam finds an incumbent total, then the DP reruns dropping every state whose
 * cost plus the cheapest possible rest exceeds it (exact: such a state cannot
 * reach the optimum). Only if that pass still overflows are the cheapest
 * state_cap states kept (beam) and the result reported as not proven
 * optimal, with a lower bound (see solve_bounded below and docs/dprs.md). */
#include "dprs.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

#define DPRS_DEFAULT_CAP 4096
#define DPRS_EXHAUSTIVE_CAP 1000000.0
/* Beam width of the pass that finds an incumbent for bound pruning. */
#define DPRS_INCUMBENT_CAP 32
/* State entry of one live value: produced format in the high byte, format
 * mask in the low byte; DONE = no future cost can arise from this value. */
#define ENTRY_DONE 0xFFFFu
#define ENTRY(pf, mask) ((uint16_t)(((unsigned)(pf) << 8) | (unsigned)(mask)))
#define ENTRY_PF(e) ((int)((e) >> 8))
#define ENTRY_MASK(e) ((unsigned)((e)&0xFFu))

/* ---------------- problem structure (independent of choices) ---------------- */

typedef struct use {
  int layer;
  unsigned fmts; /* formats any choice of that layer may want for this input */
} use;

typedef struct structure {
  int n_values;
  int *avail;        /* step a value becomes available: -1 source, k layer, -2 never */
  int *last;         /* last step needing it: layer index, n_layers for sinks, -1 none */
  int *src_fmt;      /* source format, -1 if not a source */
  use **uses;        /* per value, its consumer uses in layer order */
  int *n_uses;
  unsigned **suffix; /* suffix[v][j]: formats wanted by uses j.. plus sinks */
  unsigned *sink_mask;
} structure;

static void structure_free(structure *s) {
  if (s->uses)
    for (int v = 0; v < s->n_values; v++) {
      free(s->uses[v]);
      free(s->suffix[v]);
    }
  free(s->avail);
  free(s->last);
  free(s->src_fmt);
  free(s->uses);
  free(s->n_uses);
  free(s->suffix);
  free(s->sink_mask);
  memset(s, 0, sizeof *s);
}

static int check_fmt(const dprs_problem *p, int f, const char *what, int idx) {
  if (f < 0 || f >= p->n_formats)
    return nc_fail("DPRS: %s %d uses format %d, outside 0..%d", what, idx, f, p->n_formats - 1);
  return 0;
}

static int check_value(const dprs_problem *p, int v, const char *what, int idx) {
  if (v < 0 || v >= p->n_values)
    return nc_fail("DPRS: %s %d refers to value %d, outside 0..%d", what, idx, v, p->n_values - 1);
  return 0;
}

static int check_layer(const dprs_problem *p, int k) {
  const dprs_layer *L = &p->layers[k];
  if (L->n_in < 0 || L->n_in > DPRS_MAX_IO || L->n_out < 0 || L->n_out > DPRS_MAX_IO)
    return nc_fail("DPRS: layer %d has %d inputs / %d outputs (limit %d)", k, L->n_in, L->n_out,
                   DPRS_MAX_IO);
  if (L->n_choices <= 0 || !L->choices)
    return nc_fail("DPRS: no feasible routine assignment: layer %d has no candidate routine", k);
  for (int i = 0; i < L->n_in; i++)
    if (check_value(p, L->in[i], "layer", k)) return -1;
  for (int i = 0; i < L->n_out; i++)
    if (check_value(p, L->out[i], "layer", k)) return -1;
  for (int c = 0; c < L->n_choices; c++) {
    for (int i = 0; i < L->n_in; i++)
      if (check_fmt(p, L->choices[c].in_fmt[i], "layer", k)) return -1;
    for (int i = 0; i < L->n_out; i++)
      if (check_fmt(p, L->choices[c].out_fmt[i], "layer", k)) return -1;
  }
  return 0;
}

static int check_problem(const dprs_problem *p) {
  if (!p || p->n_formats <= 0 || p->n_formats > DPRS_MAX_FORMATS)
    return nc_fail("DPRS: %d formats (must be 1..%d)", p ? p->n_formats : 0, DPRS_MAX_FORMATS);
  if (p->n_values < 0 || p->n_layers < 0 || p->n_sources < 0 || p->n_sinks < 0)
    return nc_fail("DPRS: negative problem size");
  if (p->n_layers > 0 && !p->layers) return nc_fail("DPRS: layers missing");
  if (!p->adapter_cost) return nc_fail("DPRS: no adapter cost function");
  if ((p->n_sources > 0 && (!p->source_value || !p->source_fmt)) ||
      (p->n_sinks > 0 && (!p->sink_value || !p->sink_fmt)))
    return nc_fail("DPRS: source or sink arrays missing");
  for (int k = 0; k < p->n_layers; k++)
    if (check_layer(p, k)) return -1;
  for (int i = 0; i < p->n_sources; i++)
    if (check_value(p, p->source_value[i], "source", i) ||
        check_fmt(p, p->source_fmt[i], "source", i))
      return -1;
  for (int i = 0; i < p->n_sinks; i++)
    if (check_value(p, p->sink_value[i], "sink", i) || check_fmt(p, p->sink_fmt[i], "sink", i))
      return -1;
  return 0;
}

static void add_use(structure *s, int v, int layer, unsigned fmts) {
  int n = s->n_uses[v];
  if (n > 0 && s->uses[v][n - 1].layer == layer) { /* same layer twice: one use */
    s->uses[v][n - 1].fmts |= fmts;
    return;
  }
  s->uses[v] = nc_xrealloc(s->uses[v], (size_t)(n + 1) * sizeof(use));
  s->uses[v][n].layer = layer;
  s->uses[v][n].fmts = fmts;
  s->n_uses[v] = n + 1;
}

/* Validate the problem and derive who produces / consumes each value. */
static int structure_build(const dprs_problem *p, structure *s) {
  memset(s, 0, sizeof *s);
  if (check_problem(p)) return -1;
  int nv = p->n_values;
  s->n_values = nv;
  s->avail = nc_xmalloc((size_t)nv * sizeof(int) + 1);
  s->last = nc_xmalloc((size_t)nv * sizeof(int) + 1);
  s->src_fmt = nc_xmalloc((size_t)nv * sizeof(int) + 1);
  s->uses = nc_xcalloc((size_t)nv + 1, sizeof(use *));
  s->n_uses = nc_xcalloc((size_t)nv + 1, sizeof(int));
  s->suffix = nc_xcalloc((size_t)nv + 1, sizeof(unsigned *));
  s->sink_mask = nc_xcalloc((size_t)nv + 1, sizeof(unsigned));
  for (int v = 0; v < nv; v++) s->avail[v] = -2, s->last[v] = -1, s->src_fmt[v] = -1;
  for (int i = 0; i < p->n_sources; i++) {
    int v = p->source_value[i];
    if (s->avail[v] != -2) {
      structure_free(s);
      return nc_fail("DPRS: value %d is listed as a source twice", v);
    }
    s->avail[v] = -1;
    s->src_fmt[v] = p->source_fmt[i];
  }
  for (int k = 0; k < p->n_layers; k++) {
    const dprs_layer *L = &p->layers[k];
    for (int i = 0; i < L->n_in; i++) {
      int v = L->in[i];
      if (s->avail[v] == -2 || s->avail[v] >= k) {
        structure_free(s);
        return nc_fail("DPRS: layer %d consumes value %d before it is produced "
                       "(layers must be in topological order)", k, v);
      }
      unsigned fm = 0;
      for (int c = 0; c < L->n_choices; c++) fm |= 1u << L->choices[c].in_fmt[i];
      add_use(s, v, k, fm);
      s->last[v] = k;
    }
    for (int i = 0; i < L->n_out; i++) {
      int v = L->out[i];
      if (s->avail[v] != -2) {
        structure_free(s);
        return nc_fail("DPRS: value %d is produced twice (layer %d)", v, k);
      }
      s->avail[v] = k;
    }
  }
  for (int i = 0; i < p->n_sinks; i++) {
    int v = p->sink_value[i];
    if (s->avail[v] == -2) {
      structure_free(s);
      return nc_fail("DPRS: sink %d wants value %d, which nothing produces", i, v);
    }
    s->sink_mask[v] |= 1u << p->sink_fmt[i];
    s->last[v] = p->n_layers;
  }
  for (int v = 0; v < nv; v++) {
    int n = s->n_uses[v];
    s->suffix[v] = nc_xmalloc((size_t)(n + 1) * sizeof(unsigned));
    s->suffix[v][n] = s->sink_mask[v];
    for (int j = n - 1; j >= 0; j--) s->suffix[v][j] = s->suffix[v][j + 1] | s->uses[v][j].fmts;
  }
  return 0;
}

/* ---------------- adapter cost cache ---------------- */

typedef struct adapters {
  const dprs_problem *p;
  double *cost;
  unsigned char *known;
} adapters;

static void adapters_init(adapters *a, const dprs_problem *p) {
  size_t n = (size_t)p->n_values * (size_t)p->n_formats * (size_t)p->n_formats;
  a->p = p;
  a->cost = nc_xmalloc(n * sizeof(double) + 1);
  a->known = nc_xcalloc(n + 1, 1);
}

static void adapters_free(adapters *a) {
  free(a->cost);
  free(a->known);
}

/* The callback may be a profile lookup, so each (value, from, to) is asked once. */
static double adapter(adapters *a, int v, int from, int to) {
  size_t nf = (size_t)a->p->n_formats;
  size_t i = ((size_t)v * nf + (size_t)from) * nf + (size_t)to;
  if (!a->known[i]) {
    a->cost[i] = a->p->adapter_cost(a->p->ctx, v, from, to);
    a->known[i] = 1;
  }
  return a->cost[i];
}

/* ---------------- evaluate ---------------- */

/* Request value v in format f; returns the adapter cost (0 if available), or
 * -1 if no adapter exists. Conversion always starts from the produced format. */
static double request(adapters *a, int v, const int *pf, unsigned *mask, int f) {
  if (mask[v] & (1u << f)) return 0.0;
  double c = adapter(a, v, pf[v], f);
  if (c < 0) return -1.0;
  mask[v] |= 1u << f;
  return c;
}

static double evaluate_checked(const dprs_problem *p, adapters *a, const int *choice) {
  int nv = p->n_values;
  int *pf = nc_xmalloc((size_t)nv * sizeof(int) + 1);
  unsigned *mask = nc_xcalloc((size_t)nv + 1, sizeof(unsigned));
  double total = 0.0;
  for (int i = 0; i < p->n_sources; i++) {
    pf[p->source_value[i]] = p->source_fmt[i];
    mask[p->source_value[i]] = 1u << p->source_fmt[i];
  }
  for (int k = 0; k < p->n_layers && total >= 0; k++) {
    const dprs_layer *L = &p->layers[k];
    if (choice[k] < 0 || choice[k] >= L->n_choices) {
      total = -1.0;
      break;
    }
    const dprs_choice *c = &L->choices[choice[k]];
    for (int i = 0; i < L->n_in; i++) {
      double ac = request(a, L->in[i], pf, mask, c->in_fmt[i]);
      if (ac < 0) {
        total = -1.0;
        break;
      }
      total += ac;
    }
    if (total < 0) break;
    total += c->cost;
    for (int i = 0; i < L->n_out; i++) {
      pf[L->out[i]] = c->out_fmt[i];
      mask[L->out[i]] = 1u << c->out_fmt[i];
    }
  }
  for (int i = 0; i < p->n_sinks && total >= 0; i++) {
    double ac = request(a, p->sink_value[i], pf, mask, p->sink_fmt[i]);
    total = ac < 0 ? -1.0 : total + ac;
  }
  free(pf);
  free(mask);
  return total;
}

double dprs_evaluate(const dprs_problem *p, const int *choice) {
  structure s;
  if (structure_build(p, &s)) return -1.0;
  adapters a;
  adapters_init(&a, p);
  double t = evaluate_checked(p, &a, choice);
  adapters_free(&a);
  structure_free(&s);
  return t;
}

/* ---------------- exhaustive ---------------- */

int dprs_exhaustive(const dprs_problem *p, dprs_result *r) {
  memset(r, 0, sizeof *r);
  structure s;
  if (structure_build(p, &s)) return -1;
  structure_free(&s);
  double combos = 1.0;
  for (int k = 0; k < p->n_layers; k++) combos *= p->layers[k].n_choices;
  if (combos > DPRS_EXHAUSTIVE_CAP)
    return nc_fail("DPRS: exhaustive search over %.0f assignments is too large (limit %.0f)",
                   combos, DPRS_EXHAUSTIVE_CAP);
  int n = p->n_layers;
  int *cur = nc_xcalloc((size_t)n + 1, sizeof(int));
  int *best = nc_xcalloc((size_t)n + 1, sizeof(int));
  double best_cost = -1.0;
  adapters a;
  adapters_init(&a, p);
  for (;;) {
    double t = evaluate_checked(p, &a, cur);
    if (t >= 0 && (best_cost < 0 || t < best_cost)) {
      best_cost = t;
      memcpy(best, cur, (size_t)n * sizeof(int));
    }
    int k = n - 1; /* odometer, last layer fastest */
    while (k >= 0 && ++cur[k] == p->layers[k].n_choices) cur[k--] = 0;
    if (k < 0) break;
  }
  adapters_free(&a);
  free(cur);
  if (best_cost < 0) {
    free(best);
    return nc_fail("DPRS: no feasible routine assignment (exhaustive search)");
  }
  r->choice = best;
  r->total = best_cost;
  r->exact = 1;
  r->lower_bound = best_cost;
  r->max_states = (long)combos;
  return 0;
}

/* ---------------- DP state sets ---------------- */

/* All states of one step: fixed-length keys, cost and back-pointer. */
typedef struct stateset {
  int len; /* entries per key = live values at this step */
  int n, cap;
  uint16_t *keys;
  size_t kcap; /* key entries allocated */
  double *cost;
  int *parent, *choice;
  int *table; /* open addressing, -1 empty */
  size_t tcap;
} stateset;

static void stateset_reset(stateset *s, int len, int expect) {
  s->len = len;
  s->n = 0;
  if (expect > s->cap) {
    s->cap = expect;
    s->cost = nc_xrealloc(s->cost, (size_t)expect * sizeof(double));
    s->parent = nc_xrealloc(s->parent, (size_t)expect * sizeof(int));
    s->choice = nc_xrealloc(s->choice, (size_t)expect * sizeof(int));
  }
  size_t kneed = (size_t)expect * (size_t)len;
  if (kneed > s->kcap || !s->keys) {
    s->kcap = kneed;
    s->keys = nc_xrealloc(s->keys, (kneed + 1) * sizeof(uint16_t));
  }
  size_t t = 16;
  while (t < 2 * (size_t)expect) t <<= 1;
  if (t != s->tcap) {
    s->tcap = t;
    s->table = nc_xrealloc(s->table, t * sizeof(int));
  }
  memset(s->table, 0xFF, s->tcap * sizeof(int));
}

static void stateset_free(stateset *s) {
  free(s->keys);
  free(s->cost);
  free(s->parent);
  free(s->choice);
  free(s->table);
}

static uint64_t hash_key(const uint16_t *k, int len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (int i = 0; i < len; i++) {
    h ^= k[i];
    h *= 1099511628211ull;
  }
  return h ^ (h >> 29);
}

/* Insert or merge; the first of equally cheap states stays (determinism). */
static void stateset_put(stateset *s, const uint16_t *key, double cost, int parent, int choice) {
  size_t mask = s->tcap - 1;
  size_t h = (size_t)hash_key(key, s->len) & mask;
  size_t klen = (size_t)s->len;
  for (;; h = (h + 1) & mask) {
    int i = s->table[h];
    if (i < 0) break;
    if (memcmp(s->keys + (size_t)i * klen, key, klen * 2) == 0) {
      if (cost < s->cost[i]) {
        s->cost[i] = cost;
        s->parent[i] = parent;
        s->choice[i] = choice;
      }
      return;
    }
  }
  int i = s->n++;
  s->table[h] = i;
  memcpy(s->keys + (size_t)i * klen, key, klen * 2);
  s->cost[i] = cost;
  s->parent[i] = parent;
  s->choice[i] = choice;
}

typedef struct ranked {
  double cost;
  int idx;
} ranked;
static int by_cost(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->cost < y->cost) return -1;
  if (x->cost > y->cost) return 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}
static int by_index(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Keep the `cap` cheapest states (in their original order). Returns the
 * cheapest dropped cost, or INFINITY if nothing was dropped. */
static double stateset_prune(stateset *s, int cap) {
  if (s->n <= cap) return INFINITY;
  ranked *rk = nc_xmalloc((size_t)s->n * sizeof(ranked));
  for (int i = 0; i < s->n; i++) rk[i].cost = s->cost[i], rk[i].idx = i;
  qsort(rk, (size_t)s->n, sizeof(ranked), by_cost);
  double dropped = rk[cap].cost;
  qsort(rk, (size_t)cap, sizeof(ranked), by_index);
  size_t klen = (size_t)s->len;
  for (int j = 0; j < cap; j++) {
    int i = rk[j].idx; /* i >= j: compaction moves entries down only */
    memmove(s->keys + (size_t)j * klen, s->keys + (size_t)i * klen, klen * 2);
    s->cost[j] = s->cost[i];
    s->parent[j] = s->parent[i];
    s->choice[j] = s->choice[i];
  }
  s->n = cap;
  free(rk);
  return dropped;
}

/* ---------------- solve ---------------- */

/* Live values between steps, and what each wants from here on. */
typedef struct layout {
  int n;
  int *val;       /* live values, slot order */
  unsigned *want; /* formats still wanted by later layers / sinks */
} layout;

typedef struct solver {
  const dprs_problem *p;
  structure st;
  adapters ad;
  int *slot_of;  /* value -> slot in the current layout, -1 if not live */
  int *next_use; /* value -> index of its first use after the current step */
  layout prev, cur;
  int *src_slot; /* per new slot: previous slot, or -(1+output index) */
  int **bp_parent, **bp_choice; /* per layer: back-pointers of kept states */
  double *rest;                 /* rest[k]: cheapest cost of the layers after k */
  /* first infeasible conversion seen in the current step, for the message */
  int fail_v, fail_from, fail_to;
} solver;

static uint16_t canonical(uint16_t e, unsigned want) {
  if (e == ENTRY_DONE) return e;
  unsigned m = ENTRY_MASK(e) & want;
  if ((want & ~m) == 0) return ENTRY_DONE;
  return ENTRY(ENTRY_PF(e), m);
}

static unsigned want_after(solver *S, int v, int step) {
  structure *st = &S->st;
  int j = S->next_use[v];
  while (j < st->n_uses[v] && st->uses[v][j].layer <= step) j++;
  S->next_use[v] = j;
  return st->suffix[v][j];
}

static int is_live_after(const structure *st, int v, int step) {
  return st->avail[v] != -2 && st->avail[v] <= step && st->last[v] > step;
}

/* Layout after `step`: the previous live values still wanted, in order, then
 * the layer's new outputs that anything wants. Fills src_slot. */
static void layout_next(solver *S, int step) {
  const dprs_layer *L = &S->p->layers[step];
  layout *pv = &S->prev, *nw = &S->cur;
  nw->n = 0;
  for (int j = 0; j < pv->n; j++) {
    int v = pv->val[j];
    if (!is_live_after(&S->st, v, step)) continue;
    S->src_slot[nw->n] = j;
    nw->val[nw->n++] = v;
  }
  for (int i = 0; i < L->n_out; i++) {
    int v = L->out[i];
    if (!is_live_after(&S->st, v, step)) continue;
    S->src_slot[nw->n] = -(1 + i);
    nw->val[nw->n++] = v;
  }
  for (int j = 0; j < nw->n; j++) nw->want[j] = want_after(S, nw->val[j], step);
}

static void swap_layouts(solver *S) {
  layout t = S->prev;
  S->prev = S->cur;
  S->cur = t;
  for (int j = 0; j < S->cur.n; j++) S->slot_of[S->cur.val[j]] = -1;
  for (int j = 0; j < S->prev.n; j++) S->slot_of[S->prev.val[j]] = j;
}

/* Apply choice c of layer k to key `tmp` (previous layout, modified in place);
 * returns the added cost or -1 if an input cannot be converted. */
static double apply_inputs(solver *S, const dprs_layer *L, const dprs_choice *c, uint16_t *tmp) {
  double cost = 0.0;
  for (int i = 0; i < L->n_in; i++) {
    int v = L->in[i], sl = S->slot_of[v];
    uint16_t e = tmp[sl];
    if (e == ENTRY_DONE) continue;
    unsigned bit = 1u << c->in_fmt[i];
    if (ENTRY_MASK(e) & bit) continue;
    double a = adapter(&S->ad, v, ENTRY_PF(e), c->in_fmt[i]);
    if (a < 0) {
      if (S->fail_v < 0) S->fail_v = v, S->fail_from = ENTRY_PF(e), S->fail_to = c->in_fmt[i];
      return -1.0;
    }
    cost += a;
    tmp[sl] = ENTRY(ENTRY_PF(e), ENTRY_MASK(e) | bit);
  }
  return cost;
}

static void build_key(solver *S, const dprs_choice *c, const uint16_t *tmp, uint16_t *key) {
  for (int j = 0; j < S->cur.n; j++) {
    int src = S->src_slot[j];
    uint16_t e;
    if (src >= 0) {
      e = tmp[src];
    } else {
      int f = c->out_fmt[-src - 1];
      e = ENTRY(f, 1u << f);
    }
    key[j] = canonical(e, S->cur.want[j]);
  }
}

static int fail_step(solver *S, const char *where) {
  if (S->fail_v >= 0)
    return nc_fail("DPRS: no feasible routine assignment %s: value %d needs format %d but no "
                   "adapter from format %d exists",
                   where, S->fail_v, S->fail_to, S->fail_from);
  return nc_fail("DPRS: no feasible routine assignment %s", where);
}

/* One layer: expand every state of `from` by every choice into `to`.
 * A successor whose cost plus the cheapest possible rest exceeds `limit`
 * cannot lead to a total within `limit` and is not stored (bound pruning).
 * Returns -1 when no successor is left (the caller words the message). */
static int step_layer(solver *S, int k, stateset *from, stateset *to, uint16_t *tmp,
                      uint16_t *key, double limit) {
  const dprs_layer *L = &S->p->layers[k];
  layout_next(S, k);
  stateset_reset(to, S->cur.n, from->n * L->n_choices);
  S->fail_v = -1;
  size_t plen = (size_t)from->len;
  double rest = S->rest[k];
  for (int s = 0; s < from->n; s++) {
    for (int ci = 0; ci < L->n_choices; ci++) {
      const dprs_choice *c = &L->choices[ci];
      if (from->cost[s] + c->cost + rest > limit) continue;
      memcpy(tmp, from->keys + (size_t)s * plen, plen * 2);
      double a = apply_inputs(S, L, c, tmp);
      if (a < 0) continue;
      double cost = from->cost[s] + a + c->cost;
      if (cost + rest > limit) continue;
      build_key(S, c, tmp, key);
      stateset_put(to, key, cost, s, ci);
    }
  }
  swap_layouts(S);
  return to->n == 0 ? -1 : 0;
}

/* Cost of delivering the sinks from state key; -1 if impossible. */
static double sink_cost(solver *S, const uint16_t *key, uint16_t *tmp) {
  const dprs_problem *p = S->p;
  memcpy(tmp, key, (size_t)S->prev.n * 2);
  double cost = 0.0;
  for (int i = 0; i < p->n_sinks; i++) {
    int v = p->sink_value[i], sl = S->slot_of[v];
    uint16_t e = tmp[sl];
    if (e == ENTRY_DONE) continue;
    unsigned bit = 1u << p->sink_fmt[i];
    if (ENTRY_MASK(e) & bit) continue;
    double a = adapter(&S->ad, v, ENTRY_PF(e), p->sink_fmt[i]);
    if (a < 0) {
      if (S->fail_v < 0) S->fail_v = v, S->fail_from = ENTRY_PF(e), S->fail_to = p->sink_fmt[i];
      return -1.0;
    }
    cost += a;
    tmp[sl] = ENTRY(ENTRY_PF(e), ENTRY_MASK(e) | bit);
  }
  return cost;
}

static void initial_state(solver *S, stateset *set) {
  const dprs_problem *p = S->p;
  layout *L = &S->prev;
  L->n = 0;
  for (int i = 0; i < p->n_sources; i++) {
    int v = p->source_value[i];
    if (is_live_after(&S->st, v, -1)) L->val[L->n++] = v;
  }
  for (int j = 0; j < L->n; j++) {
    L->want[j] = want_after(S, L->val[j], -1);
    S->slot_of[L->val[j]] = j;
  }
  stateset_reset(set, L->n, 1);
  uint16_t *key = nc_xmalloc((size_t)L->n * 2 + 2);
  for (int j = 0; j < L->n; j++) {
    int f = S->st.src_fmt[L->val[j]];
    key[j] = canonical(ENTRY(f, 1u << f), L->want[j]);
  }
  stateset_put(set, key, 0.0, -1, -1);
  free(key);
}

/* rest[k] = sum over layers after k of their cheapest choice cost: adapters
 * cost >= 0, so no completion from step k can cost less. */
static double *remaining_min_costs(const dprs_problem *p) {
  double *rest = nc_xmalloc(((size_t)p->n_layers + 1) * sizeof(double));
  double acc = 0.0;
  for (int k = p->n_layers - 1; k >= 0; k--) {
    rest[k] = acc;
    const dprs_layer *L = &p->layers[k];
    double m = L->choices[0].cost;
    for (int c = 1; c < L->n_choices; c++)
      if (L->choices[c].cost < m) m = L->choices[c].cost;
    acc += m;
  }
  return rest;
}

static void solver_init(solver *S, const dprs_problem *p) {
  int nv = p->n_values, nl = p->n_layers;
  S->p = p;
  adapters_init(&S->ad, p);
  S->slot_of = nc_xmalloc((size_t)nv * sizeof(int) + 1);
  S->next_use = nc_xmalloc((size_t)nv * sizeof(int) + 1);
  layout *ls[2] = {&S->prev, &S->cur};
  for (int i = 0; i < 2; i++) {
    ls[i]->val = nc_xmalloc((size_t)nv * sizeof(int) + 1);
    ls[i]->want = nc_xmalloc((size_t)nv * sizeof(unsigned) + 1);
  }
  S->src_slot = nc_xmalloc((size_t)nv * sizeof(int) + 1);
  S->bp_parent = nc_xcalloc((size_t)nl + 1, sizeof(int *));
  S->bp_choice = nc_xcalloc((size_t)nl + 1, sizeof(int *));
  S->rest = remaining_min_costs(p);
  S->fail_v = -1;
}

static void free_backpointers(solver *S) {
  for (int k = 0; k < S->p->n_layers; k++) {
    free(S->bp_parent[k]);
    free(S->bp_choice[k]);
    S->bp_parent[k] = S->bp_choice[k] = NULL;
  }
}

/* Forget everything one pass learnt except the adapter cache. */
static void solver_rewind(solver *S) {
  for (int v = 0; v < S->p->n_values; v++) S->slot_of[v] = -1, S->next_use[v] = 0;
  S->prev.n = S->cur.n = 0;
  free_backpointers(S);
  S->fail_v = -1;
}

static void solver_free(solver *S) {
  free_backpointers(S);
  free(S->bp_parent);
  free(S->bp_choice);
  free(S->rest);
  free(S->src_slot);
  free(S->prev.val);
  free(S->prev.want);
  free(S->cur.val);
  free(S->cur.want);
  free(S->slot_of);
  free(S->next_use);
  adapters_free(&S->ad);
  structure_free(&S->st);
}

static void keep_backpointers(solver *S, int k, const stateset *set) {
  size_t n = (size_t)set->n;
  S->bp_parent[k] = nc_xmalloc(n * sizeof(int) + 1);
  S->bp_choice[k] = nc_xmalloc(n * sizeof(int) + 1);
  memcpy(S->bp_parent[k], set->parent, n * sizeof(int));
  memcpy(S->bp_choice[k], set->choice, n * sizeof(int));
}

/* How one pass of the DP runs. */
typedef struct pass_cfg {
  int cap;         /* beam width: most states kept per step */
  double limit;    /* bound pruning: drop states that cannot end <= limit */
  int stop_on_cap; /* give up as soon as a step exceeds cap (PASS_CAPPED) */
} pass_cfg;

enum { PASS_DONE = 0, PASS_CAPPED = 1 };

/* What one pass found. */
typedef struct pass_out {
  int *choice; /* NULL if the pass found no complete assignment */
  double total;
  int beam;            /* 1 if some step dropped states for the cap */
  double pruned_bound; /* min over cap-pruned steps of dropped cost + rest */
  long max_states;     /* largest state set kept after bound pruning */
  int fail_layer;      /* step that lost every state; -1: the sinks */
} pass_out;

/* Cheapest sink delivery over the final states; -1 if none is feasible. */
static int best_final_state(solver *S, const stateset *set, uint16_t *tmp, double *total) {
  int best = -1;
  S->fail_v = -1;
  for (int s = 0; s < set->n; s++) {
    double a = sink_cost(S, set->keys + (size_t)s * (size_t)set->len, tmp);
    if (a < 0) continue;
    double t = set->cost[s] + a;
    if (best < 0 || t < *total) best = s, *total = t;
  }
  return best;
}

/* Run the DP once over all layers, reusing the sets and scratch keys. It
 * reports no error itself: the caller decides whether an empty pass means
 * infeasible or only a lost beam. */
static int run_pass(solver *S, const pass_cfg *cfg, stateset sets[2], uint16_t *tmp,
                    uint16_t *key, pass_out *o) {
  const dprs_problem *p = S->p;
  memset(o, 0, sizeof *o);
  o->pruned_bound = INFINITY;
  o->max_states = 1;
  solver_rewind(S);
  stateset *from = &sets[0], *to = &sets[1];
  initial_state(S, from);
  for (int k = 0; k < p->n_layers; k++) {
    if (step_layer(S, k, from, to, tmp, key, cfg->limit)) {
      o->fail_layer = k;
      return PASS_DONE;
    }
    if (to->n > o->max_states) o->max_states = to->n;
    if (cfg->stop_on_cap && to->n > cfg->cap) return PASS_CAPPED;
    double dropped = stateset_prune(to, cfg->cap);
    if (dropped < INFINITY) {
      o->beam = 1;
      if (dropped + S->rest[k] < o->pruned_bound) o->pruned_bound = dropped + S->rest[k];
    }
    keep_backpointers(S, k, to);
    stateset *t = from;
    from = to;
    to = t;
  }
  int best = best_final_state(S, from, tmp, &o->total);
  if (best < 0) {
    o->fail_layer = -1;
    return PASS_DONE;
  }
  o->choice = nc_xmalloc(((size_t)p->n_layers + 1) * sizeof(int));
  for (int k = p->n_layers - 1, s = best; k >= 0; k--) {
    o->choice[k] = S->bp_choice[k][s];
    s = S->bp_parent[k][s];
  }
  return PASS_DONE;
}

/* The message for an exact pass that ended with no assignment. */
static int fail_exact_pass(solver *S, const pass_out *o) {
  if (o->fail_layer < 0) return fail_step(S, "at the graph outputs");
  char where[64];
  snprintf(where, sizeof where, "at layer %d", o->fail_layer);
  return fail_step(S, where);
}

/* Bound pruning compares sums taken in different orders; this slack keeps
 * rounding from dropping a state whose true bound equals the incumbent. */
static double limit_above(double total) { return total + 1e-9 * fmax(1.0, fabs(total)); }

static void take_pass(dprs_result *r, pass_out *o) {
  r->choice = o->choice;
  r->total = o->total;
  o->choice = NULL;
}

/* Over-full problem: a narrow beam gives an incumbent total, then the DP runs
 * again with the full cap, dropping every state that cannot beat the
 * incumbent. The result is exact when that pass never needs the cap. */
static int solve_bounded(solver *S, int cap, long overflow_states, stateset sets[2],
                         uint16_t *tmp, uint16_t *key, dprs_result *r) {
  pass_out inc, full;
  pass_cfg narrow = {cap < DPRS_INCUMBENT_CAP ? cap : DPRS_INCUMBENT_CAP, INFINITY, 0};
  run_pass(S, &narrow, sets, tmp, key, &inc);
  pass_cfg bounded = {cap, inc.choice ? limit_above(inc.total) : INFINITY, 0};
  run_pass(S, &bounded, sets, tmp, key, &full);
  int rc = 0;
  if (full.choice && (!inc.choice || full.total <= inc.total))
    take_pass(r, &full);
  else if (inc.choice)
    take_pass(r, &inc);
  else if (!full.beam) /* nothing was dropped for the cap: truly infeasible */
    rc = fail_exact_pass(S, &full);
  else
    rc = nc_fail("DPRS: no feasible routine assignment found by the bounded search "
                 "(state cap %d); raise the cap", cap);
  if (rc == 0) {
    /* A bound-pruned state cannot reach the optimum (its cost plus the
     * cheapest rest exceeds a real total), so only the cap-pruned steps of
     * the bounded pass weaken the proof. */
    r->lower_bound = full.beam ? fmin(r->total, full.pruned_bound) : r->total;
    r->exact = !full.beam || r->lower_bound >= r->total;
    r->max_states = full.max_states > overflow_states ? full.max_states : overflow_states;
  }
  free(inc.choice);
  free(full.choice);
  return rc;
}

/* Exact DP with the plain state set while every step fits the cap (plans
 * as before); on overflow, the bounded two-pass search above. */
int dprs_solve(const dprs_problem *p, dprs_result *r) {
  memset(r, 0, sizeof *r);
  solver S;
  memset(&S, 0, sizeof S);
  if (structure_build(p, &S.st)) return -1;
  solver_init(&S, p);
  int cap = p->state_cap > 0 ? p->state_cap : DPRS_DEFAULT_CAP;
  stateset sets[2];
  memset(sets, 0, sizeof sets);
  size_t tmp_len = (size_t)p->n_values + 1;
  uint16_t *tmp = nc_xmalloc(tmp_len * 2), *key = nc_xmalloc(tmp_len * 2);
  pass_out plain_out;
  pass_cfg plain = {cap, INFINITY, 1};
  int rc = 0;
  if (run_pass(&S, &plain, sets, tmp, key, &plain_out) == PASS_CAPPED) {
    rc = solve_bounded(&S, cap, plain_out.max_states, sets, tmp, key, r);
  } else if (plain_out.choice) {
    take_pass(r, &plain_out);
    r->exact = 1;
    r->lower_bound = r->total;
    r->max_states = plain_out.max_states;
  } else {
    rc = fail_exact_pass(&S, &plain_out);
  }
  free(plain_out.choice);
  free(tmp);
  free(key);
  stateset_free(&sets[0]);
  stateset_free(&sets[1]);
  solver_free(&S);
  return rc;
}
