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

/* ---- -j: several agents measuring at once (docs/agent.md) ----
 * Only agents started per connection (stdio or tcp with `command`) whose spec
 * allows it (`agent: parallel: N`, measurements that do not disturb each
 * other) measure in parallel. nc_cost_set_jobs fails with a message naming
 * why otherwise (the local profiler always: timings would interfere). s may
 * be the agent or a decorator of it (the profile database). */
int nc_cost_set_jobs(nc_cost_source *s, const nc_target *t, int jobs);
/* The spec checks of nc_cost_set_jobs alone, before any agent is started. */
int nc_cost_check_jobs(const nc_target *t, int jobs);
/* Agents measuring at once for s (1 unless nc_cost_set_jobs raised it). */
int nc_cost_jobs(const nc_cost_source *s);
typedef struct nc_cost_job {
  const nc_routine *r;
  const nc_args *a;
  const void *const *consts;
} nc_cost_job;
/* Measures the n pairs on the agents at once and keeps the results; the
 * following measure() of each pair then returns it without asking an agent
 * (and the decorator records it as usual). A no-op at -j 1. */
int nc_cost_prefetch(nc_cost_source *s, int n, const nc_cost_job *jobs);

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
