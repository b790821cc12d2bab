/* x86-64 packed f32 GEMM: register-blocked micro-kernels (AVX2+FMA,
 * AVX-512) behind one cache-blocked driver, shared by the layers of the
 * x86 gemm family (x86_gemm_layers.c). Internal to the runtime library.
 *
 * Operand formats (same as gemm.c, with the tile as a parameter):
 *  - A (M x K) as ceil(M/MR) panels, each K steps of MR consecutive row
 *    values; B (K x N) as ceil(N/NR) panels, each K steps of NR column
 *    values; tails zero-padded.
 *  - An operand is either packed once for the whole K (constant weights,
 *    packed at compile time) or packed block by block into scratch by a
 *    callback (activations: im2col, transposes, alpha scaling). */
#ifndef NC_X86_GEMM_H
#define NC_X86_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "gemm_glue.h"
#include "nn_internal.h"

/* Cache sizes the blocking is chosen from (per core; override with -D).
 * KC keeps an A micro-panel (MR x KC) resident in L1 while B micro-panels
 * stream past it; a B block (KC x NC) and an A block (MC x KC) share L2. */
#ifndef NC_X86_L1D_BYTES
#define NC_X86_L1D_BYTES (32 * 1024)
#endif
#ifndef NC_X86_L2_BYTES
#define NC_X86_L2_BYTES (1024 * 1024)
#endif

/* What the micro-kernel does to its tile after the last K block:
 * C = act(C + bias_row[i] + bias_col[j] + sum[i][j]); pointers already
 * offset to the tile, sum with C's row stride (a fused residual Add). */
typedef struct nc_xgemm_post {
  const float *bias_row; /* MR values or NULL */
  const float *bias_col; /* NR values or NULL */
  const float *sum;      /* tile of the residual input or NULL */
  int64_t act;           /* any nc_act, done in registers (x86_act.h) */
  float act_alpha, act_beta;
} nc_xgemm_post;

/* c[0..R) x [0..cols) (row stride ldc) = (load_c ? c : 0) + sum over kc steps
 * of a-column x b-row, then `post` if not NULL. a advances by the panel's MR
 * per step, b by NR. R is fixed per function (row tails call a smaller R). */
typedef void (*nc_xgemm_ukernel)(int64_t kc, const float *a, const float *b, float *c,
                                 int64_t ldc, int64_t cols, int load_c,
                                 const nc_xgemm_post *post);

/* One register tile: micro-kernels for 1..MR rows (ukernel[r-1]). */
typedef struct nc_xgemm_tile {
  const char *isa; /* "avx2" or "avx512": what nc_cpu_supports must grant */
  int mr, nr;
  nc_xgemm_ukernel ukernel[16];
} nc_xgemm_tile;

#if defined(__x86_64__)
extern const nc_xgemm_tile nc_xgemm_avx2_6x16;
extern const nc_xgemm_tile nc_xgemm_avx512_14x32;
extern const nc_xgemm_tile nc_xgemm_avx512_8x48;
extern const nc_xgemm_tile nc_xgemm_avx512_6x64;
#endif

/* Packs rows [i0, i0+ni) x K steps [k0, k0+kc) of an activation operand into
 * panels of width `w` (MR for A, NR for B): element (row r, step p) at
 * dst[(r/w)*kc*w + p*w + r%w], rows past the operand's end zero. */
typedef void (*nc_xgemm_packer)(const void *ctx, int64_t i0, int64_t ni, int64_t k0,
                                int64_t kc, int w, float *dst);

/* An operand: `packed` (whole-K panels) or `pack` + `ctx` (blocks into scratch). */
typedef struct nc_xgemm_operand {
  const float *packed;
  nc_xgemm_packer pack;
  const void *ctx;
} nc_xgemm_operand;

/* Blocks the driver uses for a tile: K block, and the rows of A / columns of
 * B packed into scratch at once. */
int64_t nc_xgemm_kc(const nc_xgemm_tile *t);
int64_t nc_xgemm_mc(const nc_xgemm_tile *t);
int64_t nc_xgemm_nc(const nc_xgemm_tile *t);
/* Scratch floats nc_xgemm needs for an (m, n, k) product with the operands
 * that are packed on the fly (a_fly / b_fly non-zero). */
size_t nc_xgemm_scratch_floats(const nc_xgemm_tile *t, int64_t m, int64_t n, int64_t k,
                               int a_fly, int b_fly);

/* Whole-K packed sizes and packers (element (i,p) of A at src[i*rs + p*cs],
 * (p,j) of B at src[p*rs + j*cs]; A scaled by `scale`). */
size_t nc_xgemm_packed_a_floats(int mr, int64_t m, int64_t k);
size_t nc_xgemm_packed_b_floats(int nr, int64_t k, int64_t n);
void nc_xgemm_pack_a(int mr, int64_t m, int64_t k, const float *src, int64_t rs, int64_t cs,
                     float scale, float *dst);
void nc_xgemm_pack_b(int nr, int64_t k, int64_t n, const float *src, int64_t rs, int64_t cs,
                     float *dst);

/* A strided matrix as a block packer context: element (row r, step p) at
 * base[r*rs + p*cs] * scale, for r < rows. Used through nc_xgemm_pack_strided. */
typedef nc_gemm_strided nc_xgemm_strided; /* gemm_glue.h, shared with NEON */
void nc_xgemm_pack_strided(const void *ctx, int64_t i0, int64_t ni, int64_t k0, int64_t kc,
                           int w, float *dst);

/* C (M x N, row stride ldc) = epilogue(A * B), scratch as sized above. A
 * non-NULL `sum` (M x N, row stride ldc too) is added after the bias and
 * before the activation: a residual Add fused into the producer. */
void nc_xgemm(const nc_xgemm_tile *t, int64_t m, int64_t n, int64_t k,
              const nc_xgemm_operand *a, const nc_xgemm_operand *b, float *c, int64_t ldc,
              const float *sum, const nc_sgemm_epilogue *e, float *scratch);

#endif
