/* The measurement harness: one implementation of "how long does this routine
 * take on these shapes", used in-process by the compiler's local profiler and
 * by neuroc-agent on the target (measure.h). */
#define _POSIX_C_SOURCE 200809L
#include "measure.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#define MAX_SAMPLES 200
#define SAMPLES_PER_MIN 20   /* a sample lasts about min_ms / SAMPLES_PER_MIN */
#define MAX_BATCH 100000
#define RUN_CAP_S 0.5        /* past min_ms too: a slow routine, a few samples already tell */
#define WARMUP_CAP_S 1.0     /* warm-up stops early past this */

static int fail(int status, char *err, size_t errn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(int status, char *err, size_t errn, const char *fmt, ...) {
  if (err && errn) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errn, fmt, ap);
    va_end(ap);
  }
  return status;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int32_t nc_measure_key_dtype(const nc_args *a) {
  for (int i = 0; i < a->n_in; i++)
    if (a->in[i].dtype) return a->in[i].dtype;
  for (int i = 0; i < a->n_out; i++)
    if (a->out[i].dtype) return a->out[i].dtype;
  return NC_UNDEF;
}

static uint64_t limit_of(const nc_measure_opts *o) {
  return o && o->max_bytes ? o->max_bytes : NC_MEASURE_MAX_BYTES_DEFAULT;
}

/* Bytes of d stored in `layout`, or UINT64_MAX past `cap` (no overflow). */
static uint64_t bytes_capped(const nc_tdesc *d, int layout, uint64_t cap) {
  uint64_t es = nc_dtype_size(d->dtype);
  int64_t block = layout == NC_LAYOUT_NCHW8C ? 8 : layout == NC_LAYOUT_NCHW16C ? 16 : 1;
  uint64_t n = es;
  for (int i = 0; i < d->ndim; i++) {
    uint64_t dim = (uint64_t)d->dims[i];
    if (i == 1 && d->ndim == 4 && block > 1) dim = (dim + (uint64_t)block - 1) / (uint64_t)block * (uint64_t)block;
    if (dim == 0) return 0;
    if (n > cap / dim) return UINT64_MAX;
    n *= dim;
  }
  return n;
}

static int check_tdesc(const nc_tdesc *d, const char *what, int i, char *err, size_t errn) {
  if (d->dtype == NC_UNDEF) return NC_MEASURE_OK;
  if (nc_dtype_size(d->dtype) == 0)
    return fail(NC_MEASURE_LIMIT, err, errn, "%s %d: unsupported dtype %d", what, i, (int)d->dtype);
  if (d->ndim < 0 || d->ndim > NC_MAX_DIMS)
    return fail(NC_MEASURE_LIMIT, err, errn, "%s %d: rank %d outside 0..%d", what, i,
                (int)d->ndim, NC_MAX_DIMS);
  for (int j = 0; j < d->ndim; j++)
    if (d->dims[j] < 0)
      return fail(NC_MEASURE_LIMIT, err, errn, "%s %d: negative dimension %lld at axis %d", what,
                  i, (long long)d->dims[j], j);
  return NC_MEASURE_OK;
}

/* Adds b to *total; fails when the sum passes the limit. */
static int add_bytes(uint64_t *total, uint64_t b, uint64_t limit, const char *what, int i,
                     char *err, size_t errn) {
  if (b > limit || *total > limit - b)
    return fail(NC_MEASURE_LIMIT, err, errn,
                "%s %d brings the request over the limit of %llu bytes (--max-bytes)", what, i,
                (unsigned long long)limit);
  *total += b;
  return NC_MEASURE_OK;
}

int nc_measure_check(const nc_routine *r, const nc_args *a, const nc_measure_opts *o,
                     char *err, size_t errn) {
  if (!r || !a) return fail(NC_MEASURE_INTERNAL, err, errn, "no routine or arguments");
  if (a->n_in < 0 || a->n_in > NC_MEASURE_MAX_IN || a->n_out < 0 || a->n_out > NC_MEASURE_MAX_OUT)
    return fail(NC_MEASURE_LIMIT, err, errn, "%d inputs / %d outputs (limits %d / %d)",
                (int)a->n_in, (int)a->n_out, NC_MEASURE_MAX_IN, NC_MEASURE_MAX_OUT);
  if (a->n_ia < 0 || a->n_ia > NC_MEASURE_MAX_ARGS || a->n_fa < 0 || a->n_fa > NC_MEASURE_MAX_ARGS)
    return fail(NC_MEASURE_LIMIT, err, errn, "%d integer / %d real arguments (limit %d each)",
                (int)a->n_ia, (int)a->n_fa, NC_MEASURE_MAX_ARGS);
  if ((a->n_in && !a->in) || (a->n_out && !a->out) || (a->n_ia && !a->ia) || (a->n_fa && !a->fa))
    return fail(NC_MEASURE_INTERNAL, err, errn, "argument arrays missing");
  if (o && (!(o->min_ms >= 0) || o->min_ms > NC_MEASURE_MAX_MIN_MS))
    return fail(NC_MEASURE_LIMIT, err, errn, "min_ms %g outside 0..%g", o->min_ms,
                NC_MEASURE_MAX_MIN_MS);
  if (o && (o->warmup < 0 || o->warmup > NC_MEASURE_MAX_WARMUP))
    return fail(NC_MEASURE_LIMIT, err, errn, "warmup %d outside 0..%d", o->warmup,
                NC_MEASURE_MAX_WARMUP);
  int rc;
  for (int i = 0; i < a->n_in; i++)
    if ((rc = check_tdesc(&a->in[i], "input", i, err, errn))) return rc;
  for (int i = 0; i < a->n_out; i++)
    if ((rc = check_tdesc(&a->out[i], "output", i, err, errn))) return rc;
  uint64_t limit = limit_of(o), total = 0;
  for (int i = 0; i < a->n_in; i++) {
    if (a->in[i].dtype == NC_UNDEF) continue;
    if ((rc = add_bytes(&total, bytes_capped(&a->in[i], r->in_layout, limit), limit, "input", i,
                        err, errn)))
      return rc;
  }
  for (int i = 0; i < a->n_out; i++) {
    if (a->out[i].dtype == NC_UNDEF) continue;
    if ((rc = add_bytes(&total, bytes_capped(&a->out[i], r->out_layout, limit), limit, "output",
                        i, err, errn)))
      return rc;
  }
  return NC_MEASURE_OK;
}

/* ---------------- buffers ---------------- */

static void fill_random(void *p, int32_t dtype, size_t n, unsigned *seed) {
  switch (dtype) {
  case NC_F32:
    for (size_t i = 0; i < n; i++) {
      *seed = *seed * 1103515245u + 12345u;
      ((float *)p)[i] = (float)((*seed >> 9) & 0xffff) / 32768.0f - 1.0f;
    }
    break;
  case NC_F64:
    for (size_t i = 0; i < n; i++) {
      *seed = *seed * 1103515245u + 12345u;
      ((double *)p)[i] = (double)((*seed >> 9) & 0xffff) / 32768.0 - 1.0;
    }
    break;
  default:
    /* Integer and bool inputs may be indices: zero is valid for every
     * non-empty axis, so zero-fill keeps data-dependent routines in bounds. */
    memset(p, 0, n * nc_dtype_size(dtype));
    break;
  }
}

typedef struct buffers {
  void *in[NC_MEASURE_MAX_IN], *out[NC_MEASURE_MAX_OUT], *scratch;
} buffers;

static void free_buffers(buffers *b) {
  for (int i = 0; i < NC_MEASURE_MAX_IN; i++) free(b->in[i]);
  for (int i = 0; i < NC_MEASURE_MAX_OUT; i++) free(b->out[i]);
  free(b->scratch);
  memset(b, 0, sizeof *b);
}

/* Input i's bytes: a constant in ONNX bytes (given by the caller, or random:
 * weights stay on the compiler), packed if the routine packs it, or a random
 * activation. srcs holds every constant input's ONNX bytes, because some
 * packings read the other constants too (nc_routine_pack). */
static void fill_input(const nc_routine *r, const nc_args *a, int i, const void *const *srcs,
                       size_t bytes, size_t packed, void *dst, unsigned *seed) {
  if (!srcs[i]) fill_random(dst, a->in[i].dtype, bytes / nc_dtype_size(a->in[i].dtype), seed);
  else if (!packed) memcpy(dst, srcs[i], bytes);
  else nc_routine_pack(r, a, i, srcs, dst);
}

/* Zeroed memory aligned like the emitted arena (64 bytes), so SIMD routines
 * are timed on the alignment they will run with. */
static void *zalloc64(size_t n) {
  size_t rounded = (n + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (p) memset(p, 0, rounded ? rounded : 64);
  return p;
}

/* Allocates (and fills, packs) everything one call needs, within the limit. */
static int make_buffers(const nc_routine *r, const nc_args *a, const void *const *consts,
                        const uint8_t *is_const, uint64_t limit, buffers *b, char *err,
                        size_t errn) {
  uint64_t total = 0;
  unsigned seed = 12345u;
  int rc;
  size_t in_bytes[NC_MEASURE_MAX_IN] = {0}, packed[NC_MEASURE_MAX_IN] = {0};
  for (int i = 0; i < a->n_in; i++) {
    if (a->in[i].dtype == NC_UNDEF) continue;
    int cst = (consts && consts[i]) || (is_const && is_const[i]);
    /* activations are stored in the routine's layout (blocked ones pad C) */
    in_bytes[i] = (size_t)bytes_capped(&a->in[i], cst ? NC_LAYOUT_NCHW : r->in_layout, limit);
    packed[i] = cst && r->packed_bytes && (r->pack || r->pack_with) ? r->packed_bytes(a, i) : 0;
    size_t want = packed[i] > in_bytes[i] ? packed[i] : in_bytes[i];
    if ((rc = add_bytes(&total, (uint64_t)want + 64, limit, "input", i, err, errn))) return rc;
  }
  size_t out_bytes[NC_MEASURE_MAX_OUT] = {0};
  for (int i = 0; i < a->n_out; i++) {
    if (a->out[i].dtype == NC_UNDEF) continue;
    out_bytes[i] = (size_t)bytes_capped(&a->out[i], r->out_layout, limit);
    if ((rc = add_bytes(&total, (uint64_t)out_bytes[i] + 64, limit, "output", i, err, errn)))
      return rc;
  }
  size_t sb = r->scratch_bytes ? r->scratch_bytes(a) : 0;
  if ((rc = add_bytes(&total, sb, limit, "scratch of routine", 0, err, errn))) return rc;

  const void *srcs[NC_MEASURE_MAX_IN] = {0};
  void *tmp[NC_MEASURE_MAX_IN] = {0};
  rc = NC_MEASURE_OK;
  for (int i = 0; i < a->n_in && !rc; i++) {
    int cst = (consts && consts[i]) || (is_const && is_const[i]);
    if (a->in[i].dtype == NC_UNDEF || !cst) continue;
    if (consts && consts[i]) {
      srcs[i] = consts[i];
    } else if ((tmp[i] = malloc(in_bytes[i] + 64))) {
      fill_random(tmp[i], a->in[i].dtype, in_bytes[i] / nc_dtype_size(a->in[i].dtype), &seed);
      srcs[i] = tmp[i];
    } else {
      rc = fail(NC_MEASURE_INTERNAL, err, errn, "out of memory for input %d", i);
    }
  }
  for (int i = 0; i < a->n_in && !rc; i++) {
    if (a->in[i].dtype == NC_UNDEF) continue;
    size_t want = packed[i] > in_bytes[i] ? packed[i] : in_bytes[i];
    b->in[i] = zalloc64(want + 64);
    if (!b->in[i]) rc = fail(NC_MEASURE_INTERNAL, err, errn, "out of memory for input %d", i);
    else fill_input(r, a, i, srcs, in_bytes[i], packed[i], b->in[i], &seed);
  }
  for (int i = 0; i < a->n_in; i++) free(tmp[i]);
  if (rc) return rc;
  for (int i = 0; i < a->n_out; i++) {
    if (a->out[i].dtype == NC_UNDEF) continue;
    b->out[i] = zalloc64(out_bytes[i] + 64);
    if (!b->out[i]) return fail(NC_MEASURE_INTERNAL, err, errn, "out of memory for output %d", i);
  }
  if (sb && !(b->scratch = zalloc64(sb)))
    return fail(NC_MEASURE_INTERNAL, err, errn, "out of memory for %zu bytes of scratch", sb);
  return NC_MEASURE_OK;
}

/* ---------------- timing ---------------- */

static int cmp_double(const void *x, const void *y) {
  double p = *(const double *)x, q = *(const double *)y;
  return p < q ? -1 : p > q;
}

/* One measuring run: batched samples until min_ms (at least 3 samples). */
static void time_run(const nc_routine *r, const nc_args *a, buffers *b, double min_ms,
                     nc_measurement *m) {
  const void *const *in = (const void *const *)b->in;
  double t0 = now_s();
  r->fn(a, in, b->out, b->scratch);
  double one = now_s() - t0;
  /* Each sample times `batch` back-to-back calls lasting about
   * min_ms / SAMPLES_PER_MIN, so tiny routines are not drowned by the
   * clock's own cost. */
  double target = min_ms * 1e-3 / SAMPLES_PER_MIN;
  long batch = one > 0 && one < target ? (long)(target / one) : 1;
  if (batch > MAX_BATCH) batch = MAX_BATCH;
  double times[MAX_SAMPLES];
  int n = 0;
  double spent = one;
  while (n < MAX_SAMPLES && (n < 3 || spent < min_ms * 1e-3)) {
    t0 = now_s();
    for (long k = 0; k < batch; k++) r->fn(a, in, b->out, b->scratch);
    double dt = now_s() - t0;
    times[n++] = dt * 1e3 / (double)batch;
    spent += dt;
    if (spent > RUN_CAP_S && spent > min_ms * 1e-3) break;
  }
  qsort(times, (size_t)n, sizeof(double), cmp_double);
  m->median_ms = times[n / 2];
  double q1 = times[n / 4], q3 = times[(3 * n) / 4];
  m->spread = m->median_ms > 0 ? (q3 - q1) / m->median_ms : 0.0;
  m->samples = n;
}

int nc_measure_routine(const nc_routine *r, const nc_args *a, const void *const *consts,
                       const uint8_t *is_const, const nc_measure_opts *o, nc_measurement *m,
                       char *err, size_t errn) {
  memset(m, 0, sizeof *m);
  int rc = nc_measure_check(r, a, o, err, errn);
  if (rc) return rc;
  char isa[32];
  nc_routine_isa(r, isa, sizeof isa);
  if (!nc_cpu_supports(isa))
    return fail(NC_MEASURE_ISA_UNSUPPORTED, err, errn, "this CPU cannot run ISA '%s' of %s", isa,
                r->descriptor);
  int32_t dt = nc_measure_key_dtype(a);
  /* quantized-storage routines name the logical dtype (adapters) or the
   * storage one; their applies() checks the tdescs */
  int quant = r->in_q != NC_Q_NONE || r->out_q != NC_Q_NONE;
  if (dt != NC_UNDEF && !quant && (dt > 31 || !(r->dtypes & NC_DT(dt))))
    return fail(NC_MEASURE_NOT_APPLICABLE, err, errn, "%s does not take dtype %s", r->descriptor,
                nc_dtype_name(dt));
  if (r->applies && !r->applies(a))
    return fail(NC_MEASURE_NOT_APPLICABLE, err, errn,
                "%s does not apply to these arguments (its applies() refused them)",
                r->descriptor);
  buffers b;
  memset(&b, 0, sizeof b);
  if ((rc = make_buffers(r, a, consts, is_const, limit_of(o), &b, err, errn))) {
    free_buffers(&b);
    return rc;
  }
  double min_ms = o ? o->min_ms : 2.0;
  int warmup = o ? o->warmup : 1;
  double max_spread = o && o->max_spread > 0 ? o->max_spread : NC_MEASURE_MAX_SPREAD_DEFAULT;
  double w0 = now_s();
  for (int w = 0; w < warmup && now_s() - w0 < WARMUP_CAP_S; w++)
    r->fn(a, (const void *const *)b.in, b.out, b.scratch);
  time_run(r, a, &b, min_ms, m);
  if (m->spread > max_spread) {
    /* Timing noise is real (another process, frequency scaling): one more
     * run, and the quieter of the two is kept. */
    nc_measurement again;
    memset(&again, 0, sizeof again);
    time_run(r, a, &b, min_ms, &again);
    double first = m->spread;
    if (again.spread < m->spread) *m = again;
    m->remeasured = 1;
    m->first_spread = first;
  }
  free_buffers(&b);
  return NC_MEASURE_OK;
}

/* ---------------- identity ---------------- */

/* "model name" (x86), else "CPU implementer"/"CPU part" (Arm), from /proc/cpuinfo. */
static void cpu_model(char *buf, size_t n) {
  snprintf(buf, n, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512], impl[64] = "", part[64] = "";
  while (fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    char *val = colon + 1;
    while (*val == ' ' || *val == '\t') val++;
    val[strcspn(val, "\n")] = 0;
    if (strncmp(line, "model name", 10) == 0) {
      snprintf(buf, n, "%s", val);
      break;
    }
    if (strncmp(line, "CPU implementer", 15) == 0 && !impl[0]) snprintf(impl, sizeof impl, "%s", val);
    if (strncmp(line, "CPU part", 8) == 0 && !part[0]) snprintf(part, sizeof part, "%s", val);
  }
  fclose(f);
  if (strcmp(buf, "unknown") == 0 && impl[0]) snprintf(buf, n, "implementer %s part %s", impl, part);
  /* the fingerprint is ';'-separated: keep the model free of ';' */
  for (char *p = buf; *p; p++)
    if (*p == ';') *p = ',';
}

/* 1 if `word` is one of the space-separated words of `list`. */
static int has_word(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
  return 0;
}

const char *nc_supported_isas(char *buf, size_t n) {
  const nc_routine *t = nc_routine_table();
  int count = nc_routine_count();
  size_t len = 0;
  buf[0] = 0;
  for (int i = 0; i < count; i++) {
    char isa[32];
    nc_routine_isa(&t[i], isa, sizeof isa);
    if (has_word(buf, isa) || !nc_cpu_supports(isa)) continue;
    int w = snprintf(buf + len, n - len, "%s%s", len ? " " : "", isa);
    if (w < 0 || (size_t)w >= n - len) {
      buf[len] = 0;
      break;
    }
    len += (size_t)w;
  }
  return buf;
}

static const char *compiler_name(void) {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

const char *nc_target_fingerprint(char *buf, size_t n) {
  char cpu[256], isas[1024];
  cpu_model(cpu, sizeof cpu);
  nc_supported_isas(isas, sizeof isas);
  struct utsname u;
  const char *os = "unknown", *machine = "unknown";
  if (uname(&u) == 0) {
    os = u.sysname;
    machine = u.machine;
  }
  snprintf(buf, n, "cpu=%s;isa=%s;os=%s;arch=%s;cc=%s;rt=%s", cpu, isas, os, machine,
           compiler_name(), nc_runtime_version());
  return buf;
}
