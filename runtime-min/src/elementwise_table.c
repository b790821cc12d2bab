/* Routine table of the elementwise family (part of the one table, see table.c). */
#include "table_families.h"

const nc_routine nc_routines_elementwise[] = {
    {0},
};
