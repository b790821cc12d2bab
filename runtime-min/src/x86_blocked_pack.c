/* The portable parts of the blocked-channel family: which arguments its
 * routines handle, and the compile-time packing of conv weights and biases
 * into channel blocks (zero in every padded slot, see x86_blocked.h). */
#include <string.h>

#include "x86_blocked.h"

/* ---------------- applicability ---------------- */

static int is_f32_rank4(const nc_tdesc *d) { return d->dtype == NC_F32 && d->ndim == 4; }

static int same_dims(const nc_tdesc *x, const nc_tdesc *y) {
  if (x->ndim != y->ndim) return 0;
  for (int k = 0; k < x->ndim; k++)
    if (x->dims[k] != y->dims[k]) return 0;
  return 1;
}

static int conv_2d(const nc_args *a) {
  return a->n_in >= 2 && is_f32_rank4(&a->in[0]) && a->in[1].ndim == 4 &&
         is_f32_rank4(&a->out[0]) && nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 2) == 2 &&
         (!nc_nn_has_in(a, 2) || a->in[2].dtype == NC_F32);
}

int ncb_applies_conv(const nc_args *a) {
  return conv_2d(a) && nc_nn_ia(a, NC_CONV_IA_GROUP, 1) == 1;
}

/* A plain input is read channel by channel with a stride of H*W: worth it
 * for the few channels of an image (the first layer), not beyond a block.
 * No residual sum: it would come in the input's (plain) layout, while the
 * kernels add it in the output's blocked one. */
int ncb_applies_conv_plain(const nc_args *a) {
  return ncb_applies_conv(a) && a->in[0].dims[1] <= 16 && !nc_nn_has_in(a, NC_CONV_IN_SUM);
}

int ncb_applies_dwconv(const nc_args *a) {
  if (!conv_2d(a)) return 0;
  int64_t c = a->in[0].dims[1];
  return c > 1 && nc_nn_ia(a, NC_CONV_IA_GROUP, 1) == c && a->out[0].dims[1] == c &&
         a->in[1].dims[1] == 1;
}

int ncb_applies_pool(const nc_args *a) {
  return is_f32_rank4(&a->in[0]) && nc_nn_ia(a, NC_POOL_IA_NSPATIAL, 2) == 2 &&
         !nc_nn_has_out(a, 1);
}

int ncb_applies_gap(const nc_args *a) { return is_f32_rank4(&a->in[0]); }

int ncb_applies_same(const nc_args *a) {
  return a->n_in == 2 && is_f32_rank4(&a->out[0]) && a->in[0].dtype == NC_F32 &&
         a->in[1].dtype == NC_F32 && same_dims(&a->in[0], &a->out[0]) &&
         same_dims(&a->in[1], &a->out[0]);
}

/* One operand of the output's shape, the other [N|1, C, 1, 1]. With C a
 * multiple of the block, that small operand has the same bytes plain and
 * blocked, so it is read right whether it is an activation (blocked) or a
 * compile-time constant (passed plain). */
static int applies_channel(const nc_args *a, int64_t b) {
  if (a->n_in != 2 || !is_f32_rank4(&a->out[0]) || a->in[0].dtype != NC_F32 ||
      a->in[1].dtype != NC_F32)
    return 0;
  const nc_tdesc *o = &a->out[0];
  int left = !same_dims(&a->in[0], o);
  if (left && !same_dims(&a->in[1], o)) return 0;
  const nc_tdesc *s = &a->in[left ? 0 : 1];
  return s->ndim == 4 && (s->dims[0] == 1 || s->dims[0] == o->dims[0]) &&
         s->dims[1] == o->dims[1] && s->dims[2] == 1 && s->dims[3] == 1 &&
         o->dims[1] % b == 0 && !same_dims(s, o);
}

int ncb_applies_channel16(const nc_args *a) { return applies_channel(a, 16); }
int ncb_applies_channel8(const nc_args *a) { return applies_channel(a, 8); }

int ncb_applies_unary(const nc_args *a) {
  return a->n_in >= 1 && is_f32_rank4(&a->in[0]) && is_f32_rank4(&a->out[0]);
}

/* Inputs follow one another block by block: every input but the last must
 * fill its blocks, or its padding would land inside the output. */
static int applies_concat(const nc_args *a, int64_t b) {
  if (!is_f32_rank4(&a->out[0]) || a->n_ia < 1 || a->ia[NC_CONCAT_AXIS] != 1) return 0;
  for (int i = 0; i < a->n_in; i++)
    if (!is_f32_rank4(&a->in[i]) || (i + 1 < a->n_in && a->in[i].dims[1] % b != 0)) return 0;
  return 1;
}

int ncb_applies_concat16(const nc_args *a) { return applies_concat(a, 16); }
int ncb_applies_concat8(const nc_args *a) { return applies_concat(a, 8); }

int ncb_applies_adapter(const nc_args *a) { return a->in[0].ndim == 4; }

int ncb_applies_pad(const nc_args *a) {
  if (!is_f32_rank4(&a->in[0]) || !is_f32_rank4(&a->out[0]) || a->n_ia < NC_PAD_BEGIN + 4 ||
      a->ia[NC_PAD_MODE] != NC_PAD_CONSTANT)
    return 0;
  const nc_tdesc *x = &a->in[0], *y = &a->out[0];
  for (int d = 0; d < 4; d++) {
    int64_t begin = a->ia[NC_PAD_BEGIN + d], end = y->dims[d] - x->dims[d] - begin;
    if (begin < 0 || end < 0 || (d < 2 && (begin != 0 || end != 0))) return 0;
  }
  return 1;
}

int ncb_applies_batchnorm(const nc_args *a) {
  if (a->n_in != 5 || !is_f32_rank4(&a->in[0]) || !is_f32_rank4(&a->out[0])) return 0;
  for (int i = 1; i < 5; i++)
    if (a->in[i].dtype != NC_F32 || nc_numel(&a->in[i]) != a->in[0].dims[1]) return 0;
  return 1;
}

/* ---------------- packing ---------------- */

/* Packed conv weight size in floats; plain_in = one input block of all C. */
static int64_t conv_w_floats(const nc_args *a, int64_t b, int plain_in) {
  const nc_tdesc *w = &a->in[1];
  int64_t c = w->dims[1], taps = w->dims[2] * w->dims[3];
  int64_t icb = plain_in ? 1 : ncb_blocks(c, b), icblk = plain_in ? c : b;
  return ncb_blocks(w->dims[0], b) * b * icb * icblk * taps;
}

static int64_t bias_floats(const nc_args *a, int64_t b) {
  return ncb_blocks(a->out[0].dims[1], b) * b;
}

static size_t conv_bytes(const nc_args *a, int idx, int64_t b, int plain_in) {
  if (idx == 1) return (size_t)conv_w_floats(a, b, plain_in) * sizeof(float);
  if (idx == 2 && nc_nn_has_in(a, 2)) return (size_t)bias_floats(a, b) * sizeof(float);
  return 0;
}

static void pack_bias(const nc_args *a, int64_t b, const float *src, float *dst) {
  int64_t m = a->out[0].dims[1];
  memset(dst, 0, (size_t)bias_floats(a, b) * sizeof(float));
  memcpy(dst, src, (size_t)m * sizeof(float));
}

static void conv_pack(const nc_args *a, int idx, const void *src, void *dst, int64_t b,
                      int plain_in) {
  if (idx == 2) {
    pack_bias(a, b, src, dst);
    return;
  }
  if (idx != 1) return;
  const nc_tdesc *wd = &a->in[1];
  const int64_t m = wd->dims[0], c = wd->dims[1], kh = wd->dims[2], kw = wd->dims[3];
  const int64_t icb_n = plain_in ? 1 : ncb_blocks(c, b), icblk = plain_in ? c : b;
  const float *w = src;
  float *d = dst;
  memset(d, 0, (size_t)conv_w_floats(a, b, plain_in) * sizeof(float));
  for (int64_t o = 0; o < m; o++)
    for (int64_t i = 0; i < c; i++)
      for (int64_t y = 0; y < kh; y++)
        for (int64_t x = 0; x < kw; x++) {
          int64_t ob = o / b, ol = o % b, ib = i / icblk, il = i % icblk;
          int64_t at = ((((ob * icb_n + ib) * kh + y) * kw + x) * icblk + il) * b + ol;
          d[at] = w[((o * c + i) * kh + y) * kw + x];
        }
}

static size_t dw_bytes(const nc_args *a, int idx, int64_t b) {
  const nc_tdesc *w = &a->in[1];
  if (idx == 1) return (size_t)(ncb_blocks(w->dims[0], b) * b * w->dims[2] * w->dims[3]) * sizeof(float);
  if (idx == 2 && nc_nn_has_in(a, 2)) return (size_t)bias_floats(a, b) * sizeof(float);
  return 0;
}

static void dw_pack(const nc_args *a, int idx, const void *src, void *dst, int64_t b) {
  if (idx == 2) {
    pack_bias(a, b, src, dst);
    return;
  }
  if (idx != 1) return;
  const nc_tdesc *wd = &a->in[1];
  const int64_t c = wd->dims[0], taps = wd->dims[2] * wd->dims[3];
  const float *w = src;
  float *d = dst;
  memset(d, 0, dw_bytes(a, 1, b));
  for (int64_t ch = 0; ch < c; ch++)
    for (int64_t t = 0; t < taps; t++) d[((ch / b) * taps + t) * b + ch % b] = w[ch * taps + t];
}

size_t ncb_conv_packed_bytes16(const nc_args *a, int idx) { return conv_bytes(a, idx, 16, 0); }
size_t ncb_conv_packed_bytes8(const nc_args *a, int idx) { return conv_bytes(a, idx, 8, 0); }
size_t ncb_conv_plain_packed_bytes16(const nc_args *a, int idx) { return conv_bytes(a, idx, 16, 1); }
size_t ncb_conv_plain_packed_bytes8(const nc_args *a, int idx) { return conv_bytes(a, idx, 8, 1); }
size_t ncb_dwconv_packed_bytes16(const nc_args *a, int idx) { return dw_bytes(a, idx, 16); }
size_t ncb_dwconv_packed_bytes8(const nc_args *a, int idx) { return dw_bytes(a, idx, 8); }

void ncb_conv_pack16(const nc_args *a, int idx, const void *src, void *dst) {
  conv_pack(a, idx, src, dst, 16, 0);
}
void ncb_conv_pack8(const nc_args *a, int idx, const void *src, void *dst) {
  conv_pack(a, idx, src, dst, 8, 0);
}
void ncb_conv_plain_pack16(const nc_args *a, int idx, const void *src, void *dst) {
  conv_pack(a, idx, src, dst, 16, 1);
}
void ncb_conv_plain_pack8(const nc_args *a, int idx, const void *src, void *dst) {
  conv_pack(a, idx, src, dst, 8, 1);
}
void ncb_dwconv_pack16(const nc_args *a, int idx, const void *src, void *dst) {
  dw_pack(a, idx, src, dst, 16);
}
void ncb_dwconv_pack8(const nc_args *a, int idx, const void *src, void *dst) {
  dw_pack(a, idx, src, dst, 8);
}
