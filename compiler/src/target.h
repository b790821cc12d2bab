/* Target specs: YAML files in targets/ describing a board (target.c). */
#ifndef NC_TARGET_H
#define NC_TARGET_H

typedef struct nc_target {
  char *path;      /* spec file */
  char *name;      /* "host" */
  char *device;    /* "cpu" */
  char *arch;      /* "x86_64", "aarch64", ... */
  char *cc;        /* C compiler command, e.g. "cc" */
  char *cflags;    /* e.g. "-O2" */
  char *ldflags;   /* e.g. "-lm" */
  char *isa;       /* ISAs the emitted code may use: "c99 avx2 ...", or "native" */
  char *run;       /* command prefix to execute a built binary ("" = run directly) */
  int alignment;   /* arena / weight alignment in bytes (default 64) */
  /* Allow routines flagged NC_RF_APPROX (numerically looser than a direct
   * sum, e.g. Winograd); default false. */
  int approximate;
  /* Local profiler settings */
  double profile_min_ms; /* minimum measuring time per candidate (default 2) */
  int profile_warmup;    /* warm-up runs (default 1) */
  /* Where measurements come from (`agent:` section, docs/agent.md) */
  char *agent_transport; /* "local" (in-process, default), "stdio" or "tcp" */
  char *agent_command;   /* stdio: shell command starting the agent, run in the spec's directory */
  char *agent_address;   /* tcp: HOST:PORT */
  double agent_timeout_s; /* longest wait for one reply (default 120) */
} nc_target;

/* Parse a target spec. Unknown keys, wrong types and missing required keys
 * fail with "FILE:LINE: message". Returns NULL on error (nc_err_msg()). */
nc_target *nc_target_load(const char *path);
void nc_target_free(nc_target *t);
#endif
