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
#     and runs the same program (skipped, with a message, without pkg-config).
# usage: run.sh SOURCE_DIR BUILD_DIR C_COMPILER
set -eu
SRC=$1 BUILD=$2 CC=$3
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
echo "install test: ok"
