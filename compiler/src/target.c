/* Target specs: a YAML mapping per board (one file in targets/), read with the
 * libyaml document API so that every message can name FILE:LINE. */
#define _POSIX_C_SOURCE 200809L
#include "target.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "ir.h"

typedef struct spec {
  const char *path;
  yaml_document_t *doc;
  nc_target *t;
} spec;

static const char *const top_keys[] = {"name",    "device", "arch", "cc",        "cflags",
                                       "ldflags", "isa",    "run",  "alignment", "profile",
                                       "agent",   "approximate", "runtime",   "ram",
                                       "flash"};
static const char *const profile_keys[] = {"min_ms", "warmup"};
static const char *const agent_keys[] = {"transport", "command", "address", "timeout_s",
                                         "device",    "baud",    "parallel"};
static const char *const runtime_keys[] = {"library", "include"};

#define N_KEYS(a) (int)(sizeof a / sizeof a[0])

const char *const *nc_target_keys(const char *section, int *n) {
  static const struct {
    const char *section;
    const char *const *keys;
    int n;
  } sections[] = {{"", top_keys, N_KEYS(top_keys)},
                  {"profile", profile_keys, N_KEYS(profile_keys)},
                  {"agent", agent_keys, N_KEYS(agent_keys)},
                  {"runtime", runtime_keys, N_KEYS(runtime_keys)}};
  for (int i = 0; i < N_KEYS(sections); i++)
    if (section && strcmp(section, sections[i].section) == 0) {
      *n = sections[i].n;
      return sections[i].keys;
    }
  *n = 0;
  return NULL;
}

static int line_of(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }

/* Levenshtein distance, for "did you mean" suggestions. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t *row = nc_xmalloc(sizeof(size_t) * (lb + 1));
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  size_t d = row[lb];
  free(row);
  return d;
}

static const char *nearest_key(const char *key, const char *const *keys, size_t n) {
  const char *best = keys[0];
  size_t bd = (size_t)-1;
  for (size_t i = 0; i < n; i++) {
    size_t d = edit_distance(key, keys[i]);
    if (d < bd) {
      bd = d;
      best = keys[i];
    }
  }
  return best;
}

/* ---------------- scalar conversion ---------------- */

static const char *scalar(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static int want_string(spec *s, const char *key, const yaml_node_t *v, char **dst) {
  if (v->type == YAML_SCALAR_NODE) {
    free(*dst);
    *dst = nc_xstrdup(scalar(v));
    return 0;
  }
  /* Flags may also be written as a list of words: joined with spaces. */
  if (v->type == YAML_SEQUENCE_NODE && (strcmp(key, "cflags") == 0 || strcmp(key, "ldflags") == 0)) {
    size_t len = 1;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
      yaml_node_t *e = yaml_document_get_node(s->doc, *it);
      if (!e || e->type != YAML_SCALAR_NODE)
        return nc_fail("%s:%d: '%s' must be a string or a list of strings", s->path,
                       e ? line_of(e) : line_of(v), key);
      len += strlen(scalar(e)) + 1;
    }
    char *out = nc_xmalloc(len);
    out[0] = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
      if (out[0]) strcat(out, " ");
      strcat(out, scalar(yaml_document_get_node(s->doc, *it)));
    }
    free(*dst);
    *dst = out;
    return 0;
  }
  return nc_fail("%s:%d: '%s' must be a string", s->path, line_of(v), key);
}

static int want_int(spec *s, const char *key, const yaml_node_t *v, long long lo, long long hi,
                    long long *dst) {
  if (v->type != YAML_SCALAR_NODE)
    return nc_fail("%s:%d: '%s' must be an integer", s->path, line_of(v), key);
  const char *txt = scalar(v);
  char *end;
  errno = 0;
  int hex = txt[0] == '0' && (txt[1] == 'x' || txt[1] == 'X');
  long long x = strtoll(txt, &end, hex ? 16 : 10); /* no octal surprises for "010" */
  if (!txt[0] || *end || errno)
    return nc_fail("%s:%d: '%s' must be an integer, got '%s'", s->path, line_of(v), key, txt);
  if (x < lo || x > hi)
    return nc_fail("%s:%d: '%s' must be between %lld and %lld, got %lld", s->path, line_of(v),
                   key, lo, hi, x);
  *dst = x;
  return 0;
}

static int want_bool(spec *s, const char *key, const yaml_node_t *v, int *dst) {
  const char *txt = v->type == YAML_SCALAR_NODE ? scalar(v) : "";
  if (strcmp(txt, "true") == 0 || strcmp(txt, "false") == 0) {
    *dst = txt[0] == 't';
    return 0;
  }
  return nc_fail("%s:%d: '%s' must be true or false, got '%s'", s->path, line_of(v), key, txt);
}

static int want_number(spec *s, const char *key, const yaml_node_t *v, double *dst) {
  if (v->type != YAML_SCALAR_NODE)
    return nc_fail("%s:%d: '%s' must be a number", s->path, line_of(v), key);
  const char *txt = scalar(v);
  char *end;
  errno = 0;
  double x = strtod(txt, &end);
  if (!txt[0] || *end || errno || !(x >= 0))
    return nc_fail("%s:%d: '%s' must be a non-negative number, got '%s'", s->path, line_of(v),
                   key, txt);
  *dst = x;
  return 0;
}

/* ---------------- mappings ---------------- */

typedef int (*key_fn)(spec *s, const char *key, const yaml_node_t *v);

/* Walk a mapping: keys must be known and unique; each value goes to fn. */
static int walk_mapping(spec *s, const yaml_node_t *map, const char *what,
                        const char *const *keys, size_t n_keys, key_fn fn) {
  if (map->type != YAML_MAPPING_NODE)
    return nc_fail("%s:%d: %s must be a mapping of key: value", s->path, line_of(map), what);
  unsigned seen = 0;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(s->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(s->doc, p->value);
    if (!k || !v) return nc_fail("%s: malformed YAML document", s->path);
    if (k->type != YAML_SCALAR_NODE)
      return nc_fail("%s:%d: keys in %s must be plain words", s->path, line_of(k), what);
    const char *key = scalar(k);
    size_t idx = n_keys;
    for (size_t i = 0; i < n_keys; i++)
      if (strcmp(key, keys[i]) == 0) idx = i;
    if (idx == n_keys)
      return nc_fail("%s:%d: unknown key '%s' in %s (did you mean '%s'?)", s->path, line_of(k),
                     key, what, nearest_key(key, keys, n_keys));
    if (seen & (1u << idx))
      return nc_fail("%s:%d: duplicate key '%s' in %s", s->path, line_of(k), key, what);
    seen |= 1u << idx;
    if (fn(s, key, v)) return -1;
  }
  return 0;
}

static int profile_key(spec *s, const char *key, const yaml_node_t *v) {
  if (strcmp(key, "min_ms") == 0) return want_number(s, key, v, &s->t->profile_min_ms);
  long long w = 0;
  if (want_int(s, key, v, 0, 1000000, &w)) return -1;
  s->t->profile_warmup = (int)w;
  return 0;
}

static int agent_key(spec *s, const char *key, const yaml_node_t *v) {
  nc_target *t = s->t;
  if (strcmp(key, "timeout_s") == 0) {
    if (want_number(s, key, v, &t->agent_timeout_s)) return -1;
    if (t->agent_timeout_s <= 0)
      return nc_fail("%s:%d: 'timeout_s' must be above 0", s->path, line_of(v));
    return 0;
  }
  if (strcmp(key, "transport") == 0) {
    if (want_string(s, key, v, &t->agent_transport)) return -1;
    if (strcmp(t->agent_transport, "local") && strcmp(t->agent_transport, "stdio") &&
        strcmp(t->agent_transport, "tcp") && strcmp(t->agent_transport, "serial"))
      return nc_fail("%s:%d: 'transport' must be local, stdio, tcp or serial, got '%s'", s->path,
                     line_of(v), t->agent_transport);
    return 0;
  }
  if (strcmp(key, "baud") == 0) return want_int(s, key, v, 50, 4000000, &t->agent_baud);
  /* most agents measuring at once (neuroc -j): only where measurements do
   * not disturb each other, docs/agent.md */
  if (strcmp(key, "parallel") == 0) return want_int(s, key, v, 1, 256, &t->agent_parallel);
  if (strcmp(key, "device") == 0) return want_string(s, key, v, &t->agent_device);
  return want_string(s, key, v, strcmp(key, "command") == 0 ? &t->agent_command
                                                             : &t->agent_address);
}

/* The transport's own key must be there: stdio needs a command, tcp an address. */
static int check_agent(spec *s, const yaml_node_t *v) {
  nc_target *t = s->t;
  if (strcmp(t->agent_transport, "stdio") == 0 && (!t->agent_command || !t->agent_command[0]))
    return nc_fail("%s:%d: agent transport 'stdio' needs 'command' (the shell command that "
                   "starts neuroc-agent --stdio)", s->path, line_of(v));
  if (strcmp(t->agent_transport, "tcp") == 0 && (!t->agent_address || !t->agent_address[0]))
    return nc_fail("%s:%d: agent transport 'tcp' needs 'address' (HOST:PORT)", s->path,
                   line_of(v));
  if (strcmp(t->agent_transport, "serial") == 0 && (!t->agent_device || !t->agent_device[0]))
    return nc_fail("%s:%d: agent transport 'serial' needs 'device' (e.g. /dev/ttyACM0)",
                   s->path, line_of(v));
  return 0;
}

/* `runtime:` paths are relative to the spec's directory, like the agent
 * command, so a spec in targets/ can name ../build-aarch64/... They are made
 * absolute here: the model is built from inside its output directory. */
static int runtime_key(spec *s, const char *key, const yaml_node_t *v) {
  char *val = NULL;
  if (want_string(s, key, v, &val)) return -1;
  if (!val[0]) {
    free(val);
    return nc_fail("%s:%d: 'runtime.%s' must not be empty", s->path, line_of(v), key);
  }
  char cwd[4096] = "";
  if (val[0] != '/' && s->path[0] != '/' && !getcwd(cwd, sizeof cwd - 1)) cwd[0] = 0;
  if (cwd[0]) strcat(cwd, "/");
  const char *slash = strrchr(s->path, '/');
  size_t dl = val[0] == '/' || !slash ? 0 : (size_t)(slash - s->path) + 1;
  size_t cl = strlen(cwd);
  char *full = nc_xmalloc(cl + dl + strlen(val) + 1);
  memcpy(full, cwd, cl);
  memcpy(full + cl, s->path, dl);
  strcpy(full + cl + dl, val);
  free(val);
  char **dst = strcmp(key, "library") == 0 ? &s->t->runtime_library : &s->t->runtime_include;
  free(*dst);
  *dst = full;
  return 0;
}

/* A byte count: an integer, optionally with a binary suffix K/KiB, M/MiB or
 * G/GiB (256K = 262144). */
static int want_bytes(spec *s, const char *key, const yaml_node_t *v, long long *dst) {
  const char *txt = v->type == YAML_SCALAR_NODE ? scalar(v) : "";
  char *end;
  errno = 0;
  long long x = strtoll(txt, &end, 10);
  long long mul = 1;
  if (*end == 'K' || *end == 'k') mul = 1LL << 10;
  else if (*end == 'M') mul = 1LL << 20;
  else if (*end == 'G') mul = 1LL << 30;
  if (mul > 1 && (strcmp(end + 1, "") == 0 || strcmp(end + 1, "iB") == 0)) end += strlen(end);
  if (!isdigit((unsigned char)txt[0]) || *end || errno || x <= 0 || x > (1LL << 50) / mul)
    return nc_fail("%s:%d: '%s' must be a positive number of bytes (e.g. 262144, 256K or 1M), "
                   "got '%s'", s->path, line_of(v), key, txt);
  *dst = x * mul;
  return 0;
}

static int top_key(spec *s, const char *key, const yaml_node_t *v) {
  nc_target *t = s->t;
  if (strcmp(key, "ram") == 0) return want_bytes(s, key, v, &t->ram_bytes);
  if (strcmp(key, "flash") == 0) return want_bytes(s, key, v, &t->flash_bytes);
  if (strcmp(key, "runtime") == 0)
    return walk_mapping(s, v, "'runtime'", runtime_keys,
                        sizeof runtime_keys / sizeof runtime_keys[0], runtime_key);
  if (strcmp(key, "agent") == 0) {
    if (walk_mapping(s, v, "'agent'", agent_keys, sizeof agent_keys / sizeof agent_keys[0],
                     agent_key))
      return -1;
    return check_agent(s, v);
  }
  if (strcmp(key, "profile") == 0)
    return walk_mapping(s, v, "'profile'", profile_keys,
                        sizeof profile_keys / sizeof profile_keys[0], profile_key);
  if (strcmp(key, "approximate") == 0) return want_bool(s, key, v, &t->approximate);
  if (strcmp(key, "alignment") == 0) {
    long long a = 0;
    if (want_int(s, key, v, 1, 1 << 20, &a)) return -1;
    if (a & (a - 1))
      return nc_fail("%s:%d: 'alignment' must be a power of two, got %lld", s->path, line_of(v), a);
    t->alignment = (int)a;
    return 0;
  }
  char **dst = strcmp(key, "name") == 0      ? &t->name
               : strcmp(key, "device") == 0  ? &t->device
               : strcmp(key, "arch") == 0    ? &t->arch
               : strcmp(key, "cc") == 0      ? &t->cc
               : strcmp(key, "cflags") == 0  ? &t->cflags
               : strcmp(key, "ldflags") == 0 ? &t->ldflags
               : strcmp(key, "isa") == 0     ? &t->isa
                                             : &t->run;
  return want_string(s, key, v, dst);
}

/* ---------------- defaults ---------------- */

static const char *host_arch(void) {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__arm__)
  return "arm";
#elif defined(__riscv)
  return "riscv";
#elif defined(__i386__)
  return "i386";
#else
  return "unknown";
#endif
}

static nc_target *target_defaults(const char *path) {
  nc_target *t = nc_xcalloc(1, sizeof *t);
  t->path = nc_xstrdup(path);
  t->device = nc_xstrdup("cpu");
  t->arch = nc_xstrdup(host_arch());
  t->cc = nc_xstrdup("cc");
  t->cflags = nc_xstrdup("-O2");
  t->ldflags = nc_xstrdup("-lm");
  t->isa = nc_xstrdup("c99");
  t->run = nc_xstrdup("");
  t->alignment = 64;
  t->profile_min_ms = 2;
  t->profile_warmup = 1;
  t->agent_transport = nc_xstrdup("local");
  t->agent_timeout_s = 120;
  t->agent_baud = 115200;
  t->agent_parallel = 1;
  return t;
}

void nc_target_free(nc_target *t) {
  if (!t) return;
  free(t->path); free(t->name); free(t->device); free(t->arch); free(t->cc);
  free(t->cflags); free(t->ldflags); free(t->isa); free(t->run);
  free(t->agent_transport); free(t->agent_command); free(t->agent_address);
  free(t->agent_device);
  free(t->runtime_library); free(t->runtime_include);
  free(t);
}

/* ---------------- content hash ---------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
  return h;
}

typedef struct keyed_node {
  const char *key;
  const yaml_node_t *value;
} keyed_node;

/* A length as 8 little-endian bytes: the same hash on any host. */
static uint64_t fnv_len(uint64_t h, uint64_t len) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(len >> (8 * i));
  return fnv(h, b, 8);
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const keyed_node *)a)->key, ((const keyed_node *)b)->key);
}

/* FNV-1a over a canonical form of the parsed document: each scalar as its
 * length and bytes, sequences in order, mappings with their keys sorted (keys
 * are unique scalars, checked by walk_mapping). Comments, whitespace, quoting
 * and key order are gone before this sees the content. */
static uint64_t hash_node(yaml_document_t *doc, const yaml_node_t *n, uint64_t h, int depth) {
  if (!n || depth > 16) return fnv(h, "?", 1);
  if (n->type == YAML_SCALAR_NODE) {
    size_t len = n->data.scalar.length;
    h = fnv(h, "s", 1);
    h = fnv_len(h, len);
    return fnv(h, n->data.scalar.value, len);
  }
  if (n->type == YAML_SEQUENCE_NODE) {
    h = fnv(h, "[", 1);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
      h = hash_node(doc, yaml_document_get_node(doc, *it), h, depth + 1);
    return fnv(h, "]", 1);
  }
  size_t np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start), k = 0;
  keyed_node *kv = nc_xmalloc(sizeof *kv * (np + 1));
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
    yaml_node_t *key = yaml_document_get_node(doc, p->key);
    kv[k].key = key && key->type == YAML_SCALAR_NODE ? scalar(key) : "";
    kv[k++].value = yaml_document_get_node(doc, p->value);
  }
  qsort(kv, np, sizeof *kv, cmp_key);
  h = fnv(h, "{", 1);
  for (size_t i = 0; i < np; i++) {
    size_t len = strlen(kv[i].key);
    h = fnv_len(h, len);
    h = fnv(h, kv[i].key, len);
    h = hash_node(doc, kv[i].value, h, depth + 1);
  }
  free(kv);
  return fnv(h, "}", 1);
}

/* ---------------- loading ---------------- */

static int load_document(const char *path, yaml_document_t *doc) {
  FILE *f = fopen(path, "rb");
  if (!f) return nc_fail("%s: cannot open target spec: %s", path, strerror(errno));
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  int ok = yaml_parser_load(&parser, doc);
  if (!ok) {
    const char *ctx = parser.context ? parser.context : "";
    const char *problem = parser.problem ? parser.problem : "unknown problem";
    int line = (int)parser.problem_mark.line + 1;
    if (ctx[0])
      nc_fail("%s:%d: YAML syntax error: %s (%s started at line %d)", path, line, problem, ctx,
              (int)parser.context_mark.line + 1);
    else
      nc_fail("%s:%d: YAML syntax error: %s", path, line, problem);
  }
  yaml_parser_delete(&parser);
  fclose(f);
  return ok ? 0 : -1;
}

nc_target *nc_target_load(const char *path) {
  yaml_document_t doc;
  if (load_document(path, &doc)) return NULL;
  spec s = {path, &doc, target_defaults(path)};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  int rc;
  if (!root || (root->type == YAML_SCALAR_NODE && !scalar(root)[0]))
    rc = nc_fail("%s:1: empty target spec (expected a mapping with at least 'name')", path);
  else
    rc = walk_mapping(&s, root, "the target spec", top_keys, sizeof top_keys / sizeof top_keys[0],
                      top_key);
  if (rc == 0 && (!s.t->name || !s.t->name[0]))
    rc = nc_fail("%s:%d: missing required key 'name'", path, line_of(root));
  if (rc == 0)
    snprintf(s.t->spec_hash, sizeof s.t->spec_hash, "spec-fnv1a64:%016llx",
             (unsigned long long)hash_node(&doc, root, 1469598103934665603ull, 0));
  yaml_document_delete(&doc);
  if (rc) {
    nc_target_free(s.t);
    return NULL;
  }
  return s.t;
}
