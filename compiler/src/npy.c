/* NumPy .npy files: read v1/v2/v3 headers, write v1. Only little-endian,
 * C-order arrays of the dtypes neuroc has. */
#define _POSIX_C_SOURCE 200809L
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* numpy's descr strings and the dtypes they map to. Single-byte types may be
 * written with any byte-order mark. */
static const struct {
  const char *descr;
  int32_t dtype;
} npy_types[] = {
    {"<f4", NC_F32}, {"<f8", NC_F64}, {"<f2", NC_F16}, {"<i1", NC_S8},  {"|i1", NC_S8},
    {"<i2", NC_S16}, {"<i4", NC_S32}, {"<i8", NC_S64}, {"<u1", NC_U8},  {"|u1", NC_U8},
    {"<u2", NC_U16}, {"<u4", NC_U32}, {"<u8", NC_U64}, {"|b1", NC_BOOL}, {"<b1", NC_BOOL},
};
#define N_NPY_TYPES (sizeof npy_types / sizeof npy_types[0])

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

/* ---------------- header parsing ---------------- */

/* Find `'key':` in the header dict and return a pointer past the colon. */
static const char *dict_value(const char *hdr, const char *key) {
  char pat[32];
  snprintf(pat, sizeof pat, "'%s'", key);
  const char *p = strstr(hdr, pat);
  if (!p) {
    snprintf(pat, sizeof pat, "\"%s\"", key);
    p = strstr(hdr, pat);
  }
  if (!p) return NULL;
  p += strlen(pat);
  while (isspace((unsigned char)*p)) p++;
  if (*p != ':') return NULL;
  p++;
  while (isspace((unsigned char)*p)) p++;
  return p;
}

static int parse_descr(const char *path, const char *hdr, int32_t *dtype) {
  const char *p = dict_value(hdr, "descr");
  if (!p || (*p != '\'' && *p != '"'))
    return nc_fail("%s: npy header has no 'descr' string", path);
  char q = *p++;
  const char *end = strchr(p, q);
  if (!end || end - p > 15) return nc_fail("%s: npy header has a malformed 'descr'", path);
  char d[16];
  memcpy(d, p, (size_t)(end - p));
  d[end - p] = 0;
  for (size_t i = 0; i < N_NPY_TYPES; i++)
    if (strcmp(d, npy_types[i].descr) == 0) {
      *dtype = npy_types[i].dtype;
      return 0;
    }
  if (d[0] == '>')
    return nc_fail("%s: npy dtype '%s' is big-endian; only little-endian data is supported",
                   path, d);
  return nc_fail("%s: unsupported npy dtype '%s' (supported: f2 f4 f8 i1..i8 u1..u8 b1)", path, d);
}

static int parse_fortran(const char *path, const char *hdr) {
  const char *p = dict_value(hdr, "fortran_order");
  if (!p) return nc_fail("%s: npy header has no 'fortran_order'", path);
  if (strncmp(p, "False", 5) == 0) return 0;
  if (strncmp(p, "True", 4) == 0)
    return nc_fail("%s: fortran_order True is not supported (save a C-order array, e.g. "
                   "numpy.ascontiguousarray)", path);
  return nc_fail("%s: npy header has a malformed 'fortran_order'", path);
}

static int parse_shape(const char *path, const char *hdr, nc_tdesc *d) {
  const char *p = dict_value(hdr, "shape");
  if (!p || *p != '(') return nc_fail("%s: npy header has no 'shape' tuple", path);
  p++;
  d->ndim = 0;
  for (;;) {
    while (isspace((unsigned char)*p)) p++;
    if (*p == ')') return 0;
    if (!isdigit((unsigned char)*p)) return nc_fail("%s: npy header has a malformed 'shape'", path);
    if (d->ndim == NC_MAX_DIMS)
      return nc_fail("%s: npy array rank exceeds the maximum of %d", path, NC_MAX_DIMS);
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (errno || v < 0) return nc_fail("%s: npy header has a malformed 'shape'", path);
    d->dims[d->ndim++] = v;
    p = end;
    while (isspace((unsigned char)*p)) p++;
    if (*p == ',') p++;
    else if (*p != ')') return nc_fail("%s: npy header has a malformed 'shape'", path);
  }
}

/* Read magic, version and header dict; leaves f at the start of the data. */
static int read_header(const char *path, FILE *f, nc_tdesc *d) {
  uint8_t pre[8];
  if (fread(pre, 1, 8, f) != 8 || memcmp(pre, npy_magic, 6) != 0)
    return nc_fail("%s: not a .npy file (bad magic)", path);
  int major = pre[6];
  uint32_t hlen;
  if (major == 1) {
    uint8_t b[2];
    if (fread(b, 1, 2, f) != 2) return nc_fail("%s: truncated npy header", path);
    hlen = (uint32_t)b[0] | (uint32_t)b[1] << 8;
  } else if (major == 2 || major == 3) {
    uint8_t b[4];
    if (fread(b, 1, 4, f) != 4) return nc_fail("%s: truncated npy header", path);
    hlen = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (hlen > (1u << 20)) return nc_fail("%s: npy header of %u bytes is implausibly large", path, hlen);
  } else {
    return nc_fail("%s: unsupported npy format version %d.%d", path, major, pre[7]);
  }
  char *hdr = nc_xmalloc(hlen + 1);
  int rc = 0;
  if (fread(hdr, 1, hlen, f) != hlen) {
    rc = nc_fail("%s: truncated npy header", path);
  } else {
    hdr[hlen] = 0;
    memset(d, 0, sizeof *d);
    rc = parse_descr(path, hdr, &d->dtype);
    if (rc == 0) rc = parse_fortran(path, hdr);
    if (rc == 0) rc = parse_shape(path, hdr, d);
  }
  free(hdr);
  return rc;
}

static void swap_to_host(void *data, size_t elem, int64_t n) {
  if (elem == 1 || host_is_little_endian()) return;
  uint8_t *p = data;
  for (int64_t i = 0; i < n; i++, p += elem)
    for (size_t a = 0, b = elem - 1; a < b; a++, b--) {
      uint8_t t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

int nc_npy_read(const char *path, nc_const *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return nc_fail("%s: cannot open: %s", path, strerror(errno));
  nc_tdesc d;
  if (read_header(path, f, &d)) {
    fclose(f);
    return -1;
  }
  int64_t numel = 1;
  for (int i = 0; i < d.ndim; i++) {
    if (d.dims[i] && numel > INT64_MAX / 16 / d.dims[i]) {
      fclose(f);
      return nc_fail("%s: npy array is too large", path);
    }
    numel *= d.dims[i];
  }
  size_t esz = nc_dtype_size(d.dtype), bytes = (size_t)numel * esz;
  void *data = nc_xmalloc(bytes ? bytes : 1);
  size_t got = bytes ? fread(data, 1, bytes, f) : 0;
  fclose(f);
  if (got != bytes) {
    free(data);
    return nc_fail("%s: truncated npy data: expected %zu bytes, found %zu", path, bytes, got);
  }
  swap_to_host(data, esz, numel);
  out->desc = d;
  out->data = data;
  return 0;
}

/* ---------------- writing ---------------- */

static const char *descr_of(int32_t dtype) {
  /* numpy marks single-byte types as byte-order free ('|') */
  char order = nc_dtype_size(dtype) == 1 ? '|' : '<';
  for (size_t i = 0; i < N_NPY_TYPES; i++)
    if (npy_types[i].dtype == dtype && npy_types[i].descr[0] == order) return npy_types[i].descr;
  return NULL;
}

/* v1 header: magic, version, u16 length, dict padded with spaces and ending
 * in '\n' so that the data starts on a 64-byte boundary. */
static size_t format_header(const nc_tdesc *d, const char *descr, char *buf, size_t cap) {
  char dict[512];
  size_t o = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                              descr);
  for (int i = 0; i < d->ndim; i++)
    o += (size_t)snprintf(dict + o, sizeof dict - o, "%lld,%s", (long long)d->dims[i],
                          i + 1 < d->ndim ? " " : "");
  if (d->ndim > 1) o--; /* numpy writes "(2, 3)" but "(3,)" */
  o += (size_t)snprintf(dict + o, sizeof dict - o, "), }");
  size_t total = 10 + o + 1;
  total = (total + 63) / 64 * 64;
  size_t hlen = total - 10;
  if (total > cap) return 0;
  memcpy(buf, npy_magic, 6);
  buf[6] = 1;
  buf[7] = 0;
  buf[8] = (char)(hlen & 0xff);
  buf[9] = (char)(hlen >> 8);
  memcpy(buf + 10, dict, o);
  memset(buf + 10 + o, ' ', hlen - o - 1);
  buf[total - 1] = '\n';
  return total;
}

static int write_le(FILE *f, const void *data, size_t esz, int64_t n) {
  if (host_is_little_endian() || esz == 1)
    return fwrite(data, 1, (size_t)n * esz, f) == (size_t)n * esz ? 0 : -1;
  const uint8_t *p = data;
  for (int64_t i = 0; i < n; i++, p += esz)
    for (size_t b = esz; b-- > 0;)
      if (fputc(p[b], f) == EOF) return -1;
  return 0;
}

int nc_npy_write(const char *path, const nc_tdesc *desc, const void *data) {
  const char *descr = descr_of(desc->dtype);
  if (!descr)
    return nc_fail("%s: dtype %d has no .npy equivalent (bf16 is not a numpy dtype)", path,
                   (int)desc->dtype);
  if (desc->ndim < 0 || desc->ndim > NC_MAX_DIMS)
    return nc_fail("%s: cannot write an array of rank %d", path, (int)desc->ndim);
  char hdr[640];
  size_t hl = format_header(desc, descr, hdr, sizeof hdr);
  size_t plen = strlen(path);
  char *tmp = nc_xmalloc(plen + 5);
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp", 5);
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    nc_fail("%s: cannot write: %s", tmp, strerror(errno));
    free(tmp);
    return -1;
  }
  int bad = fwrite(hdr, 1, hl, f) != hl;
  if (!bad) bad = write_le(f, data, nc_dtype_size(desc->dtype), nc_numel(desc)) != 0;
  int e = errno;
  if (fclose(f) != 0 && !bad) {
    bad = 1;
    e = errno;
  }
  if (!bad && rename(tmp, path) != 0) {
    bad = 1;
    e = errno;
  }
  if (bad) {
    remove(tmp);
    nc_fail("%s: cannot write: %s", path, strerror(e));
  }
  free(tmp);
  return bad ? -1 : 0;
}
