/* Firmware test (Cortex-M4F under qemu, run by tests/targets/mcu_e2e.sh):
 * every int8 routine of ISA "dsp" against its c99 twin (the reference: same
 * tile, same packed blob, same epilogue, so the outputs must be the same
 * bytes) on random shapes — MatMul and Gemm with K not a multiple of 4 and
 * tails of rows and columns, Conv with padding, stride, dilation, bias and
 * Relu — both the u8-output and the f32-output ("-dequant") entries.
 * Prints one line per failure and a summary; exit status 0 when all match. */
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "neuroc/args_nn.h"
#include "neuroc/routines.h"

#define POOL_BYTES (512u << 10)
static uint8_t pool[POOL_BYTES] __attribute__((aligned(64)));
static size_t used;

/* Bump allocation from the static pool, reset per case; NULL when full. */
static void *take(size_t n) {
  size_t at = (used + 63) / 64 * 64;
  if (at + n > POOL_BYTES) return NULL;
  used = at + n;
  memset(pool + at, 0, n);
  return pool + at;
}

static unsigned seed = 12345u;
static unsigned rnd(unsigned n) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 8) % n;
}
static float rndf(void) { return (float)rnd(20001) / 10000.0f - 1.0f; }

static char line[200];
static int cases, failures, skipped;

/* Runs routine `desc` on a (with weight inputs `consts`), into out0. */
static int run(const char *desc, const nc_args *a, const void *const *consts, void *x, void *out0,
               size_t out_bytes) {
  const nc_routine *r = nc_routine_find(desc);
  if (!r || !r->fn || !r->applies || !r->applies(a)) return -1;
  const void *in[4] = {x, NULL, NULL, NULL};
  for (int i = 1; i < a->n_in; i++) {
    if (!consts[i]) continue;
    size_t pb = r->packed_bytes ? r->packed_bytes(a, i) : 0;
    if (!pb) {
      in[i] = consts[i];
      continue;
    }
    void *p = take(pb);
    if (!p) return -2;
    nc_routine_pack(r, a, i, consts, p);
    in[i] = p;
  }
  size_t sb = r->scratch_bytes ? r->scratch_bytes(a) : 0;
  void *scratch = sb ? take(sb) : NULL;
  if (sb && !scratch) return -2;
  memset(out0, 0xA5, out_bytes); /* bytes a routine forgets to write differ */
  void *out[1] = {out0};
  r->fn(a, in, out, scratch);
  return 0;
}

/* The c99 and dsp forms of one layer on one argument set: equal bytes. */
static void compare(const char *layer_desc, const char *what, const nc_args *a,
                    const void *const *consts, void *x, size_t out_bytes) {
  char ref[96], dsp[96];
  snprintf(ref, sizeof ref, "cpu:u8:%s/c99/4x16", layer_desc);
  snprintf(dsp, sizeof dsp, "cpu:u8:%s/dsp/4x16", layer_desc);
  size_t mark = used;
  uint8_t *o1 = take(out_bytes), *o2 = take(out_bytes);
  int r1 = o1 && o2 ? run(ref, a, consts, x, o1, out_bytes) : -2;
  int r2 = r1 == 0 ? run(dsp, a, consts, x, o2, out_bytes) : r1;
  cases++;
  if (r1 || r2) {
    skipped++;
    snprintf(line, sizeof line, "SKIP %s %s: %s\r\n", dsp, what,
             r1 == -2 || r2 == -2 ? "pool too small" : "not applicable / no code");
    nc_uart_puts(line);
  } else if (memcmp(o1, o2, out_bytes) != 0) {
    size_t k = 0;
    while (o1[k] == o2[k]) k++;
    failures++;
    snprintf(line, sizeof line, "FAIL %s %s: first differing byte %u of %u (%02x vs %02x)\r\n",
             dsp, what, (unsigned)k, (unsigned)out_bytes, o1[k], o2[k]);
    nc_uart_puts(line);
  }
  used = mark;
}

static void fill_u8(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd(256);
}
static void fill_f32(float *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = rndf();
}

static void matmul_case(int dequant) {
  int64_t m = 1 + rnd(9), k = 1 + rnd(40), n = 1 + rnd(40);
  nc_tdesc in[2] = {{NC_U8, 2, {m, k}, 0.02f, 120}, {NC_F32, 2, {k, n}}};
  nc_tdesc out[1] = {{dequant ? NC_F32 : NC_U8, 2, {m, n}, dequant ? 0.0f : 0.05f,
                      dequant ? 0 : 128}};
  nc_args a = {2, 1, in, out, NULL, NULL, 0, 0};
  used = 0;
  uint8_t *x = take((size_t)(m * k));
  float *w = take((size_t)(k * n) * 4);
  fill_u8(x, (size_t)(m * k));
  fill_f32(w, (size_t)(k * n));
  const void *consts[2] = {NULL, w};
  char what[64];
  snprintf(what, sizeof what, "[%d,%d]x[%d,%d]", (int)m, (int)k, (int)k, (int)n);
  compare(dequant ? "nchw/matmul-dequant" : "nchw/matmul", what, &a, consts, x,
          (size_t)(m * n) * (dequant ? 4 : 1));
}

static void gemm_case(int dequant) {
  int64_t m = 1 + rnd(6), k = 1 + rnd(70), n = 1 + rnd(33);
  int64_t ia[8] = {0};
  ia[NC_GEMM_IA_TRANS_B] = (int64_t)rnd(2);
  ia[NC_GEMM_IA_ACT] = rnd(2) ? NC_ACT_RELU : NC_ACT_NONE;
  nc_tdesc in[3] = {{NC_U8, 2, {m, k}, 0.03f, 7},
                    {NC_F32, 2, {ia[NC_GEMM_IA_TRANS_B] ? n : k, ia[NC_GEMM_IA_TRANS_B] ? k : n}},
                    {NC_F32, 1, {n}}};
  nc_tdesc out[1] = {{dequant ? NC_F32 : NC_U8, 2, {m, n}, dequant ? 0.0f : 0.04f,
                      dequant ? 0 : 100}};
  double fa[4] = {0};
  fa[NC_GEMM_FA_ALPHA] = 1.0;
  fa[NC_GEMM_FA_BETA] = 1.0;
  nc_args a = {3, 1, in, out, ia, fa, NC_GEMM_IA_COUNT, NC_GEMM_FA_COUNT};
  used = 0;
  uint8_t *x = take((size_t)(m * k));
  float *w = take((size_t)(k * n) * 4), *bias = take((size_t)n * 4);
  fill_u8(x, (size_t)(m * k));
  fill_f32(w, (size_t)(k * n));
  fill_f32(bias, (size_t)n);
  const void *consts[3] = {NULL, w, bias};
  char what[64];
  snprintf(what, sizeof what, "[%d,%d]x[%d,%d] transB %d", (int)m, (int)k, (int)k, (int)n,
           (int)ia[NC_GEMM_IA_TRANS_B]);
  compare(dequant ? "nchw/gemm-dequant" : "nchw/gemm", what, &a, consts, x,
          (size_t)(m * n) * (dequant ? 4 : 1));
}

static void conv_case(int dequant) {
  int64_t c = 1 + rnd(6), h = 3 + rnd(7), w = 3 + rnd(7), oc = 1 + rnd(20);
  int64_t kh = 1 + rnd(3), kw = 1 + rnd(3), s = 1 + rnd(2), p = rnd(2);
  int64_t d = rnd(4) ? 1 : 2; /* dilation 2 in a quarter of the cases */
  int64_t ekh = (kh - 1) * d + 1, ekw = (kw - 1) * d + 1;
  if (h + 2 * p < ekh || w + 2 * p < ekw) p = ekh > ekw ? ekh : ekw; /* keep it valid */
  int64_t oh = (h + 2 * p - ekh) / s + 1, ow = (w + 2 * p - ekw) / s + 1;
  int64_t ia[NC_CONV_IA_COUNT] = {2, 1, rnd(2) ? NC_ACT_RELU : NC_ACT_NONE,
                                  s, s, 1, d, d, 1, p, p, 0, p, p, 0};
  nc_tdesc in[3] = {{NC_U8, 4, {1, c, h, w}, 0.02f, 3}, {NC_F32, 4, {oc, c, kh, kw}},
                    {NC_F32, 1, {oc}}};
  nc_tdesc out[1] = {{dequant ? NC_F32 : NC_U8, 4, {1, oc, oh, ow}, dequant ? 0.0f : 0.06f,
                      dequant ? 0 : 90}};
  nc_args a = {3, 1, in, out, ia, NULL, NC_CONV_IA_COUNT, 0};
  used = 0;
  size_t xn = (size_t)(c * h * w), wn = (size_t)(oc * c * kh * kw);
  uint8_t *x = take(xn);
  float *wt = take(wn * 4), *bias = take((size_t)oc * 4);
  fill_u8(x, xn);
  fill_f32(wt, wn);
  fill_f32(bias, (size_t)oc);
  const void *consts[3] = {NULL, wt, bias};
  char what[96];
  snprintf(what, sizeof what, "x[1,%d,%d,%d] w[%d,%d,%d,%d] s%d d%d p%d", (int)c, (int)h,
           (int)w, (int)oc, (int)c, (int)kh, (int)kw, (int)s, (int)d, (int)p);
  compare(dequant ? "nhwc/conv-gemm-dequant" : "nhwc/conv-gemm", what, &a, consts, x,
          (size_t)(oc * oh * ow) * (dequant ? 4 : 1));
}

int main(void) {
  nc_uart_init();
  for (int i = 0; i < 60; i++) {
    matmul_case(i & 1);
    gemm_case(i & 1);
    conv_case(i & 1);
  }
  snprintf(line, sizeof line, "mcu_dsp_check: %d cases, %d mismatches, %d skipped: %s\r\n", cases,
           failures, skipped, failures || skipped ? "FAIL" : "PASS");
  nc_uart_puts(line);
  return failures || skipped ? 1 : 0;
}
