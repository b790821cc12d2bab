/* Routine constraints (--routine): pins and exclusions of routine
 * descriptors per layer range or layer name, in the spirit of the paper's
 * routine descriptors. Grammar (docs/cli.md):
 *   [!]GLOB[@RANGE]   RANGE = I | I..J | LAYER_NAME
 * GLOB matches concrete routine descriptors ('*' and '?'). Layer indices
 * count the layers in execution order from 0, as plan.yaml lists them. */
#ifndef NC_CONSTRAINT_H
#define NC_CONSTRAINT_H

#include "ir.h"

typedef struct nc_constraint {
  int exclude;     /* '!': remove matching routines */
  char glob[160];
  int has_range;   /* 0: every layer */
  int lo, hi;      /* index range, inclusive (name == "") */
  char name[128];  /* a layer name instead of an index range */
} nc_constraint;

/* Parse one --routine argument. Returns 0, or -1 with a message naming it. */
int nc_constraint_parse(const char *text, nc_constraint *c);
/* Whether constraint c covers layer `index` named `name`. */
int nc_constraint_covers(const nc_constraint *c, int index, const char *name);
/* Every constraint with a range must cover at least one of the n layers
 * (names[k] = name of layer k). Returns 0, or -1 naming the constraint. */
int nc_constraints_check_ranges(const char *const *texts, int n_texts, const char *const *names,
                                int n);

/* Apply the constraints to one layer's candidate descriptors: keep[i] is set
 * to 1 for candidates that survive. Unranged pins apply only where they match
 * something (the old --routine meaning); ranged pins are strict. Returns the
 * number kept; 0 means the layer lost every candidate and `why` says which
 * constraint and lists the candidates. *pinned = 1 when a pin applies. */
int nc_constraints_filter(const char *const *texts, int n_texts, int index, const char *name,
                          const char *const *descs, int n_descs, int *keep, int *pinned,
                          char *why, size_t why_cap);

/* The `constraints:` list recorded in a plan (malloc'd strings; none when
 * the plan has none or cannot be read -- the plan reader reports that). */
int nc_constraints_from_plan(const char *plan_path, char ***texts, int *n);

#endif
