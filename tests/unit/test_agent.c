/* neuroc-agent and its client: handshake and measurements over stdio and TCP,
 * agreement with the local profiler, every kind of bad frame answered with an
 * Error while the agent keeps serving, version refusals, a dead or silent
 * agent turned into a clear error. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "frame.h"
#include "neuroc_agent.pb-c.h"

#define AGENT NEUROC_BINARY_DIR "/runtime-min/agent/neuroc-agent"
#define TMP NEUROC_BINARY_DIR "/tests/agent_"

static const char *write_file(const char *name, const char *text) {
  static char path[4][512];
  static int k;
  char *p = path[k++ % 4];
  snprintf(p, 512, TMP "%s", name);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

static nc_target *spec(const char *name, const char *agent_section) {
  char text[2048];
  snprintf(text, sizeof text, "name: host\nisa: native\nprofile: {min_ms: 2, warmup: 1}\n%s",
           agent_section);
  nc_err_clear();
  nc_target *t = nc_target_load(write_file(name, text));
  cr_assert_not_null(t, "%s", nc_err_msg());
  return t;
}

/* MatMul [M,K] x [K,N]: no layer arguments, shapes say everything. */
typedef struct mm {
  nc_tdesc in[2], out[1];
  nc_args a;
} mm;

static void matmul(mm *m, int64_t M, int64_t K, int64_t N, int brank) {
  memset(m, 0, sizeof *m);
  m->in[0] = (nc_tdesc){NC_F32, 2, {M, K}};
  m->in[1] = brank == 3 ? (nc_tdesc){NC_F32, 3, {1, K, N}} : (nc_tdesc){NC_F32, 2, {K, N}};
  m->out[0] = brank == 3 ? (nc_tdesc){NC_F32, 3, {1, M, N}} : (nc_tdesc){NC_F32, 2, {M, N}};
  m->a = (nc_args){2, 1, m->in, m->out, NULL, NULL, 0, 0};
}

static const nc_routine *routine(const char *desc) {
  const nc_routine *r = nc_routine_find(desc);
  cr_assert_not_null(r, "%s not in the table", desc);
  return r;
}

static void measure_ok(nc_cost_source *s, const nc_routine *r, const nc_args *a,
                       const void *const *consts, double *ms) {
  double spread = -1;
  nc_err_clear();
  cr_assert_eq(s->measure(s, r, a, consts, ms, &spread), 0, "%s", nc_err_msg());
  cr_assert(*ms > 0 && spread >= 0, "ms %g spread %g", *ms, spread);
  cr_assert(nc_cost_last(s)->samples >= 3);
}

/* Handshake identity, a measurement, the packed routine with a constant B. */
static void exercise(nc_cost_source *s) {
  char fp[2048];
  cr_assert_str_eq(s->library_version, nc_runtime_version());
  /* same machine, same compiler, same library: the same fingerprint */
  cr_assert_str_eq(s->fingerprint, nc_target_fingerprint(fp, sizeof fp));
  cr_assert(strstr(s->fingerprint, "isa=c99"));
  mm m;
  matmul(&m, 96, 96, 96, 2);
  double ms, local_ms;
  measure_ok(s, routine("cpu:f32:nchw/matmul-ref/c99"), &m.a, NULL, &ms);
  nc_cost_source *local = nc_cost_local_new(NULL);
  measure_ok(local, routine("cpu:f32:nchw/matmul-ref/c99"), &m.a, NULL, &local_ms);
  nc_cost_free(local);
  cr_assert(ms > local_ms / 4 && ms < local_ms * 4, "agent %g ms vs local %g ms", ms, local_ms);
  /* the agent makes and packs the weight itself: only the flag travels */
  static float b[96 * 96];
  const void *consts[2] = {NULL, b};
  measure_ok(s, routine("cpu:f32:nchw/matmul-packed/c99"), &m.a, consts, &ms);
  long measured = s->measured;
  measure_ok(s, routine("cpu:f32:nchw/matmul-packed/c99"), &m.a, consts, &ms);
  cr_assert_eq(s->measured, measured, "an identical pair is measured once");
  cr_assert_eq(s->cached, 1);
}

Test(agent, stdio_handshake_and_measure) {
  nc_target *t = spec("stdio.yaml", "agent:\n  transport: stdio\n  command: \"" AGENT
                                    " --stdio --quiet\"\n");
  nc_err_clear();
  nc_cost_source *s = nc_cost_source_for_target(t);
  cr_assert_not_null(s, "%s", nc_err_msg());
  cr_assert_str_eq(s->name, "agent-stdio");
  exercise(s);
  nc_cost_free(s);
  nc_target_free(t);
}

Test(agent, relative_command_resolves_against_spec_dir) {
  /* the spec lives in BINARY_DIR/tests: the agent is ../runtime-min/agent */
  nc_target *t = spec("rel.yaml", "agent: {transport: stdio, command: "
                                  "\"../runtime-min/agent/neuroc-agent --stdio --quiet\"}\n");
  nc_err_clear();
  nc_cost_source *s = nc_cost_agent_new(t);
  cr_assert_not_null(s, "%s", nc_err_msg());
  nc_cost_free(s);
  nc_target_free(t);
}

static pid_t start_listener(const char *portfile, char *port, size_t n) {
  remove(portfile);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    execl(AGENT, AGENT, "--listen", "127.0.0.1:0", "--port-file", portfile, "--quiet",
          (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    FILE *f = fopen(portfile, "r");
    if (f) {
      int ok = fgets(port, (int)n, f) != NULL;
      fclose(f);
      if (ok) {
        port[strcspn(port, "\n")] = 0;
        return pid;
      }
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  cr_assert_fail("agent did not report its port");
  return pid;
}

Test(agent, tcp_handshake_and_measure) {
  char port[32], section[256];
  pid_t pid = start_listener(TMP "port", port, sizeof port);
  snprintf(section, sizeof section, "agent: {transport: tcp, address: \"127.0.0.1:%s\"}\n", port);
  nc_target *t = spec("tcp.yaml", section);
  for (int round = 0; round < 2; round++) { /* clients one after another */
    nc_err_clear();
    nc_cost_source *s = nc_cost_source_for_target(t);
    cr_assert_not_null(s, "%s", nc_err_msg());
    cr_assert_str_eq(s->name, "agent-tcp");
    if (round == 0) exercise(s);
    nc_cost_free(s); /* sends Shutdown on the second round */
  }
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  nc_target_free(t);
}

Test(agent, tcp_connection_refused) {
  char port[32], section[256];
  pid_t pid = start_listener(TMP "port2", port, sizeof port);
  kill(pid, SIGKILL); /* a port that was just free and is now closed */
  waitpid(pid, NULL, 0);
  snprintf(section, sizeof section, "agent: {transport: tcp, address: \"127.0.0.1:%s\"}\n", port);
  nc_target *t = spec("refused.yaml", section);
  nc_err_clear();
  cr_assert_null(nc_cost_agent_new(t));
  cr_assert(strstr(nc_err_msg(), "cannot connect: Connection refused"), "%s", nc_err_msg());
  nc_target_free(t);
}

/* ---------------- raw protocol against one agent over pipes ---------------- */

typedef struct raw {
  pid_t pid;
  int wfd, rfd;
  nc_bytes in;
} raw;

static void raw_start(raw *r, const char *extra) {
  int to[2], from[2];
  cr_assert(pipe(to) == 0 && pipe(from) == 0);
  memset(r, 0, sizeof *r);
  r->pid = fork();
  if (r->pid == 0) {
    dup2(to[0], 0);
    dup2(from[1], 1);
    close(to[1]);
    close(from[0]);
    execl(AGENT, AGENT, "--stdio", "--quiet", "--frame-timeout", "0.3", "--max-bytes",
          "100000000", extra, (char *)NULL);
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  r->wfd = to[1];
  r->rfd = from[0];
  signal(SIGPIPE, SIG_IGN);
}

static void raw_send(raw *r, const void *p, size_t n) {
  cr_assert_eq(write(r->wfd, p, n), (ssize_t)n);
}

static void raw_request(raw *r, Neuroc__Agent__Request *q) {
  size_t n = neuroc__agent__request__get_packed_size(q);
  uint8_t *buf = malloc(NC_FRAME_HEADER + n);
  nc_frame_header(buf, (uint32_t)n);
  neuroc__agent__request__pack(q, buf + NC_FRAME_HEADER);
  raw_send(r, buf, NC_FRAME_HEADER + n);
  free(buf);
}

/* The next reply, within 10 s. */
static Neuroc__Agent__Reply *raw_reply(raw *r) {
  for (;;) {
    nc_frame f = nc_frame_next(r->in.data, r->in.len, NC_FRAME_MAX_DEFAULT);
    cr_assert(f.status == NC_FRAME_OK || f.status == NC_FRAME_NEED_MORE, "agent wrote garbage");
    if (f.status == NC_FRAME_OK) {
      Neuroc__Agent__Reply *rep =
          neuroc__agent__reply__unpack(NULL, f.payload_len, r->in.data + NC_FRAME_HEADER);
      cr_assert_not_null(rep);
      nc_bytes_drop_front(&r->in, f.skip);
      return rep;
    }
    struct pollfd pf = {r->rfd, POLLIN, 0};
    cr_assert_eq(poll(&pf, 1, 10000), 1, "no reply within 10 s");
    uint8_t buf[4096];
    ssize_t k = read(r->rfd, buf, sizeof buf);
    cr_assert(k > 0, "agent closed its output");
    nc_bytes_append(&r->in, buf, (size_t)k);
  }
}

static void expect_error_code(raw *r, Neuroc__Agent__ErrorCode code, const char *phrase) {
  Neuroc__Agent__Reply *rep = raw_reply(r);
  cr_assert_eq(rep->body_case, NEUROC__AGENT__REPLY__BODY_ERROR, "expected an Error (%s)", phrase);
  cr_assert_eq(rep->error->code, code, "code %d for '%s'", rep->error->code, rep->error->message);
  cr_assert(strstr(rep->error->message, phrase), "'%s' lacks '%s'", rep->error->message, phrase);
  neuroc__agent__reply__free_unpacked(rep, NULL);
}

static void send_hello(raw *r, uint32_t version, uint64_t id) {
  Neuroc__Agent__Hello h = NEUROC__AGENT__HELLO__INIT;
  h.protocol_version = version;
  h.client = "test";
  Neuroc__Agent__Request q = NEUROC__AGENT__REQUEST__INIT;
  q.id = id;
  q.body_case = NEUROC__AGENT__REQUEST__BODY_HELLO;
  q.hello = &h;
  raw_request(r, &q);
}

/* A Measure of MatMul [M,K]x[K,N] (B of rank brank) with routine desc. */
static void send_measure(raw *r, const char *desc, int64_t M, int64_t K, int64_t N, int brank,
                         uint64_t id) {
  mm m;
  matmul(&m, M, K, N, brank);
  Neuroc__Agent__TensorDesc td[3], *in[2] = {&td[0], &td[1]}, *out[1] = {&td[2]};
  const nc_tdesc *src[3] = {&m.in[0], &m.in[1], &m.out[0]};
  for (int i = 0; i < 3; i++) {
    neuroc__agent__tensor_desc__init(&td[i]);
    td[i].dtype = src[i]->dtype;
    td[i].n_dims = (size_t)src[i]->ndim;
    td[i].dims = (int64_t *)src[i]->dims;
  }
  protobuf_c_boolean cst[2] = {0, 1};
  Neuroc__Agent__Measure mq = NEUROC__AGENT__MEASURE__INIT;
  mq.routine = (char *)desc;
  mq.n_inputs = 2;
  mq.inputs = in;
  mq.n_outputs = 1;
  mq.outputs = out;
  mq.n_constant = 2;
  mq.constant = cst;
  mq.min_ms = 1;
  mq.warmup = 1;
  Neuroc__Agent__Request q = NEUROC__AGENT__REQUEST__INIT;
  q.id = id;
  q.body_case = NEUROC__AGENT__REQUEST__BODY_MEASURE;
  q.measure = &mq;
  raw_request(r, &q);
}

/* A valid measurement still works: the agent kept serving. */
static void expect_serving(raw *r, uint64_t id) {
  send_measure(r, "cpu:f32:nchw/matmul-packed/c99", 16, 16, 16, 2, id);
  Neuroc__Agent__Reply *rep = raw_reply(r);
  cr_assert_eq(rep->body_case, NEUROC__AGENT__REPLY__BODY_MEASURE,
               "request %llu: not a MeasureReply (%s)", (unsigned long long)id,
               rep->body_case == NEUROC__AGENT__REPLY__BODY_ERROR ? rep->error->message : "?");
  cr_assert_eq(rep->id, id);
  cr_assert(rep->measure->median_ms > 0 && rep->measure->samples >= 3);
  neuroc__agent__reply__free_unpacked(rep, NULL);
}

static void raw_stop(raw *r) {
  close(r->wfd);
  int ws = 0;
  waitpid(r->pid, &ws, 0);
  close(r->rfd);
  nc_bytes_free(&r->in);
  cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "agent ended badly (status %d)", ws);
}

Test(agent, bad_frames_get_errors_and_agent_keeps_serving) {
  raw r;
  raw_start(&r, "--quiet");
  send_measure(&r, "cpu:f32:nchw/matmul-ref/c99", 8, 8, 8, 2, 1);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__NO_HELLO, "before a successful Hello");
  send_hello(&r, 99, 2);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__VERSION_MISMATCH, "protocol version 99");
  send_hello(&r, NC_AGENT_PROTOCOL_VERSION, 3);
  Neuroc__Agent__Reply *h = raw_reply(&r);
  cr_assert_eq(h->body_case, NEUROC__AGENT__REPLY__BODY_HELLO);
  cr_assert_str_eq(h->hello->library_version, nc_runtime_version());
  cr_assert_eq(h->hello->n_routines, (size_t)nc_routine_count());
  cr_assert_eq(h->hello->max_bytes, 100000000u);
  neuroc__agent__reply__free_unpacked(h, NULL);
  expect_serving(&r, 4);

  /* garbage bytes outside any frame */
  raw_send(&r, "this is not a frame\n", 20);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__MALFORMED, "20 bytes outside any frame");
  expect_serving(&r, 5);
  /* a well-formed frame whose payload is not a Request */
  uint8_t bad[8 + 6];
  nc_frame_header(bad, 6);
  memcpy(bad + 8, "\xff\xff\xff\xff\xff\xff", 6);
  raw_send(&r, bad, sizeof bad);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__MALFORMED, "does not hold a Request");
  expect_serving(&r, 6);
  /* a length over the limit */
  uint8_t big[8];
  nc_frame_header(big, 0x7fffffffu);
  raw_send(&r, big, sizeof big);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__OVERSIZED, "exceeds the limit");
  expect_serving(&r, 7);
  /* a frame that stops arriving part-way (then a pause past --frame-timeout) */
  uint8_t cut[8 + 10];
  nc_frame_header(cut, 100);
  memset(cut + 8, 0x08, 10);
  raw_send(&r, cut, sizeof cut);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__TRUNCATED, "stopped arriving after 18 bytes");
  expect_serving(&r, 8);
  /* an unknown routine */
  send_measure(&r, "cpu:f32:nchw/matmul-magic/c99", 8, 8, 8, 2, 9);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__UNKNOWN_ROUTINE, "matmul-magic");
  expect_serving(&r, 10);
  /* arguments the routine does not apply to: packed MatMul wants a 1-D/2-D B */
  send_measure(&r, "cpu:f32:nchw/matmul-packed/c99", 8, 8, 8, 3, 11);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__NOT_APPLICABLE, "does not apply");
  expect_serving(&r, 12);
  /* a tensor over the byte limit (100 MB here): 40000 x 40000 floats */
  send_measure(&r, "cpu:f32:nchw/matmul-ref/c99", 40000, 40000, 8, 2, 13);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__LIMIT, "over the limit of 100000000 bytes");
  expect_serving(&r, 14);
  /* a request with no body */
  Neuroc__Agent__Request empty = NEUROC__AGENT__REQUEST__INIT;
  empty.id = 15;
  raw_request(&r, &empty);
  expect_error_code(&r, NEUROC__AGENT__ERROR_CODE__MALFORMED, "has no body");
  expect_serving(&r, 16);
  raw_stop(&r);
}

/* ---------------- client refusals and failures ---------------- */

/* A fake agent that answers any Hello with a canned reply. */
static nc_target *fake_agent(const char *name, uint32_t version, const char *library) {
  Neuroc__Agent__HelloReply hr = NEUROC__AGENT__HELLO_REPLY__INIT;
  hr.protocol_version = version;
  hr.library_version = (char *)library;
  hr.fingerprint = "fake";
  Neuroc__Agent__Reply rep = NEUROC__AGENT__REPLY__INIT;
  rep.id = 1;
  rep.body_case = NEUROC__AGENT__REPLY__BODY_HELLO;
  rep.hello = &hr;
  size_t n = neuroc__agent__reply__get_packed_size(&rep);
  uint8_t buf[1024];
  nc_frame_header(buf, (uint32_t)n);
  neuroc__agent__reply__pack(&rep, buf + NC_FRAME_HEADER);
  char path[512], section[1200];
  snprintf(path, sizeof path, TMP "%s.bin", name);
  FILE *f = fopen(path, "wb");
  fwrite(buf, 1, NC_FRAME_HEADER + n, f);
  fclose(f);
  snprintf(section, sizeof section,
           "agent: {transport: stdio, timeout_s: 5, command: \"cat %s; sleep 5\"}\n", path);
  return spec(name, section);
}

static void expect_refused(nc_target *t, const char *phrase) {
  nc_err_clear();
  double t0 = nc_now_seconds();
  cr_assert_null(nc_cost_agent_new(t));
  cr_assert(strstr(nc_err_msg(), phrase), "'%s' lacks '%s'", nc_err_msg(), phrase);
  cr_assert(nc_now_seconds() - t0 < 4, "took %g s", nc_now_seconds() - t0);
  nc_target_free(t);
}

Test(agent, client_refuses_other_protocol_or_library) {
  expect_refused(fake_agent("fake_proto", 7, nc_runtime_version()),
                 "speaks protocol version 7, this compiler version 1");
  expect_refused(fake_agent("fake_lib", 1, "0.0.0+deadbeef"),
                 "runs routine library 0.0.0+deadbeef but this compiler emits code for");
}

Test(agent, handshake_garbage_and_missing_agent) {
  expect_refused(spec("banner.yaml", "agent: {transport: stdio, command: \"echo Welcome to "
                                     "the board; sleep 5\"}\n"),
                 "bytes that are not a protocol frame while handshaking: 'Welcome to the board");
  expect_refused(spec("missing.yaml", "agent: {transport: stdio, command: \"./no-such-agent "
                                      "--stdio\"}\n"),
                 "could not be started (exit status 127");
}

Test(agent, silent_agent_times_out) {
  nc_target *t = spec("silent.yaml", "agent: {transport: stdio, timeout_s: 0.5, command: "
                                     "\"sleep 30\"}\n");
  expect_refused(t, "did not answer within 0.5 s while handshaking");
}

typedef struct killer {
  const char *pidfile;
} killer;

static void *kill_later(void *arg) {
  const killer *k = arg;
  struct timespec ts = {0, 400 * 1000 * 1000};
  nanosleep(&ts, NULL);
  FILE *f = fopen(k->pidfile, "r");
  int pid = 0;
  if (f) {
    if (fscanf(f, "%d", &pid) != 1) pid = 0;
    fclose(f);
  }
  if (pid > 0) kill(pid, SIGKILL);
  return NULL;
}

Test(agent, killed_mid_measurement_is_a_clear_error) {
  const char *pidfile = TMP "kill.pid";
  char section[1024];
  snprintf(section, sizeof section,
           "agent: {transport: stdio, command: \"echo $$ > %s; exec %s --stdio --quiet\"}\n"
           "profile: {min_ms: 400, warmup: 1000}\n",
           pidfile, AGENT);
  char text[2048];
  snprintf(text, sizeof text, "name: host\nisa: native\n%s", section);
  nc_err_clear();
  nc_target *t = nc_target_load(write_file("kill.yaml", text));
  cr_assert_not_null(t, "%s", nc_err_msg());
  nc_cost_source *s = nc_cost_agent_new(t);
  cr_assert_not_null(s, "%s", nc_err_msg());
  mm m;
  matmul(&m, 128, 128, 128, 2);
  killer k = {pidfile};
  pthread_t th;
  pthread_create(&th, NULL, kill_later, &k);
  double ms, spread, t0 = nc_now_seconds();
  nc_err_clear();
  int rc = s->measure(s, routine("cpu:f32:nchw/matmul-ref/c99"), &m.a, NULL, &ms, &spread);
  pthread_join(th, NULL);
  cr_assert_eq(rc, -1, "the measurement outlived the agent");
  cr_assert(strstr(nc_err_msg(), "was killed by signal 9") &&
                strstr(nc_err_msg(), "while measuring cpu:f32:nchw/matmul-ref/c99"),
            "%s", nc_err_msg());
  cr_assert(nc_now_seconds() - t0 < 5);
  /* later requests fail at once, and freeing does not hang */
  nc_err_clear();
  cr_assert_eq(s->measure(s, routine("cpu:f32:nchw/matmul-packed/c99"), &m.a, NULL, &ms, &spread),
               -1);
  cr_assert(strstr(nc_err_msg(), "is gone"), "%s", nc_err_msg());
  nc_cost_free(s);
  nc_target_free(t);
}

Test(agent, local_source_reports_identity) {
  nc_cost_source *s = nc_cost_source_for_target(NULL);
  cr_assert_str_eq(s->name, "local");
  cr_assert_str_eq(s->library_version, nc_runtime_version());
  cr_assert(strstr(s->fingerprint, "cpu=") && strstr(s->fingerprint, ";rt="));
  cr_assert(strstr(s->fingerprint, nc_runtime_version()));
  nc_cost_free(s);
}
