/* Routine table of the nn family (part of the one table, see table.c). */
#include "nn_internal.h"
#include "table_families.h"

#define ROUTINE(sym) \
  void sym(const nc_args *a, const void *const *in, void *const *out, void *scratch);
ROUTINE(nc_conv_direct_f32_nchw_c99)
ROUTINE(nc_conv_im2col_f32_nchw_c99)
ROUTINE(nc_conv_direct_f32_nhwc_c99)
ROUTINE(nc_conv_im2col_f32_nhwc_c99)
ROUTINE(nc_convtranspose_ref_f32_nchw_c99)
ROUTINE(nc_maxpool_ref_f32_nchw_c99)
ROUTINE(nc_averagepool_ref_f32_nchw_c99)
ROUTINE(nc_lppool_ref_f32_nchw_c99)
ROUTINE(nc_globalaveragepool_ref_f32_nchw_c99)
ROUTINE(nc_globalmaxpool_ref_f32_nchw_c99)
ROUTINE(nc_maxpool_ref_f32_nhwc_c99)
ROUTINE(nc_averagepool_ref_f32_nhwc_c99)
ROUTINE(nc_globalaveragepool_ref_f32_nhwc_c99)
ROUTINE(nc_gemm_ref_f32_nchw_c99)
ROUTINE(nc_gemm_packed_f32_nchw_c99)
ROUTINE(nc_matmul_ref_f32_nchw_c99)
ROUTINE(nc_matmul_packed_f32_nchw_c99)
ROUTINE(nc_batchnormalization_ref_f32_nchw_c99)
ROUTINE(nc_instancenormalization_ref_f32_nchw_c99)
ROUTINE(nc_layernormalization_ref_f32_nchw_c99)
ROUTINE(nc_lrn_ref_f32_nchw_c99)
ROUTINE(nc_meanvariancenormalization_ref_f32_nchw_c99)
ROUTINE(nc_softmax_ref_f32_nchw_c99)
ROUTINE(nc_softmax_ref_f64_nchw_c99)
ROUTINE(nc_logsoftmax_ref_f32_nchw_c99)
ROUTINE(nc_logsoftmax_ref_f64_nchw_c99)
ROUTINE(nc_hardmax_ref_f32_nchw_c99)
ROUTINE(nc_hardmax_ref_f64_nchw_c99)
ROUTINE(nc_to_nhwc_any_nchw_c99)
ROUTINE(nc_to_nchw_any_nhwc_c99)
#undef ROUTINE

/* Applicability, scratch and packing hooks (conv*.c, gemm_layers.c, pool.c, adapter.c). */
int nc_conv_2d_applies(const nc_args *a);
size_t nc_conv_im2col_scratch(const nc_args *a);
size_t nc_conv_im2col_packed_bytes(const nc_args *a, int idx);
void nc_conv_im2col_pack(const nc_args *a, int idx, const void *src, void *dst);
size_t nc_conv_nhwc_direct_packed_bytes(const nc_args *a, int idx);
void nc_conv_nhwc_direct_pack(const nc_args *a, int idx, const void *src, void *dst);
size_t nc_conv_nhwc_im2col_scratch(const nc_args *a);
size_t nc_conv_nhwc_im2col_packed_bytes(const nc_args *a, int idx);
void nc_conv_nhwc_im2col_pack(const nc_args *a, int idx, const void *src, void *dst);
int nc_pool_nhwc_applies(const nc_args *a);
size_t nc_gemm_packed_scratch(const nc_args *a);
size_t nc_gemm_packed_packed_bytes(const nc_args *a, int idx);
void nc_gemm_packed_pack(const nc_args *a, int idx, const void *src, void *dst);
int nc_matmul_packed_applies(const nc_args *a);
size_t nc_matmul_packed_scratch(const nc_args *a);
size_t nc_matmul_packed_packed_bytes(const nc_args *a, int idx);
void nc_matmul_packed_pack(const nc_args *a, int idx, const void *src, void *dst);
int nc_adapter_applies(const nc_args *a);

#define F32 NC_DT(NC_F32)
#define F32_F64 (NC_DT(NC_F32) | NC_DT(NC_F64))
#define NCHW NC_LAYOUT_NCHW
#define NHWC NC_LAYOUT_NHWC
#define REF NC_RF_REFERENCE
#define ACT NC_RF_ACT

/* Reference entry: NCHW in and out, no hooks. */
#define REF_ENTRY(layer, desc, sym, dt) \
  {layer, desc, #sym, sym, dt, NCHW, NCHW, REF, NULL, NULL, NULL, NULL}

const nc_routine nc_routines_nn[] = {
    /* Conv */
    {"Conv", "cpu:f32:nchw/conv-direct/c99", "nc_conv_direct_f32_nchw_c99",
     nc_conv_direct_f32_nchw_c99, F32, NCHW, NCHW, REF | ACT, NULL, NULL, NULL, NULL},
    {"Conv", "cpu:f32:nchw/conv-im2col/c99", "nc_conv_im2col_f32_nchw_c99",
     nc_conv_im2col_f32_nchw_c99, F32, NCHW, NCHW, ACT, nc_conv_2d_applies,
     nc_conv_im2col_scratch, nc_conv_im2col_packed_bytes, nc_conv_im2col_pack},
    {"Conv", "cpu:f32:nhwc/conv-direct/c99", "nc_conv_direct_f32_nhwc_c99",
     nc_conv_direct_f32_nhwc_c99, F32, NHWC, NHWC, ACT, nc_conv_2d_applies, NULL,
     nc_conv_nhwc_direct_packed_bytes, nc_conv_nhwc_direct_pack},
    {"Conv", "cpu:f32:nhwc/conv-im2col/c99", "nc_conv_im2col_f32_nhwc_c99",
     nc_conv_im2col_f32_nhwc_c99, F32, NHWC, NHWC, ACT, nc_conv_2d_applies,
     nc_conv_nhwc_im2col_scratch, nc_conv_nhwc_im2col_packed_bytes, nc_conv_nhwc_im2col_pack},
    REF_ENTRY("ConvTranspose", "cpu:f32:nchw/convtranspose-ref/c99",
              nc_convtranspose_ref_f32_nchw_c99, F32),
    /* Pooling */
    REF_ENTRY("MaxPool", "cpu:f32:nchw/maxpool-ref/c99", nc_maxpool_ref_f32_nchw_c99, F32),
    REF_ENTRY("AveragePool", "cpu:f32:nchw/averagepool-ref/c99",
              nc_averagepool_ref_f32_nchw_c99, F32),
    REF_ENTRY("LpPool", "cpu:f32:nchw/lppool-ref/c99", nc_lppool_ref_f32_nchw_c99, F32),
    REF_ENTRY("GlobalAveragePool", "cpu:f32:nchw/globalaveragepool-ref/c99",
              nc_globalaveragepool_ref_f32_nchw_c99, F32),
    REF_ENTRY("GlobalMaxPool", "cpu:f32:nchw/globalmaxpool-ref/c99",
              nc_globalmaxpool_ref_f32_nchw_c99, F32),
    {"MaxPool", "cpu:f32:nhwc/maxpool-ref/c99", "nc_maxpool_ref_f32_nhwc_c99",
     nc_maxpool_ref_f32_nhwc_c99, F32, NHWC, NHWC, 0, nc_pool_nhwc_applies, NULL, NULL, NULL},
    {"AveragePool", "cpu:f32:nhwc/averagepool-ref/c99", "nc_averagepool_ref_f32_nhwc_c99",
     nc_averagepool_ref_f32_nhwc_c99, F32, NHWC, NHWC, 0, nc_pool_nhwc_applies, NULL, NULL,
     NULL},
    {"GlobalAveragePool", "cpu:f32:nhwc/globalaveragepool-ref/c99",
     "nc_globalaveragepool_ref_f32_nhwc_c99", nc_globalaveragepool_ref_f32_nhwc_c99, F32,
     NHWC, NCHW, 0, nc_adapter_applies, NULL, NULL, NULL},
    /* Gemm, MatMul */
    {"Gemm", "cpu:f32:nchw/gemm-ref/c99", "nc_gemm_ref_f32_nchw_c99", nc_gemm_ref_f32_nchw_c99,
     F32, NCHW, NCHW, REF | ACT, NULL, NULL, NULL, NULL},
    {"Gemm", "cpu:f32:nchw/gemm-packed/c99", "nc_gemm_packed_f32_nchw_c99",
     nc_gemm_packed_f32_nchw_c99, F32, NCHW, NCHW, ACT, NULL, nc_gemm_packed_scratch,
     nc_gemm_packed_packed_bytes, nc_gemm_packed_pack},
    REF_ENTRY("MatMul", "cpu:f32:nchw/matmul-ref/c99", nc_matmul_ref_f32_nchw_c99, F32),
    {"MatMul", "cpu:f32:nchw/matmul-packed/c99", "nc_matmul_packed_f32_nchw_c99",
     nc_matmul_packed_f32_nchw_c99, F32, NCHW, NCHW, 0, nc_matmul_packed_applies,
     nc_matmul_packed_scratch, nc_matmul_packed_packed_bytes, nc_matmul_packed_pack},
    /* Normalisation */
    REF_ENTRY("BatchNormalization", "cpu:f32:nchw/batchnormalization-ref/c99",
              nc_batchnormalization_ref_f32_nchw_c99, F32),
    REF_ENTRY("InstanceNormalization", "cpu:f32:nchw/instancenormalization-ref/c99",
              nc_instancenormalization_ref_f32_nchw_c99, F32),
    REF_ENTRY("LayerNormalization", "cpu:f32:nchw/layernormalization-ref/c99",
              nc_layernormalization_ref_f32_nchw_c99, F32),
    REF_ENTRY("LRN", "cpu:f32:nchw/lrn-ref/c99", nc_lrn_ref_f32_nchw_c99, F32),
    REF_ENTRY("MeanVarianceNormalization", "cpu:f32:nchw/meanvariancenormalization-ref/c99",
              nc_meanvariancenormalization_ref_f32_nchw_c99, F32),
    /* Softmax family */
    REF_ENTRY("Softmax", "cpu:f32:nchw/softmax-ref/c99", nc_softmax_ref_f32_nchw_c99, F32),
    REF_ENTRY("Softmax", "cpu:f64:nchw/softmax-ref/c99", nc_softmax_ref_f64_nchw_c99,
              NC_DT(NC_F64)),
    REF_ENTRY("LogSoftmax", "cpu:f32:nchw/logsoftmax-ref/c99", nc_logsoftmax_ref_f32_nchw_c99,
              F32),
    REF_ENTRY("LogSoftmax", "cpu:f64:nchw/logsoftmax-ref/c99", nc_logsoftmax_ref_f64_nchw_c99,
              NC_DT(NC_F64)),
    REF_ENTRY("Hardmax", "cpu:f32:nchw/hardmax-ref/c99", nc_hardmax_ref_f32_nchw_c99, F32),
    REF_ENTRY("Hardmax", "cpu:f64:nchw/hardmax-ref/c99", nc_hardmax_ref_f64_nchw_c99,
              NC_DT(NC_F64)),
    /* Layout adapters */
    {"adapter", "cpu:*:nchw/to-nhwc/c99", "nc_to_nhwc_any_nchw_c99", nc_to_nhwc_any_nchw_c99,
     NC_DT_ALL, NCHW, NHWC, 0, nc_adapter_applies, NULL, NULL, NULL},
    {"adapter", "cpu:*:nhwc/to-nchw/c99", "nc_to_nchw_any_nhwc_c99", nc_to_nchw_any_nhwc_c99,
     NC_DT_ALL, NHWC, NCHW, 0, nc_adapter_applies, NULL, NULL, NULL},
    {0},
};
