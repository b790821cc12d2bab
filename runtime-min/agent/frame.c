/* Frame scanning and the byte buffer shared by the agent and its client. */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

size_t nc_frame_find_magic(const uint8_t *buf, size_t len, size_t from) {
  for (size_t i = from; i < len; i++) {
    size_t avail = len - i < 4 ? len - i : 4;
    if (memcmp(buf + i, NC_FRAME_MAGIC, avail) == 0) return i;
  }
  return len;
}

nc_frame nc_frame_next(const uint8_t *buf, size_t len, uint32_t max_payload) {
  nc_frame f = {NC_FRAME_NEED_MORE, 0, 0};
  size_t start = nc_frame_find_magic(buf, len, 0);
  if (start > 0) {
    f.status = NC_FRAME_GARBAGE;
    f.skip = start;
    return f;
  }
  if (len < NC_FRAME_HEADER) return f;
  uint32_t n = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 | (uint32_t)buf[6] << 16 |
               (uint32_t)buf[7] << 24;
  f.payload_len = n;
  if (n > max_payload) {
    /* Only the magic is dropped: the announced payload is then scanned as
     * garbage, so a frame hidden behind a bogus header is still found. */
    f.status = NC_FRAME_OVERSIZED;
    f.skip = 4;
    return f;
  }
  if (len - NC_FRAME_HEADER < n) return f;
  f.status = NC_FRAME_OK;
  f.skip = NC_FRAME_HEADER + (size_t)n;
  return f;
}

void nc_frame_header(uint8_t hdr[NC_FRAME_HEADER], uint32_t n) {
  memcpy(hdr, NC_FRAME_MAGIC, 4);
  for (int i = 0; i < 4; i++) hdr[4 + i] = (uint8_t)(n >> (8 * i));
}

int nc_bytes_reserve(nc_bytes *b, size_t extra) {
  if (b->cap - b->len >= extra) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < extra) {
    if (cap > ((size_t)-1) / 2) return -1;
    cap *= 2;
  }
  uint8_t *p = realloc(b->data, cap);
  if (!p) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int nc_bytes_append(nc_bytes *b, const void *p, size_t n) {
  if (nc_bytes_reserve(b, n)) return -1;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

void nc_bytes_drop_front(nc_bytes *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

void nc_bytes_free(nc_bytes *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
