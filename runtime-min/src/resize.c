/* Reference Resize / Upsample: n-dimensional nearest, n-linear and n-cubic
 * interpolation over any rank. Each output coordinate of each axis maps to
 * at most 4 input taps (index, weight), computed once into scratch; an output
 * element is the weighted sum over the product of its axes' taps. Follows the
 * ONNX Resize-13 formulas (opset 10/11 and Upsample reuse them). */
#include <math.h>

#include "neuroc/args.h"
#include "reduce_io.h"
#include "reduce_routines.h"

/* Input taps of one output coordinate on one axis; n == -1: outside the roi
 * of tf_crop_and_resize, the element takes the extrapolation value. */
typedef struct tapset {
  int64_t n;
  int64_t idx[4];
  double w[4];
} tapset;

size_t nc_resize_scratch_bytes(const nc_args *a) {
  int64_t total = 0;
  for (int d = 0; d < a->out[0].ndim; d++) total += a->out[0].dims[d];
  return (size_t)total * sizeof(tapset);
}

/* Output coordinate x -> input coordinate; *outside set for tf_crop_and_resize
 * positions beyond the input. */
static double original_coord(const nc_args *a, int d, double x, int64_t in_len, int *outside) {
  double scale = a->fa[NC_RESIZE_SCALE + d], out_len = a->fa[NC_RESIZE_OUTLEN + d];
  double r0 = a->fa[NC_RESIZE_ROI_START + d], r1 = a->fa[NC_RESIZE_ROI_END + d];
  double last = (double)(in_len - 1), xo;
  *outside = 0;
  switch (a->ia[NC_RESIZE_COORD]) {
  case NC_COORD_PYTORCH_HALF_PIXEL: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  case NC_COORD_ALIGN_CORNERS: return out_len == 1 ? 0.0 : x * last / (out_len - 1);
  case NC_COORD_ASYMMETRIC: return x / scale;
  case NC_COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / scale;
  case NC_COORD_TF_CROP_AND_RESIZE:
    xo = out_len > 1 ? r0 * last + x * (r1 - r0) * last / (out_len - 1) : 0.5 * (r0 + r1) * last;
    *outside = xo < 0 || xo > last;
    return xo;
  default: return (x + 0.5) / scale - 0.5; /* half_pixel */
  }
}

static int64_t nearest_index(int64_t mode, double x, double scale) {
  double f = floor(x), r = x - f;
  switch (mode) {
  case NC_NEAREST_ROUND_PREFER_CEIL: return (int64_t)(r < 0.5 ? f : f + 1);
  case NC_NEAREST_FLOOR: return (int64_t)f;
  case NC_NEAREST_CEIL: return (int64_t)ceil(x);
  case NC_NEAREST_SIMPLE: return (int64_t)(scale < 1 ? ceil(x) : f);
  default: return (int64_t)(r <= 0.5 ? f : f + 1); /* round_prefer_floor */
  }
}

/* Keys cubic convolution weights of taps floor-1 .. floor+2 at fraction r. */
static void cubic_weights(double r, double A, double *w) {
  double t0 = r + 1, t1 = r, t2 = 1 - r, t3 = 2 - r;
  w[0] = ((A * t0 - 5 * A) * t0 + 8 * A) * t0 - 4 * A;
  w[1] = ((A + 2) * t1 - (A + 3)) * t1 * t1 + 1;
  w[2] = ((A + 2) * t2 - (A + 3)) * t2 * t2 + 1;
  w[3] = ((A * t3 - 5 * A) * t3 + 8 * A) * t3 - 4 * A;
}

static void make_taps(const nc_args *a, int d, int64_t o, tapset *t) {
  int64_t in_len = a->in[0].dims[d];
  int outside;
  double x = original_coord(a, d, (double)o, in_len, &outside);
  if (outside) {
    t->n = -1;
    return;
  }
  double f = floor(x), r = x - f;
  int64_t mode = a->ia[NC_RESIZE_MODE];
  if (mode == NC_RESIZE_NEAREST || r == 0.0) { /* an integer coordinate hits one input */
    t->n = 1;
    t->idx[0] = mode == NC_RESIZE_NEAREST
                    ? nearest_index(a->ia[NC_RESIZE_NEAREST_MODE], x, a->fa[NC_RESIZE_SCALE + d])
                    : (int64_t)f;
    t->w[0] = 1.0;
  } else if (mode == NC_RESIZE_LINEAR) {
    t->n = 2;
    t->idx[0] = (int64_t)f;
    t->idx[1] = (int64_t)f + 1;
    t->w[0] = 1 - r;
    t->w[1] = r;
  } else {
    t->n = 4;
    for (int k = 0; k < 4; k++) t->idx[k] = (int64_t)f - 1 + k;
    cubic_weights(r, a->fa[NC_RESIZE_CUBIC_A], t->w);
  }
  if (a->ia[NC_RESIZE_EXCLUDE_OUTSIDE] && t->n > 1) {
    double sum = 0.0;
    for (int k = 0; k < t->n; k++) {
      if (t->idx[k] < 0 || t->idx[k] >= in_len) t->w[k] = 0.0;
      sum += t->w[k];
    }
    for (int k = 0; k < t->n; k++) t->w[k] = sum != 0.0 ? t->w[k] / sum : 0.0;
  }
  /* taps beyond the border read the edge value */
  for (int k = 0; k < t->n; k++)
    t->idx[k] = t->idx[k] < 0 ? 0 : t->idx[k] >= in_len ? in_len - 1 : t->idx[k];
}

/* Weighted sum over the product of the taps of every axis. */
static double interpolate(const nc_args *a, const void *x, const tapset *const *t,
                          const int64_t *stride) {
  int rank = a->in[0].ndim, k[NC_MAX_DIMS] = {0};
  int32_t dt = a->in[0].dtype;
  double sum = 0.0;
  for (;;) {
    double w = 1.0;
    int64_t off = 0;
    for (int d = 0; d < rank; d++) {
      w *= t[d]->w[k[d]];
      off += t[d]->idx[k[d]] * stride[d];
    }
    if (w != 0.0) sum += w * nc_load_f64(x, dt, off);
    int d = rank - 1;
    while (d >= 0 && ++k[d] == t[d]->n) k[d--] = 0;
    if (d < 0) return sum;
  }
}

static void resize_run(const nc_args *a, const void *const *in, void *const *out,
                       void *scratch) {
  const nc_tdesc *id = &a->in[0], *od = &a->out[0];
  int rank = id->ndim;
  tapset *taps[NC_MAX_DIMS], *next = scratch;
  int64_t stride[NC_MAX_DIMS], s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    stride[d] = s;
    s *= id->dims[d];
  }
  for (int d = 0; d < rank; d++) {
    taps[d] = next;
    for (int64_t o = 0; o < od->dims[d]; o++) make_taps(a, d, o, &taps[d][o]);
    next += od->dims[d];
  }
  int64_t n_out = nc_numel(od), coord[NC_MAX_DIMS] = {0};
  for (int64_t e = 0; e < n_out; e++) {
    const tapset *t[NC_MAX_DIMS];
    int outside = 0;
    for (int d = 0; d < rank; d++) {
      t[d] = &taps[d][coord[d]];
      outside |= t[d]->n < 0;
    }
    double v = outside ? a->fa[NC_RESIZE_EXTRAPOLATION] : interpolate(a, in[0], t, stride);
    rdx_st(out[0], od->dtype, e, v, 1);
    for (int d = rank - 1; d >= 0 && ++coord[d] == od->dims[d]; d--) coord[d] = 0;
  }
}

void nc_resize_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  resize_run(a, in, out, scratch);
}

void nc_upsample_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                  void *scratch) {
  resize_run(a, in, out, scratch);
}
