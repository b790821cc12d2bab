/* Per-family routine tables (each ends with a zero entry). Internal to the
 * runtime library; the public view is neuroc/routines.h. */
#ifndef NC_TABLE_FAMILIES_H
#define NC_TABLE_FAMILIES_H
#include "neuroc/routines.h"
extern const nc_routine nc_routines_elementwise[]; /* elementwise.c */
extern const nc_routine nc_routines_nn[];          /* conv, gemm, pool, norm, softmax, adapters */
extern const nc_routine nc_routines_tensor[];      /* data movement */
extern const nc_routine nc_routines_reduce[];      /* reductions, argmax, topk, losses, resize */
extern const nc_routine nc_routines_quant[];       /* ONNX quantization operators */
/* x86-64 SIMD (AVX2+FMA, AVX-512) */
extern const nc_routine nc_routines_x86_gemm[];     /* packed GEMM and the layers on it */
extern const nc_routine nc_routines_x86_blocked[];  /* NCHW8c/NCHW16c layouts */
extern const nc_routine nc_routines_x86_winograd[]; /* Winograd 3x3 convolution */
extern const nc_routine nc_routines_int8[]; /* u8/s8 quantized layers + adapters (int8_table.c) */
/* aarch64 NEON (entries on every host, kernels on aarch64 only: neon_table.c) */
extern const nc_routine nc_routines_neon[];
#endif
