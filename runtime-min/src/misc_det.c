/* Reference Det: determinant of each trailing M x M matrix by LU
 * decomposition with partial pivoting, in double (f32/f16/bf16 round once). */
#include <math.h>
#include <string.h>

#include "reduce_io.h"
#include "reduce_routines.h"

size_t nc_det_scratch_bytes(const nc_args *a) {
  int64_t m = a->in[0].dims[a->in[0].ndim - 1];
  return (size_t)(m * m) * sizeof(double);
}

static double det_lu(double *m, int64_t n) {
  double det = 1.0;
  for (int64_t c = 0; c < n; c++) {
    int64_t p = c;
    for (int64_t r = c + 1; r < n; r++)
      if (fabs(m[r * n + c]) > fabs(m[p * n + c])) p = r;
    if (m[p * n + c] == 0.0) return 0.0;
    if (p != c) {
      for (int64_t k = 0; k < n; k++) {
        double t = m[c * n + k];
        m[c * n + k] = m[p * n + k];
        m[p * n + k] = t;
      }
      det = -det;
    }
    double piv = m[c * n + c];
    det *= piv;
    for (int64_t r = c + 1; r < n; r++) {
      double f = m[r * n + c] / piv;
      for (int64_t k = c + 1; k < n; k++) m[r * n + k] -= f * m[c * n + k];
    }
  }
  return det;
}

void nc_det_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                             void *scratch) {
  int32_t dt = a->in[0].dtype;
  int64_t n = a->in[0].dims[a->in[0].ndim - 1], mm = n * n;
  int64_t batch = mm ? nc_numel(&a->in[0]) / mm : nc_numel(&a->out[0]);
  double *m = scratch;
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t k = 0; k < mm; k++) m[k] = nc_load_f64(in[0], dt, b * mm + k);
    rdx_st(out[0], dt, b, det_lu(m, n), 0);
  }
}
