/* Layer definitions of the reduce family (see ops.h). */
#include "ops.h"

const nc_op_def nc_ops_reduce[] = {
    {0},
};
