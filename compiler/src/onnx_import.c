/* ONNX import: ModelProto (protobuf-c) -> nc_graph.
 *
 * The graph owns everything it holds, so every error path only has to free
 * the graph, the unpacked proto and the file buffer. Messages start with the
 * file name and name the node, tensor or field at fault. */
#define _POSIX_C_SOURCE 200809L
#include "onnx_import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx.pb-c.h"

/* protobuf refuses messages of 2 GiB and more; such models keep their
 * weights in external data files instead. */
#define NC_PB_MAX_BYTES ((int64_t)2 << 30)

static const char *str0(const char *s) { return s ? s : ""; }

/* ---------------- files ---------------- */

/* Read a whole file into a malloc'd buffer. `what` names the kind of file in
 * messages ("model", "tensor file"). */
static int read_whole_file(const char *path, const char *what, uint8_t **buf, size_t *len) {
  struct stat st;
  if (stat(path, &st) != 0) return nc_fail("%s: cannot open %s: %s", path, what, strerror(errno));
  if (!S_ISREG(st.st_mode)) return nc_fail("%s: cannot read %s: not a regular file", path, what);
  if ((int64_t)st.st_size >= NC_PB_MAX_BYTES)
    return nc_fail("%s: %s is %lld bytes, over the 2 GiB protobuf limit "
                   "(store the weights as ONNX external data)",
                   path, what, (long long)st.st_size);
  FILE *f = fopen(path, "rb");
  if (!f) return nc_fail("%s: cannot open %s: %s", path, what, strerror(errno));
  size_t n = (size_t)st.st_size;
  uint8_t *p = nc_xmalloc(n ? n : 1);
  size_t got = fread(p, 1, n, f);
  int rerr = ferror(f) ? errno : 0;
  fclose(f);
  if (got != n) {
    free(p);
    return nc_fail("%s: cannot read %s: %s", path, what,
                   rerr ? strerror(rerr) : "file shrank while reading");
  }
  *buf = p;
  *len = n;
  return 0;
}

/* Directory part of path, with a trailing '/' ("" for a bare file name). */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  size_t n = slash ? (size_t)(slash - path) + 1 : 0;
  char *d = nc_xmalloc(n + 1);
  memcpy(d, path, n);
  d[n] = 0;
  return d;
}

/* ---------------- dtypes ---------------- */

static const char *onnx_dtype_name(int32_t dt) {
  static const char *const names[] = {
      "UNDEFINED", "FLOAT",     "UINT8",      "INT8",         "UINT16",     "INT16",
      "INT32",     "INT64",     "STRING",     "BOOL",         "FLOAT16",    "DOUBLE",
      "UINT32",    "UINT64",    "COMPLEX64",  "COMPLEX128",   "BFLOAT16",   "FLOAT8E4M3FN",
      "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4"};
  if (dt >= 0 && dt < (int32_t)(sizeof names / sizeof names[0])) return names[dt];
  static char unknown[32]; /* messages only */
  snprintf(unknown, sizeof unknown, "#%d (unknown)", (int)dt);
  return unknown;
}

static int dtype_supported(int32_t dt) {
  return dt != NC_UNDEF && nc_dtype_size(dt) != 0;
}

/* ---------------- tensors ---------------- */

/* What a tensor conversion needs to know for messages and external data. */
typedef struct conv_ctx {
  const char *path; /* file being imported, for messages */
  const char *dir;  /* its directory, for external data */
} conv_ctx;

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

/* raw_data and external data are little-endian; swap on big-endian hosts. */
static void le_to_host(void *data, size_t elem, int64_t n) {
  if (elem == 1 || host_is_little_endian()) return;
  uint8_t *p = data;
  for (int64_t i = 0; i < n; i++, p += elem)
    for (size_t a = 0, b = elem - 1; a < b; a++, b--) {
      uint8_t t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

/* A location is safe when it stays inside the model's directory. */
static int location_is_safe(const char *loc) {
  if (!loc[0] || loc[0] == '/') return 0;
  const char *p = loc;
  while (*p) {
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') return 0;
    if (!end) break;
    p = end + 1;
  }
  return 1;
}

static int parse_nonneg(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0) return -1;
  *out = v;
  return 0;
}

/* Load `want` bytes of external data for tensor tp into dst. */
static int load_external(const conv_ctx *cx, const Onnx__TensorProto *tp, const char *tname,
                         void *dst, int64_t want) {
  const char *loc = NULL;
  int64_t offset = 0, length = -1;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const char *k = str0(tp->external_data[i]->key), *v = str0(tp->external_data[i]->value);
    if (strcmp(k, "location") == 0) {
      loc = v;
    } else if (strcmp(k, "offset") == 0 || strcmp(k, "length") == 0) {
      int64_t x;
      if (parse_nonneg(v, &x))
        return nc_fail("%s: tensor '%s': external data %s '%s' is not a non-negative integer",
                       cx->path, tname, k, v);
      if (k[0] == 'o') offset = x; else length = x;
    }
  }
  if (!loc) return nc_fail("%s: tensor '%s': external data has no 'location'", cx->path, tname);
  if (!location_is_safe(loc))
    return nc_fail("%s: tensor '%s': external data location '%s' must be a relative path "
                   "inside the model's directory (no '..', not absolute)",
                   cx->path, tname, loc);
  if (length >= 0 && length != want)
    return nc_fail("%s: tensor '%s': external data length %lld does not match its dims "
                   "(%lld bytes)", cx->path, tname, (long long)length, (long long)want);
  size_t dl = strlen(cx->dir), ll = strlen(loc);
  char *full = nc_xmalloc(dl + ll + 1);
  memcpy(full, cx->dir, dl);
  memcpy(full + dl, loc, ll + 1);
  FILE *f = fopen(full, "rb");
  struct stat st;
  if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = errno;
    if (f) fclose(f);
    nc_fail("%s: tensor '%s': cannot open external data file '%s': %s", cx->path, tname, full,
            f ? "not a regular file" : strerror(e));
    free(full);
    return -1;
  }
  int rc = 0;
  if (offset > (int64_t)st.st_size || want > (int64_t)st.st_size - offset) {
    rc = nc_fail("%s: tensor '%s': external data file '%s' has %lld bytes, "
                 "but offset %lld + length %lld goes past its end",
                 cx->path, tname, full, (long long)st.st_size, (long long)offset,
                 (long long)want);
  } else if (fseeko(f, (off_t)offset, SEEK_SET) != 0 ||
             fread(dst, 1, (size_t)want, f) != (size_t)want) {
    rc = nc_fail("%s: tensor '%s': cannot read external data file '%s'", cx->path, tname, full);
  }
  fclose(f);
  free(full);
  return rc;
}

static void copy_dims_text(const nc_tdesc *d, char *buf, size_t cap) {
  size_t o = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < d->ndim && o < cap; i++)
    o += (size_t)snprintf(buf + o, cap - o, "%s%lld", i ? "," : "", (long long)d->dims[i]);
  if (o < cap) snprintf(buf + o, cap - o, "]");
}

static int count_mismatch(const conv_ctx *cx, const char *tname, const char *field, size_t have,
                          const nc_tdesc *d) {
  char dims[160];
  copy_dims_text(d, dims, sizeof dims);
  return nc_fail("%s: tensor '%s': %s holds %zu values but dims %s need %lld", cx->path, tname,
                 field, have, dims, (long long)nc_numel(d));
}

/* Copy the typed repeated field that holds tp's values into dst. */
static int load_typed(const conv_ctx *cx, const Onnx__TensorProto *tp, const char *tname,
                      const nc_tdesc *d, void *dst) {
  int64_t n = nc_numel(d);
  size_t have;
  const char *field;
  switch (d->dtype) {
  case NC_F32: have = tp->n_float_data; field = "float_data"; break;
  case NC_S64: have = tp->n_int64_data; field = "int64_data"; break;
  case NC_F64: have = tp->n_double_data; field = "double_data"; break;
  case NC_U32: case NC_U64: have = tp->n_uint64_data; field = "uint64_data"; break;
  default: have = tp->n_int32_data; field = "int32_data"; break;
  }
  if ((int64_t)have != n) return count_mismatch(cx, tname, field, have, d);
  for (int64_t i = 0; i < n; i++) {
    switch (d->dtype) {
    case NC_F32: ((float *)dst)[i] = tp->float_data[i]; break;
    case NC_S64: ((int64_t *)dst)[i] = tp->int64_data[i]; break;
    case NC_F64: ((double *)dst)[i] = tp->double_data[i]; break;
    case NC_U32: ((uint32_t *)dst)[i] = (uint32_t)tp->uint64_data[i]; break;
    case NC_U64: ((uint64_t *)dst)[i] = tp->uint64_data[i]; break;
    case NC_S32: ((int32_t *)dst)[i] = tp->int32_data[i]; break;
    case NC_S8: ((int8_t *)dst)[i] = (int8_t)tp->int32_data[i]; break;
    case NC_U8: ((uint8_t *)dst)[i] = (uint8_t)tp->int32_data[i]; break;
    case NC_BOOL: ((uint8_t *)dst)[i] = tp->int32_data[i] != 0; break;
    case NC_S16: ((int16_t *)dst)[i] = (int16_t)tp->int32_data[i]; break;
    /* f16/bf16 travel as their 16 bits inside int32_data */
    case NC_U16: case NC_F16: case NC_BF16:
      ((uint16_t *)dst)[i] = (uint16_t)tp->int32_data[i];
      break;
    default: break;
    }
  }
  return 0;
}

/* Convert a TensorProto into desc + malloc'd data (never NULL, even when
 * empty, so that "data != NULL" keeps meaning "known at compile time"). */
static int tensor_from_proto(const conv_ctx *cx, const Onnx__TensorProto *tp, const char *tname,
                             nc_tdesc *desc, void **data) {
  int32_t dt = tp->data_type;
  if (!dtype_supported(dt))
    return nc_fail("%s: tensor '%s': unsupported dtype %s", cx->path, tname, onnx_dtype_name(dt));
  if (tp->segment) return nc_fail("%s: tensor '%s': segmented tensors are not supported",
                                  cx->path, tname);
  if (tp->n_dims > NC_MAX_DIMS)
    return nc_fail("%s: tensor '%s': rank %zu exceeds the maximum of %d", cx->path, tname,
                   tp->n_dims, NC_MAX_DIMS);
  nc_tdesc d;
  memset(&d, 0, sizeof d);
  d.dtype = dt;
  d.ndim = (int32_t)tp->n_dims;
  size_t esz = nc_dtype_size(dt);
  int64_t numel = 1;
  for (size_t i = 0; i < tp->n_dims; i++) {
    int64_t v = tp->dims[i];
    if (v < 0) return nc_fail("%s: tensor '%s': negative dimension %lld at axis %zu", cx->path,
                              tname, (long long)v, i);
    if (v && numel > (NC_PB_MAX_BYTES * 64) / v)
      return nc_fail("%s: tensor '%s': too many elements", cx->path, tname);
    numel *= v;
    d.dims[i] = v;
  }
  int64_t bytes = numel * (int64_t)esz;
  void *buf = nc_xmalloc((size_t)(bytes ? bytes : 1));
  int rc = 0;
  if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    rc = load_external(cx, tp, tname, buf, bytes);
    if (rc == 0) le_to_host(buf, esz, numel);
  } else if (tp->has_raw_data) {
    if ((int64_t)tp->raw_data.len != bytes) {
      char dims[160];
      copy_dims_text(&d, dims, sizeof dims);
      rc = nc_fail("%s: tensor '%s': raw_data has %zu bytes but dims %s of %s need %lld",
                   cx->path, tname, tp->raw_data.len, dims, onnx_dtype_name(dt),
                   (long long)bytes);
    } else {
      if (bytes) memcpy(buf, tp->raw_data.data, (size_t)bytes);
      le_to_host(buf, esz, numel);
    }
  } else {
    rc = load_typed(cx, tp, tname, &d, buf);
  }
  if (rc) {
    free(buf);
    return -1;
  }
  *desc = d;
  *data = buf;
  return 0;
}

/* ---------------- import state ---------------- */

typedef struct importer {
  conv_ctx cx;
  nc_graph *g;
} importer;

/* Tensor index for a name; "" means an omitted optional input/output. */
static int tensor_ref(nc_graph *g, const char *name) {
  return name && name[0] ? nc_graph_tensor(g, name) : -1;
}

static int tensor_known(const nc_tensor *t) {
  return t->producer >= 0 || t->data != NULL || t->is_input;
}

/* Claim tensor `name` as defined here (initializer, Constant output, graph
 * input or node output); a second definition is an error. */
static int define_tensor(importer *im, const char *name, const char *by, int *idx) {
  nc_graph *g = im->g;
  int t = nc_graph_tensor(g, name);
  *idx = t;
  if (tensor_known(&g->tensors[t]))
    return nc_fail("%s: tensor '%s' is produced twice (again by %s)", im->cx.path, name, by);
  return 0;
}

static int import_initializers(importer *im, const Onnx__GraphProto *gp) {
  if (gp->n_sparse_initializer)
    return nc_fail("%s: sparse initializer '%s' is not supported (store it dense)", im->cx.path,
                   gp->sparse_initializer[0]->values
                       ? str0(gp->sparse_initializer[0]->values->name) : "");
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *tp = gp->initializer[i];
    const char *name = str0(tp->name);
    if (!name[0]) return nc_fail("%s: initializer #%zu has no name", im->cx.path, i);
    nc_tdesc d;
    void *data;
    if (tensor_from_proto(&im->cx, tp, name, &d, &data)) return -1;
    int t;
    if (define_tensor(im, name, "an initializer", &t)) {
      free(data);
      return -1;
    }
    im->g->tensors[t].desc = d;
    im->g->tensors[t].data = data;
  }
  return 0;
}

/* ---------------- value_info (graph inputs/outputs) ---------------- */

static const Onnx__TypeProto__Tensor *tensor_type_of(const Onnx__ValueInfoProto *vi) {
  if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) return NULL;
  return vi->type->tensor_type;
}

/* Runtime inputs need a supported dtype and a fully static shape. */
static int input_desc(importer *im, const Onnx__ValueInfoProto *vi, nc_tdesc *d) {
  const char *name = str0(vi->name);
  const Onnx__TypeProto__Tensor *tt = tensor_type_of(vi);
  if (!tt) return nc_fail("%s: input '%s' is not a tensor (sequence, map and optional "
                          "inputs are not supported)", im->cx.path, name);
  if (!tt->has_elem_type || tt->elem_type == 0)
    return nc_fail("%s: input '%s' has no element type", im->cx.path, name);
  if (!dtype_supported(tt->elem_type))
    return nc_fail("%s: tensor '%s': unsupported dtype %s", im->cx.path, name,
                   onnx_dtype_name(tt->elem_type));
  if (!tt->shape) return nc_fail("%s: input '%s' has no shape: static shapes required",
                                 im->cx.path, name);
  if (tt->shape->n_dim > NC_MAX_DIMS)
    return nc_fail("%s: input '%s': rank %zu exceeds the maximum of %d", im->cx.path, name,
                   tt->shape->n_dim, NC_MAX_DIMS);
  memset(d, 0, sizeof *d);
  d->dtype = tt->elem_type;
  d->ndim = (int32_t)tt->shape->n_dim;
  for (size_t k = 0; k < tt->shape->n_dim; k++) {
    const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[k];
    if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
      return nc_fail("%s: input '%s' has a symbolic dimension '%s' at axis %zu: static shapes "
                     "required", im->cx.path, name, str0(dim->dim_param), k);
    if (dim->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
      return nc_fail("%s: input '%s' has an unknown dimension at axis %zu: static shapes "
                     "required", im->cx.path, name, k);
    if (dim->dim_value < 0)
      return nc_fail("%s: input '%s' has a negative dimension %lld at axis %zu", im->cx.path,
                     name, (long long)dim->dim_value, k);
    d->dims[k] = dim->dim_value;
  }
  return 0;
}

static int import_inputs(importer *im, const Onnx__GraphProto *gp) {
  nc_graph *g = im->g;
  g->inputs = nc_xmalloc(sizeof(int) * (gp->n_input ? gp->n_input : 1));
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    const char *name = str0(vi->name);
    if (!name[0]) return nc_fail("%s: graph input #%zu has no name", im->cx.path, i);
    int t = nc_graph_find_tensor(g, name);
    if (t >= 0 && g->tensors[t].data && !g->tensors[t].is_input)
      continue; /* an initializer listed as input: a constant (see nc_bind_input) */
    nc_tdesc d;
    if (input_desc(im, vi, &d)) return -1;
    if (define_tensor(im, name, "a graph input", &t)) return -1;
    g->tensors[t].desc = d;
    g->tensors[t].is_input = 1;
    g->inputs[g->n_inputs++] = t;
  }
  return 0;
}

/* Outputs may omit type and shape (shape inference fills them); what is
 * declared and static is recorded for tensors not already described. */
static int import_outputs(importer *im, const Onnx__GraphProto *gp) {
  nc_graph *g = im->g;
  g->outputs = nc_xmalloc(sizeof(int) * (gp->n_output ? gp->n_output : 1));
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    const char *name = str0(vi->name);
    int t = name[0] ? nc_graph_find_tensor(g, name) : -1;
    if (t < 0 || !tensor_known(&g->tensors[t]))
      return nc_fail("%s: output '%s' is not produced by any node, initializer or graph input",
                     im->cx.path, name);
    nc_tensor *x = &g->tensors[t];
    const Onnx__TypeProto__Tensor *tt = tensor_type_of(vi);
    if (vi->type && !tt)
      return nc_fail("%s: output '%s' is not a tensor (sequence, map and optional outputs are "
                     "not supported)", im->cx.path, name);
    if (tt && tt->has_elem_type && tt->elem_type && !dtype_supported(tt->elem_type))
      return nc_fail("%s: tensor '%s': unsupported dtype %s", im->cx.path, name,
                     onnx_dtype_name(tt->elem_type));
    if (tt && tt->has_elem_type && x->desc.dtype == 0) x->desc.dtype = tt->elem_type;
    if (tt && tt->shape && x->desc.ndim < 0 && tt->shape->n_dim <= NC_MAX_DIMS) {
      int all_static = 1;
      for (size_t k = 0; k < tt->shape->n_dim; k++)
        if (tt->shape->dim[k]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            tt->shape->dim[k]->dim_value < 0)
          all_static = 0;
      if (all_static) {
        x->desc.ndim = (int32_t)tt->shape->n_dim;
        for (size_t k = 0; k < tt->shape->n_dim; k++) x->desc.dims[k] = tt->shape->dim[k]->dim_value;
      }
    }
    x->is_output = 1;
    g->outputs[g->n_outputs++] = t;
  }
  return 0;
}

/* ---------------- attributes ---------------- */

static char *bytes_to_str(ProtobufCBinaryData b) {
  char *s = nc_xmalloc(b.len + 1);
  if (b.len) memcpy(s, b.data, b.len);
  s[b.len] = 0;
  return s;
}

/* Attribute type, inferred from the filled field for pre-IR-v3 models that
 * leave `type` unset. */
static int attr_type(const Onnx__AttributeProto *ap) {
  if (ap->has_type && ap->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
    return (int)ap->type;
  if (ap->has_f) return NC_ATTR_FLOAT;
  if (ap->has_i) return NC_ATTR_INT;
  if (ap->has_s) return NC_ATTR_STRING;
  if (ap->t) return NC_ATTR_TENSOR;
  if (ap->g) return NC_ATTR_GRAPH;
  if (ap->n_floats) return NC_ATTR_FLOATS;
  if (ap->n_ints) return NC_ATTR_INTS;
  if (ap->n_strings) return NC_ATTR_STRINGS;
  return 0;
}

/* Fill one nc_attr. Types beyond nc_attr_type (sparse tensors, tensor and
 * graph lists, type protos) keep their ONNX type number and no content: no
 * supported layer reads them, and the pipeline rejects the layers that do. */
static int import_attr(importer *im, nc_node *n, const Onnx__AttributeProto *ap, nc_attr *at) {
  memset(at, 0, sizeof *at);
  at->name = nc_xstrdup(str0(ap->name));
  at->type = attr_type(ap);
  switch (at->type) {
  case NC_ATTR_FLOAT: at->f = ap->f; break;
  case NC_ATTR_INT: at->i = ap->i; break;
  case NC_ATTR_STRING: at->s = bytes_to_str(ap->s); break;
  case NC_ATTR_FLOATS:
    at->n_floats = (int)ap->n_floats;
    at->floats = nc_xmalloc(sizeof(double) * (ap->n_floats ? ap->n_floats : 1));
    for (size_t k = 0; k < ap->n_floats; k++) at->floats[k] = ap->floats[k];
    break;
  case NC_ATTR_INTS:
    at->n_ints = (int)ap->n_ints;
    at->ints = nc_xmalloc(sizeof(int64_t) * (ap->n_ints ? ap->n_ints : 1));
    if (ap->n_ints) memcpy(at->ints, ap->ints, sizeof(int64_t) * ap->n_ints);
    break;
  case NC_ATTR_STRINGS: at->i = (int64_t)ap->n_strings; break; /* count only */
  case NC_ATTR_TENSOR: {
    if (!ap->t) return nc_node_fail(im->g, n, "attribute '%s' has no tensor", at->name);
    char tname[512];
    snprintf(tname, sizeof tname, "%s.%s", n->name, at->name);
    nc_const *c = nc_xcalloc(1, sizeof *c);
    if (tensor_from_proto(&im->cx, ap->t, tname, &c->desc, &c->data)) {
      free(c);
      return -1;
    }
    at->t = c;
    break;
  }
  default: break; /* GRAPH and the rest: type only */
  }
  return 0;
}

/* ---------------- nodes ---------------- */

static int is_default_domain(const char *d) {
  return !d || !d[0] || strcmp(d, "ai.onnx") == 0;
}

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *np, const char *name) {
  for (size_t i = 0; i < np->n_attribute; i++)
    if (strcmp(str0(np->attribute[i]->name), name) == 0) return np->attribute[i];
  return NULL;
}

static void set_vec_desc(nc_tdesc *d, int32_t dtype, int ndim, size_t n) {
  memset(d, 0, sizeof *d);
  d->dtype = dtype;
  d->ndim = ndim;
  if (ndim == 1) d->dims[0] = (int64_t)n;
}

/* Value of a Constant node from whichever value attribute it carries. */
static int constant_value(importer *im, const Onnx__NodeProto *np, const char *nname,
                          nc_tdesc *d, void **data) {
  const char *path = im->cx.path, *out = np->n_output ? str0(np->output[0]) : "";
  const Onnx__AttributeProto *a;
  if ((a = find_attr(np, "value")) != NULL) {
    if (!a->t) return nc_fail("%s: node '%s' (Constant): 'value' holds no tensor", path, nname);
    return tensor_from_proto(&im->cx, a->t, out, d, data);
  }
  if ((a = find_attr(np, "value_float")) != NULL) {
    set_vec_desc(d, NC_F32, 0, 1);
    float *p = nc_xmalloc(sizeof *p);
    *p = a->f;
    *data = p;
    return 0;
  }
  if ((a = find_attr(np, "value_int")) != NULL) {
    set_vec_desc(d, NC_S64, 0, 1);
    int64_t *p = nc_xmalloc(sizeof *p);
    *p = a->i;
    *data = p;
    return 0;
  }
  if ((a = find_attr(np, "value_floats")) != NULL) {
    set_vec_desc(d, NC_F32, 1, a->n_floats);
    float *p = nc_xmalloc(sizeof *p * (a->n_floats ? a->n_floats : 1));
    if (a->n_floats) memcpy(p, a->floats, sizeof *p * a->n_floats);
    *data = p;
    return 0;
  }
  if ((a = find_attr(np, "value_ints")) != NULL) {
    set_vec_desc(d, NC_S64, 1, a->n_ints);
    int64_t *p = nc_xmalloc(sizeof *p * (a->n_ints ? a->n_ints : 1));
    if (a->n_ints) memcpy(p, a->ints, sizeof *p * a->n_ints);
    *data = p;
    return 0;
  }
  if (find_attr(np, "sparse_value"))
    return nc_fail("%s: node '%s' (Constant): sparse_value is not supported (use a dense "
                   "'value' tensor)", path, nname);
  if (find_attr(np, "value_string") || find_attr(np, "value_strings"))
    return nc_fail("%s: node '%s' (Constant): string constants are not supported "
                   "(value_string/value_strings)", path, nname);
  return nc_fail("%s: node '%s' (Constant): no value attribute (value, value_float, "
                 "value_floats, value_int or value_ints)", path, nname);
}

static int import_constant(importer *im, const Onnx__NodeProto *np, const char *nname) {
  if (np->n_output != 1 || !str0(np->output[0])[0])
    return nc_fail("%s: node '%s' (Constant): needs exactly one named output", im->cx.path, nname);
  nc_tdesc d;
  void *data;
  if (constant_value(im, np, nname, &d, &data)) return -1;
  char by[600];
  snprintf(by, sizeof by, "node '%s' (Constant)", nname);
  int t;
  if (define_tensor(im, np->output[0], by, &t)) {
    free(data);
    return -1;
  }
  im->g->tensors[t].desc = d;
  im->g->tensors[t].data = data;
  return 0;
}

static int import_node(importer *im, const Onnx__NodeProto *np, const char *nname) {
  nc_graph *g = im->g;
  const char *op = str0(np->op_type);
  if (!op[0]) return nc_fail("%s: node '%s' has no op_type", im->cx.path, nname);
  int idx = nc_graph_add_node(g, nname, op, is_default_domain(np->domain) ? "" : np->domain);
  int *in = nc_xmalloc(sizeof(int) * (np->n_input ? np->n_input : 1));
  int *out = nc_xmalloc(sizeof(int) * (np->n_output ? np->n_output : 1));
  for (size_t k = 0; k < np->n_input; k++) in[k] = tensor_ref(g, np->input[k]);
  for (size_t k = 0; k < np->n_output; k++) out[k] = tensor_ref(g, np->output[k]);
  nc_node *n = &g->nodes[idx];
  nc_node_set_io(n, in, (int)np->n_input, out, (int)np->n_output);
  free(in);
  free(out);
  n->attrs = nc_xcalloc(np->n_attribute ? np->n_attribute : 1, sizeof(nc_attr));
  for (size_t k = 0; k < np->n_attribute; k++) {
    n->n_attrs = (int)k + 1; /* so nc_graph_free sees what is filled */
    if (import_attr(im, n, np->attribute[k], &n->attrs[k])) return -1;
  }
  char by[600];
  snprintf(by, sizeof by, "node '%s' (%s)", nname, op);
  for (int k = 0; k < n->n_out; k++) {
    if (n->out[k] < 0) continue;
    nc_tensor *t = &g->tensors[n->out[k]];
    if (tensor_known(t))
      return nc_fail("%s: tensor '%s' is produced twice (again by %s)", im->cx.path, t->name, by);
    t->producer = idx;
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Unnamed nodes get "<op>_<index>" (unique) so that messages and the plan
 * file can refer to every layer. */
static char **node_names(const Onnx__GraphProto *gp) {
  size_t n = gp->n_node, n_named = 0;
  char **names = nc_xcalloc(n ? n : 1, sizeof(char *));
  const char **named = nc_xmalloc(sizeof(char *) * (n ? n : 1));
  for (size_t i = 0; i < n; i++)
    if (str0(gp->node[i]->name)[0]) named[n_named++] = gp->node[i]->name;
  qsort(named, n_named, sizeof *named, cmp_str);
  for (size_t i = 0; i < n; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    if (str0(np->name)[0]) {
      names[i] = nc_xstrdup(np->name);
      continue;
    }
    const char *op = np->op_type && np->op_type[0] ? np->op_type : "node";
    size_t cap = strlen(op) + 32;
    char *s = nc_xmalloc(cap);
    snprintf(s, cap, "%s_%zu", op, i);
    while (bsearch(&s, named, n_named, sizeof *named, cmp_str)) {
      size_t l = strlen(s);
      s = nc_xrealloc(s, l + 2);
      s[l] = '_';
      s[l + 1] = 0;
    }
    names[i] = s;
  }
  free(named);
  return names;
}

static int import_nodes(importer *im, const Onnx__GraphProto *gp) {
  char **names = node_names(gp);
  int rc = 0;
  for (size_t i = 0; i < gp->n_node && rc == 0; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    if (is_default_domain(np->domain) && strcmp(str0(np->op_type), "Constant") == 0)
      rc = import_constant(im, np, names[i]);
    else
      rc = import_node(im, np, names[i]);
  }
  for (size_t i = 0; i < gp->n_node; i++) free(names[i]);
  free(names);
  return rc;
}

/* ---------------- validation ---------------- */

static int check_inputs_defined(importer *im) {
  nc_graph *g = im->g;
  for (int i = 0; i < g->n_nodes; i++) {
    nc_node *n = &g->nodes[i];
    for (int k = 0; k < n->n_in; k++) {
      if (n->in[k] < 0) continue;
      nc_tensor *t = &g->tensors[n->in[k]];
      if (!tensor_known(t))
        return nc_node_fail(g, n, "input '%s' is not produced by any node, initializer or "
                            "graph input", t->name);
    }
  }
  return 0;
}

/* On a cycle, walk back from a node Kahn's algorithm left behind through
 * producers that were also left behind: after n steps we are on the cycle. */
static int report_cycle(importer *im, const int *order, int n_order) {
  nc_graph *g = im->g;
  char *done = nc_xcalloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
  for (int i = 0; i < n_order; i++) done[order[i]] = 1;
  int cur = -1;
  for (int i = 0; i < g->n_nodes && cur < 0; i++)
    if (!done[i]) cur = i;
  for (int step = 0; step < g->n_nodes && cur >= 0; step++) {
    const nc_node *n = &g->nodes[cur];
    int next = -1;
    for (int k = 0; k < n->n_in && next < 0; k++) {
      int p = n->in[k] >= 0 ? g->tensors[n->in[k]].producer : -1;
      if (p >= 0 && !done[p]) next = p;
    }
    if (next < 0) break;
    cur = next;
  }
  free(done);
  const nc_node *n = &g->nodes[cur < 0 ? 0 : cur];
  return nc_fail("%s: graph has a cycle through node '%s' (%s)", im->cx.path, n->name, n->op);
}

static int check_acyclic(importer *im) {
  nc_graph *g = im->g;
  int *order = nc_xmalloc(sizeof(int) * (size_t)(g->n_nodes ? g->n_nodes : 1));
  int rc = 0;
  if (nc_graph_topo(g, order) < 0) {
    int n_order = 0;
    /* nc_graph_topo does not say how far it got; recount the ordered prefix. */
    char *placed = nc_xcalloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    int progress = 1;
    while (progress) {
      progress = 0;
      for (int i = 0; i < g->n_nodes; i++) {
        if (placed[i]) continue;
        const nc_node *n = &g->nodes[i];
        int ready = 1;
        for (int k = 0; k < n->n_in && ready; k++) {
          int p = n->in[k] >= 0 ? g->tensors[n->in[k]].producer : -1;
          if (p >= 0 && !placed[p]) ready = 0;
        }
        if (ready) {
          placed[i] = 1;
          order[n_order++] = i;
          progress = 1;
        }
      }
    }
    free(placed);
    rc = report_cycle(im, order, n_order);
  }
  free(order);
  return rc;
}

/* ---------------- model ---------------- */

static int default_opset(importer *im, const Onnx__ModelProto *mp) {
  for (size_t i = 0; i < mp->n_opset_import; i++)
    if (is_default_domain(mp->opset_import[i]->domain)) {
      im->g->opset = mp->opset_import[i]->version;
      return 0;
    }
  for (size_t i = 0; i < mp->graph->n_node; i++)
    if (is_default_domain(mp->graph->node[i]->domain))
      return nc_fail("%s: model has no opset_import for the default ONNX domain", im->cx.path);
  return 0;
}

static int import_graph(importer *im, const Onnx__ModelProto *mp) {
  const Onnx__GraphProto *gp = mp->graph;
  if (default_opset(im, mp)) return -1;
  if (import_initializers(im, gp)) return -1;
  if (import_inputs(im, gp)) return -1;
  if (import_nodes(im, gp)) return -1;
  if (check_inputs_defined(im)) return -1;
  if (import_outputs(im, gp)) return -1;
  return check_acyclic(im);
}

nc_graph *nc_import_onnx(const char *path) {
  uint8_t *buf;
  size_t len;
  if (read_whole_file(path, "model", &buf, &len)) return NULL;
  Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
  free(buf);
  if (!mp) {
    nc_fail("%s: not a valid ONNX model (protobuf parse failed: truncated or corrupt)", path);
    return NULL;
  }
  if (!mp->graph) {
    onnx__model_proto__free_unpacked(mp, NULL);
    nc_fail("%s: not a valid ONNX model (no graph)", path);
    return NULL;
  }
  importer im;
  im.cx.path = path;
  char *dir = dir_of(path);
  im.cx.dir = dir;
  im.g = nc_graph_new(path);
  int rc = import_graph(&im, mp);
  onnx__model_proto__free_unpacked(mp, NULL);
  free(dir);
  if (rc) {
    nc_graph_free(im.g);
    return NULL;
  }
  return im.g;
}

/* ---------------- single tensors ---------------- */

int nc_read_tensor_pb(const char *path, nc_const *out, char **name_out) {
  uint8_t *buf;
  size_t len;
  if (read_whole_file(path, "tensor file", &buf, &len)) return -1;
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
  free(buf);
  if (!tp)
    return nc_fail("%s: not a valid TensorProto (protobuf parse failed: truncated or corrupt)",
                   path);
  char *dir = dir_of(path);
  conv_ctx cx = {path, dir};
  const char *name = str0(tp->name);
  int rc = tensor_from_proto(&cx, tp, name[0] ? name : "<unnamed>", &out->desc, &out->data);
  if (rc == 0 && name_out) *name_out = nc_xstrdup(name);
  onnx__tensor_proto__free_unpacked(tp, NULL);
  free(dir);
  return rc;
}

static int same_shape(const nc_tdesc *a, const nc_tdesc *b) {
  if (a->dtype != b->dtype || a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return 0;
  return 1;
}

int nc_bind_input(nc_graph *g, const char *name, const nc_const *value) {
  int t = nc_graph_find_tensor(g, name);
  /* Runtime inputs, and initializers (which ONNX lets callers override). */
  if (t < 0 || !(g->tensors[t].is_input || (g->tensors[t].data && g->tensors[t].producer < 0)))
    return nc_fail("%s: cannot bind '%s': no graph input or initializer of that name", g->path,
                   name);
  nc_tensor *x = &g->tensors[t];
  if (!same_shape(&x->desc, &value->desc)) {
    char want[160], got[160];
    copy_dims_text(&x->desc, want, sizeof want);
    copy_dims_text(&value->desc, got, sizeof got);
    return nc_fail("%s: cannot bind input '%s': it is %s %s, the value is %s %s", g->path, name,
                   onnx_dtype_name(x->desc.dtype), want, onnx_dtype_name(value->desc.dtype),
                   got);
  }
  size_t bytes = (size_t)nc_numel(&value->desc) * nc_dtype_size(value->desc.dtype);
  void *data = nc_xmalloc(bytes ? bytes : 1);
  if (bytes) memcpy(data, value->data, bytes);
  free(x->data);
  x->data = data;
  if (x->is_input) {
    x->is_input = 0;
    int k = 0;
    for (int i = 0; i < g->n_inputs; i++)
      if (g->inputs[i] != t) g->inputs[k++] = g->inputs[i];
    g->n_inputs = k;
  }
  return 0;
}
