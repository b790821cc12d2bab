#!/usr/bin/env bash
# Install, on Debian 12, the aarch64 and Cortex-M (arm-none-eabi) cross
# toolchains, the arm64 multiarch libraries the aarch64 cross build links
# against, qemu-user (the emulated "board" of targets/aarch64-linux.yaml) and
# qemu-system-arm (the MPS2 boards of targets/cortex-m*-mps2.yaml).
# Idempotent: installs only what is missing. Needs root (or sudo).
# See docs/targets.md and docs/mcu.md.
set -euo pipefail
packages=(
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross   # cross compiler + arm64 libc (the sysroot)
  qemu-user                                     # qemu-aarch64: runs the agent and built models
  libprotobuf-c-dev:arm64                       # agent protocol
  libyaml-dev:arm64                             # compiler (the cross tree builds it too)
  gcc-arm-none-eabi libnewlib-arm-none-eabi     # Cortex-M firmware (docs/mcu.md)
  qemu-system-arm                               # the emulated MPS2 board (mps2-an386/an500)
)
# Not libcriterion-dev:arm64: it is not co-installable with the host's
# libcriterion-dev (installing it removes the amd64 one, and with it the host
# unit tests), and Criterion runners hang under qemu-user anyway.
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "cross_setup: adding dpkg architecture arm64"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "cross_setup: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
