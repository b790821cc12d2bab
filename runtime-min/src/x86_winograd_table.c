/* Routine table of the x86-64 SIMD winograd family (AVX2+FMA, AVX-512): part of
 * the one table (table.c). Routines compile with per-function target
 * attributes, so the library builds on any x86-64; the target spec's `isa`
 * decides which ones a model may use. Empty on other architectures.
 * Winograd F(m,3) for 3x3 stride-1 Conv, NCHW in and out, weights
 * transformed at compile time (docs/x86-winograd.md). */
#include "table_families.h"
#include "x86_winograd.h"
#include "x86_winograd16c.h"

#if defined(__x86_64__)
#define WINO_ENTRY(mo, isa)                                                              \
  {"Conv", "cpu:f32:nchw/conv-winograd" #mo "3/" #isa,                                   \
   "nc_conv_winograd" #mo "3_f32_nchw_" #isa, nc_conv_winograd##mo##3_f32_nchw_##isa,    \
   NC_DT(NC_F32), NC_LAYOUT_NCHW, NC_LAYOUT_NCHW, NC_RF_ACT | NC_RF_APPROX, nc_wino_applies,            \
   nc_conv_winograd##mo##3_f32_nchw_##isa##_scratch,                                      \
   nc_conv_winograd##mo##3_f32_nchw_##isa##_packed_bytes,                                 \
   nc_conv_winograd##mo##3_f32_nchw_##isa##_pack}
/* NCHW16c in and out (the blocked family's layout), x86_winograd16c.c. */
#define WINO16_ENTRY(mo)                                                                 \
  {"Conv", "cpu:f32:nchw16c/conv-winograd" #mo "3/avx512",                               \
   "nc_conv_winograd" #mo "3_f32_nchw16c_avx512", nc_conv_winograd##mo##3_f32_nchw16c_avx512, \
   NC_DT(NC_F32), NC_LAYOUT_NCHW16C, NC_LAYOUT_NCHW16C, NC_RF_ACT | NC_RF_APPROX,         \
   nc_wino16_applies, nc_conv_winograd##mo##3_f32_nchw16c_avx512_scratch,                 \
   nc_conv_winograd##mo##3_f32_nchw16c_avx512_packed_bytes,                               \
   nc_conv_winograd##mo##3_f32_nchw16c_avx512_pack}
#endif

const nc_routine nc_routines_x86_winograd[] = {
#if defined(__x86_64__)
    WINO_ENTRY(2, avx512),
    WINO_ENTRY(4, avx512),
    WINO_ENTRY(6, avx512),
    WINO_ENTRY(2, avx2),
    WINO_ENTRY(4, avx2),
    WINO_ENTRY(6, avx2),
    WINO16_ENTRY(2),
    WINO16_ENTRY(4),
    WINO16_ENTRY(6),
#endif
    {0},
};
