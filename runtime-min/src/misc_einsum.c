/* Reference Einsum over labels parsed by lowering (neuroc/args_reduce.h):
 * every output element sums, over all values of the labels absent from the
 * output, the product of the inputs. Floats accumulate in double, integers
 * in 64-bit wrapping arithmetic. */
#include <string.h>

#include "neuroc/args.h"
#include "reduce_io.h"
#include "reduce_routines.h"

#define EIN_MAX_LABELS 64
#define EIN_MAX_IN 16

typedef struct ein_plan {
  int L, n_sum;
  int64_t size[EIN_MAX_LABELS];
  int sum_label[EIN_MAX_LABELS];              /* labels absent from the output */
  int64_t stride[EIN_MAX_IN][EIN_MAX_LABELS]; /* per input, element stride of each label */
} ein_plan;

static void make_plan(const nc_args *a, ein_plan *p, const int64_t **out_labels) {
  int L = (int)a->ia[NC_EINSUM_NLABELS];
  p->L = L;
  for (int l = 0; l < L; l++) p->size[l] = a->ia[NC_EINSUM_SIZES + l];
  const int64_t *lab = a->ia + NC_EINSUM_AXES(L);
  memset(p->stride, 0, sizeof p->stride);
  for (int k = 0; k < a->n_in; k++) {
    const nc_tdesc *d = &a->in[k];
    int64_t s = 1;
    /* a repeated label (diagonal) adds its strides up */
    for (int ax = d->ndim - 1; ax >= 0; ax--) {
      int l = (int)lab[ax];
      if (!(d->dims[ax] == 1 && p->size[l] != 1)) p->stride[k][l] += s;
      s *= d->dims[ax];
    }
    lab += d->ndim;
  }
  *out_labels = lab;
  int in_out[EIN_MAX_LABELS] = {0};
  for (int ax = 0; ax < a->out[0].ndim; ax++) in_out[lab[ax]] = 1;
  p->n_sum = 0;
  for (int l = 0; l < L; l++)
    if (!in_out[l]) p->sum_label[p->n_sum++] = l;
}

void nc_einsum_ref_any_nchw_c99(const nc_args *a, const void *const *in, void *const *out,
                                void *scratch) {
  (void)scratch;
  ein_plan p;
  const int64_t *olab;
  make_plan(a, &p, &olab);
  int32_t dt = a->out[0].dtype;
  int flt = rdx_is_float(dt), rank = a->out[0].ndim;
  int64_t n_out = nc_numel(&a->out[0]), val[EIN_MAX_LABELS] = {0};
  for (int64_t o = 0; o < n_out; o++) {
    int64_t rem = o;
    for (int ax = rank - 1; ax >= 0; ax--) {
      val[olab[ax]] = rem % a->out[0].dims[ax];
      rem /= a->out[0].dims[ax];
    }
    for (int s = 0; s < p.n_sum; s++) val[p.sum_label[s]] = 0;
    double facc = 0.0;
    uint64_t iacc = 0;
    int empty = 0;
    for (int s = 0; s < p.n_sum; s++) empty |= p.size[p.sum_label[s]] == 0;
    while (!empty) {
      double fprod = 1.0;
      uint64_t iprod = 1;
      for (int k = 0; k < a->n_in; k++) {
        int64_t off = 0;
        for (int l = 0; l < p.L; l++) off += val[l] * p.stride[k][l];
        if (flt) fprod *= nc_load_f64(in[k], dt, off);
        else iprod *= (uint64_t)rdx_ldi(in[k], dt, off);
      }
      facc += fprod;
      iacc += iprod;
      int s = p.n_sum - 1;
      while (s >= 0 && ++val[p.sum_label[s]] == p.size[p.sum_label[s]]) val[p.sum_label[s--]] = 0;
      if (s < 0) break;
    }
    if (flt) rdx_st(out[0], dt, o, facc, 0);
    else rdx_sti(out[0], dt, o, (int64_t)iacc);
  }
}
