/* The agent's side of one client connection, free of I/O: bytes in, reply
 * frames out. The transports (agent_main.c) and the fuzz target drive it. */
#ifndef NC_AGENT_SESSION_H
#define NC_AGENT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "measure.h"

/* Runs one measurement; same contract as nc_measure_routine (weights random). */
typedef int (*nc_agent_measure_fn)(void *ctx, const nc_routine *r, const nc_args *a,
                                   const uint8_t *is_const, const nc_measure_opts *o,
                                   nc_measurement *m, char *err, size_t errn);

typedef struct nc_agent_config {
  const char *agent_version;
  const char *fingerprint;
  const char *isas;      /* space-separated routine ISAs this CPU executes */
  uint64_t max_bytes;    /* per measurement */
  uint32_t max_frame;    /* largest payload accepted */
  nc_agent_measure_fn measure;
  void *measure_ctx;
} nc_agent_config;

typedef struct nc_agent_session {
  const nc_agent_config *cfg;
  nc_bytes in;    /* received, not yet consumed */
  nc_bytes out;   /* reply frames not yet sent */
  int hello_done; /* a Hello with our protocol version was answered */
  int resyncing;  /* after a framing error: bytes up to the next frame are dropped quietly */
  int shutdown;   /* a Shutdown was answered: the connection ends */
  long requests, errors;
} nc_agent_session;

void nc_agent_session_init(nc_agent_session *s, const nc_agent_config *cfg);
/* Take received bytes and answer every complete frame (replies appended to
 * s->out). Returns 0, or -1 when out of memory. */
int nc_agent_session_feed(nc_agent_session *s, const uint8_t *p, size_t n);
/* 1 while part of a frame is buffered (the transport then times its arrival). */
int nc_agent_session_partial(const nc_agent_session *s);
/* The buffered partial frame stopped arriving (timeout or end of input):
 * answer TRUNCATED and look for a frame in what was buffered. */
int nc_agent_session_truncated(nc_agent_session *s);
void nc_agent_session_free(nc_agent_session *s);

#endif
