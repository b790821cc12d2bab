/* int8 GEMM micro-kernel for the Armv7E-M DSP extension (Cortex-M4/M7),
 * ISA "dsp": cpu:u8:nhwc/conv-gemm[-dequant]/dsp/4x16,
 * cpu:u8:nchw/gemm[-dequant]/dsp/4x16, cpu:u8:nchw/matmul[-dequant]/dsp/4x16
 * (table: int8_table.c; layer glue: NC_I8_DEFINE_GEMM_ISA(dsp) in
 * int8_layers.c). The tile, the packed blob (nr = 16) and the epilogue are
 * the c99 routines', so the results are the same bytes: integer sums are
 * exact in any order.
 *
 * SMLAD multiplies two pairs of signed 16-bit halves and adds both products
 * to a 32-bit accumulator. Four u8 activations are widened to two u16 pairs
 * (UXTB16 of the word and of the word rotated by 8: bytes 0,2 and 1,3; they
 * stay below 2^15, so they are valid signed halves), four s8 weights likewise
 * with SXTB16: two SMLADs do 4 multiply-adds. */
#include "int8_internal.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#include <string.h>

/* Unaligned 32-bit load: A rows start anywhere; the M4 loads unaligned words
 * (LDR), and memcpy compiles to that. */
static inline uint32_t load32(const void *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Rotate right by 8 (GCC's arm_acle.h has no __ror): one ROR, or folded
 * into the rotating form of SXTB16/UXTB16. */
static inline uint32_t ror8(uint32_t v) { return v >> 8 | v << 24; }

/* acc += (4 activations, widened: xe, xo) . (the 4 s8 weights at w) */
#define NC_DSP_DOT(acc, xe, xo, w)                                                           \
  do {                                                                                       \
    uint32_t wv_ = load32(w);                                                                \
    acc = __smlad(xe, __sxtb16(wv_), acc);                                                   \
    acc = __smlad(xo, __sxtb16(ror8(wv_)), acc);                                             \
  } while (0)

/* tile[i * 16 + j] = sum_{p < kp} a[i][p] * B(p, j): per row and 4 columns
 * at a time, so the 4 accumulators, the widened activations and one weight
 * word fit the M4's registers. */
static void kernel_dsp_4x16(int64_t kp, const uint8_t *const *a, const int8_t *b,
                            int32_t *tile) {
  enum { MR = 4, NR = 16 };
  for (int i = 0; i < MR; i++)
    for (int j0 = 0; j0 < NR; j0 += 4) {
      int32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      const uint8_t *x = a[i];
      const int8_t *w = b + j0 * 4;
      for (int64_t p = 0; p < kp; p += 4, w += NR * 4) {
        uint32_t xv = load32(x + p);
        uint32_t xe = __uxtb16(xv), xo = __uxtb16(ror8(xv));
        NC_DSP_DOT(c0, xe, xo, w);
        NC_DSP_DOT(c1, xe, xo, w + 4);
        NC_DSP_DOT(c2, xe, xo, w + 8);
        NC_DSP_DOT(c3, xe, xo, w + 12);
      }
      int32_t *t = tile + i * NR + j0;
      t[0] = c0;
      t[1] = c1;
      t[2] = c2;
      t[3] = c3;
    }
}

const nc_i8_isa nc_i8_isa_dsp = {4, 16, kernel_dsp_4x16, nc_i8_epilogue_c99};

#else
/* ISO C forbids an empty translation unit. */
typedef int nc_int8_dsp_unused;
#endif
