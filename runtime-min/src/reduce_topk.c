/* Reference TopK: a stable merge sort of each slice's indices, so equal
 * values keep the lower index first. Any numeric dtype; NaN sorts as the
 * largest value. */
#include <string.h>

#include "neuroc/args.h"
#include "reduce_io.h"
#include "reduce_routines.h"

size_t nc_topk_scratch_bytes(const nc_args *a) {
  int axis = (int)a->ia[NC_TOPK_AXIS];
  return 2 * (size_t)a->in[0].dims[axis] * sizeof(int64_t);
}

/* Does element i (slice position) come before element j in the result? */
static int comes_first(const void *x, int32_t dt, int64_t base, int64_t inner, int64_t i,
                       int64_t j, int largest) {
  int c = rdx_cmp(x, base + i * inner, x, base + j * inner, dt);
  return largest ? c > 0 : c < 0;
}

/* Bottom-up merge sort of idx[0..n) with tmp as work space; stable because a
 * right-run element only moves ahead when strictly first. */
static void sort_slice(const void *x, int32_t dt, int64_t base, int64_t inner, int largest,
                       int64_t *idx, int64_t *tmp, int64_t n) {
  for (int64_t w = 1; w < n; w *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * w) {
      int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        tmp[k++] = comes_first(x, dt, base, inner, idx[j], idx[i], largest) ? idx[j++] : idx[i++];
      while (i < mid) tmp[k++] = idx[i++];
      while (j < hi) tmp[k++] = idx[j++];
    }
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
  }
}

void nc_topk_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                              void *scratch) {
  int32_t dt = a->in[0].dtype;
  size_t es = nc_dtype_size(dt);
  int64_t outer, len, inner, k = a->ia[NC_TOPK_K];
  rdx_split(&a->in[0], (int)a->ia[NC_TOPK_AXIS], &outer, &len, &inner);
  int largest = a->ia[NC_TOPK_LARGEST] != 0;
  int64_t *idx = scratch, *tmp = idx + len;
  const char *x = in[0];
  char *vals = out[0];
  int64_t *inds = a->n_out > 1 ? out[1] : NULL;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * len * inner + i;
      for (int64_t j = 0; j < len; j++) idx[j] = j;
      sort_slice(x, dt, base, inner, largest, idx, tmp, len);
      for (int64_t j = 0; j < k; j++) {
        int64_t dst = (o * k + j) * inner + i;
        if (vals) memcpy(vals + dst * es, x + (base + idx[j] * inner) * es, es);
        if (inds) inds[dst] = idx[j];
      }
    }
}
