/* Internal to the elementwise family: operation codes shared by the
 * reference routines (elementwise_ref.c) and the f32 fast paths
 * (elementwise_fast.c), and the prototypes the table (elementwise_table.c)
 * points at. Every routine is an external function with the rt.h signature. */
#ifndef NC_ELEMENTWISE_H
#define NC_ELEMENTWISE_H

#include "neuroc/args.h"
#include "neuroc/routines.h"

#define NC_DT_SIGNED (NC_DT(NC_S8) | NC_DT(NC_S16) | NC_DT(NC_S32) | NC_DT(NC_S64))
#define NC_DT_UNSIGNED (NC_DT(NC_U8) | NC_DT(NC_U16) | NC_DT(NC_U32) | NC_DT(NC_U64))

typedef enum ew_op {
  /* unary, output dtype = input dtype */
  EW_ABS, EW_NEG, EW_EXP, EW_LOG, EW_SQRT, EW_SIN, EW_COS, EW_TAN, EW_ASIN, EW_ACOS,
  EW_ATAN, EW_SINH, EW_COSH, EW_ASINH, EW_ACOSH, EW_ATANH, EW_CEIL, EW_FLOOR, EW_ROUND,
  EW_SIGN, EW_RECIPROCAL, EW_ERF, EW_RELU, EW_LEAKYRELU, EW_ELU, EW_SELU, EW_CELU,
  EW_SIGMOID, EW_HARDSIGMOID, EW_HARDSWISH, EW_SOFTPLUS, EW_SOFTSIGN, EW_TANH,
  EW_THRESHOLDEDRELU, EW_SHRINK, EW_MISH, EW_CLIP,
  /* unary, other output dtype */
  EW_ISNAN, EW_ISINF, EW_NOT, EW_CAST,
  /* binary */
  EW_ADD, EW_SUB, EW_MUL, EW_DIV, EW_POW, EW_MOD, EW_BITSHIFT, EW_AND, EW_OR, EW_XOR,
  EW_EQUAL, EW_GREATER, EW_LESS, EW_GREATEROREQUAL, EW_LESSOREQUAL, EW_PRELU,
  /* variadic */
  EW_MAX, EW_MIN, EW_SUM, EW_MEAN,
  /* ternary */
  EW_WHERE,
  EW_OP_COUNT
} ew_op;

/* Reference: any dtype the layer allows, any broadcast, NCHW (plain). */
void nc_ew_reference(ew_op op, const nc_args *a, const void *const *in, void *const *out);

/* applies() of the fast paths. */
int nc_ew_applies_flat(const nc_args *a);        /* 2 inputs, identical shapes */
int nc_ew_applies_scalar(const nc_args *a);      /* 2 inputs, one of them 1 element */
int nc_ew_applies_bcast(const nc_args *a);       /* 2 inputs, one full, one [1..,C..,1..] */
int nc_ew_applies_nhwc_flat(const nc_args *a);   /* rank 4, identical shapes */
int nc_ew_applies_nhwc_scalar(const nc_args *a); /* rank 4, second input 1 element */
int nc_ew_applies_nhwc_channel(const nc_args *a); /* rank 4, one operand [N|1,C|1,1,1] */

#define NC_EW_ROUTINE(sym) \
  void sym(const nc_args *a, const void *const *in, void *const *out, void *scratch)

/* Reference routines, one per layer. */
NC_EW_ROUTINE(nc_abs_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_neg_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_exp_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_log_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_sqrt_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_sin_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_cos_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_tan_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_asin_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_acos_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_atan_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_sinh_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_cosh_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_asinh_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_acosh_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_atanh_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_ceil_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_floor_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_round_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_sign_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_reciprocal_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_erf_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_relu_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_leakyrelu_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_elu_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_selu_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_celu_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_sigmoid_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_hardsigmoid_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_hardswish_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_softplus_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_softsign_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_tanh_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_thresholdedrelu_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_shrink_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_mish_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_clip_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_isnan_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_isinf_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_not_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_cast_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_castlike_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_add_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_sub_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_mul_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_div_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_pow_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_mod_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_bitshift_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_and_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_or_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_xor_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_equal_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_greater_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_less_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_greaterorequal_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_lessorequal_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_prelu_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_max_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_min_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_sum_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_mean_ref_any_nchw_c99);
NC_EW_ROUTINE(nc_where_ref_any_nchw_c99);

/* f32 unary fast paths (any shape; also used for NHWC). */
NC_EW_ROUTINE(nc_abs_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_neg_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_exp_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_log_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_sqrt_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_sin_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_cos_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_tan_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_asin_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_acos_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_atan_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_sinh_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_cosh_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_asinh_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_acosh_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_atanh_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_ceil_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_floor_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_round_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_sign_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_reciprocal_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_erf_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_relu_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_leakyrelu_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_elu_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_selu_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_celu_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_sigmoid_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_hardsigmoid_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_hardswish_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_softplus_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_softsign_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_tanh_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_thresholdedrelu_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_shrink_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_mish_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_clip_flat_f32_nchw_c99);

/* f32 binary fast paths: same shape (flat), one scalar operand (scalar),
 * one operand broadcast over leading/trailing axes (bcast). */
NC_EW_ROUTINE(nc_add_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_sub_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_mul_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_div_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_max_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_min_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_sum_flat_f32_nchw_c99);
NC_EW_ROUTINE(nc_add_scalar_f32_nchw_c99);
NC_EW_ROUTINE(nc_sub_scalar_f32_nchw_c99);
NC_EW_ROUTINE(nc_mul_scalar_f32_nchw_c99);
NC_EW_ROUTINE(nc_div_scalar_f32_nchw_c99);
NC_EW_ROUTINE(nc_max_scalar_f32_nchw_c99);
NC_EW_ROUTINE(nc_min_scalar_f32_nchw_c99);
NC_EW_ROUTINE(nc_sum_scalar_f32_nchw_c99);
NC_EW_ROUTINE(nc_add_bcast_f32_nchw_c99);
NC_EW_ROUTINE(nc_sub_bcast_f32_nchw_c99);
NC_EW_ROUTINE(nc_mul_bcast_f32_nchw_c99);
NC_EW_ROUTINE(nc_div_bcast_f32_nchw_c99);
NC_EW_ROUTINE(nc_max_bcast_f32_nchw_c99);
NC_EW_ROUTINE(nc_min_bcast_f32_nchw_c99);
NC_EW_ROUTINE(nc_sum_bcast_f32_nchw_c99);
NC_EW_ROUTINE(nc_add_channel_f32_nhwc_c99);
NC_EW_ROUTINE(nc_sub_channel_f32_nhwc_c99);
NC_EW_ROUTINE(nc_mul_channel_f32_nhwc_c99);
NC_EW_ROUTINE(nc_div_channel_f32_nhwc_c99);
NC_EW_ROUTINE(nc_max_channel_f32_nhwc_c99);
NC_EW_ROUTINE(nc_min_channel_f32_nhwc_c99);
NC_EW_ROUTINE(nc_sum_channel_f32_nhwc_c99);

#endif
