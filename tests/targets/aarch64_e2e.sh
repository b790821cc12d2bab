#!/usr/bin/env bash
# End-to-end test of the aarch64 embedded-Linux target (docs/targets.md),
# with qemu-user standing in for the board:
#   1. cross-build the aarch64 runtime library + agent (scripts/build_aarch64.sh)
#   2. `neuroc tune` examples/tiny_cnn through the emulated agent (stdio),
#      check the plan was measured by an aarch64 agent
#   3. `neuroc run --plan`: model.c cross-compiled with aarch64-linux-gnu-gcc,
#      linked with the aarch64 runtime, run under qemu; the output must match
#      the bundled numpy reference and the program must be an aarch64 ELF
#   4. examples/digits: NEON routines forced with --dtype auto (calibration
#      executes the selection on this x86 host through host stand-ins), and
#      int8, compared with PyTorch's logits bundled with the example
#   5. a cross spec with local profiling must refuse NEON routines clearly
# Usage: aarch64_e2e.sh NEUROC_EXE [BUILD_DIR]   (BUILD_DIR: the aarch64 tree,
# default build-aarch64 at the repository root, the one the spec names).
# Exit 77 (ctest: skipped) when the cross toolchain, qemu or numpy is missing.
# Timings under qemu are emulation timings, not device timings.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
neuroc=${1:?usage: aarch64_e2e.sh NEUROC_EXE [BUILD_DIR]}
xdir=${2:-build-aarch64}
case $xdir in /*) ;; *) xdir=$root/$xdir ;; esac
py=/usr/bin/python3

skip() { echo "SKIP: $*" >&2; exit 77; }
command -v aarch64-linux-gnu-gcc >/dev/null || skip "aarch64-linux-gnu-gcc missing (scripts/cross_setup.sh)"
command -v qemu-aarch64 >/dev/null || skip "qemu-aarch64 missing (scripts/cross_setup.sh)"
[ -d /usr/aarch64-linux-gnu/lib ] || skip "arm64 sysroot /usr/aarch64-linux-gnu missing (libc6-dev-arm64-cross)"
$py -c 'import numpy' 2>/dev/null || skip "python3-numpy missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/neuroc-a64.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "cross-building the aarch64 runtime + agent in $xdir"
NEUROC_JOBS=${NEUROC_JOBS:-2} "$root/scripts/build_aarch64.sh" "$xdir" >"$work/xbuild.log" 2>&1 ||
  { tail -20 "$work/xbuild.log"; fail "cross build failed"; }

# The spec as shipped, with its runtime/agent paths pointed at $xdir (the
# shipped spec already names build-aarch64; a copy keeps other trees usable).
spec=$work/aarch64-linux.yaml
sed -e "s#\.\./build-aarch64#$xdir#g" -e "s#\.\./runtime-min#$root/runtime-min#g" \
  "$root/targets/aarch64-linux.yaml" >"$spec"

# compare GOT.npy WANT.npy MAX_REL_L2: relative L2 error and top-1 agreement
compare() {
  $py - "$@" <<'PY'
import sys, numpy as np
got, want, tol = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64), float(sys.argv[3])
got = got.reshape(want.shape)
rel = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30)
top1 = (got.reshape(len(got), -1).argmax(1) == want.reshape(len(want), -1).argmax(1)).mean()
print("   rel L2 %.3g (limit %g), top-1 agreement %.0f %%" % (rel, tol, 100 * top1))
sys.exit(0 if rel <= tol and top1 == 1.0 else 1)
PY
}

is_aarch64_elf() { # ELF magic + e_machine 183 (EM_AARCH64), little endian
  $py - "$1" <<'PY'
import sys
h = open(sys.argv[1], "rb").read(20)
sys.exit(0 if h[:4] == b"\x7fELF" and int.from_bytes(h[18:20], "little") == 183 else 1)
PY
}

step "tiny_cnn: tune through the emulated agent"
"$neuroc" tune "$root/examples/tiny_cnn/model.onnx" -t "$spec" --db none -o "$work/tiny" -q ||
  fail "tune tiny_cnn"
grep -q '^cost_source: agent-stdio' "$work/tiny/plan.yaml" || fail "tiny_cnn plan not measured by the stdio agent"
grep -q '^fingerprint: .*arch=aarch64' "$work/tiny/plan.yaml" || fail "tiny_cnn plan not measured on aarch64"

step "tiny_cnn: compile from the plan, cross-build, run under qemu"
"$neuroc" run "$root/examples/tiny_cnn/model.onnx" -t "$spec" --plan "$work/tiny/plan.yaml" \
  --input image="$root/examples/tiny_cnn/input.npy" -o "$work/tiny" -q || fail "run tiny_cnn"
is_aarch64_elf "$work/tiny/model_runner" || fail "tiny_cnn runner is not an aarch64 program"
compare "$work/tiny/probs.npy" "$root/examples/tiny_cnn/expected_probs.npy" 1e-5 ||
  fail "tiny_cnn output differs from the numpy reference"

# digits: a few held-out images (the model takes batch 1), PyTorch's logits
$py - "$root/examples/digits" "$work" <<'PY'
import sys, numpy as np
d, w = sys.argv[1], sys.argv[2]
x, ref = np.load(d + "/test_x.npy"), np.load(d + "/test_logits.npy")
for i in range(3):
    np.save("%s/d%d.npy" % (w, i), x[i:i + 1])
    np.save("%s/d%d_ref.npy" % (w, i), ref[i:i + 1])
PY

step "digits, NEON routines forced, --dtype auto: calibration runs the selection on this host (stand-ins)"
"$neuroc" tune "$root/examples/digits/digits.onnx" -t "$spec" --db none -o "$work/dig" -q \
  --routine '*/neon*' --dtype auto --accuracy 0.05 --calibrate "$root/examples/digits/calib" ||
  fail "tune digits with NEON routines"
grep -q 'routine: cpu:f32:[a-z0-9]*/[a-z0-9-]*/neon' "$work/dig/plan.yaml" ||
  echo "   note: no NEON routine in the plan (table has none for these layers?)"
for i in 0 1 2; do
  "$neuroc" run "$root/examples/digits/digits.onnx" -t "$spec" --plan "$work/dig/plan.yaml" \
    --input image="$work/d$i.npy" -o "$work/dig$i" -q || fail "run digits image $i"
  # auto may quantize layers within the budget: the same 0.05 limit as --accuracy
  compare "$work/dig$i/logits.npy" "$work/d${i}_ref.npy" 0.05 || fail "digits auto image $i"
done

step "digits int8 (u8 activations) under qemu"
"$neuroc" tune "$root/examples/digits/digits.onnx" -t "$spec" --db none -o "$work/dig8" -q \
  --dtype int8 --calibrate "$root/examples/digits/calib" || fail "tune digits int8"
for i in 0 1 2; do
  "$neuroc" run "$root/examples/digits/digits.onnx" -t "$spec" --plan "$work/dig8/plan.yaml" \
    --input image="$work/d$i.npy" -o "$work/dig8_$i" -q || fail "run digits int8 image $i"
  compare "$work/dig8_$i/logits.npy" "$work/d${i}_ref.npy" 0.05 || fail "digits int8 image $i"
done

if ! "$neuroc" routines | grep -q '/neon/'; then
  echo "PASS: aarch64 end to end (no NEON routines in the table: local-refusal check skipped)"
  exit 0
fi
step "a cross spec profiled locally must refuse routines this host cannot run"
grep -v -e '^agent:' -e '^  transport:' -e '^  command:' -e '^  timeout_s:' "$spec" >"$work/local.yaml"
set +e
"$neuroc" tune "$root/examples/digits/digits.onnx" -t "$work/local.yaml" --db none \
  --routine '*/neon*' -o "$work/local" -q 2>"$work/local.err"
rc=$?
set -e
[ $rc -eq 6 ] && grep -q 'cannot measure .*neon.* locally' "$work/local.err" ||
  { cat "$work/local.err"; fail "local profiling of NEON routines: expected exit 6 and a clear message, got $rc"; }
echo "PASS: aarch64 end to end (qemu-user; timings are emulation, not device timings)"
