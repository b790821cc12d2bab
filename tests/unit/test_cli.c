/* The neuroc command line: exit codes, error texts that name what and where,
 * and no half-written output when compilation fails. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SRC NEUROC_SOURCE_DIR
#define OUT NEUROC_BINARY_DIR "/test_cli_out"

static char output[16384];

/* Run neuroc with args; returns its exit code, stdout+stderr in output. The
 * default profile database is the test's own, never the user's cache. */
static int neuroc(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cd '%s' && NEUROC_PROFILE_DB='%s/default-db.yaml' '%s' %s 2>&1",
           OUT, SRC, OUT, NEUROC_EXE, args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t n = fread(output, 1, sizeof output - 1, p);
  output[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

Test(cli, help_and_version) {
  cr_assert_eq(neuroc("--help"), 0);
  cr_assert(strstr(output, "compile MODEL.onnx"));
  cr_assert_eq(neuroc("compile --help"), 0);
  cr_assert(strstr(output, "--routine PATTERN"));
  cr_assert_eq(neuroc("run --help"), 0);
  cr_assert_eq(neuroc("inspect --help"), 0);
  cr_assert_eq(neuroc("--version"), 0);
  cr_assert(strstr(output, "neuroc "));
}

Test(cli, usage_errors_exit_1) {
  cr_assert_eq(neuroc(""), 1);
  cr_assert_eq(neuroc("frobnicate"), 1);
  cr_assert(strstr(output, "unknown command 'frobnicate'"), "%s", output);
  cr_assert_eq(neuroc("compile examples/tiny_cnn/model.onnx --bogus"), 1);
  cr_assert(strstr(output, "unknown option '--bogus'"), "%s", output);
  cr_assert_eq(neuroc("compile examples/tiny_cnn/model.onnx -o " OUT "/x"), 1);
  cr_assert(strstr(output, "missing -t SPEC.yaml"), "%s", output);
}

Test(cli, truncated_model_exit_2_names_file) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && head -c 300 '%s/examples/tiny_cnn/model.onnx' > '%s/trunc.onnx'",
           OUT, SRC, OUT);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(neuroc("compile " OUT "/trunc.onnx -t targets/host.yaml -o " OUT "/trunc"), 2);
  cr_assert(strstr(output, "trunc.onnx"), "%s", output);
  cr_assert(strstr(output, "truncated or corrupt"), "%s", output);
}

Test(cli, unsupported_op_exit_3_names_node_and_op_and_writes_nothing) {
  cr_assert_eq(neuroc("compile tests/data/passes/unsupported_op.onnx -t targets/host.yaml -o " OUT
                      "/unsup"),
               3);
  cr_assert(strstr(output, "node 'frob'"), "%s", output);
  cr_assert(strstr(output, "unsupported op 'Frobnicate'"), "%s", output);
  struct stat st;
  cr_assert_neq(stat(OUT "/unsup/model.c", &st), 0, "no output on failure");
  cr_assert_eq(neuroc("inspect tests/data/passes/unsupported_op.onnx"), 3);
  cr_assert(strstr(output, "unsupported ops:"), "%s", output);
}

Test(cli, yaml_typo_exit_2_names_line) {
  cr_assert_eq(neuroc("compile examples/tiny_cnn/model.onnx -t tests/data/bad_target.yaml -o " OUT
                      "/typo"),
               2);
  cr_assert(strstr(output, "bad_target.yaml:3"), "%s", output);
  cr_assert(strstr(output, "cflagz"), "%s", output);
}

Test(cli, run_checks_inputs) {
  cr_assert_eq(neuroc("run examples/tiny_cnn/model.onnx -t targets/host.yaml -o " OUT "/noin"), 2);
  cr_assert(strstr(output, "no --input given for model input 'image'"), "%s", output);
  cr_assert_eq(neuroc("run examples/tiny_cnn/model.onnx -t targets/host.yaml --input nope=x.npy -o " OUT
                      "/noin"),
               2);
  cr_assert_eq(neuroc("run examples/tiny_cnn/model.onnx -t targets/host.yaml --input "
                      "image=examples/tiny_cnn/expected_probs.npy -o " OUT "/badin"),
               2);
  cr_assert(strstr(output, "input 'image'"), "%s", output);
}

Test(cli, run_example_writes_outputs_and_timing) {
  cr_assert_eq(neuroc("run examples/tiny_cnn/model.onnx -t targets/host.yaml --input "
                      "image=examples/tiny_cnn/input.npy -o " OUT "/tiny --repeat 5"),
               0, "%s", output);
  cr_assert(strstr(output, "median_ms "), "%s", output);
  cr_assert(strstr(output, "arena_lower_bound_bytes "), "%s", output);
  struct stat st;
  cr_assert_eq(stat(OUT "/tiny/probs.npy", &st), 0);
  cr_assert_eq(stat(OUT "/tiny/model.c", &st), 0);
  cr_assert_eq(stat(OUT "/tiny/plan.yaml", &st), 0);
}

Test(cli, profiling_commands_help_and_usage_errors) {
  cr_assert_eq(neuroc("profile --help"), 0);
  cr_assert(strstr(output, "measured N new, M from the database"), "%s", output);
  cr_assert_eq(neuroc("tune --help"), 0);
  cr_assert_eq(neuroc("bench --help"), 0);
  cr_assert(strstr(output, "median_ms"), "%s", output);
  cr_assert_eq(neuroc("profile -t targets/host.yaml"), 1);
  cr_assert(strstr(output, "missing MODEL.onnx"), "%s", output);
  cr_assert_eq(neuroc("tune examples/tiny_cnn/model.onnx -t targets/host.yaml"), 1);
  cr_assert(strstr(output, "missing -o DIR"), "%s", output);
  cr_assert_eq(neuroc("compile examples/tiny_cnn/model.onnx -t targets/host.yaml --plan p.yaml "
                      "--routine '*' -o " OUT "/x"),
               1);
  cr_assert(strstr(output, "--routine cannot be combined with --plan"), "%s", output);
  cr_assert_eq(neuroc("bench examples/tiny_cnn/model.onnx"), 1);
  cr_assert_eq(neuroc("compile examples/tiny_cnn/model.onnx -t targets/host.yaml --plan " OUT
                      "/no-such-plan.yaml -o " OUT "/x"),
               2);
  cr_assert(strstr(output, "no-such-plan.yaml"), "%s", output);
  /* a database that cannot be read: exit 6, naming it */
  cr_assert_eq(neuroc("profile examples/tiny_cnn/model.onnx -t targets/host.yaml --db " OUT), 6);
  cr_assert(strstr(output, OUT), "%s", output);
}

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) ? -1 : (long)st.st_size;
}

/* The whole flow on the real profiler: profile, tune, compile --plan (same
 * bytes as compile on the same database), a refused plan, bench. */
Test(cli, profile_tune_compile_plan_bench) {
  remove(OUT "/flow-db.yaml");
  cr_assert_eq(neuroc("profile examples/tiny_cnn/model.onnx -t targets/host.yaml --db " OUT
                      "/flow-db.yaml"),
               0, "%s", output);
  cr_assert(strstr(output, "measured "), "%s", output);
  cr_assert(strstr(output, " new, 0 from the database"), "%s", output);
  cr_assert_eq(neuroc("profile examples/tiny_cnn/model.onnx -t targets/host.yaml --db " OUT
                      "/flow-db.yaml"),
               0, "%s", output);
  cr_assert(strstr(output, "measured 0 new"), "second run measures nothing: %s", output);
  cr_assert_eq(neuroc("tune examples/tiny_cnn/model.onnx -t targets/host.yaml --db " OUT
                      "/flow-db.yaml -o " OUT "/flow-tune"),
               0, "%s", output);
  cr_assert(strstr(output, "measured 0 new"), "%s", output);
  cr_assert_eq(file_size(OUT "/flow-tune/model.c"), -1, "tune writes only the plan");
  cr_assert_eq(neuroc("compile examples/tiny_cnn/model.onnx -t targets/host.yaml --db " OUT
                      "/flow-db.yaml -o " OUT "/flow-compile"),
               0, "%s", output);
  cr_assert_eq(neuroc("compile examples/tiny_cnn/model.onnx -t targets/host.yaml --plan " OUT
                      "/flow-tune/plan.yaml -o " OUT "/flow-plan"),
               0, "%s", output);
  cr_assert(strstr(output, "nothing measured"), "%s", output);
  cr_assert_eq(system("cmp '" OUT "/flow-compile/model.c' '" OUT "/flow-plan/model.c' && cmp '" OUT
                      "/flow-compile/model.h' '" OUT "/flow-plan/model.h'"),
               0, "compile --plan reproduces compile's bytes");
  /* the plan of one model refused for another */
  cr_assert_eq(neuroc("compile tests/data/passes/branches.onnx -t targets/host.yaml --plan " OUT
                      "/flow-tune/plan.yaml -o " OUT "/flow-other"),
               2);
  cr_assert(strstr(output, "made for another model"), "%s", output);
  cr_assert_eq(neuroc("bench examples/tiny_cnn/model.onnx -t targets/host.yaml --plan " OUT
                      "/flow-tune/plan.yaml --repeat 3"),
               0, "%s", output);
  double median = -1, predicted = -1;
  const char *m = strstr(output, "median_ms "), *p = strstr(output, "predicted_ms ");
  cr_assert(m && p && strstr(output, "ratio "), "%s", output);
  sscanf(m, "median_ms %lf", &median);
  sscanf(p, "predicted_ms %lf", &predicted);
  cr_assert_gt(median, 0.0, "%s", output);
  cr_assert_gt(predicted, 0.0, "%s", output);
}

/* docs/routines.md and docs/cli.md are generated from the code: they must be current. */
Test(cli, generated_docs_are_current) {
  cr_assert_eq(system("cd '" SRC "' && scripts/gen_docs.sh '" NEUROC_EXE "' --check"), 0,
               "regenerate with scripts/gen_docs.sh");
}

/* The options every command shares are spelled the same in every --help,
 * and the measuring commands all offer -j. */
Test(cli, every_command_help_lists_the_common_options) {
  static const char *const all[] = {"inspect", "profile", "tune", "compile", "run",
                                    "bench",   "report",  "routines"};
  static const char *const measuring[] = {"profile", "tune", "compile", "run", "bench"};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    char args[64];
    snprintf(args, sizeof args, "%s --help", all[i]);
    cr_assert_eq(neuroc(args), 0, "%s", args);
    cr_assert(strstr(output, "usage: neuroc "), "%s: %s", args, output);
    cr_assert(strstr(output, "-q, --quiet"), "%s: %s", args, output);
    cr_assert(strstr(output, "-v, --verbose"), "%s: %s", args, output);
    cr_assert(strstr(output, "-h, --help"), "%s: %s", args, output);
    cr_assert(strstr(output, "example: neuroc "), "%s: %s", args, output);
  }
  for (size_t i = 0; i < sizeof measuring / sizeof *measuring; i++) {
    char args[64];
    snprintf(args, sizeof args, "%s -h", measuring[i]);
    cr_assert_eq(neuroc(args), 0, "%s", args);
    cr_assert(strstr(output, "-j, --jobs N"), "%s: %s", args, output);
  }
}

/* An unknown option is a usage error naming it, in every command. */
Test(cli, unknown_option_exit_1_names_it_in_every_command) {
  static const char *const all[] = {"inspect", "profile", "tune", "compile", "run",
                                    "bench",   "report",  "routines"};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    char args[64];
    snprintf(args, sizeof args, "%s --frob-nicate", all[i]);
    cr_assert_eq(neuroc(args), 1, "%s: %s", args, output);
    cr_assert(strstr(output, "unknown option '--frob-nicate'"), "%s: %s", args, output);
  }
}

Test(cli, quiet_and_verbose_are_accepted_everywhere_and_exclusive) {
  /* the table is longer than `output`: to a file */
  cr_assert_eq(neuroc("routines -q > " OUT "/routines.txt"), 0, "%s", output);
  cr_assert_eq(system("grep -q 'cpu:f32:nchw/conv-direct/c99' " OUT "/routines.txt"), 0,
               "routines -q still lists the table");
  cr_assert_eq(neuroc("inspect examples/tiny_cnn/model.onnx -v"), 0, "%s", output);
  cr_assert_eq(neuroc("compile examples/tiny_cnn/model.onnx -t targets/host.yaml -q -v -o " OUT
                      "/qv"),
               1);
  cr_assert(strstr(output, "--quiet and --verbose cannot be combined"), "%s", output);
}

/* -j: a bad count, a command that measures nothing, and the local profiler
 * (timings would disturb each other) are refused before anything runs. */
Test(cli, jobs_refused_where_measurements_would_interfere) {
  cr_assert_eq(neuroc("tune examples/tiny_cnn/model.onnx -t targets/host.yaml -j 0 -o " OUT "/j"), 1);
  cr_assert(strstr(output, "-j needs a count from 1 to 256, got '0'"), "%s", output);
  cr_assert_eq(neuroc("tune examples/tiny_cnn/model.onnx -t targets/host.yaml --jobs many -o " OUT
                      "/j"),
               1);
  cr_assert(strstr(output, "got 'many'"), "%s", output);
  cr_assert_eq(neuroc("inspect examples/tiny_cnn/model.onnx -j 2"), 1);
  cr_assert(strstr(output, "-j is an option of profile"), "%s", output);
  cr_assert_eq(neuroc("profile examples/tiny_cnn/model.onnx -t targets/host.yaml --db none -j2"), 1);
  cr_assert(strstr(output, "local profiler"), "%s", output);
  cr_assert(strstr(output, "targets/host.yaml"), "names the spec: %s", output);
  /* a stdio agent without `parallel:` allows 1 */
  cr_assert_eq(neuroc("tune examples/tiny_cnn/model.onnx -t targets/host-agent-stdio.yaml -j 2 -o " OUT
                      "/j"),
               1);
  cr_assert(strstr(output, "allows at most 1"), "%s", output);
  /* -j 1 is the default and always fine */
  cr_assert_eq(neuroc("profile examples/tiny_cnn/model.onnx -t targets/host.yaml --db none -q -j 1"), 0,
               "%s", output);
}

/* The exit codes of `neuroc --help` are the ones docs/cli.md documents
 * (generated from it) and the ones main.c returns (EXIT_* 0..6). */
Test(cli, exit_codes_documented) {
  cr_assert_eq(neuroc("--help"), 0);
  static const char *const codes[] = {"0 ok", "1 usage", "2 bad input file", "3 unsupported model",
                                      "4 build/run failed", "5 cannot write output",
                                      "6 profiling failed", "70 out of memory"};
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
    cr_assert(strstr(output, codes[i]), "%s missing: %s", codes[i], output);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "grep -q '6 profiling failed' '%s/docs/cli.md'", SRC);
  cr_assert_eq(system(cmd), 0, "docs/cli.md lists the exit codes");
}
