/* Firmware build only, force-included into runtime-min/agent/measure.c:
 * newlib declares clock_gettime only on POSIX platforms. The firmware
 * defines it over SysTick (timer.c); CLOCK_MONOTONIC is its only clock. */
#ifndef NC_MCU_FW_POSIX_H
#define NC_MCU_FW_POSIX_H
#include <time.h>
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC ((clockid_t)4)
int clock_gettime(clockid_t clock_id, struct timespec *tp);
#endif
#endif
