/* A fake cost source for unit tests that need a plan with predictable
 * choices: routines whose descriptor contains one of the `fast` substrings
 * cost 0.1 ms, adapters 0.01 ms, everything else 1 ms. Fingerprint
 * "fake-board", the compiler's own routine library. */
#ifndef NC_TEST_FAKE_COST_H
#define NC_TEST_FAKE_COST_H
#include <stdlib.h>
#include <string.h>

#include "compile.h"

typedef struct tfc_ctx {
  nc_cost_head head; /* first: the cost-source helpers read it through ctx */
  const char *const *fast;
} tfc_ctx;

static inline int tfc_measure(nc_cost_source *s, const nc_routine *r, const nc_args *a,
                              const void *const *consts, double *ms, double *spread) {
  (void)a;
  (void)consts;
  tfc_ctx *c = s->ctx;
  int fast = 0;
  for (const char *const *f = c->fast; *f && !fast; f++) fast = strstr(r->descriptor, *f) != NULL;
  *ms = strcmp(r->layer, "adapter") == 0 ? 0.01 : fast ? 0.1 : 1.0;
  *spread = 0.05;
  memset(&c->head.last, 0, sizeof c->head.last);
  c->head.last.median_ms = *ms;
  return 0;
}

static inline void tfc_destroy(nc_cost_source *s) {
  free(s->ctx);
  free(s);
}

/* `fast`: NULL-terminated list of descriptor substrings, kept by pointer. */
static inline nc_cost_source *tfc_new(const char *const *fast) {
  nc_cost_source *s = calloc(1, sizeof *s);
  tfc_ctx *c = calloc(1, sizeof *c);
  c->head.destroy = tfc_destroy;
  c->fast = fast;
  s->name = "fake";
  s->measure = tfc_measure;
  s->ctx = c;
  s->fingerprint = "fake-board";
  s->library_version = nc_runtime_version();
  return s;
}
#endif
