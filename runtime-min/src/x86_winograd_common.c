/* Winograd F(m,3) conv: the ISA-independent part (applicability, block plan,
 * scratch size, compile-time weight transform). See x86_winograd.h. */
#include "x86_winograd.h"

#include <string.h>

#if defined(__x86_64__)

/* V (the transformed input block) is kept under this many bytes so that it
 * stays near the core; it decides how many tiles one block holds. */
#define V_BUDGET_BYTES ((int64_t)2 << 20)

int nc_wino_applies(const nc_args *a) {
  if (nc_nn_ia(a, NC_CONV_IA_NSPATIAL, 0) != 2 || a->in[0].ndim != 4 || a->n_in < 2 ||
      a->in[1].ndim != 4)
    return 0;
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  if (g.k[1] != 3 || g.k[2] != 3 || g.stride[1] != 1 || g.stride[2] != 1 || g.dil[1] != 1 ||
      g.dil[2] != 1)
    return 0;
  /* Gather / scatter offsets are int32 and lanes may point one tile past the plane. */
  const int64_t lim = (int64_t)1 << 30;
  return g.in[1] * g.in[2] < lim && (g.out[1] + 8) * (g.out[2] + 8) < lim && g.cin_g > 0 &&
         g.cout_g > 0 && g.out[1] > 0 && g.out[2] > 0;
}

void nc_wino_plan_read(const nc_args *a, int mo, int lanes, int mr, nc_wino_plan *p) {
  nc_conv_geom g;
  nc_conv_geom_read(a, 0, &g);
  memset(p, 0, sizeof *p);
  p->mo = mo;
  p->t = mo + 2;
  p->lanes = lanes;
  p->mr = mr;
  p->n = g.n;
  p->group = g.group;
  p->c = g.cin_g;
  p->m = g.cout_g;
  p->h = g.in[1];
  p->w = g.in[2];
  p->oh = g.out[1];
  p->ow = g.out[2];
  p->pt = g.pad[1];
  p->pl = g.pad[2];
  p->th = (p->oh + mo - 1) / mo;
  p->tw = (p->ow + mo - 1) / mo;
  p->tiles = p->th * p->tw;
  p->mp = (p->m + mr - 1) / mr * mr;
  int64_t per_vec = (int64_t)p->t * p->t * p->c * lanes * (int64_t)sizeof(float);
  int64_t nv = V_BUDGET_BYTES / (per_vec > 0 ? per_vec : 1);
  int64_t need = (p->tiles + lanes - 1) / lanes;
  if (nv > NC_WINO_MAX_NV) nv = NC_WINO_MAX_NV;
  if (nv > need) nv = need;
  p->nv = nv < 1 ? 1 : (int)nv;
  p->act = g.act;
  p->act_alpha = g.act_alpha;
  p->act_beta = g.act_beta;
}

size_t nc_wino_scratch_bytes(const nc_wino_plan *p) {
  size_t tt = (size_t)p->t * (size_t)p->t, nb = (size_t)p->nv * (size_t)p->lanes;
  return (tt * (size_t)p->c * nb + tt * (size_t)p->mr * nb) * sizeof(float) + 64;
}

size_t nc_wino_packed_bytes(const nc_wino_plan *p) {
  return (size_t)p->group * (size_t)(p->t * p->t) * (size_t)p->mp * (size_t)p->c *
         sizeof(float);
}

static const double *g_matrix(int mo) {
  return mo == 2 ? &nc_wino23_g[0][0] : mo == 4 ? &nc_wino43_g[0][0] : &nc_wino63_g[0][0];
}

/* u (T x T) = G k G^T for one 3x3 kernel k, in double. */
void nc_wino_transform_kernel(const double *gm, int t, const float *k, double *u) {
  double tmp[NC_WINO_MAX_T][3];
  for (int r = 0; r < t; r++)
    for (int j = 0; j < 3; j++) {
      double s = 0.0;
      for (int i = 0; i < 3; i++) s += gm[r * 3 + i] * (double)k[i * 3 + j];
      tmp[r][j] = s;
    }
  for (int r = 0; r < t; r++)
    for (int s = 0; s < t; s++) {
      double v = 0.0;
      for (int j = 0; j < 3; j++) v += tmp[r][j] * gm[s * 3 + j];
      u[r * t + s] = v;
    }
}

void nc_wino_pack_weights(const nc_wino_plan *p, const float *w, float *dst) {
  const int t = p->t, tt = t * t, mr = p->mr;
  const double *gm = g_matrix(p->mo);
  const size_t per_group = (size_t)tt * (size_t)p->mp * (size_t)p->c;
  memset(dst, 0, nc_wino_packed_bytes(p));
  double u[NC_WINO_MAX_T * NC_WINO_MAX_T];
  for (int64_t grp = 0; grp < p->group; grp++)
    for (int64_t m = 0; m < p->m; m++)
      for (int64_t c = 0; c < p->c; c++) {
        nc_wino_transform_kernel(gm, t, w + ((grp * p->m + m) * p->c + c) * 9, u);
        int64_t panel = m / mr, row = m % mr;
        for (int xi = 0; xi < tt; xi++)
          dst[(size_t)grp * per_group + (size_t)((xi * p->mp + panel * mr) * p->c + c * mr + row)] =
              (float)u[xi];
      }
}

#endif
