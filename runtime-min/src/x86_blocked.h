/* The blocked-channel family (NCHW16c with AVX-512, NCHW8c with AVX2+FMA):
 * internal declarations shared by its routines (x86_blocked_kernels.h,
 * compiled once per ISA), its portable parts (weight packing, adapters,
 * applicability: x86_blocked_pack.c, x86_blocked_adapter.c) and its table
 * (x86_blocked_table.c).
 *
 * Storage: [N][ceil(C/b)][H][W][b]. Invariant: the padded lanes of the tail
 * channel block hold zeros. Adapters write zeros there, and every routine of
 * this family writes zeros there too (weights and biases are packed with
 * zeros in padded slots, and epilogues that could turn 0 into something
 * else, such as sigmoid or clip, mask the tail lanes). So a padding lane
 * never reaches a real output, and consumers may read whole blocks. */
#ifndef NC_X86_BLOCKED_H
#define NC_X86_BLOCKED_H

#include "nn_internal.h"

/* Channel blocks of c channels for block size b. */
static inline int64_t ncb_blocks(int64_t c, int64_t b) { return (c + b - 1) / b; }

/* ---- applicability (x86_blocked_pack.c) ---- */
int ncb_applies_conv(const nc_args *a);      /* 2-D, group 1, blocked input */
int ncb_applies_conv_plain(const nc_args *a); /* 2-D, group 1, plain input with few channels */
int ncb_applies_dwconv(const nc_args *a);    /* 2-D, group == C == M */
int ncb_applies_pool(const nc_args *a);      /* 2-D Max/AveragePool without Indices */
int ncb_applies_gap(const nc_args *a);       /* rank-4 GlobalAveragePool */
int ncb_applies_same(const nc_args *a);      /* two f32 rank-4 operands of the output's shape */
int ncb_applies_channel16(const nc_args *a); /* full [N,C,H,W] with [N|1,C,1,1], C % 16 == 0 */
int ncb_applies_channel8(const nc_args *a);  /* the same with C % 8 == 0 */
int ncb_applies_unary(const nc_args *a);     /* rank-4 f32 */
int ncb_applies_concat16(const nc_args *a);  /* channel axis, all but the last C % 16 == 0 */
int ncb_applies_concat8(const nc_args *a);
int ncb_applies_adapter(const nc_args *a);   /* rank 4 */
int ncb_applies_batchnorm(const nc_args *a); /* rank-4 f32, five inputs */
int ncb_applies_pad(const nc_args *a);       /* constant mode, H/W only, no crop */

/* ---- weight packing (x86_blocked_pack.c) ----
 * Conv weights [M][C][KH][KW] -> [ceil(M/b)][ICb][KH][KW][icblk][b], where
 * the input channels come in ICb blocks of icblk: b-blocks for a blocked
 * input, one block of all C for a plain (NCHW) input. Depthwise weights
 * [C][1][KH][KW] -> [ceil(C/b)][KH][KW][b]. Bias [M] -> ceil(M/b)*b. Every
 * padded slot is zero. */
size_t ncb_conv_packed_bytes16(const nc_args *a, int idx);
void ncb_conv_pack16(const nc_args *a, int idx, const void *src, void *dst);
size_t ncb_conv_packed_bytes8(const nc_args *a, int idx);
void ncb_conv_pack8(const nc_args *a, int idx, const void *src, void *dst);
size_t ncb_conv_plain_packed_bytes16(const nc_args *a, int idx);
void ncb_conv_plain_pack16(const nc_args *a, int idx, const void *src, void *dst);
size_t ncb_conv_plain_packed_bytes8(const nc_args *a, int idx);
void ncb_conv_plain_pack8(const nc_args *a, int idx, const void *src, void *dst);
size_t ncb_dwconv_packed_bytes16(const nc_args *a, int idx);
void ncb_dwconv_pack16(const nc_args *a, int idx, const void *src, void *dst);
size_t ncb_dwconv_packed_bytes8(const nc_args *a, int idx);
void ncb_dwconv_pack8(const nc_args *a, int idx, const void *src, void *dst);

/* ---- the routines ----
 * Symbols read nc_<layer>_<algo>_f32_<layout>_<isa>, the descriptor's words. */
#define NCB_FN(name) \
  void name(const nc_args *a, const void *const *in, void *const *out, void *scratch);
#define NCB_DECLARE(L, ISA)                   \
  NCB_FN(nc_conv_direct_f32_##L##_##ISA)      \
  NCB_FN(nc_conv_direct_##L##_f32_nchw_##ISA)     \
  NCB_FN(nc_conv_depthwise_f32_##L##_##ISA)   \
  NCB_FN(nc_maxpool_direct_f32_##L##_##ISA)   \
  NCB_FN(nc_averagepool_direct_f32_##L##_##ISA) \
  NCB_FN(nc_globalaveragepool_direct_f32_##L##_##ISA) \
  NCB_FN(nc_globalaveragepool_tonchw_f32_##L##_##ISA) \
  NCB_FN(nc_add_same_f32_##L##_##ISA)         \
  NCB_FN(nc_sub_same_f32_##L##_##ISA)         \
  NCB_FN(nc_mul_same_f32_##L##_##ISA)         \
  NCB_FN(nc_add_channel_f32_##L##_##ISA)      \
  NCB_FN(nc_mul_channel_f32_##L##_##ISA)      \
  NCB_FN(nc_relu_vec_f32_##L##_##ISA)     \
  NCB_FN(nc_clip_vec_f32_##L##_##ISA)     \
  NCB_FN(nc_hardswish_vec_f32_##L##_##ISA) \
  NCB_FN(nc_hardsigmoid_vec_f32_##L##_##ISA) \
  NCB_FN(nc_sigmoid_vec_f32_##L##_##ISA)  \
  NCB_FN(nc_concat_channels_f32_##L##_##ISA) \
  NCB_FN(nc_batchnormalization_direct_f32_##L##_##ISA) \
  NCB_FN(nc_pad_spatial_f32_##L##_##ISA)

#if defined(__x86_64__)
NCB_DECLARE(nchw16c, avx512)
NCB_DECLARE(nchw8c, avx2)
#endif

/* Adapters (portable C, x86_blocked_adapter.c): to and from NCHW and NHWC. */
NCB_FN(nc_to_nchw16c_f32_nchw_c99)
NCB_FN(nc_to_nchw_f32_nchw16c_c99)
NCB_FN(nc_to_nchw16c_f32_nhwc_c99)
NCB_FN(nc_to_nhwc_f32_nchw16c_c99)
NCB_FN(nc_to_nchw8c_f32_nchw_c99)
NCB_FN(nc_to_nchw_f32_nchw8c_c99)
NCB_FN(nc_to_nchw8c_f32_nhwc_c99)
NCB_FN(nc_to_nhwc_f32_nchw8c_c99)

#endif
