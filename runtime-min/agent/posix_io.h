/* POSIX file-descriptor helpers shared by the agent, its client and the
 * profile database (host side only: an MCU agent has its own transport). */
#ifndef NC_POSIX_IO_H
#define NC_POSIX_IO_H

#include <stddef.h>

/* Write all n bytes, retrying on EINTR and short writes. Returns 0, or -1
 * (errno set) when the descriptor refuses. */
int nc_write_all(int fd, const void *p, size_t n);

#endif
