/* Routine table of the tensor family (part of the one table, see table.c).
 * Every layer has one portable reference routine, generic over element size
 * (DTYPE '*'); Concat also has a channel concat for NHWC CNN joins. */
#include "table_families.h"

#define NC_TENSOR_FN(name)                                                              \
  void name(const nc_args *a, const void *const *in, void *const *out, void *scratch)
NC_TENSOR_FN(nc_reshape_ref_any_nchw_c99);
NC_TENSOR_FN(nc_flatten_ref_any_nchw_c99);
NC_TENSOR_FN(nc_squeeze_ref_any_nchw_c99);
NC_TENSOR_FN(nc_unsqueeze_ref_any_nchw_c99);
NC_TENSOR_FN(nc_identity_ref_any_nchw_c99);
NC_TENSOR_FN(nc_dropout_ref_any_nchw_c99);
NC_TENSOR_FN(nc_dropout_mask_any_nchw_c99);
NC_TENSOR_FN(nc_transpose_ref_any_nchw_c99);
NC_TENSOR_FN(nc_concat_ref_any_nchw_c99);
NC_TENSOR_FN(nc_concat_channels_f32_nhwc_c99);
NC_TENSOR_FN(nc_split_ref_any_nchw_c99);
NC_TENSOR_FN(nc_slice_ref_any_nchw_c99);
NC_TENSOR_FN(nc_expand_ref_any_nchw_c99);
NC_TENSOR_FN(nc_tile_ref_any_nchw_c99);
NC_TENSOR_FN(nc_pad_ref_any_nchw_c99);
NC_TENSOR_FN(nc_trilu_ref_any_nchw_c99);
NC_TENSOR_FN(nc_depthtospace_ref_any_nchw_c99);
NC_TENSOR_FN(nc_spacetodepth_ref_any_nchw_c99);
NC_TENSOR_FN(nc_gather_ref_any_nchw_c99);
NC_TENSOR_FN(nc_gatherelements_ref_any_nchw_c99);
NC_TENSOR_FN(nc_gathernd_ref_any_nchw_c99);
NC_TENSOR_FN(nc_scatterelements_ref_any_nchw_c99);
NC_TENSOR_FN(nc_scatter_ref_any_nchw_c99);
NC_TENSOR_FN(nc_scatternd_ref_any_nchw_c99);
NC_TENSOR_FN(nc_onehot_ref_any_nchw_c99);
NC_TENSOR_FN(nc_compress_ref_any_nchw_c99);
NC_TENSOR_FN(nc_reversesequence_ref_any_nchw_c99);
NC_TENSOR_FN(nc_cumsum_ref_any_nchw_c99);

static int dropout_no_mask(const nc_args *a) { return a->n_out < 2 || a->out[1].dtype == 0; }
static int dropout_with_mask(const nc_args *a) { return !dropout_no_mask(a); }
/* Channel concat of rank-4 tensors: the join of CNN branches. */
static int concat_channels(const nc_args *a) {
  return a->out[0].ndim == 4 && a->n_ia > 0 && a->ia[0] == 1;
}

#define REF NC_RF_REFERENCE
#define COPY (NC_RF_ALIAS | NC_RF_INPLACE | NC_RF_REFERENCE)
#define INPL (NC_RF_INPLACE | NC_RF_REFERENCE)
#define NCHW NC_LAYOUT_NCHW, NC_LAYOUT_NCHW
#define ENTRY(layer, lc, fn, dts, flags, applies)                                           \
  {layer, "cpu:*:nchw/" lc "/c99", #fn, fn, dts, NCHW, flags, applies, NULL, NULL, NULL}

const nc_routine nc_routines_tensor[] = {
    ENTRY("Reshape", "reshape-ref", nc_reshape_ref_any_nchw_c99, NC_DT_ALL, COPY, NULL),
    ENTRY("Flatten", "flatten-ref", nc_flatten_ref_any_nchw_c99, NC_DT_ALL, COPY, NULL),
    ENTRY("Squeeze", "squeeze-ref", nc_squeeze_ref_any_nchw_c99, NC_DT_ALL, COPY, NULL),
    ENTRY("Unsqueeze", "unsqueeze-ref", nc_unsqueeze_ref_any_nchw_c99, NC_DT_ALL, COPY, NULL),
    ENTRY("Identity", "identity-ref", nc_identity_ref_any_nchw_c99, NC_DT_ALL, COPY, NULL),
    ENTRY("Dropout", "dropout-ref", nc_dropout_ref_any_nchw_c99, NC_DT_ALL, COPY,
          dropout_no_mask),
    /* With the mask output wanted the call does work even when aliased. */
    ENTRY("Dropout", "dropout-mask", nc_dropout_mask_any_nchw_c99, NC_DT_ALL, INPL,
          dropout_with_mask),
    ENTRY("Transpose", "transpose-ref", nc_transpose_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("Concat", "concat-ref", nc_concat_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    {"Concat", "cpu:f32:nhwc/concat-channels/c99", "nc_concat_channels_f32_nhwc_c99",
     nc_concat_channels_f32_nhwc_c99, NC_DT(NC_F32), NC_LAYOUT_NHWC, NC_LAYOUT_NHWC, 0,
     concat_channels, NULL, NULL, NULL},
    ENTRY("Split", "split-ref", nc_split_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("Slice", "slice-ref", nc_slice_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("Expand", "expand-ref", nc_expand_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("Tile", "tile-ref", nc_tile_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("Pad", "pad-ref", nc_pad_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("Trilu", "trilu-ref", nc_trilu_ref_any_nchw_c99, NC_DT_ALL, INPL, NULL),
    ENTRY("DepthToSpace", "depthtospace-ref", nc_depthtospace_ref_any_nchw_c99, NC_DT_ALL, REF,
          NULL),
    ENTRY("SpaceToDepth", "spacetodepth-ref", nc_spacetodepth_ref_any_nchw_c99, NC_DT_ALL, REF,
          NULL),
    ENTRY("Gather", "gather-ref", nc_gather_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("GatherElements", "gatherelements-ref", nc_gatherelements_ref_any_nchw_c99,
          NC_DT_ALL, REF, NULL),
    ENTRY("GatherND", "gathernd-ref", nc_gathernd_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("ScatterElements", "scatterelements-ref", nc_scatterelements_ref_any_nchw_c99,
          NC_DT_ALL, INPL, NULL),
    ENTRY("Scatter", "scatter-ref", nc_scatter_ref_any_nchw_c99, NC_DT_ALL, INPL, NULL),
    ENTRY("ScatterND", "scatternd-ref", nc_scatternd_ref_any_nchw_c99, NC_DT_ALL, INPL, NULL),
    /* OneHot's first routine input is the indices tensor. */
    ENTRY("OneHot", "onehot-ref", nc_onehot_ref_any_nchw_c99, NC_DT_NUMERIC, REF, NULL),
    ENTRY("Compress", "compress-ref", nc_compress_ref_any_nchw_c99, NC_DT_ALL, REF, NULL),
    ENTRY("ReverseSequence", "reversesequence-ref", nc_reversesequence_ref_any_nchw_c99,
          NC_DT_ALL, REF, NULL),
    ENTRY("CumSum", "cumsum-ref", nc_cumsum_ref_any_nchw_c99, NC_DT_NUMERIC, INPL, NULL),
    {0},
};
