/* The blocked-channel routines for AVX2+FMA: NCHW8c, one ymm per block
 * (the code is x86_blocked_kernels.h). Nothing on other architectures. */
#if defined(__x86_64__)
#define NCB_BITS 256
#include "x86_blocked_kernels.h"
#else
typedef int nc_x86_blocked_avx2_empty; /* ISO C: no empty translation unit */
#endif
