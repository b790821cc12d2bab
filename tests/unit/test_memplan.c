/* Memory planner: hand-placed cases and a validity checker on random
 * instances. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memplan.h"

static mp_buffer buf(size_t size, int first, int last, int inplace_of) {
  mp_buffer b;
  memset(&b, 0, sizeof b);
  b.size = size;
  b.first = first;
  b.last = last;
  b.inplace_of = inplace_of;
  return b;
}

Test(memplan, disjoint_lifetimes_share_memory) {
  mp_buffer b[2] = {buf(100, 0, 1, -1), buf(100, 2, 3, -1)};
  mp_result r;
  cr_assert_eq(mp_plan(b, 2, 16, &r), 0);
  cr_expect_eq(b[0].offset, 0);
  cr_expect_eq(b[1].offset, 0);
  cr_expect_eq(r.arena_size, 112); /* 100 rounded up to 16 */
  cr_expect_eq(r.lower_bound, 100);
}

Test(memplan, overlapping_lifetimes_do_not_share) {
  mp_buffer b[2] = {buf(32, 1, 3, -1), buf(64, 0, 2, -1)};
  mp_result r;
  cr_assert_eq(mp_plan(b, 2, 1, &r), 0);
  cr_expect_eq(b[1].offset, 0); /* larger first */
  cr_expect_eq(b[0].offset, 64);
  cr_expect_eq(r.arena_size, 96);
  cr_expect_eq(r.lower_bound, 96);
}

/* sizes 10, 20, 30 all live together; align 16: 30 @0, 20 @32, 10 @64. */
Test(memplan, alignment_respected) {
  mp_buffer b[3] = {buf(10, 0, 5, -1), buf(20, 0, 5, -1), buf(30, 0, 5, -1)};
  mp_result r;
  cr_assert_eq(mp_plan(b, 3, 16, &r), 0);
  cr_expect_eq(b[2].offset, 0);
  cr_expect_eq(b[1].offset, 32);
  cr_expect_eq(b[0].offset, 64);
  cr_expect_eq(r.arena_size, 80);
  cr_expect_eq(r.lower_bound, 60);
}

/* A gap left by a dead buffer is reused by a smaller later one (first fit). */
Test(memplan, first_fit_reuses_gap) {
  /* 0: 64 bytes [0,1]; 1: 64 bytes [0,4]; 2: 32 bytes [2,4] fits where 0 was */
  mp_buffer b[3] = {buf(64, 0, 1, -1), buf(64, 0, 4, -1), buf(32, 2, 4, -1)};
  mp_result r;
  cr_assert_eq(mp_plan(b, 3, 1, &r), 0);
  cr_expect_eq(b[0].offset, 0);
  cr_expect_eq(b[1].offset, 64);
  cr_expect_eq(b[2].offset, 0);
  cr_expect_eq(r.arena_size, 128);
}

Test(memplan, inplace_honoured) {
  mp_buffer b[2] = {buf(64, 0, 1, -1), buf(64, 1, 2, 0)};
  mp_result r;
  cr_assert_eq(mp_plan(b, 2, 8, &r), 0);
  cr_expect_eq(b[1].inplace_done, 1);
  cr_expect_eq(b[1].offset, b[0].offset);
  cr_expect_eq(r.arena_size, 64);
  cr_expect_eq(r.lower_bound, 64);
  /* The pair shares bytes only at step 3, where both are live; the peak is
   * at steps 1-2 (64 + 50), unaffected by the sharing. */
  mp_buffer c[3] = {buf(64, 0, 3, -1), buf(32, 3, 4, 0), buf(50, 1, 2, -1)};
  cr_assert_eq(mp_plan(c, 3, 1, &r), 0);
  cr_expect_eq(c[1].inplace_done, 1);
  cr_expect_eq(r.lower_bound, 114);
  cr_expect_eq(r.arena_size, 114);
}

/* Chain 2 <- 1 <- 0 (0 reuses 1, 1 reuses 2), equal sizes so the size order
 * (by index) would visit the chain backwards. */
Test(memplan, inplace_chain) {
  mp_buffer b[4] = {buf(48, 2, 3, 1), buf(48, 1, 2, 2), buf(48, 0, 1, -1), buf(16, 0, 3, -1)};
  mp_result r;
  cr_assert_eq(mp_plan(b, 4, 16, &r), 0);
  cr_expect_eq(b[0].inplace_done, 1);
  cr_expect_eq(b[1].inplace_done, 1);
  cr_expect_eq(b[0].offset, b[2].offset);
  cr_expect_eq(b[1].offset, b[2].offset);
  cr_expect_eq(r.arena_size, 64);
  cr_expect_eq(r.lower_bound, 64);
}

Test(memplan, inplace_refused_when_illegal) {
  /* larger than its target */
  mp_buffer a[2] = {buf(64, 0, 1, -1), buf(128, 1, 2, 0)};
  mp_result r;
  mp_plan(a, 2, 1, &r);
  cr_expect_eq(a[1].inplace_done, 0);
  cr_expect_eq(r.arena_size, 192);
  /* target still live after this one is first written */
  mp_buffer b[2] = {buf(64, 0, 2, -1), buf(64, 1, 3, 0)};
  mp_plan(b, 2, 1, &r);
  cr_expect_eq(b[1].inplace_done, 0);
  cr_expect_neq(b[0].offset, b[1].offset);
  /* another buffer (placed first, larger) already uses those bytes at step 2 */
  mp_buffer c[3] = {buf(64, 0, 1, -1), buf(64, 1, 2, 0), buf(100, 2, 3, -1)};
  mp_plan(c, 3, 1, &r);
  cr_expect_eq(c[2].offset, 0);
  cr_expect_eq(c[0].offset, 0);
  cr_expect_eq(c[1].inplace_done, 0);
  cr_expect_eq(c[1].offset, 100);
  /* out-of-range and self references are ignored */
  mp_buffer d[2] = {buf(8, 0, 1, 7), buf(8, 1, 2, 1)};
  mp_plan(d, 2, 1, &r);
  cr_expect_eq(d[0].inplace_done + d[1].inplace_done, 0);
}

Test(memplan, empty) {
  mp_result r;
  cr_assert_eq(mp_plan(NULL, 0, 16, &r), 0);
  cr_expect_eq(r.arena_size, 0);
  cr_expect_eq(r.lower_bound, 0);
}

/* ---------------- random instances ---------------- */

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}
static int rnd_int(int n) { return (int)(rnd() % (uint32_t)n); }

static int is_done_pair(const mp_buffer *b, int i, int j) {
  return (b[i].inplace_done && b[i].inplace_of == j) || (b[j].inplace_done && b[j].inplace_of == i);
}

/* Everything the plan promises, checked from scratch. */
static void check_plan(const mp_buffer *b, int n, size_t align, const mp_result *r, int it) {
  size_t end = 0;
  for (int i = 0; i < n; i++) {
    cr_assert_eq(b[i].offset % align, 0, "instance %d: buffer %d misaligned", it, i);
    if (b[i].offset + b[i].size > end) end = b[i].offset + b[i].size;
    if (b[i].inplace_done) {
      int t = b[i].inplace_of;
      cr_assert(t >= 0 && t < n && t != i, "instance %d", it);
      cr_assert_eq(b[t].last, b[i].first, "instance %d: in-place with live target", it);
      cr_assert_leq(b[i].size, b[t].size, "instance %d", it);
      cr_assert_eq(b[i].offset, b[t].offset, "instance %d", it);
    }
  }
  cr_assert_geq(r->arena_size, end, "instance %d", it);
  cr_assert_eq(r->arena_size % align, 0, "instance %d", it);
  cr_assert_geq(r->arena_size, r->lower_bound, "instance %d", it);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      int live = b[i].first <= b[j].last && b[j].first <= b[i].last;
      int bytes = b[i].size && b[j].size && b[i].offset < b[j].offset + b[j].size &&
                  b[j].offset < b[i].offset + b[i].size;
      cr_assert(!(live && bytes) || is_done_pair(b, i, j),
                "instance %d: buffers %d and %d overlap while both live", it, i, j);
    }
}

/* Peak of live bytes, ignoring in-place sharing: an upper bound on the
 * planner's lower_bound, and equal to it when nothing is in place. */
static size_t peak_live(const mp_buffer *b, int n) {
  size_t best = 0;
  for (int s = 0; s < 1000; s++) {
    size_t sum = 0;
    for (int i = 0; i < n; i++)
      if (b[i].first <= s && s <= b[i].last) sum += b[i].size;
    if (sum > best) best = sum;
  }
  return best;
}

Test(memplan, random_instances_are_valid) {
  static const size_t aligns[4] = {1, 8, 16, 64};
  rng_state = 0xC0FFEEull;
  int inplace_done = 0;
  for (int it = 0; it < 2000; it++) {
    int n = 1 + rnd_int(30);
    size_t align = aligns[rnd_int(4)];
    int use_inplace = rnd_int(2);
    mp_buffer b[30], again[30];
    for (int i = 0; i < n; i++) {
      int first = rnd_int(20), len = rnd_int(6);
      b[i] = buf(rnd_int(8) == 0 ? 0 : 1 + (size_t)rnd_int(1000), first, first + len, -1);
    }
    for (int i = 0; use_inplace && i < n; i++) {
      if (rnd_int(3)) continue;
      int t = rnd_int(n); /* sometimes illegal on purpose */
      if (t != i && rnd_int(4)) b[i].first = b[t].last, b[i].last = b[i].first + rnd_int(4);
      b[i].inplace_of = t;
    }
    memcpy(again, b, sizeof b);
    mp_result r, r2;
    cr_assert_eq(mp_plan(b, n, align, &r), 0);
    check_plan(b, n, align, &r, it);
    size_t peak = peak_live(b, n);
    cr_assert_leq(r.lower_bound, peak, "instance %d", it);
    if (!use_inplace) cr_assert_eq(r.lower_bound, peak, "instance %d", it);
    for (int i = 0; i < n; i++) inplace_done += b[i].inplace_done;
    /* deterministic */
    mp_plan(again, n, align, &r2);
    cr_assert_eq(r2.arena_size, r.arena_size);
    for (int i = 0; i < n; i++) cr_assert_eq(again[i].offset, b[i].offset, "instance %d", it);
  }
  cr_expect_gt(inplace_done, 500, "in-place exercised only %d times", inplace_done);
}
