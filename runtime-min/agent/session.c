/* One client connection of the agent: frames in, requests decoded and
 * answered, reply frames out. Every failure becomes an Error reply and the
 * session goes on (docs/agent.md, "Errors"). */
#include "session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neuroc_agent.pb-c.h"

#define MSG_MAX 512

typedef Neuroc__Agent__Reply Reply;
typedef Neuroc__Agent__Request Request;

void nc_agent_session_init(nc_agent_session *s, const nc_agent_config *cfg) {
  memset(s, 0, sizeof *s);
  s->cfg = cfg;
}

void nc_agent_session_free(nc_agent_session *s) {
  nc_bytes_free(&s->in);
  nc_bytes_free(&s->out);
}

/* Serialize a Reply as one frame at the end of s->out. */
static int send_reply(nc_agent_session *s, Reply *r) {
  size_t n = neuroc__agent__reply__get_packed_size(r);
  if (n > 0xffffffffu) return -1;
  if (nc_bytes_reserve(&s->out, NC_FRAME_HEADER + n)) return -1;
  nc_frame_header(s->out.data + s->out.len, (uint32_t)n);
  neuroc__agent__reply__pack(r, s->out.data + s->out.len + NC_FRAME_HEADER);
  s->out.len += NC_FRAME_HEADER + n;
  return 0;
}

static int send_error(nc_agent_session *s, uint64_t id, Neuroc__Agent__ErrorCode code,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int send_error(nc_agent_session *s, uint64_t id, Neuroc__Agent__ErrorCode code,
                      const char *fmt, ...) {
  char msg[MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  Neuroc__Agent__Error e = NEUROC__AGENT__ERROR__INIT;
  e.code = code;
  e.message = msg;
  Reply r = NEUROC__AGENT__REPLY__INIT;
  r.id = id;
  r.body_case = NEUROC__AGENT__REPLY__BODY_ERROR;
  r.error = &e;
  s->errors++;
  return send_reply(s, &r);
}

/* ---------------- requests ---------------- */

static int on_hello(nc_agent_session *s, uint64_t id, const Neuroc__Agent__Hello *h) {
  if (h->protocol_version != NC_AGENT_PROTOCOL_VERSION)
    return send_error(s, id, NEUROC__AGENT__ERROR_CODE__VERSION_MISMATCH,
                      "protocol version %u requested, this agent speaks version %u",
                      (unsigned)h->protocol_version, NC_AGENT_PROTOCOL_VERSION);
  const nc_routine *t = nc_routine_table();
  size_t count = (size_t)nc_routine_count();
  char **names = malloc((count ? count : 1) * sizeof *names);
  char isas[1024];
  snprintf(isas, sizeof isas, "%s", s->cfg->isas ? s->cfg->isas : "");
  char *isa_list[64];
  size_t n_isa = 0;
  for (char *w = strtok(isas, " "); w && n_isa < 64; w = strtok(NULL, " ")) isa_list[n_isa++] = w;
  if (!names) return send_error(s, id, NEUROC__AGENT__ERROR_CODE__INTERNAL, "out of memory");
  for (size_t i = 0; i < count; i++) names[i] = (char *)t[i].descriptor;
  Neuroc__Agent__HelloReply hr = NEUROC__AGENT__HELLO_REPLY__INIT;
  hr.protocol_version = NC_AGENT_PROTOCOL_VERSION;
  hr.agent_version = (char *)(s->cfg->agent_version ? s->cfg->agent_version : "");
  hr.library_version = (char *)nc_runtime_version();
  hr.fingerprint = (char *)(s->cfg->fingerprint ? s->cfg->fingerprint : "");
  hr.n_isa = n_isa;
  hr.isa = isa_list;
  hr.n_routines = count;
  hr.routines = names;
  hr.max_bytes = s->cfg->max_bytes;
  hr.max_frame = s->cfg->max_frame;
  Reply r = NEUROC__AGENT__REPLY__INIT;
  r.id = id;
  r.body_case = NEUROC__AGENT__REPLY__BODY_HELLO;
  r.hello = &hr;
  int rc = send_reply(s, &r);
  free(names);
  s->hello_done = 1;
  return rc;
}

/* Copy a wire TensorDesc into an nc_tdesc; -1 when its rank is over the limit. */
static int to_tdesc(const Neuroc__Agent__TensorDesc *w, nc_tdesc *d) {
  memset(d, 0, sizeof *d);
  if (w->n_dims > NC_MAX_DIMS) return -1;
  d->dtype = w->dtype;
  d->ndim = (int32_t)w->n_dims;
  for (size_t j = 0; j < w->n_dims; j++) d->dims[j] = w->dims[j];
  d->scale = w->scale;
  d->zero_point = w->zero_point;
  return 0;
}

static int on_measure(nc_agent_session *s, uint64_t id, const Neuroc__Agent__Measure *q) {
  if (!s->hello_done)
    return send_error(s, id, NEUROC__AGENT__ERROR_CODE__NO_HELLO,
                      "Measure before a successful Hello");
  const nc_routine *r = nc_routine_find(q->routine);
  if (!r)
    return send_error(s, id, NEUROC__AGENT__ERROR_CODE__UNKNOWN_ROUTINE,
                      "unknown routine '%.200s' (not in this agent's routine table)", q->routine);
  if (q->n_inputs > NC_MEASURE_MAX_IN || q->n_outputs > NC_MEASURE_MAX_OUT)
    return send_error(s, id, NEUROC__AGENT__ERROR_CODE__LIMIT,
                      "%zu inputs / %zu outputs (limits %d / %d)", q->n_inputs, q->n_outputs,
                      NC_MEASURE_MAX_IN, NC_MEASURE_MAX_OUT);
  if (q->n_ia > NC_MEASURE_MAX_ARGS || q->n_fa > NC_MEASURE_MAX_ARGS)
    return send_error(s, id, NEUROC__AGENT__ERROR_CODE__LIMIT,
                      "%zu integer / %zu real arguments (limit %d each)", q->n_ia, q->n_fa,
                      NC_MEASURE_MAX_ARGS);
  if (q->n_constant != 0 && q->n_constant != q->n_inputs)
    return send_error(s, id, NEUROC__AGENT__ERROR_CODE__MALFORMED,
                      "'constant' has %zu entries for %zu inputs", q->n_constant, q->n_inputs);
  nc_tdesc in[NC_MEASURE_MAX_IN], out[NC_MEASURE_MAX_OUT];
  uint8_t is_const[NC_MEASURE_MAX_IN] = {0};
  for (size_t i = 0; i < q->n_inputs; i++) {
    if (to_tdesc(q->inputs[i], &in[i]))
      return send_error(s, id, NEUROC__AGENT__ERROR_CODE__LIMIT, "input %zu: rank %zu over %d",
                        i, q->inputs[i]->n_dims, NC_MAX_DIMS);
    is_const[i] = q->n_constant ? (uint8_t)q->constant[i] : 0;
  }
  for (size_t i = 0; i < q->n_outputs; i++)
    if (to_tdesc(q->outputs[i], &out[i]))
      return send_error(s, id, NEUROC__AGENT__ERROR_CODE__LIMIT, "output %zu: rank %zu over %d",
                        i, q->outputs[i]->n_dims, NC_MAX_DIMS);
  nc_args a = {(int32_t)q->n_inputs, (int32_t)q->n_outputs, in, out, q->ia, q->fa,
               (int32_t)q->n_ia, (int32_t)q->n_fa};
  nc_measure_opts o = {q->min_ms > 0 ? q->min_ms : 2.0, (int)(q->warmup > 1000000 ? 1000000 : q->warmup),
                       q->max_spread, s->cfg->max_bytes};
  nc_measurement m;
  char err[MSG_MAX];
  err[0] = 0;
  int st = s->cfg->measure(s->cfg->measure_ctx, r, &a, is_const, &o, &m, err, sizeof err);
  if (st != NC_MEASURE_OK)
    return send_error(s, id, (Neuroc__Agent__ErrorCode)st, "%s: %s", q->routine, err);
  Neuroc__Agent__MeasureReply mr = NEUROC__AGENT__MEASURE_REPLY__INIT;
  mr.median_ms = m.median_ms;
  mr.spread = m.spread;
  mr.samples = (uint32_t)m.samples;
  mr.remeasured = m.remeasured != 0;
  mr.first_spread = m.first_spread;
  Reply rep = NEUROC__AGENT__REPLY__INIT;
  rep.id = id;
  rep.body_case = NEUROC__AGENT__REPLY__BODY_MEASURE;
  rep.measure = &mr;
  return send_reply(s, &rep);
}

static int on_request(nc_agent_session *s, const Request *q) {
  s->requests++;
  switch (q->body_case) {
  case NEUROC__AGENT__REQUEST__BODY_HELLO: return on_hello(s, q->id, q->hello);
  case NEUROC__AGENT__REQUEST__BODY_MEASURE: return on_measure(s, q->id, q->measure);
  case NEUROC__AGENT__REQUEST__BODY_SHUTDOWN: {
    Neuroc__Agent__ShutdownReply sr = NEUROC__AGENT__SHUTDOWN_REPLY__INIT;
    Reply r = NEUROC__AGENT__REPLY__INIT;
    r.id = q->id;
    r.body_case = NEUROC__AGENT__REPLY__BODY_SHUTDOWN;
    r.shutdown = &sr;
    s->shutdown = 1;
    return send_reply(s, &r);
  }
  default:
    return send_error(s, q->id, NEUROC__AGENT__ERROR_CODE__MALFORMED,
                      "request %llu has no body (Hello, Measure or Shutdown)",
                      (unsigned long long)q->id);
  }
}

/* ---------------- framing ---------------- */

/* Handle what is at the front of s->in; 1 when something was consumed. */
static int step(nc_agent_session *s, int *rc) {
  nc_frame f = nc_frame_next(s->in.data, s->in.len, s->cfg->max_frame);
  switch (f.status) {
  case NC_FRAME_NEED_MORE: return 0;
  case NC_FRAME_GARBAGE:
    if (!s->resyncing)
      *rc |= send_error(s, 0, NEUROC__AGENT__ERROR_CODE__MALFORMED,
                        "%zu bytes outside any frame (a frame starts with \"%s\")", f.skip,
                        NC_FRAME_MAGIC);
    s->resyncing = 1;
    break;
  case NC_FRAME_OVERSIZED:
    *rc |= send_error(s, 0, NEUROC__AGENT__ERROR_CODE__OVERSIZED,
                      "frame of %u bytes exceeds the limit of %u bytes", (unsigned)f.payload_len,
                      (unsigned)s->cfg->max_frame);
    s->resyncing = 1;
    break;
  case NC_FRAME_OK: {
    Request *q = neuroc__agent__request__unpack(NULL, f.payload_len, s->in.data + NC_FRAME_HEADER);
    if (!q) {
      *rc |= send_error(s, 0, NEUROC__AGENT__ERROR_CODE__MALFORMED,
                        "frame of %u bytes does not hold a Request message",
                        (unsigned)f.payload_len);
      /* Drop only the magic: a frame hidden in this payload (say, after a
       * truncated one) is still found. */
      f.skip = 4;
      s->resyncing = 1;
      break;
    }
    s->resyncing = 0;
    *rc |= on_request(s, q);
    neuroc__agent__request__free_unpacked(q, NULL);
    break;
  }
  }
  nc_bytes_drop_front(&s->in, f.skip);
  return 1;
}

static int drain(nc_agent_session *s) {
  int rc = 0;
  while (!s->shutdown && s->in.len && step(s, &rc)) {
  }
  return rc ? -1 : 0;
}

int nc_agent_session_feed(nc_agent_session *s, const uint8_t *p, size_t n) {
  if (n && nc_bytes_append(&s->in, p, n)) return -1;
  return drain(s);
}

int nc_agent_session_partial(const nc_agent_session *s) { return !s->shutdown && s->in.len > 0; }

int nc_agent_session_truncated(nc_agent_session *s) {
  if (!s->in.len) return 0;
  int rc = 0;
  if (!s->resyncing)
    rc = send_error(s, 0, NEUROC__AGENT__ERROR_CODE__TRUNCATED,
                    "frame stopped arriving after %zu bytes", s->in.len);
  s->resyncing = 1;
  nc_bytes_drop_front(&s->in, s->in.len < 4 ? s->in.len : 4);
  if (drain(s)) rc = -1;
  return rc;
}
