/* Template of the Winograd F(m,3) NCHW routines for one x86 ISA. Included by
 * x86_winograd_avx512.c and x86_winograd_avx2.c after they define:
 *   NC_WT        the function target attribute
 *   NC_WSUF      the ISA suffix of the symbols (avx512, avx2)
 *   NC_WL        SIMD lanes (tiles per vector); NC_WMR GEMM rows per panel
 *   VF VI VM     float vector, int32 vector, lane mask types
 *   VZERO VSET1 VLOAD VSTORE VADD VSUB VMUL VDIV VFMA(a,b,c)=a*b+c VMAX VMIN
 *   VI_LOAD VI_SET1 VI_ADD      int32 vectors
 *   VM_RANGE(v,n)  lanes with 0 <= v < n;  VM_AND(a,b)
 *   VACT(v,act,alpha,beta)      the fused activation (x86_act.h)
 *   VGATHER(mask,idx,base)      masked gather (masked-off lanes read as 0)
 *   VSCATTER(base,mask,idx,v)   masked scatter
 *
 * One call: for each image and group, tiles are taken in blocks of nv
 * vectors; per block the input transform writes V[xi][c][tile], then for
 * each panel of NC_WMR output channels the T*T GEMMs write Mt[xi][row][tile]
 * and the output transform adds bias (and the residual sum of a fused Add),
 * applies the activation and stores.
 * Transform loops have constant trip counts and constant matrices once
 * inlined into the per-variant wrappers, so unrolling folds every zero /
 * one coefficient away. */

#define NC_WCAT2(a, b) a##_##b
#define NC_WCAT(a, b) NC_WCAT2(a, b)
#define WNAME(x) NC_WCAT(x, NC_WSUF)
#define NC_WI static inline __attribute__((always_inline)) NC_WT

/* sum_k coef[k] * v[k * stride], skipping zero coefficients. */
NC_WI VF WNAME(wino_combo)(const float *coef, int n, const VF *v, int stride) {
  VF acc = VZERO();
  int first = 1;
#pragma GCC unroll 8
  for (int k = 0; k < n; k++) {
    const float c = coef[k];
    if (c == 0.0f) continue;
    VF x = v[k * stride];
    if (first) {
      acc = c == 1.0f ? x : c == -1.0f ? VSUB(VZERO(), x) : VMUL(VSET1(c), x);
      first = 0;
    } else {
      acc = c == 1.0f ? VADD(acc, x) : c == -1.0f ? VSUB(acc, x) : VFMA(VSET1(c), x, acc);
    }
  }
  return acc;
}

/* The fused activation: the shared x86 version (x86_act.h). */
NC_WI VF WNAME(wino_act)(VF v, const nc_wino_plan *p) {
  return VACT(v, p->act, p->act_alpha, p->act_beta);
}

/* mt[i][k*L..] = sum_c u[c][i] * v[c][k*L..] for the NC_WMR rows of a panel. */
NC_WI void WNAME(wino_gemm_nv)(const float *u, const float *v, int64_t c_n, int64_t nbp,
                               float *mt, const int nv) {
  VF acc[NC_WMR][NC_WINO_MAX_NV];
#pragma GCC unroll 16
  for (int i = 0; i < NC_WMR; i++)
#pragma GCC unroll 4
    for (int k = 0; k < nv; k++) acc[i][k] = VZERO();
  for (int64_t c = 0; c < c_n; c++) {
    VF b[NC_WINO_MAX_NV];
#pragma GCC unroll 4
    for (int k = 0; k < nv; k++) b[k] = VLOAD(v + c * nbp + k * NC_WL);
#pragma GCC unroll 16
    for (int i = 0; i < NC_WMR; i++) {
      VF a = VSET1(u[c * NC_WMR + i]);
#pragma GCC unroll 4
      for (int k = 0; k < nv; k++) acc[i][k] = VFMA(a, b[k], acc[i][k]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < NC_WMR; i++)
#pragma GCC unroll 4
    for (int k = 0; k < nv; k++) VSTORE(mt + i * nbp + k * NC_WL, acc[i][k]);
}

static NC_WT void WNAME(wino_gemm)(const float *u, const float *v, int64_t c_n, int nv,
                                   float *mt) {
  const int64_t nbp = (int64_t)nv * NC_WL;
  if (nv == 3) WNAME(wino_gemm_nv)(u, v, c_n, nbp, mt, 3);
  else if (nv == 2) WNAME(wino_gemm_nv)(u, v, c_n, nbp, mt, 2);
  else WNAME(wino_gemm_nv)(u, v, c_n, nbp, mt, 1);
}

/* Where the lanes of one block sit: per vector g, input offset of each
 * tile's top-left corner and validity masks per tile row i / column j, and
 * the same for the output tile. Lanes past the last tile are all-invalid. */
typedef struct WNAME(wino_lanes) {
  int32_t in_base[NC_WINO_MAX_NV * NC_WL], out_base[NC_WINO_MAX_NV * NC_WL];
  VM in_row[NC_WINO_MAX_NV][NC_WINO_MAX_T], in_col[NC_WINO_MAX_NV][NC_WINO_MAX_T];
  VM out_row[NC_WINO_MAX_NV][NC_WINO_MAX_T], out_col[NC_WINO_MAX_NV][NC_WINO_MAX_T];
#ifdef NC_W_ROWS
  /* Row runs: a vector whose tiles lie in at most two tile rows (the grid is
   * at least NC_WL tiles wide) is moved with contiguous masked loads/stores
   * and permutes instead of gathers/scatters. Lanes [0, run) continue tile
   * row ty from column tile tx; lanes [run, valid) start the next row. */
  int fast[NC_WINO_MAX_NV], run[NC_WINO_MAX_NV], valid[NC_WINO_MAX_NV];
  int32_t ty[NC_WINO_MAX_NV], tx[NC_WINO_MAX_NV];
  __mmask16 in_a[NC_WINO_MAX_NV][NC_WINO_MAX_T][NC_WINO_MAX_T - 2]; /* [j][k] */
  __mmask16 in_b[NC_WINO_MAX_NV][NC_WINO_MAX_T][NC_WINO_MAX_T - 2];
  /* deinterleave (stride mo) and interleave tables, by source pair */
  VI de_idx[NC_WINO_MAX_T / 2], il_idx[NC_WINO_MAX_T - 2][NC_WINO_MAX_T / 2];
  __mmask16 de_mask[NC_WINO_MAX_T / 2], il_mask[NC_WINO_MAX_T - 2][NC_WINO_MAX_T / 2];
#endif
} WNAME(wino_lanes);

#ifdef NC_W_ROWS
/* Lanes p of vector k whose span index 16k + p lies in [lo, hi). */
static inline __mmask16 WNAME(wino_span_mask)(int64_t lo, int64_t hi, int k) {
  lo -= 16 * k;
  hi -= 16 * k;
  if (lo < 0) lo = 0;
  if (hi > 16) hi = 16;
  if (hi <= lo) return 0;
  return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

static NC_WT void WNAME(wino_rows_set)(const nc_wino_plan *p, int64_t t0, int nv,
                                       WNAME(wino_lanes) * ln) {
  const int mo = p->mo;
  int32_t de[NC_WINO_MAX_T / 2][16], il[NC_WINO_MAX_T - 2][NC_WINO_MAX_T / 2][16];
  memset(de, 0, sizeof de);
  memset(il, 0, sizeof il);
  memset(ln->de_mask, 0, sizeof ln->de_mask);
  memset(ln->il_mask, 0, sizeof ln->il_mask);
  for (int l = 0; l < 16; l++) { /* lane l of a tile vector <- span index l * mo */
    int src = l * mo, k = src / 16;
    de[k / 2][l] = (k % 2) * 16 + src % 16;
    ln->de_mask[k / 2] |= (__mmask16)(1u << l);
  }
  for (int k = 0; k < mo; k++) /* span index 16k + q <- lane (16k+q)/mo of vector (16k+q)%mo */
    for (int q = 0; q < 16; q++) {
      int src = 16 * k + q, b = src % mo;
      il[k][b / 2][q] = (b % 2) * 16 + src / mo;
      ln->il_mask[k][b / 2] |= (__mmask16)(1u << q);
    }
  for (int i = 0; i < mo / 2; i++) {
    ln->de_idx[i] = VI_LOAD(de[i]);
    for (int k = 0; k < mo; k++) ln->il_idx[k][i] = VI_LOAD(il[k][i]);
  }
  for (int g = 0; g < nv; g++) {
    int64_t first = t0 + g * 16, left = p->tiles - first;
    ln->valid[g] = left < 16 ? (int)left : 16;
    ln->ty[g] = (int32_t)(first / p->tw);
    ln->tx[g] = (int32_t)(first % p->tw);
    int64_t run = p->tw - ln->tx[g];
    ln->run[g] = run < ln->valid[g] ? (int)run : ln->valid[g];
    ln->fast[g] = p->tw >= 16;
    const int64_t qa = (int64_t)ln->run[g] * mo, qb = (int64_t)ln->valid[g] * mo;
    const int64_t ixa = (int64_t)ln->tx[g] * mo - p->pl;
    for (int j = 0; j < p->t; j++)
      for (int k = 0; k < mo; k++) {
        /* span index q of run A reads column ixa + j + q, of run B -pl + j + q - qa */
        int64_t lo = -(ixa + j), hi = p->w - (ixa + j);
        ln->in_a[g][j][k] = WNAME(wino_span_mask)(lo > 0 ? lo : 0, hi < qa ? hi : qa, k);
        lo = qa + p->pl - j;
        hi = qa + p->w + p->pl - j;
        ln->in_b[g][j][k] = WNAME(wino_span_mask)(lo > qa ? lo : qa, hi < qb ? hi : qb, k);
      }
  }
}

/* The T values of tile column j for rows i of one vector of tiles, loaded
 * as contiguous row spans and deinterleaved (stride mo). */
NC_WI void WNAME(wino_load_rows)(const nc_wino_plan *p, const WNAME(wino_lanes) * ln, int g,
                                 const float *xp, int j, VF *d, const int mo, const int t) {
  const int64_t ya = (int64_t)ln->ty[g] * mo - p->pt, w = p->w;
  const int64_t xa = (int64_t)ln->tx[g] * mo - p->pl + j, xb = -p->pl + j - (int64_t)ln->run[g] * mo;
  const int has_b = ln->run[g] < ln->valid[g];
#pragma GCC unroll 8
  for (int i = 0; i < t; i++) {
    const int64_t y = ya + i;
    const int ok_a = y >= 0 && y < p->h, ok_b = has_b && y + mo >= 0 && y + mo < p->h;
    VF v[NC_WINO_MAX_T - 2];
#pragma GCC unroll 6
    for (int k = 0; k < mo; k++) {
      v[k] = _mm512_maskz_loadu_ps(ok_a ? ln->in_a[g][j][k] : 0, xp + y * w + xa + 16 * k);
      if (ok_b) v[k] = _mm512_mask_loadu_ps(v[k], ln->in_b[g][j][k], xp + (y + mo) * w + xb + 16 * k);
    }
    VF r = _mm512_permutex2var_ps(v[0], ln->de_idx[0], v[1]);
#pragma GCC unroll 3
    for (int q = 1; q < mo / 2; q++)
      r = _mm512_mask_mov_ps(r, ln->de_mask[q],
                             _mm512_permutex2var_ps(v[2 * q], ln->de_idx[q], v[2 * q + 1]));
    d[i] = r;
  }
}

/* Output row a of one vector of tiles (o[b]: column b of every tile),
 * interleaved into contiguous spans and stored under the edge masks. */
NC_WI void WNAME(wino_store_rows)(const nc_wino_plan *p, const WNAME(wino_lanes) * ln, int g,
                                  float *yp, int a, const VF *o, const int mo) {
  const int64_t ya = (int64_t)ln->ty[g] * mo + a, yb = ya + mo, ow = p->ow;
  const int64_t qa = (int64_t)ln->run[g] * mo, qb = (int64_t)ln->valid[g] * mo;
  const int64_t xa = (int64_t)ln->tx[g] * mo;
  const int ok_a = ya < p->oh, ok_b = ln->run[g] < ln->valid[g] && yb < p->oh;
  const int64_t ea = qa < ow - xa ? qa : ow - xa, eb = qb < qa + ow ? qb : qa + ow;
#pragma GCC unroll 6
  for (int k = 0; k < mo; k++) {
    VF r = _mm512_permutex2var_ps(o[0], ln->il_idx[k][0], o[1]);
#pragma GCC unroll 3
    for (int q = 1; q < mo / 2; q++)
      r = _mm512_mask_mov_ps(r, ln->il_mask[k][q],
                             _mm512_permutex2var_ps(o[2 * q], ln->il_idx[k][q], o[2 * q + 1]));
    if (ok_a) _mm512_mask_storeu_ps(yp + ya * ow + xa + 16 * k, WNAME(wino_span_mask)(0, ea, k), r);
    if (ok_b) _mm512_mask_storeu_ps(yp + yb * ow + 16 * k - qa, WNAME(wino_span_mask)(qa, eb, k), r);
  }
}
#endif

static NC_WT void WNAME(wino_lanes_set)(const nc_wino_plan *p, int64_t t0, int nv,
                                        WNAME(wino_lanes) * ln) {
  int32_t iy[NC_WL], ix[NC_WL], oy[NC_WL], ox[NC_WL];
  for (int g = 0; g < nv; g++) {
    for (int l = 0; l < NC_WL; l++) {
      int64_t t = t0 + g * NC_WL + l;
      if (t < p->tiles) {
        int64_t ty = t / p->tw, tx = t % p->tw;
        iy[l] = (int32_t)(ty * p->mo - p->pt);
        ix[l] = (int32_t)(tx * p->mo - p->pl);
        oy[l] = (int32_t)(ty * p->mo);
        ox[l] = (int32_t)(tx * p->mo);
        ln->in_base[g * NC_WL + l] = (int32_t)((int64_t)iy[l] * p->w + ix[l]);
        ln->out_base[g * NC_WL + l] = (int32_t)(oy[l] * p->ow + ox[l]);
      } else {
        iy[l] = ix[l] = -(1 << 20);
        oy[l] = ox[l] = (int32_t)(p->oh > p->ow ? p->oh : p->ow);
        ln->in_base[g * NC_WL + l] = ln->out_base[g * NC_WL + l] = 0;
      }
    }
    VI viy = VI_LOAD(iy), vix = VI_LOAD(ix), voy = VI_LOAD(oy), vox = VI_LOAD(ox);
    for (int i = 0; i < p->t; i++) {
      ln->in_row[g][i] = VM_RANGE(VI_ADD(viy, VI_SET1(i)), (int32_t)p->h);
      ln->in_col[g][i] = VM_RANGE(VI_ADD(vix, VI_SET1(i)), (int32_t)p->w);
      ln->out_row[g][i] = VM_RANGE(VI_ADD(voy, VI_SET1(i)), (int32_t)p->oh);
      ln->out_col[g][i] = VM_RANGE(VI_ADD(vox, VI_SET1(i)), (int32_t)p->ow);
    }
  }
}

/* V[xi][c][tile] = (B^T d B)[xi] for every channel of the group. */
NC_WI void WNAME(wino_input)(const nc_wino_plan *p, const WNAME(wino_lanes) * ln, int nv,
                             const float *xg, float *vbuf, const int t, const float *bt) {
  const int64_t plane = p->h * p->w, nbp = (int64_t)nv * NC_WL;
  const int32_t w = (int32_t)p->w;
  for (int64_t c = 0; c < p->c; c++) {
    const float *xp = xg + c * plane;
    for (int g = 0; g < nv; g++) {
      VI base = VI_LOAD(ln->in_base + g * NC_WL);
      VF tmp[NC_WINO_MAX_T][NC_WINO_MAX_T];
#pragma GCC unroll 8
      for (int j = 0; j < t; j++) {
        VF d[NC_WINO_MAX_T];
#ifdef NC_W_ROWS
        if (ln->fast[g]) {
          WNAME(wino_load_rows)(p, ln, g, xp, j, d, t - 2, t);
        } else
#endif
        {
#pragma GCC unroll 8
          for (int i = 0; i < t; i++)
            d[i] = VGATHER(VM_AND(ln->in_row[g][i], ln->in_col[g][j]),
                           VI_ADD(base, VI_SET1(i * w + j)), xp);
        }
#pragma GCC unroll 8
        for (int r = 0; r < t; r++) tmp[r][j] = WNAME(wino_combo)(bt + r * t, t, d, 1);
      }
      float *vc = vbuf + c * nbp + g * NC_WL;
#pragma GCC unroll 8
      for (int r = 0; r < t; r++)
#pragma GCC unroll 8
        for (int s = 0; s < t; s++)
          VSTORE(vc + (r * t + s) * p->c * nbp, WNAME(wino_combo)(bt + s * t, t, tmp[r], 1));
    }
  }
}

/* Y tiles of output channels m0 .. m0+rows from Mt[xi][row][tile]; sg (or
 * NULL) is the fused residual input laid out like yg, gathered with the
 * store's lanes and added before the activation (the row-run stores are
 * skipped then: the gathers already give each lane its own value). */
NC_WI void WNAME(wino_output)(const nc_wino_plan *p, const WNAME(wino_lanes) * ln, int nv,
                              const float *mt, int rows, const float *bias, float *yg,
                              const float *sg, const int mo, const int t, const float *at) {
  const int64_t oplane = p->oh * p->ow, nbp = (int64_t)nv * NC_WL;
  const int32_t ow = (int32_t)p->ow;
  for (int i = 0; i < rows; i++) {
    VF vb = VSET1(bias ? bias[i] : 0.0f);
    float *yp = yg + i * oplane;
    const float *sp = sg ? sg + i * oplane : NULL;
    for (int g = 0; g < nv; g++) {
      VF mm[NC_WINO_MAX_T][NC_WINO_MAX_T], tmp[NC_WINO_MAX_T][NC_WINO_MAX_T];
#pragma GCC unroll 8
      for (int r = 0; r < t; r++)
#pragma GCC unroll 8
        for (int s = 0; s < t; s++)
          mm[r][s] = VLOAD(mt + ((r * t + s) * NC_WMR + i) * nbp + g * NC_WL);
#pragma GCC unroll 8
      for (int a = 0; a < mo; a++)
#pragma GCC unroll 8
        for (int s = 0; s < t; s++) tmp[a][s] = WNAME(wino_combo)(at + a * t, t, &mm[0][s], NC_WINO_MAX_T);
      VI base = VI_LOAD(ln->out_base + g * NC_WL);
#pragma GCC unroll 8
      for (int a = 0; a < mo; a++) {
        VF o[NC_WINO_MAX_T];
#pragma GCC unroll 8
        for (int b = 0; b < mo; b++) {
          VF v = VADD(WNAME(wino_combo)(at + b * t, t, tmp[a], 1), vb);
          if (sp)
            v = VADD(v, VGATHER(VM_AND(ln->out_row[g][a], ln->out_col[g][b]),
                                VI_ADD(base, VI_SET1(a * ow + b)), sp));
          o[b] = WNAME(wino_act)(v, p);
        }
#ifdef NC_W_ROWS
        if (ln->fast[g] && !sp) {
          WNAME(wino_store_rows)(p, ln, g, yp, a, o, mo);
          continue;
        }
#endif
#pragma GCC unroll 8
        for (int b = 0; b < mo; b++)
          VSCATTER(yp, VM_AND(ln->out_row[g][a], ln->out_col[g][b]),
                   VI_ADD(base, VI_SET1(a * ow + b)), o[b]);
      }
    }
  }
}

NC_WI void WNAME(wino_run)(const nc_args *a, const void *const *in, void *const *out,
                           void *scratch, const int mo, const float *bt, const float *at) {
  const int t = mo + 2;
  nc_wino_plan p;
  nc_wino_plan_read(a, mo, NC_WL, NC_WMR, &p);
  const float *x = in[0], *u = in[1];
  const float *bias = nc_nn_has_in(a, 2) ? in[2] : NULL;
  const float *sum = nc_nn_has_in(a, NC_CONV_IN_SUM) ? in[NC_CONV_IN_SUM] : NULL;
  float *y = out[0];
  float *vbuf = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
  float *mt = vbuf + (size_t)(t * t) * (size_t)p.c * (size_t)(p.nv * NC_WL);
  const int64_t plane = p.h * p.w, oplane = p.oh * p.ow, nb = (int64_t)p.nv * NC_WL;
  const size_t u_group = (size_t)(t * t) * (size_t)p.mp * (size_t)p.c;
  WNAME(wino_lanes) ln;
  for (int64_t n = 0; n < p.n; n++)
    for (int64_t grp = 0; grp < p.group; grp++) {
      const float *xg = x + (n * p.group + grp) * p.c * plane;
      float *yg = y + (n * p.group + grp) * p.m * oplane;
      const float *sg = sum ? sum + (n * p.group + grp) * p.m * oplane : NULL;
      const float *ug = u + (size_t)grp * u_group;
      const float *bg = bias ? bias + grp * p.m : NULL;
      for (int64_t t0 = 0; t0 < p.tiles; t0 += nb) {
        int64_t left = (p.tiles - t0 + NC_WL - 1) / NC_WL;
        int nv = left < p.nv ? (int)left : p.nv;
        WNAME(wino_lanes_set)(&p, t0, nv, &ln);
#ifdef NC_W_ROWS
        WNAME(wino_rows_set)(&p, t0, nv, &ln);
#endif
        WNAME(wino_input)(&p, &ln, nv, xg, vbuf, t, bt);
        for (int64_t m0 = 0; m0 < p.m; m0 += NC_WMR) {
          for (int xi = 0; xi < t * t; xi++)
            WNAME(wino_gemm)(ug + (size_t)(xi * p.mp + m0) * (size_t)p.c,
                             vbuf + (size_t)xi * (size_t)p.c * (size_t)(nv * NC_WL), p.c, nv,
                             mt + (size_t)xi * NC_WMR * (size_t)(nv * NC_WL));
          int rows = p.m - m0 < NC_WMR ? (int)(p.m - m0) : NC_WMR;
          WNAME(wino_output)(&p, &ln, nv, mt, rows, bg ? bg + m0 : NULL, yg + m0 * oplane,
                             sg ? sg + m0 * oplane : NULL, mo, t, at);
        }
      }
    }
}

/* The three variants: entry point, scratch, packing. */
#define NC_WINO_VARIANT(MO, BT, AT)                                                         \
  NC_WT void NC_WCAT(nc_conv_winograd##MO##3_f32_nchw, NC_WSUF)(                           \
      const nc_args *a, const void *const *in, void *const *out, void *scratch) {          \
    WNAME(wino_run)(a, in, out, scratch, MO, &BT[0][0], &AT[0][0]);                         \
  }                                                                                         \
  size_t NC_WCAT(nc_conv_winograd##MO##3_f32_nchw, NC_WCAT(NC_WSUF, scratch))(             \
      const nc_args *a) {                                                                   \
    nc_wino_plan p;                                                                         \
    nc_wino_plan_read(a, MO, NC_WL, NC_WMR, &p);                                            \
    return nc_wino_scratch_bytes(&p);                                                       \
  }                                                                                         \
  size_t NC_WCAT(nc_conv_winograd##MO##3_f32_nchw, NC_WCAT(NC_WSUF, packed_bytes))(        \
      const nc_args *a, int idx) {                                                          \
    if (idx != 1) return 0;                                                                 \
    nc_wino_plan p;                                                                         \
    nc_wino_plan_read(a, MO, NC_WL, NC_WMR, &p);                                            \
    return nc_wino_packed_bytes(&p);                                                        \
  }                                                                                         \
  void NC_WCAT(nc_conv_winograd##MO##3_f32_nchw, NC_WCAT(NC_WSUF, pack))(                  \
      const nc_args *a, int idx, const void *src, void *dst) {                              \
    if (idx != 1) return;                                                                   \
    nc_wino_plan p;                                                                         \
    nc_wino_plan_read(a, MO, NC_WL, NC_WMR, &p);                                            \
    nc_wino_pack_weights(&p, src, dst);                                                     \
  }

NC_WINO_VARIANT(2, nc_wino23_bt, nc_wino23_at)
NC_WINO_VARIANT(4, nc_wino43_bt, nc_wino43_at)
NC_WINO_VARIANT(6, nc_wino63_bt, nc_wino63_at)
#undef NC_WINO_VARIANT
