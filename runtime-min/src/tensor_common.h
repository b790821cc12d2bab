/* Helpers shared by the tensor-family routines (internal to neuroc_rt). */
#ifndef NC_TENSOR_COMMON_H
#define NC_TENSOR_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "neuroc/args.h"
#include "neuroc/rt.h"

/* Views built from reshape+transpose (Tile, DepthToSpace) need twice the rank. */
#define NC_TENSOR_MAX_VIEW (2 * NC_MAX_DIMS)

/* Row-major element strides of d. */
void nc_tensor_strides(const nc_tdesc *d, int64_t *strides);
/* dst (dense, row-major over dims[0..nd)) = src[base + sum_d i_d * strides[d]].
 * Strides are in elements and may be zero or negative. */
void nc_tensor_view_copy(void *dst, const void *src, size_t es, int nd, const int64_t *dims,
                         const int64_t *strides, int64_t base);
/* Element i of an integer index tensor (s32 or s64; other ints also read). */
int64_t nc_tensor_load_index(const void *p, int32_t dtype, int64_t i);
/* Element i of any numeric tensor as double, and the store back (rounding
 * and saturating integers, so a Pad value 1e9 into u8 does not wrap). */
double nc_tensor_load_f64(const void *p, int32_t dtype, int64_t i);
void nc_tensor_store_f64(void *p, int32_t dtype, int64_t i, double v);
/* *dst = reduce(*dst, *src) for one element of dtype; op is nc_scatter_reduction
 * (NONE copies). Integers are combined in integer arithmetic. */
void nc_tensor_combine(void *dst, const void *src, int32_t dtype, int op);
/* Move the whole of input 0 into output 0 unless they already share memory. */
void nc_tensor_copy_whole(const nc_args *a, const void *in, void *out);

#endif
