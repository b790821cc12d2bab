/* The aarch64 cross target: targets/aarch64-linux.yaml and the `runtime:`
 * section (paths resolved against the spec's directory, errors naming
 * FILE:LINE), and a cross selection's routines running in the host's
 * executor through stand-ins (execute.c). */
#define _POSIX_C_SOURCE 200809L /* chdir, getcwd */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "execute.h"
#include "ir.h"
#include "target.h"
#include "test_files.h"

#define TMP NEUROC_BINARY_DIR "/tests/target_a64_"

static const char *write_spec(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, TMP "%s.yaml", name);
  tf_spit_text(path, text);
  return path;
}

Test(target_aarch64, shipped_spec) {
  nc_err_clear();
  nc_target *t = nc_target_load(NEUROC_SOURCE_DIR "/targets/aarch64-linux.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  cr_assert_str_eq(t->arch, "aarch64");
  cr_assert_str_eq(t->cc, "aarch64-linux-gnu-gcc");
  cr_assert_str_eq(t->isa, "c99 neon neondot");
  cr_assert(strstr(t->run, "qemu-aarch64"));
  cr_assert_str_eq(t->agent_transport, "stdio");
  /* relative to targets/, where the spec lives */
  cr_assert_str_eq(t->runtime_library,
                   NEUROC_SOURCE_DIR "/targets/../build-aarch64/runtime-min/libneuroc_rt.a");
  cr_assert_str_eq(t->runtime_include, NEUROC_SOURCE_DIR "/targets/../runtime-min/include");
  nc_target_free(t);
}

/* A spec named by a relative path: runtime paths still come out absolute,
 * since the model is compiled from inside its output directory. */
Test(target_aarch64, relative_spec_path) {
  cr_assert_eq(chdir(NEUROC_SOURCE_DIR), 0);
  nc_err_clear();
  nc_target *t = nc_target_load("targets/aarch64-linux.yaml");
  cr_assert_not_null(t, "%s", nc_err_msg());
  char cwd[4096];
  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  char want[8192];
  snprintf(want, sizeof want, "%s/targets/../runtime-min/include", cwd);
  cr_assert_str_eq(t->runtime_include, want);
  nc_target_free(t);
}

Test(target_aarch64, runtime_default_and_absolute) {
  nc_target *t = nc_target_load(write_spec("none", "name: x\n"));
  cr_assert_not_null(t, "%s", nc_err_msg());
  cr_assert_null(t->runtime_library); /* the compiler's own host runtime */
  cr_assert_null(t->runtime_include);
  nc_target_free(t);
  t = nc_target_load(write_spec("abs", "name: x\nruntime:\n  library: /opt/rt/lib.a\n"));
  cr_assert_not_null(t, "%s", nc_err_msg());
  cr_assert_str_eq(t->runtime_library, "/opt/rt/lib.a");
  cr_assert_null(t->runtime_include);
  nc_target_free(t);
}

Test(target_aarch64, runtime_errors) {
  const char *path = write_spec("badkey", "name: x\nruntime:\n  libary: a.a\n");
  nc_err_clear();
  cr_assert_null(nc_target_load(path));
  cr_assert(strstr(nc_err_msg(), ":3: unknown key 'libary' in 'runtime' (did you mean 'library'?)"),
            "%s", nc_err_msg());
  path = write_spec("empty", "name: x\nruntime:\n  include: \"\"\n");
  nc_err_clear();
  cr_assert_null(nc_target_load(path));
  cr_assert(strstr(nc_err_msg(), ":3: 'runtime.include' must not be empty"), "%s", nc_err_msg());
  path = write_spec("scalar", "name: x\nruntime: lib.a\n");
  nc_err_clear();
  cr_assert_null(nc_target_load(path));
  cr_assert(strstr(nc_err_msg(), ":2: 'runtime' must be a mapping"), "%s", nc_err_msg());
}

/* A routine with fn == NULL (a NEON entry on x86, or any ISA this CPU lacks)
 * is never called by the host: nc_exec_host_runnable says so for every
 * table entry whose fn is NULL. */
Test(target_aarch64, host_runnable_never_null_fn) {
  const nc_routine *t = nc_routine_table();
  int n = nc_routine_count(), nulls = 0;
  for (int i = 0; i < n; i++) {
    if (!t[i].fn) {
      nulls++;
      cr_assert(!nc_exec_host_runnable(&t[i]), "%s has no fn but counts as runnable",
                t[i].descriptor);
    }
    char isa[32];
    if (strcmp(nc_routine_isa(&t[i], isa, sizeof isa), "c99") == 0 && t[i].fn)
      cr_assert(nc_exec_host_runnable(&t[i]), "%s is portable C", t[i].descriptor);
  }
  cr_log_info("%d table entries without fn on this host", nulls);
}
