/* Whole-file reads and writes for the unit tests: one copy instead of one per
 * test file. A failure is a Criterion assertion that names the path. */
#ifndef NC_TEST_FILES_H
#define NC_TEST_FILES_H
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes of PATH, NUL-terminated, in malloc'd memory; *n = the size when
 * n is not NULL. */
static inline char *tf_slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot read %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  cr_assert_geq(len, 0, "cannot size %s", path);
  char *b = malloc((size_t)len + 1);
  cr_assert_not_null(b);
  size_t got = fread(b, 1, (size_t)len, f);
  fclose(f);
  cr_assert_eq(got, (size_t)len, "short read of %s", path);
  b[got] = 0;
  if (n) *n = got;
  return b;
}

/* Writes N bytes to PATH (created or truncated). */
static inline void tf_spit(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot write %s", path);
  cr_assert_eq(fwrite(data, 1, n, f), n, "short write of %s", path);
  cr_assert_eq(fclose(f), 0, "cannot close %s", path);
}

static inline void tf_spit_text(const char *path, const char *text) {
  tf_spit(path, text, strlen(text));
}
#endif
