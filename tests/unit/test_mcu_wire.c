/* The firmware agent's hand-written protobuf codec (runtime-min/mcu/wire.c)
 * against protobuf-c, the independent reference: requests packed by
 * protobuf-c decode to the same fields, replies encoded by wire.c unpack in
 * protobuf-c to the same fields; truncated and garbage input gives an error
 * status, never a crash. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "neuroc_agent.pb-c.h"
/* the codec is plain C11 with no board dependency: compiled into the test */
#include "../../runtime-min/mcu/wire.c"

typedef Neuroc__Agent__Request Request;
typedef Neuroc__Agent__Reply Reply;

static uint8_t *pack_request(const Request *q, size_t *n) {
  *n = neuroc__agent__request__get_packed_size(q);
  uint8_t *b = malloc(*n ? *n : 1);
  neuroc__agent__request__pack(q, b);
  return b;
}

/* A conv-like Measure with negative ints, two tensors, quantized output. */
typedef struct sample {
  Neuroc__Agent__TensorDesc t[3], *pin[2], *pout[1];
  int64_t dims0[4], dims1[4], dims2[4], ia[6];
  double fa[2];
  protobuf_c_boolean cst[2];
  Neuroc__Agent__Measure m;
  Request q;
} sample;

static void make_sample(sample *s) {
  memset(s, 0, sizeof *s);
  int64_t d0[4] = {1, 3, 224, 224}, d1[4] = {64, 3, 7, 7}, d2[4] = {1, 64, 112, 112};
  memcpy(s->dims0, d0, sizeof d0);
  memcpy(s->dims1, d1, sizeof d1);
  memcpy(s->dims2, d2, sizeof d2);
  int64_t ia[6] = {2, 2, -3, 0, 1LL << 40, -1};
  memcpy(s->ia, ia, sizeof ia);
  s->fa[0] = -0.5;
  s->fa[1] = 6.0;
  int64_t *dims[3] = {s->dims0, s->dims1, s->dims2};
  for (int i = 0; i < 3; i++) {
    neuroc__agent__tensor_desc__init(&s->t[i]);
    s->t[i].dtype = 1;
    s->t[i].n_dims = 4;
    s->t[i].dims = dims[i];
  }
  s->t[2].dtype = 2;
  s->t[2].scale = 0.125f;
  s->t[2].zero_point = -7;
  s->pin[0] = &s->t[0];
  s->pin[1] = &s->t[1];
  s->pout[0] = &s->t[2];
  s->cst[0] = 0;
  s->cst[1] = 1;
  neuroc__agent__measure__init(&s->m);
  s->m.routine = "cpu:f32:nchw/conv-im2col/c99";
  s->m.n_inputs = 2;
  s->m.inputs = s->pin;
  s->m.n_outputs = 1;
  s->m.outputs = s->pout;
  s->m.n_ia = 6;
  s->m.ia = s->ia;
  s->m.n_fa = 2;
  s->m.fa = s->fa;
  s->m.n_constant = 2;
  s->m.constant = s->cst;
  s->m.min_ms = 0.25;
  s->m.warmup = 3;
  s->m.max_spread = 0.3;
  neuroc__agent__request__init(&s->q);
  s->q.id = 300; /* a two-byte varint */
  s->q.body_case = NEUROC__AGENT__REQUEST__BODY_MEASURE;
  s->q.measure = &s->m;
}

Test(mcu_wire, measure_from_protobuf_c) {
  sample s;
  make_sample(&s);
  size_t n;
  uint8_t *b = pack_request(&s.q, &n);
  static nc_wire_request q;
  char err[256];
  cr_assert_eq(nc_wire_decode_request(b, n, &q, err, sizeof err), NC_WIRE_OK, "%s", err);
  cr_assert_eq(q.id, 300);
  cr_assert_eq(q.body, NC_WIRE_MEASURE);
  const nc_wire_measure *m = &q.measure;
  cr_assert_str_eq(m->routine, "cpu:f32:nchw/conv-im2col/c99");
  cr_assert_eq(m->n_in, 2);
  cr_assert_eq(m->n_out, 1);
  for (int i = 0; i < 2; i++) {
    cr_assert_eq(m->in[i].dtype, 1);
    cr_assert_eq(m->in[i].ndim, 4);
    for (int j = 0; j < 4; j++) cr_assert_eq(m->in[i].dims[j], s.t[i].dims[j]);
  }
  cr_assert_eq(m->out[0].dtype, 2);
  cr_assert_eq(m->out[0].dims[3], 112);
  cr_assert_float_eq(m->out[0].scale, 0.125f, 0);
  cr_assert_eq(m->out[0].zero_point, -7);
  cr_assert_eq(m->n_ia, 6);
  for (int i = 0; i < 6; i++) cr_assert_eq(m->ia[i], s.ia[i]);
  cr_assert_eq(m->n_fa, 2);
  cr_assert_eq(m->fa[0], -0.5);
  cr_assert_eq(m->fa[1], 6.0);
  cr_assert_eq(m->n_constant, 2);
  cr_assert_eq(m->constant[0], 0);
  cr_assert_eq(m->constant[1], 1);
  cr_assert_eq(m->min_ms, 0.25);
  cr_assert_eq(m->warmup, 3);
  cr_assert_eq(m->max_spread, 0.3);
  free(b);
}

Test(mcu_wire, hello_and_shutdown_from_protobuf_c) {
  Neuroc__Agent__Hello h = NEUROC__AGENT__HELLO__INIT;
  h.protocol_version = 1;
  h.client = "neuroc 0.1.0 with a client string longer than the agent keeps, cut to fit it";
  Request q = NEUROC__AGENT__REQUEST__INIT;
  q.id = 1;
  q.body_case = NEUROC__AGENT__REQUEST__BODY_HELLO;
  q.hello = &h;
  size_t n;
  uint8_t *b = pack_request(&q, &n);
  static nc_wire_request w;
  cr_assert_eq(nc_wire_decode_request(b, n, &w, NULL, 0), NC_WIRE_OK);
  cr_assert_eq(w.body, NC_WIRE_HELLO);
  cr_assert_eq(w.protocol_version, 1);
  cr_assert_eq(strncmp(w.client, h.client, sizeof w.client - 1), 0);
  free(b);

  Neuroc__Agent__Shutdown sd = NEUROC__AGENT__SHUTDOWN__INIT;
  q.id = 9;
  q.body_case = NEUROC__AGENT__REQUEST__BODY_SHUTDOWN;
  q.shutdown = &sd;
  b = pack_request(&q, &n);
  cr_assert_eq(nc_wire_decode_request(b, n, &w, NULL, 0), NC_WIRE_OK);
  cr_assert_eq(w.body, NC_WIRE_SHUTDOWN);
  cr_assert_eq(w.id, 9);
  free(b);

  /* a request without body decodes (the agent answers MALFORMED) */
  q.body_case = NEUROC__AGENT__REQUEST__BODY__NOT_SET;
  b = pack_request(&q, &n);
  cr_assert_eq(nc_wire_decode_request(b, n, &w, NULL, 0), NC_WIRE_OK);
  cr_assert_eq(w.body, NC_WIRE_NONE);
  free(b);
}

/* Unpacked (non-packed) repeated scalars and unknown fields are valid
 * protobuf too; hand-made bytes, since protobuf-c packs proto3 repeats. */
Test(mcu_wire, unpacked_repeats_and_unknown_fields) {
  const uint8_t b[] = {
      0x08, 0x05,                         /* id 5 */
      0x1a, 0x10,                         /* measure, 16 bytes */
      0x0a, 0x01, 'x',                    /* routine "x" */
      0x20, 0x07, 0x20, 0x7f,             /* ia 7, ia 127 (unpacked) */
      0x30, 0x01,                         /* constant true (unpacked) */
      0x12, 0x02, 0x08, 0x01,             /* inputs {dtype 1} */
      0x98, 0x06, 0x01,                   /* unknown field 99, varint */
      0xa2, 0x06, 0x00,                   /* unknown field 100, empty bytes */
  };
  static nc_wire_request w;
  char err[128] = "";
  /* lengths above: measure body is 16 bytes (routine 3, ia 4, constant 2, inputs 4, 99: 3) */
  cr_assert_eq(nc_wire_decode_request(b, sizeof b, &w, err, sizeof err), NC_WIRE_OK, "%s", err);
  cr_assert_eq(w.id, 5);
  cr_assert_str_eq(w.measure.routine, "x");
  cr_assert_eq(w.measure.n_ia, 2);
  cr_assert_eq(w.measure.ia[1], 127);
  cr_assert_eq(w.measure.n_constant, 1);
  cr_assert_eq(w.measure.n_in, 1);
  cr_assert_eq(w.measure.in[0].dtype, 1);
}

static const char *const names[] = {"cpu:f32:nchw/conv-ref/c99", "cpu:*:nchw/abs-ref/c99", ""};
static const char *name_at(int i, void *ctx) {
  (void)ctx;
  return names[i];
}

Test(mcu_wire, replies_read_by_protobuf_c) {
  static uint8_t buf[4096];
  const char *isa[] = {"c99", "dsp"};
  nc_wire_hello_reply h = {1, "neuroc-agent-fw 0.1.0", "0.1.0+abc", "cpu=Arm Cortex-M4;isa=c99",
                           isa, 2, 3, name_at, NULL, 1ull << 21, 16384};
  size_t n = nc_wire_encode_hello_reply(77, &h, buf, sizeof buf);
  cr_assert_gt(n, 0);
  Reply *r = neuroc__agent__reply__unpack(NULL, n, buf);
  cr_assert_not_null(r);
  cr_assert_eq(r->id, 77);
  cr_assert_eq(r->body_case, NEUROC__AGENT__REPLY__BODY_HELLO);
  cr_assert_eq(r->hello->protocol_version, 1);
  cr_assert_str_eq(r->hello->agent_version, "neuroc-agent-fw 0.1.0");
  cr_assert_str_eq(r->hello->library_version, "0.1.0+abc");
  cr_assert_str_eq(r->hello->fingerprint, "cpu=Arm Cortex-M4;isa=c99");
  cr_assert_eq(r->hello->n_isa, 2);
  cr_assert_str_eq(r->hello->isa[1], "dsp");
  cr_assert_eq(r->hello->n_routines, 3);
  cr_assert_str_eq(r->hello->routines[1], "cpu:*:nchw/abs-ref/c99");
  cr_assert_str_eq(r->hello->routines[2], ""); /* an empty repeated string is kept */
  cr_assert_eq(r->hello->max_bytes, 1ull << 21);
  cr_assert_eq(r->hello->max_frame, 16384);
  neuroc__agent__reply__free_unpacked(r, NULL);

  nc_wire_measure_reply m = {0.0421, 0.015625, 0.5, 12, 1};
  n = nc_wire_encode_measure_reply(1ull << 33, &m, buf, sizeof buf);
  r = neuroc__agent__reply__unpack(NULL, n, buf);
  cr_assert_not_null(r);
  cr_assert_eq(r->id, 1ull << 33);
  cr_assert_eq(r->body_case, NEUROC__AGENT__REPLY__BODY_MEASURE);
  cr_assert_eq(r->measure->median_ms, 0.0421);
  cr_assert_eq(r->measure->spread, 0.015625);
  cr_assert_eq(r->measure->samples, 12);
  cr_assert_eq(r->measure->remeasured, 1);
  cr_assert_eq(r->measure->first_spread, 0.5);
  neuroc__agent__reply__free_unpacked(r, NULL);

  n = nc_wire_encode_error(3, 9, "input 0 brings the request over the limit", buf, sizeof buf);
  r = neuroc__agent__reply__unpack(NULL, n, buf);
  cr_assert_not_null(r);
  cr_assert_eq(r->body_case, NEUROC__AGENT__REPLY__BODY_ERROR);
  cr_assert_eq(r->error->code, NEUROC__AGENT__ERROR_CODE__LIMIT);
  cr_assert_str_eq(r->error->message, "input 0 brings the request over the limit");
  neuroc__agent__reply__free_unpacked(r, NULL);

  n = nc_wire_encode_shutdown_reply(0, buf, sizeof buf);
  r = neuroc__agent__reply__unpack(NULL, n, buf);
  cr_assert_not_null(r);
  cr_assert_eq(r->body_case, NEUROC__AGENT__REPLY__BODY_SHUTDOWN);
  neuroc__agent__reply__free_unpacked(r, NULL);
}

/* A submessage over 127 bytes needs a 2-byte length: close_sub moves it. */
Test(mcu_wire, long_reply_and_too_small_buffer) {
  static uint8_t buf[512];
  char msg[300];
  memset(msg, 'e', sizeof msg - 1);
  msg[sizeof msg - 1] = 0;
  size_t n = nc_wire_encode_error(1, 11, msg, buf, sizeof buf);
  Reply *r = neuroc__agent__reply__unpack(NULL, n, buf);
  cr_assert_not_null(r);
  cr_assert_str_eq(r->error->message, msg);
  neuroc__agent__reply__free_unpacked(r, NULL);
  cr_assert_eq(nc_wire_encode_error(1, 11, msg, buf, 200), 0, "overflow must return 0");
}

/* Every prefix of a valid Measure: an error or a valid partial message (a
 * cut exactly between fields), never a crash; protobuf-c must agree on
 * which prefixes are messages. */
Test(mcu_wire, truncated_prefixes_agree_with_protobuf_c) {
  sample s;
  make_sample(&s);
  size_t n;
  uint8_t *b = pack_request(&s.q, &n);
  static nc_wire_request w;
  int ok = 0;
  for (size_t k = 0; k < n; k++) {
    uint8_t *cut = malloc(k ? k : 1);
    memcpy(cut, b, k);
    int st = nc_wire_decode_request(cut, k, &w, NULL, 0);
    Request *ref = neuroc__agent__request__unpack(NULL, k, cut);
    cr_assert_eq(st == NC_WIRE_OK, ref != NULL, "prefix of %zu bytes: wire %d, protobuf-c %s", k,
                 st, ref ? "ok" : "refused");
    ok += st == NC_WIRE_OK;
    if (ref) neuroc__agent__request__free_unpacked(ref, NULL);
    free(cut);
  }
  cr_assert_lt(ok, (int)n / 4, "most prefixes are cut inside a field");
  free(b);
}

/* Random bytes: statuses only, and protobuf-c agreement where ours accepts
 * (what we accept must be a Request to protobuf-c as well). */
Test(mcu_wire, garbage) {
  static nc_wire_request w;
  uint8_t b[64];
  unsigned seed = 1;
  int accepted = 0;
  for (int iter = 0; iter < 20000; iter++) {
    size_t n = (size_t)(iter % 64);
    for (size_t i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      b[i] = (uint8_t)(seed >> 16);
    }
    char err[128];
    int st = nc_wire_decode_request(b, n, &w, err, sizeof err);
    cr_assert(st == NC_WIRE_OK || st == NC_WIRE_MALFORMED || st == NC_WIRE_LIMIT);
    if (st == NC_WIRE_OK) {
      accepted++;
      Request *ref = neuroc__agent__request__unpack(NULL, n, b);
      cr_assert_not_null(ref, "wire accepted %zu bytes protobuf-c refuses (iteration %d)", n, iter);
      cr_assert_eq(ref->id, w.id);
      neuroc__agent__request__free_unpacked(ref, NULL);
    }
  }
  cr_assert_gt(accepted, 0);
}

Test(mcu_wire, limits) {
  /* 17 inputs: over NC_WIRE_MAX_IN, LIMIT (not MALFORMED) */
  Neuroc__Agent__TensorDesc t = NEUROC__AGENT__TENSOR_DESC__INIT, *pt[17];
  for (int i = 0; i < 17; i++) pt[i] = &t;
  Neuroc__Agent__Measure m = NEUROC__AGENT__MEASURE__INIT;
  m.routine = "cpu:f32:nchw/add-ref/c99";
  m.n_inputs = 17;
  m.inputs = pt;
  Request q = NEUROC__AGENT__REQUEST__INIT;
  q.id = 4;
  q.body_case = NEUROC__AGENT__REQUEST__BODY_MEASURE;
  q.measure = &m;
  size_t n;
  uint8_t *b = pack_request(&q, &n);
  static nc_wire_request w;
  char err[128];
  cr_assert_eq(nc_wire_decode_request(b, n, &w, err, sizeof err), NC_WIRE_LIMIT);
  cr_assert(strstr(err, "inputs"), "%s", err);
  cr_assert_eq(w.id, 4);
  free(b);
  /* rank 9 */
  int64_t dims[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  t.n_dims = 9;
  t.dims = dims;
  m.n_inputs = 1;
  b = pack_request(&q, &n);
  cr_assert_eq(nc_wire_decode_request(b, n, &w, err, sizeof err), NC_WIRE_LIMIT);
  free(b);
  /* a routine descriptor longer than the agent keeps */
  char longname[400];
  memset(longname, 'r', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  t.n_dims = 0;
  m.routine = longname;
  b = pack_request(&q, &n);
  cr_assert_eq(nc_wire_decode_request(b, n, &w, err, sizeof err), NC_WIRE_LIMIT);
  free(b);
}
