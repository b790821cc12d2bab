/* Routine table of the x86-64 SIMD gemm family (AVX2+FMA, AVX-512): part of
 * the one table (table.c). Routines compile with per-function target
 * attributes, so the library builds on any x86-64; the target spec's `isa`
 * decides which ones a model may use. Empty on other architectures.
 *
 * One routine per (layer, layout, register tile): the tile is the PARAMS
 * component of the descriptor (cpu:f32:nchw/conv-im2col/avx512/14x32) so the
 * profiler measures each tile per layer and DPRS keeps the fastest. */
#include "table_families.h"
#include "x86_gemm_layers.h"

#if defined(__x86_64__)

#define F32 NC_DT(NC_F32)
#define NCHW NC_LAYOUT_NCHW
#define NHWC NC_LAYOUT_NHWC

/* The four layers on one tile; ISA_TILE is the descriptor's "ISA/TILE" tail. */
#define NC_XGEMM_ENTRIES(TAG, ISA_TILE)                                                      \
  {"Conv", "cpu:f32:nchw/conv-im2col/" ISA_TILE, "nc_conv_im2col_f32_nchw_" #TAG,           \
   nc_conv_im2col_f32_nchw_##TAG, F32, NCHW, NCHW, NC_RF_ACT, nc_conv2d_gemm_applies,        \
   nc_xgemm_conv_nchw_scratch_##TAG, nc_xgemm_conv_nchw_packed_bytes_##TAG,                 \
   nc_xgemm_conv_nchw_pack_##TAG},                                                          \
  {"Conv", "cpu:f32:nhwc/conv-im2col/" ISA_TILE, "nc_conv_im2col_f32_nhwc_" #TAG,           \
   nc_conv_im2col_f32_nhwc_##TAG, F32, NHWC, NHWC, NC_RF_ACT, nc_conv2d_gemm_applies,        \
   nc_xgemm_conv_nhwc_scratch_##TAG, nc_xgemm_conv_nhwc_packed_bytes_##TAG,                 \
   nc_xgemm_conv_nhwc_pack_##TAG},                                                          \
  {"Gemm", "cpu:f32:nchw/gemm-packed/" ISA_TILE, "nc_gemm_packed_f32_nchw_" #TAG,           \
   nc_gemm_packed_f32_nchw_##TAG, F32, NCHW, NCHW, NC_RF_ACT, NULL,                          \
   nc_xgemm_gemm_scratch_##TAG, nc_xgemm_gemm_packed_bytes_##TAG, nc_xgemm_gemm_pack_##TAG}, \
  {"MatMul", "cpu:f32:nchw/matmul-packed/" ISA_TILE, "nc_matmul_packed_f32_nchw_" #TAG,     \
   nc_matmul_packed_f32_nchw_##TAG, F32, NCHW, NCHW, 0, nc_matmul_packed_applies,            \
   nc_xgemm_matmul_scratch_##TAG, nc_xgemm_matmul_packed_bytes_##TAG,                       \
   nc_xgemm_matmul_pack_##TAG}

const nc_routine nc_routines_x86_gemm[] = {
    NC_XGEMM_ENTRIES(avx2_6x16, "avx2/6x16"),
    NC_XGEMM_ENTRIES(avx512_14x32, "avx512/14x32"),
    NC_XGEMM_ENTRIES(avx512_8x48, "avx512/8x48"),
    NC_XGEMM_ENTRIES(avx512_6x64, "avx512/6x64"),
    {0},
};

#else

const nc_routine nc_routines_x86_gemm[] = {
    {0},
};

#endif
