/* Routine table of the x86-64 SIMD blocked family (AVX2+FMA, AVX-512): part of
 * the one table (table.c). Routines compile with per-function target
 * attributes, so the library builds on any x86-64; the target spec's `isa`
 * decides which ones a model may use. Empty on other architectures. */
#include "table_families.h"

const nc_routine nc_routines_x86_blocked[] = {
    {0},
};
