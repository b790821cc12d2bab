/* ONNX backend node-test driver: every test goes through the whole pipeline
 * (import, passes, DPRS, emit model.c, build with the target toolchain, run
 * on input_*.pb) and its outputs are compared with output_*.pb. Each test runs
 * in its own process, so a crash or a hang is caught and classified.
 *
 * usage: nc_node_tests -t SPEC --work DIR [--routine PATTERN]... [--filter SUBSTR]
 *                      [-j N] [--report FILE.tsv] [--summary FILE.md]
 *                      [--min-pass N] [--timeout S] DATA_DIR
 * Status per test: passed, mismatched, unsupported, error (build/run failed),
 * crash (the compiler died on a signal), hang (timeout). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* usleep is XSI; a short nanosleep does the same. */
static void nap_ms(long ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

#include "compile.h"
#include "onnx_import.h"
#include "ops.h"

#define MAX_TESTS 4096
#define MAX_IO 64

typedef struct opts {
  const char *spec, *work, *data, *filter, *report, *summary;
  const char *force[32];
  int n_force, jobs, min_pass, timeout_s, each_routine;
  double min_ms;
} opts;

static const char *kinds[] = {"passed", "mismatched", "unsupported", "error", "crash", "hang"};
enum { K_PASSED, K_MISMATCHED, K_UNSUPPORTED, K_ERROR, K_CRASH, K_HANG, K_COUNT };

typedef struct result {
  int kind, forced;
  char line[1024]; /* the report line */
} result;

static const double rel_tol = 1e-3, abs_tol = 1e-7; /* the ONNX backend test defaults */


static int is_float(int32_t dt) {
  return dt == NC_F32 || dt == NC_F64 || dt == NC_F16 || dt == NC_BF16;
}

/* 0 if equal within tolerance; else writes the worst element into msg. */
static int compare(const nc_const *got, const nc_const *want, char *msg, size_t cap) {
  if (got->desc.dtype != want->desc.dtype) {
    snprintf(msg, cap, "dtype %s, expected %s", nc_dtype_name(got->desc.dtype),
             nc_dtype_name(want->desc.dtype));
    return -1;
  }
  int64_t n = nc_numel(&want->desc);
  if (nc_numel(&got->desc) != n || got->desc.ndim != want->desc.ndim) {
    snprintf(msg, cap, "shape mismatch (%lld vs %lld elements)", (long long)nc_numel(&got->desc),
             (long long)n);
    return -1;
  }
  int fl = is_float(want->desc.dtype);
  for (int64_t i = 0; i < n; i++) {
    if (!fl) {
      /* integers compare exactly, through their raw bytes */
      size_t es = nc_dtype_size(want->desc.dtype);
      if (memcmp((const char *)got->data + i * es, (const char *)want->data + i * es, es)) {
        snprintf(msg, cap, "element %lld: got %.17g expected %.17g", (long long)i,
                 nc_load_f64(got->data, got->desc.dtype, i), nc_load_f64(want->data, want->desc.dtype, i));
        return -1;
      }
      continue;
    }
    double a = nc_load_f64(got->data, got->desc.dtype, i), b = nc_load_f64(want->data, want->desc.dtype, i);
    if (isnan(a) && isnan(b)) continue;
    if (isinf(b) && a == b) continue;
    if (!(fabs(a - b) <= abs_tol + rel_tol * fabs(b))) {
      snprintf(msg, cap, "element %lld: got %.9g expected %.9g", (long long)i, a, b);
      return -1;
    }
  }
  return 0;
}

static void one_line(char *s) {
  for (; *s; s++)
    if (*s == '\n' || *s == '\t' || *s == '\r') *s = ' ';
}

/* Weight operands: constants in any deployed model, graph inputs in the node
 * tests. Binding them lets the routines that pack weights apply. */
static int is_weight_operand(const char *op, int k) {
  if (!strcmp(op, "Conv") || !strcmp(op, "ConvTranspose") || !strcmp(op, "Gemm")) return k >= 1;
  if (!strcmp(op, "MatMul")) return k == 1;
  return 0;
}

/* Inputs that feed a compile-time parameter (Reshape's shape...) or a
 * weight operand are bound as constants: neuroc compiles static graphs. */
static int needs_binding(nc_graph *g, int t) {
  for (int i = 0; i < g->n_nodes; i++) {
    const nc_op_def *d = nc_op_find(g->nodes[i].op);
    if (!d) continue;
    for (int k = 0; k < g->nodes[i].n_in; k++)
      if (g->nodes[i].in[k] == t &&
          ((d->param_inputs & (1u << k)) || is_weight_operand(g->nodes[i].op, k)))
        return 1;
  }
  return 0;
}

/* Older test data stores bfloat16 tensors as uint16 words: same bits. */
static void fix_bf16(nc_const *v, int32_t want) {
  if (want == NC_BF16 && v->desc.dtype == NC_U16) v->desc.dtype = NC_BF16;
}

/* A graph input named in quotes inside msg (a "must be a compile-time
 * constant" error names the tensor) that is not bound yet, or -1. */
static int input_named_in(const char *msg, char names[][256], const int *bound, int n) {
  for (int i = 0; i < n; i++) {
    char q[300];
    snprintf(q, sizeof q, "'%s'", names[i]);
    if (!bound[i] && strstr(msg, q)) return i;
  }
  return -1;
}

/* Import the model and bind the inputs flagged in bound[] (by position among
 * the runtime inputs) to their test values; the rest go to in[]. */
static nc_graph *load_bound(const char *model, nc_const *vals, const int *bound, int n,
                            nc_const *in, int *n_in) {
  nc_graph *g = nc_import_onnx(model);
  if (!g) return NULL;
  char names[MAX_IO][256];
  int k = 0;
  for (int i = 0; i < g->n_inputs && k < n; i++)
    if (!g->tensors[g->inputs[i]].data) snprintf(names[k++], sizeof names[0], "%s", g->tensors[g->inputs[i]].name);
  *n_in = 0;
  for (int i = 0; i < k; i++) {
    if (!bound[i]) {
      in[(*n_in)++] = vals[i];
      continue;
    }
    if (nc_bind_input(g, names[i], &vals[i])) {
      nc_graph_free(g);
      return NULL;
    }
  }
  return g;
}

/* Run one test; returns status string, detail in msg. Runs in a child.
 * neuroc compiles static graphs: inputs that feed compile-time parameters
 * (Reshape's shape, Slice's starts...) are bound to the test's values, found
 * from the op definitions and, failing that, from the error that names them. */
static const char *run_test(const opts *o, const nc_target *tgt, const char *name, char *msg,
                            size_t cap, int *forced) {
  char dir[4096], path[4600], model[4600], work[4600];
  snprintf(dir, sizeof dir, "%s/%s", o->data, name);
  snprintf(model, sizeof model, "%s/model.onnx", dir);
  snprintf(work, sizeof work, "%s/%s", o->work, name);
  *forced = 0;
  nc_graph *g = nc_import_onnx(model);
  if (!g) {
    snprintf(msg, cap, "%s", nc_err_msg());
    return "unsupported";
  }
  static nc_const vals[MAX_IO], in[MAX_IO], want[MAX_IO], got[MAX_IO];
  static char names[MAX_IO][256];
  int bound[MAX_IO] = {0}, n = 0, n_in = 0;
  for (int i = 0; i < g->n_inputs && n < MAX_IO; i++) {
    int t = g->inputs[i];
    if (g->tensors[t].data) continue;
    snprintf(names[n], sizeof names[0], "%s", g->tensors[t].name);
    snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, n);
    char *nm = NULL;
    if (nc_read_tensor_pb(path, &vals[n], &nm)) {
      snprintf(msg, cap, "%s", nc_err_msg());
      return "unsupported";
    }
    free(nm);
    fix_bf16(&vals[n], g->tensors[t].desc.dtype);
    bound[n] = needs_binding(g, t);
    n++;
  }
  nc_graph_free(g);
  nc_options opt = {tgt, "model", o->force, o->n_force, 0, 1};
  nc_compile_report rep;
  int stage;
  for (;;) {
    g = load_bound(model, vals, bound, n, in, &n_in);
    if (!g) {
      snprintf(msg, cap, "%s", nc_err_msg());
      return "unsupported";
    }
    stage = nc_compile_graph(g, &opt, work, &rep);
    if (stage != NC_STAGE_PASSES || !strstr(nc_err_msg(), "constant")) break;
    int b = input_named_in(nc_err_msg(), names, bound, n);
    if (b < 0) break;
    bound[b] = 1;
    nc_graph_free(g);
    nc_err_clear();
  }
  if (stage != NC_STAGE_OK) {
    snprintf(msg, cap, "%s", nc_err_msg());
    return stage == NC_STAGE_EMIT ? "error" : "unsupported";
  }
  *forced = rep.forced_used;
  nc_run_result res;
  if (nc_build_and_run(g, &opt, work, in, got, 0, &res)) {
    snprintf(msg, cap, "%s", nc_err_msg());
    return "error";
  }
  for (int i = 0; i < g->n_outputs && i < MAX_IO; i++) {
    snprintf(path, sizeof path, "%s/test_data_set_0/output_%d.pb", dir, i);
    char *nm = NULL;
    if (nc_read_tensor_pb(path, &want[i], &nm)) {
      snprintf(msg, cap, "reading expected output: %s", nc_err_msg());
      return "error";
    }
    free(nm);
    fix_bf16(&want[i], got[i].desc.dtype);
    char m[512];
    if (compare(&got[i], &want[i], m, sizeof m)) {
      snprintf(msg, cap, "output %d ('%s'): %s", i, g->tensors[g->outputs[i]].name, m);
      return "mismatched";
    }
  }
  snprintf(msg, cap, "layers %d", rep.n_layers);
  return "passed";
}

typedef struct slot {
  pid_t pid;
  int test;
  double start;
} slot;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void child(const opts *o, const nc_target *tgt, const char *name, const char *resfile) {
  char msg[2048] = "";
  int forced = 0;
  nc_err_clear();
  const char *st = run_test(o, tgt, name, msg, sizeof msg, &forced);
  one_line(msg);
  FILE *f = fopen(resfile, "w");
  if (f) {
    fprintf(f, "%s\t%s\t%d\t%s\n", name, st, forced, msg);
    fclose(f);
  }
  _exit(0);
}

static int parse(int argc, char **argv, opts *o) {
  memset(o, 0, sizeof *o);
  o->jobs = 2;
  o->timeout_s = 300;
  o->min_ms = 0.05;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-t") && v) o->spec = argv[++i];
    else if (!strcmp(a, "--work") && v) o->work = argv[++i];
    else if (!strcmp(a, "--routine") && v && o->n_force < 32) o->force[o->n_force++] = argv[++i];
    else if (!strcmp(a, "--filter") && v) o->filter = argv[++i];
    else if (!strcmp(a, "-j") && v) o->jobs = atoi(argv[++i]);
    else if (!strcmp(a, "--report") && v) o->report = argv[++i];
    else if (!strcmp(a, "--summary") && v) o->summary = argv[++i];
    else if (!strcmp(a, "--min-pass") && v) o->min_pass = atoi(argv[++i]);
    else if (!strcmp(a, "--timeout") && v) o->timeout_s = atoi(argv[++i]);
    else if (!strcmp(a, "--min-ms") && v) o->min_ms = atof(argv[++i]);
    else if (!strcmp(a, "--each-routine")) o->each_routine = 1;
    else if (a[0] != '-' && !o->data) o->data = a;
    else {
      fprintf(stderr, "nc_node_tests: bad argument '%s'\n", a);
      return -1;
    }
  }
  if (!o->spec || !o->work || !o->data) {
    fprintf(stderr, "usage: nc_node_tests -t SPEC --work DIR [--routine P]... [--filter S] [-j N]\n"
                    "       [--report F.tsv] [--summary F.md] [--min-pass N] [--each-routine] DATA_DIR\n");
    return -1;
  }
  if (o->jobs < 1) o->jobs = 1;
  return 0;
}

static int list_tests(const opts *o, char **names) {
  DIR *d = opendir(o->data);
  if (!d) {
    fprintf(stderr, "nc_node_tests: %s: %s\n", o->data, strerror(errno));
    return -1;
  }
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < MAX_TESTS) {
    if (strncmp(e->d_name, "test_", 5) != 0) continue;
    if (o->filter && !strstr(e->d_name, o->filter)) continue;
    names[n++] = nc_xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  return n;
}

/* Fill in the result line of a test whose child did not write one. */
static void finish_slot(const opts *o, const char *name, int status, int timed_out) {
  char res[4600];
  snprintf(res, sizeof res, "%s/%s.result", o->work, name);
  struct stat st;
  if (stat(res, &st) == 0 && !timed_out) return;
  FILE *f = fopen(res, "w");
  if (!f) return;
  if (timed_out) fprintf(f, "%s\thang\t0\tno result after %d s\n", name, o->timeout_s);
  else if (WIFSIGNALED(status)) fprintf(f, "%s\tcrash\t0\tcompiler died on signal %d\n", name, WTERMSIG(status));
  else fprintf(f, "%s\tcrash\t0\tcompiler exited with status %d and no result\n", name, WEXITSTATUS(status));
  fclose(f);
}

/* Run tests[0..n) with the given forced patterns; fills res[]. */
static void run_batch(opts *o, const nc_target *tgt, char **names, const int *tests, int n,
                      result *res) {
  slot *slots = nc_xcalloc((size_t)o->jobs, sizeof *slots);
  int next = 0, running = 0;
  fflush(stdout);
  while (next < n || running) {
    for (int s = 0; s < o->jobs && next < n; s++) {
      if (slots[s].pid) continue;
      char rf[4600];
      snprintf(rf, sizeof rf, "%s/%s.result", o->work, names[tests[next]]);
      remove(rf);
      pid_t pid = fork();
      if (pid == 0) child(o, tgt, names[tests[next]], rf);
      slots[s].pid = pid;
      slots[s].test = next++;
      slots[s].start = now();
      running++;
    }
    nap_ms(2);
    for (int s = 0; s < o->jobs; s++) {
      if (!slots[s].pid) continue;
      int status = 0;
      pid_t r = waitpid(slots[s].pid, &status, WNOHANG);
      int timed_out = r == 0 && now() - slots[s].start > o->timeout_s;
      if (timed_out) {
        kill(slots[s].pid, SIGKILL);
        waitpid(slots[s].pid, &status, 0);
      }
      if (r == slots[s].pid || timed_out) {
        finish_slot(o, names[tests[slots[s].test]], status, timed_out);
        slots[s].pid = 0;
        running--;
      }
    }
  }
  free(slots);
  for (int i = 0; i < n; i++) {
    char rf[4600];
    result *r = &res[i];
    snprintf(rf, sizeof rf, "%s/%s.result", o->work, names[tests[i]]);
    FILE *f = fopen(rf, "r");
    if (!f || !fgets(r->line, sizeof r->line, f))
      snprintf(r->line, sizeof r->line, "%s\tcrash\t0\tno result\n", names[tests[i]]);
    if (f) fclose(f);
    r->kind = K_CRASH;
    r->forced = 0;
    char *st = strchr(r->line, '\t');
    if (!st) continue;
    st++;
    for (int k = 0; k < K_COUNT; k++)
      if (!strncmp(st, kinds[k], strlen(kinds[k])) && st[strlen(kinds[k])] == '\t') {
        r->kind = k;
        char *fu = strchr(st, '\t');
        r->forced = fu && fu[1] == '1';
      }
  }
}

static void write_summary(const char *path, const result *res, int n, const int *counts);

static void write_report(const opts *o, const result *res, int n) {
  int counts[K_COUNT] = {0};
  for (int i = 0; i < n; i++) counts[res[i].kind]++;
  FILE *rep = o->report ? fopen(o->report, "w") : NULL;
  if (rep) {
    fprintf(rep, "test\tstatus\tforced_routine_used\tdetail\n");
    for (int i = 0; i < n; i++) fputs(res[i].line, rep);
    fclose(rep);
  }
  printf("node tests: %d total, %d passed, %d mismatched, %d unsupported, %d error, %d crash, %d hang\n",
         n, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
  if (o->summary) write_summary(o->summary, res, n, counts);
}

/* Markdown: the counts, then every test that did not pass with its reason. */
static void write_summary(const char *path, const result *res, int n, const int *counts) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f, "| total | passed | mismatched | unsupported | error | crash | hang |\n"
             "|---|---|---|---|---|---|---|\n| %d | %d | %d | %d | %d | %d | %d |\n\n",
          n, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
  fprintf(f, "| test | status | reason |\n|---|---|---|\n");
  for (int i = 0; i < n; i++) {
    if (res[i].kind == K_PASSED) continue;
    char line[1024];
    snprintf(line, sizeof line, "%s", res[i].line);
    char *name = line, *st = strchr(name, '\t');
    if (!st) continue;
    *st++ = 0;
    char *fl = strchr(st, '\t');
    if (!fl) continue;
    *fl++ = 0;
    char *why = strchr(fl, '\t');
    why = why ? why + 1 : fl;
    why[strcspn(why, "\n")] = 0;
    const char *model = strstr(why, "model.onnx: "); /* the path adds nothing here */
    if (model) why = (char *)model + 12;
    for (char *c = why; *c; c++)
      if (*c == '|') *c = '/';
    fprintf(f, "| %s | %s | %s |\n", name, st, why);
  }
  fclose(f);
}

/* The op types of a test's model as " Op1 Op2 ... " (imported once per test). */
static char *model_ops(const opts *o, const char *name) {
  char path[4600];
  snprintf(path, sizeof path, "%s/%s/model.onnx", o->data, name);
  nc_graph *g = nc_import_onnx(path);
  nc_err_clear();
  size_t cap = 2, len = 1;
  for (int i = 0; g && i < g->n_nodes; i++) cap += strlen(g->nodes[i].op) + 1;
  char *ops = nc_xmalloc(cap + 1);
  strcpy(ops, " ");
  for (int i = 0; g && i < g->n_nodes; i++) {
    len += (size_t)snprintf(ops + len, cap + 1 - len, "%s ", g->nodes[i].op);
  }
  nc_graph_free(g);
  return ops;
}

static int has_op(const char *ops, const char *op) {
  char key[256];
  snprintf(key, sizeof key, " %s ", op);
  return strstr(ops, key) != NULL;
}

/* Force every non-reference routine, one at a time, on the tests of its
 * layer that pass with free choice: each must pass them too. */
static int check_each_routine(opts *o, nc_target *tgt, char **names, int n,
                              const result *base) {
  /* every routine is forced, the approximate ones (Winograd) included */
  int approximate = tgt->approximate;
  tgt->approximate = 1;
  const nc_routine *t = nc_routine_table();
  int nr = nc_routine_count(), bad = 0;
  int *tests = nc_xmalloc(sizeof(int) * (size_t)(n + 1));
  result *res = nc_xcalloc((size_t)n + 1, sizeof *res);
  char **ops = nc_xcalloc((size_t)n + 1, sizeof *ops);
  for (int i = 0; i < n; i++)
    if (base[i].kind == K_PASSED) ops[i] = model_ops(o, names[i]);
  for (int r = 0; r < nr; r++) {
    if ((t[r].flags & NC_RF_REFERENCE) || !strcmp(t[r].layer, "adapter")) continue;
    int m = 0;
    for (int i = 0; i < n; i++)
      if (ops[i] && has_op(ops[i], t[r].layer)) tests[m++] = i;
    if (!m) continue;
    char pat[200];
    snprintf(pat, sizeof pat, "%s", t[r].descriptor);
    char *star = strstr(pat, ":*:");
    if (star) star[1] = '*'; /* dtype wildcard already */
    o->force[0] = pat;
    o->n_force = 1;
    run_batch(o, tgt, names, tests, m, res);
    int used = 0, pass = 0;
    for (int i = 0; i < m; i++) {
      if (!res[i].forced) continue;
      used++;
      if (res[i].kind == K_PASSED) pass++;
      else printf("  REGRESSION %s forced to %s: %s", names[tests[i]], pat, res[i].line);
    }
    printf("forced %-44s used in %3d tests, passed %3d\n", pat, used, pass);
    bad += used - pass;
  }
  o->n_force = 0;
  tgt->approximate = approximate;
  for (int i = 0; i < n; i++) free(ops[i]);
  free(ops);
  free(tests);
  free(res);
  return bad;
}

int main(int argc, char **argv) {
  opts o;
  if (parse(argc, argv, &o)) return 2;
  nc_target *tgt = nc_target_load(o.spec);
  if (!tgt) {
    fprintf(stderr, "nc_node_tests: %s\n", nc_err_msg());
    return 2;
  }
  tgt->profile_min_ms = o.min_ms;
  tgt->profile_warmup = 0;
  if (nc_mkdir_p(o.work)) {
    fprintf(stderr, "nc_node_tests: %s\n", nc_err_msg());
    return 2;
  }
  static char *names[MAX_TESTS];
  int n = list_tests(&o, names);
  if (n < 0) return 2;
  int *all = nc_xmalloc(sizeof(int) * (size_t)(n + 1));
  for (int i = 0; i < n; i++) all[i] = i;
  result *res = nc_xcalloc((size_t)n + 1, sizeof *res);
  run_batch(&o, tgt, names, all, n, res);
  write_report(&o, res, n);
  int counts[K_COUNT] = {0}, forced = 0, forced_pass = 0;
  for (int i = 0; i < n; i++) {
    counts[res[i].kind]++;
    forced += res[i].forced;
    forced_pass += res[i].forced && res[i].kind == K_PASSED;
  }
  if (o.n_force) printf("forced routine used in %d tests, %d of them passed\n", forced, forced_pass);
  int ok = counts[K_PASSED] >= o.min_pass && counts[K_CRASH] == 0 && counts[K_HANG] == 0;
  if (!ok) printf("FAILED: need >= %d passed and no crash/hang\n", o.min_pass);
  if (o.each_routine) {
    int bad = check_each_routine(&o, tgt, names, n, res);
    if (bad) {
      printf("FAILED: %d forced-routine regressions\n", bad);
      ok = 0;
    }
  }
  free(all);
  free(res);
  nc_target_free(tgt);
  return ok ? 0 : 1;
}
