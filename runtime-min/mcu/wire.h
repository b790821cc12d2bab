/* A small protobuf wire codec for the agent protocol, for the firmware agent:
 * no malloc, no protobuf-c. It decodes the three requests (Hello, Measure,
 * Shutdown) into fixed-size structs and encodes the four replies (HelloReply,
 * MeasureReply, Error, ShutdownReply) into a caller's buffer. Field numbers
 * are those of runtime-min/agent/neuroc_agent.proto; tests/unit/test_mcu_wire.c
 * checks both directions against protobuf-c. Plain C11, host-testable. */
#ifndef NC_MCU_WIRE_H
#define NC_MCU_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "neuroc/rt.h"

/* Limits of one decoded Measure: what a routine call on a microcontroller
 * needs, far below the Linux agent's (requests over them get LIMIT). */
#define NC_WIRE_MAX_IN 16
#define NC_WIRE_MAX_OUT 8
#define NC_WIRE_MAX_ARGS 256
#define NC_WIRE_MAX_ROUTINE 160
#define NC_WIRE_MAX_CLIENT 64

/* Request body cases: the field numbers of Request.body. */
enum { NC_WIRE_NONE = 0, NC_WIRE_HELLO = 2, NC_WIRE_MEASURE = 3, NC_WIRE_SHUTDOWN = 4 };

/* Decoder status; LIMIT and MALFORMED are the protocol's ErrorCode numbers. */
enum { NC_WIRE_OK = 0, NC_WIRE_MALFORMED = 1, NC_WIRE_LIMIT = 9 };

typedef struct nc_wire_measure {
  char routine[NC_WIRE_MAX_ROUTINE];
  int32_t n_in, n_out, n_ia, n_fa, n_constant;
  nc_tdesc in[NC_WIRE_MAX_IN], out[NC_WIRE_MAX_OUT];
  int64_t ia[NC_WIRE_MAX_ARGS];
  double fa[NC_WIRE_MAX_ARGS];
  uint8_t constant[NC_WIRE_MAX_IN];
  double min_ms, max_spread;
  uint32_t warmup;
} nc_wire_measure;

typedef struct nc_wire_request {
  uint64_t id;
  int body;                          /* NC_WIRE_HELLO, ... or NC_WIRE_NONE */
  uint32_t protocol_version;         /* Hello */
  char client[NC_WIRE_MAX_CLIENT];   /* Hello, cut to fit */
  nc_wire_measure measure;           /* Measure */
} nc_wire_request;

/* Decode one Request payload into *q. NC_WIRE_OK, or a status with a
 * message in err (q->id is set when it was read before the failure). */
int nc_wire_decode_request(const uint8_t *p, size_t n, nc_wire_request *q, char *err,
                           size_t errn);

typedef struct nc_wire_hello_reply {
  uint32_t protocol_version;
  const char *agent_version, *library_version, *fingerprint;
  const char *const *isa;
  int n_isa;
  /* routines: n_routines strings returned by routine(i, ctx) (the table is
   * read directly, no array of pointers is built) */
  int n_routines;
  const char *(*routine)(int i, void *ctx);
  void *routine_ctx;
  uint64_t max_bytes;
  uint32_t max_frame;
} nc_wire_hello_reply;

typedef struct nc_wire_measure_reply {
  double median_ms, spread, first_spread;
  uint32_t samples;
  int remeasured;
} nc_wire_measure_reply;

/* Encoders: the Reply payload into buf[0..cap); its length, or 0 when it
 * does not fit. */
size_t nc_wire_encode_hello_reply(uint64_t id, const nc_wire_hello_reply *h, uint8_t *buf,
                                  size_t cap);
size_t nc_wire_encode_measure_reply(uint64_t id, const nc_wire_measure_reply *m, uint8_t *buf,
                                    size_t cap);
size_t nc_wire_encode_error(uint64_t id, int code, const char *message, uint8_t *buf, size_t cap);
size_t nc_wire_encode_shutdown_reply(uint64_t id, uint8_t *buf, size_t cap);

#endif
