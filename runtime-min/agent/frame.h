/* Framing of the agent protocol (both sides): magic "NCA1", a 4-byte
 * little-endian payload length, the payload (one protobuf message).
 * The magic lets a reader find the next frame again after garbage, a
 * truncated frame or an oversized one (docs/agent.md, "Errors"). */
#ifndef NC_AGENT_FRAME_H
#define NC_AGENT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define NC_AGENT_PROTOCOL_VERSION 1u
#define NC_FRAME_MAGIC "NCA1"
#define NC_FRAME_HEADER 8u
/* Largest payload accepted by default (the agent's --max-frame). */
#define NC_FRAME_MAX_DEFAULT (64u << 20)

typedef enum nc_frame_status {
  NC_FRAME_NEED_MORE = 0, /* the buffer holds no complete frame yet */
  NC_FRAME_OK = 1,        /* a frame: payload at buf + 8, `payload_len` bytes */
  NC_FRAME_GARBAGE = 2,   /* `skip` bytes before the next possible frame are not a frame */
  NC_FRAME_OVERSIZED = 3  /* a header announcing `payload_len` > max; skip its magic */
} nc_frame_status;

typedef struct nc_frame {
  nc_frame_status status;
  size_t skip;         /* bytes to drop from the front of the buffer */
  uint32_t payload_len;
} nc_frame;

/* Look at the front of buf[0..len): a frame, garbage to drop, or need more.
 * Pure function of its arguments; never reads past len. */
nc_frame nc_frame_next(const uint8_t *buf, size_t len, uint32_t max_payload);

/* Offset of the first possible frame start (full magic, or a prefix of it at
 * the very end) at or after `from`; len when none. */
size_t nc_frame_find_magic(const uint8_t *buf, size_t len, size_t from);

/* Write the 8-byte header for a payload of n bytes. */
void nc_frame_header(uint8_t hdr[NC_FRAME_HEADER], uint32_t n);

/* A growable byte buffer (malloc; on out-of-memory the functions return -1). */
typedef struct nc_bytes {
  uint8_t *data;
  size_t len, cap;
} nc_bytes;
int nc_bytes_reserve(nc_bytes *b, size_t extra);
int nc_bytes_append(nc_bytes *b, const void *p, size_t n);
void nc_bytes_drop_front(nc_bytes *b, size_t n);
void nc_bytes_free(nc_bytes *b);

#endif
