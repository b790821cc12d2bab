/* Adapters of the quantized path (layer "adapter", logical dtype f32):
 * quantize f32 -> u8 and dequantize u8 -> f32 between any two of the
 * layouts NCHW, NHWC, NCHW16c (the compiler registers the pairs it uses),
 * and u8 layout changes with the same parameters. One generic element
 * loop over (n, c, pixel) serves every pair; the same-layout pairs, which
 * are plain contiguous loops, get AVX-512 versions. Quantization is ONNX
 * QuantizeLinear (true division, round half to even, saturate); the vector
 * versions give the same bytes. */
#include <string.h>

#include "int8_internal.h"

typedef enum { OP_QUANT, OP_DEQUANT, OP_COPY } adapter_op;

/* Offset of element (n, c, p) (p = pixel h * W + w) of [N, C, H, W] in layout l. */
static inline int64_t offset(int l, int64_t n, int64_t c, int64_t p, int64_t C, int64_t P) {
  switch (l) {
  case NC_LAYOUT_NHWC: return (n * P + p) * C + c;
  case NC_LAYOUT_NCHW16C: return ((n * ((C + 15) / 16) + c / 16) * P + p) * 16 + c % 16;
  default: return (n * C + c) * P + p;
  }
}

static void convert(const nc_args *a, const void *x, void *y, int from, int to, adapter_op op) {
  const nc_tdesc *xd = &a->in[0], *yd = &a->out[0];
  const int flat = xd->ndim != 4;
  const int64_t N = flat ? 1 : xd->dims[0], C = flat ? 1 : xd->dims[1];
  const int64_t P = flat ? nc_numel(xd) : xd->dims[2] * xd->dims[3];
  /* blocked output: the padded channels of the last block are zeros */
  const int64_t Cpad = to == NC_LAYOUT_NCHW16C ? (C + 15) / 16 * 16 : C;
  const float s = op == OP_QUANT ? yd->scale : xd->scale;
  const int32_t z = op == OP_QUANT ? yd->zero_point : xd->zero_point;
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < Cpad; c++)
      for (int64_t p = 0; p < P; p++) {
        int64_t di = offset(to, n, c, p, C, P);
        if (c >= C) {
          if (op == OP_DEQUANT) ((float *)y)[di] = 0.0f;
          else ((uint8_t *)y)[di] = (uint8_t)z; /* real 0 */
          continue;
        }
        int64_t si = offset(from, n, c, p, C, P);
        if (op == OP_QUANT)
          ((uint8_t *)y)[di] = (uint8_t)nc_q_quantize(((const float *)x)[si], s, z, 0, 255);
        else if (op == OP_DEQUANT)
          ((float *)y)[di] = nc_q_dequantize(((const uint8_t *)x)[si], s, z);
        else
          ((uint8_t *)y)[di] = ((const uint8_t *)x)[si];
      }
}

static int adapter_applies(const nc_args *a, int from, int to, adapter_op op) {
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  if (a->n_in != 1 || a->n_out != 1) return 0;
  if ((from != NC_LAYOUT_NCHW || to != NC_LAYOUT_NCHW) && x->ndim != 4) return 0;
  if (op == OP_QUANT) return x->dtype == NC_F32 && y->dtype == NC_U8 && y->scale > 0.0f;
  if (op == OP_DEQUANT) return x->dtype == NC_U8 && x->scale > 0.0f && y->dtype == NC_F32;
  return x->dtype == NC_U8 && y->dtype == NC_U8 && x->scale == y->scale &&
         x->zero_point == y->zero_point;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define NC_I8_ADP512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

static NC_I8_ADP512 void quantize_512(const float *x, uint8_t *y, int64_t n, float s,
                                      int32_t z) {
  const __m512 sv = _mm512_set1_ps(s), big = _mm512_set1_ps(1.0e6f), nbig = _mm512_set1_ps(-1.0e6f);
  const __m512i zv = _mm512_set1_epi32(z), lo = _mm512_setzero_si512(), hi = _mm512_set1_epi32(255);
  for (int64_t i = 0; i < n; i += 16) {
    int64_t left = n - i;
    __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
    __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), sv);
    v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v); /* NaN -> 0 */
    v = _mm512_min_ps(_mm512_max_ps(v, nbig), big);
    __m512i q = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(q, zv), lo), hi);
    _mm_mask_storeu_epi8(y + i, m, _mm512_cvtepi32_epi8(q));
  }
}

static NC_I8_ADP512 void dequantize_512(const uint8_t *x, float *y, int64_t n, float s,
                                        int32_t z) {
  const __m512 sv = _mm512_set1_ps(s);
  const __m512i zv = _mm512_set1_epi32(z);
  for (int64_t i = 0; i < n; i += 16) {
    int64_t left = n - i;
    __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
    __m512i q = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + i));
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q, zv)), sv);
    _mm512_mask_storeu_ps(y + i, m, v);
  }
}
#endif

/* One routine per (op, from, to); ISA c99 = the generic loop, avx512 = the
 * contiguous vector loop (same-layout pairs only). */
#define ADAPTER(NAME, OP, FROM, TO)                                                          \
  void nc_adapter_##NAME##_c99(const nc_args *a, const void *const *in, void *const *out,    \
                               void *s) {                                                    \
    (void)s;                                                                                 \
    convert(a, in[0], out[0], FROM, TO, OP);                                                 \
  }                                                                                          \
  int nc_adapter_##NAME##_applies(const nc_args *a) {                                        \
    return adapter_applies(a, FROM, TO, OP);                                           \
  }

#define NCHW NC_LAYOUT_NCHW
#define NHWC NC_LAYOUT_NHWC
#define B16 NC_LAYOUT_NCHW16C
ADAPTER(quantize_nchw_nhwc, OP_QUANT, NCHW, NHWC)
ADAPTER(quantize_nhwc_nchw, OP_QUANT, NHWC, NCHW)
ADAPTER(quantize_nchw_nchw, OP_QUANT, NCHW, NCHW)
ADAPTER(quantize_nhwc_nhwc, OP_QUANT, NHWC, NHWC)
ADAPTER(quantize_nchw16c_nhwc, OP_QUANT, B16, NHWC)
ADAPTER(quantize_nhwc_nchw16c, OP_QUANT, NHWC, B16)
ADAPTER(dequantize_nchw_nhwc, OP_DEQUANT, NCHW, NHWC)
ADAPTER(dequantize_nhwc_nchw, OP_DEQUANT, NHWC, NCHW)
ADAPTER(dequantize_nchw_nchw, OP_DEQUANT, NCHW, NCHW)
ADAPTER(dequantize_nhwc_nhwc, OP_DEQUANT, NHWC, NHWC)
ADAPTER(dequantize_nchw16c_nhwc, OP_DEQUANT, B16, NHWC)
ADAPTER(dequantize_nhwc_nchw16c, OP_DEQUANT, NHWC, B16)
ADAPTER(u8_nchw_nhwc, OP_COPY, NCHW, NHWC)
ADAPTER(u8_nhwc_nchw, OP_COPY, NHWC, NCHW)

#if defined(__x86_64__)
#define ADAPTER512(NAME, FN, TI, TO, Q)                                                      \
  void nc_adapter_##NAME##_avx512(const nc_args *a, const void *const *in, void *const *out, \
                                  void *s) {                                                 \
    (void)s;                                                                                 \
    const nc_tdesc *q = Q;                                                                   \
    FN((const TI *)in[0], (TO *)out[0], nc_numel(&a->in[0]), q->scale, q->zero_point);       \
  }
ADAPTER512(quantize_nchw_nchw, quantize_512, float, uint8_t, &a->out[0])
ADAPTER512(quantize_nhwc_nhwc, quantize_512, float, uint8_t, &a->out[0])
ADAPTER512(dequantize_nchw_nchw, dequantize_512, uint8_t, float, &a->in[0])
ADAPTER512(dequantize_nhwc_nhwc, dequantize_512, uint8_t, float, &a->in[0])
#endif
