/* The tensor-wide loops of the quantization math (see neuroc/quant.h). */
#include <math.h>

#include "neuroc/quant.h"

void nc_q_multipliers(float in_scale, const float *w_scale, int per_channel, float out_scale,
                      int64_t n, float *mult) {
  for (int64_t c = 0; c < n; c++) mult[c] = nc_q_multiplier(in_scale, w_scale[per_channel ? c : 0], out_scale);
}

void nc_q_weights_s8(const float *w, int64_t channels, int64_t per, float *scale, int8_t *q) {
  for (int64_t c = 0; c < channels; c++) {
    const float *row = w + c * per;
    float amax = 0.0f;
    for (int64_t i = 0; i < per; i++)
      if (fabsf(row[i]) > amax) amax = fabsf(row[i]);
    float s = amax > 0.0f ? amax / (float)NC_Q_S8_SYM_MAX : 1.0f;
    scale[c] = s;
    for (int64_t i = 0; i < per; i++)
      q[c * per + i] = (int8_t)nc_q_quantize(row[i], s, 0, -NC_Q_S8_SYM_MAX, NC_Q_S8_SYM_MAX);
  }
}

void nc_q_params_u8(float min, float max, float *scale, int32_t *zero_point) {
  if (min > 0.0f) min = 0.0f;
  if (max < 0.0f) max = 0.0f;
  float s = (max - min) / (float)(NC_Q_U8_MAX - NC_Q_U8_MIN);
  if (!(s > 0.0f)) s = 1.0f; /* empty (all-zero) range, or NaN bounds */
  *scale = s;
  *zero_point = nc_q_round_sat((0.0f - min) / s, 0, NC_Q_U8_MIN, NC_Q_U8_MAX);
}
