#!/usr/bin/env bash
# Installs what the model zoo needs; safe to run again.
#   - Debian: python3-torch, python3-torchvision (export), python3-numpy and
#     python3-onnx (compare, parameter count), nodejs/npm if absent.
#   - npm, in tests/models/ort: onnxruntime-node at the version pinned in
#     package.json / package-lock.json. --ignore-scripts skips its postinstall
#     (which only fetches optional GPU providers); the CPU library ships
#     inside the package.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DEBS="python3-torch python3-torchvision python3-numpy python3-onnx"

missing=""
for p in $DEBS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
# A machine may already have Node.js from elsewhere (with npm bundled); only
# fall back to Debian's packages when the commands are absent.
command -v node > /dev/null || missing="$missing nodejs"
command -v npm > /dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

cd "$HERE/ort"
if ! node -e "require('onnxruntime-node')" 2>/dev/null; then
  npm ci --ignore-scripts --no-audit --no-fund
fi
# Proves the native library loads, not just that the files are there.
node -e "const o = require('onnxruntime-node'); console.log('onnxruntime-node ' + o.env.versions.common)"
/usr/bin/python3 -c "import torch, torchvision; print('torch %s, torchvision %s' % (torch.__version__, torchvision.__version__))"
