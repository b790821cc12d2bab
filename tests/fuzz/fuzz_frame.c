/* libFuzzer target: arbitrary bytes into the agent's session (frame scanner,
 * protobuf decoding, request handling), as a client could send them; then an
 * end of input, as when the client hangs up. Measurements are stood in for
 * by the harness's own checks (limits, ISA, dtype), so routine code never runs
 * on fuzzed arguments: the agent isolates that in a child process.
 * Build and run: tests/fuzz/run.sh [SECONDS]. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "neuroc_agent.pb-c.h"
#include "session.h"

static int checked_measure(void *ctx, const nc_routine *r, const nc_args *a,
                           const uint8_t *is_const, const nc_measure_opts *o, nc_measurement *m,
                           char *err, size_t errn) {
  (void)ctx;
  (void)is_const;
  memset(m, 0, sizeof *m);
  int rc = nc_measure_check(r, a, o, err, errn);
  if (rc) return rc;
  m->median_ms = 1.0;
  m->samples = 3;
  return NC_MEASURE_OK;
}

/* Every reply the session wrote must be a well-formed frame holding a Reply. */
static void check_replies(const nc_bytes *out, uint32_t max) {
  size_t pos = 0;
  while (pos < out->len) {
    nc_frame f = nc_frame_next(out->data + pos, out->len - pos, max);
    if (f.status != NC_FRAME_OK) __builtin_trap();
    Neuroc__Agent__Reply *r =
        neuroc__agent__reply__unpack(NULL, f.payload_len, out->data + pos + NC_FRAME_HEADER);
    if (!r) __builtin_trap();
    neuroc__agent__reply__free_unpacked(r, NULL);
    pos += f.skip;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const nc_agent_config cfg = {"fuzz", "fuzz", "c99", 1u << 20, 1u << 16,
                                      checked_measure, NULL};
  nc_agent_session s;
  nc_agent_session_init(&s, &cfg);
  /* Feed in two pieces so frames split across reads are covered too. */
  size_t cut = size ? data[0] % (size + 1) : 0;
  nc_agent_session_feed(&s, data, cut);
  nc_agent_session_feed(&s, data + cut, size - cut);
  while (nc_agent_session_partial(&s))
    if (nc_agent_session_truncated(&s)) break;
  check_replies(&s.out, 1u << 30);
  nc_agent_session_free(&s);
  return 0;
}
