/* Small helpers shared by routines: sizes, half-precision conversion,
 * fused-activation epilogue. */
#include <math.h>
#include <string.h>

#include "neuroc/rt.h"

size_t nc_dtype_size(int32_t dtype) {
  switch (dtype) {
  case NC_F32: case NC_S32: case NC_U32: return 4;
  case NC_U8: case NC_S8: case NC_BOOL: return 1;
  case NC_U16: case NC_S16: case NC_F16: case NC_BF16: return 2;
  case NC_S64: case NC_F64: case NC_U64: return 8;
  default: return 0;
  }
}

int64_t nc_numel(const nc_tdesc *d) {
  int64_t n = 1;
  for (int i = 0; i < d->ndim; i++) n *= d->dims[i];
  return n;
}

float nc_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: normalise */
      int e = -1;
      do { e++; man <<= 1; } while (!(man & 0x400u));
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t nc_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) /* inf or nan */
    return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
  if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* overflow */
  if (absx < 0x38800000u) { /* subnormal or zero in half */
    if (absx < 0x33000000u) return (uint16_t)sign;
    uint32_t e = absx >> 23, m = (absx & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e; /* 14 + (113 - e) */
    uint32_t half = m >> shift, rem = m & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((absx >> 13) - ((127 - 15) << 10));
  uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) half++;
  return (uint16_t)(sign | half);
}

float nc_bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t nc_f32_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
  x += 0x7fffu + ((x >> 16) & 1u); /* round to nearest even */
  return (uint16_t)(x >> 16);
}

double nc_load_f64(const void *p, int32_t dtype, int64_t i) {
  switch (dtype) {
  case NC_F32: return ((const float *)p)[i];
  case NC_F64: return ((const double *)p)[i];
  case NC_F16: return nc_f16_to_f32(((const uint16_t *)p)[i]);
  case NC_BF16: return nc_bf16_to_f32(((const uint16_t *)p)[i]);
  case NC_U8: return ((const uint8_t *)p)[i];
  case NC_BOOL: return ((const uint8_t *)p)[i] ? 1.0 : 0.0;
  case NC_S8: return ((const int8_t *)p)[i];
  case NC_U16: return ((const uint16_t *)p)[i];
  case NC_S16: return ((const int16_t *)p)[i];
  case NC_S32: return ((const int32_t *)p)[i];
  case NC_S64: return (double)((const int64_t *)p)[i];
  case NC_U32: return ((const uint32_t *)p)[i];
  case NC_U64: return (double)((const uint64_t *)p)[i];
  default: return 0.0;
  }
}

float nc_apply_act(float x, int64_t act, double alpha, double beta) {
  switch (act) {
  case NC_ACT_RELU: return x > 0.0f ? x : 0.0f;
  case NC_ACT_CLIP: return x < (float)alpha ? (float)alpha : (x > (float)beta ? (float)beta : x);
  case NC_ACT_HARDSWISH: {
    float t = x + 3.0f;
    t = t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t);
    return x * t / 6.0f;
  }
  case NC_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case NC_ACT_LEAKYRELU: return x >= 0.0f ? x : x * (float)alpha;
  case NC_ACT_SILU: return x / (1.0f + expf(-x));
  default: return x;
  }
}
