/* Plans: `tune` then `compile --plan` reproduces the C of `compile` byte for
 * byte with no cost source; plans for another model or routine library, or
 * naming routines that do not exist or do not apply, are refused with the
 * layer named; a profiling run killed part-way resumes measuring only what is
 * missing, and its plan equals the plan from the same database content. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "compile.h"
#include "onnx_import.h"
#include "plan_read.h"
#include "profile_db.h"
#include "test_fake_cost.h"
#include "test_files.h"

#define SRC NEUROC_SOURCE_DIR
#define OUT NEUROC_BINARY_DIR "/test_plan_out"

/* A fake target on which channels-last and blocked routines are fast and
 * adapters cheap, so that plans contain adapters. */
static const char *const fast_layouts[] = {":nhwc/", ":nchw16c/", NULL};

/* Compile model into dir: stop_after as given; cost (may be NULL) or plan. */
static int run_pipeline(const char *model, nc_cost_source *cost, const char *plan, int stop,
                        const char *dir, nc_compile_report *rep) {
  nc_target *t = nc_target_load(SRC "/targets/host.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_graph *g = nc_import_onnx(model);
  cr_assert_not_null(g, "%s", nc_err_msg());
  nc_options o = {t, "model", NULL, 0, 0, 1};
  nc_tune_options tu = {NULL, plan, cost, stop};
  nc_err_clear();
  int rc = nc_compile_graph_ex(g, &o, &tu, dir, rep);
  nc_graph_free(g);
  nc_target_free(t);
  return rc;
}

static void assert_same_file(const char *a, const char *b) {
  size_t na, nb;
  char *x = tf_slurp(a, &na), *y = tf_slurp(b, &nb);
  cr_assert(na == nb && memcmp(x, y, na) == 0, "%s and %s differ", a, b);
  free(x);
  free(y);
}

static void tune_then_compile_plan(const char *name, const char *model) {
  char d_tune[512], d_comp[512], d_plan[512], f1[600], f2[600], plan[600];
  snprintf(d_tune, sizeof d_tune, OUT "/%s/tune", name);
  snprintf(d_comp, sizeof d_comp, OUT "/%s/compile", name);
  snprintf(d_plan, sizeof d_plan, OUT "/%s/from_plan", name);
  snprintf(plan, sizeof plan, "%s/plan.yaml", d_tune);
  nc_compile_report rep;
  nc_cost_source *cost = tfc_new(fast_layouts);
  cr_assert_eq(run_pipeline(model, cost, NULL, NC_STOP_PLAN, d_tune, &rep), NC_STAGE_OK, "%s",
               nc_err_msg());
  struct stat st;
  snprintf(f1, sizeof f1, "%s/model.c", d_tune);
  cr_assert_neq(stat(f1, &st), 0, "tune writes only plan.yaml");
  cr_assert_eq(run_pipeline(model, cost, NULL, NC_STOP_NONE, d_comp, &rep), NC_STAGE_OK);
  cr_assert_gt(rep.emit.n_adapters, 0, "the fake target makes DPRS use adapters");
  nc_cost_free(cost);
  /* no cost source at all */
  cr_assert_eq(run_pipeline(model, NULL, plan, NC_STOP_NONE, d_plan, &rep), NC_STAGE_OK, "%s",
               nc_err_msg());
  cr_assert_eq(rep.measured, 0);
  const char *files[] = {"model.c", "model.h"};
  for (int i = 0; i < 2; i++) {
    snprintf(f1, sizeof f1, "%s/%s", d_comp, files[i]);
    snprintf(f2, sizeof f2, "%s/%s", d_plan, files[i]);
    assert_same_file(f1, f2);
  }
  /* and the plan it writes back is the plan it read */
  snprintf(f2, sizeof f2, "%s/plan.yaml", d_plan);
  assert_same_file(plan, f2);
}

Test(plan, tune_then_compile_plan_is_byte_identical) {
  tune_then_compile_plan("tiny", SRC "/examples/tiny_cnn/model.onnx");
  tune_then_compile_plan("branches", SRC "/tests/data/passes/branches.onnx");
}

/* Copy the plan with the first line starting with `key` after `anchor`
 * replaced. */
static void edit_plan_at(const char *from, const char *to, const char *key, const char *line,
                         const char *anchor) {
  size_t n;
  char *text = tf_slurp(from, &n);
  char *start = strstr(text, anchor);
  cr_assert_not_null(start);
  char *at = strstr(start, key);
  cr_assert_not_null(at, "no '%s' in %s", key, from);
  char *eol = strchr(at, '\n');
  FILE *f = fopen(to, "wb");
  fwrite(text, 1, (size_t)(at - text), f);
  fputs(line, f);
  fputs(eol, f);
  fclose(f);
  free(text);
}

static void edit_plan(const char *from, const char *to, const char *key, const char *line) {
  edit_plan_at(from, to, key, line, "");
}

static const char *tiny = SRC "/examples/tiny_cnn/model.onnx";

static void make_plan(const char *dir) {
  nc_compile_report rep;
  nc_cost_source *cost = tfc_new(fast_layouts);
  cr_assert_eq(run_pipeline(tiny, cost, NULL, NC_STOP_PLAN, dir, &rep), NC_STAGE_OK);
  nc_cost_free(cost);
}

Test(plan, other_model_or_library_is_refused_naming_both_values) {
  make_plan(OUT "/mismatch");
  nc_compile_report rep;
  edit_plan(OUT "/mismatch/plan.yaml", OUT "/mismatch/model.yaml", "model_hash:",
            "model_hash: fnv1a64:0123456789abcdef");
  cr_assert_eq(run_pipeline(tiny, NULL, OUT "/mismatch/model.yaml", NC_STOP_NONE,
                            OUT "/mismatch/out1", &rep),
               NC_STAGE_INPUT);
  cr_assert(strstr(nc_err_msg(), "another model"), "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "fnv1a64:0123456789abcdef"), "%s", nc_err_msg());
  char hash[64];
  cr_assert(strstr(nc_err_msg(), nc_file_hash(tiny, hash, sizeof hash)), "%s", nc_err_msg());

  edit_plan(OUT "/mismatch/plan.yaml", OUT "/mismatch/lib.yaml", "library_version:",
            "library_version: \"0.0.1+deadbeef\"");
  cr_assert_eq(run_pipeline(tiny, NULL, OUT "/mismatch/lib.yaml", NC_STOP_NONE,
                            OUT "/mismatch/out2", &rep),
               NC_STAGE_INPUT);
  cr_assert(strstr(nc_err_msg(), "0.0.1+deadbeef"), "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), nc_runtime_version()), "%s", nc_err_msg());
  struct stat st;
  cr_assert_neq(stat(OUT "/mismatch/out1/model.c", &st), 0, "nothing written");
}

Test(plan, unknown_or_inapplicable_routine_names_the_layer) {
  make_plan(OUT "/badroutine");
  size_t n;
  char *text = tf_slurp(OUT "/badroutine/plan.yaml", &n);
  /* the first layer step: its name and routine line */
  char *layer = strstr(text, "  - layer: \"");
  cr_assert_not_null(layer);
  char name[128];
  cr_assert_eq(sscanf(layer, "  - layer: \"%127[^\"]", name), 1);
  free(text);
  nc_compile_report rep;
  edit_plan_at(OUT "/badroutine/plan.yaml", OUT "/badroutine/unknown.yaml", "    routine: ",
               "    routine: cpu:f32:nchw/no-such-algo/c99", "  - layer: ");
  cr_assert_eq(run_pipeline(tiny, NULL, OUT "/badroutine/unknown.yaml", NC_STOP_NONE,
                            OUT "/badroutine/o1", &rep),
               NC_STAGE_INPUT);
  cr_assert(strstr(nc_err_msg(), name), "names layer '%s': %s", name, nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "does not exist"), "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "unknown.yaml:"), "names PLAN:LINE: %s", nc_err_msg());

  /* a real routine of another layer (the first layer of tiny_cnn is a Conv) */
  edit_plan_at(OUT "/badroutine/plan.yaml", OUT "/badroutine/other.yaml", "    routine: ",
               "    routine: cpu:f32:nchw/softmax-ref/c99", "  - layer: ");
  cr_assert_eq(run_pipeline(tiny, NULL, OUT "/badroutine/other.yaml", NC_STOP_NONE,
                            OUT "/badroutine/o2", &rep),
               NC_STAGE_INPUT);
  cr_assert(strstr(nc_err_msg(), name), "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "does not apply"), "%s", nc_err_msg());

  /* an adapter step naming the wrong routine */
  edit_plan_at(OUT "/badroutine/plan.yaml", OUT "/badroutine/adapter.yaml", "    routine: ",
               "    routine: cpu:f32:nchw/softmax-ref/c99", "  - adapter: ");
  cr_assert_eq(run_pipeline(tiny, NULL, OUT "/badroutine/adapter.yaml", NC_STOP_NONE,
                            OUT "/badroutine/o3", &rep),
               NC_STAGE_INPUT);
  cr_assert(strstr(nc_err_msg(), "adapter for"), "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "is not the adapter"), "%s", nc_err_msg());
}

/* ---- resume after a killed profiling run (the real CLI, the local profiler) ---- */

static int count_entries(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[8192];
  int n = 0;
  while (fgets(line, sizeof line, f)) n += strncmp(line, "- {", 3) == 0 && strchr(line, '\n');
  fclose(f);
  return n;
}

static char out_text[65536];

static int neuroc(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>&1", SRC, NEUROC_EXE, args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t n = fread(out_text, 1, sizeof out_text - 1, p);
  out_text[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Plan text without the DPRS wall-clock time, the one line that varies. */
static char *plan_without_timing(const char *path) {
  size_t n;
  char *t = tf_slurp(path, &n);
  char *s = strstr(t, "  seconds: ");
  cr_assert_not_null(s);
  char *eol = strchr(s, '\n');
  memmove(s, eol + 1, strlen(eol + 1) + 1);
  return t;
}

/* The database's entry lines in reverse order: same content, other order. */
static void reverse_db(const char *from, const char *to) {
  size_t n;
  char *t = tf_slurp(from, &n);
  char **lines = calloc(n + 1, sizeof *lines);
  int k = 0;
  for (char *p = strtok(t, "\n"); p; p = strtok(NULL, "\n"))
    if (strncmp(p, "- {", 3) == 0) lines[k++] = p;
  FILE *f = fopen(to, "wb");
  while (k--) fprintf(f, "%s\n", lines[k]);
  fclose(f);
  free(lines);
  free(t);
}

Test(plan, killed_profile_resumes_and_plans_the_same, .timeout = 240) {
  cr_assert_eq(nc_mkdir_p(OUT "/resume"), 0);
  const char *db = OUT "/resume/db.yaml", *spec = OUT "/resume/slow.yaml";
  remove(db);
  /* 20 ms per measurement: the run lasts seconds, long enough to be killed */
  FILE *f = fopen(spec, "w");
  fputs("name: host\nisa: native\nprofile:\n  min_ms: 20\n  warmup: 1\n", f);
  fclose(f);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int dn = open("/dev/null", O_WRONLY);
    dup2(dn, 1);
    dup2(dn, 2);
    execl(NEUROC_EXE, "neuroc", "profile", tiny, "-t", spec, "--db", db, (char *)NULL);
    _exit(127);
  }
  int seen = 0;
  struct timespec tick = {0, 10 * 1000 * 1000};
  for (int i = 0; i < 6000 && (seen = count_entries(db)) < 20; i++) nanosleep(&tick, NULL);
  kill(pid, SIGKILL);
  int st;
  waitpid(pid, &st, 0);
  cr_assert(WIFSIGNALED(st), "killed part-way (it finished first: make it slower)");
  int kept = count_entries(db);
  cr_assert_geq(kept, seen, "no completed measurement lost");

  char args[2048];
  snprintf(args, sizeof args, "profile '%s' -t '%s' --db '%s'", tiny, spec, db);
  cr_assert_eq(neuroc(args), 0, "%s", out_text);
  long distinct, fresh, stored;
  char *at = strstr(out_text, "distinct");
  cr_assert_not_null(at, "%s", out_text);
  while (at > out_text && at[-1] != ' ') at--;
  while (at > out_text && at[-1] == ' ') at--;
  while (at > out_text && at[-1] != ' ') at--;
  cr_assert_eq(sscanf(at, "%ld distinct (routine, shapes) pairs: measured %ld new, %ld from the "
                          "database", &distinct, &fresh, &stored),
               3, "%s", out_text);
  cr_assert_eq(stored, kept, "%s", out_text);
  cr_assert_eq(fresh, distinct - kept, "only what is missing: %s", out_text);
  cr_assert_eq(count_entries(db), distinct);

  /* the resumed database and the same content written in another order */
  reverse_db(db, OUT "/resume/db2.yaml");
  snprintf(args, sizeof args, "tune '%s' -t '%s' --db '%s' -o '%s' -q", tiny, spec, db,
           OUT "/resume/p1");
  cr_assert_eq(neuroc(args), 0, "%s", out_text);
  snprintf(args, sizeof args, "tune '%s' -t '%s' --db '%s' -o '%s' -q", tiny, spec,
           OUT "/resume/db2.yaml", OUT "/resume/p2");
  cr_assert_eq(neuroc(args), 0, "%s", out_text);
  cr_assert_eq(count_entries(OUT "/resume/db2.yaml"), distinct, "tune measured nothing new");
  char *p1 = plan_without_timing(OUT "/resume/p1/plan.yaml");
  char *p2 = plan_without_timing(OUT "/resume/p2/plan.yaml");
  cr_assert_str_eq(p1, p2);
  free(p1);
  free(p2);
}
