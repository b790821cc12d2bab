/* Reference routines of the tensor family driven by index data: Gather,
 * GatherElements, GatherND, ScatterElements, ScatterND, OneHot, Compress,
 * ReverseSequence, and CumSum. Indices may be s32 or s64 and negative
 * (counted from the end); an index still out of range after that reads zeros
 * and writes nothing, so bad data never reads or writes out of bounds. */
#include <string.h>

#include "tensor_common.h"

static int64_t prod(const int64_t *dims, int from, int to) {
  int64_t p = 1;
  for (int d = from; d < to; d++) p *= dims[d];
  return p;
}

/* Normalised index into an axis of extent n, or -1 when out of range. */
static int64_t fix_index(int64_t i, int64_t n) {
  if (i < 0) i += n;
  return i >= 0 && i < n ? i : -1;
}

/* Advance a row-major coordinate vector; returns 0 after the last one. */
static int next_coord(int64_t *idx, const int64_t *dims, int r) {
  for (int d = r - 1; d >= 0; d--) {
    if (++idx[d] < dims[d]) return 1;
    idx[d] = 0;
  }
  return 0;
}

/* ---- Gather family ---- */

void nc_gather_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *ix = &a->in[1];
  int axis = (int)a->ia[NC_GATHER_AXIS];
  size_t es = nc_dtype_size(x->dtype);
  int64_t outer = prod(x->dims, 0, axis), n = x->dims[axis];
  size_t run = (size_t)prod(x->dims, axis + 1, x->ndim) * es;
  int64_t q = nc_numel(ix);
  char *o = out[0];
  for (int64_t k = 0; k < outer; k++)
    for (int64_t j = 0; j < q; j++, o += run) {
      int64_t i = fix_index(nc_tensor_load_index(in[1], ix->dtype, j), n);
      if (i < 0) memset(o, 0, run);
      else memcpy(o, (const char *)in[0] + (size_t)(k * n + i) * run, run);
    }
}

void nc_gatherelements_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                        void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *ix = &a->in[1];
  int axis = (int)a->ia[NC_GATHERELEMENTS_AXIS], r = x->ndim;
  size_t es = nc_dtype_size(x->dtype);
  int64_t xs[NC_MAX_DIMS], idx[NC_MAX_DIMS] = {0}, total = nc_numel(ix);
  nc_tensor_strides(x, xs);
  char *o = out[0];
  for (int64_t e = 0; e < total; e++, o += es) {
    int64_t i = fix_index(nc_tensor_load_index(in[1], ix->dtype, e), x->dims[axis]);
    int64_t off = 0;
    for (int d = 0; d < r; d++) off += (d == axis ? i : idx[d]) * xs[d];
    if (i < 0) memset(o, 0, es);
    else memcpy(o, (const char *)in[0] + (size_t)off * es, es);
    next_coord(idx, ix->dims, r);
  }
}

/* Offset (in elements) of the data slice addressed by one index tuple of
 * GatherND/ScatterND, or -1 when any index is out of range. */
static int64_t nd_offset(const void *ind, int32_t idt, int64_t at, int k, const int64_t *dims,
                         const int64_t *strides) {
  int64_t off = 0;
  for (int j = 0; j < k; j++) {
    int64_t i = fix_index(nc_tensor_load_index(ind, idt, at + j), dims[j]);
    if (i < 0) return -1;
    off += i * strides[j];
  }
  return off;
}

void nc_gathernd_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                  void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *ix = &a->in[1];
  int b = (int)a->ia[NC_GATHERND_BATCH_DIMS], q = ix->ndim;
  int k = (int)ix->dims[q - 1];
  size_t es = nc_dtype_size(x->dtype);
  int64_t xs[NC_MAX_DIMS];
  nc_tensor_strides(x, xs);
  int64_t batches = prod(ix->dims, 0, b), tuples = prod(ix->dims, b, q - 1);
  int64_t batch_stride = prod(x->dims, b, x->ndim);
  size_t run = (size_t)prod(x->dims, b + k, x->ndim) * es;
  char *o = out[0];
  for (int64_t bi = 0; bi < batches; bi++)
    for (int64_t t = 0; t < tuples; t++, o += run) {
      int64_t off = nd_offset(in[1], ix->dtype, (bi * tuples + t) * k, k, x->dims + b, xs + b);
      if (off < 0) memset(o, 0, run);
      else memcpy(o, (const char *)in[0] + (size_t)(bi * batch_stride + off) * es, run);
    }
}

/* ---- Scatter family: output = data, then updates applied in index order ---- */

static void copy_data(const nc_args *a, const void *data, void *o) {
  if (data != o) memmove(o, data, (size_t)nc_numel(&a->in[0]) * nc_dtype_size(a->in[0].dtype));
}

void nc_scatterelements_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                         void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *ix = &a->in[1];
  int axis = (int)a->ia[NC_SCATTERELEMENTS_AXIS], r = x->ndim;
  int op = (int)a->ia[NC_SCATTERELEMENTS_REDUCTION];
  size_t es = nc_dtype_size(x->dtype);
  int64_t xs[NC_MAX_DIMS], idx[NC_MAX_DIMS] = {0}, total = nc_numel(ix);
  nc_tensor_strides(x, xs);
  copy_data(a, in[0], out[0]);
  const char *u = in[2];
  for (int64_t e = 0; e < total; e++, u += es) {
    int64_t i = fix_index(nc_tensor_load_index(in[1], ix->dtype, e), x->dims[axis]);
    if (i >= 0) {
      int64_t off = 0;
      for (int d = 0; d < r; d++) off += (d == axis ? i : idx[d]) * xs[d];
      nc_tensor_combine((char *)out[0] + (size_t)off * es, u, x->dtype, op);
    }
    next_coord(idx, ix->dims, r);
  }
}

void nc_scatternd_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                   void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0], *ix = &a->in[1];
  int q = ix->ndim, k = (int)ix->dims[q - 1], op = (int)a->ia[NC_SCATTERND_REDUCTION];
  size_t es = nc_dtype_size(x->dtype);
  int64_t xs[NC_MAX_DIMS];
  nc_tensor_strides(x, xs);
  int64_t tuples = prod(ix->dims, 0, q - 1), slice = prod(x->dims, k, x->ndim);
  copy_data(a, in[0], out[0]);
  const char *u = in[2];
  for (int64_t t = 0; t < tuples; t++, u += (size_t)slice * es) {
    int64_t off = nd_offset(in[1], ix->dtype, t * k, k, x->dims, xs);
    if (off < 0) continue;
    char *o = (char *)out[0] + (size_t)off * es;
    if (op == NC_SCATTER_NONE) {
      memcpy(o, u, (size_t)slice * es);
      continue;
    }
    for (int64_t s = 0; s < slice; s++)
      nc_tensor_combine(o + (size_t)s * es, u + (size_t)s * es, x->dtype, op);
  }
}

/* ---- OneHot ---- */

void nc_onehot_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  const nc_tdesc *ix = &a->in[0], *y = &a->out[0];
  int axis = (int)a->ia[NC_ONEHOT_AXIS];
  int64_t depth = a->ia[NC_ONEHOT_DEPTH];
  size_t es = nc_dtype_size(y->dtype);
  const char *off_v = in[1], *on_v = (const char *)in[1] + es;
  int64_t outer = prod(ix->dims, 0, axis), inner = prod(ix->dims, axis, ix->ndim);
  char *o = out[0];
  for (int64_t k = 0; k < outer; k++)
    for (int64_t d = 0; d < depth; d++)
      for (int64_t j = 0; j < inner; j++, o += es) {
        int64_t i = fix_index(nc_tensor_load_index(in[0], ix->dtype, k * inner + j), depth);
        memcpy(o, i == d ? on_v : off_v, es);
      }
}

/* ---- Compress ---- */

void nc_compress_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                  void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0];
  int64_t axis = a->ia[NC_COMPRESS_AXIS], count = a->ia[NC_COMPRESS_COUNT];
  const int64_t *sel = a->ia + NC_COMPRESS_INDEX;
  size_t es = nc_dtype_size(x->dtype);
  int64_t outer = 1, n = nc_numel(x), inner = 1;
  if (axis >= 0) {
    outer = prod(x->dims, 0, (int)axis);
    n = x->dims[axis];
    inner = prod(x->dims, (int)axis + 1, x->ndim);
  }
  size_t run = (size_t)inner * es;
  char *o = out[0];
  for (int64_t k = 0; k < outer; k++)
    for (int64_t j = 0; j < count; j++, o += run)
      memcpy(o, (const char *)in[0] + (size_t)(k * n + sel[j]) * run, run);
}

/* ---- ReverseSequence: batch and time are axes 0 and 1 (lowering checks) ---- */

void nc_reversesequence_ref_any_nchw_c99(const nc_args *a, const void *const *in,
                                         void *const *out, void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0];
  int batch0 = a->ia[NC_REVERSESEQUENCE_BATCH_AXIS] == 0;
  int64_t d0 = x->dims[0], d1 = x->dims[1], steps = batch0 ? d1 : d0;
  size_t run = (size_t)prod(x->dims, 2, x->ndim) * nc_dtype_size(x->dtype);
  for (int64_t i0 = 0; i0 < d0; i0++)
    for (int64_t i1 = 0; i1 < d1; i1++) {
      int64_t b = batch0 ? i0 : i1, t = batch0 ? i1 : i0;
      int64_t len = nc_tensor_load_index(in[1], a->in[1].dtype, b);
      len = len < 0 ? 0 : (len > steps ? steps : len);
      int64_t st = t < len ? len - 1 - t : t;
      int64_t s0 = batch0 ? i0 : st, s1 = batch0 ? st : i1;
      memcpy((char *)out[0] + (size_t)(i0 * d1 + i1) * run,
             (const char *)in[0] + (size_t)(s0 * d1 + s1) * run, run);
    }
}

/* ---- CumSum: accumulates in the element type, like ONNX Runtime ---- */

void nc_cumsum_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  const nc_tdesc *x = &a->in[0];
  int axis = (int)a->ia[NC_CUMSUM_AXIS];
  int excl = a->ia[NC_CUMSUM_EXCLUSIVE] != 0, rev = a->ia[NC_CUMSUM_REVERSE] != 0;
  size_t es = nc_dtype_size(x->dtype);
  int64_t outer = prod(x->dims, 0, axis), n = x->dims[axis];
  int64_t inner = prod(x->dims, axis + 1, x->ndim);
  for (int64_t k = 0; k < outer; k++)
    for (int64_t j = 0; j < inner; j++) {
      unsigned char acc[8] = {0}, cur[8]; /* all-zero bytes are 0 in every dtype */
      for (int64_t s = 0; s < n; s++) {
        int64_t t = rev ? n - 1 - s : s;
        size_t at = (size_t)((k * n + t) * inner + j) * es;
        memcpy(cur, (const char *)in[0] + at, es); /* read first: may run in place */
        if (!excl) nc_tensor_combine(acc, cur, x->dtype, NC_SCATTER_ADD);
        memcpy((char *)out[0] + at, acc, es);
        if (excl) nc_tensor_combine(acc, cur, x->dtype, NC_SCATTER_ADD);
      }
    }
}

/* Scatter (opset 9-10) is ScatterElements without reduction. */
void nc_scatter_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                 void *scratch) {
  nc_scatterelements_ref_any_nchw_c99(a, in, out, scratch);
}
