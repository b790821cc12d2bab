/* Portable references of the ONNX quantization operators:
 *  QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear — per tensor or per
 *    axis, round half to even, saturation (quant math in neuroc/quant.h);
 *  ConvInteger, QLinearConv — direct convolution (1-D..3-D, groups, pads,
 *    dilations) with int32 accumulation of (x - x_zp) * (w - w_zp); padding
 *    contributes 0, i.e. pads with the zero point, as ONNX does;
 *  MatMulInteger, QLinearMatMul — numpy matmul with batch broadcasting.
 * Accumulators wrap modulo 2^32 as ONNX's int32 accumulation does; they are
 * summed in int64 so that the wrap is not signed-overflow UB in C.
 * Argument layouts: neuroc/args_quant.h. */
#include <string.h>

#include "neuroc/args_quant.h"
#include "neuroc/quant.h"
#include "nn_internal.h"

/* ---------------- element access by dtype ---------------- */

static int32_t load_int(const void *p, int32_t dt, int64_t i) {
  switch (dt) {
  case NC_U8: return ((const uint8_t *)p)[i];
  case NC_S8: return ((const int8_t *)p)[i];
  case NC_U16: return ((const uint16_t *)p)[i];
  case NC_S16: return ((const int16_t *)p)[i];
  case NC_S32: return ((const int32_t *)p)[i];
  default: return 0;
  }
}

/* Saturation range of a quantized storage dtype. */
static void q_range(int32_t dt, int32_t *lo, int32_t *hi) {
  switch (dt) {
  case NC_S8: *lo = NC_Q_S8_MIN; *hi = NC_Q_S8_MAX; return;
  case NC_U16: *lo = 0; *hi = 65535; return;
  case NC_S16: *lo = -32768; *hi = 32767; return;
  case NC_S32: *lo = INT32_MIN; *hi = INT32_MAX; return;
  default: *lo = NC_Q_U8_MIN; *hi = NC_Q_U8_MAX; return;
  }
}

static void store_int(void *p, int32_t dt, int64_t i, int32_t v) {
  switch (dt) {
  case NC_U8: ((uint8_t *)p)[i] = (uint8_t)v; return;
  case NC_S8: ((int8_t *)p)[i] = (int8_t)v; return;
  case NC_U16: ((uint16_t *)p)[i] = (uint16_t)v; return;
  case NC_S16: ((int16_t *)p)[i] = (int16_t)v; return;
  default: ((int32_t *)p)[i] = v; return;
  }
}

/* A quantization parameter (scale or zero point): input `idx`, one value for
 * the whole tensor or one per index `c`. A zero point that is left out reads 0. */
static int32_t zp_at(const nc_args *a, const void *const *in, int idx, int64_t c) {
  if (idx < 0 || !nc_nn_has_in(a, idx)) return 0;
  return load_int(in[idx], a->in[idx].dtype, nc_numel(&a->in[idx]) > 1 ? c : 0);
}
static float scale_at(const nc_args *a, const void *const *in, int idx, int64_t c) {
  const float *s = in[idx];
  return s[nc_numel(&a->in[idx]) > 1 ? c : 0];
}

/* x viewed as [outer][channels along AXIS][inner]. */
static void axis_view(const nc_args *a, int64_t *outer, int64_t *ch, int64_t *inner) {
  const nc_tdesc *x = &a->in[0];
  int axis = (int)nc_nn_ia(a, NC_QLINEAR_IA_AXIS, 1);
  if (axis >= x->ndim) axis = x->ndim - 1; /* scalar x: everything is one channel */
  *outer = *ch = *inner = 1;
  for (int d = 0; d < x->ndim; d++) {
    int64_t v = x->dims[d];
    if (d < axis) *outer *= v;
    else if (d == axis) *ch = v;
    else *inner *= v;
  }
}

/* ---------------- QuantizeLinear / DequantizeLinear ---------------- */

void nc_quantizelinear_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                        void *const *out, void *scratch) {
  (void)scratch;
  const float *x = in[0];
  const int32_t ydt = a->out[0].dtype;
  int32_t lo, hi;
  q_range(ydt, &lo, &hi);
  int64_t outer, ch, inner;
  axis_view(a, &outer, &ch, &inner);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t c = 0; c < ch; c++) {
      const float s = scale_at(a, in, 1, c);
      const int32_t zp = zp_at(a, in, 2, c);
      const int64_t base = (o * ch + c) * inner;
      for (int64_t i = 0; i < inner; i++)
        store_int(out[0], ydt, base + i, nc_q_quantize(x[base + i], s, zp, lo, hi));
    }
}

void nc_dequantizelinear_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                          void *const *out, void *scratch) {
  (void)scratch;
  const int32_t xdt = a->in[0].dtype;
  float *y = out[0];
  int64_t outer, ch, inner;
  axis_view(a, &outer, &ch, &inner);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t c = 0; c < ch; c++) {
      const float s = scale_at(a, in, 1, c);
      const int32_t zp = zp_at(a, in, 2, c);
      const int64_t base = (o * ch + c) * inner;
      for (int64_t i = 0; i < inner; i++)
        y[base + i] = nc_q_dequantize(load_int(in[0], xdt, base + i), s, zp);
    }
}

/* ---------------- DynamicQuantizeLinear ---------------- */

void nc_dynamicquantizelinear_ref_f32_nchw_c99(const nc_args *a, const void *const *in,
                                               void *const *out, void *scratch) {
  (void)scratch;
  const float *x = in[0];
  const int64_t n = nc_numel(&a->in[0]);
  float mn = 0.0f, mx = 0.0f;
  for (int64_t i = 0; i < n; i++) {
    if (x[i] < mn) mn = x[i];
    if (x[i] > mx) mx = x[i];
  }
  float scale;
  int32_t zp;
  nc_q_params_u8(mn, mx, &scale, &zp);
  uint8_t *y = out[0];
  for (int64_t i = 0; i < n; i++)
    y[i] = (uint8_t)nc_q_quantize(x[i], scale, zp, NC_Q_U8_MIN, NC_Q_U8_MAX);
  if (nc_nn_has_out(a, 1)) *(float *)out[1] = scale;
  if (nc_nn_has_out(a, 2)) *(uint8_t *)out[2] = (uint8_t)zp;
}

/* ---------------- ConvInteger / QLinearConv ---------------- */

/* Where a conv's operands sit among the routine inputs. */
typedef struct qconv_io {
  int x, w, x_zp, w_zp, bias; /* input indices; -1 = not an input of this layer */
} qconv_io;

/* acc[m-plane] of output (n, m): sum of (x - x_zp) * (w - w_zp[m]) over the
 * window, wrapped to int32. */
static void qconv_plane(const nc_args *a, const void *const *in, const nc_conv_geom *g,
                        const qconv_io *io, int64_t n, int64_t m, int32_t *acc) {
  const nc_tdesc *xd = &a->in[io->x], *wd = &a->in[io->w];
  const int32_t xzp = zp_at(a, in, io->x_zp, 0), wzp = zp_at(a, in, io->w_zp, m);
  const int64_t grp = m / g->cout_g, isz = g->in[0] * g->in[1] * g->in[2];
  const int64_t ksz = g->k[0] * g->k[1] * g->k[2];
  int64_t o[3];
  for (o[0] = 0; o[0] < g->out[0]; o[0]++)
    for (o[1] = 0; o[1] < g->out[1]; o[1]++)
      for (o[2] = 0; o[2] < g->out[2]; o[2]++) {
        int64_t sum = 0;
        for (int64_t ci = 0; ci < g->cin_g; ci++) {
          const int64_t xbase = (n * g->c + grp * g->cin_g + ci) * isz;
          const int64_t wbase = (m * g->cin_g + ci) * ksz;
          int64_t k[3];
          for (k[0] = 0; k[0] < g->k[0]; k[0]++)
            for (k[1] = 0; k[1] < g->k[1]; k[1]++)
              for (k[2] = 0; k[2] < g->k[2]; k[2]++) {
                int64_t pos = 0, inside = 1;
                for (int s = 0; s < 3; s++) {
                  int64_t p = o[s] * g->stride[s] - g->pad[s] + k[s] * g->dil[s];
                  inside &= p >= 0 && p < g->in[s];
                  pos = pos * g->in[s] + p;
                }
                if (!inside) continue; /* padding: x == x_zp contributes 0 */
                int64_t kpos = (k[0] * g->k[1] + k[1]) * g->k[2] + k[2];
                sum += (int64_t)(load_int(in[io->x], xd->dtype, xbase + pos) - xzp) *
                       (load_int(in[io->w], wd->dtype, wbase + kpos) - wzp);
              }
        }
        acc[(o[0] * g->out[1] + o[1]) * g->out[2] + o[2]] = (int32_t)(uint32_t)sum;
      }
}

/* Conv geometry with x at input io->x and w at input io->w. */
static void qconv_geom(const nc_args *a, const qconv_io *io, nc_conv_geom *g) {
  nc_tdesc xw[2] = {a->in[io->x], a->in[io->w]};
  nc_args view = *a;
  view.in = xw;
  view.n_in = 2;
  nc_conv_geom_read(&view, 0, g);
}

void nc_convinteger_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                     void *scratch) {
  (void)scratch;
  const qconv_io io = {0, 1, 2, 3, -1};
  nc_conv_geom g;
  qconv_geom(a, &io, &g);
  const int64_t osz = g.out[0] * g.out[1] * g.out[2];
  int32_t *y = out[0];
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t m = 0; m < g.m; m++) qconv_plane(a, in, &g, &io, n, m, y + (n * g.m + m) * osz);
}

/* Output planes are requantized in place: the s32 accumulators of one plane
 * live in scratch, then go to y's storage type. */
size_t nc_qlinearconv_scratch(const nc_args *a) {
  int64_t osz = 1;
  for (int d = 2; d < a->out[0].ndim; d++) osz *= a->out[0].dims[d];
  return (size_t)osz * sizeof(int32_t);
}

void nc_qlinearconv_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                     void *scratch) {
  const qconv_io io = {0, 3, 2, 5, 8};
  nc_conv_geom g;
  qconv_geom(a, &io, &g);
  const int64_t osz = g.out[0] * g.out[1] * g.out[2];
  const int32_t ydt = a->out[0].dtype, yzp = zp_at(a, in, 7, 0);
  const float xs = scale_at(a, in, 1, 0), ys = scale_at(a, in, 6, 0);
  const int32_t *bias = nc_nn_has_in(a, io.bias) ? in[io.bias] : NULL;
  int32_t lo, hi, *acc = scratch;
  q_range(ydt, &lo, &hi);
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t m = 0; m < g.m; m++) {
      qconv_plane(a, in, &g, &io, n, m, acc);
      const float mult = nc_q_multiplier(xs, scale_at(a, in, 4, m), ys);
      const int32_t b = bias ? bias[m] : 0;
      for (int64_t i = 0; i < osz; i++)
        store_int(out[0], ydt, (n * g.m + m) * osz + i,
                  nc_q_requantize((int32_t)((uint32_t)acc[i] + (uint32_t)b), mult, yzp, lo, hi));
    }
}

/* ---------------- MatMulInteger / QLinearMatMul ---------------- */

/* numpy matmul geometry of A (input ia) and B (input ib): 1-D operands are
 * promoted (A to a row, B to a column) and batch dims broadcast. */
typedef struct qmm_dims {
  int64_t m, n, k, batch;
  int nb;
  int64_t bdims[NC_MAX_DIMS], a_bs[NC_MAX_DIMS], b_bs[NC_MAX_DIMS]; /* 0 on broadcast */
} qmm_dims;

/* Batch strides (in matrices) of an operand whose batch dims are the
 * first `r` of d, right-aligned into nb slots. */
static void batch_strides(const nc_tdesc *d, int r, int nb, int64_t *bs) {
  int64_t s = 1;
  for (int i = nb - 1; i >= 0; i--) {
    int di = i - (nb - r);
    int64_t dim = di >= 0 ? d->dims[di] : 1;
    bs[i] = dim == 1 ? 0 : s;
    s *= dim;
  }
}

static void qmm_dims_of(const nc_args *a, int ia, int ib, qmm_dims *q) {
  const nc_tdesc *A = &a->in[ia], *B = &a->in[ib];
  q->k = A->dims[A->ndim - 1];
  q->m = A->ndim >= 2 ? A->dims[A->ndim - 2] : 1;
  q->n = B->ndim >= 2 ? B->dims[B->ndim - 1] : 1;
  int ra = A->ndim > 2 ? A->ndim - 2 : 0, rb = B->ndim > 2 ? B->ndim - 2 : 0;
  q->nb = ra > rb ? ra : rb;
  q->batch = 1;
  for (int i = 0; i < q->nb; i++) {
    int da = i - (q->nb - ra), db = i - (q->nb - rb);
    int64_t va = da >= 0 ? A->dims[da] : 1, vb = db >= 0 ? B->dims[db] : 1;
    q->bdims[i] = va > vb ? va : vb;
    q->batch *= q->bdims[i];
  }
  batch_strides(A, ra, q->nb, q->a_bs);
  batch_strides(B, rb, q->nb, q->b_bs);
}

/* Matrix offsets (in matrices) of A and B for output batch t. */
static void qmm_batch_offsets(const qmm_dims *q, int64_t t, int64_t *oa, int64_t *ob) {
  *oa = *ob = 0;
  for (int i = q->nb - 1; i >= 0; i--) {
    int64_t c = t % q->bdims[i];
    t /= q->bdims[i];
    *oa += c * q->a_bs[i];
    *ob += c * q->b_bs[i];
  }
}

/* acc = (A[t] - a_zp[row]) x (B[t] - b_zp[col]) for output batch t, wrapped to
 * int32, M x N row-major. */
static void qmm_batch(const nc_args *a, const void *const *in, const qmm_dims *q, int ia,
                      int ib, int ia_zp, int ib_zp, int64_t t, int32_t *acc) {
  int64_t oa, ob;
  qmm_batch_offsets(q, t, &oa, &ob);
  const int32_t adt = a->in[ia].dtype, bdt = a->in[ib].dtype;
  const int64_t abase = oa * q->m * q->k, bbase = ob * q->k * q->n;
  for (int64_t i = 0; i < q->m; i++) {
    const int32_t azp = zp_at(a, in, ia_zp, i);
    for (int64_t j = 0; j < q->n; j++) {
      const int32_t bzp = zp_at(a, in, ib_zp, j);
      int64_t sum = 0;
      for (int64_t p = 0; p < q->k; p++)
        sum += (int64_t)(load_int(in[ia], adt, abase + i * q->k + p) - azp) *
               (load_int(in[ib], bdt, bbase + p * q->n + j) - bzp);
      acc[i * q->n + j] = (int32_t)(uint32_t)sum;
    }
  }
}

void nc_matmulinteger_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  (void)scratch;
  qmm_dims q;
  qmm_dims_of(a, 0, 1, &q);
  int32_t *y = out[0];
  for (int64_t t = 0; t < q.batch; t++) qmm_batch(a, in, &q, 0, 1, 2, 3, t, y + t * q.m * q.n);
}

size_t nc_qlinearmatmul_scratch(const nc_args *a) {
  qmm_dims q;
  qmm_dims_of(a, 0, 3, &q);
  return (size_t)(q.m * q.n) * sizeof(int32_t);
}

void nc_qlinearmatmul_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                       void *const *out, void *scratch) {
  qmm_dims q;
  qmm_dims_of(a, 0, 3, &q);
  const int32_t ydt = a->out[0].dtype, yzp = zp_at(a, in, 7, 0);
  const float ys = scale_at(a, in, 6, 0);
  int32_t lo, hi, *acc = scratch;
  q_range(ydt, &lo, &hi);
  for (int64_t t = 0; t < q.batch; t++) {
    qmm_batch(a, in, &q, 0, 3, 2, 5, t, acc);
    for (int64_t i = 0; i < q.m; i++)
      for (int64_t j = 0; j < q.n; j++) {
        const float mult = nc_q_multiplier(scale_at(a, in, 1, i), scale_at(a, in, 4, j), ys);
        store_int(out[0], ydt, (t * q.m + i) * q.n + j,
                  nc_q_requantize(acc[i * q.n + j], mult, yzp, lo, hi));
      }
  }
}
