/* Routine table of the tensor family (part of the one table, see table.c). */
#include "table_families.h"

const nc_routine nc_routines_tensor[] = {
    {0},
};
