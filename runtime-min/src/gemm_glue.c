/* Layer glue shared by the packed f32 GEMM families (gemm_glue.h). */
#include "gemm_glue.h"

#include <string.h>

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---------------- strided operands ---------------- */

void nc_gemm_strided_panel(const nc_gemm_strided *s, int64_t i0, int64_t lanes, int64_t k0,
                           int64_t kc, int w, float *dst) {
  int64_t valid = min64(min64(w, lanes), s->rows - i0);
  if (valid < 0) valid = 0;
  const float *src = s->base + i0 * s->rs + k0 * s->cs;
  if (s->rs == 1 && s->scale == 1.0f) { /* a panel step is contiguous in the source */
    for (int64_t p = 0; p < kc; p++) {
      memcpy(dst + p * w, src + p * s->cs, (size_t)valid * sizeof(float));
      memset(dst + p * w + valid, 0, (size_t)(w - valid) * sizeof(float));
    }
    return;
  }
  for (int64_t l = 0; l < w; l++) { /* walk each source row along K */
    const float *row = src + l * s->rs;
    if (l >= valid) {
      for (int64_t p = 0; p < kc; p++) dst[p * w + l] = 0.0f;
    } else {
      for (int64_t p = 0; p < kc; p++) dst[p * w + l] = s->scale * row[p * s->cs];
    }
  }
}

/* ---------------- Conv ---------------- */

nc_conv_io nc_conv_io_of(const nc_args *a, const void *const *in, void *const *out) {
  nc_conv_io io = {in[0], in[1], nc_nn_has_in(a, 2) ? in[2] : NULL,
                   nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL, out[0]};
  return io;
}

int nc_conv2d_gemm_applies(const nc_args *a) {
  return nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 0) == 2 && a->in[0].ndim == 4;
}

int64_t nc_conv_gemm_k(const nc_conv_geom *g) { return g->cin_g * g->k[1] * g->k[2]; }

int nc_conv_is_pointwise(const nc_conv_geom *g) {
  return g->k[1] == 1 && g->k[2] == 1 && g->stride[1] == 1 && g->stride[2] == 1 &&
         g->pad[1] == 0 && g->pad[2] == 0 && g->in[1] == g->out[1] && g->in[2] == g->out[2];
}

nc_sgemm_epilogue nc_conv_gemm_epilogue(const nc_conv_geom *g, const float *bias, int per_row) {
  nc_sgemm_epilogue e = {per_row ? bias : NULL, per_row ? NULL : bias, g->act, g->act_alpha,
                         g->act_beta, 0};
  return e;
}

/* Output offsets t in [0, n) with 0 <= x0 + t*s < size, as [*lo, *hi). */
static void valid_span(int64_t x0, int64_t s, int64_t n, int64_t size, int64_t *lo,
                       int64_t *hi) {
  int64_t l = x0 >= 0 ? 0 : (-x0 + s - 1) / s;
  int64_t h = x0 >= size ? 0 : (size - 1 - x0) / s + 1;
  *lo = min64(l, n);
  *hi = h < *lo ? *lo : min64(h, n);
}

/* One im2col row r (one (ci, ky, kx)) for pixels [j0, j0+nj) into lane
 * positions of panels of width w (panel stride kc*w). Each output row of
 * pixels is split into runs that stay in one panel: zeros, a copy, zeros. */
static void im2col_row(const nc_conv_geom *g, const float *x, int64_t r, int64_t j0,
                       int64_t nj, int64_t kc, int w, float *d) {
  const int64_t kh = g->k[1], kw = g->k[2], ow = g->out[2], W = g->in[2];
  const int64_t ci = r / (kh * kw), ky = r / kw % kh, kx = r % kw;
  const float *xc = x + ci * g->in[1] * W;
  int64_t oy = j0 / ow, ox = j0 % ow, lane = 0;
  for (int64_t q = 0; q < nj;) {
    const int64_t seg = min64(min64(ow - ox, w - lane), nj - q);
    const int64_t iy = oy * g->stride[1] - g->pad[1] + ky * g->dil[1];
    float *dl = d + lane;
    if (iy < 0 || iy >= g->in[1]) {
      memset(dl, 0, (size_t)seg * sizeof(float));
    } else {
      const int64_t sx = g->stride[2], ix0 = ox * sx - g->pad[2] + kx * g->dil[2];
      const float *xr = xc + iy * W;
      int64_t lo, hi;
      valid_span(ix0, sx, seg, W, &lo, &hi);
      memset(dl, 0, (size_t)lo * sizeof(float));
      if (sx == 1) memcpy(dl + lo, xr + ix0 + lo, (size_t)(hi - lo) * sizeof(float));
      else
        for (int64_t t = lo; t < hi; t++) dl[t] = xr[ix0 + t * sx];
      memset(dl + hi, 0, (size_t)(seg - hi) * sizeof(float));
    }
    q += seg;
    lane += seg;
    if (lane == w) {
      lane = 0;
      d += kc * w;
    }
    ox += seg;
    if (ox == ow) {
      ox = 0;
      oy++;
    }
  }
  if (lane) memset(d + lane, 0, (size_t)(w - lane) * sizeof(float));
}

void nc_im2col_nchw_panels(const nc_conv_panel_ctx *c, int64_t j0, int64_t nj, int64_t k0,
                           int64_t kc, int w, float *dst) {
  for (int64_t p = 0; p < kc; p++) im2col_row(c->g, c->x, k0 + p, j0, nj, kc, w, dst + p * w);
}

void nc_im2col_nhwc_panel(const nc_conv_panel_ctx *c, int64_t i0, int64_t lanes, int64_t k0,
                          int64_t kc, int w, float *dst) {
  const nc_conv_geom *g = c->g;
  const int64_t ow = g->out[2], pix = g->out[1] * g->out[2], cin = g->cin_g;
  for (int64_t l = 0; l < w; l++) {
    const int64_t q = i0 + l;
    float *d = dst + l;
    if (l >= lanes || q >= pix) {
      for (int64_t p = 0; p < kc; p++) d[p * w] = 0.0f;
      continue;
    }
    const int64_t oy = q / ow, ox = q % ow;
    for (int64_t r = k0; r < k0 + kc;) { /* per tap, a run of contiguous channels or zeros */
      const int64_t tap = r / cin, ci = r % cin, run = min64(cin - ci, k0 + kc - r);
      const int64_t ky = tap / g->k[2], kx = tap % g->k[2];
      const int64_t iy = oy * g->stride[1] - g->pad[1] + ky * g->dil[1];
      const int64_t ix = ox * g->stride[2] - g->pad[2] + kx * g->dil[2];
      float *dr = d + (r - k0) * w;
      if (iy < 0 || iy >= g->in[1] || ix < 0 || ix >= g->in[2]) {
        for (int64_t t = 0; t < run; t++) dr[t * w] = 0.0f;
      } else {
        const float *xv = c->x + (iy * g->in[2] + ix) * g->c + ci;
        for (int64_t t = 0; t < run; t++) dr[t * w] = xv[t];
      }
      r += run;
    }
  }
}

void nc_conv_gemm_groups(const nc_conv_geom *g, int nhwc, const nc_conv_io *io, size_t w_group,
                         nc_conv_gemm_fn fn, const void *family, void *scratch) {
  const int64_t pix = g->out[1] * g->out[2], isz = g->in[1] * g->in[2];
  nc_conv_gemm cg;
  memset(&cg, 0, sizeof cg);
  cg.m = nhwc ? pix : g->cout_g;
  cg.n = nhwc ? g->cout_g : pix;
  cg.k = nc_conv_gemm_k(g);
  cg.weights_are_a = !nhwc;
  cg.pointwise = nc_conv_is_pointwise(g);
  cg.ldy = nhwc ? g->m : pix;
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t grp = 0; grp < g->group; grp++) {
      const float *x;
      int64_t yoff;
      if (nhwc) { /* pointwise: A element (pixel, ci) is X[pixel*C + ci] */
        x = io->x + n * isz * g->c + grp * g->cin_g;
        cg.rows = (nc_gemm_strided){x, pix, g->c, 1, 1.0f};
        yoff = n * pix * g->m + grp * g->cout_g;
      } else { /* pointwise: B element (pixel, ci) is X[ci*isz + pixel] */
        x = io->x + (n * g->c + grp * g->cin_g) * isz;
        cg.rows = (nc_gemm_strided){x, pix, 1, isz, 1.0f};
        yoff = (n * g->m + grp * g->cout_g) * pix;
      }
      cg.cols = (nc_conv_panel_ctx){g, x};
      cg.w = io->w + (size_t)grp * w_group;
      cg.e = nc_conv_gemm_epilogue(g, io->bias ? io->bias + grp * g->cout_g : NULL, !nhwc);
      cg.y = io->y + yoff;
      cg.sum = io->sum ? io->sum + yoff : NULL;
      fn(&cg, family, scratch);
    }
}

void nc_conv_pack_nhwc_weights(const nc_conv_geom *g, int nr, const float *w, float *dst) {
  const int64_t k = nc_conv_gemm_k(g), nt = g->k[1] * g->k[2];
  float *d = dst;
  for (int64_t grp = 0; grp < g->group; grp++)
    for (int64_t j0 = 0; j0 < g->cout_g; j0 += nr)
      for (int64_t r = 0; r < k; r++) {
        const int64_t tap = r / g->cin_g, ci = r % g->cin_g;
        for (int64_t j = 0; j < nr; j++) {
          const int64_t m = grp * g->cout_g + j0 + j;
          *d++ = j0 + j < g->cout_g ? w[(m * g->cin_g + ci) * nt + tap] : 0.0f;
        }
      }
}

/* ---------------- Gemm / MatMul ---------------- */

void nc_sgemm_epilogue_only(int64_t m, int64_t n, float *c, int64_t ldc, const float *sum,
                            const nc_sgemm_epilogue *e) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float v = e->accumulate ? c[i * ldc + j] : 0.0f;
      if (e->bias_row) v += e->bias_row[i];
      if (e->bias_col) v += e->bias_col[j];
      if (sum) v += sum[i * ldc + j];
      c[i * ldc + j] = nc_apply_act(v, e->act, e->act_alpha, e->act_beta);
    }
}

nc_sgemm_epilogue nc_gemm_epilogue_of(const nc_args *a, const nc_gemm_dims *d, const float *c,
                                      float *y, int bias_in_epilogue) {
  const float beta = (float)nc_nn_fa(a, NC_GEMM_FA_BETA, 1.0);
  nc_sgemm_epilogue e = {NULL, NULL, nc_nn_ia(a, NC_GEMM_IA_ACT, NC_ACT_NONE),
                         (float)nc_nn_fa(a, NC_GEMM_FA_ACT_ALPHA, 0.0),
                         (float)nc_nn_fa(a, NC_GEMM_FA_ACT_BETA, 0.0), 0};
  if (!c || beta == 0.0f) return e;
  if (bias_in_epilogue && d->c_rs == 0 && d->c_cs == 1 && beta == 1.0f) {
    e.bias_col = c; /* the usual bias row: added in the epilogue, no pre-pass */
    return e;
  }
  for (int64_t i = 0; i < d->m; i++)
    for (int64_t j = 0; j < d->n; j++) y[i * d->n + j] = beta * c[i * d->c_rs + j * d->c_cs];
  e.accumulate = 1;
  return e;
}

void nc_matmul_2d_dims(const nc_args *a, int64_t *rows, int64_t *n, int64_t *k) {
  const nc_tdesc *A = &a->in[0], *B = &a->in[1];
  *k = A->dims[A->ndim - 1];
  *n = B->ndim == 2 ? B->dims[1] : 1;
  *rows = *n > 0 ? nc_numel(&a->out[0]) / *n : 0;
}

nc_gemm_call nc_gemm_call_of(const nc_args *a, const void *const *in, void *const *out) {
  const nc_gemm_dims d = nc_gemm_dims_of(a);
  const float alpha = (float)nc_nn_fa(a, NC_GEMM_FA_ALPHA, 1.0);
  nc_gemm_call c = {d.m, d.n, d.k, {in[0], d.m, d.a_rs, d.a_cs, alpha}, in[1], out[0]};
  c.e = nc_gemm_epilogue_of(a, &d, nc_nn_has_in(a, 2) ? in[2] : NULL, c.y, 1);
  return c;
}

nc_gemm_call nc_matmul_call_of(const nc_args *a, const void *const *in, void *const *out) {
  int64_t rows, n, k;
  nc_matmul_2d_dims(a, &rows, &n, &k);
  nc_gemm_call c = {rows, n, k, {in[0], rows, k, 1, 1.0f}, in[1], out[0],
                    {NULL, NULL, NC_ACT_NONE, 0.0f, 0.0f, 0}};
  return c;
}
