/* Local profiler: the cost source for a target that is the compiling machine
 * itself (`agent: {transport: local}`, the default). It times routines
 * in-process with the measurement harness the agent runs too
 * (runtime-min/agent/measure.c), on the layer's concrete shapes and its real
 * (packed) weights. Also here: what every cost source shares (the per-run
 * cache, nc_cost_free) and the choice of source by the target spec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_client.h"
#include "compile.h"
#include "execute.h"

/* The compiler's own process may use what the machine has: the agent's
 * 1 GiB default exists to protect a small board. */
#define LOCAL_MAX_BYTES (1ull << 40)
#define CACHE_BUCKETS 4096

double nc_now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---------------- the per-run cache ---------------- */

typedef struct cache_entry {
  char *key;
  nc_measurement m;
  struct cache_entry *next;
} cache_entry;

struct nc_cost_cache {
  cache_entry *bucket[CACHE_BUCKETS];
};

nc_cost_cache *nc_cost_cache_new(void) { return nc_xcalloc(1, sizeof(nc_cost_cache)); }

void nc_cost_cache_free(nc_cost_cache *c) {
  if (!c) return;
  for (int b = 0; b < CACHE_BUCKETS; b++)
    for (cache_entry *e = c->bucket[b], *nx; e; e = nx) {
      nx = e->next;
      free(e->key);
      free(e);
    }
  free(c);
}

static unsigned hash_key(const char *k) {
  uint32_t h = 2166136261u;
  for (; *k; k++) h = (h ^ (uint8_t)*k) * 16777619u;
  return h % CACHE_BUCKETS;
}

int nc_cost_cache_get(const nc_cost_cache *c, const char *key, nc_measurement *m) {
  for (cache_entry *e = c->bucket[hash_key(key)]; e; e = e->next)
    if (strcmp(e->key, key) == 0) {
      *m = e->m;
      return 1;
    }
  return 0;
}

void nc_cost_cache_put(nc_cost_cache *c, char *key, const nc_measurement *m) {
  cache_entry *e = nc_xmalloc(sizeof *e);
  unsigned b = hash_key(key);
  e->key = key;
  e->m = *m;
  e->next = c->bucket[b];
  c->bucket[b] = e;
}

char *nc_cost_key(const nc_routine *r, const nc_args *a) {
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

/* ---------------- the local source ---------------- */

typedef struct local_ctx {
  nc_cost_head head;
  nc_measure_opts opts;
  nc_cost_cache *cache;
  char fingerprint[2048];
} local_ctx;

static int local_measure(nc_cost_source *s, const nc_routine *r, const nc_args *a,
                         const void *const *consts, double *ms, double *spread) {
  local_ctx *ctx = s->ctx;
  if (!nc_exec_host_runnable(r)) {
    /* A routine for another ISA (NEON on an x86 compiler): its fn is NULL
     * here or this CPU lacks the ISA. Timing a stand-in would be a guess. */
    char isa[32];
    return nc_fail("cannot measure %s locally: this host cannot run %s routines; profile on "
                   "the target through its agent (target spec 'agent: {transport: stdio, "
                   "command: ...}' or tcp, see docs/agent.md and docs/targets.md)",
                   r->descriptor, nc_routine_isa(r, isa, sizeof isa));
  }
  char *key = nc_cost_key(r, a);
  nc_measurement m;
  if (nc_cost_cache_get(ctx->cache, key, &m)) {
    free(key);
    s->cached++;
  } else {
    char err[512];
    if (nc_measure_routine(r, a, consts, NULL, &ctx->opts, &m, err, sizeof err)) {
      free(key);
      return nc_fail("measuring %s locally: %s", r->descriptor, err);
    }
    nc_cost_cache_put(ctx->cache, key, &m);
    s->measured++;
    ctx->head.remeasured += m.remeasured;
  }
  ctx->head.last = m;
  *ms = m.median_ms;
  *spread = m.spread;
  return 0;
}

static void local_destroy(nc_cost_source *s) {
  local_ctx *ctx = s->ctx;
  nc_cost_cache_free(ctx->cache);
  free(ctx);
  free(s);
}

nc_cost_source *nc_cost_local_new(const nc_target *t) {
  nc_cost_source *s = nc_xcalloc(1, sizeof *s);
  local_ctx *ctx = nc_xcalloc(1, sizeof *ctx);
  ctx->head.destroy = local_destroy;
  ctx->opts.min_ms = t ? t->profile_min_ms : 2.0;
  ctx->opts.warmup = t ? t->profile_warmup : 1;
  ctx->opts.max_bytes = LOCAL_MAX_BYTES;
  ctx->cache = nc_cost_cache_new();
  nc_target_fingerprint(ctx->fingerprint, sizeof ctx->fingerprint);
  s->name = "local";
  s->measure = local_measure;
  s->ctx = ctx;
  s->fingerprint = ctx->fingerprint;
  s->library_version = nc_runtime_version();
  return s;
}

/* ---------------- shared ---------------- */

const nc_measurement *nc_cost_last(const nc_cost_source *s) {
  return &((const nc_cost_head *)s->ctx)->last;
}

void nc_cost_free(nc_cost_source *s) {
  if (!s) return;
  ((nc_cost_head *)s->ctx)->destroy(s);
}

nc_cost_source *nc_cost_source_for_target(const nc_target *t) {
  if (!t || !t->agent_transport || strcmp(t->agent_transport, "local") == 0)
    return nc_cost_local_new(t);
  return nc_cost_agent_new(t);
}
