/* Protobuf wire format by hand for the firmware agent (wire.h): varints,
 * fixed32/64 and length-delimited fields; unknown fields are skipped, packed
 * and unpacked repeated scalars are both accepted, as protobuf requires. */
#include "wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* ---------------- decoding ---------------- */

typedef struct reader {
  const uint8_t *p, *end;
  int status;            /* NC_WIRE_OK until the first failure */
  char *err;
  size_t errn;
} reader;

static void failf(reader *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void failf(reader *r, int status, const char *fmt, ...) {
  if (r->status) return; /* keep the first message */
  r->status = status;
  if (r->err && r->errn) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errn, fmt, ap);
    va_end(ap);
  }
}

static uint64_t get_varint(reader *r) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end) {
      failf(r, NC_WIRE_MALFORMED, "varint cut by the end of the message");
      return 0;
    }
    uint8_t b = *r->p++;
    if (shift == 63 && b > 1) break; /* more than 64 bits */
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  failf(r, NC_WIRE_MALFORMED, "varint longer than 10 bytes");
  return 0;
}

static uint64_t get_fixed(reader *r, int bytes) {
  if (r->end - r->p < bytes) {
    failf(r, NC_WIRE_MALFORMED, "fixed%d field cut by the end of the message", bytes * 8);
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)r->p[i] << (8 * i);
  r->p += bytes;
  return v;
}

static double get_double(reader *r) {
  uint64_t u = get_fixed(r, 8);
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static float get_float(reader *r) {
  uint32_t u = (uint32_t)get_fixed(r, 4);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* A length-delimited field: a sub-reader over its bytes. */
static reader get_len(reader *r) {
  reader sub = *r;
  uint64_t n = get_varint(r);
  if (!r->status && n > (uint64_t)(r->end - r->p))
    failf(r, NC_WIRE_MALFORMED, "length %llu past the end of the message", (unsigned long long)n);
  if (r->status) {
    sub.p = sub.end = r->p;
    sub.status = r->status;
    return sub;
  }
  sub.p = r->p;
  sub.end = r->p + n;
  r->p += n;
  return sub;
}

/* Child reader results flow back to the parent. */
static void join(reader *parent, const reader *child) {
  if (child->status && !parent->status) parent->status = child->status;
}

static void skip_field(reader *r, int wt) {
  switch (wt) {
  case WT_VARINT: get_varint(r); break;
  case WT_I64: get_fixed(r, 8); break;
  case WT_I32: get_fixed(r, 4); break;
  case WT_LEN: get_len(r); break;
  default: failf(r, NC_WIRE_MALFORMED, "wire type %d is not used by this protocol", wt);
  }
}

static void get_string(reader *r, char *dst, size_t cap, const char *what) {
  reader s = get_len(r);
  if (r->status) return;
  size_t n = (size_t)(s.end - s.p);
  if (n >= cap) {
    failf(r, NC_WIRE_LIMIT, "%s of %zu bytes (limit %zu)", what, n, cap - 1);
    return;
  }
  memcpy(dst, s.p, n);
  dst[n] = 0;
}

/* A repeated scalar, packed (one WT_LEN field) or not (one value per field).
 * get reads one value into slot i of the caller's array. */
typedef void (*get_one_fn)(reader *r, void *array, int i);

static void get_repeated(reader *r, int wt, int elem_wt, void *array, int32_t *count, int max,
                         get_one_fn get, const char *what) {
  if (wt == WT_LEN) {
    reader s = get_len(r);
    while (!s.status && !r->status && s.p < s.end) {
      if (*count >= max) {
        failf(r, NC_WIRE_LIMIT, "more than %d %s", max, what);
        return;
      }
      get(&s, array, (*count)++);
    }
    join(r, &s);
  } else if (wt == elem_wt) {
    if (*count >= max) {
      failf(r, NC_WIRE_LIMIT, "more than %d %s", max, what);
      return;
    }
    get(r, array, (*count)++);
  } else {
    failf(r, NC_WIRE_MALFORMED, "%s with wire type %d", what, wt);
  }
}

static void one_int64(reader *r, void *a, int i) { ((int64_t *)a)[i] = (int64_t)get_varint(r); }
static void one_double(reader *r, void *a, int i) { ((double *)a)[i] = get_double(r); }
static void one_bool(reader *r, void *a, int i) { ((uint8_t *)a)[i] = get_varint(r) != 0; }

/* Reads the next tag; 0 at the end or on failure. */
static int next_tag(reader *r, int *field, int *wt) {
  if (r->status || r->p >= r->end) return 0;
  uint64_t tag = get_varint(r);
  if (r->status) return 0;
  *field = (int)(tag >> 3);
  *wt = (int)(tag & 7);
  if (*field == 0 || tag >> 32) {
    failf(r, NC_WIRE_MALFORMED, "invalid field number %llu", (unsigned long long)(tag >> 3));
    return 0;
  }
  return 1;
}

/* Checks a scalar field's wire type before reading it. */
static int want(reader *r, int wt, int expect, const char *what) {
  if (wt == expect) return 1;
  failf(r, NC_WIRE_MALFORMED, "field %s has wire type %d, expected %d", what, wt, expect);
  return 0;
}

static void decode_tensor(reader *r, nc_tdesc *d, const char *what) {
  int field, wt;
  while (next_tag(r, &field, &wt)) {
    if (field == 1 && want(r, wt, WT_VARINT, "TensorDesc.dtype")) {
      d->dtype = (int32_t)get_varint(r);
    } else if (field == 2) {
      get_repeated(r, wt, WT_VARINT, d->dims, &d->ndim, NC_MAX_DIMS, one_int64, what);
    } else if (field == 3 && want(r, wt, WT_I32, "TensorDesc.scale")) {
      d->scale = get_float(r);
    } else if (field == 4 && want(r, wt, WT_VARINT, "TensorDesc.zero_point")) {
      d->zero_point = (int32_t)get_varint(r);
    } else if (field > 4) {
      skip_field(r, wt);
    }
  }
}

static void get_tensor(reader *r, int wt, nc_tdesc *arr, int32_t *count, int max,
                       const char *what) {
  if (!want(r, wt, WT_LEN, what)) return;
  if (*count >= max) {
    failf(r, NC_WIRE_LIMIT, "more than %d %s", max, what);
    return;
  }
  reader s = get_len(r);
  nc_tdesc *d = &arr[(*count)++];
  memset(d, 0, sizeof *d);
  decode_tensor(&s, d, what[0] == 'i' ? "input dims (rank over 8)" : "output dims (rank over 8)");
  join(r, &s);
}

static void decode_measure(reader *r, nc_wire_measure *m) {
  int field, wt;
  while (next_tag(r, &field, &wt)) {
    switch (field) {
    case 1: get_string(r, m->routine, sizeof m->routine, "routine descriptor"); break;
    case 2: get_tensor(r, wt, m->in, &m->n_in, NC_WIRE_MAX_IN, "inputs"); break;
    case 3: get_tensor(r, wt, m->out, &m->n_out, NC_WIRE_MAX_OUT, "outputs"); break;
    case 4:
      get_repeated(r, wt, WT_VARINT, m->ia, &m->n_ia, NC_WIRE_MAX_ARGS, one_int64,
                   "integer arguments");
      break;
    case 5:
      get_repeated(r, wt, WT_I64, m->fa, &m->n_fa, NC_WIRE_MAX_ARGS, one_double,
                   "real arguments");
      break;
    case 6:
      get_repeated(r, wt, WT_VARINT, m->constant, &m->n_constant, NC_WIRE_MAX_IN, one_bool,
                   "constant flags");
      break;
    case 7: if (want(r, wt, WT_I64, "Measure.min_ms")) m->min_ms = get_double(r); break;
    case 8: if (want(r, wt, WT_VARINT, "Measure.warmup")) m->warmup = (uint32_t)get_varint(r); break;
    case 9: if (want(r, wt, WT_I64, "Measure.max_spread")) m->max_spread = get_double(r); break;
    default: skip_field(r, wt);
    }
  }
}

static void decode_hello(reader *r, nc_wire_request *q) {
  int field, wt;
  while (next_tag(r, &field, &wt)) {
    if (field == 1 && want(r, wt, WT_VARINT, "Hello.protocol_version")) {
      q->protocol_version = (uint32_t)get_varint(r);
    } else if (field == 2 && want(r, wt, WT_LEN, "Hello.client")) {
      /* free text for a log: cut to fit rather than refused */
      reader s = get_len(r);
      size_t n = (size_t)(s.end - s.p);
      if (n >= sizeof q->client) n = sizeof q->client - 1;
      memcpy(q->client, s.p, n);
      q->client[n] = 0;
    } else {
      skip_field(r, wt);
    }
  }
}

int nc_wire_decode_request(const uint8_t *p, size_t n, nc_wire_request *q, char *err,
                           size_t errn) {
  memset(q, 0, sizeof *q);
  if (err && errn) err[0] = 0;
  reader r = {p, p + n, NC_WIRE_OK, err, errn};
  int field, wt;
  while (next_tag(&r, &field, &wt)) {
    if (field == 1 && want(&r, wt, WT_VARINT, "Request.id")) {
      q->id = get_varint(&r);
    } else if (field >= 2 && field <= 4 && want(&r, wt, WT_LEN, "Request.body")) {
      reader s = get_len(&r);
      if (q->body != field) {
        /* oneof: a different member replaces the previous one */
        memset(&q->measure, 0, sizeof q->measure);
        q->protocol_version = 0;
        q->client[0] = 0;
      }
      q->body = field;
      if (field == NC_WIRE_HELLO) decode_hello(&s, q);
      else if (field == NC_WIRE_MEASURE) decode_measure(&s, &q->measure);
      else while (next_tag(&s, &field, &wt)) skip_field(&s, wt); /* Shutdown: no fields */
      join(&r, &s);
    } else if (field > 4) {
      skip_field(&r, wt);
    }
  }
  return r.status;
}

/* ---------------- encoding ---------------- */

typedef struct writer {
  uint8_t *buf;
  size_t len, cap;
  int overflow;
} writer;

static void put_bytes(writer *w, const void *p, size_t n) {
  if (w->overflow || n > w->cap - w->len) {
    w->overflow = 1;
    return;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static void put_varint(writer *w, uint64_t v) {
  uint8_t b[10];
  int n = 0;
  do {
    b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  put_bytes(w, b, (size_t)n);
}

static void put_tag(writer *w, int field, int wt) { put_varint(w, (uint64_t)field << 3 | (uint64_t)wt); }

/* proto3: scalars equal to their default are not written (as protobuf-c). */
static void put_uint_field(writer *w, int field, uint64_t v) {
  if (!v) return;
  put_tag(w, field, WT_VARINT);
  put_varint(w, v);
}

static void put_double_field(writer *w, int field, double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  if (!u) return; /* +0.0 only: -0.0 is not the default */
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(u >> (8 * i));
  put_tag(w, field, WT_I64);
  put_bytes(w, b, 8);
}

static void put_string_field(writer *w, int field, const char *s, int always) {
  size_t n = s ? strlen(s) : 0;
  if (!n && !always) return;
  put_tag(w, field, WT_LEN);
  put_varint(w, n);
  put_bytes(w, s, n);
}

/* Opens a length-delimited submessage: its tag and a 5-byte length slot;
 * close_sub moves the body down behind the real (shortest) length. */
static size_t open_sub(writer *w, int field) {
  put_tag(w, field, WT_LEN);
  size_t slot = w->len;
  uint8_t zero[5] = {0};
  put_bytes(w, zero, 5);
  return slot;
}

static void close_sub(writer *w, size_t slot) {
  if (w->overflow) return;
  size_t body = slot + 5, n = w->len - body;
  uint8_t b[10];
  writer lw = {b, 0, sizeof b, 0};
  put_varint(&lw, n);
  memmove(w->buf + slot + lw.len, w->buf + body, n);
  memcpy(w->buf + slot, b, lw.len);
  w->len = slot + lw.len + n;
}

static size_t finish(const writer *w) { return w->overflow ? 0 : w->len; }

size_t nc_wire_encode_hello_reply(uint64_t id, const nc_wire_hello_reply *h, uint8_t *buf,
                                  size_t cap) {
  writer w = {buf, 0, cap, 0};
  put_uint_field(&w, 1, id);
  size_t slot = open_sub(&w, 2);
  put_uint_field(&w, 1, h->protocol_version);
  put_string_field(&w, 2, h->agent_version, 0);
  put_string_field(&w, 3, h->library_version, 0);
  put_string_field(&w, 4, h->fingerprint, 0);
  for (int i = 0; i < h->n_isa; i++) put_string_field(&w, 5, h->isa[i], 1);
  for (int i = 0; i < h->n_routines; i++)
    put_string_field(&w, 6, h->routine(i, h->routine_ctx), 1);
  put_uint_field(&w, 7, h->max_bytes);
  put_uint_field(&w, 8, h->max_frame);
  close_sub(&w, slot);
  return finish(&w);
}

size_t nc_wire_encode_measure_reply(uint64_t id, const nc_wire_measure_reply *m, uint8_t *buf,
                                    size_t cap) {
  writer w = {buf, 0, cap, 0};
  put_uint_field(&w, 1, id);
  size_t slot = open_sub(&w, 3);
  put_double_field(&w, 1, m->median_ms);
  put_double_field(&w, 2, m->spread);
  put_uint_field(&w, 3, m->samples);
  put_uint_field(&w, 4, m->remeasured ? 1 : 0);
  put_double_field(&w, 5, m->first_spread);
  close_sub(&w, slot);
  return finish(&w);
}

size_t nc_wire_encode_error(uint64_t id, int code, const char *message, uint8_t *buf,
                            size_t cap) {
  writer w = {buf, 0, cap, 0};
  put_uint_field(&w, 1, id);
  size_t slot = open_sub(&w, 4);
  put_uint_field(&w, 1, (uint64_t)(uint32_t)code);
  put_string_field(&w, 2, message, 0);
  close_sub(&w, slot);
  return finish(&w);
}

size_t nc_wire_encode_shutdown_reply(uint64_t id, uint8_t *buf, size_t cap) {
  writer w = {buf, 0, cap, 0};
  put_uint_field(&w, 1, id);
  size_t slot = open_sub(&w, 5);
  close_sub(&w, slot);
  return finish(&w);
}
