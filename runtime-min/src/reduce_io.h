/* Element access by dtype for the reduce family's dtype-generic reference
 * routines: floats go through double (f16/bf16 via f32), integers through
 * int64 so sums and products of 64-bit values stay exact. Internal. */
#ifndef NC_REDUCE_IO_H
#define NC_REDUCE_IO_H

#include <math.h>
#include <stdint.h>

#include "neuroc/rt.h"

static inline int rdx_is_float(int32_t dt) {
  return dt == NC_F32 || dt == NC_F64 || dt == NC_F16 || dt == NC_BF16;
}

static inline int rdx_is_unsigned(int32_t dt) {
  return dt == NC_U8 || dt == NC_U16 || dt == NC_U32 || dt == NC_U64 || dt == NC_BOOL;
}


/* Integer load; u64 keeps its bit pattern (wrapping arithmetic is the same). */
static inline int64_t rdx_ldi(const void *p, int32_t dt, int64_t i) {
  switch (dt) {
  case NC_U8: case NC_BOOL: return ((const uint8_t *)p)[i];
  case NC_S8: return ((const int8_t *)p)[i];
  case NC_U16: return ((const uint16_t *)p)[i];
  case NC_S16: return ((const int16_t *)p)[i];
  case NC_S32: return ((const int32_t *)p)[i];
  case NC_S64: return ((const int64_t *)p)[i];
  case NC_U32: return ((const uint32_t *)p)[i];
  case NC_U64: return (int64_t)((const uint64_t *)p)[i];
  default: return (int64_t)nc_load_f64(p, dt, i);
  }
}

/* Integer store, wrapping to the element width like a C conversion. */
static inline void rdx_sti(void *p, int32_t dt, int64_t i, int64_t v) {
  uint64_t u = (uint64_t)v;
  switch (dt) {
  case NC_U8: case NC_BOOL: ((uint8_t *)p)[i] = (uint8_t)u; break;
  case NC_S8: ((int8_t *)p)[i] = (int8_t)(uint8_t)u; break;
  case NC_U16: ((uint16_t *)p)[i] = (uint16_t)u; break;
  case NC_S16: ((int16_t *)p)[i] = (int16_t)(uint16_t)u; break;
  case NC_S32: ((int32_t *)p)[i] = (int32_t)(uint32_t)u; break;
  case NC_S64: ((int64_t *)p)[i] = v; break;
  case NC_U32: ((uint32_t *)p)[i] = (uint32_t)u; break;
  case NC_U64: ((uint64_t *)p)[i] = u; break;
  default: break;
  }
}

/* double -> int64 without undefined behaviour: NaN gives 0, saturates. */
static inline int64_t rdx_d2i(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}

static inline int64_t rdx_lo(int32_t dt) {
  switch (dt) {
  case NC_S8: return INT8_MIN;
  case NC_S16: return INT16_MIN;
  case NC_S32: return INT32_MIN;
  case NC_S64: return INT64_MIN;
  default: return 0;
  }
}

static inline int64_t rdx_hi(int32_t dt) {
  switch (dt) {
  case NC_U8: return UINT8_MAX;
  case NC_BOOL: return 1;
  case NC_S8: return INT8_MAX;
  case NC_U16: return UINT16_MAX;
  case NC_S16: return INT16_MAX;
  case NC_S32: return INT32_MAX;
  case NC_U32: return UINT32_MAX;
  default: return INT64_MAX;
  }
}

/* Store a double. Integers: `round` selects round-half-away (interpolation)
 * over truncation (numpy's astype); both saturate to the dtype's range. */
static inline void rdx_st(void *p, int32_t dt, int64_t i, double v, int round) {
  switch (dt) {
  case NC_F32: ((float *)p)[i] = (float)v; return;
  case NC_F64: ((double *)p)[i] = v; return;
  case NC_F16: ((uint16_t *)p)[i] = nc_f32_to_f16((float)v); return;
  case NC_BF16: ((uint16_t *)p)[i] = nc_f32_to_bf16((float)v); return;
  default: break;
  }
  if (round) v = v < 0 ? ceil(v - 0.5) : floor(v + 0.5);
  if (dt == NC_U64) {
    ((uint64_t *)p)[i] = v != v || v <= 0 ? 0 : v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
    return;
  }
  int64_t x = rdx_d2i(v), lo = rdx_lo(dt), hi = rdx_hi(dt);
  rdx_sti(p, dt, i, x < lo ? lo : x > hi ? hi : x);
}

/* Three-way compare of elements i and j (of possibly different arrays). NaN
 * orders above every number so that max/top-k see it. */
static inline int rdx_cmp(const void *pa, int64_t i, const void *pb, int64_t j, int32_t dt) {
  if (rdx_is_float(dt)) {
    double a = nc_load_f64(pa, dt, i), b = nc_load_f64(pb, dt, j);
    int na = a != a, nb = b != b;
    if (na || nb) return na - nb;
    return (a > b) - (a < b);
  }
  if (dt == NC_U64) {
    uint64_t a = ((const uint64_t *)pa)[i], b = ((const uint64_t *)pb)[j];
    return (a > b) - (a < b);
  }
  int64_t a = rdx_ldi(pa, dt, i), b = rdx_ldi(pb, dt, j);
  return (a > b) - (a < b);
}

/* Split a row-major shape around one axis: outer * len * inner. */
static inline void rdx_split(const nc_tdesc *d, int axis, int64_t *outer, int64_t *len,
                             int64_t *inner) {
  *outer = 1;
  *inner = 1;
  for (int k = 0; k < axis; k++) *outer *= d->dims[k];
  for (int k = axis + 1; k < d->ndim; k++) *inner *= d->dims[k];
  *len = d->dims[axis];
}

#endif
