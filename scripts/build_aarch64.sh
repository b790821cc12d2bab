#!/usr/bin/env bash
# Cross-build the aarch64 routine library and agent into build-aarch64/ (the
# tree targets/aarch64-linux.yaml points at: runtime.library and the agent
# command). Usage: scripts/build_aarch64.sh [BUILD_DIR] [all]
#   BUILD_DIR  default build-aarch64 (relative to the repository root)
#   all        build the whole tree (compiler, unit tests) instead of only the
#              runtime library and the agent
# Needs the packages of scripts/cross_setup.sh. See docs/targets.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-aarch64}
what=${2:-}
if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  echo "build_aarch64: aarch64-linux-gnu-gcc not found: run scripts/cross_setup.sh" >&2
  exit 1
fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake >/dev/null
jobs=${NEUROC_JOBS:-$(nproc)}
if [ "$what" = all ]; then
  cmake --build "$dir" -j"$jobs"
else
  cmake --build "$dir" -j"$jobs" --target neuroc_rt neuroc-agent
fi
