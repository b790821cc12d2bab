/* Polling driver for the CMSDK APB UART (UART0 of the MPS2 boards): no
 * interrupts, no buffers; the agent reads and writes whole frames itself. */
#include "board.h"

#define UART_DATA NC_REG(NC_UART0_BASE + 0x00)
#define UART_STATE NC_REG(NC_UART0_BASE + 0x04)
#define UART_CTRL NC_REG(NC_UART0_BASE + 0x08)
#define UART_BAUDDIV NC_REG(NC_UART0_BASE + 0x10)

#define STATE_TX_FULL 1u
#define STATE_RX_FULL 2u
#define CTRL_TX_EN 1u
#define CTRL_RX_EN 2u

void nc_uart_init(void) {
  UART_BAUDDIV = NC_CPU_HZ / 115200u; /* ignored by qemu, needed on a board */
  UART_CTRL = CTRL_TX_EN | CTRL_RX_EN;
}

void nc_uart_putc(uint8_t c) {
  while (UART_STATE & STATE_TX_FULL) {
  }
  UART_DATA = c;
}

void nc_uart_write(const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) nc_uart_putc(b[i]);
}

void nc_uart_puts(const char *s) {
  while (*s) nc_uart_putc((uint8_t)*s++);
}

int nc_uart_getc(void) {
  if (!(UART_STATE & STATE_RX_FULL)) return -1;
  return (int)(UART_DATA & 0xffu);
}
