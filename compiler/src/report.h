/* `neuroc report`: a plan.yaml drawn as one self-contained HTML page (graph
 * with the routine per layer and the adapters, per-layer time bars, arena map
 * over time, error per layer for mixed precision) and as Graphviz dot. Reads
 * only the plan: the emitter records the buffers, their arena offsets and
 * lifetimes, and what each step reads and writes (docs/report.md). */
#ifndef NC_REPORT_H
#define NC_REPORT_H

enum { NC_RSTEP_LAYER, NC_RSTEP_ADAPTER, NC_RSTEP_COPY };

typedef struct nc_rbuf {
  int id;
  char tensor[256], format[32], place[16];
  long long offset, bytes;
  int first, last;
} nc_rbuf;

typedef struct nc_rstep {
  int kind;          /* NC_RSTEP_* */
  int layer_index;   /* index among the layers (the --routine index), -1 otherwise */
  char name[256];    /* layer name, or the tensor an adapter/copy moves */
  char op[64], routine[192], from[32], to[32];
  double ms, err;    /* err < 0: none recorded */
  double measured_ms; /* < 0: not measured (report --measured) */
  int reads[64], n_reads, writes[16], n_writes;
} nc_rstep;

typedef struct nc_redge {
  int from, to;      /* step indices; from = -1 - input buffer index for graph inputs */
  int buffer;        /* buffer id carried */
} nc_redge;

typedef struct nc_report_plan {
  char path[4096], model[1024], target[256];
  double predicted_ms, adapters_ms;
  long long arena_bytes, arena_lower_bound, weights_bytes;
  int exact;
  nc_rstep *steps;
  int n_steps;
  nc_rbuf *bufs;
  int n_bufs;
  nc_redge *edges;
  int n_edges;
  char **constraints;
  int n_constraints;
  int mixed; /* some layer records an err: */
  char measured_from[4096]; /* the --measured file, "" when none */
  int measured_runs;
} nc_report_plan;

/* Read PLAN_DIR/plan.yaml or a plan.yaml path. Returns NULL with a message
 * naming the file and line (a plan from an older neuroc lacks `buffers:`). */
nc_report_plan *nc_report_load(const char *path);
void nc_report_free(nc_report_plan *p);
/* Per-step times measured in the running model (measured.yaml as
 * neuroc.Model.profile writes it, docs/python.md): `runs: N` and `steps:` a
 * list of {step: I, ms: T}. Returns 0, or -1 naming the file and line. */
int nc_report_add_measured(nc_report_plan *p, const char *path);
/* Write the page / the dot graph atomically. Return 0 or -1 with a message. */
int nc_report_write_html(const nc_report_plan *p, const char *path);
int nc_report_write_dot(const nc_report_plan *p, const char *path);

#endif
