/* NumPy .npy files (format version 1.0/2.0, little-endian, C order). */
#ifndef NC_NPY_H
#define NC_NPY_H
#include "ir.h"
/* Read into out (data malloc'd). Returns -1 with message naming file and problem. */
int nc_npy_read(const char *path, nc_const *out);
/* Write atomically (temp file + rename). Returns -1 with message. */
int nc_npy_write(const char *path, const nc_tdesc *desc, const void *data);
#endif
