/* Build the emitted model with the target's toolchain, together with a small
 * generated runner, and execute it on given inputs (raw files in the build
 * directory), reading the outputs back. This is how `neuroc run` and the
 * conformance driver validate the real emitted code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile.h"

#ifndef NEUROC_RT_INCLUDE_DIR
#define NEUROC_RT_INCLUDE_DIR "runtime-min/include"
#endif
#ifndef NEUROC_RT_LIBRARY
#define NEUROC_RT_LIBRARY "libneuroc_rt.a"
#endif

/* Seconds a built model may run before it is treated as hung. */
#define RUN_TIMEOUT_S 600


static int read_file(const char *path, void *data, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f) return nc_fail("%s: cannot read: %s", path, strerror(errno));
  size_t r = n ? fread(data, 1, n, f) : 0;
  fclose(f);
  if (r != n) return nc_fail("%s: expected %zu bytes, got %zu", path, n, r);
  return 0;
}

/* Single-quote a path for /bin/sh. */
static void shq(char *dst, size_t cap, const char *s) {
  size_t k = 0;
  if (k < cap) dst[k++] = '\'';
  for (; *s && k + 5 < cap; s++) {
    if (*s == '\'') {
      memcpy(dst + k, "'\\''", 4);
      k += 4;
    } else {
      dst[k++] = *s;
    }
  }
  if (k < cap) dst[k++] = '\'';
  dst[k < cap ? k : cap - 1] = 0;
}

/* The routine library the model links against: the target's own
 * (`runtime:` in the spec, e.g. built by a cross build tree) or the host's
 * one this compiler was built with. A cross target's library that does not
 * exist yet gets a message saying how to build it. */
/* An installed neuroc (cmake --install, docs/cmake.md) links the runtime
 * installed beside it: PREFIX/bin/neuroc -> PREFIX/lib/libneuroc_rt.a and
 * PREFIX/include. Found through /proc/self/exe, so a moved prefix works and
 * the build tree the binary came from may be gone. 0 when found. */
static int installed_runtime(const char **lib, const char **inc) {
  static char lib_path[4200], inc_path[4200];
  char dir[4096], header[4400];
  ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
  if (n <= 0) return -1;
  dir[n] = 0;
  char *slash = strrchr(dir, '/');
  if (!slash) return -1;
  *slash = 0; /* PREFIX/bin */
  snprintf(lib_path, sizeof lib_path, "%s/../lib/libneuroc_rt.a", dir);
  snprintf(inc_path, sizeof inc_path, "%s/../include", dir);
  snprintf(header, sizeof header, "%s/neuroc/rt.h", inc_path);
  if (access(lib_path, R_OK) != 0 || access(header, R_OK) != 0) return -1;
  *lib = lib_path;
  *inc = inc_path;
  return 0;
}

static int runtime_paths(const nc_target *t, const char **lib, const char **inc) {
  *lib = t && t->runtime_library ? t->runtime_library : NEUROC_RT_LIBRARY;
  *inc = t && t->runtime_include ? t->runtime_include : NEUROC_RT_INCLUDE_DIR;
  /* the spec names no runtime: an installed neuroc's own before the
   * build-tree path compiled in (in a build tree there is none beside it) */
  if (!(t && (t->runtime_library || t->runtime_include)) && installed_runtime(lib, inc) == 0)
    return 0;
  if (access(*lib, R_OK) != 0) {
    if (t && t->runtime_library)
      return nc_fail("%s: runtime.library '%s' does not exist: build the runtime for target "
                     "'%s' first, e.g. for aarch64: scripts/build_aarch64.sh (cmake -S . -B "
                     "build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake"
                     " && cmake --build build-aarch64 --target neuroc_rt neuroc-agent)",
                     t->path, *lib, t->name ? t->name : "?");
    return nc_fail("%s: the host runtime library is missing (rebuild neuroc's build tree, or "
                   "install neuroc with cmake --install: it then uses PREFIX/lib)", *lib);
  }
  if (access(*inc, R_OK) != 0)
    return nc_fail("%s: runtime include directory '%s' does not exist", t ? t->path : "target",
                   *inc);
  return 0;
}

static int run_cmd(const char *cmd, const char *what, const char *log) {
  int st = system(cmd);
  if (st == -1) return nc_fail("%s: cannot start shell", what);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  char tail[1024] = "";
  FILE *f = fopen(log, "r");
  if (f) {
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, sz > 900 ? sz - 900 : 0, SEEK_SET);
    size_t r = fread(tail, 1, sizeof tail - 1, f);
    tail[r] = 0;
    fclose(f);
  }
  if (code == 124 || code == 137)
    return nc_fail("%s timed out after %d s (see %s)\n%s", what, RUN_TIMEOUT_S, log, tail);
  return nc_fail("%s failed with status %d (see %s)\n%s", what, code, log, tail);
}

static int write_runner(const char *dir, const char *p) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s_runner.c", dir, p);
  FILE *f = fopen(path, "w");
  if (!f) return nc_fail("%s: cannot write: %s", path, strerror(errno));
  char P[128];
  size_t i = 0;
  for (; p[i] && i + 1 < sizeof P; i++) P[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
  P[i] = 0;
  fprintf(f,
          "/* Generated by neuroc: test runner for %s.c -- do not edit.\n"
          " * usage: runner REPEAT IN_0.bin ... OUT_0.bin ... (raw dense tensors) */\n"
          "#define _POSIX_C_SOURCE 199309L\n"
          "#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\n#include \"%s.h\"\n\n"
          "static _Alignas(%s_ARENA_ALIGN) unsigned char arena[%s_ARENA_BYTES + 1];\n"
          "static int cmp(const void *a, const void *b) {\n"
          "  double x = *(const double *)a, y = *(const double *)b;\n"
          "  return x < y ? -1 : x > y;\n}\n"
          "int main(int argc, char **argv) {\n"
          "  const int ni = %s_NUM_INPUTS, no = %s_NUM_OUTPUTS;\n"
          "  if (argc != 2 + ni + no) { fprintf(stderr, \"usage: runner REPEAT inputs... outputs...\\n\"); return 2; }\n"
          "  int repeat = atoi(argv[1]);\n"
          "  void *in[%s_NUM_INPUTS + 1], *out[%s_NUM_OUTPUTS + 1];\n"
          "  for (int i = 0; i < ni; i++) {\n"
          "    size_t n = %s_inputs[i].bytes;\n"
          "    in[i] = calloc(1, n + 1);\n"
          "    FILE *f = fopen(argv[2 + i], \"rb\");\n"
          "    if (!f || !in[i] || fread(in[i], 1, n, f) != n) { fprintf(stderr, \"cannot read %%s\\n\", argv[2 + i]); return 3; }\n"
          "    fclose(f);\n  }\n"
          "  for (int i = 0; i < no; i++) out[i] = calloc(1, %s_outputs[i].bytes + 1);\n"
          "  %s_run((const void *const *)in, out, arena);\n"
          "  if (repeat > 0) {\n"
          "    double *t = calloc((size_t)repeat, sizeof(double));\n"
          "    for (int r = 0; r < repeat; r++) {\n"
          "      struct timespec a, b;\n"
          "      clock_gettime(CLOCK_MONOTONIC, &a);\n"
          "      %s_run((const void *const *)in, out, arena);\n"
          "      clock_gettime(CLOCK_MONOTONIC, &b);\n"
          "      t[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) * 1e-6;\n"
          "    }\n"
          "    qsort(t, (size_t)repeat, sizeof(double), cmp);\n"
          "    printf(\"median_ms %%.6f\\n\", t[repeat / 2]);\n"
          "    free(t);\n  }\n"
          "  for (int i = 0; i < no; i++) {\n"
          "    FILE *f = fopen(argv[2 + ni + i], \"wb\");\n"
          "    if (!f || fwrite(out[i], 1, %s_outputs[i].bytes, f) != %s_outputs[i].bytes) { fprintf(stderr, \"cannot write %%s\\n\", argv[2 + ni + i]); return 4; }\n"
          "    fclose(f);\n  }\n"
          "  for (int i = 0; i < ni; i++) free(in[i]);\n"
          "  for (int i = 0; i < no; i++) free(out[i]);\n"
          "  return 0;\n}\n",
          p, p, P, P, P, P, P, P, p, p, p, p, p, p);
  if (fclose(f) != 0) return nc_fail("%s: write failed", path);
  return 0;
}

static size_t tensor_bytes(const nc_tensor *t) {
  return (size_t)nc_numel(&t->desc) * nc_dtype_size(t->desc.dtype);
}

int nc_build_and_run(const nc_graph *g, const nc_options *o, const char *dir,
                     const nc_const *inputs, nc_const *outputs, int repeat,
                     nc_run_result *res) {
  const nc_target *t = o->target;
  const char *p = o->prefix;
  char qdir[4096], qinc[4096], qlib[4096], cmd[16384], path[4096], log[4096];
  const char *rt_lib, *rt_inc;
  memset(res, 0, sizeof *res);
  if (runtime_paths(t, &rt_lib, &rt_inc)) return -1;
  if (o->verbose) fprintf(stderr, "neuroc: runtime %s, headers %s\n", rt_lib, rt_inc);
  if (write_runner(dir, p)) return -1;
  shq(qdir, sizeof qdir, dir);
  shq(qinc, sizeof qinc, rt_inc);
  shq(qlib, sizeof qlib, rt_lib);
  snprintf(log, sizeof log, "%s/build.log", dir);
  const char *cc = t && t->cc ? t->cc : "cc";
  const char *cflags = t && t->cflags ? t->cflags : "-O2";
  const char *ldflags = t && t->ldflags ? t->ldflags : "-lm";
  /* commands run inside dir, so their logs are named relative to it */
  snprintf(cmd, sizeof cmd, "cd %s && %s -std=c11 %s -I. -I%s -c %s.c -o %s.o > build.log 2>&1", qdir,
           cc, cflags, qinc, p, p);
  double t0 = nc_now_seconds();
  if (run_cmd(cmd, "compiling the emitted model", log)) return -1;
  res->cc_seconds = nc_now_seconds() - t0;
  snprintf(cmd, sizeof cmd,
           "cd %s && %s -std=c11 %s -I. -I%s %s_runner.c %s.o %s %s -o %s_runner >> build.log 2>&1",
           qdir, cc, cflags, qinc, p, p, qlib, ldflags, p);
  if (run_cmd(cmd, "linking the runner", log)) return -1;

  /* inputs as raw files, in model order */
  char args[12288] = "";
  size_t al = 0;
  int k = 0;
  for (int i = 0; i < g->n_inputs; i++) {
    const nc_tensor *x = &g->tensors[g->inputs[i]];
    if (x->data) continue;
    const nc_const *v = &inputs[k];
    if (v->desc.dtype != x->desc.dtype || nc_numel(&v->desc) != nc_numel(&x->desc))
      return nc_fail("input '%s': expected %s with %lld elements, got %s with %lld", x->name,
                     nc_dtype_name(x->desc.dtype), (long long)nc_numel(&x->desc),
                     nc_dtype_name(v->desc.dtype), (long long)nc_numel(&v->desc));
    snprintf(path, sizeof path, "%s/in_%d.bin", dir, k);
    if (nc_write_file(path, v->data, tensor_bytes(x))) return -1;
    al += (size_t)snprintf(args + al, sizeof args - al, " in_%d.bin", k);
    k++;
  }
  for (int i = 0; i < g->n_outputs; i++)
    al += (size_t)snprintf(args + al, sizeof args - al, " out_%d.bin", i);
  snprintf(log, sizeof log, "%s/run.log", dir);
  snprintf(cmd, sizeof cmd, "cd %s && timeout -s KILL %d %s ./%s_runner %d%s > run.log 2>&1", qdir,
           RUN_TIMEOUT_S, t && t->run ? t->run : "", p, repeat, args);
  if (run_cmd(cmd, "running the model", log)) return -1;
  res->median_ms = -1.0;
  FILE *f = fopen(log, "r");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (strncmp(line, "median_ms ", 10) == 0) res->median_ms = atof(line + 10);
    fclose(f);
  }
  for (int i = 0; i < g->n_outputs; i++) {
    const nc_tensor *x = &g->tensors[g->outputs[i]];
    outputs[i].desc = x->desc;
    size_t n = tensor_bytes(x);
    outputs[i].data = nc_xmalloc(n + 1);
    snprintf(path, sizeof path, "%s/out_%d.bin", dir, i);
    if (read_file(path, outputs[i].data, n)) return -1;
  }
  return 0;
}
