/* Reference routines of the tensor family that only move bytes: the copy
 * layers (Reshape...), Transpose, Concat, Split, Slice, Expand, Tile, Pad,
 * Trilu, DepthToSpace, SpaceToDepth. All are generic over element size. */
#include <string.h>

#include "tensor_common.h"

/* ---- copy layers: the output bytes are the input bytes ---- */

void nc_reshape_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  (void)scratch;
  nc_tensor_copy_whole(a, in[0], out[0]);
}

void nc_flatten_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  (void)scratch;
  nc_tensor_copy_whole(a, in[0], out[0]);
}

void nc_squeeze_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  (void)scratch;
  nc_tensor_copy_whole(a, in[0], out[0]);
}

void nc_unsqueeze_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                   void *scratch) {
  (void)scratch;
  nc_tensor_copy_whole(a, in[0], out[0]);
}

void nc_identity_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                  void *scratch) {
  (void)scratch;
  nc_tensor_copy_whole(a, in[0], out[0]);
}

void nc_dropout_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  (void)scratch;
  nc_tensor_copy_whole(a, in[0], out[0]);
}

/* Inference Dropout keeps every element, so the mask is all true. */
void nc_dropout_mask_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                  void *scratch) {
  (void)scratch;
  nc_tensor_copy_whole(a, in[0], out[0]);
  if (a->n_out > 1 && out[1] && a->out[1].dtype) {
    int64_t n = nc_numel(&a->out[1]);
    for (int64_t i = 0; i < n; i++) nc_tensor_store_f64(out[1], a->out[1].dtype, i, 1.0);
  }
}

/* ---- Transpose ---- */

void nc_transpose_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                   void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  int64_t xs[NC_MAX_DIMS], vs[NC_MAX_DIMS];
  nc_tensor_strides(x, xs);
  for (int d = 0; d < y->ndim; d++) vs[d] = xs[a->ia[NC_TRANSPOSE_PERM + d]];
  nc_tensor_view_copy(out[0], in[0], nc_dtype_size(x->dtype), y->ndim, y->dims, vs, 0);
}

/* ---- Concat / Split ---- */

static int64_t prod(const int64_t *dims, int from, int to) {
  int64_t p = 1;
  for (int d = from; d < to; d++) p *= dims[d];
  return p;
}

void nc_concat_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  const nc_tdesc *y = &a->out[0];
  int axis = (int)a->ia[NC_CONCAT_AXIS];
  size_t es = nc_dtype_size(y->dtype);
  int64_t outer = prod(y->dims, 0, axis), inner = prod(y->dims, axis + 1, y->ndim);
  char *o = out[0];
  for (int64_t k = 0; k < outer; k++)
    for (int i = 0; i < a->n_in; i++) {
      size_t run = (size_t)(a->in[i].dims[axis] * inner) * es;
      if (run) memcpy(o, (const char *)in[i] + (size_t)k * run, run);
      o += run;
    }
}

/* Channel concat with every tensor stored NHWC: per pixel, the channel runs
 * of the inputs follow one another. */
void nc_concat_channels_f32_nhwc_c99(const nc_args *a, const void *const *in,
                                     void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *y = &a->out[0];
  int64_t pixels = y->dims[0] * y->dims[2] * y->dims[3];
  float *o = out[0];
  for (int64_t p = 0; p < pixels; p++)
    for (int i = 0; i < a->n_in; i++) {
      int64_t c = a->in[i].dims[1];
      if (c) memcpy(o, (const float *)in[i] + p * c, (size_t)c * sizeof(float));
      o += c;
    }
}

void nc_split_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                               void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0];
  int axis = (int)a->ia[NC_SPLIT_AXIS];
  size_t es = nc_dtype_size(x->dtype);
  int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, x->ndim);
  const char *s = in[0];
  for (int64_t k = 0; k < outer; k++)
    for (int j = 0; j < a->n_out; j++) {
      size_t run = (size_t)(a->out[j].dims[axis] * inner) * es;
      if (run && out[j]) memcpy((char *)out[j] + (size_t)k * run, s, run);
      s += run;
    }
}

/* ---- Slice, Expand, Tile: affine views of the input ---- */

void nc_slice_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                               void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  int r = x->ndim;
  int64_t xs[NC_MAX_DIMS], vs[NC_MAX_DIMS], base = 0;
  nc_tensor_strides(x, xs);
  for (int d = 0; d < r; d++) {
    base += a->ia[NC_SLICE_START(r, d)] * xs[d];
    vs[d] = a->ia[NC_SLICE_STEP(r, d)] * xs[d];
  }
  nc_tensor_view_copy(out[0], in[0], nc_dtype_size(x->dtype), r, y->dims, vs, base);
}

void nc_expand_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  int64_t xs[NC_MAX_DIMS], vs[NC_MAX_DIMS];
  nc_tensor_strides(x, xs);
  int lead = y->ndim - x->ndim; /* numpy broadcast aligns trailing axes */
  for (int d = 0; d < y->ndim; d++) {
    int xd = d - lead;
    vs[d] = (xd < 0 || x->dims[xd] == 1) ? 0 : xs[xd];
  }
  nc_tensor_view_copy(out[0], in[0], nc_dtype_size(x->dtype), y->ndim, y->dims, vs, 0);
}

/* Output axis d of extent reps*n is viewed as two axes (rep, i) reading
 * input index i, so Tile is one affine view of twice the rank. */
void nc_tile_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                              void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  if (nc_numel(y) == 0) return;
  int64_t xs[NC_MAX_DIMS], vd[NC_TENSOR_MAX_VIEW], vs[NC_TENSOR_MAX_VIEW];
  nc_tensor_strides(x, xs);
  for (int d = 0; d < x->ndim; d++) {
    vd[2 * d] = y->dims[d] / x->dims[d];
    vs[2 * d] = 0;
    vd[2 * d + 1] = x->dims[d];
    vs[2 * d + 1] = xs[d];
  }
  nc_tensor_view_copy(out[0], in[0], nc_dtype_size(x->dtype), 2 * x->ndim, vd, vs, 0);
}

/* ---- Pad ---- */

/* Source index for output position i (already shifted by the begin pad), or
 * -1 where the constant goes. */
static int64_t pad_source(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  if (mode == NC_PAD_EDGE) return i < 0 ? 0 : n - 1;
  if (mode == NC_PAD_REFLECT) {
    if (n == 1) return 0;
    int64_t period = 2 * (n - 1), m = i % period;
    if (m < 0) m += period;
    return m < n ? m : period - m;
  }
  return -1;
}

void nc_pad_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                             void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  int r = y->ndim, mode = (int)a->ia[NC_PAD_MODE];
  size_t es = nc_dtype_size(x->dtype);
  int64_t total = nc_numel(y);
  if (total == 0) return;
  unsigned char value[8] = {0};
  nc_tensor_store_f64(value, x->dtype, 0, a->fa[NC_PAD_VALUE]);
  int64_t xs[NC_MAX_DIMS], idx[NC_MAX_DIMS] = {0};
  nc_tensor_strides(x, xs);
  const char *src = in[0];
  char *o = out[0];
  for (int64_t e = 0; e < total; e++, o += es) {
    int64_t off = 0;
    for (int d = 0; d < r && off >= 0; d++) {
      int64_t s = pad_source(idx[d] - a->ia[NC_PAD_BEGIN + d], x->dims[d], mode);
      off = s < 0 ? -1 : off + s * xs[d];
    }
    memcpy(o, off < 0 ? (const char *)value : src + (size_t)off * es, es);
    for (int d = r - 1; d >= 0; d--) {
      if (++idx[d] < y->dims[d]) break;
      idx[d] = 0;
    }
  }
}

/* ---- Trilu ---- */

void nc_trilu_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                               void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0];
  int r = x->ndim;
  size_t es = nc_dtype_size(x->dtype);
  int64_t rows = x->dims[r - 2], cols = x->dims[r - 1], k = a->ia[NC_TRILU_K];
  int64_t mats = prod(x->dims, 0, r - 2);
  int upper = a->ia[NC_TRILU_UPPER] != 0;
  for (int64_t m = 0; m < mats; m++)
    for (int64_t i = 0; i < rows; i++) {
      size_t row = (size_t)((m * rows + i) * cols) * es;
      char *o = (char *)out[0] + row;
      if ((const char *)in[0] + row != o) memmove(o, (const char *)in[0] + row, (size_t)cols * es);
      /* upper keeps j >= i + k, lower keeps j <= i + k */
      int64_t lo = upper ? 0 : i + k + 1, hi = upper ? i + k : cols;
      if (lo < 0) lo = 0;
      if (hi > cols) hi = cols;
      if (hi > lo) memset(o + (size_t)lo * es, 0, (size_t)(hi - lo) * es);
    }
}

/* ---- DepthToSpace / SpaceToDepth: reshape + transpose as one 6-D view ---- */

void nc_depthtospace_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                      void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  int64_t b = a->ia[NC_DEPTHTOSPACE_BLOCKSIZE], c = y->dims[1];
  int64_t xs[4];
  nc_tensor_strides(x, xs);
  /* Output viewed as [N, C/b², H, b(i), W, b(j)]. */
  int64_t vd[6] = {x->dims[0], c, x->dims[2], b, x->dims[3], b};
  int64_t dcr[6] = {xs[0], xs[1], xs[2], b * c * xs[1], xs[3], c * xs[1]};
  int64_t crd[6] = {xs[0], b * b * xs[1], xs[2], b * xs[1], xs[3], xs[1]};
  nc_tensor_view_copy(out[0], in[0], nc_dtype_size(x->dtype), 6, vd,
                      a->ia[NC_DEPTHTOSPACE_MODE] == NC_DEPTHTOSPACE_CRD ? crd : dcr, 0);
}

void nc_spacetodepth_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                      void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  int64_t b = a->ia[NC_SPACETODEPTH_BLOCKSIZE];
  int64_t xs[4];
  nc_tensor_strides(x, xs);
  /* Output channel (i*b + j)*C + c: output viewed as [N, b(i), b(j), C, H/b, W/b]. */
  int64_t vd[6] = {x->dims[0], b, b, x->dims[1], y->dims[2], y->dims[3]};
  int64_t vs[6] = {xs[0], xs[2], xs[3], xs[1], b * xs[2], b * xs[3]};
  nc_tensor_view_copy(out[0], in[0], nc_dtype_size(x->dtype), 6, vd, vs, 0);
}
