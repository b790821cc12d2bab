/* Layer definitions of the elementwise family (see ops.h): unary math and
 * activations, Clip, Cast/CastLike, broadcasting binary and variadic layers,
 * Where. The dtypes each layer accepts are those of its reference routine in
 * the routine table (runtime-min/src/elementwise_table.c): the table is the
 * one place that says what is implemented. Argument layouts: args_elementwise.h. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "neuroc/args.h"
#include "neuroc/routines.h"
#include "ops.h"

/* ---------------- shared checks ---------------- */

static const char *shape_str(const nc_tdesc *d, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < d->ndim && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)d->dims[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
  return buf;
}

static const char *tensor_name(const nc_tensor *t) { return t && t->name ? t->name : "?"; }

static int check_arity(nc_graph *g, nc_node *n, int min_in, int max_in) {
  if (n->n_in < min_in || n->n_in > max_in)
    return min_in == max_in
               ? nc_node_fail(g, n, "expects %d input(s), got %d", min_in, n->n_in)
               : nc_node_fail(g, n, "expects %d to %d inputs, got %d", min_in, max_in, n->n_in);
  if (n->n_out < 1 || !nc_out(g, n, 0)) return nc_node_fail(g, n, "has no output");
  if (n->n_out > 1) return nc_node_fail(g, n, "expects 1 output, got %d", n->n_out);
  return 0;
}

/* Input i must be present with a known dtype and shape. */
static nc_tensor *known_input(nc_graph *g, nc_node *n, int i) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t) {
    nc_node_fail(g, n, "input %d is missing", i);
    return NULL;
  }
  if (t->desc.dtype == NC_UNDEF || t->desc.ndim < 0 || t->desc.ndim > NC_MAX_DIMS) {
    nc_node_fail(g, n, "input %d ('%s') has an unknown dtype or shape", i, t->name);
    return NULL;
  }
  for (int d = 0; d < t->desc.ndim; d++)
    if (t->desc.dims[d] < 0) {
      nc_node_fail(g, n, "input %d ('%s') has an unknown dimension %d", i, t->name, d);
      return NULL;
    }
  return t;
}

static const nc_routine *reference_of(const char *layer) {
  const nc_routine *r = nc_routine_table();
  for (; r->descriptor; r++)
    if ((r->flags & NC_RF_REFERENCE) && strcmp(r->layer, layer) == 0) return r;
  return NULL;
}

/* The layer's first routine input dtype must be one its reference routine takes. */
static int check_dtype(nc_graph *g, nc_node *n, const nc_tensor *t) {
  const nc_routine *r = reference_of(n->op);
  if (!r) return nc_node_fail(g, n, "no reference routine for this layer");
  if (t->desc.dtype <= 0 || t->desc.dtype > 31 || !(r->dtypes & NC_DT(t->desc.dtype)))
    return nc_node_fail(g, n, "input '%s' has dtype %s, which %s does not support",
                        t->name, nc_dtype_name(t->desc.dtype), n->op);
  return 0;
}

static int same_dtype(nc_graph *g, nc_node *n, const nc_tensor *a, const nc_tensor *b) {
  if (a->desc.dtype != b->desc.dtype)
    return nc_node_fail(g, n, "inputs '%s' (%s) and '%s' (%s) must have the same dtype",
                        a->name, nc_dtype_name(a->desc.dtype), b->name,
                        nc_dtype_name(b->desc.dtype));
  return 0;
}

/* Fold `t` into the running broadcast shape `acc`. */
static int broadcast_into(nc_graph *g, nc_node *n, nc_tdesc *acc, const nc_tensor *t) {
  nc_tdesc r;
  char s1[160], s2[160];
  if (nc_broadcast(acc, &t->desc, &r) < 0)
    return nc_node_fail(g, n, "input '%s' of shape %s cannot be broadcast with shape %s",
                        t->name, shape_str(&t->desc, s1, sizeof s1),
                        shape_str(acc, s2, sizeof s2));
  *acc = r;
  return 0;
}

static void set_out(nc_graph *g, nc_node *n, int32_t dtype, const nc_tdesc *shape) {
  nc_set_out(g, n, 0, dtype, shape->ndim, shape->dims);
}

/* ---------------- unary ---------------- */

/* Float attributes of the unary layers that take some, in fa[] order. */
typedef struct unary_attrs {
  const char *op;
  const char *name[2];
  double dflt[2];
} unary_attrs;

static const unary_attrs unary_attr_table[] = {
    {"LeakyRelu", {"alpha", NULL}, {0.01, 0}},
    {"Elu", {"alpha", NULL}, {1.0, 0}},
    {"Celu", {"alpha", NULL}, {1.0, 0}},
    {"ThresholdedRelu", {"alpha", NULL}, {1.0, 0}},
    {"Selu", {"alpha", "gamma"}, {1.67326319217681884765625, 1.05070102214813232421875}},
    {"HardSigmoid", {"alpha", "beta"}, {0.2, 0.5}},
    {"Shrink", {"bias", "lambd"}, {0.0, 0.5}},
};

static int lower_unary(nc_graph *g, nc_node *n) {
  if (check_arity(g, n, 1, 1) < 0) return -1;
  nc_tensor *x = known_input(g, n, 0);
  if (!x || check_dtype(g, n, x) < 0) return -1;
  double fa[2] = {0, 0};
  int n_fa = 0;
  for (size_t k = 0; k < sizeof unary_attr_table / sizeof unary_attr_table[0]; k++) {
    const unary_attrs *u = &unary_attr_table[k];
    if (strcmp(u->op, n->op) != 0) continue;
    for (int j = 0; j < 2 && u->name[j]; j++) fa[n_fa++] = nc_attr_float(n, u->name[j], u->dflt[j]);
  }
  if (strcmp(n->op, "Celu") == 0 && fa[NC_CELU_FA_ALPHA] == 0.0)
    return nc_node_fail(g, n, "attribute alpha must not be 0");
  int32_t out_dt = x->desc.dtype;
  if (strcmp(n->op, "IsNaN") == 0 || strcmp(n->op, "IsInf") == 0) out_dt = NC_BOOL;
  int64_t ia[NC_ISINF_N_IA];
  int n_ia = 0;
  if (strcmp(n->op, "IsInf") == 0) {
    ia[NC_ISINF_IA_DETECT_POSITIVE] = nc_attr_int(n, "detect_positive", 1) != 0;
    ia[NC_ISINF_IA_DETECT_NEGATIVE] = nc_attr_int(n, "detect_negative", 1) != 0;
    n_ia = NC_ISINF_N_IA;
  }
  set_out(g, n, out_dt, &x->desc);
  nc_node_set_args(n, ia, n_ia, fa, n_fa);
  return 0;
}

/* ---------------- Clip ---------------- */

/* Range of an integer dtype; u64's upper bound is stored as its 64 bits. */
static void int_range(int32_t dt, int64_t *lo, int64_t *hi) {
  switch (dt) {
  case NC_S8: *lo = INT8_MIN; *hi = INT8_MAX; break;
  case NC_S16: *lo = INT16_MIN; *hi = INT16_MAX; break;
  case NC_S32: *lo = INT32_MIN; *hi = INT32_MAX; break;
  case NC_U8: *lo = 0; *hi = UINT8_MAX; break;
  case NC_U16: *lo = 0; *hi = UINT16_MAX; break;
  case NC_U32: *lo = 0; *hi = UINT32_MAX; break;
  case NC_U64: *lo = 0; *hi = -1; break;
  default: *lo = INT64_MIN; *hi = INT64_MAX; break;
  }
}

static int is_float(int32_t dt) {
  return dt == NC_F32 || dt == NC_F64 || dt == NC_F16 || dt == NC_BF16;
}

/* Clip bound from constant input i (opset >= 11); leaves *f / *iv when absent. */
static int clip_bound_input(nc_graph *g, nc_node *n, int i, const char *what, double *f,
                            int64_t *iv) {
  nc_tensor *t = nc_in(g, n, i);
  if (!t) return 0;
  if (!t->data)
    return nc_node_fail(g, n, "input %d (%s, '%s') must be a compile-time constant", i, what,
                        t->name);
  if (t->desc.ndim < 0 || nc_numel(&t->desc) != 1)
    return nc_node_fail(g, n, "input %d (%s, '%s') must hold exactly one value", i, what,
                        t->name);
  if (nc_const_doubles(g, n, i, f, 1) != 1 || nc_const_ints(g, n, i, iv, 1) != 1)
    return nc_node_fail(g, n, "input %d (%s, '%s') has an unreadable dtype %s", i, what,
                        t->name, nc_dtype_name(t->desc.dtype));
  return 0;
}

static int lower_clip(nc_graph *g, nc_node *n) {
  if (check_arity(g, n, 1, 3) < 0) return -1;
  nc_tensor *x = known_input(g, n, 0);
  if (!x || check_dtype(g, n, x) < 0) return -1;
  double fa[NC_CLIP_N_FA] = {-INFINITY, INFINITY};
  int64_t ia[NC_CLIP_N_IA];
  int32_t dt = x->desc.dtype;
  int_range(dt, &ia[NC_CLIP_IA_MIN], &ia[NC_CLIP_IA_MAX]);
  if (!is_float(dt)) {
    fa[NC_CLIP_FA_MIN] = (double)ia[NC_CLIP_IA_MIN];
    fa[NC_CLIP_FA_MAX] = dt == NC_U64 ? 18446744073709551615.0 : (double)ia[NC_CLIP_IA_MAX];
  }
  if (g->opset > 0 && g->opset < 11) { /* bounds were attributes */
    if (n->n_in > 1) return nc_node_fail(g, n, "takes 1 input before opset 11, got %d", n->n_in);
    fa[NC_CLIP_FA_MIN] = nc_attr_float(n, "min", fa[NC_CLIP_FA_MIN]);
    fa[NC_CLIP_FA_MAX] = nc_attr_float(n, "max", fa[NC_CLIP_FA_MAX]);
  } else {
    n->param_inputs |= 0x6u;
    if (clip_bound_input(g, n, 1, "min", &fa[NC_CLIP_FA_MIN], &ia[NC_CLIP_IA_MIN]) < 0 ||
        clip_bound_input(g, n, 2, "max", &fa[NC_CLIP_FA_MAX], &ia[NC_CLIP_IA_MAX]) < 0)
      return -1;
  }
  set_out(g, n, dt, &x->desc);
  nc_node_set_args(n, ia, NC_CLIP_N_IA, fa, NC_CLIP_N_FA);
  return 0;
}

/* ---------------- Cast, CastLike ---------------- */

static int castable_dtype(int64_t dt) {
  return dt > 0 && dt <= 31 && (NC_DT_ALL & NC_DT(dt));
}

static int lower_cast_to(nc_graph *g, nc_node *n, nc_tensor *x, int64_t to) {
  if (check_dtype(g, n, x) < 0) return -1;
  if (!castable_dtype(to))
    return nc_node_fail(g, n, "target dtype %lld is not supported (numeric types and bool only)",
                        (long long)to);
  int64_t ia[NC_CAST_N_IA];
  ia[NC_CAST_IA_TO] = to;
  set_out(g, n, (int32_t)to, &x->desc);
  nc_node_set_args(n, ia, NC_CAST_N_IA, NULL, 0);
  return 0;
}

static int lower_cast(nc_graph *g, nc_node *n) {
  if (check_arity(g, n, 1, 1) < 0) return -1;
  nc_tensor *x = known_input(g, n, 0);
  if (!x) return -1;
  nc_attr *to = nc_node_attr(n, "to");
  if (!to || to->type != NC_ATTR_INT)
    return nc_node_fail(g, n, "attribute 'to' (an integer dtype) is required");
  return lower_cast_to(g, n, x, to->i);
}

/* CastLike: input 1 only lends its dtype; its value is never read. */
static int lower_castlike(nc_graph *g, nc_node *n) {
  if (check_arity(g, n, 2, 2) < 0) return -1;
  nc_tensor *x = known_input(g, n, 0);
  nc_tensor *like = x ? nc_in(g, n, 1) : NULL;
  if (!x) return -1;
  if (!like || like->desc.dtype == NC_UNDEF)
    return nc_node_fail(g, n, "input 1 (target_type) must be present with a known dtype");
  n->param_inputs |= 0x2u;
  return lower_cast_to(g, n, x, like->desc.dtype);
}

/* ---------------- binary ---------------- */

static int is_comparison(const char *op) {
  return !strcmp(op, "Equal") || !strcmp(op, "Greater") || !strcmp(op, "Less") ||
         !strcmp(op, "GreaterOrEqual") || !strcmp(op, "LessOrEqual");
}

/* Before opset 7, binary layers broadcast only with broadcast=1, B aligned to
 * A at `axis`; the suffix-aligned case equals numpy broadcasting. */
static int check_legacy_broadcast(nc_graph *g, nc_node *n, const nc_tensor *a,
                                  const nc_tensor *b) {
  if (g->opset <= 0 || g->opset >= 7) return 0;
  char s1[160], s2[160];
  if (nc_attr_int(n, "broadcast", 0) == 0) {
    if (nc_numel(&a->desc) != nc_numel(&b->desc) || a->desc.ndim != b->desc.ndim ||
        memcmp(a->desc.dims, b->desc.dims, sizeof(int64_t) * (size_t)a->desc.ndim) != 0)
      return nc_node_fail(g, n, "inputs %s and %s differ in shape and broadcast=0",
                          shape_str(&a->desc, s1, sizeof s1), shape_str(&b->desc, s2, sizeof s2));
    return 0;
  }
  nc_attr *axis = nc_node_attr(n, "axis");
  if (b->desc.ndim > a->desc.ndim)
    return nc_node_fail(g, n, "legacy broadcast needs rank(B) <= rank(A)");
  if (axis && axis->type == NC_ATTR_INT &&
      nc_axis(axis->i, a->desc.ndim) != a->desc.ndim - b->desc.ndim)
    return nc_node_fail(g, n, "legacy broadcast with axis=%lld (not suffix-aligned) is not "
                        "supported", (long long)axis->i);
  return 0;
}

/* Attributes of Mod and BitShift. */
static int binary_attrs(nc_graph *g, nc_node *n, int32_t dt, int64_t *ia, int *n_ia) {
  *n_ia = 0;
  if (strcmp(n->op, "Mod") == 0) {
    int64_t fmod_attr = nc_attr_int(n, "fmod", 0);
    if (fmod_attr != 0 && fmod_attr != 1)
      return nc_node_fail(g, n, "attribute fmod must be 0 or 1, got %lld", (long long)fmod_attr);
    if (is_float(dt) && fmod_attr != 1)
      return nc_node_fail(g, n, "floating-point inputs need fmod=1");
    ia[NC_MOD_IA_FMOD] = fmod_attr;
    *n_ia = NC_MOD_N_IA;
  } else if (strcmp(n->op, "BitShift") == 0) {
    const char *dir = nc_attr_string(n, "direction", NULL);
    if (!dir || (strcmp(dir, "LEFT") != 0 && strcmp(dir, "RIGHT") != 0))
      return nc_node_fail(g, n, "attribute direction must be \"LEFT\" or \"RIGHT\"");
    ia[NC_BITSHIFT_IA_DIRECTION] = strcmp(dir, "LEFT") == 0 ? NC_BITSHIFT_LEFT : NC_BITSHIFT_RIGHT;
    *n_ia = NC_BITSHIFT_N_IA;
  }
  return 0;
}

static int lower_binary(nc_graph *g, nc_node *n) {
  if (check_arity(g, n, 2, 2) < 0) return -1;
  nc_tensor *a = known_input(g, n, 0);
  nc_tensor *b = a ? known_input(g, n, 1) : NULL;
  if (!a || !b || check_dtype(g, n, a) < 0) return -1;
  int is_pow = strcmp(n->op, "Pow") == 0;
  if (is_pow) {
    if (b->desc.dtype <= 0 || b->desc.dtype > 31 || !(NC_DT_NUMERIC & NC_DT(b->desc.dtype)))
      return nc_node_fail(g, n, "exponent '%s' has dtype %s; a numeric dtype is required",
                          b->name, nc_dtype_name(b->desc.dtype));
  } else if (same_dtype(g, n, a, b) < 0) {
    return -1;
  }
  if (check_legacy_broadcast(g, n, a, b) < 0) return -1;
  nc_tdesc shape = a->desc;
  if (broadcast_into(g, n, &shape, b) < 0) return -1;
  int64_t ia[2];
  int n_ia;
  if (binary_attrs(g, n, a->desc.dtype, ia, &n_ia) < 0) return -1;
  set_out(g, n, is_comparison(n->op) ? NC_BOOL : a->desc.dtype, &shape);
  nc_node_set_args(n, ia, n_ia, NULL, 0);
  return 0;
}

/* PRelu: slope broadcasts to X (unidirectionally); the output has X's shape. */
static int lower_prelu(nc_graph *g, nc_node *n) {
  if (check_arity(g, n, 2, 2) < 0) return -1;
  nc_tensor *x = known_input(g, n, 0);
  nc_tensor *s = x ? known_input(g, n, 1) : NULL;
  if (!x || !s || check_dtype(g, n, x) < 0 || same_dtype(g, n, x, s) < 0) return -1;
  nc_tdesc shape = x->desc;
  if (broadcast_into(g, n, &shape, s) < 0) return -1;
  char s1[160], s2[160];
  if (shape.ndim != x->desc.ndim || nc_numel(&shape) != nc_numel(&x->desc))
    return nc_node_fail(g, n, "slope '%s' of shape %s does not broadcast to X's shape %s",
                        s->name, shape_str(&s->desc, s1, sizeof s1),
                        shape_str(&x->desc, s2, sizeof s2));
  set_out(g, n, x->desc.dtype, &x->desc);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

/* ---------------- variadic, Where ---------------- */

static int lower_variadic(nc_graph *g, nc_node *n) {
  if (check_arity(g, n, 1, NC_EW_MAX_INPUTS) < 0) return -1;
  nc_tensor *first = known_input(g, n, 0);
  if (!first || check_dtype(g, n, first) < 0) return -1;
  nc_tdesc shape = first->desc;
  for (int i = 1; i < n->n_in; i++) {
    nc_tensor *t = known_input(g, n, i);
    if (!t || same_dtype(g, n, first, t) < 0 || broadcast_into(g, n, &shape, t) < 0) return -1;
  }
  set_out(g, n, first->desc.dtype, &shape);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

static int lower_where(nc_graph *g, nc_node *n) {
  if (check_arity(g, n, 3, 3) < 0) return -1;
  nc_tensor *c = known_input(g, n, 0);
  nc_tensor *x = c ? known_input(g, n, 1) : NULL;
  nc_tensor *y = x ? known_input(g, n, 2) : NULL;
  if (!c || !x || !y || check_dtype(g, n, c) < 0 || same_dtype(g, n, x, y) < 0) return -1;
  if (!castable_dtype(x->desc.dtype))
    return nc_node_fail(g, n, "input '%s' has unsupported dtype %s", tensor_name(x),
                        nc_dtype_name(x->desc.dtype));
  nc_tdesc shape = c->desc;
  if (broadcast_into(g, n, &shape, x) < 0 || broadcast_into(g, n, &shape, y) < 0) return -1;
  set_out(g, n, x->desc.dtype, &shape);
  nc_node_set_args(n, NULL, 0, NULL, 0);
  return 0;
}

/* ---------------- the table ---------------- */

#define UNARY(op) {op, 1, 1, 1, 1, 0, lower_unary, NULL}
#define BINARY(op) {op, 2, 2, 1, 1, 0, lower_binary, NULL}
#define VARIADIC(op) {op, 1, NC_EW_MAX_INPUTS, 1, 1, 0, lower_variadic, NULL}

const nc_op_def nc_ops_elementwise[] = {
    UNARY("Abs"), UNARY("Neg"), UNARY("Exp"), UNARY("Log"), UNARY("Sqrt"),
    UNARY("Sin"), UNARY("Cos"), UNARY("Tan"), UNARY("Asin"), UNARY("Acos"),
    UNARY("Atan"), UNARY("Sinh"), UNARY("Cosh"), UNARY("Asinh"), UNARY("Acosh"),
    UNARY("Atanh"), UNARY("Ceil"), UNARY("Floor"), UNARY("Round"), UNARY("Sign"),
    UNARY("Reciprocal"), UNARY("Erf"), UNARY("IsNaN"), UNARY("IsInf"), UNARY("Not"),
    UNARY("Relu"), UNARY("LeakyRelu"), UNARY("Elu"), UNARY("Selu"), UNARY("Celu"),
    UNARY("Sigmoid"), UNARY("HardSigmoid"), UNARY("HardSwish"), UNARY("Softplus"),
    UNARY("Softsign"), UNARY("Tanh"), UNARY("ThresholdedRelu"), UNARY("Shrink"),
    UNARY("Mish"),
    {"PRelu", 2, 2, 1, 1, 0, lower_prelu, NULL},
    {"Clip", 1, 3, 1, 1, 0x6u, lower_clip, NULL},
    {"Cast", 1, 1, 1, 1, 0, lower_cast, NULL},
    {"CastLike", 2, 2, 1, 1, 0x2u, lower_castlike, NULL},
    BINARY("Add"), BINARY("Sub"), BINARY("Mul"), BINARY("Div"), BINARY("Pow"),
    BINARY("Mod"), BINARY("BitShift"), BINARY("And"), BINARY("Or"), BINARY("Xor"),
    BINARY("Equal"), BINARY("Greater"), BINARY("Less"), BINARY("GreaterOrEqual"),
    BINARY("LessOrEqual"),
    VARIADIC("Max"), VARIADIC("Min"), VARIADIC("Sum"), VARIADIC("Mean"),
    {"Where", 3, 3, 1, 1, 0, lower_where, NULL},
    {0},
};
