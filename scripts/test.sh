#!/usr/bin/env bash
# The whole test suite: unit tests (Criterion), emitted-code checks, and the
# ONNX backend node tests through the full pipeline (with every alternative
# routine forced on its layer's tests). Extra ctest arguments pass through,
# e.g. scripts/test.sh -R unit  or  scripts/test.sh -LE conformance
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --test-dir build --output-on-failure "$@"
