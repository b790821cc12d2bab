/* .npy reading and writing: exact v1 header bytes, round trips for several
 * dtypes, files written by numpy itself, and malformed headers. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"
#include "test_files.h"

#define TMP NEUROC_BINARY_DIR "/tests/npy_"

static size_t slurp(const char *path, unsigned char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

Test(npy, write_exact_v1_header) {
  const float v[6] = {1, 2, 3, 4, 5, 6};
  nc_tdesc d = {NC_F32, 2, {2, 3}};
  nc_err_clear();
  cr_assert_eq(nc_npy_write(TMP "hdr.npy", &d, v), 0, "%s", nc_err_msg());
  unsigned char buf[512];
  size_t n = slurp(TMP "hdr.npy", buf, sizeof buf);
  /* 10 + 60-char dict + '\n' = 71, padded to the next multiple of 64 */
  cr_assert_eq(n, 128 + 24);
  cr_assert_eq(memcmp(buf, "\x93NUMPY\x01\x00", 8), 0);
  cr_assert_eq(buf[8] | buf[9] << 8, 128 - 10);
  const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  cr_assert_eq(memcmp(buf + 10, dict, strlen(dict)), 0, "%.54s", (char *)buf + 10);
  cr_assert_eq(buf[10 + strlen(dict)], ' ');
  cr_assert_eq(buf[127], '\n');
  float back[6];
  memcpy(back, buf + 128, sizeof back);
  for (int i = 0; i < 6; i++) cr_assert_eq(back[i], (float)(i + 1));
  cr_assert_neq(access(TMP "hdr.npy.tmp", F_OK), 0, "temporary file left behind");
  remove(TMP "hdr.npy");
}

Test(npy, shape_text_for_vectors_and_scalars) {
  unsigned char buf[256];
  const uint8_t u[3] = {1, 2, 3};
  nc_tdesc d1 = {NC_U8, 1, {3}};
  cr_assert_eq(nc_npy_write(TMP "vec.npy", &d1, u), 0);
  slurp(TMP "vec.npy", buf, sizeof buf);
  cr_assert(strstr((char *)buf + 10, "'descr': '|u1'"));
  cr_assert(strstr((char *)buf + 10, "'shape': (3,)"));
  const int64_t s = -7;
  nc_tdesc d0 = {NC_S64, 0, {0}};
  cr_assert_eq(nc_npy_write(TMP "scalar.npy", &d0, &s), 0);
  slurp(TMP "scalar.npy", buf, sizeof buf);
  cr_assert(strstr((char *)buf + 10, "'shape': ()"));
  remove(TMP "vec.npy");
  remove(TMP "scalar.npy");
}

/* Write, read back, compare bytes and desc. */
static void round_trip(const nc_tdesc *d, const void *data, size_t bytes) {
  nc_err_clear();
  cr_assert_eq(nc_npy_write(TMP "rt.npy", d, data), 0, "%s", nc_err_msg());
  nc_const c;
  cr_assert_eq(nc_npy_read(TMP "rt.npy", &c), 0, "%s", nc_err_msg());
  cr_assert_eq(c.desc.dtype, d->dtype);
  cr_assert_eq(c.desc.ndim, d->ndim);
  for (int i = 0; i < d->ndim; i++) cr_assert_eq(c.desc.dims[i], d->dims[i]);
  cr_assert_eq(memcmp(c.data, data, bytes), 0);
  free(c.data);
  remove(TMP "rt.npy");
}

Test(npy, round_trips) {
  const double f8[4] = {0.5, -1e300, 3, 4};
  round_trip(&(nc_tdesc){NC_F64, 3, {1, 2, 2}}, f8, sizeof f8);
  const int8_t s1[5] = {-128, -1, 0, 1, 127};
  round_trip(&(nc_tdesc){NC_S8, 1, {5}}, s1, sizeof s1);
  const uint16_t f2[2] = {0x3C00, 0xC000};
  round_trip(&(nc_tdesc){NC_F16, 1, {2}}, f2, sizeof f2);
  const uint8_t b1[3] = {1, 0, 1};
  round_trip(&(nc_tdesc){NC_BOOL, 2, {3, 1}}, b1, sizeof b1);
  const uint64_t u8[1] = {18446744073709551615ull};
  round_trip(&(nc_tdesc){NC_U64, 0, {0}}, u8, sizeof u8);
  const int32_t none[1] = {0};
  round_trip(&(nc_tdesc){NC_S32, 2, {0, 4}}, none, 0);
}

Test(npy, reads_file_written_by_numpy) {
  nc_const c;
  nc_err_clear();
  cr_assert_eq(nc_npy_read(NEUROC_SOURCE_DIR "/examples/tiny_cnn/input.npy", &c), 0, "%s",
               nc_err_msg());
  cr_assert_eq(c.desc.dtype, NC_F32);
  cr_assert_eq(c.desc.ndim, 4);
  cr_assert(c.desc.dims[0] == 1 && c.desc.dims[1] == 1 && c.desc.dims[2] == 16 &&
            c.desc.dims[3] == 16);
  /* make_model.py draws a ring: exp(-(r-5)^2/2) + 0.02*x around (7.5, 7.5) */
  for (int y = 0; y < 16; y += 5)
    for (int x = 0; x < 16; x += 3) {
      double r = sqrt((y - 7.5) * (y - 7.5) + (x - 7.5) * (x - 7.5));
      double want = exp(-(r - 5.0) * (r - 5.0) / 2.0) + 0.02 * x;
      cr_assert_float_eq(((float *)c.data)[y * 16 + x], want, 1e-5, "(%d,%d)", y, x);
    }
  free(c.data);
}

/* A header followed by `data_bytes` zero bytes. */
static void write_npy_raw(const char *path, int major, const char *dict, size_t data_bytes) {
  unsigned char buf[512] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0};
  size_t dl = strlen(dict), o;
  if (major == 1) {
    buf[8] = (unsigned char)dl;
    buf[9] = 0;
    o = 10;
  } else {
    buf[8] = (unsigned char)dl;
    buf[9] = buf[10] = buf[11] = 0;
    o = 12;
  }
  memcpy(buf + o, dict, dl);
  tf_spit(path, buf, o + dl + data_bytes);
}

static void expect_read_error(const char *path, const char *phrase) {
  nc_const c;
  nc_err_clear();
  int rc = nc_npy_read(path, &c);
  if (rc == 0) free(c.data);
  cr_assert_eq(rc, -1, "reading %s should fail", path);
  cr_assert(strstr(nc_err_msg(), phrase), "message '%s' lacks '%s'", nc_err_msg(), phrase);
  cr_assert(strstr(nc_err_msg(), path), "message '%s' lacks the file name", nc_err_msg());
  remove(path);
}

Test(npy, version2_header) {
  write_npy_raw(TMP "v2.npy", 2, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }\n", 4);
  nc_const c;
  cr_assert_eq(nc_npy_read(TMP "v2.npy", &c), 0, "%s", nc_err_msg());
  cr_assert(c.desc.dtype == NC_S16 && c.desc.ndim == 1 && c.desc.dims[0] == 2);
  free(c.data);
  remove(TMP "v2.npy");
}

Test(npy, bad_headers) {
  tf_spit(TMP "magic.npy", "NOTNUMPY0000", 12);
  expect_read_error(TMP "magic.npy", "not a .npy file");
  write_npy_raw(TMP "fortran.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16);
  expect_read_error(TMP "fortran.npy", "fortran_order True is not supported");
  write_npy_raw(TMP "be.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8);
  expect_read_error(TMP "be.npy", "'>f4' is big-endian");
  write_npy_raw(TMP "cplx.npy", 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16);
  expect_read_error(TMP "cplx.npy", "unsupported npy dtype '<c8'");
  write_npy_raw(TMP "short.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 8);
  expect_read_error(TMP "short.npy", "truncated npy data: expected 16 bytes, found 8");
  write_npy_raw(TMP "shape.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (x,), }", 8);
  expect_read_error(TMP "shape.npy", "malformed 'shape'");
  write_npy_raw(TMP "v9.npy", 9, "{}", 0);
  expect_read_error(TMP "v9.npy", "unsupported npy format version 9");
  expect_read_error(TMP "absent.npy", "cannot open: No such file or directory");
}

Test(npy, write_errors) {
  const uint16_t bf[1] = {0};
  nc_tdesc d = {NC_BF16, 1, {1}};
  nc_err_clear();
  cr_assert_eq(nc_npy_write(TMP "bf.npy", &d, bf), -1);
  cr_assert(strstr(nc_err_msg(), "no .npy equivalent"), "%s", nc_err_msg());
  nc_tdesc f = {NC_F32, 1, {1}};
  const float one = 1;
  nc_err_clear();
  cr_assert_eq(nc_npy_write(NEUROC_BINARY_DIR "/no/such/dir/x.npy", &f, &one), -1);
  cr_assert(strstr(nc_err_msg(), "x.npy.tmp: cannot write"), "%s", nc_err_msg());
}
