/* Reference routines of the Reduce* layers and ArgMax/ArgMin: any rank, any
 * set of reduced axes, every numeric dtype. Floats accumulate in double with
 * Neumaier compensation; integers in 64-bit wrapping arithmetic. */
#include <math.h>
#include <string.h>

#include "neuroc/args.h"
#include "reduce_io.h"
#include "reduce_routines.h"

typedef enum rkind { RSUM, RMEAN, RMAX, RMIN, RPROD, RL1, RL2, RLOGSUM, RLSE, RSSQ } rkind;

/* Kept axes (enumerating output elements in order) and the offsets of all
 * reduced positions relative to an output element's first input element. */
typedef struct rplan {
  int nk;
  int64_t kd[NC_MAX_DIMS], ks[NC_MAX_DIMS];
  int64_t n_out, n_red;
} rplan;

static int64_t reduced_count(const nc_args *a) {
  int64_t m = a->ia[NC_REDUCE_AXES_MASK], n = 1;
  for (int d = 0; d < a->in[0].ndim; d++)
    if (m >> d & 1) n *= a->in[0].dims[d];
  return n;
}

size_t nc_reduce_scratch_bytes(const nc_args *a) {
  return (size_t)reduced_count(a) * sizeof(int64_t);
}

static void make_plan(const nc_tdesc *in, int64_t mask, rplan *p, int64_t *roff) {
  int64_t stride[NC_MAX_DIMS], s = 1;
  for (int d = in->ndim - 1; d >= 0; d--) {
    stride[d] = s;
    s *= in->dims[d];
  }
  int nr = 0;
  int64_t rd[NC_MAX_DIMS], rs[NC_MAX_DIMS];
  p->nk = 0;
  p->n_out = 1;
  p->n_red = 1;
  for (int d = 0; d < in->ndim; d++) {
    if (mask >> d & 1) {
      rd[nr] = in->dims[d];
      rs[nr++] = stride[d];
      p->n_red *= in->dims[d];
    } else {
      p->kd[p->nk] = in->dims[d];
      p->ks[p->nk++] = stride[d];
      p->n_out *= in->dims[d];
    }
  }
  /* odometer over the reduced axes, last axis fastest */
  int64_t idx[NC_MAX_DIMS] = {0}, off = 0;
  for (int64_t j = 0; j < p->n_red; j++) {
    roff[j] = off;
    for (int k = nr - 1; k >= 0; k--) {
      if (++idx[k] < rd[k]) {
        off += rs[k];
        break;
      }
      off -= rs[k] * (rd[k] - 1);
      idx[k] = 0;
    }
  }
}

static int64_t base_offset(const rplan *p, int64_t o) {
  int64_t off = 0;
  for (int k = p->nk - 1; k >= 0; k--) {
    off += (o % p->kd[k]) * p->ks[k];
    o /= p->kd[k];
  }
  return off;
}

/* Neumaier-compensated running sum. */
typedef struct csum {
  double s, c;
} csum;

static void csum_add(csum *a, double v) {
  double t = a->s + v;
  if (isfinite(t)) {
    if (fabs(a->s) >= fabs(v)) a->c += (a->s - t) + v;
    else a->c += (v - t) + a->s;
  }
  a->s = t;
}

static double reduce_float(rkind k, const void *x, int32_t dt, int64_t base, const int64_t *roff,
                           int64_t n) {
  if (k == RMAX || k == RMIN) {
    double r = k == RMAX ? -INFINITY : INFINITY;
    for (int64_t j = 0; j < n; j++) {
      double v = nc_load_f64(x, dt, base + roff[j]);
      if (v != v) return v; /* NaN propagates, as numpy does */
      if (k == RMAX ? v > r : v < r) r = v;
    }
    return r;
  }
  if (k == RPROD) {
    double r = 1.0;
    for (int64_t j = 0; j < n; j++) r *= nc_load_f64(x, dt, base + roff[j]);
    return r;
  }
  double m = 0.0;
  if (k == RLSE) { /* subtract the max so exp never overflows */
    m = reduce_float(RMAX, x, dt, base, roff, n);
    if (!isfinite(m)) return m;
  }
  csum acc = {0.0, 0.0};
  for (int64_t j = 0; j < n; j++) {
    double v = nc_load_f64(x, dt, base + roff[j]);
    switch (k) {
    case RL1: v = fabs(v); break;
    case RL2: case RSSQ: v = v * v; break;
    case RLSE: v = exp(v - m); break;
    default: break;
    }
    csum_add(&acc, v);
  }
  double s = acc.s + acc.c;
  switch (k) {
  case RMEAN: return s / (double)n;
  case RL2: return sqrt(s);
  case RLOGSUM: return log(s);
  case RLSE: return m + log(s);
  default: return s;
  }
}

/* Integer reductions exact in 64-bit wrapping arithmetic; the others go
 * through double and truncate like numpy's astype. */
static void reduce_int(rkind k, const void *x, int32_t dt, int64_t base, const int64_t *roff,
                       int64_t n, void *y, int64_t o) {
  if (k == RL2 || k == RLOGSUM || k == RLSE) {
    rdx_st(y, dt, o, reduce_float(k, x, dt, base, roff, n), 0);
    return;
  }
  int uns = rdx_is_unsigned(dt);
  uint64_t acc = k == RPROD ? 1u : 0u;
  int64_t best = base + (n ? roff[0] : 0); /* offset of the max / min so far */
  for (int64_t j = 0; j < n; j++) {
    int64_t off = base + roff[j], v = rdx_ldi(x, dt, off);
    switch (k) {
    case RMAX: if (rdx_cmp(x, off, x, best, dt) > 0) best = off; break;
    case RMIN: if (rdx_cmp(x, off, x, best, dt) < 0) best = off; break;
    case RPROD: acc *= (uint64_t)v; break;
    case RL1: acc += uns || v >= 0 ? (uint64_t)v : (uint64_t)0 - (uint64_t)v; break;
    case RSSQ: acc += (uint64_t)v * (uint64_t)v; break;
    default: acc += (uint64_t)v; break; /* sum, mean */
    }
  }
  int64_t r = (int64_t)acc;
  if (k == RMAX || k == RMIN) r = n ? rdx_ldi(x, dt, best) : (k == RMAX ? rdx_lo(dt) : rdx_hi(dt));
  if (k == RMEAN) r = n ? (uns ? (int64_t)(acc / (uint64_t)n) : (int64_t)acc / n) : 0;
  rdx_sti(y, dt, o, r);
}

static void reduce_run(rkind k, const nc_args *a, const void *const *in, void *const *out,
                       void *scratch) {
  int32_t dt = a->in[0].dtype;
  int64_t *roff = scratch;
  rplan p;
  make_plan(&a->in[0], a->ia[NC_REDUCE_AXES_MASK], &p, roff);
  for (int64_t o = 0; o < p.n_out; o++) {
    int64_t base = base_offset(&p, o);
    if (rdx_is_float(dt))
      rdx_st(out[0], dt, o, reduce_float(k, in[0], dt, base, roff, p.n_red), 0);
    else
      reduce_int(k, in[0], dt, base, roff, p.n_red, out[0], o);
  }
}

#define REDUCE_ROUTINE(name, kind)                                                           \
  void nc_##name##_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out, \
                                    void *scratch) {                                        \
    reduce_run(kind, a, in, out, scratch);                                                   \
  }

REDUCE_ROUTINE(reducesum, RSUM)
REDUCE_ROUTINE(reducemean, RMEAN)
REDUCE_ROUTINE(reducemax, RMAX)
REDUCE_ROUTINE(reducemin, RMIN)
REDUCE_ROUTINE(reduceprod, RPROD)
REDUCE_ROUTINE(reducel1, RL1)
REDUCE_ROUTINE(reducel2, RL2)
REDUCE_ROUTINE(reducelogsum, RLOGSUM)
REDUCE_ROUTINE(reducelogsumexp, RLSE)
REDUCE_ROUTINE(reducesumsquare, RSSQ)

/* ---- ArgMax / ArgMin ---- */

static void arg_run(int want_max, const nc_args *a, const void *const *in, void *const *out) {
  int32_t dt = a->in[0].dtype;
  int64_t outer, len, inner;
  rdx_split(&a->in[0], (int)a->ia[NC_ARG_AXIS], &outer, &len, &inner);
  int last = a->ia[NC_ARG_SELECT_LAST] != 0;
  int64_t *y = out[0];
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * len * inner + i, best = 0;
      for (int64_t j = 1; j < len; j++) {
        int c = rdx_cmp(in[0], base + j * inner, in[0], base + best * inner, dt);
        if (!want_max) c = -c;
        if (c > 0 || (last && c == 0)) best = j;
      }
      y[o * inner + i] = best;
    }
}

void nc_argmax_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  arg_run(1, a, in, out);
}

void nc_argmin_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  arg_run(0, a, in, out);
}
