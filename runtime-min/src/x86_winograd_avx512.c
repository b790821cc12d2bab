/* Winograd F(2,3), F(4,3), F(6,3) NCHW conv for AVX-512 (16 tiles per
 * vector, 8-row GEMM panels): the x86_winograd_kernel.h template. */
#include "x86_winograd.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "x86_act.h"
#include <string.h>

#define NC_WT __attribute__((target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")))
#define NC_WSUF avx512
#define NC_WL 16
#define NC_WMR 8
#define NC_W_ROWS 1 /* permute-based row loads/stores (needs 16 lanes) */

#define VACT nc_act512
#define VF __m512
#define VI __m512i
#define VM __mmask16
#define VZERO() _mm512_setzero_ps()
#define VSET1(x) _mm512_set1_ps(x)
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps(p, v)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUB(a, b) _mm512_sub_ps(a, b)
#define VMUL(a, b) _mm512_mul_ps(a, b)
#define VDIV(a, b) _mm512_div_ps(a, b)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VMAX(a, b) _mm512_max_ps(a, b)
#define VMIN(a, b) _mm512_min_ps(a, b)
#define VI_LOAD(p) _mm512_loadu_si512((const void *)(p))
#define VI_SET1(x) _mm512_set1_epi32(x)
#define VI_ADD(a, b) _mm512_add_epi32(a, b)
/* Unsigned compare: negative coordinates wrap to huge and fail. */
#define VM_RANGE(v, n) _mm512_cmplt_epu32_mask(v, _mm512_set1_epi32(n))
#define VM_AND(a, b) ((__mmask16)((a) & (b)))
#define VGATHER(mask, idx, base) \
  _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, idx, base, 4)
#define VSCATTER(base, mask, idx, v) _mm512_mask_i32scatter_ps(base, mask, idx, v, 4)

#include "x86_winograd_kernel.h"

#endif
