/* `neuroc report`: plan.yaml -> one self-contained HTML page and a Graphviz
 * dot file (report.h). The C side reads the plan and derives the edges (a
 * step that reads a buffer is fed by the last earlier step that wrote it);
 * the page embeds that as JSON and its script draws the SVG, so the page
 * needs no network and the dot file and the page show the same graph. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "compile.h"

typedef struct ydoc {
  const char *path;
  yaml_document_t doc;
} ydoc;

static int line_of(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }

static yaml_node_t *yget(ydoc *d, const yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE) return NULL;
  for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < map->data.mapping.pairs.top; q++) {
    yaml_node_t *k = yaml_document_get_node(&d->doc, q->key);
    if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(&d->doc, q->value);
  }
  return NULL;
}

static const char *yscalar(ydoc *d, const yaml_node_t *map, const char *key) {
  yaml_node_t *v = yget(d, map, key);
  return v && v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : NULL;
}

static void ycopy(ydoc *d, const yaml_node_t *map, const char *key, char *dst, size_t cap) {
  const char *s = yscalar(d, map, key);
  snprintf(dst, cap, "%s", s ? s : "");
}

/* A number under key; missing -> def; malformed -> -1 with a message. */
static int ynum(ydoc *d, const yaml_node_t *map, const char *key, double def, double *out) {
  const char *s = yscalar(d, map, key);
  *out = def;
  if (!s) return 0;
  char *end;
  *out = strtod(s, &end);
  if (end == s || *end)
    return nc_fail("%s:%d: '%s' is not a number: '%s'", d->path, line_of(yget(d, map, key)), key, s);
  return 0;
}

static int yints(ydoc *d, const yaml_node_t *map, const char *key, int *dst, int cap, int *n) {
  *n = 0;
  yaml_node_t *v = yget(d, map, key);
  if (!v) return 0;
  if (v->type != YAML_SEQUENCE_NODE)
    return nc_fail("%s:%d: '%s' must be a list of buffer ids", d->path, line_of(v), key);
  for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
    yaml_node_t *x = yaml_document_get_node(&d->doc, *it);
    char *end;
    long id = x && x->type == YAML_SCALAR_NODE ? strtol((const char *)x->data.scalar.value, &end, 10) : -1;
    if (!x || x->type != YAML_SCALAR_NODE || *end || id < 0 || *n == cap)
      return nc_fail("%s:%d: bad buffer id in '%s'", d->path, line_of(v), key);
    dst[(*n)++] = (int)id;
  }
  return 0;
}

static int read_buffers(ydoc *d, yaml_node_t *root, nc_report_plan *p) {
  yaml_node_t *bl = yget(d, root, "buffers");
  if (!bl || bl->type != YAML_SEQUENCE_NODE)
    return nc_fail("%s: no 'buffers:' list: the plan was written by a neuroc without `report` "
                   "support; compile or tune again", d->path);
  int cap = (int)(bl->data.sequence.items.top - bl->data.sequence.items.start);
  p->bufs = nc_xcalloc((size_t)cap + 1, sizeof *p->bufs);
  for (yaml_node_item_t *it = bl->data.sequence.items.start; it < bl->data.sequence.items.top; it++) {
    yaml_node_t *m = yaml_document_get_node(&d->doc, *it);
    nc_rbuf *b = &p->bufs[p->n_bufs++];
    double id, off, bytes, first, last;
    if (!m || m->type != YAML_MAPPING_NODE || !yscalar(d, m, "id"))
      return nc_fail("%s:%d: a buffer must be a mapping with an id", d->path, m ? line_of(m) : 1);
    if (ynum(d, m, "id", -1, &id) || ynum(d, m, "offset", 0, &off) ||
        ynum(d, m, "bytes", 0, &bytes) || ynum(d, m, "first", 0, &first) ||
        ynum(d, m, "last", 0, &last))
      return -1;
    b->id = (int)id;
    b->offset = (long long)off;
    b->bytes = (long long)bytes;
    b->first = (int)first;
    b->last = (int)last;
    ycopy(d, m, "tensor", b->tensor, sizeof b->tensor);
    ycopy(d, m, "format", b->format, sizeof b->format);
    ycopy(d, m, "place", b->place, sizeof b->place);
  }
  return 0;
}

static int read_step(ydoc *d, yaml_node_t *m, int *n_layers, nc_rstep *s) {
  s->layer_index = -1;
  s->err = -1.0;
  s->measured_ms = -1.0;
  if (yscalar(d, m, "layer")) {
    s->kind = NC_RSTEP_LAYER;
    s->layer_index = (*n_layers)++;
    ycopy(d, m, "layer", s->name, sizeof s->name);
    ycopy(d, m, "op", s->op, sizeof s->op);
  } else if (yscalar(d, m, "adapter")) {
    s->kind = NC_RSTEP_ADAPTER;
    ycopy(d, m, "adapter", s->name, sizeof s->name);
    snprintf(s->op, sizeof s->op, "adapter");
    ycopy(d, m, "from", s->from, sizeof s->from);
    ycopy(d, m, "to", s->to, sizeof s->to);
  } else if (yscalar(d, m, "copy")) {
    s->kind = NC_RSTEP_COPY;
    ycopy(d, m, "copy", s->name, sizeof s->name);
    snprintf(s->op, sizeof s->op, "copy");
  } else {
    return nc_fail("%s:%d: a step must be a layer, an adapter or a copy", d->path, line_of(m));
  }
  ycopy(d, m, "routine", s->routine, sizeof s->routine);
  if (ynum(d, m, "predicted_ms", 0.0, &s->ms) || ynum(d, m, "err", -1.0, &s->err)) return -1;
  return yints(d, m, "reads", s->reads, 64, &s->n_reads) ||
         yints(d, m, "writes", s->writes, 16, &s->n_writes);
}

static int read_steps(ydoc *d, yaml_node_t *root, nc_report_plan *p) {
  yaml_node_t *sl = yget(d, root, "steps");
  if (!sl || sl->type != YAML_SEQUENCE_NODE)
    return nc_fail("%s: no 'steps:' list: not a neuroc plan", d->path);
  int cap = (int)(sl->data.sequence.items.top - sl->data.sequence.items.start);
  p->steps = nc_xcalloc((size_t)cap + 1, sizeof *p->steps);
  int n_layers = 0;
  for (yaml_node_item_t *it = sl->data.sequence.items.start; it < sl->data.sequence.items.top; it++) {
    yaml_node_t *m = yaml_document_get_node(&d->doc, *it);
    if (!m || m->type != YAML_MAPPING_NODE)
      return nc_fail("%s:%d: a step must be a mapping", d->path, m ? line_of(m) : 1);
    nc_rstep *s = &p->steps[p->n_steps++];
    if (read_step(d, m, &n_layers, s)) return -1;
    if (s->err >= 0.0) p->mixed = 1;
  }
  return 0;
}

static void read_constraints(ydoc *d, yaml_node_t *root, nc_report_plan *p) {
  yaml_node_t *cl = yget(d, root, "constraints");
  if (!cl || cl->type != YAML_SEQUENCE_NODE) return;
  int cap = (int)(cl->data.sequence.items.top - cl->data.sequence.items.start);
  p->constraints = nc_xcalloc((size_t)cap + 1, sizeof *p->constraints);
  for (yaml_node_item_t *it = cl->data.sequence.items.start; it < cl->data.sequence.items.top; it++) {
    yaml_node_t *x = yaml_document_get_node(&d->doc, *it);
    if (x && x->type == YAML_SCALAR_NODE)
      p->constraints[p->n_constraints++] = nc_xstrdup((const char *)x->data.scalar.value);
  }
}

/* Edges: each buffer a step reads comes from the last earlier step that
 * wrote it, or from the graph input it is. */
static void derive_edges(nc_report_plan *p) {
  int cap = 0;
  for (int s = 0; s < p->n_steps; s++) cap += p->steps[s].n_reads;
  p->edges = nc_xcalloc((size_t)cap + 1, sizeof *p->edges);
  for (int s = 0; s < p->n_steps; s++)
    for (int r = 0; r < p->steps[s].n_reads; r++) {
      int b = p->steps[s].reads[r], from = -2;
      for (int q = s - 1; q >= 0 && from == -2; q--)
        for (int w = 0; w < p->steps[q].n_writes; w++)
          if (p->steps[q].writes[w] == b) from = q;
      for (int i = 0; from == -2 && i < p->n_bufs; i++)
        if (p->bufs[i].id == b && strcmp(p->bufs[i].place, "input") == 0) from = -1 - i;
      if (from == -2) continue; /* e.g. a buffer the plan does not list */
      p->edges[p->n_edges++] = (nc_redge){from, s, b};
    }
}

static int load_doc(ydoc *d, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return nc_fail("%s: cannot open plan", path);
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  int ok = yaml_parser_load(&parser, &d->doc);
  if (!ok) {
    nc_fail("%s:%d: YAML error: %s", path, (int)parser.problem_mark.line + 1,
            parser.problem ? parser.problem : "malformed");
  }
  yaml_parser_delete(&parser);
  fclose(f);
  return ok ? 0 : -1;
}

nc_report_plan *nc_report_load(const char *path) {
  nc_report_plan *p = nc_xcalloc(1, sizeof *p);
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) snprintf(p->path, sizeof p->path, "%s/plan.yaml", path);
  else snprintf(p->path, sizeof p->path, "%s", path);
  ydoc d;
  memset(&d, 0, sizeof d);
  d.path = p->path;
  if (load_doc(&d, p->path)) {
    free(p);
    return NULL;
  }
  yaml_node_t *root = yaml_document_get_root_node(&d.doc);
  int rc = 0;
  if (!root || root->type != YAML_MAPPING_NODE) rc = nc_fail("%s: not a neuroc plan (no mapping)", p->path);
  double v;
  if (!rc) {
    ycopy(&d, root, "model", p->model, sizeof p->model);
    ycopy(&d, root, "target", p->target, sizeof p->target);
    const char *ex = yscalar(&d, yget(&d, root, "dprs"), "exact");
    p->exact = ex && strcmp(ex, "true") == 0;
    rc = ynum(&d, root, "predicted_ms", 0, &p->predicted_ms) ||
         ynum(&d, root, "predicted_adapters_ms", 0, &p->adapters_ms);
  }
  if (!rc && !(rc = ynum(&d, root, "arena_bytes", 0, &v))) p->arena_bytes = (long long)v;
  if (!rc && !(rc = ynum(&d, root, "arena_lower_bound_bytes", 0, &v))) p->arena_lower_bound = (long long)v;
  if (!rc && !(rc = ynum(&d, root, "weights_bytes", 0, &v))) p->weights_bytes = (long long)v;
  if (!rc) rc = read_steps(&d, root, p) || read_buffers(&d, root, p);
  if (!rc) {
    read_constraints(&d, root, p);
    derive_edges(p);
  }
  yaml_document_delete(&d.doc);
  if (rc) {
    nc_report_free(p);
    return NULL;
  }
  return p;
}

void nc_report_free(nc_report_plan *p) {
  if (!p) return;
  for (int i = 0; i < p->n_constraints; i++) free(p->constraints[i]);
  free(p->constraints);
  free(p->steps);
  free(p->bufs);
  free(p->edges);
  free(p);
}

int nc_report_add_measured(nc_report_plan *p, const char *path) {
  ydoc d;
  memset(&d, 0, sizeof d);
  d.path = path;
  if (load_doc(&d, path)) return -1;
  yaml_node_t *root = yaml_document_get_root_node(&d.doc);
  yaml_node_t *sl = yget(&d, root, "steps");
  double runs = 0;
  int rc = 0;
  if (!sl || sl->type != YAML_SEQUENCE_NODE)
    rc = nc_fail("%s: no 'steps:' list of {step: I, ms: T}", path);
  if (!rc) rc = ynum(&d, root, "runs", 0, &runs);
  for (yaml_node_item_t *it = rc ? NULL : sl->data.sequence.items.start;
       it && it < sl->data.sequence.items.top && !rc; it++) {
    yaml_node_t *m = yaml_document_get_node(&d.doc, *it);
    double step, ms;
    if (!m || m->type != YAML_MAPPING_NODE || !yscalar(&d, m, "step") || !yscalar(&d, m, "ms")) {
      rc = nc_fail("%s:%d: a measured step must be {step: I, ms: T}", path, m ? line_of(m) : 1);
    } else if (!(rc = ynum(&d, m, "step", -1, &step) || ynum(&d, m, "ms", -1, &ms))) {
      /* a measurement of another plan is a mistake worth stopping for */
      if (step < 0 || step >= p->n_steps || step != (int)step || ms < 0)
        rc = nc_fail("%s:%d: step %g / ms %g does not fit %s (%d steps)", path, line_of(m), step,
                     ms, p->path, p->n_steps);
      else p->steps[(int)step].measured_ms = ms;
    }
  }
  yaml_document_delete(&d.doc);
  if (!rc) {
    snprintf(p->measured_from, sizeof p->measured_from, "%s", path);
    p->measured_runs = (int)runs;
  }
  return rc;
}

/* ---------------- dot ---------------- */

static void dot_str(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s >= 32) fputc(*s, f);
  }
}

int nc_report_write_dot(const nc_report_plan *p, const char *path) {
  nc_afile af;
  FILE *f = nc_afile_open(&af, path);
  if (!f) return -1;
  fprintf(f, "// Generated by neuroc report from %s -- do not edit.\n", p->path);
  fprintf(f, "digraph plan {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n");
  for (int i = 0; i < p->n_bufs; i++)
    if (strcmp(p->bufs[i].place, "input") == 0) {
      fprintf(f, "  in%d [label=\"input ", i);
      dot_str(f, p->bufs[i].tensor);
      fprintf(f, "\", shape=ellipse];\n");
    }
  for (int s = 0; s < p->n_steps; s++) {
    const nc_rstep *st = &p->steps[s];
    fprintf(f, "  s%d [label=\"", s);
    if (st->kind == NC_RSTEP_LAYER) fprintf(f, "#%d ", st->layer_index);
    dot_str(f, st->name);
    fprintf(f, " (");
    dot_str(f, st->op);
    fprintf(f, ")\\n");
    dot_str(f, st->routine);
    fprintf(f, "\\n%.4f ms\"", st->ms);
    if (st->kind == NC_RSTEP_ADAPTER)
      fprintf(f, ", class=\"adapter\", style=filled, fillcolor=\"#ffb347\"");
    else if (st->kind == NC_RSTEP_COPY)
      fprintf(f, ", class=\"copy\", style=dashed");
    fprintf(f, "];\n");
  }
  for (int e = 0; e < p->n_edges; e++) {
    const nc_redge *ed = &p->edges[e];
    const nc_rbuf *b = NULL;
    for (int i = 0; i < p->n_bufs && !b; i++)
      if (p->bufs[i].id == ed->buffer) b = &p->bufs[i];
    if (ed->from >= 0) fprintf(f, "  s%d -> s%d", ed->from, ed->to);
    else fprintf(f, "  in%d -> s%d", -1 - ed->from, ed->to);
    if (b) {
      fprintf(f, " [label=\"");
      dot_str(f, b->tensor);
      fprintf(f, " %s\"]", b->format);
    }
    fprintf(f, ";\n");
  }
  fprintf(f, "}\n");
  return nc_afile_commit(&af, 1);
}

/* ---------------- HTML ---------------- */

/* A JSON string; '<' and '>' escaped so no tensor name can close the script. */
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 32 || c == '<' || c == '>' || c == '&') fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static void html_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

static void json_ints(FILE *f, const int *v, int n) {
  fputc('[', f);
  for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", v[i]);
  fputc(']', f);
}

static void write_json(FILE *f, const nc_report_plan *p) {
  static const char *const kinds[] = {"layer", "adapter", "copy"};
  fprintf(f, "{\"model\":");
  json_str(f, p->model);
  fprintf(f, ",\"target\":");
  json_str(f, p->target);
  fprintf(f, ",\"predicted_ms\":%.6f,\"arena_bytes\":%lld,\"mixed\":%s,\n\"steps\":[\n",
          p->predicted_ms, p->arena_bytes, p->mixed ? "true" : "false");
  for (int s = 0; s < p->n_steps; s++) {
    const nc_rstep *st = &p->steps[s];
    fprintf(f, "%s{\"kind\":\"%s\",\"index\":%d,\"name\":", s ? ",\n" : "", kinds[st->kind],
            st->layer_index);
    json_str(f, st->name);
    fprintf(f, ",\"op\":");
    json_str(f, st->op);
    fprintf(f, ",\"routine\":");
    json_str(f, st->routine);
    fprintf(f, ",\"from\":");
    json_str(f, st->from);
    fprintf(f, ",\"to\":");
    json_str(f, st->to);
    fprintf(f, ",\"ms\":%.6f,\"measured\":%.6f,\"err\":%.6g,\"reads\":", st->ms,
            st->measured_ms, st->err);
    json_ints(f, st->reads, st->n_reads);
    fprintf(f, ",\"writes\":");
    json_ints(f, st->writes, st->n_writes);
    fputc('}', f);
  }
  fprintf(f, "],\n\"buffers\":[\n");
  for (int i = 0; i < p->n_bufs; i++) {
    const nc_rbuf *b = &p->bufs[i];
    fprintf(f, "%s{\"id\":%d,\"tensor\":", i ? ",\n" : "", b->id);
    json_str(f, b->tensor);
    fprintf(f, ",\"format\":");
    json_str(f, b->format);
    fprintf(f, ",\"place\":");
    json_str(f, b->place);
    fprintf(f, ",\"offset\":%lld,\"bytes\":%lld,\"first\":%d,\"last\":%d}", b->offset, b->bytes,
            b->first, b->last);
  }
  fprintf(f, "],\n\"edges\":[");
  for (int e = 0; e < p->n_edges; e++)
    fprintf(f, "%s[%d,%d,%d]", e ? "," : "", p->edges[e].from, p->edges[e].to, p->edges[e].buffer);
  fprintf(f, "]}");
}

static const char *page_css =
    "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
    "table.summary td{padding:2px 10px 2px 0}\n"
    "svg text{font-family:monospace;font-size:11px}\n"
    ".node.layer rect{fill:#dbe9f6;stroke:#36c}\n"
    ".node.adapter rect{fill:#ffb347;stroke:#c60}\n"
    ".node.copy rect{fill:#eee;stroke:#888;stroke-dasharray:4 2}\n"
    ".node.input rect{fill:#e3f4e1;stroke:#393}\n"
    ".edge{fill:none;stroke:#555;stroke-width:1.2}\n"
    ".bar.predicted{fill:#36c}.bar.predicted.adapter{fill:#f90}.bar.measured{fill:#2a2}\n"
    ".measured-label{fill:#2a2}\n"
    ".arena-rect{stroke:#222;stroke-width:0.5}.arena-rect.scratch{fill:#bbb}\n"
    ".err-bar{fill:#c33}.note{color:#666;font-size:0.9em}\n";

/* Builds every figure from the embedded JSON (ids and classes are what
 * tests/report/check_report.sh looks for; docs/report.md lists them). */
static const char *page_js =
    "(function(){\n"
    "var D=JSON.parse(document.getElementById('plan-data').textContent);\n"
    "var NS='http://www.w3.org/2000/svg';\n"
    "function el(n,a,p){var e=document.createElementNS(NS,n);for(var k in a)e.setAttribute(k,a[k]);"
    "if(p)p.appendChild(e);return e;}\n"
    "function txt(p,x,y,s,c){var t=el('text',{x:x,y:y},p);if(c)t.setAttribute('class',c);"
    "t.textContent=s;return t;}\n"
    "function tip(p,s){el('title',{},p).textContent=s;}\n"
    "function label(s){return s.kind==='layer'?'#'+s.index+' '+s.name+' ('+s.op+')':"
    "s.kind==='adapter'?'adapter '+s.name+': '+s.from+' -> '+s.to:'copy '+s.name;}\n"
    /* graph: inputs, then steps top to bottom in execution order */
    "var W=460,H=38,G=22,X=20,rows=[],inputs=[];\n"
    "D.buffers.forEach(function(b,i){if(b.place==='input')inputs.push(i);});\n"
    "var n=inputs.length+D.steps.length;\n"
    "var gs=el('svg',{id:'graph-svg',width:W+260,height:n*(H+G)+20},null);\n"
    "document.getElementById('graph').appendChild(gs);\n"
    "var eg=el('g',{id:'edges'},gs),ng=el('g',{id:'nodes'},gs);\n"
    "function rowY(r){return 10+r*(H+G);}\n"
    "inputs.forEach(function(bi,r){var b=D.buffers[bi];var g=el('g',{'class':'node input',"
    "id:'input-'+bi,'data-tensor':b.tensor},ng);el('rect',{x:X,y:rowY(r),width:W,height:H,rx:5},g);"
    "txt(g,X+8,rowY(r)+15,'input '+b.tensor);txt(g,X+8,rowY(r)+30,b.format+', '+b.bytes+' bytes');});\n"
    "D.steps.forEach(function(s,i){var r=inputs.length+i;var g=el('g',{'class':'node '+s.kind,"
    "id:'node-'+i,'data-routine':s.routine},ng);el('rect',{x:X,y:rowY(r),width:W,height:H,rx:5},g);"
    "txt(g,X+8,rowY(r)+15,label(s));txt(g,X+8,rowY(r)+30,s.routine+'  '+s.ms.toFixed(4)+' ms');"
    "tip(g,label(s)+'\\n'+s.routine);});\n"
    "function rowOf(f){return f>=0?inputs.length+f:inputs.indexOf(-1-f);}\n"
    "D.edges.forEach(function(e,k){var a=rowOf(e[0]),b=inputs.length+e[1];var y0=rowY(a)+H,y1=rowY(b);"
    "var d;if(b===a+1){d='M'+(X+W/2)+','+y0+' L'+(X+W/2)+','+y1;}else{var xo=X+W+20+12*(k%16);"
    "d='M'+(X+W)+','+(rowY(a)+H/2)+' C'+xo+','+(rowY(a)+H/2)+' '+xo+','+(y1+H/2)+' '+(X+W)+','+(y1+H/2);}"
    "var p=el('path',{'class':'edge',d:d,'data-buffer':e[2]},eg);}"
    ");\n"
    /* per-layer time bars */
    "var steps=D.steps.filter(function(s){return s.kind!=='copy';});\n"
    "var mx=Math.max.apply(null,steps.map(function(s){return s.ms;}).concat([1e-9]));\n"
    "var BW=420,LW=300,BH=16;\n"
    "var ts=el('svg',{id:'time-svg',width:LW+BW+120,height:steps.length*(BH+4)+10},null);\n"
    "document.getElementById('time').appendChild(ts);\n"
    "var meas=steps.some(function(s){return s.measured>=0;});"
    "if(meas){mx=Math.max(mx,Math.max.apply(null,steps.map(function(s){return s.measured;})));"
    "ts.setAttribute('height',steps.length*(2*BH+6)+10);}\n"
    "var RH=meas?2*BH+6:BH+4;\n"
    "steps.forEach(function(s,i){var y=5+i*RH;txt(ts,0,y+12,label(s).slice(0,44));"
    "var w=Math.max(1,BW*s.ms/mx);var r=el('rect',{'class':'bar predicted'+(s.kind==='adapter'?' adapter':''),"
    "x:LW,y:y,width:w,height:BH,'data-ms':s.ms},ts);tip(r,s.routine+': '+s.ms+' ms predicted');"
    "txt(ts,LW+w+6,y+12,s.ms.toFixed(4)+' ms');"
    "if(meas&&s.measured>=0){var wm=Math.max(1,BW*s.measured/mx);var q=el('rect',{'class':'bar measured',"
    "x:LW,y:y+BH+1,width:wm,height:BH-4,'data-ms':s.measured},ts);"
    "tip(q,s.routine+': '+s.measured+' ms measured in the running model');"
    "txt(ts,LW+wm+6,y+BH+10,s.measured.toFixed(4)+' ms measured','measured-label');}});\n"
    /* arena map: x = step, y = offset */
    "var AW=Math.max(400,Math.min(1000,D.steps.length*40)),AH=320,cw=AW/Math.max(1,D.steps.length);\n"
    "var sc=AH/Math.max(1,D.arena_bytes);\n"
    "var as=el('svg',{id:'arena-svg',width:AW+80,height:AH+40},null);\n"
    "document.getElementById('arena').appendChild(as);\n"
    "el('rect',{x:60,y:10,width:AW,height:AH,fill:'none',stroke:'#999'},as);\n"
    "txt(as,0,20,'0');txt(as,0,AH+10,String(D.arena_bytes));txt(as,60,AH+30,'step 0 .. '+(D.steps.length-1)+' (time)');\n"
    "D.buffers.forEach(function(b,i){if(b.place!=='arena')return;var hue=(i*67)%360;"
    "var r=el('rect',{'class':'arena-rect'+(b.tensor==='(scratch)'?' scratch':''),x:60+b.first*cw,"
    "y:10+b.offset*sc,width:Math.max(2,(b.last-b.first+1)*cw),height:Math.max(1,b.bytes*sc),"
    "fill:'hsl('+hue+',60%,70%)','data-tensor':b.tensor},as);"
    "tip(r,b.tensor+' ('+b.format+'): offset '+b.offset+', '+b.bytes+' bytes, steps '+b.first+'..'+b.last);});\n"
    /* error per layer (mixed precision) */
    "var es=document.getElementById('error');\n"
    "if(D.mixed){var ls=D.steps.filter(function(s){return s.kind==='layer';});"
    "var em=Math.max.apply(null,ls.map(function(s){return s.err;}).concat([1e-12]));"
    "var ev=el('svg',{id:'error-svg',width:LW+BW+120,height:ls.length*(BH+4)+10},es);"
    "ls.forEach(function(s,i){var y=5+i*(BH+4);txt(ev,0,y+12,label(s).slice(0,44));"
    "if(s.err>=0){var w=Math.max(1,BW*s.err/em);var r=el('rect',{'class':'err-bar',x:LW,y:y,width:w,"
    "height:BH,'data-err':s.err},ev);tip(r,s.routine+': estimated relative error '+s.err);"
    "txt(ev,LW+w+6,y+12,s.err.toPrecision(3));}else{txt(ev,LW,y+12,'no error recorded'+"
    "(s.routine.indexOf(':f32:')>=0?' (f32 routine)':''));}});}\n"
    "else{var p=document.createElement('p');p.className='note';p.textContent='Not a mixed-precision plan: "
    "no layer records an error estimate.';es.appendChild(p);}\n"
    "document.body.setAttribute('data-rendered','yes');\n"
    "})();\n";

static void write_summary(FILE *f, const nc_report_plan *p) {
  int layers = 0, adapters = 0;
  for (int s = 0; s < p->n_steps; s++) {
    layers += p->steps[s].kind == NC_RSTEP_LAYER;
    adapters += p->steps[s].kind == NC_RSTEP_ADAPTER;
  }
  fprintf(f, "<table class=\"summary\" id=\"summary\">\n<tr><td>model</td><td>");
  html_text(f, p->model);
  fprintf(f, "</td></tr>\n<tr><td>target</td><td>");
  html_text(f, p->target);
  fprintf(f, "</td></tr>\n<tr><td>layers</td><td id=\"n-layers\">%d</td></tr>\n"
             "<tr><td>adapters</td><td id=\"n-adapters\">%d (%.4f ms)</td></tr>\n"
             "<tr><td>predicted</td><td>%.4f ms (DPRS %s)</td></tr>\n"
             "<tr><td>arena</td><td>%lld bytes (lower bound %lld); weights %lld bytes</td></tr>\n",
          layers, adapters, p->adapters_ms, p->predicted_ms, p->exact ? "exact" : "bounded",
          p->arena_bytes, p->arena_lower_bound, p->weights_bytes);
  if (p->measured_from[0]) {
    double sum = 0;
    for (int s = 0; s < p->n_steps; s++) sum += p->steps[s].measured_ms > 0 ? p->steps[s].measured_ms : 0;
    fprintf(f, "<tr><td>measured</td><td id=\"measured\">%.4f ms summed over the steps (median of "
               "%d runs, ", sum, p->measured_runs);
    html_text(f, p->measured_from);
    fprintf(f, ")</td></tr>\n");
  }
  fprintf(f, "<tr><td>constraints</td><td><ul id=\"constraints\">");
  for (int i = 0; i < p->n_constraints; i++) {
    fprintf(f, "<li><code>");
    html_text(f, p->constraints[i]);
    fprintf(f, "</code></li>");
  }
  fprintf(f, "%s</ul></td></tr>\n</table>\n", p->n_constraints ? "" : "<li>none</li>");
}

int nc_report_write_html(const nc_report_plan *p, const char *path) {
  nc_afile af;
  FILE *f = nc_afile_open(&af, path);
  if (!f) return -1;
  fprintf(f, "<!DOCTYPE html>\n<!-- Generated by neuroc report from ");
  html_text(f, p->path);
  fprintf(f, " -- do not edit. -->\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>neuroc plan: ");
  html_text(f, p->model);
  fprintf(f, "</title>\n<style>\n%s</style></head>\n<body>\n<h1>neuroc plan: ", page_css);
  html_text(f, p->model);
  fprintf(f, "</h1>\n");
  write_summary(f, p);
  const char *time_note =
      p->measured_from[0]
          ? "Blue/orange: predicted. Green: measured inside the running model "
            "(<code>neuroc.Model.profile</code>, docs/python.md); copies are not timed."
          : "Only predicted times: measure per step in the running model with "
            "<code>neuroc.Model.profile</code> and pass <code>--measured</code> (docs/report.md).";
  fprintf(f, "<noscript><p>The figures are drawn by the page's script; enable JavaScript.</p></noscript>\n"
             "<h2>Graph: routine per layer, adapters in orange</h2>\n<div id=\"graph\"></div>\n"
             "<h2>Time per step (predicted = the routine's own measurement on the target)</h2>\n"
             "<p class=\"note\">%s</p>\n"
             "<div id=\"time\"></div>\n"
             "<h2>Arena over time (x = step, y = offset)</h2>\n<div id=\"arena\"></div>\n"
             "<h2>Error per layer (mixed precision)</h2>\n<div id=\"error\"></div>\n"
             "<script type=\"application/json\" id=\"plan-data\">",
          time_note);
  write_json(f, p);
  fprintf(f, "</script>\n<script>\n%s</script>\n</body></html>\n", page_js);
  return nc_afile_commit(&af, 1);
}
