#!/usr/bin/env bash
# Install what neuroc needs to build and test, from Debian packages.
# Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail
packages=(
  build-essential cmake pkg-config clang lld
  libclang-rt-14-dev                     # libFuzzer + sanitizers for the agent's fuzz target
  libprotobuf-c-dev protobuf-c-compiler  # ONNX import (protobuf-c)
  libyaml-dev                            # target specs, plans
  libcriterion-dev                       # unit tests
  python3-onnx python3-numpy             # onnx.proto schema; example model generator
  libonnx-testdata                       # ONNX backend node tests
  chromium                               # renders `neuroc report` pages in the report test
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
