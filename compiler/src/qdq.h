/* Imported QDQ models on the int8 routines: an activation's
 * QuantizeLinear -> DequantizeLinear pair with constant per-tensor
 * parameters is the model saying "this tensor lives on this u8 grid". With
 * --dtype int8|auto the pair is taken out of the graph (its consumers read
 * the float tensor directly) and its scale / zero point become the tensor's
 * qscale/qzero, so quantized routines keep the tensor in u8 with the
 * model's own parameters. In f32 mode the pass does not run: the pairs run
 * as ONNX specifies. See docs/quantization.md, "Imported QDQ models on int8
 * routines". */
#ifndef NC_QDQ_H
#define NC_QDQ_H

#include "ir.h"

typedef struct nc_qdq_stats {
  int pairs;      /* QuantizeLinear nodes removed with their DequantizeLinears */
  int dequants;   /* DequantizeLinear nodes removed (a Q may feed several) */
  int s8_shifted; /* of the pairs, those with an s8 zero point mapped to u8 */
  int kept;       /* QuantizeLinear nodes left in place (see nc_qdq_absorb) */
  int lent;       /* of those, ones whose parameters x took all the same */
} nc_qdq_stats;

/* The model's own activation parameters, saved so that calibration (which
 * sets every f32 activation's parameters) cannot overwrite them. */
typedef struct nc_qdq_params {
  int n;
  int *tensor;
  float *scale;
  int32_t *zero;
} nc_qdq_params;

/* On a lowered graph (after nc_run_passes): remove every pair
 * x -> QuantizeLinear(s, z) -> q -> DequantizeLinear(s, z) where x is an f32
 * activation, s and z are constant with one value each, q is u8 or s8, every
 * consumer of q is such a DequantizeLinear with equal parameters, and no
 * DequantizeLinear output is a graph output. x gets qscale = s and
 * qzero = z (z + 128 for s8: the same real values on the u8 grid). A pair
 * that does not qualify stays and runs with the reference routines; when
 * only its consumers disqualify it (a graph output, another consumer of q,
 * different DequantizeLinear parameters) x still takes the QuantizeLinear's
 * per-tensor parameters unless it has some already. Returns
 * 0 (the pass cannot fail on a lowered graph) and fills *st when non-NULL. */
int nc_qdq_absorb(nc_graph *g, nc_qdq_stats *st);

/* 1 when the plan file at path has a top-level `quantization:` key: it was
 * made with --dtype int8|auto, i.e. on a graph nc_qdq_absorb had rewritten,
 * so `--plan` must rewrite the graph the same way before reading it. 0 when
 * not (or unreadable: nc_plan_read then reports the file). */
int nc_qdq_plan_quantized(const char *path);

/* Every tensor with qscale > 0 now (the parameters the model gave). */
void nc_qdq_params_save(const nc_graph *g, nc_qdq_params *p);
/* Put the saved parameters back on their tensors. */
void nc_qdq_params_restore(nc_graph *g, const nc_qdq_params *p);
void nc_qdq_params_free(nc_qdq_params *p);

#endif
