/* Batch driver for an emitted model (tests/models/run_quant.sh): runs the
 * model once per sample of an .npy batch and writes all outputs as one .npy,
 * then times REPEAT runs on sample 0 (single thread, after one warm-up).
 *
 *   cc -std=c11 -O2 -I DIR -I runtime-min/include tests/bench/quant_runner.c \
 *      DIR/model.c libneuroc_rt.a -lm -o quant_runner
 *   quant_runner IN.npy OUT.npy REPEAT
 *
 * IN.npy: little-endian float32 [N, ...] whose per-sample size is the
 * model's single input; OUT.npy: float32 [N, <output elements>] of output 0.
 * Prints `samples N`, `median_ms`, `min_ms`. Models with one f32 input and
 * one f32 output only (what the benchmark needs). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"

static int fail(const char *what, const char *file) {
  fprintf(stderr, "quant_runner: %s: %s\n", file, what);
  return 1;
}

/* Reads an .npy float32 C-order file: *data (malloc'd), *n0 (leading dim),
 * *total (elements). Returns 0 or 1 with a message. */
static int read_npy(const char *file, float **data, long *n0, long *total) {
  FILE *f = fopen(file, "rb");
  if (!f) return fail("cannot open", file);
  unsigned char pre[10];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6)) {
    fclose(f);
    return fail("not an .npy file", file);
  }
  size_t hl = pre[8] | (size_t)pre[9] << 8;
  if (pre[6] != 1) { /* version 2/3: 4-byte header length */
    unsigned char b[2];
    if (fread(b, 1, 2, f) != 2) {
      fclose(f);
      return fail("truncated header", file);
    }
    hl |= (size_t)b[0] << 16 | (size_t)b[1] << 24;
  }
  char *h = calloc(hl + 1, 1);
  if (!h || fread(h, 1, hl, f) != hl) {
    free(h);
    fclose(f);
    return fail("truncated header", file);
  }
  int ok = strstr(h, "'<f4'") && strstr(h, "'fortran_order': False");
  char *sh = strstr(h, "'shape': (");
  long n = 1, first = -1;
  if (ok && sh) {
    for (char *p = sh + 10; *p && *p != ')';) {
      char *end;
      long d = strtol(p, &end, 10);
      if (end == p) break;
      if (first < 0) first = d;
      n *= d;
      p = end;
      while (*p == ',' || *p == ' ') p++;
    }
  }
  free(h);
  if (!ok || first < 0) {
    fclose(f);
    return fail("expected a float32 C-order array with a leading sample dimension", file);
  }
  *data = malloc((size_t)n * sizeof(float) + 1);
  if (!*data || fread(*data, sizeof(float), (size_t)n, f) != (size_t)n) {
    fclose(f);
    return fail("truncated data", file);
  }
  fclose(f);
  *n0 = first;
  *total = n;
  return 0;
}

static int write_npy(const char *file, const float *v, long n, long per) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  FILE *f = fopen(tmp, "wb");
  if (!f) return fail("cannot write", tmp);
  char h[128];
  int len = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': (%ld, %ld), }",
                     n, per);
  int pad = 64 - (10 + len + 1) % 64;
  if (pad == 64) pad = 0;
  unsigned short hl = (unsigned short)(len + pad + 1);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc(hl & 0xff, f);
  fputc(hl >> 8, f);
  fwrite(h, 1, (size_t)len, f);
  for (int i = 0; i < pad; i++) fputc(' ', f);
  fputc('\n', f);
  int ok = fwrite(v, sizeof(float), (size_t)(n * per), f) == (size_t)(n * per);
  ok &= fclose(f) == 0;
  if (!ok || rename(tmp, file)) {
    remove(tmp);
    return fail("write failed", file);
  }
  return 0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: quant_runner IN.npy OUT.npy REPEAT\n");
    return 2;
  }
  int repeat = atoi(argv[3]);
  if (MODEL_NUM_INPUTS != 1 || MODEL_NUM_OUTPUTS != 1 || model_inputs[0].dtype != 1 ||
      model_outputs[0].dtype != 1 || repeat < 1) {
    fprintf(stderr, "quant_runner: the model must have one f32 input and one f32 output, REPEAT >= 1\n");
    return 2;
  }
  float *in;
  long n, total;
  if (read_npy(argv[1], &in, &n, &total)) return 1;
  long per_in = (long)(model_inputs[0].bytes / sizeof(float));
  long per_out = (long)(model_outputs[0].bytes / sizeof(float));
  if (n <= 0 || total != n * per_in) {
    fprintf(stderr, "quant_runner: %s: %ld values in %ld samples; the input '%s' takes %ld per sample\n",
            argv[1], total, n, model_inputs[0].name, per_in);
    return 1;
  }
  float *out = malloc((size_t)(n * per_out) * sizeof(float) + 1);
  if (!out) return fail("out of memory", argv[2]);
  for (long i = 0; i < n; i++) {
    const void *ins[1] = {in + i * per_in};
    void *outs[1] = {out + i * per_out};
    model_run_static(ins, outs);
  }
  if (write_npy(argv[2], out, n, per_out)) return 1;
  double *t = malloc((size_t)repeat * sizeof *t);
  float *scratch = malloc((size_t)per_out * sizeof(float) + 1);
  const void *ins[1] = {in};
  void *outs[1] = {scratch};
  model_run_static(ins, outs); /* warm-up */
  for (int r = 0; r < repeat; r++) {
    double t0 = now_ms();
    model_run_static(ins, outs);
    t[r] = now_ms() - t0;
  }
  qsort(t, (size_t)repeat, sizeof *t, cmp_double);
  double med = repeat % 2 ? t[repeat / 2] : 0.5 * (t[repeat / 2 - 1] + t[repeat / 2]);
  printf("samples %ld\nmedian_ms %.4f\nmin_ms %.4f\n", n, med, t[0]);
  free(t);
  free(scratch);
  free(out);
  free(in);
  return 0;
}
