/* Single-core f32 FMA peak probe: many independent FMA chains in registers,
 * no memory traffic, so the loop runs at the core's FMA throughput. Prints
 * `peak_gflops_<isa> <x>` for each ISA this CPU supports; the zoo benchmark
 * reports achieved GFLOP/s against it. Build: cc -O2 fma_peak.c */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 12 independent accumulators, spelled out so every compiler keeps them in
 * registers: enough chains to cover the FMA latency on every pipe. */
#define FMA12(f, T)                                                                                \
  a0 = f(a0, m, c);                                                                                \
  a1 = f(a1, m, c);                                                                                \
  a2 = f(a2, m, c);                                                                                \
  a3 = f(a3, m, c);                                                                                \
  a4 = f(a4, m, c);                                                                                \
  a5 = f(a5, m, c);                                                                                \
  a6 = f(a6, m, c);                                                                                \
  a7 = f(a7, m, c);                                                                                \
  a8 = f(a8, m, c);                                                                                \
  a9 = f(a9, m, c);                                                                                \
  a10 = f(a10, m, c);                                                                              \
  a11 = f(a11, m, c)

__attribute__((target("avx512f"))) static double probe_avx512(long iters) {
  __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  /* distinct starting values: identical chains would be merged by the compiler */
  __m512 a0 = _mm512_set1_ps(0.0f), a1 = _mm512_set1_ps(1.0f), a2 = _mm512_set1_ps(2.0f),
         a3 = _mm512_set1_ps(3.0f), a4 = _mm512_set1_ps(4.0f), a5 = _mm512_set1_ps(5.0f),
         a6 = _mm512_set1_ps(6.0f), a7 = _mm512_set1_ps(7.0f), a8 = _mm512_set1_ps(8.0f),
         a9 = _mm512_set1_ps(9.0f), a10 = _mm512_set1_ps(10.0f), a11 = _mm512_set1_ps(11.0f);
  double t0 = now();
  for (long it = 0; it < iters; it++) {
    FMA12(_mm512_fmadd_ps, __m512);
  }
  double dt = now() - t0;
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  volatile float sink = _mm512_reduce_add_ps(s);
  (void)sink;
  return (double)iters * 12 * 16 * 2 / dt * 1e-9;
}

__attribute__((target("avx2,fma"))) static double probe_avx2(long iters) {
  __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  /* distinct starting values: identical chains would be merged by the compiler */
  __m256 a0 = _mm256_set1_ps(0.0f), a1 = _mm256_set1_ps(1.0f), a2 = _mm256_set1_ps(2.0f),
         a3 = _mm256_set1_ps(3.0f), a4 = _mm256_set1_ps(4.0f), a5 = _mm256_set1_ps(5.0f),
         a6 = _mm256_set1_ps(6.0f), a7 = _mm256_set1_ps(7.0f), a8 = _mm256_set1_ps(8.0f),
         a9 = _mm256_set1_ps(9.0f), a10 = _mm256_set1_ps(10.0f), a11 = _mm256_set1_ps(11.0f);
  double t0 = now();
  for (long it = 0; it < iters; it++) {
    FMA12(_mm256_fmadd_ps, __m256);
  }
  double dt = now() - t0;
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return (double)iters * 12 * 8 * 2 / dt * 1e-9;
}

/* Best of several short runs: the probe wants the quiet moments. */
static double best(double (*f)(long)) {
  double b = 0;
  for (int r = 0; r < 7; r++) {
    double g = f(20000000L);
    if (g > b)
      b = g;
  }
  return b;
}

int main(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    printf("peak_gflops_avx512 %.1f\n", best(probe_avx512));
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    printf("peak_gflops_avx2 %.1f\n", best(probe_avx2));
  return 0;
}
#else
int main(void) {
  puts("fma_peak: x86-64 only");
  return 0;
}
#endif
