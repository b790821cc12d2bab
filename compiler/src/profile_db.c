/* The profile database (see profile_db.h and docs/profiling.md): a YAML
 * sequence with one flow mapping per line, so that an interrupted append
 * can damage only the last line, which loading detects and skips. */
#include "profile_db.h"

#include "agent_client.h"
#include "posix_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------- string map (open addressing) ---------------- */

struct nc_strmap {
  char **keys; /* by id */
  int n, cap_keys;
  int *slots; /* id or -1; size a power of two */
  size_t n_slots;
};

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

nc_strmap *nc_strmap_new(void) {
  nc_strmap *m = nc_xcalloc(1, sizeof *m);
  m->n_slots = 64;
  m->slots = nc_xmalloc(sizeof(int) * m->n_slots);
  for (size_t i = 0; i < m->n_slots; i++) m->slots[i] = -1;
  return m;
}

static size_t slot_of(const nc_strmap *m, const char *key) {
  size_t i = (size_t)fnv1a(key) & (m->n_slots - 1);
  while (m->slots[i] >= 0 && strcmp(m->keys[m->slots[i]], key) != 0) i = (i + 1) & (m->n_slots - 1);
  return i;
}

static void grow(nc_strmap *m) {
  free(m->slots);
  m->n_slots *= 2;
  m->slots = nc_xmalloc(sizeof(int) * m->n_slots);
  for (size_t i = 0; i < m->n_slots; i++) m->slots[i] = -1;
  for (int id = 0; id < m->n; id++) m->slots[slot_of(m, m->keys[id])] = id;
}

int nc_strmap_get(const nc_strmap *m, const char *key) { return m->slots[slot_of(m, key)]; }

int nc_strmap_intern(nc_strmap *m, const char *key, int *added) {
  size_t i = slot_of(m, key);
  if (added) *added = 0;
  if (m->slots[i] >= 0) return m->slots[i];
  if (m->n == m->cap_keys) {
    m->cap_keys = m->cap_keys ? 2 * m->cap_keys : 64;
    m->keys = nc_xrealloc(m->keys, sizeof(char *) * (size_t)m->cap_keys);
  }
  m->keys[m->n] = nc_xstrdup(key);
  m->slots[i] = m->n;
  if (added) *added = 1;
  int id = m->n++;
  if ((size_t)m->n * 2 > m->n_slots) grow(m);
  return id;
}

void nc_strmap_free(nc_strmap *m) {
  if (!m) return;
  for (int i = 0; i < m->n; i++) free(m->keys[i]);
  free(m->keys);
  free(m->slots);
  free(m);
}

/* ---------------- canonical key text ---------------- */

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (b->p && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    b->cap = (b->cap + (size_t)k + 1) * 2;
    b->p = nc_xrealloc(b->p, b->cap);
  }
}

/* A quantized tensor's scale and zero point are left out on purpose: they do
 * not change a routine's time, and keying on them would re-measure every
 * routine after each calibration. */
static void put_tdesc(sbuf *b, const nc_tdesc *d) {
  if (d->dtype == NC_UNDEF) {
    sb_printf(b, "-");
    return;
  }
  sb_printf(b, "%s[", nc_dtype_name(d->dtype));
  for (int j = 0; j < d->ndim; j++) sb_printf(b, "%s%lld", j ? "," : "", (long long)d->dims[j]);
  sb_printf(b, "]");
}

char *nc_profile_args_text(const nc_args *a, const void *const *consts) {
  sbuf b = {0};
  sb_printf(&b, "in=");
  for (int i = 0; i < a->n_in; i++) {
    if (i) sb_printf(&b, " ");
    put_tdesc(&b, &a->in[i]);
    if (consts && consts[i]) sb_printf(&b, ":c");
  }
  sb_printf(&b, "; out=");
  for (int i = 0; i < a->n_out; i++) {
    if (i) sb_printf(&b, " ");
    put_tdesc(&b, &a->out[i]);
  }
  sb_printf(&b, "; ia=");
  for (int i = 0; i < a->n_ia; i++) sb_printf(&b, "%s%lld", i ? "," : "", (long long)a->ia[i]);
  sb_printf(&b, "; fa=");
  for (int i = 0; i < a->n_fa; i++) sb_printf(&b, "%s%.17g", i ? "," : "", a->fa[i]);
  return b.p;
}

const char *nc_profile_routine_text(const nc_routine *r, const nc_args *a, char *buf, size_t n) {
  int32_t dt = NC_UNDEF;
  for (int i = 0; i < a->n_in && !dt; i++) dt = a->in[i].dtype;
  for (int i = 0; i < a->n_out && !dt; i++) dt = a->out[i].dtype;
  return nc_routine_concrete_descriptor(r, dt, buf, n);
}

const char *nc_profile_db_default_path(char *buf, size_t n) {
  const char *env = getenv("NEUROC_PROFILE_DB");
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  if (env && *env) snprintf(buf, n, "%s", env);
  else if (xdg && *xdg) snprintf(buf, n, "%s/neuroc/profile-db.yaml", xdg);
  else snprintf(buf, n, "%s/.cache/neuroc/profile-db.yaml", home && *home ? home : ".");
  return buf;
}

/* ---------------- the database ---------------- */

struct nc_profile_db {
  char *path;
  nc_profile_entry *e; /* by key id */
  int cap;
  nc_strmap *keys; /* fingerprint \x1f library \x1f routine \x1f args -> id */
  int skipped;
};

static char *join_key(const char *fp, const char *lib, const char *routine, const char *args) {
  sbuf b = {0};
  sb_printf(&b, "%s\x1f%s\x1f%s\x1f%s", fp, lib, routine, args);
  return b.p;
}

static void entry_free(nc_profile_entry *e) {
  free(e->fingerprint);
  free(e->library);
  free(e->routine);
  free(e->args);
}

/* Store a copy of e (taking over its strings) under its key. */
static void db_put(nc_profile_db *db, nc_profile_entry *e) {
  char *k = join_key(e->fingerprint, e->library, e->routine, e->args);
  int added;
  int id = nc_strmap_intern(db->keys, k, &added);
  free(k);
  if (id >= db->cap) {
    db->cap = db->cap ? 2 * db->cap : 256;
    while (id >= db->cap) db->cap *= 2;
    db->e = nc_xrealloc(db->e, sizeof *db->e * (size_t)db->cap);
  }
  if (!added) entry_free(&db->e[id]);
  db->e[id] = *e;
}

/* Parse a double-quoted scalar at *p (escapes \" \\ \xHH); advances *p. */
static char *parse_quoted(const char **p) {
  const char *s = *p;
  if (*s != '"') return NULL;
  s++;
  sbuf b = {0};
  sb_printf(&b, "%s", "");
  for (; *s && *s != '"'; s++) {
    if (*s != '\\') {
      sb_printf(&b, "%c", *s);
      continue;
    }
    s++;
    if (*s == '"' || *s == '\\') sb_printf(&b, "%c", *s);
    else if (*s == 'x' && s[1] && s[2]) {
      char hex[3] = {s[1], s[2], 0};
      char *end;
      long v = strtol(hex, &end, 16);
      if (*end || v <= 0) break;
      sb_printf(&b, "%c", (char)v);
      s += 2;
    } else break;
  }
  if (*s != '"') {
    free(b.p);
    return NULL;
  }
  *p = s + 1;
  return b.p;
}

/* One line "- {key: value, ...}" -> e. Returns 0 or -1 (malformed). */
static int parse_line(const char *line, nc_profile_entry *e) {
  memset(e, 0, sizeof *e);
  const char *p = line;
  if (strncmp(p, "- {", 3) != 0) return -1;
  p += 3;
  int have_ms = 0;
  for (;;) {
    while (*p == ' ') p++;
    const char *k = p;
    while (*p && *p != ':' && *p != '}') p++;
    if (*p != ':' || p[1] != ' ') goto bad;
    size_t kl = (size_t)(p - k);
    p += 2;
    if (*p == '"') {
      char *v = parse_quoted(&p);
      if (!v) goto bad;
      char **dst = kl == 11 && !strncmp(k, "fingerprint", kl) ? &e->fingerprint
                   : kl == 7 && !strncmp(k, "library", kl)    ? &e->library
                   : kl == 7 && !strncmp(k, "routine", kl)    ? &e->routine
                   : kl == 4 && !strncmp(k, "args", kl)       ? &e->args
                                                              : NULL;
      if (kl == 4 && !strncmp(k, "when", kl)) snprintf(e->when, sizeof e->when, "%s", v);
      if (dst) {
        free(*dst);
        *dst = v;
      } else {
        free(v);
      }
    } else {
      char *end;
      double v = strtod(p, &end);
      if (end == p) goto bad;
      p = end;
      if (kl == 9 && !strncmp(k, "median_ms", kl)) e->median_ms = v, have_ms = 1;
      else if (kl == 6 && !strncmp(k, "spread", kl)) e->spread = v;
      else if (kl == 7 && !strncmp(k, "samples", kl)) e->samples = (long)v;
    }
    while (*p == ' ') p++;
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == '}' && p[1] == 0) break;
    goto bad;
  }
  if (e->fingerprint && e->library && e->routine && e->args && have_ms && e->median_ms >= 0)
    return 0;
bad:
  entry_free(e);
  return -1;
}

static int load(nc_profile_db *db, FILE *f) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int lineno = 0;
  while ((len = getline(&line, &cap, f)) > 0) {
    lineno++;
    int complete = line[len - 1] == '\n';
    if (complete) line[--len] = 0;
    if (len == 0 || line[0] == '#') continue;
    nc_profile_entry e;
    if (!complete) {
      /* the crash-safety contract: only the last write can be torn */
      fprintf(stderr, "neuroc: warning: %s:%d: ignoring a torn last line (%zd bytes, an "
              "interrupted write); that measurement will be redone\n", db->path, lineno, len);
      db->skipped++;
    } else if (parse_line(line, &e)) {
      fprintf(stderr, "neuroc: warning: %s:%d: ignoring a malformed entry\n", db->path, lineno);
      db->skipped++;
    } else {
      db_put(db, &e);
    }
  }
  free(line);
  if (ferror(f)) return nc_fail("%s: read error: %s", db->path, strerror(errno));
  return 0;
}

nc_profile_db *nc_profile_db_open(const char *path) {
  nc_profile_db *db = nc_xcalloc(1, sizeof *db);
  db->path = nc_xstrdup(path);
  db->keys = nc_strmap_new();
  FILE *f = fopen(path, "r");
  if (!f && errno != ENOENT) {
    nc_fail("%s: cannot read the profile database: %s", path, strerror(errno));
    nc_profile_db_close(db);
    return NULL;
  }
  if (f) {
    int rc = load(db, f);
    fclose(f);
    if (rc) {
      nc_profile_db_close(db);
      return NULL;
    }
  }
  return db;
}

void nc_profile_db_close(nc_profile_db *db) {
  if (!db) return;
  for (int i = 0; db->keys && i < nc_profile_db_count(db); i++) entry_free(&db->e[i]);
  free(db->e);
  nc_strmap_free(db->keys);
  free(db->path);
  free(db);
}

const char *nc_profile_db_path(const nc_profile_db *db) { return db->path; }

int nc_profile_db_count(const nc_profile_db *db) { return db->keys->n; }
int nc_profile_db_skipped(const nc_profile_db *db) { return db->skipped; }

int nc_profile_db_count_other(const nc_profile_db *db, const char *fingerprint,
                              const char *library) {
  int n = 0;
  for (int i = 0; i < db->keys->n; i++)
    n += strcmp(db->e[i].fingerprint, fingerprint) != 0 || strcmp(db->e[i].library, library) != 0;
  return n;
}

const nc_profile_entry *nc_profile_db_find(const nc_profile_db *db, const char *fingerprint,
                                           const char *library, const char *routine,
                                           const char *args) {
  char *k = join_key(fingerprint, library, routine, args);
  int id = nc_strmap_get(db->keys, k);
  free(k);
  return id >= 0 ? &db->e[id] : NULL;
}

static void put_quoted(sbuf *b, const char *s) {
  sb_printf(b, "\"");
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') sb_printf(b, "\\%c", *s);
    else if ((unsigned char)*s < 32) sb_printf(b, "\\x%02x", (unsigned char)*s);
    else sb_printf(b, "%c", *s);
  }
  sb_printf(b, "\"");
}

static char *entry_line(const nc_profile_entry *e) {
  sbuf b = {0};
  sb_printf(&b, "- {fingerprint: ");
  put_quoted(&b, e->fingerprint);
  sb_printf(&b, ", library: ");
  put_quoted(&b, e->library);
  sb_printf(&b, ", routine: ");
  put_quoted(&b, e->routine);
  sb_printf(&b, ", args: ");
  put_quoted(&b, e->args);
  sb_printf(&b, ", median_ms: %.9g, spread: %.4g, samples: %ld, when: ", e->median_ms, e->spread,
            e->samples);
  put_quoted(&b, e->when);
  sb_printf(&b, "}\n");
  return b.p;
}

static const char header[] =
    "# neuroc profile database: one measurement per line, appended as it arrives.\n"
    "# Keyed by fingerprint + library + routine + args; median_ms is the median time of\n"
    "# one run, spread the relative inter-quartile range. Format: docs/profiling.md.\n";

/* Under the lock: a header for a new file, a newline to close a torn last
 * line left by a crashed writer, then the entry in one write, fsync'ed. */
static int append_locked(int fd, const char *line) {
  struct stat st;
  if (fstat(fd, &st)) return -1;
  if (st.st_size == 0 && nc_write_all(fd, header, sizeof header - 1)) return -1;
  if (st.st_size > 0) {
    char last;
    if (pread(fd, &last, 1, st.st_size - 1) != 1) return -1;
    if (last != '\n' && nc_write_all(fd, "\n", 1)) return -1;
  }
  if (nc_write_all(fd, line, strlen(line))) return -1;
  return fsync(fd);
}

static int mkdir_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path) return 0;
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  return nc_mkdir_p(dir);
}

int nc_profile_db_append(nc_profile_db *db, const nc_profile_entry *e) {
  if (mkdir_parent(db->path)) return -1;
  int fd = open(db->path, O_RDWR | O_APPEND | O_CREAT, 0666); /* read: the last byte */
  if (fd < 0) return nc_fail("%s: cannot write the profile database: %s", db->path, strerror(errno));
  char *line = entry_line(e);
  int rc = flock(fd, LOCK_EX) ? -1 : append_locked(fd, line);
  int err = errno;
  free(line);
  close(fd); /* releases the lock */
  if (rc) return nc_fail("%s: cannot append to the profile database: %s", db->path, strerror(err));
  nc_profile_entry copy = *e;
  copy.fingerprint = nc_xstrdup(e->fingerprint);
  copy.library = nc_xstrdup(e->library);
  copy.routine = nc_xstrdup(e->routine);
  copy.args = nc_xstrdup(e->args);
  db_put(db, &copy);
  return 0;
}

/* ---------------- the cost source decorator ---------------- */

typedef struct db_ctx {
  nc_cost_head head; /* first: nc_cost_free and nc_cost_last read it */
  nc_cost_source *inner;
  nc_profile_db *db;
  int warned_other;
} db_ctx;

static const char *fp_of(const nc_cost_source *s) {
  return s->fingerprint ? s->fingerprint : "unknown";
}
static const char *lib_of(const nc_cost_source *s) {
  return s->library_version ? s->library_version : nc_runtime_version();
}

static int db_lookup(nc_cost_source *s, const nc_routine *r, const nc_args *a,
                     const void *const *consts, double *ms, double *spread) {
  db_ctx *ctx = s->ctx;
  char routine[160];
  nc_profile_routine_text(r, a, routine, sizeof routine);
  char *args = nc_profile_args_text(a, consts);
  const nc_profile_entry *e =
      nc_profile_db_find(ctx->db, fp_of(ctx->inner), lib_of(ctx->inner), routine, args);
  free(args);
  if (!e) return 0;
  *ms = e->median_ms;
  *spread = e->spread;
  memset(&ctx->head.last, 0, sizeof ctx->head.last);
  ctx->head.last.median_ms = e->median_ms;
  ctx->head.last.spread = e->spread;
  ctx->head.last.samples = (int)e->samples;
  return 1;
}

/* Stale entries are never matched; say so once, so the user knows why
 * everything is being measured again. */
static void warn_other_entries(db_ctx *ctx) {
  if (ctx->warned_other) return;
  ctx->warned_other = 1;
  int n = nc_profile_db_count_other(ctx->db, fp_of(ctx->inner), lib_of(ctx->inner));
  if (n)
    fprintf(stderr, "neuroc: %s: %d entries are for another target fingerprint or routine "
            "library version and are not reused; measuring again for %s (library %s)\n",
            ctx->db->path, n, fp_of(ctx->inner), lib_of(ctx->inner));
}

static void utc_now(char *buf, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int db_measure(nc_cost_source *s, const nc_routine *r, const nc_args *a,
                      const void *const *consts, double *ms, double *spread) {
  db_ctx *ctx = s->ctx;
  if (db_lookup(s, r, a, consts, ms, spread)) {
    s->cached++;
    return 0;
  }
  warn_other_entries(ctx);
  if (ctx->inner->measure(ctx->inner, r, a, consts, ms, spread)) return -1;
  s->fingerprint = ctx->inner->fingerprint;
  s->library_version = ctx->inner->library_version;
  ctx->head.last = *nc_cost_last(ctx->inner);
  s->measured++;
  char routine[160];
  nc_profile_entry e = {0};
  e.fingerprint = (char *)fp_of(ctx->inner);
  e.library = (char *)lib_of(ctx->inner);
  e.routine = (char *)nc_profile_routine_text(r, a, routine, sizeof routine);
  e.args = nc_profile_args_text(a, consts);
  e.median_ms = *ms;
  e.spread = *spread;
  e.samples = ctx->head.last.samples;
  utc_now(e.when, sizeof e.when);
  int rc = nc_profile_db_append(ctx->db, &e);
  free(e.args);
  return rc;
}

static void db_destroy(nc_cost_source *s) {
  db_ctx *ctx = s->ctx;
  nc_cost_free(ctx->inner);
  nc_profile_db_close(ctx->db);
  free(ctx);
  free(s);
}

nc_cost_source *nc_cost_db_new(nc_cost_source *inner, const char *path) {
  nc_profile_db *db = nc_profile_db_open(path);
  if (!db) return NULL;
  nc_cost_source *s = nc_xcalloc(1, sizeof *s);
  db_ctx *ctx = nc_xcalloc(1, sizeof *ctx);
  ctx->head.destroy = db_destroy;
  ctx->inner = inner;
  ctx->db = db;
  s->name = inner->name; /* what measures; the DB only remembers */
  s->measure = db_measure;
  s->lookup = db_lookup;
  s->ctx = ctx;
  s->fingerprint = inner->fingerprint;
  s->library_version = inner->library_version;
  return s;
}
