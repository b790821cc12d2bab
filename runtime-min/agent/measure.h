/* The measurement harness shared by the compiler's local profiler and the
 * agent, so that both time routines with identical code: buffers allocated
 * per the routine's layouts, constant inputs packed by the routine's own
 * `pack`, warm-up, batched samples until a minimum time, median and
 * relative IQR spread, one re-measurement when the spread is wide.
 * Every request is checked against limits first: errors, never crashes
 * (for arguments that pass the checks the routine itself is trusted; the
 * agent runs it in a child process for that reason). */
#ifndef NC_MEASURE_H
#define NC_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "neuroc/routines.h"

#define NC_MEASURE_MAX_IN 64
#define NC_MEASURE_MAX_OUT 16
#define NC_MEASURE_MAX_ARGS 4096          /* ia and fa entries each */
#define NC_MEASURE_MAX_BYTES_DEFAULT (1ull << 30)
#define NC_MEASURE_MAX_SPREAD_DEFAULT 0.2
#define NC_MEASURE_MAX_MIN_MS 60000.0
#define NC_MEASURE_MAX_WARMUP 1000

/* Error classes; the agent protocol's ErrorCode numbers the same ones. */
typedef enum nc_measure_status {
  NC_MEASURE_OK = 0,
  NC_MEASURE_NOT_APPLICABLE = 7,
  NC_MEASURE_ISA_UNSUPPORTED = 8,
  NC_MEASURE_LIMIT = 9,
  NC_MEASURE_INTERNAL = 11
} nc_measure_status;

typedef struct nc_measure_opts {
  double min_ms;       /* minimum measuring time per run */
  int warmup;          /* warm-up calls */
  double max_spread;   /* re-measure once when the spread is above (0 = default 0.2) */
  uint64_t max_bytes;  /* bytes one measurement may allocate (0 = default 1 GiB) */
} nc_measure_opts;

typedef struct nc_measurement {
  double median_ms, spread;
  int samples;         /* samples behind the kept median */
  int remeasured;      /* 1 when the first run was too noisy and measured again */
  double first_spread; /* spread of the first run when remeasured */
} nc_measurement;

/* Checks that need no routine code: counts, rank, dims, dtypes, bytes of the
 * activation buffers against the limit. 0 or a status with a message. */
int nc_measure_check(const nc_routine *r, const nc_args *a, const nc_measure_opts *o,
                     char *err, size_t errn);

/* Time routine r on arguments a. consts: per routine input, the bytes of a
 * constant input (unpacked, ONNX order) or NULL; is_const: per input, 1 for a
 * constant (weight) whose bytes are not given: random values are made and
 * packed. Either array may be NULL. Returns NC_MEASURE_OK or a status with a
 * message naming what was wrong. */
int nc_measure_routine(const nc_routine *r, const nc_args *a, const void *const *consts,
                       const uint8_t *is_const, const nc_measure_opts *o, nc_measurement *m,
                       char *err, size_t errn);

/* The dtype that selects the routine: first routine input, else first output. */
int32_t nc_measure_key_dtype(const nc_args *a);

/* Stable identity of the machine that measures: CPU model, the routine ISAs
 * this CPU supports, OS and arch, the C compiler that built the measuring
 * code and the routine library version. Into buf; returns buf. */
const char *nc_target_fingerprint(char *buf, size_t n);
/* The routine ISAs (from the table) this CPU executes, space-separated. */
const char *nc_supported_isas(char *buf, size_t n);

#endif
