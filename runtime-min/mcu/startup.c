/* Start-up for the MPS2 AN386 (Cortex-M4F) and AN500 (Cortex-M7) firmware: vector table, reset
 * (FPU on, .data copied, .bss zeroed), the heap behind newlib-nano's malloc,
 * semihosting exit, and fault recovery for the agent (nc_fw_guarded). */
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/utsname.h>
#include <string.h>

#include "board.h"

#define SCB_CPACR NC_REG(0xE000ED88u)
#define SCB_CFSR NC_REG(0xE000ED28u)
#define SCB_HFSR NC_REG(0xE000ED2Cu)

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack, __heap_start, __heap_end;
int main(void);

void Reset_Handler(void) {
  /* full access to CP10/CP11 before any floating-point instruction runs */
  SCB_CPACR |= 0xFu << 20;
  __asm volatile("dsb\n isb" ::: "memory");
  for (uint32_t *s = &_sidata, *d = &_sdata; d < &_edata;) *d++ = *s++;
  for (uint32_t *d = &_sbss; d < &_ebss;) *d++ = 0;
  nc_fw_exit(main());
}

/* ---------------- faults ---------------- */

static jmp_buf *guard;
static volatile int fault_exc;
static volatile uint32_t fault_cfsr;

static void fault_return(void) { longjmp(*guard, 1); }

/* frame: the registers the core stacked (r0-r3, r12, lr, pc, xpsr). */
void nc_fault_c(uint32_t *frame, uint32_t ipsr) __attribute__((used));
void nc_fault_c(uint32_t *frame, uint32_t ipsr) {
  fault_exc = (int)(ipsr & 0x1ff);
  fault_cfsr = SCB_CFSR;
  SCB_CFSR = fault_cfsr; /* write-1-to-clear */
  SCB_HFSR = SCB_HFSR;
  if (guard) {
    /* return from the exception into fault_return, in thread mode */
    frame[6] = (uint32_t)(uintptr_t)fault_return & ~1u;
    frame[7] = 1u << 24; /* xPSR: Thumb state */
    return;
  }
  nc_uart_puts("\r\nneuroc firmware: fault outside any guarded call\r\n");
  nc_fw_exit(3);
}

__attribute__((naked)) void HardFault_Handler(void) {
  __asm volatile("tst lr, #4\n"
                 "ite eq\n"
                 "mrseq r0, msp\n"
                 "mrsne r0, psp\n"
                 "mrs r1, ipsr\n"
                 "b nc_fault_c\n");
}

int nc_fw_guarded(void (*fn)(void *ctx), void *ctx, uint32_t *cfsr) {
  jmp_buf jb;
  if (setjmp(jb)) {
    guard = NULL;
    if (cfsr) *cfsr = fault_cfsr;
    return fault_exc ? fault_exc : 3;
  }
  guard = &jb;
  fn(ctx);
  guard = NULL;
  return 0;
}

static void default_handler(void) { nc_fw_exit(4); }
void SysTick_Handler(void);

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack,
    Reset_Handler,
    default_handler,   /* NMI */
    HardFault_Handler,
    HardFault_Handler, /* MemManage */
    HardFault_Handler, /* BusFault */
    HardFault_Handler, /* UsageFault */
    0, 0, 0, 0,
    default_handler,   /* SVC */
    default_handler,   /* DebugMon */
    0,
    default_handler,   /* PendSV */
    SysTick_Handler,
};

/* ---------------- what newlib-nano needs ---------------- */

void nc_fw_exit(int status) {
  /* semihosting SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, status} */
  uint32_t block[2] = {0x20026u, (uint32_t)status};
  register uint32_t r0 __asm("r0") = 0x20u;
  register uint32_t *r1 __asm("r1") = block;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  for (;;) __asm volatile("bkpt 0");
}

/* malloc's memory: the RAM between .bss and the stack (linker script). */
void *_sbrk(ptrdiff_t incr) {
  static uint8_t *brk = (uint8_t *)&__heap_start;
  if (incr < 0 || (size_t)incr > (size_t)((uint8_t *)&__heap_end - brk)) {
    errno = ENOMEM;
    return (void *)-1;
  }
  uint8_t *old = brk;
  brk += incr;
  return old;
}

int uname(struct utsname *u) {
  memset(u, 0, sizeof *u);
  strcpy(u->sysname, "none");
  strcpy(u->machine, "armv7e-m");
  return 0;
}

/* aligned_alloc (the harness's buffers) calls this; newlib-nano lacks it */
void *memalign(size_t align, size_t n);
int posix_memalign(void **p, size_t align, size_t n) {
  void *m = memalign(align, n);
  if (!m) return ENOMEM;
  *p = m;
  return 0;
}

/* No files, no processes: newlib's stdio references these (the harness's
 * Linux-only fingerprint code, dropped by --gc-sections, never calls them). */
struct stat;
void _exit(int status) { nc_fw_exit(status); }
int _write(int fd, const void *p, size_t n) { (void)fd; (void)p; (void)n; errno = ENOSYS; return -1; }
int _read(int fd, void *p, size_t n) { (void)fd; (void)p; (void)n; errno = ENOSYS; return -1; }
int _close(int fd) { (void)fd; errno = ENOSYS; return -1; }
int _fstat(int fd, struct stat *st) { (void)fd; (void)st; errno = ENOSYS; return -1; }
int _isatty(int fd) { (void)fd; return 0; }
long _lseek(int fd, long off, int whence) { (void)fd; (void)off; (void)whence; errno = ENOSYS; return -1; }
int _kill(int pid, int sig) { (void)pid; (void)sig; errno = ENOSYS; return -1; }
int _getpid(void) { return 1; }
int _open(const char *path, int flags, ...) { (void)path; (void)flags; errno = ENOSYS; return -1; }
