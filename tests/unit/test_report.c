/* `neuroc report` and --routine constraints. The report tests read a small
 * plan written here by hand, so the expected edges, counts and dot lines are
 * worked out from that text, not from the emitter. The constraint tests check
 * the grammar, the range/name coverage and the filtering against hand-picked
 * descriptor lists; the CLI tests check the error messages of `compile`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "compile.h"
#include "constraint.h"
#include "report.h"
#include "test_files.h"

#define SRC NEUROC_SOURCE_DIR
#define OUT NEUROC_BINARY_DIR "/test_report_out"

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* input x (buffer 0) -> adapter (writes 1) -> conv "c1" (reads 1, writes 2,
 * scratch 3) -> relu "r" (reads 2, writes output 4). Mixed: c1 has err. */
static const char *hand_plan =
    "model: \"hand.onnx\"\n"
    "target: host\n"
    "predicted_ms: 1.5\n"
    "predicted_adapters_ms: 0.25\n"
    "arena_bytes: 4096\n"
    "arena_lower_bound_bytes: 3000\n"
    "weights_bytes: 100\n"
    "constraints:\n"
    "  - \"cpu:s8:*@c1\"\n"
    "buffers:\n"
    "  - {id: 0, tensor: \"x\", format: nchw, place: input, offset: 0, bytes: 64, first: 0, last: 0}\n"
    "  - {id: 1, tensor: \"x\", format: nhwc, place: arena, offset: 0, bytes: 64, first: 0, last: 1}\n"
    "  - {id: 2, tensor: \"y\", format: nhwc, place: arena, offset: 1024, bytes: 2048, first: 1, last: 2}\n"
    "  - {id: 3, tensor: \"(scratch)\", format: nchw, place: arena, offset: 3072, bytes: 1024, first: 1, last: 1}\n"
    "  - {id: 4, tensor: \"z<\\\"q\\\">\", format: nhwc, place: output, offset: 0, bytes: 2048, first: 2, last: 2}\n"
    "steps:\n"
    "  - adapter: \"x\"\n"
    "    from: nchw\n"
    "    to: nhwc\n"
    "    routine: cpu:f32:nchw/to-nhwc/c99\n"
    "    predicted_ms: 0.25\n"
    "    reads: [0]\n"
    "    writes: [1]\n"
    "  - layer: \"c1\"\n"
    "    op: Conv\n"
    "    routine: cpu:s8:nhwc/conv-im2col/c99\n"
    "    predicted_ms: 1.0\n"
    "    reads: [1]\n"
    "    writes: [2, 3]\n"
    "    err: 0.002\n"
    "  - layer: \"r\"\n"
    "    op: Relu\n"
    "    routine: cpu:f32:nhwc/relu-ref/c99\n"
    "    predicted_ms: 0.25\n"
    "    reads: [2]\n"
    "    writes: [4]\n";

static nc_report_plan *load_hand(const char *name, const char *text) {
  nc_err_clear(); /* the first message wins until cleared (ir.h) */
  mkdir(OUT, 0777);
  char path[512];
  snprintf(path, sizeof path, OUT "/%s", name);
  tf_spit_text(path, text);
  return nc_report_load(path);
}

Test(report, reads_hand_plan_and_derives_edges) {
  nc_report_plan *p = load_hand("hand.yaml", hand_plan);
  cr_assert(p, "load failed: %s", nc_err_msg());
  cr_assert_eq(p->n_steps, 3);
  cr_assert_eq(p->n_bufs, 5);
  cr_assert_eq(p->steps[0].kind, NC_RSTEP_ADAPTER);
  cr_assert_eq(p->steps[0].layer_index, -1);
  cr_assert_eq(p->steps[1].layer_index, 0);
  cr_assert_eq(p->steps[2].layer_index, 1);
  cr_assert(p->mixed);
  cr_assert_float_eq(p->steps[1].err, 0.002, 1e-12);
  cr_assert_lt(p->steps[2].err, 0.0);
  cr_assert_eq(p->n_constraints, 1);
  cr_assert_str_eq(p->constraints[0], "cpu:s8:*@c1");
  /* input0 -> s0 (buf 0), s0 -> s1 (buf 1), s1 -> s2 (buf 2) */
  cr_assert_eq(p->n_edges, 3);
  cr_assert_eq(p->edges[0].from, -1);
  cr_assert_eq(p->edges[0].to, 0);
  cr_assert_eq(p->edges[1].from, 0);
  cr_assert_eq(p->edges[1].to, 1);
  cr_assert_eq(p->edges[1].buffer, 1);
  cr_assert_eq(p->edges[2].from, 1);
  cr_assert_eq(p->edges[2].to, 2);
  cr_assert_eq(p->edges[2].buffer, 2);
  nc_report_free(p);
}

Test(report, dot_has_one_node_per_step_and_the_edges) {
  nc_report_plan *p = load_hand("hand_dot.yaml", hand_plan);
  cr_assert(p, "load failed: %s", nc_err_msg());
  cr_assert_eq(nc_report_write_dot(p, OUT "/hand.dot"), 0, "%s", nc_err_msg());
  char *d = tf_slurp(OUT "/hand.dot", NULL);
  cr_assert(strstr(d, "digraph plan {"));
  cr_assert(strstr(d, "in0 -> s0 [label=\"x nchw\"];"), "%s", d);
  cr_assert(strstr(d, "s0 -> s1 [label=\"x nhwc\"];"), "%s", d);
  cr_assert(strstr(d, "s1 -> s2 [label=\"y nhwc\"];"), "%s", d);
  cr_assert_eq(count(d, " -> "), 3);
  cr_assert_eq(count(d, "class=\"adapter\""), 1);
  cr_assert(strstr(d, "s1 [label=\"#0 c1 (Conv)\\ncpu:s8:nhwc/conv-im2col/c99\\n1.0000 ms\"];"),
            "%s", d);
  cr_assert_str_eq(d + strlen(d) - 2, "}\n");
  free(d);
  nc_report_free(p);
}

Test(report, html_is_self_contained_and_escapes_names) {
  nc_report_plan *p = load_hand("hand_html.yaml", hand_plan);
  cr_assert(p, "load failed: %s", nc_err_msg());
  cr_assert_eq(nc_report_write_html(p, OUT "/hand.html"), 0, "%s", nc_err_msg());
  char *h = tf_slurp(OUT "/hand.html", NULL);
  cr_assert(strstr(h, "id=\"graph\""));
  cr_assert(strstr(h, "id=\"time\""));
  cr_assert(strstr(h, "id=\"arena\""));
  cr_assert(strstr(h, "id=\"error\""));
  cr_assert(strstr(h, "\"mixed\":true"));
  cr_assert(strstr(h, "<code>cpu:s8:*@c1</code>"));
  /* no network: nothing is fetched */
  cr_assert_eq(count(h, "http"), 1, "a URL besides the SVG namespace");
  cr_assert(strstr(h, "'http://www.w3.org/2000/svg'"));
  cr_assert_null(strstr(h, "src="));
  /* the tensor z<"q"> cannot close the script or the string */
  cr_assert(strstr(h, "\"z\\u003c\\\"q\\\"\\u003e\""), "escaped name missing");
  cr_assert_eq(count(h, "</script>"), 2);
  free(h);
  nc_report_free(p);
}

Test(report, bad_plans_are_refused_with_file_and_line) {
  nc_err_clear();
  nc_report_plan *p = nc_report_load(OUT "/does-not-exist.yaml");
  cr_assert_null(p);
  cr_assert(strstr(nc_err_msg(), "cannot open plan"), "%s", nc_err_msg());
  p = load_hand("old.yaml", "model: m\nsteps:\n  - layer: a\n    routine: x\n");
  cr_assert_null(p);
  cr_assert(strstr(nc_err_msg(), "no 'buffers:'"), "%s", nc_err_msg());
  p = load_hand("badnum.yaml", "model: m\nsteps:\n  - layer: a\n    predicted_ms: fast\n");
  cr_assert_null(p);
  cr_assert(strstr(nc_err_msg(), "badnum.yaml:4:"), "%s", nc_err_msg());
  p = load_hand("badstep.yaml", "steps:\n  - weird: 1\nbuffers: []\n");
  cr_assert_null(p);
  cr_assert(strstr(nc_err_msg(), "a layer, an adapter or a copy"), "%s", nc_err_msg());
  p = load_hand("badyaml.yaml", "steps: [\n");
  cr_assert_null(p);
  cr_assert(strstr(nc_err_msg(), "YAML error"), "%s", nc_err_msg());
}

Test(report, measured_times_attach_to_their_steps) {
  nc_report_plan *p = load_hand("hand_m.yaml", hand_plan);
  cr_assert(p, "load failed: %s", nc_err_msg());
  cr_assert_lt(p->steps[1].measured_ms, 0.0, "nothing measured before --measured");
  tf_spit_text(OUT "/m.yaml", "runs: 7\nsteps:\n  - {step: 1, ms: 0.75}\n  - {step: 2, ms: 0.5}\n");
  cr_assert_eq(nc_report_add_measured(p, OUT "/m.yaml"), 0, "%s", nc_err_msg());
  cr_assert_lt(p->steps[0].measured_ms, 0.0);
  cr_assert_float_eq(p->steps[1].measured_ms, 0.75, 1e-12);
  cr_assert_float_eq(p->steps[2].measured_ms, 0.5, 1e-12);
  cr_assert_eq(p->measured_runs, 7);
  cr_assert_eq(nc_report_write_html(p, OUT "/hand_m.html"), 0, "%s", nc_err_msg());
  char *h = tf_slurp(OUT "/hand_m.html", NULL);
  cr_assert(strstr(h, "<td id=\"measured\">1.2500 ms summed over the steps (median of 7 runs"), "%s", h);
  cr_assert(strstr(h, "\"ms\":1.000000,\"measured\":0.750000"));
  free(h);
  /* a step the plan does not have, or a malformed entry: refused with the line */
  nc_err_clear();
  tf_spit_text(OUT "/m_bad.yaml", "runs: 1\nsteps:\n  - {step: 3, ms: 1}\n");
  cr_assert_neq(nc_report_add_measured(p, OUT "/m_bad.yaml"), 0);
  cr_assert(strstr(nc_err_msg(), "m_bad.yaml:3: step 3 / ms 1 does not fit"), "%s", nc_err_msg());
  nc_err_clear();
  tf_spit_text(OUT "/m_bad2.yaml", "steps:\n  - {ms: 1}\n");
  cr_assert_neq(nc_report_add_measured(p, OUT "/m_bad2.yaml"), 0);
  cr_assert(strstr(nc_err_msg(), "m_bad2.yaml:2: a measured step must be {step: I, ms: T}"), "%s",
            nc_err_msg());
  nc_report_free(p);
}

Test(constraint, grammar) {
  nc_constraint c;
  cr_assert_eq(nc_constraint_parse("cpu:s8:*@3..20", &c), 0);
  cr_assert(!c.exclude && c.has_range && c.lo == 3 && c.hi == 20 && !c.name[0]);
  cr_assert_str_eq(c.glob, "cpu:s8:*");
  cr_assert_eq(nc_constraint_parse("!*/conv-im2col/*@7", &c), 0);
  cr_assert(c.exclude && c.has_range && c.lo == 7 && c.hi == 7);
  cr_assert_str_eq(c.glob, "*/conv-im2col/*");
  cr_assert_eq(nc_constraint_parse("cpu:f32:nhwc/*@conv1", &c), 0);
  cr_assert_str_eq(c.name, "conv1");
  cr_assert_eq(nc_constraint_parse("*/gemm-*", &c), 0);
  cr_assert(!c.has_range);
  const char *bad[] = {"", "!", "@3", "x@", "x@3..", "x@..3", "x@5..2", "a!b", "!!x"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    cr_assert_neq(nc_constraint_parse(bad[i], &c), 0, "accepted '%s'", bad[i]);
  nc_err_clear(); /* the first message wins until cleared (ir.h) */
  nc_constraint_parse("x@5..2", &c);
  cr_assert(strstr(nc_err_msg(), "empty layer range 5..2"), "%s", nc_err_msg());
}

Test(constraint, coverage_by_index_and_name) {
  nc_constraint c;
  nc_constraint_parse("*@2..4", &c);
  cr_assert(!nc_constraint_covers(&c, 1, "a"));
  cr_assert(nc_constraint_covers(&c, 2, "a"));
  cr_assert(nc_constraint_covers(&c, 4, "a"));
  cr_assert(!nc_constraint_covers(&c, 5, "a"));
  nc_constraint_parse("*@conv1", &c);
  cr_assert(nc_constraint_covers(&c, 9, "conv1"));
  cr_assert(!nc_constraint_covers(&c, 0, "conv10"));
  const char *names[] = {"conv1", "pool", "fc"};
  const char *ok[] = {"*@0..2", "*@2..40", "*@fc", "*"};
  cr_assert_eq(nc_constraints_check_ranges(ok, 4, names, 3), 0, "%s", nc_err_msg());
  nc_err_clear();
  const char *r[] = {"*@3..9"};
  cr_assert_neq(nc_constraints_check_ranges(r, 1, names, 3), 0);
  cr_assert(strstr(nc_err_msg(), "matches no layer (the model has 3 layers, 0..2)"), "%s",
            nc_err_msg());
  nc_err_clear();
  const char *n[] = {"*@conv2"};
  cr_assert_neq(nc_constraints_check_ranges(n, 1, names, 3), 0);
  cr_assert(strstr(nc_err_msg(), "no layer named 'conv2'"), "%s", nc_err_msg());
}

static const char *descs[] = {"cpu:f32:nchw/conv-direct/c99", "cpu:f32:nhwc/conv-im2col/c99",
                              "cpu:s8:nhwc/conv-im2col/c99", "cpu:f32:nchw8c/conv-direct/avx2"};

static int filter(const char *const *t, int nt, int index, const char *name, int *keep,
                  int *pinned, char *why) {
  return nc_constraints_filter(t, nt, index, name, descs, 4, keep, pinned, why, 1024);
}

Test(constraint, pins_and_exclusions) {
  int keep[4], pinned;
  char why[1024];
  const char *a[] = {"cpu:s8:*@1..3"};
  cr_assert_eq(filter(a, 1, 2, "c", keep, &pinned, why), 1);
  cr_assert(pinned && keep[2] && !keep[0] && !keep[1] && !keep[3]);
  cr_assert_eq(filter(a, 1, 0, "c", keep, &pinned, why), 4, "outside the range: untouched");
  cr_assert(!pinned);
  const char *b[] = {"!*/conv-direct/*"};
  cr_assert_eq(filter(b, 1, 0, "c", keep, &pinned, why), 2);
  cr_assert(!keep[0] && keep[1] && keep[2] && !keep[3]);
  /* two pins on one layer: the union of their matches, then the exclusion */
  const char *c[] = {"*:nhwc/*@c", "*/avx2@c", "!cpu:s8:*"};
  cr_assert_eq(filter(c, 3, 5, "c", keep, &pinned, why), 2);
  cr_assert(!keep[0] && keep[1] && !keep[2] && keep[3]);
  /* unranged pin that matches nothing: the old --routine meaning, no effect */
  const char *d[] = {"cpu:u8:*"};
  cr_assert_eq(filter(d, 1, 0, "c", keep, &pinned, why), 4);
}

Test(constraint, a_layer_left_without_candidates_is_named) {
  int keep[4], pinned;
  char why[1024];
  const char *a[] = {"cpu:u8:*@2"};
  cr_assert_eq(filter(a, 1, 2, "conv3", keep, &pinned, why), 0);
  cr_assert(strstr(why, "layer 2 (conv3): no routine matches 'cpu:u8:*@2'; candidates: "
                        "cpu:f32:nchw/conv-direct/c99, cpu:f32:nhwc/conv-im2col/c99"),
            "%s", why);
  const char *b[] = {"!cpu:*"};
  cr_assert_eq(filter(b, 1, 0, "conv1", keep, &pinned, why), 0);
  cr_assert(strstr(why, "layer 0 (conv1): the --routine constraints leave no routine"), "%s", why);
}

/* The CLI end to end on examples/tiny_cnn (7 layers: conv1 pool1 conv2 gap
 * flatten fc softmax): errors, exit codes and the recorded constraints. */
static int run_cli(const char *args, const char *log) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd " SRC " && \"" NEUROC_EXE "\" %s > %s 2>&1", args, log);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define TINY "compile examples/tiny_cnn/model.onnx -t targets/host.yaml --db " OUT "/db.yaml -q "

Test(constraint, cli_errors_and_recording, .timeout = 120) {
  mkdir(OUT, 0777);
  const char *log = OUT "/cli.log";
  cr_assert_eq(run_cli(TINY "-o " OUT "/e1 --routine 'cpu:f32:*@9..20'", log), 3);
  char *t = tf_slurp(log, NULL);
  cr_assert(strstr(t, "layer range 9..20 matches no layer (the model has 7 layers, 0..6)"), "%s", t);
  free(t);
  cr_assert_eq(run_cli(TINY "-o " OUT "/e2 --routine 'cpu:s8:*@gap'", log), 3);
  t = tf_slurp(log, NULL);
  cr_assert(strstr(t, "layer 3 (gap): no routine matches 'cpu:s8:*@gap'; candidates: "
                      "cpu:f32:nchw/globalaveragepool-ref/c99"), "%s", t);
  free(t);
  cr_assert_eq(run_cli(TINY "-o " OUT "/e3 --routine 'x@'", log), 1);
  cr_assert_eq(run_cli(TINY "-o " OUT "/ok --routine 'cpu:f32:nhwc/*@0' --routine "
                            "'!*/conv-direct*@conv2'", log), 0);
  t = tf_slurp(OUT "/ok/plan.yaml", NULL);
  cr_assert(strstr(t, "constraints:\n  - \"cpu:f32:nhwc/*@0\"\n  - \"!*/conv-direct*@conv2\"\n"),
            "constraints not recorded");
  /* the routines obey them: conv1 on an nhwc routine, conv2 not conv-direct */
  const char *c1 = strstr(t, "- layer: \"conv1\"");
  const char *c2 = strstr(t, "- layer: \"conv2\"");
  cr_assert(c1 && c2);
  cr_assert(strncmp(strstr(c1, "routine: ") + 9, "cpu:f32:nhwc/", 13) == 0);
  char r2[200];
  cr_assert_eq(sscanf(strstr(c2, "routine: "), "routine: %199s", r2), 1);
  cr_assert_null(strstr(r2, "conv-direct"), "conv2 got %s", r2);
  free(t);
  /* compile --plan records them again */
  cr_assert_eq(run_cli("compile examples/tiny_cnn/model.onnx -t targets/host.yaml -q -o " OUT
                       "/again --plan " OUT "/ok/plan.yaml", log), 0);
  t = tf_slurp(OUT "/again/plan.yaml", NULL);
  cr_assert(strstr(t, "constraints:\n  - \"cpu:f32:nhwc/*@0\"\n  - \"!*/conv-direct*@conv2\"\n"));
  free(t);
  /* report of that plan, and a missing plan is a bad input file (exit 2) */
  cr_assert_eq(run_cli("report " OUT "/ok --dot " OUT "/ok/plan.dot -q", log), 0);
  struct stat st;
  cr_assert_eq(stat(OUT "/ok/report.html", &st), 0);
  cr_assert_eq(run_cli("report " OUT "/nowhere -q", log), 2);
}
