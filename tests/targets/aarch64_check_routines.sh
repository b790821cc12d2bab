#!/bin/sh
# Builds tests/cross/check_routines in the aarch64 cross tree and runs it under
# qemu-aarch64: every neon/neondot routine forced against its c99 reference on
# random shapes, and its packed weights compared with the bytes recorded on
# x86-64 (the compiler packs on the host; the kernel reads them on the board).
# usage: tests/targets/aarch64_check_routines.sh BUILD_AARCH64
# Exit 77 (ctest: skipped) when the cross toolchain or qemu is missing.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
  command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not found (scripts/cross_setup.sh)"; exit 77; }
done
"$root/scripts/build_aarch64.sh" "$dir" >/dev/null
cmake --build "$dir" --target check_routines -j2 >/dev/null
exec qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu "$dir/tests/cross/check_routines" \
  --golden "$root/tests/cross/neon_pack_hashes.txt" 1
