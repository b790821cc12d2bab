/* The profile database: round trip, torn last line, no reuse across target
 * fingerprints or library versions, and the measurement list (each distinct
 * (routine, shapes) pair measured once, within and across models). A fake
 * inner cost source counts what reaches "the target". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "agent_client.h"
#include "compile.h"
#include "onnx_import.h"
#include "profile_db.h"

#define SRC NEUROC_SOURCE_DIR
#define OUT NEUROC_BINARY_DIR "/test_profile_db_out"

typedef struct fake_ctx {
  nc_cost_head head; /* first, as every cost source's ctx */
  long calls;
} fake_ctx;

static int fake_measure(nc_cost_source *s, const nc_routine *r, const nc_args *a,
                        const void *const *consts, double *ms, double *spread) {
  fake_ctx *c = s->ctx;
  c->calls++;
  char *t = nc_profile_args_text(a, consts);
  unsigned h = 7;
  for (const char *p = r->descriptor; *p; p++) h = h * 31 + (unsigned char)*p;
  for (const char *p = t; *p; p++) h = h * 31 + (unsigned char)*p;
  free(t);
  *ms = 0.001 * (1 + h % 1000);
  *spread = 0.01;
  memset(&c->head.last, 0, sizeof c->head.last);
  c->head.last.median_ms = *ms;
  c->head.last.samples = 7;
  return 0;
}

static void fake_destroy(nc_cost_source *s) {
  free(s->ctx);
  free(s);
}

static nc_cost_source *fake_new(const char *fp, const char *lib) {
  nc_cost_source *s = calloc(1, sizeof *s);
  fake_ctx *c = calloc(1, sizeof *c);
  c->head.destroy = fake_destroy;
  s->name = "fake";
  s->measure = fake_measure;
  s->ctx = c;
  s->fingerprint = fp;
  s->library_version = lib;
  return s;
}

static long fake_calls(nc_cost_source *fake) { return ((fake_ctx *)fake->ctx)->calls; }

static void fresh(const char *path) {
  cr_assert_eq(nc_mkdir_p(OUT), 0);
  remove(path);
}

static nc_profile_entry entry(const char *fp, const char *lib, const char *routine,
                              const char *args, double ms) {
  nc_profile_entry e = {(char *)fp, (char *)lib, (char *)routine, (char *)args, ms, 0.25, 9, "t"};
  return e;
}

/* The file is YAML: a sequence with one mapping per entry. */
static int yaml_entries(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  yaml_parser_t p;
  yaml_document_t d;
  yaml_parser_initialize(&p);
  yaml_parser_set_input_file(&p, f);
  cr_assert(yaml_parser_load(&p, &d), "%s is not valid YAML", path);
  yaml_node_t *root = yaml_document_get_root_node(&d);
  cr_assert_not_null(root);
  cr_assert_eq(root->type, YAML_SEQUENCE_NODE);
  int n = (int)(root->data.sequence.items.top - root->data.sequence.items.start);
  yaml_document_delete(&d);
  yaml_parser_delete(&p);
  fclose(f);
  return n;
}

Test(profile_db, round_trip) {
  const char *path = OUT "/round.yaml";
  fresh(path);
  nc_profile_db *db = nc_profile_db_open(path);
  cr_assert_not_null(db, "%s", nc_err_msg());
  nc_profile_entry a = entry("fp \"quoted\"", "lib1", "cpu:f32:nchw/relu/c99", "in=f32[1,2]", 0.125);
  nc_profile_entry b = entry("fp", "lib1", "cpu:f32:nhwc/conv/avx2", "in=f32[1,2,3,4]", 1.5);
  cr_assert_eq(nc_profile_db_append(db, &a), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_profile_db_append(db, &b), 0, "%s", nc_err_msg());
  nc_profile_db_close(db);
  cr_assert_eq(yaml_entries(path), 2);

  db = nc_profile_db_open(path);
  cr_assert_not_null(db);
  cr_assert_eq(nc_profile_db_count(db), 2);
  cr_assert_eq(nc_profile_db_skipped(db), 0);
  const nc_profile_entry *e = nc_profile_db_find(db, "fp \"quoted\"", "lib1", "cpu:f32:nchw/relu/c99",
                                                 "in=f32[1,2]");
  cr_assert_not_null(e);
  cr_assert_float_eq(e->median_ms, 0.125, 1e-12);
  cr_assert_float_eq(e->spread, 0.25, 1e-12);
  cr_assert_eq(e->samples, 9);
  e = nc_profile_db_find(db, "fp", "lib1", "cpu:f32:nhwc/conv/avx2", "in=f32[1,2,3,4]");
  cr_assert_not_null(e);
  cr_assert_float_eq(e->median_ms, 1.5, 1e-12);
  cr_assert_null(nc_profile_db_find(db, "fp", "lib2", "cpu:f32:nhwc/conv/avx2", "in=f32[1,2,3,4]"));
  cr_assert_null(nc_profile_db_find(db, "fp", "lib1", "cpu:f32:nhwc/conv/avx2", "in=f32[1,2,3,5]"));
  nc_profile_db_close(db);
}

static size_t slurp(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = 0;
  fclose(f);
  return n;
}

Test(profile_db, torn_last_line_is_ignored_and_closed_on_append) {
  const char *path = OUT "/torn.yaml";
  fresh(path);
  nc_profile_db *db = nc_profile_db_open(path);
  nc_profile_entry a = entry("fp", "lib", "r1", "a1", 0.5);
  cr_assert_eq(nc_profile_db_append(db, &a), 0);
  nc_profile_db_close(db);
  FILE *f = fopen(path, "ab"); /* a writer killed mid-line */
  fputs("- {fingerprint: \"fp\", library: \"lib\", routine: \"r2\", args: \"a2\", median_", f);
  fclose(f);

  db = nc_profile_db_open(path);
  cr_assert_not_null(db);
  cr_assert_eq(nc_profile_db_count(db), 1);
  cr_assert_eq(nc_profile_db_skipped(db), 1);
  cr_assert_null(nc_profile_db_find(db, "fp", "lib", "r2", "a2"));
  nc_profile_entry b = entry("fp", "lib", "r2", "a2", 0.75);
  cr_assert_eq(nc_profile_db_append(db, &b), 0);
  nc_profile_db_close(db);

  char text[4096];
  size_t n = slurp(path, text, sizeof text);
  cr_assert_eq(text[n - 1], '\n');
  cr_assert(strstr(text, "median_\n- {"), "the torn fragment stays on its own line:\n%s", text);
  db = nc_profile_db_open(path);
  cr_assert_eq(nc_profile_db_count(db), 2);
  cr_assert_eq(nc_profile_db_skipped(db), 1); /* the old fragment, now mid-file */
  const nc_profile_entry *e = nc_profile_db_find(db, "fp", "lib", "r2", "a2");
  cr_assert_not_null(e);
  cr_assert_float_eq(e->median_ms, 0.75, 1e-12);
  nc_profile_db_close(db);
}

/* Measure one adapter through a DB source over a fake target. */
static long measure_once(const char *path, const char *fp, const char *lib, int *other) {
  nc_cost_source *fake = fake_new(fp, lib);
  nc_cost_source *s = nc_cost_db_new(fake, path);
  cr_assert_not_null(s, "%s", nc_err_msg());
  nc_profile_db *db = nc_profile_db_open(path);
  *other = nc_profile_db_count_other(db, fp, lib);
  nc_profile_db_close(db);
  nc_tdesc d = {NC_F32, 4, {1, 16, 8, 8}};
  nc_args a = {1, 1, &d, &d, NULL, NULL, 0, 0};
  const void *consts[1] = {NULL};
  const nc_routine *r = nc_adapter_routine(NC_F32, NC_LAYOUT_NCHW, NC_LAYOUT_NHWC);
  cr_assert_not_null(r);
  double ms, spread;
  cr_assert_eq(s->measure(s, r, &a, consts, &ms, &spread), 0, "%s", nc_err_msg());
  cr_assert_eq(s->measure(s, r, &a, consts, &ms, &spread), 0, "%s", nc_err_msg());
  long calls = fake_calls(fake);
  nc_cost_free(s);
  return calls;
}

Test(profile_db, other_fingerprint_or_library_is_not_reused) {
  const char *path = OUT "/stale.yaml";
  fresh(path);
  int other;
  cr_assert_eq(measure_once(path, "board-A", "lib-1", &other), 1, "measured once, then stored");
  cr_assert_eq(measure_once(path, "board-A", "lib-1", &other), 0, "taken from the database");
  cr_assert_eq(other, 0);
  cr_assert_eq(measure_once(path, "board-B", "lib-1", &other), 1, "another target measures again");
  cr_assert_eq(other, 1);
  cr_assert_eq(measure_once(path, "board-A", "lib-2", &other), 1, "another library measures again");
  cr_assert_eq(other, 2);
  cr_assert_eq(measure_once(path, "board-B", "lib-1", &other), 0);
}

/* profile (measure + DPRS, nothing written) one model through cost. */
static nc_compile_report profile(const char *model, nc_cost_source *cost) {
  nc_target *t = nc_target_load(SRC "/targets/host.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_graph *g = nc_import_onnx(model);
  cr_assert_not_null(g, "%s", nc_err_msg());
  nc_options o = {t, "model", NULL, 0, 0, 1};
  nc_tune_options tu = {NULL, NULL, cost, NC_STOP_SELECT};
  nc_compile_report rep;
  cr_assert_eq(nc_compile_graph_ex(g, &o, &tu, NULL, &rep), NC_STAGE_OK, "%s", nc_err_msg());
  nc_graph_free(g);
  nc_target_free(t);
  return rep;
}

Test(profile_db, identical_layers_are_measured_once) {
  nc_cost_source *f1 = fake_new("fp", "lib"), *f2 = fake_new("fp", "lib");
  nc_compile_report one = profile(SRC "/tests/data/profile/relu1.onnx", f1);
  nc_compile_report two = profile(SRC "/tests/data/profile/relu2.onnx", f2);
  cr_assert_eq(one.n_layers, 1);
  cr_assert_eq(two.n_layers, 2);
  cr_assert_gt(one.distinct, 1);
  /* the second Relu and its tensor repeat every pair of the first */
  cr_assert_eq(two.distinct, one.distinct);
  cr_assert_eq(fake_calls(f1), one.distinct);
  cr_assert_eq(fake_calls(f2), two.distinct, "each distinct pair reaches the target once");
  cr_assert_eq(two.measured_new, two.distinct);
  cr_assert_eq(two.from_db, 0);
  nc_cost_free(f1);
  nc_cost_free(f2);
}

Test(profile_db, second_model_measures_only_the_pairs_it_adds) {
  const char *path = OUT "/two_models.yaml";
  fresh(path);
  nc_cost_source *fake = fake_new("fp", "lib");
  nc_cost_source *s = nc_cost_db_new(fake, path);
  cr_assert_not_null(s);
  nc_compile_report a = profile(SRC "/tests/data/profile/relu1.onnx", s);
  cr_assert_eq(a.measured_new, a.distinct);
  nc_compile_report b = profile(SRC "/tests/data/profile/relu_sigmoid.onnx", s);
  cr_assert_gt(b.distinct, a.distinct);
  cr_assert_eq(b.from_db, a.distinct, "all of relu1's pairs come from the database");
  cr_assert_eq(b.measured_new, b.distinct - a.distinct);
  cr_assert_eq(fake_calls(fake), b.distinct);
  nc_cost_free(s);
  /* a later run (new process, same file) measures nothing */
  fake = fake_new("fp", "lib");
  s = nc_cost_db_new(fake, path);
  nc_compile_report c = profile(SRC "/tests/data/profile/relu_sigmoid.onnx", s);
  cr_assert_eq(c.measured_new, 0);
  cr_assert_eq(c.from_db, b.distinct);
  cr_assert_eq(fake_calls(fake), 0);
  nc_cost_free(s);
}

Test(profile_db, args_text_marks_constants_and_is_exact) {
  nc_tdesc in[2] = {{NC_F32, 2, {3, 4}}, {NC_UNDEF, 0, {0}}};
  nc_tdesc out[1] = {{NC_S64, 0, {0}}};
  int64_t ia[2] = {-1, 5};
  double fa[1] = {0.1};
  nc_args a = {2, 1, in, out, ia, fa, 2, 1};
  int w = 1;
  const void *consts[2] = {&w, NULL};
  char *t = nc_profile_args_text(&a, consts);
  cr_assert_str_eq(t, "in=f32[3,4]:c -; out=s64[]; ia=-1,5; fa=0.10000000000000001");
  free(t);
}
