/* Routine table of the x86-64 SIMD blocked family (AVX2+FMA, AVX-512): part of
 * the one table (table.c). Routines compile with per-function target
 * attributes, so the library builds on any x86-64; the target spec's `isa`
 * decides which ones a model may use. Off x86 only the (portable C) adapters.
 *
 * NCHW16c goes with AVX-512 (one zmm per block), NCHW8c with AVX2 (one ymm).
 * Per layout: direct conv (and its 1x1 fast path), conv from a plain image
 * input, depthwise conv, max/average pooling, global average pooling
 * (blocked or plain output), same-shape Add/Sub/Mul, per-channel Add/Mul,
 * Relu/Clip/HardSwish/HardSigmoid/Sigmoid, channel Concat, inference
 * BatchNormalization (the unfolded ones of densenet), constant spatial Pad,
 * and the adapters
 * to and from NCHW and NHWC. Code: x86_blocked_kernels.h; layout
 * invariant: x86_blocked.h; docs: docs/x86-blocked.md. */
#include "table_families.h"
#include "x86_blocked.h"

#define F32 NC_DT(NC_F32)
#define NCHW NC_LAYOUT_NCHW
#define NHWC NC_LAYOUT_NHWC

/* Adapter between a plain layout P and the blocked layout L. */
#define ADAPTERS(P, PLAY, L, LAY)                                                          \
  {"adapter", "cpu:f32:" #P "/to-" #L "/c99", "nc_to_" #L "_f32_" #P "_c99",               \
   nc_to_##L##_f32_##P##_c99, F32, PLAY, LAY, 0, ncb_applies_adapter, NULL, NULL, NULL},    \
  {"adapter", "cpu:f32:" #L "/to-" #P "/c99", "nc_to_" #P "_f32_" #L "_c99",               \
   nc_to_##P##_f32_##L##_c99, F32, LAY, PLAY, 0, ncb_applies_adapter, NULL, NULL, NULL}

#if defined(__x86_64__)

#define INPL NC_RF_INPLACE

/* Routine `lname`-`algo` of layout L (16c/8c spelled nchw16c/nchw8c). */
#define R(Layer, lname, algo, L, ISA, LAY, flags, applies)                                  \
  {Layer, "cpu:f32:" #L "/" #lname "-" #algo "/" #ISA, "nc_" #lname "_" #algo "_f32_" #L "_" #ISA, \
   nc_##lname##_##algo##_f32_##L##_##ISA, F32, LAY, LAY, flags, applies, NULL, NULL, NULL}

/* The whole family for one (layout, ISA, block). */
#define FAMILY(L, ISA, LAY, BLK)                                                            \
  {"Conv", "cpu:f32:" #L "/conv-direct/" #ISA, "nc_conv_direct_f32_" #L "_" #ISA,              \
   nc_conv_direct_f32_##L##_##ISA, F32, LAY, LAY, NC_RF_ACT, ncb_applies_conv, NULL,          \
   ncb_conv_packed_bytes##BLK, ncb_conv_pack##BLK},                                           \
  {"Conv", "cpu:f32:nchw/conv-direct-" #L "/" #ISA, "nc_conv_direct_" #L "_f32_nchw_" #ISA,     \
   nc_conv_direct_##L##_f32_nchw_##ISA, F32, NCHW, LAY, NC_RF_ACT, ncb_applies_conv_plain,     \
   NULL, ncb_conv_plain_packed_bytes##BLK, ncb_conv_plain_pack##BLK},                         \
  {"Conv", "cpu:f32:" #L "/conv-depthwise/" #ISA, "nc_conv_depthwise_f32_" #L "_" #ISA,        \
   nc_conv_depthwise_f32_##L##_##ISA, F32, LAY, LAY, NC_RF_ACT, ncb_applies_dwconv, NULL,     \
   ncb_dwconv_packed_bytes##BLK, ncb_dwconv_pack##BLK},                                       \
  R("MaxPool", maxpool, direct, L, ISA, LAY, 0, ncb_applies_pool),                            \
  R("AveragePool", averagepool, direct, L, ISA, LAY, 0, ncb_applies_pool),                    \
  R("GlobalAveragePool", globalaveragepool, direct, L, ISA, LAY, 0, ncb_applies_gap),         \
  {"GlobalAveragePool", "cpu:f32:" #L "/globalaveragepool-tonchw/" #ISA,                      \
   "nc_globalaveragepool_tonchw_f32_" #L "_" #ISA, nc_globalaveragepool_tonchw_f32_##L##_##ISA, \
   F32, LAY, NCHW, 0, ncb_applies_gap, NULL, NULL, NULL},                                     \
  R("Add", add, same, L, ISA, LAY, 0, ncb_applies_same),                                      \
  R("Sub", sub, same, L, ISA, LAY, 0, ncb_applies_same),                                      \
  R("Mul", mul, same, L, ISA, LAY, 0, ncb_applies_same),                                      \
  R("Add", add, channel, L, ISA, LAY, 0, ncb_applies_channel##BLK),                           \
  R("Mul", mul, channel, L, ISA, LAY, 0, ncb_applies_channel##BLK),                           \
  R("Relu", relu, vec, L, ISA, LAY, INPL, ncb_applies_unary),                                 \
  R("Clip", clip, vec, L, ISA, LAY, INPL, ncb_applies_unary),                                 \
  R("HardSwish", hardswish, vec, L, ISA, LAY, INPL, ncb_applies_unary),                       \
  R("HardSigmoid", hardsigmoid, vec, L, ISA, LAY, INPL, ncb_applies_unary),                   \
  R("Sigmoid", sigmoid, vec, L, ISA, LAY, INPL, ncb_applies_unary),                           \
  R("Concat", concat, channels, L, ISA, LAY, 0, ncb_applies_concat##BLK),                     \
  R("BatchNormalization", batchnormalization, direct, L, ISA, LAY, INPL, ncb_applies_batchnorm), \
  R("Pad", pad, spatial, L, ISA, LAY, 0, ncb_applies_pad)

const nc_routine nc_routines_x86_blocked[] = {
    FAMILY(nchw16c, avx512, NC_LAYOUT_NCHW16C, 16),
    FAMILY(nchw8c, avx2, NC_LAYOUT_NCHW8C, 8),
    ADAPTERS(nchw, NCHW, nchw16c, NC_LAYOUT_NCHW16C),
    ADAPTERS(nhwc, NHWC, nchw16c, NC_LAYOUT_NCHW16C),
    ADAPTERS(nchw, NCHW, nchw8c, NC_LAYOUT_NCHW8C),
    ADAPTERS(nhwc, NHWC, nchw8c, NC_LAYOUT_NCHW8C),
    {0},
};

#else

/* Off x86 the adapters only: portable C (x86_blocked_adapter.c), and the
 * compiler may ask any target's agent for them. */
const nc_routine nc_routines_x86_blocked[] = {
    ADAPTERS(nchw, NCHW, nchw16c, NC_LAYOUT_NCHW16C),
    ADAPTERS(nhwc, NHWC, nchw16c, NC_LAYOUT_NCHW16C),
    ADAPTERS(nchw, NCHW, nchw8c, NC_LAYOUT_NCHW8C),
    ADAPTERS(nhwc, NHWC, nchw8c, NC_LAYOUT_NCHW8C),
    {0},
};

#endif
