/* Memory budgets: a target spec's `ram:` and `flash:` make DPRS give up the
 * fastest path (forced by a fake cost source: blocked nchw16c routines, with
 * padded activations and packed weights, are fast) for one that fits; the
 * bytes the plan reports are checked against the symbol sizes of the
 * compiled model.o (nm), not against the emitter's own numbers; impossible
 * budgets fail naming the largest contributors; `ram:`/`flash:` parsing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent_client.h"
#include "compile.h"
#include "onnx_import.h"
#include "test_fake_cost.h"

#define SRC NEUROC_SOURCE_DIR
#define OUT NEUROC_BINARY_DIR "/test_budget_out"

static const char *tiny = SRC "/examples/tiny_cnn/model.onnx";
/* blocked routines fast (tests/unit/test_fake_cost.h) */
static const char *const fast_blocked[] = {"nchw16c", NULL};

/* targets/host.yaml with extra lines appended, written to OUT/name. */
static const char *spec_with(const char *name, const char *extra) {
  static char path[512];
  mkdir(OUT, 0755);
  snprintf(path, sizeof path, OUT "/%s", name);
  FILE *in = fopen(SRC "/targets/host.yaml", "rb"), *out = fopen(path, "wb");
  cr_assert(in && out);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
  fputs(extra, out);
  fclose(in);
  fclose(out);
  return path;
}

/* Compile model with the fake costs for the spec into OUT/dir, the routines
 * restricted to the n_force patterns. */
static int compile_model(const char *model, const char *spec, const char *const *force,
                         int n_force, const char *dir, nc_compile_report *rep) {
  nc_target *t = nc_target_load(spec);
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_graph *g = nc_import_onnx(model);
  cr_assert_not_null(g, "%s", nc_err_msg());
  nc_cost_source *cost = tfc_new(fast_blocked);
  nc_options o = {.target = t, .prefix = "model", .force = force, .n_force = n_force, .quiet = 1};
  nc_tune_options tu = {.cost = cost, .stop_after = NC_STOP_NONE};
  nc_err_clear();
  int rc = nc_compile_graph_ex(g, &o, &tu, dir, rep);
  nc_cost_free(cost);
  nc_graph_free(g);
  nc_target_free(t);
  return rc;
}

static int compile_with(const char *spec, const char *dir, nc_compile_report *rep) {
  return compile_model(tiny, spec, NULL, 0, dir, rep);
}

/* The value of "  KEY: N" in dir/plan.yaml. */
static long long plan_number(const char *dir, const char *key) {
  char path[600], line[512], want[64];
  snprintf(path, sizeof path, "%s/plan.yaml", dir);
  snprintf(want, sizeof want, "  %s: ", key);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "no %s", path);
  long long v = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, want, strlen(want)) == 0) v = atoll(line + strlen(want));
  fclose(f);
  cr_assert_geq(v, 0, "no '%s' in %s", key, path);
  return v;
}

/* Size of symbol `name` in dir/model.o compiled by cc, from nm -S: the
 * independent reference for the bytes the plan reports. */
static long long symbol_size(const char *dir, const char *name) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cc -std=c11 -c -I'%s/runtime-min/include' '%s/model.c' -o '%s/model.o' && "
           "nm -S '%s/model.o' | awk '$4 == \"%s\" {print $2}'",
           SRC, dir, dir, dir, name);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  char hex[64] = "";
  char *got = fgets(hex, sizeof hex, p);
  cr_assert_eq(pclose(p), 0, "%s failed", cmd);
  cr_assert_not_null(got, "no symbol %s in %s/model.o", name, dir);
  return strtoll(hex, NULL, 16);
}

/* The plan's used_ram/used_flash equal the static objects cc lays out. */
static void check_used_bytes(const char *dir, const nc_compile_report *rep) {
  long long ram = plan_number(dir, "used_ram"), flash = plan_number(dir, "used_flash");
  cr_assert_eq(ram, symbol_size(dir, "model_arena"), "%s: used_ram", dir);
  cr_assert_eq(flash, symbol_size(dir, "model_weights"), "%s: used_flash", dir);
  cr_assert_eq((long long)rep->emit.used_ram, ram);
  cr_assert_eq((long long)rep->emit.used_flash, flash);
}

/* The "    routine:" lines of dir/plan.yaml (layers and adapters), joined. */
static char *routines(const char *dir) {
  char path[600], line[512];
  snprintf(path, sizeof path, "%s/plan.yaml", dir);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  char *all = calloc(1, 1 << 16);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "    routine: ", 13) == 0 && strlen(all) + strlen(line) < (1 << 16))
      strcat(all, line + 13);
  fclose(f);
  return all;
}

Test(budget, fastest_path_without_budget_reports_what_cc_lays_out) {
  nc_compile_report rep;
  cr_assert_eq(compile_with(SRC "/targets/host.yaml", OUT "/free", &rep), NC_STAGE_OK, "%s",
               nc_err_msg());
  cr_assert_eq(rep.mem.active, 0);
  char *r = routines(OUT "/free");
  cr_assert(strstr(r, "cpu:f32:nchw16c/conv"), "the fake costs favour nchw16c:\n%s", r);
  free(r);
  check_used_bytes(OUT "/free", &rep);
}

/* A flash budget one byte below what the fastest path needs: another path,
 * slower, within the budget. */
Test(budget, flash_budget_picks_a_smaller_path) {
  nc_compile_report fast, rep;
  cr_assert_eq(compile_with(SRC "/targets/host.yaml", OUT "/fast", &fast), NC_STAGE_OK);
  long long need = plan_number(OUT "/fast", "used_flash");
  char extra[64];
  snprintf(extra, sizeof extra, "flash: %lld\n", need - 1);
  const char *spec = spec_with("flash.yaml", extra);
  cr_assert_eq(compile_with(spec, OUT "/flash", &rep), NC_STAGE_OK, "%s", nc_err_msg());
  cr_assert_eq(rep.mem.active, 1);
  cr_assert_eq(plan_number(OUT "/flash", "flash"), need - 1);
  check_used_bytes(OUT "/flash", &rep);
  cr_assert_leq(symbol_size(OUT "/flash", "model_weights"), need - 1);
  cr_assert_gt(rep.predicted_ms, fast.predicted_ms, "the smaller path is slower here");
  char *a = routines(OUT "/fast"), *b = routines(OUT "/flash");
  cr_assert(strcmp(a, b) != 0, "another path");
  free(a);
  free(b);
}

Test(budget, ram_budget_picks_a_smaller_arena) {
  nc_compile_report fast, rep;
  cr_assert_eq(compile_with(SRC "/targets/host.yaml", OUT "/fast_r", &fast), NC_STAGE_OK);
  long long need = plan_number(OUT "/fast_r", "used_ram");
  char extra[64];
  snprintf(extra, sizeof extra, "ram: %lld\n", need - 1);
  const char *spec = spec_with("ram.yaml", extra);
  cr_assert_eq(compile_with(spec, OUT "/ram", &rep), NC_STAGE_OK, "%s", nc_err_msg());
  cr_assert_eq(rep.mem.active, 1);
  check_used_bytes(OUT "/ram", &rep);
  cr_assert_leq(symbol_size(OUT "/ram", "model_arena"), need - 1);
  cr_assert_gt(rep.predicted_ms, fast.predicted_ms);
}

Test(budget, impossible_flash_budget_names_the_largest_weights) {
  nc_compile_report rep;
  const char *spec = spec_with("flash1k.yaml", "flash: 1K\n");
  cr_assert_eq(compile_with(spec, OUT "/flash1k", &rep), NC_STAGE_SELECT);
  const char *m = nc_err_msg();
  cr_assert(strstr(m, "does not fit the flash budget"), "%s", m);
  cr_assert(strstr(m, "(flash: 1024)"), "%s", m);
  /* conv2 holds 16x8x3x3 f32 weights = 4.5 KiB, the largest of tiny_cnn */
  cr_assert(strstr(m, "largest packed weights are conv2 ("), "%s", m);
  cr_assert(strstr(m, "--dtype int8"), "%s", m);
  struct stat st;
  cr_assert_neq(stat(OUT "/flash1k/plan.yaml", &st), 0, "nothing written");
}

Test(budget, impossible_ram_budget_names_the_largest_activations) {
  nc_compile_report rep;
  const char *spec = spec_with("ram1k.yaml", "ram: 1024\n");
  cr_assert_eq(compile_with(spec, OUT "/ram1k", &rep), NC_STAGE_SELECT);
  const char *m = nc_err_msg();
  cr_assert(strstr(m, "does not fit the RAM budget"), "%s", m);
  cr_assert(strstr(m, "(ram: 1024)"), "%s", m);
  /* conv1's output, 8x16x16 f32 = 8 KiB, is the largest activation */
  cr_assert(strstr(m, "largest layer outputs are conv1 (8.0 KiB"), "%s", m);
}

static long long load_bytes(const char *name, const char *line, const char *key) {
  nc_target *t = nc_target_load(spec_with(name, line));
  cr_assert_not_null(t, "%s: %s", line, nc_err_msg());
  long long v = strcmp(key, "ram") == 0 ? t->ram_bytes : t->flash_bytes;
  nc_target_free(t);
  return v;
}

Test(budget, ram_and_flash_keys_accept_binary_suffixes) {
  cr_assert_eq(load_bytes("s1.yaml", "ram: 262144\n", "ram"), 262144);
  cr_assert_eq(load_bytes("s2.yaml", "ram: 256K\n", "ram"), 262144);
  cr_assert_eq(load_bytes("s3.yaml", "flash: 1M\n", "flash"), 1048576);
  cr_assert_eq(load_bytes("s4.yaml", "flash: 2KiB\n", "flash"), 2048);
  cr_assert_eq(load_bytes("s5.yaml", "flash: 1G\n", "flash"), 1073741824LL);
  cr_assert_eq(load_bytes("s6.yaml", "# no key\n", "ram"), 0, "no key: no limit");
  const char *bad[] = {"ram: 12Q\n", "ram: -5\n", "ram: 0\n", "flash: K\n", "flash: 1.5M\n",
                       "flash: [1]\n"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    nc_target *t = nc_target_load(spec_with("bad.yaml", bad[i]));
    cr_assert_null(t, "%s accepted", bad[i]);
    cr_assert(strstr(nc_err_msg(), "bad.yaml:"), "%s", nc_err_msg());
    cr_assert(strstr(nc_err_msg(), "must be a positive number of bytes"), "%s", nc_err_msg());
  }
}

/* The error reports the bytes of the smallest plan: no more than a plan of
 * the unpacked reference routines needs (digits: its Gemm's packed variants
 * pad 10 outputs to 16..64 columns, 16..64 KiB against 10 KiB raw). */
Test(budget, impossible_budget_reports_the_smallest_plan) {
  static const char *const refs[] = {"*-ref/c99", "cpu:f32:nchw/conv-direct/c99"};
  const char *digits = SRC "/examples/digits/digits.onnx";
  nc_compile_report rep;
  cr_assert_eq(compile_model(digits, SRC "/targets/host.yaml", refs, 2, OUT "/digits_ref", &rep),
               NC_STAGE_OK, "%s", nc_err_msg());
  long long ref = plan_number(OUT "/digits_ref", "used_flash");
  const char *spec = spec_with("digits1k.yaml", "flash: 1K\n");
  cr_assert_eq(compile_model(digits, spec, NULL, 0, OUT "/digits1k", &rep), NC_STAGE_SELECT);
  const char *m = strstr(nc_err_msg(), " KiB (");
  cr_assert_not_null(m, "%s", nc_err_msg());
  long long need = atoll(m + 6);
  cr_assert_gt(need, 0, "%s", nc_err_msg());
  cr_assert_leq(need, ref, "needs %lld > %lld of the reference plan: %s", need, ref, nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "/fc/Gemm ("), "%s", nc_err_msg());
}
