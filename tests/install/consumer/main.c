/* Runs the generated tiny model on a .npy input and compares its output with
 * an expected .npy: exit 0 when every value is within 1e-4 (absolute) of the
 * expectation, 1 otherwise, 2 on a bad file. Used by tests/install/run.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiny.h"

/* Reads a little-endian float32, C-order .npy of exactly `count` values. */
static int read_npy_f32(const char *path, float *dst, size_t count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "consumer: cannot open %s\n", path);
    return -1;
  }
  unsigned char pre[10];
  int ok = fread(pre, 1, sizeof pre, f) == sizeof pre && memcmp(pre, "\x93NUMPY", 6) == 0;
  size_t header_len = 0;
  if (ok && pre[6] == 1) {
    header_len = (size_t)pre[8] | (size_t)pre[9] << 8;
  } else if (ok) {
    unsigned char more[2];
    ok = fread(more, 1, 2, f) == 2;
    header_len = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)more[0] << 16 | (size_t)more[1] << 24;
  }
  char *header = ok ? calloc(header_len + 1, 1) : NULL;
  ok = header && fread(header, 1, header_len, f) == header_len &&
       strstr(header, "'<f4'") && strstr(header, "'fortran_order': False") &&
       fread(dst, sizeof *dst, count, f) == count && fgetc(f) == EOF;
  free(header);
  fclose(f);
  if (!ok) fprintf(stderr, "consumer: %s is not a float32 C-order .npy of %zu values\n", path, count);
  return ok ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: consumer INPUT.npy EXPECTED.npy\n");
    return 2;
  }
  size_t n_in = tiny_inputs[0].bytes / sizeof(float);
  size_t n_out = tiny_outputs[0].bytes / sizeof(float);
  float *in = malloc(n_in * sizeof *in), *out = malloc(n_out * sizeof *out);
  float *want = malloc(n_out * sizeof *want);
  if (!in || !out || !want || read_npy_f32(argv[1], in, n_in) || read_npy_f32(argv[2], want, n_out))
    return 2;
  const void *inputs[] = {in};
  void *outputs[] = {out};
  tiny_run_static(inputs, outputs);
  double worst = 0;
  int bad = 0;
  for (size_t i = 0; i < n_out; i++) {
    double d = fabs((double)out[i] - (double)want[i]);
    if (!(d <= 1e-4)) bad = 1; /* NaN fails too */
    if (d > worst) worst = d;
  }
  printf("consumer: %zu outputs, max abs error %g\n", n_out, worst);
  free(in);
  free(out);
  free(want);
  return bad;
}
