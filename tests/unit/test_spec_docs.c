/* docs/target-spec.md against the spec parser (compiler/src/target.c), so the
 * reference and the parser cannot drift apart:
 *  - every key the parser accepts (nc_target_keys) has exactly one row in its
 *    section's table, and every row names an accepted key;
 *  - the examples of all rows, written together as one spec, load;
 *  - every default written as one backticked value is what the parser sets
 *    when the key is left out (read back from nc_target, not from the doc);
 *  - every shipped spec in targets/ loads, has a short name in the doc, and
 *    sets a key exactly when that key's "used by" cell names it (read from
 *    the spec's YAML with libyaml, not through the parser). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ir.h"
#include "target.h"

#define DOC NEUROC_SOURCE_DIR "/docs/target-spec.md"
#define MAX_ROWS 64

typedef struct row {
  char section[16]; /* "" = top level */
  char key[32];
  char deflt[128];  /* the backticked default, "" when written in words */
  char example[160]; /* the backticked example, "" when there is none */
  char used_by[128]; /* "all", "—" or short spec names, comma separated */
} row;

/* A row of the table of shipped specs: short name -> file in targets/. */
typedef struct legend {
  char name[16];
  char file[96];
} legend;

#define MAX_SPECS 32
static legend specs[MAX_SPECS];
static int n_specs;

/* The text between the first pair of backticks of `cell`, or "" if none. */
static void backticked(const char *cell, char *dst, size_t n) {
  dst[0] = 0;
  const char *a = strchr(cell, '`');
  const char *b = a ? strchr(a + 1, '`') : NULL;
  if (!b || (size_t)(b - a) > n) return;
  memcpy(dst, a + 1, (size_t)(b - a - 1));
  dst[b - a - 1] = 0;
}

/* Splits a table line "| a | b | ... |" into at most `max` trimmed cells. */
static int cells(char *line, char **out, int max) {
  int n = 0;
  char *p = strchr(line, '|');
  while (p && n < max) {
    char *q = strchr(p + 1, '|');
    if (!q) break;
    *q = 0;
    char *c = p + 1;
    while (*c == ' ') c++;
    for (char *e = q - 1; e >= c && *e == ' '; e--) *e = 0;
    out[n++] = c;
    p = q;
  }
  return n;
}

/* The section a "## " heading opens: "" for "## Top-level keys", X for a
 * heading starting "## `X:`", NULL for headings with no key table. */
static const char *heading_section(const char *line, char *buf, size_t n) {
  if (strncmp(line, "## Top-level keys", 17) == 0) return "";
  if (strncmp(line, "## `", 4) != 0) return NULL;
  const char *colon = strstr(line + 4, ":`");
  if (!colon || (size_t)(colon - line - 4) >= n) return NULL;
  memcpy(buf, line + 4, (size_t)(colon - line - 4));
  buf[colon - line - 4] = 0;
  return buf;
}

/* Reads the key rows of docs/target-spec.md. */
static int read_doc(row *rows) {
  FILE *f = fopen(DOC, "r");
  cr_assert_not_null(f, "cannot open %s", DOC);
  n_specs = 0;
  char line[2048], secbuf[16];
  const char *section = NULL;
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (strncmp(line, "## ", 3) == 0) {
      section = heading_section(line, secbuf, sizeof secbuf);
      continue;
    }
    if (strncmp(line, "| `", 3) != 0) continue;
    char *c[8];
    int nc = cells(line, c, 8);
    if (!section) { /* before the key tables: the shipped specs' short names */
      cr_assert_eq(nc, 2, "%s: a spec row needs 2 cells: %s", DOC, line);
      cr_assert_lt(n_specs, MAX_SPECS);
      char path[96];
      backticked(c[0], specs[n_specs].name, sizeof specs[n_specs].name);
      backticked(c[1], path, sizeof path);
      cr_assert(strncmp(path, "targets/", 8) == 0, "%s: %s is not in targets/", DOC, path);
      snprintf(specs[n_specs++].file, sizeof specs[0].file, "%s", path + 8);
      continue;
    }
    cr_assert_eq(nc, 6, "%s: a key row needs 6 cells (key, type, default, example, meaning, "
                        "used by): %s", DOC, line);
    cr_assert_lt(n, MAX_ROWS);
    row *r = &rows[n++];
    snprintf(r->section, sizeof r->section, "%s", section);
    backticked(c[0], r->key, sizeof r->key);
    /* a default is checked when the whole cell is one backticked value */
    size_t dl = strlen(c[2]);
    if (dl > 1 && c[2][0] == '`' && c[2][dl - 1] == '`' && !memchr(c[2] + 1, '`', dl - 2))
      backticked(c[2], r->deflt, sizeof r->deflt);
    else
      r->deflt[0] = 0;
    backticked(c[3], r->example, sizeof r->example);
    snprintf(r->used_by, sizeof r->used_by, "%s", c[5]);
  }
  fclose(f);
  return n;
}

static const char *const sections[] = {"", "profile", "agent", "runtime"};
#define N_SECTIONS (int)(sizeof sections / sizeof sections[0])

static int is_accepted(const char *section, const char *key) {
  int n = 0;
  const char *const *keys = nc_target_keys(section, &n);
  for (int i = 0; i < n; i++)
    if (strcmp(keys[i], key) == 0) return 1;
  return 0;
}

Test(spec_docs, every_parser_key_is_documented_once) {
  row rows[MAX_ROWS];
  int nr = read_doc(rows), total = 0;
  for (int s = 0; s < N_SECTIONS; s++) {
    int n = 0;
    const char *const *keys = nc_target_keys(sections[s], &n);
    cr_assert(keys && n > 0, "nc_target_keys(\"%s\") is empty", sections[s]);
    for (int i = 0; i < n; i++) {
      int found = 0;
      for (int j = 0; j < nr; j++)
        found += strcmp(rows[j].section, sections[s]) == 0 && strcmp(rows[j].key, keys[i]) == 0;
      cr_expect_eq(found, 1, "key '%s' of section '%s' has %d rows in %s (want 1)", keys[i],
                   sections[s][0] ? sections[s] : "top level", found, DOC);
    }
    total += n;
  }
  cr_expect_eq(nr, total, "%s has %d key rows, the parser accepts %d keys", DOC, nr, total);
}

Test(spec_docs, every_documented_key_is_accepted) {
  row rows[MAX_ROWS];
  int nr = read_doc(rows);
  cr_assert_gt(nr, 20, "only %d key rows read from %s", nr, DOC);
  for (int j = 0; j < nr; j++)
    cr_expect(is_accepted(rows[j].section, rows[j].key),
              "%s documents '%s' in section '%s', which the parser rejects", DOC, rows[j].key,
              rows[j].section);
  /* the parser's nested sections are exactly the documented mapping keys */
  for (int s = 1; s < N_SECTIONS; s++)
    cr_expect(is_accepted("", sections[s]), "section '%s' is not a top-level key", sections[s]);
  int n = 0;
  cr_expect_null(nc_target_keys("no-such-section", &n));
  cr_expect_eq(n, 0);
}

/* One spec holding every row's example: top-level scalars, then one block
 * per nested section. */
static void write_examples(const row *rows, int nr, const char *path) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  for (int s = 0; s < N_SECTIONS; s++) {
    if (sections[s][0]) fprintf(f, "%s:\n", sections[s]);
    for (int j = 0; j < nr; j++) {
      if (strcmp(rows[j].section, sections[s]) != 0) continue;
      int mapping = !sections[s][0] && nc_target_keys(rows[j].key, &(int){0});
      cr_expect(mapping == !rows[j].example[0], "row '%s': %s", rows[j].key,
                mapping ? "a section has no backticked example" : "no backticked example");
      if (mapping || !rows[j].example[0]) continue;
      /* flow lists stay as written; everything else quoted as a YAML string */
      if (rows[j].example[0] == '[')
        fprintf(f, "%s%s: %s\n", sections[s][0] ? "  " : "", rows[j].key, rows[j].example);
      else
        fprintf(f, "%s%s: \"%s\"\n", sections[s][0] ? "  " : "", rows[j].key, rows[j].example);
    }
  }
  fclose(f);
}

Test(spec_docs, examples_load_as_one_spec) {
  row rows[MAX_ROWS];
  int nr = read_doc(rows);
  const char *path = NEUROC_BINARY_DIR "/tests/spec_docs_examples.yaml";
  write_examples(rows, nr, path);
  nc_err_clear();
  nc_target *t = nc_target_load(path);
  cr_assert_not_null(t, "the examples of %s do not load: %s", DOC, nc_err_msg());
  /* spot checks that the values went where the doc says */
  cr_expect_str_eq(t->name, "my-board");
  cr_expect_str_eq(t->cflags, "-O2 -march=armv8.2-a+dotprod");
  cr_expect_eq(t->ram_bytes, 256 << 10);
  cr_expect_eq(t->flash_bytes, 1 << 20);
  cr_expect_str_eq(t->agent_transport, "tcp");
  nc_target_free(t);
  remove(path);
}

/* What the parser set for (section, key), printed the way the doc writes a
 * default; NULL for keys whose default the doc gives in words. */
static const char *loaded_value(const nc_target *t, const char *section, const char *key,
                                char *buf, size_t n) {
  const char *top[][2] = {{"device", t->device}, {"cc", t->cc},     {"cflags", t->cflags},
                          {"ldflags", t->ldflags}, {"isa", t->isa}, {"run", t->run}};
  if (!section[0]) {
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
      if (strcmp(key, top[i][0]) == 0) {
        snprintf(buf, n, strcmp(key, "run") == 0 ? "\"%s\"" : "%s", top[i][1]);
        return buf;
      }
    if (strcmp(key, "alignment") == 0) return snprintf(buf, n, "%d", t->alignment), buf;
    if (strcmp(key, "approximate") == 0) return t->approximate ? "true" : "false";
  } else if (strcmp(section, "profile") == 0) {
    if (strcmp(key, "min_ms") == 0) return snprintf(buf, n, "%g", t->profile_min_ms), buf;
    if (strcmp(key, "warmup") == 0) return snprintf(buf, n, "%d", t->profile_warmup), buf;
  } else if (strcmp(section, "agent") == 0) {
    if (strcmp(key, "transport") == 0) return t->agent_transport;
    if (strcmp(key, "baud") == 0) return snprintf(buf, n, "%lld", t->agent_baud), buf;
    if (strcmp(key, "timeout_s") == 0) return snprintf(buf, n, "%g", t->agent_timeout_s), buf;
    if (strcmp(key, "parallel") == 0) return snprintf(buf, n, "%lld", t->agent_parallel), buf;
  }
  return NULL;
}

Test(spec_docs, documented_defaults_are_the_parsers) {
  row rows[MAX_ROWS];
  int nr = read_doc(rows), checked = 0;
  const char *path = NEUROC_BINARY_DIR "/tests/spec_docs_minimal.yaml";
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("name: minimal\n", f);
  fclose(f);
  nc_err_clear();
  nc_target *t = nc_target_load(path);
  cr_assert_not_null(t, "%s", nc_err_msg());
  for (int j = 0; j < nr; j++) {
    if (!rows[j].deflt[0]) continue;
    char buf[64];
    const char *got = loaded_value(t, rows[j].section, rows[j].key, buf, sizeof buf);
    cr_expect_not_null(got, "%s gives a default for '%s' the test cannot check: write it in "
                            "words or extend loaded_value()", DOC, rows[j].key);
    if (!got) continue;
    cr_expect_str_eq(got, rows[j].deflt, "default of '%s': parser %s, %s says %s", rows[j].key,
                     got, DOC, rows[j].deflt);
    checked++;
  }
  cr_expect_geq(checked, 12, "only %d defaults checked", checked);
  cr_expect_eq(t->ram_bytes, 0, "ram: the doc says no limit by default");
  cr_expect_eq(t->flash_bytes, 0, "flash: the doc says no limit by default");
  cr_expect_null(t->runtime_library, "runtime.library: the doc says the host runtime by default");
  nc_target_free(t);
  remove(path);
}

/* Does the spec at `path` set `key` (in mapping `section`, "" = top level)?
 * Read with libyaml directly, so that a default the parser fills in does not
 * count as set. */
static int spec_sets(const char *path, const char *section, const char *key) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  yaml_parser_t p;
  yaml_document_t doc;
  yaml_parser_initialize(&p);
  yaml_parser_set_input_file(&p, f);
  cr_assert(yaml_parser_load(&p, &doc), "%s: not YAML", path);
  yaml_node_t *map = yaml_document_get_root_node(&doc);
  int found = 0;
  for (int depth = section[0] ? 0 : 1; map && map->type == YAML_MAPPING_NODE && depth < 2;
       depth++) {
    const char *want = depth == 0 ? section : key;
    yaml_node_t *next = NULL;
    for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < map->data.mapping.pairs.top;
         q++) {
      yaml_node_t *k = yaml_document_get_node(&doc, q->key);
      if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, want) == 0)
        next = yaml_document_get_node(&doc, q->value);
    }
    if (depth == 1) found = next != NULL;
    map = next;
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&p);
  fclose(f);
  return found;
}

/* Is short name `name` in the "used by" cell (comma-separated words)? */
static int names_spec(const char *used_by, const char *name) {
  if (strcmp(used_by, "all") == 0) return 1;
  size_t n = strlen(name);
  for (const char *p = used_by; *p;) {
    p += strspn(p, ", ");
    size_t len = strcspn(p, ", ");
    if (len == n && strncmp(p, name, n) == 0) return 1;
    p += len;
  }
  return 0;
}

Test(spec_docs, used_by_matches_the_shipped_specs) {
  row rows[MAX_ROWS];
  int nr = read_doc(rows), checked = 0;
  cr_assert_geq(n_specs, 7, "only %d shipped specs listed in %s", n_specs, DOC);
  for (int i = 0; i < n_specs; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/targets/%s", NEUROC_SOURCE_DIR, specs[i].file);
    for (int j = 0; j < nr; j++) {
      int sets = spec_sets(path, rows[j].section, rows[j].key);
      int named = names_spec(rows[j].used_by, specs[i].name);
      cr_expect_eq(sets, named, "%s %s '%s%s%s' but the row in %s %s '%s'", specs[i].file,
                   sets ? "sets" : "does not set", rows[j].section,
                   rows[j].section[0] ? "." : "", rows[j].key, DOC,
                   named ? "names it as" : "does not name", specs[i].name);
      checked++;
    }
  }
  cr_expect_gt(checked, 100);
}

Test(spec_docs, shipped_targets_load_and_are_listed) {
  row rows[MAX_ROWS];
  read_doc(rows);
  DIR *d = opendir(NEUROC_SOURCE_DIR "/targets");
  cr_assert_not_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/targets/%s", NEUROC_SOURCE_DIR, e->d_name);
    nc_err_clear();
    nc_target *t = nc_target_load(path);
    cr_expect_not_null(t, "%s", nc_err_msg());
    nc_target_free(t);
    int listed = 0;
    for (int i = 0; i < n_specs; i++) listed |= strcmp(specs[i].file, e->d_name) == 0;
    cr_expect(listed, "targets/%s has no short name in %s", e->d_name, DOC);
    n++;
  }
  closedir(d);
  cr_expect_eq(n, n_specs, "%d specs in targets/, %d listed in %s", n, n_specs, DOC);
}
