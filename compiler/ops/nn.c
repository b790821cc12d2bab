/* Layer definitions of the nn family (see ops.h). */
#include "ops.h"

const nc_op_def nc_ops_nn[] = {
    {0},
};
