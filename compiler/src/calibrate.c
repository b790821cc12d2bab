/* Calibration (see calibrate.h and docs/calibration.md): sample loading, the
 * f32 reference run with range collection, u8 parameters per activation, and
 * the per-layer / per-tensor / whole-model error measures. */
#define _POSIX_C_SOURCE 200809L
#include "calibrate.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "neuroc/quant.h"
#include "npy.h"

#define DEFAULT_RANDOM 16
#define DEFAULT_SEED 0x6e6575726f63ull /* "neuroc" */
#define DEFAULT_KEEP 8
#define DEFAULT_KEEP_BYTES ((size_t)512 << 20)
#define HIST_BINS 2048

static size_t plain_bytes(const nc_tdesc *d) {
  return (size_t)nc_numel(d) * nc_dtype_size(d->dtype);
}

static int is_activation(const nc_graph *g, int t) { return t >= 0 && !g->tensors[t].data; }

static int is_f32_activation(const nc_graph *g, int t) {
  return is_activation(g, t) && g->tensors[t].desc.dtype == NC_F32;
}

/* ---- samples ---- */

/* Graph inputs bound at run time, in model order. */
static int run_inputs(const nc_graph *g, int *idx) {
  int n = 0;
  for (int i = 0; i < g->n_inputs; i++)
    if (!g->tensors[g->inputs[i]].data) idx[n++] = g->inputs[i];
  return n;
}

/* Room for one more sample (n_inputs values) in c->inputs. */
static nc_const *new_sample(nc_calibration *c) {
  c->inputs = nc_xrealloc(c->inputs, sizeof(nc_const) * (size_t)(c->n_samples + 1) *
                                         (size_t)(c->n_inputs ? c->n_inputs : 1));
  nc_const *s = &c->inputs[(size_t)c->n_samples * (size_t)c->n_inputs];
  memset(s, 0, sizeof(nc_const) * (size_t)c->n_inputs);
  c->n_samples++;
  return s;
}

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && strcmp(s + n - m, suf) == 0;
}

static void shape_str(const nc_tdesc *d, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < d->ndim && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)d->dims[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
}

/* Values of input x from an .npy file: one sample, or k samples when the
 * leading dimension is k times the model's (same trailing dims). Splits them
 * into *vals (malloc'd, k entries). Returns k, or -1 with a message. */
static int read_npy_samples(const char *path, const nc_tensor *x, nc_const **vals) {
  nc_const v;
  if (nc_npy_read(path, &v)) return -1;
  char want[128], got[128];
  shape_str(&x->desc, want, sizeof want);
  shape_str(&v.desc, got, sizeof got);
  int64_t n = nc_numel(&v.desc), per = nc_numel(&x->desc);
  int ok = v.desc.dtype == x->desc.dtype && per > 0 && n > 0;
  int64_t k = ok ? n / per : 0;
  if (ok && n != per) {
    ok = n % per == 0 && v.desc.ndim == x->desc.ndim && x->desc.ndim > 0;
    for (int i = 1; ok && i < x->desc.ndim; i++) ok = v.desc.dims[i] == x->desc.dims[i];
  }
  if (!ok) {
    free(v.data);
    return nc_fail("%s: %s %s (%lld elements) does not fit input '%s': expected %s %s "
                   "(%lld elements), or a leading dimension k times %lld",
                   path, nc_dtype_name(v.desc.dtype), got, (long long)n, x->name,
                   nc_dtype_name(x->desc.dtype), want, (long long)per,
                   (long long)(x->desc.ndim > 0 ? x->desc.dims[0] : 1));
  }
  size_t bytes = plain_bytes(&x->desc);
  *vals = nc_xcalloc((size_t)k, sizeof(nc_const));
  for (int64_t s = 0; s < k; s++) {
    (*vals)[s].desc = x->desc;
    (*vals)[s].data = nc_xmalloc(bytes ? bytes : 1);
    memcpy((*vals)[s].data, (const char *)v.data + (size_t)s * bytes, bytes);
  }
  free(v.data);
  return (int)k;
}

/* Raw little-endian values of x's dtype (float32 for a float model), exactly
 * one sample. */
static int read_bin_sample(const char *path, const nc_tensor *x, nc_const *val) {
  FILE *f = fopen(path, "rb");
  if (!f) return nc_fail("%s: cannot open", path);
  size_t want = plain_bytes(&x->desc);
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return nc_fail("%s: cannot read", path);
  }
  if ((size_t)size != want) {
    fclose(f);
    return nc_fail("%s: %ld bytes, expected %zu (input '%s': %lld %s values)", path, size, want,
                   x->name, (long long)nc_numel(&x->desc), nc_dtype_name(x->desc.dtype));
  }
  val->desc = x->desc;
  val->data = nc_xmalloc(want ? want : 1);
  size_t got = fread(val->data, 1, want, f);
  fclose(f);
  if (got != want) {
    free(val->data);
    val->data = NULL;
    return nc_fail("%s: short read (%zu of %zu bytes)", path, got, want);
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of dir (no dot files), sorted bytewise so the order is the same
 * everywhere. *names malloc'd; returns the count or -1. */
static int list_dir(const char *dir, char ***names) {
  DIR *d = opendir(dir);
  if (!d) return nc_fail("%s: cannot open the calibration directory", dir);
  int n = 0, cap = 0;
  *names = NULL;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      *names = nc_xrealloc(*names, sizeof(char *) * (size_t)cap);
    }
    (*names)[n++] = nc_xstrdup(e->d_name);
  }
  closedir(d);
  if (n) qsort(*names, (size_t)n, sizeof(char *), cmp_str);
  return n;
}

static void free_names(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One input, one file per sample (or several samples per .npy). */
static int load_single(nc_calibration *c, const char *dir, const nc_tensor *x) {
  char **names;
  int n = list_dir(dir, &names);
  if (n < 0) return -1;
  int rc = 0;
  char path[4096];
  for (int i = 0; !rc && i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (ends_with(names[i], ".npy")) {
      nc_const *vals = NULL;
      int k = read_npy_samples(path, x, &vals);
      if (k < 0) rc = -1;
      for (int s = 0; s < k; s++) *new_sample(c) = vals[s];
      free(vals);
    } else if (ends_with(names[i], ".bin")) {
      nc_const v;
      if (read_bin_sample(path, x, &v)) rc = -1;
      else *new_sample(c) = v;
    }
  }
  free_names(names, n);
  return rc;
}

/* Several inputs: a subdirectory per sample holding <input name>.npy or .bin. */
static int load_multi(nc_calibration *c, const char *dir, const int *idx) {
  char **names;
  int n = list_dir(dir, &names);
  if (n < 0) return -1;
  int rc = 0;
  char sub[4096], path[4400];
  for (int i = 0; !rc && i < n; i++) {
    snprintf(sub, sizeof sub, "%s/%s", dir, names[i]);
    if (!is_dir(sub)) continue;
    nc_const *s = new_sample(c);
    for (int k = 0; !rc && k < c->n_inputs; k++) {
      const nc_tensor *x = &c->g->tensors[idx[k]];
      snprintf(path, sizeof path, "%s/%s.npy", sub, x->name);
      struct stat st;
      if (stat(path, &st) == 0) {
        nc_const *vals = NULL;
        int got = read_npy_samples(path, x, &vals);
        if (got > 1) {
          for (int j = 0; j < got; j++) free(vals[j].data);
          rc = nc_fail("%s: holds %d samples; a sample directory holds one per input", path, got);
        } else if (got == 1) {
          s[k] = vals[0];
        } else {
          rc = -1;
        }
        free(vals);
        continue;
      }
      snprintf(path, sizeof path, "%s/%s.bin", sub, x->name);
      if (stat(path, &st) != 0)
        rc = nc_fail("%s: no %s.npy or %s.bin for input '%s'", sub, x->name, x->name, x->name);
      else rc = read_bin_sample(path, x, &s[k]);
    }
  }
  free_names(names, n);
  return rc;
}

/* splitmix64: a small, well-mixed generator, so the fallback samples are the
 * same on every host. */
static uint64_t next_u64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* normal(0, 1) by Box-Muller. */
static float next_normal(uint64_t *s) {
  double u1 = ((double)(next_u64(s) >> 11) + 0.5) / 9007199254740992.0;
  double u2 = (double)(next_u64(s) >> 11) / 9007199254740992.0;
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static int load_random(nc_calibration *c, const nc_calib_opts *o, const int *idx) {
  int n = o->n_random > 0 ? o->n_random : DEFAULT_RANDOM;
  uint64_t seed = o->seed ? o->seed : DEFAULT_SEED;
  for (int k = 0; k < c->n_inputs; k++) {
    const nc_tensor *x = &c->g->tensors[idx[k]];
    if (x->desc.dtype != NC_F32)
      return nc_fail("%s: input '%s' is %s: random calibration samples are f32 only; give "
                     "--calibrate DIR",
                     c->g->path, x->name, nc_dtype_name(x->desc.dtype));
  }
  if (!o->quiet)
    fprintf(stderr,
            "neuroc: warning: no --calibrate DIR: calibrating on %d random normal(0,1) inputs; "
            "ranges from random inputs are not representative of real data\n",
            n);
  c->random = 1;
  for (int i = 0; i < n; i++) {
    nc_const *s = new_sample(c);
    for (int k = 0; k < c->n_inputs; k++) {
      const nc_tensor *x = &c->g->tensors[idx[k]];
      int64_t m = nc_numel(&x->desc);
      float *v = nc_xmalloc(sizeof(float) * (size_t)(m ? m : 1));
      for (int64_t j = 0; j < m; j++) v[j] = next_normal(&seed);
      s[k].desc = x->desc;
      s[k].data = v;
    }
  }
  return 0;
}

int nc_calib_load(const nc_graph *g, const nc_calib_opts *o, nc_calibration *c) {
  memset(c, 0, sizeof *c);
  c->g = g;
  int *idx = nc_xmalloc(sizeof(int) * (size_t)(g->n_inputs + 1));
  c->n_inputs = run_inputs(g, idx);
  int rc;
  if (c->n_inputs == 0) rc = nc_fail("%s: the model has no run-time input to calibrate", g->path);
  else if (!o->dir) rc = load_random(c, o, idx);
  else if (!is_dir(o->dir)) rc = nc_fail("%s: not a directory (--calibrate DIR)", o->dir);
  else if (c->n_inputs == 1) rc = load_single(c, o->dir, &g->tensors[idx[0]]);
  else rc = load_multi(c, o->dir, idx);
  if (!rc && c->n_samples == 0)
    rc = c->n_inputs == 1
             ? nc_fail("%s: no .npy or .bin sample files for input '%s'", o->dir,
                       g->tensors[idx[0]].name)
             : nc_fail("%s: no sample subdirectories (the model has %d inputs)", o->dir,
                       c->n_inputs);
  free(idx);
  if (rc) nc_calibration_free(c);
  return rc;
}

/* ---- the reference run: ranges, histograms, kept activations ---- */

typedef struct range_ctx {
  nc_calibration *c;
  int sample;
  uint64_t *hist; /* [t * HIST_BINS + b] in the histogram pass, else NULL */
} range_ctx;

static void observe_minmax(nc_calibration *c, int t, const float *v, int64_t n) {
  float mn = c->min[t], mx = c->max[t];
  for (int64_t i = 0; i < n; i++) {
    float x = v[i];
    if (!isfinite(x)) continue;
    if (isnan(mn) || x < mn) mn = x;
    if (isnan(mx) || x > mx) mx = x;
  }
  c->min[t] = mn;
  c->max[t] = mx;
}

static void observe_hist(const nc_calibration *c, uint64_t *h, int t, const float *v, int64_t n) {
  float mn = c->min[t], mx = c->max[t];
  if (isnan(mn) || !(mx > mn)) return;
  double w = ((double)mx - mn) / HIST_BINS;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i])) continue;
    int64_t b = (int64_t)(((double)v[i] - mn) / w);
    h[b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b]++;
  }
}

static int on_ref_tensor(void *vctx, const nc_graph *g, int t, const void *data) {
  range_ctx *r = vctx;
  nc_calibration *c = r->c;
  int64_t n = nc_numel(&g->tensors[t].desc);
  if (g->tensors[t].desc.dtype == NC_F32) {
    if (r->hist) observe_hist(c, r->hist + (size_t)t * HIST_BINS, t, data, n);
    else observe_minmax(c, t, data, n);
  }
  if (!r->hist && r->sample < c->n_keep) {
    size_t b = plain_bytes(&g->tensors[t].desc);
    void **slot = &c->kept[(size_t)r->sample * (size_t)g->n_tensors + (size_t)t];
    free(*slot);
    *slot = nc_xmalloc(b ? b : 1);
    memcpy(*slot, data, b);
  }
  return 0;
}

/* Samples whose activations fit the memory cap (at least one). */
static int keep_count(const nc_calibration *c, const nc_calib_opts *o) {
  const nc_graph *g = c->g;
  size_t per = 0;
  for (int t = 0; t < g->n_tensors; t++)
    if (is_activation(g, t) && g->tensors[t].desc.dtype) per += plain_bytes(&g->tensors[t].desc);
  size_t cap = o->max_keep_bytes ? o->max_keep_bytes : DEFAULT_KEEP_BYTES;
  int n = o->max_layer_samples > 0 ? o->max_layer_samples : DEFAULT_KEEP;
  if (n > c->n_samples) n = c->n_samples;
  if (per > 0 && (size_t)n * per > cap) n = (int)(cap / per);
  return n < 1 ? 1 : n;
}

static int reference_pass(nc_calibration *c, const nc_calib_opts *o, uint64_t *hist) {
  const nc_graph *g = c->g;
  range_ctx rc = {c, 0, hist};
  nc_exec_graph_opts eo = {o->ref_pick, o->ref_pick_ctx, on_ref_tensor, &rc};
  nc_const *outs = nc_xcalloc((size_t)g->n_outputs + 1, sizeof(nc_const));
  for (int s = 0; s < c->n_samples; s++) {
    rc.sample = s;
    if (nc_exec_graph(g, &eo, &c->inputs[(size_t)s * (size_t)c->n_inputs], outs)) {
      free(outs);
      return -1;
    }
    if (hist) {
      nc_exec_outputs_free(g, outs);
      continue;
    }
    for (int o = 0; o < g->n_outputs; o++)
      c->ref_out[(size_t)s * (size_t)g->n_outputs + (size_t)o] = outs[o];
  }
  free(outs);
  return 0;
}

/* [lo, hi] holding `percentile` % of the values of tensor t, the tails
 * split evenly, from its histogram. */
static void percentile_range(const uint64_t *h, float mn, float mx, double percentile, float *lo,
                             float *hi) {
  uint64_t total = 0;
  for (int b = 0; b < HIST_BINS; b++) total += h[b];
  *lo = mn;
  *hi = mx;
  if (total == 0) return;
  double tail = (double)total * (100.0 - percentile) / 200.0, w = ((double)mx - mn) / HIST_BINS;
  uint64_t acc = 0;
  int b = 0;
  for (; b < HIST_BINS; b++) {
    acc += h[b];
    if ((double)acc > tail) break;
  }
  *lo = (float)(mn + w * b);
  acc = 0;
  for (b = HIST_BINS - 1; b >= 0; b--) {
    acc += h[b];
    if ((double)acc > tail) break;
  }
  *hi = (float)(mn + w * (b + 1));
  if (*lo < mn) *lo = mn;
  if (*hi > mx) *hi = mx;
}

static void set_params(nc_graph *g, nc_calibration *c, const uint64_t *hist, double percentile) {
  for (int t = 0; t < g->n_tensors; t++) {
    if (!is_f32_activation(g, t) || isnan(c->min[t])) continue;
    float lo = c->min[t], hi = c->max[t];
    if (hist) percentile_range(hist + (size_t)t * HIST_BINS, lo, hi, percentile, &lo, &hi);
    c->lo[t] = lo < 0.0f ? lo : 0.0f;
    c->hi[t] = hi > 0.0f ? hi : 0.0f;
    nc_q_params_u8(lo, hi, &g->tensors[t].qscale, &g->tensors[t].qzero);
  }
}

int nc_calibrate(nc_graph *g, const nc_calib_opts *o, nc_calibration *c) {
  if (nc_calib_load(g, o, c)) return -1;
  size_t nt = (size_t)g->n_tensors + 1;
  c->n_outputs = g->n_outputs;
  c->ref_out = nc_xcalloc((size_t)c->n_samples * (size_t)g->n_outputs + 1, sizeof(nc_const));
  c->min = nc_xmalloc(sizeof(float) * nt);
  c->max = nc_xmalloc(sizeof(float) * nt);
  c->lo = nc_xmalloc(sizeof(float) * nt);
  c->hi = nc_xmalloc(sizeof(float) * nt);
  for (size_t t = 0; t < nt; t++) c->min[t] = c->max[t] = c->lo[t] = c->hi[t] = NAN;
  c->n_keep = keep_count(c, o);
  c->kept = nc_xcalloc((size_t)c->n_keep * (size_t)g->n_tensors + 1, sizeof(void *));
  int clip = o->percentile > 0.0 && o->percentile < 100.0;
  uint64_t *hist = clip ? nc_xcalloc(nt * HIST_BINS, sizeof(uint64_t)) : NULL;
  int rc = reference_pass(c, o, NULL);
  if (!rc && clip) rc = reference_pass(c, o, hist); /* bins span the observed min/max */
  if (!rc) set_params(g, c, hist, o->percentile);
  free(hist);
  if (rc) nc_calibration_free(c);
  return rc;
}

/* ---- error measures ---- */

double nc_rel_l2(const float *y, const float *ref, int64_t n) {
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double d = (double)y[i] - (double)ref[i];
    num += d * d;
    den += (double)ref[i] * (double)ref[i];
  }
  return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

int64_t nc_top1_matches(const nc_tdesc *d, const float *y, const float *ref, int64_t *rows) {
  int64_t k = d->ndim > 0 ? d->dims[d->ndim - 1] : 1, n = nc_numel(d), match = 0;
  *rows = k > 0 ? n / k : 0;
  for (int64_t r = 0; r < *rows; r++) {
    const float *a = y + r * k, *b = ref + r * k;
    int64_t ia = 0, ib = 0;
    for (int64_t j = 1; j < k; j++) {
      if (a[j] > a[ia]) ia = j;
      if (b[j] > b[ib]) ib = j;
    }
    match += ia == ib;
  }
  return match;
}

/* Squared difference and squared reference of n values of any dtype. */
static void accumulate(const void *y, const void *ref, int32_t dtype, int64_t n, double *num,
                       double *den) {
  for (int64_t i = 0; i < n; i++) {
    double a = nc_load_f64(y, dtype, i), b = nc_load_f64(ref, dtype, i);
    *num += (a - b) * (a - b);
    *den += b * b;
  }
}

int nc_calib_layer_error(const nc_calibration *c, int node, const nc_routine *r, double *err) {
  const nc_graph *g = c->g;
  if (c->n_keep < 1 || !c->kept)
    return nc_fail("%s: no calibration activations kept (run nc_calibrate first)", g->path);
  nc_node_args na;
  if (nc_node_args_build(g, &g->nodes[node], &na)) return -1;
  nc_exec_layer *x = nc_exec_layer_new(g, node, r, NULL);
  if (!x) return -1;
  const size_t nt = (size_t)g->n_tensors;
  void *outs[16] = {0};
  for (int j = 0; j < na.a.n_out; j++)
    if (na.out_tensor[j] >= 0) outs[j] = nc_xcalloc(1, plain_bytes(&na.out[j]) + 1);
  double num = 0.0, den = 0.0;
  int rc = 0;
  for (int s = 0; !rc && s < c->n_keep; s++) {
    void *const *kept = &c->kept[(size_t)s * nt];
    const void *acts[64] = {0};
    for (int i = 0; i < na.a.n_in; i++) {
      int t = na.in_tensor[i];
      if (!is_activation(g, t)) continue;
      if (!kept[t])
        rc = nc_node_fail(g, &g->nodes[node], "no kept calibration value for input '%s'",
                          g->tensors[t].name);
      acts[i] = kept[t];
    }
    for (int j = 0; !rc && j < na.a.n_out; j++)
      if (na.out_tensor[j] >= 0 && !kept[na.out_tensor[j]])
        rc = nc_node_fail(g, &g->nodes[node], "no kept reference value for output '%s'",
                          g->tensors[na.out_tensor[j]].name);
    if (rc || (rc = nc_exec_layer_run(x, acts, outs))) break;
    for (int j = 0; j < na.a.n_out; j++) {
      int t = na.out_tensor[j];
      if (t >= 0) accumulate(outs[j], kept[t], na.out[j].dtype, nc_numel(&na.out[j]), &num, &den);
    }
  }
  for (int j = 0; j < na.a.n_out; j++) free(outs[j]);
  nc_exec_layer_free(x);
  if (!rc) *err = den > 0.0 ? sqrt(num / den) : sqrt(num);
  return rc;
}

int nc_calib_tensor_error(const nc_calibration *c, int t, double *err) {
  const nc_graph *g = c->g;
  const nc_tensor *x = &g->tensors[t];
  if (!is_f32_activation(g, t) || x->qscale <= 0.0f)
    return nc_fail("%s: tensor '%s' is not a calibrated f32 activation", g->path, x->name);
  double num = 0.0, den = 0.0;
  int64_t n = nc_numel(&x->desc);
  for (int s = 0; s < c->n_keep; s++) {
    const float *v = c->kept[(size_t)s * (size_t)g->n_tensors + (size_t)t];
    if (!v) return nc_fail("%s: no kept calibration value for tensor '%s'", g->path, x->name);
    for (int64_t i = 0; i < n; i++) {
      int32_t q = nc_q_quantize(v[i], x->qscale, x->qzero, NC_Q_U8_MIN, NC_Q_U8_MAX);
      double d = (double)nc_q_dequantize(q, x->qscale, x->qzero) - v[i];
      num += d * d;
      den += (double)v[i] * v[i];
    }
  }
  *err = den > 0.0 ? sqrt(num / den) : sqrt(num);
  return 0;
}

int nc_calib_model_error(const nc_calibration *c, nc_exec_pick_fn pick, void *pick_ctx,
                         nc_model_error *e) {
  const nc_graph *g = c->g;
  memset(e, 0, sizeof *e);
  if (!c->ref_out) return nc_fail("%s: no reference outputs (run nc_calibrate first)", g->path);
  nc_exec_graph_opts eo = {pick, pick_ctx, NULL, NULL};
  nc_const *outs = nc_xcalloc((size_t)g->n_outputs + 1, sizeof(nc_const));
  double num = 0.0, den = 0.0;
  int64_t rows = 0, match = 0;
  for (int s = 0; s < c->n_samples; s++) {
    if (nc_exec_graph(g, &eo, &c->inputs[(size_t)s * (size_t)c->n_inputs], outs)) {
      free(outs);
      return -1;
    }
    double sn = 0.0, sd = 0.0;
    for (int o = 0; o < g->n_outputs; o++) {
      const nc_const *ref = &c->ref_out[(size_t)s * (size_t)g->n_outputs + (size_t)o];
      accumulate(outs[o].data, ref->data, ref->desc.dtype, nc_numel(&ref->desc), &sn, &sd);
      if (o == 0 && ref->desc.dtype == NC_F32) {
        int64_t r = 0;
        match += nc_top1_matches(&ref->desc, outs[o].data, ref->data, &r);
        rows += r;
      }
    }
    double rel = sd > 0.0 ? sqrt(sn / sd) : sqrt(sn);
    if (rel > e->max_rel_l2) e->max_rel_l2 = rel;
    num += sn;
    den += sd;
    nc_exec_outputs_free(g, outs);
  }
  free(outs);
  e->rel_l2 = den > 0.0 ? sqrt(num / den) : sqrt(num);
  e->top1 = rows ? (double)match / (double)rows : 1.0;
  e->n_samples = c->n_samples;
  return 0;
}

void nc_calibration_free(nc_calibration *c) {
  if (c->inputs)
    for (size_t i = 0; i < (size_t)c->n_samples * (size_t)c->n_inputs; i++) free(c->inputs[i].data);
  if (c->ref_out)
    for (size_t i = 0; i < (size_t)c->n_samples * (size_t)c->n_outputs; i++)
      free(c->ref_out[i].data);
  if (c->kept)
    for (size_t i = 0; i < (size_t)c->n_keep * (size_t)c->g->n_tensors; i++) free(c->kept[i]);
  free(c->inputs);
  free(c->ref_out);
  free(c->kept);
  free(c->min);
  free(c->max);
  free(c->lo);
  free(c->hi);
  memset(c, 0, sizeof *c);
}
