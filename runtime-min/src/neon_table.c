/* Routine table of the aarch64 NEON family: part of the one table (table.c).
 * The entries exist on every host so that a compiler running on x86 selects
 * and packs for them when the target is aarch64: descriptors, applies,
 * scratch and packing are portable C, only `fn` is NULL off aarch64 (the
 * emitted code calls the routine by `symbol`). nc_cpu_supports("neon") is
 * true on aarch64 only, so nothing here is run on another host. */
#include "int8_internal.h"
#include "neon_gemm.h"
#include "table_families.h"
#include "x86_blocked.h"

#define F32 NC_DT(NC_F32)
#define NCHW NC_LAYOUT_NCHW
#define NHWC NC_LAYOUT_NHWC
#define NCHW8C NC_LAYOUT_NCHW8C
#define U8 NC_DT(NC_U8)

/* An int8 GEMM layer with the SDOT kernel: u8-output and f32-output
 * ("-dequant") entries on one function, with the c99 4x16 routines'
 * applicability, scratch and packed blob (the same nr = 16). */
#define NC_NEONDOT_PAIR(LAYER, LAY, LAYID, ALGO, SYM, CORE, APPL)                               \
  {LAYER, "cpu:u8:" LAY "/" ALGO "/neondot/4x16", #SYM, NC_NEON_FN(SYM), U8, LAYID, LAYID,   \
   NC_RF_ACT, nc_i8_##APPL##_applies_u8, nc_i8_##CORE##_scratch_c99,                         \
   nc_i8_##CORE##_packed_bytes_c99, NULL, NC_Q_U8, NC_Q_U8, nc_i8_##CORE##_pack_c99},        \
  {LAYER, "cpu:u8:" LAY "/" ALGO "-dequant/neondot/4x16", #SYM, NC_NEON_FN(SYM), U8, LAYID,  \
   LAYID, NC_RF_ACT, nc_i8_##APPL##_applies_f32, nc_i8_##CORE##_scratch_c99,                 \
   nc_i8_##CORE##_packed_bytes_c99, NULL, NC_Q_U8, NC_Q_NONE, nc_i8_##CORE##_pack_c99}

#if defined(__aarch64__)
#define NC_NEON_FN(f) f
#else
#define NC_NEON_FN(f) NULL
#endif

const nc_routine nc_routines_neon[] = {
    {"Conv", "cpu:f32:nchw/conv-im2col/neon/8x12", "nc_conv_im2col_f32_nchw_neon_8x12",
     NC_NEON_FN(nc_conv_im2col_f32_nchw_neon_8x12), F32, NCHW, NCHW, NC_RF_ACT,
     nc_conv2d_gemm_applies, nc_neon_conv_nchw_scratch, nc_neon_conv_nchw_packed_bytes,
     nc_neon_conv_nchw_pack, NC_Q_NONE, NC_Q_NONE, NULL},
    {"Conv", "cpu:f32:nhwc/conv-im2col/neon/8x12", "nc_conv_im2col_f32_nhwc_neon_8x12",
     NC_NEON_FN(nc_conv_im2col_f32_nhwc_neon_8x12), F32, NHWC, NHWC, NC_RF_ACT,
     nc_conv2d_gemm_applies, nc_neon_conv_nhwc_scratch, nc_neon_conv_nhwc_packed_bytes,
     nc_neon_conv_nhwc_pack, NC_Q_NONE, NC_Q_NONE, NULL},
    {"Conv", "cpu:f32:nhwc/conv-depthwise/neon", "nc_conv_depthwise_f32_nhwc_neon",
     NC_NEON_FN(nc_conv_depthwise_f32_nhwc_neon), F32, NHWC, NHWC, NC_RF_ACT,
     nc_neon_dwconv_applies, NULL, nc_neon_dwconv_packed_bytes, nc_neon_dwconv_pack, NC_Q_NONE, NC_Q_NONE, NULL},
    {"Conv", "cpu:f32:nhwc/conv-winograd23/neon", "nc_conv_winograd23_f32_nhwc_neon",
     NC_NEON_FN(nc_conv_winograd23_f32_nhwc_neon), F32, NHWC, NHWC, NC_RF_ACT | NC_RF_APPROX,
     nc_neon_winograd_applies, nc_neon_winograd_scratch, nc_neon_winograd_packed_bytes,
     nc_neon_winograd_pack, NC_Q_NONE, NC_Q_NONE, NULL},
    /* NCHW8c: the x86 blocked family's portable applicability and packing */
    {"Conv", "cpu:f32:nchw8c/conv-direct/neon", "nc_conv_direct_f32_nchw8c_neon",
     NC_NEON_FN(nc_conv_direct_f32_nchw8c_neon), F32, NCHW8C, NCHW8C, NC_RF_ACT,
     ncb_applies_conv, NULL, ncb_conv_packed_bytes8, ncb_conv_pack8, NC_Q_NONE, NC_Q_NONE, NULL},
    {"Conv", "cpu:f32:nchw8c/conv-depthwise/neon", "nc_conv_depthwise_f32_nchw8c_neon",
     NC_NEON_FN(nc_conv_depthwise_f32_nchw8c_neon), F32, NCHW8C, NCHW8C, NC_RF_ACT,
     ncb_applies_dwconv, NULL, ncb_dwconv_packed_bytes8, ncb_dwconv_pack8, NC_Q_NONE, NC_Q_NONE, NULL},
    {"Gemm", "cpu:f32:nchw/gemm-packed/neon/8x12", "nc_gemm_packed_f32_nchw_neon_8x12",
     NC_NEON_FN(nc_gemm_packed_f32_nchw_neon_8x12), F32, NCHW, NCHW, NC_RF_ACT, NULL,
     nc_neon_gemm_scratch, nc_neon_gemm_packed_bytes, nc_neon_gemm_pack, NC_Q_NONE, NC_Q_NONE, NULL},
    {"MatMul", "cpu:f32:nchw/matmul-packed/neon/8x12", "nc_matmul_packed_f32_nchw_neon_8x12",
     NC_NEON_FN(nc_matmul_packed_f32_nchw_neon_8x12), F32, NCHW, NCHW, 0,
     nc_matmul_packed_applies, nc_neon_matmul_scratch, nc_neon_matmul_packed_bytes,
     nc_neon_matmul_pack, NC_Q_NONE, NC_Q_NONE, NULL},
    /* int8, SDOT (armv8.2 dotprod) */
    NC_NEONDOT_PAIR("Conv", "nhwc", NHWC, "conv-gemm", nc_conv_gemm_u8_nhwc_neondot, conv,
                    conv_gemm),
    NC_NEONDOT_PAIR("Gemm", "nchw", NCHW, "gemm", nc_gemm_u8_neondot, gemm, gemm),
    NC_NEONDOT_PAIR("MatMul", "nchw", NCHW, "matmul", nc_matmul_u8_neondot, matmul, matmul),
    {0},
};
