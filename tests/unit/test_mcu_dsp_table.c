/* The int8 routines of ISA "dsp" (Armv7E-M, runtime-min/src/int8_dsp.c) in
 * the routine table of every host: six entries, each with the packing,
 * scratch and applicability of its c99 twin (so a compiler on any host packs
 * the weights the firmware's kernel reads), `fn` only where the library is
 * built with the DSP extension, and this CPU never claims the ISA unless so.
 * Their results are checked on the target: tests/targets/mcu_dsp_check.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "neuroc/routines.h"

static int is_dsp(const nc_routine *r) {
  char isa[32];
  return strcmp(nc_routine_isa(r, isa, sizeof isa), "dsp") == 0;
}

Test(mcu_dsp_table, entries_on_every_host) {
  const nc_routine *t = nc_routine_table();
  int n = 0;
  for (int i = 0; i < nc_routine_count(); i++) {
    if (!is_dsp(&t[i])) continue;
    n++;
    /* the twin: same descriptor with c99 in place of dsp */
    char twin[160];
    snprintf(twin, sizeof twin, "%s", t[i].descriptor);
    char *p = strstr(twin, "/dsp/");
    cr_assert_not_null(p);
    memcpy(p, "/c99/", 5);
    const nc_routine *c = nc_routine_find(twin);
    cr_assert_not_null(c, "%s has no c99 twin %s", t[i].descriptor, twin);
    cr_expect_str_eq(t[i].layer, c->layer);
    cr_expect(t[i].packed_bytes == c->packed_bytes && t[i].pack == c->pack &&
                  t[i].scratch_bytes == c->scratch_bytes && t[i].applies == c->applies,
              "%s: packing, scratch and applies are the c99 twin's", t[i].descriptor);
    cr_expect(t[i].in_layout == c->in_layout && t[i].out_layout == c->out_layout &&
                  t[i].in_q == c->in_q && t[i].out_q == c->out_q && t[i].flags == c->flags,
              "%s: formats and flags are the c99 twin's", t[i].descriptor);
    cr_expect(strstr(t[i].symbol, "_dsp") != NULL, "%s: symbol %s", t[i].descriptor,
              t[i].symbol);
#if defined(__ARM_FEATURE_DSP)
    cr_expect(t[i].fn != NULL, "%s has its kernel here", t[i].descriptor);
#else
    cr_expect(t[i].fn == NULL, "%s has no kernel off Armv7E-M", t[i].descriptor);
#endif
  }
  cr_expect_eq(n, 6, "6 dsp routines, found %d", n);
#if !defined(__ARM_FEATURE_DSP)
  cr_expect(!nc_cpu_supports("dsp"), "only an Armv7E-M build runs dsp routines");
#endif
}
