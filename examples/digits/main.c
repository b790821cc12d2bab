/* The digits example application: runs the model neuroc generated
 * (digits.c/digits.h, see CMakeLists.txt) on the 360 held-out images and
 * prints the accuracy and the largest difference from PyTorch's logits
 * (test_logits.npy, made by train.py independently of neuroc). Exits 1 when
 * a logit differs by more than the tolerance (default 1e-3; int8 builds
 * need ~0.5), 2 on a bad file.
 *   digits DIR [TOLERANCE]      DIR holds test_x.npy, test_y.npy, test_logits.npy */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/npy.h"
#include "digits.h"

#define N_TEST 360

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: digits DIR [TOLERANCE]\n");
    return 2;
  }
  double tol = argc == 3 ? atof(argv[2]) : 1e-3;
  size_t n_in = digits_inputs[0].bytes / sizeof(float);
  size_t n_out = digits_outputs[0].bytes / sizeof(float);
  char path[3][4096];
  const char *names[3] = {"test_x.npy", "test_y.npy", "test_logits.npy"};
  for (int i = 0; i < 3; i++) snprintf(path[i], sizeof path[i], "%s/%s", argv[1], names[i]);
  float *x = malloc(N_TEST * n_in * sizeof *x), *want = malloc(N_TEST * n_out * sizeof *want);
  int64_t *y = malloc(N_TEST * sizeof *y);
  float *out = malloc(n_out * sizeof *out);
  if (!x || !want || !y || !out || npy_read(path[0], "<f4", x, sizeof *x, N_TEST * n_in) ||
      npy_read(path[1], "<i8", y, sizeof *y, N_TEST) ||
      npy_read(path[2], "<f4", want, sizeof *want, N_TEST * n_out))
    return 2;
  int correct = 0;
  double worst = 0;
  for (size_t s = 0; s < N_TEST; s++) {
    const void *inputs[] = {x + s * n_in};
    void *outputs[] = {out};
    if (digits_run_static(inputs, outputs) != 0) {
      fprintf(stderr, "digits: digits_run failed on image %zu\n", s);
      return 2;
    }
    size_t best = 0;
    for (size_t i = 0; i < n_out; i++) {
      double d = fabs((double)out[i] - (double)want[s * n_out + i]);
      if (!(d <= worst)) worst = d; /* NaN propagates and fails below */
      if (out[i] > out[best]) best = i;
    }
    correct += (int64_t)best == y[s];
  }
  printf("accuracy: %d/%d = %.4f\n", correct, N_TEST, correct / (double)N_TEST);
  printf("max |logit - PyTorch logit|: %g (tolerance %g)\n", worst, tol);
  free(x);
  free(want);
  free(y);
  free(out);
  return worst <= tol ? 0 : 1;
}
