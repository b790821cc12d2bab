/* Reference MaxUnpool: a zero output with each input value stored at its
 * index. Indices count elements of the tensor MaxPool ran on (ia); they are
 * mapped to the same coordinates in the output, which may be larger.
 * Indices outside are skipped. */
#include <string.h>

#include "neuroc/args.h"
#include "reduce_routines.h"

/* Flat pooled-tensor index -> flat output index, or -1 if outside. */
static int64_t place(const nc_args *a, int64_t idx) {
  const nc_tdesc *od = &a->out[0];
  const int64_t *pd = a->ia + NC_MAXUNPOOL_POOLED_DIMS;
  int64_t total = 1, off = 0, stride = 1;
  for (int d = 0; d < od->ndim; d++) total *= pd[d];
  if (idx < 0 || idx >= total) return -1;
  for (int d = od->ndim - 1; d >= 0; d--) {
    int64_t c = idx % pd[d];
    idx /= pd[d];
    if (c >= od->dims[d]) return -1;
    off += c * stride;
    stride *= od->dims[d];
  }
  return off;
}

void nc_maxunpool_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                   void *scratch) {
  (void)scratch;
  size_t es = nc_dtype_size(a->in[0].dtype);
  int64_t n_in = nc_numel(&a->in[0]), n_out = nc_numel(&a->out[0]);
  const char *x = in[0];
  const int64_t *idx = in[1];
  char *y = out[0];
  memset(y, 0, (size_t)n_out * es);
  for (int64_t i = 0; i < n_in; i++) {
    int64_t o = place(a, idx[i]);
    if (o >= 0) memcpy(y + o * es, x + i * es, es);
  }
}
