/* Helpers shared by the tensor-family routines: strided views, index and
 * scalar loads/stores, and the scatter reductions. */
#include "tensor_common.h"

#include <math.h>
#include <string.h>

void nc_tensor_strides(const nc_tdesc *d, int64_t *strides) {
  int64_t s = 1;
  for (int i = d->ndim - 1; i >= 0; i--) {
    strides[i] = s;
    s *= d->dims[i];
  }
}

static void copy_run(char *dst, const char *src, size_t es, int64_t n, int64_t stride) {
  if (stride == 1) {
    memcpy(dst, src, (size_t)n * es);
    return;
  }
  for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * es, src + stride * (int64_t)es * i, es);
}

void nc_tensor_view_copy(void *dst, const void *src, size_t es, int nd, const int64_t *dims,
                         const int64_t *strides, int64_t base) {
  int64_t total = 1;
  for (int d = 0; d < nd; d++) total *= dims[d];
  if (total <= 0) return;
  if (nd == 0) {
    memcpy(dst, (const char *)src + base * (int64_t)es, es);
    return;
  }
  /* Odometer over the outer axes; the innermost axis is copied as one run. */
  int64_t idx[NC_TENSOR_MAX_VIEW] = {0};
  int64_t inner = dims[nd - 1], inner_stride = strides[nd - 1], off = base;
  char *o = dst;
  for (int64_t done = 0; done < total; done += inner) {
    copy_run(o, (const char *)src + off * (int64_t)es, es, inner, inner_stride);
    o += (size_t)inner * es;
    for (int d = nd - 2; d >= 0; d--) {
      off += strides[d];
      if (++idx[d] < dims[d]) break;
      off -= strides[d] * dims[d];
      idx[d] = 0;
    }
  }
}

int64_t nc_tensor_load_index(const void *p, int32_t dtype, int64_t i) {
  switch (dtype) {
  case NC_S64: return ((const int64_t *)p)[i];
  case NC_S32: return ((const int32_t *)p)[i];
  case NC_U64: return (int64_t)((const uint64_t *)p)[i];
  case NC_U32: return ((const uint32_t *)p)[i];
  case NC_S16: return ((const int16_t *)p)[i];
  case NC_U16: return ((const uint16_t *)p)[i];
  case NC_S8: return ((const int8_t *)p)[i];
  case NC_U8: case NC_BOOL: return ((const uint8_t *)p)[i];
  default: return (int64_t)nc_tensor_load_f64(p, dtype, i);
  }
}

double nc_tensor_load_f64(const void *p, int32_t dtype, int64_t i) {
  switch (dtype) {
  case NC_F32: return ((const float *)p)[i];
  case NC_F64: return ((const double *)p)[i];
  case NC_F16: return nc_f16_to_f32(((const uint16_t *)p)[i]);
  case NC_BF16: return nc_bf16_to_f32(((const uint16_t *)p)[i]);
  case NC_S64: return (double)((const int64_t *)p)[i];
  case NC_U64: return (double)((const uint64_t *)p)[i];
  default: return (double)nc_tensor_load_index(p, dtype, i);
  }
}

static double clamp_round(double v, double lo, double hi) {
  if (v != v) return 0.0; /* NaN into an integer: 0, never UB */
  v = nearbyint(v);
  return v < lo ? lo : (v > hi ? hi : v);
}

void nc_tensor_store_f64(void *p, int32_t dtype, int64_t i, double v) {
  switch (dtype) {
  case NC_F32: ((float *)p)[i] = (float)v; break;
  case NC_F64: ((double *)p)[i] = v; break;
  case NC_F16: ((uint16_t *)p)[i] = nc_f32_to_f16((float)v); break;
  case NC_BF16: ((uint16_t *)p)[i] = nc_f32_to_bf16((float)v); break;
  case NC_BOOL: ((uint8_t *)p)[i] = v != 0.0; break;
  case NC_U8: ((uint8_t *)p)[i] = (uint8_t)clamp_round(v, 0, 255); break;
  case NC_S8: ((int8_t *)p)[i] = (int8_t)clamp_round(v, -128, 127); break;
  case NC_U16: ((uint16_t *)p)[i] = (uint16_t)clamp_round(v, 0, 65535); break;
  case NC_S16: ((int16_t *)p)[i] = (int16_t)clamp_round(v, -32768, 32767); break;
  case NC_U32: ((uint32_t *)p)[i] = (uint32_t)clamp_round(v, 0, 4294967295.0); break;
  case NC_S32: ((int32_t *)p)[i] = (int32_t)clamp_round(v, -2147483648.0, 2147483647.0); break;
  case NC_S64:
    ((int64_t *)p)[i] = (int64_t)clamp_round(v, -9223372036854775808.0, 9223372036854774784.0);
    break;
  case NC_U64: ((uint64_t *)p)[i] = (uint64_t)clamp_round(v, 0, 18446744073709549568.0); break;
  default: break;
  }
}

/* Integer reductions in the element's own type, wrapping like ONNX Runtime;
 * add/mul go through the unsigned type U so the wrap is defined behaviour. */
#define NC_COMBINE_INT(T, U)                                                 \
  do {                                                                       \
    T x, y;                                                                  \
    memcpy(&x, dst, sizeof x);                                               \
    memcpy(&y, src, sizeof y);                                               \
    switch (op) {                                                            \
    case NC_SCATTER_ADD: x = (T)((U)x + (U)y); break;                        \
    case NC_SCATTER_MUL: x = (T)((U)x * (U)y); break;                        \
    case NC_SCATTER_MAX: x = x > y ? x : y; break;                           \
    case NC_SCATTER_MIN: x = x < y ? x : y; break;                           \
    default: x = y; break;                                                   \
    }                                                                        \
    memcpy(dst, &x, sizeof x);                                               \
  } while (0)

void nc_tensor_combine(void *dst, const void *src, int32_t dtype, int op) {
  switch (dtype) {
  case NC_U8: NC_COMBINE_INT(uint8_t, uint32_t); return;
  case NC_S8: NC_COMBINE_INT(int8_t, uint32_t); return;
  case NC_U16: NC_COMBINE_INT(uint16_t, uint32_t); return;
  case NC_S16: NC_COMBINE_INT(int16_t, uint32_t); return;
  case NC_U32: NC_COMBINE_INT(uint32_t, uint32_t); return;
  case NC_S32: NC_COMBINE_INT(int32_t, uint32_t); return;
  case NC_U64: NC_COMBINE_INT(uint64_t, uint64_t); return;
  case NC_S64: NC_COMBINE_INT(int64_t, uint64_t); return;
  case NC_BOOL: {
    uint8_t x = *(uint8_t *)dst != 0, y = *(const uint8_t *)src != 0;
    /* add = or, mul = and, max = or, min = and: the logical closures. */
    if (op == NC_SCATTER_ADD || op == NC_SCATTER_MAX) x = x | y;
    else if (op == NC_SCATTER_MUL || op == NC_SCATTER_MIN) x = x & y;
    else x = y;
    *(uint8_t *)dst = x;
    return;
  }
  default: break;
  }
  double x = nc_tensor_load_f64(dst, dtype, 0), y = nc_tensor_load_f64(src, dtype, 0);
  switch (op) {
  case NC_SCATTER_ADD: x = x + y; break;
  case NC_SCATTER_MUL: x = x * y; break;
  case NC_SCATTER_MAX: x = x > y ? x : y; break;
  case NC_SCATTER_MIN: x = x < y ? x : y; break;
  default: x = y; break;
  }
  nc_tensor_store_f64(dst, dtype, 0, x);
}

void nc_tensor_copy_whole(const nc_args *a, const void *in, void *out) {
  if (in == out) return;
  memmove(out, in, (size_t)nc_numel(&a->in[0]) * nc_dtype_size(a->in[0].dtype));
}
