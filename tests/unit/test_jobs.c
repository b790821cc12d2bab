/* -j (docs/agent.md, "Measuring in parallel"): the spec key `agent:
 * parallel` and which specs allow how many agents at once. The end-to-end
 * check that -j 2 gives the plan of -j 1 is tests/targets/mcu_parallel.sh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "agent_client.h"
#include "ir.h"
#include "target.h"

#define TMP NEUROC_BINARY_DIR "/tests/jobs_"

static nc_target *load_text(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, TMP "%s.yaml", name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  nc_err_clear();
  return nc_target_load(path);
}

#define MCU_AGENT                                                                           \
  "name: m\ndevice: cpu\narch: arm\nagent:\n  transport: tcp\n  address: \"127.0.0.1:{port}\"\n" \
  "  command: \"qemu-system-arm -serial tcp:127.0.0.1:{port}\"\n"

Test(jobs, parallel_key_parsed_with_default_1_and_bounds) {
  nc_target *t = load_text("default", MCU_AGENT);
  cr_assert_not_null(t, "%s", nc_err_msg());
  cr_assert_eq(t->agent_parallel, 1);
  nc_target_free(t);
  t = load_text("three", MCU_AGENT "  parallel: 3\n");
  cr_assert_not_null(t, "%s", nc_err_msg());
  cr_assert_eq(t->agent_parallel, 3);
  nc_target_free(t);
  t = load_text("zero", MCU_AGENT "  parallel: 0\n");
  cr_assert_null(t);
  cr_assert(strstr(nc_err_msg(), "jobs_zero.yaml:8"), "names file and line: %s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "parallel"), "%s", nc_err_msg());
}

Test(jobs, check_allows_only_per_connection_agents_up_to_parallel) {
  nc_target *t = load_text("allow", MCU_AGENT "  parallel: 3\n");
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_err_clear();
  cr_assert_eq(nc_cost_check_jobs(t, 1), 0);
  cr_assert_eq(nc_cost_check_jobs(t, 3), 0, "%s", nc_err_msg());
  cr_assert_eq(nc_cost_check_jobs(t, 4), -1);
  cr_assert(strstr(nc_err_msg(), "allows at most 3"), "%s", nc_err_msg());
  nc_target_free(t);

  /* tcp to an agent that is already running: one agent for every connection */
  t = load_text("shared", "name: s\ndevice: cpu\nagent:\n  transport: tcp\n  address: "
                          "\"127.0.0.1:7000\"\n  parallel: 4\n");
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_err_clear();
  cr_assert_eq(nc_cost_check_jobs(t, 2), -1);
  cr_assert(strstr(nc_err_msg(), "without 'command'"), "%s", nc_err_msg());
  nc_target_free(t);

  /* the local profiler: never, whatever the spec says */
  t = load_text("local", "name: l\ndevice: cpu\n");
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_err_clear();
  cr_assert_eq(nc_cost_check_jobs(t, 2), -1);
  cr_assert(strstr(nc_err_msg(), "local profiler"), "%s", nc_err_msg());
  nc_target_free(t);
}

Test(jobs, shipped_specs_allow_parallel_only_where_deterministic) {
  static const struct { const char *spec; int parallel; } want[] = {
      {"targets/cortex-m4-mps2.yaml", 4}, {"targets/cortex-m7-mps2.yaml", 4},
      {"targets/aarch64-linux.yaml", 1},  {"targets/host-agent-stdio.yaml", 1},
      {"targets/host.yaml", 1}};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", NEUROC_SOURCE_DIR, want[i].spec);
    nc_err_clear();
    nc_target *t = nc_target_load(path);
    cr_assert_not_null(t, "%s: %s", path, nc_err_msg());
    cr_assert_eq(t->agent_parallel, want[i].parallel, "%s: parallel %lld", want[i].spec,
                 t->agent_parallel);
    nc_target_free(t);
  }
}
