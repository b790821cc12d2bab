/* Layer definitions of the elementwise family (see ops.h). */
#include "ops.h"

const nc_op_def nc_ops_elementwise[] = {
    {0},
};
