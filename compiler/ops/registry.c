/* Layer registry: finds the definition of an op across the family tables. */
#include <string.h>

#include "ops.h"

static const nc_op_def *const families[] = {
    nc_ops_elementwise, nc_ops_nn, nc_ops_tensor, nc_ops_reduce, nc_ops_quant,
};

const nc_op_def *nc_op_find(const char *op) {
  for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
    for (const nc_op_def *d = families[f]; d->op; d++)
      if (strcmp(d->op, op) == 0) return d;
  return NULL;
}
