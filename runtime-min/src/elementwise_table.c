/* Routine table of the elementwise family (part of the one table, see table.c).
 *
 * Per layer: one reference routine (every dtype the layer allows, any
 * broadcast, plain layout); for f32 unary math a contiguous "flat" routine,
 * registered for NCHW and NHWC (layout does not matter elementwise); for f32
 * Add/Sub/Mul/Div/Max/Min/Sum the "flat" (same shapes), "scalar" (one
 * operand of one element) and "bcast" (one operand varying over a run of
 * axes: per-channel bias, per-row scale) routines, NHWC entries where
 * the shapes make the layout irrelevant, and an NHWC "channel" routine for a
 * per-channel operand [N|1, C|1, 1, 1] (bias, squeeze-excitation scale).
 * The `dtypes` of a reference entry is what the lowering accepts for the layer (compiler/ops/elementwise.c reads
 * it from here). Descriptor and symbol are spelled from one token each. */
#include "elementwise.h"

#define FL NC_DT_FLOATS
#define NUM NC_DT_NUMERIC
#define FS (NC_DT_FLOATS | NC_DT_SIGNED)

/* Reference routine of `Layer`; `dt` = accepted dtypes of its first input. */
#define REF(Layer, lname, dt, flags)                                                    \
  {Layer, "cpu:*:nchw/" #lname "-ref/c99", "nc_" #lname "_ref_any_nchw_c99",             \
   nc_##lname##_ref_any_nchw_c99, dt, NC_LAYOUT_NCHW, NC_LAYOUT_NCHW,                    \
   NC_RF_REFERENCE | (flags), NULL, NULL, NULL, NULL}

/* A reference unary routine whose output dtype is its input's: in place is safe. */
#define REF_UNARY(Layer, lname, dt) REF(Layer, lname, dt, NC_RF_INPLACE)

/* f32 routine `fn_lname`_`algo` registered under descriptor `layout`. */
#define F32(Layer, lname, algo, layout, LAYOUT, flags, applies)                         \
  {Layer, "cpu:f32:" #layout "/" #lname "-" #algo "/c99",                                 \
   "nc_" #lname "_" #algo "_f32_nchw_c99", nc_##lname##_##algo##_f32_nchw_c99,           \
   NC_DT(NC_F32), LAYOUT, LAYOUT, flags, applies, NULL, NULL, NULL}

/* f32 unary math: any shape, both layouts, in place. */
#define UNARY_F32(Layer, lname)                                                         \
  F32(Layer, lname, flat, nchw, NC_LAYOUT_NCHW, NC_RF_INPLACE, NULL),                  \
  F32(Layer, lname, flat, nhwc, NC_LAYOUT_NHWC, NC_RF_INPLACE, NULL)

/* f32 two-operand fast paths (Max/Min/Sum: when given two inputs). */
#define BINARY_F32(Layer, lname)                                                        \
  F32(Layer, lname, flat, nchw, NC_LAYOUT_NCHW, 0, nc_ew_applies_flat),                \
  F32(Layer, lname, scalar, nchw, NC_LAYOUT_NCHW, 0, nc_ew_applies_scalar),            \
  F32(Layer, lname, bcast, nchw, NC_LAYOUT_NCHW, 0, nc_ew_applies_bcast),              \
  F32(Layer, lname, flat, nhwc, NC_LAYOUT_NHWC, 0, nc_ew_applies_nhwc_flat),           \
  F32(Layer, lname, scalar, nhwc, NC_LAYOUT_NHWC, 0, nc_ew_applies_nhwc_scalar),        \
  {Layer, "cpu:f32:nhwc/" #lname "-channel/c99", "nc_" #lname "_channel_f32_nhwc_c99",     \
   nc_##lname##_channel_f32_nhwc_c99, NC_DT(NC_F32), NC_LAYOUT_NHWC, NC_LAYOUT_NHWC, 0,    \
   nc_ew_applies_nhwc_channel, NULL, NULL, NULL}

const nc_routine nc_routines_elementwise[] = {
    /* unary math */
    REF_UNARY("Abs", abs, NUM),
    REF_UNARY("Neg", neg, FS),
    REF_UNARY("Exp", exp, FL),
    REF_UNARY("Log", log, FL),
    REF_UNARY("Sqrt", sqrt, FL),
    REF_UNARY("Sin", sin, FL),
    REF_UNARY("Cos", cos, FL),
    REF_UNARY("Tan", tan, FL),
    REF_UNARY("Asin", asin, FL),
    REF_UNARY("Acos", acos, FL),
    REF_UNARY("Atan", atan, FL),
    REF_UNARY("Sinh", sinh, FL),
    REF_UNARY("Cosh", cosh, FL),
    REF_UNARY("Asinh", asinh, FL),
    REF_UNARY("Acosh", acosh, FL),
    REF_UNARY("Atanh", atanh, FL),
    REF_UNARY("Ceil", ceil, FL),
    REF_UNARY("Floor", floor, FL),
    REF_UNARY("Round", round, FL),
    REF_UNARY("Sign", sign, NUM),
    REF_UNARY("Reciprocal", reciprocal, FL),
    REF_UNARY("Erf", erf, NUM),
    /* activations */
    REF_UNARY("Relu", relu, FS),
    REF_UNARY("LeakyRelu", leakyrelu, FL),
    REF_UNARY("Elu", elu, FL),
    REF_UNARY("Selu", selu, FL),
    REF_UNARY("Celu", celu, FL),
    REF_UNARY("Sigmoid", sigmoid, FL),
    REF_UNARY("HardSigmoid", hardsigmoid, FL),
    REF_UNARY("HardSwish", hardswish, FL),
    REF_UNARY("Softplus", softplus, FL),
    REF_UNARY("Softsign", softsign, FL),
    REF_UNARY("Tanh", tanh, FL),
    REF_UNARY("ThresholdedRelu", thresholdedrelu, FL),
    REF_UNARY("Shrink", shrink, NUM),
    REF_UNARY("Mish", mish, FL),
    REF_UNARY("Clip", clip, NUM),
    REF("PRelu", prelu, NUM, 0),
    /* predicates and conversions */
    REF("IsNaN", isnan, FL, 0),
    REF("IsInf", isinf, FL, 0),
    REF_UNARY("Not", not, NC_DT(NC_BOOL)),
    REF("Cast", cast, NC_DT_ALL, 0),
    REF("CastLike", castlike, NC_DT_ALL, 0),
    /* binary, broadcasting */
    REF("Add", add, NUM, 0),
    REF("Sub", sub, NUM, 0),
    REF("Mul", mul, NUM, 0),
    REF("Div", div, NUM, 0),
    REF("Pow", pow, NUM, 0),
    REF("Mod", mod, NUM, 0),
    REF("BitShift", bitshift, NC_DT_UNSIGNED, 0),
    REF("And", and, NC_DT(NC_BOOL), 0),
    REF("Or", or, NC_DT(NC_BOOL), 0),
    REF("Xor", xor, NC_DT(NC_BOOL), 0),
    REF("Equal", equal, NC_DT_ALL, 0),
    REF("Greater", greater, NUM, 0),
    REF("Less", less, NUM, 0),
    REF("GreaterOrEqual", greaterorequal, NUM, 0),
    REF("LessOrEqual", lessorequal, NUM, 0),
    /* variadic, broadcasting */
    REF("Max", max, NUM, 0),
    REF("Min", min, NUM, 0),
    REF("Sum", sum, FL, 0),
    REF("Mean", mean, FL, 0),
    /* the condition is the first input: the X/Y dtype is any */
    REF("Where", where, NC_DT(NC_BOOL), 0),

    /* f32 fast paths */
    UNARY_F32("Abs", abs),
    UNARY_F32("Neg", neg),
    UNARY_F32("Exp", exp),
    UNARY_F32("Log", log),
    UNARY_F32("Sqrt", sqrt),
    UNARY_F32("Sin", sin),
    UNARY_F32("Cos", cos),
    UNARY_F32("Tan", tan),
    UNARY_F32("Asin", asin),
    UNARY_F32("Acos", acos),
    UNARY_F32("Atan", atan),
    UNARY_F32("Sinh", sinh),
    UNARY_F32("Cosh", cosh),
    UNARY_F32("Asinh", asinh),
    UNARY_F32("Acosh", acosh),
    UNARY_F32("Atanh", atanh),
    UNARY_F32("Ceil", ceil),
    UNARY_F32("Floor", floor),
    UNARY_F32("Round", round),
    UNARY_F32("Sign", sign),
    UNARY_F32("Reciprocal", reciprocal),
    UNARY_F32("Erf", erf),
    UNARY_F32("Relu", relu),
    UNARY_F32("LeakyRelu", leakyrelu),
    UNARY_F32("Elu", elu),
    UNARY_F32("Selu", selu),
    UNARY_F32("Celu", celu),
    UNARY_F32("Sigmoid", sigmoid),
    UNARY_F32("HardSigmoid", hardsigmoid),
    UNARY_F32("HardSwish", hardswish),
    UNARY_F32("Softplus", softplus),
    UNARY_F32("Softsign", softsign),
    UNARY_F32("Tanh", tanh),
    UNARY_F32("ThresholdedRelu", thresholdedrelu),
    UNARY_F32("Shrink", shrink),
    UNARY_F32("Mish", mish),
    UNARY_F32("Clip", clip),
    BINARY_F32("Add", add),
    BINARY_F32("Sub", sub),
    BINARY_F32("Mul", mul),
    BINARY_F32("Div", div),
    BINARY_F32("Max", max),
    BINARY_F32("Min", min),
    BINARY_F32("Sum", sum),
    {0},
};
