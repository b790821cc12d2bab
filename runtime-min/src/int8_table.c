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

#define DWP(DESC, SYM, APPLIES, OUTQ, PB, PACK)                                               \
  {"Conv", "cpu:u8:nhwc/" DESC, #SYM, SYM, U8, NHWC, NHWC, NC_RF_ACT, APPLIES,               \
   nc_i8_dw_scratch, PB, NULL, QU, OUTQ, PACK}
#define DW(DESC, SYM, APPLIES, OUTQ)                                                          \
  DWP(DESC, SYM, APPLIES, OUTQ, nc_i8_dw_packed_bytes, nc_i8_dw_pack)

/* A u8 -> u8 layer without constants. */
#define PLAIN(LAYER, DESC, SYM, LAYOUT, APPLIES)                                             \
  {LAYER, "cpu:u8:" DESC, #SYM, SYM, U8, LAYOUT, LAYOUT, 0, APPLIES, NULL, NULL, NULL, QU, QU, \
   NULL}

/* Adapters, one per NC_I8_ADAPTER_PAIRS entry and ISA. Descriptor
 * "cpu:<stored dtype>:<from>/<op>-<to>/<isa>". */
#define LS_NCHW "nchw"
#define LS_NHWC "nhwc"
#define LS_NCHW16C "nchw16c"
#define LS_NCHW8C "nchw8c"
#define OPDESC_QUANT(F, T) "cpu:f32:" F "/quantize-" T
#define OPDESC_DEQUANT(F, T) "cpu:u8:" F "/dequantize-" T
#define OPDESC_COPY(F, T) "cpu:u8:" F "/relayout-" T
#define INQ_QUANT QN
#define INQ_DEQUANT QU
#define INQ_COPY QU
#define OUTQ_QUANT QU
#define OUTQ_DEQUANT QN
#define OUTQ_COPY QU
#define ADAPTER_ISA(NAME, OP, FROM, TO, ISA)                                                 \
  {"adapter", OPDESC_##OP(LS_##FROM, LS_##TO) "/" #ISA, "nc_adapter_" #NAME "_" #ISA,        \
   nc_adapter_##NAME##_##ISA, F32, NC_LAYOUT_##FROM, NC_LAYOUT_##TO, 0,                      \
   nc_adapter_##NAME##_applies, NULL, NULL, NULL, INQ_##OP, OUTQ_##OP, NULL},
#define ADAPTER_C99(NAME, OP, FROM, TO) ADAPTER_ISA(NAME, OP, FROM, TO, c99)
#define ADAPTER_512(NAME, OP, FROM, TO) ADAPTER_ISA(NAME, OP, FROM, TO, avx512)

/* Armv7E-M DSP extension (Cortex-M4/M7): the GEMM layers with the SMLAD
 * kernel of int8_dsp.c. Its tile is the c99 one (4x16), so the c99 packing,
 * scratch and applicability serve and any host packs for it; the entries
 * exist on every host, `fn` only where __ARM_FEATURE_DSP (else NULL: the
 * emitted code calls the routine by `symbol`). */
#if defined(__ARM_FEATURE_DSP)
#define NC_DSP_FN(f) f
#else
#define NC_DSP_FN(f) NULL
#endif
#define DSP_PAIR(LAYER, LAY, LAYID, ALGO, SYM, CORE, APPLIES)                                 \
  {LAYER, "cpu:u8:" LAY "/" ALGO "/dsp/4x16", #SYM "_dsp", NC_DSP_FN(SYM##_dsp), U8, LAYID,   \
   LAYID, NC_RF_ACT, APPLIES##_u8, nc_i8_##CORE##_scratch_c99, nc_i8_##CORE##_packed_bytes_c99, \
   NULL, QU, QU, nc_i8_##CORE##_pack_c99},                                                    \
  {LAYER, "cpu:u8:" LAY "/" ALGO "-dequant/dsp/4x16", #SYM "_dsp", NC_DSP_FN(SYM##_dsp), U8,  \
   LAYID, LAYID, NC_RF_ACT, APPLIES##_f32, nc_i8_##CORE##_scratch_c99,                        \
   nc_i8_##CORE##_packed_bytes_c99, NULL, QU, QN, nc_i8_##CORE##_pack_c99}

const nc_routine nc_routines_int8[] = {
    GEMM_ISA(c99, "c99/4x16"),
    DSP_PAIR("Conv", "nhwc", NHWC, "conv-gemm", nc_conv_gemm_u8_nhwc, conv,
             nc_i8_conv_gemm_applies),
    DSP_PAIR("Gemm", "nchw", NCHW, "gemm", nc_gemm_u8, gemm, nc_i8_gemm_applies),
    DSP_PAIR("MatMul", "nchw", NCHW, "matmul", nc_matmul_u8, matmul, nc_i8_matmul_applies),
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
    DWP("conv-depthwise/avx512vnni", nc_conv_dw_u8_nhwc_avx512vnni, nc_i8_conv_dw_applies_u8, QU,
        nc_i8_dw_packed_bytes_vnni, nc_i8_dw_pack_vnni),
    DWP("conv-depthwise-dequant/avx512vnni", nc_conv_dw_u8_nhwc_avx512vnni,
        nc_i8_conv_dw_applies_f32, QN, nc_i8_dw_packed_bytes_vnni, nc_i8_dw_pack_vnni),
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
#if defined(__x86_64__)
    PLAIN("MaxPool", "nhwc/maxpool/avx512", nc_maxpool_u8_nhwc_avx512, NHWC, nc_i8_pool_applies),
    PLAIN("AveragePool", "nhwc/avgpool/avx512", nc_avgpool_u8_nhwc_avx512, NHWC,
          nc_i8_pool_applies),
    PLAIN("GlobalAveragePool", "nhwc/global-avgpool/avx512", nc_gap_u8_nhwc_avx512, NHWC,
          nc_i8_gap_nhwc_avx512_applies),
    PLAIN("Add", "nhwc/add-requant/avx512", nc_add_u8_avx512, NHWC, nc_i8_add_applies),
    PLAIN("Add", "nchw/add-requant/avx512", nc_add_u8_avx512, NCHW, nc_i8_add_applies),
#endif
    PLAIN("Concat", "nhwc/concat-requant/c99", nc_concat_u8_nhwc_c99, NHWC,
          nc_i8_concat_nhwc_applies),
    PLAIN("Concat", "nchw/concat-requant/c99", nc_concat_u8_nchw_c99, NCHW,
          nc_i8_concat_applies),
    /* Adapters: the compiler takes the last match of a format pair whose
     * ISA the target allows (nc_adapter_routine_for), so the portable ones
     * come first and the vector ones after. The pair list names layouts by
     * their NC_LAYOUT_ suffix, so the short names above must not expand. */
#undef NCHW
#undef NHWC
    NC_I8_ADAPTER_PAIRS(ADAPTER_C99)
#if defined(__x86_64__)
    NC_I8_ADAPTER_PAIRS(ADAPTER_512)
#endif
    {0},
};
