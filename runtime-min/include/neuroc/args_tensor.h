/* Argument layouts of the tensor (data-movement) family (see neuroc/args.h).
 * Axes are always normalised (non-negative) by lowering. Shapes the routine
 * can read from nc_args.in/out (Reshape, Expand, Tile, Split sizes...) are
 * not repeated here. Layers not listed take no arguments. */
#ifndef NEUROC_ARGS_TENSOR_H
#define NEUROC_ARGS_TENSOR_H

/* Transpose: ia[NC_TRANSPOSE_PERM + d] = input axis that output axis d reads. */
enum { NC_TRANSPOSE_PERM = 0 };

enum { NC_CONCAT_AXIS = 0, NC_CONCAT_NIA };
enum { NC_SPLIT_AXIS = 0, NC_SPLIT_NIA };

/* Slice: for every input axis d (rank r = input rank), the first input index
 * read (already clamped) and the step; out dims give the counts. */
#define NC_SLICE_START(r, d) (d)
#define NC_SLICE_STEP(r, d) ((r) + (d))

enum { NC_GATHER_AXIS = 0, NC_GATHER_NIA };
enum { NC_GATHERELEMENTS_AXIS = 0, NC_GATHERELEMENTS_NIA };
enum { NC_GATHERND_BATCH_DIMS = 0, NC_GATHERND_NIA };

/* Reduction applied by the scatter layers where indices hit an element. */
typedef enum nc_scatter_reduction {
  NC_SCATTER_NONE = 0,
  NC_SCATTER_ADD = 1,
  NC_SCATTER_MUL = 2,
  NC_SCATTER_MAX = 3,
  NC_SCATTER_MIN = 4
} nc_scatter_reduction;
/* ScatterElements and Scatter. */
enum { NC_SCATTERELEMENTS_AXIS = 0, NC_SCATTERELEMENTS_REDUCTION, NC_SCATTERELEMENTS_NIA };
enum { NC_SCATTERND_REDUCTION = 0, NC_SCATTERND_NIA };

typedef enum nc_pad_mode { NC_PAD_CONSTANT = 0, NC_PAD_REFLECT = 1, NC_PAD_EDGE = 2 } nc_pad_mode;
/* Pad: ia[NC_PAD_MODE]; ia[NC_PAD_BEGIN + d] = elements added before axis d
 * (negative crops); the end padding follows from the output dims.
 * fa[NC_PAD_VALUE] = constant value (converted to the tensor dtype). */
enum { NC_PAD_MODE = 0, NC_PAD_BEGIN = 1 };
enum { NC_PAD_VALUE = 0, NC_PAD_NFA };

/* Trilu: keep element (i, j) of the last two axes when j - i >= k (upper)
 * or j - i <= k (lower); zero it otherwise. */
enum { NC_TRILU_UPPER = 0, NC_TRILU_K, NC_TRILU_NIA };

enum { NC_CUMSUM_AXIS = 0, NC_CUMSUM_EXCLUSIVE, NC_CUMSUM_REVERSE, NC_CUMSUM_NIA };

typedef enum nc_depthtospace_mode { NC_DEPTHTOSPACE_DCR = 0, NC_DEPTHTOSPACE_CRD = 1 } nc_depthtospace_mode;
enum { NC_DEPTHTOSPACE_BLOCKSIZE = 0, NC_DEPTHTOSPACE_MODE, NC_DEPTHTOSPACE_NIA };
enum { NC_SPACETODEPTH_BLOCKSIZE = 0, NC_SPACETODEPTH_NIA };

/* OneHot: routine inputs are indices and values ([off, on], output dtype). */
enum { NC_ONEHOT_AXIS = 0, NC_ONEHOT_DEPTH, NC_ONEHOT_NIA };

/* Compress: axis (-1 = over the flattened input), then the count of selected
 * slices and their indices along that axis, ascending. */
enum { NC_COMPRESS_AXIS = 0, NC_COMPRESS_COUNT, NC_COMPRESS_INDEX };

/* ReverseSequence: routine inputs are the tensor and sequence_lens. */
enum { NC_REVERSESEQUENCE_BATCH_AXIS = 0, NC_REVERSESEQUENCE_TIME_AXIS, NC_REVERSESEQUENCE_NIA };

#endif
