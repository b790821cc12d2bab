/* The int8 layers around the convolutions, portable C: MaxPool,
 * AveragePool, GlobalAveragePool (2-D, NHWC or NCHW), Add (same shapes, any
 * layout) and Concat (any axis, NHWC or plain). Inputs and outputs are u8
 * with their tdesc's scale / zero point; a value whose input and output
 * parameters differ is requantized: q = round_even((x - z_in) * s_in / s_out)
 * + z_out, saturated. Memory-bound loops: the compiler's vectorizer does
 * what a hand-written kernel would. */
#include <string.h>

#include "int8_internal.h"
#include "nn_internal.h"

static int same_q(const nc_tdesc *a, const nc_tdesc *b) {
  return a->scale == b->scale && a->zero_point == b->zero_point;
}

static int u8q(const nc_tdesc *d) { return d->dtype == NC_U8 && d->scale > 0.0f; }

/* Requantization of one stored value from params (ratio = s_in / s_out, zi) to zo. */
static inline uint8_t requant(int32_t x, int32_t zi, float ratio, int32_t zo) {
  return (uint8_t)nc_q_round_sat((float)(x - zi) * ratio, zo, 0, 255);
}

/* ---- pooling ---- */

nc_i8_window nc_i8_pool_window(int64_t o, int64_t k, int64_t stride, int64_t dil, int64_t pb,
                               int64_t pe, int64_t in) {
  nc_i8_window w = {o * stride - pb, 0, 0, 0};
  for (int64_t t = 0; t < k; t++) {
    int64_t i = w.base + t * dil;
    if (i >= -pb && i < in + pe) w.span++;
    if (i < 0) w.lo = t + 1;
    if (i < in) w.hi = t + 1;
  }
  if (w.hi < w.lo) w.hi = w.lo;
  return w;
}

static int pool_applies(const nc_args *a) {
  return a->n_in == 1 && u8q(&a->in[0]) && a->in[0].ndim == 4 && u8q(&a->out[0]) &&
         nc_nn_ia(a, NC_POOL_IA_NSPATIAL, 2) == 2 && !nc_nn_has_out(a, 1);
}
int nc_i8_pool_applies(const nc_args *a) { return pool_applies(a); }

/* Element (n, c, y, x) of a [N, C, H, W] tensor stored NHWC or NCHW. */
static inline int64_t at(int nhwc, int64_t n, int64_t c, int64_t y, int64_t x, int64_t C,
                         int64_t H, int64_t W) {
  return nhwc ? ((n * H + y) * W + x) * C + c : ((n * C + c) * H + y) * W + x;
}

static void pool(const nc_args *a, const uint8_t *x, uint8_t *y, int is_max, int nhwc) {
  const nc_tdesc *xd = &a->in[0], *yd = &a->out[0];
  const int64_t N = xd->dims[0], C = xd->dims[1], H = xd->dims[2], W = xd->dims[3];
  const int64_t OH = yd->dims[2], OW = yd->dims[3];
  int64_t k[2], s[2], d[2], pb[2], pe[2];
  for (int i = 0; i < 2; i++) {
    k[i] = nc_nn_ia(a, NC_POOL_IA_KERNEL + i, 1);
    s[i] = nc_nn_ia(a, NC_POOL_IA_STRIDE + i, 1);
    d[i] = nc_nn_ia(a, NC_POOL_IA_DILATION + i, 1);
    pb[i] = nc_nn_ia(a, NC_POOL_IA_PAD_BEGIN + i, 0);
    pe[i] = nc_nn_ia(a, NC_POOL_IA_PAD_END + i, 0);
  }
  const int cip = (int)nc_nn_ia(a, NC_POOL_IA_COUNT_INCLUDE_PAD, 0);
  const int copy = is_max && same_q(xd, yd);
  const int32_t zi = xd->zero_point, zo = yd->zero_point;
  const float ratio = xd->scale / yd->scale;
  for (int64_t n = 0; n < N; n++)
    for (int64_t oy = 0; oy < OH; oy++) {
      nc_i8_window wy = nc_i8_pool_window(oy, k[0], s[0], d[0], pb[0], pe[0], H);
      for (int64_t ox = 0; ox < OW; ox++) {
        nc_i8_window wx = nc_i8_pool_window(ox, k[1], s[1], d[1], pb[1], pe[1], W);
        int64_t cnt = (wy.hi - wy.lo) * (wx.hi - wx.lo);
        int64_t div = cip ? wy.span * wx.span : cnt;
        for (int64_t c = 0; c < C; c++) {
          int32_t acc = 0;
          for (int64_t ky = wy.lo; ky < wy.hi; ky++)
            for (int64_t kx = wx.lo; kx < wx.hi; kx++) {
              int32_t v = x[at(nhwc, n, c, wy.base + ky * d[0], wx.base + kx * d[1], C, H, W)];
              acc = is_max ? (v > acc ? v : acc) : acc + v;
            }
          uint8_t *o = &y[at(nhwc, n, c, oy, ox, C, OH, OW)];
          if (cnt == 0) /* a window entirely in the padding: real 0 */
            *o = requant(zi, zi, ratio, zo);
          else if (copy)
            *o = (uint8_t)acc;
          else if (is_max)
            *o = requant(acc, zi, ratio, zo);
          else
            *o = (uint8_t)nc_q_round_sat((float)(acc - cnt * zi) / (float)div * ratio, zo, 0,
                                         255);
        }
      }
    }
}

#define POOL_FN(NAME, MAX, NHWC, LAY)                                                          \
  void nc_##NAME##_u8_##LAY##_c99(const nc_args *a, const void *const *in, void *const *out,  \
                                  void *scratch) {                                           \
    (void)scratch;                                                                           \
    pool(a, in[0], out[0], MAX, NHWC);                                                       \
  }
POOL_FN(maxpool, 1, 1, nhwc)
POOL_FN(maxpool, 1, 0, nchw)
POOL_FN(avgpool, 0, 1, nhwc)
POOL_FN(avgpool, 0, 0, nchw)

int nc_i8_gap_applies(const nc_args *a) {
  return a->n_in == 1 && u8q(&a->in[0]) && a->in[0].ndim == 4 && u8q(&a->out[0]);
}

static void gap(const nc_args *a, const uint8_t *x, uint8_t *y, int nhwc) {
  const nc_tdesc *xd = &a->in[0], *yd = &a->out[0];
  const int64_t N = xd->dims[0], C = xd->dims[1], P = xd->dims[2] * xd->dims[3];
  const float ratio = xd->scale / yd->scale;
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++) {
      int64_t sum = 0;
      if (nhwc)
        for (int64_t p = 0; p < P; p++) sum += x[(n * P + p) * C + c];
      else
        for (int64_t p = 0; p < P; p++) sum += x[(n * C + c) * P + p];
      float v = (float)(sum - P * xd->zero_point) / (float)P * ratio;
      y[n * C + c] = (uint8_t)nc_q_round_sat(v, yd->zero_point, 0, 255);
    }
}

void nc_gap_u8_nhwc_c99(const nc_args *a, const void *const *in, void *const *out, void *s) {
  (void)s;
  gap(a, in[0], out[0], 1);
}
void nc_gap_u8_nchw_c99(const nc_args *a, const void *const *in, void *const *out, void *s) {
  (void)s;
  gap(a, in[0], out[0], 0);
}

/* ---- Add ---- */

static int same_dims(const nc_tdesc *a, const nc_tdesc *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return 0;
  return 1;
}

int nc_i8_add_applies(const nc_args *a) {
  return a->n_in == 2 && u8q(&a->in[0]) && u8q(&a->in[1]) && u8q(&a->out[0]) &&
         same_dims(&a->in[0], &a->out[0]) && same_dims(&a->in[1], &a->out[0]);
}

void nc_add_u8_c99(const nc_args *a, const void *const *in, void *const *out, void *s) {
  (void)s;
  const nc_tdesc *ad = &a->in[0], *bd = &a->in[1], *yd = &a->out[0];
  const uint8_t *x0 = in[0], *x1 = in[1];
  uint8_t *y = out[0];
  const float r0 = ad->scale / yd->scale, r1 = bd->scale / yd->scale;
  const int32_t z0 = ad->zero_point, z1 = bd->zero_point, zo = yd->zero_point;
  const int64_t n = nc_numel(yd);
  for (int64_t i = 0; i < n; i++) {
    float v = (float)(x0[i] - z0) * r0 + (float)(x1[i] - z1) * r1;
    y[i] = (uint8_t)nc_q_round_sat(v, zo, 0, 255);
  }
}

/* ---- Concat ---- */

int nc_i8_concat_applies(const nc_args *a) {
  if (a->n_in < 1 || !u8q(&a->out[0])) return 0;
  for (int i = 0; i < a->n_in; i++)
    if (!u8q(&a->in[i]) || a->in[i].ndim != a->out[0].ndim) return 0;
  return 1;
}
int nc_i8_concat_nhwc_applies(const nc_args *a) {
  return nc_i8_concat_applies(a) && a->out[0].ndim == 4;
}

/* Physical axis order of NHWC storage: the stored axis s holds logical axis nhwc_axis[s]. */
static const int nhwc_axis[4] = {0, 2, 3, 1};

static void concat(const nc_args *a, const void *const *in, uint8_t *y, int nhwc) {
  const nc_tdesc *yd = &a->out[0];
  const int rank = yd->ndim;
  const int axis = (int)nc_nn_ia(a, NC_CONCAT_AXIS, 0);
  int phys = axis;
  if (nhwc)
    for (int s = 0; s < 4; s++)
      if (nhwc_axis[s] == axis) phys = s;
  int64_t outer = 1, inner = 1;
  for (int s = 0; s < rank; s++) {
    int l = nhwc ? nhwc_axis[s] : s;
    if (s < phys) outer *= yd->dims[l];
    if (s > phys) inner *= yd->dims[l];
  }
  const int64_t ylen = yd->dims[axis] * inner;
  int64_t off = 0;
  for (int i = 0; i < a->n_in; i++) {
    const nc_tdesc *xd = &a->in[i];
    const uint8_t *x = in[i];
    const int64_t len = xd->dims[axis] * inner;
    const int copy = same_q(xd, yd);
    const float ratio = xd->scale / yd->scale;
    for (int64_t o = 0; o < outer; o++) {
      uint8_t *dst = y + o * ylen + off;
      const uint8_t *src = x + o * len;
      if (copy)
        memcpy(dst, src, (size_t)len);
      else
        for (int64_t j = 0; j < len; j++)
          dst[j] = requant(src[j], xd->zero_point, ratio, yd->zero_point);
    }
    off += len;
  }
}

void nc_concat_u8_nhwc_c99(const nc_args *a, const void *const *in, void *const *out, void *s) {
  (void)s;
  concat(a, in, out[0], 1);
}
void nc_concat_u8_nchw_c99(const nc_args *a, const void *const *in, void *const *out, void *s) {
  (void)s;
  concat(a, in, out[0], 0);
}
