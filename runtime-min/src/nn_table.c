/* Routine table of the nn family (part of the one table, see table.c). */
#include "table_families.h"

const nc_routine nc_routines_nn[] = {
    {0},
};
