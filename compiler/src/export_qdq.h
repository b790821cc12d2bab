/* Export of a calibrated model as an ONNX QDQ file (--export-qdq), so that
 * ONNX Runtime (or any QDQ-aware peer) runs the same quantization neuroc
 * chose: QuantizeLinear/DequantizeLinear pairs with neuroc's u8 scale and
 * zero point on every activation a quantized routine reads or writes, and s8
 * per-output-channel weights behind a DequantizeLinear for the Conv, Gemm
 * and MatMul layers that run quantized. Everything else of the original
 * ModelProto stays as the user gave it. See docs/quantization-benchmark.md. */
#ifndef NC_EXPORT_QDQ_H
#define NC_EXPORT_QDQ_H

#include "compile.h"

typedef struct nc_qdq_stats {
  int activations;  /* activation tensors given a Q/DQ pair */
  int propagated;   /* of those, outputs of shape-only ops that inherit their input's */
  int weights;      /* weight initializers stored as s8 per channel */
  int skipped;      /* quantized IR tensors or weights with no counterpart in the file */
} nc_qdq_stats;

/* Write model_path with the quantization of selection sel on graph g (g
 * lowered and calibrated, sel its routine choice) to out_path, atomically.
 * Returns 0, or -1 with a message naming the file (and node or tensor). */
int nc_export_qdq(const nc_graph *g, const nc_selection *sel, const char *model_path,
                  const char *out_path, nc_qdq_stats *st);

/* The same from the plan a compile just wrote (plan_path, read back onto g
 * with nc_plan_read). */
int nc_export_qdq_plan(nc_graph *g, const nc_options *o, const char *plan_path,
                       const char *model_path, const char *out_path, nc_qdq_stats *st);

#endif
