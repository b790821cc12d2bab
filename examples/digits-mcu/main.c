/* The digits CNN as Cortex-M4F firmware: runs the emitted model.c on the
 * first TEST_N held-out images (test_data.h, generated from
 * the .npy files of examples/digits/), prints each prediction and the largest difference
 * of its logits from PyTorch's, and the instructions one inference takes
 * (SysTick under qemu -icount shift=0: 1 tick = 40 instructions). Exits
 * (semihosting) with 0 when every logit is within tolerance, 1 otherwise. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "model.h"
#include "test_data.h"

/* |neuroc - PyTorch| per logit: both compute in f32, in different orders
 * (an int8 plan needs more: make TOLERANCE=0.5) */
#ifndef TOLERANCE
#define TOLERANCE 1e-3f
#endif

static void print(const char *s) { nc_uart_puts(s); }

static int argmax(const float *v, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[best]) best = i;
  return best;
}

static float absf(float x) { return x < 0 ? -x : x; }

int main(void) {
  nc_uart_init();
  nc_timer_init();
  char line[160];
  int failed = 0, correct = 0, agree = 0;
  uint64_t ticks_min = UINT64_MAX;
  float worst = 0;
  for (int i = 0; i < TEST_N; i++) {
    float logits[TEST_CLASSES];
    const void *in[1] = {test_x[i]};
    void *out[1] = {logits};
    uint64_t t0 = nc_timer_ticks();
    model_run_static(in, out);
    uint64_t dt = nc_timer_ticks() - t0;
    if (dt < ticks_min) ticks_min = dt;
    float diff = 0;
    for (int k = 0; k < TEST_CLASSES; k++)
      if (absf(logits[k] - test_logits[i][k]) > diff) diff = absf(logits[k] - test_logits[i][k]);
    if (diff > worst) worst = diff;
    int pred = argmax(logits, TEST_CLASSES), ref = argmax(test_logits[i], TEST_CLASSES);
    failed += diff > TOLERANCE;
    correct += pred == test_y[i];
    agree += pred == ref;
    /* newlib-nano's printf has no %f: differences in millionths */
    snprintf(line, sizeof line, "image %2d: predicted %d (label %d, PyTorch %d), max |logit diff| %ld e-6%s\r\n",
             i, pred, test_y[i], ref, (long)(diff * 1e6f), diff > TOLERANCE ? "  OVER TOLERANCE" : "");
    print(line);
  }
  snprintf(line, sizeof line,
           "digits-mcu: %d/%d correct, %d/%d agree with PyTorch, worst |logit diff| %ld e-6 "
           "(tolerance %ld e-6): %s\r\n",
           correct, TEST_N, agree, TEST_N, (long)(worst * 1e6f), (long)(TOLERANCE * 1e6f),
           failed ? "FAIL" : "PASS");
  print(line);
  snprintf(line, sizeof line,
           "one inference: %lu SysTick ticks = %lu instructions under -icount shift=0 (%lu.%03lu ms of virtual time)\r\n",
           (unsigned long)ticks_min, (unsigned long)(ticks_min * (1000000000u / NC_CPU_HZ)),
           (unsigned long)(ticks_min * 40u / 1000000u), (unsigned long)(ticks_min * 40u / 1000u % 1000u));
  print(line);
  return failed ? 1 : 0;
}
