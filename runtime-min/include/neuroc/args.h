/* Argument layouts: for every layer, what ia[] / fa[] of nc_args hold. The
 * compiler's lowering (compiler/ops/) writes them and the routines
 * (runtime-min/src/) read them, both through these names. One header per
 * family so each is kept beside its code. */
#ifndef NEUROC_ARGS_H
#define NEUROC_ARGS_H
#include "neuroc/args_elementwise.h"
#include "neuroc/args_nn.h"
#include "neuroc/args_tensor.h"
#include "neuroc/args_reduce.h"
#endif
