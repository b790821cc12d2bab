#!/bin/sh
# The install test (ctest label `install`, docs/cmake.md):
#  1. cmake --install BUILD into a temporary prefix;
#  2. the installed neuroc tunes examples/tiny_cnn into a plan, and `neuroc run`
#     of that plan links the installed runtime (PREFIX/lib) and matches
#     expected_probs.npy;
#  3. the example project examples/tiny_cnn (an out-of-tree CMake project)
#     finds the package, generates the model with neuroc_add_model(... PLAN
#     ...), builds, runs it on input.npy and compares with expected_probs.npy;
#  4. a second build must not re-run neuroc; touching the plan must;
#  5. a plain compiler line with `pkg-config --cflags --libs neuroc-rt` builds
#     and runs the same program (skipped, with a message, without pkg-config);
#  6. cross runtimes (docs/cmake.md, "Installing cross runtimes"): a second
#     install with NEUROC_INSTALL_AARCH64_BUILD=AARCH64_BUILD puts the aarch64
#     runtime and agent in lib/neuroc/aarch64-linux/; the installed neuroc runs
#     examples/tiny_cnn with the installed aarch64-linux.yaml under qemu,
#     measuring through the installed agent, and matches expected_probs.npy
#     (skipped, with a message, without that build tree or qemu-aarch64); a spec
#     lacking a string the install rewrites, or a missing build tree, fails it.
# usage: run.sh SOURCE_DIR BUILD_DIR C_COMPILER [AARCH64_BUILD]
set -eu
SRC=$1 BUILD=$2 CC=$3 A64=${4:-}
# the plain install below must not pick cross trees up from the caller's environment
unset NEUROC_INSTALL_AARCH64_BUILD NEUROC_INSTALL_MCU_BUILD
TMP=$(mktemp -d "${TMPDIR:-/tmp}/neuroc-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "install test: $*" >&2; exit 1; }
EX=$SRC/examples/tiny_cnn
P=$TMP/prefix

cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" || fail "cmake --install $BUILD failed (log: $TMP/install.log)"
for f in bin/neuroc bin/neuroc-agent include/neuroc/rt.h lib/libneuroc_rt.a \
         lib/cmake/neuroc/neurocConfig.cmake lib/cmake/neuroc/neurocConfigVersion.cmake \
         lib/cmake/neuroc/neurocFunctions.cmake lib/pkgconfig/neuroc-rt.pc share/neuroc/targets/host.yaml; do
  [ -e "$P/$f" ] || fail "the install lacks $f"
done

"$P/bin/neuroc" tune "$EX/model.onnx" -t "$P/share/neuroc/targets/host.yaml" -o "$TMP/tune" \
  --db "$TMP/db.yaml" -q || fail "installed neuroc tune failed"

# `neuroc run` links the runtime installed beside it (PREFIX/lib, PREFIX/include),
# not the build tree's, and its output matches the example's expected_probs.npy
"$P/bin/neuroc" run "$EX/model.onnx" -t "$P/share/neuroc/targets/host.yaml" --plan "$TMP/tune/plan.yaml" \
  --input "image=$EX/input.npy" -o "$TMP/run" -v >"$TMP/run.log" 2>&1 ||
  { cat "$TMP/run.log"; fail "installed neuroc run failed"; }
grep -q "runtime $P/bin/../lib/libneuroc_rt.a" "$TMP/run.log" ||
  { cat "$TMP/run.log"; fail "installed neuroc run did not link $P/lib/libneuroc_rt.a"; }
out=$(sed -n 's/^output .* -> //p' "$TMP/run.log")
[ -f "$out" ] || { cat "$TMP/run.log"; fail "installed neuroc run wrote no output .npy"; }
if python3 -c 'import numpy' 2>/dev/null; then
  python3 -c 'import numpy as np, sys; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); sys.exit(0 if np.allclose(a.ravel(), b.ravel(), atol=1e-5) else 1)' \
    "$out" "$EX/expected_probs.npy" || fail "installed neuroc run: $out differs from expected_probs.npy"
fi

CB=$TMP/consumer-build
cmake -S "$EX" -B "$CB" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC" \
  -DCMAKE_PREFIX_PATH="$P" -DNEUROC_PLAN="$TMP/tune/plan.yaml" \
  >"$TMP/configure.log" 2>&1 || { cat "$TMP/configure.log"; fail "configuring examples/tiny_cnn failed"; }
cmake --build "$CB" >"$TMP/build1.log" 2>&1 || { cat "$TMP/build1.log"; fail "building examples/tiny_cnn failed"; }
grep -q "neuroc: generating tiny" "$TMP/build1.log" || fail "the first build did not run neuroc"
"$CB/tiny_cnn" "$EX/input.npy" "$EX/expected_probs.npy" || fail "the example's output differs from expected_probs.npy"

cmake --build "$CB" >"$TMP/build2.log" 2>&1 || fail "the second build failed"
if grep -q "neuroc: generating" "$TMP/build2.log"; then cat "$TMP/build2.log"; fail "the second build re-ran neuroc"; fi
sleep 1 # coarse file time stamps
touch "$TMP/tune/plan.yaml"
cmake --build "$CB" >"$TMP/build3.log" 2>&1 || fail "the build after touching the plan failed"
grep -q "neuroc: generating tiny" "$TMP/build3.log" || fail "touching the plan did not re-run neuroc"

if command -v pkg-config >/dev/null 2>&1; then
  flags=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --cflags --libs neuroc-rt) || fail "pkg-config neuroc-rt failed"
  # shellcheck disable=SC2086 # the flags are words
  "$CC" -std=c11 -O2 -I"$CB/tiny" "$EX/main.c" "$CB/tiny/tiny.c" $flags \
    -o "$TMP/consumer-pc" || fail "the pkg-config build failed (flags: $flags)"
  "$TMP/consumer-pc" "$EX/input.npy" "$EX/expected_probs.npy" || fail "the pkg-config build's output differs"
else
  echo "install test: pkg-config not found, the pkg-config check is skipped"
fi

# max |a - b| of two little-endian f32 .npy files, standard library only (the
# host check above needs numpy; this one must not be skipped without it)
npy_maxdiff() {
  python3 - "$1" "$2" <<'PY'
import ast, struct, sys
def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    hlen = struct.unpack("<H", data[8:10])[0] if data[6] == 1 else struct.unpack("<I", data[8:12])[0]
    start = 10 if data[6] == 1 else 12
    head = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    if head["descr"] != "<f4" or head["fortran_order"]:
        sys.exit(f"{path}: expected little-endian f32 in C order, not {head}")
    body = data[start + hlen:]
    return struct.unpack(f"<{len(body) // 4}f", body)
a, b = load(sys.argv[1]), load(sys.argv[2])
if len(a) != len(b):
    sys.exit(f"{sys.argv[1]}: {len(a)} values, {sys.argv[2]}: {len(b)}")
print(max(abs(x - y) for x, y in zip(a, b)))
PY
}

# 6. cross runtimes
XS=$SRC/cmake/install_cross.cmake
# a spec that lost a string the install rewrites must fail the install, naming it
sed 's|^  library: .*|  library: somewhere/else.a|' "$SRC/targets/aarch64-linux.yaml" >"$TMP/edited.yaml"
mkdir -p "$TMP/fake-build"
if cmake -D_nc_target=aarch64-linux -D_nc_build="$TMP/fake-build" -D_nc_env=NEUROC_TEST_UNSET \
     -D_nc_spec="$TMP/edited.yaml" "-D_nc_replace=library: ../build-aarch64/runtime-min/libneuroc_rt.a;library: x" \
     -DCMAKE_INSTALL_PREFIX="$TMP/p-bad" -P "$XS" >"$TMP/bad.log" 2>&1; then
  fail "install_cross.cmake accepted a spec without the string it rewrites"
fi
# cmake wraps its messages: join the lines before looking
tr -s ' \n' '  ' <"$TMP/bad.log" | grep -q 'no longer contains "library: ../build-aarch64/runtime-min/libneuroc_rt.a"' ||
  { cat "$TMP/bad.log"; fail "the edited-spec error does not name the missing string"; }
if NEUROC_INSTALL_AARCH64_BUILD=$TMP/no-such-build cmake --install "$BUILD" --prefix "$TMP/p-bad" >"$TMP/bad.log" 2>&1; then
  fail "cmake --install accepted a missing aarch64 build tree"
fi
tr -s ' \n' '  ' <"$TMP/bad.log" | grep -q "no-such-build/runtime-min (from NEUROC_INSTALL_AARCH64_BUILD) does not exist" ||
  { cat "$TMP/bad.log"; fail "the missing-build-tree error does not name it"; }

if [ -z "$A64" ] || [ ! -f "$A64/runtime-min/libneuroc_rt.a" ] || [ ! -x "$A64/runtime-min/agent/neuroc-agent" ]; then
  echo "install test: no aarch64 build tree with the runtime and agent (${A64:-none}; scripts/build_aarch64.sh), the cross install check is skipped"
elif ! command -v qemu-aarch64 >/dev/null 2>&1; then
  echo "install test: qemu-aarch64 not found, the cross install check is skipped"
else
  X=$TMP/xprefix
  NEUROC_INSTALL_AARCH64_BUILD=$A64 cmake --install "$BUILD" --prefix "$X" >"$TMP/xinstall.log" 2>&1 ||
    { cat "$TMP/xinstall.log"; fail "cmake --install with NEUROC_INSTALL_AARCH64_BUILD=$A64 failed"; }
  XSPEC=$X/share/neuroc/targets/aarch64-linux.yaml
  for f in lib/neuroc/aarch64-linux/libneuroc_rt.a lib/neuroc/aarch64-linux/neuroc-agent; do
    [ -e "$X/$f" ] || fail "the cross install lacks $f"
  done
  if grep -n 'build-aarch64\|runtime-min' "$XSPEC" | grep -v '^[0-9]*: *#'; then
    fail "the installed $XSPEC still names build-tree paths (above)"
  fi
  # copied elsewhere, the prefix must still work: nothing may point back into $X's build
  mv "$X" "$TMP/moved" && X=$TMP/moved XSPEC=$TMP/moved/share/neuroc/targets/aarch64-linux.yaml
  # a fresh profile DB, so the routines are measured by the installed agent
  "$X/bin/neuroc" run "$EX/model.onnx" -t "$XSPEC" --db "$TMP/xdb.yaml" \
    --input "image=$EX/input.npy" -o "$TMP/xrun" -v >"$TMP/xrun.log" 2>&1 ||
    { cat "$TMP/xrun.log"; fail "installed neuroc run with the installed aarch64-linux.yaml failed"; }
  grep -q "runtime $X/share/neuroc/targets/../../../lib/neuroc/aarch64-linux/libneuroc_rt.a" "$TMP/xrun.log" ||
    { cat "$TMP/xrun.log"; fail "the cross run did not link the installed aarch64 runtime"; }
  grep -q "arch=aarch64" "$TMP/xdb.yaml" || fail "the profile DB $TMP/xdb.yaml has no aarch64 measurements"
  d=$(npy_maxdiff "$TMP/xrun/probs.npy" "$EX/expected_probs.npy") || fail "comparing the cross run's output failed"
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 1e-5 else 1)' "$d" ||
    fail "the cross run's probs.npy differs from expected_probs.npy by $d"
  echo "install test: aarch64 runtime and agent installed and run under qemu (max |diff| $d)"
fi
echo "install test: ok"
