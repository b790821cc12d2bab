/* Adapters of the quantized path (layer "adapter", logical dtype f32):
 * quantize f32 -> u8 and dequantize u8 -> f32 between the layouts NCHW,
 * NHWC, NCHW16c and NCHW8c (the pairs of NC_I8_ADAPTER_PAIRS), and u8
 * layout changes with the same parameters. The portable routines share one
 * generic element loop over (n, c, pixel). The AVX-512 routines convert
 * contiguous runs 16 lanes at a time: same-layout pairs are one run;
 * blocked <-> NHWC pairs convert one channel block of one pixel per vector;
 * NCHW <-> NHWC pairs go through a 64 x 64 tile in which the conversion runs
 * contiguously and the transpose is done on the u8 side (a quarter of the
 * f32 bytes). Quantization is ONNX QuantizeLinear (true division, round half
 * to even, saturate); the vector versions give the same bytes. */
#include <string.h>

#include "int8_internal.h"

typedef enum { OP_QUANT, OP_DEQUANT, OP_COPY } adapter_op;

/* Offset of element (n, c, p) (p = pixel h * W + w) of [N, C, H, W] in layout l. */
static inline int64_t offset(int l, int64_t n, int64_t c, int64_t p, int64_t C, int64_t P) {
  switch (l) {
  case NC_LAYOUT_NHWC: return (n * P + p) * C + c;
  case NC_LAYOUT_NCHW16C: return ((n * ((C + 15) / 16) + c / 16) * P + p) * 16 + c % 16;
  case NC_LAYOUT_NCHW8C: return ((n * ((C + 7) / 8) + c / 8) * P + p) * 8 + c % 8;
  default: return (n * C + c) * P + p;
  }
}

static void convert(const nc_args *a, const void *x, void *y, int from, int to, adapter_op op) {
  const nc_tdesc *xd = &a->in[0], *yd = &a->out[0];
  const int flat = xd->ndim != 4;
  const int64_t N = flat ? 1 : xd->dims[0], C = flat ? 1 : xd->dims[1];
  const int64_t P = flat ? nc_numel(xd) : xd->dims[2] * xd->dims[3];
  /* blocked output: the padded channels of the last block are zeros */
  const int64_t Cpad = to == NC_LAYOUT_NCHW16C  ? (C + 15) / 16 * 16
                       : to == NC_LAYOUT_NCHW8C ? (C + 7) / 8 * 8
                                                : C;
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

/* One portable routine per (name, op, from, to): the generic loop. */
#define ADAPTER(NAME, OP, FROM, TO)                                                          \
  void nc_adapter_##NAME##_c99(const nc_args *a, const void *const *in, void *const *out,    \
                               void *s) {                                                    \
    (void)s;                                                                                 \
    convert(a, in[0], out[0], NC_LAYOUT_##FROM, NC_LAYOUT_##TO, OP_##OP);                    \
  }                                                                                          \
  int nc_adapter_##NAME##_applies(const nc_args *a) {                                        \
    return adapter_applies(a, NC_LAYOUT_##FROM, NC_LAYOUT_##TO, OP_##OP);                    \
  }
NC_I8_ADAPTER_PAIRS(ADAPTER)

#if defined(__x86_64__)
#include <immintrin.h>

#define NC_I8_ADP512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

/* Conversion parameters of one adapter call. */
typedef struct qparams {
  float s;
  int32_t z;
} qparams;

static inline NC_I8_ADP512 __mmask16 lanes(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* 16 lanes (mask m) of f32 -> u8: x / s rounded half to even, + z, saturated.
 * Lanes outside m read 0.0, which quantizes to z (the real 0). */
static inline NC_I8_ADP512 __m128i quant16(const float *x, __mmask16 m, qparams q) {
  __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x), _mm512_set1_ps(q.s));
  v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v); /* NaN -> 0 */
  v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-1.0e6f)), _mm512_set1_ps(1.0e6f));
  __m512i r = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_add_epi32(r, _mm512_set1_epi32(q.z));
  r = _mm512_min_epi32(_mm512_max_epi32(r, _mm512_setzero_si512()), _mm512_set1_epi32(255));
  return _mm512_cvtepi32_epi8(r);
}

/* 16 lanes (mask m) of u8 -> f32: (q - z) * s; lanes outside m give 0.0. */
static inline NC_I8_ADP512 __m512 dequant16(const uint8_t *x, __mmask16 m, qparams q) {
  __m512i v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x));
  __m512 r = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(v, _mm512_set1_epi32(q.z))),
                           _mm512_set1_ps(q.s));
  return _mm512_maskz_mov_ps(m, r);
}

static NC_I8_ADP512 void quantize_run(const float *x, uint8_t *y, int64_t n, qparams q) {
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = lanes(n - i);
    _mm_mask_storeu_epi8(y + i, m, quant16(x + i, m, q));
  }
}

static NC_I8_ADP512 void dequantize_run(const uint8_t *x, float *y, int64_t n, qparams q) {
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = lanes(n - i);
    _mm512_mask_storeu_ps(y + i, m, dequant16(x + i, m, q));
  }
}

/* Geometry of a rank-4 adapter call: N images of C channels x P pixels. */
typedef struct geom {
  int64_t n, c, p;
} geom;

static geom geom_of(const nc_tdesc *x) {
  geom g = {x->dims[0], x->dims[1], x->dims[2] * x->dims[3]};
  return g;
}

/* ---- blocked (B = 8 or 16 channels per block) <-> NHWC ---- */

static NC_I8_ADP512 void quant_blocked_nhwc(geom g, int b, const float *x, uint8_t *y,
                                            qparams q) {
  const int64_t cb = (g.c + b - 1) / b;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t p = 0; p < g.p; p++)
      for (int64_t k = 0; k < cb; k++) {
        __mmask16 m = lanes(g.c - k * b < b ? g.c - k * b : b);
        const float *src = x + ((n * cb + k) * g.p + p) * b;
        _mm_mask_storeu_epi8(y + (n * g.p + p) * g.c + k * b, m, quant16(src, m, q));
      }
}

static NC_I8_ADP512 void dequant_blocked_nhwc(geom g, int b, const uint8_t *x, float *y,
                                              qparams q) {
  const int64_t cb = (g.c + b - 1) / b;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t p = 0; p < g.p; p++)
      for (int64_t k = 0; k < cb; k++) {
        __mmask16 m = lanes(g.c - k * b < b ? g.c - k * b : b);
        const uint8_t *src = x + ((n * cb + k) * g.p + p) * b;
        _mm512_mask_storeu_ps(y + (n * g.p + p) * g.c + k * b, m, dequant16(src, m, q));
      }
}

/* The padded channels of the last block get the real 0: z (quantize; the
 * masked load reads 0.0) or 0.0 (dequantize; dequant16 zeroes them). */
static NC_I8_ADP512 void quant_nhwc_blocked(geom g, int b, const float *x, uint8_t *y,
                                            qparams q) {
  const int64_t cb = (g.c + b - 1) / b;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t k = 0; k < cb; k++)
      for (int64_t p = 0; p < g.p; p++) {
        __mmask16 m = lanes(g.c - k * b < b ? g.c - k * b : b);
        __m128i v = quant16(x + (n * g.p + p) * g.c + k * b, m, q);
        _mm_mask_storeu_epi8(y + ((n * cb + k) * g.p + p) * b, lanes(b), v);
      }
}

static NC_I8_ADP512 void dequant_nhwc_blocked(geom g, int b, const uint8_t *x, float *y,
                                              qparams q) {
  const int64_t cb = (g.c + b - 1) / b;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t k = 0; k < cb; k++)
      for (int64_t p = 0; p < g.p; p++) {
        __mmask16 m = lanes(g.c - k * b < b ? g.c - k * b : b);
        __m512 v = dequant16(x + (n * g.p + p) * g.c + k * b, m, q);
        _mm512_mask_storeu_ps(y + ((n * cb + k) * g.p + p) * b, lanes(b), v);
      }
}

/* ---- NCHW <-> NHWC through u8 tiles ---- */

#define TILE 64

/* d[j * ldd + i] = s[i * lds + j] for i < rows, j < cols. */
static void transpose_u8(const uint8_t *s, int64_t lds, uint8_t *d, int64_t ldd, int64_t rows,
                         int64_t cols) {
  for (int64_t i0 = 0; i0 < rows; i0 += 16)
    for (int64_t j0 = 0; j0 < cols; j0 += 16) {
      int64_t ie = i0 + 16 < rows ? i0 + 16 : rows, je = j0 + 16 < cols ? j0 + 16 : cols;
      for (int64_t j = j0; j < je; j++)
        for (int64_t i = i0; i < ie; i++) d[j * ldd + i] = s[i * lds + j];
    }
}

typedef enum { DIR_CHW_HWC, DIR_HWC_CHW } direction;

/* One image: a C x P (NCHW) or P x C (NHWC) matrix, moved to the other
 * orientation in TILE x TILE tiles; op converts in the source orientation
 * (quantize: before the transpose) or the destination one (dequantize). */
static NC_I8_ADP512 void tiled(geom g, direction dir, adapter_op op, const void *x, void *y,
                               qparams q) {
  uint8_t tile[TILE * TILE];
  /* rows x cols of the source matrix */
  const int64_t rows = dir == DIR_CHW_HWC ? g.c : g.p, cols = dir == DIR_CHW_HWC ? g.p : g.c;
  const int64_t img = g.c * g.p;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t r0 = 0; r0 < rows; r0 += TILE)
      for (int64_t c0 = 0; c0 < cols; c0 += TILE) {
        const int64_t tr = rows - r0 < TILE ? rows - r0 : TILE,
                      tc = cols - c0 < TILE ? cols - c0 : TILE;
        const int64_t src = n * img + r0 * cols + c0, dst = n * img + c0 * rows + r0;
        if (op == OP_COPY) {
          transpose_u8((const uint8_t *)x + src, cols, (uint8_t *)y + dst, rows, tr, tc);
        } else if (op == OP_QUANT) {
          for (int64_t i = 0; i < tr; i++)
            quantize_run((const float *)x + src + i * cols, tile + i * TILE, tc, q);
          transpose_u8(tile, TILE, (uint8_t *)y + dst, rows, tr, tc);
        } else {
          transpose_u8((const uint8_t *)x + src, cols, tile, TILE, tr, tc);
          for (int64_t j = 0; j < tc; j++)
            dequantize_run(tile + j * TILE, (float *)y + dst + j * rows, tr, q);
        }
      }
}

/* ---- the routines ---- */

static qparams params_of(const nc_args *a, adapter_op op) {
  const nc_tdesc *d = op == OP_QUANT ? &a->out[0] : &a->in[0];
  qparams q = {d->scale, d->zero_point};
  return q;
}

static NC_I8_ADP512 void convert_512(const nc_args *a, const void *x, void *y, int from, int to,
                                     adapter_op op) {
  const qparams q = params_of(a, op);
  if (from == to) { /* one contiguous run (any rank) */
    if (op == OP_QUANT) quantize_run(x, y, nc_numel(&a->in[0]), q);
    else dequantize_run(x, y, nc_numel(&a->in[0]), q);
    return;
  }
  const geom g = geom_of(&a->in[0]);
  const int bf = from == NC_LAYOUT_NCHW16C ? 16 : from == NC_LAYOUT_NCHW8C ? 8 : 0;
  const int bt = to == NC_LAYOUT_NCHW16C ? 16 : to == NC_LAYOUT_NCHW8C ? 8 : 0;
  if (bf && op == OP_QUANT) quant_blocked_nhwc(g, bf, x, y, q);
  else if (bf) dequant_blocked_nhwc(g, bf, x, y, q);
  else if (bt && op == OP_QUANT) quant_nhwc_blocked(g, bt, x, y, q);
  else if (bt) dequant_nhwc_blocked(g, bt, x, y, q);
  else tiled(g, from == NC_LAYOUT_NCHW ? DIR_CHW_HWC : DIR_HWC_CHW, op, x, y, q);
}

#define ADAPTER512(NAME, OP, FROM, TO)                                                       \
  void nc_adapter_##NAME##_avx512(const nc_args *a, const void *const *in, void *const *out, \
                                  void *s) {                                                 \
    (void)s;                                                                                 \
    convert_512(a, in[0], out[0], NC_LAYOUT_##FROM, NC_LAYOUT_##TO, OP_##OP);                \
  }
NC_I8_ADAPTER_PAIRS(ADAPTER512)
#endif
