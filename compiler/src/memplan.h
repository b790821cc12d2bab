/* Static memory planner: offsets into one arena (memplan.c). */
#ifndef NC_MEMPLAN_H
#define NC_MEMPLAN_H
#include <stddef.h>

typedef struct mp_buffer {
  size_t size;     /* bytes */
  int first, last; /* live over steps [first, last], inclusive */
  /* Index of a buffer whose bytes this one may reuse in place (it is last
   * used by the step that first writes this one), or -1. The planner honours
   * it when it can and says so in `inplace_done`. */
  int inplace_of;
  size_t offset;    /* result */
  int inplace_done; /* result: 1 if placed on top of inplace_of */
} mp_buffer;

typedef struct mp_result {
  size_t arena_size;  /* bytes, multiple of align */
  size_t lower_bound; /* max over steps of simultaneously live bytes */
} mp_result;

/* Assign offsets (aligned to `align`) so that buffers live at the same step
 * never overlap, except in-place pairs. Deterministic. Returns 0. */
int mp_plan(mp_buffer *b, int n, size_t align, mp_result *r);
#endif
