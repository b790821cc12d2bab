/* Layer definitions of the tensor family (see ops.h). */
#include "ops.h"

const nc_op_def nc_ops_tensor[] = {
    {0},
};
