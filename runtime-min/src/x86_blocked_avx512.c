/* The blocked-channel routines for AVX-512: NCHW16c, one zmm per block
 * (the code is x86_blocked_kernels.h). Nothing on other architectures. */
#if defined(__x86_64__)
#define NCB_BITS 512
#include "x86_blocked_kernels.h"
#else
typedef int nc_x86_blocked_avx512_empty; /* ISO C: no empty translation unit */
#endif
