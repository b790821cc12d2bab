/* Winograd convolution F(m,3) for 3x3 stride-1 Conv in NCHW (x86-64 SIMD).
 * Internal to the runtime library: the transform matrices, the block plan
 * shared by the routines, their scratch/packing hooks and the routine
 * symbols. The ISA kernels are generated from x86_winograd_kernel.h.
 *
 * Y = A^T [ (G g G^T) . (B^T d B) ] A per output tile of m x m pixels, with
 * input tiles of T = m + 2. For every tile position xi (T*T of them) the
 * products over input channels are one GEMM: Mt_xi[M x tiles] = U_xi[M x C]
 * * V_xi[C x tiles]. Tiles are the SIMD lanes: V and Mt rows hold one value
 * per tile. */
#ifndef NC_X86_WINOGRAD_H
#define NC_X86_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "nn_internal.h"

#define NC_WINO_MAX_T 8 /* F(6,3) */

/* Transform matrices, rows of B^T (T x T), A^T (m x T) and G (T x 3); the
 * points are 0, +-1, +-2, +-1/2, infinity (the usual choice: smallest error). */
static const float nc_wino23_bt[4][4] = {
    {1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const float nc_wino23_at[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
static const double nc_wino23_g[4][3] = {
    {1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

static const float nc_wino43_bt[6][6] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
static const float nc_wino43_at[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
static const double nc_wino43_g[6][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1}};

static const float nc_wino63_bt[8][8] = {
    {1, 0, -5.25f, 0, 5.25f, 0, -1, 0},
    {0, 1, 1, -4.25f, -4.25f, 1, 1, 0},
    {0, -1, 1, 4.25f, -4.25f, -1, 1, 0},
    {0, 0.5f, 0.25f, -2.5f, -1.25f, 2, 1, 0},
    {0, -0.5f, 0.25f, 2.5f, -1.25f, -2, 1, 0},
    {0, 2, 4, -2.5f, -5, 0.5f, 1, 0},
    {0, -2, 4, 2.5f, -5, -0.5f, 1, 0},
    {0, -1, 0, 5.25f, 0, -5.25f, 0, 1}};
static const float nc_wino63_at[6][8] = {
    {1, 1, 1, 1, 1, 1, 1, 0},
    {0, 1, -1, 2, -2, 0.5f, -0.5f, 0},
    {0, 1, 1, 4, 4, 0.25f, 0.25f, 0},
    {0, 1, -1, 8, -8, 0.125f, -0.125f, 0},
    {0, 1, 1, 16, 16, 0.0625f, 0.0625f, 0},
    {0, 1, -1, 32, -32, 0.03125f, -0.03125f, 1}};
static const double nc_wino63_g[8][3] = {
    {1, 0, 0},
    {-2.0 / 9, -2.0 / 9, -2.0 / 9},
    {-2.0 / 9, 2.0 / 9, -2.0 / 9},
    {1.0 / 90, 1.0 / 45, 2.0 / 45},
    {1.0 / 90, -1.0 / 45, 2.0 / 45},
    {32.0 / 45, 16.0 / 45, 8.0 / 45},
    {32.0 / 45, -16.0 / 45, 8.0 / 45},
    {0, 0, 1}};

/* How one call is cut into work: the geometry plus the tile block size. The
 * packed weights are U[group][xi][M/mr panels][C][mr] (rows past M zero). */
typedef struct nc_wino_plan {
  int mo, t;                  /* output tile m, input tile T = m + 2 */
  int lanes, mr;              /* SIMD width (tiles per vector), GEMM rows per panel */
  int64_t n, group, c, m;     /* batch, groups, channels per group in / out */
  int64_t h, w, oh, ow;       /* input and output planes */
  int64_t pt, pl;             /* top / left padding */
  int64_t th, tw, tiles;      /* tile grid */
  int64_t mp;                 /* M rounded up to mr */
  int nv;                     /* SIMD vectors (of tiles) per block, 1..NC_WINO_MAX_NV */
  int64_t act;
  float act_alpha, act_beta;
} nc_wino_plan;

#define NC_WINO_MAX_NV 3

/* Fills p for a Conv call, with output tile mo and the ISA's lanes / mr. */
void nc_wino_plan_read(const nc_args *a, int mo, int lanes, int mr, nc_wino_plan *p);
/* conv_im2col.c: a 2-D Conv on rank-4 tensors. */
int nc_conv_2d_applies(const nc_args *a);
/* 1 for a 2-D 3x3 stride-1 dilation-1 f32 Conv whose planes index in int32
 * (with or without a fused residual sum: both Winograd layouts add it). */
int nc_wino_applies(const nc_args *a);
/* Scratch floats: V[T*T][C][nv*lanes] + Mt[T*T][mr][nv*lanes], plus alignment. */
size_t nc_wino_scratch_bytes(const nc_wino_plan *p);
size_t nc_wino_packed_bytes(const nc_wino_plan *p);
/* Weight transform U = G g G^T (in double), into the packed layout above. */
void nc_wino_pack_weights(const nc_wino_plan *p, const float *w, float *dst);

#define NC_WINO_ROUTINE(sym)                                                               \
  void sym(const nc_args *a, const void *const *in, void *const *out, void *scratch);     \
  size_t sym##_scratch(const nc_args *a);                                                  \
  size_t sym##_packed_bytes(const nc_args *a, int idx);                                    \
  void sym##_pack(const nc_args *a, int idx, const void *src, void *dst);
NC_WINO_ROUTINE(nc_conv_winograd23_f32_nchw_avx512)
NC_WINO_ROUTINE(nc_conv_winograd43_f32_nchw_avx512)
NC_WINO_ROUTINE(nc_conv_winograd63_f32_nchw_avx512)
NC_WINO_ROUTINE(nc_conv_winograd23_f32_nchw_avx2)
NC_WINO_ROUTINE(nc_conv_winograd43_f32_nchw_avx2)
NC_WINO_ROUTINE(nc_conv_winograd63_f32_nchw_avx2)
#undef NC_WINO_ROUTINE

/* u (T x T) = G k G^T for one 3x3 kernel k (G: T x 3, row-major), in double;
 * shared by the NCHW and NCHW16c weight packing. */
void nc_wino_transform_kernel(const double *gm, int t, const float *k, double *u);

#endif
