#!/bin/sh
# Build the libFuzzer target over the agent's frame decoder and request
# handler with clang (separate build dir: build-fuzz/) and run it briefly.
# usage: tests/fuzz/run.sh [SECONDS]   (default 30); exits non-zero on a finding.
set -eu
secs=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${NEUROC_FUZZ_BUILD:-$root/build-fuzz}
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNEUROC_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzz_frame -j2 >/dev/null
corpus="$build/fuzz-corpus"
mkdir -p "$corpus"
# Seeds: a Hello frame, a Measure-looking frame, garbage, an oversized header.
printf 'NCA1\004\000\000\000\022\002\010\001' >"$corpus/hello"
printf 'NCA1\006\000\000\000\032\004\012\002ab' >"$corpus/measure"
printf 'garbage before NCA1\000\000\000\000' >"$corpus/garbage"
printf 'NCA1\377\377\377\177' >"$corpus/oversized"
cd "$build"
exec ./runtime-min/agent/fuzz_frame -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
  "$corpus"
