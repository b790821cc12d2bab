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

/* Run neuroc with args; returns its exit code, stdout+stderr in output. */
static int neuroc(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cd '%s' && '%s' %s 2>&1", OUT, SRC, NEUROC_EXE, args);
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

/* docs/routines.md and docs/cli.md are generated from the code: they must be current. */
Test(cli, generated_docs_are_current) {
  cr_assert_eq(system("cd '" SRC "' && scripts/gen_docs.sh '" NEUROC_EXE "' --check"), 0,
               "regenerate with scripts/gen_docs.sh");
}
