/* int8 vs f32 convolution speed, single thread, through the measuring
 * harness the profiler uses (runtime-min/agent/measure.h): for resnet50- and
 * vgg16-like conv shapes, every applicable f32 Conv routine and every int8
 * Conv routine of the table is timed (median of batched samples), and the
 * GOP/s (2 * MACs / time) of the best f32 routine and of each int8 routine
 * are printed (only shapes whose name contains SHAPE, when given). Build and run (from the repository root, after building
 * build-int8):
 *   cc -O2 -Iruntime-min/include -Iruntime-min/agent tests/bench/int8_conv.c \
 *      build-int8/runtime-min/agent/libneuroc_measure.a \
 *      build-int8/runtime-min/libneuroc_rt.a -lm -o /tmp/int8_conv && /tmp/int8_conv [SHAPE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "neuroc/args.h"
#include "neuroc/routines.h"

typedef struct shape {
  const char *name;
  int64_t c, m, hw, k, stride;
} shape;

static const shape shapes[] = {
    {"resnet50 3x3 64->64 56x56", 64, 64, 56, 3, 1},
    {"resnet50 1x1 256->64 56x56", 256, 64, 56, 1, 1},
    {"resnet50 1x1 64->256 56x56", 64, 256, 56, 1, 1},
    {"resnet50 3x3 256->256 14x14", 256, 256, 14, 3, 1},
    {"vgg16 3x3 128->128 112x112", 128, 128, 112, 3, 1},
    {"vgg16 3x3 512->512 14x14", 512, 512, 14, 3, 1},
};

static nc_tdesc desc4(int32_t dt, int64_t a, int64_t b, int64_t c, int64_t d, float s,
                      int32_t z) {
  nc_tdesc t;
  memset(&t, 0, sizeof t);
  t.dtype = dt;
  t.ndim = 4;
  t.dims[0] = a, t.dims[1] = b, t.dims[2] = c, t.dims[3] = d;
  t.scale = s;
  t.zero_point = z;
  return t;
}

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : NULL; /* optional: shape name substring */
  nc_measure_opts o = {200.0, 2, 0.0, 0};
  const nc_routine *t = nc_routine_table();
  char isa[32], err[256];
  printf("%-30s %-44s %10s %8s\n", "shape", "routine", "ms", "GOP/s");
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
    const shape *s = &shapes[si];
    if (only && !strstr(s->name, only)) continue;
    int64_t pad = s->k / 2, oh = s->hw / s->stride;
    double gop = 2.0 * (double)(s->m * oh * oh) * (double)(s->c * s->k * s->k) * 1e-9;
    int64_t ia[NC_CONV_IA_COUNT] = {2, 1, NC_ACT_RELU, s->stride, s->stride, 1, 1, 1, 1,
                                    pad, pad, 0, pad, pad, 0};
    double fa[2] = {0, 0};
    double best_f32 = 0;
    const char *best_name = "";
    for (int i = 0; i < nc_routine_count(); i++) {
      const nc_routine *r = &t[i];
      if (strcmp(r->layer, "Conv") != 0 || !nc_cpu_supports(nc_routine_isa(r, isa, sizeof isa)))
        continue;
      int q = r->in_q == NC_Q_U8;
      if (!q && !(r->dtypes & NC_DT(NC_F32))) continue;
      if (r->flags & NC_RF_APPROX) continue; /* Winograd: not the same numerics */
      nc_tdesc in[3] = {desc4(q ? NC_U8 : NC_F32, 1, s->c, s->hw, s->hw, 0.02f, 128),
                        desc4(NC_F32, s->m, s->c, s->k, s->k, 0, 0), desc4(NC_F32, s->m, 1, 1, 1, 0, 0)};
      in[2].ndim = 1;
      nc_tdesc out = desc4(q && r->out_q == NC_Q_U8 ? NC_U8 : NC_F32, 1, s->m, oh, oh, 0.05f, 0);
      nc_args a = {3, 1, in, &out, ia, fa, NC_CONV_IA_COUNT, 2};
      if (r->applies && !r->applies(&a)) continue;
      uint8_t is_const[3] = {0, 1, 1};
      nc_measurement m;
      if (getenv("BENCH_TRACE")) fprintf(stderr, "measuring %s\n", r->descriptor);
      if (nc_measure_routine(r, &a, NULL, is_const, &o, &m, err, sizeof err) != NC_MEASURE_OK) {
        fprintf(stderr, "%s: %s\n", r->descriptor, err);
        continue;
      }
      double rate = gop / (m.median_ms * 1e-3);
      if (!q) {
        if (rate > best_f32) best_f32 = rate, best_name = r->descriptor;
        continue;
      }
      printf("%-30s %-44s %10.3f %8.1f\n", s->name, r->descriptor, m.median_ms, rate);
    }
    printf("%-30s %-44s %10.3f %8.1f  (best f32)\n", s->name, best_name, gop / best_f32 * 1e3,
           best_f32);
  }
  return 0;
}
