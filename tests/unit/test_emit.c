/* Emitter: byte-identical output for the same selection, emitted code free of
 * warnings under gcc and clang -Wall -Wextra, adapters and output copies that
 * keep results identical whatever routines DPRS is forced to, and an arena
 * never below its lower bound. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "compile.h"
#include "onnx_import.h"
#include "test_files.h"

#define DATA NEUROC_SOURCE_DIR "/tests/data/passes/"
#define OUT NEUROC_BINARY_DIR "/test_emit_out"

static nc_target *host(void) {
  nc_target *t = nc_target_load(NEUROC_SOURCE_DIR "/targets/host.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  t->profile_min_ms = 0.05;
  return t;
}

static int same_file(const char *a, const char *b) {
  size_t na, nb;
  char *x = tf_slurp(a, &na), *y = tf_slurp(b, &nb);
  int same = na == nb && memcmp(x, y, na) == 0;
  free(x);
  free(y);
  return same;
}

Test(emit, same_selection_gives_identical_bytes) {
  nc_target *t = host();
  nc_graph *g = nc_import_onnx(DATA "branches.onnx");
  cr_assert_not_null(g, "%s", nc_err_msg());
  cr_assert_eq(nc_run_passes(g, NULL), 0, "%s", nc_err_msg());
  nc_options o = {t, "model", NULL, 0, 0, 1};
  nc_cost_source *cost = nc_cost_local_new(t);
  nc_selection sel;
  cr_assert_eq(nc_select(g, &o, cost, &sel), 0, "%s", nc_err_msg());
  nc_emit_info i1, i2;
  cr_assert_eq(nc_emit(g, &sel, &o, OUT "/det1", &i1), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_emit(g, &sel, &o, OUT "/det2", &i2), 0, "%s", nc_err_msg());
  cr_assert(same_file(OUT "/det1/model.c", OUT "/det2/model.c"));
  cr_assert(same_file(OUT "/det1/model.h", OUT "/det2/model.h"));
  cr_assert(same_file(OUT "/det1/plan.yaml", OUT "/det2/plan.yaml"));
  cr_assert_geq(i1.arena_bytes, i1.arena_lower_bound);
  nc_selection_free(&sel);
  nc_cost_free(cost);
  nc_graph_free(g);
  nc_target_free(t);
}

/* Compile with the given routine patterns forced and run on a fixed input. */
static float *run_branches(const char *dir, const char *const *force, int n_force,
                           nc_emit_info *info, int64_t *n_out) {
  nc_target *t = host();
  nc_graph *g = nc_import_onnx(DATA "branches.onnx");
  cr_assert_not_null(g, "%s", nc_err_msg());
  nc_options o = {t, "model", force, n_force, 0, 1};
  nc_compile_report rep;
  cr_assert_eq(nc_compile_graph(g, &o, dir, &rep), NC_STAGE_OK, "%s", nc_err_msg());
  *info = rep.emit;
  static float x[3 * 16 * 16];
  for (int i = 0; i < 3 * 256; i++) x[i] = (float)((i * 13) % 17) / 8.0f - 1.0f;
  nc_const in = {{NC_F32, 4, {1, 3, 16, 16}}, x};
  nc_const out[2];
  nc_run_result res;
  cr_assert_eq(nc_build_and_run(g, &o, dir, &in, out, 0, &res), 0, "%s", nc_err_msg());
  /* both outputs, concatenated: p [1,8,8,8] then s [1,8,16,16] */
  int64_t np = nc_numel(&out[0].desc), ns = nc_numel(&out[1].desc);
  float *all = malloc(sizeof(float) * (size_t)(np + ns));
  memcpy(all, out[0].data, sizeof(float) * (size_t)np);
  memcpy(all + np, out[1].data, sizeof(float) * (size_t)ns);
  free(out[0].data);
  free(out[1].data);
  *n_out = np + ns;
  nc_graph_free(g);
  nc_target_free(t);
  return all;
}

Test(emit, forced_layouts_insert_adapters_and_keep_results) {
  nc_emit_info free_info, nhwc_info;
  int64_t n1, n2;
  float *a = run_branches(OUT "/free", NULL, 0, &free_info, &n1);
  const char *nhwc[] = {"cpu:f32:nhwc/conv-direct/*", "cpu:f32:nchw/maxpool-*"};
  float *b = run_branches(OUT "/nhwc", nhwc, 2, &nhwc_info, &n2);
  cr_assert_eq(n1, n2);
  cr_assert_geq(nhwc_info.n_adapters, 1, "forcing NHWC conv then NCHW pool needs adapters");
  for (int64_t i = 0; i < n1; i++)
    cr_assert_float_eq(a[i], b[i], 1e-4, "element %lld: %g vs %g", (long long)i, a[i], b[i]);
  cr_assert_geq(nhwc_info.arena_bytes, nhwc_info.arena_lower_bound);
  free(a);
  free(b);
}

static int compiles_clean(const char *cc, const char *dir) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "command -v %s >/dev/null 2>&1 || exit 77; cd '%s' && %s -std=c11 -Wall -Wextra -Werror "
           "-O1 -I. -I'%s/runtime-min/include' -c model.c -o /dev/null",
           cc, dir, cc, NEUROC_SOURCE_DIR);
  int rc = system(cmd);
  return WEXITSTATUS(rc);
}

Test(emit, emitted_code_is_warning_free_with_gcc_and_clang) {
  nc_emit_info info;
  int64_t n;
  const char *nhwc[] = {"cpu:f32:nhwc/conv-im2col/*"};
  free(run_branches(OUT "/warn", nhwc, 1, &info, &n));
  cr_assert_eq(compiles_clean("gcc", OUT "/warn"), 0, "gcc warns on emitted code");
  int rc = compiles_clean("clang", OUT "/warn");
  cr_assert(rc == 0 || rc == 77, "clang warns on emitted code");
}

/* Outputs that are a graph input, a folded constant, the same tensor twice,
 * and a layer with an omitted optional output (outputs_edge.onnx). */
Test(emit, output_edge_cases) {
  nc_target *t = host();
  nc_graph *g = nc_import_onnx(DATA "outputs_edge.onnx");
  cr_assert_not_null(g, "%s", nc_err_msg());
  nc_options o = {t, "model", NULL, 0, 0, 1};
  nc_compile_report rep;
  cr_assert_eq(nc_compile_graph(g, &o, OUT "/edge", &rep), NC_STAGE_OK, "%s", nc_err_msg());
  float x[12];
  for (int i = 0; i < 12; i++) x[i] = (float)i;
  nc_const in = {{NC_F32, 2, {4, 3}}, x};
  nc_const out[4];
  nc_run_result res;
  cr_assert_eq(nc_build_and_run(g, &o, OUT "/edge", &in, out, 0, &res), 0, "%s", nc_err_msg());
  const float *o0 = out[0].data, *o2 = out[2].data, *o3 = out[3].data;
  const int64_t *o1 = out[1].data;
  for (int i = 0; i < 12; i++) cr_assert_eq(o0[i], x[i]);
  cr_assert(o1[0] == 4 && o1[1] == 3);
  for (int i = 0; i < 6; i++) {
    cr_assert_eq(o2[i], -x[i]);
    cr_assert_eq(o3[i], -x[i]);
  }
  for (int i = 0; i < 4; i++) free(out[i].data);
  nc_graph_free(g);
  nc_target_free(t);
}
