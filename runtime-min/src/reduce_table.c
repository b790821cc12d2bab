/* Routine table of the reduce family (part of the one table, see table.c). */
#include "reduce_routines.h"
#include "table_families.h"

#define REF NC_RF_REFERENCE
#define NCHW NC_LAYOUT_NCHW
#define NC_DT_FLOAT_ONLY (NC_DT(NC_F32) | NC_DT(NC_F64) | NC_DT(NC_F16) | NC_DT(NC_BF16))

/* One dtype-generic reference per layer; DTYPE '*' = any bit of `dtypes`. */
#define RDX_REF(layer, lname, dts, scratch)                                                   \
  {layer, "cpu:*:nchw/" #lname "-ref/c99", "nc_" #lname "_ref_any_nchw_c99",                  \
   nc_##lname##_ref_any_nchw_c99, dts, NCHW, NCHW, REF, NULL, scratch, NULL, NULL}

const nc_routine nc_routines_reduce[] = {
    RDX_REF("ReduceSum", reducesum, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceMean", reducemean, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceMax", reducemax, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceMin", reducemin, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceProd", reduceprod, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceL1", reducel1, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceL2", reducel2, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceLogSum", reducelogsum, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceLogSumExp", reducelogsumexp, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ReduceSumSquare", reducesumsquare, NC_DT_NUMERIC, nc_reduce_scratch_bytes),
    RDX_REF("ArgMax", argmax, NC_DT_NUMERIC, NULL),
    RDX_REF("ArgMin", argmin, NC_DT_NUMERIC, NULL),
    RDX_REF("TopK", topk, NC_DT_NUMERIC, nc_topk_scratch_bytes),
    RDX_REF("NegativeLogLikelihoodLoss", negativeloglikelihoodloss, NC_DT_FLOAT_ONLY, NULL),
    RDX_REF("SoftmaxCrossEntropyLoss", softmaxcrossentropyloss, NC_DT_FLOAT_ONLY, NULL),
    RDX_REF("Resize", resize, NC_DT_NUMERIC, nc_resize_scratch_bytes),
    RDX_REF("Upsample", upsample, NC_DT_NUMERIC, nc_resize_scratch_bytes),
    RDX_REF("Det", det, NC_DT_FLOAT_ONLY, nc_det_scratch_bytes),
    RDX_REF("Einsum", einsum, NC_DT_NUMERIC, NULL),
    RDX_REF("MaxUnpool", maxunpool, NC_DT_ALL, NULL),
    {0},
};
