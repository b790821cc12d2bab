/* Prototypes of the reduce family's routines and their table helpers, shared
 * by the routine files and reduce_table.c. Internal to the runtime library;
 * emitted code declares the prototypes it calls itself. */
#ifndef NC_REDUCE_ROUTINES_H
#define NC_REDUCE_ROUTINES_H

#include <stddef.h>

#include "neuroc/rt.h"

#define NC_RDX_DECL(sym) \
  void sym(const nc_args *a, const void *const *in, void *const *out, void *scratch)

NC_RDX_DECL(nc_reducesum_ref_any_nchw_c99);
NC_RDX_DECL(nc_reducemean_ref_any_nchw_c99);
NC_RDX_DECL(nc_reducemax_ref_any_nchw_c99);
NC_RDX_DECL(nc_reducemin_ref_any_nchw_c99);
NC_RDX_DECL(nc_reduceprod_ref_any_nchw_c99);
NC_RDX_DECL(nc_reducel1_ref_any_nchw_c99);
NC_RDX_DECL(nc_reducel2_ref_any_nchw_c99);
NC_RDX_DECL(nc_reducelogsum_ref_any_nchw_c99);
NC_RDX_DECL(nc_reducelogsumexp_ref_any_nchw_c99);
NC_RDX_DECL(nc_reducesumsquare_ref_any_nchw_c99);
NC_RDX_DECL(nc_argmax_ref_any_nchw_c99);
NC_RDX_DECL(nc_argmin_ref_any_nchw_c99);
NC_RDX_DECL(nc_topk_ref_any_nchw_c99);
NC_RDX_DECL(nc_negativeloglikelihoodloss_ref_any_nchw_c99);
NC_RDX_DECL(nc_softmaxcrossentropyloss_ref_any_nchw_c99);
NC_RDX_DECL(nc_resize_ref_any_nchw_c99);
NC_RDX_DECL(nc_upsample_ref_any_nchw_c99);
NC_RDX_DECL(nc_det_ref_any_nchw_c99);
NC_RDX_DECL(nc_einsum_ref_any_nchw_c99);
NC_RDX_DECL(nc_maxunpool_ref_any_nchw_c99);

size_t nc_reduce_scratch_bytes(const nc_args *a);
size_t nc_topk_scratch_bytes(const nc_args *a);
size_t nc_resize_scratch_bytes(const nc_args *a);
size_t nc_det_scratch_bytes(const nc_args *a);

#endif
