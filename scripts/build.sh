#!/usr/bin/env bash
# Configure and build neuroc into build/ (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNEUROC_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
