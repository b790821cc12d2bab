/* The routine table: concatenation of the per-family tables declared in
 * table_families.h. Everything that needs to know a routine reads it here. */
#include <stdio.h>
#include <string.h>

#include "neuroc/routines.h"
#include "rt_source_hash.h"
#include "table_families.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#endif

#define NC_MAX_ROUTINES 2048

static const nc_routine *const families[] = {
    nc_routines_elementwise, nc_routines_nn, nc_routines_tensor, nc_routines_reduce,
    nc_routines_quant,
    nc_routines_x86_gemm, nc_routines_x86_blocked, nc_routines_x86_winograd,
    nc_routines_int8,
    nc_routines_neon,
};

static nc_routine table[NC_MAX_ROUTINES + 1];
static int table_len = -1;

static void build_table(void) {
  table_len = 0;
  for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
    for (const nc_routine *r = families[f]; r->descriptor; r++)
      if (table_len < NC_MAX_ROUTINES) table[table_len++] = *r;
}

const nc_routine *nc_routine_table(void) {
  if (table_len < 0) build_table();
  return table;
}

int nc_routine_count(void) {
  if (table_len < 0) build_table();
  return table_len;
}

void nc_routine_pack(const nc_routine *r, const nc_args *a, int idx, const void *const *consts,
                     void *dst) {
  if (r->pack_with) r->pack_with(a, idx, consts, dst);
  else r->pack(a, idx, consts[idx], dst);
}

const char *nc_dtype_name(int32_t dtype) {
  switch (dtype) {
  case NC_F32: return "f32";
  case NC_U8: return "u8";
  case NC_S8: return "s8";
  case NC_U16: return "u16";
  case NC_S16: return "s16";
  case NC_S32: return "s32";
  case NC_S64: return "s64";
  case NC_BOOL: return "bool";
  case NC_F16: return "f16";
  case NC_F64: return "f64";
  case NC_U32: return "u32";
  case NC_U64: return "u64";
  case NC_BF16: return "bf16";
  default: return "undef";
  }
}

const char *nc_layout_name(int layout) {
  switch (layout) {
  case NC_LAYOUT_NHWC: return "nhwc";
  case NC_LAYOUT_NCHW8C: return "nchw8c";
  case NC_LAYOUT_NCHW16C: return "nchw16c";
  default: return "nchw";
  }
}

const char *nc_format_name(int fmt, char *buf, size_t n) {
  if (nc_format_q(fmt) == NC_Q_U8) snprintf(buf, n, "%s.u8", nc_layout_name(nc_format_layout(fmt)));
  else snprintf(buf, n, "%s", nc_layout_name(nc_format_layout(fmt)));
  return buf;
}

size_t nc_layout_bytes(const nc_tdesc *d, int layout) {
  size_t es = nc_dtype_size(d->dtype);
  int64_t block = layout == NC_LAYOUT_NCHW8C ? 8 : layout == NC_LAYOUT_NCHW16C ? 16 : 0;
  if (!block || d->ndim != 4) return (size_t)nc_numel(d) * es;
  int64_t cb = (d->dims[1] + block - 1) / block;
  return (size_t)(d->dims[0] * cb * block * d->dims[2] * d->dims[3]) * es;
}

#ifndef NEUROC_VERSION
#define NEUROC_VERSION "0.1.0"
#endif

const char *nc_runtime_version(void) {
  static char version[64];
  if (version[0]) return version;
  uint32_t h = 2166136261u; /* FNV-1a over every descriptor and symbol */
  /* Only the entries every host compiles are hashed: the x86 families (and
   * the x86 part of int8) exist on x86 hosts only, and hashing them would
   * give an Arm agent (firmware, aarch64) another version than the x86
   * compiler for identical sources. Their code is in the source hash. */
  for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
    if (families[f] == nc_routines_x86_gemm || families[f] == nc_routines_x86_blocked ||
        families[f] == nc_routines_x86_winograd)
      continue;
    for (const nc_routine *r = families[f]; r->descriptor; r++) {
      char isa[32];
      if (strncmp(nc_routine_isa(r, isa, sizeof isa), "avx", 3) == 0) continue;
      for (int k = 0; k < 2; k++)
        for (const char *c = k ? r->symbol : r->descriptor; *c; c++) h = (h ^ (uint8_t)*c) * 16777619u;
    }
  }
  /* table hash + source hash: a changed routine body changes the version too */
  snprintf(version, sizeof version, "%s+%08x.%s", NEUROC_VERSION, (unsigned)h, NEUROC_RT_SOURCE_HASH);
  return version;
}

const char *nc_routine_concrete_descriptor(const nc_routine *r, int32_t dtype, char *buf,
                                           size_t n) {
  const char *star = strstr(r->descriptor, ":*:");
  if (!star) {
    snprintf(buf, n, "%s", r->descriptor);
  } else {
    snprintf(buf, n, "%.*s:%s:%s", (int)(star - r->descriptor), r->descriptor,
             nc_dtype_name(dtype), star + 3);
  }
  return buf;
}

/* A table descriptor with '*' as DTYPE matches any concrete dtype name. */
static int descriptor_matches(const nc_routine *r, const char *d) {
  if (strcmp(r->descriptor, d) == 0) return 1;
  const char *star = strstr(r->descriptor, ":*:");
  if (!star) return 0;
  size_t pre = (size_t)(star - r->descriptor) + 1;
  if (strncmp(r->descriptor, d, pre) != 0) return 0;
  const char *rest = strchr(d + pre, ':');
  if (!rest) return 0;
  for (int dt = 1; dt <= NC_BF16; dt++) {
    const char *nm = nc_dtype_name(dt);
    if (strlen(nm) == (size_t)(rest - (d + pre)) && strncmp(nm, d + pre, strlen(nm)) == 0)
      return (r->dtypes & NC_DT(dt)) && strcmp(star + 2, rest) == 0;
  }
  return 0;
}

const nc_routine *nc_routine_find(const char *descriptor) {
  const nc_routine *t = nc_routine_table();
  for (int i = 0; i < table_len; i++)
    if (descriptor_matches(&t[i], descriptor)) return &t[i];
  return NULL;
}

const char *nc_routine_isa(const nc_routine *r, char *buf, size_t n) {
  /* DEVICE:DTYPE:LAYOUT/ALGO/ISA[/PARAMS]: the component after the second '/' */
  const char *p = strchr(r->descriptor, '/');
  p = p ? strchr(p + 1, '/') : NULL;
  if (!p) {
    snprintf(buf, n, "c99");
    return buf;
  }
  p++;
  size_t len = strcspn(p, "/");
  snprintf(buf, n, "%.*s", (int)len, p);
  return buf;
}

int nc_cpu_supports(const char *isa) {
  if (strcmp(isa, "c99") == 0) return 1;
#if defined(__ARM_FEATURE_DSP)
  /* Armv7E-M DSP extension: part of the architecture the library was built
   * for (Cortex-M4/M7 firmware), not probed at run time */
  if (strcmp(isa, "dsp") == 0) return 1;
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (strcmp(isa, "avx2") == 0)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (strcmp(isa, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  /* VNNI bits straight from CPUID (leaf 7: sub-leaf 0 ECX bit 11 = AVX512_VNNI,
   * sub-leaf 1 EAX bit 4 = AVX_VNNI); the OS-state checks come with avx2 / avx512f */
  if (strcmp(isa, "avx512vnni") == 0 || strcmp(isa, "avxvnni") == 0) {
    unsigned a0 = 0, b0 = 0, c0 = 0, d0 = 0, a1 = 0, b1 = 0, c1 = 0, d1 = 0;
    if (!__get_cpuid_count(7, 0, &a0, &b0, &c0, &d0)) return 0;
    if (isa[3] == '5')
      return (c0 >> 11 & 1u) && nc_cpu_supports("avx512") && nc_cpu_supports("avx2");
    if (a0 < 1 || !__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1)) return 0;
    return (a1 >> 4 & 1u) && nc_cpu_supports("avx2");
  }
#endif
#if defined(__aarch64__)
  /* Advanced SIMD is architectural on AArch64; SDOT/UDOT (armv8.2 dotprod)
   * is optional and the kernel says whether this CPU has it. */
  if (strcmp(isa, "neon") == 0) return 1;
#if defined(__linux__)
  if (strcmp(isa, "neondot") == 0) return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
#endif
  return 0;
}
