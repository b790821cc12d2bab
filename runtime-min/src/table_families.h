/* Per-family routine tables (each ends with a zero entry). Internal to the
 * runtime library; the public view is neuroc/routines.h. */
#ifndef NC_TABLE_FAMILIES_H
#define NC_TABLE_FAMILIES_H
#include "neuroc/routines.h"
extern const nc_routine nc_routines_elementwise[]; /* elementwise.c */
extern const nc_routine nc_routines_nn[];          /* conv, gemm, pool, norm, softmax, adapters */
extern const nc_routine nc_routines_tensor[];      /* data movement */
extern const nc_routine nc_routines_reduce[];      /* reductions, argmax, topk, losses, resize */
extern const nc_routine nc_routines_x86[];         /* AVX2 / AVX-512 routines (x86_table.c) */
#endif
