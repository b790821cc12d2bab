/* Time for the firmware: SysTick counting the core clock, extended to 64
 * bits by its wrap interrupt. Under qemu with -icount shift=0 every guest
 * instruction advances virtual time by 1 ns, so a tick (40 ns at 25 MHz) is
 * 40 instructions and "milliseconds" measured here are millions of
 * instructions, deterministic from run to run (docs/mcu.md). */
#include <time.h>

#include "board.h"

#define SYST_CSR NC_REG(0xE000E010u)
#define SYST_RVR NC_REG(0xE000E014u)
#define SYST_CVR NC_REG(0xE000E018u)
#define ICSR NC_REG(0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)
#define RELOAD 0xFFFFFFu

static volatile uint32_t wraps;

void SysTick_Handler(void) { wraps++; }

void nc_timer_init(void) {
  SYST_RVR = RELOAD;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* enable, interrupt on wrap, core clock */
  /* the counter holds 0 until its first tick loads RELOAD: a read in
   * between would count a whole period that has not passed */
  while (SYST_CVR == 0) {
  }
}

uint64_t nc_timer_ticks(void) {
  uint32_t w, v, pend;
  do {
    w = wraps;
    v = SYST_CVR;
    pend = ICSR & ICSR_PENDSTSET;
  } while (w != wraps);
  /* a wrap whose interrupt is not taken yet: the counter has reloaded */
  if (pend && v > RELOAD / 2) w++;
  return ((uint64_t)w << 24) + (RELOAD - v);
}

/* The measuring harness (measure.c) reads CLOCK_MONOTONIC through this. */
int clock_gettime(clockid_t clock_id, struct timespec *tp) {
  (void)clock_id;
  uint64_t t = nc_timer_ticks();
  tp->tv_sec = (time_t)(t / NC_CPU_HZ);
  tp->tv_nsec = (long)((t % NC_CPU_HZ) * (1000000000u / NC_CPU_HZ));
  return 0;
}
