/* Quantization math (neuroc/quant.h, runtime-min/src/quant_math.c) against
 * hand-computed values: ties to even both ways, saturation at both ends,
 * requantization, per-channel weight scales, activation parameters. */
#include <criterion/criterion.h>
#include <fenv.h>
#include <math.h>

#include "neuroc/quant.h"

Test(quant_math, round_half_to_even) {
  /* ties go to the even neighbour, up or down */
  cr_expect_eq(nc_q_round_even(0.5f), 0.0f);
  cr_expect_eq(nc_q_round_even(1.5f), 2.0f);
  cr_expect_eq(nc_q_round_even(2.5f), 2.0f);
  cr_expect_eq(nc_q_round_even(3.5f), 4.0f);
  cr_expect_eq(nc_q_round_even(-0.5f), 0.0f);
  cr_expect_eq(nc_q_round_even(-1.5f), -2.0f);
  cr_expect_eq(nc_q_round_even(-2.5f), -2.0f);
  cr_expect_eq(nc_q_round_even(-3.5f), -4.0f);
  /* not ties: nearest */
  cr_expect_eq(nc_q_round_even(2.4999998f), 2.0f);
  cr_expect_eq(nc_q_round_even(0.49999997f), 0.0f); /* floor(x + 0.5) would give 1 */
  cr_expect_eq(nc_q_round_even(2.6f), 3.0f);
  cr_expect_eq(nc_q_round_even(-2.6f), -3.0f);
  cr_expect_eq(nc_q_round_even(-2.4f), -2.0f);
  cr_expect_eq(nc_q_round_even(16777216.0f), 16777216.0f);
  cr_expect_eq(nc_q_round_even(NAN), 0.0f);
}

Test(quant_math, rounding_ignores_fpu_mode) {
  int old = fegetround();
  fesetround(FE_UPWARD);
  float r1 = nc_q_round_even(2.5f), r2 = nc_q_round_even(-3.5f);
  fesetround(FE_DOWNWARD);
  float r3 = nc_q_round_even(1.5f);
  fesetround(old);
  cr_expect_eq(r1, 2.0f);
  cr_expect_eq(r2, -4.0f);
  cr_expect_eq(r3, 2.0f);
}

Test(quant_math, saturation_both_ends) {
  cr_expect_eq(nc_q_sat_u8(-1), 0);
  cr_expect_eq(nc_q_sat_u8(0), 0);
  cr_expect_eq(nc_q_sat_u8(255), 255);
  cr_expect_eq(nc_q_sat_u8(256), 255);
  cr_expect_eq(nc_q_sat_s8(-129), -128);
  cr_expect_eq(nc_q_sat_s8(-128), -128);
  cr_expect_eq(nc_q_sat_s8(127), 127);
  cr_expect_eq(nc_q_sat_s8(128), 127);
  cr_expect_eq(nc_q_sat_s32((int64_t)1 << 40), INT32_MAX);
  cr_expect_eq(nc_q_sat_s32(-((int64_t)1 << 40)), INT32_MIN);
  cr_expect_eq(nc_q_sat_s32(-5), -5);
  /* float side: infinities and huge values clamp instead of overflowing a cast */
  cr_expect_eq(nc_q_round_sat(INFINITY, 0, -128, 127), 127);
  cr_expect_eq(nc_q_round_sat(-INFINITY, 0, -128, 127), -128);
  cr_expect_eq(nc_q_round_sat(1e30f, 3, 0, 255), 255);
  cr_expect_eq(nc_q_round_sat(-1e30f, 3, 0, 255), 0);
}

Test(quant_math, quantize_dequantize_values) {
  /* y = sat(round(x / s) + zp) */
  cr_expect_eq(nc_q_quantize(2.5f, 1.0f, 0, 0, 255), 2);
  cr_expect_eq(nc_q_quantize(3.5f, 1.0f, 0, 0, 255), 4);
  cr_expect_eq(nc_q_quantize(-1.0f, 0.5f, 128, 0, 255), 126);
  cr_expect_eq(nc_q_quantize(300.0f, 1.0f, 0, 0, 255), 255);
  cr_expect_eq(nc_q_quantize(-1.0f, 1.0f, 0, 0, 255), 0);
  cr_expect_eq(nc_q_quantize(-200.0f, 1.0f, 0, -128, 127), -128);
  cr_expect_eq(nc_q_quantize(200.0f, 1.0f, 0, -128, 127), 127);
  /* 1 / 0.5 + 10 = 12; -1.25 / 0.5 = -2.5 -> -2, + 10 = 8 */
  cr_expect_eq(nc_q_quantize(1.0f, 0.5f, 10, -128, 127), 12);
  cr_expect_eq(nc_q_quantize(-1.25f, 0.5f, 10, -128, 127), 8);
  /* real = s * (q - zp) */
  cr_expect_eq(nc_q_dequantize(0, 0.5f, 128), -64.0f);
  cr_expect_eq(nc_q_dequantize(255, 0.5f, 128), 63.5f);
  cr_expect_eq(nc_q_dequantize(-128, 0.25f, 0), -32.0f);
}

Test(quant_math, requantize_accumulator) {
  /* 1000 * 0.125 = 125 exactly; + zp 3 */
  cr_expect_eq(nc_q_requantize(1000, 0.125f, 3, 0, 255), 128);
  /* ties: 20 * 0.125 = 2.5 -> 2, 28 * 0.125 = 3.5 -> 4, -20 * 0.125 = -2.5 -> -2 */
  cr_expect_eq(nc_q_requantize(20, 0.125f, 0, -128, 127), 2);
  cr_expect_eq(nc_q_requantize(28, 0.125f, 0, -128, 127), 4);
  cr_expect_eq(nc_q_requantize(-20, 0.125f, 0, -128, 127), -2);
  /* saturation of the requantized value */
  cr_expect_eq(nc_q_requantize(100000, 0.25f, 0, 0, 255), 255);
  cr_expect_eq(nc_q_requantize(-100000, 0.25f, 0, -128, 127), -128);
  cr_expect_eq(nc_q_requantize(-100, 0.25f, 20, 0, 255), 0);
}

Test(quant_math, per_channel_multipliers) {
  const float ws[2] = {0.125f, 0.5f};
  float m[2];
  /* 0.5 * w / 0.25 = 2 * w */
  nc_q_multipliers(0.5f, ws, 1, 0.25f, 2, m);
  cr_expect_eq(m[0], 0.25f);
  cr_expect_eq(m[1], 1.0f);
  nc_q_multipliers(0.5f, ws, 0, 0.25f, 2, m); /* per tensor: w_scale[0] for all */
  cr_expect_eq(m[0], 0.25f);
  cr_expect_eq(m[1], 0.25f);
  /* a per-channel requantization: channel 1 gets 4x channel 0's value */
  nc_q_multipliers(0.5f, ws, 1, 0.25f, 2, m);
  cr_expect_eq(nc_q_requantize(40, m[0], 0, -128, 127), 10);
  cr_expect_eq(nc_q_requantize(40, m[1], 0, -128, 127), 40);
}

Test(quant_math, symmetric_s8_weights_per_channel) {
  /* channel 0: max|w| = 127 -> scale 1; channel 1 all zero -> scale 1;
   * channel 2: max|w| = 254 -> scale 2 */
  const float w[3][4] = {{127.0f, -63.5f, 62.5f, 0.4f},
                         {0.0f, 0.0f, 0.0f, 0.0f},
                         {-254.0f, 1.0f, 3.0f, 255.0f}};
  float scale[3];
  int8_t q[12];
  nc_q_weights_s8(&w[0][0], 3, 4, scale, q);
  cr_expect_eq(scale[0], 1.0f);
  cr_expect_eq(scale[1], 1.0f);
  cr_expect_eq(scale[2], 255.0f / 127.0f);
  const int8_t e0[4] = {127, -64, 62, 0};
  for (int i = 0; i < 4; i++) cr_expect_eq(q[i], e0[i], "q[0][%d] = %d", i, q[i]);
  for (int i = 4; i < 8; i++) cr_expect_eq(q[i], 0);
  /* channel 2 scale 255/127: -254 -> -126.502 -> -127; 1 -> 0.498 -> 0;
   * 3 -> 1.494 -> 1; 255 -> 127 */
  cr_expect_eq(q[8], -127);
  cr_expect_eq(q[9], 0);
  cr_expect_eq(q[10], 1);
  cr_expect_eq(q[11], 127);
}

Test(quant_math, symmetric_s8_never_uses_minus_128) {
  const float w[2] = {-1.0f, 1.0f};
  float s;
  int8_t q[2];
  nc_q_weights_s8(w, 1, 2, &s, q);
  cr_expect_eq(q[0], -127);
  cr_expect_eq(q[1], 127);
}

Test(quant_math, asymmetric_u8_activation_params) {
  float s;
  int32_t zp;
  /* [-1, 3]: scale 4/255, zp = round(1 / (4/255)) = round(63.75) = 64 */
  nc_q_params_u8(-1.0f, 3.0f, &s, &zp);
  cr_expect_float_eq(s, 4.0f / 255.0f, 1e-9);
  cr_expect_eq(zp, 64);
  /* range widened to include 0: [2, 6] -> [0, 6], zp 0 */
  nc_q_params_u8(2.0f, 6.0f, &s, &zp);
  cr_expect_float_eq(s, 6.0f / 255.0f, 1e-9);
  cr_expect_eq(zp, 0);
  /* [-6, -2] -> [-6, 0]: zp at the top, clamped to 255 */
  nc_q_params_u8(-6.0f, -2.0f, &s, &zp);
  cr_expect_float_eq(s, 6.0f / 255.0f, 1e-9);
  cr_expect_eq(zp, 255);
  /* [-2.55, 0.0] with scale 0.01: zp = 255 */
  nc_q_params_u8(-2.55f, 0.0f, &s, &zp);
  cr_expect_eq(zp, 255);
  /* empty range: scale 1, zp 0 (no division by zero) */
  nc_q_params_u8(0.0f, 0.0f, &s, &zp);
  cr_expect_eq(s, 1.0f);
  cr_expect_eq(zp, 0);
  /* real 0 is exactly representable: quantize(0) == zp */
  nc_q_params_u8(-0.7f, 12.3f, &s, &zp);
  cr_expect_eq(nc_q_quantize(0.0f, s, zp, 0, 255), zp);
  cr_expect_eq(nc_q_dequantize(zp, s, zp), 0.0f);
}

Test(quant_math, clamp_helper) {
  cr_expect_eq(nc_q_clamp(-7, -5, 5), -5);
  cr_expect_eq(nc_q_clamp(7, -5, 5), 5);
  cr_expect_eq(nc_q_clamp(3, -5, 5), 3);
}
