/* Layout adapters between the plain layouts (NCHW, NHWC) and the blocked
 * ones (NCHW16c, NCHW8c): cpu:f32:nchw/to-nchw16c/c99 and the like. Portable
 * C: they are pure data movement, run at the edges of blocked regions, and
 * the compiler vectorises the contiguous side. The blocked side always gets
 * zeros in the padded lanes of its tail block (the family's invariant). */
#include <string.h>

#include "x86_blocked.h"

/* Pixels per pass: the blocked side of a pass (TILE * b floats, 4 KiB for
 * b = 16) stays in L1 while each of its b lanes is filled or read. */
#define TILE 64

/* Plain side: element (c, p) of image n lives at c*cs + p*ps (p = h*W + w). */
typedef struct plain_view {
  int64_t cs, ps;
} plain_view;

static plain_view view_of(const nc_tdesc *d, int nhwc) {
  const int64_t hw = d->dims[2] * d->dims[3];
  plain_view v = {nhwc ? 1 : hw, nhwc ? d->dims[1] : 1};
  return v;
}

static void to_blocked(const nc_tdesc *d, const float *src, float *dst, int64_t b, int nhwc) {
  const int64_t n = d->dims[0], c = d->dims[1], hw = d->dims[2] * d->dims[3];
  const int64_t cb_n = ncb_blocks(c, b);
  const plain_view v = view_of(d, nhwc);
  for (int64_t i = 0; i < n; i++)
    for (int64_t cb = 0; cb < cb_n; cb++) {
      float *blk = dst + (i * cb_n + cb) * hw * b;
      const int64_t lanes = c - cb * b < b ? c - cb * b : b;
      if (lanes < b) memset(blk, 0, (size_t)(hw * b) * sizeof(float));
      for (int64_t p0 = 0; p0 < hw; p0 += TILE) {
        const int64_t p1 = p0 + TILE < hw ? p0 + TILE : hw;
        for (int64_t l = 0; l < lanes; l++) {
          const float *s = src + i * c * hw + (cb * b + l) * v.cs;
          for (int64_t p = p0; p < p1; p++) blk[p * b + l] = s[p * v.ps];
        }
      }
    }
}

static void from_blocked(const nc_tdesc *d, const float *src, float *dst, int64_t b,
                         int nhwc) {
  const int64_t n = d->dims[0], c = d->dims[1], hw = d->dims[2] * d->dims[3];
  const int64_t cb_n = ncb_blocks(c, b);
  const plain_view v = view_of(d, nhwc);
  for (int64_t i = 0; i < n; i++)
    for (int64_t cb = 0; cb < cb_n; cb++) {
      const float *blk = src + (i * cb_n + cb) * hw * b;
      const int64_t lanes = c - cb * b < b ? c - cb * b : b;
      for (int64_t p0 = 0; p0 < hw; p0 += TILE) {
        const int64_t p1 = p0 + TILE < hw ? p0 + TILE : hw;
        for (int64_t l = 0; l < lanes; l++) {
          float *t = dst + i * c * hw + (cb * b + l) * v.cs;
          for (int64_t p = p0; p < p1; p++) t[p * v.ps] = blk[p * b + l];
        }
      }
    }
}

#define ADAPTER(sym, dir, b, nhwc)                                                  \
  void sym(const nc_args *a, const void *const *in, void *const *out, void *scratch) { \
    (void)scratch;                                                                  \
    dir(&a->in[0], in[0], out[0], b, nhwc);                                         \
  }

ADAPTER(nc_to_nchw16c_f32_nchw_c99, to_blocked, 16, 0)
ADAPTER(nc_to_nchw_f32_nchw16c_c99, from_blocked, 16, 0)
ADAPTER(nc_to_nchw16c_f32_nhwc_c99, to_blocked, 16, 1)
ADAPTER(nc_to_nhwc_f32_nchw16c_c99, from_blocked, 16, 1)
ADAPTER(nc_to_nchw8c_f32_nchw_c99, to_blocked, 8, 0)
ADAPTER(nc_to_nchw_f32_nchw8c_c99, from_blocked, 8, 0)
ADAPTER(nc_to_nchw8c_f32_nhwc_c99, to_blocked, 8, 1)
ADAPTER(nc_to_nhwc_f32_nchw8c_c99, from_blocked, 8, 1)
