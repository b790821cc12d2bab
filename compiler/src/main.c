/* neuroc command line: inspect, profile, tune, compile, run, bench, routines. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_client.h"
#include "compile.h"
#include "constraint.h"
#include "report.h"
#include "quantize.h"
#include "export_qdq.h"
#include "npy.h"
#include "onnx_import.h"
#include "ops.h"
#include "profile_db.h"

/* Exit codes (documented in docs/cli.md). */
enum {
  EXIT_OK = 0,
  EXIT_USAGE = 1,     /* bad command line */
  EXIT_INPUT = 2,     /* unreadable/malformed model, target spec or tensor file */
  EXIT_UNSUPPORTED = 3, /* the model uses something neuroc does not support */
  EXIT_BUILD = 4,     /* the emitted code failed to build or run */
  EXIT_OUTPUT = 5,    /* could not write the output directory */
  EXIT_PROFILE = 6    /* profiling failed: agent unreachable or died, profile DB unusable */
};

#define MAX_LIST 256

typedef struct cli {
  const char *cmd, *model, *spec, *out_dir, *prefix;
  const char *models[MAX_LIST]; /* every MODEL argument (profile takes several) */
  int n_models;
  const char *db_opt, *plan; /* --db as given (NULL: default), --plan */
  int repeat_given;
  const char *inputs[MAX_LIST];
  int n_inputs;
  const char *binds[MAX_LIST];
  int n_binds;
  const char *force[MAX_LIST];
  int n_force;
  int repeat, verbose, quiet;
  int jobs;                      /* -j N: agents measuring at once (0: not given) */
  int dtype_mode, dtype_given;   /* --dtype */
  const char *accuracy;          /* --accuracy as given */
  nc_quant_options quant;        /* --calibrate, --percentile, --accuracy */
  const char *export_qdq;        /* --export-qdq FILE.onnx */
  const char *dot;               /* report --dot FILE */
  const char *measured;          /* report --measured FILE */
} cli;

/* Options every command takes (same words in every --help). */
#define COMMON_OPTIONS                                                                      \
  "common options:\n"                                                                       \
  "  -q, --quiet            only errors and the command's own results (inspect's table,\n"  \
  "                         routines, run's and bench's figures): no progress, summary or\n" \
  "                         'wrote' lines\n"                                                 \
  "  -v, --verbose          also the routine chosen per layer and (run, bench) the runtime\n" \
  "                         library linked\n"                                                \
  "  -h, --help             this text\n"
/* Commands that measure (profile, tune, and compile/run/bench without --plan). */
#define JOBS_OPTION                                                                         \
  "  -j, --jobs N           measure up to N (routine, shapes) pairs at once, on agent targets\n" \
  "                         that start an agent per connection and allow it (agent: parallel\n" \
  "                         in the spec, docs/agent.md); refused for the local profiler\n"

static const char *usage_main =
    "usage: neuroc <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL.onnx                     layers, shapes, parameters, FLOPs, unsupported ops\n"
    "  profile MODEL.onnx... -t SPEC.yaml     measure what the profile DB lacks for the models\n"
    "  tune MODEL.onnx -t SPEC.yaml -o DIR    profile what is missing, run DPRS, write DIR/plan.yaml\n"
    "  compile MODEL.onnx -t SPEC.yaml -o DIR write DIR/model.c, DIR/model.h, DIR/plan.yaml\n"
    "  compile MODEL.onnx -t SPEC.yaml --plan PLAN.yaml -o DIR\n"
    "                                         the same C from a plan, measuring nothing\n"
    "  routines [--markdown]                  the routine table: descriptor, layer, symbol, formats\n"
    "  run MODEL.onnx -t SPEC.yaml --input NAME=FILE.npy ... -o DIR\n"
    "                                         compile, build with the target toolchain, run,\n"
    "                                         write DIR/<output>.npy for every output\n"
    "  bench MODEL.onnx -t SPEC.yaml [--plan PLAN.yaml]\n"
    "                                         build, run repeatedly on the target, print the\n"
    "                                         measured and the DPRS-predicted time\n"
    "  report PLAN_DIR|PLAN.yaml [-o FILE.html] [--dot FILE.dot] [--measured FILE]\n"
    "                                         the plan as one self-contained HTML page (graph,\n"
    "                                         time bars, arena map, error) and Graphviz dot\n"
    "\n"
    "neuroc <command> --help shows the options of a command; neuroc --version the version.\n"
    "every command takes -q/--quiet, -v/--verbose and -h/--help; the measuring ones (profile,\n"
    "tune, compile, run, bench) also -j N (parallel agents where the target allows).\n"
    "exit codes: 0 ok, 1 usage, 2 bad input file (model, spec, tensor, plan, profile DB),\n"
    "            3 unsupported model, 4 build/run failed, 5 cannot write output,\n"
    "            6 profiling failed (agent unreachable or died, profile DB unusable),\n"
    "            70 out of memory\n";

static const char *usage_inspect =
    "usage: neuroc inspect MODEL.onnx [--bind NAME=FILE.npy]...\n"
    "Prints the layers with output shapes, parameter count, FLOPs, and any unsupported ops.\n"
    "  --bind NAME=FILE   fix graph input NAME to the tensor in FILE (.npy or TensorProto .pb)\n"
    COMMON_OPTIONS
    "example: neuroc inspect examples/tiny_cnn/model.onnx\n";

static const char *usage_compile =
    "usage: neuroc compile MODEL.onnx -t SPEC.yaml -o DIR [options]\n"
    "Imports the model, folds/fuses, measures every candidate routine on this host, picks\n"
    "the routine path with DPRS, and writes DIR/model.c, DIR/model.h and DIR/plan.yaml.\n"
    "  -t, --target SPEC      target spec (YAML), e.g. targets/host.yaml\n"
    "  -o, --output DIR       output directory (created)\n"
    "  --name PREFIX          C symbol and file prefix (default: model)\n"
    "  --routine PATTERN[@RANGE], --routine !PATTERN[@RANGE]\n"
    "                         force routines whose descriptor matches the glob PATTERN on every\n"
    "                         layer that has one (repeatable), e.g. '*/conv-im2col/*'; @RANGE\n"
    "                         limits it to layers I..J, layer I or the layer named so, and\n"
    "                         every layer there must then have a match ('cpu:f32:nhwc/*@1..3',\n"
    "                         '*/conv-im2col/*@conv1'); '!' excludes the matching routines.\n"
    "                         Layers count from 0 in plan.yaml order; recorded in plan.yaml\n"
    "  --bind NAME=FILE       fix graph input NAME to a constant from FILE (.npy or .pb)\n"
    "  --db FILE              profile database (default: $NEUROC_PROFILE_DB, else\n"
    "                         $XDG_CACHE_HOME/neuroc/profile-db.yaml, else\n"
    "                         ~/.cache/neuroc/profile-db.yaml); 'none' measures everything\n"
    "  --plan PLAN.yaml       emit from a plan written by `tune` or `compile`: no measuring,\n"
    "                         byte-identical model.c/model.h; refused if the model or the\n"
    "                         routine library differs\n"
    "  --dtype f32|int8|auto  activation storage: f32 (default); int8 (u8 activations, s8\n"
    "                         per-channel weights) on every layer with an int8 routine; auto:\n"
    "                         DPRS picks per layer, paying for the conversions\n"
    "  --calibrate DIR        calibration inputs (.npy or raw float32 .bin files, see\n"
    "                         docs/calibration.md); without it random inputs, with a warning\n"
    "  --percentile P         activation ranges cover P percent of the calibration values\n"
    "                         (default: min/max)\n"
    "  --accuracy A           with --dtype auto: the fastest choice whose output error vs f32\n"
    "                         on the calibration inputs is within A: a relative L2 error\n"
    "                         (0.01, rel:0.01) or a top-1 agreement (top1:0.99)\n"
    "  --export-qdq FILE.onnx also write the model with neuroc's quantization as an ONNX QDQ\n"
    "                         model (u8 activations, s8 per-channel weights) for ONNX Runtime\n"
    JOBS_OPTION COMMON_OPTIONS
    "example: neuroc compile examples/tiny_cnn/model.onnx -t targets/host.yaml -o out/tiny\n"
    "         neuroc compile examples/tiny_cnn/model.onnx -t targets/host.yaml \\\n"
    "           --plan out/tiny/plan.yaml -o out/tiny-again\n";

static const char *usage_profile =
    "usage: neuroc profile MODEL.onnx... -t SPEC.yaml [--db FILE] [options]\n"
    "Measures, on the target named by SPEC (local profiler or agent), every candidate routine\n"
    "and adapter of every layer that the profile database does not hold yet: each distinct\n"
    "(routine, shapes) pair once across all the models. Each result is appended to the\n"
    "database as it arrives, so an interrupted run resumes where it stopped. Prints per model\n"
    "`measured N new, M from the database`; a progress bar with ETA on a terminal.\n"
    "  -t, --target SPEC      target spec (YAML)\n"
    "  --db FILE              profile database (default as for `compile`)\n"
    "  --routine PATTERN[@RANGE], --routine !PATTERN[@RANGE]\n"
    "                         only candidates matching / not matching the glob, as in\n"
    "                         `compile` (repeatable; a range applies to every model)\n"
    "  --bind NAME=FILE       fix graph input NAME to a constant (every model)\n"
    JOBS_OPTION COMMON_OPTIONS
    "example: neuroc profile tests/models/onnx/resnet18.onnx tests/models/onnx/resnet50.onnx \\\n"
    "           -t targets/host.yaml --db out/profile-db.yaml\n";

static const char *usage_tune =
    "usage: neuroc tune MODEL.onnx -t SPEC.yaml -o DIR [--db FILE] [options]\n"
    "Profiles what the database lacks (like `profile`), picks the routine path with DPRS and\n"
    "writes DIR/plan.yaml: per layer the routine, its candidates and predicted times, plus\n"
    "the model hash, target spec hash, routine library version and target fingerprint.\n"
    "`neuroc compile --plan DIR/plan.yaml` then emits the C without measuring.\n"
    "  options as for `compile` (-t, -o, --db, --routine, --bind, --name, --dtype,\n"
    "  --calibrate, --percentile, --accuracy, --export-qdq)\n"
    JOBS_OPTION COMMON_OPTIONS
    "example: neuroc tune examples/tiny_cnn/model.onnx -t targets/host.yaml -o out/tiny\n";

static const char *usage_bench =
    "usage: neuroc bench MODEL.onnx -t SPEC.yaml [--plan PLAN.yaml] [--repeat N] [options]\n"
    "Tunes (unless a plan is given), emits, builds the model with the target toolchain, runs\n"
    "it N times on the target (the spec's `run` prefix) on random inputs and prints\n"
    "`median_ms X`, `predicted_ms Y` (the DPRS total) and `ratio X/Y`.\n"
    "  --plan PLAN.yaml       use this plan instead of tuning\n"
    "  --repeat N             timed runs (default 10)\n"
    "  -o, --output DIR       keep the build in DIR (default: a temporary directory, removed)\n"
    "  plus --db, --routine, --bind, --name of `compile`\n"
    JOBS_OPTION COMMON_OPTIONS
    "example: neuroc bench tests/models/onnx/resnet50.onnx -t targets/host.yaml --repeat 20\n";

static const char *usage_report =
    "usage: neuroc report PLAN_DIR|PLAN.yaml [-o FILE.html] [--dot FILE.dot] [--measured FILE]\n"
    "Draws a plan written by `compile` or `tune` as one self-contained HTML page (no network):\n"
    "the graph with the routine per layer and the adapters highlighted, the predicted time per\n"
    "step, the arena map over time and, for mixed precision, the error per layer. --dot also\n"
    "writes the graph for Graphviz. Default output: report.html beside the plan.\n"
    "  -o, --output FILE      the HTML page\n"
    "  --dot FILE             Graphviz dot of the same graph (dot -Tsvg FILE > graph.svg)\n"
    "  --measured FILE        also draw per-step times measured in the running model, as\n"
    "                         neuroc.Model.profile writes them (docs/python.md)\n"
    COMMON_OPTIONS
    "example: neuroc report out/tiny -o out/tiny/report.html --dot out/tiny/plan.dot\n";

static const char *usage_run =
    "usage: neuroc run MODEL.onnx -t SPEC.yaml --input NAME=FILE.npy ... -o DIR [options]\n"
    "Compiles like `compile`, builds DIR/model.c with the target's compiler, runs it on the\n"
    "inputs and writes DIR/<output name>.npy for every model output (names sanitised to\n"
    "[A-Za-z0-9_.-]). Prints compile_s, cc_s, median_ms, arena_bytes, arena_lower_bound_bytes.\n"
    "  --input NAME=FILE      value of graph input NAME (.npy, or ONNX TensorProto .pb);\n"
    "                         one per model input\n"
    "  --repeat N             time N runs after the first and print their median (default 1)\n"
    "  plus every option of `compile` (--plan included)\n"
    JOBS_OPTION COMMON_OPTIONS
    "example: neuroc run examples/tiny_cnn/model.onnx -t targets/host.yaml \\\n"
    "           --input image=examples/tiny_cnn/input.npy -o out/tiny\n";

static const char *usage_routines =
    "usage: neuroc routines [--markdown]\n"
    "Lists the routine table: layer, descriptor and flags per routine; --markdown prints\n"
    "docs/routines.md (descriptor, C symbol, dtypes, layouts).\n"
    "  --markdown             the table as markdown\n"
    COMMON_OPTIONS
    "example: neuroc routines | grep conv\n";

static int usage_error(const char *msg, const char *usage) {
  fprintf(stderr, "neuroc: %s\n\n%s", msg, usage);
  return EXIT_USAGE;
}

static const char *cmd_usage(const char *cmd) {
  if (strcmp(cmd, "inspect") == 0) return usage_inspect;
  if (strcmp(cmd, "compile") == 0) return usage_compile;
  if (strcmp(cmd, "profile") == 0) return usage_profile;
  if (strcmp(cmd, "tune") == 0) return usage_tune;
  if (strcmp(cmd, "bench") == 0) return usage_bench;
  if (strcmp(cmd, "report") == 0) return usage_report;
  return usage_run;
}

static int parse_args(int argc, char **argv, cli *c) {
  memset(c, 0, sizeof *c);
  c->cmd = argv[1];
  c->prefix = "model";
  c->repeat = 1;
  const char *u = cmd_usage(c->cmd);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                        \
  do {                                                                                      \
    if (!val) {                                                                             \
      fprintf(stderr, "neuroc: option %s needs a value\n\n%s", a, u);                        \
      return -1;                                                                            \
    }                                                                                       \
    i++;                                                                                    \
  } while (0)
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(u, stdout);
      exit(EXIT_OK);
    } else if (strcmp(a, "-t") == 0 || strcmp(a, "--target") == 0) {
      NEED_VALUE();
      c->spec = val;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      NEED_VALUE();
      c->out_dir = val;
    } else if (strcmp(a, "--name") == 0) {
      NEED_VALUE();
      c->prefix = val;
    } else if (strcmp(a, "--input") == 0 || strcmp(a, "--bind") == 0 ||
               strcmp(a, "--routine") == 0) {
      NEED_VALUE();
      const char **list = a[2] == 'i' ? c->inputs : a[2] == 'b' ? c->binds : c->force;
      int *n = a[2] == 'i' ? &c->n_inputs : a[2] == 'b' ? &c->n_binds : &c->n_force;
      if (*n == MAX_LIST) {
        fprintf(stderr, "neuroc: too many %s options\n", a);
        return -1;
      }
      nc_constraint parsed; /* a bad --routine is a usage error, caught before any work */
      if (list == c->force && nc_constraint_parse(val, &parsed)) {
        fprintf(stderr, "neuroc: %s\n", nc_err_msg());
        return -1;
      }
      list[(*n)++] = val;
    } else if (strcmp(a, "--dot") == 0) {
      NEED_VALUE();
      c->dot = val;
    } else if (strcmp(a, "--measured") == 0) {
      NEED_VALUE();
      c->measured = val;
    } else if (strcmp(a, "--db") == 0) {
      NEED_VALUE();
      c->db_opt = val;
    } else if (strcmp(a, "--plan") == 0) {
      NEED_VALUE();
      c->plan = val;
    } else if (strcmp(a, "--repeat") == 0) {
      NEED_VALUE();
      c->repeat_given = 1;
      c->repeat = atoi(val);
      if (c->repeat < 1) {
        fprintf(stderr, "neuroc: --repeat needs a positive count, got '%s'\n", val);
        return -1;
      }
    } else if (strcmp(a, "--dtype") == 0) {
      NEED_VALUE();
      c->dtype_given = 1;
      if (strcmp(val, "f32") == 0) c->dtype_mode = NC_DTYPE_F32;
      else if (strcmp(val, "int8") == 0) c->dtype_mode = NC_DTYPE_INT8;
      else if (strcmp(val, "auto") == 0) c->dtype_mode = NC_DTYPE_AUTO;
      else {
        fprintf(stderr, "neuroc: --dtype must be f32, int8 or auto, got '%s'\n", val);
        return -1;
      }
    } else if (strcmp(a, "--export-qdq") == 0) {
      NEED_VALUE();
      c->export_qdq = val;
    } else if (strcmp(a, "--calibrate") == 0) {
      NEED_VALUE();
      c->quant.calib_dir = val;
    } else if (strcmp(a, "--accuracy") == 0) {
      NEED_VALUE();
      c->accuracy = val;
      if (nc_quant_parse_accuracy(val, &c->quant)) {
        fprintf(stderr, "neuroc: %s\n", nc_err_msg());
        return -1;
      }
    } else if (strcmp(a, "--percentile") == 0) {
      NEED_VALUE();
      char *end;
      c->quant.percentile = strtod(val, &end);
      if (end == val || *end || !(c->quant.percentile > 0.0 && c->quant.percentile <= 100.0)) {
        fprintf(stderr, "neuroc: --percentile needs a number in (0, 100], got '%s'\n", val);
        return -1;
      }
    } else if (strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0 || strncmp(a, "-j", 2) == 0) {
      const char *n = a + 2; /* -jN */
      if (strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0) {
        NEED_VALUE();
        n = val;
      }
      char *end;
      long j = strtol(n, &end, 10);
      if (end == n || *end || j < 1 || j > 256) {
        fprintf(stderr, "neuroc: -j needs a count from 1 to 256, got '%s'\n", n);
        return -1;
      }
      c->jobs = (int)j;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      c->verbose = 1;
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      c->quiet = 1;
    } else if (a[0] == '-') {
      fprintf(stderr, "neuroc: unknown option '%s'\n\n%s", a, u);
      return -1;
    } else if (!c->model || (strcmp(c->cmd, "profile") == 0 && c->n_models < MAX_LIST)) {
      if (!c->model) c->model = a;
      c->models[c->n_models++] = a;
    } else {
      fprintf(stderr, "neuroc: unexpected argument '%s'\n\n%s", a, u);
      return -1;
    }
#undef NEED_VALUE
  }
  if ((c->quant.calib_dir || c->quant.percentile > 0.0) && c->dtype_mode == NC_DTYPE_F32) {
    fprintf(stderr, "neuroc: --calibrate and --percentile need --dtype int8 or auto\n");
    return -1;
  }
  if (c->accuracy && c->dtype_mode != NC_DTYPE_AUTO) {
    fprintf(stderr, "neuroc: --accuracy needs --dtype auto (int8 quantizes every layer it can)\n");
    return -1;
  }
  if (c->export_qdq && strcmp(c->cmd, "compile") && strcmp(c->cmd, "tune") && strcmp(c->cmd, "run")) {
    fprintf(stderr, "neuroc: --export-qdq is an option of compile, tune and run\n");
    return -1;
  }
  if (c->export_qdq && !c->plan && c->dtype_mode == NC_DTYPE_F32) {
    fprintf(stderr, "neuroc: --export-qdq %s needs --dtype int8 or auto (or a quantized --plan)\n",
            c->export_qdq);
    return -1;
  }
  if (c->jobs && (!strcmp(c->cmd, "inspect") || !strcmp(c->cmd, "report"))) {
    fprintf(stderr, "neuroc: -j is an option of profile, tune, compile, run and bench\n");
    return -1;
  }
  if (c->quiet && c->verbose) {
    fprintf(stderr, "neuroc: --quiet and --verbose cannot be combined\n");
    return -1;
  }
  if ((c->dot || c->measured) && strcmp(c->cmd, "report")) {
    fprintf(stderr, "neuroc: %s is an option of report\n", c->dot ? "--dot" : "--measured");
    return -1;
  }
  if (c->plan && c->dtype_given) {
    fprintf(stderr, "neuroc: --dtype cannot be combined with --plan: the plan decides\n");
    return -1;
  }
  for (const char *q = c->prefix; *q; q++)
    if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' ||
          (q != c->prefix && *q >= '0' && *q <= '9'))) {
      fprintf(stderr, "neuroc: --name '%s' is not a C identifier\n", c->prefix);
      return -1;
    }
  return 0;
}

/* Load the target spec, printing the error (it names FILE:LINE). */
static nc_target *load_spec(const char *spec) {
  nc_target *t = nc_target_load(spec);
  if (!t) fprintf(stderr, "neuroc: %s\n", nc_err_msg());
  return t;
}

/* Load a tensor from .npy or ONNX TensorProto .pb. */
static int load_tensor(const char *path, nc_const *v) {
  size_t n = strlen(path);
  if (n > 3 && strcmp(path + n - 3, ".pb") == 0) {
    char *name = NULL;
    int rc = nc_read_tensor_pb(path, v, &name);
    free(name);
    return rc;
  }
  return nc_npy_read(path, v);
}

/* Split NAME=FILE. */
static int split_assign(const char *s, char *name, size_t cap, const char **file) {
  const char *eq = strrchr(s, '=');
  if (!eq || eq == s || (size_t)(eq - s) >= cap)
    return nc_fail("expected NAME=FILE, got '%s'", s);
  memcpy(name, s, (size_t)(eq - s));
  name[eq - s] = 0;
  *file = eq + 1;
  return 0;
}

static int apply_binds(nc_graph *g, const cli *c) {
  for (int i = 0; i < c->n_binds; i++) {
    char name[1024];
    const char *file = NULL;
    nc_const v = {0};
    if (split_assign(c->binds[i], name, sizeof name, &file) || load_tensor(file, &v)) return -1;
    int rc = nc_bind_input(g, name, &v);
    free(v.data);
    if (rc) return -1;
  }
  return 0;
}

static double layer_flops(const nc_graph *g, const nc_node *n) {
  const nc_tensor *o = n->n_out > 0 && n->out[0] >= 0 ? &g->tensors[n->out[0]] : NULL;
  if (!o || o->desc.ndim < 0) return 0.0;
  double out = (double)nc_numel(&o->desc);
  const nc_tensor *x = n->n_in > 0 && n->in[0] >= 0 ? &g->tensors[n->in[0]] : NULL;
  const nc_tensor *w = n->n_in > 1 && n->in[1] >= 0 ? &g->tensors[n->in[1]] : NULL;
  if (!strcmp(n->op, "Conv") && w && w->desc.ndim >= 3)
    return 2.0 * out * (double)nc_numel(&w->desc) / (double)w->desc.dims[0];
  if (!strcmp(n->op, "ConvTranspose") && w && x && w->desc.ndim >= 3)
    return 2.0 * (double)nc_numel(&x->desc) * (double)nc_numel(&w->desc) / (double)w->desc.dims[0];
  if ((!strcmp(n->op, "Gemm") || !strcmp(n->op, "MatMul")) && x && x->desc.ndim >= 1) {
    int64_t k = x->desc.dims[x->desc.ndim - 1];
    if (!strcmp(n->op, "Gemm") && nc_attr_int((nc_node *)n, "transA", 0)) k = x->desc.dims[0];
    return 2.0 * out * (double)k;
  }
  return out;
}

static void print_shape(const nc_tdesc *d) {
  printf("%s[", nc_dtype_name(d->dtype));
  for (int i = 0; i < d->ndim; i++) printf("%s%lld", i ? "," : "", (long long)d->dims[i]);
  printf("]");
}

static int cmd_inspect(const cli *c) {
  nc_graph *g = nc_import_onnx(c->model);
  if (!g || apply_binds(g, c)) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    nc_graph_free(g);
    return EXIT_INPUT;
  }
  printf("model: %s\nopset: %lld\nlayers: %d\n", g->path, (long long)g->opset, g->n_nodes);
  int unsupported = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const nc_node *n = &g->nodes[i];
    if ((n->domain[0] && strcmp(n->domain, "ai.onnx")) || !nc_op_find(n->op)) {
      if (!unsupported++) printf("unsupported ops:\n");
      printf("  node '%s': %s%s%s\n", n->name, n->domain[0] ? n->domain : "",
             n->domain[0] ? "." : "", n->op);
    }
  }
  nc_pass_stats st;
  if (nc_run_passes(g, &st)) {
    printf("shape inference stopped: %s\n", nc_err_msg());
    nc_graph_free(g);
    return EXIT_UNSUPPORTED;
  }
  double flops = 0.0;
  long long params = 0;
  printf("after passes: %d folded, %d BatchNorm folded, %d activations and %d residual Adds "
         "fused, %d dead removed\n",
         st.folded, st.bn_folded, st.act_fused, st.residual_fused, st.dead_removed);
  for (int i = 0; i < g->n_nodes; i++) {
    const nc_node *n = &g->nodes[i];
    if (n->dead) continue;
    double f = layer_flops(g, n);
    flops += f;
    printf("  %-12s %-32s -> ", n->op, n->name);
    for (int o = 0; o < n->n_out; o++)
      if (n->out[o] >= 0) print_shape(&g->tensors[n->out[o]].desc);
    printf("  %.3g FLOP\n", f);
    for (int k = 0; k < n->n_in; k++)
      if (n->in[k] >= 0 && g->tensors[n->in[k]].data && !(n->param_inputs & (1u << k)))
        params += nc_numel(&g->tensors[n->in[k]].desc);
  }
  printf("inputs:");
  for (int i = 0; i < g->n_inputs; i++)
    if (!g->tensors[g->inputs[i]].data) {
      printf(" %s:", g->tensors[g->inputs[i]].name);
      print_shape(&g->tensors[g->inputs[i]].desc);
    }
  printf("\noutputs:");
  for (int i = 0; i < g->n_outputs; i++) {
    printf(" %s:", g->tensors[g->outputs[i]].name);
    print_shape(&g->tensors[g->outputs[i]].desc);
  }
  printf("\nparameters: %lld\nflops: %.4g\n", params, flops);
  nc_graph_free(g);
  return unsupported ? EXIT_UNSUPPORTED : EXIT_OK;
}

/* The profile database a command uses: --db FILE, none, or the default. */
static const char *db_path(const cli *c, char *buf, size_t n) {
  if (c->db_opt && strcmp(c->db_opt, "none") == 0) return NULL;
  if (c->db_opt) return c->db_opt;
  return nc_profile_db_default_path(buf, n);
}

static int stage_exit(int stage) {
  switch (stage) {
  case NC_STAGE_OK: return EXIT_OK;
  case NC_STAGE_EMIT: return EXIT_OUTPUT;
  case NC_STAGE_INPUT: return EXIT_INPUT;
  case NC_STAGE_MEASURE: return EXIT_PROFILE;
  default: return EXIT_UNSUPPORTED;
  }
}

static nc_graph *import_model(const cli *c, const char *path) {
  nc_graph *g = nc_import_onnx(path);
  if (!g || apply_binds(g, c)) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    nc_graph_free(g);
    return NULL;
  }
  return g;
}

static void print_summary(const nc_compile_report *rep, const nc_tune_options *tu) {
  printf("layers %d (%d folded, %d BatchNorm folded, %d activations and %d residual Adds "
         "fused), ", rep->n_layers, rep->passes.folded, rep->passes.bn_folded,
         rep->passes.act_fused, rep->passes.residual_fused);
  if (tu->plan_path)
    printf("routines from plan %s (nothing measured), predicted %.4f ms\n", tu->plan_path,
           rep->predicted_ms);
  else
    printf("%ld distinct (routine, shapes) pairs: measured %ld new, %ld from the database, "
           "DPRS %s in %.3f ms, predicted %.4f ms\n",
           rep->distinct, rep->measured_new, rep->from_db, rep->exact ? "exact" : "bounded",
           rep->dprs_seconds * 1e3, rep->predicted_ms);
  if (rep->calib_samples > 0)
    printf("quantized %d of %d layers (calibration: %d %s samples, %.1f s); model error vs f32: "
           "rel L2 %.4g, top-1 agreement %.1f %%%s\n",
           rep->quant_layers, rep->n_layers, rep->calib_samples,
           rep->calib_random ? "random" : "given", rep->quant_seconds, rep->model_rel_l2,
           100.0 * rep->model_top1,
           rep->budget == 1    ? ", within the --accuracy budget"
           : rep->budget == -1 ? "; the --accuracy budget is not met even with f32 everywhere"
                               : "");
}

/* --export-qdq: the quantization of the plan just written, as an ONNX QDQ model. */
static int export_qdq(const cli *c, nc_graph *g, const nc_options *o) {
  char plan[4200];
  snprintf(plan, sizeof plan, "%s/plan.yaml", c->out_dir);
  nc_qdq_stats st;
  if (nc_export_qdq_plan(g, o, plan, c->model, c->export_qdq, &st)) {
    fprintf(stderr, "neuroc: --export-qdq %s: %s\n", c->export_qdq, nc_err_msg());
    return -1;
  }
  if (!c->quiet)
    printf("wrote %s (QDQ: %d activations, %d of them after shape-only ops; %d s8 weights)\n",
           c->export_qdq, st.activations, st.propagated, st.weights);
  return 0;
}

/* import -> bind -> passes -> select (or read the plan) -> emit. Returns an exit code. */
/* -j N > 1: the cost source is opened here (not per compile) so that its
 * agents can be raised to N; a spec that does not allow it is refused before
 * any agent starts. Returns an exit code; tu->cost is the caller's to free. */
static int open_parallel_cost(const cli *c, const nc_target *t, nc_tune_options *tu) {
  if (c->jobs <= 1 || c->plan) return EXIT_OK;
  if (nc_cost_check_jobs(t, c->jobs)) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    return EXIT_USAGE;
  }
  tu->cost = nc_cost_open(t, tu->db_path);
  if (!tu->cost || nc_cost_set_jobs(tu->cost, t, c->jobs)) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    nc_cost_free(tu->cost);
    tu->cost = NULL;
    return EXIT_PROFILE;
  }
  return EXIT_OK;
}

static int compile_model(const cli *c, const nc_options *o, const nc_tune_options *tu,
                         nc_graph **gout, nc_compile_report *rep) {
  *gout = NULL;
  nc_graph *g = import_model(c, c->model);
  if (!g) return EXIT_INPUT;
  int stage = nc_compile_graph_ex(g, o, tu, c->out_dir, rep);
  if (stage != NC_STAGE_OK) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    nc_graph_free(g);
    return stage_exit(stage);
  }
  if (!c->quiet) print_summary(rep, tu);
  if (c->export_qdq && export_qdq(c, g, o)) {
    nc_graph_free(g);
    return EXIT_OUTPUT;
  }
  *gout = g;
  return EXIT_OK;
}

/* --plan decides every routine: options that would measure or filter clash. */
static int check_plan_options(const cli *c) {
  if (!c->plan) return 0;
  if (c->n_force) return usage_error("--routine cannot be combined with --plan", cmd_usage(c->cmd));
  if (c->db_opt) return usage_error("--db cannot be combined with --plan", cmd_usage(c->cmd));
  return 0;
}

static void sanitize(char *dst, size_t cap, const char *s) {
  size_t k = 0;
  for (; *s && k + 1 < cap; s++)
    dst[k++] = ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                *s == '_' || *s == '.' || *s == '-')
                   ? *s
                   : '_';
  dst[k] = 0;
}

static int collect_inputs(const cli *c, const nc_graph *g, nc_const *vals) {
  int k = 0;
  for (int i = 0; i < g->n_inputs; i++) {
    const nc_tensor *x = &g->tensors[g->inputs[i]];
    if (x->data) continue;
    int found = 0;
    for (int j = 0; j < c->n_inputs && !found; j++) {
      char name[1024];
      const char *file = NULL;
      if (split_assign(c->inputs[j], name, sizeof name, &file)) return -1;
      if (strcmp(name, x->name) != 0) continue;
      if (load_tensor(file, &vals[k])) return -1;
      if (vals[k].desc.dtype != x->desc.dtype || nc_numel(&vals[k].desc) != nc_numel(&x->desc))
        return nc_fail("%s: input '%s' needs %s with %lld elements, the file has %s with %lld",
                       file, x->name, nc_dtype_name(x->desc.dtype), (long long)nc_numel(&x->desc),
                       nc_dtype_name(vals[k].desc.dtype), (long long)nc_numel(&vals[k].desc));
      found = 1;
    }
    if (!found) return nc_fail("no --input given for model input '%s'", x->name);
    k++;
  }
  for (int j = 0; j < c->n_inputs; j++) {
    char name[1024];
    const char *file = NULL;
    if (split_assign(c->inputs[j], name, sizeof name, &file)) return -1;
    int t = nc_graph_find_tensor(g, name);
    if (t < 0 || !g->tensors[t].is_input || g->tensors[t].data)
      return nc_fail("--input %s: the model has no runtime input named '%s'", c->inputs[j], name);
  }
  return 0;
}

static int cmd_build(const cli *c) {
  const char *u = cmd_usage(c->cmd);
  if (!c->model) return usage_error("missing MODEL.onnx", u);
  if (!c->spec) return usage_error("missing -t SPEC.yaml", u);
  if (!c->out_dir) return usage_error("missing -o DIR", u);
  if (check_plan_options(c)) return EXIT_USAGE;
  int is_run = strcmp(c->cmd, "run") == 0;
  nc_target *t = load_spec(c->spec);
  if (!t) return EXIT_INPUT;
  nc_options o = {t, c->prefix, c->force, c->n_force, c->verbose, c->quiet, c->dtype_mode, 0.0};
  char **plan_constraints = NULL; /* --plan: its constraints are recorded again */
  if (c->plan) {
    nc_constraints_from_plan(c->plan, &plan_constraints, &o.n_force);
    o.force = (const char *const *)plan_constraints;
  }
  char dbbuf[4096];
  nc_tune_options tu = {c->plan ? NULL : db_path(c, dbbuf, sizeof dbbuf), c->plan, NULL,
                        NC_STOP_NONE, &c->quant};
  nc_graph *g = NULL;
  nc_compile_report rep;
  memset(&rep, 0, sizeof rep);
  double t0 = nc_now_seconds();
  int rc = open_parallel_cost(c, t, &tu);
  if (rc == EXIT_OK) rc = compile_model(c, &o, &tu, &g, &rep);
  nc_cost_free(tu.cost);
  for (int i = 0; i < o.n_force && plan_constraints; i++) free(plan_constraints[i]);
  free(plan_constraints);
  o.force = c->force;
  o.n_force = c->n_force;
  double compile_s = nc_now_seconds() - t0;
  nc_emit_info info = rep.emit;
  if (rc == EXIT_OK && !c->quiet && !is_run)
    printf("wrote %s/%s.c, %s/%s.h, %s/plan.yaml (arena %zu bytes, lower bound %zu; weights %zu "
           "bytes)\n",
           c->out_dir, c->prefix, c->out_dir, c->prefix, c->out_dir, info.arena_bytes,
           info.arena_lower_bound, info.weights_bytes);
  if (rc != EXIT_OK || !is_run) {
    nc_graph_free(g);
    nc_target_free(t);
    return rc;
  }
  nc_const *ins = nc_xcalloc((size_t)g->n_inputs + 1, sizeof *ins);
  nc_const *outs = nc_xcalloc((size_t)g->n_outputs + 1, sizeof *outs);
  nc_run_result res;
  rc = EXIT_OK;
  if (collect_inputs(c, g, ins)) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    rc = EXIT_INPUT;
  } else if (nc_build_and_run(g, &o, c->out_dir, ins, outs, c->repeat > 1 ? c->repeat : 1,
                              &res)) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    rc = EXIT_BUILD;
  }
  for (int i = 0; rc == EXIT_OK && i < g->n_outputs; i++) {
    char name[512], path[4096];
    sanitize(name, sizeof name, g->tensors[g->outputs[i]].name);
    snprintf(path, sizeof path, "%s/%s.npy", c->out_dir, name);
    if (nc_npy_write(path, &outs[i].desc, outs[i].data)) {
      fprintf(stderr, "neuroc: %s\n", nc_err_msg());
      rc = EXIT_OUTPUT;
    } else if (!c->quiet) {
      printf("output %s: ", g->tensors[g->outputs[i]].name);
      print_shape(&outs[i].desc);
      printf(" -> %s\n", path);
    }
  }
  if (rc == EXIT_OK) {
    printf("compile_s %.3f\ncc_s %.3f\nmedian_ms %.4f\narena_bytes %zu\narena_lower_bound_bytes %zu\n",
           compile_s, res.cc_seconds, res.median_ms, info.arena_bytes, info.arena_lower_bound);
  }
  for (int i = 0; i < g->n_inputs; i++) free(ins[i].data);
  for (int i = 0; i < g->n_outputs; i++) free(outs[i].data);
  free(ins);
  free(outs);
  nc_graph_free(g);
  nc_target_free(t);
  return rc;
}

/* Measure, for every model, what the database lacks: one cost source for
 * all of them, so pairs shared between models are measured once. */
static int cmd_profile(const cli *c) {
  if (!c->n_models) return usage_error("missing MODEL.onnx", usage_profile);
  if (!c->spec) return usage_error("missing -t SPEC.yaml", usage_profile);
  if (c->plan || c->out_dir) return usage_error("profile takes neither --plan nor -o", usage_profile);
  nc_target *t = load_spec(c->spec);
  if (!t) return EXIT_INPUT;
  char dbbuf[4096];
  const char *db = db_path(c, dbbuf, sizeof dbbuf);
  if (nc_cost_check_jobs(t, c->jobs)) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    nc_target_free(t);
    return EXIT_USAGE;
  }
  nc_cost_source *cost = nc_cost_open(t, db);
  if (!cost || nc_cost_set_jobs(cost, t, c->jobs)) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    nc_cost_free(cost);
    nc_target_free(t);
    return EXIT_PROFILE;
  }
  nc_options o = {t, c->prefix, c->force, c->n_force, c->verbose, c->quiet, c->dtype_mode, 0.0};
  nc_tune_options tu = {db, NULL, cost, NC_STOP_SELECT, &c->quant};
  long total_new = 0, total_db = 0;
  int rc = EXIT_OK;
  for (int i = 0; i < c->n_models && rc == EXIT_OK; i++) {
    nc_graph *g = import_model(c, c->models[i]);
    if (!g) {
      rc = EXIT_INPUT;
      break;
    }
    nc_compile_report rep;
    double t0 = nc_now_seconds();
    int stage = nc_compile_graph_ex(g, &o, &tu, NULL, &rep);
    if (stage != NC_STAGE_OK) {
      fprintf(stderr, "neuroc: %s\n", nc_err_msg());
      rc = stage_exit(stage);
    } else if (!c->quiet) {
      printf("%s: %d layers, %ld distinct (routine, shapes) pairs: measured %ld new, %ld from the "
             "database (%.1f s)\n",
             c->models[i], rep.n_layers, rep.distinct, rep.measured_new, rep.from_db,
             nc_now_seconds() - t0);
    }
    total_new += rep.measured_new;
    total_db += rep.from_db;
    nc_graph_free(g);
  }
  if (rc == EXIT_OK && !c->quiet)
    printf("total: measured %ld new, %ld from the database; profile database %s\n", total_new,
           total_db, db ? db : "none");
  nc_cost_free(cost);
  nc_target_free(t);
  return rc;
}

static int cmd_tune(const cli *c) {
  if (!c->model) return usage_error("missing MODEL.onnx", usage_tune);
  if (!c->spec) return usage_error("missing -t SPEC.yaml", usage_tune);
  if (!c->out_dir) return usage_error("missing -o DIR", usage_tune);
  if (c->plan) return usage_error("tune writes a plan; it does not take --plan", usage_tune);
  nc_target *t = load_spec(c->spec);
  if (!t) return EXIT_INPUT;
  nc_options o = {t, c->prefix, c->force, c->n_force, c->verbose, c->quiet, c->dtype_mode, 0.0};
  char dbbuf[4096];
  nc_tune_options tu = {db_path(c, dbbuf, sizeof dbbuf), NULL, NULL, NC_STOP_PLAN, &c->quant};
  nc_graph *g = NULL;
  nc_compile_report rep;
  int rc = open_parallel_cost(c, t, &tu);
  if (rc == EXIT_OK) rc = compile_model(c, &o, &tu, &g, &rep);
  nc_cost_free(tu.cost);
  if (rc == EXIT_OK && !c->quiet)
    printf("wrote %s/plan.yaml (predicted %.4f ms)\n", c->out_dir, rep.predicted_ms);
  nc_graph_free(g);
  nc_target_free(t);
  return rc;
}

/* Random floats, zero integers (indices stay in bounds), like the profiler. */
static void random_inputs(const nc_graph *g, nc_const *ins) {
  unsigned seed = 2024u;
  int k = 0;
  for (int i = 0; i < g->n_inputs; i++) {
    const nc_tensor *x = &g->tensors[g->inputs[i]];
    if (x->data) continue;
    size_t n = (size_t)nc_numel(&x->desc);
    ins[k].desc = x->desc;
    ins[k].data = nc_xcalloc(n + 1, nc_dtype_size(x->desc.dtype));
    for (size_t j = 0; j < n; j++) {
      seed = seed * 1103515245u + 12345u;
      double v = (double)((seed >> 9) & 0xffff) / 32768.0 - 1.0;
      if (x->desc.dtype == NC_F32) ((float *)ins[k].data)[j] = (float)v;
      else if (x->desc.dtype == NC_F64) ((double *)ins[k].data)[j] = v;
    }
    k++;
  }
}

/* A flat directory of build products (bench's temporary one). */
static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  closedir(d);
  rmdir(dir);
}

static int cmd_bench(const cli *c) {
  if (!c->model) return usage_error("missing MODEL.onnx", usage_bench);
  if (!c->spec) return usage_error("missing -t SPEC.yaml", usage_bench);
  if (check_plan_options(c)) return EXIT_USAGE;
  nc_target *t = load_spec(c->spec);
  if (!t) return EXIT_INPUT;
  char tmp[4096] = "";
  cli cc = *c;
  if (!cc.out_dir) {
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/neuroc-bench-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp)) {
      fprintf(stderr, "neuroc: %s: cannot create a temporary directory\n", tmp);
      nc_target_free(t);
      return EXIT_OUTPUT;
    }
    cc.out_dir = tmp;
  }
  nc_options o = {t, c->prefix, c->force, c->n_force, c->verbose, c->quiet, c->dtype_mode, 0.0};
  char dbbuf[4096];
  nc_tune_options tu = {c->plan ? NULL : db_path(c, dbbuf, sizeof dbbuf), c->plan, NULL,
                        NC_STOP_NONE, &c->quant};
  nc_graph *g = NULL;
  nc_compile_report rep;
  int rc = open_parallel_cost(c, t, &tu);
  if (rc == EXIT_OK) rc = compile_model(&cc, &o, &tu, &g, &rep);
  nc_cost_free(tu.cost);
  if (rc == EXIT_OK) {
    nc_const *ins = nc_xcalloc((size_t)g->n_inputs + 1, sizeof *ins);
    nc_const *outs = nc_xcalloc((size_t)g->n_outputs + 1, sizeof *outs);
    random_inputs(g, ins);
    nc_run_result res;
    if (nc_build_and_run(g, &o, cc.out_dir, ins, outs, c->repeat_given ? c->repeat : 10, &res)) {
      fprintf(stderr, "neuroc: %s\n", nc_err_msg());
      rc = EXIT_BUILD;
    } else {
      printf("median_ms %.4f\npredicted_ms %.4f\nratio %.3f (measured / predicted)\n",
             res.median_ms, rep.predicted_ms,
             rep.predicted_ms > 0 ? res.median_ms / rep.predicted_ms : 0.0);
    }
    for (int i = 0; i < g->n_inputs; i++) free(ins[i].data);
    for (int i = 0; i < g->n_outputs; i++) free(outs[i].data);
    free(ins);
    free(outs);
  }
  if (tmp[0]) remove_dir(tmp);
  nc_graph_free(g);
  nc_target_free(t);
  return rc;
}

/* plan.yaml -> HTML page (and dot): reads only the plan. */
static int cmd_report(const cli *c) {
  if (!c->model) return usage_error("missing PLAN_DIR or PLAN.yaml", usage_report);
  if (c->spec || c->plan || c->n_force || c->n_inputs || c->n_binds)
    return usage_error("report takes a plan and -o/--dot/--measured only", usage_report);
  nc_report_plan *p = nc_report_load(c->model);
  if (p && c->measured && nc_report_add_measured(p, c->measured)) {
    nc_report_free(p);
    p = NULL;
  }
  if (!p) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    return EXIT_INPUT;
  }
  char html[4200];
  if (c->out_dir) snprintf(html, sizeof html, "%s", c->out_dir);
  else {
    const char *slash = strrchr(p->path, '/');
    snprintf(html, sizeof html, "%.*sreport.html", slash ? (int)(slash - p->path + 1) : 0, p->path);
  }
  int rc = EXIT_OK;
  if (nc_report_write_html(p, html) || (c->dot && nc_report_write_dot(p, c->dot))) {
    fprintf(stderr, "neuroc: %s\n", nc_err_msg());
    rc = EXIT_OUTPUT;
  } else if (!c->quiet) {
    printf("wrote %s (%d steps, %d buffers, %d edges)%s%s\n", html, p->n_steps, p->n_bufs,
           p->n_edges, c->dot ? " and " : "", c->dot ? c->dot : "");
  }
  nc_report_free(p);
  return rc;
}

static void dtype_list(uint32_t mask, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = 0;
  if ((mask & NC_DT_ALL) == NC_DT_ALL) {
    snprintf(buf, cap, "all");
    return;
  }
  for (int d = 1; d <= NC_BF16; d++)
    if ((mask & NC_DT(d)) && strcmp(nc_dtype_name(d), "undef") && n < cap)
      n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " " : "", nc_dtype_name(d));
}

/* The routine table, as text or as the markdown of docs/routines.md. */
static int cmd_routines(int markdown) {
  const nc_routine *t = nc_routine_table();
  int n = nc_routine_count();
  if (markdown)
    printf("<!-- Generated by `neuroc routines --markdown` from the routine table "
           "(runtime-min/src/*_table.c) -- do not edit. -->\n"
           "# Routine table\n\n%d routines. Flags: ref = portable reference (used for "
           "constant folding), act = fused activation, inplace = may write over input 0, "
           "alias = output is input 0's bytes, pack = packs weights at compile time, "
           "scratch = needs scratch memory, approx = numerically looser than a direct sum "
           "(used only with `approximate: true` in the target spec).\n\n"
           "| layer | descriptor | C symbol | dtypes | in -> out | flags |\n"
           "|---|---|---|---|---|---|\n", n);
  for (int i = 0; i < n; i++) {
    const nc_routine *r = &t[i];
    char dts[128], flags[128];
    dtype_list(r->dtypes, dts, sizeof dts);
    snprintf(flags, sizeof flags, "%s%s%s%s%s%s%s", r->flags & NC_RF_REFERENCE ? "ref " : "",
             r->flags & NC_RF_ACT ? "act " : "", r->flags & NC_RF_INPLACE ? "inplace " : "",
             r->flags & NC_RF_ALIAS ? "alias " : "", r->pack || r->pack_with ? "pack " : "",
             r->scratch_bytes ? "scratch " : "", r->flags & NC_RF_APPROX ? "approx " : "");
    if (markdown)
      printf("| %s | `%s` | `%s` | %s | %s -> %s | %s |\n", r->layer, r->descriptor, r->symbol, dts,
             nc_layout_name(r->in_layout), nc_layout_name(r->out_layout), flags);
    else
      printf("%-24s %-48s %s\n", r->layer, r->descriptor, flags);
  }
  return EXIT_OK;
}

/* `routines` takes no model: its few options are parsed here. */
static int routines_main(int argc, char **argv) {
  int markdown = 0;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage_routines, stdout);
      return EXIT_OK;
    }
    if (!strcmp(a, "--markdown")) markdown = 1;
    else if (strcmp(a, "-q") && strcmp(a, "--quiet") && strcmp(a, "-v") && strcmp(a, "--verbose")) {
      fprintf(stderr, "neuroc: %s '%s'\n\n%s", a[0] == '-' ? "unknown option" : "unexpected argument",
              a, usage_routines);
      return EXIT_USAGE;
    }
  }
  return cmd_routines(markdown);
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
    fputs(usage_main, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("neuroc %s\n", NEUROC_VERSION);
    return EXIT_OK;
  }
  if (!strcmp(argv[1], "routines")) return routines_main(argc, argv);
  static const char *const commands[] = {"inspect", "profile", "tune", "compile", "run", "bench",
                                         "report"};
  int known = 0;
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) known |= !strcmp(argv[1], commands[i]);
  if (!known) {
    fprintf(stderr, "neuroc: unknown command '%s'\n\n%s", argv[1], usage_main);
    return EXIT_USAGE;
  }
  cli c;
  if (parse_args(argc, argv, &c)) return EXIT_USAGE;
  if (!strcmp(c.cmd, "inspect")) {
    if (!c.model) return usage_error("missing MODEL.onnx", usage_inspect);
    return cmd_inspect(&c);
  }
  if (!strcmp(c.cmd, "profile")) return cmd_profile(&c);
  if (!strcmp(c.cmd, "tune")) return cmd_tune(&c);
  if (!strcmp(c.cmd, "bench")) return cmd_bench(&c);
  if (!strcmp(c.cmd, "report")) return cmd_report(&c);
  return cmd_build(&c);
}
