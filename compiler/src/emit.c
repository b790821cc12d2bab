/* Emitter: turns the selection into the executed step list (routine calls,
 * shared adapters, output copies), plans the arena, packs the weights and
 * writes model.c, model.h and plan.yaml. Deterministic: the same graph and
 * selection give the same bytes. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "memplan.h"
#include "plan_read.h"

enum { BUF_ARENA, BUF_INPUT, BUF_OUTPUT, BUF_WEIGHT };
enum { STEP_ROUTINE, STEP_ADAPTER, STEP_COPY };

typedef struct buf {
  int kind, index; /* index: graph input/output number for INPUT/OUTPUT */
  int tensor, layout; /* layout: the nc_format the tensor is stored in */
  size_t bytes, offset;
  int first, last, inplace_of, inplace_done;
} buf;

typedef struct step {
  int kind;
  int layer; /* index in sel->layers, -1 for adapters/copies */
  const nc_routine *r;
  char desc[160];
  double ms;
  int n_in, n_out;
  int in[64], out[16]; /* buffer ids, -1 = NULL */
  int scratch;         /* buffer id or -1 */
  int tensor, from, to; /* adapters */
} step;

typedef struct wblob {
  int tensor;
  const nc_routine *packer; /* NULL = raw bytes */
  int layer, input;
  size_t bytes, offset;
} wblob;

typedef struct emitter {
  const nc_graph *g;
  const nc_selection *sel;
  const nc_options *o;
  size_t align;
  buf *bufs;
  int n_bufs, cap_bufs;
  step *steps;
  int n_steps, cap_steps;
  wblob *w;
  int n_w, cap_w;
  size_t wbytes;
  int *tl_buf; /* [tensor * NC_FORMAT_COUNT + format] -> buffer id */
} emitter;

static size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

static size_t tensor_bytes(const nc_tensor *t) {
  return (size_t)nc_numel(&t->desc) * nc_dtype_size(t->desc.dtype);
}

static int new_buf(emitter *e, int kind, int index, int tensor, int layout, size_t bytes) {
  if (e->n_bufs == e->cap_bufs) {
    e->cap_bufs = e->cap_bufs ? 2 * e->cap_bufs : 64;
    e->bufs = nc_xrealloc(e->bufs, (size_t)e->cap_bufs * sizeof *e->bufs);
  }
  buf *b = &e->bufs[e->n_bufs];
  memset(b, 0, sizeof *b);
  b->kind = kind;
  b->index = index;
  b->tensor = tensor;
  b->layout = layout;
  b->bytes = bytes;
  b->first = b->last = -1;
  b->inplace_of = -1;
  if (tensor >= 0 && kind != BUF_WEIGHT) e->tl_buf[tensor * NC_FORMAT_COUNT + layout] = e->n_bufs;
  return e->n_bufs++;
}

static step *new_step(emitter *e, int kind) {
  if (e->n_steps == e->cap_steps) {
    e->cap_steps = e->cap_steps ? 2 * e->cap_steps : 64;
    e->steps = nc_xrealloc(e->steps, (size_t)e->cap_steps * sizeof *e->steps);
  }
  step *s = &e->steps[e->n_steps++];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->layer = -1;
  s->scratch = -1;
  return s;
}

static void use_buf(emitter *e, int b, int at) {
  if (b < 0) return;
  if (e->bufs[b].first < 0) e->bufs[b].first = at;
  if (at > e->bufs[b].last) e->bufs[b].last = at;
}

/* Weight region for constant routine input `input` of layer `layer`. */
static int weight_buf(emitter *e, int layer, int input, int tensor, const nc_routine *r,
                      const nc_args *a) {
  size_t packed = r && r->packed_bytes ? r->packed_bytes(a, input) : 0;
  const nc_routine *packer = packed ? r : NULL;
  for (int i = 0; i < e->n_w; i++) /* one copy per (tensor, packing) */
    if (e->w[i].tensor == tensor && e->w[i].packer == packer &&
        (!packer || e->w[i].layer == layer))
      return new_buf(e, BUF_WEIGHT, i, tensor, 0, e->w[i].bytes);
  if (e->n_w == e->cap_w) {
    e->cap_w = e->cap_w ? 2 * e->cap_w : 64;
    e->w = nc_xrealloc(e->w, (size_t)e->cap_w * sizeof *e->w);
  }
  wblob *w = &e->w[e->n_w];
  w->tensor = tensor;
  w->packer = packer;
  w->layer = layer;
  w->input = input;
  w->bytes = packed ? packed : tensor_bytes(&e->g->tensors[tensor]);
  w->offset = align_up(e->wbytes, e->align);
  e->wbytes = w->offset + w->bytes;
  return new_buf(e, BUF_WEIGHT, e->n_w++, tensor, 0, w->bytes);
}

static int output_index(const nc_graph *g, int tensor) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == tensor) return i;
  return -1;
}

/* Format a tensor is produced in: graph inputs are plain. */
static int produced_format(const emitter *e, int tensor) {
  const nc_tensor *t = &e->g->tensors[tensor];
  return t->is_input || !e->sel->tensor_format ? NC_LAYOUT_NCHW : e->sel->tensor_format[tensor];
}

/* Add an adapter step converting `tensor` from its produced format to
 * `layout` (a format), writing buffer dst. Returns 0 or -1. */
static int add_adapter(emitter *e, int tensor, int layout, int dst) {
  const nc_tensor *t = &e->g->tensors[tensor];
  int from = produced_format(e, tensor);
  int src = e->tl_buf[tensor * NC_FORMAT_COUNT + from];
  const nc_routine *r = nc_adapter_routine_for(e->o, t->desc.dtype, from, layout);
  char fn[32], tn[32];
  if (src < 0 || !r)
    return nc_fail("%s: internal: no way to convert '%s' from %s to %s", e->g->path, t->name,
                   nc_format_name(from, fn, sizeof fn), nc_format_name(layout, tn, sizeof tn));
  step *s = new_step(e, STEP_ADAPTER);
  s->r = r;
  nc_routine_concrete_descriptor(r, t->desc.dtype, s->desc, sizeof s->desc);
  s->tensor = tensor;
  s->from = from;
  s->to = layout;
  s->n_in = s->n_out = 1;
  s->in[0] = src;
  s->out[0] = dst;
  /* the time DPRS counted; a plan-read selection has no cost source */
  s->ms = nc_selection_adapter_ms(e->sel, tensor, from, layout);
  if (s->ms >= 0) return 0;
  if (!e->sel->cost)
    return nc_fail("%s: the plan has no time for the adapter of '%s' from %s to %s", e->g->path,
                   t->name, nc_format_name(from, fn, sizeof fn),
                   nc_format_name(layout, tn, sizeof tn));
  nc_tdesc d[2];
  nc_format_desc(t, from, &d[0]);
  nc_format_desc(t, layout, &d[1]);
  nc_args a = {1, 1, &d[0], &d[1], NULL, NULL, 0, 0};
  const void *consts[1] = {NULL};
  double spread;
  return e->sel->cost->measure(e->sel->cost, r, &a, consts, &s->ms, &spread);
}

/* Buffer holding `tensor` in `layout`, adding a shared adapter step if the
 * tensor only exists in its produced layout so far. */
static int activation_buf(emitter *e, int tensor, int layout) {
  int b = e->tl_buf[tensor * NC_FORMAT_COUNT + layout];
  if (b >= 0) return b;
  const nc_tensor *t = &e->g->tensors[tensor];
  /* A graph output converted back to the plain layout for a consumer is
   * converted straight into the caller's buffer: one adapter, as DPRS counts. */
  int oi = layout == NC_LAYOUT_NCHW ? output_index(e->g, tensor) : -1;
  nc_tdesc d;
  nc_format_desc(t, layout, &d);
  int dst = new_buf(e, oi >= 0 ? BUF_OUTPUT : BUF_ARENA, oi, tensor, layout,
                    nc_layout_bytes(&d, nc_format_layout(layout)));
  return add_adapter(e, tensor, layout, dst) ? -1 : dst;
}

static int build_layer_step(emitter *e, int k) {
  const nc_layer_sel *ls = &e->sel->layers[k];
  const nc_cand *c = &ls->cands[ls->chosen];
  const nc_args *ca = &nc_cand_args(ls, ls->chosen)->a;
  const nc_graph *g = e->g;
  int ins[64];
  for (int i = 0; i < ls->na.a.n_in; i++) {
    int t = ls->na.in_tensor[i];
    if (t < 0) ins[i] = -1;
    else if (g->tensors[t].data) ins[i] = weight_buf(e, k, i, t, c->r, ca);
    else ins[i] = activation_buf(e, t, nc_routine_in_format(c->r));
    if (t >= 0 && !g->tensors[t].data && ins[i] < 0)
      return nc_node_fail(g, &g->nodes[ls->node], "internal: input '%s' unavailable",
                          g->tensors[t].name);
  }
  step *s = new_step(e, STEP_ROUTINE);
  s->layer = k;
  s->r = c->r;
  snprintf(s->desc, sizeof s->desc, "%s", c->desc);
  s->ms = c->ms;
  s->n_in = ls->na.a.n_in;
  s->n_out = ls->na.a.n_out;
  memcpy(s->in, ins, sizeof(int) * (size_t)s->n_in);
  for (int i = 0; i < s->n_out; i++) {
    int t = ls->na.out_tensor[i];
    s->out[i] = -1;
    if (t < 0) continue;
    int oi = output_index(g, t);
    int lay = nc_routine_out_format(c->r);
    size_t bytes = nc_layout_bytes(&ca->out[i], c->r->out_layout);
    if (oi >= 0 && lay == NC_LAYOUT_NCHW) s->out[i] = new_buf(e, BUF_OUTPUT, oi, t, lay, bytes);
    else s->out[i] = new_buf(e, BUF_ARENA, -1, t, lay, bytes);
  }
  size_t sb = c->r->scratch_bytes ? c->r->scratch_bytes(ca) : 0;
  if (sb) s->scratch = new_buf(e, BUF_ARENA, -1, -1, 0, sb);
  return 0;
}

static void add_copy(emitter *e, int src, int dst) {
  step *s = new_step(e, STEP_COPY);
  s->n_in = s->n_out = 1;
  s->in[0] = src;
  s->out[0] = dst;
}

/* Graph outputs not written in place by their producer: constants, graph
 * inputs, repeated outputs and tensors living in another layout. */
static int finish_outputs(emitter *e) {
  const nc_graph *g = e->g;
  for (int o = 0; o < g->n_outputs; o++) {
    int t = g->outputs[o];
    const nc_tensor *x = &g->tensors[t];
    int cur = e->tl_buf[t * NC_FORMAT_COUNT + NC_LAYOUT_NCHW];
    if (cur >= 0 && e->bufs[cur].kind == BUF_OUTPUT && e->bufs[cur].index == o) continue;
    int dst = new_buf(e, BUF_OUTPUT, o, -1, 0, tensor_bytes(x));
    e->bufs[dst].tensor = t;
    if (x->data) {
      add_copy(e, weight_buf(e, -1, -1, t, NULL, NULL), dst);
    } else if (cur >= 0) {
      add_copy(e, cur, dst);
    } else if (add_adapter(e, t, NC_LAYOUT_NCHW, dst)) {
      return -1;
    }
  }
  return 0;
}

static int build_steps(emitter *e) {
  const nc_graph *g = e->g;
  for (int i = 0; i < g->n_inputs; i++) {
    int t = g->inputs[i];
    if (!g->tensors[t].data)
      new_buf(e, BUF_INPUT, i, t, NC_LAYOUT_NCHW, tensor_bytes(&g->tensors[t]));
  }
  for (int k = 0; k < e->sel->n_layers; k++)
    if (build_layer_step(e, k)) return -1;
  return finish_outputs(e);
}

/* Lifetimes over step indices and in-place candidates, then the arena plan. */
static void plan_arena(emitter *e, nc_emit_info *info) {
  for (int s = 0; s < e->n_steps; s++) {
    step *st = &e->steps[s];
    for (int i = 0; i < st->n_in; i++) use_buf(e, st->in[i], s);
    for (int i = 0; i < st->n_out; i++) use_buf(e, st->out[i], s);
    use_buf(e, st->scratch, s);
  }
  for (int s = 0; s < e->n_steps; s++) {
    step *st = &e->steps[s];
    if (st->kind != STEP_ROUTINE || !(st->r->flags & (NC_RF_INPLACE | NC_RF_ALIAS))) continue;
    int ib = st->in[0], ob = st->out[0];
    if (ib < 0 || ob < 0 || e->bufs[ib].kind != BUF_ARENA || e->bufs[ob].kind != BUF_ARENA)
      continue;
    if (e->bufs[ib].last == s && e->bufs[ob].first == s) e->bufs[ob].inplace_of = ib;
  }
  int n = 0;
  int *map = nc_xmalloc(sizeof(int) * (size_t)(e->n_bufs + 1));
  mp_buffer *mb = nc_xcalloc((size_t)e->n_bufs + 1, sizeof *mb);
  for (int b = 0; b < e->n_bufs; b++) {
    map[b] = -1;
    if (e->bufs[b].kind != BUF_ARENA || e->bufs[b].first < 0) continue;
    map[b] = n;
    mb[n].size = e->bufs[b].bytes ? e->bufs[b].bytes : 1;
    mb[n].first = e->bufs[b].first;
    mb[n].last = e->bufs[b].last;
    mb[n].inplace_of = -1;
    n++;
  }
  for (int b = 0; b < e->n_bufs; b++)
    if (map[b] >= 0 && e->bufs[b].inplace_of >= 0) mb[map[b]].inplace_of = map[e->bufs[b].inplace_of];
  mp_result r = {0, 0};
  mp_plan(mb, n, e->align, &r);
  for (int b = 0; b < e->n_bufs; b++)
    if (map[b] >= 0) {
      e->bufs[b].offset = mb[map[b]].offset;
      e->bufs[b].inplace_done = mb[map[b]].inplace_done;
    }
  info->arena_bytes = r.arena_size;
  info->arena_lower_bound = r.lower_bound;
  free(map);
  free(mb);
}

/* ---------------- writing ---------------- */

static void put_comment_text(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '*' && s[1] == '/') fputs("*_", f), s++;
    else if (ch < 32 || ch > 126) fputc('?', f);
    else fputc(ch, f);
  }
}

static void put_double(FILE *f, double v) {
  if (isnan(v)) fputs("NAN", f);
  else if (isinf(v)) fputs(v > 0 ? "HUGE_VAL" : "-HUGE_VAL", f);
  else {
    char b[64];
    snprintf(b, sizeof b, "%.17g", v);
    fputs(b, f);
    if (!strpbrk(b, ".eEn")) fputs(".0", f);
  }
}

static void put_tdescs(FILE *f, const char *name, const nc_tdesc *d, int n) {
  fprintf(f, "static const nc_tdesc %s[%d] = {", name, n > 0 ? n : 1);
  for (int i = 0; i < n; i++) {
    fprintf(f, "%s{%d, %d, {", i ? ", " : "", d[i].dtype, d[i].dtype ? d[i].ndim : 0);
    for (int j = 0; d[i].dtype && j < d[i].ndim; j++)
      fprintf(f, "%s%lld", j ? ", " : "", (long long)d[i].dims[j]);
    /* every field spelled out: user builds may use -Wextra -Werror */
    fprintf(f, "}, %.9ef, %d}", (double)d[i].scale, (int)d[i].zero_point);
  }
  if (n == 0) fputs("{0, 0, {0}, 0.0f, 0}", f);
  fputs("};\n", f);
}

static void put_args(FILE *f, int id, const nc_args *a) {
  char nm[64];
  snprintf(nm, sizeof nm, "s%d_in", id);
  put_tdescs(f, nm, a->in, a->n_in);
  snprintf(nm, sizeof nm, "s%d_out", id);
  put_tdescs(f, nm, a->out, a->n_out);
  if (a->n_ia) {
    fprintf(f, "static const int64_t s%d_ia[%d] = {", id, a->n_ia);
    for (int i = 0; i < a->n_ia; i++)
      fprintf(f, "%s%lldLL", i ? ", " : "", (long long)a->ia[i]);
    fputs("};\n", f);
  }
  if (a->n_fa) {
    fprintf(f, "static const double s%d_fa[%d] = {", id, a->n_fa);
    for (int i = 0; i < a->n_fa; i++) {
      if (i) fputs(", ", f);
      put_double(f, a->fa[i]);
    }
    fputs("};\n", f);
  }
  fprintf(f, "static const nc_args s%d_args = {%d, %d, s%d_in, s%d_out, ", id, a->n_in, a->n_out,
          id, id);
  if (a->n_ia) fprintf(f, "s%d_ia, ", id);
  else fputs("0, ", f);
  if (a->n_fa) fprintf(f, "s%d_fa, ", id);
  else fputs("0, ", f);
  fprintf(f, "%d, %d};\n", a->n_ia, a->n_fa);
}

static void put_buf_ref(FILE *f, const emitter *e, int b, const char *prefix) {
  if (b < 0) {
    fputs("0", f);
    return;
  }
  const buf *x = &e->bufs[b];
  switch (x->kind) {
  case BUF_INPUT: fprintf(f, "inputs[%d]", x->index); break;
  case BUF_OUTPUT: fprintf(f, "outputs[%d]", x->index); break;
  case BUF_WEIGHT: fprintf(f, "(%s_weights + %zu)", prefix, e->w[x->index].offset); break;
  default: fprintf(f, "(arena_ + %zu)", x->offset); break;
  }
}

/* Weights as one string literal: printable bytes raw, the rest as 3-digit
 * octal escapes (never hex: a following digit would extend the escape), '?'
 * escaped against trigraphs. Compilers take this far faster than an
 * initializer list; the text is built in a buffer because a 100 MB model
 * makes ~300 MB of it. */
static void put_weights(FILE *f, const emitter *e, const unsigned char *blob, size_t n) {
  const char *p = e->o->prefix;
  fprintf(f, "static _Alignas(%zu) const unsigned char %s_weights[%zu] =\n", e->align, p, n + 1);
  enum { LINE_BYTES = 120 };
  char *buf = nc_xmalloc(1 << 20);
  size_t len = 0, col = 0;
  buf[len++] = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = blob[i];
    if (c >= 32 && c < 127 && c != '\\' && c != '"' && c != '?') {
      buf[len++] = (char)c;
      col++;
    } else {
      buf[len++] = '\\';
      buf[len++] = (char)('0' + (c >> 6));
      buf[len++] = (char)('0' + ((c >> 3) & 7));
      buf[len++] = (char)('0' + (c & 7));
      col += 4;
    }
    if (col >= LINE_BYTES && i + 1 < n) {
      memcpy(buf + len, "\"\n\"", 3);
      len += 3;
      col = 0;
    }
    if (len > (1 << 20) - 16) {
      fwrite(buf, 1, len, f);
      len = 0;
    }
  }
  buf[len++] = '"';
  fwrite(buf, 1, len, f);
  fputs(";\n\n", f);
  free(buf);
}

static unsigned char *pack_weights(const emitter *e) {
  unsigned char *blob = nc_xcalloc(1, e->wbytes + 1);
  for (int i = 0; i < e->n_w; i++) {
    const wblob *w = &e->w[i];
    const nc_tensor *t = &e->g->tensors[w->tensor];
    if (w->packer) {
      const nc_layer_sel *ls = &e->sel->layers[w->layer];
      const void *consts[64] = {0};
      for (int i = 0; i < ls->na.a.n_in && i < 64; i++) {
        int ti = ls->na.in_tensor[i];
        consts[i] = ti >= 0 ? e->g->tensors[ti].data : NULL;
      }
      nc_routine_pack(w->packer, &nc_cand_args(ls, ls->chosen)->a, w->input, consts,
                      blob + w->offset);
    } else {
      memcpy(blob + w->offset, t->data, w->bytes);
    }
  }
  return blob;
}

/* The model's file name without its directory: model.c and model.h must not
 * depend on where the build ran or how the path was spelled. */
static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static void upper(char *dst, const char *src, size_t n) {
  size_t i = 0;
  for (; src[i] && i + 1 < n; i++) dst[i] = (char)toupper((unsigned char)src[i]);
  dst[i] = 0;
}

static void put_io_table(FILE *f, const nc_graph *g, const char *p, const char *which,
                         const int *ts, int n) {
  fprintf(f, "const %s_tensor_info %s_%s[%d] = {\n", p, p, which, n > 0 ? n : 1);
  for (int i = 0; i < n; i++) {
    const nc_tensor *t = &g->tensors[ts[i]];
    fprintf(f, "  {\"");
    for (const char *c = t->name; *c; c++)
      if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
      else if ((unsigned char)*c < 32 || *c == '?') fprintf(f, "\\%03o", (unsigned char)*c);
      else fputc(*c, f);
    fprintf(f, "\", %d, %d, {", t->desc.dtype, t->desc.ndim);
    for (int d = 0; d < t->desc.ndim; d++) fprintf(f, "%s%lld", d ? ", " : "", (long long)t->desc.dims[d]);
    fprintf(f, "}, %zuu},\n", tensor_bytes(t));
  }
  if (n == 0) fputs("  {\"\", 0, 0, {0}, 0u},\n", f);
  fputs("};\n", f);
}

static int runtime_inputs(const nc_graph *g, int *ts) {
  int n = 0;
  for (int i = 0; i < g->n_inputs; i++)
    if (!g->tensors[g->inputs[i]].data) ts[n++] = g->inputs[i];
  return n;
}

static int write_header(const emitter *e, const char *path, const nc_emit_info *info) {
  const nc_graph *g = e->g;
  const char *p = e->o->prefix;
  char P[128];
  upper(P, p, sizeof P);
  nc_afile af;
  FILE *f = nc_afile_open(&af, path);
  if (!f) return -1;
  int *ins = nc_xmalloc(sizeof(int) * (size_t)(g->n_inputs + 1));
  int n_in = runtime_inputs(g, ins);
  fprintf(f, "/* Generated by neuroc %s from ", NEUROC_VERSION);
  put_comment_text(f, base_name(g->path));
  fprintf(f, " -- do not edit. */\n#ifndef %s_H\n#define %s_H\n\n", P, P);
  fprintf(f, "#include <stddef.h>\n#include <stdint.h>\n\n");
  fprintf(f, "#define %s_ARENA_BYTES %zuu\n#define %s_ARENA_ALIGN %zuu\n", P, info->arena_bytes,
          P, e->align);
  fprintf(f, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n\n", P, n_in, P, g->n_outputs);
  fprintf(f, "/* dtype codes follow ONNX TensorProto.DataType (1 = float32). */\n");
  fprintf(f, "typedef struct %s_tensor_info {\n  const char *name;\n  int32_t dtype;\n"
             "  int32_t ndim;\n  int64_t dims[8];\n  size_t bytes;\n} %s_tensor_info;\n\n", p, p);
  fprintf(f, "extern const %s_tensor_info %s_inputs[];\nextern const %s_tensor_info %s_outputs[];\n\n",
          p, p, p, p);
  for (int i = 0; i < n_in; i++) {
    fprintf(f, "/* input %d: ", i);
    put_comment_text(f, g->tensors[ins[i]].name);
    fprintf(f, " */\n");
  }
  for (int i = 0; i < g->n_outputs; i++) {
    fprintf(f, "/* output %d: ", i);
    put_comment_text(f, g->tensors[g->outputs[i]].name);
    fprintf(f, " */\n");
  }
  fprintf(f, "\n/* Run the model. inputs/outputs: one buffer per tensor, in the order above,\n"
             " * dense row-major. arena: %s_ARENA_BYTES bytes aligned to %s_ARENA_ALIGN,\n"
             " * owned by the caller (place it in any RAM section). Returns 0. */\n", P, P);
  fprintf(f, "int %s_run(const void *const inputs[], void *const outputs[], void *arena);\n\n", p);
  fprintf(f, "#ifndef %s_NO_STATIC_ARENA\n/* Same, with a static arena inside model.c"
             " (define %s_NO_STATIC_ARENA to drop it). Not reentrant. */\n", P, P);
  fprintf(f, "int %s_run_static(const void *const inputs[], void *const outputs[]);\n#endif\n\n", p);
  fprintf(f, "#endif\n");
  free(ins);
  return nc_afile_commit(&af, 1);
}

static void put_step(FILE *f, const emitter *e, int id) {
  const step *s = &e->steps[id];
  const char *p = e->o->prefix;
  if (s->kind == STEP_COPY) {
    fprintf(f, "  memcpy(");
    put_buf_ref(f, e, s->out[0], p);
    fprintf(f, ", ");
    put_buf_ref(f, e, s->in[0], p);
    fprintf(f, ", %zuu);\n", e->bufs[s->out[0]].bytes);
    return;
  }
  fprintf(f, "  { /* ");
  if (s->kind == STEP_ADAPTER) {
    fprintf(f, "adapter ");
    put_comment_text(f, e->g->tensors[s->tensor].name);
  } else {
    const nc_node *n = &e->g->nodes[e->sel->layers[s->layer].node];
    put_comment_text(f, n->name);
    fprintf(f, " (%s)", n->op);
  }
  fprintf(f, ": %s */\n    const void *in_[%d] = {", s->desc, s->n_in > 0 ? s->n_in : 1);
  for (int i = 0; i < s->n_in; i++) {
    if (i) fputs(", ", f);
    put_buf_ref(f, e, s->in[i], p);
  }
  if (!s->n_in) fputs("0", f);
  fprintf(f, "};\n    void *const out_[%d] = {", s->n_out > 0 ? s->n_out : 1);
  for (int i = 0; i < s->n_out; i++) {
    if (i) fputs(", ", f);
    put_buf_ref(f, e, s->out[i], p);
  }
  if (!s->n_out) fputs("0", f);
  fprintf(f, "};\n    %s(&s%d_args, in_, out_, ", s->r->symbol, id);
  put_buf_ref(f, e, s->scratch, p);
  fprintf(f, ");\n  }\n");
}

static int write_source(const emitter *e, const char *path, const unsigned char *blob) {
  const nc_graph *g = e->g;
  const char *p = e->o->prefix;
  char P[128];
  upper(P, p, sizeof P);
  nc_afile af;
  FILE *f = nc_afile_open(&af, path);
  if (!f) return -1;
  fprintf(f, "/* Generated by neuroc %s from ", NEUROC_VERSION);
  put_comment_text(f, base_name(g->path));
  fprintf(f, " for target '%s' -- do not edit.\n * The routine per layer and the predicted times"
             " are in plan.yaml. */\n", e->o->target ? e->o->target->name : "host");
  fprintf(f, "#include <math.h>\n#include <string.h>\n\n#include \"neuroc/rt.h\"\n#include \"%s.h\"\n\n",
          p);
  /* prototypes of the routines used, each once, in first-use order */
  for (int s = 0; s < e->n_steps; s++) {
    const step *st = &e->steps[s];
    if (st->kind == STEP_COPY) continue;
    int seen = 0;
    for (int q = 0; q < s && !seen; q++)
      seen = e->steps[q].kind != STEP_COPY && e->steps[q].r == st->r;
    if (!seen)
      fprintf(f, "void %s(const nc_args *, const void *const *, void *const *, void *);\n",
              st->r->symbol);
  }
  fputs("\n", f);
  int ins[256];
  int n_in = g->n_inputs <= 256 ? runtime_inputs(g, ins) : 0;
  put_io_table(f, g, p, "inputs", ins, n_in);
  put_io_table(f, g, p, "outputs", g->outputs, g->n_outputs);
  fputs("\n", f);
  if (e->n_w) put_weights(f, e, blob, e->wbytes);
  for (int s = 0; s < e->n_steps; s++) {
    const step *st = &e->steps[s];
    if (st->kind == STEP_ROUTINE) {
      const nc_layer_sel *ls = &e->sel->layers[st->layer];
      put_args(f, s, &nc_cand_args(ls, ls->chosen)->a);
    } else if (st->kind == STEP_ADAPTER) {
      nc_tdesc d[2];
      nc_format_desc(&g->tensors[st->tensor], st->from, &d[0]);
      nc_format_desc(&g->tensors[st->tensor], st->to, &d[1]);
      nc_args a = {1, 1, &d[0], &d[1], NULL, NULL, 0, 0};
      put_args(f, s, &a);
    }
  }
  fprintf(f, "\nint %s_run(const void *const inputs[], void *const outputs[], void *arena) {\n", p);
  fprintf(f, "  unsigned char *arena_ = (unsigned char *)arena;\n");
  fprintf(f, "  (void)inputs;\n  (void)outputs;\n  (void)arena_;\n");
  for (int s = 0; s < e->n_steps; s++) put_step(f, e, s);
  fprintf(f, "  return 0;\n}\n\n");
  fprintf(f, "#ifndef %s_NO_STATIC_ARENA\nstatic _Alignas(%zu) unsigned char %s_arena[%s_ARENA_BYTES + 1];\n",
          P, e->align, p, P);
  fprintf(f, "int %s_run_static(const void *const inputs[], void *const outputs[]) {\n"
             "  return %s_run(inputs, outputs, %s_arena);\n}\n#endif\n", p, p, p);
  return nc_afile_commit(&af, 1);
}

static void yaml_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 32) fprintf(f, "\\x%02x", (unsigned char)*s);
    else fputc(*s, f);
  }
  fputc('"', f);
}

/* Calibrated u8 parameters of the activations (compile --plan restores them,
 * so quantized routines get the same args and the build is reproducible). */
static void put_quantization(FILE *f, const nc_graph *g) {
  int any = 0;
  for (int t = 0; t < g->n_tensors; t++) {
    if (g->tensors[t].qscale <= 0.0f) continue;
    if (!any++) fprintf(f, "quantization:\n");
    fprintf(f, "  - {tensor: ");
    yaml_str(f, g->tensors[t].name);
    fprintf(f, ", scale: %.9g, zero_point: %d}\n", (double)g->tensors[t].qscale,
            (int)g->tensors[t].qzero);
  }
}

/* Memory budgets of the target (0 = none) and what this plan uses: the sizes
 * of the static arena and weight objects in model.c (docs/dprs.md). */
static void put_budget(FILE *f, const nc_target *t, const nc_emit_info *info) {
  fprintf(f, "budget:\n  ram: ");
  if (t && t->ram_bytes > 0) fprintf(f, "%lld", t->ram_bytes);
  else fputs("none", f);
  fputs("\n  flash: ", f);
  if (t && t->flash_bytes > 0) fprintf(f, "%lld", t->flash_bytes);
  else fputs("none", f);
  fprintf(f, "\n  used_ram: %zu\n  used_flash: %zu\n", info->used_ram, info->used_flash);
}

/* --routine constraints as given (constraint.h): recorded, the plan's routines obey them. */
static void put_constraints(FILE *f, const nc_options *o) {
  if (!o->n_force) return;
  fprintf(f, "constraints:\n");
  for (int i = 0; i < o->n_force; i++) {
    fprintf(f, "  - ");
    yaml_str(f, o->force[i]);
    fputc('\n', f);
  }
}

/* Activation buffers (arena, inputs, outputs; weights left out) with their
 * arena offsets and lifetimes in steps, and per step the ones it reads and
 * writes: what `neuroc report` draws the graph edges and arena map from. */
static void put_buffers(FILE *f, const emitter *e) {
  static const char *const place[] = {"arena", "input", "output", "weight"};
  char fn[32];
  fprintf(f, "buffers:\n");
  for (int b = 0; b < e->n_bufs; b++) {
    const buf *x = &e->bufs[b];
    if (x->kind == BUF_WEIGHT || x->first < 0) continue;
    fprintf(f, "  - {id: %d, tensor: ", b);
    yaml_str(f, x->tensor >= 0 ? e->g->tensors[x->tensor].name : "(scratch)");
    fprintf(f, ", format: %s, place: %s, offset: %zu, bytes: %zu, first: %d, last: %d}\n",
            nc_format_name(x->layout, fn, sizeof fn), place[x->kind],
            x->kind == BUF_ARENA ? x->offset : 0, x->bytes, x->first, x->last);
  }
}

static void put_buffer_ids(FILE *f, const emitter *e, const char *key, const int *ids, int n) {
  fprintf(f, "    %s: [", key);
  for (int i = 0, k = 0; i < n; i++)
    if (ids[i] >= 0 && e->bufs[ids[i]].kind != BUF_WEIGHT) fprintf(f, "%s%d", k++ ? ", " : "", ids[i]);
  fprintf(f, "]\n");
}

static int write_plan(const emitter *e, const char *path, const nc_emit_info *info) {
  const nc_graph *g = e->g;
  const nc_selection *sel = e->sel;
  nc_afile af;
  FILE *f = nc_afile_open(&af, path);
  if (!f) return -1;
  double adapters_ms = 0.0, total = 0.0;
  for (int s = 0; s < e->n_steps; s++) {
    total += e->steps[s].ms;
    if (e->steps[s].kind == STEP_ADAPTER) adapters_ms += e->steps[s].ms;
  }
  fprintf(f, "# Generated by neuroc %s -- the routine path chosen by DPRS.\n", NEUROC_VERSION);
  fprintf(f, "neuroc_version: %s\nmodel: ", NEUROC_VERSION);
  yaml_str(f, g->path);
  fprintf(f, "\ntarget: ");
  yaml_str(f, e->o->target ? e->o->target->name : "host");
  /* identity: what compile --plan checks before reproducing the C */
  char hash[64];
  fprintf(f, "\nmodel_hash: %s\n", nc_file_hash(g->path, hash, sizeof hash));
  fprintf(f, "target_spec: ");
  yaml_str(f, e->o->target && e->o->target->path ? e->o->target->path : "");
  /* parsed content, not file bytes: a comment edit does not invalidate a plan */
  fprintf(f, "\ntarget_hash: %s\n",
          e->o->target && e->o->target->spec_hash[0] ? e->o->target->spec_hash : "none");
  fprintf(f, "library_version: ");
  yaml_str(f, sel->library_version ? sel->library_version : nc_runtime_version());
  fprintf(f, "\nfingerprint: ");
  yaml_str(f, sel->fingerprint ? sel->fingerprint : "unknown");
  fprintf(f, "\ncost_source: %s\n", sel->cost_name ? sel->cost_name : "none");
  fprintf(f, "predicted_ms: %.6f\n", total);
  fprintf(f, "predicted_adapters_ms: %.6f\n", adapters_ms);
  fprintf(f, "dprs:\n  exact: %s\n  total_ms: %.6f\n  lower_bound_ms: %.6f\n  max_states: %ld\n"
             "  seconds: %.6f\n",
          sel->exact ? "true" : "false", sel->total_ms, sel->lower_bound_ms, sel->dprs_states,
          sel->dprs_seconds);
  fprintf(f, "arena_bytes: %zu\narena_lower_bound_bytes: %zu\nweights_bytes: %zu\n",
          info->arena_bytes, info->arena_lower_bound, info->weights_bytes);
  put_budget(f, e->o->target, info);
  put_quantization(f, g);
  put_constraints(f, e->o);
  put_buffers(f, e);
  if (sel->model_err_samples > 0)
    fprintf(f, "accuracy:\n  samples: %d\n  rel_l2: %.6g\n  top1: %.6g\n",
            sel->model_err_samples, sel->model_rel_l2, sel->model_top1);
  fprintf(f, "steps:\n");
  for (int s = 0; s < e->n_steps; s++) {
    const step *st = &e->steps[s];
    if (st->kind == STEP_COPY) {
      fprintf(f, "  - copy: ");
      yaml_str(f, g->tensors[e->bufs[st->out[0]].tensor].name);
      fprintf(f, "\n");
      put_buffer_ids(f, e, "reads", st->in, st->n_in);
      put_buffer_ids(f, e, "writes", st->out, st->n_out);
      continue;
    }
    if (st->kind == STEP_ADAPTER) {
      fprintf(f, "  - adapter: ");
      yaml_str(f, g->tensors[st->tensor].name);
      char fn[32], tn[32];
      fprintf(f, "\n    from: %s\n    to: %s\n", nc_format_name(st->from, fn, sizeof fn),
              nc_format_name(st->to, tn, sizeof tn));
    } else {
      const nc_layer_sel *ls = &sel->layers[st->layer];
      const nc_node *n = &g->nodes[ls->node];
      fprintf(f, "  - layer: ");
      yaml_str(f, n->name);
      fprintf(f, "\n    op: %s\n", n->op);
    }
    fprintf(f, "    routine: %s\n    predicted_ms: %.6f\n", st->desc, st->ms);
    put_buffer_ids(f, e, "reads", st->in, st->n_in);
    put_buffer_ids(f, e, "writes", st->out, st->n_out);
    if (st->kind == STEP_ROUTINE) {
      const nc_layer_sel *ls = &sel->layers[st->layer];
      if (ls->cands[ls->chosen].err > 0.0)
        fprintf(f, "    err: %.6g\n", ls->cands[ls->chosen].err);
    }
    if (st->kind == STEP_ROUTINE && sel->layers[st->layer].n_cands > 1) {
      const nc_layer_sel *ls = &sel->layers[st->layer];
      fprintf(f, "    candidates:\n");
      for (int c = 0; c < ls->n_cands; c++) {
        fprintf(f, "      - {routine: %s, ms: %.6f, spread: %.3f", ls->cands[c].desc,
                ls->cands[c].ms, ls->cands[c].spread);
        if (ls->cands[c].err > 0.0) fprintf(f, ", err: %.6g", ls->cands[c].err);
        fprintf(f, "}\n");
      }
    }
  }
  return nc_afile_commit(&af, 1);
}


enum { EMIT_ALL, EMIT_PLAN, EMIT_SIZES };

static int emit(const nc_graph *g, const nc_selection *sel, const nc_options *o, const char *dir,
                nc_emit_info *info, int mode) {
  int plan_only = mode != EMIT_ALL;
  emitter e;
  memset(&e, 0, sizeof e);
  memset(info, 0, sizeof *info);
  e.g = g;
  e.sel = sel;
  e.o = o;
  e.align = o->target && o->target->alignment > 0 ? (size_t)o->target->alignment : 64;
  e.tl_buf = nc_xmalloc(sizeof(int) * (size_t)(g->n_tensors + 1) * NC_FORMAT_COUNT);
  for (int i = 0; i < (g->n_tensors + 1) * NC_FORMAT_COUNT; i++) e.tl_buf[i] = -1;
  int rc = build_steps(&e);
  unsigned char *blob = NULL;
  if (!rc) {
    plan_arena(&e, info);
    info->weights_bytes = e.wbytes;
    info->n_steps = e.n_steps;
    for (int s = 0; s < e.n_steps; s++) info->n_adapters += e.steps[s].kind == STEP_ADAPTER;
    /* write_source declares the arena and the weights one byte longer */
    info->used_ram = info->arena_bytes + 1;
    info->used_flash = e.n_w ? e.wbytes + 1 : 0;
    if (!plan_only) blob = pack_weights(&e);
    if (mode != EMIT_SIZES) rc = nc_mkdir_p(dir);
  }
  char path[4096];
  if (!rc && !plan_only) {
    snprintf(path, sizeof path, "%s/%s.h", dir, o->prefix);
    rc = write_header(&e, path, info);
  }
  if (!rc && !plan_only) {
    snprintf(path, sizeof path, "%s/%s.c", dir, o->prefix);
    rc = write_source(&e, path, blob);
  }
  if (!rc && mode != EMIT_SIZES) {
    snprintf(path, sizeof path, "%s/plan.yaml", dir);
    rc = write_plan(&e, path, info);
  }
  free(blob);
  free(e.bufs);
  free(e.steps);
  free(e.w);
  free(e.tl_buf);
  return rc ? -1 : 0;
}

int nc_emit(const nc_graph *g, const nc_selection *sel, const nc_options *o, const char *dir,
            nc_emit_info *info) {
  return emit(g, sel, o, dir, info, EMIT_ALL);
}

int nc_emit_sizes(const nc_graph *g, const nc_selection *sel, const nc_options *o,
                  nc_emit_info *info) {
  return emit(g, sel, o, NULL, info, EMIT_SIZES);
}

int nc_emit_plan(const nc_graph *g, const nc_selection *sel, const nc_options *o, const char *dir,
                 nc_emit_info *info) {
  return emit(g, sel, o, dir, info, EMIT_PLAN);
}
