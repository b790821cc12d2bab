/* Routine constraints: parse '[!]GLOB[@RANGE]' and filter a layer's
 * candidates (constraint.h). Kept apart from selection so the CLI, the
 * selection and the tests share one reading of the grammar. */
#include "constraint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compile.h"

/* A non-negative decimal index spanning [s, e); -1 if it is not one. */
static int parse_index(const char *s, const char *e) {
  if (s == e || e - s > 9) return -1;
  int v = 0;
  for (const char *p = s; p < e; p++) {
    if (!isdigit((unsigned char)*p)) return -1;
    v = v * 10 + (*p - '0');
  }
  return v;
}

static int parse_range(const char *text, const char *r, nc_constraint *c) {
  const char *dots = strstr(r, "..");
  const char *end = r + strlen(r);
  if (!*r) return nc_fail("--routine '%s': nothing after '@' (want I, I..J or a layer name)", text);
  if (dots) {
    c->lo = parse_index(r, dots);
    c->hi = parse_index(dots + 2, end);
    if (c->lo < 0 || c->hi < 0)
      return nc_fail("--routine '%s': bad layer range '%s' (want I..J with 0 <= I <= J)", text, r);
    if (c->lo > c->hi)
      return nc_fail("--routine '%s': empty layer range %d..%d", text, c->lo, c->hi);
    return 0;
  }
  int i = parse_index(r, end);
  if (i >= 0) {
    c->lo = c->hi = i;
    return 0;
  }
  if (strlen(r) >= sizeof c->name)
    return nc_fail("--routine '%s': layer name too long", text);
  snprintf(c->name, sizeof c->name, "%s", r);
  return 0;
}

int nc_constraint_parse(const char *text, nc_constraint *c) {
  memset(c, 0, sizeof *c);
  const char *s = text;
  if (*s == '!') {
    c->exclude = 1;
    s++;
  }
  /* The last '@' starts the range: descriptors never contain '@'. */
  const char *at = strrchr(s, '@');
  size_t glen = at ? (size_t)(at - s) : strlen(s);
  if (glen == 0) return nc_fail("--routine '%s': empty routine pattern", text);
  if (glen >= sizeof c->glob) return nc_fail("--routine '%s': pattern too long", text);
  memcpy(c->glob, s, glen);
  c->glob[glen] = 0;
  if (strchr(c->glob, '!'))
    return nc_fail("--routine '%s': '!' (exclude) goes first, before the pattern", text);
  if (!at) return 0;
  c->has_range = 1;
  return parse_range(text, at + 1, c);
}

int nc_constraint_covers(const nc_constraint *c, int index, const char *name) {
  if (!c->has_range) return 1;
  if (c->name[0]) return name && strcmp(c->name, name) == 0;
  return index >= c->lo && index <= c->hi;
}

int nc_constraints_check_ranges(const char *const *texts, int n_texts, const char *const *names,
                                int n) {
  for (int i = 0; i < n_texts; i++) {
    nc_constraint c;
    if (nc_constraint_parse(texts[i], &c)) return -1;
    int hit = 0;
    for (int k = 0; k < n && !hit; k++) hit = nc_constraint_covers(&c, k, names[k]);
    if (hit) continue;
    if (c.name[0])
      return nc_fail("--routine '%s': the model has no layer named '%s' (layer names are those "
                     "of plan.yaml or `neuroc compile -v`)", texts[i], c.name);
    return nc_fail("--routine '%s': layer range %d..%d matches no layer (the model has %d "
                   "layers, 0..%d)", texts[i], c.lo, c.hi, n, n - 1);
  }
  return 0;
}

static void list_descs(const char *const *descs, int n, char *buf, size_t cap) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < n && k + 1 < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? ", " : "", descs[i]);
}

int nc_constraints_filter(const char *const *texts, int n_texts, int index, const char *name,
                          const char *const *descs, int n_descs, int *keep, int *pinned,
                          char *why, size_t why_cap) {
  char list[2048];
  *pinned = 0;
  for (int i = 0; i < n_descs; i++) keep[i] = 1;
  /* Pins: a candidate survives if some covering pin matches it. */
  int *pin_ok = calloc((size_t)n_descs + 1, sizeof *pin_ok);
  const char *strict = NULL;
  for (int j = 0; j < n_texts; j++) {
    nc_constraint c;
    if (nc_constraint_parse(texts[j], &c) || c.exclude || !nc_constraint_covers(&c, index, name))
      continue;
    int any = 0;
    for (int i = 0; i < n_descs; i++)
      if (nc_glob_match(c.glob, descs[i])) pin_ok[i] = any = 1;
    if (any) *pinned = 1;
    else if (c.has_range && !strict) strict = texts[j];
  }
  if (*pinned) {
    for (int i = 0; i < n_descs; i++) keep[i] = pin_ok[i];
  } else if (strict) {
    list_descs(descs, n_descs, list, sizeof list);
    snprintf(why, why_cap, "layer %d (%s): no routine matches '%s'; candidates: %s", index, name,
             strict, list);
    free(pin_ok);
    return 0;
  }
  free(pin_ok);
  int kept = 0;
  const char *last_ex = NULL;
  for (int j = 0; j < n_texts; j++) {
    nc_constraint c;
    if (nc_constraint_parse(texts[j], &c) || !c.exclude || !nc_constraint_covers(&c, index, name))
      continue;
    for (int i = 0; i < n_descs; i++)
      if (keep[i] && nc_glob_match(c.glob, descs[i])) {
        keep[i] = 0;
        last_ex = texts[j];
      }
  }
  for (int i = 0; i < n_descs; i++) kept += keep[i];
  if (!kept) {
    list_descs(descs, n_descs, list, sizeof list);
    snprintf(why, why_cap, "layer %d (%s): the --routine constraints leave no routine (the last "
             "one removed by '%s'); candidates: %s", index, name, last_ex ? last_ex : "?", list);
  }
  return kept;
}

/* The `constraints:` list of a plan (compile --plan records it again). */
int nc_constraints_from_plan(const char *plan_path, char ***texts, int *n) {
  *texts = NULL;
  *n = 0;
  FILE *f = fopen(plan_path, "rb");
  if (!f) return 0; /* the plan reader reports an unreadable plan */
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  int ok = yaml_parser_load(&parser, &doc);
  yaml_parser_delete(&parser);
  fclose(f);
  if (!ok) return 0;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (root && root->type == YAML_MAPPING_NODE)
    for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top; q++) {
      yaml_node_t *k = yaml_document_get_node(&doc, q->key);
      yaml_node_t *v = yaml_document_get_node(&doc, q->value);
      if (!k || k->type != YAML_SCALAR_NODE || strcmp((const char *)k->data.scalar.value, "constraints") ||
          !v || v->type != YAML_SEQUENCE_NODE)
        continue;
      int cap = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
      *texts = nc_xcalloc((size_t)cap + 1, sizeof **texts);
      for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *x = yaml_document_get_node(&doc, *it);
        if (x && x->type == YAML_SCALAR_NODE) (*texts)[(*n)++] = nc_xstrdup((const char *)x->data.scalar.value);
      }
    }
  yaml_document_delete(&doc);
  return 0;
}
