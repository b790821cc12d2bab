/* ONNX import: ModelProto -> nc_graph (compiler/src/onnx_import.c). */
#ifndef NC_ONNX_IMPORT_H
#define NC_ONNX_IMPORT_H
#include "ir.h"

/* Load an ONNX model. Returns NULL on any problem with nc_err_msg() naming the
 * file, and the node/tensor/field at fault. Initializers become tensors with
 * data; Constant nodes are turned into constant tensors; graph inputs that are
 * also initializers are constants (overridable by a caller via nc_bind_input).
 * Input/output value_info shapes must be static (a dim_param is an error
 * unless bound later). External-data tensors are loaded from files next to
 * the model, or rejected with a clear message. */
nc_graph *nc_import_onnx(const char *path);

/* Read a serialized TensorProto (the ONNX test-data input_N.pb format). */
int nc_read_tensor_pb(const char *path, nc_const *out, char **name_out);

/* Turn graph input `name` into a compile-time constant with the given value
 * (used for shape-determining inputs). Returns -1 (with message) if the
 * input does not exist or the desc does not match. */
int nc_bind_input(nc_graph *g, const char *name, const nc_const *value);
#endif
