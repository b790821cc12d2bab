/* Static memory planner: offsets of activation buffers in one arena.
 *
 * Greedy by size (largest first, ties by index): each buffer goes to the
 * lowest aligned offset that does not overlap any already placed buffer whose
 * live interval overlaps its own (first fit over the gaps, sorted by
 * offset). A buffer that may reuse its input's bytes (inplace_of) is put on
 * top of that buffer when legal; its target is placed first so chains
 * A <- B <- C land at one offset. Everything is deterministic. */
#include "memplan.h"

#include <stdlib.h>
#include <string.h>

#include "ir.h"

static int live_lo(const mp_buffer *b) { return b->first <= b->last ? b->first : b->last; }
static int live_hi(const mp_buffer *b) { return b->first <= b->last ? b->last : b->first; }

static int lives_overlap(const mp_buffer *a, const mp_buffer *b) {
  return live_lo(a) <= live_hi(b) && live_lo(b) <= live_hi(a);
}

static int bytes_overlap(size_t off_a, size_t size_a, size_t off_b, size_t size_b) {
  return size_a > 0 && size_b > 0 && off_a < off_b + size_b && off_b < off_a + size_a;
}

static size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

/* The in-place request of buffer i, if it is well formed: the target exists,
 * dies exactly when i is first written, and is at least as large. */
static int inplace_target(const mp_buffer *b, int n, int i) {
  int t = b[i].inplace_of;
  if (t < 0 || t >= n || t == i) return -1;
  if (b[t].last != b[i].first || b[i].size > b[t].size) return -1;
  return t;
}

typedef struct planner {
  mp_buffer *b;
  int n;
  size_t align;
  char *state; /* 0 unplaced, 1 being placed, 2 placed */
  int *placed; /* indices of placed buffers, in placement order */
  int n_placed;
  struct gap { size_t off, size; } *busy; /* scratch for first fit */
} planner;

/* Could buffer i sit at `off` without touching any placed buffer live at the
 * same time, the in-place target `except` aside? */
static int fits_at(const planner *P, int i, size_t off, int except) {
  for (int j = 0; j < P->n_placed; j++) {
    const mp_buffer *z = &P->b[P->placed[j]];
    if (P->placed[j] == except || !lives_overlap(&P->b[i], z)) continue;
    if (bytes_overlap(off, P->b[i].size, z->offset, z->size)) return 0;
  }
  return 1;
}

static int by_offset(const void *a, const void *b) {
  const struct gap *x = a, *y = b;
  if (x->off != y->off) return x->off < y->off ? -1 : 1;
  return x->size < y->size ? -1 : x->size > y->size;
}

/* Lowest aligned offset free over buffer i's whole lifetime. */
static size_t first_fit(planner *P, int i) {
  int m = 0;
  for (int j = 0; j < P->n_placed; j++) {
    const mp_buffer *z = &P->b[P->placed[j]];
    if (z->size > 0 && lives_overlap(&P->b[i], z)) {
      P->busy[m].off = z->offset;
      P->busy[m].size = z->size;
      m++;
    }
  }
  qsort(P->busy, (size_t)m, sizeof *P->busy, by_offset);
  size_t cur = 0;
  for (int j = 0; j < m; j++) {
    if (cur + P->b[i].size <= P->busy[j].off) break;
    size_t end = align_up(P->busy[j].off + P->busy[j].size, P->align);
    if (end > cur) cur = end;
  }
  return cur;
}

static void place(planner *P, int i) {
  if (P->state[i]) return; /* placed, or a cycle of in-place requests */
  P->state[i] = 1;
  mp_buffer *x = &P->b[i];
  x->inplace_done = 0;
  int t = inplace_target(P->b, P->n, i);
  if (t >= 0) place(P, t);
  if (t >= 0 && P->state[t] == 2 && fits_at(P, i, P->b[t].offset, t)) {
    x->offset = P->b[t].offset;
    x->inplace_done = 1;
  } else {
    x->offset = first_fit(P, i);
  }
  P->state[i] = 2;
  P->placed[P->n_placed++] = i;
}

typedef struct sized {
  size_t size;
  int idx;
} sized;
static int by_size_desc(const void *a, const void *b) {
  const sized *x = a, *y = b;
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Max over steps of the bytes live at that step; a well-formed in-place
 * pair shares the smaller buffer's bytes, and only one buffer can sit on a
 * given target, so each target credits at most its largest such child. */
static size_t live_lower_bound(const mp_buffer *b, int n) {
  if (n == 0) return 0;
  int lo = live_lo(&b[0]), hi = live_hi(&b[0]);
  for (int i = 1; i < n; i++) {
    if (live_lo(&b[i]) < lo) lo = live_lo(&b[i]);
    if (live_hi(&b[i]) > hi) hi = live_hi(&b[i]);
  }
  size_t *credit = nc_xcalloc((size_t)n, sizeof(size_t));
  for (int i = 0; i < n; i++) {
    int t = inplace_target(b, n, i);
    if (t >= 0 && b[i].size > credit[t]) credit[t] = b[i].size;
  }
  size_t best = 0;
  for (int s = lo; s <= hi; s++) {
    size_t sum = 0, shared = 0;
    for (int i = 0; i < n; i++) {
      if (live_lo(&b[i]) > s || live_hi(&b[i]) < s) continue;
      sum += b[i].size;
      /* target dies at s and its child starts at s: both live here */
      if (credit[i] && b[i].last == s) shared += credit[i];
    }
    if (sum - shared > best) best = sum - shared;
  }
  free(credit);
  return best;
}

int mp_plan(mp_buffer *b, int n, size_t align, mp_result *r) {
  memset(r, 0, sizeof *r);
  if (n <= 0) return 0;
  planner P;
  P.b = b;
  P.n = n;
  P.align = align ? align : 1;
  P.state = nc_xcalloc((size_t)n, 1);
  P.placed = nc_xmalloc((size_t)n * sizeof(int));
  P.n_placed = 0;
  P.busy = nc_xmalloc((size_t)n * sizeof *P.busy);
  sized *order = nc_xmalloc((size_t)n * sizeof(sized));
  for (int i = 0; i < n; i++) order[i].size = b[i].size, order[i].idx = i;
  qsort(order, (size_t)n, sizeof(sized), by_size_desc);
  for (int k = 0; k < n; k++) place(&P, order[k].idx);
  size_t end = 0;
  for (int i = 0; i < n; i++)
    if (b[i].size > 0 && b[i].offset + b[i].size > end) end = b[i].offset + b[i].size;
  r->arena_size = align_up(end, P.align);
  r->lower_bound = live_lower_bound(b, n);
  free(order);
  free(P.state);
  free(P.placed);
  free(P.busy);
  return 0;
}
