/* Host-side checks of the aarch64 NEON family (runtime-min/src/neon_*.c):
 * its entries exist on every host (an x86 compiler selects and packs for
 * them), with kernels only on aarch64, and the portable packers write the
 * formats docs/neon-routines.md documents, checked element by element
 * against index formulas written here. The kernels themselves are checked
 * under qemu by tests/cross/check_routines.c. */
#include "test_nn_util.h"

static int neon_isa(const nc_routine *r) {
  char isa[32];
  nc_routine_isa(r, isa, sizeof isa);
  return strcmp(isa, "neon") == 0 || strcmp(isa, "neondot") == 0;
}

Test(neon_table, entries_on_every_host) {
  const nc_routine *t = nc_routine_table();
  int n = 0, dot = 0;
  for (int i = 0; i < nc_routine_count(); i++) {
    if (!neon_isa(&t[i])) continue;
    n++;
    dot += strstr(t[i].descriptor, "/neondot/") != NULL;
    cr_expect(strncmp(t[i].symbol, "nc_", 3) == 0 && strstr(t[i].symbol, "neon"), "%s: symbol %s",
              t[i].descriptor, t[i].symbol);
    cr_expect(t[i].packed_bytes && (t[i].pack || t[i].pack_with), "%s packs its weights",
              t[i].descriptor);
    cr_expect(nc_routine_find(t[i].descriptor) == &t[i], "%s found by descriptor",
              t[i].descriptor);
#if defined(__aarch64__)
    cr_expect(t[i].fn != NULL, "%s has its kernel on aarch64", t[i].descriptor);
#else
    cr_expect(t[i].fn == NULL, "%s has no kernel off aarch64", t[i].descriptor);
#endif
  }
  cr_expect_eq(n, 14, "14 neon/neondot routines, found %d", n);
  cr_expect_eq(dot, 6, "6 neondot routines, found %d", dot);
#if defined(__aarch64__)
  cr_expect(nc_cpu_supports("neon"));
#else
  cr_expect(!nc_cpu_supports("neon") && !nc_cpu_supports("neondot"));
#endif
}

/* A 2-D conv's args: W [m][c/g][kh][kw], 5x6 input, stride 1, no padding. */
typedef struct conv_args {
  nc_tdesc in[3], out[1];
  int64_t ia[NC_CONV_IA_COUNT];
  nc_args a;
} conv_args;

static void conv_args_init(conv_args *ca, int64_t c, int64_t m, int64_t g, int64_t kh,
                           int64_t kw) {
  int64_t xd[4] = {1, c, 5, 6}, wd[4] = {m, c / g, kh, kw}, yd[4] = {1, m, 5 - kh + 1, 6 - kw + 1};
  ca->in[0] = td(NC_F32, 4, xd);
  ca->in[1] = td(NC_F32, 4, wd);
  ca->in[2] = td(0, 0, NULL);
  ca->out[0] = td(NC_F32, 4, yd);
  memset(ca->ia, 0, sizeof ca->ia);
  ca->ia[NC_CONV_IA_NSPATIAL] = 2;
  ca->ia[NC_CONV_IA_GROUP] = g;
  for (int i = 0; i < 3; i++) ca->ia[NC_CONV_IA_STRIDE + i] = ca->ia[NC_CONV_IA_DILATION + i] = 1;
  nc_args a = {2, 1, ca->in, ca->out, ca->ia, NULL, NC_CONV_IA_COUNT, 0};
  ca->a = a;
}

static float *packed(const nc_routine *r, const nc_args *a, const float *w, size_t *floats) {
  size_t bytes = r->packed_bytes(a, 1);
  cr_assert(bytes > 0 && bytes % sizeof(float) == 0, "%s packs W", r->descriptor);
  float *d = malloc(bytes);
  const void *consts[3] = {NULL, w, NULL};
  nc_routine_pack(r, a, 1, consts, d);
  *floats = bytes / sizeof(float);
  return d;
}

/* W value number i is i + 1, so a misplaced element shows. */
static float *counting(int64_t n) {
  float *w = malloc(sizeof(float) * (size_t)n);
  for (int64_t i = 0; i < n; i++) w[i] = (float)(i + 1);
  return w;
}

Test(neon_table, conv_nhwc_packs_b_panels_of_12) {
  const nc_routine *r = must_find("cpu:f32:nhwc/conv-im2col/neon/8x12");
  const int64_t C = 3, M = 13, KH = 2, KW = 2, K = C * KH * KW;
  conv_args ca;
  conv_args_init(&ca, C, M, 1, KH, KW);
  float *w = counting(M * K);
  size_t n;
  float *d = packed(r, &ca.a, w, &n);
  cr_assert_eq(n, (size_t)(2 * 12 * K)); /* ceil(13/12) panels */
  for (int64_t j0 = 0; j0 < 24; j0 += 12)
    for (int64_t p = 0; p < K; p++) /* K order (ky, kx, ci) */
      for (int64_t j = 0; j < 12; j++) {
        const int64_t m = j0 + j, tap = p / C, ci = p % C;
        const float want = m < M ? w[(m * C + ci) * KH * KW + tap] : 0.0f;
        cr_expect_eq(d[j0 * K + p * 12 + j], want, "panel %lld step %lld col %lld",
                     (long long)(j0 / 12), (long long)p, (long long)j);
      }
  free(w);
  free(d);
}

Test(neon_table, conv_nchw_packs_a_panels_of_8) {
  const nc_routine *r = must_find("cpu:f32:nchw/conv-im2col/neon/8x12");
  const int64_t C = 4, M = 10, G = 2, KH = 1, KW = 3, K = C / G * KH * KW, MG = M / G;
  conv_args ca;
  conv_args_init(&ca, C, M, G, KH, KW);
  float *w = counting(M * K);
  size_t n;
  float *d = packed(r, &ca.a, w, &n);
  const int64_t per = 8 * K; /* one panel of 8 rows per group (5 rows each) */
  cr_assert_eq(n, (size_t)(G * per));
  for (int64_t grp = 0; grp < G; grp++)
    for (int64_t p = 0; p < K; p++)
      for (int64_t i = 0; i < 8; i++) {
        const float want = i < MG ? w[(grp * MG + i) * K + p] : 0.0f;
        cr_expect_eq(d[grp * per + p * 8 + i], want, "group %lld step %lld row %lld",
                     (long long)grp, (long long)p, (long long)i);
      }
  free(w);
  free(d);
}

Test(neon_table, depthwise_nhwc_packs_taps_by_channel) {
  const nc_routine *r = must_find("cpu:f32:nhwc/conv-depthwise/neon");
  const int64_t C = 6, T = 9; /* 3x3 */
  conv_args ca;
  conv_args_init(&ca, C, C, C, 3, 3);
  cr_assert(r->applies(&ca.a));
  float *w = counting(C * T);
  size_t n;
  float *d = packed(r, &ca.a, w, &n);
  cr_assert_eq(n, (size_t)(T * 8)); /* channels padded to 8 */
  for (int64_t t = 0; t < T; t++)
    for (int64_t c = 0; c < 8; c++)
      cr_expect_eq(d[t * 8 + c], c < C ? w[c * T + t] : 0.0f, "tap %lld channel %lld",
                   (long long)t, (long long)c);
  free(w);
  free(d);
}
