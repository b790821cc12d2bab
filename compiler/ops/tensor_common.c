/* Helpers of the tensor-family layer definitions (see tensor_lower.h). */
#include <stdlib.h>
#include <string.h>

#include "tensor_lower.h"

nc_tensor *nc_tl_req(nc_graph *g, nc_node *n, int i, const char *what) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t) nc_node_fail(g, n, "input %d (%s) is required", i, what);
  return t;
}

int nc_tl_is_int(int32_t dtype) {
  return dtype == NC_S64 || dtype == NC_S32 || dtype == NC_S16 || dtype == NC_S8 ||
         dtype == NC_U64 || dtype == NC_U32 || dtype == NC_U16 || dtype == NC_U8;
}

/* Common checks of a parameter input: present, constant, not too long. */
static int param_check(nc_graph *g, nc_node *n, int i, const char *what, int cap) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t) return NC_TL_ABSENT;
  if (!t->data)
    return nc_node_fail(g, n, "input %d (%s, tensor '%s') must be a compile-time constant", i,
                        what, t->name);
  int64_t cnt = nc_numel(&t->desc);
  if (cnt > cap)
    return nc_node_fail(g, n, "input %d (%s) has %lld values; at most %d are supported", i,
                        what, (long long)cnt, cap);
  return 0;
}

int nc_tl_param_ints(nc_graph *g, nc_node *n, int i, const char *what, int64_t *out, int cap) {
  int rc = param_check(g, n, i, what, cap);
  if (rc) return rc;
  nc_tensor *t = nc_in(g, n, i);
  if (!nc_tl_is_int(t->desc.dtype))
    return nc_node_fail(g, n, "input %d (%s) must be an integer tensor, not %s", i, what,
                        nc_dtype_name(t->desc.dtype));
  return nc_const_ints(g, n, i, out, cap);
}

int nc_tl_param_doubles(nc_graph *g, nc_node *n, int i, const char *what, double *out,
                        int cap) {
  int rc = param_check(g, n, i, what, cap);
  if (rc) return rc;
  return nc_const_doubles(g, n, i, out, cap);
}

int nc_tl_attr_ints(nc_graph *g, nc_node *n, const char *name, int64_t *out, int cap) {
  const int64_t *v;
  int cnt = nc_attr_ints(n, name, &v);
  if (cnt < 0) {
    nc_attr *a = nc_node_attr(n, name);
    if (a && a->type == NC_ATTR_INT) { /* a single int where ints is meant: accept */
      out[0] = a->i;
      return 1;
    }
    return NC_TL_ABSENT;
  }
  if (cnt > cap)
    return nc_node_fail(g, n, "attribute '%s' has %d values; at most %d are supported", name,
                        cnt, cap);
  if (cnt) memcpy(out, v, sizeof *out * (size_t)cnt);
  return cnt;
}

int nc_tl_axis(nc_graph *g, nc_node *n, int64_t axis, int rank, const char *what) {
  int a = nc_axis(axis, rank);
  if (a < 0)
    return nc_node_fail(g, n, "%s %lld is out of range for rank %d", what, (long long)axis,
                        rank);
  return a;
}


void nc_tl_put_int(void *p, int32_t dt, int64_t i, int64_t v) {
  switch (dt) {
  case NC_S64: ((int64_t *)p)[i] = v; break;
  case NC_U64: ((uint64_t *)p)[i] = (uint64_t)v; break;
  case NC_S32: ((int32_t *)p)[i] = (int32_t)v; break;
  case NC_U32: ((uint32_t *)p)[i] = (uint32_t)v; break;
  case NC_S16: ((int16_t *)p)[i] = (int16_t)v; break;
  case NC_U16: ((uint16_t *)p)[i] = (uint16_t)v; break;
  case NC_S8: ((int8_t *)p)[i] = (int8_t)v; break;
  case NC_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
  case NC_BOOL: ((uint8_t *)p)[i] = v != 0; break;
  case NC_F32: case NC_F64: case NC_F16: case NC_BF16: nc_tl_put_double(p, dt, i, (double)v); break;
  default: break;
  }
}

void nc_tl_put_double(void *p, int32_t dt, int64_t i, double v) {
  switch (dt) {
  case NC_F32: ((float *)p)[i] = (float)v; break;
  case NC_F64: ((double *)p)[i] = v; break;
  case NC_F16: ((uint16_t *)p)[i] = nc_f32_to_f16((float)v); break;
  case NC_BF16: ((uint16_t *)p)[i] = nc_f32_to_bf16((float)v); break;
  case NC_BOOL: ((uint8_t *)p)[i] = v != 0.0; break;
  default: /* integers: saturate so out-of-range doubles stay defined */
    nc_tl_put_int(p, dt, i, v != v ? 0 : v <= -9.2e18 ? INT64_MIN : v >= 9.2e18 ? INT64_MAX : (int64_t)v);
    break;
  }
}

void *nc_tl_set_out_data(nc_graph *g, nc_node *n, int i, int32_t dtype, int ndim,
                         const int64_t *dims) {
  nc_set_out(g, n, i, dtype, ndim, dims);
  nc_tensor *t = nc_out(g, n, i);
  if (!t) return NULL;
  size_t bytes = (size_t)nc_numel(&t->desc) * nc_dtype_size(dtype);
  free(t->data);
  t->data = nc_xcalloc(1, bytes ? bytes : 1);
  return t->data;
}

int nc_tl_copy_out(nc_graph *g, nc_node *n, int ndim, const int64_t *dims) {
  nc_tensor *x = nc_tl_req(g, n, 0, "data");
  if (!x) return -1;
  nc_set_out(g, n, 0, x->desc.dtype, ndim, dims);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}
