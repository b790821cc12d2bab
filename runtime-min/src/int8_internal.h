/* Internal interfaces of the int8 routine family (compiler-quantized path):
 * u8 activations (asymmetric, per-tensor scale / zero point in nc_tdesc),
 * s8 weights (symmetric, per output channel), int32 accumulation, and a
 * float requantization epilogue. See docs/int8-routines.md.
 *
 * Every int8 layer on a GEMM (Conv NHWC with group 1, Gemm, MatMul) shares
 * one driver: rows of u8 A (im2col rows, or the activation itself) times a
 * packed s8 B, computed by an ISA micro-kernel into an int32 tile, then the
 * epilogue (bias, requantize or dequantize, fused activation). The kernels
 * only do integer dot products, which are exact, and every ISA shares the
 * same float epilogue arithmetic, so the x86 routines give the same bytes
 * as the portable ones. Not part of the public runtime API. */
#ifndef NC_INT8_INTERNAL_H
#define NC_INT8_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "neuroc/args.h"
#include "neuroc/quant.h"
#include "neuroc/routines.h"

/* ---- packed weights of a GEMM-based layer ----
 * One blob (the packed form of input 1, W or B): a header, then the s8
 * weights as ceil(N/nr) panels of kp/4 groups of nr columns x 4 k values
 * (the 4-byte groups vpdpbusd consumes), then per padded column np: the
 * int32 bias (ONNX bias / (s_x s_w[c]) rounded, minus z_x * sum of the
 * column's s8 weights), the requantization multiplier s_x s_w[c] / s_y
 * (u8 output) and the dequantization scale s_x s_w[c] (f32 output).
 * K index order of a conv: (ky * kw + kx) * IC + ic, as NHWC im2col rows. */
typedef struct nc_i8_wpack {
  int64_t k, kp, n, np, nr;
  int64_t pad_[3]; /* header is 64 bytes so the weights stay aligned */
} nc_i8_wpack;

static inline int64_t nc_i8_round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }
static inline int8_t *nc_i8_wpack_w(const nc_i8_wpack *h) { return (int8_t *)(h + 1); }
static inline int32_t *nc_i8_wpack_bias(const nc_i8_wpack *h) {
  return (int32_t *)(nc_i8_wpack_w(h) + h->kp * h->np);
}
static inline float *nc_i8_wpack_mult(const nc_i8_wpack *h) {
  return (float *)(nc_i8_wpack_bias(h) + h->np);
}
static inline float *nc_i8_wpack_deq(const nc_i8_wpack *h) {
  return nc_i8_wpack_mult(h) + h->np;
}
size_t nc_i8_wpack_bytes(int64_t k, int64_t n, int64_t nr);

/* Weight element (p, c) of the K x N matrix a layer multiplies by. */
typedef float (*nc_i8_wget)(const nc_args *a, const float *w, int64_t p, int64_t c);
/* Packs the blob (nc_i8_wpack_bytes(k, n, nr) bytes at dst): column c is
 * quantized per column from alpha * get(p, c), symmetric s8 in [-127, 127]
 * with scale max|.| / 127 (1 for an all-zero column); the real bias of
 * column c is beta * bias[c * bias_stride] (bias NULL = none). */
void nc_i8_pack_gemm_weights(const nc_args *a, int64_t k, int64_t n, int64_t nr, const float *w,
                             nc_i8_wget get, float alpha, const float *bias,
                             int64_t bias_stride, float beta, void *dst);
/* Fills the bias, multiplier and dequantization values of one column. */
void nc_i8_column_params(const nc_args *a, float w_scale, int64_t wsum, double bias,
                         float *mult, float *deq, int32_t *bias_q);

/* ---- the epilogue ----
 * For an int32 accumulator acc (bias included) of column c:
 *   u8 output, act none/relu/clip: t = (float)acc * mult[c] [+ (s - zs) * ss_q],
 *     relu/clip on t (the clip bounds divided by s_y), q = round_even(t) + z_y
 *     saturated;
 *   u8 output, other acts: t = act((float)acc * deq[c] [+ (s - zs) * ss]) / s_y,
 *     then as above;
 *   f32 output: y = act((float)acc * deq[c] [+ (s - zs) * ss]).
 * The bracketed term is there when a residual sum S is fused. */
typedef struct nc_i8_post {
  const int32_t *bias;
  const float *mult, *deq;
  int out_f32;
  int32_t zy;
  float sy;
  int64_t act;
  float alpha, beta;
  float lo_q, hi_q; /* clip bounds / s_y (u8 output; relu: 0 and +inf) */
  void *y;
  int64_t ldy; /* elements between output rows */
  /* Fused residual sum S (a Conv's NC_CONV_IN_SUM), stored u8 like the
   * output (same shape and layout, so element offsets are the output's),
   * or NULL. Added in real units after the bias, before the activation:
   * its real value (s - zs) * ss, or (s - zs) * ss_q = that / s_y in the
   * linear u8 form. */
  const uint8_t *sum;
  int32_t zs;
  float ss, ss_q;
} nc_i8_post;

void nc_i8_post_init(nc_i8_post *p, const nc_args *a, const nc_i8_wpack *h, int64_t act,
                     float alpha, float beta, void *y, int64_t ldy);
/* Attaches the fused residual sum (u8 data with its tdesc's params). */
void nc_i8_post_sum(nc_i8_post *p, const nc_tdesc *sd, const void *s);
/* Does the vector epilogue handle this activation (no scalar fallback)? */
static inline int nc_i8_post_linear(const nc_i8_post *p) {
  return p->act == NC_ACT_NONE || p->act == NC_ACT_RELU || p->act == NC_ACT_CLIP;
}
/* Finishes rows x cols of an int32 tile (row stride ld) into output rows
 * row0.. and columns col0.. (the portable version; every ISA's result equals it). */
void nc_i8_epilogue_c99(const nc_i8_post *p, const int32_t *tile, int64_t ld, int rows,
                        int64_t row0, int64_t col0, int64_t cols);

/* ---- ISA micro-kernels ----
 * tile[i * nr + j] = sum_{p < kp} a[i][p] * B(p, j) for i < mr, j < nr, with
 * B the panel (kp/4 groups of nr x 4 s8). a[] has mr row pointers (tails
 * repeat the last row). */
typedef void (*nc_i8_kernel)(int64_t kp, const uint8_t *const *a, const int8_t *b,
                             int32_t *tile);
typedef void (*nc_i8_epilogue)(const nc_i8_post *p, const int32_t *tile, int64_t ld, int rows,
                               int64_t row0, int64_t col0, int64_t cols);
typedef struct nc_i8_isa {
  int mr, nr;
  nc_i8_kernel kernel;
  nc_i8_epilogue epilogue;
} nc_i8_isa;

extern const nc_i8_isa nc_i8_isa_c99;
#if defined(__x86_64__)
extern const nc_i8_isa nc_i8_isa_avx512vnni, nc_i8_isa_avxvnni, nc_i8_isa_avx2;
#endif
#if defined(__ARM_FEATURE_DSP)
/* Armv7E-M DSP extension (Cortex-M4/M7): SMLAD kernel, int8_dsp.c */
extern const nc_i8_isa nc_i8_isa_dsp;
#endif
#if defined(__aarch64__)
/* Armv8.2 dot product (SDOT): neon_int8.c */
extern const nc_i8_isa nc_i8_isa_neondot;
#endif

/* Where the GEMM's A rows come from: a strided matrix (row r, element p at
 * x[r * rs + p * cs], read in place when cs == 1 and k is a multiple of 4,
 * else gathered into scratch) or the im2col rows of a 2-D NHWC conv (input
 * [n][ih][iw][ic], padding filled with the input zero point zx). */
typedef struct nc_i8_rows {
  const uint8_t *x;
  int64_t m; /* rows */
  int im2col;
  int64_t rs, cs;
  int64_t ih, iw, ic, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
  uint8_t zx;
} nc_i8_rows;

/* Runs the whole GEMM of a layer: rows of src times the packed blob. */
void nc_i8_gemm_run(const nc_i8_isa *isa, const nc_i8_rows *src, const nc_i8_wpack *h,
                    const nc_i8_post *post, void *scratch);
/* Scratch bytes of nc_i8_gemm_run. */
size_t nc_i8_gemm_scratch(const nc_i8_rows *src, int64_t k);

/* ---- layer glue (int8_layers.c) ---- */
int nc_i8_conv_gemm_applies_u8(const nc_args *a);
int nc_i8_conv_gemm_applies_f32(const nc_args *a);
int nc_i8_conv_dw_applies_u8(const nc_args *a);
int nc_i8_conv_dw_applies_f32(const nc_args *a);
int nc_i8_gemm_applies_u8(const nc_args *a);
int nc_i8_gemm_applies_f32(const nc_args *a);
int nc_i8_matmul_applies_u8(const nc_args *a);
int nc_i8_matmul_applies_f32(const nc_args *a);

#define NC_I8_DECLARE_GEMM_ISA(TAG)                                                          \
  void nc_conv_gemm_u8_nhwc_##TAG(const nc_args *a, const void *const *in, void *const *out, \
                                  void *scratch);                                            \
  void nc_gemm_u8_##TAG(const nc_args *a, const void *const *in, void *const *out,           \
                        void *scratch);                                                      \
  void nc_matmul_u8_##TAG(const nc_args *a, const void *const *in, void *const *out,         \
                          void *scratch);                                                    \
  size_t nc_i8_conv_scratch_##TAG(const nc_args *a);                                         \
  size_t nc_i8_gemm_scratch_##TAG(const nc_args *a);                                         \
  size_t nc_i8_matmul_scratch_##TAG(const nc_args *a);                                       \
  size_t nc_i8_conv_packed_bytes_##TAG(const nc_args *a, int idx);                           \
  size_t nc_i8_gemm_packed_bytes_##TAG(const nc_args *a, int idx);                           \
  size_t nc_i8_matmul_packed_bytes_##TAG(const nc_args *a, int idx);                         \
  void nc_i8_conv_pack_##TAG(const nc_args *a, int idx, const void *const *c, void *dst);    \
  void nc_i8_gemm_pack_##TAG(const nc_args *a, int idx, const void *const *c, void *dst);    \
  void nc_i8_matmul_pack_##TAG(const nc_args *a, int idx, const void *const *c, void *dst);

NC_I8_DECLARE_GEMM_ISA(c99)
#if defined(__x86_64__)
NC_I8_DECLARE_GEMM_ISA(avx512vnni)
NC_I8_DECLARE_GEMM_ISA(avxvnni)
NC_I8_DECLARE_GEMM_ISA(avx2)
#endif
#if defined(__ARM_FEATURE_DSP)
NC_I8_DECLARE_GEMM_ISA(dsp)
#endif
#if defined(__aarch64__)
NC_I8_DECLARE_GEMM_ISA(neondot)
#endif

/* Depthwise conv NHWC (int8_dw.c). */
size_t nc_i8_dw_packed_bytes(const nc_args *a, int idx);
void nc_i8_dw_pack(const nc_args *a, int idx, const void *const *c, void *dst);
size_t nc_i8_dw_scratch(const nc_args *a);
void nc_conv_dw_u8_nhwc_c99(const nc_args *a, const void *const *in, void *const *out,
                            void *scratch);
#if defined(__x86_64__)
void nc_conv_dw_u8_nhwc_avx512(const nc_args *a, const void *const *in, void *const *out,
                               void *scratch);
/* VNNI form: its own blob (the portable one plus interleaved weights). */
size_t nc_i8_dw_packed_bytes_vnni(const nc_args *a, int idx);
void nc_i8_dw_pack_vnni(const nc_args *a, int idx, const void *const *c, void *dst);
void nc_conv_dw_u8_nhwc_avx512vnni(const nc_args *a, const void *const *in, void *const *out,
                                   void *scratch);
/* Vector epilogue of the AVX-512 routines (int8_x86.c). */
void nc_i8_epilogue_avx512(const nc_i8_post *p, const int32_t *tile, int64_t ld, int rows,
                           int64_t row0, int64_t col0, int64_t cols);
#endif

/* ---- pooling, Add, Concat (int8_misc.c) ---- */
#define NC_I8_FN(NAME)                                                                       \
  void NAME(const nc_args *a, const void *const *in, void *const *out, void *scratch);
/* Taps [lo, hi) of output position o along one pooled axis that land in
 * the input (first input index base = o * stride - pad_begin), and how many
 * lie inside [-pad_begin, in + pad_end) (count_include_pad). */
typedef struct nc_i8_window {
  int64_t base, lo, hi, span;
} nc_i8_window;
nc_i8_window nc_i8_pool_window(int64_t o, int64_t k, int64_t stride, int64_t dil, int64_t pb,
                               int64_t pe, int64_t in);
int nc_i8_pool_applies(const nc_args *a);
int nc_i8_gap_applies(const nc_args *a);
int nc_i8_add_applies(const nc_args *a);
int nc_i8_concat_applies(const nc_args *a);
int nc_i8_concat_nhwc_applies(const nc_args *a);
NC_I8_FN(nc_maxpool_u8_nhwc_c99)
NC_I8_FN(nc_maxpool_u8_nchw_c99)
NC_I8_FN(nc_avgpool_u8_nhwc_c99)
NC_I8_FN(nc_avgpool_u8_nchw_c99)
NC_I8_FN(nc_gap_u8_nhwc_c99)
NC_I8_FN(nc_gap_u8_nchw_c99)
NC_I8_FN(nc_add_u8_c99)
NC_I8_FN(nc_concat_u8_nhwc_c99)
NC_I8_FN(nc_concat_u8_nchw_c99)
#if defined(__x86_64__)
/* AVX-512 forms (int8_misc_x86.c), NHWC pools and the elementwise Add. */
NC_I8_FN(nc_maxpool_u8_nhwc_avx512)
NC_I8_FN(nc_avgpool_u8_nhwc_avx512)
NC_I8_FN(nc_gap_u8_nhwc_avx512)
NC_I8_FN(nc_add_u8_avx512)
int nc_i8_gap_nhwc_avx512_applies(const nc_args *a);
#endif

/* ---- adapters (int8_adapter.c): nc_adapter_<name>_<isa> ----
 * Every (name, op, from layout, to layout) the table lists; X is applied to
 * each. Ops: QUANT (f32 -> u8), DEQUANT (u8 -> f32), COPY (u8 relayout). */
#define NC_I8_ADAPTER_PAIRS(X)                                                               \
  X(quantize_nchw_nhwc, QUANT, NCHW, NHWC)                                                   \
  X(quantize_nhwc_nchw, QUANT, NHWC, NCHW)                                                   \
  X(quantize_nchw_nchw, QUANT, NCHW, NCHW)                                                   \
  X(quantize_nhwc_nhwc, QUANT, NHWC, NHWC)                                                   \
  X(quantize_nchw16c_nhwc, QUANT, NCHW16C, NHWC)                                             \
  X(quantize_nhwc_nchw16c, QUANT, NHWC, NCHW16C)                                             \
  X(quantize_nchw8c_nhwc, QUANT, NCHW8C, NHWC)                                               \
  X(quantize_nhwc_nchw8c, QUANT, NHWC, NCHW8C)                                               \
  X(dequantize_nchw_nhwc, DEQUANT, NCHW, NHWC)                                               \
  X(dequantize_nhwc_nchw, DEQUANT, NHWC, NCHW)                                               \
  X(dequantize_nchw_nchw, DEQUANT, NCHW, NCHW)                                               \
  X(dequantize_nhwc_nhwc, DEQUANT, NHWC, NHWC)                                               \
  X(dequantize_nchw16c_nhwc, DEQUANT, NCHW16C, NHWC)                                         \
  X(dequantize_nhwc_nchw16c, DEQUANT, NHWC, NCHW16C)                                         \
  X(dequantize_nchw8c_nhwc, DEQUANT, NCHW8C, NHWC)                                           \
  X(dequantize_nhwc_nchw8c, DEQUANT, NHWC, NCHW8C)                                           \
  X(u8_nchw_nhwc, COPY, NCHW, NHWC)                                                          \
  X(u8_nhwc_nchw, COPY, NHWC, NCHW)

#define NC_I8_ADAPTER_DECL(NAME, OP, FROM, TO)                                               \
  NC_I8_FN(nc_adapter_##NAME##_c99)                                                          \
  int nc_adapter_##NAME##_applies(const nc_args *a);
NC_I8_ADAPTER_PAIRS(NC_I8_ADAPTER_DECL)
#if defined(__x86_64__)
#define NC_I8_ADAPTER_DECL512(NAME, OP, FROM, TO) NC_I8_FN(nc_adapter_##NAME##_avx512)
NC_I8_ADAPTER_PAIRS(NC_I8_ADAPTER_DECL512)
#endif

#endif
