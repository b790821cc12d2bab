/* Argument layouts of the elementwise family (see neuroc/args.h).
 *
 * Layers not listed here take no ia[]/fa[] (Abs, Add, Sigmoid, Where, ...).
 * Routine inputs follow ONNX order with compile-time parameter inputs
 * dropped: Clip's min/max (opset >= 11) and CastLike's target are not passed. */
#ifndef NEUROC_ARGS_ELEMENTWISE_H
#define NEUROC_ARGS_ELEMENTWISE_H

/* Most inputs a variadic layer (Max, Min, Sum, Mean) accepts. */
#define NC_EW_MAX_INPUTS 16

/* LeakyRelu, Elu, Celu, ThresholdedRelu: fa[alpha]. */
enum { NC_LEAKYRELU_FA_ALPHA = 0, NC_LEAKYRELU_N_FA };
enum { NC_ELU_FA_ALPHA = 0, NC_ELU_N_FA };
enum { NC_CELU_FA_ALPHA = 0, NC_CELU_N_FA };
enum { NC_THRESHOLDEDRELU_FA_ALPHA = 0, NC_THRESHOLDEDRELU_N_FA };

/* Selu: gamma * (x > 0 ? x : alpha * (exp(x) - 1)). */
enum { NC_SELU_FA_ALPHA = 0, NC_SELU_FA_GAMMA, NC_SELU_N_FA };

/* HardSigmoid: max(0, min(1, alpha * x + beta)). */
enum { NC_HARDSIGMOID_FA_ALPHA = 0, NC_HARDSIGMOID_FA_BETA, NC_HARDSIGMOID_N_FA };

/* Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0. */
enum { NC_SHRINK_FA_BIAS = 0, NC_SHRINK_FA_LAMBD, NC_SHRINK_N_FA };

/* Clip: min(max(x, lo), hi). The lowering always fills both bounds (the
 * dtype's range when absent): fa[] for float inputs, ia[] for integer inputs
 * (u64 bounds stored as the same 64 bits). */
enum { NC_CLIP_FA_MIN = 0, NC_CLIP_FA_MAX, NC_CLIP_N_FA };
enum { NC_CLIP_IA_MIN = 0, NC_CLIP_IA_MAX, NC_CLIP_N_IA };

/* IsInf: which infinities count (0/1 each). */
enum { NC_ISINF_IA_DETECT_POSITIVE = 0, NC_ISINF_IA_DETECT_NEGATIVE, NC_ISINF_N_IA };

/* Mod: fmod = 1 -> sign of the dividend (C fmod / %), 0 -> sign of the divisor. */
enum { NC_MOD_IA_FMOD = 0, NC_MOD_N_IA };

/* BitShift: direction. */
enum { NC_BITSHIFT_IA_DIRECTION = 0, NC_BITSHIFT_N_IA };
enum { NC_BITSHIFT_LEFT = 0, NC_BITSHIFT_RIGHT = 1 };

/* Cast, CastLike: target dtype (also the output's dtype), for reports. */
enum { NC_CAST_IA_TO = 0, NC_CAST_N_IA };

#endif
