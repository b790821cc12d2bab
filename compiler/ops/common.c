/* Shape helpers shared by the layer definitions. */
#include "ops.h"

int nc_broadcast(const nc_tdesc *a, const nc_tdesc *b, nc_tdesc *out) {
  int r = a->ndim > b->ndim ? a->ndim : b->ndim;
  if (r > NC_MAX_DIMS) return -1;
  out->ndim = r;
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a->ndim), ib = i - (r - b->ndim);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da == db || db == 1) out->dims[i] = da;
    else if (da == 1) out->dims[i] = db;
    else return -1;
  }
  return 0;
}

int nc_axis(int64_t axis, int rank) {
  if (axis < 0) axis += rank;
  return axis >= 0 && axis < rank ? (int)axis : -1;
}
