#!/bin/sh
# neuroc -j on the Cortex-M4F firmware target (docs/agent.md, "Measuring in
# parallel"): tunes examples/digits from an empty profile database once with
# -j 1 (one qemu, the sequential path) and once with -j 2 (two qemu
# instances measuring at once). Under qemu -icount a routine's cost is its
# executed instructions, so the two plans must choose the same routines
# with the same predicted time (within 0.1%). Also: -j above the spec's `parallel`
# and -j on the local profiler are refused with exit 1.
# Prints the wall time of both runs.
# usage: tests/targets/mcu_parallel.sh NEUROC WORKDIR [FIRMWARE_BUILD_DIR]
# (a firmware already built by `make -C runtime-min/mcu BUILD=DIR`; default:
# built here)
# Exit 77 (ctest: skipped) when the toolchain or qemu is missing.
set -eu
neuroc=$(realpath "$1")
work=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/targets/mcu_common.sh"

fw=${3:-}
if [ -z "$fw" ]; then
  fw=$work/fw
  make -s -C "$root/runtime-min/mcu" -j2 all BUILD="$fw" >"$work/fw.log" 2>&1 ||
    { cat "$work/fw.log"; fail "building the firmware"; }
fi
[ -f "$fw/neuroc-agent-fw.elf" ] || fail "no $fw/neuroc-agent-fw.elf"
spec=$work/cortex-m4-mps2.yaml
sed "s|../build-mcux/neuroc-agent-fw.elf|$(realpath "$fw")/neuroc-agent-fw.elf|" \
  "$root/targets/cortex-m4-mps2.yaml" >"$spec"
grep -q '^  parallel: [2-9]' "$spec" || fail "targets/cortex-m4-mps2.yaml allows no -j 2 (agent: parallel)"

now() { date +%s.%N; }
tune() { # JOBS DIR
  t0=$(now)
  "$neuroc" tune "$root/examples/digits/digits.onnx" -t "$spec" --db none -j "$1" -o "$2" \
    >"$2.log" 2>&1 || { cat "$2.log"; fail "tune -j $1"; }
  t1=$(now)
  echo "tune -j $1: $(echo "$t1 - $t0" | bc) s ($(grep -o 'measured [0-9]* new' "$2.log" | head -1))"
}
tune 1 "$work/j1"
tune 2 "$work/j2"
grep -q '^cost_source: agent-tcp' "$work/j1/plan.yaml" || fail "the plan was not measured by the agent"
# The same path: every step's routine (layers and adapters, in order).
grep '^    routine:' "$work/j1/plan.yaml" >"$work/j1.path"
grep '^    routine:' "$work/j2/plan.yaml" >"$work/j2.path"
[ -s "$work/j1.path" ] || fail "no steps in the -j 1 plan"
cmp "$work/j1.path" "$work/j2.path" ||
  { diff "$work/j1.path" "$work/j2.path"; fail "-j 2 chose other routines than -j 1"; }
# The same prediction. Not to the nanosecond: two -j 1 runs differ too, by
# 40 ns (instructions) on a few routines, qemu's timer read under -icount.
p1=$(sed -n 's/^predicted_ms: //p' "$work/j1/plan.yaml")
p2=$(sed -n 's/^predicted_ms: //p' "$work/j2/plan.yaml")
awk -v a="$p1" -v b="$p2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d <= 1e-3 * a) }' ||
  fail "predicted_ms -j 1 $p1 vs -j 2 $p2: more than 0.1% apart"
echo "same path ($(wc -l <"$work/j1.path") steps), predicted_ms $p1 (-j 1) vs $p2 (-j 2)"

refused() { # EXPECTED-TEXT ARGS...
  want=$1
  shift
  if "$neuroc" tune "$root/examples/digits/digits.onnx" --db none -o "$work/refused" "$@" \
    >"$work/refused.log" 2>&1; then
    fail "accepted: $*"
  else
    rc=$?
  fi
  [ "$rc" = 1 ] || { cat "$work/refused.log"; fail "exit $rc, not 1: $*"; }
  grep -q "$want" "$work/refused.log" || { cat "$work/refused.log"; fail "no '$want' in the message: $*"; }
}
refused "allows at most" -t "$spec" -j 64
refused "local profiler" -t "$root/targets/host.yaml" -j 2
echo "mcu -j: ok"
