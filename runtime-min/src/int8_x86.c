/* x86 micro-kernels of the int8 GEMM core (int8_internal.h) and the AVX-512
 * requantization epilogue:
 *   avx512vnni 6x64: per 4-byte K group, 4 zmm loads of B and one vpdpbusd
 *     (u8 x s8 -> s32, four products per lane) per row and vector; 24 zmm
 *     accumulators.
 *   avxvnni 6x16: the same on ymm with the VEX-encoded vpdpbusd (AVX-VNNI).
 *   avx2 4x8: no VNNI. vpmaddubsw would saturate its s16 pair sums (255 *
 *     127 * 2 > 32767), so both operands are widened to s16 and vpmaddwd
 *     sums pairs into s32 exactly; each accumulator holds two partial sums
 *     per column, folded with vphaddd at the end.
 * Integer sums are exact, so every kernel gives the portable kernel's tile.
 * Per-function target attributes: the library builds for any x86-64 and
 * callers check nc_cpu_supports. */
#include "int8_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define NC_I8_512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")))
#define NC_I8_AVXVNNI __attribute__((target("avxvnni,avx2,fma")))
#define NC_I8_AVX2 __attribute__((target("avx2,fma")))

/* 4 bytes of a row as one 32-bit lane value (unaligned, alias-safe). */
static inline int32_t load4(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* ---------------- AVX-512 VNNI: 6 rows x 64 columns ---------------- */

#define Z4(i)                                                                                \
  __m512i c##i##0 = _mm512_setzero_si512(), c##i##1 = _mm512_setzero_si512(),                \
          c##i##2 = _mm512_setzero_si512(), c##i##3 = _mm512_setzero_si512();
#define DP4(i)                                                                               \
  {                                                                                          \
    const __m512i x = _mm512_set1_epi32(load4(a##i + p));                                    \
    c##i##0 = _mm512_dpbusd_epi32(c##i##0, x, b0);                                           \
    c##i##1 = _mm512_dpbusd_epi32(c##i##1, x, b1);                                           \
    c##i##2 = _mm512_dpbusd_epi32(c##i##2, x, b2);                                           \
    c##i##3 = _mm512_dpbusd_epi32(c##i##3, x, b3);                                           \
  }
#define ST4(i)                                                                               \
  _mm512_storeu_si512(tile + (i) * 64, c##i##0);                                             \
  _mm512_storeu_si512(tile + (i) * 64 + 16, c##i##1);                                        \
  _mm512_storeu_si512(tile + (i) * 64 + 32, c##i##2);                                        \
  _mm512_storeu_si512(tile + (i) * 64 + 48, c##i##3);

static NC_I8_512 void kernel_512(int64_t kp, const uint8_t *const *a, const int8_t *b,
                                 int32_t *tile) {
  const uint8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
  Z4(0) Z4(1) Z4(2) Z4(3) Z4(4) Z4(5)
  for (int64_t p = 0; p < kp; p += 4, b += 256) {
    const __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64),
                  b2 = _mm512_loadu_si512(b + 128), b3 = _mm512_loadu_si512(b + 192);
    DP4(0) DP4(1) DP4(2) DP4(3) DP4(4) DP4(5)
  }
  ST4(0) ST4(1) ST4(2) ST4(3) ST4(4) ST4(5)
}

/* Lanes of the first n (0..16) columns. */
static inline NC_I8_512 __mmask16 lanes16(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* Vector form of nc_i8_epilogue_c99 for act none / relu / clip (the same
 * float operations in the same order; round to nearest even explicitly, so
 * the caller's rounding mode does not matter). Other activations go through
 * the portable epilogue. */
NC_I8_512 void nc_i8_epilogue_avx512(const nc_i8_post *p, const int32_t *tile, int64_t ld,
                                     int rows, int64_t row0, int64_t col0, int64_t cols) {
  if (!nc_i8_post_linear(p)) {
    nc_i8_epilogue_c99(p, tile, ld, rows, row0, col0, cols);
    return;
  }
  /* The activation bounds and +-1e6 (|t| beyond it saturates anyway; keeps
   * the float->int conversion in range) as one clamp: the same value as
   * clamping twice, since the activation interval always meets [-1e6, 1e6]. */
  const __m512 lo = _mm512_set1_ps(fmaxf(p->lo_q, -1.0e6f)),
               hi = _mm512_set1_ps(fminf(p->hi_q, 1.0e6f));
  const __m512i zy = _mm512_set1_epi32(p->zy), z0 = _mm512_setzero_si512(),
                zs = _mm512_set1_epi32(p->zs);
  const __m512 sscale = _mm512_set1_ps(p->out_f32 ? p->ss : p->ss_q);
  for (int64_t j = 0; j < cols; j += 16) {
    __mmask16 m = lanes16(cols - j);
    int64_t c = col0 + j;
    __m512i bias = _mm512_maskz_loadu_epi32(m, p->bias + c);
    __m512 scale = _mm512_maskz_loadu_ps(m, p->out_f32 ? p->deq + c : p->mult + c);
    for (int i = 0; i < rows; i++) {
      __m512i acc = _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, tile + i * ld + j), bias);
      __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
      int64_t off = (row0 + i) * p->ldy + c;
      if (p->sum) { /* residual: (s - zs) * (ss or ss_q), then a separate add */
        __m512i sv = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, p->sum + off));
        __m512 sr = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(sv, zs)), sscale);
        v = _mm512_add_ps(v, sr);
      }
      if (p->out_f32) {
        if (p->act == NC_ACT_RELU) v = _mm512_max_ps(v, _mm512_setzero_ps());
        if (p->act == NC_ACT_CLIP)
          v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(p->alpha)), _mm512_set1_ps(p->beta));
        _mm512_mask_storeu_ps((float *)p->y + off, m, v);
        continue;
      }
      v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
      __m512i q = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      /* saturate below at 0, then the unsigned narrowing saturates at 255 */
      q = _mm512_max_epi32(_mm512_add_epi32(q, zy), z0);
      _mm_mask_storeu_epi8((uint8_t *)p->y + off, m, _mm512_cvtusepi32_epi8(q));
    }
  }
}

const nc_i8_isa nc_i8_isa_avx512vnni = {6, 64, kernel_512, nc_i8_epilogue_avx512};

/* The AVX2 form of the same epilogue (8 lanes; a column tail goes through
 * an 8-wide staging buffer). */
static NC_I8_AVX2 void epilogue_avx2(const nc_i8_post *p, const int32_t *tile, int64_t ld,
                                     int rows, int64_t row0, int64_t col0, int64_t cols) {
  if (!nc_i8_post_linear(p)) {
    nc_i8_epilogue_c99(p, tile, ld, rows, row0, col0, cols);
    return;
  }
  const __m256 lo = _mm256_set1_ps(p->lo_q), hi = _mm256_set1_ps(p->hi_q);
  const __m256 big = _mm256_set1_ps(1.0e6f), nbig = _mm256_set1_ps(-1.0e6f);
  const __m256i zy = _mm256_set1_epi32(p->zy), z0 = _mm256_setzero_si256(),
                q255 = _mm256_set1_epi32(255), zs = _mm256_set1_epi32(p->zs);
  const __m256 sscale = _mm256_set1_ps(p->out_f32 ? p->ss : p->ss_q);
  /* low byte of each dword to the front of its 128-bit half */
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        -1, -1);
  int32_t stage[8];
  for (int64_t j = 0; j < cols; j += 8) {
    const int64_t n = cols - j < 8 ? cols - j : 8, c = col0 + j;
    int32_t bias8[8] = {0};
    float scale8[8] = {0};
    memcpy(bias8, p->bias + c, sizeof(int32_t) * (size_t)n);
    memcpy(scale8, (p->out_f32 ? p->deq : p->mult) + c, sizeof(float) * (size_t)n);
    const __m256i bias = _mm256_loadu_si256((const __m256i *)bias8);
    const __m256 scale = _mm256_loadu_ps(scale8);
    for (int i = 0; i < rows; i++) {
      memset(stage, 0, sizeof stage);
      memcpy(stage, tile + i * ld + j, sizeof(int32_t) * (size_t)n);
      __m256i acc = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)stage), bias);
      __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale);
      int64_t off = (row0 + i) * p->ldy + c;
      if (p->sum) { /* residual, as the portable epilogue: product, then add */
        uint8_t s8[8] = {0};
        memcpy(s8, p->sum + off, (size_t)n);
        __m256i sv = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)s8));
        __m256 sr = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(sv, zs)), sscale);
        v = _mm256_add_ps(v, sr);
      }
      if (p->out_f32) {
        if (p->act == NC_ACT_RELU) v = _mm256_max_ps(v, _mm256_setzero_ps());
        if (p->act == NC_ACT_CLIP)
          v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(p->alpha)), _mm256_set1_ps(p->beta));
        float outv[8];
        _mm256_storeu_ps(outv, v);
        memcpy((float *)p->y + off, outv, sizeof(float) * (size_t)n);
        continue;
      }
      v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
      v = _mm256_min_ps(_mm256_max_ps(v, nbig), big);
      __m256i q = _mm256_cvttps_epi32(
          _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      q = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(q, zy), z0), q255);
      q = _mm256_shuffle_epi8(q, pick);
      uint32_t b[2] = {(uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(q)),
                       (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(q, 1))};
      memcpy((uint8_t *)p->y + off, b, (size_t)n);
    }
  }
}

/* ---------------- AVX-VNNI: 6 rows x 16 columns ---------------- */

#define Z2(i) __m256i c##i##0 = _mm256_setzero_si256(), c##i##1 = _mm256_setzero_si256();
#define DPV(i)                                                                               \
  {                                                                                          \
    const __m256i x = _mm256_set1_epi32(load4(a##i + p));                                    \
    c##i##0 = _mm256_dpbusd_avx_epi32(c##i##0, x, b0);                                       \
    c##i##1 = _mm256_dpbusd_avx_epi32(c##i##1, x, b1);                                       \
  }
#define ST2(i)                                                                               \
  _mm256_storeu_si256((__m256i *)(tile + (i) * 16), c##i##0);                                \
  _mm256_storeu_si256((__m256i *)(tile + (i) * 16 + 8), c##i##1);

static NC_I8_AVXVNNI void kernel_avxvnni(int64_t kp, const uint8_t *const *a, const int8_t *b,
                                         int32_t *tile) {
  const uint8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
  Z2(0) Z2(1) Z2(2) Z2(3) Z2(4) Z2(5)
  for (int64_t p = 0; p < kp; p += 4, b += 64) {
    const __m256i b0 = _mm256_loadu_si256((const __m256i *)b),
                  b1 = _mm256_loadu_si256((const __m256i *)(b + 32));
    DPV(0) DPV(1) DPV(2) DPV(3) DPV(4) DPV(5)
  }
  ST2(0) ST2(1) ST2(2) ST2(3) ST2(4) ST2(5)
}

const nc_i8_isa nc_i8_isa_avxvnni = {6, 16, kernel_avxvnni, epilogue_avx2};

/* ---------------- AVX2: 4 rows x 8 columns, exact s16 pairs ---------------- */

/* Row i's 4 u8 of the K group as s16, repeated in every 64-bit lane: each
 * column's 4 weights (as s16) sit in one 64-bit lane of the B vectors. */
#define Z2A(i) __m256i c##i##0 = _mm256_setzero_si256(), c##i##1 = _mm256_setzero_si256();
#define MADD(i)                                                                              \
  {                                                                                          \
    const __m256i x = _mm256_broadcastq_epi64(                                               \
        _mm_cvtepu8_epi16(_mm_cvtsi32_si128(load4(a##i + p))));                              \
    c##i##0 = _mm256_add_epi32(c##i##0, _mm256_madd_epi16(x, b0));                           \
    c##i##1 = _mm256_add_epi32(c##i##1, _mm256_madd_epi16(x, b1));                           \
  }
/* c0 lanes: col0 (2 partials), col1 | col2, col3; c1: cols 4..7. */
#define STA(i)                                                                               \
  _mm256_storeu_si256((__m256i *)(tile + (i) * 8),                                           \
                      _mm256_permute4x64_epi64(_mm256_hadd_epi32(c##i##0, c##i##1), 0xD8));

static NC_I8_AVX2 void kernel_avx2(int64_t kp, const uint8_t *const *a, const int8_t *b,
                                   int32_t *tile) {
  const uint8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
  Z2A(0) Z2A(1) Z2A(2) Z2A(3)
  for (int64_t p = 0; p < kp; p += 4, b += 32) {
    const __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b)),
                  b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 16)));
    MADD(0) MADD(1) MADD(2) MADD(3)
  }
  STA(0) STA(1) STA(2) STA(3)
}

const nc_i8_isa nc_i8_isa_avx2 = {4, 8, kernel_avx2, epilogue_avx2};

#endif
