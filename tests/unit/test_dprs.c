/* DPRS: hand-computed plans, agreement with exhaustive search on random
 * DAGs, bounded (beam) reporting, determinism and speed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dprs.h"
#include "ir.h"

/* ---------------- helpers ---------------- */

#define MAXV 64
#define MAXF 3

typedef struct adapter_table {
  double cost[MAXV][MAXF][MAXF]; /* < 0: no adapter */
  int per_value;                 /* 0: every adapter costs `uniform` */
  double uniform;
} adapter_table;

static double table_adapter(void *ctx, int v, int from, int to) {
  adapter_table *t = ctx;
  return t->per_value ? t->cost[v][from][to] : t->uniform;
}

static int close_to(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)); }

/* xorshift64*: a fixed, portable stream so failures reproduce. */
static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}
static int rnd_int(int n) { return (int)(rnd() % (uint32_t)n); }
static double rnd_cost(double hi) { return (double)(rnd() % 10000) / 10000.0 * hi; }

static void set_choice(dprs_choice *c, double cost, int in0, int in1, int out0) {
  memset(c, 0, sizeof *c);
  c->cost = cost;
  c->in_fmt[0] = in0;
  c->in_fmt[1] = in1;
  c->out_fmt[0] = out0;
}

/* ---------------- hand-computed cases ---------------- */

/* v0 -A-> v1 -B-> v2, every adapter costs 5, the output must be in format 0.
 * Both cheap routines produce / want format 1 and lose:
 *   A0+B0 = 2+5+1+5 = 13, A0+B1 = 2+3 = 5, A1+B0 = 1+1+5 = 7, A1+B1 = 1+5+3 = 9. */
Test(dprs, cheap_routine_loses_to_adapters) {
  dprs_choice ca[2], cb[2];
  set_choice(&ca[0], 2, 0, 0, 0);
  set_choice(&ca[1], 1, 0, 0, 1);
  set_choice(&cb[0], 1, 1, 0, 1);
  set_choice(&cb[1], 3, 0, 0, 0);
  dprs_layer L[2] = {{.n_in = 1, .n_out = 1, .in = {0}, .out = {1}, .n_choices = 2, .choices = ca},
                     {.n_in = 1, .n_out = 1, .in = {1}, .out = {2}, .n_choices = 2, .choices = cb}};
  int sv = 0, sf = 0, kv = 2, kf = 0;
  adapter_table t = {.uniform = 5};
  dprs_problem p = {.n_formats = 2, .n_values = 3, .n_layers = 2, .layers = L, .n_sources = 1,
                    .source_value = &sv, .source_fmt = &sf, .n_sinks = 1, .sink_value = &kv,
                    .sink_fmt = &kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result r;
  cr_assert_eq(dprs_solve(&p, &r), 0, "%s", nc_err_msg());
  cr_expect_eq(r.choice[0], 0);
  cr_expect_eq(r.choice[1], 1);
  cr_expect(close_to(r.total, 5.0), "total %g", r.total);
  cr_expect_eq(r.exact, 1);
  cr_expect(close_to(r.lower_bound, 5.0));
  int all[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  double want[4] = {13, 5, 7, 9};
  for (int i = 0; i < 4; i++)
    cr_expect(close_to(dprs_evaluate(&p, all[i]), want[i]), "assignment %d: %g", i,
              dprs_evaluate(&p, all[i]));
  free(r.choice);
}

/* v0 -P-> v1, then Q and R both read v1. Their format-1 routine (6) plus one
 * adapter v1 0->1 (5) is only worth it if the adapter is paid once:
 *   Q0,R0 = 1+10+10 = 21; Q1,R1 = 1+5+6+6 = 18; Q1,R0 = Q0,R1 = 1+5+6+10 = 22. */
Test(dprs, shared_conversion_counted_once) {
  dprs_choice cp[1], cq[2];
  set_choice(&cp[0], 1, 0, 0, 0);
  set_choice(&cq[0], 10, 0, 0, 0);
  set_choice(&cq[1], 6, 1, 0, 0);
  dprs_layer L[3] = {{.n_in = 1, .n_out = 1, .in = {0}, .out = {1}, .n_choices = 1, .choices = cp},
                     {.n_in = 1, .n_out = 1, .in = {1}, .out = {2}, .n_choices = 2, .choices = cq},
                     {.n_in = 1, .n_out = 1, .in = {1}, .out = {3}, .n_choices = 2, .choices = cq}};
  int sv = 0, sf = 0, kv[2] = {2, 3}, kf[2] = {0, 0};
  adapter_table t = {.uniform = 5};
  dprs_problem p = {.n_formats = 2, .n_values = 4, .n_layers = 3, .layers = L, .n_sources = 1,
                    .source_value = &sv, .source_fmt = &sf, .n_sinks = 2, .sink_value = kv,
                    .sink_fmt = kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result r;
  cr_assert_eq(dprs_solve(&p, &r), 0, "%s", nc_err_msg());
  cr_expect_eq(r.choice[1], 1);
  cr_expect_eq(r.choice[2], 1);
  cr_expect(close_to(r.total, 18.0), "total %g", r.total);
  cr_expect(close_to(dprs_evaluate(&p, (int[]){0, 0, 0}), 21.0));
  cr_expect(close_to(dprs_evaluate(&p, (int[]){0, 1, 0}), 22.0));
  free(r.choice);
}

/* A layer reading v0 twice in format 1 converts once (3), and a sink that
 * wants the converted format reuses that conversion too. */
Test(dprs, same_value_twice_and_sink_share_conversion) {
  dprs_choice c[1];
  set_choice(&c[0], 1, 1, 1, 0);
  dprs_layer L[1] = {{.n_in = 2, .n_out = 1, .in = {0, 0}, .out = {1}, .n_choices = 1, .choices = c}};
  int sv = 0, sf = 0, kv[2] = {1, 0}, kf[2] = {0, 1};
  adapter_table t = {.uniform = 3};
  dprs_problem p = {.n_formats = 2, .n_values = 2, .n_layers = 1, .layers = L, .n_sources = 1,
                    .source_value = &sv, .source_fmt = &sf, .n_sinks = 2, .sink_value = kv,
                    .sink_fmt = kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result r;
  cr_assert_eq(dprs_solve(&p, &r), 0, "%s", nc_err_msg());
  cr_expect(close_to(r.total, 4.0), "total %g", r.total);
  free(r.choice);
}

/* Sink of a source nothing consumes; a produced value nobody wants. */
Test(dprs, passthrough_and_dropped_values) {
  dprs_choice c[2];
  set_choice(&c[0], 2, 0, 0, 1);
  set_choice(&c[1], 4, 0, 0, 0);
  dprs_layer L[1] = {{.n_in = 1, .n_out = 1, .in = {0}, .out = {1}, .n_choices = 2, .choices = c}};
  int sv = 0, sf = 0, kv = 0, kf = 1;
  adapter_table t = {.uniform = 7};
  dprs_problem p = {.n_formats = 2, .n_values = 2, .n_layers = 1, .layers = L, .n_sources = 1,
                    .source_value = &sv, .source_fmt = &sf, .n_sinks = 1, .sink_value = &kv,
                    .sink_fmt = &kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result r;
  cr_assert_eq(dprs_solve(&p, &r), 0, "%s", nc_err_msg());
  cr_expect_eq(r.choice[0], 0); /* v1 is dropped: its format is irrelevant */
  cr_expect(close_to(r.total, 2.0 + 7.0), "total %g", r.total);
  free(r.choice);
}

Test(dprs, infeasible_names_value_and_formats) {
  dprs_choice c[1];
  set_choice(&c[0], 1, 1, 0, 0);
  dprs_layer L[1] = {{.n_in = 1, .n_out = 1, .in = {0}, .out = {1}, .n_choices = 1, .choices = c}};
  int sv = 0, sf = 0, kv = 1, kf = 0;
  adapter_table t = {.uniform = -1};
  dprs_problem p = {.n_formats = 2, .n_values = 2, .n_layers = 1, .layers = L, .n_sources = 1,
                    .source_value = &sv, .source_fmt = &sf, .n_sinks = 1, .sink_value = &kv,
                    .sink_fmt = &kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result r;
  nc_err_clear();
  cr_assert_eq(dprs_solve(&p, &r), -1);
  cr_expect(strstr(nc_err_msg(), "value 0 needs format 1 but no adapter from format 0"), "%s",
            nc_err_msg());
  nc_err_clear();
  cr_expect(dprs_evaluate(&p, (int[]){0}) < 0);
  nc_err_clear();
}

Test(dprs, rejects_non_topological_order) {
  dprs_choice c[1];
  set_choice(&c[0], 1, 0, 0, 0);
  dprs_layer L[2] = {{.n_in = 1, .n_out = 1, .in = {1}, .out = {2}, .n_choices = 1, .choices = c},
                     {.n_in = 1, .n_out = 1, .in = {0}, .out = {1}, .n_choices = 1, .choices = c}};
  int sv = 0, sf = 0, kv = 2, kf = 0;
  adapter_table t = {.uniform = 1};
  dprs_problem p = {.n_formats = 2, .n_values = 3, .n_layers = 2, .layers = L, .n_sources = 1,
                    .source_value = &sv, .source_fmt = &sf, .n_sinks = 1, .sink_value = &kv,
                    .sink_fmt = &kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result r;
  nc_err_clear();
  cr_assert_eq(dprs_solve(&p, &r), -1);
  cr_expect(strstr(nc_err_msg(), "topological"), "%s", nc_err_msg());
  nc_err_clear();
}

/* ---------------- random DAGs ---------------- */

#define RMAX_LAYERS 8

typedef struct rproblem {
  dprs_layer layers[RMAX_LAYERS];
  dprs_choice choices[RMAX_LAYERS][3];
  int src_v[3], src_f[3], sink_v[4], sink_f[4];
  adapter_table adapters;
  dprs_problem p;
} rproblem;

/* Inputs: mostly recent values (chains, diamonds, nested branches), some
 * older ones (long skips, several consumers), sometimes the same value twice. */
static int pick_input(int n_avail) {
  int r = rnd_int(10);
  if (r < 5) return n_avail - 1;
  if (r < 7 && n_avail > 1) return n_avail - 2;
  return rnd_int(n_avail);
}

static void random_problem(rproblem *q) {
  memset(q, 0, sizeof *q);
  int nf = 2 + rnd_int(2);
  int ns = 1 + rnd_int(3);
  int nl = 1 + rnd_int(RMAX_LAYERS);
  int nv = 0;
  for (int i = 0; i < ns; i++) q->src_v[i] = nv++, q->src_f[i] = rnd_int(nf);
  long combos = 1;
  for (int k = 0; k < nl; k++) {
    dprs_layer *L = &q->layers[k];
    L->n_in = 1 + rnd_int(3);
    for (int i = 0; i < L->n_in; i++) L->in[i] = pick_input(nv);
    L->n_out = 1 + (rnd_int(4) == 0);
    for (int i = 0; i < L->n_out; i++) L->out[i] = nv++;
    L->n_choices = 1 + rnd_int(3);
    if (combos * L->n_choices > 20000) L->n_choices = 1;
    combos *= L->n_choices;
    for (int c = 0; c < L->n_choices; c++) {
      dprs_choice *ch = &q->choices[k][c];
      ch->cost = rnd_cost(10);
      for (int i = 0; i < L->n_in; i++) ch->in_fmt[i] = rnd_int(nf);
      for (int i = 0; i < L->n_out; i++) ch->out_fmt[i] = rnd_int(nf);
    }
    L->choices = q->choices[k];
  }
  int nk = 1 + rnd_int(4);
  for (int i = 0; i < nk; i++) {
    /* mostly late values (graph outputs), sometimes any value */
    q->sink_v[i] = rnd_int(3) ? nv - 1 - rnd_int(nv < 3 ? nv : 3) : rnd_int(nv);
    q->sink_f[i] = rnd_int(nf);
  }
  q->adapters.per_value = 1;
  for (int v = 0; v < nv; v++)
    for (int a = 0; a < nf; a++)
      for (int b = 0; b < nf; b++)
        q->adapters.cost[v][a][b] = rnd_int(8) == 0 ? -1.0 : rnd_cost(6);
  q->p = (dprs_problem){.n_formats = nf, .n_values = nv, .n_layers = nl, .layers = q->layers,
                        .n_sources = ns, .source_value = q->src_v, .source_fmt = q->src_f,
                        .n_sinks = nk, .sink_value = q->sink_v, .sink_fmt = q->sink_f,
                        .adapter_cost = table_adapter, .ctx = &q->adapters};
}

Test(dprs, random_dags_match_exhaustive) {
  rng_state = 0x9E3779B97F4A7C15ull;
  int feasible = 0, infeasible = 0;
  rproblem *q = malloc(sizeof *q);
  for (int it = 0; it < 20000 && feasible < 1500; it++) {
    random_problem(q);
    dprs_result rs, rx;
    nc_err_clear();
    int es = dprs_solve(&q->p, &rs);
    nc_err_clear();
    int ex = dprs_exhaustive(&q->p, &rx);
    nc_err_clear();
    cr_assert_eq(es, ex, "instance %d: solve rc %d, exhaustive rc %d", it, es, ex);
    if (es != 0) {
      infeasible++;
      continue;
    }
    feasible++;
    cr_assert(close_to(rs.total, rx.total), "instance %d: dprs %.12g exhaustive %.12g", it,
              rs.total, rx.total);
    cr_assert(close_to(dprs_evaluate(&q->p, rs.choice), rs.total), "instance %d", it);
    cr_assert_eq(rs.exact, 1, "instance %d", it);
    cr_assert(close_to(rs.lower_bound, rs.total));
    free(rs.choice);
    free(rx.choice);
  }
  free(q);
  cr_log_info("random DAGs: %d feasible, %d infeasible", feasible, infeasible);
  cr_expect_geq(feasible, 1500, "only %d feasible instances", feasible);
  cr_expect_gt(infeasible, 0, "the generator should also make infeasible instances");
}

/* With a tiny state cap the beam may miss the optimum, but what it reports
 * must stay honest: a real assignment, and a bound below the optimum. */
Test(dprs, random_dags_bounded_search_is_honest) {
  rng_state = 0x0123456789ABCDEFull;
  int checked = 0, pruned = 0, suboptimal = 0;
  rproblem *q = malloc(sizeof *q);
  for (int it = 0; it < 20000 && checked < 1000; it++) {
    random_problem(q);
    q->p.state_cap = 1 + rnd_int(2);
    dprs_result rs, rx;
    nc_err_clear();
    int ex = dprs_exhaustive(&q->p, &rx);
    nc_err_clear();
    if (ex != 0) continue;
    int es = dprs_solve(&q->p, &rs);
    nc_err_clear();
    if (es != 0) { /* the beam may lose every feasible path */
      free(rx.choice);
      continue;
    }
    checked++;
    pruned += !rs.exact;
    cr_assert(close_to(dprs_evaluate(&q->p, rs.choice), rs.total), "instance %d", it);
    cr_assert(rs.total >= rx.total - 1e-9 * fmax(1, rx.total), "instance %d", it);
    cr_assert(rs.lower_bound <= rx.total + 1e-9 * fmax(1, rx.total),
              "instance %d: bound %.12g > optimum %.12g", it, rs.lower_bound, rx.total);
    cr_assert(rs.lower_bound <= rs.total + 1e-12);
    if (rs.exact) cr_assert(close_to(rs.total, rx.total), "instance %d: exact but not optimal", it);
    if (!close_to(rs.total, rx.total)) suboptimal++;
    free(rs.choice);
    free(rx.choice);
  }
  free(q);
  cr_log_info("bounded: %d checked, %d pruned, %d suboptimal", checked, pruned, suboptimal);
  cr_expect_geq(checked, 1000);
  cr_expect_gt(pruned, 100, "pruned only %d times", pruned);
  cr_expect_gt(suboptimal, 0, "the beam never lost: the test does not exercise the bound");
}

/* Fan-out: v0 feeds 7 layers whose outputs all stay live until the sinks, so
 * the exact state set has 3^7 states (each output done, or pending in one of
 * two wrong formats). */
Test(dprs, fanout_bounded_reports_gap) {
  enum { N = 7 };
  dprs_layer L[N];
  dprs_choice c[N][3];
  int sv = 0, sf = 0, kv[N], kf[N];
  adapter_table t;
  memset(&t, 0, sizeof t);
  t.per_value = 1;
  rng_state = 42;
  for (int k = 0; k < N; k++) {
    for (int j = 0; j < 3; j++) set_choice(&c[k][j], 1 + rnd_cost(4), 0, 0, j);
    L[k] = (dprs_layer){.n_in = 1, .n_out = 1, .in = {0}, .out = {k + 1}, .n_choices = 3,
                        .choices = c[k]};
    kv[k] = k + 1;
    kf[k] = k % 3;
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) t.cost[k + 1][a][b] = rnd_cost(3);
  }
  dprs_problem p = {.n_formats = 3, .n_values = N + 1, .n_layers = N, .layers = L,
                    .n_sources = 1, .source_value = &sv, .source_fmt = &sf, .n_sinks = N,
                    .sink_value = kv, .sink_fmt = kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result full, beam, brute;
  cr_assert_eq(dprs_solve(&p, &full), 0, "%s", nc_err_msg());
  cr_expect_eq(full.exact, 1);
  cr_expect_eq(full.max_states, 2187);
  cr_assert_eq(dprs_exhaustive(&p, &brute), 0);
  cr_expect(close_to(full.total, brute.total));
  p.state_cap = 4;
  cr_assert_eq(dprs_solve(&p, &beam), 0, "%s", nc_err_msg());
  cr_expect_eq(beam.exact, 0);
  cr_expect_leq(beam.lower_bound, beam.total);
  cr_expect_leq(beam.lower_bound, brute.total + 1e-9);
  cr_expect(close_to(dprs_evaluate(&p, beam.choice), beam.total));
  free(full.choice);
  free(beam.choice);
  free(brute.choice);
}

/* ---------------- determinism and speed ---------------- */

Test(dprs, ties_prefer_lowest_choice_index) {
  enum { N = 6 };
  dprs_layer L[N];
  dprs_choice c[3];
  for (int j = 0; j < 3; j++) set_choice(&c[j], 1, j % 2, 0, j % 2);
  for (int k = 0; k < N; k++)
    L[k] = (dprs_layer){.n_in = 1, .n_out = 1, .in = {k}, .out = {k + 1}, .n_choices = 3,
                        .choices = c};
  int sv = 0, sf = 0, kv = N, kf = 0;
  adapter_table t = {.uniform = 0};
  dprs_problem p = {.n_formats = 2, .n_values = N + 1, .n_layers = N, .layers = L,
                    .n_sources = 1, .source_value = &sv, .source_fmt = &sf, .n_sinks = 1,
                    .sink_value = &kv, .sink_fmt = &kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result r;
  cr_assert_eq(dprs_solve(&p, &r), 0);
  for (int k = 0; k < N; k++) cr_expect_eq(r.choice[k], 0, "layer %d", k);
  free(r.choice);
}

static double elapsed(clock_t t0) { return (double)(clock() - t0) / CLOCKS_PER_SEC; }

Test(dprs, chain_300_is_fast_and_deterministic) {
  enum { N = 300 };
  dprs_layer *L = calloc(N, sizeof *L);
  dprs_choice(*c)[4] = calloc(N, sizeof *c);
  adapter_table t = {.uniform = 0.25};
  rng_state = 7;
  for (int k = 0; k < N; k++) {
    for (int j = 0; j < 4; j++) set_choice(&c[k][j], rnd_cost(3), rnd_int(2), 0, rnd_int(2));
    L[k] = (dprs_layer){.n_in = 1, .n_out = 1, .in = {k}, .out = {k + 1}, .n_choices = 4,
                        .choices = c[k]};
  }
  int sv = 0, sf = 0, kv = N, kf = 0;
  dprs_problem p = {.n_formats = 2, .n_values = N + 1, .n_layers = N, .layers = L,
                    .n_sources = 1, .source_value = &sv, .source_fmt = &sf, .n_sinks = 1,
                    .sink_value = &kv, .sink_fmt = &kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result a, b;
  clock_t t0 = clock();
  cr_assert_eq(dprs_solve(&p, &a), 0, "%s", nc_err_msg());
  double s = elapsed(t0);
  cr_expect_lt(s, 1.0, "300-layer chain took %.3f s", s);
  cr_expect_eq(a.exact, 1);
  cr_expect(close_to(dprs_evaluate(&p, a.choice), a.total));
  cr_assert_eq(dprs_solve(&p, &b), 0);
  cr_expect_eq(memcmp(a.choice, b.choice, N * sizeof(int)), 0);
  /* A chain with one live value: the optimum is the textbook recurrence
   * D[k][f] = min over choices producing f of (min_g D[k-1][g] + a(g->in) + t),
   * written here independently. */
  double D[2] = {0, INFINITY};
  for (int k = 0; k < N; k++) {
    double nd[2] = {INFINITY, INFINITY};
    for (int j = 0; j < 4; j++)
      for (int g = 0; g < 2; g++) {
        double v = D[g] + (g == c[k][j].in_fmt[0] ? 0 : 0.25) + c[k][j].cost;
        if (v < nd[c[k][j].out_fmt[0]]) nd[c[k][j].out_fmt[0]] = v;
      }
    D[0] = nd[0], D[1] = nd[1];
  }
  double opt = fmin(D[0], D[1] + 0.25);
  cr_expect(close_to(a.total, opt), "dprs %.12g recurrence %.12g", a.total, opt);
  free(a.choice);
  free(b.choice);
  free(L);
  free(c);
}

/* DenseNet-like blocks: every layer concatenates all earlier outputs of its
 * block, so many values stay live. The cap must keep this fast, and the
 * report must stay consistent. */
Test(dprs, densenet_like_stays_bounded) {
  enum { BLOCKS = 4, PER = 12, N = BLOCKS * (PER + 1) };
  dprs_layer *L = calloc(N, sizeof *L);
  dprs_choice(*c)[3] = calloc(N, sizeof *c);
  adapter_table *t = calloc(1, sizeof *t);
  t->uniform = 0.3;
  rng_state = 99;
  int nv = 1, nl = 0, block_in = 0;
  for (int b = 0; b < BLOCKS; b++) {
    int feats[PER + 1], nfeat = 0;
    feats[nfeat++] = block_in;
    for (int i = 0; i < PER; i++) {
      dprs_layer *l = &L[nl];
      l->n_in = nfeat;
      memcpy(l->in, feats, (size_t)nfeat * sizeof(int));
      l->n_out = 1;
      l->out[0] = nv;
      l->n_choices = 3;
      for (int j = 0; j < 3; j++) {
        dprs_choice *ch = &c[nl][j];
        ch->cost = 1 + rnd_cost(2);
        int f = j == 2 ? 1 : 0;
        for (int q = 0; q < nfeat; q++) ch->in_fmt[q] = f;
        ch->out_fmt[0] = j == 0 ? 0 : 1;
      }
      l->choices = c[nl++];
      feats[nfeat++] = nv++;
    }
    dprs_layer *tr = &L[nl]; /* transition: concat of the whole block */
    tr->n_in = nfeat;
    memcpy(tr->in, feats, (size_t)nfeat * sizeof(int));
    tr->n_out = 1;
    tr->out[0] = nv;
    tr->n_choices = 2;
    for (int j = 0; j < 2; j++) {
      for (int q = 0; q < nfeat; q++) c[nl][j].in_fmt[q] = j;
      c[nl][j].out_fmt[0] = j;
      c[nl][j].cost = 1 + rnd_cost(1);
    }
    tr->choices = c[nl++];
    block_in = nv++;
  }
  int sv = 0, sf = 0, kv = block_in, kf = 0;
  dprs_problem p = {.n_formats = 2, .n_values = nv, .n_layers = nl, .layers = L,
                    .n_sources = 1, .source_value = &sv, .source_fmt = &sf, .n_sinks = 1,
                    .sink_value = &kv, .sink_fmt = &kf, .adapter_cost = table_adapter, .ctx = t};
  dprs_result r;
  clock_t t0 = clock();
  cr_assert_eq(dprs_solve(&p, &r), 0, "%s", nc_err_msg());
  double s = elapsed(t0);
  cr_expect_lt(s, 2.0, "DenseNet-like took %.3f s", s);
  cr_expect_leq(r.lower_bound, r.total);
  cr_expect(close_to(dprs_evaluate(&p, r.choice), r.total));
  cr_log_info("densenet-like: %d layers, max states %ld, exact %d, total %g, bound %g, %.3f s",
              nl, r.max_states, r.exact, r.total, r.lower_bound, s);
  free(r.choice);
  free(L);
  free(c);
  free(t);
}

/* ---------------- bound pruning after an overflow ---------------- */

/* With a cap of 2 or 3 the plain DP overflows on many instances; the solver
 * then bounds by an incumbent and reruns. Whenever it still claims exactness
 * the total must be the exhaustive optimum, and that must happen often
 * enough to show the bounded rerun (not just the plain DP) proves optima. */
Test(dprs, bound_pruning_keeps_optimum_after_overflow) {
  rng_state = 0xB0B0CAFE12345678ull;
  int checked = 0, overflowed = 0, proven = 0;
  rproblem *q = malloc(sizeof *q);
  for (int it = 0; it < 20000 && checked < 1500; it++) {
    random_problem(q);
    q->p.state_cap = 2 + rnd_int(2);
    dprs_result rs, rx;
    nc_err_clear();
    int ex = dprs_exhaustive(&q->p, &rx);
    nc_err_clear();
    if (ex != 0) continue;
    int es = dprs_solve(&q->p, &rs);
    nc_err_clear();
    if (es != 0) {
      free(rx.choice);
      continue;
    }
    checked++;
    cr_assert(close_to(dprs_evaluate(&q->p, rs.choice), rs.total), "instance %d", it);
    cr_assert(rs.total >= rx.total - 1e-9 * fmax(1, rx.total), "instance %d", it);
    cr_assert(rs.lower_bound <= rx.total + 1e-9 * fmax(1, rx.total), "instance %d", it);
    if (rs.exact)
      cr_assert(close_to(rs.total, rx.total), "instance %d: exact %.12g but optimum %.12g", it,
                rs.total, rx.total);
    if (rs.max_states > q->p.state_cap) {
      overflowed++;
      proven += rs.exact;
    }
    free(rs.choice);
    free(rx.choice);
  }
  free(q);
  cr_log_info("bound pruning: %d checked, %d overflowed the cap, %d of those proven exact",
              checked, overflowed, proven);
  cr_expect_geq(checked, 1500);
  cr_expect_gt(overflowed, 200, "only %d instances overflowed", overflowed);
  cr_expect_gt(proven, 100, "bound pruning proved only %d overflowed instances", proven);
}

/* DenseNet-121-shaped graph: stem, four dense blocks of 6/12/24/16 layers
 * (concat of every earlier feature, scale+ReLU, 1x1 conv, 3x3 conv), three
 * transitions (concat, scale+ReLU, 1x1 conv, pool) and a head; 4 formats, 8
 * choices per layer (two per format). Format-0 choices cost 1..2, the others
 * 2..4, source and sink are in format 0, so the optimum is independently
 * known: every layer's cheapest choice, no adapter. The plain state set
 * overflows the cap (each live feature may sit in any format). */
typedef struct dn_graph {
  dprs_layer *L;
  dprs_choice (*c)[8];
  int nl, nv;
  double optimum;
} dn_graph;

static int dn_layer(dn_graph *g, const int *in, int n_in) {
  dprs_layer *l = &g->L[g->nl];
  l->n_in = n_in;
  memcpy(l->in, in, (size_t)n_in * sizeof(int));
  l->n_out = 1;
  l->out[0] = g->nv;
  l->n_choices = 8;
  double best = INFINITY;
  for (int j = 0; j < 8; j++) {
    dprs_choice *ch = &g->c[g->nl][j];
    int f = j % 4;
    ch->cost = f == 0 ? 1 + rnd_cost(1) : 2 + rnd_cost(2);
    for (int i = 0; i < n_in; i++) ch->in_fmt[i] = f;
    ch->out_fmt[0] = f;
    if (ch->cost < best) best = ch->cost;
  }
  l->choices = g->c[g->nl++];
  g->optimum += best;
  return g->nv++;
}

static int dn_chain(dn_graph *g, int v, int n) {
  for (int i = 0; i < n; i++) v = dn_layer(g, &v, 1);
  return v;
}

static void dn_build(dn_graph *g) {
  static const int per_block[4] = {6, 12, 24, 16};
  g->L = calloc(400, sizeof *g->L);
  g->c = calloc(400, sizeof *g->c);
  g->nl = 0, g->nv = 1, g->optimum = 0;
  int x = dn_chain(g, 0, 2); /* stem conv, pool */
  for (int b = 0; b < 4; b++) {
    int feats[DPRS_MAX_IO], nfeat = 0;
    feats[nfeat++] = x;
    for (int i = 0; i < per_block[b]; i++) {
      int y = dn_layer(g, feats, nfeat); /* concat */
      feats[nfeat++] = dn_chain(g, y, 3);  /* scale+ReLU, 1x1 conv, 3x3 conv */
    }
    x = dn_layer(g, feats, nfeat);
    x = dn_chain(g, x, b < 3 ? 3 : 4); /* transition, or the head */
  }
}

Test(dprs, densenet121_shaped_is_exact_and_fast) {
  dn_graph g;
  rng_state = 121;
  dn_build(&g);
  int sv = 0, sf = 0, kv = g.nv - 1, kf = 0;
  adapter_table t = {.uniform = 0.3};
  dprs_problem p = {.n_formats = 4, .n_values = g.nv, .n_layers = g.nl, .layers = g.L,
                    .n_sources = 1, .source_value = &sv, .source_fmt = &sf, .n_sinks = 1,
                    .sink_value = &kv, .sink_fmt = &kf, .adapter_cost = table_adapter, .ctx = &t};
  dprs_result a, b;
  clock_t t0 = clock();
  cr_assert_eq(dprs_solve(&p, &a), 0, "%s", nc_err_msg());
  double s = elapsed(t0);
  cr_log_info("densenet121-shaped: %d layers, max states %ld, exact %d, total %.9g, %.4f s",
              g.nl, a.max_states, a.exact, a.total, s);
  cr_expect_gt(a.max_states, 4096, "the plain state set should overflow the default cap");
  cr_expect_eq(a.exact, 1);
  cr_expect(close_to(a.total, g.optimum), "dprs %.12g, optimum %.12g", a.total, g.optimum);
  cr_expect(close_to(a.lower_bound, a.total));
  cr_expect(close_to(dprs_evaluate(&p, a.choice), a.total));
  cr_expect_lt(s, 1.0, "DenseNet-121-shaped graph took %.3f s", s);
  cr_assert_eq(dprs_solve(&p, &b), 0);
  cr_expect_eq(memcmp(a.choice, b.choice, (size_t)g.nl * sizeof(int)), 0, "not deterministic");
  free(a.choice);
  free(b.choice);
  free(g.L);
  free(g.c);
}
