/* Output files: directories, and files written atomically (a temporary file
 * renamed into place), so a failure never leaves a half-written output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "compile.h"

FILE *nc_afile_open(nc_afile *a, const char *path) {
  snprintf(a->path, sizeof a->path, "%s", path);
  snprintf(a->tmp, sizeof a->tmp, "%.4000s.tmp", path);
  a->f = fopen(a->tmp, "wb");
  if (!a->f) nc_fail("%s: cannot write: %s", a->tmp, strerror(errno));
  return a->f;
}

int nc_afile_commit(nc_afile *a, int ok) {
  int closed = fclose(a->f) == 0;
  a->f = NULL;
  if (ok && closed && rename(a->tmp, a->path) == 0) return 0;
  int err = errno;
  remove(a->tmp);
  return nc_fail("%s: write failed: %s", a->path, strerror(err));
}

int nc_write_file(const char *path, const void *data, size_t n) {
  nc_afile a;
  if (!nc_afile_open(&a, path)) return -1;
  size_t w = n ? fwrite(data, 1, n, a.f) : 0;
  return nc_afile_commit(&a, w == n);
}

int nc_mkdir_p(const char *dir) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *q = buf + 1; *q; q++)
    if (*q == '/') {
      *q = 0;
      if (mkdir(buf, 0777) && errno != EEXIST) return nc_fail("%s: cannot create: %s", buf, strerror(errno));
      *q = '/';
    }
  if (mkdir(buf, 0777) && errno != EEXIST) return nc_fail("%s: cannot create: %s", buf, strerror(errno));
  return 0;
}
