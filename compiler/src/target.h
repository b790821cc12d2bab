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
  char *agent_transport; /* "local" (in-process, default), "stdio", "tcp" or "serial" */
  char *agent_command;   /* stdio: shell command starting the agent, run in the spec's directory */
  char *agent_address;   /* tcp: HOST:PORT ("{port}": a free loopback port) */
  char *agent_device;    /* serial: the serial device of the board, e.g. /dev/ttyACM0 */
  long long agent_baud;  /* serial: line speed (default 115200) */
  double agent_timeout_s; /* longest wait for one reply (default 120) */
  long long agent_parallel; /* most agents measuring at once under -j (default 1) */
  /* Memory budgets (`ram:`, `flash:`; bytes, 0 = no limit): DPRS keeps the
   * static arena and the weights within them (docs/dprs.md). */
  long long ram_bytes, flash_bytes;
  /* Hash of the parsed spec content ("spec-fnv1a64:..."): comments, layout,
   * quoting and key order do not change it. plan.yaml records it. */
  char spec_hash[40];
  /* The routine library built for this target (`runtime:` section), paths
   * resolved against the spec's directory; NULL = the compiler's own host
   * runtime (right whenever the target is the compiling machine). */
  char *runtime_library; /* libneuroc_rt.a built for the target */
  char *runtime_include; /* its include directory (runtime-min/include) */
} nc_target;

/* Parse a target spec. Unknown keys, wrong types and missing required keys
 * fail with "FILE:LINE: message". Returns NULL on error (nc_err_msg()). */
nc_target *nc_target_load(const char *path);
void nc_target_free(nc_target *t);

/* The keys the parser accepts in one section of a spec: "" (the top level),
 * "profile", "agent" or "runtime". The very tables nc_target_load checks
 * against, so docs and tests can list them without restating them. Sets *n;
 * NULL (and *n = 0) for an unknown section. */
const char *const *nc_target_keys(const char *section, int *n);
#endif
