/* Firmware build only: newlib has no <sys/utsname.h>, which the shared
 * measurement harness (runtime-min/agent/measure.c) includes for its Linux
 * fingerprint. The firmware agent builds its own fingerprint (agent_fw.c);
 * uname() here reports a bare-metal system so the harness compiles unchanged. */
#ifndef NC_MCU_SHIM_UTSNAME_H
#define NC_MCU_SHIM_UTSNAME_H
struct utsname {
  char sysname[16], nodename[16], release[16], version[16], machine[16];
};
int uname(struct utsname *u);
#endif
