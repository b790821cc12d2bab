/* The firmware's view of the board: an Arm MPS2 with the AN386 image
 * (Cortex-M4F) or AN500 image (Cortex-M7), as modelled by qemu-system-arm -M mps2-an386 / -M
 * mps2-an500 (same memory map, UART and clock), or a real one.
 * Registers are written as addresses here so no CMSIS headers are needed. */
#ifndef NC_MCU_BOARD_H
#define NC_MCU_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define NC_REG(addr) (*(volatile uint32_t *)(addr))

/* CMSDK APB UART0 (the board's first serial port). */
#define NC_UART0_BASE 0x40004000u
/* Core clock of the MPS2 FPGA images (SYSCLK): SysTick counts it. */
#define NC_CPU_HZ 25000000u

/* uart.c: polling UART0 at 115200 baud. */
void nc_uart_init(void);
void nc_uart_putc(uint8_t c);
void nc_uart_write(const void *p, size_t n);
void nc_uart_puts(const char *s);
int nc_uart_getc(void);        /* a byte, or -1 when none is waiting */

/* timer.c: a 64-bit count of core clock ticks (SysTick, extended by its
 * wrap interrupt); 1 tick = 1 / NC_CPU_HZ s of the core clock. */
void nc_timer_init(void);
uint64_t nc_timer_ticks(void);

/* startup.c: end the program. Under qemu (-semihosting) this exits the
 * emulator with `status`; on a board it stops in a breakpoint loop. */
void nc_fw_exit(int status) __attribute__((noreturn));

/* startup.c: run fn(ctx) so that a fault (HardFault, bus, usage, memory)
 * inside it returns here instead of stopping the core. 0 when fn returned,
 * else the faulting exception number; *cfsr gets the fault status. */
int nc_fw_guarded(void (*fn)(void *ctx), void *ctx, uint32_t *cfsr);

#endif
