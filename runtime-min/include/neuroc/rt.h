/* neuroc runtime ABI: the one calling convention shared by every routine, the
 * emitted model.c, the compiler's constant folder and its local profiler.
 * Plain C99, no allocation: a routine gets its inputs, outputs and scratch. */
#ifndef NEUROC_RT_H
#define NEUROC_RT_H

#include <stddef.h>
#include <stdint.h>

#define NC_MAX_DIMS 8

/* Element types, numbered as ONNX TensorProto.DataType so import is a cast. */
typedef enum nc_dtype {
  NC_UNDEF = 0,
  NC_F32 = 1,
  NC_U8 = 2,
  NC_S8 = 3,
  NC_U16 = 4,
  NC_S16 = 5,
  NC_S32 = 6,
  NC_S64 = 7,
  NC_BOOL = 9,
  NC_F16 = 10,
  NC_F64 = 11,
  NC_U32 = 12,
  NC_U64 = 13,
  NC_BF16 = 16
} nc_dtype;

/* Logical description of one tensor: dims are always in ONNX axis order,
 * whatever layout the routine stores the data in. */
typedef struct nc_tdesc {
  int32_t dtype;
  int32_t ndim;
  int64_t dims[NC_MAX_DIMS];
  /* Quantized storage: real value = scale * (stored - zero_point). scale 0
   * means the stored values are the values (every non-quantized tensor).
   * Set by the compiler for activations it quantizes from calibration. */
  float scale;
  int32_t zero_point;
} nc_tdesc;

/* Fused activation epilogue, applied by routines that accept one. */
typedef enum nc_act {
  NC_ACT_NONE = 0,
  NC_ACT_RELU = 1,
  NC_ACT_CLIP = 2,      /* min(max(x, lo), hi) */
  NC_ACT_HARDSWISH = 3,
  NC_ACT_SIGMOID = 4,
  NC_ACT_LEAKYRELU = 5, /* alpha */
  NC_ACT_SILU = 6       /* x * sigmoid(x) */
} nc_act;

/* Everything a routine knows about one call. `ia`/`fa` carry the layer's
 * parameters, with a per-layer index layout named in neuroc/args.h. */
typedef struct nc_args {
  int32_t n_in, n_out;
  const nc_tdesc *in;  /* routine inputs (compile-time parameters dropped); dtype 0 = omitted */
  const nc_tdesc *out;
  const int64_t *ia;
  const double *fa;
  int32_t n_ia, n_fa;
} nc_args;

typedef void (*nc_routine_fn)(const nc_args *a, const void *const *in, void *const *out,
                              void *scratch);

/* Small helpers routines use; defined in runtime-min/src/util.c. */
size_t nc_dtype_size(int32_t dtype);
int64_t nc_numel(const nc_tdesc *d);
float nc_f16_to_f32(uint16_t h);
uint16_t nc_f32_to_f16(float f);
float nc_bf16_to_f32(uint16_t h);
uint16_t nc_f32_to_bf16(float f);
/* Element i of a buffer of the given dtype, as a double. */
double nc_load_f64(const void *p, int32_t dtype, int64_t i);
float nc_apply_act(float x, int64_t act, double alpha, double beta);

#endif
