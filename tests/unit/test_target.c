/* Target specs: targets/host.yaml, defaults, and FILE:LINE errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"
#include "test_files.h"
#include "ir.h"

#define TMP NEUROC_BINARY_DIR "/tests/target_"

static const char *write_spec(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, TMP "%s.yaml", name);
  tf_spit_text(path, text);
  return path;
}

static nc_target *load_ok(const char *path) {
  nc_err_clear();
  nc_target *t = nc_target_load(path);
  cr_assert_not_null(t, "%s", nc_err_msg());
  return t;
}

/* Loading must fail with a message holding "PATH:LINE: " and `phrase`. */
static void expect_error(const char *name, const char *text, int line, const char *phrase) {
  const char *path = write_spec(name, text);
  nc_err_clear();
  nc_target *t = nc_target_load(path);
  nc_target_free(t);
  cr_assert_null(t, "%s should not load", name);
  char where[600];
  snprintf(where, sizeof where, "%s:%d: ", path, line);
  cr_assert(strncmp(nc_err_msg(), where, strlen(where)) == 0, "'%s' does not start with '%s'",
            nc_err_msg(), where);
  cr_assert(strstr(nc_err_msg(), phrase), "'%s' lacks '%s'", nc_err_msg(), phrase);
  remove(path);
}

Test(target, host_yaml) {
  nc_target *t = load_ok(NEUROC_SOURCE_DIR "/targets/host.yaml");
  cr_assert_str_eq(t->name, "host");
  cr_assert_str_eq(t->device, "cpu");
  cr_assert_str_eq(t->cc, "cc");
  cr_assert_str_eq(t->cflags, "-O2");
  cr_assert_str_eq(t->ldflags, "-lm");
  cr_assert_str_eq(t->isa, "native");
  cr_assert_str_eq(t->run, "");
  cr_assert_eq(t->alignment, 64);
  cr_assert_float_eq(t->profile_min_ms, 2.0, 1e-12);
  cr_assert_eq(t->profile_warmup, 1);
  cr_assert(t->arch && t->arch[0]);
  cr_assert_str_eq(t->agent_transport, "local");
  cr_assert_float_eq(t->agent_timeout_s, 120.0, 1e-12);
  nc_target_free(t);
}

Test(target, agent_specs) {
  nc_target *t = load_ok(NEUROC_SOURCE_DIR "/targets/host-agent-stdio.yaml");
  cr_assert_str_eq(t->agent_transport, "stdio");
  cr_assert_str_eq(t->agent_command, "../build/runtime-min/agent/neuroc-agent --stdio --quiet");
  cr_assert_null(t->agent_address);
  nc_target_free(t);
  t = load_ok(NEUROC_SOURCE_DIR "/targets/host-agent-tcp.yaml");
  cr_assert_str_eq(t->agent_transport, "tcp");
  cr_assert_str_eq(t->agent_address, "127.0.0.1:7000");
  nc_target_free(t);
  t = load_ok(write_spec("agent_flow",
                         "name: b\nagent: {transport: tcp, address: \"h:1\", timeout_s: 2.5}\n"));
  cr_assert_str_eq(t->agent_address, "h:1");
  cr_assert_float_eq(t->agent_timeout_s, 2.5, 1e-12);
  nc_target_free(t);
}

Test(target, agent_errors) {
  expect_error("agent_transport", "name: x\nagent:\n  transport: pigeon\n", 3,
               "'transport' must be local, stdio, tcp or serial, got 'pigeon'");
  expect_error("agent_nodevice", "name: x\nagent:\n  transport: serial\n", 3,
               "agent transport 'serial' needs 'device'");
  expect_error("agent_nocmd", "name: x\nagent:\n  transport: stdio\n", 3,
               "agent transport 'stdio' needs 'command'");
  expect_error("agent_noaddr", "name: x\nagent: {transport: tcp}\n", 2,
               "agent transport 'tcp' needs 'address'");
  expect_error("agent_timeout", "name: x\nagent:\n  timeout_s: 0\n", 3,
               "'timeout_s' must be above 0");
  expect_error("agent_key", "name: x\nagent:\n  comand: a\n", 3,
               "unknown key 'comand' in 'agent' (did you mean 'command'?)");
}

Test(target, defaults) {
  nc_target *t = load_ok(write_spec("min", "name: tiny\n"));
  cr_assert_str_eq(t->name, "tiny");
  cr_assert_str_eq(t->device, "cpu");
  cr_assert_str_eq(t->cc, "cc");
  cr_assert_str_eq(t->cflags, "-O2");
  cr_assert_str_eq(t->ldflags, "-lm");
  cr_assert_str_eq(t->isa, "c99");
  cr_assert_str_eq(t->run, "");
  cr_assert_eq(t->alignment, 64);
  cr_assert_float_eq(t->profile_min_ms, 2.0, 1e-12);
  cr_assert_eq(t->profile_warmup, 1);
  cr_assert(strstr(t->path, "target_min.yaml"));
  cr_assert_str_eq(t->agent_transport, "local");
  cr_assert_null(t->agent_command);
  nc_target_free(t);
}

Test(target, all_keys_set) {
  nc_target *t = load_ok(write_spec("full",
                                    "name: board\n"
                                    "device: cpu\n"
                                    "arch: aarch64\n"
                                    "cc: aarch64-linux-gnu-gcc\n"
                                    "cflags: [-O3, -mcpu=cortex-a53]\n"
                                    "ldflags: \"-lm -static\"\n"
                                    "isa: c99\n"
                                    "run: qemu-aarch64 -L /usr/aarch64-linux-gnu\n"
                                    "alignment: 16\n"
                                    "profile:\n"
                                    "  min_ms: 0.5\n"
                                    "  warmup: 3\n"));
  cr_assert_str_eq(t->arch, "aarch64");
  cr_assert_str_eq(t->cc, "aarch64-linux-gnu-gcc");
  cr_assert_str_eq(t->cflags, "-O3 -mcpu=cortex-a53");
  cr_assert_str_eq(t->ldflags, "-lm -static");
  cr_assert_str_eq(t->run, "qemu-aarch64 -L /usr/aarch64-linux-gnu");
  cr_assert_eq(t->alignment, 16);
  cr_assert_float_eq(t->profile_min_ms, 0.5, 1e-12);
  cr_assert_eq(t->profile_warmup, 3);
  nc_target_free(t);
}

Test(target, unknown_key_with_suggestion) {
  expect_error("unknown", "name: x\ncc: gcc\nalignmnet: 32\n", 3,
               "unknown key 'alignmnet' in the target spec (did you mean 'alignment'?)");
  expect_error("unknown_nested", "# comment\nname: x\nprofile:\n  min_msec: 3\n", 4,
               "unknown key 'min_msec' in 'profile' (did you mean 'min_ms'?)");
}

Test(target, wrong_types) {
  expect_error("align_abc", "name: x\nalignment: abc\n", 2,
               "'alignment' must be an integer, got 'abc'");
  expect_error("align_pow2", "name: x\n\nalignment: 48\n", 3,
               "'alignment' must be a power of two, got 48");
  expect_error("warmup", "name: x\nprofile:\n  warmup: [1]\n", 3, "'warmup' must be an integer");
  expect_error("min_ms", "name: x\nprofile:\n  min_ms: fast\n", 3,
               "'min_ms' must be a non-negative number, got 'fast'");
  expect_error("cc_map", "name: x\ncc:\n  path: gcc\n", 3, "'cc' must be a string");
  expect_error("profile_scalar", "name: x\nprofile: 3\n", 2, "'profile' must be a mapping");
}

Test(target, syntax_errors) {
  expect_error("syntax_indent", "name: x\n  cc: gcc\n", 2,
               "YAML syntax error: mapping values are not allowed");
  expect_error("syntax_flow", "name: x\ncc: [gcc\nisa: c99\n", 3,
               "YAML syntax error: did not find expected ',' or ']'");
}

Test(target, structure_errors) {
  expect_error("noname", "cc: gcc\n", 1, "missing required key 'name'");
  expect_error("dup", "name: x\nname: y\n", 2, "duplicate key 'name'");
  expect_error("list", "- a\n- b\n", 1, "must be a mapping");
  expect_error("empty", "", 1, "empty target spec");
}

Test(target, missing_file) {
  nc_err_clear();
  cr_assert_null(nc_target_load(TMP "does_not_exist.yaml"));
  cr_assert(strstr(nc_err_msg(), "target_does_not_exist.yaml: cannot open target spec: No such "
                                 "file or directory"), "%s", nc_err_msg());
}
