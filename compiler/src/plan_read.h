/* Reading plan.yaml back into a selection, so that `neuroc compile --plan`
 * emits the same C without measuring anything; and the file hashes the plan
 * records to detect that it was made for another model or target. */
#ifndef NC_PLAN_READ_H
#define NC_PLAN_READ_H

#include <stddef.h>

#include "compile.h"

/* "fnv1a64:<16 hex digits>" of the file's bytes into buf, or "unreadable". */
const char *nc_file_hash(const char *path, char *buf, size_t n);

/* Rebuild the selection for graph g (after passes) from the plan at path.
 * Refuses a plan whose model hash, target spec hash (parsed content) or
 * routine library version differs, and a plan whose layers, routines or
 * adapters do not fit the graph (the message names PLAN:LINE and the layer).
 * Returns 0 or -1 (message in nc_err_msg()). */
int nc_plan_read(nc_graph *g, const nc_options *o, const char *path, nc_selection *sel);

#endif
