/* Local profiler: the cost source for the host target. Times a routine
 * in-process on buffers of the layer's concrete shapes, with the layer's real
 * (packed) weights, warm-up first, then repetitions until a minimum measuring
 * time (in batched samples); reports the median and the relative spread
 * (IQR / median).
 * Identical (routine, args) pairs are measured once per run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compile.h"

#define MAX_REPS 200
#define SAMPLES 20
#define CACHE_MAX 8192

typedef struct cache_entry {
  char *key;
  double ms, spread;
} cache_entry;

typedef struct local_ctx {
  double min_ms;
  int warmup;
  cache_entry *cache;
  int n_cache;
} local_ctx;

double nc_now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A textual key for (routine, args): descriptor, shapes, dtypes, ia, fa.
 * Weight values are left out: routine speed does not depend on them. */
static char *make_key(const nc_routine *r, const nc_args *a) {
  size_t cap = 256 + (size_t)(a->n_in + a->n_out) * 200 + (size_t)(a->n_ia + a->n_fa) * 24;
  char *k = nc_xmalloc(cap);
  size_t n = (size_t)snprintf(k, cap, "%s|%s", r->descriptor, r->symbol);
  for (int s = 0; s < 2; s++) {
    const nc_tdesc *d = s ? a->out : a->in;
    int cnt = s ? a->n_out : a->n_in;
    for (int i = 0; i < cnt && n < cap; i++) {
      n += (size_t)snprintf(k + n, cap - n, "|%d:", d[i].dtype);
      for (int j = 0; j < d[i].ndim && n < cap; j++)
        n += (size_t)snprintf(k + n, cap - n, "%lld,", (long long)d[i].dims[j]);
    }
  }
  for (int i = 0; i < a->n_ia && n < cap; i++)
    n += (size_t)snprintf(k + n, cap - n, "i%lld", (long long)a->ia[i]);
  for (int i = 0; i < a->n_fa && n < cap; i++)
    n += (size_t)snprintf(k + n, cap - n, "f%.9g", a->fa[i]);
  return k;
}

static void fill_random(void *p, int32_t dtype, int64_t n, unsigned *seed) {
  switch (dtype) {
  case NC_F32:
    for (int64_t i = 0; i < n; i++) {
      *seed = *seed * 1103515245u + 12345u;
      ((float *)p)[i] = (float)((*seed >> 9) & 0xffff) / 32768.0f - 1.0f;
    }
    break;
  case NC_F64:
    for (int64_t i = 0; i < n; i++) {
      *seed = *seed * 1103515245u + 12345u;
      ((double *)p)[i] = (double)((*seed >> 9) & 0xffff) / 32768.0 - 1.0;
    }
    break;
  default:
    /* Integer and bool inputs may be indices: zero is valid for every
     * non-empty axis, so zero-fill keeps data-dependent routines in bounds. */
    memset(p, 0, (size_t)n * nc_dtype_size(dtype));
    break;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static size_t desc_bytes(const nc_tdesc *d) {
  if (d->dtype == NC_UNDEF) return 0;
  return (size_t)nc_numel(d) * nc_dtype_size(d->dtype);
}

static int local_measure(nc_cost_source *s, const nc_routine *r, const nc_args *a,
                         const void *const *consts, double *ms, double *spread) {
  local_ctx *ctx = s->ctx;
  char *key = make_key(r, a);
  for (int i = 0; i < ctx->n_cache; i++)
    if (strcmp(ctx->cache[i].key, key) == 0) {
      *ms = ctx->cache[i].ms;
      *spread = ctx->cache[i].spread;
      s->cached++;
      free(key);
      return 0;
    }
  void *in[64] = {0}, *out[16] = {0};
  unsigned seed = 12345u;
  for (int i = 0; i < a->n_in; i++) {
    if (a->in[i].dtype == NC_UNDEF) continue;
    int is_const = consts && consts[i];
    /* activations are stored in the routine's layout (blocked ones pad C) */
    size_t b = is_const ? desc_bytes(&a->in[i]) : nc_layout_bytes(&a->in[i], r->in_layout);
    size_t pb = is_const && r->packed_bytes ? r->packed_bytes(a, i) : 0;
    in[i] = nc_xcalloc(1, (pb > b ? pb : b) + 64);
    if (is_const) {
      if (pb) r->pack(a, i, consts[i], in[i]);
      else memcpy(in[i], consts[i], b);
    } else {
      fill_random(in[i], a->in[i].dtype, (int64_t)(b / nc_dtype_size(a->in[i].dtype)), &seed);
    }
  }
  for (int i = 0; i < a->n_out; i++)
    if (a->out[i].dtype != NC_UNDEF)
      out[i] = nc_xcalloc(1, nc_layout_bytes(&a->out[i], r->out_layout) + 64);
  size_t sb = r->scratch_bytes ? r->scratch_bytes(a) : 0;
  void *scratch = sb ? nc_xcalloc(1, sb) : NULL;

  for (int w = 0; w < ctx->warmup; w++) r->fn(a, (const void *const *)in, out, scratch);
  /* Each sample times `batch` back-to-back runs, so that a sample lasts about
   * 1/SAMPLES of the minimum measuring time: tiny routines are then not
   * drowned by the clock's own cost. */
  double t0 = nc_now_seconds();
  r->fn(a, (const void *const *)in, out, scratch);
  double one = nc_now_seconds() - t0;
  double target = ctx->min_ms * 1e-3 / SAMPLES;
  long batch = one > 0 && one < target ? (long)(target / one) : 1;
  if (batch > 100000) batch = 100000;
  double times[MAX_REPS];
  int reps = 0;
  double spent = one;
  while (reps < MAX_REPS && (reps < 3 || spent < ctx->min_ms * 1e-3)) {
    t0 = nc_now_seconds();
    for (long b = 0; b < batch; b++) r->fn(a, (const void *const *)in, out, scratch);
    double dt = nc_now_seconds() - t0;
    times[reps++] = dt * 1e3 / (double)batch;
    spent += dt;
    if (spent > 0.5) break; /* a slow routine: a few runs already tell */
  }
  qsort(times, (size_t)reps, sizeof(double), cmp_double);
  *ms = times[reps / 2];
  double q1 = times[reps / 4], q3 = times[(3 * reps) / 4];
  *spread = *ms > 0 ? (q3 - q1) / *ms : 0.0;

  for (int i = 0; i < a->n_in; i++) free(in[i]);
  for (int i = 0; i < a->n_out; i++) free(out[i]);
  free(scratch);
  if (ctx->n_cache < CACHE_MAX) {
    ctx->cache[ctx->n_cache].key = key;
    ctx->cache[ctx->n_cache].ms = *ms;
    ctx->cache[ctx->n_cache].spread = *spread;
    ctx->n_cache++;
  } else {
    free(key);
  }
  s->measured++;
  return 0;
}

nc_cost_source *nc_cost_local_new(const nc_target *t) {
  nc_cost_source *s = nc_xcalloc(1, sizeof *s);
  local_ctx *ctx = nc_xcalloc(1, sizeof *ctx);
  ctx->min_ms = t ? t->profile_min_ms : 2.0;
  ctx->warmup = t ? t->profile_warmup : 1;
  ctx->cache = nc_xcalloc(CACHE_MAX, sizeof *ctx->cache);
  s->name = "local";
  s->measure = local_measure;
  s->ctx = ctx;
  return s;
}

void nc_cost_free(nc_cost_source *s) {
  if (!s) return;
  local_ctx *ctx = s->ctx;
  for (int i = 0; i < ctx->n_cache; i++) free(ctx->cache[i].key);
  free(ctx->cache);
  free(ctx);
  free(s);
}
