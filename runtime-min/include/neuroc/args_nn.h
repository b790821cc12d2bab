/* Argument layouts of the nn family (see neuroc/args.h). Spatial arrays hold
 * NC_NN_MAX_SPATIAL entries; a layer with fewer spatial dims uses the first
 * NSPATIAL of them (the rest are written as stride 1, dilation 1, pad 0). */
#ifndef NEUROC_ARGS_NN_H
#define NEUROC_ARGS_NN_H

#define NC_NN_MAX_SPATIAL 3

/* Conv and ConvTranspose. Routine inputs: X, W, optional B. Kernel sizes come
 * from W's dims; output sizes from out[0]. ConvTranspose ignores PAD_END and
 * the activation (its output shape already says where the output ends).
 * A Conv may carry a fourth input S (NC_CONV_IN_SUM), put there by the
 * residual fusion pass: an activation tensor of the output's shape and
 * layout, added after the bias and before the activation, so
 * Y = act(conv(X, W) + B + S). Routines that cannot add it refuse it in
 * applies(); the reference conv supports it. */
enum { NC_CONV_IN_SUM = 3 };
enum {
  NC_CONV_IA_NSPATIAL = 0,
  NC_CONV_IA_GROUP = 1,
  NC_CONV_IA_ACT = 2,       /* nc_act of the fused epilogue */
  NC_CONV_IA_STRIDE = 3,    /* [3] */
  NC_CONV_IA_DILATION = 6,  /* [3] */
  NC_CONV_IA_PAD_BEGIN = 9, /* [3] */
  NC_CONV_IA_PAD_END = 12,  /* [3] */
  NC_CONV_IA_COUNT = 15
};
enum { NC_CONV_FA_ACT_ALPHA = 0, NC_CONV_FA_ACT_BETA = 1, NC_CONV_FA_COUNT = 2 };

/* MaxPool, AveragePool, LpPool. Output sizes come from out[0] (ceil_mode and
 * auto_pad are resolved by lowering). Routine outputs: Y, optional Indices. */
enum {
  NC_POOL_IA_NSPATIAL = 0,
  NC_POOL_IA_KERNEL = 1,     /* [3] */
  NC_POOL_IA_STRIDE = 4,     /* [3] */
  NC_POOL_IA_DILATION = 7,   /* [3] */
  NC_POOL_IA_PAD_BEGIN = 10, /* [3] */
  NC_POOL_IA_PAD_END = 13,   /* [3] */
  NC_POOL_IA_COUNT_INCLUDE_PAD = 16,
  NC_POOL_IA_STORAGE_ORDER = 17, /* MaxPool Indices: 0 row major, 1 column major */
  NC_POOL_IA_P = 18,             /* LpPool exponent */
  NC_POOL_IA_COUNT = 19
};

/* Gemm: Y = act(alpha * A' * B' + beta * C). Routine inputs A, B, optional C. */
enum {
  NC_GEMM_IA_TRANS_A = 0,
  NC_GEMM_IA_TRANS_B = 1,
  NC_GEMM_IA_ACT = 2,
  NC_GEMM_IA_COUNT = 3
};
enum {
  NC_GEMM_FA_ALPHA = 0,
  NC_GEMM_FA_BETA = 1,
  NC_GEMM_FA_ACT_ALPHA = 2,
  NC_GEMM_FA_ACT_BETA = 3,
  NC_GEMM_FA_COUNT = 4
};
/* MatMul: no args; batch broadcasting and 1-D operands are read off the descs. */

/* BatchNormalization (inference): inputs X, scale, B, mean, var. */
enum { NC_BN_FA_EPSILON = 0, NC_BN_FA_COUNT = 1 };
/* InstanceNormalization: inputs X, scale, B. */
enum { NC_INSTNORM_FA_EPSILON = 0, NC_INSTNORM_FA_COUNT = 1 };
/* LayerNormalization: inputs X, Scale, optional B; outputs Y, optional Mean,
 * optional InvStdDev. Normalises over dims [AXIS, rank). */
enum { NC_LAYERNORM_IA_AXIS = 0, NC_LAYERNORM_IA_COUNT = 1 };
enum { NC_LAYERNORM_FA_EPSILON = 0, NC_LAYERNORM_FA_COUNT = 1 };
/* LRN across channels (axis 1). */
enum { NC_LRN_IA_SIZE = 0, NC_LRN_IA_COUNT = 1 };
enum { NC_LRN_FA_ALPHA = 0, NC_LRN_FA_BETA = 1, NC_LRN_FA_BIAS = 2, NC_LRN_FA_COUNT = 3 };
/* MeanVarianceNormalization: bit d of AXES_MASK set = reduce over dim d. */
enum { NC_MVN_IA_AXES_MASK = 0, NC_MVN_IA_COUNT = 1 };

/* Softmax, LogSoftmax, Hardmax: the input viewed as [OUTER, LEN, INNER] and
 * normalised along LEN. Lowering folds the opset<13 "coerce to 2-D" rule and
 * the opset>=13 single-axis rule into these three numbers. */
enum {
  NC_SOFTMAX_IA_OUTER = 0,
  NC_SOFTMAX_IA_LEN = 1,
  NC_SOFTMAX_IA_INNER = 2,
  NC_SOFTMAX_IA_COUNT = 3
};

/* Layout adapters (layer "adapter"): no args, shape from in[0]. */

#endif
