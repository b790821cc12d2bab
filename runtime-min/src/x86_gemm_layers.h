/* The layers on the x86 packed GEMM (x86_gemm_layers.c), one set of entry
 * points per register tile. TAG is ISA_TILE (avx512_14x32); the table
 * (x86_gemm_table.c) names them through the same macro. */
#ifndef NC_X86_GEMM_LAYERS_H
#define NC_X86_GEMM_LAYERS_H

#include "gemm_glue.h"
#include "neuroc/routines.h"

#define NC_XGEMM_LAYER_DECLS(TAG)                                                           \
  void nc_conv_im2col_f32_nchw_##TAG(const nc_args *a, const void *const *in,               \
                                     void *const *out, void *scratch);                      \
  size_t nc_xgemm_conv_nchw_scratch_##TAG(const nc_args *a);                                \
  size_t nc_xgemm_conv_nchw_packed_bytes_##TAG(const nc_args *a, int idx);                  \
  void nc_xgemm_conv_nchw_pack_##TAG(const nc_args *a, int idx, const void *src, void *dst); \
  void nc_conv_im2col_f32_nhwc_##TAG(const nc_args *a, const void *const *in,               \
                                     void *const *out, void *scratch);                      \
  size_t nc_xgemm_conv_nhwc_scratch_##TAG(const nc_args *a);                                \
  size_t nc_xgemm_conv_nhwc_packed_bytes_##TAG(const nc_args *a, int idx);                  \
  void nc_xgemm_conv_nhwc_pack_##TAG(const nc_args *a, int idx, const void *src, void *dst); \
  void nc_gemm_packed_f32_nchw_##TAG(const nc_args *a, const void *const *in,               \
                                     void *const *out, void *scratch);                      \
  size_t nc_xgemm_gemm_scratch_##TAG(const nc_args *a);                                     \
  size_t nc_xgemm_gemm_packed_bytes_##TAG(const nc_args *a, int idx);                       \
  void nc_xgemm_gemm_pack_##TAG(const nc_args *a, int idx, const void *src, void *dst);     \
  void nc_matmul_packed_f32_nchw_##TAG(const nc_args *a, const void *const *in,             \
                                       void *const *out, void *scratch);                    \
  size_t nc_xgemm_matmul_scratch_##TAG(const nc_args *a);                                   \
  size_t nc_xgemm_matmul_packed_bytes_##TAG(const nc_args *a, int idx);                     \
  void nc_xgemm_matmul_pack_##TAG(const nc_args *a, int idx, const void *src, void *dst);

#if defined(__x86_64__)
NC_XGEMM_LAYER_DECLS(avx2_6x16)
NC_XGEMM_LAYER_DECLS(avx512_14x32)
NC_XGEMM_LAYER_DECLS(avx512_8x48)
NC_XGEMM_LAYER_DECLS(avx512_6x64)
#endif

/* Applicability: nc_conv2d_gemm_applies (gemm_glue.h) for both conv layouts,
 * nc_matmul_packed_applies (a B shared by every batch) for MatMul. */

#endif
