/* The agent transports for microcontrollers (docs/mcu.md), exercised with
 * the Linux neuroc-agent so no emulator or board is needed:
 * - `transport: tcp` with a `command` that neuroc starts (qemu-system-arm
 *   with the UART on a socket) and "{port}" (a free port neuroc picks):
 *   handshake and a measurement, then a command that exits, one that never
 *   listens, one that accepts and stays silent — each a clear error within
 *   the timeout, the process group killed and reaped;
 * - `transport: serial` (termios): the agent on the master side of a
 *   pseudo-terminal, neuroc on its slave device; a missing device, a file
 *   that is not a terminal and an unsupported baud rate. */
#define _XOPEN_SOURCE 700 /* posix_openpt, ptsname */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_client.h"

#define AGENT NEUROC_BINARY_DIR "/runtime-min/agent/neuroc-agent"
#define TMP NEUROC_BINARY_DIR "/tests/mcu_transport_"

static nc_target *spec(const char *name, const char *command, double timeout_s) {
  char path[512], text[2048];
  snprintf(path, sizeof path, TMP "%s.yaml", name);
  snprintf(text, sizeof text,
           "name: launched\nisa: native\nprofile: {min_ms: 0.5, warmup: 1}\n"
           "agent:\n  transport: tcp\n  address: \"127.0.0.1:{port}\"\n"
           "  command: '%s'\n  timeout_s: %g\n",
           command, timeout_s);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  nc_err_clear();
  nc_target *t = nc_target_load(path);
  cr_assert_not_null(t, "%s", nc_err_msg());
  return t;
}

/* No child of this test is left over (reaped, none running). */
static void assert_no_children(void) {
  cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child process was left behind");
}

Test(mcu_transport, launched_agent_measures) {
  nc_target *t = spec("ok", AGENT " --listen 127.0.0.1:{port} --once --quiet", 20);
  nc_cost_source *s = nc_cost_agent_new(t);
  cr_assert_not_null(s, "%s", nc_err_msg());
  cr_assert_str_eq(s->library_version, nc_runtime_version());
  nc_tdesc in[2] = {{NC_F32, 2, {8, 8}}, {NC_F32, 2, {8, 8}}}, out[1] = {{NC_F32, 2, {8, 8}}};
  nc_args a = {2, 1, in, out, NULL, NULL, 0, 0};
  double ms = -1, spread = -1;
  const nc_routine *r = nc_routine_find("cpu:f32:nchw/matmul-ref/c99");
  cr_assert_not_null(r);
  cr_assert_eq(s->measure(s, r, &a, NULL, &ms, &spread), 0, "%s", nc_err_msg());
  cr_assert(ms > 0 && spread >= 0);
  nc_cost_free(s);
  assert_no_children();
  nc_target_free(t);
}

Test(mcu_transport, command_that_exits) {
  nc_target *t = spec("exits", "echo starting >&2; exit 3", 20);
  double t0 = nc_now_seconds();
  cr_assert_null(nc_cost_agent_new(t));
  cr_assert_lt(nc_now_seconds() - t0, 5.0);
  cr_assert(strstr(nc_err_msg(), "exited with status 3"), "%s", nc_err_msg());
  cr_assert(strstr(nc_err_msg(), "started by 'echo starting"), "%s", nc_err_msg());
  assert_no_children();
  nc_target_free(t);
}

Test(mcu_transport, command_that_never_listens) {
  nc_target *t = spec("deaf", "sleep 30", 0.5);
  double t0 = nc_now_seconds();
  cr_assert_null(nc_cost_agent_new(t));
  double dt = nc_now_seconds() - t0;
  cr_assert(dt >= 0.5 && dt < 5.0, "gave up after %g s", dt);
  cr_assert(strstr(nc_err_msg(), "cannot connect within 0.5 s"), "%s", nc_err_msg());
  assert_no_children(); /* the sleep was killed with its process group */
  nc_target_free(t);
}

Test(mcu_transport, command_that_accepts_and_stays_silent) {
  /* accepts the connection and never answers (like firmware that hangs) */
  const char *py = TMP "silent.py";
  FILE *f = fopen(py, "w");
  cr_assert_not_null(f);
  fputs("import socket, sys, time\n"
        "s = socket.socket()\n"
        "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
        "s.listen()\n"
        "c = s.accept()\n"
        "time.sleep(30)\n",
        f);
  fclose(f);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "exec python3 %s {port}", py);
  nc_target *t = spec("silent", cmd, 1);
  double t0 = nc_now_seconds();
  cr_assert_null(nc_cost_agent_new(t));
  double dt = nc_now_seconds() - t0;
  cr_assert(dt < 6.0, "gave up after %g s", dt);
  cr_assert(strstr(nc_err_msg(), "did not answer within 1 s while handshaking"), "%s",
            nc_err_msg());
  assert_no_children();
  nc_target_free(t);
}

/* ---------------- serial ---------------- */

static nc_target *serial_spec(const char *name, const char *device, long baud) {
  char path[512], text[1024];
  snprintf(path, sizeof path, TMP "%s.yaml", name);
  snprintf(text, sizeof text,
           "name: board\nisa: native\nprofile: {min_ms: 0.5, warmup: 1}\n"
           "agent: {transport: serial, device: \"%s\", baud: %ld, timeout_s: 20}\n",
           device, baud);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  nc_err_clear();
  nc_target *t = nc_target_load(path);
  cr_assert_not_null(t, "%s", nc_err_msg());
  return t;
}

Test(mcu_transport, serial_over_a_pty) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  cr_assert_geq(master, 0);
  cr_assert_eq(grantpt(master), 0);
  cr_assert_eq(unlockpt(master), 0);
  char dev[256];
  snprintf(dev, sizeof dev, "%s", ptsname(master));
  /* the "board": the agent speaking on the master side */
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    dup2(master, 0);
    dup2(master, 1);
    close(master);
    execl(AGENT, AGENT, "--stdio", "--quiet", (char *)NULL);
    _exit(127);
  }
  nc_target *t = serial_spec("pty", dev, 115200);
  nc_cost_source *s = nc_cost_agent_new(t);
  cr_assert_not_null(s, "%s", nc_err_msg());
  cr_assert_str_eq(s->library_version, nc_runtime_version());
  nc_tdesc in[2] = {{NC_F32, 2, {16, 16}}, {NC_F32, 2, {16, 16}}}, out[1] = {{NC_F32, 2, {16, 16}}};
  nc_args a = {2, 1, in, out, NULL, NULL, 0, 0};
  double ms = -1, spread = -1;
  const nc_routine *r = nc_routine_find("cpu:f32:nchw/matmul-ref/c99");
  cr_assert_eq(s->measure(s, r, &a, NULL, &ms, &spread), 0, "%s", nc_err_msg());
  cr_assert(ms > 0);
  nc_cost_free(s); /* Shutdown: the agent ends */
  int ws = 0;
  cr_assert_eq(waitpid(pid, &ws, 0), pid);
  cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "agent status %d", ws);
  close(master);
  nc_target_free(t);
}

Test(mcu_transport, serial_errors) {
  nc_target *t = serial_spec("nodev", "/nonexistent/ttyACM9", 115200);
  cr_assert_null(nc_cost_agent_new(t));
  cr_assert(strstr(nc_err_msg(), "agent on /nonexistent/ttyACM9: cannot open: No such file"),
            "%s", nc_err_msg());
  nc_target_free(t);
  t = serial_spec("notty", "/dev/null", 115200);
  cr_assert_null(nc_cost_agent_new(t));
  cr_assert(strstr(nc_err_msg(), "agent on /dev/null: not a serial device"), "%s", nc_err_msg());
  nc_target_free(t);
  t = serial_spec("baud", "/dev/null", 12345);
  cr_assert_null(nc_cost_agent_new(t));
  cr_assert(strstr(nc_err_msg(), "baud 12345 is not one of"), "%s", nc_err_msg());
  nc_target_free(t);
}
