/* Activations in float32x4 registers, shared by the NEON routines
 * (neon_gemm.c, neon_dw.c, neon_blocked.c). Only the activations that are
 * one or two NEON ops run here; the others (sigmoid, SiLU, HardSwish) go
 * through nc_apply_act so they match the reference exactly. aarch64 only. */
#ifndef NC_NEON_ACT_H
#define NC_NEON_ACT_H

#if defined(__aarch64__)
#include <arm_neon.h>
#include <stdint.h>

#include "nn_internal.h"

/* Whether nc_neon_act_vec computes `act` (else use nc_apply_act per lane). */
static inline int nc_neon_act_in_vector(int64_t act) {
  return act == NC_ACT_NONE || act == NC_ACT_RELU || act == NC_ACT_CLIP ||
         act == NC_ACT_LEAKYRELU;
}

/* v with `act` applied; unchanged for the activations it does not compute. */
static inline float32x4_t nc_neon_act_vec(float32x4_t v, int64_t act, float alpha, float beta) {
  switch (act) {
  case NC_ACT_RELU: return vmaxq_f32(v, vdupq_n_f32(0.0f));
  case NC_ACT_CLIP: return vminq_f32(vmaxq_f32(v, vdupq_n_f32(alpha)), vdupq_n_f32(beta));
  case NC_ACT_LEAKYRELU: {
    uint32x4_t neg = vcltq_f32(v, vdupq_n_f32(0.0f));
    return vbslq_f32(neg, vmulq_f32(v, vdupq_n_f32(alpha)), v);
  }
  default: return v;
  }
}
#endif

#endif
