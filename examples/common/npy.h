/* Reads a little-endian, C-order .npy file of exactly `count` values of the
 * numpy type `descr` ("<f4" float32, "<i8" int64) into dst. Header-only so
 * each example stays one main.c plus this file. Returns 0, or -1 after
 * printing what is wrong with which file. */
#ifndef NEUROC_EXAMPLE_NPY_H
#define NEUROC_EXAMPLE_NPY_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int npy_read(const char *path, const char *descr, void *dst, size_t elem_size,
                    size_t count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open\n", path);
    return -1;
  }
  unsigned char pre[10];
  int ok = fread(pre, 1, sizeof pre, f) == sizeof pre && memcmp(pre, "\x93NUMPY", 6) == 0;
  size_t header_len = 0;
  if (ok && pre[6] == 1) { /* version 1: 2-byte header length, later versions 4 */
    header_len = (size_t)pre[8] | (size_t)pre[9] << 8;
  } else if (ok) {
    unsigned char more[2];
    ok = fread(more, 1, 2, f) == 2;
    header_len = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)more[0] << 16 | (size_t)more[1] << 24;
  }
  char want[32];
  snprintf(want, sizeof want, "'%s'", descr);
  char *header = ok ? calloc(header_len + 1, 1) : NULL;
  ok = header && fread(header, 1, header_len, f) == header_len && strstr(header, want) &&
       strstr(header, "'fortran_order': False") && fread(dst, elem_size, count, f) == count &&
       fgetc(f) == EOF;
  free(header);
  fclose(f);
  if (!ok) fprintf(stderr, "%s: not a %s C-order .npy of %zu values\n", path, descr, count);
  return ok ? 0 : -1;
}
#endif
