/* Argument layouts of the reduce family (see neuroc/args.h). Axes are always
 * normalised (non-negative) by lowering; shapes the routine can read from
 * nc_args.in/out are not repeated here. */
#ifndef NEUROC_ARGS_REDUCE_H
#define NEUROC_ARGS_REDUCE_H

/* Reduce{Sum,Mean,Max,Min,Prod,L1,L2,LogSum,LogSumExp,SumSquare}:
 * bit d of ia[NC_REDUCE_AXES_MASK] set = input axis d is reduced (0 = no axis
 * reduced: every output element reduces exactly one input element). Whether
 * reduced axes are kept as 1 is visible in the output desc. */
enum { NC_REDUCE_AXES_MASK = 0, NC_REDUCE_KEEPDIMS, NC_REDUCE_NIA };

/* ArgMax, ArgMin: output is s64. */
enum { NC_ARG_AXIS = 0, NC_ARG_KEEPDIMS, NC_ARG_SELECT_LAST, NC_ARG_NIA };

/* TopK: outputs values (input dtype) and indices (s64). Ties keep the lower
 * index first; results are always sorted (allowed when sorted = 0). */
enum { NC_TOPK_AXIS = 0, NC_TOPK_K, NC_TOPK_LARGEST, NC_TOPK_SORTED, NC_TOPK_NIA };

/* NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss. */
typedef enum nc_loss_reduction {
  NC_LOSS_NONE = 0,
  NC_LOSS_SUM = 1,
  NC_LOSS_MEAN = 2
} nc_loss_reduction;
enum { NC_LOSS_REDUCTION = 0, NC_LOSS_HAS_IGNORE, NC_LOSS_IGNORE_INDEX, NC_LOSS_NIA };

/* Resize and Upsample (one routine). Per input axis d (rank <= NC_MAX_DIMS):
 * fa[NC_RESIZE_SCALE + d]   scale used by the coordinate transform,
 * fa[NC_RESIZE_OUTLEN + d]  "resized length" of the transform: input length
 *                           times scale (not rounded) or the given size,
 * fa[NC_RESIZE_ROI_START/END + d]  roi, tf_crop_and_resize only. */
typedef enum nc_resize_mode {
  NC_RESIZE_NEAREST = 0,
  NC_RESIZE_LINEAR = 1,
  NC_RESIZE_CUBIC = 2
} nc_resize_mode;
typedef enum nc_resize_coord {
  NC_COORD_HALF_PIXEL = 0,
  NC_COORD_PYTORCH_HALF_PIXEL = 1,
  NC_COORD_ALIGN_CORNERS = 2,
  NC_COORD_ASYMMETRIC = 3,
  NC_COORD_TF_CROP_AND_RESIZE = 4,
  NC_COORD_TF_HALF_PIXEL_FOR_NN = 5
} nc_resize_coord;
typedef enum nc_resize_nearest {
  NC_NEAREST_ROUND_PREFER_FLOOR = 0,
  NC_NEAREST_ROUND_PREFER_CEIL = 1,
  NC_NEAREST_FLOOR = 2,
  NC_NEAREST_CEIL = 3,
  NC_NEAREST_SIMPLE = 4 /* Upsample / Resize-10: floor, or ceil when downsampling */
} nc_resize_nearest;
enum { NC_RESIZE_MODE = 0, NC_RESIZE_COORD, NC_RESIZE_NEAREST_MODE, NC_RESIZE_EXCLUDE_OUTSIDE,
       NC_RESIZE_NIA };
enum {
  NC_RESIZE_CUBIC_A = 0,
  NC_RESIZE_EXTRAPOLATION = 1,
  NC_RESIZE_SCALE = 2,
  NC_RESIZE_OUTLEN = NC_RESIZE_SCALE + 8,
  NC_RESIZE_ROI_START = NC_RESIZE_OUTLEN + 8,
  NC_RESIZE_ROI_END = NC_RESIZE_ROI_START + 8,
  NC_RESIZE_NFA = NC_RESIZE_ROI_END + 8
};

/* Einsum: the equation parsed into labels. ia[NC_EINSUM_NLABELS] = L;
 * ia[NC_EINSUM_SIZES + l] = extent of label l; then, from
 * NC_EINSUM_AXES(L), the label of every axis of input 0, input 1, ... and
 * finally of the output (ranks from nc_args.in/out). An input axis of extent
 * 1 under a longer label (broadcast ellipsis dim) is read with stride 0. */
enum { NC_EINSUM_NLABELS = 0, NC_EINSUM_SIZES = 1 };
#define NC_EINSUM_AXES(L) (1 + (L))

/* MaxUnpool: ia[NC_MAXUNPOOL_POOLED_DIMS + d] = dims of the tensor MaxPool
 * ran on (the shape its flat indices count in); each value lands at the same
 * coordinates in the output, whose dims may be larger (output_shape). */
enum { NC_MAXUNPOOL_POOLED_DIMS = 0 };

/* Det takes no arguments. */

#endif
