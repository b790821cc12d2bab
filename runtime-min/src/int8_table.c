/* Routine table of the int8 family (compiler-quantized path, issue 5):
 * layers of the f32 model computed on u8 activations (in_q = NC_Q_U8) with
 * s8 per-channel weights, writing u8 (out_q = NC_Q_U8) or, for Conv / Gemm /
 * MatMul, f32 ("-dequant" routines, out_q = NC_Q_NONE); and the quantize /
 * dequantize / u8 relayout adapters. Part of the one table (table.c). See
 * docs/int8-routines.md. */
#include "int8_internal.h"
#include "table_families.h"

#define U8 NC_DT(NC_U8)
#define F32 NC_DT(NC_F32)
#define NCHW NC_LAYOUT_NCHW
#define NHWC NC_LAYOUT_NHWC
#define B16 NC_LAYOUT_NCHW16C
#define QN NC_Q_NONE
#define QU NC_Q_U8

/* A layer routine on the GEMM core: u8-output and f32-output variants. */
#define GEMM_PAIR(LAYER, LAY, LAYID, ALGO, SYM, TAG, ISA_TILE, SCR, PB, PACK, APPLIES)       \
  {LAYER, "cpu:u8:" LAY "/" ALGO "/" ISA_TILE, #SYM "_" #TAG, SYM##_##TAG, U8, LAYID, LAYID,  \
   NC_RF_ACT, APPLIES##_u8, SCR##_##TAG, PB##_##TAG, NULL, QU, QU, PACK##_##TAG},             \
  {LAYER, "cpu:u8:" LAY "/" ALGO "-dequant/" ISA_TILE, #SYM "_" #TAG, SYM##_##TAG, U8, LAYID, \
   LAYID, NC_RF_ACT, APPLIES##_f32, SCR##_##TAG, PB##_##TAG, NULL, QU, QN, PACK##_##TAG}

#define GEMM_ISA(TAG, ISA_TILE)                                                              \
  GEMM_PAIR("Conv", "nhwc", NHWC, "conv-gemm", nc_conv_gemm_u8_nhwc, TAG, ISA_TILE,                 \
            nc_i8_conv_scratch, nc_i8_conv_packed_bytes, nc_i8_conv_pack,                    \
            nc_i8_conv_gemm_applies),                                                        \
  GEMM_PAIR("Gemm", "nchw", NCHW, "gemm", nc_gemm_u8, TAG, ISA_TILE, nc_i8_gemm_scratch,            \
            nc_i8_gemm_packed_bytes, nc_i8_gemm_pack, nc_i8_gemm_applies),                   \
  GEMM_PAIR("MatMul", "nchw", NCHW, "matmul", nc_matmul_u8, TAG, ISA_TILE, nc_i8_matmul_scratch,    \
            nc_i8_matmul_packed_bytes, nc_i8_matmul_pack, nc_i8_matmul_applies)

#define DW(DESC, SYM, APPLIES, OUTQ)                                                          \
  {"Conv", "cpu:u8:nhwc/" DESC, #SYM, SYM, U8, NHWC, NHWC, NC_RF_ACT, APPLIES,               \
   nc_i8_dw_scratch, nc_i8_dw_packed_bytes, NULL, QU, OUTQ, nc_i8_dw_pack}

/* A u8 -> u8 layer without constants. */
#define PLAIN(LAYER, DESC, SYM, LAYOUT, APPLIES)                                             \
  {LAYER, "cpu:u8:" DESC, #SYM, SYM, U8, LAYOUT, LAYOUT, 0, APPLIES, NULL, NULL, NULL, QU, QU, \
   NULL}

#define ADAPTER(DESC, NAME, ISA, FROM, TO, INQ, OUTQ)                                         \
  {"adapter", DESC "/" #ISA, "nc_adapter_" #NAME "_" #ISA, nc_adapter_##NAME##_##ISA, F32,    \
   FROM, TO, 0, nc_adapter_##NAME##_applies, NULL, NULL, NULL, INQ, OUTQ, NULL}

const nc_routine nc_routines_int8[] = {
    GEMM_ISA(c99, "c99/4x16"),
#if defined(__x86_64__)
    GEMM_ISA(avx512vnni, "avx512vnni/6x64"),
    GEMM_ISA(avxvnni, "avxvnni/6x16"),
    GEMM_ISA(avx2, "avx2/4x8"),
#endif
    DW("conv-depthwise/c99", nc_conv_dw_u8_nhwc_c99, nc_i8_conv_dw_applies_u8, QU),
    DW("conv-depthwise-dequant/c99", nc_conv_dw_u8_nhwc_c99, nc_i8_conv_dw_applies_f32, QN),
#if defined(__x86_64__)
    DW("conv-depthwise/avx512", nc_conv_dw_u8_nhwc_avx512, nc_i8_conv_dw_applies_u8, QU),
    DW("conv-depthwise-dequant/avx512", nc_conv_dw_u8_nhwc_avx512, nc_i8_conv_dw_applies_f32,
       QN),
#endif
    PLAIN("MaxPool", "nhwc/maxpool/c99", nc_maxpool_u8_nhwc_c99, NHWC, nc_i8_pool_applies),
    PLAIN("MaxPool", "nchw/maxpool/c99", nc_maxpool_u8_nchw_c99, NCHW, nc_i8_pool_applies),
    PLAIN("AveragePool", "nhwc/avgpool/c99", nc_avgpool_u8_nhwc_c99, NHWC, nc_i8_pool_applies),
    PLAIN("AveragePool", "nchw/avgpool/c99", nc_avgpool_u8_nchw_c99, NCHW, nc_i8_pool_applies),
    PLAIN("GlobalAveragePool", "nhwc/global-avgpool/c99", nc_gap_u8_nhwc_c99, NHWC,
          nc_i8_gap_applies),
    PLAIN("GlobalAveragePool", "nchw/global-avgpool/c99", nc_gap_u8_nchw_c99, NCHW,
          nc_i8_gap_applies),
    PLAIN("Add", "nhwc/add-requant/c99", nc_add_u8_c99, NHWC, nc_i8_add_applies),
    PLAIN("Add", "nchw/add-requant/c99", nc_add_u8_c99, NCHW, nc_i8_add_applies),
    PLAIN("Concat", "nhwc/concat-requant/c99", nc_concat_u8_nhwc_c99, NHWC,
          nc_i8_concat_nhwc_applies),
    PLAIN("Concat", "nchw/concat-requant/c99", nc_concat_u8_nchw_c99, NCHW,
          nc_i8_concat_applies),
    /* Adapters: the first match of a format pair is the one the compiler
     * uses (nc_adapter_routine), so the portable ones come first. */
    ADAPTER("cpu:f32:nchw/quantize-nhwc", quantize_nchw_nhwc, c99, NCHW, NHWC, QN, QU),
    ADAPTER("cpu:f32:nhwc/quantize-nchw", quantize_nhwc_nchw, c99, NHWC, NCHW, QN, QU),
    ADAPTER("cpu:f32:nchw/quantize-nchw", quantize_nchw_nchw, c99, NCHW, NCHW, QN, QU),
    ADAPTER("cpu:f32:nhwc/quantize-nhwc", quantize_nhwc_nhwc, c99, NHWC, NHWC, QN, QU),
    ADAPTER("cpu:f32:nchw16c/quantize-nhwc", quantize_nchw16c_nhwc, c99, B16, NHWC, QN, QU),
    ADAPTER("cpu:f32:nhwc/quantize-nchw16c", quantize_nhwc_nchw16c, c99, NHWC, B16, QN, QU),
    ADAPTER("cpu:u8:nchw/dequantize-nhwc", dequantize_nchw_nhwc, c99, NCHW, NHWC, QU, QN),
    ADAPTER("cpu:u8:nhwc/dequantize-nchw", dequantize_nhwc_nchw, c99, NHWC, NCHW, QU, QN),
    ADAPTER("cpu:u8:nchw/dequantize-nchw", dequantize_nchw_nchw, c99, NCHW, NCHW, QU, QN),
    ADAPTER("cpu:u8:nhwc/dequantize-nhwc", dequantize_nhwc_nhwc, c99, NHWC, NHWC, QU, QN),
    ADAPTER("cpu:u8:nchw16c/dequantize-nhwc", dequantize_nchw16c_nhwc, c99, B16, NHWC, QU, QN),
    ADAPTER("cpu:u8:nhwc/dequantize-nchw16c", dequantize_nhwc_nchw16c, c99, NHWC, B16, QU, QN),
    ADAPTER("cpu:u8:nchw/relayout-nhwc", u8_nchw_nhwc, c99, NCHW, NHWC, QU, QU),
    ADAPTER("cpu:u8:nhwc/relayout-nchw", u8_nhwc_nchw, c99, NHWC, NCHW, QU, QU),
#if defined(__x86_64__)
    ADAPTER("cpu:f32:nchw/quantize-nchw", quantize_nchw_nchw, avx512, NCHW, NCHW, QN, QU),
    ADAPTER("cpu:f32:nhwc/quantize-nhwc", quantize_nhwc_nhwc, avx512, NHWC, NHWC, QN, QU),
    ADAPTER("cpu:u8:nchw/dequantize-nchw", dequantize_nchw_nchw, avx512, NCHW, NCHW, QU, QN),
    ADAPTER("cpu:u8:nhwc/dequantize-nhwc", dequantize_nhwc_nhwc, avx512, NHWC, NHWC, QU, QN),
#endif
    {0},
};
