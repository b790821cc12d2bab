/* Layout adapters cpu:*:nchw/to-nhwc/c99 and cpu:*:nhwc/to-nchw/c99: rank-4
 * transposes generic over element size (1, 2, 4 or 8 bytes); the logical
 * shape [N, C, H, W] is in[0]'s desc either way. */
#include <string.h>

#include "nn_internal.h"

/* dst[n][h][w][c] = src[n][c][h][w] (to_nhwc) or the inverse. */
#define DEFINE_PERMUTE(T)                                                              \
  static void permute_##T(const T *src, T *dst, const int64_t *d, int to_nhwc) {       \
    const int64_t n = d[0], c = d[1], hw = d[2] * d[3];                               \
    for (int64_t b = 0; b < n; b++) {                                                  \
      const T *s = src + b * c * hw;                                                   \
      T *t = dst + b * c * hw;                                                         \
      for (int64_t ch = 0; ch < c; ch++)                                               \
        for (int64_t p = 0; p < hw; p++) {                                             \
          if (to_nhwc) t[p * c + ch] = s[ch * hw + p];                                 \
          else t[ch * hw + p] = s[p * c + ch];                                         \
        }                                                                              \
    }                                                                                  \
  }

DEFINE_PERMUTE(uint8_t)
DEFINE_PERMUTE(uint16_t)
DEFINE_PERMUTE(uint32_t)
DEFINE_PERMUTE(uint64_t)

static void permute(const nc_args *a, const void *src, void *dst, int to_nhwc) {
  const int64_t *d = a->in[0].dims;
  switch (nc_dtype_size(a->in[0].dtype)) {
  case 1: permute_uint8_t(src, dst, d, to_nhwc); break;
  case 2: permute_uint16_t(src, dst, d, to_nhwc); break;
  case 4: permute_uint32_t(src, dst, d, to_nhwc); break;
  case 8: permute_uint64_t(src, dst, d, to_nhwc); break;
  default: break;
  }
}

int nc_adapter_applies(const nc_args *a) { return a->in[0].ndim == 4; }

void nc_to_nhwc_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                             void *scratch) {
  (void)scratch;
  permute(a, in[0], out[0], 1);
}

void nc_to_nchw_any_nhwc_c99(const nc_args *a, const void *const *in, void *const *out,
                             void *scratch) {
  (void)scratch;
  permute(a, in[0], out[0], 0);
}
