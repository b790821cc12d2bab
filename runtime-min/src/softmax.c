/* Softmax, LogSoftmax, Hardmax references (f32 and f64, NCHW). The input is
 * viewed as [OUTER, LEN, INNER] (lowering resolved the opset rules) and
 * normalised along LEN, max-subtracted for stability. */
#include <math.h>

#include "nn_internal.h"

typedef enum smax_kind { SMAX_SOFT, SMAX_LOG, SMAX_HARD } smax_kind;

#define DEFINE_SMAX(T, SUF)                                                             \
  static void smax_##SUF(const nc_args *a, smax_kind kind, const T *x, T *y) {          \
    const int64_t outer = nc_nn_ia(a, NC_SOFTMAX_IA_OUTER, 1);                          \
    const int64_t len = nc_nn_ia(a, NC_SOFTMAX_IA_LEN, 1);                              \
    const int64_t inner = nc_nn_ia(a, NC_SOFTMAX_IA_INNER, 1);                          \
    for (int64_t o = 0; o < outer; o++)                                                 \
      for (int64_t i = 0; i < inner; i++) {                                             \
        const T *xs = x + o * len * inner + i;                                          \
        T *ys = y + o * len * inner + i;                                                \
        int64_t arg = 0;                                                                \
        for (int64_t l = 1; l < len; l++)                                               \
          if (xs[l * inner] > xs[arg * inner]) arg = l;                                 \
        if (kind == SMAX_HARD) {                                                        \
          for (int64_t l = 0; l < len; l++) ys[l * inner] = (T)(l == arg);              \
          continue;                                                                     \
        }                                                                               \
        const double mx = len > 0 ? (double)xs[arg * inner] : 0.0;                      \
        double sum = 0.0;                                                               \
        for (int64_t l = 0; l < len; l++) sum += exp((double)xs[l * inner] - mx);       \
        const double lsum = log(sum);                                                   \
        for (int64_t l = 0; l < len; l++) {                                             \
          double v = (double)xs[l * inner] - mx;                                        \
          ys[l * inner] = (T)(kind == SMAX_LOG ? v - lsum : exp(v) / sum);              \
        }                                                                               \
      }                                                                                 \
  }

DEFINE_SMAX(float, f32)
DEFINE_SMAX(double, f64)

#define DEFINE_SMAX_ROUTINE(LAYER, KIND)                                                 \
  void nc_##LAYER##_ref_f32_nchw_c99(const nc_args *a, const void *const *in,           \
                                     void *const *out, void *scratch) {                 \
    (void)scratch;                                                                      \
    smax_f32(a, KIND, in[0], out[0]);                                                   \
  }                                                                                     \
  void nc_##LAYER##_ref_f64_nchw_c99(const nc_args *a, const void *const *in,           \
                                     void *const *out, void *scratch) {                 \
    (void)scratch;                                                                      \
    smax_f64(a, KIND, in[0], out[0]);                                                   \
  }

DEFINE_SMAX_ROUTINE(softmax, SMAX_SOFT)
DEFINE_SMAX_ROUTINE(logsoftmax, SMAX_LOG)
DEFINE_SMAX_ROUTINE(hardmax, SMAX_HARD)
