/* Forced checker for the aarch64 routine families (runtime-min/src/neon_*.c):
 * every table routine whose ISA is "neon" or "neondot" runs on random shapes
 * and arguments its applies() accepts, with its constant inputs packed the
 * way the compiler packs them (nc_routine_pack), against its layer's
 * reference routine (NC_RF_REFERENCE, c99, NCHW) on the same data; an int8
 * routine (u8 activations) against the c99 int8 routine of the same
 * descriptor, byte for byte. One line
 * per routine; exit status 1 on any mismatch, on a pack, scratch or output
 * overrun, or when a routine was never exercised (no generator for its
 * layer, the CPU lacks its ISA, or no random case applied).
 *
 * A plain C program, not Criterion: Criterion's runner hangs under
 * qemu-user, and this runs there (ctest label aarch64, through
 * CMAKE_CROSSCOMPILING_EMULATOR).
 *
 * Packing portability: the compiler packs weights on the build host (x86)
 * for a model that runs on aarch64, so the packed bytes must not depend on
 * the host. `--pack-hashes` prints, per routine, a hash of the packed
 * constants of a fixed sequence of cases (no routine runs, so any host can
 * do it); `--golden FILE` compares this host's hashes with FILE, recorded on
 * x86-64 (tests/cross/neon_pack_hashes.txt).
 *
 * `--bench` times each routine and its reference on one mid-size case per
 * layer (under qemu these are emulation timings: a sanity check only).
 *
 * Usage: check_routines [--pack-hashes] [--golden FILE] [--bench] [SEED [FILTER]]
 * FILTER keeps the routines whose descriptor contains it. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "neuroc/args.h"
#include "neuroc/routines.h"

/* f32 results: |y - e| / max(1, |e|) over all elements, for reductions of
 * up to 256 products; longer ones get sqrt(K / 256) times more (rounding
 * errors of both sums grow like a random walk). */
#define F32_TOL 2e-5
#define GUARD 64 /* canary bytes after every buffer a routine writes */

static unsigned long long rng_state = 88172645463325252ull;
static unsigned rnd(void) { /* xorshift64: the same sequence on every host */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (unsigned)(rng_state >> 32);
}
static int64_t rnd_in(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rnd() % (unsigned)(hi - lo + 1));
}
static float frand(void) { return (float)(rnd() % 2000001u) / 1000000.0f - 1.0f; }

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "check_routines: out of memory (%zu bytes)\n", n);
    exit(2);
  }
  return p;
}

static float *rand_floats(int64_t n) {
  float *p = xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
  for (int64_t i = 0; i < n; i++) p[i] = frand();
  return p;
}

static nc_tdesc td(int32_t dtype, int ndim, const int64_t *dims) {
  nc_tdesc d;
  memset(&d, 0, sizeof d);
  d.dtype = dtype;
  d.ndim = ndim;
  for (int i = 0; i < ndim; i++) d.dims[i] = dims[i];
  return d;
}

/* A guarded buffer: `bytes` usable, then GUARD canary bytes. */
static void *guarded(size_t bytes) {
  unsigned char *p = xmalloc(bytes + GUARD);
  memset(p + bytes, 0xA5, GUARD);
  return p;
}
static int guard_ok(const void *p, size_t bytes) {
  const unsigned char *c = (const unsigned char *)p + bytes;
  for (int i = 0; i < GUARD; i++)
    if (c[i] != 0xA5) return 0;
  return 1;
}

/* Routines flagged NC_RF_APPROX (Winograd) round more: their transforms
 * grow the error with the channel count. */
#define F32_TOL_APPROX 1e-4

/* ---------------- one checked call ---------------- */

/* A layer call in NCHW terms: the inputs in ONNX bytes and which of them are
 * constants (packed for the routine under test); rank-4 activation inputs
 * and the output are transposed for an NHWC routine. */
typedef struct call {
  nc_args a;
  const void *in[8];
  unsigned const_mask;
  int quant;      /* u8 activations: same layout for both routines, no relayout */
  int64_t k;      /* products per output element (tolerance scale) */
  char what[200]; /* shape summary for messages */
} call;

typedef struct tally {
  int cases, failures;
  double worst;
  uint64_t hash; /* of the packed constants, in fingerprint mode */
} tally;

/* Fingerprint mode: check() packs the constants and hashes them, runs nothing. */
static int fingerprint_mode;
/* Bench mode: run() calls the routine this many times and keeps the best
 * time of one call in last_fn_secs. */
static int bench_reps = 1;
static double last_fn_secs;

static double now_secs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

static const nc_routine *find_or_die(const char *desc) {
  const nc_routine *r = nc_routine_find(desc);
  if (!r) {
    fprintf(stderr, "check_routines: routine %s not in the table\n", desc);
    exit(2);
  }
  return r;
}

/* Rank-4 f32 NCHW <-> `layout` through the table's c99 adapters. */
static void relayout(const nc_tdesc *d, int layout, const void *src, void *dst, int to_layout) {
  char desc[64];
  const char *name = nc_layout_name(layout);
  if (to_layout) snprintf(desc, sizeof desc, "cpu:f32:nchw/to-%s/c99", name);
  else snprintf(desc, sizeof desc, "cpu:f32:%s/to-nchw/c99", name);
  const nc_routine *r = find_or_die(desc);
  nc_args a = {1, 1, d, d, NULL, NULL, 0, 0};
  const void *in[1] = {src};
  void *out[1] = {dst};
  r->fn(&a, in, out, NULL);
}

/* The padded lanes of a blocked layout's tail channel block must be zero
 * (the blocked family's invariant, runtime-min/src/x86_blocked.h). */
static int tail_lanes_zero(const nc_tdesc *d, int layout, const float *y) {
  const int64_t b = layout == NC_LAYOUT_NCHW8C ? 8 : layout == NC_LAYOUT_NCHW16C ? 16 : 0;
  if (!b || d->ndim != 4 || d->dims[1] % b == 0) return 1;
  const int64_t cb = (d->dims[1] + b - 1) / b, hw = d->dims[2] * d->dims[3];
  for (int64_t n = 0; n < d->dims[0]; n++)
    for (int64_t p = 0; p < hw; p++)
      for (int64_t l = d->dims[1] % b; l < b; l++)
        if (y[((n * cb + cb - 1) * hw + p) * b + l] != 0.0f) return 0;
  return 1;
}

/* The c99 int8 routine an int8 routine must equal: the same descriptor with
 * the ISA/tile tail replaced by the portable one's. */
static const nc_routine *int8_reference_of(const nc_routine *r) {
  const nc_routine *t = nc_routine_table();
  const char *isa = strstr(r->descriptor, "/neon");
  if (!isa) return NULL;
  const size_t stem = (size_t)(isa - r->descriptor) + 1;
  for (int i = 0; i < nc_routine_count(); i++)
    if (strncmp(t[i].descriptor, r->descriptor, stem) == 0 &&
        strncmp(t[i].descriptor + stem, "c99", 3) == 0 && !strchr(t[i].descriptor + stem, ':'))
      return &t[i];
  return NULL;
}

static const nc_routine *reference_of(const char *layer, int32_t dtype) {
  const nc_routine *t = nc_routine_table();
  for (int i = 0; i < nc_routine_count(); i++)
    if (strcmp(t[i].layer, layer) == 0 && (t[i].flags & NC_RF_REFERENCE) &&
        (t[i].dtypes & NC_DT(dtype)) && t[i].in_layout == NC_LAYOUT_NCHW)
      return &t[i];
  return NULL;
}

/* Runs r on c; output 0 comes back in NCHW order in y. Packs the constants
 * (when `pack`), converts rank-4 activations to the routine's layout, checks
 * the guards and the blocked tail lanes. Returns 0 on a problem (printed). */
static int run(const nc_routine *r, const call *c, void *y, int pack) {
  const nc_args *a = &c->a;
  const int lay = r->in_layout, olay = r->out_layout;
  const void *ins[8];
  void *owned[8] = {0};
  int ok = 1;
  for (int i = 0; i < a->n_in; i++) {
    ins[i] = c->in[i];
    if (!c->in[i]) continue;
    const int is_const = (c->const_mask >> i) & 1;
    const size_t pb = is_const && pack && r->packed_bytes ? r->packed_bytes(a, i) : 0;
    if (pb > 0) {
      owned[i] = guarded(pb);
      nc_routine_pack(r, a, i, c->in, owned[i]);
      if (!guard_ok(owned[i], pb)) {
        printf("  %s: packing input %d overran its %zu bytes\n", r->descriptor, i, pb);
        ok = 0;
      }
      ins[i] = owned[i];
    } else if (!is_const && !c->quant && lay != NC_LAYOUT_NCHW && a->in[i].ndim == 4) {
      /* the residual sum S comes in the output's layout */
      const int l = i == NC_CONV_IN_SUM && !strcmp(r->layer, "Conv") ? olay : lay;
      owned[i] = xmalloc(nc_layout_bytes(&a->in[i], l));
      relayout(&a->in[i], l, c->in[i], owned[i], 1);
      ins[i] = owned[i];
    }
  }
  const int convert_out = !c->quant && olay != NC_LAYOUT_NCHW && a->out[0].ndim == 4;
  const size_t ybytes = nc_layout_bytes(&a->out[0], convert_out ? olay : NC_LAYOUT_NCHW);
  void *yr = guarded(ybytes);
  const size_t sb = r->scratch_bytes ? r->scratch_bytes(a) : 0;
  void *scratch = sb ? guarded(sb) : NULL;
  void *outs[1] = {yr};
  last_fn_secs = INFINITY;
  for (int rep = 0; rep < bench_reps; rep++) {
    const double t0 = now_secs();
    r->fn(a, ins, outs, scratch);
    const double dt = now_secs() - t0;
    if (dt < last_fn_secs) last_fn_secs = dt;
  }
  if (!guard_ok(yr, ybytes)) {
    printf("  %s: output overrun (%zu bytes)\n", r->descriptor, ybytes);
    ok = 0;
  }
  if (scratch && !guard_ok(scratch, sb)) {
    printf("  %s: scratch overrun (%zu bytes)\n", r->descriptor, sb);
    ok = 0;
  }
  if (convert_out && !tail_lanes_zero(&a->out[0], olay, yr)) {
    printf("  %s: non-zero padded lanes in the tail channel block\n", r->descriptor);
    ok = 0;
  }
  if (convert_out) relayout(&a->out[0], olay, yr, y, 0);
  else memcpy(y, yr, ybytes);
  free(yr);
  free(scratch);
  for (int i = 0; i < a->n_in; i++) free(owned[i]);
  return ok;
}

/* Largest difference of y against e: relative (|y-e| / max(1,|e|)) for
 * f32, in steps for u8 (a NaN counts as infinite). */
static double max_diff(const nc_tdesc *d, const void *y, const void *e) {
  const int64_t n = nc_numel(d);
  double worst = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double v;
    if (d->dtype == NC_U8) {
      v = fabs((double)((const uint8_t *)y)[i] - (double)((const uint8_t *)e)[i]);
    } else {
      const double a = ((const float *)y)[i], b = ((const float *)e)[i];
      v = fabs(a - b) / fmax(1.0, fabs(b));
    }
    if (!(v <= worst)) worst = v == v ? v : INFINITY;
  }
  return worst;
}

/* Runs the reference and r on c, compares, counts. int8 routines must
 * equal the c99 int8 routine exactly (integer dot products and one shared
 * float epilogue), f32 ones the reference within F32_TOL. */
static void fingerprint(const nc_routine *r, const call *c, tally *t) {
  for (int i = 0; i < c->a.n_in; i++) {
    const size_t pb = ((c->const_mask >> i) & 1) && c->in[i] && r->packed_bytes
                          ? r->packed_bytes(&c->a, i)
                          : 0;
    if (!pb) continue;
    void *buf = xmalloc(pb);
    nc_routine_pack(r, &c->a, i, c->in, buf);
    t->hash = fnv1a(t->hash, buf, pb);
    free(buf);
  }
  t->cases++;
}

static void check(const nc_routine *r, const call *c, tally *t) {
  if (fingerprint_mode) {
    fingerprint(r, c, t);
    return;
  }
  const nc_routine *ref = c->quant ? int8_reference_of(r) : reference_of(r->layer, c->a.in[0].dtype);
  if (!ref) {
    printf("  %s: no reference routine for %s\n", r->descriptor, r->layer);
    t->failures++;
    return;
  }
  const double tol = c->quant                     ? 0.0
                     : (r->flags & NC_RF_APPROX) ? F32_TOL_APPROX
                                                 : F32_TOL * fmax(1.0, sqrt((double)c->k / 256.0));
  const int64_t n = nc_numel(&c->a.out[0]);
  float *e = rand_floats(n), *y = rand_floats(n);
  int ok = run(ref, c, e, 1);
  const double ref_secs = last_fn_secs;
  ok &= run(r, c, y, 1);
  if (bench_reps > 1)
    printf("  bench %-44s %9.3f ms, reference %-36s %9.3f ms (%s)\n", r->descriptor,
           1e3 * last_fn_secs, ref->descriptor, 1e3 * ref_secs, c->what);
  const double worst = max_diff(&c->a.out[0], y, e);
  if (!(worst <= tol)) {
    printf("  %s: max %s %g > %g against %s on %s\n", r->descriptor,
           c->a.out[0].dtype == NC_U8 ? "u8 difference" : "rel err", worst, tol,
           ref->descriptor, c->what);
    ok = 0;
  }
  if (!(worst <= t->worst)) t->worst = worst;
  t->cases++;
  if (!ok) t->failures++;
  free(e);
  free(y);
}

/* int8 routines (u8 activations): activation descs become u8 with a scale
 * and zero point, their buffers random bytes; the output u8 or f32 as the
 * routine's out_q says. */
static int is_int8(const nc_routine *r) { return r->in_q == NC_Q_U8; }

static void make_u8(nc_tdesc *d, void *buf, float scale) {
  d->dtype = NC_U8;
  d->scale = scale;
  d->zero_point = (int32_t)rnd_in(90, 150);
  uint8_t *b = buf;
  for (int64_t i = 0; i < nc_numel(d); i++) b[i] = (uint8_t)(rnd() >> 5);
}

static void make_out(nc_tdesc *d, const nc_routine *r) {
  if (r->out_q != NC_Q_U8) return;
  d->dtype = NC_U8;
  d->scale = 0.08f;
  d->zero_point = (int32_t)rnd_in(100, 140);
}

/* ---------------- Conv ---------------- */

typedef struct conv_case {
  int64_t n, c, m, group, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow;
  int bias, sum;
  int64_t act;
} conv_case;

/* Output size from the rest; 0 when the kernel does not fit. */
static int conv_finish(conv_case *c) {
  int64_t sh = c->h + c->pt + c->pb - ((c->kh - 1) * c->dh + 1);
  int64_t sw = c->w + c->pl + c->pr - ((c->kw - 1) * c->dw + 1);
  if (sh < 0 || sw < 0) return 0;
  c->oh = sh / c->sh + 1;
  c->ow = sw / c->sw + 1;
  return 1;
}

/* Plain, grouped, depthwise (3x3 s1/s2 and general), pointwise; channel
 * counts crossing the 8x12 tile and the 4-lane vectors; activation i % 7,
 * residual sum on every other run of seven. */
static conv_case random_conv(int i) {
  for (;;) {
    conv_case c;
    memset(&c, 0, sizeof c);
    const int kind = (int)rnd_in(0, 4);
    int64_t cg = rnd_in(1, 13), mg = rnd_in(1, 30);
    c.n = rnd_in(1, 2);
    c.group = 1;
    if (kind == 1) c.group = rnd_in(2, 4);
    if (kind == 2) { /* depthwise */
      cg = 1;
      mg = 1;
      c.group = rnd_in(1, 21);
    }
    c.c = cg * c.group;
    c.m = mg * c.group;
    c.h = rnd_in(1, 13);
    c.w = rnd_in(1, 17);
    if (kind == 3) { /* pointwise */
      c.kh = c.kw = c.sh = c.sw = c.dh = c.dw = 1;
    } else if (kind == 2 && i % 3 != 0) { /* the MobileNet depthwise: 3x3, stride 1 or 2 */
      c.kh = c.kw = 3;
      c.sh = c.sw = rnd_in(1, 2);
      c.dh = c.dw = 1;
      c.pt = c.pl = c.pb = c.pr = 1;
    } else {
      c.kh = rnd_in(1, 4);
      c.kw = rnd_in(1, 4);
      c.sh = rnd_in(1, 3);
      c.sw = rnd_in(1, 3);
      c.dh = rnd_in(1, 2);
      c.dw = rnd_in(1, 2);
      c.pt = rnd_in(0, 2);
      c.pl = rnd_in(0, 2);
      c.pb = rnd_in(0, 2);
      c.pr = rnd_in(0, 2);
    }
    c.bias = rnd() % 3 != 0;
    c.sum = (i / 7) % 2;
    c.act = i % 7;
    if (conv_finish(&c)) return c;
  }
}

typedef struct conv_call {
  call call;
  nc_tdesc in[4], out[1];
  int64_t ia[NC_CONV_IA_COUNT];
  double fa[NC_CONV_FA_COUNT];
  float *x, *w, *b, *s;
} conv_call;

static void conv_call_init(conv_call *cc, const conv_case *c, const nc_routine *r) {
  memset(cc, 0, sizeof *cc);
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->m, c->c / c->group, c->kh, c->kw};
  int64_t yd[4] = {c->n, c->m, c->oh, c->ow}, bd[1] = {c->m};
  cc->in[0] = td(NC_F32, 4, xd);
  cc->in[1] = td(NC_F32, 4, wd);
  cc->in[2] = c->bias ? td(NC_F32, 1, bd) : td(0, 0, NULL);
  cc->out[0] = td(NC_F32, 4, yd);
  cc->in[3] = c->sum ? cc->out[0] : td(0, 0, NULL);
  cc->ia[NC_CONV_IA_NSPATIAL] = 2;
  cc->ia[NC_CONV_IA_GROUP] = c->group;
  cc->ia[NC_CONV_IA_ACT] = c->act;
  const int64_t s[3] = {c->sh, c->sw, 1}, d[3] = {c->dh, c->dw, 1};
  const int64_t pb[3] = {c->pt, c->pl, 0}, pe[3] = {c->pb, c->pr, 0};
  for (int i = 0; i < 3; i++) {
    cc->ia[NC_CONV_IA_STRIDE + i] = s[i];
    cc->ia[NC_CONV_IA_DILATION + i] = d[i];
    cc->ia[NC_CONV_IA_PAD_BEGIN + i] = pb[i];
    cc->ia[NC_CONV_IA_PAD_END + i] = pe[i];
  }
  cc->fa[NC_CONV_FA_ACT_ALPHA] = c->act == NC_ACT_CLIP ? -0.4 : 0.15;
  cc->fa[NC_CONV_FA_ACT_BETA] = 0.6;
  nc_args a = {c->sum ? 4 : c->bias ? 3 : 2, 1, cc->in, cc->out, cc->ia, cc->fa,
               NC_CONV_IA_COUNT, NC_CONV_FA_COUNT};
  cc->call.a = a;
  cc->x = rand_floats(nc_numel(&cc->in[0]));
  cc->w = rand_floats(nc_numel(&cc->in[1]));
  cc->b = rand_floats(c->m);
  cc->s = rand_floats(nc_numel(&cc->out[0]));
  cc->call.in[0] = cc->x;
  cc->call.in[1] = cc->w;
  cc->call.in[2] = c->bias ? cc->b : NULL;
  cc->call.in[3] = c->sum ? cc->s : NULL;
  cc->call.const_mask = 0x6; /* W and B */
  cc->call.k = c->c / c->group * c->kh * c->kw;
  if (is_int8(r)) {
    cc->call.quant = 1;
    make_u8(&cc->in[0], cc->x, 0.03f);
    make_out(&cc->out[0], r);
    if (c->sum) make_u8(&cc->in[3], cc->s, 0.05f);
  }
  snprintf(cc->call.what, sizeof cc->call.what,
           "Conv n%lld c%lld m%lld g%lld in %lldx%lld k %lldx%lld s %lld,%lld d %lld,%lld "
           "pad %lld,%lld,%lld,%lld bias %d sum %d act %lld",
           (long long)c->n, (long long)c->c, (long long)c->m, (long long)c->group,
           (long long)c->h, (long long)c->w, (long long)c->kh, (long long)c->kw,
           (long long)c->sh, (long long)c->sw, (long long)c->dh, (long long)c->dw,
           (long long)c->pt, (long long)c->pl, (long long)c->pb, (long long)c->pr, c->bias,
           c->sum, (long long)c->act);
}

static void conv_call_free(conv_call *cc) {
  free(cc->x);
  free(cc->w);
  free(cc->b);
  free(cc->s);
}

static void check_conv_case(const nc_routine *r, const conv_case *c, tally *t) {
  conv_call cc;
  conv_call_init(&cc, c, r);
  if (!r->applies || r->applies(&cc.call.a)) check(r, &cc.call, t);
  conv_call_free(&cc);
}

static void force_conv(const nc_routine *r, tally *t) {
  /* random cases until 40 applied (at most 4000 draws) */
  for (int i = 0, applied = 0; i < 4000 && applied < 40; i++) {
    conv_case c = random_conv(i);
    const int before = t->cases;
    check_conv_case(r, &c, t);
    applied += t->cases > before;
  }
  /* shapes crossing the K block (C*kh*kw > 256) and many tiles; depthwise
   * MobileNet-like layers with C a multiple of 4 and not */
  /* n c m g h w kh kw sh sw dh dw pt pl pb pr oh ow bias sum act */
  conv_case big[] = {
      {1, 64, 70, 1, 12, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, NC_ACT_RELU},
      {1, 600, 33, 1, 9, 10, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, NC_ACT_HARDSWISH},
      {2, 20, 29, 1, 17, 19, 3, 3, 2, 2, 1, 1, 1, 0, 1, 2, 0, 0, 0, 1, NC_ACT_NONE},
      {1, 32, 32, 32, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, NC_ACT_CLIP},
      {1, 37, 37, 37, 15, 15, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, NC_ACT_SILU},
      {1, 16, 16, 16, 12, 12, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, NC_ACT_SIGMOID},
      /* 3x3 stride 1 (Winograd): odd outputs, asymmetric pads, C across the K block */
      {1, 5, 13, 1, 9, 7, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, NC_ACT_NONE},
      {2, 3, 17, 1, 6, 11, 3, 3, 1, 1, 1, 1, 2, 0, 1, 2, 0, 0, 1, 1, NC_ACT_SILU},
      {1, 300, 20, 1, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, NC_ACT_RELU}};
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
    if (conv_finish(&big[i])) check_conv_case(r, &big[i], t);
}

/* ---------------- Gemm ---------------- */

/* crank: -1 no C; 0 scalar; 1 [N]; 2 [M,1]; 3 [M,N]; 4 [1,N] */
static void check_gemm(const nc_routine *r, int64_t m, int64_t n, int64_t k, int ta, int tb,
                       int crank, double alpha, double beta, int64_t act, tally *t) {
  int64_t ad[2] = {ta ? k : m, ta ? m : k}, bd[2] = {tb ? n : k, tb ? k : n};
  int64_t yd[2] = {m, n}, cd[2] = {m, n}, cn = 1;
  nc_tdesc in[3] = {td(NC_F32, 2, ad), td(NC_F32, 2, bd), td(0, 0, NULL)};
  if (crank == 0) in[2] = td(NC_F32, 0, NULL);
  if (crank == 1) {
    in[2] = td(NC_F32, 1, &n);
    cn = n;
  }
  if (crank == 2 || crank == 4) {
    cd[crank == 2 ? 1 : 0] = 1;
    in[2] = td(NC_F32, 2, cd);
    cn = crank == 2 ? m : n;
  }
  if (crank == 3) {
    in[2] = td(NC_F32, 2, cd);
    cn = m * n;
  }
  nc_tdesc out[1] = {td(NC_F32, 2, yd)};
  int64_t ia[NC_GEMM_IA_COUNT] = {ta, tb, act};
  double fa[NC_GEMM_FA_COUNT] = {alpha, beta, act == NC_ACT_CLIP ? -0.3 : 0.2, 0.7};
  call c;
  memset(&c, 0, sizeof c);
  nc_args a = {crank >= 0 ? 3 : 2, 1, in, out, ia, fa, NC_GEMM_IA_COUNT, NC_GEMM_FA_COUNT};
  c.a = a;
  float *A = rand_floats(m * k), *B = rand_floats(k * n), *C = rand_floats(cn);
  c.in[0] = A;
  c.in[1] = B;
  c.in[2] = crank >= 0 ? C : NULL;
  c.const_mask = 0x6; /* B and C (packed by the int8 routines) */
  c.k = k;
  if (is_int8(r)) {
    c.quant = 1;
    make_u8(&in[0], A, 0.03f);
    make_out(&out[0], r);
  }
  snprintf(c.what, sizeof c.what,
           "Gemm m%lld n%lld k%lld ta%d tb%d c%d alpha %g beta %g act %lld", (long long)m,
           (long long)n, (long long)k, ta, tb, crank, alpha, beta, (long long)act);
  if (!r->applies || r->applies(&c.a)) check(r, &c, t);
  free(A);
  free(B);
  free(C);
}

static void force_gemm(const nc_routine *r, tally *t) {
  const double alphas[] = {1.0, 0.5, -2.0}, betas[] = {1.0, 0.0, 0.25};
  for (int i = 0; i < 40; i++) {
    const int64_t m = rnd_in(1, 40), n = rnd_in(1, 80), k = rnd_in(1, 70);
    const int ta = (int)rnd_in(0, 1), tb = (int)rnd_in(0, 1), crank = (int)rnd_in(-1, 4);
    const double alpha = alphas[rnd() % 3], beta = betas[rnd() % 3];
    check_gemm(r, m, n, k, ta, tb, crank, alpha, beta, i % 7, t);
  }
  check_gemm(r, 1, 1000, 600, 0, 1, 1, 1.0, 1.0, NC_ACT_NONE, t); /* classifier head */
  check_gemm(r, 37, 100, 530, 1, 0, 3, 0.5, 0.5, NC_ACT_RELU, t);
}

/* ---------------- MatMul ---------------- */

static void check_matmul(const nc_routine *r, int ra, const int64_t *adims, int rb, int64_t k,
                         int64_t n, tally *t) {
  int64_t bd[2] = {k, n}, yd[NC_MAX_DIMS];
  int ry = 0;
  for (int i = 0; i < ra - 1; i++) yd[ry++] = adims[i];
  if (rb == 2) yd[ry++] = n;
  nc_tdesc in[2] = {td(NC_F32, ra, adims), td(NC_F32, rb, bd)};
  nc_tdesc out[1] = {td(NC_F32, ry, yd)};
  call c;
  memset(&c, 0, sizeof c);
  nc_args a = {2, 1, in, out, NULL, NULL, 0, 0};
  c.a = a;
  float *A = rand_floats(nc_numel(&in[0])), *B = rand_floats(k * n);
  c.in[0] = A;
  c.in[1] = B;
  c.const_mask = 0x2; /* B */
  c.k = k;
  if (is_int8(r)) {
    c.quant = 1;
    make_u8(&in[0], A, 0.03f);
    make_out(&out[0], r);
  }
  snprintf(c.what, sizeof c.what, "MatMul A rank %d B rank %d k%lld n%lld", ra, rb,
           (long long)k, (long long)n);
  if (!r->applies || r->applies(&c.a)) check(r, &c, t);
  free(A);
  free(B);
}

static void force_matmul(const nc_routine *r, tally *t) {
  for (int i = 0; i < 40; i++) {
    const int ra = (int)rnd_in(1, 4), rb = (int)rnd_in(1, 2);
    const int64_t k = rnd_in(1, 60), n = rb == 2 ? rnd_in(1, 70) : 1;
    int64_t ad[4];
    for (int d = 0; d < ra - 1; d++) ad[d] = rnd_in(1, d == ra - 2 ? 30 : 4);
    ad[ra - 1] = k;
    check_matmul(r, ra, ad, rb, k, n, t);
  }
  int64_t big[3] = {3, 50, 600};
  check_matmul(r, 3, big, 2, 600, 130, t);
}

/* ---------------- bench cases ---------------- */

/* A ResNet-like 3x3 conv (64 -> 64 channels, 28x28, ReLU) and its
 * depthwise counterpart, whichever the routine takes; a 1x1 if neither. */
static void bench_conv(const nc_routine *r, tally *t) {
  /* n c m g h w kh kw sh sw dh dw pt pl pb pr oh ow bias sum act */
  conv_case cs[] = {
      {1, 64, 64, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, NC_ACT_RELU},
      {1, 64, 64, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, NC_ACT_RELU}};
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    conv_finish(&cs[i]);
    check_conv_case(r, &cs[i], t);
  }
}

static void bench_gemm(const nc_routine *r, tally *t) {
  check_gemm(r, 64, 256, 512, 0, 1, 1, 1.0, 1.0, NC_ACT_RELU, t);
}

static void bench_matmul(const nc_routine *r, tally *t) {
  int64_t ad[3] = {1, 64, 512};
  check_matmul(r, 3, ad, 2, 512, 256, t);
}

/* ---------------- driver ---------------- */

typedef struct generator {
  const char *layer;
  void (*force)(const nc_routine *r, tally *t);
  void (*bench)(const nc_routine *r, tally *t);
} generator;

static const generator generators[] = {{"Conv", force_conv, bench_conv},
                                       {"Gemm", force_gemm, bench_gemm},
                                       {"MatMul", force_matmul, bench_matmul}};

static int is_arm_isa(const char *isa) {
  return strcmp(isa, "neon") == 0 || strcmp(isa, "neondot") == 0;
}

static const generator *generator_of(const char *layer) {
  for (size_t k = 0; k < sizeof generators / sizeof generators[0]; k++)
    if (strcmp(generators[k].layer, layer) == 0) return &generators[k];
  return NULL;
}

/* Hash of r's packing over the fixed case sequence of seed 12345. */
static tally pack_fingerprint(const nc_routine *r, const generator *g) {
  const unsigned long long saved = rng_state;
  tally t = {0, 0, 0.0, 14695981039346656037ull};
  rng_state = 12345ull * 2654435761ull + 1;
  fingerprint_mode = 1;
  g->force(r, &t);
  fingerprint_mode = 0;
  rng_state = saved;
  return t;
}

/* The hash recorded for `desc` in the golden file, 0 when absent. */
static uint64_t golden_hash(const char *file, const char *desc) {
  FILE *f = fopen(file, "r");
  if (!f) {
    fprintf(stderr, "check_routines: cannot read %s\n", file);
    exit(2);
  }
  char line[300], d[200];
  unsigned long long h = 0, found = 0;
  while (fgets(line, sizeof line, f))
    if (line[0] != '#' && sscanf(line, "%llx %199s", &h, d) == 2 && !strcmp(d, desc)) found = h;
  fclose(f);
  return found;
}

int main(int argc, char **argv) {
  int print_hashes = 0, argi = 1;
  const char *golden = NULL;
  for (; argi < argc && !strncmp(argv[argi], "--", 2); argi++) {
    if (!strcmp(argv[argi], "--pack-hashes")) print_hashes = 1;
    else if (!strcmp(argv[argi], "--bench")) bench_reps = 5;
    else if (!strcmp(argv[argi], "--golden") && argi + 1 < argc) golden = argv[++argi];
    else {
      fprintf(stderr, "usage: check_routines [--pack-hashes] [--golden FILE] [--bench] "
                      "[SEED [FILTER]]\n");
      return 2;
    }
  }
  if (argi < argc) rng_state = strtoull(argv[argi++], NULL, 10) * 2654435761ull + 1;
  const char *filter = argi < argc ? argv[argi] : NULL;
  const nc_routine *table = nc_routine_table();
  int routines = 0, bad = 0;
  if (print_hashes)
    printf("# packed-constant hashes of the neon/neondot routines, generated by\n"
           "# `check_routines --pack-hashes` (tests/cross/check_routines.c); do not edit\n");
  for (int i = 0; i < nc_routine_count(); i++) {
    const nc_routine *r = &table[i];
    char isa[32];
    nc_routine_isa(r, isa, sizeof isa);
    if (!is_arm_isa(isa) || (filter && !strstr(r->descriptor, filter))) continue;
    routines++;
    const generator *g = generator_of(r->layer);
    if (print_hashes) {
      if (g) printf("%016llx %s\n", (unsigned long long)pack_fingerprint(r, g).hash, r->descriptor);
      continue;
    }
    if (!g || !r->fn || !nc_cpu_supports(isa)) {
      printf("FAIL %-44s not exercised: %s\n", r->descriptor,
             !g      ? "no generator for its layer"
             : !r->fn ? "no kernel in this build (not aarch64)"
                      : "this CPU lacks the ISA");
      bad++;
      continue;
    }
    tally t = {0, 0, 0.0, 0};
    const clock_t t0 = clock();
    if (bench_reps > 1) g->bench(r, &t);
    else g->force(r, &t);
    const double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    int fail = t.failures > 0 || t.cases == 0;
    const char *pack_note = "";
    if (golden) {
      const uint64_t want = golden_hash(golden, r->descriptor);
      const uint64_t got = pack_fingerprint(r, g).hash;
      pack_note = !want ? ", no recorded packing hash" : want != got ? ", packing differs from x86's"
                                                                    : ", packing = x86's";
      fail |= want != got;
    }
    printf("%s %-44s %3d cases, %d failed, max %s %.2g (%.2f s)%s%s\n",
           fail ? "FAIL" : "ok  ", r->descriptor, t.cases, t.failures,
           is_int8(r) ? "diff" : "rel err", t.worst, secs,
           t.cases == 0 ? ": no case applied" : "", pack_note);
    bad += fail;
  }
  if (print_hashes) return 0;
  if (routines == 0) {
    printf("FAIL no neon/neondot routine in the table%s%s\n", filter ? " matching " : "",
           filter ? filter : "");
    return 1;
  }
  printf("%d routines, %d failed\n", routines, bad);
  return bad ? 1 : 0;
}
