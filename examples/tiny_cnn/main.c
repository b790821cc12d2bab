/* The tiny_cnn example application: runs the model neuroc generated
 * (tiny.c/tiny.h, see CMakeLists.txt) on a .npy image and prints the class
 * probabilities. With a second argument, an expected output .npy, it exits 1
 * unless every probability is within 1e-4 (absolute) of it; 2 on a bad file.
 *   tiny_cnn input.npy [expected_probs.npy]
 * tests/install/run.sh builds it against an installed neuroc. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/npy.h"
#include "tiny.h"

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: tiny_cnn INPUT.npy [EXPECTED.npy]\n");
    return 2;
  }
  size_t n_in = tiny_inputs[0].bytes / sizeof(float);
  size_t n_out = tiny_outputs[0].bytes / sizeof(float);
  float *in = malloc(n_in * sizeof *in), *out = malloc(n_out * sizeof *out);
  float *want = malloc(n_out * sizeof *want);
  if (!in || !out || !want || npy_read(argv[1], "<f4", in, sizeof *in, n_in) ||
      (argc == 3 && npy_read(argv[2], "<f4", want, sizeof *want, n_out)))
    return 2;
  const void *inputs[] = {in};
  void *outputs[] = {out};
  if (tiny_run_static(inputs, outputs) != 0) {
    fprintf(stderr, "tiny_cnn: tiny_run failed\n");
    return 2;
  }
  size_t best = 0;
  printf("probs:");
  for (size_t i = 0; i < n_out; i++) {
    printf(" %.4f", out[i]);
    if (out[i] > out[best]) best = i;
  }
  printf("\nclass: %zu\n", best);
  int bad = 0;
  if (argc == 3) {
    double worst = 0;
    for (size_t i = 0; i < n_out; i++) {
      double d = fabs((double)out[i] - (double)want[i]);
      if (!(d <= 1e-4)) bad = 1; /* NaN fails too */
      if (d > worst) worst = d;
    }
    printf("max abs error vs %s: %g\n", argv[2], worst);
  }
  free(in);
  free(out);
  free(want);
  return bad;
}
