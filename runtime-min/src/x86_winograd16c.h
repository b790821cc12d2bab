/* Winograd F(m,3) for 3x3 stride-1 Conv in the NCHW16c blocked layout
 * (AVX-512): input and output [N][ceil(C/16)][H][W][16], the 16 channels of a
 * block are the SIMD lanes, so the transforms use plain vector loads and
 * stores. Between them, per tile position xi, one GEMM over input channels:
 * Mt_xi[tile][oc] = sum_ic V_xi[tile][ic] * U_xi[ic][oc].
 * Transform matrices come from x86_winograd.h; see docs/x86-winograd.md. */
#ifndef NC_X86_WINOGRAD16C_H
#define NC_X86_WINOGRAD16C_H

#include <stddef.h>

#include "neuroc/rt.h" /* not nn_internal.h: its include guard ends early (line 61) */

/* Output channels per GEMM panel: two 16-lane blocks (the register tile is
 * NC_W16_RT tiles x 2 blocks of accumulators). */
#define NC_W16_OCP 32
#define NC_W16_RT 12

/* 1 for a 2-D 3x3 stride-1 dilation-1 f32 Conv with group 1. */
int nc_wino16_applies(const nc_args *a);

#define NC_WINO16_ROUTINE(sym)                                                           \
  void sym(const nc_args *a, const void *const *in, void *const *out, void *scratch);   \
  size_t sym##_scratch(const nc_args *a);                                                \
  size_t sym##_packed_bytes(const nc_args *a, int idx);                                  \
  void sym##_pack(const nc_args *a, int idx, const void *src, void *dst);
#if defined(__x86_64__)
NC_WINO16_ROUTINE(nc_conv_winograd23_f32_nchw16c_avx512)
NC_WINO16_ROUTINE(nc_conv_winograd43_f32_nchw16c_avx512)
NC_WINO16_ROUTINE(nc_conv_winograd63_f32_nchw16c_avx512)
#endif
#undef NC_WINO16_ROUTINE

#endif
