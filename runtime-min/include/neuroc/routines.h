/* The routine table: the single source of truth about every routine.
 * The compiler (candidates, constant folding, local profiler, emitter), the
 * agent, the tests and the docs generator all read it; nothing restates it.
 * Emitted model.c never includes this header: it calls routines by symbol. */
#ifndef NEUROC_ROUTINES_H
#define NEUROC_ROUTINES_H

#include "neuroc/rt.h"

/* Storage layout of an activation tensor. NCHW means plain row-major in ONNX
 * axis order for any rank; the others exist for rank 4 only: NHWC is
 * channels-last; NCHW8C / NCHW16C block the channels by 8 / 16
 * ([N][ceil(C/b)][H][W][b], the tail block zero-padded). */
typedef enum nc_layout {
  NC_LAYOUT_NCHW = 0,
  NC_LAYOUT_NHWC = 1,
  NC_LAYOUT_NCHW8C = 2,
  NC_LAYOUT_NCHW16C = 3,
  NC_LAYOUT_COUNT
} nc_layout;

/* Bytes a tensor occupies in a layout (blocked layouts round C up). */
size_t nc_layout_bytes(const nc_tdesc *d, int layout);
/* Version of the routine library: release + a hash of the routine table + a
 * hash of the routine sources, so any change to a routine changes it
 * (profile DB entries and plans key on it). */
const char *nc_runtime_version(void);

/* Bit for dtype d in nc_routine.dtypes. */
#define NC_DT(d) (1u << (d))
#define NC_DT_FLOATS (NC_DT(NC_F32) | NC_DT(NC_F64) | NC_DT(NC_F16) | NC_DT(NC_BF16))
#define NC_DT_INTS                                                                   \
  (NC_DT(NC_U8) | NC_DT(NC_S8) | NC_DT(NC_U16) | NC_DT(NC_S16) | NC_DT(NC_S32) |      \
   NC_DT(NC_S64) | NC_DT(NC_U32) | NC_DT(NC_U64))
#define NC_DT_NUMERIC (NC_DT_FLOATS | NC_DT_INTS)
#define NC_DT_ALL (NC_DT_NUMERIC | NC_DT(NC_BOOL))

enum nc_routine_flags {
  NC_RF_INPLACE = 1u << 0, /* output may share the buffer of input 0 */
  NC_RF_ALIAS = 1u << 1,   /* output bytes == input 0 bytes (Reshape...): no work when shared */
  NC_RF_ACT = 1u << 2,     /* honours a fused activation (layer args say where) */
  NC_RF_REFERENCE = 1u << 3, /* the portable reference for its layer: used for folding */
  /* Numerically looser than a direct sum (Winograd's transforms grow the
   * rounding error with the tile size): chosen only when the target spec
   * says `approximate: true`. */
  NC_RF_APPROX = 1u << 4
};

typedef struct nc_routine {
  const char *layer;      /* ONNX op type, or "adapter" for format conversions */
  const char *descriptor; /* DEVICE:DTYPE:LAYOUT/ALGO/ISA; DTYPE '*' = any of `dtypes` */
  const char *symbol;     /* C symbol the emitted code calls */
  nc_routine_fn fn;
  uint32_t dtypes;        /* accepted dtypes of the layer's first input (NC_DT bits) */
  uint8_t in_layout;      /* layout of every activation input */
  uint8_t out_layout;     /* layout of every output */
  uint32_t flags;
  /* NULL means "always applies". Otherwise non-zero when the routine handles
   * these concrete arguments. */
  int (*applies)(const nc_args *a);
  /* Scratch bytes needed for these arguments; NULL means none. */
  size_t (*scratch_bytes)(const nc_args *a);
  /* Weight packing for constant input `idx`: bytes of the packed form (0 =
   * keep the ONNX bytes as they are) and the packing itself. NULL = none. */
  size_t (*packed_bytes)(const nc_args *a, int idx);
  void (*pack)(const nc_args *a, int idx, const void *src, void *dst);
  /* Storage of every activation input / output beyond its layout: NC_Q_NONE
   * (the tensor's own dtype) or NC_Q_U8 (u8 with the tensor's calibrated
   * scale and zero point, carried in the nc_tdesc the routine gets). */
  uint8_t in_q, out_q;
  /* Packing that needs the other constant inputs too (an int8 conv folds its
   * bias into int32 with the weights' per-channel scales). When set, it is
   * used instead of `pack`; consts[i] is constant input i in ONNX bytes
   * (NULL when not constant). Call through nc_routine_pack. */
  void (*pack_with)(const nc_args *a, int idx, const void *const *consts, void *dst);
} nc_routine;

/* Quantization of an activation's storage (nc_routine.in_q / out_q). */
enum nc_qstore { NC_Q_NONE = 0, NC_Q_U8 = 1, NC_Q_COUNT };

/* The format of an activation as DPRS sees it: layout and storage together,
 * layout + NC_LAYOUT_COUNT * qstore (so plain f32 formats equal layouts). */
#define NC_FORMAT_COUNT (NC_LAYOUT_COUNT * NC_Q_COUNT)
static inline int nc_format(int layout, int q) { return layout + NC_LAYOUT_COUNT * q; }
static inline int nc_format_layout(int fmt) { return fmt % NC_LAYOUT_COUNT; }
static inline int nc_format_q(int fmt) { return fmt / NC_LAYOUT_COUNT; }
/* Format of a routine's activation inputs / outputs. */
static inline int nc_routine_in_format(const nc_routine *r) { return nc_format(r->in_layout, r->in_q); }
static inline int nc_routine_out_format(const nc_routine *r) { return nc_format(r->out_layout, r->out_q); }

/* "nhwc", or "nhwc.u8" for a quantized format, into buf. */
const char *nc_format_name(int fmt, char *buf, size_t n);

/* Pack constant input idx of r for args a into dst (r->packed_bytes bytes). */
void nc_routine_pack(const nc_routine *r, const nc_args *a, int idx, const void *const *consts,
                     void *dst);

/* The whole table, NULL-terminated by a zero entry; see runtime-min/src/table.c. */
const nc_routine *nc_routine_table(void);
int nc_routine_count(void);
/* Exact descriptor lookup, with DTYPE '*' in the table matching any dtype name. */
const nc_routine *nc_routine_find(const char *descriptor);
const char *nc_dtype_name(int32_t dtype); /* "f32", "s64", ... */
const char *nc_layout_name(int layout);  /* "nchw", "nhwc", "nchw8c", "nchw16c" */
/* The ISA component of a descriptor ("c99", "avx2", "avx512"...), into buf. */
const char *nc_routine_isa(const nc_routine *r, char *buf, size_t n);
/* 1 if the CPU running this code can execute routines of that ISA. */
int nc_cpu_supports(const char *isa);
/* descriptor with '*' replaced by the concrete dtype name, into buf. */
const char *nc_routine_concrete_descriptor(const nc_routine *r, int32_t dtype, char *buf,
                                           size_t n);

#endif
