/* Cost sources beyond the interface in compile.h: the agent client (measure
 * on the target through neuroc-agent, docs/agent.md), the choice of source by
 * the target spec, and what both share with the local profiler
 * (profile_local.c): the per-run cache and the details of the last
 * measurement. */
#ifndef NC_AGENT_CLIENT_H
#define NC_AGENT_CLIENT_H

#include "compile.h"
#include "measure.h"

/* Every cost source made by nc_cost_local_new / nc_cost_agent_new keeps this
 * at the start of its ctx: nc_cost_free calls `destroy`, and nc_cost_last
 * reads `last`. */
typedef struct nc_cost_head {
  void (*destroy)(nc_cost_source *s);
  nc_measurement last; /* the last measurement (or cache hit) */
  long remeasured;     /* measurements re-run because their spread was wide */
} nc_cost_head;

/* Connect to the agent named by the spec's `agent:` section (stdio: spawn
 * `command` with /bin/sh -c in the spec file's directory; tcp: connect to
 * `address`), handshake, and check that it runs this compiler's routine
 * library. NULL with an nc_fail message on failure. */
nc_cost_source *nc_cost_agent_new(const nc_target *t);
/* The source the spec asks for: local (default) or the agent. */
nc_cost_source *nc_cost_source_for_target(const nc_target *t);
/* Details (samples, re-measured) of the last measure() of s. */
const nc_measurement *nc_cost_last(const nc_cost_source *s);

/* ---- shared by the cost sources: identical (routine, args) pairs are
 * measured once per source ---- */
typedef struct nc_cost_cache nc_cost_cache;
nc_cost_cache *nc_cost_cache_new(void);
void nc_cost_cache_free(nc_cost_cache *c);
/* Key for (routine, args): descriptor, shapes, dtypes, ia, fa (malloc'd).
 * Weight values are left out: routine speed does not depend on them. */
char *nc_cost_key(const nc_routine *r, const nc_args *a);
/* 1 and *m filled when key is cached. */
int nc_cost_cache_get(const nc_cost_cache *c, const char *key, nc_measurement *m);
/* Takes ownership of key. */
void nc_cost_cache_put(nc_cost_cache *c, char *key, const nc_measurement *m);

#endif
