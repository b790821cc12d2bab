/* Routine table of the ONNX quantization operators (part of the one table,
 * see table.c): the portable references in quant_onnx.c. */
#include "table_families.h"

#define ROUTINE(sym) \
  void sym(const nc_args *a, const void *const *in, void *const *out, void *scratch);
ROUTINE(nc_quantizelinear_ref_f32_nchw_c99)
ROUTINE(nc_dequantizelinear_ref_any_nchw_c99)
ROUTINE(nc_dynamicquantizelinear_ref_f32_nchw_c99)
ROUTINE(nc_convinteger_ref_any_nchw_c99)
ROUTINE(nc_qlinearconv_ref_any_nchw_c99)
ROUTINE(nc_matmulinteger_ref_any_nchw_c99)
ROUTINE(nc_qlinearmatmul_ref_any_nchw_c99)
#undef ROUTINE

size_t nc_qlinearconv_scratch(const nc_args *a);
size_t nc_qlinearmatmul_scratch(const nc_args *a);

#define F32 NC_DT(NC_F32)
#define Q8 (NC_DT(NC_U8) | NC_DT(NC_S8))
/* DequantizeLinear also reads s32 (biases) and the 16-bit types of opset 21. */
#define QANY (Q8 | NC_DT(NC_U16) | NC_DT(NC_S16) | NC_DT(NC_S32))
#define NCHW NC_LAYOUT_NCHW
#define REF NC_RF_REFERENCE

/* Designated fields: the entries stay valid when nc_routine grows. */
#define REF_ENTRY(l, d, sym, dt, scratch)                                                  \
  {.layer = l, .descriptor = d, .symbol = #sym, .fn = sym, .dtypes = dt, .in_layout = NCHW, \
   .out_layout = NCHW, .flags = REF, .scratch_bytes = scratch}

const nc_routine nc_routines_quant[] = {
    REF_ENTRY("QuantizeLinear", "cpu:f32:nchw/quantizelinear-ref/c99",
              nc_quantizelinear_ref_f32_nchw_c99, F32, NULL),
    REF_ENTRY("DequantizeLinear", "cpu:*:nchw/dequantizelinear-ref/c99",
              nc_dequantizelinear_ref_any_nchw_c99, QANY, NULL),
    REF_ENTRY("DynamicQuantizeLinear", "cpu:f32:nchw/dynamicquantizelinear-ref/c99",
              nc_dynamicquantizelinear_ref_f32_nchw_c99, F32, NULL),
    REF_ENTRY("ConvInteger", "cpu:*:nchw/convinteger-ref/c99", nc_convinteger_ref_any_nchw_c99,
              Q8, NULL),
    REF_ENTRY("QLinearConv", "cpu:*:nchw/qlinearconv-ref/c99", nc_qlinearconv_ref_any_nchw_c99,
              Q8, nc_qlinearconv_scratch),
    REF_ENTRY("MatMulInteger", "cpu:*:nchw/matmulinteger-ref/c99",
              nc_matmulinteger_ref_any_nchw_c99, Q8, NULL),
    REF_ENTRY("QLinearMatMul", "cpu:*:nchw/qlinearmatmul-ref/c99",
              nc_qlinearmatmul_ref_any_nchw_c99, Q8, nc_qlinearmatmul_scratch),
    {0},
};
