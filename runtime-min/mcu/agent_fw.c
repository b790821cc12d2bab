/* neuroc-agent as firmware: the agent protocol (docs/agent.md: frames "NCA1"
 * + length + protobuf payload; Hello, Measure, Shutdown) over UART0, with
 * the hand-written codec of wire.c and static buffers. Measurements run the
 * shared harness (runtime-min/agent/measure.c) timed by SysTick; its
 * buffers come from newlib-nano's malloc over the RAM left after .bss, and a
 * request too big for that gets LIMIT. A routine that faults is answered
 * with ROUTINE_FAILED and the agent goes on (docs/mcu.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "frame.h"
#include "measure.h"
#include "neuroc/routines.h"
#include "wire.h"

#ifndef NEUROC_VERSION
#define NEUROC_VERSION "0.1.0"
#endif

/* ErrorCode numbers of neuroc_agent.proto */
enum {
  E_MALFORMED = 1, E_OVERSIZED = 2, E_TRUNCATED = 3, E_VERSION = 4, E_NO_HELLO = 5,
  E_UNKNOWN = 6, E_ROUTINE_FAILED = 10
};

#define MAX_FRAME (16u << 10)        /* a Measure is a few hundred bytes */
#define TX_CAP (64u << 10)           /* the HelloReply lists every routine */
#define FRAME_TIMEOUT_S 10u          /* a frame that stops arriving: TRUNCATED */
#define MSG_MAX 256

static uint8_t rx[MAX_FRAME + NC_FRAME_HEADER];
static size_t rx_len;
static uint8_t tx[TX_CAP];
static nc_wire_request req;
static int hello_done, resyncing;
static char fingerprint[384];

extern uint32_t __heap_start, __heap_end;

/* Bytes one measurement may take: half the heap, because the harness also
 * holds an unpacked copy of each weight while packing it. */
static uint64_t max_bytes(void) {
  return (uint64_t)((uintptr_t)&__heap_end - (uintptr_t)&__heap_start) / 2;
}

static void send_payload(size_t n) {
  uint8_t hdr[NC_FRAME_HEADER];
  nc_frame_header(hdr, (uint32_t)n);
  nc_uart_write(hdr, sizeof hdr);
  nc_uart_write(tx, n);
}

static void send_error(uint64_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_error(uint64_t id, int code, const char *fmt, ...) {
  char msg[MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  send_payload(nc_wire_encode_error(id, code, msg, tx, sizeof tx));
}

/* ---------------- identity ---------------- */

static const char *routine_name(int i, void *ctx) {
  (void)ctx;
  return nc_routine_table()[i].descriptor;
}

/* Like nc_target_fingerprint() on Linux: cpu, isa, os, arch, cc, rt. The
 * core comes from the CPUID register (part 0xC24 = Cortex-M4, 0xC27 = M7). */
static void make_fingerprint(void) {
  uint32_t cpuid = NC_REG(0xE000ED00u);
  unsigned part = (cpuid >> 4) & 0xfffu;
  const char *core = part == 0xC24u ? "Cortex-M4" : part == 0xC27u ? "Cortex-M7" : "Cortex-M";
  /* the MPS2 image with this core (AN386: M4, AN500: M7) */
  const char *board = part == 0xC27u ? "MPS2 AN500" : "MPS2 AN386";
  char isas[128];
  nc_supported_isas(isas, sizeof isas);
  snprintf(fingerprint, sizeof fingerprint,
           "cpu=Arm %s r%up%u (CPUID %08lx, %s);isa=%s;os=none;arch=armv7e-m;"
           "cc=gcc " __VERSION__ ";rt=%s",
           core, (unsigned)(cpuid >> 20) & 0xfu, (unsigned)cpuid & 0xfu, (unsigned long)cpuid,
           board, isas, nc_runtime_version());
}

/* ---------------- requests ---------------- */

static void on_hello(void) {
  if (req.protocol_version != NC_AGENT_PROTOCOL_VERSION) {
    send_error(req.id, E_VERSION, "protocol version %u requested, this agent speaks version %u",
               (unsigned)req.protocol_version, NC_AGENT_PROTOCOL_VERSION);
    return;
  }
  char isas[128];
  nc_supported_isas(isas, sizeof isas);
  const char *isa_list[16];
  int n_isa = 0;
  for (char *w = strtok(isas, " "); w && n_isa < 16; w = strtok(NULL, " ")) isa_list[n_isa++] = w;
  nc_wire_hello_reply h = {NC_AGENT_PROTOCOL_VERSION, "neuroc-agent-fw " NEUROC_VERSION,
                           nc_runtime_version(), fingerprint, isa_list, n_isa,
                           nc_routine_count(), routine_name, NULL, max_bytes(), MAX_FRAME};
  size_t n = nc_wire_encode_hello_reply(req.id, &h, tx, sizeof tx);
  if (!n) {
    send_error(req.id, 11, "the HelloReply does not fit the agent's %u-byte send buffer",
               (unsigned)TX_CAP);
    return;
  }
  send_payload(n);
  hello_done = 1;
}

typedef struct measure_call {
  const nc_routine *r;
  nc_args a;
  nc_measure_opts o;
  nc_measurement m;
  int status;
  char err[MSG_MAX];
} measure_call;

static void run_measure(void *ctx) {
  measure_call *c = ctx;
  c->status = nc_measure_routine(c->r, &c->a, NULL, req.measure.constant, &c->o, &c->m, c->err,
                                 sizeof c->err);
}

static void on_measure(void) {
  const nc_wire_measure *q = &req.measure;
  if (!hello_done) {
    send_error(req.id, E_NO_HELLO, "Measure before a successful Hello");
    return;
  }
  static measure_call c;
  memset(&c, 0, sizeof c);
  if (!(c.r = nc_routine_find(q->routine))) {
    send_error(req.id, E_UNKNOWN, "unknown routine '%.160s' (not in this agent's routine table)",
               q->routine);
    return;
  }
  if (q->n_constant != 0 && q->n_constant != q->n_in) {
    send_error(req.id, E_MALFORMED, "'constant' has %d entries for %d inputs",
               (int)q->n_constant, (int)q->n_in);
    return;
  }
  c.a = (nc_args){q->n_in, q->n_out, q->in, q->out, q->ia, q->fa, q->n_ia, q->n_fa};
  c.o = (nc_measure_opts){q->min_ms > 0 ? q->min_ms : 2.0, (int)(q->warmup > 1000000 ? 1000000 : q->warmup),
                          q->max_spread, max_bytes()};
  uint32_t cfsr = 0;
  int fault = nc_fw_guarded(run_measure, &c, &cfsr);
  if (fault) {
    send_error(req.id, E_ROUTINE_FAILED,
               "%.160s: the routine faulted on these arguments (exception %d, CFSR %08lx)",
               q->routine, fault, (unsigned long)cfsr);
    return;
  }
  if (c.status != NC_MEASURE_OK) {
    send_error(req.id, c.status, "%.160s: %s", q->routine, c.err);
    return;
  }
  nc_wire_measure_reply mr = {c.m.median_ms, c.m.spread, c.m.first_spread,
                              (uint32_t)c.m.samples, c.m.remeasured};
  send_payload(nc_wire_encode_measure_reply(req.id, &mr, tx, sizeof tx));
}

/* One complete frame's payload; 1 after Shutdown. */
static int on_payload(const uint8_t *p, size_t n) {
  char err[MSG_MAX];
  int st = nc_wire_decode_request(p, n, &req, err, sizeof err);
  if (st == NC_WIRE_MALFORMED) {
    send_error(0, E_MALFORMED, "frame of %u bytes does not hold a Request message: %s",
               (unsigned)n, err);
    return -1;
  }
  resyncing = 0;
  if (st != NC_WIRE_OK) {
    send_error(req.id, st, "request over this agent's limits: %s", err);
    return 0;
  }
  switch (req.body) {
  case NC_WIRE_HELLO: on_hello(); return 0;
  case NC_WIRE_MEASURE: on_measure(); return 0;
  case NC_WIRE_SHUTDOWN:
    send_payload(nc_wire_encode_shutdown_reply(req.id, tx, sizeof tx));
    return 1;
  default:
    send_error(req.id, E_MALFORMED, "request %llu has no body (Hello, Measure or Shutdown)",
               (unsigned long long)req.id);
    return 0;
  }
}

/* ---------------- framing ---------------- */

static void drop_front(size_t n) {
  if (n > rx_len) n = rx_len;
  memmove(rx, rx + n, rx_len - n);
  rx_len -= n;
}

/* Handles what is at the front of rx; 0 when more bytes are needed. */
static int step(int *shutdown) {
  nc_frame f = nc_frame_next(rx, rx_len, MAX_FRAME);
  switch (f.status) {
  case NC_FRAME_NEED_MORE: return 0;
  case NC_FRAME_GARBAGE:
    if (!resyncing)
      send_error(0, E_MALFORMED, "%u bytes outside any frame (a frame starts with \"%s\")",
                 (unsigned)f.skip, NC_FRAME_MAGIC);
    resyncing = 1;
    break;
  case NC_FRAME_OVERSIZED:
    send_error(0, E_OVERSIZED, "frame of %u bytes exceeds the limit of %u bytes",
               (unsigned)f.payload_len, MAX_FRAME);
    resyncing = 1;
    break;
  case NC_FRAME_OK: {
    int rc = on_payload(rx + NC_FRAME_HEADER, f.payload_len);
    if (rc < 0) {
      f.skip = 4; /* a frame hidden in this payload is still found */
      resyncing = 1;
    }
    if (rc > 0) *shutdown = 1;
    break;
  }
  }
  drop_front(f.skip);
  return 1;
}

/* A frame that stopped arriving: reported once, its magic dropped. */
static void truncated(void) {
  if (!resyncing)
    send_error(0, E_TRUNCATED, "frame stopped arriving after %u bytes", (unsigned)rx_len);
  resyncing = 1;
  drop_front(rx_len < 4 ? rx_len : 4);
}

/* Serves clients until Shutdown; a new client may follow (qemu's TCP
 * serial port accepts the next connection), so the state is reset. */
static void serve(void) {
  uint64_t last = nc_timer_ticks();
  int shutdown = 0;
  while (!shutdown) {
    int c = nc_uart_getc();
    if (c < 0) {
      if (rx_len && nc_timer_ticks() - last > (uint64_t)FRAME_TIMEOUT_S * NC_CPU_HZ) {
        truncated();
        while (!shutdown && rx_len && step(&shutdown)) {
        }
        last = nc_timer_ticks();
      }
      continue;
    }
    last = nc_timer_ticks();
    if (rx_len == sizeof rx) drop_front(1); /* cannot happen: step() keeps rx below a frame */
    rx[rx_len++] = (uint8_t)c;
    while (!shutdown && rx_len && step(&shutdown)) {
    }
  }
  hello_done = 0;
  resyncing = 0;
  rx_len = 0;
}

int main(void) {
  nc_uart_init();
  nc_timer_init();
  make_fingerprint();
  for (;;) serve();
}
