/* Quantization math shared by every quantized routine (the ONNX quantization
 * operators' references, the int8 kernels, the calibration code). The
 * convention throughout is ONNX's linear quantization:
 *
 *     real = scale * (q - zero_point)      q = saturate(round(real / scale) + zero_point)
 *
 * with round = round to nearest, ties to even, and saturate = clamp to the
 * range of the storage type (u8 [0, 255], s8 [-128, 127], s32).
 *
 * The scalar helpers are static inline so that kernels inline them in their
 * epilogues; the loops over whole tensors live in runtime-min/src/quant_math.c.
 * Plain C99, no allocation. */
#ifndef NEUROC_QUANT_H
#define NEUROC_QUANT_H

#include <math.h>
#include <stdint.h>

#define NC_Q_U8_MIN 0
#define NC_Q_U8_MAX 255
#define NC_Q_S8_MIN (-128)
#define NC_Q_S8_MAX 127
/* Symmetric s8 weights use [-127, 127] so that negation never saturates. */
#define NC_Q_S8_SYM_MAX 127

/* Round to nearest, ties to even, whatever the FPU rounding mode is (the
 * emitted code may run with a caller's mode). NaN gives 0: a quantized
 * tensor has no NaN, and converting NaN to an integer is undefined. */
static inline float nc_q_round_even(float x) {
  if (x != x) return 0.0f;
  float f = floorf(x), d = x - f; /* exact: x and floor(x) share the exponent range */
  if (d > 0.5f) return f + 1.0f;
  if (d < 0.5f) return f;
  return fmodf(f, 2.0f) == 0.0f ? f : f + 1.0f;
}

/* Clamp an integer to [lo, hi]. */
static inline int32_t nc_q_clamp(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

/* round_even(x) + zp saturated to [lo, hi]. Clamps in float first so that
 * huge values and infinities never reach an out-of-range integer cast. */
static inline int32_t nc_q_round_sat(float x, int32_t zp, int32_t lo, int32_t hi) {
  float r = nc_q_round_even(x);
  if (r <= (float)INT32_MIN) r = (float)INT32_MIN;
  if (r >= 2147483520.0f) r = 2147483520.0f; /* largest float below 2^31 */
  return nc_q_clamp((int64_t)r + zp, lo, hi);
}

static inline uint8_t nc_q_sat_u8(int64_t v) {
  return (uint8_t)nc_q_clamp(v, NC_Q_U8_MIN, NC_Q_U8_MAX);
}
static inline int8_t nc_q_sat_s8(int64_t v) {
  return (int8_t)nc_q_clamp(v, NC_Q_S8_MIN, NC_Q_S8_MAX);
}
static inline int32_t nc_q_sat_s32(int64_t v) {
  return nc_q_clamp(v, INT32_MIN, INT32_MAX);
}

/* One value, as ONNX QuantizeLinear: x / scale (a true division, as the
 * spec writes it; multiplying by 1/scale rounds differently at ties). */
static inline int32_t nc_q_quantize(float x, float scale, int32_t zp, int32_t lo, int32_t hi) {
  return nc_q_round_sat(x / scale, zp, lo, hi);
}

static inline float nc_q_dequantize(int32_t q, float scale, int32_t zp) {
  return (float)((int64_t)q - zp) * scale;
}

/* Requantization of an int32 accumulator (sum of (x - x_zp) * (w - w_zp))
 * to the output's storage: round_even(acc * multiplier) + out_zp, saturated.
 * multiplier = x_scale * w_scale[c] / out_scale, per output channel c; see
 * nc_q_multipliers. The product is taken in float, as ONNX Runtime does. */
static inline int32_t nc_q_requantize(int32_t acc, float multiplier, int32_t out_zp, int32_t lo,
                                      int32_t hi) {
  return nc_q_round_sat((float)acc * multiplier, out_zp, lo, hi);
}

/* The requantization multiplier of one output channel. */
static inline float nc_q_multiplier(float in_scale, float w_scale, float out_scale) {
  return in_scale * w_scale / out_scale;
}

/* mult[c] = in_scale * w_scale[c or 0] / out_scale for c < n; w_scale has n
 * values when per_channel, else one. */
void nc_q_multipliers(float in_scale, const float *w_scale, int per_channel, float out_scale,
                      int64_t n, float *mult);

/* Per-output-channel symmetric s8 weights: w is [channels][per] row-major;
 * scale[c] = max|w[c]| / 127 (1 for an all-zero channel, so dequantization
 * stays exact), q = round_even(w / scale[c]) clamped to [-127, 127]. */
void nc_q_weights_s8(const float *w, int64_t channels, int64_t per, float *scale, int8_t *q);

/* Per-tensor asymmetric u8 parameters for activations in [min, max]: the
 * range is first widened to include 0 (so real 0 is exactly representable,
 * as zero padding needs), scale = (max - min) / 255 (1 when the range is
 * empty), zero_point = round_even(-min / scale) clamped to [0, 255]. The
 * same rule as ONNX DynamicQuantizeLinear. */
void nc_q_params_u8(float min, float max, float *scale, int32_t *zero_point);

#endif
