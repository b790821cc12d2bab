/* The profile database: measured routine costs kept across runs, one line
 * per measurement in a readable YAML file (format in docs/profiling.md).
 * Keyed by target fingerprint + routine library version + concrete routine
 * descriptor + canonical argument text; entries for another fingerprint or
 * library version are never matched. Appends are flushed and fsync'ed one
 * by one, under flock, so a crash loses at most the line being written. */
#ifndef NC_PROFILE_DB_H
#define NC_PROFILE_DB_H

#include <stddef.h>

#include "compile.h"

typedef struct nc_profile_entry {
  char *fingerprint, *library, *routine, *args;
  double median_ms, spread;
  long samples;
  char when[32]; /* UTC, ISO 8601 */
} nc_profile_entry;

typedef struct nc_profile_db nc_profile_db;

/* Load (or start) the database at path; a torn last line and malformed lines
 * are skipped with a warning naming FILE:LINE. NULL + nc_fail on error. */
nc_profile_db *nc_profile_db_open(const char *path);
void nc_profile_db_close(nc_profile_db *db);
const char *nc_profile_db_path(const nc_profile_db *db);
/* The entry for this key, or NULL. The last line for a key wins. */
const nc_profile_entry *nc_profile_db_find(const nc_profile_db *db, const char *fingerprint,
                                           const char *library, const char *routine,
                                           const char *args);
/* Append one entry to the file (locked, flushed, fsync'ed) and to memory. */
int nc_profile_db_append(nc_profile_db *db, const nc_profile_entry *e);
/* Distinct keys loaded or appended; keys of another fingerprint or library. */
int nc_profile_db_count(const nc_profile_db *db);
int nc_profile_db_count_other(const nc_profile_db *db, const char *fingerprint,
                              const char *library);
/* Lines skipped on load (torn or malformed). */
int nc_profile_db_skipped(const nc_profile_db *db);

/* Canonical text of routine arguments: dtypes and shapes of inputs (":c"
 * marks a constant input) and outputs, ia[] and fa[] (exact). */
char *nc_profile_args_text(const nc_args *a, const void *const *consts);
/* Concrete descriptor of r for these args (dtype of the first typed operand). */
const char *nc_profile_routine_text(const nc_routine *r, const nc_args *a, char *buf, size_t n);
/* Default path: $NEUROC_PROFILE_DB, else $XDG_CACHE_HOME/neuroc/profile-db.yaml,
 * else $HOME/.cache/neuroc/profile-db.yaml. */
const char *nc_profile_db_default_path(char *buf, size_t n);

/* Cost source answering from the database at path and otherwise measuring
 * through inner (and appending the result). Takes ownership of inner.
 * NULL + nc_fail if the database cannot be opened. nc_cost_free frees both. */
nc_cost_source *nc_cost_db_new(nc_cost_source *inner, const char *path);

/* A set of strings -> dense ids (0, 1, ...), for deduplication. */
typedef struct nc_strmap nc_strmap;
nc_strmap *nc_strmap_new(void);
/* id of key, inserting it (copied) as the next id if absent; *added set to 1 then */
int nc_strmap_intern(nc_strmap *m, const char *key, int *added);
/* id of key or -1 */
int nc_strmap_get(const nc_strmap *m, const char *key);
void nc_strmap_free(nc_strmap *m);

#endif
