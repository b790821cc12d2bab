/* int8 GEMM layers with the Armv8.2 dot product (SDOT), ISA "neondot":
 *  cpu:u8:nhwc/conv-gemm[-dequant]/neondot/4x16, cpu:u8:nchw/gemm[-dequant]/neondot/4x16,
 *  cpu:u8:nchw/matmul[-dequant]/neondot/4x16.
 * They are the int8 family's GEMM layers (int8_internal.h, int8_layers.c)
 * with a 4x16 SDOT micro-kernel: the same layer glue (NC_I8_DEFINE_GEMM_ISA(neondot)
 * in int8_layers.c), the same driver (nc_i8_gemm_run), the same
 * packed blob (nr = 16, so the c99 packing functions serve unchanged and
 * any host packs), the same float epilogue (nc_i8_epilogue_c99). Integer
 * dot products are exact, so the bytes equal the c99 routines' bytes.
 *
 * u8 activations times s8 weights with a signed-only dot product: a - 128
 * fits s8, and sum a*b = sum (a - 128)*b + 128 * sum b; the column sums of
 * the panel come from one more SDOT against a vector of ones.
 * Only the kernel's SDOT instructions need dotprod, so the library still
 * builds for plain armv8-a; nc_cpu_supports("neondot") reads HWCAP. */
#include "int8_internal.h"

#include <string.h>

#if defined(__aarch64__)
#include <arm_neon.h>

/* SDOT through inline assembly rather than the arm_neon.h intrinsics: the
 * clang 14 header declares those only when the whole file is compiled with
 * +dotprod, and the library must build for plain armv8-a. The kernel alone
 * gets the dotprod target (a function attribute), which lets the assembler
 * accept the instruction there.
 * acc[j] += sum of the 4 s8 products of b's j-th 4-byte group with a's
 * lane-L 4-byte group (SDOT_VEC: with a's j-th group). */
#if defined(__clang__)
#define NC_DOTPROD __attribute__((target("dotprod")))
#else
#define NC_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#endif
#define SDOT_LANE(acc, b, a, L)                                                              \
  __asm__("sdot %0.4s, %1.16b, %2.4b[" #L "]" : "+w"(acc) : "w"(b), "w"(a))
#define SDOT_VEC(acc, b, a) __asm__("sdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(b), "w"(a))

/* tile[i*16 + j] = sum_{p < kp} a[i][p] * B(p, j); B = kp/4 groups of 16
 * columns x 4 s8 (64 bytes per group). */
static NC_DOTPROD void kernel_sdot_4x16(int64_t kp, const uint8_t *const *a, const int8_t *b,
                             int32_t *tile) {
  int32x4_t acc[4][4], colsum[4];
  for (int v = 0; v < 4; v++) {
    colsum[v] = vdupq_n_s32(0);
    for (int i = 0; i < 4; i++) acc[i][v] = vdupq_n_s32(0);
  }
  const uint8x16_t flip = vdupq_n_u8(0x80);
  const int8x16_t ones = vdupq_n_s8(1);
  int64_t p = 0;
  /* 16 k values (4 groups) per step: one 16-byte load per row */
  for (; p + 16 <= kp; p += 16) {
    int8x16_t x[4];
    for (int i = 0; i < 4; i++) x[i] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(a[i] + p), flip));
#define NC_SDOT_GROUP(L)                                                                     \
  {                                                                                          \
    const int8_t *bg = b + (p / 4 + (L)) * 64;                                               \
    for (int v = 0; v < 4; v++) {                                                            \
      const int8x16_t bv = vld1q_s8(bg + v * 16);                                            \
      SDOT_VEC(colsum[v], bv, ones);                                            \
      for (int i = 0; i < 4; i++) SDOT_LANE(acc[i][v], bv, x[i], L);       \
    }                                                                                        \
  }
    NC_SDOT_GROUP(0) NC_SDOT_GROUP(1) NC_SDOT_GROUP(2) NC_SDOT_GROUP(3)
#undef NC_SDOT_GROUP
  }
  /* the last kp % 16 values, one group of 4 at a time (rows end at kp) */
  for (; p < kp; p += 4) {
    int8x16_t x[4];
    for (int i = 0; i < 4; i++) {
      uint32_t word;
      memcpy(&word, a[i] + p, 4);
      x[i] = vreinterpretq_s8_u8(veorq_u8(vreinterpretq_u8_u32(vdupq_n_u32(word)), flip));
    }
    const int8_t *bg = b + (p / 4) * 64;
    for (int v = 0; v < 4; v++) {
      const int8x16_t bv = vld1q_s8(bg + v * 16);
      SDOT_VEC(colsum[v], bv, ones);
      for (int i = 0; i < 4; i++) SDOT_LANE(acc[i][v], bv, x[i], 0);
    }
  }
  for (int v = 0; v < 4; v++) {
    const int32x4_t corr = vshlq_n_s32(colsum[v], 7); /* 128 * column sum */
    for (int i = 0; i < 4; i++) vst1q_s32(tile + i * 16 + v * 4, vaddq_s32(acc[i][v], corr));
  }
}

const nc_i8_isa nc_i8_isa_neondot = {4, 16, kernel_sdot_4x16, nc_i8_epilogue_c99};

#endif
