/* aarch64 NEON f32 GEMM family: one 8x12 register tile (24 float32x4
 * accumulators) behind a K-blocked driver, and the layers on it
 * (neon_gemm_layers.c). Internal to the runtime library.
 *
 * Packed formats (portable C, the same bytes on every host, so an x86
 * compiler packs weights for an aarch64 model):
 *  - A (M x K) as ceil(M/8) panels, each K steps of 8 consecutive row values;
 *  - B (K x N) as ceil(N/12) panels, each K steps of 12 column values;
 *  tails zero-padded, little-endian IEEE floats as on both hosts.
 * The driver and kernels exist only on aarch64; everything else everywhere. */
#ifndef NC_NEON_GEMM_H
#define NC_NEON_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "gemm_glue.h"
#include "nn_internal.h"

#define NC_NEON_MR 8
#define NC_NEON_NR 12
/* K block: an 8 x KC A panel (8 KiB) stays in L1 while B panels stream. */
#define NC_NEON_KC 256

/* Packs `w` rows starting at i0 of an activation operand, K steps [k0,
 * k0+kc), into one panel: element (row l, step p) at dst[p*w + l], rows past
 * the operand's end zero. */
typedef void (*nc_neon_packer)(const void *ctx, int64_t i0, int64_t k0, int64_t kc, int w,
                               float *dst);

/* An operand: `packed` (whole-K panels, weights) or `pack` + `ctx` (one panel
 * per K block into scratch). Exactly one of A and B is packed on the fly. */
typedef struct nc_neon_operand {
  const float *packed;
  nc_neon_packer pack;
  const void *ctx;
} nc_neon_operand;

/* A strided matrix: element (row r, step p) at base[r*rs + p*cs] * scale. */
typedef nc_gemm_strided nc_neon_strided; /* gemm_glue.h, shared with x86 */
void nc_neon_pack_strided(const void *ctx, int64_t i0, int64_t k0, int64_t kc, int w,
                          float *dst);

/* Whole-K packed sizes and packers (portable). */
size_t nc_neon_packed_floats(int w, int64_t rows, int64_t k);
/* rows x k operand, element (r, p) at src[r*rs + p*cs], into w-wide panels. */
void nc_neon_pack_panels(int w, int64_t rows, int64_t k, const float *src, int64_t rs,
                         int64_t cs, float *dst);
/* Scratch floats of the driver: one on-the-fly panel of one K block. */
size_t nc_neon_scratch_floats(int64_t k);

#if defined(__aarch64__)
/* C (M x N, row stride ldc) = epilogue(A * B); `sum` (row stride ldc) is a
 * fused residual added after the bias, before the activation. */
void nc_neon_sgemm(int64_t m, int64_t n, int64_t k, const nc_neon_operand *a,
                   const nc_neon_operand *b, float *c, int64_t ldc, const float *sum,
                   const nc_sgemm_epilogue *e, float *scratch);
#endif

/* Layer entry points (neon_gemm_layers.c); fn symbols exist on aarch64 only.
 * Applicability: nc_conv2d_gemm_applies, nc_matmul_packed_applies (gemm_glue.h). */
size_t nc_neon_conv_nchw_scratch(const nc_args *a);
size_t nc_neon_conv_nchw_packed_bytes(const nc_args *a, int idx);
void nc_neon_conv_nchw_pack(const nc_args *a, int idx, const void *src, void *dst);
size_t nc_neon_conv_nhwc_scratch(const nc_args *a);
size_t nc_neon_conv_nhwc_packed_bytes(const nc_args *a, int idx);
void nc_neon_conv_nhwc_pack(const nc_args *a, int idx, const void *src, void *dst);
size_t nc_neon_gemm_scratch(const nc_args *a);
size_t nc_neon_gemm_packed_bytes(const nc_args *a, int idx);
void nc_neon_gemm_pack(const nc_args *a, int idx, const void *src, void *dst);
size_t nc_neon_matmul_scratch(const nc_args *a);
size_t nc_neon_matmul_packed_bytes(const nc_args *a, int idx);
void nc_neon_matmul_pack(const nc_args *a, int idx, const void *src, void *dst);

/* Depthwise Conv NHWC (neon_dw.c): weights packed [kh*kw][ceil(C/4)*4]. */
int nc_neon_dwconv_applies(const nc_args *a);
size_t nc_neon_dwconv_packed_bytes(const nc_args *a, int idx);
void nc_neon_dwconv_pack(const nc_args *a, int idx, const void *src, void *dst);

/* Winograd F(2x2,3x3) Conv NHWC (neon_winograd.c). */
int nc_neon_winograd_applies(const nc_args *a);
size_t nc_neon_winograd_scratch(const nc_args *a);
size_t nc_neon_winograd_packed_bytes(const nc_args *a, int idx);
void nc_neon_winograd_pack(const nc_args *a, int idx, const void *src, void *dst);

#if defined(__aarch64__)
void nc_conv_winograd23_f32_nhwc_neon(const nc_args *a, const void *const *in,
                                      void *const *out, void *scratch);
void nc_conv_im2col_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch);
void nc_conv_im2col_f32_nhwc_neon_8x12(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch);
void nc_gemm_packed_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch);
void nc_matmul_packed_f32_nchw_neon_8x12(const nc_args *a, const void *const *in,
                                         void *const *out, void *scratch);
void nc_conv_depthwise_f32_nhwc_neon(const nc_args *a, const void *const *in,
                                     void *const *out, void *scratch);
/* int8 with SDOT: kernel in neon_int8.c, layers NC_I8_DEFINE_GEMM_ISA(neondot)
 * of int8_layers.c, all declared in int8_internal.h */
/* NCHW8c (neon_blocked.c); applicability and packing from x86_blocked.h */
void nc_conv_direct_f32_nchw8c_neon(const nc_args *a, const void *const *in, void *const *out,
                                    void *scratch);
void nc_conv_depthwise_f32_nchw8c_neon(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch);
#endif

#endif
