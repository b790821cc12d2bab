/* Reproducible builds: `neuroc compile --plan` run from two working
 * directories, with absolute and with relative paths, with the model copied
 * elsewhere and the target spec rewritten (comments gone, keys reordered),
 * writes byte-identical model.c and model.h, with no directory, host name or
 * date in them; a plan is refused for another model, another target spec or
 * another routine library, the message naming which and both values. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "plan_read.h"
#include "test_files.h"

#define SRC NEUROC_SOURCE_DIR
#define OUT NEUROC_BINARY_DIR "/test_reproducible_out"

static const char *tiny = SRC "/examples/tiny_cnn/model.onnx";
static const char *host = SRC "/targets/host.yaml";

/* Run `neuroc ARGS` in directory cwd; stderr into OUT/stderr.txt. Returns
 * the exit status. */
static int neuroc_in(const char *cwd, const char *args) {
  char cmd[8192]; /* room for cwd + args (each under 4096) and the fixed parts */
  int n = snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s -q 2>'%s/stderr.txt'", cwd, NEUROC_EXE,
                   args, OUT);
  cr_assert(n > 0 && (size_t)n < sizeof cmd, "command too long");
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* OUT/plan/plan.yaml for tiny on targets/host.yaml, tuned by the neuroc
 * binary itself (measured here, no profile DB), so that the plan's routine
 * library is the binary's. */
static void make_plan(void) {
  char args[2048];
  snprintf(args, sizeof args, "tune '%s' -t '%s' --db none -o '%s'", tiny, host, OUT "/plan");
  cr_assert_eq(neuroc_in(OUT, args), 0, "neuroc tune failed");
}

static char *last_stderr(void) {
  size_t n;
  return tf_slurp(OUT "/stderr.txt", &n);
}

static void sha_like_compare(const char *a, const char *b) {
  size_t na, nb;
  char *x = tf_slurp(a, &na), *y = tf_slurp(b, &nb);
  cr_assert(na == nb && memcmp(x, y, na) == 0, "%s and %s differ", a, b);
  free(x);
  free(y);
}

/* Nothing about the build machine or the moment in the generated file. */
static void assert_no_leaks(const char *path) {
  size_t n;
  char *text = tf_slurp(path, &n);
  const char *dirs[] = {SRC, OUT, NEUROC_BINARY_DIR, "/tmp/", "/home/", "/work/"};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
    cr_assert_null(strstr(text, dirs[i]), "%s contains '%s'", path, dirs[i]);
  char hostname[256] = "";
  gethostname(hostname, sizeof hostname - 1);
  /* the comments and code (weights are one string literal of raw bytes,
   * where a short host name could occur by chance: left out) */
  char *w = strstr(text, "_weights[");
  char *end = w ? strstr(w, ";\n\n") : NULL;
  if (w && end) memset(w, ' ', (size_t)(end - w));
  if (strlen(hostname) >= 3) cr_assert_null(strstr(text, hostname), "%s names the host", path);
  char year[8];
  time_t now = time(NULL);
  strftime(year, sizeof year, "%Y", gmtime(&now));
  cr_assert_null(strstr(text, year), "%s contains the year %s (a timestamp?)", path, year);
  free(text);
}

/* The spec at from with comments and blank lines dropped and its top-level
 * keys (with their nested lines) in reverse order: the same content. */
static void rewrite_spec(const char *from, const char *to) {
  size_t n;
  char *text = tf_slurp(from, &n);
  char *blocks[64];
  int nb = 0;
  char *out = calloc(1, n + 1);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    const char *p = line + strspn(line, " ");
    if (!*p || *p == '#') continue;
    if (line[0] != ' ') {
      cr_assert_lt(nb, 64);
      blocks[nb] = calloc(1, n + 1);
      nb++;
    }
    cr_assert_gt(nb, 0, "indented line before any key in %s", from);
    strcat(blocks[nb - 1], line);
    strcat(blocks[nb - 1], "\n");
  }
  for (int i = nb - 1; i >= 0; i--) {
    strcat(out, blocks[i]);
    free(blocks[i]);
  }
  tf_spit_text(to, out);
  free(out);
  free(text);
}

Test(reproducible, same_bytes_from_any_directory_and_path_spelling) {
  mkdir(OUT, 0755);
  make_plan();
  char args[4096];
  /* 1: absolute paths, run from OUT/a */
  mkdir(OUT "/a", 0755);
  snprintf(args, sizeof args, "compile '%s' -t '%s' --plan '%s' -o '%s'", tiny, host,
           OUT "/plan/plan.yaml", OUT "/a/out");
  cr_assert_eq(neuroc_in(OUT "/a", args), 0, "%s", last_stderr());
  /* 2: a copy of the model and a rewritten spec, relative paths from OUT/b */
  mkdir(OUT "/b", 0755);
  mkdir(OUT "/b/m", 0755);
  size_t n;
  char *model = tf_slurp(tiny, &n);
  FILE *f = fopen(OUT "/b/m/model.onnx", "wb");
  fwrite(model, 1, n, f);
  fclose(f);
  free(model);
  rewrite_spec(host, OUT "/b/spec.yaml");
  cr_assert_eq(neuroc_in(OUT "/b",
                         "compile m/model.onnx -t spec.yaml --plan ../plan/plan.yaml -o out"),
               0, "%s", last_stderr());
  const char *files[] = {"model.c", "model.h"};
  for (int i = 0; i < 2; i++) {
    char p1[600], p2[600];
    snprintf(p1, sizeof p1, OUT "/a/out/%s", files[i]);
    snprintf(p2, sizeof p2, OUT "/b/out/%s", files[i]);
    sha_like_compare(p1, p2);
    assert_no_leaks(p1);
  }
}

/* Copy OUT/plan/plan.yaml with the line starting with key replaced. */
static void edit_plan(const char *to, const char *key, const char *line) {
  size_t n;
  char *text = tf_slurp(OUT "/plan/plan.yaml", &n);
  char *at = strstr(text, key);
  cr_assert_not_null(at, "no %s in the plan", key);
  char *eol = strchr(at, '\n');
  FILE *f = fopen(to, "wb");
  fwrite(text, 1, (size_t)(at - text), f);
  fputs(line, f);
  fputs(eol, f);
  fclose(f);
  free(text);
}

static void expect_refusal(const char *args, const char *what, const char *v1, const char *v2) {
  cr_assert_eq(neuroc_in(OUT, args), 2, "exit 2 (input) for %s", what);
  char *err = last_stderr();
  cr_assert(strstr(err, what), "'%s' not in: %s", what, err);
  cr_assert(strstr(err, v1), "'%s' not in: %s", v1, err);
  cr_assert(strstr(err, v2), "'%s' not in: %s", v2, err);
  free(err);
}

Test(reproducible, plan_for_another_model_target_or_library_is_refused) {
  mkdir(OUT, 0755);
  make_plan();
  char args[4096], hash[64];
  nc_target *t = nc_target_load(host);
  cr_assert_not_null(t);
  char spec_hash[64];
  snprintf(spec_hash, sizeof spec_hash, "%s", t->spec_hash);
  nc_target_free(t);

  edit_plan(OUT "/model.yaml", "model_hash:", "model_hash: fnv1a64:0123456789abcdef");
  snprintf(args, sizeof args, "compile '%s' -t '%s' --plan '%s' -o '%s'", tiny, host,
           OUT "/model.yaml", OUT "/r1");
  expect_refusal(args, "another model", "fnv1a64:0123456789abcdef",
                 nc_file_hash(tiny, hash, sizeof hash));

  /* one key changed: the plan's target hash no longer matches */
  size_t n;
  char *spec = tf_slurp(host, &n);
  char *at = strstr(spec, "\ncflags: -O2");
  cr_assert_not_null(at);
  memcpy(at, "\ncflags: -O3", 12);
  tf_spit_text(OUT "/o3.yaml", spec);
  free(spec);
  t = nc_target_load(OUT "/o3.yaml");
  cr_assert_not_null(t);
  char o3_hash[64];
  snprintf(o3_hash, sizeof o3_hash, "%s", t->spec_hash);
  nc_target_free(t);
  cr_assert_str_neq(o3_hash, spec_hash);
  snprintf(args, sizeof args, "compile '%s' -t '%s' --plan '%s' -o '%s'", tiny, OUT "/o3.yaml",
           OUT "/plan/plan.yaml", OUT "/r2");
  expect_refusal(args, "another target spec", spec_hash, o3_hash);

  edit_plan(OUT "/lib.yaml", "library_version:", "library_version: \"0.0.1+deadbeef\"");
  snprintf(args, sizeof args, "compile '%s' -t '%s' --plan '%s' -o '%s'", tiny, host,
           OUT "/lib.yaml", OUT "/r3");
  /* the binary's own library version, as its plan records it */
  size_t len;
  char *plan = tf_slurp(OUT "/plan/plan.yaml", &len), lib[128] = "";
  char *v = strstr(plan, "\nlibrary_version: \"");
  cr_assert_not_null(v);
  sscanf(v + 19, "%127[^\"]", lib);
  free(plan);
  cr_assert_gt(strlen(lib), 0);
  expect_refusal(args, "routine library", "0.0.1+deadbeef", lib);
  struct stat st;
  cr_assert_neq(stat(OUT "/r1/model.c", &st), 0, "nothing written");
  cr_assert_neq(stat(OUT "/r2/model.c", &st), 0, "nothing written");
  cr_assert_neq(stat(OUT "/r3/model.c", &st), 0, "nothing written");
}
