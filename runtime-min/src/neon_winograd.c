/* cpu:f32:nhwc/conv-winograd23/neon — 3x3 stride-1 undilated Conv (group 1) in
 * NHWC by Winograd F(2x2, 3x3): per block of NC_NEON_WG_TILES output tiles
 * of 2x2 pixels, the 4x4 input tiles are transformed (B^T d B), the 16
 * transform points are 16 GEMMs [tiles x C] x [C x M] on the NEON 8x12
 * driver against the transformed weights (G g G^T, packed at compile
 * time), and the 4x4 products go back through A^T m A to 2x2 outputs with
 * the bias, the residual sum S and the activation. 2.25x fewer multiplies
 * than the direct sum, slightly larger rounding error: NC_RF_APPROX.
 *
 * Packed W (portable C): for each transform point xi (0..15, row-major over
 * the 4x4 tile) the C x M matrix U_xi as B panels of 12 columns
 * (neon_gemm.h). The transform is written as sums scaled last, so no
 * compiler can contract it into fused multiply-adds: the same bytes on
 * every host. */
#include "neon_gemm.h"

#include <string.h>

/* Output tiles transformed at once (scratch is 16 x that x (C + M) floats). */
#define NC_NEON_WG_TILES 32

int nc_neon_winograd_applies(const nc_args *a) {
  if (nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 0) != 2 || a->in[0].ndim != 4) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return g.group == 1 && g.k[1] == 3 && g.k[2] == 3 && g.stride[1] == 1 && g.stride[2] == 1 &&
         g.dil[1] == 1 && g.dil[2] == 1;
}

static size_t u_floats(const nc_conv_geom *g) {
  return nc_neon_packed_floats(NC_NEON_NR, g->m, g->c);
}

size_t nc_neon_winograd_packed_bytes(const nc_args *a, int idx) {
  if (idx != 1) return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return 16 * u_floats(&g) * sizeof(float);
}

/* u (4x4) = G g G^T for one 3x3 kernel g, G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]. */
static void kernel_transform(const float *k, float *u) {
  float t[4][3]; /* G g */
  for (int j = 0; j < 3; j++) {
    t[0][j] = k[j];
    t[1][j] = 0.5f * (k[j] + k[3 + j] + k[6 + j]);
    t[2][j] = 0.5f * (k[j] - k[3 + j] + k[6 + j]);
    t[3][j] = k[6 + j];
  }
  for (int i = 0; i < 4; i++) { /* (G g) G^T */
    u[i * 4 + 0] = t[i][0];
    u[i * 4 + 1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
    u[i * 4 + 2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
    u[i * 4 + 3] = t[i][2];
  }
}

void nc_neon_winograd_pack(const nc_args *a, int idx, const void *src, void *dst) {
  if (idx != 1) return;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const int64_t C = g.c, M = g.m;
  const size_t per = u_floats(&g);
  float *d = dst;
  memset(d, 0, 16 * per * sizeof(float)); /* padded columns stay zero */
  /* U_xi[c][m] lands in panel m / 12, step c, lane m % 12 of point xi */
  for (int64_t m = 0; m < M; m++)
    for (int64_t c = 0; c < C; c++) {
      float t[16];
      kernel_transform((const float *)src + (m * C + c) * 9, t);
      for (int xi = 0; xi < 16; xi++)
        d[xi * per + (size_t)((m / NC_NEON_NR) * NC_NEON_NR * C + c * NC_NEON_NR + m % NC_NEON_NR)] =
            t[xi];
    }
}

size_t nc_neon_winograd_scratch(const nc_args *a) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  return (16 * NC_NEON_WG_TILES * (size_t)(g.c + g.m) + nc_neon_scratch_floats(g.c)) *
         sizeof(float);
}

#if defined(__aarch64__)

/* V[xi][t][c] (row stride C) = B^T d B of the 4x4 input tile at (iy0, ix0)
 * for every channel, zero outside the image; B^T = [1 0 -1 0; 0 1 1 0;
 * 0 -1 1 0; 0 1 0 -1]. */
static void input_transform(const nc_conv_geom *g, const float *x, int64_t iy0, int64_t ix0,
                            float *v, int64_t vstride) {
  const int64_t C = g->c, H = g->in[1], W = g->in[2];
  for (int64_t c = 0; c < C; c++) {
    float d[4][4], t[4][4];
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        const int64_t iy = iy0 + i, ix = ix0 + j;
        d[i][j] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[(iy * W + ix) * C + c] : 0.0f;
      }
    for (int j = 0; j < 4; j++) { /* B^T d */
      t[0][j] = d[0][j] - d[2][j];
      t[1][j] = d[1][j] + d[2][j];
      t[2][j] = d[2][j] - d[1][j];
      t[3][j] = d[1][j] - d[3][j];
    }
    for (int i = 0; i < 4; i++) { /* (B^T d) B */
      v[(i * 4 + 0) * vstride + c] = t[i][0] - t[i][2];
      v[(i * 4 + 1) * vstride + c] = t[i][1] + t[i][2];
      v[(i * 4 + 2) * vstride + c] = t[i][2] - t[i][1];
      v[(i * 4 + 3) * vstride + c] = t[i][1] - t[i][3];
    }
  }
}

/* y (2x2 at oy0, ox0, clipped to the image) = A^T m A + bias + S, then the
 * activation; A^T = [1 1 1 0; 0 1 -1 -1]. m[xi] at mp[xi * mstride + o]. */
static void output_transform(const nc_conv_geom *g, const float *mp, int64_t mstride,
                             const float *bias, const float *sum, float *y, int64_t oy0,
                             int64_t ox0) {
  const int64_t M = g->m, OH = g->out[1], OW = g->out[2];
  for (int64_t o = 0; o < M; o++) {
    float m[4][4], t[2][4];
    for (int xi = 0; xi < 16; xi++) m[xi / 4][xi % 4] = mp[xi * mstride + o];
    for (int j = 0; j < 4; j++) {
      t[0][j] = m[0][j] + m[1][j] + m[2][j];
      t[1][j] = m[1][j] - m[2][j] - m[3][j];
    }
    for (int i = 0; i < 2; i++) {
      const float r[2] = {t[i][0] + t[i][1] + t[i][2], t[i][1] - t[i][2] - t[i][3]};
      for (int j = 0; j < 2; j++) {
        const int64_t oy = oy0 + i, ox = ox0 + j;
        if (oy >= OH || ox >= OW) continue;
        const int64_t off = (oy * OW + ox) * M + o;
        float v = r[j] + (bias ? bias[o] : 0.0f) + (sum ? sum[off] : 0.0f);
        y[off] = nc_apply_act(v, g->act, g->act_alpha, g->act_beta);
      }
    }
  }
}

void nc_conv_winograd23_f32_nhwc_neon(const nc_args *a, const void *const *in,
                                      void *const *out, void *scratch) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  const int64_t C = g.c, M = g.m, OH = g.out[1], OW = g.out[2], T = NC_NEON_WG_TILES;
  const int64_t th = (OH + 1) / 2, tw = (OW + 1) / 2, tiles = th * tw;
  float *v = scratch, *mb = v + 16 * T * C, *pk = mb + 16 * T * M;
  const size_t per = u_floats(&g);
  const nc_sgemm_epilogue none = {NULL, NULL, NC_ACT_NONE, 0.0f, 0.0f, 0};
  for (int64_t n = 0; n < g.n; n++) {
    const float *x = (const float *)in[0] + n * g.in[1] * g.in[2] * C;
    float *y = (float *)out[0] + n * OH * OW * M;
    const float *s = sum ? sum + n * OH * OW * M : NULL;
    for (int64_t t0 = 0; t0 < tiles; t0 += T) {
      const int64_t nt = tiles - t0 < T ? tiles - t0 : T;
      for (int64_t t = 0; t < nt; t++) {
        const int64_t ty = (t0 + t) / tw, tx = (t0 + t) % tw;
        input_transform(&g, x, ty * 2 - g.pad[1], tx * 2 - g.pad[2], v + t * C, T * C);
      }
      for (int xi = 0; xi < 16; xi++) {
        nc_neon_strided vs = {v + xi * T * C, nt, C, 1, 1.0f};
        nc_neon_operand A = {NULL, nc_neon_pack_strided, &vs};
        nc_neon_operand B = {(const float *)in[1] + xi * per, NULL, NULL};
        nc_neon_sgemm(nt, M, C, &A, &B, mb + xi * T * M, M, NULL, &none, pk);
      }
      for (int64_t t = 0; t < nt; t++) {
        const int64_t ty = (t0 + t) / tw, tx = (t0 + t) % tw;
        output_transform(&g, mb + t * M, T * M, bias, s, y, ty * 2, tx * 2);
      }
    }
  }
}

#endif
